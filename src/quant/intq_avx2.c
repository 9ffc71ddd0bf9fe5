/* intq_avx2.c - AVX2 integer quantize / fake-quant kernels.
 *
 * Bit-identical to intq_ref.c: the same fp32 operations in the same order
 * (vroundps with round-to-nearest-even equals nnq_round_half_even), NaN
 * handled by the operand order of max/min, tails by the reference. */
#include <immintrin.h>

#include "internal.h"
#include "quant/quant_internal.h"

#define RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

static inline __m256 load_s(const float *s, size_t i, size_t sstride) {
    return sstride ? _mm256_loadu_ps(s + i) : _mm256_broadcast_ss(s);
}

/* Clamp that passes NaN through: max/min return the second operand when
 * either is NaN. */
static inline __m256 clamp_nan(__m256 v, __m256 lo, __m256 hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

static inline __m256 nan_to_zero(__m256 t) {
    return _mm256_and_ps(t, _mm256_cmp_ps(t, t, _CMP_ORD_Q));
}

/*
 * Runs this long write their output with non-temporal stores (after a short
 * head that aligns the output): an output that large leaves the cache before
 * anyone reads it, and skipping the read-for-ownership is what lets the
 * kernels approach memcpy bandwidth.
 */
#define NT_MIN_ELEMS 4096

static inline void store_si(void *p, __m256i v, bool nt) {
    if (nt) _mm256_stream_si256((__m256i *)p, v);
    else _mm256_storeu_si256((__m256i *)p, v);
}

static inline void store_ps(float *p, __m256 v, bool nt) {
    if (nt) _mm256_stream_ps(p, v);
    else _mm256_storeu_ps(p, v);
}

/* Elements to do before out + i * width is 32-byte aligned (0 when the
 * run is too short for streaming or the output stays in cache). */
static inline size_t nt_head(const void *out, size_t n, size_t width, bool stream) {
    if (!stream || n < NT_MIN_ELEMS) return 0;
    size_t mis = (uintptr_t)out & 31u;
    if (mis % width) return 0; /* cannot align: plain stores */
    return mis ? (32u - mis) / width : 0;
}

/* Store 16 (width 2) or 32 values (width 1) already on the grid. */
static inline void store16(void *q, __m256i a, __m256i b, bool is_unsigned, bool nt) {
    __m256i p = is_unsigned ? _mm256_packus_epi32(a, b) : _mm256_packs_epi32(a, b);
    store_si(q, _mm256_permute4x64_epi64(p, 0xD8), nt);
}

static inline void store32(void *q, __m256i a, __m256i b, __m256i c, __m256i d,
                           bool is_unsigned, bool nt) {
    __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    __m256i p = is_unsigned ? _mm256_packus_epi16(ab, cd) : _mm256_packs_epi16(ab, cd);
    store_si(q, _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)), nt);
}

/* One vector of grid integers for x[i..i+8): amax (mul) or linear (div + zp). */
static inline __m256i q_vec(const float *x, size_t i, const float *scale, const float *zp,
                            size_t sstride, __m256 lo, __m256 hi) {
    __m256 v = _mm256_loadu_ps(x + i), s = load_s(scale, i, sstride), t;
    if (zp) {
        t = nan_to_zero(_mm256_round_ps(_mm256_div_ps(v, s), RNE));
        t = _mm256_add_ps(t, load_s(zp, i, sstride));
    } else {
        t = nan_to_zero(_mm256_round_ps(_mm256_mul_ps(v, s), RNE));
    }
    return _mm256_cvtps_epi32(clamp_nan(t, lo, hi));
}

/* Vector part of a run starting at element i0 (the head before it is the
 * caller's); returns the end of what it did. */
static size_t q_body(const float *x, size_t i0, size_t n, const float *scale, const float *zp,
                     size_t sstride, const nnq_int_kernel_args *a, void *q, bool nt) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    size_t i = i0;
    if (a->width == 1) {
        for (; i + 32 <= n; i += 32) {
            __m256i v0 = q_vec(x, i, scale, zp, sstride, lo, hi);
            __m256i v1 = q_vec(x, i + 8, scale, zp, sstride, lo, hi);
            __m256i v2 = q_vec(x, i + 16, scale, zp, sstride, lo, hi);
            __m256i v3 = q_vec(x, i + 24, scale, zp, sstride, lo, hi);
            store32((uint8_t *)q + i, v0, v1, v2, v3, a->is_unsigned, nt);
        }
    } else {
        for (; i + 16 <= n; i += 16) {
            __m256i v0 = q_vec(x, i, scale, zp, sstride, lo, hi);
            __m256i v1 = q_vec(x, i + 8, scale, zp, sstride, lo, hi);
            store16((uint16_t *)q + i, v0, v1, a->is_unsigned, nt);
        }
    }
    return i;
}

