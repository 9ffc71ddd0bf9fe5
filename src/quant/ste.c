/* ste.c - straight-through-estimator backward passes of the fake quantizers. */
#include <math.h>

#include "internal.h"
#include "quant/quant_internal.h"

typedef struct ste_ctx {
    const nnq_qlayout *l;
    const float *x, *g, *amax, *scale;
    const int32_t *zp;
    float *gx;
    float lo, hi;
    bool lsq;
} ste_ctx;

/* d x_hat / d s of LSQ for one element, and whether the gradient passes. */
static float lsq_term(float x, float s, float z, float lo, float hi, bool *pass) {
    float u = x / s, v = u + z;
    *pass = v >= lo && v <= hi;
    if (v < lo) return lo - z;
    if (v > hi) return hi - z;
    return nnq_round_half_even(u) - u;
}

static void ste_tile(void *vctx, size_t start, size_t count) {
    const ste_ctx *c = vctx;
    nnq_run_iter it;
    nnq_run r;
    nnq_run_iter_init(&it, c->l, start, start + count);
    while (nnq_run_iter_next(&it, &r)) {
        for (size_t i = r.start; i < r.start + r.len; i++) {
            size_t si = r.sidx + (i - r.start) * r.sstride;
            bool pass;
            if (c->lsq)
                (void)lsq_term(c->x[i], c->scale[si], c->zp ? (float)c->zp[si] : 0.0f, c->lo,
                               c->hi, &pass);
            else
                pass = fabsf(c->x[i]) <= c->amax[si];
            c->gx[i] = pass ? c->g[i] : 0.0f;
        }
    }
}

/* The parameter gradient: one serial pass in element order, so the sums
 * never depend on the thread count. */
static nnq_status param_grad(const char *fn, const ste_ctx *c, float factor, float *out) {
    size_t ns = nnq_qlayout_nscales(c->l), n = nnq_qlayout_numel(c->l), bytes;
    if (!nnq_size_mul(ns, sizeof(double), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: %zu scales overflow", fn, ns);
    double *acc = nnq_calloc(ns ? ns : 1, sizeof(double));
    if (!acc) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes", fn, bytes);
    nnq_run_iter it;
    nnq_run r;
    nnq_run_iter_init(&it, c->l, 0, n);
    while (nnq_run_iter_next(&it, &r)) {
        for (size_t i = r.start; i < r.start + r.len; i++) {
            size_t si = r.sidx + (i - r.start) * r.sstride;
            double g = (double)c->g[i];
            if (c->lsq) {
                bool pass;
                float d = lsq_term(c->x[i], c->scale[si], c->zp ? (float)c->zp[si] : 0.0f, c->lo,
                                   c->hi, &pass);
                acc[si] += g * (double)d;
            } else if (c->x[i] > c->amax[si]) {
                acc[si] += g;
            } else if (c->x[i] < -c->amax[si]) {
                acc[si] -= g;
            }
        }
    }
    for (size_t s = 0; s < ns; s++) out[s] = (float)(acc[s] * (double)factor);
    nnq_free(acc);
    return NNQ_STATUS_OK;
}

static nnq_status ste_common(const char *fn, const nnq_qlayout *l, const float *x,
                             const float *g, float *gx) {
    NNQ_TRY(nnq_qlayout_check(fn, l));
    if (nnq_qlayout_numel(l) > 0 && (!x || !g || !gx))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    return NNQ_STATUS_OK;
}

nnq_status nnq_fake_quant_amax_backward(const float *x, const float *grad_y,
                                        const nnq_qlayout *l, const float *amax,
                                        const nnq_int_format *f, float *grad_x, float *grad_amax,
                                        nnq_pool *pool) {
    static const char fn[] = "fake_quant_amax_backward";
    int32_t lo, hi;
    NNQ_TRY(ste_common(fn, l, x, grad_y, grad_x));
    NNQ_TRY(nnq_int_format_bounds(f, &lo, &hi));
    if (!amax) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL amax", fn);
    NNQ_TRY(nnq_quant_check_amax(fn, amax, nnq_qlayout_nscales(l)));
    ste_ctx c = {.l = l, .x = x, .g = grad_y, .amax = amax, .gx = grad_x};
    /* The parameter gradient reads grad_y, which grad_x may overwrite. */
    if (grad_amax) NNQ_TRY(param_grad(fn, &c, 1.0f, grad_amax));
    nnq_pool_parallelize_1d(pool, ste_tile, &c, nnq_qlayout_numel(l), NNQ_QUANT_TILE);
    return NNQ_STATUS_OK;
}

nnq_status nnq_fake_quant_linear_backward(const float *x, const float *grad_y,
                                          const nnq_qlayout *l, const float *scale,
                                          const int32_t *zero_point, const nnq_int_format *f,
                                          float grad_factor, float *grad_x, float *grad_scale,
                                          nnq_pool *pool) {
    static const char fn[] = "fake_quant_linear_backward";
    int32_t lo, hi;
    NNQ_TRY(ste_common(fn, l, x, grad_y, grad_x));
    NNQ_TRY(nnq_int_format_linear_bounds(f, &lo, &hi));
    if (!scale) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL scale", fn);
    size_t ns = nnq_qlayout_nscales(l);
    for (size_t i = 0; i < ns; i++) {
        if (!(scale[i] > 0.0f) || isinf(scale[i]))
            return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: scale[%zu] is %g, must be finite and > 0",
                             fn, i, (double)scale[i]);
        if (zero_point && (zero_point[i] < lo || zero_point[i] > hi))
            return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: zero_point[%zu] is %d, outside [%d, %d]",
                             fn, i, (int)zero_point[i], (int)lo, (int)hi);
    }
    if (!isfinite(grad_factor))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: grad_factor %g must be finite", fn,
                         (double)grad_factor);
    ste_ctx c = {.l = l, .x = x, .g = grad_y, .scale = scale, .zp = zero_point, .gx = grad_x,
                 .lo = (float)lo, .hi = (float)hi, .lsq = true};
    if (grad_scale) NNQ_TRY(param_grad(fn, &c, grad_factor, grad_scale));
    nnq_pool_parallelize_1d(pool, ste_tile, &c, nnq_qlayout_numel(l), NNQ_QUANT_TILE);
    return NNQ_STATUS_OK;
}
