/*
 * qoltanba: XMLDSig signing in the profile of Kalkan / NCALayer `signXml` (verification is
 * qtb_xml_verify in <qtb/verify.h>).
 */
#ifndef QTB_XMLDSIG_H
#define QTB_XMLDSIG_H

#include <stddef.h>

#include <qtb/common.h>
#include <qtb/p12.h>

QTB_BEGIN_DECLS

/**
 * Append an enveloped ds:Signature to the root element of `xml`, as Kalkan does: Reference
 * URI="" with the enveloped-signature and C14N-with-comments transforms, inclusive C14N 1.0
 * for SignedInfo, SHA-256 with RSA-SHA256 or ECDSA-SHA256 (a Kazakh GOST key: Kalkan's
 * pkigovkz GOST 2015/512 URIs, or xmldsig-more#gost34310-gost34311 and #gost34311 for
 * GOST 34.310-2004; r||s little-endian), the certificate in
 * KeyInfo/X509Data/X509Certificate. Signatures already in the document stay valid: the new one
 * covers them, and the verifier leaves later signatures out when checking earlier ones.
 * @param out the signed document (UTF-8); free with qtb_string_free. Its length in *out_len.
 * @param key an opened PKCS#12 holding an RSA, EC or Kazakh GOST private key (borrowed).
 * @return 0; QTB_EPARSE (input is not acceptable XML: DOCTYPE, malformed, no root);
 *         QTB_EUNSUPPORTED (no private key, Tumar GOST key); QTB_ECRYPTO; QTB_ENOMEM.
 */
QTB_API int qtb_xml_sign(char **out, size_t *out_len, const unsigned char *xml, size_t xml_len,
                         const qtb_p12 *key) QTB_MUST_USE;

QTB_END_DECLS

#endif
