/*
 * ir.h - nnq's in-memory graph (internal to the library; the public API sees
 * nnq_graph as an opaque handle).
 *
 * The IR mirrors an ONNX ModelProto closely enough that load -> save -> load
 * reproduces the model: every field nnq does not interpret is kept.  All
 * strings and arrays are owned by the graph and freed by nnq_graph_free.
 *
 * Names: nodes keep their ONNX names (an unnamed node gets
 * "<op_type>_<index>" at load time, unique in the graph) because quantizer
 * sites are named after nodes (<node>.input_quantizer ...).
 */
#ifndef NNQ_GRAPH_IR_H
#define NNQ_GRAPH_IR_H

#include "internal.h"

typedef enum nnq_attr_type {
    NNQ_ATTR_UNDEFINED = 0,
    NNQ_ATTR_FLOAT = 1,
    NNQ_ATTR_INT = 2,
    NNQ_ATTR_STRING = 3,
    NNQ_ATTR_TENSOR = 4,
    NNQ_ATTR_GRAPH = 5,
    NNQ_ATTR_FLOATS = 6,
    NNQ_ATTR_INTS = 7,
    NNQ_ATTR_STRINGS = 8,
    NNQ_ATTR_TENSORS = 9,
    NNQ_ATTR_GRAPHS = 10,
    NNQ_ATTR_SPARSE_TENSOR = 11,
    NNQ_ATTR_SPARSE_TENSORS = 12,
    NNQ_ATTR_TYPE_PROTO = 13,
    NNQ_ATTR_TYPE_PROTOS = 14,
} nnq_attr_type; /* values equal ONNX AttributeProto.AttributeType */

struct nnq_graph;

typedef struct nnq_attr {
    char *name;
    nnq_attr_type type;
    float f;
    int64_t i;
    char *s;      /* NUL-terminated copy; s_len holds the byte length */
    size_t s_len; /* (ONNX strings are bytes and may contain NUL) */
    nnq_tensor *t;
    float *floats;
    size_t n_floats;
    int64_t *ints;
    size_t n_ints;
    char **strings;
    size_t n_strings;
    nnq_tensor **tensors;
    size_t n_tensors;
    struct nnq_graph *g; /* subgraph (If / Loop / Scan bodies) */
    char *ref_attr_name; /* function attribute reference, kept for saving */
    char *doc_string;
    /* Kinds nnq does not interpret (graphs lists, sparse tensors, type
     * protos) are kept as the serialized AttributeProto for saving. */
    uint8_t *raw;
    size_t raw_len;
} nnq_attr;

typedef struct nnq_node {
    char *name;
    char *op_type;
    char *domain; /* "" for the default ONNX domain */
    char **inputs; /* "" marks an omitted optional input */
    size_t n_inputs;
    char **outputs;
    size_t n_outputs;
    nnq_attr *attrs;
    size_t n_attrs;
    char *doc_string;
} nnq_node;

/* Type and shape of a value.  A dim is known (dims[i] >= 0), symbolic
 * (dims[i] < 0 with dim_params[i] a name such as "batch"), or unknown
 * (dims[i] < 0, dim_params[i] NULL).  ndim < 0: rank unknown. */
typedef struct nnq_value_info {
    char *name;
    nnq_dtype dtype;
    int ndim;
    int64_t dims[NNQ_MAX_DIMS];
    char *dim_params[NNQ_MAX_DIMS];
    char *doc_string;
} nnq_value_info;

typedef struct nnq_initializer {
    char *name;
    nnq_tensor *tensor;
    char *doc_string;
    /* For tensors stored as external data: where they came from. */
    char *ext_location;
    uint64_t ext_offset;
    uint64_t ext_length;
} nnq_initializer;

typedef struct nnq_opset {
    char *domain; /* "" = ai.onnx */
    int64_t version;
} nnq_opset;

typedef struct nnq_graph {
    /* model-level fields */
    int64_t ir_version;
    nnq_opset *opsets;
    size_t n_opsets;
    char *producer_name;
    char *producer_version;
    char *model_domain;
    int64_t model_version;
    char *model_doc_string;
    char **metadata_keys; /* metadata_props, in file order */
    char **metadata_values;
    size_t n_metadata;
    /* graph fields */
    char *name;
    char *doc_string;
    nnq_node *nodes; /* topological order after nnq_graph_toposort */
    size_t n_nodes;
    size_t cap_nodes;
    nnq_initializer *inits;
    size_t n_inits;
    size_t cap_inits;
    nnq_value_info *inputs; /* graph inputs (may include initializer names) */
    size_t n_inputs;
    nnq_value_info *outputs;
    size_t n_outputs;
    nnq_value_info *value_infos; /* intermediate values with known types */
    size_t n_value_infos;
    /* Serialized protobuf of model/graph fields nnq does not interpret
     * (functions, training_info, sparse_initializer before densifying,
     * quantization_annotation), re-emitted on save. */
    uint8_t *unknown_model_fields;
    size_t unknown_model_len;
    char *base_dir; /* directory of the loaded file (external data) */
} nnq_graph;

#endif
