/*
 * test_ops_quant.c - QuantizeLinear / DequantizeLinear: per-tensor,
 * per-axis, blocked, 4-bit packing, float8, rounding ties, bad input and
 * thread-count invariance.
 *
 * Goldens are hand computations of y = saturate(rne(x / s) + z) and
 * y = (q - z) * s.  The per-tensor uint8 vector is ONNX's
 * test_quantizelinear (x, scale 2, zero point 128).  The tie case was found
 * with numpy float32 arithmetic:
 *   python3 -c "import numpy as np; s=np.float32(0.3); x=np.float32(2.25);
 *               print(x/s, x*(np.float32(1)/s))"   # 7.4999995 vs 7.5
 */
#include "ops_test_util.h"

/* Quantize x (float32, shape dims) with scale/zero point tensors. */
static nnq_status quantize(const tnode *t, int64_t opset, nnq_tensor *x, nnq_tensor *s,
                           nnq_tensor *z, nnq_tensor **out) {
    nnq_tensor *in[3] = {x, s, z};
    return run_node(t, opset, NULL, in, z ? 3 : 2, out, 1);
}

static void test_per_tensor(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    tn_init(&t, "QuantizeLinear", 3, 1);
    nnq_tensor *x = TT1(NNQ_DTYPE_FLOAT32, 7, F32(0, 2, 3, 1000, -254, -1000, NAN));
    nnq_tensor *s = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(2));
    nnq_tensor *z = tt(NNQ_DTYPE_UINT8, 0, NULL, U8(128));
    NNQ_ASSERT_OK(quantize(&t, 13, x, s, z, &out));
    assert_int_equal(out->dtype, NNQ_DTYPE_UINT8);
    expect_bytes(out, U8(128, 129, 130, 255, 1, 0, 128), 7); /* NaN -> zero point */
    nnq_tensor_free(out);
    /* no zero point: uint8 with z = 0; 1-element 1-D scale is per-tensor */
    nnq_tensor *s1 = TT1(NNQ_DTYPE_FLOAT32, 1, F32(2));
    NNQ_ASSERT_OK(quantize(&t, 13, x, s1, NULL, &out));
    expect_bytes(out, U8(0, 1, 2, 255, 0, 0, 0), 7);
    nnq_tensor_free(out);
    /* output_dtype (opset 21) without a zero point */
    tn_int(&t, "output_dtype", NNQ_DTYPE_INT16);
    NNQ_ASSERT_OK(quantize(&t, 21, x, s1, NULL, &out));
    assert_int_equal(out->dtype, NNQ_DTYPE_INT16);
    const int16_t want16[7] = {0, 1, 2, 500, -127, -500, 0};
    expect_bytes(out, want16, 14);
    nnq_tensor_free(out);
    /* half-to-even ties and the true division */
    nnq_tensor_free(x);
    x = TT1(NNQ_DTYPE_FLOAT32, 6, F32(0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.25f));
    nnq_tensor *z8 = tt(NNQ_DTYPE_INT8, 0, NULL, (const int8_t[]){0});
    tn_init(&t, "QuantizeLinear", 3, 1);
    nnq_tensor *one = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(1));
    NNQ_ASSERT_OK(quantize(&t, 13, x, one, z8, &out));
    expect_bytes(out, ((const int8_t[]){0, 2, 2, 0, -2, 2}), 6);
    nnq_tensor_free(out);
    nnq_tensor *s3 = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(0.3f));
    NNQ_ASSERT_OK(quantize(&t, 13, x, s3, z8, &out));
    assert_int_equal(((int8_t *)out->data)[5], 7); /* 2.25 / 0.3f = 7.4999995 */
    nnq_tensor_free(out);
    /* dequantize the uint8 codes back */
    tn_init(&t, "DequantizeLinear", 3, 1);
    nnq_tensor *q = TT1(NNQ_DTYPE_UINT8, 4, U8(0, 3, 128, 255));
    nnq_tensor *in[3] = {q, s, z};
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in, 3, &out, 1));
    expect_f32(out, F32(-256, -250, 0, 254), 4, 0);
    nnq_tensor_free(out);
    tt_free_all((nnq_tensor *[]){x, s, z, s1, z8, one, s3, q}, 8);
}

