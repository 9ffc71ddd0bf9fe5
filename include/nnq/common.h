/*
 * nnq/common.h - status codes, allocator, tensors, thread pool, CPU features,
 * RNG, progress reporting and atomic file output.
 *
 * Part of the public API; include <nnq.h> rather than this file.
 *
 * Ownership: every nnq_<object>_create has a matching nnq_<object>_free that
 * accepts NULL.  Every fallible call returns nnq_status; on failure a message
 * naming the object, the value and the rule is available from nnq_last_error()
 * on the calling thread until the next failing call on that thread.
 */
#ifndef NNQ_COMMON_H
#define NNQ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NNQ_API __attribute__((visibility("default")))
#define NNQ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NNQ_NODISCARD __attribute__((warn_unused_result))
#else
#define NNQ_API
#define NNQ_PRINTF(f, a)
#define NNQ_NODISCARD
#endif

#define NNQ_VERSION_MAJOR 0
#define NNQ_VERSION_MINOR 1
#define NNQ_VERSION_PATCH 0
#define NNQ_VERSION_STRING "0.1.0"

/** Library version string, e.g. "0.1.0". */
NNQ_API const char *nnq_version(void);

/* ------------------------------------------------------------------------ */
/* Status                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Status codes.  Values and names are stable: new codes are appended.
 * nnq_status_name() returns the enum constant's suffix in lower case
 * ("invalid_argument"), suitable for scripts.
 */
typedef enum nnq_status {
    NNQ_STATUS_OK = 0,
    NNQ_STATUS_INVALID_ARGUMENT = 1,  /* a parameter breaks a documented rule */
    NNQ_STATUS_OUT_OF_MEMORY = 2,     /* allocation failed */
    NNQ_STATUS_SIZE_OVERFLOW = 3,     /* a size computation overflowed */
    NNQ_STATUS_IO_ERROR = 4,          /* read / write / fsync / rename failed */
    NNQ_STATUS_NOT_FOUND = 5,         /* file, tensor, node, site not found */
    NNQ_STATUS_INVALID_FORMAT = 6,    /* malformed or truncated file content */
    NNQ_STATUS_UNSUPPORTED = 7,       /* valid but not supported by nnq */
    NNQ_STATUS_SHAPE_MISMATCH = 8,    /* tensor shapes / axes do not agree */
    NNQ_STATUS_DTYPE_MISMATCH = 9,    /* tensor element types do not agree */
    NNQ_STATUS_OUT_OF_RANGE = 10,     /* a value lies outside its valid range */
    NNQ_STATUS_INVALID_STATE = 11,    /* call made in the wrong order */
    NNQ_STATUS_SAME_FILE = 12,        /* output path names an input file */
    NNQ_STATUS_LIMIT_EXCEEDED = 13,   /* a safety limit (size, count) hit */
    NNQ_STATUS_INTERNAL = 14,         /* a bug in nnq: please report */
    NNQ_STATUS_NEGATIVE_AMAX = 15,    /* amax / range < 0 */
    NNQ_STATUS_NEGATIVE_UNSIGNED = 16,/* negative input to unsigned quantizer */
    NNQ_STATUS_BITS_OUT_OF_RANGE = 17,/* num_bits not supported */
    NNQ_STATUS_AXIS_OUT_OF_RANGE = 18,/* axis outside [-ndim, ndim) */
    NNQ_STATUS_BLOCK_MISMATCH = 19,   /* dim not a multiple of the block */
    NNQ_STATUS_EMPTY = 20,            /* zero-size input where data needed */
    NNQ_STATUS_UNKNOWN_NAME = 21,     /* unknown method / key / preset name */
    NNQ_STATUS_COUNT_                 /* number of codes; not a status */
} nnq_status;

/** Stable lower-case name of a status ("ok", "invalid_argument", ...). */
NNQ_API const char *nnq_status_name(nnq_status s);
/** Generic one-line description of a status code. */
NNQ_API const char *nnq_status_string(nnq_status s);
/**
 * Message of the most recent failure on this thread (never NULL; "" if none).
 * Valid until the next failing nnq call on the same thread.
 */
NNQ_API const char *nnq_last_error(void);
/** Forget the last error on this thread. */
NNQ_API void nnq_clear_error(void);

/* ------------------------------------------------------------------------ */
/* Allocator                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Caller-replaceable allocator.  aligned_alloc gets a power-of-two alignment
 * >= sizeof(void*) and a size that may not be a multiple of it; memory from
 * it is released with aligned_free.  Any member left NULL keeps the default.
 */
