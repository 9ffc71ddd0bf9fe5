/*
 * pad.c - Pad: constant / reflect / edge / wrap modes; pads as an attribute
 * (opset < 11) or input 1, optional constant_value (input 2 or attribute
 * 'value' before opset 11) and axes (input 3, opset >= 18).  Negative pads
 * crop.
 */
#include <string.h>

#include "exec/tensor/tensor_ops.h"

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct pad_plan {
    pad_mode mode;
    int ndim;
    int64_t begin[NNQ_MAX_DIMS], end[NNQ_MAX_DIMS];
    uint8_t value[8]; /* constant, in the data's element type */
} pad_plan;

static nnq_status pad_mode_get(const nnq_op_ctx *ctx, pad_mode *m) {
    static const char *const names[] = {"constant", "reflect", "edge", "wrap"};
    const char *s;
    NNQ_TRY(nnq_attr_string(ctx->node, "mode", "constant", &s));
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) return (*m = (pad_mode)i), NNQ_STATUS_OK;
    return nnq_op_error(ctx, NNQ_STATUS_UNKNOWN_NAME,
                        "mode '%s' is not constant, reflect, edge or wrap", s);
}

/* Store a float constant (attribute form) in the data's element type. */
static nnq_status pad_value_from_float(const nnq_op_ctx *ctx, nnq_dtype t, float v, uint8_t *out) {
    switch (t) {
    case NNQ_DTYPE_FLOAT32: memcpy(out, &v, 4); return NNQ_STATUS_OK;
    case NNQ_DTYPE_FLOAT64: {
        double d = (double)v;
        memcpy(out, &d, 8);
        return NNQ_STATUS_OK;
    }
    default:
        if (v == 0.0f) return NNQ_STATUS_OK;
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                            "attribute 'value' %g cannot pad data of type %s", (double)v,
                            nnq_dtype_name(t));
    }
}

static nnq_status pad_plan_make(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                pad_plan *p) {
    const nnq_tensor *x = in[0];
    int64_t pads[2 * NNQ_MAX_DIMS], axes[NNQ_MAX_DIMS];
    size_t np = 0, na = 0;
    memset(p, 0, sizeof *p);
    p->ndim = x->ndim;
    NNQ_TRY(pad_mode_get(ctx, &p->mode));
    if (ctx->opset > 0 && ctx->opset < 11) {
        const int64_t *a;
        float v;
        NNQ_TRY(nnq_attr_ints(ctx->node, "pads", &a, &np));
        if (np > 2 * NNQ_MAX_DIMS) np = 2 * NNQ_MAX_DIMS + 1; /* count check below */
        else if (np) memcpy(pads, a, sizeof(int64_t) * np);
        NNQ_TRY(nnq_attr_float(ctx->node, "value", 0.0f, &v));
        NNQ_TRY(pad_value_from_float(ctx, x->dtype, v, p->value));
    } else {
        NNQ_TRY(nnq_op_need(ctx, in, n_in, 1));
        NNQ_TRY(nnq_op_const_ints(ctx, in[1], 1, pads, 2 * NNQ_MAX_DIMS, &np));
        if (nnq_op_has(in, n_in, 2)) {
            const nnq_tensor *c = in[2];
            if (c->dtype != x->dtype || c->numel != 1)
                return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                                    "constant_value '%s' must be one %s element (has %zu of %s)",
                                    nnq_op_input_name(ctx, 2), nnq_dtype_name(x->dtype), c->numel,
                                    nnq_dtype_name(c->dtype));
            if (c->data) memcpy(p->value, c->data, nnq_dtype_esize(x->dtype));
        }
        if (n_in > 3 && in[3]) NNQ_TRY(nnq_op_const_ints(ctx, in[3], 3, axes, NNQ_MAX_DIMS, &na));
    }
    if (na == 0) {
        na = (size_t)x->ndim;
        for (size_t i = 0; i < na; i++) axes[i] = (int64_t)i;
    }
    if (np != 2 * na)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "pads has %zu entries; expected 2 x %zu (one begin and end per axis)",
                            np, na);
    bool seen[NNQ_MAX_DIMS] = {false};
    for (size_t i = 0; i < na; i++) {
        int a;
        NNQ_TRY(nnq_op_axis(ctx, "axes entry", axes[i], x->ndim, &a));
        if (seen[a])
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "axis %d appears twice in axes",
                                a);
        seen[a] = true;
        p->begin[a] = pads[i];
        p->end[a] = pads[i + na];
        if (x->dims[a] < 0) continue; /* unknown until run time: checked then */
        int64_t out;
        if (__builtin_add_overflow(x->dims[a], pads[i], &out) ||
            __builtin_add_overflow(out, pads[i + na], &out))
            return nnq_op_error(ctx, NNQ_STATUS_SIZE_OVERFLOW,
                                "pads %lld and %lld on axis %d of size %lld overflow int64",
                                (long long)pads[i], (long long)pads[i + na], a,
                                (long long)x->dims[a]);
        if (pads[i] < -x->dims[a] || pads[i + na] < -x->dims[a] || out < 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "pads %lld and %lld on axis %d of size %lld give a negative size",
                                (long long)pads[i], (long long)pads[i + na], a,
                                (long long)x->dims[a]);
        if (p->mode != PAD_CONSTANT && x->dims[a] == 0 && out > 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "cannot pad empty axis %d in a non-constant mode", a);
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_pad_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_out_shape *outs, size_t n_out) {
    pad_plan p;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need_esize(ctx, in[0], 0));
    NNQ_TRY(pad_plan_make(ctx, in, n_in, &p));
    nnq_out_set(&outs[0], in[0]->dtype, in[0]->ndim, in[0]->dims);
    /* (dim + begin) + end, the sum pad_plan_make checked; unknown stays so */
    for (int d = 0; d < in[0]->ndim; d++)
        if (outs[0].dims[d] >= 0) outs[0].dims[d] = outs[0].dims[d] + p.begin[d] + p.end[d];
    return NNQ_STATUS_OK;
}

