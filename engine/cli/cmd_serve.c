/* qoltanba serve: the HTTP JSON service and the compliance review page (serve_http.c,
 * serve_api.c). This file reads the options and sets up what every worker thread shares. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qtb/error.h>
#include <qtb/init.h>
#include <qtb/limits.h>
#include <qtb/store.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

#include "cli.h"
#include "cli_trust.h"

#ifdef QTB_HAVE_MHD
#include <jansson.h>

#include "serve.h"
#endif

#define CMD "serve"
#define MAX_TRUST 16
#define MAX_THREADS 64u
#define TOKEN_FILE_MAX (64u * 1024)
#define CACHE_SLOTS 4096

#ifdef QTB_HAVE_MHD
/* A request body may carry a PKCS#12 password, and jansson's parser copies strings through
 * buffers it frees itself: in this process every block jansson frees is wiped first. */
static void json_free_wiped(void *p)
{
    if (p != NULL) {
        cli_wipe(p, malloc_usable_size(p));
        free(p);
    }
}
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qoltanba serve [--listen ADDR:PORT] [--db FILE] [--trust DIR]...\n"
            "                      [--token-file FILE] [--auth-verify] [--threads N]\n"
            "                      [--max-body-memory MIB]\n\n"
            "Serve the verification API (POST /cms/verify /xml/verify /x509/info /pkcs12/info\n"
            "/questionnaire), the review API (/submissions...) and the review page (GET /).\n"
            "Request bodies are limited to 32 MiB (413 above). See README.md, \"HTTP service\".\n\n"
            "  --listen ADDR:PORT  IPv4 address and port (default 127.0.0.1:14579; port 0 picks\n"
            "                      a free one, printed on stderr)\n"
            "  --db FILE           the review store (default $QTB_DB, else qoltanba.db)\n"
            "  --trust DIR         trust folder (anchors, intermediates, CRLs); repeatable\n"
            "  --token-file FILE   bearer tokens, one per line: \"NAME TOKEN\" (NAME is the\n"
            "                      reviewer recorded with decisions); required by the review\n"
            "                      endpoints, and on any address other than loopback\n"
            "  --auth-verify       require a token for the verification endpoints too\n"
            "  --threads N         worker threads (default: twice the online CPUs)\n"
            "  --max-body-memory MIB\n"
            "                      request bodies held at once, all connections together\n"
            "                      (default 512); a request that would go over gets 503\n\n"
            "SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.\n");
}

#ifdef QTB_HAVE_MHD

/* "NAME TOKEN" per line; blank lines and '#' comments skipped. A token of fewer than 16
 * characters is refused: it would be guessable. */
static int load_tokens(serve_server *s, const char *path)
{
    unsigned char *text = NULL;
    size_t len = 0;
    if (cli_read_file(CMD, &text, &len, path, TOKEN_FILE_MAX) != 0) {
        return CLI_ERROR;
    }
    s->tokens = calloc(SERVE_MAX_TOKENS, sizeof(*s->tokens));
    if (s->tokens == NULL) {
        free(text);
        return cli_error(CMD, "out of memory");
    }
    int rc = CLI_OK;
    char *line = (char *)text;
    unsigned lineno = 0;
    while (line != NULL && *line != '\0') {
        char *next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        lineno++;
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) {
            line[--n] = '\0';
        }
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#') {
            line = next;
            continue;
        }
        char *sp = p + strcspn(p, " \t");
        char *tok = sp + strspn(sp, " \t");
        size_t name_len = (size_t)(sp - p);
        size_t tok_len = strlen(tok);
        if (*sp == '\0' || name_len >= sizeof(s->tokens->name) || tok_len < 16 ||
            tok_len >= SERVE_TOKEN_MAX || strpbrk(tok, " \t") != NULL) {
            rc = cli_error(CMD, "%s:%u: want \"NAME TOKEN\" (token of 16-255 characters)", path,
                           lineno);
            break;
        }
        if (s->ntokens == SERVE_MAX_TOKENS) {
            rc = cli_error(CMD, "%s: more than %d tokens", path, SERVE_MAX_TOKENS);
            break;
        }
        serve_token *t = &s->tokens[s->ntokens++];
        memcpy(t->name, p, name_len);
        t->name[name_len] = '\0';
        memcpy(t->token, tok, tok_len);
        t->token[tok_len] = '\0';
        t->len = tok_len;
        line = next;
    }
    cli_wipe(text, len);
    free(text);
    if (rc == CLI_OK && s->ntokens == 0) {
        rc = cli_error(CMD, "%s holds no token", path);
    }
    return rc;
}

/* The trust folders' CRLs, stored once, linked to every submission recorded (as batch does). */
static int store_evidence(serve_server *s, char **dirs, int ndirs)
{
    qtb_sub_evidence *crls = NULL;
    size_t n = 0;
    if (ndirs == 0) {
        return CLI_OK;
    }
    if (cli_trust_crls(CMD, &crls, &n, dirs, ndirs) != 0) {
        return CLI_ERROR;
    }
    int rc = CLI_OK;
    s->evidence_ids = calloc(n > 0 ? n : 1, sizeof(*s->evidence_ids));
    if (s->evidence_ids == NULL) {
        cli_evidence_free(crls, n);
        return cli_error(CMD, "out of memory");
    }
    if (qtb_store_begin(s->store) != 0) {
        rc = cli_lib_error(CMD, "store");
    }
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        if (qtb_store_put_evidence(&s->evidence_ids[i], s->store, &crls[i]) != 0) {
            rc = cli_lib_error(CMD, "storing the trust folders' CRLs");
        }
    }
    if (rc == CLI_OK && qtb_store_commit(s->store) != 0) {
        rc = cli_lib_error(CMD, "store");
    }
    if (rc != CLI_OK) {
        qtb_store_rollback(s->store);
    }
    s->nevidence = n;
    cli_evidence_free(crls, n);
    return rc;
}

