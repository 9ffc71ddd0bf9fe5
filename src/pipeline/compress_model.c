/*
 * compress_model.c - nnq_model_compress: pick the weights of a model,
 * compress each with the compress layer and rewrite it as standard ONNX
 * (docs/compress.md, "ONNX form").
 */
#include <math.h>
#include <string.h>

#include "graph/ir.h"
#include "pipeline/compress_model.h"

#define DECODE_TAG "/nnq_decode/"

static nnq_status oom(void) { return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: out of memory"); }

/* ------------------------------------------------------------------------ */
/* Candidate weights                                                         */
/* ------------------------------------------------------------------------ */

static const char *const default_ops[] = {"Conv", "ConvTranspose", "Gemm", "MatMul"};

/* Index of the input of op_type that holds its weight, or -1. */
static int weight_slot(const char *op_type) {
    if (strcmp(op_type, "Gather") == 0) return 0;
    if (strcmp(op_type, "Conv") == 0 || strcmp(op_type, "ConvTranspose") == 0 ||
        strcmp(op_type, "Gemm") == 0 || strcmp(op_type, "MatMul") == 0)
        return 1;
    return -1;
}

static bool op_selected(const nnq_model_compress_options *o, const char *op_type) {
    if (!o->op_types) {
        for (size_t i = 0; i < NNQ_ARRAY_LEN(default_ops); i++)
            if (strcmp(default_ops[i], op_type) == 0) return true;
        return false;
    }
    for (size_t i = 0; i < o->n_op_types; i++)
        if (strcmp(o->op_types[i], op_type) == 0) return true;
    return false;
}

static bool is_graph_input(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_inputs; i++)
        if (strcmp(g->inputs[i].name, name) == 0) return true;
    return false;
}

typedef struct candidate {
    const char *name;    /* initializer name (borrowed from the graph) */
    const char *op_type; /* first consumer */
} candidate;

/* Float initializers read as the weight input of a selected op, in
 * first-use order, each once.  Initializers that are also graph inputs
 * can be overridden at run time, so they are not constants to compress. */
static nnq_status find_candidates(nnq_graph *g, const nnq_model_compress_options *o,
                                  candidate **out, size_t *n_out) {
    candidate *c = nnq_calloc(g->n_inits ? g->n_inits : 1, sizeof *c);
    if (!c) return oom();
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const nnq_node *nd = &g->nodes[i];
        int slot = weight_slot(nd->op_type);
        if (nd->domain[0] || slot < 0 || (size_t)slot >= nd->n_inputs || !op_selected(o, nd->op_type))
            continue;
        ptrdiff_t k = nnq_graph_find_init(g, nd->inputs[slot]);
        if (k < 0 || g->inits[k].tensor->dtype != NNQ_DTYPE_FLOAT32 ||
            is_graph_input(g, nd->inputs[slot]) || nnq_graph_is_output(g, nd->inputs[slot]))
            continue;
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++) seen = strcmp(c[j].name, g->inits[k].name) == 0;
        if (!seen) c[n].name = g->inits[k].name, c[n++].op_type = nd->op_type;
    }
    *out = c, *n_out = n;
    return NNQ_STATUS_OK;
}

/* ------------------------------------------------------------------------ */
/* Building the ONNX form                                                    */
/* ------------------------------------------------------------------------ */

typedef struct builder {
    nnq_graph *g;
    const char *weight; /* name the chain must produce */
    uint64_t onnx_bytes;
} builder;

/* A fresh name "<weight><suffix>" for a value or initializer. */
static nnq_status fresh(builder *b, const char *suffix, char **out) {
    size_t lw = strlen(b->weight), ls = strlen(suffix);
    char *base = nnq_malloc(lw + ls + 1);
    if (!base) return oom();
    memcpy(base, b->weight, lw);
    memcpy(base + lw, suffix, ls + 1);
    nnq_status s = nnq_graph_unique_name(b->g, base, out);
    nnq_free(base);
    return s;
}

