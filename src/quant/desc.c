/* desc.c - quantization descriptors: defaults, presets, validation, JSON / YAML. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal.h"
#include "quant/quant_internal.h"

void nnq_qdesc_init(nnq_qdesc *d) {
    memset(d, 0, sizeof *d);
    d->format = NNQ_QFORMAT_INT;
    d->num_bits = 8;
    d->block_axis = -1;
    d->fake_quant = true;
    snprintf(d->calib_method, sizeof d->calib_method, "max");
}

nnq_status nnq_qdesc_preset(const char *name, nnq_qdesc *out) {
    static const char *const per_channel[] = {
        "8bit_conv1d_weight_per_channel", "8bit_conv2d_weight_per_channel",
        "8bit_conv3d_weight_per_channel", "8bit_linear_weight_per_channel"};
    if (!name || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "qdesc_preset: NULL argument");
    nnq_qdesc_init(out);
    if (strcmp(name, "8bit_per_tensor") == 0) return NNQ_STATUS_OK;
    if (strcmp(name, "unsigned_8bit_per_tensor") == 0) {
        out->is_unsigned = true;
        return NNQ_STATUS_OK;
    }
    for (size_t i = 0; i < NNQ_ARRAY_LEN(per_channel); i++) {
        if (strcmp(name, per_channel[i]) == 0) {
            out->naxes = 1; /* output channels: axis 0 of Conv / Gemm weights */
            out->axes[0] = 0;
            return NNQ_STATUS_OK;
        }
    }
    return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "qdesc_preset: unknown descriptor '%s'", name);
}

static bool known_calib(const char *m) {
    return strcmp(m, "max") == 0 || strcmp(m, "histogram") == 0;
}

nnq_status nnq_qdesc_validate(const nnq_qdesc *d) {
    static const char fn[] = "qdesc";
    if (!d) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL descriptor", fn);
    const nnq_qformat_info *fi = nnq_qformat_get(d->format);
    if (!fi) return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "%s: format %d unknown", fn, (int)d->format);
    if (d->format == NNQ_QFORMAT_INT) {
        nnq_int_format f = {d->num_bits, d->is_unsigned, d->narrow_range};
        NNQ_TRY(nnq_int_format_check(fn, &f));
    }
    if (d->naxes < 0 || d->naxes > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: %d axes, at most %d", fn, d->naxes,
                         NNQ_MAX_DIMS);
    for (int i = 0; i < d->naxes; i++) {
        if (d->axes[i] < -NNQ_MAX_DIMS || d->axes[i] >= NNQ_MAX_DIMS)
            return nnq_error(NNQ_STATUS_AXIS_OUT_OF_RANGE, "%s: axis %d outside [%d, %d)", fn,
                             d->axes[i], -NNQ_MAX_DIMS, NNQ_MAX_DIMS);
        for (int j = 0; j < i; j++)
            if (d->axes[j] == d->axes[i])
                return nnq_error(NNQ_STATUS_AXIS_OUT_OF_RANGE, "%s: axis %d listed twice", fn,
                                 d->axes[i]);
    }
    if (d->block_size < 0)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH, "%s: block_size %lld must be >= 0", fn,
                         (long long)d->block_size);
    if (d->block_size > 0 && d->naxes > 0)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "%s: block_size %lld and axis are exclusive (blocks keep every other axis)",
                         fn, (long long)d->block_size);
    if (d->block_axis < -NNQ_MAX_DIMS || d->block_axis >= NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_AXIS_OUT_OF_RANGE, "%s: block_axis %d outside [%d, %d)", fn,
                         d->block_axis, -NNQ_MAX_DIMS, NNQ_MAX_DIMS);
    if (fi->block && d->block_size != 0 && d->block_size != fi->block)
        return nnq_error(NNQ_STATUS_BLOCK_MISMATCH, "%s: format %s has fixed blocks of %d, not %lld",
                         fn, fi->name, fi->block, (long long)d->block_size);
    if (d->has_amax && !isfinite(d->amax))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: amax %g must be finite", fn, (double)d->amax);
    if (d->has_amax && d->amax < 0.0f)
        return nnq_error(NNQ_STATUS_NEGATIVE_AMAX, "%s: amax %g must be >= 0", fn, (double)d->amax);
    if (!(d->scale_amax >= 0.0f) || isinf(d->scale_amax))
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "%s: scale_amax %g must be finite and >= 0 (0 = unset)",
                         fn, (double)d->scale_amax);
    if (!memchr(d->calib_method, 0, sizeof d->calib_method) || !known_calib(d->calib_method))
        return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "%s: calib_method '%.*s' is not max or histogram",
                         fn, (int)sizeof d->calib_method, d->calib_method);
    return NNQ_STATUS_OK;
}

