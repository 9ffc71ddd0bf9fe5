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
 * or JSON with up to five sections, applied to a site in this order (later
 * wins, attribute by attribute):
 *
 *   global      {<kind>_quantizer: attrs}          every site of that kind
 *   op_type     {<OpType>: {<kind>_quantizer: attrs}}  sites of such nodes
 *   model_input {<kind>_quantizer: attrs}          sites quantizing a graph input
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

/* Facts about a site that sections select on (nnq_config_site.flags). */
typedef enum nnq_config_site_flag {
    /* The site quantizes a graph (model) input: the model_input section
     * applies to it. */
    NNQ_CONFIG_SITE_GRAPH_INPUT = 1u << 0,
    NNQ_CONFIG_SITE_FLAGS_ALL_ = NNQ_CONFIG_SITE_GRAPH_INPUT,
} nnq_config_site_flag;

/* One quantizer site of a model, as the planner names it. */
typedef struct nnq_config_site {
    const char *site_name; /* "<node_name>.<kind>_quantizer" */
    const char *op_type;   /* may be NULL */
    const char *node_name;
    uint32_t flags;        /* NNQ_CONFIG_SITE_* bits; 0 when none is known */
} nnq_config_site;

/**
 * As nnq_config_describe_site, for a site given with its flags (the
 * model_input section reaches only sites flagged NNQ_CONFIG_SITE_GRAPH_INPUT;
 * nnq_config_describe_site is this with flags 0).
 * @param site  the site; its strings are only read during the call
 * @param out   receives a NUL-terminated string; free with nnq_free
 * Errors: those of nnq_config_describe_site, and INVALID_ARGUMENT for a NULL
 * site or flags outside NNQ_CONFIG_SITE_FLAGS_ALL_.
 */
NNQ_API nnq_status nnq_config_describe(const nnq_config *cfg, const nnq_config_site *site,
                                       char **out);

/**
 * Find config entries that reach none of the given sites: quant_cfg
 * patterns matching no site name, op_type keys naming no site's op type,
 * node_name keys naming no site's node, and a model_input section when no
 * site of a kind it names is flagged NNQ_CONFIG_SITE_GRAPH_INPUT.  Each
 * becomes one line of *report, with up to three nearest site / op / node
 * names by edit distance (a pattern's distance counts the edits that would
 * make it match).
 * @param n_unmatched  receives the number of such entries (may be NULL)
 * @param report       receives the text ("" when all matched); free with nnq_free
 * Errors: INVALID_ARGUMENT (a site with a NULL name or unknown flags),
 * OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_config_check_sites(const nnq_config *cfg, const nnq_config_site *sites,
                                          size_t n_sites, size_t *n_unmatched, char **report);

/* ======================================================================== */
/* (end of the config part)                                                  */
/* ======================================================================== */

/* ======================================================================== */
/* Post-training quantization (src/pipeline/ptq*.c)                          */
/* ======================================================================== */

struct nnq_graph;
struct nnq_dataset;

/*
 * A PTQ session: plan quantizer sites on a model, calibrate activation
 * ranges on data (or load a saved calibration table), and build an ONNX QDQ
 * model.  docs/quantize.md describes the site placement, the export rules
 * and every fallback.
 *
 * Sites are placed the way TensorRT fuses them: the activation input and
 * the weight of every Conv, ConvTranspose, Gemm and MatMul
 * ("<node>.input_quantizer", "<node>.weight_quantizer"), their output when
 * a config enables "<node>.output_quantizer", and optionally the inputs of
 * pooling nodes and one input of residual Adds.  A MatMul of two
 * activations gets "<node>.input1_quantizer" on input 1 instead of a weight
 * site, configured as the node's input_quantizer.
 */
typedef struct nnq_ptq nnq_ptq;

typedef struct nnq_ptq_options {
    /* Globs (docs/configuration.md syntax) over node and site names whose
     * sites stay float (`--exclude`).  Borrowed during nnq_ptq_create. */
    const char *const *exclude;
    size_t n_exclude;
    bool keep_first;       /* leave the first Conv/Gemm/MatMul in float */
    bool keep_last;        /* leave the last one in float */
    bool quantize_pool;    /* add input sites to MaxPool / AveragePool / GlobalAveragePool */
    bool quantize_add;     /* add an input site to Adds of two activations */
    bool no_fold_batchnorm; /* keep BatchNormalization nodes (default: fold) */
    nnq_pool *pool;        /* borrowed; NULL = serial; must outlive the session */
    nnq_progress_fn progress; /* NULL = silent */
    void *progress_ctx;
} nnq_ptq_options;

