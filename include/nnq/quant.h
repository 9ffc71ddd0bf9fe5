/*
 * nnq/quant.h - public API of the quant layer.  Include <nnq.h>.
 *
 * Number formats and the tensor-level quantize / dequantize / fake-quant
 * kernels.  The numeric definitions are DESIGN.md section 3; the NaN / Inf
 * policy and every rounding rule are spelled out in docs/numerics.md.
 *
 * Kernels work on caller-owned float buffers described by an nnq_qlayout
 * (shape plus the block of elements that shares one scale); nothing here
 * keeps a pointer after returning.  A NULL nnq_pool runs serially; results
 * are bit-identical for any thread count and with the scalar path forced
 * (nnq_cpu_force_scalar).
 */
#ifndef NNQ_QUANT_H
#define NNQ_QUANT_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Scalar numerics helpers (stable: other layers call these)                 */
/* ------------------------------------------------------------------------ */

/** Round to the nearest integer, ties to even, independent of the FPU
 *  rounding mode.  NaN and +-Inf are returned unchanged; the sign of zero is
 *  kept (-0.4 -> -0.0). */
NNQ_API float nnq_round_half_even(float x);

/*
 * FP8 / FP4 single-value conversions.  *_from_float rounds to nearest even
 * and saturates: finite values and +-Inf beyond the largest finite value
 * become +-max (448 for E4M3FN, 57344 for E5M2, 240 for E4M3FNUZ, 6 for
 * E2M1).  NaN becomes the format's NaN with the input's sign (FNUZ formats:
 * 0x80; E2M1 has no NaN and maps NaN to +0).  FNUZ formats have no -0: -0
 * encodes as 0x00.  *_to_float is exact for every code.
 */
NNQ_API uint8_t nnq_fp8_e4m3fn_from_float(float x);
NNQ_API float nnq_fp8_e4m3fn_to_float(uint8_t code);
NNQ_API uint8_t nnq_fp8_e5m2_from_float(float x);
NNQ_API float nnq_fp8_e5m2_to_float(uint8_t code);
NNQ_API uint8_t nnq_fp8_e4m3fnuz_from_float(float x);
NNQ_API float nnq_fp8_e4m3fnuz_to_float(uint8_t code);
NNQ_API uint8_t nnq_fp8_e5m2fnuz_from_float(float x);
NNQ_API float nnq_fp8_e5m2fnuz_to_float(uint8_t code);
/** E2M1 code in the low 4 bits (bit 3 = sign). */
NNQ_API uint8_t nnq_fp4_e2m1_from_float(float x);
NNQ_API float nnq_fp4_e2m1_to_float(uint8_t code);

/**
 * FP8 conversion with ONNX Cast / QuantizeLinear semantics.  `type` is one
 * of NNQ_DTYPE_FLOAT8E4M3FN, _FLOAT8E4M3FNUZ, _FLOAT8E5M2, _FLOAT8E5M2FNUZ.
 * saturate=true behaves as the *_from_float functions above; saturate=false
 * maps +-Inf and values rounding beyond the largest finite value to +-Inf for
 * E5M2 and to NaN for the other three types.  Unknown type: returns 0.
 */
NNQ_API uint8_t nnq_fp8_from_float(nnq_dtype type, float x, bool saturate);
/** Decode an FP8 code of `type`; unknown type returns NaN. */
NNQ_API float nnq_fp8_to_float(nnq_dtype type, uint8_t code);

/** IEEE binary16: round to nearest even, overflow to +-Inf, NaN stays a
 *  quiet NaN with its sign. */
NNQ_API uint16_t nnq_fp16_from_float(float x);
NNQ_API float nnq_fp16_to_float(uint16_t h);
/** bfloat16: round to nearest even on the upper 16 bits; NaN stays a quiet
 *  NaN with its sign. */
NNQ_API uint16_t nnq_bf16_from_float(float x);
NNQ_API float nnq_bf16_to_float(uint16_t h);

