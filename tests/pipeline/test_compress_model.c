/* test_compress_model.c - nnq_model_compress / nnq_model_decompress on the
 * bundled fmnist_cnn.onnx: decompressed weights equal the compress layer's
 * own decompression bit for bit, error paths name tensor and rule. */
#include "testutil.h"

#include <string.h>

#include "graph/ir.h"

#define MODEL NNQ_SOURCE_DIR "/examples/fmnist_cnn.onnx"

static const nnq_tensor *init_of(nnq_graph *g, const char *name) {
    ptrdiff_t k = nnq_graph_find_init(g, name);
    return k < 0 ? NULL : g->inits[k].tensor;
}

/* Compress, decompress, and compare every weight with nnq_compress_tensor
 * run directly on the original. */
static void round_trip(const nnq_compress_config *base) {
    nnq_graph *g = NULL, *c = NULL, *d = NULL;
    nnq_compress_report *r = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_model_compress_options o = {0};
    o.base = base, o.min_size = 100;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, &r));
    assert_int_equal(r->n_weights, 4);
    /* Coded weights become decode chains; pruned-only ones stay initializers. */
    if (base->palette_bits || base->linear_bits) assert_null(init_of(c, "fc1.weight"));
    size_t n = 0;
    NNQ_ASSERT_OK(nnq_model_decompress(c, &d, &n));
    for (size_t i = 0; i < r->n_weights; i++) {
        const char *name = r->weights[i].name;
        const nnq_tensor *w = init_of(g, name), *dw = init_of(d, name);
        assert_non_null(w);
        assert_non_null(dw);
        nnq_compress_config cfg = *base;
        cfg.name = name;
        nnq_compressed *cc = NULL;
        NNQ_ASSERT_OK(nnq_compress_tensor(w->data, w->ndim, w->dims, &cfg, NULL, &cc));
        float *ref = nnq_malloc(w->numel * sizeof(float));
        NNQ_ASSERT_OK(nnq_compressed_decompress(cc, ref, w->numel));
        assert_memory_equal(ref, dw->data, w->numel * sizeof(float));
        nnq_free(ref);
        nnq_compressed_free(cc);
    }
    if (base->palette_bits || base->linear_bits) assert_int_equal(n, 4);
    nnq_compress_report_free(r);
    nnq_graph_free(g), nnq_graph_free(c), nnq_graph_free(d);
}

static void test_palettize_grouped_int8(void **state) {
    (void)state;
    nnq_compress_config b = {0};
    b.palette_bits = 3, b.group_size = 2, b.lut_dtype = NNQ_LUT_DTYPE_INT8;
    round_trip(&b);
}

static void test_palettize_pruned_fp16(void **state) {
    (void)state;
    nnq_compress_config b = {0};
    b.palette_bits = 8, b.lut_dtype = NNQ_LUT_DTYPE_FP16;
    b.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE, b.sparsity = 0.5f;
    round_trip(&b);
}

static void test_linear_affine_per_channel(void **state) {
    (void)state;
    nnq_compress_config b = {0};
    b.linear_bits = 4, b.linear_mode = NNQ_LINEAR_MODE_LINEAR, b.group_size = 1;
    b.prune_mode = NNQ_PRUNE_MODE_THRESHOLD, b.threshold = 0.01f;
    round_trip(&b);
}

static void test_prune_only(void **state) {
    (void)state;
    nnq_compress_config b = {0};
    b.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE, b.sparsity = 0.25f;
    round_trip(&b);
}

static void test_errors(void **state) {
    (void)state;
    nnq_graph *g = NULL, *c = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_compress_config b = {0};
    nnq_model_compress_options o = {0};
    o.base = &b, o.min_size = 100;
    b.palette_bits = 5;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_BITS_OUT_OF_RANGE, "conv1.weight");
    assert_null(c);
    b.palette_bits = 4, b.group_size = 3;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_BLOCK_MISMATCH, "group_size 3");
    b.group_size = 0;
    const char *inc[1] = {"nomatch*"};
    o.include = inc, o.n_include = 1;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_NOT_FOUND, "nomatch*");
    o.include = NULL, o.n_include = 0;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, NULL, &c, NULL), NNQ_STATUS_INVALID_ARGUMENT, "options");
    nnq_compress_spec *sp = NULL;
    static const char bad[] = "global: {mode: palettize, bits: 4, sparsity: 1.5}";
    NNQ_ASSERT_FAILS(nnq_compress_spec_load_string(bad, sizeof bad - 1, NULL, &sp),
                     NNQ_STATUS_OUT_OF_RANGE, "sparsity");
    static const char unk[] = "globl: {}";
    NNQ_ASSERT_FAILS(nnq_compress_spec_load_string(unk, sizeof unk - 1, NULL, &sp),
                     NNQ_STATUS_UNKNOWN_NAME, "unknown section 'globl'");
    nnq_graph_free(g);
}

/* Spec sections: op_type null keeps Conv weights float; a name rule wins. */
static void test_spec(void **state) {
    (void)state;
    nnq_graph *g = NULL, *c = NULL;
    nnq_compress_report *r = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    static const char text[] = "global: {mode: palettize, bits: 2}\nop_type: {Conv: null}\n"
                               "name: {\"fc2*\": {mode: linear, bits: 8}}\n";
    nnq_compress_spec *sp = NULL;
    NNQ_ASSERT_OK(nnq_compress_spec_load_string(text, sizeof text - 1, NULL, &sp));
    nnq_compress_config b = {0};
    nnq_model_compress_options o = {0};
    o.base = &b, o.spec = sp, o.min_size = 100;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, &r));
    assert_int_equal(r->n_weights, 2);
    assert_int_equal(r->n_skipped, 2);
    assert_string_equal(r->weights[0].name, "fc1.weight");
    assert_string_equal(r->weights[1].method, "linear 8b per-tensor");
    assert_non_null(init_of(c, "conv1.weight"));
    nnq_compress_report_free(r);
    nnq_compress_spec_free(sp);
    nnq_graph_free(g), nnq_graph_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_palettize_grouped_int8), cmocka_unit_test(test_palettize_pruned_fp16),
        cmocka_unit_test(test_linear_affine_per_channel), cmocka_unit_test(test_prune_only),
        cmocka_unit_test(test_errors), cmocka_unit_test(test_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
