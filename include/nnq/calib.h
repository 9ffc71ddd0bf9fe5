/*
 * nnq/calib.h - public API of the calib layer.  Include <nnq.h>.
 */
#ifndef NNQ_CALIB_H
#define NNQ_CALIB_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* NNQ_CALIB_H */
