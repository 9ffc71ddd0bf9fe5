/* ir.c - ownership, lookup and editing of the in-memory graph. */
#include <stdio.h>
#include <string.h>

#include "graph/ir.h"

char *nnq_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = nnq_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void free_strings(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) nnq_free(v[i]);
    nnq_free(v);
}

void nnq_attr_clear(nnq_attr *a) {
    nnq_free(a->name);
    nnq_free(a->s);
    nnq_tensor_free(a->t);
    nnq_free(a->floats);
    nnq_free(a->ints);
    free_strings(a->strings, a->n_strings);
    if (a->tensors)
        for (size_t i = 0; i < a->n_tensors; i++) nnq_tensor_free(a->tensors[i]);
    nnq_free(a->tensors);
    if (a->tensor_names)
        for (size_t i = 0; i < a->n_tensors; i++) nnq_free(a->tensor_names[i]);
    nnq_free(a->tensor_names);
    nnq_free(a->t_name);
    nnq_graph_free(a->g);
    nnq_free(a->ref_attr_name);
    nnq_free(a->doc_string);
    nnq_free(a->raw);
    memset(a, 0, sizeof *a);
}

void nnq_node_clear(nnq_node *n) {
    nnq_free(n->name);
    nnq_free(n->op_type);
    nnq_free(n->domain);
    free_strings(n->inputs, n->n_inputs);
    free_strings(n->outputs, n->n_outputs);
    for (size_t i = 0; i < n->n_attrs; i++) nnq_attr_clear(&n->attrs[i]);
    nnq_free(n->attrs);
    nnq_free(n->doc_string);
    memset(n, 0, sizeof *n);
}

void nnq_value_info_clear(nnq_value_info *v) {
    nnq_free(v->name);
    for (int i = 0; i < NNQ_MAX_DIMS; i++) nnq_free(v->dim_params[i]);
    nnq_free(v->doc_string);
    nnq_free(v->raw_type);
    memset(v, 0, sizeof *v);
}

void nnq_initializer_clear(nnq_initializer *in) {
    nnq_free(in->name);
    nnq_tensor_free(in->tensor);
    nnq_free(in->doc_string);
    nnq_free(in->ext_location);
    memset(in, 0, sizeof *in);
}

static void free_value_infos(nnq_value_info *v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) nnq_value_info_clear(&v[i]);
    nnq_free(v);
}

void nnq_graph_free(nnq_graph *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n_opsets; i++) nnq_free(g->opsets[i].domain);
    nnq_free(g->opsets);
    nnq_free(g->producer_name);
    nnq_free(g->producer_version);
    nnq_free(g->model_domain);
    nnq_free(g->model_doc_string);
    free_strings(g->metadata_keys, g->n_metadata);
    free_strings(g->metadata_values, g->n_metadata);
    nnq_free(g->name);
    nnq_free(g->doc_string);
    for (size_t i = 0; i < g->n_nodes; i++) nnq_node_clear(&g->nodes[i]);
    nnq_free(g->nodes);
    for (size_t i = 0; i < g->n_inits; i++) nnq_initializer_clear(&g->inits[i]);
    nnq_free(g->inits);
    free_value_infos(g->inputs, g->n_inputs);
    free_value_infos(g->outputs, g->n_outputs);
    free_value_infos(g->value_infos, g->n_value_infos);
    nnq_free(g->unknown_model_fields);
    nnq_free(g->base_dir);
    nnq_name_map_free(g->init_map);
    nnq_name_map_free(g->producer_map);
    nnq_free(g);
}

nnq_status nnq_graph_create_empty(nnq_graph **out) {
    nnq_graph *g = nnq_calloc(1, sizeof *g);
    if (!g) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph: out of memory");
    g->ir_version = 8;
    *out = g;
    return NNQ_STATUS_OK;
}

void nnq_graph_invalidate(nnq_graph *g) {
    nnq_name_map_free(g->init_map);
    nnq_name_map_free(g->producer_map);
    g->init_map = NULL;
    g->producer_map = NULL;
}

