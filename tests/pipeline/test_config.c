/*
 * test_config.c - quantization configs: precedence, wildcards, null
 * disabling, presets, YAML == JSON, canonical dumps, near-miss reports.
 * Bad input lives in test_config_hostile.c.
 *
 * Expected values are derived by hand from the precedence documented in
 * docs/configuration.md (global < op_type < model_input < quant_cfg in
 * order < node_name).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/config.h"
#include "pipeline/ptq.h"

#define CONFIGS NNQ_TEST_DATA_DIR "/configs/"
#define PRESETS NNQ_SOURCE_DIR "/presets"
#define MODEL NNQ_SOURCE_DIR "/examples/fmnist_cnn.onnx"
#define GI NNQ_CONFIG_SITE_GRAPH_INPUT

static nnq_config *load(const char *path) {
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_file(path, NNQ_CONFIG_FORMAT_AUTO, &cfg));
    return cfg;
}

static nnq_config *load_str(const char *text) {
    nnq_config *cfg = NULL;
    NNQ_ASSERT_OK(nnq_config_load_string(text, strlen(text), NNQ_CONFIG_FORMAT_AUTO, NULL, &cfg));
    return cfg;
}

/* Resolve "<node>.<kind>" for a node of op type `op`, with site flags. */
static nnq_site_attrs resolve_flags(const nnq_config *cfg, const char *node, const char *kind,
                                    const char *op, uint32_t flags) {
    char site[256];
    snprintf(site, sizeof(site), "%s.%s", node, kind);
    nnq_config_site cs = {site, op, node, flags};
    nnq_site_attrs a;
    NNQ_ASSERT_OK(nnq_config_resolve_site(cfg, &cs, &a));
    return a;
}

static nnq_site_attrs resolve(const nnq_config *cfg, const char *node, const char *kind,
                              const char *op) {
    char site[256];
    snprintf(site, sizeof(site), "%s.%s", node, kind);
    nnq_site_attrs a, b;
    NNQ_ASSERT_OK(nnq_config_resolve(cfg, site, op, node, &a));
    /* The flag-less entry point is resolve_site with flags 0. */
    b = resolve_flags(cfg, node, kind, op, 0);
    assert_memory_equal(&a, &b, sizeof a);
    return a;
}

/* ------------------------------------------------------------------------ */
/* Precedence                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *node, *kind, *op;
    uint32_t flags; /* GI: the site quantizes a graph input */
    bool enable;
    int bits;
    int n_axes, axis0;
    int64_t block; /* 0: none */
    nnq_site_calib calib;
    const char *why;
} prec_case;