/* Add tensor t (ownership taken) as initializer "<weight><suffix>". */
static nnq_status add_init(builder *b, const char *suffix, nnq_tensor *t, char **name) {
    nnq_status s = fresh(b, suffix, name);
    if (s) {
        nnq_tensor_free(t);
        return s;
    }
    b->onnx_bytes += t->nbytes;
    s = nnq_graph_add_init(b->g, *name, t);
    if (s) nnq_free(*name), *name = NULL;
    return s;
}

static nnq_status new_tensor(nnq_dtype dt, int ndim, const int64_t *dims, nnq_tensor **t) {
    return nnq_tensor_create(dt, ndim, dims, t);
}

/* Append op(inputs) -> out with at most one int attribute (name NULL: none).
 * out NULL: a fresh value name is made and returned in *made. */
static nnq_status add_node(builder *b, const char *op, const char *const *ins, size_t n_in,
                           const char *attr, int64_t attr_v, const char *out, char **made) {
    nnq_node n;
    memset(&n, 0, sizeof n);
    char suffix[64];
    snprintf(suffix, sizeof suffix, DECODE_TAG "%s", op);
    nnq_status s = fresh(b, suffix, &n.name);
    char *out_name = NULL;
    if (!s) s = out ? ((out_name = nnq_strdup(out)) ? NNQ_STATUS_OK : oom()) : fresh(b, "/nnq_value", &out_name);
    if (!s && (!(n.op_type = nnq_strdup(op)) || !(n.domain = nnq_strdup("")) ||
               !(n.inputs = nnq_calloc(n_in, sizeof *n.inputs)) ||
               !(n.outputs = nnq_calloc(1, sizeof *n.outputs))))
        s = oom();
    for (size_t i = 0; !s && i < n_in; i++, n.n_inputs++)
        if (!(n.inputs[i] = nnq_strdup(ins[i]))) s = oom();
    if (!s) n.outputs[0] = out_name, n.n_outputs = 1, out_name = NULL;
    if (!s && attr) {
        if (!(n.attrs = nnq_calloc(1, sizeof *n.attrs)) || !(n.attrs[0].name = nnq_strdup(attr)))
            s = oom();
        else
            n.n_attrs = 1, n.attrs[0].type = NNQ_ATTR_INT, n.attrs[0].i = attr_v;
    }
    if (!s && made && !(*made = nnq_strdup(n.outputs[0]))) s = oom();
    nnq_free(out_name);
    if (s) {
        nnq_node_clear(&n);
        return s;
    }
    return nnq_graph_add_node(b->g, &n);
}

/* The stored codes expanded to one per element; pruned elements get `fill`. */
static nnq_status dense_codes(const nnq_compressed_parts *p, bool is_signed, int32_t fill_base,
                              const int32_t *fill_per_group, int32_t **out) {
    uint8_t *u = nnq_malloc(p->nnz ? p->nnz : 1);
    int32_t *d = nnq_malloc((p->numel ? p->numel : 1) * sizeof *d);
    nnq_status s = (!u || !d) ? oom() : NNQ_STATUS_OK;
    if (!s && is_signed)
        s = nnq_unpack_bits_signed(p->codes, p->codes_bytes, p->nnz, p->code_bits, (int8_t *)u);
    else if (!s)
        s = nnq_unpack_bits(p->codes, p->codes_bytes, p->nnz, p->code_bits, u);
    if (!s) {
        size_t per_group = p->numel / p->n_groups, k = 0;
        for (size_t i = 0; i < p->numel; i++) {
            bool stored = !p->mask || (p->mask[i >> 3] >> (7 - (i & 7)) & 1);
            size_t g = i / per_group;
            if (stored) d[i] = is_signed ? (int32_t)(int8_t)u[k++] : (int32_t)u[k++];
            else d[i] = fill_per_group ? fill_per_group[g] : fill_base;
        }
    }
    nnq_free(u);
    if (s) nnq_free(d);
    else *out = d;
    return s;
}

