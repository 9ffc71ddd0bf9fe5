/* benchutil.c - timing helpers shared by the benchmarks in bench/. */
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnq.h"

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_best(void (*fn)(void *ctx), void *ctx, int reps) {
    double best = 1e300;
    fn(ctx);
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        fn(ctx);
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    return best;
}

struct memcpy_ctx {
    void *dst;
    const void *src;
    size_t n;
};

static void do_memcpy(void *p) {
    struct memcpy_ctx *c = p;
    memcpy(c->dst, c->src, c->n);
    /* Keep the copy observable. */
    __asm__ volatile("" : : "r"(c->dst) : "memory");
}

double bench_memcpy_gbps(size_t bytes, int reps) {
    void *a = nnq_aligned_alloc(64, bytes), *b = nnq_aligned_alloc(64, bytes);
    if (!a || !b) {
        nnq_aligned_free(a);
        nnq_aligned_free(b);
        return 0.0;
    }
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    struct memcpy_ctx c = {b, a, bytes};
    double t = bench_best(do_memcpy, &c, reps);
    nnq_aligned_free(a);
    nnq_aligned_free(b);
    return (double)bytes / t / 1e9;
}

long bench_peak_rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

void bench_fill_normal(float *x, size_t n, float sigma, uint64_t seed) {
    nnq_rng r;
    nnq_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++) x[i] = sigma * nnq_rng_normal(&r);
}
