/* test_onnx.c - ONNX load / save, external data, TensorProto files, and
 * hostile inputs.  Models in tests/data/onnx come from
 * tools/make_test_models.py (its comments give the value formulas used
 * here); the rest are crafted below with protobuf-c. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "graph/ir.h"
#include "graph/onnx_save.h"
#include "graph_test_models.h"

#define DATA NNQ_TEST_DATA_DIR "/onnx/"

static nnq_graph *load_ok(const char *path) {
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(path, NULL, &g));
    return g;
}

static const nnq_initializer *init_by_name(nnq_graph *g, const char *name) {
    ptrdiff_t i = nnq_graph_find_init(g, name);
    if (i < 0) fail_msg("initializer '%s' missing", name);
    return &g->inits[i];
}

static const nnq_attr *attr_by_name(const nnq_node *n, const char *name) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    fail_msg("attribute '%s' missing on '%s'", name, n->name);
    return NULL;
}

static char *path_in(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- well-formed models ------------------------------------------------ */

static void test_tiny_cnn_structure(void **state) {
    (void)state;
    nnq_graph *g = load_ok(DATA "tiny_cnn.onnx");
    assert_int_equal(g->ir_version, 8);
    assert_int_equal(nnq_graph_node_count(g), 6);
    static const char *names[] = {"conv1", "bn1", "Relu_2", "pool", "flatten", "fc"};
    for (size_t i = 0; i < 6; i++) {
        const char *name, *op;
        NNQ_ASSERT_OK(nnq_graph_node(g, i, &name, &op));
        assert_string_equal(name, names[i]);
    }
    NNQ_ASSERT_FAILS(nnq_graph_node(g, 6, NULL, NULL), NNQ_STATUS_OUT_OF_RANGE, "index 6 >= 6");
    const char *dom;
    int64_t ver;
    assert_int_equal(nnq_graph_opset_count(g), 1);
    NNQ_ASSERT_OK(nnq_graph_opset(g, 0, &dom, &ver));
    assert_string_equal(dom, "");
    assert_int_equal(ver, 13);
    assert_string_equal(nnq_graph_producer(g), "nnq-tests");
    assert_int_equal(g->n_metadata, 1);
    assert_string_equal(g->metadata_keys[0], "purpose");
    assert_int_equal(nnq_graph_input_count(g), 1);
    nnq_graph_value v;
    char buf[64];
    NNQ_ASSERT_OK(nnq_graph_input(g, 0, &v));
    assert_string_equal(v.name, "input");
    assert_int_equal(v.dtype, NNQ_DTYPE_FLOAT32);
    assert_string_equal(nnq_graph_value_shape_str(&v, buf, sizeof buf), "[N, 3, 8, 8]");
    NNQ_ASSERT_OK(nnq_graph_output(g, 0, &v));
    assert_string_equal(nnq_graph_value_shape_str(&v, buf, sizeof buf), "[N, 2]");
    NNQ_ASSERT_FAILS(nnq_graph_input(g, 1, &v), NNQ_STATUS_OUT_OF_RANGE, "index 1");
    /* conv.w[i] = ((i % 7) - 3) * 0.125 */
    const nnq_tensor *w = init_by_name(g, "conv.w")->tensor;
    assert_int_equal(w->ndim, 4);
    assert_int_equal(w->numel, 108);
    const float *wf = w->data;
    for (size_t i = 0; i < w->numel; i++) assert_true(wf[i] == (float)((int)(i % 7) - 3) * 0.125f);
    const nnq_attr *pads = attr_by_name(&g->nodes[0], "pads");
    assert_int_equal(pads->type, NNQ_ATTR_INTS);
    assert_int_equal(pads->n_ints, 4);
    assert_int_equal(attr_by_name(&g->nodes[5], "transB")->i, 1);
    nnq_graph_free(g);
}

static void test_summary(void **state) {
    (void)state;
    nnq_graph *g = load_ok(DATA "tiny_cnn.onnx");
    nnq_graph_summary *s = NULL;
    NNQ_ASSERT_OK(nnq_graph_summarize(g, &s));
    /* sorted by op type */
    static const char *ops[] = {"BatchNormalization", "Conv", "Flatten", "Gemm",
                                "GlobalAveragePool",  "Relu"};
    assert_int_equal(s->n_ops, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(s->ops[i].op_type, ops[i]);
        assert_int_equal(s->ops[i].count, 1);
    }
    /* 108 + 4 + 4 * 4 + 8 + 2 float32 parameters */
    assert_int_equal(s->n_dtypes, 1);
    assert_int_equal(s->dtypes[0].dtype, NNQ_DTYPE_FLOAT32);
    assert_int_equal(s->params, 138);
    assert_int_equal(s->bytes, 552);
    assert_int_equal(s->n_external_files, 0);
    nnq_graph_summary_free(s);
    nnq_graph_free(g);
}

