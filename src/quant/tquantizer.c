/* tquantizer.c - the tensor quantizer object (pytorch-quantization TensorQuantizer). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "quant/quant_internal.h"

struct nnq_tquantizer {
    nnq_qdesc d;
    bool disabled, quant, calib;
    float *amax;       /* stored amax (namax values), NULL = dynamic */
    size_t namax;
    float *calib_max;  /* running max of the "max" calibrator */
    size_t ncalib;
};

static bool is_block_format(nnq_qformat f) { return f >= NNQ_QFORMAT_NVFP4; }

nnq_status nnq_tquantizer_create(const nnq_qdesc *d, nnq_tquantizer **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tquantizer_create: NULL output");
    NNQ_TRY(nnq_qdesc_validate(d));
    if (d->format != NNQ_QFORMAT_INT && (d->naxes > 0 || (d->block_size > 0 && !is_block_format(d->format))))
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "tquantizer_create: format %s supports per-tensor amax only",
                         nnq_qformat_get(d->format)->name);
    nnq_tquantizer *q = nnq_calloc(1, sizeof *q);
    if (!q) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tquantizer_create: %zu bytes", sizeof *q);
    q->d = *d;
    q->quant = true;
    if (d->has_amax) {
        nnq_status s = nnq_tquantizer_set_amax(q, &d->amax, 1);
        if (s != NNQ_STATUS_OK) {
            nnq_tquantizer_free(q);
            return s;
        }
    }
    *out = q;
    return NNQ_STATUS_OK;
}

void nnq_tquantizer_free(nnq_tquantizer *q) {
    if (!q) return;
    nnq_free(q->amax);
    nnq_free(q->calib_max);
    nnq_free(q);
}

const nnq_qdesc *nnq_tquantizer_desc(const nnq_tquantizer *q) { return &q->d; }
void nnq_tquantizer_enable(nnq_tquantizer *q, bool on) { q->disabled = !on; }
void nnq_tquantizer_enable_quant(nnq_tquantizer *q, bool on) { q->quant = on; }
void nnq_tquantizer_enable_calib(nnq_tquantizer *q, bool on) { q->calib = on; }

void nnq_tquantizer_amax(const nnq_tquantizer *q, const float **amax, size_t *n) {
    *amax = q->amax;
    *n = q->amax ? q->namax : 0;
}

nnq_status nnq_tquantizer_set_amax(nnq_tquantizer *q, const float *amax, size_t n) {
    static const char fn[] = "tquantizer_set_amax";
    size_t bytes;
    if (!q || !amax || n == 0)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: need a quantizer and at least one amax", fn);
    NNQ_TRY(nnq_quant_check_amax(fn, amax, n));
    if (!nnq_size_mul(n, sizeof(float), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: %zu values", fn, n);
    float *a = nnq_malloc(bytes);
    if (!a) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes", fn, bytes);
    memcpy(a, amax, bytes);
    nnq_free(q->amax);
    q->amax = a;
    q->namax = n;
    return NNQ_STATUS_OK;
}

nnq_status nnq_tquantizer_load_calib_amax(nnq_tquantizer *q) {
    if (!q || !q->calib_max)
        return nnq_error(NNQ_STATUS_INVALID_STATE,
                         "tquantizer_load_calib_amax: no calibration data collected");
    return nnq_tquantizer_set_amax(q, q->calib_max, q->ncalib);
}

/* Layout of the amax: integer formats follow axes / blocks, float element
 * formats use one amax, block formats one global amax (their blocks are
 * internal). */
static nnq_status make_layout(const nnq_tquantizer *q, int ndim, const int64_t *dims,
                              nnq_qlayout *l) {
    const nnq_qdesc *d = &q->d;
    if (d->format != NNQ_QFORMAT_INT) return nnq_qlayout_per_tensor(ndim, dims, l);
    if (d->naxes > 0) return nnq_qlayout_per_axes(ndim, dims, d->axes, d->naxes, l);
    if (d->block_size > 0) return nnq_qlayout_per_block(ndim, dims, d->block_axis, d->block_size, l);
    return nnq_qlayout_per_tensor(ndim, dims, l);
}

static nnq_status calibrate(nnq_tquantizer *q, const float *x, const nnq_qlayout *l,
                            nnq_pool *pool) {
    size_t ns = nnq_qlayout_nscales(l), bytes;
    if (!nnq_size_mul(ns, sizeof(float), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "tquantizer: %zu scales", ns);
    if (q->calib_max && q->ncalib != ns)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "tquantizer: calibrated %zu amax values, this tensor needs %zu", q->ncalib, ns);
    float *cur = nnq_malloc(bytes);
    if (!cur) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tquantizer: %zu bytes", bytes);
    nnq_status s = nnq_quant_amax(x, l, cur, pool);
    if (s == NNQ_STATUS_OK && !q->calib_max) {
        q->calib_max = cur;
        q->ncalib = ns;
        return NNQ_STATUS_OK;
    }
    for (size_t i = 0; s == NNQ_STATUS_OK && i < ns; i++)
        q->calib_max[i] = fmaxf(q->calib_max[i], cur[i]);
    nnq_free(cur);
    return s;
}

/* The amax to quantize with (stored, broadcast from one value, or measured),
 * times scale_amax; `buf` holds ns floats. */
static nnq_status effective_amax(const nnq_tquantizer *q, const float *x, const nnq_qlayout *l,
                                 float *buf, nnq_pool *pool) {
    size_t ns = nnq_qlayout_nscales(l);
    if (!q->amax) {
        NNQ_TRY(nnq_quant_amax(x, l, buf, pool));
    } else if (q->namax == ns || q->namax == 1) {
        for (size_t i = 0; i < ns; i++) buf[i] = q->amax[q->namax == 1 ? 0 : i];
    } else {
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "tquantizer: %zu amax values stored, this tensor needs %zu", q->namax, ns);
    }
    if (q->d.scale_amax != 0.0f)
        for (size_t i = 0; i < ns; i++) buf[i] *= q->d.scale_amax;
    return NNQ_STATUS_OK;
}

static nnq_status quant_int(const nnq_tquantizer *q, const float *x, const nnq_qlayout *l,
                            const float *amax, float *y, nnq_pool *pool) {
    nnq_int_format f = {q->d.num_bits, q->d.is_unsigned, q->d.narrow_range};
    if (q->d.fake_quant) return nnq_fake_quant_amax(x, l, amax, &f, y, pool);
    size_t n = nnq_qlayout_numel(l), w = f.bits == 16 ? 2 : 1, bytes;
    if (!nnq_size_mul(n, w, &bytes)) return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "tquantizer: %zu values", n);
    void *codes = nnq_malloc(bytes ? bytes : 1);
    if (!codes) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tquantizer: %zu bytes", bytes);
    nnq_status s = nnq_quantize_amax(x, l, amax, &f, codes, pool);
    for (size_t i = 0; s == NNQ_STATUS_OK && i < n; i++) {
        if (w == 2) y[i] = f.is_unsigned ? (float)((uint16_t *)codes)[i] : (float)((int16_t *)codes)[i];
        else y[i] = f.is_unsigned ? (float)((uint8_t *)codes)[i] : (float)((int8_t *)codes)[i];
    }
    nnq_free(codes);
    return s;
}

