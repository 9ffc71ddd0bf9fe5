/*
 * test_ops_elem.c - elementwise operators: broadcasting, integer forms,
 * activations, Clip, Equal, Where, bad input and thread-count invariance.
 *
 * Goldens are hand computations; transcendental values come from Python's
 * math module (double precision), e.g.
 *   python3 -c "import math; print(math.erf(1), math.exp(-1)-1)"
 * and are compared with a float32 tolerance.
 */
#include <float.h>

#include "ops_test_util.h"

static void binary_f32(const char *op, int na, const int64_t *da, const float *a, int nb,
                       const int64_t *db, const float *b, int nout, const int64_t *dout,
                       const float *want) {
    tnode t;
    tn_init(&t, op, 2, 1);
    nnq_tensor *in[2] = {tt(NNQ_DTYPE_FLOAT32, na, da, a), tt(NNQ_DTYPE_FLOAT32, nb, db, b)};
    nnq_tensor *out;
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_shape(out, nout, dout);
    expect_f32(out, want, out->numel, 0.0f);
    tt_free_all(in, 2);
    nnq_tensor_free(out);
}

static void test_broadcast_shapes(void **state) {
    (void)state;
    /* [2,3] + [3]: the row is added to each row */
    binary_f32("Add", 2, DIMS(2, 3), F32(1, 2, 3, 4, 5, 6), 1, DIMS(3), F32(10, 20, 30), 2,
               DIMS(2, 3), F32(11, 22, 33, 14, 25, 36));
    /* [2,1] - [1,3]: both sides stretch */
    binary_f32("Sub", 2, DIMS(2, 1), F32(1, 2), 2, DIMS(1, 3), F32(10, 20, 30), 2, DIMS(2, 3),
               F32(-9, -19, -29, -8, -18, -28));
    /* rank-0 scalar times [2,2] */
    binary_f32("Mul", 0, NULL, F32(3), 2, DIMS(2, 2), F32(1, -2, 0.5f, 4), 2, DIMS(2, 2),
               F32(3, -6, 1.5f, 12));
    /* [3,1,2] / [2,1]: middle dim from the right operand, left dim from the left */
    binary_f32("Div", 3, DIMS(3, 1, 2), F32(2, 4, 6, 8, 10, 12), 2, DIMS(2, 1), F32(2, 4), 3,
               DIMS(3, 2, 2), F32(1, 2, 0.5f, 1, 3, 4, 1.5f, 2, 5, 6, 2.5f, 3));
    /* 1 element each side, and the tail of a non-collapsible middle dim */
    binary_f32("Add", 1, DIMS(1), F32(1), 1, DIMS(1), F32(2), 1, DIMS(1), F32(3));
    binary_f32("Pow", 1, DIMS(2), F32(2, 3), 1, DIMS(2), F32(3, 2), 1, DIMS(2), F32(8, 9));
    /* empty broadcast against [1,3] stays empty */
    binary_f32("Add", 2, DIMS(0, 3), NULL, 2, DIMS(1, 3), F32(1, 2, 3), 2, DIMS(0, 3), NULL);
}

static void test_float_special_values(void **state) {
    (void)state;
    float inf = INFINITY, nan = NAN;
    binary_f32("Div", 1, DIMS(4), F32(1, -1, 0, 1), 1, DIMS(4), F32(0, 0, 0, inf), 1, DIMS(4),
               F32(inf, -inf, nan, 0));
    binary_f32("Add", 1, DIMS(3), F32(FLT_MAX, inf, nan), 0, NULL, F32(FLT_MAX), 1, DIMS(3),
               F32(inf, inf, nan));
}

