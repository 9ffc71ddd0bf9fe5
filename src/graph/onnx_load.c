/* onnx_load.c - ONNX ModelProto (protobuf-c) -> nnq graph IR. */
#include <stdio.h>
#include <string.h>

#include "graph/onnx_internal.h"

typedef struct loader {
    nnq_load_ctx *ctx;
} loader;

static nnq_status load_graph(loader *L, const Onnx__GraphProto *gp, nnq_graph *g);

static nnq_status oom(const char *what) {
    return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "out of memory loading %s", what);
}

/* Copy an optional string; NULL stays NULL unless def is given. */
static nnq_status dup_str(const char *src, const char *def, char **dst) {
    *dst = NULL;
    if (!src) src = def;
    if (!src) return NNQ_STATUS_OK;
    if (!(*dst = nnq_strdup(src))) return oom("a string");
    return NNQ_STATUS_OK;
}

static nnq_status dup_strv(char *const *src, size_t n, char ***dst) {
    *dst = NULL;
    if (n == 0) return NNQ_STATUS_OK;
    char **v = nnq_calloc(n, sizeof *v);
    if (!v) return oom("a string list");
    *dst = v; /* owner frees the partial list on failure */
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = nnq_strdup(src[i] ? src[i] : ""))) return oom("a string list");
    return NNQ_STATUS_OK;
}

static nnq_status dup_array(const void *src, size_t n, size_t elem, void **dst) {
    *dst = NULL;
    if (n == 0) return NNQ_STATUS_OK;
    void *p = nnq_calloc(n, elem);
    if (!p) return oom("an array");
    memcpy(p, src, n * elem);
    *dst = p;
    return NNQ_STATUS_OK;
}

/* Serialize a message nnq keeps without interpreting. */
static nnq_status pack_raw(const ProtobufCMessage *m, uint8_t **raw, size_t *len) {
    size_t n = protobuf_c_message_get_packed_size(m);
    *raw = nnq_malloc(n ? n : 1);
    if (!*raw) return oom("a kept message");
    *len = protobuf_c_message_pack(m, *raw);
    return NNQ_STATUS_OK;
}

static nnq_status load_value_info(const Onnx__ValueInfoProto *vp, nnq_value_info *v,
                                  const char *role, size_t index) {
    if (!vp->name || !vp->name[0])
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "graph %s %zu has no name", role, index);
    NNQ_TRY(dup_str(vp->name, NULL, &v->name));
    NNQ_TRY(dup_str(vp->doc_string, NULL, &v->doc_string));
    v->ndim = -1;
    const Onnx__TypeProto *tp = vp->type;
    if (!tp) return NNQ_STATUS_OK;
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || tp->denotation)
        return pack_raw(&tp->base, &v->raw_type, &v->raw_type_len);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    int32_t et = tt->has_elem_type ? tt->elem_type : 0;
    if (et < 0 || et >= NNQ_DTYPE_COUNT_)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "%s '%s' has element type %d, not one of 0..%d",
                         role, vp->name, (int)et, NNQ_DTYPE_COUNT_ - 1);
    v->dtype = (nnq_dtype)et;
    if (!tt->shape) return NNQ_STATUS_OK;
    if (tt->shape->n_dim > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "%s '%s' has %zu dims, nnq allows at most %d",
                         role, vp->name, tt->shape->n_dim, NNQ_MAX_DIMS);
    v->ndim = (int)tt->shape->n_dim;
    for (int i = 0; i < v->ndim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        v->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s '%s' dim %d is negative (%lld)",
                                 role, vp->name, i, (long long)d->dim_value);
            v->dims[i] = d->dim_value;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
            NNQ_TRY(dup_str(d->dim_param, "", &v->dim_params[i]));
        }
    }
    return NNQ_STATUS_OK;
}

static nnq_status load_value_infos(Onnx__ValueInfoProto *const *src, size_t n, const char *role,
                                   nnq_value_info **dst, size_t *count) {
    if (n == 0) return NNQ_STATUS_OK;
    *dst = nnq_calloc(n, sizeof **dst);
    if (!*dst) return oom(role);
    *count = n;
    for (size_t i = 0; i < n; i++) NNQ_TRY(load_value_info(src[i], &(*dst)[i], role, i));
    return NNQ_STATUS_OK;
}

