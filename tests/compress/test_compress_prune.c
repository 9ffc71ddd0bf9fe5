/*
 * test_compress_prune.c - pruning and joint prune + palettize through the
 * public API: coremltools' sparse-form example, exact counts, n:m structure,
 * block scores, round trips and bad input.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure injection from libnnq (declared in src/common/internal.h). */
void nnq_test_alloc_fail_after(long n);

static nnq_compressed *compress_ok(const float *w, int ndim, const int64_t *dims,
                                   const nnq_compress_config *cfg, nnq_pool *pool) {
    nnq_compressed *c = NULL;
    NNQ_ASSERT_OK(nnq_compress_tensor(w, ndim, dims, cfg, pool, &c));
    assert_non_null(c);
    return c;
}

static bool bit(const uint8_t *mask, size_t i) { return (mask[i / 8] >> (7 - i % 8)) & 1; }

/* Decompress and check the result against the mask: kept elements are the
 * original values (prune only), pruned ones +0. Returns the dense copy. */
static float *check_pruned(const nnq_compressed *c, const float *w) {
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_non_null(p.mask);
    assert_int_equal(p.mask_bytes, (p.numel + 7) / 8);
    float *y = malloc(p.numel * sizeof *y);
    assert_non_null(y);
    NNQ_ASSERT_OK(nnq_compressed_decompress(c, y, p.numel));
    size_t nnz = 0;
    for (size_t i = 0; i < p.numel; i++) {
        if (bit(p.mask, i)) {
            assert_true(w[i] != 0.0f);
            if (!p.code_bits) {
                assert_true(nnq_test_same_bits(y[i], w[i]));
                assert_true(nnq_test_same_bits(p.values[nnz], w[i]));
            }
            nnz++;
        } else {
            assert_true(nnq_test_same_bits(y[i], 0.0f));
        }
    }
    for (size_t i = p.numel; i < p.mask_bytes * 8; i++)
        assert_false(bit(p.mask, i)); /* tail zero */
    assert_int_equal(nnz, p.nnz);
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_true(st.sparsity == 1.0 - (double)nnz / (double)p.numel);
    return y;
}

static float *normal_weights(size_t n, uint64_t stream) {
    float *w = malloc(n * sizeof *w);
    nnq_rng r;
    assert_non_null(w);
    nnq_rng_seed(&r, nnq_test_seed(), stream);
    for (size_t i = 0; i < n; i++) w[i] = nnq_rng_normal(&r);
    return w;
}

static void test_coremltools_sparse_example(void **state) {
    (void)state;
    /* coremltools docs: [0.3, 0, 0, 0.5, 0, 0] is stored as mask bits 100100
     * and values [0.3, 0.5]. */
    const float w[6] = {0.3f, 0.0f, 0.0f, 0.5f, 0.0f, 0.0f};
    const int64_t dims[2] = {1, 6};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_THRESHOLD;
    cfg.threshold = 0.1f;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(p.mask_bytes, 1);
    assert_int_equal(p.mask[0], 0x90); /* 1001 00|00 */
    assert_int_equal(p.nnz, 2);
    assert_true(p.values[0] == 0.3f && p.values[1] == 0.5f);
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_int_equal(st.compressed_bytes, 1 + 8);
    assert_true(st.sse == 0.0);
    free(check_pruned(c, w));
    nnq_compressed_free(c);
}

