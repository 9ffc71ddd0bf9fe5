/*
 * infer.c - type and shape inference over the executor's ordered steps.
 *
 * At create time graph inputs may have symbolic dims (-1).  Ops then see
 * shape-only tensors (data NULL) with those -1 dims; a node whose inference
 * fails only because a dim is not known yet is deferred to run time, when the
 * actual input shapes are known.  Failures on fully known shapes are errors.
 */
#include <string.h>

#include "exec/executor_internal.h"

bool exec_value_shape_known(const exec_value *v) {
    if (v->ndim < 0 || v->dtype == NNQ_DTYPE_UNDEFINED) return false;
    for (int d = 0; d < v->ndim; d++)
        if (v->dims[d] < 0) return false;
    return true;
}

nnq_status exec_value_bytes(const exec_value *v, size_t *out) {
    size_t n, b;
    if (!exec_value_shape_known(v))
        return nnq_error(NNQ_STATUS_INTERNAL, "exec: shape of '%s' is not known", v->name);
    if (!nnq_size_product(v->dims, (size_t)v->ndim, &n) || !nnq_dtype_storage_size(v->dtype, n, &b))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "exec: value '%s' (%s) is too large to store",
                         v->name, nnq_dtype_name(v->dtype));
    *out = b;
    return NNQ_STATUS_OK;
}

const nnq_tensor *exec_value_tensor(nnq_exec *e, int v, nnq_tensor *tmp, bool live) {
    exec_value *x = &e->vals[v];
    if (x->kind == EXEC_VAL_CONST) return x->constant;
    if (live) return &x->view;
    memset(tmp, 0, sizeof *tmp);
    tmp->dtype = x->dtype;
    tmp->ndim = x->ndim < 0 ? 0 : x->ndim;
    memcpy(tmp->dims, x->dims, sizeof tmp->dims);
    size_t n = 0, b = 0;
    if (exec_value_shape_known(x) && nnq_size_product(x->dims, (size_t)x->ndim, &n))
        nnq_dtype_storage_size(x->dtype, n, &b);
    tmp->numel = n;
    tmp->nbytes = b;
    return tmp;
}

static void mark_unknown(nnq_exec *e, const exec_step *st) {
    for (size_t k = 0; k < st->node->n_outputs; k++) {
        int v = st->out[k];
        if (v < 0) continue;
        e->vals[v].ndim = -1;
        e->vals[v].dtype = NNQ_DTYPE_UNDEFINED;
    }
}

static nnq_status check_declared(nnq_exec *e, const exec_value *x) {
    if (x->graph_output < 0) return NNQ_STATUS_OK;
    nnq_dtype want = e->g->outputs[x->graph_output].dtype;
    if (want != NNQ_DTYPE_UNDEFINED && want != x->dtype)
        return nnq_error(NNQ_STATUS_DTYPE_MISMATCH,
                         "exec: graph output '%s' is declared %s but node '%s' produces %s",
                         x->name, nnq_dtype_name(want), e->steps[x->producer].node->name,
                         nnq_dtype_name(x->dtype));
    return NNQ_STATUS_OK;
}

nnq_status exec_infer_step(nnq_exec *e, size_t s, bool live, bool *deferred) {
    exec_step *st = &e->steps[s];
    const nnq_node *n = st->node;
    size_t nin = n->n_inputs, nout = n->n_outputs;
    const nnq_tensor *ins[64];
    nnq_tensor tmp[64];
    nnq_out_shape outs[64];
    bool unknown = false;
    *deferred = false;
    for (size_t k = 0; k < nin; k++) {
        if (st->in[k] < 0) {
            ins[k] = NULL;
            continue;
        }
        const exec_value *x = &e->vals[st->in[k]];
        if (!live && !exec_value_shape_known(x) && x->kind != EXEC_VAL_CONST) {
            unknown = true;
            if (x->ndim < 0) {
                /* rank unknown: nothing sensible to ask the op */
                mark_unknown(e, st);
                *deferred = true;
                return NNQ_STATUS_OK;
            }
        }
        ins[k] = exec_value_tensor(e, st->in[k], &tmp[k], live);
    }
    for (size_t k = 0; k < nout; k++) {
        memset(&outs[k], 0, sizeof outs[k]);
        outs[k].ndim = -1;
    }
    nnq_op_ctx ctx = {n, e->opset, e->pool, NULL, 0};
    nnq_status r = st->op->infer(&ctx, ins, nin, outs, nout);
    /* UNSUPPORTED from an op reading a non-constant input's value (Reshape's
     * shape...) means "not before run time": the node is inferred again
     * just before it runs, with every input computed. */
    bool value_needed = false;
    bool shape_only = nnq_op_shape_only(st->op);
    for (size_t k = 0; !live && !shape_only && r == NNQ_STATUS_UNSUPPORTED && k < nin; k++)
        value_needed = value_needed || (ins[k] && !ins[k]->data);
    if (r && (unknown || value_needed)) {
        nnq_clear_error();
        mark_unknown(e, st);
        *deferred = true;
        return NNQ_STATUS_OK;
    }
    if (r) return nnq_exec_node_error(r, n);
    for (size_t k = 0; k < nout; k++) {
        int v = st->out[k];
        if (v < 0) continue;
        exec_value *x = &e->vals[v];
        if (outs[k].ndim < 0 || outs[k].ndim > NNQ_MAX_DIMS)
            return nnq_error(NNQ_STATUS_INTERNAL,
                             "exec: node '%s' (%s) inferred rank %d for output %zu", n->name,
                             n->op_type, outs[k].ndim, k);
        x->dtype = outs[k].dtype;
        x->ndim = outs[k].ndim;
        memcpy(x->dims, outs[k].dims, sizeof x->dims);
        if (!live && unknown)
            for (int d = 0; d < x->ndim; d++)
                if (x->dims[d] < 0) x->dims[d] = -1;
        if (live && !exec_value_shape_known(x))
            return nnq_error(NNQ_STATUS_INTERNAL,
                             "exec: node '%s' (%s) left output %zu's shape unknown", n->name,
                             n->op_type, k);
        NNQ_TRY(check_declared(e, x));
    }
    return NNQ_STATUS_OK;
}

nnq_status exec_infer_all(nnq_exec *e, bool at_create) {
    for (size_t s = 0; s < e->n_steps; s++) {
        if (e->steps[s].folded) continue;
        bool deferred;
        NNQ_TRY(exec_infer_step(e, s, false, &deferred));
        if (at_create && !deferred && !(e->flags & NNQ_EXEC_NO_FOLD) && exec_step_foldable(e, s))
            NNQ_TRY(exec_fold_step(e, s));
    }
    return NNQ_STATUS_OK;
}