static nnq_status attr_tensor(loader *L, const Onnx__TensorProto *tp, const char *attr,
                              const char *node, nnq_tensor **out) {
    char what[256];
    snprintf(what, sizeof what, "%s.%s", node, attr);
    return nnq_pb_to_tensor(L->ctx, tp, what, out, NULL);
}

static nnq_status load_attr(loader *L, const Onnx__AttributeProto *ap, nnq_attr *a,
                            const char *node) {
    if (!ap->name || !ap->name[0])
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "node '%s' has an attribute without a name",
                         node);
    NNQ_TRY(dup_str(ap->name, NULL, &a->name));
    NNQ_TRY(dup_str(ap->ref_attr_name, NULL, &a->ref_attr_name));
    NNQ_TRY(dup_str(ap->doc_string, NULL, &a->doc_string));
    a->type = ap->has_type ? (nnq_attr_type)ap->type : NNQ_ATTR_UNDEFINED;
    switch (a->type) {
    case NNQ_ATTR_FLOAT: a->f = ap->f; return NNQ_STATUS_OK;
    case NNQ_ATTR_INT: a->i = ap->i; return NNQ_STATUS_OK;
    case NNQ_ATTR_STRING:
        a->s = nnq_malloc(ap->s.len + 1);
        if (!a->s) return oom("a string attribute");
        if (ap->s.len) memcpy(a->s, ap->s.data, ap->s.len);
        a->s[ap->s.len] = '\0';
        a->s_len = ap->s.len;
        return NNQ_STATUS_OK;
    case NNQ_ATTR_TENSOR:
        if (!ap->t)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "attribute '%s' of node '%s' has type TENSOR but no tensor", ap->name,
                             node);
        NNQ_TRY(dup_str(ap->t->name && ap->t->name[0] ? ap->t->name : NULL, NULL, &a->t_name));
        return attr_tensor(L, ap->t, ap->name, node, &a->t);
    case NNQ_ATTR_GRAPH:
        if (!ap->g)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "attribute '%s' of node '%s' has type GRAPH but no graph", ap->name,
                             node);
        NNQ_TRY(nnq_graph_create_empty(&a->g));
        a->g->ir_version = 0;
        return load_graph(L, ap->g, a->g); /* depth bounded by nnq_pb_check_wire */
    case NNQ_ATTR_FLOATS:
        a->n_floats = ap->n_floats;
        return dup_array(ap->floats, ap->n_floats, sizeof(float), (void **)&a->floats);
    case NNQ_ATTR_INTS:
        a->n_ints = ap->n_ints;
        return dup_array(ap->ints, ap->n_ints, sizeof(int64_t), (void **)&a->ints);
    case NNQ_ATTR_STRINGS:
        if (ap->n_strings == 0) return NNQ_STATUS_OK;
        if (!(a->strings = nnq_calloc(ap->n_strings, sizeof *a->strings))) return oom("strings");
        a->n_strings = ap->n_strings;
        for (size_t i = 0; i < ap->n_strings; i++) {
            if (!(a->strings[i] = nnq_malloc(ap->strings[i].len + 1))) return oom("strings");
            if (ap->strings[i].len) memcpy(a->strings[i], ap->strings[i].data, ap->strings[i].len);
            a->strings[i][ap->strings[i].len] = '\0';
        }
        return NNQ_STATUS_OK;
    case NNQ_ATTR_TENSORS:
        if (ap->n_tensors == 0) return NNQ_STATUS_OK;
        if (!(a->tensors = nnq_calloc(ap->n_tensors, sizeof *a->tensors)) ||
            !(a->tensor_names = nnq_calloc(ap->n_tensors, sizeof *a->tensor_names)))
            return oom("tensors");
        a->n_tensors = ap->n_tensors;
        for (size_t i = 0; i < ap->n_tensors; i++) {
            const char *tn = ap->tensors[i]->name;
            NNQ_TRY(dup_str(tn && tn[0] ? tn : NULL, NULL, &a->tensor_names[i]));
            NNQ_TRY(attr_tensor(L, ap->tensors[i], ap->name, node, &a->tensors[i]));
        }
        return NNQ_STATUS_OK;
    case NNQ_ATTR_UNDEFINED:
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "attribute '%s' of node '%s' has no type",
                         ap->name, node);
    default:
        /* graphs, sparse tensors, type protos: kept verbatim for saving. */
        return pack_raw(&ap->base, &a->raw, &a->raw_len);
    }
}

