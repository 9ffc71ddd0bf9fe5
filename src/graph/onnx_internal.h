/*
 * onnx_internal.h - shared pieces of the ONNX reader and writer (protobuf-c
 * glue, tensor conversion, confined external-data access).
 */
#ifndef NNQ_GRAPH_ONNX_INTERNAL_H
#define NNQ_GRAPH_ONNX_INTERNAL_H

#include "graph/ir.h"
#include "onnx/onnx.pb-c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "nnq's ONNX raw_data handling assumes a little-endian host"
#endif

/* Message nesting allowed in a file (ModelProto = 1; each subgraph level
 * adds 3: attribute, graph, node).  Bounds protobuf-c's recursion. */
#define NNQ_ONNX_MAX_DEPTH 64

/* protobuf-c allocations go through nnq's allocator. */
NNQ_INTERNAL extern ProtobufCAllocator nnq_pb_allocator;

/* State shared by everything one load touches. */
typedef struct nnq_load_ctx {
    const char *base_dir; /* NULL: external data refused */
    uint64_t max_external_bytes;
    uint64_t external_bytes; /* read so far */
    size_t max_nodes;
    size_t n_nodes; /* over all graphs so far */
    int dir_fd;     /* base_dir, opened on first use; -1 before */
    /* Most recently opened external file, reused by the next tensor. */
    char *cached_location;
    int cached_fd;
    uint64_t cached_size;
} nnq_load_ctx;

NNQ_INTERNAL void nnq_load_ctx_init(nnq_load_ctx *ctx, const char *base_dir, uint64_t max_external,
                                    size_t max_nodes);
NNQ_INTERNAL void nnq_load_ctx_close(nnq_load_ctx *ctx);

/*
 * Walk the wire format of a serialized message of type d before protobuf-c
 * sees it: truncation, wire types that do not match the schema, groups, and
 * nesting deeper than NNQ_ONNX_MAX_DEPTH each get a message with the byte
 * offset.
 */
NNQ_INTERNAL nnq_status nnq_pb_check_wire(const uint8_t *buf, size_t len,
                                          const ProtobufCMessageDescriptor *d);

/* Convert a TensorProto (any storage field, or external data) to a dense
 * tensor.  what names it in messages.  ext (may be NULL) receives the
 * external location / offset / length when the data was external. */
NNQ_INTERNAL nnq_status nnq_pb_to_tensor(nnq_load_ctx *ctx, const Onnx__TensorProto *tp,
                                         const char *what, nnq_tensor **out, nnq_initializer *ext);
/* Fill a TensorProto (initialized by the caller) with dims, type, name and
 * raw_data borrowed from t.  dims must have room for t->ndim entries. */
NNQ_INTERNAL void nnq_pb_from_tensor(const nnq_tensor *t, const char *name, int64_t *dims,
                                     Onnx__TensorProto *tp);

/* Read a whole regular file of at most max bytes into nnq_malloc memory. */
NNQ_INTERNAL nnq_status nnq_read_whole_file(const char *path, uint64_t max, uint8_t **data,
                                            size_t *size);
/* Directory part of path ("." when none); nnq_malloc'd. */
NNQ_INTERNAL char *nnq_path_dirname(const char *path);

/*
 * Read nbytes of tensor data for tensor `what` from `location` (relative to
 * ctx->base_dir) at offset.  length (has_length) must equal nbytes.  The path
 * is confined to the directory: absolute paths, ".." components, symlinks
 * and hard-linked files are refused with NNQ_STATUS_INVALID_ARGUMENT; a range
 * past the end of the file is NNQ_STATUS_INVALID_FORMAT.  dst NULL: only
 * check (so callers can validate before allocating nbytes).
 */
NNQ_INTERNAL nnq_status nnq_extdata_read(nnq_load_ctx *ctx, const char *what, const char *location,
                                         uint64_t offset, bool has_length, uint64_t length,
                                         void *dst, size_t nbytes);

#endif
