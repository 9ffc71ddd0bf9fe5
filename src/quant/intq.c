/* intq.c - integer quantization entry points: validation, tiling, params. */
#include <float.h>
#include <math.h>

#include "internal.h"
#include "quant/quant_internal.h"

/* pytorch-quantization treats amax at or below 2^-24 as zero. */
#define NNQ_AMAX_EPS 5.9604644775390625e-8f

nnq_status nnq_int_format_check(const char *fn, const nnq_int_format *f) {
    if (!f) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL format", fn);
    if (!((f->bits >= 1 && f->bits <= 8) || f->bits == 16))
        return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE, "%s: num_bits %d outside [1, 8] and not 16",
                         fn, f->bits);
    if (f->bits == 1 && !f->is_unsigned)
        return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE,
                         "%s: num_bits 1 signed has no positive code; use unsigned", fn);
    return NNQ_STATUS_OK;
}

nnq_status nnq_int_format_bounds(const nnq_int_format *f, int32_t *lo, int32_t *hi) {
    NNQ_TRY(nnq_int_format_check("int_format_bounds", f));
    int32_t bound = f->is_unsigned ? (int32_t)((1u << f->bits) - 1u)
                                   : (int32_t)((1u << (f->bits - 1)) - 1u);
    *hi = bound;
    *lo = f->is_unsigned ? 0 : (f->narrow_range ? -bound : -bound - 1);
    return NNQ_STATUS_OK;
}

nnq_status nnq_int_format_linear_bounds(const nnq_int_format *f, int32_t *lo, int32_t *hi) {
    NNQ_TRY(nnq_int_format_check("int_format_linear_bounds", f));
    NNQ_TRY(nnq_int_format_bounds(f, lo, hi));
    if (f->is_unsigned && f->narrow_range) *hi -= 1;
    return NNQ_STATUS_OK;
}

nnq_dtype nnq_int_format_dtype(const nnq_int_format *f) {
    if (f->bits == 16) return f->is_unsigned ? NNQ_DTYPE_UINT16 : NNQ_DTYPE_INT16;
    return f->is_unsigned ? NNQ_DTYPE_UINT8 : NNQ_DTYPE_INT8;
}

static nnq_status check_amax(const char *fn, float amax, size_t i) {
    if (isnan(amax) || isinf(amax))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: amax[%zu] is %g, must be finite", fn, i,
                         (double)amax);
    if (amax < 0.0f)
        return nnq_error(NNQ_STATUS_NEGATIVE_AMAX, "%s: amax[%zu] is %g, must be >= 0", fn, i,
                         (double)amax);
    return NNQ_STATUS_OK;
}

nnq_status nnq_quant_check_amax(const char *fn, const float *amax, size_t n) {
    for (size_t i = 0; i < n; i++) NNQ_TRY(check_amax(fn, amax[i], i));
    return NNQ_STATUS_OK;
}

nnq_status nnq_amax_to_scale(float amax, const nnq_int_format *f, float *scale) {
    int32_t lo, hi;
    NNQ_TRY(check_amax("amax_to_scale", amax, 0));
    NNQ_TRY(nnq_int_format_bounds(f, &lo, &hi));
    *scale = amax <= NNQ_AMAX_EPS ? 0.0f : (float)hi / amax;
    return NNQ_STATUS_OK;
}

size_t nnq_quant_stream_bytes = (size_t)8 << 20;

/* ---- the tiled driver ---- */

typedef enum { OP_Q_AMAX, OP_FQ_AMAX, OP_DQ_AMAX, OP_Q_LIN, OP_FQ_LIN, OP_DQ_LIN } int_op;

typedef struct int_ctx {
    int_op op;
    const nnq_int_kernels *k;
    const nnq_qlayout *l;
    const float *x;
    const void *qin;
    void *qout;
    uint8_t *packed;   /* quantize-and-pack: codes go here, `bits` each */
    int bits;
    float *y;
    const float *scale, *zp;
    nnq_int_kernel_args a;
} int_ctx;

/* Quantize-and-pack works through chunks this long: a multiple of 8, so
 * every chunk starts on a byte of the packed output. */
#define PACK_CHUNK 4096

static float load_q(const void *q, size_t i, const nnq_int_kernel_args *a) {
    if (a->width == 1) return a->is_unsigned ? (float)((const uint8_t *)q)[i]
                                             : (float)((const int8_t *)q)[i];
    return a->is_unsigned ? (float)((const uint16_t *)q)[i] : (float)((const int16_t *)q)[i];
}

