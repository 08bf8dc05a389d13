/* qoltanba batch: verify every submission of an inbox folder and record it in the store. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <qtb/batch.h>
#include <qtb/error.h>
#include <qtb/store.h>
#include <qtb/trust.h>

#include "cli.h"
#include "cli_trust.h"

#define CMD "batch"
#define MAX_TRUST_DIRS 16
#define MAX_LISTED 100000 /* rejections/errors kept for the summary */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qoltanba batch --db FILE [--trust DIR]... [--jobs N] [--json]\n"
            "                      [--retry-errors] [--commit-every N] [--commit-ms MS] INBOX\n\n"
            "Verify every submission folder of INBOX (applicant.xml, questionnaire.pdf.cms,\n"
            "auth.xml, attachments/) and record the results in the SQLite store. A folder\n"
            "already recorded with the same content is skipped; a changed one becomes a new\n"
            "version. Interrupting (even kill -9) and re-running loses and duplicates nothing.\n\n"
            "  --db FILE          the store (default: $QTB_DB)\n"
            "  --trust DIR        trust anchors and CRLs (repeatable)\n"
            "  --jobs N           worker threads (default: all cores)\n"
            "  --retry-errors     re-check folders whose recorded outcome was ERROR\n"
            "  --commit-every N   submissions per transaction (default 256)\n"
            "  --commit-ms MS     commit at least every MS milliseconds (default 1000)\n"
            "  --json             print the summary as JSON\n\n"
            "Progress goes to stderr (a bar on a terminal, one line per submission otherwise).\n"
            "Exit codes: 0 the run completed (rejections are outcomes, not failures),\n"
            "2 usage, I/O or store error.\n");
}

/* ---- progress ------------------------------------------------------------------------------ */

typedef struct progress {
    bool tty;
    double last_draw;
    json_t *rejected; /* [{key,id,version,reason}] */
    json_t *errors;
    size_t accepted, rejected_n, errors_n, skipped;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw_bar(progress *p, const qtb_batch_event *ev)
{
    double t = now_s();
    if (ev->done != ev->total && t - p->last_draw < 0.1) {
        return;
    }
    p->last_draw = t;
    int width = 30;
    int filled = ev->total > 0 ? (int)((double)ev->done * width / (double)ev->total) : width;
    char bar[64];
    for (int i = 0; i < width; i++) {
        bar[i] = i < filled ? '#' : '.';
    }
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu  accepted %zu  rejected %zu  errors %zu  unchanged %zu", bar,
            ev->done, ev->total, p->accepted, p->rejected_n, p->errors_n, p->skipped);
    if (ev->done == ev->total) {
        fputc('\n', stderr);
    }
    fflush(stderr);
}

static void on_event(void *payload, const qtb_batch_event *ev)
{
    progress *p = payload;
    if (ev->skipped) {
        p->skipped++;
    } else if (ev->outcome == QTB_OUTCOME_ACCEPTED) {
        p->accepted++;
    } else {
        json_t *list = ev->outcome == QTB_OUTCOME_REJECTED ? p->rejected : p->errors;
        if (ev->outcome == QTB_OUTCOME_REJECTED) {
            p->rejected_n++;
        } else {
            p->errors_n++;
        }
        if (json_array_size(list) < MAX_LISTED) {
            json_array_append_new(list,
                                  json_pack("{s:s, s:I, s:I, s:s}", "key", ev->key, "id",
                                            (json_int_t)ev->id, "version", (json_int_t)ev->version,
                                            "reason", ev->reason ? ev->reason : ""));
        }
    }
    if (p->tty) {
        draw_bar(p, ev);
        return;
    }
    if (ev->skipped) {
        fprintf(stderr, "%s: unchanged, skipped\n", ev->key);
    } else {
        fprintf(stderr, "%s: v%lld id %lld %s%s%s\n", ev->key, (long long)ev->version,
                (long long)ev->id, qtb_outcome_name(ev->outcome), ev->reason ? ": " : "",
                ev->reason ? ev->reason : "");
    }
}

/* ---- summary ------------------------------------------------------------------------------- */

