/* bench_quant.c - throughput of the quant layer's kernels over a 64 MiB fp32
 * tensor, single-threaded and on all threads, against memcpy of the same
 * buffer.  GB/s counts the fp32 input bytes once (as bench_memcpy_gbps counts
 * the copied buffer once).
 *
 * memcpy is re-measured next to every kernel and the ratio uses that
 * neighbour, so a shared machine's changing load skews both alike.
 *
 * Usage: bench_quant [MiB] [reps] [filter]
 *   default 64 MiB, 5 repetitions; filter: only kernels whose name contains it
 * Set NNQ_FORCE_SCALAR=1 to time the reference kernels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "nnq.h"

typedef struct bctx {
    const float *x;
    float *y;
    uint8_t *q, *packed, *scales;
    float *amax_t, *amax_c, *amax_b;
    nnq_qlayout lt, lc, lb;
    size_t n;
    float ts;
    nnq_pool *pool;
    int failed;
} bctx;

static const nnq_int_format INT8 = {8, false, true};
static const nnq_int_format INT4 = {4, false, true};

static void check(bctx *c, nnq_status s) {
    if (s != NNQ_STATUS_OK && !c->failed) {
        fprintf(stderr, "bench_quant: %s: %s\n", nnq_status_name(s), nnq_last_error());
        c->failed = 1;
    }
}

static void b_fq_tensor(void *p) {
    bctx *c = p;
    check(c, nnq_fake_quant_amax(c->x, &c->lt, c->amax_t, &INT8, c->y, c->pool));
}
static void b_fq_channel(void *p) {
    bctx *c = p;
    check(c, nnq_fake_quant_amax(c->x, &c->lc, c->amax_c, &INT8, c->y, c->pool));
}
static void b_q_tensor(void *p) {
    bctx *c = p;
    check(c, nnq_quantize_amax(c->x, &c->lt, c->amax_t, &INT8, c->q, c->pool));
}
static void b_q_linear(void *p) {
    bctx *c = p;
    float s = c->amax_t[0] / 127.0f;
    check(c, nnq_quantize_linear(c->x, &c->lt, &s, NULL, &INT8, c->q, c->pool));
}
static void b_int4_block(void *p) {
    bctx *c = p;
    check(c, nnq_quantize_amax_packed(c->x, &c->lb, c->amax_b, &INT4, c->packed, c->n / 2, c->pool));
}
static void b_fp8(void *p) {
    bctx *c = p;
    check(c, nnq_float_quantize(c->x, c->n, NNQ_QFORMAT_FP8_E4M3FN, 448.0f / c->amax_t[0], c->q,
                                c->pool));
}
static void b_nvfp4(void *p) {
    bctx *c = p;
    check(c, nnq_nvfp4_quantize(c->x, c->n, c->ts, c->packed, c->scales, c->pool));
}

typedef struct bench_item {
    const char *name;
    void (*fn)(void *);
} bench_item;

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 64;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    const char *filter = argc > 3 ? argv[3] : "";
    if (mib == 0) mib = 64;
    bctx c = {0};
    c.n = mib * 1024 * 1024 / sizeof(float);
    const int64_t dims[2] = {(int64_t)(c.n / 4096), 4096};
    int axis = 0;
    float *x = nnq_aligned_alloc(64, c.n * sizeof(float));
    c.y = nnq_aligned_alloc(64, c.n * sizeof(float));
    c.q = nnq_aligned_alloc(64, c.n);
    c.packed = nnq_aligned_alloc(64, c.n / 2);
    c.scales = nnq_aligned_alloc(64, c.n / 16);
    c.amax_t = malloc(sizeof(float));
    c.amax_c = malloc((size_t)dims[0] * sizeof(float));
    c.amax_b = malloc(c.n / 32 * sizeof(float));
    if (!x || !c.y || !c.q || !c.packed || !c.scales || !c.amax_t || !c.amax_c || !c.amax_b) {
        fprintf(stderr, "bench_quant: out of memory\n");
        return 1;
    }
    bench_fill_normal(x, c.n, 1.0f, 42);
    c.x = x;
    if (nnq_qlayout_per_tensor(2, dims, &c.lt) || nnq_qlayout_per_axes(2, dims, &axis, 1, &c.lc) ||
        nnq_qlayout_per_block(2, dims, -1, 32, &c.lb) || nnq_quant_amax(x, &c.lt, c.amax_t, NULL) ||
        nnq_quant_amax(x, &c.lc, c.amax_c, NULL) || nnq_quant_amax(x, &c.lb, c.amax_b, NULL) ||
        nnq_nvfp4_tensor_scale(c.amax_t[0], &c.ts)) {
        fprintf(stderr, "bench_quant: setup failed: %s\n", nnq_last_error());
        return 1;
    }
    static const bench_item items[] = {
        {"int8 fake-quant per-tensor", b_fq_tensor},
        {"int8 fake-quant per-channel", b_fq_channel},
        {"int8 quantize per-tensor", b_q_tensor},
        {"int8 quantize_linear", b_q_linear},
        {"int4 block-32 quantize+pack", b_int4_block},
        {"fp8 e4m3 quantize", b_fp8},
        {"nvfp4 quantize", b_nvfp4},
    };
    size_t bytes = c.n * sizeof(float);
    double mc = bench_memcpy_gbps(bytes, reps);
    nnq_pool *all = NULL;
    if (nnq_pool_create(0, &all) != NNQ_STATUS_OK) return 1;
    char feat[128];
    printf("bench_quant: %zu MiB fp32, best of %d, cpu features: %s, threads: %zu\n", mib, reps,
           nnq_cpu_features_str(nnq_cpu_features(), feat, sizeof feat), nnq_pool_threads(all));
    printf("memcpy: %.2f GB/s (first measurement)\n\n", mc);
    printf("%-30s %10s %8s %10s %8s %12s\n", "kernel", "1T GB/s", "/memcpy", "allT GB/s", "/memcpy",
           "memcpy GB/s");
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (!strstr(items[i].name, filter)) continue;
        mc = bench_memcpy_gbps(bytes, reps);
        c.pool = NULL;
        double t1 = bench_best(items[i].fn, &c, reps);
        c.pool = all;
        double tn = bench_best(items[i].fn, &c, reps);
        double g1 = (double)bytes / t1 / 1e9, gn = (double)bytes / tn / 1e9;
        printf("%-30s %10.2f %7.0f%% %10.2f %7.0f%% %12.2f\n", items[i].name, g1, 100.0 * g1 / mc,
               gn, 100.0 * gn / mc, mc);
    }
    nnq_pool_free(all);
    nnq_aligned_free(x);
    nnq_aligned_free(c.y);
    nnq_aligned_free(c.q);
    nnq_aligned_free(c.packed);
    nnq_aligned_free(c.scales);
    free(c.amax_t);
    free(c.amax_c);
    free(c.amax_b);
    return c.failed;
}
