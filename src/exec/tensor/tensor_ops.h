/*
 * tensor_ops.h - infer/run entry points of the tensor-manipulation
 * operators (internal to exec; the table is in ops_tensor.c).
 */
#ifndef NNQ_EXEC_TENSOR_OPS_H
#define NNQ_EXEC_TENSOR_OPS_H

#include "exec/broadcast.h"

#define NNQ_TENSOR_OP(name)                                                                        \
    NNQ_INTERNAL nnq_status nnq_##name##_infer(const nnq_op_ctx *ctx,                              \
                                               const nnq_tensor *const *in, size_t n_in,           \
                                               nnq_out_shape *outs, size_t n_out);                 \
    NNQ_INTERNAL nnq_status nnq_##name##_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in,   \
                                             size_t n_in, nnq_tensor *const *outs, size_t n_out);

/* shape.c */
NNQ_TENSOR_OP(reshape)
NNQ_TENSOR_OP(flatten)
NNQ_TENSOR_OP(squeeze)
NNQ_TENSOR_OP(unsqueeze)
NNQ_TENSOR_OP(shape)
NNQ_TENSOR_OP(expand)
NNQ_TENSOR_OP(identity)
NNQ_TENSOR_OP(constant)
NNQ_TENSOR_OP(constant_of_shape)
/* move.c */
NNQ_TENSOR_OP(transpose)
NNQ_TENSOR_OP(concat)
NNQ_TENSOR_OP(split)
NNQ_TENSOR_OP(slice)
NNQ_TENSOR_OP(gather)
/* pad.c */
NNQ_TENSOR_OP(pad)
/* resize.c */
NNQ_TENSOR_OP(resize)
NNQ_INTERNAL size_t nnq_resize_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                       size_t n_in);
/* cast.c */
NNQ_TENSOR_OP(cast)

/* Helpers shared by the files above (shape.c). */
NNQ_INTERNAL void nnq_out_set(nnq_out_shape *o, nnq_dtype dtype, int ndim, const int64_t *dims);
/* Input i must be present; NNQ_STATUS_INVALID_ARGUMENT otherwise. */
NNQ_INTERNAL nnq_status nnq_op_need(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                    size_t n_in, size_t i);
/* Element moves need a byte-addressable type: UNSUPPORTED otherwise. */
NNQ_INTERNAL nnq_status nnq_op_need_esize(const nnq_op_ctx *ctx, const nnq_tensor *t, size_t i);
/* Optional input i: present and non-empty (ONNX's "" or a 0-length tensor). */
NNQ_INTERNAL bool nnq_op_has(const nnq_tensor *const *in, size_t n_in, size_t i);

#endif
