/*
 * shape.c - operators that change only the shape (data copied verbatim) or
 * produce constants: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Expand,
 * Identity, Constant, ConstantOfShape.
 */
#include <string.h>

#include "exec/tensor/tensor_ops.h"

void nnq_out_set(nnq_out_shape *o, nnq_dtype dtype, int ndim, const int64_t *dims) {
    o->dtype = dtype;
    o->ndim = ndim;
    if (ndim > 0) memcpy(o->dims, dims, sizeof(int64_t) * (size_t)ndim);
}

nnq_status nnq_op_need(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in, size_t i) {
    if (i < n_in && in[i]) return NNQ_STATUS_OK;
    return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "required input %zu is missing", i);
}

nnq_status nnq_op_need_esize(const nnq_op_ctx *ctx, const nnq_tensor *t, size_t i) {
    if (nnq_dtype_esize(t->dtype) != 0) return NNQ_STATUS_OK;
    return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                        "input %zu '%s' has type %s; this operator needs whole-byte elements", i,
                        nnq_op_input_name(ctx, i), nnq_dtype_name(t->dtype));
}

bool nnq_op_has(const nnq_tensor *const *in, size_t n_in, size_t i) {
    return i < n_in && in[i] && in[i]->numel > 0;
}

/* Shape-only ops: the output holds the input's bytes unchanged. */
static nnq_status copy_bytes(const nnq_tensor *x, nnq_tensor *y) {
    if (x->nbytes && y->data != x->data) memcpy(y->data, x->data, x->nbytes);
    return NNQ_STATUS_OK;
}

/* ---- Reshape ------------------------------------------------------------- */

static nnq_status reshape_dims(const nnq_op_ctx *ctx, const nnq_tensor *x, const int64_t *shape,
                               size_t n, bool allowzero, int64_t *dims) {
    char b1[128], b2[128];
    int neg = -1;
    size_t known = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t v = shape[i];
        if (v == -1) {
            if (neg >= 0)
                return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                    "shape has -1 at %d and %zu; at most one dim may be -1", neg,
                                    i);
            neg = (int)i;
            dims[i] = 1;
            continue;
        }
        if (v < -1)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "shape dim %zu is %lld; dims must be >= -1", i, (long long)v);
        if (v == 0 && !allowzero) {
            if ((int)i >= x->ndim)
                return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                    "shape dim %zu is 0 (copy) but the input has rank %d", i,
                                    x->ndim);
            v = x->dims[i];
        }
        dims[i] = v;
        if (!nnq_size_mul(known, (size_t)v, &known))
            return nnq_op_error(ctx, NNQ_STATUS_SIZE_OVERFLOW, "shape product overflows");
    }
    if (neg >= 0) {
        if (allowzero && known == 0)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "with allowzero=1 the shape may not hold both 0 and -1");
        if (known == 0 || x->numel % known != 0)
            return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                "cannot infer the -1 dim: %zu elements of %s are not a multiple "
                                "of %zu",
                                x->numel, nnq_shape_str(x->ndim, x->dims, b1, sizeof b1), known);
        dims[neg] = (int64_t)(x->numel / known);
        known = x->numel;
    }
    if (known != x->numel)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "cannot reshape %s (%zu elements) to %s (%zu elements)",
                            nnq_shape_str(x->ndim, x->dims, b1, sizeof b1), x->numel,
                            nnq_shape_str((int)n, dims, b2, sizeof b2), known);
    return NNQ_STATUS_OK;
}

nnq_status nnq_reshape_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                             nnq_out_shape *outs, size_t n_out) {
    int64_t shape[NNQ_MAX_DIMS], allowzero;
    size_t n;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 1));
    NNQ_TRY(nnq_attr_int(ctx->node, "allowzero", 0, &allowzero));
    NNQ_TRY(nnq_op_const_ints(ctx, in[1], 1, shape, NNQ_MAX_DIMS, &n));
    outs[0].dtype = in[0]->dtype;
    outs[0].ndim = (int)n;
    return reshape_dims(ctx, in[0], shape, n, allowzero != 0, outs[0].dims);
}

nnq_status nnq_reshape_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           nnq_tensor *const *outs, size_t n_out) {
    return copy_bytes(in[0], outs[0]);
}

/* ---- Flatten ------------------------------------------------------------- */