static void test_typed_fields(void **state) {
    (void)state;
    nnq_graph *g = load_ok(DATA "typed_fields.onnx");
    static const struct {
        const char *name;
        nnq_dtype dtype;
        size_t nbytes;
        const char *bytes;
    } want[] = {
        {"i8", NNQ_DTYPE_INT8, 4, "\x80\xff\x00\x7f"},
        {"u8", NNQ_DTYPE_UINT8, 2, "\x00\xff"},
        {"i16", NNQ_DTYPE_INT16, 4, "\x00\x80\xff\x7f"},
        {"u16", NNQ_DTYPE_UINT16, 4, "\x01\x00\xff\xff"},
        {"b", NNQ_DTYPE_BOOL, 3, "\x01\x00\x01"},
        {"f16", NNQ_DTYPE_FLOAT16, 4, "\x00\x3c\x00\xc0"},
        {"bf16", NNQ_DTYPE_BFLOAT16, 2, "\x80\x3f"},
        {"i32", NNQ_DTYPE_INT32, 8, "\xf9\xff\xff\xff\xff\xff\xff\x7f"},
        /* -9000000000 = 2^64 - 0x218711A00 = 0xFFFFFFFDE78EE600 */
        {"i64", NNQ_DTYPE_INT64, 16, "\x00\xe6\x8e\xe7\xfd\xff\xff\xff\x05\0\0\0\0\0\0\0"},
        /* 4000000000 = 0xEE6B2800 */
        {"u32", NNQ_DTYPE_UINT32, 4, "\x00\x28\x6b\xee"},
        /* 18000000000000000000 = 0xF9CCD8A1C5080000 */
        {"u64", NNQ_DTYPE_UINT64, 8, "\x00\x00\x08\xc5\xa1\xd8\xcc\xf9"},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(want); i++) {
        const nnq_tensor *t = init_by_name(g, want[i].name)->tensor;
        assert_int_equal(t->dtype, want[i].dtype);
        assert_int_equal(t->nbytes, want[i].nbytes);
        if (memcmp(t->data, want[i].bytes, want[i].nbytes))
            fail_msg("tensor '%s' bytes differ", want[i].name);
    }
    const float *f = init_by_name(g, "f32")->tensor->data;
    assert_true(f[0] == 1.5f && f[1] == -2.0f && f[2] == 0.25f);
    const double *d = init_by_name(g, "f64")->tensor->data;
    assert_true(d[0] == 0.1 && d[1] == -3.0);
    const nnq_tensor *sc = init_by_name(g, "scalar")->tensor;
    assert_int_equal(sc->ndim, 0);
    assert_true(*(const float *)sc->data == 42.0f);
    const nnq_tensor *e = init_by_name(g, "empty")->tensor;
    assert_int_equal(e->numel, 0);
    /* sparse [2, 3] with 5 at flat index 1 and 7 at flat index 5 */
    const nnq_tensor *sp = init_by_name(g, "sp")->tensor;
    assert_int_equal(sp->ndim, 2);
    const float *spf = sp->data;
    static const float dense[6] = {0, 5, 0, 0, 0, 7};
    for (int i = 0; i < 6; i++) assert_true(spf[i] == dense[i]);
    nnq_graph_free(g);
}

static void test_attrs_kept(void **state) {
    (void)state;
    nnq_graph *g = load_ok(DATA "attrs.onnx");
    ptrdiff_t k = nnq_graph_find_node(g, "everything");
    assert_true(k >= 0);
    const nnq_node *n = &g->nodes[k];
    assert_string_equal(n->domain, "com.nnq.test");
    assert_true(attr_by_name(n, "f")->f == 0.5f);
    assert_int_equal(attr_by_name(n, "i")->i, -3);
    assert_string_equal(attr_by_name(n, "s")->s, "hello");
    assert_int_equal(attr_by_name(n, "s")->s_len, 5);
    assert_int_equal(attr_by_name(n, "ints")->ints[1], -2);
    assert_true(attr_by_name(n, "floats")->floats[1] == 2.5f);
    assert_string_equal(attr_by_name(n, "strings")->strings[1], "bc");
    assert_int_equal(attr_by_name(n, "tensors")->n_tensors, 2);
    assert_true(((const float *)attr_by_name(n, "t")->t->data)[1] == 2.0f);
    const nnq_graph *sub = attr_by_name(n, "g")->g;
    assert_non_null(sub);
    assert_int_equal(sub->n_nodes, 1);
    assert_string_equal(sub->nodes[0].name, "then_id");
    static const char *raw[] = {"graphs", "sparse_tensor", "sparse_tensors", "tp", "tps"};
    for (size_t i = 0; i < NNQ_ARRAY_LEN(raw); i++) assert_non_null(attr_by_name(n, raw[i])->raw);
    assert_non_null(g->unknown_model_fields); /* function + quantization annotation */
    /* a sequence-typed value_info is kept as its TypeProto */
    assert_int_equal(g->n_value_infos, 1);
    assert_non_null(g->value_infos[0].raw_type);
    nnq_graph_free(g);
}

/* load -> save -> load -> save: the two saves are byte-identical and equal
 * a second save of the same graph. */
static void roundtrip_file(const char *model) {
    nnq_graph *g = load_ok(model);
    void *a = NULL, *b = NULL, *c = NULL;
    size_t na, nb, nc;
    NNQ_ASSERT_OK(nnq_graph_save_memory(g, &a, &na));
    NNQ_ASSERT_OK(nnq_graph_save_memory(g, &b, &nb));
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    nnq_graph *g2 = NULL;
    NNQ_ASSERT_OK(nnq_graph_load_memory(a, na, NULL, &g2));
    NNQ_ASSERT_OK(nnq_graph_save_memory(g2, &c, &nc));
    assert_int_equal(na, nc);
    assert_memory_equal(a, c, na);
    assert_int_equal(g->n_nodes, g2->n_nodes);
    assert_int_equal(g->n_inits, g2->n_inits);
    for (size_t i = 0; i < g->n_inits; i++) {
        assert_string_equal(g->inits[i].name, g2->inits[i].name);
        assert_int_equal(g->inits[i].tensor->nbytes, g2->inits[i].tensor->nbytes);
        assert_memory_equal(g->inits[i].tensor->data, g2->inits[i].tensor->data,
                            g->inits[i].tensor->nbytes);
    }
    nnq_free(a);
    nnq_free(b);
    nnq_free(c);
    nnq_graph_free(g);
    nnq_graph_free(g2);
}

