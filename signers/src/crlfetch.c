/*
 * CRLs downloaded from a certificate's cRLDistributionPoints (or a configured URL), kept per URL
 * in memory and, when a cache folder is given, on disk with their HTTP validators, so a later
 * process revalidates with a conditional GET (If-None-Match / If-Modified-Since) instead of a
 * full download. A download replaces the last good copy only when it is a single full CRL whose
 * issuer is the certificate's issuer, whose signature verifies with the issuer's key and which
 * is fresh; otherwise (empty, 404, unsigned, wrong issuer, stale, too slow) the last good copy
 * stays in use and the verdict says so. Every CRL is then judged by crl.c (qtb_crl_check) in a
 * one-CRL trust set, exactly like the CRLs of --trust folders. Thread-safe: one download per URL
 * in flight; others wait for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "report_int.h"
#include "revocation_int.h"
#include "sigalg.h"

#define CRL_SLOTS 64u
#define CRL_MAX_URLS 4 /* distribution points tried per certificate */
#define CRL_URL_MAX 256
/* A failed download with no copy at hand is not retried for this long (at most the TTL). */
#define CRL_FAILURE_TTL_S 10

typedef struct centry {
    bool used;
    bool in_flight;
    bool disk_tried;
    char url[CRL_URL_MAX];
    unsigned char issuer_fp[QTB_FP_LEN]; /* one entry per (URL, issuer) */
    bool delta;                          /* a delta CRL (FreshestCRL) is expected here */
    qtb_trust *holder;                   /* the last good copy (one CRL), or NULL */
    int64_t fetched;                     /* wall clock of its last download or 304 */
    int64_t failed_at;                   /* wall clock of the last failed download, 0: none */
    int64_t this_update, next_update;
    qtb_http_cond cond;
    char problem[160]; /* why the last download was not used; "" when it was */
    uint64_t last_use;
} centry;

struct qtb_crl_store {
    pthread_mutex_t lock;
    pthread_cond_t done;
    char *dir; /* NULL: memory only */
    long ttl_s;
    uint64_t tick;
    centry e[CRL_SLOTS];
};

int qtb_crl_store_new(qtb_crl_store **out, const char *dir, long ttl_s)
{
    *out = NULL;
    qtb_crl_store *s = qtb_calloc(1, sizeof(*s));
    if (s == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        qtb_free(s);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (pthread_cond_init(&s->done, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        qtb_free(s);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    s->ttl_s = ttl_s;
    if (dir != NULL) {
        size_t len = strlen(dir);
        s->dir = qtb_malloc(len + 1);
        if (s->dir == NULL) {
            qtb_crl_store_free(s);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        memcpy(s->dir, dir, len + 1);
        struct stat st;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            qtb_crl_store_free(s);
            return QTB_FAIL(QTB_EIO, "cannot create the CRL cache folder %.200s", dir);
        }
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            qtb_crl_store_free(s);
            return QTB_FAIL(QTB_EIO, "CRL cache %.200s is not a folder", dir);
        }
    }
    *out = s;
    return 0;
}

void qtb_crl_store_free(qtb_crl_store *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < CRL_SLOTS; i++) {
        qtb_trust_free(s->e[i].holder);
    }
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->lock);
    qtb_free(s->dir);
    qtb_free(s);
}

/* ---- the distribution points ---------------------------------------------------------------- */

/* The http(s) fullName URIs of a certificate's cRLDistributionPoints or freshestCRL (`nid`);
 * with a mirror, each becomes mirror + its last path segment. */
static size_t dp_urls(char urls[CRL_MAX_URLS][CRL_URL_MAX], X509 *x, int nid, const char *mirror)
{
    size_t n = 0;
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, nid, NULL, NULL);
    for (int i = 0; i < sk_DIST_POINT_num(dps) && n < CRL_MAX_URLS; i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (dp->distpoint == NULL || dp->distpoint->type != 0) {
            continue; /* only fullName */
        }
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names) && n < CRL_MAX_URLS; j++) {
            GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
            if (gn->type != GEN_URI) {
                continue;
            }
            const char *u = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
            int len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
            if (len <= 0 || len >= CRL_URL_MAX || memchr(u, '\0', (size_t)len) != NULL ||
                (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)) {
                continue;
            }
            memcpy(urls[n], u, (size_t)len);
            urls[n][len] = '\0';
            if (mirror != NULL) {
                const char *name = strrchr(urls[n], '/');
                char tmp[CRL_URL_MAX];
                int w = snprintf(tmp, sizeof(tmp), "%s%s", mirror, name != NULL ? name + 1 : "");
                if (name == NULL || name[1] == '\0' || w < 0 || (size_t)w >= sizeof(tmp)) {
                    continue;
                }
                memcpy(urls[n], tmp, (size_t)w + 1);
            }
            n++;
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return n;
}