static void test_integer_arithmetic(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    /* int32 Div truncates toward zero; INT32_MIN / -1 wraps */
    tn_init(&t, "Div", 2, 1);
    nnq_tensor *in[2] = {TT1(NNQ_DTYPE_INT32, 4, I32(7, -7, INT32_MIN, 9)),
                         TT1(NNQ_DTYPE_INT32, 4, I32(-2, 2, -1, 3))};
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_bytes(out, I32(-3, -3, INT32_MIN, 3), 16);
    nnq_tensor_free(out);
    tt_free_all(in, 2);

    /* int64 Add / Mul wrap modulo 2^64 */
    tn_init(&t, "Add", 2, 1);
    in[0] = TT1(NNQ_DTYPE_INT64, 2, I64(INT64_MAX, -5));
    in[1] = tt(NNQ_DTYPE_INT64, 0, NULL, I64(1));
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_bytes(out, I64(INT64_MIN, -4), 16);
    nnq_tensor_free(out);
    tn_init(&t, "Mul", 2, 1);
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_bytes(out, I64(INT64_MAX, -5), 16);
    nnq_tensor_free(out);
    tt_free_all(in, 2);

    /* Pow on int64 (values of ONNX's test_pow_types_int64_int64) */
    tn_init(&t, "Pow", 2, 1);
    in[0] = TT1(NNQ_DTYPE_INT64, 3, I64(1, 2, 3));
    in[1] = TT1(NNQ_DTYPE_INT64, 3, I64(4, 5, 6));
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_bytes(out, I64(1, 32, 729), 24);
    nnq_tensor_free(out);
    nnq_tensor_free(in[0]);
    /* float base, int64 exponent */
    in[0] = TT1(NNQ_DTYPE_FLOAT32, 3, F32(1, 2, -3));
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_f32(out, F32(1, 32, 729), 3, 0.0f);
    nnq_tensor_free(out);
    tt_free_all(in, 2);
}

static void test_integer_unary(void **state) {
    (void)state;
    static const struct {
        const char *op;
        int32_t want[4];
    } cases[] = {
        {"Abs", {5, 0, 7, INT32_MIN}},
        {"Neg", {5, 0, -7, INT32_MIN}},
        {"Relu", {0, 0, 7, 0}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        tnode t;
        nnq_tensor *out;
        tn_init(&t, cases[c].op, 1, 1);
        nnq_tensor *x = TT1(NNQ_DTYPE_INT32, 4, I32(-5, 0, 7, INT32_MIN));
        NNQ_ASSERT_OK(run_node(&t, 0, NULL, &x, 1, &out, 1));
        expect_bytes(out, cases[c].want, 16);
        nnq_tensor_free(out);
        nnq_tensor_free(x);
    }
}

/* int8 / uint8 / uint64 go through the generic 64-bit path. */
static void test_small_integers(void **state) {
    (void)state;
    static const struct {
        const char *op;
        nnq_dtype dt;
        uint8_t a[3], b[3], want[3];
    } cases[] = {
        {"Add", NNQ_DTYPE_UINT8, {250, 1, 0}, {10, 2, 0}, {4, 3, 0}},
        {"Div", NNQ_DTYPE_UINT8, {7, 255, 0}, {2, 16, 9}, {3, 15, 0}},
        {"Sub", NNQ_DTYPE_INT8, {0x80, 5, 0}, {1, 7, 0}, {0x7F, 0xFE, 0}},
        {"Div", NNQ_DTYPE_INT8, {0xF9, 0x80, 7}, {2, 0xFF, 0xFE}, {0xFD, 0x80, 0xFD}},
        {"Mul", NNQ_DTYPE_INT8, {16, 0xFF, 3}, {16, 0xFF, 0xFE}, {0, 1, 0xFA}},
        {"PRelu", NNQ_DTYPE_INT8, {0xFE, 3, 0xFF}, {3, 3, 0}, {0xFA, 3, 0}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        tnode t;
        nnq_tensor *out;
        tn_init(&t, cases[c].op, 2, 1);
        nnq_tensor *in[2] = {TT1(cases[c].dt, 3, cases[c].a), TT1(cases[c].dt, 3, cases[c].b)};
        NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
        expect_bytes(out, cases[c].want, 3);
        nnq_tensor_free(out);
        tt_free_all(in, 2);
    }
    /* int8 Clip with bounds (ONNX test_clip_default_int8_* semantics),
     * uint64 above INT64_MAX compares unsigned */
    tnode t;
    nnq_tensor *out;
    tn_init(&t, "Clip", 3, 1);
    nnq_tensor *in[3] = {TT1(NNQ_DTYPE_INT8, 4, ((const int8_t[]){-128, -5, 5, 127})),
                         tt(NNQ_DTYPE_INT8, 0, NULL, (const int8_t[]){-6}),
                         tt(NNQ_DTYPE_INT8, 0, NULL, (const int8_t[]){4})};
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in, 3, &out, 1));
    expect_bytes(out, ((const int8_t[]){-6, -5, 4, 4}), 4);
    nnq_tensor_free(out);
    tt_free_all(in, 3);
    const uint64_t big[2] = {UINT64_MAX, 5}, lim = (uint64_t)1 << 63;
    in[0] = TT1(NNQ_DTYPE_UINT64, 2, big);
    in[1] = NULL;
    in[2] = tt(NNQ_DTYPE_UINT64, 0, NULL, &lim);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in, 3, &out, 1));
    expect_bytes(out, ((const uint64_t[]){lim, 5}), 16);
    nnq_tensor_free(out);
    tn_init(&t, "Abs", 1, 1);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in, 1, &out, 1));
    expect_bytes(out, big, 16);
    nnq_tensor_free(out);
    tt_free_all(in, 3);
}

