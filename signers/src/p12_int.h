/*
 * PKCS#12 internals for the CMS and XML signers: the key's certificate, the rest of the chain,
 * and the private key (an EVP_PKEY for RSA/EC, raw bytes for Kazakh GOST keys).
 */
#ifndef QTB_P12_INT_H
#define QTB_P12_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <qtb/p12.h>

/* The certificate of the key (or the first certificate when there is no key); owned by `p`. */
X509 *qtb_p12_cert(const qtb_p12 *p);
/* The other certificates, in file order; owned by `p`, never NULL (maybe empty). */
STACK_OF(X509) * qtb_p12_chain(const qtb_p12 *p);
/* The private key when OpenSSL can load it (RSA, EC...); NULL for GOST keys or none. Owned. */
EVP_PKEY *qtb_p12_pkey(const qtb_p12 *p);
/*
 * A Kazakh GOST private key (PKCS#8 algorithm under 1.2.398.3.10.1.1): `key` is the private
 * scalar, little-endian (the RFC 4491 layout gost-engine also uses): 64 bytes for
 * 34.10-2015/512 (stored so, as an OCTET STRING), 32 bytes for 34.310-2004 (stored as a
 * big-endian DER INTEGER, reversed and left-padded here). `key_alg` is the PKCS#8 algorithm OID
 * and `param_set` the first OID of its parameters (NULL when absent). All owned by `p`, wiped on
 * free. Returns 0, or QTB_ENOTFOUND when the store holds no GOST key.
 */
int qtb_p12_gost_key(const qtb_p12 *p, const unsigned char **key, size_t *key_len,
                     const ASN1_OBJECT **key_alg, const ASN1_OBJECT **param_set);

#endif
