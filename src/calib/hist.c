/*
 * hist.c - histogram calibrator: collection with pytorch-quantization's
 * range growth (torch_hist path) and amax scoring by entropy, mse and
 * percentile.  docs/calibration.md states each rule.
 */
#include "calib/calib_impl.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void calib_hist_free(calib_hist *h) {
    nnq_free(h->counts);
    nnq_free(h->edges);
    nnq_free(h->blocks);
    memset(h, 0, sizeof *h);
}

static size_t hist_nblocks(size_t nbins) {
    return (nbins + CALIB_HIST_BLOCK - 1) / CALIB_HIST_BLOCK;
}

/* Counts zeroed; on failure h is unchanged.  nbins <= 2^28 (max_bins). */
nnq_status calib_hist_alloc(calib_hist *h, size_t nbins, size_t n_edges) {
    uint64_t *counts = nnq_calloc(nbins, sizeof *counts);
    float *edges = nnq_malloc(n_edges * sizeof *edges);
    uint64_t *blocks = nnq_calloc(hist_nblocks(nbins), sizeof *blocks);
    if (!counts || !edges || !blocks) {
        nnq_free(counts), nnq_free(edges), nnq_free(blocks);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib histogram: %zu bins", nbins);
    }
    nnq_free(h->counts), nnq_free(h->edges), nnq_free(h->blocks);
    h->counts = counts;
    h->edges = edges;
    h->blocks = blocks;
    h->nbins = nbins;
    h->n_edges = n_edges;
    return NNQ_STATUS_OK;
}

void calib_hist_refresh(calib_hist *h) {
    uint64_t total = 0;
    for (size_t b = 0; b < hist_nblocks(h->nbins); b++) {
        const size_t end = NNQ_MIN(h->nbins, (b + 1) * CALIB_HIST_BLOCK);
        uint64_t s = 0;
        for (size_t k = b * CALIB_HIST_BLOCK; k < end; k++) s += h->counts[k];
        h->blocks[b] = s;
        total += s;
    }
    h->total = total;
}

/*
 * torch.linspace(0, end, steps) in fp32 as torch 1.13's CPU kernel writes
 * it with 8-lane vectors: 16-element blocks from the start, each 8-lane
 * vector anchored at step * i0, the tail elements one by one.  Exact for
 * steps - 1 a power of two (the default 2048 bins); see the docs.
 */
static void torch_linspace(float end, size_t steps, float *out) {
    const float step = end / (float)(steps - 1);
    const size_t half = steps / 2, nvec = steps / 16 * 16;
    for (size_t i0 = 0; i0 < nvec; i0 += 8) {
        float base = step * (float)i0;
        for (size_t j = 0; j < 8; j++) out[i0 + j] = base + (float)j * step;
    }
    for (size_t k = nvec; k < steps; k++)
        out[k] = k < half ? step * (float)k : end - step * (float)(steps - k - 1);
}

/* torch.arange(0, n * width, width) in fp32: double accumulation, vector
 * blocks anchored at the fp32-rounded block start. */
static void torch_arange(double width, size_t n, float *out) {
    const size_t nvec = n / 16 * 16;
    for (size_t i0 = 0; i0 < nvec; i0 += 8) {
        float base = (float)(width * (double)i0);
        for (size_t j = 0; j < 8; j++) out[i0 + j] = (float)((double)base + (double)j * width);
    }
    for (size_t k = nvec; k < n; k++) out[k] = (float)(width * (double)k);
}

