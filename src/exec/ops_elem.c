/*
 * ops_elem.c - elementwise operators: arithmetic with numpy broadcasting,
 * activations, Clip, Equal and Where.
 *
 * Math is float32 (libm for transcendental functions).  The integer forms of
 * Add/Sub/Mul/Neg/Abs wrap modulo 2^bits like two's-complement hardware
 * (ONNX leaves overflow unspecified; C's signed overflow is undefined, so
 * the arithmetic goes through unsigned types).  Integer Div truncates toward
 * zero like C and numpy's astype of the true quotient; INT_MIN / -1 wraps to
 * INT_MIN and a zero divisor is an OUT_OF_RANGE error.
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "exec/broadcast.h"
#include "exec/elem/bits.h"
#include "exec/elem/vmath.h"

typedef enum ew_kind {
    EW_ADD, EW_SUB, EW_MUL, EW_DIV, EW_POW, EW_EQUAL, EW_PRELU, /* binary */
    EW_SQRT, EW_EXP, EW_LOG, EW_NEG, EW_ABS, EW_ERF, EW_RELU, EW_LEAKY_RELU, EW_ELU,
    EW_SIGMOID, EW_HARD_SIGMOID, EW_HARD_SWISH, EW_TANH, EW_GELU, EW_GELU_TANH, EW_CLIP,
} ew_kind;

/* T_INT: the other integer types (int8/16, uint8/16/32/64), computed
 * through 64-bit values by the generic kernels below. */
enum { T_F32 = 1u << 0, T_I32 = 1u << 1, T_I64 = 1u << 2, T_ANY = 1u << 3, T_INT = 1u << 4 };
#define T_ARITH (T_F32 | T_I32 | T_I64 | T_INT)

typedef struct ew_desc {
    const char *op;
    ew_kind kind;
    unsigned types; /* element types of input 0 */
} ew_desc;

static const ew_desc ew_table[] = {
    {"Add", EW_ADD, T_ARITH},                   {"Sub", EW_SUB, T_ARITH},
    {"Mul", EW_MUL, T_ARITH},                   {"Div", EW_DIV, T_ARITH},
    {"Pow", EW_POW, T_F32 | T_I32 | T_I64},     {"Equal", EW_EQUAL, T_ANY},
    {"PRelu", EW_PRELU, T_ARITH},               {"Sqrt", EW_SQRT, T_F32},
    {"Exp", EW_EXP, T_F32},                     {"Log", EW_LOG, T_F32},
    {"Neg", EW_NEG, T_ARITH},                   {"Abs", EW_ABS, T_ARITH},
    {"Erf", EW_ERF, T_F32},                     {"Relu", EW_RELU, T_ARITH},
    {"LeakyRelu", EW_LEAKY_RELU, T_F32},        {"Elu", EW_ELU, T_F32},
    {"Sigmoid", EW_SIGMOID, T_F32},             {"HardSigmoid", EW_HARD_SIGMOID, T_F32},
    {"HardSwish", EW_HARD_SWISH, T_F32},        {"Tanh", EW_TANH, T_F32},
    {"Gelu", EW_GELU, T_F32},                   {"Clip", EW_CLIP, T_ARITH},
};

static const ew_desc *ew_find(const nnq_op_ctx *ctx) {
    for (size_t i = 0; i < NNQ_ARRAY_LEN(ew_table); i++)
        if (strcmp(ew_table[i].op, ctx->node->op_type) == 0) return &ew_table[i];
    return NULL;
}

static unsigned type_bit(nnq_dtype t) {
    switch (t) {
    case NNQ_DTYPE_FLOAT32: return T_F32;
    case NNQ_DTYPE_INT32: return T_I32;
    case NNQ_DTYPE_INT64: return T_I64;
    case NNQ_DTYPE_INT8: case NNQ_DTYPE_UINT8: case NNQ_DTYPE_INT16: case NNQ_DTYPE_UINT16:
    case NNQ_DTYPE_UINT32: case NNQ_DTYPE_UINT64:
        return T_INT;
    default: return 0;
    }
}

