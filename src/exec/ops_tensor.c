/* ops_tensor.c - tensor-manipulation operators (see op.h); the kernels live
 * in src/exec/tensor/. */
#include "exec/elem/bits.h"
#include "exec/tensor/tensor_ops.h"

#define OP(type, name, min_in, max_in, min_out, max_out, scratch)                                  \
    {type, "", min_in, max_in, min_out, max_out, nnq_##name##_infer, scratch, nnq_##name##_run}

const nnq_op_def nnq_ops_tensor[] = {
    OP("Reshape", reshape, 1, 2, 1, 1, NULL),
    OP("Flatten", flatten, 1, 1, 1, 1, NULL),
    OP("Squeeze", squeeze, 1, 2, 1, 1, NULL),
    OP("Unsqueeze", unsqueeze, 1, 2, 1, 1, NULL),
    OP("Shape", shape, 1, 1, 1, 1, NULL),
    OP("Expand", expand, 2, 2, 1, 1, NULL),
    OP("Identity", identity, 1, 1, 1, 1, NULL),
    OP("Constant", constant, 0, 0, 1, 1, NULL),
    OP("ConstantOfShape", constant_of_shape, 1, 1, 1, 1, NULL),
    OP("Transpose", transpose, 1, 1, 1, 1, NULL),
    OP("Concat", concat, 1, 2147483647, 1, 1, NULL),
    OP("Split", split, 1, 2, 1, 2147483647, NULL),
    OP("Slice", slice, 1, 5, 1, 1, NULL),
    OP("Gather", gather, 2, 2, 1, 1, NULL),
    OP("Pad", pad, 1, 4, 1, 1, NULL),
    OP("Resize", resize, 1, 4, 1, 1, nnq_resize_scratch),
    OP("Cast", cast, 1, 1, 1, 1, NULL),
    OP("CumSum", cumsum, 2, 2, 1, 1, NULL),
    {0},
};
