/*
 * nnq/graph.h - public API of the graph layer.  Include <nnq.h>.
 */
#ifndef NNQ_GRAPH_H
#define NNQ_GRAPH_H

#include "nnq/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* NNQ_GRAPH_H */
