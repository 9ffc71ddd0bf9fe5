/*
 * calib_io.c - calibrator state files.
 *
 * Layout (little-endian, version 1): "NNQCALIB" magic, u32 version, the
 * config fields, u64 channels, u64 batches, the kind's per-channel arrays,
 * for histograms per channel u64 nbins, u64 n_edges, u64 zeros_pending,
 * counts, edges; for track_amax the history rows; then a u64 FNV-1a hash of
 * everything before it.  The format assumes a little-endian host.
 */
#include "calib/calib_impl.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define CALIB_MAGIC "NNQCALIB"
#define CALIB_VERSION 1u
#define CALIB_FILE_MAX ((size_t)1 << 34)

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} wbuf;

static void put(wbuf *b, const void *d, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = NNQ_MAX(b->cap * 2, b->n + n + 256);
        uint8_t *q = nnq_realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

#define PUT(b, v)                                                                                  \
    do {                                                                                           \
        __typeof__(v) t_ = (v);                                                                    \
        put((b), &t_, sizeof t_);                                                                  \
    } while (0)

static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void put_config(wbuf *b, const nnq_calib_config *c) {
    PUT(b, (uint32_t)c->kind);
    PUT(b, (uint8_t)c->per_axis);
    PUT(b, (int32_t)c->axis);
    PUT(b, (int32_t)c->num_bits);
    PUT(b, (uint8_t)c->is_unsigned);
    PUT(b, (uint8_t)c->track_amax);
    PUT(b, (uint8_t)c->skip_zeros);
    PUT(b, (int32_t)c->num_bins);
    PUT(b, (uint64_t)c->max_bins);
    PUT(b, c->averaging_constant);
    PUT(b, c->momentum);
    PUT(b, c->percentile);
    PUT(b, (int32_t)c->mse_grid);
}

nnq_status nnq_calib_save(const nnq_calib *c, const char *path) {
    if (!c || !path) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib save: NULL argument");
    wbuf b = {0};
    put(&b, CALIB_MAGIC, 8);
    PUT(&b, (uint32_t)CALIB_VERSION);
    put_config(&b, &c->cfg);
    const size_t n = c->channels;
    PUT(&b, (uint64_t)n);
    PUT(&b, (uint64_t)c->batches);
    if (c->vmin) put(&b, c->vmin, n * 4), put(&b, c->vmax, n * 4);
    if (c->amax) put(&b, c->amax, n * 4);
    if (c->sum) put(&b, c->sum, n * 8);
    if (c->sum2) put(&b, c->sum2, n * 8), put(&b, c->count, n * 8);
    for (size_t i = 0; c->hist && i < n; i++) {
        const calib_hist *h = &c->hist[i];
        PUT(&b, (uint64_t)h->nbins);
        PUT(&b, (uint64_t)h->n_edges);
        PUT(&b, (uint64_t)h->zeros_pending);
        put(&b, h->counts, h->nbins * 8);
        put(&b, h->edges, h->n_edges * 4);
    }
    if (c->history && n) put(&b, c->history, (size_t)c->batches * n * 4);
    if (!b.oom) PUT(&b, fnv1a(b.p, b.n));
    if (b.oom) {
        nnq_free(b.p);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib save: '%s'", path);
    }
    nnq_status s = nnq_write_file_atomic(path, b.p, b.n, NULL, 0);
    nnq_free(b.p);
    return s;
}

/* ---- load ---- */

typedef struct rbuf {
    const uint8_t *p;
    size_t n, at;
    const char *path;
} rbuf;

static nnq_status get(rbuf *r, void *d, size_t n, const char *what) {
    if (n > r->n - r->at)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "calib load: '%s' is truncated at byte %zu reading %s", r->path, r->at,
                         what);
    memcpy(d, r->p + r->at, n);
    r->at += n;
    return NNQ_STATUS_OK;
}

static nnq_status bad(const rbuf *r, const char *what) {
    return nnq_error(NNQ_STATUS_INVALID_FORMAT, "calib load: '%s': %s", r->path, what);
}

