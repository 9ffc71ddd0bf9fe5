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
    int in_axis;         /* the weight's input (reduction) axis for that consumer */
} candidate;

static int64_t int_attr(const nnq_node *nd, const char *name, int64_t dflt) {
    for (size_t i = 0; i < nd->n_attrs; i++)
        if (nd->attrs[i].type == NNQ_ATTR_INT && strcmp(nd->attrs[i].name, name) == 0)
            return nd->attrs[i].i;
    return dflt;
}

/* The axis a consumer reduces the weight over, the one per-block
 * quantization blocks (coremltools blocks the input channels). */
static int input_axis(const nnq_node *nd, int ndim) {
    if (strcmp(nd->op_type, "Conv") == 0) return ndim > 1 ? 1 : 0;
    if (strcmp(nd->op_type, "Gemm") == 0) return int_attr(nd, "transB", 0) && ndim > 1 ? 1 : 0;
    if (strcmp(nd->op_type, "MatMul") == 0) return ndim > 1 ? ndim - 2 : 0;
    if (strcmp(nd->op_type, "Gather") == 0) return ndim - 1;
    return 0; /* ConvTranspose: [C_in, C_out / group, k...] */
}

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
        if (!seen) {
            c[n].name = g->inits[k].name, c[n].op_type = nd->op_type;
            c[n++].in_axis = input_axis(nd, g->inits[k].tensor->ndim);
        }
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
    bool four_ok; /* opset-21 forms allowed (INT4 / UINT4, blocked DequantizeLinear) */
    bool used21;  /* one was written */
    const char *why_not21; /* when !four_ok */
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

/* Append op(inputs) -> out with n_attrs int attributes.  out NULL: a fresh
 * value name is made and returned in *made. */
static nnq_status add_node_attrs(builder *b, const char *op, const char *const *ins, size_t n_in,
                                 const char *const *attr, const int64_t *attr_v, size_t n_attrs,
                                 const char *out, char **made) {
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
    if (!s && n_attrs && !(n.attrs = nnq_calloc(n_attrs, sizeof *n.attrs))) s = oom();
    for (size_t i = 0; !s && i < n_attrs; i++, n.n_attrs++) {
        if (!(n.attrs[i].name = nnq_strdup(attr[i]))) s = oom();
        n.attrs[i].type = NNQ_ATTR_INT, n.attrs[i].i = attr_v[i];
    }
    if (!s && made && !(*made = nnq_strdup(n.outputs[0]))) s = oom();
    nnq_free(out_name);
    if (s) {
        nnq_node_clear(&n);
        return s;
    }
    return nnq_graph_add_node(b->g, &n);
}

/* add_node_attrs with at most one attribute (attr NULL: none). */
static nnq_status add_node(builder *b, const char *op, const char *const *ins, size_t n_in,
                           const char *attr, int64_t attr_v, const char *out, char **made) {
    const char *names[1] = {attr};
    return add_node_attrs(b, op, ins, n_in, names, &attr_v, attr ? 1 : 0, out, made);
}

/* An INT8 / UINT8 / INT4 / UINT4 tensor holding v (in range for the type);
 * 4-bit types packed two per byte, first element in the low nibble. */
static nnq_status int_tensor(nnq_dtype dt, int ndim, const int64_t *dims, const int32_t *v,
                             nnq_tensor **out) {
    NNQ_TRY(new_tensor(dt, ndim, dims, out));
    nnq_tensor *t = *out;
    if (dt == NNQ_DTYPE_INT8 || dt == NNQ_DTYPE_UINT8) {
        for (size_t i = 0; i < t->numel; i++) ((uint8_t *)t->data)[i] = (uint8_t)v[i];
        return NNQ_STATUS_OK;
    }
    uint8_t *d = t->data; /* zeroed by nnq_tensor_create */
    for (size_t i = 0; i < t->numel; i++) d[i >> 1] |= (uint8_t)(((uint32_t)v[i] & 0xFu) << (4 * (i & 1)));
    return NNQ_STATUS_OK;
}