/* Linear: DequantizeLinear(q int8, scale, zero_point[, axis 0]) -> W. */
static nnq_status emit_linear(builder *b, const nnq_compressed_parts *p) {
    int32_t *q = NULL;
    NNQ_TRY(dense_codes(p, true, 0, p->zero_points, &q));
    bool per_axis = p->n_groups > 1;
    int64_t c0 = p->dims[0];
    nnq_tensor *tq = NULL, *ts = NULL, *tz = NULL;
    nnq_status s = new_tensor(NNQ_DTYPE_INT8, p->ndim, p->dims, &tq);
    if (!s) s = new_tensor(NNQ_DTYPE_FLOAT32, per_axis ? 1 : 0, &c0, &ts);
    if (!s) s = new_tensor(NNQ_DTYPE_INT8, per_axis ? 1 : 0, &c0, &tz);
    if (!s) {
        for (size_t i = 0; i < p->numel; i++) ((int8_t *)tq->data)[i] = (int8_t)q[i];
        for (size_t c = 0; c < ts->numel; c++) {
            size_t g = per_axis ? c / p->channels_per_group : 0;
            ((float *)ts->data)[c] = p->scales[g];
            ((int8_t *)tz->data)[c] = (int8_t)p->zero_points[g];
        }
    }
    nnq_free(q);
    char *nq = NULL, *ns = NULL, *nz = NULL;
    if (!s) s = add_init(b, ".quantized", tq, &nq), tq = NULL;
    if (!s) s = add_init(b, ".scale", ts, &ns), ts = NULL;
    if (!s) s = add_init(b, ".zero_point", tz, &nz), tz = NULL;
    if (!s) {
        const char *in[3] = {nq, ns, nz};
        s = add_node(b, "DequantizeLinear", in, 3, per_axis ? "axis" : NULL, 0, b->weight, NULL);
    }
    nnq_tensor_free(tq), nnq_tensor_free(ts), nnq_tensor_free(tz);
    nnq_free(nq), nnq_free(ns), nnq_free(nz);
    return s;
}

/* The tables as an fp32 [G * T'] value, T' = T plus one zero entry when
 * pruned elements need it. */
static nnq_status emit_tables(builder *b, const nnq_compressed_parts *p, size_t tp, char **lut) {
    size_t G = p->n_groups, T = p->table_size;
    int64_t flat = (int64_t)(G * tp), gt[2] = {(int64_t)G, (int64_t)tp};
    nnq_tensor *t = NULL;
    nnq_status s;
    char *raw = NULL;
    if (p->lut_dtype == NNQ_LUT_DTYPE_FP32) {
        NNQ_TRY(new_tensor(NNQ_DTYPE_FLOAT32, 1, &flat, &t));
        for (size_t g = 0; g < G; g++) memcpy((float *)t->data + g * tp, (const float *)p->lut + g * T, T * 4);
        return add_init(b, ".lut", t, lut);
    }
    if (p->lut_dtype == NNQ_LUT_DTYPE_FP16) {
        NNQ_TRY(new_tensor(NNQ_DTYPE_FLOAT16, 1, &flat, &t));
        for (size_t g = 0; g < G; g++)
            memcpy((uint16_t *)t->data + g * tp, (const uint16_t *)p->lut + g * T, T * 2);
        NNQ_TRY(add_init(b, ".lut_fp16", t, &raw));
        const char *in[1] = {raw};
        s = add_node(b, "Cast", in, 1, "to", NNQ_DTYPE_FLOAT32, NULL, lut);
        nnq_free(raw);
        return s;
    }
    /* int8 tables: DequantizeLinear with one scale per table (axis 0). */
    nnq_tensor *ts = NULL, *tshape = NULL;
    int64_t g1 = (int64_t)G, one = 1;
    char *ns = NULL, *nshape = NULL, *deq = NULL;
    NNQ_TRY(new_tensor(NNQ_DTYPE_INT8, 2, gt, &t));
    for (size_t g = 0; g < G; g++) memcpy((int8_t *)t->data + g * tp, (const int8_t *)p->lut + g * T, T);
    s = add_init(b, ".lut_int8", t, &raw);
    if (!s) s = new_tensor(NNQ_DTYPE_FLOAT32, 1, &g1, &ts);
    if (!s) {
        memcpy(ts->data, p->lut_scales, G * sizeof(float));
        s = add_init(b, ".lut_scale", ts, &ns);
    }
    if (!s) s = new_tensor(NNQ_DTYPE_INT64, 1, &one, &tshape);
    if (!s) {
        ((int64_t *)tshape->data)[0] = -1;
        s = add_init(b, ".lut_shape", tshape, &nshape);
    }
    if (!s) {
        const char *in[2] = {raw, ns};
        s = add_node(b, "DequantizeLinear", in, 2, "axis", 0, NULL, &deq);
    }
    if (!s) {
        const char *in[2] = {deq, nshape};
        s = add_node(b, "Reshape", in, 2, NULL, 0, NULL, lut);
    }
    nnq_free(raw), nnq_free(ns), nnq_free(nshape), nnq_free(deq);
    return s;
}

