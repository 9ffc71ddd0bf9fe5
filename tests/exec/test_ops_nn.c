/* test_ops_nn.c - the neural-network operators against hand-computed values,
 * the ONNX operator documentation's worked examples, and direct (naive)
 * evaluations of the operator definitions in double precision. */
#include <math.h>
#include <stdlib.h>

#include "exec/nn/nn.h"
#include "test_exec_graph.h"

static nnq_rng rng_;

static float *randn(size_t n, float sigma) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = nnq_rng_normal(&rng_) * sigma;
    return p;
}

static void expect_close(const float *got, const float *want, size_t n, float tol) {
    for (size_t i = 0; i < n; i++) {
        float t = tol * (1.0f + fabsf(want[i]));
        if (!(fabsf(got[i] - want[i]) <= t))
            fail_msg("element %zu: got %.9g, want %.9g (tolerance %.3g)", i, (double)got[i],
                     (double)want[i], (double)t);
    }
}

static void expect_exact(const nnq_tensor *y, const float *want, size_t n) {
    assert_int_equal(y->numel, n);
    for (size_t i = 0; i < n; i++)
        if (((float *)y->data)[i] != want[i])
            fail_msg("element %zu: got %.9g, want %.9g", i, (double)((float *)y->data)[i],
                     (double)want[i]);
}

static float *arange(size_t n, float start) {
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = start + (float)i;
    return p;
}

/* ------------------------------------------------------------------ Gemm */

