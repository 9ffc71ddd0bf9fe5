/* test_calib.c - calibrators against reference goldens, edge cases, errors. */
#include "testutil.h"

#include "calib/calib_impl.h"

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

/* torch.ao.quantization goldens (torch 1.13), generated by
 *     /usr/bin/python3 tools/golden_calib_observers.py
 * on the batches of collect_batch(): {kind, qint8, symmetric, reduce_range,
 * batches fed, min_val, max_val, scale, zero_point}. */
static const struct {
    nnq_calib_kind kind;
    bool is_signed, symmetric, reduce_range;
    int batches;
    float min, max, scale;
    int32_t zp;
} observer_golden[] = {
    {NNQ_CALIB_KIND_MINMAX, false, false, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.40ef040000000p-5f, 128},
    {NNQ_CALIB_KIND_MINMAX, true, false, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.40ef040000000p-5f, 0},
    {NNQ_CALIB_KIND_MINMAX, false, true, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.4141420000000p-5f, 128},
    {NNQ_CALIB_KIND_MINMAX, true, true, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.4141420000000p-5f, 0},
    {NNQ_CALIB_KIND_MINMAX, false, false, true, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.4232780000000p-4f, 64},
    {NNQ_CALIB_KIND_MINMAX, true, true, true, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.42850a0000000p-4f, 0},
    {NNQ_CALIB_KIND_MINMAX, false, false, false, 4, -0x1.1000000000000p+3f, 0x1.1f70a40000000p+3f, 0x1.18d1240000000p-4f, 124},
    {NNQ_CALIB_KIND_MINMAX, true, false, false, 4, -0x1.1000000000000p+3f, 0x1.1f70a40000000p+3f, 0x1.18d1240000000p-4f, -4},
    {NNQ_CALIB_KIND_MINMAX, false, true, false, 4, -0x1.1000000000000p+3f, 0x1.1f70a40000000p+3f, 0x1.2091360000000p-4f, 128},
    {NNQ_CALIB_KIND_MINMAX, true, true, false, 4, -0x1.1000000000000p+3f, 0x1.1f70a40000000p+3f, 0x1.2091360000000p-4f, 0},
    {NNQ_CALIB_KIND_MINMAX, false, false, true, 4, -0x1.1000000000000p+3f, 0x1.1f70a40000000p+3f, 0x1.19ec2a0000000p-3f, 62},
    {NNQ_CALIB_KIND_MINMAX, true, true, true, 4, -0x1.1000000000000p+3f, 0x1.1f70a40000000p+3f, 0x1.21b40c0000000p-3f, 0},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, false, false, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.40ef040000000p-5f, 128},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, true, false, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.40ef040000000p-5f, 0},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, false, true, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.4141420000000p-5f, 128},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, true, true, false, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.4141420000000p-5f, 0},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, false, false, true, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.4232780000000p-4f, 64},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, true, true, true, 1, -0x1.4000000000000p+2f, 0x1.3f5c280000000p+2f, 0x1.42850a0000000p-4f, 0},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, false, false, false, 4, -0x1.4238940000000p+2f, 0x1.41e63e0000000p+2f, 0x1.4352ba0000000p-5f, 128},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, true, false, false, 4, -0x1.4238940000000p+2f, 0x1.41e63e0000000p+2f, 0x1.4352ba0000000p-5f, 0},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, false, true, false, 4, -0x1.4238940000000p+2f, 0x1.41e63e0000000p+2f, 0x1.437c100000000p-5f, 128},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, true, true, false, 4, -0x1.4238940000000p+2f, 0x1.41e63e0000000p+2f, 0x1.437c100000000p-5f, 0},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, false, false, true, 4, -0x1.4238940000000p+2f, 0x1.41e63e0000000p+2f, 0x1.44989a0000000p-4f, 64},
    {NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX, true, true, true, 4, -0x1.4238940000000p+2f, 0x1.41e63e0000000p+2f, 0x1.44c2180000000p-4f, 0},
};
/* PerChannelMinMaxObserver(ch_axis=0) on batch 3 viewed [12, 100], same
 * generator: min_val, max_val; qint8 per_channel_symmetric scale; quint8
 * per_channel_affine scale and zero_point (symmetric qint8 zero points are 0). */
