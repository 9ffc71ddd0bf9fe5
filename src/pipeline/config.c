/*
 * config.c - quantization configs: sections and rules, loading (files,
 * strings, presets), resolution per site, canonical dump and the
 * "matched no site" report.  Precedence and syntax: docs/configuration.md.
 */
#include "pipeline/config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* In precedence order: the dump writes them in this order too. */
enum { SEC_GLOBAL, SEC_OP_TYPE, SEC_MODEL_INPUT, SEC_QUANT_CFG, SEC_NODE_NAME, SEC_COUNT_ };
static const char *const section_names[SEC_COUNT_] = {"global", "op_type", "model_input",
                                                      "quant_cfg", "node_name"};
static const char *const top_keys =
    "version, description, global, op_type, model_input, quant_cfg, node_name";

/* Sections holding one {<kind>_quantizer: attrs} mapping rather than keys. */
static bool section_is_single(int sec) { return sec == SEC_GLOBAL || sec == SEC_MODEL_INPUT; }

typedef struct cfg_rule {
    char *key; /* op type, pattern or node name; NULL for global */
    int line, col;
    cfg_glob *glob; /* quant_cfg */
    uint8_t kinds;  /* bit k: attrs[k] applies (a pattern reaches every kind) */
    nnq_site_attrs attrs[NNQ_SITE_KIND_COUNT_];
} cfg_rule;

struct nnq_config {
    char *name;
    char *description;
    cfg_rule *rules[SEC_COUNT_];
    size_t n_rules[SEC_COUNT_];
};

static char *str_dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = nnq_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