nnq_status calib_hist_grow(calib_hist *h, float x_max, int num_bins, size_t max_bins, size_t ch) {
    if (h->nbins == 0) {
        size_t nb = (size_t)num_bins;
        NNQ_TRY(calib_hist_alloc(h, nb, nb + 1));
        torch_linspace(x_max, nb + 1, h->edges);
        h->counts[0] = h->zeros_pending;
        h->zeros_pending = 0;
        calib_hist_refresh(h);
        return NNQ_STATUS_OK;
    }
    if (!(x_max > h->edges[h->n_edges - 1])) return NNQ_STATUS_OK;
    const float width = h->edges[1] - h->edges[0];
    const float nbf = ceilf(x_max / width);
    const double n_edges_d = ceil((double)(x_max + width) / (double)width);
    if (!(nbf <= (float)max_bins) || !(n_edges_d <= (double)max_bins + 2.0))
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "calib histogram: channel %zu: amax %g with bin width %g needs %.0f bins, "
                         "more than max_bins %zu",
                         ch, (double)x_max, (double)width, (double)nbf, max_bins);
    const size_t nb = (size_t)nbf, ne = (size_t)n_edges_d;
    if (nb < h->nbins || ne < 2)
        return nnq_error(NNQ_STATUS_INTERNAL, "calib histogram: growth to %zu bins from %zu", nb,
                         h->nbins);
    calib_hist old = *h;
    h->counts = NULL, h->edges = NULL, h->blocks = NULL;
    nnq_status s = calib_hist_alloc(h, nb, ne);
    if (s != NNQ_STATUS_OK) {
        *h = old;
        return s;
    }
    /* pytorch-quantization keeps old counts in place: the bin width is fixed. */
    memcpy(h->counts, old.counts, old.nbins * sizeof *h->counts);
    torch_arange((double)width, ne, h->edges);
    calib_hist_free(&old);
    calib_hist_refresh(h);
    return NNQ_STATUS_OK;
}

/* ---- binning ---- */

typedef struct bin_task {
    const calib_view *v;
    size_t ch, tile, total;
    calib_bin_params p;
    uint32_t *sub; /* tiles x CALIB_SUBHIST x CALIB_BIN_SLOTS(nbins) */
    const calib_kernels *k;
} bin_task;

typedef struct bin_acc {
    const bin_task *t;
    uint32_t *sub;
} bin_acc;

static void bin_run(void *acc, const float *x, size_t n) {
    bin_acc *a = acc;
    a->t->k->bin(x, n, &a->t->p, a->sub);
}

static void bin_tile(void *ctx, size_t start, size_t count) {
    const bin_task *t = ctx;
    size_t tile_no = start / t->tile;
    bin_acc a = {t, t->sub + tile_no * CALIB_SUBHIST * CALIB_BIN_SLOTS(t->p.nbins)};
    calib_view_runs(t->v, t->ch, start, count, bin_run, &a);
}

/* Counts of one channel against the current edges, not yet added to h. */
typedef struct bin_scratch {
    uint32_t *sub;
    size_t nsub;  /* sub-histograms */
    uint64_t over; /* values above the last edge, NaN or Inf */
} bin_scratch;

/* Partial histograms are integer, so any tiling gives the same counts; the
 * tile size still depends only on sizes to keep scratch bounded (<= 64 MiB). */