bool nnq_qdesc_equal(const nnq_qdesc *a, const nnq_qdesc *b) {
    if (a->format != b->format || a->num_bits != b->num_bits || a->naxes != b->naxes ||
        a->block_axis != b->block_axis || a->block_size != b->block_size ||
        a->has_amax != b->has_amax || (a->has_amax && a->amax != b->amax) ||
        a->is_unsigned != b->is_unsigned || a->narrow_range != b->narrow_range ||
        a->fake_quant != b->fake_quant || a->learn_amax != b->learn_amax ||
        a->scale_amax != b->scale_amax ||
        strncmp(a->calib_method, b->calib_method, sizeof a->calib_method) != 0)
        return false;
    for (int i = 0; i < a->naxes; i++)
        if (a->axes[i] != b->axes[i]) return false;
    return true;
}

/* ---- writing: one list of (key, kind) visited by both emitters ---- */

typedef enum { K_INT, K_BOOL, K_FLOAT, K_STR, K_AXES } key_kind;

typedef struct field_out {
    const char *key;
    key_kind kind;
    long long i;
    double f;
    const char *s;
} field_out;

/* Fields of d that differ from the defaults, in a fixed order. */
static size_t changed_fields(const nnq_qdesc *d, field_out *out) {
    nnq_qdesc def;
    size_t n = 0;
    nnq_qdesc_init(&def);
    if (d->format != def.format)
        out[n++] = (field_out){"format", K_STR, 0, 0, nnq_qformat_get(d->format)->name};
    if (d->num_bits != def.num_bits) out[n++] = (field_out){"num_bits", K_INT, d->num_bits, 0, NULL};
    if (d->naxes > 0) out[n++] = (field_out){"axis", K_AXES, 0, 0, NULL};
    if (d->block_axis != def.block_axis)
        out[n++] = (field_out){"block_axis", K_INT, d->block_axis, 0, NULL};
    if (d->block_size != def.block_size)
        out[n++] = (field_out){"block_size", K_INT, d->block_size, 0, NULL};
    if (d->has_amax) out[n++] = (field_out){"amax", K_FLOAT, 0, (double)d->amax, NULL};
    if (d->is_unsigned) out[n++] = (field_out){"unsigned", K_BOOL, 1, 0, NULL};
    if (d->narrow_range) out[n++] = (field_out){"narrow_range", K_BOOL, 1, 0, NULL};
    if (!d->fake_quant) out[n++] = (field_out){"fake_quant", K_BOOL, 0, 0, NULL};
    if (d->learn_amax) out[n++] = (field_out){"learn_amax", K_BOOL, 1, 0, NULL};
    if (d->scale_amax != 0.0f)
        out[n++] = (field_out){"scale_amax", K_FLOAT, 0, (double)d->scale_amax, NULL};
    if (strcmp(d->calib_method, def.calib_method) != 0)
        out[n++] = (field_out){"calib_method", K_STR, 0, 0, d->calib_method};
    return n;
}

static nnq_status dup_out(const char *fn, const char *s, char **out) {
    size_t len = strlen(s) + 1;
    *out = nnq_malloc(len);
    if (!*out) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: %zu bytes", fn, len);
    memcpy(*out, s, len);
    return NNQ_STATUS_OK;
}

