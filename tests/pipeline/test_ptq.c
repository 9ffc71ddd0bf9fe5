/*
 * test_ptq.c - post-training quantization: site placement, QDQ values,
 * calibration tables, thread independence, evaluation and bad input.
 * Golden values are derived here from the definitions (DESIGN.md section 3:
 * y_scale = amax / 127, q = rne(w / y_scale)) on the bundled model's own
 * weights, never from nnq's quantizers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "graph/ir.h"

#define MODEL NNQ_SOURCE_DIR "/examples/fmnist_cnn.onnx"

typedef struct fixture {
    nnq_graph *model;
    char *dir;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &f->model));
    f->dir = nnq_test_tmpdir();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    nnq_graph_free(f->model);
    nnq_test_rmdir(f->dir);
    free(f);
    return 0;
}

static nnq_config *config_str(const char *text) {
    nnq_config *c = NULL;
    NNQ_ASSERT_OK(nnq_config_load_string(text, strlen(text), NNQ_CONFIG_FORMAT_YAML, "test", &c));
    return c;
}

/* n samples [n, 1, 28, 28] of N(0, 1) (or `value` when not NaN) as .npy. */
static char *write_data(const char *dir, const char *name, int64_t n, float value, nnq_dtype dt,
                        int64_t w) {
    int64_t dims[4] = {n, 1, 28, w};
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_tensor_create(dt, 4, dims, &t));
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 7);
    for (size_t i = 0; i < t->numel && dt == NNQ_DTYPE_FLOAT32; i++)
        ((float *)t->data)[i] = isnan(value) ? nnq_rng_normal(&rng) : value;
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    NNQ_ASSERT_OK(nnq_npy_write(path, t, NULL, 0));
    nnq_tensor_free(t);
    return path;
}

static nnq_dataset *open_data(const char *path, size_t batch) {
    nnq_dataset_options o;
    nnq_dataset_options_init(&o);
    o.batch_size = batch;
    nnq_dataset *ds = NULL;
    NNQ_ASSERT_OK(nnq_dataset_open(path, &o, &ds));
    return ds;
}

static const nnq_tensor *init_named(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_inits; i++)
        if (!strcmp(g->inits[i].name, name)) return g->inits[i].tensor;
    fail_msg("no initializer '%s'", name);
    return NULL;
}

static const nnq_node *node_named(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return &g->nodes[i];
    fail_msg("no node '%s'", name);
    return NULL;
}

static size_t count_op(const nnq_graph *g, const char *op) {
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++) n += !strcmp(g->nodes[i].op_type, op);
    return n;
}

static void test_sites_int8_preset(void **state) {
    fixture *f = *state;
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    nnq_ptq *p = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    /* 4 weighted nodes x (input, weight, output). */
    assert_int_equal(nnq_ptq_site_count(p), 12);
    static const char *const want[] = {"/conv1/Conv.input_quantizer", "/conv1/Conv.weight_quantizer",
                                       "/conv1/Conv.output_quantizer"};
    for (size_t i = 0; i < 3; i++) {
        nnq_ptq_site_info si;
        NNQ_ASSERT_OK(nnq_ptq_site(p, i, &si));
        assert_string_equal(si.name, want[i]);
        assert_int_equal(si.enabled, i != 2); /* the preset has no output quantizers */
    }
    nnq_ptq_site_info si;
    NNQ_ASSERT_OK(nnq_ptq_site(p, 7, &si));
    assert_string_equal(si.name, "/fc1/Gemm.weight_quantizer");
    assert_string_equal(si.tensor, "fc1.weight");
    NNQ_ASSERT_FAILS(nnq_ptq_site(p, 12, &si), NNQ_STATUS_OUT_OF_RANGE, "index 12");
    char *json = NULL;
    NNQ_ASSERT_OK(nnq_ptq_summary(p, true, &json));
    assert_non_null(strstr(json, "\"batchnorm_folded\": 2"));
    assert_non_null(strstr(json, "\"sites_enabled\": 8"));
    nnq_free(json);
    /* Without data, the entropy sites cannot be built. */
    nnq_graph *q = NULL;
    NNQ_ASSERT_FAILS(nnq_ptq_build(p, &q), NNQ_STATUS_INVALID_STATE,
                     "'/conv1/Conv.input_quantizer' has no calibration statistics");
    assert_null(q);
    nnq_ptq_free(p);
    nnq_config_free(cfg);
}

/* Per-channel symmetric int8 of fc2.weight (no BatchNormalization before
 * it, so the folded model keeps the file's values) and a fixed activation
 * amax: every number recomputed from the definition. */