/* Storage type of linear codes of `bits` bits. */
static nnq_dtype code_dtype(builder *b, int bits, bool is_unsigned) {
    bool four = bits <= 4 && b->four_ok;
    b->used21 |= four;
    return four ? (is_unsigned ? NNQ_DTYPE_UINT4 : NNQ_DTYPE_INT4)
                : (is_unsigned ? NNQ_DTYPE_UINT8 : NNQ_DTYPE_INT8);
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
    size_t n_zp = per_axis ? (size_t)c0 : 1;
    nnq_dtype dt = code_dtype(b, p->code_bits, false);
    nnq_tensor *tq = NULL, *ts = NULL, *tz = NULL;
    int32_t *zp = nnq_malloc(n_zp * sizeof *zp);
    nnq_status s = zp ? int_tensor(dt, p->ndim, p->dims, q, &tq) : oom();
    if (!s) s = new_tensor(NNQ_DTYPE_FLOAT32, per_axis ? 1 : 0, &c0, &ts);
    if (!s) {
        for (size_t c = 0; c < n_zp; c++) {
            size_t g = per_axis ? c / p->channels_per_group : 0;
            ((float *)ts->data)[c] = p->scales[g];
            zp[c] = p->zero_points[g];
        }
        s = int_tensor(dt, per_axis ? 1 : 0, &c0, zp, &tz);
    }
    nnq_free(q);
    nnq_free(zp);
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

/* UINT4 indices as int32: DequantizeLinear (scale 1) then Cast, because
 * nnq's executor has no Cast from 4-bit types yet (ONNX Runtime has). */
static nnq_status emit_uint4_index(builder *b, const char *ni, char **cast) {
    nnq_tensor *t1 = NULL;
    char *n1 = NULL, *deq = NULL;
    int64_t unused = 1;
    NNQ_TRY(new_tensor(NNQ_DTYPE_FLOAT32, 0, &unused, &t1));
    ((float *)t1->data)[0] = 1.0f;
    nnq_status s = add_init(b, ".index_scale", t1, &n1);
    if (!s) {
        const char *in[2] = {ni, n1};
        s = add_node(b, "DequantizeLinear", in, 2, NULL, 0, NULL, &deq);
    }
    if (!s) {
        const char *in[1] = {deq};
        s = add_node(b, "Cast", in, 1, "to", NNQ_DTYPE_INT32, NULL, cast);
    }
    nnq_free(n1), nnq_free(deq);
    return s;
}

/* Palettization: indices -> Cast int32 (-> Add group offsets) -> Gather on
 * the flattened tables -> Reshape -> W.  Tables of <= 16 entries store
 * UINT4 indices when opset 21 is allowed. */
static nnq_status emit_palette(builder *b, const nnq_compressed_parts *p) {
    size_t G = p->n_groups, tp = p->table_size + (p->mask ? 1 : 0), E = p->numel / G;
    int32_t *d = NULL;
    NNQ_TRY(dense_codes(p, false, (int32_t)p->table_size, NULL, &d));
    bool wide = tp > 256; /* 8-bit tables plus the zero entry of pruning */
    bool four = tp <= 16 && b->four_ok;
    b->used21 |= four;
    int64_t idims[2] = {(int64_t)G, (int64_t)E}, one_g[2] = {(int64_t)G, 1};
    nnq_tensor *ti = NULL, *toff = NULL, *tshape = NULL;
    int ind = G > 1 ? 2 : 1;
    const int64_t *idp = G > 1 ? idims : &idims[1];
    nnq_status s;
    if (wide) {
        s = new_tensor(NNQ_DTYPE_UINT16, ind, idp, &ti);
        for (size_t i = 0; !s && i < p->numel; i++) ((uint16_t *)ti->data)[i] = (uint16_t)d[i];
    } else {
        s = int_tensor(four ? NNQ_DTYPE_UINT4 : NNQ_DTYPE_UINT8, ind, idp, d, &ti);
    }
    nnq_free(d);
    char *ni = NULL, *lut = NULL, *cast = NULL, *noff = NULL, *sum = NULL, *gath = NULL,
         *nshape = NULL;
    if (!s) s = add_init(b, ".indices", ti, &ni), ti = NULL;
    if (!s) s = emit_tables(b, p, tp, &lut);
    if (!s && four) s = emit_uint4_index(b, ni, &cast);
    else if (!s) {
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

/* Pruning alone, when nothing else makes it smaller: the dense weight with
 * exact zeros. */
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

/* Bytes of the sparse form's tensors: mask, values with the leading zero,
 * and about 100 bytes of small shape / shift / axis constants. */
static uint64_t sparse_bytes(const nnq_compressed_parts *p) {
    return (uint64_t)p->mask_bytes + 4u * ((uint64_t)p->nnz + 1u) + 100u;
}

/* A 1-D (ndim 1) or scalar (ndim 0) constant initializer of n values. */
static nnq_status add_const(builder *b, const char *suffix, nnq_dtype dt, int ndim,
                            const int64_t *v, size_t n, char **name) {
    int64_t d = (int64_t)n;
    nnq_tensor *t = NULL;
    NNQ_TRY(new_tensor(dt, ndim, &d, &t));
    for (size_t i = 0; i < n; i++) {
        if (dt == NNQ_DTYPE_UINT8) ((uint8_t *)t->data)[i] = (uint8_t)v[i];
        else ((int64_t *)t->data)[i] = v[i];
    }
    return add_init(b, suffix, t, name);
}

/* BitShift's direction is a string attribute, which add_node does not
 * write: set it on the node just appended. */
static nnq_status add_shift_right(builder *b, const char *const *ins, char **made) {
    NNQ_TRY(add_node(b, "BitShift", ins, 2, NULL, 0, NULL, made));
    nnq_node *nd = &b->g->nodes[b->g->n_nodes - 1];
    if (!(nd->attrs = nnq_calloc(1, sizeof *nd->attrs))) return oom();
    nd->n_attrs = 1;
    nd->attrs[0].type = NNQ_ATTR_STRING;
    nd->attrs[0].s_len = 5;
    if (!(nd->attrs[0].name = nnq_strdup("direction")) || !(nd->attrs[0].s = nnq_strdup("RIGHT")))
        return oom();
    return NNQ_STATUS_OK;
}

/* The mask's bits as int32 0 / 1, one per element:
 * mask [B] -> Unsqueeze [B,1] -> BitShift RIGHT by [7..0] -> Mod 2 ->
 * Reshape [B*8] (-> Slice [:numel]) -> Cast int32. */
static nnq_status emit_mask_bits(builder *b, const nnq_compressed_parts *p, char **bits) {
    static const int64_t shifts[8] = {7, 6, 5, 4, 3, 2, 1, 0}, one[1] = {1}, two[1] = {2};
    int64_t all = (int64_t)p->mask_bytes * 8, numel = (int64_t)p->numel, zero[1] = {0};
    char *v[12] = {0};
    nnq_tensor *tm = NULL;
    nnq_status s = new_tensor(NNQ_DTYPE_UINT8, 1, &(int64_t){(int64_t)p->mask_bytes}, &tm);
    if (!s) memcpy(tm->data, p->mask, p->mask_bytes), s = add_init(b, ".mask", tm, &v[0]);
    if (!s) s = add_const(b, ".unsqueeze_axes", NNQ_DTYPE_INT64, 1, one, 1, &v[1]);
    if (!s) s = add_node(b, "Unsqueeze", (const char *const[]){v[0], v[1]}, 2, NULL, 0, NULL, &v[2]);
    if (!s) s = add_const(b, ".shifts", NNQ_DTYPE_UINT8, 1, shifts, 8, &v[3]);
    if (!s) s = add_shift_right(b, (const char *const[]){v[2], v[3]}, &v[4]);
    if (!s) s = add_const(b, ".two", NNQ_DTYPE_UINT8, 0, two, 1, &v[5]);
    if (!s) s = add_node(b, "Mod", (const char *const[]){v[4], v[5]}, 2, NULL, 0, NULL, &v[6]);
    if (!s) s = add_const(b, ".bits_shape", NNQ_DTYPE_INT64, 1, &all, 1, &v[7]);
    if (!s) s = add_node(b, "Reshape", (const char *const[]){v[6], v[7]}, 2, NULL, 0, NULL, &v[8]);
    const char *flat = v[8];
    if (!s && numel != all) {
        s = add_const(b, ".slice_start", NNQ_DTYPE_INT64, 1, zero, 1, &v[9]);
        if (!s) s = add_const(b, ".slice_end", NNQ_DTYPE_INT64, 1, &numel, 1, &v[10]);
        if (!s) s = add_node(b, "Slice", (const char *const[]){v[8], v[9], v[10]}, 3, NULL, 0, NULL, &v[11]);
        flat = v[11];
    }
    if (!s) s = add_node(b, "Cast", (const char *const[]){flat}, 1, "to", NNQ_DTYPE_INT32, NULL, bits);
    for (size_t i = 0; i < NNQ_ARRAY_LEN(v); i++) nnq_free(v[i]);
    return s;
}

/* Pruning alone as mask + values (docs/compress.md): element i is
 * values[k] when it is the k-th (from 1) stored element, else values[0] = 0:
 * idx = CumSum(bits) * bits, W = Reshape(Gather(values, idx), shape). */
static nnq_status emit_sparse(builder *b, const nnq_compressed_parts *p) {
    static const int64_t zero[1] = {0};
    char *v[8] = {0};
    nnq_tensor *tv = NULL;
    int64_t nv = (int64_t)p->nnz + 1, nd = p->ndim;
    nnq_status s = emit_mask_bits(b, p, &v[0]);
    if (!s) s = new_tensor(NNQ_DTYPE_FLOAT32, 1, &nv, &tv);
    if (!s) {
        if (p->nnz) memcpy((float *)tv->data + 1, p->values, p->nnz * sizeof(float));
        s = add_init(b, ".values", tv, &v[1]);
    }
    if (!s) s = add_const(b, ".cumsum_axis", NNQ_DTYPE_INT64, 0, zero, 1, &v[2]);
    if (!s) s = add_node(b, "CumSum", (const char *const[]){v[0], v[2]}, 2, NULL, 0, NULL, &v[3]);
    if (!s) s = add_node(b, "Mul", (const char *const[]){v[3], v[0]}, 2, NULL, 0, NULL, &v[4]);
    if (!s) s = add_node(b, "Gather", (const char *const[]){v[1], v[4]}, 2, "axis", 0, NULL, &v[5]);
    if (!s) s = add_const(b, ".shape", NNQ_DTYPE_INT64, 1, p->dims, (size_t)nd, &v[6]);
    if (!s) s = add_node(b, "Reshape", (const char *const[]){v[5], v[6]}, 2, NULL, 0, b->weight, NULL);
    for (size_t i = 0; i < NNQ_ARRAY_LEN(v); i++) nnq_free(v[i]);
    return s;
}

/* Pruning alone: the sparse form when it is smaller than the dense one and
 * its int32 running count cannot overflow. */
static nnq_status emit_pruned(builder *b, const nnq_compressed *c, const nnq_compressed_parts *p) {
    if (p->mask && p->numel < (size_t)INT32_MAX && sparse_bytes(p) < 4u * (uint64_t)p->numel)
        return emit_sparse(b, p);
    return emit_dense(b, c, p);
}

/* ------------------------------------------------------------------------ */
/* One weight                                                                */
/* ------------------------------------------------------------------------ */

/* What one weight gets: the tensor-level config plus the model-level
 * linear settings the compress layer does not have. */
typedef struct wplan {
    nnq_compress_config cfg;
    bool per_block;   /* linear blocks of cfg.block_size along in_axis */
    bool is_unsigned; /* linear codes unsigned */
    int in_axis;
} wplan;

static void describe(const wplan *w, char *buf, size_t size) {
    const nnq_compress_config *c = &w->cfg;
    size_t n = 0;
    buf[0] = '\0';
    if (c->palette_bits)
        n += (size_t)snprintf(buf, size, "palettize %s %db %s", nnq_palette_mode_name(c->palette_mode),
                              c->palette_bits, nnq_lut_dtype_name(c->lut_dtype));
    else if (c->linear_bits)
        n += (size_t)snprintf(buf, size, "%s %db%s", nnq_linear_mode_name(c->linear_mode),
                              c->linear_bits, w->is_unsigned ? " uint" : "");
    if (n < size && c->linear_bits && w->per_block)
        n += (size_t)snprintf(buf + n, size - n, " block %d axis %d", c->block_size, w->in_axis);
    else if (n < size && (c->palette_bits || c->linear_bits))
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

/* The report entry's identity: names, method and shape. */
static nnq_status report_head(nnq_compress_weight_report *r, const nnq_initializer *in,
                              const char *op_type, const wplan *w) {
    char method[160];
    describe(w, method, sizeof method);
    r->name = nnq_strdup(in->name);
    r->op_type = nnq_strdup(op_type);
    r->method = nnq_strdup(method);
    r->ndim = in->tensor->ndim;
    memcpy(r->dims, in->tensor->dims, sizeof r->dims);
    return (!r->name || !r->op_type || !r->method) ? oom() : NNQ_STATUS_OK;
}

/* Through the compress layer: palettization, per-tensor / channel-group
 * signed linear quantization, pruning. */
static nnq_status compress_layer_one(builder *b, size_t k, const wplan *w, nnq_pool *pool,
                                     nnq_compress_weight_report *r, double *sse) {
    nnq_tensor *t = b->g->inits[k].tensor;
    nnq_compressed *c = NULL;
    NNQ_TRY(nnq_compress_tensor(t->data, t->ndim, t->dims, &w->cfg, pool, &c));
    nnq_compressed_parts p;
    nnq_compress_stats st;
    nnq_compressed_parts_get(c, &p);
    nnq_compressed_stats(c, &st);
    r->numel = st.numel;
    r->original_bytes = st.original_bytes;
    r->packed_bytes = st.compressed_bytes;
    r->bits_per_weight = st.bits_per_weight;
    r->sparsity = st.sparsity;
    r->sqnr_db = st.sqnr_db;
    *sse += st.sse;
    /* The weight's initializer goes first: the chain produces its name. */
    nnq_graph_remove_init(b->g, k);
    nnq_status s;
    if (p.palette_bits) s = emit_palette(b, &p);
    else if (p.linear_bits) s = emit_linear(b, &p);
    else s = emit_pruned(b, c, &p);
    nnq_compressed_free(c);
    return s;
}

/* ---- linear quantization through the quant layer (per-block, unsigned) -- */

static nnq_status qlinear_check(const builder *b, const nnq_tensor *t, const wplan *w) {
    const char *name = b->weight;
    int bits = w->cfg.linear_bits;
    if (bits < 2 || bits > 8)
        return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE,
                         "compress: tensor '%s': linear bits %d outside [2, 8]", name, bits);
    if (w->cfg.prune_mode == NNQ_PRUNE_MODE_NONE)
        for (size_t i = 0; i < t->numel; i++)
            if (!isfinite(((const float *)t->data)[i]))
                return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                                 "compress: tensor '%s' element %zu is %g, not finite", name, i,
                                 (double)((const float *)t->data)[i]);
    if (!w->per_block) return NNQ_STATUS_OK;
    if (w->cfg.prune_mode == NNQ_PRUNE_MODE_BLOCK)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "compress: tensor '%s': block pruning and per-block quantization both "
                         "take block_size; use one of them per run", name);
    if (!b->four_ok)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "compress: tensor '%s': per-block quantization needs a blocked "
                         "DequantizeLinear (opset 21), but %s", name, b->why_not21);
    int64_t d = t->dims[w->in_axis], bs = w->cfg.block_size;
    if (d % bs != 0)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH,
                         "compress: tensor '%s' axis %d has %lld elements, not a multiple of "
                         "block_size %lld", name, w->in_axis, (long long)d, (long long)bs);
    return NNQ_STATUS_OK;
}

