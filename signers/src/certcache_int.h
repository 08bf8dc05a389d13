/* The certificate cache (certcache.c), for the verifiers. */
#ifndef QTB_CERTCACHE_INT_H
#define QTB_CERTCACHE_INT_H

#ifndef QTB_INTERNAL
#error "internal header: build the library with QTB_INTERNAL defined"
/* The certinfo object / the RFC 4514 subject string of `x`, built once per cache; *out is the
 * caller's own copy. `c` may be NULL. */
int qtb_cert_cache_certinfo(json_t **out, qtb_cert_cache *c, X509 *x) QTB_MUST_USE;
int qtb_cert_cache_subject(json_t **out, qtb_cert_cache *c, X509 *x) QTB_MUST_USE;

#endif

#include <stddef.h>

#include <jansson.h>
#include <openssl/x509.h>

#include <qtb/verify.h>

/*
 * The certificate whose DER is `der`: from the cache, or decoded (and then cached). *out is a
 * new reference (X509_free it). `c` may be NULL: then it is simply decoded.
 * QTB_EPARSE when malformed, QTB_ETOOBIG, QTB_ECRYPTO.
 */
int qtb_cert_cache_get(X509 **out, qtb_cert_cache *c, const unsigned char *der,
                       size_t len) QTB_MUST_USE;

/* The certinfo object / the RFC 4514 subject string of `x`, built once per cache; *out is the
 * caller's own copy. `c` may be NULL. */
int qtb_cert_cache_certinfo(json_t **out, qtb_cert_cache *c, X509 *x) QTB_MUST_USE;
int qtb_cert_cache_subject(json_t **out, qtb_cert_cache *c, X509 *x) QTB_MUST_USE;

#endif
