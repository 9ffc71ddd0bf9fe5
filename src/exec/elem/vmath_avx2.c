/* vmath_avx2.c - nnq_erf_f32 on 8 lanes: both branches of the scalar
 * definition (vmath.c) with the same operations, blended per lane. */
#include <immintrin.h>
#include <math.h>

#include "exec/elem/vmath.h"
#include "exec/elem/vmath_coef.h"

/*
 * Horner chains of 8 to 13 FMA steps per branch: each step runs on V
 * vectors at once, so V chains are in flight together.
 */
enum { V = 2 };
#define EACH for (int k_ = 0; k_ < V; k_++)
#define K k_

static inline __attribute__((always_inline)) void hornerv(const float *c, int deg,
                                                          const __m256 *x, __m256 *p) {
    EACH p[K] = _mm256_set1_ps(c[deg]);
    for (int i = deg - 1; i >= 0; i--) {
        __m256 ci = _mm256_set1_ps(c[i]);
        EACH p[K] = _mm256_fmadd_ps(p[K], x[K], ci);
    }
}

/* exp(-y), y in [ERF_SPLIT^2, ERF_ONE^2] (vmath.c: exp_neg). */
static inline __attribute__((always_inline)) void exp_negv(const __m256 *y, __m256 *e) {
    __m256 z[V], n[V], r[V], p[V];
    EACH z[K] = _mm256_xor_ps(y[K], _mm256_set1_ps(-0.0f));
    EACH n[K] = _mm256_floor_ps(
        _mm256_fmadd_ps(z[K], _mm256_set1_ps(EXP_LOG2E), _mm256_set1_ps(0.5f)));
    EACH r[K] = _mm256_fmadd_ps(n[K], _mm256_set1_ps(-EXP_LN2_HI), z[K]);
    EACH r[K] = _mm256_fmadd_ps(n[K], _mm256_set1_ps(-EXP_LN2_LO), r[K]);
    hornerv(EXP_TAYLOR, 7, r, p);
    EACH {
        __m256i bits = _mm256_slli_epi32(
            _mm256_add_epi32(_mm256_cvttps_epi32(n[K]), _mm256_set1_epi32(127)), 23);
        e[K] = _mm256_mul_ps(p[K], _mm256_castsi256_ps(bits));
    }
}

static inline __attribute__((always_inline)) void erfv(const __m256 *x, __m256 *out) {
    const __m256 sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 ax[V], x2[V], q[V], small[V], axc[V], v[V], g[V], y[V], e[V];
    EACH ax[K] = _mm256_andnot_ps(sign, x[K]);
    /* |x| < ERF_SPLIT: |x| (c0 + x^2 q(x^2)) */
    EACH x2[K] = _mm256_mul_ps(ax[K], ax[K]);
    EACH q[K] = _mm256_set1_ps(ERF_SMALL[10]);
    for (int i = 9; i >= 1; i--) {
        __m256 ci = _mm256_set1_ps(ERF_SMALL[i]);
        EACH q[K] = _mm256_fmadd_ps(q[K], x2[K], ci);
    }
    EACH small[K] = _mm256_fmadd_ps(
        ax[K], _mm256_set1_ps(ERF_SMALL[0]),
        _mm256_mul_ps(ax[K], _mm256_fmadd_ps(x2[K], q[K], _mm256_set1_ps(ERF_C0_LO))));
    /* ERF_SPLIT <= |x| < ERF_ONE: 1 - exp(-x^2) g (other lanes clamped
     * into range, then dropped) */
    EACH axc[K] = _mm256_min_ps(_mm256_max_ps(ax[K], _mm256_set1_ps(ERF_SPLIT)),
                                _mm256_set1_ps(ERF_ONE));
    EACH v[K] = _mm256_add_ps(_mm256_div_ps(_mm256_set1_ps(ERF_A), axc[K]),
                              _mm256_set1_ps(ERF_B));
    hornerv(ERF_TAIL, 12, v, g);
    EACH y[K] = _mm256_mul_ps(axc[K], axc[K]);
    exp_negv(y, e);
    EACH {
        __m256 tail = _mm256_fnmadd_ps(e[K], g[K], one);
        tail = _mm256_blendv_ps(tail, one,
                                _mm256_cmp_ps(ax[K], _mm256_set1_ps(ERF_ONE), _CMP_GE_OQ));
        __m256 r = _mm256_blendv_ps(tail, small[K],
                                    _mm256_cmp_ps(ax[K], _mm256_set1_ps(ERF_SPLIT), _CMP_LT_OQ));
        r = _mm256_or_ps(r, _mm256_and_ps(x[K], sign));
        out[K] = _mm256_blendv_ps(r, x[K], _mm256_cmp_ps(x[K], x[K], _CMP_UNORD_Q));
    }
}

/* 8 V floats: erf, or Gelu = (0.5 x) (1 + erf(x * (float)sqrt(1/2))). */
static inline __attribute__((always_inline)) void block(const float *src, float *dst, bool gelu) {
    __m256 x[V], t[V], e[V];
    EACH x[K] = _mm256_loadu_ps(src + 8 * K);
    if (gelu) {
        EACH t[K] = _mm256_mul_ps(x[K], _mm256_set1_ps((float)M_SQRT1_2));
    } else {
        EACH t[K] = x[K];
    }
    erfv(t, e);
    if (gelu)
        EACH e[K] = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x[K]),
                                  _mm256_add_ps(_mm256_set1_ps(1.0f), e[K]));
    EACH _mm256_storeu_ps(dst + 8 * K, e[K]);
}

void nnq_vec_erf_avx2(const float *x, float *y, size_t n, bool gelu) {
    size_t i = 0;
    for (; i + 8 * V <= n; i += 8 * V) {
        if (gelu)
            block(x + i, y + i, true);
        else
            block(x + i, y + i, false);
    }
    if (i < n) {
        /* the tail through a padded block: the same lanes, same bits */
        float buf[8 * V] = {0};
        for (size_t k = 0; k < n - i; k++)
            buf[k] = x[i + k];
        block(buf, buf, gelu);
        for (size_t k = 0; k < n - i; k++)
            y[i + k] = buf[k];
    }
}
