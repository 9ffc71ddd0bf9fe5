/*
 * ptq.h - internals of the post-training quantization pipeline (not
 * installed): planned sites, their ranges, and the helpers shared by
 * planning, calibration, export, summary and evaluation.
 */
#ifndef NNQ_PIPELINE_PTQ_H
#define NNQ_PIPELINE_PTQ_H

#include "graph/ir.h"
#include "pipeline/config.h"

/* Ranges of a site once known: per-channel amax (symmetric) or min / max
 * (affine), n entries each. */
typedef struct ptq_range {
    size_t n;
    float *amax;
    float *rmin, *rmax; /* affine sites only */
} ptq_range;

typedef struct ptq_site {
    char *name;
    char *cfg_name;     /* name the config resolves it under; NULL: name */
    char *node_name;
    char *op_type;
    char *tensor;       /* activation value or weight initializer */
    size_t input_index; /* node input quantized (input / weight sites) */
    nnq_site_kind kind;
    nnq_site_attrs attrs;
    bool enabled;
    char *note;         /* why configured but float */
    int out_axis;       /* weights: output-channel axis as stored */
    int in_axis;        /* weights: input axis (blocks run along it) */
    nnq_calib *calib;   /* activation statistics */
    ptq_range range;
    size_t next_same;   /* next site on the same value, SIZE_MAX ends */
} ptq_site;

struct nnq_ptq {
    nnq_graph *g; /* owned copy, BatchNormalization folded */
    const nnq_config *cfg;
    ptq_site *sites;
    size_t n_sites, cap_sites;
    nnq_ptq_options opt;
    size_t n_folded;
    uint64_t calib_samples;
};

/* ONNX quantized type, scale bound and grid of a site's format. */
typedef struct ptq_qtype {
    nnq_dtype dtype;  /* INT8, UINT8, INT4, UINT4, INT16, UINT16, FLOAT8* */
    bool is_float;    /* float8 */
    float bound;      /* amax / bound = scale (symmetric); fp8: its max */
    nnq_int_format f; /* integer sites */
    int min_opset;    /* ai.onnx opset the type needs in Q / DQ */
} ptq_qtype;

/* The QDQ parameters of one site: scale / zero point arrays and their
 * layout on the quantized tensor. */
typedef struct ptq_qparams {
    ptq_qtype qt;
    size_t n;          /* number of scales */
    float *scale;
    int32_t *zp;       /* integer zero points (NULL for float8) */
    int axis;          /* -1: per-tensor */
    int64_t block;     /* 0: none */
    nnq_qlayout layout; /* weights: the scale layout over the weight */
} ptq_qparams;

NNQ_INTERNAL nnq_status ptq_site_qtype(const ptq_site *s, ptq_qtype *out);
/* Ranges of every enabled site (weights from their initializers, activations
 * from their calibrators); a site with ranges already known is kept.  Unless
 * require_all, activation sites without statistics are skipped. */
NNQ_INTERNAL nnq_status ptq_compute_ranges(nnq_ptq *p, bool require_all);
NNQ_INTERNAL void ptq_range_clear(ptq_range *r);
/* Scale / zero point of an enabled site whose ranges are known. */
NNQ_INTERNAL nnq_status ptq_site_qparams(const nnq_ptq *p, const ptq_site *s, ptq_qparams *out);
NNQ_INTERNAL void ptq_qparams_clear(ptq_qparams *q);
/* A calibrator config for an activation site. */
NNQ_INTERNAL nnq_status ptq_calib_config(const ptq_site *s, nnq_calib_config *c,
                                         nnq_calib_amax_options *amax_opt);
static inline const char *ptq_site_cfg_name(const ptq_site *s) {
    return s->cfg_name ? s->cfg_name : s->name;
}
/* Does an affine (mode: linear) site need min / max statistics. */
static inline bool ptq_site_affine(const ptq_site *s) {
    return s->attrs.format == NNQ_SITE_FORMAT_INT && !s->attrs.symmetric;
}

/* Data checks shared by calibration and evaluation: fill inputs[] (in the
 * executor's order) from the dataset's current batch.  A batch one dim
 * short of a model input whose dim 1 is 1 gets that channel dim (IDX
 * images), through views[i], which borrows the batch's data. */
NNQ_INTERNAL nnq_status ptq_match_inputs(const nnq_exec *exec, const struct nnq_dataset *ds,
                                         size_t *map);
NNQ_INTERNAL nnq_status ptq_check_batch(const nnq_exec *exec, const struct nnq_dataset *ds,
                                        const size_t *map, nnq_tensor *views,
                                        const nnq_tensor **inputs);
/* Evaluation helpers shared by activation and weight sites (ptq_eval.c). */
NNQ_INTERNAL const nnq_tensor *ptq_init_of(const nnq_graph *g, const char *name);
NNQ_INTERNAL int64_t ptq_attr_int(const nnq_node *n, const char *name, int64_t dflt);
/* Range of an integer QDQ type (uint8 for anything else). */
NNQ_INTERNAL void ptq_int_range(nnq_dtype t, float *lo, float *hi);
NNQ_INTERNAL bool ptq_is_fp8(nnq_dtype t);
/* 10 log10(sig / noise): +inf when exact, -inf when sig is 0 but noise not. */
NNQ_INTERNAL double ptq_sqnr_db(double sig, double noise);
/* Stored quantized weights of a QDQ model (ptq_eval_weights.c): their
 * number, and one report site each appended to r->sites (room for
 * ptq_eval_weight_count more). */
NNQ_INTERNAL size_t ptq_eval_weight_count(const nnq_graph *gq);
NNQ_INTERNAL nnq_status ptq_eval_weights(const nnq_graph *gf, const nnq_graph *gq,
                                         nnq_eval_report *r);

#endif
