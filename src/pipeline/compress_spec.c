/*
 * compress_spec.c - the YAML / JSON document that says how `nnq compress`
 * treats each weight (sections global, op_type, name; see
 * docs/compress.md), parsed with the config layer's document tree.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "graph/ir.h"
#include "pipeline/compress_model.h"

#define CSPEC_MAX_BYTES NNQ_CONFIG_MAX_BYTES

typedef struct name_val {
    const char *name;
    int value;
} name_val;

static const name_val modes[] = {{"palettize", CSPEC_MODE_PALETTIZE},
                                 {"linear", CSPEC_MODE_LINEAR},
                                 {"prune", CSPEC_MODE_NONE}};
static const name_val methods[] = {{"kmeans", NNQ_PALETTE_MODE_KMEANS},
                                   {"uniform", NNQ_PALETTE_MODE_UNIFORM},
                                   {"unique", NNQ_PALETTE_MODE_UNIQUE}};
static const name_val luts[] = {{"fp32", NNQ_LUT_DTYPE_FP32},
                                {"fp16", NNQ_LUT_DTYPE_FP16},
                                {"int8", NNQ_LUT_DTYPE_INT8}};
static const name_val lmodes[] = {{"linear", NNQ_LINEAR_MODE_LINEAR},
                                  {"linear_symmetric", NNQ_LINEAR_MODE_SYMMETRIC}};
static const name_val prunes[] = {{"none", NNQ_PRUNE_MODE_NONE},
                                  {"threshold", NNQ_PRUNE_MODE_THRESHOLD},
                                  {"magnitude", NNQ_PRUNE_MODE_MAGNITUDE},
                                  {"n_m", NNQ_PRUNE_MODE_N_M},
                                  {"block", NNQ_PRUNE_MODE_BLOCK}};
static const name_val ldtypes[] = {{"int", 0}, {"uint", 1}};
/* granularity: group size 0 (one table), 1 (per channel), or given;
 * per_block: blocks of block_size along the input axis. */
#define GRAN_PER_BLOCK (-2)
static const name_val grans[] = {{"per_tensor", 0},
                                 {"per_channel", 1},
                                 {"per_grouped_channel", -1},
                                 {"per_block", GRAN_PER_BLOCK}};

typedef struct parse_ctx {
    const cfg_doc *doc;
} parse_ctx;

static nnq_status bad(parse_ctx *p, const cfg_node *n, nnq_status s, const char *fmt,
                      const char *key, const char *what) {
    char where[256];
    return nnq_error(s, "compress spec: %skey '%s': %s%s", cfg_where(p->doc, n, where, sizeof where),
                     key, fmt, what ? what : "");
}

static nnq_status parse_enum(parse_ctx *p, const cfg_node *n, const char *key, const name_val *t,
                             size_t nt, int *out) {
    if (n->type != CFG_STRING) return bad(p, n, NNQ_STATUS_INVALID_FORMAT, "expected a name", key, NULL);
    for (size_t i = 0; i < nt; i++)
        if (strcmp(t[i].name, n->v.s) == 0) {
            *out = t[i].value;
            return NNQ_STATUS_OK;
        }
    char list[256] = "";
    for (size_t i = 0; i < nt; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, t[i].name, sizeof list - strlen(list) - 1);
    }
    char where[256];
    return nnq_error(NNQ_STATUS_UNKNOWN_NAME, "compress spec: %skey '%s': unknown value '%s' (one of: %s)",
                     cfg_where(p->doc, n, where, sizeof where), key, n->v.s, list);
}