static const float pc_min[12] = {-0x1.09d70a0000000p+3f, -0x1.031eb80000000p+3f, -0x1.0f70a40000000p+3f, -0x1.0a66660000000p+3f, -0x1.055c280000000p+3f, -0x1.1000000000000p+3f, -0x1.0ca3d80000000p+3f, -0x1.07999a0000000p+3f, -0x1.028f5c0000000p+3f, -0x1.0ee1480000000p+3f, -0x1.09d70a0000000p+3f, -0x1.031eb80000000p+3f};
static const float pc_max[12] = {0x1.1828f60000000p+3f, 0x1.1ee1480000000p+3f, 0x1.10e1480000000p+3f, 0x1.17999a0000000p+3f, 0x1.1ca3d80000000p+3f, 0x1.1e51ea0000000p+3f, 0x1.155c280000000p+3f, 0x1.1a66660000000p+3f, 0x1.1f70a40000000p+3f, 0x1.131eb80000000p+3f, 0x1.1828f60000000p+3f, 0x1.1ee1480000000p+3f};
static const float pc_sym_scale[12] = {0x1.1942380000000p-4f, 0x1.20014a0000000p-4f, 0x1.11f33c0000000p-4f, 0x1.18b24c0000000p-4f, 0x1.1dc19a0000000p-4f, 0x1.1f715c0000000p-4f, 0x1.16729a0000000p-4f, 0x1.1b81e80000000p-4f, 0x1.2091360000000p-4f, 0x1.1432ea0000000p-4f, 0x1.1942380000000p-4f, 0x1.20014a0000000p-4f};
static const float pc_aff_scale[12] = {0x1.1212120000000p-4f, 0x1.1212120000000p-4f, 0x1.113a300000000p-4f, 0x1.1212120000000p-4f, 0x1.1212120000000p-4f, 0x1.1841360000000p-4f, 0x1.1212120000000p-4f, 0x1.1212120000000p-4f, 0x1.1212120000000p-4f, 0x1.1212120000000p-4f, 0x1.1212120000000p-4f, 0x1.1212120000000p-4f};
static const int32_t pc_aff_zp[12] = {124, 121, 127, 124, 122, 124, 125, 123, 121, 127, 124, 121};

static void test_observer_golden(void **state) {
    (void)state;
    for (size_t r = 0; r < NNQ_ARRAY_LEN(observer_golden); r++) {
        nnq_calib *c = make((nnq_calib_config){.kind = observer_golden[r].kind});
        for (int b = 0; b < observer_golden[r].batches; b++) collect_batch(c, (size_t)b, NULL);
        float lo, hi, s;
        int32_t z;
        NNQ_ASSERT_OK(nnq_calib_get_range(c, &lo, &hi, 1));
        ASSERT_BITS(lo, observer_golden[r].min);
        ASSERT_BITS(hi, observer_golden[r].max);
        nnq_qparams_options o = {observer_golden[r].symmetric ? NNQ_QSCHEME_SYMMETRIC : NNQ_QSCHEME_AFFINE,
                                 observer_golden[r].is_signed, observer_golden[r].reduce_range};
        NNQ_ASSERT_OK(nnq_calib_qparams(c, &o, &s, &z, 1));
        if (!nnq_test_same_bits(s, observer_golden[r].scale) || z != observer_golden[r].zp)
            fail_msg("row %zu: scale %a zp %d, expected %a zp %d", r, (double)s, z,
                     (double)observer_golden[r].scale, observer_golden[r].zp);
        nnq_calib_free(c);
    }
    /* Per channel: axis 0 of batch 3 as [12, 100]. */
    nnq_calib *c = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MINMAX, .per_axis = true});
    float *x = make_batch(batches[3].n, batches[3].mul, batches[3].add, batches[3].scale,
                          batches[3].offset);
    const int64_t d[] = {12, 100};
    collect(c, x, 2, d, NULL);
    free(x);
    float lo[12], hi[12], s[12];
    int32_t z[12];
    NNQ_ASSERT_OK(nnq_calib_get_range(c, lo, hi, 12));
    nnq_qparams_options sym = {NNQ_QSCHEME_SYMMETRIC, true, false};
    nnq_qparams_options aff = {NNQ_QSCHEME_AFFINE, false, false};
    for (size_t i = 0; i < 12; i++) {
        ASSERT_BITS(lo[i], pc_min[i]);
        ASSERT_BITS(hi[i], pc_max[i]);
    }
    NNQ_ASSERT_OK(nnq_calib_qparams(c, &sym, s, z, 12));
    for (size_t i = 0; i < 12; i++) {
        ASSERT_BITS(s[i], pc_sym_scale[i]);
        assert_int_equal(z[i], 0);
    }
    NNQ_ASSERT_OK(nnq_calib_qparams(c, &aff, s, z, 12));
    for (size_t i = 0; i < 12; i++) {
        ASSERT_BITS(s[i], pc_aff_scale[i]);
        assert_int_equal(z[i], pc_aff_zp[i]);
    }
    NNQ_ASSERT_FAILS(nnq_calib_qparams(c, &aff, s, z, 11), NNQ_STATUS_INVALID_ARGUMENT,
                     "holds 11 values, the state has 12 channels");
    nnq_calib_free(c);
}

