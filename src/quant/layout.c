/* layout.c - granularity descriptions, their run iterator, amax / min-max. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "quant/quant_internal.h"

static nnq_status layout_shape(const char *fn, int ndim, const int64_t *dims, nnq_qlayout *out) {
    size_t n;
    if (!out || (ndim > 0 && !dims))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL layout or dims", fn);
    if (ndim < 0 || ndim > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: ndim %d outside [0, %d]", fn, ndim,
                         NNQ_MAX_DIMS);
    memset(out, 0, sizeof *out);
    out->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0)
            return nnq_error(NNQ_STATUS_SHAPE_MISMATCH, "%s: dimension %d is %lld, must be >= 0",
                             fn, d, (long long)dims[d]);
        out->dims[d] = dims[d];
        out->block[d] = dims[d];
    }
    if (!nnq_size_product(dims, (size_t)ndim, &n))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: element count of the shape overflows",
                         fn);
    return NNQ_STATUS_OK;
}

static nnq_status norm_axis(const char *fn, int ndim, int axis, int *out) {
    if (axis < -ndim || axis >= ndim)
        return nnq_error(NNQ_STATUS_AXIS_OUT_OF_RANGE, "%s: axis %d outside [%d, %d) for a %d-d tensor",
                         fn, axis, -ndim, ndim, ndim);
    *out = axis < 0 ? axis + ndim : axis;
    return NNQ_STATUS_OK;
}

nnq_status nnq_qlayout_per_tensor(int ndim, const int64_t *dims, nnq_qlayout *out) {
    return layout_shape("qlayout_per_tensor", ndim, dims, out);
}

nnq_status nnq_qlayout_per_axes(int ndim, const int64_t *dims, const int *axes, int naxes,
                                nnq_qlayout *out) {
    static const char fn[] = "qlayout_per_axes";
    NNQ_TRY(layout_shape(fn, ndim, dims, out));
    if (naxes < 0 || (naxes > 0 && !axes))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: %d axes given with %s list", fn, naxes,
                         axes ? "a" : "a NULL");
    for (int i = 0; i < naxes; i++) {
        int a = 0;
        NNQ_TRY(norm_axis(fn, ndim, axes[i], &a));
        if (out->block[a] == 1 && out->dims[a] != 1)
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: axis %d listed twice", fn, axes[i]);
        out->block[a] = 1;
    }
    return NNQ_STATUS_OK;
}

static nnq_status check_block(const char *fn, const nnq_qlayout *l, int d, int64_t b) {
    if (b < 1)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH, "%s: block size %lld along axis %d must be >= 1",
                         fn, (long long)b, d);
    if (l->dims[d] % b != 0)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH,
                         "%s: axis %d has %lld elements, not a multiple of block_size %lld", fn, d,
                         (long long)l->dims[d], (long long)b);
    return NNQ_STATUS_OK;
}

nnq_status nnq_qlayout_per_block(int ndim, const int64_t *dims, int axis, int64_t block_size,
                                 nnq_qlayout *out) {
    static const char fn[] = "qlayout_per_block";
    int a = 0;
    NNQ_TRY(layout_shape(fn, ndim, dims, out));
    NNQ_TRY(norm_axis(fn, ndim, axis, &a));
    NNQ_TRY(check_block(fn, out, a, block_size));
    for (int d = 0; d < ndim; d++) out->block[d] = 1;
    out->block[a] = block_size;
    return NNQ_STATUS_OK;
}

nnq_status nnq_qlayout_blocks(int ndim, const int64_t *dims, const int64_t *block,
                              nnq_qlayout *out) {
    static const char fn[] = "qlayout_blocks";
    NNQ_TRY(layout_shape(fn, ndim, dims, out));
    if (ndim > 0 && !block)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL block shape", fn);
    for (int d = 0; d < ndim; d++) {
        if (block[d] == 0) continue; /* whole dimension */
        NNQ_TRY(check_block(fn, out, d, block[d]));
        out->block[d] = block[d];
    }
    return NNQ_STATUS_OK;
}

/* Scales along d: a whole-dimension block counts once even for dim 0. */
static size_t scale_extent(const nnq_qlayout *l, int d) {
    if (l->block[d] == l->dims[d]) return 1;
    return (size_t)(l->dims[d] / l->block[d]);
}

