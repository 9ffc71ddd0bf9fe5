/*
 * npy.c - NumPy .npy format versions 1.0, 2.0 and 3.0 (NEP 1).
 *
 * The header is a Python dict literal; we accept exactly what numpy writes
 * (and what ast.literal_eval would read back for those three keys) with a
 * small strict parser instead of a general evaluator: no pickles, no
 * expressions, nothing but strings, True/False and tuples of integers.
 */
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "nnq's .npy code assumes a little-endian host"
#endif

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* numpy's descr kind + size for each supported element type. */
static const struct {
    char kind;
    unsigned size;
    nnq_dtype dtype;
} npy_types[] = {
    {'f', 4, NNQ_DTYPE_FLOAT32}, {'f', 8, NNQ_DTYPE_FLOAT64}, {'f', 2, NNQ_DTYPE_FLOAT16},
    {'i', 1, NNQ_DTYPE_INT8},    {'u', 1, NNQ_DTYPE_UINT8},   {'i', 2, NNQ_DTYPE_INT16},
    {'u', 2, NNQ_DTYPE_UINT16},  {'i', 4, NNQ_DTYPE_INT32},   {'u', 4, NNQ_DTYPE_UINT32},
    {'i', 8, NNQ_DTYPE_INT64},   {'u', 8, NNQ_DTYPE_UINT64},  {'b', 1, NNQ_DTYPE_BOOL},
};

/* ---- header dict parser ---- */

typedef struct hparse {
    const char *start, *p, *end;
    const char *name;
} hparse;

static void skip_ws(hparse *h) {
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t')) h->p++;
}

static nnq_status bad_header(const hparse *h, const char *what) {
    return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': malformed .npy header: %s at column %d",
                     h->name, what, (int)(h->p - h->start));
}

static bool accept(hparse *h, char c) {
    skip_ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return true;
    }
    return false;
}

/* A quoted string without escapes, copied into buf. */
static nnq_status parse_string(hparse *h, char *buf, size_t cap) {
    skip_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return bad_header(h, "expected a string");
    char q = *h->p++;
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || *h->p == '\n') return bad_header(h, "escape or newline in a string");
        if (n + 1 >= cap) return bad_header(h, "string too long");
        buf[n++] = *h->p++;
    }
    if (h->p >= h->end) return bad_header(h, "unterminated string");
    h->p++;
    buf[n] = '\0';
    return NNQ_STATUS_OK;
}

static nnq_status parse_bool(hparse *h, bool *out) {
    skip_ws(h);
    size_t left = (size_t)(h->end - h->p);
    if (left >= 4 && memcmp(h->p, "True", 4) == 0) {
        h->p += 4;
        *out = true;
    } else if (left >= 5 && memcmp(h->p, "False", 5) == 0) {
        h->p += 5;
        *out = false;
    } else {
        return bad_header(h, "fortran_order is not True or False");
    }
    return NNQ_STATUS_OK;
}

/* Decimal integer as Python writes it: no sign, no leading zeros. */
static nnq_status parse_dim(hparse *h, int64_t *out) {
    skip_ws(h);
    const char *s = h->p;
    uint64_t v = 0;
    while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
        unsigned d = (unsigned)(*h->p - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "'%s': .npy shape has a dimension over 2^63",
                             h->name);
        v = v * 10 + d;
        h->p++;
    }
    if (h->p == s) return bad_header(h, "expected a dimension");
    if (h->p - s > 1 && *s == '0') return bad_header(h, "dimension with a leading zero");
    *out = (int64_t)v;
    return NNQ_STATUS_OK;
}

static nnq_status parse_shape(hparse *h, nnq_npy_info *info) {
    if (!accept(h, '(')) return bad_header(h, "shape is not a tuple");
    int n = 0;
    bool comma = true;
    while (!accept(h, ')')) {
        if (!comma) return bad_header(h, "expected ',' or ')' in shape");
        int64_t d = 0;
        NNQ_TRY(parse_dim(h, &d));
        if (n == NNQ_MAX_DIMS)
            return nnq_error(NNQ_STATUS_UNSUPPORTED, "'%s': .npy array has more than %d dimensions",
                             h->name, NNQ_MAX_DIMS);
        info->dims[n++] = d;
        comma = accept(h, ',');
        /* "(3)" is an int in Python, not a tuple. */
        if (n == 1 && !comma) return bad_header(h, "one-element shape without a trailing ','");
    }
    info->ndim = n;
    return NNQ_STATUS_OK;
}

