/* intq_avx2.c - AVX2 integer quantize / fake-quant kernels.
 *
 * Bit-identical to intq_ref.c: the same fp32 operations in the same order
 * (vroundps with round-to-nearest-even equals nnq_round_half_even), NaN
 * handled by the operand order of max/min, tails by the reference.  The one
 * exception, fake-quant's division replaced by a reciprocal on part of the
 * vectors, is checked against the division on every value it can see before
 * a run uses it (see div_by_recip). */
#include <immintrin.h>
#include <math.h>

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

/* Software prefetch this far ahead of the input (bytes): the kernels are
 * bound by memory, and the hardware prefetcher alone keeps too few lines in
 * flight on this class of machine. */
#define PF_DIST 1024

/* Prefetch the `lines` 64-byte lines one iteration will need PF_DIST later
 * (a constant count, so the loop unrolls). */
static inline void prefetch_in(const float *p, int lines) {
    const char *c = (const char *)p + PF_DIST;
    for (int k = 0; k < lines; k++) _mm_prefetch(c + 64 * k, _MM_HINT_T0);
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
            prefetch_in(x + i, 2);
            __m256i v0 = q_vec(x, i, scale, zp, sstride, lo, hi);
            __m256i v1 = q_vec(x, i + 8, scale, zp, sstride, lo, hi);
            __m256i v2 = q_vec(x, i + 16, scale, zp, sstride, lo, hi);
            __m256i v3 = q_vec(x, i + 24, scale, zp, sstride, lo, hi);
            store32((uint8_t *)q + i, v0, v1, v2, v3, a->is_unsigned, nt);
        }
    } else {
        for (; i + 16 <= n; i += 16) {
            prefetch_in(x + i, 1);
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

/*
 * Fake-quant divides the grid integer t by the multiplier s, and vdivps is
 * the slowest instruction in the loop (on the Zen 1 development VM, 3.6 ns
 * per 8 lanes: alone it caps the kernel at about 9 GB/s, below memcpy).
 * For a run with one multiplier, every third vector instead goes through
 * r = 1/s and one correction step on the FMA pipes, which run beside the
 * divider:
 *     q = t * r,  e = t - q * s (exact),  q' = q + e * r,
 * with t's sign OR-ed in because the correction turns -0 into +0.  That is
 * not correctly rounded for every divisor, but t can only be an integer of
 * the grid or NaN, so the run first checks the formula against t / s bit for
 * bit on all of them (NaN included: the FMA must pass the payload through)
 * and divides everything when any differs.  The check runs under the same
 * MXCSR rounding / flush modes as the loop, so it is valid for them too.
 */
static inline __m256 div_by_recip(__m256 t, __m256 s, __m256 r) {
    __m256 q = _mm256_mul_ps(t, r);
    __m256 e = _mm256_fnmadd_ps(q, s, t);
    q = _mm256_fmadd_ps(e, r, q);
    return _mm256_or_ps(q, _mm256_and_ps(t, _mm256_set1_ps(-0.0f)));
}

/* Bits where div_by_recip(t) and t / s differ. */
static inline __m256i recip_diff(__m256 t, __m256 s, __m256 r) {
    return _mm256_xor_si256(_mm256_castps_si256(_mm256_div_ps(t, s)),
                            _mm256_castps_si256(div_by_recip(t, s, r)));
}

static bool recip_exact(float s, float r, float lo, float hi) {
    const __m256 vs = _mm256_set1_ps(s), vr = _mm256_set1_ps(r), vhi = _mm256_set1_ps(hi);
    const __m256 step = _mm256_set1_ps(8.0f);
    __m256 t = _mm256_add_ps(_mm256_set1_ps(lo), _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7));
    /* quiet NaNs of both signs with payloads, and both zeros */
    __m256 special = _mm256_castsi256_ps(_mm256_setr_epi32(
        0x7fc00000, (int)0xffc00000, 0x7fc12345, (int)0xffd54321, 0x7fffffff, (int)0xffffffff,
        0, (int)0x80000000));
    __m256i bad = recip_diff(special, vs, vr);
    /* the grid has at most 2^16 integers, all exact in fp32 */
    for (float k = lo; k <= hi; k += 8.0f, t = _mm256_add_ps(t, step))
        bad = _mm256_or_si256(bad, recip_diff(_mm256_min_ps(t, vhi), vs, vr));
    return _mm256_testz_si256(bad, bad);
}

/* The run's grid integers for x[i..i+8). */
static inline __m256 fq_grid(const float *x, size_t i, __m256 s, __m256 lo, __m256 hi) {
    return clamp_nan(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), RNE), lo, hi);
}

/* Body of a one-multiplier run (s != 0, reciprocal checked): one vector in
 * three by the reciprocal (the ratio that kept both pipes busiest in a
 * micro-benchmark); returns the end. */
