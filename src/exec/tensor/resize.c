/*
 * resize.c - Resize (opsets 10-19): nearest, (multi)linear and (multi)cubic
 * modes, every coordinate_transformation_mode, output from scales or sizes
 * (with axes and keep_aspect_ratio_policy).  antialias is UNSUPPORTED.
 *
 * Coordinates are computed in double like the ONNX reference, so rounding
 * ties in nearest mode land where its expected outputs put them.  Opset 10
 * has no attributes beyond mode (nearest or linear) and behaves as
 * asymmetric + floor.
 *
 * Linear and cubic interpolation are separable: per axis an output
 * coordinate x reads a few input indices with weights (its taps), and an
 * output element is the sum over all combinations of one tap per axis of
 * the product of their weights times the input element.  Linear reads
 * floor(x) and floor(x) + 1; cubic reads floor(x) - 1 .. floor(x) + 2 with
 * the Keys kernel of parameter cubic_coeff_a.  Indices past the edge read
 * the edge element, or with exclude_outside = 1 get weight 0 and the
 * others are scaled to sum to 1.  Taps of weight 0 are dropped, so an
 * unscaled axis costs one tap and a NaN / Inf there does not leak into
 * its neighbours through 0 * Inf.
 */
#include <math.h>
#include <string.h>

#include "exec/tensor/tensor_ops.h"

typedef enum {
    CT_HALF_PIXEL, CT_HALF_PIXEL_SYM, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_CROP, CT_TF_NN
} ct_mode;
typedef enum { NM_ROUND_FLOOR, NM_ROUND_CEIL, NM_FLOOR, NM_CEIL } nearest_mode;

typedef enum { RM_NEAREST, RM_LINEAR, RM_CUBIC } resize_mode;

typedef struct resize_plan {
    resize_mode mode;
    ct_mode ct;
    nearest_mode nm;
    float extrapolation;
    double cubic_a;
    bool exclude_outside;
    int ndim;
    int64_t out[NNQ_MAX_DIMS];
    double scale[NNQ_MAX_DIMS];
    double roi_start[NNQ_MAX_DIMS], roi_end[NNQ_MAX_DIMS];
} resize_plan;

#define RESIZE_MAX_TAPS 4

/* Per output coordinate of one axis: the input indices read and their
 * weights, in increasing index order; nearest mode has one tap. */
typedef struct axis_tap {
    int64_t idx[RESIZE_MAX_TAPS];
    double w[RESIZE_MAX_TAPS];
    int n;
    bool outside; /* tf_crop_and_resize: use the extrapolation value */
} axis_tap;

static nnq_status pick(const nnq_op_ctx *ctx, const char *attr, const char *def,
                       const char *const *names, int n, int *out) {
    const char *s;
    NNQ_TRY(nnq_attr_string(ctx->node, attr, def, &s));
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return (*out = i), NNQ_STATUS_OK;
    return nnq_op_error(ctx, NNQ_STATUS_UNKNOWN_NAME, "attribute %s '%s' is not supported", attr,
                        s);
}

static nnq_status cubic_attrs(const nnq_op_ctx *ctx, resize_plan *p) {
    float a;
    int64_t excl;
    NNQ_TRY(nnq_attr_float(ctx->node, "cubic_coeff_a", -0.75f, &a));
    NNQ_TRY(nnq_attr_int(ctx->node, "exclude_outside", 0, &excl));
    if (!isfinite(a))
        return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "cubic_coeff_a = %g is not finite",
                            (double)a);
    if (excl != 0 && excl != 1)
        return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "exclude_outside = %lld is not 0 or 1",
                            (long long)excl);
    p->cubic_a = (double)a;
    p->exclude_outside = excl == 1;
    return NNQ_STATUS_OK;
}