static nnq_status load_node(loader *L, const Onnx__NodeProto *np, nnq_node *n, size_t index) {
    char label[64];
    snprintf(label, sizeof label, "#%zu", index);
    const char *who = np->name && np->name[0] ? np->name : label;
    if (!np->op_type || !np->op_type[0])
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "node '%s' has no op_type", who);
    if (np->name && np->name[0]) NNQ_TRY(dup_str(np->name, NULL, &n->name));
    NNQ_TRY(dup_str(np->op_type, NULL, &n->op_type));
    NNQ_TRY(dup_str(np->domain, "", &n->domain));
    NNQ_TRY(dup_str(np->doc_string, NULL, &n->doc_string));
    NNQ_TRY(dup_strv(np->input, np->n_input, &n->inputs));
    n->n_inputs = np->n_input;
    NNQ_TRY(dup_strv(np->output, np->n_output, &n->outputs));
    n->n_outputs = np->n_output;
    if (np->n_attribute == 0) return NNQ_STATUS_OK;
    if (!(n->attrs = nnq_calloc(np->n_attribute, sizeof *n->attrs))) return oom("attributes");
    n->n_attrs = np->n_attribute;
    for (size_t i = 0; i < np->n_attribute; i++)
        NNQ_TRY(load_attr(L, np->attribute[i], &n->attrs[i], who));
    return NNQ_STATUS_OK;
}

/* Unnamed nodes become "<op_type>_<index>" and a repeated name gets a
 * numeric suffix ("conv", "conv_1"), so every node name is unique and the
 * first holder of a name keeps it. */
static nnq_status name_nodes(nnq_graph *g) {
    nnq_name_map *m = NULL;
    NNQ_TRY(nnq_name_map_create(g->n_nodes, &m));
    bool *rename = nnq_calloc(g->n_nodes, sizeof *rename);
    nnq_status s = rename ? NNQ_STATUS_OK : oom("node names");
    for (size_t i = 0; i < g->n_nodes && !s; i++) {
        rename[i] = !g->nodes[i].name;
        if (g->nodes[i].name) s = nnq_name_map_put(m, g->nodes[i].name, i, &rename[i], NULL);
    }
    char base[300], cand[340];
    for (size_t i = 0; i < g->n_nodes && !s; i++) {
        nnq_node *n = &g->nodes[i];
        if (!rename[i]) continue;
        if (n->name)
            snprintf(base, sizeof base, "%.280s", n->name);
        else
            snprintf(base, sizeof base, "%.200s_%zu", n->op_type, i);
        snprintf(cand, sizeof cand, "%s", base);
        for (unsigned long k = 1; nnq_name_map_get(m, cand, NULL); k++)
            snprintf(cand, sizeof cand, "%s_%lu", base, k);
        nnq_free(n->name);
        if (!(n->name = nnq_strdup(cand))) s = oom("node names");
        if (!s) s = nnq_name_map_put(m, n->name, i, NULL, NULL);
    }
    nnq_free(rename);
    nnq_name_map_free(m);
    return s;
}

