/*
 * config_attrs.c - the quantizer attributes a config entry may set: parsing
 * with validation, overlaying, cross-attribute rules and canonical JSON.
 */
#include "pipeline/config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[NNQ_SITE_KIND_COUNT_] = {"input_quantizer", "weight_quantizer",
                                                              "output_quantizer"};

/* Names, widths and block rules of the formats: the one table to extend. */
static const struct {
    const char *name;
    int bits;  /* 0: int, any supported num_bits */
    int block; /* block size the format defines (0: free) */
} formats[NNQ_SITE_FORMAT_COUNT_] = {
    [NNQ_SITE_FORMAT_INT] = {"int", 0, 0},
    [NNQ_SITE_FORMAT_FP8_E4M3] = {"fp8_e4m3", 8, 0},
    [NNQ_SITE_FORMAT_FP8_E5M2] = {"fp8_e5m2", 8, 0},
    [NNQ_SITE_FORMAT_FP4_E2M1] = {"fp4_e2m1", 4, 0},
    [NNQ_SITE_FORMAT_NVFP4] = {"nvfp4", 4, 16},
    [NNQ_SITE_FORMAT_MXFP4] = {"mxfp4", 4, 32},
    [NNQ_SITE_FORMAT_MXFP8] = {"mxfp8", 8, 32},
    [NNQ_SITE_FORMAT_NF4] = {"nf4", 4, 0},
    [NNQ_SITE_FORMAT_NF3] = {"nf3", 3, 0},
};

static const char *const calib_names[NNQ_SITE_CALIB_COUNT_] = {
    [NNQ_SITE_CALIB_MAX] = "max",
    [NNQ_SITE_CALIB_MIN_MAX] = "min_max",
    [NNQ_SITE_CALIB_MOVING_AVERAGE_MIN_MAX] = "moving_average_min_max",
    [NNQ_SITE_CALIB_EMA_MIN_MAX] = "ema_min_max",
    [NNQ_SITE_CALIB_ENTROPY] = "entropy",
    [NNQ_SITE_CALIB_MSE] = "mse",
    [NNQ_SITE_CALIB_PERCENTILE] = "percentile",
    [NNQ_SITE_CALIB_EMA_PERCENTILE] = "ema_percentile",
};

static const char *const mode_names[2] = {"linear", "linear_symmetric"};

const char *nnq_site_kind_name(nnq_site_kind k) {
    return (unsigned)k < NNQ_SITE_KIND_COUNT_ ? kind_names[k] : "?";
}
const char *nnq_site_format_name(nnq_site_format f) {
    return (unsigned)f < NNQ_SITE_FORMAT_COUNT_ ? formats[f].name : "?";
}
const char *nnq_site_calib_name(nnq_site_calib c) {
    return (unsigned)c < NNQ_SITE_CALIB_COUNT_ ? calib_names[c] : "?";
}

nnq_status nnq_site_kind_from_site(const char *site_name, nnq_site_kind *kind) {
    const char *dot = strrchr(site_name, '.');
    const char *last = dot ? dot + 1 : site_name;
    for (int k = 0; k < NNQ_SITE_KIND_COUNT_; k++) {
        if (strcmp(last, kind_names[k]) == 0 && dot != NULL && dot != site_name) {
            *kind = (nnq_site_kind)k;
            return NNQ_STATUS_OK;
        }
    }
    return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                     "config: site name '%s' is not '<node>.input_quantizer', "
                     "'<node>.weight_quantizer' or '<node>.output_quantizer'",
                     site_name);
}

void nnq_site_attrs_default(nnq_site_attrs *a) {
    memset(a, 0, sizeof(*a));
    a->enable = false;
    a->format = NNQ_SITE_FORMAT_INT;
    a->num_bits = 8;
    a->narrow_range = true;
    a->symmetric = true;
    a->calib_method = NNQ_SITE_CALIB_MAX;
    a->percentile = 99.99;
    a->num_bins = 2048;
    a->fake = true;
}

#define HAS(a, attr) (((a)->set >> (attr)) & 1u)

