/*
 * calib.c - calibrator handles: configuration, collection, results, merge.
 */
#include "calib/calib_impl.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[] = {
    [NNQ_CALIB_KIND_MAX] = "max",
    [NNQ_CALIB_KIND_MINMAX] = "min_max",
    [NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX] = "moving_average_min_max",
    [NNQ_CALIB_KIND_EMA_MINMAX] = "ema_min_max",
    [NNQ_CALIB_KIND_HISTOGRAM] = "histogram",
    [NNQ_CALIB_KIND_EMA_PERCENTILE] = "ema_percentile",
    [NNQ_CALIB_KIND_MSE] = "mse",
    [NNQ_CALIB_KIND_EMA_MSE] = "ema_mse",
    [NNQ_CALIB_KIND_LSQ] = "lsq",
    [NNQ_CALIB_KIND_LSQ_PLUS] = "lsq_plus",
};

const char *nnq_calib_kind_name(nnq_calib_kind kind) {
    if ((unsigned)kind < NNQ_ARRAY_LEN(kind_names) && kind_names[kind]) return kind_names[kind];
    return "unknown";
}

nnq_status nnq_calib_kind_from_name(const char *name, nnq_calib_kind *out) {
    for (size_t k = 1; name && k < NNQ_ARRAY_LEN(kind_names); k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (nnq_calib_kind)k;
            return NNQ_STATUS_OK;
        }
    return nnq_error(NNQ_STATUS_UNKNOWN_NAME,
                     "calib: unknown calibrator '%s'; expected max, min_max, "
                     "moving_average_min_max, ema_min_max, histogram, ema_percentile, mse, "
                     "ema_mse, lsq or lsq_plus",
                     name ? name : "(null)");
}

nnq_status nnq_calib_method_from_name(const char *name, nnq_calib_method *out) {
    static const char *const names[] = {"entropy", "mse", "percentile"};
    for (size_t k = 0; name && k < NNQ_ARRAY_LEN(names); k++)
        if (strcmp(name, names[k]) == 0) {
            *out = (nnq_calib_method)(k + 1);
            return NNQ_STATUS_OK;
        }
    return nnq_error(NNQ_STATUS_UNKNOWN_NAME,
                     "calib histogram: unknown method '%s'; expected entropy, mse or percentile",
                     name ? name : "(null)");
}

static bool is_ema(nnq_calib_kind k) {
    return k == NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX || k == NNQ_CALIB_KIND_EMA_MINMAX ||
           k == NNQ_CALIB_KIND_EMA_PERCENTILE || k == NNQ_CALIB_KIND_EMA_MSE;
}

static bool is_minmax(nnq_calib_kind k) {
    return k == NNQ_CALIB_KIND_MINMAX || k == NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX ||
           k == NNQ_CALIB_KIND_EMA_MINMAX;
}