typedef struct unary_case {
    const char *op;
    const char *attr; /* optional float attribute */
    float attr_value;
    float x[4];
    float want[4];
    float tol;
} unary_case;

static void test_float_unary(void **state) {
    (void)state;
    const float nan = NAN, inf = INFINITY;
    const unary_case cases[] = {
        {"Sqrt", NULL, 0, {4, 0, 2, -1}, {2, 0, 1.41421356f, nan}, 1e-7f},
        {"Exp", NULL, 0, {0, 1, -inf, 100}, {1, 2.71828183f, 0, inf}, 1e-6f},
        {"Log", NULL, 0, {1, 2, 0, -1}, {0, 0.693147181f, -inf, nan}, 1e-7f},
        {"Neg", NULL, 0, {1, -2, 0, nan}, {-1, 2, -0.0f, nan}, 0},
        {"Abs", NULL, 0, {-1, 2, -inf, -0.0f}, {1, 2, inf, 0}, 0},
        {"Erf", NULL, 0, {0, 1, -1, inf}, {0, 0.842700793f, -0.842700793f, 1}, 1e-6f},
        {"Relu", NULL, 0, {-1, 0, 3, nan}, {0, 0, 3, nan}, 0},
        {"LeakyRelu", NULL, 0, {-2, 2, 0, -100}, {-0.02f, 2, 0, -1}, 1e-7f},
        {"LeakyRelu", "alpha", 0.5f, {-2, 2, 0, -100}, {-1, 2, 0, -50}, 0},
        {"Elu", NULL, 0, {-1, 1, 0, -inf}, {-0.632120559f, 1, 0, -1}, 1e-6f},
        {"Sigmoid", NULL, 0, {0, 2, -200, 200}, {0.5f, 0.880797078f, 0, 1}, 1e-6f},
        {"HardSigmoid", NULL, 0, {1, 10, -10, 0}, {0.7f, 1, 0, 0.5f}, 1e-7f},
        {"HardSigmoid", "alpha", 0.5f, {1, 10, -10, 0}, {1, 1, 0, 0.5f}, 0},
        {"HardSwish", NULL, 0, {1, -3, 3, 6}, {0.666666667f, 0, 3, 6}, 1e-6f},
        {"Tanh", NULL, 0, {0, 0.5f, 50, -50}, {0, 0.462117157f, 1, -1}, 1e-6f},
        {"Gelu", NULL, 0, {0, 1, -1, 10}, {0, 0.841344746f, -0.158655254f, 10}, 1e-6f},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        tnode t;
        nnq_tensor *out;
        tn_init(&t, cases[c].op, 1, 1);
        if (cases[c].attr) tn_float(&t, cases[c].attr, cases[c].attr_value);
        nnq_tensor *x = TT1(NNQ_DTYPE_FLOAT32, 4, cases[c].x);
        NNQ_ASSERT_OK(run_node(&t, 0, NULL, &x, 1, &out, 1));
        expect_f32(out, cases[c].want, 4, cases[c].tol);
        nnq_tensor_free(out);
        nnq_tensor_free(x);
    }
    /* Gelu tanh approximation at 1: 0.5 (1 + tanh(sqrt(2/pi) (1 + 0.044715))) */
    tnode t;
    nnq_tensor *out;
    tn_init(&t, "Gelu", 1, 1);
    tn_string(&t, "approximate", "tanh");
    nnq_tensor *x = TT1(NNQ_DTYPE_FLOAT32, 2, F32(1, 0));
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, &x, 1, &out, 1));
    expect_f32(out, F32(0.841191991f, 0), 2, 1e-6f);
    nnq_tensor_free(out);
    nnq_tensor_free(x);
}