/** Bytes holding n values of `bits` bits (1..8) packed densely: ceil(n*bits/8).
 *  False on overflow or bits outside [1, 8]. */
NNQ_API bool nnq_packed_size(size_t n, int bits, size_t *out);
/**
 * Pack the low `bits` bits of each of n values densely, least significant
 * bit first: element 0 occupies the lowest bits of byte 0, so 4-bit values
 * go two per byte with the first element in the low nibble (the ONNX
 * convention).  Unused high bits of the last byte are zero.
 * Errors: BITS_OUT_OF_RANGE (bits outside [1, 8]), LIMIT_EXCEEDED when
 * out_size is smaller than nnq_packed_size().
 */
NNQ_API nnq_status nnq_pack_bits(const uint8_t *values, size_t n, int bits, uint8_t *out,
                                 size_t out_size);
/** Inverse of nnq_pack_bits: n values, each zero-extended to a byte.
 *  Errors as nnq_pack_bits (packed_size is the size of `packed`). */
NNQ_API nnq_status nnq_unpack_bits(const uint8_t *packed, size_t packed_size, size_t n, int bits,
                                   uint8_t *out);
/** As nnq_unpack_bits, sign-extending each value from `bits` bits. */
NNQ_API nnq_status nnq_unpack_bits_signed(const uint8_t *packed, size_t packed_size, size_t n,
                                          int bits, int8_t *out);

/* ------------------------------------------------------------------------ */
/* Element-format traits (one table describes every format)                  */
/* ------------------------------------------------------------------------ */

typedef enum nnq_qformat {
    NNQ_QFORMAT_INT = 0,      /* integer of nnq_int_format bits */
    NNQ_QFORMAT_FP8_E4M3FN,
    NNQ_QFORMAT_FP8_E5M2,
    NNQ_QFORMAT_FP8_E4M3FNUZ,
    NNQ_QFORMAT_FP8_E5M2FNUZ,
    NNQ_QFORMAT_FP4_E2M1,
    NNQ_QFORMAT_NVFP4,        /* E2M1, 16-element blocks, E4M3 scale, fp32 tensor scale */
    NNQ_QFORMAT_MXFP4,        /* E2M1, 32-element blocks, E8M0 scale */
    NNQ_QFORMAT_MXFP8_E4M3,   /* E4M3FN, 32-element blocks, E8M0 scale */
    NNQ_QFORMAT_MXFP8_E5M2,   /* E5M2, 32-element blocks, E8M0 scale */
    NNQ_QFORMAT_NF4,          /* 16-entry normal-float grid, absmax blocks */
    NNQ_QFORMAT_NF3,          /* 8-entry normal-float grid, absmax blocks */
    NNQ_QFORMAT_COUNT_
} nnq_qformat;

typedef struct nnq_qformat_info {
    const char *name;     /* "fp8_e4m3fn", "nvfp4", ... (parseable) */
    int bits;             /* bits per element code */
    int block;            /* fixed block size, 0 when chosen by the caller */
    float max;            /* largest finite element value (grid units) */
    /* Decode one element code to its value in grid units. */
    float (*to_float)(uint8_t code);
    /* Scalar encoder of one value (grid units) to a code: saturating, RNE
     * (NF: nearest entry).  SIMD kernels match it bit for bit. */
    uint8_t (*from_float_ref)(float x);
} nnq_qformat_info;

/** Traits of a format; NULL for an out-of-range value.  NNQ_QFORMAT_INT has
 *  NULL coders (its width is a parameter). */
NNQ_API const nnq_qformat_info *nnq_qformat_get(nnq_qformat f);
/** Parse a format name; UNKNOWN_NAME if none matches. */
NNQ_API nnq_status nnq_qformat_from_name(const char *name, nnq_qformat *out);

/* ------------------------------------------------------------------------ */
/* Granularity: which elements share a scale                                  */
/* ------------------------------------------------------------------------ */

