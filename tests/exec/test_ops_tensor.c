/*
 * test_ops_tensor.c - tensor-manipulation operators: shape ops, element
 * moves, Pad, Resize, Cast, constants; bad input with status and message.
 *
 * Goldens are hand derivations except the Resize vectors marked "ONNX",
 * read from the Debian libonnx-testdata node tests with
 *   /usr/bin/python3 -c "import onnx, onnx.numpy_helper as h, sys; \
 *     t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], 'rb').read()); \
 *     print(h.to_array(t).flatten().tolist())" \
 *     /usr/share/libonnx-testdata/data/node/<test>/test_data_set_0/<file>.pb
 */
#include "ops_test_util.h"

/* Run a one-input op on float32 data and compare shape and values. */
static void check_f32(const tnode *t, int64_t opset, nnq_tensor *const *in, size_t n_in,
                      int ndim, const int64_t *dims, const float *want) {
    nnq_tensor *out;
    NNQ_ASSERT_OK(run_node(t, opset, NULL, in, n_in, &out, 1));
    expect_shape(out, ndim, dims);
    expect_f32(out, want, out->numel, 0.0f);
    nnq_tensor_free(out);
}

static void test_reshape(void **state) {
    (void)state;
    tnode t;
    nnq_out_shape s[1];
    tn_init(&t, "Reshape", 2, 1);
    nnq_tensor *in[2] = {tt(NNQ_DTYPE_FLOAT32, 3, DIMS(2, 3, 4), NULL), TT1(NNQ_DTYPE_INT64, 3, I64(0, -1, 2))};
    NNQ_ASSERT_OK(infer_node(&t, 0, in, 2, s, 1));
    assert_int_equal(s[0].ndim, 3);
    assert_int_equal(s[0].dims[0], 2);
    assert_int_equal(s[0].dims[1], 6);
    assert_int_equal(s[0].dims[2], 2);
    static const struct {
        int64_t shape[3];
        size_t n;
        int allowzero;
        nnq_status st;
        const char *msg;
    } bad[] = {
        {{-1, -1, 4}, 3, 0, NNQ_STATUS_INVALID_ARGUMENT, "at most one dim may be -1"},
        {{5, -1, 0}, 3, 0, NNQ_STATUS_SHAPE_MISMATCH, "not a multiple of 20"},
        {{7, 4}, 2, 0, NNQ_STATUS_SHAPE_MISMATCH, "cannot reshape [2, 3, 4] (24 elements) to [7, 4]"},
        {{0, -1}, 2, 1, NNQ_STATUS_INVALID_ARGUMENT, "both 0 and -1"},
        {{-2, 12}, 2, 0, NNQ_STATUS_INVALID_ARGUMENT, "dim 0 is -2"},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(bad); c++) {
        tn_init(&t, "Reshape", 2, 1);
        if (bad[c].allowzero) tn_int(&t, "allowzero", 1);
        nnq_tensor *sh = tt(NNQ_DTYPE_INT64, 1, DIMS((int64_t)bad[c].n), bad[c].shape);
        nnq_tensor *bin[2] = {in[0], sh};
        NNQ_ASSERT_FAILS(infer_node(&t, 0, bin, 2, s, 1), bad[c].st, bad[c].msg);
        nnq_tensor_free(sh);
    }
    /* allowzero: a 0 is a real zero-size dim */
    nnq_tensor *empty = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(0, 4), NULL);
    nnq_tensor *sh = TT1(NNQ_DTYPE_INT64, 2, I64(4, 0));
    nnq_tensor *ein[2] = {empty, sh};
    tn_init(&t, "Reshape", 2, 1);
    tn_int(&t, "allowzero", 1);
    NNQ_ASSERT_OK(infer_node(&t, 0, ein, 2, s, 1));
    assert_int_equal(s[0].dims[0], 4);
    assert_int_equal(s[0].dims[1], 0);
    /* a shape that is not constant at inference time */
    nnq_tensor *sh2 = TT1(NNQ_DTYPE_INT64, 2, NULL);
    void *keep = sh2->data;
    sh2->data = NULL;
    ein[1] = sh2;
    NNQ_ASSERT_FAILS(infer_node(&t, 0, ein, 2, s, 1), NNQ_STATUS_UNSUPPORTED,
                     "input 1 'x1' must be a constant");
    sh2->data = keep;
    nnq_tensor_free(sh2);
    nnq_tensor_free(sh);
    nnq_tensor_free(empty);
    /* data is carried over unchanged */
    nnq_tensor_free(in[0]);
    in[0] = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(2, 2), F32(1, 2, 3, 4));
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_INT32, 1, I32(-1));
    tn_init(&t, "Reshape", 2, 1);
    check_f32(&t, 0, in, 2, 1, DIMS(4), F32(1, 2, 3, 4));
    tt_free_all(in, 2);
}

