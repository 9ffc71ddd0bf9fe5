/* test_quant_int.c - integer quantization: golden vectors, layouts, bad input,
 * SIMD == scalar, thread invariance, error bound. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "quant/quant_internal.h"

static const nnq_int_format INT8 = {8, false, true};
static const nnq_int_format UINT8_FULL = {8, true, false};

static void layout_tensor(nnq_qlayout *l, int ndim, const int64_t *dims) {
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(ndim, dims, l));
}

/* pytorch-quantization documentation example (tensor_quant / fake_tensor_quant,
 * DESIGN.md section 3): x printed to 4 places, amax = max|x|, 8 bits. */
static void t_pytorch_quantization_doc(void **state) {
    (void)state;
    static const float x[10] = {0.9817f, 0.8796f, 0.9921f, 0.4611f, 0.0832f,
                                0.1784f, 0.3674f, 0.5676f, 0.3376f, 0.2119f};
    static const int8_t q_want[10] = {126, 113, 127, 59, 11, 23, 47, 73, 43, 27};
    static const float fq_want[10] = {0.9843f, 0.8828f, 0.9921f, 0.4609f, 0.0859f,
                                      0.1797f, 0.3672f, 0.5703f, 0.3359f, 0.2109f};
    int64_t dims[1] = {10};
    nnq_qlayout l;
    float amax, fq[10], scale;
    int8_t q[10];
    layout_tensor(&l, 1, dims);
    NNQ_ASSERT_OK(nnq_quant_amax(x, &l, &amax, NULL));
    assert_true(amax == 0.9921f);
    NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax, &INT8, q, NULL));
    assert_memory_equal(q, q_want, sizeof q);
    /* The documented scale 128.0057 belongs to the unrounded amax; use the
     * amax it implies so the fake-quant values match to the 4 printed places. */
    float amax_doc = 127.0f / 128.0057f;
    NNQ_ASSERT_OK(nnq_amax_to_scale(amax_doc, &INT8, &scale));
    assert_true(fabsf(scale - 128.0057f) < 1e-4f);
    NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &l, &amax_doc, &INT8, fq, NULL));
    for (int i = 0; i < 10; i++) /* the documented values are rounded to 4 places */
        if (fabsf(fq[i] - fq_want[i]) > 0.51e-4f)
            fail_msg("fq[%d] = %.6f, documented %.4f", i, (double)fq[i], (double)fq_want[i]);
    NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax_doc, &INT8, q, NULL));
    assert_memory_equal(q, q_want, sizeof q);
}

/* ONNX node tests from Debian libonnx-testdata 1.12
 * (/usr/share/libonnx-testdata/data/node/test_{quantize,dequantize}linear{,_axis}),
 * read once with:
 *   /usr/bin/python3 -c 'import onnx, onnx.numpy_helper as nh; t = onnx.TensorProto();
 *     t.ParseFromString(open(P, "rb").read()); print(nh.to_array(t).flatten().tolist())'
 * for P in test_data_set_0/{input_0,input_1,input_2,output_0}.pb. */
static void t_onnx_quantizelinear(void **state) {
    (void)state;
    static const float x[6] = {0.0f, 2.0f, 3.0f, 1000.0f, -254.0f, -1000.0f};
    static const uint8_t y_want[6] = {128, 129, 130, 255, 1, 0};
    float scale = 2.0f, back[6];
    int32_t zp = 128;
    uint8_t y[6];
    int64_t dims[1] = {6};
    nnq_qlayout l;
    layout_tensor(&l, 1, dims);
    NNQ_ASSERT_OK(nnq_quantize_linear(x, &l, &scale, &zp, &UINT8_FULL, y, NULL));
    assert_memory_equal(y, y_want, 6);

    static const uint8_t dq_in[4] = {0, 3, 128, 255};
    static const float dq_want[4] = {-256.0f, -250.0f, 0.0f, 254.0f};
    int64_t d4[1] = {4};
    layout_tensor(&l, 1, d4);
    NNQ_ASSERT_OK(nnq_dequantize_linear(dq_in, &l, &scale, &zp, &UINT8_FULL, back, NULL));
    assert_memory_equal(back, dq_want, sizeof dq_want);
}

static void t_onnx_quantizelinear_axis(void **state) {
    (void)state;
    static const float x[18] = {-162.0f, 10.0f,  -100.0f, 232.0f,  -20.0f,  -50.0f,
                                -76.0f,  0.0f,   0.0f,    252.0f,  32.0f,   -44.0f,
                                245.0f,  -485.0f, -960.0f, -270.0f, -375.0f, -470.0f};
    static const uint8_t y_want[18] = {3,  89, 34, 200, 74,  59,  5,   24,  24,
                                       87, 32, 13, 245, 99,  4,   142, 121, 102};
    static const float scale[3] = {2.0f, 4.0f, 5.0f};
    static const int32_t zp[3] = {84, 24, 196};
    int64_t dims[4] = {1, 3, 3, 2};
    int axis = 1;
    nnq_qlayout l;
    uint8_t y[18];
    float back[18];
    NNQ_ASSERT_OK(nnq_qlayout_per_axes(4, dims, &axis, 1, &l));
    assert_int_equal(nnq_qlayout_nscales(&l), 3);
    NNQ_ASSERT_OK(nnq_quantize_linear(x, &l, scale, zp, &UINT8_FULL, y, NULL));
    assert_memory_equal(y, y_want, 18);
    /* test_dequantizelinear_axis is the exact inverse of this vector. */
    NNQ_ASSERT_OK(nnq_dequantize_linear(y_want, &l, scale, zp, &UINT8_FULL, back, NULL));
    assert_memory_equal(back, x, sizeof x);
}

