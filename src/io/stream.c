/*
 * stream.c - byte sources and forward streams (plain, raw deflate, gzip)
 * shared by the io readers, plus element conversion helpers.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_internal.h"

/* Compressed input is fed to zlib in chunks of this size. */
#define IO_ZCHUNK 65536

char *io_strdup(const char *s) {
    size_t n = strlen(s);
    char *d = nnq_malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

nnq_status io_src_open_file(io_src *src, const char *path) {
    memset(src, 0, sizeof *src);
    src->fd = -1;
    if (!path) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "io: path is NULL");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return nnq_error(e == ENOENT ? NNQ_STATUS_NOT_FOUND : NNQ_STATUS_IO_ERROR,
                         "cannot open '%s': %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return nnq_error(NNQ_STATUS_IO_ERROR, "'%s' is not a regular file", path);
    }
    src->name = io_strdup(path);
    if (!src->name) {
        close(fd);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "io: out of memory");
    }
    src->fd = fd;
    src->size = (uint64_t)st.st_size;
    return NNQ_STATUS_OK;
}

nnq_status io_src_open_memory(io_src *src, const void *data, size_t size, const char *name) {
    memset(src, 0, sizeof *src);
    src->fd = -1;
    if (!data && size) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "io: data is NULL");
    static const unsigned char empty[1];
    src->mem = data ? data : empty;
    src->size = size;
    src->name = io_strdup(name ? name : "<memory>");
    if (!src->name) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "io: out of memory");
    return NNQ_STATUS_OK;
}

void io_src_close(io_src *src) {
    if (src->fd >= 0) close(src->fd);
    src->fd = -1;
    nnq_free(src->name);
    src->name = NULL;
}

/* Bytes actually read at off (short only at the end of the source). */
static nnq_status src_read_some(const io_src *src, uint64_t off, void *buf, size_t n, size_t *got) {
    *got = 0;
    if (off >= src->size) return NNQ_STATUS_OK;
    if (n > src->size - off) n = (size_t)(src->size - off);
    if (src->mem) {
        memcpy(buf, src->mem + off, n);
        *got = n;
        return NNQ_STATUS_OK;
    }
    unsigned char *p = buf;
    while (*got < n) {
        ssize_t r = pread(src->fd, p + *got, n - *got, (off_t)(off + *got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0)
            return nnq_error(NNQ_STATUS_IO_ERROR, "reading '%s': %s", src->name, strerror(errno));
        if (r == 0) break; /* file shrank under us */
        *got += (size_t)r;
    }
    return NNQ_STATUS_OK;
}

nnq_status io_src_pread(const io_src *src, uint64_t off, void *buf, size_t n, const char *what) {
    size_t got;
    NNQ_TRY(src_read_some(src, off, buf, n, &got));
    if (got != n)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s' is truncated: %s needs %zu bytes at offset %llu, the file has %llu",
                         src->name, what, n, (unsigned long long)off,
                         (unsigned long long)src->size);
    return NNQ_STATUS_OK;
}

/* ---- streams ---- */

static nnq_status stream_zinit(io_stream *s) {
    memset(&s->z, 0, sizeof s->z);
    int wbits = s->codec == IO_CODEC_GZIP ? 16 + MAX_WBITS : -MAX_WBITS;
    int rc = inflateInit2(&s->z, wbits);
    if (rc != Z_OK)
        return nnq_error(rc == Z_MEM_ERROR ? NNQ_STATUS_OUT_OF_MEMORY : NNQ_STATUS_INTERNAL,
                         "'%s': cannot start inflate (zlib error %d)", s->name, rc);
    s->z_live = true;
    return NNQ_STATUS_OK;
}

nnq_status io_stream_init(io_stream *s, const io_src *src, const char *name, uint64_t base,
                          uint64_t len, int codec, uint64_t limit) {
    memset(s, 0, sizeof *s);
    s->src = src;
    s->name = name ? name : src->name;
    s->base = base;
    s->len = len;
    s->codec = codec;
    s->limit = limit;
    if (codec == IO_CODEC_NONE) return NNQ_STATUS_OK;
    s->zin = nnq_malloc(IO_ZCHUNK);
    if (!s->zin) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", s->name);
    nnq_status st = stream_zinit(s);
    if (st) {
        nnq_free(s->zin);
        s->zin = NULL;
    }
    return st;
}

