/*
 * ptq_eval_weights.c - weight sites of `nnq eval`: each stored quantized
 * weight (a DequantizeLinear of an integer / float8 initializer feeding
 * input 1 of a Conv, ConvTranspose, Gemm or MatMul) against the float
 * model's weight of the node of the same name.  The quantizer folded
 * BatchNormalization into the weights, so the float side is folded the same
 * way unless the quantized model still has that node's BatchNormalization
 * (`--no-fold-bn`).  Nothing is guessed: a node or weight the float model
 * lacks, or of another shape, is reported as unmatched.
 */
#include <math.h>
#include <string.h>

#include "pipeline/ptq.h"

/* scale = amax / bound is rounded to float32 (relative error <= 2^-24), so
 * the weight that set amax may land a hair beyond bound * scale: it must not
 * count as clipped. */
#define CLIP_SLACK 1e-5

static bool is_weighted_op(const char *op) {
    return !strcmp(op, "Conv") || !strcmp(op, "ConvTranspose") || !strcmp(op, "Gemm") ||
           !strcmp(op, "MatMul");
}

static const nnq_node *producer_of(const nnq_graph *g, const char *value) {
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t k = 0; k < g->nodes[i].n_outputs; k++)
            if (!strcmp(g->nodes[i].outputs[k], value)) return &g->nodes[i];
    return NULL;
}

static const nnq_node *node_named(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return &g->nodes[i];
    return NULL;
}

/* The stored DequantizeLinear feeding node n's weight input, or NULL. */
static const nnq_node *weight_dq(const nnq_graph *g, const nnq_node *n) {
    if (!is_weighted_op(n->op_type) || n->n_inputs < 2 || !n->inputs[1][0]) return NULL;
    const nnq_node *d = producer_of(g, n->inputs[1]);
    if (!d || strcmp(d->op_type, "DequantizeLinear") != 0 || d->n_inputs < 2) return NULL;
    const nnq_tensor *q = ptq_init_of(g, d->inputs[0]);
    return q && q->dtype != NNQ_DTYPE_FLOAT32 ? d : NULL;
}

size_t ptq_eval_weight_count(const nnq_graph *gq) {
    size_t n = 0;
    for (size_t i = 0; i < gq->n_nodes; i++) n += weight_dq(gq, &gq->nodes[i]) != NULL;
    return n;
}

/* Stored element i as a number (sub-byte types packed low nibble first). */
static float stored_at(const nnq_tensor *t, size_t i) {
    const uint8_t *b = t->data;
    switch (t->dtype) {
    case NNQ_DTYPE_INT8: return ((const int8_t *)t->data)[i];
    case NNQ_DTYPE_UINT8: return b[i];
    case NNQ_DTYPE_INT16: return ((const int16_t *)t->data)[i];
    case NNQ_DTYPE_UINT16: return ((const uint16_t *)t->data)[i];
    case NNQ_DTYPE_UINT4: return (float)((b[i / 2] >> (4 * (i & 1))) & 15);
    case NNQ_DTYPE_INT4: {
        int v = (b[i / 2] >> (4 * (i & 1))) & 15;
        return (float)(v >= 8 ? v - 16 : v);
    }
    default: return nnq_fp8_to_float(t->dtype, b[i]);
    }
}

static bool storable(nnq_dtype t) {
    return t == NNQ_DTYPE_INT8 || t == NNQ_DTYPE_UINT8 || t == NNQ_DTYPE_INT16 ||
           t == NNQ_DTYPE_UINT16 || t == NNQ_DTYPE_INT4 || t == NNQ_DTYPE_UINT4 || ptq_is_fp8(t);
}

/* The scale layout of a DequantizeLinear over its input: per-tensor, one
 * axis, or blocks along that axis (opset 21 block_size), as the scale dim
 * of every weight dim. */
