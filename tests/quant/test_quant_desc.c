/* test_quant_desc.c - descriptors (presets, JSON / YAML) and the tensor quantizer. */
#include <math.h>
#include <string.h>

#include "testutil.h"

static void t_defaults_and_presets(void **state) {
    (void)state;
    nnq_qdesc d;
    char *s = NULL;
    nnq_qdesc_init(&d);
    assert_int_equal(d.num_bits, 8);
    assert_true(d.fake_quant && !d.narrow_range && !d.is_unsigned && d.naxes == 0);
    NNQ_ASSERT_OK(nnq_qdesc_to_json(&d, &s));
    assert_string_equal(s, "{}"); /* only non-default fields are written */
    nnq_free(s);
    NNQ_ASSERT_OK(nnq_qdesc_to_yaml(&d, &s));
    assert_string_equal(s, "{}\n");
    nnq_free(s);
    NNQ_ASSERT_OK(nnq_qdesc_preset("8bit_conv2d_weight_per_channel", &d));
    NNQ_ASSERT_OK(nnq_qdesc_to_json(&d, &s));
    assert_string_equal(s, "{\"axis\":0}");
    nnq_free(s);
    NNQ_ASSERT_OK(nnq_qdesc_to_yaml(&d, &s));
    assert_string_equal(s, "axis: [0]\n");
    nnq_free(s);
    NNQ_ASSERT_OK(nnq_qdesc_preset("unsigned_8bit_per_tensor", &d));
    assert_true(d.is_unsigned);
    NNQ_ASSERT_OK(nnq_qdesc_preset("8bit_linear_weight_per_channel", &d));
    assert_true(d.naxes == 1 && d.axes[0] == 0);
    NNQ_ASSERT_FAILS(nnq_qdesc_preset("9bit", &d), NNQ_STATUS_UNKNOWN_NAME, "'9bit'");
}

static void t_roundtrip(void **state) {
    (void)state;
    nnq_qdesc d, back;
    char *s = NULL;
    nnq_qdesc_init(&d);
    d.num_bits = 4;
    d.naxes = 2;
    d.axes[0] = 0;
    d.axes[1] = -1;
    d.has_amax = true;
    d.amax = 0.7817f;
    d.is_unsigned = true;
    d.narrow_range = true;
    d.fake_quant = false;
    d.learn_amax = true;
    d.scale_amax = 1.5f;
    snprintf(d.calib_method, sizeof d.calib_method, "histogram");
    NNQ_ASSERT_OK(nnq_qdesc_to_json(&d, &s));
    NNQ_ASSERT_OK(nnq_qdesc_from_json(s, &back));
    assert_true(nnq_qdesc_equal(&d, &back));
    nnq_free(s);
    NNQ_ASSERT_OK(nnq_qdesc_to_yaml(&d, &s));
    assert_string_equal(s, "num_bits: 4\naxis: [0, -1]\namax: 0.781700015\nunsigned: true\n"
                           "narrow_range: true\nfake_quant: false\nlearn_amax: true\n"
                           "scale_amax: 1.5\ncalib_method: histogram\n");
    NNQ_ASSERT_OK(nnq_qdesc_from_yaml(s, &back));
    assert_true(nnq_qdesc_equal(&d, &back));
    nnq_free(s);
    /* float / block formats */
    nnq_qdesc_init(&d);
    d.format = NNQ_QFORMAT_NVFP4;
    d.block_size = 16;
    NNQ_ASSERT_OK(nnq_qdesc_to_json(&d, &s));
    assert_string_equal(s, "{\"format\":\"nvfp4\",\"block_size\":16}");
    NNQ_ASSERT_OK(nnq_qdesc_from_json(s, &back));
    assert_true(nnq_qdesc_equal(&d, &back));
    nnq_free(s);
}