static void test_clip(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    /* opset 6: attributes */
    tn_init(&t, "Clip", 1, 1);
    tn_float(&t, "min", -1);
    tn_float(&t, "max", 1);
    nnq_tensor *x = TT1(NNQ_DTYPE_FLOAT32, 4, F32(-2, 0.5f, 2, NAN));
    NNQ_ASSERT_OK(run_node(&t, 6, NULL, &x, 1, &out, 1));
    expect_f32(out, F32(-1, 0.5f, 1, NAN), 4, 0);
    nnq_tensor_free(out);
    /* opset 13: inputs; only max given; then min > max gives max (ONNX) */
    tn_init(&t, "Clip", 3, 1);
    nnq_tensor *hi = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(0));
    nnq_tensor *in3[3] = {x, NULL, hi};
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in3, 3, &out, 1));
    expect_f32(out, F32(-2, 0, 0, NAN), 4, 0);
    nnq_tensor_free(out);
    in3[1] = tt(NNQ_DTYPE_FLOAT32, 1, DIMS(1), F32(1));
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in3, 3, &out, 1));
    expect_f32(out, F32(0, 0, 0, NAN), 4, 0);
    nnq_tensor_free(out);
    tt_free_all(in3, 3);
    /* no bounds: identity; int32 with bounds */
    x = TT1(NNQ_DTYPE_INT32, 3, I32(-9, 4, 9));
    nnq_tensor *in2[3] = {x, tt(NNQ_DTYPE_INT32, 0, NULL, I32(-3)), tt(NNQ_DTYPE_INT32, 0, NULL, I32(5))};
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in2, 3, &out, 1));
    expect_bytes(out, I32(-3, 4, 5), 12);
    nnq_tensor_free(out);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in2, 1, &out, 1));
    expect_bytes(out, I32(-9, 4, 9), 12);
    nnq_tensor_free(out);
    /* bounds must be scalars of X's type */
    nnq_tensor_free(in2[2]);
    in2[2] = TT1(NNQ_DTYPE_INT32, 2, I32(1, 2));
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in2, 3, &out, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "input 2 'x2' must be a scalar");
    nnq_tensor_free(in2[1]);
    in2[1] = tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(0));
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in2, 2, &out, 1), NNQ_STATUS_DTYPE_MISMATCH,
                     "input 1 'x1' has type float32");
    tt_free_all(in2, 3);
}

