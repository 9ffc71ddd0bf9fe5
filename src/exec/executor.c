/*
 * executor.c - building (validate, order, infer, fold, plan) and running an
 * executor over the graph IR.
 */
#include <stdio.h>
#include <string.h>

#include "exec/executor_internal.h"

#define MAX_IO 64 /* inputs / outputs per node handled on the stack */

/* ---------------------------------------------------------------- names */

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

int exec_value_find(const nnq_exec *e, const char *name) {
    if (!e->table_cap) return -1;
    size_t mask = e->table_cap - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
        int v = e->table[i];
        if (v < 0) return -1;
        if (strcmp(e->vals[v].name, name) == 0) return v;
    }
}

static nnq_status add_value(nnq_exec *e, const char *name, exec_kind kind, int *out) {
    if (exec_value_find(e, name) >= 0)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "exec: value '%s' is defined twice (graph input, initializer or node "
                         "output names must be unique)",
                         name);
    int v = (int)e->n_vals++;
    exec_value *x = &e->vals[v];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->kind = kind;
    x->ndim = -1;
    x->decl_ndim = -1;
    x->producer = -1;
    x->last_use = -1;
    x->graph_output = -1;
    size_t mask = e->table_cap - 1;
    size_t i = name_hash(name) & mask;
    while (e->table[i] >= 0)
        i = (i + 1) & mask;
    e->table[i] = v;
    *out = v;
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- create */

static int64_t model_opset(const nnq_graph *g) {
    for (size_t i = 0; i < g->n_opsets; i++) {
        const char *d = g->opsets[i].domain;
        if (!d || !*d || strcmp(d, "ai.onnx") == 0) return g->opsets[i].version;
    }
    return 17; /* no opset import: assume the newest nnq knows */
}

static nnq_status alloc_tables(nnq_exec *e) {
    const nnq_graph *g = e->g;
    size_t n = g->n_inits + g->n_inputs, cap = 16;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!nnq_size_add(n, g->nodes[i].n_outputs, &n))
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "exec: too many values");
    while (cap < 2 * n)
        cap *= 2;
    e->vals = nnq_calloc(n ? n : 1, sizeof *e->vals);
    e->table = nnq_malloc(cap * sizeof *e->table);
    e->steps = nnq_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *e->steps);
    e->inputs = nnq_calloc(g->n_inputs ? g->n_inputs : 1, sizeof *e->inputs);
    e->outputs = nnq_calloc(g->n_outputs ? g->n_outputs : 1, sizeof *e->outputs);
    if (!e->vals || !e->table || !e->steps || !e->inputs || !e->outputs)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "exec: no memory for %zu values", n);
    memset(e->table, 0xff, cap * sizeof *e->table);
    e->table_cap = cap;
    return NNQ_STATUS_OK;
}

static nnq_status add_graph_values(nnq_exec *e) {
    const nnq_graph *g = e->g;
    for (size_t i = 0; i < g->n_inits; i++) {
        const nnq_initializer *in = &g->inits[i];
        if (!in->name || !in->tensor)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "exec: initializer %zu has no %s", i,
                             in->name ? "tensor" : "name");
        int v = -1;
        NNQ_TRY(add_value(e, in->name, EXEC_VAL_CONST, &v));
        exec_value *x = &e->vals[v];
        x->constant = in->tensor;
        x->dtype = in->tensor->dtype;
        x->ndim = in->tensor->ndim;
        memcpy(x->dims, in->tensor->dims, sizeof x->dims);
    }
    for (size_t i = 0; i < g->n_inputs; i++) {
        const nnq_value_info *vi = &g->inputs[i];
        if (exec_value_find(e, vi->name) >= 0) continue; /* initializer: a constant */
        if (vi->ndim > NNQ_MAX_DIMS)
            return nnq_error(NNQ_STATUS_UNSUPPORTED, "exec: graph input '%s' has rank %d > %d",
                             vi->name, vi->ndim, NNQ_MAX_DIMS);
        int v = -1;
        NNQ_TRY(add_value(e, vi->name, EXEC_VAL_INPUT, &v));
        exec_value *x = &e->vals[v];
        x->dtype = vi->dtype;
        x->ndim = x->decl_ndim = vi->ndim;
        for (int d = 0; d < vi->ndim; d++)
            x->dims[d] = x->decl_dims[d] = vi->dims[d] < 0 ? -1 : vi->dims[d];
        e->inputs[e->n_inputs++] = v;
    }
    return NNQ_STATUS_OK;
}

