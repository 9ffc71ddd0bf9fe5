/*
 * npz.c - .npz archives: a zip file (PKWARE APPNOTE 6.3) of .npy members,
 * stored or deflated, with ZIP64 records as numpy/zipfile write them.
 *
 * The reader trusts nothing: the central directory is parsed with bounds
 * checks, every local header is compared with it, members may not overlap
 * (the trick behind non-recursive zip bombs), declared sizes are held to
 * limits and inflated data must match them and its CRC-32.
 */
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define EOCD_LEN 22
#define CENTRAL_LEN 46
#define LOCAL_LEN 30
#define U32_MAX_ 0xffffffffu
/* DOS date 1980-01-01, time 00:00: the fixed timestamp of written members. */
#define DOS_DATE_1980 0x0021u

typedef struct npz_member {
    char *name;  /* as stored ("x.npy"), NUL-terminated */
    char *key;   /* name without ".npy" */
    char *label; /* "archive:name" for messages */
    uint64_t csize, usize, header_off, data_off;
    uint32_t crc;
    uint16_t method, flags;
} npz_member;

struct nnq_npz {
    io_src src;
    npz_member *m;
    size_t n;
    nnq_npz_limits lim;
};

typedef struct eocd {
    uint64_t entries, cd_size, cd_off, end; /* end: where the CD must stop */
} eocd;

/* ---- end of central directory ---- */

static nnq_status find_eocd(const io_src *src, eocd *e) {
    const char *nm = src->name;
    if (src->size < EOCD_LEN)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s' is not a zip/.npz archive (%llu bytes)",
                         nm, (unsigned long long)src->size);
    size_t tail = (size_t)NNQ_MIN(src->size, (uint64_t)EOCD_LEN + 65535);
    unsigned char *buf = nnq_malloc(tail);
    if (!buf) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", nm);
    uint64_t base = src->size - tail;
    nnq_status st = io_src_pread(src, base, buf, tail, "the end of central directory");
    size_t at = SIZE_MAX;
    /* The comment length must reach the end exactly: a signature inside
     * the comment or data does not count. */
    for (size_t i = tail - EOCD_LEN + 1; !st && i-- > 0;) {
        if (io_le32(buf + i) == SIG_EOCD && i + EOCD_LEN + io_le16(buf + i + 20) == tail) {
            at = i;
            break;
        }
    }
    if (!st && at == SIZE_MAX)
        st = nnq_error(NNQ_STATUS_INVALID_FORMAT,
                       "'%s' is not a zip/.npz archive (no end of central directory record)", nm);
    if (!st) {
        const unsigned char *p = buf + at;
        if (io_le16(p + 4) != 0 || io_le16(p + 6) != 0 || io_le16(p + 8) != io_le16(p + 10))
            st = nnq_error(NNQ_STATUS_UNSUPPORTED,
                           "'%s': multi-disk zip archives are not supported", nm);
        e->entries = io_le16(p + 10);
        e->cd_size = io_le32(p + 12);
        e->cd_off = io_le32(p + 16);
        e->end = base + at;
    }
    nnq_free(buf);
    return st;
}

/* ZIP64: the classic record saturated; the real values follow the locator. */
static nnq_status read_eocd64(const io_src *src, eocd *e) {
    const char *nm = src->name;
    unsigned char loc[20], rec[56];
    if (e->end < sizeof loc + sizeof rec)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': ZIP64 end of central directory missing",
                         nm);
    NNQ_TRY(io_src_pread(src, e->end - sizeof loc, loc, sizeof loc, "the ZIP64 locator"));
    if (io_le32(loc) != SIG_LOC64)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': ZIP64 end of central directory locator missing", nm);
    uint64_t off = io_le64(loc + 8);
    if (io_le32(loc + 4) != 0 || io_le32(loc + 16) > 1)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "'%s': multi-disk zip archives are not supported",
                         nm);
    if (off > e->end - sizeof loc - sizeof rec)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': ZIP64 end of central directory offset %llu is out of bounds", nm,
                         (unsigned long long)off);
    NNQ_TRY(io_src_pread(src, off, rec, sizeof rec, "the ZIP64 end of central directory"));
    if (io_le32(rec) != SIG_EOCD64)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': bad ZIP64 end of central directory signature", nm);
    if (io_le32(rec + 16) != 0 || io_le32(rec + 20) != 0 || io_le64(rec + 24) != io_le64(rec + 32))
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "'%s': multi-disk zip archives are not supported",
                         nm);
    e->entries = io_le64(rec + 32);
    e->cd_size = io_le64(rec + 40);
    e->cd_off = io_le64(rec + 48);
    e->end = off;
    return NNQ_STATUS_OK;
}

