/*
 * kmeans1d.c - weighted 1-D k-means over sorted data; see kmeans1d.h.
 */
#include "compress/kmeans1d.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ---- radix sort ---------------------------------------------------------- */

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES 3
#define RADIX_TILE ((size_t)1 << 20) /* elements per tile of the parallel passes */

/*
 * Parallel LSD radix sort, three 11-bit passes.  Each pass histograms every
 * tile, gives tile t of bucket b the slots after all lower buckets and after
 * bucket b of tiles < t, and scatters each tile in order: a stable sort whose
 * result is unique, so independent of the thread count.  Keys travel in the
 * float arrays' memory through memcpy.
 */
typedef struct radix_ctx {
    float *src_x, *src_w, *dst_x, *dst_w;
    size_t n;
    unsigned shift;
    size_t (*hist)[RADIX_SIZE]; /* per tile */
} radix_ctx;

static inline uint32_t key_at(const float *x, size_t i) {
    uint32_t k;
    memcpy(&k, &x[i], 4);
    return k;
}

static void to_keys_task(void *ctx, size_t start, size_t count) {
    radix_ctx *r = ctx;
    for (size_t i = start; i < start + count; i++) {
        uint32_t k = nnq_km1d_key(r->src_x[i]);
        memcpy(&r->src_x[i], &k, 4);
    }
}

static void from_keys_task(void *ctx, size_t start, size_t count) {
    radix_ctx *r = ctx;
    for (size_t i = start; i < start + count; i++)
        r->dst_x[i] = nnq_km1d_unkey(key_at(r->src_x, i));
}

static void hist_task(void *ctx, size_t start, size_t count) {
    radix_ctx *r = ctx;
    size_t *h = r->hist[start / RADIX_TILE];
    memset(h, 0, RADIX_SIZE * sizeof *h);
    for (size_t i = start; i < start + count; i++)
        h[(key_at(r->src_x, i) >> r->shift) & (RADIX_SIZE - 1)]++;
}

static void scatter_task(void *ctx, size_t start, size_t count) {
    radix_ctx *r = ctx;
    size_t *off = r->hist[start / RADIX_TILE];
    for (size_t i = start; i < start + count; i++) {
        uint32_t k = key_at(r->src_x, i);
        size_t d = off[(k >> r->shift) & (RADIX_SIZE - 1)]++;
        memcpy(&r->dst_x[d], &k, 4);
        if (r->src_w) r->dst_w[d] = r->src_w[i];
    }
}

/* Turn per-tile counts into per-tile output offsets; false when one bucket
 * holds every key (the pass would not move anything). */
static bool tile_offsets(size_t (*hist)[RADIX_SIZE], size_t ntiles, size_t n) {
    size_t sum = 0;
    for (size_t b = 0; b < RADIX_SIZE; b++) {
        size_t bucket = 0;
        for (size_t t = 0; t < ntiles; t++) {
            size_t c = hist[t][b];
            hist[t][b] = sum;
            sum += c;
            bucket += c;
        }
        if (bucket == n) return false;
    }
    return true;
}

nnq_status nnq_km1d_sort(float *x, float *w, size_t n, float *tmp_x, float *tmp_w, nnq_pool *pool) {
    size_t ntiles = nnq_tile_count(n, RADIX_TILE);
    if (n < 2) return NNQ_STATUS_OK;
    radix_ctx r = {x, w, tmp_x, tmp_w, n, 0, nnq_malloc(ntiles * sizeof *r.hist)};
    if (!r.hist)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "sort: no memory for %zu histograms", ntiles);
    nnq_pool_parallelize_1d(pool, to_keys_task, &r, n, RADIX_TILE);
    for (unsigned p = 0; p < RADIX_PASSES; p++) {
        r.shift = p * RADIX_BITS;
        nnq_pool_parallelize_1d(pool, hist_task, &r, n, RADIX_TILE);
        if (!tile_offsets(r.hist, ntiles, n)) continue;
        nnq_pool_parallelize_1d(pool, scatter_task, &r, n, RADIX_TILE);
        float *t = r.src_x;
        r.src_x = r.dst_x;
        r.dst_x = t;
        t = r.src_w;
        r.src_w = r.dst_w;
        r.dst_w = t;
    }
    r.dst_x = x; /* in place when the keys already sit in x */
    nnq_pool_parallelize_1d(pool, from_keys_task, &r, n, RADIX_TILE);
    if (w && r.src_w != w) memcpy(w, r.src_w, n * sizeof *w);
    nnq_free(r.hist);
    return NNQ_STATUS_OK;
}

