/* cmd_inspect.c - `nnq inspect MODEL`: opsets, inputs / outputs, op
 * histogram, parameters and external data of an ONNX model. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static void inspect_help(FILE *out) {
    fputs("Usage: nnq inspect [--json] MODEL.onnx\n"
          "\n"
          "Load an ONNX model (with its external data) and print its IR version,\n"
          "opset imports, inputs and outputs with shapes (symbolic dims by name,\n"
          "'?' unknown), the count of each op type, the parameters by element\n"
          "type, and the external data files it reads.\n"
          "\n"
          "Options:\n"
          "  -j, --json   print one JSON object instead of text\n"
          "  -h, --help   show this help\n",
          out);
}

/* JSON string with the escapes RFC 8259 requires. */
static void json_str(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *domain_name(const char *d) { return d && d[0] ? d : "ai.onnx"; }

static void json_values(FILE *out, const nnq_graph *g, bool inputs) {
    size_t n = inputs ? nnq_graph_input_count(g) : nnq_graph_output_count(g);
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        nnq_graph_value v;
        if ((inputs ? nnq_graph_input(g, i, &v) : nnq_graph_output(g, i, &v)) != NNQ_STATUS_OK)
            break;
        fprintf(out, "%s{\"name\": ", i ? ", " : "");
        json_str(out, v.name);
        fprintf(out, ", \"dtype\": \"%s\", \"shape\": ", nnq_dtype_name(v.dtype));
        if (v.ndim < 0) {
            fputs("null", out);
        } else {
            fputc('[', out);
            for (int d = 0; d < v.ndim; d++) {
                if (d) fputs(", ", out);
                if (v.dims[d] >= 0)
                    fprintf(out, "%lld", (long long)v.dims[d]);
                else if (v.dim_params[d])
                    json_str(out, v.dim_params[d]);
                else
                    fputs("null", out);
            }
            fputc(']', out);
        }
        fputc('}', out);
    }
    fputc(']', out);
}

static void print_json(FILE *out, const char *path, const nnq_graph *g,
                       const nnq_graph_summary *s) {
    fputs("{\"model\": ", out);
    json_str(out, path);
    fprintf(out, ", \"ir_version\": %lld, \"producer\": ", (long long)nnq_graph_ir_version(g));
    json_str(out, nnq_graph_producer(g));
    fputs(", \"opsets\": {", out);
    for (size_t i = 0; i < nnq_graph_opset_count(g); i++) {
        const char *dom;
        int64_t ver;
        if (nnq_graph_opset(g, i, &dom, &ver) != NNQ_STATUS_OK) break;
        if (i) fputs(", ", out);
        json_str(out, domain_name(dom));
        fprintf(out, ": %lld", (long long)ver);
    }
    fputs("}, \"inputs\": ", out);
    json_values(out, g, true);
    fputs(", \"outputs\": ", out);
    json_values(out, g, false);
    fprintf(out, ", \"nodes\": %zu, \"ops\": {", nnq_graph_node_count(g));
    for (size_t i = 0; i < s->n_ops; i++) {
        char key[512];
        if (s->ops[i].domain[0])
            snprintf(key, sizeof key, "%s.%s", s->ops[i].domain, s->ops[i].op_type);
        else
            snprintf(key, sizeof key, "%s", s->ops[i].op_type);
        if (i) fputs(", ", out);
        json_str(out, key);
        fprintf(out, ": %zu", s->ops[i].count);
    }
    fprintf(out, "}, \"parameters\": %llu, \"parameter_bytes\": %llu, \"by_dtype\": {",
            (unsigned long long)s->params, (unsigned long long)s->bytes);
    for (size_t i = 0; i < s->n_dtypes; i++)
        fprintf(out, "%s\"%s\": {\"tensors\": %zu, \"parameters\": %llu, \"bytes\": %llu}",
                i ? ", " : "", nnq_dtype_name(s->dtypes[i].dtype), s->dtypes[i].tensors,
                (unsigned long long)s->dtypes[i].params, (unsigned long long)s->dtypes[i].bytes);
    fputs("}, \"external_data\": [", out);
    for (size_t i = 0; i < s->n_external_files; i++) {
        if (i) fputs(", ", out);
        json_str(out, s->external_files[i]);
    }
    fputs("]}\n", out);
}