/* Element size for densifying (4-bit sparse values are not supported). */
static nnq_status densify(loader *L, const Onnx__SparseTensorProto *sp, size_t index,
                          nnq_initializer *out) {
    const char *name = sp->values && sp->values->name ? sp->values->name : "";
    if (!sp->values || !sp->indices || !name[0])
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "sparse initializer %zu lacks values, indices or a name", index);
    if (sp->n_dims > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "sparse initializer '%s' has %zu dims, nnq allows at most %d", name,
                         sp->n_dims, NNQ_MAX_DIMS);
    nnq_tensor *vals = NULL, *idx = NULL, *dense = NULL;
    nnq_status s = nnq_pb_to_tensor(L->ctx, sp->values, name, &vals, NULL);
    if (!s) s = nnq_pb_to_tensor(L->ctx, sp->indices, name, &idx, NULL);
    size_t elem = 0, nnz = 0;
    if (!s) {
        elem = nnq_dtype_bits(vals->dtype) / 8;
        nnz = vals->numel;
        if (elem == 0 || vals->ndim != 1)
            s = nnq_error(NNQ_STATUS_UNSUPPORTED,
                          "sparse initializer '%s': values must be 1-D of a byte-sized type", name);
        else if (idx->dtype != NNQ_DTYPE_INT64 ||
                 !((idx->ndim == 1 && idx->dims[0] == (int64_t)nnz) ||
                   (idx->ndim == 2 && idx->dims[0] == (int64_t)nnz &&
                    idx->dims[1] == (int64_t)sp->n_dims)))
            s = nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                          "sparse initializer '%s': indices must be int64 [%zu] or [%zu, %zu]",
                          name, nnz, nnz, sp->n_dims);
    }
    for (size_t i = 0; !s && i < sp->n_dims; i++)
        if (sp->dims[i] < 0)
            s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "sparse initializer '%s' dim %zu is negative",
                          name, i);
    if (!s) s = nnq_tensor_create(vals->dtype, (int)sp->n_dims, sp->dims, &dense);
    const int64_t *ix = idx ? idx->data : NULL;
    for (size_t k = 0; !s && k < nnz; k++) {
        uint64_t lin = 0;
        bool ok = true;
        if (idx->ndim == 1) {
            ok = ix[k] >= 0 && (uint64_t)ix[k] < dense->numel;
            lin = (uint64_t)ix[k];
        } else {
            for (size_t d = 0; d < sp->n_dims && ok; d++) {
                int64_t c = ix[k * sp->n_dims + d];
                ok = c >= 0 && c < sp->dims[d];
                lin = lin * (uint64_t)sp->dims[d] + (uint64_t)c;
            }
        }
        if (!ok)
            s = nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                          "sparse initializer '%s': index of value %zu lies outside the shape",
                          name, k);
        else
            memcpy((uint8_t *)dense->data + lin * elem, (uint8_t *)vals->data + k * elem, elem);
    }
    nnq_tensor_free(vals);
    nnq_tensor_free(idx);
    if (!s && !(out->name = nnq_strdup(name))) s = oom("a sparse initializer");
    if (s) {
        nnq_tensor_free(dense);
        return s;
    }
    out->tensor = dense;
    return NNQ_STATUS_OK;
}

static nnq_status load_inits(loader *L, const Onnx__GraphProto *gp, nnq_graph *g) {
    size_t n;
    if (!nnq_size_add(gp->n_initializer, gp->n_sparse_initializer, &n))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "too many initializers");
    if (n == 0) return NNQ_STATUS_OK;
    if (!(g->inits = nnq_calloc(n, sizeof *g->inits))) return oom("initializers");
    g->cap_inits = n;
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        nnq_initializer *in = &g->inits[g->n_inits++];
        if (!tp->name || !tp->name[0])
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "initializer %zu has no name", i);
        NNQ_TRY(dup_str(tp->name, NULL, &in->name));
        NNQ_TRY(dup_str(tp->doc_string, NULL, &in->doc_string));
        NNQ_TRY(nnq_pb_to_tensor(L->ctx, tp, tp->name, &in->tensor, in));
    }
    for (size_t i = 0; i < gp->n_sparse_initializer; i++)
        NNQ_TRY(densify(L, gp->sparse_initializer[i], i, &g->inits[g->n_inits++]));
    nnq_name_map *m = NULL;
    NNQ_TRY(nnq_name_map_create(g->n_inits, &m));
    nnq_status s = NNQ_STATUS_OK;
    for (size_t i = 0; i < g->n_inits && !s; i++) {
        bool dup;
        s = nnq_name_map_put(m, g->inits[i].name, i, &dup, NULL);
        if (!s && dup)
            s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "initializer '%s' is defined twice",
                          g->inits[i].name);
    }
    nnq_name_map_free(m);
    return s;
}

/* A graph input that names an initializer (its default value) must agree
 * with it. */
