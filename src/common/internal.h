/*
 * internal.h - helpers shared by every layer of libnnq (not installed).
 */
#ifndef NNQ_INTERNAL_H
#define NNQ_INTERNAL_H

#include "nnq.h"

#define NNQ_UNUSED(x) ((void)(x))
#define NNQ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NNQ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NNQ_MAX(a, b) ((a) > (b) ? (a) : (b))
#if defined(__GNUC__)
#define NNQ_LIKELY(x) __builtin_expect(!!(x), 1)
#define NNQ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NNQ_INTERNAL __attribute__((visibility("hidden")))
#else
#define NNQ_LIKELY(x) (x)
#define NNQ_UNLIKELY(x) (x)
#define NNQ_INTERNAL
#endif

/*
 * Record a failure message for nnq_last_error() and return the status, so a
 * call site reads:  return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
 *                       "quantize: num_bits %d outside [1, 16]", bits);
 * The message should name the object, the value and the rule.
 */
NNQ_INTERNAL nnq_status nnq_error(nnq_status s, const char *fmt, ...) NNQ_PRINTF(2, 3);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
NNQ_INTERNAL nnq_status nnq_verror(nnq_status s, const char *fmt, va_list ap);
/* Prepend context ("loading 'm.onnx': ") to the current message. */
NNQ_INTERNAL nnq_status nnq_error_prefix(nnq_status s, const char *fmt, ...) NNQ_PRINTF(2, 3);

/* Propagate a failing status. */
#define NNQ_TRY(expr)                                                                              \
    do {                                                                                           \
        nnq_status nnq_try_s_ = (expr);                                                            \
        if (nnq_try_s_ != NNQ_STATUS_OK) return nnq_try_s_;                                        \
    } while (0)

/*
 * Fault injection for tests of failure paths (atomic output): when the
 * counter for a stage reaches zero the operation fails as if the system call
 * had.  Stages: 0 write, 1 fsync, 2 rename, 3 directory fsync.
 */
enum { NNQ_FAULT_WRITE, NNQ_FAULT_FSYNC, NNQ_FAULT_RENAME, NNQ_FAULT_DIRSYNC, NNQ_FAULT_COUNT_ };
NNQ_API void nnq_test_fault_set(int stage, int after_calls); /* -1 disables */
NNQ_INTERNAL bool nnq_fault_hit(int stage);

/* Allocation failure injection for tests: fail the n-th next allocation. */
NNQ_API void nnq_test_alloc_fail_after(long n); /* -1 disables */

#endif
