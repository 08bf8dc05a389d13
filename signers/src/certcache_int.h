/*
 * The decoded-certificate cache of <qtb/verify.h>, as the verifiers use it.
 */
#ifndef QTB_CERTCACHE_INT_H
#define QTB_CERTCACHE_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
#endif

#include <openssl/x509.h>

#include <qtb/verify.h>

/*
 * A certificate from exactly `len` bytes of DER (trailing bytes refused), from the cache when
 * it holds one with the same SHA-256, else parsed (and kept). `c` may be NULL (just parse).
 * Returns a new reference (X509_free it), or NULL when the bytes are not a certificate.
 */
X509 *qtb_cert_cache_parse(qtb_cert_cache *c, const unsigned char *der, size_t len);

#endif
