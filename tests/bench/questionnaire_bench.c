/*
 * Questionnaire PDF throughput: PDFs/s and bytes per PDF, beside bare libharu loops that write
 * the same text with DejaVuSans embedded. Not a test: build and run it on request,
 *
 *   cmake --build build --target bench_questionnaire && build/tests/bench_questionnaire [N]
 *
 * N defaults to 1000 questionnaires per variant. Single-threaded variants are timed in thread
 * CPU time (so "per core" holds on a busy machine); the all-cores variant in wall time.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hpdf.h>

#include <qtb/questionnaire.h>
#include <qtb/report.h>

#include "applicant_int.h"
#include "internal.h"

/*
 * CPU time of the calling thread: "per core" numbers that do not depend on what else the
 * (shared) machine is doing. The all-cores variant uses wall time.
 */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void print_row(const char *name, int n, double secs, size_t bytes, int threads)
{
    printf("%-58s %8.1f PDFs/s %8.1f PDFs/s/core %8zu B/PDF %7.3f ms/PDF\n", name, n / secs,
           n / secs / threads, bytes / (size_t)n, secs * 1000.0 / n * threads);
}

/* The text the questionnaire carries: its labels' length and the applicant's values. */
static size_t text_lines(const qtb_applicant *a, const char **out, size_t max)
{
    const char *v[] = {a->application_id,
                       a->org_name,
                       a->org_idnum,
                       a->org_reg_address,
                       a->org_act_address,
                       a->org_sector,
                       a->org_oked,
                       a->org_activity,
                       a->reg_number,
                       a->reg_issuer,
                       a->reg_place,
                       a->lic_number,
                       a->lic_issuer,
                       a->iban,
                       a->bank_name,
                       a->bic,
                       a->kbe,
                       a->id_kind,
                       a->id_number,
                       a->id_issuer,
                       a->user_iin,
                       a->user_surname,
                       a->user_name,
                       a->user_patronymic,
                       a->user_email,
                       a->user_phone,
                       a->user_country,
                       a->user_birth_place,
                       a->user_position,
                       a->user_address,
                       a->sha256_hex};
    size_t n = 0;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && n < max; i++) {
        if (v[i] != NULL) {
            out[n++] = v[i];
        }
    }
    static const char *labels[] = {
        "АНКЕТА ЗАЯВИТЕЛЯ — ӨТІНІШ БЕРУШІНІҢ САУАЛНАМАСЫ",
        "Сведения об организации: наименование, БИН/ИИН, юридический и фактический адрес",
        "Свидетельство о государственной регистрации: номер, дата, кем выдан, место выдачи",
        "Лицензия: номер, дата выдачи, действительна до, кем выдана",
        "Банковские реквизиты: ИИК (IBAN), банк, БИК, КБе",
        "Документ, удостоверяющий личность руководителя: вид, номер, кем выдан, даты",
        "Публичные должностные лица: ПДЛ, родственник ПДЛ, иностранное ПДЛ — Да / Нет",
        "Пользователь: ИИН, фамилия, имя, отчество, почта, телефон, дата рождения, пол",
        "Ұйым атынан әрекет ететін пайдаланушы: ЖСН, тегі, аты, әкесінің аты — ӘҒҚҢӨҰҮҺІ",
        "Место для подписи ЭЦП — ЭЦҚ қою орны"};
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]) && n < max; i++) {
        out[n++] = labels[i];
    }
    return n;
}

/* A bare libharu document: load a TrueType file, embed it, write the lines, save to memory. */
static size_t bare_pdf(const char *font_file, const char **lines, size_t nlines)
{
    HPDF_Doc pdf = HPDF_New(NULL, NULL);
    if (pdf == NULL) {
        return 0;
    }
    HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(pdf);
    HPDF_SetCurrentEncoder(pdf, "UTF-8");
    const char *name = HPDF_LoadTTFontFromFile(pdf, font_file, HPDF_TRUE);
    HPDF_Font font = name != NULL ? HPDF_GetFont(pdf, name, "UTF-8") : NULL;
    size_t size = 0;
    if (font != NULL) {
        HPDF_Page page = HPDF_AddPage(pdf);
        HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
        HPDF_Page_BeginText(page);
        HPDF_Page_SetFontAndSize(page, font, 8);
        for (size_t i = 0; i < nlines; i++) {
            HPDF_Page_TextOut(page, 40, 800 - 12.0f * (float)i, lines[i]);
        }
        HPDF_Page_EndText(page);
        HPDF_SaveToStream(pdf);
        size = HPDF_GetStreamSize(pdf);
    }
    HPDF_Free(pdf);
    return size;
}

static int bench_bare(const char *label, const char *font_file, const qtb_applicant *a, int n)
{
    const char *lines[64];
    size_t nlines = text_lines(a, lines, 64);
    size_t bytes = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        size_t s = bare_pdf(font_file, lines, nlines);
        if (s == 0) {
            fprintf(stderr, "bare libharu failed with %s\n", font_file);
            return 1;
        }
        bytes += s;
    }
    print_row(label, n, now() - t0, bytes, 1);
    return 0;
}

