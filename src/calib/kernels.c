/*
 * kernels.c - scalar reference kernels of the calib layer and the run-time
 * kernel table.
 */
#include "calib/calib_impl.h"

#include <math.h>
#include <string.h>

static uint32_t float_bits(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

void calib_minmax_ref(const float *x, size_t n, calib_minmax *acc) {
    float mn = acc->mn, mx = acc->mx;
    uint32_t ab = acc->absbits;
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        uint32_t b = float_bits(v) & 0x7fffffffu;
        ab = b > ab ? b : ab;
    }
    acc->mn = mn;
    acc->mx = mx;
    acc->absbits = ab;
}

void calib_minmax_row_ref(const float *x, size_t n, float *mn, float *mx, uint32_t *ab) {
    for (size_t j = 0; j < n; j++) {
        float v = x[j];
        mn[j] = v < mn[j] ? v : mn[j];
        mx[j] = v > mx[j] ? v : mx[j];
        uint32_t b = float_bits(v) & 0x7fffffffu;
        ab[j] = b > ab[j] ? b : ab[j];
    }
}

void calib_bin_ref(const float *x, size_t n, const calib_bin_params *p, uint32_t *sub) {
    const size_t stride = CALIB_BIN_SLOTS(p->nbins);
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        size_t pos = CALIB_BIN_OVER(p->nbins);
        if (p->skip_zeros && a == 0.0f) {
            pos = p->nbins;
        } else if (a <= p->edge) {
            /* t >= nbins (inf when a * nbins overflows) is the last bin. */
            float t = (a * p->nbins_f) / p->edge;
            pos = t < p->nbins_f ? (size_t)(uint32_t)t : p->nbins - 1;
        }
        sub[(i % CALIB_SUBHIST) * stride + pos]++;
    }
}

double calib_mse_err_ref(const float *cen, const float *cnt, size_t m, float amax, float bound,
                         float lo) {
    double lane[8] = {0};
    for (size_t k = 0; k < m; k++) {
        float d = calib_fake_quant(cen[k], amax, bound, lo) - cen[k];
        lane[k % 8] += (double)(d * d * cnt[k]);
    }
    return calib_lanes_sum(lane);
}

static const calib_kernels kernels_ref = {calib_minmax_ref, calib_minmax_row_ref, calib_bin_ref,
                                          calib_mse_err_ref};
#if !defined(NNQ_REFERENCE_ONLY)
static const calib_kernels kernels_avx2 = {calib_minmax_avx2, calib_minmax_row_avx2,
                                            calib_bin_avx2, calib_mse_err_avx2};
#endif

const calib_kernels *calib_kernels_get(void) {
#if !defined(NNQ_REFERENCE_ONLY)
    if (nnq_cpu_features() & NNQ_CPU_AVX2) return &kernels_avx2;
#endif
    return &kernels_ref;
}

float calib_rne(float x) {
    return nearbyintf(x);
}

float calib_fake_quant(float x, float amax, float bound, float lo) {
    if (amax <= 0x1p-24f) return 0.0f;
    float scale = bound / amax;
    float q = calib_rne(x * scale);
    q = q < lo ? lo : q;
    q = q > bound ? bound : q;
    return q / scale;
}

void calib_view_runs(const calib_view *v, size_t c, size_t start, size_t count, calib_run_fn run,
                     void *acc) {
    size_t o = start / v->inner, i = start % v->inner;
    while (count > 0) {
        size_t len = NNQ_MIN(v->inner - i, count);
        run(acc, v->x + (o * v->channels + c) * v->inner + i, len);
        count -= len;
        i = 0;
        o++;
    }
}
