/* cmd_compress.c - `nnq compress`: palettize / linearly quantize / prune the
 * weights of an ONNX model (docs/compress.md). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CMD "compress"
#define MAX_LIST 64

static void compress_help(FILE *out) {
    fputs("Usage: nnq compress MODEL -o OUT [--config FILE] [options]\n"
          "\n"
          "Compress the weights of Conv / ConvTranspose / Gemm / MatMul nodes and write\n"
          "an ONNX model that rebuilds them with standard ops.  Prints per weight and in\n"
          "total: original / packed / ONNX bytes, bits per weight and SQNR.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE       compressed model (required; not MODEL itself)\n"
          "  -c, --config FILE       YAML / JSON spec: global, op_type, name sections\n"
          "      --mode M            palettize | linear | prune\n"
          "      --bits N            palettize: 1, 2, 3, 4, 6, 8; linear: 2..8\n"
          "      --method M          palettize: kmeans (default) | uniform | unique\n"
          "      --granularity G     per-tensor (default) | per-channel | per-grouped-channel |\n"
          "                          per-block (linear: --block-size weights along the input axis\n"
          "                          share a scale; opset 21 blocked DequantizeLinear)\n"
          "      --group-size N      output channels per table / scale (per-grouped-channel: 16)\n"
          "      --lut-dtype T       fp32 (default) | fp16 | int8\n"
          "      --linear-mode M     linear_symmetric (default) | linear\n"
          "      --linear-dtype T    int (default) | uint: signed or unsigned linear codes\n"
          "      --prune P           none | threshold | magnitude | n:m | block\n"
          "      --threshold X       prune |w| < X\n"
          "      --sparsity S        fraction in [0, 1) for magnitude / block\n"
          "      --n-m N:M           keep N of every M along the input axis\n"
          "      --block-size N      per-block quantization block (default 32), else block\n"
          "                          pruning block length\n"
          "      --max-opset N       highest ai.onnx opset to raise to (>= 13; default: 21 when\n"
          "                          int4 / uint4 storage saves bytes; below 21 codes and\n"
          "                          indices stay one per byte)\n"
          "      --seed N            k-means++ seed (default 0)\n"
          "      --op-types LIST     comma-separated consumers (default Conv,ConvTranspose,Gemm,MatMul;\n"
          "                          add Gather for embeddings)\n"
          "      --include GLOB      compress only matching weights (repeatable)\n"
          "      --exclude GLOB      leave matching weights float (repeatable)\n"
          "      --min-size N        skip weights with fewer elements (default 2048)\n"
          "  -d, --data FILE         evaluate float vs compressed: .npy / .npz / IDX\n"
          "      --labels FILE       IDX labels for top-1 accuracy\n"
          "      --input-name N      model input a .npy / IDX file feeds (default: input)\n"
          "      --scale S, --mean M, --std D   convert data to float32 as (x * S - M) / D\n"
          "  -b, --batch-size N      samples per batch (default 64)\n"
          "  -n, --samples N         use at most N samples\n"
          "  -j, --json              print one JSON object\n"
          "  -q, --quiet             no progress lines on stderr\n"
          "  -t, --threads N         threads (default: NNQ_NUM_THREADS or all CPUs)\n",
          out);
}

typedef struct copts {
    const char *model, *output, *config, *data, *labels, *input_name;
    nnq_compress_config base;
    const char *ops[MAX_LIST];
    size_t n_ops;
    char *ops_buf;
    const char *include[MAX_LIST], *exclude[MAX_LIST];
    size_t n_include, n_exclude, min_size, batch, samples, threads;
    int mode; /* 0 none given, 1 palettize, 2 linear, 3 prune */
    int bits;
    bool normalize, json, quiet, grouped, per_block, linear_unsigned;
    int max_opset;
    float scale, mean, std;
} copts;

