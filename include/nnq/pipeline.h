/*
 * nnq/pipeline.h - public API of the pipeline layer.  Include <nnq.h>.
 */
#ifndef NNQ_PIPELINE_H
#define NNQ_PIPELINE_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Quantization configs (config part: src/pipeline/config*.c)               */
/* ======================================================================== */

/*
 * A config maps quantizer sites to quantizer attributes.  A site is named
 * after its node like ModelOpt names its modules: "<node>.input_quantizer",
 * "<node>.weight_quantizer" or "<node>.output_quantizer".  Configs are YAML
 * or JSON with up to four sections, applied to a site in this order (later
 * wins, attribute by attribute):
 *
 *   global      {<kind>_quantizer: attrs}          every site of that kind
 *   op_type     {<OpType>: {<kind>_quantizer: attrs}}  sites of such nodes
 *   quant_cfg   {"<glob over site names>": attrs}  every match, in file order
 *   node_name   {<node>: {<kind>_quantizer: attrs}}    exact node names
 *
 * `attrs` is a mapping of quantizer attributes (enable, num_bits / format,
 * axis, block_size, unsigned, narrow_range, symmetric / mode, calib_method,
 * percentile, num_bins, amax, fake) or null, which disables.  A mapping
 * enables the sites it reaches unless it says `enable: false`.  A site no
 * entry reaches is not quantized.  docs/configuration.md is the reference.
 *
 * A config is immutable once loaded: every call taking a const nnq_config
 * may run concurrently.
 */
typedef struct nnq_config nnq_config;

/* Syntax of config text. */
typedef enum nnq_config_format {
    NNQ_CONFIG_FORMAT_AUTO = 0, /* by extension (.json / .yaml / .yml), else by content */
    NNQ_CONFIG_FORMAT_YAML = 1,
    NNQ_CONFIG_FORMAT_JSON = 2,
} nnq_config_format;

/* Configs larger than this are refused (NNQ_STATUS_LIMIT_EXCEEDED). */
#define NNQ_CONFIG_MAX_BYTES ((size_t)1 << 20)

/**
 * Load a config file.
 * @param path    file to read (at most NNQ_CONFIG_MAX_BYTES, valid UTF-8)
 * @param format  syntax, or NNQ_CONFIG_FORMAT_AUTO
 * @param out     receives a new config; free with nnq_config_free
 * Errors: NOT_FOUND / IO_ERROR (file), LIMIT_EXCEEDED (size, nesting depth,
 * YAML alias expansion), INVALID_FORMAT (syntax, bad UTF-8, wrong value
 * type), UNKNOWN_NAME (unknown key or enum value: the message lists the
 * valid ones), BITS_OUT_OF_RANGE, AXIS_OUT_OF_RANGE, OUT_OF_RANGE,
 * NEGATIVE_AMAX.  Messages name the file, the line and column (YAML; JSON
 * errors give them for syntax errors and the key path otherwise) and the key.
 */
NNQ_API nnq_status nnq_config_load_file(const char *path, nnq_config_format format,
                                        nnq_config **out);

/**
 * Load a config from memory.
 * @param text    config text, not necessarily NUL-terminated
 * @param len     its length in bytes
 * @param format  syntax; AUTO picks JSON when the first non-blank character is '{'
 * @param name    what messages call it (NULL: "<string>"); copied
 * @param out     receives a new config; free with nnq_config_free
 * Errors: as nnq_config_load_file, less the file ones.
 */
NNQ_API nnq_status nnq_config_load_string(const char *text, size_t len, nnq_config_format format,
                                          const char *name, nnq_config **out);

/**
 * Load a named preset ("int8", "fp8", ...) or, when name_or_path contains a
 * '/' or ends in .yaml / .yml / .json, that file.  A name is looked up as
 * <dir>/<name>.yaml then <dir>/<name>.json in: search_dirs (a ':'-separated
 * list, may be NULL), then $NNQ_PRESET_PATH (same form), then the build's
 * default directories (the source tree's presets/ and the install's
 * share/nnq/presets, when the build defines them).
 * Errors: UNKNOWN_NAME (no such preset: the message lists those found),
 * INVALID_ARGUMENT (a name with characters outside [A-Za-z0-9._-]), and
 * those of nnq_config_load_file.
 */
NNQ_API nnq_status nnq_config_load_preset(const char *name_or_path, const char *search_dirs,
                                          nnq_config **out);

/** Free a config (NULL is fine). */
NNQ_API void nnq_config_free(nnq_config *cfg);

/**
 * Canonical JSON form of a config: sections in precedence order, attributes
 * in a fixed order, aliases normalized (symmetric -> mode, num_bits pairs ->
 * format).  Loading the dump gives a config with the same dump.
 * @param out  receives a NUL-terminated string; free with nnq_free
 * Errors: OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_config_dump(const nnq_config *cfg, char **out);

/**
 * Effective attributes of one site as a one-line JSON object with every
 * attribute ("enable", "format", "num_bits", "axis", "block_size",
 * "unsigned", "narrow_range", "mode", "calib_method", "percentile",
 * "num_bins", "amax", "fake").
 * @param site_name  "<node_name>.input_quantizer" / ".weight_quantizer" /
 *                   ".output_quantizer"
 * @param op_type    the node's ONNX op type ("Conv"); may be NULL
 * @param node_name  the node's name (the prefix of site_name)
 * @param out        receives a NUL-terminated string; free with nnq_free
 * Errors: INVALID_ARGUMENT (site name not of that form), INVALID_FORMAT
 * (the combination breaks a cross-attribute rule, e.g. nvfp4 with a block
 * size other than 16), OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_config_describe_site(const nnq_config *cfg, const char *site_name,
                                            const char *op_type, const char *node_name,
                                            char **out);

/* One quantizer site of a model, as the planner names it. */
typedef struct nnq_config_site {
    const char *site_name; /* "<node_name>.<kind>_quantizer" */
    const char *op_type;   /* may be NULL */
    const char *node_name;
} nnq_config_site;

/**
 * Find config entries that reach none of the given sites: quant_cfg
 * patterns matching no site name, op_type keys naming no site's op type,
 * node_name keys naming no site's node.  Each becomes one line of *report,
 * with up to three nearest site / op / node names by edit distance (a
 * pattern's distance counts the edits that would make it match).
 * @param n_unmatched  receives the number of such entries (may be NULL)
 * @param report       receives the text ("" when all matched); free with nnq_free
 * Errors: INVALID_ARGUMENT (a site with a NULL name), OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_config_check_sites(const nnq_config *cfg, const nnq_config_site *sites,
                                          size_t n_sites, size_t *n_unmatched, char **report);

/* ======================================================================== */
/* (end of the config part)                                                  */
/* ======================================================================== */

#ifdef __cplusplus
}
#endif
#endif /* NNQ_PIPELINE_H */