static void dequant_run(const int_ctx *c, const nnq_run *r) {
    const void *q = (const char *)c->qin + r->start * (size_t)c->a.width;
    float *y = c->y + r->start;
    for (size_t i = 0; i < r->len; i++) {
        float v = load_q(q, i, &c->a), s = c->scale[r->sidx + i * r->sstride];
        if (c->op == OP_DQ_AMAX) y[i] = s == 0.0f ? v : v / s; /* v is 0 there */
        else y[i] = (v - c->zp[r->sidx + i * r->sstride]) * s;
    }
}

/* Elements [start, end) through the kernels; quantized codes go to q, the
 * output of element `start` (fake-quant / dequant outputs index c->y). */
static void int_range(const int_ctx *c, size_t start, size_t end, void *q) {
    nnq_run_iter it;
    nnq_run r;
    nnq_run_iter_init(&it, c->l, start, end);
    while (nnq_run_iter_next(&it, &r)) {
        const float *x = c->x ? c->x + r.start : NULL;
        const float *s = c->scale + r.sidx, *z = c->zp + r.sidx;
        void *qr = q ? (char *)q + (r.start - start) * (size_t)c->a.width : NULL;
        switch (c->op) {
        case OP_Q_AMAX: c->k->q_amax(x, r.len, s, r.sstride, &c->a, qr); break;
        case OP_FQ_AMAX: c->k->fq_amax(x, r.len, s, r.sstride, &c->a, c->y + r.start); break;
        case OP_Q_LIN: c->k->q_linear(x, r.len, s, z, r.sstride, &c->a, qr); break;
        case OP_FQ_LIN: c->k->fq_linear(x, r.len, s, z, r.sstride, &c->a, c->y + r.start); break;
        default: dequant_run(c, &r); break;
        }
    }
}

static void int_tile(void *vctx, size_t start, size_t count) {
    const int_ctx *c = vctx;
    if (!c->packed) {
        void *q = c->qout ? (char *)c->qout + start * (size_t)c->a.width : NULL;
        int_range(c, start, start + count, q);
        return;
    }
    /* One pass: quantize a chunk into a small buffer, pack it in place. */
    uint8_t buf[PACK_CHUNK];
    for (size_t cs = start; cs < start + count; cs += PACK_CHUNK) {
        size_t ce = NNQ_MIN(start + count, cs + PACK_CHUNK), bytes;
        int_range(c, cs, ce, buf);
        nnq_packed_size(ce - cs, c->bits, &bytes);
        (void)nnq_pack_bits(buf, ce - cs, c->bits, c->packed + cs / 8 * (size_t)c->bits, bytes);
    }
}

static nnq_status check_unsigned_input(const char *fn, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (x[i] < 0.0f)
            return nnq_error(NNQ_STATUS_NEGATIVE_UNSIGNED,
                             "%s: unsigned quantizer got negative input %g at element %zu", fn,
                             (double)x[i], i);
    }
    return NNQ_STATUS_OK;
}

/* Per-scale float arrays: the multipliers (amax) or scales and zero points
 * (linear), validated.  One allocation of 2 * nscales floats. */
static nnq_status prepare(const char *fn, int_ctx *c, const nnq_qlayout *l, const float *params,
                          const int32_t *zp, const nnq_int_format *f, const void *data,
                          const void *out, float **buf) {
    int32_t lo, hi;
    size_t ns, bytes;
    bool linear = c->op >= OP_Q_LIN;
    NNQ_TRY(nnq_qlayout_check(fn, l));
    NNQ_TRY(nnq_int_format_check(fn, f));
    if (linear) NNQ_TRY(nnq_int_format_linear_bounds(f, &lo, &hi));
    else NNQ_TRY(nnq_int_format_bounds(f, &lo, &hi));
    bool any = nnq_qlayout_numel(l) > 0;
    if (!params || (any && (!data || !out)))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL %s", fn,
                         !params ? (linear ? "scale" : "amax") : (!data ? "input" : "output"));
    ns = nnq_qlayout_nscales(l);
    if (!nnq_size_mul(ns, 2 * sizeof(float), &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: %zu scales overflow", fn, ns);
    float *s = nnq_malloc(bytes ? bytes : 1);
    if (!s) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes of scales", fn, bytes);
    float *z = s + ns;
    for (size_t i = 0; i < ns; i++) {
        nnq_status st = NNQ_STATUS_OK;
        if (!linear) {
            st = check_amax(fn, params[i], i);
            s[i] = params[i] <= NNQ_AMAX_EPS ? 0.0f : (float)hi / params[i];
            z[i] = 0.0f;
        } else if (!(params[i] > 0.0f) || isinf(params[i])) {
            st = nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: scale[%zu] is %g, must be finite and > 0",
                           fn, i, (double)params[i]);
        } else if (zp && (zp[i] < lo || zp[i] > hi)) {
            st = nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: zero_point[%zu] is %d, outside [%d, %d]",
                           fn, i, (int)zp[i], (int)lo, (int)hi);
        } else {
            s[i] = params[i];
            z[i] = zp ? (float)zp[i] : 0.0f;
        }
        if (st != NNQ_STATUS_OK) {
            nnq_free(s);
            return st;
        }
    }
    c->k = nnq_int_kernels_get();
    c->l = l;
    c->scale = s;
    c->zp = z;
    c->a.lo = (float)lo;
    c->a.hi = (float)hi;
    c->a.width = f->bits == 16 ? 2 : 1;
    c->a.is_unsigned = f->is_unsigned;
    size_t out_elem = (c->op == OP_Q_AMAX || c->op == OP_Q_LIN) ? (size_t)c->a.width : sizeof(float);
    c->a.stream = !c->packed && nnq_qlayout_numel(l) >= nnq_quant_stream_bytes / out_elem;
    *buf = s;
    return NNQ_STATUS_OK;
}