/* The amax convention multiplies by bound / amax, ONNX divides by
 * y_scale = amax / bound: at a tie they can differ.  Vector found with numpy
 * (float32 arithmetic): amax = 0.7817, x = bits 0xbec4f6bb (-0.3846949):
 *   x * (127 / amax) = -62.500004 -> -63,  x / (amax / 127) = -62.5 -> -62. */
static void t_amax_vs_onnx_tie(void **state) {
    (void)state;
    uint32_t bits = 0xbec4f6bbu;
    float x, amax = 0.7817f, yscale = 0.7817f / 127.0f;
    memcpy(&x, &bits, sizeof x);
    int64_t dims[1] = {1};
    nnq_qlayout l;
    int8_t qa, qo;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(1, dims, &l));
    NNQ_ASSERT_OK(nnq_quantize_amax(&x, &l, &amax, &INT8, &qa, NULL));
    NNQ_ASSERT_OK(nnq_quantize_linear(&x, &l, &yscale, NULL, &INT8, &qo, NULL));
    assert_int_equal(qa, -63);
    assert_int_equal(qo, -62);
}

/* Hand-derived amax-convention cases: per-axis with ties, 16-bit, unsigned,
 * full range, tiny amax, NaN / Inf. */
static void t_amax_hand_cases(void **state) {
    (void)state;
    nnq_qlayout l;
    /* axis 0 of [[1, -0.5, 0.25], [4, 2, -4]], amax [1, 4]: scales 127, 31.75;
     * -0.5 * 127 = -63.5 -> -64 and 2 * 31.75 = 63.5 -> 64 (ties to even). */
    {
        static const float x[6] = {1.0f, -0.5f, 0.25f, 4.0f, 2.0f, -4.0f};
        static const int8_t want[6] = {127, -64, 32, 127, 64, -127};
        const float amax[2] = {1.0f, 4.0f};
        int64_t dims[2] = {2, 3};
        int axis = 0;
        int8_t q[6];
        NNQ_ASSERT_OK(nnq_qlayout_per_axes(2, dims, &axis, 1, &l));
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, amax, &INT8, q, NULL));
        assert_memory_equal(q, want, 6);
    }
    /* Last axis kept (per-element scales): amax [3, 4] for [[1, 2], [3, 4]]:
     * 1 * 127/3 = 42.33 -> 42, 2 * 31.75 = 63.5 -> 64. */
    {
        static const float x[4] = {1.0f, 2.0f, 3.0f, 4.0f};
        static const int8_t want[4] = {42, 64, 127, 127};
        const float amax[2] = {3.0f, 4.0f};
        int64_t dims[2] = {2, 2};
        int axis = -1;
        int8_t q[4];
        NNQ_ASSERT_OK(nnq_qlayout_per_axes(2, dims, &axis, 1, &l));
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, amax, &INT8, q, NULL));
        assert_memory_equal(q, want, 4);
    }
    int64_t d3[1] = {3};
    layout_tensor(&l, 1, d3);
    {
        const nnq_int_format f16 = {16, false, true};
        static const float x[3] = {1.0f, -0.5f, 0.25f};
        static const int16_t want[3] = {32767, -16384, 8192}; /* -16383.5 -> -16384 */
        float amax = 1.0f;
        int16_t q[3];
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax, &f16, q, NULL));
        assert_memory_equal(q, want, sizeof want);
        assert_int_equal(nnq_int_format_dtype(&f16), NNQ_DTYPE_INT16);
    }
    {
        const nnq_int_format u4 = {4, true, true};
        static const float x[3] = {0.0f, 1.0f, 0.5f};
        static const uint8_t want[3] = {0, 15, 8}; /* 7.5 -> 8 */
        float amax = 1.0f, fq[3];
        uint8_t q[3];
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax, &u4, q, NULL));
        assert_memory_equal(q, want, 3);
        NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &l, &amax, &u4, fq, NULL));
        assert_true(fq[2] == 8.0f / 15.0f);
        NNQ_ASSERT_OK(nnq_dequantize_amax(q, &l, &amax, &u4, fq, NULL));
        assert_true(fq[1] == 1.0f && fq[2] == 8.0f / 15.0f);
    }
    {
        const nnq_int_format full = {8, false, false};
        static const float x[3] = {-2.0f, 2.0f, -1.0f};
        float amax = 1.0f;
        int8_t q[3];
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax, &full, q, NULL));
        assert_int_equal(q[0], -128);
        assert_int_equal(q[1], 127);
        assert_int_equal(q[2], -127);
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax, &INT8, q, NULL));
        assert_int_equal(q[0], -127);
    }
    {
        /* amax <= 2^-24 quantizes to zero (pytorch-quantization epsilon). */
        static const float x[3] = {1.0f, -3.0f, NAN};
        float amax = 5.9604644775390625e-8f, fq[3], scale;
        int8_t q[3];
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax, &INT8, q, NULL));
        assert_true(q[0] == 0 && q[1] == 0 && q[2] == 0);
        /* fake quant: rne(x * 0) / 1 as pytorch-quantization: +0, -0, NaN */
        NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &l, &amax, &INT8, fq, NULL));
        assert_true(nnq_test_same_bits(fq[0], 0.0f) && nnq_test_same_bits(fq[1], -0.0f));
        assert_true(isnan(fq[2]));
        NNQ_ASSERT_OK(nnq_amax_to_scale(amax, &INT8, &scale));
        assert_true(scale == 0.0f);
        amax = 1.2e-7f;
        NNQ_ASSERT_OK(nnq_amax_to_scale(amax, &INT8, &scale));
        assert_true(scale == 127.0f / 1.2e-7f);
    }
    {
        static const float x[3] = {NAN, INFINITY, -INFINITY};
        float amax = 1.0f, fq[3];
        int8_t q[3];
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, &amax, &INT8, q, NULL));
        assert_true(q[0] == 0 && q[1] == 127 && q[2] == -127);
        NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &l, &amax, &INT8, fq, NULL));
        assert_true(isnan(fq[0]) && fq[1] == 1.0f && fq[2] == -1.0f);
    }
}

