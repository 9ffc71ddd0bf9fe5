/*
 * test_resize.c - Resize cubic mode (cubic_coeff_a, exclude_outside, the
 * coordinate transforms), its separability and thread independence, and
 * its bad attributes with status and message.
 *
 * Goldens are hand derivations from the ONNX Resize definition: per axis an
 * output coordinate x reads taps floor(x) - 1 .. floor(x) + 2 (clamped to
 * the edge) with weights W(1 + t), W(t), W(1 - t), W(2 - t), t = x - floor(x),
 * and Keys' kernel
 *   W(s) = (a + 2) s^3 - (a + 3) s^2 + 1        for s <= 1
 *   W(s) = a s^3 - 5 a s^2 + 8 a s - 4 a        for 1 < s < 2.
 * With a = -0.75 (the default):
 *   W(0.25) = 225/256   W(0.75) = 67/256   W(1.25) = -27/256  W(1.75) = -9/256
 *   W(0.5)  = 152/256   W(1.5)  = -24/256
 * (each sums to 1 over its four taps).  The ONNX backend tests of the
 * 2-D cases run in the conformance suite.
 */
#include <stdlib.h>

#include "ops_test_util.h"

/* Resize of a float32 tensor by scales (or sizes when `sizes` is set). */
static nnq_tensor *resize_f32(const tnode *t, int64_t opset, nnq_pool *pool, int ndim,
                              const int64_t *dims, const float *x, const float *scales,
                              const int64_t *sizes, const float *roi) {
    nnq_tensor *in[4] = {tt(NNQ_DTYPE_FLOAT32, ndim, dims, x), NULL, NULL, NULL}, *out;
    if (roi) in[1] = TT1(NNQ_DTYPE_FLOAT32, 2 * ndim, roi);
    if (scales) in[2] = TT1(NNQ_DTYPE_FLOAT32, ndim, scales);
    if (sizes) in[3] = TT1(NNQ_DTYPE_INT64, ndim, sizes);
    NNQ_ASSERT_OK(run_node(t, opset, pool, in, 4, &out, 1));
    tt_free_all(in, 4);
    return out;
}

static void cubic_node(tnode *t, const char *ct) {
    tn_init(t, "Resize", 4, 1);
    tn_string(t, "mode", "cubic");
    if (ct) tn_string(t, "coordinate_transformation_mode", ct);
}

static const float ramp4[4] = {1, 2, 3, 4};

/*
 * [1, 2, 3, 4] at scale 2, half_pixel: x = o / 2 - 0.25, so t alternates
 * 0.75 (o even) and 0.25 (o odd).  Taps outside read the edge:
 *   o=0 x=-0.25 taps -2..1 = 1,1,1,2: (-9 + 67 + 225 - 27*2) / 256 = 229/256
 *   o=1 x=0.25  taps -1..2 = 1,1,2,3: (-27 + 225 + 67*2 - 9*3) / 256 = 305/256
 *   o=2 x=0.75  taps -1..2 = 1,1,2,3: (-9 + 67 + 225*2 - 27*3) / 256 = 427/256
 *   o=3 x=1.25  taps 0..3  = 1,2,3,4: (-27 + 225*2 + 67*3 - 9*4) / 256 = 588/256
 * and by the mirror symmetry of the ramp y[7 - o] = 5 - y[o].
 */
static void test_cubic_half_pixel(void **state) {
    (void)state;
    tnode t;
    cubic_node(&t, NULL);
    nnq_tensor *y = resize_f32(&t, 13, NULL, 1, DIMS(4), ramp4, F32(2), NULL, NULL);
    expect_shape(y, 1, DIMS(8));
    expect_f32(y, F32(229 / 256.0f, 305 / 256.0f, 427 / 256.0f, 588 / 256.0f, 692 / 256.0f,
                      853 / 256.0f, 975 / 256.0f, 1051 / 256.0f),
               8, 0.0f);
    nnq_tensor_free(y);

    /* The same from sizes; pytorch_half_pixel equals half_pixel here. */
    cubic_node(&t, "pytorch_half_pixel");
    y = resize_f32(&t, 13, NULL, 1, DIMS(4), ramp4, NULL, I64(8), NULL);
    assert_true(((float *)y->data)[0] == 229 / 256.0f && ((float *)y->data)[7] == 1051 / 256.0f);
    nnq_tensor_free(y);
}

