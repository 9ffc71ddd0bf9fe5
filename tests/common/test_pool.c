/* test_pool.c - parallel loops: coverage, determinism of tiled reductions. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "internal.h"

enum { N = 100003, TILE = 1000 };

struct sum_ctx {
    const float *x;
    double *partials; /* one per tile */
    size_t tile;
};

static void sum_tile(void *p, size_t start, size_t count) {
    struct sum_ctx *c = p;
    /* float accumulation: order-sensitive, so any change in partitioning or
     * combination order would show up in the bits. */
    float acc = 0.0f;
    for (size_t i = start; i < start + count; i++) acc += c->x[i] * c->x[i];
    c->partials[start / c->tile] = (double)acc;
}

static double tiled_sum(nnq_pool *pool, const float *x) {
    size_t tiles = nnq_tile_count(N, TILE);
    double *partials = calloc(tiles, sizeof *partials);
    struct sum_ctx c = {x, partials, TILE};
    nnq_pool_parallelize_1d(pool, sum_tile, &c, N, TILE);
    double total = 0.0;
    for (size_t t = 0; t < tiles; t++) total += partials[t];
    free(partials);
    return total;
}

static void test_reduction_identical_for_1_2_7_threads(void **state) {
    (void)state;
    float *x = malloc(N * sizeof *x);
    nnq_rng r;
    nnq_rng_seed(&r, nnq_test_seed(), 1);
    for (size_t i = 0; i < N; i++) x[i] = nnq_rng_normal(&r) * 1e3f;
    double serial = tiled_sum(NULL, x);
    static const size_t counts[] = {1, 2, 7};
    for (size_t k = 0; k < NNQ_ARRAY_LEN(counts); k++) {
        nnq_pool *pool = NULL;
        NNQ_ASSERT_OK(nnq_pool_create(counts[k], &pool));
        assert_int_equal(nnq_pool_threads(pool), counts[k]);
        for (int rep = 0; rep < 20; rep++) {
            double s = tiled_sum(pool, x);
            assert_memory_equal(&s, &serial, sizeof s);
        }
        nnq_pool_free(pool);
    }
    free(x);
}

struct cover_ctx {
    atomic_int *hits;
    size_t cols;
};

static void cover_2d(void *p, size_t i, size_t j, size_t ni, size_t nj) {
    struct cover_ctx *c = p;
    for (size_t a = i; a < i + ni; a++)
        for (size_t b = j; b < j + nj; b++) atomic_fetch_add(&c->hits[a * c->cols + b], 1);
}

static void test_2d_covers_every_element_once(void **state) {
    (void)state;
    static const size_t shapes[][4] = {{37, 53, 8, 16}, {1, 1, 4, 4}, {5, 100, 5, 1}, {64, 64, 64, 64},
                                       {3, 7, 0, 0}};
    nnq_pool *pool = NULL;
    NNQ_ASSERT_OK(nnq_pool_create(3, &pool));
    for (size_t s = 0; s < NNQ_ARRAY_LEN(shapes); s++) {
        size_t ri = shapes[s][0], rj = shapes[s][1];
        atomic_int *hits = calloc(ri * rj, sizeof *hits);
        struct cover_ctx c = {hits, rj};
        nnq_pool_parallelize_2d(pool, cover_2d, &c, ri, rj, shapes[s][2], shapes[s][3]);
        for (size_t k = 0; k < ri * rj; k++) assert_int_equal(atomic_load(&hits[k]), 1);
        memset(hits, 0, ri * rj * sizeof *hits);
        nnq_pool_parallelize_2d(NULL, cover_2d, &c, ri, rj, shapes[s][2], shapes[s][3]);
        for (size_t k = 0; k < ri * rj; k++) assert_int_equal(atomic_load(&hits[k]), 1);
        free(hits);
    }
    nnq_pool_free(pool);
}

static void count_1d(void *p, size_t start, size_t count) {
    atomic_int *hits = p;
    for (size_t i = start; i < start + count; i++) atomic_fetch_add(&hits[i], 1);
}