static void test_qdq_values(void **state) {
    fixture *f = *state;
    nnq_config *cfg = config_str("global:\n"
                                 "  input_quantizer: {num_bits: 8, amax: 2.0}\n"
                                 "  weight_quantizer: {num_bits: 8, axis: 0}\n");
    nnq_ptq *p = NULL;
    nnq_graph *q = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    NNQ_ASSERT_OK(nnq_ptq_build(p, &q));
    assert_int_equal(count_op(q, "QuantizeLinear"), 4);
    assert_int_equal(count_op(q, "DequantizeLinear"), 8);
    assert_int_equal(count_op(q, "BatchNormalization"), 0);
    assert_int_equal(q->opsets[0].version, 13); /* per-axis needs 13: not raised further */

    const nnq_tensor *w = init_named(f->model, "fc2.weight");
    const nnq_tensor *wq = init_named(q, "fc2.weight_quantized");
    const nnq_tensor *sc = init_named(q, "/fc2/Gemm.weight_quantizer.scale");
    assert_int_equal(wq->dtype, NNQ_DTYPE_INT8);
    assert_int_equal(sc->numel, 10);
    const float *wv = w->data, *sv = sc->data;
    const int8_t *qv = wq->data;
    for (size_t c = 0; c < 10; c++) {
        float amax = 0.0f;
        for (size_t k = 0; k < 64; k++) amax = fmaxf(amax, fabsf(wv[c * 64 + k]));
        float scale = amax / 127.0f;
        assert_true(nnq_test_same_bits(sv[c], scale));
        for (size_t k = 0; k < 64; k++) {
            float r = nearbyintf(wv[c * 64 + k] / scale); /* default mode: ties to even */
            assert_int_equal(qv[c * 64 + k], (int)r);
        }
    }
    /* The Gemm reads the dequantized weight; the DQ has axis 0. */
    const nnq_node *gemm = node_named(q, "/fc2/Gemm");
    assert_string_equal(gemm->inputs[1], "fc2.weight_dequantized");
    const nnq_node *dq = node_named(q, "/fc2/Gemm.weight_quantizer/DequantizeLinear");
    assert_int_equal(dq->n_attrs, 1);
    assert_string_equal(dq->attrs[0].name, "axis");
    assert_int_equal(dq->attrs[0].i, 0);
    const nnq_tensor *as = init_named(q, "/fc2/Gemm.input_quantizer.scale");
    const nnq_tensor *az = init_named(q, "/fc2/Gemm.input_quantizer.zero_point");
    assert_int_equal(as->ndim, 0);
    assert_true(nnq_test_same_bits(*(const float *)as->data, 2.0f / 127.0f));
    assert_int_equal(az->dtype, NNQ_DTYPE_INT8);
    assert_int_equal(*(const int8_t *)az->data, 0);
    /* The float weights are gone: the file holds int8. */
    for (size_t i = 0; i < q->n_inits; i++) assert_string_not_equal(q->inits[i].name, "fc1.weight");
    nnq_graph_free(q);
    nnq_ptq_free(p);
    nnq_config_free(cfg);
}

static void *build_bytes(const nnq_graph *model, const nnq_config *cfg, const char *data,
                         size_t threads, size_t *size) {
    nnq_pool *pool = NULL;
    NNQ_ASSERT_OK(nnq_pool_create(threads, &pool));
    nnq_ptq_options o = {.pool = pool};
    nnq_ptq *p = NULL;
    nnq_graph *q = NULL;
    nnq_dataset *ds = open_data(data, 5);
    NNQ_ASSERT_OK(nnq_ptq_create(model, cfg, &o, &p));
    NNQ_ASSERT_OK(nnq_ptq_calibrate(p, ds));
    NNQ_ASSERT_OK(nnq_ptq_build(p, &q));
    void *bytes = NULL;
    NNQ_ASSERT_OK(nnq_graph_save_memory(q, &bytes, size));
    nnq_graph_free(q);
    nnq_ptq_free(p);
    nnq_dataset_close(ds);
    nnq_pool_free(pool);
    return bytes;
}

static void test_threads_identical(void **state) {
    fixture *f = *state;
    char *data = write_data(f->dir, "x.npy", 23, NAN, NNQ_DTYPE_FLOAT32, 28);
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    size_t n1, n2, n7;
    void *b1 = build_bytes(f->model, cfg, data, 1, &n1);
    void *b2 = build_bytes(f->model, cfg, data, 2, &n2);
    void *b7 = build_bytes(f->model, cfg, data, 7, &n7);
    assert_int_equal(n1, n2);
    assert_int_equal(n1, n7);
    assert_memory_equal(b1, b2, n1);
    assert_memory_equal(b1, b7, n1);
    nnq_free(b1);
    nnq_free(b2);
    nnq_free(b7);
    nnq_config_free(cfg);
    free(data);
}