static nnq_status check_type(const nnq_op_ctx *ctx, const nnq_tensor *t, size_t idx,
                             unsigned types) {
    if (types & T_ANY) {
        if (nnq_dtype_esize(t->dtype) != 0 && t->dtype != NNQ_DTYPE_STRING) return NNQ_STATUS_OK;
    } else if (type_bit(t->dtype) & types) {
        return NNQ_STATUS_OK;
    }
    return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "input %zu '%s' has type %s, which %s %s",
                        idx, nnq_op_input_name(ctx, idx), nnq_dtype_name(t->dtype),
                        ctx->node->op_type,
                        types == T_F32 ? "supports only as float32"
                                       : "does not support (float32 and integers only)");
}

static nnq_status same_type(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t a,
                            size_t b) {
    if (in[a]->dtype == in[b]->dtype) return NNQ_STATUS_OK;
    return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                        "input %zu '%s' has type %s but input %zu '%s' has type %s; they must "
                        "match",
                        b, nnq_op_input_name(ctx, b), nnq_dtype_name(in[b]->dtype), a,
                        nnq_op_input_name(ctx, a), nnq_dtype_name(in[a]->dtype));
}

/* ---- scalar helpers ------------------------------------------------------ */

static inline int32_t wrap_i32(uint32_t v) {
    int32_t r;
    memcpy(&r, &v, sizeof r);
    return r;
}
static inline int64_t wrap_i64(uint64_t v) {
    int64_t r;
    memcpy(&r, &v, sizeof r);
    return r;
}
static inline int32_t div_i32(int32_t a, int32_t b) { return b == -1 ? wrap_i32(0u - (uint32_t)a) : a / b; }
static inline int64_t div_i64(int64_t a, int64_t b) { return b == -1 ? wrap_i64(0u - (uint64_t)a) : a / b; }