static void test_flatten_squeeze_unsqueeze(void **state) {
    (void)state;
    tnode t;
    nnq_out_shape s[1];
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 4, DIMS(2, 1, 3, 1), NULL);
    static const struct {
        int64_t axis;
        int64_t rows, cols;
    } fl[] = {{0, 1, 6}, {1, 2, 3}, {4, 6, 1}, {-1, 6, 1}, {-4, 1, 6}};
    for (size_t c = 0; c < NNQ_ARRAY_LEN(fl); c++) {
        tn_init(&t, "Flatten", 1, 1);
        tn_int(&t, "axis", fl[c].axis);
        NNQ_ASSERT_OK(infer_node(&t, 0, &x, 1, s, 1));
        assert_int_equal(s[0].dims[0], fl[c].rows);
        assert_int_equal(s[0].dims[1], fl[c].cols);
    }
    tn_init(&t, "Flatten", 1, 1);
    tn_int(&t, "axis", 5);
    NNQ_ASSERT_FAILS(infer_node(&t, 0, &x, 1, s, 1), NNQ_STATUS_AXIS_OUT_OF_RANGE,
                     "axis 5 outside [-4, 4]");

    /* Squeeze: all size-1 dims; opset 11 attribute; opset 13 input */
    tn_init(&t, "Squeeze", 1, 1);
    NNQ_ASSERT_OK(infer_node(&t, 13, &x, 1, s, 1));
    assert_int_equal(s[0].ndim, 2);
    assert_int_equal(s[0].dims[1], 3);
    tn_ints(&t, "axes", I64(-1), 1);
    NNQ_ASSERT_OK(infer_node(&t, 11, &x, 1, s, 1));
    assert_int_equal(s[0].ndim, 3);
    nnq_tensor *axes = TT1(NNQ_DTYPE_INT64, 1, I64(2));
    nnq_tensor *in[2] = {x, axes};
    tn_init(&t, "Squeeze", 2, 1);
    NNQ_ASSERT_FAILS(infer_node(&t, 13, in, 2, s, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "cannot squeeze axis 2 of 'x0': its size is 3, not 1");
    nnq_tensor_free(axes);

    /* Unsqueeze: axes refer to the output rank; negative and unsorted */
    in[1] = axes = TT1(NNQ_DTYPE_INT64, 2, I64(-1, 0));
    tn_init(&t, "Unsqueeze", 2, 1);
    NNQ_ASSERT_OK(infer_node(&t, 13, in, 2, s, 1));
    assert_int_equal(s[0].ndim, 6);
    static const int64_t want[6] = {1, 2, 1, 3, 1, 1};
    for (int d = 0; d < 6; d++) assert_int_equal(s[0].dims[d], want[d]);
    nnq_tensor_free(axes);
    in[1] = axes = TT1(NNQ_DTYPE_INT64, 2, I64(1, -5));
    NNQ_ASSERT_FAILS(infer_node(&t, 13, in, 2, s, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "axis 1 appears twice");
    nnq_tensor_free(axes);
    in[1] = axes = TT1(NNQ_DTYPE_INT64, 1, I64(6));
    NNQ_ASSERT_FAILS(infer_node(&t, 13, in, 2, s, 1), NNQ_STATUS_AXIS_OUT_OF_RANGE,
                     "axes entry 6 outside [-5, 5)");
    nnq_tensor_free(axes);
    tn_init(&t, "Unsqueeze", 1, 1);
    tn_ints(&t, "axes", I64(0), 1);
    NNQ_ASSERT_OK(infer_node(&t, 11, &x, 1, s, 1));
    assert_int_equal(s[0].ndim, 5);
    nnq_tensor_free(x);
}

static void test_shape_expand_constants(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 3, DIMS(2, 3, 4), NULL);
    /* Shape with start/end clamping */
    static const struct {
        int64_t start, end;
        size_t n;
        int64_t want[3];
    } sh[] = {{0, 3, 3, {2, 3, 4}}, {-1, 3, 1, {4}}, {1, -1, 1, {3}}, {-10, 10, 3, {2, 3, 4}},
              {2, 1, 0, {0}}};
    for (size_t c = 0; c < NNQ_ARRAY_LEN(sh); c++) {
        tn_init(&t, "Shape", 1, 1);
        tn_int(&t, "start", sh[c].start);
        tn_int(&t, "end", sh[c].end);
        NNQ_ASSERT_OK(run_node(&t, 0, NULL, &x, 1, &out, 1));
        assert_int_equal(out->dtype, NNQ_DTYPE_INT64);
        expect_bytes(out, sh[c].want, sh[c].n * 8);
        nnq_tensor_free(out);
    }
    nnq_tensor_free(x);

    /* Expand [3,1] by [2,1,2] -> [2,3,2] */
    tn_init(&t, "Expand", 2, 1);
    nnq_tensor *in[2] = {tt(NNQ_DTYPE_FLOAT32, 2, DIMS(3, 1), F32(1, 2, 3)),
                         TT1(NNQ_DTYPE_INT64, 3, I64(2, 1, 2))};
    check_f32(&t, 0, in, 2, 3, DIMS(2, 3, 2), F32(1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3));
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_INT64, 2, I64(2, 2));
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, in, 2, &out, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "dim 0 is 2, which does not broadcast with 3");
    tt_free_all(in, 2);

    /* Constant forms */
    tn_init(&t, "Constant", 0, 1);
    tn_floats(&t, "value_floats", F32(1.5f, -2), 2);
    check_f32(&t, 0, NULL, 0, 1, DIMS(2), F32(1.5f, -2));
    tn_init(&t, "Constant", 0, 1);
    tn_int(&t, "value_int", -3);
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, NULL, 0, &out, 1));
    assert_int_equal(out->ndim, 0);
    expect_bytes(out, I64(-3), 8);
    nnq_tensor_free(out);
    nnq_tensor *v = tt(NNQ_DTYPE_INT32, 2, DIMS(1, 2), I32(7, 8));
    tn_init(&t, "Constant", 0, 1);
    tn_tensor(&t, "value", v);
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, NULL, 0, &out, 1));
    expect_shape(out, 2, DIMS(1, 2));
    expect_bytes(out, I32(7, 8), 8);
    nnq_tensor_free(out);
    tn_float(&t, "value_float", 1);
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, NULL, 0, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "has both 'value' and 'value_float'");
    tn_init(&t, "Constant", 0, 1);
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, NULL, 0, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "no value attribute");

    /* ConstantOfShape: int32 fill; default float zero; empty shape = scalar */
    nnq_tensor *fill = TT1(NNQ_DTYPE_INT32, 1, I32(5));
    nnq_tensor *shp = TT1(NNQ_DTYPE_INT64, 2, I64(2, 2));
    tn_init(&t, "ConstantOfShape", 1, 1);
    tn_tensor(&t, "value", fill);
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, &shp, 1, &out, 1));
    expect_bytes(out, I32(5, 5, 5, 5), 16);
    nnq_tensor_free(out);
    tn_init(&t, "ConstantOfShape", 1, 1);
    check_f32(&t, 0, &shp, 1, 2, DIMS(2, 2), F32(0, 0, 0, 0));
    nnq_tensor_free(shp);
    shp = TT1(NNQ_DTYPE_INT64, 1, I64(-2));
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, &shp, 1, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "dim 0 is negative (-2)");
    nnq_tensor_free(shp);
    nnq_tensor_free(fill);
    nnq_tensor_free(v);
}

