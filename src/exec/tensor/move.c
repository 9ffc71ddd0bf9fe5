/*
 * move.c - operators that move elements: Transpose, Concat, Split, Slice,
 * Gather.  Elements are copied as opaque 1/2/4/8-byte units.
 */
#include <string.h>

#include "exec/tensor/tensor_ops.h"

/* ---- Transpose ----------------------------------------------------------- */

static nnq_status transpose_perm(const nnq_op_ctx *ctx, int rank, int *perm) {
    const int64_t *p;
    size_t n;
    bool seen[NNQ_MAX_DIMS] = {false};
    NNQ_TRY(nnq_attr_ints(ctx->node, "perm", &p, &n));
    if (n == 0) {
        for (int d = 0; d < rank; d++) perm[d] = rank - 1 - d;
        return NNQ_STATUS_OK;
    }
    if (n != (size_t)rank)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                            "perm has %zu entries but the input has rank %d", n, rank);
    for (int d = 0; d < rank; d++) {
        if (p[d] < 0 || p[d] >= rank || seen[p[d]])
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "perm[%d] = %lld: perm must be a permutation of [0, %d)", d,
                                (long long)p[d], rank);
        seen[p[d]] = true;
        perm[d] = (int)p[d];
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_transpose_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               nnq_out_shape *outs, size_t n_out) {
    int perm[NNQ_MAX_DIMS];
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need_esize(ctx, in[0], 0));
    NNQ_TRY(transpose_perm(ctx, in[0]->ndim, perm));
    outs[0].dtype = in[0]->dtype;
    outs[0].ndim = in[0]->ndim;
    for (int d = 0; d < in[0]->ndim; d++) outs[0].dims[d] = in[0]->dims[perm[d]];
    return NNQ_STATUS_OK;
}

nnq_status nnq_transpose_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                             nnq_tensor *const *outs, size_t n_out) {
    int perm[NNQ_MAX_DIMS];
    int64_t xs[NNQ_MAX_DIMS], strides[NNQ_MAX_DIMS];
    const nnq_tensor *x = in[0];
    NNQ_TRY(transpose_perm(ctx, x->ndim, perm));
    nnq_contig_strides(x->ndim, x->dims, xs);
    for (int d = 0; d < x->ndim; d++) strides[d] = xs[perm[d]];
    nnq_strided_copy(ctx->pool, outs[0]->data, x->data, nnq_dtype_esize(x->dtype), x->ndim,
                     outs[0]->dims, strides, 0);
    return NNQ_STATUS_OK;
}

/* ---- Concat / Split ------------------------------------------------------ */

/* Bytes of one slab after `axis` and the number of slabs before it. */
static void axis_split(const int64_t *dims, int ndim, int axis, size_t esize, size_t *outer,
                       size_t *inner_bytes) {
    size_t o = 1, i = esize;
    for (int d = 0; d < axis; d++) o *= (size_t)dims[d];
    for (int d = axis + 1; d < ndim; d++) i *= (size_t)dims[d];
    *outer = o;
    *inner_bytes = i;
}

static nnq_status concat_axis(const nnq_op_ctx *ctx, int rank, int *axis) {
    int64_t a;
    if (!nnq_node_attr(ctx->node, "axis"))
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "attribute 'axis' is required");
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", 0, &a));
    return nnq_op_axis(ctx, "axis", a, rank, axis);
}