static nnq_status hist_bin(const calib_hist *h, const calib_view *v, size_t ch, bool skip_zeros,
                           nnq_pool *pool, bin_scratch *out) {
    const size_t total = v->outer * v->inner, slots = CALIB_BIN_SLOTS(h->nbins);
    const size_t per_tile = CALIB_SUBHIST * slots * sizeof(uint32_t);
    size_t max_tiles = NNQ_MAX((size_t)1, ((size_t)64 << 20) / per_tile);
    max_tiles = NNQ_MIN(max_tiles, (size_t)16);
    size_t tile = NNQ_MAX((size_t)1 << 18, nnq_tile_count(total, max_tiles));
    tile = NNQ_MIN(tile, (size_t)1 << 30);
    const size_t ntiles = nnq_tile_count(total, tile);
    size_t bytes;
    if (!nnq_size_mul(ntiles, per_tile, &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "calib histogram: scratch for %zu tiles", ntiles);
    uint32_t *sub = nnq_calloc(1, bytes);
    if (!sub) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib histogram: %zu bytes scratch", bytes);
    bin_task t = {v, ch, tile, total,
                  {(float)h->nbins, h->edges[h->n_edges - 1], (uint32_t)h->nbins, skip_zeros},
                  sub, calib_kernels_get()};
    nnq_pool_parallelize_1d(pool, bin_tile, &t, total, tile);
    out->sub = sub;
    out->nsub = ntiles * CALIB_SUBHIST;
    out->over = 0;
    for (size_t s = 0; s < out->nsub; s++) out->over += sub[s * slots + CALIB_BIN_OVER(h->nbins)];
    return NNQ_STATUS_OK;
}

static void hist_commit(calib_hist *h, bin_scratch *b) {
    const size_t slots = CALIB_BIN_SLOTS(h->nbins);
    for (size_t s = 0; s < b->nsub; s++)
        for (size_t k = 0; k < h->nbins; k++) h->counts[k] += b->sub[s * slots + k];
    calib_hist_refresh(h);
    nnq_free(b->sub);
    b->sub = NULL;
}

/*
 * One pass instead of two for the common case: a per-tensor histogram whose
 * range already covers the batch.  Binning also counts values above the
 * last edge (and NaN / Inf); when there are none the batch needed neither
 * growth nor rejection, so the counts are exactly those of the two-pass
 * path.  Otherwise *done stays false and nothing changed.
 */
nnq_status calib_hist_collect_fast(nnq_calib *c, const calib_view *v, nnq_pool *pool, bool *done) {
    *done = false;
    if (c->channels != 1 || v->channels != 1 || c->hist[0].nbins == 0 || c->cfg.is_unsigned)
        return NNQ_STATUS_OK;
    bin_scratch b;
    NNQ_TRY(hist_bin(&c->hist[0], v, 0, c->cfg.skip_zeros, pool, &b));
    if (b.over) {
        nnq_free(b.sub);
        return NNQ_STATUS_OK;
    }
    hist_commit(&c->hist[0], &b);
    *done = true;
    return NNQ_STATUS_OK;
}

nnq_status calib_hist_collect(nnq_calib *c, const calib_view *v, const calib_minmax *stats,
                              nnq_pool *pool) {
    const nnq_calib_config *cfg = &c->cfg;
    /* Check growth limits first so a failure leaves every channel untouched. */
    for (size_t ch = 0; ch < c->channels; ch++) {
        const calib_hist *h = &c->hist[ch];
        float x_max;
        uint32_t bits = stats[ch].absbits;
        memcpy(&x_max, &bits, sizeof x_max);
        if (h->nbins == 0 || !(x_max > h->edges[h->n_edges - 1])) continue;
        float width = h->edges[1];
        float nbf = ceilf(x_max / width);
        if (!(nbf <= (float)cfg->max_bins))
            return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                             "calib histogram: channel %zu: amax %g with bin width %g needs %.0f "
                             "bins, more than max_bins %zu",
                             ch, (double)x_max, (double)width, (double)nbf, cfg->max_bins);
    }
    for (size_t ch = 0; ch < c->channels; ch++) {
        calib_hist *h = &c->hist[ch];
        float x_max;
        uint32_t bits = stats[ch].absbits;
        memcpy(&x_max, &bits, sizeof x_max);
        if (x_max == 0.0f) {
            /* All zeros: the reference's histc over [0, 0] cannot grow later,
             * so the zeros wait for the first nonzero batch (bin 0). */
            if (cfg->skip_zeros) continue;
            if (h->nbins == 0) {
                h->zeros_pending += v->outer * v->inner;
                continue;
            }
        }
        NNQ_TRY(calib_hist_grow(h, x_max, cfg->num_bins, cfg->max_bins, ch));
        bin_scratch b;
        NNQ_TRY(hist_bin(h, v, ch, cfg->skip_zeros, pool, &b));
        assert(b.over == 0); /* the range now covers max|x| and the data is finite */
        hist_commit(h, &b);
    }
    return NNQ_STATUS_OK;
}

bool calib_hist_sum(const uint64_t *counts, size_t n, uint64_t *total) {
    uint64_t t = 0;
    for (size_t k = 0; k < n; k++) {
        if (counts[k] > UINT64_MAX - t) return false;
        t += counts[k];
    }
    *total = t;
    return true;
}

/* ---- merge ---- */

static void hist_fold_zeros(calib_hist *h) {
    h->counts[0] += h->zeros_pending;
    h->zeros_pending = 0;
}

