/*
 * compress.c - nnq_compress_tensor: validation, pruning, palettization of
 * the surviving values, the compressed object, decompression and stats.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compress/kmeans1d.h"
#include "compress/palette.h"
#include "compress/prune.h"

/* Elements per tile of the element-wise passes; fixed so per-tile partial
 * sums, combined in tile order, do not depend on the thread count. */
#define ELEM_TILE 16384

struct nnq_compressed {
    nnq_compressed_parts p;
    nnq_compress_stats stats;
    /* owned buffers behind the const pointers of p */
    uint8_t *mask, *codes;
    float *values, *lut_f32, *lut_scales, *scales;
    int32_t *zero_points;
    void *lut;
};

static const char *const palette_mode_names[] = {"kmeans", "uniform", "unique"};
static const char *const lut_dtype_names[] = {"fp32", "fp16", "int8"};
static const char *const prune_mode_names[] = {"none", "threshold", "magnitude", "n_m", "block"};
static const char *const linear_mode_names[] = {"linear", "linear_symmetric"};

const char *nnq_palette_mode_name(nnq_palette_mode m) {
    return (unsigned)m < NNQ_PALETTE_MODE_COUNT_ ? palette_mode_names[m] : "unknown";
}
const char *nnq_lut_dtype_name(nnq_lut_dtype t) {
    return (unsigned)t < NNQ_LUT_DTYPE_COUNT_ ? lut_dtype_names[t] : "unknown";
}
const char *nnq_prune_mode_name(nnq_prune_mode m) {
    return (unsigned)m < NNQ_PRUNE_MODE_COUNT_ ? prune_mode_names[m] : "unknown";
}
const char *nnq_linear_mode_name(nnq_linear_mode m) {
    return (unsigned)m < NNQ_LINEAR_MODE_COUNT_ ? linear_mode_names[m] : "unknown";
}

/* ---- validation ---------------------------------------------------------- */

static nnq_status check_shape(const char *name, int ndim, const int64_t *dims, size_t *numel,
                              nnq_prune_view *v) {
    char buf[160];
    if (ndim < 1 || ndim > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "compress: tensor '%s' has ndim %d, outside [1, %d]", name, ndim,
                         NNQ_MAX_DIMS);
    for (int d = 0; d < ndim; d++)
        if (dims[d] < 0)
            return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                             "compress: tensor '%s' shape %s has negative dim %d", name,
                             nnq_shape_str(ndim, dims, buf, sizeof buf), d);
    if (!nnq_size_product(dims, (size_t)ndim, numel))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW,
                         "compress: tensor '%s' shape %s overflows size_t", name,
                         nnq_shape_str(ndim, dims, buf, sizeof buf));
    if (*numel == 0)
        return nnq_error(NNQ_STATUS_EMPTY, "compress: tensor '%s' shape %s has no elements", name,
                         nnq_shape_str(ndim, dims, buf, sizeof buf));
    v->rows = (size_t)dims[0];
    v->cin = ndim >= 2 ? (size_t)dims[1] : 1;
    v->inner = *numel / (v->rows * v->cin);
    return NNQ_STATUS_OK;
}

static nnq_status check_axis_multiple(const char *name, int ndim, size_t cin, int size,
                                      const char *mode, const char *what) {
    if (ndim < 2)
        return nnq_error(
            NNQ_STATUS_SHAPE_MISMATCH,
            "prune: tensor '%s' has ndim 1; %s pruning needs an input axis (ndim >= 2)", name,
            mode);
    if (cin % (size_t)size != 0)
        return nnq_error(
            NNQ_STATUS_BLOCK_MISMATCH,
            "prune: tensor '%s' input axis 1 has %zu elements, not a multiple of %s %d", name, cin,
            what, size);
    return NNQ_STATUS_OK;
}