/*
 * Hand-derived values from the definitions in docs/calibration.md.
 * LSQ (Esser et al. 2020): s = 2 mean|x| / sqrt(Qp).  x = {1, -2, 3, -4},
 * 8 bits signed, Qp = 127: mean|x| = 2.5, s = 5 / sqrt(127).
 * LSQ+ (Bhalgat et al. 2020): s = max(|mu - 3 sd|, |mu + 3 sd|) / 2^(b-1),
 * population sd.  x = {1, 2, 3, 6}: mu = 3, var = (4 + 1 + 0 + 9) / 4 = 3.5,
 * s = (3 + 3 sqrt(3.5)) / 128.  Both accumulate across batches.
 */
static void test_lsq_by_hand(void **state) {
    (void)state;
    const float a[] = {1.0f, -2.0f}, b[] = {3.0f, -4.0f}, p[] = {1.0f, 2.0f, 3.0f, 6.0f};
    nnq_calib *l = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_LSQ});
    NNQ_ASSERT_OK(collect_s(l, a, 2));
    NNQ_ASSERT_OK(collect_s(l, b, 2));
    float s, amax;
    NNQ_ASSERT_OK(nnq_calib_lsq_init(l, &s, 1));
    ASSERT_BITS(s, (float)(5.0 / sqrt(127.0)));
    NNQ_ASSERT_OK(nnq_calib_compute_amax(l, NULL, &amax, 1));
    ASSERT_BITS(amax, (float)(5.0 / sqrt(127.0)) * 127.0f);
    nnq_calib_free(l);
    /* 4-bit unsigned: Qp = 15, mean|x| = 3 over {2, 4}. */
    const float u[] = {2.0f, 4.0f};
    l = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_LSQ, .num_bits = 4, .is_unsigned = true});
    NNQ_ASSERT_OK(collect_s(l, u, 2));
    NNQ_ASSERT_OK(nnq_calib_lsq_init(l, &s, 1));
    ASSERT_BITS(s, (float)(6.0 / sqrt(15.0)));
    nnq_calib_free(l);
    nnq_calib *lp = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_LSQ_PLUS});
    NNQ_ASSERT_OK(collect_s(lp, p, 2));
    NNQ_ASSERT_OK(collect_s(lp, p + 2, 2));
    NNQ_ASSERT_OK(nnq_calib_lsq_init(lp, &s, 1));
    ASSERT_BITS(s, (float)((3.0 + 3.0 * sqrt(3.5)) / 128.0));
    /* Merge adds the sums: two shards equal one state. */
    nnq_calib *s1 = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_LSQ_PLUS});
    nnq_calib *s2 = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_LSQ_PLUS});
    NNQ_ASSERT_OK(collect_s(s1, p, 2));
    NNQ_ASSERT_OK(collect_s(s2, p + 2, 2));
    NNQ_ASSERT_OK(nnq_calib_merge(s1, s2));
    float sm;
    NNQ_ASSERT_OK(nnq_calib_lsq_init(s1, &sm, 1));
    ASSERT_BITS(sm, s);
    NNQ_ASSERT_FAILS(nnq_calib_lsq_init(lp, &s, 2), NNQ_STATUS_INVALID_ARGUMENT, "2 values");
    nnq_calib *mx = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MAX});
    NNQ_ASSERT_OK(collect_s(mx, p, 4));
    NNQ_ASSERT_FAILS(nnq_calib_lsq_init(mx, &s, 1), NNQ_STATUS_INVALID_ARGUMENT, "needs an lsq");
    nnq_calib_free(mx), nnq_calib_free(lp), nnq_calib_free(s1), nnq_calib_free(s2);
}