static const prec_case prec_cases[] = {
    {"conv1", "input_quantizer", "Conv", 0, true, 8, 0, 0, 0, NNQ_SITE_CALIB_PERCENTILE,
     "global input, then pattern conv[0-9].input_quantizer"},
    {"conv1", "weight_quantizer", "Conv", 0, true, 8, 1, 0, 0, NNQ_SITE_CALIB_MAX,
     "global weight only"},
    {"conv1", "output_quantizer", "Conv", 0, false, 8, 0, 0, 0, NNQ_SITE_CALIB_MAX,
     "nothing enables outputs; *.output_quantizer disables"},
    {"fc1", "weight_quantizer", "Gemm", 0, true, 4, 0, 0, 32, NNQ_SITE_CALIB_MSE,
     "op_type Gemm overrides global; *fc* adds mse"},
    {"fc2", "weight_quantizer", "Gemm", 0, true, 6, 0, 0, 16, NNQ_SITE_CALIB_MSE,
     "later pattern sets 6 bits; node_name fc2 has the last word on block_size"},
    {"fc2", "input_quantizer", "Gemm", 0, true, 8, 0, 0, 0, NNQ_SITE_CALIB_MSE,
     "op_type Gemm has no input entry; *fc* pattern"},
    {"mm", "weight_quantizer", "MatMul", 0, false, 8, 1, 0, 0, NNQ_SITE_CALIB_MAX,
     "op_type MatMul: null disables but keeps global's attributes"},
    {"head1", "input_quantizer", "Gemm", 0, true, 16, 0, 0, 0, NNQ_SITE_CALIB_ENTROPY,
     "head?.* null disables; node_name head1 re-enables with 16 bits"},
    {"head1", "weight_quantizer", "Gemm", 0, false, 4, 0, 0, 32, NNQ_SITE_CALIB_MAX,
     "head?.* null after op_type Gemm"},
    {"headX2", "weight_quantizer", "Gemm", 0, true, 4, 0, 0, 32, NNQ_SITE_CALIB_MAX,
     "? matches exactly one character"},
    {"relu1", "output_quantizer", "Relu", 0, false, 8, 0, 0, 0, NNQ_SITE_CALIB_MAX,
     "no entry reaches it"},
    {"relu1", "input_quantizer", NULL, 0, true, 8, 0, 0, 0, NNQ_SITE_CALIB_ENTROPY,
     "op type unknown: global still applies"},
    {"a.b/mm", "weight_quantizer", "MatMul", 0, false, 8, 1, 0, 0, NNQ_SITE_CALIB_MAX,
     "node names may contain dots; op_type MatMul null"},
    {"relu1", "input_quantizer", NULL, GI, true, 7, 0, 0, 0, NNQ_SITE_CALIB_MAX,
     "graph input: model_input overrides global"},
    {"relu2", "input_quantizer", "Relu", 0, true, 6, 0, 0, 0, NNQ_SITE_CALIB_PERCENTILE,
     "not a graph input: op_type Relu, model_input skipped"},
    {"relu2", "input_quantizer", "Relu", GI, true, 7, 0, 0, 0, NNQ_SITE_CALIB_MAX,
     "graph input: model_input overrides op_type"},
    {"conv1", "input_quantizer", "Conv", GI, true, 7, 0, 0, 0, NNQ_SITE_CALIB_PERCENTILE,
     "model_input 7 bits, then pattern conv[0-9].input_quantizer's calib_method"},
    {"fc2", "input_quantizer", "Gemm", GI, true, 7, 0, 0, 0, NNQ_SITE_CALIB_MSE,
     "model_input 7 bits, then pattern *fc* mse"},
    {"head1", "input_quantizer", "Gemm", GI, true, 16, 0, 0, 0, NNQ_SITE_CALIB_MAX,
     "model_input, head?.* null disables, node_name head1 re-enables with 16 bits"},
    {"conv1", "weight_quantizer", "Conv", GI, true, 8, 1, 0, 0, NNQ_SITE_CALIB_MAX,
     "model_input has no weight entry"},
    {"relu1", "output_quantizer", "Relu", GI, false, 8, 0, 0, 0, NNQ_SITE_CALIB_MAX,
     "model_input has no output entry"},
};

static void check_precedence(const nnq_config *cfg) {
    for (size_t i = 0; i < NNQ_ARRAY_LEN(prec_cases); i++) {
        const prec_case *c = &prec_cases[i];
        nnq_site_attrs a = resolve_flags(cfg, c->node, c->kind, c->op, c->flags);
        print_message("case %zu: %s.%s%s (%s)\n", i, c->node, c->kind,
                      c->flags ? " [graph input]" : "", c->why);
        assert_int_equal(a.enable, c->enable);
        assert_int_equal(a.format, NNQ_SITE_FORMAT_INT);
        assert_int_equal(a.num_bits, c->bits);
        assert_int_equal(a.n_axes, c->n_axes);
        if (c->n_axes) assert_int_equal(a.axes[0], c->axis0);
        assert_int_equal(a.n_block, c->block ? 1 : 0);
        if (c->block) assert_int_equal(a.block[0], c->block);
        assert_int_equal(a.calib_method, c->calib);
    }
}

static void test_precedence_yaml(void **state) {
    (void)state;
    nnq_config *cfg = load(CONFIGS "precedence.yaml");
    check_precedence(cfg);
    nnq_site_attrs a = resolve(cfg, "conv1", "input_quantizer", "Conv");
    assert_true(a.percentile == 99.9);
    assert_true(a.set & (1u << NNQ_SITE_ATTR_PERCENTILE));
    assert_false(a.set & (1u << NNQ_SITE_ATTR_AMAX));
    nnq_config_free(cfg);
}

static void test_precedence_json(void **state) {
    (void)state;
    nnq_config *cfg = load(CONFIGS "precedence.json");
    check_precedence(cfg);
    nnq_config_free(cfg);
}

/* Both syntaxes must give the same canonical dump and the same sites. */
static void test_yaml_json_identical(void **state) {
    (void)state;
    nnq_config *y = load(CONFIGS "precedence.yaml");
    nnq_config *j = load(CONFIGS "precedence.json");
    char *dy, *dj;
    NNQ_ASSERT_OK(nnq_config_dump(y, &dy));
    NNQ_ASSERT_OK(nnq_config_dump(j, &dj));
    assert_string_equal(dy, dj);
    for (size_t i = 0; i < NNQ_ARRAY_LEN(prec_cases); i++) {
        const prec_case *c = &prec_cases[i];
        char site[128], *sy, *sj;
        snprintf(site, sizeof(site), "%s.%s", c->node, c->kind);
        nnq_config_site cs = {site, c->op, c->node, c->flags};
        NNQ_ASSERT_OK(nnq_config_describe(y, &cs, &sy));
        NNQ_ASSERT_OK(nnq_config_describe(j, &cs, &sj));
        assert_string_equal(sy, sj);
        nnq_free(sy);
        nnq_free(sj);
    }
    nnq_free(dy);
    nnq_free(dj);
    nnq_config_free(y);
    nnq_config_free(j);
}