/*
 * A row-major shape and, per dimension, the extent of the block that shares
 * one scale: per-tensor has block == dims, per-axis has block 1 on the kept
 * axes and the whole dimension elsewhere, per-block has the block size on the
 * blocked axis.  The scale (amax, zero point) tensor has shape
 * dims[d] / block[d], row-major.  Every block divides its dimension (a
 * trailing partial block is a BLOCK_MISMATCH error).  Build one with the
 * constructors below, which validate it.
 */
typedef struct nnq_qlayout {
    int ndim;
    int64_t dims[NNQ_MAX_DIMS];
    int64_t block[NNQ_MAX_DIMS];
} nnq_qlayout;

/** One scale for the whole tensor.  Errors: INVALID_ARGUMENT (ndim outside
 *  [0, NNQ_MAX_DIMS]), SHAPE_MISMATCH (negative dim), SIZE_OVERFLOW. */
NNQ_API nnq_status nnq_qlayout_per_tensor(int ndim, const int64_t *dims, nnq_qlayout *out);
/** One scale per index of the kept `axes` (like pytorch-quantization's
 *  `axis`, negative counts from the end).  Errors as per_tensor plus
 *  AXIS_OUT_OF_RANGE and INVALID_ARGUMENT for a repeated axis. */
NNQ_API nnq_status nnq_qlayout_per_axes(int ndim, const int64_t *dims, const int *axes, int naxes,
                                        nnq_qlayout *out);
/** Blocks of `block_size` along `axis`, one scale per index of every other
 *  axis (coremltools' integer block_size; ModelOpt's {-1: n}).  Errors as
 *  per_axes plus BLOCK_MISMATCH (dims[axis] not a multiple, or block < 1). */
NNQ_API nnq_status nnq_qlayout_per_block(int ndim, const int64_t *dims, int axis,
                                         int64_t block_size, nnq_qlayout *out);
/** An n-d block shape (coremltools' block_size list): block[d] elements
 *  along dimension d, 0 meaning the whole dimension.  Errors as per_block. */
NNQ_API nnq_status nnq_qlayout_blocks(int ndim, const int64_t *dims, const int64_t *block,
                                      nnq_qlayout *out);
/** Number of elements and of scales of a valid layout (one built by the
 *  constructors above; the kernels re-check any layout they are given). */
NNQ_API size_t nnq_qlayout_numel(const nnq_qlayout *l);
NNQ_API size_t nnq_qlayout_nscales(const nnq_qlayout *l);
/** Shape of the scale tensor (ndim entries written to scale_dims). */
NNQ_API void nnq_qlayout_scale_dims(const nnq_qlayout *l, int64_t *scale_dims);

/** Per-block max |x| into amax[nnq_qlayout_nscales(l)] (NaN ignored, so an
 *  all-NaN block gives 0; +-Inf gives Inf).  Errors: EMPTY for a tensor
 *  without elements, INVALID_ARGUMENT, BLOCK_MISMATCH for a broken layout. */
NNQ_API nnq_status nnq_quant_amax(const float *x, const nnq_qlayout *l, float *amax,
                                  nnq_pool *pool);
/** Per-block min and max (NaN ignored; an all-NaN block gives 0, 0).
 *  Errors as nnq_quant_amax. */
NNQ_API nnq_status nnq_quant_minmax(const float *x, const nnq_qlayout *l, float *mins,
                                    float *maxs, nnq_pool *pool);

/* ------------------------------------------------------------------------ */
/* Integer formats                                                            */
/* ------------------------------------------------------------------------ */

/*
 * An integer grid: bits in [1, 8] or 16.  Signed grids are [-bound, bound]
 * when narrow_range (bound = 2^(bits-1) - 1) and [-bound - 1, bound]
 * otherwise.  Unsigned grids are [0, 2^bits - 1]; in the scale / zero-point
 * convention narrow_range drops the top code ([0, 2^bits - 2], coremltools'
 * linear_symmetric uint8), the amax convention ignores it for unsigned.
 * Quantized values are stored as int8_t / uint8_t (bits <= 8) or
 * int16_t / uint16_t (16 bits), one per element (see nnq_pack_bits).
 */
