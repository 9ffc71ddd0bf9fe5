/* test_compress_model.c - nnq_model_compress / nnq_model_decompress on the
 * bundled fmnist_cnn.onnx: decompressed weights equal the compress layer's
 * own decompression bit for bit, error paths name tensor and rule. */
#include "testutil.h"

#include <math.h>
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
    /* Every fc1 form is a decode chain (pruning alone: mask + values). */
    assert_null(init_of(c, "fc1.weight"));
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

/* Pruning alone: mask + values decode chains (Unsqueeze, BitShift, Mod,
 * Reshape, Cast, CumSum, Mul, Gather, Reshape) evaluated by nnq's executor
 * give exactly the compress layer's dense weight; a weight whose sparse form
 * would not be smaller stays a dense initializer with zeros. */
static void test_prune_sparse_form(void **state) {
    (void)state;
    nnq_compress_config b = {0};
    b.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE, b.sparsity = 0.7f;
    round_trip(&b);
    b.prune_mode = NNQ_PRUNE_MODE_THRESHOLD, b.threshold = 0.02f;
    round_trip(&b);

    nnq_graph *g = NULL, *c = NULL;
    nnq_compress_report *r = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_model_compress_options o = {0};
    o.base = &b, o.min_size = 100;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, &r));
    /* conv1 [8,1,3,3] at threshold 0.02 keeps 570 / 576 bytes' worth of
     * values: 72 mask bytes + 4 * 144 values would not be smaller. */
    assert_non_null(init_of(c, "conv1.weight"));
    assert_null(init_of(c, "fc1.weight"));
    const nnq_tensor *mask = init_of(c, "fc1.weight.mask"), *val = init_of(c, "fc1.weight.values");
    assert_non_null(mask);
    assert_non_null(val);
    assert_int_equal(mask->dtype, NNQ_DTYPE_UINT8);
    assert_int_equal(mask->numel, 128 * 784 / 8); /* fc1 is [128, 784] */
    assert_int_equal(val->dtype, NNQ_DTYPE_FLOAT32);
    uint32_t first;
    memcpy(&first, val->data, sizeof first);
    assert_int_equal(first, 0); /* +0.0f: what pruned elements gather */
    size_t ones = 0;
    for (size_t i = 0; i < mask->numel; i++)
        for (int k = 0; k < 8; k++) ones += (((const uint8_t *)mask->data)[i] >> k) & 1u;
    assert_int_equal(val->numel, ones + 1);
    bool shift = false;
    for (size_t i = 0; i < c->n_nodes; i++)
        shift |= strcmp(c->nodes[i].op_type, "BitShift") == 0;
    assert_true(shift);
    for (size_t i = 0; i < c->n_opsets; i++)
        if (!c->opsets[i].domain[0]) assert_int_equal(c->opsets[i].version, 13);
    nnq_compress_report_free(r);
    nnq_graph_free(g), nnq_graph_free(c);
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

/* ---- per-block linear quantization (opset 21) ---------------------------- */

static const nnq_node *producer_of(nnq_graph *g, const char *value) {
    ptrdiff_t p = nnq_graph_find_producer(g, value);
    return p < 0 ? NULL : &g->nodes[p];
}

static int64_t attr_i(const nnq_node *n, const char *name) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return n->attrs[i].i;
    return -1;
}

static int64_t onnx_opset(const nnq_graph *g) {
    for (size_t i = 0; i < g->n_opsets; i++)
        if (!g->opsets[i].domain[0]) return g->opsets[i].version;
    return -1;
}

/* Nibble i of a packed 4-bit tensor, sign-extended when is_signed. */
static int nibble(const nnq_tensor *t, size_t i, bool is_signed) {
    int v = (((const uint8_t *)t->data)[i / 2] >> (4 * (i & 1))) & 0xF;
    return is_signed && v > 7 ? v - 16 : v;
}

static nnq_graph *compress_gemm(nnq_graph *g, nnq_compress_config *b, bool is_unsigned) {
    static const char *const gemm[1] = {"Gemm"};
    nnq_model_compress_options o = {0};
    o.base = b, o.min_size = 100, o.op_types = gemm, o.n_op_types = 1;
    o.per_block = true, o.linear_unsigned = is_unsigned;
    nnq_graph *c = NULL;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, NULL));
    return c;
}

/* fc1.weight [64, 1568] (Gemm transB=1), 4-bit symmetric blocks of 32 along
 * axis 1.  Expected codes from coremltools' linear_symmetric definition,
 * computed here per block: s = max|w| / 7, q = clamp(rne(w / s), -7, 7);
 * the decoded weight is q * s exactly. */