static void test_roundtrip(void **state) {
    (void)state;
    roundtrip_file(DATA "tiny_cnn.onnx");
    roundtrip_file(DATA "typed_fields.onnx");
    roundtrip_file(DATA "attrs.onnx");
    roundtrip_file(DATA "ext_data.onnx");
}

static void test_save_file_and_same_file(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *in = path_in(dir, "in.onnx"), *out = path_in(dir, "out.onnx");
    copy_file(DATA "tiny_cnn.onnx", in);
    nnq_graph *g = load_ok(in);
    const char *inputs[] = {in};
    nnq_graph_save_options opt = {inputs, 1, 0};
    NNQ_ASSERT_FAILS(nnq_graph_save(g, in, &opt), NNQ_STATUS_SAME_FILE, NULL);
    NNQ_ASSERT_OK(nnq_graph_save(g, out, &opt));
    size_t n1, n2;
    uint8_t *b1 = slurp(out, &n1);
    NNQ_ASSERT_OK(nnq_graph_save(g, out, &opt));
    uint8_t *b2 = slurp(out, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    assert_int_equal(nnq_test_count_entries(dir), 2); /* no .data, no temp files */
    free(b1);
    free(b2);
    nnq_graph_free(g);
    free(in);
    free(out);
    nnq_test_rmdir(dir);
}

static void check_ext_roundtrip(const char *dir, const char *out, size_t want_ext) {
    nnq_graph *g2 = load_ok(out);
    nnq_graph *g = load_ok(DATA "tiny_cnn.onnx");
    size_t n_ext = 0;
    for (size_t i = 0; i < g2->n_inits; i++) {
        const nnq_initializer *a = &g2->inits[i], *b = init_by_name(g, a->name);
        assert_memory_equal(a->tensor->data, b->tensor->data, b->tensor->nbytes);
        if (a->ext_location) {
            assert_string_equal(a->ext_location, "out.onnx.data");
            assert_int_equal(a->ext_offset % 64, 0);
            n_ext++;
        }
    }
    assert_int_equal(n_ext, want_ext);
    assert_int_equal(nnq_test_count_entries(dir), 2);
    nnq_graph_free(g);
    nnq_graph_free(g2);
}

static void test_save_external(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *out = path_in(dir, "out.onnx");
    nnq_graph *g = load_ok(DATA "tiny_cnn.onnx");
    /* conv.w (432 bytes) is the only initializer of >= 64 bytes */
    nnq_graph_save_options opt = {NULL, 0, 64};
    NNQ_ASSERT_OK(nnq_graph_save(g, out, &opt));
    check_ext_roundtrip(dir, out, 1);
    /* Automatic: over the proto limit everything >= 1 KiB goes external;
     * nothing here is that big, so the model still does not fit. */
    uint64_t saved = nnq_onnx_proto_limit;
    nnq_onnx_proto_limit = 600;
    NNQ_ASSERT_FAILS(nnq_graph_save(g, out, NULL), NNQ_STATUS_LIMIT_EXCEEDED, "even with external");
    void *buf;
    size_t n;
    NNQ_ASSERT_FAILS(nnq_graph_save_memory(g, &buf, &n), NNQ_STATUS_LIMIT_EXCEEDED, "exceed");
    nnq_onnx_proto_limit = saved;
    nnq_graph_free(g);
    free(out);
    nnq_test_rmdir(dir);
}

static void test_save_external_auto(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *out = path_in(dir, "out.onnx");
    /* A model with one 4 KiB initializer: inline it passes a 2 KiB limit. */
    static float big[1024];
    for (int i = 0; i < 1024; i++) big[i] = (float)i;
    const int64_t dims[1] = {1024};
    tm_node nodes[] = {{"Identity", "id", {"w"}, {"y"}}};
    const char *outs[] = {"y", NULL};
    tm_model t;
    tm_init(&t, nodes, 1, NULL, outs);
    tm_add_init(&t, "w", 1, dims, 1, big, sizeof big);
    size_t len;
    uint8_t *bytes = tm_pack(&t, &len);
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load_memory(bytes, len, NULL, &g));
    uint64_t saved = nnq_onnx_proto_limit;
    nnq_onnx_proto_limit = 2048;
    NNQ_ASSERT_OK(nnq_graph_save(g, out, NULL));
    nnq_onnx_proto_limit = saved;
    nnq_graph *g2 = load_ok(out);
    assert_string_equal(g2->inits[0].ext_location, "out.onnx.data");
    assert_memory_equal(g2->inits[0].tensor->data, big, sizeof big);
    nnq_graph_free(g2);
    nnq_graph_free(g);
    free(bytes);
    free(out);
    nnq_test_rmdir(dir);
}

/* ---- external data ----------------------------------------------------- */

static void test_external_ok(void **state) {
    (void)state;
    static const char *models[] = {DATA "ext_data.onnx", DATA "ext_no_length.onnx"};
    for (size_t m = 0; m < 2; m++) {
        nnq_graph *g = load_ok(models[m]);
        const nnq_initializer *w = init_by_name(g, "w");
        const float *f = w->tensor->data;
        for (int i = 0; i < 6; i++) assert_true(f[i] == (float)i);
        assert_string_equal(w->ext_location, "ext_data.bin");
        assert_int_equal(w->ext_offset, 16);
        nnq_graph_summary *s;
        NNQ_ASSERT_OK(nnq_graph_summarize(g, &s));
        assert_int_equal(s->n_external_files, 1);
        assert_string_equal(s->external_files[0], "ext_data.bin");
        nnq_graph_summary_free(s);
        nnq_graph_free(g);
    }
}