static nnq_status run_int(const char *fn, int_ctx *c, const nnq_qlayout *l, const float *params,
                          const int32_t *zp, const nnq_int_format *f, const void *data,
                          const void *out, nnq_pool *pool) {
    float *buf = NULL;
    NNQ_TRY(prepare(fn, c, l, params, zp, f, data, out, &buf));
    size_t n = nnq_qlayout_numel(l);
    nnq_status s = NNQ_STATUS_OK;
    /* Only the amax convention forbids negative input to an unsigned grid;
     * with a zero point, negative values are representable. */
    if (f->is_unsigned && c->x && c->op < OP_Q_LIN) s = check_unsigned_input(fn, c->x, n);
    if (s == NNQ_STATUS_OK) nnq_pool_parallelize_1d(pool, int_tile, c, n, NNQ_QUANT_TILE);
    nnq_free(buf);
    return s;
}

nnq_status nnq_quantize_amax(const float *x, const nnq_qlayout *l, const float *amax,
                             const nnq_int_format *f, void *q, nnq_pool *pool) {
    int_ctx c = {.op = OP_Q_AMAX, .x = x, .qout = q};
    return run_int("quantize_amax", &c, l, amax, NULL, f, x, q, pool);
}

/* Shared checks of the packed variants: bits <= 8 and room for the codes. */
static nnq_status packed_args(const char *fn, const nnq_qlayout *l, const nnq_int_format *f,
                              const uint8_t *packed, size_t packed_size) {
    size_t need;
    NNQ_TRY(nnq_qlayout_check(fn, l));
    NNQ_TRY(nnq_int_format_check(fn, f));
    if (f->bits > 8)
        return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE, "%s: num_bits %d cannot be packed (1..8)", fn,
                         f->bits);
    if (!nnq_packed_size(nnq_qlayout_numel(l), f->bits, &need))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "%s: packed size overflows", fn);
    if (packed_size < need || (need && !packed))
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "%s: packed buffer of %zu bytes is smaller than the %zu needed", fn,
                         packed ? packed_size : 0, need);
    return NNQ_STATUS_OK;
}

nnq_status nnq_quantize_amax_packed(const float *x, const nnq_qlayout *l, const float *amax,
                                    const nnq_int_format *f, uint8_t *packed, size_t packed_size,
                                    nnq_pool *pool) {
    static const char fn[] = "quantize_amax_packed";
    NNQ_TRY(packed_args(fn, l, f, packed, packed_size));
    int_ctx c = {.op = OP_Q_AMAX, .x = x, .packed = packed, .bits = f->bits};
    return run_int(fn, &c, l, amax, NULL, f, x, packed, pool);
}

nnq_status nnq_quantize_linear_packed(const float *x, const nnq_qlayout *l, const float *scale,
                                      const int32_t *zero_point, const nnq_int_format *f,
                                      uint8_t *packed, size_t packed_size, nnq_pool *pool) {
    static const char fn[] = "quantize_linear_packed";
    NNQ_TRY(packed_args(fn, l, f, packed, packed_size));
    int_ctx c = {.op = OP_Q_LIN, .x = x, .packed = packed, .bits = f->bits};
    return run_int(fn, &c, l, scale, zero_point, f, x, packed, pool);
}

