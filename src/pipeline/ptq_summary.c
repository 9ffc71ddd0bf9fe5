/*
 * ptq_summary.c - the per-site table of a PTQ session (ModelOpt's
 * print_quant_summary): enabled, format, granularity, amax range,
 * calibrator, note.
 */
#include <math.h>
#include <string.h>

#include "pipeline/ptq.h"

static void format_name(const ptq_site *s, char *buf, size_t size) {
    if (s->attrs.format == NNQ_SITE_FORMAT_INT)
        snprintf(buf, size, "%s%d", s->attrs.is_unsigned ? "uint" : "int", s->attrs.num_bits);
    else
        snprintf(buf, size, "%s", nnq_site_format_name(s->attrs.format));
}

static void granularity(const ptq_site *s, char *buf, size_t size) {
    if (s->attrs.n_block)
        snprintf(buf, size, "block %lld (axis %d)", (long long)s->attrs.block[0], s->in_axis);
    else if (s->attrs.n_axes)
        snprintf(buf, size, "axis %d", s->attrs.axes[0]);
    else
        snprintf(buf, size, "per-tensor");
}

static const char *calibrator(const ptq_site *s) {
    return s->attrs.has_amax ? "fixed" : nnq_site_calib_name(s->attrs.calib_method);
}

static void range_of(const ptq_site *s, float *lo, float *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (size_t i = 0; i < s->range.n; i++) {
        *lo = fminf(*lo, s->range.amax[i]);
        *hi = fmaxf(*hi, s->range.amax[i]);
    }
}

static void text_row(cfg_buf *b, const ptq_site *s, int w) {
    char fmt[32], gran[64], rng[64] = "-";
    format_name(s, fmt, sizeof fmt);
    granularity(s, gran, sizeof gran);
    if (s->enabled && s->range.n) {
        float lo, hi;
        range_of(s, &lo, &hi);
        if (s->range.n == 1) snprintf(rng, sizeof rng, "%.6g", (double)lo);
        else snprintf(rng, sizeof rng, "%.6g .. %.6g", (double)lo, (double)hi);
    }
    if (!s->enabled && !s->note) {
        cfg_buf_printf(b, "%-*s  no\n", w, s->name);
        return;
    }
    cfg_buf_printf(b, "%-*s  %-3s  %-8s  %-20s  %-10s  %s%s%s\n", w, s->name,
                   s->enabled ? "yes" : "no", fmt, gran, calibrator(s), rng,
                   s->note ? "  # " : "", s->note ? s->note : "");
}

static void json_site(cfg_buf *b, const ptq_site *s) {
    char fmt[32];
    format_name(s, fmt, sizeof fmt);
    cfg_buf_printf(b, "{\"name\": ");
    cfg_buf_json_string(b, s->name);
    cfg_buf_printf(b, ", \"node\": ");
    cfg_buf_json_string(b, s->node_name);
    cfg_buf_printf(b, ", \"op_type\": ");
    cfg_buf_json_string(b, s->op_type);
    cfg_buf_printf(b, ", \"kind\": \"%s\", \"tensor\": ", nnq_site_kind_name(s->kind));
    cfg_buf_json_string(b, s->tensor);
    cfg_buf_printf(b, ", \"enabled\": %s, \"format\": \"%s\"", s->enabled ? "true" : "false",
                   fmt);
    if (s->attrs.n_axes) cfg_buf_printf(b, ", \"axis\": %d", s->attrs.axes[0]);
    else cfg_buf_printf(b, ", \"axis\": null");
    if (s->attrs.n_block) cfg_buf_printf(b, ", \"block_size\": %lld", (long long)s->attrs.block[0]);
    else cfg_buf_printf(b, ", \"block_size\": null");
    cfg_buf_printf(b, ", \"calibrator\": \"%s\"", calibrator(s));
    if (s->enabled && s->range.n) {
        float lo, hi;
        range_of(s, &lo, &hi);
        cfg_buf_printf(b, ", \"amax_min\": %.9g, \"amax_max\": %.9g", (double)lo, (double)hi);
    } else {
        cfg_buf_printf(b, ", \"amax_min\": null, \"amax_max\": null");
    }
    cfg_buf_printf(b, ", \"note\": ");
    if (s->note) cfg_buf_json_string(b, s->note);
    else cfg_buf_printf(b, "null");
    cfg_buf_printf(b, "}");
}

nnq_status nnq_ptq_summary(nnq_ptq *p, bool json, char **out) {
    if (!p || !out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "summary: NULL argument");
    *out = NULL;
    NNQ_TRY(ptq_compute_ranges(p, false));
    size_t enabled = 0;
    int w = 4;
    for (size_t i = 0; i < p->n_sites; i++) {
        enabled += p->sites[i].enabled;
        int l = (int)strlen(p->sites[i].name);
        if (l > w) w = l;
    }
    cfg_buf b = {0};
    if (json) {
        cfg_buf_printf(&b, "{\"sites_total\": %zu, \"sites_enabled\": %zu, "
                       "\"batchnorm_folded\": %zu, \"calib_samples\": %llu, \"sites\": [",
                       p->n_sites, enabled, p->n_folded, (unsigned long long)p->calib_samples);
        for (size_t i = 0; i < p->n_sites; i++) {
            if (i) cfg_buf_printf(&b, ", ");
            json_site(&b, &p->sites[i]);
        }
        cfg_buf_printf(&b, "]}\n");
    } else {
        cfg_buf_printf(&b, "%zu quantizer sites, %zu enabled (BatchNormalization folded: %zu)\n",
                       p->n_sites, enabled, p->n_folded);
        cfg_buf_printf(&b, "%-*s  %-3s  %-8s  %-20s  %-10s  %s\n", w, "site", "on", "format",
                       "granularity", "calib", "amax");
        for (size_t i = 0; i < p->n_sites; i++) text_row(&b, &p->sites[i], w);
    }
    return cfg_buf_finish(&b, "summary", out);
}