/* Palettization: indices -> Cast int32 (-> Add group offsets) -> Gather on
 * the flattened tables -> Reshape -> W. */
static nnq_status emit_palette(builder *b, const nnq_compressed_parts *p) {
    size_t G = p->n_groups, tp = p->table_size + (p->mask ? 1 : 0), E = p->numel / G;
    int32_t *d = NULL;
    NNQ_TRY(dense_codes(p, false, (int32_t)p->table_size, NULL, &d));
    bool wide = tp > 256; /* 8-bit tables plus the zero entry of pruning */
    int64_t idims[2] = {(int64_t)G, (int64_t)E}, one_g[2] = {(int64_t)G, 1};
    nnq_tensor *ti = NULL, *toff = NULL, *tshape = NULL;
    nnq_status s = new_tensor(wide ? NNQ_DTYPE_UINT16 : NNQ_DTYPE_UINT8, G > 1 ? 2 : 1,
                              G > 1 ? idims : &idims[1], &ti);
    for (size_t i = 0; !s && i < p->numel; i++) {
        if (wide) ((uint16_t *)ti->data)[i] = (uint16_t)d[i];
        else ((uint8_t *)ti->data)[i] = (uint8_t)d[i];
    }
    nnq_free(d);
    char *ni = NULL, *lut = NULL, *cast = NULL, *noff = NULL, *sum = NULL, *gath = NULL,
         *nshape = NULL;
    if (!s) s = add_init(b, ".indices", ti, &ni), ti = NULL;
    if (!s) s = emit_tables(b, p, tp, &lut);
    if (!s) {
        const char *in[1] = {ni};
        s = add_node(b, "Cast", in, 1, "to", NNQ_DTYPE_INT32, NULL, &cast);
    }
    if (!s && G > 1) {
        s = new_tensor(NNQ_DTYPE_INT32, 2, one_g, &toff);
        for (size_t g = 0; !s && g < G; g++) ((int32_t *)toff->data)[g] = (int32_t)(g * tp);
        if (!s) s = add_init(b, ".group_offset", toff, &noff), toff = NULL;
        const char *in[2] = {cast, noff};
        if (!s) s = add_node(b, "Add", in, 2, NULL, 0, NULL, &sum);
    }
    if (!s) {
        const char *in[2] = {lut, sum ? sum : cast};
        s = add_node(b, "Gather", in, 2, "axis", 0, NULL, &gath);
    }
    int64_t nd = p->ndim;
    if (!s) s = new_tensor(NNQ_DTYPE_INT64, 1, &nd, &tshape);
    if (!s) {
        memcpy(tshape->data, p->dims, (size_t)p->ndim * sizeof(int64_t));
        s = add_init(b, ".shape", tshape, &nshape), tshape = NULL;
    }
    if (!s) {
        const char *in[2] = {gath, nshape};
        s = add_node(b, "Reshape", in, 2, NULL, 0, b->weight, NULL);
    }
    nnq_tensor_free(ti), nnq_tensor_free(toff), nnq_tensor_free(tshape);
    nnq_free(ni), nnq_free(lut), nnq_free(cast), nnq_free(noff), nnq_free(sum), nnq_free(gath);
    nnq_free(nshape);
    return s;
}

/* Pruning alone: the dense weight with exact zeros (docs/compress.md says
 * why not a sparse initializer). */