/* Fill defaults and check every field; shared by create and load. */
static nnq_status config_check(const nnq_calib_config *in, nnq_calib_config *c) {
    *c = *in;
    const char *kn = nnq_calib_kind_name(c->kind);
    if (strcmp(kn, "unknown") == 0)
        return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "calib: unknown calibrator kind %d",
                         (int)c->kind);
    if (c->num_bits == 0) c->num_bits = 8;
    if (c->num_bins == 0) c->num_bins = 2048;
    if (c->max_bins == 0) c->max_bins = (size_t)1 << 20;
    if (c->averaging_constant == 0.0f) c->averaging_constant = 0.01f;
    if (c->momentum == 0.0f) c->momentum = 0.9f;
    if (c->percentile == 0.0) c->percentile = 99.99;
    if (c->mse_grid == 0) c->mse_grid = 100;
    if (c->num_bits < 1 || c->num_bits > 16)
        return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE, "calib %s: num_bits %d outside [1, 16]", kn,
                         c->num_bits);
    if (c->num_bins < 2)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: num_bins %d is below 2", kn,
                         c->num_bins);
    if (c->max_bins < (size_t)c->num_bins || c->max_bins > ((size_t)1 << 28))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "calib %s: max_bins %zu outside [num_bins %d, 2^28]", kn, c->max_bins,
                         c->num_bins);
    if (!(c->averaging_constant > 0.0f && c->averaging_constant <= 1.0f))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: averaging_constant %g outside (0, 1]",
                         kn, (double)c->averaging_constant);
    if (!(c->momentum >= 0.0f && c->momentum < 1.0f))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: momentum %g outside [0, 1)", kn,
                         (double)c->momentum);
    if (!(c->percentile > 0.0 && c->percentile <= 100.0))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: percentile %g outside (0, 100]", kn,
                         c->percentile);
    if (c->mse_grid < 1 || c->mse_grid > 1024)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: mse_grid %d outside [1, 1024]", kn,
                         c->mse_grid);
    if (!c->per_axis) c->axis = 0;
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_create(const nnq_calib_config *config, nnq_calib **out) {
    if (!config || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib create: config and out must not be NULL");
    nnq_calib_config cfg;
    NNQ_TRY(config_check(config, &cfg));
    nnq_calib *c = nnq_calloc(1, sizeof *c);
    if (!c) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib create: handle");
    c->cfg = cfg;
    *out = c;
    return NNQ_STATUS_OK;
}

static void free_state(nnq_calib *c) {
    nnq_free(c->vmin), nnq_free(c->vmax), nnq_free(c->amax);
    nnq_free(c->sum), nnq_free(c->sum2), nnq_free(c->count);
    nnq_free(c->history);
    if (c->hist)
        for (size_t i = 0; i < c->channels; i++) calib_hist_free(&c->hist[i]);
    nnq_free(c->hist);
    nnq_calib_config cfg = c->cfg;
    memset(c, 0, sizeof *c);
    c->cfg = cfg;
}

void nnq_calib_reset(nnq_calib *c) {
    if (c) free_state(c);
}

void nnq_calib_free(nnq_calib *c) {
    if (!c) return;
    free_state(c);
    nnq_free(c);
}

nnq_status calib_alloc_channels(nnq_calib *c, size_t n) {
    const nnq_calib_kind k = c->cfg.kind;
    c->channels = n;
    bool ok = true;
    if (is_minmax(k)) {
        c->vmin = nnq_calloc(n, sizeof(float));
        c->vmax = nnq_calloc(n, sizeof(float));
        ok = c->vmin && c->vmax;
    } else if (k == NNQ_CALIB_KIND_HISTOGRAM) {
        c->hist = nnq_calloc(n, sizeof(calib_hist));
        ok = c->hist != NULL;
    } else if (k == NNQ_CALIB_KIND_LSQ || k == NNQ_CALIB_KIND_LSQ_PLUS) {
        c->sum = nnq_calloc(n, sizeof(double));
        c->sum2 = nnq_calloc(n, sizeof(double));
        c->count = nnq_calloc(n, sizeof(uint64_t));
        ok = c->sum && c->sum2 && c->count;
    } else if (k == NNQ_CALIB_KIND_MSE) {
        c->sum = nnq_calloc(n, sizeof(double));
        ok = c->sum != NULL;
    } else {
        c->amax = nnq_calloc(n, sizeof(float));
        ok = c->amax != NULL;
    }
    if (!ok) {
        free_state(c);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib %s: state for %zu channels",
                         nnq_calib_kind_name(k), n);
    }
    return NNQ_STATUS_OK;
}

const nnq_calib_config *nnq_calib_get_config(const nnq_calib *c) {
    return c ? &c->cfg : NULL;
}

size_t nnq_calib_channels(const nnq_calib *c) {
    return c ? c->channels : 0;
}

uint64_t nnq_calib_batches(const nnq_calib *c) {
    return c ? c->batches : 0;
}

/* ---- pass 1: per-channel min / max / max|x| bits ---- */

#define CALIB_TILE ((size_t)1 << 16)

typedef struct stats_task {
    const calib_view *v;
    size_t tiles; /* per channel */
    calib_minmax *part;
    const calib_kernels *k;
} stats_task;

typedef struct stats_acc {
    const calib_kernels *k;
    calib_minmax *m;
} stats_acc;

static void stats_run(void *acc, const float *x, size_t n) {
    stats_acc *a = acc;
    a->k->minmax(x, n, a->m);
}

static void stats_tile(void *ctx, size_t c, size_t t, size_t nc, size_t nt) {
    const stats_task *s = ctx;
    const size_t total = s->v->outer * s->v->inner;
    for (size_t ci = c; ci < c + nc; ci++)
        for (size_t ti = t; ti < t + nt; ti++) {
            stats_acc a = {s->k, &s->part[ci * s->tiles + ti]};
            calib_minmax_init(a.m);
            size_t start = ti * CALIB_TILE;
            calib_view_runs(s->v, ci, start, NNQ_MIN(CALIB_TILE, total - start), stats_run, &a);
        }
}

/* Fold one channel's partial into m (the reference's comparison order). */
static void minmax_fold(calib_minmax *m, float mn, float mx, uint32_t ab) {
    m->mn = mn < m->mn ? mn : m->mn;
    m->mx = mx > m->mx ? mx : m->mx;
    m->absbits = ab > m->absbits ? ab : m->absbits;
}

/* -0 and +0 compare equal; pin the sign so SIMD and scalar agree. */
static void minmax_pin_zero(calib_minmax *m) {
    if (m->mn == 0.0f) m->mn = 0.0f;
    if (m->mx == 0.0f) m->mx = 0.0f;
}