static void test_threshold_is_strict(void **state) {
    (void)state;
    const float w[5] = {-0.2f, 0.1f, -0.1f, 0.09f, 0.0f};
    const int64_t dims[1] = {5};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_THRESHOLD;
    cfg.threshold = 0.1f; /* |w| == threshold stays */
    nnq_compressed *c = compress_ok(w, 1, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(p.mask[0], 0xE0); /* 11100 */
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_true(st.sse == (double)0.09f * (double)0.09f);
    free(check_pruned(c, w));
    nnq_compressed_free(c);
}

static void test_magnitude_counts_and_ties(void **state) {
    (void)state;
    static const struct {
        float w[10];
        size_t n;
        float sparsity;
        uint8_t mask0, mask1;
    } cases[] = {
        /* the 3 smallest |w| go: 0.5, -1, -2 */
        {{4, -1, 3, -2, 0.5f, 6}, 6, 0.5f, 0xA4, 0},
        /* all equal: the lowest indices go first */
        {{1, 1, 1, 1}, 4, 0.5f, 0x30, 0},
        {{-1, 1, -1, 1}, 4, 0.75f, 0x10, 0},
        /* 0.7 of 10 is 7, not floor(6.9999999) */
        {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10, 0.7f, 0x01, 0xC0},
        /* sparsity 0 keeps everything */
        {{1, -2, 3}, 3, 0.0f, 0xE0, 0},
        /* a single element: floor(0.9 * 1) = 0 pruned */
        {{5}, 1, 0.9f, 0x80, 0},
        /* ties across the cut with negative zero: indices 0 and 1 go; the
         * kept zero at 3 is not stored */
        {{0.0f, -0.0f, 2, 0.0f, 3}, 5, 0.4f, 0x28, 0},
    };
    for (size_t t = 0; t < ARRAY_LEN(cases); t++) {
        const int64_t dims[1] = {(int64_t)cases[t].n};
        nnq_compress_config cfg = {0};
        cfg.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE;
        cfg.sparsity = cases[t].sparsity;
        nnq_compressed *c = compress_ok(cases[t].w, 1, dims, &cfg, NULL);
        nnq_compressed_parts p;
        nnq_compressed_parts_get(c, &p);
        assert_int_equal(p.mask[0], cases[t].mask0);
        if (p.mask_bytes > 1) assert_int_equal(p.mask[1], cases[t].mask1);
        free(check_pruned(c, cases[t].w));
        nnq_compressed_free(c);
    }
}

static void test_magnitude_large_random(void **state) {
    (void)state;
    /* The pruned set is exactly the floor(s * n) smallest |w|: every pruned
     * |w| <= every kept |w|, and the count is exact. */
    const size_t n = 100003;
    float *w = normal_weights(n, 21);
    for (size_t i = 0; i < n; i += 17) w[i] = 0.5f; /* many ties */
    const int64_t dims[2] = {1, (int64_t)n};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE;
    cfg.sparsity = 0.37f;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(n - p.nnz, (size_t)floor(0.37 * (double)n));
    float max_pruned = 0.0f, min_kept = INFINITY;
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(w[i]);
        if (bit(p.mask, i))
            min_kept = a < min_kept ? a : min_kept;
        else
            max_pruned = a > max_pruned ? a : max_pruned;
    }
    assert_true(max_pruned <= min_kept);
    free(check_pruned(c, w));
    nnq_compressed_free(c);
    free(w);
}

