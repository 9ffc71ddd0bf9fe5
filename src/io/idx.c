/*
 * idx.c - IDX files (LeCun's MNIST format): magic 00 00 <type> <ndim>, ndim
 * big-endian uint32 dims, then big-endian elements; plain or gzip-compressed.
 * Items are streamed: reading a range inflates only up to its end.
 */
#include <string.h>

#include "io/io_internal.h"

struct nnq_idx {
    io_src src;
    io_stream s;
    nnq_idx_info info;
    uint64_t header_size;
    uint64_t next_item; /* item the stream sits at; UINT64_MAX: unknown */
};

static nnq_status idx_type(const nnq_idx *x, unsigned code, nnq_dtype *out) {
    static const struct {
        unsigned code;
        nnq_dtype dtype;
    } types[] = {{0x08, NNQ_DTYPE_UINT8}, {0x09, NNQ_DTYPE_INT8},    {0x0B, NNQ_DTYPE_INT16},
                 {0x0C, NNQ_DTYPE_INT32}, {0x0D, NNQ_DTYPE_FLOAT32}, {0x0E, NNQ_DTYPE_FLOAT64}};
    for (size_t i = 0; i < NNQ_ARRAY_LEN(types); i++) {
        if (types[i].code == code) {
            *out = types[i].dtype;
            return NNQ_STATUS_OK;
        }
    }
    return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                     "'%s': unknown IDX element type 0x%02x (need 08 09 0b 0c 0d 0e)", x->src.name,
                     code);
}

/* The size the header implies against the file (gzip: its ISIZE trailer). */
static nnq_status check_size(nnq_idx *x, uint64_t total) {
    const char *nm = x->src.name;
    if (!x->info.gzipped) {
        if (x->src.size != total)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "'%s': IDX header implies %llu bytes, the file has %llu (%s)", nm,
                             (unsigned long long)total, (unsigned long long)x->src.size,
                             x->src.size < total ? "truncated" : "trailing bytes");
        return NNQ_STATUS_OK;
    }
    unsigned char t[4];
    if (x->src.size < 18)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': gzip file too short", nm);
    NNQ_TRY(io_src_pread(&x->src, x->src.size - 4, t, 4, "the gzip trailer"));
    if (io_le32(t) != (uint32_t)total)
        return nnq_error(
            NNQ_STATUS_INVALID_FORMAT,
            "'%s': IDX header implies %llu bytes, the gzip trailer says %u (mod 2^32): "
            "truncated, padded or concatenated",
            nm, (unsigned long long)total, (unsigned)io_le32(t));
    return NNQ_STATUS_OK;
}

static nnq_status parse_header(nnq_idx *x) {
    const char *nm = x->src.name;
    unsigned char m[4], d[4 * NNQ_MAX_DIMS];
    NNQ_TRY(io_stream_read_exact(&x->s, m, 4, "the IDX magic"));
    if (m[0] != 0 || m[1] != 0)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s' is not an IDX file (magic %02x %02x %02x %02x; IDX starts 00 00 "
                         "<type> <ndim>)",
                         nm, m[0], m[1], m[2], m[3]);
    nnq_idx_info *in = &x->info;
    NNQ_TRY(idx_type(x, m[2], &in->dtype));
    if (m[3] == 0)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': IDX file with 0 dimensions", nm);
    if (m[3] > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "'%s': IDX file with %u dimensions (at most %d)",
                         nm, m[3], NNQ_MAX_DIMS);
    in->ndim = m[3];
    NNQ_TRY(io_stream_read_exact(&x->s, d, 4 * (size_t)in->ndim, "the IDX dimensions"));
    for (int i = 0; i < in->ndim; i++) in->dims[i] = io_be32(d + 4 * i);
    x->header_size = 4 + 4 * (uint64_t)in->ndim;
    size_t per_item, total;
    if (!nnq_size_product(in->dims + 1, (size_t)in->ndim - 1, &per_item) ||
        !nnq_size_mul(per_item, nnq_dtype_bits(in->dtype) / 8, &in->item_bytes) ||
        !nnq_size_mul(in->item_bytes, (size_t)in->dims[0], &total) ||
        !nnq_size_add(total, (size_t)x->header_size, &total))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "'%s': IDX dimensions overflow the size", nm);
    in->items = (uint64_t)in->dims[0];
    x->next_item = 0;
    return check_size(x, total);
}

