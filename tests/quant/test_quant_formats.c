/* test_quant_formats.c - FP8 / FP4 casts and the NVFP4, MX and NF block formats. */
#include <math.h>
#include <string.h>

#include "testutil.h"

/* NVFP4 block examples, hand-derived: tensor_scale = amax / (6 * 448), block
 * scale = E4M3(block_amax / (6 * tensor_scale)), element = E2M1(x / scale)
 * with ties to even (E2M1 grid 0, .5, 1, 1.5, 2, 3, 4, 6). */
static void t_nvfp4_golden(void **state) {
    (void)state;
    float x[48] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f,
                   -6.0f, -0.25f, 0.75f, 5.0f, 2.5f, -1.25f, 1.75f, 3.5f,
                   3.0f, -1.5f, 0.1f};
    /* block 1: amax 6 -> scale 1 (E4M3 0x38); ties: -0.25 -> -0, 0.75 -> 1,
     * 5 -> 4, 2.5 -> 2, -1.25 -> -1, 1.75 -> 2, 3.5 -> 4. */
    static const uint8_t codes0[8] = {0x10, 0x32, 0x54, 0x76, 0x8F, 0x62, 0xA4, 0x64};
    /* block 2: amax 3 -> scale 0.5 (0x30): 3 -> 6 (7), -1.5 -> -3 (0xD), 0.1 -> 0.2 -> 0 */
    static const uint8_t codes1[8] = {0xD7, 0x00, 0, 0, 0, 0, 0, 0};
    /* block 3: all zero -> scale 1 (ModelOpt's zero-scale rule). */
    float ts, y[48];
    uint8_t codes[24], scales[3];
    NNQ_ASSERT_OK(nnq_nvfp4_tensor_scale(6.0f * 448.0f, &ts));
    assert_true(ts == 1.0f);
    NNQ_ASSERT_OK(nnq_nvfp4_quantize(x, 48, ts, codes, scales, NULL));
    assert_memory_equal(codes, codes0, 8);
    assert_memory_equal(codes + 8, codes1, 8);
    assert_int_equal(scales[0], 0x38);
    assert_int_equal(scales[1], 0x30);
    assert_int_equal(scales[2], 0x38);
    for (int i = 16; i < 24; i++) assert_int_equal(codes[i], 0);
    NNQ_ASSERT_OK(nnq_nvfp4_dequantize(codes, scales, 48, ts, y, NULL));
    for (int i = 0; i < 9; i++) assert_true(y[i] == x[i]);
    assert_true(y[11] == 4.0f && y[13] == -1.0f && y[16] == 3.0f && y[17] == -1.5f && y[18] == 0.0f);
    /* tensor scale 2: block amax 6 -> 6 / (6 * 2) = 0.5 -> element 6 / (0.5 * 2) = 6. */
    NNQ_ASSERT_OK(nnq_nvfp4_tensor_scale(2.0f * 6.0f * 448.0f, &ts));
    assert_true(ts == 2.0f);
    NNQ_ASSERT_OK(nnq_nvfp4_quantize(x, 16, ts, codes, scales, NULL));
    assert_int_equal(scales[0], 0x30);
    assert_int_equal(codes[3] >> 4, 7);
    NNQ_ASSERT_OK(nnq_nvfp4_tensor_scale(0.0f, &ts));
    assert_true(ts == 1.0f);
}

