/*
 * ptq_export.c - the quantized ONNX model: QuantizeLinear ->
 * DequantizeLinear pairs on activations, weights stored quantized behind a
 * DequantizeLinear, opset raised only as far as the formats need.
 */
#include <math.h>
#include <string.h>

#include "pipeline/ptq.h"

/* Name "<base><suffix>" made unique in g; owned by the caller. */
static nnq_status fresh_name(const nnq_graph *g, const char *base, const char *suffix,
                             char **out) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%s", base, suffix);
    return nnq_graph_unique_name(g, buf, out);
}

static nnq_status scale_tensors(const ptq_qparams *q, bool weight, nnq_tensor **scale,
                                nnq_tensor **zp) {
    int ndim = 0;
    int64_t dims[NNQ_MAX_DIMS];
    if (q->block) {
        ndim = q->layout.ndim;
        nnq_qlayout_scale_dims(&q->layout, dims);
    } else if (q->axis >= 0 || (!weight && q->n > 1)) {
        ndim = 1, dims[0] = (int64_t)q->n;
    }
    *scale = *zp = NULL;
    NNQ_TRY(nnq_tensor_create(NNQ_DTYPE_FLOAT32, ndim, dims, scale));
    memcpy((*scale)->data, q->scale, q->n * sizeof(float));
    nnq_status st = nnq_tensor_create(q->qt.dtype, ndim, dims, zp);
    if (st || q->qt.is_float) return st; /* float8 zero point: code 0 (+0.0) */
    if (q->qt.dtype == NNQ_DTYPE_INT4 || q->qt.dtype == NNQ_DTYPE_UINT4) {
        uint8_t *v = nnq_malloc(q->n ? q->n : 1);
        if (!v) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
        for (size_t i = 0; i < q->n; i++) v[i] = (uint8_t)q->zp[i];
        st = nnq_pack_bits(v, q->n, 4, (*zp)->data, (*zp)->nbytes);
        nnq_free(v);
        return st;
    }
    for (size_t i = 0; i < q->n; i++) {
        switch (q->qt.dtype) {
        case NNQ_DTYPE_INT8: ((int8_t *)(*zp)->data)[i] = (int8_t)q->zp[i]; break;
        case NNQ_DTYPE_UINT8: ((uint8_t *)(*zp)->data)[i] = (uint8_t)q->zp[i]; break;
        case NNQ_DTYPE_INT16: ((int16_t *)(*zp)->data)[i] = (int16_t)q->zp[i]; break;
        case NNQ_DTYPE_UINT16: ((uint16_t *)(*zp)->data)[i] = (uint16_t)q->zp[i]; break;
        default: return nnq_error(NNQ_STATUS_INTERNAL, "export: zero point type %s",
                                  nnq_dtype_name(q->qt.dtype));
        }
    }
    return NNQ_STATUS_OK;
}

/* Quantize a float weight exactly as ONNX QuantizeLinear would (x / scale,
 * round half to even, + zero point, saturate). */
static nnq_status quantize_weight(const nnq_tensor *w, const ptq_qparams *q, nnq_pool *pool,
                                  nnq_tensor **out) {
    *out = NULL;
    NNQ_TRY(nnq_tensor_create(q->qt.dtype, w->ndim, w->dims, out));
    nnq_status st;
    if (q->qt.is_float) {
        /* Divide by each element's block scale, then a plain cast. */
        float *tmp = nnq_malloc(w->numel ? w->numel * sizeof(float) : 1);
        if (!tmp) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
        const nnq_qlayout *l = &q->layout;
        int64_t sdims[NNQ_MAX_DIMS], idx[NNQ_MAX_DIMS] = {0};
        nnq_qlayout_scale_dims(l, sdims);
        const float *x = w->data;
        for (size_t i = 0; i < w->numel; i++) {
            size_t si = 0;
            for (int d = 0; d < l->ndim; d++) si = si * (size_t)sdims[d] + (size_t)(idx[d] / l->block[d]);
            tmp[i] = x[i] / q->scale[si];
            for (int d = l->ndim - 1; d >= 0 && ++idx[d] == l->dims[d]; d--) idx[d] = 0;
        }
        nnq_qformat fmt = q->qt.dtype == NNQ_DTYPE_FLOAT8E5M2 ? NNQ_QFORMAT_FP8_E5M2
                                                             : NNQ_QFORMAT_FP8_E4M3FN;
        st = nnq_float_quantize(tmp, w->numel, fmt, 1.0f, (*out)->data, pool);
        nnq_free(tmp);
        return st;
    }
    if (q->qt.dtype == NNQ_DTYPE_INT4 || q->qt.dtype == NNQ_DTYPE_UINT4) {
        uint8_t *v = nnq_malloc(w->numel ? w->numel : 1);
        if (!v) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
        st = nnq_quantize_linear(w->data, &q->layout, q->scale, q->zp, &q->qt.f, v, pool);
        if (!st) st = nnq_pack_bits(v, w->numel, 4, (*out)->data, (*out)->nbytes);
        nnq_free(v);
        return st;
    }
    return nnq_quantize_linear(w->data, &q->layout, q->scale, q->zp, &q->qt.f, (*out)->data,
                               pool);
}

