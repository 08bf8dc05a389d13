/*
 * A deliberately small HTTP client for revocation data (OCSP, CRLs, timestamps) on libcurl:
 * http/https only, no redirects, no proxy taken from the environment, a hard cap on the answer,
 * a timeout per attempt and a bounded number of retries. Thread-safe: one easy handle per call,
 * curl_global_init once per process, CURLOPT_NOSIGNAL.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "revocation_int.h"

#ifdef QTB_HAVE_CURL

#include <curl/curl.h>

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool qtb_http_available(void)
{
    return true;
}

typedef struct sink {
    qtb_buf *buf;
    bool too_big;
} sink;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    if (qtb_buf_put(s->buf, ptr, n) != 0) {
        qtb_error_clear();
        s->too_big = true;
        return 0; /* aborts the transfer */
    }
    return n;
}

/* Keep the value of one response header ("Name: value\r\n") when it is one we want. */
static void keep_header(char *dst, size_t cap, const char *line, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':') {
        return;
    }
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) {
        end--;
    }
    size_t vlen = (size_t)(end - v);
    if (vlen == 0 || vlen >= cap) {
        return; /* an oversized validator is not kept (no conditional request next time) */
    }
    for (size_t i = 0; i < vlen; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            return;
        }
    }
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    qtb_http_cond *c = userdata;
    size_t n = size * nmemb;
    keep_header(c->etag, sizeof(c->etag), ptr, n, "ETag");
    keep_header(c->last_modified, sizeof(c->last_modified), ptr, n, "Last-Modified");
    return n;
}

static bool scheme_allowed(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

int qtb_http_fetch(qtb_buf *out, const char *url, const char *content_type,
                   const unsigned char *body, size_t body_len, const qtb_http_opts *o,
                   qtb_http_cond *cond)
{
    QTB_ASSERT_ARG(out != NULL && url != NULL && o != NULL);
    if (!scheme_allowed(url)) {
        return QTB_FAIL(QTB_EUSAGE, "only http and https URLs are fetched, not '%.80s'", url);
    }
    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init_rc != CURLE_OK) {
        return QTB_FAIL(QTB_ENET, "libcurl initialisation failed");
    }
    int rc = QTB_ENET;
    char errbuf[CURL_ERROR_SIZE];
    long status = 0;
    for (unsigned attempt = 0; attempt <= o->retries; attempt++) {
        qtb_buf_dispose(out);
        qtb_buf_init(out, o->max_body);
        CURL *h = curl_easy_init();
        if (h == NULL) {
            return QTB_FAIL(QTB_ENOMEM, "cannot create an HTTP handle");
        }
        struct curl_slist *hdrs = NULL;
        sink s = {.buf = out, .too_big = false};
        qtb_http_cond got;
        memset(&got, 0, sizeof(got));
        errbuf[0] = '\0';
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_PROXY, "");
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "qoltanba");
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
        if (cond != NULL) {
            char line[200];
            if (cond->etag[0] != '\0') {
                snprintf(line, sizeof(line), "If-None-Match: %s", cond->etag);
                hdrs = curl_slist_append(hdrs, line);
            }
            if (cond->last_modified[0] != '\0') {
                snprintf(line, sizeof(line), "If-Modified-Since: %s", cond->last_modified);
                hdrs = curl_slist_append(hdrs, line);
            }
            curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
            curl_easy_setopt(h, CURLOPT_HEADERDATA, &got);
        }
        if (body != NULL) {
            char ct[128];
            snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
            hdrs = curl_slist_append(hdrs, ct);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        }
        if (hdrs != NULL) {
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        }
        CURLcode cr = curl_easy_perform(h);
        status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        if (s.too_big || cr == CURLE_FILESIZE_EXCEEDED) {
            return QTB_FAIL(QTB_ETOOBIG, "%.120s: answer larger than %zu bytes", url, o->max_body);
        }
        if (cr != CURLE_OK) {
            rc = QTB_FAIL(QTB_ENET, "%.120s: %s", url,
                          errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cr));
            continue; /* a transport failure is worth another attempt */
        }
        if (cond != NULL && status == 304 &&
            (cond->etag[0] != '\0' || cond->last_modified[0] != '\0')) {
            cond->not_modified = true;
            return 0;
        }
        if (status != 200) {
            return QTB_FAIL(QTB_ENET, "%.120s: HTTP status %ld", url, status);
        }
        if (cond != NULL) {
            *cond = got;
            cond->not_modified = false;
        }
        return 0;
    }
    return rc;
}

#else /* !QTB_HAVE_CURL */

bool qtb_http_available(void)
{
    return false;
}

int qtb_http_fetch(qtb_buf *out, const char *url, const char *content_type,
                   const unsigned char *body, size_t body_len, const qtb_http_opts *o,
                   qtb_http_cond *cond)
{
    (void)out;
    (void)cond;
    (void)content_type;
    (void)body;
    (void)body_len;
    (void)o;
    return QTB_FAIL(QTB_EUNSUPPORTED, "%.120s: built without libcurl, no network access", url);
}

#endif
