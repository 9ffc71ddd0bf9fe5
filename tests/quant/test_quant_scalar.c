/* test_quant_scalar.c - rounding, FP8 / FP4 / FP16 / BF16 coders, bit packing. */
#include <fenv.h>
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "golden_fp.h"
#include "quant/quant_internal.h"

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Round half to even: hand-derived from the definition. */
static void t_round_half_even(void **state) {
    (void)state;
    static const struct { float x, want; } cases[] = {
        {0.5f, 0.0f}, {1.5f, 2.0f}, {2.5f, 2.0f}, {3.5f, 4.0f}, {-0.5f, -0.0f}, {-1.5f, -2.0f},
        {-2.5f, -2.0f}, {0.49999997f, 0.0f}, {0.50000006f, 1.0f}, {1.0f, 1.0f},
        {8388607.5f, 8388608.0f}, {8388609.0f, 8388609.0f}, {-4194303.5f, -4194304.0f},
        {1e30f, 1e30f}, {-0.4f, -0.0f}, {126.5f, 126.0f}, {127.5f, 128.0f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float got = nnq_round_half_even(cases[i].x);
        if (!nnq_test_same_bits(got, cases[i].want))
            fail_msg("rne(%.9g) = %.9g, want %.9g", (double)cases[i].x, (double)got,
                     (double)cases[i].want);
    }
    assert_true(isnan(nnq_round_half_even(NAN)));
    assert_true(nnq_round_half_even(INFINITY) == INFINITY);
    assert_true(nnq_round_half_even(-INFINITY) == -INFINITY);
}

typedef struct fp_case {
    const char *name;
    nnq_dtype type;
    const uint32_t *decode;
    int ncodes;
    const uint32_t *in;
    const uint8_t *sat, *nosat;
    size_t nin;
} fp_case;

static const fp_case fp_cases[] = {
    {"e4m3fn", NNQ_DTYPE_FLOAT8E4M3FN, golden_e4m3fn_decode, 256, golden_e4m3fn_in,
     golden_e4m3fn_sat, golden_e4m3fn_nosat, 312},
    {"e5m2", NNQ_DTYPE_FLOAT8E5M2, golden_e5m2_decode, 256, golden_e5m2_in, golden_e5m2_sat,
     golden_e5m2_nosat, 312},
    {"e4m3fnuz", NNQ_DTYPE_FLOAT8E4M3FNUZ, golden_e4m3fnuz_decode, 256, golden_e4m3fnuz_in,
     golden_e4m3fnuz_sat, golden_e4m3fnuz_nosat, 312},
    {"e5m2fnuz", NNQ_DTYPE_FLOAT8E5M2FNUZ, golden_e5m2fnuz_decode, 256, golden_e5m2fnuz_in,
     golden_e5m2fnuz_sat, golden_e5m2fnuz_nosat, 312},
};

static void check_decode(const char *name, const uint32_t *golden, int i, float got) {
    float want = from_bits(golden[i]);
    if (isnan(want)) {
        if (!isnan(got)) fail_msg("%s code 0x%02x: got %g, want NaN", name, i, (double)got);
    } else if (to_bits(got) != golden[i]) {
        fail_msg("%s code 0x%02x: got %.9g, want %.9g", name, i, (double)got, (double)want);
    }
}

/* Exhaustive decode against the ONNX reference (tools/golden_quant_fp.py). */
static void t_fp8_decode_all(void **state) {
    (void)state;
    for (size_t t = 0; t < 4; t++) {
        const fp_case *c = &fp_cases[t];
        for (int i = 0; i < c->ncodes; i++)
            check_decode(c->name, c->decode, i, nnq_fp8_to_float(c->type, (uint8_t)i));
    }
    /* The named helpers are the same coders. */
    assert_true(nnq_fp8_e4m3fn_to_float(0x7E) == 448.0f);
    assert_true(nnq_fp8_e5m2_to_float(0x7B) == 57344.0f);
    assert_true(nnq_fp8_e4m3fnuz_to_float(0x7F) == 240.0f);
    assert_true(nnq_fp8_e5m2fnuz_to_float(0x7F) == 57344.0f);
    assert_true(isinf(nnq_fp8_e5m2_to_float(0xFC)) && nnq_fp8_e5m2_to_float(0xFC) < 0);
    assert_true(isnan(nnq_fp8_to_float(NNQ_DTYPE_INT8, 0)));
}

/* Encode boundaries (ties, subnormals, max, beyond max, NaN, +-Inf) and
 * random values, saturating and not, against the ONNX reference Cast. */
static void t_fp8_encode_golden(void **state) {
    (void)state;
    for (size_t t = 0; t < 4; t++) {
        const fp_case *c = &fp_cases[t];
        for (size_t i = 0; i < c->nin; i++) {
            float x = from_bits(c->in[i]);
            uint8_t s = nnq_fp8_from_float(c->type, x, true);
            uint8_t ns = nnq_fp8_from_float(c->type, x, false);
            if (s != c->sat[i])
                fail_msg("%s saturate(%.9g) = 0x%02x, want 0x%02x", c->name, (double)x, s,
                         c->sat[i]);
            if (ns != c->nosat[i])
                fail_msg("%s no-saturate(%.9g) = 0x%02x, want 0x%02x", c->name, (double)x, ns,
                         c->nosat[i]);
        }
    }
    assert_int_equal(nnq_fp8_e4m3fn_from_float(464.0f), 0x7E); /* tie to even (448) */
    assert_int_equal(nnq_fp8_e4m3fn_from_float(INFINITY), 0x7E);
    assert_int_equal(nnq_fp8_e5m2_from_float(-INFINITY), 0xFB);
    assert_int_equal(nnq_fp8_e4m3fnuz_from_float(-0.0f), 0x00);
    assert_int_equal(nnq_fp8_e5m2fnuz_from_float(NAN), 0x80);
    assert_int_equal(nnq_fp8_from_float(NNQ_DTYPE_INT8, 1.0f, true), 0);
}

/* Every code decodes and re-encodes to itself (except NaN codes). */
static void t_fp8_roundtrip(void **state) {
    (void)state;
    for (size_t t = 0; t < 4; t++) {
        for (int i = 0; i < 256; i++) {
            float v = nnq_fp8_to_float(fp_cases[t].type, (uint8_t)i);
            if (isnan(v)) continue;
            assert_int_equal(nnq_fp8_from_float(fp_cases[t].type, v, false), i);
        }
    }
}

/* The fast bit-level encoder equals the reference encoder on a stride
 * through all float bit patterns and at every midpoint between codes (and
 * one ulp either side). */
static void t_fast_encoder_matches_reference(void **state) {
    (void)state;
    const nnq_minifloat *fmts[5] = {&nnq_mf_e4m3fn, &nnq_mf_e5m2, &nnq_mf_e4m3fnuz,
                                    &nnq_mf_e5m2fnuz, &nnq_mf_e2m1};
    for (int f = 0; f < 5; f++) {
        for (int sat = 0; sat < 2; sat++) {
            for (uint64_t u = 0; u <= 0xFFFFFFFFu; u += 16411u) {
                float x = from_bits((uint32_t)u);
                uint8_t a = nnq_mf_encode(fmts[f], x, sat), b = nnq_mf_encode_fast(fmts[f], x, sat);
                if (a != b) fail_msg("format %d sat %d x=%a: ref 0x%02x fast 0x%02x", f, sat, (double)x, a, b);
            }
            int ncodes = 1 << (1 + fmts[f]->ebits + fmts[f]->mbits);
            for (int c = 0; c + 1 < ncodes / 2; c++) {
                float lo = nnq_mf_decode(fmts[f], (uint8_t)c), hi = nnq_mf_decode(fmts[f], (uint8_t)(c + 1));
                if (!isfinite(lo) || !isfinite(hi)) continue;
                float mid = lo + (hi - lo) / 2.0f;
                const float probes[4] = {mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY), -mid};
                for (int p = 0; p < 4; p++) {
                    uint8_t a = nnq_mf_encode(fmts[f], probes[p], sat);
                    uint8_t b = nnq_mf_encode_fast(fmts[f], probes[p], sat);
                    if (a != b) fail_msg("format %d x=%a: ref 0x%02x fast 0x%02x", f, (double)probes[p], a, b);
                }
            }
        }
    }
}