static nnq_status stats_by_runs(const calib_view *v, nnq_pool *pool, calib_minmax *out) {
    const size_t total = v->outer * v->inner, tiles = nnq_tile_count(total, CALIB_TILE);
    size_t n;
    if (!nnq_size_mul(tiles, v->channels, &n) || !nnq_size_mul(n, sizeof(calib_minmax), &n))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "calib: partials for %zu tiles", tiles);
    calib_minmax *part = nnq_malloc(n);
    if (!part) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib: %zu bytes of partials", n);
    stats_task t = {v, tiles, part, calib_kernels_get()};
    nnq_pool_parallelize_2d(pool, stats_tile, &t, v->channels, tiles, 1, 1);
    for (size_t c = 0; c < v->channels; c++) {
        calib_minmax m;
        calib_minmax_init(&m);
        for (size_t ti = 0; ti < tiles; ti++) {
            const calib_minmax *p = &part[c * tiles + ti];
            minmax_fold(&m, p->mn, p->mx, p->absbits);
        }
        minmax_pin_zero(&m);
        out[c] = m;
    }
    nnq_free(part);
    return NNQ_STATUS_OK;
}

/*
 * Short channel runs (small inner stride, e.g. [N, C] with axis 1) cost a
 * kernel call per run.  Instead each outer row of channels x inner values
 * is folded elementwise into row-wide accumulators (one set per tile of
 * rows), and the positions fold into channels at the end.  min / max /
 * max-bits are exact, so the result is the same for any tiling.
 */
#define CALIB_ROWS_MAX_INNER 64
#define CALIB_ROWS_MAX_TILES 64
#define CALIB_ROWS_COLS 1024 /* 12 KiB of accumulators */

typedef struct rows_task {
    const calib_view *v;
    size_t len, rows_per_tile;
    float *mn, *mx; /* tiles x len */
    uint32_t *ab;
    const calib_kernels *k;
} rows_task;

static void rows_tile(void *ctx, size_t start, size_t count) {
    const rows_task *t = ctx;
    const size_t off = start / t->rows_per_tile * t->len;
    float *mn = t->mn + off, *mx = t->mx + off;
    uint32_t *ab = t->ab + off;
    for (size_t j = 0; j < t->len; j++) {
        mn[j] = __builtin_inff();
        mx[j] = -__builtin_inff();
        ab[j] = 0;
    }
    /* Column blocks keep the accumulators in L1 across the tile's rows. */
    for (size_t j0 = 0; j0 < t->len; j0 += CALIB_ROWS_COLS) {
        const size_t w = NNQ_MIN(CALIB_ROWS_COLS, t->len - j0);
        for (size_t r = start; r < start + count; r++)
            t->k->minmax_row(t->v->x + r * t->len + j0, w, mn + j0, mx + j0, ab + j0);
    }
}

static nnq_status stats_by_rows(const calib_view *v, nnq_pool *pool, calib_minmax *out) {
    const size_t len = v->channels * v->inner; /* <= numel, no overflow */
    size_t rpt = NNQ_MAX((size_t)1, CALIB_TILE / len);
    rpt = NNQ_MAX(rpt, nnq_tile_count(v->outer, CALIB_ROWS_MAX_TILES));
    const size_t tiles = nnq_tile_count(v->outer, rpt);
    size_t n;
    if (!nnq_size_mul(tiles, len, &n) || !nnq_size_mul(n, sizeof(float), &n))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "calib: row partials for %zu tiles", tiles);
    rows_task t = {v, len, rpt, nnq_malloc(n), nnq_malloc(n), nnq_malloc(n), calib_kernels_get()};
    if (!t.mn || !t.mx || !t.ab) {
        nnq_free(t.mn), nnq_free(t.mx), nnq_free(t.ab);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib: 3 x %zu bytes of row partials", n);
    }
    nnq_pool_parallelize_1d(pool, rows_tile, &t, v->outer, rpt);
    /* Tiles fold into tile 0 row-wise (contiguous), then positions into
     * channels; every fold is exact, so the order is free. */
    for (size_t ti = 1; ti < tiles; ti++)
        for (size_t j = 0; j < len; j++) {
            const size_t k = ti * len + j;
            t.mn[j] = t.mn[k] < t.mn[j] ? t.mn[k] : t.mn[j];
            t.mx[j] = t.mx[k] > t.mx[j] ? t.mx[k] : t.mx[j];
            t.ab[j] = t.ab[k] > t.ab[j] ? t.ab[k] : t.ab[j];
        }
    for (size_t c = 0; c < v->channels; c++) {
        calib_minmax m;
        calib_minmax_init(&m);
        for (size_t j = c * v->inner; j < (c + 1) * v->inner; j++)
            minmax_fold(&m, t.mn[j], t.mx[j], t.ab[j]);
        minmax_pin_zero(&m);
        out[c] = m;
    }
    nnq_free(t.mn), nnq_free(t.mx), nnq_free(t.ab);
    return NNQ_STATUS_OK;
}

static nnq_status batch_stats(const calib_view *v, nnq_pool *pool, calib_minmax *out) {
    if (v->channels > 1 && v->inner < CALIB_ROWS_MAX_INNER) return stats_by_rows(v, pool, out);
    return stats_by_runs(v, pool, out);
}

