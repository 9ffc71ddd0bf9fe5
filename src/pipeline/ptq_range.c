/*
 * ptq_range.c - ranges (amax or min / max) of every site and the QDQ scale
 * and zero point they give (DESIGN.md section 3: y_scale = amax / bound).
 */
#include <math.h>
#include <string.h>

#include "pipeline/ptq.h"

/* amax at or below this quantizes everything to 0 (DESIGN.md); ONNX needs
 * a positive scale, so such channels get scale 1. */
#define PTQ_TINY_AMAX 5.9604645e-08f

nnq_status ptq_calib_config(const ptq_site *s, nnq_calib_config *c,
                            nnq_calib_amax_options *ao) {
    const nnq_site_attrs *a = &s->attrs;
    memset(c, 0, sizeof *c);
    memset(ao, 0, sizeof *ao);
    switch (a->calib_method) {
    case NNQ_SITE_CALIB_MAX: c->kind = NNQ_CALIB_KIND_MAX; break;
    case NNQ_SITE_CALIB_MIN_MAX: c->kind = NNQ_CALIB_KIND_MINMAX; break;
    case NNQ_SITE_CALIB_MOVING_AVERAGE_MIN_MAX:
        c->kind = NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX;
        break;
    case NNQ_SITE_CALIB_EMA_MIN_MAX: c->kind = NNQ_CALIB_KIND_EMA_MINMAX; break;
    case NNQ_SITE_CALIB_ENTROPY: c->kind = NNQ_CALIB_KIND_HISTOGRAM, ao->method = NNQ_CALIB_METHOD_ENTROPY; break;
    case NNQ_SITE_CALIB_MSE: c->kind = NNQ_CALIB_KIND_HISTOGRAM, ao->method = NNQ_CALIB_METHOD_MSE; break;
    case NNQ_SITE_CALIB_PERCENTILE:
        c->kind = NNQ_CALIB_KIND_HISTOGRAM, ao->method = NNQ_CALIB_METHOD_PERCENTILE;
        ao->percentile = a->percentile;
        break;
    case NNQ_SITE_CALIB_EMA_PERCENTILE:
        c->kind = NNQ_CALIB_KIND_EMA_PERCENTILE, c->percentile = a->percentile;
        break;
    default:
        return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "quantize: site '%s': calib_method %d unknown",
                         s->name, (int)a->calib_method);
    }
    c->num_bits = a->format == NNQ_SITE_FORMAT_INT ? a->num_bits : 8;
    c->is_unsigned = a->format == NNQ_SITE_FORMAT_INT && a->is_unsigned && a->symmetric;
    c->num_bins = a->num_bins;
    if (a->n_axes == 1) c->per_axis = true, c->axis = a->axes[0];
    return NNQ_STATUS_OK;
}

static nnq_status range_alloc(ptq_range *r, size_t n, bool affine) {
    ptq_range_clear(r);
    r->n = n;
    r->amax = nnq_calloc(n, sizeof *r->amax);
    if (affine) {
        r->rmin = nnq_calloc(n, sizeof *r->rmin);
        r->rmax = nnq_calloc(n, sizeof *r->rmax);
    }
    if (!r->amax || (affine && (!r->rmin || !r->rmax))) {
        ptq_range_clear(r);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "quantize: out of memory for ranges");
    }
    return NNQ_STATUS_OK;
}

static void amax_from_minmax(ptq_range *r) {
    for (size_t i = 0; i < r->n; i++) r->amax[i] = fmaxf(fabsf(r->rmin[i]), fabsf(r->rmax[i]));
}

/* The layout of a weight's scales: per-tensor, along its axis, or blocks
 * along the input axis. */
static nnq_status weight_layout(const ptq_site *s, const nnq_tensor *w, nnq_qlayout *l,
                                int *axis) {
    const nnq_site_attrs *a = &s->attrs;
    *axis = -1;
    if (a->n_block == 1) {
        *axis = s->in_axis;
        return nnq_qlayout_per_block(w->ndim, w->dims, s->in_axis, a->block[0], l);
    }
    if (a->n_axes == 1) {
        int ax = a->axes[0] < 0 ? a->axes[0] + w->ndim : a->axes[0];
        *axis = ax;
        return nnq_qlayout_per_axes(w->ndim, w->dims, &ax, 1, l);
    }
    return nnq_qlayout_per_tensor(w->ndim, w->dims, l);
}