/*
 * exclude_outside = 1: taps outside [0, 3] get weight 0 and the rest are
 * divided by their sum.  Inner outputs (o = 3, 4) read no outside tap:
 *   o=0 inside taps 0,1 weights 225, -27 (sum 198): (225 - 27*2) / 198 = 19/22
 *   o=1 inside taps 0..2 weights 225, 67, -9 (sum 283): (225 + 134 - 27) / 283
 *   o=2 inside taps 0..2 weights 67, 225, -27 (sum 265): (67 + 450 - 81) / 265
 * and again y[7 - o] = 5 - y[o].
 */
static void test_cubic_exclude_outside(void **state) {
    (void)state;
    tnode t;
    cubic_node(&t, NULL);
    tn_int(&t, "exclude_outside", 1);
    nnq_tensor *y = resize_f32(&t, 13, NULL, 1, DIMS(4), ramp4, F32(2), NULL, NULL);
    expect_f32(y, F32(19 / 22.0f, 332 / 283.0f, 436 / 265.0f, 588 / 256.0f, 692 / 256.0f,
                      889 / 265.0f, 1083 / 283.0f, 91 / 22.0f),
               8, 1e-6f);
    nnq_tensor_free(y);
}

/*
 * align_corners to 7: x = o * 3 / 6 = o / 2.  Whole x reads the element
 * itself (t = 0: weights 0, 1, 0, 0); half x weights -24, 152, 152, -24:
 *   x=0.5 taps -1..2 = 1,1,2,3: (-24 + 152 + 304 - 72) / 256 = 1.40625
 *   x=1.5 taps 0..3  = 1,2,3,4: (-24 + 304 + 456 - 96) / 256 = 2.5
 * With cubic_coeff_a = -0.5: W(0.5) = 0.5625, W(1.5) = -0.0625, so x = 0.5
 * gives -0.0625 + 0.5625 + 1.125 - 0.1875 = 1.4375.
 */
static void test_cubic_align_corners_and_a(void **state) {
    (void)state;
    tnode t;
    cubic_node(&t, "align_corners");
    nnq_tensor *y = resize_f32(&t, 13, NULL, 1, DIMS(4), ramp4, NULL, I64(7), NULL);
    expect_f32(y, F32(1, 1.40625f, 2, 2.5f, 3, 3.59375f, 4), 7, 0.0f);
    nnq_tensor_free(y);
    tn_float(&t, "cubic_coeff_a", -0.5f);
    y = resize_f32(&t, 13, NULL, 1, DIMS(4), ramp4, NULL, I64(7), NULL);
    expect_f32(y, F32(1, 1.4375f, 2, 2.5f, 3, 3.5625f, 4), 7, 0.0f);
    nnq_tensor_free(y);
}

/*
 * asymmetric at scale 2: x = o / 2, so the same values as align_corners to
 * 7 for o <= 6 and o = 7 (x = 3.5, taps 2..5 = 3,4,4,4) gives
 * (-24*3 + 152*4 + 152*4 - 24*4) / 256 = 1048/256 = 4.09375.
 * tf_crop_and_resize with roi [0, 2] to 3: x = 3 o, so x = 6 lies past the
 * last input index and takes extrapolation_value.
 */
static void test_cubic_asymmetric_and_crop(void **state) {
    (void)state;
    tnode t;
    cubic_node(&t, "asymmetric");
    nnq_tensor *y = resize_f32(&t, 13, NULL, 1, DIMS(4), ramp4, F32(2), NULL, NULL);
    expect_f32(y, F32(1, 1.40625f, 2, 2.5f, 3, 3.59375f, 4, 4.09375f), 8, 0.0f);
    nnq_tensor_free(y);
    cubic_node(&t, "tf_crop_and_resize");
    tn_float(&t, "extrapolation_value", 9);
    y = resize_f32(&t, 13, NULL, 1, DIMS(4), ramp4, NULL, I64(3), F32(0, 2));
    expect_f32(y, F32(1, 4, 9), 3, 0.0f);
    nnq_tensor_free(y);
}

