/*
 * config_glob.c - wildcard patterns over quantizer-site names, and the edit
 * distances behind "did you mean" suggestions.
 *
 * Own matcher rather than fnmatch(3): the syntax is then the same on every
 * libc, malformed patterns are errors at load time, and the same compiled
 * tokens drive an approximate match (how many edits a name is away from
 * matching) for near-miss reports.
 */
#include "pipeline/config.h"

#include <stdint.h>
#include <string.h>

enum { TOK_LIT, TOK_ANY, TOK_STAR, TOK_CLASS };

typedef struct glob_tok {
    uint8_t kind;
    uint8_t lit;
    uint8_t set[32]; /* TOK_CLASS: bit c set when byte c is in the class */
} glob_tok;

struct cfg_glob {
    size_t n;
    glob_tok tok[];
};

/* Names longer than this are not worth a quadratic distance computation. */
#define DISTANCE_MAX_LEN 4096

static void set_bit(uint8_t *set, unsigned c) { set[c >> 3] |= (uint8_t)(1u << (c & 7)); }

/* Parse "[...]" starting after '['; returns the index after ']'. */
static size_t parse_class(const char *p, size_t i, glob_tok *t, const char **why) {
    bool negate = false;
    memset(t->set, 0, sizeof(t->set));
    t->kind = TOK_CLASS;
    if (p[i] == '!' || p[i] == '^') {
        negate = true;
        i++;
    }
    bool first = true;
    while (p[i] != '\0' && (p[i] != ']' || first)) {
        unsigned lo = (unsigned char)p[i];
        if (lo == '\\' && p[i + 1] != '\0') lo = (unsigned char)p[++i];
        i++;
        unsigned hi = lo;
        if (p[i] == '-' && p[i + 1] != ']' && p[i + 1] != '\0') {
            hi = (unsigned char)p[i + 1];
            if (hi == '\\' && p[i + 2] != '\0') hi = (unsigned char)p[++i + 1];
            i += 2;
            if (hi < lo) {
                *why = "character range is reversed (e.g. [z-a])";
                return 0;
            }
        }
        for (unsigned c = lo; c <= hi; c++) set_bit(t->set, c);
        first = false;
    }
    if (p[i] != ']') {
        *why = "'[' has no closing ']'";
        return 0;
    }
    if (negate)
        for (size_t k = 0; k < sizeof(t->set); k++) t->set[k] = (uint8_t)~t->set[k];
    return i + 1;
}

nnq_status cfg_glob_compile(const char *pattern, cfg_glob **out, const char **why) {
    size_t len = strlen(pattern), bytes;
    *out = NULL;
    if (!nnq_size_mul(len, sizeof(glob_tok), &bytes) ||
        !nnq_size_add(bytes, sizeof(cfg_glob), &bytes))
        return NNQ_STATUS_SIZE_OVERFLOW;
    cfg_glob *g = nnq_malloc(bytes);
    if (g == NULL) return NNQ_STATUS_OUT_OF_MEMORY;
    g->n = 0;
    for (size_t i = 0; pattern[i] != '\0';) {
        glob_tok *t = &g->tok[g->n];
        char c = pattern[i];
        if (c == '*') {
            i++;
            if (g->n > 0 && g->tok[g->n - 1].kind == TOK_STAR) continue; /* "**" == "*" */
            t->kind = TOK_STAR;
        } else if (c == '?') {
            t->kind = TOK_ANY;
            i++;
        } else if (c == '[') {
            i = parse_class(pattern, i + 1, t, why);
            if (i == 0) {
                nnq_free(g);
                return NNQ_STATUS_INVALID_FORMAT;
            }
        } else {
            if (c == '\\') {
                if (pattern[i + 1] == '\0') {
                    *why = "pattern ends with a lone '\\'";
                    nnq_free(g);
                    return NNQ_STATUS_INVALID_FORMAT;
                }
                c = pattern[++i];
            }
            t->kind = TOK_LIT;
            t->lit = (uint8_t)c;
            i++;
        }
        g->n++;
    }
    *out = g;
    return NNQ_STATUS_OK;
}

void cfg_glob_free(cfg_glob *g) { nnq_free(g); }

static bool tok_accepts(const glob_tok *t, unsigned char c) {
    switch (t->kind) {
    case TOK_LIT:
        return t->lit == c;
    case TOK_ANY:
        return true;
    case TOK_CLASS:
        return (t->set[c >> 3] >> (c & 7)) & 1;
    default:
        return false;
    }
}

/* Classic single-backtrack-point matcher: a later '*' supersedes an earlier
 * one, so the cost stays O(len(pattern) * len(text)). */
bool cfg_glob_match(const cfg_glob *g, const char *text) {
    size_t p = 0, star = SIZE_MAX, mark = 0;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (s[i] != '\0') {
        if (p < g->n && g->tok[p].kind == TOK_STAR) {
            star = p++;
            mark = i;
        } else if (p < g->n && tok_accepts(&g->tok[p], s[i])) {
            p++;
            i++;
        } else if (star != SIZE_MAX) {
            p = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (p < g->n && g->tok[p].kind == TOK_STAR) p++;
    return p == g->n;
}

/*
 * Edit distance between a pattern and a text, where '*' absorbs any run of
 * characters for free.  d[i][j]: edits for tokens [0, i) to match text
 * [0, j); one row kept.
 */
size_t cfg_glob_distance(const cfg_glob *g, const char *text) {
    size_t m = strlen(text);
    if (m > DISTANCE_MAX_LEN || g->n > DISTANCE_MAX_LEN) return SIZE_MAX;
    size_t *row = nnq_malloc((m + 1) * sizeof(size_t));
    if (row == NULL) return SIZE_MAX;
    for (size_t j = 0; j <= m; j++) row[j] = j; /* empty pattern: delete the text */
    for (size_t i = 1; i <= g->n; i++) {
        const glob_tok *t = &g->tok[i - 1];
        size_t diag = row[0];
        row[0] = t->kind == TOK_STAR ? row[0] : row[0] + 1;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j], best;
            if (t->kind == TOK_STAR) {
                best = NNQ_MIN(up, row[j - 1]); /* star takes nothing / one more */
            } else {
                best = diag + !tok_accepts(t, (unsigned char)text[j - 1]);
                best = NNQ_MIN(best, up + 1);         /* token unmatched */
                best = NNQ_MIN(best, row[j - 1] + 1); /* extra text char */
            }
            diag = up;
            row[j] = best;
        }
    }
    size_t d = row[m];
    nnq_free(row);
    return d;
}

size_t cfg_edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > DISTANCE_MAX_LEN || m > DISTANCE_MAX_LEN) return SIZE_MAX;
    size_t *row = nnq_malloc((m + 1) * sizeof(size_t));
    if (row == NULL) return SIZE_MAX;
    for (size_t j = 0; j <= m; j++) row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = NNQ_MIN(best, up + 1);
            best = NNQ_MIN(best, row[j - 1] + 1);
            diag = up;
            row[j] = best;
        }
    }
    size_t d = row[m];
    nnq_free(row);
    return d;
}