static nnq_status set_int_attr(nnq_node *n, const char *name, int64_t v) {
    nnq_attr *a = nnq_realloc(n->attrs, (n->n_attrs + 1) * sizeof *a);
    if (!a) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
    n->attrs = a;
    memset(&a[n->n_attrs], 0, sizeof *a);
    a[n->n_attrs].name = nnq_strdup(name);
    if (!a[n->n_attrs].name) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
    a[n->n_attrs].type = NNQ_ATTR_INT;
    a[n->n_attrs].i = v;
    n->n_attrs++;
    return NNQ_STATUS_OK;
}

/* Append op_type(in0, in1, in2) -> out named `name`; strings are copied. */
static nnq_status add_qdq_node(nnq_graph *g, const char *op_type, const char *name,
                               const char *in0, const char *in1, const char *in2,
                               const char *out, const ptq_qparams *q) {
    nnq_node n;
    memset(&n, 0, sizeof n);
    n.name = nnq_strdup(name);
    n.op_type = nnq_strdup(op_type);
    n.domain = nnq_strdup("");
    n.inputs = nnq_calloc(3, sizeof *n.inputs);
    n.outputs = nnq_calloc(1, sizeof *n.outputs);
    nnq_status st = NNQ_STATUS_OK;
    if (n.inputs && n.outputs) {
        n.inputs[0] = nnq_strdup(in0), n.inputs[1] = nnq_strdup(in1);
        n.inputs[2] = nnq_strdup(in2), n.outputs[0] = nnq_strdup(out);
        n.n_inputs = 3, n.n_outputs = 1;
    }
    if (!n.name || !n.op_type || !n.domain || !n.inputs || !n.outputs || !n.inputs[0] ||
        !n.inputs[1] || !n.inputs[2] || !n.outputs[0])
        st = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
    if (!st && q->axis >= 0) st = set_int_attr(&n, "axis", q->axis);
    if (!st && q->block) st = set_int_attr(&n, "block_size", q->block);
    if (st) {
        nnq_node_clear(&n);
        return st;
    }
    return nnq_graph_add_node(g, &n);
}

/* Scale and zero-point initializers named after the site. */
static nnq_status add_qparams(nnq_graph *g, const ptq_site *s, const ptq_qparams *q,
                              char **scale_name, char **zp_name) {
    nnq_tensor *ts = NULL, *tz = NULL;
    nnq_status st = scale_tensors(q, s->kind == NNQ_SITE_WEIGHT, &ts, &tz);
    if (!st) st = fresh_name(g, s->name, ".scale", scale_name);
    if (!st) st = fresh_name(g, s->name, ".zero_point", zp_name);
    if (!st) {
        st = nnq_graph_add_init(g, *scale_name, ts);
        ts = NULL;
    }
    if (!st) {
        st = nnq_graph_add_init(g, *zp_name, tz);
        tz = NULL;
    }
    nnq_tensor_free(ts);
    nnq_tensor_free(tz);
    return st;
}

static nnq_status export_weight(nnq_graph *g, const ptq_site *s, const ptq_qparams *q,
                                nnq_pool *pool, size_t ni, const char *sn, const char *zn) {
    ptrdiff_t wi = nnq_graph_find_init(g, s->tensor);
    if (wi < 0) return nnq_error(NNQ_STATUS_INTERNAL, "export: weight '%s' vanished", s->tensor);
    nnq_tensor *wq = NULL;
    char *qname = NULL, *dqname = NULL, *node = NULL;
    nnq_status st = quantize_weight(g->inits[wi].tensor, q, pool, &wq);
    if (!st) st = fresh_name(g, s->tensor, "_quantized", &qname);
    if (!st) {
        st = nnq_graph_add_init(g, qname, wq);
        wq = NULL;
    }
    if (!st) st = fresh_name(g, s->tensor, "_dequantized", &dqname);
    if (!st) st = fresh_name(g, s->name, "/DequantizeLinear", &node);
    if (!st) st = add_qdq_node(g, "DequantizeLinear", node, qname, sn, zn, dqname, q);
    if (!st) {
        char **slot = &g->nodes[ni].inputs[s->input_index];
        nnq_free(*slot);
        *slot = dqname;
        dqname = NULL;
        nnq_graph_invalidate(g);
    }
    nnq_tensor_free(wq);
    nnq_free(qname);
    nnq_free(dqname);
    nnq_free(node);
    return st;
}

