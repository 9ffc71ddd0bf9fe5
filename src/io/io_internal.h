/*
 * io_internal.h - byte sources, (de)compressing streams and helpers shared by
 * the .npy, .npz, IDX and dataset readers (not installed).
 */
#ifndef NNQ_IO_INTERNAL_H
#define NNQ_IO_INTERNAL_H

#include <zlib.h>

#include "internal.h"

/*
 * A random-access byte source: a file read with pread (so several streams
 * can share it without sharing a file position) or a caller's buffer.
 */
typedef struct io_src {
    int fd;                   /* -1 for memory */
    const unsigned char *mem; /* NULL for files */
    uint64_t size;
    char *name; /* for messages; owned */
} io_src;

NNQ_INTERNAL nnq_status io_src_open_file(io_src *src, const char *path);
NNQ_INTERNAL nnq_status io_src_open_memory(io_src *src, const void *data, size_t size,
                                           const char *name);
NNQ_INTERNAL void io_src_close(io_src *src);
/* Read exactly n bytes at off; a short source is NNQ_STATUS_INVALID_FORMAT
 * with a message naming `what`. */
NNQ_INTERNAL nnq_status io_src_pread(const io_src *src, uint64_t off, void *buf, size_t n,
                                     const char *what);

enum { IO_CODEC_NONE, IO_CODEC_DEFLATE /* raw, as in zip */, IO_CODEC_GZIP };

/*
 * A forward stream over the region [base, base + len) of a source, optionally
 * inflated.  `pos` counts delivered (decompressed) bytes.  With a CRC set the
 * delivered bytes are checked by io_stream_finish.
 */
typedef struct io_stream {
    const io_src *src;
    const char *name; /* for messages (not owned) */
    uint64_t base, len, rpos;
    uint64_t pos;
    uint64_t limit; /* bytes the stream may deliver (UINT64_MAX: unknown) */
    int codec;
    bool z_live, z_end;
    z_stream z;
    unsigned char *zin;
    bool crc_on;
    uint32_t crc, want_crc;
} io_stream;

NNQ_INTERNAL nnq_status io_stream_init(io_stream *s, const io_src *src, const char *name,
                                       uint64_t base, uint64_t len, int codec, uint64_t limit);
NNQ_INTERNAL void io_stream_release(io_stream *s);
NNQ_INTERNAL void io_stream_set_crc(io_stream *s, uint32_t want);
/* Up to n bytes; *got < n only at the end of the stream. */
NNQ_INTERNAL nnq_status io_stream_read(io_stream *s, void *buf, size_t n, size_t *got);
/* Exactly n bytes, else NNQ_STATUS_INVALID_FORMAT naming `what`. */
NNQ_INTERNAL nnq_status io_stream_read_exact(io_stream *s, void *buf, size_t n, const char *what);
NNQ_INTERNAL nnq_status io_stream_rewind(io_stream *s);
/* Move to logical offset `to`: skip forward, or rewind first when behind. */
NNQ_INTERNAL nnq_status io_stream_seek(io_stream *s, uint64_t to);
/* Check the stream is exhausted: no trailing bytes, declared size reached,
 * compressed data fully used, CRC equal. */
NNQ_INTERNAL nnq_status io_stream_finish(io_stream *s);

/* ---- .npy internals shared with .npz and the dataset ---- */
NNQ_INTERNAL nnq_status npy_read_header(io_stream *s, nnq_npy_info *info);
/* Read the data after a parsed header into a new row-major native tensor and
 * check the stream ends there. */
NNQ_INTERNAL nnq_status npy_read_body(io_stream *s, const nnq_npy_info *info, nnq_tensor **out);
/* The data after the header must be exactly `have` bytes. */
NNQ_INTERNAL nnq_status npy_check_data_size(const io_stream *s, const nnq_npy_info *info,
                                            uint64_t have);
/* Encode the header numpy.save writes for t into buf (cap >= 256). */
NNQ_INTERNAL nnq_status npy_encode_header(const nnq_tensor *t, const char *what, unsigned char *buf,
                                          size_t cap, size_t *len);
#define NPY_HEADER_CAP 256

/* ---- .npz internals used by the dataset ---- */
/* Stream over member `name`'s .npy image (CRC-checked at io_stream_finish),
 * named "archive:member" in messages. */
NNQ_INTERNAL nnq_status npz_member_stream(nnq_npz *npz, const char *name, io_stream *s);

/* ---- element helpers ---- */
NNQ_INTERNAL void io_byteswap(void *data, size_t count, size_t elsize);
NNQ_INTERNAL float io_half_to_float(uint16_t h);
/* Convert n elements of an integer / float / bool type to float32. */
NNQ_INTERNAL void io_to_float32(const void *src, nnq_dtype dtype, size_t n, float *dst);
NNQ_INTERNAL char *io_strdup(const char *s);

static inline uint16_t io_le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t io_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t io_le64(const unsigned char *p) {
    return (uint64_t)io_le32(p) | (uint64_t)io_le32(p + 4) << 32;
}
static inline uint32_t io_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void io_put16(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void io_put32(unsigned char *p, uint32_t v) {
    io_put16(p, v);
    io_put16(p + 2, v >> 16);
}

#endif