static void print_summary(const qtb_batch_summary *s, const progress *p, bool json)
{
    double rate = s->seconds > 0 ? (double)(s->total - s->skipped) / s->seconds : 0;
    if (json) {
        json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:O, s:O}", "total",
                              (json_int_t)s->total, "accepted", (json_int_t)s->accepted, "rejected",
                              (json_int_t)s->rejected, "errors", (json_int_t)s->errors, "skipped",
                              (json_int_t)s->skipped, "commits", (json_int_t)s->commits, "seconds",
                              s->seconds, "submissions_per_second", rate, "rejections", p->rejected,
                              "error_list", p->errors);
        char *text = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (text != NULL) {
            printf("%s\n", text);
        }
        free(text);
        json_decref(o);
        return;
    }
    printf("%zu submissions in %.2f s (%.0f/s): %zu accepted for review, %zu rejected, %zu "
           "errors, %zu unchanged (skipped)\n",
           s->total, s->seconds, rate, s->accepted, s->rejected, s->errors, s->skipped);
    const json_t *lists[2] = {p->rejected, p->errors};
    const char *titles[2] = {"rejected", "errors"};
    for (int l = 0; l < 2; l++) {
        if (json_array_size(lists[l]) == 0) {
            continue;
        }
        printf("%s:\n", titles[l]);
        size_t i;
        json_t *e;
        json_array_foreach(lists[l], i, e)
        {
            printf("  %s (id %lld): %s\n", json_string_value(json_object_get(e, "key")),
                   (long long)json_integer_value(json_object_get(e, "id")),
                   json_string_value(json_object_get(e, "reason")));
        }
    }
}

static int parse_count(unsigned *out, const char *s, unsigned max)
{
    long long v = 0;
    if (cli_parse_int(&v, s, 1, max) != 0) {
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int cmd_batch(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"trust", required_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'j'},
        {"json", no_argument, NULL, 'J'},
        {"retry-errors", no_argument, NULL, 'r'},
        {"commit-every", required_argument, NULL, 'c'},
        {"commit-ms", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = getenv("QTB_DB");
    char *trust_dirs[MAX_TRUST_DIRS];
    int ntrust = 0;
    bool json = false;
    qtb_batch_options opts = QTB_BATCH_OPTIONS_INIT;
    unsigned commit_every = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 't':
            if (ntrust == MAX_TRUST_DIRS) {
                return cli_error(CMD, "at most %d --trust folders", MAX_TRUST_DIRS);
            }
            trust_dirs[ntrust++] = optarg;
            break;
        case 'j':
            if (parse_count(&opts.jobs, optarg, 256) != 0) {
                return cli_error(CMD, "--jobs takes a number from 1 to 256");
            }
            break;
        case 'J':
            json = true;
            break;
        case 'r':
            opts.record_flags |= QTB_RECORD_RETRY_ERRORS;
            break;
        case 'c':
            if (parse_count(&commit_every, optarg, 100000) != 0) {
                return cli_error(CMD, "--commit-every takes a number from 1 to 100000");
            }
            break;
        case 'm':
            if (parse_count(&opts.commit_ms, optarg, 3600000) != 0) {
                return cli_error(CMD, "--commit-ms takes a number from 1 to 3600000");
            }
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return cli_error(CMD, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return cli_error(CMD, "expected exactly one INBOX folder");
    }
    if (db == NULL || db[0] == '\0') {
        return cli_error(CMD, "--db FILE is required (or set QTB_DB)");
    }
    opts.commit_every = commit_every;
    /* Test hooks of the crash-consistency test (tests/e2e/batch_crash.sh). */
    const char *crash = getenv("QTB_BATCH_CRASH_AFTER");
    if (crash != NULL && parse_count(&opts.crash_after_commits, crash, 1000000) != 0) {
        return cli_error(CMD, "QTB_BATCH_CRASH_AFTER must be a number");
    }
    crash = getenv("QTB_BATCH_CRASH_MID");
    if (crash != NULL && parse_count(&opts.crash_mid_transaction, crash, 1000000) != 0) {
        return cli_error(CMD, "QTB_BATCH_CRASH_MID must be a number");
    }

    qtb_trust *trust = NULL;
    int rc = cli_load_trust(CMD, &trust, trust_dirs, ntrust);
    if (rc != 0) {
        return rc;
    }
    qtb_sub_evidence *crls = NULL;
    size_t ncrls = 0;
    if (trust != NULL && cli_trust_crls(CMD, &crls, &ncrls, trust_dirs, ntrust) != 0) {
        cli_trust_release(trust);
        return CLI_ERROR;
    }
    opts.evidence = crls;
    opts.nevidence = ncrls;
    qtb_store *store = NULL;
    if (qtb_store_open(&store, db) != 0) {
        cli_evidence_free(crls, ncrls);
        cli_trust_release(trust);
        return cli_lib_error(CMD, db);
    }
    progress p = {isatty(STDERR_FILENO) == 1, 0, json_array(), json_array(), 0, 0, 0, 0};
    opts.pipeline.trust = trust;
    opts.progress = on_event;
    opts.payload = &p;
    qtb_batch_summary sum;
    if (qtb_batch_run(&sum, store, argv[optind], &opts) != 0) {
        rc = cli_lib_error(CMD, argv[optind]);
    } else {
        print_summary(&sum, &p, json);
        rc = CLI_OK;
    }
    json_decref(p.rejected);
    json_decref(p.errors);
    qtb_store_close(store);
    cli_evidence_free(crls, ncrls);
    cli_trust_release(trust);
    return rc;
}
