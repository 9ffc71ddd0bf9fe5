/*
 * pool.c - a small pthreads pool running parallel loops over tiles.
 *
 * Tiles are claimed from atomic counters, so which thread runs a tile is
 * not fixed, but the tiles themselves are: kernels that write one partial per
 * tile and combine them in tile order are thread-count independent.
 *
 * Each thread first takes the tiles of its own contiguous share (thread t of
 * n: tiles [t * T / n, (t + 1) * T / n)), then helps the others with what is
 * left of theirs.  Successive loops over the same data (a conv, its Relu,
 * the next conv) thus mostly find their part in the cache of the core that
 * wrote it: with tiles handed out in a single interleaved order, a two-thread
 * CNN spent a third more CPU time on cache lines moving between cores.
 *
 * Hand-offs spin before they sleep.  A worker that finishes a loop watches
 * for the next one for up to NNQ_POOL_SPIN_US microseconds (default
 * POOL_SPIN_US) before it waits on the condition variable, and the caller
 * watches for the workers' completion the same way: a network runs one
 * parallel loop after another with a few microseconds of serial work in
 * between, and a futex wake-up in each direction (10-17 us for two threads
 * on the 2-core test VM) was a tenth of a batch-1 CNN's run.  Spinning
 * costs CPU time, not wall time, while the cores are otherwise idle.  After
 * its first POOL_SPIN_FREE_US the spin yields the core now and then, so a
 * thread with work that shares the core gets it (4 threads forced to spin
 * on 2 cores: 413 -> 71 us per empty loop), and a pool with more threads
 * than online CPUs does not spin at all unless the variable says so (21
 * us).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* A thread's share of a loop's tiles; one cache line each. */
struct share {
    _Alignas(64) atomic_size_t next;
    size_t end;
};

/* What a worker thread gets at start: the pool and its index (1 ...). */
struct worker_arg {
    struct nnq_pool *pool;
    size_t index;
};