static void t_parse_hand_written(void **state) {
    (void)state;
    nnq_qdesc d;
    NNQ_ASSERT_OK(nnq_qdesc_from_yaml("# weights\nnum_bits: 4\naxis: 0\nblock_size: null\n"
                                      "amax: ~\nnarrow_range: yes\n", &d));
    assert_true(d.num_bits == 4 && d.naxes == 1 && d.axes[0] == 0 && !d.has_amax && d.narrow_range);
    NNQ_ASSERT_OK(nnq_qdesc_from_json("{\"num_bits\": 16, \"axis\": null, \"amax\": 2.5,"
                                      " \"unsigned\": true}", &d));
    assert_true(d.num_bits == 16 && d.naxes == 0 && d.has_amax && d.amax == 2.5f && d.is_unsigned);
    NNQ_ASSERT_OK(nnq_qdesc_from_yaml("", &d)); /* empty document: defaults */
    assert_int_equal(d.num_bits, 8);
    NNQ_ASSERT_OK(nnq_qdesc_from_yaml("block_size: 32\nblock_axis: 1\n", &d));
    assert_true(d.block_size == 32 && d.block_axis == 1);
}

static void t_parse_errors(void **state) {
    (void)state;
    nnq_qdesc d;
    NNQ_ASSERT_FAILS(nnq_qdesc_from_json("{\"foo\": 1}", &d), NNQ_STATUS_UNKNOWN_NAME, "key 'foo'");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("num_bits: abc\n", &d), NNQ_STATUS_INVALID_FORMAT,
                     "key 'num_bits' expects an integer, got 'abc'");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("num_bits: 9\n", &d), NNQ_STATUS_BITS_OUT_OF_RANGE,
                     "num_bits 9");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_json("{\"num_bits\": ", &d), NNQ_STATUS_INVALID_FORMAT,
                     "qdesc_from_json");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_json("[1, 2]", &d), NNQ_STATUS_INVALID_FORMAT, "not an object");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("- 1\n- 2\n", &d), NNQ_STATUS_INVALID_FORMAT,
                     "not a mapping");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("a: [\n", &d), NNQ_STATUS_INVALID_FORMAT, "line");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("calib_method: entropy\n", &d), NNQ_STATUS_UNKNOWN_NAME,
                     "'entropy'");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("amax: -1\n", &d), NNQ_STATUS_NEGATIVE_AMAX, "amax -1");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("axis: [1, 1]\n", &d), NNQ_STATUS_AXIS_OUT_OF_RANGE,
                     "axis 1 listed twice");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("axis: 8\n", &d), NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis 8");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("format: fp7\n", &d), NNQ_STATUS_UNKNOWN_NAME, "'fp7'");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("format: nvfp4\nblock_size: 32\n", &d),
                     NNQ_STATUS_BLOCK_MISMATCH, "fixed blocks of 16, not 32");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("axis: 0\nblock_size: 32\n", &d),
                     NNQ_STATUS_INVALID_ARGUMENT, "exclusive");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("unsigned: maybe\n", &d), NNQ_STATUS_INVALID_FORMAT,
                     "true or false");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_json("{\"amax\": {\"a\": 1}}", &d), NNQ_STATUS_INVALID_FORMAT,
                     "a scalar");
    NNQ_ASSERT_FAILS(nnq_qdesc_from_yaml("block_size: -3\n", &d), NNQ_STATUS_OUT_OF_RANGE,
                     "value -3 outside");
}

/* Per-channel calibration on a [64, 3] weight whose row i peaks at
 * i * 0.7817 / 63: the text form matches pytorch-quantization's. */