typedef struct nnq_allocator {
    void *(*malloc_fn)(void *ctx, size_t size);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t size);
    void (*free_fn)(void *ctx, void *ptr);
    void *(*aligned_alloc_fn)(void *ctx, size_t alignment, size_t size);
    void (*aligned_free_fn)(void *ctx, void *ptr);
    void *ctx;
} nnq_allocator;

/**
 * Install an allocator for all later allocations (NULL restores the
 * default).  Not thread-safe: call before any other nnq call, and never while
 * memory from the previous allocator is still alive.
 */
NNQ_API void nnq_set_allocator(const nnq_allocator *a);

/** Allocation helpers using the installed allocator.  free(NULL) is a no-op. */
NNQ_API void *nnq_malloc(size_t size);
NNQ_API void *nnq_calloc(size_t count, size_t size); /* overflow-checked */
NNQ_API void *nnq_realloc(void *ptr, size_t size);
NNQ_API void nnq_free(void *ptr);
NNQ_API void *nnq_aligned_alloc(size_t alignment, size_t size);
NNQ_API void nnq_aligned_free(void *ptr);

/* Overflow-checked size arithmetic: return false (and leave *out unchanged)
 * on overflow. */
static inline bool nnq_size_mul(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return false;
    *out = r;
    return true;
}
static inline bool nnq_size_add(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_add_overflow(a, b, &r)) return false;
    *out = r;
    return true;
}
/** Product of n signed dims; false on a negative dim or overflow. */
NNQ_API bool nnq_size_product(const int64_t *dims, size_t n, size_t *out);

/* ------------------------------------------------------------------------ */
/* Element types and tensors                                                 */
/* ------------------------------------------------------------------------ */

/* Element types.  Values equal ONNX TensorProto.DataType. */
typedef enum nnq_dtype {
    NNQ_DTYPE_UNDEFINED = 0,
    NNQ_DTYPE_FLOAT32 = 1,
    NNQ_DTYPE_UINT8 = 2,
    NNQ_DTYPE_INT8 = 3,
    NNQ_DTYPE_UINT16 = 4,
    NNQ_DTYPE_INT16 = 5,
    NNQ_DTYPE_INT32 = 6,
    NNQ_DTYPE_INT64 = 7,
    NNQ_DTYPE_STRING = 8,
    NNQ_DTYPE_BOOL = 9,
    NNQ_DTYPE_FLOAT16 = 10,
    NNQ_DTYPE_FLOAT64 = 11,
    NNQ_DTYPE_UINT32 = 12,
    NNQ_DTYPE_UINT64 = 13,
    NNQ_DTYPE_COMPLEX64 = 14,
    NNQ_DTYPE_COMPLEX128 = 15,
    NNQ_DTYPE_BFLOAT16 = 16,
    NNQ_DTYPE_FLOAT8E4M3FN = 17,
    NNQ_DTYPE_FLOAT8E4M3FNUZ = 18,
    NNQ_DTYPE_FLOAT8E5M2 = 19,
    NNQ_DTYPE_FLOAT8E5M2FNUZ = 20,
    NNQ_DTYPE_UINT4 = 21,
    NNQ_DTYPE_INT4 = 22,
    NNQ_DTYPE_FLOAT4E2M1 = 23,
    NNQ_DTYPE_COUNT_
} nnq_dtype;

/** ONNX-style name ("float32", "int4", "float8e4m3fn", ...) or "undefined". */
NNQ_API const char *nnq_dtype_name(nnq_dtype t);
/** Parse a dtype name; NNQ_STATUS_UNKNOWN_NAME if unknown. */
NNQ_API nnq_status nnq_dtype_from_name(const char *name, nnq_dtype *out);
/** Bits per element (4 for int4/uint4/float4, 0 for string/undefined). */
NNQ_API size_t nnq_dtype_bits(nnq_dtype t);
/** Bytes needed to store n elements (4-bit types packed two per byte,
 *  rounded up).  False on overflow or unsized type. */
NNQ_API bool nnq_dtype_storage_size(nnq_dtype t, size_t n, size_t *out);

#define NNQ_MAX_DIMS 8

/*
 * A dense, row-major tensor.  The struct is transparent so kernels can read
 * it; create it with nnq_tensor_create (owns its 64-byte aligned data) or
 * nnq_tensor_wrap (borrows the caller's data, which must outlive it).
 * Sub-byte types are packed (first element in the low nibble).
 */
