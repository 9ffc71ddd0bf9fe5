/* attr.c - typed access to node attributes with defaults. */
#include <string.h>

#include "exec/op.h"

const nnq_attr *nnq_node_attr(const nnq_node *n, const char *name) {
    for (size_t i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

static nnq_status wrong_type(const nnq_node *n, const nnq_attr *a, const char *want) {
    return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                     "node '%s' (%s): attribute '%s' has type %d, expected %s", n->name,
                     n->op_type, a->name, (int)a->type, want);
}

nnq_status nnq_attr_int(const nnq_node *n, const char *name, int64_t def, int64_t *out) {
    const nnq_attr *a = nnq_node_attr(n, name);
    if (!a) return (*out = def), NNQ_STATUS_OK;
    if (a->type != NNQ_ATTR_INT) return wrong_type(n, a, "int");
    *out = a->i;
    return NNQ_STATUS_OK;
}

nnq_status nnq_attr_float(const nnq_node *n, const char *name, float def, float *out) {
    const nnq_attr *a = nnq_node_attr(n, name);
    if (!a) return (*out = def), NNQ_STATUS_OK;
    if (a->type != NNQ_ATTR_FLOAT) return wrong_type(n, a, "float");
    *out = a->f;
    return NNQ_STATUS_OK;
}

nnq_status nnq_attr_string(const nnq_node *n, const char *name, const char *def, const char **out) {
    const nnq_attr *a = nnq_node_attr(n, name);
    if (!a) return (*out = def), NNQ_STATUS_OK;
    if (a->type != NNQ_ATTR_STRING) return wrong_type(n, a, "string");
    *out = a->s ? a->s : "";
    return NNQ_STATUS_OK;
}

nnq_status nnq_attr_ints(const nnq_node *n, const char *name, const int64_t **out, size_t *count) {
    const nnq_attr *a = nnq_node_attr(n, name);
    *out = NULL;
    *count = 0;
    if (!a) return NNQ_STATUS_OK;
    if (a->type != NNQ_ATTR_INTS) return wrong_type(n, a, "ints");
    *out = a->ints;
    *count = a->n_ints;
    return NNQ_STATUS_OK;
}

nnq_status nnq_attr_floats(const nnq_node *n, const char *name, const float **out, size_t *count) {
    const nnq_attr *a = nnq_node_attr(n, name);
    *out = NULL;
    *count = 0;
    if (!a) return NNQ_STATUS_OK;
    if (a->type != NNQ_ATTR_FLOATS) return wrong_type(n, a, "floats");
    *out = a->floats;
    *count = a->n_floats;
    return NNQ_STATUS_OK;
}
