/* passes.c - graph validation, topological sort, dead-node removal. */
#include <string.h>

#include "graph/ir.h"

typedef void (*name_fn)(void *ctx, const char *name);

/* Names a node reads: its inputs and whatever its subgraphs read (outer-scope
 * values a subgraph uses are implicit inputs of the node owning it). */
static void subgraph_uses(const nnq_graph *sg, name_fn fn, void *ctx);
static void node_uses(const nnq_node *n, name_fn fn, void *ctx) {
    for (size_t j = 0; j < n->n_inputs; j++)
        if (n->inputs[j][0]) fn(ctx, n->inputs[j]);
    for (size_t a = 0; a < n->n_attrs; a++)
        if (n->attrs[a].g) subgraph_uses(n->attrs[a].g, fn, ctx);
}
static void subgraph_uses(const nnq_graph *sg, name_fn fn, void *ctx) {
    for (size_t i = 0; i < sg->n_nodes; i++) node_uses(&sg->nodes[i], fn, ctx);
    for (size_t i = 0; i < sg->n_outputs; i++) fn(ctx, sg->outputs[i].name);
}

/* Producers of each node's uses, in CSR form: deps[start[i] .. start[i+1]). */
typedef struct dep_graph {
    size_t *start;
    size_t *deps;
    size_t n_deps;
    const nnq_name_map *producers;
    bool counting;
} dep_graph;

static size_t lookup(const nnq_name_map *m, const char *name) {
    size_t v;
    return nnq_name_map_get(m, name, &v) ? v : SIZE_MAX;
}

static void add_dep(void *ctx, const char *name) {
    dep_graph *d = ctx;
    size_t p = lookup(d->producers, name);
    if (p == SIZE_MAX) return;
    if (!d->counting) d->deps[d->n_deps] = p;
    d->n_deps++;
}

static nnq_status producer_map(const nnq_graph *g, nnq_name_map **out) {
    NNQ_TRY(nnq_name_map_create(g->n_nodes, out));
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t j = 0; j < g->nodes[i].n_outputs; j++)
            if (g->nodes[i].outputs[j][0])
                NNQ_TRY(nnq_name_map_put(*out, g->nodes[i].outputs[j], i, NULL, NULL));
    return NNQ_STATUS_OK;
}

static void dep_graph_free(dep_graph *d) {
    nnq_free(d->start);
    nnq_free(d->deps);
    nnq_name_map_free((nnq_name_map *)(uintptr_t)d->producers);
}

static nnq_status dep_graph_build(const nnq_graph *g, dep_graph *d) {
    memset(d, 0, sizeof *d);
    nnq_name_map *m = NULL;
    nnq_status s = producer_map(g, &m);
    d->producers = m;
    if (s) return s;
    d->start = nnq_calloc(g->n_nodes + 1, sizeof *d->start);
    if (!d->start) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph: out of memory");
    d->counting = true;
    for (size_t i = 0; i < g->n_nodes; i++) node_uses(&g->nodes[i], add_dep, d);
    d->deps = nnq_calloc(d->n_deps ? d->n_deps : 1, sizeof *d->deps);
    if (!d->deps) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph: out of memory");
    d->counting = false;
    d->n_deps = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        d->start[i] = d->n_deps;
        node_uses(&g->nodes[i], add_dep, d);
    }
    d->start[g->n_nodes] = d->n_deps;
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_check(const nnq_graph *g) {
    if (!g) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_check: graph is NULL");
    nnq_name_map *avail = NULL;
    NNQ_TRY(nnq_name_map_create(g->n_inputs + g->n_inits + g->n_nodes, &avail));
    nnq_status s = NNQ_STATUS_OK;
    for (size_t i = 0; i < g->n_inputs && !s; i++)
        s = nnq_name_map_put(avail, g->inputs[i].name, SIZE_MAX, NULL, NULL);
    for (size_t i = 0; i < g->n_inits && !s; i++)
        s = nnq_name_map_put(avail, g->inits[i].name, SIZE_MAX, NULL, NULL);
    for (size_t i = 0; i < g->n_nodes && !s; i++) {
        const nnq_node *n = &g->nodes[i];
        for (size_t j = 0; j < n->n_outputs && !s; j++) {
            bool dup;
            size_t prev;
            if (!n->outputs[j][0]) continue;
            s = nnq_name_map_put(avail, n->outputs[j], i, &dup, &prev);
            if (!s && dup)
                s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "node '%s' (%s) output '%s' is already %s",
                              n->name, n->op_type, n->outputs[j],
                              prev == SIZE_MAX ? "a graph input or initializer"
                                               : "produced by another node");
        }
    }
    for (size_t i = 0; i < g->n_nodes && !s; i++) {
        const nnq_node *n = &g->nodes[i];
        for (size_t j = 0; j < n->n_inputs && !s; j++)
            if (n->inputs[j][0] && !nnq_name_map_get(avail, n->inputs[j], NULL))
                s = nnq_error(NNQ_STATUS_NOT_FOUND,
                              "node '%s' (%s) input %zu '%s' is not produced by any node, graph "
                              "input or initializer",
                              n->name, n->op_type, j, n->inputs[j]);
    }
    for (size_t i = 0; i < g->n_outputs && !s; i++)
        if (!nnq_name_map_get(avail, g->outputs[i].name, NULL))
            s = nnq_error(NNQ_STATUS_NOT_FOUND,
                          "graph output '%s' is not produced by any node, graph input or "
                          "initializer",
                          g->outputs[i].name);
    nnq_name_map_free(avail);
    return s;
}

enum { UNSEEN, ON_STACK, DONE };