static void test_transpose_concat_split(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 3, DIMS(2, 2, 3), F32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
    tn_init(&t, "Transpose", 1, 1);
    check_f32(&t, 0, &x, 1, 3, DIMS(3, 2, 2), F32(0, 6, 3, 9, 1, 7, 4, 10, 2, 8, 5, 11));
    tn_ints(&t, "perm", I64(1, 0, 2), 3);
    check_f32(&t, 0, &x, 1, 3, DIMS(2, 2, 3), F32(0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11));
    tn_init(&t, "Transpose", 1, 1);
    tn_ints(&t, "perm", I64(0, 0, 1), 3);
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, &x, 1, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "perm[1] = 0: perm must be a permutation of [0, 3)");

    /* Concat on axis -1 with an empty input between */
    nnq_tensor *in[3] = {x, tt(NNQ_DTYPE_FLOAT32, 3, DIMS(2, 2, 0), NULL),
                         tt(NNQ_DTYPE_FLOAT32, 3, DIMS(2, 2, 1), F32(-1, -2, -3, -4))};
    tn_init(&t, "Concat", 3, 1);
    tn_int(&t, "axis", -1);
    check_f32(&t, 0, in, 3, 3, DIMS(2, 2, 4),
              F32(0, 1, 2, -1, 3, 4, 5, -2, 6, 7, 8, -3, 9, 10, 11, -4));
    tn_init(&t, "Concat", 3, 1);
    tn_int(&t, "axis", 0);
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, in, 3, &out, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "input 1 'x1' has shape [2, 2, 0], input 0 [2, 2, 3]");
    tn_init(&t, "Concat", 3, 1);
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, in, 3, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "attribute 'axis' is required");
    nnq_tensor_free(in[1]);
    nnq_tensor_free(in[2]);

    /* Split: equal parts, sizes input, num_outputs with a short last part */
    nnq_tensor *v = TT1(NNQ_DTYPE_INT64, 5, I64(1, 2, 3, 4, 5));
    nnq_tensor *outs[3];
    tn_init(&t, "Split", 1, 3);
    tn_int(&t, "num_outputs", 3);
    NNQ_ASSERT_OK(run_node(&t, 18, NULL, &v, 1, outs, 3));
    expect_bytes(outs[0], I64(1, 2), 16);
    expect_bytes(outs[1], I64(3, 4), 16);
    expect_bytes(outs[2], I64(5), 8);
    tt_free_all(outs, 3);
    nnq_tensor *sin[2] = {v, TT1(NNQ_DTYPE_INT64, 2, I64(4, 1))};
    tn_init(&t, "Split", 2, 2);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, sin, 2, outs, 2));
    expect_bytes(outs[0], I64(1, 2, 3, 4), 32);
    expect_bytes(outs[1], I64(5), 8);
    tt_free_all(outs, 2);
    nnq_tensor_free(sin[1]);
    sin[1] = TT1(NNQ_DTYPE_INT64, 2, I64(4, 2));
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, sin, 2, outs, 2), NNQ_STATUS_SHAPE_MISMATCH,
                     "split sizes do not sum to 5");
    nnq_tensor_free(sin[1]);
    tn_init(&t, "Split", 1, 2);
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, &v, 1, outs, 2), NNQ_STATUS_SHAPE_MISMATCH,
                     "does not split into 2 equal parts");
    tn_ints(&t, "split", I64(3, 2), 2);
    NNQ_ASSERT_OK(run_node(&t, 11, NULL, &v, 1, outs, 2));
    expect_bytes(outs[1], I64(4, 5), 16);
    tt_free_all(outs, 2);
    nnq_tensor_free(v);
    nnq_tensor_free(x);
}