/* Which elements share a scale: blocks along the input axis, groups of
 * output channels, or the whole tensor. */
static nnq_status qlinear_layout(const builder *b, const nnq_tensor *t, const wplan *w,
                                 nnq_qlayout *l) {
    if (w->per_block) return nnq_qlayout_per_block(t->ndim, t->dims, w->in_axis, w->cfg.block_size, l);
    if (w->cfg.group_size == 0) return nnq_qlayout_per_tensor(t->ndim, t->dims, l);
    if (t->dims[0] % w->cfg.group_size != 0)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH,
                         "compress: tensor '%s' has %lld output channels, not a multiple of "
                         "group_size %d", b->weight, (long long)t->dims[0], w->cfg.group_size);
    int64_t blk[NNQ_MAX_DIMS] = {0};
    blk[0] = w->cfg.group_size;
    return nnq_qlayout_blocks(t->ndim, t->dims, blk, l);
}

/* The weight after pruning (a copy), or NULL when nothing is pruned. */
static nnq_status qlinear_prune(const nnq_tensor *t, const wplan *w, nnq_pool *pool, float **out,
                                double *sparsity) {
    *out = NULL, *sparsity = 0;
    if (w->cfg.prune_mode == NNQ_PRUNE_MODE_NONE) return NNQ_STATUS_OK;
    nnq_compress_config pc = w->cfg;
    pc.linear_bits = pc.palette_bits = 0, pc.group_size = 0;
    nnq_compressed *c = NULL;
    NNQ_TRY(nnq_compress_tensor(t->data, t->ndim, t->dims, &pc, pool, &c));
    nnq_compress_stats st;
    nnq_compressed_stats(c, &st);
    *sparsity = st.sparsity;
    float *d = nnq_malloc(t->nbytes);
    nnq_status s = d ? nnq_compressed_decompress(c, d, t->numel) : oom();
    nnq_compressed_free(c);
    if (s) nnq_free(d);
    else *out = d;
    return s;
}