nnq_status calib_hist_merge(calib_hist *dst, const calib_hist *src, const nnq_calib_config *cfg,
                            size_t ch) {
    if (src->nbins == 0) {
        dst->zeros_pending += src->zeros_pending;
        if (dst->nbins) hist_fold_zeros(dst), calib_hist_refresh(dst);
        return NNQ_STATUS_OK;
    }
    const float src_end = src->edges[src->n_edges - 1];
    NNQ_TRY(calib_hist_grow(dst, src_end, cfg->num_bins, cfg->max_bins, ch));
    hist_fold_zeros(dst);
    if (dst->nbins == src->nbins && dst->n_edges == src->n_edges &&
        memcmp(dst->edges, src->edges, dst->n_edges * sizeof *dst->edges) == 0) {
        for (size_t b = 0; b < src->nbins; b++) dst->counts[b] += src->counts[b];
        calib_hist_refresh(dst);
        return NNQ_STATUS_OK;
    }
    /* Different edges: each source bin moves whole to the bin holding its
     * center, located with the collect rule. */
    const float e = dst->edges[dst->n_edges - 1], nbf = (float)dst->nbins;
    for (size_t b = 0; b < src->nbins; b++) {
        if (!src->counts[b]) continue;
        float center = (src->edges[b] + src->edges[b + 1]) / 2.0f;
        size_t pos = center <= e ? (size_t)((center * nbf) / e) : dst->nbins - 1;
        if (pos >= dst->nbins) pos = dst->nbins - 1;
        dst->counts[pos] += src->counts[b];
    }
    calib_hist_refresh(dst);
    return NNQ_STATUS_OK;
}

/* ---- scoring ---- */

/* Divergences closer than this to the minimum count as ties (the reference
 * then takes the largest candidate); it only absorbs rounding noise. */
#define CALIB_KL_TIE 1e-12

static double xlogx(double v) {
    return v > 0.0 ? v * log(v) : 0.0;
}

/*
 * TensorRT's KL search in the formulation of pytorch-quantization's
 * _compute_amax_entropy, evaluated in O(nq) per candidate from prefix sums:
 * KL = (sum r log r - sum r log d) / R + log(D / R), where r is the
 * reference distribution (outliers folded into the last bin), d the
 * expanded quantized one, R and D their totals.
 */
static nnq_status hist_entropy(const calib_hist *h, int nq, int stride, int start_bin, float *out) {
    const size_t n = h->nbins;
    double *ps = nnq_malloc((n + 1) * sizeof *ps);      /* prefix counts */
    double *pl = nnq_malloc((n + 1) * sizeof *pl);      /* prefix b log b */
    uint32_t *pn = nnq_malloc((n + 1) * sizeof *pn);    /* prefix nonzero bins */
    if (!ps || !pl || !pn) {
        nnq_free(ps), nnq_free(pl), nnq_free(pn);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib histogram: entropy scratch");
    }
    ps[0] = pl[0] = 0.0;
    pn[0] = 0;
    for (size_t j = 0; j < n; j++) {
        /* The reference replaces bin 0 (mostly exact zeros) by bin 1. */
        double b = (double)h->counts[j == 0 && n > 1 ? 1 : j];
        ps[j + 1] = ps[j] + b;
        pl[j + 1] = pl[j] + xlogx(b);
        pn[j + 1] = pn[j] + (b != 0.0);
    }
    const double total = ps[n];
    double best = HUGE_VAL;
    size_t best_i = 0;
    bool have = false, nan_seen = false;
    for (size_t i = (size_t)start_bin; i <= n; i += (size_t)stride) {
        if (i == 0) continue;
        const double d_total = ps[i], outl = total - ps[i];
        const double last = ps[i] - ps[i - 1];
        double kl;
        if (total == 0.0 || d_total == 0.0) {
            kl = (double)NAN;
        } else if (last == 0.0 && outl > 0.0) {
            kl = HUGE_VAL;
        } else {
            double rlogd = 0.0, d_last = 0.0;
            for (size_t g = 0; g < (size_t)nq; g++) {
                size_t lo = (g * i + (size_t)nq - 1) / (size_t)nq;
                size_t hi = ((g + 1) * i + (size_t)nq - 1) / (size_t)nq;
                uint32_t cnt = pn[hi] - pn[lo];
                if (!cnt) continue;
                double s = ps[hi] - ps[lo];
                double dv = s / (double)cnt;
                rlogd += s * log(dv);
                if (hi == i) d_last = dv;
            }
            if (outl > 0.0) rlogd += outl * log(d_last);
            double rlogr = pl[i - 1] + xlogx(last + outl);
            kl = (rlogr - rlogd) / total + log(d_total / total);
            if (kl < 0.0) kl = 0.0; /* rounding below the true minimum 0 */
        }
        /* numpy's argmin over the reversed list: a NaN wins, else the
         * minimum, ties resolved toward the larger candidate. */
        if (isnan(kl)) {
            nan_seen = true;
            best_i = i;
        } else if (!nan_seen && (!have || kl <= best + CALIB_KL_TIE)) {
            if (!have || kl < best) best = kl;
            best_i = i;
        }
        have = true;
    }
    nnq_free(ps), nnq_free(pl), nnq_free(pn);
    *out = h->edges[best_i];
    return NNQ_STATUS_OK;
}