typedef struct wq_layout {
    const nnq_tensor *q, *scale, *zp;
    int ndim;
    int64_t sdims[NNQ_MAX_DIMS];
    int axis;
    int64_t block;
} wq_layout;

static bool layout_of(const nnq_graph *gq, const nnq_node *d, wq_layout *l) {
    memset(l, 0, sizeof *l);
    l->q = ptq_init_of(gq, d->inputs[0]);
    l->scale = ptq_init_of(gq, d->inputs[1]);
    l->zp = d->n_inputs > 2 && d->inputs[2][0] ? ptq_init_of(gq, d->inputs[2]) : NULL;
    if (!storable(l->q->dtype) || !l->scale || l->scale->dtype != NNQ_DTYPE_FLOAT32 ||
        l->scale->numel == 0 || (l->zp && (l->zp->numel != l->scale->numel ||
                                           l->zp->dtype != l->q->dtype)))
        return false;
    l->ndim = l->q->ndim;
    int64_t ax = ptq_attr_int(d, "axis", 1);
    if (ax < 0) ax += l->ndim;
    l->block = ptq_attr_int(d, "block_size", 0);
    for (int k = 0; k < l->ndim; k++) l->sdims[k] = 1;
    if (l->scale->numel == 1) return true;
    if (ax < 0 || ax >= l->ndim) return false;
    l->axis = (int)ax;
    if (l->block <= 0) {
        l->sdims[ax] = l->q->dims[ax];
        return l->scale->ndim == 1 && l->scale->dims[0] == l->q->dims[ax];
    }
    if (l->scale->ndim != l->ndim) return false;
    for (int k = 0; k < l->ndim; k++) {
        int64_t want = k == l->axis ? (l->q->dims[k] + l->block - 1) / l->block : l->q->dims[k];
        if (l->scale->dims[k] != want) return false;
        l->sdims[k] = want;
    }
    return true;
}

/* Index into the scale of weight element i. */
static size_t scale_index(const wq_layout *l, size_t i) {
    size_t idx = 0, stride = 1;
    for (int k = l->ndim - 1; k >= 0; k--) {
        size_t dim = (size_t)l->q->dims[k], c = i % dim;
        i /= dim;
        if (l->sdims[k] > 1) {
            idx += (k == l->axis && l->block > 0 ? c / (size_t)l->block : c) * stride;
            stride *= (size_t)l->sdims[k];
        }
    }
    return idx;
}

/* Is w beyond what scale s and zero point z can represent in type t?
 * Symmetric integer (signed, z = 0): |w| > hi * s, as the amax convention
 * bounds it; otherwise outside [(lo - z) s, (hi - z) s]. */
static bool clipped(nnq_dtype t, float w, float s, float z) {
    double r = (double)w / (double)s;
    if (ptq_is_fp8(t))
        return fabs(r) > (t == NNQ_DTYPE_FLOAT8E5M2 ? 57344.0 : 448.0) * (1.0 + CLIP_SLACK);
    float lo, hi;
    ptq_int_range(t, &lo, &hi);
    if (z == 0.0f && lo < 0.0f) return fabs(r) > (double)hi * (1.0 + CLIP_SLACK);
    double slack = CLIP_SLACK * (double)(hi - lo);
    return r + (double)z < (double)lo - slack || r + (double)z > (double)hi + slack;
}

static void score_weight(const wq_layout *l, const nnq_tensor *w, nnq_eval_site *site) {
    const float *wf = w->data, *sc = l->scale->data;
    double sig = 0.0, noise = 0.0;
    uint64_t clip = 0;
    for (size_t i = 0; i < w->numel; i++) {
        size_t k = scale_index(l, i);
        float z = l->zp ? stored_at(l->zp, k) : 0.0f;
        /* ONNX DequantizeLinear: (q - z) * s in float32. */
        float dq = (stored_at(l->q, i) - z) * sc[k];
        double e = (double)wf[i] - (double)dq;
        sig += (double)wf[i] * (double)wf[i];
        noise += e * e;
        clip += clipped(l->q->dtype, wf[i], sc[k], z);
    }
    site->sqnr_db = ptq_sqnr_db(sig, noise);
    site->clip_fraction = w->numel ? (double)clip / (double)w->numel : 0.0;
    site->count = w->numel;
    site->matched = true;
}