void io_stream_release(io_stream *s) {
    if (s->z_live) inflateEnd(&s->z);
    s->z_live = false;
    nnq_free(s->zin);
    s->zin = NULL;
}

void io_stream_set_crc(io_stream *s, uint32_t want) {
    s->crc_on = true;
    s->want_crc = want;
    s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
}

static void stream_crc(io_stream *s, const unsigned char *p, size_t n) {
    if (!s->crc_on) return;
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        s->crc = (uint32_t)crc32(s->crc, p, k);
        p += k;
        n -= k;
    }
}

static nnq_status stream_read_plain(io_stream *s, unsigned char *buf, size_t n, size_t *got) {
    uint64_t left = s->len - s->rpos;
    if (n > left) n = (size_t)left;
    NNQ_TRY(src_read_some(s->src, s->base + s->rpos, buf, n, got));
    s->rpos += *got;
    return NNQ_STATUS_OK;
}

static nnq_status stream_inflate(io_stream *s, unsigned char *buf, size_t n, size_t *got) {
    *got = 0;
    while (*got < n && !s->z_end) {
        if (s->z.avail_in == 0 && s->rpos < s->len) {
            size_t in;
            NNQ_TRY(stream_read_plain(s, s->zin, IO_ZCHUNK, &in));
            s->z.next_in = s->zin;
            s->z.avail_in = (uInt)in;
        }
        size_t want = n - *got;
        s->z.next_out = buf + *got;
        s->z.avail_out = want > (1u << 30) ? (1u << 30) : (uInt)want;
        uInt before = s->z.avail_out;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        *got += before - s->z.avail_out;
        if (rc == Z_STREAM_END) {
            s->z_end = true;
        } else if (rc == Z_BUF_ERROR) {
            /* No progress: fine when more input can be fed, else truncated. */
            if (s->z.avail_in == 0 && s->rpos >= s->len)
                return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                                 "'%s' is truncated: compressed data ends early", s->name);
        } else if (rc == Z_MEM_ERROR) {
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory inflating", s->name);
        } else if (rc != Z_OK) {
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': corrupt compressed data (%s)",
                             s->name, s->z.msg ? s->z.msg : "zlib error");
        }
    }
    return NNQ_STATUS_OK;
}

nnq_status io_stream_read(io_stream *s, void *buf, size_t n, size_t *got) {
    *got = 0;
    if (n > s->limit - s->pos) n = (size_t)(s->limit - s->pos);
    if (n == 0) return NNQ_STATUS_OK;
    if (s->codec == IO_CODEC_NONE) {
        NNQ_TRY(stream_read_plain(s, buf, n, got));
    } else {
        NNQ_TRY(stream_inflate(s, buf, n, got));
    }
    stream_crc(s, buf, *got);
    s->pos += *got;
    return NNQ_STATUS_OK;
}

nnq_status io_stream_read_exact(io_stream *s, void *buf, size_t n, const char *what) {
    size_t got;
    uint64_t at = s->pos;
    NNQ_TRY(io_stream_read(s, buf, n, &got));
    if (got != n)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s' is truncated: %s needs %zu bytes at offset %llu, only %zu remain",
                         s->name, what, n, (unsigned long long)at, got);
    return NNQ_STATUS_OK;
}

nnq_status io_stream_rewind(io_stream *s) {
    s->rpos = 0;
    s->pos = 0;
    s->z_end = false;
    if (s->crc_on) s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    if (s->codec == IO_CODEC_NONE) return NNQ_STATUS_OK;
    s->z.avail_in = 0;
    if (inflateReset(&s->z) != Z_OK)
        return nnq_error(NNQ_STATUS_INTERNAL, "'%s': inflateReset failed", s->name);
    return NNQ_STATUS_OK;
}

