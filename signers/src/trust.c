/*
 * The trust set: anchors, untrusted intermediates and CRLs, loaded once and then shared,
 * read-only, by every thread. What each validation would otherwise recompute is done here at
 * load time: the DER and SHA-256 fingerprint of every certificate and CRL, OpenSSL's extension
 * cache (X509_check_purpose), the decoded public keys (parsed once by d2i), and the sorted
 * revoked-entry list of every CRL.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "report_int.h"
#include "trust_priv.h"

/* ---- small helpers shared by path.c and crl.c ----------------------------------------------- */

int qtb_trust_fingerprint(unsigned char out[QTB_FP_LEN], const qtb_trust *t,
                          const unsigned char *data, size_t len)
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, t->sha256, NULL) != 1 || n != QTB_FP_LEN) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256 failed");
    }
    return 0;
}

int qtb_asn1_time_to_epoch(int64_t *out, const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return QTB_FAIL(QTB_EPARSE, "unreadable time");
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* Control characters from a certificate never reach a one-line message. */
static void sanitize(char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            *s = '?';
        }
    }
}

void qtb_name_label(char *buf, size_t cap, const X509_NAME *name)
{
    if (cap == 0) {
        return;
    }
    buf[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    /* RFC 2253 order and escaping, but UTF-8 kept as is (Kazakh names stay readable) */
    unsigned long fl = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (bio != NULL && X509_NAME_print_ex(bio, name, 0, fl) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        snprintf(buf, cap, "%.*s", (int)(n > 400 ? 400 : n), data != NULL ? data : "");
    } else {
        snprintf(buf, cap, "(unreadable name)");
    }
    BIO_free(bio);
    ERR_clear_error();
    sanitize(buf);
}

void qtb_cert_label(char *buf, size_t cap, const X509 *x)
{
    if (cap == 0) {
        return;
    }
    buf[0] = '\0';
    const X509_NAME *name = X509_get_subject_name(x);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx >= 0) {
        const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, cn);
        if (n >= 0) {
            snprintf(buf, cap, "%.*s", n, (const char *)utf8);
            OPENSSL_free(utf8);
            sanitize(buf);
            return;
        }
        ERR_clear_error();
    }
    qtb_name_label(buf, cap, name);
}

void qtb_certmeta_init(qtb_certmeta *m, const X509 *x)
{
    m->times_ok = qtb_asn1_time_to_epoch(&m->not_before, X509_get0_notBefore(x)) == 0 &&
                  qtb_asn1_time_to_epoch(&m->not_after, X509_get0_notAfter(x)) == 0;
    if (!m->times_ok) {
        qtb_error_clear();
    }
    qtb_cert_label(m->label, sizeof(m->label), x);
}

/* ---- the signature cache ------------------------------------------------------------------ */

static size_t cache_index(const unsigned char subject[QTB_FP_LEN],
                          const unsigned char signer[QTB_FP_LEN])
{
    uint32_t h = 0;
    for (size_t i = 0; i < 4; i++) {
        h = (h << 8) | (uint32_t)(subject[i] ^ signer[QTB_FP_LEN - 1 - i]);
    }
    return h % QTB_SIG_CACHE_SLOTS;
}

int qtb_sig_cache_get(const qtb_trust *t, const unsigned char subject[QTB_FP_LEN],
                      const unsigned char signer[QTB_FP_LEN])
{
    qtb_sig_cache *c = t->cache;
    const qtb_sig_cache_slot *s = &c->slots[cache_index(subject, signer)];
    int result = -1;
    if (pthread_rwlock_rdlock(&c->lock) != 0) {
        return -1;
    }
    if (s->state != 0 && memcmp(s->subject, subject, QTB_FP_LEN) == 0 &&
        memcmp(s->signer, signer, QTB_FP_LEN) == 0) {
        result = s->state == 1 ? 1 : 0;
    }
    pthread_rwlock_unlock(&c->lock);
    return result;
}

void qtb_sig_cache_put(const qtb_trust *t, const unsigned char subject[QTB_FP_LEN],
                       const unsigned char signer[QTB_FP_LEN], int ok)
{
    qtb_sig_cache *c = t->cache;
    qtb_sig_cache_slot *s = &c->slots[cache_index(subject, signer)];
    if (pthread_rwlock_wrlock(&c->lock) != 0) {
        return;
    }
    memcpy(s->subject, subject, QTB_FP_LEN);
    memcpy(s->signer, signer, QTB_FP_LEN);
    s->state = ok ? 1 : 2;
    pthread_rwlock_unlock(&c->lock);
}