/* An integer in [lo, hi]. */
static nnq_status parse_int(parse_ctx *p, const cfg_node *n, const char *key, int64_t lo, int64_t hi,
                            int64_t *out) {
    if (n->type != CFG_INT) return bad(p, n, NNQ_STATUS_INVALID_FORMAT, "expected an integer", key, NULL);
    if (n->v.i < lo || n->v.i > hi) {
        char where[256];
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "compress spec: %skey '%s': %lld outside [%lld, %lld]",
                         cfg_where(p->doc, n, where, sizeof where), key, (long long)n->v.i,
                         (long long)lo, (long long)hi);
    }
    *out = n->v.i;
    return NNQ_STATUS_OK;
}

static nnq_status parse_float(parse_ctx *p, const cfg_node *n, const char *key, double *out) {
    double v;
    if (n->type == CFG_INT) v = (double)n->v.i;
    else if (n->type == CFG_FLOAT) v = n->v.f;
    else return bad(p, n, NNQ_STATUS_INVALID_FORMAT, "expected a number", key, NULL);
    if (!isfinite(v) || v < 0) {
        char where[256];
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE, "compress spec: %skey '%s': %g is not a finite number >= 0",
                         cfg_where(p->doc, n, where, sizeof where), key, v);
    }
    *out = v;
    return NNQ_STATUS_OK;
}

static nnq_status parse_key(parse_ctx *p, const char *key, const cfg_node *v, cspec_settings *s) {
    int e = 0;
    int64_t i = 0;
    double f = 0;
    if (strcmp(key, "mode") == 0) {
        NNQ_TRY(parse_enum(p, v, key, modes, NNQ_ARRAY_LEN(modes), &e));
        s->mode = (cspec_mode)e, s->set |= CSET_MODE;
    } else if (strcmp(key, "bits") == 0) {
        if (v->type == CFG_INT && (v->v.i < 1 || v->v.i > 8)) {
            char where[256];
            return nnq_error(NNQ_STATUS_BITS_OUT_OF_RANGE,
                             "compress spec: %skey 'bits': %lld outside [1, 8]",
                             cfg_where(p->doc, v, where, sizeof where), (long long)v->v.i);
        }
        NNQ_TRY(parse_int(p, v, key, 1, 8, &i));
        s->bits = (int)i, s->set |= CSET_BITS;
    } else if (strcmp(key, "method") == 0) {
        NNQ_TRY(parse_enum(p, v, key, methods, NNQ_ARRAY_LEN(methods), &e));
        s->cfg.palette_mode = (nnq_palette_mode)e, s->set |= CSET_METHOD;
    } else if (strcmp(key, "granularity") == 0) {
        NNQ_TRY(parse_enum(p, v, key, grans, NNQ_ARRAY_LEN(grans), &e));
        /* per_grouped_channel keeps a group_size given elsewhere (default 16). */
        s->per_block = e == GRAN_PER_BLOCK;
        if (s->per_block) s->cfg.group_size = 0;
        else if (e >= 0 || !(s->set & CSET_GROUP)) s->cfg.group_size = e >= 0 ? e : 16;
        s->set |= CSET_GROUP;
    } else if (strcmp(key, "group_size") == 0) {
        NNQ_TRY(parse_int(p, v, key, 0, INT32_MAX, &i));
        s->cfg.group_size = (int)i, s->set |= CSET_GROUP;
    } else if (strcmp(key, "lut_dtype") == 0) {
        NNQ_TRY(parse_enum(p, v, key, luts, NNQ_ARRAY_LEN(luts), &e));
        s->cfg.lut_dtype = (nnq_lut_dtype)e, s->set |= CSET_LUT;
    } else if (strcmp(key, "linear_mode") == 0) {
        NNQ_TRY(parse_enum(p, v, key, lmodes, NNQ_ARRAY_LEN(lmodes), &e));
        s->cfg.linear_mode = (nnq_linear_mode)e, s->set |= CSET_LMODE;
    } else if (strcmp(key, "linear_dtype") == 0) {
        NNQ_TRY(parse_enum(p, v, key, ldtypes, NNQ_ARRAY_LEN(ldtypes), &e));
        s->is_unsigned = e == 1, s->set |= CSET_DTYPE;
    } else if (strcmp(key, "prune") == 0) {
        NNQ_TRY(parse_enum(p, v, key, prunes, NNQ_ARRAY_LEN(prunes), &e));
        s->cfg.prune_mode = (nnq_prune_mode)e, s->set |= CSET_PRUNE;
    } else if (strcmp(key, "threshold") == 0) {
        NNQ_TRY(parse_float(p, v, key, &f));
        s->cfg.threshold = (float)f, s->set |= CSET_THRESHOLD;
    } else if (strcmp(key, "sparsity") == 0) {
        NNQ_TRY(parse_float(p, v, key, &f));
        if (f >= 1.0) {
            char where[256];
            return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                             "compress spec: %skey 'sparsity': %g outside [0, 1)",
                             cfg_where(p->doc, v, where, sizeof where), f);
        }
        s->cfg.sparsity = (float)f, s->set |= CSET_SPARSITY;
    } else if (strcmp(key, "n") == 0) {
        NNQ_TRY(parse_int(p, v, key, 1, INT32_MAX, &i));
        s->cfg.n = (int)i, s->set |= CSET_N;
    } else if (strcmp(key, "m") == 0) {
        NNQ_TRY(parse_int(p, v, key, 1, INT32_MAX, &i));
        s->cfg.m = (int)i, s->set |= CSET_M;
    } else if (strcmp(key, "block_size") == 0) {
        NNQ_TRY(parse_int(p, v, key, 1, INT32_MAX, &i));
        s->cfg.block_size = (int)i, s->set |= CSET_BLOCK;
    } else if (strcmp(key, "seed") == 0) {
        NNQ_TRY(parse_int(p, v, key, 0, INT64_MAX, &i));
        s->cfg.seed = (uint64_t)i, s->set |= CSET_SEED;
    } else if (strcmp(key, "max_iter") == 0) {
        NNQ_TRY(parse_int(p, v, key, 1, 1000000, &i));
        s->cfg.max_iter = (int)i, s->set |= CSET_ITER;
    } else if (strcmp(key, "min_size") == 0) {
        NNQ_TRY(parse_int(p, v, key, 1, INT64_MAX, &i));
        s->min_size = (size_t)i, s->set |= CSET_MIN_SIZE;
    } else {
        char where[256];
        return nnq_error(NNQ_STATUS_UNKNOWN_NAME,
                         "compress spec: %sunknown key '%s' (one of: mode, bits, method, "
                         "granularity, group_size, lut_dtype, linear_mode, linear_dtype, prune, threshold, "
                         "sparsity, n, m, block_size, seed, max_iter, min_size)",
                         cfg_where(p->doc, v, where, sizeof where), key);
    }
    return NNQ_STATUS_OK;
}