nnq_status nnq_qdesc_to_json(const nnq_qdesc *d, char **out) {
    static const char fn[] = "qdesc_to_json";
    field_out f[16];
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL output", fn);
    NNQ_TRY(nnq_qdesc_validate(d));
    size_t n = changed_fields(d, f);
    json_object *o = json_object_new_object(), *v = NULL;
    if (!o) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: json object", fn);
    for (size_t i = 0; i < n; i++) {
        switch (f[i].kind) {
        case K_INT: v = json_object_new_int64(f[i].i); break;
        case K_BOOL: v = json_object_new_boolean(f[i].i != 0); break;
        case K_FLOAT: v = json_object_new_double(f[i].f); break;
        case K_STR: v = json_object_new_string(f[i].s); break;
        default:
            if (d->naxes == 1) {
                v = json_object_new_int(d->axes[0]);
                break;
            }
            v = json_object_new_array();
            for (int a = 0; v && a < d->naxes; a++)
                json_object_array_add(v, json_object_new_int(d->axes[a]));
        }
        json_object_object_add(o, f[i].key, v);
    }
    nnq_status s = dup_out(fn, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), out);
    json_object_put(o);
    return s;
}

nnq_status nnq_qdesc_to_yaml(const nnq_qdesc *d, char **out) {
    static const char fn[] = "qdesc_to_yaml";
    field_out f[16];
    char buf[1024];
    size_t len = 0;
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL output", fn);
    NNQ_TRY(nnq_qdesc_validate(d));
    size_t n = changed_fields(d, f);
    buf[0] = '\0';
    if (n == 0) return dup_out(fn, "{}\n", out);
    /* Every value is a number, a boolean or a format / method name made of
     * [a-z0-9_], so plain scalars need no quoting. */
    for (size_t i = 0; i < n; i++) {
        char *p = buf + len;
        size_t room = sizeof buf - len;
        int w;
        switch (f[i].kind) {
        case K_INT: w = snprintf(p, room, "%s: %lld\n", f[i].key, f[i].i); break;
        case K_BOOL: w = snprintf(p, room, "%s: %s\n", f[i].key, f[i].i ? "true" : "false"); break;
        case K_FLOAT: w = snprintf(p, room, "%s: %.9g\n", f[i].key, f[i].f); break;
        case K_STR: w = snprintf(p, room, "%s: %s\n", f[i].key, f[i].s); break;
        default:
            w = snprintf(p, room, "%s: [", f[i].key);
            for (int a = 0; a < d->naxes && w > 0 && (size_t)w < room; a++)
                w += snprintf(p + w, room - (size_t)w, "%s%d", a ? ", " : "", d->axes[a]);
            if (w > 0 && (size_t)w < room) w += snprintf(p + w, room - (size_t)w, "]\n");
        }
        if (w < 0 || (size_t)w >= room)
            return nnq_error(NNQ_STATUS_INTERNAL, "%s: YAML text exceeds %zu bytes", fn, sizeof buf);
        len += (size_t)w;
    }
    return dup_out(fn, buf, out);
}

/* ---- reading: both parsers reduce a value to text, a list of texts or null ---- */

typedef struct field_in {
    bool is_null, is_list;
    const char *text;
    size_t n;
    const char *items[NNQ_MAX_DIMS + 1];
} field_in;

static nnq_status bad_value(const char *key, const char *want, const char *got) {
    return nnq_error(NNQ_STATUS_INVALID_FORMAT, "qdesc: key '%s' expects %s, got '%s'", key, want,
                     got ? got : "a list");
}

static nnq_status parse_ll(const char *key, const char *t, long long lo, long long hi,
                           long long *out) {
    char *end;
    if (!t || !*t) return bad_value(key, "an integer", t);
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (*end || errno) return bad_value(key, "an integer", t);
    if (v < lo || v > hi)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "qdesc: key '%s' value %lld outside [%lld, %lld]",
                         key, v, lo, hi);
    *out = v;
    return NNQ_STATUS_OK;
}

static nnq_status parse_int(const char *key, const char *t, int *out) {
    long long v;
    NNQ_TRY(parse_ll(key, t, -(1LL << 30), 1LL << 30, &v));
    *out = (int)v;
    return NNQ_STATUS_OK;
}