typedef struct nnq_tensor {
    nnq_dtype dtype;
    int ndim;
    int64_t dims[NNQ_MAX_DIMS];
    size_t numel;
    size_t nbytes;
    void *data;
    bool owns_data;
} nnq_tensor;

/** Allocate a zero-filled tensor. */
NNQ_API nnq_status nnq_tensor_create(nnq_dtype dtype, int ndim, const int64_t *dims,
                                     nnq_tensor **out);
/** Wrap caller memory of nbytes bytes (checked against dtype and dims). */
NNQ_API nnq_status nnq_tensor_wrap(nnq_dtype dtype, int ndim, const int64_t *dims, void *data,
                                   size_t nbytes, nnq_tensor **out);
NNQ_API void nnq_tensor_free(nnq_tensor *t);
/** Format a shape as "[2, 3, 4]" into buf (always NUL-terminated). */
NNQ_API const char *nnq_shape_str(int ndim, const int64_t *dims, char *buf, size_t bufsize);

/* ------------------------------------------------------------------------ */
/* Thread pool                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Work is expressed as parallel loops over tiles.  A NULL pool runs every tile
 * serially on the caller.  The partition into tiles depends only on the range
 * and the tile size, never on the thread count, so a reduction that stores
 * one partial per tile and combines the partials in tile order is
 * bit-identical for any number of threads.
 */
typedef struct nnq_pool nnq_pool;

/* fn(ctx, start, count): process [start, start + count). */
typedef void (*nnq_task_1d_fn)(void *ctx, size_t start, size_t count);
/* fn(ctx, i, j, ni, nj): process the tile [i, i + ni) x [j, j + nj). */
typedef void (*nnq_task_2d_fn)(void *ctx, size_t i, size_t j, size_t ni, size_t nj);

/**
 * Create a pool running loops on `threads` threads in total (the caller
 * counts as one).  threads == 0 means: NNQ_NUM_THREADS from the environment
 * if set, else the number of online CPUs.
 */
NNQ_API nnq_status nnq_pool_create(size_t threads, nnq_pool **out);
NNQ_API void nnq_pool_free(nnq_pool *pool);
/** Threads a loop may use (1 for NULL). */
NNQ_API size_t nnq_pool_threads(const nnq_pool *pool);
/**
 * How long (microseconds, at most 1,000,000) idle threads spin for the
 * next loop, and the caller for a loop's end, before they sleep.  Spinning
 * saves ~10 us per hand-off on a chain of short loops at the cost of CPU
 * time.  Default 200 (0 when the pool has more threads than online CPUs),
 * or NNQ_POOL_SPIN_US from the environment at create.  Call while no loop
 * runs on the pool.  Returns NNQ_STATUS_OUT_OF_RANGE past the limit and
 * NNQ_STATUS_INVALID_ARGUMENT for a NULL pool.
 */
NNQ_API nnq_status nnq_pool_set_spin(nnq_pool *pool, uint32_t microseconds);
/** Default thread count: NNQ_NUM_THREADS if set and valid, else online CPUs. */
NNQ_API size_t nnq_default_threads(void);
/** Number of tiles of a 1-D loop: ceil(range / tile) (tile 0 treated as 1). */
static inline size_t nnq_tile_count(size_t range, size_t tile) {
    if (tile == 0) tile = 1;
    return range / tile + (range % tile != 0);
}
/** Run fn over [0, range) in tiles of `tile` elements (last may be short). */
NNQ_API void nnq_pool_parallelize_1d(nnq_pool *pool, nnq_task_1d_fn fn, void *ctx, size_t range,
                                     size_t tile);
/** Run fn over [0, range_i) x [0, range_j) in tile_i x tile_j tiles. */
NNQ_API void nnq_pool_parallelize_2d(nnq_pool *pool, nnq_task_2d_fn fn, void *ctx, size_t range_i,
                                     size_t range_j, size_t tile_i, size_t tile_j);

/* ------------------------------------------------------------------------ */
/* CPU features                                                              */
/* ------------------------------------------------------------------------ */

enum {
    NNQ_CPU_SSE41 = 1u << 0,
    NNQ_CPU_AVX2 = 1u << 1,
    NNQ_CPU_FMA = 1u << 2,
    NNQ_CPU_F16C = 1u << 3,
    NNQ_CPU_AVX512F = 1u << 4,
    NNQ_CPU_AVX512BW = 1u << 5,
    NNQ_CPU_AVX512VNNI = 1u << 6,
    NNQ_CPU_AVXVNNI = 1u << 7,
};

