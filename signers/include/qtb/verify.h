/*
 * qoltanba: verification of CMS/PKCS#7 and XMLDSig signatures, one report contract for both.
 */
#ifndef QTB_VERIFY_H
#define QTB_VERIFY_H

#include <qtb/common.h>
#include <qtb/report.h>
#include <qtb/trust.h>

QTB_BEGIN_DECLS

#define QTB_VERIFY_OPTIONS_VERSION 1

/**
 * A cache of decoded certificates (and their public keys), keyed by SHA-256 of the DER,
 * shared by any number of threads. Verifying many documents from the same signers with one
 * cache skips decoding their certificates again for every document. Bounded: `slots`
 * certificates at most (0: 1024).
 * @return 0, QTB_ENOMEM, QTB_ETOOBIG.
 */
typedef struct qtb_cert_cache qtb_cert_cache;
QTB_API int qtb_cert_cache_new(qtb_cert_cache **out, size_t slots) QTB_MUST_USE;
/** NULL-safe. Only once no verification is using it. */
QTB_API void qtb_cert_cache_free(qtb_cert_cache *c);

/** Check the signature with the certificate or key it carries and skip path validation; the
 *  report then never says TOTAL_PASSED for that signature (chain: NOT_CHECKED). For tests and
 *  diagnostics only, like `openssl cms -noverify` / `xmlsec1 --insecure`. */
#define QTB_VERIFY_NO_CHAIN 0x1u

/** XML: accept HMAC SignatureMethods, checked with `hmac_key`. Off by default: a shared secret
 *  proves nothing about who signed a document (conformance vectors and SAML-style tests only). */
#define QTB_VERIFY_ALLOW_HMAC 0x2u
/** Legacy crypto policy: also accept RSA/DSA keys under 1024 bits and MD5/MD4/MD2 signatures
 *  (certificates, CRLs and document signatures). Off by default: only for re-checking old
 *  archives or test corpora made with such keys (`qoltanba verify --allow-weak-crypto`). */
#define QTB_VERIFY_ALLOW_WEAK_CRYPTO 0x4u

typedef struct qtb_verify_options {
    unsigned version;             /**< QTB_VERIFY_OPTIONS_VERSION */
    unsigned flags;               /**< QTB_VERIFY_* */
    const qtb_trust *trust;       /**< anchors, untrusted pool and CRLs; NULL: nothing trusted */
    int64_t at;                   /**< validation time (seconds since the epoch); 0 means now */
    const char *content_path;     /**< CMS: detached content, streamed from this file */
    const unsigned char *content; /**< CMS: detached content in memory (if no content_path) */
    size_t content_len;
    /** XML: a pinned verification key (certificate or public key, PEM or DER), the SAML
     *  "IdP certificate" model: KeyInfo is then ignored and no path is built. */
    const unsigned char *pinned_key;
    size_t pinned_key_len;
    /** Decoded-certificate cache shared across calls and threads; NULL: none. */
    qtb_cert_cache *cert_cache;
    /** CMS: certificates given out of band that may identify a signer when the CMS does not
     *  carry its certificate (RFC 5652 §5.1), e.g. the CLI's --untrusted files; their
     *  untrusted pool is searched. Trust anchors never identify a signer. NULL: none. */
    const qtb_trust *signer_certs;
    /** XML: the HMAC secret used with QTB_VERIFY_ALLOW_HMAC (borrowed, not copied). */
    const unsigned char *hmac_key;
    size_t hmac_key_len;
} qtb_verify_options;

#define QTB_VERIFY_OPTIONS_INIT                                                                    \
    {                                                                                              \
        QTB_VERIFY_OPTIONS_VERSION, 0, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, 0        \
    }

/**
 * Verify a CMS SignedData (DER, PEM or bare base64; attached or detached).
 * @param out the report (free with qtb_report_free); set whenever 0 is returned.
 * @return 0 when verification ran (the verdict is in the report); QTB_ENOMEM, QTB_EUSAGE,
 *         QTB_EIO (detached content unreadable).
 */
QTB_API int qtb_cms_verify(qtb_report **out, const unsigned char *sig, size_t sig_len,
                           const qtb_verify_options *opts) QTB_MUST_USE;

/**
 * Verify every ds:Signature of an XML document.
 * @return as qtb_cms_verify.
 */
QTB_API int qtb_xml_verify(qtb_report **out, const unsigned char *xml, size_t xml_len,
                           const qtb_verify_options *opts) QTB_MUST_USE;

/** What a signature file holds, judged from its content. */
typedef enum qtb_sig_kind {
    QTB_SIG_UNKNOWN = 0,
    QTB_SIG_CMS = 1,
    QTB_SIG_XML = 2,
} qtb_sig_kind;

QTB_API qtb_sig_kind qtb_detect_signature_kind(const unsigned char *data, size_t len);

QTB_END_DECLS

#endif
