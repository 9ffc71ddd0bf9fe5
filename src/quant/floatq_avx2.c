/* floatq_avx2.c - AVX2 FP8 / FP4 encoders and the NVFP4 block kernel.
 *
 * Lane-wise the same integer steps as mf_encode_fast in minifloat.c (and the
 * same fp32 multiply / divide before them), so codes are bit-identical to
 * the scalar path; tests compare them with the scalar path forced. */
#include <immintrin.h>
#include <string.h>

#include "internal.h"
#include "quant/quant_internal.h"

typedef struct mf_vconsts {
    __m256i absmask, ovf_m1, minnorm, magic, rebias, half_m1, one, maxcode, nan_inf;
    __m256 magic_ps;
    __m128i shift;
    int signpos, kind;
    uint32_t nan_base; /* NaN code without sign */
} mf_vconsts;

/* Mirrors of the kinds in minifloat.c. */
enum { MF_IEEE, MF_FN, MF_FNUZ, MF_NONE };

static void mf_vconsts_init(const nnq_minifloat *f, mf_vconsts *k) {
    uint32_t maxb;
    memcpy(&maxb, &f->max, sizeof maxb);
    int shift = 23 - f->mbits;
    uint32_t ovf = maxb + (1u << (shift - 1)) + (((maxb >> shift) & 1u) ^ 1u);
    uint32_t magic = (uint32_t)(127 + 1 - f->bias - f->mbits + 23) << 23;
    k->absmask = _mm256_set1_epi32(0x7FFFFFFF);
    k->ovf_m1 = _mm256_set1_epi32((int)(ovf - 1u));
    k->minnorm = _mm256_set1_epi32((int)((uint32_t)(128 - f->bias) << 23));
    k->magic = _mm256_set1_epi32((int)magic);
    k->magic_ps = _mm256_castsi256_ps(k->magic);
    k->rebias = _mm256_set1_epi32((int)((uint32_t)(127 - f->bias) << 23));
    k->half_m1 = _mm256_set1_epi32((int)((1u << (shift - 1)) - 1u));
    k->one = _mm256_set1_epi32(1);
    k->shift = _mm_cvtsi32_si128(shift);
    k->nan_inf = _mm256_set1_epi32(0x7F800000);
    k->signpos = f->ebits + f->mbits;
    k->kind = f->kind;
    /* Saturating max code and the NaN code, as in minifloat.c. */
    k->maxcode = _mm256_set1_epi32((int)nnq_mf_encode_fast(f, f->max, true));
    k->nan_base = nnq_mf_encode_fast(f, __builtin_nanf(""), true);
}

/* 8 saturating codes (one per int32 lane) of x. */
static inline __m256i mf_encode8(__m256 x, const mf_vconsts *k) {
    __m256i u = _mm256_castps_si256(x), a = _mm256_and_si256(u, k->absmask);
    __m256i sign = _mm256_slli_epi32(_mm256_srli_epi32(u, 31), k->signpos);
    __m256i lsb = _mm256_and_si256(_mm256_srl_epi32(a, k->shift), k->one);
    __m256i normal = _mm256_add_epi32(_mm256_sub_epi32(a, k->rebias), _mm256_add_epi32(k->half_m1, lsb));
    normal = _mm256_srl_epi32(normal, k->shift);
    __m256i sub = _mm256_sub_epi32(
        _mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(a), k->magic_ps)), k->magic);
    __m256i code = _mm256_blendv_epi8(normal, sub, _mm256_cmpgt_epi32(k->minnorm, a));
    code = _mm256_blendv_epi8(code, k->maxcode, _mm256_cmpgt_epi32(a, k->ovf_m1));
    if (k->kind == MF_FNUZ) /* no -0: a zero magnitude drops the sign */
        sign = _mm256_andnot_si256(_mm256_cmpeq_epi32(code, _mm256_setzero_si256()), sign);
    code = _mm256_or_si256(code, sign);
    __m256i nan = _mm256_set1_epi32((int)k->nan_base);
    if (k->kind == MF_FN || k->kind == MF_IEEE) nan = _mm256_or_si256(nan, sign);
    return _mm256_blendv_epi8(code, nan, _mm256_cmpgt_epi32(a, k->nan_inf));
}

