/*
 * nnq/exec.h - public API of the exec layer: the fp32 CPU executor.
 * Include <nnq.h>.
 *
 * An executor is built once from a graph (nnq_exec_create) and run many
 * times (nnq_exec_run).  Creation validates the graph (every operator known,
 * types consistent), orders it topologically, infers every value's type and
 * shape, folds nodes whose inputs are all constant, and plans activation
 * memory by value lifetimes: a buffer is reused once its last consumer ran.
 * Dims that are symbolic in the graph ("batch") are resolved from the actual
 * inputs at run time; the plan is redone when input shapes change.
 *
 * Threads: the pool given in the options (NULL = serial) is used inside the
 * operators.  Results are bit-identical for any thread count.
 */
#ifndef NNQ_EXEC_H
#define NNQ_EXEC_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nnq_graph;
typedef struct nnq_exec nnq_exec;

/* What a hook is told about the value it receives. */
typedef struct nnq_exec_event {
    const char *node_name;  /* producing node; NULL for a graph input */
    const char *op_type;    /* its op_type; NULL for a graph input */
    size_t step;            /* position of the node in execution order */
    size_t output_index;    /* which output of the node */
    const char *value_name; /* the value's name in the graph */
} nnq_exec_event;

/*
 * Called on every value as it is produced at run time, graph inputs first
 * (on the executor's copy, so the caller's tensors stay untouched).  The hook
 * may read `value` (calibration observers) or overwrite its elements in place
 * (fake quantization); it must not change its dtype, shape or data pointer.
 * Later consumers see the modified elements.  A status other than OK stops
 * the run and is returned by nnq_exec_run.  Values folded to constants at
 * create time are not produced again (pass NNQ_EXEC_NO_FOLD to see them).
 */
typedef nnq_status (*nnq_exec_hook_fn)(void *ctx, const nnq_exec_event *event, nnq_tensor *value);

/* Option flags (nnq_exec_options.flags). */
enum {
    NNQ_EXEC_NO_FOLD = 1u << 0, /* run constant subgraphs at every run */
};

/* Executor options; a zeroed struct (or NULL) gives the defaults. */
typedef struct nnq_exec_options {
    nnq_pool *pool;        /* borrowed; must outlive the executor; NULL = serial */
    uint32_t flags;        /* NNQ_EXEC_* */
    nnq_exec_hook_fn hook; /* NULL = none */
    void *hook_ctx;
} nnq_exec_options;

/**
 * Build an executor for `graph`.
 * The graph is borrowed: it must stay alive and unchanged until
 * nnq_exec_free.  An initializer also listed as a graph input is treated as a
 * constant.  Errors: NNQ_STATUS_UNSUPPORTED (an op nnq does not implement,
 * naming op and node), NNQ_STATUS_NOT_FOUND (an input no one produces),
 * NNQ_STATUS_INVALID_FORMAT (cycles, duplicate producers, bad arity or
 * attributes), NNQ_STATUS_DTYPE_MISMATCH / NNQ_STATUS_SHAPE_MISMATCH (types
 * that do not agree), NNQ_STATUS_OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_exec_create(const struct nnq_graph *graph, const nnq_exec_options *options,
                                   nnq_exec **out);
/**
 * True when nnq implements operator op_type of domain ("" or NULL =
 * ai.onnx).  Attributes or types an implemented op does not support are
 * reported by nnq_exec_create.
 */
NNQ_API bool nnq_exec_op_supported(const char *domain, const char *op_type);

/** Free an executor (NULL is fine).  Does not free the graph or pool. */
NNQ_API void nnq_exec_free(nnq_exec *exec);

/** Number of runtime inputs (graph inputs that are not initializers). */
NNQ_API size_t nnq_exec_input_count(const nnq_exec *exec);
/** Name of runtime input i (NULL if out of range); owned by the graph. */
NNQ_API const char *nnq_exec_input_name(const nnq_exec *exec, size_t i);
NNQ_API size_t nnq_exec_output_count(const nnq_exec *exec);
NNQ_API const char *nnq_exec_output_name(const nnq_exec *exec, size_t i);

/**
 * Inferred type and shape of a value by name.  A dim not yet known (symbolic
 * before the first run) is -1; *ndim is -1 when the rank is unknown.
 * dims must hold NNQ_MAX_DIMS entries.  NNQ_STATUS_NOT_FOUND if no value has
 * that name.
 */
NNQ_API nnq_status nnq_exec_value_shape(const nnq_exec *exec, const char *name, nnq_dtype *dtype,
                                        int *ndim, int64_t *dims);

/**
 * Replace the hook (NULL removes it).  Not allowed during a run.
 */
NNQ_API void nnq_exec_set_hook(nnq_exec *exec, nnq_exec_hook_fn hook, void *ctx);

/**
 * Run the graph.  inputs[i] is the tensor for nnq_exec_input_name(exec, i)
 * (borrowed, not modified); its dtype must match and each dim that the graph
 * fixes must match.  On success outputs[i] receives a new tensor for
 * nnq_exec_output_name(exec, i), owned by the caller (nnq_tensor_free); on
 * failure no output is returned.  Not reentrant: one run at a time per
 * executor.  Errors: NNQ_STATUS_INVALID_ARGUMENT (counts, NULLs),
 * NNQ_STATUS_DTYPE_MISMATCH / NNQ_STATUS_SHAPE_MISMATCH (inputs), any status
 * an operator or the hook returns.
 */
NNQ_API nnq_status nnq_exec_run(nnq_exec *exec, const nnq_tensor *const *inputs, size_t n_inputs,
                                nnq_tensor **outputs, size_t n_outputs);

/**
 * Bytes of the activation arena planned for the current input shapes: the
 * peak of simultaneously live intermediate values (graph outputs excluded,
 * each buffer 64-byte aligned).  0 before shapes are known.
 */
NNQ_API size_t nnq_exec_planned_bytes(const nnq_exec *exec);
/** Sum of the sizes of all those values, i.e. the memory without reuse. */
NNQ_API size_t nnq_exec_activation_bytes(const nnq_exec *exec);
/** Number of nodes folded to constants at create time. */
NNQ_API size_t nnq_exec_folded_count(const nnq_exec *exec);

#ifdef __cplusplus
}
#endif
#endif /* NNQ_EXEC_H */