static void t_tquantizer_calib_and_str(void **state) {
    (void)state;
    nnq_qdesc d;
    nnq_tquantizer *q;
    float x[64 * 3], y[64 * 3], want[64 * 3], amax[64];
    int64_t dims[2] = {64, 3};
    char buf[256];
    for (int i = 0; i < 64; i++) {
        amax[i] = (float)i * 0.7817f / 63.0f;
        x[3 * i] = amax[i];
        x[3 * i + 1] = -amax[i] / 3.0f;
        x[3 * i + 2] = amax[i] / 2.0f;
    }
    NNQ_ASSERT_OK(nnq_qdesc_preset("8bit_linear_weight_per_channel", &d));
    NNQ_ASSERT_OK(nnq_tquantizer_create(&d, &q));
    assert_string_equal(nnq_tquantizer_str(q, buf, sizeof buf),
                        "8bit fake axis=(0) amax=dynamic calibrator=MaxCalibrator quant");
    NNQ_ASSERT_FAILS(nnq_tquantizer_load_calib_amax(q), NNQ_STATUS_INVALID_STATE, "no calibration");
    nnq_tquantizer_enable_quant(q, false);
    nnq_tquantizer_enable_calib(q, true);
    NNQ_ASSERT_OK(nnq_tquantizer_forward(q, x, 2, dims, y, NULL));
    assert_memory_equal(x, y, sizeof x); /* calibration passes data through */
    NNQ_ASSERT_OK(nnq_tquantizer_load_calib_amax(q));
    nnq_tquantizer_enable_calib(q, false);
    nnq_tquantizer_enable_quant(q, true);
    assert_string_equal(nnq_tquantizer_str(q, buf, sizeof buf),
                        "8bit fake axis=(0) amax=[0.0000, 0.7817](64) calibrator=MaxCalibrator quant");
    const float *got;
    size_t n;
    nnq_tquantizer_amax(q, &got, &n);
    assert_int_equal(n, 64);
    assert_memory_equal(got, amax, sizeof amax);
    /* quantization mode equals the kernel with the same amax */
    nnq_qlayout l;
    int axis = 0;
    nnq_int_format f = {8, false, false};
    NNQ_ASSERT_OK(nnq_qlayout_per_axes(2, dims, &axis, 1, &l));
    NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &l, amax, &f, want, NULL));
    NNQ_ASSERT_OK(nnq_tquantizer_forward(q, x, 2, dims, y, NULL));
    assert_memory_equal(y, want, sizeof y);
    /* disabled: identity */
    nnq_tquantizer_enable(q, false);
    NNQ_ASSERT_OK(nnq_tquantizer_forward(q, x, 2, dims, y, NULL));
    assert_memory_equal(x, y, sizeof x);
    assert_true(strncmp(nnq_tquantizer_str(q, buf, sizeof buf), "disabled 8bit", 13) == 0);
    /* a tensor of another shape no longer fits the calibrated amax */
    nnq_tquantizer_enable(q, true);
    int64_t other[2] = {32, 6};
    NNQ_ASSERT_FAILS(nnq_tquantizer_forward(q, x, 2, other, y, NULL), NNQ_STATUS_SHAPE_MISMATCH,
                     "64 amax values stored, this tensor needs 32");
    /* truncation keeps the buffer terminated */
    char tiny[8];
    assert_int_equal(strlen(nnq_tquantizer_str(q, tiny, sizeof tiny)), 7);
    nnq_tquantizer_free(q);
    nnq_tquantizer_free(NULL);
}