/* Check arity and op support of node i and register its outputs. */
/* Every op lists its required inputs and outputs first, so only later ones
 * may be omitted (""): the ops rely on getting the required ones non-NULL. */
static nnq_status check_required(const nnq_node *n, const char *what, char *const *names,
                                 int required) {
    for (int k = 0; k < required; k++)
        if (!names[k][0])
            return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                             "exec: node '%s' (%s) omits %s %d, which is required (the first %d "
                             "are)",
                             n->name ? n->name : "", n->op_type, what, k, required);
    return NNQ_STATUS_OK;
}

static nnq_status add_node(nnq_exec *e, size_t i) {
    const nnq_node *n = &e->g->nodes[i];
    const char *name = n->name ? n->name : "";
    const nnq_op_def *op = nnq_op_find(n->domain, n->op_type);
    if (!op)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "exec: node '%s' uses operator '%s'%s%s%s, which nnq does not implement",
                         name, n->op_type, n->domain && *n->domain ? " (domain '" : "",
                         n->domain && *n->domain ? n->domain : "",
                         n->domain && *n->domain ? "')" : "");
    size_t nin = n->n_inputs, nout = n->n_outputs;
    if (nin > MAX_IO || nout > MAX_IO)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "exec: node '%s' (%s) has %zu inputs and %zu outputs; the executor "
                         "handles at most %d of each",
                         name, n->op_type, nin, nout, MAX_IO);
    while (nin > 0 && !n->inputs[nin - 1][0])
        nin--; /* trailing omitted inputs */
    if ((int)nin < op->min_inputs || (int)nin > op->max_inputs)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "exec: node '%s' (%s) has %zu inputs, expected %d to %d", name, n->op_type,
                         nin, op->min_inputs, op->max_inputs);
    NNQ_TRY(check_required(n, "input", n->inputs, op->min_inputs));
    if ((int)nout < op->min_outputs || (int)nout > op->max_outputs)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "exec: node '%s' (%s) has %zu outputs, expected %d to %d", name,
                         n->op_type, nout, op->min_outputs, op->max_outputs);
    NNQ_TRY(check_required(n, "output", n->outputs, op->min_outputs));
    exec_step *st = &e->steps[i];
    st->node = n;
    st->op = op;
    st->in = nnq_malloc((n->n_inputs + nout + 1) * sizeof(int));
    if (!st->in) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "exec: no memory for node '%s'", name);
    st->out = st->in + n->n_inputs;
    for (size_t k = 0; k < nout; k++) {
        st->out[k] = -1;
        if (!n->outputs[k][0]) continue;
        NNQ_TRY(add_value(e, n->outputs[k], EXEC_VAL_ACT, &st->out[k]));
        e->vals[st->out[k]].producer = (int)i;
        e->vals[st->out[k]].output_index = (int)k;
    }
    return NNQ_STATUS_OK;
}

static nnq_status resolve_inputs(nnq_exec *e, size_t i) {
    const nnq_node *n = &e->g->nodes[i];
    exec_step *st = &e->steps[i];
    for (size_t k = 0; k < n->n_inputs; k++) {
        st->in[k] = -1;
        if (!n->inputs[k][0]) continue;
        st->in[k] = exec_value_find(e, n->inputs[k]);
        if (st->in[k] < 0)
            return nnq_error(NNQ_STATUS_NOT_FOUND,
                             "exec: node '%s' (%s) input %zu '%s' is not a graph input, "
                             "initializer or node output",
                             n->name ? n->name : "", n->op_type, k, n->inputs[k]);
    }
    return NNQ_STATUS_OK;
}

