/*
 * nnq/compress.h - public API of the compress layer.  Include <nnq.h>.
 */
#ifndef NNQ_COMPRESS_H
#define NNQ_COMPRESS_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* NNQ_COMPRESS_H */
