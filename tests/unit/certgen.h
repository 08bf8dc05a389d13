/*
 * Synthetic certificates for the identity tests: an EC P-256 key, a subject built from
 * (field, value) pairs and NCA-style extensions, signed by a given issuer or self-signed.
 * Test-only; every value is made up.
 */
#ifndef QTB_CERTGEN_H
#define QTB_CERTGEN_H

#include <openssl/conf.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h"

typedef struct tg_spec {
    const char *const *subject; /* field, value, field, value, ..., NULL */
    bool ca;
    const char *key_usage;  /* openssl config syntax, or NULL */
    const char *eku;        /* comma-separated OIDs, or NULL */
    const char *policies;   /* comma-separated OIDs, or NULL */
    const char *not_before; /* YYYYMMDDHHMMSSZ */
    const char *not_after;  /* YYYYMMDDHHMMSSZ */
    long serial;
} tg_spec;

static inline EVP_PKEY *tg_key(void)
{
    return EVP_EC_gen("P-256");
}

static inline int tg_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    if (value == NULL) {
        return 1;
    }
    /* certificatePolicies is parsed through a config database, even an empty one. */
    CONF *conf = NCONF_new(NULL);
    X509V3_set_nconf(ctx, conf);
    X509_EXTENSION *e = X509V3_EXT_nconf_nid(conf, ctx, nid, value);
    NCONF_free(conf);
    if (e == NULL) {
        return 0;
    }
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

/* A certificate for `key`, signed by issuer_key (issuer NULL: self-signed). NULL on failure. */
static inline X509 *tg_cert(const tg_spec *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    bool ok = x != NULL && name != NULL;
    for (size_t i = 0; ok && s->subject[i] != NULL; i += 2) {
        ok = X509_NAME_add_entry_by_txt(name, s->subject[i], MBSTRING_UTF8,
                                        (const unsigned char *)s->subject[i + 1], -1, -1, 0);
    }
    ok = ok && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial);
    ok = ok && X509_set_subject_name(x, name);
    ok = ok && X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
    ok = ok && ASN1_TIME_set_string(X509_getm_notBefore(x), s->not_before);
    ok = ok && ASN1_TIME_set_string(X509_getm_notAfter(x), s->not_after);
    ok = ok && X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    ok = ok && tg_ext(x, &ctx, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : NULL);
    ok = ok && tg_ext(x, &ctx, NID_key_usage, s->key_usage);
    ok = ok && tg_ext(x, &ctx, NID_ext_key_usage, s->eku);
    ok = ok && tg_ext(x, &ctx, NID_certificate_policies, s->policies);
    ok = ok && tg_ext(x, &ctx, NID_subject_key_identifier, "hash");
    ok = ok && tg_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    ok = ok && X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* DER of a certificate in a qtb_malloc'd buffer. */
static inline unsigned char *tg_der(X509 *x, size_t *len)
{
    unsigned char *tmp = NULL;
    int n = i2d_X509(x, &tmp);
    if (n <= 0) {
        return NULL;
    }
    unsigned char *out = qtb_malloc((size_t)n);
    if (out != NULL) {
        memcpy(out, tmp, (size_t)n);
        *len = (size_t)n;
    }
    OPENSSL_free(tmp);
    return out;
}

/* PEM of a certificate (NUL-terminated) in a qtb_malloc'd buffer. */
static inline unsigned char *tg_pem(X509 *x, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    unsigned char *out = NULL;
    if (b != NULL && PEM_write_bio_X509(b, x)) {
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        out = qtb_malloc((size_t)n + 1);
        if (out != NULL) {
            memcpy(out, p, (size_t)n);
            out[n] = '\0';
            *len = (size_t)n;
        }
    }
    BIO_free(b);
    return out;
}

#endif