static void test_gemm_hand(void **state) {
    (void)state;
    float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c1[2] = {1, 1}, c2[2] = {10, 20};
    int64_t d22[2] = {2, 2};
    tg t;
    /* [1 2; 3 4] [5 6; 7 8] + [1 1] = [20 23; 44 51] */
    tg_init(&t, 13);
    tg_input(&t, "a", 2, d22);
    tg_const(&t, "b", 2, d22, b);
    tg_const(&t, "c", 1, (int64_t[]){2}, c1);
    tg_node(&t, "Gemm", "g", (const char *[]){"a", "b", "c", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    nnq_tensor *x = tg_tensor(2, d22, a), *y = tg_run1(&t, NULL, x);
    expect_exact(y, (const float[]){20, 23, 44, 51}, 4);
    nnq_tensor_free(y);
    tg_free(&t);
    /* 2 A^T B^T + 0.5 [10; 20]: A^T B^T = [23 31; 34 46] */
    tg_init(&t, 13);
    tg_input(&t, "a", 2, d22);
    tg_const(&t, "b", 2, d22, b);
    tg_const(&t, "c", 2, (int64_t[]){2, 1}, c2);
    nnq_node *n = tg_node(&t, "Gemm", "g", (const char *[]){"a", "b", "c", NULL},
                          (const char *[]){"y", NULL});
    tg_int(n, "transA", 1);
    tg_int(n, "transB", 1);
    tg_float(n, "alpha", 2.0f);
    tg_float(n, "beta", 0.5f);
    tg_output(&t, "y");
    y = tg_run1(&t, NULL, x);
    expect_exact(y, (const float[]){51, 67, 78, 102}, 4);
    nnq_tensor_free(y);
    tg_free(&t);
    /* No C (opset 11+). */
    tg_init(&t, 13);
    tg_input(&t, "a", 2, d22);
    tg_const(&t, "b", 2, d22, b);
    tg_node(&t, "Gemm", "g", (const char *[]){"a", "b", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    y = tg_run1(&t, NULL, x);
    expect_exact(y, (const float[]){19, 22, 43, 50}, 4);
    nnq_tensor_free(y);
    tg_free(&t);
    nnq_tensor_free(x);
}

/* ------------------------------------------------------------------ MatMul */

static nnq_tensor *matmul(const nnq_tensor *a, const nnq_tensor *b) {
    tg t;
    tg_init(&t, 13);
    tg_input(&t, "a", a->ndim, a->dims);
    tg_const(&t, "b", b->ndim, b->dims, b->data);
    tg_node(&t, "MatMul", "mm", (const char *[]){"a", "b", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    nnq_tensor *y = tg_run1(&t, NULL, a);
    tg_free(&t);
    return y;
}

static void test_matmul_vectors(void **state) {
    (void)state;
    nnq_tensor *a = tg_tensor(1, (int64_t[]){3}, (const float[]){1, 2, 3});
    nnq_tensor *b = tg_tensor(1, (int64_t[]){3}, (const float[]){4, 5, 6});
    nnq_tensor *y = matmul(a, b);
    assert_int_equal(y->ndim, 0);
    expect_exact(y, (const float[]){32}, 1);
    nnq_tensor_free(y);
    nnq_tensor *m = tg_tensor(2, (int64_t[]){3, 2}, (const float[]){1, 4, 2, 5, 3, 6});
    y = matmul(a, m); /* [1 2 3] [1 4; 2 5; 3 6] = [14 32] */
    assert_int_equal(y->ndim, 1);
    expect_exact(y, (const float[]){14, 32}, 2);
    nnq_tensor_free(y);
    nnq_tensor *mt = tg_tensor(2, (int64_t[]){2, 3}, (const float[]){1, 2, 3, 4, 5, 6});
    y = matmul(mt, b); /* [1 2 3; 4 5 6] [4 5 6]^T = [32 77] */
    assert_int_equal(y->ndim, 1);
    expect_exact(y, (const float[]){32, 77}, 2);
    nnq_tensor_free(y);
    nnq_tensor_free(a);
    nnq_tensor_free(b);
    nnq_tensor_free(m);
    nnq_tensor_free(mt);
}

/* numpy.matmul's definition with broadcast batch dims, in double. */
static void matmul_ref(const nnq_tensor *a, const nnq_tensor *b, const nnq_tensor *y, float *out) {
    int ra = a->ndim, rb = b->ndim, ry = y->ndim;
    size_t M = (size_t)a->dims[ra - 2], K = (size_t)a->dims[ra - 1], N = (size_t)b->dims[rb - 1];
    size_t batches = y->numel / (M * N);
    for (size_t bi = 0; bi < batches; bi++) {
        /* unravel bi over y's batch dims, then index a and b with broadcasting */
        size_t rem = bi, oa = 0, ob = 0, sa = M * K, sb = K * N;
        for (int d = ry - 3; d >= 0; d--) {
            size_t idx = rem % (size_t)y->dims[d];
            rem /= (size_t)y->dims[d];
            int da = d - (ry - ra), db = d - (ry - rb);
            if (da >= 0) {
                if (a->dims[da] != 1) oa += idx * sa;
                sa *= (size_t)a->dims[da];
            }
            if (db >= 0) {
                if (b->dims[db] != 1) ob += idx * sb;
                sb *= (size_t)b->dims[db];
            }
        }
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                double s = 0;
                for (size_t k = 0; k < K; k++)
                    s += (double)((float *)a->data)[oa + i * K + k] *
                         (double)((float *)b->data)[ob + k * N + j];
                out[bi * M * N + i * N + j] = (float)s;
            }
    }
}

static void test_matmul_batched(void **state) {
    (void)state;
    static const struct {
        int ra, rb;
        int64_t da[4], db[4], want[4];
        int ry;
    } cases[] = {
        {4, 3, {2, 1, 2, 3}, {3, 3, 2}, {2, 3, 2, 2}, 4},
        {3, 2, {3, 4, 5}, {5, 6}, {3, 4, 6}, 3}, /* shared weight */
        {2, 3, {4, 5}, {3, 5, 2}, {3, 4, 2}, 3}, /* shared A */
        {3, 3, {1, 70, 33}, {1, 33, 65}, {1, 70, 65}, 3},
        {3, 3, {5, 1, 7}, {5, 7, 1}, {5, 1, 1}, 3}, /* 1x1 tails */
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        size_t na = 1, nb = 1;
        for (int i = 0; i < cases[c].ra; i++)
            na *= (size_t)cases[c].da[i];
        for (int i = 0; i < cases[c].rb; i++)
            nb *= (size_t)cases[c].db[i];
        float *pa = randn(na, 1), *pb = randn(nb, 1);
        nnq_tensor *a = tg_tensor(cases[c].ra, cases[c].da, pa);
        nnq_tensor *b = tg_tensor(cases[c].rb, cases[c].db, pb);
        nnq_tensor *y = matmul(a, b);
        assert_int_equal(y->ndim, cases[c].ry);
        for (int i = 0; i < y->ndim; i++)
            assert_int_equal(y->dims[i], cases[c].want[i]);
        float *ref = malloc(y->nbytes);
        matmul_ref(a, b, y, ref);
        expect_close(y->data, ref, y->numel, 1e-5f);
        free(ref);
        free(pa);
        free(pb);
        nnq_tensor_free(a);
        nnq_tensor_free(b);
        nnq_tensor_free(y);
    }
}

/* BLAS path against the scalar reference, tails around the tile sizes, and
 * bit-identical results for 1, 2 and 7 threads. */
static void test_sgemm_paths(void **state) {
    (void)state;
    static const size_t sizes[][3] = {{1, 1, 1},
                                      {3, 5, 7},
                                      {64, 256, 16},
                                      {65, 257, 9},
                                      {130, 300, 70},
                                      {17, 1, 40},
                                      {1, 513, 33},
                                      {5, 5, 0},
                                      /* over 2^23 multiply-adds: several tiles */
                                      {300, 200, 150},
                                      {70, 1000, 260},
                                      /* every row tail 1..5 of the 6-row
                                       * kernel, N past one 128-column block
                                       * and K past two 256-deep blocks */
                                      {7, 129, 513},
                                      {11, 145, 256},
                                      {6, 16, 257},
                                      {4, 131, 3},
                                      /* gemm_tiling regimes: column tiles
                                       * with a tail, row tiles for N of 3
                                       * strips, the 2-tile minimum, both */
                                      {64, 144, 576},
                                      {128, 36, 576},
                                      {32, 2304, 27},
                                      {67, 40, 400},
                                      {200, 100, 900}};
    nnq_pool *pools[3];
    size_t threads[3] = {1, 2, 7};
    for (int p = 0; p < 3; p++)
        NNQ_ASSERT_OK(nnq_pool_create(threads[p], &pools[p]));
    for (size_t c = 0; c < NNQ_ARRAY_LEN(sizes); c++)
        for (int tr = 0; tr < 4; tr++) {
            size_t M = sizes[c][0], N = sizes[c][1], K = sizes[c][2];
            bool ta = tr & 1, tb = tr & 2;
            float *A = randn(M * K, 1), *B = randn(K * N, 1), *C0 = randn(M * N, 1);
            float *ref = malloc(M * N * sizeof *ref), *got = malloc(M * N * sizeof *got);
            memcpy(ref, C0, M * N * sizeof *ref);
            nnq_sgemm_ref(ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 2.0f, ref, N);
            for (int p = 0; p < 3; p++) {
                float *tmp = malloc(M * N * sizeof *tmp);
                memcpy(tmp, C0, M * N * sizeof *tmp);
                nnq_sgemm(pools[p], ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 2.0f, tmp,
                          N);
                if (p == 0)
                    memcpy(got, tmp, M * N * sizeof *got);
                else
                    assert_memory_equal(got, tmp, M * N * sizeof *got);
                free(tmp);
            }
            expect_close(got, ref, M * N, 1e-5f * (float)(K + 1));
#if !defined(NNQ_REFERENCE_ONLY)
            if (nnq_sgemm_packed_ok() && K > 0) {
                /* the AVX2 kernel's sums do not depend on the tiling: the
                 * tiled product equals one untiled serial call */
                memcpy(ref, C0, M * N * sizeof *ref);
                nnq_sgemm_avx2(ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 2.0f, ref, N);
                assert_memory_equal(got, ref, M * N * sizeof *got);
            }
#endif
            free(A);
            free(B);
            free(C0);
            free(ref);
            free(got);
        }
    for (int p = 0; p < 3; p++)
        nnq_pool_free(pools[p]);
}

/* ------------------------------------------------------------------ Conv */

typedef struct conv_case {
    int nsp;
    int64_t n, c, m, group;
    int64_t in[3], k[3], s[3], d[3], pads[6];
    const char *auto_pad;
} conv_case;

/* Output size and begin padding from the ONNX Conv definition. */
static void conv_out_dims(const conv_case *cc, int64_t *out, int64_t *pb) {
    for (int i = 0; i < cc->nsp; i++) {
        int64_t ek = (cc->k[i] - 1) * cc->d[i] + 1, s = cc->s[i] ? cc->s[i] : 1;
        if (cc->auto_pad && strncmp(cc->auto_pad, "SAME", 4) == 0) {
            out[i] = (cc->in[i] + s - 1) / s;
            int64_t total = (out[i] - 1) * s + ek - cc->in[i];
            total = total < 0 ? 0 : total;
            pb[i] = strcmp(cc->auto_pad, "SAME_UPPER") == 0 ? total / 2 : (total + 1) / 2;
        } else if (cc->auto_pad && strcmp(cc->auto_pad, "VALID") == 0) {
            out[i] = (cc->in[i] - ek) / s + 1;
            pb[i] = 0;
        } else {
            out[i] = (cc->in[i] + cc->pads[i] + cc->pads[cc->nsp + i] - ek) / s + 1;
            pb[i] = cc->pads[i];
        }
    }
}

/* Direct evaluation of the Conv sum in double. */
static void conv_ref(const conv_case *cc, const float *x, const float *w, const float *b,
                     float *y) {
    int64_t out[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, in[3] = {1, 1, 1}, k[3] = {1, 1, 1};
    int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
    conv_out_dims(cc, out, pb);
    for (int i = 0; i < cc->nsp; i++) {
        in[i] = cc->in[i];
        k[i] = cc->k[i];
        s[i] = cc->s[i] ? cc->s[i] : 1;
        d[i] = cc->d[i] ? cc->d[i] : 1;
    }
    int64_t cg = cc->c / cc->group, mg = cc->m / cc->group;
    size_t yi = 0;
    for (int64_t n = 0; n < cc->n; n++)
        for (int64_t m = 0; m < cc->m; m++)
            for (int64_t o0 = 0; o0 < out[0]; o0++)
                for (int64_t o1 = 0; o1 < out[1]; o1++)
                    for (int64_t o2 = 0; o2 < out[2]; o2++) {
                        double acc = b ? (double)b[m] : 0.0;
                        int64_t g = m / mg;
                        for (int64_t c = 0; c < cg; c++)
                            for (int64_t k0 = 0; k0 < k[0]; k0++)
                                for (int64_t k1 = 0; k1 < k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < k[2]; k2++) {
                                        int64_t i0 = o0 * s[0] - pb[0] + k0 * d[0];
                                        int64_t i1 = o1 * s[1] - pb[1] + k1 * d[1];
                                        int64_t i2 = o2 * s[2] - pb[2] + k2 * d[2];
                                        if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] ||
                                            i2 < 0 || i2 >= in[2])
                                            continue;
                                        size_t xi =
                                            (size_t)((((n * cc->c + g * cg + c) * in[0] + i0) *
                                                          in[1] +
                                                      i1) *
                                                         in[2] +
                                                     i2);
                                        size_t wi =
                                            (size_t)((((m * cg + c) * k[0] + k0) * k[1] + k1) *
                                                         k[2] +
                                                     k2);
                                        acc += (double)x[xi] * (double)w[wi];
                                    }
                        y[yi++] = (float)acc;
                    }
}

static void conv_build(tg *t, const conv_case *cc, const float *w, const float *b) {
    int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->m, cc->c / cc->group};
    for (int i = 0; i < cc->nsp; i++) {
        xd[2 + i] = cc->in[i];
        wd[2 + i] = cc->k[i];
    }
    tg_init(t, 13);
    tg_input(t, "x", 2 + cc->nsp, xd);
    tg_const(t, "w", 2 + cc->nsp, wd, w);
    if (b) tg_const(t, "b", 1, (int64_t[]){cc->m}, b);
    nnq_node *n = tg_node(t, "Conv", "conv", (const char *[]){"x", "w", b ? "b" : NULL, NULL},
                          (const char *[]){"y", NULL});
    if (cc->group != 1) tg_int(n, "group", cc->group);
    if (cc->s[0]) tg_ints(n, "strides", cc->s, (size_t)cc->nsp);
    if (cc->d[0]) tg_ints(n, "dilations", cc->d, (size_t)cc->nsp);
    if (cc->auto_pad)
        tg_string(n, "auto_pad", cc->auto_pad);
    else
        tg_ints(n, "pads", cc->pads, 2 * (size_t)cc->nsp);
    tg_output(t, "y");
}

/* The worked example of the ONNX Conv documentation: a 5x5 ramp and a 3x3
 * kernel of ones. */
static void test_conv_doc_example(void **state) {
    (void)state;
    float *x = arange(25, 0), w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const float padded[25] = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                     117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    static const float valid[9] = {54, 63, 72, 99, 108, 117, 144, 153, 162};
    static const float strided[9] = {12, 27, 24, 63, 108, 81, 72, 117, 84};
    conv_case cases[3] = {
        {2, 1, 1, 1, 1, {5, 5}, {3, 3}, {0}, {0}, {1, 1, 1, 1}, NULL},
        {2, 1, 1, 1, 1, {5, 5}, {3, 3}, {0}, {0}, {0, 0, 0, 0}, NULL},
        {2, 1, 1, 1, 1, {5, 5}, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, NULL},
    };
    const float *want[3] = {padded, valid, strided};
    size_t n[3] = {25, 9, 9};
    nnq_tensor *xt = tg_tensor(4, (int64_t[]){1, 1, 5, 5}, x);
    for (int c = 0; c < 3; c++) {
        tg t;
        conv_build(&t, &cases[c], w, NULL);
        nnq_tensor *y = tg_run1(&t, NULL, xt);
        expect_exact(y, want[c], n[c]);
        nnq_tensor_free(y);
        tg_free(&t);
    }
    nnq_tensor_free(xt);
    free(x);
}

static const conv_case conv_cases[] = {
    /* nsp n c m group in k s d pads auto_pad */
    {1, 2, 3, 4, 1, {11}, {3}, {2}, {1}, {1, 0}, NULL},                  /* 1-D, asymmetric */
    {2, 1, 3, 5, 1, {7, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL}, /* plain 3x3 */
    {2, 2, 4, 6, 2, {8, 7}, {3, 2}, {2, 1}, {1, 2}, {0, 1, 2, 0}, NULL}, /* groups, dilation */
    {2, 1, 8, 8, 8, {9, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL}, /* depthwise */
    /* batch 1, 64 x 144 x 576 = 5.3M multiply-adds: split in column tiles */
    {2, 1, 64, 64, 1, {12, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL},
    {2, 1, 8, 16, 8, {6, 5}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER"}, /* depthwise x2 */
    {2, 1, 3, 2, 1, {6, 5}, {3, 2}, {2, 2}, {1, 1}, {0}, "SAME_LOWER"},
    {2, 1, 3, 2, 1, {6, 7}, {4, 2}, {1, 3}, {1, 1}, {0}, "VALID"},
    {2, 2, 16, 8, 1, {5, 5}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, NULL}, /* pointwise */
    {2, 1, 5, 3, 1, {4, 6}, {1, 1}, {2, 2}, {1, 1}, {0, 0, 0, 0}, NULL},  /* strided 1x1 */
    {3, 1, 2, 3, 1, {4, 5, 6}, {2, 3, 3}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}, NULL},
    {2, 1, 3, 70, 1, {40, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL}, /* larger product */
    {2, 1, 1, 1, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, NULL},    /* 1 element */
    /* batched images: K past one 256-deep block, 128-column blocks that
     * start inside an output row and inside an image */
    {2, 3, 40, 24, 1, {13, 11}, {3, 3}, {2, 1}, {1, 1}, {1, 0, 1, 2}, NULL},
    /* batched, over 2^23 multiply-adds: two column tiles split image 1 */
    {2, 3, 48, 64, 1, {16, 16}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL},
    /* output rows (34 wide) crossing the 16-column strips, a 2 x 5 kernel
     * whose second K block starts at tap (1, 1), dilation along W */
    {2, 2, 30, 7, 1, {9, 37}, {2, 5}, {2, 1}, {2, 2}, {1, 2, 0, 3}, NULL},
    /* direct path: 64 x 26 x 26 padded floats per image; 96 output
     * channels = 6 strips; 576 pixels = 96 tiles in groups of 8 */
    {2, 2, 64, 96, 1, {24, 24}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL},
    /* direct path: 2.17 MB of padded input per image, past the 2 MiB
     * pass, so one image per pass; 3 channels, a partial strip; 8099
     * pixels, a 5-pixel tail tile */
    {2, 2, 64, 3, 1, {91, 89}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL},
    /* stride 2 along W with 20-wide output rows: the de-interleaving
     * copy's full vectors and its scalar tail */
    {2, 1, 5, 7, 1, {11, 40}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL},
};

/*
 * The AVX2 direct path (1-D and 2-D, one group, not pointwise) computes each
 * output as one FMA chain over the taps in (c, kh, kw) order, padding taps
 * included as zeros, starting from +0, then adds the bias: fmaf in that
 * order reproduces it bit for bit, for any thread count.
 */
static void test_conv_direct_fma_order(void **state) {
    (void)state;
    if (!nnq_sgemm_packed_ok()) skip();
    nnq_pool *pool;
    NNQ_ASSERT_OK(nnq_pool_create(2, &pool));
    size_t checked = 0;
    for (size_t c = 0; c < NNQ_ARRAY_LEN(conv_cases); c++) {
        const conv_case *cc = &conv_cases[c];
        if (cc->nsp > 2 || cc->group != 1) continue;
        int64_t out[3] = {1, 1, 1}, pb[3] = {0, 0, 0};
        conv_out_dims(cc, out, pb);
        /* as 2-D: a 1-D conv is one row */
        int L = cc->nsp - 1;
        int64_t H = L ? cc->in[0] : 1, W = cc->in[L], OH = L ? out[0] : 1, OW = out[L];
        int64_t KH = L ? cc->k[0] : 1, KW = cc->k[L], ph = L ? pb[0] : 0, pw = pb[L];
        int64_t sh = L && cc->s[0] ? cc->s[0] : 1, sw = cc->s[L] ? cc->s[L] : 1;
        int64_t dh = L && cc->d[0] ? cc->d[0] : 1, dw = cc->d[L] ? cc->d[L] : 1;
        bool pointwise = KH == 1 && KW == 1 && sh == 1 && sw == 1 && OH == H && OW == W;
        if (pointwise) continue;
        size_t N = (size_t)cc->n, C = (size_t)cc->c, M = (size_t)cc->m;
        size_t osp = (size_t)(OH * OW), K = C * (size_t)(KH * KW);
        float *x = randn(N * C * (size_t)(H * W), 1), *w = randn(M * K, 0.5f), *b = randn(M, 1);
        bool bias = c % 2;
        float *want = malloc(N * M * osp * sizeof *want);
        for (size_t n = 0; n < N; n++)
            for (size_t m = 0; m < M; m++)
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow++) {
                        float acc = 0.0f;
                        for (size_t ch = 0; ch < C; ch++)
                            for (int64_t kh = 0; kh < KH; kh++)
                                for (int64_t kw = 0; kw < KW; kw++) {
                                    int64_t ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
                                    float xv = ih >= 0 && ih < H && iw >= 0 && iw < W
                                                   ? x[((n * C + ch) * (size_t)H + (size_t)ih) *
                                                           (size_t)W +
                                                       (size_t)iw]
                                                   : 0.0f;
                                    acc = fmaf(xv, w[(m * C + ch) * (size_t)(KH * KW) +
                                                     (size_t)(kh * KW + kw)],
                                               acc);
                                }
                        want[(n * M + m) * osp + (size_t)(oh * OW + ow)] = bias ? acc + b[m] : acc;
                    }
        int64_t xd[4] = {cc->n, cc->c, cc->in[0], cc->in[1]};
        nnq_tensor *xt = tg_tensor(2 + cc->nsp, xd, x);
        for (int p = 0; p < 2; p++) {
            tg t;
            conv_build(&t, cc, w, bias ? b : NULL);
            nnq_tensor *y = tg_run1(&t, p ? pool : NULL, xt);
            const float *yd = y->data;
            for (size_t i = 0; i < N * M * osp; i++)
                if (memcmp(&yd[i], &want[i], sizeof want[i]) != 0)
                    fail_msg("case %zu (%s) element %zu: %.9g != %.9g", c,
                             p ? "2 threads" : "serial", i, (double)yd[i], (double)want[i]);
            nnq_tensor_free(y);
            tg_free(&t);
        }
        checked++;
        nnq_tensor_free(xt);
        free(x);
        free(w);
        free(b);
        free(want);
    }
    assert_true(checked >= 12);
    nnq_pool_free(pool);
}

static void test_conv_vs_direct(void **state) {
    (void)state;
    nnq_pool *pools[3];
    size_t threads[3] = {1, 2, 7};
    for (int p = 0; p < 3; p++)
        NNQ_ASSERT_OK(nnq_pool_create(threads[p], &pools[p]));
    for (size_t c = 0; c < NNQ_ARRAY_LEN(conv_cases); c++) {
        const conv_case *cc = &conv_cases[c];
        size_t nx = (size_t)(cc->n * cc->c), nw = (size_t)(cc->m * cc->c / cc->group);
        for (int i = 0; i < cc->nsp; i++) {
            nx *= (size_t)cc->in[i];
            nw *= (size_t)cc->k[i];
        }
        float *x = randn(nx, 1), *w = randn(nw, 0.5f), *b = randn((size_t)cc->m, 1);
        int64_t xd[5] = {cc->n, cc->c};
        for (int i = 0; i < cc->nsp; i++)
            xd[2 + i] = cc->in[i];
        nnq_tensor *xt = tg_tensor(2 + cc->nsp, xd, x), *first = NULL;
        tg t;
        conv_build(&t, cc, w, c % 2 ? b : NULL);
        for (int p = 0; p < 3; p++) {
            nnq_tensor *y = tg_run1(&t, pools[p], xt);
            if (!first) {
                first = y;
                continue;
            }
            assert_memory_equal(first->data, y->data, first->nbytes);
            nnq_tensor_free(y);
        }
        float *ref = malloc(first->nbytes);
        conv_ref(cc, x, w, c % 2 ? b : NULL, ref);
        int64_t out[3] = {1, 1, 1}, pb[3];
        conv_out_dims(cc, out, pb);
        for (int i = 0; i < cc->nsp; i++)
            assert_int_equal(first->dims[2 + i], out[i]);
        /* float sums of K terms against the double sum: the rounding
         * error grows with the reduction length */
        size_t K = nw / (size_t)cc->m;
        float tol = 1e-6f * (float)(K + 10);
        expect_close(first->data, ref, first->numel, tol);
        nnq_cpu_force_scalar(true);
        nnq_tensor *ys = tg_run1(&t, NULL, xt);
        nnq_cpu_force_scalar(false);
        expect_close(ys->data, ref, ys->numel, tol);
        nnq_tensor_free(ys);
        nnq_tensor_free(first);
        nnq_tensor_free(xt);
        free(ref);
        free(x);
        free(w);
        free(b);
        tg_free(&t);
    }
    for (int p = 0; p < 3; p++)
        nnq_pool_free(pools[p]);
}

/* ------------------------------------------------------------------ ConvTranspose */

/* The ONNX ConvTranspose documentation example: a 3x3 ramp, 2 output
 * channels of 3x3 ones. */
static void test_conv_transpose_doc_example(void **state) {
    (void)state;
    float *x = arange(9, 0), w[18];
    for (int i = 0; i < 18; i++)
        w[i] = 1;
    static const float plane[25] = {0,  1,  3, 3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
                                    27, 15, 9, 20, 33, 24, 13, 6,  13, 21, 15, 8};
    float want[50];
    memcpy(want, plane, sizeof plane);
    memcpy(want + 25, plane, sizeof plane);
    tg t;
    tg_init(&t, 13);
    tg_input(&t, "x", 4, (int64_t[]){1, 1, 3, 3});
    tg_const(&t, "w", 4, (int64_t[]){1, 2, 3, 3}, w);
    tg_node(&t, "ConvTranspose", "ct", (const char *[]){"x", "w", NULL},
            (const char *[]){"y", NULL});
    tg_output(&t, "y");
    nnq_tensor *xt = tg_tensor(4, (int64_t[]){1, 1, 3, 3}, x), *y = tg_run1(&t, NULL, xt);
    assert_int_equal(y->dims[1], 2);
    assert_int_equal(y->dims[2], 5);
    expect_exact(y, want, 50);
    nnq_tensor_free(y);
    nnq_tensor_free(xt);
    tg_free(&t);
    free(x);
}

/* The ConvTranspose definition as a scatter: y[o] += x[i] w[k] where
 * o = i * s - pad_begin + k * d, in double. */
static void test_conv_transpose_vs_scatter(void **state) {
    (void)state;
    static const struct {
        int64_t n, c, m, group, in[2], k[2], s[2], d[2], pads[4], opad[2];
    } cases[] = {
        {1, 2, 3, 1, {3, 4}, {3, 3}, {2, 2}, {1, 1}, {1, 0, 1, 1}, {1, 0}},
        {2, 4, 4, 2, {4, 3}, {2, 3}, {1, 2}, {2, 1}, {0, 0, 0, 0}, {0, 1}},
        {1, 3, 2, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, {0, 0}},
    };
    for (size_t c = 0; c < NNQ_ARRAY_LEN(cases); c++) {
        int64_t mg = cases[c].m / cases[c].group, cg = cases[c].c / cases[c].group;
        int64_t out[2];
        for (int i = 0; i < 2; i++)
            out[i] = cases[c].s[i] * (cases[c].in[i] - 1) + cases[c].opad[i] +
                     (cases[c].k[i] - 1) * cases[c].d[i] + 1 - cases[c].pads[i] -
                     cases[c].pads[2 + i];
        size_t nx = (size_t)(cases[c].n * cases[c].c * cases[c].in[0] * cases[c].in[1]);
        size_t nw = (size_t)(cases[c].c * mg * cases[c].k[0] * cases[c].k[1]);
        size_t ny = (size_t)(cases[c].n * cases[c].m * out[0] * out[1]);
        float *x = randn(nx, 1), *w = randn(nw, 1), *b = randn((size_t)cases[c].m, 1);
        double *acc = calloc(ny, sizeof *acc);
        for (int64_t n = 0; n < cases[c].n; n++)
            for (int64_t ci = 0; ci < cases[c].c; ci++)
                for (int64_t i0 = 0; i0 < cases[c].in[0]; i0++)
                    for (int64_t i1 = 0; i1 < cases[c].in[1]; i1++)
                        for (int64_t mm = 0; mm < mg; mm++)
                            for (int64_t k0 = 0; k0 < cases[c].k[0]; k0++)
                                for (int64_t k1 = 0; k1 < cases[c].k[1]; k1++) {
                                    int64_t o0 =
                                        i0 * cases[c].s[0] - cases[c].pads[0] + k0 * cases[c].d[0];
                                    int64_t o1 =
                                        i1 * cases[c].s[1] - cases[c].pads[1] + k1 * cases[c].d[1];
                                    if (o0 < 0 || o0 >= out[0] || o1 < 0 || o1 >= out[1]) continue;
                                    int64_t m = (ci / cg) * mg + mm;
                                    double xv = (double)
                                        x[((n * cases[c].c + ci) * cases[c].in[0] + i0) *
                                              cases[c].in[1] +
                                          i1];
                                    double wv = (double)
                                        w[((ci * mg + mm) * cases[c].k[0] + k0) * cases[c].k[1] +
                                          k1];
                                    acc[((n * cases[c].m + m) * out[0] + o0) * out[1] + o1] +=
                                        xv * wv;
                                }
        float *ref = malloc(ny * sizeof *ref);
        for (size_t i = 0; i < ny; i++)
            ref[i] =
                (float)(acc[i] + (double)b[(i / (size_t)(out[0] * out[1])) % (size_t)cases[c].m]);
        tg t;
        int64_t xd[4] = {cases[c].n, cases[c].c, cases[c].in[0], cases[c].in[1]};
        tg_init(&t, 13);
        tg_input(&t, "x", 4, xd);
        tg_const(&t, "w", 4, (int64_t[]){cases[c].c, mg, cases[c].k[0], cases[c].k[1]}, w);
        tg_const(&t, "b", 1, (int64_t[]){cases[c].m}, b);
        nnq_node *nd = tg_node(&t, "ConvTranspose", "ct", (const char *[]){"x", "w", "b", NULL},
                               (const char *[]){"y", NULL});
        tg_int(nd, "group", cases[c].group);
        tg_ints(nd, "strides", cases[c].s, 2);
        tg_ints(nd, "dilations", cases[c].d, 2);
        tg_ints(nd, "pads", cases[c].pads, 4);
        tg_ints(nd, "output_padding", cases[c].opad, 2);
        tg_output(&t, "y");
        nnq_tensor *xt = tg_tensor(4, xd, x), *y = tg_run1(&t, NULL, xt);
        assert_int_equal(y->dims[2], out[0]);
        assert_int_equal(y->dims[3], out[1]);
        expect_close(y->data, ref, ny, 1e-5f);
        nnq_tensor_free(y);
        nnq_tensor_free(xt);
        tg_free(&t);
        free(x);
        free(w);
        free(b);
        free(acc);
        free(ref);
    }
}

/* ------------------------------------------------------------------ pools */

static nnq_tensor *pool_run(const char *op, const nnq_tensor *x, const int64_t *k, const int64_t *s,
                            const int64_t *pads, const char *auto_pad, int64_t ceil_mode,
                            int64_t include_pad, nnq_tensor **indices, int64_t storage_order) {
    tg t;
    int nsp = x->ndim - 2;
    tg_init(&t, 13);
    tg_input(&t, "x", x->ndim, x->dims);
    nnq_node *n = tg_node(&t, op, "pool", (const char *[]){"x", NULL},
                          (const char *[]){"y", indices ? "i" : NULL, NULL});
    if (k) tg_ints(n, "kernel_shape", k, (size_t)nsp);
    if (s) tg_ints(n, "strides", s, (size_t)nsp);
    if (pads) tg_ints(n, "pads", pads, 2 * (size_t)nsp);
    if (auto_pad) tg_string(n, "auto_pad", auto_pad);
    if (ceil_mode) tg_int(n, "ceil_mode", ceil_mode);
    if (include_pad) tg_int(n, "count_include_pad", include_pad);
    if (storage_order) tg_int(n, "storage_order", storage_order);
    tg_output(&t, "y");
    if (indices) tg_output(&t, "i");
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    nnq_tensor *out[2] = {0};
    NNQ_ASSERT_OK(nnq_exec_run(e, &x, 1, out, indices ? 2 : 1));
    if (indices) *indices = out[1];
    nnq_exec_free(e);
    return out[0];
}

static void test_maxpool_hand(void **state) {
    (void)state;
    float *v = arange(32, 1);
    nnq_tensor *x = tg_tensor(4, (int64_t[]){1, 2, 4, 4}, v), *idx;
    static const int64_t k2[2] = {2, 2}, k3[2] = {3, 3}, s2[2] = {2, 2}, s1[2] = {1, 1};
    nnq_tensor *y = pool_run("MaxPool", x, k2, s2, NULL, NULL, 0, 0, &idx, 0);
    expect_exact(y, (const float[]){6, 8, 14, 16, 22, 24, 30, 32}, 8);
    assert_int_equal(idx->dtype, NNQ_DTYPE_INT64);
    static const int64_t want_idx[8] = {5, 7, 13, 15, 21, 23, 29, 31};
    assert_memory_equal(idx->data, want_idx, sizeof want_idx);
    nnq_tensor_free(y);
    nnq_tensor_free(idx);
    /* storage_order 1: column-major spatial index h + w * H */
    y = pool_run("MaxPool", x, k2, s2, NULL, NULL, 0, 0, &idx, 1);
    static const int64_t want_cm[8] = {5, 13, 7, 15, 21, 29, 23, 31};
    assert_memory_equal(idx->data, want_cm, sizeof want_cm);
    nnq_tensor_free(y);
    nnq_tensor_free(idx);
    /* ceil_mode: 4 -> ceil((4 - 3) / 2) + 1 = 2 windows per dim */
    y = pool_run("MaxPool", x, k3, s2, NULL, NULL, 1, 0, NULL, 0);
    assert_int_equal(y->dims[2], 2);
    expect_exact(y, (const float[]){11, 12, 15, 16, 27, 28, 31, 32}, 8);
    nnq_tensor_free(y);
    nnq_tensor_free(x);
    free(v);

    /* 5x5 ramp 1..25, SAME_UPPER k3 s2: pads 1/1, windows at -1, 1, 3. */
    v = arange(25, 1);
    x = tg_tensor(4, (int64_t[]){1, 1, 5, 5}, v);
    y = pool_run("MaxPool", x, k3, s2, NULL, "SAME_UPPER", 0, 0, NULL, 0);
    expect_exact(y, (const float[]){7, 9, 10, 17, 19, 20, 22, 24, 25}, 9);
    nnq_tensor_free(y);
    /* k2 s1 SAME: one pad, at the end (UPPER) or the start (LOWER). */
    y = pool_run("MaxPool", x, k2, s1, NULL, "SAME_LOWER", 0, 0, NULL, 0);
    expect_exact(y, v, 25);
    nnq_tensor_free(y);
    y = pool_run("MaxPool", x, k2, s1, NULL, "SAME_UPPER", 0, 0, NULL, 0);
    float up[25];
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 5; c++)
            up[r * 5 + c] = v[(r < 4 ? r + 1 : 4) * 5 + (c < 4 ? c + 1 : 4)];
    expect_exact(y, up, 25);
    nnq_tensor_free(y);
    /* NaN in a window wins; -inf elsewhere stays. */
    ((float *)x->data)[0] = NAN;
    y = pool_run("MaxPool", x, k3, s2, NULL, "SAME_UPPER", 0, 0, NULL, 0);
    assert_true(isnan(((float *)y->data)[0]));
    assert_true(((float *)y->data)[1] == 9.0f);
    nnq_tensor_free(y);
    nnq_tensor_free(x);
    free(v);
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float f32_of(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* MaxPool 2x2 stride 2 without indices takes a dedicated path: hand values
 * for the tie, NaN and -inf rules, and the same bytes as the general path
 * (taken when indices are requested) on an odd-sized random plane. */
static void test_maxpool_2x2(void **state) {
    (void)state;
    static const int64_t k2[2] = {2, 2};
    float v[50];
    for (int i = 0; i < 25; i++)
        v[i] = 100.0f; /* row 4 and column 4 fall outside every window */
    float *r = randn(25, 1);
    memcpy(v + 25, r, sizeof *r * 25);
    free(r);
    /* window (0,0): -0 then +0, the first of equals wins -> -0 */
    v[0] = -0.0f, v[1] = 0.0f, v[5] = -1.0f, v[6] = -2.0f;
    /* window (0,1): the first NaN wins, payload kept */
    v[2] = 1.0f, v[3] = f32_of(0x7FC00001u), v[7] = f32_of(0x7FC00002u), v[8] = 5.0f;
    v[10] = 3.0f, v[11] = 4.0f, v[15] = 9.0f, v[16] = 2.0f;
    v[12] = v[13] = v[17] = v[18] = -INFINITY;
    nnq_tensor *x = tg_tensor(4, (int64_t[]){1, 2, 5, 5}, v), *idx;
    nnq_tensor *fast = pool_run("MaxPool", x, k2, k2, NULL, NULL, 0, 0, NULL, 0);
    nnq_tensor *slow = pool_run("MaxPool", x, k2, k2, NULL, NULL, 0, 0, &idx, 0);
    const float *y = fast->data;
    assert_int_equal(fast->numel, 8);
    assert_int_equal(f32_bits(y[0]), 0x80000000u);
    assert_int_equal(f32_bits(y[1]), 0x7FC00001u);
    assert_true(y[2] == 9.0f);
    assert_true(y[3] == -INFINITY);
    assert_memory_equal(fast->data, slow->data, 8 * sizeof(float));
    nnq_tensor_free(fast);
    nnq_tensor_free(slow);
    nnq_tensor_free(idx);
    nnq_tensor_free(x);
}

static void test_avgpool_hand(void **state) {
    (void)state;
    float *v = arange(9, 1);
    nnq_tensor *x = tg_tensor(4, (int64_t[]){1, 1, 3, 3}, v);
    static const int64_t k2[2] = {2, 2}, s1[2] = {1, 1}, pads[4] = {1, 1, 1, 1};
    /* pads 1: windows over a 4x4 grid of positions; corners see one value */
    nnq_tensor *y = pool_run("AveragePool", x, k2, s1, pads, NULL, 0, 0, NULL, 0);
    assert_int_equal(y->dims[2], 4);
    static const float excl[16] = {1,    1.5f, 2.5f, 3,    2.5f, 3,    4,    4.5f,
                                   5.5f, 6,    7,    7.5f, 7,    7.5f, 8.5f, 9};
    expect_exact(y, excl, 16);
    nnq_tensor_free(y);
    y = pool_run("AveragePool", x, k2, s1, pads, NULL, 0, 1, NULL, 0);
    static const float incl[16] = {0.25f, 0.75f, 1.25f, 0.75f, 1.25f, 3,     4,     2.25f,
                                   2.75f, 6,     7,     3.75f, 1.75f, 3.75f, 4.25f, 2.25f};
    expect_exact(y, incl, 16);
    nnq_tensor_free(y);
    /* 1-D, ceil_mode: [1..9] k2 s2 -> 5 windows, the last holds only 9 */
    nnq_tensor *x1 = tg_tensor(3, (int64_t[]){1, 1, 9}, v);
    y = pool_run("AveragePool", x1, (const int64_t[]){2}, (const int64_t[]){2}, NULL, NULL, 1, 0,
                 NULL, 0);
    expect_exact(y, (const float[]){1.5f, 3.5f, 5.5f, 7.5f, 9}, 5);
    nnq_tensor_free(y);
    nnq_tensor_free(x1);
    nnq_tensor_free(x);
    free(v);
}

static nnq_tensor *unary(const char *op, int64_t opset, const nnq_tensor *x, int64_t axis,
                         bool set_axis) {
    tg t;
    tg_init(&t, opset);
    tg_input(&t, "x", x->ndim, x->dims);
    nnq_node *n = tg_node(&t, op, "op", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    if (set_axis) tg_int(n, "axis", axis);
    tg_output(&t, "y");
    return tg_run1(&t, NULL, x);
}

static void test_global_pools(void **state) {
    (void)state;
    float v[12] = {1, 2, 3, 4, -1, -2, -3, -4, 0, 5, 0, 0};
    nnq_tensor *x = tg_tensor(4, (int64_t[]){1, 3, 2, 2}, v);
    nnq_tensor *y = unary("GlobalAveragePool", 13, x, 0, false);
    assert_int_equal(y->ndim, 4);
    assert_int_equal(y->dims[3], 1);
    expect_exact(y, (const float[]){2.5f, -2.5f, 1.25f}, 3);
    nnq_tensor_free(y);
    y = unary("GlobalMaxPool", 13, x, 0, false);
    expect_exact(y, (const float[]){4, -1, 5}, 3);
    nnq_tensor_free(y);
    nnq_tensor_free(x);
}

/* ------------------------------------------------------------------ softmax */

static void test_softmax(void **state) {
    (void)state;
    /* softmax([1, 2, 3]) = e^i / (e + e^2 + e^3) */
    static const float sm[3] = {0.0900305732f, 0.244728471f, 0.665240956f};
    static const float lsm[3] = {-2.40760596f, -1.40760596f, -0.407605964f};
    float v[6] = {1, 2, 3, 1, 2, 3};
    nnq_tensor *x = tg_tensor(2, (int64_t[]){2, 3}, v);
    nnq_tensor *y = unary("Softmax", 13, x, 0, false);
    expect_close(y->data, sm, 3, 1e-6f);
    expect_close((float *)y->data + 3, sm, 3, 1e-6f);
    nnq_tensor_free(y);
    y = unary("LogSoftmax", 13, x, 0, false);
    expect_close(y->data, lsm, 3, 1e-6f);
    nnq_tensor_free(y);
    /* axis 0 (opset 13): columns of equal values -> 1/2 */
    y = unary("Softmax", 13, x, 0, true);
    for (int i = 0; i < 6; i++)
        assert_true(((float *)y->data)[i] == 0.5f);
    nnq_tensor_free(y);
    nnq_tensor_free(x);
    /* Opset 11 flattens from axis 1: a [1, 2, 3] input is one row of 6;
     * opset 13 with axis 1 normalizes the 2 entries of dim 1 only. */
    x = tg_tensor(3, (int64_t[]){1, 2, 3}, v);
    y = unary("Softmax", 11, x, 1, true);
    for (int i = 0; i < 3; i++) {
        assert_float_equal(((float *)y->data)[i], sm[i] / 2, 1e-7f);
        assert_float_equal(((float *)y->data)[3 + i], sm[i] / 2, 1e-7f);
    }
    nnq_tensor_free(y);
    y = unary("Softmax", 11, x, 0, false); /* default axis 1 in opset 11 */
    assert_float_equal(((float *)y->data)[2], sm[2] / 2, 1e-7f);
    nnq_tensor_free(y);
    y = unary("Softmax", 13, x, 1, true);
    for (int i = 0; i < 6; i++)
        assert_true(((float *)y->data)[i] == 0.5f);
    nnq_tensor_free(y);
    y = unary("LogSoftmax", 11, x, 1, true);
    assert_float_equal(((float *)y->data)[0], lsm[0] - logf(2), 1e-6f);
    nnq_tensor_free(y);
    /* huge values do not overflow; a NaN poisons its row only */
    float big[4] = {1e30f, 1e30f, NAN, 0};
    nnq_tensor *xb = tg_tensor(2, (int64_t[]){2, 2}, big);
    y = unary("Softmax", 13, xb, 0, false);
    assert_true(((float *)y->data)[0] == 0.5f);
    assert_true(isnan(((float *)y->data)[2]));
    nnq_tensor_free(y);
    nnq_tensor_free(xb);
    nnq_tensor_free(x);
}

/* ------------------------------------------------------------------ norms */

static void test_batchnorm(void **state) {
    (void)state;
    float xv[12] = {-1, 0, 1, 2, 3, 4, 5, -6, 7, 0.5f, 0.25f, 8};
    float sc[2] = {1, 1.5f}, bb[2] = {0, 1}, mean[2] = {0, 3}, var[2] = {1, 1.5f};
    tg t;
    tg_init(&t, 15);
    tg_input(&t, "x", 4, (int64_t[]){2, 2, 1, 3});
    tg_const(&t, "s", 1, (int64_t[]){2}, sc);
    tg_const(&t, "b", 1, (int64_t[]){2}, bb);
    tg_const(&t, "m", 1, (int64_t[]){2}, mean);
    tg_const(&t, "v", 1, (int64_t[]){2}, var);
    nnq_node *n =
        tg_node(&t, "BatchNormalization", "bn", (const char *[]){"x", "s", "b", "m", "v", NULL},
                (const char *[]){"y", NULL});
    tg_float(n, "epsilon", 1e-2f);
    tg_output(&t, "y");
    nnq_tensor *x = tg_tensor(4, (int64_t[]){2, 2, 1, 3}, xv), *y = tg_run1(&t, NULL, x);
    float ref[12];
    for (int i = 0; i < 12; i++) {
        int c = (i / 3) % 2;
        ref[i] = (float)(((double)xv[i] - (double)mean[c]) / sqrt((double)var[c] + 1e-2) *
                             (double)sc[c] +
                         (double)bb[c]);
    }
    expect_close(y->data, ref, 12, 1e-6f);
    nnq_tensor_free(y);
    nnq_tensor_free(x);
    tg_free(&t);
}

static void norm_ref(const float *x, size_t n, float eps, double *mean, double *inv) {
    double s = 0, q = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        q += ((double)x[i] - *mean) * ((double)x[i] - *mean);
    *inv = 1.0 / sqrt(q / (double)n + (double)eps);
}

static void test_layer_and_instance_norm(void **state) {
    (void)state;
    float *xv = randn(24, 3);
    float sc[12], bb[12];
    for (int i = 0; i < 12; i++) {
        sc[i] = 0.5f + 0.1f * (float)i;
        bb[i] = -1.0f + 0.2f * (float)i;
    }
    /* LayerNormalization over the last two dims of [2, 3, 4]. */
    tg t;
    tg_init(&t, 17);
    tg_input(&t, "x", 3, (int64_t[]){2, 3, 4});
    tg_const(&t, "s", 2, (int64_t[]){3, 4}, sc);
    tg_const(&t, "b", 2, (int64_t[]){3, 4}, bb);
    nnq_node *n = tg_node(&t, "LayerNormalization", "ln", (const char *[]){"x", "s", "b", NULL},
                          (const char *[]){"y", "mean", "inv", NULL});
    tg_int(n, "axis", -2);
    tg_output(&t, "y");
    tg_output(&t, "mean");
    tg_output(&t, "inv");
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    nnq_tensor *x = tg_tensor(3, (int64_t[]){2, 3, 4}, xv), *out[3];
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&x, 1, out, 3));
    assert_int_equal(out[1]->ndim, 3);
    assert_int_equal(out[1]->dims[1], 1);
    for (int r = 0; r < 2; r++) {
        double m, inv;
        norm_ref(xv + r * 12, 12, 1e-5f, &m, &inv);
        float ref[12];
        for (int i = 0; i < 12; i++)
            ref[i] = (float)(((double)xv[r * 12 + i] - m) * inv * (double)sc[i] + (double)bb[i]);
        expect_close((float *)out[0]->data + r * 12, ref, 12, 1e-5f);
        assert_float_equal(((float *)out[1]->data)[r], (float)m, 1e-5f);
        assert_float_equal(((float *)out[2]->data)[r], (float)inv, 1e-4f * (float)inv);
    }
    for (int i = 0; i < 3; i++)
        nnq_tensor_free(out[i]);
    nnq_exec_free(e);
    tg_free(&t);
    nnq_tensor_free(x);

    /* InstanceNormalization over each (n, c) plane of [2, 3, 2, 2]. */
    tg_init(&t, 13);
    tg_input(&t, "x", 4, (int64_t[]){2, 3, 2, 2});
    tg_const(&t, "s", 1, (int64_t[]){3}, sc);
    tg_const(&t, "b", 1, (int64_t[]){3}, bb);
    tg_node(&t, "InstanceNormalization", "in", (const char *[]){"x", "s", "b", NULL},
            (const char *[]){"y", NULL});
    tg_output(&t, "y");
    x = tg_tensor(4, (int64_t[]){2, 3, 2, 2}, xv);
    nnq_tensor *y = tg_run1(&t, NULL, x);
    for (int p = 0; p < 6; p++) {
        double m, inv;
        norm_ref(xv + p * 4, 4, 1e-5f, &m, &inv);
        float ref[4];
        for (int i = 0; i < 4; i++)
            ref[i] =
                (float)(((double)xv[p * 4 + i] - m) * inv * (double)sc[p % 3] + (double)bb[p % 3]);
        expect_close((float *)y->data + p * 4, ref, 4, 1e-5f);
    }
    nnq_tensor_free(y);
    nnq_tensor_free(x);
    tg_free(&t);
    free(xv);
}

/* ------------------------------------------------------------------ LSTM */

static double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }

/* The ONNX LSTM equations (gate order i, o, f, c) in double, layout 0. */
static void lstm_ref(int T, int B, int I, int H, int D, const float *x, const float *w,
                     const float *r, const float *bias, const float *p, const int32_t *lens,
                     double *y, double *yh, double *yc) {
    for (int d = 0; d < D; d++)
        for (int b = 0; b < B; b++) {
            double h[16] = {0}, c[16] = {0};
            int len = lens ? lens[b] : T;
            for (int s = 0; s < len; s++) {
                int t = d == 1 ? len - 1 - s : s;
                double gate[64];
                for (int j = 0; j < 4 * H; j++) {
                    double acc = (double)bias[d * 8 * H + j] + (double)bias[d * 8 * H + 4 * H + j];
                    for (int k = 0; k < I; k++)
                        acc += (double)x[(t * B + b) * I + k] * (double)w[(d * 4 * H + j) * I + k];
                    for (int k = 0; k < H; k++)
                        acc += h[k] * (double)r[(d * 4 * H + j) * H + k];
                    gate[j] = acc;
                }
                for (int j = 0; j < H; j++) {
                    double i = sigmoid_d(gate[j] + (double)p[d * 3 * H + j] * c[j]);
                    double f = sigmoid_d(gate[2 * H + j] + (double)p[d * 3 * H + 2 * H + j] * c[j]);
                    c[j] = f * c[j] + i * tanh(gate[3 * H + j]);
                    double o = sigmoid_d(gate[H + j] + (double)p[d * 3 * H + H + j] * c[j]);
                    h[j] = o * tanh(c[j]);
                    y[((t * D + d) * B + b) * H + j] = h[j];
                }
            }
            for (int j = 0; j < H; j++) {
                yh[(d * B + b) * H + j] = h[j];
                yc[(d * B + b) * H + j] = c[j];
            }
        }
}

static void test_lstm_bidirectional(void **state) {
    (void)state;
    enum { T = 5, B = 3, I = 4, H = 6, D = 2 };
    float *x = randn(T * B * I, 1), *w = randn(D * 4 * H * I, 0.4f),
          *r = randn(D * 4 * H * H, 0.4f);
    float *bias = randn(D * 8 * H, 0.3f), *p = randn(D * 3 * H, 0.3f);
    int32_t lens[B] = {5, 2, 0};
    tg t;
    tg_init(&t, 14);
    tg_input(&t, "x", 3, (int64_t[]){T, B, I});
    tg_const(&t, "w", 3, (int64_t[]){D, 4 * H, I}, w);
    tg_const(&t, "r", 3, (int64_t[]){D, 4 * H, H}, r);
    tg_const(&t, "b", 2, (int64_t[]){D, 8 * H}, bias);
    tg_const(&t, "p", 2, (int64_t[]){D, 3 * H}, p);
    nnq_initializer *li = &t.inits[t.g.n_inits++];
    li->name = "lens";
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_INT32, 1, (int64_t[]){B}, &li->tensor));
    memcpy(li->tensor->data, lens, sizeof lens);
    nnq_node *n =
        tg_node(&t, "LSTM", "lstm", (const char *[]){"x", "w", "r", "b", "lens", "", "", "p", NULL},
                (const char *[]){"y", "yh", "yc", NULL});
    tg_int(n, "hidden_size", H);
    tg_string(n, "direction", "bidirectional");
    tg_output(&t, "y");
    tg_output(&t, "yh");
    tg_output(&t, "yc");
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    nnq_tensor *xt = tg_tensor(3, (int64_t[]){T, B, I}, x), *out[3];
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, out, 3));
    assert_int_equal(out[0]->ndim, 4);
    assert_int_equal(out[0]->dims[1], D);
    static double y[T * D * B * H], yh[D * B * H], yc[D * B * H];
    lstm_ref(T, B, I, H, D, x, w, r, bias, p, lens, y, yh, yc);
    float fy[T * D * B * H], fh[D * B * H], fc[D * B * H];
    for (int i = 0; i < T * D * B * H; i++)
        fy[i] = (float)y[i];
    for (int i = 0; i < D * B * H; i++) {
        fh[i] = (float)yh[i];
        fc[i] = (float)yc[i];
    }
    expect_close(out[0]->data, fy, T * D * B * H, 1e-5f);
    expect_close(out[1]->data, fh, D * B * H, 1e-5f);
    expect_close(out[2]->data, fc, D * B * H, 1e-5f);
    for (int i = 0; i < 3; i++)
        nnq_tensor_free(out[i]);
    nnq_exec_free(e);
    /* A sequence length past the sequence is refused at run time. */
    ((int32_t *)li->tensor->data)[1] = T + 1;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    NNQ_ASSERT_FAILS(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, out, 3),
                     NNQ_STATUS_OUT_OF_RANGE,
                     "node 'lstm' (LSTM): sequence_lens[1] = 6 outside [0, 5]");
    nnq_exec_free(e);
    nnq_tensor_free(xt);
    tg_free(&t);
    free(x);
    free(w);
    free(r);
    free(bias);
    free(p);
}