/* ---- candidates ----------------------------------------------------------------------------- */

/*
 * A one-CRL trust set from downloaded (or cached) bytes, if they are a single full CRL of
 * `issuer`, signed by it and (when check_fresh) fresh at `wall`; else NULL with `why`.
 */
static int candidate(qtb_trust **out, char *why, size_t cap, const unsigned char *data, size_t len,
                     const char *url, X509 *issuer, bool want_delta, bool check_fresh, int64_t wall)
{
    *out = NULL;
    if (len == 0) {
        snprintf(why, cap, "empty download");
        return 0;
    }
    qtb_trust *h = NULL;
    QTB_TRY(qtb_trust_new(&h));
    int rc = qtb_trust_add_mem(h, data, len, url);
    if (rc == QTB_ENOMEM) {
        qtb_trust_free(h);
        return rc;
    }
    if (rc != 0 || h->ncrls != 1 || h->nanchors != 0 || h->nuntrusted != 0) {
        qtb_error_clear();
        snprintf(why, cap, "not a single CRL");
        qtb_trust_free(h);
        return 0;
    }
    const qtb_tcrl *c = &h->crls[0];
    char tmp[32];
    int ok = 0;
    if (c->delta != want_delta) {
        snprintf(why, cap,
                 want_delta ? "a full CRL where a delta CRL was expected"
                            : "a delta CRL where a full CRL was expected");
    } else if (X509_NAME_cmp(X509_CRL_get_issuer(c->crl), X509_get_subject_name(issuer)) != 0) {
        snprintf(why, cap, "issued by another CA");
    } else if ((rc = qtb_sig_verify_crl(&ok, c->crl, issuer)) != 0 || !ok) {
        if (rc == QTB_ENOMEM) {
            qtb_trust_free(h);
            return rc;
        }
        snprintf(why, cap, "signature does not verify with the issuer's key");
        qtb_error_clear();
    } else if (check_fresh && c->next_update != 0 && wall > c->next_update) {
        qtb_time_rfc3339(tmp, sizeof(tmp), c->next_update);
        snprintf(why, cap, "stale (nextUpdate %s)", tmp);
    } else {
        *out = h;
        return 0;
    }
    qtb_trust_free(h);
    return 0;
}

/* ---- the disk cache -------------------------------------------------------------------------- */

/* DIR/<SHA-256(issuer fingerprint || URL), 20 bytes in hex><ext> */
static int disk_path(char *buf, size_t cap, const qtb_crl_store *s, const centry *e,
                     const char *ext)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(ctx, e->issuer_fp, QTB_FP_LEN) == 1 &&
              EVP_DigestUpdate(ctx, e->url, strlen(e->url)) == 1 &&
              EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return QTB_FAIL_SSL(QTB_ECRYPTO, "SHA-256 failed");
    }
    char hex[41];
    qtb_hex_encode(hex, md, 20);
    int n = snprintf(buf, cap, "%s/%s%s", s->dir, hex, ext);
    if (n < 0 || (size_t)n >= cap) {
        return QTB_FAIL(QTB_ETOOBIG, "CRL cache path too long");
    }
    return 0;
}