static inline float sigmoid_f32(float x) {
    /* exp of a non-positive argument never overflows */
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* double -> integer with saturation (Pow on integers); NaN gives 0. */
static inline int64_t sat_i64(double v, double lo, double hi) {
    if (!(v == v)) return 0;
    if (v <= lo) return (int64_t)lo;
    if (v >= hi) return v >= 9223372036854775807.0 ? INT64_MAX : (int64_t)hi;
    return (int64_t)v;
}

/* ---- binary kernels ------------------------------------------------------ */

typedef struct ew_args {
    ew_kind kind;
    float alpha, beta; /* activation parameters; Clip bounds as float */
    int64_t ilo, ihi;  /* Clip bounds for integer inputs (bits for T_INT) */
    bool has_lo, has_hi;
    nnq_dtype tx, ty;  /* Pow's input types */
} ew_args;

#define BIN_LOOP(TI, TO, EXPR)                                                                     \
    do {                                                                                           \
        const TI *x_ = in[0], *y_ = in[1];                                                         \
        TO *o_ = out;                                                                              \
        if (step[0] && step[1]) {                                                                  \
            for (size_t i = 0; i < n; i++) {                                                       \
                TI a = x_[i], b = y_[i];                                                           \
                o_[i] = (EXPR);                                                                    \
            }                                                                                      \
        } else if (step[0]) {                                                                      \
            TI b = y_[0];                                                                          \
            for (size_t i = 0; i < n; i++) {                                                       \
                TI a = x_[i];                                                                      \
                o_[i] = (EXPR);                                                                    \
            }                                                                                      \
        } else if (step[1]) {                                                                      \
            TI a = x_[0];                                                                          \
            for (size_t i = 0; i < n; i++) {                                                       \
                TI b = y_[i];                                                                      \
                o_[i] = (EXPR);                                                                    \
            }                                                                                      \
        } else {                                                                                   \
            TI a = x_[0], b = y_[0];                                                               \
            TO v_ = (EXPR);                                                                        \
            for (size_t i = 0; i < n; i++) o_[i] = v_;                                             \
        }                                                                                          \
    } while (0)

static void bin_f32(const void *kctx, void *out, const void *const *in, const int *step,
                    size_t n) {
    switch (((const ew_args *)kctx)->kind) {
    case EW_ADD: BIN_LOOP(float, float, a + b); break;
    case EW_SUB: BIN_LOOP(float, float, a - b); break;
    case EW_MUL: BIN_LOOP(float, float, a * b); break;
    case EW_DIV: BIN_LOOP(float, float, a / b); break;
    case EW_POW: BIN_LOOP(float, float, powf(a, b)); break;
    case EW_EQUAL: BIN_LOOP(float, bool, a == b); break;
    case EW_PRELU: BIN_LOOP(float, float, a < 0.0f ? a * b : a); break;
    default: assert(0);
    }
}

#define INT_BINARY(NAME, T, UT, WRAP, DIV)                                                         \
    static void NAME(const void *kctx, void *out, const void *const *in, const int *step,          \
                     size_t n) {                                                                   \
        switch (((const ew_args *)kctx)->kind) {                                                   \
        case EW_ADD: BIN_LOOP(T, T, WRAP((UT)a + (UT)b)); break;                                   \
        case EW_SUB: BIN_LOOP(T, T, WRAP((UT)a - (UT)b)); break;                                   \
        case EW_MUL: BIN_LOOP(T, T, WRAP((UT)a * (UT)b)); break;                                   \
        case EW_DIV: BIN_LOOP(T, T, DIV(a, b)); break;                                             \
        case EW_EQUAL: BIN_LOOP(T, bool, a == b); break;                                           \
        case EW_PRELU: BIN_LOOP(T, T, a < 0 ? WRAP((UT)a * (UT)b) : a); break;                     \
        default: assert(0);                                                                        \
        }                                                                                          \
    }
INT_BINARY(bin_i32, int32_t, uint32_t, wrap_i32, div_i32)
INT_BINARY(bin_i64, int64_t, uint64_t, wrap_i64, div_i64)

/* The other integer types through 64-bit values (slow path: these types
 * appear in models far less often than float32 / int32 / int64). */
static void bin_int_generic(const void *kctx, void *out, const void *const *in, const int *step,
                            size_t n) {
    const ew_args *a = kctx;
    bool uns = nnq_dtype_is_unsigned(a->tx);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = nnq_elem_load_bits(a->tx, in[0], i * (size_t)step[0]);
        uint64_t y = nnq_elem_load_bits(a->tx, in[1], i * (size_t)step[1]), r;
        switch (a->kind) {
        case EW_ADD: r = x + y; break;
        case EW_SUB: r = x - y; break;
        case EW_MUL: r = x * y; break;
        case EW_DIV: r = uns ? x / y : (uint64_t)div_i64(wrap_i64(x), wrap_i64(y)); break;
        default: r = uns || wrap_i64(x) >= 0 ? x : x * y; break; /* PRelu */
        }
        nnq_elem_store_bits(a->tx, out, i, r);
    }
}

/* Equal on any other fixed-size type: integer / bool equality is bit
 * equality; float64 compares by value. */
static void equal_other(const void *kctx, void *out, const void *const *in, const int *step,
                        size_t n) {
    switch (((const ew_args *)kctx)->tx) {
    case NNQ_DTYPE_FLOAT64: BIN_LOOP(double, bool, a == b); break;
    case NNQ_DTYPE_INT8: case NNQ_DTYPE_UINT8: case NNQ_DTYPE_BOOL:
        BIN_LOOP(uint8_t, bool, a == b); break;
    case NNQ_DTYPE_INT16: case NNQ_DTYPE_UINT16: BIN_LOOP(uint16_t, bool, a == b); break;
    case NNQ_DTYPE_UINT32: BIN_LOOP(uint32_t, bool, a == b); break;
    default: BIN_LOOP(uint64_t, bool, a == b); break;
    }
}

