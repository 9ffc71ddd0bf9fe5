/*
 * compress_report.c - figures of a model compression: text table, JSON,
 * and the float-vs-compressed evaluation on data.
 */
#include <math.h>
#include <string.h>

#include "pipeline/compress_model.h"

nnq_status nnq_compress_report_evaluate(nnq_compress_report *r, const nnq_graph *float_model,
                                        const nnq_graph *compressed, nnq_dataset *data,
                                        const nnq_eval_options *options) {
    if (!r || !float_model || !compressed || !data)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress report: %s is NULL",
                         !r ? "report" : !float_model ? "float_model" : !compressed ? "compressed" : "data");
    nnq_eval_report *e = NULL;
    NNQ_TRY(nnq_eval_run(float_model, compressed, data, options, &e));
    nnq_eval_report_free(r->eval);
    r->eval = e;
    r->has_eval = true;
    return NNQ_STATUS_OK;
}

/* JSON has no infinity: an exact weight's SQNR is written as null. */
static void json_db(cfg_buf *b, double v) {
    if (isfinite(v)) cfg_buf_printf(b, "%.4f", v);
    else cfg_buf_printf(b, "null");
}

static void format_json(const nnq_compress_report *r, cfg_buf *b) {
    cfg_buf_printf(b, "{\"weights\": [");
    for (size_t i = 0; i < r->n_weights; i++) {
        const nnq_compress_weight_report *w = &r->weights[i];
        cfg_buf_printf(b, "%s{\"name\": ", i ? ", " : "");
        cfg_buf_json_string(b, w->name);
        cfg_buf_printf(b, ", \"op_type\": ");
        cfg_buf_json_string(b, w->op_type);
        cfg_buf_printf(b, ", \"method\": ");
        cfg_buf_json_string(b, w->method);
        cfg_buf_printf(b, ", \"shape\": [");
        for (int d = 0; d < w->ndim; d++) cfg_buf_printf(b, "%s%lld", d ? ", " : "", (long long)w->dims[d]);
        cfg_buf_printf(b, "], \"numel\": %llu, \"original_bytes\": %llu, \"packed_bytes\": %llu, "
                          "\"onnx_bytes\": %llu, \"bits_per_weight\": %.4f, \"sparsity\": %.4f, "
                          "\"sqnr_db\": ",
                       (unsigned long long)w->numel, (unsigned long long)w->original_bytes,
                       (unsigned long long)w->packed_bytes, (unsigned long long)w->onnx_bytes,
                       w->bits_per_weight, w->sparsity);
        json_db(b, w->sqnr_db);
        cfg_buf_printf(b, "}");
    }
    cfg_buf_printf(b, "], \"skipped\": %zu, \"original_bytes\": %llu, \"packed_bytes\": %llu, "
                      "\"onnx_bytes\": %llu, \"model_bytes_before\": %llu, \"model_bytes_after\": %llu, "
                      "\"sqnr_db\": ",
                   r->n_skipped, (unsigned long long)r->original_bytes,
                   (unsigned long long)r->packed_bytes, (unsigned long long)r->onnx_bytes,
                   (unsigned long long)r->model_bytes_before, (unsigned long long)r->model_bytes_after);
    json_db(b, r->n_weights ? r->sqnr_db : (double)NAN);
    if (r->has_eval) {
        const nnq_eval_report *e = r->eval;
        cfg_buf_printf(b, ", \"eval\": {\"samples\": %llu, \"output_sqnr_db\": ", (unsigned long long)e->samples);
        json_db(b, e->output_sqnr_db);
        cfg_buf_printf(b, ", \"agreement\": %.6f", e->agreement);
        if (e->has_labels)
            cfg_buf_printf(b, ", \"float_top1\": %.6f, \"compressed_top1\": %.6f", e->float_top1,
                           e->quant_top1);
        cfg_buf_printf(b, "}");
    }
    cfg_buf_printf(b, "}\n");
}

static void format_text(const nnq_compress_report *r, cfg_buf *b) {
    cfg_buf_printf(b, "%-28s %-9s %-34s %10s %10s %10s %6s %9s\n", "weight", "op", "method",
                   "orig B", "packed B", "onnx B", "bits", "SQNR dB");
    for (size_t i = 0; i < r->n_weights; i++) {
        const nnq_compress_weight_report *w = &r->weights[i];
        cfg_buf_printf(b, "%-28s %-9s %-34s %10llu %10llu %10llu %6.3f %9.2f\n", w->name, w->op_type,
                       w->method, (unsigned long long)w->original_bytes,
                       (unsigned long long)w->packed_bytes, (unsigned long long)w->onnx_bytes,
                       w->bits_per_weight, w->sqnr_db);
    }
    double bits = r->original_bytes ? 32.0 * (double)r->packed_bytes / (double)r->original_bytes : 0;
    cfg_buf_printf(b, "%-28s %-9s %-34zu %10llu %10llu %10llu %6.3f %9.2f\n", "total", "",
                   r->n_weights, (unsigned long long)r->original_bytes,
                   (unsigned long long)r->packed_bytes, (unsigned long long)r->onnx_bytes, bits,
                   r->n_weights ? r->sqnr_db : (double)NAN);
    cfg_buf_printf(b, "skipped candidates: %zu\n", r->n_skipped);
    cfg_buf_printf(b, "model bytes: %llu -> %llu (%.1f%%)\n", (unsigned long long)r->model_bytes_before,
                   (unsigned long long)r->model_bytes_after,
                   r->model_bytes_before ? 100.0 * (double)r->model_bytes_after / (double)r->model_bytes_before : 0.0);
    if (r->has_eval) {
        const nnq_eval_report *e = r->eval;
        cfg_buf_printf(b, "samples: %llu\noutput SQNR: %.2f dB\ntop-1 agreement: %.4f\n",
                       (unsigned long long)e->samples, e->output_sqnr_db, e->agreement);
        if (e->has_labels)
            cfg_buf_printf(b, "top-1 float: %.4f\ntop-1 compressed: %.4f\n", e->float_top1, e->quant_top1);
    }
}

nnq_status nnq_compress_report_format(const nnq_compress_report *r, bool json, char **out) {
    if (!r || !out)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "compress report: %s is NULL", r ? "out" : "report");
    cfg_buf b = {0};
    if (json) format_json(r, &b);
    else format_text(r, &b);
    return cfg_buf_finish(&b, "compress report", out);
}