/* Scales and zero points per layout block under the coremltools rule. */
static nnq_status qlinear_params(const float *x, const nnq_qlayout *l, const nnq_int_format *f,
                                 nnq_qparam_rule rule, nnq_pool *pool, float *scale, int32_t *zp) {
    size_t ns = nnq_qlayout_nscales(l);
    float *mn = nnq_malloc(ns * 2 * sizeof *mn);
    if (!mn) return oom();
    nnq_status s = nnq_quant_minmax(x, l, mn, mn + ns, pool);
    for (size_t i = 0; !s && i < ns; i++)
        s = nnq_qparams_from_range(mn[i], mn[ns + i], rule, f, &scale[i], &zp[i]);
    nnq_free(mn);
    return s;
}

/* The codes in their ONNX storage type dt: the quant layer packs 4- and
 * 8-bit codes in one pass; other widths go through one byte each. */
static nnq_status qlinear_codes(const float *x, const nnq_qlayout *l, const float *scale,
                                const int32_t *zp, const nnq_int_format *f, nnq_tensor *tq,
                                nnq_pool *pool) {
    int store_bits = (int)nnq_dtype_bits(tq->dtype);
    if (f->bits == store_bits)
        return nnq_quantize_linear_packed(x, l, scale, zp, f, tq->data, tq->nbytes, pool);
    uint8_t *q = nnq_malloc(tq->numel ? tq->numel : 1);
    if (!q) return oom();
    nnq_status s = nnq_quantize_linear(x, l, scale, zp, f, q, pool);
    if (!s && store_bits == 4) s = nnq_pack_bits(q, tq->numel, 4, tq->data, tq->nbytes);
    else if (!s) memcpy(tq->data, q, tq->numel);
    nnq_free(q);
    return s;
}

