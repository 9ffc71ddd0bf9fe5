/* onnx_save.c - nnq graph IR -> ONNX ModelProto bytes, with external data. */
#include <stdio.h>
#include <string.h>

#include "graph/onnx_internal.h"
#include "graph/onnx_save.h"

uint64_t nnq_onnx_proto_limit = INT32_MAX; /* protobuf's 2 GiB message limit */

#define EXT_ALIGN 64
#define AUTO_EXT_THRESHOLD 1024

/* Every allocation of one save, freed together: the proto tree only borrows
 * the graph's strings and tensor data. */
typedef struct chunk {
    struct chunk *next;
    max_align_t data[];
} chunk;

typedef struct saver {
    chunk *chunks;
    ProtobufCMessage **unpacked; /* kept messages re-parsed for this save */
    size_t n_unpacked, cap_unpacked;
    uint64_t threshold;       /* initializers >= this go external; UINT64_MAX: none */
    const char *ext_location; /* file name of the .data file */
    nnq_outfile *ext;         /* NULL while sizing */
    uint64_t ext_offset;
    bool any_external;
} saver;

static void *s_alloc(saver *S, size_t count, size_t size) {
    size_t n;
    if (!nnq_size_mul(count ? count : 1, size, &n) || !nnq_size_add(n, sizeof(chunk), &n))
        return NULL;
    chunk *c = nnq_calloc(1, n);
    if (!c) return NULL;
    c->next = S->chunks;
    S->chunks = c;
    return c->data;
}

static void saver_release(saver *S) {
    while (S->chunks) {
        chunk *c = S->chunks;
        S->chunks = c->next;
        nnq_free(c);
    }
    for (size_t i = 0; i < S->n_unpacked; i++)
        protobuf_c_message_free_unpacked(S->unpacked[i], &nnq_pb_allocator);
    nnq_free(S->unpacked);
    S->unpacked = NULL;
    S->n_unpacked = S->cap_unpacked = 0;
}

#define ALLOC(S, ptr, n)                                                                           \
    do {                                                                                           \
        if (!((ptr) = s_alloc((S), (n), sizeof *(ptr))))                                           \
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "saving model: out of memory");             \
    } while (0)

/* Re-parse a message kept verbatim at load. */
static nnq_status unpack_kept(saver *S, const ProtobufCMessageDescriptor *d, const uint8_t *raw,
                              size_t len, ProtobufCMessage **out) {
    if (S->n_unpacked == S->cap_unpacked) {
        size_t cap = S->cap_unpacked ? S->cap_unpacked * 2 : 16;
        void *p = nnq_realloc(S->unpacked, cap * sizeof *S->unpacked);
        if (!p) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "saving model: out of memory");
        S->unpacked = p;
        S->cap_unpacked = cap;
    }
    *out = protobuf_c_message_unpack(d, &nnq_pb_allocator, len, raw);
    if (!*out)
        return nnq_error(NNQ_STATUS_INTERNAL, "saving model: a kept %s does not parse", d->name);
    S->unpacked[S->n_unpacked++] = *out;
    return NNQ_STATUS_OK;
}

static nnq_status graph_to_pb(saver *S, const nnq_graph *g, Onnx__GraphProto *gp);

static nnq_status tensor_to_pb(saver *S, const nnq_tensor *t, const char *name,
                               Onnx__TensorProto **out) {
    Onnx__TensorProto *tp;
    int64_t *dims;
    ALLOC(S, tp, 1);
    ALLOC(S, dims, (size_t)(t->ndim > 0 ? t->ndim : 1));
    onnx__tensor_proto__init(tp);
    nnq_pb_from_tensor(t, name, dims, tp);
    *out = tp;
    return NNQ_STATUS_OK;
}