static void test_external_hostile_files(void **state) {
    (void)state;
    static const struct {
        const char *model;
        nnq_status status;
        const char *needle;
    } cases[] = {
        {"ext_escape.onnx", NNQ_STATUS_INVALID_ARGUMENT, "'../escape.bin' contains '..'"},
        {"ext_absolute.onnx", NNQ_STATUS_INVALID_ARGUMENT, "'/etc/hostname' is absolute"},
        {"ext_past_eof.onnx", NNQ_STATUS_INVALID_FORMAT, "past the end of 'ext_data.bin'"},
        {"ext_missing.onnx", NNQ_STATUS_NOT_FOUND, "no_such_file.bin"},
        {"ext_bad_length.onnx", NNQ_STATUS_INVALID_FORMAT, "length 20 differs"},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        char path[512];
        snprintf(path, sizeof path, DATA "%s", cases[i].model);
        nnq_graph *g = NULL;
        NNQ_ASSERT_FAILS(nnq_graph_load(path, NULL, &g), cases[i].status, cases[i].needle);
        assert_null(g);
        assert_non_null(strstr(nnq_last_error(), "tensor 'w'"));
    }
}

/* Write a model whose 'w' (float32 [2, 3]) lives at location/offset. */
static void write_ext_model(const char *path, const char *location, const char *offset) {
    tm_node nodes[] = {{"Add", "add", {"x", "w"}, {"y"}}};
    const char *ins[] = {"x", NULL}, *outs[] = {"y", NULL};
    tm_model t;
    tm_init(&t, nodes, 1, ins, outs);
    const int64_t dims[2] = {2, 3};
    Onnx__TensorProto *w = tm_add_init(&t, "w", 1, dims, 2, NULL, 0);
    Onnx__StringStringEntryProto kv[2], *kvp[2] = {&kv[0], &kv[1]};
    onnx__string_string_entry_proto__init(&kv[0]);
    onnx__string_string_entry_proto__init(&kv[1]);
    kv[0].key = (char *)"location";
    kv[0].value = (char *)(uintptr_t)location;
    kv[1].key = (char *)"offset";
    kv[1].value = (char *)(uintptr_t)offset;
    w->n_external_data = 2;
    w->external_data = kvp;
    w->has_data_location = 1;
    w->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    size_t len;
    uint8_t *buf = tm_pack(&t, &len);
    NNQ_ASSERT_OK(nnq_write_file_atomic(path, buf, len, NULL, 0));
    free(buf);
}

static void test_external_links(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *model = path_in(dir, "m.onnx"), *data = path_in(dir, "real.bin");
    char *sub = path_in(dir, "sub"), *subdir = path_in(dir, "realdir");
    char *lnk = path_in(dir, "link.bin"), *hard = path_in(dir, "hard.bin");
    char *inner = path_in(subdir, "w.bin");
    copy_file(DATA "ext_data.bin", data);
    assert_int_equal(mkdir(subdir, 0755), 0);
    copy_file(DATA "ext_data.bin", inner);
    assert_int_equal(symlink("real.bin", lnk), 0);
    assert_int_equal(symlink("realdir", sub), 0);
    nnq_graph *g = NULL;
    /* the plain file and a real subdirectory load */
    write_ext_model(model, "real.bin", "16");
    NNQ_ASSERT_OK(nnq_graph_load(model, NULL, &g));
    nnq_graph_free(g);
    write_ext_model(model, "./realdir/w.bin", "16");
    NNQ_ASSERT_OK(nnq_graph_load(model, NULL, &g));
    nnq_graph_free(g);
    write_ext_model(model, "link.bin", "16");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT,
                     "'link.bin' is a symbolic link");
    write_ext_model(model, "sub/w.bin", "16");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT,
                     "'sub' is a symbolic link");
    assert_int_equal(link(data, hard), 0);
    write_ext_model(model, "hard.bin", "16");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT, "2 hard links");
    assert_int_equal(unlink(hard), 0);
    write_ext_model(model, "realdir", "0");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT,
                     "not a regular file");
    char *fifo = path_in(dir, "fifo.bin");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    write_ext_model(model, "fifo.bin", "0");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT,
                     "not a regular file");
    NNQ_ASSERT_FAILS(nnq_graph_load(fifo, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT,
                     "not a regular file");
    free(fifo);
    write_ext_model(model, "realdir/../real.bin", "16");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT, "'..'");
    write_ext_model(model, "real.bin", "18446744073709551615");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_FORMAT, "past the end");
    write_ext_model(model, "real.bin", "99999999999999999999");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "not a decimal number");
    write_ext_model(model, "real.bin", "-1");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "not a decimal number");
    write_ext_model(model, "", "0");
    NNQ_ASSERT_FAILS(nnq_graph_load(model, NULL, &g), NNQ_STATUS_INVALID_FORMAT, "no location");
    /* limit on the total external bytes */
    write_ext_model(model, "real.bin", "16");
    nnq_graph_load_options opt = {.max_external_bytes = 23};
    NNQ_ASSERT_FAILS(nnq_graph_load(model, &opt, &g), NNQ_STATUS_LIMIT_EXCEEDED, "limit of 23");
    /* from memory: only with a base directory */
    size_t len;
    uint8_t *bytes = slurp(model, &len);
    NNQ_ASSERT_FAILS(nnq_graph_load_memory(bytes, len, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT,
                     "without a base directory");
    nnq_graph_load_options mopt = {.base_dir = dir};
    NNQ_ASSERT_OK(nnq_graph_load_memory(bytes, len, &mopt, &g));
    nnq_graph_free(g);
    free(bytes);
    free(model), free(data), free(sub), free(subdir), free(lnk), free(hard), free(inner);
    nnq_test_rmdir(dir);
}

