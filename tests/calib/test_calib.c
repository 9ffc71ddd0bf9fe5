/* test_calib.c - calibrators against reference goldens, edge cases, errors. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The generator in tools/golden_calib.py builds the same batches. */
static float *make_batch(size_t n, long mul, long add, float scale, float offset) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        float k = (float)(((long)i * mul + add) % 1000 - 500);
        x[i] = k / 100.0f * scale + offset;
    }
    return x;
}

static const struct {
    size_t n;
    long mul, add;
    float scale, offset;
} batches[] = {{1000, 7919, 1, 1.0f, 0.0f},
               {1500, 104729, 3, 1.5f, 0.0f},
               {800, 31, 7, 0.5f, 0.0f},
               {1200, 613, 11, 1.75f, 0.25f}};

static nnq_calib *make(nnq_calib_config cfg) {
    nnq_calib *c = NULL;
    NNQ_ASSERT_OK(nnq_calib_create(&cfg, &c));
    return c;
}

/* nnq_tensor_wrap takes a mutable pointer; collect only reads it. */
static void *unconst(const float *x) {
    void *p;
    memcpy(&p, &x, sizeof p);
    return p;
}

static void collect(nnq_calib *c, const float *x, int ndim, const int64_t *dims, nnq_pool *pool) {
    nnq_tensor *t = NULL;
    size_t n = 1;
    for (int d = 0; d < ndim; d++) n *= (size_t)dims[d];
    NNQ_ASSERT_OK(nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, ndim, dims, unconst(x), n * 4, &t));
    NNQ_ASSERT_OK(nnq_calib_collect(c, t, pool));
    nnq_tensor_free(t);
}

static nnq_status collect_s(nnq_calib *c, const float *x, size_t n) {
    nnq_tensor *t = NULL;
    int64_t d = (int64_t)n;
    NNQ_ASSERT_OK(nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 1, &d, unconst(x), n * 4, &t));
    nnq_status s = nnq_calib_collect(c, t, NULL);
    nnq_tensor_free(t);
    return s;
}

static void collect_batch(nnq_calib *c, size_t b, nnq_pool *pool) {
    float *x = make_batch(batches[b].n, batches[b].mul, batches[b].add, batches[b].scale,
                          batches[b].offset);
    int64_t d = (int64_t)batches[b].n;
    collect(c, x, 1, &d, pool);
    free(x);
}

static float amax_with(const nnq_calib *c, nnq_calib_method m, int stride, int start, double p) {
    nnq_calib_amax_options o = {m, stride, start, p};
    float a = -1.0f;
    NNQ_ASSERT_OK(nnq_calib_compute_amax(c, &o, &a, 1));
    return a;
}

#define ASSERT_BITS(got, want)                                                                     \
    do {                                                                                           \
        float g_ = (got), w_ = (want);                                                             \
        if (!nnq_test_same_bits(g_, w_))                                                           \
            fail_msg("%s = %a (%.9g), expected %a (%.9g)", #got, (double)g_, (double)g_,           \
                     (double)w_, (double)w_);                                                      \
    } while (0)

/* Hand-checkable: max, min-max and moving average on tiny inputs. */
static void test_minmax_by_hand(void **state) {
    (void)state;
    const float a[] = {1.0f, -3.0f, 2.0f}, b[] = {-1.0f, 5.0f};
    nnq_calib *mx = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MAX});
    nnq_calib *mm = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MINMAX});
    nnq_calib *ma = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX});
    nnq_calib *em = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_EMA_MINMAX, .momentum = 0.5f});
    nnq_calib *all[] = {mx, mm, ma, em};
    for (int i = 0; i < 4; i++) {
        NNQ_ASSERT_OK(collect_s(all[i], a, 3));
        NNQ_ASSERT_OK(collect_s(all[i], b, 2));
    }
    float v, lo, hi;
    NNQ_ASSERT_OK(nnq_calib_compute_amax(mx, NULL, &v, 1));
    ASSERT_BITS(v, 5.0f);
    NNQ_ASSERT_OK(nnq_calib_get_range(mm, &lo, &hi, 1));
    ASSERT_BITS(lo, -3.0f);
    ASSERT_BITS(hi, 5.0f);
    /* -3 + 0.01 * (-1 - -3) and 2 + 0.01 * (5 - 2) in fp32 */
    NNQ_ASSERT_OK(nnq_calib_get_range(ma, &lo, &hi, 1));
    ASSERT_BITS(lo, -3.0f + 0.01f * 2.0f);
    ASSERT_BITS(hi, 2.0f + 0.01f * 3.0f);
    NNQ_ASSERT_OK(nnq_calib_get_range(em, &lo, &hi, 1));
    ASSERT_BITS(lo, -2.0f);
    ASSERT_BITS(hi, 3.5f);
    assert_int_equal(nnq_calib_batches(mx), 2);
    for (int i = 0; i < 4; i++) nnq_calib_free(all[i]);
}