/* ---- life cycle ---------------------------------------------------------------------------- */

int qtb_trust_new(qtb_trust **out)
{
    QTB_ASSERT_ARG(out != NULL);
    *out = NULL;
    qtb_trust *t = qtb_calloc(1, sizeof(*t));
    if (t == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    t->cache = qtb_calloc(1, sizeof(*t->cache));
    if (t->cache == NULL) {
        qtb_free(t);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (pthread_rwlock_init(&t->cache->lock, NULL) != 0) {
        qtb_free(t->cache);
        qtb_free(t);
        return QTB_FAIL(QTB_EGENERIC, "cannot create a lock");
    }
    t->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (t->sha256 == NULL) {
        qtb_trust_free(t);
        return QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256 is not available");
    }
    *out = t;
    return 0;
}

static void tcert_dispose(qtb_tcert *c)
{
    X509_free(c->x);
    OPENSSL_free(c->der);
}

void qtb_trust_free(qtb_trust *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->nanchors; i++) {
        tcert_dispose(&t->anchors[i]);
    }
    for (size_t i = 0; i < t->nuntrusted; i++) {
        tcert_dispose(&t->untrusted[i]);
    }
    for (size_t i = 0; i < t->ncrls; i++) {
        X509_CRL_free(t->crls[i].crl);
        ISSUING_DIST_POINT_free(t->crls[i].idp);
        ASN1_OCTET_STRING_free(t->crls[i].akid);
        OPENSSL_free(t->crls[i].der);
        qtb_free(t->crls[i].file);
    }
    qtb_free(t->anchors);
    qtb_free(t->untrusted);
    qtb_free(t->crls);
    EVP_MD_free(t->sha256);
    if (t->cache != NULL) {
        pthread_rwlock_destroy(&t->cache->lock);
        qtb_free(t->cache);
    }
    qtb_free(t);
}

size_t qtb_trust_anchor_count(const qtb_trust *t)
{
    return t != NULL ? t->nanchors : 0;
}

size_t qtb_trust_crl_count(const qtb_trust *t)
{
    return t != NULL ? t->ncrls : 0;
}

/* ---- adding items ----------------------------------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) {
        return 0;
    }
    size_t ncap = *cap == 0 ? 8 : *cap * 2;
    size_t bytes = 0;
    if (qtb_mul_overflows(ncap, elem, &bytes)) {
        return QTB_FAIL(QTB_ETOOBIG, "too many trust items");
    }
    void *p = qtb_realloc(*arr, bytes);
    if (p == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

static bool have_fp(const qtb_tcert *list, size_t n, const unsigned char fp[QTB_FP_LEN])
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(list[i].fp, fp, QTB_FP_LEN) == 0) {
            return true;
        }
    }
    return false;
}

/* Takes `x` (freed on every path). */
static int add_cert_take(qtb_trust *t, X509 *x, bool anchor, const char *file)
{
    int rc = 0;
    qtb_tcert c = {.x = x};
    int n = i2d_X509(x, &c.der);
    if (n <= 0) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "%s: cannot encode a certificate", file);
        goto done;
    }
    c.der_len = (size_t)n;
    QTB_TRY_GOTO(qtb_trust_fingerprint(c.fp, t, c.der, c.der_len));
    qtb_certmeta_init(&c.meta, x);
    /* Fill OpenSSL's extension cache now, while the set is still private to one thread. */
    X509_check_purpose(x, -1, 0);
    ERR_clear_error();
    if (have_fp(t->anchors, t->nanchors, c.fp) ||
        (!anchor && have_fp(t->untrusted, t->nuntrusted, c.fp))) {
        goto done; /* already known; an anchor stays an anchor */
    }
    if (anchor) {
        /* anchors and untrusted stay disjoint: a certificate trusted later is promoted */
        for (size_t i = 0; i < t->nuntrusted; i++) {
            if (memcmp(t->untrusted[i].fp, c.fp, QTB_FP_LEN) == 0) {
                tcert_dispose(&t->untrusted[i]);
                t->untrusted[i] = t->untrusted[--t->nuntrusted];
                break;
            }
        }
        QTB_TRY_GOTO(grow((void **)&t->anchors, &t->anchors_cap, t->nanchors, sizeof(c)));
        t->anchors[t->nanchors++] = c;
    } else {
        QTB_TRY_GOTO(grow((void **)&t->untrusted, &t->untrusted_cap, t->nuntrusted, sizeof(c)));
        t->untrusted[t->nuntrusted++] = c;
    }
    return 0;
