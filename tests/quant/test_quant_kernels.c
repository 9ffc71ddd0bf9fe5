/* test_quant_kernels.c - the fast paths of the AVX2 integer kernels against
 * the scalar reference, bit for bit (NaN payloads and signed zeros included):
 * the reciprocal fake-quant path of long one-scale runs, its fallback to
 * division, per-channel runs, 16-bit grids, streaming stores at every output
 * misalignment. The reference kernels are the golden here: each computes
 * the published formula one element at a time (docs/numerics.md 2 and 3). */
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "quant/quant_internal.h"

static const nnq_int_format INT8_NARROW = {8, false, true};

static float bits_to_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Values that land on every grid integer of [-bound, bound] (and just past
 * the ends), halfway ties, random values, and the special inputs. */
static void fill(nnq_rng *rng, float *x, size_t n, float amax, float bound, bool nonneg) {
    const float step = amax / bound;
    for (size_t i = 0; i < n; i++) {
        float v;
        switch (i % 4) {
        case 0: /* -bound - 1 .. bound + 1 in turn */
            v = (float)((int64_t)(i / 4) % (int64_t)(2 * bound + 3) - (int64_t)bound - 1) * step;
            break;
        case 1: v = ((float)((int64_t)(i / 4) % 64) - 31.5f) * step; break;
        default: v = nnq_rng_normal(rng) * amax * 0.6f;
        }
        x[i] = nonneg ? fabsf(v) : v;
    }
    static const uint32_t specials[] = {0x7fc00000u, 0xffc00000u, 0x7fc12345u, 0xffd54321u,
                                        0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u,
                                        0x7f800001u /* signalling */, 0x00000001u, 0x80000001u};
    for (size_t k = 0; k < sizeof specials / sizeof specials[0] && 37 * k < n; k++) {
        float v = bits_to_float(specials[k]);
        if (nonneg && (signbit(v) && !isnan(v) && v != 0.0f)) continue;
        x[37 * k] = v;
    }
    if (n > 50 && !nonneg) x[50] = -0.3f * step; /* rounds to -0: fake-quant keeps the sign */
}

static uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void expect_same(const float *a, const float *b, size_t n, const char *what, float amax) {
    for (size_t i = 0; i < n; i++)
        if (!nnq_test_same_bits(a[i], b[i]))
            fail_msg("%s amax %a elem %zu: SIMD 0x%08x vs scalar 0x%08x", what, (double)amax, i,
                     (unsigned)float_bits(a[i]), (unsigned)float_bits(b[i]));
}

/* fake_quant_amax and quantize_amax of x (layout l) with SIMD and scalar. */
static void compare_amax(const float *x, const nnq_qlayout *l, const float *amax,
                         const nnq_int_format *f, const char *what) {
    size_t n = nnq_qlayout_numel(l), w = f->bits == 16 ? 2 : 1;
    float *ya = test_malloc(n * sizeof(float)), *yb = test_malloc(n * sizeof(float));
    uint8_t *qa = test_malloc(n * w), *qb = test_malloc(n * w);
    for (int pass = 0; pass < 2; pass++) {
        nnq_cpu_force_scalar(pass == 1);
        NNQ_ASSERT_OK(nnq_fake_quant_amax(x, l, amax, f, pass ? yb : ya, NULL));
        NNQ_ASSERT_OK(nnq_quantize_amax(x, l, amax, f, pass ? qb : qa, NULL));
    }
    nnq_cpu_force_scalar(false);
    expect_same(ya, yb, n, what, amax[0]);
    if (memcmp(qa, qb, n * w) != 0)
        fail_msg("%s amax %a: quantized codes differ", what, (double)amax[0]);
    test_free(ya);
    test_free(yb);
    test_free(qa);
    test_free(qb);
}

/* One-scale runs long enough for the reciprocal path, over many multipliers:
 * random ones (where the checked formula is usually exact), powers of two
 * (always exact) and the edges of the amax range. */
