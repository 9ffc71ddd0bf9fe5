/*
 * pool.c - a small pthreads pool running parallel loops over tiles.
 *
 * Tiles are claimed from an atomic counter, so which thread runs a tile is
 * not fixed, but the tiles themselves are: kernels that write one partial per
 * tile and combine them in tile order are thread-count independent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

struct nnq_pool {
    size_t nthreads; /* including the caller */
    pthread_t *threads;
    size_t started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;
    pthread_cond_t cv_done;
    pthread_mutex_t call_mu; /* one loop at a time per pool */
    uint64_t generation;
    bool stop;
    size_t active;
    /* current job */
    nnq_task_1d_fn fn1;
    nnq_task_2d_fn fn2;
    void *ctx;
    size_t range_i, range_j, tile_i, tile_j, tiles_j, ntiles;
    atomic_size_t next;
};

static _Thread_local bool tls_in_worker;

static void run_tile(struct nnq_pool *p, size_t t) {
    if (p->fn1) {
        size_t start = t * p->tile_i;
        size_t n = NNQ_MIN(p->tile_i, p->range_i - start);
        p->fn1(p->ctx, start, n);
    } else {
        size_t ti = t / p->tiles_j, tj = t % p->tiles_j;
        size_t i = ti * p->tile_i, j = tj * p->tile_j;
        p->fn2(p->ctx, i, j, NNQ_MIN(p->tile_i, p->range_i - i), NNQ_MIN(p->tile_j, p->range_j - j));
    }
}

static void run_tiles(struct nnq_pool *p) {
    for (;;) {
        size_t t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= p->ntiles) break;
        run_tile(p, t);
    }
}

static void *worker_main(void *arg) {
    struct nnq_pool *p = arg;
    uint64_t seen = 0;
    tls_in_worker = true;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        run_tiles(p);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0) pthread_cond_signal(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

size_t nnq_default_threads(void) {
    const char *env = getenv("NNQ_NUM_THREADS");
    if (env && *env) {
        char *end;
        errno = 0;
        long v = strtol(env, &end, 10);
        if (errno == 0 && *end == '\0' && v >= 1 && v <= 1024) return (size_t)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (size_t)n : 1;
}

nnq_status nnq_pool_create(size_t threads, nnq_pool **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "pool_create: out is NULL");
    *out = NULL;
    if (threads == 0) threads = nnq_default_threads();
    if (threads > 1024)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "pool_create: %zu threads exceeds the limit 1024",
                         threads);
    struct nnq_pool *p = nnq_calloc(1, sizeof *p);
    if (!p) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "pool_create: out of memory");
    p->nthreads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->call_mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    atomic_init(&p->next, 0);
    if (threads > 1) {
        p->threads = nnq_calloc(threads - 1, sizeof *p->threads);
        if (!p->threads) {
            nnq_pool_free(p);
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "pool_create: out of memory");
        }
        for (size_t i = 0; i < threads - 1; i++) {
            if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
                nnq_pool_free(p);
                return nnq_error(NNQ_STATUS_IO_ERROR, "pool_create: cannot start thread %zu of %zu",
                                 i + 2, threads);
            }
            p->started++;
        }
    }
    *out = p;
    return NNQ_STATUS_OK;
}

void nnq_pool_free(nnq_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
    nnq_free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->call_mu);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    nnq_free(p);
}

size_t nnq_pool_threads(const nnq_pool *p) { return p ? p->nthreads : 1; }

static void run_job(struct nnq_pool *p) {
    if (p->nthreads <= 1 || p->ntiles <= 1) {
        /* Mark the caller as inside a task so a nested loop on this pool
         * runs serially instead of waiting for call_mu, which we hold. */
        bool was = tls_in_worker;
        tls_in_worker = true;
        for (size_t t = 0; t < p->ntiles; t++) run_tile(p, t);
        tls_in_worker = was;
        return;
    }
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    p->active = p->started;
    p->generation++;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    bool was = tls_in_worker;
    tls_in_worker = true;
    run_tiles(p);
    tls_in_worker = was;
    pthread_mutex_lock(&p->mu);
    while (p->active > 0) pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void nnq_pool_parallelize_1d(nnq_pool *pool, nnq_task_1d_fn fn, void *ctx, size_t range,
                             size_t tile) {
    if (range == 0) return;
    if (tile == 0) tile = 1;
    /* Serial without a pool, and when called from inside a task: nested
     * parallelism on the same pool would deadlock. */
    if (!pool || tls_in_worker) {
        for (size_t s = 0; s < range; s += tile) fn(ctx, s, NNQ_MIN(tile, range - s));
        return;
    }
    pthread_mutex_lock(&pool->call_mu);
    pool->fn1 = fn;
    pool->fn2 = NULL;
    pool->ctx = ctx;
    pool->range_i = range;
    pool->tile_i = tile;
    pool->ntiles = nnq_tile_count(range, tile);
    run_job(pool);
    pthread_mutex_unlock(&pool->call_mu);
}

void nnq_pool_parallelize_2d(nnq_pool *pool, nnq_task_2d_fn fn, void *ctx, size_t range_i,
                             size_t range_j, size_t tile_i, size_t tile_j) {
    if (range_i == 0 || range_j == 0) return;
    if (tile_i == 0) tile_i = 1;
    if (tile_j == 0) tile_j = 1;
    if (!pool || tls_in_worker) {
        for (size_t i = 0; i < range_i; i += tile_i)
            for (size_t j = 0; j < range_j; j += tile_j)
                fn(ctx, i, j, NNQ_MIN(tile_i, range_i - i), NNQ_MIN(tile_j, range_j - j));
        return;
    }
    pthread_mutex_lock(&pool->call_mu);
    pool->fn1 = NULL;
    pool->fn2 = fn;
    pool->ctx = ctx;
    pool->range_i = range_i;
    pool->range_j = range_j;
    pool->tile_i = tile_i;
    pool->tile_j = tile_j;
    pool->tiles_j = nnq_tile_count(range_j, tile_j);
    pool->ntiles = nnq_tile_count(range_i, tile_i) * pool->tiles_j;
    run_job(pool);
    pthread_mutex_unlock(&pool->call_mu);
}