/* ---- central directory ---- */

/* Replace saturated 32-bit fields from a ZIP64 extra field (id 1), which
 * lists only the saturated ones, in the order usize, csize, offset. */
static nnq_status apply_zip64(const char *nm, const unsigned char *x, size_t xlen, uint64_t *usize,
                              uint64_t *csize, uint64_t *off) {
    uint64_t *want[3] = {usize, csize, off};
    while (xlen >= 4) {
        uint16_t id = io_le16(x), n = io_le16(x + 2);
        if (n > xlen - 4)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': zip extra field overruns its entry",
                             nm);
        if (id == 1) {
            size_t k = 0;
            for (int i = 0; i < 3; i++) {
                if (!want[i] || *want[i] != U32_MAX_) continue;
                if (k + 8 > n)
                    return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': ZIP64 extra field too short",
                                     nm);
                *want[i] = io_le64(x + 4 + k);
                k += 8;
            }
            return NNQ_STATUS_OK;
        }
        x += 4 + n;
        xlen -= 4 + (size_t)n;
    }
    for (int i = 0; i < 3; i++)
        if (want[i] && *want[i] == U32_MAX_)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "'%s': zip entry has a saturated size but no ZIP64 extra field", nm);
    return NNQ_STATUS_OK;
}

static char *member_str(const char *a, size_t na, const char *b, size_t nb) {
    char *s = nnq_malloc(na + nb + 1);
    if (!s) return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    s[na + nb] = '\0';
    return s;
}

static nnq_status set_names(nnq_npz *z, npz_member *m, const unsigned char *name, size_t n) {
    const char *nm = z->src.name;
    if (n == 0)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': zip member with an empty name", nm);
    if (memchr(name, 0, n))
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': zip member name contains a NUL byte",
                         nm);
    size_t kn = n >= 4 && memcmp(name + n - 4, ".npy", 4) == 0 ? n - 4 : n;
    m->name = member_str((const char *)name, n, "", 0);
    m->key = member_str((const char *)name, kn, "", 0);
    m->label = member_str(nm, strlen(nm), ":", 1);
    char *label = m->label ? member_str(m->label, strlen(m->label), (const char *)name, n) : NULL;
    nnq_free(m->label);
    m->label = label;
    if (!m->name || !m->key || !m->label)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", nm);
    return NNQ_STATUS_OK;
}

static nnq_status parse_central(nnq_npz *z, const unsigned char *p, size_t left, size_t *used,
                                npz_member *m) {
    const char *nm = z->src.name;
    if (left < CENTRAL_LEN || io_le32(p) != SIG_CENTRAL)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': bad central directory entry %zu", nm,
                         z->n);
    size_t nlen = io_le16(p + 28), xlen = io_le16(p + 30), clen = io_le16(p + 32);
    if (CENTRAL_LEN + nlen + xlen + clen > left)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': central directory entry %zu overruns it",
                         nm, z->n);
    *used = CENTRAL_LEN + nlen + xlen + clen;
    NNQ_TRY(set_names(z, m, p + CENTRAL_LEN, nlen));
    m->flags = io_le16(p + 8);
    m->method = io_le16(p + 10);
    m->crc = io_le32(p + 16);
    m->csize = io_le32(p + 20);
    m->usize = io_le32(p + 24);
    m->header_off = io_le32(p + 42);
    if (io_le16(p + 34) != 0 && io_le16(p + 34) != 0xffff)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "'%s': multi-disk zip archives are not supported",
                         nm);
    NNQ_TRY(
        apply_zip64(m->label, p + CENTRAL_LEN + nlen, xlen, &m->usize, &m->csize, &m->header_off));
    if (m->flags & 0x41)
        return nnq_error(NNQ_STATUS_UNSUPPORTED, "'%s': encrypted zip members are not supported",
                         m->label);
    if (m->method != 0 && m->method != 8)
        return nnq_error(
            NNQ_STATUS_UNSUPPORTED,
            "'%s': zip compression method %u is not supported (stored or deflate only)", m->label,
            m->method);
    if (m->method == 0 && m->csize != m->usize)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': stored member has compressed size %llu but size %llu", m->label,
                         (unsigned long long)m->csize, (unsigned long long)m->usize);
    return NNQ_STATUS_OK;
}

