/* ops_registry.c - the list of operator tables (see op.h). */
#include <string.h>

#include "exec/op.h"

/* Each family file (ops_<family>.c) defines its NULL-terminated table. */
extern const nnq_op_def nnq_ops_nn[];
extern const nnq_op_def nnq_ops_elem[];
extern const nnq_op_def nnq_ops_tensor[];
extern const nnq_op_def nnq_ops_quant[];

static const nnq_op_def *const families[] = {nnq_ops_nn, nnq_ops_elem, nnq_ops_tensor,
                                             nnq_ops_quant};

const nnq_op_def *nnq_op_find(const char *domain, const char *op_type) {
    if (!domain || strcmp(domain, "ai.onnx") == 0) domain = "";
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const nnq_op_def *d = families[f]; d->op_type; d++)
            if (strcmp(d->op_type, op_type) == 0 && strcmp(d->domain ? d->domain : "", domain) == 0)
                return d;
    return NULL;
}

/* Families whose infer never reads input values. */
static const nnq_op_def *const shape_only_families[] = {nnq_ops_nn};

bool nnq_op_shape_only(const nnq_op_def *op) {
    for (size_t f = 0; f < sizeof shape_only_families / sizeof *shape_only_families; f++) {
        const nnq_op_def *d = shape_only_families[f];
        while (d->op_type && d != op) d++;
        if (d == op) return true;
    }
    return false;
}
