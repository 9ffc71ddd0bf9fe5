/*
 * nnq/calib.h - public API of the calib layer: observers and calibrators.
 * Include <nnq.h>.
 *
 * A calibrator (nnq_calib) streams fp32 batches and keeps a bounded state
 * from which a clipping range (amax, or min/max) is computed.  The kinds
 * follow NVIDIA pytorch-quantization / ModelOpt (max, histogram with
 * entropy / mse / percentile scoring) and torch.ao.quantization observers
 * (min-max, moving-average min-max, scale / zero-point).  docs/calibration.md
 * gives every definition, the data policy (NaN / Inf are rejected) and the
 * merge rules.
 *
 * Ownership: nnq_calib_create returns a handle freed by nnq_calib_free
 * (NULL is fine).  Collected tensors are only read during the call.  Output
 * arrays are caller-owned and must hold nnq_calib_channels() entries.
 * A failing call leaves the state unchanged.
 */
#ifndef NNQ_CALIB_H
#define NNQ_CALIB_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nnq_calib_kind {
    /* amax = max |x| (pytorch-quantization MaxCalibrator). */
    NNQ_CALIB_KIND_MAX = 1,
    /* running min / max (torch.ao MinMaxObserver, coremltools min_max). */
    NNQ_CALIB_KIND_MINMAX = 2,
    /* v += c * (batch - v), c = averaging_constant, 0.01 by default
     * (torch.ao MovingAverageMinMaxObserver, coremltools
     * moving_average_min_max). */
    NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX = 3,
    /* v = m * v + (1 - m) * batch, m = momentum (0.9 by default). */
    NNQ_CALIB_KIND_EMA_MINMAX = 4,
    /* histogram of |x| whose range grows like pytorch-quantization's
     * HistogramCalibrator (torch_hist path); scored by nnq_calib_compute_amax. */
    NNQ_CALIB_KIND_HISTOGRAM = 5,
    /* EMA (momentum) of the per-batch percentile of |x|. */
    NNQ_CALIB_KIND_EMA_PERCENTILE = 6,
    /* mean over batches of the MSE-optimal amax of each batch. */
    NNQ_CALIB_KIND_MSE = 7,
    /* EMA (momentum) of the MSE-optimal amax of each batch. */
    NNQ_CALIB_KIND_EMA_MSE = 8,
    /* LSQ initial step: s = 2 * mean|x| / sqrt(qmax). */
    NNQ_CALIB_KIND_LSQ = 9,
    /* LSQ+ initial step: s = max(|mu - 3 sigma|, |mu + 3 sigma|) / 2^(b-1). */
    NNQ_CALIB_KIND_LSQ_PLUS = 10,
} nnq_calib_kind;

/* Histogram scoring methods (pytorch-quantization compute_amax). */
typedef enum nnq_calib_method {
    NNQ_CALIB_METHOD_DEFAULT = 0,    /* the kind's own result; entropy for histograms */
    NNQ_CALIB_METHOD_ENTROPY = 1,    /* TensorRT KL-divergence search */
    NNQ_CALIB_METHOD_MSE = 2,        /* bin centers fake-quantized, min weighted MSE */
    NNQ_CALIB_METHOD_PERCENTILE = 3, /* left edge of the bin reaching the percentile */
} nnq_calib_method;

/*
 * Creation parameters.  Zero means "default" for every field, so
 * `nnq_calib_config c = {.kind = NNQ_CALIB_KIND_MAX};` is valid.
 */
typedef struct nnq_calib_config {
    nnq_calib_kind kind;
    bool per_axis;             /* false: one statistic for the whole tensor */
    int axis;                  /* kept axis when per_axis; negative counts from the end */
    int num_bits;              /* 8 by default; [1, 16]; used by mse / entropy / lsq */
    bool is_unsigned;          /* negative data is an error (NEGATIVE_UNSIGNED) */
    bool track_amax;           /* MAX: keep each batch's amax (grows per batch) */
    bool skip_zeros;           /* HISTOGRAM: exact zeros are not counted */
    int num_bins;              /* HISTOGRAM: initial bins, 2048 by default */
    size_t max_bins;           /* HISTOGRAM: growth limit, 1 << 20 by default */
    float averaging_constant;  /* MOVING_AVERAGE_MINMAX: 0.01 by default, (0, 1] */
    float momentum;            /* EMA kinds: 0.9 by default, [0, 1) */
    double percentile;         /* EMA_PERCENTILE: 99.99 by default, (0, 100] */
    int mse_grid;              /* MSE kinds: candidates amax * k / grid, 100 by default */
} nnq_calib_config;

typedef struct nnq_calib nnq_calib;

/**
 * Create a calibrator.  Errors: UNKNOWN_NAME (kind), BITS_OUT_OF_RANGE,
 * OUT_OF_RANGE (num_bins, max_bins, constants, percentile), OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_calib_create(const nnq_calib_config *config, nnq_calib **out);
NNQ_API void nnq_calib_free(nnq_calib *c);
/** Forget all collected data; the configuration stays. */
NNQ_API void nnq_calib_reset(nnq_calib *c);

