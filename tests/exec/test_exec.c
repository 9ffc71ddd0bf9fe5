/* test_exec.c - the executor: validation, ordering, inference, folding,
 * memory planning, hooks, symbolic dims and thread-count independence. */
#include <math.h>
#include <stdlib.h>

#include "test_exec_graph.h"

/* Softmax of a row, from the definition, in double. */
static void softmax_ref(const float *x, double *y, size_t n) {
    double m = -(double)INFINITY, s = 0.0;
    for (size_t i = 0; i < n; i++)
        m = (double)x[i] > m ? (double)x[i] : m;
    for (size_t i = 0; i < n; i++)
        s += exp((double)x[i] - m);
    for (size_t i = 0; i < n; i++)
        y[i] = exp((double)x[i] - m) / s;
}

/* x -> Softmax s1 -> ... -> s<n>; the last value is the graph output. */
static void build_chain(tg *t, int n, int64_t width) {
    static const char *names[] = {"x", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"};
    static const char *nodes[] = {"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"};
    int64_t dims[2] = {1, width};
    tg_init(t, 13);
    tg_input(t, "x", 2, dims);
    for (int i = 0; i < n; i++) {
        const char *in[] = {names[i], NULL}, *out[] = {names[i + 1], NULL};
        tg_node(t, "Softmax", nodes[i], in, out);
    }
    tg_output(t, names[n]);
}

static void test_chain_memory_plan(void **state) {
    (void)state;
    tg t;
    build_chain(&t, 6, 1000);
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    /* 1000 floats = 4000 bytes -> 4032 aligned.  Arena values: x, v1..v5
     * (v6 goes to the caller).  At most an input and an output live at
     * once, so two buffers suffice where the sum is six. */
    assert_int_equal(nnq_exec_activation_bytes(e), 6 * 4032);
    assert_int_equal(nnq_exec_planned_bytes(e), 2 * 4032);
    float x[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = (float)((i * 37) % 101) / 25.0f;
    nnq_tensor *xt = tg_tensor(2, (int64_t[]){1, 1000}, x), *y = NULL;
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1));
    /* Reference: apply the definition six times, rounding to float between
     * steps as the graph does. */
    double r[1000];
    float cur[1000];
    memcpy(cur, x, sizeof cur);
    for (int k = 0; k < 6; k++) {
        softmax_ref(cur, r, 1000);
        for (int i = 0; i < 1000; i++)
            cur[i] = (float)r[i];
    }
    const float *yd = y->data;
    for (int i = 0; i < 1000; i++)
        assert_float_equal(yd[i], cur[i], 1e-8);
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->dims[1], 1000);
    nnq_tensor_free(y);
    nnq_tensor_free(xt);
    nnq_exec_free(e);
}

typedef struct hook_log {
    int calls;
    char names[16][16];
    char nodes[16][16];
    size_t out_index[16];
    int zero_value; /* index of the value to overwrite with zeros, -1 none */
    nnq_status fail_with;
    int change_shape;
} hook_log;

static nnq_status log_hook(void *ctx, const nnq_exec_event *ev, nnq_tensor *v) {
    hook_log *l = ctx;
    int i = l->calls++;
    snprintf(l->names[i], sizeof l->names[i], "%s", ev->value_name);
    snprintf(l->nodes[i], sizeof l->nodes[i], "%s", ev->node_name ? ev->node_name : "-");
    l->out_index[i] = ev->output_index;
    if (l->zero_value == i) memset(v->data, 0, v->nbytes);
    if (l->change_shape == i) v->dims[0] = 7;
    return l->fail_with;
}