void nnq_config_free(nnq_config *cfg) {
    if (cfg == NULL) return;
    for (int s = 0; s < SEC_COUNT_; s++) {
        for (size_t i = 0; i < cfg->n_rules[s]; i++) {
            nnq_free(cfg->rules[s][i].key);
            cfg_glob_free(cfg->rules[s][i].glob);
        }
        nnq_free(cfg->rules[s]);
    }
    nnq_free(cfg->description);
    nnq_free(cfg->name);
    nnq_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* Interpreting the document                                                 */
/* ------------------------------------------------------------------------ */

static nnq_status fail_at(cfg_ctx *ctx, const cfg_node *n, nnq_status s, const char *msg,
                          const char *extra) {
    char where[600];
    return nnq_error(s, "%s%s%s%s%s", cfg_where(ctx->doc, n, where, sizeof(where)), ctx->path,
                     ctx->path[0] ? ": " : "", msg, extra);
}

static void path_set(cfg_ctx *ctx, const char *section, const char *key) {
    if (key)
        snprintf(ctx->path, sizeof(ctx->path), "%s.\"%s\"", section, key);
    else
        snprintf(ctx->path, sizeof(ctx->path), "%s", section);
}

/* {input_quantizer: attrs, weight_quantizer: attrs, ...} or null. */
static nnq_status parse_kinds(cfg_ctx *ctx, const cfg_node *n, cfg_rule *r) {
    if (n->type == CFG_NULL) {
        for (int k = 0; k < NNQ_SITE_KIND_COUNT_; k++) NNQ_TRY(cfg_attrs_parse(ctx, n, &r->attrs[k]));
        r->kinds = (1u << NNQ_SITE_KIND_COUNT_) - 1;
        return NNQ_STATUS_OK;
    }
    if (n->type != CFG_MAP)
        return fail_at(ctx, n, NNQ_STATUS_INVALID_FORMAT,
                       "expected a mapping of input_quantizer / weight_quantizer / "
                       "output_quantizer to attributes, or null",
                       "");
    size_t base = strlen(ctx->path);
    for (size_t i = 0; i < n->n; i++) {
        int k = 0;
        while (k < NNQ_SITE_KIND_COUNT_ && strcmp(n->keys[i], nnq_site_kind_name(k)) != 0) k++;
        if (k == NNQ_SITE_KIND_COUNT_) {
            char msg[300];
            snprintf(msg, sizeof(msg), "unknown key '%s' (valid: input_quantizer, "
                     "weight_quantizer, output_quantizer", n->keys[i]);
            return fail_at(ctx, n->key_nodes[i], NNQ_STATUS_UNKNOWN_NAME, msg,
                           "; attributes go under one of them)");
        }
        snprintf(ctx->path + base, sizeof(ctx->path) - base, ".%s", n->keys[i]);
        NNQ_TRY(cfg_attrs_parse(ctx, n->items[i], &r->attrs[k]));
        ctx->path[base] = '\0';
        r->kinds |= (uint8_t)(1u << k);
    }
    return NNQ_STATUS_OK;
}

static nnq_status parse_section(cfg_ctx *ctx, nnq_config *cfg, int sec, const cfg_node *n) {
    path_set(ctx, section_names[sec], NULL);
    if (n->type == CFG_NULL) return NNQ_STATUS_OK; /* an empty section */
    if (section_is_single(sec)) {
        cfg->rules[sec] = nnq_calloc(1, sizeof(cfg_rule));
        if (cfg->rules[sec] == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
        cfg->n_rules[sec] = 1;
        cfg->rules[sec]->line = n->line;
        cfg->rules[sec]->col = n->col;
        return parse_kinds(ctx, n, cfg->rules[sec]);
    }
    if (n->type != CFG_MAP)
        return fail_at(ctx, n, NNQ_STATUS_INVALID_FORMAT,
                       sec == SEC_QUANT_CFG ? "expected a mapping of site-name patterns to "
                                              "attributes"
                                            : "expected a mapping of names to quantizer kinds",
                       "");
    cfg->rules[sec] = nnq_calloc(n->n ? n->n : 1, sizeof(cfg_rule));
    if (cfg->rules[sec] == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    for (size_t i = 0; i < n->n; i++) {
        cfg_rule *r = &cfg->rules[sec][i];
        const cfg_node *v = n->items[i];
        cfg->n_rules[sec]++;
        r->line = n->key_nodes[i]->line;
        r->col = n->key_nodes[i]->col;
        r->key = str_dup(n->keys[i]);
        if (r->key == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
        path_set(ctx, section_names[sec], n->keys[i]);
        if (sec != SEC_QUANT_CFG) {
            NNQ_TRY(parse_kinds(ctx, v, r));
            continue;
        }
        const char *why = "";
        nnq_status s = cfg_glob_compile(r->key, &r->glob, &why);
        if (s == NNQ_STATUS_INVALID_FORMAT) return fail_at(ctx, v, s, "bad pattern: ", why);
        NNQ_TRY(s);
        NNQ_TRY(cfg_attrs_parse(ctx, v, &r->attrs[0]));
        r->attrs[1] = r->attrs[2] = r->attrs[0];
        r->kinds = (1u << NNQ_SITE_KIND_COUNT_) - 1;
    }
    return NNQ_STATUS_OK;
}

static nnq_status interpret(const cfg_doc *doc, nnq_config *cfg) {
    cfg_ctx ctx = {.doc = doc, .path = ""};
    const cfg_node *root = doc->root;
    if (root->type == CFG_NULL) return NNQ_STATUS_OK;
    if (root->type != CFG_MAP)
        return fail_at(&ctx, root, NNQ_STATUS_INVALID_FORMAT,
                       "the top level must be a mapping with keys ", top_keys);
    for (size_t i = 0; i < root->n; i++) {
        const char *key = root->keys[i];
        const cfg_node *v = root->items[i];
        int sec = 0;
        while (sec < SEC_COUNT_ && strcmp(key, section_names[sec]) != 0) sec++;
        if (sec < SEC_COUNT_) {
            NNQ_TRY(parse_section(&ctx, cfg, sec, v));
        } else if (strcmp(key, "version") == 0) {
            path_set(&ctx, "version", NULL);
            if (v->type != CFG_INT || v->v.i != 1)
                return fail_at(&ctx, v, NNQ_STATUS_UNSUPPORTED, "only version 1 is supported", "");
        } else if (strcmp(key, "description") == 0) {
            path_set(&ctx, "description", NULL);
            if (v->type != CFG_STRING)
                return fail_at(&ctx, v, NNQ_STATUS_INVALID_FORMAT, "expected a string", "");
            nnq_free(cfg->description);
            cfg->description = str_dup(v->v.s);
            if (cfg->description == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
        } else {
            char msg[300];
            ctx.path[0] = '\0';
            snprintf(msg, sizeof(msg), "unknown top-level key '%s' (valid: %s)", key, top_keys);
            return fail_at(&ctx, root->key_nodes[i], NNQ_STATUS_UNKNOWN_NAME, msg, "");
        }
        ctx.path[0] = '\0';
    }
    return NNQ_STATUS_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */
/* ------------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static cfg_syntax pick_syntax(nnq_config_format format, const char *name, const char *text,
                              size_t len) {
    if (format == NNQ_CONFIG_FORMAT_JSON) return CFG_SYNTAX_JSON;
    if (format == NNQ_CONFIG_FORMAT_YAML) return CFG_SYNTAX_YAML;
    if (name && ends_with(name, ".json")) return CFG_SYNTAX_JSON;
    if (name && (ends_with(name, ".yaml") || ends_with(name, ".yml"))) return CFG_SYNTAX_YAML;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]) != NULL && text[i] != '\0') i++;
    return i < len && text[i] == '{' ? CFG_SYNTAX_JSON : CFG_SYNTAX_YAML;
}

static nnq_status load_text(const char *text, size_t len, cfg_syntax syntax, const char *name,
                            nnq_config **out) {
    cfg_doc doc;
    NNQ_TRY(cfg_doc_parse(text, len, syntax, name, &doc));
    nnq_config *cfg = nnq_calloc(1, sizeof(*cfg));
    nnq_status s = cfg ? NNQ_STATUS_OK : NNQ_STATUS_OUT_OF_MEMORY;
    if (s == NNQ_STATUS_OK) s = (cfg->name = str_dup(name)) ? s : NNQ_STATUS_OUT_OF_MEMORY;
    if (s == NNQ_STATUS_OK) s = interpret(&doc, cfg);
    if (s == NNQ_STATUS_OUT_OF_MEMORY)
        s = nnq_error(s, "config '%s': out of memory while loading", name);
    cfg_doc_release(&doc);
    if (s != NNQ_STATUS_OK) {
        nnq_config_free(cfg);
        return s;
    }
    *out = cfg;
    return NNQ_STATUS_OK;
}

static nnq_status check_format(nnq_config_format format) {
    if ((unsigned)format > NNQ_CONFIG_FORMAT_JSON)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "config: format %d is not NNQ_CONFIG_FORMAT_AUTO, _YAML or _JSON",
                         (int)format);
    return NNQ_STATUS_OK;
}

nnq_status nnq_config_load_string(const char *text, size_t len, nnq_config_format format,
                                  const char *name, nnq_config **out) {
    if (out == NULL || (text == NULL && len > 0))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "config: %s is NULL",
                         out == NULL ? "out" : "text");
    *out = NULL;
    NNQ_TRY(check_format(format));
    if (text == NULL) text = "";
    if (name == NULL) name = "<string>";
    /* The name only labels messages here: it must not pick the syntax. */
    cfg_syntax syntax = pick_syntax(format, NULL, text, len);
    return load_text(text, len, syntax, name, out);
}

static nnq_status read_file(const char *path, char **text, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return nnq_error(errno == ENOENT ? NNQ_STATUS_NOT_FOUND : NNQ_STATUS_IO_ERROR,
                         "config '%s': cannot open: %s", path, strerror(errno));
    struct stat st;
    nnq_status s = NNQ_STATUS_OK;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        s = nnq_error(NNQ_STATUS_IO_ERROR, "config '%s': not a regular file", path);
    } else if ((uint64_t)st.st_size > NNQ_CONFIG_MAX_BYTES) {
        s = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                      "config '%s': %lld bytes, more than the %zu-byte limit for configs", path,
                      (long long)st.st_size, (size_t)NNQ_CONFIG_MAX_BYTES);
    } else {
        /* One byte more than the limit detects a file that grew meanwhile. */
        *text = nnq_malloc(NNQ_CONFIG_MAX_BYTES + 1);
        if (*text == NULL) {
            s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "config '%s': out of memory", path);
        } else {
            *len = fread(*text, 1, NNQ_CONFIG_MAX_BYTES + 1, f);
            if (ferror(f))
                s = nnq_error(NNQ_STATUS_IO_ERROR, "config '%s': read failed", path);
            else if (*len > NNQ_CONFIG_MAX_BYTES)
                s = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                              "config '%s': more than the %zu-byte limit for configs", path,
                              (size_t)NNQ_CONFIG_MAX_BYTES);
            if (s != NNQ_STATUS_OK) {
                nnq_free(*text);
                *text = NULL;
            }
        }
    }
    fclose(f);
    return s;
}

nnq_status nnq_config_load_file(const char *path, nnq_config_format format, nnq_config **out) {
    if (out == NULL || path == NULL)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "config: %s is NULL",
                         out == NULL ? "out" : "path");
    *out = NULL;
    NNQ_TRY(check_format(format));
    char *text = NULL;
    size_t len = 0;
    NNQ_TRY(read_file(path, &text, &len));
    nnq_status s = load_text(text, len, pick_syntax(format, path, text, len), path, out);
    nnq_free(text);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Presets                                                                   */
/* ------------------------------------------------------------------------ */

static const char *const preset_exts[] = {".yaml", ".yml", ".json"};

/* Visit each directory of the search path in order; stop when fn says so. */
static bool each_preset_dir(const char *dirs, bool (*fn)(void *ctx, const char *dir, size_t len),
                            void *ctx) {
    const char *lists[3] = {dirs, getenv("NNQ_PRESET_PATH"), NULL};
#ifdef NNQ_PRESET_DIRS
    lists[2] = NNQ_PRESET_DIRS;
#endif
    for (int l = 0; l < 3; l++) {
        for (const char *p = lists[l]; p != NULL && *p != '\0';) {
            const char *colon = strchr(p, ':');
            size_t n = colon ? (size_t)(colon - p) : strlen(p);
            if (n > 0 && fn(ctx, p, n)) return true;
            p = colon ? colon + 1 : NULL;
        }
    }
    return false;
}

typedef struct preset_find {
    const char *name;
    char path[4096];
} preset_find;

static bool find_in_dir(void *vctx, const char *dir, size_t len) {
    preset_find *f = vctx;
    for (size_t e = 0; e < NNQ_ARRAY_LEN(preset_exts); e++) {
        int n = snprintf(f->path, sizeof(f->path), "%.*s/%s%s", (int)len, dir, f->name,
                         preset_exts[e]);
        struct stat st;
        if (n > 0 && (size_t)n < sizeof(f->path) && stat(f->path, &st) == 0 && S_ISREG(st.st_mode))
            return true;
    }
    return false;
}

/* Collects "a, b, c" of the presets found, for the not-found message. */
static bool list_dir(void *vctx, const char *dir, size_t len) {
    cfg_buf *b = vctx;
    char path[4096];
    snprintf(path, sizeof(path), "%.*s", (int)len, dir);
    /* Sorted, so the message does not depend on the file system's order. */
    struct dirent **ents = NULL;
    int count = scandir(path, &ents, NULL, alphasort);
    if (count < 0) return false;
    for (int k = 0; k < count; k++) {
        const struct dirent *e = ents[k];
        for (size_t x = 0; x < NNQ_ARRAY_LEN(preset_exts); x++) {
            if (e->d_name[0] == '.' || !ends_with(e->d_name, preset_exts[x])) continue;
            size_t n = strlen(e->d_name) - strlen(preset_exts[x]);
            cfg_buf_printf(b, "%s%.*s", b->len ? ", " : "", (int)n, e->d_name);
        }
        free(ents[k]);
    }
    free(ents);
    return false;
}

nnq_status nnq_config_load_preset(const char *name_or_path, const char *search_dirs,
                                  nnq_config **out) {
    if (out == NULL || name_or_path == NULL)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "config: %s is NULL",
                         out == NULL ? "out" : "name_or_path");
    *out = NULL;
    const char *name = name_or_path;
    if (strchr(name, '/') || ends_with(name, ".yaml") || ends_with(name, ".yml") ||
        ends_with(name, ".json"))
        return nnq_config_load_file(name, NNQ_CONFIG_FORMAT_AUTO, out);
    bool ok = name[0] != '\0' && name[0] != '.';
    for (const char *p = name; *p; p++)
        ok = ok && (strchr("._-", *p) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= 'A' && *p <= 'Z'));
    if (!ok)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "config: preset name '%s' may only use letters, digits, '.', '_' and "
                         "'-' (and not start with '.'); give a path to load a file",
                         name);
    preset_find f = {.name = name};
    if (each_preset_dir(search_dirs, find_in_dir, &f))
        return nnq_config_load_file(f.path, NNQ_CONFIG_FORMAT_AUTO, out);
    cfg_buf list = {0};
    each_preset_dir(search_dirs, list_dir, &list);
    nnq_status s = nnq_error(NNQ_STATUS_UNKNOWN_NAME,
                             "config: no preset named '%s' (found: %s; searched the given "
                             "directories, $NNQ_PRESET_PATH and the built-in ones)",
                             name, list.len && !list.failed ? list.data : "none");
    nnq_free(list.data);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Resolution                                                                */
