/* ops_quant.c - operator family (see op.h). */
#include "exec/op.h"

const nnq_op_def nnq_ops_quant[] = {
    {0},
};