static void test_hooks_observe_and_replace(void **state) {
    (void)state;
    tg t;
    build_chain(&t, 2, 4);
    hook_log log = {0};
    log.zero_value = -1;
    log.change_shape = -1;
    nnq_exec_options o = {NULL, 0, log_hook, &log};
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, &o, &e));
    float x[4] = {1, 2, 3, 4};
    nnq_tensor *xt = tg_tensor(2, (int64_t[]){1, 4}, x), *y = NULL;
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1));
    assert_int_equal(log.calls, 3);
    assert_string_equal(log.names[0], "x");
    assert_string_equal(log.nodes[0], "-");
    assert_string_equal(log.names[1], "v1");
    assert_string_equal(log.nodes[1], "s1");
    assert_string_equal(log.names[2], "v2");
    assert_string_equal(log.nodes[2], "s2");
    nnq_tensor_free(y);

    /* Replacing v1 by zeros makes the second softmax uniform: exactly 1/4. */
    memset(&log, 0, sizeof log);
    log.zero_value = 1;
    log.change_shape = -1;
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1));
    for (int i = 0; i < 4; i++)
        assert_true(((float *)y->data)[i] == 0.25f);
    /* The caller's input is untouched even though the hook saw a copy. */
    assert_true(((float *)xt->data)[3] == 4.0f);
    nnq_tensor_free(y);

    /* Replacing the graph input's copy works the same way. */
    memset(&log, 0, sizeof log);
    log.zero_value = 0;
    log.change_shape = -1;
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1));
    assert_true(((float *)y->data)[0] == 0.25f);
    nnq_tensor_free(y);

    /* A failing hook stops the run with its status; no outputs leak. */
    memset(&log, 0, sizeof log);
    log.zero_value = log.change_shape = -1;
    log.fail_with = NNQ_STATUS_OUT_OF_RANGE;
    y = (nnq_tensor *)&log; /* must be reset to NULL */
    assert_int_equal(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1),
                     NNQ_STATUS_OUT_OF_RANGE);
    assert_null(y);
    assert_int_equal(log.calls, 1);

    /* A hook may not reshape a value. */
    memset(&log, 0, sizeof log);
    log.zero_value = -1;
    log.change_shape = 1;
    NNQ_ASSERT_FAILS(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1),
                     NNQ_STATUS_INVALID_STATE, "changed the dtype, shape or buffer of 'v1'");

    /* Removing the hook. */
    nnq_exec_set_hook(e, NULL, NULL);
    memset(&log, 0, sizeof log);
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1));
    assert_int_equal(log.calls, 0);
    nnq_tensor_free(y);
    nnq_tensor_free(xt);
    nnq_exec_free(e);
}

