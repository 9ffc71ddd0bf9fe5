/*
 * op.h - the operator interface of nnq's CPU executor (internal).
 *
 * An operator is a pair of pure functions over nnq_tensor:
 *   infer: from input dtypes/shapes (and constant inputs where an op needs
 *          them, e.g. Reshape's shape) compute output dtypes/shapes;
 *   run:   compute outputs into tensors the executor has already allocated
 *          with the inferred shapes.
 * Both read attributes through the node.  Kernels never allocate their
 * outputs and never keep state between calls; scratch comes from
 * nnq_op_ctx.scratch (grown by the executor on request).
 *
 * Registry: src/exec/ops_*.c each define a NULL-terminated table
 * `const nnq_op_def nnq_ops_<family>[]`; ops_registry.c lists the tables.
 * An op_type may appear in only one table.
 */
#ifndef NNQ_EXEC_OP_H
#define NNQ_EXEC_OP_H

#include "graph/ir.h"

typedef struct nnq_op_ctx {
    const nnq_node *node;
    int64_t opset;   /* ai.onnx opset of the model */
    nnq_pool *pool;  /* may be NULL: run serially */
    void *scratch;   /* op-owned scratch, 64-byte aligned */
    size_t scratch_size;
} nnq_op_ctx;

/* Output type/shape as inferred; the executor allocates from this. */
typedef struct nnq_out_shape {
    nnq_dtype dtype;
    int ndim;
    int64_t dims[NNQ_MAX_DIMS];
} nnq_out_shape;

typedef struct nnq_op_def {
    const char *op_type;
    const char *domain;   /* "" = ai.onnx; "com.microsoft" etc. */
    int min_inputs, max_inputs;
    int min_outputs, max_outputs;
    /* inputs[i] is NULL for an omitted optional input.  Constant inputs
     * (initializers / folded constants) have data; others may have data
     * NULL during graph-level inference: an op that needs the value of an
     * input (Reshape shape, Slice starts...) returns NNQ_STATUS_UNSUPPORTED
     * with a message if it is not constant at inference time. */
    nnq_status (*infer)(const nnq_op_ctx *ctx, const nnq_tensor *const *inputs, size_t n_inputs,
                        nnq_out_shape *outs, size_t n_outputs);
    /* Scratch bytes run needs for these inputs (NULL = none). */
    size_t (*scratch)(const nnq_op_ctx *ctx, const nnq_tensor *const *inputs, size_t n_inputs);
    nnq_status (*run)(const nnq_op_ctx *ctx, const nnq_tensor *const *inputs, size_t n_inputs,
                      nnq_tensor *const *outputs, size_t n_outputs);
} nnq_op_def;

/*
 * The executor treats NNQ_STATUS_UNSUPPORTED from infer, when some input's
 * value is not known yet, as "infer again at run time with the values"
 * (dynamic shapes).  For ops whose infer reads only dtypes and shapes (the
 * families listed in ops_registry.c) such a refusal is reported at create
 * time instead.
 *
 * At run time run's outputs[i] is NULL for an omitted optional output (an
 * empty output name in the node).
 */
NNQ_INTERNAL bool nnq_op_shape_only(const nnq_op_def *op);

/* An operator's error: the message is prefixed by "node '<name>' (<op>): "
 * (defined in exec/broadcast.c).  Every op reports through it, so each
 * message names its node once. */
NNQ_INTERNAL nnq_status nnq_op_error(const nnq_op_ctx *ctx, nnq_status s, const char *fmt, ...)
    NNQ_PRINTF(3, 4);

/* Look up an operator; NULL if nnq does not implement it. */
NNQ_INTERNAL const nnq_op_def *nnq_op_find(const char *domain, const char *op_type);

/* Attribute accessors (defined in exec/attr.c): return the default when the
 * attribute is absent, NNQ_STATUS_INVALID_FORMAT (naming node and attribute)
 * when present with the wrong type. */
NNQ_INTERNAL const nnq_attr *nnq_node_attr(const nnq_node *n, const char *name);
NNQ_INTERNAL nnq_status nnq_attr_int(const nnq_node *n, const char *name, int64_t def, int64_t *out);
NNQ_INTERNAL nnq_status nnq_attr_float(const nnq_node *n, const char *name, float def, float *out);
NNQ_INTERNAL nnq_status nnq_attr_string(const nnq_node *n, const char *name, const char *def,
                                        const char **out);
/* ints: *out points into the node (not copied); *n = 0 when absent. */
NNQ_INTERNAL nnq_status nnq_attr_ints(const nnq_node *n, const char *name, const int64_t **out,
                                      size_t *count);
NNQ_INTERNAL nnq_status nnq_attr_floats(const nnq_node *n, const char *name, const float **out,
                                        size_t *count);

#endif
