/*
 * test_ops_bits.c - BitShift, BitwiseAnd / Or / Xor / Not, Mod and CumSum:
 * hand-computed values from the ONNX operator definitions (Mod fmod=0 is
 * Python's %, fmod=1 C's fmod; e.g. python3 -c "print(-4 % 3, 7 % -3)"
 * gives 2 -2), bad input, and thread-count invariance.
 */
#include "ops_test_util.h"

static nnq_tensor *run2(tnode *t, nnq_tensor *a, nnq_tensor *b) {
    nnq_tensor *in[2] = {a, b}, *out;
    NNQ_ASSERT_OK(run_node(t, 0, NULL, in, 2, &out, 1));
    tt_free_all(in, 2);
    return out;
}

static void test_bitshift(void **state) {
    (void)state;
    tnode t;
    tn_init(&t, "BitShift", 2, 1);
    tn_string(&t, "direction", "LEFT");
    nnq_tensor *y = run2(&t, TT1(NNQ_DTYPE_UINT8, 4, U8(16, 4, 1, 255)),
                         TT1(NNQ_DTYPE_UINT8, 4, U8(1, 2, 3, 8)));
    expect_bytes(y, U8(32, 16, 8, 0), 4); /* a shift by the width gives 0 */
    nnq_tensor_free(y);
    tn_init(&t, "BitShift", 2, 1);
    tn_string(&t, "direction", "RIGHT");
    /* [2,2] >> [2] broadcast along the rows */
    y = run2(&t, tt(NNQ_DTYPE_UINT32, 2, DIMS(2, 2), (const uint32_t[]){0x80000000u, 12, 7, 1}),
             TT1(NNQ_DTYPE_UINT32, 2, (const uint32_t[]){31, 2}));
    expect_shape(y, 2, DIMS(2, 2));
    expect_bytes(y, ((const uint32_t[]){1, 3, 0, 0}), 16);
    nnq_tensor_free(y);
}

static void test_bitwise(void **state) {
    (void)state;
    tnode t;
    tn_init(&t, "BitwiseAnd", 2, 1);
    nnq_tensor *y = run2(&t, TT1(NNQ_DTYPE_INT32, 2, I32(6, -1)), TT1(NNQ_DTYPE_INT32, 2, I32(3, 5)));
    expect_bytes(y, I32(2, 5), 8);
    nnq_tensor_free(y);
    tn_init(&t, "BitwiseOr", 2, 1);
    y = run2(&t, TT1(NNQ_DTYPE_INT8, 1, (const int8_t[]){-128}), TT1(NNQ_DTYPE_INT8, 1, (const int8_t[]){1}));
    expect_bytes(y, ((const int8_t[]){-127}), 1);
    nnq_tensor_free(y);
    tn_init(&t, "BitwiseXor", 2, 1);
    y = run2(&t, TT1(NNQ_DTYPE_UINT16, 1, (const uint16_t[]){0xF0F0}),
             TT1(NNQ_DTYPE_UINT16, 1, (const uint16_t[]){0xFFFF}));
    expect_bytes(y, ((const uint16_t[]){0x0F0F}), 2);
    nnq_tensor_free(y);
    tn_init(&t, "BitwiseNot", 1, 1);
    nnq_tensor *in[1] = {TT1(NNQ_DTYPE_INT64, 2, I64(0, 5))}, *out;
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 1, &out, 1));
    expect_bytes(out, I64(-1, -6), 16);
    nnq_tensor_free(out), nnq_tensor_free(in[0]);
    /* empty input */
    in[0] = TT1(NNQ_DTYPE_UINT8, 0, NULL);
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 1, &out, 1));
    assert_int_equal(out->numel, 0);
    nnq_tensor_free(out), nnq_tensor_free(in[0]);
}