/**
 * Start a session on a copy of `model` (which is only read): fold
 * BatchNormalization into Conv / Gemm, plan the sites and resolve `cfg` for
 * each.  `cfg` is borrowed and must outlive the session.  options may be
 * NULL; *out is freed with nnq_ptq_free.
 * Errors: INVALID_ARGUMENT (NULLs), UNSUPPORTED (an enabled site whose format
 * has no ONNX QDQ form: integer widths other than 4, 8, 16; nvfp4, mx*, nf*,
 * fp4; blocks on activations), INVALID_FORMAT (bad --exclude glob), those of
 * the config resolution, OUT_OF_MEMORY.  A weight whose shape cannot take
 * the configured block size is not an error: the site stays float and
 * nnq_ptq_site_info reports why (docs/quantize.md, "Fallbacks").
 */
NNQ_API nnq_status nnq_ptq_create(const struct nnq_graph *model, const nnq_config *cfg,
                                  const nnq_ptq_options *options, nnq_ptq **out);
/** Free a session (NULL is fine). */
NNQ_API void nnq_ptq_free(nnq_ptq *ptq);

/* Which tensor of its node a site quantizes. */
typedef enum nnq_ptq_site_kind {
    NNQ_PTQ_SITE_INPUT = 0,
    NNQ_PTQ_SITE_WEIGHT = 1,
    NNQ_PTQ_SITE_OUTPUT = 2,
} nnq_ptq_site_kind;

/* One planned site.  Strings are borrowed from the session. */
typedef struct nnq_ptq_site_info {
    const char *name;       /* "<node>.<kind>_quantizer" */
    const char *node_name;
    const char *op_type;
    const char *tensor;     /* the value or initializer it quantizes */
    nnq_ptq_site_kind kind;
    bool enabled;           /* quantized in the output model */
    const char *note;       /* why it is float although configured, or NULL */
} nnq_ptq_site_info;

/** Number of planned sites (enabled or not). */
NNQ_API size_t nnq_ptq_site_count(const nnq_ptq *ptq);
/** Site i.  OUT_OF_RANGE when i is too big. */
NNQ_API nnq_status nnq_ptq_site(const nnq_ptq *ptq, size_t i, nnq_ptq_site_info *out);
/**
 * Entries of the config that reach no site (nnq_config_check_sites over
 * the planned sites): *report gets one line per entry ("" if none), owned
 * by the caller (nnq_free).
 */
NNQ_API nnq_status nnq_ptq_check_config(const nnq_ptq *ptq, size_t *n_unmatched, char **report);

/**
 * Stream every batch of `data` through the model and collect statistics
 * for the enabled activation sites (one calibrator each, of the kind its
 * calib_method needs).  The data's inputs must match the model's by name,
 * dtype and fixed dims.  Memory is bounded by one batch plus the
 * calibrators' states, whatever the number of samples.  Statistics add up
 * over calls.  Errors: EMPTY (no samples), NOT_FOUND (a model input the
 * data lacks), DTYPE_MISMATCH / SHAPE_MISMATCH (naming input, expected and
 * actual), those of the dataset, executor and calibrators.
 */
NNQ_API nnq_status nnq_ptq_calibrate(nnq_ptq *ptq, struct nnq_dataset *data);

/**
 * Save the calibration table: directory `dir` (created if missing) gets one
 * nnq_calib state file per calibrated site and an index "table.tsv" written
 * last, atomically.  Errors: INVALID_STATE (nothing calibrated), IO_ERROR.
 */
NNQ_API nnq_status nnq_ptq_save_calib(const nnq_ptq *ptq, const char *dir);
/**
 * Load a table saved by nnq_ptq_save_calib, replacing collected statistics.
 * Sites of the table the model lacks are an error (NOT_FOUND); enabled sites
 * the table lacks stay uncalibrated.  A site's calib_method may differ from
 * the one collected if the state supports it (a histogram re-scores with
 * entropy, mse or percentile); otherwise INVALID_ARGUMENT naming the site.
 */
NNQ_API nnq_status nnq_ptq_load_calib(nnq_ptq *ptq, const char *dir);

