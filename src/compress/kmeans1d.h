/*
 * kmeans1d.h - weighted 1-D k-means over sorted data (internal).
 *
 * Assignment rule (shared by every path, and by the plain O(nk) Lloyd the
 * tests compare against): centroids are kept sorted ascending; x belongs to
 * the lowest-index centroid c minimising fabsf(x - c) evaluated in fp32.
 * Because fl(x - c) is monotone in x, the set of x that prefer c[j+1] over
 * c[j] is a ray [T, +inf), so the assignment is a step function of x given by
 * per-boundary thresholds T, which split sorted data into contiguous ranges.
 * That turns a Lloyd step into 2k binary searches plus range sums over block
 * prefix sums: O(k (log n + B)) per iteration after one O(n) sort.
 */
#ifndef NNQ_COMPRESS_KMEANS1D_H
#define NNQ_COMPRESS_KMEANS1D_H

#include "internal.h"

#define NNQ_KM1D_MAX_K 256
#define NNQ_KM1D_BLOCK 64 /* elements per stored prefix sum */

/* Order-preserving map of finite floats to uint32 (and back). */
static inline uint32_t nnq_km1d_key(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
static inline float nnq_km1d_unkey(uint32_t k) {
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

/*
 * Sort finite x ascending (by value; -0 before +0), carrying w along when not
 * NULL.  Stable LSD radix sort on the pool (NULL: serial); tmp_x / tmp_w hold
 * n elements of scratch (tmp_w only with w).  Errors: OUT_OF_MEMORY.
 */
NNQ_INTERNAL nnq_status nnq_km1d_sort(float *x, float *w, size_t n, float *tmp_x, float *tmp_w,
                                      nnq_pool *pool);

/* Sorted data with block prefix sums of w, w*x and w*x*x. */
typedef struct nnq_km1d {
    const float *x; /* n values, ascending */
    const float *w; /* NULL (unit weights) or n weights >= 0 */
    size_t n;
    size_t n_distinct;
    double *pw, *pwx, *pwxx; /* nblocks + 1 prefix sums at block starts */
} nnq_km1d;

/* Build the prefix sums (allocates; release with nnq_km1d_release). */
NNQ_INTERNAL nnq_status nnq_km1d_init(nnq_km1d *s, const float *x, const float *w, size_t n);
NNQ_INTERNAL void nnq_km1d_release(nnq_km1d *s);

/* Sums over the sorted range [lo, hi). */
NNQ_INTERNAL void nnq_km1d_range(const nnq_km1d *s, size_t lo, size_t hi, double *sw, double *swx,
                                 double *swxx);

/*
 * Decision thresholds of sorted centroids c[0..k): t[j] (j = 1..k-1) is the
 * smallest float assigned to a centroid of index >= j, +inf if none
 * (duplicates of a lower centroid never win).  t[0] = -inf.
 */
NNQ_INTERNAL void nnq_km1d_thresholds(const float *c, size_t k, float *t);
/* Index of x's centroid given the thresholds of nnq_km1d_thresholds. */
static inline size_t nnq_km1d_lookup(const float *t, size_t k, float x) {
    size_t lo = 0, hi = k; /* answer in [lo, hi): last j with t[j] <= x */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
/* Cluster ranges of the sorted data: cluster j is [start[j], start[j + 1]). */
NNQ_INTERNAL void nnq_km1d_bounds(const nnq_km1d *s, const float *c, size_t k, size_t *start);

/*
 * k-means++ seeding (Arthur & Vassilvitskii 2007): the first centroid drawn
 * with probability proportional to w, each next one proportional to w * D^2,
 * D the distance to the nearest centroid so far.  Needs n_distinct > k.
 * Writes k sorted, distinct centroids.
 */
NNQ_INTERNAL void nnq_km1d_seed(const nnq_km1d *s, size_t k, nnq_rng *rng, float *c);

/*
 * Lloyd iterations from the sorted centroids c (updated in place, kept
 * sorted).  Each iteration assigns, stops if the assignment did not change,
 * then moves every non-empty cluster's centroid to its weighted mean (an
 * empty one keeps its place); it also stops when the summed squared shift
 * is <= tol_abs, or after max_iter updates.  Returns the number of updates.
 */
NNQ_INTERNAL int nnq_km1d_lloyd(const nnq_km1d *s, float *c, size_t k, int max_iter,
                                double tol_abs);

/* Full k-means of sorted data into k entries: the distinct values padded
 * with the largest when there are at most k, else seed + Lloyd.  tol is
 * relative to the weighted variance.  *iters gets the Lloyd updates. */
NNQ_INTERNAL nnq_status nnq_km1d_fit(const float *x, const float *w, size_t n, size_t k,
                                     nnq_rng *rng, int max_iter, double tol, float *c, int *iters);

#endif
