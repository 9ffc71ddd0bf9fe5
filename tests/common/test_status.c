/* test_status.c - status names, messages and per-thread error state. */
#include <pthread.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

static void test_names_are_stable_and_unique(void **state) {
    (void)state;
    /* Names are part of the API (scripts match on them): pin a few. */
    assert_string_equal(nnq_status_name(NNQ_STATUS_OK), "ok");
    assert_string_equal(nnq_status_name(NNQ_STATUS_INVALID_ARGUMENT), "invalid_argument");
    assert_string_equal(nnq_status_name(NNQ_STATUS_SAME_FILE), "same_file");
    assert_string_equal(nnq_status_name(NNQ_STATUS_BLOCK_MISMATCH), "block_mismatch");
    assert_int_equal(NNQ_STATUS_UNKNOWN_NAME, 21);
    for (int a = 0; a < NNQ_STATUS_COUNT_; a++) {
        assert_non_null(nnq_status_name((nnq_status)a));
        assert_true(strlen(nnq_status_string((nnq_status)a)) > 0);
        for (int b = a + 1; b < NNQ_STATUS_COUNT_; b++)
            assert_string_not_equal(nnq_status_name((nnq_status)a), nnq_status_name((nnq_status)b));
    }
    assert_string_equal(nnq_status_name((nnq_status)9999), "unknown_status");
    assert_string_equal(nnq_status_name((nnq_status)-1), "unknown_status");
}

static void test_error_message_and_clear(void **state) {
    (void)state;
    nnq_clear_error();
    assert_string_equal(nnq_last_error(), "");
    nnq_status s = nnq_error(NNQ_STATUS_OUT_OF_RANGE, "quantize: num_bits %d outside [%d, %d]", 17, 1, 16);
    assert_int_equal(s, NNQ_STATUS_OUT_OF_RANGE);
    assert_string_equal(nnq_last_error(), "quantize: num_bits 17 outside [1, 16]");
    nnq_error_prefix(s, "loading '%s': ", "m.onnx");
    assert_string_equal(nnq_last_error(), "loading 'm.onnx': quantize: num_bits 17 outside [1, 16]");
    nnq_clear_error();
    assert_string_equal(nnq_last_error(), "");
}

static void test_long_message_truncates_safely(void **state) {
    (void)state;
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "%s", big);
    size_t n = strlen(nnq_last_error());
    assert_true(n > 100 && n < sizeof big);
    nnq_error_prefix(NNQ_STATUS_INVALID_ARGUMENT, "%s", big);
    assert_true(strlen(nnq_last_error()) < sizeof big);
}

static void *other_thread(void *arg) {
    (void)arg;
    nnq_error(NNQ_STATUS_IO_ERROR, "from the other thread");
    return NULL;
}

static void test_messages_are_per_thread(void **state) {
    (void)state;
    nnq_error(NNQ_STATUS_NOT_FOUND, "main thread message");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    pthread_join(t, NULL);
    assert_string_equal(nnq_last_error(), "main thread message");
}

static void test_version(void **state) {
    (void)state;
    assert_string_equal(nnq_version(), NNQ_VERSION_STRING);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_are_stable_and_unique),
        cmocka_unit_test(test_error_message_and_clear),
        cmocka_unit_test(test_long_message_truncates_safely),
        cmocka_unit_test(test_messages_are_per_thread),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