static void test_calib_table(void **state) {
    fixture *f = *state;
    char *data = write_data(f->dir, "x.npy", 16, NAN, NNQ_DTYPE_FLOAT32, 28);
    char table[512];
    snprintf(table, sizeof table, "%s/table", f->dir);
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    size_t n1;
    void *b1 = build_bytes(f->model, cfg, data, 1, &n1);

    nnq_ptq *p = NULL;
    nnq_dataset *ds = open_data(data, 5);
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    NNQ_ASSERT_FAILS(nnq_ptq_save_calib(p, table), NNQ_STATUS_INVALID_STATE, "calibrate first");
    NNQ_ASSERT_OK(nnq_ptq_calibrate(p, ds));
    NNQ_ASSERT_OK(nnq_ptq_save_calib(p, table));
    nnq_ptq_free(p);
    nnq_dataset_close(ds);

    /* Same config from the table: the same model, byte for byte. */
    nnq_graph *q = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    NNQ_ASSERT_OK(nnq_ptq_load_calib(p, table));
    NNQ_ASSERT_OK(nnq_ptq_build(p, &q));
    void *b2 = NULL;
    size_t n2;
    NNQ_ASSERT_OK(nnq_graph_save_memory(q, &b2, &n2));
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    nnq_free(b2);
    nnq_graph_free(q);
    nnq_ptq_free(p);

    /* Re-scored with percentile: builds, different activation scales.  The
     * preset calibrates the model input by max (no histogram to re-score). */
    nnq_config *pct = config_str("global:\n"
                                 "  input_quantizer: {num_bits: 8, calib_method: percentile, "
                                 "percentile: 99.0}\n"
                                 "model_input:\n  input_quantizer: {calib_method: max}\n");
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, pct, NULL, &p));
    NNQ_ASSERT_OK(nnq_ptq_load_calib(p, table));
    NNQ_ASSERT_OK(nnq_ptq_build(p, &q));
    nnq_graph_free(q);
    nnq_ptq_free(p);
    /* max statistics are not in a histogram table. */
    nnq_config *mx = config_str("global:\n  input_quantizer: {num_bits: 8, calib_method: max}\n");
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, mx, NULL, &p));
    NNQ_ASSERT_FAILS(nnq_ptq_load_calib(p, table), NNQ_STATUS_INVALID_ARGUMENT,
                     "wants calib_method max");
    nnq_ptq_free(p);
    /* A table naming a site the model lacks. */
    char idx[600];
    snprintf(idx, sizeof idx, "%s/table.tsv", table);
    FILE *fp = fopen(idx, "a");
    fputs("/nope/Conv.input_quantizer\tsite_0.ncal\n", fp);
    fclose(fp);
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    NNQ_ASSERT_FAILS(nnq_ptq_load_calib(p, table), NNQ_STATUS_NOT_FOUND,
                     "site '/nope/Conv.input_quantizer' is not a site of this model");
    NNQ_ASSERT_FAILS(nnq_ptq_load_calib(p, f->dir), NNQ_STATUS_NOT_FOUND, "table.tsv");
    nnq_ptq_free(p);
    nnq_config_free(mx);
    nnq_config_free(pct);
    nnq_config_free(cfg);
    nnq_free(b1);
    free(data);
}

