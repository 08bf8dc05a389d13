/*
 * A deliberately small HTTP client for revocation data (OCSP, CRLs, timestamps) on libcurl:
 * http/https only, no redirects, no proxy taken from the environment, a hard cap on the answer,
 * a timeout per attempt and a bounded number of retries. Thread-safe: one easy handle per call,
 * curl_global_init once per process, CURLOPT_NOSIGNAL.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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

static bool scheme_allowed(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

int qtb_http_fetch(qtb_buf *out, const char *url, const char *content_type,
                   const unsigned char *body, size_t body_len, const qtb_http_opts *o)
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
        if (body != NULL) {
            char ct[128];
            snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
            hdrs = curl_slist_append(hdrs, ct);
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
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
        if (status != 200) {
            return QTB_FAIL(QTB_ENET, "%.120s: HTTP status %ld", url, status);
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
                   const unsigned char *body, size_t body_len, const qtb_http_opts *o)
{
    (void)out;
    (void)content_type;
    (void)body;
    (void)body_len;
    (void)o;
    return QTB_FAIL(QTB_EUNSUPPORTED, "%.120s: built without libcurl, no network access", url);
}

#endif