static void t_tquantizer_formats(void **state) {
    (void)state;
    nnq_qdesc d;
    nnq_tquantizer *q;
    char buf[256];
    /* tensor_quant (not fake): integer codes as floats; amax 1, 4 bits. */
    static const float x[4] = {1.0f, -0.5f, 0.25f, 0.0f};
    float y[4];
    int64_t dims[1] = {4};
    NNQ_ASSERT_OK(nnq_qdesc_from_yaml("num_bits: 4\nfake_quant: false\namax: 1\nnarrow_range: true\n", &d));
    NNQ_ASSERT_OK(nnq_tquantizer_create(&d, &q));
    NNQ_ASSERT_OK(nnq_tquantizer_forward(q, x, 1, dims, y, NULL));
    assert_true(y[0] == 7.0f && y[1] == -4.0f && y[2] == 2.0f && y[3] == 0.0f); /* -3.5 -> -4, 1.75 -> 2 */
    assert_string_equal(nnq_tquantizer_str(q, buf, sizeof buf),
                        "4bit narrow per-tensor amax=1.0000 calibrator=MaxCalibrator quant");
    nnq_tquantizer_free(q);
    /* FP8 E4M3 with amax 448: scale 1, so representable values survive. */
    static const float x8[4] = {448.0f, 1.0f, -2.0f, 0.3f};
    NNQ_ASSERT_OK(nnq_qdesc_from_json("{\"format\": \"fp8_e4m3fn\", \"amax\": 448}", &d));
    NNQ_ASSERT_OK(nnq_tquantizer_create(&d, &q));
    NNQ_ASSERT_OK(nnq_tquantizer_forward(q, x8, 1, dims, y, NULL));
    assert_true(y[0] == 448.0f && y[1] == 1.0f && y[2] == -2.0f && y[3] == 0.3125f);
    nnq_tquantizer_free(q);
    /* NVFP4 fake quant over a [2, 16] tensor equals quantize + dequantize. */
    float xn[32], yn[32], wn[32], ts;
    uint8_t c[16], s[2];
    int64_t dn[2] = {2, 16};
    for (int i = 0; i < 32; i++) xn[i] = (float)((i * 7) % 13) - 6.0f;
    NNQ_ASSERT_OK(nnq_qdesc_from_yaml("format: nvfp4\n", &d));
    NNQ_ASSERT_OK(nnq_tquantizer_create(&d, &q));
    NNQ_ASSERT_OK(nnq_tquantizer_forward(q, xn, 2, dn, yn, NULL));
    NNQ_ASSERT_OK(nnq_nvfp4_tensor_scale(6.0f, &ts));
    NNQ_ASSERT_OK(nnq_nvfp4_quantize(xn, 32, ts, c, s, NULL));
    NNQ_ASSERT_OK(nnq_nvfp4_dequantize(c, s, 32, ts, wn, NULL));
    assert_memory_equal(yn, wn, sizeof yn);
    int64_t bad[2] = {4, 8};
    NNQ_ASSERT_FAILS(nnq_tquantizer_forward(q, xn, 2, bad, yn, NULL), NNQ_STATUS_BLOCK_MISMATCH,
                     "last axis has 8 elements, not a multiple of the nvfp4 block size 16");
    nnq_tquantizer_free(q);
    NNQ_ASSERT_OK(nnq_qdesc_from_yaml("format: fp8_e5m2\naxis: 0\n", &d));
    NNQ_ASSERT_FAILS(nnq_tquantizer_create(&d, &q), NNQ_STATUS_UNSUPPORTED, "per-tensor amax only");
}

/* Mutated documents never crash the parsers (run under ASan / UBSan) and
 * every failure carries a message; a success is always a valid descriptor. */
static void t_parse_garbage(void **state) {
    (void)state;
    static const char *const seeds[] = {
        "{\"num_bits\": 4, \"axis\": [0, 1], \"amax\": 2.5, \"format\": \"int\"}",
        "num_bits: 4\naxis: [0, -1]\ncalib_method: histogram\nscale_amax: 1.5\n"};
    nnq_rng rng;
    char buf[128];
    nnq_qdesc d;
    nnq_rng_seed(&rng, nnq_test_seed(), 4);
    for (int iter = 0; iter < 3000; iter++) {
        size_t which = iter & 1, len = strlen(seeds[which]);
        memcpy(buf, seeds[which], len + 1);
        for (uint32_t m = nnq_rng_bounded(&rng, 4) + 1; m > 0; m--) {
            size_t at = nnq_rng_bounded(&rng, (uint32_t)len);
            buf[at] = (char)(nnq_rng_bounded(&rng, 95) + 32);
        }
        if (nnq_rng_bounded(&rng, 4) == 0) buf[nnq_rng_bounded(&rng, (uint32_t)len)] = '\0';
        nnq_status s = which ? nnq_qdesc_from_yaml(buf, &d) : nnq_qdesc_from_json(buf, &d);
        if (s == NNQ_STATUS_OK) NNQ_ASSERT_OK(nnq_qdesc_validate(&d));
        else assert_true(nnq_last_error()[0] != '\0');
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_defaults_and_presets), cmocka_unit_test(t_roundtrip),
        cmocka_unit_test(t_parse_hand_written),   cmocka_unit_test(t_parse_errors),
        cmocka_unit_test(t_tquantizer_calib_and_str), cmocka_unit_test(t_tquantizer_formats),
        cmocka_unit_test(t_parse_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
