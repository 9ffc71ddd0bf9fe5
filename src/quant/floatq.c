/* floatq.c - FP8 / FP4 element casts and the block formats (NVFP4, MX, NF). */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "quant/quant_internal.h"

static bool is_elem_float(nnq_qformat f) {
    return f >= NNQ_QFORMAT_FP8_E4M3FN && f <= NNQ_QFORMAT_FP4_E2M1;
}

/* ---- element-wise casts ---- */

typedef struct cast_ctx {
    const nnq_qformat_info *fi;
    const nnq_minifloat *mf;
    bool simd;
    const float *x;
    const uint8_t *cin;
    uint8_t *cout;
    float *y;
    float scale;
} cast_ctx;

static void cast_q_tile(void *vctx, size_t start, size_t count) {
    const cast_ctx *c = vctx;
    size_t i = start;
#if !defined(NNQ_REFERENCE_ONLY)
    if (c->simd) i += nnq_mf_quantize_avx2(c->mf, c->x + start, count, c->scale, c->cout + start);
#endif
    for (; i < start + count; i++) c->cout[i] = c->fi->from_float_ref(c->x[i] * c->scale);
}

static const nnq_minifloat *elem_spec(nnq_qformat f) {
    switch (f) {
    case NNQ_QFORMAT_FP8_E4M3FN: return &nnq_mf_e4m3fn;
    case NNQ_QFORMAT_FP8_E5M2: return &nnq_mf_e5m2;
    case NNQ_QFORMAT_FP8_E4M3FNUZ: return &nnq_mf_e4m3fnuz;
    case NNQ_QFORMAT_FP8_E5M2FNUZ: return &nnq_mf_e5m2fnuz;
    default: return &nnq_mf_e2m1;
    }
}

static void cast_dq_tile(void *vctx, size_t start, size_t count) {
    const cast_ctx *c = vctx;
    for (size_t i = start; i < start + count; i++) c->y[i] = c->fi->to_float(c->cin[i]) * c->scale;
}

static nnq_status cast_check(const char *fn, nnq_qformat fmt, float scale, const void *a,
                             const void *b, size_t n) {
    if (!is_elem_float(fmt))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "%s: format %d is not an FP8 or FP4 element format", fn, (int)fmt);
    if (!isfinite(scale))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: scale %g must be finite", fn, (double)scale);
    if (n > 0 && (!a || !b)) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    return NNQ_STATUS_OK;
}

nnq_status nnq_float_quantize(const float *x, size_t n, nnq_qformat fmt, float inv_scale,
                              uint8_t *codes, nnq_pool *pool) {
    NNQ_TRY(cast_check("float_quantize", fmt, inv_scale, x, codes, n));
    cast_ctx c = {nnq_qformat_get(fmt), elem_spec(fmt), nnq_quant_use_avx2(), x, NULL, codes,
                  NULL, inv_scale};
    nnq_pool_parallelize_1d(pool, cast_q_tile, &c, n, NNQ_QUANT_TILE);
    return NNQ_STATUS_OK;
}

nnq_status nnq_float_dequantize(const uint8_t *codes, size_t n, nnq_qformat fmt, float scale,
                                float *y, nnq_pool *pool) {
    NNQ_TRY(cast_check("float_dequantize", fmt, scale, codes, y, n));
    cast_ctx c = {nnq_qformat_get(fmt), elem_spec(fmt), false, NULL, codes, NULL, y, scale};
    nnq_pool_parallelize_1d(pool, cast_dq_tile, &c, n, NNQ_QUANT_TILE);
    return NNQ_STATUS_OK;
}

/* ---- block formats: shared plumbing ---- */

static int default_block(nnq_qformat f, int block) {
    if (f == NNQ_QFORMAT_NVFP4) return 16;
    if (f >= NNQ_QFORMAT_MXFP4 && f <= NNQ_QFORMAT_MXFP8_E5M2) return 32;
    return block == 0 ? 64 : block;
}