typedef struct nnq_int_format {
    int bits;
    bool is_unsigned;
    bool narrow_range;
} nnq_int_format;

/** Grid bounds of the amax convention (lo, bound).  BITS_OUT_OF_RANGE for
 *  bits outside [1, 8] and != 16, or 1-bit signed (no positive code). */
NNQ_API nnq_status nnq_int_format_bounds(const nnq_int_format *f, int32_t *lo, int32_t *hi);
/** Storage type of the quantized values: INT8/UINT8/INT16/UINT16. */
NNQ_API nnq_dtype nnq_int_format_dtype(const nnq_int_format *f);

/**
 * The amax -> scale rule: *scale = bound / amax in fp32, or 0 when
 * amax <= 2^-24 (such blocks quantize to 0).  Errors: NEGATIVE_AMAX,
 * OUT_OF_RANGE (NaN or Inf amax), BITS_OUT_OF_RANGE.
 */
NNQ_API nnq_status nnq_amax_to_scale(float amax, const nnq_int_format *f, float *scale);

/**
 * amax convention (pytorch-quantization tensor_quant):
 * q = clamp(rne(x * bound / amax), lo, bound), one amax per block of `l`
 * (nnq_qlayout_nscales values).  q has nnq_int_format_dtype(f) elements.
 * NaN quantizes to 0, +-Inf saturate.  Errors: NEGATIVE_AMAX,
 * OUT_OF_RANGE (non-finite amax), BITS_OUT_OF_RANGE, NEGATIVE_UNSIGNED
 * (negative x with an unsigned format; nothing is written then).
 */
NNQ_API nnq_status nnq_quantize_amax(const float *x, const nnq_qlayout *l, const float *amax,
                                     const nnq_int_format *f, void *q, nnq_pool *pool);
/**
 * nnq_quantize_amax with the codes packed as nnq_pack_bits does (two's
 * complement low bits; 4-bit: first element in the low nibble), in one pass.
 * packed_size must be at least nnq_packed_size(numel, bits).  Errors as
 * nnq_quantize_amax, plus BITS_OUT_OF_RANGE for 16 bits and LIMIT_EXCEEDED
 * for a short buffer.
 */
NNQ_API nnq_status nnq_quantize_amax_packed(const float *x, const nnq_qlayout *l,
                                            const float *amax, const nnq_int_format *f,
                                            uint8_t *packed, size_t packed_size, nnq_pool *pool);
/** Fake quantization (fake_tensor_quant): y = q / (bound / amax); NaN stays
 *  NaN; a block with amax <= 2^-24 gives q / 1 (+-0).  y may equal x.
 *  Errors as nnq_quantize_amax. */
NNQ_API nnq_status nnq_fake_quant_amax(const float *x, const nnq_qlayout *l, const float *amax,
                                       const nnq_int_format *f, float *y, nnq_pool *pool);
/** y = q / (bound / amax) for stored q.  Errors as nnq_quantize_amax. */
NNQ_API nnq_status nnq_dequantize_amax(const void *q, const nnq_qlayout *l, const float *amax,
                                       const nnq_int_format *f, float *y, nnq_pool *pool);
/**
 * Straight-through backward of nnq_fake_quant_amax.  grad_x = grad_y where
 * |x| <= amax, 0 elsewhere (pytorch-quantization).  When grad_amax is not
 * NULL it receives, per block, the learnable-amax gradient of
 * pytorch-quantization's clip with its bounds tied to (-amax, amax):
 * sum(grad_y where x > amax) - sum(grad_y where x < -amax), summed in
 * element order (identical for any thread count).  grad_x may equal grad_y.
 */
NNQ_API nnq_status nnq_fake_quant_amax_backward(const float *x, const float *grad_y,
                                                const nnq_qlayout *l, const float *amax,
                                                const nnq_int_format *f, float *grad_x,
                                                float *grad_amax, nnq_pool *pool);

