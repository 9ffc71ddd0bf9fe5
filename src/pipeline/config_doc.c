/*
 * config_doc.c - YAML (libyaml events) and JSON (json-c) into one document
 * tree, so both syntaxes go through the same interpreter and give identical
 * configs.  Hostile input is bounded here: size, UTF-8, nesting depth and
 * YAML alias expansion.
 */
#include "pipeline/config.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ------------------------------------------------------------------------ */
/* Arena: the tree is freed in one go, and YAML aliases share subtrees.      */
/* ------------------------------------------------------------------------ */

struct cfg_arena_chunk {
    struct cfg_arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

static void *arena_alloc(cfg_doc *doc, size_t size) {
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct cfg_arena_chunk *c = doc->chunks;
    if (c == NULL || c->cap - c->used < size) {
        size_t cap = NNQ_MAX(size, (size_t)16384), total;
        if (!nnq_size_add(cap, sizeof(*c), &total)) return NULL;
        c = nnq_malloc(total);
        if (c == NULL) return NULL;
        c->next = doc->chunks;
        c->used = 0;
        c->cap = cap;
        doc->chunks = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

static char *arena_strndup(cfg_doc *doc, const char *s, size_t n) {
    size_t total;
    if (!nnq_size_add(n, 1, &total)) return NULL;
    char *p = arena_alloc(doc, total);
    if (p == NULL) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static cfg_node *node_new(cfg_doc *doc, cfg_node_type type, int line, int col) {
    cfg_node *n = arena_alloc(doc, sizeof(*n));
    if (n == NULL) return NULL;
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->line = line;
    n->col = col;
    n->weight = 1;
    return n;
}

void cfg_doc_release(cfg_doc *doc) {
    if (doc == NULL) return;
    while (doc->chunks) {
        struct cfg_arena_chunk *next = doc->chunks->next;
        nnq_free(doc->chunks);
        doc->chunks = next;
    }
    nnq_free(doc->name);
    memset(doc, 0, sizeof(*doc));
}

const char *cfg_where(const cfg_doc *doc, const cfg_node *node, char *buf, size_t size) {
    if (node != NULL && node->line > 0)
        snprintf(buf, size, "config '%s' line %d column %d: ", doc->name, node->line, node->col);
    else
        snprintf(buf, size, "config '%s': ", doc->name);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Up-front checks                                                           */
/* ------------------------------------------------------------------------ */

static void line_col_at(const char *text, size_t off, int *line, int *col) {
    int l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++; /* columns count characters, not continuation bytes */
        }
    }
    *line = l;
    *col = c;
}

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF) or is NUL; len if none. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c == 0) return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return i;
        }
        if (len - i <= n) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80) return i;
        i += n + 1;
    }
    return len;
}

/* ------------------------------------------------------------------------ */
/* YAML                                                                      */
/* ------------------------------------------------------------------------ */

/* Scalars are typed like YAML 1.2's core schema, and only when plain:
 * "8" is a string, 8 a number. */
static bool is_one_of(const char *s, const char *const *words) {
    for (; *words; words++)
        if (strcmp(s, *words) == 0) return true;
    return false;
}