/* Pow with mixed types: computed in double, stored in X's type. */
static void pow_mixed(const void *kctx, void *out, const void *const *in, const int *step,
                      size_t n) {
    const ew_args *a = kctx;
    for (size_t i = 0; i < n; i++) {
        double v = pow(nnq_elem_load_f64(a->tx, in[0], i * (size_t)step[0]),
                       nnq_elem_load_f64(a->ty, in[1], i * (size_t)step[1]));
        switch (a->tx) {
        case NNQ_DTYPE_FLOAT32: ((float *)out)[i] = (float)v; break;
        case NNQ_DTYPE_INT32: ((int32_t *)out)[i] = (int32_t)sat_i64(v, INT32_MIN, INT32_MAX); break;
        default: ((int64_t *)out)[i] = sat_i64(v, -9223372036854775808.0, 9223372036854775807.0); break;
        }
    }
}

/* ---- unary kernels ------------------------------------------------------- */

#define UN_LOOP(T, EXPR)                                                                           \
    do {                                                                                           \
        const T *x_ = in;                                                                          \
        T *o_ = out;                                                                               \
        for (size_t i = 0; i < n; i++) {                                                           \
            T x = x_[i];                                                                           \
            o_[i] = (EXPR);                                                                        \
        }                                                                                          \
    } while (0)

static inline float clip_f32(float x, float lo, float hi) {
    float y = x < lo ? lo : x; /* comparisons keep NaN; lo > hi gives hi (ONNX) */
    return y > hi ? hi : y;
}

static void un_f32(const ew_args *a, void *out, const void *in, size_t n) {
    const float al = a->alpha, be = a->beta;
    switch (a->kind) {
    case EW_SQRT: UN_LOOP(float, sqrtf(x)); break;
    case EW_EXP: UN_LOOP(float, expf(x)); break;
    case EW_LOG: UN_LOOP(float, logf(x)); break;
    case EW_NEG: UN_LOOP(float, -x); break;
    case EW_ABS: UN_LOOP(float, fabsf(x)); break;
    case EW_ERF: nnq_vec_erf(in, out, n); break;
    case EW_RELU: UN_LOOP(float, x < 0.0f ? 0.0f : x); break;
    case EW_LEAKY_RELU: UN_LOOP(float, x < 0.0f ? al * x : x); break;
    case EW_ELU: UN_LOOP(float, x < 0.0f ? al * expm1f(x) : x); break;
    case EW_SIGMOID: UN_LOOP(float, sigmoid_f32(x)); break;
    case EW_HARD_SIGMOID: UN_LOOP(float, clip_f32(al * x + be, 0.0f, 1.0f)); break;
    case EW_HARD_SWISH: UN_LOOP(float, x * clip_f32(x / 6.0f + 0.5f, 0.0f, 1.0f)); break;
    case EW_TANH: UN_LOOP(float, tanhf(x)); break;
    case EW_GELU: nnq_vec_gelu(in, out, n); break;
    case EW_GELU_TANH: {
        const float k = 0.7978845608028654f; /* sqrt(2/pi) */
        UN_LOOP(float, 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x))));
        break;
    }
    case EW_CLIP: UN_LOOP(float, clip_f32(x, al, be)); break;
    default: assert(0);
    }
}

#define INT_UNARY(NAME, T, UT, WRAP)                                                               \
    static void NAME(const ew_args *a, void *out, const void *in, size_t n) {                     \
        const T lo = (T)a->ilo, hi = (T)a->ihi;                                                    \
        switch (a->kind) {                                                                         \
        case EW_NEG: UN_LOOP(T, WRAP(0u - (UT)x)); break;                                          \
        case EW_ABS: UN_LOOP(T, x < 0 ? WRAP(0u - (UT)x) : x); break;                              \
        case EW_RELU: UN_LOOP(T, x < 0 ? 0 : x); break;                                            \
        case EW_CLIP: UN_LOOP(T, x < lo ? (lo > hi ? hi : lo) : (x > hi ? hi : x)); break;         \
        default: assert(0);                                                                        \
        }                                                                                          \
    }
