/*
 * bench_exec.c - time nnq's executor on an ONNX model.
 *
 *   bench_exec MODEL.onnx INPUT.npy [THREADS=1] [REPS=20]
 *
 * Prints one line: model, threads, best and median wall milliseconds per
 * run, process CPU milliseconds per run, the planned activation arena and the
 * sum of all activations.  The model's
 * single input comes from INPUT.npy.  bench/bench_exec.py drives it next to
 * ONNX Runtime and prints the comparison table.
 *
 *   bench_exec --pool-overhead [THREADS=2] [REPS=20000]
 *
 * times an empty parallel loop (one tile per thread): the fixed cost of
 * waking the pool, which sets the smallest work worth splitting (see
 * gemm_tiling in src/exec/nn/gemm.c).
 *
 *   NNQ_BENCH_PROFILE=1 bench_exec MODEL.onnx INPUT.npy [THREADS] [REPS]
 *
 * also prints, per node, the mean wall microseconds from the previous
 * value's production to its output (through the executor's hook), slowest
 * first: where a run's time goes.
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "nnq.h"

typedef struct run_ctx {
    nnq_exec *e;
    const nnq_tensor *x;
    size_t n_out;
    nnq_tensor *outs[16];
    nnq_status status;
} run_ctx;

/* Per-node times through the hook (NNQ_BENCH_PROFILE). */
enum { PROF_MAX = 4096 };
typedef struct prof {
    double last, t[PROF_MAX];
    const char *name[PROF_MAX], *op[PROF_MAX];
    size_t n;
} prof;

static nnq_status prof_hook(void *ctx, const nnq_exec_event *ev, nnq_tensor *v) {
    (void)v;
    prof *p = ctx;
    double now = bench_now();
    if (ev->node_name && ev->output_index == 0 && ev->step < PROF_MAX) {
        p->t[ev->step] += now - p->last;
        p->name[ev->step] = ev->node_name;
        p->op[ev->step] = ev->op_type;
        if (ev->step + 1 > p->n) p->n = ev->step + 1;
    }
    p->last = bench_now();
    return NNQ_STATUS_OK;
}

static int cmp_step(const void *a, const void *b, void *ctx) {
    const prof *p = ctx;
    double x = p->t[*(const size_t *)a], y = p->t[*(const size_t *)b];
    return (x < y) - (x > y);
}

static void prof_print(prof *p, int reps) {
    size_t idx[PROF_MAX];
    double total = 0;
    for (size_t i = 0; i < p->n; i++)
        idx[i] = i, total += p->t[i];
    qsort_r(idx, p->n, sizeof *idx, cmp_step, p);
    printf("%-6s %-28s %-20s %10s %6s\n", "step", "node", "op", "mean_us", "share");
    for (size_t i = 0; i < p->n; i++) {
        size_t s = idx[i];
        if (!p->name[s]) continue;
        printf("%-6zu %-28s %-20s %10.1f %5.1f%%\n", s, p->name[s], p->op[s],
               p->t[s] / reps * 1e6, total > 0 ? 100 * p->t[s] / total : 0.0);
    }
}

static void run_once(void *p) {
    run_ctx *c = p;
    nnq_status s = nnq_exec_run(c->e, &c->x, 1, c->outs, c->n_out);
    if (s) c->status = s;
    for (size_t i = 0; !s && i < c->n_out; i++)
        nnq_tensor_free(c->outs[i]);
}

/* Process CPU seconds: on a loaded machine the 1-thread figure that
 * other processes disturb least. */
static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void noop_task(void *ctx, size_t start, size_t count) {
    (void)ctx, (void)start, (void)count;
}

static int pool_overhead(int argc, char **argv) {
    size_t threads = argc > 2 ? (size_t)atoi(argv[2]) : 2;
    int reps = argc > 3 ? atoi(argv[3]) : 20000;
    nnq_pool *pool = NULL;
    if (nnq_pool_create(threads ? threads : 1, &pool)) {
        fprintf(stderr, "bench_exec: %s\n", nnq_last_error());
        return 1;
    }
    size_t n = nnq_pool_threads(pool);
    for (int r = 0; r < 100; r++)
        nnq_pool_parallelize_1d(pool, noop_task, NULL, n, 1);
    double t0 = bench_now(), cpu0 = cpu_now();
    for (int r = 0; r < reps; r++)
        nnq_pool_parallelize_1d(pool, noop_task, NULL, n, 1);
    double dt = (bench_now() - t0) / (reps > 0 ? reps : 1);
    double cpu = (cpu_now() - cpu0) / (reps > 0 ? reps : 1);
    printf("pool_overhead threads %zu wall_us %.2f cpu_us %.2f\n", n, dt * 1e6, cpu * 1e6);
    nnq_pool_free(pool);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--pool-overhead") == 0) return pool_overhead(argc, argv);
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.onnx INPUT.npy [THREADS] [REPS]\n", argv[0]);
        return 2;
    }
    size_t threads = argc > 3 ? (size_t)atoi(argv[3]) : 1;
    int reps = argc > 4 ? atoi(argv[4]) : 20;
    nnq_graph *g = NULL;
    nnq_pool *pool = NULL;
    nnq_tensor *x = NULL;
    run_ctx c = {0};
    nnq_status s = nnq_graph_load(argv[1], NULL, &g);
    if (!s) s = nnq_npy_read(argv[2], &x);
    if (!s) s = nnq_pool_create(threads ? threads : 1, &pool);
    prof *pr = getenv("NNQ_BENCH_PROFILE") ? calloc(1, sizeof *pr) : NULL;
    nnq_exec_options o = {pool, 0, pr ? prof_hook : NULL, pr};
    if (!s) s = nnq_exec_create(g, &o, &c.e);
    if (!s && (nnq_exec_input_count(c.e) != 1 || nnq_exec_output_count(c.e) > 16)) {
        fprintf(stderr, "bench_exec: the model needs one input and at most 16 outputs\n");
        return 1;
    }
    if (s) {
        fprintf(stderr, "bench_exec: %s: %s\n", nnq_status_name(s), nnq_last_error());
        return 1;
    }
    c.x = x;
    c.n_out = nnq_exec_output_count(c.e);
    double *t = malloc((size_t)(reps > 0 ? reps : 1) * sizeof *t);
    run_once(&c); /* warm-up: plans, allocates the arena */
    if (pr) memset(pr, 0, sizeof *pr);
    double cpu0 = cpu_now();
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        run_once(&c);
        t[r] = bench_now() - t0;
    }
    if (c.status) {
        fprintf(stderr, "bench_exec: run: %s: %s\n", nnq_status_name(c.status), nnq_last_error());
        return 1;
    }
    double cpu = (cpu_now() - cpu0) / (reps > 0 ? reps : 1);
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    printf("%s threads %zu best_ms %.3f median_ms %.3f cpu_ms %.3f arena_kib %zu "
           "activations_kib %zu\n",
           argv[1], threads, t[0] * 1e3, t[reps / 2] * 1e3, cpu * 1e3,
           nnq_exec_planned_bytes(c.e) / 1024, nnq_exec_activation_bytes(c.e) / 1024);
    if (pr) prof_print(pr, reps);
    free(pr);
    free(t);
    nnq_exec_free(c.e);
    nnq_pool_free(pool);
    nnq_tensor_free(x);
    nnq_graph_free(g);
    return 0;
}
