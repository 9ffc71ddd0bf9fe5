/*
 * bench_compress.c - 4-bit k-means palettization of a 4096 x 4096 fp32
 * weight (N(0, 0.02^2), fixed seed), per tensor and per group of 16 output
 * channels: best wall time, mean process CPU time and the final
 * within-cluster sum of squared distances (the k-means objective, = the
 * stats' sse).
 *
 *   bench_compress [--data PATH] [--threads N] [--reps N] [--rows N] [--cols N]
 *
 * --data writes the weight as raw little-endian float32 (row-major) for
 * bench/bench_compress_ref.py, which runs scikit-learn on the same values.
 * Output: one line per case, "key=value" pairs, parsed by that script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "nnq.h"

typedef struct bench_case {
    const float *w;
    int64_t dims[2];
    nnq_compress_config cfg;
    nnq_pool *pool;
    nnq_compress_stats stats;
    int failed;
} bench_case;

static void run_case(void *ctx) {
    bench_case *b = ctx;
    nnq_compressed *c = NULL;
    if (nnq_compress_tensor(b->w, 2, b->dims, &b->cfg, b->pool, &c) != NNQ_STATUS_OK) {
        fprintf(stderr, "bench_compress: %s\n", nnq_last_error());
        b->failed = 1;
        return;
    }
    nnq_compressed_stats(c, &b->stats);
    nnq_compressed_free(c);
}

/* CPU seconds of the whole process (all threads): a fairer figure than wall
 * time on a shared machine. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const char *data = NULL;
    size_t threads = 0;
    int reps = 3;
    int64_t rows = 4096, cols = 4096;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else if (!strcmp(argv[i], "--threads"))
            threads = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rows"))
            rows = strtoll(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--cols"))
            cols = strtoll(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr,
                    "usage: %s [--data PATH] [--threads N] [--reps N] [--rows N] [--cols N]\n",
                    argv[0]);
            return 2;
        }
    }
    size_t n = (size_t)(rows * cols);
    float *w = malloc(n * sizeof *w);
    nnq_pool *pool = NULL;
    if (!w || nnq_pool_create(threads, &pool) != NNQ_STATUS_OK) {
        fprintf(stderr, "bench_compress: setup failed\n");
        return 1;
    }
    bench_fill_normal(w, n, 0.02f, 20261123);
    if (data) {
        FILE *f = fopen(data, "wb");
        if (!f || fwrite(w, sizeof *w, n, f) != n || fclose(f) != 0) {
            fprintf(stderr, "bench_compress: cannot write %s\n", data);
            return 1;
        }
    }
    printf("# %lld x %lld fp32, 4-bit k-means, %zu threads, best of %d\n", (long long)rows,
           (long long)cols, nnq_pool_threads(pool), reps);
    static const int groups[2] = {0, 16};
    for (int g = 0; g < 2; g++) {
        bench_case b = {w, {rows, cols}, {0}, pool, {0}, 0};
        b.cfg.palette_bits = 4;
        b.cfg.group_size = groups[g];
        b.cfg.seed = 1;
        double c0 = cpu_now();
        double t = bench_best(run_case, &b, reps);
        double cpu = (cpu_now() - c0) / (reps + 1); /* bench_best runs one warm-up */
        if (b.failed) return 1;
        printf("case=%s time_s=%.4f cpu_s=%.4f sse=%.9g sqnr_db=%.3f iterations=%d "
               "bits_per_weight=%.4f\n",
               groups[g] ? "grouped16" : "per_tensor", t, cpu, b.stats.sse, b.stats.sqnr_db,
               b.stats.kmeans_iterations, b.stats.bits_per_weight);
    }
    nnq_pool_free(pool);
    free(w);
    return 0;
}