/* The copy kept on disk, as the entry's last good copy (freshness judged later). */
static int disk_load(qtb_crl_store *s, centry *e, X509 *issuer)
{
    char path[4096], meta[4096];
    QTB_TRY(disk_path(path, sizeof(path), s, e, ".crl"));
    QTB_TRY(disk_path(meta, sizeof(meta), s, e, ".meta"));
    struct stat st;
    if (stat(path, &st) != 0) {
        return 0;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    if (qtb_file_read(&data, &len, path, QTB_MAX_TRUST_FILE) != 0) {
        qtb_error_clear();
        return 0;
    }
    char why[128];
    qtb_trust *h = NULL;
    int rc = candidate(&h, why, sizeof(why), data, len, e->url, issuer, e->delta, false, 0);
    qtb_free(data);
    QTB_TRY(rc);
    if (h == NULL) {
        return 0; /* a damaged cache file is ignored (and replaced by the next good download) */
    }
    e->holder = h;
    e->fetched = (int64_t)st.st_mtime;
    e->this_update = h->crls[0].this_update;
    e->next_update = h->crls[0].next_update;
    unsigned char *m = NULL;
    size_t mlen = 0;
    if (qtb_file_read(&m, &mlen, meta, 1024) == 0) {
        /* two lines: ETag, Last-Modified */
        const char *p = (const char *)m, *end = (const char *)m + mlen;
        const char *nl = memchr(p, '\n', mlen);
        if (nl != NULL && (size_t)(nl - p) < sizeof(e->cond.etag)) {
            memcpy(e->cond.etag, p, (size_t)(nl - p));
            e->cond.etag[nl - p] = '\0';
            p = nl + 1;
            nl = memchr(p, '\n', (size_t)(end - p));
            if (nl != NULL && (size_t)(nl - p) < sizeof(e->cond.last_modified)) {
                memcpy(e->cond.last_modified, p, (size_t)(nl - p));
                e->cond.last_modified[nl - p] = '\0';
            }
        }
        qtb_free(m);
    } else {
        qtb_error_clear();
    }
    return 0;
}

static void disk_store(const qtb_crl_store *s, const centry *e, const unsigned char *data,
                       size_t len)
{
    char path[4096], meta[4096], m[256];
    if (disk_path(path, sizeof(path), s, e, ".crl") != 0 ||
        disk_path(meta, sizeof(meta), s, e, ".meta") != 0) {
        qtb_error_clear();
        return;
    }
    int n = snprintf(m, sizeof(m), "%s\n%s\n", e->cond.etag, e->cond.last_modified);
    /* A cache that cannot be written only costs a download next time. */
    if (qtb_file_write_atomic(path, data, len) != 0 ||
        qtb_file_write_atomic(meta, m, n > 0 ? (size_t)n : 0) != 0) {
        qtb_error_clear();
    }
}

static void disk_touch(const qtb_crl_store *s, const centry *e)
{
    char path[4096];
    if (disk_path(path, sizeof(path), s, e, ".crl") != 0) {
        qtb_error_clear();
        return;
    }
    utimensat(AT_FDCWD, path, NULL, 0);
}

/* ---- one URL -------------------------------------------------------------------------------- */

static centry *entry_for(qtb_crl_store *s, const char *url,
                         const unsigned char issuer_fp[QTB_FP_LEN])
{
    centry *victim = NULL;
    for (size_t i = 0; i < CRL_SLOTS; i++) {
        centry *e = &s->e[i];
        if (e->used && strcmp(e->url, url) == 0 &&
            memcmp(e->issuer_fp, issuer_fp, QTB_FP_LEN) == 0) {
            return e;
        }
        if (!e->in_flight &&
            (victim == NULL || !e->used || (victim->used && e->last_use < victim->last_use))) {
            victim = e;
        }
    }
    if (victim == NULL) {
        return NULL;
    }
    qtb_trust_free(victim->holder);
    memset(victim, 0, sizeof(*victim));
    victim->used = true;
    snprintf(victim->url, sizeof(victim->url), "%s", url);
    memcpy(victim->issuer_fp, issuer_fp, QTB_FP_LEN);
    return victim;
}

static bool expired(const qtb_crl_store *s, const centry *e, int64_t wall)
{
    if (s->ttl_s < 0) {
        return true;
    }
    if (e->holder == NULL) {
        long retry = s->ttl_s < CRL_FAILURE_TTL_S ? s->ttl_s : CRL_FAILURE_TTL_S;
        return e->failed_at == 0 || wall >= e->failed_at + retry;
    }
    return wall >= e->fetched + s->ttl_s || (e->next_update != 0 && wall > e->next_update);
}

/* Download `url` into entry `e` (called with the lock released, e->in_flight owned). */
static int refresh(qtb_crl_store *s, centry *e, qtb_http_cond *cond, const qtb_http_opts *ho,
                   X509 *issuer)
{
    qtb_buf b;
    qtb_buf_init(&b, QTB_MAX_TRUST_FILE);
    int64_t wall = (int64_t)time(NULL);
    char why[160] = "";
    qtb_trust *h = NULL;
    int rc = qtb_http_fetch(&b, e->url, NULL, NULL, 0, ho, cond);
    if (rc == QTB_ENOMEM) {
        qtb_buf_dispose(&b);
        return rc;
    }
    if (rc < 0) {
        snprintf(why, sizeof(why), "%.150s", qtb_error_last()->message);
        qtb_error_clear();
    } else if (!cond->not_modified) {
        rc = candidate(&h, why, sizeof(why), b.data != NULL ? b.data : (const unsigned char *)"",
                       b.len, e->url, issuer, e->delta, true, wall);
        if (rc < 0) {
            qtb_buf_dispose(&b);
            return rc;
        }
    }
    pthread_mutex_lock(&s->lock);
    if (rc == 0 && cond->not_modified && e->holder != NULL) {
        e->fetched = wall;
        e->problem[0] = '\0';
        if (s->dir != NULL) {
            disk_touch(s, e);
        }
    } else if (h != NULL) {
        qtb_trust_free(e->holder);
        e->holder = h;
        e->fetched = wall;
        e->this_update = h->crls[0].this_update;
        e->next_update = h->crls[0].next_update;
        e->cond = *cond;
        e->problem[0] = '\0';
        if (s->dir != NULL) {
            disk_store(s, e, b.data, b.len);
        }
    } else {
        snprintf(e->problem, sizeof(e->problem), "%s", why[0] ? why : "not modified, no copy");
        e->failed_at = wall;
    }
    pthread_mutex_unlock(&s->lock);
    qtb_buf_dispose(&b);
    return 0;
}

/*
 * The entry for (url, issuer), refreshed when expired (unless offline). Returns with the lock
 * HELD and *out set (NULL when every slot is busy downloading).
 */
static int obtain(centry **out, qtb_crl_store *s, const char *url, bool delta, bool offline,
                  const qtb_http_opts *ho, X509 *issuer, const unsigned char issuer_fp[QTB_FP_LEN])
{
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    centry *e = NULL;
    for (;;) {
        e = entry_for(s, url, issuer_fp);
        if (e == NULL || !e->in_flight) {
            break;
        }
        pthread_cond_wait(&s->done, &s->lock);
    }
    *out = e;
    if (e == NULL) {
        return 0;
    }
    e->delta = delta;
    e->last_use = ++s->tick;
    if (e->holder == NULL && s->dir != NULL && !e->disk_tried) {
        e->disk_tried = true;
        rc = disk_load(s, e, issuer);
    }
    if (rc == 0 && !offline && expired(s, e, (int64_t)time(NULL))) {
        e->in_flight = true;
        qtb_http_cond cond = e->holder != NULL ? e->cond : (qtb_http_cond){0};
        pthread_mutex_unlock(&s->lock);
        rc = refresh(s, e, &cond, ho, issuer);
        pthread_mutex_lock(&s->lock);
        e->in_flight = false;
        pthread_cond_broadcast(&s->done);
    }
    return rc;
}

static void last_good_note(qtb_rev_result *out, const centry *e, const char *url)
{
    char note[sizeof(out->note)];
    snprintf(note, sizeof(note), "%s", out->note);
    if (e->problem[0] != '\0') {
        char tu[32];
        qtb_time_rfc3339(tu, sizeof(tu), e->this_update);
        snprintf(out->note, sizeof(out->note),
                 "%.60s; last download unusable (%.50s), last good copy of %s kept", note,
                 e->problem, tu);
    } else {
        snprintf(out->note, sizeof(out->note), "%.80s, fetched from %.90s", note, url);
    }
}

static int check_url(qtb_rev_result *out, qtb_crl_store *s, const char *url, const char *mirror,
                     bool deltas, bool offline, const qtb_http_opts *ho, X509 *subject,
                     X509 *issuer, const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca,
                     int64_t sig_time, int64_t now)
{
    memset(out, 0, sizeof(*out));
    out->reason = -1;
    centry *e = NULL;
    int rc = obtain(&e, s, url, false, offline, ho, issuer, issuer_fp);
    if (e == NULL) { /* every slot busy downloading */
        pthread_mutex_unlock(&s->lock);
        out->status = QTB_REV_STALE;
        snprintf(out->note, sizeof(out->note), "CRL cache busy");
        return rc;
    }
    if (rc == 0 && e->holder == NULL && offline) {
        /* as OCSP offline: not checked (and said), like a CA without any CRL */
        out->status = QTB_REV_NOT_CHECKED;
        snprintf(out->note, sizeof(out->note), "CRL from %.80s not cached (offline)", url);
    } else if (rc == 0 && e->holder == NULL) {
        out->status = QTB_REV_STALE;
        snprintf(out->note, sizeof(out->note), "CRL from %.80s unusable: %.90s", url, e->problem);
    } else if (rc == 0) {
        rc =
            qtb_crl_check(out, e->holder, subject, issuer, issuer_fp, subject_is_ca, sig_time, now);
        if (rc == 0) {
            last_good_note(out, e, url);
        }
    }
    bool want_delta = deltas && rc == 0 && e->holder != NULL &&
                      (out->status == QTB_REV_GOOD || out->status == QTB_REV_STALE ||
                       out->reason == 6 /* on hold: a delta may release it */);
    pthread_mutex_unlock(&s->lock);
    if (!want_delta) {
        return rc;
    }
    char durls[CRL_MAX_URLS][CRL_URL_MAX];
    size_t nd = dp_urls(durls, subject, NID_freshest_crl, mirror);
    for (size_t i = 0; i < nd; i++) {
        centry *d = NULL;
        QTB_TRY(obtain(&d, s, durls[i], true, offline, ho, issuer, issuer_fp));
        /* the base entry cannot have been evicted: a slot is recycled only by entry_for for
         * another URL, and `e` is found again by its URL and issuer */
        centry *base = entry_for(s, url, issuer_fp);
        if (d != NULL && d->holder != NULL && d->holder->ncrls == 1 && base != NULL &&
            base->holder != NULL && base->holder->ncrls == 1) {
            qtb_crl_apply_delta(out, &base->holder->crls[0], &d->holder->crls[0], subject, sig_time,
                                now);
            pthread_mutex_unlock(&s->lock);
            return 0;
        }
        pthread_mutex_unlock(&s->lock);
    }
    return 0;
}

int qtb_crl_fetch_check(qtb_rev_result *out, qtb_crl_store *s, const char *url_override,
                        const char *mirror, bool offline, const qtb_http_opts *ho, X509 *subject,
                        X509 *issuer, const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca,
                        int64_t sig_time, int64_t now)
{
    memset(out, 0, sizeof(*out));
    out->reason = -1;
    out->status = QTB_REV_NOT_CHECKED;
    char urls[CRL_MAX_URLS][CRL_URL_MAX];
    size_t n = 0;
    if (url_override != NULL) {
        snprintf(urls[0], sizeof(urls[0]), "%s", url_override);
        n = 1;
    } else {
        n = dp_urls(urls, subject, NID_crl_distribution_points, mirror);
    }
    if (n == 0) {
        snprintf(out->note, sizeof(out->note), "no CRL distribution point");
        return 0;
    }
    qtb_rev_result r;
    for (size_t i = 0; i < n; i++) {
        /* a configured full-CRL URL replaces the distribution points, deltas included */
        QTB_TRY(check_url(&r, s, urls[i], mirror, url_override == NULL, offline, ho, subject,
                          issuer, issuer_fp, subject_is_ca, sig_time, now));
        /* the first decisive answer wins; otherwise the first distribution point's story */
        if (r.status == QTB_REV_GOOD || r.status == QTB_REV_REVOKED ||
            r.status == QTB_REV_REVOKED_LATER || i == 0) {
            *out = r;
        }
        if (r.status == QTB_REV_GOOD || r.status == QTB_REV_REVOKED ||
            r.status == QTB_REV_REVOKED_LATER) {
            break;
        }
    }
    return 0;
}