static nnq_status parse_settings(parse_ctx *p, const char *what, const cfg_node *n,
                                 cspec_settings *s) {
    memset(s, 0, sizeof *s);
    if (n->type == CFG_NULL) {
        s->disable = true;
        return NNQ_STATUS_OK;
    }
    if (n->type != CFG_MAP)
        return bad(p, n, NNQ_STATUS_INVALID_FORMAT, "expected a mapping of settings or null", what,
                   NULL);
    for (size_t i = 0; i < n->n; i++) NNQ_TRY(parse_key(p, n->keys[i], n->items[i], s));
    return NNQ_STATUS_OK;
}

static nnq_status parse_rules(parse_ctx *p, const char *section, const cfg_node *n, bool globs,
                              cspec_rule **out, size_t *n_out) {
    if (n->type != CFG_MAP)
        return bad(p, n, NNQ_STATUS_INVALID_FORMAT, "expected a mapping", section, NULL);
    if (n->n == 0) return NNQ_STATUS_OK;
    cspec_rule *r = nnq_calloc(n->n, sizeof *r);
    if (!r) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress spec: out of memory");
    *out = r;
    for (size_t i = 0; i < n->n; i++) {
        if (!(r[i].key = nnq_strdup(n->keys[i])))
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress spec: out of memory");
        (*n_out)++;
        if (globs) {
            const char *why = NULL;
            if (cfg_glob_compile(n->keys[i], &r[i].glob, &why) != NNQ_STATUS_OK)
                return bad(p, n->key_nodes[i], NNQ_STATUS_INVALID_FORMAT, "bad glob: ", n->keys[i],
                           why);
        }
        NNQ_TRY(parse_settings(p, n->keys[i], n->items[i], &r[i].s));
    }
    return NNQ_STATUS_OK;
}