static inline void store_codes32(uint8_t *out, __m256i a, __m256i b, __m256i c, __m256i d) {
    __m256i p = _mm256_packus_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out, p);
}

size_t nnq_mf_quantize_avx2(const nnq_minifloat *f, const float *x, size_t n, float mul,
                            uint8_t *codes) {
    mf_vconsts k;
    mf_vconsts_init(f, &k);
    const __m256 m = _mm256_set1_ps(mul);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c0 = mf_encode8(_mm256_mul_ps(_mm256_loadu_ps(x + i), m), &k);
        __m256i c1 = mf_encode8(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8), m), &k);
        __m256i c2 = mf_encode8(_mm256_mul_ps(_mm256_loadu_ps(x + i + 16), m), &k);
        __m256i c3 = mf_encode8(_mm256_mul_ps(_mm256_loadu_ps(x + i + 24), m), &k);
        store_codes32(codes + i, c0, c1, c2, c3);
    }
    return i; /* the caller finishes the tail with the scalar encoder */
}

static inline float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* Nibble-pack 16 codes held in two vectors of int32 lanes. */
static inline void pack16_nibbles(uint8_t *out, __m256i lo, __m256i hi) {
    /* In every 64-bit lane move the odd code up to bits 4..7 of the even one. */
    lo = _mm256_or_si256(lo, _mm256_srli_epi64(lo, 28));
    hi = _mm256_or_si256(hi, _mm256_srli_epi64(hi, 28));
    const __m256i pick = _mm256_setr_epi8(0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, 0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, -1);
    lo = _mm256_shuffle_epi8(lo, pick);
    hi = _mm256_shuffle_epi8(hi, pick);
    uint16_t a = (uint16_t)_mm256_extract_epi16(lo, 0), b = (uint16_t)_mm256_extract_epi16(lo, 8);
    uint16_t c = (uint16_t)_mm256_extract_epi16(hi, 0), d = (uint16_t)_mm256_extract_epi16(hi, 8);
    uint64_t v = (uint64_t)a | (uint64_t)b << 16 | (uint64_t)c << 32 | (uint64_t)d << 48;
    memcpy(out, &v, 8);
}

void nnq_nvfp4_blocks_avx2(const float *x, size_t first, size_t count, float tensor_scale,
                           uint8_t *codes, uint8_t *scales) {
    mf_vconsts k;
    mf_vconsts_init(&nnq_mf_e2m1, &k);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 fmax = _mm256_set1_ps(3.4028234663852886e38f);
    for (size_t b = first; b < first + count; b++) {
        const float *xb = x + b * 16;
        __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
        __m256 a0 = _mm256_and_ps(v0, absmask), a1 = _mm256_and_ps(v1, absmask);
        /* NaN and Inf do not enter the block amax (as in the scalar path). */
        a0 = _mm256_and_ps(a0, _mm256_cmp_ps(a0, fmax, _CMP_LE_OQ));
        a1 = _mm256_and_ps(a1, _mm256_cmp_ps(a1, fmax, _CMP_LE_OQ));
        float amax = hmax8(_mm256_max_ps(a0, a1));
        float bs = amax / (6.0f * tensor_scale);
        uint8_t sc = nnq_fp8_e4m3fn_from_float(bs == 0.0f ? 1.0f : bs);
        float s = nnq_fp8_e4m3fn_to_float(sc) * tensor_scale;
        scales[b] = sc;
        if (s == 0.0f) {
            memset(codes + b * 8, 0, 8);
            continue;
        }
        __m256 sv = _mm256_set1_ps(s);
        __m256i c0 = mf_encode8(_mm256_div_ps(v0, sv), &k);
        __m256i c1 = mf_encode8(_mm256_div_ps(v1, sv), &k);
        pack16_nibbles(codes + b * 8, c0, c1);
    }
}