/*
 * EMA percentile: numpy.percentile(|x|, p) (linear interpolation) per batch,
 * then v = m v + (1 - m) batch in fp32.  |x| = {0, 1, ..., 10}, p = 95:
 * position 0.95 * 10 = 9.5 -> 9.5.  Second batch 2|x|: 19.  m = 0.5 ->
 * 0.5 * 9.5 + 0.5 * 19 = 14.25.  p = 100 picks the max (10).
 */
static void test_ema_percentile_by_hand(void **state) {
    (void)state;
    float x[11], y[11];
    for (int i = 0; i < 11; i++) x[i] = (float)(i % 2 ? -i : i), y[i] = 2.0f * x[i];
    nnq_calib *e = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_EMA_PERCENTILE, .percentile = 95.0,
                                           .momentum = 0.5f});
    float a;
    NNQ_ASSERT_OK(collect_s(e, x, 11));
    NNQ_ASSERT_OK(nnq_calib_compute_amax(e, NULL, &a, 1));
    ASSERT_BITS(a, 9.5f);
    NNQ_ASSERT_OK(collect_s(e, y, 11));
    NNQ_ASSERT_OK(nnq_calib_compute_amax(e, NULL, &a, 1));
    ASSERT_BITS(a, 14.25f);
    nnq_calib_free(e);
    e = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_EMA_PERCENTILE, .percentile = 100.0});
    NNQ_ASSERT_OK(collect_s(e, x, 11));
    NNQ_ASSERT_OK(nnq_calib_compute_amax(e, NULL, &a, 1));
    ASSERT_BITS(a, 10.0f);
    /* One element: every percentile is that element. */
    nnq_calib_reset(e);
    NNQ_ASSERT_OK(collect_s(e, y + 3, 1));
    NNQ_ASSERT_OK(nnq_calib_compute_amax(e, NULL, &a, 1));
    ASSERT_BITS(a, 6.0f);
    NNQ_ASSERT_FAILS(nnq_calib_merge(e, e), NNQ_STATUS_UNSUPPORTED, "batch order");
    nnq_calib_free(e);
}

/*
 * MSE clipping with grid 4, 2 bits signed (bound 1, levels {-a, 0, a}):
 * x = {0.5, 1, 1, 4}, candidates a = 1, 2, 3, 4.
 *   a=1: fq = {0 or 1 (0.5 ties to even: 0), 1, 1, 1} -> err 0.25 + 0 + 0 + 9 = 9.25
 *   a=2: x*0.5 = {0.25, 0.5, 0.5, 2} -> q {0, 0, 0, 1} -> fq {0, 0, 0, 2}: 0.25+1+1+4 = 6.25
 *   a=3: q = rne(x/3) = {0, 0, 0, 1} -> fq {0,0,0,3}: 0.25+1+1+1 = 3.25
 *   a=4: q = rne(x/4) = {0, 0, 0, 1} -> fq {0,0,0,4}: 2.25
 * so the batch optimum is 4.  Batch {1, 1, 1, -4}: a=1: 9; a=2: fq {0 (0.5->0),..., -2} = 3+4 = 7;
 *   a=3: 3 + 1 = 4; a=4: 3 + 0 = 3 -> 4 again.  Batch {1, 1, 1, 1, 1, 1, 1, 4}: a=1: 9;
 *   a=2: 7 + 4 = 11; a=3: 7 + 1 = 8; a=4: 7 -> 4.  Batch {3, 3, 3, 4}: a=3: 0 + 1 = 1;
 *   a=4: q = rne(0.75) = 1 -> 3 * 1 + 0 = 3; so 3.  mse mean over {4, 3} = 3.5;
 *   ema_mse (m = 0.5): 0.5 * 4 + 0.5 * 3 = 3.5; with m = 0.75: 3.75.
 */