enum {
    O_MODE = 256, O_BITS, O_METHOD, O_GRAN, O_GROUP, O_LUT, O_LMODE, O_PRUNE, O_THRESH, O_SPARS,
    O_NM, O_BLOCK, O_SEED, O_OPS, O_INC, O_EXC, O_MINSZ, O_LABELS, O_INNAME, O_SCALE, O_MEAN, O_STD,
    O_LDTYPE, O_MAXOPSET
};

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'}, {"config", required_argument, NULL, 'c'},
    {"mode", required_argument, NULL, O_MODE}, {"bits", required_argument, NULL, O_BITS},
    {"method", required_argument, NULL, O_METHOD}, {"granularity", required_argument, NULL, O_GRAN},
    {"group-size", required_argument, NULL, O_GROUP}, {"lut-dtype", required_argument, NULL, O_LUT},
    {"linear-mode", required_argument, NULL, O_LMODE}, {"prune", required_argument, NULL, O_PRUNE},
    {"threshold", required_argument, NULL, O_THRESH}, {"sparsity", required_argument, NULL, O_SPARS},
    {"n-m", required_argument, NULL, O_NM}, {"block-size", required_argument, NULL, O_BLOCK},
    {"seed", required_argument, NULL, O_SEED}, {"op-types", required_argument, NULL, O_OPS},
    {"include", required_argument, NULL, O_INC}, {"exclude", required_argument, NULL, O_EXC},
    {"min-size", required_argument, NULL, O_MINSZ}, {"data", required_argument, NULL, 'd'},
    {"labels", required_argument, NULL, O_LABELS}, {"input-name", required_argument, NULL, O_INNAME},
    {"scale", required_argument, NULL, O_SCALE}, {"mean", required_argument, NULL, O_MEAN},
    {"std", required_argument, NULL, O_STD}, {"batch-size", required_argument, NULL, 'b'},
    {"samples", required_argument, NULL, 'n'}, {"json", no_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'}, {"threads", required_argument, NULL, 't'},
    {"linear-dtype", required_argument, NULL, O_LDTYPE},
    {"max-opset", required_argument, NULL, O_MAXOPSET},
    {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};

/* Index of arg in the NULL-terminated names, or a usage error. */
static bool pick(const char *opt, const char *arg, const char *const *names, int *out) {
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], arg) == 0) {
            *out = i;
            return true;
        }
    char list[200] = "";
    for (int i = 0; names[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
    }
    nnq_cli_usage_error(CMD, "invalid value '%s' for %s: expected one of %s", arg, opt, list);
    return false;
}

static bool parse_num(const char *opt, const char *arg, float *out) {
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (!*arg || *end || errno || !isfinite(v)) {
        nnq_cli_usage_error(CMD, "invalid value '%s' for %s: expected a number", arg, opt);
        return false;
    }
    *out = (float)v;
    return true;
}

static bool parse_int(const char *opt, const char *arg, size_t max, int *out) {
    size_t v;
    if (!nnq_cli_parse_size(CMD, opt, arg, 0, max, &v)) return false;
    *out = (int)v;
    return true;
}

/* Below 13 the per-axis DequantizeLinear of the decode chains is missing. */
static bool parse_opset(const char *arg, int *out) {
    if (!parse_int("--max-opset", arg, 1000, out)) return false;
    if (*out >= 13) return true;
    nnq_cli_usage_error(CMD, "invalid value '%s' for --max-opset: expected an opset >= 13", arg);
    return false;
}

static bool parse_nm(const char *arg, copts *o) {
    char *end;
    long n = strtol(arg, &end, 10);
    long m = *end == ':' ? strtol(end + 1, &end, 10) : -1;
    if (*end || n < 0 || m < 0 || n > 65536 || m > 65536 || !*arg || arg[0] == ':') {
        nnq_cli_usage_error(CMD, "invalid value '%s' for --n-m: expected N:M, e.g. 2:4", arg);
        return false;
    }
    o->base.n = (int)n, o->base.m = (int)m;
    return true;
}

static bool add_list(const char *opt, const char *arg, const char **list, size_t *n) {
    if (*n == MAX_LIST) {
        nnq_cli_usage_error(CMD, "too many %s options (at most %d)", opt, MAX_LIST);
        return false;
    }
    list[(*n)++] = arg;
    return true;
}

