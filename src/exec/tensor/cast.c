/*
 * cast.c - Cast between float32/float16/bfloat16/float64, the 8..64-bit
 * integers, bool and float8 (e4m3fn, e4m3fnuz, e5m2, e5m2fnuz).
 *
 * Integer -> integer goes through int64 and keeps the low bits (numpy's
 * astype wraps).  Anything involving a float goes through double; float ->
 * integer truncates toward zero and, where ONNX leaves out-of-range values
 * undefined, saturates to the destination's range (NaN -> 0) so no input
 * can reach C's undefined conversions.  float64 -> float16/bfloat16/float8
 * rounds to float32 first.  float8 destinations follow ONNX's `saturate`
 * attribute (opset 19, default 1) through nnq_fp8_from_float.  int4 / uint4
 * (packed two per byte, low nibble first) are accepted as inputs only.
 */
#include <math.h>
#include <string.h>

#include "exec/tensor/tensor_ops.h"

static bool cast_supported(nnq_dtype t) {
    switch (t) {
    case NNQ_DTYPE_FLOAT32: case NNQ_DTYPE_FLOAT16: case NNQ_DTYPE_BFLOAT16:
    case NNQ_DTYPE_FLOAT64: case NNQ_DTYPE_INT8: case NNQ_DTYPE_UINT8: case NNQ_DTYPE_INT16:
    case NNQ_DTYPE_UINT16: case NNQ_DTYPE_INT32: case NNQ_DTYPE_UINT32: case NNQ_DTYPE_INT64:
    case NNQ_DTYPE_UINT64: case NNQ_DTYPE_BOOL: case NNQ_DTYPE_FLOAT8E4M3FN:
    case NNQ_DTYPE_FLOAT8E4M3FNUZ: case NNQ_DTYPE_FLOAT8E5M2: case NNQ_DTYPE_FLOAT8E5M2FNUZ:
        return true;
    default: return false;
    }
}

static bool is_float(nnq_dtype t) {
    switch (t) {
    case NNQ_DTYPE_FLOAT32: case NNQ_DTYPE_FLOAT16: case NNQ_DTYPE_BFLOAT16:
    case NNQ_DTYPE_FLOAT64: case NNQ_DTYPE_FLOAT8E4M3FN: case NNQ_DTYPE_FLOAT8E4M3FNUZ:
    case NNQ_DTYPE_FLOAT8E5M2: case NNQ_DTYPE_FLOAT8E5M2FNUZ:
        return true;
    default: return false;
    }
}

static nnq_status cast_to(const nnq_op_ctx *ctx, nnq_dtype *to) {
    int64_t v;
    if (!nnq_node_attr(ctx->node, "to"))
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "attribute 'to' is required");
    NNQ_TRY(nnq_attr_int(ctx->node, "to", 0, &v));
    if (v <= 0 || v >= NNQ_DTYPE_COUNT_ || !cast_supported((nnq_dtype)v))
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "cannot cast to type %lld (%s)",
                            (long long)v,
                            v > 0 && v < NNQ_DTYPE_COUNT_ ? nnq_dtype_name((nnq_dtype)v) : "unknown");
    *to = (nnq_dtype)v;
    return NNQ_STATUS_OK;
}

nnq_status nnq_cast_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_out_shape *outs, size_t n_out) {
    nnq_dtype to = NNQ_DTYPE_UNDEFINED;
    int64_t sat;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    nnq_dtype from = in[0]->dtype;
    if (!cast_supported(from) && from != NNQ_DTYPE_INT4 && from != NNQ_DTYPE_UINT4)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "cannot cast input '%s' of type %s",
                            nnq_op_input_name(ctx, 0), nnq_dtype_name(in[0]->dtype));
    NNQ_TRY(cast_to(ctx, &to));
    NNQ_TRY(nnq_attr_int(ctx->node, "saturate", 1, &sat));
    nnq_out_set(&outs[0], to, in[0]->ndim, in[0]->dims);
    return NNQ_STATUS_OK;
}

