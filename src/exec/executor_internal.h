/*
 * executor_internal.h - state shared by executor.c, infer.c and fold.c.
 */
#ifndef NNQ_EXEC_EXECUTOR_INTERNAL_H
#define NNQ_EXEC_EXECUTOR_INTERNAL_H

#include "exec/op.h"

#define EXEC_ALIGN 64

typedef enum exec_kind {
    EXEC_VAL_INPUT, /* runtime graph input */
    EXEC_VAL_CONST, /* initializer or folded node output */
    EXEC_VAL_ACT,   /* produced by a node at run time */
} exec_kind;

typedef struct exec_value {
    const char *name; /* borrowed from the graph */
    exec_kind kind;
    nnq_dtype dtype;
    int ndim;                   /* -1: rank unknown */
    int64_t dims[NNQ_MAX_DIMS]; /* -1: dim unknown */
    /* Declared in the graph (inputs): -1 marks a symbolic dim. */
    int decl_ndim;
    int64_t decl_dims[NNQ_MAX_DIMS];
    nnq_tensor *constant; /* EXEC_VAL_CONST */
    bool const_owned;     /* folded (owned) vs initializer (borrowed) */
    int producer;         /* step index, -1 for inputs and initializers */
    int output_index;
    int last_use;     /* last step reading it, -1 if none */
    int graph_output; /* index in the outputs, -1 if not one */
    size_t offset;    /* arena offset (planned mode) */
    size_t nbytes;
    nnq_tensor view; /* the tensor ops see during a run */
    void *dyn;       /* dynamic mode: own buffer */
} exec_value;

typedef struct exec_step {
    const nnq_node *node;
    const nnq_op_def *op;
    int *in;  /* value index, -1 for an omitted optional input */
    int *out; /* value index, -1 for an omitted optional output */
    bool folded;
} exec_step;

struct nnq_exec {
    const nnq_graph *g;
    nnq_pool *pool;
    uint32_t flags;
    nnq_exec_hook_fn hook;
    void *hook_ctx;
    int64_t opset;
    exec_value *vals;
    size_t n_vals;
    int *table; /* open-addressing name -> value index, -1 empty */
    size_t table_cap;
    exec_step *steps;
    size_t n_steps;
    int *inputs;
    size_t n_inputs;
    int *outputs;
    size_t n_outputs;
    size_t n_folded;
    /* plan */
    bool planned; /* shapes known and arena offsets valid */
    uint8_t *arena;
    size_t arena_size; /* planned */
    size_t arena_cap;  /* allocated */
    size_t act_bytes;
    void *scratch;
    size_t scratch_need;
    size_t scratch_cap;
    bool running;
};

/* Name lookup; -1 if absent. */
NNQ_INTERNAL int exec_value_find(const nnq_exec *e, const char *name);

/* infer.c: a tensor describing value v for infer/run: the constant itself,
 * or the shape with data NULL (or the run-time view when `live`). */
NNQ_INTERNAL const nnq_tensor *exec_value_tensor(nnq_exec *e, int v, nnq_tensor *tmp, bool live);
NNQ_INTERNAL nnq_status exec_infer_step(nnq_exec *e, size_t s, bool live, bool *deferred);
/* Shape inference (and folding, unless disabled) over the whole graph. */
NNQ_INTERNAL nnq_status exec_infer_all(nnq_exec *e, bool at_create);
NNQ_INTERNAL bool exec_value_shape_known(const exec_value *v);
NNQ_INTERNAL nnq_status exec_value_bytes(const exec_value *v, size_t *out);

/* fold.c */
NNQ_INTERNAL bool exec_step_foldable(const nnq_exec *e, size_t s);
NNQ_INTERNAL nnq_status exec_fold_step(nnq_exec *e, size_t s);

/* Run one op with the given tensors, growing the scratch buffer as needed. */
NNQ_INTERNAL nnq_status exec_run_op(nnq_exec *e, size_t s, const nnq_tensor *const *ins,
                                    nnq_tensor *const *outs);

/* Prefix the current error with "node '<name>' (<op>): " unless the
 * operator already named its node (nnq_op_error does). */
NNQ_INTERNAL nnq_status nnq_exec_node_error(nnq_status r, const nnq_node *n);

#endif