/*
 * scale / zero-point convention (ONNX QuantizeLinear, coremltools, PyTorch):
 * q = clamp(rne(x / s) + z, lo, hi), x' = s * (q - z), one scale and zero
 * point per block of `l`.  zero_point NULL means all zeros.  Grid bounds:
 * nnq_int_format_linear_bounds.  NaN quantizes to z.  Errors: OUT_OF_RANGE
 * (scale not finite and > 0, zero point outside the grid),
 * BITS_OUT_OF_RANGE.
 */
NNQ_API nnq_status nnq_int_format_linear_bounds(const nnq_int_format *f, int32_t *lo,
                                                int32_t *hi);
NNQ_API nnq_status nnq_quantize_linear(const float *x, const nnq_qlayout *l, const float *scale,
                                       const int32_t *zero_point, const nnq_int_format *f,
                                       void *q, nnq_pool *pool);
/** nnq_quantize_linear with packed codes; see nnq_quantize_amax_packed. */
NNQ_API nnq_status nnq_quantize_linear_packed(const float *x, const nnq_qlayout *l,
                                              const float *scale, const int32_t *zero_point,
                                              const nnq_int_format *f, uint8_t *packed,
                                              size_t packed_size, nnq_pool *pool);
NNQ_API nnq_status nnq_dequantize_linear(const void *q, const nnq_qlayout *l, const float *scale,
                                         const int32_t *zero_point, const nnq_int_format *f,
                                         float *y, nnq_pool *pool);
/** y = s * (clamp(rne(x / s) + z) - z); y may equal x. */
NNQ_API nnq_status nnq_fake_quant_linear(const float *x, const nnq_qlayout *l, const float *scale,
                                         const int32_t *zero_point, const nnq_int_format *f,
                                         float *y, nnq_pool *pool);
/**
 * LSQ backward (Esser et al. 2019) of nnq_fake_quant_linear with v = x/s + z
 * before rounding: grad_x = grad_y where lo <= v <= hi, else 0; when
 * grad_scale is not NULL, per block sum of grad_y * d, d = rne(v) - v
 * inside the grid and (lo - z) / (hi - z) below / above it, multiplied by
 * grad_factor (LSQ uses 1 / sqrt(numel_per_block * hi); pass 1 for the raw
 * gradient).  Sums run in element order.
 */
NNQ_API nnq_status nnq_fake_quant_linear_backward(const float *x, const float *grad_y,
                                                  const nnq_qlayout *l, const float *scale,
                                                  const int32_t *zero_point,
                                                  const nnq_int_format *f, float grad_factor,
                                                  float *grad_x, float *grad_scale,
                                                  nnq_pool *pool);

/** Parameter rules of the scale / zero-point convention. */
typedef enum nnq_qparam_rule {
    /* coremltools `linear`: range widened to contain 0, s = (B - A) / (hi - lo),
     * z = clamp(rne((lo B - hi A) / (B - A))). Full grid. */
    NNQ_QPARAM_COREML_LINEAR = 0,
    /* coremltools `linear_symmetric`: R = max(|A|, |B|), narrow grid,
     * s = R / ((hi - lo) / 2), z = 0 signed, 2^(bits-1) - 1 unsigned. */
    NNQ_QPARAM_COREML_LINEAR_SYMMETRIC,
    /* torch.ao observer, per_tensor_affine: range contains 0,
     * s = max((B - A) / (hi - lo), eps), z = clamp(lo - rne(A / s)). */
    NNQ_QPARAM_TORCH_AFFINE,
    /* torch.ao observer, per_tensor_symmetric: s = max(R / ((hi - lo) / 2), eps),
     * z = 0 signed, 128 for 8-bit unsigned (quint8), else (lo + hi) / 2. */
    NNQ_QPARAM_TORCH_SYMMETRIC,
} nnq_qparam_rule;

/**
 * Scale and zero point from a range [min_val, max_val] under `rule` for
 * format f (its narrow_range is ignored: each rule fixes its grid).  A zero
 * range gives coremltools rules scale 1 and the zero point that encodes 0;
 * torch rules clamp the scale to FLT_EPSILON.  Errors: INVALID_ARGUMENT
 * (min > max or NaN), OUT_OF_RANGE (infinite bound), BITS_OUT_OF_RANGE.
 */