/*
 * Edge cases.  One input element: every tap reads it and the weights sum to
 * 1, so each output is that element.  An empty output axis gives an empty
 * tensor.  An unscaled axis reads only its own element, so NaN and Inf stay
 * in their row; along the scaled axis they reach every output whose taps
 * weight them (x = -0.25 .. 1.75 for element 0, 1.25 .. 3.25 for element
 * 3).  Inf times a negative lobe weight is -Inf, and like the ONNX reference
 * the edge copies of Inf are separate terms, so +Inf and -Inf meet as NaN.
 */
static void test_cubic_edges(void **state) {
    (void)state;
    tnode t;
    cubic_node(&t, NULL);
    nnq_tensor *y = resize_f32(&t, 13, NULL, 1, DIMS(1), F32(-3.5f), F32(3), NULL, NULL);
    expect_f32(y, F32(-3.5f, -3.5f, -3.5f), 3, 0.0f);
    nnq_tensor_free(y);
    tn_int(&t, "exclude_outside", 1);
    y = resize_f32(&t, 13, NULL, 1, DIMS(1), F32(-3.5f), F32(3), NULL, NULL);
    expect_f32(y, F32(-3.5f, -3.5f, -3.5f), 3, 0.0f);
    nnq_tensor_free(y);

    cubic_node(&t, NULL);
    y = resize_f32(&t, 13, NULL, 2, DIMS(2, 4), NULL, NULL, I64(0, 8), NULL);
    expect_shape(y, 2, DIMS(0, 8));
    assert_int_equal(y->numel, 0);
    nnq_tensor_free(y);

    /* rows [NaN, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, Inf] at scales [1, 2] */
    y = resize_f32(&t, 13, NULL, 2, DIMS(3, 4), F32(NAN, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, INFINITY),
                   F32(1, 2), NULL, NULL);
    const float *v = y->data;
    for (int j = 0; j < 8; j++) assert_true(v[8 + j] == 1.0f);
    for (int j = 0; j < 5; j++) assert_true(isnan(v[j]));
    for (int j = 5; j < 8; j++) assert_true(v[j] == 1.0f);
    /* x = 1.25 and 1.75 weight element 3 by -9/256 and -27/256 only; from
     * x = 2.25 on, its clamped copies carry weights of both signs */
    for (int j = 0; j < 3; j++) assert_true(v[16 + j] == 1.0f);
    assert_true(v[19] == -INFINITY && v[20] == -INFINITY);
    for (int j = 5; j < 8; j++) assert_true(isnan(v[16 + j]));
    nnq_tensor_free(y);
}

/* Separable weights: x[i][j] = 10 (i + 1) + (j + 1) resizes to
 * 10 r[o] + r[p] where r is the 1-D ramp result (weights sum to 1). */
static void test_cubic_2d_separable(void **state) {
    (void)state;
    static const float r[8] = {229 / 256.0f, 305 / 256.0f, 427 / 256.0f, 588 / 256.0f,
                               692 / 256.0f, 853 / 256.0f, 975 / 256.0f, 1051 / 256.0f};
    float x[16], want[64];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)(10 * (i + 1) + j + 1);
    for (int o = 0; o < 8; o++)
        for (int p = 0; p < 8; p++) want[o * 8 + p] = 10.0f * r[o] + r[p];
    tnode t;
    cubic_node(&t, NULL);
    nnq_tensor *y = resize_f32(&t, 13, NULL, 4, DIMS(1, 1, 4, 4), x, F32(1, 1, 2, 2), NULL,
                               NULL);
    expect_shape(y, 4, DIMS(1, 1, 8, 8));
    expect_f32(y, want, 64, 0.0f);
    nnq_tensor_free(y);
}