static bool split_ops(const char *arg, copts *o) {
    free(o->ops_buf);
    o->ops_buf = strdup(arg);
    o->n_ops = 0;
    if (!o->ops_buf) return false;
    for (char *save = NULL, *t = strtok_r(o->ops_buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!add_list("--op-types", t, o->ops, &o->n_ops)) return false;
    if (o->n_ops == 0) {
        nnq_cli_usage_error(CMD, "invalid value '%s' for --op-types: expected op types", arg);
        return false;
    }
    return true;
}

static const char *const mode_names[] = {"palettize", "linear", "prune", NULL};
static const char *const method_names[] = {"kmeans", "uniform", "unique", NULL};
static const char *const gran_names[] = {"per-tensor", "per-channel", "per-grouped-channel",
                                         "per-block", NULL};
static const char *const ldtype_names[] = {"int", "uint", NULL};
static const char *const lut_names[] = {"fp32", "fp16", "int8", NULL};
static const char *const lmode_names[] = {"linear", "linear_symmetric", NULL};
static const char *const prune_names[] = {"none", "threshold", "magnitude", "n:m", "block", NULL};

/* One option; false after a usage error was printed. */
static bool take(int c, const char *a, copts *o) {
    int v = 0;
    switch (c) {
    case 'o': o->output = a; return true;
    case 'c': o->config = a; return true;
    case 'd': o->data = a; return true;
    case O_MODE: if (!pick("--mode", a, mode_names, &v)) return false; o->mode = v + 1; return true;
    case O_BITS: return parse_int("--bits", a, 64, &o->bits);
    case O_METHOD: if (!pick("--method", a, method_names, &v)) return false;
        o->base.palette_mode = (nnq_palette_mode)v; return true;
    case O_GRAN: if (!pick("--granularity", a, gran_names, &v)) return false;
        o->grouped = v == 2, o->per_block = v == 3;
        if (v < 2) o->base.group_size = v;
        return true;
    case O_GROUP: return parse_int("--group-size", a, 1 << 30, &o->base.group_size);
    case O_LUT: if (!pick("--lut-dtype", a, lut_names, &v)) return false;
        o->base.lut_dtype = (nnq_lut_dtype)v; return true;
    case O_LMODE: if (!pick("--linear-mode", a, lmode_names, &v)) return false;
        o->base.linear_mode = (nnq_linear_mode)v; return true;
    case O_LDTYPE: if (!pick("--linear-dtype", a, ldtype_names, &v)) return false;
        o->linear_unsigned = v == 1; return true;
    case O_MAXOPSET: return parse_opset(a, &o->max_opset);
    case O_PRUNE: if (!pick("--prune", a, prune_names, &v)) return false;
        o->base.prune_mode = (nnq_prune_mode)v; return true;
    case O_THRESH: return parse_num("--threshold", a, &o->base.threshold);
    case O_SPARS: return parse_num("--sparsity", a, &o->base.sparsity);
    case O_NM: return parse_nm(a, o);
    case O_BLOCK: return parse_int("--block-size", a, 1 << 30, &o->base.block_size);
    case O_SEED: { size_t s; if (!nnq_cli_parse_size(CMD, "--seed", a, 0, SIZE_MAX, &s)) return false;
        o->base.seed = s; return true; }
    case O_OPS: return split_ops(a, o);
    case O_INC: return add_list("--include", a, o->include, &o->n_include);
    case O_EXC: return add_list("--exclude", a, o->exclude, &o->n_exclude);
    case O_MINSZ: return nnq_cli_parse_size(CMD, "--min-size", a, 1, SIZE_MAX, &o->min_size);
    case O_LABELS: o->labels = a; return true;
    case O_INNAME: o->input_name = a; return true;
    case O_SCALE: o->normalize = true; return parse_num("--scale", a, &o->scale);
    case O_MEAN: o->normalize = true; return parse_num("--mean", a, &o->mean);
    case O_STD: o->normalize = true; return parse_num("--std", a, &o->std);
    case 'b': return nnq_cli_parse_size(CMD, "--batch-size", a, 1, 1 << 20, &o->batch);
    case 'n': return nnq_cli_parse_size(CMD, "--samples", a, 1, SIZE_MAX, &o->samples);
    case 'j': o->json = true; return true;
    case 'q': o->quiet = true; return true;
    case 't': return nnq_cli_parse_size(CMD, "--threads", a, 1, 1024, &o->threads);
    default: return false;
    }
}

/* Returns -1 to go on, else an exit code. */
static int parse(int argc, char **argv, copts *o) {
    memset(o, 0, sizeof *o);
    o->scale = 1.0f, o->std = 1.0f, o->batch = 64;
    o->base.linear_mode = NNQ_LINEAR_MODE_SYMMETRIC;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:c:d:b:n:jqt:h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            compress_help(stdout);
            return NNQ_EXIT_OK;
        }
        if (c == ':') return nnq_cli_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        if (c == '?') return nnq_cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        if (!take(c, optarg, o)) return NNQ_EXIT_USAGE;
    }
    if (optind >= argc) return nnq_cli_usage_error(CMD, "missing MODEL");
    o->model = argv[optind++];
    if (optind < argc) return nnq_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->output) return nnq_cli_usage_error(CMD, "missing --output");
    if (o->labels && !o->data) return nnq_cli_usage_error(CMD, "--labels needs --data");
    if (o->grouped && o->base.group_size == 0) o->base.group_size = 16;
    if (o->per_block && o->base.prune_mode == NNQ_PRUNE_MODE_BLOCK)
        return nnq_cli_usage_error(CMD, "--granularity per-block and --prune block both use "
                                        "--block-size; use one of them");
    if (o->per_block && o->mode == 1)
        return nnq_cli_usage_error(CMD, "--granularity per-block is for --mode linear; palettize "
                                        "with per-grouped-channel");
    if (o->mode == 0 && !o->config && o->base.prune_mode == NNQ_PRUNE_MODE_NONE)
        return nnq_cli_usage_error(CMD, "nothing to do: give --mode, --prune or --config");
    if (o->mode == 3 && o->base.prune_mode == NNQ_PRUNE_MODE_NONE)
        o->base.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE;
    int bits = o->bits ? o->bits : o->mode == 1 ? 4 : 8;
    if (o->mode == 1) o->base.palette_bits = bits;
    if (o->mode == 2) o->base.linear_bits = bits;
    return -1;
}

