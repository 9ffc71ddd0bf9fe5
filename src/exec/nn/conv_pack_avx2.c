/*
 * conv_pack_avx2.c - im2col columns of a 2-D Conv packed straight into the
 * AVX2 sgemm's strip layout (the pre-packed path of conv.c).
 *
 * The fused packer cut each block into strip-and-output-row segments and
 * copied each through a generic loop (a libc memmove call for stride 1);
 * with 12-wide feature maps that was ~5 cycles per float of bookkeeping.
 * Here eight column rows of a 128-column group are first built whole in
 * a small buffer, one run per output row (overlapping vector copies,
 * stride 2 by an even-lane permute, zeros only where a run meets the
 * padding), then moved into the strips 16 floats at a time.
 * Only loads and stores: the values are those of the reference im2col.
 */
#include <immintrin.h>
#include <string.h>

#include "exec/nn/nn.h"

enum { NR = NNQ_SGEMM_NR, NC = NNQ_SGEMM_NC };

/*
 * dst[i] = src[i * s], i < n; loads stay inside the run.  Runs are a
 * feature-map row or less (12 floats in the benchmark CNN), so the tails
 * are overlapping fixed-size copies: a byte loop would become a libc call
 * costing more than the run, and masked moves are slow on AMD.
 */
/* An empty asm the vector passes through: GCC would otherwise turn the
 * short copy / zero loops below into memcpy / memset calls (with spills
 * and vzeroupper), which cost more than the runs. */
#define OPAQUE(v) __asm__("" : "+x"(v))

static inline __attribute__((always_inline)) void copy_run(float *dst, const float *src,
                                                           int64_t s, int64_t n) {
    int64_t i = 0;
    if (s == 1) {
        for (; i + 8 <= n; i += 8) {
            __m256 v = _mm256_loadu_ps(src + i);
            OPAQUE(v);
            _mm256_storeu_ps(dst + i, v);
        }
        if (i == n) return;
        if (n >= 8) {
            _mm256_storeu_ps(dst + n - 8, _mm256_loadu_ps(src + n - 8));
        } else if (n >= 4) {
            _mm_storeu_ps(dst, _mm_loadu_ps(src));
            _mm_storeu_ps(dst + n - 4, _mm_loadu_ps(src + n - 4));
        } else {
            dst[0] = src[0];
            dst[n - 1] = src[n - 1];
            dst[n / 2] = src[n / 2];
        }
        return;
    }
    if (s == 2) {
        const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
        /* 16 loaded, the even lanes of each half gathered to the low half;
         * i + 8 < n keeps the last load (src[2 i + 15]) inside the run */
        for (; i + 8 < n; i += 8) {
            __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(src + 2 * i), even);
            __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(src + 2 * i + 8), even);
            _mm256_storeu_ps(dst + i, _mm256_permute2f128_ps(lo, hi, 0x20));
        }
    }
    for (; i < n; i++) {
        float v = src[i * s];
        OPAQUE(v);
        dst[i] = v;
    }
}

/* dst[0, n) = 0, and possibly up to 7 floats past: see build_row. */
static inline __attribute__((always_inline)) void zero_run(float *dst, int64_t n) {
    __m256 z = _mm256_setzero_ps();
    for (int64_t i = 0; i < n; i += 8) {
        OPAQUE(z);
        _mm256_storeu_ps(dst + i, z);
    }
}

/* Output columns [lo, hi) of one dim whose tap starts at input base read
 * inside [0, in). */
static void tap_range(int64_t base, int64_t s, int64_t in, int64_t olen, int64_t *lo,
                      int64_t *hi) {
    int64_t l = base >= 0 ? 0 : (-base + s - 1) / s;
    int64_t h = base >= in ? 0 : (in - base + s - 1) / s;
    *lo = l < olen ? l : olen;
    h = h < olen ? h : olen;
    *hi = h < *lo ? *lo : h;
}

/* Column row (c, kh, kw), output positions [p0, p0 + nc), into row[]. */
static void build_row(const nn_conv2d_pack *p, size_t c, size_t kh, size_t kw, size_t p0,
                      size_t nc, float *row) {
    int64_t hb = (int64_t)kh * p->dh - p->ph, wb = (int64_t)kw * p->dw - p->pw;
    int64_t lo, hi;
    tap_range(wb, p->sw, p->W, p->OW, &lo, &hi);
    const float *xc = p->x + c * p->isp;
    int64_t oh = (int64_t)(p0 / (size_t)p->OW), ow = (int64_t)(p0 % (size_t)p->OW);
    for (size_t t = 0; t < nc; oh++, ow = 0) {
        int64_t end = ow + (int64_t)NNQ_MIN((size_t)(p->OW - ow), nc - t);
        int64_t ih = oh * p->sh + hb, a = end, b = end;
        if (ih >= 0 && ih < p->H) {
            a = NNQ_MIN(NNQ_MAX(ow, lo), end);
            b = NNQ_MAX(NNQ_MIN(hi, end), a);
        }
        float *d = row + t - (size_t)ow;
        /* the whole segment zeroed, then the run over it; the zeros that
         * spill past the segment land where later segments (or the zero
         * tail past nc) go, inside row's slack */
        if (a > ow || b < end) zero_run(d + ow, end - ow);
        /* integer offset: xc + wb alone may point before the tensor */
        if (b > a) copy_run(d + a, xc + (ih * p->W + a * p->sw + wb), p->sw, b - a);
        t += (size_t)(end - ow);
    }
}

/* Rows built per pass: each strip then takes RB x 64 contiguous bytes
 * instead of 64 bytes at kc x 64-byte strides (which alias in L1). */
enum { RB = 8 };

void nn_conv2d_pack_avx2(const nn_conv2d_pack *p, size_t k0, size_t kc, size_t ldk, size_t p0,
                         size_t nc, float *dst) {
    /* + 8: zero_run's spill */
    _Alignas(32) float rows[RB][NC + 8];
    size_t strips = (nc + NR - 1) / NR;
    /* columns past nc (the last strip's tail) stay zero */
    for (size_t r = 0; r < RB; r++)
        memset(rows[r] + nc, 0, (strips * NR - nc) * sizeof(float));
    size_t ksp = p->KH * p->KW, c = k0 / ksp, kk = k0 % ksp, kh = kk / p->KW, kw = kk % p->KW;
    for (size_t k = 0; k < kc; k += RB) {
        size_t nr = NNQ_MIN((size_t)RB, kc - k);
        for (size_t r = 0; r < nr; r++) {
            build_row(p, c, kh, kw, p0, nc, rows[r]);
            if (++kw < p->KW) continue;
            kw = 0;
            if (++kh == p->KH) kh = 0, c++;
        }
        for (size_t s = 0; s < strips; s++) {
            float *d = dst + s * ldk * NR + k * NR;
            for (size_t r = 0; r < nr; r++) {
                __m256 lo = _mm256_load_ps(rows[r] + s * NR);
                __m256 hi = _mm256_load_ps(rows[r] + s * NR + 8);
                OPAQUE(lo);
                _mm256_store_ps(d + r * NR, lo);
                _mm256_store_ps(d + r * NR + 8, hi);
            }
        }
    }
}