static nnq_status check_prune(const char *name, int ndim, const nnq_prune_view *v,
                              const nnq_compress_config *cfg) {
    switch (cfg->prune_mode) {
    case NNQ_PRUNE_MODE_NONE: return NNQ_STATUS_OK;
    case NNQ_PRUNE_MODE_THRESHOLD:
        if (!(isfinite(cfg->threshold) && cfg->threshold >= 0.0f))
            return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                             "prune: tensor '%s' threshold %g must be finite and >= 0", name,
                             (double)cfg->threshold);
        return NNQ_STATUS_OK;
    case NNQ_PRUNE_MODE_MAGNITUDE:
    case NNQ_PRUNE_MODE_BLOCK:
        if (!(cfg->sparsity >= 0.0f && cfg->sparsity < 1.0f))
            return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                             "prune: tensor '%s' target sparsity %g outside [0, 1)", name,
                             (double)cfg->sparsity);
        if (cfg->prune_mode == NNQ_PRUNE_MODE_MAGNITUDE) return NNQ_STATUS_OK;
        if (cfg->block_size < 1)
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                             "prune: tensor '%s' block_size %d must be >= 1", name,
                             cfg->block_size);
        return check_axis_multiple(name, ndim, v->cin, cfg->block_size, "block", "block_size");
    case NNQ_PRUNE_MODE_N_M:
        if (!(cfg->n >= 1 && cfg->n < cfg->m))
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                             "prune: tensor '%s' n:m %d:%d needs 1 <= n < m", name, cfg->n, cfg->m);
        return check_axis_multiple(name, ndim, v->cin, cfg->m, "n:m", "m");
    default:
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "prune: tensor '%s' has unknown prune mode %d", name,
                         (int)cfg->prune_mode);
    }
}

static nnq_status check_groups(const char *name, size_t rows, const nnq_compress_config *cfg) {
    if (cfg->group_size < 0)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "compress: tensor '%s' group_size %d must be >= 0 (0: one group)", name,
                         cfg->group_size);
    if (cfg->group_size > 0 && rows % (size_t)cfg->group_size != 0)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH,
                         "compress: tensor '%s' has %zu output channels, not a multiple of "
                         "group_size %d",
                         name, rows, cfg->group_size);
    return NNQ_STATUS_OK;
}

static nnq_status check_linear(const char *name, const nnq_compress_config *cfg) {
    if (cfg->linear_bits < 2 || cfg->linear_bits > 8)
        return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE,
                         "quantize: tensor '%s' linear_bits %d outside [2, 8]", name,
                         cfg->linear_bits);
    if ((unsigned)cfg->linear_mode >= NNQ_LINEAR_MODE_COUNT_)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "quantize: tensor '%s' has unknown linear mode %d", name,
                         (int)cfg->linear_mode);
    return NNQ_STATUS_OK;
}

static nnq_status check_palette(const char *name, const nnq_compress_config *cfg) {
    int b = cfg->palette_bits;
    if (!(b == 1 || b == 2 || b == 3 || b == 4 || b == 6 || b == 8))
        return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE,
                         "palettize: tensor '%s' palette_bits %d not one of 1, 2, 3, 4, 6, 8", name,
                         b);
    if ((unsigned)cfg->palette_mode >= NNQ_PALETTE_MODE_COUNT_)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "palettize: tensor '%s' has unknown palette mode %d", name,
                         (int)cfg->palette_mode);
    if ((unsigned)cfg->lut_dtype >= NNQ_LUT_DTYPE_COUNT_)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "palettize: tensor '%s' has unknown lut dtype %d", name,
                         (int)cfg->lut_dtype);
    if (cfg->max_iter < 0)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "palettize: tensor '%s' max_iter %d must be >= 0 (0: default 300)", name,
                         cfg->max_iter);
    if (!(cfg->tol >= 0.0 && isfinite(cfg->tol)))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "palettize: tensor '%s' tol %g must be finite and >= 0", name, cfg->tol);
    return NNQ_STATUS_OK;
}

static nnq_status check_coding(const char *name, size_t rows, const nnq_compress_config *cfg) {
    if (cfg->palette_bits != 0 && cfg->linear_bits != 0)
        return nnq_error(
            NNQ_STATUS_INVALID_ARGUMENT,
            "compress: tensor '%s' sets palette_bits %d and linear_bits %d; choose one "
            "coding",
            name, cfg->palette_bits, cfg->linear_bits);
    if (cfg->palette_bits == 0 && cfg->linear_bits == 0) return NNQ_STATUS_OK;
    NNQ_TRY(check_groups(name, rows, cfg));
    return cfg->palette_bits ? check_palette(name, cfg) : check_linear(name, cfg);
}

