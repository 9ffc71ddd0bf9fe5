/* vmath.c - the scalar definition of nnq_erf_f32 and the dispatch.  fmaf
 * is exact (one rounding), as the AVX2 version's FMA instructions are; on a
 * CPU without FMA, libm emulates it (slowly, but with the same bits). */
#include "exec/elem/vmath.h"

#include <math.h>
#include <string.h>

#include "exec/elem/vmath_coef.h"

/* exp(-y) for y in [ERF_SPLIT^2, ERF_ONE^2]: n = floor(-y log2e + 1/2),
 * so 2^n is a normal float (n in [-23, -1]). */
static float exp_neg(float y) {
    float z = -y;
    float n = floorf(fmaf(z, EXP_LOG2E, 0.5f));
    float r = fmaf(n, -EXP_LN2_HI, z);
    r = fmaf(n, -EXP_LN2_LO, r);
    float p = EXP_TAYLOR[7];
    for (int i = 6; i >= 0; i--)
        p = fmaf(p, r, EXP_TAYLOR[i]);
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

float nnq_erf_f32(float x) {
    if (isnan(x)) return x;
    float ax = fabsf(x), r;
    if (ax < ERF_SPLIT) {
        /* |x| (c0 + x^2 q(x^2)) with c0 = 2 / sqrt(pi) split in two
         * floats: c0's own rounding was most of a 2.7 ulp error */
        float x2 = ax * ax, q = ERF_SMALL[10];
        for (int i = 9; i >= 1; i--)
            q = fmaf(q, x2, ERF_SMALL[i]);
        r = fmaf(ax, ERF_SMALL[0], ax * fmaf(x2, q, ERF_C0_LO));
    } else if (ax < ERF_ONE) {
        float v = ERF_A / ax + ERF_B, g = ERF_TAIL[12];
        for (int i = 11; i >= 0; i--)
            g = fmaf(g, v, ERF_TAIL[i]);
        r = fmaf(-exp_neg(ax * ax), g, 1.0f);
    } else {
        r = 1.0f;
    }
    return copysignf(r, x);
}

#if !defined(NNQ_REFERENCE_ONLY)
static bool use_avx2(void) {
    uint32_t need = NNQ_CPU_AVX2 | NNQ_CPU_FMA;
    return (nnq_cpu_features() & need) == need;
}
#endif

static void vec(const float *x, float *y, size_t n, bool gelu) {
#if !defined(NNQ_REFERENCE_ONLY)
    if (use_avx2()) {
        nnq_vec_erf_avx2(x, y, n, gelu);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = gelu ? 0.5f * v * (1.0f + nnq_erf_f32(v * (float)M_SQRT1_2)) : nnq_erf_f32(v);
    }
}

void nnq_vec_erf(const float *x, float *y, size_t n) { vec(x, y, n, false); }

void nnq_vec_gelu(const float *x, float *y, size_t n) { vec(x, y, n, true); }