static nnq_status yaml_scalar(cfg_doc *doc, const yaml_event_t *ev, cfg_node **out) {
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninfs[] = {"-.inf", "-.Inf", "-.INF", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    cfg_node *n = node_new(doc, CFG_STRING, line, col);
    if (n == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    *out = n;
    if (strlen(s) != len) {
        char where[600];
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%sscalar contains a NUL character",
                         cfg_where(doc, n, where, sizeof(where)));
    }
    if (plain && is_one_of(s, nulls)) {
        n->type = CFG_NULL;
    } else if (plain && is_one_of(s, trues)) {
        n->type = CFG_BOOL;
        n->v.b = true;
    } else if (plain && is_one_of(s, falses)) {
        n->type = CFG_BOOL;
        n->v.b = false;
    } else if (plain && (is_one_of(s, infs) || is_one_of(s, ninfs) || is_one_of(s, nans))) {
        n->type = CFG_FLOAT;
        n->v.f = is_one_of(s, nans) ? (double)NAN : is_one_of(s, ninfs) ? -(double)INFINITY
                                                                        : (double)INFINITY;
    } else if (plain && len > 0 && strchr("+-0123456789.", s[0]) != NULL) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (*end == '\0' && end != s) {
            n->type = CFG_INT;
            /* Out-of-range integers saturate; every consumer range-checks. */
            n->v.i = (int64_t)v;
        } else {
            errno = 0;
            double d = strtod(s, &end);
            bool hexlike = strpbrk(s, "xXpP") != NULL; /* strtod's C99 extras aren't YAML */
            if (*end == '\0' && end != s && !hexlike && !isnan(d) && !isinf(d)) {
                n->type = CFG_FLOAT;
                n->v.f = d;
            }
        }
    }
    n->raw = arena_strndup(doc, s, len);
    if (n->raw == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    if (n->type == CFG_STRING) n->v.s = n->raw;
    return NNQ_STATUS_OK;
}

typedef struct yaml_frame {
    cfg_node *node;
    size_t cap;
    const char *pending_key; /* mappings: the key waiting for its value */
    const cfg_node *pending_key_node;
    char *anchor;            /* anchor to register when the node closes */
} yaml_frame;

typedef struct yaml_anchor {
    char *name;
    cfg_node *node;
} yaml_anchor;

typedef struct yaml_state {
    cfg_doc *doc;
    yaml_frame stack[NNQ_CONFIG_MAX_DEPTH + 1];
    int depth;
    yaml_anchor *anchors;
    size_t n_anchors, cap_anchors;
} yaml_state;

static nnq_status grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return NNQ_STATUS_OK;
    size_t ncap = NNQ_MAX(need, *cap * 2 + 4), bytes;
    if (!nnq_size_mul(ncap, elem, &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "config: %zu entries overflow", ncap);
    void *q = nnq_realloc(*p, bytes);
    if (q == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    *p = q;
    *cap = ncap;
    return NNQ_STATUS_OK;
}

static nnq_status yaml_register_anchor(yaml_state *st, char *name, cfg_node *node) {
    NNQ_TRY(grow((void **)&st->anchors, &st->cap_anchors, st->n_anchors + 1, sizeof(yaml_anchor)));
    /* A redefined anchor shadows the earlier one from here on (YAML 1.2). */
    st->anchors[st->n_anchors].name = name;
    st->anchors[st->n_anchors].node = node;
    st->n_anchors++;
    return NNQ_STATUS_OK;
}

/* Attach a finished node to the open collection (or make it the root). */
static nnq_status yaml_attach(yaml_state *st, cfg_node *node) {
    char where[600];
    if (st->depth == 0) {
        st->doc->root = node;
        return NNQ_STATUS_OK;
    }
    yaml_frame *f = &st->stack[st->depth - 1];
    cfg_node *parent = f->node;
    if (parent->type == CFG_MAP && f->pending_key == NULL) {
        /* Any scalar key counts by its text: node names like 0 or 1.5 exist. */
        if (node->raw == NULL)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%smapping keys must be scalars",
                             cfg_where(st->doc, node, where, sizeof(where)));
        for (size_t i = 0; i < parent->n; i++)
            if (strcmp(parent->keys[i], node->raw) == 0)
                return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%sduplicate key '%s'",
                                 cfg_where(st->doc, node, where, sizeof(where)), node->raw);
        f->pending_key = node->raw;
        f->pending_key_node = node;
        return NNQ_STATUS_OK;
    }
    if (parent->n == f->cap) {
        size_t cap = f->cap * 2 + 4, bytes;
        if (!nnq_size_mul(cap, sizeof(void *), &bytes)) return NNQ_STATUS_SIZE_OVERFLOW;
        cfg_node **items = arena_alloc(st->doc, bytes);
        const char **keys = arena_alloc(st->doc, bytes);
        const cfg_node **key_nodes = arena_alloc(st->doc, bytes);
        if (items == NULL || keys == NULL || key_nodes == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
        if (parent->n) {
            memcpy(items, parent->items, parent->n * sizeof(void *));
            memcpy(keys, parent->keys, parent->n * sizeof(void *));
            memcpy(key_nodes, parent->key_nodes, parent->n * sizeof(void *));
        }
        parent->items = items;
        parent->keys = keys;
        parent->key_nodes = key_nodes;
        f->cap = cap;
    }
    parent->keys[parent->n] = f->pending_key;
    parent->key_nodes[parent->n] = f->pending_key_node ? f->pending_key_node : node;
    parent->items[parent->n] = node;
    parent->n++;
    f->pending_key = NULL;
    f->pending_key_node = NULL;
    /* Aliases count at their full size: that is what bounds the work of a
     * "billion laughs" document. */
    if (!nnq_size_add(parent->weight, node->weight, &parent->weight) ||
        parent->weight > NNQ_CONFIG_MAX_NODES)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "%sdocument expands to more than %d nodes (YAML aliases count at "
                         "their full size)",
                         cfg_where(st->doc, node, where, sizeof(where)), NNQ_CONFIG_MAX_NODES);
    return NNQ_STATUS_OK;
}

