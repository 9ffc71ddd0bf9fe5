/*
 * compress_decompress.c - nnq_model_decompress: evaluate the decode chains
 * nnq_model_compress wrote ("W/nnq_decode/...") with the executor and store
 * their results as plain initializers, so the weights are exactly what the
 * compressed model computes.
 */
#include <string.h>

#include "graph/ir.h"
#include "pipeline/compress_model.h"

#define DECODE_TAG "/nnq_decode/"

static nnq_status oom(void) { return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "decompress: out of memory"); }

/* Mark decode nodes whose inputs are all constants (nodes are in
 * topological order, so one pass sees producers first). */
static size_t mark_decode(nnq_graph *g, bool *dec) {
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const nnq_node *nd = &g->nodes[i];
        if (!strstr(nd->name, DECODE_TAG)) continue;
        bool ok = true;
        for (size_t j = 0; j < nd->n_inputs && ok; j++) {
            if (!nd->inputs[j][0] || nnq_graph_find_init(g, nd->inputs[j]) >= 0) continue;
            ptrdiff_t p = nnq_graph_find_producer(g, nd->inputs[j]);
            ok = p >= 0 && dec[p];
        }
        dec[i] = ok;
        n += ok;
    }
    return n;
}

/* Outputs of decode nodes read by other nodes or by the graph. */
static bool is_sink(const nnq_graph *g, const bool *dec, const char *v) {
    if (nnq_graph_is_output(g, v)) return true;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!dec[i])
            for (size_t j = 0; j < g->nodes[i].n_inputs; j++)
                if (strcmp(g->nodes[i].inputs[j], v) == 0) return true;
    return false;
}

static nnq_status collect_sinks(nnq_graph *g, const bool *dec, char ***out, size_t *n_out) {
    size_t n = 0;
    char **s = nnq_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *s);
    if (!s) return oom();
    for (size_t i = 0; i < g->n_nodes; i++)
        if (dec[i] && is_sink(g, dec, g->nodes[i].outputs[0]))
            if (!(s[n++] = nnq_strdup(g->nodes[i].outputs[0]))) {
                for (size_t k = 0; k < n; k++) nnq_free(s[k]);
                nnq_free(s);
                return oom();
            }
    *out = s, *n_out = n;
    return NNQ_STATUS_OK;
}

/* Make the sinks the only outputs of e and drop its runtime inputs, so what
 * remains after removing dead nodes is the decode chains. */
static nnq_status reduce_to_chains(nnq_graph *e, char **sinks, size_t n) {
    nnq_value_info *outs = nnq_calloc(n, sizeof *outs);
    if (!outs) return oom();
    for (size_t i = 0; i < n; i++) {
        outs[i].ndim = -1;
        outs[i].dtype = NNQ_DTYPE_FLOAT32;
        if (!(outs[i].name = nnq_strdup(sinks[i]))) {
            for (size_t k = 0; k < i; k++) nnq_value_info_clear(&outs[k]);
            nnq_free(outs);
            return oom();
        }
    }
    for (size_t i = 0; i < e->n_outputs; i++) nnq_value_info_clear(&e->outputs[i]);
    nnq_free(e->outputs);
    e->outputs = outs, e->n_outputs = n;
    size_t keep = 0;
    for (size_t i = 0; i < e->n_inputs; i++) {
        if (nnq_graph_find_init(e, e->inputs[i].name) >= 0) e->inputs[keep++] = e->inputs[i];
        else nnq_value_info_clear(&e->inputs[i]);
    }
    e->n_inputs = keep;
    nnq_graph_invalidate(e);
    return nnq_graph_remove_dead(e, NULL);
}

static nnq_status evaluate(const nnq_graph *model, char **sinks, size_t n, nnq_tensor **vals) {
    nnq_graph *e = NULL;
    nnq_exec *ex = NULL;
    NNQ_TRY(nnq_graph_clone(model, &e));
    nnq_status s = reduce_to_chains(e, sinks, n);
    if (!s) s = nnq_exec_create(e, NULL, &ex);
    if (!s) s = nnq_exec_run(ex, NULL, 0, vals, n);
    nnq_exec_free(ex);
    nnq_graph_free(e);
    if (s) return nnq_error_prefix(s, "decompress: evaluating the decode chains: ");
    return NNQ_STATUS_OK;
}

/* Swap the chains in g for the computed tensors (ownership taken). */
static nnq_status replace_chains(nnq_graph *g, const bool *dec, char **sinks, nnq_tensor **vals,
                                 size_t n) {
    for (size_t i = g->n_nodes; i-- > 0;)
        if (dec[i]) nnq_graph_remove_node(g, i);
    nnq_graph_invalidate(g);
    nnq_status s = NNQ_STATUS_OK;
    for (size_t i = 0; i < n; i++) {
        if (!s) s = nnq_graph_add_init(g, sinks[i], vals[i]);
        else nnq_tensor_free(vals[i]);
        vals[i] = NULL;
    }
    return s ? s : nnq_graph_prune_values(g);
}

nnq_status nnq_model_decompress(const nnq_graph *model, nnq_graph **out, size_t *n_weights) {
    if (!model || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "decompress: %s is NULL", model ? "out" : "model");
    *out = NULL;
    if (n_weights) *n_weights = 0;
    nnq_graph *g = NULL;
    NNQ_TRY(nnq_graph_clone(model, &g));
    bool *dec = nnq_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *dec);
    char **sinks = NULL;
    size_t n = 0;
    nnq_tensor **vals = NULL;
    nnq_status s = dec ? NNQ_STATUS_OK : oom();
    if (!s && mark_decode(g, dec)) s = collect_sinks(g, dec, &sinks, &n);
    if (!s && n && !(vals = nnq_calloc(n, sizeof *vals))) s = oom();
    if (!s && n) s = evaluate(model, sinks, n, vals);
    if (!s && n) s = replace_chains(g, dec, sinks, vals, n);
    for (size_t i = 0; i < n; i++) {
        if (vals) nnq_tensor_free(vals[i]);
        nnq_free(sinks[i]);
    }
    nnq_free(vals), nnq_free(sinks), nnq_free(dec);
    if (s) {
        nnq_graph_free(g);
        return s;
    }
    *out = g;
    if (n_weights) *n_weights = n;
    return NNQ_STATUS_OK;
}
