/*
 * ptq_cli.h - option parsing shared by `nnq quantize`, `calibrate`,
 * `summary` and `eval`: one table of options, each command accepting a
 * subset of them (the others are "unknown options" to it).
 */
#ifndef NNQ_PTQ_CLI_H
#define NNQ_PTQ_CLI_H

#include "cli.h"

enum {
    PTQ_OPT_CONFIG = 1u << 0,  /* -c --config */
    PTQ_OPT_OUTPUT = 1u << 1,  /* -o --output */
    PTQ_OPT_DATA = 1u << 2,    /* -d --data, --input-name, --scale, --mean, --std, -b, -n */
    PTQ_OPT_LABELS = 1u << 3,  /* --labels */
    PTQ_OPT_TABLE = 1u << 4,   /* --calib-table */
    PTQ_OPT_SITES = 1u << 5,   /* --exclude, --keep-first, --keep-last, --quantize-pool,
                                  --quantize-add, --no-fold-bn */
    PTQ_OPT_JSON = 1u << 6,    /* -j --json */
    PTQ_OPT_SUMMARY = 1u << 7, /* --summary */
};

#define PTQ_CLI_MAX_EXCLUDE 64
#define PTQ_CLI_MAX_ARGS 2

typedef struct ptq_cli {
    nnq_cli_common common;
    const char *config;
    const char *output;
    const char *data;
    const char *labels;
    const char *input_name;
    const char *table;
    bool normalize;
    float scale, mean, std;
    size_t batch_size;
    size_t samples; /* 0: all */
    const char *exclude[PTQ_CLI_MAX_EXCLUDE];
    size_t n_exclude;
    nnq_ptq_options site_opts;
    bool json, summary;
    const char *args[PTQ_CLI_MAX_ARGS];
    size_t n_args;
} ptq_cli;

/*
 * Parse argv for command `cmd` accepting the options in `allowed` and
 * exactly `n_args` positional arguments (named in `arg_names` for the
 * "missing" message).  Returns -1 to go on, else the exit code to return
 * (help printed: 0; usage error: 2).
 */
int ptq_cli_parse(const char *cmd, int argc, char **argv, unsigned allowed, size_t n_args,
                  const char *const *arg_names, void (*help)(FILE *), ptq_cli *out);
/* Open --data with the normalization and batching options. */
nnq_status ptq_cli_open_data(const ptq_cli *c, bool with_labels, nnq_dataset **out);
/* Load --config (a preset name or a file; default "int8"). */
nnq_status ptq_cli_load_config(const ptq_cli *c, nnq_config **out);
/* A loaded model, config and PTQ session (calibrated when --data or
 * --calib-table was given). */
typedef struct ptq_session {
    nnq_graph *model;
    nnq_config *cfg;
    nnq_ptq *ptq;
} ptq_session;

nnq_status ptq_cli_session(const char *cmd, ptq_cli *c, nnq_pool *pool, nnq_progress *prog,
                           ptq_session *s);
void ptq_session_free(ptq_session *s);
/* Create the pool and progress reporter, run body, free them. */
int ptq_cli_run(const char *cmd, ptq_cli *c,
                int (*body)(const char *, ptq_cli *, nnq_pool *, nnq_progress *));
/* The help lines of the shared options, in `allowed`. */
void ptq_cli_help_options(FILE *out, unsigned allowed);

#endif