static nnq_status check_values(const char *name, const float *w, const float *imp, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                             "compress: tensor '%s' element %zu is %g; weights must be finite",
                             name, i, (double)w[i]);
    if (imp)
        for (size_t i = 0; i < n; i++)
            if (!(isfinite(imp[i]) && imp[i] >= 0.0f))
                return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                                 "palettize: tensor '%s' importance of element %zu is %g; it must "
                                 "be finite and >= 0",
                                 name, i, (double)imp[i]);
    return NNQ_STATUS_OK;
}

static nnq_status validate(const float *w, int ndim, const int64_t *dims,
                           const nnq_compress_config *cfg, size_t *numel, nnq_prune_view *v) {
    const char *name = cfg->name ? cfg->name : "weight";
    NNQ_TRY(check_shape(name, ndim, dims, numel, v));
    if (cfg->prune_mode == NNQ_PRUNE_MODE_NONE && cfg->palette_bits == 0 && cfg->linear_bits == 0)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "compress: tensor '%s': the config enables neither pruning, palettization "
                         "nor linear quantization",
                         name);
    NNQ_TRY(check_prune(name, ndim, v, cfg));
    NNQ_TRY(check_coding(name, v->rows, cfg));
    return check_values(name, w, cfg->palette_bits ? cfg->importance : NULL, *numel);
}

/* ---- the compressed object --------------------------------------------- */

void nnq_compressed_free(nnq_compressed *c) {
    if (!c) return;
    nnq_free(c->mask);
    nnq_free(c->codes);
    nnq_free(c->values);
    nnq_free(c->scales);
    nnq_free(c->zero_points);
    nnq_free(c->lut_f32);
    nnq_free(c->lut_scales);
    nnq_free(c->lut);
    nnq_free(c);
}

void nnq_compressed_stats(const nnq_compressed *c, nnq_compress_stats *out) { *out = c->stats; }

void nnq_compressed_parts_get(const nnq_compressed *c, nnq_compressed_parts *out) { *out = c->p; }

/* Mask bit of element i: element 0 is the most significant bit of byte 0
 * (coremltools: [0.3, 0, 0, 0.5, 0, 0] has mask bits 100100). */
static inline bool mask_bit(const uint8_t *mask, size_t i) {
    return (mask[i >> 3] >> (7 - (i & 7))) & 1u;
}

/* Stored: every element without pruning; else the kept non-zero ones (a
 * kept zero costs nothing to leave out of the sparse form). */
static inline bool is_stored(const float *w, const uint8_t *keep, size_t i) {
    return !keep || (keep[i] && w[i] != 0.0f);
}

/* ---- value coding: one table or one scale per group of channels -------- */

/* Per-group outcome; the message is copied because nnq_last_error() is per
 * thread and the group may have been coded on a worker. */
typedef struct group_state {
    nnq_status status;
    int iters;
    char msg[256];
} group_state;

typedef struct group_ctx {
    const float *w, *imp;
    const uint8_t *keep;
    const nnq_compress_config *cfg;
    const char *name;
    nnq_compressed *c;
    size_t elems_per_group;
    const size_t *group_base; /* stored elements before each group */
    float *thresholds;        /* palettization: n_groups * table_size */
    uint8_t *codes;           /* linear: the nnz codes, two's complement */
    group_state *state;
    nnq_pool *inner_pool; /* for work inside one group (a lone group only) */
} group_ctx;