static void test_bad_data(void **state) {
    fixture *f = *state;
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    nnq_ptq *p = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    struct {
        const char *file;
        int64_t n, w;
        nnq_dtype dt;
        const char *input_name;
        nnq_status want;
        const char *needle;
    } cases[] = {
        {"shape.npy", 4, 27, NNQ_DTYPE_FLOAT32, NULL, NNQ_STATUS_SHAPE_MISMATCH,
         "input 'input' has shape [3, 1, 28, 27], the model wants [?, 1, 28, 28]"},
        {"dtype.npy", 4, 28, NNQ_DTYPE_UINT8, NULL, NNQ_STATUS_DTYPE_MISMATCH,
         "input 'input' is uint8, the model wants float32"},
        {"name.npy", 4, 28, NNQ_DTYPE_FLOAT32, "pixels", NNQ_STATUS_NOT_FOUND,
         "the model's input 'input' is not in the data (it has 'pixels'"},
        {"empty.npy", 0, 28, NNQ_DTYPE_FLOAT32, NULL, NNQ_STATUS_EMPTY, "no samples"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_data(f->dir, cases[i].file, cases[i].n, 0.5f, cases[i].dt, cases[i].w);
        nnq_dataset_options o;
        nnq_dataset_options_init(&o);
        o.batch_size = 3;
        o.input_name = cases[i].input_name;
        nnq_dataset *ds = NULL;
        NNQ_ASSERT_OK(nnq_dataset_open(path, &o, &ds));
        NNQ_ASSERT_FAILS(nnq_ptq_calibrate(p, ds), cases[i].want, cases[i].needle);
        nnq_dataset_close(ds);
        free(path);
    }
    NNQ_ASSERT_FAILS(nnq_ptq_calibrate(p, NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    nnq_ptq_free(p);
    NNQ_ASSERT_FAILS(nnq_ptq_create(NULL, cfg, NULL, &p), NNQ_STATUS_INVALID_ARGUMENT,
                     "model is NULL");
    nnq_config_free(cfg);
}

static void test_formats_and_fallbacks(void **state) {
    fixture *f = *state;
    static const struct {
        const char *yaml;
        nnq_status want;
        const char *needle;
    } bad[] = {
        {"global: {weight_quantizer: {num_bits: 3}}\n", NNQ_STATUS_UNSUPPORTED,
         "'/conv1/Conv.weight_quantizer' has num_bits 3"},
        {"global: {weight_quantizer: {format: nvfp4}}\n", NNQ_STATUS_UNSUPPORTED,
         "format nvfp4, which has no ONNX QDQ form"},
        {"global: {input_quantizer: {num_bits: 4, axis: null, block_size: 32}}\n",
         NNQ_STATUS_UNSUPPORTED, "quantizes an activation in blocks"},
        {"global: {input_quantizer: {mode: linear, calib_method: entropy}}\n",
         NNQ_STATUS_INVALID_ARGUMENT, "affine ranges need min_max"},
        {"global: {weight_quantizer: {axis: 5}}\n", NNQ_STATUS_AXIS_OUT_OF_RANGE,
         "axis 5 outside [-4, 4) of weight 'conv1.weight'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nnq_config *cfg = config_str(bad[i].yaml);
        nnq_ptq *p = (nnq_ptq *)1;
        NNQ_ASSERT_FAILS(nnq_ptq_create(f->model, cfg, NULL, &p), bad[i].want, bad[i].needle);
        assert_null(p);
        nnq_config_free(cfg);
    }
    /* int4 blocks of 32 along the input axis: conv1 (1 input channel) and
     * conv2 (16) stay float with a note; fc1 (1568 = 49 x 32) and fc2 (64)
     * are quantized with opset 21's blocked DequantizeLinear. */
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int4-weight-only-b32", NULL, &cfg));
    nnq_ptq *p = NULL;
    nnq_graph *q = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    nnq_ptq_site_info si;
    NNQ_ASSERT_OK(nnq_ptq_site(p, 1, &si));
    assert_false(si.enabled);
    assert_string_equal(si.note, "kept float: weight has 1 input channels (axis 1), not a "
                                 "multiple of block_size 32");
    NNQ_ASSERT_OK(nnq_ptq_site(p, 7, &si));
    assert_true(si.enabled);
    NNQ_ASSERT_OK(nnq_ptq_build(p, &q));
    assert_int_equal(q->opsets[0].version, 21);
    assert_true(q->ir_version >= 10);
    const nnq_tensor *wq = init_named(q, "fc1.weight_quantized");
    assert_int_equal(wq->dtype, NNQ_DTYPE_INT4);
    assert_int_equal(wq->nbytes, 64 * 1568 / 2);
    const nnq_tensor *sc = init_named(q, "/fc1/Gemm.weight_quantizer.scale");
    assert_int_equal(sc->ndim, 2);
    assert_int_equal(sc->dims[0], 64);
    assert_int_equal(sc->dims[1], 49);
    /* Block 0 of row 0: amax / 7 from the file's weights (fc1 has no BN). */
    const float *w = init_named(f->model, "fc1.weight")->data;
    float amax = 0.0f;
    for (int k = 0; k < 32; k++) amax = fmaxf(amax, fabsf(w[k]));
    assert_true(nnq_test_same_bits(((const float *)sc->data)[0], amax / 7.0f));
    const nnq_node *dq = node_named(q, "/fc1/Gemm.weight_quantizer/DequantizeLinear");
    assert_int_equal(dq->n_attrs, 2);
    nnq_graph_free(q);
    nnq_ptq_free(p);
    nnq_config_free(cfg);
}

static void test_exclude_keep(void **state) {
    fixture *f = *state;
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    const char *ex[] = {"/fc1/*"};
    nnq_ptq_options o = {.exclude = ex, .n_exclude = 1, .keep_first = true, .keep_last = true};
    nnq_ptq *p = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, &o, &p));
    size_t enabled = 0;
    for (size_t i = 0; i < nnq_ptq_site_count(p); i++) {
        nnq_ptq_site_info si;
        NNQ_ASSERT_OK(nnq_ptq_site(p, i, &si));
        enabled += si.enabled;
        if (!strcmp(si.name, "/fc1/Gemm.input_quantizer"))
            assert_string_equal(si.note, "excluded by --exclude '/fc1/*'");
        if (!strcmp(si.name, "/conv1/Conv.weight_quantizer"))
            assert_string_equal(si.note, "first layer kept float (--keep-first)");
        if (!strcmp(si.name, "/fc2/Gemm.input_quantizer"))
            assert_string_equal(si.note, "last layer kept float (--keep-last)");
    }
    assert_int_equal(enabled, 2); /* conv2 input and weight */
    nnq_ptq_free(p);
    const char *badglob[] = {"[abc"};
    nnq_ptq_options ob = {.exclude = badglob, .n_exclude = 1};
    NNQ_ASSERT_FAILS(nnq_ptq_create(f->model, cfg, &ob, &p), NNQ_STATUS_INVALID_FORMAT,
                     "exclude pattern '[abc'");
    /* Pooling inputs on request. */
    nnq_ptq_options op = {.quantize_pool = true};
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, &op, &p));
    assert_int_equal(nnq_ptq_site_count(p), 14);
    nnq_ptq_free(p);
    nnq_config_free(cfg);
}

