/*
 * nnq/pipeline.h - public API of the pipeline layer.  Include <nnq.h>.
 */
#ifndef NNQ_PIPELINE_H
#define NNQ_PIPELINE_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* NNQ_PIPELINE_H */
