/*
 * nnq.h - the public API of libnnq, the neural-network quantization toolkit.
 *
 * This is the only header users include.  It is split by layer into
 * include/nnq/<layer>.h for readability; each part documents its ownership
 * and error rules.  Names: nnq_<object>_<action>, constants NNQ_<ENUM>_<NAME>.
 */
#ifndef NNQ_H
#define NNQ_H

#include "nnq/common.h"
#include "nnq/io.h"
#include "nnq/quant.h"
#include "nnq/calib.h"
#include "nnq/graph.h"
#include "nnq/exec.h"
#include "nnq/compress.h"
#include "nnq/pipeline.h"

#endif /* NNQ_H */
