/*
 * Path validation and revocation, shared by the CMS and XMLDSig verifiers (and OCSP/TSP later).
 *
 * The path builder is qoltanba's own: OpenSSL's X509_verify_cert cannot check Kazakh GOST
 * signatures, rejects NCA's critical role EKUs in purpose checks, and serialises threads on its
 * store locks. Every signature goes through qtb_sig_verify (sigalg.h).
 */
#ifndef QTB_TRUST_INT_H
#define QTB_TRUST_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include <qtb/limits.h>
#include <qtb/report.h>
#include <qtb/trust.h>

/* The leaf must be allowed to sign documents (keyUsage digitalSignature or nonRepudiation). */
#define QTB_PATH_FOR_SIGNING 0x1u

/* What the leaf's extendedKeyUsage holds (reported, not enforced: callers decide). */
#define QTB_EKU_PRESENT 0x01u          /* the extension is there */
#define QTB_EKU_EMAIL_PROTECTION 0x02u /* 1.3.6.1.5.5.7.3.4 (NCA SIGN certificates) */
#define QTB_EKU_CLIENT_AUTH 0x04u      /* 1.3.6.1.5.5.7.3.2 (NCA AUTH certificates) */
#define QTB_EKU_ANY 0x08u              /* anyExtendedKeyUsage */
#define QTB_EKU_NCA_ROLE 0x10u         /* under 1.2.398.3.3.4.1 (holder and role, kz-pki §3.2) */
#define QTB_EKU_OTHER 0x20u            /* anything else */

/* An OCSP response used for a verdict, as received (revocation.c), kept for the record. */
typedef struct qtb_rev_evidence {
    unsigned char *der; /* qtb_malloc'd */
    size_t der_len;
    char url[128];
} qtb_rev_evidence;

typedef struct qtb_path_result {
    qtb_indication indication; /* TOTAL_PASSED only when the whole path checked out */
    qtb_subindication sub;
    char message[512];      /* one line: which certificate, what failed (or what was checked) */
    STACK_OF(X509) * chain; /* leaf first, anchor last (as far as it was built); owned */
    /*
     * When the leaf is listed on the CRL used (0 if not listed). Also set when the revocation
     * came after sig_time and the verdict therefore passes: read the indication, not this.
     */
    int64_t revocation_time;
    unsigned leaf_eku; /* QTB_EKU_* bits */
    /* online revocation answers the verdict rests on, leaf first; owned */
    qtb_rev_evidence evidence[QTB_MAX_CHAIN_DEPTH];
    size_t nevidence;
} qtb_path_result;