static nnq_status get_config(rbuf *r, nnq_calib_config *c) {
    uint32_t kind = 0;
    uint8_t pa = 0, us = 0, tr = 0, sz = 0;
    int32_t axis = 0, bits = 0, nb = 0, grid = 0;
    uint64_t maxb = 0;
    NNQ_TRY(get(r, &kind, 4, "kind"));
    NNQ_TRY(get(r, &pa, 1, "per_axis"));
    NNQ_TRY(get(r, &axis, 4, "axis"));
    NNQ_TRY(get(r, &bits, 4, "num_bits"));
    NNQ_TRY(get(r, &us, 1, "unsigned"));
    NNQ_TRY(get(r, &tr, 1, "track_amax"));
    NNQ_TRY(get(r, &sz, 1, "skip_zeros"));
    NNQ_TRY(get(r, &nb, 4, "num_bins"));
    NNQ_TRY(get(r, &maxb, 8, "max_bins"));
    NNQ_TRY(get(r, &c->averaging_constant, 4, "averaging_constant"));
    NNQ_TRY(get(r, &c->momentum, 4, "momentum"));
    NNQ_TRY(get(r, &c->percentile, 8, "percentile"));
    NNQ_TRY(get(r, &grid, 4, "mse_grid"));
    if (pa > 1 || us > 1 || tr > 1 || sz > 1) return bad(r, "a flag byte is not 0 or 1");
    if (bits == 0 || nb == 0 || maxb == 0 || grid == 0 || c->averaging_constant == 0.0f ||
        c->momentum == 0.0f || c->percentile == 0.0)
        return bad(r, "a configuration field is 0 (defaults are stored filled in)");
    c->kind = (nnq_calib_kind)kind;
    c->per_axis = pa, c->axis = axis, c->num_bits = bits, c->is_unsigned = us;
    c->track_amax = tr, c->skip_zeros = sz, c->num_bins = nb, c->max_bins = (size_t)maxb;
    c->mse_grid = grid;
    return NNQ_STATUS_OK;
}

static nnq_status get_floats(rbuf *r, float *d, size_t n, bool nonneg, const char *what) {
    NNQ_TRY(get(r, d, n * 4, what));
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d[i]) || (nonneg && d[i] < 0.0f))
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "calib load: '%s': %s[%zu] = %g is not a finite%s value", r->path,
                             what, i, (double)d[i], nonneg ? " non-negative" : "");
    return NNQ_STATUS_OK;
}

static nnq_status get_hist(rbuf *r, calib_hist *h, const nnq_calib_config *cfg) {
    uint64_t nb = 0, ne = 0, zp = 0;
    NNQ_TRY(get(r, &nb, 8, "nbins"));
    NNQ_TRY(get(r, &ne, 8, "n_edges"));
    NNQ_TRY(get(r, &zp, 8, "zeros_pending"));
    if (nb == 0 && ne == 0) {
        h->zeros_pending = zp;
        return NNQ_STATUS_OK;
    }
    if (nb < 2 || nb > cfg->max_bins || ne < nb + 1 || ne > nb + 2 || zp != 0)
        return bad(r, "histogram sizes break nbins in [2, max_bins], n_edges in [nbins + 1, "
                      "nbins + 2]");
    if (ne * 4 + nb * 8 > r->n - r->at) return bad(r, "histogram arrays are truncated");
    NNQ_TRY(calib_hist_alloc(h, (size_t)nb, (size_t)ne));
    NNQ_TRY(get(r, h->counts, nb * 8, "counts"));
    uint64_t total;
    if (!calib_hist_sum(h->counts, nb, &total)) return bad(r, "histogram counts sum past 2^64");
    calib_hist_refresh(h);
    NNQ_TRY(get_floats(r, h->edges, ne, true, "edges"));
    if (h->edges[0] != 0.0f || !(h->edges[1] > 0.0f)) return bad(r, "histogram edges must start 0, then > 0");
    for (size_t k = 1; k < ne; k++)
        if (!(h->edges[k] > h->edges[k - 1])) return bad(r, "histogram edges are not increasing");
    return NNQ_STATUS_OK;
}

