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

#include <openssl/x509.h>

#include <qtb/report.h>
#include <qtb/trust.h>

/* The leaf must be allowed to sign documents (keyUsage digitalSignature or nonRepudiation). */
#define QTB_PATH_FOR_SIGNING 0x1u

typedef struct qtb_path_result {
    qtb_indication indication; /* TOTAL_PASSED only when the whole path checked out */
    qtb_subindication sub;
    char message[512];       /* one line: which certificate, what failed */
    STACK_OF(X509) * chain;  /* leaf first, anchor last (as far as it was built); owned */
    int64_t revocation_time; /* when the leaf was revoked (0 if not revoked) */
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
 *   - a CA expired, basicConstraints/keyUsage/pathLen wrong, unknown critical extension
 *                                            INDETERMINATE / CHAIN_CONSTRAINTS_FAILURE
 *   - leaf revoked at or before sig_time     TOTAL_FAILED / REVOKED
 *   - a CA revoked                           INDETERMINATE / REVOKED_CA_NO_POE
 *   - the issuer's CRL is stale or unusable  INDETERMINATE / TRY_LATER
 *   - otherwise                              TOTAL_PASSED
 * A CRL is used only if its signature verifies with the issuer's key and its issuer name
 * matches; it is fresh when thisUpdate >= sig_time or now <= nextUpdate. When the trust set
 * has no CRL for an issuer, revocation is reported as not checked in the message.
 * Returns 0 when validation ran (verdict in *out), negative on internal failure.
 */
int qtb_trust_validate(qtb_path_result *out, const qtb_trust *t, X509 *leaf, STACK_OF(X509) * extra,
                       int64_t sig_time, int64_t now, unsigned flags);

void qtb_path_result_init(qtb_path_result *r);
void qtb_path_result_dispose(qtb_path_result *r);

#endif
