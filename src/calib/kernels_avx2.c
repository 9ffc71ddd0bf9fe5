/*
 * kernels_avx2.c - AVX2 versions of the calib kernels.  Integer results
 * (counts, bit patterns) match kernels.c exactly: the bin index uses the
 * same fp32 multiply-then-divide, which is correctly rounded in both.
 */
#include "calib/calib_impl.h"

#include <immintrin.h>
#include <string.h>

static float hmin(__m256 v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

static float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

static uint32_t hmax_u32(__m256i v) {
    __m128i m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    m = _mm_max_epu32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_max_epu32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(m);
}

void calib_minmax_avx2(const float *x, size_t n, calib_minmax *acc) {
    const __m256i absmask = _mm256_set1_epi32(0x7fffffff);
    __m256 mn0 = _mm256_set1_ps(acc->mn), mn1 = mn0;
    __m256 mx0 = _mm256_set1_ps(acc->mx), mx1 = mx0;
    __m256i ab0 = _mm256_set1_epi32((int)acc->absbits), ab1 = ab0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        mn0 = _mm256_min_ps(mn0, a);
        mn1 = _mm256_min_ps(mn1, b);
        mx0 = _mm256_max_ps(mx0, a);
        mx1 = _mm256_max_ps(mx1, b);
        ab0 = _mm256_max_epu32(ab0, _mm256_and_si256(_mm256_castps_si256(a), absmask));
        ab1 = _mm256_max_epu32(ab1, _mm256_and_si256(_mm256_castps_si256(b), absmask));
    }
    acc->mn = hmin(_mm256_min_ps(mn0, mn1));
    acc->mx = hmax(_mm256_max_ps(mx0, mx1));
    acc->absbits = hmax_u32(_mm256_max_epu32(ab0, ab1));
    calib_minmax_ref(x + i, n - i, acc);
}

/* min_ps / max_ps return their second operand unless the compare holds,
 * which is the reference's (v < mn ? v : mn) for -0 / +0 and NaN too. */
void calib_minmax_row_avx2(const float *x, size_t n, float *mn, float *mx, uint32_t *ab) {
    const __m256i absmask = _mm256_set1_epi32(0x7fffffff);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 v = _mm256_loadu_ps(x + j);
        _mm256_storeu_ps(mn + j, _mm256_min_ps(v, _mm256_loadu_ps(mn + j)));
        _mm256_storeu_ps(mx + j, _mm256_max_ps(v, _mm256_loadu_ps(mx + j)));
        __m256i b = _mm256_and_si256(_mm256_castps_si256(v), absmask);
        __m256i *pa = (__m256i *)(ab + j);
        _mm256_storeu_si256(pa, _mm256_max_epu32(b, _mm256_loadu_si256(pa)));
    }
    calib_minmax_row_ref(x + j, n - j, mn + j, mx + j, ab + j);
}

/* Broadcast binning parameters, built once per call: kept in locals so the
 * counter stores (which may alias *p as far as the compiler knows) do not
 * force p to be reloaded and re-broadcast for every vector. */
typedef struct bin_consts {
    __m256 absmask, nbf, edge;
    __m256i nb, over;
} bin_consts;

/* Bin indices of 8 values: the reference's fp32 multiply-then-divide
 * (out-of-range lanes may convert to garbage: they are blended away).
 * A reciprocal multiply with an exact fallback near integer quotients
 * measured slower: the divider runs beside the counting, which is the bound. */
static inline __m256i bin_index8(const float *x, const bin_consts *k, bool skip_zeros) {
    __m256 a = _mm256_and_ps(_mm256_loadu_ps(x), k->absmask);
    /* In-range lanes give t in [0, nbins]; the others are forced to all
     * ones, so one unsigned min lands them on the OVER slot, and then
     * nbins folds into the last bin. */
    __m256i out = _mm256_castps_si256(_mm256_cmp_ps(a, k->edge, _CMP_NLE_UQ));
    /* min: a * nbins overflows to inf for huge in-range values (last bin). */
    __m256 t = _mm256_min_ps(_mm256_div_ps(_mm256_mul_ps(a, k->nbf), k->edge), k->nbf);
    __m256i pos = _mm256_min_epu32(_mm256_or_si256(_mm256_cvttps_epi32(t), out), k->over);
    pos = _mm256_add_epi32(pos, _mm256_cmpeq_epi32(pos, k->nb));
    if (skip_zeros) {
        __m256 z = _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_EQ_OQ);
        pos = _mm256_blendv_epi8(pos, k->nb, _mm256_castps_si256(z));
    }
    return pos;
}