static nnq_status check_limits(nnq_npz *z, const npz_member *m, uint64_t *total) {
    const nnq_npz_limits *l = &z->lim;
    if (m->usize > l->max_member_size)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "'%s': member declares %llu bytes, over the %llu-byte limit", m->label,
                         (unsigned long long)m->usize, (unsigned long long)l->max_member_size);
    if (__builtin_add_overflow(*total, m->usize, total) || *total > l->max_total_size)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "'%s': members declare more than the %llu-byte total limit", z->src.name,
                         (unsigned long long)l->max_total_size);
    if (m->usize > (1u << 20) && m->usize / l->max_ratio > m->csize)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "'%s': compression ratio %llu:%llu exceeds the %llu:1 limit (zip bomb?)",
                         m->label, (unsigned long long)m->usize, (unsigned long long)m->csize,
                         (unsigned long long)l->max_ratio);
    return NNQ_STATUS_OK;
}

/* Compare a local header with its central entry and find the data. */
static nnq_status check_local(nnq_npz *z, npz_member *m, uint64_t cd_off) {
    unsigned char h[LOCAL_LEN];
    if (m->header_off > cd_off || cd_off - m->header_off < LOCAL_LEN)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': local header offset %llu is outside the member area", m->label,
                         (unsigned long long)m->header_off);
    NNQ_TRY(io_src_pread(&z->src, m->header_off, h, sizeof h, "a zip local header"));
    size_t nlen = io_le16(h + 26), xlen = io_le16(h + 28);
    if (io_le32(h) != SIG_LOCAL || io_le16(h + 8) != m->method || nlen != strlen(m->name))
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': local header does not match the central directory", m->label);
    unsigned char *var = nnq_malloc(nlen + xlen);
    if (!var) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", m->label);
    nnq_status st =
        io_src_pread(&z->src, m->header_off + LOCAL_LEN, var, nlen + xlen, "a zip local header");
    if (!st && memcmp(var, m->name, nlen) != 0)
        st = nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': local header names a different member",
                       m->label);
    if (!st && !(io_le16(h + 6) & 8)) {
        /* Without a data descriptor the local sizes and CRC must agree. */
        uint64_t usize = io_le32(h + 22), csize = io_le32(h + 18);
        st = apply_zip64(m->label, var + nlen, xlen, &usize, &csize, NULL);
        if (!st && (io_le32(h + 14) != m->crc || usize != m->usize || csize != m->csize))
            st = nnq_error(NNQ_STATUS_INVALID_FORMAT,
                           "'%s': local header sizes or CRC differ from the central directory",
                           m->label);
    }
    nnq_free(var);
    NNQ_TRY(st);
    m->data_off = m->header_off + LOCAL_LEN + nlen + xlen;
    if (m->data_off > cd_off || m->csize > cd_off - m->data_off)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': member data (%llu bytes at %llu) runs into the central directory",
                         m->label, (unsigned long long)m->csize, (unsigned long long)m->data_off);
    return NNQ_STATUS_OK;
}

static int cmp_by_offset(const void *a, const void *b) {
    const npz_member *x = *(const npz_member *const *)a, *y = *(const npz_member *const *)b;
    return x->header_off < y->header_off ? -1 : x->header_off > y->header_off;
}

static int cmp_by_key(const void *a, const void *b) {
    return strcmp((*(const npz_member *const *)a)->key, (*(const npz_member *const *)b)->key);
}

