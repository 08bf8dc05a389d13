/*
 * The revocation checker: sources in the configured order, the OCSP round trip and a
 * thread-safe cache of OCSP answers keyed by CertID, kept until the earlier of the response's
 * nextUpdate and the cache TTL (wall clock), so verifying many documents of one signer costs
 * one round trip per certificate per cache lifetime.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "report_int.h"
#include "revocation_int.h"

#define TIMEOUT_DEFAULT_MS 5000L
#define TTL_DEFAULT_S 300L
#define CACHE_SLOTS 512u
#define MAX_RECORDED 64u
/* A failed round trip (unreachable, bad answer) is remembered this long (at most the TTL), so a
 * responder outage costs one timeout per certificate, not one per document. */
#define FAILURE_TTL_S 10L

typedef struct cache_slot {
    unsigned char key[QTB_FP_LEN];
    bool used;
    bool in_flight;  /* a caller is fetching this CertID now */
    int64_t expires; /* wall clock */
    qtb_ocsp_answer answer;
    char url[128];
    unsigned char *der; /* the response as received (qtb_malloc'd) */
    size_t der_len;
} cache_slot;

struct qtb_revocation {
    unsigned flags;
    qtb_rev_source sources[QTB_REV_MAX_SOURCES];
    char *ocsp_url;
    long timeout_ms;
    unsigned retries;
    long ttl_s;
    long max_age_s;
    char *crl_url;
    char *crl_mirror;
    qtb_crl_store *crls; /* downloaded CRLs */
    struct {
        unsigned char *der;
        size_t len;
    } recorded[MAX_RECORDED]; /* qtb_revocation_add_ocsp_response; read-only after set-up */
    size_t nrecorded;
    pthread_mutex_t lock; /* guards slots and requests */
    pthread_cond_t done;  /* a fetch ended (cache_finish) */
    cache_slot *slots;
    unsigned long requests;
};

int qtb_revocation_parse_sources(qtb_rev_source sources[QTB_REV_MAX_SOURCES], const char *list)
{
    QTB_ASSERT_ARG(sources != NULL && list != NULL);
    for (size_t i = 0; i < QTB_REV_MAX_SOURCES; i++) {
        sources[i] = QTB_REV_SOURCE_NONE;
    }
    size_t n = 0;
    const char *p = list;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        qtb_rev_source s = QTB_REV_SOURCE_NONE;
        if (len == 4 && strncmp(p, "ocsp", 4) == 0) {
            s = QTB_REV_SOURCE_OCSP;
        } else if (len == 3 && strncmp(p, "crl", 3) == 0) {
            s = QTB_REV_SOURCE_CRL;
        } else {
            return QTB_FAIL(QTB_EUSAGE, "unknown revocation source '%.*s' (ocsp, crl)",
                            (int)(len > 32 ? 32 : len), p);
        }
        for (size_t i = 0; i < n; i++) {
            if (sources[i] == s) {
                return QTB_FAIL(QTB_EUSAGE, "revocation source '%.*s' given twice", (int)len, p);
            }
        }
        if (n + 1 >= QTB_REV_MAX_SOURCES) {
            return QTB_FAIL(QTB_EUSAGE, "too many revocation sources");
        }
        sources[n++] = s;
        p += len;
        if (*p == ',') {
            p++;
        }
    }
    if (n == 0) {
        return QTB_FAIL(QTB_EUSAGE, "empty revocation source list");
    }
    return 0;
}

static char *copy_str(const char *s)
{
    size_t len = strlen(s);
    char *d = qtb_malloc(len + 1);
    if (d != NULL) {
        memcpy(d, s, len + 1);
    }
    return d;
}

