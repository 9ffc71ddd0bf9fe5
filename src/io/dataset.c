/*
 * dataset.c - batches of named inputs streamed from .npy, .npz or IDX files.
 * Only one batch per input is ever held in memory.
 */
#include <math.h>
#include <string.h>

#include "io/io_internal.h"

typedef struct ds_input {
    char *name;
    io_stream s; /* .npy / .npz members */
    bool s_live;
    nnq_dtype dtype; /* as stored */
    bool big_endian;
    size_t sample_bytes;
    uint64_t data_off; /* stream offset of sample 0 */
    uint64_t rows;
    int ndim; /* shape of the whole array (dims[0] == rows) */
    int64_t dims[NNQ_MAX_DIMS];
    nnq_tensor *batch;
    unsigned char *raw; /* staging for conversion to float32, else NULL */
} ds_input;

struct nnq_dataset {
    io_src src; /* .npy */
    nnq_npz *npz;
    nnq_idx *idx, *labels;
    ds_input *in;
    size_t n_in;
    uint64_t first, count, next;
    size_t batch_cap;
    nnq_dataset_options opt;
    nnq_tensor *label_batch;
    unsigned char *label_raw;
    size_t cur; /* samples in the current batch, 0: none */
};

void nnq_dataset_options_init(nnq_dataset_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->batch_size = 1;
    o->scale = 1.0f;
    o->std = 1.0f;
}

static nnq_status check_options(const nnq_dataset_options *o) {
    if (o->batch_size == 0)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "dataset: batch_size 0 (must be >= 1)");
    if (!isfinite(o->scale) || !isfinite(o->mean) || !isfinite(o->std) || !(o->std > 0.0f))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "dataset: normalization scale %g, mean %g, std %g: all must be finite "
                         "and std > 0",
                         (double)o->scale, (double)o->mean, (double)o->std);
    return NNQ_STATUS_OK;
}

void nnq_dataset_close(nnq_dataset *ds) {
    if (!ds) return;
    for (size_t i = 0; i < ds->n_in; i++) {
        ds_input *in = &ds->in[i];
        if (in->s_live) io_stream_release(&in->s);
        nnq_free(in->name);
        nnq_tensor_free(in->batch);
        nnq_free(in->raw);
    }
    nnq_free(ds->in);
    nnq_npz_close(ds->npz);
    nnq_idx_close(ds->idx);
    nnq_idx_close(ds->labels);
    if (ds->src.name) io_src_close(&ds->src);
    nnq_tensor_free(ds->label_batch);
    nnq_free(ds->label_raw);
    nnq_free(ds);
}

static nnq_status add_inputs(nnq_dataset *ds, size_t n) {
    ds->in = nnq_calloc(n, sizeof *ds->in);
    if (!ds->in) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "dataset: out of memory");
    ds->n_in = n;
    return NNQ_STATUS_OK;
}

static nnq_status set_name(ds_input *in, const char *name) {
    in->name = io_strdup(name);
    return in->name ? NNQ_STATUS_OK : nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "dataset: out of memory");
}

/* An input streamed from a .npy image whose stream is set up in in->s. */
static nnq_status npy_input(ds_input *in) {
    nnq_npy_info info;
    in->s_live = true;
    NNQ_TRY(npy_read_header(&in->s, &info));
    uint64_t end = in->s.limit != UINT64_MAX ? in->s.limit : in->s.len;
    NNQ_TRY(npy_check_data_size(&in->s, &info, end - in->s.pos));
    if (info.ndim == 0)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "dataset: '%s' holds a scalar; samples need a leading batch dimension",
                         in->s.name);
    if (info.fortran_order && info.ndim > 1 && info.numel > 1)
        return nnq_error(NNQ_STATUS_UNSUPPORTED,
                         "dataset: '%s' is stored in Fortran order, which cannot be streamed by "
                         "sample; save it with numpy.ascontiguousarray",
                         in->s.name);
    in->dtype = info.dtype;
    in->big_endian = info.big_endian;
    in->rows = (uint64_t)info.dims[0];
    in->data_off = info.data_offset;
    in->ndim = info.ndim;
    memcpy(in->dims, info.dims, sizeof in->dims);
    size_t per = 1;
    for (int k = 1; k < info.ndim; k++) per *= (size_t)info.dims[k]; /* <= numel or 0 rows */
    if (in->rows == 0 && !nnq_size_product(info.dims + 1, (size_t)info.ndim - 1, &per))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "dataset: '%s': sample shape overflows",
                         in->s.name);
    if (!nnq_size_mul(per, nnq_dtype_bits(info.dtype) / 8, &in->sample_bytes))
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "dataset: '%s': sample size overflows",
                         in->s.name);
    return NNQ_STATUS_OK;
}