/* Overlapping members and duplicate keys, via two sorted views. */
static nnq_status check_members(nnq_npz *z) {
    if (z->n < 2) return NNQ_STATUS_OK;
    npz_member **v = nnq_malloc(z->n * sizeof *v);
    if (!v) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", z->src.name);
    for (size_t i = 0; i < z->n; i++) v[i] = &z->m[i];
    nnq_status st = NNQ_STATUS_OK;
    qsort(v, z->n, sizeof *v, cmp_by_offset);
    for (size_t i = 1; i < z->n && !st; i++)
        if (v[i]->header_off < v[i - 1]->data_off + v[i - 1]->csize)
            st = nnq_error(NNQ_STATUS_INVALID_FORMAT,
                           "'%s': members '%s' and '%s' overlap (zip bomb?)", z->src.name,
                           v[i - 1]->name, v[i]->name);
    qsort(v, z->n, sizeof *v, cmp_by_key);
    for (size_t i = 1; i < z->n && !st; i++)
        if (strcmp(v[i]->key, v[i - 1]->key) == 0)
            st = nnq_error(NNQ_STATUS_INVALID_FORMAT, "'%s': duplicate member '%s'", z->src.name,
                           v[i]->key);
    nnq_free(v);
    return st;
}

static nnq_status read_directory(nnq_npz *z) {
    const char *nm = z->src.name;
    eocd e = {0, 0, 0, 0};
    NNQ_TRY(find_eocd(&z->src, &e));
    if (e.entries == 0xffff || e.cd_size == U32_MAX_ || e.cd_off == U32_MAX_)
        NNQ_TRY(read_eocd64(&z->src, &e));
    if (e.entries > z->lim.max_members)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "'%s' has %llu members, over the limit of %llu",
                         nm, (unsigned long long)e.entries, (unsigned long long)z->lim.max_members);
    if (e.cd_off > e.end || e.cd_size != e.end - e.cd_off || e.cd_size / CENTRAL_LEN < e.entries)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "'%s': central directory (%llu entries, %llu bytes at %llu) is "
                         "inconsistent with the file",
                         nm, (unsigned long long)e.entries, (unsigned long long)e.cd_size,
                         (unsigned long long)e.cd_off);
    unsigned char *cd = nnq_malloc(e.cd_size ? (size_t)e.cd_size : 1);
    z->m = nnq_calloc(e.entries ? (size_t)e.entries : 1, sizeof *z->m);
    nnq_status st =
        cd && z->m ? NNQ_STATUS_OK : nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "'%s': out of memory", nm);
    if (!st) st = io_src_pread(&z->src, e.cd_off, cd, (size_t)e.cd_size, "the central directory");
    size_t pos = 0, used = 0;
    uint64_t total = 0;
    while (!st && z->n < e.entries) {
        npz_member *m = &z->m[z->n++];
        st = parse_central(z, cd + pos, (size_t)e.cd_size - pos, &used, m);
        pos += used;
        if (!st) st = check_limits(z, m, &total);
        if (!st) st = check_local(z, m, e.cd_off);
    }
    if (!st && pos != e.cd_size)
        st = nnq_error(NNQ_STATUS_INVALID_FORMAT,
                       "'%s': %llu stray bytes at the end of the central directory", nm,
                       (unsigned long long)(e.cd_size - pos));
    nnq_free(cd);
    if (!st) st = check_members(z);
    return st;
}

static void fill_limits(nnq_npz_limits *l, const nnq_npz_limits *in) {
    nnq_npz_limits d = {65536, 16ull << 30, 64ull << 30, 1100};
    if (in) {
        if (in->max_members) d.max_members = in->max_members;
        if (in->max_member_size) d.max_member_size = in->max_member_size;
        if (in->max_total_size) d.max_total_size = in->max_total_size;
        if (in->max_ratio) d.max_ratio = in->max_ratio;
    }
    *l = d;
}

static nnq_status npz_open_src(nnq_npz *z, const nnq_npz_limits *limits, nnq_npz **out) {
    fill_limits(&z->lim, limits);
    nnq_status st = read_directory(z);
    if (st) {
        nnq_npz_close(z);
        return st;
    }
    *out = z;
    return NNQ_STATUS_OK;
}

nnq_status nnq_npz_open(const char *path, const nnq_npz_limits *limits, nnq_npz **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_open: out is NULL");
    *out = NULL;
    nnq_npz *z = nnq_calloc(1, sizeof *z);
    if (!z) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "npz_open: out of memory");
    nnq_status st = io_src_open_file(&z->src, path);
    if (st) {
        nnq_free(z);
        return st;
    }
    return npz_open_src(z, limits, out);
}