nnq_status nnq_block_format_sizes(nnq_qformat fmt, size_t n, int block, size_t *code_bytes,
                                  size_t *nscales) {
    static const char fn[] = "block_format_sizes";
    if (fmt < NNQ_QFORMAT_NVFP4 || fmt >= NNQ_QFORMAT_COUNT_)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: format %d is not a block format", fn,
                         (int)fmt);
    int b = default_block(fmt, block);
    if (b < 1)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH, "%s: block size %d must be >= 1", fn, block);
    if (n % (size_t)b != 0)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH,
                         "%s: %zu values are not a multiple of the %s block size %d", fn, n,
                         nnq_qformat_get(fmt)->name, b);
    if (!nnq_packed_size(n, nnq_qformat_get(fmt)->bits, code_bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: %zu values overflow", fn, n);
    *nscales = n / (size_t)b;
    return NNQ_STATUS_OK;
}

typedef struct block_ctx {
    nnq_qformat fmt;
    const nnq_qformat_info *fi;
    size_t block;
    const float *x;
    float *y;
    uint8_t *codes;       /* packed (NVFP4 / MX) or one per byte (NF) */
    const uint8_t *cin;   /* packed input codes for dequantization */
    uint8_t *bscale;      /* NVFP4 / MX scale codes */
    const uint8_t *cbscale;
    float *fscale;        /* NF absmax */
    const float *cfscale;
    float tensor_scale;
    bool simd;
} block_ctx;

static float block_absmax(const float *x, size_t n, bool *finite) {
    float m = 0.0f;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (!(a <= 3.4028234663852886e38f)) ok = false; /* NaN or Inf */
        else if (a > m) m = a;
    }
    if (finite) *finite = ok;
    return m;
}

/* Element codes of one block, written packed at its byte offset (blocks of
 * 4-bit codes are an even number of elements, so they start on a byte). */
static void put_codes(uint8_t *packed, size_t blk, size_t block, int bits, const uint8_t *c) {
    uint8_t *out = packed + blk * block * (size_t)bits / 8;
    if (bits == 8) {
        memcpy(out, c, block);
        return;
    }
    for (size_t i = 0; i < block; i += 2) out[i / 2] = (uint8_t)((c[i] & 0xFu) | (c[i + 1] << 4));
}

static uint8_t get_code(const uint8_t *packed, size_t i, int bits) {
    if (bits == 8) return packed[i];
    return (uint8_t)((packed[i / 2] >> ((i & 1) * 4)) & 0xFu);
}

/* ---- NVFP4 ---- */

nnq_status nnq_nvfp4_tensor_scale(float amax, float *tensor_scale) {
    if (!isfinite(amax))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "nvfp4_tensor_scale: amax %g must be finite",
                         (double)amax);
    if (amax < 0.0f)
        return nnq_error(NNQ_STATUS_NEGATIVE_AMAX, "nvfp4_tensor_scale: amax %g must be >= 0",
                         (double)amax);
    /* A zero tensor encodes with any scale; 1 keeps the divisions finite. */
    *tensor_scale = amax == 0.0f ? 1.0f : amax / (6.0f * 448.0f);
    return NNQ_STATUS_OK;
}

static void nvfp4_q_tile(void *vctx, size_t start, size_t count) {
    const block_ctx *c = vctx;
    uint8_t codes[16];
#if !defined(NNQ_REFERENCE_ONLY)
    if (c->simd) {
        nnq_nvfp4_blocks_avx2(c->x, start, count, c->tensor_scale, c->codes, c->bscale);
        return;
    }
#endif
    for (size_t b = start; b < start + count; b++) {
        const float *x = c->x + b * 16;
        float bs = block_absmax(x, 16, NULL) / (6.0f * c->tensor_scale);
        /* ModelOpt maps an all-zero block's scale to 1 before the cast. */
        uint8_t sc = nnq_fp8_e4m3fn_from_float(bs == 0.0f ? 1.0f : bs);
        float s = nnq_fp8_e4m3fn_to_float(sc) * c->tensor_scale;
        for (size_t i = 0; i < 16; i++)
            codes[i] = s == 0.0f ? 0 : nnq_fp4_e2m1_from_float(x[i] / s);
        c->bscale[b] = sc;
        put_codes(c->codes, b, 16, 4, codes);
    }
}

static void nvfp4_dq_tile(void *vctx, size_t start, size_t count) {
    const block_ctx *c = vctx;
    for (size_t b = start; b < start + count; b++) {
        float s = nnq_fp8_e4m3fn_to_float(c->cbscale[b]) * c->tensor_scale;
        for (size_t i = b * 16; i < b * 16 + 16; i++)
            c->y[i] = nnq_fp4_e2m1_to_float(get_code(c->cin, i, 4)) * s;
    }
}

static nnq_status block_args(const char *fn, nnq_qformat fmt, size_t n, int block, const void *a,
                             const void *b, const void *s) {
    size_t cb, ns;
    NNQ_TRY(nnq_block_format_sizes(fmt, n, block, &cb, &ns));
    if (n > 0 && (!a || !b || !s))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    return NNQ_STATUS_OK;
}

