/* bench_calib.c - calib layer figures:
 *  - collection throughput over a 64 MiB fp32 N(0,1) tensor [rows, 4096]
 *    (histogram, max, per-axis max / min-max on both axes and on [N, C, h, h]
 *    views with a small inner stride), 1 thread and all threads,
 *    against memcpy of the same buffer measured in the same run.  GB/s
 *    counts the fp32 input once, as bench_memcpy_gbps counts the buffer once;
 *    histogram batches after the first reuse the range (no growth).
 *  - compute_amax (entropy / mse / percentile) on the 2048-bin histogram of
 *    that tensor, in ms per tensor.  The counts and edges are saved as .npy
 *    in OUTDIR so bench/bench_calib_ref.py can time pytorch-quantization
 *    2.1.3 on the same histogram (bench/run_calib_bench.sh runs both).
 *  - peak RSS after 10 and after 10,000 small batches (memory must not
 *    depend on how much data was seen).
 *
 * Usage: bench_calib [--compact] [MiB] [reps] [OUTDIR]
 *   (default 64 MiB, 5 reps, /tmp/calib_bench; --compact skips the RSS check
 *   and prints only the collection table and the scoring times)
 * Set NNQ_FORCE_SCALAR=1 to time the reference kernels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "benchutil.h"
#include "nnq.h"

typedef struct bctx {
    nnq_calib *c;
    const nnq_tensor *t;
    nnq_pool *pool;
    nnq_calib_method method;
    float amax;
    int failed;
} bctx;

static void check(bctx *c, nnq_status s) {
    if (s != NNQ_STATUS_OK && !c->failed) {
        fprintf(stderr, "bench_calib: %s: %s\n", nnq_status_name(s), nnq_last_error());
        c->failed = 1;
    }
}

static void b_collect(void *p) {
    bctx *c = p;
    check(c, nnq_calib_collect(c->c, c->t, c->pool));
}

static void b_amax(void *p) {
    bctx *c = p;
    nnq_calib_amax_options o = {c->method, 1, 128, 99.99};
    check(c, nnq_calib_compute_amax(c->c, &o, &c->amax, 1));
}

/* Minimal .npy (format 1.0) writer for a 1-d little-endian array. */
static int save_npy(const char *path, const char *descr, const void *data, size_t n, size_t esize) {
    char hdr[128];
    int len = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }",
                       descr, n);
    int pad = 64 - (10 + len + 1) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    unsigned short hl = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hl & 0xff, f);
    fputc(hl >> 8, f);
    fwrite(hdr, 1, (size_t)len, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    size_t w = fwrite(data, esize, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int save_hist(const nnq_calib *c, const char *dir) {
    const uint64_t *counts;
    const float *edges;
    size_t nb, ne;
    char path[1024];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
    if (nnq_calib_histogram(c, 0, &counts, &nb, &edges, &ne) != NNQ_STATUS_OK) return -1;
    snprintf(path, sizeof path, "%s/calib_hist_counts.npy", dir);
    if (save_npy(path, "<u8", counts, nb, sizeof *counts)) return -1;
    snprintf(path, sizeof path, "%s/calib_hist_edges.npy", dir);
    return save_npy(path, "<f4", edges, ne, sizeof *edges);
}

/* Peak RSS after 10 and 10,000 batches of 256 values for kinds whose state
 * must stay bounded; runs before the big buffers exist so VmHWM shows it. */
static int rss_check(void) {
    static const nnq_calib_kind kinds[] = {NNQ_CALIB_KIND_HISTOGRAM, NNQ_CALIB_KIND_MSE,
                                           NNQ_CALIB_KIND_EMA_PERCENTILE, NNQ_CALIB_KIND_MINMAX};
    enum { N = 256 };
    static float x[N];
    const int64_t d[2] = {16, 16};
    nnq_tensor *t = NULL;
    nnq_calib *c[4] = {0};
    bctx b = {0};
    if (nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 2, d, x, sizeof x, &t)) return -1;
    for (int k = 0; k < 4; k++) {
        nnq_calib_config cfg = {.kind = kinds[k], .per_axis = k == 3, .axis = 1};
        check(&b, nnq_calib_create(&cfg, &c[k]));
    }
    long after10 = 0;
    double t0 = bench_now();
    for (int i = 0; i < 10000 && !b.failed; i++) {
        /* A new seed each batch so the histogram keeps meeting new data. */
        bench_fill_normal(x, N, 1.0f + 0.5f * (float)(i % 7), (uint64_t)i);
        for (int k = 0; k < 4; k++) check(&b, nnq_calib_collect(c[k], t, NULL));
        if (i == 9) after10 = bench_peak_rss_kib();
    }
    printf("peak RSS: %ld KiB after 10 batches, %ld KiB after 10000 batches of 256 values "
           "(histogram, mse, ema_percentile, per-axis min_max; %.1f s)\n",
           after10, bench_peak_rss_kib(), bench_now() - t0);
    for (int k = 0; k < 4; k++) nnq_calib_free(c[k]);
    nnq_tensor_free(t);
    return b.failed;
}

typedef struct collect_item {
    const char *name;
    nnq_calib_config cfg;
    int64_t c, h; /* 0: view as [rows, 4096]; else [N, c, h, h] */
} collect_item;

int main(int argc, char **argv) {
    const int compact = argc > 1 && strcmp(argv[1], "--compact") == 0;
    if (compact) argc--, argv++;
    size_t mib = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 64;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    const char *dir = argc > 3 ? argv[3] : "/tmp/calib_bench";
    if (mib == 0) mib = 64;
    if (reps < 1) reps = 1;
    if (!compact && rss_check()) return 1;

    const size_t n = mib * 1024 * 1024 / sizeof(float), bytes = n * sizeof(float);
    const int64_t dims[2] = {(int64_t)(n / 4096), 4096};
    float *x = nnq_aligned_alloc(64, bytes);
    nnq_tensor *t = NULL;
    nnq_pool *all = NULL;
    if (!x || nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 2, dims, x, bytes, &t) ||
        nnq_pool_create(0, &all)) {
        fprintf(stderr, "bench_calib: setup failed\n");
        return 1;
    }
    bench_fill_normal(x, n, 1.0f, 42);
    double mc = bench_memcpy_gbps(bytes, reps);
    char feat[128];
    printf("bench_calib: %zu MiB fp32 [%lld, 4096], best of %d, cpu features: %s, threads: %zu\n",
           mib, (long long)dims[0], reps, nnq_cpu_features_str(nnq_cpu_features(), feat, sizeof feat),
           nnq_pool_threads(all));
    printf("memcpy: %.2f GB/s\n\n", mc);
    printf("%-40s %10s %8s %10s %8s\n", "collect", "1T GB/s", "/memcpy", "allT GB/s", "/memcpy");
    const collect_item items[] = {
        {"histogram (2048 bins)", {.kind = NNQ_CALIB_KIND_HISTOGRAM}, 0, 0},
        {"max per-tensor", {.kind = NNQ_CALIB_KIND_MAX}, 0, 0},
        {"max per-axis 0 (4096 contiguous)", {.kind = NNQ_CALIB_KIND_MAX, .per_axis = true}, 0, 0},
        {"max per-axis 1 (inner stride 1)",
         {.kind = NNQ_CALIB_KIND_MAX, .per_axis = true, .axis = 1}, 0, 0},
        {"min-max per-axis 1 (inner stride 1)",
         {.kind = NNQ_CALIB_KIND_MINMAX, .per_axis = true, .axis = 1}, 0, 0},
        {"max per-axis 1 [N, 64, 7, 7] (in 49)",
         {.kind = NNQ_CALIB_KIND_MAX, .per_axis = true, .axis = 1}, 64, 7},
        {"min-max per-axis 1 [N, 256, 2, 2] (in 4)",
         {.kind = NNQ_CALIB_KIND_MINMAX, .per_axis = true, .axis = 1}, 256, 2},
    };
    bctx b = {0};
    b.t = t;
    nnq_calib *hist = NULL;
    for (size_t i = 0; i < sizeof items / sizeof items[0] && !b.failed; i++) {
        check(&b, nnq_calib_create(&items[i].cfg, &b.c));
        if (b.failed) break;
        nnq_tensor *t4 = NULL;
        if (items[i].c) {
            /* The same bytes as [N, c, h, h]; N rounds down, GB/s counts what is read. */
            const int64_t per = items[i].c * items[i].h * items[i].h;
            const int64_t d4[4] = {(int64_t)n / per, items[i].c, items[i].h, items[i].h};
            check(&b, nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 4, d4, x,
                                     (size_t)(d4[0] * per) * sizeof(float), &t4));
            if (b.failed) break;
            b.t = t4;
        }
        const double nbytes = (double)(b.t->numel * sizeof(float));
        b.pool = NULL;
        double t1 = bench_best(b_collect, &b, reps);
        b.pool = all;
        double tn = bench_best(b_collect, &b, reps);
        double g1 = nbytes / t1 / 1e9, gn = nbytes / tn / 1e9;
        nnq_tensor_free(t4);
        b.t = t;
        printf("%-40s %10.2f %7.0f%% %10.2f %7.0f%%\n", items[i].name, g1, 100.0 * g1 / mc, gn,
               100.0 * gn / mc);
        if (i == 0) hist = b.c;
        else nnq_calib_free(b.c);
        b.c = NULL;
    }
    if (b.failed) return 1;

    /* Score the histogram of one pass over the tensor (2048 bins). */
    nnq_calib_reset(hist);
    check(&b, nnq_calib_collect(hist, t, all));
    if (b.failed || save_hist(hist, dir)) {
        fprintf(stderr, "bench_calib: cannot save the histogram under %s\n", dir);
        return 1;
    }
    if (!compact) printf("\nhistogram saved to %s/calib_hist_{counts,edges}.npy\n", dir);
    static const struct {
        const char *name;
        nnq_calib_method m;
        int reps;
    } methods[] = {{"entropy", NNQ_CALIB_METHOD_ENTROPY, 20},
                   {"mse", NNQ_CALIB_METHOD_MSE, 20},
                   {"percentile", NNQ_CALIB_METHOD_PERCENTILE, 2000}};
    b.c = hist;
    for (size_t i = 0; i < 3; i++) {
        b.method = methods[i].m;
        double s = bench_best(b_amax, &b, methods[i].reps);
        if (compact) printf("%-40s %10.6f ms\n", methods[i].name, s * 1e3);
        else printf("nnq %s %.6f ms amax %a\n", methods[i].name, s * 1e3, (double)b.amax);
    }
    nnq_calib_free(hist);
    nnq_tensor_free(t);
    nnq_pool_free(all);
    nnq_aligned_free(x);
    return b.failed;
}
