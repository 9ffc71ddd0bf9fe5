/*
 * nnq/io.h - data files in and out: NumPy .npy / .npz, IDX (MNIST) and a
 * batched dataset reader over them.  Include <nnq.h>.
 *
 * Every reader treats its input as hostile: headers are parsed strictly,
 * sizes are checked against the file with overflow-safe arithmetic, and a
 * bad file fails with a status and a message naming the file and the
 * problem (never a crash).  Status codes used:
 *   NNQ_STATUS_NOT_FOUND        the file (or .npz member) does not exist
 *   NNQ_STATUS_IO_ERROR         a read failed
 *   NNQ_STATUS_INVALID_FORMAT   bad magic, malformed header, truncated data,
 *                               trailing bytes, CRC mismatch, corrupt deflate
 *   NNQ_STATUS_UNSUPPORTED      valid but not handled (object arrays, complex,
 *                               encrypted zip members, rank > NNQ_MAX_DIMS, ...)
 *   NNQ_STATUS_LIMIT_EXCEEDED   a safety limit (header size, zip bomb limits)
 *   NNQ_STATUS_SIZE_OVERFLOW    shape x element size overflows
 * See docs/data-files.md for the formats and limits.
 */
#ifndef NNQ_IO_H
#define NNQ_IO_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* NumPy .npy                                                                */
/* ------------------------------------------------------------------------ */

/* Largest .npy header accepted (bytes of the dict literal and padding). */
#define NNQ_NPY_MAX_HEADER 65536

/* What a .npy header says, as parsed (before any conversion). */
typedef struct nnq_npy_info {
    nnq_dtype dtype; /* element type; the stored byte order is below */
    int ndim;        /* 0 for a scalar array */
    int64_t dims[NNQ_MAX_DIMS];
    size_t numel;
    size_t data_size;   /* numel * element size */
    size_t data_offset; /* bytes before the data (magic + header) */
    bool fortran_order; /* data stored column-major */
    bool big_endian;    /* multi-byte elements stored big-endian */
    int version;        /* 1, 2 or 3 (major format version) */
} nnq_npy_info;

/**
 * Read a .npy file into a new row-major, native-endian tensor.
 * Accepted dtypes: <f4 <f8 <f2 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 |b1 and their
 * big-endian forms (byte-swapped on load); fortran_order arrays are
 * transposed into row-major order.  Object (pickle), structured, string,
 * complex and datetime arrays fail with NNQ_STATUS_UNSUPPORTED.
 * @param path  file to read.
 * @param out   receives the tensor (caller frees with nnq_tensor_free).
 */
NNQ_API nnq_status nnq_npy_read(const char *path, nnq_tensor **out);

/**
 * Same as nnq_npy_read on `size` bytes at `data`; `name` (may be NULL) names
 * the buffer in messages.  The buffer is not retained.
 */
NNQ_API nnq_status nnq_npy_read_memory(const void *data, size_t size, const char *name,
                                       nnq_tensor **out);

/**
 * Parse only the header of a .npy image in memory (at least the header
 * bytes must be present; the data size is not checked).
 */
NNQ_API nnq_status nnq_npy_parse_header(const void *data, size_t size, const char *name,
                                        nnq_npy_info *info);

/**
 * Write `t` as a version 1.0 .npy file exactly as numpy.save writes it
 * (little-endian, C order, header padded to 64 bytes), atomically.
 * Fails with NNQ_STATUS_UNSUPPORTED for element types NumPy has no dtype
 * for (bfloat16, 4-bit, float8, string, complex).
 * @param inputs, n_inputs  files the output must not overwrite
 *                          (NNQ_STATUS_SAME_FILE); may be NULL, 0.
 */
NNQ_API nnq_status nnq_npy_write(const char *path, const nnq_tensor *t, const char *const *inputs,
                                 size_t n_inputs);

/* ------------------------------------------------------------------------ */
/* NumPy .npz (zip archive of .npy members)                                  */
/* ------------------------------------------------------------------------ */

/*
 * Limits against hostile archives.  A zero member means the default, given
 * in brackets.  Sizes are uncompressed bytes as declared by the central
 * directory; inflating past a declared size is an error.
 */