/**
 * Build the quantized model: activations get QuantizeLinear ->
 * DequantizeLinear pairs, weights are stored quantized with a
 * DequantizeLinear; the ai.onnx opset is raised only as far as the formats
 * need (13 per-axis, 19 float8, 21 int4 / blocks).  *out is a new graph
 * owned by the caller (nnq_graph_free).  Errors: INVALID_STATE (an enabled
 * activation site without statistics and without a fixed amax), those of
 * the calibrators and quantizers.
 */
NNQ_API nnq_status nnq_ptq_build(nnq_ptq *ptq, struct nnq_graph **out);

/**
 * Per-site table (like ModelOpt's print_quant_summary): enabled, format,
 * granularity, amax / scale range, calibrator, note.  Ranges appear once
 * known (after calibration or for weights).  json: one JSON object instead
 * of text.  *out is owned by the caller (nnq_free).
 */
NNQ_API nnq_status nnq_ptq_summary(nnq_ptq *ptq, bool json, char **out);

/* ------------------------------------------------------------------------ */
/* Evaluation: float vs quantized                                            */
/* ------------------------------------------------------------------------ */

typedef struct nnq_eval_options {
    nnq_pool *pool;           /* borrowed; NULL = serial */
    nnq_progress_fn progress; /* NULL = silent */
    void *progress_ctx;
} nnq_eval_options;

/* What an evaluated site quantizes. */
typedef enum nnq_eval_site_kind {
    NNQ_EVAL_SITE_ACTIVATION = 0, /* a QuantizeLinear on a run-time value */
    NNQ_EVAL_SITE_WEIGHT = 1,     /* a stored quantized weight behind a DequantizeLinear */
} nnq_eval_site_kind;

/* Quantization error at one site of the quantized model.  Activations:
 * measured on the values flowing into its QuantizeLinear.  Weights: the
 * dequantized stored weight of a Conv / ConvTranspose / Gemm / MatMul
 * against the float model's weight of the node of the same name, after the
 * BatchNormalization folding the quantizer applied (docs/quantize.md,
 * "Evaluation"). */
typedef struct nnq_eval_site {
    char *name;           /* site name ("<node>.input_quantizer") or Q node name */
    double sqnr_db;       /* 10 log10(sum x^2 / sum (x - dq(q(x)))^2); INFINITY if exact,
                           * NAN when !matched */
    double clip_fraction; /* elements beyond the quantized type's range */
    uint64_t count;       /* elements seen */
    nnq_eval_site_kind kind;
    bool matched;         /* weights: the float model has this node and an equal-shaped
                           * float32 weight; false: listed as "unmatched", no figures */
} nnq_eval_site;

typedef struct nnq_eval_report {
    uint64_t samples;
    bool has_labels;
    double float_top1;     /* fraction correct, when has_labels */
    double quant_top1;
    double agreement;      /* top-1 of quantized == top-1 of float */
    double output_sqnr_db; /* first output, quantized vs float */
    nnq_eval_site *sites;  /* sorted worst (lowest SQNR) first, unmatched weights last */
    size_t n_sites;
} nnq_eval_report;

/**
 * Run both models on every batch of `data` (labels from the dataset when it
 * has them).  Top-1 is the argmax over the last axis of the first output,
 * which must be [batch, classes] in both models.  *out is owned by the
 * caller (nnq_eval_report_free).  Errors: EMPTY, SHAPE_MISMATCH (outputs
 * disagree), those of nnq_ptq_calibrate's data checks and the executor.
 */
NNQ_API nnq_status nnq_eval_run(const struct nnq_graph *float_model,
                                const struct nnq_graph *quant_model, struct nnq_dataset *data,
                                const nnq_eval_options *options, nnq_eval_report **out);
NNQ_API void nnq_eval_report_free(nnq_eval_report *report);
/** Text table or JSON object of a report; *out owned by the caller (nnq_free). */
NNQ_API nnq_status nnq_eval_report_format(const nnq_eval_report *report, bool json, char **out);


/* ======================================================================== */
/* Model compression: nnq compress / nnq decompress (src/pipeline/compress*.c) */
/* ======================================================================== */

struct nnq_compress_config;