/* Constant input 0.5 through conv1's input quantizer with amax 2: scale
 * 2/127, q = rne(0.5 / scale) = rne(31.75) = 32, error 0.5 - 32 * scale. */
static void test_eval_site_error(void **state) {
    fixture *f = *state;
    char *data = write_data(f->dir, "c.npy", 6, 0.5f, NNQ_DTYPE_FLOAT32, 28);
    nnq_config *cfg = config_str("quant_cfg:\n"
                                 "  \"/conv1/Conv.input_quantizer\": {num_bits: 8, amax: 2.0}\n");
    nnq_ptq *p = NULL;
    nnq_graph *q = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(f->model, cfg, NULL, &p));
    NNQ_ASSERT_OK(nnq_ptq_build(p, &q));
    nnq_dataset *ds = open_data(data, 4);
    nnq_eval_report *r = NULL;
    NNQ_ASSERT_OK(nnq_eval_run(f->model, q, ds, NULL, &r));
    assert_int_equal(r->samples, 6);
    assert_false(r->has_labels);
    assert_int_equal(r->n_sites, 1);
    assert_string_equal(r->sites[0].name, "/conv1/Conv.input_quantizer");
    double scale = (double)(2.0f / 127.0f), e = 0.5 - 32.0 * scale;
    double want = 10.0 * log10(0.25 / (e * e));
    assert_true(fabs(r->sites[0].sqnr_db - want) < 1e-3);
    assert_int_equal(r->sites[0].count, 6 * 28 * 28);
    assert_true(r->sites[0].clip_fraction == 0.0);
    char *json = NULL;
    NNQ_ASSERT_OK(nnq_eval_report_format(r, true, &json));
    assert_non_null(strstr(json, "\"samples\": 6"));
    assert_non_null(strstr(json, "\"float_top1\": null"));
    nnq_free(json);
    nnq_eval_report_free(r);
    /* The float model against itself: exact, full agreement. */
    NNQ_ASSERT_OK(nnq_eval_run(f->model, f->model, ds, NULL, &r));
    assert_true(r->agreement == 1.0);
    assert_true(isinf(r->output_sqnr_db) && r->output_sqnr_db > 0);
    assert_int_equal(r->n_sites, 0);
    nnq_eval_report_free(r);
    nnq_dataset_close(ds);
    nnq_graph_free(q);
    nnq_ptq_free(p);
    nnq_config_free(cfg);
    free(data);
}

/* ---- weight sites of nnq_eval_run, --quantize-add, MatMul of two
 * activations: small models from tools/make_test_models.py. ---- */

#define RESIDUAL NNQ_SOURCE_DIR "/tests/data/onnx/residual_add.onnx"
#define ATTENTION NNQ_SOURCE_DIR "/tests/data/onnx/attention_matmul.onnx"

static nnq_graph *load_model(const char *path) {
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(path, NULL, &g));
    return g;
}

/* n samples of N(0, 1) with sample dims d0 x d1 x d2 (d2 = 0: two dims). */
static char *write_normal(const char *dir, const char *name, int64_t n, int64_t d0, int64_t d1,
                          int64_t d2) {
    int64_t dims[4] = {n, d0, d1, d2};
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, d2 ? 4 : 3, dims, &t));
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 11);
    for (size_t i = 0; i < t->numel; i++) ((float *)t->data)[i] = nnq_rng_normal(&rng);
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    NNQ_ASSERT_OK(nnq_npy_write(path, t, NULL, 0));
    nnq_tensor_free(t);
    return path;
}