/* ------------------------------------------------------------------------ */

static const cfg_rule *find_rule(const nnq_config *cfg, int sec, const char *key) {
    if (key == NULL) return NULL;
    for (size_t i = 0; i < cfg->n_rules[sec]; i++)
        if (strcmp(cfg->rules[sec][i].key, key) == 0) return &cfg->rules[sec][i];
    return NULL;
}

static void apply(nnq_site_attrs *a, const cfg_rule *r, nnq_site_kind k) {
    if (r != NULL && ((r->kinds >> k) & 1u)) nnq_site_attrs_overlay(a, &r->attrs[k]);
}

nnq_status nnq_config_resolve_site(const nnq_config *cfg, const nnq_config_site *site,
                                   nnq_site_attrs *out) {
    if (cfg == NULL || site == NULL || site->site_name == NULL || site->node_name == NULL ||
        out == NULL)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "config: resolve: %s is NULL",
                         cfg == NULL                 ? "cfg"
                         : site == NULL              ? "site"
                         : site->site_name == NULL   ? "site_name"
                         : site->node_name == NULL   ? "node_name"
                                                     : "out");
    const char *site_name = site->site_name, *node_name = site->node_name;
    if (site->flags & ~(uint32_t)NNQ_CONFIG_SITE_FLAGS_ALL_)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "config: site '%s': flags 0x%x include bits outside "
                         "NNQ_CONFIG_SITE_GRAPH_INPUT (0x%x)",
                         site_name, (unsigned)site->flags, (unsigned)NNQ_CONFIG_SITE_FLAGS_ALL_);
    nnq_site_kind kind;
    NNQ_TRY(nnq_site_kind_from_site(site_name, &kind));
    size_t nlen = strlen(node_name);
    if (strncmp(site_name, node_name, nlen) != 0 || site_name[nlen] != '.' ||
        strchr(site_name + nlen + 1, '.') != NULL)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "config: site '%s' does not belong to node '%s' (expected '%s.%s')",
                         site_name, node_name, node_name, nnq_site_kind_name(kind));
    nnq_site_attrs_default(out);
    if (cfg->n_rules[SEC_GLOBAL]) apply(out, &cfg->rules[SEC_GLOBAL][0], kind);
    apply(out, find_rule(cfg, SEC_OP_TYPE, site->op_type), kind);
    if ((site->flags & NNQ_CONFIG_SITE_GRAPH_INPUT) && cfg->n_rules[SEC_MODEL_INPUT])
        apply(out, &cfg->rules[SEC_MODEL_INPUT][0], kind);
    for (size_t i = 0; i < cfg->n_rules[SEC_QUANT_CFG]; i++)
        if (cfg_glob_match(cfg->rules[SEC_QUANT_CFG][i].glob, site_name))
            apply(out, &cfg->rules[SEC_QUANT_CFG][i], kind);
    apply(out, find_rule(cfg, SEC_NODE_NAME, node_name), kind);
    return cfg_attrs_check(out, site_name);
}

