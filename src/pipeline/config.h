/*
 * config.h - internals of quantization configs (not installed).
 *
 * A config file is parsed into a small document tree (cfg_node, positions
 * kept for YAML), interpreted into rules, and resolved per quantizer site
 * into nnq_site_attrs.  nnq_site_attrs is deliberately independent of
 * nnq/quant.h so that it can be mapped onto the quant layer's descriptor
 * in one place later.
 */
#ifndef NNQ_PIPELINE_CONFIG_H
#define NNQ_PIPELINE_CONFIG_H

#include "internal.h"

/* ---- limits that keep hostile configs cheap ---- */
#define NNQ_CONFIG_MAX_DEPTH 32        /* nesting of mappings / sequences */
#define NNQ_CONFIG_MAX_NODES 100000    /* nodes after YAML alias expansion */
#define NNQ_CONFIG_MAX_NUM_BINS (1 << 20)
#define NNQ_CONFIG_MAX_BLOCK ((int64_t)1 << 31)

/* ------------------------------------------------------------------------ */
/* Document tree                                                             */
/* ------------------------------------------------------------------------ */

typedef enum cfg_node_type {
    CFG_NULL,
    CFG_BOOL,
    CFG_INT,
    CFG_FLOAT,
    CFG_STRING,
    CFG_SEQ,
    CFG_MAP,
} cfg_node_type;

typedef struct cfg_node cfg_node;
struct cfg_node {
    cfg_node_type type;
    int line, col; /* 1-based; 0 when the parser gives no position (JSON) */
    union {
        bool b;
        int64_t i;
        double f;
        const char *s; /* CFG_STRING, NUL-terminated (NUL-free: checked) */
    } v;
    /* CFG_SEQ: items[n]; CFG_MAP: keys[n] -> items[n], key_nodes[n] the
     * keys' own nodes (their positions point messages at the key). */
    size_t n;
    const char **keys;
    cfg_node **items;
    const cfg_node **key_nodes;
    size_t weight; /* nodes in the expanded subtree, this one included */
    const char *raw; /* YAML scalars: the text as written (keys need it) */
};

/* A parsed document: every node and string lives in the arena. */
typedef struct cfg_doc {
    struct cfg_arena_chunk *chunks;
    cfg_node *root;
    char *name; /* file path or "<string>", for messages */
    bool has_positions;
} cfg_doc;

typedef enum cfg_syntax { CFG_SYNTAX_YAML, CFG_SYNTAX_JSON } cfg_syntax;

/* Parse text[0, len) (UTF-8 checked, size-limited) into *doc. */
NNQ_INTERNAL nnq_status cfg_doc_parse(const char *text, size_t len, cfg_syntax syntax,
                                      const char *name, cfg_doc *doc);
NNQ_INTERNAL void cfg_doc_release(cfg_doc *doc);
/* "<name> line L column C: " or "<name>: " into buf. */
NNQ_INTERNAL const char *cfg_where(const cfg_doc *doc, const cfg_node *node, char *buf,
                                   size_t size);

/* ------------------------------------------------------------------------ */
/* Site-name patterns                                                        */
/* ------------------------------------------------------------------------ */

/* A compiled glob: '*', '?', '[abc]', '[a-z]', '[!x]', '\' escapes. */
typedef struct cfg_glob cfg_glob;
/* Compile; on a malformed pattern returns INVALID_FORMAT with the reason in
 * *why (a static string). */
NNQ_INTERNAL nnq_status cfg_glob_compile(const char *pattern, cfg_glob **out, const char **why);
NNQ_INTERNAL void cfg_glob_free(cfg_glob *g);
NNQ_INTERNAL bool cfg_glob_match(const cfg_glob *g, const char *text);
/* Fewest single-character edits to `text` that make the glob match it (0
 * iff cfg_glob_match).  Strings longer than a few thousand characters give
 * SIZE_MAX rather than a quadratic cost. */
NNQ_INTERNAL size_t cfg_glob_distance(const cfg_glob *g, const char *text);
/* Plain Levenshtein distance, same length cap. */
NNQ_INTERNAL size_t cfg_edit_distance(const char *a, const char *b);

/* ------------------------------------------------------------------------ */
/* Quantizer attributes                                                      */
/* ------------------------------------------------------------------------ */

typedef enum nnq_site_kind {
    NNQ_SITE_INPUT,
    NNQ_SITE_WEIGHT,
    NNQ_SITE_OUTPUT,
    NNQ_SITE_KIND_COUNT_
} nnq_site_kind;

/* Number formats a site may use; `int` is parameterized by num_bits. */
typedef enum nnq_site_format {
    NNQ_SITE_FORMAT_INT,
    NNQ_SITE_FORMAT_FP8_E4M3,
    NNQ_SITE_FORMAT_FP8_E5M2,
    NNQ_SITE_FORMAT_FP4_E2M1,
    NNQ_SITE_FORMAT_NVFP4,
    NNQ_SITE_FORMAT_MXFP4,
    NNQ_SITE_FORMAT_MXFP8,
    NNQ_SITE_FORMAT_NF4,
    NNQ_SITE_FORMAT_NF3,
    NNQ_SITE_FORMAT_COUNT_
} nnq_site_format;

typedef enum nnq_site_calib {
    NNQ_SITE_CALIB_MAX,
    NNQ_SITE_CALIB_MIN_MAX,
    NNQ_SITE_CALIB_MOVING_AVERAGE_MIN_MAX,
    NNQ_SITE_CALIB_EMA_MIN_MAX,
    NNQ_SITE_CALIB_ENTROPY,
    NNQ_SITE_CALIB_MSE,
    NNQ_SITE_CALIB_PERCENTILE,
    NNQ_SITE_CALIB_EMA_PERCENTILE,
    NNQ_SITE_CALIB_COUNT_
} nnq_site_calib;