/* Source index of output position i (already shifted by the begin pad) on
 * an axis of n elements; -1 means "use the constant". */
static int64_t pad_map(pad_mode m, int64_t i, int64_t n) {
    if (i >= 0 && i < n) return i;
    switch (m) {
    case PAD_CONSTANT: return -1;
    case PAD_EDGE: return i < 0 ? 0 : n - 1;
    case PAD_WRAP: return ((i % n) + n) % n;
    default: {
        if (n == 1) return 0;
        int64_t period = 2 * (n - 1), r = ((i % period) + period) % period;
        return r < n ? r : period - r;
    }
    }
}

typedef struct pad_job {
    const pad_plan *p;
    const nnq_tensor *x;
    nnq_tensor *y;
    size_t es;
    int64_t xs[NNQ_MAX_DIMS];
} pad_job;

static void pad_task(void *arg, size_t start, size_t count) {
    const pad_job *j = arg;
    const pad_plan *p = j->p;
    int last = p->ndim - 1;
    size_t es = j->es, width = (size_t)j->y->dims[last];
    const char *x = j->x->data;
    for (size_t row = start; row < start + count; row++) {
        char *dst = (char *)j->y->data + row * width * es;
        size_t rem = row;
        int64_t off = 0;
        bool fill = false;
        for (int d = last - 1; d >= 0; d--) {
            int64_t i = (int64_t)(rem % (size_t)j->y->dims[d]);
            rem /= (size_t)j->y->dims[d];
            int64_t s = pad_map(p->mode, i - p->begin[d], j->x->dims[d]);
            if (s < 0) fill = true;
            else off += s * j->xs[d];
        }
        for (size_t k = 0; k < width; k++) {
            int64_t s = fill ? -1 : pad_map(p->mode, (int64_t)k - p->begin[last], j->x->dims[last]);
            memcpy(dst + k * es, s < 0 ? (const char *)p->value : x + (size_t)(off + s) * es, es);
        }
    }
}

nnq_status nnq_pad_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                       nnq_tensor *const *outs, size_t n_out) {
    pad_plan p;
    NNQ_TRY(pad_plan_make(ctx, in, n_in, &p));
    nnq_tensor *y = outs[0];
    if (y->numel == 0) return NNQ_STATUS_OK;
    if (y->ndim == 0) return memcpy(y->data, in[0]->data, y->nbytes), NNQ_STATUS_OK;
    pad_job j = {&p, in[0], y, nnq_dtype_esize(in[0]->dtype), {0}};
    nnq_contig_strides(in[0]->ndim, in[0]->dims, j.xs);
    size_t width = (size_t)y->dims[y->ndim - 1], rows = y->numel / width;
    nnq_pool *pool = y->numel <= NNQ_EW_CHUNK ? NULL : ctx->pool;
    nnq_pool_parallelize_1d(pool, pad_task, &j, rows, NNQ_MAX((size_t)1, NNQ_EW_CHUNK / width));
    return NNQ_STATUS_OK;
}
