/*
 * fuzz_npy.c - .npy reader on arbitrary bytes: never crashes, and whatever
 * it accepts survives a write / read round trip bit for bit.
 *   build-fuzz/fuzz/fuzz_npy -max_total_time=120 fuzz/corpus/npy
 */
#include <string.h>

#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nnq_npy_info info;
    (void)nnq_npy_parse_header(data, size, "fuzz.npy", &info);
    nnq_tensor *t = NULL;
    if (nnq_npy_read_memory(data, size, "fuzz.npy", &t) != NNQ_STATUS_OK) return 0;
    size_t numel;
    if (!nnq_size_product(t->dims, (size_t)t->ndim, &numel) || numel != t->numel) __builtin_trap();
    unsigned char hdr[NPY_HEADER_CAP];
    size_t hlen;
    if (npy_encode_header(t, "fuzz", hdr, sizeof hdr, &hlen) != NNQ_STATUS_OK) __builtin_trap();
    unsigned char *img = nnq_malloc(hlen + t->nbytes);
    if (img) {
        memcpy(img, hdr, hlen);
        if (t->nbytes) memcpy(img + hlen, t->data, t->nbytes);
        nnq_tensor *u = NULL;
        if (nnq_npy_read_memory(img, hlen + t->nbytes, "again.npy", &u) != NNQ_STATUS_OK ||
            u->dtype != t->dtype || u->ndim != t->ndim || u->nbytes != t->nbytes ||
            (t->nbytes && memcmp(u->data, t->data, t->nbytes) != 0))
            __builtin_trap();
        nnq_tensor_free(u);
        nnq_free(img);
    }
    nnq_tensor_free(t);
    return 0;
}