static nnq_status palettize_group(const group_ctx *t, size_t g, float *x, float *wt, size_t n,
                                  int *iters) {
    nnq_compressed *c = t->c;
    size_t k = c->p.table_size;
    size_t cpg = c->p.channels_per_group;
    nnq_palette_job job = {.cfg = t->cfg, .name = t->name, .table = g, .first_channel = g * cpg,
                           .channels = cpg, .x = x, .w = wt, .n = n, .pool = t->inner_pool};
    nnq_palette_table out = {c->lut_f32 + g * k,
                             (char *)c->lut + g * k * nnq_lut_entry_size(c->p.lut_dtype),
                             c->lut_scales ? c->lut_scales + g : NULL, 0};
    NNQ_TRY(nnq_palette_build(&job, &out));
    nnq_km1d_thresholds(out.f32, k, t->thresholds + g * k);
    *iters = out.iters;
    return NNQ_STATUS_OK;
}

/* coremltools linear_quantize_weights on the group's stored values: scale
 * and zero point from their range by quant's rule, then quant's kernel. */
static nnq_status quantize_group(const group_ctx *t, size_t g, const float *x, size_t n) {
    nnq_compressed *c = t->c;
    const nnq_int_format fmt = {t->cfg->linear_bits, false, false};
    nnq_qparam_rule rule = t->cfg->linear_mode == NNQ_LINEAR_MODE_SYMMETRIC
                               ? NNQ_QPARAM_COREML_LINEAR_SYMMETRIC
                               : NNQ_QPARAM_COREML_LINEAR;
    float lo = 0.0f, hi = 0.0f;
    for (size_t i = 0; i < n; i++) {
        lo = i == 0 || x[i] < lo ? x[i] : lo;
        hi = i == 0 || x[i] > hi ? x[i] : hi;
    }
    NNQ_TRY(nnq_qparams_from_range(lo, hi, rule, &fmt, c->scales + g, c->zero_points + g));
    if (n == 0) return NNQ_STATUS_OK;
    int64_t dims[1] = {(int64_t)n};
    nnq_qlayout l;
    NNQ_TRY(nnq_qlayout_per_tensor(1, dims, &l));
    /* int8 codes land in the byte array: both are character-sized objects */
    return nnq_quantize_linear(x, &l, c->scales + g, c->zero_points + g, &fmt,
                               t->codes + t->group_base[g], NULL);
}

static nnq_status code_group(const group_ctx *t, size_t g, int *iters) {
    size_t begin = g * t->elems_per_group, end = begin + t->elems_per_group;
    size_t n = t->group_base[g + 1] - t->group_base[g];
    bool weighted = t->imp && t->cfg->palette_bits;
    /* n <= numel, whose fp32 copy the caller already holds: no overflow */
    float *x = nnq_malloc((n ? n : 1) * (weighted ? 2 : 1) * sizeof(float));
    if (!x) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: no memory for %zu values", n);
    float *wt = weighted ? x + n : NULL;
    for (size_t i = begin, m = 0; i < end; i++) {
        if (!is_stored(t->w, t->keep, i)) continue;
        x[m] = t->w[i];
        if (wt) wt[m] = t->imp[i];
        m++;
    }
    *iters = 0;
    nnq_status s =
        t->cfg->palette_bits ? palettize_group(t, g, x, wt, n, iters) : quantize_group(t, g, x, n);
    nnq_free(x);
    return s;
}

static void group_task(void *ctx, size_t g0, size_t ng) {
    const group_ctx *t = ctx;
    for (size_t g = g0; g < g0 + ng; g++) {
        group_state *st = &t->state[g];
        st->status = code_group(t, g, &st->iters);
        if (st->status != NNQ_STATUS_OK) snprintf(st->msg, sizeof st->msg, "%s", nnq_last_error());
    }
}