done:
    tcert_dispose(&c);
    return rc;
}

static int add_crl_take(qtb_trust *t, X509_CRL *crl, const char *file)
{
    int rc = 0;
    qtb_tcrl c = {.crl = crl};
    int n = i2d_X509_CRL(crl, &c.der);
    if (n <= 0) {
        rc = QTB_FAIL_SSL(QTB_EPARSE, "%s: cannot encode a CRL", file);
        goto done;
    }
    c.der_len = (size_t)n;
    QTB_TRY_GOTO(qtb_trust_fingerprint(c.fp, t, c.der, c.der_len));
    for (size_t i = 0; i < t->ncrls; i++) {
        if (memcmp(t->crls[i].fp, c.fp, QTB_FP_LEN) == 0) {
            goto done;
        }
    }
    if (qtb_asn1_time_to_epoch(&c.this_update, X509_CRL_get0_lastUpdate(crl)) < 0) {
        rc = QTB_FAIL(QTB_EPARSE, "%s: CRL without a readable thisUpdate", file);
        goto done;
    }
    qtb_time_rfc3339(c.this_update_text, sizeof(c.this_update_text), c.this_update);
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    if (next != NULL && qtb_asn1_time_to_epoch(&c.next_update, next) < 0) {
        rc = QTB_FAIL(QTB_EPARSE, "%s: CRL with an unreadable nextUpdate", file);
        goto done;
    }
    int crit = 0;
    ASN1_INTEGER *delta = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
    c.delta = delta != NULL || crit != -1;
    ASN1_INTEGER_free(delta);
    QTB_TRY_GOTO(qtb_crl_profile(&c));
    /*
     * OpenSSL sorts the revoked entries on the first lookup, under a write lock; do it now so
     * that lookups during validation only read.
     */
    X509_REVOKED *unused = NULL;
    ASN1_INTEGER *zero = ASN1_INTEGER_new();
    if (zero == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    (void)X509_CRL_get0_by_serial(crl, &unused, zero);
    ASN1_INTEGER_free(zero);
    ERR_clear_error();
    c.file = qtb_strdup(file);
    if (c.file == NULL) {
        rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
        goto done;
    }
    QTB_TRY_GOTO(grow((void **)&t->crls, &t->crls_cap, t->ncrls, sizeof(c)));
    t->crls[t->ncrls++] = c;
    return 0;
done:
    X509_CRL_free(c.crl);
    ISSUING_DIST_POINT_free(c.idp);
    ASN1_OCTET_STRING_free(c.akid);
    OPENSSL_free(c.der);
    qtb_free(c.file);
    return rc;
}

/* ---- parsing a trust file ------------------------------------------------------------------ */

enum { WANT_CERTS = 1, WANT_CRLS = 2 };

typedef struct loaded {
    STACK_OF(X509) * certs;
    STACK_OF(X509_CRL) * crls;
} loaded;

static void loaded_dispose(loaded *l)
{
    sk_X509_pop_free(l->certs, X509_free);
    sk_X509_CRL_pop_free(l->crls, X509_CRL_free);
}

/* One DER object: a certificate or a CRL, consuming all of `der`. */
static int parse_der_object(loaded *l, const unsigned char *der, size_t len, const char *file)
{
    QTB_ENSURE(len <= LONG_MAX, QTB_ETOOBIG, "%s: too large", file);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p == der + len) {
        if (sk_X509_push(l->certs, x) <= 0) {
            X509_free(x);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        return 0;
    }
    X509_free(x);
    p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl != NULL && p == der + len) {
        if (sk_X509_CRL_push(l->crls, crl) <= 0) {
            X509_CRL_free(crl);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        return 0;
    }
    X509_CRL_free(crl);
    return QTB_FAIL_SSL(QTB_EPARSE, "%s: not a certificate or CRL", file);
}

/* DER starts with a SEQUENCE tag; anything else is read as PEM if it has a PEM header. */
static bool looks_like_pem(const unsigned char *data, size_t len)
{
    static const char marker[] = "-----BEGIN ";
    if (len == 0 || data[0] == 0x30) {
        return false;
    }
    for (size_t i = 0; i + sizeof(marker) - 1 <= len; i++) {
        if (data[i] == '-' && memcmp(data + i, marker, sizeof(marker) - 1) == 0) {
            return true;
        }
    }
    return false;
}

static int parse_pem(loaded *l, const unsigned char *data, size_t len, const char *file)
{
    int rc = 0;
    int ilen = 0;
    QTB_TRY(qtb_size_to_int(&ilen, len));
    BIO *bio = BIO_new_mem_buf(data, ilen);
    if (bio == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    size_t blocks = 0;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *body = NULL;
        long blen = 0;
        if (PEM_read_bio(bio, &name, &header, &body, &blen) != 1) {
            unsigned long e = ERR_peek_last_error();
            if (blocks > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM &&
                ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error();
                break;
            }
            rc = QTB_FAIL_SSL(QTB_EPARSE, "%s: unreadable PEM", file);
            break;
        }
        blocks++;
        if (strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0 ||
            strcmp(name, PEM_STRING_X509_CRL) == 0) {
            rc = parse_der_object(l, body, (size_t)blen, file);
        } else {
            rc = QTB_FAIL(QTB_EPARSE, "%s: unexpected PEM block \"%.40s\"", file, name);
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(body);
        if (rc < 0) {
            break;
        }
    }
    BIO_free(bio);
    return rc;
}

static int load_mem(loaded *l, const unsigned char *data, size_t len, unsigned want,
                    const char *name)
{
    l->certs = sk_X509_new_null();
    l->crls = sk_X509_CRL_new_null();
    if (l->certs == NULL || l->crls == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    QTB_ENSURE(len <= QTB_MAX_TRUST_FILE, QTB_ETOOBIG, "%s: larger than %u bytes", name,
               QTB_MAX_TRUST_FILE);
    if (looks_like_pem(data, len)) {
        QTB_TRY(parse_pem(l, data, len, name));
    } else {
        QTB_TRY(parse_der_object(l, data, len, name));
    }
    QTB_ENSURE((want & WANT_CERTS) != 0 || sk_X509_num(l->certs) == 0, QTB_EPARSE,
               "%s: holds a certificate where a CRL was expected", name);
    QTB_ENSURE((want & WANT_CRLS) != 0 || sk_X509_CRL_num(l->crls) == 0, QTB_EPARSE,
               "%s: holds a CRL where a certificate was expected", name);
    return 0;
}

static int load_file(loaded *l, const char *path, unsigned want)
{
    unsigned char *data = NULL;
    size_t len = 0;
    QTB_TRY(qtb_file_read(&data, &len, path, QTB_MAX_TRUST_FILE));
    int rc = load_mem(l, data, len, want, path);
    qtb_free(data);
    return rc;
}

/* Move everything loaded into the set (anchors or untrusted for the certificates). */
static int adopt(qtb_trust *t, loaded *l, bool anchors, const char *path)
{
    X509 *x = NULL;
    while ((x = sk_X509_shift(l->certs)) != NULL) {
        QTB_TRY(add_cert_take(t, x, anchors, path));
    }
    X509_CRL *crl = NULL;
    while ((crl = sk_X509_CRL_shift(l->crls)) != NULL) {
        QTB_TRY(add_crl_take(t, crl, path));
    }
    return 0;
}

static int add_file(qtb_trust *t, const char *path, unsigned want, bool anchors)
{
    QTB_ASSERT_ARG(t != NULL && path != NULL);
    loaded l = {0};
    int rc = load_file(&l, path, want);
    if (rc == 0) {
        rc = adopt(t, &l, anchors, path);
    }
    loaded_dispose(&l);
    return rc;
}

int qtb_trust_add_mem(qtb_trust *t, const unsigned char *data, size_t len, const char *name)
{
    QTB_ASSERT_ARG(t != NULL && (data != NULL || len == 0) && name != NULL);
    loaded l = {0};
    int rc = load_mem(&l, data, len, WANT_CERTS | WANT_CRLS, name);
    if (rc == 0) {
        rc = adopt(t, &l, true, name);
    }
    loaded_dispose(&l);
    return rc;
}

int qtb_trust_add_anchor_file(qtb_trust *t, const char *path)
{
    return add_file(t, path, WANT_CERTS, true);
}

int qtb_trust_add_untrusted_file(qtb_trust *t, const char *path)
{
    return add_file(t, path, WANT_CERTS, false);
}

int qtb_trust_add_crl_file(qtb_trust *t, const char *path)
{
    return add_file(t, path, WANT_CRLS, false);
}

int qtb_trust_add_cert(qtb_trust *t, X509 *x, bool anchor)
{
    QTB_ASSERT_ARG(t != NULL && x != NULL);
    if (X509_up_ref(x) != 1) {
        return QTB_FAIL(QTB_EGENERIC, "cannot reference a certificate");
    }
    return add_cert_take(t, x, anchor, "(memory)");
}

int qtb_trust_add_crl(qtb_trust *t, X509_CRL *crl)
{
    QTB_ASSERT_ARG(t != NULL && crl != NULL);
    if (X509_CRL_up_ref(crl) != 1) {
        return QTB_FAIL(QTB_EGENERIC, "cannot reference a CRL");
    }
    return add_crl_take(t, crl, "(memory)");
}

/* ---- folders --------------------------------------------------------------------------- */

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcasecmp(name + n - s, suffix) == 0;
}

/*
 * Which files of a folder are read. The content decides what a file holds (a .pem may bundle
 * CRLs with certificates, a .der may be either); any other name is refused rather than skipped,
 * so a misplaced file in a trust folder is noticed.
 */
static unsigned wanted_by_name(const char *name)
{
    static const char *const ext[] = {".pem", ".crt", ".cer", ".der", ".crl"};
    for (size_t i = 0; i < QTB_ARRAY_LEN(ext); i++) {
        if (has_suffix(name, ext[i])) {
            return WANT_CERTS | WANT_CRLS;
        }
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        qtb_free(names[i]);
    }
    qtb_free(names);
}

/* The regular files of `dir`, sorted (so errors and limits do not depend on readdir order). */
static int list_dir(char ***out, size_t *count, const char *dir)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        return QTB_FAIL(QTB_EIO, "cannot read the trust folder %s: %s", dir, strerror(errno));
    }
    int rc = 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e = NULL;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue; /* ".", "..", hidden files */
        }
        if (n >= QTB_MAX_TRUST_FILES) {
            rc = QTB_FAIL(QTB_ETOOBIG, "%s holds more than %u files", dir, QTB_MAX_TRUST_FILES);
            goto done;
        }
        QTB_TRY_GOTO(grow((void **)&names, &cap, n, sizeof(char *)));
        names[n] = qtb_strdup(e->d_name);
        if (names[n] == NULL) {
            rc = QTB_FAIL(QTB_ENOMEM, "out of memory");
            goto done;
        }
        n++;
    }
    if (n > 1) {
        qsort(names, n, sizeof(char *), cmp_names);
    }