static void test_per_block_int4(void **state) {
    (void)state;
    nnq_graph *g = NULL, *d = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_compress_config b = {0};
    b.linear_bits = 4, b.linear_mode = NNQ_LINEAR_MODE_SYMMETRIC, b.block_size = 32;
    nnq_graph *c = compress_gemm(g, &b, false);
    assert_int_equal(onnx_opset(c), 21);
    assert_true(c->ir_version >= 10);
    const nnq_tensor *q = init_of(c, "fc1.weight.quantized"), *sc = init_of(c, "fc1.weight.scale");
    assert_non_null(q);
    assert_non_null(sc);
    assert_null(init_of(c, "fc1.weight.zero_point")); /* all zero: left out */
    assert_int_equal(q->dtype, NNQ_DTYPE_INT4);
    assert_int_equal(sc->ndim, 2);
    assert_int_equal(sc->dims[0], 64);
    assert_int_equal(sc->dims[1], 49);
    const nnq_node *dq = producer_of(c, "fc1.weight");
    assert_non_null(dq);
    assert_string_equal(dq->op_type, "DequantizeLinear");
    assert_int_equal(attr_i(dq, "axis"), 1);
    assert_int_equal(attr_i(dq, "block_size"), 32);
    NNQ_ASSERT_OK(nnq_model_decompress(c, &d, NULL));
    const nnq_tensor *w = init_of(g, "fc1.weight"), *dw = init_of(d, "fc1.weight");
    const float *wv = w->data, *dv = dw->data;
    for (size_t blk = 0; blk < 64 * 49; blk += 97) { /* a spread of blocks */
        size_t base = blk * 32;
        float amax = 0;
        for (size_t i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(wv[base + i]));
        float s = amax / 7.0f;
        assert_true(((const float *)sc->data)[blk] == s);
        for (size_t i = 0; i < 32; i++) {
            float r = nearbyintf(wv[base + i] / s);
            int want = (int)fmaxf(-7.0f, fminf(7.0f, r));
            assert_int_equal(nibble(q, base + i, true), want);
            assert_true(dv[base + i] == (float)want * s);
        }
    }
    nnq_graph_free(g), nnq_graph_free(c), nnq_graph_free(d);
}

/* Affine uint4 blocks: coremltools `linear` on [0, 15]:
 * range widened to contain 0, s = (B - A) / 15, z = clamp(rne(-A / s), 0, 15). */
static void test_per_block_uint4_affine(void **state) {
    (void)state;
    nnq_graph *g = NULL, *d = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_compress_config b = {0};
    b.linear_bits = 4, b.linear_mode = NNQ_LINEAR_MODE_LINEAR, b.block_size = 16;
    nnq_graph *c = compress_gemm(g, &b, true);
    const nnq_tensor *q = init_of(c, "fc2.weight.quantized"), *sc = init_of(c, "fc2.weight.scale"),
                     *zp = init_of(c, "fc2.weight.zero_point");
    assert_non_null(zp);
    assert_int_equal(q->dtype, NNQ_DTYPE_UINT4);
    assert_int_equal(zp->dtype, NNQ_DTYPE_UINT4);
    assert_int_equal(sc->dims[1], 4); /* fc2.weight [10, 64] */
    NNQ_ASSERT_OK(nnq_model_decompress(c, &d, NULL));
    const float *wv = init_of(g, "fc2.weight")->data, *dv = init_of(d, "fc2.weight")->data;
    for (size_t blk = 0; blk < 40; blk++) {
        float lo = 0, hi = 0;
        for (size_t i = 0; i < 16; i++) lo = fminf(lo, wv[blk * 16 + i]), hi = fmaxf(hi, wv[blk * 16 + i]);
        float s = (hi - lo) / 15.0f;
        int z = (int)fmaxf(0.0f, fminf(15.0f, nearbyintf((0.0f * hi - 15.0f * lo) / (hi - lo))));
        assert_true(((const float *)sc->data)[blk] == s);
        assert_int_equal(nibble(zp, blk, false), z);
        for (size_t i = 0; i < 16; i++) {
            size_t k = blk * 16 + i;
            int want = (int)fmaxf(0.0f, fminf(15.0f, nearbyintf(wv[k] / s) + (float)z));
            assert_int_equal(nibble(q, k, false), want);
            assert_true(dv[k] == (float)(want - z) * s);
        }
    }
    nnq_graph_free(g), nnq_graph_free(c), nnq_graph_free(d);
}

/* Byte-identical files for 1, 2 and 7 threads (k-means tables, per-block
 * scales and codes all come from fixed tilings). */