nnq_status nnq_concat_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *outs, size_t n_out) {
    int axis;
    char b1[128], b2[128];
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    const nnq_tensor *x0 = in[0];
    NNQ_TRY(nnq_op_need_esize(ctx, x0, 0));
    NNQ_TRY(concat_axis(ctx, x0->ndim, &axis));
    nnq_out_set(&outs[0], x0->dtype, x0->ndim, x0->dims);
    for (size_t k = 1; k < n_in; k++) {
        NNQ_TRY(nnq_op_need(ctx, in, n_in, k));
        const nnq_tensor *x = in[k];
        if (x->dtype != x0->dtype)
            return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                                "input %zu '%s' has type %s but input 0 has type %s", k,
                                nnq_op_input_name(ctx, k), nnq_dtype_name(x->dtype),
                                nnq_dtype_name(x0->dtype));
        bool ok = x->ndim == x0->ndim;
        for (int d = 0; ok && d < x0->ndim; d++) ok = d == axis || x->dims[d] == x0->dims[d];
        if (!ok)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "input %zu '%s' has shape %s, input 0 %s: all dims but axis %d "
                                "must match",
                                k, nnq_op_input_name(ctx, k), nnq_shape_str(x->ndim, x->dims, b1, sizeof b1),
                                nnq_shape_str(x0->ndim, x0->dims, b2, sizeof b2), axis);
        outs[0].dims[axis] += x->dims[axis];
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_concat_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *outs, size_t n_out) {
    int axis;
    size_t outer, inner;
    NNQ_TRY(concat_axis(ctx, in[0]->ndim, &axis));
    axis_split(in[0]->dims, in[0]->ndim, axis, nnq_dtype_esize(in[0]->dtype), &outer, &inner);
    char *y = outs[0]->data;
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < n_in; k++) {
            size_t blk = (size_t)in[k]->dims[axis] * inner;
            if (blk) memcpy(y, (const char *)in[k]->data + o * blk, blk);
            y += blk;
        }
    return NNQ_STATUS_OK;
}

#define NNQ_SPLIT_MAX 1024

/* Split sizes from the input (opset >= 13), the attribute (< 13), the
 * num_outputs attribute (>= 18: ceil-sized parts, the last smaller) or
 * equal parts per output. */
static nnq_status split_sizes(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                              size_t n_out, int *axis, int64_t *sizes) {
    int64_t a, num = 0;
    size_t n = 0;
    const nnq_tensor *x = in[0];
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", 0, &a));
    NNQ_TRY(nnq_op_axis(ctx, "axis", a, x->ndim, axis));
    NNQ_TRY(nnq_attr_int(ctx->node, "num_outputs", 0, &num));
    int64_t dim = x->dims[*axis];
    if (ctx->opset > 0 && ctx->opset < 13) {
        const int64_t *s;
        NNQ_TRY(nnq_attr_ints(ctx->node, "split", &s, &n));
        if (n > NNQ_SPLIT_MAX) n = NNQ_SPLIT_MAX; /* reported as a count mismatch below */
        if (n) memcpy(sizes, s, sizeof(int64_t) * n);
    } else if (n_in > 1 && in[1]) {
        NNQ_TRY(nnq_op_const_ints(ctx, in[1], 1, sizes, NNQ_SPLIT_MAX, &n));
    }
    if (n == 0) {
        if (num != 0 && num != (int64_t)n_out)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "num_outputs is %lld but the node has %zu outputs",
                                (long long)num, n_out);
        int64_t part = num ? (dim + (int64_t)n_out - 1) / (int64_t)n_out : dim / (int64_t)n_out;
        if (!num && dim % (int64_t)n_out != 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "axis %d of size %lld does not split into %zu equal parts", *axis,
                                (long long)dim, n_out);
        for (size_t k = 0; k < n_out; k++) {
            sizes[k] = NNQ_MIN(part, NNQ_MAX(dim - part * (int64_t)k, 0));
        }
        return NNQ_STATUS_OK;
    }
    if (n != n_out)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                            "split has %zu entries but the node has %zu outputs", n, n_out);
    int64_t sum = 0;
    for (size_t k = 0; k < n; k++) {
        if (sizes[k] < 0)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "split[%zu] is negative (%lld)",
                                k, (long long)sizes[k]);
        sum += sizes[k];
        if (sum > dim) break;
    }
    if (sum != dim)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "split sizes do not sum to %lld, the size of axis %d", (long long)dim,
                            *axis);
    return NNQ_STATUS_OK;
}

nnq_status nnq_split_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           nnq_out_shape *outs, size_t n_out) {
    int axis;
    int64_t sizes[NNQ_SPLIT_MAX];
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need_esize(ctx, in[0], 0));
    if (n_out == 0 || n_out > NNQ_SPLIT_MAX)
        return nnq_op_error(ctx, NNQ_STATUS_LIMIT_EXCEEDED, "%zu outputs outside [1, %d]", n_out,
                            NNQ_SPLIT_MAX);
    NNQ_TRY(split_sizes(ctx, in, n_in, n_out, &axis, sizes));
    for (size_t k = 0; k < n_out; k++) {
        nnq_out_set(&outs[k], in[0]->dtype, in[0]->ndim, in[0]->dims);
        outs[k].dims[axis] = sizes[k];
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_split_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_tensor *const *outs, size_t n_out) {
    int axis;
    size_t outer, inner;
    int64_t sizes[NNQ_SPLIT_MAX];
    NNQ_TRY(split_sizes(ctx, in, n_in, n_out, &axis, sizes));
    axis_split(in[0]->dims, in[0]->ndim, axis, nnq_dtype_esize(in[0]->dtype), &outer, &inner);
    const char *x = in[0]->data;
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < n_out; k++) {
            size_t blk = (size_t)sizes[k] * inner;
            /* an output named "" is not produced (NULL): skip its part */
            if (blk && outs[k]) memcpy((char *)outs[k]->data + o * blk, x, blk);
            x += blk;
        }
    return NNQ_STATUS_OK;
}

