/* qoltanba serve: libmicrohttpd plumbing (bodies, limits, routing, tokens, log, metrics and
 * graceful shutdown). The endpoints themselves are in serve_api.c. */
#ifdef QTB_HAVE_MHD

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include <qtb/limits.h>

#include "cli.h"
#include "serve.h"

#define CMD "serve"

static const unsigned codes[SERVE_NCODES] = {200, 201, 400, 401, 404, 405,
                                             409, 413, 422, 500, 503, 0 /* other */};
static const double buckets[SERVE_NBUCKETS - 1] = {0.001, 0.0025, 0.005, 0.01, 0.02,
                                                   0.05,  0.1,    0.5,   2.0};

static const struct {
    serve_route route;
    const char *label;   /* the path template, also the metrics label */
    const char *methods; /* the Allow header */
} routes[] = {
    {ROUTE_NONE, "unknown", ""},
    {ROUTE_PAGE, "/", "GET"},
    {ROUTE_HEALTH, "/health", "GET"},
    {ROUTE_METRICS, "/metrics", "GET"},
    {ROUTE_CMS_VERIFY, "/cms/verify", "POST"},
    {ROUTE_XML_VERIFY, "/xml/verify", "POST"},
    {ROUTE_X509_INFO, "/x509/info", "POST"},
    {ROUTE_P12_INFO, "/pkcs12/info", "POST"},
    {ROUTE_QUESTIONNAIRE, "/questionnaire", "POST"},
    {ROUTE_SUBMISSIONS, "/submissions", "GET, POST"},
    {ROUTE_SUBMISSION, "/submissions/{id}", "GET"},
    {ROUTE_SUBMISSION_PDF, "/submissions/{id}/questionnaire.pdf", "GET"},
    {ROUTE_APPROVE, "/submissions/{id}/approve", "POST"},
    {ROUTE_RETURN, "/submissions/{id}/return", "POST"},
};

double serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *serve_route_methods(serve_route r)
{
    return routes[r].methods;
}

/* A positive decimal id, nothing else (no sign, no leading zero, no overflow). */
static bool parse_id(const char *p, size_t n, int64_t *id)
{
    if (n == 0 || n > 18 || p[0] == '0') {
        return false;
    }
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
        v = v * 10 + (p[i] - '0');
    }
    *id = v;
    return true;
}

serve_route serve_route_of(const char *path, int64_t *id)
{
    static const struct {
        const char *path;
        serve_route route;
    } fixed[] = {
        {"/", ROUTE_PAGE},
        {"/index.html", ROUTE_PAGE},
        {"/app.js", ROUTE_PAGE},
        {"/style.css", ROUTE_PAGE},
        {"/favicon.ico", ROUTE_PAGE},
        {"/health", ROUTE_HEALTH},
        {"/metrics", ROUTE_METRICS},
        {"/cms/verify", ROUTE_CMS_VERIFY},
        {"/xml/verify", ROUTE_XML_VERIFY},
        {"/x509/info", ROUTE_X509_INFO},
        {"/pkcs12/info", ROUTE_P12_INFO},
        {"/questionnaire", ROUTE_QUESTIONNAIRE},
        {"/submissions", ROUTE_SUBMISSIONS},
    };
    *id = 0;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++) {
        if (strcmp(path, fixed[i].path) == 0) {
            return fixed[i].route;
        }
    }
    static const char prefix[] = "/submissions/";
    if (strncmp(path, prefix, sizeof(prefix) - 1) != 0) {
        return ROUTE_NONE;
    }
    const char *p = path + sizeof(prefix) - 1;
    const char *slash = strchr(p, '/');
    size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
    if (!parse_id(p, n, id)) {
        return ROUTE_NONE;
    }
    if (slash == NULL) {
        return ROUTE_SUBMISSION;
    }
    static const struct {
        const char *tail;
        serve_route route;
    } tails[] = {
        {"/questionnaire.pdf", ROUTE_SUBMISSION_PDF},
        {"/approve", ROUTE_APPROVE},
        {"/return", ROUTE_RETURN},
    };
    for (size_t i = 0; i < sizeof(tails) / sizeof(*tails); i++) {
        if (strcmp(slash, tails[i].tail) == 0) {
            return tails[i].route;
        }
    }
    return ROUTE_NONE;
}

bool serve_route_needs_token(const serve_server *s, serve_route r)
{
    switch (r) {
    case ROUTE_SUBMISSIONS:
    case ROUTE_SUBMISSION:
    case ROUTE_SUBMISSION_PDF:
    case ROUTE_APPROVE:
    case ROUTE_RETURN:
        return true;
    case ROUTE_CMS_VERIFY:
    case ROUTE_XML_VERIFY:
    case ROUTE_X509_INFO:
    case ROUTE_P12_INFO:
    case ROUTE_QUESTIONNAIRE:
        return s->verify_needs_token;
    case ROUTE_NONE:
    case ROUTE_PAGE:
    case ROUTE_HEALTH:
    case ROUTE_METRICS:
    case ROUTE_COUNT:
    default:
        return false;
    }
}

