/* pbwire.c - schema-aware pre-check of protobuf wire data. */
#include "graph/onnx_internal.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

typedef struct wire {
    const uint8_t *buf;
    size_t len;
} wire;

static bool read_varint(const wire *w, size_t *pos, uint64_t *out) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (*pos >= w->len) return false;
        uint8_t b = w->buf[(*pos)++];
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false; /* more than 10 bytes */
}

/* The wire type a field must use; repeated scalars may also be packed. */
static int expected_wire_type(const ProtobufCFieldDescriptor *f) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return WT_I64;
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FLOAT: return WT_I32;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE: return WT_LEN;
    default: return WT_VARINT;
    }
}

static nnq_status scan(const wire *w, size_t start, size_t end, const ProtobufCMessageDescriptor *d,
                       int depth) {
    if (depth > NNQ_ONNX_MAX_DEPTH)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "%s at byte %zu nests messages deeper than %d levels", d->name, start,
                         NNQ_ONNX_MAX_DEPTH);
    wire sub = {w->buf, end};
    size_t pos = start;
    while (pos < end) {
        size_t at = pos;
        uint64_t tag, v = 0;
        if (!read_varint(&sub, &pos, &tag))
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: truncated field tag at byte %zu",
                             d->name, at);
        uint64_t num = tag >> 3;
        int wt = (int)(tag & 7);
        if (num == 0 || num > 536870911u)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: invalid field number %llu at byte %zu",
                             d->name, (unsigned long long)num, at);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned)num);
        if (f) {
            int want = expected_wire_type(f);
            bool packed_ok =
                f->label == PROTOBUF_C_LABEL_REPEATED && want != WT_LEN && wt == WT_LEN;
            if (wt != want && !packed_ok)
                return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                                 "%s field '%s' (%llu) at byte %zu has wire type %d, expected %d",
                                 d->name, f->name, (unsigned long long)num, at, wt, want);
        }
        switch (wt) {
        case WT_VARINT:
            if (!read_varint(&sub, &pos, &v))
                return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: truncated varint at byte %zu",
                                 d->name, at);
            break;
        case WT_I64:
        case WT_I32: {
            size_t n = wt == WT_I64 ? 8 : 4;
            if (end - pos < n)
                return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                                 "%s: truncated %zu-byte value at byte %zu", d->name, n, at);
            pos += n;
            break;
        }
        case WT_LEN:
            if (!read_varint(&sub, &pos, &v) || v > end - pos)
                return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                                 "%s: field %llu at byte %zu claims %llu bytes, %zu remain",
                                 d->name, (unsigned long long)num, at, (unsigned long long)v,
                                 end - pos);
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE)
                NNQ_TRY(scan(w, pos, pos + (size_t)v, f->descriptor, depth + 1));
            pos += (size_t)v;
            break;
        default:
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "%s: unsupported wire type %d (field %llu) at byte %zu", d->name, wt,
                             (unsigned long long)num, at);
        }
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_pb_check_wire(const uint8_t *buf, size_t len, const ProtobufCMessageDescriptor *d) {
    wire w = {buf, len};
    return scan(&w, 0, len, d, 1);
}