static nnq_status alloc_groups(nnq_compressed *c, const nnq_compress_config *cfg, size_t rows) {
    nnq_compressed_parts *p = &c->p;
    p->channels_per_group = cfg->group_size > 0 ? (size_t)cfg->group_size : rows;
    p->n_groups = rows / p->channels_per_group;
    if (cfg->linear_bits) {
        p->code_bits = p->linear_bits = cfg->linear_bits;
        p->linear_mode = cfg->linear_mode;
        c->scales = nnq_calloc(p->n_groups, sizeof(float));
        c->zero_points = nnq_calloc(p->n_groups, sizeof(int32_t));
        if (!c->scales || !c->zero_points)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "quantize: no memory for %zu scales",
                             p->n_groups);
        p->scales = c->scales;
        p->zero_points = c->zero_points;
        return NNQ_STATUS_OK;
    }
    size_t k = (size_t)1 << cfg->palette_bits;
    p->code_bits = p->palette_bits = cfg->palette_bits;
    p->table_size = k;
    p->lut_dtype = cfg->lut_dtype;
    /* n_groups * k <= rows * 256 entries: nnq_calloc checks the product */
    c->lut_f32 = nnq_calloc(p->n_groups * k, sizeof(float));
    c->lut = nnq_calloc(p->n_groups * k, nnq_lut_entry_size(cfg->lut_dtype));
    if (cfg->lut_dtype == NNQ_LUT_DTYPE_INT8)
        c->lut_scales = nnq_calloc(p->n_groups, sizeof(float));
    if (!c->lut_f32 || !c->lut || (cfg->lut_dtype == NNQ_LUT_DTYPE_INT8 && !c->lut_scales))
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "palettize: no memory for %zu tables of %zu",
                         p->n_groups, k);
    p->lut = c->lut;
    p->lut_f32 = c->lut_f32;
    p->lut_scales = c->lut_scales;
    return NNQ_STATUS_OK;
}

/* Stored elements before each group (n_groups + 1 entries). */
static void count_groups(const float *w, const uint8_t *keep, size_t per_group, size_t ng,
                         size_t *base) {
    base[0] = 0;
    for (size_t g = 0; g < ng; g++) {
        size_t n = 0;
        for (size_t i = g * per_group; i < (g + 1) * per_group; i++) n += is_stored(w, keep, i);
        base[g + 1] = base[g] + n;
    }
}

static nnq_status code_groups(group_ctx *t, nnq_pool *pool) {
    nnq_compressed *c = t->c;
    size_t ng = c->p.n_groups;
    t->state = nnq_calloc(ng, sizeof *t->state);
    if (!t->state)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: no memory for %zu group states", ng);
    /* One group gets the pool for its own sort; several share it by group
     * (a loop must not start another loop on the same pool). */
    if (ng == 1) {
        t->inner_pool = pool;
        group_task(t, 0, 1);
    } else {
        nnq_pool_parallelize_1d(pool, group_task, t, ng, 1);
    }
    nnq_status s = NNQ_STATUS_OK;
    for (size_t g = 0; g < ng && s == NNQ_STATUS_OK; g++) {
        if (t->state[g].status != NNQ_STATUS_OK)
            s = nnq_error(t->state[g].status, "%s", t->state[g].msg);
        if (t->state[g].iters > c->stats.kmeans_iterations)
            c->stats.kmeans_iterations = t->state[g].iters;
    }
    nnq_free(t->state);
    t->state = NULL;
    return s;
}

/* ---- element pass: mask, codes or values, error sums -------------------- */

typedef struct elem_ctx {
    const float *w;
    const uint8_t *keep; /* NULL without pruning */
    nnq_compressed *c;
    const float *thresholds; /* palettization */
    uint8_t *codes;          /* nnz unpacked codes (palette indices or linear q) */
    size_t elems_per_group;
    size_t *tile_base; /* per tile: stored count, then stored elements before it */
    double *tile_sse, *tile_energy;
} elem_ctx;

static void count_task(void *ctx, size_t start, size_t count) {
    const elem_ctx *e = ctx;
    size_t n = 0;
    for (size_t i = start; i < start + count; i++) n += is_stored(e->w, e->keep, i);
    e->tile_base[start / ELEM_TILE] = n;
}

/* The value element i decompresses to, writing its palette index. */
static inline float coded_value(const elem_ctx *e, size_t i, size_t pos) {
    const nnq_compressed_parts *p = &e->c->p;
    size_t g = i / e->elems_per_group;
    if (p->palette_bits) {
        size_t k = p->table_size;
        size_t j = nnq_km1d_lookup(e->thresholds + g * k, k, e->w[i]);
        e->codes[pos] = (uint8_t)j;
        return p->lut_f32[g * k + j];
    }
    if (p->linear_bits) {
        /* quant's dequantization: s * (q - z), exact integer difference */
        int32_t q = (int8_t)e->codes[pos];
        return p->scales[g] * (float)(q - p->zero_points[g]);
    }
    e->c->values[pos] = e->w[i];
    return e->w[i];
}