/*
 * Which weights a model-level compression touches and what it does to
 * them.  docs/compress.md describes the selection rules, the config file
 * and the ONNX form of every mode.
 *
 * A compress spec is a YAML / JSON document with up to three sections,
 * applied in this order (later wins, key by key) over the base settings
 * given in nnq_model_compress_options.base:
 *
 *   global   {settings}                      every selected weight
 *   op_type  {<OpType>: settings | null}     weights of such consumers
 *   name     {"<glob over tensor names>": settings | null}  in file order
 *
 * settings keys: mode (palettize / linear / prune), bits, method (kmeans /
 * uniform / unique), granularity (per_tensor / per_channel /
 * per_grouped_channel / per_block), group_size, lut_dtype (fp32 / fp16 /
 * int8), linear_mode (linear / linear_symmetric), linear_dtype (int /
 * uint), prune (none / threshold / magnitude / n_m / block), threshold,
 * sparsity, n, m, block_size, seed, max_iter, min_size.  null leaves the
 * weight uncompressed.  With granularity per_block, block_size is the
 * linear quantization block along the weight's input axis (then block
 * pruning is refused: both would read block_size).
 */
typedef struct nnq_compress_spec nnq_compress_spec;

/**
 * Parse a spec from memory.
 * @param text, len  the document (not necessarily NUL-terminated)
 * @param name       what messages call it (NULL: "<string>")
 * @param out        receives the spec; free with nnq_compress_spec_free
 * Errors: INVALID_FORMAT (syntax, wrong value type), UNKNOWN_NAME (unknown
 * section, key or enum value), BITS_OUT_OF_RANGE, OUT_OF_RANGE (negative or
 * huge numbers, sparsity outside [0, 1)), LIMIT_EXCEEDED (size).
 */
NNQ_API nnq_status nnq_compress_spec_load_string(const char *text, size_t len, const char *name,
                                                 nnq_compress_spec **out);
/** Parse a spec file (.json, else YAML); errors also NOT_FOUND / IO_ERROR. */
NNQ_API nnq_status nnq_compress_spec_load_file(const char *path, nnq_compress_spec **out);
/** Free a spec (NULL is fine). */
NNQ_API void nnq_compress_spec_free(nnq_compress_spec *spec);

/* Default minimum element count of a compressed weight (coremltools'
 * weight_threshold). */
#define NNQ_COMPRESS_DEFAULT_MIN_SIZE 2048

typedef struct nnq_model_compress_options {
    /* Settings for every selected weight before the spec applies (its
     * `name`, `importance` members are ignored).  A zero base with no spec
     * is an error: nothing to do. */
    const struct nnq_compress_config *base;
    const nnq_compress_spec *spec; /* NULL: base only */
    /* Consumers whose weight input is a candidate (NULL: Conv,
     * ConvTranspose, Gemm, MatMul; "Gather" adds embedding tables). */
    const char *const *op_types;
    size_t n_op_types;
    /* Globs over initializer names: a weight must match one include (none
     * given: all) and no exclude. */
    const char *const *include;
    size_t n_include;
    const char *const *exclude;
    size_t n_exclude;
    size_t min_size;          /* fewer elements stay float; 0: NNQ_COMPRESS_DEFAULT_MIN_SIZE */
    nnq_pool *pool;           /* borrowed; NULL = serial */
    nnq_progress_fn progress; /* one call per weight; NULL = silent */
    void *progress_ctx;
    /* Per-block linear quantization (coremltools granularity "per_block"):
     * one scale (and zero point) per base->block_size elements along each
     * weight's input axis (axis 1 of Conv and Gemm transB=1 weights, 0 of
     * Gemm transB=0 and ConvTranspose, ndim-2 of MatMul, the last of Gather),
     * written as a blocked DequantizeLinear (opset 21).  base->group_size is
     * then ignored and base->prune_mode must not be BLOCK. */
    bool per_block;
    /* Linear codes unsigned (coremltools dtype uint8 / uint4): grids
     * [0, 2^bits - 1] (linear) or [0, 2^bits - 2] with zero point
     * 2^(bits-1) - 1 (linear_symmetric). */
    bool linear_unsigned;
    /* Highest ai.onnx opset the output may import; 0: no limit (21 is the
     * highest nnq raises to).  Below 21 the 4-bit forms are off: codes and
     * palette indices of <= 4 bits stay one per byte and per_block fails. */
    int max_opset;
} nnq_model_compress_options;

/* What happened to one weight. */
typedef struct nnq_compress_weight_report {
    char *name;          /* initializer name */
    char *op_type;       /* its first consumer's op type */
    char *method;        /* e.g. "palettize kmeans 4b fp16 g16 + magnitude 0.5" */
    int ndim;
    int64_t dims[NNQ_MAX_DIMS];
    uint64_t numel;
    uint64_t original_bytes; /* numel * 4 */
    uint64_t packed_bytes;   /* the compress layer's count: packed codes + tables / mask */
    uint64_t onnx_bytes;     /* tensor bytes of the initializers now standing for it */
    double bits_per_weight;  /* packed_bytes * 8 / numel */
    double sparsity;
    double sqnr_db;          /* weight vs its decompressed value; INFINITY if exact */
} nnq_compress_weight_report;