static nnq_status emit_dense(builder *b, const nnq_compressed *c, const nnq_compressed_parts *p) {
    nnq_tensor *t = NULL;
    NNQ_TRY(new_tensor(NNQ_DTYPE_FLOAT32, p->ndim, p->dims, &t));
    nnq_status s = nnq_compressed_decompress(c, t->data, t->numel);
    if (s) {
        nnq_tensor_free(t);
        return s;
    }
    b->onnx_bytes += t->nbytes;
    return nnq_graph_add_init(b->g, b->weight, t);
}

/* ------------------------------------------------------------------------ */
/* One weight                                                                */
/* ------------------------------------------------------------------------ */

static void describe(const nnq_compress_config *c, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    if (c->palette_bits)
        n += (size_t)snprintf(buf, size, "palettize %s %db %s", nnq_palette_mode_name(c->palette_mode),
                              c->palette_bits, nnq_lut_dtype_name(c->lut_dtype));
    else if (c->linear_bits)
        n += (size_t)snprintf(buf, size, "%s %db", nnq_linear_mode_name(c->linear_mode), c->linear_bits);
    if (n < size && (c->palette_bits || c->linear_bits))
        n += (size_t)snprintf(buf + n, size - n, c->group_size ? " g%d" : " per-tensor", c->group_size);
    if (n < size && c->prune_mode != NNQ_PRUNE_MODE_NONE) {
        const char *sep = n ? " + " : "";
        const char *pm = nnq_prune_mode_name(c->prune_mode);
        if (c->prune_mode == NNQ_PRUNE_MODE_THRESHOLD)
            snprintf(buf + n, size - n, "%sprune threshold %g", sep, (double)c->threshold);
        else if (c->prune_mode == NNQ_PRUNE_MODE_N_M)
            snprintf(buf + n, size - n, "%sprune %d:%d", sep, c->n, c->m);
        else
            snprintf(buf + n, size - n, "%sprune %s %g", sep, pm, (double)c->sparsity);
    }
}

static double signal_energy(const nnq_tensor *t) {
    double e = 0;
    const float *w = t->data;
    for (size_t i = 0; i < t->numel; i++) e += (double)w[i] * (double)w[i];
    return e;
}

/* Compress initializer k of g in place of itself; fill r. */
static nnq_status compress_one(nnq_graph *g, size_t k, const char *op_type,
                               const nnq_compress_config *cfg, nnq_pool *pool,
                               nnq_compress_weight_report *r, double *energy, double *sse) {
    nnq_initializer *in = &g->inits[k];
    nnq_tensor *t = in->tensor;
    nnq_compressed *c = NULL;
    NNQ_TRY(nnq_compress_tensor(t->data, t->ndim, t->dims, cfg, pool, &c));
    nnq_compressed_parts p;
    nnq_compress_stats st;
    nnq_compressed_parts_get(c, &p);
    nnq_compressed_stats(c, &st);
    char method[160];
    describe(cfg, method, sizeof method);
    r->name = nnq_strdup(in->name);
    r->op_type = nnq_strdup(op_type);
    r->method = nnq_strdup(method);
    nnq_status s = (!r->name || !r->op_type || !r->method) ? oom() : NNQ_STATUS_OK;
    r->ndim = t->ndim;
    memcpy(r->dims, t->dims, sizeof r->dims);
    r->numel = st.numel;
    r->original_bytes = st.original_bytes;
    r->packed_bytes = st.compressed_bytes;
    r->bits_per_weight = st.bits_per_weight;
    r->sparsity = st.sparsity;
    r->sqnr_db = st.sqnr_db;
    *energy += signal_energy(t);
    *sse += st.sse;
    builder b = {g, r->name, 0};
    /* The weight's initializer goes first: the chain produces its name. */
    if (!s) nnq_graph_remove_init(g, k);
    if (!s && p.palette_bits) s = emit_palette(&b, &p);
    else if (!s && p.linear_bits) s = emit_linear(&b, &p);
    else if (!s) s = emit_dense(&b, c, &p);
    r->onnx_bytes = b.onnx_bytes;
    nnq_compressed_free(c);
    return s;
}

