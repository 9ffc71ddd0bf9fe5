/* cmd_summary.c - `nnq summary`: every quantizer site and its settings. */
#include "ptq_cli.h"

#define SUMMARY_OPTS (PTQ_OPT_CONFIG | PTQ_OPT_TABLE | PTQ_OPT_SITES | PTQ_OPT_JSON)

static void summary_help(FILE *out) {
    fputs("Usage: nnq summary MODEL [--config X] [--calib-table DIR] [options]\n"
          "\n"
          "Print every quantizer site of MODEL under the config: enabled, format, axis or\n"
          "block, calibrator, and the amax range (weights always; activations with\n"
          "--calib-table), like ModelOpt's print_quant_summary.  Config entries that reach\n"
          "no site are reported as warnings with the nearest site names.\n"
          "\n"
          "Options:\n",
          out);
    ptq_cli_help_options(out, SUMMARY_OPTS);
}

static int summary_body(const char *cmd, ptq_cli *c, nnq_pool *pool, nnq_progress *prog) {
    ptq_session s;
    char *text = NULL;
    nnq_status st = ptq_cli_session(cmd, c, pool, prog, &s);
    if (!st) st = nnq_ptq_summary(s.ptq, c->json, &text);
    if (!st) fputs(text, stdout);
    nnq_free(text);
    ptq_session_free(&s);
    return st ? nnq_cli_fail(cmd, st) : NNQ_EXIT_OK;
}

static int summary_run(int argc, char **argv) {
    static const char *const names[] = {"MODEL"};
    ptq_cli c;
    int rc = ptq_cli_parse("summary", argc, argv, SUMMARY_OPTS, 1, names, summary_help, &c);
    if (rc >= 0) return rc;
    return ptq_cli_run("summary", &c, summary_body);
}

const nnq_cli_command nnq_cmd_summary = {"summary", "list the quantizer sites a config gives",
                                         summary_run, summary_help};
