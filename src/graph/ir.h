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
    /* TensorProto names of t and tensors[] (NULL when unnamed), kept so a
     * save reproduces them. */
    char *t_name;
    char **tensor_names;
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
    /* Serialized TypeProto for values that are not tensors (sequence, map,
     * optional, sparse tensor): dtype is UNDEFINED and ndim -1 for them,
     * and the type is re-emitted unchanged on save.  NULL for tensors. */
    uint8_t *raw_type;
    size_t raw_type_len;
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
    /* Lazily built name -> index maps (see nnq_graph_invalidate). */
    struct nnq_name_map *init_map;
    struct nnq_name_map *producer_map;
} nnq_graph;

/* ------------------------------------------------------------------------ */
/* IR helpers (src/graph/ir.c).  All strings passed in are copied.          */
/* ------------------------------------------------------------------------ */

/* An empty graph (ir_version 8, no opsets). */
NNQ_INTERNAL nnq_status nnq_graph_create_empty(nnq_graph **out);
/* Free the contents of one node / value info / initializer / attribute. */
NNQ_INTERNAL void nnq_node_clear(nnq_node *n);
NNQ_INTERNAL void nnq_value_info_clear(nnq_value_info *v);
NNQ_INTERNAL void nnq_initializer_clear(nnq_initializer *in);
NNQ_INTERNAL void nnq_attr_clear(nnq_attr *a);
/* Copy a string into library memory (NULL stays NULL). */
NNQ_INTERNAL char *nnq_strdup(const char *s);

/*
 * Code that changes nodes[] or inits[] directly (rather than through the
 * helpers below) must call this before the next lookup: lookups use cached
 * hash maps keyed by name.
 */
NNQ_INTERNAL void nnq_graph_invalidate(nnq_graph *g);
/* Index of the initializer called name, or -1. */
NNQ_INTERNAL ptrdiff_t nnq_graph_find_init(nnq_graph *g, const char *name);
/* Index of the node producing value name, or -1 (graph inputs and
 * initializers have no producer). */
NNQ_INTERNAL ptrdiff_t nnq_graph_find_producer(nnq_graph *g, const char *name);
/* Index of the node called name, or -1 (linear scan). */
NNQ_INTERNAL ptrdiff_t nnq_graph_find_node(const nnq_graph *g, const char *name);
/* Number of node inputs (in this graph, not subgraphs) reading value name. */
NNQ_INTERNAL size_t nnq_graph_use_count(const nnq_graph *g, const char *name);
/* True when name is a graph output. */
NNQ_INTERNAL bool nnq_graph_is_output(const nnq_graph *g, const char *name);

/*
 * A name not used by any node, value, initializer or graph input/output:
 * `base` itself if free, else base_1, base_2, ...  *out is allocated with
 * nnq_malloc and owned by the caller.
 */
NNQ_INTERNAL nnq_status nnq_graph_unique_name(const nnq_graph *g, const char *base, char **out);

/* Append a node; the graph takes ownership of *node's contents (also on
 * failure) and *node is zeroed. */
NNQ_INTERNAL nnq_status nnq_graph_add_node(nnq_graph *g, nnq_node *node);
/* Remove node i, keeping the order of the others. */
NNQ_INTERNAL void nnq_graph_remove_node(nnq_graph *g, size_t i);
/* Add an initializer; the graph takes ownership of tensor (also on failure).
 * NNQ_STATUS_INVALID_ARGUMENT if the name is already an initializer. */
NNQ_INTERNAL nnq_status nnq_graph_add_init(nnq_graph *g, const char *name, nnq_tensor *tensor);
/* Remove initializer i (and a graph input of the same name, if any). */
NNQ_INTERNAL void nnq_graph_remove_init(nnq_graph *g, size_t i);

/* Remove initializers and value_infos no node, subgraph or graph output
 * refers to (src/graph/passes.c). */
NNQ_INTERNAL nnq_status nnq_graph_prune_values(nnq_graph *g);

/* Generic string -> size_t hash map (src/graph/namemap.c). */
typedef struct nnq_name_map nnq_name_map;
NNQ_INTERNAL nnq_status nnq_name_map_create(size_t expected, nnq_name_map **out);
NNQ_INTERNAL void nnq_name_map_free(nnq_name_map *m);
/* Insert key -> value; the key is borrowed and must outlive the map.  If the
 * key exists, *existing (when non-NULL) gets its value and nothing changes. */
NNQ_INTERNAL nnq_status nnq_name_map_put(nnq_name_map *m, const char *key, size_t value,
                                         bool *existed, size_t *existing);
NNQ_INTERNAL bool nnq_name_map_get(const nnq_name_map *m, const char *key, size_t *value);

#endif
