/* intq_ref.c - scalar reference integer kernels and the kernel dispatch. */
#include "internal.h"
#include "quant/quant_internal.h"

static void store_q(void *q, size_t i, float v, const nnq_int_kernel_args *a) {
    /* v is an integer already clamped to the grid, so the conversions are
     * exact and defined. */
    int32_t iv = (int32_t)v;
    if (a->width == 1) {
        if (a->is_unsigned) ((uint8_t *)q)[i] = (uint8_t)iv;
        else ((int8_t *)q)[i] = (int8_t)iv;
    } else {
        if (a->is_unsigned) ((uint16_t *)q)[i] = (uint16_t)iv;
        else ((int16_t *)q)[i] = (int16_t)iv;
    }
}

static inline float rne_nan_zero(float t) {
    t = nnq_round_half_even(t);
    return t != t ? 0.0f : t;
}

static void q_amax_ref(const float *x, size_t n, const float *scale, size_t sstride,
                       const nnq_int_kernel_args *a, void *q) {
    for (size_t i = 0; i < n; i++) {
        float t = rne_nan_zero(x[i] * scale[i * sstride]);
        store_q(q, i, nnq_clampf_nan(t, a->lo, a->hi), a);
    }
}

static void fq_amax_ref(const float *x, size_t n, const float *scale, size_t sstride,
                        const nnq_int_kernel_args *a, float *y) {
    for (size_t i = 0; i < n; i++) {
        float s = scale[i * sstride];
        float t = nnq_clampf_nan(nnq_round_half_even(x[i] * s), a->lo, a->hi);
        /* pytorch-quantization divides a zero-amax block by 1: +-0, or NaN
         * for NaN / Inf input. */
        y[i] = s == 0.0f ? t : t / s;
    }
}

static void q_linear_ref(const float *x, size_t n, const float *scale, const float *zp,
                         size_t sstride, const nnq_int_kernel_args *a, void *q) {
    for (size_t i = 0; i < n; i++) {
        float t = rne_nan_zero(x[i] / scale[i * sstride]) + zp[i * sstride];
        store_q(q, i, nnq_clampf_nan(t, a->lo, a->hi), a);
    }
}

static void fq_linear_ref(const float *x, size_t n, const float *scale, const float *zp,
                          size_t sstride, const nnq_int_kernel_args *a, float *y) {
    for (size_t i = 0; i < n; i++) {
        float s = scale[i * sstride], z = zp[i * sstride];
        float t = nnq_clampf_nan(nnq_round_half_even(x[i] / s) + z, a->lo, a->hi);
        y[i] = (t - z) * s;
    }
}

const nnq_int_kernels nnq_int_kernels_ref = {q_amax_ref, fq_amax_ref, q_linear_ref,
                                             fq_linear_ref};

bool nnq_quant_use_avx2(void) {
#if !defined(NNQ_REFERENCE_ONLY)
    uint32_t need = NNQ_CPU_AVX2 | NNQ_CPU_FMA;
    return (nnq_cpu_features() & need) == need;
#else
    return false;
#endif
}

const nnq_int_kernels *nnq_int_kernels_get(void) {
#if !defined(NNQ_REFERENCE_ONLY)
    if (nnq_quant_use_avx2()) return &nnq_int_kernels_avx2;
#endif
    return &nnq_int_kernels_ref;
}