static void progress_line(void *ctx, const char *what, uint64_t done, uint64_t total) {
    (void)ctx;
    fprintf(stderr, "nnq compress: [%llu/%llu] %s\n", (unsigned long long)done,
            (unsigned long long)total, what);
}

static nnq_status evaluate(const copts *o, const nnq_graph *g, const nnq_graph *cg, nnq_pool *pool,
                           nnq_compress_report *rep) {
    nnq_dataset_options d;
    nnq_dataset_options_init(&d);
    d.batch_size = o->batch, d.max_samples = o->samples, d.to_float32 = o->normalize;
    d.scale = o->scale, d.mean = o->mean, d.std = o->std;
    d.labels_path = o->labels, d.input_name = o->input_name;
    nnq_dataset *ds = NULL;
    nnq_status s = nnq_dataset_open(o->data, &d, &ds);
    if (s) return s;
    nnq_eval_options eo = {pool, NULL, NULL};
    s = nnq_compress_report_evaluate(rep, g, cg, ds, &eo);
    nnq_dataset_close(ds);
    return s;
}

static nnq_status body(const copts *o, nnq_pool *pool) {
    nnq_graph *g = NULL, *cg = NULL;
    nnq_compress_spec *spec = NULL;
    nnq_compress_report *rep = NULL;
    char *text = NULL;
    const char *inputs[1] = {o->model};
    nnq_model_compress_options mo = {&o->base, NULL, o->n_ops ? o->ops : NULL, o->n_ops,
                                     o->include, o->n_include, o->exclude, o->n_exclude,
                                     o->min_size, pool, o->quiet ? NULL : progress_line, NULL,
                                     o->per_block, o->linear_unsigned, o->max_opset};
    nnq_graph_save_options so = {inputs, 1, 0};
    nnq_status s = nnq_graph_load(o->model, NULL, &g);
    if (!s && o->config) s = nnq_compress_spec_load_file(o->config, &spec);
    mo.spec = spec;
    if (!s) s = nnq_model_compress(g, &mo, &cg, &rep);
    if (!s && o->data) s = evaluate(o, g, cg, pool, rep);
    if (!s) s = nnq_graph_save(cg, o->output, &so);
    if (!s) s = nnq_compress_report_format(rep, o->json, &text);
    if (!s) fputs(text, stdout);
    nnq_free(text);
    nnq_compress_report_free(rep);
    nnq_compress_spec_free(spec);
    nnq_graph_free(cg);
    nnq_graph_free(g);
    return s;
}

static int compress_run(int argc, char **argv) {
    copts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0) {
        free(o.ops_buf);
        return rc;
    }
    /* Refuse OUT == MODEL before the work, not only at the save. */
    if (nnq_same_file(o.model, o.output)) {
        fprintf(stderr, "nnq compress: error: output '%s' is the input model\n", o.output);
        free(o.ops_buf);
        return NNQ_EXIT_FAILURE;
    }
    nnq_pool *pool = NULL;
    nnq_status s = nnq_pool_create(o.threads, &pool);
    if (!s) s = body(&o, pool);
    nnq_pool_free(pool);
    free(o.ops_buf);
    return s ? nnq_cli_fail(CMD, s) : NNQ_EXIT_OK;
}

const nnq_cli_command nnq_cmd_compress = {"compress", "palettize, quantize or prune model weights",
                                          compress_run, compress_help};
