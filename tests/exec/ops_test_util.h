/*
 * ops_test_util.h - building nodes and running one operator's infer + run in
 * the elementwise / tensor / quant operator tests.
 */
#ifndef NNQ_OPS_TEST_UTIL_H
#define NNQ_OPS_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exec/op.h"
#include "testutil.h"

#define TN_MAX 8

typedef struct tnode {
    nnq_node node;
    nnq_attr attrs[TN_MAX];
    char *in_names[TN_MAX], *out_names[TN_MAX];
    char names[2 * TN_MAX + 2][32];
    int64_t ints[TN_MAX][16];
    float floats[TN_MAX][16];
} tnode;

/* Node "<op>_node" with inputs "x0".. and outputs "y0"..; attributes added
 * by the tn_* helpers below. */
static inline void tn_init(tnode *t, const char *op, size_t n_in, size_t n_out) {
    memset(t, 0, sizeof *t);
    snprintf(t->names[0], 32, "%s_node", op);
    snprintf(t->names[1], 32, "%s", op);
    for (size_t i = 0; i < n_in; i++) {
        snprintf(t->names[2 + i], 32, "x%zu", i);
        t->in_names[i] = t->names[2 + i];
    }
    for (size_t i = 0; i < n_out; i++) {
        snprintf(t->names[2 + TN_MAX + i], 32, "y%zu", i);
        t->out_names[i] = t->names[2 + TN_MAX + i];
    }
    t->node.name = t->names[0];
    t->node.op_type = t->names[1];
    t->node.domain = t->names[2 * TN_MAX + 1]; /* "" */
    t->node.inputs = t->in_names;
    t->node.n_inputs = n_in;
    t->node.outputs = t->out_names;
    t->node.n_outputs = n_out;
    t->node.attrs = t->attrs;
}

static inline nnq_attr *tn_attr(tnode *t, const char *name, nnq_attr_type type) {
    nnq_attr *a = &t->attrs[t->node.n_attrs++];
    assert_true(t->node.n_attrs <= TN_MAX);
    a->name = (char *)(uintptr_t)name; /* never written through */
    a->type = type;
    return a;
}
static inline void tn_int(tnode *t, const char *name, int64_t v) {
    tn_attr(t, name, NNQ_ATTR_INT)->i = v;
}
static inline void tn_float(tnode *t, const char *name, float v) {
    tn_attr(t, name, NNQ_ATTR_FLOAT)->f = v;
}
static inline void tn_string(tnode *t, const char *name, const char *v) {
    nnq_attr *a = tn_attr(t, name, NNQ_ATTR_STRING);
    a->s = (char *)(uintptr_t)v;
    a->s_len = strlen(v);
}
static inline void tn_ints(tnode *t, const char *name, const int64_t *v, size_t n) {
    size_t k = t->node.n_attrs;
    nnq_attr *a = tn_attr(t, name, NNQ_ATTR_INTS);
    assert_true(n <= 16);
    memcpy(t->ints[k], v, n * sizeof *v);
    a->ints = t->ints[k];
    a->n_ints = n;
}
static inline void tn_floats(tnode *t, const char *name, const float *v, size_t n) {
    size_t k = t->node.n_attrs;
    nnq_attr *a = tn_attr(t, name, NNQ_ATTR_FLOATS);
    assert_true(n <= 16);
    memcpy(t->floats[k], v, n * sizeof *v);
    a->floats = t->floats[k];
    a->n_floats = n;
}
static inline void tn_tensor(tnode *t, const char *name, nnq_tensor *v) {
    tn_attr(t, name, NNQ_ATTR_TENSOR)->t = v;
}

/* A tensor holding a copy of `data` (nbytes of the dtype and shape). */
static inline nnq_tensor *tt(nnq_dtype dt, int ndim, const int64_t *dims, const void *data) {
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_tensor_create(dt, ndim, dims, &t));
    if (data && t->nbytes) memcpy(t->data, data, t->nbytes);
    return t;
}
#define TT1(dt, n, ...) tt(dt, 1, (const int64_t[]){n}, __VA_ARGS__)
#define F32(...) ((const float[]){__VA_ARGS__})
#define I64(...) ((const int64_t[]){__VA_ARGS__})
#define I32(...) ((const int32_t[]){__VA_ARGS__})
#define U8(...) ((const uint8_t[]){__VA_ARGS__})
#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