void nnq_site_attrs_overlay(nnq_site_attrs *dst, const nnq_site_attrs *src) {
    if (HAS(src, NNQ_SITE_ATTR_ENABLE)) dst->enable = src->enable;
    if (HAS(src, NNQ_SITE_ATTR_FORMAT)) {
        dst->format = src->format;
        dst->num_bits = src->num_bits;
    }
    if (HAS(src, NNQ_SITE_ATTR_AXIS)) {
        dst->n_axes = src->n_axes;
        memcpy(dst->axes, src->axes, sizeof(dst->axes));
    }
    if (HAS(src, NNQ_SITE_ATTR_BLOCK_SIZE)) {
        dst->n_block = src->n_block;
        memcpy(dst->block, src->block, sizeof(dst->block));
    }
    if (HAS(src, NNQ_SITE_ATTR_UNSIGNED)) dst->is_unsigned = src->is_unsigned;
    if (HAS(src, NNQ_SITE_ATTR_NARROW_RANGE)) dst->narrow_range = src->narrow_range;
    if (HAS(src, NNQ_SITE_ATTR_SYMMETRIC)) dst->symmetric = src->symmetric;
    if (HAS(src, NNQ_SITE_ATTR_CALIB_METHOD)) dst->calib_method = src->calib_method;
    if (HAS(src, NNQ_SITE_ATTR_PERCENTILE)) dst->percentile = src->percentile;
    if (HAS(src, NNQ_SITE_ATTR_NUM_BINS)) dst->num_bins = src->num_bins;
    if (HAS(src, NNQ_SITE_ATTR_AMAX)) {
        dst->amax = src->amax;
        dst->has_amax = src->has_amax;
    }
    if (HAS(src, NNQ_SITE_ATTR_FAKE)) dst->fake = src->fake;
    dst->set |= src->set;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

static const char *type_name(const cfg_node *n) {
    static const char *const names[] = {"null", "a boolean", "an integer", "a number",
                                        "a string", "a list", "a mapping"};
    return names[n->type];
}

/* "<where><path>: " prefix + message. */
static nnq_status fail(cfg_ctx *ctx, const cfg_node *n, nnq_status s, const char *fmt, ...)
    NNQ_PRINTF(4, 5);
static nnq_status fail(cfg_ctx *ctx, const cfg_node *n, nnq_status s, const char *fmt, ...) {
    char where[600], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return nnq_error(s, "%s%s: %s", cfg_where(ctx->doc, n, where, sizeof(where)), ctx->path, msg);
}

static nnq_status want(cfg_ctx *ctx, const cfg_node *n, cfg_node_type t, const char *what) {
    if (n->type == t) return NNQ_STATUS_OK;
    return fail(ctx, n, NNQ_STATUS_INVALID_FORMAT, "expected %s, got %s", what, type_name(n));
}

/* Match a string value against a table; the error lists the table. */
static nnq_status enum_value(cfg_ctx *ctx, const cfg_node *n, const char *const *names,
                             size_t count, size_t stride, int *out) {
    NNQ_TRY(want(ctx, n, CFG_STRING, "a string"));
    char list[512] = "";
    for (size_t i = 0; i < count; i++) {
        const char *name = *(const char *const *)(const void *)((const char *)names + i * stride);
        if (strcmp(n->v.s, name) == 0) {
            *out = (int)i;
            return NNQ_STATUS_OK;
        }
        size_t len = strlen(list);
        snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", name);
    }
    return fail(ctx, n, NNQ_STATUS_UNKNOWN_NAME, "unknown value '%s' (valid: %s)", n->v.s, list);
}

static nnq_status parse_bool(cfg_ctx *ctx, const cfg_node *n, bool *out) {
    NNQ_TRY(want(ctx, n, CFG_BOOL, "true or false"));
    *out = n->v.b;
    return NNQ_STATUS_OK;
}

static nnq_status parse_number(cfg_ctx *ctx, const cfg_node *n, double *out) {
    if (n->type == CFG_INT)
        *out = (double)n->v.i;
    else if (n->type == CFG_FLOAT)
        *out = n->v.f;
    else
        return fail(ctx, n, NNQ_STATUS_INVALID_FORMAT, "expected a number, got %s", type_name(n));
    return NNQ_STATUS_OK;
}

static nnq_status parse_num_bits(cfg_ctx *ctx, const cfg_node *n, nnq_site_attrs *a) {
    if (n->type == CFG_SEQ) {
        /* ModelOpt writes floating-point formats as (exponent, mantissa) bits. */
        static const struct { int e, m; nnq_site_format f; } pairs[] = {
            {4, 3, NNQ_SITE_FORMAT_FP8_E4M3},
            {5, 2, NNQ_SITE_FORMAT_FP8_E5M2},
            {2, 1, NNQ_SITE_FORMAT_FP4_E2M1},
        };
        if (n->n == 2 && n->items[0]->type == CFG_INT && n->items[1]->type == CFG_INT) {
            for (size_t i = 0; i < NNQ_ARRAY_LEN(pairs); i++) {
                if (n->items[0]->v.i == pairs[i].e && n->items[1]->v.i == pairs[i].m) {
                    a->format = pairs[i].f;
                    a->num_bits = formats[pairs[i].f].bits;
                    return NNQ_STATUS_OK;
                }
            }
        }
        return fail(ctx, n, NNQ_STATUS_BITS_OUT_OF_RANGE,
                    "an [exponent, mantissa] pair must be [4, 3] (fp8_e4m3), [5, 2] (fp8_e5m2) "
                    "or [2, 1] (fp4_e2m1)");
    }
    NNQ_TRY(want(ctx, n, CFG_INT, "an integer or an [exponent, mantissa] pair"));
    if (!((n->v.i >= 1 && n->v.i <= 8) || n->v.i == 16))
        return fail(ctx, n, NNQ_STATUS_BITS_OUT_OF_RANGE,
                    "%lld bits is not supported (valid: 1 to 8, or 16)", (long long)n->v.i);
    a->format = NNQ_SITE_FORMAT_INT;
    a->num_bits = (int)n->v.i;
    return NNQ_STATUS_OK;
}

/* A scalar or a list of 1..NNQ_MAX_DIMS scalars, as items[count] (a
 * scalar is a list of one).  A list of another length fails with `st` and
 * "<what> needs 1 to N entries, got K<hint>". */
static nnq_status scalar_or_list(cfg_ctx *ctx, const cfg_node *const *n,
                                 const cfg_node *const **items, size_t *count, nnq_status st,
                                 const char *what, const char *hint) {
    *items = n;
    *count = 1;
    if ((*n)->type != CFG_SEQ) return NNQ_STATUS_OK;
    *items = (const cfg_node *const *)(*n)->items;
    *count = (*n)->n;
    if (*count == 0 || *count > NNQ_MAX_DIMS)
        return fail(ctx, *n, st, "%s needs 1 to %d entries, got %zu%s", what, NNQ_MAX_DIMS, *count,
                    hint);
    return NNQ_STATUS_OK;
}

static nnq_status parse_axes(cfg_ctx *ctx, const cfg_node *n, nnq_site_attrs *a) {
    a->n_axes = 0;
    if (n->type == CFG_NULL) return NNQ_STATUS_OK;
    const cfg_node *const *items;
    size_t count;
    NNQ_TRY(scalar_or_list(ctx, &n, &items, &count, NNQ_STATUS_AXIS_OUT_OF_RANGE,
                           "a list of axes", " (null means per-tensor)"));
    for (size_t i = 0; i < count; i++) {
        const cfg_node *it = items[i];
        NNQ_TRY(want(ctx, it, CFG_INT, "an integer axis, a list of them, or null"));
        if (it->v.i < -NNQ_MAX_DIMS || it->v.i >= NNQ_MAX_DIMS)
            return fail(ctx, it, NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis %lld outside [%d, %d]",
                        (long long)it->v.i, -NNQ_MAX_DIMS, NNQ_MAX_DIMS - 1);
        for (int k = 0; k < a->n_axes; k++)
            if (a->axes[k] == (int)it->v.i)
                return fail(ctx, it, NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis %d listed twice",
                            a->axes[k]);
        a->axes[a->n_axes++] = (int)it->v.i;
    }
    return NNQ_STATUS_OK;
}

static nnq_status parse_block(cfg_ctx *ctx, const cfg_node *n, nnq_site_attrs *a) {
    a->n_block = 0;
    if (n->type == CFG_NULL) return NNQ_STATUS_OK;
    const cfg_node *const *items;
    size_t count;
    NNQ_TRY(scalar_or_list(ctx, &n, &items, &count, NNQ_STATUS_OUT_OF_RANGE, "a block shape", ""));
    for (size_t i = 0; i < count; i++) {
        const cfg_node *it = items[i];
        NNQ_TRY(want(ctx, it, CFG_INT, "an integer block size, a list of them, or null"));
        if (it->v.i < 1 || it->v.i > NNQ_CONFIG_MAX_BLOCK)
            return fail(ctx, it, NNQ_STATUS_OUT_OF_RANGE, "block size %lld outside [1, %lld]",
                        (long long)it->v.i, (long long)NNQ_CONFIG_MAX_BLOCK);
        a->block[a->n_block++] = it->v.i;
    }
    return NNQ_STATUS_OK;
}

static nnq_status parse_ranged(cfg_ctx *ctx, const cfg_node *n, nnq_site_attrs *a,
                               nnq_site_attr attr) {
    double v = 0.0;
    if (attr == NNQ_SITE_ATTR_AMAX && n->type == CFG_NULL) {
        a->has_amax = false; /* back to calibrated amax */
        return NNQ_STATUS_OK;
    }
    if (attr == NNQ_SITE_ATTR_NUM_BINS) {
        NNQ_TRY(want(ctx, n, CFG_INT, "an integer"));
        if (n->v.i < 2 || n->v.i > NNQ_CONFIG_MAX_NUM_BINS)
            return fail(ctx, n, NNQ_STATUS_OUT_OF_RANGE, "%lld bins outside [2, %d]",
                        (long long)n->v.i, NNQ_CONFIG_MAX_NUM_BINS);
        a->num_bins = (int)n->v.i;
        return NNQ_STATUS_OK;
    }
    NNQ_TRY(parse_number(ctx, n, &v));
    if (attr == NNQ_SITE_ATTR_PERCENTILE) {
        if (!(v > 0.0 && v <= 100.0))
            return fail(ctx, n, NNQ_STATUS_OUT_OF_RANGE, "percentile %g outside (0, 100]", v);
        a->percentile = v;
        return NNQ_STATUS_OK;
    }
    if (isnan(v) || v > (double)3.4028234663852886e38f)
        return fail(ctx, n, NNQ_STATUS_OUT_OF_RANGE, "amax %g is not a finite float32", v);
    if (v < 0.0)
        return fail(ctx, n, NNQ_STATUS_NEGATIVE_AMAX, "amax %g is negative", v);
    a->amax = (float)v;
    a->has_amax = true;
    return NNQ_STATUS_OK;
}

static const char *const attr_keys[] = {"enable", "num_bits", "format", "axis", "block_size",
                                        "unsigned", "narrow_range", "symmetric", "mode",
                                        "calib_method", "percentile", "num_bins", "amax", "fake"};

static nnq_status parse_attr(cfg_ctx *ctx, size_t key, const cfg_node *n, nnq_site_attrs *a) {
    int e = 0;
    switch (key) {
    case 0: return parse_bool(ctx, n, &a->enable);
    case 1: return parse_num_bits(ctx, n, a);
    case 2:
        NNQ_TRY(enum_value(ctx, n, &formats[0].name, NNQ_SITE_FORMAT_COUNT_, sizeof(formats[0]),
                           &e));
        a->format = (nnq_site_format)e;
        a->num_bits = formats[e].bits ? formats[e].bits : 8;
        return NNQ_STATUS_OK;
    case 3: return parse_axes(ctx, n, a);
    case 4: return parse_block(ctx, n, a);
    case 5: return parse_bool(ctx, n, &a->is_unsigned);
    case 6: return parse_bool(ctx, n, &a->narrow_range);
    case 7: return parse_bool(ctx, n, &a->symmetric);
    case 8:
        NNQ_TRY(enum_value(ctx, n, mode_names, 2, sizeof(mode_names[0]), &e));
        a->symmetric = e == 1;
        return NNQ_STATUS_OK;
    case 9:
        NNQ_TRY(enum_value(ctx, n, calib_names, NNQ_SITE_CALIB_COUNT_, sizeof(calib_names[0]), &e));
        a->calib_method = (nnq_site_calib)e;
        return NNQ_STATUS_OK;
    case 10: return parse_ranged(ctx, n, a, NNQ_SITE_ATTR_PERCENTILE);
    case 11: return parse_ranged(ctx, n, a, NNQ_SITE_ATTR_NUM_BINS);
    case 12: return parse_ranged(ctx, n, a, NNQ_SITE_ATTR_AMAX);
    default: return parse_bool(ctx, n, &a->fake);
    }
}

/* Which attribute bit each key of attr_keys sets. */
static const nnq_site_attr attr_of_key[] = {
    NNQ_SITE_ATTR_ENABLE,     NNQ_SITE_ATTR_FORMAT,       NNQ_SITE_ATTR_FORMAT,
    NNQ_SITE_ATTR_AXIS,       NNQ_SITE_ATTR_BLOCK_SIZE,   NNQ_SITE_ATTR_UNSIGNED,
    NNQ_SITE_ATTR_NARROW_RANGE, NNQ_SITE_ATTR_SYMMETRIC,  NNQ_SITE_ATTR_SYMMETRIC,
    NNQ_SITE_ATTR_CALIB_METHOD, NNQ_SITE_ATTR_PERCENTILE, NNQ_SITE_ATTR_NUM_BINS,
    NNQ_SITE_ATTR_AMAX,       NNQ_SITE_ATTR_FAKE,
};

static size_t path_push(cfg_ctx *ctx, const char *key) {
    size_t len = strlen(ctx->path);
    bool plain = key[0] != '\0';
    for (const char *p = key; *p; p++)
        if (!(*p == '_' || *p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            plain = false;
    snprintf(ctx->path + len, sizeof(ctx->path) - len, plain ? "%s%s" : "%s\"%s\"",
             len ? "." : "", key);
    return len;
}

static void path_pop(cfg_ctx *ctx, size_t len) { ctx->path[len] = '\0'; }

nnq_status cfg_attrs_parse(cfg_ctx *ctx, const cfg_node *node, nnq_site_attrs *out) {
    nnq_site_attrs_default(out);
    out->set = 1u << NNQ_SITE_ATTR_ENABLE;
    if (node->type == CFG_NULL) return NNQ_STATUS_OK; /* null: disable */
    if (node->type == CFG_SEQ)
        return fail(ctx, node, NNQ_STATUS_UNSUPPORTED,
                    "a list of attribute mappings (sequential quantizers) is not supported; "
                    "give one mapping or null");
    NNQ_TRY(want(ctx, node, CFG_MAP, "a mapping of quantizer attributes or null"));
    out->enable = true;
    const cfg_node *given[NNQ_ARRAY_LEN(attr_keys)] = {NULL};
    for (size_t i = 0; i < node->n; i++) {
        size_t k = 0;
        while (k < NNQ_ARRAY_LEN(attr_keys) && strcmp(node->keys[i], attr_keys[k]) != 0) k++;
        if (k == NNQ_ARRAY_LEN(attr_keys)) {
            char list[256] = "";
            for (size_t j = 0; j < NNQ_ARRAY_LEN(attr_keys); j++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "", attr_keys[j]);
            }
            return fail(ctx, node->key_nodes[i], NNQ_STATUS_UNKNOWN_NAME,
                        "unknown quantizer attribute '%s' (valid: %s)", node->keys[i], list);
        }
        size_t mark = path_push(ctx, node->keys[i]);
        nnq_status s = parse_attr(ctx, k, node->items[i], out);
        path_pop(ctx, mark);
        NNQ_TRY(s);
        given[k] = node->items[i];
        out->set |= 1u << attr_of_key[k];
    }
    /* Aliases that land on the same attribute must agree. */
    if (given[1] && given[2]) {
        int f = 0;
        nnq_site_attrs bits;
        NNQ_TRY(enum_value(ctx, given[2], &formats[0].name, NNQ_SITE_FORMAT_COUNT_,
                           sizeof(formats[0]), &f));
        NNQ_TRY(parse_num_bits(ctx, given[1], &bits));
        bool agree = given[1]->type == CFG_INT
                         ? f == NNQ_SITE_FORMAT_INT || formats[f].bits == bits.num_bits
                         : f == (int)bits.format;
        if (!agree)
            return fail(ctx, given[1], NNQ_STATUS_INVALID_FORMAT,
                        "num_bits and format '%s' disagree", formats[f].name);
        out->format = (nnq_site_format)f;
        out->num_bits = bits.num_bits;
    }
    if (given[7] && given[8] && given[7]->v.b != (strcmp(given[8]->v.s, "linear_symmetric") == 0))
        return fail(ctx, given[7], NNQ_STATUS_INVALID_FORMAT,
                    "symmetric: %s and mode: %s disagree", given[7]->v.b ? "true" : "false",
                    given[8]->v.s);
    return NNQ_STATUS_OK;
}

/* ------------------------------------------------------------------------ */
/* Rules on a resolved site                                                  */
/* ------------------------------------------------------------------------ */

nnq_status cfg_attrs_check(const nnq_site_attrs *a, const char *site_name) {
    if (!a->enable) return NNQ_STATUS_OK;
    const char *fmt = formats[a->format].name;
    int fblock = formats[a->format].block;
    if (fblock && !(a->n_block == 0 || (a->n_block == 1 && a->block[0] == fblock)))
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "config: site '%s': format %s uses blocks of %d, but block_size is "
                         "set to another value",
                         site_name, fmt, fblock);
    if (a->is_unsigned && a->format != NNQ_SITE_FORMAT_INT)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "config: site '%s': unsigned applies to int formats only, not %s",
                         site_name, fmt);
    if (a->n_axes > 0 && a->n_block > 0)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "config: site '%s': both axis and block_size are set; per-block "
                         "quantization takes no axis (set axis: null)",
                         site_name);
    return NNQ_STATUS_OK;
}