/* ------------------------------------------------------------------ bad input */

typedef struct bad_case {
    const char *op;
    int64_t xdims[4];
    int xrank;
    int64_t wdims[4];
    int wrank;        /* 0: no second input */
    const char *attr; /* an attribute to set (NULL none) */
    int64_t ival;
    const int64_t *ints;
    size_t nints;
    const char *sval;
    nnq_status want;
    const char *needle;
} bad_case;

static const int64_t two_zero[2] = {0, 1}, three[3] = {1, 1, 1};

static const bad_case bad_cases[] = {
    {"Conv",
     {1, 4, 5, 5},
     4,
     {2, 3, 3, 3},
     4,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "X has 4 channels but W expects 3 per group x 1 groups"},
    {"Conv",
     {1, 4, 5, 5},
     4,
     {3, 2, 3, 3},
     4,
     "group",
     2,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "W has 3 output channels, not a multiple of group 2"},
    {"Conv",
     {1, 4, 5, 5},
     4,
     {2, 4, 3, 3},
     4,
     "group",
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_OUT_OF_RANGE,
     "group 0 must be >= 1"},
    {"Conv",
     {1, 4, 5, 5},
     4,
     {2, 4, 3, 3},
     4,
     "strides",
     0,
     two_zero,
     2,
     NULL,
     NNQ_STATUS_OUT_OF_RANGE,
     "strides[0] = 0, must be >= 1"},
    {"Conv",
     {1, 4, 5, 5},
     4,
     {2, 4, 3, 3},
     4,
     "kernel_shape",
     0,
     three,
     3,
     NULL,
     NNQ_STATUS_INVALID_FORMAT,
     "kernel_shape has 3 values for 2 spatial dims"},
    {"Conv",
     {1, 4, 5, 5},
     4,
     {2, 4, 3, 3},
     4,
     "auto_pad",
     0,
     NULL,
     0,
     "SAME",
     NNQ_STATUS_UNKNOWN_NAME,
     "auto_pad 'SAME' is not NOTSET"},
    {"Conv",
     {1, 4, 2, 2},
     4,
     {2, 4, 3, 3},
     4,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "spatial dim 0 has size 2 (padded 2), smaller than the dilated kernel 3"},
    {"Conv",
     {1, 4, 5},
     3,
     {2, 4, 3, 3},
     4,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "W has rank 4 but X has rank 3"},
    {"Conv", {4, 5}, 2, {4, 5}, 2, NULL, 0, NULL, 0, NULL, NNQ_STATUS_SHAPE_MISMATCH, "rank >= 3"},
    {"MaxPool",
     {1, 1, 4, 4},
     4,
     {0},
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_INVALID_FORMAT,
     "attribute kernel_shape is required"},
    {"Gemm",
     {2, 3},
     2,
     {2, 3},
     2,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "op(A) has 3 columns, op(B) 2 rows"},
    {"Gemm",
     {2, 3, 1},
     3,
     {3, 3},
     2,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "A and B must be 2-D"},
    {"MatMul",
     {2, 4, 3},
     3,
     {3, 3, 2},
     3,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "batch dims 2 and 3 do not broadcast"},
    {"Softmax",
     {2, 3},
     2,
     {0},
     0,
     "axis",
     2,
     NULL,
     0,
     NULL,
     NNQ_STATUS_AXIS_OUT_OF_RANGE,
     "axis 2 outside [-2, 2)"},
    {"LayerNormalization",
     {2, 3},
     2,
     {4},
     1,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "Scale has 4 elements, expected 3"},
    {"LSTM",
     {2, 1, 3},
     3,
     {1, 8, 3},
     3,
     "direction",
     0,
     NULL,
     0,
     "sideways",
     NNQ_STATUS_UNKNOWN_NAME,
     "direction 'sideways' is not forward, reverse or bidirectional"},
    {"ConvTranspose",
     {1, 2, 3, 3},
     4,
     {2, 1, 3, 3},
     4,
     "output_padding",
     0,
     three,
     3,
     NULL,
     NNQ_STATUS_INVALID_FORMAT,
     "output_padding has 3 values for 2 spatial dims"},
    {"ConvTranspose",
     {1, 3, 3, 3},
     4,
     {2, 1, 3, 3},
     4,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "X has 3 channels but W's first dim is 2"},
    {"Conv",
     {1, 4, 5, 5},
     4,
     {2, 4, 3, 3},
     4,
     "dilations",
     0,
     three,
     3,
     NULL,
     NNQ_STATUS_INVALID_FORMAT,
     "attribute dilations has 3 values, expected 2"},
    {"LayerNormalization",
     {2, 3},
     2,
     {3},
     1,
     "axis",
     2,
     NULL,
     0,
     NULL,
     NNQ_STATUS_AXIS_OUT_OF_RANGE,
     "axis 2 outside [-2, 2)"},
    {"Softmax",
     {0},
     0,
     {0},
     0,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "input is a scalar"},
    {"LSTM",
     {2, 1, 3},
     3,
     {1, 8, 3},
     3,
     "layout",
     2,
     NULL,
     0,
     NULL,
     NNQ_STATUS_OUT_OF_RANGE,
     "layout 2 is not 0 or 1"},
    {"LSTM",
     {2, 1, 3},
     3,
     {1, 8, 4},
     3,
     NULL,
     0,
     NULL,
     0,
     NULL,
     NNQ_STATUS_SHAPE_MISMATCH,
     "input W has shape [1, 8, 4], expected [1, 8, 3]"},
    {"Softmax",
     {2, 3},
     2,
     {0},
     0,
     "axis",
     0,
     NULL,
     0,
     "x",
     NNQ_STATUS_INVALID_FORMAT,
     "attribute 'axis' has type 3, expected int"},
};