static void test_prelu_equal_where(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    /* PRelu: slope [3] broadcast over [2,3] */
    tn_init(&t, "PRelu", 2, 1);
    nnq_tensor *in[3] = {tt(NNQ_DTYPE_FLOAT32, 2, DIMS(2, 3), F32(-1, -1, -1, 2, -2, 0)),
                         TT1(NNQ_DTYPE_FLOAT32, 3, F32(0.1f, 0.2f, 0.3f)), NULL};
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_f32(out, F32(-0.1f, -0.2f, -0.3f, 2, -0.4f, 0), 6, 0);
    nnq_tensor_free(out);
    /* the slope may not grow X */
    nnq_tensor *big = tt(NNQ_DTYPE_FLOAT32, 3, DIMS(2, 2, 3), NULL);
    nnq_tensor *bad[2] = {in[0], big};
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, bad, 2, &out, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "unidirectional");
    nnq_tensor_free(big);
    tt_free_all(in, 2);

    /* Equal: NaN != NaN, -0 == 0; output is bool */
    tn_init(&t, "Equal", 2, 1);
    in[0] = TT1(NNQ_DTYPE_FLOAT32, 4, F32(1, NAN, -0.0f, 2));
    in[1] = TT1(NNQ_DTYPE_FLOAT32, 4, F32(1, NAN, 0.0f, 3));
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    assert_int_equal(out->dtype, NNQ_DTYPE_BOOL);
    expect_bytes(out, U8(1, 0, 1, 0), 4);
    nnq_tensor_free(out);
    tt_free_all(in, 2);
    in[0] = TT1(NNQ_DTYPE_INT64, 3, I64(5, -1, INT64_MIN));
    in[1] = tt(NNQ_DTYPE_INT64, 0, NULL, I64(INT64_MIN));
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 2, &out, 1));
    expect_bytes(out, U8(0, 0, 1), 3);
    nnq_tensor_free(out);
    tt_free_all(in, 2);

    /* Where: cond [2,1], X [1,3], Y scalar -> [2,3] */
    tn_init(&t, "Where", 3, 1);
    in[0] = tt(NNQ_DTYPE_BOOL, 2, DIMS(2, 1), U8(1, 0));
    in[1] = tt(NNQ_DTYPE_INT64, 2, DIMS(1, 3), I64(1, 2, 3));
    in[2] = tt(NNQ_DTYPE_INT64, 0, NULL, I64(-7));
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, 3, &out, 1));
    expect_shape(out, 2, DIMS(2, 3));
    expect_bytes(out, I64(1, 2, 3, -7, -7, -7), 48);
    nnq_tensor_free(out);
    tt_free_all(in, 3);
}

static void test_bad_input(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_out_shape shp[1];
    tn_init(&t, "Add", 2, 1);
    nnq_tensor *in[3] = {tt(NNQ_DTYPE_FLOAT32, 2, DIMS(2, 3), NULL),
                         TT1(NNQ_DTYPE_FLOAT32, 4, NULL), NULL};
    NNQ_ASSERT_FAILS(infer_node(&t, 0, in, 2, shp, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "node 'Add_node' (Add): input 1 'x1' dim 0 is 4, which does not broadcast "
                     "with 3");
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_INT32, 3, NULL);
    NNQ_ASSERT_FAILS(infer_node(&t, 0, in, 2, shp, 1), NNQ_STATUS_DTYPE_MISMATCH,
                     "input 1 'x1' has type int32 but input 0 'x0' has type float32");
    NNQ_ASSERT_FAILS(infer_node(&t, 0, in, 1, shp, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "required input 1 is missing");
    tn_init(&t, "Sqrt", 1, 1);
    NNQ_ASSERT_FAILS(infer_node(&t, 0, &in[1], 1, shp, 1), NNQ_STATUS_UNSUPPORTED,
                     "input 0 'x0' has type int32, which Sqrt supports only as float32");
    tn_init(&t, "Add", 2, 1);
    nnq_tensor *u8[2] = {TT1(NNQ_DTYPE_FLOAT16, 1, NULL), TT1(NNQ_DTYPE_FLOAT16, 1, NULL)};
    NNQ_ASSERT_FAILS(infer_node(&t, 0, u8, 2, shp, 1), NNQ_STATUS_UNSUPPORTED,
                     "type float16, which Add does not support");
    tt_free_all(u8, 2);
    /* integer division by zero is reported, not executed */
    tn_init(&t, "Div", 2, 1);
    nnq_tensor *iz[2] = {TT1(NNQ_DTYPE_INT32, 2, I32(1, 2)), TT1(NNQ_DTYPE_INT32, 2, I32(1, 0))};
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, iz, 2, &out, 1), NNQ_STATUS_OUT_OF_RANGE,
                     "divisor 'x1' element 1 is 0");
    tt_free_all(iz, 2);
    /* Where's condition must be bool */
    tn_init(&t, "Where", 3, 1);
    nnq_tensor *w[3] = {in[0], in[0], in[0]};
    NNQ_ASSERT_FAILS(infer_node(&t, 0, w, 3, shp, 1), NNQ_STATUS_DTYPE_MISMATCH,
                     "condition 'x0' has type float32, expected bool");
    tn_init(&t, "Gelu", 1, 1);
    tn_string(&t, "approximate", "erf");
    NNQ_ASSERT_FAILS(infer_node(&t, 0, in, 1, shp, 1), NNQ_STATUS_UNKNOWN_NAME,
                     "approximate 'erf'");
    tn_init(&t, "LeakyRelu", 1, 1);
    tn_int(&t, "alpha", 1);
    NNQ_ASSERT_FAILS(infer_node(&t, 0, in, 1, shp, 1), NNQ_STATUS_INVALID_FORMAT,
                     "attribute 'alpha'");
    tt_free_all(in, 2);
}

