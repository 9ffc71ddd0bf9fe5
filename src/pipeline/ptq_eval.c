/*
 * ptq_eval.c - float vs quantized on the same data: top-1 accuracy and
 * agreement, output SQNR, and the quantization error at every activation
 * QuantizeLinear of the quantized model, recomputed from the values flowing
 * into it with ONNX semantics (x / y_scale, round half to even, saturate),
 * and at every stored weight (ptq_eval_weights.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/ptq.h"

typedef struct eval_q {
    const char *value;   /* input of the QuantizeLinear */
    const nnq_tensor *scale, *zp;
    nnq_dtype qtype;
    int64_t axis;
    double sig, noise;
    uint64_t count, clipped;
    size_t next_same;
} eval_q;

typedef struct eval_ctx {
    eval_q *qs;
    size_t n_qs;
    nnq_name_map *by_value;
} eval_ctx;

const nnq_tensor *ptq_init_of(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_inits; i++)
        if (!strcmp(g->inits[i].name, name)) return g->inits[i].tensor;
    return NULL;
}

int64_t ptq_attr_int(const nnq_node *n, const char *name, int64_t dflt) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name) && n->attrs[i].type == NNQ_ATTR_INT)
            return n->attrs[i].i;
    return dflt;
}

void ptq_int_range(nnq_dtype t, float *lo, float *hi) {
    switch (t) {
    case NNQ_DTYPE_INT8: *lo = -128.0f, *hi = 127.0f; break;
    case NNQ_DTYPE_INT16: *lo = -32768.0f, *hi = 32767.0f; break;
    case NNQ_DTYPE_UINT16: *lo = 0.0f, *hi = 65535.0f; break;
    case NNQ_DTYPE_INT4: *lo = -8.0f, *hi = 7.0f; break;
    case NNQ_DTYPE_UINT4: *lo = 0.0f, *hi = 15.0f; break;
    default: *lo = 0.0f, *hi = 255.0f; break;
    }
}

static float zp_value(const eval_q *q, size_t i) {
    if (!q->zp || q->zp->numel == 0) return 0.0f;
    switch (q->zp->dtype) {
    case NNQ_DTYPE_INT8: return ((const int8_t *)q->zp->data)[i];
    case NNQ_DTYPE_UINT8: return ((const uint8_t *)q->zp->data)[i];
    case NNQ_DTYPE_INT16: return ((const int16_t *)q->zp->data)[i];
    case NNQ_DTYPE_UINT16: return ((const uint16_t *)q->zp->data)[i];
    default: return 0.0f; /* float8 zero points of nnq's exports are 0 */
    }
}

bool ptq_is_fp8(nnq_dtype t) {
    return t == NNQ_DTYPE_FLOAT8E4M3FN || t == NNQ_DTYPE_FLOAT8E5M2 ||
           t == NNQ_DTYPE_FLOAT8E4M3FNUZ || t == NNQ_DTYPE_FLOAT8E5M2FNUZ;
}

static void accumulate(eval_q *q, const nnq_tensor *x) {
    size_t ns = q->scale->numel, inner = 1, dim = 1;
    if (ns > 1) {
        int64_t ax = q->axis < 0 ? q->axis + x->ndim : q->axis;
        if (ax < 0 || ax >= x->ndim || (size_t)x->dims[ax] != ns) return;
        dim = ns;
        for (int d = (int)ax + 1; d < x->ndim; d++) inner *= (size_t)x->dims[d];
    }
    const float *v = x->data;
    const float *sc = q->scale->data;
    float lo, hi;
    ptq_int_range(q->qtype, &lo, &hi);
    float fmax = q->qtype == NNQ_DTYPE_FLOAT8E5M2 ? 57344.0f : 448.0f;
    for (size_t i = 0; i < x->numel; i++) {
        size_t c = ns > 1 ? (i / inner) % dim : 0;
        float s = sc[c], z = zp_value(q, c), xi = v[i], dq;
        if (!isfinite(xi)) continue;
        if (ptq_is_fp8(q->qtype)) {
            float r = xi / s;
            q->clipped += fabsf(r) > fmax;
            dq = nnq_fp8_to_float(q->qtype, nnq_fp8_from_float(q->qtype, r, true)) * s;
        } else {
            float r = nnq_round_half_even(xi / s) + z;
            q->clipped += r < lo || r > hi;
            dq = (fminf(fmaxf(r, lo), hi) - z) * s;
        }
        double e = (double)xi - (double)dq;
        q->sig += (double)xi * (double)xi;
        q->noise += e * e;
        q->count++;
    }
}