/*
 * Kahn's algorithm, always taking the lowest-numbered ready node, so a graph
 * already in topological order keeps its order.  Steps are permuted in place
 * and value producers renumbered.
 */
static nnq_status toposort(nnq_exec *e) {
    size_t n = e->n_steps;
    if (n == 0) return NNQ_STATUS_OK;
    int *pending = nnq_calloc(n, sizeof *pending);
    exec_step *sorted = nnq_calloc(n, sizeof *sorted);
    bool *done = nnq_calloc(n, sizeof *done);
    nnq_status s = NNQ_STATUS_OK;
    if (!pending || !sorted || !done) {
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "exec: no memory to sort %zu nodes", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < e->steps[i].node->n_inputs; k++) {
            int v = e->steps[i].in[k];
            if (v >= 0 && e->vals[v].producer >= 0) pending[i]++;
        }
    /* O(n^2) worst case but O(n) per pass on ordered graphs: scan from the
     * first not-done node each time. */
    size_t first = 0;
    for (size_t placed = 0; placed < n; placed++) {
        while (first < n && done[first])
            first++;
        size_t pick = n;
        for (size_t i = first; i < n; i++)
            if (!done[i] && pending[i] == 0) {
                pick = i;
                break;
            }
        if (pick == n) {
            size_t j = first;
            s = nnq_error(
                NNQ_STATUS_INVALID_FORMAT, "exec: the graph has a cycle through node '%s' (%s)",
                e->steps[j].node->name ? e->steps[j].node->name : "", e->steps[j].node->op_type);
            goto out;
        }
        done[pick] = true;
        sorted[placed] = e->steps[pick];
        for (size_t k = 0; k < e->steps[pick].node->n_outputs; k++) {
            int v = e->steps[pick].out[k];
            if (v < 0) continue;
            for (size_t i = 0; i < n; i++)
                if (!done[i])
                    for (size_t m = 0; m < e->steps[i].node->n_inputs; m++)
                        if (e->steps[i].in[m] == v) pending[i]--;
        }
    }
    memcpy(e->steps, sorted, n * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < e->steps[i].node->n_outputs; k++)
            if (e->steps[i].out[k] >= 0) e->vals[e->steps[i].out[k]].producer = (int)i;
out:
    nnq_free(pending);
    nnq_free(sorted);
    nnq_free(done);
    return s;
}

static nnq_status resolve_outputs(nnq_exec *e) {
    const nnq_graph *g = e->g;
    for (size_t i = 0; i < g->n_outputs; i++) {
        int v = exec_value_find(e, g->outputs[i].name);
        if (v < 0)
            return nnq_error(NNQ_STATUS_NOT_FOUND,
                             "exec: graph output '%s' is not produced by any node, input or "
                             "initializer",
                             g->outputs[i].name);
        if (e->vals[v].graph_output >= 0)
            return nnq_error(NNQ_STATUS_INVALID_FORMAT, "exec: graph output '%s' is listed twice",
                             g->outputs[i].name);
        e->vals[v].graph_output = (int)i;
        e->outputs[e->n_outputs++] = v;
    }
    return NNQ_STATUS_OK;
}

/* Last step reading each value (folded steps read nothing at run time). */
static void compute_lifetimes(nnq_exec *e) {
    for (size_t v = 0; v < e->n_vals; v++)
        e->vals[v].last_use = -1;
    for (size_t s = 0; s < e->n_steps; s++) {
        if (e->steps[s].folded) continue;
        for (size_t k = 0; k < e->steps[s].node->n_inputs; k++) {
            int v = e->steps[s].in[k];
            if (v >= 0) e->vals[v].last_use = (int)s;
        }
    }
}

/* Values living in the arena: runtime inputs and node outputs at run time,
 * except graph outputs (they go straight into the caller's tensors). */
static bool in_arena(const exec_value *x) {
    return x->graph_output < 0 && (x->kind == EXEC_VAL_INPUT || x->kind == EXEC_VAL_ACT);
}

static void value_interval(const exec_value *x, int *lo, int *hi) {
    *lo = x->kind == EXEC_VAL_INPUT ? -1 : x->producer;
    *hi = x->last_use > *lo ? x->last_use : *lo;
}