/* Build a model under a config (calibrating on `data` when given). */
static nnq_graph *quantize(const nnq_graph *model, const nnq_config *cfg,
                           const nnq_ptq_options *o, const char *data) {
    nnq_ptq *p = NULL;
    nnq_graph *q = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(model, cfg, o, &p));
    if (data) {
        nnq_dataset *ds = open_data(data, 8);
        NNQ_ASSERT_OK(nnq_ptq_calibrate(p, ds));
        nnq_dataset_close(ds);
    }
    NNQ_ASSERT_OK(nnq_ptq_build(p, &q));
    nnq_ptq_free(p);
    return q;
}

static nnq_eval_report *eval(const nnq_graph *gf, const nnq_graph *gq, const char *data) {
    nnq_dataset *ds = open_data(data, 4);
    nnq_eval_report *r = NULL;
    NNQ_ASSERT_OK(nnq_eval_run(gf, gq, ds, NULL, &r));
    nnq_dataset_close(ds);
    return r;
}

static const nnq_eval_site *eval_site(const nnq_eval_report *r, const char *name) {
    for (size_t i = 0; i < r->n_sites; i++)
        if (!strcmp(r->sites[i].name, name)) return &r->sites[i];
    fail_msg("no eval site '%s'", name);
    return NULL;
}

/* residual_add.onnx's conv1 weight, by hand (tools/make_test_models.py):
 * each output channel has amax 127/128, so the int8 per-channel scale is
 * exactly 1/128; 3/256 is 1.5 steps and rounds (half to even) to 2, an
 * error of 1/256; every other value is a multiple of 1/16, exact.
 * Σw² = 2·(127/128)² + 2·(3/256)² + (30 + 31)/256 = 2.207427978515625 and
 * Σe² = 2/65536, so SQNR = 10·log10(72333). */
static void test_eval_weight_sites(void **state) {
    fixture *f = *state;
    char *data = write_normal(f->dir, "r.npy", 5, 2, 4, 4);
    nnq_graph *model = load_model(RESIDUAL);
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8-weight-only", NULL, &cfg));
    nnq_graph *q = quantize(model, cfg, NULL, NULL);
    nnq_eval_report *r = eval(model, q, data);
    assert_int_equal(r->n_sites, 2);
    const nnq_eval_site *s = &r->sites[0]; /* worst first */
    assert_string_equal(s->name, "conv1.weight_quantizer");
    assert_int_equal(s->kind, NNQ_EVAL_SITE_WEIGHT);
    assert_true(s->matched);
    assert_int_equal(s->count, 36);
    assert_true(fabs(s->sqnr_db - 10.0 * log10(72333.0)) < 1e-9);
    assert_true(s->clip_fraction == 0.0);
    assert_string_equal(r->sites[1].name, "conv2.weight_quantizer");
    assert_true(r->sites[1].sqnr_db > s->sqnr_db && isfinite(r->sites[1].sqnr_db));
    char *text = NULL;
    NNQ_ASSERT_OK(nnq_eval_report_format(r, false, &text));
    assert_non_null(strstr(text, "conv1.weight_quantizer  weight          48.59      0.0000\n"));
    nnq_free(text);
    nnq_eval_report_free(r);

    /* A weight whose node the float model lacks is listed, not guessed. */
    nnq_node *n = &q->nodes[node_named(q, "conv2") - q->nodes];
    nnq_free(n->name);
    n->name = nnq_strdup("conv2_renamed");
    r = eval(model, q, data);
    assert_int_equal(r->n_sites, 2);
    s = &r->sites[1]; /* unmatched sort last */
    assert_string_equal(s->name, "conv2_renamed.weight_quantizer");
    assert_false(s->matched);
    assert_true(isnan(s->sqnr_db));
    assert_int_equal(s->count, 0);
    NNQ_ASSERT_OK(nnq_eval_report_format(r, false, &text));
    assert_non_null(strstr(text, "conv2_renamed.weight_quantizer  weight      unmatched\n"));
    nnq_free(text);
    NNQ_ASSERT_OK(nnq_eval_report_format(r, true, &text));
    assert_non_null(strstr(text, "{\"name\": \"conv2_renamed.weight_quantizer\", \"sqnr_db\": null, "
                                 "\"clip_fraction\": 0.00000000, \"count\": 0, \"kind\": "
                                 "\"weight\", \"matched\": false}"));
    assert_non_null(strstr(text, "\"kind\": \"weight\", \"matched\": true}"));
    nnq_free(text);
    nnq_eval_report_free(r);
    nnq_graph_free(q);
    nnq_config_free(cfg);

    /* A fixed per-tensor amax of 0.5: scale 0.5 / 127; only the two 127/128
     * entries of conv1 (of 36) lie beyond 127 · scale. */
    cfg = config_str("quant_cfg:\n"
                     "  \"conv1.weight_quantizer\": {num_bits: 8, amax: 0.5}\n");
    q = quantize(model, cfg, NULL, NULL);
    r = eval(model, q, data);
    assert_int_equal(r->n_sites, 1);
    assert_true(fabs(r->sites[0].clip_fraction - 2.0 / 36.0) < 1e-15);
    nnq_eval_report_free(r);
    nnq_graph_free(q);
    nnq_config_free(cfg);
    nnq_graph_free(model);
    free(data);
}