typedef struct qparts {
    nnq_qlayout l;
    nnq_int_format f;
    float *scale;
    int32_t *zp;
    size_t ns;
} qparts;

/* Scale / zero-point initializers in the DequantizeLinear form of the
 * layout: blocked (scale shape = layout scale dims), per channel (groups
 * repeated), or scalars.  Zero points are left out when all are 0. */
static nnq_status qlinear_emit(builder *b, const wplan *w, const qparts *q, nnq_tensor *tq) {
    int sdim = w->per_block ? q->l.ndim : w->cfg.group_size ? 1 : 0;
    int64_t sdims[NNQ_MAX_DIMS] = {q->l.dims[0]};
    if (w->per_block) nnq_qlayout_scale_dims(&q->l, sdims);
    size_t per = w->per_block || !w->cfg.group_size ? 1 : (size_t)w->cfg.group_size;
    size_t n = q->ns * per;
    bool need_zp = false;
    for (size_t i = 0; i < q->ns; i++) need_zp |= q->zp[i] != 0;
    nnq_tensor *ts = NULL, *tz = NULL;
    int32_t *zx = nnq_malloc(n * sizeof *zx);
    nnq_status s = zx ? new_tensor(NNQ_DTYPE_FLOAT32, sdim, sdims, &ts) : oom();
    for (size_t i = 0; !s && i < n; i++) ((float *)ts->data)[i] = q->scale[i / per], zx[i] = q->zp[i / per];
    if (!s && need_zp) s = int_tensor(tq->dtype, sdim, sdims, zx, &tz);
    nnq_free(zx);
    char *nq = NULL, *ns = NULL, *nz = NULL;
    s = s ? (nnq_tensor_free(tq), s) : add_init(b, ".quantized", tq, &nq);
    if (!s) s = add_init(b, ".scale", ts, &ns), ts = NULL;
    if (!s && tz) s = add_init(b, ".zero_point", tz, &nz), tz = NULL;
    if (!s) {
        const char *in[3] = {nq, ns, nz};
        const char *an[2] = {"axis", "block_size"};
        int64_t av[2] = {w->per_block ? w->in_axis : 0, w->cfg.block_size};
        size_t na = w->per_block ? 2 : sdim ? 1 : 0;
        s = add_node_attrs(b, "DequantizeLinear", in, nz ? 3 : 2, an, av, na, b->weight, NULL);
    }
    nnq_tensor_free(ts), nnq_tensor_free(tz);
    nnq_free(nq), nnq_free(ns), nnq_free(nz);
    return s;
}

