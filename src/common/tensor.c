/* tensor.c - element type traits and dense tensors. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *name;
    unsigned bits;
} dtype_table[NNQ_DTYPE_COUNT_] = {
    [NNQ_DTYPE_UNDEFINED] = {"undefined", 0},
    [NNQ_DTYPE_FLOAT32] = {"float32", 32},
    [NNQ_DTYPE_UINT8] = {"uint8", 8},
    [NNQ_DTYPE_INT8] = {"int8", 8},
    [NNQ_DTYPE_UINT16] = {"uint16", 16},
    [NNQ_DTYPE_INT16] = {"int16", 16},
    [NNQ_DTYPE_INT32] = {"int32", 32},
    [NNQ_DTYPE_INT64] = {"int64", 64},
    [NNQ_DTYPE_STRING] = {"string", 0},
    [NNQ_DTYPE_BOOL] = {"bool", 8},
    [NNQ_DTYPE_FLOAT16] = {"float16", 16},
    [NNQ_DTYPE_FLOAT64] = {"float64", 64},
    [NNQ_DTYPE_UINT32] = {"uint32", 32},
    [NNQ_DTYPE_UINT64] = {"uint64", 64},
    [NNQ_DTYPE_COMPLEX64] = {"complex64", 64},
    [NNQ_DTYPE_COMPLEX128] = {"complex128", 128},
    [NNQ_DTYPE_BFLOAT16] = {"bfloat16", 16},
    [NNQ_DTYPE_FLOAT8E4M3FN] = {"float8e4m3fn", 8},
    [NNQ_DTYPE_FLOAT8E4M3FNUZ] = {"float8e4m3fnuz", 8},
    [NNQ_DTYPE_FLOAT8E5M2] = {"float8e5m2", 8},
    [NNQ_DTYPE_FLOAT8E5M2FNUZ] = {"float8e5m2fnuz", 8},
    [NNQ_DTYPE_UINT4] = {"uint4", 4},
    [NNQ_DTYPE_INT4] = {"int4", 4},
    [NNQ_DTYPE_FLOAT4E2M1] = {"float4e2m1", 4},
};

const char *nnq_dtype_name(nnq_dtype t) {
    if ((unsigned)t >= NNQ_DTYPE_COUNT_) return "undefined";
    return dtype_table[t].name;
}

nnq_status nnq_dtype_from_name(const char *name, nnq_dtype *out) {
    if (!name || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "dtype: name is NULL");
    for (int i = 1; i < NNQ_DTYPE_COUNT_; i++) {
        if (strcmp(dtype_table[i].name, name) == 0) {
            *out = (nnq_dtype)i;
            return NNQ_STATUS_OK;
        }
    }
    if (strcmp(name, "float") == 0) return (*out = NNQ_DTYPE_FLOAT32), NNQ_STATUS_OK;
    if (strcmp(name, "double") == 0) return (*out = NNQ_DTYPE_FLOAT64), NNQ_STATUS_OK;
    return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "dtype: unknown element type '%s'", name);
}

size_t nnq_dtype_bits(nnq_dtype t) {
    if ((unsigned)t >= NNQ_DTYPE_COUNT_) return 0;
    return dtype_table[t].bits;
}

bool nnq_dtype_storage_size(nnq_dtype t, size_t n, size_t *out) {
    size_t bits = nnq_dtype_bits(t);
    if (bits == 0) return false;
    if (bits < 8) {
        /* 4-bit: two per byte, rounded up. */
        *out = n / 2 + (n & 1);
        return true;
    }
    return nnq_size_mul(n, bits / 8, out);
}

static nnq_status tensor_check(nnq_dtype dtype, int ndim, const int64_t *dims, size_t *numel,
                               size_t *nbytes) {
    if (ndim < 0 || ndim > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor: rank %d outside [0, %d]", ndim,
                         NNQ_MAX_DIMS);
    if (ndim > 0 && !dims)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor: dims is NULL for rank %d", ndim);
    for (int i = 0; i < ndim; i++)
        if (dims[i] < 0)
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor: dim %d is negative (%lld)", i,
                             (long long)dims[i]);
    if (nnq_dtype_bits(dtype) == 0)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "tensor: element type '%s' has no fixed size",
                         nnq_dtype_name(dtype));
    if (!nnq_size_product(dims, (size_t)ndim, numel) ||
        !nnq_dtype_storage_size(dtype, *numel, nbytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "tensor: size of shape overflows");
    return NNQ_STATUS_OK;
}

static nnq_status tensor_alloc_struct(nnq_dtype dtype, int ndim, const int64_t *dims, size_t numel,
                                      size_t nbytes, nnq_tensor **out) {
    nnq_tensor *t = nnq_calloc(1, sizeof *t);
    if (!t) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tensor: out of memory");
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->dims[i] = dims[i];
    t->numel = numel;
    t->nbytes = nbytes;
    *out = t;
    return NNQ_STATUS_OK;
}

nnq_status nnq_tensor_create(nnq_dtype dtype, int ndim, const int64_t *dims, nnq_tensor **out) {
    size_t numel, nbytes;
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor_create: out is NULL");
    *out = NULL;
    NNQ_TRY(tensor_check(dtype, ndim, dims, &numel, &nbytes));
    nnq_tensor *t = NULL;
    NNQ_TRY(tensor_alloc_struct(dtype, ndim, dims, numel, nbytes, &t));
    t->data = nnq_aligned_alloc(64, nbytes);
    if (!t->data) {
        nnq_free(t);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tensor_create: cannot allocate %zu bytes",
                         nbytes);
    }
    memset(t->data, 0, nbytes);
    t->owns_data = true;
    *out = t;
    return NNQ_STATUS_OK;
}

nnq_status nnq_tensor_wrap(nnq_dtype dtype, int ndim, const int64_t *dims, void *data,
                           size_t nbytes, nnq_tensor **out) {
    size_t numel, need;
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor_wrap: out is NULL");
    *out = NULL;
    NNQ_TRY(tensor_check(dtype, ndim, dims, &numel, &need));
    if (nbytes != need)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "tensor_wrap: %zu bytes given, shape and type need %zu", nbytes, need);
    if (!data && need)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor_wrap: data is NULL");
    nnq_tensor *t = NULL;
    NNQ_TRY(tensor_alloc_struct(dtype, ndim, dims, numel, need, &t));
    t->data = data;
    *out = t;
    return NNQ_STATUS_OK;
}

void nnq_tensor_free(nnq_tensor *t) {
    if (!t) return;
    if (t->owns_data) nnq_aligned_free(t->data);
    nnq_free(t);
}

const char *nnq_shape_str(int ndim, const int64_t *dims, char *buf, size_t bufsize) {
    size_t pos = 0;
    if (!buf || bufsize == 0) return "";
    buf[0] = '\0';
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int n_ = snprintf(buf + pos, bufsize - pos, __VA_ARGS__);                                  \
        if (n_ < 0 || (size_t)n_ >= bufsize - pos) return buf;                                     \
        pos += (size_t)n_;                                                                         \
    } while (0)
    PUT("[");
    for (int i = 0; i < ndim; i++) PUT("%s%lld", i ? ", " : "", (long long)dims[i]);
    PUT("]");
#undef PUT
    return buf;
}
