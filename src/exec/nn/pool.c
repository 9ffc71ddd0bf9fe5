/*
 * pool.c - MaxPool (with optional Indices), AveragePool, GlobalAveragePool
 * and GlobalMaxPool over any number of spatial dims.
 *
 * NaN: a window containing NaN gives NaN for max pooling (the comparison
 * below keeps the first NaN it meets), as the mean does for average pooling.
 */
#include <math.h>
#include <string.h>

#include "exec/nn/nn.h"

enum { POOL_MAX, POOL_AVG };

typedef struct pool_job {
    nn_window w;
    int kind;
    bool include_pad, col_major;
    size_t isp, osp;
    const float *x;
    float *y;
    int64_t *idx;
} pool_job;

static nnq_status pool_init(const nnq_op_ctx *ctx, const nnq_tensor *x, int kind, pool_job *j) {
    memset(j, 0, sizeof *j);
    j->kind = kind;
    NNQ_TRY(nn_need_float(ctx, x, "X"));
    NNQ_TRY(nn_window_init(ctx, x, NULL, true, &j->w));
    int64_t v;
    if (kind == POOL_AVG) {
        NNQ_TRY(nnq_attr_int(ctx->node, "count_include_pad", 0, &v));
        j->include_pad = v != 0;
    } else {
        NNQ_TRY(nnq_attr_int(ctx->node, "storage_order", 0, &v));
        if (v != 0 && v != 1)
            return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "storage_order %lld is not 0 or 1",
                                (long long)v);
        j->col_major = v == 1;
    }
    return NNQ_STATUS_OK;
}

static nnq_status pool_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_out,
                             nnq_out_shape *out, int kind) {
    pool_job j = {0};
    NNQ_TRY(pool_init(ctx, in[0], kind, &j));
    nn_out_like(&out[0], in[0]);
    for (int i = 0; i < j.w.nsp; i++)
        out[0].dims[2 + i] = j.w.out[i];
    if (n_out > 1) {
        out[1] = out[0];
        out[1].dtype = NNQ_DTYPE_INT64;
    }
    return NNQ_STATUS_OK;
}

nnq_status nn_maxpool_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *out, size_t n_out) {
    return pool_infer(ctx, in, n_out, out, POOL_MAX);
}

nnq_status nn_avgpool_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *out, size_t n_out) {
    return pool_infer(ctx, in, n_out, out, POOL_AVG);
}

/* One output element of plane p at output position o. */
static void pool_window(const pool_job *j, size_t p, const int64_t *o, size_t oi) {
    const nn_window *w = &j->w;
    const float *xp = j->x + p * j->isp;
    int nsp = w->nsp;
    int64_t kk[NNQ_MAX_DIMS] = {0};
    float best = -INFINITY, sum = 0.0f;
    int64_t best_at = -1;
    size_t count = 0, padded = 1;
    if (j->include_pad)
        for (int d = 0; d < nsp; d++) {
            size_t c = 0;
            for (int64_t t = 0; t < w->k[d]; t++) {
                int64_t i = o[d] * w->s[d] - w->pb[d] + t * w->d[d];
                c += i >= -w->pb[d] && i < w->in[d] + w->pe[d];
            }
            padded *= c;
        }
    for (;;) {
        bool valid = true;
        size_t off = 0, cm = 0, cstride = 1;
        for (int d = 0; d < nsp; d++) {
            int64_t i = o[d] * w->s[d] - w->pb[d] + kk[d] * w->d[d];
            valid = valid && i >= 0 && i < w->in[d];
            off = off * (size_t)w->in[d] + (size_t)(valid ? i : 0);
            cm += (size_t)(valid ? i : 0) * cstride;
            cstride *= (size_t)w->in[d];
        }
        if (valid) {
            float v = xp[off];
            if (j->kind == POOL_AVG) {
                sum += v;
                count++;
            } else if (best_at < 0 || v > best || (isnan(v) && !isnan(best))) {
                best = v;
                best_at = (int64_t)(j->col_major ? cm : off);
            }
        }
        int d = nsp - 1;
        for (; d >= 0; d--) {
            if (++kk[d] < w->k[d]) break;
            kk[d] = 0;
        }
        if (d < 0) break;
    }
    if (j->kind == POOL_AVG) {
        size_t div = j->include_pad ? padded : count;
        j->y[p * j->osp + oi] = div ? sum / (float)div : 0.0f;
    } else {
        j->y[p * j->osp + oi] = best;
        if (j->idx) j->idx[p * j->osp + oi] = best_at < 0 ? 0 : (int64_t)(p * j->isp) + best_at;
    }
}