/* Block layouts: [2, 4] in blocks of 2 along axis 1, and an n-d block. */
static void t_block_layouts(void **state) {
    (void)state;
    static const float x[8] = {1.0f, 0.5f, 2.0f, -1.0f, 0.25f, 0.125f, 8.0f, 4.0f};
    const float amax[4] = {1.0f, 2.0f, 0.25f, 8.0f};
    static const int8_t want[8] = {127, 64, 127, -64, 127, 64, 127, 64}; /* 63.5 -> 64 */
    int64_t dims[2] = {2, 4}, sd[2];
    nnq_qlayout l;
    int8_t q[8];
    float got[4];
    NNQ_ASSERT_OK(nnq_qlayout_per_block(2, dims, 1, 2, &l));
    nnq_qlayout_scale_dims(&l, sd);
    assert_true(sd[0] == 2 && sd[1] == 2);
    NNQ_ASSERT_OK(nnq_quant_amax(x, &l, got, NULL));
    assert_memory_equal(got, amax, sizeof amax);
    NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, amax, &INT8, q, NULL));
    assert_memory_equal(q, want, 8);
    /* 2x2 blocks of a [2, 4]: scales [1, 2]: block 0 = {1, .5, .25, .125}. */
    const int64_t blk[2] = {2, 2};
    NNQ_ASSERT_OK(nnq_qlayout_blocks(2, dims, blk, &l));
    assert_int_equal(nnq_qlayout_nscales(&l), 2);
    NNQ_ASSERT_OK(nnq_quant_amax(x, &l, got, NULL));
    assert_true(got[0] == 1.0f && got[1] == 8.0f);
    /* 0 in a block shape means the whole dimension. */
    const int64_t blk0[2] = {0, 2};
    NNQ_ASSERT_OK(nnq_qlayout_blocks(2, dims, blk0, &l));
    assert_int_equal(nnq_qlayout_nscales(&l), 2);
    float mins[2], maxs[2];
    NNQ_ASSERT_OK(nnq_quant_minmax(x, &l, mins, maxs, NULL));
    assert_true(mins[0] == 0.125f && maxs[0] == 1.0f && mins[1] == -1.0f && maxs[1] == 8.0f);
}

/* coremltools linear / linear_symmetric and torch.ao observer parameters,
 * hand-derived from the formulas in DESIGN.md section 3. */