/* Fake quantization through a float or block format (ModelOpt style: the
 * tensor is scaled so that amax lands on the format's max). */
static nnq_status quant_float(const nnq_tquantizer *q, const float *x, size_t n, size_t rowlen,
                              float amax, float *y, nnq_pool *pool) {
    static const char fn[] = "tquantizer";
    const nnq_qdesc *d = &q->d;
    const nnq_qformat_info *fi = nnq_qformat_get(d->format);
    if (!d->fake_quant)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "%s: format %s supports fake quantization only (use the format's quantize call for codes)",
                         fn, fi->name);
    int block = is_block_format(d->format) ? (fi->block ? fi->block : (int)(d->block_size ? d->block_size : 64)) : 1;
    if (rowlen % (size_t)block != 0)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH,
                         "%s: last axis has %zu elements, not a multiple of the %s block size %d", fn,
                         rowlen, fi->name, block);
    size_t ns = n / (size_t)block;
    uint8_t *codes = nnq_malloc(n);
    /* one float per block: E4M3 / E8M0 scale bytes or NF absmax values */
    float *fscales = nnq_malloc((ns ? ns : 1) * sizeof(float));
    if (!codes || !fscales) {
        nnq_free(codes);
        nnq_free(fscales);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes of codes", fn, n);
    }
    uint8_t *scales = (uint8_t *)fscales;
    nnq_status s;
    float ts;
    switch (d->format) {
    case NNQ_QFORMAT_NVFP4:
        s = nnq_nvfp4_tensor_scale(amax, &ts);
        if (s == NNQ_STATUS_OK) s = nnq_nvfp4_quantize(x, n, ts, codes, scales, pool);
        if (s == NNQ_STATUS_OK) s = nnq_nvfp4_dequantize(codes, scales, n, ts, y, pool);
        break;
    case NNQ_QFORMAT_MXFP4:
    case NNQ_QFORMAT_MXFP8_E4M3:
    case NNQ_QFORMAT_MXFP8_E5M2:
        s = nnq_mx_quantize(x, n, d->format, codes, scales, pool);
        if (s == NNQ_STATUS_OK) s = nnq_mx_dequantize(codes, scales, n, d->format, y, pool);
        break;
    case NNQ_QFORMAT_NF4:
    case NNQ_QFORMAT_NF3:
        s = nnq_nf_quantize(x, n, d->format, block, codes, fscales, pool);
        if (s == NNQ_STATUS_OK) s = nnq_nf_dequantize(codes, fscales, n, d->format, block, y, pool);
        break;
    default: {
        /* amax -> max of the grid; decode divides by the same factor. */
        float scale = amax > 0.0f ? fi->max / amax : 1.0f;
        s = nnq_float_quantize(x, n, d->format, scale, codes, pool);
        for (size_t i = 0; s == NNQ_STATUS_OK && i < n; i++) y[i] = fi->to_float(codes[i]) / scale;
    }
    }
    nnq_free(codes);
    nnq_free(fscales);
    return s;
}

