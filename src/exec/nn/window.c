/*
 * window.c - sliding-window geometry shared by Conv, ConvTranspose and the
 * pools: attribute parsing, auto_pad and output sizes.
 */
#include <string.h>

#include "exec/nn/nn.h"

static nnq_status read_dims(const nnq_op_ctx *ctx, const char *attr, int count, int64_t def,
                            int64_t min, int64_t *out) {
    const int64_t *v;
    size_t n;
    NNQ_TRY(nnq_attr_ints(ctx->node, attr, &v, &n));
    if (n != 0 && n != (size_t)count)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_FORMAT,
                            "attribute %s has %zu values, expected %d", attr, n, count);
    for (int i = 0; i < count; i++) {
        out[i] = n ? v[i] : def;
        if (out[i] < min)
            return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "%s[%d] = %lld, must be >= %lld",
                                attr, i, (long long)out[i], (long long)min);
    }
    return NNQ_STATUS_OK;
}

nnq_status nn_window_parse(const nnq_op_ctx *ctx, const nnq_tensor *x, const int64_t *kernel,
                           bool allow_ceil, nn_window *w, int *auto_pad, bool *ceil_mode) {
    memset(w, 0, sizeof *w);
    if (x->ndim < 3)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "input X has rank %d; it must be [N, C, D1, ...] with rank >= 3",
                            x->ndim);
    int nsp = w->nsp = x->ndim - 2;
    const int64_t *ks;
    size_t nk;
    NNQ_TRY(nnq_attr_ints(ctx->node, "kernel_shape", &ks, &nk));
    if (!kernel && nk == 0)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_FORMAT, "attribute kernel_shape is required");
    if (nk && nk != (size_t)nsp)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_FORMAT,
                            "kernel_shape has %zu values for %d spatial dims", nk, nsp);
    for (int i = 0; i < nsp; i++) {
        w->k[i] = kernel ? kernel[i] : ks[i];
        if (nk && kernel && kernel[i] >= 0 && ks[i] != kernel[i])
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "kernel_shape[%d] = %lld but the weight's kernel is %lld", i,
                                (long long)ks[i], (long long)kernel[i]);
        if (w->k[i] < 1 && !(kernel && w->k[i] < 0))
            return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE, "kernel dim %d is %lld, must be >= 1",
                                i, (long long)w->k[i]);
        w->in[i] = x->dims[2 + i];
    }
    NNQ_TRY(read_dims(ctx, "strides", nsp, 1, 1, w->s));
    NNQ_TRY(read_dims(ctx, "dilations", nsp, 1, 1, w->d));
    int64_t pads[2 * NNQ_MAX_DIMS];
    NNQ_TRY(read_dims(ctx, "pads", 2 * nsp, 0, 0, pads));
    for (int i = 0; i < nsp; i++) {
        w->pb[i] = pads[i];
        w->pe[i] = pads[nsp + i];
    }
    const char *ap;
    NNQ_TRY(nnq_attr_string(ctx->node, "auto_pad", "NOTSET", &ap));
    static const char *const modes[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    *auto_pad = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(ap, modes[i]) == 0) *auto_pad = i;
    if (!*ap) *auto_pad = 0;
    if (*auto_pad < 0)
        return nnq_op_error(ctx, NNQ_STATUS_UNKNOWN_NAME,
                            "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", ap);
    int64_t cm = 0;
    if (allow_ceil) NNQ_TRY(nnq_attr_int(ctx->node, "ceil_mode", 0, &cm));
    *ceil_mode = cm != 0;
    return NNQ_STATUS_OK;
}

nnq_status nn_window_init(const nnq_op_ctx *ctx, const nnq_tensor *x, const int64_t *kernel,
                          bool allow_ceil, nn_window *w) {
    int ap;
    bool ceil_mode;
    NNQ_TRY(nn_window_parse(ctx, x, kernel, allow_ceil, w, &ap, &ceil_mode));
    for (int i = 0; i < w->nsp; i++) {
        int64_t in = w->in[i], ek = (w->k[i] - 1) * w->d[i] + 1, s = w->s[i];
        if (in < 0 || w->k[i] < 0) {
            w->out[i] = -1;
            continue;
        }
        if (ap == 1 || ap == 2) { /* SAME_*: output = ceil(in / stride) */
            w->out[i] = (in + s - 1) / s;
            int64_t total = (w->out[i] - 1) * s + ek - in;
            if (total < 0) total = 0;
            w->pb[i] = ap == 1 ? total / 2 : total - total / 2;
            w->pe[i] = total - w->pb[i];
            continue;
        }
        if (ap == 3) w->pb[i] = w->pe[i] = 0;
        int64_t span = in + w->pb[i] + w->pe[i] - ek;
        if (span < 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "spatial dim %d has size %lld (padded %lld), smaller than the "
                                "dilated kernel %lld",
                                i, (long long)in, (long long)(in + w->pb[i] + w->pe[i]),
                                (long long)ek);
        w->out[i] = (ceil_mode && ap == 0 ? (span + s - 1) / s : span / s) + 1;
        /* As in PyTorch: the last window must start inside the input or
         * the leading padding, never wholly in the trailing padding. */
        if (ceil_mode && ap == 0 && (w->out[i] - 1) * s >= in + w->pb[i]) w->out[i]--;
    }
    return NNQ_STATUS_OK;
}

size_t nn_window_out_size(const nn_window *w) {
    size_t n = 1;
    for (int i = 0; i < w->nsp; i++)
        n *= (size_t)w->out[i];
    return n;
}

size_t nn_window_in_size(const nn_window *w) {
    size_t n = 1;
    for (int i = 0; i < w->nsp; i++)
        n *= (size_t)w->in[i];
    return n;
}
