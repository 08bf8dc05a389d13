/*
 * qoltanba questionnaire: pre-check applicant data and render the questionnaire PDF the
 * applicant signs with their ЭЦП. One file with --out, or many with --out-dir on all cores.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qtb/error.h>
#include <qtb/limits.h>
#include <qtb/questionnaire.h>
#include <qtb/report.h>

#include "cli.h"

#define CMD "questionnaire"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: qoltanba questionnaire [options] --out FILE.pdf APPLICANT.xml\n"
            "       qoltanba questionnaire [options] --out-dir DIR APPLICANT.xml...\n"
            "       qoltanba questionnaire [options] APPLICANT.xml...   (pre-checks only)\n\n"
            "Pre-check applicant data and render the applicant questionnaire PDF (reproducible:\n"
            "the same data gives the same bytes).\n\n"
            "options:\n"
            "  --out FILE.pdf       write the questionnaire of one applicant\n"
            "  --out-dir DIR        write DIR/<name>.pdf for each applicant, using all cores\n"
            "  --lang ru|kk         label and message language (default: the notification "
            "language)\n"
            "  --today YYYY-MM-DD   the date for the \"not past\" checks (default: today)\n"
            "  --allow-findings     write the PDF even when there are error findings\n"
            "  --json               print the findings as JSON on stdout\n"
            "  -h, --help           this help\n\n"
            "Exit codes: 0 written (warnings allowed), 1 error findings (PDF refused),\n"
            "2 usage, I/O or malformed applicant data.\n");
}

typedef struct job {
    const char *path;
    char *out_path; /* NULL: check only */
    int rc;         /* CLI exit code for this file */
    char *json;     /* findings JSON (library-owned string) */
    char *text;     /* human-readable findings (malloc) */
    char err[1024]; /* one-line error, when rc == CLI_ERROR */
    bool refused;
    bool written;
} job;

typedef struct settings {
    qtb_lang lang;
    int y, m, d;
    bool allow;
    bool want_json;
} settings;

static int write_file(job *j, const unsigned char *data, size_t len)
{
    char tmp[4200];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", j->out_path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        snprintf(j->err, sizeof(j->err), "%s: output path too long", j->out_path);
        return CLI_ERROR;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        snprintf(j->err, sizeof(j->err), "cannot write %s: %s", j->out_path, strerror(errno));
        return CLI_ERROR;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, j->out_path) != 0) {
        snprintf(j->err, sizeof(j->err), "cannot write %s: %s", j->out_path, strerror(errno));
        remove(tmp);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static char *findings_text(const char *path, const qtb_findings *f)
{
    size_t cap = 256;
    for (size_t i = 0; i < qtb_findings_count(f); i++) {
        const qtb_finding *x = qtb_findings_get(f, i);
        cap += strlen(path) + strlen(x->code) + strlen(x->field) + strlen(x->message) + 32;
    }
    char *s = malloc(cap);
    if (s == NULL) {
        return NULL;
    }
    size_t o = 0;
    s[0] = '\0';
    for (size_t i = 0; i < qtb_findings_count(f); i++) {
        const qtb_finding *x = qtb_findings_get(f, i);
        int n = snprintf(s + o, cap - o, "%s: %s %s %s: %s\n", path,
                         qtb_finding_severity_name(x->severity), x->code, x->field, x->message);
        if (n > 0 && (size_t)n < cap - o) {
            o += (size_t)n;
        }
    }
    return s;
}

static void run_job(job *j, const settings *s)
{
    unsigned char *xml = NULL, *pdf = NULL;
    size_t xml_len = 0, pdf_len = 0;
    qtb_applicant *a = NULL;
    qtb_findings *f = NULL;
    j->rc = CLI_ERROR;

    FILE *probe = fopen(j->path, "rb");
    if (probe == NULL) {
        snprintf(j->err, sizeof(j->err), "cannot open %s: %s", j->path, strerror(errno));
        return;
    }
    fclose(probe);
    if (cli_read_file(CMD, &xml, &xml_len, j->path, QTB_MAX_APPLICANT_FILE) != 0) {
        snprintf(j->err, sizeof(j->err), "cannot read %s", j->path);
        return;
    }
    if (qtb_applicant_parse(&a, xml, xml_len, NULL) != 0) {
        snprintf(j->err, sizeof(j->err), "%s: %s", j->path, qtb_error_last()->message);
        goto done;
    }
    qtb_check_options co = QTB_CHECK_OPTIONS_INIT;
    co.today_year = s->y;
    co.today_month = s->m;
    co.today_day = s->d;
    co.lang = s->lang;
    if (qtb_applicant_check(&f, a, &co) != 0 || qtb_findings_to_json(&j->json, f, a) != 0) {
        snprintf(j->err, sizeof(j->err), "%s: %s", j->path, qtb_error_last()->message);
        goto done;
    }
    j->text = findings_text(j->path, f);
    size_t errors = qtb_findings_error_count(f);
    j->refused = errors > 0 && !s->allow;
    if (j->out_path == NULL) {
        j->rc = errors > 0 ? CLI_FAILED : CLI_OK;
        goto done;
    }
    if (j->refused) {
        j->rc = CLI_FAILED;
        goto done;
    }
    qtb_questionnaire_options qo = QTB_QUESTIONNAIRE_OPTIONS_INIT;
    qo.lang = s->lang;
    if (qtb_questionnaire_render(&pdf, &pdf_len, a, &qo) != 0) {
        snprintf(j->err, sizeof(j->err), "%s: %s", j->path, qtb_error_last()->message);
        goto done;
    }
    j->rc = write_file(j, pdf, pdf_len);
    j->written = j->rc == CLI_OK;
done:
    qtb_string_free((char *)pdf);
    qtb_findings_free(f);
    qtb_applicant_free(a);
    free(xml);
}

typedef struct pool {
    job *jobs;
    size_t n;
    atomic_size_t next;
    const settings *s;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) {
            return NULL;
        }
        run_job(&p->jobs[i], p->s);
    }
}