static void test_slice(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    /* x = [[0..4], [5..9]] */
    nnq_tensor *x = tt(NNQ_DTYPE_INT32, 2, DIMS(2, 5), I32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    static const struct {
        int64_t starts[2], ends[2], axes[2], steps[2];
        size_t n;
        int64_t dims[2];
        int32_t want[10];
    } cases[] = {
        /* negative step with clamped start: reverse each row */
        {{INT64_MAX}, {INT64_MIN}, {1}, {-1}, 1, {2, 5}, {4, 3, 2, 1, 0, 9, 8, 7, 6, 5}},
        /* step 2 on axis 1, negative end */
        {{0}, {-1}, {-1}, {2}, 1, {2, 2}, {0, 2, 5, 7}},
        /* both axes, ends beyond the dims */
        {{1, 1}, {100, 1000}, {0, 1}, {1, 3}, 2, {1, 2}, {6, 9}},
        /* empty result: start after end with a positive step */
        {{3}, {1}, {1}, {1}, 1, {2, 0}, {0}},
        /* step -2 from the last element */
        {{-1}, {-100}, {1}, {-2}, 1, {2, 3}, {4, 2, 0, 9, 7, 5}},
        /* fuzz finding: a step near +-2^63 takes one element, and the byte
         * stride step * row size overflowed int64 (UBSan) */
        {{3}, {5}, {1}, {INT64_MAX - 1}, 1, {2, 1}, {3, 8}},
        {{0, 1}, {2, 0}, {0, 1}, {INT64_MAX / 2, INT64_MIN + 1}, 2, {1, 1}, {1}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        size_t n = cases[c].n;
        nnq_tensor *in[5] = {x, TT1(NNQ_DTYPE_INT64, (int64_t)n, cases[c].starts),
                             TT1(NNQ_DTYPE_INT64, (int64_t)n, cases[c].ends),
                             TT1(NNQ_DTYPE_INT64, (int64_t)n, cases[c].axes),
                             TT1(NNQ_DTYPE_INT64, (int64_t)n, cases[c].steps)};
        tn_init(&t, "Slice", 5, 1);
        NNQ_ASSERT_OK(run_node(&t, 13, NULL, in, 5, &out, 1));
        expect_shape(out, 2, cases[c].dims);
        expect_bytes(out, cases[c].want, out->numel * 4);
        nnq_tensor_free(out);
        tt_free_all(in + 1, 4);
    }
    /* opset 9: attributes, axes default to 0.. */
    tn_init(&t, "Slice", 1, 1);
    tn_ints(&t, "starts", I64(1, -2), 2);
    tn_ints(&t, "ends", I64(2, 5), 2);
    NNQ_ASSERT_OK(run_node(&t, 9, NULL, &x, 1, &out, 1));
    expect_bytes(out, I32(8, 9), 8);
    nnq_tensor_free(out);
    /* bad input */
    nnq_tensor *in[5] = {x, TT1(NNQ_DTYPE_INT64, 1, I64(0)), TT1(NNQ_DTYPE_INT64, 1, I64(1)),
                         TT1(NNQ_DTYPE_INT64, 1, I64(0)), TT1(NNQ_DTYPE_INT64, 1, I64(0))};
    tn_init(&t, "Slice", 5, 1);
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 5, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "steps[0] is 0");
    ((int64_t *)in[3]->data)[0] = 2;
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 4, &out, 1), NNQ_STATUS_AXIS_OUT_OF_RANGE,
                     "axes entry 2 outside [-2, 2)");
    nnq_tensor_free(in[2]);
    in[2] = TT1(NNQ_DTYPE_INT64, 2, I64(1, 1));
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 3, &out, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "same length");
    nnq_tensor_free(in[2]);
    in[2] = TT1(NNQ_DTYPE_FLOAT32, 1, F32(1));
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 3, &out, 1), NNQ_STATUS_DTYPE_MISMATCH,
                     "input 2 'x2' has type float32, expected int64 or int32");
    tt_free_all(in, 5);
}

