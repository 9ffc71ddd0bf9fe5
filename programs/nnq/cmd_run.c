/* cmd_run.c - `nnq run MODEL --input NAME=FILE.npy ... [-o OUT.npz]`: run an
 * ONNX model on .npy / .npz inputs with nnq's executor. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_INPUT_ARGS 64

static void run_help(FILE *out) {
    fputs("Usage: nnq run MODEL.onnx --input NAME=FILE.npy ... [-o OUT.npz] [--threads N]\n"
          "\n"
          "Run an ONNX model with nnq's fp32 CPU executor and write every graph\n"
          "output, under its own name, to an .npz archive.  A summary line per\n"
          "output (name, type, shape, min / max / mean) goes to stdout.\n"
          "\n"
          "Options:\n"
          "  -i, --input NAME=FILE.npy  the value of model input NAME; repeat per input\n"
          "  -i, --input FILE.npy       the same, when the model has one input\n"
          "  -i, --input FILE.npz       members named like model inputs\n"
          "  -o, --output OUT.npz       where to write the outputs (default: none)\n"
          "  -t, --threads N            threads (default: NNQ_NUM_THREADS or all CPUs)\n"
          "  -q, --quiet                no summary\n"
          "  -h, --help                 show this help\n"
          "\n"
          "float64 arrays are converted to float32 when the model input is float32.\n",
          out);
}

typedef struct run_args {
    const char *model, *output;
    const char *inputs[MAX_INPUT_ARGS];
    size_t n_inputs;
    size_t threads;
    bool quiet;
} run_args;

/* 0 ok, else the exit code. */
static int parse(int argc, char **argv, run_args *a) {
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'},   {"output", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":i:o:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (a->n_inputs == MAX_INPUT_ARGS)
                return nnq_cli_usage_error("run", "more than %d --input options", MAX_INPUT_ARGS);
            a->inputs[a->n_inputs++] = optarg;
            break;
        case 'o': a->output = optarg; break;
        case 't':
            if (!nnq_cli_parse_size("run", "--threads", optarg, 1, 1024, &a->threads))
                return NNQ_EXIT_USAGE;
            break;
        case 'q': a->quiet = true; break;
        case 'h': run_help(stdout); return -1;
        case ':': return nnq_cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
        default: return nnq_cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return nnq_cli_usage_error("run", "missing MODEL");
    a->model = argv[optind++];
    if (optind < argc) return nnq_cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
    return 0;
}

