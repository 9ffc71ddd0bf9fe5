/*
 * test_exec_graph.h - build small graphs for the executor tests by filling
 * the IR structs directly (independent of the ONNX loader).  Everything lives
 * in one struct; tg_free releases the initializer tensors.
 */
#ifndef NNQ_TEST_EXEC_GRAPH_H
#define NNQ_TEST_EXEC_GRAPH_H

#include <string.h>

#include "graph/ir.h"
#include "testutil.h"

#define TG_NODES 48
#define TG_IO 8
#define TG_ATTRS 10

typedef struct tg {
    nnq_graph g;
    nnq_opset opset;
    nnq_node nodes[TG_NODES];
    char *node_in[TG_NODES][TG_IO];
    char *node_out[TG_NODES][TG_IO];
    nnq_attr attrs[TG_NODES][TG_ATTRS];
    nnq_initializer inits[TG_NODES];
    nnq_value_info inputs[TG_IO], outputs[TG_IO];
} tg;

static inline void tg_init(tg *t, int64_t opset) {
    memset(t, 0, sizeof *t);
    t->opset.domain = "";
    t->opset.version = opset;
    t->g.opsets = &t->opset;
    t->g.n_opsets = 1;
    t->g.nodes = t->nodes;
    t->g.inits = t->inits;
    t->g.inputs = t->inputs;
    t->g.outputs = t->outputs;
    t->g.name = "test";
}

/* A float32 graph input; a dim of -1 is symbolic ("batch"). */
static inline void tg_input(tg *t, const char *name, int ndim, const int64_t *dims) {
    nnq_value_info *v = &t->inputs[t->g.n_inputs++];
    v->name = (char *)(uintptr_t)name;
    v->dtype = NNQ_DTYPE_FLOAT32;
    v->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        v->dims[i] = dims[i];
        v->dim_params[i] = dims[i] < 0 ? "batch" : NULL;
    }
}

static inline void tg_output(tg *t, const char *name) {
    nnq_value_info *v = &t->outputs[t->g.n_outputs++];
    v->name = (char *)(uintptr_t)name;
    v->ndim = -1;
}

/* A float32 initializer copied from data (NULL: zeros). */
static inline void tg_const(tg *t, const char *name, int ndim, const int64_t *dims,
                            const float *data) {
    nnq_initializer *in = &t->inits[t->g.n_inits++];
    in->name = (char *)(uintptr_t)name;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, ndim, dims, &in->tensor));
    if (data) memcpy(in->tensor->data, data, in->tensor->nbytes);
}

/* Add a node; inputs/outputs are NULL-terminated lists of names. */
static inline nnq_node *tg_node(tg *t, const char *op, const char *name, const char *const *in,
                                const char *const *out) {
    size_t i = t->g.n_nodes++;
    nnq_node *n = &t->nodes[i];
    n->name = (char *)(uintptr_t)name;
    n->op_type = (char *)(uintptr_t)op;
    n->domain = "";
    n->inputs = t->node_in[i];
    n->outputs = t->node_out[i];
    n->attrs = t->attrs[i];
    for (; in && in[n->n_inputs]; n->n_inputs++)
        t->node_in[i][n->n_inputs] = (char *)(uintptr_t)in[n->n_inputs];
    for (; out && out[n->n_outputs]; n->n_outputs++)
        t->node_out[i][n->n_outputs] = (char *)(uintptr_t)out[n->n_outputs];
    return n;
}

static inline nnq_attr *tg_attr(nnq_node *n, const char *name, nnq_attr_type type) {
    nnq_attr *a = &n->attrs[n->n_attrs++];
    memset(a, 0, sizeof *a);
    a->name = (char *)(uintptr_t)name;
    a->type = type;
    return a;
}
static inline void tg_int(nnq_node *n, const char *name, int64_t v) {
    tg_attr(n, name, NNQ_ATTR_INT)->i = v;
}
static inline void tg_float(nnq_node *n, const char *name, float v) {
    tg_attr(n, name, NNQ_ATTR_FLOAT)->f = v;
}
static inline void tg_string(nnq_node *n, const char *name, const char *v) {
    nnq_attr *a = tg_attr(n, name, NNQ_ATTR_STRING);
    a->s = (char *)(uintptr_t)v;
    a->s_len = strlen(v);
}
/* ints point at caller storage that must outlive the graph. */
static inline void tg_ints(nnq_node *n, const char *name, const int64_t *v, size_t count) {
    nnq_attr *a = tg_attr(n, name, NNQ_ATTR_INTS);
    a->ints = (int64_t *)(uintptr_t)v;
    a->n_ints = count;
}

static inline void tg_free(tg *t) {
    for (size_t i = 0; i < t->g.n_inits; i++)
        nnq_tensor_free(t->inits[i].tensor);
    t->g.n_inits = 0;
}

/* Run a graph with one input and one output; returns the output. */
static inline nnq_tensor *tg_run1(tg *t, nnq_pool *pool, const nnq_tensor *x) {
    nnq_exec *e = NULL;
    nnq_exec_options o = {pool, 0, NULL, NULL};
    NNQ_ASSERT_OK(nnq_exec_create(&t->g, &o, &e));
    nnq_tensor *y = NULL;
    NNQ_ASSERT_OK(nnq_exec_run(e, &x, 1, &y, 1));
    nnq_exec_free(e);
    return y;
}

static inline nnq_tensor *tg_tensor(int ndim, const int64_t *dims, const float *data) {
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, ndim, dims, &t));
    if (data) memcpy(t->data, data, t->nbytes);
    return t;
}

#endif
