/*
 * fold.c - constant folding: a node whose inputs are all constants runs once
 * at create time and its outputs become constants under the same names.
 */
#include <string.h>

#include "exec/executor_internal.h"

/* Ops whose result must differ between runs. */
static const char *const nondeterministic[] = {"RandomNormal",     "RandomUniform",
                                               "RandomNormalLike", "RandomUniformLike",
                                               "Multinomial",      "Bernoulli"};

bool exec_step_foldable(const nnq_exec *e, size_t s) {
    const exec_step *st = &e->steps[s];
    for (size_t i = 0; i < sizeof nondeterministic / sizeof *nondeterministic; i++)
        if (strcmp(st->node->op_type, nondeterministic[i]) == 0) return false;
    for (size_t k = 0; k < st->node->n_inputs; k++)
        if (st->in[k] >= 0 && e->vals[st->in[k]].kind != EXEC_VAL_CONST) return false;
    for (size_t k = 0; k < st->node->n_outputs; k++)
        if (st->out[k] >= 0 && !exec_value_shape_known(&e->vals[st->out[k]])) return false;
    return true;
}

nnq_status exec_fold_step(nnq_exec *e, size_t s) {
    exec_step *st = &e->steps[s];
    size_t nin = st->node->n_inputs, nout = st->node->n_outputs;
    const nnq_tensor *ins[64];
    nnq_tensor *outs[64] = {0};
    nnq_status r = NNQ_STATUS_OK;
    for (size_t k = 0; k < nin; k++)
        ins[k] = st->in[k] < 0 ? NULL : e->vals[st->in[k]].constant;
    for (size_t k = 0; !r && k < nout; k++) {
        const exec_value *x = st->out[k] < 0 ? NULL : &e->vals[st->out[k]];
        if (x) r = nnq_tensor_create(x->dtype, x->ndim, x->dims, &outs[k]);
    }
    if (!r) r = exec_run_op(e, s, ins, outs);
    if (r) {
        for (size_t k = 0; k < nout; k++)
            nnq_tensor_free(outs[k]);
        return nnq_error_prefix(r, "folding constants: ");
    }
    for (size_t k = 0; k < nout; k++) {
        if (st->out[k] < 0) continue;
        exec_value *x = &e->vals[st->out[k]];
        x->kind = EXEC_VAL_CONST;
        x->constant = outs[k];
        x->const_owned = true;
    }
    st->folded = true;
    e->n_folded++;
    return NNQ_STATUS_OK;
}