/* Large broadcast ops give identical bytes for 1, 2 and 7 threads and match
 * a per-element recomputation. */
static void test_threads(void **state) {
    (void)state;
    uint64_t seed = nnq_test_seed();
    nnq_rng rng;
    nnq_rng_seed(&rng, seed, 1);
    const int64_t rows = 37, cols = 3001;
    nnq_tensor *a = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(rows, cols), NULL);
    nnq_tensor *b = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(rows, 1), NULL);
    float *pa = a->data, *pb = b->data;
    for (size_t i = 0; i < a->numel; i++) pa[i] = nnq_rng_normal(&rng);
    for (size_t i = 0; i < b->numel; i++) pb[i] = nnq_rng_normal(&rng);
    static const char *const ops[] = {"Mul", "Sigmoid", "Gelu"};
    for (size_t o = 0; o < NNQ_ARRAY_LEN(ops); o++) {
        tnode t;
        nnq_tensor *in[2] = {a, b}, *ref = NULL;
        bool unary = o > 0;
        tn_init(&t, ops[o], unary ? 1 : 2, 1);
        NNQ_ASSERT_OK(run_node(&t, 0, NULL, in, unary ? 1 : 2, &ref, 1));
        if (!unary)
            for (int64_t r = 0; r < rows; r++)
                for (int64_t c = 0; c < cols; c++)
                    assert_true(nnq_test_same_bits(((float *)ref->data)[r * cols + c],
                                                   pa[r * cols + c] * pb[r]));
        static const size_t threads[] = {2, 7};
        for (size_t k = 0; k < 2; k++) {
            nnq_pool *pool;
            nnq_tensor *out;
            NNQ_ASSERT_OK(nnq_pool_create(threads[k], &pool));
            NNQ_ASSERT_OK(run_node(&t, 0, pool, in, unary ? 1 : 2, &out, 1));
            assert_memory_equal(out->data, ref->data, ref->nbytes);
            nnq_tensor_free(out);
            nnq_pool_free(pool);
        }
        nnq_tensor_free(ref);
    }
    nnq_tensor_free(a);
    nnq_tensor_free(b);
}

/*
 * PRelu before opset 7 (Caffe2's rule, the one the pytorch-converted opset-6
 * models rely on): a 1-D slope of C > 1 values is per channel, axis 1 of X.
 * From opset 7 the same slope broadcasts numpy-style from the right.
 * X [1, 3, 3] = -1 .. -8, 9 with slope [0.5, 0.25, 2]: opset 6 scales row c
 * by slope[c]; opset 7 scales column j by slope[j]; 9 passes unchanged.
 */