/* Figures of the quant-layer path: the decoded weight's error against the
 * original, packed size = codes + fp32 scales + zero points (if stored). */
static nnq_status qlinear_report(const nnq_tensor *t, const float *x, const qparts *q,
                                 nnq_pool *pool, nnq_compress_weight_report *r, double *sse) {
    float *y = nnq_malloc(t->nbytes);
    if (!y) return oom();
    nnq_status s = nnq_fake_quant_linear(x, &q->l, q->scale, q->zp, &q->f, y, pool);
    double e = 0, sig = 0;
    const float *w0 = t->data;
    for (size_t i = 0; !s && i < t->numel; i++) {
        double d = (double)w0[i] - (double)y[i];
        e += d * d, sig += (double)w0[i] * (double)w0[i];
    }
    nnq_free(y);
    bool zp = false;
    for (size_t i = 0; i < q->ns; i++) zp |= q->zp[i] != 0;
    size_t codes = 0, zbytes = 0;
    nnq_packed_size(t->numel, q->f.bits, &codes);
    if (zp) nnq_packed_size(q->ns, q->f.bits, &zbytes);
    r->numel = t->numel;
    r->original_bytes = (uint64_t)t->numel * 4;
    r->packed_bytes = codes + q->ns * sizeof(float) + zbytes;
    r->bits_per_weight = (double)r->packed_bytes * 8.0 / (double)t->numel;
    r->sqnr_db = e > 0 ? 10.0 * log10(sig / e) : (double)INFINITY;
    *sse += e;
    return s;
}