static nnq_status parse_descr(const hparse *h, const char *d, nnq_npy_info *info) {
    char order = d[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "'%s': .npy dtype '%s' is not supported (no byte-order character)",
                         h->name, d);
    char kind = d[1];
    if (kind == 'O')
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "'%s': .npy object arrays (pickled Python objects) are not supported",
                         h->name);
    char *endp = NULL;
    unsigned long size = 0;
    if (d[2] >= '1' && d[2] <= '9') size = strtoul(d + 2, &endp, 10);
    for (size_t i = 0; endp && *endp == '\0' && i < NNQ_ARRAY_LEN(npy_types); i++) {
        if (npy_types[i].kind != kind || npy_types[i].size != size) continue;
        if (size > 1 && order == '|')
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "'%s': .npy dtype '%s' has %lu-byte elements but no byte order",
                             h->name, d, size);
        info->dtype = npy_types[i].dtype;
        info->big_endian = size > 1 && order == '>';
        return NNQ_STATUS_OK;
    }
    return nnq_error(NNQ_STATUS_UNSUPPORTED,
                     "'%s': .npy dtype '%s' is not supported (need one of f2 f4 f8 i1 i2 i4 i8 "
                     "u1 u2 u4 u8 b1)",
                     h->name, d);
}

enum { KEY_DESCR = 1, KEY_FORTRAN = 2, KEY_SHAPE = 4 };

static nnq_status parse_item(hparse *h, nnq_npy_info *info, unsigned *seen) {
    char key[32], descr[64];
    NNQ_TRY(parse_string(h, key, sizeof key));
    if (!accept(h, ':')) return bad_header(h, "expected ':' after a key");
    unsigned bit = strcmp(key, "descr") == 0           ? KEY_DESCR
                   : strcmp(key, "fortran_order") == 0 ? KEY_FORTRAN
                   : strcmp(key, "shape") == 0         ? KEY_SHAPE
                                                       : 0;
    if (!bit)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': .npy header has unknown key '%s'",
                         h->name, key);
    if (*seen & bit)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': .npy header repeats key '%s'", h->name,
                         key);
    *seen |= bit;
    if (bit == KEY_DESCR) {
        skip_ws(h);
        if (h->p < h->end && *h->p == '[')
            return nnq_error(NNQ_STATUS_UNSUPPORTED,
                             "'%s': .npy structured (record) arrays are not supported", h->name);
        NNQ_TRY(parse_string(h, descr, sizeof descr));
        if (strlen(descr) < 2) return bad_header(h, "descr too short");
        return parse_descr(h, descr, info);
    }
    if (bit == KEY_FORTRAN) return parse_bool(h, &info->fortran_order);
    return parse_shape(h, info);
}

static nnq_status parse_dict(const char *text, size_t n, const char *name, nnq_npy_info *info) {
    hparse h = {text, text, text + n, name};
    if (n == 0 || text[n - 1] != '\n')
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': .npy header does not end with a newline",
                         name);
    h.end--;
    if (!accept(&h, '{')) return bad_header(&h, "expected '{'");
    unsigned seen = 0;
    bool comma = true;
    while (!accept(&h, '}')) {
        if (!comma) return bad_header(&h, "expected ',' or '}'");
        NNQ_TRY(parse_item(&h, info, &seen));
        comma = accept(&h, ',');
    }
    skip_ws(&h);
    if (h.p != h.end) return bad_header(&h, "text after the dict");
    if (seen != (KEY_DESCR | KEY_FORTRAN | KEY_SHAPE))
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': .npy header lacks key '%s'", name,
                         !(seen & KEY_DESCR)     ? "descr"
                         : !(seen & KEY_FORTRAN) ? "fortran_order"
                                                 : "shape");
    return NNQ_STATUS_OK;
}

/* ---- reading ---- */