static void t_qparams_hand(void **state) {
    (void)state;
    const nnq_int_format s8 = {8, false, false}, u8 = {8, true, false}, s4 = {4, false, false},
                         u4 = {4, true, false};
    float s;
    int32_t z, lo, hi;
    /* linear_symmetric int8: R = 31.75 -> s = 31.75 / 127 = 0.25, z = 0, grid [-127, 127]. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(-31.75f, 1.0f, NNQ_QPARAM_COREML_LINEAR_SYMMETRIC, &s8, &s, &z));
    assert_true(s == 0.25f && z == 0);
    NNQ_ASSERT_OK(nnq_qparam_rule_bounds(NNQ_QPARAM_COREML_LINEAR_SYMMETRIC, &s8, &lo, &hi));
    assert_true(lo == -127 && hi == 127);
    {
        static const float x[5] = {-31.75f, 1.0f, 0.125f, 0.375f, 100.0f};
        static const int8_t want[5] = {-127, 4, 0, 2, 127}; /* 0.5 -> 0, 1.5 -> 2 */
        const nnq_int_format narrow = {8, false, true};
        int64_t d[1] = {5};
        nnq_qlayout l;
        int8_t q[5];
        layout_tensor(&l, 1, d);
        NNQ_ASSERT_OK(nnq_quantize_linear(x, &l, &s, &z, &narrow, q, NULL));
        assert_memory_equal(q, want, 5);
    }
    /* linear_symmetric uint8: grid [0, 254], z = 127. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(-31.75f, 1.0f, NNQ_QPARAM_COREML_LINEAR_SYMMETRIC, &u8, &s, &z));
    assert_true(s == 0.25f && z == 127);
    NNQ_ASSERT_OK(nnq_qparam_rule_bounds(NNQ_QPARAM_COREML_LINEAR_SYMMETRIC, &u8, &lo, &hi));
    assert_true(lo == 0 && hi == 254);
    /* linear_symmetric int4: [-7, 7], R = 3.5 -> s = 0.5. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(0.0f, 3.5f, NNQ_QPARAM_COREML_LINEAR_SYMMETRIC, &s4, &s, &z));
    assert_true(s == 0.5f && z == 0);
    /* linear uint8 on [-1, 3]: s = 4 / 255, z = rne((0 * 3 - 255 * -1) / 4) = rne(63.75) = 64. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(-1.0f, 3.0f, NNQ_QPARAM_COREML_LINEAR, &u8, &s, &z));
    assert_true(s == 4.0f / 255.0f && z == 64);
    /* linear int8 on [-1, 3]: z = rne((-128 * 3 - 127 * -1) / 4) = rne(-64.25) = -64. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(-1.0f, 3.0f, NNQ_QPARAM_COREML_LINEAR, &s8, &s, &z));
    assert_true(s == 4.0f / 255.0f && z == -64);
    /* linear widens [2, 6] to [0, 6]: int8 z = rne(-128 * 6 / 6) = -128. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(2.0f, 6.0f, NNQ_QPARAM_COREML_LINEAR, &s8, &s, &z));
    assert_true(s == 6.0f / 255.0f && z == -128);
    /* zero range: scale 1, zero point encoding 0. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(0.0f, 0.0f, NNQ_QPARAM_COREML_LINEAR, &u8, &s, &z));
    assert_true(s == 1.0f && z == 0);
    NNQ_ASSERT_OK(nnq_qparams_from_range(0.0f, 0.0f, NNQ_QPARAM_COREML_LINEAR_SYMMETRIC, &u8, &s, &z));
    assert_true(s == 1.0f && z == 127);
    /* torch affine quint8 on [-1, 3]: s = 4 / 255, z = 0 - rne(-1 / s) = 64. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(-1.0f, 3.0f, NNQ_QPARAM_TORCH_AFFINE, &u8, &s, &z));
    assert_true(s == 4.0f / 255.0f && z == 64);
    /* torch affine on a zero range: scale clamped to eps. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(0.0f, 0.0f, NNQ_QPARAM_TORCH_AFFINE, &u8, &s, &z));
    assert_true(s == FLT_EPSILON && z == 0);
    /* torch symmetric qint8: s = 3 / 127.5, z = 0; quint8: z = 128; 4-bit unsigned: 7. */
    NNQ_ASSERT_OK(nnq_qparams_from_range(-1.0f, 3.0f, NNQ_QPARAM_TORCH_SYMMETRIC, &s8, &s, &z));
    assert_true(s == 3.0f / 127.5f && z == 0);
    NNQ_ASSERT_OK(nnq_qparams_from_range(-1.0f, 3.0f, NNQ_QPARAM_TORCH_SYMMETRIC, &u8, &s, &z));
    assert_true(s == 3.0f / 127.5f && z == 128);
    NNQ_ASSERT_OK(nnq_qparams_from_range(-1.0f, 3.0f, NNQ_QPARAM_TORCH_SYMMETRIC, &u4, &s, &z));
    assert_true(s == 3.0f / 7.5f && z == 7);
    /* bad ranges */
    NNQ_ASSERT_FAILS(nnq_qparams_from_range(2.0f, 1.0f, NNQ_QPARAM_TORCH_AFFINE, &u8, &s, &z),
                     NNQ_STATUS_INVALID_ARGUMENT, "min <= max");
    NNQ_ASSERT_FAILS(nnq_qparams_from_range(0.0f, INFINITY, NNQ_QPARAM_TORCH_AFFINE, &u8, &s, &z),
                     NNQ_STATUS_OUT_OF_RANGE, "finite");
    NNQ_ASSERT_FAILS(nnq_qparams_from_range(0.0f, 1.0f, (nnq_qparam_rule)9, &u8, &s, &z),
                     NNQ_STATUS_INVALID_ARGUMENT, "rule 9");
}

