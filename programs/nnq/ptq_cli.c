/* ptq_cli.c - options shared by quantize, calibrate, summary and eval. */
#include "ptq_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_SCALE = 256, OPT_MEAN, OPT_STD, OPT_LABELS, OPT_TABLE, OPT_KEEP_FIRST, OPT_KEEP_LAST,
    OPT_QPOOL, OPT_QADD, OPT_NO_FOLD, OPT_SUMMARY, OPT_INPUT_NAME,
};

typedef struct opt_def {
    struct option lo;
    unsigned group;
} opt_def;

static const opt_def defs[] = {
    {{"config", required_argument, NULL, 'c'}, PTQ_OPT_CONFIG},
    {{"output", required_argument, NULL, 'o'}, PTQ_OPT_OUTPUT},
    {{"data", required_argument, NULL, 'd'}, PTQ_OPT_DATA},
    {{"input-name", required_argument, NULL, OPT_INPUT_NAME}, PTQ_OPT_DATA},
    {{"scale", required_argument, NULL, OPT_SCALE}, PTQ_OPT_DATA},
    {{"mean", required_argument, NULL, OPT_MEAN}, PTQ_OPT_DATA},
    {{"std", required_argument, NULL, OPT_STD}, PTQ_OPT_DATA},
    {{"batch-size", required_argument, NULL, 'b'}, PTQ_OPT_DATA},
    {{"samples", required_argument, NULL, 'n'}, PTQ_OPT_DATA},
    {{"labels", required_argument, NULL, OPT_LABELS}, PTQ_OPT_LABELS},
    {{"calib-table", required_argument, NULL, OPT_TABLE}, PTQ_OPT_TABLE},
    {{"exclude", required_argument, NULL, 'x'}, PTQ_OPT_SITES},
    {{"keep-first", no_argument, NULL, OPT_KEEP_FIRST}, PTQ_OPT_SITES},
    {{"keep-last", no_argument, NULL, OPT_KEEP_LAST}, PTQ_OPT_SITES},
    {{"quantize-pool", no_argument, NULL, OPT_QPOOL}, PTQ_OPT_SITES},
    {{"quantize-add", no_argument, NULL, OPT_QADD}, PTQ_OPT_SITES},
    {{"no-fold-bn", no_argument, NULL, OPT_NO_FOLD}, PTQ_OPT_SITES},
    {{"json", no_argument, NULL, 'j'}, PTQ_OPT_JSON},
    {{"summary", no_argument, NULL, OPT_SUMMARY}, PTQ_OPT_SUMMARY},
    {{"threads", required_argument, NULL, 't'}, 0},
    {{"quiet", no_argument, NULL, 'q'}, 0},
    {{"help", no_argument, NULL, 'h'}, 0},
};
#define N_DEFS (sizeof defs / sizeof defs[0])

static bool parse_float(const char *cmd, const char *opt, const char *arg, bool positive,
                        float *out) {
    char *end;
    errno = 0;
    float v = arg && *arg ? strtof(arg, &end) : NAN;
    if (!arg || !*arg || errno || *end || !isfinite(v) || (positive && !(v > 0.0f))) {
        nnq_cli_usage_error(cmd, "invalid value '%s' for %s: expected a finite number%s",
                            arg ? arg : "", opt, positive ? " > 0" : "");
        return false;
    }
    *out = v;
    return true;
}

