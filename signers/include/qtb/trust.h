/*
 * qoltanba: trust anchors and revocation data (the `--trust DIR` of the CLI).
 *
 * Every certificate in a trust folder (*.pem *.crt *.cer *.der, PEM or DER, several per file
 * allowed) is a trust anchor, the way Kazakh deployments trust NCA's root and intermediate
 * certificates; every *.crl (PEM or DER) is revocation data. After set-up a qtb_trust is
 * immutable and may be shared by any number of threads.
 */
#ifndef QTB_TRUST_H
#define QTB_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include <qtb/common.h>

QTB_BEGIN_DECLS

typedef struct qtb_trust qtb_trust;

/** Create an empty trust set. @return 0, QTB_ENOMEM. */
QTB_API int qtb_trust_new(qtb_trust **out) QTB_MUST_USE;
/** NULL-safe. */
QTB_API void qtb_trust_free(qtb_trust *t);

/**
 * Load every certificate (as an anchor) and every CRL in a folder (not recursive).
 * @return 0; QTB_EIO when the folder cannot be read; QTB_EPARSE naming the file that is not a
 *         certificate or CRL; QTB_ETOOBIG beyond QTB_MAX_TRUST_FILES or QTB_MAX_TRUST_FILE.
 */
QTB_API int qtb_trust_add_dir(qtb_trust *t, const char *dir) QTB_MUST_USE;
/** Add the certificates of one file (PEM with one or more blocks, or DER) as anchors. */
QTB_API int qtb_trust_add_anchor_file(qtb_trust *t, const char *path) QTB_MUST_USE;
/** Add certificates that may be used to build paths but are not trusted (intermediates). */
QTB_API int qtb_trust_add_untrusted_file(qtb_trust *t, const char *path) QTB_MUST_USE;
/** Add one CRL file (PEM or DER). */
QTB_API int qtb_trust_add_crl_file(qtb_trust *t, const char *path) QTB_MUST_USE;

QTB_API size_t qtb_trust_anchor_count(const qtb_trust *t);
QTB_API size_t qtb_trust_crl_count(const qtb_trust *t);

/**
 * Describe the set for operators, as the `qoltanba trust --json` document: "anchors" and
 * "untrusted" (subject, sha256, not_before, not_after, self_issued) and "crls" (file, issuer,
 * this_update, next_update, entries, delta, signature: "valid" / "invalid" / why it cannot be
 * checked, expired: nextUpdate is before `now`, and "unusable" with the reason when a critical
 * extension or scope keeps path validation from using it).
 * @param out a NUL-terminated UTF-8 string; free with qtb_string_free.
 * @param now seconds since the epoch, for "expired".
 * @return 0, QTB_ENOMEM.
 */
QTB_API int qtb_trust_describe_json(char **out, const qtb_trust *t, int64_t now) QTB_MUST_USE;

QTB_END_DECLS

#endif
