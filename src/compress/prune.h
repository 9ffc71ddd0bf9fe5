/*
 * prune.h - pruning decisions of the compress layer (internal).
 */
#ifndef NNQ_COMPRESS_PRUNE_H
#define NNQ_COMPRESS_PRUNE_H

#include "internal.h"

/*
 * The weight viewed as [rows, cin, inner]: rows = dims[0], cin = dims[1]
 * (the input axis n:m and block pruning run along), inner = the rest.
 */
typedef struct nnq_prune_view {
    size_t rows, cin, inner;
} nnq_prune_view;

/*
 * keep[i] = 0 for the elements cfg->prune_mode removes, 1 otherwise.  The
 * config must have been validated (nnq_compress_tensor does).  The result
 * does not depend on the pool's thread count.
 */
NNQ_INTERNAL nnq_status nnq_prune_decide(const float *w, const nnq_prune_view *v,
                                         const nnq_compress_config *cfg, nnq_pool *pool,
                                         uint8_t *keep);

/*
 * Number pruned by a target fraction: floor(sparsity * count).  The float
 * sparsity stands for a decimal (0.7f is 0.69999998...), so a product within
 * 2^-23 relative below an integer counts as that integer: 0.7 of 10 is 7.
 */
static inline size_t nnq_prune_count(float sparsity, size_t count) {
    double n = (double)sparsity * (double)count * (1.0 + 0x1p-23);
    return n >= (double)count ? count : (size_t)n;
}

#endif
