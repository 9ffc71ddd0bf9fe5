/*
 * ptq_plan.c - a PTQ session: copy the model, fold BatchNormalization,
 * place quantizer sites where TensorRT fuses them and resolve the config for
 * each (docs/quantize.md, "Sites").
 */
#include <string.h>

#include "pipeline/ptq.h"

static bool is_weighted_op(const char *op) {
    return !strcmp(op, "Conv") || !strcmp(op, "ConvTranspose") || !strcmp(op, "Gemm") ||
           !strcmp(op, "MatMul");
}

static bool is_pool_op(const char *op) {
    return !strcmp(op, "MaxPool") || !strcmp(op, "AveragePool") ||
           !strcmp(op, "GlobalAveragePool");
}

static int64_t node_attr_int(const nnq_node *n, const char *name, int64_t dflt) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name) && n->attrs[i].type == NNQ_ATTR_INT)
            return n->attrs[i].i;
    return dflt;
}

void ptq_range_clear(ptq_range *r) {
    nnq_free(r->amax);
    nnq_free(r->rmin);
    nnq_free(r->rmax);
    memset(r, 0, sizeof *r);
}

static void site_clear(ptq_site *s) {
    nnq_free(s->name);
    nnq_free(s->cfg_name);
    nnq_free(s->node_name);
    nnq_free(s->op_type);
    nnq_free(s->tensor);
    nnq_free(s->note);
    nnq_calib_free(s->calib);
    ptq_range_clear(&s->range);
}

void nnq_ptq_free(nnq_ptq *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_sites; i++) site_clear(&p->sites[i]);
    nnq_free(p->sites);
    nnq_graph_free(p->g);
    nnq_free(p);
}

static nnq_status set_note(ptq_site *s, const char *prefix, const char *arg) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s%s", prefix, arg ? arg : "", arg ? "'" : "");
    nnq_free(s->note);
    s->note = nnq_strdup(buf);
    s->enabled = false;
    if (!s->note) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "ptq: out of memory");
    return NNQ_STATUS_OK;
}

nnq_status ptq_site_qtype(const ptq_site *s, ptq_qtype *q) {
    const nnq_site_attrs *a = &s->attrs;
    memset(q, 0, sizeof *q);
    q->min_opset = a->n_axes ? 13 : 10;
    switch (a->format) {
    case NNQ_SITE_FORMAT_INT:
        q->f = (nnq_int_format){a->num_bits, a->is_unsigned, a->narrow_range};
        if (a->num_bits == 8) {
            q->dtype = a->is_unsigned ? NNQ_DTYPE_UINT8 : NNQ_DTYPE_INT8;
        } else if (a->num_bits == 4 || a->num_bits == 16) {
            q->dtype = a->num_bits == 4 ? (a->is_unsigned ? NNQ_DTYPE_UINT4 : NNQ_DTYPE_INT4)
                                        : (a->is_unsigned ? NNQ_DTYPE_UINT16 : NNQ_DTYPE_INT16);
            q->min_opset = 21;
        } else {
            return nnq_error(NNQ_STATUS_UNSUPPORTED,
                             "quantize: site '%s' has num_bits %d; ONNX QuantizeLinear / "
                             "DequantizeLinear exist for 4, 8 and 16 bits only",
                             s->name, a->num_bits);
        }
        q->bound = a->is_unsigned ? (float)((1u << a->num_bits) - 1u)
                                  : (float)((1u << (a->num_bits - 1)) - 1u);
        break;
    case NNQ_SITE_FORMAT_FP8_E4M3:
        q->dtype = NNQ_DTYPE_FLOAT8E4M3FN, q->bound = 448.0f, q->is_float = true;
        q->min_opset = 19;
        break;
    case NNQ_SITE_FORMAT_FP8_E5M2:
        q->dtype = NNQ_DTYPE_FLOAT8E5M2, q->bound = 57344.0f, q->is_float = true;
        q->min_opset = 19;
        break;
    default:
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "quantize: site '%s' has format %s, which has no ONNX QDQ form "
                         "(supported: int 4/8/16 bits, fp8_e4m3, fp8_e5m2)",
                         s->name, nnq_site_format_name(a->format));
    }
    if (a->n_block) q->min_opset = 21;
    return NNQ_STATUS_OK;
}

static bool minmax_calib(nnq_site_calib c) {
    return c == NNQ_SITE_CALIB_MIN_MAX || c == NNQ_SITE_CALIB_MOVING_AVERAGE_MIN_MAX ||
           c == NNQ_SITE_CALIB_EMA_MIN_MAX;
}

