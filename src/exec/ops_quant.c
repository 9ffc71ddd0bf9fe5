/*
 * ops_quant.c - QuantizeLinear and DequantizeLinear (opsets 10-21):
 * per-tensor, per-axis (`axis`) and blocked (`block_size`) scales;
 * int8/uint8/int16/uint16/int4/uint4 and float8 quantized types.
 *
 *   quantize:   y = saturate(round_half_even(x / y_scale) + y_zero_point)
 *   dequantize: y = (x - x_zero_point) * x_scale
 *
 * The division is a true float32 division (ONNX Runtime's), not a
 * multiplication by the reciprocal: the two differ at .5 ties.  A NaN input
 * quantizes to the zero point (ONNX leaves it undefined).  float8 outputs
 * add the zero point's value before the conversion, which honours the
 * `saturate` attribute.  Blocked scales have ceil(D / block_size) entries
 * on the blocked axis, so a trailing partial block is allowed (ONNX's rule).
 * 4-bit tensors are packed two per byte, first element in the low nibble.
 */
#include <math.h>
#include <string.h>

#include "exec/broadcast.h"

typedef enum q_gran { Q_TENSOR, Q_AXIS, Q_BLOCK } q_gran;

/* Layout of the scale relative to x viewed as [outer, dim, inner]. */
typedef struct q_layout {
    q_gran gran;
    size_t outer, dim, inner, block, sblocks;
} q_layout;

static bool q_type_ok(nnq_dtype t, bool allow_i32) {
    switch (t) {
    case NNQ_DTYPE_INT8: case NNQ_DTYPE_UINT8: case NNQ_DTYPE_INT16: case NNQ_DTYPE_UINT16:
    case NNQ_DTYPE_INT4: case NNQ_DTYPE_UINT4: case NNQ_DTYPE_FLOAT8E4M3FN:
    case NNQ_DTYPE_FLOAT8E4M3FNUZ: case NNQ_DTYPE_FLOAT8E5M2: case NNQ_DTYPE_FLOAT8E5M2FNUZ:
        return true;
    case NNQ_DTYPE_INT32: return allow_i32;
    default: return false;
    }
}

static bool q_is_fp8(nnq_dtype t) {
    return t == NNQ_DTYPE_FLOAT8E4M3FN || t == NNQ_DTYPE_FLOAT8E4M3FNUZ ||
           t == NNQ_DTYPE_FLOAT8E5M2 || t == NNQ_DTYPE_FLOAT8E5M2FNUZ;
}

static void q_range(nnq_dtype t, float *lo, float *hi) {
    switch (t) {
    case NNQ_DTYPE_INT8: *lo = -128.0f, *hi = 127.0f; break;
    case NNQ_DTYPE_UINT8: *lo = 0.0f, *hi = 255.0f; break;
    case NNQ_DTYPE_INT16: *lo = -32768.0f, *hi = 32767.0f; break;
    case NNQ_DTYPE_UINT16: *lo = 0.0f, *hi = 65535.0f; break;
    case NNQ_DTYPE_INT4: *lo = -8.0f, *hi = 7.0f; break;
    case NNQ_DTYPE_UINT4: *lo = 0.0f, *hi = 15.0f; break;
    default: *lo = -2147483648.0f, *hi = 2147483520.0f; break; /* largest float < 2^31 */
    }
}

/* Element i of a quantized tensor as a float (exact for every code). */
static float q_load(nnq_dtype t, const void *p, size_t i) {
    const uint8_t *b = p;
    switch (t) {
    case NNQ_DTYPE_INT8: return ((const int8_t *)p)[i];
    case NNQ_DTYPE_UINT8: return b[i];
    case NNQ_DTYPE_INT16: return ((const int16_t *)p)[i];
    case NNQ_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case NNQ_DTYPE_INT32: return (float)((const int32_t *)p)[i];
    case NNQ_DTYPE_UINT4: return (float)((b[i / 2] >> (4 * (i & 1))) & 0xF);
    case NNQ_DTYPE_INT4: {
        int v = (b[i / 2] >> (4 * (i & 1))) & 0xF;
        return (float)(v >= 8 ? v - 16 : v);
    }
    default: return nnq_fp8_to_float(t, b[i]);
    }
}

/* Store an integral, in-range value (or an fp8 code's float) at element i. */
static void q_store(nnq_dtype t, void *p, size_t i, float v, bool sat) {
    uint8_t *b = p;
    switch (t) {
    case NNQ_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case NNQ_DTYPE_UINT8: b[i] = (uint8_t)v; break;
    case NNQ_DTYPE_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case NNQ_DTYPE_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case NNQ_DTYPE_INT4: case NNQ_DTYPE_UINT4: {
        unsigned nib = (unsigned)(int)v & 0xFu, sh = 4u * (unsigned)(i & 1);
        b[i / 2] = (uint8_t)((b[i / 2] & ~(0xFu << sh)) | (nib << sh));
        break;
    }
    default: b[i] = nnq_fp8_from_float(t, v, sat); break;
    }
}

