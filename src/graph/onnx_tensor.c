/* onnx_tensor.c - TensorProto <-> nnq_tensor, and TensorProto files. */
#include <string.h>

#include "graph/onnx_internal.h"

static void *pb_alloc(void *ctx, size_t size) {
    NNQ_UNUSED(ctx);
    return nnq_malloc(size);
}
static void pb_free(void *ctx, void *p) {
    NNQ_UNUSED(ctx);
    nnq_free(p);
}
ProtobufCAllocator nnq_pb_allocator = {pb_alloc, pb_free, NULL};

/* Storage fields a TensorProto may use; exactly one (or none for an empty
 * tensor) must be present. */
enum { SRC_NONE, SRC_RAW, SRC_FLOAT, SRC_INT32, SRC_INT64, SRC_DOUBLE, SRC_UINT64, SRC_EXTERNAL };
static const char *const src_names[] = {"none",        "raw_data",     "float_data",
                                        "int32_data",  "int64_data",   "double_data",
                                        "uint64_data", "external data"};

static nnq_status pick_source(const Onnx__TensorProto *tp, const char *what, int *src) {
    int found = SRC_NONE, n = 0;
    bool external =
        tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    if (tp->has_raw_data) found = SRC_RAW, n++;
    if (tp->n_float_data) found = SRC_FLOAT, n++;
    if (tp->n_int32_data) found = SRC_INT32, n++;
    if (tp->n_int64_data) found = SRC_INT64, n++;
    if (tp->n_double_data) found = SRC_DOUBLE, n++;
    if (tp->n_uint64_data) found = SRC_UINT64, n++;
    if (external) found = SRC_EXTERNAL, n++;
    if (n > 1)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "tensor '%s' stores its data in %d places; exactly one is allowed", what,
                         n);
    if (tp->n_string_data)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "tensor '%s': string tensors are not supported",
                         what);
    *src = found;
    return NNQ_STATUS_OK;
}

/* Which typed field carries a dtype, and how many entries per element
 * (complex: 2) or elements per entry (4-bit in int32_data: 2). */
static int typed_field(nnq_dtype t) {
    switch (t) {
    case NNQ_DTYPE_FLOAT32:
    case NNQ_DTYPE_COMPLEX64: return SRC_FLOAT;
    case NNQ_DTYPE_INT32:
    case NNQ_DTYPE_INT16:
    case NNQ_DTYPE_INT8:
    case NNQ_DTYPE_UINT16:
    case NNQ_DTYPE_UINT8:
    case NNQ_DTYPE_BOOL:
    case NNQ_DTYPE_FLOAT16:
    case NNQ_DTYPE_BFLOAT16:
    case NNQ_DTYPE_FLOAT8E4M3FN:
    case NNQ_DTYPE_FLOAT8E4M3FNUZ:
    case NNQ_DTYPE_FLOAT8E5M2:
    case NNQ_DTYPE_FLOAT8E5M2FNUZ:
    case NNQ_DTYPE_UINT4:
    case NNQ_DTYPE_INT4:
    case NNQ_DTYPE_FLOAT4E2M1: return SRC_INT32;
    case NNQ_DTYPE_INT64: return SRC_INT64;
    case NNQ_DTYPE_FLOAT64:
    case NNQ_DTYPE_COMPLEX128: return SRC_DOUBLE;
    case NNQ_DTYPE_UINT32:
    case NNQ_DTYPE_UINT64: return SRC_UINT64;
    default: return SRC_NONE;
    }
}

/* Entries the typed field must hold for numel elements. */
static size_t typed_count(nnq_dtype t, size_t numel) {
    if (t == NNQ_DTYPE_COMPLEX64 || t == NNQ_DTYPE_COMPLEX128)
        return numel * 2; /* checked by caller */
    if (nnq_dtype_bits(t) == 4) return numel / 2 + (numel & 1);
    return numel;
}

/* int32_data entries: the value range each dtype allows (4-bit types: one
 * packed byte per entry, so [0, 255]). */
