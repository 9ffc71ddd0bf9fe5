/*
 * lstm.c - LSTM (ONNX opset 7/14): forward, reverse and bidirectional, with
 * the default activations (Sigmoid, Tanh, Tanh), peepholes, clip,
 * input_forget, sequence_lens, initial states and both layouts.
 *
 * Gate order in W, R and B is i, o, f, c (ONNX); peepholes P are i, o, f.
 * Per direction the input projection X W^T for all steps is one sgemm, each
 * step adds H_{t-1} R^T with another; the tiling of both depends only on
 * the sizes, so results do not depend on the thread count.
 */
#include <math.h>
#include <string.h>

#include "exec/nn/nn.h"

enum { IN_X, IN_W, IN_R, IN_B, IN_LENS, IN_H0, IN_C0, IN_P };

typedef struct lstm_geom {
    size_t seq, batch, in, hid, dirs;
    int direction; /* 0 forward, 1 reverse, 2 bidirectional */
    bool layout1, input_forget;
    float clip; /* 0: none */
} lstm_geom;

static const nnq_tensor *opt(const nnq_tensor *const *in, size_t n_in, size_t k) {
    return k < n_in ? in[k] : NULL;
}

static nnq_status check_acts(const nnq_op_ctx *ctx, size_t dirs) {
    const nnq_attr *a = nnq_node_attr(ctx->node, "activations");
    static const char *const def[3] = {"Sigmoid", "Tanh", "Tanh"};
    if (!a) return NNQ_STATUS_OK;
    bool ok = a->type == NNQ_ATTR_STRINGS && a->n_strings == 3 * dirs;
    for (size_t i = 0; ok && i < a->n_strings; i++)
        ok = strcmp(a->strings[i], def[i % 3]) == 0;
    if (!ok)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                            "only the default activations (Sigmoid, Tanh, Tanh) are "
                            "implemented");
    return NNQ_STATUS_OK;
}

static nnq_status expect_shape(const nnq_op_ctx *ctx, const nnq_tensor *t, const char *what,
                               int ndim, const int64_t *dims) {
    bool ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = dims[i] < 0 || t->dims[i] < 0 || t->dims[i] == dims[i];
    if (!ok) {
        char a[96], b[96];
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH, "input %s has shape %s, expected %s",
                            what, nnq_shape_str(t->ndim, t->dims, a, sizeof a),
                            nnq_shape_str(ndim, dims, b, sizeof b));
    }
    return NNQ_STATUS_OK;
}

static nnq_status lstm_geom_init(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 lstm_geom *g) {
    const nnq_node *n = ctx->node;
    const char *dir;
    int64_t hs, layout, inf;
    memset(g, 0, sizeof *g);
    NNQ_TRY(nnq_attr_string(n, "direction", "forward", &dir));
    NNQ_TRY(nnq_attr_int(n, "hidden_size", -1, &hs));
    NNQ_TRY(nnq_attr_int(n, "layout", 0, &layout));
    NNQ_TRY(nnq_attr_int(n, "input_forget", 0, &inf));
    NNQ_TRY(nnq_attr_float(n, "clip", 0.0f, &g->clip));
    if (!strcmp(dir, "forward"))
        g->direction = 0;
    else if (!strcmp(dir, "reverse"))
        g->direction = 1;
    else if (!strcmp(dir, "bidirectional"))
        g->direction = 2;
    else
        return nnq_op_error(ctx, NNQ_STATUS_UNKNOWN_NAME,
                            "direction '%s' is not forward, reverse or bidirectional", dir);
    if (layout != 0 && layout != 1)
        return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "layout %lld is not 0 or 1",
                            (long long)layout);
    if (g->clip < 0.0f)
        return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "clip %g must be positive",
                            (double)g->clip);
    g->layout1 = layout == 1;
    g->input_forget = inf != 0;
    g->dirs = g->direction == 2 ? 2 : 1;
    NNQ_TRY(check_acts(ctx, g->dirs));
    static const char *const names[] = {"X",         "W",         "R", "B", "sequence_lens",
                                        "initial_h", "initial_c", "P"};
    for (size_t k = 0; k < n_in; k++)
        if (in[k] && k != IN_LENS) NNQ_TRY(nn_need_float(ctx, in[k], names[k]));
    const nnq_tensor *x = in[IN_X], *w = in[IN_W];
    if (x->ndim != 3 || w->ndim != 3)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "X and W must be 3-D, got rank %d and %d", x->ndim, w->ndim);
    if (hs < 0) hs = w->dims[1] < 0 ? -1 : w->dims[1] / 4;
    int64_t seq = x->dims[g->layout1 ? 1 : 0], batch = x->dims[g->layout1 ? 0 : 1];
    int64_t D = (int64_t)g->dirs;
    NNQ_TRY(expect_shape(ctx, w, "W", 3, (int64_t[]){D, 4 * hs, x->dims[2]}));
    NNQ_TRY(expect_shape(ctx, in[IN_R], "R", 3, (int64_t[]){D, 4 * hs, hs}));
    const nnq_tensor *t;
    if ((t = opt(in, n_in, IN_B))) NNQ_TRY(expect_shape(ctx, t, "B", 2, (int64_t[]){D, 8 * hs}));
    if ((t = opt(in, n_in, IN_P))) NNQ_TRY(expect_shape(ctx, t, "P", 2, (int64_t[]){D, 3 * hs}));
    int64_t state[3] = {D, batch, hs};
    if (g->layout1) state[0] = batch, state[1] = D;
    if ((t = opt(in, n_in, IN_H0))) NNQ_TRY(expect_shape(ctx, t, "initial_h", 3, state));
    if ((t = opt(in, n_in, IN_C0))) NNQ_TRY(expect_shape(ctx, t, "initial_c", 3, state));
    if ((t = opt(in, n_in, IN_LENS))) {
        if (t->dtype != NNQ_DTYPE_INT32)
            return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                                "sequence_lens is %s, must be int32", nnq_dtype_name(t->dtype));
        NNQ_TRY(expect_shape(ctx, t, "sequence_lens", 1, (int64_t[]){batch}));
    }
    g->seq = (size_t)(seq < 0 ? 0 : seq);
    g->batch = (size_t)(batch < 0 ? 0 : batch);
    g->in = (size_t)(x->dims[2] < 0 ? 0 : x->dims[2]);
    g->hid = (size_t)(hs < 0 ? 0 : hs);
    return NNQ_STATUS_OK;
}

