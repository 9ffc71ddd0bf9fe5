/*
 * nnq/graph.h - public API of the graph layer: ONNX models in and out, graph
 * passes, and inspection.  Include <nnq.h>.
 *
 * Ownership: nnq_graph_load* create a graph the caller frees with
 * nnq_graph_free (NULL is fine).  Strings and arrays returned by the
 * inspection calls are borrowed from the graph and stay valid until the graph
 * is changed (a pass) or freed.  See docs/onnx.md for what is kept, the
 * external-data rules and the limits.
 */
#ifndef NNQ_GRAPH_H
#define NNQ_GRAPH_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnq_graph nnq_graph;

/* Defaults for the load limits (a 0 option means the default). */
#define NNQ_GRAPH_DEFAULT_MAX_MODEL_BYTES ((uint64_t)2 << 30)      /* protobuf's 2 GiB */
#define NNQ_GRAPH_DEFAULT_MAX_EXTERNAL_BYTES ((uint64_t)256 << 30) /* all external data */
#define NNQ_GRAPH_DEFAULT_MAX_NODES ((size_t)1 << 22)              /* all graphs together */

typedef struct nnq_graph_load_options {
    /* Directory external data is read from by nnq_graph_load_memory (NULL:
     * a model referring to external data is refused).  nnq_graph_load always
     * uses the model file's own directory and ignores this. */
    const char *base_dir;
    uint64_t max_model_bytes;    /* size of the .onnx file; 0 = default */
    uint64_t max_external_bytes; /* sum of external tensor bytes; 0 = default */
    size_t max_nodes;            /* nodes in the graph and its subgraphs; 0 = default */
} nnq_graph_load_options;

/**
 * Load an ONNX model file.  options may be NULL (defaults).  The graph is
 * validated: every node input must be produced by a node, be a graph input
 * or an initializer (NNQ_STATUS_NOT_FOUND naming node and input), the nodes
 * must form no cycle (NNQ_STATUS_INVALID_FORMAT naming a node on it), and
 * initializers must agree with graph inputs of the same name
 * (NNQ_STATUS_DTYPE_MISMATCH / NNQ_STATUS_SHAPE_MISMATCH).  Nodes come out in
 * topological order (file order when already sorted); unnamed nodes are
 * named "<op_type>_<index>".
 * Errors: NNQ_STATUS_IO_ERROR / NOT_FOUND (file), INVALID_FORMAT (corrupt or
 * truncated protobuf, bad tensor data), LIMIT_EXCEEDED (a limit above),
 * UNSUPPORTED (string initializers, more than NNQ_MAX_DIMS dims),
 * INVALID_ARGUMENT (hostile external-data path), OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_graph_load(const char *path, const nnq_graph_load_options *options,
                                  nnq_graph **out);
/** Load a model from memory (size bytes at data); same rules as nnq_graph_load. */
NNQ_API nnq_status nnq_graph_load_memory(const void *data, size_t size,
                                         const nnq_graph_load_options *options, nnq_graph **out);
/** Free a graph and everything it owns.  NULL is fine. */
NNQ_API void nnq_graph_free(nnq_graph *graph);

typedef struct nnq_graph_save_options {
    /* Files the output (model or its .data file) must not replace, e.g. the
     * model it was loaded from: NNQ_STATUS_SAME_FILE. */
    const char *const *inputs;
    size_t n_inputs;
    /* 0: every tensor inline unless the model would pass protobuf's 2 GiB
     * limit, in which case every initializer of >= 1 KiB goes external.
     * Otherwise initializers of >= external_threshold bytes go external.
     * External data goes to one file "<model file name>.data" next to the
     * model, each tensor at a 64-byte aligned offset. */
    uint64_t external_threshold;
} nnq_graph_save_options;

/**
 * Save a graph as an ONNX model, atomically (see nnq_outfile_open).  The
 * bytes depend only on the graph: saving twice gives identical files.
 * Errors: NNQ_STATUS_SAME_FILE, IO_ERROR, LIMIT_EXCEEDED (still over 2 GiB),
 * OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_graph_save(const nnq_graph *graph, const char *path,
                                  const nnq_graph_save_options *options);
/**
 * Serialize a graph to memory, all tensors inline.  *data is allocated with
 * nnq_malloc and owned by the caller (nnq_free).  NNQ_STATUS_LIMIT_EXCEEDED
 * if the model would pass 2 GiB.
 */
NNQ_API nnq_status nnq_graph_save_memory(const nnq_graph *graph, void **data, size_t *size);

/**
 * Deep copy of a graph (through its serialized form, so the copy is exactly
 * what a save and reload would give).  *out is owned by the caller
 * (nnq_graph_free).  Errors: those of nnq_graph_save_memory and
 * nnq_graph_load_memory.
 */
NNQ_API nnq_status nnq_graph_clone(const nnq_graph *graph, nnq_graph **out);

/* ------------------------------------------------------------------------ */
/* ONNX TensorProto files (the test suite's input_0.pb / output_0.pb)        */
/* ------------------------------------------------------------------------ */

/**
 * Load one serialized TensorProto.  *tensor is owned by the caller
 * (nnq_tensor_free); *name (may be NULL to skip) gets a copy of the tensor's
 * name ("" if none) owned by the caller (nnq_free).  External data is read
 * from the file's directory under the same rules as models.
 */
NNQ_API nnq_status nnq_tensor_load_pb(const char *path, nnq_tensor **tensor, char **name);
/** Write a tensor as a TensorProto (raw_data) atomically; name may be NULL.
 *  inputs / n_inputs: files the output must not replace. */