static void test_n_m_structure(void **state) {
    (void)state;
    static const struct {
        int64_t dims[4];
        int ndim, n, m;
    } cases[] = {
        {{8, 16}, 2, 2, 4}, {{3, 8}, 2, 1, 2}, {{5, 12, 3, 3}, 4, 2, 4}, /* conv: along axis 1 */
        {{2, 32}, 2, 4, 8}, {{1, 3}, 2, 2, 3},
    };
    for (size_t t = 0; t < ARRAY_LEN(cases); t++) {
        size_t numel = 1;
        for (int d = 0; d < cases[t].ndim; d++) numel *= (size_t)cases[t].dims[d];
        float *w = normal_weights(numel, 22 + t);
        nnq_compress_config cfg = {0};
        cfg.prune_mode = NNQ_PRUNE_MODE_N_M;
        cfg.n = cases[t].n;
        cfg.m = cases[t].m;
        nnq_compressed *c = compress_ok(w, cases[t].ndim, cases[t].dims, &cfg, NULL);
        nnq_compressed_parts p;
        nnq_compressed_parts_get(c, &p);
        size_t rows = (size_t)cases[t].dims[0], cin = (size_t)cases[t].dims[1];
        size_t inner = numel / (rows * cin), m = (size_t)cfg.m;
        for (size_t r = 0; r < rows; r++)
            for (size_t g = 0; g < cin; g += m)
                for (size_t s = 0; s < inner; s++) {
                    size_t kept = 0;
                    float min_kept = INFINITY, max_pruned = 0.0f;
                    for (size_t u = 0; u < m; u++) {
                        size_t i = (r * cin + g + u) * inner + s;
                        float a = fabsf(w[i]);
                        if (bit(p.mask, i)) {
                            kept++;
                            min_kept = a < min_kept ? a : min_kept;
                        } else {
                            max_pruned = a > max_pruned ? a : max_pruned;
                        }
                    }
                    assert_int_equal(kept, (size_t)cfg.n);
                    assert_true(max_pruned <= min_kept);
                }
        assert_int_equal(p.nnz, numel / m * (size_t)cfg.n);
        free(check_pruned(c, w));
        nnq_compressed_free(c);
        free(w);
    }
    /* ties: 2:4 on equal magnitudes keeps the first two */
    const float eq[8] = {1, -1, 1, -1, 2, 2, 2, 2};
    const int64_t d2[2] = {1, 8};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_N_M;
    cfg.n = 2;
    cfg.m = 4;
    nnq_compressed *c = compress_ok(eq, 2, d2, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(p.mask[0], 0xCC);
    nnq_compressed_free(c);
}

static void test_block_sparsity(void **state) {
    (void)state;
    /* [2, 6] with blocks of 2 along axis 1: L2 norms per block
     * row 0: (3,4)=5, (0.1,0.1)=0.14, (1,0)=1;  row 1: (0,2)=2, (6,8)=10, (0.5,0.5)=0.71.
     * sparsity 0.5 of 6 blocks prunes the 3 weakest: 0.14, 0.71, 1. */
    const float w[12] = {3, 4, 0.1f, 0.1f, 1, 0, 0, 2, 6, 8, 0.5f, 0.5f};
    const int64_t dims[2] = {2, 6};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_BLOCK;
    cfg.block_size = 2;
    cfg.sparsity = 0.5f;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    /* kept: 3 4 | 2 (the 0 of block (0,2) is not stored) | 6 8 */
    assert_int_equal(p.mask[0], 0xC0 | 0x01);
    assert_int_equal(p.mask[1], 0xC0);
    assert_int_equal(p.nnz, 5);
    free(check_pruned(c, w));
    nnq_compressed_free(c);

    /* conv layout: blocks along axis 1 at each kernel position */
    const size_t n = 4 * 8 * 3;
    float *r = normal_weights(n, 30);
    const int64_t d3[3] = {4, 8, 3};
    cfg.block_size = 4;
    cfg.sparsity = 0.5f;
    c = compress_ok(r, 3, d3, &cfg, NULL);
    nnq_compressed_parts_get(c, &p);
    size_t pruned_blocks = 0;
    for (size_t row = 0; row < 4; row++)
        for (size_t b = 0; b < 2; b++)
            for (size_t s = 0; s < 3; s++) {
                size_t k = 0;
                for (size_t u = 0; u < 4; u++) k += bit(p.mask, (row * 8 + b * 4 + u) * 3 + s);
                assert_true(k == 0 || k == 4); /* whole blocks only */
                pruned_blocks += k == 0;
            }
    assert_int_equal(pruned_blocks, 12);
    free(check_pruned(c, r));
    nnq_compressed_free(c);
    free(r);
}

static void test_joint_prune_then_palettize(void **state) {
    (void)state;
    /* 2:4 pruning, then a 2-bit table over the survivors only.  The
     * survivors take exactly 4 values, so the table is exact for them even
     * though the pruned values would pull k-means elsewhere. */
    const size_t rows = 8, cin = 16, n = rows * cin;
    float *w = malloc(n * sizeof *w);
    static const float big[4] = {-3.0f, -2.0f, 2.5f, 4.0f};
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        w[i] = (i % 4 < 2) ? big[(i / 4) % 4] : 0.01f * (float)(i % 7 + 1);
    const int64_t dims[2] = {(int64_t)rows, (int64_t)cin};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_N_M;
    cfg.n = 2;
    cfg.m = 4;
    cfg.palette_bits = 2;
    cfg.palette_mode = NNQ_PALETTE_MODE_KMEANS;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(p.nnz, n / 2);
    assert_int_equal(p.codes_bytes, n / 2 * 2 / 8);
    assert_memory_equal(p.lut_f32, big, sizeof big);
    float *y = check_pruned(c, w);
    for (size_t i = 0; i < n; i++) assert_true(y[i] == ((i % 4 < 2) ? w[i] : 0.0f));
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_int_equal(st.compressed_bytes, n / 8 + n / 2 * 2 / 8 + 4 * 4);
    free(y);
    nnq_compressed_free(c);

    /* joint with uniform tables per group and int8 entries */
    float *r = normal_weights(n, 31);
    cfg.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE;
    cfg.sparsity = 0.5f;
    cfg.palette_mode = NNQ_PALETTE_MODE_UNIFORM;
    cfg.group_size = 4;
    cfg.lut_dtype = NNQ_LUT_DTYPE_INT8;
    c = compress_ok(r, 2, dims, &cfg, NULL);
    nnq_compressed_parts_get(c, &p);
    uint8_t *idx = malloc(p.nnz + 1);
    assert_non_null(idx);
    NNQ_ASSERT_OK(nnq_unpack_bits(p.codes, p.codes_bytes, p.nnz, 2, idx));
    y = check_pruned(c, r);
    for (size_t i = 0, pos = 0; i < n; i++)
        if (bit(p.mask, i)) {
            const float *lut = p.lut_f32 + (i / (n / 2)) * 4;
            assert_true(nnq_test_same_bits(y[i], lut[idx[pos]]));
            for (int j = 0; j < 4; j++) assert_true(fabsf(r[i] - y[i]) <= fabsf(r[i] - lut[j]));
            pos++;
        }
    free(idx);
    free(y);
    nnq_compressed_free(c);
    free(r);
    free(w);
}

/* Linear codes of a result, sign-extended. */
static int8_t *unpack_linear(const nnq_compressed_parts *p) {
    int8_t *q = malloc(p->nnz + 1);
    assert_non_null(q);
    NNQ_ASSERT_OK(nnq_unpack_bits_signed(p->codes, p->codes_bytes, p->nnz, p->linear_bits, q));
    return q;
}

static void test_joint_prune_then_linear_hand_example(void **state) {
    (void)state;
    /* Threshold 0.1 keeps [-1.27, 0.5, 1.0]; linear_symmetric int8 on them
     * (coremltools rule, DESIGN.md): R = 1.27, s = R / 127 = 0.01, z = 0,
     * q = rne(x / s) = [-127, 50, 100]. */
    const float w[6] = {0.05f, -1.27f, 0.0f, 0.5f, -0.02f, 1.0f};
    const int64_t dims[2] = {1, 6};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_THRESHOLD;
    cfg.threshold = 0.1f;
    cfg.linear_bits = 8;
    cfg.linear_mode = NNQ_LINEAR_MODE_SYMMETRIC;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(p.mask[0], 0x54); /* 010101 */
    assert_int_equal(p.nnz, 3);
    assert_int_equal(p.codes_bytes, 3);
    assert_float_equal(p.scales[0], 1.27f / 127.0f, 1e-9f);
    assert_int_equal(p.zero_points[0], 0);
    int8_t *q = unpack_linear(&p);
    assert_int_equal(q[0], -127);
    assert_int_equal(q[1], 50);
    assert_int_equal(q[2], 100);
    float *y = check_pruned(c, w);
    assert_true(y[1] == p.scales[0] * -127.0f && y[3] == p.scales[0] * 50.0f &&
                y[5] == p.scales[0] * 100.0f);
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_int_equal(st.compressed_bytes, 1 + 3 + 4); /* mask, codes, scale (no zero point) */
    free(q);
    free(y);
    nnq_compressed_free(c);
}

static void test_joint_prune_then_linear_per_channel(void **state) {
    (void)state;
    /* 2:4 pruning, then affine (coremltools `linear`) 4-bit per output
     * channel, checked against quant's own parameter rule and kernel applied
     * to each channel's survivors. */
    const size_t rows = 6, cin = 20, n = rows * cin;
    float *w = normal_weights(n, 50);
    const int64_t dims[2] = {(int64_t)rows, (int64_t)cin};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_N_M;
    cfg.n = 2;
    cfg.m = 4;
    cfg.linear_bits = 4;
    cfg.group_size = 1;
    nnq_compressed *c = compress_ok(w, 2, dims, &cfg, NULL);
    nnq_compressed_parts p;
    nnq_compressed_parts_get(c, &p);
    assert_int_equal(p.n_groups, rows);
    int8_t *q = unpack_linear(&p);
    float *y = check_pruned(c, w);
    const nnq_int_format fmt = {4, false, false};
    size_t pos = 0;
    for (size_t r = 0; r < rows; r++) {
        float surv[20], lo = INFINITY, hi = -INFINITY, scale;
        int32_t zp;
        int8_t want[20];
        size_t m = 0;
        for (size_t i = r * cin; i < (r + 1) * cin; i++)
            if (bit(p.mask, i)) {
                surv[m++] = w[i];
                lo = fminf(lo, w[i]);
                hi = fmaxf(hi, w[i]);
            }
        assert_int_equal(m, cin / 2);
        NNQ_ASSERT_OK(nnq_qparams_from_range(lo, hi, NNQ_QPARAM_COREML_LINEAR, &fmt, &scale, &zp));
        assert_true(nnq_test_same_bits(p.scales[r], scale));
        assert_int_equal(p.zero_points[r], zp);
        nnq_qlayout l;
        const int64_t ld[1] = {(int64_t)m};
        NNQ_ASSERT_OK(nnq_qlayout_per_tensor(1, ld, &l));
        NNQ_ASSERT_OK(nnq_quantize_linear(surv, &l, &scale, &zp, &fmt, want, NULL));
        for (size_t j = 0; j < m; j++, pos++) {
            assert_int_equal(q[pos], want[j]);
            assert_true(q[pos] >= -8 && q[pos] <= 7);
        }
    }
    /* decompressed survivors are s * (q - z) */
    pos = 0;
    for (size_t i = 0; i < n; i++)
        if (bit(p.mask, i)) {
            size_t r = i / cin;
            assert_true(nnq_test_same_bits(y[i], p.scales[r] * (float)(q[pos] - p.zero_points[r])));
            pos++;
        }
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    assert_int_equal(st.compressed_bytes, n / 8 + n / 2 / 2 + rows * 5);
    free(q);
    free(y);
    nnq_compressed_free(c);
    free(w);
}

static void test_bad_input(void **state) {
    (void)state;
    float w[24];
    for (int i = 0; i < 24; i++) w[i] = (float)i - 12.0f;
    const int64_t dims[2] = {4, 6}, d1[1] = {24};
    nnq_compressed *c = NULL;
    nnq_compress_config cfg = {0};
    cfg.name = "fc2.weight";

    cfg.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE;
    static const float bad_sparsity[] = {1.0f, -0.1f, 1.5f, NAN, INFINITY};
    for (size_t i = 0; i < ARRAY_LEN(bad_sparsity); i++) {
        cfg.sparsity = bad_sparsity[i];
        NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                         "'fc2.weight' target sparsity");
        assert_null(c);
    }
    cfg.prune_mode = NNQ_PRUNE_MODE_BLOCK;
    cfg.sparsity = 1.0f;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                     "target sparsity 1 outside [0, 1)");
    cfg.sparsity = 0.5f;
    cfg.block_size = 0;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "block_size 0 must be >= 1");
    cfg.block_size = 4;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_BLOCK_MISMATCH,
                     "'fc2.weight' input axis 1 has 6 elements, not a multiple of block_size 4");
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 1, d1, &cfg, NULL, &c), NNQ_STATUS_SHAPE_MISMATCH,
                     "needs an input axis");

    cfg.prune_mode = NNQ_PRUNE_MODE_N_M;
    static const int bad_nm[][2] = {{4, 4}, {5, 4}, {0, 4}, {-1, 2}, {1, 1}, {1, 0}};
    for (size_t i = 0; i < ARRAY_LEN(bad_nm); i++) {
        cfg.n = bad_nm[i][0];
        cfg.m = bad_nm[i][1];
        NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c),
                         NNQ_STATUS_INVALID_ARGUMENT, "needs 1 <= n < m");
    }
    cfg.n = 2;
    cfg.m = 4;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_BLOCK_MISMATCH,
                     "input axis 1 has 6 elements, not a multiple of m 4");
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 1, d1, &cfg, NULL, &c), NNQ_STATUS_SHAPE_MISMATCH,
                     "n:m pruning needs an input axis");

    cfg.prune_mode = NNQ_PRUNE_MODE_THRESHOLD;
    static const float bad_thr[] = {-0.5f, NAN, INFINITY};
    for (size_t i = 0; i < ARRAY_LEN(bad_thr); i++) {
        cfg.threshold = bad_thr[i];
        NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_OUT_OF_RANGE,
                         "threshold");
    }
    cfg.prune_mode = (nnq_prune_mode)9;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "unknown prune mode 9");
    cfg.prune_mode = NNQ_PRUNE_MODE_THRESHOLD;
    cfg.threshold = 1.0f;
    static const int bad_linear[] = {1, 9, -4};
    for (size_t i = 0; i < ARRAY_LEN(bad_linear); i++) {
        cfg.linear_bits = bad_linear[i];
        NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c),
                         NNQ_STATUS_BITS_OUT_OF_RANGE, "linear_bits");
    }
    cfg.linear_bits = 8;
    cfg.linear_mode = (nnq_linear_mode)2;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "unknown linear mode 2");
    cfg.linear_mode = NNQ_LINEAR_MODE_LINEAR;
    cfg.group_size = 3;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_BLOCK_MISMATCH,
                     "4 output channels, not a multiple of group_size 3");
    cfg.group_size = 0;
    cfg.linear_bits = 0;
    w[7] = NAN;
    NNQ_ASSERT_FAILS(nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c), NNQ_STATUS_INVALID_ARGUMENT,
                     "'fc2.weight' element 7 is nan; weights must be finite");
}