/* Locate the first non-finite element for the error message (error path only). */
static nnq_status report_nonfinite(const nnq_calib *c, const nnq_tensor *x) {
    const float *p = x->data;
    size_t i = 0;
    while (i < x->numel && isfinite(p[i])) i++;
    return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                     "calib %s: batch element %zu is %g; NaN and Inf are rejected (check the "
                     "model for overflow)",
                     nnq_calib_kind_name(c->cfg.kind), i, i < x->numel ? (double)p[i] : 0.0);
}

static nnq_status make_view(const nnq_calib *c, const nnq_tensor *x, calib_view *v) {
    const char *kn = nnq_calib_kind_name(c->cfg.kind);
    char shape[128];
    if (x->dtype != NNQ_DTYPE_FLOAT32)
        return nnq_error(NNQ_STATUS_DTYPE_MISMATCH, "calib %s: batch dtype %s, expected float32",
                         kn, nnq_dtype_name(x->dtype));
    if (x->numel == 0)
        return nnq_error(NNQ_STATUS_EMPTY, "calib %s: batch of shape %s has no elements", kn,
                         nnq_shape_str(x->ndim, x->dims, shape, sizeof shape));
    v->x = x->data;
    v->outer = 1;
    v->channels = 1;
    v->inner = x->numel;
    if (!c->cfg.per_axis) return NNQ_STATUS_OK;
    int ax = c->cfg.axis < 0 ? c->cfg.axis + x->ndim : c->cfg.axis;
    if (ax < 0 || ax >= x->ndim)
        return nnq_error(NNQ_STATUS_AXIS_OUT_OF_RANGE,
                         "calib %s: axis %d outside [-%d, %d) for batch of shape %s", kn,
                         c->cfg.axis, x->ndim, x->ndim,
                         nnq_shape_str(x->ndim, x->dims, shape, sizeof shape));
    v->channels = (size_t)x->dims[ax];
    v->outer = 1;
    for (int d = 0; d < ax; d++) v->outer *= (size_t)x->dims[d];
    v->inner = x->numel / v->outer / v->channels;
    if (c->channels && v->channels != c->channels)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "calib %s: batch of shape %s has %zu channels along axis %d, earlier "
                         "batches had %zu",
                         kn, nnq_shape_str(x->ndim, x->dims, shape, sizeof shape), v->channels,
                         c->cfg.axis, c->channels);
    return NNQ_STATUS_OK;
}