static int bench_render(const char *label, const qtb_applicant *a, int n)
{
    size_t bytes = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        unsigned char *pdf = NULL;
        size_t len = 0;
        if (qtb_questionnaire_render(&pdf, &len, a, NULL) != 0) {
            fprintf(stderr, "render failed: %s\n", qtb_error_last()->message);
            return 1;
        }
        bytes += len;
        qtb_string_free((char *)pdf);
    }
    print_row(label, n, now() - t0, bytes, 1);
    return 0;
}

static int bench_pipeline(const char *label, const unsigned char *xml, size_t xml_len, int n)
{
    size_t bytes = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        qtb_applicant *a = NULL;
        qtb_findings *f = NULL;
        unsigned char *pdf = NULL;
        size_t len = 0;
        qtb_check_options co = QTB_CHECK_OPTIONS_INIT;
        co.today_year = 2026;
        co.today_month = 11;
        co.today_day = 22;
        if (qtb_applicant_parse(&a, xml, xml_len, NULL) != 0 ||
            qtb_applicant_check(&f, a, &co) != 0 ||
            qtb_questionnaire_render(&pdf, &len, a, NULL) != 0) {
            fprintf(stderr, "pipeline failed: %s\n", qtb_error_last()->message);
            return 1;
        }
        bytes += len;
        qtb_string_free((char *)pdf);
        qtb_findings_free(f);
        qtb_applicant_free(a);
    }
    print_row(label, n, now() - t0, bytes, 1);
    return 0;
}

typedef struct mt_job {
    const qtb_applicant *a;
    int n;
    size_t bytes;
    int rc;
} mt_job;

static void *mt_worker(void *arg)
{
    mt_job *j = arg;
    for (int i = 0; i < j->n && j->rc == 0; i++) {
        unsigned char *pdf = NULL;
        size_t len = 0;
        j->rc = qtb_questionnaire_render(&pdf, &len, j->a, NULL);
        j->bytes += len;
        qtb_string_free((char *)pdf);
    }
    return NULL;
}

static int bench_threads(const char *label, const qtb_applicant *a, int n)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = cores > 0 && cores < 64 ? (int)cores : 1;
    mt_job jobs[64];
    pthread_t tids[64];
    double t0 = wall();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (mt_job){a, n / threads, 0, 0};
        pthread_create(&tids[i], NULL, mt_worker, &jobs[i]);
    }
    size_t bytes = 0;
    int done = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
        if (jobs[i].rc != 0) {
            return 1;
        }
        bytes += jobs[i].bytes;
        done += jobs[i].n;
    }
    char name[128];
    snprintf(name, sizeof(name), "%s (%d threads)", label, threads);
    print_row(name, done, wall() - t0, bytes, threads);
    return 0;
}

static qtb_applicant *load(const char *name, unsigned char **xml, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/fixtures/applicants/%s", QTB_SOURCE_DIR, name);
    qtb_applicant *a = NULL;
    if (qtb_file_read(xml, len, path, QTB_MAX_APPLICANT_FILE) != 0 ||
        qtb_applicant_parse(&a, *xml, *len, NULL) != 0) {
        fprintf(stderr, "%s: %s\n", path, qtb_error_last()->message);
        return NULL;
    }
    return a;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 1000;
    if (n < 1) {
        n = 1000;
    }
    unsigned char *xml1 = NULL, *xml2 = NULL;
    size_t len1 = 0, len2 = 0;
    /* One page: a natural person. Two pages: a legal entity with licence and three documents. */
    qtb_applicant *one = load("np-ivanova-ru.xml", &xml1, &len1);
    qtb_applicant *two = load("le-sakhtandyru-kk.xml", &xml2, &len2);
    if (one == NULL || two == NULL) {
        return 1;
    }
    printf("%d PDFs per variant; font subset: %s\n", n, QTB_FONT_SUBSET_FILE);
    int rc = 0;
    int bare_n = n / 4 > 0 ? n / 4 : 1; /* the full-font loop is slow; a quarter is enough */
    rc |=
        bench_bare("bare libharu, DejaVuSans.ttf embedded (1 page)", QTB_DEJAVU_FILE, one, bare_n);
    rc |= bench_bare("bare libharu, build-time subset from file (1 page)", QTB_FONT_SUBSET_FILE,
                     one, n);
    rc |= bench_render("qtb_questionnaire_render, 1-page questionnaire", one, n);
    rc |= bench_pipeline("parse + pre-check + render, 1-page questionnaire", xml1, len1, n);
    rc |= bench_render("qtb_questionnaire_render, 2-page questionnaire", two, n);
    rc |= bench_threads("qtb_questionnaire_render, 1-page, all cores", one, n);
    qtb_applicant_free(one);
    qtb_applicant_free(two);
    qtb_free(xml1);
    qtb_free(xml2);
    return rc;
}
