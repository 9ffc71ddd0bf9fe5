/*
 * vmath.h - float32 transcendental kernels of the elementwise ops (erf for
 * Erf and Gelu), a portable scalar definition and an AVX2+FMA version that
 * performs the same float operations (fmaf = FMA) in the same order, so the
 * two agree bit for bit (-ffp-contract=off keeps the other multiplies and
 * adds separate).
 */
#ifndef NNQ_EXEC_ELEM_VMATH_H
#define NNQ_EXEC_ELEM_VMATH_H

#include "internal.h"

/*
 * erf(x) within 2 ulp of the exact value (1.12 ulp worst measured against
 * double erf on [-4.5, 4.5] in steps of 2^-12, the branch edges and 2^20
 * random points; tests/exec/test_vmath.c): |x| (c0 + x^2 q(x^2)) (Taylor,
 * 11 terms) for |x| < 0.75; 1 - exp(-x^2) g(x) for 0.75 <= |x| < 3.92, g
 * a degree-12 polynomial in 1 / x fitted to erfc(x) exp(x^2)
 * (tools/fit_erf.py); +-1 beyond; sign of x; NaN stays NaN.  No libm
 * transcendental; floor is the only rounding not set by the fenv mode.
 */
NNQ_INTERNAL float nnq_erf_f32(float x);

/* y[i] = erf(x[i]) / Gelu(x[i]) = 0.5 x (1 + erf(x / sqrt 2)), i < n;
 * AVX2+FMA when the CPU has it (same bits as the scalar loop, 2x faster
 * than libm's erff there); x may equal y. */
NNQ_INTERNAL void nnq_vec_erf(const float *x, float *y, size_t n);
NNQ_INTERNAL void nnq_vec_gelu(const float *x, float *y, size_t n);

/* The AVX2 loops behind them (vmath_avx2.c); only with AVX2 and FMA. */
NNQ_INTERNAL void nnq_vec_erf_avx2(const float *x, float *y, size_t n, bool gelu);

#endif