/* The bundled model has two BatchNormalizations: eval must fold the float
 * weights as the quantizer did, or keep them when it did not. */
static void test_eval_weight_sites_bundled(void **state) {
    fixture *f = *state;
    char *data = write_data(f->dir, "b.npy", 3, NAN, NNQ_DTYPE_FLOAT32, 28);
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8-weight-only", NULL, &cfg));
    for (int nofold = 0; nofold < 2; nofold++) {
        nnq_ptq_options o = {.no_fold_batchnorm = nofold != 0};
        nnq_graph *q = quantize(f->model, cfg, &o, NULL);
        assert_int_equal(count_op(q, "BatchNormalization"), nofold ? 2 : 0);
        nnq_eval_report *r = eval(f->model, q, data);
        assert_int_equal(r->n_sites, 4);
        for (size_t i = 0; i < r->n_sites; i++) {
            assert_int_equal(r->sites[i].kind, NNQ_EVAL_SITE_WEIGHT);
            assert_true(r->sites[i].matched);
            if (!(r->sites[i].sqnr_db > 30.0))
                fail_msg("%s: %.2f dB", r->sites[i].name, r->sites[i].sqnr_db);
            assert_true(r->sites[i].clip_fraction == 0.0);
            if (i) assert_true(r->sites[i].sqnr_db >= r->sites[i - 1].sqnr_db);
        }
        nnq_eval_report_free(r);
        nnq_graph_free(q);
    }
    nnq_config_free(cfg);
    free(data);
}

static size_t count_sites_on(const nnq_ptq *p, const char *node) {
    size_t n = 0;
    for (size_t i = 0; i < nnq_ptq_site_count(p); i++) {
        nnq_ptq_site_info si;
        NNQ_ASSERT_OK(nnq_ptq_site(p, i, &si));
        n += !strcmp(si.node_name, node);
    }
    return n;
}

static nnq_ptq_site_info site_named(const nnq_ptq *p, const char *name) {
    nnq_ptq_site_info si = {0};
    for (size_t i = 0; i < nnq_ptq_site_count(p); i++) {
        NNQ_ASSERT_OK(nnq_ptq_site(p, i, &si));
        if (!strcmp(si.name, name)) return si;
    }
    fail_msg("no site '%s'", name);
    return si;
}

/* The value a node input reads through a DequantizeLinear, or NULL. */
static const nnq_node *dq_feeding(const nnq_graph *g, const char *value) {
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].outputs[0], value) &&
            !strcmp(g->nodes[i].op_type, "DequantizeLinear"))
            return &g->nodes[i];
    return NULL;
}

/* --quantize-add: the Add of conv2's output and the skip (the model input)
 * gets one input site, on the skip: TensorRT fuses the convolution branch
 * as the residual. */
static void test_quantize_add(void **state) {
    fixture *f = *state;
    char *data = write_normal(f->dir, "r.npy", 9, 2, 4, 4);
    nnq_graph *model = load_model(RESIDUAL);
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    nnq_ptq *p = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(model, cfg, NULL, &p));
    assert_int_equal(nnq_ptq_site_count(p), 6);
    assert_int_equal(count_sites_on(p, "add"), 0);
    nnq_ptq_free(p);
    nnq_ptq_options o = {.quantize_add = true};
    NNQ_ASSERT_OK(nnq_ptq_create(model, cfg, &o, &p));
    assert_int_equal(nnq_ptq_site_count(p), 7);
    assert_int_equal(count_sites_on(p, "add"), 1);
    nnq_ptq_site_info si = site_named(p, "add.input_quantizer");
    assert_string_equal(si.tensor, "input");
    assert_int_equal(si.kind, NNQ_PTQ_SITE_INPUT);
    assert_true(si.enabled);
    char *text = NULL;
    NNQ_ASSERT_OK(nnq_ptq_summary(p, false, &text));
    assert_non_null(strstr(text, "7 quantizer sites, 5 enabled"));
    assert_non_null(strstr(text, "\nadd.input_quantizer     yes  int8      per-tensor            max"));
    nnq_free(text);
    nnq_ptq_free(p);

    nnq_graph *q = quantize(model, cfg, &o, data);
    const nnq_node *add = node_named(q, "add");
    assert_string_equal(add->inputs[0], "c2"); /* the convolution branch stays float */
    const nnq_node *dq = dq_feeding(q, add->inputs[1]);
    assert_non_null(dq);
    assert_string_equal(dq->name, "add.input_quantizer/DequantizeLinear");
    /* conv1 reads the same input through its own pair. */
    assert_non_null(dq_feeding(q, node_named(q, "conv1")->inputs[0]));
    assert_string_not_equal(node_named(q, "conv1")->inputs[0], add->inputs[1]);
    nnq_eval_report *r = eval(model, q, data);
    assert_int_equal(r->n_sites, 5);
    const nnq_eval_site *es = eval_site(r, "add.input_quantizer");
    assert_int_equal(es->kind, NNQ_EVAL_SITE_ACTIVATION);
    assert_int_equal(es->count, 9 * 2 * 4 * 4);
    /* Both sites see the model input under the same max calibration. */
    assert_true(es->sqnr_db == eval_site(r, "conv1.input_quantizer")->sqnr_db);
    assert_true(es->clip_fraction == 0.0);
    nnq_eval_report_free(r);
    nnq_graph_free(q);
    nnq_config_free(cfg);
    nnq_graph_free(model);
    free(data);
}