/* Values are binned in blocks of BIN_BLOCK: the indices of block b are
 * stored to one half of a double buffer while those of block b - 1 are
 * counted from the other, 8 indices after each vector.  Counting right
 * after computing stalls on vector-to-scalar forwarding; extracting lanes
 * with vmovq / vpextrq instead of a store measured slower (Zen 1).  Indices
 * are read two per 64-bit load: the counter updates (a load and a store
 * each) are the bound, so every load saved counts.  The prefetch keeps DRAM
 * streaming while the counters are updated (the hardware prefetcher alone
 * fell behind). */
#define BIN_BLOCK 64
#define BIN_PREFETCH 1024 /* floats ahead */

static inline void count8(const uint32_t *q, uint32_t *s0, uint32_t *s1, uint32_t *s2,
                          uint32_t *s3) {
    uint64_t w[4];
    memcpy(w, q, sizeof w); /* little-endian: q[2j] is the low half of w[j] */
    s0[(uint32_t)w[0]]++;
    s1[w[0] >> 32]++;
    s2[(uint32_t)w[1]]++;
    s3[w[1] >> 32]++;
    s0[(uint32_t)w[2]]++;
    s1[w[2] >> 32]++;
    s2[(uint32_t)w[3]]++;
    s3[w[3] >> 32]++;
}

/* skip_zeros is a constant at each call, so each variant loses the branch. */
static inline void bin_blocks(const float *x, size_t nblk, const calib_bin_params *p,
                              uint32_t *sub, bool skip_zeros) {
    const size_t stride = CALIB_BIN_SLOTS(p->nbins);
    uint32_t *s0 = sub, *s1 = sub + stride, *s2 = sub + 2 * stride, *s3 = sub + 3 * stride;
    const bin_consts k = {_mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)),
                          _mm256_set1_ps(p->nbins_f), _mm256_set1_ps(p->edge),
                          _mm256_set1_epi32((int)p->nbins),
                          _mm256_set1_epi32((int)CALIB_BIN_OVER(p->nbins))};
    _Alignas(32) uint32_t buf[2][BIN_BLOCK];
    const size_t n = nblk * BIN_BLOCK;
    for (size_t b = 0; b < nblk; b++) {
        const float *xb = x + b * BIN_BLOCK;
        if (b * BIN_BLOCK + BIN_PREFETCH < n)
            for (int j = 0; j < BIN_BLOCK; j += 16)
                _mm_prefetch((const char *)(xb + BIN_PREFETCH + j), _MM_HINT_T0);
        uint32_t *cur = buf[b & 1];
        const uint32_t *prev = buf[(b & 1) ^ 1];
        for (int j = 0; j < BIN_BLOCK; j += 8) {
            _mm256_store_si256((__m256i *)(cur + j), bin_index8(xb + j, &k, skip_zeros));
            if (b > 0) count8(prev + j, s0, s1, s2, s3);
        }
    }
    if (nblk > 0)
        for (int j = 0; j < BIN_BLOCK; j += 8) count8(buf[(nblk - 1) & 1] + j, s0, s1, s2, s3);
}

void calib_bin_avx2(const float *x, size_t n, const calib_bin_params *p, uint32_t *sub) {
    const size_t nblk = n / BIN_BLOCK;
    if (p->skip_zeros) bin_blocks(x, nblk, p, sub, true);
    else bin_blocks(x, nblk, p, sub, false);
    calib_bin_ref(x + nblk * BIN_BLOCK, n - nblk * BIN_BLOCK, p, sub);
}

/* Same fp32 operations as calib_fake_quant per term, so each term is
 * bit-identical to the reference; lanes 0-3 and 4-7 accumulate in two
 * double vectors, reduced as calib_lanes_sum. */
double calib_mse_err_avx2(const float *cen, const float *cnt, size_t m, float amax, float bound,
                          float lo) {
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    const bool zero_amax = amax <= 0x1p-24f;
    const __m256 scale = _mm256_set1_ps(zero_amax ? 1.0f : bound / amax);
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(bound);
    for (size_t k = 0; k < m; k += 8) {
        __m256 c = _mm256_loadu_ps(cen + k);
        __m256 q = _mm256_round_ps(_mm256_mul_ps(c, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q = _mm256_min_ps(_mm256_max_ps(q, vlo), vhi);
        __m256 fq = zero_amax ? _mm256_setzero_ps() : _mm256_div_ps(q, scale);
        __m256 d = _mm256_sub_ps(fq, c);
        __m256 e = _mm256_mul_ps(_mm256_mul_ps(d, d), _mm256_loadu_ps(cnt + k));
        acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    __m256d s = _mm256_add_pd(acc0, acc1);
    __m128d lo2 = _mm256_castpd256_pd128(s), hi2 = _mm256_extractf128_pd(s, 1);
    double p[4];
    _mm_storeu_pd(p, lo2);
    _mm_storeu_pd(p + 2, hi2);
    return (p[0] + p[1]) + (p[2] + p[3]);
}