static nnq_status parse_float(const char *key, const char *t, float *out) {
    char *end;
    if (!t || !*t) return bad_value(key, "a number", t);
    float v = strtof(t, &end);
    if (*end) return bad_value(key, "a number", t);
    *out = v;
    return NNQ_STATUS_OK;
}

static nnq_status parse_bool(const char *key, const char *t, bool *out) {
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "on"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "off"};
    for (size_t i = 0; t && i < NNQ_ARRAY_LEN(yes); i++) {
        if (strcmp(t, yes[i]) == 0) return (*out = true), NNQ_STATUS_OK;
        if (strcmp(t, no[i]) == 0) return (*out = false), NNQ_STATUS_OK;
    }
    return bad_value(key, "true or false", t);
}

static nnq_status apply_axes(nnq_qdesc *d, const field_in *v) {
    if (v->is_null) {
        d->naxes = 0;
        return NNQ_STATUS_OK;
    }
    if (!v->is_list) {
        d->naxes = 1;
        return parse_int("axis", v->text, &d->axes[0]);
    }
    if (v->n > NNQ_MAX_DIMS)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "qdesc: key 'axis' lists %zu axes, at most %d",
                         v->n, NNQ_MAX_DIMS);
    d->naxes = (int)v->n;
    for (size_t i = 0; i < v->n; i++) NNQ_TRY(parse_int("axis", v->items[i], &d->axes[i]));
    return NNQ_STATUS_OK;
}

static nnq_status apply_field(nnq_qdesc *d, const char *key, const field_in *v) {
    nnq_qdesc def;
    nnq_qdesc_init(&def);
    if (strcmp(key, "axis") == 0) return apply_axes(d, v);
    if (v->is_list) return bad_value(key, "a scalar", NULL);
    const char *t = v->text;
    if (strcmp(key, "format") == 0) {
        if (v->is_null) return (d->format = def.format), NNQ_STATUS_OK;
        return nnq_qformat_from_name(t, &d->format);
    }
    if (strcmp(key, "num_bits") == 0) return v->is_null ? NNQ_STATUS_OK : parse_int(key, t, &d->num_bits);
    if (strcmp(key, "block_axis") == 0)
        return v->is_null ? NNQ_STATUS_OK : parse_int(key, t, &d->block_axis);
    if (strcmp(key, "block_size") == 0) {
        long long b = 0;
        if (!v->is_null) NNQ_TRY(parse_ll(key, t, 0, INT64_MAX, &b));
        d->block_size = b;
        return NNQ_STATUS_OK;
    }
    if (strcmp(key, "amax") == 0) {
        d->has_amax = !v->is_null;
        return v->is_null ? NNQ_STATUS_OK : parse_float(key, t, &d->amax);
    }
    if (strcmp(key, "scale_amax") == 0) {
        d->scale_amax = 0.0f;
        return v->is_null ? NNQ_STATUS_OK : parse_float(key, t, &d->scale_amax);
    }
    if (strcmp(key, "unsigned") == 0) return v->is_null ? NNQ_STATUS_OK : parse_bool(key, t, &d->is_unsigned);
    if (strcmp(key, "narrow_range") == 0)
        return v->is_null ? NNQ_STATUS_OK : parse_bool(key, t, &d->narrow_range);
    if (strcmp(key, "fake_quant") == 0) return v->is_null ? NNQ_STATUS_OK : parse_bool(key, t, &d->fake_quant);
    if (strcmp(key, "learn_amax") == 0) return v->is_null ? NNQ_STATUS_OK : parse_bool(key, t, &d->learn_amax);
    if (strcmp(key, "calib_method") == 0) {
        if (v->is_null) return NNQ_STATUS_OK;
        if (strlen(t) >= sizeof d->calib_method || !known_calib(t))
            return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "qdesc: calib_method '%s' is not max or histogram", t);
        snprintf(d->calib_method, sizeof d->calib_method, "%s", t);
        return NNQ_STATUS_OK;
    }
    return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "qdesc: unknown key '%s'", key);
}

