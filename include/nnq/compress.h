/*
 * nnq/compress.h - public API of the compress layer.  Include <nnq.h>.
 *
 * Data-free weight compression of one tensor: palettization (lookup tables
 * of 2^bits entries, coremltools `palettize_weights`), pruning (coremltools
 * `prune_weights`), linear quantization of the surviving values after
 * pruning, and prune + palettize.  See docs/compression.md for the exact
 * rules.
 *
 * The weight is a dense row-major fp32 tensor whose axis 0 is the output
 * channel.  Axis 1 (when present) is the input axis along which n:m and block
 * pruning group elements; further axes are kernel positions.
 *
 * Ownership: nnq_compress_tensor returns an nnq_compressed the caller frees
 * with nnq_compressed_free (NULL is fine).  Pointers obtained from
 * nnq_compressed_parts point into the object and live as long as it does.
 * The input weight and importance arrays are only read during the call.
 */
#ifndef NNQ_COMPRESS_H
#define NNQ_COMPRESS_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the entries of a lookup table are chosen. */
typedef enum nnq_palette_mode {
    NNQ_PALETTE_MODE_KMEANS = 0,  /* 1-D (weighted) k-means, k-means++ seeds */
    NNQ_PALETTE_MODE_UNIFORM = 1, /* 2^bits points evenly spaced on [min, max] */
    NNQ_PALETTE_MODE_UNIQUE = 2,  /* the distinct values; error if > 2^bits */
    NNQ_PALETTE_MODE_COUNT_
} nnq_palette_mode;

/* Storage type of the lookup-table entries. */
typedef enum nnq_lut_dtype {
    NNQ_LUT_DTYPE_FP32 = 0,
    NNQ_LUT_DTYPE_FP16 = 1, /* IEEE binary16, round half to even */
    NNQ_LUT_DTYPE_INT8 = 2, /* int8 in [-127, 127] times one fp32 scale per table */
    NNQ_LUT_DTYPE_COUNT_
} nnq_lut_dtype;

/* Parameter rule of linear quantization (the coremltools modes). */
typedef enum nnq_linear_mode {
    NNQ_LINEAR_MODE_LINEAR = 0,    /* affine: full signed grid, zero point from the range */
    NNQ_LINEAR_MODE_SYMMETRIC = 1, /* narrow signed grid, zero point 0 */
    NNQ_LINEAR_MODE_COUNT_
} nnq_linear_mode;

/* Which elements pruning sets to zero. */
typedef enum nnq_prune_mode {
    NNQ_PRUNE_MODE_NONE = 0,
    NNQ_PRUNE_MODE_THRESHOLD = 1, /* |w| < threshold */
    NNQ_PRUNE_MODE_MAGNITUDE = 2, /* the floor(sparsity * numel) smallest |w| */
    NNQ_PRUNE_MODE_N_M = 3,       /* all but the n largest |w| of every m along axis 1 */
    NNQ_PRUNE_MODE_BLOCK = 4,     /* blocks along axis 1 with the smallest L2 norm */
    NNQ_PRUNE_MODE_COUNT_
} nnq_prune_mode;

/*
 * What to do to one tensor.  Zero-initialise it ({0}) and set what you need:
 * zero members take their defaults, so a zero config plus `palette_bits`
 * is per-tensor fp32-table k-means palettization.
 */
typedef struct nnq_compress_config {
    const char *name; /* tensor name used in messages; NULL: "weight" */

    /* Pruning, applied first. */
    nnq_prune_mode prune_mode;
    float threshold; /* THRESHOLD: finite, >= 0 */
    float sparsity;  /* MAGNITUDE, BLOCK: fraction in [0, 1) of elements / blocks */
    int n, m;        /* N_M: 1 <= n < m, m divides dims[1] */
    int block_size;  /* BLOCK: >= 1, divides dims[1] */

    /* Coding of the (surviving) values: palettization or linear
     * quantization (at most one; 0 bits disables each).  Both use one table
     * or one scale per group of `group_size` output channels. */
    int group_size;  /* output channels per group; 0: one group */
    int linear_bits; /* 2..8: signed integers, coremltools linear_quantize_weights */
    nnq_linear_mode linear_mode;
    int palette_bits; /* 1, 2, 3, 4, 6 or 8 */
    nnq_palette_mode palette_mode;
    nnq_lut_dtype lut_dtype;
    uint64_t seed;           /* k-means++ seed (table g uses stream g) */
    int max_iter;            /* Lloyd iterations; 0: 300 */
    double tol;              /* stop when the squared centroid shift is <= tol * variance;
                                0: only when the assignment stops changing */
    const float *importance; /* NULL, or numel finite weights >= 0 for k-means */
} nnq_compress_config;

