/*
 * nnq/exec.h - public API of the exec layer.  Include <nnq.h>.
 */
#ifndef NNQ_EXEC_H
#define NNQ_EXEC_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* NNQ_EXEC_H */
