/*
 * nnq/quant.h - public API of the quant layer.  Include <nnq.h>.
 */
#ifndef NNQ_QUANT_H
#define NNQ_QUANT_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* NNQ_QUANT_H */
