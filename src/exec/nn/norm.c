/*
 * norm.c - BatchNormalization (inference), LayerNormalization and
 * InstanceNormalization.  Statistics use the biased variance, accumulated
 * in fp32 in index order (deterministic for any thread count: one row or
 * plane per task).
 */
#include <math.h>
#include <string.h>

#include "exec/nn/nn.h"

static void row_stats(const float *x, size_t n, float *mean, float *var) {
    float s = 0.0f, q = 0.0f;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    float m = n ? s / (float)n : 0.0f;
    for (size_t i = 0; i < n; i++)
        q += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = n ? q / (float)n : 0.0f;
}

static nnq_status need_vector(const nnq_op_ctx *ctx, const nnq_tensor *t, const char *what,
                              int64_t n) {
    NNQ_TRY(nn_need_float(ctx, t, what));
    if (n >= 0 && (t->ndim != 1 || t->dims[0] != n))
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "input %s must be 1-D with %lld elements (one per channel)", what,
                            (long long)n);
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- BatchNormalization */

static nnq_status bn_check(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           size_t n_out, float *eps) {
    static const char *const names[] = {"X", "scale", "B", "input_mean", "input_var"};
    NNQ_TRY(nn_need_float(ctx, in[0], "X"));
    if (in[0]->ndim < 2)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH, "X has rank %d, needs [N, C, ...]",
                            in[0]->ndim);
    for (size_t k = 1; k < 5; k++)
        NNQ_TRY(need_vector(ctx, in[k], names[k], in[0]->dims[1]));
    int64_t training;
    NNQ_TRY(nnq_attr_int(ctx->node, "training_mode", 0, &training));
    bool more = false;
    for (size_t k = 1; k < n_out; k++)
        more = more || ctx->node->outputs[k][0];
    if (training || more)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                            "training mode (training_mode=1 or running-stat "
                            "outputs) is not implemented; nnq runs inference only");
    return nnq_attr_float(ctx->node, "epsilon", 1e-5f, eps);
}

nnq_status nn_batchnorm_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                              nnq_out_shape *out, size_t n_out) {
    float eps = 0.0f;
    NNQ_TRY(bn_check(ctx, in, n_in, n_out, &eps));
    nn_out_like(&out[0], in[0]);
    for (size_t k = 1; k < n_out; k++)
        out[k] = out[0]; /* omitted outputs */
    return NNQ_STATUS_OK;
}

typedef struct bn_job {
    const float *x, *scale, *bias, *mean, *var;
    float *y;
    size_t C, plane;
    float eps;
} bn_job;

static void bn_task(void *ctx, size_t start, size_t count) {
    const bn_job *j = ctx;
    for (size_t p = start; p < start + count; p++) {
        size_t c = p % j->C;
        float a = j->scale[c] / sqrtf(j->var[c] + j->eps), m = j->mean[c], b = j->bias[c];
        const float *x = j->x + p * j->plane;
        float *y = j->y + p * j->plane;
        for (size_t i = 0; i < j->plane; i++)
            y[i] = (x[i] - m) * a + b;
    }
}

nnq_status nn_batchnorm_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_tensor *const *out, size_t n_out) {
    float eps = 0.0f;
    NNQ_TRY(bn_check(ctx, in, n_in, n_out, &eps));
    size_t C = (size_t)in[0]->dims[1], planes = (size_t)in[0]->dims[0] * C;
    bn_job j = {in[0]->data, in[1]->data,  in[2]->data, in[3]->data,
                in[4]->data, out[0]->data, C,           planes ? in[0]->numel / planes : 0,
                eps};
    nnq_pool_parallelize_1d(nn_pool_for(ctx->pool, in[0]->numel), bn_task, &j, planes, 4);
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- LayerNormalization */

typedef struct ln_geom {
    int axis;
    float eps;
    size_t rows, n;
} ln_geom;

static nnq_status ln_check(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           ln_geom *g) {
    int64_t axis;
    NNQ_TRY(nn_need_float(ctx, in[0], "X"));
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", -1, &axis));
    NNQ_TRY(nnq_attr_float(ctx->node, "epsilon", 1e-5f, &g->eps));
    NNQ_TRY(nn_axis(ctx, axis, in[0]->ndim, &g->axis));
    bool known = true;
    g->rows = g->n = 1;
    for (int d = 0; d < in[0]->ndim; d++) {
        known = known && in[0]->dims[d] >= 0;
        if (d < g->axis)
            g->rows *= (size_t)(in[0]->dims[d] < 0 ? 0 : in[0]->dims[d]);
        else
            g->n *= (size_t)(in[0]->dims[d] < 0 ? 0 : in[0]->dims[d]);
    }
    for (size_t k = 1; k < n_in && k < 3; k++) {
        if (!in[k]) continue;
        NNQ_TRY(nn_need_float(ctx, in[k], k == 1 ? "Scale" : "B"));
        if (known && in[k]->numel != g->n && in[k]->numel != 1)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "%s has %zu elements, expected %zu (the dims "
                                "from axis %d on) or 1",
                                k == 1 ? "Scale" : "B", in[k]->numel, g->n, g->axis);
    }
    return NNQ_STATUS_OK;
}