static void test_validation_errors(void **state) {
    (void)state;
    tg t;
    nnq_exec *e = (nnq_exec *)&t;
    int64_t d[2] = {1, 4};
    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "FrobnicateOp", "frob1", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_UNSUPPORTED,
                     "node 'frob1' uses operator 'FrobnicateOp'");
    assert_null(e);

    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "Softmax", "s1", (const char *[]){"nope", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_NOT_FOUND,
                     "node 's1' (Softmax) input 0 'nope'");

    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "MatMul", "a", (const char *[]){"x", "b_out", NULL},
            (const char *[]){"a_out", NULL});
    tg_node(&t, "MatMul", "b", (const char *[]){"x", "a_out", NULL},
            (const char *[]){"b_out", NULL});
    tg_output(&t, "a_out");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_INVALID_FORMAT, "cycle");

    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "Softmax", "s1", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_node(&t, "Softmax", "s2", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_INVALID_FORMAT,
                     "value 'y' is defined twice");

    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "Softmax", "s1", (const char *[]){"x", "x", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_INVALID_FORMAT,
                     "node 's1' (Softmax) has 2 inputs, expected 1 to 1");

    /* Fuzz finding: an omitted ("") required input reached the op as NULL
     * (a Conv's X named "\0" in the file).  Trailing omitted inputs are
     * fine as long as enough remain. */
    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_const(&t, "w", 2, (int64_t[]){4, 2}, NULL);
    tg_node(&t, "MatMul", "mm", (const char *[]){"", "w", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_INVALID_FORMAT,
                     "node 'mm' (MatMul) omits input 0, which is required (the first 2 are)");
    tg_node(&t, "Conv", "cv", (const char *[]){"x", "", "", NULL}, (const char *[]){"z", NULL});
    t.g.nodes[0].inputs[0] = "x";
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_INVALID_FORMAT,
                     "node 'cv' (Conv) has 1 inputs, expected 2 to 3");
    tg_free(&t);

    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "Softmax", "s1", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "zzz");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_NOT_FOUND, "graph output 'zzz'");

    /* Declared output type disagreeing with the inferred one. */
    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "Softmax", "s1", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    t.outputs[0].dtype = NNQ_DTYPE_INT8;
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_DTYPE_MISMATCH,
                     "graph output 'y' is declared int8 but node 's1' produces float32");

    /* So must a declared intermediate type (value_info). */
    nnq_value_info vi = {0};
    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_node(&t, "Softmax", "s1", (const char *[]){"x", NULL}, (const char *[]){"h", NULL});
    tg_node(&t, "Softmax", "s2", (const char *[]){"h", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    vi.name = "h";
    vi.dtype = NNQ_DTYPE_FLOAT16;
    vi.ndim = -1;
    t.g.value_infos = &vi;
    t.g.n_value_infos = 1;
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_DTYPE_MISMATCH,
                     "value 'h' is declared float16 (value_info) but s1 produces float32");

    /* Shape errors found by inference name the node. */
    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_const(&t, "w", 2, (int64_t[]){3, 2}, NULL);
    tg_node(&t, "MatMul", "mm", (const char *[]){"x", "w", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_SHAPE_MISMATCH,
                     "node 'mm' (MatMul): A has 4 columns but B has 3 rows");
    tg_free(&t);

    NNQ_ASSERT_FAILS(nnq_exec_create(NULL, NULL, &e), NNQ_STATUS_INVALID_ARGUMENT, "graph is NULL");
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT, "out is NULL");
    nnq_exec_free(NULL);
}