static nnq_status yaml_open(yaml_state *st, const yaml_event_t *ev, cfg_node_type type,
                            const yaml_char_t *anchor) {
    char where[600];
    cfg_node *n = node_new(st->doc, type, (int)ev->start_mark.line + 1,
                           (int)ev->start_mark.column + 1);
    if (n == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    if (st->depth == NNQ_CONFIG_MAX_DEPTH)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "%snesting deeper than %d levels",
                         cfg_where(st->doc, n, where, sizeof(where)), NNQ_CONFIG_MAX_DEPTH);
    yaml_frame *f = &st->stack[st->depth++];
    memset(f, 0, sizeof(*f));
    f->node = n;
    if (anchor) {
        f->anchor = arena_strndup(st->doc, (const char *)anchor, strlen((const char *)anchor));
        if (f->anchor == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    }
    return NNQ_STATUS_OK;
}

static nnq_status yaml_close(yaml_state *st) {
    yaml_frame *f = &st->stack[--st->depth];
    if (f->anchor) NNQ_TRY(yaml_register_anchor(st, f->anchor, f->node));
    return yaml_attach(st, f->node);
}

static nnq_status yaml_alias(yaml_state *st, const yaml_event_t *ev) {
    const char *name = (const char *)ev->data.alias.anchor;
    /* Latest definition first; anchors of still-open nodes are not
     * registered yet, so a self-referencing alias is "undefined". */
    for (size_t i = st->n_anchors; i-- > 0;)
        if (strcmp(st->anchors[i].name, name) == 0) return yaml_attach(st, st->anchors[i].node);
    return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                     "config '%s' line %d column %d: alias '*%s' names no complete anchor",
                     st->doc->name, (int)ev->start_mark.line + 1,
                     (int)ev->start_mark.column + 1, name);
}