static nnq_status check_tensor_scale(const char *fn, float ts) {
    if (!(ts > 0.0f) || isinf(ts))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: tensor_scale %g must be finite and > 0",
                         fn, (double)ts);
    return NNQ_STATUS_OK;
}

nnq_status nnq_nvfp4_quantize(const float *x, size_t n, float tensor_scale, uint8_t *codes,
                              uint8_t *block_scales, nnq_pool *pool) {
    static const char fn[] = "nvfp4_quantize";
    NNQ_TRY(block_args(fn, NNQ_QFORMAT_NVFP4, n, 0, x, codes, block_scales));
    NNQ_TRY(check_tensor_scale(fn, tensor_scale));
    block_ctx c = {.x = x, .codes = codes, .bscale = block_scales, .tensor_scale = tensor_scale,
                   .simd = nnq_quant_use_avx2()};
    nnq_pool_parallelize_1d(pool, nvfp4_q_tile, &c, n / 16, NNQ_QUANT_TILE / 16);
    return NNQ_STATUS_OK;
}

nnq_status nnq_nvfp4_dequantize(const uint8_t *codes, const uint8_t *block_scales, size_t n,
                                float tensor_scale, float *y, nnq_pool *pool) {
    static const char fn[] = "nvfp4_dequantize";
    NNQ_TRY(block_args(fn, NNQ_QFORMAT_NVFP4, n, 0, codes, y, block_scales));
    NNQ_TRY(check_tensor_scale(fn, tensor_scale));
    block_ctx c = {.cin = codes, .cbscale = block_scales, .y = y, .tensor_scale = tensor_scale};
    nnq_pool_parallelize_1d(pool, nvfp4_dq_tile, &c, n / 16, NNQ_QUANT_TILE / 16);
    return NNQ_STATUS_OK;
}

/* ---- MX (OCP Microscaling) ---- */

/* Exponent of the largest normal of the element format (emax_elem). */
static int mx_emax(nnq_qformat f) {
    return f == NNQ_QFORMAT_MXFP4 ? 2 : f == NNQ_QFORMAT_MXFP8_E4M3 ? 8 : 15;
}

/* 2^e for e in [-149, 127], exact; multiplying by it rounds once, like
 * ldexpf, at a fraction of the cost. */
static inline float pow2f(int e) {
    uint32_t u = e >= -126 ? (uint32_t)(e + 127) << 23 : 1u << (e + 149);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float nnq_e8m0_to_float(uint8_t code) {
    return code == 0xFF ? NAN : pow2f((int)code - 127);
}

static void mx_q_tile(void *vctx, size_t start, size_t count) {
    const block_ctx *c = vctx;
    uint8_t codes[32];
    int bits = c->fi->bits;
    for (size_t b = start; b < start + count; b++) {
        const float *x = c->x + b * 32;
        bool finite;
        float amax = block_absmax(x, 32, &finite);
        int e = -127;
        if (!finite) {
            c->bscale[b] = 0xFF;
            memset(codes, 0, sizeof codes);
        } else {
            if (amax > 0.0f) e = NNQ_MAX(-127, ilogbf(amax) - mx_emax(c->fmt));
            c->bscale[b] = (uint8_t)(e + 127);
            float inv = pow2f(-e);
            for (size_t i = 0; i < 32; i++) codes[i] = c->fi->from_float_ref(x[i] * inv);
        }
        put_codes(c->codes, b, 32, bits, codes);
    }
}

static void mx_dq_tile(void *vctx, size_t start, size_t count) {
    const block_ctx *c = vctx;
    int bits = c->fi->bits;
    for (size_t b = start; b < start + count; b++) {
        float s = nnq_e8m0_to_float(c->cbscale[b]);
        for (size_t i = b * 32; i < b * 32 + 32; i++)
            c->y[i] = c->fi->to_float(get_code(c->cin, i, bits)) * s;
    }
}

static nnq_status mx_check(const char *fn, nnq_qformat fmt) {
    if (fmt != NNQ_QFORMAT_MXFP4 && fmt != NNQ_QFORMAT_MXFP8_E4M3 && fmt != NNQ_QFORMAT_MXFP8_E5M2)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: format %d is not an MX format", fn,
                         (int)fmt);
    return NNQ_STATUS_OK;
}