static nnq_status resize_attrs(const nnq_op_ctx *ctx, resize_plan *p) {
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const cts[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                      "align_corners", "asymmetric", "tf_crop_and_resize",
                                      "tf_half_pixel_for_nn"};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    int mode = 0, ct = CT_ASYM, nm = NM_FLOOR;
    int64_t antialias;
    bool opset10 = ctx->opset > 0 && ctx->opset < 11;
    NNQ_TRY(pick(ctx, "mode", "nearest", modes, 3, &mode));
    p->mode = (resize_mode)mode;
    if (opset10 && p->mode == RM_CUBIC)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                            "mode 'cubic' needs opset 11 or later (model has opset %lld)",
                            (long long)ctx->opset);
    if (!opset10) {
        NNQ_TRY(pick(ctx, "coordinate_transformation_mode", "half_pixel", cts, 7, &ct));
        NNQ_TRY(pick(ctx, "nearest_mode", "round_prefer_floor", nms, 4, &nm));
    }
    p->ct = (ct_mode)ct;
    p->nm = (nearest_mode)nm;
    NNQ_TRY(nnq_attr_float(ctx->node, "extrapolation_value", 0.0f, &p->extrapolation));
    NNQ_TRY(cubic_attrs(ctx, p));
    NNQ_TRY(nnq_attr_int(ctx->node, "antialias", 0, &antialias));
    if (antialias)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "antialias=1 is not supported");
    return NNQ_STATUS_OK;
}

/* Values of a float32 input (scales, roi). */
static nnq_status const_floats(const nnq_op_ctx *ctx, const nnq_tensor *t, size_t idx, double *out,
                               size_t cap, size_t *n) {
    if (t->dtype != NNQ_DTYPE_FLOAT32)
        return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                            "input %zu '%s' has type %s, expected float32", idx,
                            nnq_op_input_name(ctx, idx), nnq_dtype_name(t->dtype));
    if (!t->data)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                            "input %zu '%s' must be a constant to infer the output shape", idx,
                            nnq_op_input_name(ctx, idx));
    if (t->numel > cap)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH, "input %zu '%s' has %zu values, "
                            "more than %zu", idx, nnq_op_input_name(ctx, idx), t->numel, cap);
    for (size_t i = 0; i < t->numel; i++) out[i] = (double)((const float *)t->data)[i];
    *n = t->numel;
    return NNQ_STATUS_OK;
}

/* An output dim from a real-valued size; -1 (unknown) while the input dim
 * `in` is.  Converting a double beyond int64 is undefined, so refuse huge or
 * infinite sizes here; below 2^62 the executor's size checks and allocation
 * take over. */
static nnq_status out_dim(const nnq_op_ctx *ctx, size_t i, int64_t in, double v, int64_t *out) {
    if (in < 0) {
        *out = -1;
        return NNQ_STATUS_OK;
    }
    if (!(v < 0x1p62))
        return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE,
                            "resized axis %zu would have %g elements, more than 2^62", i, v);
    *out = (int64_t)v;
    return NNQ_STATUS_OK;
}

/* Output sizes and per-axis scales from scales or sizes. */
static nnq_status resize_sizes(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               const int *axes, size_t na, resize_plan *p) {
    const nnq_tensor *x = in[0];
    size_t si = ctx->opset > 0 && ctx->opset < 11 ? 1 : 2;
    bool has_scales = nnq_op_has(in, n_in, si), has_sizes = nnq_op_has(in, n_in, 3);
    double v[NNQ_MAX_DIMS];
    size_t n;
    if (has_scales == has_sizes)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                            "exactly one of scales and sizes must be given (got %s)",
                            has_scales ? "both" : "neither");
    for (int d = 0; d < x->ndim; d++) p->out[d] = x->dims[d], p->scale[d] = 1.0;
    if (has_scales) {
        NNQ_TRY(const_floats(ctx, in[si], si, v, NNQ_MAX_DIMS, &n));
        if (n != na)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "scales has %zu values; expected %zu (one per resized axis)", n, na);
        for (size_t i = 0; i < na; i++) {
            if (!(v[i] > 0.0))
                return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "scales[%zu] = %g is not > 0",
                                    i, v[i]);
            p->scale[axes[i]] = v[i];
            NNQ_TRY(out_dim(ctx, i, x->dims[axes[i]], floor((double)x->dims[axes[i]] * v[i]),
                            &p->out[axes[i]]));
        }
        return NNQ_STATUS_OK;
    }
    int64_t sz[NNQ_MAX_DIMS];
    const char *policies[] = {"stretch", "not_larger", "not_smaller"};
    int policy = 0;
    NNQ_TRY(nnq_op_const_ints(ctx, in[3], 3, sz, NNQ_MAX_DIMS, &n));
    if (n != na)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "sizes has %zu values; expected %zu (one per resized axis)", n, na);
    NNQ_TRY(pick(ctx, "keep_aspect_ratio_policy", "stretch", policies, 3, &policy));
    double common = policy == 1 ? (double)INFINITY : 0.0;
    for (size_t i = 0; i < na; i++) {
        if (sz[i] < 0)
            return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "sizes[%zu] = %lld is negative", i,
                                (long long)sz[i]);
        double s = x->dims[axes[i]] ? (double)sz[i] / (double)x->dims[axes[i]] : 1.0;
        p->scale[axes[i]] = s;
        p->out[axes[i]] = sz[i];
        common = policy == 1 ? fmin(common, s) : fmax(common, s);
    }
    if (policy != 0)
        for (size_t i = 0; i < na; i++) {
            p->scale[axes[i]] = common;
            int64_t d = x->dims[axes[i]];
            NNQ_TRY(out_dim(ctx, i, d, nearbyint(common * (double)d), &p->out[axes[i]]));
        }
    return NNQ_STATUS_OK;
}