/* ------------------------------------------------------------------------ */
/* Canonical JSON                                                            */
/* ------------------------------------------------------------------------ */

/* Shortest decimal that reads back to the same value. */
static void put_number(cfg_buf *b, double v, bool as_float) {
    char s[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, sizeof(s), "%.*g", prec, v);
        if (as_float ? strtof(s, NULL) == (float)v : strtod(s, NULL) == v) break;
    }
    cfg_buf_printf(b, "%s", s);
}

static void put_ints(cfg_buf *b, const int64_t *v, int n) {
    if (n == 0) {
        cfg_buf_printf(b, "%s", "null");
        return;
    }
    cfg_buf_printf(b, "%s", "[");
    for (int i = 0; i < n; i++) cfg_buf_printf(b, "%s%lld", i ? ", " : "", (long long)v[i]);
    cfg_buf_printf(b, "%s", "]");
}

void cfg_attrs_to_json(cfg_buf *b, const nnq_site_attrs *a, bool all) {
    const char *sep = "";
#define FIELD(attr, name)                                                                          \
    if (all || HAS(a, attr)) {                                                                     \
        cfg_buf_printf(b, "%s\"%s\": ", sep, name);                                                \
        sep = ", ";
#define END }
    cfg_buf_printf(b, "%s", "{");
    FIELD(NNQ_SITE_ATTR_ENABLE, "enable") cfg_buf_printf(b, "%s", a->enable ? "true" : "false"); END
    FIELD(NNQ_SITE_ATTR_FORMAT, "format") cfg_buf_json_string(b, formats[a->format].name);
        cfg_buf_printf(b, ", \"num_bits\": %d", a->num_bits); END
    FIELD(NNQ_SITE_ATTR_AXIS, "axis") {
        int64_t axes[NNQ_MAX_DIMS];
        for (int i = 0; i < a->n_axes; i++) axes[i] = a->axes[i];
        put_ints(b, axes, a->n_axes);
    } END
    FIELD(NNQ_SITE_ATTR_BLOCK_SIZE, "block_size") put_ints(b, a->block, a->n_block); END
    FIELD(NNQ_SITE_ATTR_UNSIGNED, "unsigned") cfg_buf_printf(b, "%s", a->is_unsigned ? "true" : "false"); END
    FIELD(NNQ_SITE_ATTR_NARROW_RANGE, "narrow_range")
        cfg_buf_printf(b, "%s", a->narrow_range ? "true" : "false"); END
    FIELD(NNQ_SITE_ATTR_SYMMETRIC, "mode") cfg_buf_json_string(b, mode_names[a->symmetric]); END
    FIELD(NNQ_SITE_ATTR_CALIB_METHOD, "calib_method")
        cfg_buf_json_string(b, calib_names[a->calib_method]); END
    FIELD(NNQ_SITE_ATTR_PERCENTILE, "percentile") put_number(b, a->percentile, false); END
    FIELD(NNQ_SITE_ATTR_NUM_BINS, "num_bins") cfg_buf_printf(b, "%d", a->num_bins); END
    FIELD(NNQ_SITE_ATTR_AMAX, "amax") {
        if (a->has_amax)
            put_number(b, (double)a->amax, true);
        else
            cfg_buf_printf(b, "%s", "null");
    } END
    FIELD(NNQ_SITE_ATTR_FAKE, "fake") cfg_buf_printf(b, "%s", a->fake ? "true" : "false"); END
    cfg_buf_printf(b, "%s", "}");
#undef FIELD
#undef END
}
