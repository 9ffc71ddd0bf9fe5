/*
 * fuzz_npz.c - .npz (zip) reader on arbitrary bytes: open, list and read
 * every member under tight limits; never crashes, never over-allocates.
 *   build-fuzz/fuzz/fuzz_npz -max_total_time=120 fuzz/corpus/npz
 */
#include "nnq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const nnq_npz_limits lim = {64, 1u << 24, 1u << 26, 0};
    nnq_npz *z = NULL;
    if (nnq_npz_open_memory(data, size, "fuzz.npz", &lim, &z) != NNQ_STATUS_OK) return 0;
    for (size_t i = 0; i < nnq_npz_count(z); i++) {
        const char *name = nnq_npz_name(z, i);
        nnq_npy_info info;
        (void)nnq_npz_member_info(z, name, &info);
        nnq_tensor *t = NULL;
        if (nnq_npz_read(z, name, &t) == NNQ_STATUS_OK) nnq_tensor_free(t);
    }
    nnq_npz_close(z);
    return 0;
}