nnq_status npy_read_header(io_stream *s, nnq_npy_info *info) {
    unsigned char pre[12];
    memset(info, 0, sizeof *info);
    NNQ_TRY(io_stream_read_exact(s, pre, 10, ".npy magic and version"));
    if (memcmp(pre, npy_magic, sizeof npy_magic) != 0)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s' is not a .npy file (bad magic)", s->name);
    if (pre[6] < 1 || pre[6] > 3 || pre[7] != 0)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "'%s': .npy format version %u.%u (need 1.0-3.0)",
                         s->name, pre[6], pre[7]);
    info->version = pre[6];
    size_t prefix = 10, hlen = io_le16(pre + 8);
    if (info->version >= 2) {
        NNQ_TRY(io_stream_read_exact(s, pre + 10, 2, ".npy header length"));
        prefix = 12;
        hlen = io_le32(pre + 8);
    }
    if (hlen > NNQ_NPY_MAX_HEADER)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "'%s': .npy header of %zu bytes exceeds the %d-byte limit", s->name, hlen,
                         NNQ_NPY_MAX_HEADER);
    char *text = nnq_malloc(hlen ? hlen : 1);
    if (!text) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", s->name);
    nnq_status st = io_stream_read_exact(s, text, hlen, ".npy header");
    if (!st) st = parse_dict(text, hlen, s->name, info);
    nnq_free(text);
    NNQ_TRY(st);
    info->data_offset = prefix + hlen;
    size_t es = nnq_dtype_bits(info->dtype) / 8;
    if (!nnq_size_product(info->dims, (size_t)info->ndim, &info->numel) ||
        !nnq_size_mul(info->numel, es, &info->data_size))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW,
                         "'%s': .npy shape times %zu-byte elements overflows", s->name, es);
    return NNQ_STATUS_OK;
}

/* Column-major src to row-major dst, both with dims and element size es. */
static void fortran_to_c(const unsigned char *src, unsigned char *dst, int ndim,
                         const int64_t *dims, size_t numel, size_t es) {
    size_t stride[NNQ_MAX_DIMS], idx[NNQ_MAX_DIMS] = {0}, off = 0;
    for (int k = 0; k < ndim; k++) stride[k] = k ? stride[k - 1] * (size_t)dims[k - 1] : 1;
    for (size_t j = 0; j < numel; j++) {
        memcpy(dst + j * es, src + off * es, es);
        for (int k = ndim - 1; k >= 0; k--) {
            off += stride[k];
            if (++idx[k] < (size_t)dims[k]) break;
            off -= stride[k] * (size_t)dims[k];
            idx[k] = 0;
        }
    }
}

nnq_status npy_read_body(io_stream *s, const nnq_npy_info *info, nnq_tensor **out) {
    nnq_tensor *t = NULL;
    unsigned char *tmp = NULL;
    NNQ_TRY(nnq_tensor_create(info->dtype, info->ndim, info->dims, &t));
    bool transpose = info->fortran_order && info->ndim > 1 && info->numel > 1;
    nnq_status st = NNQ_STATUS_OK;
    if (transpose) {
        tmp = nnq_malloc(info->data_size);
        if (!tmp) st = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", s->name);
    }
    if (!st) st = io_stream_read_exact(s, transpose ? tmp : t->data, info->data_size, ".npy data");
    if (!st) st = io_stream_finish(s);
    if (!st) {
        size_t es = nnq_dtype_bits(info->dtype) / 8;
        if (transpose) fortran_to_c(tmp, t->data, info->ndim, info->dims, info->numel, es);
        if (info->big_endian) io_byteswap(t->data, info->numel, es);
        *out = t;
        t = NULL;
    }
    nnq_free(tmp);
    nnq_tensor_free(t);
    return st;
}

nnq_status npy_check_data_size(const io_stream *s, const nnq_npy_info *info, uint64_t have) {
    if (info->data_size == have) return NNQ_STATUS_OK;
    char shape[128];
    nnq_shape_str(info->ndim, info->dims, shape, sizeof shape);
    return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                     "'%s': .npy %s %s array needs %zu data bytes, the file has %llu (%s)", s->name,
                     nnq_dtype_name(info->dtype), shape, info->data_size, (unsigned long long)have,
                     have < info->data_size ? "truncated" : "trailing bytes");
}

static nnq_status npy_read_src(const io_src *src, nnq_tensor **out) {
    io_stream s;
    nnq_npy_info info;
    NNQ_TRY(io_stream_init(&s, src, NULL, 0, src->size, IO_CODEC_NONE, UINT64_MAX));
    nnq_status st = npy_read_header(&s, &info);
    if (!st) st = npy_check_data_size(&s, &info, src->size - info.data_offset);
    if (!st) st = npy_read_body(&s, &info, out);
    io_stream_release(&s);
    return st;
}