static float bits_to_float(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* ---- per-channel passes for the percentile, MSE and LSQ kinds ---- */

typedef struct chan_task {
    const nnq_calib *c;
    const calib_view *v;
    const calib_minmax *stats;
    float *scratch;  /* EMA_PERCENTILE: outer*inner floats per channel */
    double *res;     /* per channel result */
    double *res2;
} chan_task;

typedef struct gather_acc {
    float *dst;
    double s1, s2;
    int mode; /* 0 gather |x|, 1 sum |x|, 2 sum x and x^2 */
} gather_acc;

static void gather_run(void *acc, const float *x, size_t n) {
    gather_acc *g = acc;
    for (size_t i = 0; i < n; i++) {
        if (g->mode == 0) *g->dst++ = fabsf(x[i]);
        else if (g->mode == 1) g->s1 += fabs((double)x[i]);
        else g->s1 += (double)x[i], g->s2 += (double)x[i] * (double)x[i];
    }
}

static void swapf(float *a, float *b) {
    float t = *a;
    *a = *b;
    *b = t;
}

/* k-th smallest of a[0..n) (partially reorders a). */
static float select_kth(float *a, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swapf(&a[mid], &a[lo]);
        if (a[hi] < a[lo]) swapf(&a[hi], &a[lo]);
        if (a[hi] < a[mid]) swapf(&a[hi], &a[mid]);
        float pivot = a[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (pivot < a[j]) j--;
            if (i <= j) {
                swapf(&a[i], &a[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return a[k];
    }
    return a[k];
}

/* numpy.percentile(|x|, p) with the default linear interpolation. */
static double percentile_of(float *a, size_t n, double p) {
    double pos = p / 100.0 * (double)(n - 1);
    size_t k = (size_t)floor(pos);
    double g = pos - (double)k;
    double lo = (double)select_kth(a, n, k);
    if (k + 1 >= n) return lo;
    double hi = (double)select_kth(a, n, k + 1);
    return g >= 0.5 ? hi - (hi - lo) * (1.0 - g) : lo + (hi - lo) * g;
}

/* Grid search of amax * k / grid minimizing sum (fake_quant(x) - x)^2. */
typedef struct mse_acc {
    const float *cand;
    double *err;
    int grid;
    float bound, lo;
} mse_acc;

static void mse_run(void *acc, const float *x, size_t n) {
    mse_acc *m = acc;
    for (int k = 0; k < m->grid; k++) {
        double e = 0.0;
        for (size_t i = 0; i < n; i++) {
            float d = calib_fake_quant(x[i], m->cand[k], m->bound, m->lo) - x[i];
            e += (double)(d * d);
        }
        m->err[k] += e;
    }
}

static void chan_one(void *ctx, size_t ch, size_t count) {
    const chan_task *t = ctx;
    const nnq_calib_config *cfg = &t->c->cfg;
    const size_t total = t->v->outer * t->v->inner;
    for (size_t c = ch; c < ch + count; c++) {
        gather_acc g = {t->scratch ? t->scratch + c * total : NULL, 0.0, 0.0, 0};
        switch (cfg->kind) {
        case NNQ_CALIB_KIND_EMA_PERCENTILE:
            calib_view_runs(t->v, c, 0, total, gather_run, &g);
            t->res[c] = percentile_of(t->scratch + c * total, total, cfg->percentile);
            break;
        case NNQ_CALIB_KIND_LSQ:
        case NNQ_CALIB_KIND_LSQ_PLUS:
            g.mode = cfg->kind == NNQ_CALIB_KIND_LSQ ? 1 : 2;
            calib_view_runs(t->v, c, 0, total, gather_run, &g);
            t->res[c] = g.s1;
            t->res2[c] = g.s2;
            break;
        default: { /* MSE kinds */
            const float amax = bits_to_float(t->stats[c].absbits);
            float cand[1024];
            double err[1024] = {0};
            const int grid = cfg->mse_grid;
            for (int k = 0; k < grid; k++) cand[k] = amax * (float)(k + 1) / (float)grid;
            const float bound = calib_bound(cfg);
            mse_acc m = {cand, err, grid, bound, cfg->is_unsigned ? 0.0f : -bound};
            calib_view_runs(t->v, c, 0, total, mse_run, &m);
            int best = grid - 1;
            for (int k = 0; k < grid; k++)
                if (err[k] < err[best]) best = k;
            t->res[c] = (double)cand[best];
        }
        }
    }
}

static nnq_status per_channel_pass(const nnq_calib *c, const calib_view *v,
                                   const calib_minmax *stats, nnq_pool *pool, double *res,
                                   double *res2) {
    chan_task t = {c, v, stats, NULL, res, res2};
    if (c->cfg.kind == NNQ_CALIB_KIND_EMA_PERCENTILE) {
        size_t n;
        if (!nnq_size_mul(v->outer * v->inner * v->channels, sizeof(float), &n))
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "calib ema_percentile: scratch");
        t.scratch = nnq_malloc(n);
        if (!t.scratch)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib ema_percentile: %zu bytes scratch", n);
    }
    nnq_pool_parallelize_1d(pool, chan_one, &t, v->channels, 1);
    nnq_free(t.scratch);
    return NNQ_STATUS_OK;
}

static void ema(float *v, float b, float m, bool first) {
    *v = first ? b : m * *v + (1.0f - m) * b;
}

static nnq_status update_kind(nnq_calib *c, const calib_view *v, const calib_minmax *st,
                              nnq_pool *pool) {
    const nnq_calib_config *cfg = &c->cfg;
    const bool first = c->batches == 0;
    const size_t n = c->channels;
    switch (cfg->kind) {
    case NNQ_CALIB_KIND_MAX:
        if (cfg->track_amax) {
            size_t rows = (size_t)c->batches + 1;
            if (rows > c->history_cap) {
                size_t cap = NNQ_MAX((size_t)16, c->history_cap * 2), bytes;
                if (!nnq_size_mul(cap, n * sizeof(float), &bytes))
                    return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "calib max: amax history");
                float *h = nnq_realloc(c->history, bytes);
                if (!h) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib max: amax history");
                c->history = h;
                c->history_cap = cap;
            }
            for (size_t i = 0; i < n; i++)
                c->history[(rows - 1) * n + i] = bits_to_float(st[i].absbits);
        }
        for (size_t i = 0; i < n; i++) {
            float a = bits_to_float(st[i].absbits);
            c->amax[i] = first || a > c->amax[i] ? a : c->amax[i];
        }
        return NNQ_STATUS_OK;
    case NNQ_CALIB_KIND_MINMAX:
        for (size_t i = 0; i < n; i++) {
            c->vmin[i] = first || st[i].mn < c->vmin[i] ? st[i].mn : c->vmin[i];
            c->vmax[i] = first || st[i].mx > c->vmax[i] ? st[i].mx : c->vmax[i];
        }
        return NNQ_STATUS_OK;
    case NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX: {
        const float a = cfg->averaging_constant;
        for (size_t i = 0; i < n; i++) {
            /* torch: v = v + c * (batch - v), in fp32. */
            c->vmin[i] = first ? st[i].mn : c->vmin[i] + a * (st[i].mn - c->vmin[i]);
            c->vmax[i] = first ? st[i].mx : c->vmax[i] + a * (st[i].mx - c->vmax[i]);
        }
        return NNQ_STATUS_OK;
    }
    case NNQ_CALIB_KIND_EMA_MINMAX:
        for (size_t i = 0; i < n; i++) {
            ema(&c->vmin[i], st[i].mn, cfg->momentum, first);
            ema(&c->vmax[i], st[i].mx, cfg->momentum, first);
        }
        return NNQ_STATUS_OK;
    case NNQ_CALIB_KIND_HISTOGRAM: return calib_hist_collect(c, v, st, pool);
    default: break;
    }
    double *res = nnq_calloc(2 * n, sizeof(double));
    if (!res) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib: %zu channel results", n);
    nnq_status s = per_channel_pass(c, v, st, pool, res, res + n);
    if (s == NNQ_STATUS_OK) {
        const size_t per = v->outer * v->inner;
        for (size_t i = 0; i < n; i++) {
            switch (cfg->kind) {
            case NNQ_CALIB_KIND_MSE: c->sum[i] += res[i]; break;
            case NNQ_CALIB_KIND_LSQ:
            case NNQ_CALIB_KIND_LSQ_PLUS:
                c->sum[i] += res[i];
                c->sum2[i] += res[n + i];
                c->count[i] += per;
                break;
            default: ema(&c->amax[i], (float)res[i], cfg->momentum, first); break;
            }
        }
    }
    nnq_free(res);
    return s;
}

nnq_status nnq_calib_collect(nnq_calib *c, const nnq_tensor *x, nnq_pool *pool) {
    if (!c || !x)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib collect: calibrator and batch must not be NULL");
    calib_view v;
    NNQ_TRY(make_view(c, x, &v));
    if (c->cfg.kind == NNQ_CALIB_KIND_HISTOGRAM) {
        bool done;
        NNQ_TRY(calib_hist_collect_fast(c, &v, pool, &done));
        if (done) {
            c->batches++;
            return NNQ_STATUS_OK;
        }
    }
    calib_minmax *st = nnq_malloc(v.channels * sizeof *st);
    if (!st) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib: %zu channel stats", v.channels);
    nnq_status s = batch_stats(&v, pool, st);
    for (size_t i = 0; s == NNQ_STATUS_OK && i < v.channels; i++) {
        if (st[i].absbits >= 0x7f800000u) s = report_nonfinite(c, x);
        else if (c->cfg.is_unsigned && st[i].mn < 0.0f)
            s = nnq_error(NNQ_STATUS_NEGATIVE_UNSIGNED,
                          "calib %s: unsigned calibrator got %g in channel %zu; unsigned data must "
                          "be >= 0",
                          nnq_calib_kind_name(c->cfg.kind), (double)st[i].mn, i);
    }
    const bool fresh = c->channels == 0;
    if (s == NNQ_STATUS_OK && fresh) s = calib_alloc_channels(c, v.channels);
    if (s == NNQ_STATUS_OK) s = update_kind(c, &v, st, pool);
    if (s == NNQ_STATUS_OK) c->batches++;
    else if (fresh && c->channels) free_state(c);
    nnq_free(st);
    return s;
}

/* ---- results ---- */

static nnq_status check_out(const nnq_calib *c, const void *p, size_t n, const char *what) {
    if (!c || !p)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib %s: NULL argument", what);
    const char *kn = nnq_calib_kind_name(c->cfg.kind);
    if (c->channels == 0)
        return nnq_error(NNQ_STATUS_EMPTY, "calib %s: %s before any data was collected", kn, what);
    if (n != c->channels)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "calib %s: %s output holds %zu values, the state has %zu channels", kn,
                         what, n, c->channels);
    return NNQ_STATUS_OK;
}

static nnq_status amax_options(const nnq_calib *c, const nnq_calib_amax_options *in,
                               nnq_calib_amax_options *o) {
    const char *kn = nnq_calib_kind_name(c->cfg.kind);
    nnq_calib_amax_options d = {NNQ_CALIB_METHOD_DEFAULT, 0, 0, 0.0};
    *o = in ? *in : d;
    bool start_default = !in || o->start_bin == 0;
    if (o->stride == 0) o->stride = 1;
    if (start_default) o->start_bin = 128;
    if (o->percentile == 0.0) o->percentile = 99.99;
    if (o->method == NNQ_CALIB_METHOD_DEFAULT) o->method = NNQ_CALIB_METHOD_ENTROPY;
    if (c->cfg.kind != NNQ_CALIB_KIND_HISTOGRAM && in && in->method != NNQ_CALIB_METHOD_DEFAULT)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "calib %s: scoring method %d applies to histogram calibrators only", kn,
                         (int)in->method);
    if (o->method < NNQ_CALIB_METHOD_ENTROPY || o->method > NNQ_CALIB_METHOD_PERCENTILE)
        return nnq_error(NNQ_STATUS_UNKNOWN_NAME,
                         "calib %s: unknown scoring method %d; expected entropy, mse or percentile",
                         kn, (int)o->method);
    if (o->stride < 1)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: stride %d is below 1", kn, o->stride);
    if (o->start_bin < 0)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: start_bin %d is negative", kn,
                         o->start_bin);
    if (!(o->percentile > 0.0 && o->percentile <= 100.0))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib %s: percentile %g outside (0, 100]", kn,
                         o->percentile);
    return NNQ_STATUS_OK;
}