nnq_status nnq_qdesc_from_json(const char *text, nnq_qdesc *out) {
    static const char fn[] = "qdesc_from_json";
    enum json_tokener_error err;
    nnq_qdesc d;
    if (!text || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL argument", fn);
    json_object *o = json_tokener_parse_verbose(text, &err);
    if (!o) return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: %s", fn, json_tokener_error_desc(err));
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: document is not an object", fn);
    }
    nnq_status s = NNQ_STATUS_OK;
    nnq_qdesc_init(&d);
    struct json_object_iterator it = json_object_iter_begin(o), end = json_object_iter_end(o);
    while (s == NNQ_STATUS_OK && !json_object_iter_equal(&it, &end)) {
        const char *key = json_object_iter_peek_name(&it);
        json_object *v = json_object_iter_peek_value(&it);
        field_in f = {0};
        f.is_null = v == NULL;
        if (json_object_is_type(v, json_type_array)) {
            f.is_list = true;
            f.n = json_object_array_length(v);
            for (size_t i = 0; i < f.n && i <= NNQ_MAX_DIMS; i++)
                f.items[i] = json_object_get_string(json_object_array_get_idx(v, i));
        } else if (json_object_is_type(v, json_type_object)) {
            s = bad_value(key, "a scalar", "{...}");
        } else if (v) {
            f.text = json_object_get_string(v);
        }
        if (s == NNQ_STATUS_OK) s = apply_field(&d, key, &f);
        json_object_iter_next(&it);
    }
    json_object_put(o);
    NNQ_TRY(s);
    NNQ_TRY(nnq_qdesc_validate(&d));
    *out = d;
    return NNQ_STATUS_OK;
}

static bool yaml_is_null(const yaml_node_t *n) {
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    return strcmp(v, "") == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static nnq_status yaml_field(yaml_document_t *doc, yaml_node_t *v, const char *key, field_in *f) {
    if (v->type == YAML_SCALAR_NODE) {
        f->is_null = yaml_is_null(v);
        f->text = (const char *)v->data.scalar.value;
        return NNQ_STATUS_OK;
    }
    if (v->type != YAML_SEQUENCE_NODE) return bad_value(key, "a scalar or a list", "{...}");
    f->is_list = true;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        yaml_node_t *item = yaml_document_get_node(doc, *i);
        if (!item || item->type != YAML_SCALAR_NODE) return bad_value(key, "a list of scalars", "[...]");
        if (f->n <= NNQ_MAX_DIMS) f->items[f->n] = (const char *)item->data.scalar.value;
        f->n++;
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_qdesc_from_yaml(const char *text, nnq_qdesc *out) {
    static const char fn[] = "qdesc_from_yaml";
    yaml_parser_t parser;
    yaml_document_t doc;
    nnq_qdesc d;
    if (!text || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (!yaml_parser_initialize(&parser))
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: YAML parser", fn);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&parser, &doc)) {
        nnq_status e = nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: line %zu: %s", fn,
                                 parser.problem_mark.line + 1,
                                 parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return e;
    }
    nnq_qdesc_init(&d);
    nnq_status s = NNQ_STATUS_OK;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type != YAML_MAPPING_NODE)
        s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: document is not a mapping", fn);
    for (yaml_node_pair_t *p = root && s == NNQ_STATUS_OK ? root->data.mapping.pairs.start : NULL;
         p && p < root->data.mapping.pairs.top && s == NNQ_STATUS_OK; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&doc, p->value);
        field_in f = {0};
        if (!k || k->type != YAML_SCALAR_NODE || !v) {
            s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: a key is not a scalar", fn);
            break;
        }
        const char *key = (const char *)k->data.scalar.value;
        s = yaml_field(&doc, v, key, &f);
        if (s == NNQ_STATUS_OK) s = apply_field(&d, key, &f);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    NNQ_TRY(s);
    NNQ_TRY(nnq_qdesc_validate(&d));
    *out = d;
    return NNQ_STATUS_OK;
}