typedef struct serve_args {
    const char *listen, *db, *token_file;
    char *trust[MAX_TRUST];
    int ntrust;
    unsigned threads;
    size_t max_body_bytes; /* 0: QTB_MAX_HTTP_BODIES */
    bool auth_verify;
} serve_args;

static int parse_args(serve_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},
        {"trust", required_argument, NULL, 't'},
        {"token-file", required_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 'n'},
        {"auth-verify", no_argument, NULL, 'a'},
        {"max-body-memory", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            a->listen = optarg;
            break;
        case 'd':
            a->db = optarg;
            break;
        case 't':
            if (a->ntrust == MAX_TRUST) {
                return cli_error(CMD, "at most %d --trust folders", MAX_TRUST);
            }
            a->trust[a->ntrust++] = optarg;
            break;
        case 'k':
            a->token_file = optarg;
            break;
        case 'a':
            a->auth_verify = true;
            break;
        case 'n': {
            long long v = 0;
            if (cli_parse_int(&v, optarg, 1, MAX_THREADS) != 0) {
                return cli_error(CMD, "--threads takes 1 to %u", MAX_THREADS);
            }
            a->threads = (unsigned)v;
            break;
        }
        case 'm': {
            long long v = 0;
            if (cli_parse_int(&v, optarg, 1, 65536) != 0) {
                return cli_error(CMD, "--max-body-memory takes 1 to 65536 (MiB)");
            }
            a->max_body_bytes = (size_t)v << 20;
            break;
        }
        default:
            usage(stderr);
            return cli_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) {
        usage(stderr);
        return cli_error(CMD, "unexpected argument '%s'", argv[optind]);
    }
    return CLI_OK;
}

int cmd_serve(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    serve_args a = {"127.0.0.1:14579", getenv("QTB_DB"), NULL, {NULL}, 0, 0, 0, false};
    if (parse_args(&a, argc, argv) != CLI_OK) {
        return CLI_ERROR;
    }
    if (a.db == NULL) {
        a.db = "qoltanba.db";
    }
    if (!serve_listen_ok(a.listen)) {
        return cli_error(CMD, "--listen wants IPv4-ADDRESS:PORT, not '%s'", a.listen);
    }
    if (a.threads == 0) {
        /* Two per CPU: with one per CPU, measured on 2 cores under wrk, the service ran at
         * ~4,400 or ~8,200 requests/s depending on how the threads and the client happened to
         * be scheduled (a thread sleeping in epoll while its CPU idled); with two per CPU,
         * 8,700-9,300 every time. */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a.threads = n > 0 && 2 * n <= (long)MAX_THREADS ? 2u * (unsigned)n : 4u;
    }
    json_set_alloc_funcs(malloc, json_free_wiped); /* before any JSON is made */
    qtb_library_init();
    static serve_server s; /* large (metrics); one per process */
    memset(&s, 0, sizeof(s));
    s.log_fd = 2;
    s.started = serve_now();
    s.verify_needs_token = a.auth_verify;
    s.max_body_bytes = a.max_body_bytes != 0 ? a.max_body_bytes : QTB_MAX_HTTP_BODIES;
    pthread_mutex_init(&s.store_mu, NULL);
    int rc = CLI_ERROR;
    if (a.token_file != NULL && load_tokens(&s, a.token_file) != CLI_OK) {
        goto done;
    }
    if (a.auth_verify && s.ntokens == 0) {
        rc = cli_error(CMD, "--auth-verify needs --token-file");
        goto done;
    }
    if (cli_load_trust(CMD, &s.trust, a.trust, a.ntrust) != 0) {
        goto done;
    }
    if (qtb_cert_cache_new(&s.cache, CACHE_SLOTS) != 0) {
        rc = cli_lib_error(CMD, "certificate cache");
        goto done;
    }
    if (qtb_store_open(&s.store, a.db) != 0) {
        rc = cli_lib_error(CMD, a.db);
        goto done;
    }
    if (store_evidence(&s, a.trust, a.ntrust) != CLI_OK) {
        goto done;
    }
    rc = serve_run(&s, a.listen, a.threads);
done:
    qtb_store_close(s.store);
    qtb_cert_cache_free(s.cache);
    cli_trust_release(s.trust);
    free(s.evidence_ids);
    if (s.tokens != NULL) {
        cli_wipe(s.tokens, SERVE_MAX_TOKENS * sizeof(*s.tokens));
    }
    free(s.tokens);
    pthread_mutex_destroy(&s.store_mu);
    return rc;
}

#else /* !QTB_HAVE_MHD */

int cmd_serve(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    return cli_error(CMD, "this build has no HTTP server (install libmicrohttpd-dev, rebuild)");
}

#endif