static void test_run_argument_errors(void **state) {
    (void)state;
    tg t;
    build_chain(&t, 1, 4);
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    assert_int_equal(nnq_exec_input_count(e), 1);
    assert_string_equal(nnq_exec_input_name(e, 0), "x");
    assert_null(nnq_exec_input_name(e, 1));
    assert_int_equal(nnq_exec_output_count(e), 1);
    assert_string_equal(nnq_exec_output_name(e, 0), "v1");
    nnq_tensor *y = NULL;
    nnq_tensor *good = tg_tensor(2, (int64_t[]){1, 4}, NULL);
    nnq_tensor *wide = tg_tensor(2, (int64_t[]){1, 5}, NULL);
    nnq_tensor *ints = NULL;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_INT32, 2, (int64_t[]){1, 4}, &ints));
    NNQ_ASSERT_FAILS(nnq_exec_run(e, NULL, 0, &y, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "got 0 inputs, the graph has 1");
    NNQ_ASSERT_FAILS(nnq_exec_run(e, (const nnq_tensor *const *)&good, 1, &y, 2),
                     NNQ_STATUS_INVALID_ARGUMENT, "room for 2 outputs");
    NNQ_ASSERT_FAILS(nnq_exec_run(e, (const nnq_tensor *const *)&wide, 1, &y, 1),
                     NNQ_STATUS_SHAPE_MISMATCH,
                     "input 'x' has shape [1, 5], the graph wants [1, 4]");
    NNQ_ASSERT_FAILS(nnq_exec_run(e, (const nnq_tensor *const *)&ints, 1, &y, 1),
                     NNQ_STATUS_DTYPE_MISMATCH, "input 'x' is int32, the graph wants float32");
    const nnq_tensor *null_in = NULL;
    NNQ_ASSERT_FAILS(nnq_exec_run(e, &null_in, 1, &y, 1), NNQ_STATUS_INVALID_ARGUMENT,
                     "input 'x' is NULL");
    NNQ_ASSERT_FAILS(nnq_exec_run(NULL, NULL, 0, NULL, 0), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    nnq_dtype dt;
    int nd;
    int64_t dims[NNQ_MAX_DIMS];
    NNQ_ASSERT_OK(nnq_exec_value_shape(e, "v1", &dt, &nd, dims));
    assert_int_equal(dt, NNQ_DTYPE_FLOAT32);
    assert_int_equal(nd, 2);
    assert_int_equal(dims[1], 4);
    NNQ_ASSERT_FAILS(nnq_exec_value_shape(e, "nope", &dt, &nd, dims), NNQ_STATUS_NOT_FOUND,
                     "no value named 'nope'");
    nnq_tensor_free(good);
    nnq_tensor_free(wide);
    nnq_tensor_free(ints);
    nnq_exec_free(e);
}

/* y = x @ softmax(w): the Softmax of a constant is folded at create time. */
static void test_constant_folding(void **state) {
    (void)state;
    tg t;
    int64_t xd[2] = {2, 2};
    float w[4] = {0, 0, 1, 1}; /* softmax rows: [0.5, 0.5], [0.5, 0.5] */
    tg_init(&t, 13);
    tg_input(&t, "x", 2, xd);
    tg_const(&t, "w", 2, xd, w);
    tg_node(&t, "Softmax", "sw", (const char *[]){"w", NULL}, (const char *[]){"ws", NULL});
    tg_node(&t, "MatMul", "mm", (const char *[]){"x", "ws", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    float x[4] = {1, 2, 3, 4};
    nnq_tensor *xt = tg_tensor(2, xd, x);
    for (int nofold = 0; nofold < 2; nofold++) {
        hook_log log = {0};
        log.zero_value = log.change_shape = -1;
        nnq_exec_options o = {NULL, nofold ? NNQ_EXEC_NO_FOLD : 0, log_hook, &log};
        nnq_exec *e;
        NNQ_ASSERT_OK(nnq_exec_create(&t.g, &o, &e));
        assert_int_equal(nnq_exec_folded_count(e), nofold ? 0 : 1);
        nnq_tensor *y;
        NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1));
        /* [1 2; 3 4] @ [.5 .5; .5 .5] = [1.5 1.5; 3.5 3.5] */
        const float want[4] = {1.5f, 1.5f, 3.5f, 3.5f};
        for (int i = 0; i < 4; i++)
            assert_true(((float *)y->data)[i] == want[i]);
        /* x, (ws when not folded), y */
        assert_int_equal(log.calls, nofold ? 3 : 2);
        assert_string_equal(log.names[nofold ? 2 : 1], "y");
        nnq_dtype dt;
        int nd;
        int64_t dims[NNQ_MAX_DIMS];
        NNQ_ASSERT_OK(nnq_exec_value_shape(e, "ws", &dt, &nd, dims)); /* name kept */
        nnq_tensor_free(y);
        nnq_exec_free(e);
    }
    nnq_tensor_free(xt);
    tg_free(&t);
}

/* Symbolic batch: shapes resolved from the actual input, re-planned when
 * the batch changes. */
static void test_symbolic_batch(void **state) {
    (void)state;
    tg t;
    int64_t xd[2] = {-1, 3};
    float w[6] = {1, 0, 0, 1, 1, 1}; /* [3, 2] */
    float b[2] = {10, 20};
    tg_init(&t, 13);
    tg_input(&t, "x", 2, xd);
    tg_const(&t, "w", 2, (int64_t[]){3, 2}, w);
    tg_const(&t, "b", 1, (int64_t[]){2}, b);
    tg_node(&t, "Gemm", "fc", (const char *[]){"x", "w", "b", NULL}, (const char *[]){"h", NULL});
    tg_node(&t, "Softmax", "sm", (const char *[]){"h", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    tg_output(&t, "h");
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    nnq_dtype dt;
    int nd;
    int64_t dims[NNQ_MAX_DIMS];
    NNQ_ASSERT_OK(nnq_exec_value_shape(e, "h", &dt, &nd, dims));
    assert_int_equal(nd, 2);
    assert_int_equal(dims[0], -1);
    assert_int_equal(dims[1], 2);
    for (int64_t batch = 1; batch <= 5; batch += 4) {
        float x[15];
        for (int i = 0; i < 15; i++)
            x[i] = (float)i;
        nnq_tensor *xt = tg_tensor(2, (int64_t[]){batch, 3}, x), *out[2];
        NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, out, 2));
        assert_int_equal(out[1]->dims[0], batch);
        for (int64_t r = 0; r < batch; r++) {
            /* h = x @ w + b: [x0 + x2 + 10, x1 + x2 + 20] */
            const float *h = (float *)out[1]->data + r * 2;
            assert_true(h[0] == x[r * 3] + x[r * 3 + 2] + 10);
            assert_true(h[1] == x[r * 3 + 1] + x[r * 3 + 2] + 20);
        }
        NNQ_ASSERT_OK(nnq_exec_value_shape(e, "h", &dt, &nd, dims));
        assert_int_equal(dims[0], batch);
        nnq_tensor_free(out[0]);
        nnq_tensor_free(out[1]);
        nnq_tensor_free(xt);
    }
    nnq_exec_free(e);
    tg_free(&t);
}

/* Nodes listed in reverse are ordered; graph inputs and constants may be
 * graph outputs. */
static void test_order_and_passthrough(void **state) {
    (void)state;
    tg t;
    int64_t d[2] = {1, 2};
    float c[2] = {5, 6};
    tg_init(&t, 13);
    tg_input(&t, "x", 2, d);
    tg_const(&t, "c", 2, d, c);
    tg_node(&t, "Softmax", "second", (const char *[]){"a", NULL}, (const char *[]){"b", NULL});
    tg_node(&t, "Softmax", "first", (const char *[]){"x", NULL}, (const char *[]){"a", NULL});
    tg_output(&t, "b");
    tg_output(&t, "x");
    tg_output(&t, "c");
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    float x[2] = {3, 3};
    nnq_tensor *xt = tg_tensor(2, d, x), *out[3];
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, out, 3));
    assert_true(((float *)out[0]->data)[0] == 0.5f);
    assert_true(((float *)out[1]->data)[1] == 3.0f);
    assert_true(((float *)out[2]->data)[1] == 6.0f);
    assert_ptr_not_equal(out[1]->data, xt->data);
    for (int i = 0; i < 3; i++)
        nnq_tensor_free(out[i]);
    nnq_tensor_free(xt);
    nnq_exec_free(e);
    tg_free(&t);
}