static void test_per_axis_and_blocked(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    /* per-axis on axis 1 of [2,3] */
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(2, 3), F32(1, 2, 3, -4, -5, 600));
    nnq_tensor *s = TT1(NNQ_DTYPE_FLOAT32, 3, F32(1, 2, 4));
    nnq_tensor *z = TT1(NNQ_DTYPE_INT8, 3, ((const int8_t[]){0, 1, -1}));
    tn_init(&t, "QuantizeLinear", 3, 1);
    NNQ_ASSERT_OK(quantize(&t, 13, x, s, z, &out));
    /* 1/1, 2/2+1, rne(0.75)-1; -4, rne(-2.5)+1 = -1, 150-1 -> 127 */
    expect_bytes(out, ((const int8_t[]){1, 2, 0, -4, -1, 127}), 6);
    nnq_tensor *in[3] = {out, s, z}, *back;
    tn_init(&t, "DequantizeLinear", 3, 1);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in, 3, &back, 1));
    expect_f32(back, F32(1, 2, 4, -4, -4, 512), 6, 0);
    nnq_tensor_free(back);
    nnq_tensor_free(out);
    /* axis 0 (negative spelling) */
    nnq_tensor *s0 = TT1(NNQ_DTYPE_FLOAT32, 2, F32(1, 10));
    tn_init(&t, "QuantizeLinear", 2, 1);
    tn_int(&t, "axis", -2);
    tn_int(&t, "output_dtype", NNQ_DTYPE_INT8);
    NNQ_ASSERT_OK(quantize(&t, 21, x, s0, NULL, &out));
    expect_bytes(out, ((const int8_t[]){1, 2, 3, 0, 0, 60}), 6);
    nnq_tensor_free(out);

    /* blocked: [1,5] along axis 1 with block 2 -> 3 scales (last partial) */
    nnq_tensor *xb = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(1, 5), F32(2, 4, 30, 60, 7));
    nnq_tensor *sb = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(1, 3), F32(2, 10, 0.5f));
    tn_init(&t, "QuantizeLinear", 2, 1);
    tn_int(&t, "axis", 1);
    tn_int(&t, "block_size", 2);
    tn_int(&t, "output_dtype", NNQ_DTYPE_INT8);
    NNQ_ASSERT_OK(quantize(&t, 21, xb, sb, NULL, &out));
    expect_bytes(out, ((const int8_t[]){1, 2, 3, 6, 14}), 5);
    nnq_tensor *bin[2] = {out, sb};
    tn_init(&t, "DequantizeLinear", 2, 1);
    tn_int(&t, "axis", 1);
    tn_int(&t, "block_size", 2);
    NNQ_ASSERT_OK(run_node(&t, 21, NULL, bin, 2, &back, 1));
    expect_f32(back, F32(2, 4, 30, 60, 7), 5, 0);
    nnq_tensor_free(back);
    nnq_tensor_free(out);
    tt_free_all((nnq_tensor *[]){x, s, z, s0, xb, sb}, 6);
}