nnq_status nnq_config_resolve(const nnq_config *cfg, const char *site_name, const char *op_type,
                              const char *node_name, nnq_site_attrs *out) {
    nnq_config_site site = {site_name, op_type, node_name, 0};
    return nnq_config_resolve_site(cfg, &site, out);
}

nnq_status nnq_config_describe(const nnq_config *cfg, const nnq_config_site *site, char **out) {
    if (out == NULL) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "config: describe: out is NULL");
    *out = NULL;
    nnq_site_attrs a;
    NNQ_TRY(nnq_config_resolve_site(cfg, site, &a));
    cfg_buf b = {0};
    cfg_attrs_to_json(&b, &a, true);
    return cfg_buf_finish(&b, "config: describe", out);
}

nnq_status nnq_config_describe_site(const nnq_config *cfg, const char *site_name,
                                    const char *op_type, const char *node_name, char **out) {
    nnq_config_site site = {site_name, op_type, node_name, 0};
    return nnq_config_describe(cfg, &site, out);
}

/* ------------------------------------------------------------------------ */
/* Canonical dump                                                            */
/* ------------------------------------------------------------------------ */

static void dump_kinds(cfg_buf *b, const cfg_rule *r) {
    const char *sep = "";
    cfg_buf_printf(b, "%s", "{");
    for (int k = 0; k < NNQ_SITE_KIND_COUNT_; k++) {
        if (!((r->kinds >> k) & 1u)) continue;
        cfg_buf_printf(b, "%s\"%s\": ", sep, nnq_site_kind_name((nnq_site_kind)k));
        cfg_attrs_to_json(b, &r->attrs[k], false);
        sep = ", ";
    }
    cfg_buf_printf(b, "%s", "}");
}

