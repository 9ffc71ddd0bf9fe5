/*
 * palette.h - lookup-table construction of the compress layer (internal).
 */
#ifndef NNQ_COMPRESS_PALETTE_H
#define NNQ_COMPRESS_PALETTE_H

#include "internal.h"

/* One table's inputs: its values (and optional importance), in any order. */
typedef struct nnq_palette_job {
    const nnq_compress_config *cfg;
    const char *name; /* tensor name for messages */
    size_t table;     /* table index: the k-means++ stream and message context */
    size_t first_channel, channels;
    float *x; /* n values; sorted in place when the mode needs it */
    float *w; /* NULL or n importance weights, permuted with x */
    size_t n;
    nnq_pool *pool; /* threads for the sort; NULL when already on a worker */
} nnq_palette_job;

/* A finished table. */
typedef struct nnq_palette_table {
    float *f32;   /* 2^bits ascending entries as decompression sees them */
    void *store;  /* 2^bits entries in the lut dtype */
    float *scale; /* INT8: the table's scale */
    int iters;    /* Lloyd updates run */
} nnq_palette_table;

/*
 * Build one table into `out` (buffers provided by the caller).  An empty job
 * (n == 0, all values pruned) gives an all-zero table.  Errors:
 * LIMIT_EXCEEDED (`unique` with too many values), OUT_OF_MEMORY.
 */
NNQ_INTERNAL nnq_status nnq_palette_build(const nnq_palette_job *job, nnq_palette_table *out);

/* Bytes per stored table entry of a lut dtype. */
NNQ_INTERNAL size_t nnq_lut_entry_size(nnq_lut_dtype t);

#endif