nnq_status nn_lstm_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_out_shape *out, size_t n_out) {
    lstm_geom g;
    NNQ_TRY(lstm_geom_init(ctx, in, n_in, &g));
    const nnq_tensor *x = in[IN_X];
    int64_t seq = x->dims[g.layout1 ? 1 : 0], batch = x->dims[g.layout1 ? 0 : 1];
    int64_t hs = in[IN_R]->dims[2], D = (int64_t)g.dirs;
    for (size_t k = 0; k < n_out; k++) {
        out[k].dtype = NNQ_DTYPE_FLOAT32;
        int64_t *d = out[k].dims;
        if (k == 0) {
            out[k].ndim = 4;
            int64_t y0[4] = {seq, D, batch, hs}, y1[4] = {batch, seq, D, hs};
            memcpy(d, g.layout1 ? y1 : y0, sizeof y0);
        } else {
            out[k].ndim = 3;
            int64_t s0[3] = {D, batch, hs}, s1[3] = {batch, D, hs};
            memcpy(d, g.layout1 ? s1 : s0, sizeof s0);
        }
    }
    return NNQ_STATUS_OK;
}

/* Scratch: projected inputs (seq*batch*4H), gates (batch*4H), h, c (batch*H). */
size_t nn_lstm_scratch(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in) {
    lstm_geom g;
    if (lstm_geom_init(ctx, in, n_in, &g)) return 0;
    size_t a, b, n;
    if (!nnq_size_product(
            (const int64_t[]){(int64_t)g.seq + 1, (int64_t)g.batch, 4 * (int64_t)g.hid}, 3, &a) ||
        !nnq_size_mul(g.batch, 2 * g.hid, &b) || !nnq_size_add(a, b, &n) ||
        !nnq_size_mul(n, sizeof(float), &n))
        return SIZE_MAX;
    return n;
}

static float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }
static float clipf(float x, float c) { return c > 0.0f ? (x < -c ? -c : x > c ? c : x) : x; }

/* Offsets of Y[t, d, b, :] and state[d, b, :] in the chosen layout. */
static size_t y_off(const lstm_geom *g, size_t t, size_t d, size_t b) {
    return (g->layout1 ? ((b * g->seq + t) * g->dirs + d) : ((t * g->dirs + d) * g->batch + b)) *
           g->hid;
}
static size_t s_off(const lstm_geom *g, size_t d, size_t b) {
    return (g->layout1 ? b * g->dirs + d : d * g->batch + b) * g->hid;
}
static size_t x_row(const lstm_geom *g, size_t t, size_t b) {
    return g->layout1 ? b * g->seq + t : t * g->batch + b;
}