/* ---- Slice --------------------------------------------------------------- */

typedef struct slice_plan {
    int64_t start[NNQ_MAX_DIMS], step[NNQ_MAX_DIMS], len[NNQ_MAX_DIMS];
} slice_plan;

/* starts/ends/axes/steps from attributes (opset < 10) or inputs 1..4. */
static nnq_status slice_params(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               int64_t v[4][NNQ_MAX_DIMS], size_t cnt[4]) {
    static const char *const names[4] = {"starts", "ends", "axes", "steps"};
    for (int k = 0; k < 4; k++) {
        cnt[k] = 0;
        if (ctx->opset > 0 && ctx->opset < 10) {
            const int64_t *p;
            if (k == 3) continue;
            NNQ_TRY(nnq_attr_ints(ctx->node, names[k], &p, &cnt[k]));
            if (cnt[k] > NNQ_MAX_DIMS)
                return nnq_op_error(ctx, NNQ_STATUS_LIMIT_EXCEEDED, "%s has %zu entries",
                                    names[k], cnt[k]);
            if (cnt[k]) memcpy(v[k], p, sizeof(int64_t) * cnt[k]);
        } else if ((size_t)k + 1 < n_in && in[k + 1]) {
            NNQ_TRY(nnq_op_const_ints(ctx, in[k + 1], (size_t)k + 1, v[k], NNQ_MAX_DIMS, &cnt[k]));
        } else if (k < 2) {
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "input '%s' is required",
                                names[k]);
        }
    }
    if (cnt[1] != cnt[0] || (cnt[2] && cnt[2] != cnt[0]) || (cnt[3] && cnt[3] != cnt[0]))
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "starts, ends, axes and steps have %zu, %zu, %zu and %zu entries; "
                            "they must have the same length",
                            cnt[0], cnt[1], cnt[2], cnt[3]);
    return NNQ_STATUS_OK;
}

static void slice_axis(int64_t dim, int64_t s, int64_t e, int64_t step, int64_t *start,
                       int64_t *len) {
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
        s = NNQ_MIN(NNQ_MAX(s, 0), dim);
        e = NNQ_MIN(NNQ_MAX(e, 0), dim);
        *len = e > s ? (int64_t)((uint64_t)(e - s - 1) / (uint64_t)step + 1) : 0;
    } else {
        s = NNQ_MIN(NNQ_MAX(s, 0), dim - 1);
        e = NNQ_MIN(NNQ_MAX(e, -1), dim - 1);
        *len = s > e ? (int64_t)((uint64_t)(s - e - 1) / (0u - (uint64_t)step) + 1) : 0;
    }
    *start = *len ? s : 0;
}

static nnq_status slice_plan_make(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                  slice_plan *p) {
    int64_t v[4][NNQ_MAX_DIMS];
    size_t cnt[4];
    bool seen[NNQ_MAX_DIMS] = {false};
    const nnq_tensor *x = in[0];
    NNQ_TRY(slice_params(ctx, in, n_in, v, cnt));
    for (int d = 0; d < x->ndim; d++) p->start[d] = 0, p->step[d] = 1, p->len[d] = x->dims[d];
    for (size_t i = 0; i < cnt[0]; i++) {
        int axis;
        NNQ_TRY(nnq_op_axis(ctx, "axes entry", cnt[2] ? v[2][i] : (int64_t)i, x->ndim, &axis));
        if (seen[axis])
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "axis %d appears twice in axes",
                                axis);
        seen[axis] = true;
        int64_t step = cnt[3] ? v[3][i] : 1;
        if (step == 0)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "steps[%zu] is 0", i);
        slice_axis(x->dims[axis], v[0][i], v[1][i], step, &p->start[axis], &p->len[axis]);
        /* A step only matters between two taken elements; then |step| <
         * dim, so step * stride cannot overflow in the copy. */
        p->step[axis] = p->len[axis] > 1 ? step : 1;
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_slice_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           nnq_out_shape *outs, size_t n_out) {
    slice_plan p;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need_esize(ctx, in[0], 0));
    NNQ_TRY(slice_plan_make(ctx, in, n_in, &p));
    nnq_out_set(&outs[0], in[0]->dtype, in[0]->ndim, p.len);
    return NNQ_STATUS_OK;
}