/* Raise the ai.onnx opset to 13 (per-axis DequantizeLinear) if lower. */
static nnq_status need_opset13(nnq_graph *g) {
    for (size_t i = 0; i < g->n_opsets; i++) {
        if (g->opsets[i].domain[0] && strcmp(g->opsets[i].domain, "ai.onnx") != 0) continue;
        if (g->opsets[i].version < 13) g->opsets[i].version = 13;
        if (g->ir_version < 7) g->ir_version = 7;
        return NNQ_STATUS_OK;
    }
    return nnq_error(NNQ_STATUS_INVALID_FORMAT, "compress: the model imports no ai.onnx opset");
}

nnq_status cmodel_clone(const nnq_graph *model, nnq_graph **out) {
    void *buf = NULL;
    size_t len = 0;
    NNQ_TRY(nnq_graph_save_memory(model, &buf, &len));
    nnq_status s = nnq_graph_load_memory(buf, len, NULL, out);
    nnq_free(buf);
    return s;
}

/* ------------------------------------------------------------------------ */
/* The model                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct globs {
    cfg_glob **g;
    size_t n;
} globs;

static void globs_free(globs *gl) {
    for (size_t i = 0; i < gl->n; i++) cfg_glob_free(gl->g[i]);
    nnq_free(gl->g);
}

static nnq_status globs_compile(const char *const *pat, size_t n, const char *what, globs *out) {
    out->g = NULL, out->n = 0;
    if (n == 0) return NNQ_STATUS_OK;
    if (!pat) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress: %s is NULL", what);
    if (!(out->g = nnq_calloc(n, sizeof *out->g))) return oom();
    for (; out->n < n; out->n++) {
        const char *why = NULL;
        if (!pat[out->n]) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress: %s %zu is NULL", what, out->n);
        if (cfg_glob_compile(pat[out->n], &out->g[out->n], &why))
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "compress: %s glob '%s': %s", what, pat[out->n],
                             why ? why : "malformed");
    }
    return NNQ_STATUS_OK;
}

static bool globs_any(const globs *gl, const char *name, bool *hit) {
    for (size_t i = 0; i < gl->n; i++)
        if (cfg_glob_match(gl->g[i], name)) {
            if (hit) hit[i] = true;
            return true;
        }
    return false;
}

void nnq_compress_report_free(nnq_compress_report *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_weights; i++) {
        nnq_free(r->weights[i].name);
        nnq_free(r->weights[i].op_type);
        nnq_free(r->weights[i].method);
    }
    nnq_free(r->weights);
    nnq_eval_report_free(r->eval);
    nnq_free(r);
}

typedef struct run_state {
    nnq_graph *g;
    candidate *cand;
    size_t n_cand;
    globs inc, exc;
    bool *inc_hit;
    nnq_compress_report *rep;
    double energy, sse;
} run_state;

/* Resolve the settings of candidate i; false when it stays float. */
static bool settle(const nnq_model_compress_options *o, run_state *rs, size_t i,
                   nnq_compress_config *cfg) {
    const candidate *c = &rs->cand[i];
    if (rs->inc.n && !globs_any(&rs->inc, c->name, rs->inc_hit)) return false;
    if (globs_any(&rs->exc, c->name, NULL)) return false;
    cspec_settings s;
    cspec_from_config(o->base, o->min_size ? o->min_size : NNQ_COMPRESS_DEFAULT_MIN_SIZE, &s);
    cspec_resolve(o->spec, c->op_type, c->name, &s);
    ptrdiff_t k = nnq_graph_find_init(rs->g, c->name);
    if (s.disable || k < 0 || rs->g->inits[k].tensor->numel < s.min_size) return false;
    cspec_to_config(&s, cfg);
    cfg->name = c->name;
    return true;
}