static void test_mse_by_hand(void **state) {
    (void)state;
    const float b1[] = {0.5f, 1.0f, 1.0f, 4.0f}, b2[] = {1.0f, 1.0f, 1.0f, -4.0f};
    const float b3[] = {3.0f, 3.0f, 3.0f, 4.0f};
    const nnq_calib_kind kinds[] = {NNQ_CALIB_KIND_MSE, NNQ_CALIB_KIND_EMA_MSE, NNQ_CALIB_KIND_EMA_MSE};
    const float mom[] = {0.0f, 0.5f, 0.75f}, want[] = {3.5f, 3.5f, 3.75f};
    for (int k = 0; k < 3; k++) {
        nnq_calib *c = make((nnq_calib_config){.kind = kinds[k], .num_bits = 2, .mse_grid = 4,
                                               .momentum = mom[k]});
        float a;
        NNQ_ASSERT_OK(collect_s(c, b1, 4));
        NNQ_ASSERT_OK(nnq_calib_compute_amax(c, NULL, &a, 1));
        ASSERT_BITS(a, 4.0f);
        nnq_calib_reset(c);
        NNQ_ASSERT_OK(collect_s(c, b2, 4));
        NNQ_ASSERT_OK(nnq_calib_compute_amax(c, NULL, &a, 1));
        ASSERT_BITS(a, 4.0f);
        NNQ_ASSERT_OK(collect_s(c, b3, 4));
        NNQ_ASSERT_OK(nnq_calib_compute_amax(c, NULL, &a, 1));
        ASSERT_BITS(a, want[k]);
        nnq_calib_free(c);
    }
    /* Per-axis: channel 0 = b1, channel 1 = b3 (axis 0 of [2, 4]). */
    float x[8];
    memcpy(x, b1, sizeof b1);
    memcpy(x + 4, b3, sizeof b3);
    nnq_calib *c = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MSE, .num_bits = 2, .mse_grid = 4,
                                           .per_axis = true});
    const int64_t d[] = {2, 4};
    float a2[2];
    collect(c, x, 2, d, NULL);
    NNQ_ASSERT_OK(nnq_calib_compute_amax(c, NULL, a2, 2));
    ASSERT_BITS(a2[0], 4.0f);
    ASSERT_BITS(a2[1], 3.0f);
    nnq_calib_free(c);
    NNQ_ASSERT_FAILS(nnq_calib_create(&(nnq_calib_config){.kind = NNQ_CALIB_KIND_MSE, .mse_grid = 2000}, &c),
                     NNQ_STATUS_OUT_OF_RANGE, "mse_grid 2000 outside [1, 1024]");
}

/* Optimized scorers against their references: the MSE kernels (SIMD vs
 * scalar, same lane order) and the integer percentile search vs the
 * sequential fp64 cdf, over random histograms and percentiles including
 * exact crossings (p = 50 on two equal bins). */
