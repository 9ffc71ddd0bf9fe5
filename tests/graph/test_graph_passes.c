/* test_graph_passes.c - IR helpers, topological sort, dead-node removal and
 * BatchNormalization folding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "graph/ir.h"
#include "graph_test_models.h"

#define DATA NNQ_TEST_DATA_DIR "/onnx/"

static nnq_graph *load_crafted(tm_model *t) {
    size_t len;
    uint8_t *buf = tm_pack(t, &len);
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load_memory(buf, len, NULL, &g));
    free(buf);
    return g;
}

static const float *init_data(nnq_graph *g, const char *name) {
    ptrdiff_t k = nnq_graph_find_init(g, name);
    if (k < 0) fail_msg("initializer '%s' missing", name);
    return g->inits[k].tensor->data;
}

static void test_toposort_keeps_sorted_and_fixes_order(void **state) {
    (void)state;
    const char *ins[] = {"x", NULL}, *outs[] = {"y", NULL};
    /* file order: c needs b needs a; a and d independent */
    tm_node nodes[] = {{"Relu", "c", {"b_out"}, {"y"}},
                       {"Relu", "d", {"x"}, {"d_out"}},
                       {"Relu", "b", {"a_out"}, {"b_out"}},
                       {"Relu", "a", {"x"}, {"a_out"}}};
    tm_model t;
    tm_init(&t, nodes, 4, ins, outs);
    nnq_graph *g = load_crafted(&t);
    static const char *want[] = {"a", "b", "c", "d"};
    for (size_t i = 0; i < 4; i++) assert_string_equal(g->nodes[i].name, want[i]);
    /* sorting a sorted graph changes nothing */
    NNQ_ASSERT_OK(nnq_graph_toposort(g));
    for (size_t i = 0; i < 4; i++) assert_string_equal(g->nodes[i].name, want[i]);
    assert_int_equal(nnq_graph_find_producer(g, "b_out"), 1);
    NNQ_ASSERT_OK(nnq_graph_check(g));
    nnq_graph_free(g);
}

static void test_toposort_long_chain(void **state) {
    (void)state;
    /* 20000 nodes in reverse order: the iterative sort must not recurse */
    enum { N = 20000 };
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_create_empty(&g));
    char a[32], b[32];
    for (int i = N - 1; i >= 0; i--) {
        nnq_node n = {0};
        snprintf(a, sizeof a, "v%d", i);
        snprintf(b, sizeof b, "v%d", i + 1);
        n.name = nnq_strdup(b);
        n.op_type = nnq_strdup("Relu");
        n.domain = nnq_strdup("");
        n.inputs = nnq_calloc(1, sizeof(char *));
        n.inputs[0] = nnq_strdup(a);
        n.n_inputs = 1;
        n.outputs = nnq_calloc(1, sizeof(char *));
        n.outputs[0] = nnq_strdup(b);
        n.n_outputs = 1;
        NNQ_ASSERT_OK(nnq_graph_add_node(g, &n));
    }
    NNQ_ASSERT_OK(nnq_graph_toposort(g));
    for (int i = 0; i < N; i++) {
        snprintf(b, sizeof b, "v%d", i + 1);
        assert_string_equal(g->nodes[i].name, b);
    }
    nnq_graph_free(g);
}

static void test_remove_dead(void **state) {
    (void)state;
    const char *ins[] = {"x", NULL}, *outs[] = {"y", NULL};
    tm_node nodes[] = {{"Add", "live", {"x", "w"}, {"y"}},
                       {"Mul", "dead1", {"x", "u"}, {"d1"}},
                       {"Relu", "dead2", {"d1"}, {"d2"}}};
    tm_model t;
    tm_init(&t, nodes, 3, ins, outs);
    const int64_t dims[1] = {1};
    const float one = 1.0f;
    tm_add_init(&t, "w", 1, dims, 1, &one, 4);
    tm_add_init(&t, "u", 1, dims, 1, &one, 4);
    tm_add_init(&t, "orphan", 1, dims, 1, &one, 4);
    nnq_graph *g = load_crafted(&t);
    size_t removed = 99;
    NNQ_ASSERT_OK(nnq_graph_remove_dead(g, &removed));
    assert_int_equal(removed, 2);
    assert_int_equal(g->n_nodes, 1);
    assert_string_equal(g->nodes[0].name, "live");
    assert_int_equal(g->n_inits, 1);
    assert_string_equal(g->inits[0].name, "w");
    NNQ_ASSERT_OK(nnq_graph_remove_dead(g, &removed));
    assert_int_equal(removed, 0);
    nnq_graph_free(g);
}