nnq_status nnq_flatten_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                             nnq_out_shape *outs, size_t n_out) {
    int64_t axis;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_attr_int(ctx->node, "axis", 1, &axis));
    const nnq_tensor *x = in[0];
    /* Flatten's axis may equal the rank (everything goes to the rows). */
    if (axis < -(int64_t)x->ndim || axis > x->ndim)
        return nnq_op_error(ctx, NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis %lld outside [%d, %d]",
                            (long long)axis, -x->ndim, x->ndim);
    if (axis < 0) axis += x->ndim;
    size_t rows, cols;
    if (!nnq_size_product(x->dims, (size_t)axis, &rows) ||
        !nnq_size_product(x->dims + axis, (size_t)(x->ndim - axis), &cols))
        return nnq_op_error(ctx, NNQ_STATUS_SIZE_OVERFLOW, "flattened size overflows");
    int64_t dims[2] = {(int64_t)rows, (int64_t)cols};
    nnq_out_set(&outs[0], x->dtype, 2, dims);
    return NNQ_STATUS_OK;
}

nnq_status nnq_flatten_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           nnq_tensor *const *outs, size_t n_out) {
    return copy_bytes(in[0], outs[0]);
}

/* ---- Squeeze / Unsqueeze ------------------------------------------------- */

/* Axes from the attribute (opset < 13) or input 1 (opset >= 13). */
static nnq_status get_axes(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           int64_t *axes, size_t *n) {
    if (ctx->opset > 0 && ctx->opset < 13) {
        const int64_t *a;
        NNQ_TRY(nnq_attr_ints(ctx->node, "axes", &a, n));
        if (*n > NNQ_MAX_DIMS)
            return nnq_op_error(ctx, NNQ_STATUS_LIMIT_EXCEEDED, "%zu axes, more than %d", *n,
                                NNQ_MAX_DIMS);
        if (*n) memcpy(axes, a, sizeof(int64_t) * *n);
        return NNQ_STATUS_OK;
    }
    *n = 0;
    if (n_in < 2 || !in[1]) return NNQ_STATUS_OK;
    return nnq_op_const_ints(ctx, in[1], 1, axes, NNQ_MAX_DIMS, n);
}

/* Normalize axes against `rank` into a membership mask (duplicates fail). */
static nnq_status axes_mask(const nnq_op_ctx *ctx, const int64_t *axes, size_t n, int rank,
                            bool *mask) {
    for (int d = 0; d < rank; d++) mask[d] = false;
    for (size_t i = 0; i < n; i++) {
        int a;
        NNQ_TRY(nnq_op_axis(ctx, "axes entry", axes[i], rank, &a));
        if (mask[a])
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "axis %d appears twice in axes",
                                a);
        mask[a] = true;
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_squeeze_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                             nnq_out_shape *outs, size_t n_out) {
    int64_t axes[NNQ_MAX_DIMS];
    bool mask[NNQ_MAX_DIMS];
    size_t n;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    const nnq_tensor *x = in[0];
    NNQ_TRY(get_axes(ctx, in, n_in, axes, &n));
    NNQ_TRY(axes_mask(ctx, axes, n, x->ndim, mask));
    outs[0].dtype = x->dtype;
    outs[0].ndim = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (n == 0 ? x->dims[d] == 1 : mask[d]) {
            if (x->dims[d] != 1)
                return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                                    "cannot squeeze axis %d of '%s': its size is %lld, not 1", d,
                                    nnq_op_input_name(ctx, 0), (long long)x->dims[d]);
            continue;
        }
        outs[0].dims[outs[0].ndim++] = x->dims[d];
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_squeeze_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           nnq_tensor *const *outs, size_t n_out) {
    return copy_bytes(in[0], outs[0]);
}

nnq_status nnq_unsqueeze_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               nnq_out_shape *outs, size_t n_out) {
    int64_t axes[NNQ_MAX_DIMS];
    bool mask[NNQ_MAX_DIMS];
    size_t n;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    const nnq_tensor *x = in[0];
    NNQ_TRY(get_axes(ctx, in, n_in, axes, &n));
    if (n == 0)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "axes are required and empty");
    if ((size_t)x->ndim + n > NNQ_MAX_DIMS)
        return nnq_op_error(ctx, NNQ_STATUS_LIMIT_EXCEEDED,
                            "output rank %zu exceeds the limit %d", (size_t)x->ndim + n,
                            NNQ_MAX_DIMS);
    int rank = x->ndim + (int)n;
    NNQ_TRY(axes_mask(ctx, axes, n, rank, mask));
    outs[0].dtype = x->dtype;
    outs[0].ndim = rank;
    for (int d = 0, k = 0; d < rank; d++) outs[0].dims[d] = mask[d] ? 1 : x->dims[k++];
    return NNQ_STATUS_OK;
}

nnq_status nnq_unsqueeze_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                             nnq_tensor *const *outs, size_t n_out) {
    return copy_bytes(in[0], outs[0]);
}

/* ---- Shape --------------------------------------------------------------- */