INT_UNARY(un_i32, int32_t, uint32_t, wrap_i32)
INT_UNARY(un_i64, int64_t, uint64_t, wrap_i64)

static bool clip_lt(bool uns, uint64_t a, uint64_t b) {
    return uns ? a < b : wrap_i64(a) < wrap_i64(b);
}

static void un_int_generic(const ew_args *a, nnq_dtype t, void *out, const void *in, size_t n) {
    bool uns = nnq_dtype_is_unsigned(t);
    uint64_t lo = (uint64_t)a->ilo, hi = (uint64_t)a->ihi;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = nnq_elem_load_bits(t, in, i), r = x;
        bool neg = !uns && wrap_i64(x) < 0;
        switch (a->kind) {
        case EW_NEG: r = 0u - x; break;
        case EW_ABS: r = neg ? 0u - x : x; break;
        case EW_RELU: r = neg ? 0 : x; break;
        default: /* Clip, with ONNX's min > max -> max */
            if (a->has_lo && clip_lt(uns, r, lo)) r = lo;
            if (a->has_hi && clip_lt(uns, hi, r)) r = hi;
            break;
        }
        nnq_elem_store_bits(t, out, i, r);
    }
}

typedef struct un_job {
    const ew_args *args;
    nnq_dtype dtype;
    const void *in;
    void *out;
} un_job;

static void un_task(void *arg, size_t start, size_t count) {
    const un_job *j = arg;
    size_t es = nnq_dtype_esize(j->dtype);
    const char *in = (const char *)j->in + start * es;
    char *out = (char *)j->out + start * es;
    switch (j->dtype) {
    case NNQ_DTYPE_FLOAT32: un_f32(j->args, out, in, count); break;
    case NNQ_DTYPE_INT32: un_i32(j->args, out, in, count); break;
    case NNQ_DTYPE_INT64: un_i64(j->args, out, in, count); break;
    default: un_int_generic(j->args, j->dtype, out, in, count); break;
    }
}

static void un_run(nnq_pool *pool, const ew_args *a, const nnq_tensor *x, nnq_tensor *y) {
    un_job j = {a, x->dtype, x->data, y->data};
    if (x->numel <= NNQ_EW_CHUNK) pool = NULL;
    nnq_pool_parallelize_1d(pool, un_task, &j, x->numel, NNQ_EW_CHUNK);
}

/* ---- infer / run --------------------------------------------------------- */

static void same_shape(const nnq_tensor *t, nnq_out_shape *o) {
    o->dtype = t->dtype;
    o->ndim = t->ndim;
    memcpy(o->dims, t->dims, sizeof(int64_t) * (size_t)t->ndim);
}

/*
 * PRelu before opset 7 predates broadcasting: following Caffe2's PRelu, which
 * it came from, a 1-D slope of C > 1 values holds one slope per channel,
 * axis 1 of X.  That slope is presented as a view of shape [C, 1, ..., 1]
 * (rank X - 1), which numpy broadcasting then applies along axis 1.  Any
 * other slope (one value, or a shape already broadcastable) is used as given.
 */
static nnq_status prelu_inputs(const nnq_op_ctx *ctx, const nnq_tensor *const *in,
                               nnq_tensor *view, const nnq_tensor **out) {
    const nnq_tensor *x = in[0], *slope = in[1];
    out[0] = x, out[1] = slope;
    if (ctx->opset <= 0 || ctx->opset >= 7 || x->ndim < 2 || slope->ndim != 1 ||
        slope->dims[0] <= 1)
        return NNQ_STATUS_OK;
    if (x->dims[1] >= 0 && x->dims[1] != slope->dims[0])
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "slope '%s' has %lld values but X '%s' has %lld channels (axis 1); "
                            "before opset 7 a 1-D slope is per channel",
                            nnq_op_input_name(ctx, 1), (long long)slope->dims[0],
                            nnq_op_input_name(ctx, 0), (long long)x->dims[1]);
    *view = *slope;
    view->ndim = x->ndim - 1;
    for (int d = 1; d < view->ndim; d++) view->dims[d] = 1;
    out[1] = view;
    return NNQ_STATUS_OK;
}