nnq_status nnq_tquantizer_forward(nnq_tquantizer *q, const float *x, int ndim, const int64_t *dims,
                                  float *y, nnq_pool *pool) {
    nnq_qlayout l;
    if (!q) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tquantizer_forward: NULL quantizer");
    NNQ_TRY(make_layout(q, ndim, dims, &l));
    size_t n = nnq_qlayout_numel(&l), ns = nnq_qlayout_nscales(&l), bytes;
    if (n > 0 && (!x || !y)) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "tquantizer_forward: NULL buffer");
    if (q->disabled || (!q->quant && !q->calib) || n == 0) {
        if (y != x && n) memmove(y, x, n * sizeof(float));
        return NNQ_STATUS_OK;
    }
    if (q->calib) NNQ_TRY(calibrate(q, x, &l, pool));
    if (!q->quant) {
        if (y != x) memmove(y, x, n * sizeof(float));
        return NNQ_STATUS_OK;
    }
    if (!nnq_size_mul(ns, sizeof(float), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "tquantizer_forward: %zu scales", ns);
    float *amax = nnq_malloc(bytes);
    if (!amax) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "tquantizer_forward: %zu bytes", bytes);
    nnq_status s = effective_amax(q, x, &l, amax, pool);
    if (s == NNQ_STATUS_OK) {
        if (q->d.format == NNQ_QFORMAT_INT) s = quant_int(q, x, &l, amax, y, pool);
        else s = quant_float(q, x, n, ndim > 0 ? (size_t)dims[ndim - 1] : 1, amax[0], y, pool);
    }
    nnq_free(amax);
    return s;
}

/* pytorch-quantization's _short_amax: dynamic, one value, or [min, max](n). */
static int short_amax(const nnq_tquantizer *q, char *p, size_t room) {
    if (!q->amax) return snprintf(p, room, " amax=dynamic");
    if (q->namax == 1) return snprintf(p, room, " amax=%.4f", (double)q->amax[0]);
    float lo = q->amax[0], hi = q->amax[0];
    for (size_t i = 1; i < q->namax; i++) {
        lo = fminf(lo, q->amax[i]);
        hi = fmaxf(hi, q->amax[i]);
    }
    return snprintf(p, room, " amax=[%.4f, %.4f](%zu)", (double)lo, (double)hi, q->namax);
}

const char *nnq_tquantizer_str(const nnq_tquantizer *q, char *buf, size_t bufsize) {
    const nnq_qdesc *d = &q->d;
    size_t len = 0;
    if (!buf || bufsize == 0) return buf;
    buf[0] = '\0';
#define APPEND(...)                                                                                \
    do {                                                                                           \
        if (len < bufsize) {                                                                       \
            int w_ = snprintf(buf + len, bufsize - len, __VA_ARGS__);                              \
            if (w_ > 0) len += (size_t)w_;                                                         \
        }                                                                                          \
    } while (0)
    if (q->disabled) APPEND("disabled ");
    if (d->format == NNQ_QFORMAT_INT) APPEND("%dbit", d->num_bits);
    else APPEND("%s", nnq_qformat_get(d->format)->name);
    if (d->fake_quant) APPEND(" fake");
    if (d->narrow_range) APPEND(" narrow");
    if (d->is_unsigned) APPEND(" unsigned");
    if (d->naxes > 0) {
        APPEND(" axis=(");
        for (int i = 0; i < d->naxes; i++) APPEND("%s%d", i ? ", " : "", d->axes[i]);
        APPEND(")");
    } else if (d->block_size > 0) {
        APPEND(" block=%lld@axis(%d)", (long long)d->block_size, d->block_axis);
    } else {
        APPEND(" per-tensor");
    }
    if (len < bufsize) {
        int w = short_amax(q, buf + len, bufsize - len);
        if (w > 0) len += (size_t)w;
    }
    if (d->learn_amax) APPEND(" learned");
    APPEND(" calibrator=%s", strcmp(d->calib_method, "histogram") == 0 ? "HistogramCalibrator"
                                                                       : "MaxCalibrator");
    if (d->scale_amax != 0.0f) APPEND(" scale=%g", (double)d->scale_amax);
    if (q->quant) APPEND(" quant");
    if (q->calib) APPEND(" calib");
#undef APPEND
    return buf;
}