struct nnq_pool {
    size_t nthreads; /* including the caller */
    pthread_t *threads;
    size_t started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;
    pthread_cond_t cv_done;
    pthread_mutex_t call_mu; /* one loop at a time per pool */
    /* generation and stop change under mu and are read without it by
     * spinning threads; active counts the workers still in the loop */
    atomic_uint_fast64_t generation;
    atomic_bool stop;
    atomic_size_t active;
    atomic_uint_fast64_t spin_ns; /* read by idle spinning workers */
    /* current job */
    nnq_task_1d_fn fn1;
    nnq_task_2d_fn fn2;
    void *ctx;
    size_t range_i, range_j, tile_i, tile_j, tiles_j, ntiles;
    struct share *share;     /* per thread: its range of the current loop */
    struct worker_arg *args; /* per worker thread */
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

/* Thread self's share first, then the others' leftovers. */
static void run_tiles(struct nnq_pool *p, size_t self) {
    for (size_t v = 0; v < p->nthreads; v++) {
        struct share *sh = &p->share[(self + v) % p->nthreads];
        for (;;) {
            size_t t = atomic_fetch_add_explicit(&sh->next, 1, memory_order_relaxed);
            if (t >= sh->end) break;
            run_tile(p, t);
        }
    }
}

enum { POOL_SPIN_US = 200, POOL_SPIN_FREE_US = 20, POOL_SPIN_MAX_US = 1000000 };

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spin up to ns nanoseconds until done(p, arg); returns whether it came. */
static bool spin_until(struct nnq_pool *p, bool (*done)(struct nnq_pool *, uint64_t),
                       uint64_t arg) {
    uint64_t spin_ns = atomic_load_explicit(&p->spin_ns, memory_order_relaxed);
    if (spin_ns == 0) return done(p, arg);
    uint64_t t0 = now_ns();
    for (unsigned i = 1;; i++) {
        if (done(p, arg)) return true;
        cpu_relax();
        if (i % 64 != 0) continue;
        uint64_t dt = now_ns() - t0;
        if (dt > spin_ns) return done(p, arg);
        /* past the first POOL_SPIN_FREE_US, hand the core over if another
         * thread (with work) is waiting for it */
        if (dt > POOL_SPIN_FREE_US * 1000u) sched_yield();
    }
}

static bool new_work(struct nnq_pool *p, uint64_t seen) {
    return atomic_load_explicit(&p->stop, memory_order_acquire) ||
           atomic_load_explicit(&p->generation, memory_order_acquire) != seen;
}

static bool all_done(struct nnq_pool *p, uint64_t unused) {
    (void)unused;
    return atomic_load_explicit(&p->active, memory_order_acquire) == 0;
}

static void *worker_main(void *arg) {
    struct worker_arg *wa = arg;
    struct nnq_pool *p = wa->pool;
    size_t self = wa->index;
    uint64_t seen = 0;
    tls_in_worker = true;
    for (;;) {
        if (!spin_until(p, new_work, seen)) {
            pthread_mutex_lock(&p->mu);
            while (!new_work(p, seen)) pthread_cond_wait(&p->cv_work, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) break;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        run_tiles(p, self);
        if (atomic_fetch_sub_explicit(&p->active, 1, memory_order_acq_rel) == 1) {
            /* the caller may be asleep on cv_done (it checks under mu) */
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->cv_done);
            pthread_mutex_unlock(&p->mu);
        }
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
    /* More threads than cores: a spinning thread would hold a core that
     * one with work needs, so hand-offs sleep at once. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    atomic_init(&p->spin_ns, cores > 0 && threads > (size_t)cores ? 0 : POOL_SPIN_US * 1000u);
    const char *spin = getenv("NNQ_POOL_SPIN_US");
    if (spin && *spin) {
        char *end;
        errno = 0;
        long v = strtol(spin, &end, 10);
        if (errno == 0 && *end == '\0' && v >= 0 && v <= POOL_SPIN_MAX_US)
            atomic_store_explicit(&p->spin_ns, (uint64_t)v * 1000u, memory_order_relaxed);
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->call_mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->share = nnq_aligned_alloc(64, threads * sizeof *p->share);
    if (!p->share) {
        nnq_free(p);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "pool_create: out of memory");
    }
    for (size_t i = 0; i < threads; i++) {
        atomic_init(&p->share[i].next, 0);
        p->share[i].end = 0;
    }
    atomic_init(&p->generation, 0);
    atomic_init(&p->stop, false);
    atomic_init(&p->active, 0);
    if (threads > 1) {
        p->threads = nnq_calloc(threads - 1, sizeof *p->threads);
        p->args = nnq_calloc(threads - 1, sizeof *p->args);
        if (!p->threads || !p->args) {
            nnq_pool_free(p);
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "pool_create: out of memory");
        }
        for (size_t i = 0; i < threads - 1; i++) {
            p->args[i] = (struct worker_arg){p, i + 1};
            if (pthread_create(&p->threads[i], NULL, worker_main, &p->args[i]) != 0) {
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
    atomic_store_explicit(&p->stop, true, memory_order_release);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
    nnq_free(p->threads);
    nnq_free(p->args);
    nnq_aligned_free(p->share);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->call_mu);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    nnq_free(p);
}

size_t nnq_pool_threads(const nnq_pool *p) { return p ? p->nthreads : 1; }

nnq_status nnq_pool_set_spin(nnq_pool *p, uint32_t us) {
    if (!p) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "pool_set_spin: pool is NULL");
    if (us > POOL_SPIN_MAX_US)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "pool_set_spin: %u microseconds is more than the limit %u", us,
                         (unsigned)POOL_SPIN_MAX_US);
    atomic_store_explicit(&p->spin_ns, (uint64_t)us * 1000u, memory_order_relaxed);
    return NNQ_STATUS_OK;
}

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
    size_t q = p->ntiles / p->nthreads, r = p->ntiles % p->nthreads;
    for (size_t t = 0; t < p->nthreads; t++) {
        size_t begin = q * t + NNQ_MIN(t, r);
        atomic_store_explicit(&p->share[t].next, begin, memory_order_relaxed);
        p->share[t].end = begin + q + (t < r);
    }
    atomic_store_explicit(&p->active, p->started, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    /* release: the job's fields, next and active before the generation */
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    bool was = tls_in_worker;
    tls_in_worker = true;
    run_tiles(p, 0);
    tls_in_worker = was;
    if (!spin_until(p, all_done, 0)) {
        pthread_mutex_lock(&p->mu);
        while (!all_done(p, 0)) pthread_cond_wait(&p->cv_done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
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