nnq_status nnq_npz_open_memory(const void *data, size_t size, const char *name,
                               const nnq_npz_limits *limits, nnq_npz **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_open_memory: out is NULL");
    *out = NULL;
    nnq_npz *z = nnq_calloc(1, sizeof *z);
    if (!z) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "npz_open_memory: out of memory");
    nnq_status st = io_src_open_memory(&z->src, data, size, name);
    if (st) {
        nnq_free(z);
        return st;
    }
    return npz_open_src(z, limits, out);
}

void nnq_npz_close(nnq_npz *z) {
    if (!z) return;
    for (size_t i = 0; i < z->n; i++) {
        nnq_free(z->m[i].name);
        nnq_free(z->m[i].key);
        nnq_free(z->m[i].label);
    }
    nnq_free(z->m);
    io_src_close(&z->src);
    nnq_free(z);
}

size_t nnq_npz_count(const nnq_npz *z) { return z ? z->n : 0; }

const char *nnq_npz_name(const nnq_npz *z, size_t i) { return z && i < z->n ? z->m[i].key : NULL; }

static nnq_status find_member(nnq_npz *z, const char *name, npz_member **out) {
    if (!z || !name) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz: archive or name is NULL");
    for (size_t i = 0; i < z->n; i++) {
        if (strcmp(z->m[i].key, name) == 0 || strcmp(z->m[i].name, name) == 0) {
            *out = &z->m[i];
            return NNQ_STATUS_OK;
        }
    }
    return nnq_error(NNQ_STATUS_NOT_FOUND, "'%s' has no member '%s'", z->src.name, name);
}

nnq_status npz_member_stream(nnq_npz *z, const char *name, io_stream *s) {
    npz_member *m = NULL;
    NNQ_TRY(find_member(z, name, &m));
    NNQ_TRY(io_stream_init(s, &z->src, m->label, m->data_off, m->csize,
                           m->method == 8 ? IO_CODEC_DEFLATE : IO_CODEC_NONE, m->usize));
    io_stream_set_crc(s, m->crc);
    return NNQ_STATUS_OK;
}

nnq_status nnq_npz_member_info(nnq_npz *z, const char *name, nnq_npy_info *info) {
    if (!info) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_member_info: info is NULL");
    io_stream s;
    NNQ_TRY(npz_member_stream(z, name, &s));
    nnq_status st = npy_read_header(&s, info);
    io_stream_release(&s);
    return st;
}

nnq_status nnq_npz_read(nnq_npz *z, const char *name, nnq_tensor **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_read: out is NULL");
    *out = NULL;
    io_stream s;
    nnq_npy_info info;
    NNQ_TRY(npz_member_stream(z, name, &s));
    nnq_status st = npy_read_header(&s, &info);
    if (!st) st = npy_check_data_size(&s, &info, s.limit - s.pos);
    if (!st) st = npy_read_body(&s, &info, out);
    io_stream_release(&s);
    return st;
}

/* ---- writer ---- */

typedef struct wmember {
    char *name; /* "<key>.npy" */
    uint32_t crc, csize, usize, off;
    uint16_t method, flags;
} wmember;

struct nnq_npz_writer {
    nnq_outfile *f;
    int mode;
    uint64_t off;
    wmember *m;
    size_t n, cap;
    nnq_status failed;
};

nnq_status nnq_npz_writer_create(const char *path, int mode, const char *const *inputs,
                                 size_t n_inputs, nnq_npz_writer **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_writer: out is NULL");
    *out = NULL;
    if (mode != NNQ_NPZ_STORED && mode != NNQ_NPZ_DEFLATE)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "npz_writer: mode %d is neither NNQ_NPZ_STORED nor NNQ_NPZ_DEFLATE", mode);
    nnq_npz_writer *w = nnq_calloc(1, sizeof *w);
    if (!w) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "npz_writer: out of memory");
    nnq_status st = nnq_outfile_open(path, inputs, n_inputs, &w->f);
    if (st) {
        nnq_free(w);
        return st;
    }
    w->mode = mode;
    *out = w;
    return NNQ_STATUS_OK;
}