/*
 * Greedy offset assignment, largest buffers first (as in TFLite's arena
 * planner): each buffer takes the lowest offset that does not overlap a
 * placed buffer whose lifetime intersects its own.  Lifetimes are closed
 * intervals of steps, so an output never shares memory with the inputs of
 * the node that produces it.
 */
static nnq_status plan_arena(nnq_exec *e) {
    size_t n = 0, total = 0, peak = 0;
    size_t cap;
    int *order = NULL;
    if (nnq_size_mul(e->n_vals + 1, 2 * sizeof *order, &cap)) order = nnq_malloc(cap);
    if (!order) {
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "exec: no memory to plan %zu values", e->n_vals);
    }
    for (size_t v = 0; v < e->n_vals; v++) {
        exec_value *x = &e->vals[v];
        if (!in_arena(x)) continue;
        size_t b;
        nnq_status s = exec_value_bytes(x, &b);
        if (s) {
            nnq_free(order);
            return s;
        }
        x->nbytes = (b + EXEC_ALIGN - 1) / EXEC_ALIGN * EXEC_ALIGN;
        if (!nnq_size_add(total, x->nbytes, &total)) {
            nnq_free(order);
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "exec: activations overflow size_t");
        }
        order[n++] = (int)v;
    }
    /* insertion sort by size, descending, ties by value index (stable) */
    for (size_t i = 1; i < n; i++) {
        int t = order[i];
        size_t j = i;
        while (j > 0 && e->vals[order[j - 1]].nbytes < e->vals[t].nbytes) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = t;
    }
    /* live[] collects the placed buffers whose lifetimes meet x's, sorted by
     * offset; x goes into the first gap that fits. */
    int *live = order + n;
    for (size_t i = 0; i < n; i++) {
        exec_value *x = &e->vals[order[i]];
        int lo, hi;
        size_t nl = 0;
        value_interval(x, &lo, &hi);
        for (size_t j = 0; j < i; j++) {
            exec_value *y = &e->vals[order[j]];
            int ylo, yhi;
            value_interval(y, &ylo, &yhi);
            if (yhi < lo || hi < ylo) continue;
            size_t k = nl++;
            while (k > 0 && e->vals[live[k - 1]].offset > y->offset) {
                live[k] = live[k - 1];
                k--;
            }
            live[k] = order[j];
        }
        size_t off = 0;
        for (size_t k = 0; k < nl; k++) {
            const exec_value *y = &e->vals[live[k]];
            if (off + x->nbytes <= y->offset) break;
            if (y->offset + y->nbytes > off) off = y->offset + y->nbytes;
        }
        x->offset = off;
        if (off + x->nbytes > peak) peak = off + x->nbytes;
    }
    nnq_free(order);
    e->arena_size = peak;
    e->act_bytes = total;
    e->planned = true;
    return NNQ_STATUS_OK;
}

static bool all_shapes_known(const nnq_exec *e) {
    for (size_t v = 0; v < e->n_vals; v++) {
        const exec_value *x = &e->vals[v];
        if (x->kind == EXEC_VAL_CONST) continue;
        if (x->kind == EXEC_VAL_ACT && x->producer >= 0 && e->steps[x->producer].folded) continue;
        if (!exec_value_shape_known(x)) return false;
    }
    return true;
}

/* Intermediate values the graph declares (value_info) must have the type
 * inference found. */