/* The full describe output of one site, to pin the canonical form. */
static void test_describe_site(void **state) {
    (void)state;
    nnq_config *cfg = load(CONFIGS "precedence.yaml");
    char *s;
    NNQ_ASSERT_OK(nnq_config_describe_site(cfg, "fc2.weight_quantizer", "Gemm", "fc2", &s));
    assert_string_equal(s, "{\"enable\": true, \"format\": \"int\", \"num_bits\": 6, "
                           "\"axis\": null, \"block_size\": [16], \"unsigned\": false, "
                           "\"narrow_range\": true, \"mode\": \"linear_symmetric\", "
                           "\"calib_method\": \"mse\", \"percentile\": 99.99, "
                           "\"num_bins\": 2048, \"amax\": null, \"fake\": true}");
    nnq_free(s);
    nnq_config_free(cfg);
}

/* model_input's place in the canonical dump (between op_type and quant_cfg,
 * as in precedence) and its survival of a dump / load round trip. */
static void test_model_input_dump(void **state) {
    (void)state;
    nnq_config *cfg = load(CONFIGS "precedence.yaml");
    char *d1, *d2;
    NNQ_ASSERT_OK(nnq_config_dump(cfg, &d1));
    const char *op = strstr(d1, "\n  \"op_type\": ");
    const char *mi = strstr(d1, "\n  \"model_input\": {\"input_quantizer\": {\"enable\": true, "
                                "\"format\": \"int\", \"num_bits\": 7, \"calib_method\": "
                                "\"max\"}},\n");
    const char *qc = strstr(d1, "\n  \"quant_cfg\": ");
    assert_non_null(op);
    assert_non_null(mi);
    assert_non_null(qc);
    assert_true(op < mi && mi < qc);
    nnq_config *again = NULL;
    NNQ_ASSERT_OK(nnq_config_load_string(d1, strlen(d1), NNQ_CONFIG_FORMAT_JSON, "dump", &again));
    NNQ_ASSERT_OK(nnq_config_dump(again, &d2));
    assert_string_equal(d1, d2);
    check_precedence(again);
    nnq_free(d1);
    nnq_free(d2);
    nnq_config_free(again);
    nnq_config_free(cfg);
    /* Null and empty sections have no entry to dump. */
    cfg = load_str("model_input: null\nglobal: {}");
    NNQ_ASSERT_OK(nnq_config_dump(cfg, &d1));
    assert_null(strstr(d1, "model_input"));
    assert_false(resolve_flags(cfg, "in", "input_quantizer", "Conv", GI).enable);
    nnq_free(d1);
    nnq_config_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* Wildcards                                                                 */
/* ------------------------------------------------------------------------ */

static void test_glob_table(void **state) {
    (void)state;
    static const struct {
        const char *pattern, *text;
        bool match;
    } cases[] = {
        {"", "", true},
        {"", "a", false},
        {"*", "", true},
        {"*", "conv1.weight_quantizer", true},
        {"?", "", false},
        {"?", "x", true},
        {"?", "xy", false},
        {"*weight_quantizer", "conv1.weight_quantizer", true},
        {"*weight_quantizer", "conv1.weight_quantizer2", false},
        {"*.input_quantizer", "input_quantizer", false},
        {"conv?.*", "conv1.output_quantizer", true},
        {"conv?.*", "conv12.output_quantizer", false},
        {"*a*b*", "xxaxxbxx", true},
        {"*a*b*", "xxbxxaxx", false},
        {"a**b", "ab", true},
        {"a**b", "axyzb", true},
        {"[abc]1", "b1", true},
        {"[abc]1", "d1", false},
        {"[a-c]1", "c1", true},
        {"[!a-c]1", "c1", false},
        {"[!a-c]1", "d1", true},
        {"[^a-c]1", "d1", true},
        {"[]]", "]", true},
        {"[a-]", "-", true},
        {"\\*x", "*x", true},
        {"\\*x", "ax", false},
        {"/fc1/Gemm.*", "/fc1/Gemm.weight_quantizer", true},
        {"*lm_head*", "model.lm_head.weight_quantizer", true},
        {"*.*.*", "a.b", false},
        {"*?", "", false},
        {"*?", "a", true},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        cfg_glob *g;
        const char *why;
        NNQ_ASSERT_OK(cfg_glob_compile(cases[i].pattern, &g, &why));
        if (cfg_glob_match(g, cases[i].text) != cases[i].match)
            fail_msg("pattern '%s' on '%s': expected %s", cases[i].pattern, cases[i].text,
                     cases[i].match ? "match" : "no match");
        /* Distance 0 and a match must agree. */
        assert_int_equal(cfg_glob_distance(g, cases[i].text) == 0, cases[i].match);
        cfg_glob_free(g);
    }
}

static void test_glob_bad(void **state) {
    (void)state;
    static const char *const bad[] = {"[abc", "x\\", "[z-a]", "["};
    for (size_t i = 0; i < NNQ_ARRAY_LEN(bad); i++) {
        cfg_glob *g = NULL;
        const char *why = NULL;
        assert_int_equal(cfg_glob_compile(bad[i], &g, &why), NNQ_STATUS_INVALID_FORMAT);
        assert_null(g);
        assert_non_null(why);
    }
}

static void test_distances(void **state) {
    (void)state;
    /* Hand-computed: kitten -> sitting is the textbook 3 (k->s, e->i, +g). */
    assert_int_equal(cfg_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(cfg_edit_distance("", "abc"), 3);
    assert_int_equal(cfg_edit_distance("Gemn", "Gemm"), 1);
    assert_int_equal(cfg_edit_distance("same", "same"), 0);
    static const struct {
        const char *pattern, *text;
        size_t d;
    } cases[] = {
        {"*wieght_quantizer", "conv1.weight_quantizer", 2}, /* ie <-> ei: two substitutions */
        {"abc", "", 3},
        {"a*c", "abxyc", 0},
        {"a?c", "ac", 1},
        {"conv[0-9]", "convX", 1},
        {"*", "anything", 0},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        cfg_glob *g;
        const char *why;
        NNQ_ASSERT_OK(cfg_glob_compile(cases[i].pattern, &g, &why));
        assert_int_equal(cfg_glob_distance(g, cases[i].text), cases[i].d);
        cfg_glob_free(g);
    }
}

/* ------------------------------------------------------------------------ */
/* Null, enable, aliases and ModelOpt-style configs                          */
/* ------------------------------------------------------------------------ */

static void test_modelopt_style(void **state) {
    (void)state;
    nnq_config *cfg = load(CONFIGS "modelopt_style.yaml");
    nnq_site_attrs w = resolve(cfg, "fc1", "weight_quantizer", "Gemm");
    assert_true(w.enable);
    assert_int_equal(w.format, NNQ_SITE_FORMAT_FP8_E4M3);
    assert_int_equal(w.num_bits, 8);
    nnq_site_attrs in = resolve(cfg, "fc1", "input_quantizer", "Gemm");
    assert_true(in.enable); /* via the *w alias */
    assert_int_equal(in.format, NNQ_SITE_FORMAT_FP8_E4M3);
    assert_false(resolve(cfg, "fc1", "output_quantizer", "Gemm").enable);
    assert_false(resolve(cfg, "model.lm_head", "weight_quantizer", "MatMul").enable);
    nnq_config_free(cfg);
}

static void test_null_and_enable(void **state) {
    (void)state;
    static const struct {
        const char *yaml;
        bool enable;
    } cases[] = {
        {"", false},                                                  /* empty config */
        {"quant_cfg: {'*': {}}", true},                               /* a mapping enables */
        {"quant_cfg: {'*': null}", false},                            /* null disables */
        {"quant_cfg: {'*': ~}", false},                               /* YAML's other null */
        {"quant_cfg: {'*': {num_bits: 4, enable: false}}", false},    /* explicit wins */
        {"quant_cfg: {'*': null, '*weight*': {fake: false}}", true},  /* later re-enables */
        {"global: null\nquant_cfg:\n", false},                        /* empty sections */
        {"global: {weight_quantizer: {}}\nop_type: {Conv: null}", false},
        {"global: {weight_quantizer: {}}\nop_type: {Gemm: null}", true}, /* other op type */
        {"node_name: {conv1: {weight_quantizer: {enable: true}}}", true},
        {"{\"quant_cfg\": {\"*\": null}}", false},                    /* JSON by content */
        {"node_name: {0: {weight_quantizer: {}}}", false},  /* key 0 is the text "0" */
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        print_message("case %zu: %s\n", i, cases[i].yaml);
        nnq_config *cfg = load_str(cases[i].yaml);
        assert_int_equal(resolve(cfg, "conv1", "weight_quantizer", "Conv").enable, cases[i].enable);
        nnq_config_free(cfg);
    }
}

/* Every attribute and its aliases, one entry each. */
static void test_attribute_values(void **state) {
    (void)state;
    nnq_config *cfg = load_str(
        "quant_cfg:\n"
        "  'a.*': {num_bits: [5, 2], axis: [0, -1], unsigned: false, narrow_range: false}\n"
        "  'b.*': {format: nf4, num_bits: 4, block_size: [1, 64], symmetric: false}\n"
        "  'c.*': {num_bits: 16, mode: linear, calib_method: ema_percentile, percentile: 99.5}\n"
        "  'd.*': {num_bits: [2, 1], amax: 2.5, fake: false, num_bins: 4096}\n"
        "  'e.*': {format: nvfp4}\n"
        "  'f.*': {format: mxfp8, block_size: 32, amax: 1.0e-3}\n"
        "  'g.*': {num_bits: 1, unsigned: true, symmetric: true, mode: linear_symmetric}\n");
    nnq_site_attrs a = resolve(cfg, "a", "weight_quantizer", NULL);
    assert_int_equal(a.format, NNQ_SITE_FORMAT_FP8_E5M2);
    assert_int_equal(a.n_axes, 2);
    assert_int_equal(a.axes[1], -1);
    assert_false(a.narrow_range);
    nnq_site_attrs b = resolve(cfg, "b", "weight_quantizer", NULL);
    assert_int_equal(b.format, NNQ_SITE_FORMAT_NF4);
    assert_int_equal(b.num_bits, 4);
    assert_int_equal(b.n_block, 2);
    assert_int_equal(b.block[1], 64);
    assert_false(b.symmetric);
    nnq_site_attrs c = resolve(cfg, "c", "input_quantizer", NULL);
    assert_int_equal(c.num_bits, 16);
    assert_false(c.symmetric);
    assert_int_equal(c.calib_method, NNQ_SITE_CALIB_EMA_PERCENTILE);
    assert_true(c.percentile == 99.5);
    nnq_site_attrs d = resolve(cfg, "d", "weight_quantizer", NULL);
    assert_int_equal(d.format, NNQ_SITE_FORMAT_FP4_E2M1);
    assert_int_equal(d.num_bits, 4);
    assert_true(d.has_amax && d.amax == 2.5f);
    assert_false(d.fake);
    assert_int_equal(d.num_bins, 4096);
    nnq_site_attrs e = resolve(cfg, "e", "weight_quantizer", NULL);
    assert_int_equal(e.format, NNQ_SITE_FORMAT_NVFP4);
    assert_int_equal(e.n_block, 0); /* the format's own 16 applies */
    nnq_site_attrs f = resolve(cfg, "f", "weight_quantizer", NULL);
    assert_true(f.amax == 1.0e-3f);
    nnq_site_attrs g = resolve(cfg, "g", "weight_quantizer", NULL);
    assert_int_equal(g.num_bits, 1);
    assert_true(g.is_unsigned);
    /* Dump pins the canonical spelling of aliases. */
    char *dump;
    NNQ_ASSERT_OK(nnq_config_dump(cfg, &dump));
    assert_non_null(strstr(dump, "\"a.*\": {\"enable\": true, \"format\": \"fp8_e5m2\", "
                                 "\"num_bits\": 8, \"axis\": [0, -1], \"unsigned\": false, "
                                 "\"narrow_range\": false}"));
    assert_non_null(strstr(dump, "\"d.*\": {\"enable\": true, \"format\": \"fp4_e2m1\", "
                                 "\"num_bits\": 4, \"num_bins\": 4096, \"amax\": 2.5, "
                                 "\"fake\": false}"));
    assert_non_null(strstr(dump, "\"f.*\": {\"enable\": true, \"format\": \"mxfp8\", "
                                 "\"num_bits\": 8, \"block_size\": [32], \"amax\": 0.001}"));
    assert_non_null(strstr(dump, "\"mode\": \"linear\", \"calib_method\": \"ema_percentile\", "
                                 "\"percentile\": 99.5"));
    nnq_free(dump);
    nnq_config_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* Presets                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    /* weight of a Conv, of a MatMul, and an input */
    bool w_enable;
    nnq_site_format w_format;
    int w_bits;
    int conv_axis;   /* -100: per-tensor */
    int matmul_axis; /* -100: per-tensor */
    int64_t w_block;
    bool w_unsigned, w_symmetric;
    bool in_enable;
    nnq_site_format in_format;
    bool in_unsigned, in_symmetric;
    nnq_site_calib in_calib;
} preset_case;

#define PT (-100)
static const preset_case preset_cases[] = {
    {"int8", true, NNQ_SITE_FORMAT_INT, 8, 0, 1, 0, false, true, true, NNQ_SITE_FORMAT_INT, false,
     true, NNQ_SITE_CALIB_ENTROPY},
    {"int8-max", true, NNQ_SITE_FORMAT_INT, 8, 0, 1, 0, false, true, true, NNQ_SITE_FORMAT_INT,
     false, true, NNQ_SITE_CALIB_MAX},
    {"w8a8-affine", true, NNQ_SITE_FORMAT_INT, 8, 0, 1, 0, false, true, true, NNQ_SITE_FORMAT_INT,
     true, false, NNQ_SITE_CALIB_MIN_MAX},
    {"int8-weight-only", true, NNQ_SITE_FORMAT_INT, 8, 0, 1, 0, false, true, false,
     NNQ_SITE_FORMAT_INT, false, true, NNQ_SITE_CALIB_MAX},
    {"int4-weight-only", true, NNQ_SITE_FORMAT_INT, 4, PT, PT, 128, false, true, false,
     NNQ_SITE_FORMAT_INT, false, true, NNQ_SITE_CALIB_MAX},
    {"int4-weight-only-b32", true, NNQ_SITE_FORMAT_INT, 4, PT, PT, 32, false, true, false,
     NNQ_SITE_FORMAT_INT, false, true, NNQ_SITE_CALIB_MAX},
    {"int4-weight-only-zp", true, NNQ_SITE_FORMAT_INT, 4, PT, PT, 128, true, false, false,
     NNQ_SITE_FORMAT_INT, false, true, NNQ_SITE_CALIB_MAX},
    {"fp8", true, NNQ_SITE_FORMAT_FP8_E4M3, 8, PT, PT, 0, false, true, true,
     NNQ_SITE_FORMAT_FP8_E4M3, false, true, NNQ_SITE_CALIB_MAX},
};

static void check_axis(const nnq_site_attrs *a, int want) {
    if (want == PT) {
        assert_int_equal(a->n_axes, 0);
    } else {
        assert_int_equal(a->n_axes, 1);
        assert_int_equal(a->axes[0], want);
    }
}

static void test_presets(void **state) {
    (void)state;
    for (size_t i = 0; i < NNQ_ARRAY_LEN(preset_cases); i++) {
        const preset_case *c = &preset_cases[i];
        print_message("preset %s\n", c->name);
        nnq_config *cfg = NULL;
        NNQ_ASSERT_OK(nnq_config_load_preset(c->name, "/nonexistent:" PRESETS, &cfg));
        nnq_site_attrs w = resolve(cfg, "/conv1/Conv", "weight_quantizer", "Conv");
        assert_int_equal(w.enable, c->w_enable);
        assert_int_equal(w.format, c->w_format);
        assert_int_equal(w.num_bits, c->w_bits);
        check_axis(&w, c->conv_axis);
        assert_int_equal(w.n_block, c->w_block ? 1 : 0);
        if (c->w_block) assert_int_equal(w.block[0], c->w_block);
        assert_int_equal(w.is_unsigned, c->w_unsigned);
        assert_int_equal(w.symmetric, c->w_symmetric);
        nnq_site_attrs m = resolve(cfg, "/mm/MatMul", "weight_quantizer", "MatMul");
        check_axis(&m, c->matmul_axis);
        nnq_site_attrs g = resolve(cfg, "/fc1/Gemm", "weight_quantizer", "Gemm");
        check_axis(&g, c->conv_axis);
        nnq_site_attrs in = resolve(cfg, "/fc1/Gemm", "input_quantizer", "Gemm");
        assert_int_equal(in.enable, c->in_enable);
        /* A model input may calibrate differently, never change type. */
        nnq_site_attrs gi = resolve_flags(cfg, "/fc1/Gemm", "input_quantizer", "Gemm", GI);
        assert_int_equal(gi.enable, in.enable);
        assert_int_equal(gi.format, in.format);
        assert_int_equal(gi.num_bits, in.num_bits);
        assert_int_equal(gi.is_unsigned, in.is_unsigned);
        assert_int_equal(gi.symmetric, in.symmetric);
        if (c->in_enable) {
            assert_int_equal(in.format, c->in_format);
            assert_int_equal(in.n_axes, 0);
            assert_int_equal(in.is_unsigned, c->in_unsigned);
            assert_int_equal(in.symmetric, c->in_symmetric);
            assert_int_equal(in.calib_method, c->in_calib);
        }
        assert_false(resolve(cfg, "/fc1/Gemm", "output_quantizer", "Gemm").enable);
        /* The canonical dump loads back to the same dump. */
        char *d1, *d2;
        nnq_config *again = NULL;
        NNQ_ASSERT_OK(nnq_config_dump(cfg, &d1));
        NNQ_ASSERT_OK(nnq_config_load_string(d1, strlen(d1), NNQ_CONFIG_FORMAT_JSON, "dump", &again));
        NNQ_ASSERT_OK(nnq_config_dump(again, &d2));
        assert_string_equal(d1, d2);
        nnq_free(d1);
        nnq_free(d2);
        nnq_config_free(again);
        nnq_config_free(cfg);
    }
}

static void test_preset_lookup(void **state) {
    (void)state;
    nnq_config *cfg = NULL;
    /* By path rather than name. */
    NNQ_ASSERT_OK(nnq_config_load_preset(PRESETS "/fp8.yaml", NULL, &cfg));
    nnq_config_free(cfg);
    /* Through the environment. */
    setenv("NNQ_PRESET_PATH", PRESETS, 1);
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", NULL, &cfg));
    nnq_config_free(cfg);
    unsetenv("NNQ_PRESET_PATH");
    NNQ_ASSERT_FAILS(nnq_config_load_preset("int3", PRESETS, &cfg), NNQ_STATUS_UNKNOWN_NAME,
                     "no preset named 'int3' (found: ");
    assert_non_null(strstr(nnq_last_error(), "int8-weight-only"));
    assert_null(cfg);
    NNQ_ASSERT_FAILS(nnq_config_load_preset("..x", PRESETS, &cfg), NNQ_STATUS_INVALID_ARGUMENT,
                     "preset name '..x' may only use");
    NNQ_ASSERT_FAILS(nnq_config_load_preset("a b", PRESETS, &cfg), NNQ_STATUS_INVALID_ARGUMENT,
                     "may only use letters");
    NNQ_ASSERT_FAILS(nnq_config_load_preset("", PRESETS, &cfg), NNQ_STATUS_INVALID_ARGUMENT,
                     "preset name ''");
    NNQ_ASSERT_FAILS(nnq_config_load_preset("/no/such/file.yaml", NULL, &cfg),
                     NNQ_STATUS_NOT_FOUND, "config '/no/such/file.yaml': cannot open");
}

/* ------------------------------------------------------------------------ */
/* Near-miss report                                                          */
/* ------------------------------------------------------------------------ */

static void test_check_sites(void **state) {
    (void)state;
    /* Sites of examples/fmnist_cnn.onnx's quantizable nodes. */
    static const nnq_config_site sites[] = {
        {"/conv1/Conv.input_quantizer", "Conv", "/conv1/Conv", GI},
        {"/conv1/Conv.weight_quantizer", "Conv", "/conv1/Conv", 0},
        {"/conv2/Conv.input_quantizer", "Conv", "/conv2/Conv", 0},
        {"/conv2/Conv.weight_quantizer", "Conv", "/conv2/Conv", 0},
        {"/fc1/Gemm.input_quantizer", "Gemm", "/fc1/Gemm", 0},
        {"/fc1/Gemm.weight_quantizer", "Gemm", "/fc1/Gemm", 0},
        {"/fc2/Gemm.weight_quantizer", "Gemm", "/fc2/Gemm", 0},
    };
    nnq_config *cfg = load(CONFIGS "typo.yaml");
    size_t n = 0;
    char *report;
    NNQ_ASSERT_OK(nnq_config_check_sites(cfg, sites, NNQ_ARRAY_LEN(sites), &n, &report));
    print_message("%s", report);
    assert_int_equal(n, 4);
    assert_non_null(strstr(report, "line 3 column 3: op_type key 'Gemn' matches no op type; "
                                   "nearest: 'Gemm'\n"));
    assert_non_null(strstr(report, "quant_cfg pattern '*wieght_quantizer' matches no site; "
                                   "nearest: '/conv1/Conv.weight_quantizer', "
                                   "'/conv2/Conv.weight_quantizer', '/fc1/Gemm.weight_quantizer'\n"));
    assert_non_null(strstr(report, "quant_cfg pattern '*attention*' matches no site; no site "
                                   "name is close\n"));
    assert_non_null(strstr(report, "node_name key '/conv3/Conv' matches no node name; nearest: "
                                   "'/conv1/Conv', '/conv2/Conv'\n"));
    assert_null(strstr(report, "'Conv'"));
    assert_null(strstr(report, "*fc1*"));
    nnq_free(report);
    /* No sites: every entry is reported. */
    NNQ_ASSERT_OK(nnq_config_check_sites(cfg, sites, 0, &n, &report));
    assert_int_equal(n, 6);
    nnq_free(report);
    nnq_config_free(cfg);
    cfg = load_str("quant_cfg: {'*': {}}");
    NNQ_ASSERT_OK(nnq_config_check_sites(cfg, sites, NNQ_ARRAY_LEN(sites), &n, &report));
    assert_int_equal(n, 0);
    assert_string_equal(report, "");
    nnq_free(report);
    nnq_config_free(cfg);
}

/* model_input reaches a site only through the graph-input flag, and only
 * one of a kind it names. */
static void test_check_sites_model_input(void **state) {
    (void)state;
    nnq_config_site sites[] = {
        {"/conv1/Conv.input_quantizer", "Conv", "/conv1/Conv", 0},
        {"/conv1/Conv.weight_quantizer", "Conv", "/conv1/Conv", 0},
    };
    static const struct {
        const char *yaml;
        uint32_t input_flags;
        size_t unmatched;
    } cases[] = {
        {"model_input: {input_quantizer: {}}", 0, 1},
        {"model_input: {input_quantizer: {}}", GI, 0},
        {"model_input: {weight_quantizer: {}}", GI, 1}, /* the flagged site is an input */
        {"model_input: null", 0, 0},                    /* an empty section reaches nothing */
        {"model_input:\n  output_quantizer: null\n  input_quantizer: {}", GI, 0},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        print_message("case %zu: %s\n", i, cases[i].yaml);
        sites[0].flags = cases[i].input_flags;
        nnq_config *cfg = load_str(cases[i].yaml);
        size_t n = 99;
        char *report;
        NNQ_ASSERT_OK(nnq_config_check_sites(cfg, sites, NNQ_ARRAY_LEN(sites), &n, &report));
        assert_int_equal(n, cases[i].unmatched);
        if (n)
            assert_string_equal(report, "config '<string>' line 1 column 14: model_input section "
                                        "matches no site; no site of the kinds it names "
                                        "quantizes a graph input\n");
        else
            assert_string_equal(report, "");
        nnq_free(report);
        nnq_config_free(cfg);
    }
}

/* The planner flags the bundled model's input: under the int8 preset its
 * one graph-input site (conv1's input, normalized pixels) calibrates by max,
 * while conv2's input, a post-ReLU activation, keeps entropy. */
static void test_int8_preset_model_input(void **state) {
    (void)state;
    nnq_graph *g = NULL;
    nnq_config *cfg = NULL;
    nnq_ptq *p = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    NNQ_ASSERT_OK(nnq_config_load_preset("int8", PRESETS, &cfg));
    NNQ_ASSERT_OK(nnq_ptq_create(g, cfg, NULL, &p));
    int seen = 0;
    for (size_t i = 0; i < p->n_sites; i++) {
        const ptq_site *s = &p->sites[i];
        if (s->kind != NNQ_SITE_INPUT) continue;
        print_message("%s: %s\n", s->name, nnq_site_calib_name(s->attrs.calib_method));
        assert_true(s->enabled);
        bool model_input = strcmp(s->name, "/conv1/Conv.input_quantizer") == 0;
        seen += model_input;
        assert_int_equal(s->attrs.calib_method,
                         model_input ? NNQ_SITE_CALIB_MAX : NNQ_SITE_CALIB_ENTROPY);
    }
    assert_int_equal(seen, 1);
    /* The preset's model_input section reaches a site of this model. */
    size_t n = 99;
    char *report;
    NNQ_ASSERT_OK(nnq_ptq_check_config(p, &n, &report));
    assert_null(strstr(report, "model_input"));
    nnq_free(report);
    nnq_ptq_free(p);
    nnq_config_free(cfg);
    nnq_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence_yaml),
        cmocka_unit_test(test_precedence_json),
        cmocka_unit_test(test_yaml_json_identical),
        cmocka_unit_test(test_describe_site),
        cmocka_unit_test(test_model_input_dump),
        cmocka_unit_test(test_glob_table),
        cmocka_unit_test(test_glob_bad),
        cmocka_unit_test(test_distances),
        cmocka_unit_test(test_modelopt_style),
        cmocka_unit_test(test_null_and_enable),
        cmocka_unit_test(test_attribute_values),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_preset_lookup),
        cmocka_unit_test(test_check_sites),
        cmocka_unit_test(test_check_sites_model_input),
        cmocka_unit_test(test_int8_preset_model_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