static void test_four_bit_and_fp8(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_tensor *x = TT1(NNQ_DTYPE_FLOAT32, 5, F32(-9, -8, 7, 8, 1));
    nnq_tensor *one = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(1));
    tn_init(&t, "QuantizeLinear", 2, 1);
    tn_int(&t, "output_dtype", NNQ_DTYPE_INT4);
    NNQ_ASSERT_OK(quantize(&t, 21, x, one, NULL, &out));
    /* -8 -8 | 7 7 | 1: first element in the low nibble */
    expect_bytes(out, U8(0x88, 0x77, 0x01), 3);
    nnq_tensor *in[3] = {out, one, NULL}, *back;
    tn_init(&t, "DequantizeLinear", 2, 1);
    NNQ_ASSERT_OK(run_node(&t, 21, NULL, in, 2, &back, 1));
    expect_f32(back, F32(-8, -8, 7, 7, 1), 5, 0);
    nnq_tensor_free(back);
    nnq_tensor_free(out);
    /* uint4 with zero point 8 (packed scalar) */
    nnq_tensor *z4 = tt(NNQ_DTYPE_UINT4, 0, NULL, U8(0x08));
    tn_init(&t, "QuantizeLinear", 3, 1);
    NNQ_ASSERT_OK(quantize(&t, 21, x, one, z4, &out));
    expect_bytes(out, U8(0x00, 0xFF, 0x09), 3); /* -1->0, 0, 15, 16->15, 9 */
    nnq_tensor_free(out);

    /* float8 e4m3fn: 896 saturates to 448 (0x7E), or NaN with saturate=0 */
    nnq_tensor *xf = TT1(NNQ_DTYPE_FLOAT32, 4, F32(896, 1.9f, -1e10f, 0.5f));
    nnq_tensor *z8 = tt(NNQ_DTYPE_FLOAT8E4M3FN, 0, NULL, U8(0));
    NNQ_ASSERT_OK(quantize(&t, 19, xf, one, z8, &out));
    expect_bytes(out, U8(0x7E, 0x3F, 0xFE, 0x30), 4);
    nnq_tensor *fin[3] = {out, one, z8};
    tn_init(&t, "DequantizeLinear", 3, 1);
    NNQ_ASSERT_OK(run_node(&t, 19, NULL, fin, 3, &back, 1));
    expect_f32(back, F32(448, 1.875f, -448, 0.5f), 4, 0);
    nnq_tensor_free(back);
    nnq_tensor_free(out);
    tn_init(&t, "QuantizeLinear", 3, 1);
    tn_int(&t, "saturate", 0);
    NNQ_ASSERT_OK(quantize(&t, 19, xf, one, z8, &out));
    assert_int_equal(((uint8_t *)out->data)[0], 0x7F);
    nnq_tensor_free(out);
    /* int32 dequantize (no zero point) */
    nnq_tensor *q32 = TT1(NNQ_DTYPE_INT32, 2, I32(-100000, 7));
    nnq_tensor *half = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(0.5f));
    nnq_tensor *qin[2] = {q32, half};
    tn_init(&t, "DequantizeLinear", 2, 1);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, qin, 2, &back, 1));
    expect_f32(back, F32(-50000, 3.5f), 2, 0);
    nnq_tensor_free(back);
    tt_free_all((nnq_tensor *[]){x, one, z4, xf, z8, q32, half}, 7);
}