static nnq_status open_npy(nnq_dataset *ds) {
    NNQ_TRY(add_inputs(ds, 1));
    ds_input *in = &ds->in[0];
    NNQ_TRY(set_name(in, ds->opt.input_name ? ds->opt.input_name : "input"));
    NNQ_TRY(io_stream_init(&in->s, &ds->src, NULL, 0, ds->src.size, IO_CODEC_NONE, UINT64_MAX));
    return npy_input(in);
}

static nnq_status open_npz(nnq_dataset *ds, const char *path) {
    NNQ_TRY(nnq_npz_open(path, NULL, &ds->npz));
    size_t n = nnq_npz_count(ds->npz);
    if (n == 0) return nnq_error(NNQ_STATUS_EMPTY, "dataset: '%s' has no members", path);
    NNQ_TRY(add_inputs(ds, n));
    for (size_t i = 0; i < n; i++) {
        ds_input *in = &ds->in[i];
        const char *key = nnq_npz_name(ds->npz, i);
        NNQ_TRY(set_name(in, key));
        NNQ_TRY(npz_member_stream(ds->npz, key, &in->s));
        NNQ_TRY(npy_input(in));
    }
    return NNQ_STATUS_OK;
}

static nnq_status open_idx(nnq_dataset *ds, const char *path) {
    NNQ_TRY(nnq_idx_open(path, &ds->idx));
    const nnq_idx_info *x = nnq_idx_get_info(ds->idx);
    NNQ_TRY(add_inputs(ds, 1));
    ds_input *in = &ds->in[0];
    NNQ_TRY(set_name(in, ds->opt.input_name ? ds->opt.input_name : "input"));
    in->dtype = x->dtype;
    in->rows = x->items;
    in->sample_bytes = x->item_bytes;
    in->ndim = x->ndim;
    memcpy(in->dims, x->dims, sizeof in->dims);
    return NNQ_STATUS_OK;
}

static nnq_status open_labels(nnq_dataset *ds, const char *path) {
    if (!ds->idx)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "dataset: labels_path '%s' applies only to IDX image files", path);
    NNQ_TRY(nnq_idx_open(path, &ds->labels));
    const nnq_idx_info *l = nnq_idx_get_info(ds->labels);
    if (l->ndim != 1)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "dataset: labels '%s' have %d dimensions, not 1", path, l->ndim);
    if (l->dtype == NNQ_DTYPE_FLOAT32 || l->dtype == NNQ_DTYPE_FLOAT64)
        return nnq_error(NNQ_STATUS_DTYPE_MISMATCH, "dataset: labels '%s' are %s, not integers",
                         path, nnq_dtype_name(l->dtype));
    if (l->items != ds->in[0].rows)
        return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                         "dataset: labels '%s' have %llu items, the images %llu", path,
                         (unsigned long long)l->items, (unsigned long long)ds->in[0].rows);
    return NNQ_STATUS_OK;
}

static nnq_status open_format(nnq_dataset *ds, const char *path) {
    unsigned char m[6] = {0};
    NNQ_TRY(io_src_open_file(&ds->src, path));
    if (ds->src.size >= sizeof m) NNQ_TRY(io_src_pread(&ds->src, 0, m, sizeof m, "the magic"));
    if (memcmp(m, "\x93NUMPY", 6) == 0) return open_npy(ds);
    io_src_close(&ds->src);
    if (memcmp(m, "PK\x03\x04", 4) == 0 || memcmp(m, "PK\x05\x06", 4) == 0)
        return open_npz(ds, path);
    bool idx = (m[0] == 0 && m[1] == 0) || (m[0] == 0x1f && m[1] == 0x8b);
    if (!idx)
        return nnq_error(
            NNQ_STATUS_INVALID_FORMAT,
            "dataset: '%s' is not a .npy, .npz or IDX file (starts %02x %02x %02x %02x)", path,
            m[0], m[1], m[2], m[3]);
    return open_idx(ds, path);
}