/* A MatMul of two activations (attention scores q·kᵀ) has two input sites
 * and no weight site; the config sees both as its input_quantizer, while
 * --exclude can tell them apart. */
static void test_matmul_two_activations(void **state) {
    fixture *f = *state;
    char *data = write_normal(f->dir, "a.npy", 7, 4, 3, 0);
    nnq_graph *model = load_model(ATTENTION);
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    nnq_ptq *p = NULL;
    NNQ_ASSERT_OK(nnq_ptq_create(model, cfg, NULL, &p));
    assert_int_equal(count_sites_on(p, "scores"), 3);
    nnq_ptq_site_info a = site_named(p, "scores.input_quantizer");
    nnq_ptq_site_info b = site_named(p, "scores.input1_quantizer");
    assert_string_equal(a.tensor, "q");
    assert_string_equal(b.tensor, "kt");
    assert_int_equal(b.kind, NNQ_PTQ_SITE_INPUT);
    assert_true(a.enabled && b.enabled);
    assert_int_equal(site_named(p, "q_proj.weight_quantizer").kind, NNQ_PTQ_SITE_WEIGHT);
    size_t unmatched = 99;
    char *report = NULL;
    NNQ_ASSERT_OK(nnq_ptq_check_config(p, &unmatched, &report));
    nnq_free(report);
    nnq_ptq_free(p);

    const char *ex[] = {"scores.input1_quantizer"};
    nnq_ptq_options o = {.exclude = ex, .n_exclude = 1};
    NNQ_ASSERT_OK(nnq_ptq_create(model, cfg, &o, &p));
    assert_true(site_named(p, "scores.input_quantizer").enabled);
    assert_false(site_named(p, "scores.input1_quantizer").enabled);
    nnq_ptq_free(p);
    nnq_config *off = config_str("quant_cfg:\n  \"scores.input_quantizer\": {enable: false}\n");
    NNQ_ASSERT_OK(nnq_ptq_create(model, off, NULL, &p));
    assert_false(site_named(p, "scores.input_quantizer").enabled);
    assert_false(site_named(p, "scores.input1_quantizer").enabled);
    nnq_ptq_free(p);
    nnq_config_free(off);

    nnq_graph *q = quantize(model, cfg, NULL, data);
    const nnq_node *mm = node_named(q, "scores");
    const nnq_node *dq = dq_feeding(q, mm->inputs[1]);
    assert_non_null(dq);
    assert_string_equal(dq->name, "scores.input1_quantizer/DequantizeLinear");
    assert_non_null(dq_feeding(q, mm->inputs[0]));
    nnq_eval_report *r = eval(model, q, data);
    const nnq_eval_site *es = eval_site(r, "scores.input1_quantizer");
    assert_int_equal(es->kind, NNQ_EVAL_SITE_ACTIVATION);
    assert_int_equal(es->count, 7 * 4 * 3);
    assert_true(es->sqnr_db > 30.0 && isfinite(es->sqnr_db));
    for (size_t i = 0; i < r->n_sites; i++)
        assert_string_not_equal(r->sites[i].name, "scores.weight_quantizer");
    nnq_eval_report_free(r);
    nnq_graph_free(q);
    nnq_config_free(cfg);
    nnq_graph_free(model);
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sites_int8_preset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qdq_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calib_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_formats_and_fallbacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclude_keep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_site_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_weight_sites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_weight_sites_bundled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quantize_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matmul_two_activations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