/* Edge cases: single element, constant, all zero, huge range. */
static void test_edge_cases(void **state) {
    (void)state;
    const float one[] = {-2.5f}, zeros[8] = {0}, cst[5] = {3, 3, 3, 3, 3};
    const float huge[] = {1e-30f, -3e38f, 1.0f};
    float v;
    nnq_calib *h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM});
    NNQ_ASSERT_OK(collect_s(h, zeros, 8));
    /* Only zeros: every method gives 0, as the reference does. */
    assert_true(amax_with(h, NNQ_CALIB_METHOD_ENTROPY, 1, 128, 0) == 0.0f);
    assert_true(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 128, 99.0) == 0.0f);
    NNQ_ASSERT_OK(collect_s(h, one, 1));
    const uint64_t *counts;
    const float *edges;
    size_t nb, ne;
    NNQ_ASSERT_OK(nnq_calib_histogram(h, 0, &counts, &nb, &edges, &ne));
    assert_int_equal(nb, 2048);
    assert_int_equal(counts[0], 8);    /* the pending zeros */
    assert_int_equal(counts[2047], 1); /* |x| == amax lands in the last bin */
    ASSERT_BITS(edges[2048], 2.5f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 0, 100.0), edges[2047]);
    nnq_calib_free(h);

    h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM, .num_bins = 16});
    NNQ_ASSERT_OK(collect_s(h, cst, 5));
    NNQ_ASSERT_OK(nnq_calib_histogram(h, 0, &counts, &nb, &edges, &ne));
    assert_int_equal(counts[15], 5);
    /* Constant data: divergence is NaN until the last bin, numpy's argmin picks that NaN. */
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_ENTROPY, 1, 1, 0), edges[15]);
    nnq_calib_free(h);

    nnq_calib *m = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MAX});
    NNQ_ASSERT_OK(collect_s(m, huge, 3));
    NNQ_ASSERT_OK(nnq_calib_compute_amax(m, NULL, &v, 1));
    ASSERT_BITS(v, 3e38f);
    nnq_calib_free(m);
    /* Huge dynamic range in a histogram hits the growth limit, state intact. */
    h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM});
    NNQ_ASSERT_OK(collect_s(h, one, 1));
    NNQ_ASSERT_FAILS(collect_s(h, huge, 3), NNQ_STATUS_LIMIT_EXCEEDED, "max_bins");
    NNQ_ASSERT_OK(nnq_calib_histogram(h, 0, &counts, &nb, &edges, &ne));
    assert_int_equal(nb, 2048);
    nnq_calib_free(h);
}