static nnq_status binary_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                               nnq_out_shape *outs, size_t n_out) {
    const ew_desc *d = ew_find(ctx);
    const nnq_tensor *prelu_in[2];
    nnq_tensor slope_view;
    assert(d);
    NNQ_TRY(nnq_op_need_inputs(ctx, in, n, 2));
    if (d->kind == EW_PRELU) {
        NNQ_TRY(prelu_inputs(ctx, in, &slope_view, prelu_in));
        in = prelu_in;
    }
    NNQ_TRY(check_type(ctx, in[0], 0, d->types));
    if (d->kind == EW_POW)
        NNQ_TRY(check_type(ctx, in[1], 1, T_ARITH));
    else
        NNQ_TRY(same_type(ctx, in, 0, 1));
    NNQ_TRY(nnq_bcast_shape(ctx, in, 2, &outs[0]));
    outs[0].dtype = d->kind == EW_EQUAL ? NNQ_DTYPE_BOOL : in[0]->dtype;
    if (d->kind == EW_PRELU &&
        (outs[0].ndim != in[0]->ndim ||
         memcmp(outs[0].dims, in[0]->dims, sizeof(int64_t) * (size_t)in[0]->ndim) != 0))
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "slope '%s' must broadcast to the shape of X '%s' (unidirectional)",
                            nnq_op_input_name(ctx, 1), nnq_op_input_name(ctx, 0));
    return NNQ_STATUS_OK;
}

static nnq_status check_no_zero(const nnq_op_ctx *ctx, const nnq_tensor *y) {
    for (size_t i = 0; i < y->numel; i++) {
        if (nnq_elem_load_bits(y->dtype, y->data, i) == 0)
            return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE,
                                "integer division by zero: divisor '%s' element %zu is 0",
                                nnq_op_input_name(ctx, 1), i);
    }
    return NNQ_STATUS_OK;
}

static nnq_status binary_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                             nnq_tensor *const *out, size_t n_out) {
    const ew_desc *d = ew_find(ctx);
    ew_args a = {.kind = d->kind, .tx = in[0]->dtype, .ty = in[1]->dtype};
    nnq_bcast_row_fn fn;
    if (out[0]->numel == 0) return NNQ_STATUS_OK;
    if (d->kind == EW_POW && (a.tx != NNQ_DTYPE_FLOAT32 || a.ty != NNQ_DTYPE_FLOAT32))
        fn = pow_mixed;
    else if (a.tx == NNQ_DTYPE_FLOAT32)
        fn = bin_f32;
    else if (a.tx == NNQ_DTYPE_INT32)
        fn = bin_i32;
    else if (a.tx == NNQ_DTYPE_INT64)
        fn = bin_i64;
    else if (d->kind == EW_EQUAL)
        fn = equal_other;
    else
        fn = bin_int_generic;
    if (d->kind == EW_DIV && a.tx != NNQ_DTYPE_FLOAT32) NNQ_TRY(check_no_zero(ctx, in[1]));
    const nnq_tensor *prelu_in[2];
    nnq_tensor slope_view;
    if (d->kind == EW_PRELU) {
        NNQ_TRY(prelu_inputs(ctx, in, &slope_view, prelu_in));
        in = prelu_in;
    }
    nnq_bcast_run(ctx->pool, fn, &a, out[0], in, 2);
    return NNQ_STATUS_OK;
}