/* Rules that make an enabled site impossible to export: errors. */
static nnq_status check_exportable(const ptq_site *s) {
    ptq_qtype qt;
    NNQ_TRY(ptq_site_qtype(s, &qt));
    const nnq_site_attrs *a = &s->attrs;
    if (a->n_axes > 1)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "quantize: site '%s' keeps %d axes; ONNX scales are per-tensor or "
                         "along one axis", s->name, a->n_axes);
    if (ptq_site_affine(s) && qt.is_float)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "quantize: site '%s': mode linear needs an "
                         "integer format", s->name);
    if (s->kind == NNQ_SITE_WEIGHT) {
        if (a->n_block > 1)
            return nnq_error(NNQ_STATUS_UNSUPPORTED,
                             "quantize: site '%s' has an n-d block shape; ONNX blocks run "
                             "along one axis (give block_size as one integer)", s->name);
        return NNQ_STATUS_OK;
    }
    if (a->n_block)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "quantize: site '%s' quantizes an activation in blocks; only weights "
                         "take block_size", s->name);
    if (ptq_site_affine(s) && !a->has_amax && !minmax_calib(a->calib_method))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "quantize: site '%s' has mode linear (zero points) with calib_method "
                         "%s; affine ranges need min_max, moving_average_min_max or "
                         "ema_min_max", s->name, nnq_site_calib_name(a->calib_method));
    return NNQ_STATUS_OK;
}

/* Output / input axes of a weight as stored (docs/configuration.md). */
static void weight_axes(const nnq_node *n, const nnq_tensor *w, ptq_site *s) {
    const char *op = n->op_type;
    if (!strcmp(op, "ConvTranspose")) {
        s->out_axis = 1, s->in_axis = 0;
    } else if (!strcmp(op, "Gemm")) {
        bool tb = node_attr_int(n, "transB", 0) != 0;
        s->out_axis = tb ? 0 : 1, s->in_axis = tb ? 1 : 0;
    } else if (!strcmp(op, "MatMul")) {
        s->out_axis = w->ndim - 1, s->in_axis = w->ndim >= 2 ? w->ndim - 2 : 0;
    } else {
        s->out_axis = 0, s->in_axis = 1;
    }
}

/* Weight shapes that cannot take the config: axis errors, block fallbacks. */
static nnq_status check_weight_shape(ptq_site *s, const nnq_tensor *w) {
    const nnq_site_attrs *a = &s->attrs;
    if (a->n_axes == 1) {
        int ax = a->axes[0];
        if (ax < -w->ndim || ax >= w->ndim)
            return nnq_error(NNQ_STATUS_AXIS_OUT_OF_RANGE,
                             "quantize: site '%s': axis %d outside [-%d, %d) of weight '%s'",
                             s->name, ax, w->ndim, w->ndim, s->tensor);
    }
    if (a->n_block == 1) {
        if (s->in_axis >= w->ndim || w->dims[s->in_axis] % a->block[0] != 0) {
            char why[256];
            snprintf(why, sizeof why,
                     "kept float: weight has %lld input channels (axis %d), not a multiple of "
                     "block_size %lld",
                     s->in_axis < w->ndim ? (long long)w->dims[s->in_axis] : 0LL, s->in_axis,
                     (long long)a->block[0]);
            return set_note(s, why, NULL);
        }
    }
    return NNQ_STATUS_OK;
}

/* The second input of a MatMul that is an activation (attention scores,
 * Q·Kᵀ) is a second input site, "<node>.input1_quantizer", as ModelOpt
 * gives a bmm one quantizer per operand.  The config has three site kinds,
 * so it is configured as the node's input_quantizer: both operands get the
 * same attributes. */
static bool is_matmul_b(const char *op, nnq_site_kind kind, size_t input_index) {
    return kind == NNQ_SITE_INPUT && input_index == 1 && !strcmp(op, "MatMul");
}

/* Config facts of a site's tensor: a graph input that is not an
 * initializer (old models list initializers as inputs) is the model input,
 * which the config's model_input section may treat apart. */
static uint32_t site_flags(nnq_graph *g, const char *tensor) {
    if (nnq_graph_find_init(g, tensor) >= 0) return 0;
    for (size_t i = 0; i < g->n_inputs; i++)
        if (strcmp(g->inputs[i].name, tensor) == 0) return NNQ_CONFIG_SITE_GRAPH_INPUT;
    return 0;
}

