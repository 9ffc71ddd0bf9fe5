/* bnfold.c - fold inference BatchNormalization into a preceding Conv / Gemm. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "graph/ir.h"

/* An initializer of type float32 with exactly n elements, or NULL. */
static nnq_tensor *float_init(nnq_graph *g, const char *name, size_t n) {
    ptrdiff_t k = nnq_graph_find_init(g, name);
    if (k < 0) return NULL;
    nnq_tensor *t = g->inits[k].tensor;
    return t->dtype == NNQ_DTYPE_FLOAT32 && (n == 0 || t->numel == n) ? t : NULL;
}

static const nnq_attr *find_attr(const nnq_node *n, const char *name) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

static float attr_f(const nnq_node *n, const char *name, float def) {
    const nnq_attr *a = find_attr(n, name);
    return a && a->type == NNQ_ATTR_FLOAT ? a->f : def;
}
static int64_t attr_i(const nnq_node *n, const char *name, int64_t def) {
    const nnq_attr *a = find_attr(n, name);
    return a && a->type == NNQ_ATTR_INT ? a->i : def;
}

static bool is_op(const nnq_node *n, const char *op) {
    return !strcmp(n->op_type, op) && (!n->domain[0] || !strcmp(n->domain, "ai.onnx"));
}

typedef struct fold_site {
    size_t bn, prod;
    nnq_tensor *w, *scale, *shift, *mean, *var;
    nnq_tensor *bias; /* existing bias / C, or NULL */
    size_t channels;
    bool gemm;
    int64_t trans_b;
    float gemm_beta;
} fold_site;

static bool sole_use(nnq_graph *g, const char *name) {
    return nnq_graph_use_count(g, name) == 1 && !nnq_graph_is_output(g, name);
}

/* Everything must hold before a byte changes, so a refused candidate leaves
 * the graph as it was. */
static bool match(nnq_graph *g, size_t bn, fold_site *f) {
    const nnq_node *b = &g->nodes[bn];
    memset(f, 0, sizeof *f);
    if (!is_op(b, "BatchNormalization") || b->n_inputs != 5 || attr_i(b, "training_mode", 0) != 0)
        return false;
    for (size_t j = 1; j < b->n_outputs; j++)
        if (b->outputs[j][0]) return false;
    ptrdiff_t p = nnq_graph_find_producer(g, b->inputs[0]);
    if (p < 0 || !sole_use(g, b->inputs[0])) return false;
    const nnq_node *pn = &g->nodes[p];
    f->gemm = is_op(pn, "Gemm");
    if (!(f->gemm || is_op(pn, "Conv")) || pn->n_inputs < 2 || strcmp(pn->outputs[0], b->inputs[0]))
        return false;
    if (!sole_use(g, pn->inputs[1]) || !(f->w = float_init(g, pn->inputs[1], 0))) return false;
    if (f->gemm) {
        f->trans_b = attr_i(pn, "transB", 0);
        f->gemm_beta = attr_f(pn, "beta", 1.0f);
        if (f->w->ndim != 2) return false;
        f->channels = (size_t)f->w->dims[f->trans_b ? 0 : 1];
    } else {
        if (f->w->ndim < 3) return false;
        f->channels = (size_t)f->w->dims[0];
    }
    size_t c = f->channels;
    if (!(f->scale = float_init(g, b->inputs[1], c)) ||
        !(f->shift = float_init(g, b->inputs[2], c)) ||
        !(f->mean = float_init(g, b->inputs[3], c)) || !(f->var = float_init(g, b->inputs[4], c)))
        return false;
    if (pn->n_inputs >= 3 && pn->inputs[2][0]) {
        if (!(f->bias = float_init(g, pn->inputs[2], 0))) return false;
        /* Gemm's C may broadcast from one value or one row. */
        if (f->bias->numel != c && !(f->gemm && f->bias->numel == 1)) return false;
    }
    f->bn = bn;
    f->prod = (size_t)p;
    return true;
}

static nnq_status set_input(nnq_node *n, size_t idx, const char *name) {
    if (idx >= n->n_inputs) {
        char **v = nnq_realloc(n->inputs, (idx + 1) * sizeof *v);
        if (!v) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "fold_batchnorm: out of memory");
        n->inputs = v;
        for (size_t i = n->n_inputs; i <= idx; i++) v[i] = NULL;
        n->n_inputs = idx + 1;
        for (size_t i = 0; i < idx; i++)
            if (!v[i] && !(v[i] = nnq_strdup("")))
                return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "fold_batchnorm: out of memory");
    }
    char *copy = nnq_strdup(name);
    if (!copy) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "fold_batchnorm: out of memory");
    nnq_free(n->inputs[idx]);
    n->inputs[idx] = copy;
    return NNQ_STATUS_OK;
}