nnq_status io_stream_seek(io_stream *s, uint64_t to) {
    if (to < s->pos) NNQ_TRY(io_stream_rewind(s));
    if (s->codec == IO_CODEC_NONE && !s->crc_on) {
        if (to > s->len || to > s->limit)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "'%s' is truncated: offset %llu is past its %llu bytes", s->name,
                             (unsigned long long)to, (unsigned long long)s->len);
        s->rpos = s->pos = to;
        return NNQ_STATUS_OK;
    }
    unsigned char scratch[4096];
    while (s->pos < to) {
        uint64_t left = to - s->pos;
        size_t n = left > sizeof scratch ? sizeof scratch : (size_t)left;
        NNQ_TRY(io_stream_read_exact(s, scratch, n, "skipping ahead"));
    }
    return NNQ_STATUS_OK;
}

nnq_status io_stream_finish(io_stream *s) {
    if (s->limit != UINT64_MAX && s->pos != s->limit)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': %llu bytes left unread of %llu", s->name,
                         (unsigned long long)(s->limit - s->pos), (unsigned long long)s->limit);
    if (s->codec == IO_CODEC_NONE) {
        if (s->rpos != s->len)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "'%s' has %llu trailing bytes after the data", s->name,
                             (unsigned long long)(s->len - s->rpos));
    } else {
        unsigned char extra;
        size_t got;
        NNQ_TRY(stream_inflate(s, &extra, 1, &got));
        if (got != 0)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "'%s' inflates to more than its declared %llu bytes", s->name,
                             (unsigned long long)s->limit);
        if (!s->z_end)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': compressed stream does not end",
                             s->name);
        uint64_t unused = s->len - s->rpos + s->z.avail_in;
        if (unused != 0)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "'%s' has %llu bytes after the end of its compressed data", s->name,
                             (unsigned long long)unused);
    }
    if (s->crc_on && s->crc != s->want_crc)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': CRC-32 mismatch (data has %08x, archive says %08x)", s->name,
                         (unsigned)s->crc, (unsigned)s->want_crc);
    return NNQ_STATUS_OK;
}

/* ---- element helpers ---- */

void io_byteswap(void *data, size_t count, size_t elsize) {
    unsigned char *p = data;
    if (elsize < 2) return;
    for (size_t i = 0; i < count; i++, p += elsize) {
        for (size_t a = 0, b = elsize - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
    }
}

/* IEEE 754 binary16 to binary32: exact (every half is a float). */
float io_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        /* Subnormal half: man * 2^-24, exactly representable as a float. */
        float f = ldexpf((float)man, -24);
        return sign ? -f : f;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

#define IO_CONVERT(T)                                                                              \
    do {                                                                                           \
        const T *s_ = src;                                                                         \
        for (size_t i = 0; i < n; i++) dst[i] = (float)s_[i];                                      \
    } while (0)

void io_to_float32(const void *src, nnq_dtype dtype, size_t n, float *dst) {
    switch (dtype) {
    case NNQ_DTYPE_FLOAT32: memmove(dst, src, n * sizeof(float)); break;
    case NNQ_DTYPE_FLOAT64: IO_CONVERT(double); break;
    case NNQ_DTYPE_UINT8: IO_CONVERT(uint8_t); break;
    case NNQ_DTYPE_BOOL: IO_CONVERT(uint8_t); break;
    case NNQ_DTYPE_INT8: IO_CONVERT(int8_t); break;
    case NNQ_DTYPE_UINT16: IO_CONVERT(uint16_t); break;
    case NNQ_DTYPE_INT16: IO_CONVERT(int16_t); break;
    case NNQ_DTYPE_UINT32: IO_CONVERT(uint32_t); break;
    case NNQ_DTYPE_INT32: IO_CONVERT(int32_t); break;
    case NNQ_DTYPE_UINT64: IO_CONVERT(uint64_t); break;
    case NNQ_DTYPE_INT64: IO_CONVERT(int64_t); break;
    case NNQ_DTYPE_FLOAT16: {
        const uint16_t *h = src;
        for (size_t i = 0; i < n; i++) dst[i] = io_half_to_float(h[i]);
        break;
    }
    default: assert(!"io_to_float32: unsupported dtype"); break;
    }
}
