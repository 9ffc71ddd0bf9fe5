/* cmd_quantize.c - `nnq quantize`: calibrate and write an ONNX QDQ model. */
#include <string.h>

#include "ptq_cli.h"

#define QUANTIZE_OPTS                                                                              \
    (PTQ_OPT_CONFIG | PTQ_OPT_OUTPUT | PTQ_OPT_DATA | PTQ_OPT_TABLE | PTQ_OPT_SITES |             \
     PTQ_OPT_SUMMARY)

static void quantize_help(FILE *out) {
    fputs("Usage: nnq quantize MODEL -o OUTPUT [--config X] [--data FILE | --calib-table DIR]\n"
          "                    [options]\n"
          "\n"
          "Post-training quantization: fold BatchNormalization, place quantizer sites on the\n"
          "inputs and weights of Conv, ConvTranspose, Gemm and MatMul, calibrate activation\n"
          "ranges on the data, and write an ONNX model with QuantizeLinear / DequantizeLinear\n"
          "that ONNX Runtime and TensorRT run unchanged.  Weights are stored quantized.\n"
          "Weight-only configs need no data.  The output is written atomically: nothing is\n"
          "written on failure.  See docs/quantize.md.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE    the quantized model\n",
          out);
    ptq_cli_help_options(out, QUANTIZE_OPTS);
    fputs("\nExample (the bundled model, docs/demo.md):\n"
          "  nnq quantize examples/fmnist_cnn.onnx -o int8.onnx --config int8 \\\n"
          "      --data train-images-idx3-ubyte.gz --samples 512 \\\n"
          "      --scale 0.00392157 --mean 0.2860 --std 0.3530\n",
          out);
}

static void report(const nnq_ptq *ptq, const nnq_graph *q, const char *out) {
    size_t w = 0, a = 0;
    for (size_t i = 0; i < nnq_ptq_site_count(ptq); i++) {
        nnq_ptq_site_info si;
        if (nnq_ptq_site(ptq, i, &si) || !si.enabled) continue;
        if (si.kind == NNQ_PTQ_SITE_WEIGHT) w++;
        else a++;
    }
    nnq_graph_summary *sum = NULL;
    unsigned long long bytes = 0;
    if (nnq_graph_summarize(q, &sum) == NNQ_STATUS_OK) bytes = sum->bytes;
    nnq_graph_summary_free(sum);
    printf("wrote %s: %zu weight and %zu activation sites quantized, %llu parameter bytes\n",
           out, w, a, bytes);
}

static int quantize_body(const char *cmd, ptq_cli *c, nnq_pool *pool, nnq_progress *prog) {
    ptq_session s;
    nnq_graph *q = NULL;
    nnq_status st = ptq_cli_session(cmd, c, pool, prog, &s);
    if (!st) st = nnq_ptq_build(s.ptq, &q);
    const char *inputs[1] = {c->args[0]};
    nnq_graph_save_options so = {.inputs = inputs, .n_inputs = 1};
    if (!st) st = nnq_graph_save(q, c->output, &so);
    if (!st && c->summary) {
        char *text = NULL;
        st = nnq_ptq_summary(s.ptq, false, &text);
        if (!st) fputs(text, stdout);
        nnq_free(text);
    }
    if (!st) report(s.ptq, q, c->output);
    nnq_graph_free(q);
    ptq_session_free(&s);
    return st ? nnq_cli_fail(cmd, st) : NNQ_EXIT_OK;
}

static int quantize_run(int argc, char **argv) {
    static const char *const names[] = {"MODEL"};
    ptq_cli c;
    int rc = ptq_cli_parse("quantize", argc, argv, QUANTIZE_OPTS, 1, names, quantize_help, &c);
    if (rc >= 0) return rc;
    if (c.data && c.table)
        return nnq_cli_usage_error("quantize", "give --data or --calib-table, not both");
    return ptq_cli_run("quantize", &c, quantize_body);
}

const nnq_cli_command nnq_cmd_quantize = {
    "quantize", "calibrate and write a quantized ONNX (QDQ) model", quantize_run, quantize_help};