static void test_gather(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_tensor *in[2] = {tt(NNQ_DTYPE_FLOAT32, 2, DIMS(3, 2), F32(1, 2, 3, 4, 5, 6)),
                         tt(NNQ_DTYPE_INT64, 2, DIMS(2, 2), I64(0, -1, 2, 1))};
    tn_init(&t, "Gather", 2, 1);
    check_f32(&t, 0, in, 2, 3, DIMS(2, 2, 2), F32(1, 2, 5, 6, 5, 6, 3, 4));
    tn_int(&t, "axis", -1);
    nnq_tensor_free(in[1]);
    in[1] = tt(NNQ_DTYPE_INT32, 0, NULL, I32(1)); /* scalar index drops the axis */
    check_f32(&t, 0, in, 2, 1, DIMS(3), F32(2, 4, 6));
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_INT32, 2, I32(0, 2));
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, in, 2, &out, 1), NNQ_STATUS_OUT_OF_RANGE,
                     "indices 'x1' element 1 is 2, outside [-2, 2)");
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_FLOAT32, 1, F32(0));
    NNQ_ASSERT_FAILS(run_node(&t, 0, NULL, in, 2, &out, 1), NNQ_STATUS_DTYPE_MISMATCH,
                     "indices 'x1' have type float32");
    tt_free_all(in, 2);
}