static void test_subgraph_uses_keep_nodes_alive(void **state) {
    (void)state;
    /* attrs.onnx: the If's branches read outer "x"; nothing may be removed */
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(DATA "attrs.onnx", NULL, &g));
    size_t before = g->n_nodes, removed = 0;
    NNQ_ASSERT_OK(nnq_graph_remove_dead(g, &removed));
    assert_int_equal(removed, 0);
    assert_int_equal(g->n_nodes, before);
    nnq_graph_free(g);
}

static void test_unique_name_and_edits(void **state) {
    (void)state;
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(DATA "tiny_cnn.onnx", NULL, &g));
    char *n = NULL;
    NNQ_ASSERT_OK(nnq_graph_unique_name(g, "fresh", &n));
    assert_string_equal(n, "fresh");
    nnq_free(n);
    NNQ_ASSERT_OK(nnq_graph_unique_name(g, "conv1", &n));
    assert_string_equal(n, "conv1_1");
    nnq_free(n);
    NNQ_ASSERT_OK(nnq_graph_unique_name(g, "conv.w", &n));
    assert_string_equal(n, "conv.w_1");
    nnq_free(n);
    nnq_tensor *t = NULL;
    int64_t d = 2;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 1, &d, &t));
    NNQ_ASSERT_FAILS(nnq_graph_add_init(g, "conv.w", t), NNQ_STATUS_INVALID_ARGUMENT,
                     "initializer 'conv.w' already exists");
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 1, &d, &t));
    NNQ_ASSERT_OK(nnq_graph_add_init(g, "extra", t));
    assert_true(nnq_graph_find_init(g, "extra") >= 0);
    nnq_graph_remove_init(g, (size_t)nnq_graph_find_init(g, "extra"));
    assert_int_equal(nnq_graph_find_init(g, "extra"), -1);
    assert_int_equal(nnq_graph_find_node(g, "Relu_2"), 2);
    assert_int_equal(nnq_graph_use_count(g, "c1"), 1);
    assert_true(nnq_graph_is_output(g, "logits"));
    nnq_graph_remove_node(g, 5);
    assert_int_equal(nnq_graph_find_producer(g, "logits"), -1);
    NNQ_ASSERT_FAILS(nnq_graph_check(g), NNQ_STATUS_NOT_FOUND, "graph output 'logits'");
    nnq_graph_free(g);
}

/* Hand-computed golden: epsilon 1 and var [3, 0] make sqrt exact:
 * s = scale / sqrt(var + eps) = [3 / 2, 1 / 1] = [1.5, 1].
 * Conv 1x1, W [[1, 2], [3, 4]] ([2, 2, 1, 1]), b = [1, -1],
 * mean [1, 2], beta [0.5, 0]:
 *   W' = [[1.5, 3], [3, 4]],  b' = [(1 - 1) * 1.5 + 0.5, (-1 - 2) * 1 + 0] = [0.5, -3]. */
static void test_fold_conv_golden(void **state) {
    (void)state;
    const char *ins[] = {"x", NULL}, *outs[] = {"y", NULL};
    tm_node nodes[] = {{"Conv", "conv", {"x", "W", "B"}, {"c"}},
                       {"BatchNormalization", "bn", {"c", "s", "beta", "m", "v"}, {"y"}}};
    tm_model t;
    tm_init(&t, nodes, 2, ins, outs);
    Onnx__AttributeProto eps = ONNX__ATTRIBUTE_PROTO__INIT, *ep = &eps;
    eps.name = (char *)"epsilon";
    eps.has_type = 1;
    eps.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    eps.has_f = 1;
    eps.f = 1.0f;
    t.nodes[1].n_attribute = 1;
    t.nodes[1].attribute = &ep;
    const int64_t wd[4] = {2, 2, 1, 1}, cd[1] = {2};
    const float W[4] = {1, 2, 3, 4}, B[2] = {1, -1}, s[2] = {3, 1}, beta[2] = {0.5f, 0},
                m[2] = {1, 2}, v[2] = {3, 0};
    tm_add_init(&t, "W", 1, wd, 4, W, sizeof W);
    tm_add_init(&t, "B", 1, cd, 1, B, sizeof B);
    tm_add_init(&t, "s", 1, cd, 1, s, sizeof s);
    tm_add_init(&t, "beta", 1, cd, 1, beta, sizeof beta);
    tm_add_init(&t, "m", 1, cd, 1, m, sizeof m);
    tm_add_init(&t, "v", 1, cd, 1, v, sizeof v);
    nnq_graph *g = load_crafted(&t);
    size_t folded = 0;
    NNQ_ASSERT_OK(nnq_graph_fold_batchnorm(g, &folded));
    assert_int_equal(folded, 1);
    assert_int_equal(g->n_nodes, 1);
    assert_string_equal(g->nodes[0].name, "conv");
    assert_string_equal(g->nodes[0].outputs[0], "y");
    static const float w_want[4] = {1.5f, 3, 3, 4}, b_want[2] = {0.5f, -3};
    const float *w = init_data(g, "W"), *b = init_data(g, "B");
    for (int i = 0; i < 4; i++) assert_true(w[i] == w_want[i]);
    for (int i = 0; i < 2; i++) assert_true(b[i] == b_want[i]);
    assert_int_equal(g->n_inits, 2); /* BN parameters pruned */
    NNQ_ASSERT_OK(nnq_graph_check(g));
    nnq_graph_free(g);
}