static void t_fp4_e2m1(void **state) {
    (void)state;
    for (int i = 0; i < 16; i++)
        check_decode("e2m1", golden_e2m1_decode, i, nnq_fp4_e2m1_to_float((uint8_t)i));
    for (size_t i = 0; i < 312; i++) {
        float x = from_bits(golden_e2m1_in[i]);
        /* E2M1 has no NaN; nnq maps NaN to +0 (docs/numerics.md) where the
         * reference's ml_dtypes cast gives a sign-dependent zero. */
        if (isnan(x)) continue;
        uint8_t got = nnq_fp4_e2m1_from_float(x);
        if (got != golden_e2m1_sat[i])
            fail_msg("e2m1(%.9g) = 0x%x, want 0x%x", (double)x, got, golden_e2m1_sat[i]);
    }
    assert_int_equal(nnq_fp4_e2m1_from_float(NAN), 0);
    assert_int_equal(nnq_fp4_e2m1_from_float(2.5f), 0x4);  /* tie -> 2 (even) */
    assert_int_equal(nnq_fp4_e2m1_from_float(-5.0f), 0xE); /* tie -> -4 (even) */
}

/* Inputs and expected codes from numpy 1.26 / ml_dtypes 0.6.0:
 * python3 -c "import numpy as np, ml_dtypes; x=np.array([...], np.float32);
 *   print(x.astype(np.float16).view(np.uint16)); print(x.astype(ml_dtypes.bfloat16).view(np.uint16))" */