/* Q -> DQ on an activation.  Input sites rewire one node input; output
 * sites rename the node's output so every consumer (and a graph output of
 * that name) reads the DequantizeLinear. */
static nnq_status export_activation(nnq_graph *g, const ptq_site *s, const ptq_qparams *q,
                                    size_t ni, const char *sn, const char *zn) {
    char *src = NULL, *qv = NULL, *dqv = NULL, *qn = NULL, *dqn = NULL;
    nnq_status st;
    if (s->kind == NNQ_SITE_OUTPUT) {
        st = fresh_name(g, s->tensor, "_float", &src);
        if (!st) dqv = nnq_strdup(s->tensor);
        if (!st && !dqv) st = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
    } else {
        src = nnq_strdup(s->tensor);
        st = src ? fresh_name(g, s->name, ".dq", &dqv)
                 : nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
    }
    if (!st) st = fresh_name(g, s->name, ".q", &qv);
    if (!st) st = fresh_name(g, s->name, "/QuantizeLinear", &qn);
    if (!st) st = fresh_name(g, s->name, "/DequantizeLinear", &dqn);
    if (!st) {
        /* The node list grows below: rewire through the index first. */
        nnq_node *n = &g->nodes[ni];
        char **slot = s->kind == NNQ_SITE_OUTPUT ? &n->outputs[0] : &n->inputs[s->input_index];
        char *copy = nnq_strdup(s->kind == NNQ_SITE_OUTPUT ? src : dqv);
        if (!copy) st = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "export: out of memory");
        else {
            nnq_free(*slot);
            *slot = copy;
            nnq_graph_invalidate(g);
        }
    }
    if (!st) st = add_qdq_node(g, "QuantizeLinear", qn, src, sn, zn, qv, q);
    if (!st) st = add_qdq_node(g, "DequantizeLinear", dqn, qv, sn, zn, dqv, q);
    nnq_free(src);
    nnq_free(qv);
    nnq_free(dqv);
    nnq_free(qn);
    nnq_free(dqn);
    return st;
}

static nnq_status export_site(nnq_ptq *p, nnq_graph *g, const ptq_site *s, int *opset) {
    ptrdiff_t ni = nnq_graph_find_node(g, s->node_name);
    if (ni < 0) return nnq_error(NNQ_STATUS_INTERNAL, "export: node '%s' vanished", s->node_name);
    ptq_qparams q;
    NNQ_TRY(ptq_site_qparams(p, s, &q));
    if (q.qt.min_opset > *opset) *opset = q.qt.min_opset;
    char *sn = NULL, *zn = NULL;
    nnq_status st = add_qparams(g, s, &q, &sn, &zn);
    if (!st && s->kind == NNQ_SITE_WEIGHT)
        st = export_weight(g, s, &q, p->opt.pool, (size_t)ni, sn, zn);
    else if (!st)
        st = export_activation(g, s, &q, (size_t)ni, sn, zn);
    nnq_free(sn);
    nnq_free(zn);
    ptq_qparams_clear(&q);
    return st;
}

/* Raise the ai.onnx opset (and the IR version it needs) to at least `want`. */
static nnq_status raise_opset(nnq_graph *g, int want) {
    for (size_t i = 0; i < g->n_opsets; i++) {
        if (g->opsets[i].domain[0] && strcmp(g->opsets[i].domain, "ai.onnx") != 0) continue;
        if (g->opsets[i].version < want) g->opsets[i].version = want;
        int64_t v = g->opsets[i].version;
        int64_t ir = v >= 21 ? 10 : v >= 19 ? 9 : v >= 15 ? 8 : 7;
        if (g->ir_version < ir) g->ir_version = ir;
        return NNQ_STATUS_OK;
    }
    return nnq_error(NNQ_STATUS_INVALID_FORMAT, "export: the model imports no ai.onnx opset");
}

nnq_status nnq_ptq_build(nnq_ptq *p, nnq_graph **out) {
    if (!p || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "quantize: NULL argument");
    *out = NULL;
    NNQ_TRY(ptq_compute_ranges(p, true));
    nnq_graph *g = NULL;
    NNQ_TRY(nnq_graph_clone(p->g, &g));
    int opset = 0;
    nnq_status st = NNQ_STATUS_OK;
    for (size_t i = 0; !st && i < p->n_sites; i++)
        if (p->sites[i].enabled) st = export_site(p, g, &p->sites[i], &opset);
    if (!st && opset) st = raise_opset(g, opset);
    if (!st) st = nnq_graph_toposort(g);
    if (!st) st = nnq_graph_prune_values(g);
    if (!st) st = nnq_graph_check(g);
    if (st) {
        nnq_graph_free(g);
        return st;
    }
    *out = g;
    return NNQ_STATUS_OK;
}
