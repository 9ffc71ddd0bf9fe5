/* main.c - `nnq <command> [options]`: dispatch, --help, --version. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern const nnq_cli_command nnq_cmd_info;
extern const nnq_cli_command nnq_cmd_inspect;
extern const nnq_cli_command nnq_cmd_run;
extern const nnq_cli_command nnq_cmd_quantize, nnq_cmd_calibrate, nnq_cmd_eval, nnq_cmd_summary;
extern const nnq_cli_command nnq_cmd_compress, nnq_cmd_decompress;
/* Commands are added here, one line each, in the order `nnq --help` lists. */
const nnq_cli_command *const nnq_cli_commands[] = {
    &nnq_cmd_info,
    &nnq_cmd_inspect,
    &nnq_cmd_run,
    &nnq_cmd_quantize,
    &nnq_cmd_calibrate,
    &nnq_cmd_eval,
    &nnq_cmd_summary,
    &nnq_cmd_compress,
    &nnq_cmd_decompress,
    NULL,
};

static void main_help(FILE *out) {
    fprintf(out,
            "Usage: nnq <command> [options]\n"
            "       nnq help <command>\n"
            "\n"
            "nnq quantizes neural networks: calibrate ranges on data, quantize ONNX\n"
            "models to INT8 / INT4 / FP8 and other formats, and measure the cost.\n"
            "\n"
            "Commands:\n");
    for (int i = 0; nnq_cli_commands[i]; i++)
        fprintf(out, "  %-12s %s\n", nnq_cli_commands[i]->name, nnq_cli_commands[i]->summary);
    fprintf(out, "  %-12s %s\n", "help", "show help for a command");
    fprintf(out, "\n"
                 "Options:\n"
                 "  -h, --help     show this help\n"
                 "  -V, --version  print the version\n"
                 "\n"
                 "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static const nnq_cli_command *find_command(const char *name) {
    for (int i = 0; nnq_cli_commands[i]; i++)
        if (strcmp(nnq_cli_commands[i]->name, name) == 0) return nnq_cli_commands[i];
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        main_help(stderr);
        return NNQ_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        main_help(stdout);
        return NNQ_EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("nnq %s\n", nnq_version());
        return NNQ_EXIT_OK;
    }
    if (!strcmp(cmd, "help")) {
        if (argc == 2) {
            main_help(stdout);
            return NNQ_EXIT_OK;
        }
        const nnq_cli_command *c = find_command(argv[2]);
        if (!c) return nnq_cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        c->help(stdout);
        return NNQ_EXIT_OK;
    }
    if (cmd[0] == '-') return nnq_cli_usage_error(NULL, "unknown option '%s'", cmd);
    const nnq_cli_command *c = find_command(cmd);
    if (!c) return nnq_cli_usage_error(NULL, "unknown command '%s'", cmd);
    return c->run(argc - 1, argv + 1);
}