static const uint32_t half_in[] = {
    0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x477fe000u, 0x477feffdu, 0x477ff000u,
    0xc77ff000u, 0x322bcc77u, 0x33800000u, 0x33000000u, 0x33c00000u, 0x330147aeu, 0x387fda40u,
    0x38800000u, 0x3f801000u, 0x3f803000u, 0x3dcccccdu, 0x40490fdbu, 0x501502f9u, 0x7f800000u,
    0xff800000u, 0x3f808000u, 0x3f818000u, 0x7f7fc99eu, 0x000116c2u};
static const uint16_t half_want[] = {
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x7bff, 0x7bff, 0x7c00, 0xfc00, 0x0000, 0x0001, 0x0000,
    0x0002, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x3c02, 0x2e66, 0x4248, 0x7c00, 0x7c00, 0xfc00,
    0x3c04, 0x3c0c, 0x7c00, 0x0000};
static const uint16_t bf16_want[] = {
    0x0000, 0x8000, 0x3f80, 0xbf80, 0x4780, 0x4780, 0x4780, 0xc780, 0x322c, 0x3380, 0x3300,
    0x33c0, 0x3301, 0x3880, 0x3880, 0x3f80, 0x3f80, 0x3dcd, 0x4049, 0x5015, 0x7f80, 0xff80,
    0x3f80, 0x3f82, 0x7f80, 0x0001};

static void t_fp16_bf16(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof half_in / sizeof half_in[0]; i++) {
        float x = from_bits(half_in[i]);
        assert_int_equal(nnq_fp16_from_float(x), half_want[i]);
        assert_int_equal(nnq_bf16_from_float(x), bf16_want[i]);
    }
    /* Every finite half decodes and re-encodes to itself. */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        if ((h & 0x7C00u) == 0x7C00u && (h & 0x3FFu)) {
            assert_true(isnan(nnq_fp16_to_float((uint16_t)h)));
            continue;
        }
        assert_int_equal(nnq_fp16_from_float(nnq_fp16_to_float((uint16_t)h)), h);
        assert_int_equal(nnq_bf16_from_float(nnq_bf16_to_float((uint16_t)h)), h);
    }
    assert_true(nnq_fp16_to_float(0x0001) == 5.9604644775390625e-8f);
    uint16_t qn = nnq_fp16_from_float(-NAN);
    assert_true((qn & 0x8000u) && (qn & 0x7C00u) == 0x7C00u && (qn & 0x200u));
    uint16_t bn = nnq_bf16_from_float(NAN);
    assert_true(isnan(nnq_bf16_to_float(bn)));
}

/* Packing: hand-derived bytes for the ONNX int4 convention and dense n-bit. */
static void t_pack_golden(void **state) {
    (void)state;
    uint8_t out[8];
    const uint8_t v4[5] = {1, 2, 3, 4, 5};
    NNQ_ASSERT_OK(nnq_pack_bits(v4, 5, 4, out, sizeof out));
    assert_int_equal(out[0], 0x21);
    assert_int_equal(out[1], 0x43);
    assert_int_equal(out[2], 0x05);
    const uint8_t v1[9] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    NNQ_ASSERT_OK(nnq_pack_bits(v1, 9, 1, out, 2));
    assert_int_equal(out[0], 0x0D);
    assert_int_equal(out[1], 0x01);
    /* 3-bit: 5 | 3<<3 | 7<<6 = 0xDD, then 7>>2 = 1 | 1<<1 = 3 */
    const uint8_t v3[3] = {5, 3, 7};
    NNQ_ASSERT_OK(nnq_pack_bits(v3, 3, 3, out, 2));
    assert_int_equal(out[0], 0xDD);
    assert_int_equal(out[1], 0x01);
    /* int4 -8..7: two's complement nibbles, sign-extended back. */
    int8_t s[16], back[16];
    for (int i = 0; i < 16; i++) s[i] = (int8_t)(i - 8);
    NNQ_ASSERT_OK(nnq_pack_bits((const uint8_t *)s, 16, 4, out, 8));
    assert_int_equal(out[0], 0x98); /* -8 = 0x8 low, -7 = 0x9 high */
    NNQ_ASSERT_OK(nnq_unpack_bits_signed(out, 8, 16, 4, back));
    assert_memory_equal(s, back, 16);
}