struct nested_ctx {
    nnq_pool *pool;
    atomic_int *hits;
};

static void nested_outer(void *p, size_t start, size_t count) {
    struct nested_ctx *c = p;
    for (size_t i = start; i < start + count; i++)
        nnq_pool_parallelize_1d(c->pool, count_1d, c->hits + i * 10, 10, 3);
}

static void test_nested_loops_run_serially(void **state) {
    (void)state;
    nnq_pool *pool = NULL;
    NNQ_ASSERT_OK(nnq_pool_create(4, &pool));
    atomic_int *hits = calloc(200, sizeof *hits);
    struct nested_ctx c = {pool, hits};
    nnq_pool_parallelize_1d(pool, nested_outer, &c, 20, 1);
    for (int k = 0; k < 200; k++) assert_int_equal(atomic_load(&hits[k]), 1);
    free(hits);
    nnq_pool_free(pool);
}

/* A nested loop from a 1-thread pool or from a single-tile job on a larger
 * pool must not wait for the outer loop's lock. */
static void test_nested_loops_single_thread_and_single_tile(void **state) {
    (void)state;
    static const size_t threads[] = {1, 3};
    for (size_t k = 0; k < NNQ_ARRAY_LEN(threads); k++) {
        nnq_pool *pool = NULL;
        NNQ_ASSERT_OK(nnq_pool_create(threads[k], &pool));
        atomic_int *hits = calloc(200, sizeof *hits);
        struct nested_ctx c = {pool, hits};
        nnq_pool_parallelize_1d(pool, nested_outer, &c, 20, 20); /* one tile */
        nnq_pool_parallelize_1d(pool, nested_outer, &c, 20, 1);
        for (int i = 0; i < 200; i++) assert_int_equal(atomic_load(&hits[i]), 2);
        free(hits);
        nnq_pool_free(pool);
    }
}

static void test_edge_ranges(void **state) {
    (void)state;
    atomic_int hits[5] = {0};
    nnq_pool *pool = NULL;
    NNQ_ASSERT_OK(nnq_pool_create(2, &pool));
    nnq_pool_parallelize_1d(pool, count_1d, hits, 0, 4); /* empty: no call */
    nnq_pool_parallelize_1d(pool, count_1d, hits, 5, 0); /* tile 0 = 1 */
    for (int k = 0; k < 5; k++) assert_int_equal(atomic_load(&hits[k]), 1);
    nnq_pool_parallelize_1d(pool, count_1d, hits, 5, 100); /* one tile */
    for (int k = 0; k < 5; k++) assert_int_equal(atomic_load(&hits[k]), 2);
    assert_int_equal(nnq_tile_count(10, 3), 4);
    assert_int_equal(nnq_tile_count(9, 3), 3);
    assert_int_equal(nnq_tile_count(0, 3), 0);
    assert_int_equal(nnq_pool_threads(NULL), 1);
    nnq_pool_free(pool);
    nnq_pool_free(NULL);
}

static void test_thread_count_from_environment(void **state) {
    (void)state;
    nnq_pool *pool = NULL;
    setenv("NNQ_NUM_THREADS", "3", 1);
    assert_int_equal(nnq_default_threads(), 3);
    NNQ_ASSERT_OK(nnq_pool_create(0, &pool));
    assert_int_equal(nnq_pool_threads(pool), 3);
    nnq_pool_free(pool);
    setenv("NNQ_NUM_THREADS", "junk", 1); /* ignored: falls back to CPUs */
    assert_true(nnq_default_threads() >= 1);
    setenv("NNQ_NUM_THREADS", "0", 1);
    assert_true(nnq_default_threads() >= 1);
    unsetenv("NNQ_NUM_THREADS");
    NNQ_ASSERT_FAILS(nnq_pool_create(5000, &pool), NNQ_STATUS_OUT_OF_RANGE, "5000 threads");
    assert_null(pool);
}

