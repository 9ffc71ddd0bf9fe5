/* test_vmath.c - nnq_erf_f32 against double-precision erf, and the AVX2
 * loops against the scalar definition, bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/elem/vmath.h"
#include "testutil.h"

/* |f - d| in units of the float spacing at d (the ulp of the float nearest
 * d; at d = 0 the smallest normal's). */
static double ulp_err(float f, double d) {
    float fd = (float)d;
    double ulp = fabs((double)nextafterf(fabsf(fd), INFINITY) - fabs((double)fd));
    if (fabsf(fd) < 1.17549435e-38f) ulp = 1.17549435e-38 * 1.1920929e-07;
    return fabs((double)f - d) / ulp;
}

/* Every float in [-4.5, 4.5] on a 2^-12 grid, the edges of each branch,
 * and 2^20 random normals: within 2 ulp of erf in double (libm). */
static void test_erf_accuracy(void **state) {
    (void)state;
    double worst = 0;
    float at = 0;
    for (int k = -4.5 * 4096; k <= 4.5 * 4096; k++) {
        float x = (float)k / 4096.0f;
        double e = ulp_err(nnq_erf_f32(x), erf((double)x));
        if (e > worst) worst = e, at = x;
    }
    static const float edges[] = {1.0f, 0.99999994f, 1.00000012f, 3.92000008f, 3.91999984f,
                                  3.92000031f, 1e-3f, 1e-20f, 1e-40f, 0.5f, 2.0f, 3.0f};
    for (size_t i = 0; i < NNQ_ARRAY_LEN(edges); i++)
        for (int s = -1; s <= 1; s += 2) {
            float x = (float)s * edges[i];
            double e = ulp_err(nnq_erf_f32(x), erf((double)x));
            if (e > worst) worst = e, at = x;
        }
    nnq_rng r;
    nnq_rng_seed(&r, nnq_test_seed(), 3);
    for (int i = 0; i < 1 << 20; i++) {
        float x = nnq_rng_normal(&r) * 2.0f;
        double e = ulp_err(nnq_erf_f32(x), erf((double)x));
        if (e > worst) worst = e, at = x;
    }
    print_message("erf: worst %.2f ulp at %.9g\n", worst, (double)at);
    assert_true(worst <= 2.0);
}

static void test_erf_special_values(void **state) {
    (void)state;
    float z = nnq_erf_f32(0.0f), nz = nnq_erf_f32(-0.0f);
    assert_true(z == 0.0f && !signbit(z));
    assert_true(nz == 0.0f && signbit(nz));
    assert_true(nnq_erf_f32(INFINITY) == 1.0f);
    assert_true(nnq_erf_f32(-INFINITY) == -1.0f);
    assert_true(nnq_erf_f32(5.0f) == 1.0f && nnq_erf_f32(-1e30f) == -1.0f);
    assert_true(isnan(nnq_erf_f32(NAN)));
    /* erf is odd */
    for (float x = 0.01f; x < 4.5f; x += 0.37f)
        assert_true(nnq_erf_f32(-x) == -nnq_erf_f32(x));
    /* a denormal: 2 / sqrt(pi) x, rounded */
    float d = 1e-40f;
    assert_true(ulp_err(nnq_erf_f32(d), erf((double)d)) <= 1.0);
}

#if !defined(NNQ_REFERENCE_ONLY)
static float bits_to_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
#endif

/* The AVX2 loops give the scalar definition's bits on every lane: a grid,
 * special values, random bit patterns (NaN payloads, denormals, huge), and
 * tails of every length 1..7. */
static void test_avx2_matches_scalar(void **state) {
    (void)state;
#if defined(NNQ_REFERENCE_ONLY)
    skip();
#else
    uint32_t need = NNQ_CPU_AVX2 | NNQ_CPU_FMA;
    if ((nnq_cpu_features() & need) != need) skip();
    enum { N = 1 << 18 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    nnq_rng r;
    nnq_rng_seed(&r, nnq_test_seed(), 4);
    for (size_t i = 0; i < N; i++)
        x[i] = i < N / 2 ? ((float)i - N / 4) / 8192.0f : bits_to_float(nnq_rng_u32(&r));
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f,
                                    3.92000008f, -3.92000008f, 1e-40f, -1e-40f, 3e38f};
    memcpy(x, special, sizeof special);
    for (int gelu = 0; gelu <= 1; gelu++)
        for (size_t n = N - 7; n <= N; n++) {
            nnq_vec_erf_avx2(x, y, n, gelu);
            for (size_t i = 0; i < n; i++) {
                float want = gelu ? 0.5f * x[i] * (1.0f + nnq_erf_f32(x[i] * (float)M_SQRT1_2))
                                  : nnq_erf_f32(x[i]);
                if (memcmp(&want, &y[i], sizeof want) != 0 && !(isnan(want) && isnan(y[i])))
                    fail_msg("%s(%.9g) lane %zu of %zu: avx2 %.9g, scalar %.9g",
                             gelu ? "gelu" : "erf", (double)x[i], i, n, (double)y[i],
                             (double)want);
            }
            if (n == N - 7) n = N - 1; /* tails 1 and 7 ... */
        }
    /* the dispatchers pick one of the two; in place works */
    memcpy(y, x, N * sizeof *y);
    nnq_vec_erf(y, y, N);
    for (size_t i = 0; i < 1000; i++)
        assert_true(y[i] == nnq_erf_f32(x[i]) || (isnan(y[i]) && isnan(x[i])));
    free(x);
    free(y);
#endif
}

/* Gelu as ONNX defines it (0.5 x (1 + erf(x / sqrt 2))) in double: the
 * float result is within 4e-7 of it absolutely for |x| <= 6 (1 - erf
 * cancels for negative x, as in any float evaluation of the formula). */
static void test_gelu_accuracy(void **state) {
    (void)state;
    enum { N = 4096 };
    float x[N], y[N];
    for (int i = 0; i < N; i++)
        x[i] = -6.0f + 12.0f * (float)i / N;
    nnq_vec_gelu(x, y, N);
    for (int i = 0; i < N; i++) {
        double xd = (double)x[i], want = 0.5 * xd * (1.0 + erf(xd / sqrt(2.0)));
        if (fabs((double)y[i] - want) > 4e-7 * fmax(1.0, fabs(want)))
            fail_msg("gelu(%.9g) = %.9g, want %.9g", (double)x[i], (double)y[i], want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erf_accuracy),
        cmocka_unit_test(test_erf_special_values),
        cmocka_unit_test(test_avx2_matches_scalar),
        cmocka_unit_test(test_gelu_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
