/* graph_test_models.h - craft ONNX models with protobuf-c for graph tests. */
#ifndef NNQ_GRAPH_TEST_MODELS_H
#define NNQ_GRAPH_TEST_MODELS_H

#include <stdlib.h>
#include <string.h>

#include "onnx/onnx.pb-c.h"

/* One node: op, name, up to 4 inputs and 2 outputs (NULL-terminated). */
typedef struct tm_node {
    const char *op, *name;
    const char *in[5];
    const char *out[3];
} tm_node;

typedef struct tm_model {
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__NodeProto nodes[16];
    Onnx__NodeProto *node_ptrs[16];
    Onnx__TensorProto inits[8];
    Onnx__TensorProto *init_ptrs[8];
    Onnx__ValueInfoProto vi[8];
    Onnx__ValueInfoProto *in_ptrs[4], *out_ptrs[4];
    Onnx__TypeProto types[8];
    Onnx__TypeProto__Tensor tts[8];
    char *strs[16][8];
} tm_model;

static inline size_t tm_count(const char *const *v, size_t max) {
    size_t n = 0;
    while (n < max && v[n]) n++;
    return n;
}

static inline void tm_value(tm_model *t, size_t k, const char *name, int32_t dtype,
                            Onnx__ValueInfoProto **slot) {
    onnx__value_info_proto__init(&t->vi[k]);
    onnx__type_proto__init(&t->types[k]);
    onnx__type_proto__tensor__init(&t->tts[k]);
    t->tts[k].has_elem_type = 1;
    t->tts[k].elem_type = dtype;
    t->types[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->types[k].tensor_type = &t->tts[k];
    t->vi[k].name = (char *)(uintptr_t)name;
    t->vi[k].type = &t->types[k];
    *slot = &t->vi[k];
}

/* Model with nodes, graph inputs / outputs (float32, no shape) and no
 * initializers; add them with tm_add_init. */
static inline void tm_init(tm_model *t, const tm_node *nodes, size_t n_nodes,
                           const char *const *inputs, const char *const *outputs) {
    memset(t, 0, sizeof *t);
    onnx__model_proto__init(&t->m);
    onnx__graph_proto__init(&t->g);
    onnx__operator_set_id_proto__init(&t->opset);
    t->opset.has_version = 1;
    t->opset.version = 13;
    t->opsets[0] = &t->opset;
    t->m.has_ir_version = 1;
    t->m.ir_version = 8;
    t->m.n_opset_import = 1;
    t->m.opset_import = t->opsets;
    t->m.graph = &t->g;
    t->g.name = (char *)"crafted";
    for (size_t i = 0; i < n_nodes; i++) {
        Onnx__NodeProto *np = &t->nodes[i];
        onnx__node_proto__init(np);
        np->op_type = (char *)(uintptr_t)nodes[i].op;
        np->name = (char *)(uintptr_t)nodes[i].name;
        np->n_input = tm_count(nodes[i].in, 5);
        np->input = (char **)(uintptr_t)nodes[i].in;
        np->n_output = tm_count(nodes[i].out, 3);
        np->output = (char **)(uintptr_t)nodes[i].out;
        t->node_ptrs[i] = np;
    }
    t->g.n_node = n_nodes;
    t->g.node = t->node_ptrs;
    size_t k = 0;
    for (size_t i = 0; inputs && inputs[i]; i++, k++) tm_value(t, k, inputs[i], 1, &t->in_ptrs[i]);
    t->g.n_input = inputs ? tm_count(inputs, 4) : 0;
    t->g.input = t->in_ptrs;
    for (size_t i = 0; outputs && outputs[i]; i++, k++)
        tm_value(t, k, outputs[i], 1, &t->out_ptrs[i]);
    t->g.n_output = outputs ? tm_count(outputs, 4) : 0;
    t->g.output = t->out_ptrs;
}

/* Add a raw_data initializer; returns it for further edits. */
static inline Onnx__TensorProto *tm_add_init(tm_model *t, const char *name, int32_t dtype,
                                             const int64_t *dims, size_t ndim, const void *raw,
                                             size_t raw_len) {
    Onnx__TensorProto *tp = &t->inits[t->g.n_initializer];
    onnx__tensor_proto__init(tp);
    tp->name = (char *)(uintptr_t)name;
    tp->has_data_type = 1;
    tp->data_type = dtype;
    tp->n_dims = ndim;
    tp->dims = (int64_t *)(uintptr_t)dims;
    if (raw) {
        tp->has_raw_data = 1;
        tp->raw_data.data = (uint8_t *)(uintptr_t)raw;
        tp->raw_data.len = raw_len;
    }
    t->init_ptrs[t->g.n_initializer++] = tp;
    t->g.initializer = t->init_ptrs;
    return tp;
}

/* Serialize (malloc'd; free with free). */
static inline uint8_t *tm_pack(const tm_model *t, size_t *len) {
    *len = onnx__model_proto__get_packed_size(&t->m);
    uint8_t *buf = malloc(*len ? *len : 1);
    onnx__model_proto__pack(&t->m, buf);
    return buf;
}

#endif