static nnq_status resize_plan_make(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                   size_t n_in, resize_plan *p) {
    const nnq_tensor *x = in[0];
    int axes[NNQ_MAX_DIMS];
    const int64_t *ax;
    size_t na;
    memset(p, 0, sizeof *p);
    p->ndim = x->ndim;
    NNQ_TRY(resize_attrs(ctx, p));
    NNQ_TRY(nnq_attr_ints(ctx->node, "axes", &ax, &na));
    if (na > (size_t)x->ndim)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "axes has %zu entries for rank %d",
                            na, x->ndim);
    bool seen[NNQ_MAX_DIMS] = {false};
    for (size_t i = 0; i < na; i++) {
        NNQ_TRY(nnq_op_axis(ctx, "axes entry", ax[i], x->ndim, &axes[i]));
        if (seen[axes[i]])
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "axis %d appears twice in axes", axes[i]);
        seen[axes[i]] = true;
    }
    if (na == 0)
        for (int d = 0; d < x->ndim; d++) axes[na++] = d;
    NNQ_TRY(resize_sizes(ctx, in, n_in, axes, na, p));
    for (int d = 0; d < x->ndim; d++)
        if (x->dims[d] == 0 && p->out[d] > 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "axis %d is empty and cannot be resized to %lld", d,
                                (long long)p->out[d]);
    for (int d = 0; d < x->ndim; d++) p->roi_start[d] = 0.0, p->roi_end[d] = 1.0;
    if (p->ct == CT_CROP && nnq_op_has(in, n_in, 1)) {
        double roi[2 * NNQ_MAX_DIMS];
        size_t n;
        NNQ_TRY(const_floats(ctx, in[1], 1, roi, 2 * NNQ_MAX_DIMS, &n));
        if (n != 2 * na)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "roi has %zu values; expected %zu (start and end per axis)", n,
                                2 * na);
        for (size_t i = 0; i < na; i++)
            p->roi_start[axes[i]] = roi[i], p->roi_end[axes[i]] = roi[i + na];
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_resize_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *outs, size_t n_out) {
    resize_plan p;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need_esize(ctx, in[0], 0));
    NNQ_TRY(resize_plan_make(ctx, in, n_in, &p));
    if (p.mode != RM_NEAREST && in[0]->dtype != NNQ_DTYPE_FLOAT32)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "%s mode needs float32 input, '%s' is %s",
                            p.mode == RM_LINEAR ? "linear" : "cubic", nnq_op_input_name(ctx, 0),
                            nnq_dtype_name(in[0]->dtype));
    nnq_out_set(&outs[0], in[0]->dtype, in[0]->ndim, p.out);
    return NNQ_STATUS_OK;
}

/* Bytes of the taps of every axis; false on overflow. */
static bool taps_bytes(const resize_plan *p, size_t *bytes) {
    size_t total = 0;
    for (int d = 0; d < p->ndim; d++)
        if (!nnq_size_add(total, (size_t)p->out[d], &total)) return false;
    return nnq_size_mul(total, sizeof(axis_tap), bytes);
}

/* Elements of the larger of input and output: the separable passes run
 * shrinking axes first, so no intermediate is bigger. */