static float lsq_step(const nnq_calib *c, size_t i) {
    const nnq_calib_config *cfg = &c->cfg;
    const double n = (double)c->count[i];
    if (cfg->kind == NNQ_CALIB_KIND_LSQ) /* Esser et al. 2020 */
        return (float)(2.0 * (c->sum[i] / n) / sqrt((double)calib_bound(cfg)));
    const double mu = c->sum[i] / n, var = fmax(c->sum2[i] / n - mu * mu, 0.0), sd = sqrt(var);
    /* Bhalgat et al. 2020, LSQ+ */
    return (float)(fmax(fabs(mu - 3.0 * sd), fabs(mu + 3.0 * sd)) /
                   ldexp(1.0, cfg->num_bits - 1));
}

nnq_status nnq_calib_compute_amax(const nnq_calib *c, const nnq_calib_amax_options *opt,
                                  float *amax, size_t n) {
    NNQ_TRY(check_out(c, amax, n, "compute_amax"));
    nnq_calib_amax_options o;
    NNQ_TRY(amax_options(c, opt, &o));
    for (size_t i = 0; i < n; i++) {
        switch (c->cfg.kind) {
        case NNQ_CALIB_KIND_HISTOGRAM: NNQ_TRY(calib_hist_amax(&c->hist[i], &c->cfg, &o, &amax[i])); break;
        case NNQ_CALIB_KIND_MINMAX:
        case NNQ_CALIB_KIND_MOVING_AVERAGE_MINMAX:
        case NNQ_CALIB_KIND_EMA_MINMAX:
            amax[i] = fmaxf(fabsf(c->vmin[i]), fabsf(c->vmax[i]));
            break;
        case NNQ_CALIB_KIND_MSE: amax[i] = (float)(c->sum[i] / (double)c->batches); break;
        case NNQ_CALIB_KIND_LSQ:
        case NNQ_CALIB_KIND_LSQ_PLUS: amax[i] = lsq_step(c, i) * calib_bound(&c->cfg); break;
        default: amax[i] = c->amax[i]; break;
        }
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_get_range(const nnq_calib *c, float *min, float *max, size_t n) {
    NNQ_TRY(check_out(c, min, n, "get_range"));
    if (!max) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib get_range: NULL max");
    if (!is_minmax(c->cfg.kind))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "calib %s: get_range needs a min-max calibrator",
                         nnq_calib_kind_name(c->cfg.kind));
    memcpy(min, c->vmin, n * sizeof *min);
    memcpy(max, c->vmax, n * sizeof *max);
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_lsq_init(const nnq_calib *c, float *step, size_t n) {
    NNQ_TRY(check_out(c, step, n, "lsq_init"));
    if (c->cfg.kind != NNQ_CALIB_KIND_LSQ && c->cfg.kind != NNQ_CALIB_KIND_LSQ_PLUS)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib %s: lsq_init needs an lsq or lsq_plus calibrator",
                         nnq_calib_kind_name(c->cfg.kind));
    for (size_t i = 0; i < n; i++) step[i] = lsq_step(c, i);
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_amax_history(const nnq_calib *c, const float **history, size_t *n_batches) {
    if (!c || !history || !n_batches)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib amax_history: NULL argument");
    if (c->cfg.kind != NNQ_CALIB_KIND_MAX || !c->cfg.track_amax)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "calib %s: amax history needs a max calibrator with track_amax",
                         nnq_calib_kind_name(c->cfg.kind));
    *history = c->history;
    *n_batches = (size_t)c->batches;
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_histogram(const nnq_calib *c, size_t ch, const uint64_t **counts,
                               size_t *nbins, const float **edges, size_t *n_edges) {
    if (!c || !counts || !nbins || !edges || !n_edges)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib histogram: NULL argument");
    if (c->cfg.kind != NNQ_CALIB_KIND_HISTOGRAM)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib %s: not a histogram calibrator",
                         nnq_calib_kind_name(c->cfg.kind));
    if (ch >= c->channels)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "calib histogram: channel %zu, the state has %zu",
                         ch, c->channels);
    *counts = c->hist[ch].counts;
    *nbins = c->hist[ch].nbins;
    *edges = c->hist[ch].edges;
    *n_edges = c->hist[ch].n_edges;
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_qparams(const nnq_calib *c, const nnq_qparams_options *opt, float *scale,
                             int32_t *zero_point, size_t n) {
    NNQ_TRY(check_out(c, scale, n, "qparams"));
    if (!zero_point) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib qparams: NULL zero_point");
    nnq_qparams_options o = {NNQ_QSCHEME_AFFINE, false, false};
    if (opt) o = *opt;
    if (o.scheme != NNQ_QSCHEME_AFFINE && o.scheme != NNQ_QSCHEME_SYMMETRIC)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib qparams: unknown qscheme %d", (int)o.scheme);
    float *amax = NULL;
    if (!is_minmax(c->cfg.kind)) {
        amax = nnq_malloc(n * sizeof *amax);
        if (!amax) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib qparams");
        nnq_status s = nnq_calib_compute_amax(c, NULL, amax, n);
        if (s != NNQ_STATUS_OK) {
            nnq_free(amax);
            return s;
        }
    }
    int32_t qmin = o.is_signed ? -128 : 0, qmax = o.is_signed ? 127 : 255;
    if (o.reduce_range) qmin /= 2, qmax /= 2;
    const float eps = 0x1p-23f; /* torch.finfo(torch.float32).eps */
    for (size_t i = 0; i < n; i++) {
        float lo = amax ? (c->cfg.is_unsigned ? 0.0f : -amax[i]) : c->vmin[i];
        float hi = amax ? amax[i] : c->vmax[i];
        float min_neg = fminf(lo, 0.0f), max_pos = fmaxf(hi, 0.0f);
        if (o.scheme == NNQ_QSCHEME_SYMMETRIC) {
            max_pos = fmaxf(-min_neg, max_pos);
            float s = max_pos / ((float)(qmax - qmin) / 2.0f);
            scale[i] = fmaxf(s, eps);
            /* torch keeps 128 for quint8 even with reduce_range. */
            zero_point[i] = o.is_signed ? 0 : 128;
        } else {
            float s = fmaxf((max_pos - min_neg) / (float)(qmax - qmin), eps);
            int32_t z = qmin - (int32_t)calib_rne(min_neg / s);
            scale[i] = s;
            zero_point[i] = z < qmin ? qmin : z > qmax ? qmax : z;
        }
    }
    nnq_free(amax);
    return NNQ_STATUS_OK;
}

/* ---- merge ---- */

static bool same_config(const nnq_calib_config *a, const nnq_calib_config *b) {
    return a->kind == b->kind && a->per_axis == b->per_axis && a->axis == b->axis &&
           a->num_bits == b->num_bits && a->is_unsigned == b->is_unsigned &&
           a->track_amax == b->track_amax && a->skip_zeros == b->skip_zeros &&
           a->num_bins == b->num_bins && a->max_bins == b->max_bins &&
           a->mse_grid == b->mse_grid;
}

static nnq_status merge_history(nnq_calib *dst, const nnq_calib *src) {
    size_t rows = (size_t)(dst->batches + src->batches), bytes;
    if (!nnq_size_mul(rows, dst->channels * sizeof(float), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "calib max: merged history");
    float *h = nnq_realloc(dst->history, bytes ? bytes : 1);
    if (!h) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calib max: merged history");
    memcpy(h + (size_t)dst->batches * dst->channels, src->history,
           (size_t)src->batches * src->channels * sizeof(float));
    dst->history = h;
    dst->history_cap = rows;
    return NNQ_STATUS_OK;
}

nnq_status nnq_calib_merge(nnq_calib *dst, const nnq_calib *src) {
    if (!dst || !src)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib merge: NULL calibrator");
    const char *kn = nnq_calib_kind_name(dst->cfg.kind);
    if (!same_config(&dst->cfg, &src->cfg))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "calib merge: %s state cannot absorb a %s state with another "
                         "configuration (kind, axis, bits, bins must agree)",
                         kn, nnq_calib_kind_name(src->cfg.kind));
    if (is_ema(dst->cfg.kind))
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "calib merge: %s depends on batch order; its states do not merge", kn);
    if (src->channels == 0) return NNQ_STATUS_OK;
    if (dst->channels && dst->channels != src->channels)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "calib merge: %s states have %zu and %zu channels", kn, dst->channels,
                         src->channels);
    const bool fresh = dst->channels == 0;
    if (fresh) NNQ_TRY(calib_alloc_channels(dst, src->channels));
    const size_t n = dst->channels;
    nnq_status s = NNQ_STATUS_OK;
    for (size_t i = 0; i < n && s == NNQ_STATUS_OK; i++) {
        switch (dst->cfg.kind) {
        case NNQ_CALIB_KIND_MAX:
            dst->amax[i] = fresh || src->amax[i] > dst->amax[i] ? src->amax[i] : dst->amax[i];
            break;
        case NNQ_CALIB_KIND_MINMAX:
            dst->vmin[i] = fresh || src->vmin[i] < dst->vmin[i] ? src->vmin[i] : dst->vmin[i];
            dst->vmax[i] = fresh || src->vmax[i] > dst->vmax[i] ? src->vmax[i] : dst->vmax[i];
            break;
        case NNQ_CALIB_KIND_HISTOGRAM:
            s = calib_hist_merge(&dst->hist[i], &src->hist[i], &dst->cfg, i);
            break;
        case NNQ_CALIB_KIND_MSE: dst->sum[i] += src->sum[i]; break;
        default: /* LSQ kinds */
            dst->sum[i] += src->sum[i];
            dst->sum2[i] += src->sum2[i];
            dst->count[i] += src->count[i];
            break;
        }
    }
    if (s == NNQ_STATUS_OK && dst->cfg.kind == NNQ_CALIB_KIND_MAX && dst->cfg.track_amax)
        s = merge_history(dst, src);
    if (s == NNQ_STATUS_OK) dst->batches += src->batches;
    return s;
}
