/*
 * test_config_hostile.c - every bad-input path of quantization configs:
 * status, and a message naming the place, the key and the valid values.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/config.h"

typedef struct {
    const char *text;
    nnq_config_format format;
    nnq_status status;
    const char *needle;
} bad_case;

#define Y NNQ_CONFIG_FORMAT_YAML
#define J NNQ_CONFIG_FORMAT_JSON

static const bad_case bad_cases[] = {
    /* unknown keys and values list the valid ones */
    {"global: {weight_quantizer: {num_bit: 8}}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "config 'bad' line 1 column 29: global.weight_quantizer: unknown quantizer attribute "
     "'num_bit' (valid: enable, num_bits, format, axis, block_size, unsigned, narrow_range, "
     "symmetric, mode, calib_method, percentile, num_bins, amax, fake)"},
    {"quantcfg: {}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "line 1 column 1: unknown top-level key 'quantcfg' (valid: version, description, global, "
     "op_type, model_input, quant_cfg, node_name)"},
    {"model_inputs: {}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "unknown top-level key 'model_inputs' (valid: version, description, global, op_type, "
     "model_input, quant_cfg, node_name)"},
    {"model_input: {weights: {num_bits: 8}}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "line 1 column 15: model_input: unknown key 'weights' (valid: input_quantizer, "
     "weight_quantizer, output_quantizer; attributes go under one of them)"},
    {"{\"model_input\": {\"input\": {}}}", J, NNQ_STATUS_UNKNOWN_NAME,
     "model_input: unknown key 'input' (valid: input_quantizer"},
    {"model_input: [input_quantizer]", Y, NNQ_STATUS_INVALID_FORMAT,
     "line 1 column 14: model_input: expected a mapping of input_quantizer / weight_quantizer / "
     "output_quantizer to attributes, or null"},
    {"model_input: {input_quantizer: {calib_method: kl}}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "model_input.input_quantizer.calib_method: unknown value 'kl' (valid: max, min_max"},
    {"global:\n  weights: {num_bits: 8}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "line 2 column 3: global: unknown key 'weights' (valid: input_quantizer, weight_quantizer, "
     "output_quantizer; attributes go under one of them)"},
    {"op_type: {Conv: {num_bits: 8}}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "op_type.\"Conv\": unknown key 'num_bits'"},
    {"quant_cfg: {'*': {format: fp16}}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "quant_cfg.\"*\".format: unknown value 'fp16' (valid: int, fp8_e4m3, fp8_e5m2, fp4_e2m1, "
     "nvfp4, mxfp4, mxfp8, nf4, nf3)"},
    {"quant_cfg: {'*': {calib_method: kl}}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "unknown value 'kl' (valid: max, min_max, moving_average_min_max, ema_min_max, entropy, "
     "mse, percentile, ema_percentile)"},
    {"quant_cfg: {'*': {mode: affine}}", Y, NNQ_STATUS_UNKNOWN_NAME,
     "unknown value 'affine' (valid: linear, linear_symmetric)"},
    /* bit widths */
    {"quant_cfg: {'*': {num_bits: 0}}", Y, NNQ_STATUS_BITS_OUT_OF_RANGE,
     "line 1 column 29: quant_cfg.\"*\".num_bits: 0 bits is not supported (valid: 1 to 8, or 16)"},
    {"quant_cfg: {'*': {num_bits: 17}}", Y, NNQ_STATUS_BITS_OUT_OF_RANGE, "17 bits is not supported"},
    {"quant_cfg: {'*': {num_bits: 9}}", Y, NNQ_STATUS_BITS_OUT_OF_RANGE, "9 bits"},
    {"quant_cfg: {'*': {num_bits: -8}}", Y, NNQ_STATUS_BITS_OUT_OF_RANGE, "-8 bits"},
    {"quant_cfg: {'*': {num_bits: 99999999999999999999999}}", Y, NNQ_STATUS_BITS_OUT_OF_RANGE,
     "bits is not supported"},
    {"quant_cfg: {'*': {num_bits: [3, 4]}}", Y, NNQ_STATUS_BITS_OUT_OF_RANGE,
     "must be [4, 3] (fp8_e4m3), [5, 2] (fp8_e5m2) or [2, 1] (fp4_e2m1)"},
    {"quant_cfg: {'*': {num_bits: '8'}}", Y, NNQ_STATUS_INVALID_FORMAT,
     "num_bits: expected an integer or an [exponent, mantissa] pair, got a string"},
    {"quant_cfg: {'*': {num_bits: 8.0}}", Y, NNQ_STATUS_INVALID_FORMAT, "got a number"},
    {"quant_cfg: {'*': {num_bits: 4, format: fp8_e4m3}}", Y, NNQ_STATUS_INVALID_FORMAT,
     "num_bits and format 'fp8_e4m3' disagree"},
    {"quant_cfg: {'*': {format: nf4, num_bits: 3}}", Y, NNQ_STATUS_INVALID_FORMAT,
     "num_bits and format 'nf4' disagree"},
    {"quant_cfg: {'*': {symmetric: true, mode: linear}}", Y, NNQ_STATUS_INVALID_FORMAT,
     "symmetric: true and mode: linear disagree"},
    /* wrong types and ranges */
    {"quant_cfg: {'*': {enable: yes}}", Y, NNQ_STATUS_INVALID_FORMAT,
     "quant_cfg.\"*\".enable: expected true or false, got a string"},
    {"quant_cfg: {'*': {axis: 8}}", Y, NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis 8 outside [-8, 7]"},
    {"quant_cfg: {'*': {axis: [0, 0]}}", Y, NNQ_STATUS_AXIS_OUT_OF_RANGE, "axis 0 listed twice"},
    {"quant_cfg: {'*': {axis: []}}", Y, NNQ_STATUS_AXIS_OUT_OF_RANGE, "needs 1 to 8 entries, got 0"},
    {"quant_cfg: {'*': {axis: x}}", Y, NNQ_STATUS_INVALID_FORMAT,
     "expected an integer axis, a list of them, or null, got a string"},
    {"quant_cfg: {'*': {block_size: 0}}", Y, NNQ_STATUS_OUT_OF_RANGE,
     "block size 0 outside [1, 2147483648]"},
    {"quant_cfg: {'*': {block_size: {-1: 32}}}", Y, NNQ_STATUS_INVALID_FORMAT, "got a mapping"},
    {"quant_cfg: {'*': {percentile: 0}}", Y, NNQ_STATUS_OUT_OF_RANGE,
     "percentile 0 outside (0, 100]"},
    {"quant_cfg: {'*': {percentile: 100.5}}", Y, NNQ_STATUS_OUT_OF_RANGE, "percentile 100.5"},
    {"quant_cfg: {'*': {percentile: .nan}}", Y, NNQ_STATUS_OUT_OF_RANGE, "percentile nan"},
    {"quant_cfg: {'*': {num_bins: 1}}", Y, NNQ_STATUS_OUT_OF_RANGE, "1 bins outside [2, 1048576]"},
    {"quant_cfg: {'*': {amax: -1}}", Y, NNQ_STATUS_NEGATIVE_AMAX, "amax -1 is negative"},
    {"quant_cfg: {'*': {amax: .inf}}", Y, NNQ_STATUS_OUT_OF_RANGE, "amax inf is not a finite"},
    {"quant_cfg: {'*': {amax: 1e39}}", Y, NNQ_STATUS_OUT_OF_RANGE, "is not a finite float32"},
    {"quant_cfg: {'*': [{num_bits: 4}, {num_bits: 8}]}", Y, NNQ_STATUS_UNSUPPORTED,
     "sequential quantizers) is not supported"},
    {"quant_cfg: {'*': 8}", Y, NNQ_STATUS_INVALID_FORMAT,
     "expected a mapping of quantizer attributes or null, got an integer"},
    {"quant_cfg: [a, b]", Y, NNQ_STATUS_INVALID_FORMAT, "expected a mapping of site-name patterns"},
    {"quant_cfg: {'conv[1': {}}", Y, NNQ_STATUS_INVALID_FORMAT,
     "quant_cfg.\"conv[1\": bad pattern: '[' has no closing ']'"},
    {"[1, 2]", Y, NNQ_STATUS_INVALID_FORMAT, "the top level must be a mapping"},
    {"plain text", Y, NNQ_STATUS_INVALID_FORMAT, "the top level must be a mapping"},
    {"version: 2", Y, NNQ_STATUS_UNSUPPORTED, "version: only version 1 is supported"},
    {"description: [x]", Y, NNQ_STATUS_INVALID_FORMAT, "description: expected a string"},
    /* syntax */
    {"global: {weight_quantizer: [", Y, NNQ_STATUS_INVALID_FORMAT,
     "config 'bad' line 2 column 1: did not find expected node content"},
    {"a: 1\na: 2", Y, NNQ_STATUS_INVALID_FORMAT, "line 2 column 1: duplicate key 'a'"},
    {"a: 1\n---\nb: 2", Y, NNQ_STATUS_INVALID_FORMAT, "line 2: more than one YAML document"},
    {"{[a]: 1}", Y, NNQ_STATUS_INVALID_FORMAT, "mapping keys must be scalars"},
    {"{\"global\": }", J, NNQ_STATUS_INVALID_FORMAT, "config 'bad' line 1 column 12:"},
    {"{\"global\": {}} x", J, NNQ_STATUS_INVALID_FORMAT, "line 1 column 16"},
    {"{\"global\": {}", J, NNQ_STATUS_INVALID_FORMAT, "at end:"},
    {"{\"quant_cfg\": {\"*\": {\"num_bits\": 17}}}", J, NNQ_STATUS_BITS_OUT_OF_RANGE,
     "config 'bad': quant_cfg.\"*\".num_bits: 17 bits is not supported"},
    {"{\"a\": \"x\\u0000y\"}", J, NNQ_STATUS_INVALID_FORMAT, "NUL character"},
    /* aliases */
    {"a: *nope", Y, NNQ_STATUS_INVALID_FORMAT, "alias '*nope' names no complete anchor"},
    {"a: &x [*x]", Y, NNQ_STATUS_INVALID_FORMAT, "alias '*x' names no complete anchor"},
    /* invalid UTF-8 (and NUL) anywhere */
    {"global: \xff", Y, NNQ_STATUS_INVALID_FORMAT,
     "line 1 column 9: byte 0xff at offset 8 is not valid UTF-8"},
    {"a: b\nc: \xc0\xaf", Y, NNQ_STATUS_INVALID_FORMAT, "line 2 column 4: byte 0xc0"}, /* overlong */
    {"a: \xed\xa0\x80", Y, NNQ_STATUS_INVALID_FORMAT, "byte 0xed"},                  /* surrogate */
    {"a: \xf4\x90\x80\x80", Y, NNQ_STATUS_INVALID_FORMAT, "byte 0xf4"},              /* > U+10FFFF */
    {"a: \xe2\x82", Y, NNQ_STATUS_INVALID_FORMAT, "byte 0xe2"},                      /* truncated */
    {"{\"a\": \"\xfe\"}", J, NNQ_STATUS_INVALID_FORMAT, "not valid UTF-8"},
};

static void test_bad_configs(void **state) {
    (void)state;
    for (size_t i = 0; i < NNQ_ARRAY_LEN(bad_cases); i++) {
        const bad_case *c = &bad_cases[i];
        print_message("case %zu: expecting %s\n", i, c->needle);
        nnq_config *cfg = (nnq_config *)&cfg; /* must be reset to NULL */
        NNQ_ASSERT_FAILS(nnq_config_load_string(c->text, strlen(c->text), c->format, "bad", &cfg),
                         c->status, c->needle);
        assert_null(cfg);
    }
}

/* An embedded NUL cannot come through strlen: give the length. */
static void test_nul_byte(void **state) {
    (void)state;
    nnq_config *cfg;
    NNQ_ASSERT_FAILS(nnq_config_load_string("a: b\0c", 6, Y, NULL, &cfg),
                     NNQ_STATUS_INVALID_FORMAT, "config '<string>' line 1 column 5: byte 0x00 at "
                                                "offset 4 is a NUL character");
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail) {
    size_t len = strlen(head) + strlen(unit) * n + strlen(tail);
    char *s = malloc(len + 1);
    assert_non_null(s);
    strcpy(s, head);
    char *p = s + strlen(head);
    for (size_t i = 0; i < n; i++, p += strlen(unit)) memcpy(p, unit, strlen(unit));
    strcpy(p, tail);
    return s;
}

static void test_deep_nesting(void **state) {
    (void)state;
    nnq_config *cfg;
    char *open = repeat("", "[", 100, "");
    char *yaml = repeat(open, "]", 100, "");
    NNQ_ASSERT_FAILS(nnq_config_load_string(yaml, strlen(yaml), Y, NULL, &cfg),
                     NNQ_STATUS_LIMIT_EXCEEDED, "nesting deeper than 32 levels");
    NNQ_ASSERT_FAILS(nnq_config_load_string(yaml, strlen(yaml), J, NULL, &cfg),
                     NNQ_STATUS_LIMIT_EXCEEDED, "nesting");
    free(open);
    free(yaml);
    /* Block-style nesting (indentation) hits the same limit. */
    cfg = NULL;
    char *block = malloc(64 * 100);
    assert_non_null(block);
    size_t len = 0;
    for (int d = 0; d < 40; d++) len += (size_t)sprintf(block + len, "%*sk%d:\n", 2 * d, "", d);
    NNQ_ASSERT_FAILS(nnq_config_load_string(block, len, Y, NULL, &cfg), NNQ_STATUS_LIMIT_EXCEEDED,
                     "nesting deeper than 32 levels");
    free(block);
    /* 31 levels of junk below a known key still parse, then fail as junk. */
    char *ok_open = repeat("global: ", "[", 30, "");
    char *ok = repeat(ok_open, "]", 30, "");
    NNQ_ASSERT_FAILS(nnq_config_load_string(ok, strlen(ok), Y, NULL, &cfg),
                     NNQ_STATUS_INVALID_FORMAT, "global: expected a mapping of input_quantizer");
    free(ok_open);
    free(ok);
}

/* "Billion laughs": each level doubles... by ten; the node budget stops it
 * long before the expansion exists. */
static void test_alias_bomb(void **state) {
    (void)state;
    char text[2048];
    size_t len = (size_t)snprintf(text, sizeof(text), "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, "
                                                      "lol, lol, lol]\n");
    for (int i = 1; i < 10; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
                                "*a%d]\n",
                                i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                                i - 1);
    nnq_config *cfg;
    NNQ_ASSERT_FAILS(nnq_config_load_string(text, len, Y, "bomb", &cfg), NNQ_STATUS_LIMIT_EXCEEDED,
                     "document expands to more than 100000 nodes (YAML aliases count at their "
                     "full size)");
    /* Moderate sharing is fine: anchors are a legitimate YAML feature. */
    const char *fine = "global:\n  input_quantizer: &q {num_bits: 8, axis: null}\n"
                       "  weight_quantizer: *q\n";
    NNQ_ASSERT_OK(nnq_config_load_string(fine, strlen(fine), Y, NULL, &cfg));
    nnq_config_free(cfg);
}

static void test_size_limit(void **state) {
    (void)state;
    nnq_config *cfg;
    size_t n = NNQ_CONFIG_MAX_BYTES + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, "version: 1\n#", 12);
    NNQ_ASSERT_FAILS(nnq_config_load_string(big, n, Y, "big", &cfg), NNQ_STATUS_LIMIT_EXCEEDED,
                     "config 'big': 1048577 bytes, more than the 1048576-byte limit");
    /* The same through a file: refused before reading. */
    char *dir = nnq_test_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/big.yaml", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(big, 1, n, f), n);
    fclose(f);
    NNQ_ASSERT_FAILS(nnq_config_load_file(path, NNQ_CONFIG_FORMAT_AUTO, &cfg),
                     NNQ_STATUS_LIMIT_EXCEEDED, "more than the 1048576-byte limit");
    /* Exactly at the limit is accepted. */
    big[n - 2] = '\n';
    NNQ_ASSERT_OK(nnq_config_load_string(big, n - 1, Y, "big", &cfg));
    nnq_config_free(cfg);
    free(big);
    NNQ_ASSERT_FAILS(nnq_config_load_file(dir, NNQ_CONFIG_FORMAT_AUTO, &cfg), NNQ_STATUS_IO_ERROR,
                     "not a regular file");
    remove(path);
    nnq_test_rmdir(dir);
}

/* A JSON file is recognized by its extension; YAML errors then never show. */
static void test_file_format_by_extension(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char path[512];
    snprintf(path, sizeof(path), "%s/c.json", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("global: {}\n", f); /* YAML, not JSON */
    fclose(f);
    nnq_config *cfg;
    NNQ_ASSERT_FAILS(nnq_config_load_file(path, NNQ_CONFIG_FORMAT_AUTO, &cfg),
                     NNQ_STATUS_INVALID_FORMAT, "line 1 column 1:");
    NNQ_ASSERT_OK(nnq_config_load_file(path, NNQ_CONFIG_FORMAT_YAML, &cfg));
    nnq_config_free(cfg);
    remove(path);
    nnq_test_rmdir(dir);
}

/* Cross-attribute rules are checked on the resolved site. */
static void test_resolve_errors(void **state) {
    (void)state;
    const char *text = "global:\n"
                       "  weight_quantizer: {num_bits: 8, axis: 0}\n"
                       "quant_cfg:\n"
                       "  'nv.*': {format: nvfp4, axis: null, block_size: 32}\n"
                       "  'mx.*': {format: mxfp4, axis: null, block_size: [1, 32]}\n"
                       "  'u.*': {format: fp8_e4m3, unsigned: true}\n"
                       "  'ab.*': {block_size: 64}\n"
                       "  'ok.*': {format: nvfp4, axis: null, block_size: 16}\n"
                       "  'off.*': {format: fp8_e4m3, unsigned: true, enable: false}\n";
    nnq_config *cfg;
    NNQ_ASSERT_OK(nnq_config_load_string(text, strlen(text), Y, NULL, &cfg));
    char *s = NULL;
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "nv.weight_quantizer", "Gemm", "nv", &s),
                     NNQ_STATUS_INVALID_FORMAT,
                     "site 'nv.weight_quantizer': format nvfp4 uses blocks of 16");
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "mx.weight_quantizer", "Gemm", "mx", &s),
                     NNQ_STATUS_INVALID_FORMAT, "format mxfp4 uses blocks of 32");
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "u.weight_quantizer", "Gemm", "u", &s),
                     NNQ_STATUS_INVALID_FORMAT, "unsigned applies to int formats only, not fp8_e4m3");
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "ab.weight_quantizer", "Gemm", "ab", &s),
                     NNQ_STATUS_INVALID_FORMAT, "both axis and block_size are set");
    assert_null(s);
    NNQ_ASSERT_OK(nnq_config_describe_site(cfg, "ok.weight_quantizer", "Gemm", "ok", &s));
    nnq_free(s);
    /* Disabled sites are not checked: they will not be quantized. */
    NNQ_ASSERT_OK(nnq_config_describe_site(cfg, "off.weight_quantizer", "Gemm", "off", &s));
    nnq_free(s);
    /* Site names */
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "conv1.bias_quantizer", "Conv", "conv1", &s),
                     NNQ_STATUS_INVALID_ARGUMENT, "site name 'conv1.bias_quantizer' is not "
                                                  "'<node>.input_quantizer'");
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "weight_quantizer", "Conv", "", &s),
                     NNQ_STATUS_INVALID_ARGUMENT, "is not '<node>.input_quantizer'");
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "conv1.weight_quantizer", "Conv", "conv2", &s),
                     NNQ_STATUS_INVALID_ARGUMENT, "site 'conv1.weight_quantizer' does not belong "
                                                  "to node 'conv2' (expected "
                                                  "'conv2.weight_quantizer')");
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, "a.b.weight_quantizer", "Conv", "a", &s),
                     NNQ_STATUS_INVALID_ARGUMENT, "does not belong to node 'a'");
    NNQ_ASSERT_FAILS(nnq_config_describe_site(cfg, NULL, "Conv", "a", &s),
                     NNQ_STATUS_INVALID_ARGUMENT, "site_name is NULL");
    /* Flags */
    NNQ_ASSERT_FAILS(nnq_config_describe(cfg, NULL, &s), NNQ_STATUS_INVALID_ARGUMENT,
                     "config: resolve: site is NULL");
    nnq_config_site bad = {"ok.input_quantizer", "Gemm", "ok", 0x6};
    NNQ_ASSERT_FAILS(nnq_config_describe(cfg, &bad, &s), NNQ_STATUS_INVALID_ARGUMENT,
                     "site 'ok.input_quantizer': flags 0x6 include bits outside "
                     "NNQ_CONFIG_SITE_GRAPH_INPUT (0x1)");
    size_t n;
    NNQ_ASSERT_FAILS(nnq_config_check_sites(cfg, &bad, 1, &n, &s), NNQ_STATUS_INVALID_ARGUMENT,
                     "check_sites: site 0 ('ok.input_quantizer'): flags 0x6 include bits outside");
    assert_null(s);
    nnq_config_free(cfg);
}