/* ---- prefix sums ------------------------------------------------------- */

static inline double weight_at(const nnq_km1d *s, size_t i) { return s->w ? (double)s->w[i] : 1.0; }

static void direct_sums(const nnq_km1d *s, size_t lo, size_t hi, double *sw, double *swx,
                        double *swxx) {
    double a = 0.0, b = 0.0, c = 0.0;
    for (size_t i = lo; i < hi; i++) {
        double wi = weight_at(s, i), xi = (double)s->x[i];
        a += wi;
        b += wi * xi;
        c += wi * xi * xi;
    }
    *sw = a;
    *swx = b;
    *swxx = c;
}

nnq_status nnq_km1d_init(nnq_km1d *s, const float *x, const float *w, size_t n) {
    size_t nb = n / NNQ_KM1D_BLOCK + 1;
    memset(s, 0, sizeof *s);
    s->x = x;
    s->w = w;
    s->n = n;
    s->pw = nnq_calloc(3 * nb, sizeof(double));
    if (!s->pw)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "k-means: no memory for %zu prefix sums",
                         3 * nb);
    s->pwx = s->pw + nb;
    s->pwxx = s->pwx + nb;
    for (size_t b = 1; b < nb; b++) {
        double a, bx, c;
        direct_sums(s, (b - 1) * NNQ_KM1D_BLOCK, b * NNQ_KM1D_BLOCK, &a, &bx, &c);
        s->pw[b] = s->pw[b - 1] + a;
        s->pwx[b] = s->pwx[b - 1] + bx;
        s->pwxx[b] = s->pwxx[b - 1] + c;
    }
    s->n_distinct = n > 0;
    for (size_t i = 1; i < n; i++) s->n_distinct += x[i] != x[i - 1];
    return NNQ_STATUS_OK;
}

void nnq_km1d_release(nnq_km1d *s) {
    nnq_free(s->pw);
    s->pw = s->pwx = s->pwxx = NULL;
}

/* Sums over [0, p). */
static void prefix_at(const nnq_km1d *s, size_t p, double *sw, double *swx, double *swxx) {
    size_t b = p / NNQ_KM1D_BLOCK;
    double a, bx, c;
    direct_sums(s, b * NNQ_KM1D_BLOCK, p, &a, &bx, &c);
    *sw = s->pw[b] + a;
    *swx = s->pwx[b] + bx;
    *swxx = s->pwxx[b] + c;
}

void nnq_km1d_range(const nnq_km1d *s, size_t lo, size_t hi, double *sw, double *swx,
                    double *swxx) {
    /* Short ranges are summed directly: less cancellation than differencing
     * two large prefixes, and no slower. */
    if (hi - lo <= 2 * NNQ_KM1D_BLOCK) {
        direct_sums(s, lo, hi, sw, swx, swxx);
        return;
    }
    double a0, b0, c0, a1, b1, c1;
    prefix_at(s, lo, &a0, &b0, &c0);
    prefix_at(s, hi, &a1, &b1, &c1);
    *sw = a1 - a0;
    *swx = b1 - b0;
    *swxx = c1 - c0;
}

/* ---- assignment --------------------------------------------------------- */

/* x prefers b over a (a < b): strictly nearer in fp32. */
static inline bool prefers_upper(float x, float a, float b) { return fabsf(x - b) < fabsf(x - a); }

/* Smallest float preferring b over a (a < b): binary search over the ordered
 * keys of [a, b]; the predicate is false at a and true at b. */
static float boundary(float a, float b) {
    uint32_t lo = nnq_km1d_key(a), hi = nnq_km1d_key(b); /* pred(lo) false, pred(hi) true */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (prefers_upper(nnq_km1d_unkey(mid), a, b))
            hi = mid;
        else
            lo = mid;
    }
    return nnq_km1d_unkey(hi);
}

void nnq_km1d_thresholds(const float *c, size_t k, float *t) {
    size_t active = 0; /* lowest index of the centroid value currently winning */
    t[0] = -INFINITY;
    for (size_t j = 1; j < k; j++) {
        if (c[j] == c[active]) {
            t[j] = NAN; /* filled below with the next distinct threshold */
            continue;
        }
        t[j] = boundary(c[active], c[j]);
        active = j;
    }
    /* A duplicate never wins: give it the next distinct centroid's threshold
     * so lookups, which take the last j with t[j] <= x, skip over it. */
    float next = INFINITY;
    for (size_t j = k; j-- > 1;) {
        if (isnan(t[j]))
            t[j] = next;
        else
            next = t[j];
    }
}