static nnq_status idx_open_src(nnq_idx *x, nnq_idx **out) {
    unsigned char magic[2] = {0, 0};
    nnq_status st = NNQ_STATUS_OK;
    if (x->src.size >= 2) st = io_src_pread(&x->src, 0, magic, 2, "the magic");
    x->info.gzipped = magic[0] == 0x1f && magic[1] == 0x8b;
    if (!st)
        st = io_stream_init(&x->s, &x->src, NULL, 0, x->src.size,
                            x->info.gzipped ? IO_CODEC_GZIP : IO_CODEC_NONE, UINT64_MAX);
    if (!st) st = parse_header(x);
    if (st) {
        nnq_idx_close(x);
        return st;
    }
    *out = x;
    return NNQ_STATUS_OK;
}

nnq_status nnq_idx_open(const char *path, nnq_idx **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "idx_open: out is NULL");
    *out = NULL;
    nnq_idx *x = nnq_calloc(1, sizeof *x);
    if (!x) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "idx_open: out of memory");
    nnq_status st = io_src_open_file(&x->src, path);
    if (st) {
        nnq_free(x);
        return st;
    }
    return idx_open_src(x, out);
}

nnq_status nnq_idx_open_memory(const void *data, size_t size, const char *name, nnq_idx **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "idx_open_memory: out is NULL");
    *out = NULL;
    nnq_idx *x = nnq_calloc(1, sizeof *x);
    if (!x) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "idx_open_memory: out of memory");
    nnq_status st = io_src_open_memory(&x->src, data, size, name);
    if (st) {
        nnq_free(x);
        return st;
    }
    return idx_open_src(x, out);
}

void nnq_idx_close(nnq_idx *x) {
    if (!x) return;
    io_stream_release(&x->s);
    io_src_close(&x->src);
    nnq_free(x);
}

const nnq_idx_info *nnq_idx_get_info(const nnq_idx *x) { return x ? &x->info : NULL; }

static nnq_status check_range(const nnq_idx *x, uint64_t start, uint64_t count, size_t *bytes) {
    if (start > x->info.items || count > x->info.items - start)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "'%s': items [%llu, %llu + %llu) are outside the %llu items of the file",
                         x->src.name, (unsigned long long)start, (unsigned long long)start,
                         (unsigned long long)count, (unsigned long long)x->info.items);
    /* count <= items and items * item_bytes was checked at open. */
    *bytes = (size_t)count * x->info.item_bytes;
    return NNQ_STATUS_OK;
}

nnq_status nnq_idx_read_into(nnq_idx *x, uint64_t start, uint64_t count, void *dst, size_t size) {
    size_t bytes = 0;
    if (!x) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "idx_read: handle is NULL");
    NNQ_TRY(check_range(x, start, count, &bytes));
    if (size < bytes || (!dst && bytes))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "idx_read: '%s': %llu items need %zu bytes, the buffer has %zu",
                         x->src.name, (unsigned long long)count, bytes, size);
    uint64_t want = x->header_size + start * (uint64_t)x->info.item_bytes;
    if (x->next_item == UINT64_MAX) NNQ_TRY(io_stream_rewind(&x->s));
    /* Any failure below leaves the position unknown: the next read restarts. */
    x->next_item = UINT64_MAX;
    NNQ_TRY(io_stream_seek(&x->s, want));
    NNQ_TRY(io_stream_read_exact(&x->s, dst, bytes, "IDX items"));
    size_t es = nnq_dtype_bits(x->info.dtype) / 8;
    io_byteswap(dst, bytes / es, es);
    x->next_item = start + count;
    return NNQ_STATUS_OK;
}

nnq_status nnq_idx_read(nnq_idx *x, uint64_t start, uint64_t count, nnq_tensor **out) {
    size_t bytes = 0;
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "idx_read: out is NULL");
    *out = NULL;
    if (!x) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "idx_read: handle is NULL");
    NNQ_TRY(check_range(x, start, count, &bytes));
    int64_t dims[NNQ_MAX_DIMS];
    memcpy(dims, x->info.dims, sizeof dims);
    dims[0] = (int64_t)count;
    nnq_tensor *t;
    NNQ_TRY(nnq_tensor_create(x->info.dtype, x->info.ndim, dims, &t));
    nnq_status st = nnq_idx_read_into(x, start, count, t->data, t->nbytes);
    if (st) {
        nnq_tensor_free(t);
        return st;
    }
    *out = t;
    return NNQ_STATUS_OK;
}