static nnq_status load_state(rbuf *r, nnq_calib *c) {
    uint64_t n = 0, batches = 0;
    NNQ_TRY(get(r, &n, 8, "channels"));
    NNQ_TRY(get(r, &batches, 8, "batches"));
    if ((n == 0) != (batches == 0)) return bad(r, "channels and batches disagree on emptiness");
    if (n > (r->n - r->at)) return bad(r, "channel count exceeds the file size");
    if (n == 0) return NNQ_STATUS_OK;
    NNQ_TRY(calib_alloc_channels(c, (size_t)n));
    c->batches = batches;
    if (c->vmin) {
        NNQ_TRY(get_floats(r, c->vmin, n, false, "min"));
        NNQ_TRY(get_floats(r, c->vmax, n, false, "max"));
        for (size_t i = 0; i < n; i++)
            if (c->vmin[i] > c->vmax[i]) return bad(r, "a channel has min > max");
    }
    if (c->amax) NNQ_TRY(get_floats(r, c->amax, n, true, "amax"));
    if (c->sum) {
        NNQ_TRY(get(r, c->sum, n * 8, "sums"));
        for (size_t i = 0; i < n; i++)
            if (!isfinite(c->sum[i])) return bad(r, "a sum is not finite");
    }
    if (c->sum2) {
        NNQ_TRY(get(r, c->sum2, n * 8, "squares"));
        NNQ_TRY(get(r, c->count, n * 8, "counts"));
        for (size_t i = 0; i < n; i++)
            if (!isfinite(c->sum2[i]) || c->count[i] == 0) return bad(r, "an LSQ sum is invalid");
    }
    for (size_t i = 0; c->hist && i < n; i++) NNQ_TRY(get_hist(r, &c->hist[i], &c->cfg));
    if (c->cfg.kind == NNQ_CALIB_KIND_MAX && c->cfg.track_amax) {
        size_t rows = (size_t)batches, bytes;
        if (!nnq_size_mul(rows, n * 4, &bytes) || bytes > r->n - r->at)
            return bad(r, "amax history is truncated");
        c->history = nnq_malloc(bytes ? bytes : 1);
        if (!c->history) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib load: history");
        c->history_cap = rows;
        NNQ_TRY(get_floats(r, c->history, rows * n, true, "history"));
    }
    return NNQ_STATUS_OK;
}

static nnq_status read_all(const char *path, uint8_t **data, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return nnq_error(errno == ENOENT ? NNQ_STATUS_NOT_FOUND : NNQ_STATUS_IO_ERROR,
                         "calib load: cannot open '%s': %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    uint8_t *p = nnq_malloc(cap);
    nnq_status s = NNQ_STATUS_OK;
    while (p) {
        if (n == cap) {
            if (cap >= CALIB_FILE_MAX) {
                s = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "calib load: '%s' exceeds %zu bytes", path,
                              CALIB_FILE_MAX);
                break;
            }
            uint8_t *q = nnq_realloc(p, cap * 2);
            if (!q) break;
            p = q, cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) s = nnq_error(NNQ_STATUS_IO_ERROR, "calib load: reading '%s' failed", path);
            break;
        }
    }
    fclose(f);
    if (!p) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib load: '%s'", path);
    if (s != NNQ_STATUS_OK) {
        nnq_free(p);
        return s;
    }
    *data = p;
    *size = n;
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_load(const char *path, nnq_calib **out) {
    if (!path || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib load: NULL argument");
    uint8_t *data = NULL;
    size_t size = 0;
    NNQ_TRY(read_all(path, &data, &size));
    rbuf r = {data, size, 0, path};
    nnq_calib *c = NULL;
    nnq_status s = NNQ_STATUS_OK;
    char magic[8];
    uint32_t version;
    uint64_t hash;
    nnq_calib_config cfg = {0};
    if (size < 8 + 4 + 8 || memcmp(data, CALIB_MAGIC, 8) != 0) {
        s = bad(&r, "not an nnq calibration file (bad magic)");
        goto done;
    }
    memcpy(&hash, data + size - 8, 8);
    if (fnv1a(data, size - 8) != hash) {
        s = bad(&r, "checksum mismatch (file corrupted or truncated)");
        goto done;
    }
    r.n = size - 8;
    if ((s = get(&r, magic, 8, "magic")) || (s = get(&r, &version, 4, "version"))) goto done;
    if (version != CALIB_VERSION) {
        s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "calib load: '%s' has version %u, expected %u",
                      path, version, CALIB_VERSION);
        goto done;
    }
    if ((s = get_config(&r, &cfg))) goto done;
    if ((s = nnq_calib_create(&cfg, &c))) {
        s = nnq_error_prefix(NNQ_STATUS_INVALID_FORMAT, "calib load: '%s': ", path);
        goto done;
    }
    if ((s = load_state(&r, c))) goto done;
    if (r.at != r.n) s = bad(&r, "trailing bytes after the state");
done:
    nnq_free(data);
    if (s != NNQ_STATUS_OK) {
        nnq_calib_free(c);
        return s;
    }
    *out = c;
    return NNQ_STATUS_OK;
}