static nnq_status eval_hook(void *vctx, const nnq_exec_event *ev, nnq_tensor *value) {
    eval_ctx *c = vctx;
    size_t i;
    if (value->dtype != NNQ_DTYPE_FLOAT32 || !nnq_name_map_get(c->by_value, ev->value_name, &i))
        return NNQ_STATUS_OK;
    for (; i != SIZE_MAX; i = c->qs[i].next_same) accumulate(&c->qs[i], value);
    return NNQ_STATUS_OK;
}

/* Activation QuantizeLinear nodes of the quantized model. */
static nnq_status find_qs(const nnq_graph *g, eval_ctx *c) {
    c->qs = nnq_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *c->qs);
    if (!c->qs) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "eval: out of memory");
    NNQ_TRY(nnq_name_map_create(g->n_nodes, &c->by_value));
    for (size_t i = 0; i < g->n_nodes; i++) {
        const nnq_node *n = &g->nodes[i];
        if (strcmp(n->op_type, "QuantizeLinear") != 0 || n->n_inputs < 2) continue;
        if (ptq_init_of(g, n->inputs[0])) continue; /* a float weight quantized at run time */
        const nnq_tensor *scale = ptq_init_of(g, n->inputs[1]);
        if (!scale || scale->dtype != NNQ_DTYPE_FLOAT32) continue;
        eval_q *q = &c->qs[c->n_qs];
        q->value = n->inputs[0];
        q->scale = scale;
        q->zp = n->n_inputs > 2 && n->inputs[2][0] ? ptq_init_of(g, n->inputs[2]) : NULL;
        q->qtype = q->zp ? q->zp->dtype : (nnq_dtype)ptq_attr_int(n, "output_dtype", NNQ_DTYPE_UINT8);
        if (q->qtype == NNQ_DTYPE_UNDEFINED) q->qtype = NNQ_DTYPE_UINT8;
        q->axis = ptq_attr_int(n, "axis", 1);
        q->next_same = SIZE_MAX;
        bool existed = false;
        size_t first;
        NNQ_TRY(nnq_name_map_put(c->by_value, q->value, c->n_qs, &existed, &first));
        if (existed) {
            while (c->qs[first].next_same != SIZE_MAX) first = c->qs[first].next_same;
            c->qs[first].next_same = c->n_qs;
        }
        c->n_qs++;
    }
    return NNQ_STATUS_OK;
}

double ptq_sqnr_db(double sig, double noise) {
    if (noise == 0.0) return HUGE_VAL;
    if (sig == 0.0) return -HUGE_VAL;
    return 10.0 * log10(sig / noise);
}

static size_t argmax_row(const float *row, size_t n) {
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

typedef struct eval_totals {
    uint64_t samples, correct_f, correct_q, agree;
    double sig, noise;
    bool labels;
} eval_totals;

static nnq_status score_batch(const nnq_tensor *of, const nnq_tensor *oq, const nnq_tensor *lab,
                              size_t count, eval_totals *t) {
    char a[128], b[128];
    if (of->ndim != 2 || oq->ndim != of->ndim || of->dims[0] != oq->dims[0] ||
        of->dims[1] != oq->dims[1] || of->dtype != NNQ_DTYPE_FLOAT32 ||
        oq->dtype != NNQ_DTYPE_FLOAT32 || (size_t)of->dims[0] != count)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "eval: first outputs must be float32 [batch, classes] in both models; "
                         "float gives %s, quantized %s",
                         nnq_shape_str(of->ndim, of->dims, a, sizeof a),
                         nnq_shape_str(oq->ndim, oq->dims, b, sizeof b));
    size_t c = (size_t)of->dims[1];
    const float *f = of->data, *q = oq->data;
    for (size_t i = 0; i < count * c; i++) {
        double e = (double)f[i] - (double)q[i];
        t->sig += (double)f[i] * (double)f[i];
        t->noise += e * e;
    }
    for (size_t r = 0; r < count && c; r++) {
        size_t af = argmax_row(f + r * c, c), aq = argmax_row(q + r * c, c);
        t->agree += af == aq;
        if (lab) {
            int64_t y = ((const int64_t *)lab->data)[r];
            t->correct_f += (int64_t)af == y;
            t->correct_q += (int64_t)aq == y;
        }
    }
    t->labels = lab != NULL;
    t->samples += count;
    return NNQ_STATUS_OK;
}