static nnq_status unary_args(const nnq_op_ctx *ctx, const ew_desc *d, ew_args *a) {
    const nnq_node *nd = ctx->node;
    a->kind = d->kind;
    switch (d->kind) {
    case EW_LEAKY_RELU: return nnq_attr_float(nd, "alpha", 0.01f, &a->alpha);
    case EW_ELU: return nnq_attr_float(nd, "alpha", 1.0f, &a->alpha);
    case EW_HARD_SIGMOID:
        NNQ_TRY(nnq_attr_float(nd, "alpha", 0.2f, &a->alpha));
        return nnq_attr_float(nd, "beta", 0.5f, &a->beta);
    case EW_GELU: {
        const char *approx;
        NNQ_TRY(nnq_attr_string(nd, "approximate", "none", &approx));
        if (strcmp(approx, "tanh") == 0) a->kind = EW_GELU_TANH;
        else if (strcmp(approx, "none") != 0)
            return nnq_op_error(ctx, NNQ_STATUS_UNKNOWN_NAME,
                                "attribute approximate '%s' is neither 'none' nor 'tanh'", approx);
        return NNQ_STATUS_OK;
    }
    default: return NNQ_STATUS_OK;
    }
}

static nnq_status unary_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                              nnq_out_shape *outs, size_t n_out) {
    const ew_desc *d = ew_find(ctx);
    ew_args a;
    assert(d);
    NNQ_TRY(nnq_op_need_inputs(ctx, in, n, 1));
    NNQ_TRY(check_type(ctx, in[0], 0, d->types));
    NNQ_TRY(unary_args(ctx, d, &a));
    same_shape(in[0], &outs[0]);
    return NNQ_STATUS_OK;
}

static nnq_status unary_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                            nnq_tensor *const *out, size_t n_out) {
    ew_args a = {0};
    NNQ_TRY(unary_args(ctx, ew_find(ctx), &a));
    if (in[0]->numel) un_run(ctx->pool, &a, in[0], out[0]);
    return NNQ_STATUS_OK;
}

/* Clip: bounds are attributes before opset 11, optional scalar inputs after. */
static nnq_status clip_check_bound(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                                   size_t k) {
    if (k >= n || !in[k]) return NNQ_STATUS_OK;
    NNQ_TRY(same_type(ctx, in, 0, k));
    if (in[k]->numel != 1 || in[k]->ndim > 1)
        return nnq_op_error(ctx, NNQ_STATUS_SHAPE_MISMATCH,
                            "input %zu '%s' must be a scalar, has %zu elements", k,
                            nnq_op_input_name(ctx, k), in[k]->numel);
    return NNQ_STATUS_OK;
}

static nnq_status clip_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                             nnq_out_shape *outs, size_t n_out) {
    NNQ_TRY(unary_infer(ctx, in, n, outs, n_out));
    NNQ_TRY(clip_check_bound(ctx, in, n, 1));
    return clip_check_bound(ctx, in, n, 2);
}

static void clip_bound(const nnq_tensor *t, bool upper, ew_args *a) {
    if (!t) return;
    if (t->dtype == NNQ_DTYPE_FLOAT32) {
        *(upper ? &a->beta : &a->alpha) = *(const float *)t->data;
        return;
    }
    *(upper ? &a->ihi : &a->ilo) = wrap_i64(nnq_elem_load_bits(t->dtype, t->data, 0));
    *(upper ? &a->has_hi : &a->has_lo) = true;
}

static nnq_status clip_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                           nnq_tensor *const *out, size_t n_out) {
    ew_args a = {.kind = EW_CLIP, .alpha = -FLT_MAX, .beta = FLT_MAX};
    a.ilo = in[0]->dtype == NNQ_DTYPE_INT32 ? INT32_MIN : INT64_MIN;
    a.ihi = in[0]->dtype == NNQ_DTYPE_INT32 ? INT32_MAX : INT64_MAX;
    if (ctx->opset > 0 && ctx->opset < 11) {
        NNQ_TRY(nnq_attr_float(ctx->node, "min", -FLT_MAX, &a.alpha));
        NNQ_TRY(nnq_attr_float(ctx->node, "max", FLT_MAX, &a.beta));
    } else {
        clip_bound(n > 1 ? in[1] : NULL, false, &a);
        clip_bound(n > 2 ? in[2] : NULL, true, &a);
    }
    if (in[0]->numel) un_run(ctx->pool, &a, in[0], out[0]);
    return NNQ_STATUS_OK;
}