static bool sep_elems(const resize_plan *p, const int64_t *in_dims, size_t *n) {
    size_t a, b;
    if (!nnq_size_product(in_dims, (size_t)p->ndim, &a) ||
        !nnq_size_product(p->out, (size_t)p->ndim, &b))
        return false;
    *n = NNQ_MAX(a, b);
    return true;
}

/* Taps, then (linear / cubic) two double buffers of sep_elems. */
static bool scratch_bytes(const resize_plan *p, const int64_t *in_dims, size_t *bytes) {
    size_t n;
    if (!taps_bytes(p, bytes)) return false;
    if (p->mode == RM_NEAREST) return true;
    return sep_elems(p, in_dims, &n) && nnq_size_mul(n, 2 * sizeof(double), &n) &&
           nnq_size_add(*bytes, n, bytes);
}

size_t nnq_resize_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in) {
    resize_plan p;
    size_t bytes;
    if (resize_plan_make(ctx, in, n_in, &p) != NNQ_STATUS_OK) return 0;
    for (int d = 0; d < p.ndim; d++)
        if (in[0]->dims[d] < 0 || p.out[d] < 0) return 0; /* known at run time */
    return scratch_bytes(&p, in[0]->dims, &bytes) ? bytes : 0;
}

/* ONNX defines the transforms with the unrounded resized length
 * (length_original * scale); only half_pixel_symmetric also uses the
 * integer output length. */
static double source_coord(const resize_plan *p, int d, int64_t xo, int64_t len_in) {
    double x = (double)xo, s = p->scale[d], in = (double)len_in, out = s * in;
    switch (p->ct) {
    case CT_HALF_PIXEL: return (x + 0.5) / s - 0.5;
    case CT_HALF_PIXEL_SYM: {
        double adj = (double)p->out[d] / out, center = in / 2.0;
        return center * (1.0 - adj) + (x + 0.5) / s - 0.5;
    }
    case CT_PYTORCH: return out > 1.0 ? (x + 0.5) / s - 0.5 : 0.0;
    case CT_ALIGN: return out > 1.0 ? x * (in - 1.0) / (out - 1.0) : 0.0;
    case CT_ASYM: return x / s;
    case CT_TF_NN: return (x + 0.5) / s;
    default: {
        double a = p->roi_start[d], b = p->roi_end[d];
        return out > 1.0 ? a * (in - 1.0) + x * (b - a) * (in - 1.0) / (out - 1.0)
                         : 0.5 * (a + b) * (in - 1.0);
    }
    }
}

static int64_t nearest_index(nearest_mode m, double x) {
    double f = floor(x);
    switch (m) {
    case NM_FLOOR: return (int64_t)f;
    case NM_CEIL: return (int64_t)ceil(x);
    case NM_ROUND_FLOOR: return (int64_t)(x - f == 0.5 ? f : floor(x + 0.5));
    default: return (int64_t)(x - f == 0.5 ? f + 1.0 : floor(x + 0.5));
    }
}

/* Keys' cubic convolution kernel at distance s >= 0 (the form the ONNX
 * Resize definition uses, with a = cubic_coeff_a). */
static double keys_weight(double a, double s) {
    if (s <= 1.0) return ((a + 2.0) * s - (a + 3.0)) * s * s + 1.0;
    if (s < 2.0) return ((a * s - 5.0 * a) * s + 8.0 * a) * s - 4.0 * a;
    return 0.0;
}

/* Taps first .. first + n - 1 (unclamped) with weights w: indices past the
 * edge read the edge, or with exclude_outside lose their weight and the
 * rest are renormalized.  When every weighted tap lies outside (a
 * coordinate far past the edge) the edge is read instead of the
 * reference's 0 / 0. */
static void set_taps(axis_tap *a, int64_t first, const double *w, int n, int64_t len_in,
                     bool exclude_outside) {
    double wk[RESIZE_MAX_TAPS], inside = 0.0;
    for (int k = 0; k < n; k++) {
        bool out = first + k < 0 || first + k >= len_in;
        wk[k] = exclude_outside && out ? 0.0 : w[k];
        inside += wk[k];
    }
    bool renorm = exclude_outside && inside != 0.0;
    a->n = 0;
    for (int k = 0; k < n; k++) {
        double wt = renorm ? wk[k] / inside : w[k];
        if (wt == 0.0) continue;
        a->idx[a->n] = NNQ_MIN(NNQ_MAX(first + k, 0), len_in - 1);
        a->w[a->n++] = wt;
    }
}