typedef struct eval_run {
    nnq_exec *ef, *eq;
    size_t *map_f, *map_q;
    const nnq_tensor **in_f, **in_q;
    nnq_tensor *view_f, *view_q;
    nnq_tensor **out_f, **out_q;
} eval_run;

static void free_outputs(nnq_tensor **o, size_t n) {
    for (size_t i = 0; i < n; i++) {
        nnq_tensor_free(o[i]);
        o[i] = NULL;
    }
}

static nnq_status run_all(eval_run *r, nnq_dataset *ds, const nnq_eval_options *o,
                          eval_totals *t) {
    size_t nf = nnq_exec_input_count(r->ef), nq = nnq_exec_input_count(r->eq);
    size_t mf = nnq_exec_output_count(r->ef), mq = nnq_exec_output_count(r->eq);
    NNQ_TRY(ptq_match_inputs(r->ef, ds, r->map_f));
    NNQ_TRY(ptq_match_inputs(r->eq, ds, r->map_q));
    uint64_t total = nnq_dataset_num_samples(ds);
    if (total == 0) return nnq_error(NNQ_STATUS_EMPTY, "eval: the data has no samples");
    if (mf == 0 || mq == 0) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "eval: a model has no outputs");
    NNQ_TRY(nnq_dataset_rewind(ds));
    for (;;) {
        size_t count = 0;
        NNQ_TRY(nnq_dataset_next(ds, &count));
        if (count == 0) break;
        NNQ_TRY(ptq_check_batch(r->ef, ds, r->map_f, r->view_f, r->in_f));
        NNQ_TRY(ptq_check_batch(r->eq, ds, r->map_q, r->view_q, r->in_q));
        nnq_status st = nnq_exec_run(r->ef, (const nnq_tensor *const *)r->in_f, nf, r->out_f, mf);
        if (!st) st = nnq_exec_run(r->eq, (const nnq_tensor *const *)r->in_q, nq, r->out_q, mq);
        if (!st) st = score_batch(r->out_f[0], r->out_q[0], nnq_dataset_labels(ds), count, t);
        free_outputs(r->out_f, mf);
        free_outputs(r->out_q, mq);
        if (st) return st;
        if (o && o->progress) o->progress(o->progress_ctx, "eval", t->samples, total);
    }
    return NNQ_STATUS_OK;
}

static int site_cmp(const void *a, const void *b) {
    const nnq_eval_site *x = a, *y = b;
    if (x->matched != y->matched) return x->matched ? -1 : 1;
    if (x->sqnr_db < y->sqnr_db) return -1;
    if (x->sqnr_db > y->sqnr_db) return 1;
    return strcmp(x->name, y->name);
}