static void test_scorer_kernels(void **state) {
    (void)state;
    nnq_rng rng;
    uint64_t seed = nnq_test_seed();
    nnq_rng_seed(&rng, seed, 11);
    for (int trial = 0; trial < 40; trial++) {
        size_t nb = 2 + (size_t)nnq_rng_bounded(&rng, 3000);
        float *x = malloc(nb * 4 * sizeof *x);
        size_t n = nb * 4;
        for (size_t i = 0; i < n; i++) x[i] = nnq_rng_normal(&rng) * (trial % 3 ? 1.0f : 1e-3f);
        nnq_calib *h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM, .num_bins = (int)nb});
        NNQ_ASSERT_OK(collect_s(h, x, n));
        float ms, mv;
        int start = 1 + (int)nnq_rng_bounded(&rng, (uint32_t)(nb / 2)); /* 0 means the default 128 */
        nnq_cpu_force_scalar(true);
        ms = amax_with(h, NNQ_CALIB_METHOD_MSE, 1 + trial % 3, start, 0);
        nnq_cpu_force_scalar(false);
        mv = amax_with(h, NNQ_CALIB_METHOD_MSE, 1 + trial % 3, start, 0);
        if (!nnq_test_same_bits(ms, mv)) fail_msg("seed %llu trial %d: mse %a vs %a", (unsigned long long)seed, trial, (double)ms, (double)mv);
        const double ps[] = {0.001, 1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0};
        for (size_t k = 0; k < NNQ_ARRAY_LEN(ps); k++) {
            double p = ps[k] + (k % 2 ? 0.0 : (double)nnq_rng_bounded(&rng, 1000) * 1e-6);
            size_t ref = calib_hist_percentile_ref(&h->hist[0], p);
            float got = amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 1, p);
            if (ref >= h->hist[0].n_edges) ref = h->hist[0].n_edges - 1;
            if (!nnq_test_same_bits(got, h->hist[0].edges[ref]))
                fail_msg("seed %llu trial %d p %.9g: %a, reference %a", (unsigned long long)seed,
                         trial, p, (double)got, (double)h->hist[0].edges[ref]);
        }
        nnq_calib_free(h);
        free(x);
    }
    /* Exact crossing: cdf of bin 0 is exactly 0.5. */
    const float two[] = {0.25f, 1.0f};
    nnq_calib *h = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM, .num_bins = 2});
    NNQ_ASSERT_OK(collect_s(h, two, 2));
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 1, 50.0), 0.0f);
    ASSERT_BITS(amax_with(h, NNQ_CALIB_METHOD_PERCENTILE, 1, 1, 50.0001), 0.5f);
    nnq_calib_free(h);
}

#if !defined(NNQ_REFERENCE_ONLY)
/* Sum of the CALIB_SUBHIST sub-histograms of a binning kernel's output. */
static void bin_with(void (*bin)(const float *, size_t, const calib_bin_params *, uint32_t *),
                     const float *x, size_t n, const calib_bin_params *p, uint64_t *out) {
    const size_t slots = CALIB_BIN_SLOTS(p->nbins);
    uint32_t *sub = calloc(CALIB_SUBHIST * slots, sizeof *sub);
    bin(x, n, p, sub);
    memset(out, 0, slots * sizeof *out);
    for (size_t s = 0; s < CALIB_SUBHIST; s++)
        for (size_t k = 0; k < slots; k++) out[k] += sub[s * slots + k];
    free(sub);
}
#endif

/* The AVX2 binning and row min/max kernels against the scalar references
 * on odd sizes (vector tails, the binning ring's drain) with edge values:
 * exact bin edges, the last edge, above it, NaN, Inf, -0, zeros. */
