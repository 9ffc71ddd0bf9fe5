/*
 * calib_impl.h - internal state and kernels of the calib layer.
 */
#ifndef NNQ_CALIB_IMPL_H
#define NNQ_CALIB_IMPL_H

#include "internal.h"

/* One channel's histogram of |x| (pytorch-quantization torch_hist layout). */
typedef struct calib_hist {
    uint64_t *counts;       /* nbins */
    size_t nbins;
    float *edges;           /* n_edges, edges[0] == 0 */
    size_t n_edges;
    uint64_t zeros_pending; /* zeros seen while every value so far was 0 */
    /* Kept by calib_hist_refresh after every change to counts, so that
     * percentile finds its bin without summing the histogram. */
    uint64_t total;   /* sum of counts */
    uint64_t *blocks; /* sum of each CALIB_HIST_BLOCK bins, ceil(nbins / CALIB_HIST_BLOCK) */
} calib_hist;
#define CALIB_HIST_BLOCK 64

struct nnq_calib {
    nnq_calib_config cfg;
    size_t channels; /* 0 until the first batch */
    uint64_t batches;
    float *vmin, *vmax;   /* min-max kinds */
    float *amax;          /* MAX, EMA_PERCENTILE, EMA_MSE */
    double *sum, *sum2;   /* MSE: sum of batch optima; LSQ: sum|x| or sum x, sum x^2 */
    uint64_t *count;      /* LSQ: elements per channel */
    float *history;       /* MAX track_amax: batches x channels */
    size_t history_cap;   /* rows allocated */
    calib_hist *hist;     /* HISTOGRAM: channels */
};

/* A batch seen as [outer, channels, inner]; channel c owns outer*inner
 * elements, visited in contiguous runs. */
typedef struct calib_view {
    const float *x;
    size_t outer, channels, inner;
} calib_view;

typedef void (*calib_run_fn)(void *acc, const float *x, size_t n);
NNQ_INTERNAL void calib_view_runs(const calib_view *v, size_t c, size_t start, size_t count,
                                  calib_run_fn run, void *acc);

/* Reduction of a run: min, max and the largest |x| bit pattern (which is
 * the exact max|x| and is >= 0x7f800000 when a NaN or Inf is present). */
typedef struct calib_minmax {
    float mn, mx;
    uint32_t absbits;
} calib_minmax;

/* Histogram binning parameters, replaying torch.histc(min=0, max=edge):
 * pos = (int)((|x| * nbins) / edge) in fp32, |x| > edge skipped, pos ==
 * nbins folded into the last bin.  Skipped zeros land in slot nbins and
 * values above edge (or NaN) in slot CALIB_BIN_OVER, so that a pass over a
 * batch can tell whether the range had to grow without a separate scan. */
#define CALIB_BIN_SLOTS(nbins) ((size_t)(nbins) + 2)
#define CALIB_BIN_OVER(nbins) ((size_t)(nbins) + 1)
typedef struct calib_bin_params {
    float nbins_f;
    float edge;
    uint32_t nbins;
    bool skip_zeros;
} calib_bin_params;

/* Number of interleaved sub-histograms a binning kernel fills, so that
 * runs of equal bins do not serialize on one counter. */
#define CALIB_SUBHIST 4

typedef struct calib_kernels {
    void (*minmax)(const float *x, size_t n, calib_minmax *acc);
    /* Elementwise running min / max / max|x| bits over rows: mn[j], mx[j],
     * ab[j] take x[j] in (v < mn ? v : mn, v > mx ? v : mx) order. */
    void (*minmax_row)(const float *x, size_t n, float *mn, float *mx, uint32_t *ab);
    /* sub: CALIB_SUBHIST x CALIB_BIN_SLOTS(nbins) uint32 counters; n < 2^32. */
    void (*bin)(const float *x, size_t n, const calib_bin_params *p, uint32_t *sub);
    /* sum over k of (fake_quant(cen[k], amax) - cen[k])^2 * cnt[k], each term
     * in fp32 as the reference computes it, summed in double into 8 lanes
     * (term k into lane k % 8) combined as calib_lanes_sum; m % 8 == 0. */
    double (*mse_err)(const float *cen, const float *cnt, size_t m, float amax, float bound,
                      float lo);
} calib_kernels;

/* Fixed combination of the 8 double lanes of mse_err: (l_j + l_{j+4}) pairs,
 * then ((p0 + p1) + (p2 + p3)), the order the AVX2 reduction uses. */
