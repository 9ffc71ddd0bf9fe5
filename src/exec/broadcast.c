/* broadcast.c - shared helpers of the elementwise / tensor / quant ops. */
#include "exec/broadcast.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

nnq_status nnq_op_error(const nnq_op_ctx *ctx, nnq_status s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const nnq_node *n = ctx->node;
    return nnq_error(s, "node '%s' (%s): %s", n && n->name ? n->name : "?",
                     n && n->op_type ? n->op_type : "?", msg);
}

nnq_status nnq_op_need_inputs(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                              size_t k) {
    for (size_t i = 0; i < k; i++)
        if (i >= n || !in[i])
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "required input %zu is missing",
                                i);
    return NNQ_STATUS_OK;
}

const char *nnq_op_input_name(const nnq_op_ctx *ctx, size_t i) {
    const nnq_node *n = ctx->node;
    if (!n || i >= n->n_inputs || !n->inputs[i]) return "?";
    return n->inputs[i];
}

size_t nnq_dtype_esize(nnq_dtype t) {
    size_t bits = nnq_dtype_bits(t);
    return bits % 8 ? 0 : bits / 8;
}

/* ---- element access ------------------------------------------------------- */

double nnq_elem_load_f64(nnq_dtype t, const void *p, size_t i) {
    switch (t) {
    case NNQ_DTYPE_FLOAT32: return (double)((const float *)p)[i];
    case NNQ_DTYPE_FLOAT64: return ((const double *)p)[i];
    case NNQ_DTYPE_FLOAT16: return (double)nnq_fp16_to_float(((const uint16_t *)p)[i]);
    case NNQ_DTYPE_BFLOAT16: return (double)nnq_bf16_to_float(((const uint16_t *)p)[i]);
    case NNQ_DTYPE_FLOAT8E4M3FN: case NNQ_DTYPE_FLOAT8E4M3FNUZ: case NNQ_DTYPE_FLOAT8E5M2:
    case NNQ_DTYPE_FLOAT8E5M2FNUZ:
        return (double)nnq_fp8_to_float(t, ((const uint8_t *)p)[i]);
    case NNQ_DTYPE_UINT64: return (double)((const uint64_t *)p)[i];
    case NNQ_DTYPE_INT4: case NNQ_DTYPE_UINT4: return (double)(int64_t)nnq_elem_load_bits(t, p, i);
    default: break;
    }
    int64_t v;
    switch (t) {
    case NNQ_DTYPE_INT8: v = ((const int8_t *)p)[i]; break;
    case NNQ_DTYPE_UINT8: case NNQ_DTYPE_BOOL: v = ((const uint8_t *)p)[i]; break;
    case NNQ_DTYPE_INT16: v = ((const int16_t *)p)[i]; break;
    case NNQ_DTYPE_UINT16: v = ((const uint16_t *)p)[i]; break;
    case NNQ_DTYPE_INT32: v = ((const int32_t *)p)[i]; break;
    case NNQ_DTYPE_UINT32: v = ((const uint32_t *)p)[i]; break;
    default: v = ((const int64_t *)p)[i]; break;
    }
    return (double)v;
}

uint64_t nnq_elem_load_bits(nnq_dtype t, const void *p, size_t i) {
    switch (t) {
    case NNQ_DTYPE_INT8: return (uint64_t)(int64_t)((const int8_t *)p)[i];
    case NNQ_DTYPE_UINT8: case NNQ_DTYPE_BOOL: return ((const uint8_t *)p)[i];
    case NNQ_DTYPE_INT16: return (uint64_t)(int64_t)((const int16_t *)p)[i];
    case NNQ_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case NNQ_DTYPE_INT32: return (uint64_t)(int64_t)((const int32_t *)p)[i];
    case NNQ_DTYPE_UINT32: return ((const uint32_t *)p)[i];
    case NNQ_DTYPE_INT4: case NNQ_DTYPE_UINT4: {
        /* Two per byte, element 2k in the low nibble (ONNX's packing). */
        unsigned nib = (((const uint8_t *)p)[i / 2] >> (i % 2 * 4)) & 15u;
        return t == NNQ_DTYPE_UINT4 ? nib : (uint64_t)(int64_t)((int)(nib ^ 8u) - 8);
    }
    default: return ((const uint64_t *)p)[i];
    }
}