static nnq_status fill_report(const nnq_graph *gf, const nnq_graph *gq, const eval_ctx *c,
                              const eval_totals *t, nnq_eval_report *r) {
    r->samples = t->samples;
    r->has_labels = t->labels;
    double n = t->samples ? (double)t->samples : 1.0;
    r->float_top1 = (double)t->correct_f / n;
    r->quant_top1 = (double)t->correct_q / n;
    r->agreement = (double)t->agree / n;
    r->output_sqnr_db = ptq_sqnr_db(t->sig, t->noise);
    size_t n_sites = c->n_qs + ptq_eval_weight_count(gq);
    r->sites = nnq_calloc(n_sites ? n_sites : 1, sizeof *r->sites);
    if (!r->sites) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "eval: out of memory");
    for (size_t i = 0; i < c->n_qs; i++) {
        const eval_q *q = &c->qs[i];
        /* nnq names its Q nodes "<site>/QuantizeLinear": report the site. */
        const char *qn = NULL;
        for (size_t k = 0; k < gq->n_nodes && !qn; k++)
            if (!strcmp(gq->nodes[k].op_type, "QuantizeLinear") &&
                !strcmp(gq->nodes[k].inputs[0], q->value) &&
                ptq_init_of(gq, gq->nodes[k].inputs[1]) == q->scale)
                qn = gq->nodes[k].name;
        size_t len = strlen(qn ? qn : q->value);
        const char *suffix = "/QuantizeLinear";
        size_t sl = strlen(suffix);
        if (qn && len > sl && !strcmp(qn + len - sl, suffix)) len -= sl;
        nnq_eval_site *s = &r->sites[r->n_sites++];
        s->name = nnq_malloc(len + 1);
        if (!s->name) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "eval: out of memory");
        memcpy(s->name, qn ? qn : q->value, len);
        s->name[len] = '\0';
        s->sqnr_db = ptq_sqnr_db(q->sig, q->noise);
        s->clip_fraction = q->count ? (double)q->clipped / (double)q->count : 0.0;
        s->count = q->count;
        s->kind = NNQ_EVAL_SITE_ACTIVATION;
        s->matched = true;
    }
    NNQ_TRY(ptq_eval_weights(gf, gq, r));
    qsort(r->sites, r->n_sites, sizeof *r->sites, site_cmp);
    return NNQ_STATUS_OK;
}

void nnq_eval_report_free(nnq_eval_report *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_sites; i++) nnq_free(r->sites[i].name);
    nnq_free(r->sites);
    nnq_free(r);
}

static void eval_run_free(eval_run *r) {
    nnq_exec_free(r->ef);
    nnq_exec_free(r->eq);
    nnq_free(r->map_f);
    nnq_free(r->map_q);
    nnq_free(r->in_f);
    nnq_free(r->in_q);
    nnq_free(r->view_f);
    nnq_free(r->view_q);
    nnq_free(r->out_f);
    nnq_free(r->out_q);
}

static nnq_status eval_run_alloc(eval_run *r) {
    size_t nf = nnq_exec_input_count(r->ef) + 1, nq = nnq_exec_input_count(r->eq) + 1;
    r->map_f = nnq_calloc(nf, sizeof *r->map_f);
    r->map_q = nnq_calloc(nq, sizeof *r->map_q);
    r->in_f = nnq_calloc(nf, sizeof *r->in_f);
    r->in_q = nnq_calloc(nq, sizeof *r->in_q);
    r->view_f = nnq_calloc(nf, sizeof *r->view_f);
    r->view_q = nnq_calloc(nq, sizeof *r->view_q);
    r->out_f = nnq_calloc(nnq_exec_output_count(r->ef) + 1, sizeof *r->out_f);
    r->out_q = nnq_calloc(nnq_exec_output_count(r->eq) + 1, sizeof *r->out_q);
    if (!r->map_f || !r->map_q || !r->in_f || !r->in_q || !r->view_f || !r->view_q || !r->out_f ||
        !r->out_q)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "eval: out of memory");
    return NNQ_STATUS_OK;
}

nnq_status nnq_eval_run(const nnq_graph *gf, const nnq_graph *gq, nnq_dataset *ds,
                        const nnq_eval_options *o, nnq_eval_report **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "eval: out is NULL");
    *out = NULL;
    if (!gf || !gq || !ds) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "eval: NULL argument");
    eval_ctx c = {0};
    eval_run r = {0};
    eval_totals t = {0};
    nnq_eval_report *rep = nnq_calloc(1, sizeof *rep);
    nnq_status st = rep ? find_qs(gq, &c) : nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "eval: out of memory");
    nnq_exec_options ef = {.pool = o ? o->pool : NULL};
    nnq_exec_options eq = {.pool = ef.pool, .hook = eval_hook, .hook_ctx = &c};
    if (!st) st = nnq_exec_create(gf, &ef, &r.ef);
    if (st) st = nnq_error_prefix(st, "eval: float model: ");
    if (!st) {
        st = nnq_exec_create(gq, &eq, &r.eq);
        if (st) st = nnq_error_prefix(st, "eval: quantized model: ");
    }
    if (!st) st = eval_run_alloc(&r);
    if (!st) st = run_all(&r, ds, o, &t);
    if (!st) st = fill_report(gf, gq, &c, &t, rep);
    eval_run_free(&r);
    nnq_free(c.qs);
    nnq_name_map_free(c.by_value);
    if (st) {
        nnq_eval_report_free(rep);
        return st;
    }
    *out = rep;
    return NNQ_STATUS_OK;
}