/* A small CNN gives bit-identical results on 1, 2 and 7 threads, and
 * within float tolerance of the scalar reference path. */
static void test_threads_bit_identical(void **state) {
    (void)state;
    tg t;
    static const int64_t pads[4] = {1, 1, 1, 1}, k2[2] = {2, 2}, s2[2] = {2, 2};
    int64_t xd[4] = {2, 3, 20, 18};
    nnq_rng rng;
    nnq_rng_seed(&rng, nnq_test_seed(), 11);
    float w1[16 * 3 * 9], b1[16], w2[10 * 16 * 9 * 10 / 10];
    float gw[10 * 10], mean[16], var[16], sc[16], bb[16];
    for (size_t i = 0; i < sizeof w1 / 4; i++)
        w1[i] = nnq_rng_normal(&rng) * 0.2f;
    for (size_t i = 0; i < 16; i++) {
        b1[i] = nnq_rng_normal(&rng);
        mean[i] = nnq_rng_normal(&rng);
        var[i] = nnq_rng_uniform(&rng) + 0.5f;
        sc[i] = nnq_rng_normal(&rng);
        bb[i] = nnq_rng_normal(&rng);
    }
    for (size_t i = 0; i < sizeof w2 / 4; i++)
        w2[i] = nnq_rng_normal(&rng) * 0.1f;
    for (size_t i = 0; i < 100; i++)
        gw[i] = nnq_rng_normal(&rng);
    tg_init(&t, 13);
    tg_input(&t, "x", 4, xd);
    tg_const(&t, "w1", 4, (int64_t[]){16, 3, 3, 3}, w1);
    tg_const(&t, "b1", 1, (int64_t[]){16}, b1);
    tg_const(&t, "sc", 1, (int64_t[]){16}, sc);
    tg_const(&t, "bb", 1, (int64_t[]){16}, bb);
    tg_const(&t, "mean", 1, (int64_t[]){16}, mean);
    tg_const(&t, "var", 1, (int64_t[]){16}, var);
    tg_const(&t, "w2", 4, (int64_t[]){10, 16, 3, 3}, w2);
    tg_const(&t, "gw", 2, (int64_t[]){10, 10}, gw);
    nnq_node *n = tg_node(&t, "Conv", "conv1", (const char *[]){"x", "w1", "b1", NULL},
                          (const char *[]){"c1", NULL});
    tg_ints(n, "pads", pads, 4);
    tg_node(&t, "BatchNormalization", "bn1",
            (const char *[]){"c1", "sc", "bb", "mean", "var", NULL}, (const char *[]){"n1", NULL});
    n = tg_node(&t, "MaxPool", "pool1", (const char *[]){"n1", NULL}, (const char *[]){"p1", NULL});
    tg_ints(n, "kernel_shape", k2, 2);
    tg_ints(n, "strides", s2, 2);
    tg_node(&t, "Conv", "conv2", (const char *[]){"p1", "w2", NULL}, (const char *[]){"c2", NULL});
    tg_node(&t, "GlobalAveragePool", "gap", (const char *[]){"c2", NULL},
            (const char *[]){"g", NULL});
    tg_node(&t, "Softmax", "sm", (const char *[]){"g", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    tg_output(&t, "c2");
    size_t numel = 2 * 3 * 20 * 18;
    float *x = malloc(numel * sizeof *x);
    for (size_t i = 0; i < numel; i++)
        x[i] = nnq_rng_normal(&rng);
    nnq_tensor *xt = tg_tensor(4, xd, x), *ref[2] = {0}, *out[2];
    size_t threads[3] = {1, 2, 7};
    for (int k = 0; k < 3; k++) {
        nnq_pool *pool;
        NNQ_ASSERT_OK(nnq_pool_create(threads[k], &pool));
        nnq_exec_options o = {pool, 0, NULL, NULL};
        nnq_exec *e;
        NNQ_ASSERT_OK(nnq_exec_create(&t.g, &o, &e));
        NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, out, 2));
        /* 20x18 -conv pad 1-> 20x18 -pool 2-> 10x9 -conv 3x3-> 8x7 */
        assert_int_equal(out[1]->dims[2], 8);
        assert_int_equal(out[1]->dims[3], 7);
        for (int j = 0; j < 2; j++) {
            if (!ref[j]) {
                ref[j] = out[j];
                continue;
            }
            assert_memory_equal(ref[j]->data, out[j]->data, ref[j]->nbytes);
            nnq_tensor_free(out[j]);
        }
        nnq_exec_free(e);
        nnq_pool_free(pool);
    }
    /* Scalar reference path agrees within float tolerance. */
    nnq_cpu_force_scalar(true);
    nnq_tensor *y = NULL;
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    NNQ_ASSERT_OK(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, out, 2));
    nnq_cpu_force_scalar(false);
    y = out[1];
    for (size_t i = 0; i < y->numel; i++)
        assert_float_equal(((float *)y->data)[i], ((float *)ref[1]->data)[i],
                           1e-4f * (1.0f + fabsf(((float *)ref[1]->data)[i])));
    nnq_tensor_free(out[0]);
    nnq_tensor_free(out[1]);
    nnq_exec_free(e);
    nnq_tensor_free(ref[0]);
    nnq_tensor_free(ref[1]);
    nnq_tensor_free(xt);
    free(x);
    tg_free(&t);
}