static void int_range(nnq_dtype t, double *lo, double *hi) {
    size_t bits = nnq_dtype_bits(t);
    bool is_signed = t == NNQ_DTYPE_INT8 || t == NNQ_DTYPE_INT16 || t == NNQ_DTYPE_INT32 ||
                     t == NNQ_DTYPE_INT64;
    *lo = is_signed ? -ldexp(1.0, (int)bits - 1) : 0.0;
    *hi = is_signed ? ldexp(1.0, (int)bits - 1) : ldexp(1.0, (int)bits); /* exclusive */
}

static void store_double(nnq_dtype t, void *p, size_t i, double v, bool sat) {
    switch (t) {
    case NNQ_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; return;
    case NNQ_DTYPE_FLOAT64: ((double *)p)[i] = v; return;
    case NNQ_DTYPE_FLOAT16: ((uint16_t *)p)[i] = nnq_fp16_from_float((float)v); return;
    case NNQ_DTYPE_BFLOAT16: ((uint16_t *)p)[i] = nnq_bf16_from_float((float)v); return;
    case NNQ_DTYPE_FLOAT8E4M3FN: case NNQ_DTYPE_FLOAT8E4M3FNUZ: case NNQ_DTYPE_FLOAT8E5M2:
    case NNQ_DTYPE_FLOAT8E5M2FNUZ:
        ((uint8_t *)p)[i] = nnq_fp8_from_float(t, (float)v, sat);
        return;
    case NNQ_DTYPE_BOOL: ((uint8_t *)p)[i] = v != 0.0; return;
    default: break;
    }
    double lo, hi;
    int_range(t, &lo, &hi);
    bool wide = nnq_dtype_bits(t) == 64;
    uint64_t bits;
    v = trunc(v);
    if (!(v == v)) {
        bits = 0;
    } else if (lo < 0.0) {
        int64_t r = v <= lo ? (int64_t)lo
                  : v >= hi ? (wide ? INT64_MAX : (int64_t)hi - 1) : (int64_t)v;
        bits = (uint64_t)r;
    } else {
        bits = v <= 0.0 ? 0 : v >= hi ? (wide ? UINT64_MAX : (uint64_t)hi - 1) : (uint64_t)v;
    }
    nnq_elem_store_bits(t, p, i, bits);
}

typedef struct cast_job {
    nnq_dtype from, to;
    bool sat;
    const void *x;
    void *y;
} cast_job;

static void cast_task(void *arg, size_t start, size_t count) {
    const cast_job *j = arg;
    bool via_float = is_float(j->from) || is_float(j->to);
    for (size_t i = start; i < start + count; i++) {
        if (via_float)
            store_double(j->to, j->y, i, nnq_elem_load_f64(j->from, j->x, i), j->sat);
        else
            nnq_elem_store_bits(j->to, j->y, i, nnq_elem_load_bits(j->from, j->x, i));
    }
}

nnq_status nnq_cast_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                        nnq_tensor *const *outs, size_t n_out) {
    nnq_dtype to = NNQ_DTYPE_UNDEFINED;
    int64_t sat;
    NNQ_TRY(cast_to(ctx, &to));
    NNQ_TRY(nnq_attr_int(ctx->node, "saturate", 1, &sat));
    const nnq_tensor *x = in[0];
    if (x->numel == 0) return NNQ_STATUS_OK;
    if (x->dtype == to) return memcpy(outs[0]->data, x->data, x->nbytes), NNQ_STATUS_OK;
    cast_job j = {x->dtype, to, sat != 0, x->data, outs[0]->data};
    nnq_pool *pool = x->numel <= NNQ_EW_CHUNK ? NULL : ctx->pool;
    nnq_pool_parallelize_1d(pool, cast_task, &j, x->numel, NNQ_EW_CHUNK);
    return NNQ_STATUS_OK;
}
