/*
 * conv_direct_avx2.c - the direct 2-D convolution kernel (AVX2+FMA).
 *
 * The product is turned around from the im2col one: rows are output pixels,
 * columns output channels.  A tile of 6 pixels x 16 channels reads its six
 * pixels' inputs in place (each pixel has a pointer to its window's corner
 * in the zero-padded image; tap k is koff[k] floats further), broadcast one
 * at a time, and the weights from a pre-packed strip (per k, 16 channels).
 * No column matrix is built: what im2col copied K times is now addressed.
 * The 12 accumulators are transposed in registers (through a small buffer
 * for partial tiles) into the NCHW output.  Each output is one FMA chain over k = 0 .. K-1 in order, plus
 * the bias after it, whatever the tile: thread counts and tilings give the
 * same bits.
 */
#include <immintrin.h>

#include "exec/nn/nn.h"

/* r[i] = column i of the 8 x 8 block in r (rows in, columns out). */
static inline __attribute__((always_inline)) void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20), r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20), r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31), r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31), r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

#define ROW_FMA(i, lo, hi)                                                                         \
    {                                                                                              \
        __m256 va = _mm256_broadcast_ss(r##i + o);                                                 \
        lo = _mm256_fmadd_ps(va, b0, lo);                                                          \
        hi = _mm256_fmadd_ps(va, b1, hi);                                                          \
    }

void nn_dconv_tile_avx2(const float *const *rows, const ptrdiff_t *koff, size_t K,
                        const float *wp, bool bias, size_t mr, size_t nch, float *y, size_t ldy) {
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
    const float *r3 = rows[3], *r4 = rows[4], *r5 = rows[5];
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *wk = wp + NN_DCONV_NR;
#pragma GCC unroll 4
    for (size_t k = 0; k < K; k++, wk += NN_DCONV_NR) {
        ptrdiff_t o = koff[k];
        __m256 b0 = _mm256_load_ps(wk), b1 = _mm256_load_ps(wk + 8);
        ROW_FMA(0, c00, c01)
        ROW_FMA(1, c10, c11)
        ROW_FMA(2, c20, c21)
        ROW_FMA(3, c30, c31)
        ROW_FMA(4, c40, c41)
        ROW_FMA(5, c50, c51)
    }
    if (bias) {
        __m256 bl = _mm256_load_ps(wp), bh = _mm256_load_ps(wp + 8);
        c00 = _mm256_add_ps(c00, bl), c01 = _mm256_add_ps(c01, bh);
        c10 = _mm256_add_ps(c10, bl), c11 = _mm256_add_ps(c11, bh);
        c20 = _mm256_add_ps(c20, bl), c21 = _mm256_add_ps(c21, bh);
        c30 = _mm256_add_ps(c30, bl), c31 = _mm256_add_ps(c31, bh);
        c40 = _mm256_add_ps(c40, bl), c41 = _mm256_add_ps(c41, bh);
        c50 = _mm256_add_ps(c50, bl), c51 = _mm256_add_ps(c51, bh);
    }
    if (mr == NN_DCONV_MR && nch == NN_DCONV_NR) {
        /* full tile: two 8 x 8 transposes (rows 6 and 7 unused), then 6
         * floats per channel as a 4- and a 2-float store */
        __m256 z = _mm256_setzero_ps();
        __m256 lo[8] = {c00, c10, c20, c30, c40, c50, z, z};
        __m256 hi[8] = {c01, c11, c21, c31, c41, c51, z, z};
        transpose8(lo);
        transpose8(hi);
        for (size_t j = 0; j < 8; j++, y += ldy) {
            _mm_storeu_ps(y, _mm256_castps256_ps128(lo[j]));
            _mm_storel_pi((__m64 *)(void *)(y + 4), _mm256_extractf128_ps(lo[j], 1));
        }
        for (size_t j = 0; j < 8; j++, y += ldy) {
            _mm_storeu_ps(y, _mm256_castps256_ps128(hi[j]));
            _mm_storel_pi((__m64 *)(void *)(y + 4), _mm256_extractf128_ps(hi[j], 1));
        }
        return;
    }
    /* pixel-major tile -> channel-major output */
    _Alignas(32) float t[NN_DCONV_MR][NN_DCONV_NR];
    _mm256_store_ps(t[0], c00), _mm256_store_ps(t[0] + 8, c01);
    _mm256_store_ps(t[1], c10), _mm256_store_ps(t[1] + 8, c11);
    _mm256_store_ps(t[2], c20), _mm256_store_ps(t[2] + 8, c21);
    _mm256_store_ps(t[3], c30), _mm256_store_ps(t[3] + 8, c31);
    _mm256_store_ps(t[4], c40), _mm256_store_ps(t[4] + 8, c41);
    _mm256_store_ps(t[5], c50), _mm256_store_ps(t[5] + 8, c51);
    for (size_t j = 0; j < nch; j++, y += ldy)
        for (size_t i = 0; i < mr; i++)
            y[i] = t[i][j];
}

void nn_dconv_pack_weights_avx2(const float *w, size_t M, size_t K, const float *bias, size_t s,
                                float *dst) {
    enum { NR = NN_DCONV_NR };
    size_t m0 = s * NR, nm = M - m0 < NR ? M - m0 : NR;
    for (size_t j = 0; j < NR; j++)
        dst[j] = bias && j < nm ? bias[m0 + j] : 0.0f;
    float *d = dst + NR;
    const float *src = w + m0 * K;
    size_t k = 0;
    if (nm == NR)
        for (; k + 8 <= K; k += 8)
            for (size_t h = 0; h < NR; h += 8) {
                __m256 r[8];
                for (size_t i = 0; i < 8; i++)
                    r[i] = _mm256_loadu_ps(src + (h + i) * K + k);
                transpose8(r);
                for (size_t i = 0; i < 8; i++)
                    _mm256_store_ps(d + (k + i) * NR + h, r[i]);
            }
    for (; k < K; k++)
        for (size_t j = 0; j < NR; j++)
            d[k * NR + j] = j < nm ? src[j * K + k] : 0.0f;
}