/*
 * Build and validate a path from `leaf` to an anchor of `t`, using `extra` (e.g. the
 * certificates carried in a CMS or a KeyInfo; may be NULL) and the trust set's untrusted pool.
 *
 * `sig_time` is the best signature time: validity of every certificate is judged there, and
 * revocation before it fails. `now` is the validation time (CRL freshness). Outcomes:
 *   - no path to an anchor                  INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND
 *   - a signature in the path does not verify INDETERMINATE /
 *                                            CERTIFICATE_CHAIN_GENERAL_FAILURE
 *   - an algorithm we cannot check           INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE
 *   - leaf expired at sig_time               INDETERMINATE / OUT_OF_BOUNDS_NO_POE
 *   - leaf not yet valid at sig_time         TOTAL_FAILED / NOT_YET_VALID
 *   - a CA (anchor included) expired at sig_time
 *                                            INDETERMINATE / OUT_OF_BOUNDS_NO_POE (as DSS)
 *   - a CA not yet valid, basicConstraints/keyUsage/pathLen/nameConstraints wrong, unknown
 *     critical extension, leaf keyUsage not for signing (QTB_PATH_FOR_SIGNING)
 *                                            INDETERMINATE / CHAIN_CONSTRAINTS_FAILURE
 *   - leaf revoked at or before sig_time     TOTAL_FAILED / REVOKED
 *   - a CA revoked at or before sig_time     INDETERMINATE / REVOKED_CA_NO_POE
 *   - the issuer's CRL is stale or unusable  INDETERMINATE / TRY_LATER
 *   - otherwise                              TOTAL_PASSED
 * When several apply, the first in this order wins: REVOKED, NOT_YET_VALID,
 * CHAIN_CONSTRAINTS_FAILURE, REVOKED_CA_NO_POE, OUT_OF_BOUNDS_NO_POE, TRY_LATER.
 *
 * A revocation after sig_time (leaf or CA) passes, with a note in the message.
 *
 * A CRL is used only if its issuer name matches (and its AKI the issuer's SKI, when both are
 * present), the issuer's keyUsage (if any) has cRLSign, its signature verifies with the
 * issuer's key, it has no critical extension we do not process and its
 * issuingDistributionPoint scope covers the certificate; of those, the one with the latest
 * thisUpdate is used. A certificate listed there is revoked at its revocationDate, whatever
 * the CRL's age (removeFromCRL does not count; certificateHold counts only on a fresh CRL,
 * as a hold may have been released since). A certificate not listed is good only if that CRL
 * is fresh: thisUpdate >= sig_time or now <= nextUpdate; otherwise TRY_LATER. CRLs of the
 * issuer exist but none is usable (bad signature, unknown critical extension, issuer without
 * cRLSign): TRY_LATER, naming why. No CRL of the issuer at all: not checked, said in the
 * message, not a failure. A delta CRL (deltaCRLIndicator) of the issuer, checked the same way,
 * is applied to that full CRL when its BaseCRLNumber is not newer than the full CRL's
 * cRLNumber (the newest such delta; qtb_crl_apply_delta). Without a full CRL a delta can
 * only revoke: a listing on it is the CA's signed word, its silence says nothing.
 *
 * With a qtb_revocation attached to `t` (qtb_trust_set_revocation, revocation.h), each
 * certificate below the anchor is checked from its sources in their order instead (OCSP, then
 * these CRLs and the downloaded ones, full and delta); anchors only from these CRLs. A source
 * that fails never decides: when none decides, TRY_LATER. The OCSP responses used are kept in
 * out->evidence.
 *
 * Cached inside `t` across calls (thread-safe): the verdict of each certificate and CRL
 * signature, keyed by the SHA-256 of the signed object and of the signer's certificate.
 * Computed once when an item is loaded: fingerprints, validity times, labels, decoded keys and
 * extensions, CRL scope/AKI/critical-extension verdicts, the sorted revoked list. Validity,
 * constraints and revocation are evaluated on every call. At most QTB_MAX_CMS_CERTS `extra`
 * certificates (QTB_ETOOBIG beyond).
 *
 * Threads: `t` may be shared freely. `leaf` and `extra` are normally private to the document
 * being verified; if they are shared between threads, fill OpenSSL's extension cache first
 * (X509_check_purpose(x, -1, 0)): OpenSSL 3.0 fills it lazily and racily.
 *
 * *out is initialised here (do not pass a result holding a chain); dispose it when done.
 * Returns 0 when validation ran (verdict in *out), negative on internal failure.
 */
int qtb_trust_validate(qtb_path_result *out, const qtb_trust *t, X509 *leaf, STACK_OF(X509) * extra,
                       int64_t sig_time, int64_t now, unsigned flags);

/*
 * Add an in-memory certificate (as an anchor or to the untrusted pool) or CRL; the set takes
 * its own reference. For tests and for callers that hold parsed objects. Set-up only: not
 * while other threads validate with `t`.
 */
int qtb_trust_add_cert(qtb_trust *t, X509 *x, bool anchor) QTB_MUST_USE;
int qtb_trust_add_crl(qtb_trust *t, X509_CRL *crl) QTB_MUST_USE;
/* The bytes of one trust file (as a folder entry: certificates become anchors); `name` is for
 * messages. */
int qtb_trust_add_mem(qtb_trust *t, const unsigned char *data, size_t len,
                      const char *name) QTB_MUST_USE;

void qtb_path_result_init(qtb_path_result *r);
void qtb_path_result_dispose(qtb_path_result *r);

/*
 * Put what path validation found into a signature's report object, the same way for CMS and
 * XML: "pathValidation" (the one-line result, revocation sources included; null when `pr` is
 * NULL, i.e. no path was validated) and "revocationEvidence" (the OCSP responses the verdict
 * rests on, as received, base64, so a validation can be replayed; [] when none).
 */
int qtb_path_result_report(json_t *obj, const qtb_path_result *pr) QTB_MUST_USE;

#endif