/* Every axis of a rank-6 tensor resized (4 -> 8): a sum of per-axis ramps
 * comes out as the sum of the 1-D results (each axis's weights sum to 1).
 * Evaluated axis by axis this is 6 x 4 terms per element; the earlier
 * tensor-product evaluation took 4^6 (fuzz_exec found rank-8 resizes
 * running for minutes). */
static void test_cubic_rank6_all_axes(void **state) {
    (void)state;
    static const double r[8] = {229 / 256.0, 305 / 256.0, 427 / 256.0, 588 / 256.0,
                                692 / 256.0, 853 / 256.0, 975 / 256.0, 1051 / 256.0};
    enum { ND = 6, NI = 4096, NO = 262144 };
    float *x = malloc(NI * sizeof *x);
    for (int e = 0; e < NI; e++) {
        double v = 0;
        for (int d = 0, rem = e; d < ND; d++, rem /= 4)
            v += (double)(1 << d) * (double)(rem % 4 + 1);
        x[e] = (float)v;
    }
    tnode t;
    cubic_node(&t, NULL);
    nnq_tensor *y = resize_f32(&t, 13, NULL, ND, DIMS(4, 4, 4, 4, 4, 4), x,
                               F32(2, 2, 2, 2, 2, 2), NULL, NULL);
    expect_shape(y, ND, DIMS(8, 8, 8, 8, 8, 8));
    const float *yd = y->data;
    for (int e = 0; e < NO; e++) {
        double v = 0;
        for (int d = 0, rem = e; d < ND; d++, rem /= 8)
            v += (double)(1 << d) * r[rem % 8];
        if (yd[e] != (float)v) fail_msg("element %d: %.9g, want %.9g", e, (double)yd[e], v);
    }
    nnq_tensor_free(y);
    free(x);
}

/* Large enough to go through the pool: 1, 2 and 7 threads agree bitwise. */
static void test_cubic_threads(void **state) {
    (void)state;
    enum { N = 3 * 40 * 40 };
    static float x[N];
    nnq_rng rng;
    uint64_t seed = nnq_test_seed();
    nnq_rng_seed(&rng, seed, 5);
    for (int i = 0; i < N; i++) x[i] = nnq_rng_normal(&rng);
    tnode t;
    cubic_node(&t, NULL);
    tn_int(&t, "exclude_outside", 1);
    nnq_tensor *ref = resize_f32(&t, 13, NULL, 4, DIMS(1, 3, 40, 40), x, F32(1, 1, 2, 1.5f), NULL,
                                 NULL);
    expect_shape(ref, 4, DIMS(1, 3, 80, 60));
    static const size_t threads[] = {2, 7};
    for (size_t k = 0; k < 2; k++) {
        nnq_pool *pool;
        NNQ_ASSERT_OK(nnq_pool_create(threads[k], &pool));
        nnq_tensor *y = resize_f32(&t, 13, pool, 4, DIMS(1, 3, 40, 40), x, F32(1, 1, 2, 1.5f),
                                   NULL, NULL);
        assert_memory_equal(y->data, ref->data, ref->nbytes);
        nnq_tensor_free(y);
        nnq_pool_free(pool);
    }
    nnq_tensor_free(ref);
}

