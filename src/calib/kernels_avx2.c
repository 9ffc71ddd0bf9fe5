/*
 * kernels_avx2.c - AVX2 versions of the calib kernels.  Integer results
 * (counts, bit patterns) match kernels.c exactly: the bin index uses the
 * same fp32 multiply-then-divide, which is correctly rounded in both.
 */
#include "calib/calib_impl.h"

#include <immintrin.h>

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

/* Bin indices of 8 values: the reference's fp32 multiply-then-divide
 * (out-of-range lanes may convert to garbage: they are blended away). */
static __m256i bin_index8(const float *x, const calib_bin_params *p) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 nbf = _mm256_set1_ps(p->nbins_f), edge = _mm256_set1_ps(p->edge);
    const __m256i nb = _mm256_set1_epi32((int)p->nbins);
    const __m256i over = _mm256_set1_epi32((int)CALIB_BIN_OVER(p->nbins));
    __m256 a = _mm256_and_ps(_mm256_loadu_ps(x), absmask);
    /* In-range lanes give t in [0, nbins]; the others are forced to all
     * ones, so one unsigned min lands them on the OVER slot, and then
     * nbins folds into the last bin. */
    __m256i out = _mm256_castps_si256(_mm256_cmp_ps(a, edge, _CMP_NLE_UQ));
    /* min: a * nbins overflows to inf for huge in-range values (last bin). */
    __m256 t = _mm256_min_ps(_mm256_div_ps(_mm256_mul_ps(a, nbf), edge), nbf);
    __m256i pos = _mm256_min_epu32(_mm256_or_si256(_mm256_cvttps_epi32(t), out), over);
    pos = _mm256_add_epi32(pos, _mm256_cmpeq_epi32(pos, nb));
    if (p->skip_zeros) {
        __m256 z = _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_EQ_OQ);
        pos = _mm256_blendv_epi8(pos, nb, _mm256_castps_si256(z));
    }
    return pos;
}

/* Each vector of indices is stored to a small ring and counted BIN_DELAY
 * vectors later: extracting lanes right after computing them stalls on
 * vector-to-scalar forwarding, and counting a whole chunk after computing
 * it keeps the two phases from overlapping out of order.  The prefetch
 * keeps DRAM streaming while the counters are updated (the hardware
 * prefetcher alone fell behind). */
#define BIN_DELAY 8
#define BIN_RING 16 /* power of two > BIN_DELAY */
#define BIN_PREFETCH 1024 /* floats ahead */

static inline void count8(const uint32_t *q, uint32_t *s0, uint32_t *s1, uint32_t *s2,
                          uint32_t *s3) {
    s0[q[0]]++;
    s1[q[1]]++;
    s2[q[2]]++;
    s3[q[3]]++;
    s0[q[4]]++;
    s1[q[5]]++;
    s2[q[6]]++;
    s3[q[7]]++;
}

void calib_bin_avx2(const float *x, size_t n, const calib_bin_params *p, uint32_t *sub) {
    const size_t stride = CALIB_BIN_SLOTS(p->nbins);
    uint32_t *s0 = sub, *s1 = sub + stride, *s2 = sub + 2 * stride, *s3 = sub + 3 * stride;
    _Alignas(32) uint32_t ring[BIN_RING * 8];
    const size_t nvec = n / 8;
    for (size_t v = 0; v < nvec; v++) {
        if (v * 8 + BIN_PREFETCH < n)
            _mm_prefetch((const char *)(x + v * 8 + BIN_PREFETCH), _MM_HINT_T0);
        _mm256_store_si256((__m256i *)(ring + (v % BIN_RING) * 8), bin_index8(x + v * 8, p));
        if (v >= BIN_DELAY) count8(ring + ((v - BIN_DELAY) % BIN_RING) * 8, s0, s1, s2, s3);
    }
    for (size_t v = nvec > BIN_DELAY ? nvec - BIN_DELAY : 0; v < nvec; v++)
        count8(ring + (v % BIN_RING) * 8, s0, s1, s2, s3);
    calib_bin_ref(x + nvec * 8, n - nvec * 8, p, sub);
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