static void test_collect_kernels(void **state) {
    (void)state;
#if defined(NNQ_REFERENCE_ONLY)
    skip();
#else
    if (!(nnq_cpu_features() & NNQ_CPU_AVX2)) skip();
    nnq_rng rng;
    uint64_t seed = nnq_test_seed();
    nnq_rng_seed(&rng, seed, 21);
    const size_t sizes[] = {0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 192, 1031, 4099};
    const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 0.25f, 1.5f, NAN, INFINITY,
                             -INFINITY, 3e38f, 1e-40f};
    for (size_t si = 0; si < NNQ_ARRAY_LEN(sizes); si++)
        for (int variant = 0; variant < 5; variant++) {
            const size_t n = sizes[si];
            float *x = malloc((n + 1) * sizeof *x);
            for (size_t i = 0; i < n; i++)
                x[i] = i % 5 == 0 ? special[nnq_rng_bounded(&rng, NNQ_ARRAY_LEN(special))]
                                  : nnq_rng_normal(&rng) * 0.5f;
            const uint32_t nbins = variant < 2 ? 2048 : 3 + (uint32_t)si;
            /* variant 4: range up to FLT_MAX, where |x| * nbins overflows */
            const float edge = variant == 4 ? 3.4028235e38f : variant % 2 ? 1.0f : 1.5f;
            calib_bin_params p = {(float)nbins, edge, nbins, variant % 2 == 1};
            const size_t slots = CALIB_BIN_SLOTS(nbins);
            uint64_t *ref = malloc(slots * sizeof *ref), *got = malloc(slots * sizeof *got);
            bin_with(calib_bin_ref, x, n, &p, ref);
            bin_with(calib_bin_avx2, x, n, &p, got);
            if (variant == 4 && n > 5) /* the 3e38 values sit in the last bin */
                assert_true(ref[nbins - 1] >= (uint64_t)(x[0] == 3e38f) + (x[5] == 3e38f));
            for (size_t k = 0; k < slots; k++)
                if (ref[k] != got[k])
                    fail_msg("seed %llu n %zu variant %d: slot %zu avx2 %llu, scalar %llu",
                             (unsigned long long)seed, n, variant, k, (unsigned long long)got[k],
                             (unsigned long long)ref[k]);
            uint64_t tot = 0;
            for (size_t k = 0; k < slots; k++) tot += ref[k];
            assert_int_equal(tot, n);
            /* Row kernel: two rows folded into the same accumulators. */
            float mn[2][4099], mx[2][4099];
            uint32_t ab[2][4099];
            for (int k = 0; k < 2; k++)
                for (size_t j = 0; j < n; j++) mn[k][j] = 0.1f, mx[k][j] = -0.1f, ab[k][j] = 7;
            for (size_t r = 0; r < 2; r++) {
                const float *row = r == 0 ? x : x + n / 2; /* overlapping rows are fine */
                size_t len = r == 0 ? n : n - n / 2;
                calib_minmax_row_ref(row, len, mn[0], mx[0], ab[0]);
                calib_minmax_row_avx2(row, len, mn[1], mx[1], ab[1]);
            }
            assert_memory_equal(mn[0], mn[1], n * sizeof(float));
            assert_memory_equal(mx[0], mx[1], n * sizeof(float));
            assert_memory_equal(ab[0], ab[1], n * sizeof(uint32_t));
            free(ref), free(got), free(x);
        }
#endif
}

/* Per-axis statistics with a small inner stride (folded row by row)
 * against per-tensor calibrators over each channel's gathered values (the
 * run-by-run path), on random shapes; 1, 2 and 7 threads give the same bits. */
static void test_per_axis_rows(void **state) {
    (void)state;
    nnq_rng rng;
    uint64_t seed = nnq_test_seed();
    nnq_rng_seed(&rng, seed, 23);
    const size_t threads[] = {1, 2, 7};
    nnq_pool *pools[3];
    for (size_t t = 0; t < 3; t++) NNQ_ASSERT_OK(nnq_pool_create(threads[t], &pools[t]));
    const size_t inners[] = {1, 2, 3, 63, 64, 65};
    for (int trial = 0; trial < 24; trial++) {
        const size_t outer = 1 + nnq_rng_bounded(&rng, trial < 12 ? 9 : 3000);
        const size_t ch = 2 + nnq_rng_bounded(&rng, 40), inner = inners[trial % 6];
        const size_t n = outer * ch * inner;
        float *x = malloc(n * sizeof *x), *g = malloc(outer * inner * sizeof *g);
        for (size_t i = 0; i < n; i++)
            x[i] = nnq_rng_normal(&rng) * (float)(1 + i % 13) + (i % 11 == 0 ? -0.0f : 0.0f);
        if (trial % 4 == 0) x[n / 2] = 0.0f; /* zero range somewhere */
        const int64_t d[] = {(int64_t)outer, (int64_t)ch, (int64_t)inner};
        float mn[3][41], mx[3][41];
        for (size_t t = 0; t < 3; t++) {
            nnq_calib *c = make(
                (nnq_calib_config){.kind = NNQ_CALIB_KIND_MINMAX, .per_axis = true, .axis = 1});
            collect(c, x, 3, d, pools[t]);
            NNQ_ASSERT_OK(nnq_calib_get_range(c, mn[t], mx[t], ch));
            nnq_calib_free(c);
        }
        for (size_t c = 0; c < ch; c++) {
            for (size_t o = 0; o < outer; o++)
                memcpy(g + o * inner, x + (o * ch + c) * inner, inner * sizeof *g);
            nnq_calib *pt = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_MINMAX});
            NNQ_ASSERT_OK(collect_s(pt, g, outer * inner));
            float wmn, wmx;
            NNQ_ASSERT_OK(nnq_calib_get_range(pt, &wmn, &wmx, 1));
            nnq_calib_free(pt);
            for (size_t t = 0; t < 3; t++)
                if (!nnq_test_same_bits(mn[t][c], wmn) || !nnq_test_same_bits(mx[t][c], wmx))
                    fail_msg("seed %llu shape [%zu, %zu, %zu] channel %zu threads %zu: [%a, %a], "
                             "expected [%a, %a]",
                             (unsigned long long)seed, outer, ch, inner, c, threads[t],
                             (double)mn[t][c], (double)mx[t][c], (double)wmn, (double)wmx);
        }
        free(x), free(g);
    }
    for (size_t t = 0; t < 3; t++) nnq_pool_free(pools[t]);
}