static nnq_status compress_all(const nnq_model_compress_options *o, run_state *rs) {
    nnq_compress_report *r = rs->rep;
    nnq_compress_config *cfgs = nnq_calloc(rs->n_cand ? rs->n_cand : 1, sizeof *cfgs);
    bool *use = nnq_calloc(rs->n_cand ? rs->n_cand : 1, sizeof *use);
    r->weights = nnq_calloc(rs->n_cand ? rs->n_cand : 1, sizeof *r->weights);
    nnq_status s = (!cfgs || !use || !r->weights) ? oom() : NNQ_STATUS_OK;
    size_t n_use = 0;
    for (size_t i = 0; !s && i < rs->n_cand; i++) {
        use[i] = settle(o, rs, i, &cfgs[i]);
        n_use += use[i];
    }
    for (size_t i = 0; !s && i < rs->inc.n; i++)
        if (!rs->inc_hit[i])
            s = nnq_error(NNQ_STATUS_NOT_FOUND,
                          "compress: include glob '%s' matches no candidate weight (float "
                          "initializers of the selected ops)", o->include[i]);
    r->n_skipped = rs->n_cand - n_use;
    for (size_t i = 0, done = 0; !s && i < rs->n_cand; i++) {
        if (!use[i]) continue;
        /* The name is borrowed from the initializer compress_one removes. */
        char name[256];
        snprintf(name, sizeof name, "%s", rs->cand[i].name);
        ptrdiff_t k = nnq_graph_find_init(rs->g, rs->cand[i].name);
        cfgs[i].name = name;
        s = compress_one(rs->g, (size_t)k, rs->cand[i].op_type, &cfgs[i], o->pool,
                         &r->weights[r->n_weights++], &rs->energy, &rs->sse);
        if (o->progress) o->progress(o->progress_ctx, name, ++done, n_use);
    }
    nnq_free(cfgs);
    nnq_free(use);
    return s;
}

static void totals(run_state *rs) {
    nnq_compress_report *r = rs->rep;
    for (size_t i = 0; i < r->n_weights; i++) {
        r->original_bytes += r->weights[i].original_bytes;
        r->packed_bytes += r->weights[i].packed_bytes;
        r->onnx_bytes += r->weights[i].onnx_bytes;
    }
    r->sqnr_db = rs->sse > 0 ? 10.0 * log10(rs->energy / rs->sse) : (double)INFINITY;
}

static nnq_status serialized_size(const nnq_graph *g, uint64_t *out) {
    void *buf = NULL;
    size_t len = 0;
    NNQ_TRY(nnq_graph_save_memory(g, &buf, &len));
    nnq_free(buf);
    *out = len;
    return NNQ_STATUS_OK;
}

nnq_status nnq_model_compress(const nnq_graph *model, const nnq_model_compress_options *o,
                              nnq_graph **out, nnq_compress_report **report) {
    if (!model || !o || !out || !o->base)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress: %s is NULL",
                         !model ? "model" : !o ? "options" : !out ? "out" : "options->base");
    *out = NULL;
    if (report) *report = NULL;
    if (o->op_types == NULL && o->n_op_types)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress: op_types is NULL");
    run_state rs;
    memset(&rs, 0, sizeof rs);
    nnq_status s = globs_compile(o->include, o->n_include, "include", &rs.inc);
    if (!s) s = globs_compile(o->exclude, o->n_exclude, "exclude", &rs.exc);
    if (!s && !(rs.rep = nnq_calloc(1, sizeof *rs.rep))) s = oom();
    if (!s && rs.inc.n && !(rs.inc_hit = nnq_calloc(rs.inc.n, sizeof *rs.inc_hit))) s = oom();
    if (!s) s = serialized_size(model, &rs.rep->model_bytes_before);
    if (!s) s = cmodel_clone(model, &rs.g);
    if (!s) s = find_candidates(rs.g, o, &rs.cand, &rs.n_cand);
    if (!s) s = compress_all(o, &rs);
    if (!s && rs.rep->n_weights) s = need_opset13(rs.g);
    if (!s) s = nnq_graph_toposort(rs.g);
    if (!s) s = nnq_graph_check(rs.g);
    if (!s) s = serialized_size(rs.g, &rs.rep->model_bytes_after);
    if (!s) totals(&rs);
    globs_free(&rs.inc), globs_free(&rs.exc);
    nnq_free(rs.inc_hit);
    nnq_free(rs.cand);
    if (s) {
        nnq_graph_free(rs.g);
        nnq_compress_report_free(rs.rep);
        return s;
    }
    *out = rs.g;
    if (report) *report = rs.rep;
    else nnq_compress_report_free(rs.rep);
    return NNQ_STATUS_OK;
}