static void test_threads_identical(void **state) {
    (void)state;
    nnq_graph *g = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    static const char *const gemm[1] = {"Gemm"};
    for (int cfg = 0; cfg < 3; cfg++) {
        nnq_compress_config b = {0};
        nnq_model_compress_options o = {0};
        o.base = &b, o.min_size = 100;
        if (cfg == 0) b.palette_bits = 4, b.group_size = 2, b.seed = 3;
        if (cfg == 1) b.linear_bits = 4, b.block_size = 32, o.per_block = true, o.op_types = gemm, o.n_op_types = 1;
        if (cfg == 2) b.linear_bits = 8, b.group_size = 1, b.prune_mode = NNQ_PRUNE_MODE_MAGNITUDE, b.sparsity = 0.3f;
        void *ref = NULL;
        size_t ref_len = 0;
        static const size_t threads[3] = {1, 2, 7};
        for (int t = 0; t < 3; t++) {
            nnq_pool *pool = NULL;
            nnq_graph *c = NULL;
            void *buf = NULL;
            size_t len = 0;
            NNQ_ASSERT_OK(nnq_pool_create(threads[t], &pool));
            o.pool = pool;
            NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, NULL));
            NNQ_ASSERT_OK(nnq_graph_save_memory(c, &buf, &len));
            if (!ref) {
                ref = buf, ref_len = len;
            } else {
                assert_int_equal(len, ref_len);
                assert_memory_equal(buf, ref, len);
                nnq_free(buf);
            }
            nnq_graph_free(c);
            nnq_pool_free(pool);
        }
        nnq_free(ref);
    }
    nnq_graph_free(g);
}

/* max_opset 13 keeps one byte per index; opset-21-only requests fail. */
static void test_max_opset(void **state) {
    (void)state;
    nnq_graph *g = NULL, *c = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_compress_config b = {0};
    b.palette_bits = 4;
    nnq_model_compress_options o = {0};
    o.base = &b, o.min_size = 100, o.max_opset = 13;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, NULL));
    assert_int_equal(onnx_opset(c), 13);
    assert_int_equal(init_of(c, "fc1.weight.indices")->dtype, NNQ_DTYPE_UINT8);
    nnq_graph_free(c), c = NULL;
    o.max_opset = 0;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, NULL));
    assert_int_equal(onnx_opset(c), 21);
    assert_int_equal(init_of(c, "fc1.weight.indices")->dtype, NNQ_DTYPE_UINT4);
    nnq_graph_free(c), c = NULL;
    /* 8-bit codes need nothing new: the opset stays 13. */
    b.palette_bits = 0, b.linear_bits = 8;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, NULL));
    assert_int_equal(onnx_opset(c), 13);
    nnq_graph_free(c), c = NULL;
    o.max_opset = 12;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_OUT_OF_RANGE, "max_opset 12");
    o.max_opset = 13, o.per_block = true, b.linear_bits = 4;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_UNSUPPORTED,
                     "(opset 21), but max_opset is below 21");
    assert_null(c);
    nnq_graph_free(g);
}

/* A ReduceMean with an `axes` attribute (opset < 18) would change meaning
 * at 21, so the model stays at its opset with one byte per index. */
static void test_unsafe_opset_raise(void **state) {
    (void)state;
    nnq_graph *g = NULL, *c = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_node n;
    memset(&n, 0, sizeof n);
    n.name = nnq_strdup("rm"), n.op_type = nnq_strdup("ReduceMean"), n.domain = nnq_strdup("");
    n.inputs = nnq_calloc(1, sizeof *n.inputs), n.outputs = nnq_calloc(1, sizeof *n.outputs);
    n.inputs[0] = nnq_strdup("logits"), n.outputs[0] = nnq_strdup("rm_out");
    n.n_inputs = n.n_outputs = 1;
    n.attrs = nnq_calloc(1, sizeof *n.attrs);
    n.attrs[0].name = nnq_strdup("axes"), n.attrs[0].type = NNQ_ATTR_INTS;
    n.attrs[0].ints = nnq_calloc(1, sizeof(int64_t)), n.attrs[0].ints[0] = 1, n.attrs[0].n_ints = 1;
    n.n_attrs = 1;
    NNQ_ASSERT_OK(nnq_graph_add_node(g, &n));
    nnq_compress_config b = {0};
    b.palette_bits = 4;
    nnq_model_compress_options o = {0};
    o.base = &b, o.min_size = 100;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, NULL));
    assert_int_equal(onnx_opset(c), 13);
    assert_int_equal(init_of(c, "fc1.weight.indices")->dtype, NNQ_DTYPE_UINT8);
    nnq_graph_free(c), c = NULL;
    b.palette_bits = 0, b.linear_bits = 4, o.per_block = true;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_UNSUPPORTED,
                     "change meaning by opset 21");
    nnq_graph_free(g);
}