static nnq_status qlinear_one(builder *b, size_t k, const wplan *w, nnq_pool *pool,
                              nnq_compress_weight_report *r, double *sse) {
    const nnq_tensor *t = b->g->inits[k].tensor;
    qparts q;
    memset(&q, 0, sizeof q);
    q.f.bits = w->cfg.linear_bits, q.f.is_unsigned = w->is_unsigned;
    q.f.narrow_range = w->cfg.linear_mode == NNQ_LINEAR_MODE_SYMMETRIC;
    nnq_qparam_rule rule = q.f.narrow_range ? NNQ_QPARAM_COREML_LINEAR_SYMMETRIC : NNQ_QPARAM_COREML_LINEAR;
    float *pruned = NULL;
    nnq_tensor *tq = NULL;
    NNQ_TRY(qlinear_check(b, t, w));
    NNQ_TRY(qlinear_layout(b, t, w, &q.l));
    nnq_status s = qlinear_prune(t, w, pool, &pruned, &r->sparsity);
    const float *x = pruned ? pruned : t->data;
    q.ns = nnq_qlayout_nscales(&q.l);
    if (!s && (!(q.scale = nnq_malloc(q.ns * sizeof *q.scale)) || !(q.zp = nnq_malloc(q.ns * sizeof *q.zp))))
        s = oom();
    if (!s) s = qlinear_params(x, &q.l, &q.f, rule, pool, q.scale, q.zp);
    if (!s) s = new_tensor(code_dtype(b, q.f.bits, q.f.is_unsigned), t->ndim, t->dims, &tq);
    if (!s) s = qlinear_codes(x, &q.l, q.scale, q.zp, &q.f, tq, pool);
    if (!s) s = qlinear_report(t, x, &q, pool, r, sse);
    nnq_free(pruned);
    if (!s) {
        b->used21 |= w->per_block;
        nnq_graph_remove_init(b->g, k); /* t is gone from here on */
        s = qlinear_emit(b, w, &q, tq);
    } else {
        nnq_tensor_free(tq);
    }
    nnq_free(q.scale), nnq_free(q.zp);
    return s;
}

/* Compress initializer k of g in place of itself; fill r. */
static nnq_status compress_one(builder *b, size_t k, const char *op_type, const wplan *w,
                               nnq_pool *pool, nnq_compress_weight_report *r, double *energy,
                               double *sse) {
    nnq_initializer *in = &b->g->inits[k];
    NNQ_TRY(report_head(r, in, op_type, w));
    /* The initializer's name dies with it: messages and the chain use r's copy. */
    wplan wl = *w;
    wl.cfg.name = b->weight = r->name;
    w = &wl;
    if (w->per_block && w->cfg.palette_bits)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "compress: tensor '%s': per-block granularity is for linear "
                         "quantization, not palettization (use per_grouped_channel)", r->name);
    *energy += signal_energy(in->tensor);
    b->onnx_bytes = 0;
    nnq_status s = w->cfg.linear_bits && (w->per_block || w->is_unsigned)
                       ? qlinear_one(b, k, w, pool, r, sse)
                       : compress_layer_one(b, k, w, pool, r, sse);
    r->onnx_bytes = b->onnx_bytes;
    return s;
}

/* The ai.onnx opset entry, or NULL. */
static nnq_opset *onnx_opset(nnq_graph *g) {
    for (size_t i = 0; i < g->n_opsets; i++)
        if (!g->opsets[i].domain[0] || strcmp(g->opsets[i].domain, "ai.onnx") == 0)
            return &g->opsets[i];
    return NULL;
}

/* Whether the model's nodes keep their meaning at opset 21: Reduce* moved
 * `axes` from an attribute to an input at 18, GroupNormalization changed
 * its scale / bias shape at 21. */
static bool opset21_safe(const nnq_graph *g, int64_t version) {
    for (size_t i = 0; i < g->n_nodes; i++) {
        const nnq_node *nd = &g->nodes[i];
        if (nd->domain[0] && strcmp(nd->domain, "ai.onnx") != 0) continue;
        if (version < 21 && strcmp(nd->op_type, "GroupNormalization") == 0) return false;
        if (version < 18 && strncmp(nd->op_type, "Reduce", 6) == 0)
            for (size_t j = 0; j < nd->n_attrs; j++)
                if (strcmp(nd->attrs[j].name, "axes") == 0) return false;
    }
    return true;
}

