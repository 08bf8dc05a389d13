/*
 * Verification with online OCSP (not a CTest test; run by tests/bench/ocsp_bench.sh).
 *
 *   ocsp_bench TRUST_DIR OCSP_URL THREADS CMS...
 *   ocsp_bench TRUST_DIR crl:CRL_URL THREADS CMS...   (the same with a downloaded CRL)
 *
 * Verifies every (attached) CMS once, in one process on THREADS threads sharing one trust set
 * and one revocation checker (OCSP only, every certificate asked at OCSP_URL). Prints docs/s
 * and the number of OCSP requests sent: with one signer that must be 1 per cache lifetime,
 * however many documents and threads.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <qtb/error.h>
#include <qtb/report.h>
#include <qtb/revocation.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

typedef struct doc {
    unsigned char *cms;
    size_t len;
} doc;

static doc *docs;
static size_t ndocs;
static atomic_size_t next_doc, passed;
static qtb_trust *trust;

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        perror(path);
        exit(2);
    }
    unsigned char *p = malloc((size_t)st.st_size + 1);
    *len = fread(p, 1, (size_t)st.st_size, f);
    fclose(f);
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        size_t i = atomic_fetch_add(&next_doc, 1);
        if (i >= ndocs) {
            return NULL;
        }
        qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
        o.trust = trust;
        qtb_report *r = NULL;
        if (qtb_cms_verify(&r, docs[i].cms, docs[i].len, &o) == 0 &&
            qtb_report_indication(r) == QTB_TOTAL_PASSED) {
            atomic_fetch_add(&passed, 1);
        }
        qtb_report_free(r);
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: ocsp_bench TRUST_DIR OCSP_URL THREADS CMS...\n");
        return 2;
    }
    int threads = (int)strtol(argv[3], NULL, 10);
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "THREADS: 1..256\n");
        return 2;
    }
    qtb_revocation_options ro = QTB_REVOCATION_OPTIONS_INIT;
    bool crl = strncmp(argv[2], "crl:", 4) == 0;
    if (crl) {
        ro.sources[0] = QTB_REV_SOURCE_CRL;
        ro.crl_url = argv[2] + 4;
    } else {
        ro.sources[0] = QTB_REV_SOURCE_OCSP;
        ro.ocsp_url = argv[2];
    }
    qtb_revocation *rev = NULL;
    if (qtb_trust_new(&trust) != 0 || qtb_trust_add_dir(trust, argv[1]) != 0 ||
        qtb_revocation_new(&rev, &ro) != 0) {
        fprintf(stderr, "set-up: %s\n", qtb_error_last()->message);
        return 2;
    }
    qtb_trust_set_revocation(trust, rev);
    ndocs = (size_t)(argc - 4);
    docs = calloc(ndocs, sizeof(*docs));
    for (size_t i = 0; i < ndocs; i++) {
        docs[i].cms = slurp(argv[4 + i], &docs[i].len);
    }
    pthread_t *tid = calloc((size_t)threads, sizeof(*tid));
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        pthread_create(&tid[i], NULL, worker, NULL);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
    }
    double dt = now_s() - t0;
    unsigned long requests = qtb_revocation_ocsp_requests(rev);
    printf("qoltanba + %s (%d threads): %zu documents in %.3f s = %.0f docs/s, %zu passed, "
           "%lu OCSP request%s\n",
           crl ? "downloaded CRL" : "OCSP", threads, ndocs, dt, (double)ndocs / dt,
           atomic_load(&passed), requests, requests == 1 ? "" : "s");
    bool ok = atomic_load(&passed) == ndocs && requests == (crl ? 0 : 1);
    for (size_t i = 0; i < ndocs; i++) {
        free(docs[i].cms);
    }
    free(docs);
    free(tid);
    qtb_trust_free(trust);
    qtb_revocation_free(rev);
    return ok ? 0 : 1;
}