size_t nnq_qlayout_numel(const nnq_qlayout *l) {
    size_t n = 1;
    for (int d = 0; d < l->ndim; d++) n *= (size_t)l->dims[d];
    return n;
}

size_t nnq_qlayout_nscales(const nnq_qlayout *l) {
    size_t n = 1;
    for (int d = 0; d < l->ndim; d++) n *= scale_extent(l, d);
    return n;
}

void nnq_qlayout_scale_dims(const nnq_qlayout *l, int64_t *scale_dims) {
    for (int d = 0; d < l->ndim; d++) scale_dims[d] = (int64_t)scale_extent(l, d);
}

nnq_status nnq_qlayout_check(const char *fn, const nnq_qlayout *l) {
    size_t n;
    if (!l) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL layout", fn);
    if (l->ndim < 0 || l->ndim > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: layout ndim %d outside [0, %d]", fn,
                         l->ndim, NNQ_MAX_DIMS);
    if (!nnq_size_product(l->dims, (size_t)l->ndim, &n))
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH, "%s: layout shape has a negative or overflowing dimension", fn);
    for (int d = 0; d < l->ndim; d++) {
        if (l->block[d] == l->dims[d]) continue;
        NNQ_TRY(check_block(fn, l, d, l->block[d]));
    }
    return NNQ_STATUS_OK;
}

/* ---- run iteration ---- */

void nnq_run_iter_init(nnq_run_iter *it, const nnq_qlayout *l, size_t start, size_t end) {
    size_t inner = 1;
    int k = l->ndim - 1;
    while (k >= 0 && l->block[k] == l->dims[k]) inner *= (size_t)l->dims[k--];
    it->l = l;
    it->k = k;
    it->pos = start;
    it->end = end;
    it->rowlen = 0;
    it->have_last = false;
    if (k < 0) {
        it->run = inner;
    } else if (l->block[k] == 1 && inner == 1) {
        it->run = 0;
        it->rowlen = (size_t)l->dims[k];
    } else {
        it->run = (size_t)l->block[k] * inner;
        it->nb = scale_extent(l, k);
    }
}

/* Scale index of the block holding outer position `rem` over dims [0, k)
 * (plus block index b along k). */
static size_t outer_scale_index(const nnq_qlayout *l, int k, size_t rem, size_t b) {
    size_t idx = b, stride = scale_extent(l, k);
    for (int d = k - 1; d >= 0; d--) {
        size_t dim = (size_t)l->dims[d];
        size_t i = rem % dim;
        rem /= dim;
        idx += i / (size_t)l->block[d] * stride;
        stride *= scale_extent(l, d);
    }
    return idx;
}

bool nnq_run_iter_next(nnq_run_iter *it, nnq_run *r) {
    size_t p = it->pos;
    if (p >= it->end) return false;
    r->start = p;
    if (it->k < 0) {
        r->len = it->end - p;
        r->sidx = 0;
        r->sstride = 0;
    } else if (it->run == 0) {
        size_t row = p / it->rowlen, j = p % it->rowlen;
        r->len = NNQ_MIN(it->end, (row + 1) * it->rowlen) - p;
        r->sidx = outer_scale_index(it->l, it->k, row, 0) + j;
        r->sstride = 1;
    } else {
        size_t run, bk;
        /* Runs mostly follow each other: step the run and its block index
         * instead of dividing, and only re-walk the dims at a new row. */
        if (it->have_last && p == (it->last_run + 1) * it->run) {
            run = it->last_run + 1;
            bk = it->last_bk + 1 == it->nb ? 0 : it->last_bk + 1;
        } else {
            run = p / it->run;
            bk = run % it->nb;
        }
        r->len = NNQ_MIN(it->end, (run + 1) * it->run) - p;
        if (it->have_last && run == it->last_run + 1 && bk != 0)
            r->sidx = it->last_sidx + 1;
        else
            r->sidx = outer_scale_index(it->l, it->k, run / it->nb, bk);
        r->sstride = 0;
        it->have_last = true;
        it->last_run = run;
        it->last_bk = bk;
        it->last_sidx = r->sidx;
    }
    it->pos = p + r->len;
    return true;
}

/* ---- amax / min-max ---- */