static void test_null_arguments(void **state) {
    (void)state;
    nnq_config *cfg = NULL;
    char *s;
    size_t n;
    NNQ_ASSERT_FAILS(nnq_config_load_string("a: 1", 4, Y, NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT,
                     "out is NULL");
    NNQ_ASSERT_FAILS(nnq_config_load_string(NULL, 4, Y, NULL, &cfg), NNQ_STATUS_INVALID_ARGUMENT,
                     "text is NULL");
    NNQ_ASSERT_FAILS(nnq_config_load_string("a: 1", 4, (nnq_config_format)7, NULL, &cfg),
                     NNQ_STATUS_INVALID_ARGUMENT, "format 7 is not");
    NNQ_ASSERT_FAILS(nnq_config_load_file(NULL, Y, &cfg), NNQ_STATUS_INVALID_ARGUMENT,
                     "path is NULL");
    NNQ_ASSERT_FAILS(nnq_config_load_preset(NULL, NULL, &cfg), NNQ_STATUS_INVALID_ARGUMENT,
                     "name_or_path is NULL");
    NNQ_ASSERT_FAILS(nnq_config_dump(NULL, &s), NNQ_STATUS_INVALID_ARGUMENT, "cfg is NULL");
    NNQ_ASSERT_OK(nnq_config_load_string(NULL, 0, Y, NULL, &cfg)); /* empty config */
    NNQ_ASSERT_FAILS(nnq_config_check_sites(cfg, NULL, 1, &n, &s), NNQ_STATUS_INVALID_ARGUMENT,
                     "sites is NULL");
    nnq_config_site site = {"x.input_quantizer", "Conv", NULL, 0};
    NNQ_ASSERT_FAILS(nnq_config_check_sites(cfg, &site, 1, &n, &s), NNQ_STATUS_INVALID_ARGUMENT,
                     "site 0 has a NULL node_name");
    nnq_config_free(cfg);
    nnq_config_free(NULL);
}

/* Allocation failures anywhere in loading leave nothing behind (ASan) and
 * report OUT_OF_MEMORY. */
static void test_alloc_failures(void **state) {
    (void)state;
    FILE *f = fopen(NNQ_TEST_DATA_DIR "/configs/precedence.yaml", "rb");
    assert_non_null(f);
    char text[4096];
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);
    int failures = 0;
    for (long k = 0; k < 200; k++) {
        nnq_config *cfg = NULL;
        nnq_test_alloc_fail_after(k);
        nnq_status s = nnq_config_load_string(text, len, Y, NULL, &cfg);
        nnq_test_alloc_fail_after(-1);
        if (s == NNQ_STATUS_OK) {
            nnq_config_free(cfg);
            break;
        }
        assert_int_equal(s, NNQ_STATUS_OUT_OF_MEMORY);
        assert_null(cfg);
        failures++;
    }
    assert_true(failures > 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_file_format_by_extension),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