static void test_mod(void **state) {
    (void)state;
    tnode t;
    tn_init(&t, "Mod", 2, 1);
    nnq_tensor *y = run2(&t, TT1(NNQ_DTYPE_INT32, 5, I32(-4, 7, 5, -5, INT32_MIN)),
                         TT1(NNQ_DTYPE_INT32, 5, I32(3, -3, 2, -2, -1)));
    expect_bytes(y, I32(2, -2, 1, -1, 0), 20);
    nnq_tensor_free(y);
    tn_init(&t, "Mod", 2, 1);
    tn_int(&t, "fmod", 1);
    y = run2(&t, TT1(NNQ_DTYPE_INT32, 4, I32(-4, 7, 5, -5)), TT1(NNQ_DTYPE_INT32, 4, I32(3, -3, 2, -2)));
    expect_bytes(y, I32(-1, 1, 1, -1), 16);
    nnq_tensor_free(y);
    y = run2(&t, TT1(NNQ_DTYPE_FLOAT32, 3, F32(5.5f, -5.5f, 1.0f)),
             TT1(NNQ_DTYPE_FLOAT32, 3, F32(2.0f, 2.0f, 0.0f)));
    expect_f32(y, F32(1.5f, -1.5f, NAN), 3, 0.0f);
    nnq_tensor_free(y);
    tn_init(&t, "Mod", 2, 1);
    y = run2(&t, TT1(NNQ_DTYPE_UINT8, 2, U8(200, 7)), TT1(NNQ_DTYPE_UINT8, 1, U8(2)));
    expect_bytes(y, U8(0, 1), 2);
    nnq_tensor_free(y);
}

static nnq_tensor *cumsum(tnode *t, nnq_pool *pool, nnq_tensor *x, int64_t axis) {
    nnq_tensor *in[2] = {x, tt(NNQ_DTYPE_INT64, 0, NULL, &axis)}, *out;
    NNQ_ASSERT_OK(run_node(t, 0, pool, in, 2, &out, 1));
    tt_free_all(in, 2);
    return out;
}

static void test_cumsum(void **state) {
    (void)state;
    static const struct { int ex, rev; float want[4]; } cases[] = {
        {0, 0, {1, 3, 6, 10}}, {1, 0, {0, 1, 3, 6}}, {0, 1, {10, 9, 7, 4}}, {1, 1, {9, 7, 4, 0}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        tnode t;
        tn_init(&t, "CumSum", 2, 1);
        tn_int(&t, "exclusive", cases[c].ex);
        tn_int(&t, "reverse", cases[c].rev);
        nnq_tensor *y = cumsum(&t, NULL, TT1(NNQ_DTYPE_FLOAT32, 4, F32(1, 2, 3, 4)), 0);
        expect_f32(y, cases[c].want, 4, 0.0f);
        nnq_tensor_free(y);
    }
    tnode t;
    tn_init(&t, "CumSum", 2, 1);
    nnq_tensor *y = cumsum(&t, NULL, tt(NNQ_DTYPE_INT64, 2, DIMS(2, 3), I64(1, 2, 3, 4, 5, 6)), 1);
    expect_bytes(y, I64(1, 3, 6, 4, 9, 15), 48);
    nnq_tensor_free(y);
    y = cumsum(&t, NULL, tt(NNQ_DTYPE_INT32, 2, DIMS(2, 3), I32(1, 2, 3, 4, 5, INT32_MAX)), -2);
    expect_bytes(y, I32(1, 2, 3, 5, 7, INT32_MIN + 2), 24); /* wraps */
    nnq_tensor_free(y);
}

static void test_cumsum_threads(void **state) {
    (void)state;
    int64_t dims[2] = {300, 101};
    nnq_tensor *ref[2] = {NULL, NULL};
    uint64_t seed = nnq_test_seed();
    for (size_t th = 1; th <= 7; th += th == 1 ? 1 : 5) {
        nnq_pool *pool = NULL;
        NNQ_ASSERT_OK(nnq_pool_create(th, &pool));
        for (int64_t axis = 0; axis < 2; axis++) {
            nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 2, dims, NULL);
            uint64_t s = seed;
            for (size_t i = 0; i < x->numel; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                ((float *)x->data)[i] = (float)(s >> 40) / 16777216.0f - 0.5f;
            }
            tnode t;
            tn_init(&t, "CumSum", 2, 1);
            nnq_tensor *y = cumsum(&t, pool, x, axis);
            if (!ref[axis]) ref[axis] = y;
            else expect_bytes(y, ref[axis]->data, ref[axis]->nbytes), nnq_tensor_free(y);
        }
        nnq_pool_free(pool);
    }
    tt_free_all(ref, 2);
}

