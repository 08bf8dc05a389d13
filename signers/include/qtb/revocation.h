/*
 * qoltanba: online revocation checking (OCSP, and the trust set's CRLs in a chosen order).
 *
 * A qtb_revocation holds the options and a thread-safe cache of OCSP answers; attached to a
 * trust set with qtb_trust_set_revocation, it is consulted for every certificate below the
 * trust anchor while a path is validated. Without one, a trust set uses only its own CRLs, as
 * before. Outcomes (trust_int.h): an OCSP `good` means not revoked; `revoked` gives REVOKED with
 * its time and reason; `unknown`, an unreachable responder or a response that fails any check
 * (signature, responder authorisation, freshness, nonce, CertID) never decides: the next source
 * is asked, and when none decides, the verdict is INDETERMINATE/TRY_LATER. NCA RK's answer for
 * never-issued certificates (revoked, certificateHold, 1970-01-01; RFC 6960 §2.2) is unknown.
 */
#ifndef QTB_REVOCATION_H
#define QTB_REVOCATION_H

#include <qtb/common.h>
#include <qtb/trust.h>

QTB_BEGIN_DECLS

#define QTB_REVOCATION_OPTIONS_VERSION 1

/** Revocation sources, in the order they are asked (qtb_revocation_options.sources). */
typedef enum qtb_rev_source {
    QTB_REV_SOURCE_NONE = 0, /**< ends the list */
    QTB_REV_SOURCE_OCSP = 1, /**< the responder in the certificate's AIA (or ocsp_url) */
    QTB_REV_SOURCE_CRL = 2,  /**< the CRLs of the trust set (e.g. *.crl in --trust folders),
                                  then, when those do not decide, CRLs downloaded from the
                                  certificate's distribution points (or crl_url) */
} qtb_rev_source;

#define QTB_REV_MAX_SOURCES 4

/** Never use the network: OCSP is skipped (said in the report); CRLs of the trust set and
 *  copies already in crl_cache_dir are used; a CRL not at hand is "not checked", as OCSP. */
#define QTB_REV_OFFLINE 0x1u

typedef struct qtb_revocation_options {
    unsigned version;                            /**< QTB_REVOCATION_OPTIONS_VERSION */
    unsigned flags;                              /**< QTB_REV_* */
    qtb_rev_source sources[QTB_REV_MAX_SOURCES]; /**< order; all NONE means {OCSP, CRL} */
    const char *ocsp_url;                        /**< overrides every certificate's AIA */
    long timeout_ms;                             /**< per HTTP attempt; 0: 5000 */
    unsigned retries;                            /**< extra attempts on network failure */
    long cache_ttl_s;                            /**< OCSP answers kept at most; 0: 300 */
    long max_age_s;      /**< a response without nextUpdate is fresh this long after thisUpdate;
                              0: 86400 (NCA RK's responses carry no nextUpdate) */
    const char *crl_url; /**< download every certificate's CRL from here, not its CDP */
    const char *crl_cache_dir; /**< downloaded CRLs kept here across processes; NULL: memory */
    const char *crl_mirror;    /**< base URL: each distribution point (full and delta) is
                                    fetched as crl_mirror + its file name, e.g. a local copy of
                                    NCA RK's crl.pki.gov.kz */
    long crl_ttl_s; /**< a downloaded CRL is revalidated after this long (a conditional GET);
                         0: 3600; negative: on every use */
} qtb_revocation_options;

#define QTB_REVOCATION_OPTIONS_INIT                                                                \
    {                                                                                              \
        QTB_REVOCATION_OPTIONS_VERSION, 0, {QTB_REV_SOURCE_NONE}, NULL, 0, 0, 0, 0, NULL, NULL,    \
            NULL, 0                                                                                \
    }

typedef struct qtb_revocation qtb_revocation;

/**
 * Create a revocation checker (options are copied). Thread-safe once created.
 * @return 0; QTB_EUSAGE for bad options; QTB_EUNSUPPORTED when OCSP is asked for and the library
 *         was built without libcurl (and QTB_REV_OFFLINE is not set); QTB_ENOMEM.
 */
QTB_API int qtb_revocation_new(qtb_revocation **out,
                               const qtb_revocation_options *opts) QTB_MUST_USE;
/** NULL-safe. Free it only after every trust set using it. */
QTB_API void qtb_revocation_free(qtb_revocation *r);

/**
 * Parse a source list such as "ocsp,crl" or "crl" into `sources` (NONE-terminated).
 * @return 0; QTB_EUSAGE naming the unknown or repeated word.
 */
QTB_API int qtb_revocation_parse_sources(qtb_rev_source sources[QTB_REV_MAX_SOURCES],
                                         const char *list) QTB_MUST_USE;

/** Use `r` (borrowed, may be NULL to detach) when validating paths with `t`. Set-up only. */
QTB_API void qtb_trust_set_revocation(qtb_trust *t, qtb_revocation *r);

/**
 * Add an OCSP response recorded earlier (e.g. from a report's revocationEvidence) for replaying a
 * validation: before any network request, and also offline, a recorded response about the
 * certificate is judged like a fresh one (signature, responder, freshness at the validation
 * time; no nonce). Set-up only: not while other threads validate.
 * @return 0; QTB_ETOOBIG beyond 64 responses or 1 MiB; QTB_ENOMEM.
 */
QTB_API int qtb_revocation_add_ocsp_response(qtb_revocation *r, const unsigned char *der,
                                             size_t len) QTB_MUST_USE;

/** OCSP requests sent over the network so far (cache hits excluded), for benchmarks. */
QTB_API unsigned long qtb_revocation_ocsp_requests(const qtb_revocation *r);

QTB_END_DECLS

#endif
