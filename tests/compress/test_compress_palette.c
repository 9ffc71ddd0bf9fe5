/*
 * test_compress_palette.c - palettization through the public API:
 * coremltools' documented examples, exactness, table dtypes, grouping,
 * importance, stats, thread-count independence and every bad input.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------- */

static nnq_compressed *compress_ok(const float *w, int ndim, const int64_t *dims,
                                   const nnq_compress_config *cfg, nnq_pool *pool) {
    nnq_compressed *c = NULL;
    NNQ_ASSERT_OK(nnq_compress_tensor(w, ndim, dims, cfg, pool, &c));
    assert_non_null(c);
    return c;
}

static uint8_t *unpack_indices(const nnq_compressed_parts *p) {
    uint8_t *idx = malloc(p->nnz + 1);
    assert_non_null(idx);
    NNQ_ASSERT_OK(nnq_unpack_bits(p->codes, p->codes_bytes, p->nnz, p->palette_bits, idx));
    return idx;
}

static float *decompress(const nnq_compressed *c, size_t n) {
    float *y = malloc(n * sizeof *y + 4);
    assert_non_null(y);
    NNQ_ASSERT_OK(nnq_compressed_decompress(c, y, n));
    return y;
}

static float *normal_weights(size_t n, uint64_t stream) {
    float *w = malloc(n * sizeof *w);
    nnq_rng r;
    assert_non_null(w);
    nnq_rng_seed(&r, nnq_test_seed(), stream);
    for (size_t i = 0; i < n; i++) w[i] = 0.05f * nnq_rng_normal(&r);
    return w;
}

/*
 * Check everything a palettized result must satisfy without pruning:
 * tables ascending, every index picks a nearest entry of its own table,
 * decompression is exactly the table lookup, and the stats agree with an
 * independent recount.
 */
static void check_palettized(const nnq_compressed *c, const float *w) {
    nnq_compressed_parts p;
    nnq_compress_stats st;
    nnq_compressed_parts_get(c, &p);
    nnq_compressed_stats(c, &st);
    assert_null(p.mask);
    assert_int_equal(p.nnz, p.numel);
    assert_int_equal(p.table_size, (size_t)1 << p.palette_bits);
    assert_int_equal(p.n_groups * p.channels_per_group, (size_t)p.dims[0]);
    uint8_t *idx = unpack_indices(&p);
    float *y = decompress(c, p.numel);
    size_t per_table = p.numel / p.n_groups;
    double sse = 0.0, energy = 0.0;
    for (size_t t = 0; t < p.n_groups; t++)
        for (size_t j = 1; j < p.table_size; j++)
            assert_true(p.lut_f32[t * p.table_size + j] >= p.lut_f32[t * p.table_size + j - 1]);
    for (size_t i = 0; i < p.numel; i++) {
        const float *lut = p.lut_f32 + (i / per_table) * p.table_size;
        assert_true(idx[i] < p.table_size);
        assert_true(nnq_test_same_bits(y[i], lut[idx[i]]));
        float d = fabsf(w[i] - lut[idx[i]]);
        for (size_t j = 0; j < p.table_size; j++) assert_true(d <= fabsf(w[i] - lut[j]));
        double e = (double)w[i] - (double)y[i];
        sse += e * e;
        energy += (double)w[i] * (double)w[i];
    }
    assert_true(fabs(st.sse - sse) <= 1e-9 * (sse + 1e-30));
    if (sse > 0.0)
        assert_true(fabs(st.sqnr_db - 10.0 * log10(energy / sse)) < 1e-9);
    else
        assert_true(isinf(st.sqnr_db));
    size_t entry = p.lut_dtype == NNQ_LUT_DTYPE_FP32   ? 4
                   : p.lut_dtype == NNQ_LUT_DTYPE_FP16 ? 2
                                                       : 1;
    size_t bytes =
        (p.numel * (size_t)p.palette_bits + 7) / 8 +
        p.n_groups * (p.table_size * entry + (p.lut_dtype == NNQ_LUT_DTYPE_INT8 ? 4 : 0));
    assert_int_equal(p.codes_bytes, (p.numel * (size_t)p.palette_bits + 7) / 8);
    assert_int_equal(st.compressed_bytes, bytes);
    assert_int_equal(st.original_bytes, p.numel * 4);
    assert_true(st.bits_per_weight == (double)bytes * 8.0 / (double)p.numel);
    free(idx);
    free(y);
}