static nnq_status parse_root(parse_ctx *p, const cfg_node *root, nnq_compress_spec *spec) {
    if (root == NULL || root->type == CFG_NULL) return NNQ_STATUS_OK;
    if (root->type != CFG_MAP)
        return bad(p, root, NNQ_STATUS_INVALID_FORMAT, "expected a mapping", "(top level)", NULL);
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i];
        const cfg_node *v = root->items[i];
        if (strcmp(k, "global") == 0) NNQ_TRY(parse_settings(p, k, v, &spec->global));
        else if (strcmp(k, "op_type") == 0)
            NNQ_TRY(parse_rules(p, k, v, false, &spec->op_rules, &spec->n_op_rules));
        else if (strcmp(k, "name") == 0)
            NNQ_TRY(parse_rules(p, k, v, true, &spec->name_rules, &spec->n_name_rules));
        else {
            char where[256];
            return nnq_error(NNQ_STATUS_UNKNOWN_NAME,
                             "compress spec: %sunknown section '%s' (one of: global, op_type, name)",
                             cfg_where(p->doc, root->key_nodes[i], where, sizeof where), k);
        }
    }
    return NNQ_STATUS_OK;
}

static bool looks_json(const char *text, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
            return text[i] == '{';
    return false;
}

nnq_status nnq_compress_spec_load_string(const char *text, size_t len, const char *name,
                                         nnq_compress_spec **out) {
    if (!out || (!text && len))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress spec: %s is NULL", out ? "text" : "out");
    *out = NULL;
    if (len > CSPEC_MAX_BYTES)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "compress spec '%s': %zu bytes, more than %zu",
                         name ? name : "<string>", len, (size_t)CSPEC_MAX_BYTES);
    cfg_doc doc;
    memset(&doc, 0, sizeof doc);
    nnq_status s = cfg_doc_parse(text ? text : "", len,
                                 looks_json(text, len) ? CFG_SYNTAX_JSON : CFG_SYNTAX_YAML,
                                 name ? name : "<string>", &doc);
    if (s) return s;
    nnq_compress_spec *spec = nnq_calloc(1, sizeof *spec);
    if (!spec) s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress spec: out of memory");
    parse_ctx p = {&doc};
    if (!s) s = parse_root(&p, doc.root, spec);
    cfg_doc_release(&doc);
    if (s) {
        nnq_compress_spec_free(spec);
        return s;
    }
    *out = spec;
    return NNQ_STATUS_OK;
}

nnq_status nnq_compress_spec_load_file(const char *path, nnq_compress_spec **out) {
    if (!path || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress spec: %s is NULL", path ? "out" : "path");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nnq_error(errno == ENOENT ? NNQ_STATUS_NOT_FOUND : NNQ_STATUS_IO_ERROR,
                         "compress spec '%s': cannot open: %s", path, strerror(errno));
    char *buf = nnq_malloc(CSPEC_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CSPEC_MAX_BYTES + 1, f) : 0;
    bool err = ferror(f) != 0;
    fclose(f);
    nnq_status s;
    if (!buf) s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "compress spec: out of memory");
    else if (err) s = nnq_error(NNQ_STATUS_IO_ERROR, "compress spec '%s': read failed", path);
    else s = nnq_compress_spec_load_string(buf, n, path, out);
    nnq_free(buf);
    return s;
}

