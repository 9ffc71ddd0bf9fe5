/*
 * palette.c - one lookup table from a set of values: k-means, uniform or
 * unique entries, then stored as fp32, fp16 or int8 with a scale.
 */
#include <math.h>
#include <string.h>

#include "compress/kmeans1d.h"
#include "compress/palette.h"

size_t nnq_lut_entry_size(nnq_lut_dtype t) {
    return t == NNQ_LUT_DTYPE_FP32 ? 4 : t == NNQ_LUT_DTYPE_FP16 ? 2 : 1;
}

/*
 * Uniform entries: min + (max - min) * i / (K - 1) evaluated in double and
 * rounded once to fp32, with the last entry exactly max, so both ends of the
 * range are table values (coremltools' example: [0.11, 0.19, 0.3, 0.08, 0.0,
 * 0.02] at 2 bits gives [0.0, 0.1, 0.2, 0.3]).  Double keeps max - min finite
 * for any pair of finite floats.
 */
static void uniform_table(const float *x, size_t n, size_t k, float *c) {
    float lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    double range = (double)hi - (double)lo;
    for (size_t i = 0; i + 1 < k; i++)
        c[i] = (float)((double)lo + range * (double)i / (double)(k - 1));
    c[k - 1] = hi;
}

static nnq_status sort_values(const nnq_palette_job *job) {
    size_t bytes;
    if (!nnq_size_mul(job->n, job->w ? 2 * sizeof(float) : sizeof(float), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "palettize: %zu values overflow", job->n);
    float *tmp = nnq_malloc(bytes);
    if (!tmp)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "palettize: no memory to sort %zu values",
                         job->n);
    nnq_status s =
        nnq_km1d_sort(job->x, job->w, job->n, tmp, job->w ? tmp + job->n : NULL, job->pool);
    nnq_free(tmp);
    return s;
}

static nnq_status unique_table(const nnq_palette_job *job, size_t k, float *c) {
    NNQ_TRY(sort_values(job));
    size_t m = 0;
    for (size_t i = 0; i < job->n; i++) {
        if (i > 0 && job->x[i] == job->x[i - 1]) continue;
        if (m == k) {
            size_t total = m;
            for (size_t j = i; j < job->n; j++) total += job->x[j] != job->x[j - 1];
            return nnq_error(
                NNQ_STATUS_LIMIT_EXCEEDED,
                "palettize: tensor '%s' table %zu (channels %zu..%zu) has %zu distinct "
                "values, more than the %zu entries of a %d-bit table allowed by mode "
                "'unique'",
                job->name, job->table, job->first_channel, job->first_channel + job->channels - 1,
                total, k, job->cfg->palette_bits);
        }
        c[m++] = job->x[i];
    }
    for (; m < k; m++) c[m] = c[m - 1];
    return NNQ_STATUS_OK;
}

static nnq_status kmeans_table(const nnq_palette_job *job, size_t k, float *c, int *iters) {
    const nnq_compress_config *cfg = job->cfg;
    nnq_rng rng;
    NNQ_TRY(sort_values(job));
    nnq_rng_seed(&rng, cfg->seed, job->table);
    return nnq_km1d_fit(job->x, job->w, job->n, k, &rng, cfg->max_iter > 0 ? cfg->max_iter : 300,
                        cfg->tol, c, iters);
}

static nnq_status store_table(const nnq_palette_job *job, size_t k, const float *c,
                              nnq_palette_table *out) {
    switch (job->cfg->lut_dtype) {
    case NNQ_LUT_DTYPE_FP32:
        memcpy(out->f32, c, k * sizeof *c);
        memcpy(out->store, c, k * sizeof *c);
        return NNQ_STATUS_OK;
    case NNQ_LUT_DTYPE_FP16: {
        uint16_t *h = out->store;
        for (size_t i = 0; i < k; i++) {
            h[i] = nnq_fp16_from_float(c[i]);
            out->f32[i] = nnq_fp16_to_float(h[i]);
            if (isinf(out->f32[i]))
                return nnq_error(
                    NNQ_STATUS_OUT_OF_RANGE,
                    "palettize: tensor '%s' table %zu entry %g overflows fp16 (largest "
                    "finite 65504); use lut dtype fp32",
                    job->name, job->table, (double)c[i]);
        }
        return NNQ_STATUS_OK;
    }
    case NNQ_LUT_DTYPE_INT8: {
        /* coremltools quantizes a table with linear_symmetric int8:
         * s = max|entry| / 127, zero point 0, grid [-127, 127]. */
        const nnq_int_format fmt = {8, false, true};
        int64_t dims[1] = {(int64_t)k};
        nnq_qlayout l;
        int32_t zp;
        NNQ_TRY(nnq_qlayout_per_tensor(1, dims, &l));
        NNQ_TRY(nnq_qparams_from_range(c[0], c[k - 1], NNQ_QPARAM_COREML_LINEAR_SYMMETRIC, &fmt,
                                       out->scale, &zp));
        NNQ_TRY(nnq_quantize_linear(c, &l, out->scale, &zp, &fmt, out->store, NULL));
        return nnq_dequantize_linear(out->store, &l, out->scale, &zp, &fmt, out->f32, NULL);
    }
    default:
        return nnq_error(NNQ_STATUS_INTERNAL, "palettize: lut dtype %d passed validation",
                         (int)job->cfg->lut_dtype);
    }
}

nnq_status nnq_palette_build(const nnq_palette_job *job, nnq_palette_table *out) {
    size_t k = (size_t)1 << job->cfg->palette_bits;
    float c[NNQ_KM1D_MAX_K];
    out->iters = 0;
    if (job->n == 0) {
        memset(c, 0, sizeof c);
    } else {
        switch (job->cfg->palette_mode) {
        case NNQ_PALETTE_MODE_UNIFORM: uniform_table(job->x, job->n, k, c); break;
        case NNQ_PALETTE_MODE_UNIQUE: NNQ_TRY(unique_table(job, k, c)); break;
        case NNQ_PALETTE_MODE_KMEANS: NNQ_TRY(kmeans_table(job, k, c, &out->iters)); break;
        default:
            return nnq_error(NNQ_STATUS_INTERNAL, "palettize: mode %d passed validation",
                             (int)job->cfg->palette_mode);
        }
    }
    return store_table(job, k, c, out);
}
