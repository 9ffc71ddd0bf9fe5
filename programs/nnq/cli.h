/*
 * cli.h - shared pieces of the nnq command-line tool.  The CLI uses only the
 * public header <nnq.h>.
 *
 * Exit codes: 0 success, 1 runtime failure (bad file, failed computation),
 * 2 usage error (unknown command or option, bad option value).
 */
#ifndef NNQ_CLI_H
#define NNQ_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "nnq.h"

enum { NNQ_EXIT_OK = 0, NNQ_EXIT_FAILURE = 1, NNQ_EXIT_USAGE = 2 };

typedef struct nnq_cli_command {
    const char *name;
    const char *summary; /* one line for `nnq --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    void (*help)(FILE *out);           /* full help for `nnq help <name>` */
} nnq_cli_command;

/* Options every command takes. */
typedef struct nnq_cli_common {
    bool quiet;
    size_t threads; /* 0 = default (NNQ_NUM_THREADS or CPUs) */
} nnq_cli_common;

/* Print "nnq <cmd>: <message>" and a hint to stderr; returns NNQ_EXIT_USAGE. */
int nnq_cli_usage_error(const char *cmd, const char *fmt, ...) NNQ_PRINTF(2, 3);
/* Print "nnq <cmd>: error: <last library error>" to stderr; returns 1. */
int nnq_cli_fail(const char *cmd, nnq_status s);
/* Parse a positive size for option `opt`; false (after a usage message) if bad. */
bool nnq_cli_parse_size(const char *cmd, const char *opt, const char *arg, size_t min, size_t max,
                        size_t *out);
/* A progress reporter on stderr unless quiet; free with nnq_progress_free. */
nnq_progress *nnq_cli_progress(const nnq_cli_common *c);

extern const nnq_cli_command *const nnq_cli_commands[];

#endif
