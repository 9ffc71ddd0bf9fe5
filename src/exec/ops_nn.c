/* ops_nn.c - the neural-network operator family (see op.h); the kernels
 * live in src/exec/nn/. */
#include "exec/nn/nn.h"

#define NN_OP(type, fn, in_lo, in_hi, out_lo, out_hi, scratch)                                     \
    { type, "", in_lo, in_hi, out_lo, out_hi, nn_##fn##_infer, scratch, nn_##fn##_run }

const nnq_op_def nnq_ops_nn[] = {
    NN_OP("Conv", conv, 2, 3, 1, 1, nn_conv_scratch),
    NN_OP("ConvTranspose", conv_transpose, 2, 3, 1, 1, nn_conv_transpose_scratch),
    NN_OP("Gemm", gemm, 2, 3, 1, 1, NULL),
    NN_OP("MatMul", matmul, 2, 2, 1, 1, NULL),
    NN_OP("BatchNormalization", batchnorm, 5, 5, 1, 5, NULL),
    NN_OP("LayerNormalization", layernorm, 2, 3, 1, 3, NULL),
    NN_OP("InstanceNormalization", instancenorm, 3, 3, 1, 1, NULL),
    NN_OP("MaxPool", maxpool, 1, 1, 1, 2, NULL),
    NN_OP("AveragePool", avgpool, 1, 1, 1, 1, NULL),
    NN_OP("GlobalAveragePool", global_avgpool, 1, 1, 1, 1, NULL),
    NN_OP("GlobalMaxPool", global_maxpool, 1, 1, 1, 1, NULL),
    NN_OP("Softmax", softmax, 1, 1, 1, 1, NULL),
    NN_OP("LogSoftmax", logsoftmax, 1, 1, 1, 1, NULL),
    NN_OP("LSTM", lstm, 3, 8, 0, 3, nn_lstm_scratch),
    {0},
};
