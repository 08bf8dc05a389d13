/*
 * qtb_cert_cache: decoded certificates by SHA-256 of their DER, for the verifiers. A fixed
 * table of slots (direct-mapped on the hash; a collision replaces the older entry) behind one
 * rwlock: lookups share it, inserts are rare. Entries are X509 objects with their own
 * reference, handed out with another one, so an evicted certificate lives on with its users.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <qtb/verify.h>

#include "certcache_int.h"
#include "internal.h"

#define DEFAULT_SLOTS 1024u
#define MAX_SLOTS (1u << 20)

typedef struct slot {
    unsigned char fp[32];
    X509 *x;
} slot;

struct qtb_cert_cache {
    pthread_rwlock_t lock;
    slot *slots;
    size_t nslots;
};

int qtb_cert_cache_new(qtb_cert_cache **out, size_t slots)
{
    QTB_ASSERT_ARG(out != NULL);
    *out = NULL;
    if (slots == 0) {
        slots = DEFAULT_SLOTS;
    }
    if (slots > MAX_SLOTS) {
        return QTB_FAIL(QTB_ETOOBIG, "at most %u cache slots", MAX_SLOTS);
    }
    qtb_cert_cache *c = qtb_calloc(1, sizeof(*c));
    if (c == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    c->slots = qtb_calloc(slots, sizeof(*c->slots));
    if (c->slots == NULL || pthread_rwlock_init(&c->lock, NULL) != 0) {
        qtb_free(c->slots);
        qtb_free(c);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    c->nslots = slots;
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
    }
    pthread_rwlock_destroy(&c->lock);
    qtb_free(c->slots);
    qtb_free(c);
}

static X509 *parse(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    if (len > QTB_MAX_CERT_FILE) {
        return NULL;
    }
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

X509 *qtb_cert_cache_parse(qtb_cert_cache *c, const unsigned char *der, size_t len)
{
    if (c == NULL) {
        return parse(der, len);
    }
    unsigned char fp[32];
    unsigned int fp_len = 0;
    if (EVP_Digest(der, len, fp, &fp_len, EVP_sha256(), NULL) != 1) {
        return parse(der, len);
    }
    size_t idx = 0;
    memcpy(&idx, fp, sizeof(idx));
    slot *s = &c->slots[idx % c->nslots];
    X509 *hit = NULL;
    pthread_rwlock_rdlock(&c->lock);
    if (s->x != NULL && CRYPTO_memcmp(s->fp, fp, sizeof(fp)) == 0 && X509_up_ref(s->x) == 1) {
        hit = s->x;
    }
    pthread_rwlock_unlock(&c->lock);
    if (hit != NULL) {
        return hit;
    }
    X509 *x = parse(der, len);
    if (x == NULL || X509_up_ref(x) != 1) {
        return x;
    }
    X509 *old = NULL;
    pthread_rwlock_wrlock(&c->lock);
    old = s->x;
    memcpy(s->fp, fp, sizeof(fp));
    s->x = x; /* the cache's reference */
    pthread_rwlock_unlock(&c->lock);
    X509_free(old);
    return x;
}