NNQ_API nnq_status nnq_qparams_from_range(float min_val, float max_val, nnq_qparam_rule rule,
                                          const nnq_int_format *f, float *scale,
                                          int32_t *zero_point);
/** The grid a rule uses for f (e.g. [-127, 127] for coremltools symmetric
 *  int8, [-128, 127] for torch symmetric int8). */
NNQ_API nnq_status nnq_qparam_rule_bounds(nnq_qparam_rule rule, const nnq_int_format *f,
                                          int32_t *lo, int32_t *hi);

/* ------------------------------------------------------------------------ */
/* Float formats                                                              */
/* ------------------------------------------------------------------------ */

/**
 * Encode n floats to one code per byte of `fmt` (FP8 kinds or FP4_E2M1)
 * after multiplying by `inv_scale` (1 for a plain cast), saturating, round to
 * nearest even.  Errors: INVALID_ARGUMENT for another format.
 */
NNQ_API nnq_status nnq_float_quantize(const float *x, size_t n, nnq_qformat fmt, float inv_scale,
                                      uint8_t *codes, nnq_pool *pool);
/** y = decode(code) * scale.  Errors as nnq_float_quantize. */
NNQ_API nnq_status nnq_float_dequantize(const uint8_t *codes, size_t n, nnq_qformat fmt,
                                        float scale, float *y, nnq_pool *pool);

/*
 * Block formats.  x holds n values, n a multiple of the block size; blocks
 * are consecutive runs (block along the last axis of a row-major tensor).
 * Element codes are packed with nnq_pack_bits (4-bit formats: two per byte,
 * first in the low nibble; 3-bit NF3: dense; 8-bit: one per byte); one scale
 * entry per block.
 *
 * NVFP4 (ModelOpt): tensor_scale = amax / (6 * 448) (nnq_nvfp4_tensor_scale);
 * block scale = E4M3(block_amax / 6 / tensor_scale) as a code byte; element
 * = E2M1(x / (block_scale * tensor_scale)).  A block scale that encodes to 0
 * makes the block all zeros.
 * MX (OCP Microscaling v1.0): X = clamp(floor(log2(block_amax)) - emax_elem,
 * -127, 127) stored as E8M0 code X + 127; element = fmt(x / 2^X) saturating;
 * an all-zero block gets X = -127; a block containing NaN or Inf gets the
 * NaN scale 0xFF and zero elements.
 * NF4 / NF3 (QLoRA): scale = block absmax (fp32), element = index of the
 * nearest grid value to x / absmax (ties to the lower index).
 */
NNQ_API nnq_status nnq_nvfp4_tensor_scale(float amax, float *tensor_scale);
/** Bytes of packed codes and number of scales (bytes for NVFP4/MX, floats
 *  for NF) for n values of a block format.  BLOCK_MISMATCH when n is not a
 *  multiple of `block` (NVFP4/MX force their own block; block 0 = default). */
NNQ_API nnq_status nnq_block_format_sizes(nnq_qformat fmt, size_t n, int block,
                                          size_t *code_bytes, size_t *nscales);
/** NVFP4 quantize: codes (n/2 bytes), block_scales (n/16 E4M3 codes). */
NNQ_API nnq_status nnq_nvfp4_quantize(const float *x, size_t n, float tensor_scale,
                                      uint8_t *codes, uint8_t *block_scales, nnq_pool *pool);
NNQ_API nnq_status nnq_nvfp4_dequantize(const uint8_t *codes, const uint8_t *block_scales,
                                        size_t n, float tensor_scale, float *y, nnq_pool *pool);
/** MX quantize for fmt MXFP4 / MXFP8_E4M3 / MXFP8_E5M2: scales are E8M0
 *  codes, one per 32 values. */