static nnq_status build_init_map(nnq_graph *g) {
    NNQ_TRY(nnq_name_map_create(g->n_inits, &g->init_map));
    for (size_t i = 0; i < g->n_inits; i++)
        NNQ_TRY(nnq_name_map_put(g->init_map, g->inits[i].name, i, NULL, NULL));
    return NNQ_STATUS_OK;
}

static nnq_status build_producer_map(nnq_graph *g) {
    NNQ_TRY(nnq_name_map_create(g->n_nodes, &g->producer_map));
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t j = 0; j < g->nodes[i].n_outputs; j++)
            if (g->nodes[i].outputs[j][0])
                NNQ_TRY(nnq_name_map_put(g->producer_map, g->nodes[i].outputs[j], i, NULL, NULL));
    return NNQ_STATUS_OK;
}

/* A failed map build (out of memory) falls back to a linear scan so lookups
 * never fail. */
ptrdiff_t nnq_graph_find_init(nnq_graph *g, const char *name) {
    size_t v;
    if (!g->init_map && build_init_map(g) != NNQ_STATUS_OK) {
        nnq_graph_invalidate(g);
        for (size_t i = 0; i < g->n_inits; i++)
            if (!strcmp(g->inits[i].name, name)) return (ptrdiff_t)i;
        return -1;
    }
    return nnq_name_map_get(g->init_map, name, &v) ? (ptrdiff_t)v : -1;
}

ptrdiff_t nnq_graph_find_producer(nnq_graph *g, const char *name) {
    size_t v;
    if (!g->producer_map && build_producer_map(g) != NNQ_STATUS_OK) {
        nnq_graph_invalidate(g);
        for (size_t i = 0; i < g->n_nodes; i++)
            for (size_t j = 0; j < g->nodes[i].n_outputs; j++)
                if (!strcmp(g->nodes[i].outputs[j], name)) return (ptrdiff_t)i;
        return -1;
    }
    return nnq_name_map_get(g->producer_map, name, &v) ? (ptrdiff_t)v : -1;
}

ptrdiff_t nnq_graph_find_node(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return (ptrdiff_t)i;
    return -1;
}

size_t nnq_graph_use_count(const nnq_graph *g, const char *name) {
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t j = 0; j < g->nodes[i].n_inputs; j++)
            n += strcmp(g->nodes[i].inputs[j], name) == 0;
    return n;
}

bool nnq_graph_is_output(const nnq_graph *g, const char *name) {
    for (size_t i = 0; i < g->n_outputs; i++)
        if (!strcmp(g->outputs[i].name, name)) return true;
    return false;
}

static nnq_status put_names(nnq_name_map *m, char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++) NNQ_TRY(nnq_name_map_put(m, names[i], 0, NULL, NULL));
    return NNQ_STATUS_OK;
}