/* Constant time in the token's bytes: every configured token is compared in full. */
static const serve_token *find_token(const serve_server *s, const char *header)
{
    static const char bearer[] = "Bearer ";
    if (header == NULL || strncmp(header, bearer, sizeof(bearer) - 1) != 0) {
        return NULL;
    }
    const char *given = header + sizeof(bearer) - 1;
    size_t glen = strlen(given);
    const serve_token *found = NULL;
    for (size_t i = 0; i < s->ntokens; i++) {
        const serve_token *t = &s->tokens[i];
        unsigned char diff = (unsigned char)(glen != t->len);
        for (size_t k = 0; k < t->len; k++) {
            unsigned char g = k < glen ? (unsigned char)given[k] : 0;
            diff |= (unsigned char)(g ^ (unsigned char)t->token[k]);
        }
        if (diff == 0) {
            found = t;
        }
    }
    return found;
}

/* ---- responses --------------------------------------------------------------------------- */

void serve_json(serve_resp *out, unsigned status, json_t *j)
{
    out->status = status;
    out->json = j;
}

void serve_utf8_trim(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
        i--;
    }
    if (i > 0 && (unsigned char)s[i - 1] >= 0xc0) {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
        if (n - (i - 1) < need) {
            s[i - 1] = '\0';
        }
    }
}

void serve_error(serve_resp *out, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    serve_utf8_trim(msg); /* a long message is cut at a byte count, maybe inside a letter */
    json_decref(out->json);
    out->json = json_pack("{s:s}", "error", msg);
    if (out->json == NULL) { /* still not UTF-8: never answer without a body */
        out->json = json_pack("{s:s}", "error", "the error message is not valid UTF-8");
    }
    out->status = status;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, serve_req *q, serve_resp *r)
{
    struct MHD_Response *resp = NULL;
    const char *type = r->type;
    if (r->json != NULL) {
        char *text = json_dumps(r->json, JSON_COMPACT);
        json_decref(r->json);
        r->json = NULL;
        if (text == NULL) {
            r->status = 500;
            text = strdup("{\"error\":\"out of memory\"}");
        }
        size_t n = text != NULL ? strlen(text) : 0;
        resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
        type = "application/json";
    } else if (r->bytes_static) {
        resp = MHD_create_response_from_buffer(r->len, r->bytes, MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer(r->len, r->bytes, MHD_RESPMEM_MUST_FREE);
        r->bytes = NULL;
    }
    if (resp == NULL) {
        return MHD_NO;
    }
    if (type != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    }
    if (r->allow != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    }
    if (r->status == 401) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    }
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (q->route == ROUTE_PAGE) {
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; object-src 'self'; frame-src 'self' blob:; "
                                "frame-ancestors 'none'");
    }
    q->status = r->status;
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, serve_req *q, unsigned status,
                                  const char *msg)
{
    serve_resp r = {0};
    serve_error(&r, status, "%s", msg);
    return send_resp(c, q, &r);
}

/* ---- the request callback ---------------------------------------------------------------- */

static serve_req *req_new(serve_server *s, const char *method, const char *url)
{
    serve_req *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        return NULL;
    }
    q->t0 = serve_now();
    snprintf(q->method, sizeof(q->method), "%s", method);
    /* The log keeps the path only, with anything unprintable replaced. */
    size_t i = 0;
    for (; url[i] != '\0' && url[i] != '?' && i + 1 < sizeof(q->path); i++) {
        unsigned char ch = (unsigned char)url[i];
        q->path[i] = ch > 0x20 && ch < 0x7f ? (char)ch : '_';
    }
    q->path[i] = '\0';
    int64_t id = 0;
    q->secret = serve_route_of(q->path, &id) == ROUTE_P12_INFO;
    atomic_fetch_add(&s->active, 1);
    return q;
}