/* ---- corrupt and hostile protobuf ------------------------------------- */

static void test_truncated_never_crashes(void **state) {
    (void)state;
    size_t len;
    uint8_t *full = slurp(DATA "attrs.onnx", &len);
    size_t failures = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *cut = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
        memcpy(cut, full, n);
        nnq_graph *g = NULL;
        nnq_status s = nnq_graph_load_memory(cut, n, NULL, &g);
        if (s) {
            failures++;
            assert_null(g);
            assert_true(nnq_last_error()[0] != '\0');
        }
        nnq_graph_free(g);
        free(cut);
    }
    /* Prefixes that end on a field boundary may parse; most cannot. */
    assert_true(failures > len * 9 / 10);
    /* Cutting inside the graph field is reported as truncation. */
    NNQ_ASSERT_FAILS(nnq_graph_load_memory(full, len / 2, NULL, &(nnq_graph *){NULL}),
                     NNQ_STATUS_INVALID_FORMAT, "remain");
    free(full);
}

static void test_wire_errors(void **state) {
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        nnq_status status;
        const char *needle;
    } cases[] = {
        /* ir_version (field 1, varint) sent as length-delimited */
        {"\x0a\x01\x00", 3, NNQ_STATUS_INVALID_FORMAT,
         "'ir_version' (1) at byte 0 has wire type 2"},
        /* graph (field 7, message) sent as varint */
        {"\x38\x01", 2, NNQ_STATUS_INVALID_FORMAT, "'graph' (7) at byte 0 has wire type 0"},
        {"\x08", 1, NNQ_STATUS_INVALID_FORMAT, "truncated varint"},
        {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, NNQ_STATUS_INVALID_FORMAT,
         "truncated varint"},
        {"\x3a\x05\x00", 3, NNQ_STATUS_INVALID_FORMAT, "claims 5 bytes, 1 remain"},
        {"\x7b", 1, NNQ_STATUS_INVALID_FORMAT, "unsupported wire type 3 (field 15)"},
        {"\x00\x00", 2, NNQ_STATUS_INVALID_FORMAT, "invalid field number 0"},
        /* a valid empty model has no graph */
        {"", 0, NNQ_STATUS_INVALID_FORMAT, "model has no graph"},
        {"\x08\x08", 2, NNQ_STATUS_INVALID_FORMAT, "model has no graph"},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        nnq_graph *g = NULL;
        NNQ_ASSERT_FAILS(nnq_graph_load_memory(cases[i].bytes, cases[i].len, NULL, &g),
                         cases[i].status, cases[i].needle);
        assert_null(g);
    }
}

/* GraphProto{node{attribute{g: ...}}} nested `levels` times, built inside
 * out as raw wire bytes. */
static uint8_t *nested_model(int levels, size_t *len) {
    size_t cap = 16 + (size_t)levels * 40;
    uint8_t *buf = malloc(cap), *tmp = malloc(cap);
    size_t n = 0; /* current innermost GraphProto: empty */
    for (int l = 0; l < levels; l++) {
        /* AttributeProto: name "g" (field 1), type GRAPH (field 20), g (field 6) */
        size_t m = 0;
        tmp[m++] = 0x0a, tmp[m++] = 1, tmp[m++] = 'g';
        tmp[m++] = 0xa0, tmp[m++] = 0x01, tmp[m++] = 5;
        tmp[m++] = 0x32;
        m += (size_t)(n < 128 ? (tmp[m] = (uint8_t)n, 1)
                              : (tmp[m] = (uint8_t)(n | 0x80), tmp[m + 1] = (uint8_t)(n >> 7), 2));
        memcpy(tmp + m, buf, n);
        m += n;
        /* NodeProto: op_type "X" (field 4), attribute (field 5) */
        size_t k = 0;
        buf[k++] = 0x22, buf[k++] = 1, buf[k++] = 'X';
        buf[k++] = 0x2a;
        k += (size_t)(m < 128 ? (buf[k] = (uint8_t)m, 1)
                              : (buf[k] = (uint8_t)(m | 0x80), buf[k + 1] = (uint8_t)(m >> 7), 2));
        memcpy(buf + k, tmp, m);
        k += m;
        /* GraphProto: node (field 1) */
        memmove(buf + 3, buf, k);
        buf[0] = 0x0a;
        size_t hdr = k < 128 ? 1 : 2;
        if (hdr == 1) {
            buf[1] = (uint8_t)k;
            memmove(buf + 2, buf + 3, k);
        } else {
            buf[1] = (uint8_t)(k | 0x80), buf[2] = (uint8_t)(k >> 7);
        }
        n = k + 1 + hdr;
    }
    /* ModelProto: graph (field 7) */
    uint8_t *out = malloc(n + 3);
    size_t hdr = n < 128 ? 1 : 2;
    out[0] = 0x3a;
    if (hdr == 1)
        out[1] = (uint8_t)n;
    else
        out[1] = (uint8_t)(n | 0x80), out[2] = (uint8_t)(n >> 7);
    memcpy(out + 1 + hdr, buf, n);
    *len = n + 1 + hdr;
    free(buf);
    free(tmp);
    return out;
}