/* Per-tensor figures. */
typedef struct nnq_compress_stats {
    size_t numel;
    size_t nnz;              /* elements stored (non-zero after pruning) */
    size_t original_bytes;   /* numel * 4 */
    size_t compressed_bytes; /* mask + fp32 values, or codes + tables / scales and zero points */
    double bits_per_weight;  /* compressed_bytes * 8 / numel */
    double sparsity;         /* 1 - nnz / numel */
    double sse;              /* sum of (w - decompressed)^2, in double */
    double sqnr_db;          /* 10 log10(sum w^2 / sse); +inf when sse is 0 */
    int kmeans_iterations;   /* most Lloyd updates over the tables */
} nnq_compress_stats;

/* A compressed tensor (opaque). */
typedef struct nnq_compressed nnq_compressed;

/*
 * Zero-copy view of a compressed tensor, in the layout an exporter writes.
 * Elements are in row-major order; "stored" elements are all of them without
 * pruning, else those whose mask bit is 1.
 */
typedef struct nnq_compressed_parts {
    int ndim;
    int64_t dims[NNQ_MAX_DIMS];
    size_t numel;
    /* Sparsity (mask NULL without pruning): bit i set when element i is
     * stored; element 0 is the most significant bit of byte 0. */
    const uint8_t *mask;
    size_t mask_bytes;
    size_t nnz;
    /* Without value coding: the nnz stored values (fp32). */
    const float *values;
    /* With value coding: group g holds output channels
     * [g * channels_per_group, (g + 1) * channels_per_group); the nnz codes
     * are packed code_bits each in quant's nnq_pack_bits layout. */
    size_t n_groups;
    size_t channels_per_group;
    int code_bits;
    const uint8_t *codes;
    size_t codes_bytes;
    /* Palettization (palette_bits > 0): codes are unsigned table indices. */
    int palette_bits;
    size_t table_size; /* 2^palette_bits entries per group, ascending */
    nnq_lut_dtype lut_dtype;
    const void *lut;         /* n_groups * table_size float / uint16 (fp16 bits) / int8 */
    const float *lut_scales; /* INT8 only: one scale per group, entry = scale * q */
    const float *lut_f32;    /* the tables as the fp32 values decompression uses */
    /* Linear quantization (linear_bits > 0): codes are signed q (unpack with
     * nnq_unpack_bits_signed), value = scale * (q - zero_point) as quant's
     * nnq_dequantize_linear computes it. */
    int linear_bits;
    nnq_linear_mode linear_mode;
    const float *scales;        /* n_groups */
    const int32_t *zero_points; /* n_groups */
} nnq_compressed_parts;

/**
 * Compress one weight tensor.
 *
 * w, ndim (1..NNQ_MAX_DIMS), dims: the fp32 weight, axis 0 = output channel.
 * cfg: what to do (pruning, a value coding, or pruning then a coding).
 * pool: threads for the work (NULL: serial); the result is bit-identical for
 * any thread count.
 * out: receives the new object, owned by the caller.
 *
 * Errors (the message names the tensor, the value and the rule):
 * INVALID_ARGUMENT (NULL pointers, unknown modes, non-finite weights, nothing
 * to do, both codings, n >= m), SHAPE_MISMATCH (bad ndim/dims), EMPTY
 * (numel 0), BITS_OUT_OF_RANGE (palette_bits not 1, 2, 3, 4, 6 or 8,
 * linear_bits outside [2, 8]), BLOCK_MISMATCH
 * (group_size not dividing dims[0], m or block_size not dividing dims[1]),
 * OUT_OF_RANGE (sparsity outside [0, 1), bad threshold / tol / max_iter /
 * importance), LIMIT_EXCEEDED (`unique` with more than 2^bits distinct
 * values in a table), SIZE_OVERFLOW, OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_compress_tensor(const float *w, int ndim, const int64_t *dims,
                                       const nnq_compress_config *cfg, nnq_pool *pool,
                                       nnq_compressed **out) NNQ_NODISCARD;

/** Free a compressed tensor.  NULL is fine. */
NNQ_API void nnq_compressed_free(nnq_compressed *c);

/**
 * Write the dense weights the compressed form stands for: for stored
 * elements the table value, the dequantized integer or the stored fp32
 * value; +0.0 for pruned ones.
 * out must hold `count` floats and count must equal numel (SHAPE_MISMATCH).
 */
NNQ_API nnq_status nnq_compressed_decompress(const nnq_compressed *c, float *out,
                                             size_t count) NNQ_NODISCARD;

/** Figures for the tensor (never fails; c must not be NULL). */
NNQ_API void nnq_compressed_stats(const nnq_compressed *c, nnq_compress_stats *out);

/** Zero-copy view of the compressed representation (c must not be NULL). */
NNQ_API void nnq_compressed_parts_get(const nnq_compressed *c, nnq_compressed_parts *out);

/** Lower-case names ("kmeans", "fp16", "n_m", ...); "unknown" if out of range. */
NNQ_API const char *nnq_palette_mode_name(nnq_palette_mode m);
NNQ_API const char *nnq_lut_dtype_name(nnq_lut_dtype t);
NNQ_API const char *nnq_prune_mode_name(nnq_prune_mode m);
NNQ_API const char *nnq_linear_mode_name(nnq_linear_mode m);

#ifdef __cplusplus
}
#endif
#endif /* NNQ_COMPRESS_H */