/* The float weight of node `name`, or NULL when none fits the stored one. */
static const nnq_tensor *float_weight(const nnq_graph *g, const nnq_node *nq, const nnq_tensor *q) {
    const nnq_node *nf = node_named(g, nq->name);
    if (!nf || strcmp(nf->op_type, nq->op_type) != 0 || nf->n_inputs < 2) return NULL;
    const nnq_tensor *w = ptq_init_of(g, nf->inputs[1]);
    if (!w || w->dtype != NNQ_DTYPE_FLOAT32 || w->ndim != q->ndim) return NULL;
    for (int k = 0; k < w->ndim; k++)
        if (w->dims[k] != q->dims[k]) return NULL;
    return w;
}

/* Did the quantizer leave node `name`'s BatchNormalization in place?  The
 * fold pass keeps the Conv / Gemm name and drops the BatchNormalization, so
 * a BatchNormalization of the float model consuming the node's output that
 * the quantized model still has was not folded. */
static bool bn_kept(const nnq_graph *gf, const nnq_graph *gq, const char *name) {
    const nnq_node *n = node_named(gf, name);
    if (!n || n->n_outputs == 0) return false;
    for (size_t i = 0; i < gf->n_nodes; i++) {
        const nnq_node *c = &gf->nodes[i];
        if (strcmp(c->op_type, "BatchNormalization") != 0 || c->n_inputs == 0 ||
            strcmp(c->inputs[0], n->outputs[0]) != 0)
            continue;
        const nnq_node *k = node_named(gq, c->name);
        return k && !strcmp(k->op_type, "BatchNormalization");
    }
    return false;
}

static nnq_status add_site(const nnq_graph *gf, const nnq_graph *folded, const nnq_graph *gq,
                           const nnq_node *n, const nnq_node *d, nnq_eval_site *site) {
    static const char suffix[] = ".weight_quantizer";
    size_t len = strlen(n->name);
    memset(site, 0, sizeof *site);
    site->name = nnq_malloc(len + sizeof suffix);
    if (!site->name) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "eval: out of memory");
    memcpy(site->name, n->name, len);
    memcpy(site->name + len, suffix, sizeof suffix);
    site->kind = NNQ_EVAL_SITE_WEIGHT;
    site->sqnr_db = (double)NAN;
    wq_layout l;
    if (!layout_of(gq, d, &l)) return NNQ_STATUS_OK;
    const nnq_tensor *w = float_weight(bn_kept(gf, gq, n->name) ? gf : folded, n, l.q);
    if (w) score_weight(&l, w, site);
    return NNQ_STATUS_OK;
}

nnq_status ptq_eval_weights(const nnq_graph *gf, const nnq_graph *gq, nnq_eval_report *r) {
    if (ptq_eval_weight_count(gq) == 0) return NNQ_STATUS_OK;
    nnq_graph *folded = NULL;
    /* The quantizer's own steps on its copy (ptq_plan.c): deterministic, so
     * the folded weights are bit-identical to the ones it quantized. */
    nnq_status st = nnq_graph_clone(gf, &folded);
    if (!st) st = nnq_graph_toposort(folded);
    if (!st) st = nnq_graph_fold_batchnorm(folded, NULL);
    for (size_t i = 0; !st && i < gq->n_nodes; i++) {
        const nnq_node *n = &gq->nodes[i], *d = weight_dq(gq, n);
        if (d) st = add_site(gf, folded, gq, n, d, &r->sites[r->n_sites++]);
    }
    nnq_graph_free(folded);
    return st;
}
