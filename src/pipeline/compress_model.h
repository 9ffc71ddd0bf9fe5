/*
 * compress_model.h - internals of model-level compression (not installed):
 * the parsed compress spec and how it resolves to one tensor's settings.
 */
#ifndef NNQ_PIPELINE_COMPRESS_MODEL_H
#define NNQ_PIPELINE_COMPRESS_MODEL_H

#include "internal.h"
#include "pipeline/config.h"

/* Which settings an entry gives (bit per key), so entries overlay key by key. */
enum {
    CSET_MODE = 1u << 0,
    CSET_BITS = 1u << 1,
    CSET_METHOD = 1u << 2,
    CSET_GROUP = 1u << 3,
    CSET_LUT = 1u << 4,
    CSET_LMODE = 1u << 5,
    CSET_PRUNE = 1u << 6,
    CSET_THRESHOLD = 1u << 7,
    CSET_SPARSITY = 1u << 8,
    CSET_N = 1u << 9,
    CSET_M = 1u << 10,
    CSET_BLOCK = 1u << 11,
    CSET_SEED = 1u << 12,
    CSET_ITER = 1u << 13,
    CSET_MIN_SIZE = 1u << 14,
    CSET_DTYPE = 1u << 15,
};

/* Value coding of a weight. */
typedef enum cspec_mode {
    CSPEC_MODE_NONE = 0, /* pruning only */
    CSPEC_MODE_PALETTIZE,
    CSPEC_MODE_LINEAR,
} cspec_mode;

/* Settings of one spec entry (or the resolved settings of one weight). */
typedef struct cspec_settings {
    uint32_t set;
    bool disable; /* the entry was null */
    cspec_mode mode;
    int bits;
    nnq_compress_config cfg; /* every member but the bit widths */
    size_t min_size;
    bool per_block;   /* linear blocks of cfg.block_size along the input axis (CSET_GROUP) */
    bool is_unsigned; /* linear codes unsigned (CSET_DTYPE) */
} cspec_settings;

typedef struct cspec_rule {
    char *key;     /* op type or glob text */
    cfg_glob *glob; /* name section only */
    cspec_settings s;
} cspec_rule;

struct nnq_compress_spec {
    cspec_settings global;
    cspec_rule *op_rules;
    size_t n_op_rules;
    cspec_rule *name_rules;
    size_t n_name_rules;
};

/* Settings from a public base config (bits split back into mode + bits). */
NNQ_INTERNAL void cspec_from_config(const nnq_compress_config *c, size_t min_size,
                                    cspec_settings *out);
/* Copy every key `src` sets onto dst; a null entry disables. */
NNQ_INTERNAL void cspec_overlay(cspec_settings *dst, const cspec_settings *src);
/* Apply the spec's sections for a weight of `op_type` called `name`. */
NNQ_INTERNAL void cspec_resolve(const nnq_compress_spec *spec, const char *op_type,
                                const char *name, cspec_settings *s);
/* The tensor-level config the settings stand for. */
NNQ_INTERNAL void cspec_to_config(const cspec_settings *s, nnq_compress_config *out);


#endif