void nnq_elem_store_bits(nnq_dtype t, void *p, size_t i, uint64_t v) {
    switch (nnq_dtype_esize(t)) {
    case 1: ((uint8_t *)p)[i] = t == NNQ_DTYPE_BOOL ? v != 0 : (uint8_t)v; break;
    case 2: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case 4: ((uint32_t *)p)[i] = (uint32_t)v; break;
    default: ((uint64_t *)p)[i] = v; break;
    }
}

bool nnq_dtype_is_unsigned(nnq_dtype t) {
    return t == NNQ_DTYPE_UINT8 || t == NNQ_DTYPE_UINT16 || t == NNQ_DTYPE_UINT32 ||
           t == NNQ_DTYPE_UINT64 || t == NNQ_DTYPE_BOOL;
}

nnq_status nnq_op_axis(const nnq_op_ctx *ctx, const char *what, int64_t axis, int rank, int *out) {
    if (axis < -(int64_t)rank || axis >= rank)
        return nnq_op_error(ctx, NNQ_STATUS_AXIS_OUT_OF_RANGE, "%s %lld outside [%d, %d)", what,
                            (long long)axis, -rank, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return NNQ_STATUS_OK;
}

nnq_status nnq_op_const_ints(const nnq_op_ctx *ctx, const nnq_tensor *t, size_t idx, int64_t *out,
                             size_t cap, size_t *n) {
    const char *name = nnq_op_input_name(ctx, idx);
    if (t->dtype != NNQ_DTYPE_INT64 && t->dtype != NNQ_DTYPE_INT32)
        return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                            "input %zu '%s' has type %s, expected int64 or int32", idx, name,
                            nnq_dtype_name(t->dtype));
    if (t->ndim > 1)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "input %zu '%s' has rank %d, expected a 1-D tensor", idx, name,
                            t->ndim);
    if (!t->data && t->numel > 0)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                            "input %zu '%s' must be a constant to infer the output shape", idx,
                            name);
    if (t->numel > cap)
        return nnq_op_error(ctx, NNQ_STATUS_LIMIT_EXCEEDED,
                            "input %zu '%s' has %zu values, more than the limit %zu", idx, name,
                            t->numel, cap);
    for (size_t i = 0; i < t->numel; i++)
        out[i] = t->dtype == NNQ_DTYPE_INT64 ? ((const int64_t *)t->data)[i]
                                             : ((const int32_t *)t->data)[i];
    *n = t->numel;
    return NNQ_STATUS_OK;
}

nnq_status nnq_bcast_shape(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                           nnq_out_shape *out) {
    int rank = 0;
    for (size_t k = 0; k < n; k++)
        if (in[k]) rank = NNQ_MAX(rank, in[k]->ndim);
    out->ndim = rank;
    for (int d = 0; d < rank; d++) out->dims[d] = 1;
    for (size_t k = 0; k < n; k++) {
        if (!in[k]) continue;
        int off = rank - in[k]->ndim;
        for (int d = 0; d < in[k]->ndim; d++) {
            int64_t a = out->dims[off + d], b = in[k]->dims[d];
            if (a == b || b == 1) continue;
            if (a == 1) {
                out->dims[off + d] = b;
                continue;
            }
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "input %zu '%s' dim %d is %lld, which does not broadcast with "
                                "%lld (dims must be equal or 1)",
                                k, nnq_op_input_name(ctx, k), d, (long long)b, (long long)a);
        }
    }
    return NNQ_STATUS_OK;
}

void nnq_contig_strides(int ndim, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
}

/* Output walked as rows of `inner` elements; input k advances step[k]
 * elements along a row and strides[k][d] along the outer dims. */
