/*
 * softmax.c - Softmax and LogSoftmax.
 *
 * Opset < 13 coerces the input to 2-D at `axis` (default 1) and normalizes
 * each row of prod(dims[axis:]) elements; opset >= 13 normalizes along the
 * single dim `axis` (default -1).
 */
#include <math.h>

#include "exec/nn/nn.h"

typedef struct sm_job {
    const float *x;
    float *y;
    size_t len, inner; /* [outer, len, inner] */
    bool log;
} sm_job;

static nnq_status sm_geom(const nnq_op_ctx *ctx, const nnq_tensor *x, size_t *outer, size_t *len,
                          size_t *inner) {
    bool legacy = ctx->opset < 13;
    int64_t axis;
    int a;
    NNQ_TRY(nn_need_float(ctx, x, "input"));
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", legacy ? 1 : -1, &axis));
    if (x->ndim == 0)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH, "input is a scalar; needs rank >= 1");
    NNQ_TRY(nn_axis(ctx, axis, x->ndim, &a));
    *outer = *len = *inner = 1;
    for (int d = 0; d < x->ndim; d++) {
        size_t n = (size_t)(x->dims[d] < 0 ? 0 : x->dims[d]);
        if (d < a)
            *outer *= n;
        else if (d == a || legacy)
            *len *= n;
        else
            *inner *= n;
    }
    return NNQ_STATUS_OK;
}

static nnq_status sm_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, nnq_out_shape *out) {
    size_t o = 0, l = 0, i = 0;
    NNQ_TRY(sm_geom(ctx, in[0], &o, &l, &i));
    nn_out_like(&out[0], in[0]);
    return NNQ_STATUS_OK;
}

static void sm_task(void *ctx, size_t start, size_t count) {
    const sm_job *j = ctx;
    size_t L = j->len, S = j->inner;
    for (size_t r = start; r < start + count; r++) {
        /* row r: outer index r / inner, inner offset r % inner, stride inner */
        const float *x = j->x + (r / S) * L * S + r % S;
        float *y = j->y + (r / S) * L * S + r % S;
        float m = -INFINITY, sum = 0.0f;
        for (size_t i = 0; i < L; i++)
            if (x[i * S] > m) m = x[i * S];
        for (size_t i = 0; i < L; i++) {
            float e = expf(x[i * S] - m);
            sum += e;
            if (!j->log) y[i * S] = e;
        }
        if (j->log) {
            float ls = logf(sum);
            for (size_t i = 0; i < L; i++)
                y[i * S] = x[i * S] - m - ls;
        } else {
            for (size_t i = 0; i < L; i++)
                y[i * S] /= sum;
        }
    }
}

static nnq_status sm_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, nnq_tensor *const *out,
                         bool log) {
    size_t outer = 0, len = 0, inner = 0;
    NNQ_TRY(sm_geom(ctx, in[0], &outer, &len, &inner));
    sm_job j = {in[0]->data, out[0]->data, len, inner, log};
    /* exp costs about as much as ten simple operations */
    nnq_pool *pool = nn_pool_for(ctx->pool, in[0]->numel * 10);
    nnq_pool_parallelize_1d(pool, sm_task, &j, outer * inner, 16);
    return NNQ_STATUS_OK;
}

nnq_status nn_softmax_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *out, size_t n_out) {
    return sm_infer(ctx, in, out);
}
nnq_status nn_logsoftmax_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               nnq_out_shape *out, size_t n_out) {
    return sm_infer(ctx, in, out);
}
nnq_status nn_softmax_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *out, size_t n_out) {
    return sm_run(ctx, in, out, false);
}
nnq_status nn_logsoftmax_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                             nnq_tensor *const *out, size_t n_out) {
    return sm_run(ctx, in, out, true);
}
