/* cmd_calibrate.c - `nnq calibrate`: collect and save a calibration table. */
#include "ptq_cli.h"

#define CALIBRATE_OPTS (PTQ_OPT_CONFIG | PTQ_OPT_OUTPUT | PTQ_OPT_DATA | PTQ_OPT_SITES)

static void calibrate_help(FILE *out) {
    fputs("Usage: nnq calibrate MODEL --data FILE -o DIR [--config X] [options]\n"
          "\n"
          "Run the data through the model and save the statistics of every enabled\n"
          "activation site (the calibration table: DIR/table.tsv and one state file per\n"
          "site).  `nnq quantize --calib-table DIR` and `nnq summary --calib-table DIR` use\n"
          "it without the data; histogram statistics (entropy, mse, percentile) can be\n"
          "re-scored there with another of those methods.\n"
          "\n"
          "Options:\n"
          "  -o, --output DIR     the table directory (created if missing)\n",
          out);
    ptq_cli_help_options(out, CALIBRATE_OPTS);
}

static int calibrate_body(const char *cmd, ptq_cli *c, nnq_pool *pool, nnq_progress *prog) {
    ptq_session s;
    nnq_status st = ptq_cli_session(cmd, c, pool, prog, &s);
    if (!st) st = nnq_ptq_save_calib(s.ptq, c->output);
    if (!st) printf("wrote calibration table %s\n", c->output);
    ptq_session_free(&s);
    return st ? nnq_cli_fail(cmd, st) : NNQ_EXIT_OK;
}

static int calibrate_run(int argc, char **argv) {
    static const char *const names[] = {"MODEL"};
    ptq_cli c;
    int rc = ptq_cli_parse("calibrate", argc, argv, CALIBRATE_OPTS, 1, names, calibrate_help, &c);
    if (rc >= 0) return rc;
    if (!c.data) return nnq_cli_usage_error("calibrate", "missing --data");
    return ptq_cli_run("calibrate", &c, calibrate_body);
}

const nnq_cli_command nnq_cmd_calibrate = {
    "calibrate", "collect activation statistics into a calibration table", calibrate_run,
    calibrate_help};
