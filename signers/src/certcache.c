/*
 * A bounded, thread-safe cache of decoded certificates, keyed by the SHA-256 of their DER.
 * Decoding a certificate (its public key above all) is most of the cost of verifying a small
 * CMS with OpenSSL 3 (measured.md); signers repeat, so each is decoded once per cache.
 * Direct-mapped: a colliding certificate replaces the older one; readers share a read lock.
 */
#include <pthread.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <qtb/verify.h>

#include "certcache_int.h"
#include "certinfo_int.h"
#include "internal.h"

#define FP_LEN 32

typedef struct slot {
    unsigned char fp[FP_LEN];
    X509 *x; /* NULL when empty */
} slot;

/* The report JSON of a certificate; the slot holds a reference, so the pointer is its key. */
typedef struct info_slot {
    X509 *x;
    json_t *certinfo; /* qtb_certinfo_json, or NULL until asked for */
    json_t *subject;  /* RFC 4514 string, or NULL until asked for */
} info_slot;

struct qtb_cert_cache {
    pthread_rwlock_t lock;
    EVP_MD *sha256; /* fetched once: no method-store lookups per document */
    size_t nslots;
    slot *slots;
    info_slot *info; /* nslots of them, under the same lock */
};

int qtb_cert_cache_new(qtb_cert_cache **out, size_t slots)
{
    QTB_ASSERT_ARG(out != NULL);
    *out = NULL;
    if (slots == 0) {
        slots = 1024;
    }
    if (slots > (1u << 20)) {
        return QTB_FAIL(QTB_ETOOBIG, "a certificate cache of %zu slots is too large", slots);
    }
    qtb_cert_cache *c = qtb_calloc(1, sizeof(*c));
    if (c == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory for a certificate cache");
    }
    c->slots = qtb_calloc(slots, sizeof(*c->slots));
    c->info = qtb_calloc(slots, sizeof(*c->info));
    c->nslots = slots;
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (c->slots == NULL || c->info == NULL || c->sha256 == NULL ||
        pthread_rwlock_init(&c->lock, NULL) != 0) {
        EVP_MD_free(c->sha256);
        qtb_free(c->slots);
        qtb_free(c->info);
        qtb_free(c);
        ERR_clear_error();
        return QTB_FAIL(QTB_ENOMEM, "cannot create a certificate cache");
    }
    *out = c;
    return 0;
}

void qtb_cert_cache_free(qtb_cert_cache *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->nslots; i++) {
        X509_free(c->slots[i].x);
        X509_free(c->info[i].x);
        json_decref(c->info[i].certinfo);
        json_decref(c->info[i].subject);
    }
    pthread_rwlock_destroy(&c->lock);
    EVP_MD_free(c->sha256);
    qtb_free(c->slots);
    qtb_free(c->info);
    qtb_free(c);
}

static int decode(X509 **out, const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    *out = NULL;
    if (len > QTB_MAX_CERT_FILE) {
        return QTB_FAIL(QTB_ETOOBIG, "certificate larger than %u bytes", QTB_MAX_CERT_FILE);
    }
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL || p != der + len) {
        X509_free(x);
        ERR_clear_error();
        return QTB_FAIL(QTB_EPARSE, "malformed certificate");
    }
    /* Fill OpenSSL's extension cache now, while the object is private to this thread. */
    X509_check_purpose(x, -1, 0);
    ERR_clear_error();
    *out = x;
    return 0;
}

int qtb_cert_cache_get(X509 **out, qtb_cert_cache *c, const unsigned char *der, size_t len)
{
    QTB_ASSERT_ARG(out != NULL && der != NULL);
    if (c == NULL) {
        return decode(out, der, len);
    }
    unsigned char fp[FP_LEN];
    unsigned int n = 0;
    if (EVP_Digest(der, len, fp, &n, c->sha256, NULL) != 1 || n != FP_LEN) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256 failed");
    }
    size_t idx = (((size_t)fp[0] << 16) | ((size_t)fp[1] << 8) | fp[2]) % c->nslots;
    slot *s = &c->slots[idx];
    X509 *hit = NULL;
    pthread_rwlock_rdlock(&c->lock);
    if (s->x != NULL && CRYPTO_memcmp(s->fp, fp, FP_LEN) == 0 && X509_up_ref(s->x) == 1) {
        hit = s->x;
    }
    pthread_rwlock_unlock(&c->lock);
    if (hit != NULL) {
        *out = hit;
        return 0;
    }
    X509 *x = NULL;
    QTB_TRY(decode(&x, der, len));
    if (X509_up_ref(x) != 1) {
        *out = x;
        return 0;
    }
    X509 *old = NULL;
    pthread_rwlock_wrlock(&c->lock);
    old = s->x;
    memcpy(s->fp, fp, FP_LEN);
    s->x = x;
    pthread_rwlock_unlock(&c->lock);
    X509_free(old);
    *out = x;
    return 0;
}

static int build(json_t **out, X509 *x, bool certinfo)
{
    if (certinfo) {
        return qtb_certinfo_json(out, x);
    }
    char *name = NULL;
    QTB_TRY(qtb_name_rfc4514(&name, X509_get_subject_name(x)));
    *out = json_string(name);
    qtb_free(name);
    if (*out == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory for a subject name");
    }
    return 0;
}

/*
 * The cached JSON never leaves the cache: callers get a deep copy, so no jansson reference
 * count is shared between threads.
 */
static int cached_json(json_t **out, qtb_cert_cache *c, X509 *x, bool certinfo)
{
    QTB_ASSERT_ARG(out != NULL && x != NULL);
    *out = NULL;
    if (c == NULL) {
        return build(out, x, certinfo);
    }
    uintptr_t h = (uintptr_t)x;
    size_t idx = (size_t)((h >> 4) ^ (h >> 13)) % c->nslots;
    info_slot *s = &c->info[idx];
    bool hit = false;
    pthread_rwlock_rdlock(&c->lock);
    if (s->x == x) {
        json_t *j = certinfo ? s->certinfo : s->subject;
        if (j != NULL) {
            *out = json_deep_copy(j);
            hit = true;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    if (hit) {
        return *out != NULL ? 0 : QTB_FAIL(QTB_ENOMEM, "out of memory copying a report part");
    }
    json_t *j = NULL;
    QTB_TRY(build(&j, x, certinfo));
    if (X509_up_ref(x) != 1) {
        *out = j;
        return 0;
    }
    X509 *old_x = NULL;
    json_t *old_a = NULL, *old_b = NULL;
    pthread_rwlock_wrlock(&c->lock);
    if (s->x != x) {
        old_x = s->x;
        old_a = s->certinfo;
        old_b = s->subject;
        s->x = x;
        s->certinfo = NULL;
        s->subject = NULL;
    } else {
        old_x = x; /* the slot already holds a reference */
    }
    json_t **dst = certinfo ? &s->certinfo : &s->subject;
    json_t *copy = NULL;
    if (*dst == NULL) {
        /* The cache keeps its own copy: no reference to it ever leaves the lock. */
        copy = json_deep_copy(j);
        *dst = copy;
    }
    pthread_rwlock_unlock(&c->lock);
    X509_free(old_x);
    json_decref(old_a);
    json_decref(old_b);
    *out = j;
    return 0;
}

int qtb_cert_cache_certinfo(json_t **out, qtb_cert_cache *c, X509 *x)
{
    return cached_json(out, c, x, true);
}

int qtb_cert_cache_subject(json_t **out, qtb_cert_cache *c, X509 *x)
{
    return cached_json(out, c, x, false);
}