void nnq_npz_writer_abort(nnq_npz_writer *w) {
    if (!w) return;
    nnq_outfile_abort(w->f);
    for (size_t i = 0; i < w->n; i++) nnq_free(w->m[i].name);
    nnq_free(w->m);
    nnq_free(w);
}

static uint32_t crc_update(uint32_t crc, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k;
        n -= k;
    }
    return crc;
}

/* Deflate header + data into a new buffer (numpy.savez_compressed uses
 * zlib's default level, raw deflate). */
static nnq_status deflate_member(const char *nm, const unsigned char *hdr, size_t hlen,
                                 const void *data, size_t nbytes, unsigned char **out,
                                 size_t *olen) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "npz_writer: '%s': cannot start deflate", nm);
    uLong bound = deflateBound(&z, (uLong)(hlen + nbytes));
    unsigned char *buf = bound < U32_MAX_ ? nnq_malloc(bound) : NULL;
    if (!buf) {
        deflateEnd(&z);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "npz_writer: '%s': out of memory", nm);
    }
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    z.next_in = (Bytef *)(uintptr_t)hdr;
    z.avail_in = (uInt)hlen;
    int rc = deflate(&z, Z_NO_FLUSH);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)nbytes;
    if (rc == Z_OK) rc = deflate(&z, Z_FINISH);
    *olen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        nnq_free(buf);
        return nnq_error(NNQ_STATUS_INTERNAL, "npz_writer: '%s': deflate failed (%d)", nm, rc);
    }
    *out = buf;
    return NNQ_STATUS_OK;
}

static nnq_status write_local(nnq_npz_writer *w, const wmember *m) {
    unsigned char h[LOCAL_LEN];
    size_t nlen = strlen(m->name);
    io_put32(h, SIG_LOCAL);
    io_put16(h + 4, 20);
    io_put16(h + 6, m->flags);
    io_put16(h + 8, m->method);
    io_put16(h + 10, 0);
    io_put16(h + 12, DOS_DATE_1980);
    io_put32(h + 14, m->crc);
    io_put32(h + 18, m->csize);
    io_put32(h + 22, m->usize);
    io_put16(h + 26, (uint32_t)nlen);
    io_put16(h + 28, 0);
    NNQ_TRY(nnq_outfile_write(w->f, h, sizeof h));
    return nnq_outfile_write(w->f, m->name, nlen);
}

static nnq_status check_new_name(const nnq_npz_writer *w, const char *name) {
    if (!name || !*name)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_writer: empty member name");
    if (strlen(name) > 65535 - 4)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "npz_writer: member name of %zu bytes is too long", strlen(name));
    size_t n = strlen(name);
    for (size_t i = 0; i < w->n; i++)
        if (strlen(w->m[i].name) == n + 4 && memcmp(w->m[i].name, name, n) == 0)
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_writer: duplicate member '%s'",
                             name);
    return NNQ_STATUS_OK;
}

