/* test_rng_cpu_progress.c - PCG32 against its published reference output,
 * CPU feature forcing, and the progress reporter's two output styles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

/* pcg32 reference: the pcg-c-basic demo (pcg32-demo.c, M. O'Neill) seeds
 * with initstate 42, initseq 54 and prints, for round 1,
 *   32bit: 0xa15c02b7 0x7b47f409 0xba1d3330 0x83d2f293 0xbfa4784b 0xcbed606e
 * (the expected output shipped with pcg-c-basic). */
static void test_pcg32_matches_reference(void **state) {
    (void)state;
    static const uint32_t want[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                     0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    nnq_rng r;
    nnq_rng_seed(&r, 42, 54);
    for (int i = 0; i < 6; i++) assert_int_equal(nnq_rng_u32(&r), want[i]);
}

static void test_rng_is_reproducible_and_streams_differ(void **state) {
    (void)state;
    nnq_rng a, b, c;
    nnq_rng_seed(&a, 7, 1);
    nnq_rng_seed(&b, 7, 1);
    nnq_rng_seed(&c, 7, 2);
    int same_c = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t x = nnq_rng_u32(&a);
        assert_int_equal(x, nnq_rng_u32(&b));
        same_c += x == nnq_rng_u32(&c);
    }
    assert_true(same_c < 3);
}

static void test_rng_distributions(void **state) {
    (void)state;
    nnq_rng r;
    nnq_rng_seed(&r, nnq_test_seed(), 3);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint32_t v = nnq_rng_bounded(&r, 7);
        assert_true(v < 7);
        counts[v]++;
    }
    for (int k = 0; k < 7; k++) assert_true(counts[k] > 9400 && counts[k] < 10600);
    assert_int_equal(nnq_rng_bounded(&r, 0), 0);
    assert_int_equal(nnq_rng_bounded(&r, 1), 0);
    double sum = 0, sum2 = 0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        float u = nnq_rng_uniform(&r);
        assert_true(u >= 0.0f && u < 1.0f);
        double z = (double)nnq_rng_normal(&r);
        assert_true(isfinite(z));
        sum += z;
        sum2 += z * z;
    }
    /* mean within ~5 sigma of 0 (sigma = 1/sqrt(n)), variance near 1 */
    assert_true(fabs(sum / n) < 0.016);
    assert_true(fabs(sum2 / n - 1.0) < 0.03);
}

static void test_cpu_force_scalar(void **state) {
    (void)state;
    uint32_t det = nnq_cpu_detected();
    if (det & NNQ_CPU_AVX512BW) assert_true(det & NNQ_CPU_AVX512F);
    nnq_cpu_force_scalar(true);
    assert_int_equal(nnq_cpu_features(), 0);
    char buf[128];
    assert_string_equal(nnq_cpu_features_str(nnq_cpu_features(), buf, sizeof buf), "scalar");
    nnq_cpu_force_scalar(false);
#ifdef NNQ_REFERENCE_ONLY
    assert_int_equal(nnq_cpu_features(), 0);
#else
    assert_int_equal(nnq_cpu_features(), det);
#endif
    assert_string_equal(nnq_cpu_features_str(NNQ_CPU_AVX2 | NNQ_CPU_FMA, buf, sizeof buf), "avx2 fma");
    assert_string_equal(nnq_cpu_features_str(NNQ_CPU_AVX2 | NNQ_CPU_FMA, buf, 6), "avx2");
}

static char *read_stream(FILE *f) {
    fflush(f);
    long n = ftell(f);
    char *buf = calloc(1, (size_t)n + 1);
    rewind(f);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) buf[0] = '\0';
    return buf;
}

static void test_progress_plain_lines_are_throttled(void **state) {
    (void)state;
    FILE *f = tmpfile();
    nnq_progress *p = NULL;
    NNQ_ASSERT_OK(nnq_progress_create(f, 60000, &p));
    nnq_progress_set_style(p, 0);
    for (uint64_t i = 1; i <= 1000; i++) nnq_progress_report(p, "calibrating", i, 1000);
    nnq_progress_free(p);
    char *out = read_stream(f);
    /* first report and completion only (interval is a minute) */
    assert_non_null(strstr(out, "calibrating: 1/1000 (0.1%)"));
    assert_non_null(strstr(out, "calibrating: 1000/1000 (100.0%)"));
    int lines = 0;
    for (char *c = out; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 2);
    assert_null(strchr(out, '\r'));
    free(out);
    fclose(f);
}

static void test_progress_terminal_bar(void **state) {
    (void)state;
    FILE *f = tmpfile();
    nnq_progress *p = NULL;
    NNQ_ASSERT_OK(nnq_progress_create(f, 1000, &p));
    nnq_progress_set_style(p, 1);
    nnq_progress_report(p, "eval", 5, 10);
    nnq_progress_report(p, "eval", 10, 10);
    nnq_progress_report(p, "batches", 3, 0); /* unknown total */
    nnq_progress_free(p);
    char *out = read_stream(f);
    assert_non_null(strstr(out, "\reval [###############---------------] 5/10  50.0%"));
    assert_non_null(strstr(out, "\reval [##############################] 10/10 100.0%"));
    assert_non_null(strstr(out, "\rbatches 3 "));
    assert_true(out[strlen(out) - 1] == '\n'); /* free closes an open bar */
    free(out);
    fclose(f);
    NNQ_ASSERT_FAILS(nnq_progress_create(NULL, 0, &p), NNQ_STATUS_INVALID_ARGUMENT, NULL);
    nnq_progress_report(NULL, "x", 1, 2); /* quiet: no reporter, no crash */
    nnq_progress_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcg32_matches_reference),
        cmocka_unit_test(test_rng_is_reproducible_and_streams_differ),
        cmocka_unit_test(test_rng_distributions),
        cmocka_unit_test(test_cpu_force_scalar),
        cmocka_unit_test(test_progress_plain_lines_are_throttled),
        cmocka_unit_test(test_progress_terminal_bar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