/* MX examples from the OCP MX v1.0 rule X = floor(log2(amax)) - emax_elem. */
static void t_mx_golden(void **state) {
    (void)state;
    float x[96] = {0}, y[96];
    uint8_t codes[96], scales[3];
    /* block 0: amax 7 -> X = 2 - 2 = 0; 7 saturates to 6. */
    x[0] = 7.0f;
    x[1] = -1.0f;
    x[2] = 0.25f; /* tie between 0 and 0.5 -> 0 */
    /* block 1: amax 0.75 -> X = -1 - 2 = -3; 0.75 * 8 = 6, 0.1 * 8 = 0.8 -> 1. */
    x[32] = 0.75f;
    x[33] = 0.1f;
    /* block 2: all zero -> X = -127 */
    NNQ_ASSERT_OK(nnq_mx_quantize(x, 96, NNQ_QFORMAT_MXFP4, codes, scales, NULL));
    assert_int_equal(scales[0], 127);
    assert_int_equal(scales[1], 124);
    assert_int_equal(scales[2], 0);
    assert_int_equal(codes[0], 0xA7); /* 6 low, -1 high */
    assert_int_equal(codes[1], 0x00);
    assert_int_equal(codes[16], 0x27); /* 0.75 -> 6 (7), 0.1 -> 1.0 (2) */
    NNQ_ASSERT_OK(nnq_mx_dequantize(codes, scales, 96, NNQ_QFORMAT_MXFP4, y, NULL));
    assert_true(y[0] == 6.0f && y[1] == -1.0f && y[2] == 0.0f && y[32] == 0.75f && y[33] == 0.125f);
    assert_true(nnq_e8m0_to_float(124) == 0.125f && isnan(nnq_e8m0_to_float(0xFF)));
    assert_true(nnq_e8m0_to_float(0) == ldexpf(1.0f, -127));

    /* MXFP8 E4M3: amax 1 -> X = 0 - 8 = -8; 1 * 256 = 2^8 -> code 0x78. */
    memset(x, 0, sizeof x);
    x[0] = 1.0f;
    x[1] = -0.5f;
    x[32] = 448.0f; /* X = 8 - 8 = 0 */
    x[64] = NAN;    /* a NaN block: NaN scale, zero elements */
    x[65] = 1.0f;
    NNQ_ASSERT_OK(nnq_mx_quantize(x, 96, NNQ_QFORMAT_MXFP8_E4M3, codes, scales, NULL));
    assert_int_equal(scales[0], 127 - 8);
    assert_int_equal(codes[0], 0x78);
    assert_int_equal(codes[1], 0xF0);
    assert_int_equal(scales[1], 127);
    assert_int_equal(codes[32], 0x7E);
    assert_int_equal(scales[2], 0xFF);
    assert_int_equal(codes[65], 0);
    NNQ_ASSERT_OK(nnq_mx_dequantize(codes, scales, 96, NNQ_QFORMAT_MXFP8_E4M3, y, NULL));
    assert_true(y[0] == 1.0f && y[1] == -0.5f && y[32] == 448.0f && isnan(y[65]));
    /* MXFP8 E5M2: amax 1 -> X = -15. */
    NNQ_ASSERT_OK(nnq_mx_quantize(x, 64, NNQ_QFORMAT_MXFP8_E5M2, codes, scales, NULL));
    assert_int_equal(scales[0], 127 - 15);
}

/* NF4 / NF3: nearest grid entry of x / absmax (grids in src/quant/formats.c;
 * NF4 as published by QLoRA, NF3 from tools/golden_quant_nf.py). */