NNQ_API nnq_status nnq_tensor_save_pb(const char *path, const nnq_tensor *tensor, const char *name,
                                      const char *const *inputs, size_t n_inputs);

/* ------------------------------------------------------------------------ */
/* Passes                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * Check that every node input exists (NNQ_STATUS_NOT_FOUND naming the node
 * and the input), that no value has two producers and that graph outputs are
 * produced (NNQ_STATUS_INVALID_FORMAT).  Subgraph bodies are not checked.
 */
NNQ_API nnq_status nnq_graph_check(const nnq_graph *graph);
/**
 * Reorder nodes topologically, keeping file order where it is already valid.
 * NNQ_STATUS_INVALID_FORMAT naming a node on a cycle.
 */
NNQ_API nnq_status nnq_graph_toposort(nnq_graph *graph);
/**
 * Remove nodes none of whose outputs reach a graph output, then initializers
 * no node uses.  n_removed (may be NULL) gets the number of nodes removed.
 */
NNQ_API nnq_status nnq_graph_remove_dead(nnq_graph *graph, size_t *n_removed);
/**
 * Fold each inference-mode BatchNormalization whose input is produced by a
 * Conv or Gemm (float32 initializer weights, BN the only consumer) into that
 * node's weights and bias:  W' = W * s,  b' = (b - mean) * s + beta with
 * s = scale / sqrt(var + epsilon) per output channel (Gemm: beta attribute
 * applied to C first, then set to 1).  The Conv / Gemm keeps its name and
 * takes over the BatchNormalization's output name; a missing bias becomes a
 * new initializer "<node>.bias".  n_folded (may be NULL) gets the count.
 * Candidates whose weights are shared or not constant are left alone.
 */
NNQ_API nnq_status nnq_graph_fold_batchnorm(nnq_graph *graph, size_t *n_folded);

/* ------------------------------------------------------------------------ */
/* Inspection                                                                */
/* ------------------------------------------------------------------------ */

/** ONNX IR version of the model. */
NNQ_API int64_t nnq_graph_ir_version(const nnq_graph *graph);
/** Producer name ("" if none). */
NNQ_API const char *nnq_graph_producer(const nnq_graph *graph);
/** Number of opset imports. */
NNQ_API size_t nnq_graph_opset_count(const nnq_graph *graph);
/** Opset import i: domain ("" = ai.onnx) and version.  NNQ_STATUS_OUT_OF_RANGE if i is too big. */
NNQ_API nnq_status nnq_graph_opset(const nnq_graph *graph, size_t i, const char **domain,
                                   int64_t *version);
/** Number of nodes of the main graph (subgraphs not counted). */
NNQ_API size_t nnq_graph_node_count(const nnq_graph *graph);
/** Name and op type of node i (borrowed).  NNQ_STATUS_OUT_OF_RANGE if i is too big. */
NNQ_API nnq_status nnq_graph_node(const nnq_graph *graph, size_t i, const char **name,
                                  const char **op_type);

/*
 * A graph input or output.  dims[i] >= 0 is a known size; dims[i] < 0 with
 * dim_params[i] non-NULL is symbolic (named, e.g. "batch"); dims[i] < 0 with
 * dim_params[i] NULL is unknown.  ndim < 0: rank unknown (or not a tensor).
 * All pointers are borrowed from the graph.
 */
typedef struct nnq_graph_value {
    const char *name;
    nnq_dtype dtype;
    int ndim;
    const int64_t *dims;
    const char *const *dim_params;
} nnq_graph_value;

/** Number of graph inputs that are not initializers (the model's real inputs). */
NNQ_API size_t nnq_graph_input_count(const nnq_graph *graph);
/** Real input i.  NNQ_STATUS_OUT_OF_RANGE if i is too big. */
NNQ_API nnq_status nnq_graph_input(const nnq_graph *graph, size_t i, nnq_graph_value *out);
NNQ_API size_t nnq_graph_output_count(const nnq_graph *graph);
NNQ_API nnq_status nnq_graph_output(const nnq_graph *graph, size_t i, nnq_graph_value *out);
/**
 * Format a value's shape with symbolic dims by name: "[batch, 3, 224, ?]";
 * "?" an unknown dim, "[*]" an unknown rank.  Always NUL-terminated.
 */
NNQ_API const char *nnq_graph_value_shape_str(const nnq_graph_value *v, char *buf, size_t bufsize);

typedef struct nnq_graph_op_stat {
    const char *domain; /* borrowed; "" = ai.onnx */
    const char *op_type;
    size_t count;
} nnq_graph_op_stat;

typedef struct nnq_graph_dtype_stat {
    nnq_dtype dtype;
    size_t tensors;
    uint64_t params; /* elements */
    uint64_t bytes;
} nnq_graph_dtype_stat;

/*
 * Counts over the main graph: ops sorted by (domain, op_type), initializer
 * parameters by dtype in dtype order, and the distinct external data files
 * initializers were loaded from, in first-use order.  Strings are borrowed
 * from the graph.
 */
typedef struct nnq_graph_summary {
    nnq_graph_op_stat *ops;
    size_t n_ops;
    nnq_graph_dtype_stat *dtypes;
    size_t n_dtypes;
    uint64_t params;
    uint64_t bytes;
    const char **external_files;
    size_t n_external_files;
} nnq_graph_summary;

/** Summarize a graph; free with nnq_graph_summary_free. */
NNQ_API nnq_status nnq_graph_summarize(const nnq_graph *graph, nnq_graph_summary **out);
NNQ_API void nnq_graph_summary_free(nnq_graph_summary *summary);

#ifdef __cplusplus
}
#endif
#endif /* NNQ_GRAPH_H */