/* A shape known only from a runtime value (Reshape's shape input) defers
 * inference to run time: dynamic mode, still hooked and correct. */
static void test_value_dependent_shape(void **state) {
    (void)state;
    tg t;
    tg_init(&t, 13);
    tg_input(&t, "x", 2, (int64_t[]){2, 6});
    tg_input(&t, "shape", 1, (int64_t[]){2});
    t.inputs[1].dtype = NNQ_DTYPE_INT64;
    tg_node(&t, "Reshape", "r", (const char *[]){"x", "shape", NULL}, (const char *[]){"v", NULL});
    tg_node(&t, "Softmax", "s", (const char *[]){"v", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    hook_log log = {0};
    log.zero_value = log.change_shape = -1;
    nnq_exec_options o = {NULL, 0, log_hook, &log};
    nnq_exec *e;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, &o, &e));
    assert_int_equal(nnq_exec_planned_bytes(e), 0);
    nnq_tensor *x = tg_tensor(2, (int64_t[]){2, 6}, NULL), *shape, *y;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_INT64, 1, (int64_t[]){2}, &shape));
    ((int64_t *)shape->data)[0] = 3;
    ((int64_t *)shape->data)[1] = 4;
    const nnq_tensor *ins[2] = {x, shape};
    NNQ_ASSERT_OK(nnq_exec_run(e, ins, 2, &y, 1));
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->dims[0], 3);
    assert_int_equal(y->dims[1], 4);
    for (int i = 0; i < 12; i++)
        assert_true(((float *)y->data)[i] == 0.25f);
    assert_int_equal(log.calls, 4); /* x, shape, v, y */
    assert_string_equal(log.names[2], "v");
    nnq_tensor_free(y);
    ((int64_t *)shape->data)[0] = 6;
    ((int64_t *)shape->data)[1] = 2;
    NNQ_ASSERT_OK(nnq_exec_run(e, ins, 2, &y, 1));
    assert_int_equal(y->dims[0], 6);
    assert_true(((float *)y->data)[0] == 0.5f);
    nnq_tensor_free(y);
    nnq_tensor_free(shape);
    nnq_tensor_free(x);
    nnq_exec_free(e);
}

