/*
 * fuzz_idx.c - IDX reader (plain or gzip) on arbitrary bytes: open, read a
 * few ranges forwards and backwards; never crashes.
 *   build-fuzz/fuzz/fuzz_idx -max_total_time=120 fuzz/corpus/idx
 */
#include "nnq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nnq_idx *x = NULL;
    if (nnq_idx_open_memory(data, size, "fuzz.idx", &x) != NNQ_STATUS_OK) return 0;
    const nnq_idx_info *in = nnq_idx_get_info(x);
    /* Claimed sizes can be huge: only read items that fit a small budget. */
    uint64_t n = in->items < 16 ? in->items : 16;
    if (in->item_bytes == 0 || n * in->item_bytes <= (1u << 20)) {
        nnq_tensor *t = NULL;
        if (nnq_idx_read(x, in->items - n, n, &t) == NNQ_STATUS_OK) nnq_tensor_free(t);
        if (n && nnq_idx_read(x, 0, 1, &t) == NNQ_STATUS_OK) nnq_tensor_free(t);
    }
    nnq_idx_close(x);
    return 0;
}