done:
    closedir(d);
    if (rc < 0) {
        free_names(names, n);
        return rc;
    }
    *out = names;
    *count = n;
    return 0;
}

int qtb_trust_add_dir(qtb_trust *t, const char *dir)
{
    QTB_ASSERT_ARG(t != NULL && dir != NULL);
    char **names = NULL;
    size_t n = 0;
    QTB_TRY(list_dir(&names, &n, dir));
    int rc = 0;
    qtb_buf path;
    qtb_buf_init(&path, 8192);
    for (size_t i = 0; i < n; i++) {
        path.len = 0;
        QTB_TRY_GOTO(qtb_buf_printf(&path, "%s/%s", dir, names[i]));
        QTB_TRY_GOTO(qtb_buf_cstr(&path));
        const char *p = (const char *)path.data;
        struct stat st;
        if (stat(p, &st) != 0) {
            rc = QTB_FAIL(QTB_EIO, "cannot read %s: %s", p, strerror(errno));
            goto done;
        }
        if (!S_ISREG(st.st_mode)) {
            continue; /* sub-folders are not searched */
        }
        unsigned want = wanted_by_name(names[i]);
        if (want == 0) {
            rc = QTB_FAIL(QTB_EPARSE,
                          "%s: not a certificate or CRL file (expected .pem .crt .cer .der .crl)",
                          p);
            goto done;
        }
        QTB_TRY_GOTO(add_file(t, p, want, true));
    }
done:
    qtb_buf_dispose(&path);
    free_names(names, n);
    return rc;
}