/* One bit per attribute: which ones an entry (or the resolution) set. */
typedef enum nnq_site_attr {
    NNQ_SITE_ATTR_ENABLE,
    NNQ_SITE_ATTR_FORMAT, /* also carries num_bits: each sets both */
    NNQ_SITE_ATTR_AXIS,
    NNQ_SITE_ATTR_BLOCK_SIZE,
    NNQ_SITE_ATTR_UNSIGNED,
    NNQ_SITE_ATTR_NARROW_RANGE,
    NNQ_SITE_ATTR_SYMMETRIC,
    NNQ_SITE_ATTR_CALIB_METHOD,
    NNQ_SITE_ATTR_PERCENTILE,
    NNQ_SITE_ATTR_NUM_BINS,
    NNQ_SITE_ATTR_AMAX,
    NNQ_SITE_ATTR_FAKE,
    NNQ_SITE_ATTR_COUNT_
} nnq_site_attr;

/*
 * Quantizer attributes of one site.  After nnq_config_resolve every field
 * holds its effective value (defaults filled in) and `set` says which ones
 * some config entry gave explicitly.
 */
typedef struct nnq_site_attrs {
    uint32_t set; /* 1u << nnq_site_attr */
    bool enable;
    nnq_site_format format;
    int num_bits;               /* int: 1-8 or 16; other formats: their width */
    int n_axes;                 /* 0: per-tensor */
    int axes[NNQ_MAX_DIMS];     /* as written (may be negative), distinct */
    int n_block;                /* 0: no blocks */
    int64_t block[NNQ_MAX_DIMS]; /* 1 entry: along the input axis; else n-d shape */
    bool is_unsigned;
    bool narrow_range;
    bool symmetric;             /* linear_symmetric (true) or linear (false) */
    nnq_site_calib calib_method;
    double percentile;          /* (0, 100] */
    int num_bins;
    float amax;                 /* valid when has_amax */
    bool has_amax;
    bool fake;                  /* fake-quantize (QDQ) rather than store quantized */
} nnq_site_attrs;

/* Defaults: disabled, int8 per-tensor, signed, narrow range, symmetric, max
 * calibration, percentile 99.99, 2048 bins, no fixed amax, fake quant. */
NNQ_INTERNAL void nnq_site_attrs_default(nnq_site_attrs *a);
/* Copy every attribute `src` sets onto `dst`. */
NNQ_INTERNAL void nnq_site_attrs_overlay(nnq_site_attrs *dst, const nnq_site_attrs *src);
/* Names for messages and dumps. */
NNQ_INTERNAL const char *nnq_site_kind_name(nnq_site_kind k);
NNQ_INTERNAL const char *nnq_site_format_name(nnq_site_format f);
NNQ_INTERNAL const char *nnq_site_calib_name(nnq_site_calib c);
/* Kind from a site name's last component, e.g. "conv1.weight_quantizer". */
NNQ_INTERNAL nnq_status nnq_site_kind_from_site(const char *site_name, nnq_site_kind *kind);

/* ------------------------------------------------------------------------ */
/* Growable string (dumps and reports)                                       */
/* ------------------------------------------------------------------------ */

typedef struct cfg_buf {
    char *data;
    size_t len, cap;
    bool failed; /* an allocation failed: data is incomplete */
} cfg_buf;

NNQ_INTERNAL void cfg_buf_append(cfg_buf *b, const char *s, size_t n);
NNQ_INTERNAL void cfg_buf_printf(cfg_buf *b, const char *fmt, ...) NNQ_PRINTF(2, 3);
NNQ_INTERNAL void cfg_buf_json_string(cfg_buf *b, const char *s);
/* Hand the text to the caller (nnq_free) or report OUT_OF_MEMORY. */
NNQ_INTERNAL nnq_status cfg_buf_finish(cfg_buf *b, const char *what, char **out);

/* Attribute (de)serialization, shared by loading, dumps and describe. */
typedef struct cfg_ctx {
    const cfg_doc *doc;
    char path[512]; /* dotted path of the value being read, for messages */
} cfg_ctx;

/* Read an attribute mapping (or null = disable) into `out`; `enable` is
 * implied true unless the mapping sets it. */
NNQ_INTERNAL nnq_status cfg_attrs_parse(cfg_ctx *ctx, const cfg_node *node, nnq_site_attrs *out);
/* Append the attributes as a JSON object; all of them when `all`, else only
 * the ones `set` names. */
NNQ_INTERNAL void cfg_attrs_to_json(cfg_buf *b, const nnq_site_attrs *a, bool all);
/* Cross-attribute rules on a resolved site (e.g. nvfp4 needs 16-blocks). */
NNQ_INTERNAL nnq_status cfg_attrs_check(const nnq_site_attrs *a, const char *site_name);

/* ------------------------------------------------------------------------ */
/* Resolution                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Effective attributes of one site: defaults, then global, op_type[op_type],
 * model_input (only when site->flags has NNQ_CONFIG_SITE_GRAPH_INPUT),
 * quant_cfg patterns matching site_name in file order, node_name[node_name].
 * site_name must be "<node_name>.<kind>_quantizer".
 */
NNQ_INTERNAL nnq_status nnq_config_resolve_site(const nnq_config *cfg,
                                                const nnq_config_site *site,
                                                nnq_site_attrs *out);
/* nnq_config_resolve_site for a site with no flags (not a graph input). */
NNQ_INTERNAL nnq_status nnq_config_resolve(const nnq_config *cfg, const char *site_name,
                                           const char *op_type, const char *node_name,
                                           nnq_site_attrs *out);

#endif /* NNQ_PIPELINE_CONFIG_H */
