/* cmd_eval.c - `nnq eval`: float vs quantized accuracy and error. */
#include "ptq_cli.h"

#define EVAL_OPTS (PTQ_OPT_DATA | PTQ_OPT_LABELS | PTQ_OPT_JSON)

static void eval_help(FILE *out) {
    fputs("Usage: nnq eval FLOAT QUANTIZED --data FILE [--labels FILE] [options]\n"
          "\n"
          "Run both models on the data and print: top-1 accuracy of each (with --labels),\n"
          "top-1 agreement, the SQNR of the first output, and the quantization error\n"
          "(SQNR, clipped fraction) at every activation QuantizeLinear and every stored\n"
          "quantized weight of QUANTIZED, worst first.  Weights are compared with FLOAT's\n"
          "weight of the node of the same name, BatchNormalization folded as `nnq quantize`\n"
          "folds it; a weight without one is listed as unmatched.  The first output must\n"
          "be [batch, classes].\n"
          "\n"
          "Options:\n",
          out);
    ptq_cli_help_options(out, EVAL_OPTS);
}

static int eval_body(const char *cmd, ptq_cli *c, nnq_pool *pool, nnq_progress *prog) {
    nnq_graph *gf = NULL, *gq = NULL;
    nnq_dataset *ds = NULL;
    nnq_eval_report *r = NULL;
    char *text = NULL;
    nnq_eval_options eo = {pool, prog ? nnq_progress_report : NULL, prog};
    nnq_status st = nnq_graph_load(c->args[0], NULL, &gf);
    if (!st) st = nnq_graph_load(c->args[1], NULL, &gq);
    if (!st) st = ptq_cli_open_data(c, true, &ds);
    if (!st) st = nnq_eval_run(gf, gq, ds, &eo, &r);
    if (!st) st = nnq_eval_report_format(r, c->json, &text);
    if (!st) fputs(text, stdout);
    nnq_free(text);
    nnq_eval_report_free(r);
    nnq_dataset_close(ds);
    nnq_graph_free(gf);
    nnq_graph_free(gq);
    return st ? nnq_cli_fail(cmd, st) : NNQ_EXIT_OK;
}

static int eval_run(int argc, char **argv) {
    static const char *const names[] = {"FLOAT", "QUANTIZED"};
    ptq_cli c;
    int rc = ptq_cli_parse("eval", argc, argv, EVAL_OPTS, 2, names, eval_help, &c);
    if (rc >= 0) return rc;
    if (!c.data) return nnq_cli_usage_error("eval", "missing --data");
    return ptq_cli_run("eval", &c, eval_body);
}

const nnq_cli_command nnq_cmd_eval = {"eval", "compare a quantized model with its float model",
                                      eval_run, eval_help};