static int input_index(const nnq_exec *e, const char *name, size_t len) {
    for (size_t i = 0; i < nnq_exec_input_count(e); i++) {
        const char *n = nnq_exec_input_name(e, i);
        if (strlen(n) == len && strncmp(n, name, len) == 0) return (int)i;
    }
    return -1;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* float64 -> float32 when the model wants float32 (numpy's default dtype). */
static nnq_status convert(const nnq_exec *e, size_t i, nnq_tensor **t) {
    nnq_dtype want;
    int nd;
    int64_t dims[NNQ_MAX_DIMS];
    nnq_status s = nnq_exec_value_shape(e, nnq_exec_input_name(e, i), &want, &nd, dims);
    if (s || (*t)->dtype != NNQ_DTYPE_FLOAT64 || want != NNQ_DTYPE_FLOAT32) return s;
    nnq_tensor *f;
    if ((s = nnq_tensor_create(NNQ_DTYPE_FLOAT32, (*t)->ndim, (*t)->dims, &f))) return s;
    for (size_t k = 0; k < f->numel; k++)
        ((float *)f->data)[k] = (float)((const double *)(*t)->data)[k];
    nnq_tensor_free(*t);
    *t = f;
    return NNQ_STATUS_OK;
}

static int load_npz(const nnq_exec *e, const char *path, nnq_tensor **xs) {
    nnq_npz *z;
    nnq_status s = nnq_npz_open(path, NULL, &z);
    if (s) return nnq_cli_fail("run", s);
    for (size_t i = 0; i < nnq_exec_input_count(e); i++) {
        nnq_npy_info info;
        const char *name = nnq_exec_input_name(e, i);
        if (nnq_npz_member_info(z, name, &info)) continue; /* not in this archive */
        nnq_tensor_free(xs[i]);
        xs[i] = NULL;
        if ((s = nnq_npz_read(z, name, &xs[i]))) break;
    }
    nnq_npz_close(z);
    nnq_clear_error();
    return s ? nnq_cli_fail("run", s) : 0;
}

static int load_inputs(const nnq_exec *e, const run_args *a, nnq_tensor **xs) {
    size_t n = nnq_exec_input_count(e);
    for (size_t k = 0; k < a->n_inputs; k++) {
        const char *arg = a->inputs[k], *eq = strchr(arg, '=');
        int i = 0;
        const char *path = arg;
        if (eq) {
            i = input_index(e, arg, (size_t)(eq - arg));
            path = eq + 1;
            if (i < 0) {
                fprintf(stderr,
                        "nnq run: error: the model has no input '%.*s' (inputs:", (int)(eq - arg),
                        arg);
                for (size_t j = 0; j < n; j++)
                    fprintf(stderr, " %s", nnq_exec_input_name(e, j));
                fputs(")\n", stderr);
                return NNQ_EXIT_FAILURE;
            }
        } else if (ends_with(arg, ".npz")) {
            int rc = load_npz(e, arg, xs);
            if (rc) return rc;
            continue;
        } else if (n != 1) {
            return nnq_cli_usage_error(
                "run", "--input '%s' needs NAME=FILE: the model has %zu inputs", arg, n);
        }
        nnq_tensor_free(xs[i]);
        xs[i] = NULL;
        nnq_status s = nnq_npy_read(path, &xs[i]);
        if (s) return nnq_cli_fail("run", s);
    }
    for (size_t i = 0; i < n; i++) {
        if (!xs[i]) {
            fprintf(stderr,
                    "nnq run: error: no value for model input '%s' (use --input %s=FILE.npy)\n",
                    nnq_exec_input_name(e, i), nnq_exec_input_name(e, i));
            return NNQ_EXIT_FAILURE;
        }
        nnq_status s = convert(e, i, &xs[i]);
        if (s) return nnq_cli_fail("run", s);
    }
    return 0;
}

static void summarize(const char *name, const nnq_tensor *t) {
    char shape[128];
    printf("%s %s %s", name, nnq_dtype_name(t->dtype),
           nnq_shape_str(t->ndim, t->dims, shape, sizeof shape));
    if (t->dtype == NNQ_DTYPE_FLOAT32 && t->numel) {
        const float *p = t->data;
        double lo = HUGE_VAL, hi = -HUGE_VAL, sum = 0;
        for (size_t i = 0; i < t->numel; i++) {
            double v = (double)p[i];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            sum += v;
        }
        printf(" min %.6g max %.6g mean %.6g", lo, hi, sum / (double)t->numel);
    }
    putchar('\n');
}

static int write_outputs(const nnq_exec *e, const run_args *a, nnq_tensor **ys) {
    size_t n = nnq_exec_output_count(e);
    if (!a->quiet)
        for (size_t i = 0; i < n; i++)
            summarize(nnq_exec_output_name(e, i), ys[i]);
    if (!a->output) return 0;
    const char *protect[MAX_INPUT_ARGS + 1];
    size_t np = 0;
    protect[np++] = a->model;
    for (size_t k = 0; k < a->n_inputs; k++) {
        const char *eq = strchr(a->inputs[k], '=');
        protect[np++] = eq ? eq + 1 : a->inputs[k];
    }
    nnq_npz_writer *w;
    nnq_status s = nnq_npz_writer_create(a->output, NNQ_NPZ_STORED, protect, np, &w);
    for (size_t i = 0; !s && i < n; i++)
        s = nnq_npz_writer_add(w, nnq_exec_output_name(e, i), ys[i]);
    if (s) {
        nnq_npz_writer_abort(w);
        return nnq_cli_fail("run", s);
    }
    s = nnq_npz_writer_commit(w);
    return s ? nnq_cli_fail("run", s) : 0;
}

static int run_model(const run_args *a, nnq_graph *g, nnq_pool *pool) {
    nnq_exec_options o = {pool, 0, NULL, NULL};
    nnq_exec *e = NULL;
    nnq_status s = nnq_exec_create(g, &o, &e);
    if (s) return nnq_cli_fail("run", s);
    size_t ni = nnq_exec_input_count(e), no = nnq_exec_output_count(e);
    nnq_tensor **xs = calloc(ni + 1, sizeof *xs), **ys = calloc(no + 1, sizeof *ys);
    int rc = xs && ys ? load_inputs(e, a, xs) : NNQ_EXIT_FAILURE;
    if (!rc) {
        s = nnq_exec_run(e, (const nnq_tensor *const *)xs, ni, ys, no);
        rc = s ? nnq_cli_fail("run", s) : write_outputs(e, a, ys);
    }
    for (size_t i = 0; xs && i < ni; i++)
        nnq_tensor_free(xs[i]);
    for (size_t i = 0; ys && i < no; i++)
        nnq_tensor_free(ys[i]);
    free(xs);
    free(ys);
    nnq_exec_free(e);
    return rc;
}

static int run_run(int argc, char **argv) {
    run_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? NNQ_EXIT_OK : rc;
    nnq_graph *g = NULL;
    nnq_pool *pool = NULL;
    nnq_status s = nnq_graph_load(a.model, NULL, &g);
    if (s) return nnq_cli_fail("run", s);
    s = nnq_pool_create(a.threads, &pool);
    rc = s ? nnq_cli_fail("run", s) : run_model(&a, g, pool);
    nnq_pool_free(pool);
    nnq_graph_free(g);
    return rc;
}

const nnq_cli_command nnq_cmd_run = {"run", "run a model on .npy / .npz inputs", run_run, run_help};