nnq_status nnq_fake_quant_amax(const float *x, const nnq_qlayout *l, const float *amax,
                               const nnq_int_format *f, float *y, nnq_pool *pool) {
    int_ctx c = {.op = OP_FQ_AMAX, .x = x, .y = y};
    return run_int("fake_quant_amax", &c, l, amax, NULL, f, x, y, pool);
}

nnq_status nnq_dequantize_amax(const void *q, const nnq_qlayout *l, const float *amax,
                               const nnq_int_format *f, float *y, nnq_pool *pool) {
    int_ctx c = {.op = OP_DQ_AMAX, .qin = q, .y = y};
    return run_int("dequantize_amax", &c, l, amax, NULL, f, q, y, pool);
}

nnq_status nnq_quantize_linear(const float *x, const nnq_qlayout *l, const float *scale,
                               const int32_t *zero_point, const nnq_int_format *f, void *q,
                               nnq_pool *pool) {
    int_ctx c = {.op = OP_Q_LIN, .x = x, .qout = q};
    return run_int("quantize_linear", &c, l, scale, zero_point, f, x, q, pool);
}

nnq_status nnq_dequantize_linear(const void *q, const nnq_qlayout *l, const float *scale,
                                 const int32_t *zero_point, const nnq_int_format *f, float *y,
                                 nnq_pool *pool) {
    int_ctx c = {.op = OP_DQ_LIN, .qin = q, .y = y};
    return run_int("dequantize_linear", &c, l, scale, zero_point, f, q, y, pool);
}

nnq_status nnq_fake_quant_linear(const float *x, const nnq_qlayout *l, const float *scale,
                                 const int32_t *zero_point, const nnq_int_format *f, float *y,
                                 nnq_pool *pool) {
    int_ctx c = {.op = OP_FQ_LIN, .x = x, .y = y};
    return run_int("fake_quant_linear", &c, l, scale, zero_point, f, x, y, pool);
}

/* ---- parameter rules ---- */

nnq_status nnq_qparam_rule_bounds(nnq_qparam_rule rule, const nnq_int_format *f, int32_t *lo,
                                  int32_t *hi) {
    nnq_int_format g;
    NNQ_TRY(nnq_int_format_check("qparam_rule_bounds", f));
    g = *f;
    g.narrow_range = rule == NNQ_QPARAM_COREML_LINEAR_SYMMETRIC;
    return nnq_int_format_linear_bounds(&g, lo, hi);
}

nnq_status nnq_qparams_from_range(float min_val, float max_val, nnq_qparam_rule rule,
                                  const nnq_int_format *f, float *scale, int32_t *zero_point) {
    static const char fn[] = "qparams_from_range";
    int32_t lo, hi;
    if ((unsigned)rule > NNQ_QPARAM_TORCH_SYMMETRIC)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: unknown rule %d", fn, (int)rule);
    NNQ_TRY(nnq_qparam_rule_bounds(rule, f, &lo, &hi));
    if (isnan(min_val) || isnan(max_val) || min_val > max_val)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: range [%g, %g] must satisfy min <= max",
                         fn, (double)min_val, (double)max_val);
    if (isinf(min_val) || isinf(max_val))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: range [%g, %g] must be finite", fn,
                         (double)min_val, (double)max_val);
    /* Every rule widens the range to contain 0 so that 0 is exact. */
    float a = fminf(min_val, 0.0f), b = fmaxf(max_val, 0.0f);
    float flo = (float)lo, fhi = (float)hi, s, z;
    bool symmetric = rule == NNQ_QPARAM_COREML_LINEAR_SYMMETRIC || rule == NNQ_QPARAM_TORCH_SYMMETRIC;
    if (symmetric) {
        float r = fmaxf(-a, b);
        s = r / ((fhi - flo) / 2.0f);
        if (!f->is_unsigned) z = 0.0f;
        else if (rule == NNQ_QPARAM_TORCH_SYMMETRIC && f->bits == 8) z = 128.0f;
        else z = (float)((lo + hi) / 2);
    } else if (rule == NNQ_QPARAM_COREML_LINEAR) {
        s = (b - a) / (fhi - flo);
        z = b == a ? 0.0f : nnq_round_half_even((flo * b - fhi * a) / (b - a));
    } else {
        s = fmaxf((b - a) / (fhi - flo), FLT_EPSILON);
        z = flo - nnq_round_half_even(a / s);
    }
    if (rule == NNQ_QPARAM_TORCH_SYMMETRIC) s = fmaxf(s, FLT_EPSILON);
    else if (s == 0.0f) s = 1.0f; /* coremltools zero range: any scale encodes 0 */
    *scale = s;
    *zero_point = (int32_t)nnq_clampf_nan(z, flo, fhi);
    return NNQ_STATUS_OK;
}