static void lstm_direction(const nnq_op_ctx *ctx, const lstm_geom *g, size_t d, bool reverse,
                           const nnq_tensor *const *in, size_t n_in, nnq_tensor *const *out,
                           size_t n_out) {
    size_t H = g->hid, G = 4 * H, B = g->batch, T = g->seq;
    const float *x = in[IN_X]->data;
    const float *w = (const float *)in[IN_W]->data + d * G * g->in;
    const float *r = (const float *)in[IN_R]->data + d * G * H;
    const nnq_tensor *bt = opt(in, n_in, IN_B), *pt = opt(in, n_in, IN_P);
    const nnq_tensor *h0 = opt(in, n_in, IN_H0), *c0 = opt(in, n_in, IN_C0);
    const nnq_tensor *lt = opt(in, n_in, IN_LENS);
    const float *bias = bt ? (const float *)bt->data + d * 2 * G : NULL;
    const float *p = pt ? (const float *)pt->data + d * 3 * H : NULL;
    float *xw = ctx->scratch, *gates = xw + T * B * G, *h = gates + B * G, *c = h + B * H;
    /* xw[row] = x[row] W^T, rows in X's own order */
    nnq_sgemm(ctx->pool, false, true, T * B, G, g->in, 1.0f, x, g->in, w, g->in, 0.0f, xw, G);
    for (size_t b = 0; b < B; b++) {
        for (size_t j = 0; j < H; j++) {
            h[b * H + j] = h0 ? ((const float *)h0->data)[s_off(g, d, b) + j] : 0.0f;
            c[b * H + j] = c0 ? ((const float *)c0->data)[s_off(g, d, b) + j] : 0.0f;
        }
    }
    float *y = n_out > 0 && out[0] ? out[0]->data : NULL;
    for (size_t s = 0; s < T; s++) {
        /* gates = H_{t-1} R^T, then the input part and biases per batch row */
        nnq_sgemm(ctx->pool, false, true, B, G, H, 1.0f, h, H, r, H, 0.0f, gates, G);
        for (size_t b = 0; b < B; b++) {
            size_t len = lt ? (size_t)((const int32_t *)lt->data)[b] : T;
            if (len > T) len = T;
            if (s >= len) continue;
            size_t t = reverse ? len - 1 - s : s;
            float *gr = gates + b * G, *hb = h + b * H, *cb = c + b * H;
            const float *xr = xw + x_row(g, t, b) * G;
            for (size_t j = 0; j < G; j++) {
                gr[j] += xr[j];
                if (bias) gr[j] += bias[j] + bias[G + j];
            }
            for (size_t j = 0; j < H; j++) {
                float ig = gr[j], og = gr[H + j], fg = gr[2 * H + j], cg = gr[3 * H + j];
                if (p) {
                    ig += p[j] * cb[j];
                    fg += p[2 * H + j] * cb[j];
                }
                float i = sigm(clipf(ig, g->clip));
                float f = g->input_forget ? 1.0f - i : sigm(clipf(fg, g->clip));
                float cc = tanhf(clipf(cg, g->clip));
                cb[j] = f * cb[j] + i * cc;
                if (p) og += p[H + j] * cb[j];
                float o = sigm(clipf(og, g->clip));
                hb[j] = o * tanhf(cb[j]);
            }
            if (y) memcpy(y + y_off(g, t, d, b), hb, H * sizeof *hb);
        }
    }
    for (size_t k = 1; k < 3 && k < n_out; k++) {
        if (!out[k]) continue;
        const float *src = k == 1 ? h : c;
        for (size_t b = 0; b < B; b++)
            memcpy((float *)out[k]->data + s_off(g, d, b), src + b * H, H * sizeof *src);
    }
}

nnq_status nn_lstm_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                       nnq_tensor *const *out, size_t n_out) {
    lstm_geom g;
    NNQ_TRY(lstm_geom_init(ctx, in, n_in, &g));
    const nnq_tensor *lt = opt(in, n_in, IN_LENS);
    if (lt)
        for (size_t b = 0; b < g.batch; b++) {
            int32_t len = ((const int32_t *)lt->data)[b];
            if (len < 0 || (size_t)len > g.seq)
                return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE,
                                    "sequence_lens[%zu] = %d outside [0, %zu]", b, (int)len, g.seq);
        }
    /* steps past a sequence's length stay zero in Y */
    if (n_out > 0 && out[0]) memset(out[0]->data, 0, out[0]->nbytes);
    for (size_t d = 0; d < g.dirs; d++)
        lstm_direction(ctx, &g, d, g.direction == 1 || d == 1, in, n_in, out, n_out);
    return NNQ_STATUS_OK;
}
