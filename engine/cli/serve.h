/* qoltanba serve: the HTTP JSON service (libmicrohttpd plumbing in serve_http.c, the endpoints
 * in serve_api.c, the command in cmd_serve.c). Public library API only. */
#ifndef QTB_SERVE_H
#define QTB_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <qtb/store.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

/* Routes: what /metrics counts by, and what the router returns. */
typedef enum serve_route {
    ROUTE_NONE = 0, /* unknown path: 404 */
    ROUTE_PAGE,
    ROUTE_HEALTH,
    ROUTE_METRICS,
    ROUTE_CMS_VERIFY,
    ROUTE_XML_VERIFY,
    ROUTE_X509_INFO,
    ROUTE_P12_INFO,
    ROUTE_QUESTIONNAIRE,
    ROUTE_SUBMISSIONS,
    ROUTE_SUBMISSION,
    ROUTE_SUBMISSION_PDF,
    ROUTE_APPROVE,
    ROUTE_RETURN,
    ROUTE_COUNT
} serve_route;

#define SERVE_NCODES 12     /* status codes counted separately (serve_http.c: codes[]) */
#define SERVE_NBUCKETS 10   /* latency histogram buckets, +Inf included */
#define SERVE_MAX_TOKENS 64 /* lines in --token-file */
#define SERVE_TOKEN_MAX 256

typedef struct serve_token {
    char name[64]; /* the reviewer recorded with decisions */
    char token[SERVE_TOKEN_MAX];
    size_t len;
} serve_token;

typedef struct serve_metrics {
    atomic_ulong count[ROUTE_COUNT][SERVE_NCODES];
    atomic_ulong bucket[ROUTE_COUNT][SERVE_NBUCKETS];
    atomic_ullong sum_us[ROUTE_COUNT];
} serve_metrics;

typedef struct serve_server {
    /* configuration, read-only once serving */
    qtb_trust *trust;      /* ONE trust set shared by every thread (thread-safe) */
    qtb_cert_cache *cache; /* ONE certificate cache shared by every thread (thread-safe) */
    serve_token *tokens;   /* from --token-file */
    size_t ntokens;
    bool verify_needs_token; /* --auth-verify, or a listen address other than loopback */
    int log_fd;              /* request log (stderr) */
    /* The store: ONE connection, used under `store_mu`. Verification runs outside the lock;
     * only the short record / review / read statements are serialised, so nothing is ever half
     * written and no two threads share the connection. */
    qtb_store *store;
    pthread_mutex_t store_mu;
    int64_t *evidence_ids; /* the trust folders' CRLs, stored once at start */
    size_t nevidence;
    /* live state */
    atomic_long active;       /* requests between their first callback and their completion */
    atomic_size_t body_bytes; /* request bodies held now (bounded by max_body_bytes) */
    size_t max_body_bytes;    /* --max-body-memory; QTB_MAX_HTTP_BODIES by default */
    serve_metrics metrics;
    double started;
} serve_server;

/* One request's state (MHD's con_cls). */
typedef struct serve_req {
    double t0;
    serve_route route;
    unsigned status;
    char method[8];
    char path[96]; /* for the log: the path only, never the query or the body */
    unsigned char *body;
    size_t len, cap;
    bool too_big;
    bool busy;   /* the server holds too many bodies: 503 */
    bool secret; /* the body holds a password: wiped when freed */
    const serve_token *who;
} serve_req;

/* A response the endpoint built: JSON (owned jansson value), or bytes. */
typedef struct serve_resp {
    unsigned status;
    json_t *json;
    unsigned char *bytes; /* malloc'd, or static when `bytes_static` */
    size_t len;
    bool bytes_static;
    const char *type;
    const char *allow; /* the Allow header of a 405 */
} serve_resp;

double serve_now(void);

/* serve_api.c: one endpoint. Fills `out`; never fails (errors are responses). */
void serve_dispatch(serve_server *s, serve_req *q, const char *query_status, serve_resp *out,
                    int64_t id);

/* serve_http.c */
int serve_run(serve_server *s, const char *listen, unsigned threads);
bool serve_listen_ok(const char *listen);
void serve_metrics_text(const serve_server *s, char **out, size_t *len);
serve_route serve_route_of(const char *path, int64_t *id);
const char *serve_route_methods(serve_route r);
bool serve_route_needs_token(const serve_server *s, serve_route r);

/* Cut a string that snprintf shortened back to the end of its last whole UTF-8 character. */
void serve_utf8_trim(char *s);

/* Helpers for building responses. */
void serve_error(serve_resp *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void serve_json(serve_resp *out, unsigned status, json_t *j);

#endif