int qtb_revocation_new(qtb_revocation **out, const qtb_revocation_options *o)
{
    QTB_ASSERT_ARG(out != NULL && o != NULL);
    *out = NULL;
    if (o->version != QTB_REVOCATION_OPTIONS_VERSION) {
        return QTB_FAIL(QTB_EUSAGE, "qtb_revocation_options version %u, expected %u", o->version,
                        QTB_REVOCATION_OPTIONS_VERSION);
    }
    if (o->timeout_ms < 0 || o->cache_ttl_s < 0 || o->max_age_s < 0 || o->retries > 5) {
        return QTB_FAIL(QTB_EUSAGE, "negative timeout/TTL/max age, or more than 5 retries");
    }
    if (o->ocsp_url != NULL && strncmp(o->ocsp_url, "http://", 7) != 0 &&
        strncmp(o->ocsp_url, "https://", 8) != 0) {
        return QTB_FAIL(QTB_EUSAGE, "OCSP URL must be http or https: '%.80s'", o->ocsp_url);
    }
    if (o->crl_mirror != NULL && ((strncmp(o->crl_mirror, "http://", 7) != 0 &&
                                   strncmp(o->crl_mirror, "https://", 8) != 0) ||
                                  strlen(o->crl_mirror) >= 200)) {
        return QTB_FAIL(QTB_EUSAGE, "CRL mirror must be an http or https URL under 200 bytes");
    }
    if (o->crl_url != NULL &&
        ((strncmp(o->crl_url, "http://", 7) != 0 && strncmp(o->crl_url, "https://", 8) != 0) ||
         strlen(o->crl_url) >= 256)) {
        return QTB_FAIL(QTB_EUSAGE, "CRL URL must be http or https, under 256 bytes: '%.80s'",
                        o->crl_url);
    }
    qtb_revocation *r = qtb_calloc(1, sizeof(*r));
    if (r == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    r->flags = o->flags;
    bool any = false, ocsp = false;
    for (size_t i = 0; i < QTB_REV_MAX_SOURCES; i++) {
        r->sources[i] = o->sources[i];
        any |= o->sources[i] != QTB_REV_SOURCE_NONE;
        ocsp |= o->sources[i] == QTB_REV_SOURCE_OCSP;
    }
    if (!any) {
        r->sources[0] = QTB_REV_SOURCE_OCSP;
        r->sources[1] = QTB_REV_SOURCE_CRL;
        ocsp = true;
    }
    r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : TIMEOUT_DEFAULT_MS;
    r->retries = o->retries;
    r->ttl_s = o->cache_ttl_s > 0 ? o->cache_ttl_s : TTL_DEFAULT_S;
    r->max_age_s = o->max_age_s;
    r->slots = qtb_calloc(CACHE_SLOTS, sizeof(cache_slot));
    if (r->slots == NULL || pthread_mutex_init(&r->lock, NULL) != 0) {
        qtb_free(r->slots);
        qtb_free(r);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (pthread_cond_init(&r->done, NULL) != 0) {
        pthread_mutex_destroy(&r->lock);
        qtb_free(r->slots);
        qtb_free(r);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (qtb_crl_store_new(&r->crls, o->crl_cache_dir,
                          o->crl_ttl_s == 0 ? 3600L : (o->crl_ttl_s < 0 ? -1L : o->crl_ttl_s)) !=
        0) {
        int rc = qtb_error_last()->code;
        qtb_revocation_free(r);
        return rc;
    }
    if ((o->crl_url != NULL && (r->crl_url = copy_str(o->crl_url)) == NULL) ||
        (o->crl_mirror != NULL && (r->crl_mirror = copy_str(o->crl_mirror)) == NULL)) {
        qtb_revocation_free(r);
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    if (o->ocsp_url != NULL) {
        size_t len = strlen(o->ocsp_url);
        r->ocsp_url = qtb_malloc(len + 1);
        if (r->ocsp_url == NULL) {
            qtb_revocation_free(r);
            return QTB_FAIL(QTB_ENOMEM, "out of memory");
        }
        memcpy(r->ocsp_url, o->ocsp_url, len + 1);
    }
    if (ocsp && (r->flags & QTB_REV_OFFLINE) == 0 && !qtb_http_available()) {
        qtb_revocation_free(r);
        return QTB_FAIL(QTB_EUNSUPPORTED, "OCSP needs libcurl, which this build lacks");
    }
    *out = r;
    return 0;
}

void qtb_revocation_free(qtb_revocation *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->nrecorded; i++) {
        qtb_free(r->recorded[i].der);
    }
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->lock);
    for (size_t i = 0; r->slots != NULL && i < CACHE_SLOTS; i++) {
        qtb_free(r->slots[i].der);
    }
    qtb_free(r->slots);
    qtb_free(r->ocsp_url);
    qtb_free(r->crl_url);
    qtb_free(r->crl_mirror);
    qtb_crl_store_free(r->crls);
    qtb_free(r);
}

int qtb_revocation_add_ocsp_response(qtb_revocation *r, const unsigned char *der, size_t len)
{
    QTB_ASSERT_ARG(r != NULL && der != NULL);
    if (r->nrecorded >= MAX_RECORDED || len > QTB_MAX_OCSP_RESPONSE || len == 0) {
        return QTB_FAIL(QTB_ETOOBIG, "at most %u recorded OCSP responses of at most %u bytes",
                        MAX_RECORDED, QTB_MAX_OCSP_RESPONSE);
    }
    unsigned char *copy = qtb_malloc(len);
    if (copy == NULL) {
        return QTB_FAIL(QTB_ENOMEM, "out of memory");
    }
    memcpy(copy, der, len);
    r->recorded[r->nrecorded].der = copy;
    r->recorded[r->nrecorded].len = len;
    r->nrecorded++;
    return 0;
}

void qtb_trust_set_revocation(qtb_trust *t, qtb_revocation *r)
{
    if (t != NULL) {
        t->rev = r;
    }
}

unsigned long qtb_revocation_ocsp_requests(const qtb_revocation *r)
{
    if (r == NULL) {
        return 0;
    }
    qtb_revocation *m = (qtb_revocation *)r; /* the lock is mutable state behind const */
    pthread_mutex_lock(&m->lock);
    unsigned long n = m->requests;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* ---- OCSP with the cache ------------------------------------------------------------------- */

static size_t slot_of(const unsigned char key[QTB_FP_LEN])
{
    return ((size_t)key[0] << 8 | key[1]) % CACHE_SLOTS;
}

static bool answer_fresh(const qtb_revocation *r, const qtb_ocsp_answer *a, int64_t now)
{
    return a->next_update != 0 ? now <= a->next_update
                               : now <= a->this_update + (r->max_age_s > 0 ? r->max_age_s : 86400L);
}

/*
 * 1: a cached answer, fresh at `now`, copied out. 0: none, and this caller now owns the fetch
 * (the slot is marked in flight; cache_finish must follow). Callers asking for the same CertID
 * meanwhile wait for that fetch instead of sending their own (one round trip per certificate).
 */
static unsigned char *copy_bytes(const unsigned char *p, size_t n)
{
    unsigned char *d = n > 0 ? qtb_malloc(n) : NULL;
    if (d != NULL) {
        memcpy(d, p, n);
    }
    return d;
}

static int cache_claim(qtb_revocation *r, const unsigned char key[QTB_FP_LEN], qtb_ocsp_answer *a,
                       char *url, size_t url_cap, unsigned char **der, size_t *der_len, int64_t now)
{
    pthread_mutex_lock(&r->lock);
    cache_slot *s = &r->slots[slot_of(key)];
    while (s->used && s->in_flight && memcmp(s->key, key, QTB_FP_LEN) == 0) {
        pthread_cond_wait(&r->done, &r->lock);
    }
    if (s->used && memcmp(s->key, key, QTB_FP_LEN) == 0 && (int64_t)time(NULL) < s->expires &&
        (s->answer.verdict == QTB_OCSP_INVALID || answer_fresh(r, &s->answer, now))) {
        *a = s->answer;
        snprintf(url, url_cap, "%s", s->url);
        *der = copy_bytes(s->der, s->der_len);
        *der_len = *der != NULL ? s->der_len : 0;
        pthread_mutex_unlock(&r->lock);
        return 1;
    }
    qtb_free(s->der);
    s->der = NULL;
    s->der_len = 0;
    memcpy(s->key, key, QTB_FP_LEN);
    s->used = true;
    s->in_flight = true;
    s->expires = 0;
    r->requests++;
    pthread_mutex_unlock(&r->lock);
    return 0;
}

/* End a fetch: keep a usable answer (NULL: forget the slot) and wake the waiters. */
static void cache_finish(qtb_revocation *r, const unsigned char key[QTB_FP_LEN],
                         const qtb_ocsp_answer *a, const char *url, const unsigned char *der,
                         size_t der_len)
{
    int64_t expires = (int64_t)time(NULL) + r->ttl_s;
    if (a != NULL && a->next_update != 0 && a->next_update < expires) {
        expires = a->next_update;
    }
    if (a != NULL && a->verdict == QTB_OCSP_INVALID) {
        expires = (int64_t)time(NULL) + (r->ttl_s < FAILURE_TTL_S ? r->ttl_s : FAILURE_TTL_S);
    }
    pthread_mutex_lock(&r->lock);
    cache_slot *s = &r->slots[slot_of(key)];
    if (memcmp(s->key, key, QTB_FP_LEN) == 0 && s->in_flight) {
        s->in_flight = false;
        if (a != NULL) {
            s->expires = expires;
            s->answer = *a;
            snprintf(s->url, sizeof(s->url), "%s", url);
            qtb_free(s->der);
            s->der = copy_bytes(der, der_len);
            s->der_len = s->der != NULL ? der_len : 0;
        } else {
            s->used = false;
        }
    }
    pthread_cond_broadcast(&r->done);
    pthread_mutex_unlock(&r->lock);
}

/* The first http(s) OCSP URL of the certificate's AIA, or the override. */
static bool ocsp_url(char *buf, size_t cap, const qtb_revocation *r, X509 *x)
{
    if (r->ocsp_url != NULL) {
        snprintf(buf, cap, "%s", r->ocsp_url);
        return true;
    }
    bool found = false;
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(x);
    for (int i = 0; i < sk_OPENSSL_STRING_num(urls) && !found; i++) {
        const char *u = sk_OPENSSL_STRING_value(urls, i);
        bool printable = true;
        for (const char *c = u; *c != '\0'; c++) {
            printable &= *c > 0x20 && *c < 0x7f;
        }
        if (printable && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0)) {
            if (strlen(u) < cap) {
                snprintf(buf, cap, "%s", u);
                found = true;
            }
        }
    }
    X509_email_free(urls);
    return found;
}

/*
 * 1 when OCSP gave an answer in *a (any verdict, INVALID included), 0 when OCSP could not be
 * asked (no responder, offline: said in `skip`), negative on internal failure.
 */
static int ask_ocsp(qtb_ocsp_answer *a, char *url, size_t url_cap, char *skip, size_t skip_cap,
                    unsigned char **der, size_t *der_len, qtb_revocation *r, X509 *subject,
                    X509 *issuer, int64_t now)
{
    *der = NULL;
    *der_len = 0;
    /* a recorded response about this certificate, when replaying a validation */
    for (size_t i = 0; i < r->nrecorded; i++) {
        QTB_TRY(qtb_ocsp_check(a, r->recorded[i].der, r->recorded[i].len, subject, issuer, NULL,
                               now, r->max_age_s));
        if (a->verdict != QTB_OCSP_INVALID) {
            snprintf(url, url_cap, "recorded response %zu", i + 1);
            *der = copy_bytes(r->recorded[i].der, r->recorded[i].len);
            *der_len = *der != NULL ? r->recorded[i].len : 0;
            return 1;
        }
    }
    if ((r->flags & QTB_REV_OFFLINE) != 0) {
        snprintf(skip, skip_cap, "OCSP skipped (offline)");
        return 0;
    }
    if (!ocsp_url(url, url_cap, r, subject)) {
        snprintf(skip, skip_cap, "no OCSP responder in the certificate");
        return 0;
    }
    unsigned char key[QTB_FP_LEN];
    QTB_TRY(qtb_ocsp_cache_key(key, subject, issuer));
    if (cache_claim(r, key, a, url, url_cap, der, der_len, now) == 1) {
        return 1;
    }
    unsigned char *req = NULL;
    size_t req_len = 0;
    unsigned char nonce[QTB_OCSP_NONCE_LEN];
    qtb_buf resp;
    qtb_buf_init(&resp, QTB_MAX_OCSP_RESPONSE);
    int rc = qtb_ocsp_request(&req, &req_len, nonce, subject, issuer);
    if (rc < 0) {
        cache_finish(r, key, NULL, url, NULL, 0);
        return rc;
    }
    qtb_http_opts ho = {
        .timeout_ms = r->timeout_ms, .retries = r->retries, .max_body = QTB_MAX_OCSP_RESPONSE};
    rc = qtb_http_fetch(&resp, url, "application/ocsp-request", req, req_len, &ho, NULL);
    OPENSSL_free(req);
    if (rc == QTB_ENOMEM) {
        qtb_buf_dispose(&resp);
        cache_finish(r, key, NULL, url, NULL, 0);
        return rc;
    }
    if (rc < 0) {
        memset(a, 0, sizeof(*a));
        a->verdict = QTB_OCSP_INVALID;
        a->reason = -1;
        snprintf(a->note, sizeof(a->note), "OCSP responder unavailable: %s",
                 qtb_error_last()->message);
        qtb_error_clear();
        qtb_buf_dispose(&resp);
        cache_finish(r, key, a, url, NULL, 0);
        return 1;
    }
    rc = qtb_ocsp_check(a, resp.data != NULL ? resp.data : (const unsigned char *)"", resp.len,
                        subject, issuer, nonce, now, r->max_age_s);
    bool usable = rc == 0 && a->verdict != QTB_OCSP_INVALID;
    cache_finish(r, key, rc == 0 ? a : NULL, url, usable ? resp.data : NULL, usable ? resp.len : 0);
    if (usable) {
        *der = copy_bytes(resp.data, resp.len);
        *der_len = *der != NULL ? resp.len : 0;
    }
    qtb_buf_dispose(&resp);
    QTB_TRY(rc);
    return 1;
}

static void append(char *buf, size_t cap, const char *what)
{
    size_t len = strlen(buf);
    if (len > 0 && len + 2 < cap) {
        memcpy(buf + len, "; ", 2);
        len += 2;
    }
    size_t n = strlen(what);
    if (len + n + 1 > cap) {
        n = cap - len - 1;
    }
    memcpy(buf + len, what, n);
    buf[len + n] = '\0';
}

int qtb_rev_check(qtb_rev_result *out, const qtb_trust *t, X509 *subject, X509 *issuer,
                  const unsigned char issuer_fp[QTB_FP_LEN], bool subject_is_ca,
                  bool subject_is_anchor, int64_t sig_time, int64_t now)
{
    qtb_revocation *r = t->rev;
    if (r == NULL) {
        return qtb_crl_check(out, t, subject, issuer, issuer_fp, subject_is_ca, sig_time, now);
    }
    memset(out, 0, sizeof(*out));
    out->reason = -1;
    char failures[sizeof(out->note)] = "";
    char skipped[sizeof(out->note)] = "";
    for (size_t i = 0; i < QTB_REV_MAX_SOURCES && r->sources[i] != QTB_REV_SOURCE_NONE; i++) {
        if (r->sources[i] == QTB_REV_SOURCE_CRL) {
            qtb_rev_result cr;
            QTB_TRY(
                qtb_crl_check(&cr, t, subject, issuer, issuer_fp, subject_is_ca, sig_time, now));
            if (cr.status == QTB_REV_GOOD || cr.status == QTB_REV_REVOKED ||
                cr.status == QTB_REV_REVOKED_LATER) {
                *out = cr;
                return 0;
            }
            if (subject_is_anchor) {
                /* a trust anchor is trusted by configuration: only its --trust CRL is read */
                append(cr.status == QTB_REV_NOT_CHECKED ? skipped : failures,
                       cr.status == QTB_REV_NOT_CHECKED ? sizeof(skipped) : sizeof(failures),
                       cr.note);
                continue;
            }
            /* the trust set's CRLs did not decide: those of the distribution points */
            qtb_rev_result fr;
            qtb_http_opts ho = {
                .timeout_ms = r->timeout_ms, .retries = r->retries, .max_body = QTB_MAX_TRUST_FILE};
            QTB_TRY(qtb_crl_fetch_check(&fr, r->crls, r->crl_url, r->crl_mirror,
                                        (r->flags & QTB_REV_OFFLINE) != 0, &ho, subject, issuer,
                                        issuer_fp, subject_is_ca, sig_time, now));
            if (fr.status == QTB_REV_GOOD || fr.status == QTB_REV_REVOKED ||
                fr.status == QTB_REV_REVOKED_LATER) {
                *out = fr;
                return 0;
            }
            append(cr.status == QTB_REV_NOT_CHECKED ? skipped : failures,
                   cr.status == QTB_REV_NOT_CHECKED ? sizeof(skipped) : sizeof(failures), cr.note);
            append(fr.status == QTB_REV_NOT_CHECKED ? skipped : failures,
                   fr.status == QTB_REV_NOT_CHECKED ? sizeof(skipped) : sizeof(failures), fr.note);
            continue;
        }
        if (subject_is_anchor) {
            continue; /* a trust anchor is trusted by configuration; only its CRL is read */
        }
        qtb_ocsp_answer a;
        char url[128] = "", skip[128] = "";
        unsigned char *der = NULL;
        size_t der_len = 0;
        int got = ask_ocsp(&a, url, sizeof(url), skip, sizeof(skip), &der, &der_len, r, subject,
                           issuer, now);
        QTB_TRY(got);
        if (got == 0) {
            append(skipped, sizeof(skipped), skip);
            continue;
        }
        char line[sizeof(out->note)];
        switch (a.verdict) {
        case QTB_OCSP_GOOD:
            out->ocsp_der = der;
            out->ocsp_der_len = der_len;
            snprintf(out->ocsp_url, sizeof(out->ocsp_url), "%s", url);
            out->status = QTB_REV_GOOD;
            snprintf(out->note, sizeof(out->note), "%.120s from %.70s", a.note, url);
            return 0;
        case QTB_OCSP_REVOKED:
            out->ocsp_der = der;
            out->ocsp_der_len = der_len;
            snprintf(out->ocsp_url, sizeof(out->ocsp_url), "%s", url);
            out->status = a.revocation_time <= sig_time ? QTB_REV_REVOKED : QTB_REV_REVOKED_LATER;
            out->revocation_time = a.revocation_time;
            out->reason = a.reason;
            snprintf(out->note, sizeof(out->note), "%.120s from %.70s", a.note, url);
            return 0;
        case QTB_OCSP_UNKNOWN:
        case QTB_OCSP_INVALID:
        default:
            qtb_free(der); /* an unknown answer is not evidence of a status */
            snprintf(line, sizeof(line), "%.120s (%.70s)", a.note, url);
            append(failures, sizeof(failures), line);
            break;
        }
    }
    if (failures[0] != '\0') {
        out->status = QTB_REV_STALE;
        append(out->note, sizeof(out->note), failures);
    } else {
        out->status = QTB_REV_NOT_CHECKED;
        append(out->note, sizeof(out->note),
               skipped[0] != '\0' ? skipped : "no revocation source applies");
    }
    return 0;
}