/* Gemm: beta is applied to C before folding, then becomes 1. */
static void set_gemm_beta_one(nnq_node *n) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, "beta")) n->attrs[i].f = 1.0f; /* absent means 1 */
}

/* Attach the folded bias: in place when the node owns its bias, else as a
 * new initializer "<node>.bias". */
static nnq_status attach_bias(nnq_graph *g, const fold_site *f, nnq_tensor *nb) {
    nnq_node *pn = &g->nodes[f->prod];
    ptrdiff_t bi = f->bias ? nnq_graph_find_init(g, pn->inputs[2]) : -1;
    if (bi >= 0 && sole_use(g, pn->inputs[2]) && g->inits[bi].tensor->numel == f->channels &&
        g->inits[bi].tensor->ndim == 1) {
        nnq_tensor_free(g->inits[bi].tensor);
        g->inits[bi].tensor = nb;
        return NNQ_STATUS_OK;
    }
    char base[300], *name = NULL;
    snprintf(base, sizeof base, "%.280s.bias", pn->name);
    nnq_status s = nnq_graph_unique_name(g, base, &name);
    if (!s)
        s = nnq_graph_add_init(g, name, nb);
    else
        nnq_tensor_free(nb);
    if (!s) s = set_input(&g->nodes[f->prod], 2, name);
    nnq_free(name);
    return s;
}

/* Everything that can fail happens before the weights change, so a failed
 * fold leaves the model's meaning intact. */
static nnq_status fold_one(nnq_graph *g, const fold_site *f) {
    size_t c = f->channels;
    const float *gm = f->scale->data, *bt = f->shift->data, *mu = f->mean->data, *vr = f->var->data;
    float eps = attr_f(&g->nodes[f->bn], "epsilon", 1e-5f);
    nnq_tensor *nb = NULL;
    int64_t cdim = (int64_t)c;
    char *out = nnq_strdup(g->nodes[f->bn].outputs[0]);
    if (!out) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "fold_batchnorm: out of memory");
    nnq_status st = nnq_tensor_create(NNQ_DTYPE_FLOAT32, 1, &cdim, &nb);
    if (st) {
        nnq_free(out);
        return st;
    }
    float *bias = nb->data;
    const float *old = f->bias ? f->bias->data : NULL;
    for (size_t k = 0; k < c; k++) {
        float s = gm[k] / sqrtf(vr[k] + eps);
        float b0 = old ? old[f->bias->numel == 1 ? 0 : k] : 0.0f;
        if (f->gemm) b0 *= f->gemm_beta;
        bias[k] = (b0 - mu[k]) * s + bt[k];
    }
    st = attach_bias(g, f, nb); /* old bias data is not read after this */
    if (st) {
        nnq_free(out);
        return st;
    }
    float *w = f->w->data;
    size_t per = c ? f->w->numel / c : 0;
    for (size_t k = 0; k < c; k++) {
        float s = gm[k] / sqrtf(vr[k] + eps);
        if (!f->gemm || f->trans_b) {
            for (size_t j = 0; j < per; j++) w[k * per + j] *= s;
        } else { /* B is [K, M]: channel k is column k */
            for (size_t j = 0; j < per; j++) w[j * c + k] *= s;
        }
    }
    nnq_node *pn = &g->nodes[f->prod];
    if (f->gemm) set_gemm_beta_one(pn);
    /* The producer takes over the BN output name so consumers and graph
     * outputs are untouched. */
    nnq_free(pn->outputs[0]);
    pn->outputs[0] = out;
    nnq_graph_remove_node(g, f->bn);
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_fold_batchnorm(nnq_graph *g, size_t *n_folded) {
    if (!g) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_fold_batchnorm: graph is NULL");
    size_t folded = 0;
    if (n_folded) *n_folded = 0;
    for (size_t i = 0; i < g->n_nodes;) {
        fold_site f;
        if (!match(g, i, &f)) {
            i++;
            continue;
        }
        NNQ_TRY(fold_one(g, &f));
        folded++; /* node i was removed: look at the new node i */
    }
    /* The folds are complete and the graph valid: failing to drop the now
     * unused BN parameters (out of memory) only leaves them in place. */
    if (folded && nnq_graph_prune_values(g) != NNQ_STATUS_OK) nnq_clear_error();
    if (n_folded) *n_folded = folded;
    return NNQ_STATUS_OK;
}
