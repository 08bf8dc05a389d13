/*
 * CMS verification throughput (not a CTest test; run by tests/bench/cms_bench.sh).
 *
 *   cms_bench small TRUST_DIR THREADS ROUNDS CMS CONTENT [CMS CONTENT]...
 *       verifies every pair ROUNDS times on THREADS threads, in one process, full checks
 *       (chain, CRL, validity) per document; prints docs/s.
 *   cms_bench large TRUST_DIR CMS CONTENT_FILE
 *       verifies one detached CMS over a big file (streamed); prints MB/s and peak RSS.
 *   cms_bench sha256-ram MIB
 *       SHA-256 over MIB MiB already in memory (one EVP_DigestUpdate per MiB): the speed a
 *       document too big for the caches can be hashed at on this machine, whatever reads it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include <qtb/error.h>
#include <qtb/report.h>
#include <qtb/trust.h>
#include <qtb/verify.h>

typedef struct doc {
    unsigned char *cms, *content;
    size_t cms_len, content_len;
} doc;

static doc *docs;
static size_t ndocs, total;
static atomic_size_t next_doc, passed;
static qtb_trust *trust;
static qtb_cert_cache *cache;

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    struct stat st;
    fstat(fileno(f), &st);
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

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        size_t i = atomic_fetch_add(&next_doc, 1);
        if (i >= total) {
            return NULL;
        }
        const doc *d = &docs[i % ndocs];
        qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
        o.trust = trust;
        o.cert_cache = cache;
        o.content = d->content;
        o.content_len = d->content_len;
        qtb_report *r = NULL;
        if (qtb_cms_verify(&r, d->cms, d->cms_len, &o) == 0 &&
            qtb_report_indication(r) == QTB_TOTAL_PASSED) {
            atomic_fetch_add(&passed, 1);
        }
        qtb_report_free(r);
    }
}

static int load_trust(const char *dir)
{
    if (qtb_trust_new(&trust) != 0 || qtb_trust_add_dir(trust, dir) != 0 ||
        qtb_cert_cache_new(&cache, 0) != 0) {
        fprintf(stderr, "trust: %s\n", qtb_error_last()->message);
        return 2;
    }
    return 0;
}

static int small(int argc, char **argv)
{
    int threads = (int)strtol(argv[3], NULL, 10);
    int rounds = (int)strtol(argv[4], NULL, 10);
    ndocs = (size_t)(argc - 5) / 2;
    docs = calloc(ndocs, sizeof(*docs));
    for (size_t i = 0; i < ndocs; i++) {
        docs[i].cms = slurp(argv[5 + 2 * i], &docs[i].cms_len);
        docs[i].content = slurp(argv[6 + 2 * i], &docs[i].content_len);
    }
    /* Warm-up: one pass on one thread (caches, lazy OpenSSL init). */
    total = ndocs;
    worker(NULL);
    if (atomic_load(&passed) != ndocs) {
        fprintf(stderr, "only %zu of %zu documents pass\n", atomic_load(&passed), ndocs);
        return 1;
    }
    atomic_store(&next_doc, 0);
    atomic_store(&passed, 0);
    total = ndocs * (size_t)rounds;
    pthread_t *tid = calloc((size_t)threads, sizeof(*tid));
    double t0 = now_s();
    double c0 = cpu_s();
    for (int i = 0; i < threads; i++) {
        pthread_create(&tid[i], NULL, worker, NULL);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
    }
    double dt = now_s() - t0;
    double cpu = cpu_s() - c0;
    /* On a shared machine the wall clock measures the neighbours too; CPU time does not. */
    printf("qoltanba (library, %d threads): %zu documents in %.3f s = %.0f docs/s wall; "
           "%.3f CPU-s = %.0f docs per CPU-second (%zu passed)\n",
           threads, total, dt, (double)total / dt, cpu, (double)total / cpu, atomic_load(&passed));
    return atomic_load(&passed) == total ? 0 : 1;
}

static int large(char **argv)
{
    size_t cms_len = 0;
    unsigned char *cms = slurp(argv[3], &cms_len);
    struct stat st;
    stat(argv[4], &st);
    qtb_verify_options o = QTB_VERIFY_OPTIONS_INIT;
    o.trust = trust;
    o.content_path = argv[4];
    qtb_report *r = NULL;
    double t0 = now_s();
    double c0 = cpu_s();
    int rc = qtb_cms_verify(&r, cms, cms_len, &o);
    double dt = now_s() - t0;
    double cpu = cpu_s() - c0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("qoltanba (library, 1 document of %.0f MB, detached, streamed): %.3f s = %.0f MB/s "
           "wall, %.0f MB per CPU-second, %s, peak RSS %.1f MB\n",
           (double)st.st_size / 1e6, dt, (double)st.st_size / 1e6 / dt,
           (double)st.st_size / 1e6 / cpu,
           rc == 0 ? qtb_indication_name(qtb_report_indication(r)) : "error",
           (double)ru.ru_maxrss / 1024.0);
    bool ok = rc == 0 && qtb_report_indication(r) == QTB_TOTAL_PASSED;
    qtb_report_free(r);
    free(cms);
    return ok ? 0 : 1;
}

static int sha256_ram(const char *mib_arg)
{
    size_t len = (size_t)strtoul(mib_arg, NULL, 10) << 20;
    unsigned char *buf = malloc(len);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (buf == NULL || ctx == NULL || len == 0) {
        return 2;
    }
    memset(buf, 'a', len); /* touch every page before timing */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    double t0 = now_s();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t off = 0; off < len; off += (size_t)1 << 20) {
        EVP_DigestUpdate(ctx, buf + off, (size_t)1 << 20);
    }
    EVP_DigestFinal_ex(ctx, md, &md_len);
    double dt = now_s() - t0;
    printf("SHA-256 over %.0f MB already in memory: %.3f s = %.0f MB/s\n", (double)len / 1e6, dt,
           (double)len / 1e6 / dt);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "sha256-ram") == 0) {
        return sha256_ram(argv[2]);
    }
    if (argc >= 7 && strcmp(argv[1], "small") == 0 && (argc - 5) % 2 == 0) {
        if (load_trust(argv[2]) != 0) {
            return 2;
        }
        int rc = small(argc, argv);
        qtb_cert_cache_free(cache);
        qtb_trust_free(trust);
        return rc;
    }
    if (argc == 5 && strcmp(argv[1], "large") == 0) {
        if (load_trust(argv[2]) != 0) {
            return 2;
        }
        int rc = large(argv);
        qtb_trust_free(trust);
        return rc;
    }
    fprintf(stderr, "usage: cms_bench small TRUST THREADS ROUNDS CMS CONTENT...\n"
                    "       cms_bench large TRUST CMS CONTENT\n"
                    "       cms_bench sha256-ram MIB\n");
    return 2;
}