typedef struct nnq_compress_report {
    nnq_compress_weight_report *weights; /* in first-use order */
    size_t n_weights;
    size_t n_skipped;         /* candidates left float (size, globs, spec null) */
    uint64_t original_bytes;  /* totals over compressed weights */
    uint64_t packed_bytes;
    uint64_t onnx_bytes;
    double sqnr_db;           /* all compressed weights together */
    uint64_t model_bytes_before; /* serialized model sizes (all tensors inline) */
    uint64_t model_bytes_after;
    /* Filled by nnq_compress_report_evaluate. */
    bool has_eval;
    nnq_eval_report *eval;
} nnq_compress_report;

/**
 * Compress the selected weights of `model` (only read) into a new graph.
 * Each weight initializer W is replaced by a few initializers and standard
 * ONNX nodes (named "W/nnq_decode/...") producing a float tensor W, so
 * consumers are unchanged: DequantizeLinear for linear quantization, Cast /
 * Add / Gather / Reshape over a lookup table for palettization, and a
 * dense tensor with exact zeros for pruning alone.  The ai.onnx opset is
 * raised to 13 if lower, and to 21 (ir_version 10) when a weight is stored
 * in a 4-bit form: INT4 / UINT4 linear codes (<= 4 bits), UINT4 palette
 * indices (tables of <= 16 entries), or a blocked DequantizeLinear.  Those
 * forms are used only when options->max_opset allows 21 and raising is safe
 * (no Reduce* node with an `axes` attribute below opset 18, no
 * GroupNormalization below 21); otherwise one byte per code is kept.
 * @param out     receives the compressed model (nnq_graph_free)
 * @param report  receives the per-weight figures (nnq_compress_report_free);
 *                may be NULL
 * Errors: INVALID_ARGUMENT (NULLs, nothing to do, per_block with
 * palettization or block pruning, non-finite weights), OUT_OF_RANGE
 * (max_opset between 1 and 12), UNSUPPORTED (per_block when opset 21 is
 * not allowed), BLOCK_MISMATCH (input axis not a multiple of the block),
 * INVALID_FORMAT (bad glob), NOT_FOUND (an include glob matching no
 * candidate), every error of nnq_compress_tensor naming the tensor
 * (BITS_OUT_OF_RANGE, BLOCK_MISMATCH, LIMIT_EXCEEDED, OUT_OF_RANGE, ...),
 * OUT_OF_MEMORY.  Nothing is returned on failure.  The output is
 * byte-identical for any pool size.
 */
NNQ_API nnq_status nnq_model_compress(const struct nnq_graph *model,
                                      const nnq_model_compress_options *options,
                                      struct nnq_graph **out, nnq_compress_report **report);
/** Free a report (NULL is fine). */
NNQ_API void nnq_compress_report_free(nnq_compress_report *report);
/**
 * Run the float and the compressed model on `data` (nnq_eval_run) and keep
 * the output SQNR and top-1 figures in the report.
 */
NNQ_API nnq_status nnq_compress_report_evaluate(nnq_compress_report *report,
                                                const struct nnq_graph *float_model,
                                                const struct nnq_graph *compressed,
                                                struct nnq_dataset *data,
                                                const nnq_eval_options *options);
/** Text table or one JSON object; *out owned by the caller (nnq_free). */
NNQ_API nnq_status nnq_compress_report_format(const nnq_compress_report *report, bool json,
                                              char **out);

/**
 * Undo nnq_model_compress: evaluate every "W/nnq_decode/..." chain whose
 * inputs are constants with nnq's executor and store the result as a plain
 * float initializer W, then drop the chains and the initializers only they
 * used.  The weights equal the compressed model's decoded values exactly.
 * A model without such chains comes back unchanged.
 * @param n_weights  receives the number of weights restored (may be NULL)
 * Errors: INVALID_ARGUMENT (NULLs), those of the executor, OUT_OF_MEMORY.
 */
NNQ_API nnq_status nnq_model_decompress(const struct nnq_graph *model, struct nnq_graph **out,
                                        size_t *n_weights);

/* ======================================================================== */
/* (end of the model compression part)                                       */
/* ======================================================================== */

#ifdef __cplusplus
}
#endif
#endif /* NNQ_PIPELINE_H */