NNQ_API nnq_status nnq_mx_quantize(const float *x, size_t n, nnq_qformat fmt, uint8_t *codes,
                                   uint8_t *scales, nnq_pool *pool);
NNQ_API nnq_status nnq_mx_dequantize(const uint8_t *codes, const uint8_t *scales, size_t n,
                                     nnq_qformat fmt, float *y, nnq_pool *pool);
/** E8M0 code to its value 2^(code - 127); 0xFF is NaN. */
NNQ_API float nnq_e8m0_to_float(uint8_t code);
/** NF4 / NF3 quantize with `block` values per absmax (64 in QLoRA). */
NNQ_API nnq_status nnq_nf_quantize(const float *x, size_t n, nnq_qformat fmt, int block,
                                   uint8_t *codes, float *absmax, nnq_pool *pool);
NNQ_API nnq_status nnq_nf_dequantize(const uint8_t *codes, const float *absmax, size_t n,
                                     nnq_qformat fmt, int block, float *y, nnq_pool *pool);

/* ------------------------------------------------------------------------ */
/* Quantization descriptors (pytorch-quantization QuantDescriptor)           */
/* ------------------------------------------------------------------------ */

#define NNQ_QDESC_NAME_MAX 32

/*
 * What to quantize and how; plain data, initialise with nnq_qdesc_init (the
 * defaults of pytorch-quantization's QuantDescriptor: 8-bit integer,
 * per-tensor, dynamic amax, signed, full range, fake quantization,
 * calib_method "max").  Block quantization (block_size > 0) blocks along
 * block_axis and keeps every other axis; it excludes `axes`.
 */
typedef struct nnq_qdesc {
    nnq_qformat format;          /* NNQ_QFORMAT_INT or a float / block format */
    int num_bits;                /* integer formats: 1..8 or 16 */
    int naxes;                   /* kept axes (per-axis amax); 0 = per-tensor */
    int axes[NNQ_MAX_DIMS];
    int block_axis;              /* with block_size > 0 */
    int64_t block_size;          /* 0 = no blocks (format's own for NVFP4 / MX) */
    bool has_amax;               /* false = dynamic (or calibrated) amax */
    float amax;
    bool is_unsigned;
    bool narrow_range;
    bool fake_quant;
    bool learn_amax;
    float scale_amax;            /* 0 = unset; else amax is multiplied by it */
    char calib_method[NNQ_QDESC_NAME_MAX]; /* "max" or "histogram" */
} nnq_qdesc;

/** Fill d with the defaults above. */
NNQ_API void nnq_qdesc_init(nnq_qdesc *d);
/**
 * A predefined descriptor: "8bit_per_tensor", "unsigned_8bit_per_tensor",
 * "8bit_conv1d_weight_per_channel", "8bit_conv2d_weight_per_channel",
 * "8bit_conv3d_weight_per_channel", "8bit_linear_weight_per_channel"
 * (weights per output channel, axis 0).  Errors: UNKNOWN_NAME.
 */
NNQ_API nnq_status nnq_qdesc_preset(const char *name, nnq_qdesc *out);
/** Check every field's rule.  Errors: BITS_OUT_OF_RANGE, AXIS_OUT_OF_RANGE
 *  (axis outside [-NNQ_MAX_DIMS, NNQ_MAX_DIMS) or repeated),
 *  BLOCK_MISMATCH, NEGATIVE_AMAX, OUT_OF_RANGE, UNKNOWN_NAME, INVALID_ARGUMENT. */
NNQ_API nnq_status nnq_qdesc_validate(const nnq_qdesc *d);
/** True when every field of a equals b's. */
NNQ_API bool nnq_qdesc_equal(const nnq_qdesc *a, const nnq_qdesc *b);
/**
 * Serialize the fields that differ from the defaults, as a JSON object or a
 * YAML block mapping (keys: format, num_bits, axis, block_axis, block_size,
 * amax, unsigned, narrow_range, fake_quant, learn_amax, scale_amax,
 * calib_method).  *out is a NUL-terminated string freed with nnq_free.
 * Errors: those of nnq_qdesc_validate, OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_qdesc_to_json(const nnq_qdesc *d, char **out);
NNQ_API nnq_status nnq_qdesc_to_yaml(const nnq_qdesc *d, char **out);
/**
 * Parse a JSON object / YAML mapping into *out (missing keys keep their
 * defaults; null means the default).  Errors: INVALID_FORMAT (syntax, a
 * non-mapping document, a value of the wrong type), UNKNOWN_NAME (unknown
 * key or format name), then those of nnq_qdesc_validate.
 */