/* ---- documented examples ------------------------------------------------ */

static void test_coremltools_uniform_example(void **state) {
    (void)state;
    /* coremltools palettize_weights docs: uniform, 2 bits, on
     * [0.11, 0.19, 0.3, 0.08, 0.0, 0.02] gives the table [0.0, 0.1, 0.2, 0.3]. */
    const float w[6] = {0.11f, 0.19f, 0.3f, 0.08f, 0.0f, 0.02f};
    const int64_t dims[1] = {6};
    nnq_compress_config cfg = {0};
    cfg.palette_bits = 2;
    cfg.palette_mode = NNQ_PALETTE_MODE_UNIFORM;
    nnq_compressed *c = compress_ok(w, 1, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    const float want[4] = {0.0f, 0.1f, 0.2f, 0.3f};
    assert_memory_equal(p.lut_f32, want, sizeof want);
    assert_memory_equal(p.lut, want, sizeof want);
    uint8_t *idx = unpack_indices(&p);
    const uint8_t want_idx[6] = {1, 2, 3, 1, 0, 0};
    assert_memory_equal(idx, want_idx, 6);
    /* quant's packer: first element in the lowest bits of byte 0 */
    assert_int_equal(p.codes_bytes, 2);
    assert_int_equal(p.codes[0], 1 | 2 << 2 | 3 << 4 | 1 << 6);
    assert_int_equal(p.codes[1], 0);
    check_palettized(c, w);
    free(idx);
    nnq_compressed_free(c);
}

static void test_unique_is_exact(void **state) {
    (void)state;
    /* 7 distinct values (with -0 equal to 0) fit a 3-bit table exactly. */
    const float w[12] = {1.5f, -2.0f, 0.0f,   1.5f, 3.25f, -0.0f,
                         7.0f, -2.0f, 0.125f, 9.0f, 7.0f,  1.5f};
    const int64_t dims[2] = {3, 4};
    nnq_compress_config cfg = {0};
    cfg.name = "fc.weight";
    cfg.palette_bits = 3;
    cfg.palette_mode = NNQ_PALETTE_MODE_UNIQUE;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    float *y = decompress(c, 12);
    for (int i = 0; i < 12; i++) assert_true(y[i] == w[i]);
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_true(st.sse == 0.0 && isinf(st.sqnr_db) && st.sqnr_db > 0);
    check_palettized(c, w);
    free(y);
    nnq_compressed_free(c);

    /* one more distinct value than the table holds */
    const float w9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int64_t d9[1] = {9};
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w9, 1, d9, &cfg, NULL, &c), NNQ_STATUS_LIMIT_EXCEEDED,
                     "'fc.weight' table 0 (channels 0..8) has 9 distinct values, more than the 8");
    assert_null(c);
}

static void test_unique_per_group(void **state) {
    (void)state;
    /* Each group of 2 channels has its own 2 values: 1 bit per group is
     * exact, while one table for all would need 3 bits. */
    const float w[12] = {1, 2, 2, 1, 1, 2, /* channels 0-1 */ 10, 20, 20, 20, 10, 10};
    const int64_t dims[2] = {4, 3};
    nnq_compress_config cfg = {0};
    cfg.palette_bits = 1;
    cfg.palette_mode = NNQ_PALETTE_MODE_UNIQUE;
    cfg.group_size = 2;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(p.n_groups, 2);
    assert_int_equal(p.channels_per_group, 2);
    const float want[4] = {1, 2, 10, 20};
    assert_memory_equal(p.lut_f32, want, sizeof want);
    float *y = decompress(c, 12);
    assert_memory_equal(y, w, sizeof w);
    free(y);
    nnq_compressed_free(c);
    cfg.group_size = 0;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_LIMIT_EXCEEDED,
                     "4 distinct values");
}