static nnq_status check_inputs_vs_inits(nnq_graph *g) {
    for (size_t i = 0; i < g->n_inputs; i++) {
        const nnq_value_info *v = &g->inputs[i];
        ptrdiff_t k = nnq_graph_find_init(g, v->name);
        if (k < 0) continue;
        const nnq_tensor *t = g->inits[k].tensor;
        if (v->dtype != NNQ_DTYPE_UNDEFINED && v->dtype != t->dtype)
            return nnq_error(NNQ_STATUS_DTYPE_MISMATCH,
                             "graph input '%s' is declared %s but its initializer is %s", v->name,
                             nnq_dtype_name(v->dtype), nnq_dtype_name(t->dtype));
        if (v->ndim < 0) continue;
        bool same = v->ndim == t->ndim;
        for (int d = 0; same && d < v->ndim; d++) same = v->dims[d] < 0 || v->dims[d] == t->dims[d];
        if (!same) {
            char a[128], b[128];
            return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                             "graph input '%s' is declared %s but its initializer is %s", v->name,
                             nnq_shape_str(v->ndim, v->dims, a, sizeof a),
                             nnq_shape_str(t->ndim, t->dims, b, sizeof b));
        }
    }
    return NNQ_STATUS_OK;
}

static nnq_status load_graph(loader *L, const Onnx__GraphProto *gp, nnq_graph *g) {
    NNQ_TRY(dup_str(gp->name, NULL, &g->name));
    NNQ_TRY(dup_str(gp->doc_string, NULL, &g->doc_string));
    if (gp->n_node > L->ctx->max_nodes - L->ctx->n_nodes)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "model has more than %zu nodes",
                         L->ctx->max_nodes);
    L->ctx->n_nodes += gp->n_node;
    if (gp->n_node) {
        if (!(g->nodes = nnq_calloc(gp->n_node, sizeof *g->nodes))) return oom("nodes");
        g->cap_nodes = gp->n_node;
        for (size_t i = 0; i < gp->n_node; i++) {
            g->n_nodes = i + 1;
            NNQ_TRY(load_node(L, gp->node[i], &g->nodes[i], i));
        }
        NNQ_TRY(name_nodes(g));
    }
    NNQ_TRY(load_inits(L, gp, g));
    NNQ_TRY(load_value_infos(gp->input, gp->n_input, "input", &g->inputs, &g->n_inputs));
    NNQ_TRY(load_value_infos(gp->output, gp->n_output, "output", &g->outputs, &g->n_outputs));
    NNQ_TRY(load_value_infos(gp->value_info, gp->n_value_info, "value_info", &g->value_infos,
                             &g->n_value_infos));
    return check_inputs_vs_inits(g);
}

/* Fields nnq does not interpret (functions, training_info, quantization
 * annotations, unknown fields) are kept as a partial ModelProto. */
static nnq_status keep_remainder(const Onnx__ModelProto *m, nnq_graph *g) {
    Onnx__ModelProto rem = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto rg = ONNX__GRAPH_PROTO__INIT;
    rem.n_functions = m->n_functions;
    rem.functions = m->functions;
    rem.n_training_info = m->n_training_info;
    rem.training_info = m->n_training_info ? m->training_info : NULL;
    rem.base.n_unknown_fields = m->base.n_unknown_fields;
    rem.base.unknown_fields = m->base.unknown_fields;
    rg.n_quantization_annotation = m->graph->n_quantization_annotation;
    rg.quantization_annotation = m->graph->quantization_annotation;
    rg.base.n_unknown_fields = m->graph->base.n_unknown_fields;
    rg.base.unknown_fields = m->graph->base.unknown_fields;
    if (rg.n_quantization_annotation || rg.base.n_unknown_fields) rem.graph = &rg;
    if (!rem.n_functions && !rem.n_training_info && !rem.base.n_unknown_fields && !rem.graph)
        return NNQ_STATUS_OK;
    return pack_raw(&rem.base, &g->unknown_model_fields, &g->unknown_model_len);
}