static void test_bad_inputs(void **state) {
    (void)state;
    for (size_t c = 0; c < NNQ_ARRAY_LEN(bad_cases); c++) {
        const bad_case *b = &bad_cases[c];
        tg t;
        tg_init(&t, 17);
        tg_input(&t, "x", b->xrank, b->xdims);
        if (b->wrank) tg_const(&t, "w", b->wrank, b->wdims, NULL);
        bool with_r = strcmp(b->op, "LSTM") == 0; /* X, W, R */
        nnq_node *n =
            tg_node(&t, b->op, "bad",
                    (const char *[]){"x", b->wrank ? "w" : NULL, with_r ? "w" : NULL, NULL},
                    (const char *[]){"y", NULL});
        if (b->attr && b->ints)
            tg_ints(n, b->attr, b->ints, b->nints);
        else if (b->attr && b->sval)
            tg_string(n, b->attr, b->sval);
        else if (b->attr)
            tg_int(n, b->attr, b->ival);
        tg_output(&t, "y");
        nnq_exec *e = NULL;
        NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), b->want, b->needle);
        assert_null(e);
        tg_free(&t);
    }
    /* float32 only, named in the message */
    tg t;
    tg_init(&t, 13);
    tg_input(&t, "x", 2, (int64_t[]){2, 2});
    t.inputs[0].dtype = NNQ_DTYPE_INT32;
    tg_node(&t, "Softmax", "sm", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    nnq_exec *e;
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_DTYPE_MISMATCH,
                     "node 'sm' (Softmax): input input is int32; nnq implements float32");
    /* BatchNormalization training outputs are refused. */
    tg_init(&t, 15);
    tg_input(&t, "x", 2, (int64_t[]){2, 2});
    for (int i = 0; i < 4; i++)
        tg_const(&t, (const char *[]){"s", "b", "m", "v"}[i], 1, (int64_t[]){2}, NULL);
    tg_node(&t, "BatchNormalization", "bn", (const char *[]){"x", "s", "b", "m", "v", NULL},
            (const char *[]){"y", "rm", "rv", NULL});
    tg_output(&t, "y");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_UNSUPPORTED, "training mode");
    tg_free(&t);
}

int main(void) {
    nnq_rng_seed(&rng_, nnq_test_seed(), 5);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_hand),
        cmocka_unit_test(test_matmul_vectors),
        cmocka_unit_test(test_matmul_batched),
        cmocka_unit_test(test_sgemm_paths),
        cmocka_unit_test(test_conv_doc_example),
        cmocka_unit_test(test_conv_vs_direct),
        cmocka_unit_test(test_conv_direct_fma_order),
        cmocka_unit_test(test_conv_transpose_doc_example),
        cmocka_unit_test(test_conv_transpose_vs_scatter),
        cmocka_unit_test(test_maxpool_hand),
        cmocka_unit_test(test_maxpool_2x2),
        cmocka_unit_test(test_avgpool_hand),
        cmocka_unit_test(test_global_pools),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_batchnorm),
        cmocka_unit_test(test_layer_and_instance_norm),
        cmocka_unit_test(test_lstm_bidirectional),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