static void test_pad(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(2, 3), F32(1, 2, 3, 4, 5, 6));
    static const struct {
        const char *mode;
        int64_t pads[4];
        int64_t dims[2];
        float want[24];
    } cases[] = {
        {"constant", {1, 0, 0, 1}, {3, 4}, {9, 9, 9, 9, 1, 2, 3, 9, 4, 5, 6, 9}},
        {"edge", {0, 2, 1, 0}, {3, 5}, {1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 4, 4, 4, 5, 6}},
        {"reflect", {0, 2, 0, 2}, {2, 7}, {3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4}},
        {"wrap", {0, 1, 0, 2}, {2, 6}, {3, 1, 2, 3, 1, 2, 6, 4, 5, 6, 4, 5}},
        /* negative pads crop */
        {"constant", {-1, 0, 0, -1}, {1, 2}, {4, 5}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        nnq_tensor *in[3] = {x, TT1(NNQ_DTYPE_INT64, 4, cases[c].pads),
                             tt(NNQ_DTYPE_FLOAT32, 0, NULL, F32(9))};
        tn_init(&t, "Pad", 3, 1);
        tn_string(&t, "mode", cases[c].mode);
        check_f32(&t, 13, in, 3, 2, cases[c].dims, cases[c].want);
        tt_free_all(in + 1, 2);
    }
    /* opset 2: pads and value as attributes; axes input (opset 18) */
    tn_init(&t, "Pad", 1, 1);
    tn_ints(&t, "pads", I64(0, 1, 0, 0), 4);
    tn_float(&t, "value", -1);
    check_f32(&t, 2, &x, 1, 2, DIMS(2, 4), F32(-1, 1, 2, 3, -1, 4, 5, 6));
    nnq_tensor *in[4] = {x, TT1(NNQ_DTYPE_INT64, 2, I64(1, 1)), NULL, TT1(NNQ_DTYPE_INT64, 1, I64(-2))};
    tn_init(&t, "Pad", 4, 1);
    check_f32(&t, 18, in, 4, 2, DIMS(4, 3), F32(0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0));
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_INT64, 3, I64(1, 1, 1));
    NNQ_ASSERT_FAILS(run_node(&t, 18, NULL, in, 4, &out, 1), NNQ_STATUS_SHAPE_MISMATCH,
                     "pads has 3 entries; expected 2 x 1");
    tn_init(&t, "Pad", 4, 1);
    tn_string(&t, "mode", "symmetric");
    NNQ_ASSERT_FAILS(run_node(&t, 18, NULL, in, 4, &out, 1), NNQ_STATUS_UNKNOWN_NAME,
                     "mode 'symmetric'");
    /* fuzz finding: dim + begin + end overflowed int64 (UBSan) */
    nnq_tensor_free(in[1]);
    in[1] = TT1(NNQ_DTYPE_INT64, 2, I64(INT64_MAX, 1));
    tn_init(&t, "Pad", 4, 1);
    NNQ_ASSERT_FAILS(run_node(&t, 18, NULL, in, 4, &out, 1), NNQ_STATUS_SIZE_OVERFLOW,
                     "pads 9223372036854775807 and 1 on axis 0 of size 2 overflow int64");
    tt_free_all(in, 4);
}

static void test_resize(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    /* ONNX test_resize_upsample_scales_linear (opset 13, half_pixel) */
    nnq_tensor *in[4] = {tt(NNQ_DTYPE_FLOAT32, 4, DIMS(1, 1, 2, 2), F32(1, 2, 3, 4)), NULL,
                         TT1(NNQ_DTYPE_FLOAT32, 4, F32(1, 1, 2, 2)), NULL};
    tn_init(&t, "Resize", 3, 1);
    tn_string(&t, "mode", "linear");
    check_f32(&t, 13, in, 3, 4, DIMS(1, 1, 4, 4),
              F32(1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3,
                  3.25f, 3.75f, 4));
    /* opset 10 (asymmetric + floor): x / 3 -> 0,0,0,1,1,1 (hand derivation) */
    tn_init(&t, "Resize", 2, 1);
    nnq_tensor *in10[2] = {in[0], TT1(NNQ_DTYPE_FLOAT32, 4, F32(1, 1, 1, 3))};
    check_f32(&t, 10, in10, 2, 4, DIMS(1, 1, 2, 6), F32(1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4));
    nnq_tensor_free(in10[1]);
    tt_free_all(in, 4);

    /* ONNX test_resize_downsample_scales_nearest: scales 0.6 */
    in[0] = tt(NNQ_DTYPE_FLOAT32, 4, DIMS(1, 1, 2, 4), F32(1, 2, 3, 4, 5, 6, 7, 8));
    in[2] = TT1(NNQ_DTYPE_FLOAT32, 4, F32(1, 1, 0.6f, 0.6f));
    tn_init(&t, "Resize", 3, 1);
    check_f32(&t, 13, in, 3, 4, DIMS(1, 1, 1, 2), F32(1, 3));
    tt_free_all(in, 4);

    /* ONNX test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric
     * (first five output rows) */
    float x16[16];
    for (int i = 0; i < 16; i++) x16[i] = (float)(i + 1);
    in[0] = tt(NNQ_DTYPE_FLOAT32, 4, DIMS(1, 1, 4, 4), x16);
    in[1] = in[2] = NULL;
    in[3] = TT1(NNQ_DTYPE_INT64, 4, I64(1, 1, 8, 8));
    tn_init(&t, "Resize", 4, 1);
    tn_string(&t, "coordinate_transformation_mode", "asymmetric");
    tn_string(&t, "nearest_mode", "round_prefer_ceil");
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, in, 4, &out, 1));
    expect_shape(out, 4, DIMS(1, 1, 8, 8));
    static const float want[40] = {1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7, 7, 8, 8, 8,
                                   5, 6, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 11, 12, 12, 12,
                                   9, 10, 10, 11, 11, 12, 12, 12};
    for (int i = 0; i < 40; i++) assert_true(((float *)out->data)[i] == want[i]);
    nnq_tensor_free(out);
    /* align_corners linear to 3 columns: [1, 1.5, 2] per row (hand) */
    nnq_tensor *small = tt(NNQ_DTYPE_FLOAT32, 2, DIMS(1, 2), F32(1, 2));
    nnq_tensor *sz = TT1(NNQ_DTYPE_INT64, 1, I64(3));
    nnq_tensor *in2[4] = {small, NULL, NULL, sz};
    tn_init(&t, "Resize", 4, 1);
    tn_string(&t, "mode", "linear");
    tn_string(&t, "coordinate_transformation_mode", "align_corners");
    tn_ints(&t, "axes", I64(1), 1);
    check_f32(&t, 18, in2, 4, 2, DIMS(1, 3), F32(1, 1.5f, 2));
    /* bad input: both scales and sizes; unknown mode */
    in2[2] = in[3];
    NNQ_ASSERT_FAILS(run_node(&t, 18, NULL, in2, 4, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "exactly one of scales and sizes must be given (got both)");
    tn_init(&t, "Resize", 4, 1);
    tn_string(&t, "mode", "bicubic");
    NNQ_ASSERT_FAILS(run_node(&t, 18, NULL, in, 4, &out, 1), NNQ_STATUS_UNKNOWN_NAME,
                     "mode 'bicubic'");
    nnq_tensor_free(sz);
    nnq_tensor_free(small);
    tt_free_all(in, 4);
}