static void assign_task(void *ctx, size_t start, size_t count) {
    const elem_ctx *e = ctx;
    uint8_t *mask = e->c->mask;
    size_t pos = e->tile_base[start / ELEM_TILE];
    double sse = 0.0, energy = 0.0;
    for (size_t i = start; i < start + count; i++) {
        double x = (double)e->w[i], d = x;
        energy += x * x;
        if (is_stored(e->w, e->keep, i)) {
            /* ELEM_TILE is a multiple of 8: each tile owns whole mask bytes */
            if (mask) mask[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
            d = x - (double)coded_value(e, i, pos);
            pos++;
        }
        sse += d * d;
    }
    e->tile_sse[start / ELEM_TILE] = sse;
    e->tile_energy[start / ELEM_TILE] = energy;
}

/* Stored elements per tile, turned into each tile's first output position. */
static size_t tile_offsets(elem_ctx *e, nnq_pool *pool, size_t numel, size_t ntiles) {
    nnq_pool_parallelize_1d(pool, count_task, e, numel, ELEM_TILE);
    size_t total = 0;
    for (size_t t = 0; t < ntiles; t++) {
        size_t n = e->tile_base[t];
        e->tile_base[t] = total;
        total += n;
    }
    return total;
}

static nnq_status alloc_outputs(nnq_compressed *c, bool pruned, size_t nnz) {
    nnq_compressed_parts *p = &c->p;
    p->nnz = nnz;
    if (pruned) {
        p->mask_bytes = p->numel / 8 + (p->numel % 8 != 0);
        c->mask = nnq_calloc(p->mask_bytes, 1);
        if (!c->mask) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "prune: no memory for the mask");
        p->mask = c->mask;
    }
    if (p->code_bits) {
        if (!nnq_packed_size(nnz, p->code_bits, &p->codes_bytes))
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "compress: %zu codes overflow", nnz);
        c->codes = nnq_calloc(p->codes_bytes ? p->codes_bytes : 1, 1);
        if (!c->codes)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: no memory for %zu codes", nnz);
        p->codes = c->codes;
    } else {
        c->values = nnq_malloc((nnz ? nnz : 1) * sizeof(float));
        if (!c->values)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "prune: no memory for %zu values", nnz);
        p->values = c->values;
    }
    return NNQ_STATUS_OK;
}

static size_t coding_bytes(const nnq_compressed_parts *p) {
    if (p->palette_bits)
        return p->codes_bytes +
               p->n_groups * (p->table_size * nnq_lut_entry_size(p->lut_dtype) +
                              (p->lut_dtype == NNQ_LUT_DTYPE_INT8 ? sizeof(float) : 0));
    if (p->linear_bits) /* fp32 scale, plus an int8 zero point unless symmetric */
        return p->codes_bytes +
               p->n_groups * (sizeof(float) + (p->linear_mode == NNQ_LINEAR_MODE_LINEAR ? 1 : 0));
    return p->nnz * sizeof(float);
}

static void finish_stats(nnq_compressed *c, const double *sse, const double *energy,
                         size_t ntiles) {
    nnq_compress_stats *st = &c->stats;
    double e = 0.0;
    st->sse = 0.0;
    for (size_t t = 0; t < ntiles; t++) {
        st->sse += sse[t];
        e += energy[t];
    }
    st->numel = c->p.numel;
    st->nnz = c->p.nnz;
    st->original_bytes = c->p.numel * sizeof(float);
    st->compressed_bytes = c->p.mask_bytes + coding_bytes(&c->p);
    st->bits_per_weight = (double)st->compressed_bytes * 8.0 / (double)c->p.numel;
    st->sparsity = 1.0 - (double)c->p.nnz / (double)c->p.numel;
    st->sqnr_db = st->sse > 0.0 ? 10.0 * log10(e / st->sse) : (double)INFINITY;
}