/* Window taps [*lo, *hi) of one dim that land in [begin, end). */
static void tap_range(int64_t o, const nn_window *w, int d, int64_t begin, int64_t end, int64_t *lo,
                      int64_t *hi) {
    int64_t first = o * w->s[d] - w->pb[d], dl = w->d[d];
    *lo = first >= begin ? 0 : (begin - first + dl - 1) / dl;
    *hi = first >= end ? 0 : (end - first + dl - 1) / dl;
    if (*hi > w->k[d]) *hi = w->k[d];
    if (*lo > *hi) *lo = *hi;
}

/* best = the later tap v when it beats the earlier best: larger, or the
 * first NaN (the tie-breaking and NaN rule of pool_window). */
static inline float max_tap(float best, float v) {
    return v > best || (isnan(v) && !isnan(best)) ? v : best;
}

/* MaxPool 2x2 stride 2 without padding, dilation or indices (the common
 * downsampling layer): taps in pool_window's order, so the same results. */
static bool pool_plane_2x2(const pool_job *j, size_t p) {
    const nn_window *w = &j->w;
    if (j->kind != POOL_MAX || j->idx || w->k[0] != 2 || w->k[1] != 2 || w->s[0] != 2 ||
        w->s[1] != 2 || w->d[0] != 1 || w->d[1] != 1 || w->pb[0] || w->pb[1] ||
        w->out[0] * 2 > w->in[0] || w->out[1] * 2 > w->in[1])
        return false;
    const float *xp = j->x + p * j->isp;
    float *y = j->y + p * j->osp;
    size_t W = (size_t)w->in[1], OW = (size_t)w->out[1];
    for (size_t oh = 0; oh < (size_t)w->out[0]; oh++, y += OW) {
        const float *r0 = xp + 2 * oh * W, *r1 = r0 + W;
        for (size_t ow = 0; ow < OW; ow++) {
            float best = max_tap(r0[2 * ow], r0[2 * ow + 1]);
            best = max_tap(best, r1[2 * ow]);
            y[ow] = max_tap(best, r1[2 * ow + 1]);
        }
    }
    return true;
}

/* The 2-D case without the generic odometer: the same taps, in the same
 * order, so the same results. */
static void pool_plane_2d(const pool_job *j, size_t p) {
    const nn_window *w = &j->w;
    const float *xp = j->x + p * j->isp;
    int64_t H = w->in[0], W = w->in[1];
    size_t oi = 0;
    for (int64_t oh = 0; oh < w->out[0]; oh++) {
        int64_t hlo, hhi, plo, phi;
        tap_range(oh, w, 0, 0, H, &hlo, &hhi);
        tap_range(oh, w, 0, -w->pb[0], H + w->pe[0], &plo, &phi);
        int64_t h0 = oh * w->s[0] - w->pb[0];
        for (int64_t ow = 0; ow < w->out[1]; ow++, oi++) {
            int64_t wlo, whi, qlo, qhi;
            tap_range(ow, w, 1, 0, W, &wlo, &whi);
            int64_t w0 = ow * w->s[1] - w->pb[1];
            float best = -INFINITY, sum = 0.0f;
            int64_t best_at = -1;
            for (int64_t kh = hlo; kh < hhi; kh++) {
                int64_t ih = h0 + kh * w->d[0];
                const float *row = xp + ih * W;
                for (int64_t kw = wlo; kw < whi; kw++) {
                    int64_t iw = w0 + kw * w->d[1];
                    float v = row[iw];
                    if (j->kind == POOL_AVG) {
                        sum += v;
                    } else if (best_at < 0 || v > best || (isnan(v) && !isnan(best))) {
                        best = v;
                        best_at = j->col_major ? ih + iw * H : ih * W + iw;
                    }
                }
            }
            if (j->kind == POOL_AVG) {
                size_t div = (size_t)((hhi - hlo) * (whi - wlo));
                if (j->include_pad) {
                    tap_range(ow, w, 1, -w->pb[1], W + w->pe[1], &qlo, &qhi);
                    div = (size_t)((phi - plo) * (qhi - qlo));
                }
                j->y[p * j->osp + oi] = div ? sum / (float)div : 0.0f;
            } else {
                j->y[p * j->osp + oi] = best;
                if (j->idx)
                    j->idx[p * j->osp + oi] = best_at < 0 ? 0 : (int64_t)(p * j->isp) + best_at;
            }
        }
    }
}