static void make_taps(const resize_plan *p, int d, int64_t len_in, axis_tap *t) {
    for (int64_t o = 0; o < p->out[d]; o++) {
        double x = source_coord(p, d, o, len_in);
        /* a huge or NaN coordinate clamps like any other outside one */
        if (!(x > -1e18)) x = -1e18;
        if (x > 1e18) x = 1e18;
        axis_tap *a = &t[o];
        a->outside = p->ct == CT_CROP && (x < 0.0 || x > (double)(len_in - 1));
        double f = floor(x), r = x - f, w[RESIZE_MAX_TAPS];
        switch (p->mode) {
        case RM_NEAREST:
            w[0] = 1.0;
            set_taps(a, nearest_index(p->nm, x), w, 1, len_in, false);
            break;
        case RM_LINEAR:
            w[0] = 1.0 - r, w[1] = r;
            set_taps(a, (int64_t)f, w, 2, len_in, false);
            break;
        case RM_CUBIC:
            w[0] = keys_weight(p->cubic_a, 1.0 + r), w[1] = keys_weight(p->cubic_a, r);
            w[2] = keys_weight(p->cubic_a, 1.0 - r), w[3] = keys_weight(p->cubic_a, 2.0 - r);
            set_taps(a, (int64_t)f - 1, w, 4, len_in, p->exclude_outside);
            break;
        }
    }
}

typedef struct resize_job {
    const resize_plan *p;
    const nnq_tensor *x;
    nnq_tensor *y;
    const axis_tap *taps[NNQ_MAX_DIMS];
    int64_t xs[NNQ_MAX_DIMS];
} resize_job;

/*
 * Linear and cubic are separable: one axis at a time, each output along
 * it the sum of its taps' weights times the values they pick (in double,
 * in tap order), axes whose taps are the identity skipped.  Per element
 * that is one axis's taps per resized axis, not their product (a hostile
 * rank-8 cubic resize was 4^8 terms per element; fuzz_exec timed out).
 */
typedef struct sep_job {
    const axis_tap *taps; /* of this axis, one per output coordinate */
    const double *src;
    double *dst;
    size_t inner, len_in, len_out;
} sep_job;

/* Rows r = (outer index) * len_out + (output coordinate). */
static void sep_task(void *arg, size_t start, size_t count) {
    const sep_job *j = arg;
    for (size_t r = start; r < start + count; r++) {
        const axis_tap *t = &j->taps[r % j->len_out];
        const double *s = j->src + r / j->len_out * j->len_in * j->inner;
        double *d = j->dst + r * j->inner;
        for (size_t q = 0; q < j->inner; q++) {
            double acc = 0.0;
            for (int k = 0; k < t->n; k++)
                acc += t->w[k] * s[(size_t)t->idx[k] * j->inner + q];
            d[q] = acc;
        }
    }
}

static bool identity_taps(const axis_tap *t, int64_t len_in, int64_t len_out) {
    if (len_in != len_out) return false;
    for (int64_t i = 0; i < len_out; i++)
        if (t[i].n != 1 || t[i].idx[0] != i || t[i].w[0] != 1.0) return false;
    return true;
}