typedef struct bcast_plan {
    nnq_bcast_row_fn fn;
    const void *kctx;
    size_t n_in;
    int ndim; /* outer dims only */
    int64_t dims[NNQ_MAX_DIMS];
    int64_t strides[NNQ_BCAST_MAX_IN][NNQ_MAX_DIMS];
    int step[NNQ_BCAST_MAX_IN];
    size_t esize[NNQ_BCAST_MAX_IN];
    const char *base[NNQ_BCAST_MAX_IN];
    char *out;
    size_t out_esize;
    size_t inner, chunks_per_row;
} bcast_plan;

static void bcast_task(void *arg, size_t start, size_t count) {
    const bcast_plan *p = arg;
    for (size_t t = start; t < start + count; t++) {
        size_t row = t / p->chunks_per_row, c0 = (t % p->chunks_per_row) * NNQ_EW_CHUNK;
        size_t len = NNQ_MIN(NNQ_EW_CHUNK, p->inner - c0);
        const void *in[NNQ_BCAST_MAX_IN] = {0};
        size_t rem = row;
        int64_t off[NNQ_BCAST_MAX_IN] = {0};
        for (int d = p->ndim - 1; d >= 0; d--) {
            int64_t i = (int64_t)(rem % (size_t)p->dims[d]);
            rem /= (size_t)p->dims[d];
            for (size_t k = 0; k < p->n_in; k++) off[k] += i * p->strides[k][d];
        }
        for (size_t k = 0; k < p->n_in; k++)
            if (p->base[k])
                in[k] = p->base[k] + (size_t)(off[k] + (int64_t)c0 * p->step[k]) * p->esize[k];
        p->fn(p->kctx, p->out + (row * p->inner + c0) * p->out_esize, in, p->step, len);
    }
}

void nnq_bcast_run(nnq_pool *pool, nnq_bcast_row_fn fn, const void *kctx, nnq_tensor *out,
                   const nnq_tensor *const *in, size_t n_in) {
    assert(n_in <= NNQ_BCAST_MAX_IN);
    if (out->numel == 0) return;
    bcast_plan p = {.fn = fn, .kctx = kctx, .n_in = n_in, .out = out->data,
                    .out_esize = nnq_dtype_esize(out->dtype)};
    /* full[k][d]: input k spans output dim d (else it is broadcast there). */
    int rank = out->ndim, nd = 0;
    bool full[NNQ_BCAST_MAX_IN][NNQ_MAX_DIMS];
    int64_t dims[NNQ_MAX_DIMS];
    for (int d = 0; d < rank; d++) {
        if (out->dims[d] == 1) continue; /* size-1 dims never move an index */
        bool f[NNQ_BCAST_MAX_IN];
        for (size_t k = 0; k < n_in; k++) {
            int kd = d - (rank - (in[k] ? in[k]->ndim : 0));
            f[k] = in[k] && kd >= 0 && in[k]->dims[kd] == out->dims[d];
        }
        bool merge = nd > 0;
        for (size_t k = 0; k < n_in && merge; k++) merge = f[k] == full[k][nd - 1];
        if (merge) {
            dims[nd - 1] *= out->dims[d];
            continue;
        }
        dims[nd] = out->dims[d];
        for (size_t k = 0; k < n_in; k++) full[k][nd] = f[k];
        nd++;
    }
    if (nd == 0) dims[nd++] = 1, memset(full, 0, sizeof full);
    for (size_t k = 0; k < n_in; k++) {
        int64_t s = 1;
        for (int d = nd - 1; d >= 0; d--) {
            p.strides[k][d] = full[k][d] ? s : 0;
            if (full[k][d]) s *= dims[d];
        }
        p.step[k] = (int)p.strides[k][nd - 1];
        p.base[k] = in[k] ? in[k]->data : NULL;
        p.esize[k] = in[k] ? nnq_dtype_esize(in[k]->dtype) : 0;
    }
    p.inner = (size_t)dims[nd - 1];
    p.ndim = nd - 1;
    memcpy(p.dims, dims, sizeof(int64_t) * (size_t)p.ndim);
    p.chunks_per_row = nnq_tile_count(p.inner, NNQ_EW_CHUNK);
    size_t rows = out->numel / p.inner, tasks = rows * p.chunks_per_row;
    size_t per_task = NNQ_MIN(p.inner, NNQ_EW_CHUNK);
    size_t tile = NNQ_MAX((size_t)1, NNQ_EW_CHUNK / per_task);
    if (tasks * per_task <= NNQ_EW_CHUNK) pool = NULL;
    nnq_pool_parallelize_1d(pool, bcast_task, &p, tasks, tile);
}