/**
 * Stream one fp32 batch.  The number of channels (size of the kept axis) is
 * fixed by the first batch; per-tensor calibrators accept any shape.
 * pool may be NULL; results do not depend on its thread count.
 * Errors: DTYPE_MISMATCH (not float32), EMPTY (no elements),
 * AXIS_OUT_OF_RANGE, SHAPE_MISMATCH (channel count changed),
 * NEGATIVE_UNSIGNED, INVALID_ARGUMENT (NaN or Inf in the data),
 * LIMIT_EXCEEDED (histogram would exceed max_bins), OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_calib_collect(nnq_calib *c, const nnq_tensor *x, nnq_pool *pool);

/** Configuration the calibrator was created with (defaults filled in). */
NNQ_API const nnq_calib_config *nnq_calib_get_config(const nnq_calib *c);
/** Number of statistics (channels; 1 per-tensor, 0 before any data). */
NNQ_API size_t nnq_calib_channels(const nnq_calib *c);
/** Batches collected (merged states add up). */
NNQ_API uint64_t nnq_calib_batches(const nnq_calib *c);

/* Scoring options for nnq_calib_compute_amax; NULL or zero fields = defaults
 * (method DEFAULT, stride 1, start_bin 128, percentile 99.99). */
typedef struct nnq_calib_amax_options {
    nnq_calib_method method;
    int stride;        /* >= 1 */
    int start_bin;     /* >= 0 and <= the histogram's bins */
    double percentile; /* (0, 100] */
} nnq_calib_amax_options;

/**
 * amax per channel into amax[n] (n == nnq_calib_channels(c)).  MAX: max|x|;
 * min-max kinds: max(|min|, |max|); HISTOGRAM: the method's result; MSE /
 * percentile kinds: their running value; LSQ kinds: the step size times
 * qmax.  Errors: EMPTY (no data), INVALID_ARGUMENT (n, or a method on a
 * kind that has none), OUT_OF_RANGE (stride, start_bin, percentile).
 */
NNQ_API nnq_status nnq_calib_compute_amax(const nnq_calib *c, const nnq_calib_amax_options *opt,
                                          float *amax, size_t n);

/** Running min[n] and max[n] (min-max kinds only; INVALID_ARGUMENT otherwise). */
NNQ_API nnq_status nnq_calib_get_range(const nnq_calib *c, float *min, float *max, size_t n);

/**
 * LSQ / LSQ+ initial step size per channel (LSQ kinds only; INVALID_ARGUMENT
 * otherwise, EMPTY before data).
 */
NNQ_API nnq_status nnq_calib_lsq_init(const nnq_calib *c, float *step, size_t n);

/** The amax of every batch, n_batches x channels (MAX with track_amax). */
NNQ_API nnq_status nnq_calib_amax_history(const nnq_calib *c, const float **history,
                                          size_t *n_batches);

/**
 * Histogram of channel ch: *counts (nbins entries) and *edges (n_edges
 * entries, usually nbins + 1; like the reference, growth may add one more).
 * Pointers stay valid until the next call that changes c.  An empty
 * histogram gives nbins 0.
 */
NNQ_API nnq_status nnq_calib_histogram(const nnq_calib *c, size_t ch, const uint64_t **counts,
                                       size_t *nbins, const float **edges, size_t *n_edges);

/* torch.ao.quantization qparams from a min-max state. */
typedef enum nnq_qscheme {
    NNQ_QSCHEME_AFFINE = 0,    /* per_tensor_affine / per_channel_affine */
    NNQ_QSCHEME_SYMMETRIC = 1, /* per_tensor_symmetric / per_channel_symmetric */
} nnq_qscheme;

typedef struct nnq_qparams_options {
    nnq_qscheme scheme;
    bool is_signed;     /* qint8 [-128, 127] when true, quint8 [0, 255] when false */
    bool reduce_range;  /* halve the range as torch's reduce_range */
} nnq_qparams_options;

/**
 * scale[n] and zero_point[n] exactly as torch.ao's observers compute them
 * (range forced to contain 0, scale clamped to float32 eps, zero point
 * 128 for symmetric quint8).  Works on min-max kinds; other kinds use
 * [-amax, amax] (or [0, amax] unsigned).  Errors as nnq_calib_compute_amax.
 */
NNQ_API nnq_status nnq_calib_qparams(const nnq_calib *c, const nnq_qparams_options *opt,
                                     float *scale, int32_t *zero_point, size_t n);

/**
 * Fold src into dst as if dst had also collected src's batches.  MAX, MINMAX,
 * LSQ kinds: bit-exact.  HISTOGRAM: counts add bin by bin when the edges
 * agree; otherwise dst grows to cover src (the collect rule) and each src bin
 * moves to the dst bin holding its center.  MSE: batch-weighted mean.
 * Errors: INVALID_ARGUMENT (kinds or configs differ), SHAPE_MISMATCH
 * (channels differ), UNSUPPORTED (order-dependent EMA kinds).
 */
NNQ_API nnq_status nnq_calib_merge(nnq_calib *dst, const nnq_calib *src);

/**
 * Save the state to `path` atomically (versioned little-endian binary,
 * docs/calibration.md) / load it into a new handle.  Loading checks the
 * magic, version, sizes, every field's range and a trailing checksum:
 * INVALID_FORMAT on any violation, NOT_FOUND / IO_ERROR for the file.
 */
NNQ_API nnq_status nnq_calib_save(const nnq_calib *c, const char *path);
NNQ_API nnq_status nnq_calib_load(const char *path, nnq_calib **out);

/** Parse "max", "histogram", ... (the kind names in docs) / "entropy",
 *  "mse", "percentile".  UNKNOWN_NAME otherwise. */
NNQ_API nnq_status nnq_calib_kind_from_name(const char *name, nnq_calib_kind *out);
NNQ_API nnq_status nnq_calib_method_from_name(const char *name, nnq_calib_method *out);
NNQ_API const char *nnq_calib_kind_name(nnq_calib_kind kind);

#ifdef __cplusplus
}
#endif
#endif /* NNQ_CALIB_H */
