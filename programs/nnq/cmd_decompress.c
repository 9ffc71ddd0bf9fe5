/* cmd_decompress.c - `nnq decompress`: a plain float model from one written
 * by `nnq compress`. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

#define CMD "decompress"

static void decompress_help(FILE *out) {
    fputs("Usage: nnq decompress IN -o OUT [--quiet]\n"
          "\n"
          "Replace every weight that `nnq compress` encoded by a float initializer\n"
          "holding exactly the values the compressed model computes.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE   float model (required; not IN itself)\n"
          "  -q, --quiet         no summary line\n",
          out);
}

static int decompress_run(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *output = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'q': quiet = true; break;
        case 'h': decompress_help(stdout); return NNQ_EXIT_OK;
        case ':': return nnq_cli_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return nnq_cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return nnq_cli_usage_error(CMD, "missing IN");
    const char *in = argv[optind++];
    if (optind < argc) return nnq_cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!output) return nnq_cli_usage_error(CMD, "missing --output");
    if (nnq_same_file(in, output)) {
        fprintf(stderr, "nnq decompress: error: output '%s' is the input model\n", output);
        return NNQ_EXIT_FAILURE;
    }
    nnq_graph *g = NULL, *d = NULL;
    size_t n = 0;
    const char *inputs[1] = {in};
    nnq_graph_save_options so = {inputs, 1, 0};
    nnq_status s = nnq_graph_load(in, NULL, &g);
    if (!s) s = nnq_model_decompress(g, &d, &n);
    if (!s) s = nnq_graph_save(d, output, &so);
    if (!s && !quiet) printf("decompressed weights: %zu\n", n);
    nnq_graph_free(d);
    nnq_graph_free(g);
    return s ? nnq_cli_fail(CMD, s) : NNQ_EXIT_OK;
}

const nnq_cli_command nnq_cmd_decompress = {"decompress", "restore float weights of a compressed model",
                                            decompress_run, decompress_help};
