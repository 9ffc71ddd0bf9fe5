/* cli.c - helpers shared by the nnq commands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

int nnq_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "nnq%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'nnq help%s%s' for more information.\n", cmd ? " " : "", cmd ? cmd : "");
    return NNQ_EXIT_USAGE;
}

int nnq_cli_fail(const char *cmd, nnq_status s) {
    const char *msg = nnq_last_error();
    fprintf(stderr, "nnq %s: error: %s\n", cmd, msg[0] ? msg : nnq_status_string(s));
    return NNQ_EXIT_FAILURE;
}

bool nnq_cli_parse_size(const char *cmd, const char *opt, const char *arg, size_t min, size_t max,
                        size_t *out) {
    char *end;
    errno = 0;
    if (!arg || !*arg || *arg == '-') goto bad;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || *end || v < min || v > max) goto bad;
    *out = (size_t)v;
    return true;
bad:
    nnq_cli_usage_error(cmd, "invalid value '%s' for %s: expected an integer in [%zu, %zu]",
                        arg ? arg : "", opt, min, max);
    return false;
}

nnq_progress *nnq_cli_progress(const nnq_cli_common *c) {
    nnq_progress *p = NULL;
    if (c->quiet) return NULL;
    if (nnq_progress_create(stderr, 2000, &p) != NNQ_STATUS_OK) return NULL;
    return p;
}