/*
 * pytorch-quantization's _compute_amax_mse: every bin center fake-quantized
 * at every candidate center from start_bin, count-weighted squared error.
 * Each term is the reference's fp32 value; the sum runs in double over the
 * nonempty bins (empty ones add exactly 0), in the kernel's fixed lane
 * order, so SIMD and scalar agree bit for bit.  The reference's fp32 mean
 * rounds differently: candidates within ~1e-7 relative of each other may
 * rank differently (the goldens and the bench histogram agree).
 */
static nnq_status hist_mse(const calib_hist *h, const nnq_calib_config *cfg, int stride,
                           int start_bin, float *out) {
    const size_t nc = h->n_edges - 1, n = h->nbins, pad = (n + 7) / 8 * 8;
    float *cen = nnq_malloc(pad * sizeof *cen), *cnt = nnq_malloc(pad * sizeof *cnt);
    float *all = nnq_malloc(nc * sizeof *all);
    if (!cen || !cnt || !all) {
        nnq_free(cen), nnq_free(cnt), nnq_free(all);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib histogram: mse scratch");
    }
    size_t m = 0;
    for (size_t k = 0; k < nc; k++) {
        all[k] = (h->edges[k + 1] + h->edges[k]) / 2.0f;
        if (k < n && h->counts[k]) {
            cen[m] = all[k];
            cnt[m++] = (float)h->counts[k];
        }
    }
    for (; m % 8; m++) cen[m] = cnt[m] = 0.0f; /* zero terms */
    const calib_kernels *kern = calib_kernels_get();
    const float bound = calib_bound(cfg), lo = cfg->is_unsigned ? 0.0f : -bound;
    double best = HUGE_VAL;
    size_t best_i = (size_t)start_bin;
    for (size_t i = (size_t)start_bin; i < nc; i += (size_t)stride) {
        double err = kern->mse_err(cen, cnt, m, all[i], bound, lo);
        if (err < best) best = err, best_i = i;
    }
    *out = all[best_i];
    nnq_free(cen), nnq_free(cnt), nnq_free(all);
    return NNQ_STATUS_OK;
}

/* numpy: cdf = cumsum(hist / total); idx = searchsorted(cdf, p / 100), the
 * first bin whose float cumulative sum reaches the target; its left edge. */
size_t calib_hist_percentile_ref(const calib_hist *h, double percentile) {
    uint64_t total = 0;
    for (size_t k = 0; k < h->nbins; k++) total += h->counts[k];
    const double target = percentile / 100.0;
    double cdf = 0.0;
    for (size_t k = 0; k < h->nbins; k++) {
        cdf += (double)h->counts[k] / (double)total;
        if (cdf >= target) return k;
    }
    return h->nbins;
}

/* Whole blocks of CALIB_HIST_BLOCK bins are crossed in one step when the
 * prefix at the block's far end still satisfies the test (P_k is monotone),
 * so a scan costs at most nbins / 64 block steps plus 64 bin steps. */

/* From k with *p = P_k: the smallest j <= k with P_i >= t for all i in
 * [j, k], stepping down only while j > 0; *p = P_j. */
static size_t scan_down(const calib_hist *h, size_t k, uint64_t *p, uint64_t t) {
    uint64_t q = *p;
    for (;;) {
        const size_t b = k / CALIB_HIST_BLOCK, first = b * CALIB_HIST_BLOCK;
        const bool block_end = k + 1 == h->nbins || (k + 1) % CALIB_HIST_BLOCK == 0;
        if (first > 0 && block_end && q - h->blocks[b] >= t) {
            q -= h->blocks[b];
            k = first - 1;
        } else if (k > 0 && q - h->counts[k] >= t) {
            q -= h->counts[k--];
        } else {
            break;
        }
    }
    *p = q;
    return k;
}

/* From k with *p = P_{k-1} (0 for k == 0): the first j >= k with P_j >= t
 * (t <= the total, so it exists and no block past it is crossed); *p = P_j. */