static void int32_range(nnq_dtype t, int64_t *lo, int64_t *hi) {
    switch (t) {
    case NNQ_DTYPE_INT32: *lo = INT32_MIN, *hi = INT32_MAX; break;
    case NNQ_DTYPE_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case NNQ_DTYPE_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case NNQ_DTYPE_BOOL: *lo = 0, *hi = 1; break;
    case NNQ_DTYPE_UINT16:
    case NNQ_DTYPE_FLOAT16:
    case NNQ_DTYPE_BFLOAT16: *lo = 0, *hi = UINT16_MAX; break;
    default: *lo = 0, *hi = UINT8_MAX; break;
    }
}

static nnq_status fill_from_int32(const Onnx__TensorProto *tp, const char *what, nnq_tensor *t) {
    int64_t lo, hi;
    int32_range(t->dtype, &lo, &hi);
    size_t width = nnq_dtype_bits(t->dtype) <= 8 ? 1 : nnq_dtype_bits(t->dtype) / 8;
    uint8_t *d = t->data;
    for (size_t i = 0; i < tp->n_int32_data; i++) {
        int32_t v = tp->int32_data[i];
        if (v < lo || v > hi)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "tensor '%s': int32_data[%zu] = %d outside [%lld, %lld] for %s", what,
                             i, (int)v, (long long)lo, (long long)hi, nnq_dtype_name(t->dtype));
        if (width == 1) {
            d[i] = (uint8_t)v;
        } else if (width == 2) {
            uint16_t u = (uint16_t)v;
            memcpy(d + 2 * i, &u, 2);
        } else {
            memcpy(d + 4 * i, &v, 4);
        }
    }
    /* An odd 4-bit count leaves the last high nibble as padding: keep it 0
     * so saved bytes do not depend on what the file carried there. */
    if (nnq_dtype_bits(t->dtype) == 4 && (t->numel & 1)) d[t->nbytes - 1] &= 0x0F;
    return NNQ_STATUS_OK;
}

/* Parse a non-negative decimal of the external_data table. */
static bool parse_u64(const char *s, uint64_t *out) {
    uint64_t v = 0;
    if (!s || !*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* dst NULL: validate the reference against the file only. */
static nnq_status read_external(nnq_load_ctx *ctx, const Onnx__TensorProto *tp, const char *what,
                                void *dst, size_t nbytes, nnq_initializer *ext) {
    const char *location = NULL;
    uint64_t offset = 0, length = 0;
    bool has_length = false;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const char *k = tp->external_data[i]->key, *v = tp->external_data[i]->value;
        if (!k) continue;
        if (!strcmp(k, "location")) {
            location = v;
        } else if (!strcmp(k, "offset")) {
            if (!parse_u64(v, &offset))
                return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                                 "tensor '%s': external data offset '%s' is not a decimal number",
                                 what, v ? v : "");
        } else if (!strcmp(k, "length")) {
            if (!parse_u64(v, &length))
                return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                                 "tensor '%s': external data length '%s' is not a decimal number",
                                 what, v ? v : "");
            has_length = true;
        }
    }
    if (!location || !*location)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "tensor '%s': external data has no location",
                         what);
    NNQ_TRY(nnq_extdata_read(ctx, what, location, offset, has_length, length, dst, nbytes));
    if (dst && ext) {
        ext->ext_location = nnq_strdup(location);
        if (!ext->ext_location)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tensor '%s': out of memory", what);
        ext->ext_offset = offset;
        ext->ext_length = nbytes;
    }
    return NNQ_STATUS_OK;
}