static void t_nf_golden(void **state) {
    (void)state;
    /* NF4, block 4: absmax 2 -> [0.5, -1, 0.25, 0]; 0.5 is nearer 0.44071
     * (index 12) than 0.56262; 0.25 -> 0.24611 (10); 0 -> 7. */
    static const float x4[8] = {1.0f, -2.0f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    uint8_t codes[8];
    float absmax[2], y[8];
    NNQ_ASSERT_OK(nnq_nf_quantize(x4, 8, NNQ_QFORMAT_NF4, 4, codes, absmax, NULL));
    assert_true(absmax[0] == 2.0f && absmax[1] == 0.0f);
    assert_int_equal(codes[0], 0x0C);
    assert_int_equal(codes[1], 0x7A);
    assert_int_equal(codes[2], 0x77);
    NNQ_ASSERT_OK(nnq_nf_dequantize(codes, absmax, 8, NNQ_QFORMAT_NF4, 4, y, NULL));
    assert_true(y[0] == 0.44070982251167297f * 2.0f && y[1] == -2.0f && y[3] == 0.0f);
    assert_true(y[2] == 0.24611230194568634f * 2.0f);

    /* NF3, one block of 8 with absmax 1: nearest of
     * [-1, -.4786, -.2171, 0, .1609, .3379, .5626, 1]. */
    static const float x3[8] = {1.0f, -1.0f, 0.3f, -0.3f, 0.6f, 0.1f, -0.5f, 0.0f};
    static const uint8_t want3[8] = {7, 0, 5, 2, 6, 4, 1, 3};
    uint8_t packed3[3], unpacked[8];
    NNQ_ASSERT_OK(nnq_nf_quantize(x3, 8, NNQ_QFORMAT_NF3, 8, packed3, absmax, NULL));
    NNQ_ASSERT_OK(nnq_unpack_bits(packed3, 3, 8, 3, unpacked));
    assert_memory_equal(unpacked, want3, 8);
    NNQ_ASSERT_OK(nnq_nf_dequantize(packed3, absmax, 8, NNQ_QFORMAT_NF3, 8, y, NULL));
    assert_true(y[0] == 1.0f && y[1] == -1.0f && y[7] == 0.0f);
}

static void t_float_cast(void **state) {
    (void)state;
    static const float x[4] = {1.0f, 2.0f, 896.0f, NAN};
    uint8_t c[4];
    float y[4];
    NNQ_ASSERT_OK(nnq_float_quantize(x, 4, NNQ_QFORMAT_FP8_E4M3FN, 0.5f, c, NULL));
    assert_int_equal(c[0], 0x30);
    assert_int_equal(c[1], 0x38);
    assert_int_equal(c[2], 0x7E);
    assert_int_equal(c[3], 0x7F);
    NNQ_ASSERT_OK(nnq_float_dequantize(c, 4, NNQ_QFORMAT_FP8_E4M3FN, 2.0f, y, NULL));
    assert_true(y[0] == 1.0f && y[1] == 2.0f && y[2] == 896.0f && isnan(y[3]));
    NNQ_ASSERT_OK(nnq_float_quantize(x, 3, NNQ_QFORMAT_FP4_E2M1, 1.0f, c, NULL));
    assert_true(c[0] == 2 && c[1] == 4 && c[2] == 7);
    NNQ_ASSERT_FAILS(nnq_float_quantize(x, 4, NNQ_QFORMAT_NF4, 1.0f, c, NULL),
                     NNQ_STATUS_INVALID_ARGUMENT, "not an FP8 or FP4");
    NNQ_ASSERT_FAILS(nnq_float_quantize(x, 4, NNQ_QFORMAT_FP8_E5M2, INFINITY, c, NULL),
                     NNQ_STATUS_OUT_OF_RANGE, "scale inf");
}

static void t_block_bad_input(void **state) {
    (void)state;
    float x[64] = {0}, ts;
    uint8_t c[64], s[4];
    size_t cb, ns;
    NNQ_ASSERT_FAILS(nnq_nvfp4_quantize(x, 17, 1.0f, c, s, NULL), NNQ_STATUS_BLOCK_MISMATCH,
                     "17 values are not a multiple of the nvfp4 block size 16");
    NNQ_ASSERT_FAILS(nnq_nvfp4_quantize(x, 16, 0.0f, c, s, NULL), NNQ_STATUS_OUT_OF_RANGE,
                     "tensor_scale 0");
    NNQ_ASSERT_FAILS(nnq_nvfp4_tensor_scale(-1.0f, &ts), NNQ_STATUS_NEGATIVE_AMAX, "amax -1");
    NNQ_ASSERT_FAILS(nnq_nvfp4_tensor_scale(NAN, &ts), NNQ_STATUS_OUT_OF_RANGE, "finite");
    NNQ_ASSERT_FAILS(nnq_mx_quantize(x, 32, NNQ_QFORMAT_NVFP4, c, s, NULL),
                     NNQ_STATUS_INVALID_ARGUMENT, "not an MX format");
    NNQ_ASSERT_FAILS(nnq_mx_quantize(x, 48, NNQ_QFORMAT_MXFP4, c, s, NULL),
                     NNQ_STATUS_BLOCK_MISMATCH, "mxfp4 block size 32");
    NNQ_ASSERT_FAILS(nnq_nf_quantize(x, 64, NNQ_QFORMAT_NF4, 0, c, (float *)s, NULL),
                     NNQ_STATUS_BLOCK_MISMATCH, "block size 0");
    NNQ_ASSERT_FAILS(nnq_nf_quantize(x, 10, NNQ_QFORMAT_NF3, 4, c, x, NULL),
                     NNQ_STATUS_BLOCK_MISMATCH, "10 values");
    NNQ_ASSERT_FAILS(nnq_block_format_sizes(NNQ_QFORMAT_FP8_E4M3FN, 16, 0, &cb, &ns),
                     NNQ_STATUS_INVALID_ARGUMENT, "not a block format");
    NNQ_ASSERT_OK(nnq_block_format_sizes(NNQ_QFORMAT_NF3, 64, 0, &cb, &ns));
    assert_true(cb == 24 && ns == 1);
    NNQ_ASSERT_OK(nnq_block_format_sizes(NNQ_QFORMAT_NVFP4, 64, 0, &cb, &ns));
    assert_true(cb == 32 && ns == 4);
}

/* Random data: dequantized block formats stay within half a step of the
 * element grid, and 1, 2, 7 threads agree byte for byte. */
static void t_block_random_threads(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 5);
    const size_t n = 96 * 1001;
    float *x = test_malloc(n * sizeof(float)), *y = test_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = nnq_rng_normal(&rng);
    uint8_t *c[3], *s[3];
    float ts;
    NNQ_ASSERT_OK(nnq_nvfp4_tensor_scale(8.0f, &ts));
    const size_t threads[3] = {1, 2, 7};
    for (int kind = 0; kind < 3; kind++) {
        for (int t = 0; t < 3; t++) {
            nnq_pool *pool;
            NNQ_ASSERT_OK(nnq_pool_create(threads[t], &pool));
            c[t] = test_malloc(n);
            s[t] = test_malloc(n / 16);
            if (kind == 0) NNQ_ASSERT_OK(nnq_nvfp4_quantize(x, n, ts, c[t], s[t], pool));
            if (kind == 1) NNQ_ASSERT_OK(nnq_mx_quantize(x, n, NNQ_QFORMAT_MXFP8_E4M3, c[t], s[t], pool));
            if (kind == 2) NNQ_ASSERT_OK(nnq_nf_quantize(x, n, NNQ_QFORMAT_NF4, 64 + 32, c[t], (float *)(void *)s[t], pool));
            nnq_pool_free(pool);
        }
        size_t cbytes = kind == 1 ? n : n / 2, sbytes = kind == 0 ? n / 16 : kind == 1 ? n / 32 : n / 96 * 4;
        for (int t = 1; t < 3; t++) {
            assert_memory_equal(c[0], c[t], cbytes);
            assert_memory_equal(s[0], s[t], sbytes);
        }
        if (kind == 0) {
            NNQ_ASSERT_OK(nnq_nvfp4_dequantize(c[0], s[0], n, ts, y, NULL));
            for (size_t i = 0; i < n; i++) {
                /* E2M1 steps are at most 2 (between 4 and 6) in scaled units. */
                float step = nnq_fp8_e4m3fn_to_float(s[0][i / 16]) * ts * 2.0f;
                assert_true(fabsf(y[i] - x[i]) <= step * 0.5f);
            }
        }
        for (int t = 0; t < 3; t++) {
            test_free(c[t]);
            test_free(s[t]);
        }
    }
    test_free(x);
    test_free(y);
}

