/*
 * bits.h - infer/run entry points of the integer bit operators (BitShift,
 * BitwiseAnd/Or/Xor/Not), Mod (elem/bitwise.c) and CumSum (tensor/cumsum.c);
 * internal to exec, the table entries are in ops_elem.c and ops_tensor.c.
 */
#ifndef NNQ_EXEC_ELEM_BITS_H
#define NNQ_EXEC_ELEM_BITS_H

#include "exec/broadcast.h"

/* BitShift, BitwiseAnd / Or / Xor and Mod: numpy broadcasting of two inputs
 * of one type. */
NNQ_INTERNAL nnq_status nnq_bits_binary_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                              size_t n_in, nnq_out_shape *outs, size_t n_out);
NNQ_INTERNAL nnq_status nnq_bits_binary_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                            size_t n_in, nnq_tensor *const *outs, size_t n_out);
/* BitwiseNot. */
NNQ_INTERNAL nnq_status nnq_bitwise_not_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                              size_t n_in, nnq_out_shape *outs, size_t n_out);
NNQ_INTERNAL nnq_status nnq_bitwise_not_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                            size_t n_in, nnq_tensor *const *outs, size_t n_out);
/* CumSum. */
NNQ_INTERNAL nnq_status nnq_cumsum_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                         size_t n_in, nnq_out_shape *outs, size_t n_out);
NNQ_INTERNAL nnq_status nnq_cumsum_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                       size_t n_in, nnq_tensor *const *outs, size_t n_out);

#endif