static void t_bad_input(void **state) {
    (void)state;
    int64_t dims[2] = {2, 3}, bad[2] = {2, -1};
    nnq_qlayout l;
    int axis = 2, axes2[2] = {0, -2};
    NNQ_ASSERT_FAILS(nnq_qlayout_per_axes(2, dims, &axis, 1, &l), NNQ_STATUS_AXIS_OUT_OF_RANGE,
                     "axis 2 outside [-2, 2)");
    NNQ_ASSERT_FAILS(nnq_qlayout_per_axes(2, dims, axes2, 2, &l), NNQ_STATUS_INVALID_ARGUMENT,
                     "listed twice");
    NNQ_ASSERT_FAILS(nnq_qlayout_per_block(2, dims, 1, 2, &l), NNQ_STATUS_BLOCK_MISMATCH,
                     "axis 1 has 3 elements, not a multiple of block_size 2");
    NNQ_ASSERT_FAILS(nnq_qlayout_per_block(2, dims, 1, 0, &l), NNQ_STATUS_BLOCK_MISMATCH, ">= 1");
    NNQ_ASSERT_FAILS(nnq_qlayout_per_tensor(2, bad, &l), NNQ_STATUS_SHAPE_MISMATCH,
                     "dimension 1 is -1");
    NNQ_ASSERT_FAILS(nnq_qlayout_per_tensor(9, dims, &l), NNQ_STATUS_INVALID_ARGUMENT, "ndim 9");
    int64_t huge[3] = {INT64_MAX, INT64_MAX, 2};
    NNQ_ASSERT_FAILS(nnq_qlayout_per_tensor(3, huge, &l), NNQ_STATUS_SIZE_OVERFLOW, "overflow");

    static const float x[6] = {1.0f, -0.5f, 2.0f, 0.0f, 0.25f, 3.0f};
    int8_t q[6];
    float y[6];
    const float amax2[2] = {1.0f, -1.0f};
    axis = 0;
    NNQ_ASSERT_OK(nnq_qlayout_per_axes(2, dims, &axis, 1, &l));
    NNQ_ASSERT_FAILS(nnq_quantize_amax(x, &l, amax2, &INT8, q, NULL), NNQ_STATUS_NEGATIVE_AMAX,
                     "amax[1] is -1");
    const float amax_nan[2] = {1.0f, NAN};
    NNQ_ASSERT_FAILS(nnq_fake_quant_amax(x, &l, amax_nan, &INT8, y, NULL), NNQ_STATUS_OUT_OF_RANGE,
                     "amax[1] is nan");
    const float amax_ok[2] = {1.0f, 3.0f};
    const nnq_int_format u8 = {8, true, false};
    NNQ_ASSERT_FAILS(nnq_quantize_amax(x, &l, amax_ok, &u8, q, NULL), NNQ_STATUS_NEGATIVE_UNSIGNED,
                     "negative input -0.5 at element 1");
    const nnq_int_format b0 = {0, false, true}, b9 = {9, false, true}, b1 = {1, false, true};
    NNQ_ASSERT_FAILS(nnq_quantize_amax(x, &l, amax_ok, &b0, q, NULL), NNQ_STATUS_BITS_OUT_OF_RANGE,
                     "num_bits 0");
    NNQ_ASSERT_FAILS(nnq_fake_quant_amax(x, &l, amax_ok, &b9, y, NULL),
                     NNQ_STATUS_BITS_OUT_OF_RANGE, "num_bits 9");
    NNQ_ASSERT_FAILS(nnq_fake_quant_amax(x, &l, amax_ok, &b1, y, NULL),
                     NNQ_STATUS_BITS_OUT_OF_RANGE, "num_bits 1 signed");
    float amax_neg = -0.5f, sc;
    NNQ_ASSERT_FAILS(nnq_amax_to_scale(amax_neg, &INT8, &sc), NNQ_STATUS_NEGATIVE_AMAX, "-0.5");
    const float scale0[2] = {1.0f, 0.0f};
    NNQ_ASSERT_FAILS(nnq_quantize_linear(x, &l, scale0, NULL, &INT8, q, NULL),
                     NNQ_STATUS_OUT_OF_RANGE, "scale[1] is 0");
    const int32_t zp_bad[2] = {0, 200};
    NNQ_ASSERT_FAILS(nnq_quantize_linear(x, &l, amax_ok, zp_bad, &INT8, q, NULL),
                     NNQ_STATUS_OUT_OF_RANGE, "zero_point[1] is 200, outside [-127, 127]");
    NNQ_ASSERT_FAILS(nnq_quantize_amax(x, &l, amax_ok, &INT8, NULL, NULL),
                     NNQ_STATUS_INVALID_ARGUMENT, "NULL output");
    NNQ_ASSERT_FAILS(nnq_quantize_amax(x, NULL, amax_ok, &INT8, q, NULL),
                     NNQ_STATUS_INVALID_ARGUMENT, "NULL layout");
    nnq_qlayout wild = l;
    wild.ndim = 100;
    NNQ_ASSERT_FAILS(nnq_quantize_amax(x, &wild, amax_ok, &INT8, q, NULL),
                     NNQ_STATUS_INVALID_ARGUMENT, "layout ndim 100");
    NNQ_ASSERT_FAILS(nnq_fake_quant_amax(NULL, &l, amax_ok, &INT8, y, NULL),
                     NNQ_STATUS_INVALID_ARGUMENT, "NULL input");
    /* A hand-made layout whose block does not divide its dimension. */
    nnq_qlayout broken = l;
    broken.block[1] = 2;
    NNQ_ASSERT_FAILS(nnq_fake_quant_amax(x, &broken, amax_ok, &INT8, y, NULL),
                     NNQ_STATUS_BLOCK_MISMATCH, "not a multiple of block_size 2");
    /* Empty tensors: no range to measure, but quantizing nothing is fine. */
    int64_t empty[2] = {0, 3};
    float a;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(2, empty, &l));
    NNQ_ASSERT_FAILS(nnq_quant_amax(x, &l, &a, NULL), NNQ_STATUS_EMPTY, "no elements");
    a = 1.0f;
    NNQ_ASSERT_OK(nnq_quantize_amax(NULL, &l, &a, &INT8, NULL, NULL));
}

/* ---- properties over random tensors of odd shapes ---- */

typedef struct shape_case {
    int ndim;
    int64_t dims[4];
    int kind; /* 0 tensor, 1 axis 0, 2 last axis, 3 block along last, 4 nd-block */
    int64_t block;
} shape_case;

