/*
 * qoltanba: making CMS SignedData (RFC 5652) the way NCALayer's createCMSSignatureFromBase64
 * does: SHA-256, signed attributes contentType, messageDigest and signingTime, the signer's
 * certificate included, content attached or detached. Verification is in <qtb/verify.h>.
 */
#ifndef QTB_CMS_H
#define QTB_CMS_H

#include <qtb/common.h>
#include <qtb/p12.h>

QTB_BEGIN_DECLS

#define QTB_CMS_SIGN_OPTIONS_VERSION 1

/** Leave the content out of the CMS (a detached signature). */
#define QTB_CMS_SIGN_DETACHED 0x1u

typedef struct qtb_cms_sign_options {
    unsigned version; /**< QTB_CMS_SIGN_OPTIONS_VERSION */
    unsigned flags;   /**< QTB_CMS_SIGN_* */
    /** The content: streamed from this file, or taken from memory when content_path is NULL.
     *  With add_to, the content of a detached CMS (attached content is taken from it). */
    const char *content_path;
    const unsigned char *content;
    size_t content_len;
    /** An existing CMS (DER, PEM or base64) to add this signer to; earlier signers are kept.
     *  Attached/detached then follows that CMS and QTB_CMS_SIGN_DETACHED is ignored. */
    const unsigned char *add_to;
    size_t add_to_len;
} qtb_cms_sign_options;

#define QTB_CMS_SIGN_OPTIONS_INIT                                                                  \
    {                                                                                              \
        QTB_CMS_SIGN_OPTIONS_VERSION, 0, NULL, NULL, 0, NULL, 0                                    \
    }

/**
 * Sign with the key of a PKCS#12 store (RSA or ECDSA; GOST when the gost module provides it).
 * @param out the DER of the CMS ContentInfo; free with qtb_free_bytes.
 * @return 0; QTB_EUNSUPPORTED for a key OpenSSL cannot sign with (GOST for now) or an add_to
 *         CMS whose content is missing; QTB_EPARSE for a malformed add_to; QTB_EIO for the
 *         content file; QTB_ECRYPTO; QTB_ENOMEM.
 */
QTB_API int qtb_cms_sign(unsigned char **out, size_t *out_len, const qtb_p12 *key,
                         const qtb_cms_sign_options *opts) QTB_MUST_USE;

/**
 * Add an RFC 3161 TimeStampToken (DER ContentInfo) as the unsigned attribute
 * id-aa-signatureTimeStampToken of SignerInfo `index` (CAdES-T). The token is not checked
 * here; verification checks it.
 * @param out the new CMS (DER); free with qtb_free_bytes.
 * @return 0; QTB_EPARSE; QTB_ENOTFOUND when there is no such signer; QTB_ENOMEM.
 */
QTB_API int qtb_cms_add_timestamp(unsigned char **out, size_t *out_len, const unsigned char *cms,
                                  size_t cms_len, size_t index, const unsigned char *token,
                                  size_t token_len) QTB_MUST_USE;

/** Free bytes returned by the library (NULL is fine). */
QTB_API void qtb_free_bytes(unsigned char *p);

QTB_END_DECLS

#endif