static void t_pack_roundtrip(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 11);
    uint8_t v[37], back[37], packed[37];
    for (int bits = 1; bits <= 8; bits++) {
        for (size_t n = 0; n <= 37; n++) {
            size_t sz;
            assert_true(nnq_packed_size(n, bits, &sz));
            assert_int_equal(sz, (n * (size_t)bits + 7) / 8);
            for (size_t i = 0; i < n; i++) v[i] = (uint8_t)(nnq_rng_u32(&rng) & ((1u << bits) - 1u));
            memset(packed, 0xAA, sizeof packed);
            NNQ_ASSERT_OK(nnq_pack_bits(v, n, bits, packed, sz));
            if (sz && bits * n % 8) /* unused high bits of the last byte are zero */
                assert_int_equal(packed[sz - 1] >> (bits * n % 8), 0);
            NNQ_ASSERT_OK(nnq_unpack_bits(packed, sz, n, bits, back));
            if (n) assert_memory_equal(v, back, n);
        }
    }
}

static void t_pack_bad_input(void **state) {
    (void)state;
    uint8_t v[4] = {0}, out[4];
    size_t sz;
    NNQ_ASSERT_FAILS(nnq_pack_bits(v, 4, 0, out, 4), NNQ_STATUS_BITS_OUT_OF_RANGE, "bits 0");
    NNQ_ASSERT_FAILS(nnq_pack_bits(v, 4, 9, out, 4), NNQ_STATUS_BITS_OUT_OF_RANGE, "bits 9");
    NNQ_ASSERT_FAILS(nnq_pack_bits(v, 4, 4, out, 1), NNQ_STATUS_LIMIT_EXCEEDED, "2 needed");
    NNQ_ASSERT_FAILS(nnq_unpack_bits(out, 1, 3, 4, v), NNQ_STATUS_LIMIT_EXCEEDED, "1 bytes");
    NNQ_ASSERT_FAILS(nnq_pack_bits(v, SIZE_MAX, 4, out, 4), NNQ_STATUS_SIZE_OVERFLOW, "overflow");
    assert_false(nnq_packed_size(1, 0, &sz));
    assert_false(nnq_packed_size(SIZE_MAX, 8, &sz));
}

static void t_qformat_traits(void **state) {
    (void)state;
    nnq_qformat f;
    for (int i = 0; i < NNQ_QFORMAT_COUNT_; i++) {
        const nnq_qformat_info *fi = nnq_qformat_get((nnq_qformat)i);
        assert_non_null(fi);
        NNQ_ASSERT_OK(nnq_qformat_from_name(fi->name, &f));
        assert_int_equal(f, i);
        if (!fi->to_float) continue;
        /* The largest finite value is the max code of the grid. */
        float m = 0.0f;
        for (int c = 0; c < (1 << fi->bits); c++) {
            float v = fi->to_float((uint8_t)c);
            if (isfinite(v) && v > m) m = v;
        }
        assert_true(m == fi->max);
    }
    assert_null(nnq_qformat_get(NNQ_QFORMAT_COUNT_));
    NNQ_ASSERT_FAILS(nnq_qformat_from_name("fp7", &f), NNQ_STATUS_UNKNOWN_NAME, "'fp7'");
}

/* Round half to even must not follow the caller's fenv rounding mode: the
 * same table under every IEEE mode (values hand-derived from the
 * definition: ties go to the even neighbour). */
static void t_round_half_even_any_fenv_mode(void **state) {
    (void)state;
    static const float in[] = {2.7f, 2.5f, 3.5f, -2.5f, -2.7f, 0.5f, -0.5f, 1.5f, 0.49999997f,
                               8388607.5f, -8388607.5f, 1e30f, 123.25f, -0.0f};
    static const float want[] = {3.0f, 2.0f, 4.0f, -2.0f, -3.0f, 0.0f, -0.0f, 2.0f, 0.0f,
                                 8388608.0f, -8388608.0f, 1e30f, 123.0f, -0.0f};
    static const int modes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_UPWARD, FE_DOWNWARD};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        assert_int_equal(fesetround(modes[m]), 0);
        for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
            volatile float x = in[i];
            float got = nnq_round_half_even(x);
            if (!nnq_test_same_bits(got, want[i])) {
                fesetround(FE_TONEAREST);
                fail_msg("mode %zu: round(%a) = %a, want %a", m, (double)in[i], (double)got,
                         (double)want[i]);
            }
        }
    }
    fesetround(FE_TONEAREST);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_round_half_even), cmocka_unit_test(t_round_half_even_any_fenv_mode), cmocka_unit_test(t_fp8_decode_all),
        cmocka_unit_test(t_fp8_encode_golden), cmocka_unit_test(t_fp8_roundtrip),
        cmocka_unit_test(t_fp4_e2m1),        cmocka_unit_test(t_fp16_bf16),
        cmocka_unit_test(t_fast_encoder_matches_reference),
        cmocka_unit_test(t_pack_golden),     cmocka_unit_test(t_pack_roundtrip),
        cmocka_unit_test(t_pack_bad_input),  cmocka_unit_test(t_qformat_traits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