static void pool_task(void *ctx, size_t start, size_t count) {
    const pool_job *j = ctx;
    if (j->w.nsp == 2) {
        for (size_t p = start; p < start + count; p++)
            if (!pool_plane_2x2(j, p)) pool_plane_2d(j, p);
        return;
    }
    for (size_t p = start; p < start + count; p++) {
        int64_t o[NNQ_MAX_DIMS] = {0};
        for (size_t oi = 0; oi < j->osp; oi++) {
            pool_window(j, p, o, oi);
            for (int d = j->w.nsp - 1; d >= 0; d--) {
                if (++o[d] < j->w.out[d]) break;
                o[d] = 0;
            }
        }
    }
}

static nnq_status pool_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                           nnq_tensor *const *out, size_t n_out, int kind) {
    pool_job j = {0};
    NNQ_TRY(pool_init(ctx, in[0], kind, &j));
    j.x = in[0]->data;
    j.y = out[0]->data;
    j.idx = n_out > 1 && out[1] ? out[1]->data : NULL;
    j.isp = nn_window_in_size(&j.w);
    j.osp = nn_window_out_size(&j.w);
    size_t planes = (size_t)in[0]->dims[0] * (size_t)in[0]->dims[1];
    size_t taps = 1;
    for (int d = 0; d < j.w.nsp; d++)
        taps *= (size_t)j.w.k[d];
    nnq_pool *pool = nn_pool_for(ctx->pool, planes * j.osp * taps);
    nnq_pool_parallelize_1d(pool, pool_task, &j, planes, 1);
    return NNQ_STATUS_OK;
}

nnq_status nn_maxpool_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *out, size_t n_out) {
    return pool_run(ctx, in, out, n_out, POOL_MAX);
}

nnq_status nn_avgpool_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *out, size_t n_out) {
    return pool_run(ctx, in, out, n_out, POOL_AVG);
}

/* ---------------------------------------------------------------- global */

static nnq_status global_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                               nnq_out_shape *out) {
    NNQ_TRY(nn_need_float(ctx, in[0], "X"));
    if (in[0]->ndim < 2)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "input X has rank %d, needs [N, C, ...]", in[0]->ndim);
    nn_out_like(&out[0], in[0]);
    for (int i = 2; i < in[0]->ndim; i++)
        out[0].dims[i] = 1;
    return NNQ_STATUS_OK;
}

nnq_status nn_global_avgpool_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                   nnq_out_shape *out, size_t n_out) {
    return global_infer(ctx, in, out);
}

nnq_status nn_global_maxpool_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                   nnq_out_shape *out, size_t n_out) {
    return global_infer(ctx, in, out);
}

typedef struct global_job {
    const float *x;
    float *y;
    size_t plane;
    bool max;
} global_job;

static void global_task(void *ctx, size_t start, size_t count) {
    const global_job *j = ctx;
    for (size_t p = start; p < start + count; p++) {
        const float *x = j->x + p * j->plane;
        float acc = j->max ? -INFINITY : 0.0f;
        for (size_t i = 0; i < j->plane; i++) {
            if (!j->max)
                acc += x[i];
            else if (x[i] > acc || isnan(x[i]))
                acc = x[i];
            if (j->max && isnan(acc)) break;
        }
        j->y[p] = j->max ? acc : (j->plane ? acc / (float)j->plane : NAN);
    }
}

static nnq_status global_run(const nnq_op_ctx *ctx, const nnq_tensor *x, nnq_tensor *y, bool max) {
    size_t planes = (size_t)x->dims[0] * (size_t)x->dims[1];
    global_job j = {x->data, y->data, planes ? x->numel / planes : 0, max};
    nnq_pool_parallelize_1d(nn_pool_for(ctx->pool, x->numel), global_task, &j, planes, 16);
    return NNQ_STATUS_OK;
}

nnq_status nn_global_avgpool_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_tensor *const *out, size_t n_out) {
    return global_run(ctx, in[0], out[0], false);
}

nnq_status nn_global_maxpool_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_tensor *const *out, size_t n_out) {
    return global_run(ctx, in[0], out[0], true);
}
