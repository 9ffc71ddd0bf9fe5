/* testutil.h - shared helpers for nnq's cmocka tests. */
#ifndef NNQ_TESTUTIL_H
#define NNQ_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include "nnq.h"

/* Assert a call succeeds, printing nnq_last_error() when it does not. */
#define NNQ_ASSERT_OK(expr)                                                                        \
    do {                                                                                           \
        nnq_status s_ = (expr);                                                                    \
        if (s_ != NNQ_STATUS_OK)                                                                   \
            fail_msg("%s failed: %s: %s", #expr, nnq_status_name(s_), nnq_last_error());           \
    } while (0)

/* Assert a call fails with the given status and a message containing
 * `needle` (NULL: any non-empty message). */
#define NNQ_ASSERT_FAILS(expr, status, needle) nnq_test_assert_fails((expr), (status), (needle), #expr, __FILE__, __LINE__)
void nnq_test_assert_fails(nnq_status got, nnq_status want, const char *needle, const char *expr,
                           const char *file, int line);

/* Seed for random tests: NNQ_TEST_SEED from the environment, else a fixed
 * default.  Printed once so a failure can be replayed. */
uint64_t nnq_test_seed(void);

/* A fresh temporary directory (removed by nnq_test_rmdir). */
char *nnq_test_tmpdir(void);
void nnq_test_rmdir(char *dir);
/* Number of entries in a directory, excluding . and .. */
int nnq_test_count_entries(const char *dir);

/* Bitwise float equality (distinguishes -0 and NaN payloads). */
int nnq_test_same_bits(float a, float b);

#endif