static nnq_status check_header(const Onnx__TensorProto *tp, const char *what, nnq_dtype *dtype,
                               size_t *numel, size_t *nbytes) {
    int32_t dt = tp->has_data_type ? tp->data_type : 0;
    if (dt <= 0 || dt >= NNQ_DTYPE_COUNT_)
        return nnq_error(dt == 0 ? NNQ_STATUS_INVALID_FORMAT : NNQ_STATUS_UNSUPPORTED,
                         "tensor '%s' has data type %d, not one of ONNX's types 1..%d", what,
                         (int)dt, NNQ_DTYPE_COUNT_ - 1);
    *dtype = (nnq_dtype)dt;
    if (*dtype == NNQ_DTYPE_STRING)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "tensor '%s': string tensors are not supported",
                         what);
    if (tp->n_dims > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "tensor '%s' has %zu dims, nnq allows at most %d", what, tp->n_dims,
                         NNQ_MAX_DIMS);
    for (size_t i = 0; i < tp->n_dims; i++)
        if (tp->dims[i] < 0)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "tensor '%s' dim %zu is negative (%lld)",
                             what, i, (long long)tp->dims[i]);
    if (!nnq_size_product(tp->dims, tp->n_dims, numel) ||
        !nnq_dtype_storage_size(*dtype, *numel, nbytes) || *numel > SIZE_MAX / 2)
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW,
                         "tensor '%s': element count of its dims overflows", what);
    return NNQ_STATUS_OK;
}

/* The field's entry count against the shape, before any allocation, so a
 * small file cannot make nnq allocate for absurd dims. */
static nnq_status check_count(const Onnx__TensorProto *tp, const char *what, nnq_dtype dtype,
                              int src, size_t numel, size_t nbytes) {
    size_t have = 0, want;
    switch (src) {
    case SRC_NONE:
        if (numel == 0) return NNQ_STATUS_OK;
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "tensor '%s' has %zu elements but no data",
                         what, numel);
    case SRC_EXTERNAL: return NNQ_STATUS_OK; /* checked against the file */
    case SRC_RAW:
        if (tp->raw_data.len != nbytes)
            return nnq_error(
                NNQ_STATUS_INVALID_FORMAT,
                "tensor '%s' has %zu bytes of raw_data, %s with %zu elements needs %zu", what,
                tp->raw_data.len, nnq_dtype_name(dtype), numel, nbytes);
        return NNQ_STATUS_OK;
    case SRC_FLOAT: have = tp->n_float_data; break;
    case SRC_INT32: have = tp->n_int32_data; break;
    case SRC_INT64: have = tp->n_int64_data; break;
    case SRC_DOUBLE: have = tp->n_double_data; break;
    case SRC_UINT64: have = tp->n_uint64_data; break;
    }
    if (typed_field(dtype) != src)
        return nnq_error(NNQ_STATUS_DTYPE_MISMATCH, "tensor '%s' of type %s stores its data in %s",
                         what, nnq_dtype_name(dtype), src_names[src]);
    want = typed_count(dtype, numel);
    if (have != want)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "tensor '%s' has %zu %s entries, %s with %zu elements needs %zu", what,
                         have, src_names[src], nnq_dtype_name(dtype), numel, want);
    return NNQ_STATUS_OK;
}

nnq_status nnq_pb_to_tensor(nnq_load_ctx *ctx, const Onnx__TensorProto *tp, const char *what,
                            nnq_tensor **out, nnq_initializer *ext) {
    nnq_dtype dtype = NNQ_DTYPE_UNDEFINED;
    size_t numel = 0, nbytes = 0;
    int src = SRC_NONE;
    *out = NULL;
    NNQ_TRY(check_header(tp, what, &dtype, &numel, &nbytes));
    NNQ_TRY(pick_source(tp, what, &src));
    NNQ_TRY(check_count(tp, what, dtype, src, numel, nbytes));
    if (src == SRC_EXTERNAL) NNQ_TRY(read_external(ctx, tp, what, NULL, nbytes, NULL));
    nnq_tensor *t = NULL;
    NNQ_TRY(nnq_tensor_create(dtype, (int)tp->n_dims, tp->dims, &t));
    nnq_status s = NNQ_STATUS_OK;
    switch (nbytes ? src : SRC_NONE) { /* empty fields may carry NULL */
    case SRC_RAW: memcpy(t->data, tp->raw_data.data, nbytes); break;
    case SRC_FLOAT: memcpy(t->data, tp->float_data, nbytes); break;
    case SRC_INT64: memcpy(t->data, tp->int64_data, nbytes); break;
    case SRC_DOUBLE: memcpy(t->data, tp->double_data, nbytes); break;
    case SRC_INT32: s = fill_from_int32(tp, what, t); break;
    case SRC_UINT64:
        if (dtype == NNQ_DTYPE_UINT64) {
            memcpy(t->data, tp->uint64_data, nbytes);
            break;
        }
        for (size_t i = 0; i < numel && !s; i++) {
            if (tp->uint64_data[i] > UINT32_MAX)
                s = nnq_error(NNQ_STATUS_INVALID_FORMAT,
                              "tensor '%s': uint64_data[%zu] = %llu outside uint32", what, i,
                              (unsigned long long)tp->uint64_data[i]);
            else
                ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i];
        }
        break;
    case SRC_EXTERNAL: s = read_external(ctx, tp, what, t->data, nbytes, ext); break;
    default: break;
    }
    if (s) {
        nnq_tensor_free(t);
        return s;
    }
    *out = t;
    return NNQ_STATUS_OK;
}