nnq_status nnq_config_dump(const nnq_config *cfg, char **out) {
    if (cfg == NULL || out == NULL)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "config: dump: %s is NULL",
                         cfg == NULL ? "cfg" : "out");
    *out = NULL;
    cfg_buf b = {0};
    cfg_buf_printf(&b, "%s", "{\n  \"version\": 1");
    if (cfg->description) {
        cfg_buf_printf(&b, "%s", ",\n  \"description\": ");
        cfg_buf_json_string(&b, cfg->description);
    }
    for (int sec = 0; sec < SEC_COUNT_; sec++) {
        if (cfg->n_rules[sec] == 0) continue;
        cfg_buf_printf(&b, ",\n  \"%s\": ", section_names[sec]);
        if (section_is_single(sec)) {
            dump_kinds(&b, &cfg->rules[sec][0]);
            continue;
        }
        cfg_buf_printf(&b, "%s", "{");
        for (size_t i = 0; i < cfg->n_rules[sec]; i++) {
            const cfg_rule *r = &cfg->rules[sec][i];
            cfg_buf_printf(&b, "%s\n    ", i ? "," : "");
            cfg_buf_json_string(&b, r->key);
            cfg_buf_printf(&b, "%s", ": ");
            if (sec == SEC_QUANT_CFG)
                cfg_attrs_to_json(&b, &r->attrs[0], false);
            else
                dump_kinds(&b, r);
        }
        cfg_buf_printf(&b, "%s", "\n  }");
    }
    cfg_buf_printf(&b, "%s", "\n}\n");
    return cfg_buf_finish(&b, "config: dump", out);
}