/* Sample counts agree, the range is set and one batch is allocated. */
static nnq_status plan_batches(nnq_dataset *ds, const char *path) {
    uint64_t rows = ds->in[0].rows;
    for (size_t i = 1; i < ds->n_in; i++)
        if (ds->in[i].rows != rows)
            return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                             "dataset: '%s': input '%s' has %llu samples, input '%s' %llu", path,
                             ds->in[i].name, (unsigned long long)ds->in[i].rows, ds->in[0].name,
                             (unsigned long long)rows);
    if (ds->opt.start > rows)
        return nnq_error(NNQ_STATUS_OUT_OF_RANGE,
                         "dataset: '%s': start %llu is past its %llu samples", path,
                         (unsigned long long)ds->opt.start, (unsigned long long)rows);
    ds->first = ds->opt.start;
    ds->count = rows - ds->first;
    if (ds->opt.max_samples && ds->opt.max_samples < ds->count) ds->count = ds->opt.max_samples;
    ds->batch_cap = ds->count < ds->opt.batch_size ? (size_t)ds->count : ds->opt.batch_size;
    if (ds->batch_cap == 0) return NNQ_STATUS_OK;
    for (size_t i = 0; i < ds->n_in; i++) {
        ds_input *in = &ds->in[i];
        int64_t dims[NNQ_MAX_DIMS];
        memcpy(dims, in->dims, sizeof dims);
        dims[0] = (int64_t)ds->batch_cap;
        bool convert = ds->opt.to_float32;
        NNQ_TRY(
            nnq_tensor_create(convert ? NNQ_DTYPE_FLOAT32 : in->dtype, in->ndim, dims, &in->batch));
        if (convert && in->dtype != NNQ_DTYPE_FLOAT32) {
            in->raw = nnq_malloc(ds->batch_cap * in->sample_bytes); /* < batch nbytes */
            if (!in->raw) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "dataset: out of memory");
        }
    }
    if (ds->labels) {
        int64_t d = (int64_t)ds->batch_cap;
        NNQ_TRY(nnq_tensor_create(NNQ_DTYPE_INT64, 1, &d, &ds->label_batch));
        ds->label_raw = nnq_malloc(ds->batch_cap * nnq_idx_get_info(ds->labels)->item_bytes);
        if (!ds->label_raw) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "dataset: out of memory");
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_dataset_open(const char *path, const nnq_dataset_options *opts, nnq_dataset **out) {
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "dataset_open: out is NULL");
    *out = NULL;
    if (!path) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "dataset_open: path is NULL");
    nnq_dataset *ds = nnq_calloc(1, sizeof *ds);
    if (!ds) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "dataset_open: out of memory");
    ds->src.fd = -1;
    if (opts) {
        ds->opt = *opts;
    } else {
        nnq_dataset_options_init(&ds->opt);
    }
    /* Borrowed strings are used only while opening. */
    nnq_status st = check_options(&ds->opt);
    if (!st) st = open_format(ds, path);
    if (!st && ds->opt.labels_path) st = open_labels(ds, ds->opt.labels_path);
    if (!st) st = plan_batches(ds, path);
    ds->opt.labels_path = NULL;
    ds->opt.input_name = NULL;
    if (st) {
        nnq_dataset_close(ds);
        return st;
    }
    *out = ds;
    return NNQ_STATUS_OK;
}

uint64_t nnq_dataset_num_samples(const nnq_dataset *ds) { return ds ? ds->count : 0; }
size_t nnq_dataset_num_inputs(const nnq_dataset *ds) { return ds ? ds->n_in : 0; }

const char *nnq_dataset_input_name(const nnq_dataset *ds, size_t i) {
    return ds && i < ds->n_in ? ds->in[i].name : NULL;
}

const nnq_tensor *nnq_dataset_input(const nnq_dataset *ds, size_t i) {
    return ds && ds->cur && i < ds->n_in ? ds->in[i].batch : NULL;
}