static void test_cast(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_tensor *x = TT1(NNQ_DTYPE_FLOAT32, 6, F32(1.9f, -1.9f, 300, -1e10f, NAN, 0.5f));
    static const struct {
        nnq_dtype to;
        size_t nbytes;
        uint8_t want[24];
    } cases[] = {
        /* truncation toward zero, saturation, NaN -> 0 */
        {NNQ_DTYPE_INT8, 6, {1, 0xFF, 127, 0x80, 0, 0}},
        {NNQ_DTYPE_UINT8, 6, {1, 0, 255, 0, 0, 0}},
        {NNQ_DTYPE_BOOL, 6, {1, 1, 1, 1, 1, 1}},
        /* binary16 of 1.9 rounds to 0x3F9A; 300 = 0x5CB0; -1e10 -> -inf;
         * 0.5 = 0x3800; NaN keeps its sign bit (positive) */
        {NNQ_DTYPE_FLOAT16, 12, {0x9A, 0x3F, 0x9A, 0xBF, 0xB0, 0x5C, 0x00, 0xFC, 0x00, 0x7E, 0x00, 0x38}},
        /* e4m3fn: 1.9 -> 1.875 (0x3F); 300 -> 288 (0x79); -1e10 saturates
         * to -448 (0xFE); NaN 0x7F; 0.5 = 0x30 */
        {NNQ_DTYPE_FLOAT8E4M3FN, 6, {0x3F, 0xBF, 0x79, 0xFE, 0x7F, 0x30}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        tn_init(&t, "Cast", 1, 1);
        tn_int(&t, "to", cases[c].to);
        NNQ_ASSERT_OK(run_node(&t, 19, NULL, &x, 1, &out, 1));
        assert_int_equal(out->dtype, cases[c].to);
        expect_bytes(out, cases[c].want, cases[c].nbytes);
        nnq_tensor_free(out);
    }
    /* saturate=0: out of range becomes NaN for e4m3fn, inf for e5m2 */
    tn_init(&t, "Cast", 1, 1);
    tn_int(&t, "to", NNQ_DTYPE_FLOAT8E4M3FN);
    tn_int(&t, "saturate", 0);
    NNQ_ASSERT_OK(run_node(&t, 19, NULL, &x, 1, &out, 1));
    assert_int_equal(((uint8_t *)out->data)[3] & 0x7F, 0x7F);
    nnq_tensor_free(out);
    nnq_tensor_free(x);
    /* int64 -> int32 keeps the low bits; -> float32; bool -> int64 */
    x = TT1(NNQ_DTYPE_INT64, 3, I64(0x100000005LL, -1, 16777217));
    tn_init(&t, "Cast", 1, 1);
    tn_int(&t, "to", NNQ_DTYPE_INT32);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, &x, 1, &out, 1));
    expect_bytes(out, I32(5, -1, 16777217), 12);
    nnq_tensor_free(out);
    tn_init(&t, "Cast", 1, 1);
    tn_int(&t, "to", NNQ_DTYPE_FLOAT32);
    NNQ_ASSERT_OK(run_node(&t, 13, NULL, &x, 1, &out, 1));
    expect_f32(out, F32(4294967301.0f, -1, 16777216), 3, 0);
    nnq_tensor_free(out);
    nnq_tensor_free(x);
    tn_init(&t, "Cast", 1, 1);
    tn_int(&t, "to", NNQ_DTYPE_STRING);
    x = TT1(NNQ_DTYPE_INT64, 1, I64(1));
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, &x, 1, &out, 1), NNQ_STATUS_UNSUPPORTED,
                     "cannot cast to type 8 (string)");
    nnq_tensor_free(x);
}