/* ------------------------------------------------------------------------ */
/* Entries that reach no site                                                */
/* ------------------------------------------------------------------------ */

enum { N_NEAREST = 3 };

typedef struct nearest {
    const char *name[N_NEAREST];
    size_t dist[N_NEAREST];
    size_t n;
} nearest;

static void nearest_offer(nearest *nb, const char *name, size_t d) {
    for (size_t i = 0; i < nb->n; i++)
        if (strcmp(nb->name[i], name) == 0) return;
    size_t pos = nb->n;
    while (pos > 0 && nb->dist[pos - 1] > d) pos--; /* ties keep site order */
    if (pos == N_NEAREST) return;
    size_t last = nb->n < N_NEAREST ? nb->n : N_NEAREST - 1;
    for (size_t i = last; i > pos; i--) {
        nb->name[i] = nb->name[i - 1];
        nb->dist[i] = nb->dist[i - 1];
    }
    nb->name[pos] = name;
    nb->dist[pos] = d;
    if (nb->n < N_NEAREST) nb->n++;
}

/* The sites field a section's keys are compared with. */
static const char *site_field(const nnq_config_site *s, int sec) {
    return sec == SEC_QUANT_CFG ? s->site_name : sec == SEC_OP_TYPE ? s->op_type : s->node_name;
}

