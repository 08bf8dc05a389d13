/*
 * GOST micro-benchmark (not a CTest test; run by tests/bench/gost_bench.sh): hash throughput of
 * GOST 34.311-95 and Streebog-256/512, and sign/verify operations per second on each curve,
 * single-threaded.
 *
 *   gost_bench [HASH_MB] [SECONDS_PER_CURVE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gost.h"
#include "internal.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_hash(size_t mb)
{
    size_t len = mb << 20;
    unsigned char *buf = qtb_malloc(len);
    if (buf == NULL) {
        return 1;
    }
    for (size_t i = 0; i < len; i++) {
        buf[i] = (unsigned char)(i * 131u + 7u);
    }
    static const qtb_gost_hash hashes[] = {QTB_GOST_HASH_GOST94, QTB_GOST_HASH_STREEBOG256,
                                           QTB_GOST_HASH_STREEBOG512};
    for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
        unsigned char d[64];
        size_t dl = 0;
        double t0 = now_s();
        if (qtb_gost_digest(d, sizeof(d), &dl, hashes[h], buf, len) != 0) {
            qtb_free(buf);
            return 1;
        }
        double dt = now_s() - t0;
        printf("%-20s %8.1f MB/s (%zu MB)\n", qtb_gost_hash_name(hashes[h]), (double)mb / dt, mb);
    }
    qtb_free(buf);
    return 0;
}

static int bench_curve(const qtb_gost_alg *a, double seconds)
{
    qtb_gost_privkey k;
    qtb_gost_pubkey p;
    if (qtb_gost_privkey_generate(&k, a) != 0 || qtb_gost_pubkey_from_priv(&p, &k) != 0) {
        return 1;
    }
    unsigned char digest[64] = {1, 2, 3};
    size_t dl = qtb_gost_hash_len(a->hash);
    unsigned char sig[128];
    size_t sl = 0;
    unsigned long n = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds) {
        if (qtb_gost_sign_digest(sig, sizeof(sig), &sl, &k, digest, dl) != 0) {
            return 1;
        }
        n++;
        t = now_s();
    }
    double sign_rate = (double)n / (t - t0);
    n = 0;
    t0 = now_s();
    t = t0;
    while (t - t0 < seconds) {
        int ok = 0;
        if (qtb_gost_verify_digest(&ok, &p, digest, dl, sig, sl) != 0 || ok != 1) {
            return 1;
        }
        n++;
        t = now_s();
    }
    printf("%-20s %-20s sign %7.0f/s  verify %7.0f/s\n", a->name, a->curve_name, sign_rate,
           (double)n / (t - t0));
    qtb_gost_privkey_wipe(&k);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 2.0;
    if (mb == 0 || mb > 4096 || !(seconds > 0)) {
        fprintf(stderr, "usage: gost_bench [HASH_MB 1..4096] [SECONDS_PER_CURVE]\n");
        return 2;
    }
    if (bench_hash(mb) != 0) {
        fprintf(stderr, "hash failed: %s\n", qtb_error_last()->message);
        return 1;
    }
    size_t n = 0;
    const qtb_gost_alg *algs = qtb_gost_algs(&n);
    for (size_t i = 0; i < n; i++) {
        if (bench_curve(&algs[i], seconds) != 0) {
            fprintf(stderr, "%s failed: %s\n", algs[i].name, qtb_error_last()->message);
            return 1;
        }
    }
    return 0;
}