static void free_rules(cspec_rule *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        nnq_free(r[i].key);
        cfg_glob_free(r[i].glob);
    }
    nnq_free(r);
}

void nnq_compress_spec_free(nnq_compress_spec *spec) {
    if (!spec) return;
    free_rules(spec->op_rules, spec->n_op_rules);
    free_rules(spec->name_rules, spec->n_name_rules);
    nnq_free(spec);
}

/* ------------------------------------------------------------------------ */
/* Resolution                                                                */
/* ------------------------------------------------------------------------ */

void cspec_from_config(const nnq_compress_config *c, size_t min_size, cspec_settings *out) {
    memset(out, 0, sizeof *out);
    out->cfg = *c;
    out->cfg.name = NULL, out->cfg.importance = NULL;
    out->mode = c->linear_bits ? CSPEC_MODE_LINEAR
                : c->palette_bits ? CSPEC_MODE_PALETTIZE : CSPEC_MODE_NONE;
    out->bits = c->linear_bits ? c->linear_bits : c->palette_bits;
    out->cfg.linear_bits = out->cfg.palette_bits = 0;
    out->min_size = min_size;
}

void cspec_overlay(cspec_settings *d, const cspec_settings *s) {
    if (s->disable) {
        d->disable = true;
        return;
    }
    /* A later mapping re-enables what an earlier null turned off. */
    d->disable = false;
    uint32_t m = s->set;
    if (m & CSET_MODE) d->mode = s->mode;
    if (m & CSET_BITS) d->bits = s->bits;
    if (m & CSET_METHOD) d->cfg.palette_mode = s->cfg.palette_mode;
    if (m & CSET_GROUP) d->cfg.group_size = s->cfg.group_size, d->per_block = s->per_block;
    if (m & CSET_DTYPE) d->is_unsigned = s->is_unsigned;
    if (m & CSET_LUT) d->cfg.lut_dtype = s->cfg.lut_dtype;
    if (m & CSET_LMODE) d->cfg.linear_mode = s->cfg.linear_mode;
    if (m & CSET_PRUNE) d->cfg.prune_mode = s->cfg.prune_mode;
    if (m & CSET_THRESHOLD) d->cfg.threshold = s->cfg.threshold;
    if (m & CSET_SPARSITY) d->cfg.sparsity = s->cfg.sparsity;
    if (m & CSET_N) d->cfg.n = s->cfg.n;
    if (m & CSET_M) d->cfg.m = s->cfg.m;
    if (m & CSET_BLOCK) d->cfg.block_size = s->cfg.block_size;
    if (m & CSET_SEED) d->cfg.seed = s->cfg.seed;
    if (m & CSET_ITER) d->cfg.max_iter = s->cfg.max_iter;
    if (m & CSET_MIN_SIZE) d->min_size = s->min_size;
    d->set |= m;
}

void cspec_resolve(const nnq_compress_spec *spec, const char *op_type, const char *name,
                   cspec_settings *s) {
    if (!spec) return;
    cspec_overlay(s, &spec->global);
    for (size_t i = 0; i < spec->n_op_rules; i++)
        if (strcmp(spec->op_rules[i].key, op_type) == 0) cspec_overlay(s, &spec->op_rules[i].s);
    for (size_t i = 0; i < spec->n_name_rules; i++)
        if (cfg_glob_match(spec->name_rules[i].glob, name)) cspec_overlay(s, &spec->name_rules[i].s);
}

void cspec_to_config(const cspec_settings *s, nnq_compress_config *out) {
    *out = s->cfg;
    out->palette_bits = s->mode == CSPEC_MODE_PALETTIZE ? s->bits : 0;
    out->linear_bits = s->mode == CSPEC_MODE_LINEAR ? s->bits : 0;
}
