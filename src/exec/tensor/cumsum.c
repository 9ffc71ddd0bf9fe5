/*
 * cumsum.c - CumSum (opset 11/14): running sums along one axis, with the
 * `exclusive` (leave out the current element) and `reverse` (sum from the
 * end) attributes.
 *
 * Each line along the axis is summed in order in the element type (float32
 * sums in float32, as ONNX Runtime does); lines are split across threads,
 * never a line itself, so results do not depend on the thread count.
 * Integer sums wrap modulo 2^bits (through unsigned arithmetic).
 */
#include <string.h>

#include "exec/elem/bits.h"
#include "exec/tensor/tensor_ops.h"

typedef struct cs_job {
    nnq_dtype dtype;
    const void *x;
    void *y;
    size_t len, inner; /* axis length; elements per axis step */
    bool exclusive, reverse;
} cs_job;

#define CS_LINE(T, ACC)                                                                            \
    do {                                                                                           \
        const T *x_ = j->x;                                                                        \
        T *y_ = j->y;                                                                              \
        ACC acc = 0;                                                                               \
        for (size_t k = 0; k < j->len; k++) {                                                      \
            size_t e = base + (j->reverse ? j->len - 1 - k : k) * j->inner;                        \
            ACC v = (ACC)x_[e];                                                                    \
            if (j->exclusive) {                                                                    \
                y_[e] = (T)acc;                                                                    \
                acc += v;                                                                          \
            } else {                                                                               \
                acc += v;                                                                          \
                y_[e] = (T)acc;                                                                    \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Lines [start, start + count): line l is outer index l / inner, inner
 * offset l % inner. */
static void cs_task(void *arg, size_t start, size_t count) {
    const cs_job *j = arg;
    for (size_t l = start; l < start + count; l++) {
        size_t base = (l / j->inner) * j->len * j->inner + l % j->inner;
        switch (j->dtype) {
        case NNQ_DTYPE_FLOAT32: CS_LINE(float, float); break;
        case NNQ_DTYPE_FLOAT64: CS_LINE(double, double); break;
        case NNQ_DTYPE_INT32: CS_LINE(int32_t, uint32_t); break;
        case NNQ_DTYPE_UINT32: CS_LINE(uint32_t, uint32_t); break;
        case NNQ_DTYPE_INT64: CS_LINE(int64_t, uint64_t); break;
        default: CS_LINE(uint64_t, uint64_t); break;
        }
    }
}

static bool cs_type_ok(nnq_dtype t) {
    return t == NNQ_DTYPE_FLOAT32 || t == NNQ_DTYPE_FLOAT64 || t == NNQ_DTYPE_INT32 ||
           t == NNQ_DTYPE_UINT32 || t == NNQ_DTYPE_INT64 || t == NNQ_DTYPE_UINT64;
}

/* The axis input's value, normalized; UNSUPPORTED when not yet known. */
static nnq_status cs_axis(const nnq_op_ctx *ctx, const nnq_tensor *x, const nnq_tensor *ax,
                          int *axis) {
    int64_t v[1];
    size_t n = 0;
    if (ax->ndim > 1 || ax->numel != 1)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "axis '%s' must be a scalar, has rank %d and %zu elements",
                            nnq_op_input_name(ctx, 1), ax->ndim, ax->numel);
    NNQ_TRY(nnq_op_const_ints(ctx, ax, 1, v, 1, &n));
    return nnq_op_axis(ctx, "axis", v[0], x->ndim, axis);
}

static nnq_status cs_attrs(const nnq_op_ctx *ctx, bool *exclusive, bool *reverse) {
    int64_t e, r;
    NNQ_TRY(nnq_attr_int(ctx->node, "exclusive", 0, &e));
    NNQ_TRY(nnq_attr_int(ctx->node, "reverse", 0, &r));
    if ((e != 0 && e != 1) || (r != 0 && r != 1))
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                            "attributes exclusive (%lld) and reverse (%lld) must be 0 or 1",
                            (long long)e, (long long)r);
    *exclusive = e != 0, *reverse = r != 0;
    return NNQ_STATUS_OK;
}

nnq_status nnq_cumsum_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *outs, size_t n_out) {
    bool ex, rev;
    (void)n_out;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 1));
    if (!cs_type_ok(in[0]->dtype))
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                            "input 0 '%s' has type %s, expected float32, float64, int32, "
                            "uint32, int64 or uint64",
                            nnq_op_input_name(ctx, 0), nnq_dtype_name(in[0]->dtype));
    if (in[0]->ndim == 0)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "input 0 '%s' is a scalar; CumSum needs rank >= 1",
                            nnq_op_input_name(ctx, 0));
    NNQ_TRY(cs_attrs(ctx, &ex, &rev));
    if (in[1]->data) { /* validate now when constant; the value only matters at run */
        int axis;
        NNQ_TRY(cs_axis(ctx, in[0], in[1], &axis));
    }
    nnq_out_set(&outs[0], in[0]->dtype, in[0]->ndim, in[0]->dims);
    return NNQ_STATUS_OK;
}

nnq_status nnq_cumsum_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *outs, size_t n_out) {
    const nnq_tensor *x = in[0];
    cs_job j = {.dtype = x->dtype, .x = x->data, .y = outs[0]->data, .inner = 1};
    int axis;
    (void)n_in, (void)n_out;
    NNQ_TRY(cs_axis(ctx, x, in[1], &axis));
    NNQ_TRY(cs_attrs(ctx, &j.exclusive, &j.reverse));
    if (x->numel == 0) return NNQ_STATUS_OK;
    j.len = (size_t)x->dims[axis];
    for (int d = axis + 1; d < x->ndim; d++) j.inner *= (size_t)x->dims[d];
    size_t lines = x->numel / j.len;
    nnq_pool *pool = x->numel <= NNQ_EW_CHUNK ? NULL : ctx->pool;
    size_t tile = NNQ_MAX((size_t)1, NNQ_EW_CHUNK / j.len);
    nnq_pool_parallelize_1d(pool, cs_task, &j, lines, tile);
    return NNQ_STATUS_OK;
}