static nnq_status kv(saver *S, const char *key, const char *value,
                     Onnx__StringStringEntryProto **out) {
    Onnx__StringStringEntryProto *e;
    ALLOC(S, e, 1);
    onnx__string_string_entry_proto__init(e);
    size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
    char *k, *v;
    ALLOC(S, k, kl);
    ALLOC(S, v, vl);
    memcpy(k, key, kl);
    memcpy(v, value, vl);
    e->key = k;
    e->value = v;
    *out = e;
    return NNQ_STATUS_OK;
}

static nnq_status make_external(saver *S, const nnq_tensor *t, Onnx__TensorProto *tp) {
    static const uint8_t zeros[EXT_ALIGN];
    uint64_t pad = (EXT_ALIGN - S->ext_offset % EXT_ALIGN) % EXT_ALIGN;
    if (S->ext) {
        NNQ_TRY(nnq_outfile_write(S->ext, zeros, (size_t)pad));
        NNQ_TRY(nnq_outfile_write(S->ext, t->data, t->nbytes));
    }
    uint64_t offset = S->ext_offset + pad;
    S->ext_offset = offset + t->nbytes;
    S->any_external = true;
    char num[32];
    ALLOC(S, tp->external_data, 3);
    tp->n_external_data = 3;
    NNQ_TRY(kv(S, "location", S->ext_location, &tp->external_data[0]));
    snprintf(num, sizeof num, "%llu", (unsigned long long)offset);
    NNQ_TRY(kv(S, "offset", num, &tp->external_data[1]));
    snprintf(num, sizeof num, "%zu", t->nbytes);
    NNQ_TRY(kv(S, "length", num, &tp->external_data[2]));
    tp->has_raw_data = 0;
    tp->raw_data.len = 0;
    tp->raw_data.data = NULL;
    tp->has_data_location = 1;
    tp->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    return NNQ_STATUS_OK;
}

static nnq_status attr_to_pb(saver *S, const nnq_attr *a, Onnx__AttributeProto **out) {
    if (a->raw) {
        ProtobufCMessage *m;
        NNQ_TRY(unpack_kept(S, &onnx__attribute_proto__descriptor, a->raw, a->raw_len, &m));
        *out = (Onnx__AttributeProto *)m;
        return NNQ_STATUS_OK;
    }
    Onnx__AttributeProto *ap;
    ALLOC(S, ap, 1);
    onnx__attribute_proto__init(ap);
    ap->name = a->name;
    ap->ref_attr_name = a->ref_attr_name;
    ap->doc_string = a->doc_string;
    ap->has_type = 1;
    ap->type = (Onnx__AttributeProto__AttributeType)a->type;
    switch (a->type) {
    case NNQ_ATTR_FLOAT: ap->has_f = 1, ap->f = a->f; break;
    case NNQ_ATTR_INT: ap->has_i = 1, ap->i = a->i; break;
    case NNQ_ATTR_STRING:
        ap->has_s = 1;
        ap->s.len = a->s_len;
        ap->s.data = (uint8_t *)a->s;
        break;
    case NNQ_ATTR_TENSOR: NNQ_TRY(tensor_to_pb(S, a->t, a->t_name, &ap->t)); break;
    case NNQ_ATTR_GRAPH:
        ALLOC(S, ap->g, 1);
        NNQ_TRY(graph_to_pb(S, a->g, ap->g));
        break;
    case NNQ_ATTR_FLOATS: ap->n_floats = a->n_floats, ap->floats = a->floats; break;
    case NNQ_ATTR_INTS: ap->n_ints = a->n_ints, ap->ints = a->ints; break;
    case NNQ_ATTR_STRINGS:
        ALLOC(S, ap->strings, a->n_strings);
        ap->n_strings = a->n_strings;
        for (size_t i = 0; i < a->n_strings; i++) {
            ap->strings[i].len = strlen(a->strings[i]);
            ap->strings[i].data = (uint8_t *)a->strings[i];
        }
        break;
    case NNQ_ATTR_TENSORS:
        ALLOC(S, ap->tensors, a->n_tensors);
        ap->n_tensors = a->n_tensors;
        for (size_t i = 0; i < a->n_tensors; i++)
            NNQ_TRY(tensor_to_pb(S, a->tensors[i], a->tensor_names ? a->tensor_names[i] : NULL,
                                 &ap->tensors[i]));
        break;
    default:
        return nnq_error(NNQ_STATUS_INTERNAL, "saving model: attribute '%s' of kind %d has no data",
                         a->name, (int)a->type);
    }
    *out = ap;
    return NNQ_STATUS_OK;
}