static void test_nesting_limit(void **state) {
    (void)state;
    size_t len;
    nnq_graph *g = NULL;
    uint8_t *ok = nested_model(5, &len);
    NNQ_ASSERT_OK(nnq_graph_load_memory(ok, len, NULL, &g));
    /* five levels of X nodes, each holding the next graph */
    const nnq_graph *cur = g;
    for (int l = 0; l < 5; l++) {
        assert_int_equal(cur->n_nodes, 1);
        cur = cur->nodes[0].attrs[0].g;
    }
    assert_int_equal(cur->n_nodes, 0);
    nnq_graph_free(g);
    free(ok);
    uint8_t *deep = nested_model(40, &len);
    NNQ_ASSERT_FAILS(nnq_graph_load_memory(deep, len, NULL, &g), NNQ_STATUS_LIMIT_EXCEEDED,
                     "deeper than 64 levels");
    free(deep);
}

static nnq_status load_crafted(tm_model *t, const nnq_graph_load_options *opt, nnq_graph **g) {
    size_t len;
    uint8_t *buf = tm_pack(t, &len);
    nnq_status s = nnq_graph_load_memory(buf, len, opt, g);
    free(buf);
    return s;
}

static void test_graph_errors(void **state) {
    (void)state;
    tm_model t;
    nnq_graph *g = NULL;
    const char *ins[] = {"x", NULL}, *outs[] = {"y", NULL};
    tm_node cycle[] = {
        {"Relu", "a", {"x", "q"}, {"p"}}, {"Relu", "b", {"p"}, {"q"}}, {"Relu", "c", {"q"}, {"y"}}};
    tm_init(&t, cycle, 3, ins, outs);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT, "cycle through node");
    tm_node self[] = {{"Add", "self", {"x", "y"}, {"y"}}};
    tm_init(&t, self, 1, ins, outs);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "cycle through node 'self' (Add)");
    tm_node dangling[] = {{"Add", "add", {"x", "nope"}, {"y"}}};
    tm_init(&t, dangling, 1, ins, outs);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_NOT_FOUND,
                     "node 'add' (Add) input 1 'nope' is not produced");
    tm_node twice[] = {{"Relu", "r1", {"x"}, {"y"}}, {"Relu", "r2", {"x"}, {"y"}}};
    tm_init(&t, twice, 2, ins, outs);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "node 'r2' (Relu) output 'y' is already produced by another node");
    tm_node noout[] = {{"Relu", "r", {"x"}, {"z"}}};
    tm_init(&t, noout, 1, ins, outs);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_NOT_FOUND, "graph output 'y'");
    tm_node noop[] = {{"", "r", {"x"}, {"y"}}};
    tm_init(&t, noop, 1, ins, outs);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "node 'r' has no op_type");
    /* input declared with another type than its initializer */
    tm_node add[] = {{"Add", "add", {"x", "w"}, {"y"}}};
    const char *ins2[] = {"x", "w", NULL};
    tm_init(&t, add, 1, ins2, outs);
    t.tts[1].elem_type = 3; /* int8 */
    const int64_t dims[1] = {2};
    const float w[2] = {1, 2};
    tm_add_init(&t, "w", 1, dims, 1, w, sizeof w);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_DTYPE_MISMATCH,
                     "graph input 'w' is declared int8 but its initializer is float32");
    /* limit on the node count */
    tm_node chain[] = {
        {"Relu", "r1", {"x"}, {"a"}}, {"Relu", "r2", {"a"}, {"b"}}, {"Relu", "r3", {"b"}, {"y"}}};
    tm_init(&t, chain, 3, ins, outs);
    nnq_graph_load_options opt = {.max_nodes = 2};
    NNQ_ASSERT_FAILS(load_crafted(&t, &opt, &g), NNQ_STATUS_LIMIT_EXCEEDED, "more than 2 nodes");
    opt.max_nodes = 3;
    NNQ_ASSERT_OK(load_crafted(&t, &opt, &g));
    nnq_graph_free(g);
    nnq_graph_load_options small = {.max_model_bytes = 10};
    NNQ_ASSERT_FAILS(load_crafted(&t, &small, &g), NNQ_STATUS_LIMIT_EXCEEDED,
                     "more than the limit 10");
    assert_null(g);
}

static void test_unnamed_and_duplicate_names(void **state) {
    (void)state;
    tm_model t;
    nnq_graph *g = NULL;
    const char *ins[] = {"x", NULL}, *outs[] = {"y", NULL};
    /* Relu_1 is taken by node 0, so unnamed node 1 becomes Relu_1_1; the
     * duplicate "dup" becomes dup_1. */
    tm_node nodes[] = {{"Relu", "Relu_1", {"x"}, {"a"}},
                       {"Relu", NULL, {"a"}, {"b"}},
                       {"Relu", "dup", {"b"}, {"c"}},
                       {"Relu", "dup", {"c"}, {"y"}}};
    tm_init(&t, nodes, 4, ins, outs);
    NNQ_ASSERT_OK(load_crafted(&t, NULL, &g));
    assert_string_equal(g->nodes[0].name, "Relu_1");
    assert_string_equal(g->nodes[1].name, "Relu_1_1");
    assert_string_equal(g->nodes[2].name, "dup");
    assert_string_equal(g->nodes[3].name, "dup_1");
    nnq_graph_free(g);
}