static void test_allocation_failures(void **state) {
    (void)state;
    /* Every allocation of a joint run may fail: the call reports
     * OUT_OF_MEMORY with a message and leaks nothing (ASan checks). */
    float *w = normal_weights(16 * 32, 40);
    const int64_t dims[2] = {16, 32};
    nnq_compress_config cfg = {0};
    cfg.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE;
    cfg.sparsity = 0.5f;
    cfg.palette_bits = 3;
    cfg.group_size = 4;
    cfg.lut_dtype = NNQ_LUT_DTYPE_INT8;
    int failures = 0;
    for (long k = 0; k < 200; k++) {
        nnq_compressed *c = NULL;
        nnq_test_alloc_fail_after(k);
        nnq_status s = nnq_compress_tensor(w, 2, dims, &cfg, NULL, &c);
        nnq_test_alloc_fail_after(-1);
        if (s == NNQ_STATUS_OK) {
            nnq_compressed_free(c);
            break;
        }
        assert_int_equal(s, NNQ_STATUS_OUT_OF_MEMORY);
        assert_null(c);
        assert_true(nnq_last_error()[0] != '\0');
        failures++;
    }
    assert_true(failures > 5);
    free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coremltools_sparse_example),
        cmocka_unit_test(test_threshold_is_strict),
        cmocka_unit_test(test_magnitude_counts_and_ties),
        cmocka_unit_test(test_magnitude_large_random),
        cmocka_unit_test(test_n_m_structure),
        cmocka_unit_test(test_block_sparsity),
        cmocka_unit_test(test_joint_prune_then_palettize),
        cmocka_unit_test(test_joint_prune_then_linear_hand_example),
        cmocka_unit_test(test_joint_prune_then_linear_per_channel),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