static void test_per_block_errors(void **state) {
    (void)state;
    nnq_graph *g = NULL, *c = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    nnq_compress_config b = {0};
    b.linear_bits = 4, b.block_size = 32;
    nnq_model_compress_options o = {0};
    o.base = &b, o.min_size = 100, o.per_block = true;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_BLOCK_MISMATCH,
                     "tensor 'conv1.weight' axis 1 has 1 elements, not a multiple of block_size 32");
    static const char *const gemm[1] = {"Gemm"};
    o.op_types = gemm, o.n_op_types = 1;
    b.prune_mode = NNQ_PRUNE_MODE_BLOCK, b.sparsity = 0.5f;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_INVALID_ARGUMENT,
                     "block pruning and per-block");
    b.prune_mode = NNQ_PRUNE_MODE_NONE, b.linear_bits = 9;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_BITS_OUT_OF_RANGE,
                     "'fc1.weight': linear bits 9 outside [2, 8]");
    b.linear_bits = 0, b.palette_bits = 4;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_INVALID_ARGUMENT,
                     "per-block granularity is for linear");
    b.palette_bits = 0, b.linear_bits = 4, o.per_block = false, o.linear_unsigned = true;
    b.group_size = 3;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_BLOCK_MISMATCH,
                     "not a multiple of group_size 3");
    b.group_size = 0;
    ((float *)init_of(g, "fc1.weight")->data)[5] = (float)INFINITY;
    NNQ_ASSERT_FAILS(nnq_model_compress(g, &o, &c, NULL), NNQ_STATUS_INVALID_ARGUMENT,
                     "'fc1.weight' element 5 is inf, not finite");
    assert_null(c);
    nnq_graph_free(g);
}

/* Spec keys granularity: per_block (block_size, default 32) and linear_dtype. */
static void test_spec_per_block(void **state) {
    (void)state;
    nnq_graph *g = NULL, *c = NULL;
    nnq_compress_report *r = NULL;
    NNQ_ASSERT_OK(nnq_graph_load(MODEL, NULL, &g));
    static const char text[] = "global: {mode: linear, bits: 4, granularity: per_block}\n"
                               "op_type: {Conv: null}\n"
                               "name: {\"fc2*\": {block_size: 16, linear_dtype: uint, linear_mode: linear}}\n";
    nnq_compress_spec *sp = NULL;
    NNQ_ASSERT_OK(nnq_compress_spec_load_string(text, sizeof text - 1, NULL, &sp));
    nnq_compress_config b = {0};
    nnq_model_compress_options o = {0};
    o.base = &b, o.spec = sp, o.min_size = 100;
    NNQ_ASSERT_OK(nnq_model_compress(g, &o, &c, &r));
    assert_int_equal(r->n_weights, 2);
    assert_string_equal(r->weights[0].method, "linear 4b block 32 axis 1");
    assert_string_equal(r->weights[1].method, "linear 4b uint block 16 axis 1");
    /* Affine (the zero config's linear_mode): 4-bit codes + per block of 32
     * one fp32 scale and one 4-bit zero point. */
    assert_int_equal(r->weights[0].packed_bytes, 64 * 1568 / 2 + 64 * 49 * 4 + 64 * 49 / 2);
    nnq_compress_report_free(r);
    nnq_compress_spec_free(sp);
    nnq_graph_free(c);
    static const char bad[] = "global: {linear_dtype: int4}";
    NNQ_ASSERT_FAILS(nnq_compress_spec_load_string(bad, sizeof bad - 1, NULL, &sp),
                     NNQ_STATUS_UNKNOWN_NAME, "key 'linear_dtype': unknown value 'int4' (one of: int, uint)");
    nnq_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_palettize_grouped_int8), cmocka_unit_test(test_palettize_pruned_fp16),
        cmocka_unit_test(test_linear_affine_per_channel), cmocka_unit_test(test_prune_only),
        cmocka_unit_test(test_errors), cmocka_unit_test(test_spec),
        cmocka_unit_test(test_per_block_int4), cmocka_unit_test(test_per_block_uint4_affine),
        cmocka_unit_test(test_threads_identical), cmocka_unit_test(test_max_opset),
        cmocka_unit_test(test_unsafe_opset_raise), cmocka_unit_test(test_per_block_errors),
        cmocka_unit_test(test_spec_per_block), cmocka_unit_test(test_prune_sparse_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
