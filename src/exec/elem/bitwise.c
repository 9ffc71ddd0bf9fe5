/*
 * bitwise.c - BitShift (opset 11), BitwiseAnd / Or / Xor / Not (opset 18)
 * and Mod (opset 10/13) with numpy broadcasting.
 *
 * Integers go through 64-bit values (nnq_elem_load_bits sign-extends, the
 * store keeps the low bits), so one kernel serves every width.  A shift by
 * the type's width or more gives 0 (C leaves it undefined; numpy and ONNX
 * Runtime give 0).  Mod follows the ONNX definition: fmod=0 (integers only)
 * takes the sign of the divisor like Python's %, fmod=1 the sign of the
 * dividend like C's fmod; INT_MIN mod -1 is 0 and an integer zero divisor is
 * an OUT_OF_RANGE error (C's % is undefined there).
 */
#include <math.h>
#include <string.h>

#include "exec/elem/bits.h"
#include "nnq/quant.h"

typedef enum bit_kind { BK_SHL, BK_SHR, BK_AND, BK_OR, BK_XOR, BK_NOT, BK_MOD, BK_FMOD } bit_kind;

typedef struct bit_args {
    bit_kind kind;
    nnq_dtype dtype;
    unsigned width; /* bits of the integer type */
} bit_args;

static bool is_int(nnq_dtype t) {
    switch (t) {
    case NNQ_DTYPE_INT8: case NNQ_DTYPE_UINT8: case NNQ_DTYPE_INT16: case NNQ_DTYPE_UINT16:
    case NNQ_DTYPE_INT32: case NNQ_DTYPE_UINT32: case NNQ_DTYPE_INT64: case NNQ_DTYPE_UINT64:
        return true;
    default: return false;
    }
}

static bool is_mod_float(nnq_dtype t) {
    return t == NNQ_DTYPE_FLOAT32 || t == NNQ_DTYPE_FLOAT64 || t == NNQ_DTYPE_FLOAT16;
}

static int64_t as_i64(uint64_t v) {
    int64_t r;
    memcpy(&r, &v, sizeof r);
    return r;
}

static uint64_t mod_int(bool uns, bool fmod_, uint64_t a, uint64_t b) {
    if (uns) return a % b;
    int64_t x = as_i64(a), y = as_i64(b);
    if (y == -1) return 0; /* INT64_MIN % -1 would trap */
    int64_t r = x % y;
    if (!fmod_ && r != 0 && ((r < 0) != (y < 0))) r += y;
    return (uint64_t)r;
}

static uint64_t bit_op(const bit_args *a, bool uns, uint64_t x, uint64_t y) {
    switch (a->kind) {
    case BK_SHL: return y >= a->width ? 0 : x << y;
    case BK_SHR: return y >= a->width ? 0 : x >> y;
    case BK_AND: return x & y;
    case BK_OR: return x | y;
    case BK_XOR: return x ^ y;
    case BK_NOT: return ~x;
    default: return mod_int(uns, a->kind == BK_FMOD, x, y);
    }
}

static void float_row(const bit_args *a, void *out, const void *const *in, const int *step,
                      size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t ia = i * (size_t)step[0], ib = i * (size_t)step[1];
        switch (a->dtype) {
        case NNQ_DTYPE_FLOAT32:
            ((float *)out)[i] = fmodf(((const float *)in[0])[ia], ((const float *)in[1])[ib]);
            break;
        case NNQ_DTYPE_FLOAT64:
            ((double *)out)[i] = fmod(((const double *)in[0])[ia], ((const double *)in[1])[ib]);
            break;
        default: /* float16: fmod is exact, so the result is a float16 value */
            ((uint16_t *)out)[i] = nnq_fp16_from_float(
                fmodf(nnq_fp16_to_float(((const uint16_t *)in[0])[ia]),
                      nnq_fp16_to_float(((const uint16_t *)in[1])[ib])));
            break;
        }
    }
}

static void bits_row(const void *kctx, void *out, const void *const *in, const int *step,
                     size_t n) {
    const bit_args *a = kctx;
    if (!is_int(a->dtype)) {
        float_row(a, out, in, step, n);
        return;
    }
    bool uns = nnq_dtype_is_unsigned(a->dtype);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = nnq_elem_load_bits(a->dtype, in[0], i * (size_t)step[0]);
        uint64_t y = nnq_elem_load_bits(a->dtype, in[1], i * (size_t)step[1]);
        nnq_elem_store_bits(a->dtype, out, i, bit_op(a, uns, x, y));
    }
}

/* The operation the node asks for, from op_type and attributes. */
static nnq_status bits_kind(const nnq_op_ctx *ctx, bit_kind *k) {
    const char *op = ctx->node->op_type;
    if (strcmp(op, "BitShift") == 0) {
        const char *dir;
        NNQ_TRY(nnq_attr_string(ctx->node, "direction", "", &dir));
        if (strcmp(dir, "LEFT") == 0) *k = BK_SHL;
        else if (strcmp(dir, "RIGHT") == 0) *k = BK_SHR;
        else
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "attribute direction '%s' must be 'LEFT' or 'RIGHT'", dir);
    } else if (strcmp(op, "Mod") == 0) {
        int64_t f;
        NNQ_TRY(nnq_attr_int(ctx->node, "fmod", 0, &f));
        if (f != 0 && f != 1)
            return nnq_op_error(ctx, NNQ_STATUS_INVALID_ARGUMENT,
                                "attribute fmod is %lld, must be 0 or 1", (long long)f);
        *k = f ? BK_FMOD : BK_MOD;
    } else {
        *k = strcmp(op, "BitwiseAnd") == 0 ? BK_AND
             : strcmp(op, "BitwiseOr") == 0 ? BK_OR
             : strcmp(op, "BitwiseXor") == 0 ? BK_XOR
                                              : BK_NOT;
    }
    return NNQ_STATUS_OK;
}

