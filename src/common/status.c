/* status.c - status names, per-thread error messages. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *name;
    const char *text;
} status_table[NNQ_STATUS_COUNT_] = {
    [NNQ_STATUS_OK] = {"ok", "success"},
    [NNQ_STATUS_INVALID_ARGUMENT] = {"invalid_argument", "invalid argument"},
    [NNQ_STATUS_OUT_OF_MEMORY] = {"out_of_memory", "out of memory"},
    [NNQ_STATUS_SIZE_OVERFLOW] = {"size_overflow", "size computation overflowed"},
    [NNQ_STATUS_IO_ERROR] = {"io_error", "input/output error"},
    [NNQ_STATUS_NOT_FOUND] = {"not_found", "not found"},
    [NNQ_STATUS_INVALID_FORMAT] = {"invalid_format", "malformed or truncated data"},
    [NNQ_STATUS_UNSUPPORTED] = {"unsupported", "not supported"},
    [NNQ_STATUS_SHAPE_MISMATCH] = {"shape_mismatch", "tensor shapes do not agree"},
    [NNQ_STATUS_DTYPE_MISMATCH] = {"dtype_mismatch", "tensor element types do not agree"},
    [NNQ_STATUS_OUT_OF_RANGE] = {"out_of_range", "value out of range"},
    [NNQ_STATUS_INVALID_STATE] = {"invalid_state", "call made in the wrong state"},
    [NNQ_STATUS_SAME_FILE] = {"same_file", "output file is an input file"},
    [NNQ_STATUS_LIMIT_EXCEEDED] = {"limit_exceeded", "safety limit exceeded"},
    [NNQ_STATUS_INTERNAL] = {"internal", "internal error"},
    [NNQ_STATUS_NEGATIVE_AMAX] = {"negative_amax", "negative amax or range"},
    [NNQ_STATUS_NEGATIVE_UNSIGNED] = {"negative_unsigned", "negative input to unsigned quantizer"},
    [NNQ_STATUS_BITS_OUT_OF_RANGE] = {"bits_out_of_range", "number of bits not supported"},
    [NNQ_STATUS_AXIS_OUT_OF_RANGE] = {"axis_out_of_range", "axis out of range"},
    [NNQ_STATUS_BLOCK_MISMATCH] = {"block_mismatch", "dimension not a multiple of the block"},
    [NNQ_STATUS_EMPTY] = {"empty", "empty input"},
    [NNQ_STATUS_UNKNOWN_NAME] = {"unknown_name", "unknown name"},
};

const char *nnq_version(void) { return NNQ_VERSION_STRING; }

const char *nnq_status_name(nnq_status s) {
    if ((unsigned)s >= NNQ_STATUS_COUNT_) return "unknown_status";
    return status_table[s].name;
}

const char *nnq_status_string(nnq_status s) {
    if ((unsigned)s >= NNQ_STATUS_COUNT_) return "unknown status";
    return status_table[s].text;
}

#define NNQ_ERRMSG_CAP 1024
static _Thread_local char tls_msg[NNQ_ERRMSG_CAP];

const char *nnq_last_error(void) { return tls_msg; }
void nnq_clear_error(void) { tls_msg[0] = '\0'; }

nnq_status nnq_verror(nnq_status s, const char *fmt, va_list ap) {
    vsnprintf(tls_msg, sizeof tls_msg, fmt, ap);
    return s;
}

nnq_status nnq_error(nnq_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nnq_verror(s, fmt, ap);
    va_end(ap);
    return s;
}

nnq_status nnq_error_prefix(nnq_status s, const char *fmt, ...) {
    char prefix[NNQ_ERRMSG_CAP];
    char old[NNQ_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, tls_msg, sizeof old);
    size_t n = strnlen(prefix, sizeof prefix - 1);
    memcpy(tls_msg, prefix, n);
    size_t m = strnlen(old, sizeof old - 1);
    if (m > sizeof tls_msg - 1 - n) m = sizeof tls_msg - 1 - n;
    memcpy(tls_msg + n, old, m);
    tls_msg[n + m] = '\0';
    return s;
}