void nnq_pb_from_tensor(const nnq_tensor *t, const char *name, int64_t *dims,
                        Onnx__TensorProto *tp) {
    for (int i = 0; i < t->ndim; i++) dims[i] = t->dims[i];
    tp->n_dims = (size_t)t->ndim;
    tp->dims = dims;
    tp->has_data_type = 1;
    tp->data_type = (int32_t)t->dtype;
    /* name is only read by protobuf-c; its field is not const. */
    tp->name = (char *)(uintptr_t)name;
    tp->has_raw_data = 1;
    tp->raw_data.len = t->nbytes;
    tp->raw_data.data = t->data;
}

nnq_status nnq_tensor_load_pb(const char *path, nnq_tensor **tensor, char **name) {
    if (!path || !tensor)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor_load_pb: path or tensor is NULL");
    *tensor = NULL;
    if (name) *name = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    NNQ_TRY(nnq_read_whole_file(path, NNQ_GRAPH_DEFAULT_MAX_MODEL_BYTES, &buf, &len));
    nnq_status s = nnq_pb_check_wire(buf, len, &onnx__tensor_proto__descriptor);
    Onnx__TensorProto *tp = NULL;
    if (!s) {
        tp = onnx__tensor_proto__unpack(&nnq_pb_allocator, len, buf);
        if (!tp) s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "not a valid TensorProto");
    }
    nnq_load_ctx ctx;
    char *dir = nnq_path_dirname(path);
    nnq_load_ctx_init(&ctx, dir, 0, 0);
    if (!s && !dir) s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "out of memory");
    if (!s) {
        const char *tname = tp->name ? tp->name : "";
        s = nnq_pb_to_tensor(&ctx, tp, tname, tensor, NULL);
        if (!s && name && !(*name = nnq_strdup(tname))) {
            nnq_tensor_free(*tensor);
            *tensor = NULL;
            s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "out of memory");
        }
    }
    nnq_load_ctx_close(&ctx);
    nnq_free(dir);
    if (tp) onnx__tensor_proto__free_unpacked(tp, &nnq_pb_allocator);
    nnq_free(buf);
    if (s) return nnq_error_prefix(s, "loading tensor '%s': ", path);
    return NNQ_STATUS_OK;
}

nnq_status nnq_tensor_save_pb(const char *path, const nnq_tensor *tensor, const char *name,
                              const char *const *inputs, size_t n_inputs) {
    if (!path || !tensor)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tensor_save_pb: path or tensor is NULL");
    if (tensor->ndim < 0 || tensor->ndim > NNQ_MAX_DIMS || nnq_dtype_bits(tensor->dtype) == 0)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "tensor_save_pb: tensor of type %s and rank %d cannot be written",
                         nnq_dtype_name(tensor->dtype), tensor->ndim);
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[NNQ_MAX_DIMS];
    nnq_pb_from_tensor(tensor, name, dims, &tp);
    size_t len = onnx__tensor_proto__get_packed_size(&tp);
    uint8_t *buf = nnq_malloc(len ? len : 1);
    if (!buf)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tensor_save_pb: cannot allocate %zu bytes",
                         len);
    onnx__tensor_proto__pack(&tp, buf);
    nnq_status s = nnq_write_file_atomic(path, buf, len, inputs, n_inputs);
    nnq_free(buf);
    return s;
}