static void resize_separable(const resize_job *j, double *buf, size_t cap, nnq_pool *pool) {
    const resize_plan *p = j->p;
    int nd = p->ndim, order[NNQ_MAX_DIMS];
    int64_t cur[NNQ_MAX_DIMS];
    double *a = buf, *b = buf + cap;
    const float *x = j->x->data;
    for (size_t i = 0; i < j->x->numel; i++)
        a[i] = (double)x[i];
    /* shrinking axes first (by out / in), so intermediates stay <= cap */
    for (int d = 0; d < nd; d++) {
        cur[d] = j->x->dims[d];
        order[d] = d;
    }
    for (int i = 1; i < nd; i++)
        for (int k = i; k > 0; k--) {
            int u = order[k - 1], v = order[k];
            if ((double)p->out[v] * (double)cur[u] >= (double)p->out[u] * (double)cur[v]) break;
            order[k - 1] = v, order[k] = u;
        }
    for (int i = 0; i < nd; i++) {
        int d = order[i];
        if (identity_taps(j->taps[d], cur[d], p->out[d])) continue;
        size_t outer = 1, inner = 1;
        for (int e = 0; e < d; e++)
            outer *= (size_t)cur[e];
        for (int e = d + 1; e < nd; e++)
            inner *= (size_t)cur[e];
        sep_job sj = {j->taps[d], a, b, inner, (size_t)cur[d], (size_t)p->out[d]};
        size_t rows = outer * sj.len_out, tile = NNQ_MAX((size_t)1, NNQ_EW_CHUNK / 4 / inner);
        nnq_pool_parallelize_1d(rows * inner * sj.len_in <= NNQ_EW_CHUNK ? NULL : pool, sep_task,
                                &sj, rows, tile);
        cur[d] = p->out[d];
        double *t = a;
        a = b, b = t;
    }
    float *y = j->y->data;
    for (size_t e = 0; e < j->y->numel; e++)
        y[e] = (float)a[e];
    if (p->ct != CT_CROP) return;
    for (size_t e = 0; e < j->y->numel; e++) {
        size_t rem = e;
        bool outside = false;
        for (int d = nd - 1; d >= 0; d--) {
            outside |= j->taps[d][rem % (size_t)p->out[d]].outside;
            rem /= (size_t)p->out[d];
        }
        if (outside) y[e] = p->extrapolation;
    }
}

static void resize_task(void *arg, size_t start, size_t count) {
    const resize_job *j = arg;
    int nd = j->p->ndim;
    size_t es = nnq_dtype_esize(j->x->dtype);
    for (size_t e = start; e < start + count; e++) {
        const axis_tap *tp[NNQ_MAX_DIMS];
        size_t rem = e;
        bool outside = false;
        for (int d = nd - 1; d >= 0; d--) {
            tp[d] = &j->taps[d][rem % (size_t)j->y->dims[d]];
            rem /= (size_t)j->y->dims[d];
            outside |= tp[d]->outside;
        }
        int64_t off = 0;
        for (int d = 0; d < nd; d++) off += tp[d]->idx[0] * j->xs[d];
        char *dst = (char *)j->y->data + e * es;
        if (outside && es == 4) memcpy(dst, &j->p->extrapolation, 4);
        else memcpy(dst, (const char *)j->x->data + (size_t)off * es, es);
    }
}

nnq_status nnq_resize_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *outs, size_t n_out) {
    resize_plan p;
    NNQ_TRY(resize_plan_make(ctx, in, n_in, &p));
    const nnq_tensor *x = in[0];
    nnq_tensor *y = outs[0];
    if (y->numel == 0) return NNQ_STATUS_OK;
    size_t need;
    if (!scratch_bytes(&p, x->dims, &need))
        return nnq_op_error(ctx, NNQ_STATUS_SIZE_OVERFLOW, "interpolation tables overflow size_t");
    if (need > ctx->scratch_size || !ctx->scratch)
        return nnq_op_error(ctx, NNQ_STATUS_INTERNAL, "scratch of %zu bytes is smaller than %zu",
                            ctx->scratch_size, need);
    resize_job j = {.p = &p, .x = x, .y = y};
    axis_tap *t = ctx->scratch;
    for (int d = 0; d < p.ndim; d++) {
        make_taps(&p, d, x->dims[d], t);
        j.taps[d] = t;
        t += p.out[d];
    }
    if (p.mode != RM_NEAREST) {
        size_t cap = 0;
        sep_elems(&p, x->dims, &cap); /* scratch_bytes succeeded */
        resize_separable(&j, (double *)(void *)t, cap, ctx->pool);
        return NNQ_STATUS_OK;
    }
    nnq_contig_strides(x->ndim, x->dims, j.xs);
    nnq_pool *pool = y->numel <= NNQ_EW_CHUNK / 4 ? NULL : ctx->pool;
    nnq_pool_parallelize_1d(pool, resize_task, &j, y->numel, NNQ_EW_CHUNK / 4);
    return NNQ_STATUS_OK;
}