/* Fuzz finding: with only zero-size values to plan, the arena was empty
 * and NULL, and binding a value to NULL + offset is undefined (UBSan). */
static void test_zero_size_plan(void **state) {
    (void)state;
    static const int64_t pads[4] = {1, 0, 0, 1};
    int64_t xd[2] = {0, 2};
    tg t;
    tg_init(&t, 2);
    tg_input(&t, "x", 2, xd);
    tg_node(&t, "Relu", "r", (const char *[]){"x", NULL}, (const char *[]){"a", NULL});
    nnq_node *pad = tg_node(&t, "Pad", "p", (const char *[]){"a", NULL},
                            (const char *[]){"y", NULL});
    tg_ints(pad, "pads", pads, 4);
    tg_float(pad, "value", 2.5f);
    tg_output(&t, "y");
    nnq_tensor *xt = tg_tensor(2, xd, NULL);
    for (size_t threads = 1; threads <= 2; threads++) {
        nnq_pool *pool = NULL;
        if (threads > 1) NNQ_ASSERT_OK(nnq_pool_create(threads, &pool));
        nnq_tensor *y = tg_run1(&t, pool, xt);
        assert_int_equal(y->ndim, 2);
        assert_int_equal(y->dims[0], 1);
        assert_int_equal(y->dims[1], 3);
        for (int i = 0; i < 3; i++)
            assert_true(((float *)y->data)[i] == 2.5f);
        nnq_tensor_free(y);
        nnq_pool_free(pool);
    }
    nnq_tensor_free(xt);
    tg_free(&t);
}