/* Gemm with transB = 0 (B is [K, M], channel = column), no C, beta 2:
 * s = [1.5, 1] as above; B' = [[1 * 1.5, 2], [3 * 1.5, 4]];
 * C' = (0 - mean) * s + beta_bn = [-1.5 + 0.5, -2 + 0] = [-1, -2]. */
static void test_fold_gemm_golden(void **state) {
    (void)state;
    const char *ins[] = {"x", NULL}, *outs[] = {"y", NULL};
    tm_node nodes[] = {{"Gemm", "fc", {"x", "W"}, {"c"}},
                       {"BatchNormalization", "bn", {"c", "s", "beta", "m", "v"}, {"y"}}};
    tm_model t;
    tm_init(&t, nodes, 2, ins, outs);
    Onnx__AttributeProto eps = ONNX__ATTRIBUTE_PROTO__INIT, *ep = &eps;
    eps.name = (char *)"epsilon";
    eps.has_type = 1;
    eps.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    eps.has_f = 1;
    eps.f = 1.0f;
    t.nodes[1].n_attribute = 1;
    t.nodes[1].attribute = &ep;
    const int64_t wd[2] = {2, 2}, cd[1] = {2};
    const float W[4] = {1, 2, 3, 4}, s[2] = {3, 1}, beta[2] = {0.5f, 0}, m[2] = {1, 2},
                v[2] = {3, 0};
    tm_add_init(&t, "W", 1, wd, 2, W, sizeof W);
    tm_add_init(&t, "s", 1, cd, 1, s, sizeof s);
    tm_add_init(&t, "beta", 1, cd, 1, beta, sizeof beta);
    tm_add_init(&t, "m", 1, cd, 1, m, sizeof m);
    tm_add_init(&t, "v", 1, cd, 1, v, sizeof v);
    nnq_graph *g = load_crafted(&t);
    size_t folded = 0;
    NNQ_ASSERT_OK(nnq_graph_fold_batchnorm(g, &folded));
    assert_int_equal(folded, 1);
    assert_int_equal(g->nodes[0].n_inputs, 3);
    assert_string_equal(g->nodes[0].inputs[2], "fc.bias");
    static const float w_want[4] = {1.5f, 2, 4.5f, 4}, c_want[2] = {-1, -2};
    const float *w = init_data(g, "W"), *c = init_data(g, "fc.bias");
    for (int i = 0; i < 4; i++) assert_true(w[i] == w_want[i]);
    for (int i = 0; i < 2; i++) assert_true(c[i] == c_want[i]);
    nnq_graph_free(g);
}

/* tiny_cnn: compare with the BatchNormalization definition evaluated in
 * double (y = scale * (x - mean) / sqrt(var + eps) + B), values from the
 * formulas in tools/make_test_models.py. */
/* An allocation failure anywhere in a fold leaves the weights untouched;
 * k runs past the number of allocations a fold makes. */
static void test_fold_alloc_failure_is_clean(void **state) {
    (void)state;
    size_t ok = 0, failed = 0;
    for (long k = 0; k < 64; k++) {
        nnq_graph *g = NULL;
        NNQ_ASSERT_OK(nnq_graph_load(DATA "tiny_cnn.onnx", NULL, &g));
        float w0 = init_data(g, "conv.w")[0]; /* -0.375, channel 0: s = 1 / sqrt(1 + 1e-5) */
        size_t folded = 0;
        nnq_test_alloc_fail_after(k);
        nnq_status s = nnq_graph_fold_batchnorm(g, &folded);
        nnq_test_alloc_fail_after(-1);
        if (s == NNQ_STATUS_OK) {
            ok++;
            assert_int_equal(folded, 1);
            assert_int_equal(g->n_nodes, 5);
            assert_true(init_data(g, "conv.w")[0] == w0 * (1.0f / sqrtf(1.0f + 1e-5f)));
        } else {
            failed++;
            assert_int_equal(s, NNQ_STATUS_OUT_OF_MEMORY);
            assert_true(init_data(g, "conv.w")[0] == w0);
            assert_int_equal(g->n_nodes, 6);
        }
        nnq_graph_free(g);
    }
    assert_true(ok > 0 && failed > 0);
}