/* Scratch of one nnq_compress_tensor call, freed in one place. */
typedef struct scratch {
    uint8_t *keep;
    size_t *group_base;
    float *thresholds;
    uint8_t *codes;
    elem_ctx e;
} scratch;

static nnq_status run_coding(nnq_compressed *c, const float *w, const nnq_prune_view *v,
                             const nnq_compress_config *cfg, const char *name, nnq_pool *pool,
                             scratch *s) {
    NNQ_TRY(alloc_groups(c, cfg, v->rows));
    size_t ng = c->p.n_groups, per_group = c->p.numel / ng;
    s->group_base = nnq_malloc((ng + 1) * sizeof(size_t));
    if (!s->group_base)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: no memory for %zu groups", ng);
    count_groups(w, s->keep, per_group, ng, s->group_base);
    size_t nnz = s->group_base[ng];
    s->codes = nnq_malloc(nnz ? nnz : 1);
    if (!s->codes)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: no memory for %zu codes", nnz);
    if (cfg->palette_bits) {
        s->thresholds = nnq_malloc(ng * c->p.table_size * sizeof(float));
        if (!s->thresholds)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "palettize: no memory for thresholds");
    }
    group_ctx t = {.w = w,
                   .imp = cfg->importance,
                   .keep = s->keep,
                   .cfg = cfg,
                   .name = name,
                   .c = c,
                   .elems_per_group = per_group,
                   .group_base = s->group_base,
                   .thresholds = s->thresholds,
                   .codes = s->codes};
    return code_groups(&t, pool);
}

static nnq_status run(nnq_compressed *c, const float *w, const nnq_prune_view *v,
                      const nnq_compress_config *cfg, const char *name, nnq_pool *pool,
                      scratch *s) {
    size_t numel = c->p.numel, ntiles = nnq_tile_count(numel, ELEM_TILE);
    elem_ctx *e = &s->e;
    if (cfg->prune_mode != NNQ_PRUNE_MODE_NONE) {
        s->keep = nnq_malloc(numel);
        if (!s->keep)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "prune: no memory for %zu flags", numel);
        NNQ_TRY(nnq_prune_decide(w, v, cfg, pool, s->keep));
    }
    if (cfg->palette_bits || cfg->linear_bits) NNQ_TRY(run_coding(c, w, v, cfg, name, pool, s));
    e->w = w;
    e->keep = s->keep;
    e->c = c;
    e->thresholds = s->thresholds;
    e->codes = s->codes;
    e->elems_per_group = c->p.n_groups ? numel / c->p.n_groups : numel;
    e->tile_base = nnq_calloc(ntiles, sizeof(size_t));
    e->tile_sse = nnq_calloc(ntiles, sizeof(double));
    e->tile_energy = nnq_calloc(ntiles, sizeof(double));
    if (!e->tile_base || !e->tile_sse || !e->tile_energy)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: no memory for %zu tiles", ntiles);
    size_t nnz = tile_offsets(e, pool, numel, ntiles);
    NNQ_TRY(alloc_outputs(c, s->keep != NULL, nnz));
    nnq_pool_parallelize_1d(pool, assign_task, e, numel, ELEM_TILE);
    if (c->p.code_bits)
        NNQ_TRY(nnq_pack_bits(s->codes, nnz, c->p.code_bits, c->codes, c->p.codes_bytes));
    finish_stats(c, e->tile_sse, e->tile_energy, ntiles);
    return NNQ_STATUS_OK;
}