/** Features detected on this CPU (and usable by the OS), ignoring forcing. */
NNQ_API uint32_t nnq_cpu_detected(void);
/**
 * Features kernels may use: the detected set, or 0 when the scalar path is
 * forced (nnq_cpu_force_scalar(true), NNQ_FORCE_SCALAR=1 in the environment)
 * or the library was built reference-only.
 */
NNQ_API uint32_t nnq_cpu_features(void);
NNQ_API void nnq_cpu_force_scalar(bool force);
/** Space-separated feature names ("sse4.1 avx2 fma f16c"). */
NNQ_API const char *nnq_cpu_features_str(uint32_t features, char *buf, size_t bufsize);

/* ------------------------------------------------------------------------ */
/* Random numbers (PCG32, O'Neill 2014)                                      */
/* ------------------------------------------------------------------------ */

typedef struct nnq_rng {
    uint64_t state;
    uint64_t inc;
} nnq_rng;

/** Seed a generator; the same (seed, stream) always gives the same sequence. */
NNQ_API void nnq_rng_seed(nnq_rng *rng, uint64_t seed, uint64_t stream);
NNQ_API uint32_t nnq_rng_u32(nnq_rng *rng);
/** Uniform integer in [0, bound) without modulo bias; bound 0 returns 0. */
NNQ_API uint32_t nnq_rng_bounded(nnq_rng *rng, uint32_t bound);
/** Uniform float in [0, 1) with 24 random bits. */
NNQ_API float nnq_rng_uniform(nnq_rng *rng);
/** Standard normal deviate (Box-Muller on two uniforms, deterministic). */
NNQ_API float nnq_rng_normal(nnq_rng *rng);

/* ------------------------------------------------------------------------ */
/* Progress                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Long operations report progress through a callback; the library itself
 * never writes to a stream unless the caller installs the stderr reporter.
 * done <= total; total 0 means unknown.
 */
typedef void (*nnq_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

typedef struct nnq_progress nnq_progress;

/**
 * A reporter writing to `stream`: a redrawn bar when the stream is a
 * terminal, otherwise a plain line at most every `interval_ms` milliseconds
 * and at completion.  Pass nnq_progress_report as the callback with the
 * reporter as ctx.
 */
NNQ_API nnq_status nnq_progress_create(FILE *stream, unsigned interval_ms, nnq_progress **out);
NNQ_API void nnq_progress_free(nnq_progress *p);
/** Force terminal (1), plain (0) or auto-detected (-1) style. */
NNQ_API void nnq_progress_set_style(nnq_progress *p, int terminal);
NNQ_API void nnq_progress_report(void *progress, const char *what, uint64_t done, uint64_t total);

/* ------------------------------------------------------------------------ */
/* Atomic file output                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Output written to a temporary file next to the destination, then fsync,
 * rename over the destination and fsync of the directory.  Until commit
 * succeeds the destination is untouched; on any failure (or abort) the
 * temporary file is removed.
 */
typedef struct nnq_outfile nnq_outfile;

/**
 * Open `path` for atomic writing.  Fails with NNQ_STATUS_SAME_FILE when the
 * path (after following links) is one of the n_inputs `inputs` files.
 */
NNQ_API nnq_status nnq_outfile_open(const char *path, const char *const *inputs, size_t n_inputs,
                                    nnq_outfile **out);
NNQ_API nnq_status nnq_outfile_write(nnq_outfile *f, const void *data, size_t size);
NNQ_API nnq_status nnq_outfile_printf(nnq_outfile *f, const char *fmt, ...) NNQ_PRINTF(2, 3);
/** Flush, fsync, rename, fsync the directory, and free f (even on failure). */
NNQ_API nnq_status nnq_outfile_commit(nnq_outfile *f);
/** Drop the temporary file and free f.  NULL is fine. */
NNQ_API void nnq_outfile_abort(nnq_outfile *f);
/** Write a whole buffer atomically. */
NNQ_API nnq_status nnq_write_file_atomic(const char *path, const void *data, size_t size,
                                         const char *const *inputs, size_t n_inputs);
/** True when paths a and b name the same existing file (same device+inode). */
NNQ_API bool nnq_same_file(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif /* NNQ_COMMON_H */