typedef struct nnq_npz_limits {
    uint64_t max_members;     /* [65536] */
    uint64_t max_member_size; /* [16 GiB] */
    uint64_t max_total_size;  /* [64 GiB] */
    uint64_t max_ratio;       /* [1100] uncompressed / compressed, checked for
                                 members over 1 MiB; deflate cannot exceed
                                 1032:1, so honest files always pass */
} nnq_npz_limits;

typedef struct nnq_npz nnq_npz;

/**
 * Open an .npz archive: reads and validates the central directory and every
 * local header (stored or deflated members, ZIP64 records, no encryption,
 * no overlapping members, no duplicate names), applying `limits` (NULL:
 * defaults).  Member data is read (and CRC-checked) on demand.
 * Member names are keys only, never paths.
 * @param out  receives the archive; free with nnq_npz_close.
 */
NNQ_API nnq_status nnq_npz_open(const char *path, const nnq_npz_limits *limits, nnq_npz **out);
/** Same on an archive in memory; the buffer must outlive the archive. */
NNQ_API nnq_status nnq_npz_open_memory(const void *data, size_t size, const char *name,
                                       const nnq_npz_limits *limits, nnq_npz **out);
/** Close an archive.  NULL is fine. */
NNQ_API void nnq_npz_close(nnq_npz *npz);
/** Number of members. */
NNQ_API size_t nnq_npz_count(const nnq_npz *npz);
/**
 * Key of member i in archive order: its name without a trailing ".npy"
 * (as numpy's NpzFile.files), or NULL when i is out of range.  Owned by the
 * archive.
 */
NNQ_API const char *nnq_npz_name(const nnq_npz *npz, size_t i);
/**
 * Header of the member named `name` ("x" or "x.npy").
 * NNQ_STATUS_NOT_FOUND when no member has that name.
 */
NNQ_API nnq_status nnq_npz_member_info(nnq_npz *npz, const char *name, nnq_npy_info *info);
/** Read the member named `name` ("x" or "x.npy") as nnq_npy_read does. */
NNQ_API nnq_status nnq_npz_read(nnq_npz *npz, const char *name, nnq_tensor **out);

typedef struct nnq_npz_writer nnq_npz_writer;

enum {
    NNQ_NPZ_STORED = 0,  /* members stored uncompressed (numpy.savez) */
    NNQ_NPZ_DEFLATE = 1, /* members deflated (numpy.savez_compressed) */
};

/**
 * Start writing an .npz archive atomically at `path` (see nnq_outfile).
 * Output bytes depend only on the members added (fixed 1980-01-01
 * timestamps).  Members over 4 GiB - 1 bytes are not supported (no ZIP64
 * output).
 * @param mode  NNQ_NPZ_STORED or NNQ_NPZ_DEFLATE.
 * @param inputs, n_inputs  files the output must not overwrite.
 * @param out   receives the writer; finish with nnq_npz_writer_commit or
 *              nnq_npz_writer_abort.
 */
NNQ_API nnq_status nnq_npz_writer_create(const char *path, int mode, const char *const *inputs,
                                         size_t n_inputs, nnq_npz_writer **out);
/**
 * Append `t` as member "<name>.npy".  Names must be non-empty, unique and
 * without NUL; any other bytes ('/', "..") are kept verbatim as a key.
 * A failure leaves the writer failed: only abort is meaningful afterwards.
 */
NNQ_API nnq_status nnq_npz_writer_add(nnq_npz_writer *w, const char *name, const nnq_tensor *t);
/** Write the central directory, commit the file and free w (even on failure). */
NNQ_API nnq_status nnq_npz_writer_commit(nnq_npz_writer *w);
/** Discard the output and free w.  NULL is fine. */
NNQ_API void nnq_npz_writer_abort(nnq_npz_writer *w);

/* ------------------------------------------------------------------------ */
/* IDX (MNIST, Fashion-MNIST)                                                */
/* ------------------------------------------------------------------------ */

typedef struct nnq_idx nnq_idx;

typedef struct nnq_idx_info {
    nnq_dtype dtype; /* uint8, int8, int16, int32, float32 or float64 */
    int ndim;        /* >= 1; dims[0] is the number of items */
    int64_t dims[NNQ_MAX_DIMS];
    uint64_t items;    /* dims[0] */
    size_t item_bytes; /* bytes of one item (product of dims[1:] x size) */
    bool gzipped;
} nnq_idx_info;