static void test_bad_input(void **state) {
    (void)state;
    tnode t;
    nnq_out_shape shp[1];
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(2, 4), NULL);
    nnq_tensor *s3 = TT1(NNQ_DTYPE_FLOAT32, 3, F32(1, 1, 1));
    nnq_tensor *s1 = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(1));
    nnq_tensor *z2 = TT1(NNQ_DTYPE_UINT8, 2, NULL);
    nnq_tensor *sb = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(2, 3), NULL);
    nnq_tensor *xi = tt(NNQ_DTYPE_INT8, 2, DIMS(2, 4), NULL);
    nnq_tensor *zi = tt(NNQ_DTYPE_UINT8, 0, NULL, NULL);
    static const struct {
        const char *op;
        int64_t axis, block;
        int which; /* input set */
        nnq_status st;
        const char *msg;
    } cases[] = {
        {"QuantizeLinear", 1, 0, 0, NNQ_STATUS_SHAPE_MISMATCH,
         "node 'QuantizeLinear_node' (QuantizeLinear): scale 'x1' has shape [3]; per-axis scales "
         "need one value per element of axis 1 (4)"},
        {"QuantizeLinear", 2, 0, 0, NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis 2 outside [-2, 2)"},
        {"QuantizeLinear", 1, 0, 1, NNQ_STATUS_SHAPE_MISMATCH,
         "zero point 'x2' has shape [2] but scale 'x1' has shape []"},
        {"QuantizeLinear", 1, 3, 2, NNQ_STATUS_BLOCK_MISMATCH,
         "axis 1 of size 4 with block_size 3 needs 2 scales, scale 'x1' has 3"},
        {"QuantizeLinear", 0, 2, 2, NNQ_STATUS_SHAPE_MISMATCH, "must match x [2, 4] except on axis 0"},
        {"QuantizeLinear", 1, -1, 2, NNQ_STATUS_INVALID_ARGUMENT, "block_size -1 is negative"},
        {"QuantizeLinear", 1, 0, 3, NNQ_STATUS_UNSUPPORTED, "input 'x0' has type int8"},
        {"QuantizeLinear", 1, 0, 4, NNQ_STATUS_UNSUPPORTED, "scale 'x1' has type int8"},
        {"DequantizeLinear", 1, 0, 5, NNQ_STATUS_DTYPE_MISMATCH,
         "zero point 'x2' has type uint8 but x 'x0' has type int8"},
        {"DequantizeLinear", 1, 0, 6, NNQ_STATUS_UNSUPPORTED, "quantized type float32"},
    };
    nnq_tensor *sets[7][3] = {{x, s3, NULL}, {x, s1, z2}, {x, sb, NULL}, {xi, s1, NULL},
                              {x, xi, NULL}, {xi, s1, zi}, {x, s1, NULL}};
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        tn_init(&t, cases[c].op, 3, 1);
        tn_int(&t, "axis", cases[c].axis);
        tn_int(&t, "block_size", cases[c].block);
        nnq_tensor **in = sets[cases[c].which];
        NNQ_ASSERT_FAILS(infer_node(&t, 21, in, in[2] ? 3 : 2, shp, 1), cases[c].st,
                         cases[c].msg);
    }
    tn_init(&t, "QuantizeLinear", 3, 1);
    tn_int(&t, "output_dtype", NNQ_DTYPE_INT8);
    nnq_tensor *mm[3] = {x, s1, zi};
    NNQ_ASSERT_FAILS(infer_node(&t, 21, mm, 3, shp, 1), NNQ_STATUS_DTYPE_MISMATCH,
                     "output_dtype 3 disagrees with zero point 'x2' of type uint8");
    tt_free_all((nnq_tensor *[]){x, s3, s1, z2, sb, xi, zi}, 7);
}

/* Blocked int4 quantization of an odd-sized tensor: 1, 2 and 7 threads
 * give the same bytes, and each element matches the formula. */
static void test_threads(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 3);
    const int64_t rows = 41, cols = 1999, block = 32, nb = (cols + block - 1) / block;
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(rows, cols), NULL);
    nnq_tensor *s = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(rows, nb), NULL);
    float *px = x->data, *ps = s->data;
    for (size_t i = 0; i < x->numel; i++) px[i] = 4.0f * nnq_rng_normal(&rng);
    for (size_t i = 0; i < s->numel; i++) ps[i] = 0.25f + nnq_rng_uniform(&rng);
    tnode t;
    tn_init(&t, "QuantizeLinear", 2, 1);
    tn_int(&t, "block_size", block);
    tn_int(&t, "output_dtype", NNQ_DTYPE_INT4);
    nnq_tensor *ref;
    NNQ_ASSERT_OK(quantize(&t, 21, x, s, NULL, &ref));
    const uint8_t *q = ref->data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) {
            size_t e = (size_t)(r * cols + c);
            float v = nnq_round_half_even(px[e] / ps[r * nb + c / block]);
            v = v < -8 ? -8 : v > 7 ? 7 : v;
            int nib = (q[e / 2] >> (4 * (e & 1))) & 0xF;
            assert_int_equal(nib >= 8 ? nib - 16 : nib, (int)v);
        }
    static const size_t threads[] = {2, 7};
    for (size_t k = 0; k < 2; k++) {
        nnq_pool *pool;
        nnq_tensor *out, *in[2] = {x, s};
        NNQ_ASSERT_OK(nnq_pool_create(threads[k], &pool));
        NNQ_ASSERT_OK(run_node(&t, 21, pool, in, 2, &out, 1));
        assert_memory_equal(out->data, ref->data, ref->nbytes);
        nnq_tensor_free(out);
        nnq_pool_free(pool);
    }
    tt_free_all((nnq_tensor *[]){x, s, ref}, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_tensor),      cmocka_unit_test(test_per_axis_and_blocked),
        cmocka_unit_test(test_four_bit_and_fp8), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