/* The running count total behind percentile survives merge (equal and
 * different edges), growth and save / load: every percentile still matches
 * the sequential reference. */
static void test_percentile_total(void **state) {
    (void)state;
    nnq_rng rng;
    uint64_t seed = nnq_test_seed();
    nnq_rng_seed(&rng, seed, 29);
    const size_t n = 5003;
    float *x = malloc(n * sizeof *x);
    nnq_calib *a = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM});
    nnq_calib *b = make((nnq_calib_config){.kind = NNQ_CALIB_KIND_HISTOGRAM});
    const float zeros[3] = {0};
    NNQ_ASSERT_OK(collect_s(a, zeros, 3)); /* pending zeros, folded into bin 0 later */
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++) x[i] = nnq_rng_normal(&rng) * (float)(1 + k);
        NNQ_ASSERT_OK(collect_s(k == 1 ? b : a, x, n)); /* a grows, b has other edges */
    }
    NNQ_ASSERT_OK(nnq_calib_merge(a, b));
    NNQ_ASSERT_OK(nnq_calib_merge(a, a));
    char *dir = nnq_test_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/h.calib", dir);
    NNQ_ASSERT_OK(nnq_calib_save(a, path));
    nnq_calib *l = NULL;
    NNQ_ASSERT_OK(nnq_calib_load(path, &l));
    const nnq_calib *states[] = {a, l};
    for (size_t s = 0; s < 2; s++) {
        assert_int_equal(states[s]->hist[0].total, 2 * (3 + 3 * n));
        const double ps[] = {0.01, 10.0, 50.0, 99.0, 99.99, 100.0};
        for (size_t k = 0; k < NNQ_ARRAY_LEN(ps); k++) {
            size_t ref = calib_hist_percentile_ref(&states[s]->hist[0], ps[k]);
            float got = amax_with(states[s], NNQ_CALIB_METHOD_PERCENTILE, 1, 1, ps[k]);
            ASSERT_BITS(got, states[s]->hist[0].edges[ref]);
        }
    }
    /* A file whose counts overflow the 64-bit total is rejected. */
    a->hist[0].counts[0] = UINT64_MAX;
    NNQ_ASSERT_OK(nnq_calib_save(a, path));
    nnq_calib *bad = NULL;
    NNQ_ASSERT_FAILS(nnq_calib_load(path, &bad), NNQ_STATUS_INVALID_FORMAT, "sum past 2^64");
    assert_null(bad);
    nnq_calib_free(l), nnq_calib_free(a), nnq_calib_free(b);
    nnq_test_rmdir(dir);
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minmax_by_hand),    cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_bad_input),         cmocka_unit_test(test_threads_simd_merge),
        cmocka_unit_test(test_save_load),         cmocka_unit_test(test_histogram_golden),
        cmocka_unit_test(test_observer_golden),   cmocka_unit_test(test_lsq_by_hand),
        cmocka_unit_test(test_ema_percentile_by_hand), cmocka_unit_test(test_mse_by_hand),
        cmocka_unit_test(test_scorer_kernels),    cmocka_unit_test(test_collect_kernels),
        cmocka_unit_test(test_per_axis_rows),     cmocka_unit_test(test_percentile_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