static nnq_status check_value_infos(const nnq_exec *e) {
    for (size_t i = 0; i < e->g->n_value_infos; i++) {
        const nnq_value_info *vi = &e->g->value_infos[i];
        int v = vi->name ? exec_value_find(e, vi->name) : -1;
        if (v < 0 || vi->dtype == NNQ_DTYPE_UNDEFINED) continue;
        const exec_value *x = &e->vals[v];
        if (x->dtype != NNQ_DTYPE_UNDEFINED && x->dtype != vi->dtype)
            return nnq_error(NNQ_STATUS_DTYPE_MISMATCH,
                             "exec: value '%s' is declared %s (value_info) but %s produces %s",
                             x->name, nnq_dtype_name(vi->dtype),
                             x->producer >= 0 ? e->steps[x->producer].node->name : "the graph",
                             nnq_dtype_name(x->dtype));
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_exec_create(const struct nnq_graph *graph, const nnq_exec_options *options,
                           nnq_exec **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "exec_create: out is NULL");
    *out = NULL;
    if (!graph) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "exec_create: graph is NULL");
    nnq_exec *e = nnq_calloc(1, sizeof *e);
    if (!e) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "exec_create: no memory");
    e->g = graph;
    if (options) {
        e->pool = options->pool;
        e->flags = options->flags;
        e->hook = options->hook;
        e->hook_ctx = options->hook_ctx;
    }
    e->opset = model_opset(graph);
    e->n_steps = graph->n_nodes;
    nnq_status s = alloc_tables(e);
    if (!s) s = add_graph_values(e);
    for (size_t i = 0; !s && i < graph->n_nodes; i++)
        s = add_node(e, i);
    for (size_t i = 0; !s && i < graph->n_nodes; i++)
        s = resolve_inputs(e, i);
    if (!s) s = toposort(e);
    if (!s) s = resolve_outputs(e);
    if (!s) s = exec_infer_all(e, true);
    if (!s) s = check_value_infos(e);
    if (!s) {
        compute_lifetimes(e);
        if (all_shapes_known(e)) s = plan_arena(e);
    }
    if (s) {
        nnq_exec_free(e);
        return s;
    }
    *out = e;
    return NNQ_STATUS_OK;
}

void nnq_exec_free(nnq_exec *e) {
    if (!e) return;
    for (size_t v = 0; v < e->n_vals; v++) {
        if (e->vals[v].const_owned) nnq_tensor_free(e->vals[v].constant);
        nnq_aligned_free(e->vals[v].dyn);
    }
    for (size_t i = 0; i < e->n_steps; i++)
        nnq_free(e->steps[i].in);
    nnq_free(e->vals);
    nnq_free(e->table);
    nnq_free(e->steps);
    nnq_free(e->inputs);
    nnq_free(e->outputs);
    nnq_aligned_free(e->arena);
    nnq_aligned_free(e->scratch);
    nnq_free(e);
}

/* ---------------------------------------------------------------- queries */

bool nnq_exec_op_supported(const char *domain, const char *op_type) {
    return op_type && nnq_op_find(domain, op_type) != NULL;
}

size_t nnq_exec_input_count(const nnq_exec *e) { return e ? e->n_inputs : 0; }
size_t nnq_exec_output_count(const nnq_exec *e) { return e ? e->n_outputs : 0; }
const char *nnq_exec_input_name(const nnq_exec *e, size_t i) {
    return e && i < e->n_inputs ? e->vals[e->inputs[i]].name : NULL;
}
const char *nnq_exec_output_name(const nnq_exec *e, size_t i) {
    return e && i < e->n_outputs ? e->vals[e->outputs[i]].name : NULL;
}
size_t nnq_exec_planned_bytes(const nnq_exec *e) { return e && e->planned ? e->arena_size : 0; }
size_t nnq_exec_activation_bytes(const nnq_exec *e) { return e && e->planned ? e->act_bytes : 0; }
size_t nnq_exec_folded_count(const nnq_exec *e) { return e ? e->n_folded : 0; }

void nnq_exec_set_hook(nnq_exec *e, nnq_exec_hook_fn hook, void *ctx) {
    if (!e || e->running) return;
    e->hook = hook;
    e->hook_ctx = ctx;
}

nnq_status nnq_exec_value_shape(const nnq_exec *e, const char *name, nnq_dtype *dtype, int *ndim,
                                int64_t *dims) {
    if (!e || !name || !dtype || !ndim || !dims)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "exec_value_shape: NULL argument");
    int v = exec_value_find(e, name);
    if (v < 0)
        return nnq_error(NNQ_STATUS_NOT_FOUND, "exec_value_shape: no value named '%s'", name);
    const exec_value *x = &e->vals[v];
    *dtype = x->dtype;
    *ndim = x->ndim;
    for (int d = 0; d < NNQ_MAX_DIMS; d++)
        dims[d] = d < x->ndim ? x->dims[d] : 0;
    return NNQ_STATUS_OK;
}