/* Tensor storage: every rule of TensorProto checked before allocating. */
static void test_tensor_errors(void **state) {
    (void)state;
    tm_model t;
    nnq_graph *g = NULL;
    const char *outs[] = {"y", NULL};
    tm_node id[] = {{"Identity", "id", {"w"}, {"y"}}};
    const float f4[4] = {1, 2, 3, 4};
    static const int64_t huge[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
    static const int64_t neg[1] = {-2};
    static const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const int64_t d4[1] = {4}, d3[1] = {3};
    static const int64_t over[4] = {(int64_t)1 << 62, 4, 4, 4};
    struct {
        int32_t dtype;
        const int64_t *dims;
        size_t ndim;
        nnq_status status;
        const char *needle;
    } cases[] = {
        {1, huge, 2, NNQ_STATUS_INVALID_FORMAT,
         "16 bytes of raw_data, float32 with 1208925819614629174706176"},
        {1, over, 4, NNQ_STATUS_SIZE_OVERFLOW, "element count of its dims overflows"},
        {1, neg, 1, NNQ_STATUS_INVALID_FORMAT, "tensor 'w' dim 0 is negative (-2)"},
        {1, nine, 9, NNQ_STATUS_LIMIT_EXCEEDED, "9 dims, nnq allows at most 8"},
        {1, d3, 1, NNQ_STATUS_INVALID_FORMAT,
         "16 bytes of raw_data, float32 with 3 elements needs 12"},
        {0, d4, 1, NNQ_STATUS_INVALID_FORMAT, "data type 0"},
        {99, d4, 1, NNQ_STATUS_UNSUPPORTED, "data type 99"},
        {8, d4, 1, NNQ_STATUS_UNSUPPORTED, "string tensors"},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        tm_init(&t, id, 1, NULL, outs);
        tm_add_init(&t, "w", cases[i].dtype, cases[i].dims, cases[i].ndim, f4, sizeof f4);
        if (cases[i].status == NNQ_STATUS_INVALID_FORMAT && cases[i].dims == huge) {
            /* 2^80 elements: no size_t holds it, so it is an overflow */
            NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_SIZE_OVERFLOW, "overflows");
            continue;
        }
        NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), cases[i].status, cases[i].needle);
    }
    /* typed fields: count, type and range rules */
    int32_t i32[5] = {1, 2, 300, 4, 5};
    tm_init(&t, id, 1, NULL, outs);
    Onnx__TensorProto *tp = tm_add_init(&t, "w", NNQ_DTYPE_INT8, d4, 1, NULL, 0);
    tp->n_int32_data = 4;
    tp->int32_data = i32;
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "int32_data[2] = 300 outside [-128, 127] for int8");
    tp->n_int32_data = 5;
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "5 int32_data entries, int8 with 4 elements needs 4");
    tp->data_type = NNQ_DTYPE_INT64;
    tp->n_int32_data = 4;
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_DTYPE_MISMATCH,
                     "type int64 stores its data in int32_data");
    tp->data_type = NNQ_DTYPE_FLOAT32;
    tp->has_raw_data = 1;
    tp->raw_data.data = (uint8_t *)(uintptr_t)f4;
    tp->raw_data.len = 16;
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT, "2 places");
    tm_init(&t, id, 1, NULL, outs);
    tm_add_init(&t, "w", NNQ_DTYPE_FLOAT32, d4, 1, NULL, 0);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "tensor 'w' has 4 elements but no data");
    tm_init(&t, id, 1, NULL, outs);
    tm_add_init(&t, "", NNQ_DTYPE_FLOAT32, d4, 1, f4, 16);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT,
                     "initializer 0 has no name");
    tm_init(&t, id, 1, NULL, outs);
    tm_add_init(&t, "w", NNQ_DTYPE_FLOAT32, d4, 1, f4, 16);
    tm_add_init(&t, "w", NNQ_DTYPE_FLOAT32, d4, 1, f4, 16);
    NNQ_ASSERT_FAILS(load_crafted(&t, NULL, &g), NNQ_STATUS_INVALID_FORMAT, "'w' is defined twice");
}

/* int4 / uint4 / float8 in int32_data (ONNX: 4-bit values two per entry,
 * first in the low nibble; float8 as its bit pattern). */
static void test_int4_float8_typed(void **state) {
    (void)state;
    static const struct {
        nnq_dtype dtype;
        int64_t n;
        int32_t vals[3];
        size_t n_vals;
        const char *bytes;
        size_t nbytes;
    } cases[] = {
        /* int4 [1, -2, 7] -> nibbles 0x1, 0xE, 0x7 -> bytes 0xE1, 0x07 */
        {NNQ_DTYPE_INT4, 3, {0xE1, 0x07}, 2, "\xe1\x07", 2},
        {NNQ_DTYPE_UINT4, 4, {0x21, 0xF0}, 2, "\x21\xf0", 2},
        /* float8e4m3fn 1.0 = 0x38, -448 = 0xFE */
        {NNQ_DTYPE_FLOAT8E4M3FN, 2, {0x38, 0xFE}, 2, "\x38\xfe", 2},
        {NNQ_DTYPE_FLOAT8E5M2, 1, {0x3C}, 1, "\x3c", 1},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        tm_model t;
        nnq_graph *g = NULL;
        const char *outs[] = {"y", NULL};
        tm_node id[] = {{"Identity", "id", {"w"}, {"y"}}};
        tm_init(&t, id, 1, NULL, outs);
        Onnx__TensorProto *tp = tm_add_init(&t, "w", cases[i].dtype, &cases[i].n, 1, NULL, 0);
        tp->n_int32_data = cases[i].n_vals;
        tp->int32_data = (int32_t *)(uintptr_t)cases[i].vals;
        NNQ_ASSERT_OK(load_crafted(&t, NULL, &g));
        assert_int_equal(g->inits[0].tensor->nbytes, cases[i].nbytes);
        assert_memory_equal(g->inits[0].tensor->data, cases[i].bytes, cases[i].nbytes);
        /* saved as raw_data, reloaded identically */
        void *buf;
        size_t len;
        nnq_graph *g2 = NULL;
        NNQ_ASSERT_OK(nnq_graph_save_memory(g, &buf, &len));
        NNQ_ASSERT_OK(nnq_graph_load_memory(buf, len, NULL, &g2));
        assert_int_equal(g2->inits[0].tensor->dtype, cases[i].dtype);
        assert_memory_equal(g2->inits[0].tensor->data, cases[i].bytes, cases[i].nbytes);
        nnq_free(buf);
        nnq_graph_free(g);
        nnq_graph_free(g2);
    }
}