/* Iterative depth-first search from each node in file order, so an already
 * sorted graph keeps its order and deep graphs cannot overflow the stack. */
static nnq_status topo_order(const nnq_graph *g, const dep_graph *d, size_t *order) {
    size_t n = g->n_nodes, n_out = 0;
    uint8_t *state = nnq_calloc(n ? n : 1, 1);
    size_t *stack = nnq_calloc(n ? n : 1, sizeof *stack);
    size_t *cursor = nnq_calloc(n ? n : 1, sizeof *cursor);
    nnq_status s = NNQ_STATUS_OK;
    if (!state || !stack || !cursor)
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "toposort: out of memory");
    for (size_t root = 0; root < n && !s; root++) {
        if (state[root] != UNSEEN) continue;
        size_t sp = 0;
        stack[sp++] = root;
        state[root] = ON_STACK;
        cursor[root] = d->start[root];
        while (sp > 0 && !s) {
            size_t top = stack[sp - 1];
            if (cursor[top] == d->start[top + 1]) {
                state[top] = DONE;
                order[n_out++] = top;
                sp--;
                continue;
            }
            size_t p = d->deps[cursor[top]++];
            if (state[p] == ON_STACK) {
                s = nnq_error(NNQ_STATUS_INVALID_FORMAT, "graph has a cycle through node '%s' (%s)",
                              g->nodes[p].name, g->nodes[p].op_type);
            } else if (state[p] == UNSEEN) {
                state[p] = ON_STACK;
                cursor[p] = d->start[p];
                stack[sp++] = p;
            }
        }
    }
    nnq_free(state);
    nnq_free(stack);
    nnq_free(cursor);
    return s;
}

nnq_status nnq_graph_toposort(nnq_graph *g) {
    if (!g) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_toposort: graph is NULL");
    if (g->n_nodes == 0) return NNQ_STATUS_OK;
    dep_graph d;
    nnq_status s = dep_graph_build(g, &d);
    size_t *order = s ? NULL : nnq_calloc(g->n_nodes, sizeof *order);
    nnq_node *sorted = s ? NULL : nnq_calloc(g->n_nodes, sizeof *sorted);
    if (!s && (!order || !sorted))
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "toposort: out of memory");
    if (!s) s = topo_order(g, &d, order);
    if (!s) {
        for (size_t i = 0; i < g->n_nodes; i++) sorted[i] = g->nodes[order[i]];
        memcpy(g->nodes, sorted, g->n_nodes * sizeof *sorted);
        nnq_graph_invalidate(g);
    }
    nnq_free(order);
    nnq_free(sorted);
    dep_graph_free(&d);
    return s;
}

static void mark_used(void *ctx, const char *name) {
    nnq_name_map *m = ctx;
    /* Out of memory here only keeps an initializer alive: harmless. */
    (void)nnq_name_map_put(m, name, 0, NULL, NULL);
}

/* Drop initializers and value_infos nothing refers to any more. */
static nnq_status prune_values(nnq_graph *g) {
    nnq_name_map *used = NULL;
    NNQ_TRY(nnq_name_map_create(g->n_nodes * 2, &used));
    for (size_t i = 0; i < g->n_nodes; i++) {
        node_uses(&g->nodes[i], mark_used, used);
        for (size_t j = 0; j < g->nodes[i].n_outputs; j++) mark_used(used, g->nodes[i].outputs[j]);
    }
    for (size_t i = 0; i < g->n_outputs; i++) mark_used(used, g->outputs[i].name);
    for (size_t i = g->n_inits; i-- > 0;)
        if (!nnq_name_map_get(used, g->inits[i].name, NULL)) nnq_graph_remove_init(g, i);
    for (size_t i = 0; i < g->n_inputs; i++) mark_used(used, g->inputs[i].name);
    for (size_t i = 0; i < g->n_inits; i++) mark_used(used, g->inits[i].name);
    size_t k = 0;
    for (size_t i = 0; i < g->n_value_infos; i++) {
        if (nnq_name_map_get(used, g->value_infos[i].name, NULL))
            g->value_infos[k++] = g->value_infos[i];
        else
            nnq_value_info_clear(&g->value_infos[i]);
    }
    g->n_value_infos = k;
    nnq_name_map_free(used);
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_prune_values(nnq_graph *g) { return prune_values(g); }

nnq_status nnq_graph_remove_dead(nnq_graph *g, size_t *n_removed) {
    if (!g) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph_remove_dead: graph is NULL");
    if (n_removed) *n_removed = 0;
    dep_graph d;
    nnq_status s = dep_graph_build(g, &d);
    size_t n = g->n_nodes;
    bool *live = s ? NULL : nnq_calloc(n ? n : 1, sizeof *live);
    size_t *stack = s ? NULL : nnq_calloc(n ? n : 1, sizeof *stack);
    if (!s && (!live || !stack))
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "remove_dead: out of memory");
    size_t sp = 0, p;
    for (size_t i = 0; i < g->n_outputs && !s; i++)
        if (nnq_name_map_get(d.producers, g->outputs[i].name, &p) && !live[p])
            live[p] = true, stack[sp++] = p;
    while (sp > 0) {
        size_t top = stack[--sp];
        for (size_t k = d.start[top]; k < d.start[top + 1]; k++)
            if (!live[d.deps[k]]) live[d.deps[k]] = true, stack[sp++] = d.deps[k];
    }
    size_t removed = 0;
    for (size_t i = n; !s && i-- > 0;)
        if (!live[i]) nnq_graph_remove_node(g, i), removed++;
    nnq_free(live);
    nnq_free(stack);
    dep_graph_free(&d);
    if (!s) s = prune_values(g);
    if (!s && n_removed) *n_removed = removed;
    return s;
}
