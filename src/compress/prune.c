/*
 * prune.c - which weights pruning removes (threshold, magnitude, n:m, block).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compress/prune.h"

/* Bit pattern of |x|: for non-negative floats the integer order is the
 * value order, which radix selection relies on. */
static inline uint32_t abs_key(float x) {
    float a = fabsf(x);
    uint32_t u;
    memcpy(&u, &a, 4);
    return u;
}

/* ---- magnitude: radix selection of the k-th smallest |w| ---------------- */

#define SEL_BINS 65536u

/* Bucket holding the element of rank k (1-based) in hist; *before gets the
 * count in lower buckets. */
static uint32_t find_bucket(const size_t *hist, size_t k, size_t *before) {
    size_t cum = 0;
    uint32_t b = 0;
    while (cum + hist[b] < k) cum += hist[b++];
    *before = cum;
    return b;
}

static nnq_status prune_magnitude(const float *w, size_t n, float sparsity, uint8_t *keep) {
    size_t k = nnq_prune_count(sparsity, n);
    memset(keep, 1, n);
    if (k == 0) return NNQ_STATUS_OK;
    size_t *hist = nnq_calloc(SEL_BINS, sizeof *hist);
    if (!hist) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "prune: no memory for a histogram");
    size_t before_hi, before_lo;
    for (size_t i = 0; i < n; i++) hist[abs_key(w[i]) >> 16]++;
    uint32_t hi = find_bucket(hist, k, &before_hi);
    memset(hist, 0, SEL_BINS * sizeof *hist);
    for (size_t i = 0; i < n; i++) {
        uint32_t key = abs_key(w[i]);
        if (key >> 16 == hi) hist[key & 0xffffu]++;
    }
    uint32_t lo = find_bucket(hist, k - before_hi, &before_lo);
    nnq_free(hist);
    /* Everything below the k-th smallest goes; among elements equal to it the
     * lowest indices go first, so the count is exactly k. */
    uint32_t cut = (hi << 16) | lo;
    size_t ties = k - before_hi - before_lo;
    for (size_t i = 0; i < n; i++) {
        uint32_t key = abs_key(w[i]);
        if (key < cut)
            keep[i] = 0;
        else if (key == cut && ties > 0) {
            keep[i] = 0;
            ties--;
        }
    }
    return NNQ_STATUS_OK;
}

/* ---- n:m ----------------------------------------------------------------- */

typedef struct nm_ctx {
    const float *w;
    nnq_prune_view v;
    size_t n, m;
    uint8_t *keep;
} nm_ctx;

/* Keep the n largest |w| of each run of m along cin; on equal |w| the lower
 * index ranks higher.  Rank counting is O(m^2) per run, fine for the small m
 * of structured sparsity (2:4, 4:8, ...). */
static void nm_rows(void *ctx, size_t r0, size_t nr) {
    const nm_ctx *c = ctx;
    size_t cin = c->v.cin, inner = c->v.inner, m = c->m;
    for (size_t r = r0; r < r0 + nr; r++)
        for (size_t g = 0; g < cin; g += m)
            for (size_t s = 0; s < inner; s++) {
                size_t base = (r * cin + g) * inner + s;
                for (size_t t = 0; t < m; t++) {
                    float a = fabsf(c->w[base + t * inner]);
                    size_t rank = 0;
                    for (size_t u = 0; u < m; u++) {
                        float b = fabsf(c->w[base + u * inner]);
                        rank += b > a || (b == a && u < t);
                    }
                    c->keep[base + t * inner] = rank < c->n;
                }
            }
}

/* ---- block --------------------------------------------------------------- */

typedef struct block_score {
    double sumsq;
    size_t id;
} block_score;

static int cmp_block(const void *pa, const void *pb) {
    const block_score *a = pa, *b = pb;
    if (a->sumsq != b->sumsq) return a->sumsq < b->sumsq ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

typedef struct block_ctx {
    const float *w;
    nnq_prune_view v;
    size_t bs;
    block_score *scores;
} block_ctx;

/* Block id = (row, block along cin, inner position), row-major. */
static void block_rows(void *ctx, size_t r0, size_t nr) {
    const block_ctx *c = ctx;
    size_t nb = c->v.cin / c->bs, inner = c->v.inner;
    for (size_t r = r0; r < r0 + nr; r++)
        for (size_t b = 0; b < nb; b++)
            for (size_t s = 0; s < inner; s++) {
                size_t id = (r * nb + b) * inner + s;
                size_t base = (r * c->v.cin + b * c->bs) * inner + s;
                double acc = 0.0;
                for (size_t t = 0; t < c->bs; t++) {
                    double x = (double)c->w[base + t * inner];
                    acc += x * x;
                }
                c->scores[id] = (block_score){acc, id};
            }
}

static nnq_status prune_block(const float *w, const nnq_prune_view *v, size_t bs, float sparsity,
                              nnq_pool *pool, uint8_t *keep) {
    size_t nblocks = v->rows * (v->cin / bs) * v->inner;
    size_t k = nnq_prune_count(sparsity, nblocks);
    memset(keep, 1, v->rows * v->cin * v->inner);
    if (k == 0) return NNQ_STATUS_OK;
    block_score *scores = nnq_calloc(nblocks, sizeof *scores);
    if (!scores)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "prune: no memory for %zu block scores",
                         nblocks);
    block_ctx c = {w, *v, bs, scores};
    nnq_pool_parallelize_1d(pool, block_rows, &c, v->rows, 1);
    /* The comparator is a total order (ties by id), so qsort's result is
     * unique whatever its algorithm. */
    qsort(scores, nblocks, sizeof *scores, cmp_block);
    size_t nb = v->cin / bs;
    for (size_t i = 0; i < k; i++) {
        size_t id = scores[i].id, s = id % v->inner, rb = id / v->inner;
        size_t r = rb / nb, b = rb % nb;
        size_t base = (r * v->cin + b * bs) * v->inner + s;
        for (size_t t = 0; t < bs; t++) keep[base + t * v->inner] = 0;
    }
    nnq_free(scores);
    return NNQ_STATUS_OK;
}

nnq_status nnq_prune_decide(const float *w, const nnq_prune_view *v, const nnq_compress_config *cfg,
                            nnq_pool *pool, uint8_t *keep) {
    size_t n = v->rows * v->cin * v->inner;
    switch (cfg->prune_mode) {
    case NNQ_PRUNE_MODE_NONE: memset(keep, 1, n); return NNQ_STATUS_OK;
    case NNQ_PRUNE_MODE_THRESHOLD:
        for (size_t i = 0; i < n; i++) keep[i] = !(fabsf(w[i]) < cfg->threshold);
        return NNQ_STATUS_OK;
    case NNQ_PRUNE_MODE_MAGNITUDE: return prune_magnitude(w, n, cfg->sparsity, keep);
    case NNQ_PRUNE_MODE_N_M: {
        nm_ctx c = {w, *v, (size_t)cfg->n, (size_t)cfg->m, keep};
        nnq_pool_parallelize_1d(pool, nm_rows, &c, v->rows, 1);
        return NNQ_STATUS_OK;
    }
    case NNQ_PRUNE_MODE_BLOCK:
        return prune_block(w, v, (size_t)cfg->block_size, cfg->sparsity, pool, keep);
    default:
        return nnq_error(NNQ_STATUS_INTERNAL, "prune: mode %d passed validation",
                         (int)cfg->prune_mode);
    }
}