static size_t lower_bound(const float *x, size_t lo, size_t hi, float v) {
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void nnq_km1d_bounds(const nnq_km1d *s, const float *c, size_t k, size_t *start) {
    float t[NNQ_KM1D_MAX_K];
    assert(k >= 1 && k <= NNQ_KM1D_MAX_K);
    nnq_km1d_thresholds(c, k, t);
    start[0] = 0;
    for (size_t j = 1; j < k; j++) start[j] = lower_bound(s->x, start[j - 1], s->n, t[j]);
    start[k] = s->n;
}

/* ---- seeding ------------------------------------------------------------ */

/* Uniform double in [0, 1) with 53 random bits. */
static double uniform53(nnq_rng *rng) {
    uint64_t hi = nnq_rng_u32(rng), lo = nnq_rng_u32(rng);
    return (double)((hi << 21) ^ (lo >> 11)) * 0x1p-53;
}

/* w * (x - c)^2 summed over [lo, hi), from the range sums. */
static double potential(const nnq_km1d *s, size_t lo, size_t hi, double c) {
    double sw, swx, swxx;
    nnq_km1d_range(s, lo, hi, &sw, &swx, &swxx);
    double p = swxx - 2.0 * c * swx + c * c * sw;
    return p > 0.0 ? p : 0.0;
}

/* First position p in [lo, hi) whose cumulative sum from lo exceeds target. */
static size_t search_cumulative(const nnq_km1d *s, size_t lo, size_t hi, double c, double target,
                                bool by_weight) {
    size_t a = lo, b = hi - 1;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        double v;
        if (by_weight) {
            double sw, swx, swxx;
            nnq_km1d_range(s, lo, mid + 1, &sw, &swx, &swxx);
            v = sw;
        } else {
            v = potential(s, lo, mid + 1, c);
        }
        if (v > target)
            b = mid;
        else
            a = mid + 1;
    }
    return a;
}

static bool is_centroid(const float *c, size_t m, float v) {
    for (size_t j = 0; j < m; j++)
        if (c[j] == v) return true;
    return false;
}

static void insert_sorted(float *c, size_t m, float v) {
    size_t j = m;
    for (; j > 0 && c[j - 1] > v; j--) c[j] = c[j - 1];
    c[j] = v;
}

/* The stored point farthest from its centroid: a safe pick when rounding
 * makes the D^2 draw land on a centroid. */
static float farthest_point(const nnq_km1d *s, const float *c, size_t m, const size_t *start) {
    float best = s->x[0], best_d = -1.0f;
    for (size_t j = 0; j < m; j++) {
        if (start[j] == start[j + 1]) continue;
        float ends[2] = {s->x[start[j]], s->x[start[j + 1] - 1]};
        for (int e = 0; e < 2; e++) {
            float d = fabsf(ends[e] - c[j]);
            if (d > best_d) {
                best_d = d;
                best = ends[e];
            }
        }
    }
    return best;
}

/*
 * Total w * D^2 after adding v (not a centroid) to the distinct sorted
 * centroids c[0..m) whose clusters are start / phi: only the clusters on
 * either side of v change, so O(log n) instead of a full recount.
 */
static double potential_with(const nnq_km1d *s, const float *c, size_t m, const size_t *start,
                             const double *phi, double total, float v) {
    size_t j = 0; /* v's insertion position */
    while (j < m && c[j] < v) j++;
    size_t lo = start[j > 0 ? j - 1 : 0], hi = start[j < m ? j + 1 : m];
    size_t p1 = j > 0 ? lower_bound(s->x, lo, hi, boundary(c[j - 1], v)) : lo;
    size_t p2 = j < m ? lower_bound(s->x, p1, hi, boundary(v, c[j])) : hi;
    double before = (j > 0 ? phi[j - 1] : 0.0) + (j < m ? phi[j] : 0.0);
    double after = potential(s, p1, p2, (double)v);
    if (j > 0) after += potential(s, lo, p1, (double)c[j - 1]);
    if (j < m) after += potential(s, p2, hi, (double)c[j]);
    return total - before + after;
}

/* One D^2-weighted draw given the current m centroids. */
static float draw_candidate(const nnq_km1d *s, const float *c, size_t m, const size_t *start,
                            const double *phi, double total, nnq_rng *rng) {
    double target = uniform53(rng) * total;
    size_t j = 0;
    for (; j + 1 < m && (target >= phi[j] || phi[j] == 0.0); j++) target -= phi[j];
    float v = c[0];
    if (total > 0.0 && phi[j] > 0.0 && start[j] < start[j + 1])
        v = s->x[search_cumulative(s, start[j], start[j + 1], (double)c[j], target, false)];
    if (is_centroid(c, m, v)) v = farthest_point(s, c, m, start);
    return v;
}