static inline double calib_lanes_sum(const double l[8]) {
    double p0 = l[0] + l[4], p1 = l[1] + l[5], p2 = l[2] + l[6], p3 = l[3] + l[7];
    return (p0 + p1) + (p2 + p3);
}

NNQ_INTERNAL void calib_minmax_ref(const float *x, size_t n, calib_minmax *acc);
NNQ_INTERNAL void calib_minmax_row_ref(const float *x, size_t n, float *mn, float *mx,
                                      uint32_t *ab);
NNQ_INTERNAL void calib_bin_ref(const float *x, size_t n, const calib_bin_params *p,
                                uint32_t *sub);
NNQ_INTERNAL double calib_mse_err_ref(const float *cen, const float *cnt, size_t m, float amax,
                                      float bound, float lo);
#if !defined(NNQ_REFERENCE_ONLY)
NNQ_INTERNAL void calib_minmax_avx2(const float *x, size_t n, calib_minmax *acc);
NNQ_INTERNAL void calib_minmax_row_avx2(const float *x, size_t n, float *mn, float *mx,
                                       uint32_t *ab);
NNQ_INTERNAL void calib_bin_avx2(const float *x, size_t n, const calib_bin_params *p,
                                 uint32_t *sub);
NNQ_INTERNAL double calib_mse_err_avx2(const float *cen, const float *cnt, size_t m, float amax,
                                       float bound, float lo);
#endif
/* The kernels for the current nnq_cpu_features(). */
NNQ_INTERNAL const calib_kernels *calib_kernels_get(void);

static inline void calib_minmax_init(calib_minmax *m) {
    m->mn = __builtin_inff();
    m->mx = -__builtin_inff();
    m->absbits = 0;
}

/* Round half to even under the default rounding mode (quant's
 * nnq_round_half_even will replace it once that layer settles). */
NNQ_INTERNAL float calib_rne(float x);
/* pytorch-quantization fake quant: scale = bound / amax, q = clamp(rne(x *
 * scale)), returns q / scale; amax <= 2^-24 gives 0. */
NNQ_INTERNAL float calib_fake_quant(float x, float amax, float bound, float lo);

/* Histogram pieces (hist.c). */
NNQ_INTERNAL void calib_hist_free(calib_hist *h);
/* *total = sum of counts[0..n); false when it does not fit in 64 bits. */
NNQ_INTERNAL bool calib_hist_sum(const uint64_t *counts, size_t n, uint64_t *total);
/* Recompute total and blocks from counts (blocks allocated for nbins). */
NNQ_INTERNAL void calib_hist_refresh(calib_hist *h);
/* Allocate counts, edges and blocks for nbins / n_edges (OUT_OF_MEMORY). */
NNQ_INTERNAL nnq_status calib_hist_alloc(calib_hist *h, size_t nbins, size_t n_edges);
NNQ_INTERNAL nnq_status calib_hist_grow(calib_hist *h, float x_max, int num_bins,
                                        size_t max_bins, size_t ch);
NNQ_INTERNAL nnq_status calib_hist_collect(nnq_calib *c, const calib_view *v,
                                           const calib_minmax *stats, nnq_pool *pool);
NNQ_INTERNAL nnq_status calib_hist_collect_fast(nnq_calib *c, const calib_view *v, nnq_pool *pool,
                                                bool *done);
NNQ_INTERNAL nnq_status calib_hist_merge(calib_hist *dst, const calib_hist *src,
                                         const nnq_calib_config *cfg, size_t ch);
/* searchsorted index of the reference percentile rule (sequential fp64 cdf). */
NNQ_INTERNAL size_t calib_hist_percentile_ref(const calib_hist *h, double percentile);
NNQ_INTERNAL nnq_status calib_hist_amax(const calib_hist *h, const nnq_calib_config *cfg,
                                        const nnq_calib_amax_options *opt, float *amax);

/* Largest quantized magnitude for the config: 2^(b-1)-1 signed, 2^b-1 unsigned. */
static inline float calib_bound(const nnq_calib_config *cfg) {
    int e = cfg->num_bits - 1 + (cfg->is_unsigned ? 1 : 0);
    return (float)((1u << e) - 1u);
}

NNQ_INTERNAL nnq_status calib_alloc_channels(nnq_calib *c, size_t channels);

#endif
