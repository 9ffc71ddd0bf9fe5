/*
 * broadcast.h - helpers shared by the elementwise, tensor and quantization
 * operator families (internal to exec).
 *
 * - node-prefixed error messages and access to constant integer inputs;
 * - numpy (multidirectional) broadcasting: shape inference and a plan that
 *   walks the output in contiguous rows with per-input strides;
 * - a strided element copy used by Transpose, Slice and Expand.
 *
 * Parallel loops split work by sizes only, so every result is independent
 * of the pool's thread count (no reductions happen here).
 */
#ifndef NNQ_EXEC_BROADCAST_H
#define NNQ_EXEC_BROADCAST_H

#include "exec/op.h"

/* Inputs a broadcast plan handles (Where and Clip take three). */
#define NNQ_BCAST_MAX_IN 3

/* Elements per parallel work item: large enough to amortize dispatch. */
#define NNQ_EW_CHUNK ((size_t)16384)

/* INVALID_ARGUMENT naming the first of inputs [0, k) that is absent. */
NNQ_INTERNAL nnq_status nnq_op_need_inputs(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                           size_t n, size_t k);

/* Name of the node's i-th input ("?" when missing). */
NNQ_INTERNAL const char *nnq_op_input_name(const nnq_op_ctx *ctx, size_t i);

/* Bytes per element for byte-addressable dtypes; 0 for sub-byte/unsized. */
NNQ_INTERNAL size_t nnq_dtype_esize(nnq_dtype t);

/*
 * Copy the values of integer input `idx` (int32 or int64, rank <= 1) into
 * out[0..*n).  Fails UNSUPPORTED when the input has no data (not constant at
 * inference), DTYPE_MISMATCH / SHAPE_MISMATCH on bad type or rank, and
 * LIMIT_EXCEEDED with more than `cap` values.
 */
NNQ_INTERNAL nnq_status nnq_op_const_ints(const nnq_op_ctx *ctx, const nnq_tensor *t, size_t idx,
                                          int64_t *out, size_t cap, size_t *n);

/* Element i of a byte-addressable tensor as a double (float types, fp16,
 * bf16, fp8 decoded; integers converted).  Needs the quant layer's
 * conversions. */
NNQ_INTERNAL double nnq_elem_load_f64(nnq_dtype t, const void *p, size_t i);
/* Element i of an integer / bool tensor as 64 bits (signed types
 * sign-extended). */
NNQ_INTERNAL uint64_t nnq_elem_load_bits(nnq_dtype t, const void *p, size_t i);
/* Store the low bits of v as element i of an integer / bool tensor (bool
 * stores v != 0). */
NNQ_INTERNAL void nnq_elem_store_bits(nnq_dtype t, void *p, size_t i, uint64_t v);
/* True for uint8/16/32/64 and bool. */
NNQ_INTERNAL bool nnq_dtype_is_unsigned(nnq_dtype t);

/* Normalize an axis in [-rank, rank) (AXIS_OUT_OF_RANGE naming `what`). */
NNQ_INTERNAL nnq_status nnq_op_axis(const nnq_op_ctx *ctx, const char *what, int64_t axis,
                                    int rank, int *out);

/* Multidirectional broadcast of n (<= NNQ_BCAST_MAX_IN) inputs' shapes; NULL
 * inputs are skipped.  SHAPE_MISMATCH names the inputs and dims. */
NNQ_INTERNAL nnq_status nnq_bcast_shape(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                        size_t n, nnq_out_shape *out);

/* Row kernel: n output elements from inputs in[k] that advance by step[k]
 * (0 or 1) elements per output element. */
typedef void (*nnq_bcast_row_fn)(const void *kctx, void *out, const void *const *in,
                                 const int *step, size_t n);

/* Evaluate fn over `out` with inputs broadcast to out's shape (which must be
 * the broadcast of their shapes).  NULL entries of in[] are ignored. */
NNQ_INTERNAL void nnq_bcast_run(nnq_pool *pool, nnq_bcast_row_fn fn, const void *kctx,
                                nnq_tensor *out, const nnq_tensor *const *in, size_t n_in);

/*
 * dst[i] = src[base + sum_d idx_d * strides[d]] over the row-major index
 * space `dims` (ndim <= NNQ_MAX_DIMS), elements of esize 1, 2, 4 or 8 bytes;
 * strides are in elements and may be zero or negative.
 */
NNQ_INTERNAL void nnq_strided_copy(nnq_pool *pool, void *dst, const void *src, size_t esize,
                                   int ndim, const int64_t *dims, const int64_t *strides,
                                   int64_t base);

/* Row-major element strides of a shape. */
NNQ_INTERNAL void nnq_contig_strides(int ndim, const int64_t *dims, int64_t *strides);

#endif