static nnq_status collect_names(const nnq_graph *g, nnq_name_map *m) {
    for (size_t i = 0; i < g->n_nodes; i++) {
        const nnq_node *n = &g->nodes[i];
        NNQ_TRY(nnq_name_map_put(m, n->name, 0, NULL, NULL));
        NNQ_TRY(put_names(m, n->inputs, n->n_inputs));
        NNQ_TRY(put_names(m, n->outputs, n->n_outputs));
    }
    for (size_t i = 0; i < g->n_inits; i++)
        NNQ_TRY(nnq_name_map_put(m, g->inits[i].name, 0, NULL, NULL));
    for (size_t i = 0; i < g->n_inputs; i++)
        NNQ_TRY(nnq_name_map_put(m, g->inputs[i].name, 0, NULL, NULL));
    for (size_t i = 0; i < g->n_outputs; i++)
        NNQ_TRY(nnq_name_map_put(m, g->outputs[i].name, 0, NULL, NULL));
    for (size_t i = 0; i < g->n_value_infos; i++)
        NNQ_TRY(nnq_name_map_put(m, g->value_infos[i].name, 0, NULL, NULL));
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_unique_name(const nnq_graph *g, const char *base, char **out) {
    *out = NULL;
    nnq_name_map *m = NULL;
    NNQ_TRY(nnq_name_map_create(g->n_nodes * 3 + g->n_inits, &m));
    nnq_status s = collect_names(g, m);
    size_t len = strlen(base), cap = len + 24;
    char *buf = s ? NULL : nnq_malloc(cap);
    if (!s && !buf)
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph: out of memory naming '%s'", base);
    if (!s) {
        memcpy(buf, base, len + 1);
        for (unsigned long long k = 1; nnq_name_map_get(m, buf, NULL); k++)
            snprintf(buf, cap, "%s_%llu", base, k);
        *out = buf;
    }
    nnq_name_map_free(m);
    return s;
}

static nnq_status grow_array(void **arr, size_t *cap, size_t need, size_t elem, const char *what) {
    if (need <= *cap) return NNQ_STATUS_OK;
    size_t ncap = *cap ? *cap : 8, bytes;
    while (ncap < need) {
        if (!nnq_size_mul(ncap, 2, &ncap))
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "graph: too many %s", what);
    }
    if (!nnq_size_mul(ncap, elem, &bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "graph: too many %s (%zu)", what, ncap);
    void *p = nnq_realloc(*arr, bytes);
    if (!p) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph: cannot grow %s to %zu", what, ncap);
    *arr = p;
    *cap = ncap;
    return NNQ_STATUS_OK;
}

nnq_status nnq_graph_add_node(nnq_graph *g, nnq_node *node) {
    void *arr = g->nodes;
    nnq_status s = grow_array(&arr, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes, "nodes");
    g->nodes = arr;
    if (s) {
        nnq_node_clear(node);
        return s;
    }
    g->nodes[g->n_nodes++] = *node;
    memset(node, 0, sizeof *node);
    nnq_graph_invalidate(g);
    return NNQ_STATUS_OK;
}

void nnq_graph_remove_node(nnq_graph *g, size_t i) {
    nnq_node_clear(&g->nodes[i]);
    memmove(&g->nodes[i], &g->nodes[i + 1], (g->n_nodes - i - 1) * sizeof *g->nodes);
    g->n_nodes--;
    nnq_graph_invalidate(g);
}

nnq_status nnq_graph_add_init(nnq_graph *g, const char *name, nnq_tensor *tensor) {
    if (nnq_graph_find_init(g, name) >= 0) {
        nnq_tensor_free(tensor);
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "graph: initializer '%s' already exists",
                         name);
    }
    void *arr = g->inits;
    nnq_status s =
        grow_array(&arr, &g->cap_inits, g->n_inits + 1, sizeof *g->inits, "initializers");
    g->inits = arr;
    char *copy = s ? NULL : nnq_strdup(name);
    if (!s && !copy)
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "graph: out of memory adding '%s'", name);
    if (s) {
        nnq_tensor_free(tensor);
        return s;
    }
    memset(&g->inits[g->n_inits], 0, sizeof *g->inits);
    g->inits[g->n_inits].name = copy;
    g->inits[g->n_inits].tensor = tensor;
    g->n_inits++;
    nnq_graph_invalidate(g);
    return NNQ_STATUS_OK;
}

void nnq_graph_remove_init(nnq_graph *g, size_t i) {
    for (size_t k = 0; k < g->n_inputs; k++) {
        if (strcmp(g->inputs[k].name, g->inits[i].name) != 0) continue;
        nnq_value_info_clear(&g->inputs[k]);
        memmove(&g->inputs[k], &g->inputs[k + 1], (g->n_inputs - k - 1) * sizeof *g->inputs);
        g->n_inputs--;
        break;
    }
    nnq_initializer_clear(&g->inits[i]);
    memmove(&g->inits[i], &g->inits[i + 1], (g->n_inits - i - 1) * sizeof *g->inits);
    g->n_inits--;
    nnq_graph_invalidate(g);
}