/* ---- Where --------------------------------------------------------------- */

static void where_row(const void *kctx, void *out, const void *const *in, const int *step,
                      size_t n) {
    size_t es = *(const size_t *)kctx;
    const uint8_t *c = in[0];
    const char *x = in[1], *y = in[2];
    char *o = out;
    for (size_t i = 0; i < n; i++) {
        const char *src = c[i * (size_t)step[0]] ? x + i * (size_t)step[1] * es
                                                 : y + i * (size_t)step[2] * es;
        memcpy(o + i * es, src, es);
    }
}

static nnq_status where_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                              nnq_out_shape *outs, size_t n_out) {
    NNQ_TRY(nnq_op_need_inputs(ctx, in, n, 3));
    if (in[0]->dtype != NNQ_DTYPE_BOOL)
        return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                            "condition '%s' has type %s, expected bool", nnq_op_input_name(ctx, 0),
                            nnq_dtype_name(in[0]->dtype));
    NNQ_TRY(check_type(ctx, in[1], 1, T_ANY));
    NNQ_TRY(same_type(ctx, in, 1, 2));
    NNQ_TRY(nnq_bcast_shape(ctx, in, 3, &outs[0]));
    outs[0].dtype = in[1]->dtype;
    return NNQ_STATUS_OK;
}

static nnq_status where_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n,
                            nnq_tensor *const *out, size_t n_out) {
    size_t es = nnq_dtype_esize(in[1]->dtype);
    nnq_bcast_run(ctx->pool, where_row, &es, out[0], in, 3);
    return NNQ_STATUS_OK;
}

#define BINARY(name) {name, "", 2, 2, 1, 1, binary_infer, NULL, binary_run}
#define UNARY(name) {name, "", 1, 1, 1, 1, unary_infer, NULL, unary_run}

const nnq_op_def nnq_ops_elem[] = {
    BINARY("Add"),       BINARY("Sub"),         BINARY("Mul"),       BINARY("Div"),
    BINARY("Pow"),       BINARY("Equal"),       BINARY("PRelu"),     UNARY("Sqrt"),
    UNARY("Exp"),        UNARY("Log"),          UNARY("Neg"),        UNARY("Abs"),
    UNARY("Erf"),        UNARY("Relu"),         UNARY("LeakyRelu"),  UNARY("Elu"),
    UNARY("Sigmoid"),    UNARY("HardSigmoid"),  UNARY("HardSwish"),  UNARY("Tanh"),
    UNARY("Gelu"),
    {"Clip", "", 1, 3, 1, 1, clip_infer, NULL, clip_run},
    {"Where", "", 3, 3, 1, 1, where_infer, NULL, where_run},
    /* elem/bitwise.c */
    {"BitShift", "", 2, 2, 1, 1, nnq_bits_binary_infer, NULL, nnq_bits_binary_run},
    {"BitwiseAnd", "", 2, 2, 1, 1, nnq_bits_binary_infer, NULL, nnq_bits_binary_run},
    {"BitwiseOr", "", 2, 2, 1, 1, nnq_bits_binary_infer, NULL, nnq_bits_binary_run},
    {"BitwiseXor", "", 2, 2, 1, 1, nnq_bits_binary_infer, NULL, nnq_bits_binary_run},
    {"BitwiseNot", "", 1, 1, 1, 1, nnq_bitwise_not_infer, NULL, nnq_bitwise_not_run},
    {"Mod", "", 2, 2, 1, 1, nnq_bits_binary_infer, NULL, nnq_bits_binary_run},
    {0},
};