static nnq_status load_model(loader *L, const Onnx__ModelProto *m, nnq_graph *g) {
    if (!m->graph) return nnq_error(NNQ_STATUS_INVALID_FORMAT, "model has no graph");
    g->ir_version = m->has_ir_version ? m->ir_version : 0;
    if (m->n_opset_import) {
        if (!(g->opsets = nnq_calloc(m->n_opset_import, sizeof *g->opsets))) return oom("opsets");
        for (size_t i = 0; i < m->n_opset_import; i++) {
            g->n_opsets = i + 1;
            NNQ_TRY(dup_str(m->opset_import[i]->domain, "", &g->opsets[i].domain));
            g->opsets[i].version = m->opset_import[i]->version;
        }
    }
    NNQ_TRY(dup_str(m->producer_name, NULL, &g->producer_name));
    NNQ_TRY(dup_str(m->producer_version, NULL, &g->producer_version));
    NNQ_TRY(dup_str(m->domain, NULL, &g->model_domain));
    g->model_version = m->has_model_version ? m->model_version : 0;
    NNQ_TRY(dup_str(m->doc_string, NULL, &g->model_doc_string));
    if (m->n_metadata_props) {
        g->metadata_keys = nnq_calloc(m->n_metadata_props, sizeof *g->metadata_keys);
        g->metadata_values = nnq_calloc(m->n_metadata_props, sizeof *g->metadata_values);
        if (!g->metadata_keys || !g->metadata_values) return oom("metadata");
        for (size_t i = 0; i < m->n_metadata_props; i++) {
            g->n_metadata = i + 1;
            NNQ_TRY(dup_str(m->metadata_props[i]->key, "", &g->metadata_keys[i]));
            NNQ_TRY(dup_str(m->metadata_props[i]->value, "", &g->metadata_values[i]));
        }
    }
    NNQ_TRY(load_graph(L, m->graph, g));
    NNQ_TRY(keep_remainder(m, g));
    NNQ_TRY(nnq_graph_check(g));
    return nnq_graph_toposort(g);
}

static nnq_status load_buffer(const uint8_t *buf, size_t len, const nnq_graph_load_options *opt,
                              const char *base_dir, nnq_graph **out) {
    uint64_t max =
        opt && opt->max_model_bytes ? opt->max_model_bytes : NNQ_GRAPH_DEFAULT_MAX_MODEL_BYTES;
    if (len > max)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "model has %zu bytes, more than the limit %llu",
                         len, (unsigned long long)max);
    NNQ_TRY(nnq_pb_check_wire(buf, len, &onnx__model_proto__descriptor));
    Onnx__ModelProto *m = onnx__model_proto__unpack(&nnq_pb_allocator, len, buf);
    if (!m) return nnq_error(NNQ_STATUS_INVALID_FORMAT, "not a valid ONNX ModelProto");
    nnq_load_ctx ctx;
    nnq_load_ctx_init(&ctx, base_dir, opt ? opt->max_external_bytes : 0, opt ? opt->max_nodes : 0);
    loader L = {&ctx};
    nnq_graph *g = NULL;
    nnq_status s = nnq_graph_create_empty(&g);
    if (!s) s = load_model(&L, m, g);
    if (!s && base_dir && !(g->base_dir = nnq_strdup(base_dir))) s = oom("the model");
    nnq_load_ctx_close(&ctx);
    onnx__model_proto__free_unpacked(m, &nnq_pb_allocator);
    if (s) {
        nnq_graph_free(g);
        return s;
    }
    *out = g;
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_load_memory(const void *data, size_t size, const nnq_graph_load_options *opt,
                                 nnq_graph **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_load_memory: out is NULL");
    *out = NULL;
    if (!data && size)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_load_memory: data is NULL");
    nnq_status s =
        load_buffer(data ? data : (const void *)"", size, opt, opt ? opt->base_dir : NULL, out);
    if (s) return nnq_error_prefix(s, "loading model from memory: ");
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_load(const char *path, const nnq_graph_load_options *opt, nnq_graph **out) {
    if (!path || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_load: path or out is NULL");
    *out = NULL;
    uint64_t max =
        opt && opt->max_model_bytes ? opt->max_model_bytes : NNQ_GRAPH_DEFAULT_MAX_MODEL_BYTES;
    uint8_t *buf = NULL;
    size_t len = 0;
    char *dir = nnq_path_dirname(path);
    nnq_status s = dir ? nnq_read_whole_file(path, max, &buf, &len) : oom("a path");
    if (!s) s = load_buffer(buf, len, opt, dir, out);
    nnq_free(buf);
    nnq_free(dir);
    if (s) return nnq_error_prefix(s, "loading '%s': ", path);
    return NNQ_STATUS_OK;
}