static const char *kind_name(nnq_eval_site_kind k) {
    return k == NNQ_EVAL_SITE_WEIGHT ? "weight" : "activation";
}

static void json_num(cfg_buf *b, double v) {
    if (isfinite(v)) cfg_buf_printf(b, "%.6f", v);
    else cfg_buf_printf(b, "null");
}

nnq_status nnq_eval_report_format(const nnq_eval_report *r, bool json, char **out) {
    if (!r || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "eval: NULL argument");
    cfg_buf b = {0};
    if (json) {
        cfg_buf_printf(&b, "{\"samples\": %llu, ", (unsigned long long)r->samples);
        if (r->has_labels) {
            cfg_buf_printf(&b, "\"float_top1\": %.6f, \"quant_top1\": %.6f, ", r->float_top1,
                           r->quant_top1);
        } else {
            cfg_buf_printf(&b, "\"float_top1\": null, \"quant_top1\": null, ");
        }
        cfg_buf_printf(&b, "\"agreement\": %.6f, \"output_sqnr_db\": ", r->agreement);
        json_num(&b, r->output_sqnr_db);
        cfg_buf_printf(&b, ", \"sites\": [");
        for (size_t i = 0; i < r->n_sites; i++) {
            cfg_buf_printf(&b, "%s{\"name\": ", i ? ", " : "");
            cfg_buf_json_string(&b, r->sites[i].name);
            cfg_buf_printf(&b, ", \"sqnr_db\": ");
            json_num(&b, r->sites[i].sqnr_db);
            cfg_buf_printf(&b, ", \"clip_fraction\": %.8f, \"count\": %llu, \"kind\": \"%s\", "
                           "\"matched\": %s}",
                           r->sites[i].clip_fraction, (unsigned long long)r->sites[i].count,
                           kind_name(r->sites[i].kind), r->sites[i].matched ? "true" : "false");
        }
        cfg_buf_printf(&b, "]}\n");
        return cfg_buf_finish(&b, "eval report", out);
    }
    cfg_buf_printf(&b, "samples:          %llu\n", (unsigned long long)r->samples);
    if (r->has_labels) {
        cfg_buf_printf(&b, "top-1 float:      %.2f %%\n", 100.0 * r->float_top1);
        cfg_buf_printf(&b, "top-1 quantized:  %.2f %% (%+.2f points)\n", 100.0 * r->quant_top1,
                       100.0 * (r->quant_top1 - r->float_top1));
    }
    cfg_buf_printf(&b, "top-1 agreement:  %.2f %%\n", 100.0 * r->agreement);
    cfg_buf_printf(&b, "output SQNR:      %.2f dB\n", r->output_sqnr_db);
    if (r->n_sites) {
        int w = 4;
        for (size_t i = 0; i < r->n_sites; i++)
            if ((int)strlen(r->sites[i].name) > w) w = (int)strlen(r->sites[i].name);
        cfg_buf_printf(&b, "quantization error per site (worst first):\n");
        cfg_buf_printf(&b, "  %-*s  %-10s  %9s  %10s\n", w, "site", "kind", "SQNR dB",
                       "clipped %");
        for (size_t i = 0; i < r->n_sites; i++) {
            const nnq_eval_site *s = &r->sites[i];
            if (s->matched)
                cfg_buf_printf(&b, "  %-*s  %-10s  %9.2f  %10.4f\n", w, s->name,
                               kind_name(s->kind), s->sqnr_db, 100.0 * s->clip_fraction);
            else
                cfg_buf_printf(&b, "  %-*s  %-10s  %9s\n", w, s->name, kind_name(s->kind),
                               "unmatched");
        }
    }
    return cfg_buf_finish(&b, "eval report", out);
}