static int handle(const char *cmd, int c, const char *arg, ptq_cli *o) {
    size_t v;
    switch (c) {
    case 'c': o->config = arg; break;
    case 'o': o->output = arg; break;
    case 'd': o->data = arg; break;
    case OPT_INPUT_NAME: o->input_name = arg; break;
    case OPT_SCALE: o->normalize = true; return parse_float(cmd, "--scale", arg, true, &o->scale) ? -1 : NNQ_EXIT_USAGE;
    case OPT_MEAN: o->normalize = true; return parse_float(cmd, "--mean", arg, false, &o->mean) ? -1 : NNQ_EXIT_USAGE;
    case OPT_STD: o->normalize = true; return parse_float(cmd, "--std", arg, true, &o->std) ? -1 : NNQ_EXIT_USAGE;
    case 'b':
        if (!nnq_cli_parse_size(cmd, "--batch-size", arg, 1, 1 << 20, &o->batch_size)) return NNQ_EXIT_USAGE;
        break;
    case 'n':
        if (!nnq_cli_parse_size(cmd, "--samples", arg, 1, (size_t)1 << 40, &o->samples)) return NNQ_EXIT_USAGE;
        break;
    case OPT_LABELS: o->labels = arg; break;
    case OPT_TABLE: o->table = arg; break;
    case 'x':
        if (o->n_exclude == PTQ_CLI_MAX_EXCLUDE)
            return nnq_cli_usage_error(cmd, "at most %d --exclude patterns", PTQ_CLI_MAX_EXCLUDE);
        if (!*arg) return nnq_cli_usage_error(cmd, "invalid value '' for --exclude: empty pattern");
        o->exclude[o->n_exclude++] = arg;
        break;
    case OPT_KEEP_FIRST: o->site_opts.keep_first = true; break;
    case OPT_KEEP_LAST: o->site_opts.keep_last = true; break;
    case OPT_QPOOL: o->site_opts.quantize_pool = true; break;
    case OPT_QADD: o->site_opts.quantize_add = true; break;
    case OPT_NO_FOLD: o->site_opts.no_fold_batchnorm = true; break;
    case 'j': o->json = true; break;
    case OPT_SUMMARY: o->summary = true; break;
    case 't':
        if (!nnq_cli_parse_size(cmd, "--threads", arg, 1, 1024, &v)) return NNQ_EXIT_USAGE;
        o->common.threads = v;
        break;
    case 'q': o->common.quiet = true; break;
    default: return nnq_cli_usage_error(cmd, "unknown option");
    }
    return -1;
}

int ptq_cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, size_t n_args,
                  const char *const *arg_names, void (*help)(FILE *), ptq_cli *o) {
    struct option lo[N_DEFS + 1];
    char shorts[64] = ":";
    size_t n = 0;
    memset(o, 0, sizeof *o);
    o->scale = 1.0f, o->std = 1.0f, o->batch_size = 64;
    for (size_t i = 0; i < N_DEFS; i++) {
        if (defs[i].group && !(defs[i].group & allowed)) continue;
        lo[n++] = defs[i].lo;
        int v = defs[i].lo.val;
        if (v < 256) {
            size_t l = strlen(shorts);
            shorts[l] = (char)v;
            shorts[l + 1] = '\0';
            if (defs[i].lo.has_arg) strcat(shorts, ":");
        }
    }
    memset(&lo[n], 0, sizeof lo[n]);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return NNQ_EXIT_OK;
        }
        if (c == ':')
            return nnq_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        if (c == '?') return nnq_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        int rc = handle(cmd, c, optarg, o);
        if (rc >= 0) return rc;
    }
    for (; optind < argc; optind++) {
        if (o->n_args == n_args)
            return nnq_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        o->args[o->n_args++] = argv[optind];
    }
    if (o->n_args < n_args)
        return nnq_cli_usage_error(cmd, "missing %s argument", arg_names[o->n_args]);
    o->site_opts.exclude = o->exclude;
    o->site_opts.n_exclude = o->n_exclude;
    if ((allowed & PTQ_OPT_OUTPUT) && !o->output)
        return nnq_cli_usage_error(cmd, "missing --output");
    return -1;
}

nnq_status ptq_cli_open_data(const ptq_cli *c, bool with_labels, nnq_dataset **out) {
    nnq_dataset_options d;
    nnq_dataset_options_init(&d);
    d.batch_size = c->batch_size;
    d.max_samples = c->samples;
    d.to_float32 = c->normalize;
    d.scale = c->scale, d.mean = c->mean, d.std = c->std;
    d.labels_path = with_labels ? c->labels : NULL;
    d.input_name = c->input_name;
    return nnq_dataset_open(c->data, &d, out);
}

nnq_status ptq_cli_load_config(const ptq_cli *c, nnq_config **out) {
    return nnq_config_load_preset(c->config ? c->config : "int8", NULL, out);
}