static size_t scan_up(const calib_hist *h, size_t k, uint64_t *p, uint64_t t) {
    uint64_t q = *p;
    for (;;) {
        if (k % CALIB_HIST_BLOCK == 0 && q + h->blocks[k / CALIB_HIST_BLOCK] < t) {
            q += h->blocks[k / CALIB_HIST_BLOCK];
            k += CALIB_HIST_BLOCK;
        } else if ((q += h->counts[k]) < t) {
            k++;
        } else {
            break;
        }
    }
    *p = q;
    return k;
}

/*
 * The same index without the sequential float sum: the float cdf of bin k
 * is within (2k + 2) ulp of the exact P_k / total (P_k the integer prefix
 * count), so the first bin whose exact fraction exceeds target + margin
 * is the answer when it is also the first one above target - margin.  The
 * scan runs from the nearer end with integer compares; an ambiguous
 * crossing (rare) falls back to the reference loop.
 */
static size_t hist_percentile_index(const calib_hist *h, double percentile) {
    const size_t n = h->nbins;
    const uint64_t total = h->total;
#ifndef NDEBUG
    uint64_t chk;
    assert(calib_hist_sum(h->counts, n, &chk) && chk == total);
    for (size_t b = 0; b * CALIB_HIST_BLOCK < n; b++)
        assert(calib_hist_sum(h->counts + b * CALIB_HIST_BLOCK,
                              NNQ_MIN(n - b * CALIB_HIST_BLOCK, (size_t)CALIB_HIST_BLOCK), &chk) &&
               chk == h->blocks[b]);
#endif
    const double target = percentile / 100.0, margin = ldexp((double)n + 8.0, -49);
    const double td = (double)total;
    /* Conservative integer thresholds: lo_t <= (target - margin) * total,
     * hi_t >= (target + margin) * total. */
    const double lo_d = floor((target - margin) * td) - 1.0, hi_d = ceil((target + margin) * td) + 1.0;
    if (!(lo_d > 0.0) || !(hi_d < td)) return calib_hist_percentile_ref(h, percentile);
    const uint64_t lo_t = (uint64_t)lo_d, hi_t = (uint64_t)hi_d;
    size_t first_lo, first_hi; /* first k with P_k >= lo_t, resp. >= hi_t */
    if (target > 0.5) {
        uint64_t p = total;
        first_hi = scan_down(h, n - 1, &p, hi_t);
        first_lo = scan_down(h, first_hi, &p, lo_t);
    } else {
        uint64_t p = 0;
        first_lo = scan_up(h, 0, &p, lo_t);
        first_hi = p >= hi_t ? first_lo : scan_up(h, first_lo + 1, &p, hi_t);
    }
    return first_lo == first_hi ? first_lo : calib_hist_percentile_ref(h, percentile);
}

static float hist_percentile(const calib_hist *h, double percentile) {
    size_t idx = hist_percentile_index(h, percentile);
    if (idx >= h->n_edges) idx = h->n_edges - 1;
    return h->edges[idx];
}

nnq_status calib_hist_amax(const calib_hist *h, const nnq_calib_config *cfg,
                           const nnq_calib_amax_options *opt, float *amax) {
    if (h->nbins == 0) {
        /* Only zeros seen: every method of the reference returns 0. */
        *amax = 0.0f;
        return NNQ_STATUS_OK;
    }
    if ((size_t)opt->start_bin > h->nbins)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "calib histogram: start_bin %d exceeds the histogram's %zu bins",
                         opt->start_bin, h->nbins);
    switch (opt->method) {
    case NNQ_CALIB_METHOD_PERCENTILE: *amax = hist_percentile(h, opt->percentile); return NNQ_STATUS_OK;
    case NNQ_CALIB_METHOD_MSE:
        if ((size_t)opt->start_bin >= h->n_edges - 1)
            return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                             "calib histogram: mse start_bin %d leaves no candidate below %zu "
                             "bin centers",
                             opt->start_bin, h->n_edges - 1);
        return hist_mse(h, cfg, opt->stride, opt->start_bin, amax);
    default:
        return hist_entropy(h, 1 << (cfg->num_bits - 1 + (cfg->is_unsigned ? 1 : 0)), opt->stride,
                            opt->start_bin, amax);
    }
}