/**
 * Open an IDX file, plain or gzip-compressed (detected by magic).  Checks the
 * header and that the size implied by the dims matches the file (for gzip:
 * the gzip trailer's length, modulo 2^32; concatenated gzip members are not
 * supported).  Items are read on demand.
 * @param out  receives the handle; free with nnq_idx_close.
 */
NNQ_API nnq_status nnq_idx_open(const char *path, nnq_idx **out);
/** Same on a file image in memory; the buffer must outlive the handle. */
NNQ_API nnq_status nnq_idx_open_memory(const void *data, size_t size, const char *name,
                                       nnq_idx **out);
NNQ_API void nnq_idx_close(nnq_idx *idx);
NNQ_API const nnq_idx_info *nnq_idx_get_info(const nnq_idx *idx);
/**
 * Read items [start, start + count) into a new native-endian tensor of shape
 * [count, dims[1:]...].  Reading forward from the last position streams; a
 * range before it restarts from the beginning (gzip) or seeks (plain).
 * NNQ_STATUS_OUT_OF_RANGE when the range passes the item count.
 */
NNQ_API nnq_status nnq_idx_read(nnq_idx *idx, uint64_t start, uint64_t count, nnq_tensor **out);
/** Same into caller memory of `size` >= count * item_bytes bytes. */
NNQ_API nnq_status nnq_idx_read_into(nnq_idx *idx, uint64_t start, uint64_t count, void *dst,
                                     size_t size);

/* ------------------------------------------------------------------------ */
/* Dataset: batches of named inputs                                          */
/* ------------------------------------------------------------------------ */

typedef struct nnq_dataset nnq_dataset;

typedef struct nnq_dataset_options {
    size_t batch_size;    /* samples per batch (last batch may be shorter); >= 1 */
    uint64_t start;       /* samples to skip first */
    uint64_t max_samples; /* 0: all remaining samples */
    bool to_float32;      /* convert every input to float32 ... */
    float scale;          /* ... and map x to (x * scale - mean) / std */
    float mean;
    float std;
    const char *labels_path; /* IDX labels for an IDX image file, or NULL */
    const char *input_name;  /* name of the single input of a .npy / IDX file
                                (NULL: "input") */
} nnq_dataset_options;

/** Defaults: batch_size 1, all samples, no conversion, scale 1, mean 0, std 1. */
NNQ_API void nnq_dataset_options_init(nnq_dataset_options *opts);

/**
 * Open a dataset.  The format is detected from the file's first bytes:
 *   .npy   one input, dim 0 is the sample axis;
 *   .npz   one input per member (named by its key), all sharing dim 0;
 *   IDX    (plain or gzip) one input, optionally with IDX labels
 *          (opts->labels_path), delivered as int64 [n].
 * Data streams from the file: memory stays bounded by one batch.
 * Fortran-order arrays fail with NNQ_STATUS_UNSUPPORTED (they do not stream).
 * @param opts  NULL: defaults.  Strings are copied.
 * @param out   receives the dataset; free with nnq_dataset_close.
 */
NNQ_API nnq_status nnq_dataset_open(const char *path, const nnq_dataset_options *opts,
                                    nnq_dataset **out);
NNQ_API void nnq_dataset_close(nnq_dataset *ds);
/** Samples the dataset yields in total (after start and max_samples). */
NNQ_API uint64_t nnq_dataset_num_samples(const nnq_dataset *ds);
NNQ_API size_t nnq_dataset_num_inputs(const nnq_dataset *ds);
/** Name of input i (owned by the dataset), NULL when out of range. */
NNQ_API const char *nnq_dataset_input_name(const nnq_dataset *ds, size_t i);
/**
 * Load the next batch.  *count receives its number of samples, 0 once the
 * data is exhausted (then the batch tensors are not valid).
 */
NNQ_API nnq_status nnq_dataset_next(nnq_dataset *ds, size_t *count);
/**
 * Input i of the current batch (dims[0] == count), owned by the dataset and
 * overwritten by the next call to nnq_dataset_next; NULL if out of range or
 * no batch is loaded.
 */
NNQ_API const nnq_tensor *nnq_dataset_input(const nnq_dataset *ds, size_t i);
/** Labels of the current batch (int64 [count]) or NULL when there are none. */
NNQ_API const nnq_tensor *nnq_dataset_labels(const nnq_dataset *ds);
/** Go back to the first sample. */
NNQ_API nnq_status nnq_dataset_rewind(nnq_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif /* NNQ_IO_H */