nnq_status nn_layernorm_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                              nnq_out_shape *out, size_t n_out) {
    ln_geom g = {0};
    NNQ_TRY(ln_check(ctx, in, n_in, &g));
    nn_out_like(&out[0], in[0]);
    for (size_t k = 1; k < n_out; k++) {
        out[k] = out[0];
        for (int d = g.axis; d < in[0]->ndim; d++)
            out[k].dims[d] = 1;
    }
    return NNQ_STATUS_OK;
}

typedef struct ln_job {
    const ln_geom *g;
    const float *x, *scale, *bias;
    size_t ns, nb;
    float *y, *mean, *inv;
} ln_job;

static void ln_task(void *ctx, size_t start, size_t count) {
    const ln_job *j = ctx;
    size_t n = j->g->n;
    for (size_t r = start; r < start + count; r++) {
        const float *x = j->x + r * n;
        float *y = j->y + r * n;
        float m, v;
        row_stats(x, n, &m, &v);
        float inv = 1.0f / sqrtf(v + j->g->eps);
        for (size_t i = 0; i < n; i++) {
            float t = (x[i] - m) * inv * j->scale[j->ns == 1 ? 0 : i];
            y[i] = j->bias ? t + j->bias[j->nb == 1 ? 0 : i] : t;
        }
        if (j->mean) j->mean[r] = m;
        if (j->inv) j->inv[r] = inv;
    }
}

nnq_status nn_layernorm_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_tensor *const *out, size_t n_out) {
    ln_geom g = {0};
    NNQ_TRY(ln_check(ctx, in, n_in, &g));
    const nnq_tensor *b = n_in > 2 ? in[2] : NULL;
    ln_job j = {&g,
                in[0]->data,
                in[1]->data,
                b ? b->data : NULL,
                in[1]->numel,
                b ? b->numel : 0,
                out[0]->data,
                n_out > 1 && out[1] ? out[1]->data : NULL,
                n_out > 2 && out[2] ? out[2]->data : NULL};
    /* three passes: mean, variance, normalize */
    nnq_pool *pool = nn_pool_for(ctx->pool, in[0]->numel * 3);
    nnq_pool_parallelize_1d(pool, ln_task, &j, g.rows, 8);
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- InstanceNormalization */

nnq_status nn_instancenorm_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_out_shape *out, size_t n_out) {
    NNQ_TRY(nn_need_float(ctx, in[0], "input"));
    if (in[0]->ndim < 3)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "input has rank %d, needs [N, C, D1, ...]", in[0]->ndim);
    NNQ_TRY(need_vector(ctx, in[1], "scale", in[0]->dims[1]));
    NNQ_TRY(need_vector(ctx, in[2], "B", in[0]->dims[1]));
    nn_out_like(&out[0], in[0]);
    return NNQ_STATUS_OK;
}

typedef struct in_job {
    const float *x, *scale, *bias;
    float *y;
    size_t C, plane;
    float eps;
} in_job;

static void in_task(void *ctx, size_t start, size_t count) {
    const in_job *j = ctx;
    for (size_t p = start; p < start + count; p++) {
        size_t c = p % j->C;
        const float *x = j->x + p * j->plane;
        float *y = j->y + p * j->plane;
        float m, v;
        row_stats(x, j->plane, &m, &v);
        float a = j->scale[c] / sqrtf(v + j->eps);
        for (size_t i = 0; i < j->plane; i++)
            y[i] = (x[i] - m) * a + j->bias[c];
    }
}

nnq_status nn_instancenorm_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               nnq_tensor *const *out, size_t n_out) {
    float eps = 0.0f;
    NNQ_TRY(nnq_attr_float(ctx->node, "epsilon", 1e-5f, &eps));
    size_t C = (size_t)in[0]->dims[1], planes = (size_t)in[0]->dims[0] * C;
    in_job j = {in[0]->data,  in[1]->data, in[2]->data,
                out[0]->data, C,           planes ? in[0]->numel / planes : 0,
                eps};
    nnq_pool_parallelize_1d(nn_pool_for(ctx->pool, in[0]->numel * 3), in_task, &j, planes, 1);
    return NNQ_STATUS_OK;
}