nnq_status nnq_compress_tensor(const float *w, int ndim, const int64_t *dims,
                               const nnq_compress_config *cfg, nnq_pool *pool,
                               nnq_compressed **out) {
    size_t numel;
    nnq_prune_view v;
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress: out is NULL");
    *out = NULL;
    if (!w || !dims || !cfg)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress: %s is NULL",
                         !w      ? "the weight"
                         : !dims ? "dims"
                                 : "the config");
    NNQ_TRY(validate(w, ndim, dims, cfg, &numel, &v));
    nnq_compressed *c = nnq_calloc(1, sizeof *c);
    if (!c) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress: no memory for the result");
    c->p.ndim = ndim;
    memcpy(c->p.dims, dims, (size_t)ndim * sizeof *dims);
    c->p.numel = numel;
    scratch s;
    memset(&s, 0, sizeof s);
    nnq_status st = run(c, w, &v, cfg, cfg->name ? cfg->name : "weight", pool, &s);
    nnq_free(s.keep);
    nnq_free(s.group_base);
    nnq_free(s.thresholds);
    nnq_free(s.codes);
    nnq_free(s.e.tile_base);
    nnq_free(s.e.tile_sse);
    nnq_free(s.e.tile_energy);
    if (st != NNQ_STATUS_OK) {
        nnq_compressed_free(c);
        return st;
    }
    *out = c;
    return NNQ_STATUS_OK;
}

/* ---- decompression ------------------------------------------------------- */

/* The nnz stored values in order, decoded from codes. */
static nnq_status decode_linear(const nnq_compressed_parts *p, float *vals) {
    int8_t *q = nnq_malloc(p->nnz ? p->nnz : 1);
    if (!q)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "decompress: no memory for %zu codes", p->nnz);
    nnq_status s = nnq_unpack_bits_signed(p->codes, p->codes_bytes, p->nnz, p->code_bits, q);
    const nnq_int_format fmt = {p->linear_bits, false, false};
    size_t per_group = p->numel / p->n_groups, pos = 0;
    for (size_t g = 0; g < p->n_groups && s == NNQ_STATUS_OK; g++) {
        size_t n = 0;
        for (size_t i = g * per_group; i < (g + 1) * per_group; i++)
            n += !p->mask || mask_bit(p->mask, i);
        if (n == 0) continue;
        int64_t dims[1] = {(int64_t)n};
        nnq_qlayout l;
        s = nnq_qlayout_per_tensor(1, dims, &l);
        if (s == NNQ_STATUS_OK)
            s = nnq_dequantize_linear(q + pos, &l, p->scales + g, p->zero_points + g, &fmt,
                                      vals + pos, NULL);
        pos += n;
    }
    nnq_free(q);
    return s;
}

static nnq_status decode_palette(const nnq_compressed_parts *p, float *vals) {
    uint8_t *idx = nnq_malloc(p->nnz ? p->nnz : 1);
    if (!idx)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "decompress: no memory for %zu indices", p->nnz);
    nnq_status s = nnq_unpack_bits(p->codes, p->codes_bytes, p->nnz, p->code_bits, idx);
    size_t per_group = p->numel / p->n_groups;
    for (size_t i = 0, pos = 0; i < p->numel && s == NNQ_STATUS_OK; i++) {
        if (p->mask && !mask_bit(p->mask, i)) continue;
        vals[pos] = p->lut_f32[(i / per_group) * p->table_size + idx[pos]];
        pos++;
    }
    nnq_free(idx);
    return s;
}

nnq_status nnq_compressed_decompress(const nnq_compressed *c, float *out, size_t count) {
    if (!c || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "decompress: %s is NULL",
                         !c ? "the tensor" : "out");
    const nnq_compressed_parts *p = &c->p;
    if (count != p->numel)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "decompress: output holds %zu floats, the tensor has %zu elements", count,
                         p->numel);
    const float *vals = p->values;
    float *decoded = NULL;
    if (p->code_bits) {
        decoded = nnq_malloc((p->nnz ? p->nnz : 1) * sizeof(float));
        if (!decoded)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "decompress: no memory for %zu values",
                             p->nnz);
        nnq_status s = p->palette_bits ? decode_palette(p, decoded) : decode_linear(p, decoded);
        if (s != NNQ_STATUS_OK) {
            nnq_free(decoded);
            return s;
        }
        vals = decoded;
    }
    for (size_t i = 0, pos = 0; i < p->numel; i++)
        out[i] = p->mask && !mask_bit(p->mask, i) ? 0.0f : vals[pos++];
    nnq_free(decoded);
    return NNQ_STATUS_OK;
}