static size_t fq_amax_recip(const float *x, size_t i, size_t n, float s1, float *y, bool nt,
                            const nnq_int_kernel_args *a) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    const __m256 s = _mm256_set1_ps(s1), r = _mm256_set1_ps(1.0f / s1);
    for (; i + 48 <= n; i += 48) {
        prefetch_in(x + i, 3);
        __m256 t0 = fq_grid(x, i, s, lo, hi), t1 = fq_grid(x, i + 8, s, lo, hi);
        __m256 t2 = fq_grid(x, i + 16, s, lo, hi), t3 = fq_grid(x, i + 24, s, lo, hi);
        __m256 t4 = fq_grid(x, i + 32, s, lo, hi), t5 = fq_grid(x, i + 40, s, lo, hi);
        store_ps(y + i, div_by_recip(t0, s, r), nt);
        store_ps(y + i + 8, _mm256_div_ps(t1, s), nt);
        store_ps(y + i + 16, _mm256_div_ps(t2, s), nt);
        store_ps(y + i + 24, div_by_recip(t3, s, r), nt);
        store_ps(y + i + 32, _mm256_div_ps(t4, s), nt);
        store_ps(y + i + 40, _mm256_div_ps(t5, s), nt);
    }
    return i;
}

/* Checking the reciprocal costs (hi - lo + 1) / 8 divisions: worth it only
 * on runs several times longer than the grid. */
static bool use_recip(size_t n, const float *scale, size_t sstride, const nnq_int_kernel_args *a) {
    if (sstride || scale[0] == 0.0f || (double)n < 8.0 * ((double)a->hi - (double)a->lo + 1.0))
        return false;
    /* Under round-to-nearest (MXCSR RC = 00) both t / s and the formula are
     * odd functions of t, so the magnitudes [0, max(-lo, hi)] suffice; the
     * directed modes need the whole grid. */
    if ((_mm_getcsr() & 0x6000u) == 0 && a->lo < 0.0f)
        return recip_exact(scale[0], 1.0f / scale[0], 0.0f, fmaxf(-a->lo, a->hi));
    return recip_exact(scale[0], 1.0f / scale[0], a->lo, a->hi);
}

/* Fake-quant of x[i..i+8) by division, any multipliers (0 included). */
static inline __m256 fq_amax_vec(const float *x, size_t i, const float *scale, size_t sstride,
                                 __m256 lo, __m256 hi) {
    __m256 s = load_s(scale, i, sstride), t = fq_grid(x, i, s, lo, hi);
    /* amax <= 2^-24 has multiplier 0: the block keeps t (divided by 1). */
    __m256 zs = _mm256_cmp_ps(s, _mm256_setzero_ps(), _CMP_EQ_OQ);
    return _mm256_blendv_ps(_mm256_div_ps(t, s), t, zs);
}

static void fq_amax_avx2(const float *x, size_t n, const float *scale, size_t sstride,
                         const nnq_int_kernel_args *a, float *y) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    size_t i = nt_head(y, n, 4, a->stream);
    bool nt = a->stream && n >= NT_MIN_ELEMS && ((uintptr_t)(y + i) & 31u) == 0;
    if (i) nnq_int_kernels_ref.fq_amax(x, i, scale, sstride, a, y);
    if (use_recip(n, scale, sstride, a)) i = fq_amax_recip(x, i, n, scale[0], y, nt, a);
    for (; i + 16 <= n; i += 16) {
        prefetch_in(x + i, 1);
        if (sstride) prefetch_in(scale + i, 1);
        __m256 v0 = fq_amax_vec(x, i, scale, sstride, lo, hi);
        __m256 v1 = fq_amax_vec(x, i + 8, scale, sstride, lo, hi);
        store_ps(y + i, v0, nt);
        store_ps(y + i + 8, v1, nt);
    }
    if (nt) _mm_sfence();
    if (i < n) nnq_int_kernels_ref.fq_amax(x + i, n - i, scale + i * sstride, sstride, a, y + i);
}

static inline __m256 fq_linear_vec(const float *x, size_t i, const float *scale, const float *zp,
                                   size_t sstride, __m256 lo, __m256 hi) {
    __m256 s = load_s(scale, i, sstride), z = load_s(zp, i, sstride);
    __m256 t = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s), RNE);
    t = clamp_nan(_mm256_add_ps(t, z), lo, hi);
    return _mm256_mul_ps(_mm256_sub_ps(t, z), s);
}

static void fq_linear_avx2(const float *x, size_t n, const float *scale, const float *zp,
                           size_t sstride, const nnq_int_kernel_args *a, float *y) {
    const __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    size_t i = nt_head(y, n, 4, a->stream);
    bool nt = a->stream && n >= NT_MIN_ELEMS && ((uintptr_t)(y + i) & 31u) == 0;
    if (i) nnq_int_kernels_ref.fq_linear(x, i, scale, zp, sstride, a, y);
    for (; i + 16 <= n; i += 16) {
        prefetch_in(x + i, 1);
        __m256 v0 = fq_linear_vec(x, i, scale, zp, sstride, lo, hi);
        __m256 v1 = fq_linear_vec(x, i + 8, scale, zp, sstride, lo, hi);
        store_ps(y + i, v0, nt);
        store_ps(y + i + 8, v1, nt);
    }
    if (nt) _mm_sfence();
    if (i < n)
        nnq_int_kernels_ref.fq_linear(x + i, n - i, scale + i * sstride, zp + i * sstride,
                                      sstride, a, y + i);
}

const nnq_int_kernels nnq_int_kernels_avx2 = {q_amax_avx2, fq_amax_avx2, q_linear_avx2,
                                              fq_linear_avx2};