nnq_status nnq_npy_read(const char *path, nnq_tensor **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npy_read: out is NULL");
    *out = NULL;
    io_src src;
    NNQ_TRY(io_src_open_file(&src, path));
    nnq_status st = npy_read_src(&src, out);
    io_src_close(&src);
    return st;
}

nnq_status nnq_npy_read_memory(const void *data, size_t size, const char *name, nnq_tensor **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npy_read_memory: out is NULL");
    *out = NULL;
    io_src src;
    NNQ_TRY(io_src_open_memory(&src, data, size, name));
    nnq_status st = npy_read_src(&src, out);
    io_src_close(&src);
    return st;
}

nnq_status nnq_npy_parse_header(const void *data, size_t size, const char *name,
                                nnq_npy_info *info) {
    if (!info) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npy_parse_header: info is NULL");
    io_src src;
    io_stream s;
    NNQ_TRY(io_src_open_memory(&src, data, size, name));
    nnq_status st = io_stream_init(&s, &src, NULL, 0, size, IO_CODEC_NONE, UINT64_MAX);
    if (!st) st = npy_read_header(&s, info);
    io_stream_release(&s);
    io_src_close(&src);
    return st;
}

/* ---- writing ---- */

/* The shape as Python's tuple repr writes it: "()", "(3,)", "(2, 3)". */
static void shape_repr(const nnq_tensor *t, char *buf, size_t cap) {
    size_t n = 0;
    buf[n++] = '(';
    for (int k = 0; k < t->ndim && n < cap; k++)
        n += (size_t)snprintf(buf + n, cap - n, k ? ", %lld" : "%lld", (long long)t->dims[k]);
    snprintf(buf + n, cap - n, t->ndim == 1 ? ",)" : ")");
}

nnq_status npy_encode_header(const nnq_tensor *t, const char *what, unsigned char *buf, size_t cap,
                             size_t *len) {
    size_t i = 0;
    while (i < NNQ_ARRAY_LEN(npy_types) && npy_types[i].dtype != t->dtype) i++;
    if (i == NNQ_ARRAY_LEN(npy_types))
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "%s: element type '%s' has no NumPy dtype", what,
                         nnq_dtype_name(t->dtype));
    char shape[NNQ_MAX_DIMS * 24 + 8];
    shape_repr(t, shape, sizeof shape);
    /* numpy.save writes the dict with sorted keys and a trailing ", ". */
    int n = snprintf(
        (char *)buf + 10, cap - 10, "{'descr': '%c%c%u', 'fortran_order': False, 'shape': %s, }",
        npy_types[i].size == 1 ? '|' : '<', npy_types[i].kind, npy_types[i].size, shape);
    if (n < 0 || (size_t)n + 10 + 64 > cap)
        return nnq_error(NNQ_STATUS_INTERNAL, "%s: .npy header does not fit", what);
    /* Spaces then '\n' so that data starts on a 64-byte boundary. */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    memset(buf + 10 + n, ' ', pad);
    buf[total + pad - 1] = '\n';
    memcpy(buf, npy_magic, sizeof npy_magic);
    buf[6] = 1;
    buf[7] = 0;
    io_put16(buf + 8, (uint32_t)(total + pad - 10));
    *len = total + pad;
    return NNQ_STATUS_OK;
}

nnq_status nnq_npy_write(const char *path, const nnq_tensor *t, const char *const *inputs,
                         size_t n_inputs) {
    if (!t) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npy_write: tensor is NULL");
    if (t->nbytes && !t->data)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npy_write: tensor has no data");
    unsigned char hdr[NPY_HEADER_CAP];
    size_t hlen;
    NNQ_TRY(npy_encode_header(t, "npy_write", hdr, sizeof hdr, &hlen));
    nnq_outfile *f;
    NNQ_TRY(nnq_outfile_open(path, inputs, n_inputs, &f));
    nnq_status st = nnq_outfile_write(f, hdr, hlen);
    if (!st) st = nnq_outfile_write(f, t->data, t->nbytes);
    if (st) {
        nnq_outfile_abort(f);
        return st;
    }
    return nnq_outfile_commit(f);
}