static void test_cubic_bad_input(void **state) {
    (void)state;
    tnode t;
    nnq_tensor *out;
    nnq_tensor *in[4] = {TT1(NNQ_DTYPE_FLOAT32, 4, ramp4), NULL, TT1(NNQ_DTYPE_FLOAT32, 1, F32(2)),
                         NULL};
    cubic_node(&t, NULL);
    tn_int(&t, "cubic_coeff_a", -1);
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 3, &out, 1), NNQ_STATUS_INVALID_FORMAT,
                     "attribute 'cubic_coeff_a' has type 2, expected float");
    cubic_node(&t, NULL);
    tn_float(&t, "cubic_coeff_a", NAN);
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 3, &out, 1), NNQ_STATUS_OUT_OF_RANGE,
                     "cubic_coeff_a = nan is not finite");
    cubic_node(&t, NULL);
    tn_int(&t, "exclude_outside", 2);
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 3, &out, 1), NNQ_STATUS_OUT_OF_RANGE,
                     "exclude_outside = 2 is not 0 or 1");
    cubic_node(&t, NULL);
    tn_int(&t, "antialias", 1);
    NNQ_ASSERT_FAILS(run_node(&t, 18, NULL, in, 3, &out, 1), NNQ_STATUS_UNSUPPORTED,
                     "antialias=1 is not supported");
    tn_init(&t, "Resize", 4, 1);
    tn_string(&t, "mode", "bicubic");
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 3, &out, 1), NNQ_STATUS_UNKNOWN_NAME,
                     "node 'Resize_node' (Resize): attribute mode 'bicubic' is not supported");
    /* Resize-10 has nearest and linear only (scales is input 1 there) */
    cubic_node(&t, NULL);
    nnq_tensor *in10[2] = {in[0], in[2]};
    NNQ_ASSERT_FAILS(run_node(&t, 10, NULL, in10, 2, &out, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "mode 'cubic' needs opset 11 or later (model has opset 10)");
    nnq_tensor_free(in[0]);
    in[0] = TT1(NNQ_DTYPE_INT32, 4, I32(1, 2, 3, 4));
    NNQ_ASSERT_FAILS(run_node(&t, 13, NULL, in, 3, &out, 1), NNQ_STATUS_UNSUPPORTED,
                     "cubic mode needs float32 input, 'x0' is int32");
    tt_free_all(in, 4);
}

/* Fuzz finding: a huge (or infinite) scale or size made the output dim a
 * double beyond int64 and its conversion undefined (UBSan). */
static void test_resize_huge_output(void **state) {
    (void)state;
    tnode t;
    nnq_out_shape shapes[1];
    nnq_tensor *in[4] = {TT1(NNQ_DTYPE_FLOAT32, 4, ramp4), NULL, NULL, NULL};
    static const float scales[] = {4.6e24f, INFINITY};
    for (size_t k = 0; k < 2; k++) {
        tn_init(&t, "Resize", 4, 1);
        tn_string(&t, "mode", "linear");
        nnq_tensor_free(in[2]);
        in[2] = TT1(NNQ_DTYPE_FLOAT32, 1, &scales[k]);
        NNQ_ASSERT_FAILS(infer_node(&t, 13, in, 3, shapes, 1), NNQ_STATUS_OUT_OF_RANGE,
                         "resized axis 0 would have ");
    }
    /* An input dim unknown at create time (-1) stays unknown, whatever the
     * scale (it became -6.5e26 and overflowed the conversion). */
    nnq_tensor x_unknown = *in[0];
    x_unknown.dims[0] = -1;
    nnq_tensor *in_u[3] = {&x_unknown, NULL, in[2]};
    NNQ_ASSERT_OK(infer_node(&t, 13, in_u, 3, shapes, 1));
    assert_int_equal(shapes[0].dims[0], -1);
    nnq_tensor_free(in[2]);
    in[2] = NULL;
    /* not_larger keeps the aspect ratio: 2^63 - 1 rounds up to 2^63. */
    tn_init(&t, "Resize", 4, 1);
    tn_string(&t, "keep_aspect_ratio_policy", "not_larger");
    in[3] = TT1(NNQ_DTYPE_INT64, 1, I64(INT64_MAX));
    NNQ_ASSERT_FAILS(infer_node(&t, 18, in, 4, shapes, 1), NNQ_STATUS_OUT_OF_RANGE,
                     "more than 2^62");
    tt_free_all(in, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cubic_half_pixel),
        cmocka_unit_test(test_cubic_exclude_outside),
        cmocka_unit_test(test_cubic_align_corners_and_a),
        cmocka_unit_test(test_cubic_asymmetric_and_crop),
        cmocka_unit_test(test_cubic_edges),
        cmocka_unit_test(test_cubic_2d_separable),
        cmocka_unit_test(test_cubic_rank6_all_axes),
        cmocka_unit_test(test_cubic_threads),
        cmocka_unit_test(test_cubic_bad_input),
        cmocka_unit_test(test_resize_huge_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