static const shape_case shapes[] = {
    {1, {1}, 0, 0},          {1, {7}, 0, 0},         {1, {33}, 0, 0},
    {2, {3, 5}, 1, 0},       {2, {5, 67}, 2, 0},     {3, {3, 5, 7}, 1, 0},
    {3, {2, 9, 13}, 2, 0},   {2, {4, 96}, 3, 32},    {3, {3, 2, 24}, 3, 3},
    {3, {4, 6, 10}, 4, 2},   {2, {17, 1}, 2, 0},     {4, {2, 3, 5, 7}, 1, 0},
    {2, {1, 131}, 3, 131},   {2, {3, 100}, 3, 4},
    /* runs long enough for the streaming-store path, at odd offsets */
    {2, {3, 5001}, 1, 0},    {1, {9000}, 0, 0},
};

static void make_layout(const shape_case *c, nnq_qlayout *l) {
    int ax0 = 0, axl = c->ndim - 1;
    int64_t blk[4] = {0, 0, 0, 0};
    switch (c->kind) {
    case 0: NNQ_ASSERT_OK(nnq_qlayout_per_tensor(c->ndim, c->dims, l)); break;
    case 1: NNQ_ASSERT_OK(nnq_qlayout_per_axes(c->ndim, c->dims, &ax0, 1, l)); break;
    case 2: NNQ_ASSERT_OK(nnq_qlayout_per_axes(c->ndim, c->dims, &axl, 1, l)); break;
    case 3: NNQ_ASSERT_OK(nnq_qlayout_per_block(c->ndim, c->dims, -1, c->block, l)); break;
    default:
        for (int d = 0; d < c->ndim; d++) blk[d] = c->dims[d] % c->block == 0 ? c->block : 1;
        NNQ_ASSERT_OK(nnq_qlayout_blocks(c->ndim, c->dims, blk, l));
    }
}

static float *rand_tensor(nnq_rng *rng, size_t n, bool specials) {
    float *x = test_malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = nnq_rng_normal(rng) * 3.0f;
    if (specials && n > 8) {
        x[1] = NAN;
        x[3] = INFINITY;
        x[5] = -INFINITY;
        x[7] = 0.5f; /* ties appear with amax chosen below */
    }
    return x;
}

/* Scale index of flat element i, straight from the layout definition. */
static size_t scale_index(const nnq_qlayout *l, size_t i) {
    size_t idx = 0, stride = 1;
    for (int d = l->ndim - 1; d >= 0; d--) {
        size_t dim = (size_t)l->dims[d], coord = i % dim;
        size_t ext = l->block[d] == l->dims[d] ? 1 : dim / (size_t)l->block[d];
        i /= dim;
        idx += (ext == 1 ? 0 : coord / (size_t)l->block[d]) * stride;
        stride *= ext;
    }
    return idx;
}

/* Inside the range, |fq(x) - x| <= step / 2, step = amax / bound, up to the
 * fp32 rounding of the two operations. */
static void t_error_bound(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 1);
    const int bits_list[] = {2, 4, 8, 16};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        nnq_qlayout l;
        make_layout(&shapes[s], &l);
        size_t n = nnq_qlayout_numel(&l), ns = nnq_qlayout_nscales(&l);
        float *x = rand_tensor(&rng, n, false), *y = test_malloc(n * sizeof(float));
        float *amax = test_malloc(ns * sizeof(float)), *dq = test_malloc(n * sizeof(float));
        int16_t *q = test_malloc(n * sizeof(int16_t));
        NNQ_ASSERT_OK(nnq_quant_amax(x, &l, amax, NULL));
        for (size_t b = 0; b < 4; b++) {
            nnq_int_format f = {bits_list[b], false, true};
            NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &l, amax, &f, y, NULL));
            /* dequantize(quantize(x)) is the same value (fake quant keeps the
             * sign of a zero, an integer code cannot) */
            NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, amax, &f, q, NULL));
            NNQ_ASSERT_OK(nnq_dequantize_amax(q, &l, amax, &f, dq, NULL));
            for (size_t i = 0; i < n; i++)
                if (dq[i] != y[i]) fail_msg("element %zu: dq(q(x)) %a != fq(x) %a", i, (double)dq[i], (double)y[i]);
            float bound = (float)((1 << (f.bits - 1)) - 1);
            for (size_t i = 0; i < n; i++) {
                float err = fabsf(y[i] - x[i]);
                float step = amax[scale_index(&l, i)] / bound;
                /* plus the fp32 rounding of x * scale (|.| <= bound) and of q / scale */
                if (err > step * (0.5f + bound * 0x1p-22f))
                    fail_msg("shape %zu bits %d element %zu: |%g - %g| > step/2 %g", s, f.bits,
                             i, (double)y[i], (double)x[i], (double)(step / 2));
            }
        }
        test_free(x);
        test_free(y);
        test_free(amax);
        test_free(dq);
        test_free(q);
    }
}

/* Inputs with +-Inf measure an infinite amax, which quantizers reject. */
static void finite_amax(float *amax, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (isinf(amax[i])) amax[i] = 4.0f;
}

static const nnq_int_format simd_fmts[] = {{8, false, true},  {8, false, false}, {8, true, false},
                                           {4, false, true},  {16, false, false}, {16, true, false},
                                           {8, true, true}};