/* ---------------------------------------------------------------- run */

nnq_status exec_run_op(nnq_exec *e, size_t s, const nnq_tensor *const *ins,
                       nnq_tensor *const *outs) {
    const exec_step *st = &e->steps[s];
    nnq_op_ctx ctx = {st->node, e->opset, e->pool, NULL, 0};
    size_t nin = st->node->n_inputs, nout = st->node->n_outputs;
    if (st->op->scratch) {
        size_t need = st->op->scratch(&ctx, ins, nin);
        if (need > e->scratch_cap) {
            void *p = nnq_aligned_alloc(EXEC_ALIGN, need);
            if (!p)
                return nnq_error(NNQ_STATUS_OUT_OF_MEMORY,
                                 "exec: no memory for %zu scratch bytes of node '%s'", need,
                                 st->node->name);
            nnq_aligned_free(e->scratch);
            e->scratch = p;
            e->scratch_cap = need;
        }
        ctx.scratch = e->scratch;
        ctx.scratch_size = need;
    }
    nnq_status r = st->op->run(&ctx, ins, nin, outs, nout);
    if (r) return nnq_exec_node_error(r, st->node);
    return NNQ_STATUS_OK;
}

nnq_status nnq_exec_node_error(nnq_status r, const nnq_node *n) {
    char want[256];
    snprintf(want, sizeof want, "node '%s' (", n->name ? n->name : "?");
    if (strncmp(nnq_last_error(), want, strlen(want)) == 0) return r;
    return nnq_error_prefix(r, "node '%s' (%s): ", n->name, n->op_type);
}

static nnq_status check_input(const exec_value *x, const nnq_tensor *t) {
    char a[96], b[96];
    if (!t) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "exec_run: input '%s' is NULL", x->name);
    if (x->dtype != NNQ_DTYPE_UNDEFINED && t->dtype != x->dtype)
        return nnq_error(NNQ_STATUS_DTYPE_MISMATCH,
                         "exec_run: input '%s' is %s, the graph wants %s", x->name,
                         nnq_dtype_name(t->dtype), nnq_dtype_name(x->dtype));
    if (x->decl_ndim < 0) return NNQ_STATUS_OK;
    bool ok = t->ndim == x->decl_ndim;
    for (int d = 0; ok && d < t->ndim; d++)
        ok = x->decl_dims[d] < 0 || x->decl_dims[d] == t->dims[d];
    if (!ok) {
        int64_t shown[NNQ_MAX_DIMS];
        for (int d = 0; d < x->decl_ndim; d++)
            shown[d] = x->decl_dims[d];
        nnq_shape_str(t->ndim, t->dims, a, sizeof a);
        nnq_shape_str(x->decl_ndim, shown, b, sizeof b);
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "exec_run: input '%s' has shape %s, the graph wants %s (-1: any)", x->name,
                         a, b);
    }
    return NNQ_STATUS_OK;
}

static void set_view(nnq_tensor *t, nnq_dtype dtype, int ndim, const int64_t *dims, void *data) {
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    size_t n = 1, b = 0;
    nnq_size_product(dims, (size_t)ndim, &n);
    nnq_dtype_storage_size(dtype, n, &b);
    t->numel = n;
    t->nbytes = b;
    t->data = data;
}