nnq_status nnq_mx_quantize(const float *x, size_t n, nnq_qformat fmt, uint8_t *codes,
                           uint8_t *scales, nnq_pool *pool) {
    static const char fn[] = "mx_quantize";
    NNQ_TRY(mx_check(fn, fmt));
    NNQ_TRY(block_args(fn, fmt, n, 0, x, codes, scales));
    block_ctx c = {.fmt = fmt, .fi = nnq_qformat_get(fmt), .x = x, .codes = codes, .bscale = scales};
    nnq_pool_parallelize_1d(pool, mx_q_tile, &c, n / 32, NNQ_QUANT_TILE / 32);
    return NNQ_STATUS_OK;
}

nnq_status nnq_mx_dequantize(const uint8_t *codes, const uint8_t *scales, size_t n,
                             nnq_qformat fmt, float *y, nnq_pool *pool) {
    static const char fn[] = "mx_dequantize";
    NNQ_TRY(mx_check(fn, fmt));
    NNQ_TRY(block_args(fn, fmt, n, 0, codes, y, scales));
    block_ctx c = {.fmt = fmt, .fi = nnq_qformat_get(fmt), .cin = codes, .cbscale = scales, .y = y};
    nnq_pool_parallelize_1d(pool, mx_dq_tile, &c, n / 32, NNQ_QUANT_TILE / 32);
    return NNQ_STATUS_OK;
}

/* ---- NF4 / NF3 ---- */

static void nf_q_tile(void *vctx, size_t start, size_t count) {
    const block_ctx *c = vctx;
    for (size_t b = start; b < start + count; b++) {
        const float *x = c->x + b * c->block;
        float m = block_absmax(x, c->block, NULL);
        c->fscale[b] = m;
        for (size_t i = 0; i < c->block; i++)
            c->codes[b * c->block + i] = c->fi->from_float_ref(m == 0.0f ? 0.0f : x[i] / m);
    }
}

static nnq_status nf_check(const char *fn, nnq_qformat fmt, int block) {
    if (fmt != NNQ_QFORMAT_NF4 && fmt != NNQ_QFORMAT_NF3)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: format %d is not NF4 or NF3", fn,
                         (int)fmt);
    if (block < 1)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH, "%s: block size %d must be >= 1", fn, block);
    return NNQ_STATUS_OK;
}

nnq_status nnq_nf_quantize(const float *x, size_t n, nnq_qformat fmt, int block, uint8_t *codes,
                           float *absmax, nnq_pool *pool) {
    static const char fn[] = "nf_quantize";
    NNQ_TRY(nf_check(fn, fmt, block));
    NNQ_TRY(block_args(fn, fmt, n, block, x, codes, absmax));
    size_t bytes;
    const nnq_qformat_info *fi = nnq_qformat_get(fmt);
    nnq_packed_size(n, fi->bits, &bytes);
    /* Codes go one per byte first: NF3 blocks need not start on a byte. */
    uint8_t *tmp = nnq_malloc(n ? n : 1);
    if (!tmp) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes of codes", fn, n);
    block_ctx c = {.fmt = fmt, .fi = fi, .block = (size_t)block, .x = x, .codes = tmp,
                   .fscale = absmax};
    size_t tile = NNQ_MAX((size_t)1, NNQ_QUANT_TILE / (size_t)block);
    nnq_pool_parallelize_1d(pool, nf_q_tile, &c, n / (size_t)block, tile);
    nnq_status s = nnq_pack_bits(tmp, n, fi->bits, codes, bytes);
    nnq_free(tmp);
    return s;
}

nnq_status nnq_nf_dequantize(const uint8_t *codes, const float *absmax, size_t n, nnq_qformat fmt,
                             int block, float *y, nnq_pool *pool) {
    static const char fn[] = "nf_dequantize";
    NNQ_TRY(nf_check(fn, fmt, block));
    NNQ_TRY(block_args(fn, fmt, n, block, codes, y, absmax));
    NNQ_UNUSED(pool);
    const nnq_qformat_info *fi = nnq_qformat_get(fmt);
    size_t bytes;
    nnq_packed_size(n, fi->bits, &bytes);
    uint8_t *tmp = nnq_malloc(n ? n : 1);
    if (!tmp) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes of codes", fn, n);
    nnq_status s = nnq_unpack_bits(codes, bytes, n, fi->bits, tmp);
    for (size_t i = 0; s == NNQ_STATUS_OK && i < n; i++)
        y[i] = fi->to_float(tmp[i]) * absmax[i / (size_t)block];
    nnq_free(tmp);
    return s;
}