static nnq_status node_to_pb(saver *S, const nnq_node *n, Onnx__NodeProto **out) {
    Onnx__NodeProto *np;
    ALLOC(S, np, 1);
    onnx__node_proto__init(np);
    np->name = n->name;
    np->op_type = n->op_type;
    np->domain = n->domain && n->domain[0] ? n->domain : NULL;
    np->doc_string = n->doc_string;
    np->n_input = n->n_inputs;
    np->input = n->inputs;
    np->n_output = n->n_outputs;
    np->output = n->outputs;
    ALLOC(S, np->attribute, n->n_attrs);
    np->n_attribute = n->n_attrs;
    for (size_t i = 0; i < n->n_attrs; i++) NNQ_TRY(attr_to_pb(S, &n->attrs[i], &np->attribute[i]));
    *out = np;
    return NNQ_STATUS_OK;
}

static nnq_status value_info_to_pb(saver *S, const nnq_value_info *v, Onnx__ValueInfoProto **out) {
    Onnx__ValueInfoProto *vp;
    ALLOC(S, vp, 1);
    onnx__value_info_proto__init(vp);
    vp->name = v->name;
    vp->doc_string = v->doc_string;
    *out = vp;
    if (v->raw_type) {
        ProtobufCMessage *m;
        NNQ_TRY(unpack_kept(S, &onnx__type_proto__descriptor, v->raw_type, v->raw_type_len, &m));
        vp->type = (Onnx__TypeProto *)m;
        return NNQ_STATUS_OK;
    }
    if (v->dtype == NNQ_DTYPE_UNDEFINED && v->ndim < 0) return NNQ_STATUS_OK;
    Onnx__TypeProto *tp;
    Onnx__TypeProto__Tensor *tt;
    ALLOC(S, tp, 1);
    ALLOC(S, tt, 1);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = (int32_t)v->dtype;
    vp->type = tp;
    if (v->ndim < 0) return NNQ_STATUS_OK;
    ALLOC(S, tt->shape, 1);
    onnx__tensor_shape_proto__init(tt->shape);
    ALLOC(S, tt->shape->dim, (size_t)(v->ndim ? v->ndim : 1));
    tt->shape->n_dim = (size_t)v->ndim;
    for (int i = 0; i < v->ndim; i++) {
        Onnx__TensorShapeProto__Dimension *d;
        ALLOC(S, d, 1);
        onnx__tensor_shape_proto__dimension__init(d);
        if (v->dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = v->dims[i];
        } else if (v->dim_params[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = v->dim_params[i];
        }
        tt->shape->dim[i] = d;
    }
    return NNQ_STATUS_OK;
}

static nnq_status value_infos_to_pb(saver *S, const nnq_value_info *v, size_t n,
                                    Onnx__ValueInfoProto ***out, size_t *count) {
    ALLOC(S, *out, n);
    *count = n;
    for (size_t i = 0; i < n; i++) NNQ_TRY(value_info_to_pb(S, &v[i], &(*out)[i]));
    return NNQ_STATUS_OK;
}

static nnq_status graph_to_pb(saver *S, const nnq_graph *g, Onnx__GraphProto *gp) {
    onnx__graph_proto__init(gp);
    gp->name = g->name;
    gp->doc_string = g->doc_string;
    ALLOC(S, gp->node, g->n_nodes);
    gp->n_node = g->n_nodes;
    for (size_t i = 0; i < g->n_nodes; i++) NNQ_TRY(node_to_pb(S, &g->nodes[i], &gp->node[i]));
    ALLOC(S, gp->initializer, g->n_inits);
    gp->n_initializer = g->n_inits;
    for (size_t i = 0; i < g->n_inits; i++) {
        const nnq_initializer *in = &g->inits[i];
        NNQ_TRY(tensor_to_pb(S, in->tensor, in->name, &gp->initializer[i]));
        gp->initializer[i]->doc_string = in->doc_string;
        if (in->tensor->nbytes >= S->threshold)
            NNQ_TRY(make_external(S, in->tensor, gp->initializer[i]));
    }
    NNQ_TRY(value_infos_to_pb(S, g->inputs, g->n_inputs, &gp->input, &gp->n_input));
    NNQ_TRY(value_infos_to_pb(S, g->outputs, g->n_outputs, &gp->output, &gp->n_output));
    return value_infos_to_pb(S, g->value_infos, g->n_value_infos, &gp->value_info,
                             &gp->n_value_info);
}

static nnq_status model_to_pb(saver *S, const nnq_graph *g, Onnx__ModelProto *m) {
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = g->ir_version;
    ALLOC(S, m->opset_import, g->n_opsets);
    m->n_opset_import = g->n_opsets;
    for (size_t i = 0; i < g->n_opsets; i++) {
        Onnx__OperatorSetIdProto *o;
        ALLOC(S, o, 1);
        onnx__operator_set_id_proto__init(o);
        o->domain = g->opsets[i].domain;
        o->has_version = 1;
        o->version = g->opsets[i].version;
        m->opset_import[i] = o;
    }
    m->producer_name = g->producer_name;
    m->producer_version = g->producer_version;
    m->domain = g->model_domain;
    m->has_model_version = g->model_version != 0;
    m->model_version = g->model_version;
    m->doc_string = g->model_doc_string;
    ALLOC(S, m->metadata_props, g->n_metadata);
    m->n_metadata_props = g->n_metadata;
    for (size_t i = 0; i < g->n_metadata; i++)
        NNQ_TRY(kv(S, g->metadata_keys[i], g->metadata_values[i], &m->metadata_props[i]));
    ALLOC(S, m->graph, 1);
    NNQ_TRY(graph_to_pb(S, g, m->graph));
    if (!g->unknown_model_fields) return NNQ_STATUS_OK;
    ProtobufCMessage *rm;
    NNQ_TRY(unpack_kept(S, &onnx__model_proto__descriptor, g->unknown_model_fields,
                        g->unknown_model_len, &rm));
    const Onnx__ModelProto *rem = (const Onnx__ModelProto *)rm;
    m->n_functions = rem->n_functions;
    m->functions = rem->functions;
    m->n_training_info = rem->n_training_info;
    m->training_info = rem->training_info;
    m->base.n_unknown_fields = rem->base.n_unknown_fields;
    m->base.unknown_fields = rem->base.unknown_fields;
    if (rem->graph) {
        m->graph->n_quantization_annotation = rem->graph->n_quantization_annotation;
        m->graph->quantization_annotation = rem->graph->quantization_annotation;
        m->graph->base.n_unknown_fields = rem->graph->base.n_unknown_fields;
        m->graph->base.unknown_fields = rem->graph->base.unknown_fields;
    }
    return NNQ_STATUS_OK;
}

static nnq_status check_graph_arg(const nnq_graph *g, const char *fn) {
    if (!g) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: graph is NULL", fn);
    return NNQ_STATUS_OK;
}

/* Build and measure the proto; packing is left to the caller. */
static nnq_status build(saver *S, const nnq_graph *g, Onnx__ModelProto *m, size_t *size) {
    NNQ_TRY(model_to_pb(S, g, m));
    *size = onnx__model_proto__get_packed_size(m);
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_save_memory(const nnq_graph *g, void **data, size_t *size) {
    NNQ_TRY(check_graph_arg(g, "graph_save_memory"));
    if (!data || !size)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_save_memory: data or size is NULL");
    *data = NULL;
    *size = 0;
    saver S = {.threshold = UINT64_MAX};
    Onnx__ModelProto m;
    size_t n = 0;
    nnq_status s = build(&S, g, &m, &n);
    if (!s && n > nnq_onnx_proto_limit)
        s = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                      "saving model: %zu bytes exceed protobuf's limit of %llu; save to a file "
                      "with external data instead",
                      n, (unsigned long long)nnq_onnx_proto_limit);
    uint8_t *buf = NULL;
    if (!s && !(buf = nnq_malloc(n ? n : 1)))
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "saving model: cannot allocate %zu bytes", n);
    if (!s) onnx__model_proto__pack(&m, buf);
    saver_release(&S);
    if (s) return s;
    *data = buf;
    *size = n;
    return NNQ_STATUS_OK;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Write the model (and its .data file when a tensor goes external). */
static nnq_status save_with(const nnq_graph *g, const char *path, const nnq_graph_save_options *opt,
                            uint64_t threshold, const char *ext_path, bool *too_big) {
    saver S = {.threshold = threshold, .ext_location = base_name(ext_path)};
    const char *const *inputs = opt ? opt->inputs : NULL;
    size_t n_inputs = opt ? opt->n_inputs : 0;
    Onnx__ModelProto m;
    size_t n = 0;
    *too_big = false;
    /* Size first (no file yet), so the .data file is only created when used. */
    nnq_status s = build(&S, g, &m, &n);
    bool external = S.any_external;
    saver_release(&S);
    if (s) return s;
    if (n > nnq_onnx_proto_limit) {
        *too_big = true;
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "saving '%s': %zu bytes exceed protobuf's limit of %llu even with "
                         "external data",
                         path, n, (unsigned long long)nnq_onnx_proto_limit);
    }
    S = (saver){.threshold = threshold, .ext_location = base_name(ext_path)};
    if (external) NNQ_TRY(nnq_outfile_open(ext_path, inputs, n_inputs, &S.ext));
    s = build(&S, g, &m, &n);
    uint8_t *buf = NULL;
    if (!s && !(buf = nnq_malloc(n ? n : 1)))
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "saving '%s': cannot allocate %zu bytes", path, n);
    if (!s) onnx__model_proto__pack(&m, buf);
    saver_release(&S);
    if (S.ext) {
        if (s)
            nnq_outfile_abort(S.ext);
        else
            s = nnq_outfile_commit(S.ext);
    }
    if (!s) s = nnq_write_file_atomic(path, buf, n, inputs, n_inputs);
    nnq_free(buf);
    return s;
}