nnq_status nnq_slice_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_tensor *const *outs, size_t n_out) {
    slice_plan p;
    int64_t xs[NNQ_MAX_DIMS], strides[NNQ_MAX_DIMS], base = 0;
    const nnq_tensor *x = in[0];
    NNQ_TRY(slice_plan_make(ctx, in, n_in, &p));
    nnq_contig_strides(x->ndim, x->dims, xs);
    for (int d = 0; d < x->ndim; d++) {
        strides[d] = xs[d] * p.step[d];
        base += p.start[d] * xs[d];
    }
    nnq_strided_copy(ctx->pool, outs[0]->data, x->data, nnq_dtype_esize(x->dtype), x->ndim, p.len,
                     strides, base);
    return NNQ_STATUS_OK;
}

/* ---- Gather -------------------------------------------------------------- */

nnq_status nnq_gather_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *outs, size_t n_out) {
    int64_t a;
    int axis;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 1));
    const nnq_tensor *x = in[0], *idx = in[1];
    NNQ_TRY(nnq_op_need_esize(ctx, x, 0));
    if (idx->dtype != NNQ_DTYPE_INT32 && idx->dtype != NNQ_DTYPE_INT64)
        return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                            "indices '%s' have type %s, expected int32 or int64",
                            nnq_op_input_name(ctx, 1), nnq_dtype_name(idx->dtype));
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", 0, &a));
    NNQ_TRY(nnq_op_axis(ctx, "axis", a, x->ndim, &axis));
    if (x->ndim - 1 + idx->ndim > NNQ_MAX_DIMS)
        return nnq_op_error(ctx, NNQ_STATUS_LIMIT_EXCEEDED, "output rank %d exceeds the limit %d",
                            x->ndim - 1 + idx->ndim, NNQ_MAX_DIMS);
    nnq_out_shape *o = &outs[0];
    o->dtype = x->dtype;
    o->ndim = 0;
    for (int d = 0; d < axis; d++) o->dims[o->ndim++] = x->dims[d];
    for (int d = 0; d < idx->ndim; d++) o->dims[o->ndim++] = idx->dims[d];
    for (int d = axis + 1; d < x->ndim; d++) o->dims[o->ndim++] = x->dims[d];
    return NNQ_STATUS_OK;
}

nnq_status nnq_gather_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *outs, size_t n_out) {
    int64_t a;
    int axis;
    size_t outer, inner;
    const nnq_tensor *x = in[0], *idx = in[1];
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", 0, &a));
    NNQ_TRY(nnq_op_axis(ctx, "axis", a, x->ndim, &axis));
    int64_t dim = x->dims[axis];
    for (size_t j = 0; j < idx->numel; j++) {
        int64_t v = idx->dtype == NNQ_DTYPE_INT64 ? ((const int64_t *)idx->data)[j]
                                                  : ((const int32_t *)idx->data)[j];
        if (v < -dim || v >= dim)
            return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE,
                                "indices '%s' element %zu is %lld, outside [%lld, %lld)",
                                nnq_op_input_name(ctx, 1), j, (long long)v, (long long)-dim,
                                (long long)dim);
    }
    axis_split(x->dims, x->ndim, axis, nnq_dtype_esize(x->dtype), &outer, &inner);
    char *y = outs[0]->data;
    for (size_t o = 0; o < outer; o++)
        for (size_t j = 0; j < idx->numel; j++) {
            int64_t v = idx->dtype == NNQ_DTYPE_INT64 ? ((const int64_t *)idx->data)[j]
                                                      : ((const int32_t *)idx->data)[j];
            if (v < 0) v += dim;
            memcpy(y, (const char *)x->data + (o * (size_t)dim + (size_t)v) * inner, inner);
            y += inner;
        }
    return NNQ_STATUS_OK;
}