/* ---- k-means through the API --------------------------------------------- */

static void test_kmeans_every_bit_width(void **state) {
    (void)state;
    static const int bits[] = {1, 2, 3, 4, 6, 8};
    const int64_t dims[2] = {33, 65}; /* odd sizes: packed tails */
    size_t n = 33 * 65;
    float *w = normal_weights(n, 11);
    double prev = -(double)INFINITY;
    for (size_t b = 0; b < ARRAY_LEN(bits); b++) {
        nnq_compress_config cfg = {0};
        cfg.palette_bits = bits[b];
        cfg.seed = 5;
        nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
        check_palettized(c, w);
        nnq_compress_stats st;
        nnq_compressed_stats(c, &st);
        /* each extra bit buys accuracy: >= ~5 dB per bit on a Gaussian */
        assert_true(st.sqnr_db > prev + 4.0);
        prev = st.sqnr_db;
        assert_true(st.kmeans_iterations >= 1);
        nnq_compressed_free(c);
    }
    free(w);
}

static void test_kmeans_recovers_clusters(void **state) {
    (void)state;
    /* Weights drawn around 4 known values: a 2-bit table lands on the means
     * of the 4 groups. */
    enum { N = 4000 };
    static const float centers[4] = {-0.3f, -0.05f, 0.1f, 0.4f};
    float *w = malloc(N * sizeof *w);
    double sum[4] = {0};
    nnq_rng r;
    assert_non_null(w);
    nnq_rng_seed(&r, nnq_test_seed(), 12);
    for (int i = 0; i < N; i++) {
        w[i] = centers[i % 4] + 0.005f * nnq_rng_normal(&r);
        sum[i % 4] += (double)w[i];
    }
    const int64_t dims[2] = {40, 100};
    nnq_compress_config cfg = {0};
    cfg.palette_bits = 2;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    for (int j = 0; j < 4; j++) assert_float_equal(p.lut_f32[j], (float)(sum[j] / (N / 4)), 1e-6f);
    check_palettized(c, w);
    nnq_compressed_free(c);
    free(w);
}

static void test_importance_pulls_entries(void **state) {
    (void)state;
    /* One outlier with overwhelming importance gets an entry of its own. */
    enum { N = 256 };
    float *w = normal_weights(N, 13), imp[N];
    for (int i = 0; i < N; i++) imp[i] = 1.0f;
    w[77] = 0.0123456f;
    imp[77] = 1e9f;
    const int64_t dims[2] = {16, 16};
    nnq_compress_config cfg = {0};
    cfg.palette_bits = 2;
    cfg.importance = imp;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    float *y = decompress(c, N);
    assert_float_equal(y[77], w[77], 1e-6f);
    check_palettized(c, w);
    free(y);
    nnq_compressed_free(c);
    free(w);
}

/* ---- table dtypes ---------------------------------------------------------- */

static void test_lut_fp16(void **state) {
    (void)state;
    float *w = normal_weights(64 * 32, 14);
    const int64_t dims[2] = {64, 32};
    nnq_compress_config cfg = {0};
    cfg.palette_bits = 4;
    cfg.group_size = 16;
    cfg.lut_dtype = NNQ_LUT_DTYPE_FP16;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    const uint16_t *h = p.lut;
    for (size_t i = 0; i < p.n_groups * p.table_size; i++)
        assert_true(nnq_test_same_bits(nnq_fp16_to_float(h[i]), p.lut_f32[i]));
    check_palettized(c, w);
    nnq_compressed_free(c);

    /* a value beyond the fp16 range cannot be a table entry */
    w[3] = 1e6f;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                     "overflows fp16");
    free(w);
}

