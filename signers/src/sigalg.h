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

#include <qtb/common.h>

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
/* Kazakh GOST 34.310-2004 / 34.10-2015 (gost_spki.c); also refuses legacy Tumar keys by name. */
extern const qtb_sigalg_ops qtb_sigalg_gost;

/*
 * The crypto policy of the verification running on this thread. A verify entry point enters
 * the policy its caller asked for (QTB_VERIFY_ALLOW_WEAK_CRYPTO) and leaves it before it
 * returns, so every signature it checks (document, path, CRLs, OCSP, timestamps) follows one
 * policy without threading a parameter through every layer. Default: strict.
 */
#define QTB_SIGPOLICY_LEGACY 0x1u /* accept RSA/DSA < 1024 bits and MD5/MD4/MD2 signatures */
unsigned qtb_sig_policy_enter(unsigned policy); /* returns the previous policy */
void qtb_sig_policy_leave(unsigned previous);
unsigned qtb_sig_policy(void);

/* Dispatch to the first backend that handles the key; QTB_EUNSUPPORTED if none does. */
int qtb_sig_verify(int *ok, const X509_PUBKEY *spki, const X509_ALGOR *sigalg,
                   const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
                   size_t sig_len);

/*
 * Verify that `issuer` signed `subject` (tbsCertificate as encoded, via qtb_sig_verify).
 * *ok is the verdict; QTB_EUNSUPPORTED names an algorithm no backend handles; QTB_EPARSE when
 * the encoding is not DER or the inner and outer signature algorithms differ.
 */
int qtb_sig_verify_cert(int *ok, const X509 *subject, const X509 *issuer);
/* Verify that `issuer` signed `crl` (tbsCertList as encoded). */
int qtb_sig_verify_crl(int *ok, const X509_CRL *crl, const X509 *issuer);

/* ---- helpers over the encoded form (shared by CRL, OCSP and timestamp code) --------------- */

/* The three parts of SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } (pointers into `der`). */
typedef struct qtb_signed_der {
    const unsigned char *tbs; /* the signed TLV, tag and length included */
    size_t tbs_len;
    const unsigned char *tbs_body; /* its contents */
    size_t tbs_body_len;
    const unsigned char *alg_der; /* signatureAlgorithm TLV */
    size_t alg_der_len;
    const unsigned char *sig; /* signature bits (the BIT STRING without its unused-bits octet) */
    size_t sig_len;
} qtb_signed_der;

/*
 * Split a signed object. `allow_trailing` admits fields after the signature (OCSP's
 * BasicOCSPResponse carries certificates there). QTB_EPARSE on anything that is not DER.
 */
int qtb_signed_der_split(qtb_signed_der *out, const unsigned char *der, size_t der_len,
                         bool allow_trailing) QTB_MUST_USE;
/* Verify a split object's signature with `spki` (dispatching through qtb_sig_verify). */
int qtb_sig_verify_signed_der(int *ok, const qtb_signed_der *sd, const X509_PUBKEY *spki);
/* Certificate / CRL given as DER: also checks the inner signature algorithm equals the outer. */
int qtb_sig_verify_cert_der(int *ok, const unsigned char *der, size_t der_len,
                            const X509_PUBKEY *issuer_spki);
int qtb_sig_verify_crl_der(int *ok, const unsigned char *der, size_t der_len,
                           const X509_PUBKEY *issuer_spki);

/* The dotted OID into buf (for "unsupported algorithm 1.2.398..." messages); never fails. */
void qtb_sigalg_oid_text(char *buf, size_t cap, const ASN1_OBJECT *obj);

#endif