/* Head (to align for streaming), vector body, tail; head and tail run the
 * reference, which is bit-identical. */
static void q_run(const float *x, size_t n, const float *scale, const float *zp, size_t sstride,
                  const nnq_int_kernel_args *a, void *q) {
    size_t w = (size_t)a->width, h = nt_head(q, n, w, a->stream), i;
    bool nt = a->stream && n >= NT_MIN_ELEMS && ((uintptr_t)q + h * w) % 32u == 0;
    if (zp) {
        if (h) nnq_int_kernels_ref.q_linear(x, h, scale, zp, sstride, a, q);
    } else if (h) {
        nnq_int_kernels_ref.q_amax(x, h, scale, sstride, a, q);
    }
    i = q_body(x, h, n, scale, zp, sstride, a, q, nt);
    if (nt) _mm_sfence();
    if (i == n) return;
    if (zp)
        nnq_int_kernels_ref.q_linear(x + i, n - i, scale + i * sstride, zp + i * sstride,
                                     sstride, a, (char *)q + i * w);
    else
        nnq_int_kernels_ref.q_amax(x + i, n - i, scale + i * sstride, sstride, a,
                                   (char *)q + i * w);
}

static void q_amax_avx2(const float *x, size_t n, const float *scale, size_t sstride,
                        const nnq_int_kernel_args *a, void *q) {
    q_run(x, n, scale, NULL, sstride, a, q);
}

static void q_linear_avx2(const float *x, size_t n, const float *scale, const float *zp,
                          size_t sstride, const nnq_int_kernel_args *a, void *q) {
    q_run(x, n, scale, zp, sstride, a, q);
}

static void fq_amax_avx2(const float *x, size_t n, const float *scale, size_t sstride,
                         const nnq_int_kernel_args *a, float *y) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    const __m256 zero = _mm256_setzero_ps();
    size_t i = nt_head(y, n, 4, a->stream);
    bool nt = a->stream && n >= NT_MIN_ELEMS && ((uintptr_t)(y + i) & 31u) == 0;
    if (i) nnq_int_kernels_ref.fq_amax(x, i, scale, sstride, a, y);
    for (; i + 8 <= n; i += 8) {
        __m256 s = load_s(scale, i, sstride);
        __m256 t = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), RNE);
        t = clamp_nan(t, lo, hi);
        /* amax <= 2^-24 has multiplier 0: the block keeps t (divided by 1). */
        __m256 r = _mm256_blendv_ps(_mm256_div_ps(t, s), t, _mm256_cmp_ps(s, zero, _CMP_EQ_OQ));
        store_ps(y + i, r, nt);
    }
    if (nt) _mm_sfence();
    if (i < n) nnq_int_kernels_ref.fq_amax(x + i, n - i, scale + i * sstride, sstride, a, y + i);
}

static void fq_linear_avx2(const float *x, size_t n, const float *scale, const float *zp,
                           size_t sstride, const nnq_int_kernel_args *a, float *y) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    size_t i = nt_head(y, n, 4, a->stream);
    bool nt = a->stream && n >= NT_MIN_ELEMS && ((uintptr_t)(y + i) & 31u) == 0;
    if (i) nnq_int_kernels_ref.fq_linear(x, i, scale, zp, sstride, a, y);
    for (; i + 8 <= n; i += 8) {
        __m256 s = load_s(scale, i, sstride), z = load_s(zp, i, sstride);
        __m256 t = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s), RNE);
        t = clamp_nan(_mm256_add_ps(t, z), lo, hi);
        store_ps(y + i, _mm256_mul_ps(_mm256_sub_ps(t, z), s), nt);
    }
    if (nt) _mm_sfence();
    if (i < n)
        nnq_int_kernels_ref.fq_linear(x + i, n - i, scale + i * sstride, zp + i * sstride,
                                      sstride, a, y + i);
}

const nnq_int_kernels nnq_int_kernels_avx2 = {q_amax_avx2, fq_amax_avx2, q_linear_avx2,
                                              fq_linear_avx2};