/* int4 / uint4 inputs: packed two per byte, element 2k in the low nibble
 * (ONNX IR "int4").  Bytes 0x81, 0xF7, 0x0 (odd length: the last high
 * nibble is padding) hold nibbles 1, 8, 7, 15, 0: as int4 1, -8, 7, -1, 0
 * (two's complement), as uint4 1, 8, 7, 15, 0. */
static void test_cast_int4(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out = NULL;
    static const struct {
        nnq_dtype from, to;
        int64_t want[5];
    } cases[] = {
        {NNQ_DTYPE_INT4, NNQ_DTYPE_FLOAT32, {1, -8, 7, -1, 0}},
        {NNQ_DTYPE_INT4, NNQ_DTYPE_INT32, {1, -8, 7, -1, 0}},
        {NNQ_DTYPE_UINT4, NNQ_DTYPE_FLOAT32, {1, 8, 7, 15, 0}},
        {NNQ_DTYPE_UINT4, NNQ_DTYPE_INT64, {1, 8, 7, 15, 0}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        nnq_tensor *x = TT1(cases[c].from, 5, U8(0x81, 0xF7, 0x00));
        tn_init(&t, "Cast", 1, 1);
        tn_int(&t, "to", cases[c].to);
        NNQ_ASSERT_OK(run_node(&t, 21, NULL, &x, 1, &out, 1));
        assert_int_equal(out->numel, 5);
        for (size_t i = 0; i < 5; i++) {
            if (cases[c].to == NNQ_DTYPE_FLOAT32)
                assert_true(((const float *)out->data)[i] == (float)cases[c].want[i]);
            else if (cases[c].to == NNQ_DTYPE_INT32)
                assert_int_equal(((const int32_t *)out->data)[i], cases[c].want[i]);
            else
                assert_int_equal(((const int64_t *)out->data)[i], cases[c].want[i]);
        }
        nnq_tensor_free(out);
        nnq_tensor_free(x);
    }
    /* int4 is an input type only */
    nnq_tensor *x = TT1(NNQ_DTYPE_INT8, 1, U8(1));
    tn_init(&t, "Cast", 1, 1);
    tn_int(&t, "to", NNQ_DTYPE_INT4);
    NNQ_ASSERT_FAILS(run_node(&t, 21, NULL, &x, 1, &out, 1), NNQ_STATUS_UNSUPPORTED,
                     "cannot cast to type 22 (int4)");
    nnq_tensor_free(x);
}

/* Transpose / Slice / Expand through a pool give the same bytes. */
static void test_threads(void **state) {
    (void)state;
    nnq_tensor *x = tt(NNQ_DTYPE_FLOAT32, 3, DIMS(33, 65, 17), NULL);
    float *p = x->data;
    for (size_t i = 0; i < x->numel; i++) p[i] = (float)i;
    tnode t;
    tn_init(&t, "Transpose", 1, 1);
    tn_ints(&t, "perm", I64(2, 0, 1), 3);
    nnq_tensor *ref, *out;
    NNQ_ASSERT_OK(run_node(&t, 0, NULL, &x, 1, &ref, 1));
    /* spot-check the definition y[k, i, j] = x[i, j, k] */
    assert_true(((float *)ref->data)[(5 * 33 + 7) * 65 + 11] == p[(7 * 65 + 11) * 17 + 5]);
    static const size_t threads[] = {2, 7};
    for (size_t k = 0; k < 2; k++) {
        nnq_pool *pool;
        NNQ_ASSERT_OK(nnq_pool_create(threads[k], &pool));
        NNQ_ASSERT_OK(run_node(&t, 0, pool, &x, 1, &out, 1));
        assert_memory_equal(out->data, ref->data, ref->nbytes);
        nnq_tensor_free(out);
        nnq_pool_free(pool);
    }
    nnq_tensor_free(ref);
    nnq_tensor_free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape),
        cmocka_unit_test(test_flatten_squeeze_unsqueeze),
        cmocka_unit_test(test_shape_expand_constants),
        cmocka_unit_test(test_transpose_concat_split),
        cmocka_unit_test(test_slice),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_pad),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_cast),
        cmocka_unit_test(test_cast_int4),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