static void test_lut_int8(void **state) {
    (void)state;
    float *w = normal_weights(48 * 20, 15);
    const int64_t dims[2] = {48, 20};
    nnq_compress_config cfg = {0};
    cfg.palette_bits = 3;
    cfg.group_size = 16;
    cfg.lut_dtype = NNQ_LUT_DTYPE_INT8;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    const int8_t *q = p.lut;
    assert_non_null(p.lut_scales);
    for (size_t t = 0; t < p.n_groups; t++) {
        int maxq = 0;
        for (size_t j = 0; j < p.table_size; j++) {
            int v = q[t * p.table_size + j];
            maxq = abs(v) > maxq ? abs(v) : maxq;
            assert_true(v >= -127 && v <= 127);
            assert_true(
                nnq_test_same_bits(p.lut_f32[t * p.table_size + j], p.lut_scales[t] * (float)v) ||
                (v == 0 && p.lut_f32[t * p.table_size + j] == 0.0f));
        }
        assert_int_equal(maxq, 127); /* symmetric: the largest |entry| maps to 127 */
    }
    check_palettized(c, w);
    nnq_compressed_free(c);
    free(w);
}

/* ---- edge cases ------------------------------------------------------------ */

static void test_edge_shapes_and_values(void **state) {
    (void)state;
    static const struct {
        int64_t rows, cols;
        float fill; /* NAN: random */
        nnq_palette_mode mode;
    } cases[] = {
        {1, 1, 0.5f, NNQ_PALETTE_MODE_KMEANS}, /* one element */
        {1, 1, -2.0f, NNQ_PALETTE_MODE_UNIFORM},
        {3, 7, 0.25f, NNQ_PALETTE_MODE_KMEANS}, /* zero range */
        {3, 7, 0.25f, NNQ_PALETTE_MODE_UNIFORM},
        {5, 3, NAN, NNQ_PALETTE_MODE_KMEANS}, /* fewer values than entries at 4 bits */
        {7, 9, NAN, NNQ_PALETTE_MODE_UNIFORM},
        {2, 5, 3e38f, NNQ_PALETTE_MODE_UNIFORM}, /* huge: +-3e38 alternating */
        {2, 5, 3e38f, NNQ_PALETTE_MODE_KMEANS},
    };
    for (size_t t = 0; t < ARRAY_LEN(cases); t++) {
        size_t n = (size_t)(cases[t].rows * cases[t].cols);
        float *w = normal_weights(n, 16 + t);
        if (!isnan(cases[t].fill))
            for (size_t i = 0; i < n; i++)
                w[i] = cases[t].fill == 3e38f ? (i % 2 ? 3e38f : -3e38f) : cases[t].fill;
        const int64_t dims[2] = {cases[t].rows, cases[t].cols};
        nnq_compress_config cfg = {0};
        cfg.palette_bits = 4;
        cfg.palette_mode = cases[t].mode;
        nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
        check_palettized(c, w);
        float *y = decompress(c, n);
        for (size_t i = 0; i < n; i++) assert_true(isfinite(y[i]));
        nnq_compress_stats st;
        nnq_compressed_stats(c, &st);
        if (!isnan(cases[t].fill) || n <= 16)
            assert_true(st.sse == 0.0); /* representable exactly */
        free(y);
        nnq_compressed_free(c);
        free(w);
    }
}

static void test_stats_figures(void **state) {
    (void)state;
    /* 4 x 8 fp32 at 2 bits, one fp32 table: 8 bytes of indices + 16 of table. */
    float *w = normal_weights(32, 17);
    const int64_t dims[2] = {4, 8};
    nnq_compress_config cfg = {0};
    cfg.palette_bits = 2;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_int_equal(st.numel, 32);
    assert_int_equal(st.nnz, 32);
    assert_int_equal(st.original_bytes, 128);
    assert_int_equal(st.compressed_bytes, 24);
    assert_true(st.bits_per_weight == 6.0);
    assert_true(st.sparsity == 0.0);
    nnq_compressed_free(c);
    free(w);
}

/* ---- threads --------------------------------------------------------------- */

