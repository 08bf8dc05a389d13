/*
 * Signature-algorithm backends. Every signature qoltanba checks (certificates, CRLs, OCSP
 * responses, CMS SignerInfos, timestamp tokens, XML SignedInfo) goes through qtb_sig_verify,
 * which asks each backend in turn whether it handles the key. The core never #ifdefs on one.
 */
#ifndef QTB_SIGALG_H
#define QTB_SIGALG_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stdbool.h>

#include <openssl/x509.h>

#define QTB_SIGALG_OPS_VERSION 1

typedef struct qtb_sigalg_ops {
    unsigned version; /* QTB_SIGALG_OPS_VERSION */
    const char *name; /* "openssl", "gost" */
    /* True when this backend handles keys of this SubjectPublicKeyInfo. */
    bool (*handles)(const X509_PUBKEY *spki);
    /*
     * Verify `sig` over the bytes `tbs` (the backend hashes them as `sigalg` says).
     * *ok is 1 for a valid signature and 0 for an invalid one.
     * Returns 0 when a verdict was reached; QTB_EUNSUPPORTED (message naming the algorithm)
     * when the key or algorithm is not one this backend can check; other negatives on error.
     */
    int (*verify)(int *ok, const X509_PUBKEY *spki, const X509_ALGOR *sigalg,
                  const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
                  size_t sig_len);
} qtb_sigalg_ops;

extern const qtb_sigalg_ops qtb_sigalg_openssl;

/* Dispatch to the first backend that handles the key; QTB_EUNSUPPORTED if none does. */
int qtb_sig_verify(int *ok, const X509_PUBKEY *spki, const X509_ALGOR *sigalg,
                   const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
                   size_t sig_len);

/* Verify that `issuer` signed `subject` (tbsCertificate as encoded, via qtb_sig_verify). */
int qtb_sig_verify_cert(int *ok, const X509 *subject, const X509 *issuer);
/* Verify that `issuer` signed `crl` (tbsCertList as encoded). */
int qtb_sig_verify_crl(int *ok, const X509_CRL *crl, const X509 *issuer);

#endif