static nnq_status weight_range(const nnq_ptq *p, ptq_site *s) {
    ptrdiff_t wi = nnq_graph_find_init(p->g, s->tensor);
    if (wi < 0) return nnq_error(NNQ_STATUS_INTERNAL, "quantize: weight '%s' vanished", s->tensor);
    const nnq_tensor *w = p->g->inits[wi].tensor;
    nnq_qlayout l;
    int axis;
    NNQ_TRY(weight_layout(s, w, &l, &axis));
    bool affine = ptq_site_affine(s);
    size_t n = nnq_qlayout_nscales(&l);
    NNQ_TRY(range_alloc(&s->range, n, affine));
    nnq_status st;
    if (s->attrs.has_amax) {
        for (size_t i = 0; i < n; i++) s->range.amax[i] = s->attrs.amax;
        st = NNQ_STATUS_OK;
    } else if (affine) {
        st = nnq_quant_minmax(w->data, &l, s->range.rmin, s->range.rmax, p->opt.pool);
        if (!st) amax_from_minmax(&s->range);
    } else if (s->attrs.calib_method == NNQ_SITE_CALIB_MAX || s->attrs.n_block ||
               s->attrs.calib_method == NNQ_SITE_CALIB_MIN_MAX) {
        st = nnq_quant_amax(w->data, &l, s->range.amax, p->opt.pool);
    } else {
        /* Histogram methods on a weight: one pass of the whole tensor. */
        nnq_calib_config cc;
        nnq_calib_amax_options ao;
        nnq_calib *c = NULL;
        st = ptq_calib_config(s, &cc, &ao);
        if (!st && axis >= 0) cc.per_axis = true, cc.axis = axis;
        if (!st) st = nnq_calib_create(&cc, &c);
        if (!st) st = nnq_calib_collect(c, w, p->opt.pool);
        if (!st) st = nnq_calib_compute_amax(c, &ao, s->range.amax, n);
        nnq_calib_free(c);
    }
    if (st) {
        ptq_range_clear(&s->range);
        return nnq_error_prefix(st, "quantize: weight site '%s': ", s->name);
    }
    return NNQ_STATUS_OK;
}

static nnq_status activation_range(ptq_site *s) {
    bool affine = ptq_site_affine(s);
    if (s->attrs.has_amax) {
        NNQ_TRY(range_alloc(&s->range, 1, affine));
        s->range.amax[0] = s->attrs.amax;
        if (affine) s->range.rmin[0] = -s->attrs.amax, s->range.rmax[0] = s->attrs.amax;
        return NNQ_STATUS_OK;
    }
    if (!s->calib || nnq_calib_channels(s->calib) == 0)
        return nnq_error(NNQ_STATUS_INVALID_STATE,
                         "quantize: site '%s' has no calibration statistics (calibrate on data, "
                         "load a --calib-table that has it, or give a fixed amax)", s->name);
    size_t n = nnq_calib_channels(s->calib);
    NNQ_TRY(range_alloc(&s->range, n, affine));
    nnq_calib_config cc;
    nnq_calib_amax_options ao;
    nnq_status st = ptq_calib_config(s, &cc, &ao);
    if (!st && affine) {
        st = nnq_calib_get_range(s->calib, s->range.rmin, s->range.rmax, n);
        if (!st) amax_from_minmax(&s->range);
    } else if (!st) {
        st = nnq_calib_compute_amax(s->calib, &ao, s->range.amax, n);
    }
    if (st) {
        ptq_range_clear(&s->range);
        return nnq_error_prefix(st, "quantize: site '%s': ", s->name);
    }
    return NNQ_STATUS_OK;
}

nnq_status ptq_compute_ranges(nnq_ptq *p, bool require_all) {
    for (size_t i = 0; i < p->n_sites; i++) {
        ptq_site *s = &p->sites[i];
        if (!s->enabled || s->range.n) continue;
        if (!require_all && s->kind != NNQ_SITE_WEIGHT && !s->calib && !s->attrs.has_amax)
            continue;
        NNQ_TRY(s->kind == NNQ_SITE_WEIGHT ? weight_range(p, s) : activation_range(s));
    }
    return NNQ_STATUS_OK;
}

void ptq_qparams_clear(ptq_qparams *q) {
    nnq_free(q->scale);
    nnq_free(q->zp);
    memset(q, 0, sizeof *q);
}

nnq_status ptq_site_qparams(const nnq_ptq *p, const ptq_site *s, ptq_qparams *q) {
    memset(q, 0, sizeof *q);
    q->axis = -1;
    NNQ_TRY(ptq_site_qtype(s, &q->qt));
    if (s->kind == NNQ_SITE_WEIGHT) {
        ptrdiff_t wi = nnq_graph_find_init(p->g, s->tensor);
        NNQ_TRY(weight_layout(s, p->g->inits[wi].tensor, &q->layout, &q->axis));
        if (s->attrs.n_block) q->block = s->attrs.block[0];
    } else if (s->attrs.n_axes == 1) {
        q->axis = s->attrs.axes[0];
    }
    size_t n = s->range.n;
    q->n = n;
    q->scale = nnq_calloc(n, sizeof *q->scale);
    q->zp = nnq_calloc(n, sizeof *q->zp);
    if (!q->scale || !q->zp) {
        ptq_qparams_clear(q);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "quantize: out of memory for scales");
    }
    for (size_t i = 0; i < n; i++) {
        nnq_status st = NNQ_STATUS_OK;
        if (ptq_site_affine(s)) {
            st = nnq_qparams_from_range(s->range.rmin[i], s->range.rmax[i],
                                        NNQ_QPARAM_COREML_LINEAR, &q->qt.f, &q->scale[i],
                                        &q->zp[i]);
        } else {
            float amax = s->range.amax[i];
            q->scale[i] = amax > PTQ_TINY_AMAX ? amax / q->qt.bound : 1.0f;
            if (!isfinite(q->scale[i]) || !(q->scale[i] > 0.0f))
                st = nnq_error(NNQ_STATUS_OUT_OF_RANGE, "amax %g gives no usable scale",
                               (double)amax);
        }
        if (st) {
            ptq_qparams_clear(q);
            return nnq_error_prefix(st, "quantize: site '%s' channel %zu: ", s->name, i);
        }
    }
    return NNQ_STATUS_OK;
}