static void assert_same_result(const nnq_compressed *a, const nnq_compressed *b) {
    nnq_compressed_parts pa, pb;
    nnq_compress_stats sa, sb;
    nnq_compressed_parts_get(a, &pa);
    nnq_compressed_parts_get(b, &pb);
    nnq_compressed_stats(a, &sa);
    nnq_compressed_stats(b, &sb);
    assert_int_equal(pa.nnz, pb.nnz);
    assert_int_equal(pa.codes_bytes, pb.codes_bytes);
    assert_int_equal(pa.mask_bytes, pb.mask_bytes);
    if (pa.mask) assert_memory_equal(pa.mask, pb.mask, pa.mask_bytes);
    if (pa.palette_bits) {
        assert_memory_equal(pa.codes, pb.codes, pa.codes_bytes);
        assert_memory_equal(pa.lut_f32, pb.lut_f32, pa.n_groups * pa.table_size * sizeof(float));
    } else if (pa.linear_bits) {
        assert_memory_equal(pa.codes, pb.codes, pa.codes_bytes);
        assert_memory_equal(pa.scales, pb.scales, pa.n_groups * sizeof(float));
        assert_memory_equal(pa.zero_points, pb.zero_points, pa.n_groups * sizeof(int32_t));
    } else {
        assert_memory_equal(pa.values, pb.values, pa.nnz * sizeof(float));
    }
    assert_memory_equal(&sa, &sb, sizeof sa);
}

static void test_thread_count_independent(void **state) {
    (void)state;
    const int64_t dims[2] = {64, 700}; /* 44800 elements: several element tiles */
    size_t n = 64 * 700;
    float *w = normal_weights(n, 18);
    static const struct {
        int bits, group;
        nnq_prune_mode prune;
        int linear_bits;
    } cases[] = {{4, 0, NNQ_PRUNE_MODE_NONE, 0},     {4, 16, NNQ_PRUNE_MODE_NONE, 0},
                 {3, 8, NNQ_PRUNE_MODE_N_M, 0},      {2, 0, NNQ_PRUNE_MODE_MAGNITUDE, 0},
                 {0, 0, NNQ_PRUNE_MODE_BLOCK, 0},    {0, 1, NNQ_PRUNE_MODE_MAGNITUDE, 8},
                 {0, 4, NNQ_PRUNE_MODE_THRESHOLD, 3}};
    nnq_pool *pools[3] = {NULL, NULL, NULL};
    NNQ_ASSERT_OK(nnq_pool_create(2, &pools[1]));
    NNQ_ASSERT_OK(nnq_pool_create(7, &pools[2]));
    for (size_t t = 0; t < ARRAY_LEN(cases); t++) {
        nnq_compress_config cfg = {0};
        cfg.palette_bits = cases[t].bits;
        cfg.group_size = cases[t].group;
        cfg.prune_mode = cases[t].prune;
        cfg.linear_bits = cases[t].linear_bits;
        cfg.n = 2, cfg.m = 4, cfg.sparsity = 0.6f, cfg.block_size = 7, cfg.threshold = 0.5f;
        cfg.seed = 99;
        nnq_compressed *ref = compress_ok(w, 2, dims, &cfg, NULL);
        for (int p = 1; p < 3; p++) {
            nnq_compressed *c = compress_ok(w, 2, dims, &cfg, pools[p]);
            assert_same_result(ref, c);
            nnq_compressed_free(c);
        }
        nnq_compressed_free(ref);
    }
    nnq_pool_free(pools[1]);
    nnq_pool_free(pools[2]);
    free(w);
}

/* ---- bad input -------------------------------------------------------------- */

