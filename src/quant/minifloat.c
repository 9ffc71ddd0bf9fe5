/* minifloat.c - rounding and single-value FP8 / FP4 / FP16 / BF16 coders. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "quant/quant_internal.h"

static inline uint32_t f32_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float f32_from_bits(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

float nnq_round_half_even(float x) {
    /* floorf, the subtraction and the +1 are exact for |x| < 2^23, so the
     * result is round-half-even whatever the caller's fenv rounding mode
     * (an add/subtract of 2^23, or rintf, would follow that mode). */
    const float magic = 8388608.0f;
    float a = fabsf(x);
    if (!(a < magic)) return x; /* already integral, Inf or NaN */
    float fl = floorf(a);
    float frac = a - fl;
    if (frac > 0.5f || (frac == 0.5f && ((int32_t)fl & 1))) fl += 1.0f;
    return copysignf(fl, x);
}

/*
 * The generic coder.  Codes are sign | exponent | mantissa with the given
 * widths; exponent field 0 is subnormal.  `fn` formats (E4M3FN) use only the
 * all-ones code for NaN, IEEE-like ones (E5M2) have Inf and NaN in the top
 * binade, `uz` formats have a single NaN at 0x80 and no -0, and E2M1 has
 * neither.
 */
enum { MF_IEEE, MF_FN, MF_FNUZ, MF_NONE };

const nnq_minifloat nnq_mf_e4m3fn = {4, 3, 7, MF_FN, 448.0f};
const nnq_minifloat nnq_mf_e5m2 = {5, 2, 15, MF_IEEE, 57344.0f};
const nnq_minifloat nnq_mf_e4m3fnuz = {4, 3, 8, MF_FNUZ, 240.0f};
const nnq_minifloat nnq_mf_e5m2fnuz = {5, 2, 16, MF_FNUZ, 57344.0f};
const nnq_minifloat nnq_mf_e2m1 = {2, 1, 1, MF_NONE, 6.0f};

static uint8_t mf_nan(const nnq_minifloat *f, uint8_t sign) {
    int nbits = 1 + f->ebits + f->mbits;
    switch (f->kind) {
    case MF_FNUZ: return 0x80;
    case MF_NONE: return 0;
    case MF_FN: return (uint8_t)(sign | ((1u << (nbits - 1)) - 1u));
    default: /* IEEE: exponent all ones, mantissa MSB set */
        return (uint8_t)(sign | (((1u << f->ebits) - 1u) << f->mbits) | (1u << (f->mbits - 1)));
    }
}

static uint8_t mf_max_code(const nnq_minifloat *f, uint8_t sign) {
    uint32_t emax = (1u << f->ebits) - 1u, mmax = (1u << f->mbits) - 1u;
    if (f->kind == MF_IEEE) emax -= 1;     /* top binade is Inf / NaN */
    else if (f->kind == MF_FN) mmax -= 1;  /* all-ones is NaN */
    return (uint8_t)(sign | (emax << f->mbits) | mmax);
}

/* Value of a non-negative, exactly representable a (a <= max) as a code. */
static uint8_t mf_pack(const nnq_minifloat *f, float a, uint8_t sign) {
    int emin = 1 - f->bias; /* exponent of the smallest normal */
    uint32_t code;
    if (a == 0.0f) return f->kind == MF_FNUZ ? 0 : sign;
    int e = ilogbf(a);
    if (e < emin) {
        code = (uint32_t)ldexpf(a, f->mbits - emin); /* exact small integer */
    } else {
        uint32_t man = (uint32_t)ldexpf(a, f->mbits - e) - (1u << f->mbits);
        code = ((uint32_t)(e + f->bias) << f->mbits) | man;
    }
    return (uint8_t)(sign | code);
}