static void shape_range(const nnq_op_ctx *ctx, int rank, int64_t *start, int64_t *end) {
    int64_t s = 0, e = rank;
    /* Attribute types are checked in infer; defaults stand otherwise. */
    if (nnq_attr_int(ctx->node, "start", 0, &s) != NNQ_STATUS_OK) s = 0;
    if (nnq_attr_int(ctx->node, "end", rank, &e) != NNQ_STATUS_OK) e = rank;
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    *start = NNQ_MIN(NNQ_MAX(s, 0), rank);
    *end = NNQ_MIN(NNQ_MAX(e, 0), rank);
}

nnq_status nnq_shape_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                           nnq_out_shape *outs, size_t n_out) {
    int64_t s, e, tmp;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_attr_int(ctx->node, "start", 0, &tmp));
    NNQ_TRY(nnq_attr_int(ctx->node, "end", 0, &tmp));
    shape_range(ctx, in[0]->ndim, &s, &e);
    int64_t len = NNQ_MAX(e - s, 0);
    nnq_out_set(&outs[0], NNQ_DTYPE_INT64, 1, &len);
    return NNQ_STATUS_OK;
}

nnq_status nnq_shape_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                         nnq_tensor *const *outs, size_t n_out) {
    int64_t s, e;
    shape_range(ctx, in[0]->ndim, &s, &e);
    int64_t *y = outs[0]->data;
    for (int64_t d = s; d < e; d++) y[d - s] = in[0]->dims[d];
    return NNQ_STATUS_OK;
}

/* ---- Expand -------------------------------------------------------------- */

nnq_status nnq_expand_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_out_shape *outs, size_t n_out) {
    nnq_tensor shape = {0};
    size_t n;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 1));
    NNQ_TRY(nnq_op_need_esize(ctx, in[0], 0));
    NNQ_TRY(nnq_op_const_ints(ctx, in[1], 1, shape.dims, NNQ_MAX_DIMS, &n));
    shape.ndim = (int)n;
    for (size_t i = 0; i < n; i++)
        if (shape.dims[i] < 0)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "shape '%s' dim %zu is negative (%lld)", nnq_op_input_name(ctx, 1),
                                i, (long long)shape.dims[i]);
    const nnq_tensor *pair[2] = {in[0], &shape};
    NNQ_TRY(nnq_bcast_shape(ctx, pair, 2, &outs[0]));
    outs[0].dtype = in[0]->dtype;
    return NNQ_STATUS_OK;
}

nnq_status nnq_expand_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                          nnq_tensor *const *outs, size_t n_out) {
    const nnq_tensor *x = in[0];
    nnq_tensor *y = outs[0];
    int64_t xs[NNQ_MAX_DIMS], strides[NNQ_MAX_DIMS];
    nnq_contig_strides(x->ndim, x->dims, xs);
    int off = y->ndim - x->ndim;
    for (int d = 0; d < y->ndim; d++)
        strides[d] = d < off || x->dims[d - off] == 1 ? 0 : xs[d - off];
    nnq_strided_copy(ctx->pool, y->data, x->data, nnq_dtype_esize(x->dtype), y->ndim, y->dims,
                     strides, 0);
    return NNQ_STATUS_OK;
}

/* ---- Identity ------------------------------------------------------------ */

nnq_status nnq_identity_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                              nnq_out_shape *outs, size_t n_out) {
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    nnq_out_set(&outs[0], in[0]->dtype, in[0]->ndim, in[0]->dims);
    return NNQ_STATUS_OK;
}

nnq_status nnq_identity_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_tensor *const *outs, size_t n_out) {
    return copy_bytes(in[0], outs[0]);
}

/* ---- Constant ------------------------------------------------------------ */

/* The one value_* attribute a Constant node carries. */
static nnq_status constant_attr(const nnq_op_ctx *ctx, const nnq_attr **out) {
    static const char *const names[] = {"value",        "value_float",  "value_floats",
                                        "value_int",    "value_ints",   "value_string",
                                        "value_strings", "sparse_value"};
    const nnq_attr *found = NULL;
    for (size_t i = 0; i < NNQ_ARRAY_LEN(names); i++) {
        const nnq_attr *a = nnq_node_attr(ctx->node, names[i]);
        if (!a) continue;
        if (found)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "has both '%s' and '%s'; exactly one value attribute is allowed",
                                found->name, a->name);
        found = a;
    }
    if (!found)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT, "has no value attribute");
    const char *nm = found->name;
    bool ok = (strcmp(nm, "value") == 0 && found->type == NNQ_ATTR_TENSOR && found->t) ||
              (strcmp(nm, "value_float") == 0 && found->type == NNQ_ATTR_FLOAT) ||
              (strcmp(nm, "value_floats") == 0 && found->type == NNQ_ATTR_FLOATS) ||
              (strcmp(nm, "value_int") == 0 && found->type == NNQ_ATTR_INT) ||
              (strcmp(nm, "value_ints") == 0 && found->type == NNQ_ATTR_INTS);
    if (!ok)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED,
                            "attribute '%s' (type %d) is not a supported constant", nm,
                            (int)found->type);
    *out = found;
    return NNQ_STATUS_OK;
}