static nnq_status writer_add(nnq_npz_writer *w, const char *name, const nnq_tensor *t) {
    NNQ_TRY(check_new_name(w, name));
    if (!t || (t->nbytes && !t->data))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_writer: member '%s' has no tensor data",
                         name);
    unsigned char hdr[NPY_HEADER_CAP];
    size_t hlen;
    char what[96];
    snprintf(what, sizeof what, "npz_writer: member '%.60s'", name);
    NNQ_TRY(npy_encode_header(t, what, hdr, sizeof hdr, &hlen));
    /* Every offset and size must stay below 2^32 - 1 (no ZIP64 output). */
    uint64_t room = U32_MAX_ - w->off, fixed = LOCAL_LEN + strlen(name) + 4 + hlen;
    if (t->nbytes >= U32_MAX_ || fixed + t->nbytes >= room)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "%s: %zu bytes would pass 4 GiB; ZIP64 output is not supported", what,
                         t->nbytes);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        wmember *m = nnq_realloc(w->m, cap * sizeof *m);
        if (!m) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "npz_writer: out of memory");
        w->m = m;
        w->cap = cap;
    }
    wmember *m = &w->m[w->n];
    memset(m, 0, sizeof *m);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p >= 0x80) m->flags = 1u << 11; /* name is UTF-8 */
    m->usize = (uint32_t)(hlen + t->nbytes);
    m->crc = crc_update(crc_update((uint32_t)crc32(0L, Z_NULL, 0), hdr, hlen), t->data, t->nbytes);
    m->off = (uint32_t)w->off;
    m->csize = m->usize;
    unsigned char *packed = NULL;
    size_t plen = 0;
    if (w->mode == NNQ_NPZ_DEFLATE) {
        NNQ_TRY(deflate_member(what, hdr, hlen, t->data, t->nbytes, &packed, &plen));
        m->method = 8;
        m->csize = (uint32_t)plen;
        if (fixed - hlen + plen >= room) {
            nnq_free(packed);
            return nnq_error(NNQ_STATUS_UNSUPPORTED,
                             "%s: archive would pass 4 GiB; ZIP64 output is not supported", what);
        }
    }
    m->name = member_str(name, strlen(name), ".npy", 4);
    if (!m->name) {
        nnq_free(packed);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "npz_writer: out of memory");
    }
    w->n++;
    /* From here on bytes reach the file: a failure spoils the archive. */
    nnq_status st = write_local(w, m);
    if (!st && packed) st = nnq_outfile_write(w->f, packed, plen);
    if (!st && !packed) st = nnq_outfile_write(w->f, hdr, hlen);
    if (!st && !packed) st = nnq_outfile_write(w->f, t->data, t->nbytes);
    nnq_free(packed);
    w->off += LOCAL_LEN + strlen(m->name) + m->csize;
    if (st) w->failed = st;
    return st;
}

nnq_status nnq_npz_writer_add(nnq_npz_writer *w, const char *name, const nnq_tensor *t) {
    if (!w) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_writer_add: writer is NULL");
    if (w->failed)
        return nnq_error(NNQ_STATUS_INVALID_STATE, "npz_writer_add: an earlier add failed (%s)",
                         nnq_status_name(w->failed));
    return writer_add(w, name, t);
}

static nnq_status write_central(nnq_npz_writer *w) {
    if (w->n > 0xfffe)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "npz_writer: %zu members need ZIP64 (not supported)", w->n);
    uint64_t cd_size = 0;
    for (size_t i = 0; i < w->n; i++) {
        const wmember *m = &w->m[i];
        unsigned char h[CENTRAL_LEN];
        size_t nlen = strlen(m->name);
        memset(h, 0, sizeof h);
        io_put32(h, SIG_CENTRAL);
        io_put16(h + 4, 20);
        io_put16(h + 6, 20);
        io_put16(h + 8, m->flags);
        io_put16(h + 10, m->method);
        io_put16(h + 14, DOS_DATE_1980);
        io_put32(h + 16, m->crc);
        io_put32(h + 20, m->csize);
        io_put32(h + 24, m->usize);
        io_put16(h + 28, (uint32_t)nlen);
        io_put32(h + 42, m->off);
        NNQ_TRY(nnq_outfile_write(w->f, h, sizeof h));
        NNQ_TRY(nnq_outfile_write(w->f, m->name, nlen));
        cd_size += sizeof h + nlen;
    }
    if (w->off + cd_size >= U32_MAX_)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "npz_writer: archive would pass 4 GiB; ZIP64 output is not supported");
    unsigned char e[EOCD_LEN];
    memset(e, 0, sizeof e);
    io_put32(e, SIG_EOCD);
    io_put16(e + 8, (uint32_t)w->n);
    io_put16(e + 10, (uint32_t)w->n);
    io_put32(e + 12, (uint32_t)cd_size);
    io_put32(e + 16, (uint32_t)w->off);
    return nnq_outfile_write(w->f, e, sizeof e);
}

nnq_status nnq_npz_writer_commit(nnq_npz_writer *w) {
    if (!w) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "npz_writer_commit: writer is NULL");
    nnq_status st = w->failed ? nnq_error(NNQ_STATUS_INVALID_STATE,
                                          "npz_writer_commit: an earlier add failed (%s)",
                                          nnq_status_name(w->failed))
                              : write_central(w);
    if (!st) {
        st = nnq_outfile_commit(w->f);
        w->f = NULL;
    }
    nnq_npz_writer_abort(w);
    return st;
}