/* A Split output named "" is not produced: the others still get their
 * parts (fuzz_exec found Split writing through the NULL tensor). */
static void test_split_omitted_output(void **state) {
    (void)state;
    int64_t xd[1] = {6};
    static const int64_t parts[3] = {1, 2, 3};
    tg t;
    tg_init(&t, 11);
    tg_input(&t, "x", 1, xd);
    nnq_node *n = tg_node(&t, "Split", "s", (const char *[]){"x", NULL},
                          (const char *[]){"y0", "", "y2", NULL});
    tg_ints(n, "split", parts, 3);
    tg_output(&t, "y2");
    float xv[6] = {1, 2, 3, 4, 5, 6};
    nnq_tensor *xt = tg_tensor(1, xd, xv);
    nnq_tensor *y = tg_run1(&t, NULL, xt);
    assert_int_equal(y->dims[0], 3);
    for (int i = 0; i < 3; i++)
        assert_true(((float *)y->data)[i] == (float)(4 + i));
    nnq_tensor_free(y);
    nnq_tensor_free(xt);
    tg_free(&t);
}

/* Pad on an axis unknown at create time with pads whose sum overflows
 * int64 (fuzz_exec: INT64_MAX + 1 in shape inference): create leaves the
 * axis unknown, run refuses the real size with SIZE_OVERFLOW. */
static void test_pad_unknown_dim_huge_pads(void **state) {
    (void)state;
    static const int64_t pads[2] = {INT64_MAX, 1};
    int64_t decl[1] = {-1}, real[1] = {2};
    tg t;
    tg_init(&t, 2);
    tg_input(&t, "x", 1, decl);
    nnq_node *n = tg_node(&t, "Pad", "p", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_ints(n, "pads", pads, 2);
    tg_output(&t, "y");
    nnq_exec *e = NULL;
    NNQ_ASSERT_OK(nnq_exec_create(&t.g, NULL, &e));
    nnq_tensor *xt = tg_tensor(1, real, NULL), *y = NULL;
    NNQ_ASSERT_FAILS(nnq_exec_run(e, (const nnq_tensor *const *)&xt, 1, &y, 1),
                     NNQ_STATUS_SIZE_OVERFLOW, "overflow int64");
    assert_null(y);
    nnq_exec_free(e);
    nnq_tensor_free(xt);
    tg_free(&t);
}

/* A node whose required output is named "" is refused at create
 * (fuzz_exec: InstanceNormalization wrote through the NULL output). */
static void test_omitted_required_output(void **state) {
    (void)state;
    int64_t xd[3] = {1, 2, 3}, cd[1] = {2};
    static const float ones[2] = {1, 1};
    tg t;
    tg_init(&t, 13);
    tg_input(&t, "x", 3, xd);
    tg_const(&t, "s", 1, cd, ones);
    tg_const(&t, "b", 1, cd, ones);
    tg_node(&t, "InstanceNormalization", "in", (const char *[]){"x", "s", "b", NULL},
            (const char *[]){"", NULL});
    tg_node(&t, "Relu", "r", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
    tg_output(&t, "y");
    nnq_exec *e = NULL;
    NNQ_ASSERT_FAILS(nnq_exec_create(&t.g, NULL, &e), NNQ_STATUS_INVALID_FORMAT,
                     "node 'in' (InstanceNormalization) omits output 0, which is required");
    assert_null(e);
    tg_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_omitted_required_output),
        cmocka_unit_test(test_pad_unknown_dim_huge_pads),
        cmocka_unit_test(test_split_omitted_output),
        cmocka_unit_test(test_chain_memory_plan),
        cmocka_unit_test(test_hooks_observe_and_replace),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_run_argument_errors),
        cmocka_unit_test(test_constant_folding),
        cmocka_unit_test(test_symbolic_batch),
        cmocka_unit_test(test_order_and_passthrough),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_value_dependent_shape),
        cmocka_unit_test(test_zero_size_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