static nnq_status q_layout_make(const nnq_op_ctx *ctx, const nnq_tensor *x,
                                const nnq_tensor *scale, q_layout *l) {
    int64_t axis_attr, block;
    int axis = 0;
    char b1[128], b2[128];
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", 1, &axis_attr));
    NNQ_TRY(nnq_attr_int(ctx->node, "block_size", 0, &block));
    memset(l, 0, sizeof *l);
    l->outer = l->dim = 1;
    l->inner = x->numel;
    if (block < 0)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "block_size %lld is negative",
                            (long long)block);
    bool scalar = scale->numel == 1 && scale->ndim <= 1;
    if (scalar && block == 0) return (l->gran = Q_TENSOR), NNQ_STATUS_OK;
    NNQ_TRY(nnq_op_axis(ctx, "axis", axis_attr, x->ndim, &axis));
    l->dim = (size_t)x->dims[axis];
    l->outer = 1;
    l->inner = 1;
    for (int d = 0; d < axis; d++) l->outer *= (size_t)x->dims[d];
    for (int d = axis + 1; d < x->ndim; d++) l->inner *= (size_t)x->dims[d];
    if (block == 0) {
        if (scale->ndim != 1 || scale->dims[0] != x->dims[axis])
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "scale '%s' has shape %s; per-axis scales need one value per "
                                "element of axis %d (%lld)",
                                nnq_op_input_name(ctx, 1),
                                nnq_shape_str(scale->ndim, scale->dims, b1, sizeof b1), axis,
                                (long long)x->dims[axis]);
        l->gran = Q_AXIS;
        return NNQ_STATUS_OK;
    }
    l->gran = Q_BLOCK;
    l->block = (size_t)block;
    l->sblocks = nnq_tile_count(l->dim, l->block);
    bool ok = scale->ndim == x->ndim;
    for (int d = 0; ok && d < x->ndim; d++)
        ok = d == axis || scale->dims[d] == x->dims[d];
    if (!ok)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "blocked scale '%s' has shape %s; it must match x %s except on "
                            "axis %d",
                            nnq_op_input_name(ctx, 1),
                            nnq_shape_str(scale->ndim, scale->dims, b1, sizeof b1),
                            nnq_shape_str(x->ndim, x->dims, b2, sizeof b2), axis);
    if ((size_t)scale->dims[axis] != l->sblocks)
        return nnq_op_error(ctx, NNQ_STATUS_BLOCK_MISMATCH,
                            "axis %d of size %zu with block_size %zu needs %zu scales, scale '%s' "
                            "has %lld",
                            axis, l->dim, l->block, l->sblocks, nnq_op_input_name(ctx, 1),
                            (long long)scale->dims[axis]);
    return NNQ_STATUS_OK;
}

/* Common checks; *qtype is the quantized type (output of Quantize, input of
 * Dequantize). */
static nnq_status q_check(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          bool quantize, nnq_dtype *qtype) {
    char b1[128], b2[128];
    q_layout l;
    for (size_t i = 0; i < 2; i++)
        if (i >= n_in || !in[i])
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "required input %zu is missing",
                                i);
    const nnq_tensor *x = in[0], *scale = in[1], *zp = n_in > 2 ? in[2] : NULL;
    if (scale->dtype != NNQ_DTYPE_FLOAT32)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "scale '%s' has type %s; only float32 "
                            "scales are supported", nnq_op_input_name(ctx, 1),
                            nnq_dtype_name(scale->dtype));
    if (quantize) {
        int64_t od;
        if (x->dtype != NNQ_DTYPE_FLOAT32)
            return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                                "input '%s' has type %s; only float32 is supported",
                                nnq_op_input_name(ctx, 0), nnq_dtype_name(x->dtype));
        NNQ_TRY(nnq_attr_int(ctx->node, "output_dtype", 0, &od));
        *qtype = zp ? zp->dtype : od ? (nnq_dtype)od : NNQ_DTYPE_UINT8;
        if (zp && od && od != zp->dtype)
            return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                                "output_dtype %lld disagrees with zero point '%s' of type %s",
                                (long long)od, nnq_op_input_name(ctx, 2), nnq_dtype_name(zp->dtype));
    } else {
        *qtype = x->dtype;
        if (zp && zp->dtype != x->dtype)
            return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                                "zero point '%s' has type %s but x '%s' has type %s",
                                nnq_op_input_name(ctx, 2), nnq_dtype_name(zp->dtype),
                                nnq_op_input_name(ctx, 0), nnq_dtype_name(x->dtype));
    }
    if ((int64_t)*qtype <= 0 || *qtype >= NNQ_DTYPE_COUNT_ || !q_type_ok(*qtype, !quantize))
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "quantized type %s is not supported",
                            nnq_dtype_name(*qtype));
    if (zp && (zp->ndim != scale->ndim ||
               memcmp(zp->dims, scale->dims, sizeof(int64_t) * (size_t)scale->ndim) != 0))
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "zero point '%s' has shape %s but scale '%s' has shape %s",
                            nnq_op_input_name(ctx, 2), nnq_shape_str(zp->ndim, zp->dims, b1, sizeof b1),
                            nnq_op_input_name(ctx, 1),
                            nnq_shape_str(scale->ndim, scale->dims, b2, sizeof b2));
    return q_layout_make(ctx, x, scale, &l);
}

