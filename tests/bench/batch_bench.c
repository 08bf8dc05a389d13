/*
 * The per-step costs of a submission, each measured alone on one thread over the same inbox that
 * `qoltanba batch` processed end to end (not a CTest test; run by tests/bench/batch_bench.sh):
 *
 *   batch_bench TRUST_DIR AT INBOX
 *
 *   load        read the folder, hash every file (qtb_pipeline_load)
 *   parse       applicant.xml: parse, schema, pre-checks (qtb_applicant_parse + _check)
 *   render      regenerate the questionnaire PDF (qtb_questionnaire_render)
 *   signatures  verify questionnaire.pdf.cms over the regenerated PDF and every attachment's
 *               detached CMS, full path and CRL checks (qtb_cms_verify)
 *   verify      all of the above after load, as the pipeline does it (qtb_pipeline_verify)
 *   record      write the verified results to a fresh SQLite store, 256 per transaction
 *
 * It prints milliseconds per submission for each, their sum, and the throughput that sum allows
 * on all cores, to set beside the end-to-end figure.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qtb/batch.h>
#include <qtb/error.h>
#include <qtb/init.h>
#include <qtb/questionnaire.h>
#include <qtb/report.h>
#include <qtb/store.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const qtb_sub_document *doc(const qtb_submission_result *r, const char *name)
{
    for (size_t i = 0; i < r->ndocuments; i++) {
        if (strcmp(r->documents[i].name, name) == 0) {
            return &r->documents[i];
        }
    }
    return NULL;
}

static void die(const char *what)
{
    fprintf(stderr, "batch_bench: %s: %s\n", what, qtb_error_last()->message);
    exit(2);
}

/* Verify one CMS with its content in memory; exits unless it passes. */
static void verify_cms(const qtb_trust *trust, qtb_cert_cache *cache, int64_t at,
                       const qtb_sub_document *sig, const unsigned char *content,
                       size_t content_len)
{
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    o.trust = trust;
    o.cert_cache = cache;
    o.at = at;
    o.content = content;
    o.content_len = content_len;
    qtb_report *rep = NULL;
    if (qtb_cms_verify(&rep, sig->data, sig->len, &o) != 0) {
        die(sig->name);
    }
    if (qtb_report_indication(rep) != QTB_TOTAL_PASSED) {
        fprintf(stderr, "batch_bench: %s does not pass\n", sig->name);
        exit(1);
    }
    qtb_report_free(rep);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: batch_bench TRUST_DIR AT INBOX\n");
        return 2;
    }
    qtb_library_init();
    qtb_trust *trust = NULL;
    qtb_cert_cache *cache = NULL; /* as qtb_batch_run uses one */
    int64_t at = 0;
    if (qtb_trust_new(&trust) != 0 || qtb_trust_add_dir(trust, argv[1]) != 0 ||
        qtb_cert_cache_new(&cache, 0) != 0) {
        die("trust");
    }
    if (qtb_time_parse(&at, argv[2]) != 0) {
        die("time");
    }
    const char *inbox = argv[3];

    DIR *d = opendir(inbox);
    if (d == NULL) {
        perror(inbox);
        return 2;
    }
    size_t n = 0, cap = 0;
    char **keys = NULL;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            keys = realloc(keys, cap * sizeof(*keys));
        }
        keys[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(keys, n, sizeof(*keys), cmp_str);
    qtb_submission_result *subs = calloc(n, sizeof(*subs));

    qtb_pipeline_ctx ctx = QTB_PIPELINE_CTX_INIT;
    ctx.trust = trust;
    ctx.cert_cache = cache;
    ctx.at = at;
    ctx.inbox_root = inbox;

    /* load */
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/%s", inbox, keys[i]);
        qtb_submission_result_init(&subs[i]);
        if (qtb_pipeline_load(&subs[i], &ctx, dir, keys[i]) != 0) {
            die(dir);
        }
    }
    double t_load = now_s() - t0;

    /* parse + pre-checks, then render, each alone */
    qtb_applicant **apps = calloc(n, sizeof(*apps));
    struct tm today;
    time_t at_t = (time_t)at;
    gmtime_r(&at_t, &today);
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        const qtb_sub_document *x = doc(&subs[i], "applicant.xml");
        qtb_findings *f = NULL;
        qtb_check_options co = QTB_CHECK_OPTIONS_INIT;
        co.today_year = today.tm_year + 1900;
        co.today_month = today.tm_mon + 1;
        co.today_day = today.tm_mday;
        if (x == NULL || qtb_applicant_parse(&apps[i], x->data, x->len, NULL) != 0 ||
            qtb_applicant_check(&f, apps[i], &co) != 0) {
            die("applicant.xml");
        }
        qtb_findings_free(f);
    }
    double t_parse = now_s() - t0;
    unsigned char **pdfs = calloc(n, sizeof(*pdfs));
    size_t *pdf_lens = calloc(n, sizeof(*pdf_lens));
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        if (qtb_questionnaire_render(&pdfs[i], &pdf_lens[i], apps[i], NULL) != 0) {
            die("render");
        }
    }
    double t_render = now_s() - t0;

    /* the signatures alone: the questionnaire's over the regenerated PDF, each attachment's */
    size_t nsigs = 0;
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        const qtb_sub_document *q = doc(&subs[i], "questionnaire.pdf.cms");
        if (q == NULL) {
            fprintf(stderr, "batch_bench: %s has no questionnaire.pdf.cms\n", keys[i]);
            return 1;
        }
        verify_cms(trust, cache, at, q, pdfs[i], pdf_lens[i]);
        nsigs++;
        for (size_t k = 0; k < subs[i].ndocuments; k++) {
            const qtb_sub_document *s = &subs[i].documents[k];
            size_t len = strlen(s->name);
            if (strncmp(s->name, "attachments/", 12) != 0 || len < 5 ||
                strcmp(s->name + len - 4, ".cms") != 0) {
                continue;
            }
            char content_name[512];
            snprintf(content_name, sizeof(content_name), "%.*s", (int)(len - 4), s->name);
            const qtb_sub_document *c = doc(&subs[i], content_name);
            if (c == NULL) {
                die(content_name);
            }
            verify_cms(trust, cache, at, s, c->data, c->len);
            nsigs++;
        }
    }
    double t_sigs = now_s() - t0;
    for (size_t i = 0; i < n; i++) {
        qtb_applicant_free(apps[i]);
        qtb_string_free((char *)pdfs[i]);
    }

    /* the pipeline's whole verification step */
    t0 = now_s();
    size_t accepted = 0;
    for (size_t i = 0; i < n; i++) {
        if (qtb_pipeline_verify(&subs[i], &ctx) != 0) {
            die("verify");
        }
        accepted += subs[i].outcome == QTB_OUTCOME_ACCEPTED;
    }
    double t_verify = now_s() - t0;
    if (accepted != n) {
        fprintf(stderr, "batch_bench: only %zu of %zu submissions accepted\n", accepted, n);
        return 1;
    }

    /* record into a fresh store, 256 per transaction, as batch does */
    char dbdir[] = "/tmp/qtb_batch_bench_XXXXXX";
    if (mkdtemp(dbdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    char db[sizeof(dbdir) + 16];
    snprintf(db, sizeof(db), "%s/b.db", dbdir);
    qtb_store *st = NULL;
    if (qtb_store_open(&st, db) != 0) {
        die("store");
    }
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        if (i % 256 == 0 && qtb_store_begin(st) != 0) {
            die("begin");
        }
        if (qtb_store_record(st, NULL, &subs[i], "bench", 0) != 0) {
            die("record");
        }
        if ((i % 256 == 255 || i + 1 == n) && qtb_store_commit(st) != 0) {
            die("commit");
        }
    }
    double t_record = now_s() - t0;
    qtb_store_close(st);
    char side[sizeof(db) + 8];
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
    rmdir(dbdir);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double ms = 1000.0 / (double)n;
    printf("per submission, each step alone on one thread (%zu submissions, %zu signatures):\n", n,
           nsigs);
    printf("  load (read + hash)          %6.3f ms\n", t_load * ms);
    printf("  parse + pre-checks          %6.3f ms\n", t_parse * ms);
    printf("  render questionnaire PDF    %6.3f ms\n", t_render * ms);
    printf("  verify the signatures       %6.3f ms\n", t_sigs * ms);
    printf("  = pipeline verify step      %6.3f ms (measured as one: %.3f ms)\n",
           (t_parse + t_render + t_sigs) * ms, t_verify * ms);
    printf("  record (SQLite, 256 per tx) %6.3f ms\n", t_record * ms);
    double sum = t_load + t_verify + t_record;
    printf("sum of the steps: %.3f ms per submission = %.0f submissions/s on one core, %.0f on "
           "%ld cores if they scaled perfectly\n",
           sum * ms, (double)n / sum, (double)n / sum * (double)cores, cores);
    for (size_t i = 0; i < n; i++) {
        qtb_submission_result_dispose(&subs[i]);
        free(keys[i]);
    }
    free(subs);
    free(keys);
    free(apps);
    free(pdfs);
    free(pdf_lens);
    qtb_cert_cache_free(cache);
    qtb_trust_free(trust);
    return 0;
}