static nnq_status yaml_event(yaml_state *st, const yaml_event_t *ev, int *docs) {
    cfg_node *n;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*docs > 1)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "config '%s' line %d: more than one YAML document", st->doc->name,
                             (int)ev->start_mark.line + 1);
        return NNQ_STATUS_OK;
    case YAML_SCALAR_EVENT:
        NNQ_TRY(yaml_scalar(st->doc, ev, &n));
        if (ev->data.scalar.anchor) {
            const char *a = (const char *)ev->data.scalar.anchor;
            char *name = arena_strndup(st->doc, a, strlen(a));
            if (name == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
            NNQ_TRY(yaml_register_anchor(st, name, n));
        }
        return yaml_attach(st, n);
    case YAML_ALIAS_EVENT:
        return yaml_alias(st, ev);
    case YAML_SEQUENCE_START_EVENT:
        return yaml_open(st, ev, CFG_SEQ, ev->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
        return yaml_open(st, ev, CFG_MAP, ev->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return yaml_close(st);
    default:
        return NNQ_STATUS_OK;
    }
}

static nnq_status yaml_parse(const char *text, size_t len, cfg_doc *doc) {
    yaml_parser_t parser;
    yaml_state st;
    memset(&st, 0, sizeof(st));
    st.doc = doc;
    if (!yaml_parser_initialize(&parser)) return NNQ_STATUS_OUT_OF_MEMORY;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    nnq_status s = NNQ_STATUS_OK;
    int docs = 0;
    for (bool done = false; !done && s == NNQ_STATUS_OK;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m =
                parser.problem_mark.line || parser.problem_mark.column ? &parser.problem_mark
                                                                       : &parser.context_mark;
            s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "config '%s' line %d column %d: %s%s%s",
                          doc->name, (int)m->line + 1, (int)m->column + 1,
                          parser.problem ? parser.problem : "YAML syntax error",
                          parser.context ? " " : "", parser.context ? parser.context : "");
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        s = yaml_event(&st, &ev, &docs);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    nnq_free(st.anchors);
    return s;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */
/* ------------------------------------------------------------------------ */

static nnq_status json_convert(cfg_doc *doc, struct json_object *j, cfg_node **out) {
    cfg_node *n = node_new(doc, CFG_NULL, 0, 0);
    if (n == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    *out = n;
    switch (json_object_get_type(j)) {
    case json_type_null:
        return NNQ_STATUS_OK;
    case json_type_boolean:
        n->type = CFG_BOOL;
        n->v.b = json_object_get_boolean(j) != 0;
        return NNQ_STATUS_OK;
    case json_type_int:
        n->type = CFG_INT;
        n->v.i = json_object_get_int64(j);
        return NNQ_STATUS_OK;
    case json_type_double:
        n->type = CFG_FLOAT;
        n->v.f = json_object_get_double(j);
        return NNQ_STATUS_OK;
    case json_type_string:
        n->type = CFG_STRING;
        if (strlen(json_object_get_string(j)) != (size_t)json_object_get_string_len(j))
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "config '%s': string contains a NUL "
                             "character (\\u0000)", doc->name);
        n->v.s = arena_strndup(doc, json_object_get_string(j),
                               (size_t)json_object_get_string_len(j));
        return n->v.s ? NNQ_STATUS_OK : NNQ_STATUS_OUT_OF_MEMORY;
    case json_type_array: {
        n->type = CFG_SEQ;
        size_t cnt = json_object_array_length(j), bytes;
        if (!nnq_size_mul(cnt, sizeof(void *), &bytes)) return NNQ_STATUS_SIZE_OVERFLOW;
        n->items = arena_alloc(doc, bytes + 1);
        if (n->items == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
        for (size_t i = 0; i < cnt; i++) {
            NNQ_TRY(json_convert(doc, json_object_array_get_idx(j, i), &n->items[i]));
            n->n++;
            n->weight += n->items[i]->weight;
        }
        return NNQ_STATUS_OK;
    }
    case json_type_object: {
        n->type = CFG_MAP;
        size_t cnt = (size_t)json_object_object_length(j), bytes;
        if (!nnq_size_mul(cnt, sizeof(void *), &bytes)) return NNQ_STATUS_SIZE_OVERFLOW;
        n->items = arena_alloc(doc, bytes + 1);
        n->keys = arena_alloc(doc, bytes + 1);
        n->key_nodes = arena_alloc(doc, bytes + 1);
        if (n->items == NULL || n->keys == NULL || n->key_nodes == NULL)
            return NNQ_STATUS_OUT_OF_MEMORY;
        /* json-c iterates in insertion order, which quant_cfg relies on. */
        json_object_object_foreach(j, key, val) {
            n->keys[n->n] = arena_strndup(doc, key, strlen(key));
            if (n->keys[n->n] == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
            NNQ_TRY(json_convert(doc, val, &n->items[n->n]));
            n->key_nodes[n->n] = n->items[n->n]; /* JSON nodes carry no position */
            n->weight += n->items[n->n]->weight;
            n->n++;
        }
        return NNQ_STATUS_OK;
    }
    }
    return nnq_error(NNQ_STATUS_INTERNAL, "config '%s': unexpected json-c type", doc->name);
}

static nnq_status json_parse(const char *text, size_t len, cfg_doc *doc) {
    struct json_tokener *tok = json_tokener_new_ex(NNQ_CONFIG_MAX_DEPTH);
    if (tok == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *j = NULL;
    nnq_status s = NNQ_STATUS_OK;
    if (len > INT_MAX) {
        s = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "config '%s': too large", doc->name);
    } else {
        j = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t off = json_tokener_get_parse_end(tok);
        if (jerr == json_tokener_continue) jerr = json_tokener_error_parse_eof;
        if (jerr == json_tokener_success) {
            /* Only whitespace may follow the top-level value. */
            while (off < len && strchr(" \t\r\n", text[off]) != NULL) off++;
            if (off < len) jerr = json_tokener_error_parse_unexpected;
        }
        if (jerr != json_tokener_success) {
            int line, col;
            line_col_at(text, NNQ_MIN(off, len), &line, &col);
            s = nnq_error(jerr == json_tokener_error_depth ? NNQ_STATUS_LIMIT_EXCEEDED
                                                           : NNQ_STATUS_INVALID_FORMAT,
                          "config '%s' line %d column %d: %s%s", doc->name, line, col,
                          off < len ? "" : "at end: ", json_tokener_error_desc(jerr));
        } else {
            s = json_convert(doc, j, &doc->root);
        }
    }
    json_object_put(j);
    json_tokener_free(tok);
    return s;
}

/* ------------------------------------------------------------------------ */

nnq_status cfg_doc_parse(const char *text, size_t len, cfg_syntax syntax, const char *name,
                         cfg_doc *doc) {
    memset(doc, 0, sizeof(*doc));
    size_t nlen = strlen(name);
    doc->name = nnq_malloc(nlen + 1);
    if (doc->name == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    memcpy(doc->name, name, nlen + 1);
    doc->has_positions = syntax == CFG_SYNTAX_YAML;
    nnq_status s;
    if (len > NNQ_CONFIG_MAX_BYTES) {
        s = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "config '%s': %zu bytes, more than the %zu-byte "
                      "limit for configs", name, len, (size_t)NNQ_CONFIG_MAX_BYTES);
    } else {
        size_t bad = utf8_invalid_at((const unsigned char *)text, len);
        if (bad < len) {
            int line, col;
            line_col_at(text, bad, &line, &col);
            s = nnq_error(NNQ_STATUS_INVALID_FORMAT,
                          "config '%s' line %d column %d: byte 0x%02x at offset %zu is %s", name,
                          line, col, (unsigned char)text[bad], bad,
                          text[bad] ? "not valid UTF-8" : "a NUL character");
        } else {
            s = syntax == CFG_SYNTAX_YAML ? yaml_parse(text, len, doc) : json_parse(text, len, doc);
            if (s == NNQ_STATUS_OK && doc->root == NULL) {
                /* An empty YAML stream is an empty config. */
                doc->root = node_new(doc, CFG_NULL, 1, 1);
                if (doc->root == NULL) s = NNQ_STATUS_OUT_OF_MEMORY;
            }
        }
    }
    if (s == NNQ_STATUS_OUT_OF_MEMORY)
        s = nnq_error(s, "config '%s': out of memory while parsing", name);
    if (s != NNQ_STATUS_OK) cfg_doc_release(doc);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Growable string                                                           */
/* ------------------------------------------------------------------------ */

void cfg_buf_append(cfg_buf *b, const char *s, size_t n) {
    if (b->failed) return;
    size_t need;
    if (!nnq_size_add(b->len, n + 1, &need)) {
        b->failed = true;
        return;
    }
    if (need > b->cap) {
        size_t cap = NNQ_MAX(need, b->cap * 2 + 64);
        char *p = nnq_realloc(b->data, cap);
        if (p == NULL) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cfg_buf_printf(cfg_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
    } else if ((size_t)n < sizeof(small)) {
        cfg_buf_append(b, small, (size_t)n);
    } else {
        char *big = nnq_malloc((size_t)n + 1);
        if (big == NULL) {
            b->failed = true;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        cfg_buf_append(b, big, (size_t)n);
        nnq_free(big);
    }
}

void cfg_buf_json_string(cfg_buf *b, const char *s) {
    cfg_buf_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            cfg_buf_append(b, esc, 2);
        } else if (c < 0x20) {
            cfg_buf_printf(b, "\\u%04x", c);
        } else {
            cfg_buf_append(b, (const char *)s, 1);
        }
    }
    cfg_buf_append(b, "\"", 1);
}

nnq_status cfg_buf_finish(cfg_buf *b, const char *what, char **out) {
    if (!b->failed && b->data == NULL) cfg_buf_append(b, "", 0);
    if (b->failed) {
        nnq_free(b->data);
        memset(b, 0, sizeof(*b));
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "%s: out of memory building the text", what);
    }
    *out = b->data;
    memset(b, 0, sizeof(*b));
    return NNQ_STATUS_OK;
}