static void run_all(job *jobs, size_t n, const settings *s)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = cores > 0 ? (size_t)cores : 1;
    if (nthreads > n) {
        nthreads = n;
    }
    if (nthreads > 64) {
        nthreads = 64;
    }
    pool p = {jobs, n, 0, s};
    pthread_t tids[64];
    size_t started = 0;
    for (size_t i = 1; i < nthreads; i++) {
        if (pthread_create(&tids[started], NULL, worker, &p) != 0) {
            break;
        }
        started++;
    }
    worker(&p); /* the main thread works too */
    for (size_t i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
}

static int parse_date(settings *s, const char *v)
{
    char *end = NULL;
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-') {
        return -1;
    }
    s->y = (int)strtol(v, &end, 10);
    if (end != v + 4) {
        return -1;
    }
    s->m = (int)strtol(v + 5, &end, 10);
    if (end != v + 7) {
        return -1;
    }
    s->d = (int)strtol(v + 8, &end, 10);
    if (end != v + 10 || s->m < 1 || s->m > 12 || s->d < 1 || s->d > 31) {
        return -1;
    }
    return 0;
}

static char *out_name(const char *dir, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t blen = strlen(base);
    if (blen > 4 && strcmp(base + blen - 4, ".xml") == 0) {
        blen -= 4;
    }
    size_t cap = strlen(dir) + blen + 8;
    char *s = malloc(cap);
    if (s != NULL) {
        snprintf(s, cap, "%s/%.*s.pdf", dir, (int)blen, base);
    }
    return s;
}

