/* onnx_save.h - test hooks of the ONNX writer. */
#ifndef NNQ_GRAPH_ONNX_SAVE_H
#define NNQ_GRAPH_ONNX_SAVE_H

#include "internal.h"

/* Largest serialized model accepted (protobuf's 2 GiB).  Tests lower it to
 * exercise the automatic switch to external data without 2 GiB files. */
NNQ_INTERNAL extern uint64_t nnq_onnx_proto_limit;

#endif