/* ---- strided copy ------------------------------------------------------- */

typedef struct strided_plan {
    char *dst;
    const char *src;
    size_t esize;
    int ndim; /* outer dims */
    int64_t dims[NNQ_MAX_DIMS], strides[NNQ_MAX_DIMS];
    int64_t base, inner_stride;
    size_t inner;
} strided_plan;

#define STRIDED_ROW(T)                                                                             \
    do {                                                                                           \
        T *d_ = (T *)dst;                                                                          \
        const T *s_ = (const T *)p->src + off;                                                     \
        if (st == 1)                                                                               \
            for (size_t i = 0; i < p->inner; i++) d_[i] = s_[i];                                   \
        else                                                                                       \
            for (size_t i = 0; i < p->inner; i++) d_[i] = s_[(int64_t)i * st];                     \
    } while (0)

static void strided_task(void *arg, size_t start, size_t count) {
    const strided_plan *p = arg;
    int64_t st = p->inner_stride;
    for (size_t row = start; row < start + count; row++) {
        int64_t off = p->base;
        size_t rem = row;
        for (int d = p->ndim - 1; d >= 0; d--) {
            off += (int64_t)(rem % (size_t)p->dims[d]) * p->strides[d];
            rem /= (size_t)p->dims[d];
        }
        char *dst = p->dst + row * p->inner * p->esize;
        switch (p->esize) {
        case 1: STRIDED_ROW(uint8_t); break;
        case 2: STRIDED_ROW(uint16_t); break;
        case 4: STRIDED_ROW(uint32_t); break;
        default: STRIDED_ROW(uint64_t); break;
        }
    }
}

void nnq_strided_copy(nnq_pool *pool, void *dst, const void *src, size_t esize, int ndim,
                      const int64_t *dims, const int64_t *strides, int64_t base) {
    assert(esize == 1 || esize == 2 || esize == 4 || esize == 8);
    strided_plan p = {.dst = dst, .src = src, .esize = esize, .base = base};
    size_t total = 1;
    for (int d = 0; d < ndim; d++) total *= (size_t)dims[d];
    if (total == 0) return;
    /* Merge dims that are contiguous in the source, drop size-1 dims. */
    int nd = 0;
    int64_t md[NNQ_MAX_DIMS], ms[NNQ_MAX_DIMS];
    for (int d = 0; d < ndim; d++) {
        if (dims[d] == 1) continue;
        if (nd > 0 && ms[nd - 1] == strides[d] * dims[d]) {
            md[nd - 1] *= dims[d];
            ms[nd - 1] = strides[d];
            continue;
        }
        md[nd] = dims[d];
        ms[nd] = strides[d];
        nd++;
    }
    if (nd == 0) md[nd] = 1, ms[nd] = 0, nd++;
    p.inner = (size_t)md[nd - 1];
    p.inner_stride = ms[nd - 1];
    p.ndim = nd - 1;
    memcpy(p.dims, md, sizeof(int64_t) * (size_t)p.ndim);
    memcpy(p.strides, ms, sizeof(int64_t) * (size_t)p.ndim);
    size_t rows = total / p.inner;
    size_t tile = NNQ_MAX((size_t)1, NNQ_EW_CHUNK / p.inner);
    if (total <= NNQ_EW_CHUNK) pool = NULL;
    nnq_pool_parallelize_1d(pool, strided_task, &p, rows, tile);
}