typedef struct simd_case {
    const nnq_qlayout *l;
    size_t n;
    const float *x, *amax, *scale;
    const int32_t *zp;
    float *ya, *yb;
    uint16_t *qa, *qb;
} simd_case;

/* Run op (0 quantize_amax, 1 fake_quant_amax, 2 quantize_linear,
 * 3 fake_quant_linear) with SIMD into *a and with the scalar path into *b. */
static void run_both(const simd_case *c, const nnq_int_format *f, int op) {
    for (int pass = 0; pass < 2; pass++) {
        nnq_cpu_force_scalar(pass == 1);
        float *y = pass ? c->yb : c->ya;
        void *q = pass ? (void *)c->qb : (void *)c->qa;
        memset(q, 0, c->n * 2);
        if (op == 0) NNQ_ASSERT_OK(nnq_quantize_amax(c->x, c->l, c->amax, f, q, NULL));
        if (op == 1) NNQ_ASSERT_OK(nnq_fake_quant_amax(c->x, c->l, c->amax, f, y, NULL));
        if (op == 2) NNQ_ASSERT_OK(nnq_quantize_linear(c->x, c->l, c->scale, c->zp, f, q, NULL));
        if (op == 3) NNQ_ASSERT_OK(nnq_fake_quant_linear(c->x, c->l, c->scale, c->zp, f, y, NULL));
    }
    nnq_cpu_force_scalar(false);
}

static void compare_both(const simd_case *c, const nnq_int_format *f, int op, size_t shape) {
    if (op == 0 || op == 2) {
        if (memcmp(c->qa, c->qb, c->n * (f->bits == 16 ? 2 : 1)) != 0)
            fail_msg("shape %zu %d-bit op %d: SIMD and scalar codes differ", shape, f->bits, op);
        return;
    }
    for (size_t i = 0; i < c->n; i++)
        if (!nnq_test_same_bits(c->ya[i], c->yb[i]) && !(isnan(c->ya[i]) && isnan(c->yb[i])))
            fail_msg("shape %zu %d-bit op %d elem %zu: %a vs %a", shape, f->bits, op, i,
                     (double)c->ya[i], (double)c->yb[i]);
}

static void simd_shape(nnq_rng *rng, size_t s) {
    nnq_qlayout l;
    make_layout(&shapes[s], &l);
    size_t n = nnq_qlayout_numel(&l), ns = nnq_qlayout_nscales(&l);
    float *x = rand_tensor(rng, n, true);
    float *amax = test_malloc(ns * sizeof(float)), *scale = test_malloc(ns * sizeof(float));
    int32_t *zp = test_malloc(ns * sizeof(int32_t));
    simd_case c = {&l, n, x, amax, scale, zp, test_malloc(n * sizeof(float)),
                   test_malloc(n * sizeof(float)), test_malloc(n * 2), test_malloc(n * 2)};
    NNQ_ASSERT_OK(nnq_quant_amax(x, &l, amax, NULL));
    finite_amax(amax, ns);
    amax[0] = ns > 1 ? 0.0f : amax[0]; /* a zero-amax block */
    for (size_t f = 0; f < sizeof simd_fmts / sizeof simd_fmts[0]; f++) {
        int32_t lo, hi;
        NNQ_ASSERT_OK(nnq_int_format_linear_bounds(&simd_fmts[f], &lo, &hi));
        for (size_t i = 0; i < ns; i++) {
            scale[i] = (amax[i] > 0.0f ? amax[i] : 1.0f) / (float)(hi - lo) * 2.0f;
            zp[i] = lo + (int32_t)((uint32_t)(hi - lo) / 2u) + (int32_t)(i % 3) - 1;
        }
        /* the amax convention rejects negative input to unsigned grids */
        for (int op = simd_fmts[f].is_unsigned ? 2 : 0; op < 4; op++) {
            run_both(&c, &simd_fmts[f], op);
            compare_both(&c, &simd_fmts[f], op, s);
        }
    }
    test_free(x);
    test_free(amax);
    test_free(scale);
    test_free(zp);
    test_free(c.ya);
    test_free(c.yb);
    test_free(c.qa);
    test_free(c.qb);
}

/* SIMD == scalar bit for bit, for every op, layout, width and signedness,
 * with cached stores and with the streaming (non-temporal) path forced on
 * these small tensors. */
static void t_simd_matches_scalar(void **state) {
    (void)state;
    for (int stream = 0; stream < 2; stream++) {
        nnq_rng rng;
        nnq_rng_seed(&rng, nnq_test_seed(), 2);
        nnq_quant_stream_bytes = stream ? 0 : (size_t)8 << 20;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) simd_shape(&rng, s);
    }
    nnq_quant_stream_bytes = (size_t)8 << 20;
}

/* Quantize-and-pack equals quantize followed by nnq_pack_bits, for every
 * width 1..8, both conventions, across chunk and tile boundaries, and for 1
 * and 3 threads. */