static void text_values(FILE *out, const nnq_graph *g, bool inputs) {
    size_t n = inputs ? nnq_graph_input_count(g) : nnq_graph_output_count(g);
    fprintf(out, "%s:\n", inputs ? "inputs" : "outputs");
    for (size_t i = 0; i < n; i++) {
        nnq_graph_value v;
        char shape[256];
        if ((inputs ? nnq_graph_input(g, i, &v) : nnq_graph_output(g, i, &v)) != NNQ_STATUS_OK)
            break;
        fprintf(out, "  %-24s %-10s %s\n", v.name, nnq_dtype_name(v.dtype),
                nnq_graph_value_shape_str(&v, shape, sizeof shape));
    }
}

static void print_text(FILE *out, const char *path, const nnq_graph *g,
                       const nnq_graph_summary *s) {
    fprintf(out, "model:       %s\n", path);
    fprintf(out, "ir_version:  %lld\n", (long long)nnq_graph_ir_version(g));
    fprintf(out, "producer:    %s\n", nnq_graph_producer(g));
    fputs("opsets:     ", out);
    for (size_t i = 0; i < nnq_graph_opset_count(g); i++) {
        const char *dom;
        int64_t ver;
        if (nnq_graph_opset(g, i, &dom, &ver) != NNQ_STATUS_OK) break;
        fprintf(out, " %s %lld", domain_name(dom), (long long)ver);
    }
    fputc('\n', out);
    text_values(out, g, true);
    text_values(out, g, false);
    fprintf(out, "nodes:       %zu\n", nnq_graph_node_count(g));
    for (size_t i = 0; i < s->n_ops; i++)
        fprintf(out, "  %s%s%-24s %zu\n", s->ops[i].domain, s->ops[i].domain[0] ? "." : "",
                s->ops[i].op_type, s->ops[i].count);
    fprintf(out, "parameters:  %llu (%llu bytes)\n", (unsigned long long)s->params,
            (unsigned long long)s->bytes);
    for (size_t i = 0; i < s->n_dtypes; i++)
        fprintf(out, "  %-12s %zu tensors, %llu parameters, %llu bytes\n",
                nnq_dtype_name(s->dtypes[i].dtype), s->dtypes[i].tensors,
                (unsigned long long)s->dtypes[i].params, (unsigned long long)s->dtypes[i].bytes);
    fprintf(out, "external data: %s\n", s->n_external_files ? "" : "none");
    for (size_t i = 0; i < s->n_external_files; i++) fprintf(out, "  %s\n", s->external_files[i]);
}

static int inspect_run(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': inspect_help(stdout); return NNQ_EXIT_OK;
        default: return nnq_cli_usage_error("inspect", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return nnq_cli_usage_error("inspect", "missing MODEL argument");
    if (optind + 1 < argc)
        return nnq_cli_usage_error("inspect", "unexpected argument '%s'", argv[optind + 1]);
    const char *path = argv[optind];
    nnq_graph *g = NULL;
    nnq_graph_summary *s = NULL;
    nnq_status st = nnq_graph_load(path, NULL, &g);
    if (!st) st = nnq_graph_summarize(g, &s);
    if (st) {
        nnq_graph_free(g);
        return nnq_cli_fail("inspect", st);
    }
    if (json)
        print_json(stdout, path, g, s);
    else
        print_text(stdout, path, g, s);
    nnq_graph_summary_free(s);
    nnq_graph_free(g);
    return NNQ_EXIT_OK;
}

const nnq_cli_command nnq_cmd_inspect = {
    "inspect", "show an ONNX model's inputs, ops and parameters", inspect_run, inspect_help};