static void t_fq_reciprocal_per_tensor(void **state) {
    (void)state;
    static const nnq_int_format fmts[] = {
        {8, false, true}, {8, false, false}, {4, false, true}, {8, true, false}, {2, false, true}};
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 31);
    const int64_t n = 4099; /* > 8 grids of 256, odd tail */
    nnq_qlayout l;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(1, &n, &l));
    float *x = test_malloc((size_t)n * sizeof(float));
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        int32_t lo, hi;
        NNQ_ASSERT_OK(nnq_int_format_bounds(&fmts[f], &lo, &hi));
        for (int k = 0; k < 120; k++) {
            float amax;
            if (k < 100) amax = expf(nnq_rng_normal(&rng) * 4.0f);
            else if (k < 110) amax = ldexpf((float)hi, k - 105); /* multiplier 2^(105-k) */
            else amax = k % 2 ? 1e30f : 1e-6f;
            fill(&rng, x, (size_t)n, amax, (float)hi, fmts[f].is_unsigned);
            compare_amax(x, &l, &amax, &fmts[f], "per-tensor");
        }
    }
    test_free(x);
}

/* Where the reciprocal formula is not exact the run must divide: with a
 * 2-bit full grid [-2, 1] and amax 3e38, the multiplier 1/3e38 is subnormal
 * and -2 / s overflows to -Inf, which the correction turns into NaN. */
static void t_fq_reciprocal_fallback(void **state) {
    (void)state;
    static const nnq_int_format I2 = {2, false, false};
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 34);
    const int64_t n = 4096;
    nnq_qlayout l;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(1, &n, &l));
    float *x = test_malloc((size_t)n * sizeof(float)), *y = test_malloc((size_t)n * sizeof(float));
    const float amaxes[3] = {3e38f, 2e38f, 3.4e38f};
    for (int k = 0; k < 3; k++) {
        fill(&rng, x, (size_t)n, amaxes[k], 1.0f, false);
        compare_amax(x, &l, &amaxes[k], &I2, "fallback");
    }
    /* and the values themselves: -Inf clamps to -2 and -2 / s is -Inf,
     * 3e38 gives 1 and 1 / s is finite */
    x[0] = -INFINITY;
    x[1] = 3e38f;
    NNQ_ASSERT_OK(nnq_fake_quant_amax(x, &l, &amaxes[0], &I2, y, NULL));
    assert_true(isinf(y[0]) && y[0] < 0.0f);
    float s;
    NNQ_ASSERT_OK(nnq_amax_to_scale(amaxes[0], &I2, &s));
    assert_true(nnq_test_same_bits(y[1], 1.0f / s));
    test_free(x);
    test_free(y);
}

/* Per-channel rows of 2048 (one reciprocal check per row) with a zero-amax
 * row, rows sharing a multiplier, and the streaming path forced on at every
 * output misalignment (y starts 0..7 floats past an aligned address). */
static void t_fq_reciprocal_per_channel(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 32);
    const int64_t dims[2] = {6, 2048};
    const int axis = 0;
    const size_t n = 6 * 2048;
    nnq_qlayout l;
    NNQ_ASSERT_OK(nnq_qlayout_per_axes(2, dims, &axis, 1, &l));
    float *xbuf = test_malloc((n + 8) * sizeof(float));
    float amax[6] = {0.0f, 1.0f, 0.7817f, 0.7817f, 3.3e-3f, 12345.0f};
    for (int stream = 0; stream < 2; stream++) {
        nnq_quant_stream_bytes = stream ? 0 : (size_t)8 << 20;
        for (size_t off = 0; off < 8; off++) {
            float *x = xbuf + off;
            for (size_t r = 0; r < 6; r++)
                fill(&rng, x + r * 2048, 2048, amax[r] + 0.5f, 127.0f, false);
            compare_amax(x, &l, amax, &INT8_NARROW, "per-channel");
        }
    }
    nnq_quant_stream_bytes = (size_t)8 << 20;
    test_free(xbuf);
}

/* A 16-bit grid (65536 integers) over a run long enough to check them all. */
static void t_fq_reciprocal_16bit(void **state) {
    (void)state;
    static const nnq_int_format I16 = {16, false, true};
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 33);
    const int64_t n = 8 * 65536 + 13;
    nnq_qlayout l;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(1, &n, &l));
    float *x = test_malloc((size_t)n * sizeof(float));
    const float amaxes[3] = {1.0f, 0.7817f, 2.5e-4f};
    for (int k = 0; k < 3; k++) {
        fill(&rng, x, (size_t)n, amaxes[k], 32767.0f, false);
        compare_amax(x, &l, &amaxes[k], &I16, "16-bit");
    }
    test_free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_fq_reciprocal_per_tensor),
        cmocka_unit_test(t_fq_reciprocal_fallback),
        cmocka_unit_test(t_fq_reciprocal_per_channel),
        cmocka_unit_test(t_fq_reciprocal_16bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