static void t_packed_variants(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 8);
    int64_t dims[2] = {3, 70007}; /* rows cross the 4096 chunks and 65536 tiles */
    nnq_qlayout l;
    NNQ_ASSERT_OK(nnq_qlayout_per_block(2, dims, -1, 7, &l));
    size_t n = nnq_qlayout_numel(&l), ns = nnq_qlayout_nscales(&l), bytes;
    float *x = rand_tensor(&rng, n, true), *amax = test_malloc(ns * sizeof(float));
    uint8_t *q = test_malloc(n), *want = test_malloc(n), *got = test_malloc(n);
    NNQ_ASSERT_OK(nnq_quant_amax(x, &l, amax, NULL));
    finite_amax(amax, ns);
    nnq_pool *pool;
    NNQ_ASSERT_OK(nnq_pool_create(3, &pool));
    for (int bits = 1; bits <= 8; bits++) {
        nnq_int_format f = {bits, bits == 1, false};
        nnq_packed_size(n, bits, &bytes);
        for (int conv = 0; conv < 2; conv++) {
            if (conv == 0 && f.is_unsigned) continue; /* negative input */
            if (conv == 0) NNQ_ASSERT_OK(nnq_quantize_amax(x, &l, amax, &f, q, NULL));
            else NNQ_ASSERT_OK(nnq_quantize_linear(x, &l, amax, NULL, &f, q, NULL));
            NNQ_ASSERT_OK(nnq_pack_bits(q, n, bits, want, bytes));
            for (int t = 0; t < 2; t++) {
                memset(got, 0xA5, bytes);
                nnq_pool *p = t ? pool : NULL;
                if (conv == 0) NNQ_ASSERT_OK(nnq_quantize_amax_packed(x, &l, amax, &f, got, bytes, p));
                else NNQ_ASSERT_OK(nnq_quantize_linear_packed(x, &l, amax, NULL, &f, got, bytes, p));
                if (memcmp(got, want, bytes) != 0)
                    fail_msg("%d bits convention %d threads %d: packed output differs", bits, conv, t);
            }
        }
    }
    nnq_int_format f16 = {16, false, true}, f4 = {4, false, true};
    NNQ_ASSERT_FAILS(nnq_quantize_amax_packed(x, &l, amax, &f16, got, n, NULL),
                     NNQ_STATUS_BITS_OUT_OF_RANGE, "num_bits 16 cannot be packed");
    NNQ_ASSERT_FAILS(nnq_quantize_amax_packed(x, &l, amax, &f4, got, n / 2, NULL),
                     NNQ_STATUS_LIMIT_EXCEEDED, "smaller than the");
    nnq_pool_free(pool);
    test_free(x);
    test_free(amax);
    test_free(q);
    test_free(want);
    test_free(got);
}

/* 1, 2 and 7 threads give identical bytes (tensor spans several tiles). */
static void t_threads_identical(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 3);
    int64_t dims[2] = {6, 40001};
    int axis = 0;
    nnq_qlayout lt, la;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(2, dims, &lt));
    NNQ_ASSERT_OK(nnq_qlayout_per_axes(2, dims, &axis, 1, &la));
    size_t n = nnq_qlayout_numel(&lt);
    float *x = rand_tensor(&rng, n, true);
    float *y[3];
    int8_t *q[3];
    float amax_t[3], amax_a[3][6];
    const size_t threads[3] = {1, 2, 7};
    for (int t = 0; t < 3; t++) {
        nnq_pool *pool = NULL;
        NNQ_ASSERT_OK(nnq_pool_create(threads[t], &pool));
        y[t] = test_malloc(n * sizeof(float));
        q[t] = test_malloc(n);
        NNQ_ASSERT_OK(nnq_quant_amax(x, &lt, &amax_t[t], pool));
        NNQ_ASSERT_OK(nnq_quant_amax(x, &la, amax_a[t], pool));
        finite_amax(amax_a[t], 6);
        NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &la, amax_a[t], &INT8, y[t], pool));
        assert_true(amax_t[t] == INFINITY); /* the tensor holds +-Inf */
        amax_t[t] = 5.0f;
        NNQ_ASSERT_OK(nnq_quantize_amax(x, &lt, &amax_t[t], &INT8, q[t], pool));
        nnq_pool_free(pool);
    }
    for (int t = 1; t < 3; t++) {
        assert_true(nnq_test_same_bits(amax_t[0], amax_t[t]));
        assert_memory_equal(amax_a[0], amax_a[t], sizeof amax_a[0]);
        assert_memory_equal(q[0], q[t], n);
        for (size_t i = 0; i < n; i++)
            if (!nnq_test_same_bits(y[0][i], y[t][i]) && !(isnan(y[0][i]) && isnan(y[t][i])))
                fail_msg("threads %zu elem %zu differs", threads[t], i);
    }
    for (int t = 0; t < 3; t++) {
        test_free(y[t]);
        test_free(q[t]);
    }
    test_free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_pytorch_quantization_doc), cmocka_unit_test(t_onnx_quantizelinear),
        cmocka_unit_test(t_onnx_quantizelinear_axis), cmocka_unit_test(t_amax_hand_cases),
        cmocka_unit_test(t_amax_vs_onnx_tie),
        cmocka_unit_test(t_block_layouts),            cmocka_unit_test(t_qparams_hand),
        cmocka_unit_test(t_bad_input),                cmocka_unit_test(t_error_bound),
        cmocka_unit_test(t_simd_matches_scalar),      cmocka_unit_test(t_threads_identical),
        cmocka_unit_test(t_packed_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