/* Tile 0 is slow: the thread that owns the first share stalls on it and
 * the others must take the rest of its share (each tile exactly once). */
static void count_slow_first(void *p, size_t start, size_t count) {
    atomic_int *hits = p;
    if (start == 0) usleep(2000);
    for (size_t i = start; i < start + count; i++) atomic_fetch_add(&hits[i], 1);
}

/* Hand-offs: workers and caller spin (NNQ_POOL_SPIN_US) before they sleep.
 * With spinning off every hand-off goes through the condition variables;
 * with a short spin, loops separated by more than the spin do too, and
 * back-to-back loops are caught spinning.  Each loop covers its range once
 * whatever the path. */
static void test_hand_offs_spin_and_sleep(void **state) {
    (void)state;
    static const char *spins[] = {"0", "20", "100000"};
    enum { R = 997 };
    for (size_t s = 0; s < NNQ_ARRAY_LEN(spins); s++) {
        setenv("NNQ_POOL_SPIN_US", spins[s], 1);
        nnq_pool *pool = NULL;
        NNQ_ASSERT_OK(nnq_pool_create(3, &pool));
        atomic_int *hits = calloc(R, sizeof *hits);
        for (int rep = 0; rep < 60; rep++) {
            if (rep % 3 == 0) usleep(300); /* past the 20 us spin */
            nnq_pool_parallelize_1d(pool, rep % 10 ? count_1d : count_slow_first, hits, R,
                                    (size_t)(1 + rep % 7));
            for (size_t k = 0; k < R; k++) assert_int_equal(atomic_load(&hits[k]), rep + 1);
        }
        free(hits);
        nnq_pool_free(pool);
    }
    /* the API sets the same thing per pool */
    unsetenv("NNQ_POOL_SPIN_US");
    for (uint32_t us = 0; us <= 100; us += 100) {
        nnq_pool *p = NULL;
        NNQ_ASSERT_OK(nnq_pool_create(2, &p));
        NNQ_ASSERT_OK(nnq_pool_set_spin(p, us));
        atomic_int h[R] = {0};
        for (int rep = 0; rep < 20; rep++) {
            if (rep % 4 == 0) usleep(300);
            nnq_pool_parallelize_1d(p, count_1d, h, R, 13);
        }
        for (size_t k = 0; k < R; k++) assert_int_equal(atomic_load(&h[k]), 20);
        nnq_pool_free(p);
    }
    NNQ_ASSERT_FAILS(nnq_pool_set_spin(NULL, 5), NNQ_STATUS_INVALID_ARGUMENT, "pool is NULL");
    nnq_pool *big = NULL;
    NNQ_ASSERT_OK(nnq_pool_create(2, &big));
    NNQ_ASSERT_FAILS(nnq_pool_set_spin(big, 1000001), NNQ_STATUS_OUT_OF_RANGE,
                     "1000001 microseconds is more than the limit 1000000");
    nnq_pool_free(big);
    setenv("NNQ_POOL_SPIN_US", "junk", 1); /* ignored: the default */
    nnq_pool *pool = NULL;
    NNQ_ASSERT_OK(nnq_pool_create(2, &pool));
    atomic_int hits[5] = {0};
    nnq_pool_parallelize_1d(pool, count_1d, hits, 5, 1);
    for (size_t k = 0; k < 5; k++) assert_int_equal(atomic_load(&hits[k]), 1);
    nnq_pool_free(pool);
    unsetenv("NNQ_POOL_SPIN_US");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reduction_identical_for_1_2_7_threads),
        cmocka_unit_test(test_2d_covers_every_element_once),
        cmocka_unit_test(test_nested_loops_run_serially),
        cmocka_unit_test(test_nested_loops_single_thread_and_single_tile),
        cmocka_unit_test(test_edge_ranges),
        cmocka_unit_test(test_thread_count_from_environment),
        cmocka_unit_test(test_hand_offs_spin_and_sleep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