static void test_bad_input(void **state) {
    (void)state;
    float w[24];
    for (int i = 0; i < 24; i++) w[i] = (float)i * 0.1f - 1.0f;
    const int64_t dims[2] = {6, 4};
    nnq_compressed *c = (nnq_compressed *)(uintptr_t)1;
    nnq_compress_config cfg = {0};
    cfg.name = "conv1.weight";
    cfg.palette_bits = 4;

    NNQ_ASSERT_FAILS(nnq_compress_tensor(NULL, 2, dims, &cfg, NULL, &c),
                     NNQ_STATUS_INVALID_ARGUMENT, "weight is NULL");
    assert_null(c);
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, NULL, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "config is NULL");
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT,
                     "out is NULL");
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 0, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "'conv1.weight' has ndim 0, outside [1, 8]");
    const int64_t neg[2] = {6, -4};
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, neg, &cfg, NULL, &c), NNQ_STATUS_SHAPE_MISMATCH,
                     "negative dim 1");
    const int64_t empty[2] = {0, 4};
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, empty, &cfg, NULL, &c), NNQ_STATUS_EMPTY,
                     "has no elements");
    const int64_t huge[3] = {INT64_MAX / 2, 4, 4};
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 3, huge, &cfg, NULL, &c), NNQ_STATUS_SIZE_OVERFLOW,
                     "overflows");

    static const int bad_bits[] = {-1, 5, 7, 9, 16};
    for (size_t i = 0; i < ARRAY_LEN(bad_bits); i++) {
        cfg.palette_bits = bad_bits[i];
        NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c),
                         NNQ_STATUS_BITS_OUT_OF_RANGE, "not one of 1, 2, 3, 4, 6, 8");
    }
    cfg.palette_bits = 0;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "neither pruning, palettization nor linear quantization");
    cfg.palette_bits = 2;
    cfg.linear_bits = 8;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "sets palette_bits 2 and linear_bits 8; choose one coding");
    cfg.linear_bits = 0;
    cfg.group_size = 4;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_BLOCK_MISMATCH,
                     "'conv1.weight' has 6 output channels, not a multiple of group_size 4");
    cfg.group_size = -2;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "group_size -2");
    cfg.group_size = 0;
    cfg.palette_mode = (nnq_palette_mode)7;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "unknown palette mode 7");
    cfg.palette_mode = NNQ_PALETTE_MODE_KMEANS;
    cfg.lut_dtype = (nnq_lut_dtype)-1;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "unknown lut dtype -1");
    cfg.lut_dtype = NNQ_LUT_DTYPE_FP32;
    cfg.max_iter = -3;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                     "max_iter -3");
    cfg.max_iter = 0;
    cfg.tol = -1.0;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                     "tol -1");
    cfg.tol = (double)NAN;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                     "tol nan");
    cfg.tol = 0.0;

    static const float bad_vals[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < ARRAY_LEN(bad_vals); i++) {
        w[13] = bad_vals[i];
        NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c),
                         NNQ_STATUS_INVALID_ARGUMENT, "'conv1.weight' element 13 is");
    }
    w[13] = 0.5f;
    float imp[24];
    for (int i = 0; i < 24; i++) imp[i] = 1.0f;
    imp[5] = -1.0f;
    cfg.importance = imp;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                     "importance of element 5 is -1");
    imp[5] = NAN;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                     "importance of element 5 is nan");
    cfg.importance = NULL;

    c = compress_ok(w, 2, dims, &cfg, NULL);
    float y[24];
    NNQ_ASSERT_FAILS(nnq_compressed_decompress(c, y, 23), NNQ_STATUS_SHAPE_MISMATCH,
                     "output holds 23 floats, the tensor has 24");
    NNQ_ASSERT_FAILS(nnq_compressed_decompress(c, NULL, 24), NNQ_STATUS_INVALID_ARGUMENT,
                     "out is NULL");
    nnq_compressed_free(c);
    nnq_compressed_free(NULL);
}

static void test_names(void **state) {
    (void)state;
    assert_string_equal(nnq_palette_mode_name(NNQ_PALETTE_MODE_UNIQUE), "unique");
    assert_string_equal(nnq_lut_dtype_name(NNQ_LUT_DTYPE_INT8), "int8");
    assert_string_equal(nnq_prune_mode_name(NNQ_PRUNE_MODE_N_M), "n_m");
    assert_string_equal(nnq_prune_mode_name((nnq_prune_mode)99), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coremltools_uniform_example),
        cmocka_unit_test(test_unique_is_exact),
        cmocka_unit_test(test_unique_per_group),
        cmocka_unit_test(test_kmeans_every_bit_width),
        cmocka_unit_test(test_kmeans_recovers_clusters),
        cmocka_unit_test(test_importance_pulls_entries),
        cmocka_unit_test(test_lut_fp16),
        cmocka_unit_test(test_lut_int8),
        cmocka_unit_test(test_edge_shapes_and_values),
        cmocka_unit_test(test_stats_figures),
        cmocka_unit_test(test_thread_count_independent),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