nnq_status nnq_graph_save(const nnq_graph *g, const char *path, const nnq_graph_save_options *opt) {
    NNQ_TRY(check_graph_arg(g, "graph_save"));
    if (!path || !*path) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_save: path is empty");
    size_t plen = strlen(path);
    char *ext_path = nnq_malloc(plen + 6);
    if (!ext_path) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph_save: out of memory");
    memcpy(ext_path, path, plen);
    memcpy(ext_path + plen, ".data", 6);
    uint64_t threshold = opt && opt->external_threshold ? opt->external_threshold : UINT64_MAX;
    bool too_big = false;
    nnq_status s = save_with(g, path, opt, threshold, ext_path, &too_big);
    if (s && too_big && threshold == UINT64_MAX) {
        nnq_clear_error();
        s = save_with(g, path, opt, AUTO_EXT_THRESHOLD, ext_path, &too_big);
    }
    nnq_free(ext_path);
    return s;
}

nnq_status nnq_graph_clone(const nnq_graph *g, nnq_graph **out) {
    void *buf = NULL;
    size_t len = 0;
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_clone: out is NULL");
    *out = NULL;
    NNQ_TRY(nnq_graph_save_memory(g, &buf, &len));
    nnq_status s = nnq_graph_load_memory(buf, len, NULL, out);
    nnq_free(buf);
    return s;
}
