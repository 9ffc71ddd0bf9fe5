/* fuzz_onnx.c - libFuzzer target for the ONNX reader and writer.
 *
 * Any input must load or fail cleanly (never crash, leak or read out of
 * bounds); whatever loads must save, the saved bytes must load again, and
 * saving that must reproduce them exactly (the writer is deterministic and
 * loses nothing it wrote).  The passes run on each loaded graph too.
 *
 *   CC=clang cmake -B build-fuzz -DNNQ_BUILD_FUZZ=ON -DNNQ_SANITIZE=ON
 *   cmake --build build-fuzz --target fuzz_onnx
 *   build-fuzz/fuzz/fuzz_onnx -max_total_time=180 fuzz/corpus/onnx
 */
#include <stdlib.h>
#include <string.h>

#include "nnq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* No base directory: external data references must be refused. */
    nnq_graph_load_options opt = {.max_nodes = 4096};
    nnq_graph *g = NULL;
    if (nnq_graph_load_memory(data, size, &opt, &g) != NNQ_STATUS_OK) {
        if (g || nnq_last_error()[0] == '\0') abort();
        return 0;
    }
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (nnq_graph_save_memory(g, &a, &na) != NNQ_STATUS_OK) abort();
    nnq_graph *g2 = NULL;
    if (nnq_graph_load_memory(a, na, &opt, &g2) != NNQ_STATUS_OK) abort();
    if (nnq_graph_save_memory(g2, &b, &nb) != NNQ_STATUS_OK) abort();
    if (na != nb || memcmp(a, b, na) != 0) abort();
    size_t n;
    (void)nnq_graph_fold_batchnorm(g2, &n);
    (void)nnq_graph_remove_dead(g2, &n);
    (void)nnq_graph_toposort(g2);
    nnq_graph_summary *s = NULL;
    if (nnq_graph_summarize(g2, &s) == NNQ_STATUS_OK) nnq_graph_summary_free(s);
    nnq_free(a);
    nnq_free(b);
    nnq_graph_free(g);
    nnq_graph_free(g2);
    return 0;
}