static nnq_status quantize_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_out_shape *outs, size_t n_out) {
    nnq_dtype qt = NNQ_DTYPE_UNDEFINED;
    NNQ_TRY(q_check(ctx, in, n_in, true, &qt));
    outs[0].dtype = qt;
    outs[0].ndim = in[0]->ndim;
    memcpy(outs[0].dims, in[0]->dims, sizeof(int64_t) * (size_t)in[0]->ndim);
    return NNQ_STATUS_OK;
}

static nnq_status dequantize_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                   size_t n_in, nnq_out_shape *outs, size_t n_out) {
    nnq_dtype qt = NNQ_DTYPE_UNDEFINED;
    int64_t od;
    NNQ_TRY(q_check(ctx, in, n_in, false, &qt));
    NNQ_TRY(nnq_attr_int(ctx->node, "output_dtype", 0, &od));
    if (od != 0 && od != NNQ_DTYPE_FLOAT32)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "output_dtype %lld is not float32",
                            (long long)od);
    outs[0].dtype = NNQ_DTYPE_FLOAT32;
    outs[0].ndim = in[0]->ndim;
    memcpy(outs[0].dims, in[0]->dims, sizeof(int64_t) * (size_t)in[0]->ndim);
    return NNQ_STATUS_OK;
}

typedef struct q_job {
    q_layout l;
    nnq_dtype qtype;
    bool quantize, saturate;
    const float *scale;
    const void *zp; /* NULL: zero */
    const void *x;
    void *y;
} q_job;

/* Elements [start, start + count) in row-major order; chunks start at even
 * indices so 4-bit outputs never share a byte between tasks. */
static void q_task(void *arg, size_t start, size_t count) {
    const q_job *j = arg;
    const q_layout *l = &j->l;
    size_t in = start % l->inner, a = (start / l->inner) % l->dim, o = start / l->inner / l->dim;
    float lo, hi;
    q_range(j->qtype, &lo, &hi);
    bool fp8 = q_is_fp8(j->qtype);
    for (size_t e = start; e < start + count; e++) {
        size_t si = l->gran == Q_TENSOR ? 0
                  : l->gran == Q_AXIS   ? a
                                        : (o * l->sblocks + a / l->block) * l->inner + in;
        float s = j->scale[si], z = j->zp ? q_load(j->qtype, j->zp, si) : 0.0f;
        if (j->quantize) {
            float x = ((const float *)j->x)[e];
            if (fp8) {
                q_store(j->qtype, j->y, e, x / s + z, j->saturate);
            } else {
                float q = nnq_round_half_even(x / s);
                q = q == q ? q + z : z;
                q_store(j->qtype, j->y, e, q < lo ? lo : q > hi ? hi : q, true);
            }
        } else {
            ((float *)j->y)[e] = (q_load(j->qtype, j->x, e) - z) * s;
        }
        if (++in == l->inner) {
            in = 0;
            if (++a == l->dim) a = 0, o++;
        }
    }
}

static nnq_status q_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                        nnq_tensor *const *outs, bool quantize) {
    q_job j = {.quantize = quantize};
    int64_t sat;
    NNQ_TRY(q_check(ctx, in, n_in, quantize, &j.qtype));
    NNQ_TRY(q_layout_make(ctx, in[0], in[1], &j.l));
    NNQ_TRY(nnq_attr_int(ctx->node, "saturate", 1, &sat));
    if (in[0]->numel == 0) return NNQ_STATUS_OK;
    j.saturate = sat != 0;
    j.scale = in[1]->data;
    j.zp = n_in > 2 && in[2] ? in[2]->data : NULL;
    j.x = in[0]->data;
    j.y = outs[0]->data;
    if (quantize && outs[0]->nbytes) memset(j.y, 0, outs[0]->nbytes);
    nnq_pool *pool = in[0]->numel <= NNQ_EW_CHUNK ? NULL : ctx->pool;
    nnq_pool_parallelize_1d(pool, q_task, &j, in[0]->numel, NNQ_EW_CHUNK);
    return NNQ_STATUS_OK;
}

static nnq_status quantize_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               nnq_tensor *const *outs, size_t n_out) {
    return q_run(ctx, in, n_in, outs, true);
}

static nnq_status dequantize_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_tensor *const *outs, size_t n_out) {
    return q_run(ctx, in, n_in, outs, false);
}

const nnq_op_def nnq_ops_quant[] = {
    {"QuantizeLinear", "", 2, 3, 1, 1, quantize_infer, NULL, quantize_run},
    {"DequantizeLinear", "", 2, 3, 1, 1, dequantize_infer, NULL, dequantize_run},
    {0},
};
