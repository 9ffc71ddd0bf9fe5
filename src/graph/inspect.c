/* inspect.c - read-only views of a graph for tools and the CLI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/ir.h"

int64_t nnq_graph_ir_version(const nnq_graph *g) { return g ? g->ir_version : 0; }

const char *nnq_graph_producer(const nnq_graph *g) {
    return g && g->producer_name ? g->producer_name : "";
}

size_t nnq_graph_opset_count(const nnq_graph *g) { return g ? g->n_opsets : 0; }

nnq_status nnq_graph_opset(const nnq_graph *g, size_t i, const char **domain, int64_t *version) {
    if (!g) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_opset: graph is NULL");
    if (i >= g->n_opsets)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "graph_opset: index %zu >= %zu opsets", i,
                         g->n_opsets);
    if (domain) *domain = g->opsets[i].domain;
    if (version) *version = g->opsets[i].version;
    return NNQ_STATUS_OK;
}

size_t nnq_graph_node_count(const nnq_graph *g) { return g ? g->n_nodes : 0; }

nnq_status nnq_graph_node(const nnq_graph *g, size_t i, const char **name, const char **op_type) {
    if (!g) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_node: graph is NULL");
    if (i >= g->n_nodes)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "graph_node: index %zu >= %zu nodes", i,
                         g->n_nodes);
    if (name) *name = g->nodes[i].name;
    if (op_type) *op_type = g->nodes[i].op_type;
    return NNQ_STATUS_OK;
}

/* Initializers listed as graph inputs (IR < 4 style) are not real inputs.
 * Linear scan: inspection is not on a hot path. */
static bool is_init(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_inits; i++)
        if (!strcmp(g->inits[i].name, name)) return true;
    return false;
}

size_t nnq_graph_input_count(const nnq_graph *g) {
    size_t n = 0;
    for (size_t i = 0; g && i < g->n_inputs; i++) n += !is_init(g, g->inputs[i].name);
    return n;
}

static void fill_value(const nnq_value_info *v, nnq_graph_value *out) {
    out->name = v->name;
    out->dtype = v->dtype;
    out->ndim = v->ndim;
    out->dims = v->dims;
    out->dim_params = (const char *const *)v->dim_params;
}

nnq_status nnq_graph_input(const nnq_graph *g, size_t i, nnq_graph_value *out) {
    if (!g || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_input: graph or out is NULL");
    for (size_t k = 0, seen = 0; k < g->n_inputs; k++) {
        if (is_init(g, g->inputs[k].name)) continue;
        if (seen++ == i) {
            fill_value(&g->inputs[k], out);
            return NNQ_STATUS_OK;
        }
    }
    return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "graph_input: index %zu >= %zu inputs", i,
                     nnq_graph_input_count(g));
}

size_t nnq_graph_output_count(const nnq_graph *g) { return g ? g->n_outputs : 0; }

nnq_status nnq_graph_output(const nnq_graph *g, size_t i, nnq_graph_value *out) {
    if (!g || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_output: graph or out is NULL");
    if (i >= g->n_outputs)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "graph_output: index %zu >= %zu outputs", i,
                         g->n_outputs);
    fill_value(&g->outputs[i], out);
    return NNQ_STATUS_OK;
}

const char *nnq_graph_value_shape_str(const nnq_graph_value *v, char *buf, size_t bufsize) {
    if (!buf || bufsize == 0) return "";
    buf[0] = '\0';
    if (!v || v->ndim < 0) {
        snprintf(buf, bufsize, "[*]");
        return buf;
    }
    size_t used = 0;
    used += (size_t)snprintf(buf, bufsize, "[");
    for (int i = 0; i < v->ndim && used < bufsize; i++) {
        const char *sep = i ? ", " : "";
        if (v->dims[i] >= 0)
            used +=
                (size_t)snprintf(buf + used, bufsize - used, "%s%lld", sep, (long long)v->dims[i]);
        else if (v->dim_params && v->dim_params[i])
            used += (size_t)snprintf(buf + used, bufsize - used, "%s%s", sep, v->dim_params[i]);
        else
            used += (size_t)snprintf(buf + used, bufsize - used, "%s?", sep);
    }
    if (used < bufsize) snprintf(buf + used, bufsize - used, "]");
    return buf;
}

static int cmp_op(const void *a, const void *b) {
    const nnq_graph_op_stat *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);
    return c ? c : strcmp(x->op_type, y->op_type);
}

static nnq_status count_ops(const nnq_graph *g, nnq_graph_summary *s) {
    if (g->n_nodes == 0) return NNQ_STATUS_OK;
    s->ops = nnq_calloc(g->n_nodes, sizeof *s->ops);
    if (!s->ops) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph_summarize: out of memory");
    for (size_t i = 0; i < g->n_nodes; i++) {
        s->ops[i].domain = g->nodes[i].domain ? g->nodes[i].domain : "";
        s->ops[i].op_type = g->nodes[i].op_type;
        s->ops[i].count = 1;
    }
    qsort(s->ops, g->n_nodes, sizeof *s->ops, cmp_op);
    size_t k = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (k && !cmp_op(&s->ops[k - 1], &s->ops[i]))
            s->ops[k - 1].count++;
        else
            s->ops[k++] = s->ops[i];
    }
    s->n_ops = k;
    return NNQ_STATUS_OK;
}

static nnq_status count_params(const nnq_graph *g, nnq_graph_summary *s) {
    s->dtypes = nnq_calloc(NNQ_DTYPE_COUNT_, sizeof *s->dtypes);
    s->external_files = nnq_calloc(g->n_inits ? g->n_inits : 1, sizeof *s->external_files);
    if (!s->dtypes || !s->external_files)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph_summarize: out of memory");
    nnq_graph_dtype_stat by[NNQ_DTYPE_COUNT_] = {{0}};
    for (size_t i = 0; i < g->n_inits; i++) {
        const nnq_initializer *in = &g->inits[i];
        nnq_graph_dtype_stat *d = &by[in->tensor->dtype];
        d->tensors++;
        d->params += in->tensor->numel;
        d->bytes += in->tensor->nbytes;
        s->params += in->tensor->numel;
        s->bytes += in->tensor->nbytes;
        if (!in->ext_location) continue;
        bool seen = false;
        for (size_t k = 0; k < s->n_external_files && !seen; k++)
            seen = !strcmp(s->external_files[k], in->ext_location);
        if (!seen) s->external_files[s->n_external_files++] = in->ext_location;
    }
    for (int t = 0; t < NNQ_DTYPE_COUNT_; t++)
        if (by[t].tensors) {
            by[t].dtype = (nnq_dtype)t;
            s->dtypes[s->n_dtypes++] = by[t];
        }
    return NNQ_STATUS_OK;
}

void nnq_graph_summary_free(nnq_graph_summary *s) {
    if (!s) return;
    nnq_free(s->ops);
    nnq_free(s->dtypes);
    nnq_free(s->external_files);
    nnq_free(s);
}

nnq_status nnq_graph_summarize(const nnq_graph *g, nnq_graph_summary **out) {
    if (!g || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_summarize: graph or out is NULL");
    *out = NULL;
    nnq_graph_summary *s = nnq_calloc(1, sizeof *s);
    if (!s) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph_summarize: out of memory");
    nnq_status st = count_ops(g, s);
    if (!st) st = count_params(g, s);
    if (st) {
        nnq_graph_summary_free(s);
        return st;
    }
    *out = s;
    return NNQ_STATUS_OK;
}