/* New input shapes: re-infer non-folded steps and re-plan. */
static nnq_status replan(nnq_exec *e, const nnq_tensor *const *inputs) {
    bool same = e->planned;
    for (size_t i = 0; same && i < e->n_inputs; i++) {
        const exec_value *x = &e->vals[e->inputs[i]];
        same = x->ndim == inputs[i]->ndim &&
               !memcmp(x->dims, inputs[i]->dims, (size_t)x->ndim * sizeof(int64_t));
    }
    if (same) return NNQ_STATUS_OK;
    e->planned = false;
    for (size_t i = 0; i < e->n_inputs; i++) {
        exec_value *x = &e->vals[e->inputs[i]];
        x->ndim = inputs[i]->ndim;
        memcpy(x->dims, inputs[i]->dims, sizeof x->dims);
    }
    NNQ_TRY(exec_infer_all(e, false));
    if (all_shapes_known(e)) NNQ_TRY(plan_arena(e));
    return NNQ_STATUS_OK;
}

static nnq_status call_hook(nnq_exec *e, int v, size_t step) {
    exec_value *x = &e->vals[v];
    nnq_exec_event ev = {NULL, NULL, step, 0, x->name};
    if (x->producer >= 0) {
        ev.node_name = e->steps[x->producer].node->name;
        ev.op_type = e->steps[x->producer].node->op_type;
        ev.output_index = (size_t)x->output_index;
    }
    nnq_tensor before = x->view;
    nnq_status s = e->hook(e->hook_ctx, &ev, &x->view);
    if (s) return s;
    if (x->view.data != before.data || x->view.dtype != before.dtype ||
        x->view.ndim != before.ndim || memcmp(x->view.dims, before.dims, sizeof before.dims) != 0) {
        x->view = before;
        return nnq_error(NNQ_STATUS_INVALID_STATE,
                         "exec_run: the hook changed the dtype, shape or buffer of '%s' (only "
                         "elements may be modified)",
                         x->name);
    }
    return NNQ_STATUS_OK;
}

/* Point a value's view at its buffer: arena, caller output or own block. */
static nnq_status bind_value(nnq_exec *e, int v, nnq_tensor **outputs) {
    exec_value *x = &e->vals[v];
    if (x->graph_output >= 0) {
        nnq_tensor *t;
        NNQ_TRY(nnq_tensor_create(x->dtype, x->ndim, x->dims, &t));
        outputs[x->graph_output] = t;
        x->view = *t;
        x->view.owns_data = false;
        return NNQ_STATUS_OK;
    }
    if (e->planned) {
        set_view(&x->view, x->dtype, x->ndim, x->dims, e->arena + x->offset);
        return NNQ_STATUS_OK;
    }
    size_t b;
    NNQ_TRY(exec_value_bytes(x, &b));
    x->dyn = nnq_aligned_alloc(EXEC_ALIGN, b ? b : 1);
    if (!x->dyn)
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "exec_run: no memory for %zu bytes of '%s'", b,
                         x->name);
    set_view(&x->view, x->dtype, x->ndim, x->dims, x->dyn);
    return NNQ_STATUS_OK;
}

static void release_dynamic(nnq_exec *e, size_t step) {
    const exec_step *st = &e->steps[step];
    for (size_t k = 0; k < st->node->n_inputs; k++) {
        int v = st->in[k];
        if (v >= 0 && e->vals[v].dyn && e->vals[v].last_use == (int)step) {
            nnq_aligned_free(e->vals[v].dyn);
            e->vals[v].dyn = NULL;
        }
    }
}

static nnq_status run_step(nnq_exec *e, size_t s, nnq_tensor **outputs) {
    exec_step *st = &e->steps[s];
    const nnq_tensor *ins[MAX_IO];
    nnq_tensor *outs[MAX_IO];
    nnq_tensor tmp[MAX_IO];
    size_t nin = st->node->n_inputs, nout = st->node->n_outputs;
    if (!e->planned) {
        bool deferred = false;
        NNQ_TRY(exec_infer_step(e, s, true, &deferred));
    }
    for (size_t k = 0; k < nin; k++)
        ins[k] = st->in[k] < 0 ? NULL : exec_value_tensor(e, st->in[k], &tmp[k], true);
    for (size_t k = 0; k < nout; k++) {
        int v = st->out[k];
        if (v < 0) {
            /* An omitted optional output: ops get NULL. */
            outs[k] = NULL;
            continue;
        }
        NNQ_TRY(bind_value(e, v, outputs));
        outs[k] = &e->vals[v].view;
    }
    NNQ_TRY(exec_run_op(e, s, ins, outs));
    if (!e->planned) release_dynamic(e, s);
    if (e->hook)
        for (size_t k = 0; k < nout; k++)
            if (st->out[k] >= 0) NNQ_TRY(call_hook(e, st->out[k], s));
    return NNQ_STATUS_OK;
}