static void test_errors(void **state) {
    (void)state;
    tnode t;
    nnq_out_shape shp[1];
    nnq_tensor *i8[2] = {TT1(NNQ_DTYPE_INT8, 1, NULL), TT1(NNQ_DTYPE_INT8, 1, NULL)};
    nnq_tensor *u8[2] = {TT1(NNQ_DTYPE_UINT8, 1, NULL), TT1(NNQ_DTYPE_UINT8, 1, NULL)};
    nnq_tensor *f[2] = {TT1(NNQ_DTYPE_FLOAT32, 1, NULL), TT1(NNQ_DTYPE_FLOAT32, 1, NULL)};
    nnq_tensor *mix[2] = {u8[0], i8[1]}, *out;
    tn_init(&t, "BitShift", 2, 1);
    tn_string(&t, "direction", "LEFT");
    NNQ_ASSERT_FAILS(infer_node(&t, 0, i8, 2, shp, 1), NNQ_STATUS_UNSUPPORTED,
                     "node 'BitShift_node' (BitShift): input 0 'x0' has type int8, expected uint8");
    tn_init(&t, "BitShift", 2, 1);
    tn_string(&t, "direction", "UP");
    NNQ_ASSERT_FAILS(infer_node(&t, 0, u8, 2, shp, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "direction 'UP' must be 'LEFT' or 'RIGHT'");
    tn_init(&t, "BitwiseAnd", 2, 1);
    NNQ_ASSERT_FAILS(infer_node(&t, 0, mix, 2, shp, 1), NNQ_STATUS_DTYPE_MISMATCH,
                     "input 1 'x1' has type int8 but input 0 'x0' has type uint8");
    NNQ_ASSERT_FAILS(infer_node(&t, 0, f, 2, shp, 1), NNQ_STATUS_UNSUPPORTED, "expected an integer type");
    NNQ_ASSERT_FAILS(infer_node(&t, 0, u8, 1, shp, 1), NNQ_STATUS_INVALID_ARGUMENT, "required input 1");
    tn_init(&t, "Mod", 2, 1);
    NNQ_ASSERT_FAILS(infer_node(&t, 0, f, 2, shp, 1), NNQ_STATUS_UNSUPPORTED, "floats need fmod=1");
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, u8, 2, &out, 1), NNQ_STATUS_OUT_OF_RANGE,
                     "modulus by zero: divisor 'x1' element 0 is 0");
    tn_int(&t, "fmod", 2);
    NNQ_ASSERT_FAILS(infer_node(&t, 0, u8, 2, shp, 1), NNQ_STATUS_INVALID_ARGUMENT, "fmod is 2, must be 0 or 1");
    tn_init(&t, "CumSum", 2, 1);
    nnq_tensor *ax2 = tt(NNQ_DTYPE_INT64, 0, NULL, I64(2)), *ax_v = TT1(NNQ_DTYPE_INT64, 2, I64(0, 0));
    nnq_tensor *cs[2] = {f[0], ax2};
    NNQ_ASSERT_FAILS(infer_node(&t, 0, cs, 2, shp, 1), NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis");
    cs[1] = ax_v;
    NNQ_ASSERT_FAILS(infer_node(&t, 0, cs, 2, shp, 1), NNQ_STATUS_SHAPE_MISMATCH, "must be a scalar");
    cs[0] = u8[0], cs[1] = ax2;
    NNQ_ASSERT_FAILS(infer_node(&t, 0, cs, 2, shp, 1), NNQ_STATUS_UNSUPPORTED,
                     "input 0 'x0' has type uint8, expected float32");
    tn_int(&t, "exclusive", 3);
    cs[0] = f[0];
    NNQ_ASSERT_FAILS(infer_node(&t, 0, cs, 2, shp, 1), NNQ_STATUS_INVALID_ARGUMENT, "exclusive (3)");
    tt_free_all(i8, 2), tt_free_all(u8, 2), tt_free_all(f, 2);
    nnq_tensor_free(ax2), nnq_tensor_free(ax_v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitshift), cmocka_unit_test(test_bitwise), cmocka_unit_test(test_mod),
        cmocka_unit_test(test_cumsum),   cmocka_unit_test(test_cumsum_threads),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