NNQ_API nnq_status nnq_qdesc_from_json(const char *text, nnq_qdesc *out);
NNQ_API nnq_status nnq_qdesc_from_yaml(const char *text, nnq_qdesc *out);

/* ------------------------------------------------------------------------ */
/* Tensor quantizer (pytorch-quantization TensorQuantizer)                   */
/* ------------------------------------------------------------------------ */

/*
 * A quantizer instance: a descriptor plus state (amax, enabled, calibration
 * and quantization switches).  In calibration mode forward() records the
 * running max |x| per kept axis ("max" calibration); in quantization mode it
 * (fake-)quantizes with the stored amax, or a dynamic one when none is set.
 * Not thread-safe: one quantizer per thread of control.
 */
typedef struct nnq_tquantizer nnq_tquantizer;

/** Create from a descriptor (copied).  Errors: those of nnq_qdesc_validate,
 *  UNSUPPORTED (a block format with axes), OUT_OF_MEMORY. */
NNQ_API nnq_status nnq_tquantizer_create(const nnq_qdesc *d, nnq_tquantizer **out);
NNQ_API void nnq_tquantizer_free(nnq_tquantizer *q);
/** The descriptor the quantizer was made from. */
NNQ_API const nnq_qdesc *nnq_tquantizer_desc(const nnq_tquantizer *q);
/** enable(false) makes forward the identity (pytorch-quantization disable()). */
NNQ_API void nnq_tquantizer_enable(nnq_tquantizer *q, bool on);
NNQ_API void nnq_tquantizer_enable_quant(nnq_tquantizer *q, bool on);
NNQ_API void nnq_tquantizer_enable_calib(nnq_tquantizer *q, bool on);
/** Turn the calibrated max into the quantizer's amax (load_calib_amax).
 *  Errors: INVALID_STATE when nothing was calibrated. */
NNQ_API nnq_status nnq_tquantizer_load_calib_amax(nnq_tquantizer *q);
/** Set amax explicitly (n values, one per kept-axis index or 1).
 *  Errors: NEGATIVE_AMAX, OUT_OF_RANGE, INVALID_ARGUMENT. */
NNQ_API nnq_status nnq_tquantizer_set_amax(nnq_tquantizer *q, const float *amax, size_t n);
/** Current amax: *n values at *amax (owned by q, valid until the next
 *  call on q); *n = 0 when dynamic. */
NNQ_API void nnq_tquantizer_amax(const nnq_tquantizer *q, const float **amax, size_t *n);
/**
 * Run the quantizer over a row-major tensor: calibrate and / or quantize per
 * the switches.  Output y (may equal x): fake quantized values, or with
 * fake_quant off the integer codes as floats (tensor_quant).  With both
 * switches off, or disabled, y = x.  Errors: those of the quantize calls,
 * SHAPE_MISMATCH when the stored amax does not fit the tensor.
 */
NNQ_API nnq_status nnq_tquantizer_forward(nnq_tquantizer *q, const float *x, int ndim,
                                          const int64_t *dims, float *y, nnq_pool *pool);
/**
 * One-line text form like pytorch-quantization's:
 * "8bit fake axis=(0) amax=[0.0000, 0.7817](64) calibrator=MaxCalibrator quant".
 * Always NUL-terminates; returns buf.
 */
NNQ_API const char *nnq_tquantizer_str(const nnq_tquantizer *q, char *buf, size_t bufsize);

#ifdef __cplusplus
}
#endif
#endif /* NNQ_QUANT_H */