typedef struct minmax_ctx {
    const float *x;
    const nnq_qlayout *l;
    float *mins, *maxs; /* per scale, or per tile for per-tensor */
    bool per_tile;
} minmax_ctx;

static void minmax_tile(void *vctx, size_t start, size_t count) {
    minmax_ctx *c = vctx;
    nnq_run_iter it;
    nnq_run r;
    nnq_run_iter_init(&it, c->l, start, start + count);
    while (nnq_run_iter_next(&it, &r)) {
        for (size_t i = 0; i < r.len; i++) {
            size_t s = c->per_tile ? start / NNQ_QUANT_TILE : r.sidx + i * r.sstride;
            float v = c->x[r.start + i];
            /* Comparisons are false for NaN, so NaN never enters. */
            if (v < c->mins[s]) c->mins[s] = v;
            if (v > c->maxs[s]) c->maxs[s] = v;
        }
    }
}

static nnq_status minmax_impl(const char *fn, const float *x, const nnq_qlayout *l, float *mins,
                              float *maxs, nnq_pool *pool) {
    NNQ_TRY(nnq_qlayout_check(fn, l));
    size_t n = nnq_qlayout_numel(l), ns = nnq_qlayout_nscales(l);
    if (n == 0)
        return nnq_error(NNQ_STATUS_EMPTY, "%s: tensor has no elements, range undefined", fn);
    if (!x || !mins || !maxs)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    minmax_ctx c = {x, l, mins, maxs, false};
    float *tmp = NULL;
    if (ns == 1 && n > NNQ_QUANT_TILE) {
        /* One partial per tile; max and min are exact, so combining in tile
         * order merely keeps the pattern of every other reduction. */
        size_t nt = nnq_tile_count(n, NNQ_QUANT_TILE), bytes;
        if (!nnq_size_mul(nt, 2 * sizeof(float), &bytes))
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: tile partials overflow", fn);
        tmp = nnq_malloc(bytes);
        if (!tmp) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes of partials", fn, bytes);
        c.mins = tmp;
        c.maxs = tmp + nt;
        c.per_tile = true;
        for (size_t t = 0; t < nt; t++) {
            c.mins[t] = INFINITY;
            c.maxs[t] = -INFINITY;
        }
        nnq_pool_parallelize_1d(pool, minmax_tile, &c, n, NNQ_QUANT_TILE);
        mins[0] = INFINITY;
        maxs[0] = -INFINITY;
        for (size_t t = 0; t < nt; t++) {
            if (c.mins[t] < mins[0]) mins[0] = c.mins[t];
            if (c.maxs[t] > maxs[0]) maxs[0] = c.maxs[t];
        }
        nnq_free(tmp);
    } else {
        for (size_t s = 0; s < ns; s++) {
            mins[s] = INFINITY;
            maxs[s] = -INFINITY;
        }
        minmax_tile(&c, 0, n);
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_quant_minmax(const float *x, const nnq_qlayout *l, float *mins, float *maxs,
                            nnq_pool *pool) {
    NNQ_TRY(minmax_impl("quant_minmax", x, l, mins, maxs, pool));
    size_t ns = nnq_qlayout_nscales(l);
    for (size_t s = 0; s < ns; s++) {
        if (mins[s] > maxs[s]) mins[s] = maxs[s] = 0.0f; /* all NaN */
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_quant_amax(const float *x, const nnq_qlayout *l, float *amax, nnq_pool *pool) {
    static const char fn[] = "quant_amax";
    NNQ_TRY(nnq_qlayout_check(fn, l));
    size_t ns = nnq_qlayout_nscales(l), bytes;
    if (!nnq_size_mul(ns, sizeof(float), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: %zu scales overflow", fn, ns);
    float *mins = nnq_malloc(bytes ? bytes : 1);
    if (!mins) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes", fn, bytes);
    nnq_status s = minmax_impl(fn, x, l, mins, amax, pool);
    if (s == NNQ_STATUS_OK) {
        for (size_t i = 0; i < ns; i++) {
            float a = fmaxf(-mins[i], amax[i]);
            amax[i] = a > 0.0f ? a : 0.0f; /* all-NaN block, and -0 */
        }
    }
    nnq_free(mins);
    return s;
}
