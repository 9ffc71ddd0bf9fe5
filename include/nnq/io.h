/*
 * nnq/io.h - public API of the io layer.  Include <nnq.h>.
 */
#ifndef NNQ_IO_H
#define NNQ_IO_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* NNQ_IO_H */