static void test_bad_input(void **state) {
    (void)state;
    const float neg[] = {1.0f, -0.5f}, nan_[] = {1.0f, NAN}, inf_[] = {INFINITY, 1.0f};
    nnq_calib *c = NULL;
    NNQ_ASSERT_FAILS(nnq_calib_create(&(nnq_calib_config){.kind = (nnq_calib_kind)99}, &c),
                     NNQ_STATUS_UNKNOWN_NAME, "kind 99");
    NNQ_ASSERT_FAILS(nnq_calib_create(&(nnq_calib_config){.kind = NNQ_CALIB_KIND_MAX, .num_bits = 17}, &c),
                     NNQ_STATUS_BITS_OUT_OF_RANGE, "num_bits 17");
    NNQ_ASSERT_FAILS(nnq_calib_create(&(nnq_calib_config){.kind = NNQ_CALIB_KIND_EMA_PERCENTILE,
                                                           .percentile = 100.5}, &c),
                     NNQ_STATUS_OUT_OF_RANGE, "percentile 100.5 outside (0, 100]");
    nnq_calib_kind k;
    nnq_calib_method m;
    NNQ_ASSERT_FAILS(nnq_calib_kind_from_name("maxx", &k), NNQ_STATUS_UNKNOWN_NAME, "'maxx'");
    NNQ_ASSERT_FAILS(nnq_calib_method_from_name("kl", &m), NNQ_STATUS_UNKNOWN_NAME, "'kl'");
    NNQ_ASSERT_OK(nnq_calib_method_from_name("percentile", &m));
    assert_int_equal(m, NNQ_CALIB_METHOD_PERCENTILE);

    nnq_calib *u = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM, .is_unsigned = true});
    float a;
    NNQ_ASSERT_FAILS(nnq_calib_compute_amax(u, NULL, &a, 1), NNQ_STATUS_EMPTY, "before any data");
    NNQ_ASSERT_FAILS(collect_s(u, neg, 2), NNQ_STATUS_NEGATIVE_UNSIGNED, "got -0.5");
    NNQ_ASSERT_FAILS(collect_s(u, nan_, 2), NNQ_STATUS_INVALID_ARGUMENT, "element 1 is nan");
    NNQ_ASSERT_FAILS(collect_s(u, inf_, 2), NNQ_STATUS_INVALID_ARGUMENT, "element 0 is inf");
    assert_int_equal(nnq_calib_channels(u), 0);
    NNQ_ASSERT_OK(collect_s(u, neg, 1));
    nnq_calib_amax_options o = {NNQ_CALIB_METHOD_PERCENTILE, 1, 0, 0.0};
    o.percentile = -1.0;
    NNQ_ASSERT_FAILS(nnq_calib_compute_amax(u, &o, &a, 1), NNQ_STATUS_OUT_OF_RANGE, "percentile -1");
    o.percentile = 50.0, o.start_bin = 5000;
    o.method = NNQ_CALIB_METHOD_ENTROPY;
    NNQ_ASSERT_FAILS(nnq_calib_compute_amax(u, &o, &a, 1), NNQ_STATUS_OUT_OF_RANGE, "start_bin 5000");
    o.method = (nnq_calib_method)7;
    NNQ_ASSERT_FAILS(nnq_calib_compute_amax(u, &o, &a, 1), NNQ_STATUS_UNKNOWN_NAME, "method 7");
    nnq_calib_free(u);

    nnq_calib *p = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MAX, .per_axis = true, .axis = -1});
    float x[12] = {0};
    const int64_t d23[] = {2, 3}, d34[] = {3, 4}, d6[] = {6};
    collect(p, x, 2, d23, NULL);
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 2, d34, x, 48, &t));
    NNQ_ASSERT_FAILS(nnq_calib_collect(p, t, NULL), NNQ_STATUS_SHAPE_MISMATCH, "4 channels along axis -1");
    nnq_tensor_free(t);
    nnq_calib *p2 = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MAX, .per_axis = true, .axis = 1});
    NNQ_ASSERT_OK(nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 1, d6, x, 24, &t));
    NNQ_ASSERT_FAILS(nnq_calib_collect(p2, t, NULL), NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis 1 outside [-1, 1)");
    NNQ_ASSERT_FAILS(nnq_calib_merge(p, p2), NNQ_STATUS_INVALID_ARGUMENT, "another configuration");
    nnq_tensor_free(t);
    int8_t q[4] = {0};
    const int64_t d4[] = {4};
    NNQ_ASSERT_OK(nnq_tensor_wrap(NNQ_DTYPE_INT8, 1, d4, q, 4, &t));
    NNQ_ASSERT_FAILS(nnq_calib_collect(p2, t, NULL), NNQ_STATUS_DTYPE_MISMATCH, "int8");
    nnq_tensor_free(t);
    const int64_t d0[] = {0};
    NNQ_ASSERT_OK(nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 1, d0, x, 0, &t));
    NNQ_ASSERT_FAILS(nnq_calib_collect(p2, t, NULL), NNQ_STATUS_EMPTY, "no elements");
    nnq_tensor_free(t);
    nnq_calib *e1 = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_EMA_MINMAX});
    NNQ_ASSERT_FAILS(nnq_calib_merge(e1, e1), NNQ_STATUS_UNSUPPORTED, "batch order");
    nnq_calib_free(e1);
    nnq_calib_free(p);
    nnq_calib_free(p2);
}