static void test_fold_tiny_cnn(void **state) {
    (void)state;
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(DATA "tiny_cnn.onnx", NULL, &g));
    size_t folded = 0;
    NNQ_ASSERT_OK(nnq_graph_fold_batchnorm(g, &folded));
    assert_int_equal(folded, 1);
    assert_int_equal(g->n_nodes, 5);
    assert_string_equal(g->nodes[0].outputs[0], "b1");
    const float *w = init_data(g, "conv.w"), *b = init_data(g, "conv.b");
    for (int c = 0; c < 4; c++) {
        double s = (1.0 + c) / sqrt(1.0 + 2.0 * c + 1e-5);
        double bw = (0.5 * c - 0.25 * c) * s + (c - 1.0);
        assert_true(fabs((double)b[c] - bw) <= 1e-6 * fmax(1.0, fabs(bw)));
        for (int j = 0; j < 27; j++) {
            int i = c * 27 + j;
            double ww = ((i % 7) - 3) * 0.125 * s;
            assert_true(fabs((double)w[i] - ww) <= 1e-6 * fmax(1.0, fabs(ww)));
        }
    }
    /* saving the folded graph gives a loadable model */
    void *buf;
    size_t len;
    NNQ_ASSERT_OK(nnq_graph_save_memory(g, &buf, &len));
    nnq_graph *g2 = NULL;
    NNQ_ASSERT_OK(nnq_graph_load_memory(buf, len, NULL, &g2));
    assert_int_equal(g2->n_nodes, 5);
    nnq_free(buf);
    nnq_graph_free(g2);
    nnq_graph_free(g);
}

static void test_fold_refuses(void **state) {
    (void)state;
    const char *ins[] = {"x", NULL}, *outs[] = {"y", "c", NULL};
    tm_node nodes[] = {{"Conv", "conv", {"x", "W"}, {"c"}},
                       {"BatchNormalization", "bn", {"c", "s", "beta", "m", "v"}, {"y"}}};
    const int64_t wd[4] = {2, 2, 1, 1}, cd[1] = {2}, c3[1] = {3};
    const float W[4] = {1, 2, 3, 4}, p2[2] = {1, 1}, p3[3] = {1, 1, 1};
    for (int variant = 0; variant < 3; variant++) {
        tm_model t;
        tm_init(&t, nodes, 2, ins, variant == 0 ? outs : outs + 0);
        if (variant != 0) t.g.n_output = 1; /* conv output "c" only a graph output in variant 0 */
        tm_add_init(&t, "W", 1, wd, 4, W, sizeof W);
        tm_add_init(&t, "s", 1, variant == 1 ? c3 : cd, 1, variant == 1 ? p3 : p2,
                    variant == 1 ? sizeof p3 : sizeof p2);
        tm_add_init(&t, "beta", 1, cd, 1, p2, sizeof p2);
        tm_add_init(&t, "m", 1, cd, 1, p2, sizeof p2);
        if (variant != 2) tm_add_init(&t, "v", 1, cd, 1, p2, sizeof p2);
        if (variant == 2) { /* var is a graph input, not a constant */
            t.in_ptrs[1] = &t.vi[7];
            tm_value(&t, 7, "v", 1, &t.in_ptrs[1]);
            t.g.n_input = 2;
        }
        nnq_graph *g = load_crafted(&t);
        size_t folded = 9;
        NNQ_ASSERT_OK(nnq_graph_fold_batchnorm(g, &folded));
        assert_int_equal(folded, 0);
        assert_int_equal(g->n_nodes, 2);
        assert_true(init_data(g, "W")[0] == 1.0f);
        nnq_graph_free(g);
    }
    NNQ_ASSERT_FAILS(nnq_graph_fold_batchnorm(NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_FAILS(nnq_graph_toposort(NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_FAILS(nnq_graph_remove_dead(NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_FAILS(nnq_graph_check(NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toposort_keeps_sorted_and_fixes_order),
        cmocka_unit_test(test_toposort_long_chain),
        cmocka_unit_test(test_remove_dead),
        cmocka_unit_test(test_subgraph_uses_keep_nodes_alive),
        cmocka_unit_test(test_unique_name_and_edits),
        cmocka_unit_test(test_fold_conv_golden),
        cmocka_unit_test(test_fold_gemm_golden),
        cmocka_unit_test(test_fold_tiny_cnn),
        cmocka_unit_test(test_fold_alloc_failure_is_clean),
        cmocka_unit_test(test_fold_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