static inline void tt_free_all(nnq_tensor **t, size_t n) {
    for (size_t i = 0; i < n; i++) nnq_tensor_free(t[i]);
}

/*
 * Infer, allocate the outputs, size the scratch and run.  On failure returns
 * the status with nothing allocated.  opset 0 means "latest".
 */
static inline nnq_status run_node(const tnode *t, int64_t opset, nnq_pool *pool,
                                  nnq_tensor *const *in, size_t n_in, nnq_tensor **out,
                                  size_t n_out) {
    const nnq_op_def *def = nnq_op_find("", t->node.op_type);
    nnq_op_ctx ctx = {.node = &t->node, .opset = opset, .pool = pool};
    nnq_out_shape shapes[TN_MAX];
    const nnq_tensor *const *cin = (const nnq_tensor *const *)in;
    assert_non_null(def);
    for (size_t i = 0; i < n_out; i++) out[i] = NULL;
    nnq_status s = def->infer(&ctx, cin, n_in, shapes, n_out);
    if (s != NNQ_STATUS_OK) return s;
    for (size_t i = 0; i < n_out; i++)
        NNQ_ASSERT_OK(nnq_tensor_create(shapes[i].dtype, shapes[i].ndim, shapes[i].dims, &out[i]));
    size_t scratch = def->scratch ? def->scratch(&ctx, cin, n_in) : 0;
    ctx.scratch = scratch ? nnq_aligned_alloc(64, scratch) : NULL;
    ctx.scratch_size = scratch;
    s = def->run(&ctx, cin, n_in, out, n_out);
    nnq_aligned_free(ctx.scratch);
    if (s != NNQ_STATUS_OK) tt_free_all(out, n_out);
    return s;
}

/* Infer only (for bad-input tests of shape checks). */
static inline nnq_status infer_node(const tnode *t, int64_t opset, nnq_tensor *const *in,
                                    size_t n_in, nnq_out_shape *shapes, size_t n_out) {
    const nnq_op_def *def = nnq_op_find("", t->node.op_type);
    nnq_op_ctx ctx = {.node = &t->node, .opset = opset};
    assert_non_null(def);
    return def->infer(&ctx, (const nnq_tensor *const *)in, n_in, shapes, n_out);
}

static inline void expect_shape(const nnq_tensor *t, int ndim, const int64_t *dims) {
    assert_int_equal(t->ndim, ndim);
    for (int d = 0; d < ndim; d++) assert_int_equal(t->dims[d], dims[d]);
}

static inline void expect_f32(const nnq_tensor *t, const float *want, size_t n, float tol) {
    assert_int_equal(t->dtype, NNQ_DTYPE_FLOAT32);
    assert_int_equal(t->numel, n);
    const float *got = t->data;
    for (size_t i = 0; i < n; i++) {
        if (got[i] == want[i]) continue; /* also equal infinities */
        if (isnan(want[i])) {
            if (!isnan(got[i])) fail_msg("element %zu: got %.9g, want NaN", i, (double)got[i]);
        } else if (!(fabsf(got[i] - want[i]) <= tol)) {
            fail_msg("element %zu: got %.9g, want %.9g (tol %g)", i, (double)got[i],
                     (double)want[i], (double)tol);
        }
    }
}

static inline void expect_bytes(const nnq_tensor *t, const void *want, size_t nbytes) {
    assert_int_equal(t->nbytes, nbytes);
    if (nbytes && memcmp(t->data, want, nbytes) != 0) {
        const uint8_t *g = t->data, *w = want;
        for (size_t i = 0; i < nbytes; i++)
            if (g[i] != w[i]) fail_msg("byte %zu: got 0x%02x, want 0x%02x", i, g[i], w[i]);
    }
}

#endif