static int report(job *jobs, size_t n, const settings *s, bool batch)
{
    int rc = CLI_OK;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (j->rc == CLI_ERROR) {
            cli_error(CMD, "%s", j->err);
        } else if (j->text != NULL && !s->want_json) {
            fputs(j->text, stderr);
        }
        if (j->refused) {
            cli_error(CMD, "%s: error findings; questionnaire not written (see --allow-findings)",
                      j->path);
        }
        if (j->rc > rc) {
            rc = j->rc;
        }
        if (arr == NULL) {
            continue;
        }
        json_t *o = j->json != NULL ? json_loads(j->json, 0, NULL) : json_object();
        if (o == NULL) {
            continue;
        }
        json_object_set_new(o, "file", json_string(j->path));
        json_object_set_new(o, "pdf", j->written ? json_string(j->out_path) : json_null());
        json_object_set_new(o, "refused", json_boolean(j->refused));
        if (j->rc == CLI_ERROR) {
            json_object_set_new(o, "error", json_string(j->err));
        }
        json_array_append_new(arr, o);
    }
    if (s->want_json && arr != NULL) {
        json_t *top = batch ? json_incref(arr) : json_incref(json_array_get(arr, 0));
        char *txt = top != NULL ? json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (txt != NULL) {
            puts(txt);
            free(txt);
        }
        json_decref(top);
    }
    json_decref(arr);
    return rc;
}

int cmd_questionnaire(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_OK;
    }
    settings s = {QTB_LANG_DEFAULT, 0, 0, 0, false, false};
    const char *out = NULL, *out_dir = NULL;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--out") == 0 && has_val) {
            out = argv[++i];
        } else if (strcmp(a, "--out-dir") == 0 && has_val) {
            out_dir = argv[++i];
        } else if (strcmp(a, "--lang") == 0 && has_val) {
            const char *v = argv[++i];
            if (strcmp(v, "ru") == 0) {
                s.lang = QTB_LANG_RU;
            } else if (strcmp(v, "kk") == 0) {
                s.lang = QTB_LANG_KK;
            } else {
                return cli_error(CMD, "--lang takes ru or kk, not '%s'", v);
            }
        } else if (strcmp(a, "--today") == 0 && has_val) {
            if (parse_date(&s, argv[++i]) != 0) {
                return cli_error(CMD, "--today takes a date YYYY-MM-DD, not '%s'", argv[i]);
            }
        } else if (strcmp(a, "--allow-findings") == 0) {
            s.allow = true;
        } else if (strcmp(a, "--json") == 0) {
            s.want_json = true;
        } else if (strcmp(a, "--") == 0) {
            first = i + 1;
            break;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_error(CMD, "unknown option or missing value: %s (see --help)", a);
        } else {
            first = i;
            break;
        }
    }
    size_t n = first < argc ? (size_t)(argc - first) : 0;
    if (n == 0) {
        usage(stderr);
        return CLI_ERROR;
    }
    if (out != NULL && out_dir != NULL) {
        return cli_error(CMD, "--out and --out-dir exclude each other");
    }
    if (out != NULL && n != 1) {
        return cli_error(CMD, "--out takes exactly one APPLICANT.xml (use --out-dir for many)");
    }
    if (s.y == 0) {
        time_t now = time(NULL);
        struct tm tm;
        if (localtime_r(&now, &tm) == NULL) {
            return cli_error(CMD, "cannot read the current date; pass --today YYYY-MM-DD");
        }
        s.y = tm.tm_year + 1900;
        s.m = tm.tm_mon + 1;
        s.d = tm.tm_mday;
    }
    job *jobs = calloc(n, sizeof(*jobs));
    if (jobs == NULL) {
        return cli_error(CMD, "out of memory");
    }
    int rc = CLI_OK;
    for (size_t i = 0; i < n; i++) {
        jobs[i].path = argv[first + (int)i];
        if (out != NULL) {
            jobs[i].out_path = strdup(out);
        } else if (out_dir != NULL) {
            jobs[i].out_path = out_name(out_dir, jobs[i].path);
        }
        if ((out != NULL || out_dir != NULL) && jobs[i].out_path == NULL) {
            rc = cli_error(CMD, "out of memory");
        }
    }
    if (rc == CLI_OK) {
        run_all(jobs, n, &s);
        rc = report(jobs, n, &s, n > 1 || out_dir != NULL);
    }
    for (size_t i = 0; i < n; i++) {
        free(jobs[i].out_path);
        free(jobs[i].text);
        qtb_string_free(jobs[i].json);
    }
    free(jobs);
    return rc;
}