/* Whether the opset-21 forms may be written, and if not why. */
static nnq_status allow_opset21(builder *b, int max_opset) {
    nnq_opset *op = onnx_opset(b->g);
    if (!op) return nnq_error(NNQ_STATUS_INVALID_FORMAT, "compress: the model imports no ai.onnx opset");
    b->four_ok = true;
    if (op->version >= 21) return NNQ_STATUS_OK;
    if (max_opset && max_opset < 21)
        b->four_ok = false, b->why_not21 = "max_opset is below 21";
    else if (!opset21_safe(b->g, op->version))
        b->four_ok = false, b->why_not21 = "the model has Reduce* (axes attribute) or "
                                           "GroupNormalization nodes that change meaning by opset 21";
    return NNQ_STATUS_OK;
}

/* Raise the ai.onnx opset to 13 (per-axis DequantizeLinear) or 21 (4-bit
 * types, blocked DequantizeLinear) if lower, with the IR version ONNX
 * pairs with it (7 for opset 13, 10 for 21). */
static void raise_opset(nnq_graph *g, bool to21) {
    nnq_opset *op = onnx_opset(g);
    int64_t v = to21 ? 21 : 13, ir = to21 ? 10 : 7;
    if (op->version < v) op->version = v;
    if (g->ir_version < ir) g->ir_version = ir;
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
    builder b;
} run_state;

/* coremltools' default block of per-block quantization. */
#define DEFAULT_LINEAR_BLOCK 32

/* Resolve the settings of candidate i; false when it stays float. */
static bool settle(const nnq_model_compress_options *o, run_state *rs, size_t i, wplan *w) {
    const candidate *c = &rs->cand[i];
    if (rs->inc.n && !globs_any(&rs->inc, c->name, rs->inc_hit)) return false;
    if (globs_any(&rs->exc, c->name, NULL)) return false;
    cspec_settings s;
    cspec_from_config(o->base, o->min_size ? o->min_size : NNQ_COMPRESS_DEFAULT_MIN_SIZE, &s);
    s.per_block = o->per_block, s.is_unsigned = o->linear_unsigned;
    cspec_resolve(o->spec, c->op_type, c->name, &s);
    ptrdiff_t k = nnq_graph_find_init(rs->g, c->name);
    if (s.disable || k < 0 || rs->g->inits[k].tensor->numel < s.min_size) return false;
    cspec_to_config(&s, &w->cfg);
    /* Granularity means nothing to pruning alone; palettization refuses it later. */
    w->per_block = s.per_block && s.mode != CSPEC_MODE_NONE;
    w->is_unsigned = s.is_unsigned;
    w->in_axis = c->in_axis;
    if (w->per_block && w->cfg.block_size == 0) w->cfg.block_size = DEFAULT_LINEAR_BLOCK;
    return true;
}

static nnq_status compress_all(const nnq_model_compress_options *o, run_state *rs) {
    nnq_compress_report *r = rs->rep;
    wplan *cfgs = nnq_calloc(rs->n_cand ? rs->n_cand : 1, sizeof *cfgs);
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
        ptrdiff_t k = nnq_graph_find_init(rs->g, rs->cand[i].name);
        nnq_compress_weight_report *wr = &r->weights[r->n_weights++];
        s = compress_one(&rs->b, (size_t)k, rs->cand[i].op_type, &cfgs[i], o->pool, wr,
                         &rs->energy, &rs->sse);
        if (!s && o->progress) o->progress(o->progress_ctx, wr->name, ++done, n_use);
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
    if (o->max_opset < 0 || (o->max_opset > 0 && o->max_opset < 13))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "compress: max_opset %d is below 13, the opset of per-axis "
                         "DequantizeLinear the decode chains need (0: no limit)", o->max_opset);
    run_state rs;
    memset(&rs, 0, sizeof rs);
    nnq_status s = globs_compile(o->include, o->n_include, "include", &rs.inc);
    if (!s) s = globs_compile(o->exclude, o->n_exclude, "exclude", &rs.exc);
    if (!s && !(rs.rep = nnq_calloc(1, sizeof *rs.rep))) s = oom();
    if (!s && rs.inc.n && !(rs.inc_hit = nnq_calloc(rs.inc.n, sizeof *rs.inc_hit))) s = oom();
    if (!s) s = serialized_size(model, &rs.rep->model_bytes_before);
    if (!s) s = nnq_graph_clone(model, &rs.g);
    if (!s) s = find_candidates(rs.g, o, &rs.cand, &rs.n_cand);
    rs.b.g = rs.g;
    if (!s) s = allow_opset21(&rs.b, o->max_opset);
    if (!s) s = compress_all(o, &rs);
    if (!s && rs.rep->n_weights) raise_opset(rs.g, rs.b.used21);
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
