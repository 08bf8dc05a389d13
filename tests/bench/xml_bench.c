/*
 * XMLDSig verification throughput (never run in CI): verifies the given signed XML files in
 * one process with N threads sharing one trust set, ROUNDS times over, and prints docs/s.
 * Every verdict must be TOTAL_PASSED, or the run fails (a fast wrong answer is no result).
 * Usage: xml_bench TRUST_DIR THREADS ROUNDS FILE...
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qtb/report.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

typedef struct doc {
    unsigned char *data;
    size_t len;
} doc;

static doc *docs;
static size_t ndocs;
static int rounds;
static qtb_trust *trust;
static qtb_cert_cache *cache;
static atomic_size_t next_job;
static atomic_int failures;

static void *worker(void *arg)
{
    (void)arg;
    size_t total = ndocs * (size_t)rounds;
    for (;;) {
        size_t j = atomic_fetch_add(&next_job, 1);
        if (j >= total) {
            return NULL;
        }
        const doc *d = &docs[j % ndocs];
        qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
        o.trust = trust;
        o.cert_cache = cache;
        qtb_report *r = NULL;
        if (qtb_xml_verify(&r, d->data, d->len, &o) != 0 ||
            qtb_report_indication(r) != QTB_TOTAL_PASSED) {
            if (atomic_fetch_add(&failures, 1) == 0 && r != NULL) {
                fprintf(stderr, "not passed: %s\n", qtb_report_signature_message(r, 0));
            }
        }
        qtb_report_free(r);
    }
}

static int read_file(doc *d, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    d->data = malloc(n > 0 ? (size_t)n : 1);
    d->len = d->data != NULL && n > 0 ? fread(d->data, 1, (size_t)n, f) : 0;
    fclose(f);
    return d->len == (size_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: xml_bench TRUST_DIR THREADS ROUNDS FILE...\n");
        return 2;
    }
    int threads = (int)strtol(argv[2], NULL, 10);
    rounds = (int)strtol(argv[3], NULL, 10);
    ndocs = (size_t)(argc - 4);
    docs = calloc(ndocs, sizeof(*docs));
    if (threads < 1 || threads > 256 || rounds < 1 || docs == NULL || qtb_trust_new(&trust) != 0 ||
        qtb_cert_cache_new(&cache, 0) != 0 || qtb_trust_add_dir(trust, argv[1]) != 0) {
        fprintf(stderr, "bad arguments or trust folder\n");
        return 2;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < ndocs; i++) {
        if (read_file(&docs[i], argv[4 + i]) != 0) {
            fprintf(stderr, "cannot read %s\n", argv[4 + i]);
            return 2;
        }
        bytes += docs[i].len;
    }
    /* One warm-up pass (providers, caches), not timed. */
    int saved = rounds;
    rounds = 1;
    worker(NULL);
    rounds = saved;
    atomic_store(&next_job, 0);

    pthread_t tid[256];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++) {
        pthread_create(&tid[i], NULL, worker, NULL);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    size_t n = ndocs * (size_t)rounds;
    printf("qoltanba (library, %d thread%s): %zu documents (avg %zu bytes) in %.3f s = %.0f "
           "docs/s%s\n",
           threads, threads == 1 ? "" : "s", n, bytes / ndocs, secs, (double)n / secs,
           atomic_load(&failures) ? "  [FAILURES]" : "");
    qtb_trust_free(trust);
    qtb_cert_cache_free(cache);
    for (size_t i = 0; i < ndocs; i++) {
        free(docs[i].data);
    }
    free(docs);
    return atomic_load(&failures) ? 1 : 0;
}