static void report_rule(cfg_buf *b, const nnq_config *cfg, int sec, const cfg_rule *r,
                        const nnq_config_site *sites, size_t n_sites) {
    static const char *const what[SEC_COUNT_] = {"", "op_type key", "", "quant_cfg pattern",
                                                 "node_name key"};
    static const char *const noun[SEC_COUNT_] = {"", "op type", "", "site name", "node name"};
    /* Close means at most a third of the key's characters edited (min 2). */
    size_t limit = NNQ_MAX((size_t)2, strlen(r->key) / 3);
    nearest nb = {.n = 0};
    for (size_t i = 0; i < n_sites; i++) {
        const char *cand = site_field(&sites[i], sec);
        if (cand == NULL) continue;
        size_t d = sec == SEC_QUANT_CFG ? cfg_glob_distance(r->glob, cand)
                                        : cfg_edit_distance(r->key, cand);
        if (d <= limit) nearest_offer(&nb, cand, d);
    }
    cfg_buf_printf(b, "config '%s'", cfg->name);
    if (r->line > 0) cfg_buf_printf(b, " line %d column %d", r->line, r->col);
    cfg_buf_printf(b, ": %s '%s' matches no %s", what[sec], r->key,
                   sec == SEC_QUANT_CFG ? "site" : noun[sec]);
    if (nb.n == 0) cfg_buf_printf(b, "; no %s is close", noun[sec]);
    for (size_t i = 0; i < nb.n; i++)
        cfg_buf_printf(b, "%s'%s'", i ? ", " : "; nearest: ", nb.name[i]);
    cfg_buf_printf(b, "%s", "\n");
}

/* The model_input section reaches a site that quantizes a graph input with
 * a kind the section names. */
static bool model_input_hit(const cfg_rule *r, const nnq_config_site *sites, size_t n_sites) {
    for (size_t i = 0; i < n_sites; i++) {
        if (!(sites[i].flags & NNQ_CONFIG_SITE_GRAPH_INPUT)) continue;
        const char *dot = strrchr(sites[i].site_name, '.');
        for (int k = 0; k < NNQ_SITE_KIND_COUNT_ && dot != NULL; k++)
            if (((r->kinds >> k) & 1u) && strcmp(dot + 1, nnq_site_kind_name((nnq_site_kind)k)) == 0)
                return true;
    }
    return false;
}

static void report_model_input(cfg_buf *b, const nnq_config *cfg, const cfg_rule *r) {
    cfg_buf_printf(b, "config '%s'", cfg->name);
    if (r->line > 0) cfg_buf_printf(b, " line %d column %d", r->line, r->col);
    cfg_buf_printf(b, "%s", ": model_input section matches no site; no site of the kinds it "
                            "names quantizes a graph input\n");
}

static bool rule_hit(int sec, const cfg_rule *rule, const nnq_config_site *sites, size_t n_sites) {
    if (sec == SEC_MODEL_INPUT) return model_input_hit(rule, sites, n_sites);
    for (size_t i = 0; i < n_sites; i++) {
        const char *v = site_field(&sites[i], sec);
        if (v != NULL && (sec == SEC_QUANT_CFG ? cfg_glob_match(rule->glob, v)
                                               : strcmp(rule->key, v) == 0))
            return true;
    }
    return false;
}

nnq_status nnq_config_check_sites(const nnq_config *cfg, const nnq_config_site *sites,
                                  size_t n_sites, size_t *n_unmatched, char **report) {
    if (cfg == NULL || report == NULL || (sites == NULL && n_sites > 0))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "config: check_sites: %s is NULL",
                         cfg == NULL ? "cfg" : report == NULL ? "report" : "sites");
    *report = NULL;
    for (size_t i = 0; i < n_sites; i++) {
        if (sites[i].site_name == NULL || sites[i].node_name == NULL)
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                             "config: check_sites: site %zu has a NULL %s", i,
                             sites[i].site_name == NULL ? "site_name" : "node_name");
        if (sites[i].flags & ~(uint32_t)NNQ_CONFIG_SITE_FLAGS_ALL_)
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                             "config: check_sites: site %zu ('%s'): flags 0x%x include bits "
                             "outside NNQ_CONFIG_SITE_GRAPH_INPUT (0x%x)",
                             i, sites[i].site_name, (unsigned)sites[i].flags,
                             (unsigned)NNQ_CONFIG_SITE_FLAGS_ALL_);
    }
    cfg_buf b = {0};
    size_t unmatched = 0;
    for (int sec = SEC_OP_TYPE; sec < SEC_COUNT_; sec++) {
        for (size_t r = 0; r < cfg->n_rules[sec]; r++) {
            const cfg_rule *rule = &cfg->rules[sec][r];
            if (rule_hit(sec, rule, sites, n_sites)) continue;
            unmatched++;
            if (sec == SEC_MODEL_INPUT)
                report_model_input(&b, cfg, rule);
            else
                report_rule(&b, cfg, sec, rule, sites, n_sites);
        }
    }
    if (n_unmatched) *n_unmatched = unmatched;
    return cfg_buf_finish(&b, "config: check_sites", report);
}