/* AVX2 element and NVFP4 encoders equal the scalar path bit for bit, on
 * odd lengths with NaN, +-Inf, ties, subnormals and huge values. */
static void t_simd_matches_scalar(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 6);
    const size_t n = 16 * 301;
    float *x = test_malloc(n * sizeof(float));
    uint8_t *a = test_malloc(n), *b = test_malloc(n), *sa = test_malloc(n / 16),
            *sb = test_malloc(n / 16);
    for (size_t i = 0; i < n; i++) {
        float e = (float)((int)nnq_rng_bounded(&rng, 40) - 25);
        x[i] = nnq_rng_normal(&rng) * ldexpf(1.0f, (int)e);
    }
    const float specials[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 448.0f, 464.0f,
                              -480.0f, 1e-10f, 0.25f, 0.75f, 5.0f, 3.4e38f, 1.0f / 512.0f,
                              57344.0f, 61440.0f, 240.0f, 6.0f};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) x[7 * i + 3] = specials[i];
    for (int f = NNQ_QFORMAT_FP8_E4M3FN; f <= NNQ_QFORMAT_FP4_E2M1; f++) {
        for (size_t len = n - 37; len <= n; len += 37) {
            nnq_cpu_force_scalar(true);
            NNQ_ASSERT_OK(nnq_float_quantize(x, len, (nnq_qformat)f, 1.0f, a, NULL));
            nnq_cpu_force_scalar(false);
            NNQ_ASSERT_OK(nnq_float_quantize(x, len, (nnq_qformat)f, 1.0f, b, NULL));
            for (size_t i = 0; i < len; i++)
                if (a[i] != b[i])
                    fail_msg("format %d x=%a: scalar 0x%02x simd 0x%02x", f, (double)x[i], a[i], b[i]);
        }
    }
    nnq_cpu_force_scalar(true);
    NNQ_ASSERT_OK(nnq_nvfp4_quantize(x, n, 0.01f, a, sa, NULL));
    nnq_cpu_force_scalar(false);
    NNQ_ASSERT_OK(nnq_nvfp4_quantize(x, n, 0.01f, b, sb, NULL));
    assert_memory_equal(a, b, n / 2);
    assert_memory_equal(sa, sb, n / 16);
    test_free(x);
    test_free(a);
    test_free(b);
    test_free(sa);
    test_free(sb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_nvfp4_golden),   cmocka_unit_test(t_mx_golden),
        cmocka_unit_test(t_nf_golden),      cmocka_unit_test(t_float_cast),
        cmocka_unit_test(t_block_bad_input), cmocka_unit_test(t_block_random_threads),
        cmocka_unit_test(t_simd_matches_scalar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