/* SIMD vs scalar, 1 vs 2 vs 7 threads, merge vs one state: identical results. */
static void test_threads_simd_merge(void **state) {
    (void)state;
    const size_t n = 300007; /* odd size: tails in every tile and vector loop */
    float *x = malloc(n * sizeof *x);
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 4);
    for (size_t i = 0; i < n; i++) x[i] = nnq_rng_normal(&rng) * (i % 97 == 0 ? 9.0f : 1.0f);
    const int64_t d[] = {(int64_t)(n / 7), 7}, half = (int64_t)(n / 2), rest = (int64_t)(n - n / 2);
    const nnq_calib_kind kinds[] = {NNQ_CALIB_KIND_MAX, NNQ_CALIB_KIND_MINMAX, NNQ_CALIB_KIND_HISTOGRAM};
    size_t threads[] = {1, 2, 7};
    for (size_t ki = 0; ki < 3; ki++)
        for (int per_axis = 0; per_axis < 2; per_axis++) {
            nnq_calib_config cfg = {.kind = kinds[ki], .per_axis = per_axis, .axis = 1};
            float ref[7], got[7];
            size_t nch = per_axis ? 7 : 1;
            for (int scalar = 1; scalar >= 0; scalar--)
                for (size_t ti = 0; ti < 3; ti++) {
                    nnq_cpu_force_scalar(scalar);
                    nnq_pool *pool = NULL;
                    NNQ_ASSERT_OK(nnq_pool_create(threads[ti], &pool));
                    nnq_calib *c = make(cfg);
                    collect(c, x, 2, d, pool);
                    collect(c, x, 2, d, pool);
                    NNQ_ASSERT_OK(nnq_calib_compute_amax(c, NULL, got, nch));
                    if (scalar && ti == 0) memcpy(ref, got, sizeof got);
                    for (size_t i = 0; i < nch; i++) ASSERT_BITS(got[i], ref[i]);
                    nnq_calib_free(c);
                    nnq_pool_free(pool);
                }
            nnq_cpu_force_scalar(false);
            if (per_axis) continue;
            /* Two shards merged == one state over both (per tensor). */
            nnq_calib *one = make(cfg), *a = make(cfg), *b = make(cfg);
            collect(one, x, 1, &half, NULL);
            collect(one, x + half, 1, &rest, NULL);
            collect(a, x, 1, &half, NULL);
            collect(b, x + half, 1, &rest, NULL);
            NNQ_ASSERT_OK(nnq_calib_merge(a, b));
            float va, vo;
            NNQ_ASSERT_OK(nnq_calib_compute_amax(a, NULL, &va, 1));
            NNQ_ASSERT_OK(nnq_calib_compute_amax(one, NULL, &vo, 1));
            if (kinds[ki] != NNQ_CALIB_KIND_HISTOGRAM) ASSERT_BITS(va, vo);
            else {
                /* Ranges differ between shards: bins move by their centers, no count is lost. */
                const uint64_t *ca;
                const float *ea;
                size_t nba, nea;
                uint64_t tot = 0;
                NNQ_ASSERT_OK(nnq_calib_histogram(a, 0, &ca, &nba, &ea, &nea));
                for (size_t i = 0; i < nba; i++) tot += ca[i];
                assert_int_equal(tot, n);
                assert_true(va > 0.0f);
            }
            nnq_calib_free(one), nnq_calib_free(a), nnq_calib_free(b);
        }
    /* Equal ranges: histogram counts identical after merge. */
    nnq_calib_config hc = {.kind = NNQ_CALIB_KIND_HISTOGRAM};
    nnq_calib *one = make(hc), *a = make(hc), *b = make(hc);
    const int64_t nn = (int64_t)n;
    collect(one, x, 1, &nn, NULL);
    collect(one, x, 1, &nn, NULL);
    collect(a, x, 1, &nn, NULL);
    collect(b, x, 1, &nn, NULL);
    NNQ_ASSERT_OK(nnq_calib_merge(a, b));
    const uint64_t *c1, *c2;
    const float *e1, *e2;
    size_t nb1, nb2, ne1, ne2;
    NNQ_ASSERT_OK(nnq_calib_histogram(one, 0, &c1, &nb1, &e1, &ne1));
    NNQ_ASSERT_OK(nnq_calib_histogram(a, 0, &c2, &nb2, &e2, &ne2));
    assert_int_equal(nb1, nb2);
    assert_memory_equal(c1, c2, nb1 * sizeof *c1);
    nnq_calib_free(one), nnq_calib_free(a), nnq_calib_free(b);
    free(x);
}