/* ---- TensorProto files ------------------------------------------------- */

static void test_tensor_pb(void **state) {
    (void)state;
    nnq_tensor *t = NULL;
    char *name = NULL;
    NNQ_ASSERT_OK(nnq_tensor_load_pb(DATA "input_0.pb", &t, &name));
    assert_string_equal(name, "input");
    assert_int_equal(t->dtype, NNQ_DTYPE_FLOAT32);
    assert_int_equal(t->ndim, 2);
    const float *f = t->data;
    assert_true(f[0] == 1 && f[1] == 2 && f[2] == 3 && f[3] == 4);
    char *dir = nnq_test_tmpdir();
    char *out = path_in(dir, "out.pb");
    NNQ_ASSERT_OK(nnq_tensor_save_pb(out, t, "renamed", NULL, 0));
    nnq_tensor *t2 = NULL;
    char *name2 = NULL;
    NNQ_ASSERT_OK(nnq_tensor_load_pb(out, &t2, &name2));
    assert_string_equal(name2, "renamed");
    assert_int_equal(t2->nbytes, 16);
    assert_memory_equal(t2->data, t->data, 16);
    nnq_tensor_free(t2);
    const char *inputs[] = {out};
    NNQ_ASSERT_FAILS(nnq_tensor_save_pb(out, t, NULL, inputs, 1), NNQ_STATUS_SAME_FILE, NULL);
    NNQ_ASSERT_FAILS(nnq_tensor_load_pb(DATA "nope.pb", &t2, NULL), NNQ_STATUS_NOT_FOUND,
                     "nope.pb");
    NNQ_ASSERT_FAILS(nnq_tensor_load_pb(DATA "attrs.onnx", &t2, NULL), NNQ_STATUS_INVALID_FORMAT,
                     "loading tensor");
    assert_null(t2);
    nnq_tensor_free(t);
    nnq_tensor_free(t2);
    nnq_free(name);
    nnq_free(name2);
    free(out);
    nnq_test_rmdir(dir);
}

static void test_bad_arguments(void **state) {
    (void)state;
    nnq_graph *g = NULL;
    NNQ_ASSERT_FAILS(nnq_graph_load(NULL, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_FAILS(nnq_graph_load(DATA "missing.onnx", NULL, &g), NNQ_STATUS_NOT_FOUND,
                     "missing.onnx");
    NNQ_ASSERT_FAILS(nnq_graph_load(DATA, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT,
                     "not a regular file");
    NNQ_ASSERT_FAILS(nnq_graph_load_memory(NULL, 4, NULL, &g), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_FAILS(nnq_graph_save(NULL, "x.onnx", NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_FAILS(nnq_graph_save_memory(NULL, NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_FAILS(nnq_graph_summarize(NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    nnq_graph_free(NULL);
    nnq_graph_summary_free(NULL);
}

/* Allocation failure at every step of a load never leaks or crashes. */
static void test_alloc_failures(void **state) {
    (void)state;
    size_t len;
    uint8_t *bytes = slurp(DATA "attrs.onnx", &len);
    bool succeeded = false;
    for (long k = 0; k < 2000 && !succeeded; k++) {
        nnq_graph *g = NULL;
        nnq_test_alloc_fail_after(k);
        nnq_status s = nnq_graph_load_memory(bytes, len, NULL, &g);
        nnq_test_alloc_fail_after(-1);
        if (s == NNQ_STATUS_OK) {
            succeeded = true;
            void *out = NULL;
            size_t n;
            nnq_test_alloc_fail_after(3);
            s = nnq_graph_save_memory(g, &out, &n);
            nnq_test_alloc_fail_after(-1);
            assert_int_equal(s, NNQ_STATUS_OUT_OF_MEMORY);
        } else {
            assert_null(g);
        }
        nnq_graph_free(g);
    }
    assert_true(succeeded);
    free(bytes);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_cnn_structure),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_typed_fields),
        cmocka_unit_test(test_attrs_kept),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_save_file_and_same_file),
        cmocka_unit_test(test_save_external),
        cmocka_unit_test(test_save_external_auto),
        cmocka_unit_test(test_external_ok),
        cmocka_unit_test(test_external_hostile_files),
        cmocka_unit_test(test_external_links),
        cmocka_unit_test(test_truncated_never_crashes),
        cmocka_unit_test(test_wire_errors),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_graph_errors),
        cmocka_unit_test(test_unnamed_and_duplicate_names),
        cmocka_unit_test(test_tensor_errors),
        cmocka_unit_test(test_int4_float8_typed),
        cmocka_unit_test(test_tensor_pb),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