void ptq_cli_help_options(FILE *out, unsigned a) {
    if (a & PTQ_OPT_CONFIG)
        fputs("  -c, --config X       preset (int8, int8-max, w8a8-affine, fp8, int8-weight-only,\n"
              "                       int4-weight-only, int4-weight-only-b32, int4-weight-only-zp)\n"
              "                       or a YAML / JSON config file (default: int8)\n", out);
    if (a & PTQ_OPT_DATA)
        fputs("  -d, --data FILE      data: .npy / .npz (input name -> array, batch first) or\n"
              "                       IDX images (plain or .gz)\n"
              "      --input-name N   model input a .npy / IDX file feeds (default: input)\n"
              "      --scale S        convert to float32 as (x * S - M) / D (default S 1)\n"
              "      --mean M         (default 0)\n"
              "      --std D          (default 1)\n"
              "  -b, --batch-size N   samples per batch (default 64)\n"
              "  -n, --samples N      use the first N samples (default: all)\n", out);
    if (a & PTQ_OPT_LABELS)
        fputs("      --labels FILE    IDX labels for top-1 accuracy\n", out);
    if (a & PTQ_OPT_TABLE)
        fputs("      --calib-table D  statistics saved by `nnq calibrate` (re-scored with the\n"
              "                       config's calib_method; no data needed)\n", out);
    if (a & PTQ_OPT_SITES)
        fputs("  -x, --exclude PAT    keep sites whose site or node name matches the glob in\n"
              "                       float (repeatable)\n"
              "      --keep-first     keep the first Conv / Gemm / MatMul in float\n"
              "      --keep-last      keep the last one in float\n"
              "      --quantize-pool  also quantize the inputs of pooling nodes\n"
              "      --quantize-add   also quantize one input of residual Adds\n"
              "      --no-fold-bn     do not fold BatchNormalization into Conv / Gemm\n", out);
    if (a & PTQ_OPT_JSON) fputs("  -j, --json           print JSON instead of text\n", out);
    if (a & PTQ_OPT_SUMMARY) fputs("      --summary        print the per-site table\n", out);
    fputs("  -t, --threads N      threads (default: NNQ_NUM_THREADS or all CPUs)\n"
          "  -q, --quiet          no progress or warnings on stderr\n"
          "  -h, --help           show this help\n", out);
}

/* Config entries that reach no site, and configured sites kept float:
 * warnings, not errors (docs/quantize.md). */
static bool is_preset_name(const char *config) {
    return !config || (!strchr(config, '/') && !strchr(config, '.'));
}

static void warn_sites(const char *cmd, const ptq_cli *c, const nnq_ptq *ptq) {
    if (c->common.quiet) return;
    size_t n_bad = 0;
    char *report = NULL;
    /* Presets name op types many models lack: only user configs are checked. */
    if (!is_preset_name(c->config) && nnq_ptq_check_config(ptq, &n_bad, &report) == NNQ_STATUS_OK &&
        n_bad) {
        const char *line = report;
        while (*line) {
            const char *nl = strchr(line, '\n');
            int len = nl ? (int)(nl - line) : (int)strlen(line);
            fprintf(stderr, "nnq %s: warning: %.*s\n", cmd, len, line);
            line += len + (nl != NULL);
        }
    }
    nnq_free(report);
    for (size_t i = 0; i < nnq_ptq_site_count(ptq); i++) {
        nnq_ptq_site_info si;
        if (nnq_ptq_site(ptq, i, &si) == NNQ_STATUS_OK && si.note &&
            !strncmp(si.note, "kept float:", 11))
            fprintf(stderr, "nnq %s: warning: site '%s' %s\n", cmd, si.name, si.note);
    }
}

nnq_status ptq_cli_session(const char *cmd, ptq_cli *c, nnq_pool *pool, nnq_progress *prog,
                           ptq_session *s) {
    memset(s, 0, sizeof *s);
    nnq_status st = nnq_graph_load(c->args[0], NULL, &s->model);
    if (!st) st = ptq_cli_load_config(c, &s->cfg);
    c->site_opts.pool = pool;
    c->site_opts.progress = prog ? nnq_progress_report : NULL;
    c->site_opts.progress_ctx = prog;
    if (!st) st = nnq_ptq_create(s->model, s->cfg, &c->site_opts, &s->ptq);
    if (!st) warn_sites(cmd, c, s->ptq);
    if (!st && c->table) st = nnq_ptq_load_calib(s->ptq, c->table);
    if (!st && c->data) {
        nnq_dataset *ds = NULL;
        st = ptq_cli_open_data(c, false, &ds);
        if (!st) st = nnq_ptq_calibrate(s->ptq, ds);
        nnq_dataset_close(ds);
    }
    return st;
}

void ptq_session_free(ptq_session *s) {
    nnq_ptq_free(s->ptq);
    nnq_config_free(s->cfg);
    nnq_graph_free(s->model);
}

int ptq_cli_run(const char *cmd, ptq_cli *c, int (*body)(const char *, ptq_cli *, nnq_pool *,
                                                         nnq_progress *)) {
    nnq_pool *pool = NULL;
    nnq_status st = nnq_pool_create(c->common.threads, &pool);
    if (st) return nnq_cli_fail(cmd, st);
    nnq_progress *prog = nnq_cli_progress(&c->common);
    int rc = body(cmd, c, pool, prog);
    nnq_progress_free(prog);
    nnq_pool_free(pool);
    return rc;
}