static void test_save_load(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/h.calib", dir);
    nnq_calib *h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM, .skip_zeros = true});
    for (size_t b = 0; b < 4; b++) collect_batch(h, b, NULL);
    NNQ_ASSERT_OK(nnq_calib_save(h, path));
    nnq_calib *l = NULL;
    NNQ_ASSERT_OK(nnq_calib_load(path, &l));
    for (int m = 1; m <= 3; m++)
        ASSERT_BITS(amax_with(l, (nnq_calib_method)m, 1, 128, 99.9),
                    amax_with(h, (nnq_calib_method)m, 1, 128, 99.9));
    assert_true(nnq_calib_get_config(l)->skip_zeros);
    /* Hostile files: every single-byte corruption and every truncation fails cleanly. */
    FILE *f = fopen(path, "rb");
    unsigned char buf[1 << 16];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    nnq_calib *bad = NULL;
    for (size_t cut = 0; cut < size; cut += 97) {
        f = fopen(path, "wb");
        fwrite(buf, 1, cut, f);
        fclose(f);
        NNQ_ASSERT_FAILS(nnq_calib_load(path, &bad), NNQ_STATUS_INVALID_FORMAT, "calib load");
    }
    for (size_t at = 0; at < 64; at++) {
        unsigned char save = buf[at];
        buf[at] ^= 0x5a;
        f = fopen(path, "wb");
        fwrite(buf, 1, size, f);
        fclose(f);
        NNQ_ASSERT_FAILS(nnq_calib_load(path, &bad), NNQ_STATUS_INVALID_FORMAT, NULL);
        buf[at] = save;
    }
    snprintf(path, sizeof path, "%s/missing", dir);
    NNQ_ASSERT_FAILS(nnq_calib_load(path, &bad), NNQ_STATUS_NOT_FOUND, "missing");
    nnq_calib_free(h);
    nnq_calib_free(l);
    nnq_test_rmdir(dir);
}

/* Goldens from tools/golden_calib.py (pytorch-quantization 2.1.3
 * HistogramCalibrator / MaxCalibrator, torch 1.13 torch.ao observers). */
static void test_histogram_golden(void **state) {
    (void)state;
    nnq_calib *h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM});
    const uint64_t *counts;
    const float *edges;
    size_t nb, ne;
    collect_batch(h, 0, NULL);
    NNQ_ASSERT_OK(nnq_calib_histogram(h, 0, &counts, &nb, &edges, &ne));
    assert_int_equal(nb, 2048);
    ASSERT_BITS(edges[ne - 1], 0x1.4p+2f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_ENTROPY, 1, 128, 0), 0x1.3f6p+2f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_MSE, 1, 128, 0), 0x1.3efcp+2f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 128, 99.9), 0x1.3f38p+2f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 128, 99.99), 0x1.3fd8p+2f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_ENTROPY, 4, 256, 0), 0x1.3f6p+2f);
    /* Range growth: bins keep their width, the count grows. */
    collect_batch(h, 1, NULL);
    NNQ_ASSERT_OK(nnq_calib_histogram(h, 0, &counts, &nb, &edges, &ne));
    assert_int_equal(nb, 3072);
    assert_int_equal(ne, 3073);
    ASSERT_BITS(edges[ne - 1], 0x1.ep+2f);
    collect_batch(h, 2, NULL);
    collect_batch(h, 3, NULL);
    NNQ_ASSERT_OK(nnq_calib_histogram(h, 0, &counts, &nb, &edges, &ne));
    assert_int_equal(nb, 3680);
    assert_int_equal(ne, 3681);
    ASSERT_BITS(edges[ne - 1], 0x1.1f8p+3f);
    uint64_t total = 0;
    for (size_t i = 0; i < nb; i++) total += counts[i];
    assert_int_equal(total, 4500);
    assert_int_equal(counts[0], 4);
    assert_int_equal(counts[2], 3);
    assert_int_equal(counts[6], 5);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_ENTROPY, 1, 128, 0), 0x1.1ef4p+3f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_MSE, 1, 128, 0), 0x1.1c6ap+3f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 128, 99.9), 0x1.1db4p+3f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 128, 99.99), 0x1.1f6cp+3f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_ENTROPY, 4, 256, 0), 0x1.1f8p+3f);
    nnq_calib_free(h);
    /* 4 bits on the first batch. */
    h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM, .num_bits = 4});
    collect_batch(h, 0, NULL);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_ENTROPY, 1, 128, 0), 0x1.3f6p+2f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_MSE, 1, 128, 0), 0x1.2ad4p+2f);
    nnq_calib_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minmax_by_hand),    cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_bad_input),         cmocka_unit_test(test_threads_simd_merge),
        cmocka_unit_test(test_save_load),         cmocka_unit_test(test_histogram_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