static void test_prelu_legacy_slope(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_out_shape s[1];
    tn_init(&t, "PRelu", 2, 1);
    nnq_tensor *in[2] = {
        tt(NNQ_DTYPE_FLOAT32, 3, DIMS(1, 3, 3), F32(-1, -2, -3, -4, -5, -6, -7, -8, 9)),
        TT1(NNQ_DTYPE_FLOAT32, 3, F32(0.5f, 0.25f, 2))};
    NNQ_ASSERT_OK(run_node(&t, 6, NULL, in, 2, &out, 1));
    expect_shape(out, 3, DIMS(1, 3, 3));
    expect_f32(out, F32(-0.5f, -1, -1.5f, -1, -1.25f, -1.5f, -14, -16, 9), 9, 0);
    nnq_tensor_free(out);
    static const int64_t numpy_opsets[] = {7, 9, 0};
    for (size_t k = 0; k < NNQ_ARRAY_LEN(numpy_opsets); k++) {
        NNQ_ASSERT_OK(run_node(&t, numpy_opsets[k], NULL, in, 2, &out, 1));
        expect_f32(out, F32(-0.5f, -0.5f, -6, -2, -1.25f, -12, -3.5f, -2, 9), 9, 0);
        nnq_tensor_free(out);
    }
    /* one slope value is shared in both eras */
    nnq_tensor *one = TT1(NNQ_DTYPE_FLOAT32, 1, F32(0.5f));
    nnq_tensor *in1[2] = {in[0], one};
    NNQ_ASSERT_OK(run_node(&t, 6, NULL, in1, 2, &out, 1));
    expect_f32(out, F32(-0.5f, -1, -1.5f, -2, -2.5f, -3, -3.5f, -4, 9), 9, 0);
    nnq_tensor_free(out);
    nnq_tensor_free(one);
    tt_free_all(in, 2);

    /* shape inference agrees: [2, 3, 4] with slope [3] is fine only before 7 */
    in[0] = tt(NNQ_DTYPE_FLOAT32, 3, DIMS(2, 3, 4), NULL);
    in[1] = TT1(NNQ_DTYPE_FLOAT32, 3, F32(1, 2, 3));
    NNQ_ASSERT_OK(infer_node(&t, 6, in, 2, s, 1));
    assert_int_equal(s[0].dtype, NNQ_DTYPE_FLOAT32);
    assert_int_equal(s[0].ndim, 3);
    assert_true(s[0].dims[0] == 2 && s[0].dims[1] == 3 && s[0].dims[2] == 4);
    NNQ_ASSERT_FAILS(infer_node(&t, 7, in, 2, s, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "dim 0 is 3, which does not broadcast with 4");
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_FLOAT32, 4, F32(1, 2, 3, 4));
    NNQ_ASSERT_FAILS(infer_node(&t, 6, in, 2, s, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "node 'PRelu_node' (PRelu): slope 'x1' has 4 values but X 'x0' has 3 "
                     "channels (axis 1); before opset 7 a 1-D slope is per channel");
    tt_free_all(in, 2);

    /* integer path: X int32 [1, 2, 2], slope [2, 3] per channel */
    in[0] = tt(NNQ_DTYPE_INT32, 3, DIMS(1, 2, 2), I32(-3, 4, -5, -6));
    in[1] = TT1(NNQ_DTYPE_INT32, 2, I32(2, 3));
    NNQ_ASSERT_OK(run_node(&t, 6, NULL, in, 2, &out, 1));
    expect_bytes(out, I32(-6, 4, -15, -18), 16);
    nnq_tensor_free(out);
    tt_free_all(in, 2);

    /* rank 1 has no channel axis: elementwise as before */
    in[0] = TT1(NNQ_DTYPE_FLOAT32, 3, F32(-1, -1, 1));
    in[1] = TT1(NNQ_DTYPE_FLOAT32, 3, F32(1, 2, 3));
    NNQ_ASSERT_OK(run_node(&t, 6, NULL, in, 2, &out, 1));
    expect_f32(out, F32(-1, -2, 1), 3, 0);
    nnq_tensor_free(out);
    tt_free_all(in, 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast_shapes),   cmocka_unit_test(test_float_special_values),
        cmocka_unit_test(test_integer_arithmetic), cmocka_unit_test(test_integer_unary),
        cmocka_unit_test(test_small_integers),
        cmocka_unit_test(test_float_unary),        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_prelu_equal_where),  cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_threads),            cmocka_unit_test(test_prelu_legacy_slope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