uint8_t nnq_mf_encode(const nnq_minifloat *f, float x, bool saturate) {
    uint8_t sign = (f32_bits(x) >> 31) ? (uint8_t)(1u << (f->ebits + f->mbits)) : 0;
    float a = fabsf(x);
    if (isnan(x)) return mf_nan(f, sign);
    if (isinf(x)) {
        if (saturate || f->kind == MF_NONE) return mf_max_code(f, sign);
        if (f->kind == MF_IEEE) return (uint8_t)(sign | (((1u << f->ebits) - 1u) << f->mbits));
        return mf_nan(f, sign);
    }
    /* Quantum of the binade holding a (subnormal quantum below emin); the
     * scaled value is exact, so rounding it to even is the RNE of the format. */
    int emin = 1 - f->bias;
    int e = a == 0.0f ? emin : ilogbf(a);
    if (e < emin) e = emin;
    float r = ldexpf(nnq_round_half_even(ldexpf(a, f->mbits - e)), e - f->mbits);
    if (r > f->max) {
        if (saturate || f->kind == MF_NONE) return mf_max_code(f, sign);
        if (f->kind == MF_IEEE) return (uint8_t)(sign | (((1u << f->ebits) - 1u) << f->mbits));
        return mf_nan(f, sign);
    }
    if (f->kind == MF_FNUZ && r == 0.0f) return 0;
    return mf_pack(f, r, sign);
}

float nnq_mf_decode(const nnq_minifloat *f, uint8_t code) {
    uint32_t nbits = 1u + (uint32_t)f->ebits + (uint32_t)f->mbits;
    uint32_t sign = (code >> (nbits - 1)) & 1u;
    uint32_t ex = (code >> f->mbits) & ((1u << f->ebits) - 1u);
    uint32_t man = code & ((1u << f->mbits) - 1u);
    float v;
    if (f->kind == MF_FNUZ && code == 0x80) return NAN;
    if (f->kind == MF_FN && ex == (1u << f->ebits) - 1u && man == (1u << f->mbits) - 1u)
        return sign ? -NAN : NAN;
    if (f->kind == MF_IEEE && ex == (1u << f->ebits) - 1u) {
        if (man == 0) return sign ? -INFINITY : INFINITY;
        return sign ? -NAN : NAN;
    }
    /* Built from bits: exact, and far cheaper than ldexpf per element. */
    if (ex == 0) v = (float)man * f32_from_bits((uint32_t)(127 + 1 - f->bias - f->mbits) << 23);
    else v = f32_from_bits(((ex + 127u - (uint32_t)f->bias) << 23) | (man << (23 - f->mbits)));
    return sign ? -v : v;
}

/*
 * The fast encoder: the same rounding on the float's bits.  Normal results
 * rebias the exponent and round the dropped mantissa bits to even by adding
 * half-minus-one plus the kept LSB; subnormal results come from one float
 * addition of a power of two whose ulp is the format's subnormal quantum, so
 * the FPU does the round-to-nearest-even.  Tests hold it equal to
 * nnq_mf_encode over millions of inputs.
 */
static inline uint8_t mf_overflow(const nnq_minifloat *f, uint8_t sign, bool saturate) {
    if (saturate || f->kind == MF_NONE) return mf_max_code(f, sign);
    if (f->kind == MF_IEEE) return (uint8_t)(sign | (((1u << f->ebits) - 1u) << f->mbits));
    return mf_nan(f, sign);
}

static inline uint8_t mf_encode_fast(const nnq_minifloat *f, float x, bool saturate) {
    uint32_t u = f32_bits(x), a = u & 0x7FFFFFFFu;
    uint8_t sign = (uint8_t)((u >> 31) << (f->ebits + f->mbits));
    int shift = 23 - f->mbits;
    uint32_t maxb = f32_bits(f->max);
    /* Smallest magnitude that rounds past max: the tie above max overflows
     * only when max has an odd mantissa (ties go to even). */
    uint32_t ovf = maxb + (1u << (shift - 1)) + (((maxb >> shift) & 1u) ^ 1u);
    uint32_t minnorm = (uint32_t)(128 - f->bias) << 23, code;
    if (a > 0x7F800000u) return mf_nan(f, sign);
    if (a >= ovf) return mf_overflow(f, sign, saturate);
    if (a < minnorm) {
        uint32_t magic = (uint32_t)(127 + 1 - f->bias - f->mbits + 23) << 23;
        code = f32_bits(f32_from_bits(a) + f32_from_bits(magic)) - magic;
    } else {
        code = (a - ((uint32_t)(127 - f->bias) << 23) + (1u << (shift - 1)) - 1u +
                ((a >> shift) & 1u)) >> shift;
    }
    if (code == 0 && f->kind == MF_FNUZ) return 0;
    return (uint8_t)(sign | code);
}

