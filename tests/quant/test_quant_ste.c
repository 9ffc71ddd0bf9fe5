/* test_quant_ste.c - straight-through backward passes (pytorch-quantization
 * amax STE and clip gradient, LSQ scale gradient). */
#include <math.h>
#include <string.h>

#include "testutil.h"

static const nnq_int_format INT8 = {8, false, true};

/* Hand-derived: grad passes where |x| <= amax; d amax = sum(g | x > amax) -
 * sum(g | x < -amax). */
static void t_amax_backward(void **state) {
    (void)state;
    static const float x[5] = {-2.0f, -1.0f, 0.5f, 1.0f, 3.0f};
    static const float g[5] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
    static const float want[5] = {0.0f, 2.0f, 3.0f, 4.0f, 0.0f};
    int64_t dims[1] = {5};
    nnq_qlayout l;
    float amax = 1.0f, gx[5], ga;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(1, dims, &l));
    NNQ_ASSERT_OK(nnq_fake_quant_amax_backward(x, g, &l, &amax, &INT8, gx, &ga, NULL));
    assert_memory_equal(gx, want, sizeof want);
    assert_true(ga == 4.0f);
    /* In place (grad_x == grad_y) gives the same result. */
    float gg[5];
    memcpy(gg, g, sizeof g);
    NNQ_ASSERT_OK(nnq_fake_quant_amax_backward(x, gg, &l, &amax, &INT8, gg, &ga, NULL));
    assert_memory_equal(gg, want, sizeof want);
    assert_true(ga == 4.0f);
    /* NaN input blocks the gradient. */
    const float xn[5] = {NAN, 0.0f, 0.0f, 0.0f, 0.0f};
    NNQ_ASSERT_OK(nnq_fake_quant_amax_backward(xn, g, &l, &amax, &INT8, gx, NULL, NULL));
    assert_true(gx[0] == 0.0f && gx[1] == 2.0f);
    float neg = -1.0f;
    NNQ_ASSERT_FAILS(nnq_fake_quant_amax_backward(x, g, &l, &neg, &INT8, gx, NULL, NULL),
                     NNQ_STATUS_NEGATIVE_AMAX, "amax[0] is -1");
}

/* LSQ (Esser et al. 2019, eq. 3): with v = x / s, d x_hat / d s is
 * rne(v) - v inside [lo, hi], lo - z below, hi - z above. */
static void t_lsq_backward(void **state) {
    (void)state;
    const nnq_int_format s4 = {4, false, true}; /* [-7, 7] */
    static const float x[4] = {0.25f, -0.75f, 5.0f, -5.0f};
    static const float g[4] = {1.0f, 1.0f, 1.0f, 2.0f};
    /* v = [0.5, -1.5, 10, -10]: d = [0 - 0.5, -2 + 1.5, 7, -7], weighted by g */
    int64_t dims[1] = {4};
    nnq_qlayout l;
    float s = 0.5f, gx[4], gs;
    NNQ_ASSERT_OK(nnq_qlayout_per_tensor(1, dims, &l));
    NNQ_ASSERT_OK(nnq_fake_quant_linear_backward(x, g, &l, &s, NULL, &s4, 1.0f, gx, &gs, NULL));
    assert_true(gx[0] == 1.0f && gx[1] == 1.0f && gx[2] == 0.0f && gx[3] == 0.0f);
    assert_true(gs == -0.5f - 0.5f + 7.0f - 14.0f);
    /* LSQ's gradient factor 1 / sqrt(N * Qp) multiplies the sum. */
    float factor = 1.0f / sqrtf(4.0f * 7.0f);
    float gs2;
    NNQ_ASSERT_OK(nnq_fake_quant_linear_backward(x, g, &l, &s, NULL, &s4, factor, gx, &gs2, NULL));
    assert_true(fabsf(gs2 - gs * factor) <= 1e-6f);
    /* With a zero point: unsigned 4-bit [0, 15], z = 2: v + z = [2.5, 0.5, 12, -8]. */
    const nnq_int_format u4 = {4, true, false};
    int32_t z = 2;
    NNQ_ASSERT_OK(nnq_fake_quant_linear_backward(x, g, &l, &s, &z, &u4, 1.0f, gx, &gs, NULL));
    assert_true(gx[0] == 1.0f && gx[1] == 1.0f && gx[2] == 1.0f && gx[3] == 0.0f);
    /* d = [0 - 0.5, -2 + 1.5, rne(10) - 10 = 0, lo - z = -2 (times g = 2)] */
    assert_true(gs == -0.5f - 0.5f + 0.0f - 4.0f);
    float s0 = 0.0f;
    NNQ_ASSERT_FAILS(nnq_fake_quant_linear_backward(x, g, &l, &s0, NULL, &s4, 1.0f, gx, &gs, NULL),
                     NNQ_STATUS_OUT_OF_RANGE, "scale[0] is 0");
}

/* Per-axis parameter gradients are identical for 1, 2 and 7 threads. */
static void t_backward_threads(void **state) {
    (void)state;
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 9);
    int64_t dims[2] = {5, 30011};
    int axis = 0;
    nnq_qlayout l;
    NNQ_ASSERT_OK(nnq_qlayout_per_axes(2, dims, &axis, 1, &l));
    size_t n = nnq_qlayout_numel(&l);
    float *x = test_malloc(n * sizeof(float)), *g = test_malloc(n * sizeof(float));
    float *gx[3];
    float ga[3][5], gs[3][5];
    const float amax[5] = {1.0f, 2.0f, 0.5f, 3.0f, 1.5f};
    const float scale[5] = {0.01f, 0.02f, 0.005f, 0.03f, 0.015f};
    for (size_t i = 0; i < n; i++) {
        x[i] = nnq_rng_normal(&rng) * 1.5f;
        g[i] = nnq_rng_normal(&rng);
    }
    const size_t threads[3] = {1, 2, 7};
    for (int t = 0; t < 3; t++) {
        nnq_pool *pool;
        NNQ_ASSERT_OK(nnq_pool_create(threads[t], &pool));
        gx[t] = test_malloc(n * sizeof(float));
        NNQ_ASSERT_OK(nnq_fake_quant_amax_backward(x, g, &l, amax, &INT8, gx[t], ga[t], pool));
        NNQ_ASSERT_OK(nnq_fake_quant_linear_backward(x, g, &l, scale, NULL, &INT8, 1.0f, gx[t],
                                                     gs[t], pool));
        nnq_pool_free(pool);
    }
    for (int t = 1; t < 3; t++) {
        assert_memory_equal(gx[0], gx[t], n * sizeof(float));
        assert_memory_equal(ga[0], ga[t], sizeof ga[0]);
        assert_memory_equal(gs[0], gs[t], sizeof gs[0]);
    }
    for (int t = 0; t < 3; t++) test_free(gx[t]);
    test_free(x);
    test_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_amax_backward),
        cmocka_unit_test(t_lsq_backward),
        cmocka_unit_test(t_backward_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