static nnq_status add_site(nnq_ptq *p, const nnq_node *n, nnq_site_kind kind, const char *tensor,
                           size_t input_index) {
    if (p->n_sites == p->cap_sites) {
        size_t cap = p->cap_sites ? p->cap_sites * 2 : 16, bytes;
        if (!nnq_size_mul(cap, sizeof *p->sites, &bytes))
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "ptq: too many sites");
        ptq_site *ns = nnq_realloc(p->sites, bytes);
        if (!ns) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "ptq: out of memory planning sites");
        p->sites = ns, p->cap_sites = cap;
    }
    ptq_site *s = &p->sites[p->n_sites];
    memset(s, 0, sizeof *s);
    p->n_sites++;
    size_t len = strlen(n->name) + 24;
    s->name = nnq_malloc(len);
    s->node_name = nnq_strdup(n->name);
    s->op_type = nnq_strdup(n->op_type);
    s->tensor = nnq_strdup(tensor);
    s->next_same = SIZE_MAX;
    if (!s->name || !s->node_name || !s->op_type || !s->tensor)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "ptq: out of memory planning sites");
    snprintf(s->name, len, "%s.%s", n->name, nnq_site_kind_name(kind));
    if (is_matmul_b(n->op_type, kind, input_index)) {
        s->cfg_name = s->name;
        s->name = nnq_malloc(len);
        if (!s->name) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "ptq: out of memory planning sites");
        snprintf(s->name, len, "%s.input1_quantizer", n->name);
    }
    s->kind = kind;
    s->input_index = input_index;
    nnq_config_site cs = {ptq_site_cfg_name(s), n->op_type, n->name, site_flags(p->g, tensor)};
    NNQ_TRY(nnq_config_resolve_site(p->cfg, &cs, &s->attrs));
    s->enabled = s->attrs.enable;
    return NNQ_STATUS_OK;
}

static bool is_activation(nnq_graph *g, const char *v) {
    return v && v[0] && nnq_graph_find_init(g, v) < 0;
}

static bool produced_by_weighted(nnq_graph *g, const char *v) {
    ptrdiff_t k = nnq_graph_find_producer(g, v);
    return k >= 0 && is_weighted_op(g->nodes[k].op_type);
}

static nnq_status plan_node(nnq_ptq *p, size_t ni) {
    nnq_graph *g = p->g;
    const nnq_node *n = &g->nodes[ni];
    if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0) return NNQ_STATUS_OK;
    if (is_weighted_op(n->op_type)) {
        if (n->n_inputs > 0 && is_activation(g, n->inputs[0]))
            NNQ_TRY(add_site(p, n, NNQ_SITE_INPUT, n->inputs[0], 0));
        ptrdiff_t wi = n->n_inputs > 1 ? nnq_graph_find_init(g, n->inputs[1]) : -1;
        if (wi >= 0 && g->inits[wi].tensor->dtype == NNQ_DTYPE_FLOAT32) {
            const nnq_tensor *w = g->inits[wi].tensor;
            NNQ_TRY(add_site(p, &g->nodes[ni], NNQ_SITE_WEIGHT, n->inputs[1], 1));
            weight_axes(n, w, &p->sites[p->n_sites - 1]);
        } else if (!strcmp(n->op_type, "MatMul") && n->n_inputs > 1 &&
                   is_activation(g, n->inputs[1])) {
            NNQ_TRY(add_site(p, n, NNQ_SITE_INPUT, n->inputs[1], 1));
        }
        if (n->n_outputs > 0 && n->outputs[0][0])
            NNQ_TRY(add_site(p, n, NNQ_SITE_OUTPUT, n->outputs[0], 0));
    } else if (p->opt.quantize_pool && is_pool_op(n->op_type)) {
        if (n->n_inputs > 0 && is_activation(g, n->inputs[0]))
            NNQ_TRY(add_site(p, n, NNQ_SITE_INPUT, n->inputs[0], 0));
    } else if (p->opt.quantize_add && !strcmp(n->op_type, "Add") && n->n_inputs == 2 &&
               is_activation(g, n->inputs[0]) && is_activation(g, n->inputs[1])) {
        /* TensorRT fuses the branch coming from a convolution as the
         * residual input: quantize the other one. */
        size_t k = produced_by_weighted(g, n->inputs[1]) && !produced_by_weighted(g, n->inputs[0])
                       ? 0 : 1;
        NNQ_TRY(add_site(p, n, NNQ_SITE_INPUT, n->inputs[k], k));
    }
    return NNQ_STATUS_OK;
}

static nnq_status apply_excludes(nnq_ptq *p, const nnq_ptq_options *o) {
    nnq_status st = NNQ_STATUS_OK;
    for (size_t e = 0; e < o->n_exclude && !st; e++) {
        cfg_glob *gl = NULL;
        const char *why = NULL;
        if (!o->exclude[e]) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "quantize: exclude "
                                             "pattern %zu is NULL", e);
        if (cfg_glob_compile(o->exclude[e], &gl, &why))
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "quantize: exclude pattern '%s': %s",
                             o->exclude[e], why ? why : "malformed");
        for (size_t i = 0; i < p->n_sites && !st; i++) {
            ptq_site *s = &p->sites[i];
            if (s->enabled && (cfg_glob_match(gl, s->name) || cfg_glob_match(gl, s->node_name)))
                st = set_note(s, "excluded by --exclude '", o->exclude[e]);
        }
        cfg_glob_free(gl);
    }
    return st;
}