/* Graph outputs that are inputs or constants are copies. */
static nnq_status copy_passthrough_outputs(nnq_exec *e, nnq_tensor **outputs) {
    for (size_t i = 0; i < e->n_outputs; i++) {
        if (outputs[i]) continue;
        nnq_tensor tmp;
        const nnq_tensor *src = exec_value_tensor(e, e->outputs[i], &tmp, true);
        NNQ_TRY(nnq_tensor_create(src->dtype, src->ndim, src->dims, &outputs[i]));
        if (src->nbytes) memcpy(outputs[i]->data, src->data, src->nbytes);
    }
    return NNQ_STATUS_OK;
}

static nnq_status run_all(nnq_exec *e, const nnq_tensor *const *inputs, nnq_tensor **outputs) {
    NNQ_TRY(replan(e, inputs));
    /* Even an empty plan (only zero-size values) needs a real arena base:
     * views point into it and NULL + offset is undefined. */
    if (e->planned && (e->arena_size > e->arena_cap || !e->arena)) {
        size_t size = e->arena_size ? e->arena_size : EXEC_ALIGN;
        nnq_aligned_free(e->arena);
        e->arena_cap = 0;
        e->arena = nnq_aligned_alloc(EXEC_ALIGN, size);
        if (!e->arena)
            return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "exec_run: no memory for a %zu-byte arena",
                             size);
        e->arena_cap = size;
    }
    for (size_t i = 0; i < e->n_inputs; i++) {
        int v = e->inputs[i];
        exec_value *x = &e->vals[v];
        if (x->graph_output < 0 && (e->planned || x->last_use >= 0 || e->hook)) {
            NNQ_TRY(bind_value(e, v, outputs));
            if (inputs[i]->nbytes) memcpy(x->view.data, inputs[i]->data, inputs[i]->nbytes);
        } else {
            set_view(&x->view, inputs[i]->dtype, inputs[i]->ndim, inputs[i]->dims, inputs[i]->data);
        }
        if (e->hook && x->graph_output < 0) NNQ_TRY(call_hook(e, v, 0));
    }
    for (size_t s = 0; s < e->n_steps; s++)
        if (!e->steps[s].folded) NNQ_TRY(run_step(e, s, outputs));
    return copy_passthrough_outputs(e, outputs);
}

nnq_status nnq_exec_run(nnq_exec *e, const nnq_tensor *const *inputs, size_t n_inputs,
                        nnq_tensor **outputs, size_t n_outputs) {
    if (!e) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "exec_run: executor is NULL");
    if (e->running)
        return nnq_error(NNQ_STATUS_INVALID_STATE, "exec_run: the executor is already running");
    if (n_inputs != e->n_inputs || (n_inputs && !inputs))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "exec_run: got %zu inputs, the graph has %zu runtime inputs", n_inputs,
                         e->n_inputs);
    if (n_outputs != e->n_outputs || (n_outputs && !outputs))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "exec_run: got room for %zu outputs, the graph has %zu", n_outputs,
                         e->n_outputs);
    for (size_t i = 0; i < n_inputs; i++)
        NNQ_TRY(check_input(&e->vals[e->inputs[i]], inputs[i]));
    for (size_t i = 0; i < n_outputs; i++)
        outputs[i] = NULL;
    e->running = true;
    nnq_status s = run_all(e, inputs, outputs);
    e->running = false;
    for (size_t v = 0; v < e->n_vals; v++) {
        nnq_aligned_free(e->vals[v].dyn);
        e->vals[v].dyn = NULL;
    }
    if (s)
        for (size_t i = 0; i < n_outputs; i++) {
            nnq_tensor_free(outputs[i]);
            outputs[i] = NULL;
        }
    return s;
}