static nnq_status check_dtype(const nnq_op_ctx *ctx, bit_kind k, nnq_dtype t) {
    const char *rule = NULL;
    if (k == BK_SHL || k == BK_SHR) {
        if (!is_int(t) || !nnq_dtype_is_unsigned(t)) rule = "uint8, uint16, uint32 or uint64";
    } else if (k == BK_MOD) {
        if (is_mod_float(t)) rule = "an integer type with fmod=0 (floats need fmod=1)";
        else if (!is_int(t)) rule = "an integer or float type";
    } else if (k == BK_FMOD) {
        if (!is_int(t) && !is_mod_float(t)) rule = "an integer or float type";
    } else if (!is_int(t)) {
        rule = "an integer type";
    }
    if (!rule) return NNQ_STATUS_OK;
    return nnq_op_error(ctx, NNQ_STATUS_UNSUPPORTED, "input 0 '%s' has type %s, expected %s",
                        nnq_op_input_name(ctx, 0), nnq_dtype_name(t), rule);
}

nnq_status nnq_bits_binary_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_out_shape *outs, size_t n_out) {
    bit_kind k;
    (void)n_out;
    NNQ_TRY(nnq_op_need_inputs(ctx, in, n_in, 2));
    NNQ_TRY(bits_kind(ctx, &k));
    NNQ_TRY(check_dtype(ctx, k, in[0]->dtype));
    if (in[1]->dtype != in[0]->dtype)
        return nnq_op_error(ctx, NNQ_STATUS_DTYPE_MISMATCH,
                            "input 1 '%s' has type %s but input 0 '%s' has type %s; they must "
                            "match",
                            nnq_op_input_name(ctx, 1), nnq_dtype_name(in[1]->dtype),
                            nnq_op_input_name(ctx, 0), nnq_dtype_name(in[0]->dtype));
    NNQ_TRY(nnq_bcast_shape(ctx, in, 2, &outs[0]));
    outs[0].dtype = in[0]->dtype;
    return NNQ_STATUS_OK;
}

static nnq_status check_divisor(const nnq_op_ctx *ctx, const nnq_tensor *y) {
    for (size_t i = 0; i < y->numel; i++)
        if (nnq_elem_load_bits(y->dtype, y->data, i) == 0)
            return nnq_op_error(ctx, NNQ_STATUS_OUT_OF_RANGE,
                                "integer modulus by zero: divisor '%s' element %zu is 0",
                                nnq_op_input_name(ctx, 1), i);
    return NNQ_STATUS_OK;
}

nnq_status nnq_bits_binary_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               nnq_tensor *const *outs, size_t n_out) {
    bit_args a = {.dtype = in[0]->dtype};
    (void)n_in, (void)n_out;
    NNQ_TRY(bits_kind(ctx, &a.kind));
    a.width = (unsigned)(8 * nnq_dtype_esize(a.dtype));
    if (outs[0]->numel == 0) return NNQ_STATUS_OK;
    if ((a.kind == BK_MOD || a.kind == BK_FMOD) && is_int(a.dtype))
        NNQ_TRY(check_divisor(ctx, in[1]));
    nnq_bcast_run(ctx->pool, bits_row, &a, outs[0], in, 2);
    return NNQ_STATUS_OK;
}

nnq_status nnq_bitwise_not_infer(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                                 nnq_out_shape *outs, size_t n_out) {
    (void)n_out;
    NNQ_TRY(nnq_op_need_inputs(ctx, in, n_in, 1));
    NNQ_TRY(check_dtype(ctx, BK_NOT, in[0]->dtype));
    outs[0].dtype = in[0]->dtype;
    outs[0].ndim = in[0]->ndim;
    memcpy(outs[0].dims, in[0]->dims, sizeof(int64_t) * (size_t)in[0]->ndim);
    return NNQ_STATUS_OK;
}

static void not_row(const void *kctx, void *out, const void *const *in, const int *step,
                    size_t n) {
    const bit_args *a = kctx;
    for (size_t i = 0; i < n; i++)
        nnq_elem_store_bits(a->dtype, out, i,
                            ~nnq_elem_load_bits(a->dtype, in[0], i * (size_t)step[0]));
}

nnq_status nnq_bitwise_not_run(const nnq_op_ctx *ctx, const nnq_tensor *const *in, size_t n_in,
                               nnq_tensor *const *outs, size_t n_out) {
    bit_args a = {.kind = BK_NOT, .dtype = in[0]->dtype};
    (void)n_in, (void)n_out;
    if (outs[0]->numel) nnq_bcast_run(ctx->pool, not_row, &a, outs[0], in, 1);
    return NNQ_STATUS_OK;
}