const nnq_tensor *nnq_dataset_labels(const nnq_dataset *ds) {
    return ds && ds->cur ? ds->label_batch : NULL;
}

nnq_status nnq_dataset_rewind(nnq_dataset *ds) {
    if (!ds) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "dataset_rewind: dataset is NULL");
    ds->next = 0;
    ds->cur = 0;
    return NNQ_STATUS_OK;
}

/* The batch tensors keep their allocation; only the leading dim changes. */
static void set_rows(nnq_tensor *t, size_t n) {
    size_t per = t->dims[0] ? t->numel / (size_t)t->dims[0] : 0;
    t->numel = per * n;
    t->nbytes = t->numel * (nnq_dtype_bits(t->dtype) / 8);
    t->dims[0] = (int64_t)n;
}

/* n samples from absolute row `row` into the input's batch tensor. */
static nnq_status read_input(nnq_dataset *ds, ds_input *in, uint64_t row, size_t n) {
    size_t bytes = n * in->sample_bytes;
    unsigned char *dst = in->raw ? in->raw : in->batch->data;
    if (ds->idx) {
        NNQ_TRY(nnq_idx_read_into(ds->idx, row, n, dst, bytes));
    } else {
        NNQ_TRY(io_stream_seek(&in->s, in->data_off + row * in->sample_bytes));
        NNQ_TRY(io_stream_read_exact(&in->s, dst, bytes, "samples"));
        /* Reaching the end of a member checks its CRC and length. */
        if (row + n == in->rows) NNQ_TRY(io_stream_finish(&in->s));
        size_t es = nnq_dtype_bits(in->dtype) / 8;
        if (in->big_endian) io_byteswap(dst, bytes / es, es);
    }
    if (ds->opt.to_float32) {
        size_t cnt = bytes / (nnq_dtype_bits(in->dtype) / 8);
        float *f = in->batch->data;
        if (in->raw) io_to_float32(in->raw, in->dtype, cnt, f);
        const float scale = ds->opt.scale, mean = ds->opt.mean, std = ds->opt.std;
        for (size_t k = 0; k < cnt; k++) f[k] = (f[k] * scale - mean) / std;
    }
    return NNQ_STATUS_OK;
}

static nnq_status read_labels(nnq_dataset *ds, uint64_t row, size_t n) {
    const nnq_idx_info *l = nnq_idx_get_info(ds->labels);
    NNQ_TRY(nnq_idx_read_into(ds->labels, row, n, ds->label_raw, n * l->item_bytes));
    int64_t *y = ds->label_batch->data;
    for (size_t k = 0; k < n; k++) {
        const unsigned char *p = ds->label_raw + k * l->item_bytes;
        switch (l->dtype) {
        case NNQ_DTYPE_UINT8: y[k] = p[0]; break;
        case NNQ_DTYPE_INT8: y[k] = (int8_t)p[0]; break;
        case NNQ_DTYPE_INT16: {
            int16_t v;
            memcpy(&v, p, sizeof v);
            y[k] = v;
            break;
        }
        default: {
            int32_t v;
            memcpy(&v, p, sizeof v);
            y[k] = v;
            break;
        }
        }
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_dataset_next(nnq_dataset *ds, size_t *count) {
    if (!ds || !count)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "dataset_next: dataset or count is NULL");
    *count = 0;
    ds->cur = 0;
    if (ds->next >= ds->count) return NNQ_STATUS_OK;
    uint64_t left = ds->count - ds->next;
    size_t n = left < ds->batch_cap ? (size_t)left : ds->batch_cap;
    uint64_t row = ds->first + ds->next;
    for (size_t i = 0; i < ds->n_in; i++) {
        ds_input *in = &ds->in[i];
        set_rows(in->batch, ds->batch_cap);
        NNQ_TRY(read_input(ds, in, row, n));
        set_rows(in->batch, n);
    }
    if (ds->labels) {
        set_rows(ds->label_batch, ds->batch_cap);
        NNQ_TRY(read_labels(ds, row, n));
        set_rows(ds->label_batch, n);
    }
    ds->next += n;
    ds->cur = n;
    *count = n;
    return NNQ_STATUS_OK;
}