nnq_status nnq_constant_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                              nnq_out_shape *outs, size_t n_out) {
    const nnq_attr *a;
    NNQ_TRY(constant_attr(ctx, &a));
    switch (a->type) {
    case NNQ_ATTR_TENSOR: nnq_out_set(&outs[0], a->t->dtype, a->t->ndim, a->t->dims); break;
    case NNQ_ATTR_FLOAT: nnq_out_set(&outs[0], NNQ_DTYPE_FLOAT32, 0, NULL); break;
    case NNQ_ATTR_INT: nnq_out_set(&outs[0], NNQ_DTYPE_INT64, 0, NULL); break;
    case NNQ_ATTR_FLOATS: {
        int64_t n = (int64_t)a->n_floats;
        nnq_out_set(&outs[0], NNQ_DTYPE_FLOAT32, 1, &n);
        break;
    }
    default: {
        int64_t n = (int64_t)a->n_ints;
        nnq_out_set(&outs[0], NNQ_DTYPE_INT64, 1, &n);
        break;
    }
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_constant_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                            nnq_tensor *const *outs, size_t n_out) {
    const nnq_attr *a;
    NNQ_TRY(constant_attr(ctx, &a));
    void *y = outs[0]->data;
    switch (a->type) {
    case NNQ_ATTR_TENSOR: return copy_bytes(a->t, outs[0]);
    case NNQ_ATTR_FLOAT: memcpy(y, &a->f, sizeof a->f); break;
    case NNQ_ATTR_INT: memcpy(y, &a->i, sizeof a->i); break;
    case NNQ_ATTR_FLOATS:
        if (a->n_floats) memcpy(y, a->floats, sizeof(float) * a->n_floats);
        break;
    default:
        if (a->n_ints) memcpy(y, a->ints, sizeof(int64_t) * a->n_ints);
        break;
    }
    return NNQ_STATUS_OK;
}

/* ---- ConstantOfShape ----------------------------------------------------- */

static nnq_status cos_value(const nnq_op_ctx *ctx, const nnq_tensor **value) {
    const nnq_attr *a = nnq_node_attr(ctx->node, "value");
    *value = NULL;
    if (!a) return NNQ_STATUS_OK;
    if (a->type != NNQ_ATTR_TENSOR || !a->t)
        return nnq_op_error(ctx, NNQ_STATUS_INVALID_FORMAT, "attribute 'value' is not a tensor");
    if (a->t->numel != 1)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "attribute 'value' has %zu elements; it must hold exactly one",
                            a->t->numel);
    if (nnq_dtype_esize(a->t->dtype) == 0)
        return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "attribute 'value' has type %s",
                            nnq_dtype_name(a->t->dtype));
    *value = a->t;
    return NNQ_STATUS_OK;
}

nnq_status nnq_constant_of_shape_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                       size_t n_in, nnq_out_shape *outs, size_t n_out) {
    const nnq_tensor *v;
    int64_t dims[NNQ_MAX_DIMS];
    size_t n, total;
    NNQ_TRY(nnq_op_need(ctx, in, n_in, 0));
    NNQ_TRY(cos_value(ctx, &v));
    NNQ_TRY(nnq_op_const_ints(ctx, in[0], 0, dims, NNQ_MAX_DIMS, &n));
    for (size_t i = 0; i < n; i++)
        if (dims[i] < 0)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "shape '%s' dim %zu is negative (%lld)", nnq_op_input_name(ctx, 0),
                                i, (long long)dims[i]);
    if (!nnq_size_product(dims, n, &total))
        return nnq_op_error(ctx, NNQ_STATUS_SIZE_OVERFLOW, "output size overflows");
    nnq_out_set(&outs[0], v ? v->dtype : NNQ_DTYPE_FLOAT32, (int)n, dims);
    return NNQ_STATUS_OK;
}

nnq_status nnq_constant_of_shape_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                                     size_t n_in, nnq_tensor *const *outs, size_t n_out) {
    const nnq_tensor *v;
    NNQ_TRY(cos_value(ctx, &v));
    nnq_tensor *y = outs[0];
    if (!v) {
        if (y->nbytes) memset(y->data, 0, y->nbytes);
        return NNQ_STATUS_OK;
    }
    size_t es = nnq_dtype_esize(v->dtype);
    for (size_t i = 0; i < y->numel; i++) memcpy((char *)y->data + i * es, v->data, es);
    return NNQ_STATUS_OK;
}