static nnq_status keep_layer(nnq_ptq *p, bool last, const char *why) {
    const char *node = NULL;
    for (size_t i = 0; i < p->n_sites; i++) {
        size_t k = last ? p->n_sites - 1 - i : i;
        if (is_weighted_op(p->sites[k].op_type)) {
            node = p->sites[k].node_name;
            break;
        }
    }
    if (!node) return NNQ_STATUS_OK;
    for (size_t i = 0; i < p->n_sites; i++)
        if (p->sites[i].enabled && !strcmp(p->sites[i].node_name, node))
            NNQ_TRY(set_note(&p->sites[i], why, NULL));
    return NNQ_STATUS_OK;
}

static nnq_status validate_sites(nnq_ptq *p) {
    for (size_t i = 0; i < p->n_sites; i++) {
        ptq_site *s = &p->sites[i];
        if (!s->enabled) continue;
        NNQ_TRY(cfg_attrs_check(&s->attrs, s->name));
        NNQ_TRY(check_exportable(s));
        if (s->kind == NNQ_SITE_WEIGHT) {
            ptrdiff_t wi = nnq_graph_find_init(p->g, s->tensor);
            NNQ_TRY(check_weight_shape(s, p->g->inits[wi].tensor));
        }
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_ptq_create(const nnq_graph *model, const nnq_config *cfg,
                          const nnq_ptq_options *options, nnq_ptq **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "quantize: out is NULL");
    *out = NULL;
    if (!model || !cfg)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "quantize: %s is NULL",
                         model ? "config" : "model");
    nnq_ptq *p = nnq_calloc(1, sizeof *p);
    if (!p) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "quantize: out of memory");
    if (options) p->opt = *options;
    p->opt.exclude = NULL, p->opt.n_exclude = 0; /* borrowed only during create */
    p->cfg = cfg;
    nnq_status s = nnq_graph_clone(model, &p->g);
    if (!s) s = nnq_graph_toposort(p->g);
    if (!s && !p->opt.no_fold_batchnorm) s = nnq_graph_fold_batchnorm(p->g, &p->n_folded);
    for (size_t i = 0; !s && i < p->g->n_nodes; i++) s = plan_node(p, i);
    if (!s && options) s = apply_excludes(p, options);
    if (!s && p->opt.keep_first) s = keep_layer(p, false, "first layer kept float (--keep-first)");
    if (!s && p->opt.keep_last) s = keep_layer(p, true, "last layer kept float (--keep-last)");
    if (!s) s = validate_sites(p);
    if (s) {
        nnq_ptq_free(p);
        return s;
    }
    /* The config is needed again only by nnq_ptq_check_config. */
    *out = p;
    return NNQ_STATUS_OK;
}

size_t nnq_ptq_site_count(const nnq_ptq *p) { return p ? p->n_sites : 0; }

nnq_status nnq_ptq_site(const nnq_ptq *p, size_t i, nnq_ptq_site_info *out) {
    if (!p || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "ptq_site: NULL argument");
    if (i >= p->n_sites)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "ptq_site: index %zu, but the model has %zu "
                         "sites", i, p->n_sites);
    const ptq_site *s = &p->sites[i];
    out->name = s->name;
    out->node_name = s->node_name;
    out->op_type = s->op_type;
    out->tensor = s->tensor;
    out->kind = (nnq_ptq_site_kind)s->kind;
    out->enabled = s->enabled;
    out->note = s->note;
    return NNQ_STATUS_OK;
}

nnq_status nnq_ptq_check_config(const nnq_ptq *p, size_t *n_unmatched, char **report) {
    if (!p || !report) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "ptq: NULL argument");
    nnq_config_site *cs = nnq_calloc(p->n_sites ? p->n_sites : 1, sizeof *cs);
    if (!cs) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "ptq: out of memory");
    for (size_t i = 0; i < p->n_sites; i++)
        cs[i] = (nnq_config_site){ptq_site_cfg_name(&p->sites[i]), p->sites[i].op_type, p->sites[i].node_name,
                                  site_flags(p->g, p->sites[i].tensor)};
    nnq_status s = nnq_config_check_sites(p->cfg, cs, p->n_sites, n_unmatched, report);
    nnq_free(cs);
    return s;
}