static bool body_append(serve_server *s, serve_req *q, const char *data, size_t n)
{
    if (q->too_big || n > QTB_MAX_HTTP_BODY - q->len) {
        q->too_big = true;
        return false;
    }
    if (q->len + n + 1 > q->cap) {
        size_t cap = q->cap != 0 ? q->cap : 4096;
        while (cap < q->len + n + 1) {
            cap *= 2;
        }
        /* All bodies together stay under max_body_bytes, or this one gets a 503. */
        size_t grow = cap - q->cap;
        if (atomic_fetch_add(&s->body_bytes, grow) + grow > s->max_body_bytes) {
            atomic_fetch_sub(&s->body_bytes, grow);
            q->busy = true;
            return false;
        }
        /* Not realloc: a body holding a password is wiped before its old copy is freed. */
        unsigned char *b = malloc(cap);
        if (b == NULL) {
            atomic_fetch_sub(&s->body_bytes, grow);
            q->busy = true;
            return false;
        }
        if (q->body != NULL) {
            memcpy(b, q->body, q->len);
            if (q->secret) {
                cli_wipe(q->body, q->cap);
            }
            free(q->body);
        }
        q->body = b;
        q->cap = cap;
    }
    memcpy(q->body + q->len, data, n);
    q->len += n;
    q->body[q->len] = '\0';
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    serve_server *s = cls;
    serve_req *q = *con_cls;
    if (q == NULL) {
        q = req_new(s, method, url);
        if (q == NULL) {
            return MHD_NO;
        }
        *con_cls = q;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && (strlen(cl) > 12 || strtoull(cl, NULL, 10) > QTB_MAX_HTTP_BODY)) {
            q->too_big = true;
            return send_error(c, q, 413, "the request body is over the limit (32 MiB)");
        }
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (!q->too_big && !q->busy) {
            (void)body_append(s, q, upload_data, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->too_big) {
        return send_error(c, q, 413, "the request body is over the limit (32 MiB)");
    }
    if (q->busy) {
        return send_error(c, q, 503, "the server holds too many request bodies; retry later");
    }
    int64_t id = 0;
    q->route = serve_route_of(q->path, &id);
    serve_resp r = {0};
    if (q->route == ROUTE_NONE) {
        serve_error(&r, 404, "no such endpoint: %s", q->path);
        return send_resp(c, q, &r);
    }
    /* Method: exact match against the route's list ("GET, POST"). */
    const char *allowed = routes[q->route].methods;
    bool method_ok = (strcmp(method, "GET") == 0 && strstr(allowed, "GET") != NULL) ||
                     (strcmp(method, "POST") == 0 && strstr(allowed, "POST") != NULL);
    if (!method_ok) {
        r.allow = allowed;
        serve_error(&r, 405, "%s does not accept %s", routes[q->route].label, q->method);
        return send_resp(c, q, &r);
    }
    if (serve_route_needs_token(s, q->route) || s->ntokens > 0) {
        const char *auth =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        q->who = find_token(s, auth);
        if (q->who == NULL && serve_route_needs_token(s, q->route)) {
            serve_error(&r, 401, "%s",
                        auth == NULL ? "a bearer token is required"
                                     : "the bearer token is not valid");
            return send_resp(c, q, &r);
        }
    }
    const char *status = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
    serve_dispatch(s, q, status, &r, id);
    return send_resp(c, q, &r);
}

/* ---- completion: log and metrics --------------------------------------------------------- */

static void count(serve_server *s, serve_req *q, double seconds)
{
    size_t ci = SERVE_NCODES - 1;
    for (size_t i = 0; i + 1 < SERVE_NCODES; i++) {
        if (codes[i] == q->status) {
            ci = i;
        }
    }
    size_t bi = SERVE_NBUCKETS - 1;
    for (size_t i = 0; i + 1 < SERVE_NBUCKETS; i++) {
        if (seconds <= buckets[i]) {
            bi = i;
            break;
        }
    }
    serve_metrics *m = &s->metrics;
    atomic_fetch_add_explicit(&m->count[q->route][ci], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->bucket[q->route][bi], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us[q->route], (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    serve_server *s = cls;
    serve_req *q = *con_cls;
    if (q == NULL) {
        return;
    }
    *con_cls = NULL;
    double dt = serve_now() - q->t0;
    count(s, q, dt);
    char line[256];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    int n = snprintf(line, sizeof(line),
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %u %.3fms %zuB%s%s%s\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     now.tv_nsec / 1000000, q->method, q->path, q->status, dt * 1e3, q->len,
                     q->who != NULL ? " by " : "", q->who != NULL ? q->who->name : "",
                     toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    if (n > 0 && s->log_fd >= 0) {
        ssize_t w = write(s->log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line));
        (void)w;
    }
    if (q->body != NULL && q->secret) {
        cli_wipe(q->body, q->cap);
    }
    free(q->body);
    atomic_fetch_sub(&s->body_bytes, q->cap);
    free(q);
    atomic_fetch_sub(&s->active, 1);
}

/* ---- /metrics ---------------------------------------------------------------------------- */

void serve_metrics_text(const serve_server *s, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    size_t cap = 64 * 1024;
    char *b = malloc(cap);
    if (b == NULL) {
        return;
    }
    size_t n = 0;
#define EMIT(...)                                                                                  \
    do {                                                                                           \
        int k_ = snprintf(b + n, cap - n, __VA_ARGS__);                                            \
        if (k_ < 0 || (size_t)k_ >= cap - n) {                                                     \
            free(b);                                                                               \
            return;                                                                                \
        }                                                                                          \
        n += (size_t)k_;                                                                           \
    } while (0)
    const serve_metrics *m = &s->metrics;
    EMIT("# HELP qoltanba_http_requests_total HTTP requests by route and status code.\n"
         "# TYPE qoltanba_http_requests_total counter\n");
    for (size_t r = 0; r < ROUTE_COUNT; r++) {
        for (size_t i = 0; i < SERVE_NCODES; i++) {
            unsigned long v = atomic_load(&m->count[r][i]);
            if (v == 0) {
                continue;
            }
            char code[8];
            snprintf(code, sizeof(code), "%u", codes[i]);
            EMIT("qoltanba_http_requests_total{route=\"%s\",code=\"%s\"} %lu\n", routes[r].label,
                 codes[i] != 0 ? code : "other", v);
        }
    }
    EMIT("# HELP qoltanba_http_request_duration_seconds Time from the request's headers to its "
         "completion.\n# TYPE qoltanba_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < ROUTE_COUNT; r++) {
        unsigned long total = 0;
        for (size_t i = 0; i < SERVE_NBUCKETS; i++) {
            total += atomic_load(&m->bucket[r][i]);
        }
        if (total == 0) {
            continue;
        }
        unsigned long cum = 0;
        for (size_t i = 0; i < SERVE_NBUCKETS; i++) {
            cum += atomic_load(&m->bucket[r][i]);
            if (i + 1 < SERVE_NBUCKETS) {
                EMIT("qoltanba_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
                     routes[r].label, buckets[i], cum);
            } else {
                EMIT("qoltanba_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                     "%lu\n",
                     routes[r].label, cum);
            }
        }
        EMIT("qoltanba_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", routes[r].label,
             (double)atomic_load(&m->sum_us[r]) / 1e6);
        EMIT("qoltanba_http_request_duration_seconds_count{route=\"%s\"} %lu\n", routes[r].label,
             total);
    }
    EMIT("# HELP qoltanba_http_requests_in_flight Requests being handled.\n"
         "# TYPE qoltanba_http_requests_in_flight gauge\nqoltanba_http_requests_in_flight %ld\n",
         atomic_load(&s->active));
    EMIT("# HELP qoltanba_uptime_seconds Seconds since the service started.\n"
         "# TYPE qoltanba_uptime_seconds gauge\nqoltanba_uptime_seconds %.0f\n",
         serve_now() - s->started);
#undef EMIT
    *out = b;
    *len = n;
}

/* ---- starting and stopping --------------------------------------------------------------- */

static int parse_listen(struct sockaddr_in *sa, const char *listen, bool *loopback)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= 64) {
        return -1;
    }
    char host[64];
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || port > 65535) {
        return -1;
    }
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        return -1;
    }
    *loopback = (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

bool serve_listen_ok(const char *listen)
{
    struct sockaddr_in sa;
    bool loopback = false;
    return parse_listen(&sa, listen, &loopback) == 0;
}

int serve_run(serve_server *s, const char *listen, unsigned threads)
{
    struct sockaddr_in sa;
    bool loopback = false;
    if (parse_listen(&sa, listen, &loopback) != 0) {
        return cli_error(CMD, "--listen wants IPv4-ADDRESS:PORT, not '%s'", listen);
    }
    if (!loopback) {
        s->verify_needs_token = true; /* open verification only on loopback */
    }
    if (!loopback && s->ntokens == 0) {
        return cli_error(CMD, "listening on %s needs --token-file", listen);
    }
    /* Workers inherit this mask: SIGTERM and SIGINT reach only the sigwait below. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT, 1024u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)128 * 1024, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        1u, MHD_OPTION_END);
    if (d == NULL) {
        return cli_error(CMD, "cannot listen on %s (in use, or not an address of this host)",
                         listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info != NULL ? info->port : ntohs(sa.sin_port);
    char addr[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
    fprintf(stderr, "qoltanba serve: listening on http://%s:%u/ (%u threads)\n", addr, port,
            threads);
    fflush(stderr);
    sigdelset(&set, SIGPIPE);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    fprintf(stderr, "qoltanba serve: %s: finishing %ld request(s) in flight\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", atomic_load(&s->active));
    /* Stop accepting, let the requests in flight complete (bounded), then stop. */
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET) {
        close(ls);
    }
    double until = serve_now() + 30.0;
    while (atomic_load(&s->active) > 0 && serve_now() < until) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(d);
    fprintf(stderr, "qoltanba serve: stopped\n");
    return CLI_OK;
}

#endif /* QTB_HAVE_MHD */
