/* quant_internal.h - helpers shared inside the quant layer (not installed). */
#ifndef NNQ_QUANT_INTERNAL_H
#define NNQ_QUANT_INTERNAL_H

#include "internal.h"

/* A small float format: widths, exponent bias, special-value kind, max. */
typedef struct nnq_minifloat {
    int ebits, mbits, bias, kind;
    float max;
} nnq_minifloat;

NNQ_INTERNAL extern const nnq_minifloat nnq_mf_e4m3fn, nnq_mf_e5m2, nnq_mf_e4m3fnuz,
    nnq_mf_e5m2fnuz, nnq_mf_e2m1;
/* Reference encoder (frexp-style arithmetic, obviously RNE) and the fast
 * bit-level one used everywhere else; both must agree on every input. */
/* amax[i] must be finite (OUT_OF_RANGE) and >= 0 (NEGATIVE_AMAX); the
 * message names fn and the index.  Checks amax[0, n). */
NNQ_INTERNAL nnq_status nnq_quant_check_amax(const char *fn, const float *amax, size_t n);
NNQ_INTERNAL uint8_t nnq_mf_encode(const nnq_minifloat *f, float x, bool saturate);
NNQ_INTERNAL uint8_t nnq_mf_encode_fast(const nnq_minifloat *f, float x, bool saturate);
NNQ_INTERNAL float nnq_mf_decode(const nnq_minifloat *f, uint8_t code);

/* Normal-float grids (ascending) and their nearest-entry encoders. */
NNQ_INTERNAL extern const float nnq_nf4_grid[16], nnq_nf3_grid[8];
NNQ_INTERNAL uint8_t nnq_nf4_from_float(float x);
NNQ_INTERNAL uint8_t nnq_nf3_from_float(float x);

/*
 * Elements of a layout are visited as runs: `len` consecutive elements
 * starting at `start` whose scales are scale[sidx + i * sstride] (sstride 0:
 * one scale for the run; 1: per-element scales, the per-channel-on-the-last-
 * axis case).  Runs are produced in element order.
 */
typedef struct nnq_run {
    size_t start, len, sidx, sstride;
} nnq_run;

typedef struct nnq_run_iter {
    const nnq_qlayout *l;
    int k;            /* last dimension whose block is not the whole dim */
    size_t run;       /* elements per constant-scale run (0: vector mode) */
    size_t rowlen;    /* elements per row in vector mode */
    size_t pos, end;
    size_t nb;        /* scales along dimension k (run mode) */
    bool have_last;   /* last_run / last_bk / last_sidx are valid */
    size_t last_run, last_bk, last_sidx;
} nnq_run_iter;

NNQ_INTERNAL void nnq_run_iter_init(nnq_run_iter *it, const nnq_qlayout *l, size_t start,
                                    size_t end);
NNQ_INTERNAL bool nnq_run_iter_next(nnq_run_iter *it, nnq_run *r);

/* Elements per parallel tile of the element-wise kernels (fixed, so the
 * partition never depends on the thread count). */
#define NNQ_QUANT_TILE ((size_t)1 << 16)

/* Validation shared by the entry points. */
NNQ_INTERNAL nnq_status nnq_qlayout_check(const char *fn, const nnq_qlayout *l);
NNQ_INTERNAL nnq_status nnq_int_format_check(const char *fn, const nnq_int_format *f);

/*
 * Integer kernels over one run, selected once from CPU features.  `scale`
 * holds per-run multipliers (amax convention: bound / amax, fq divides by
 * it) or divisors (linear convention); zp NULL is zero.  Output element
 * width is 1 (bits <= 8) or 2 bytes.
 */
typedef struct nnq_int_kernel_args {
    float lo, hi;          /* grid bounds as floats */
    int width;             /* bytes per stored value: 1 or 2 */
    bool is_unsigned;
    bool stream;           /* output too big for the cache: non-temporal stores allowed */
} nnq_int_kernel_args;

/* Outputs of at least this many bytes (8 MiB) bypass the cache (a consumer
 * will not find them there anyway); smaller ones stay cached for the next
 * operator.  A variable so tests can force the streaming path. */
NNQ_INTERNAL extern size_t nnq_quant_stream_bytes;

typedef void (*nnq_q_amax_fn)(const float *x, size_t n, const float *scale, size_t sstride,
                              const nnq_int_kernel_args *a, void *q);
typedef void (*nnq_fq_amax_fn)(const float *x, size_t n, const float *scale, size_t sstride,
                               const nnq_int_kernel_args *a, float *y);
typedef void (*nnq_q_linear_fn)(const float *x, size_t n, const float *scale, const float *zp,
                                size_t sstride, const nnq_int_kernel_args *a, void *q);
typedef void (*nnq_fq_linear_fn)(const float *x, size_t n, const float *scale, const float *zp,
                                 size_t sstride, const nnq_int_kernel_args *a, float *y);

typedef struct nnq_int_kernels {
    nnq_q_amax_fn q_amax;
    nnq_fq_amax_fn fq_amax;
    nnq_q_linear_fn q_linear;
    nnq_fq_linear_fn fq_linear;
} nnq_int_kernels;

NNQ_INTERNAL extern const nnq_int_kernels nnq_int_kernels_ref;
#if !defined(NNQ_REFERENCE_ONLY)
NNQ_INTERNAL extern const nnq_int_kernels nnq_int_kernels_avx2;
#endif
#if !defined(NNQ_REFERENCE_ONLY)
/* AVX2 FP8 / FP4 encoding of x * mul, saturating; returns how many leading
 * elements it did (a multiple of 32); the rest is the caller's. */
NNQ_INTERNAL size_t nnq_mf_quantize_avx2(const nnq_minifloat *f, const float *x, size_t n,
                                         float mul, uint8_t *codes);
/* AVX2 NVFP4 quantization of blocks [first, first + count). */
NNQ_INTERNAL void nnq_nvfp4_blocks_avx2(const float *x, size_t first, size_t count,
                                        float tensor_scale, uint8_t *codes, uint8_t *scales);
#endif
/* True when the AVX2 + FMA kernels may run (not forced scalar). */
NNQ_INTERNAL bool nnq_quant_use_avx2(void);

/* The table for the current nnq_cpu_features(). */
NNQ_INTERNAL const nnq_int_kernels *nnq_int_kernels_get(void);

/* Scalar clamp that lets NaN through (matches max_ps(lo, v) / min_ps(hi, v)). */
static inline float nnq_clampf_nan(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

#endif