uint8_t nnq_mf_encode_fast(const nnq_minifloat *f, float x, bool saturate) {
    return mf_encode_fast(f, x, saturate);
}

uint8_t nnq_fp8_e4m3fn_from_float(float x) { return mf_encode_fast(&nnq_mf_e4m3fn, x, true); }
float nnq_fp8_e4m3fn_to_float(uint8_t c) { return nnq_mf_decode(&nnq_mf_e4m3fn, c); }
uint8_t nnq_fp8_e5m2_from_float(float x) { return mf_encode_fast(&nnq_mf_e5m2, x, true); }
float nnq_fp8_e5m2_to_float(uint8_t c) { return nnq_mf_decode(&nnq_mf_e5m2, c); }
uint8_t nnq_fp8_e4m3fnuz_from_float(float x) { return mf_encode_fast(&nnq_mf_e4m3fnuz, x, true); }
float nnq_fp8_e4m3fnuz_to_float(uint8_t c) { return nnq_mf_decode(&nnq_mf_e4m3fnuz, c); }
uint8_t nnq_fp8_e5m2fnuz_from_float(float x) { return mf_encode_fast(&nnq_mf_e5m2fnuz, x, true); }
float nnq_fp8_e5m2fnuz_to_float(uint8_t c) { return nnq_mf_decode(&nnq_mf_e5m2fnuz, c); }
uint8_t nnq_fp4_e2m1_from_float(float x) { return mf_encode_fast(&nnq_mf_e2m1, x, true); }
float nnq_fp4_e2m1_to_float(uint8_t c) { return nnq_mf_decode(&nnq_mf_e2m1, (uint8_t)(c & 0xF)); }

static const nnq_minifloat *fp8_spec(nnq_dtype type) {
    switch (type) {
    case NNQ_DTYPE_FLOAT8E4M3FN: return &nnq_mf_e4m3fn;
    case NNQ_DTYPE_FLOAT8E4M3FNUZ: return &nnq_mf_e4m3fnuz;
    case NNQ_DTYPE_FLOAT8E5M2: return &nnq_mf_e5m2;
    case NNQ_DTYPE_FLOAT8E5M2FNUZ: return &nnq_mf_e5m2fnuz;
    default: return NULL;
    }
}

uint8_t nnq_fp8_from_float(nnq_dtype type, float x, bool saturate) {
    const nnq_minifloat *f = fp8_spec(type);
    return f ? mf_encode_fast(f, x, saturate) : 0;
}

float nnq_fp8_to_float(nnq_dtype type, uint8_t code) {
    const nnq_minifloat *f = fp8_spec(type);
    return f ? nnq_mf_decode(f, code) : NAN;
}

/* ---- binary16 and bfloat16 ---- */

uint16_t nnq_fp16_from_float(float x) {
    uint32_t u = f32_bits(x);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return (uint16_t)(sign | 0x7E00u | ((a >> 13) & 0x3FFu));
    if (a >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u); /* rounds past 65504 */
    if (a < 0x38800000u) {
        /* Subnormal half: the quantum is 2^-24; x * 2^24 is exact, round it. */
        float r = nnq_round_half_even(f32_from_bits(a) * 16777216.0f);
        return (uint16_t)(sign | (uint16_t)r);
    }
    /* Normal: rebias the exponent, then round the 13 dropped bits to even;
     * a carry into the exponent is the correct result. */
    uint32_t h = ((a - 0x38000000u) >> 13);
    uint32_t rest = a & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

float nnq_fp16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t ex = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
    if (ex == 0x1F) return f32_from_bits(sign | 0x7F800000u | (man << 13));
    if (ex == 0) {
        float v = (float)man * 5.9604644775390625e-8f; /* 2^-24 */
        return sign ? -v : v;
    }
    return f32_from_bits(sign | ((ex + 112u) << 23) | (man << 13));
}

uint16_t nnq_bf16_from_float(float x) {
    uint32_t u = f32_bits(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float nnq_bf16_to_float(uint16_t h) { return f32_from_bits((uint32_t)h << 16); }