void nnq_km1d_seed(const nnq_km1d *s, size_t k, nnq_rng *rng, float *c) {
    size_t start[NNQ_KM1D_MAX_K + 1];
    double phi[NNQ_KM1D_MAX_K];
    double total_w, swx, swxx;
    assert(s->n_distinct > k && k >= 1 && k <= NNQ_KM1D_MAX_K);
    /* Greedy k-means++ (as in Arthur & Vassilvitskii's paper and
     * scikit-learn): 2 + floor(ln k) candidates per step, keeping the one
     * that lowers the total potential most; fewer bad local minima than one
     * draw per step. */
    size_t trials = 2 + (size_t)log((double)k);

    nnq_km1d_range(s, 0, s->n, &total_w, &swx, &swxx);
    size_t p = s->w ? search_cumulative(s, 0, s->n, 0.0, uniform53(rng) * total_w, true)
                    : (size_t)(uniform53(rng) * (double)s->n);
    c[0] = s->x[p];
    for (size_t m = 1; m < k; m++) {
        nnq_km1d_bounds(s, c, m, start);
        double total = 0.0;
        for (size_t j = 0; j < m; j++) {
            phi[j] = potential(s, start[j], start[j + 1], (double)c[j]);
            total += phi[j];
        }
        float best = 0.0f;
        double best_pot = HUGE_VAL;
        for (size_t t = 0; t < trials; t++) {
            float v = draw_candidate(s, c, m, start, phi, total, rng);
            double pot = potential_with(s, c, m, start, phi, total, v);
            if (pot < best_pot) {
                best_pot = pot;
                best = v;
            }
        }
        insert_sorted(c, m, best);
    }
}

/* ---- Lloyd -------------------------------------------------------------- */

int nnq_km1d_lloyd(const nnq_km1d *s, float *c, size_t k, int max_iter, double tol_abs) {
    size_t start[NNQ_KM1D_MAX_K + 1], prev[NNQ_KM1D_MAX_K + 1];
    int updates = 0;
    for (;;) {
        nnq_km1d_bounds(s, c, k, start);
        if (updates > 0 && memcmp(start, prev, (k + 1) * sizeof *start) == 0) break;
        if (updates >= max_iter) break;
        double shift = 0.0;
        for (size_t j = 0; j < k; j++) {
            if (start[j] == start[j + 1]) continue;
            double sw, swx, swxx;
            nnq_km1d_range(s, start[j], start[j + 1], &sw, &swx, &swxx);
            if (!(sw > 0.0)) continue; /* zero total weight: no mean */
            float nc = (float)(swx / sw);
            double d = (double)nc - (double)c[j];
            shift += d * d;
            c[j] = nc;
        }
        /* Means of ordered ranges are ordered; an empty cluster's old
         * centroid may not be, so restore the order. */
        for (size_t j = 1; j < k; j++) insert_sorted(c, j, c[j]);
        updates++;
        memcpy(prev, start, (k + 1) * sizeof *start);
        if (tol_abs > 0.0 && shift <= tol_abs) break;
    }
    return updates;
}

nnq_status nnq_km1d_fit(const float *x, const float *w, size_t n, size_t k, nnq_rng *rng,
                        int max_iter, double tol, float *c, int *iters) {
    nnq_km1d s;
    assert(n >= 1 && k >= 1 && k <= NNQ_KM1D_MAX_K);
    NNQ_TRY(nnq_km1d_init(&s, x, w, n));
    *iters = 0;
    if (s.n_distinct <= k) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (i == 0 || x[i] != x[i - 1]) c[m++] = x[i];
        for (; m < k; m++) c[m] = c[m - 1];
    } else {
        double sw, swx, swxx, tol_abs = 0.0;
        nnq_km1d_range(&s, 0, n, &sw, &swx, &swxx);
        if (tol > 0.0 && sw > 0.0) {
            double mean = swx / sw, var = swxx / sw - mean * mean;
            tol_abs = tol * (var > 0.0 ? var : 0.0);
        }
        nnq_km1d_seed(&s, k, rng, c);
        *iters = nnq_km1d_lloyd(&s, c, k, max_iter, tol_abs);
    }
    nnq_km1d_release(&s);
    return NNQ_STATUS_OK;
}
