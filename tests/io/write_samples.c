/*
 * write_samples.c - writes .npy / .npz files with nnq for numpy_reads_nnq.py,
 * which checks numpy loads them with the values stated there:
 *   <dir>/<dtype>.npy  element i = 3 * i (bool: i % 2), i in [0, 5)
 *   <dir>/x23.npy      float32 [2, 3], element i = 0.25 * i - 1
 *   <dir>/stored.npz, <dir>/deflated.npz: "x" = x23, "a/b" = int64 -i (i < 4),
 *                      "../c" = uint8 [0] (empty)
 * Usage: io_write_samples DIR
 */
#include <stdio.h>
#include <string.h>

#include "nnq.h"

static int check(nnq_status s, const char *what) {
    if (s) fprintf(stderr, "%s: %s: %s\n", what, nnq_status_name(s), nnq_last_error());
    return s != NNQ_STATUS_OK;
}

static void fill_int(nnq_tensor *t) {
    size_t es = nnq_dtype_bits(t->dtype) / 8;
    for (size_t i = 0; i < t->numel; i++) {
        uint64_t v = t->dtype == NNQ_DTYPE_BOOL ? i % 2 : 3 * i;
        memcpy((unsigned char *)t->data + i * es, &v, es); /* little-endian host */
    }
}

static int write_dtypes(const char *dir) {
    static const nnq_dtype types[] = {NNQ_DTYPE_INT8,    NNQ_DTYPE_UINT8,   NNQ_DTYPE_INT16,
                                      NNQ_DTYPE_UINT16,  NNQ_DTYPE_INT32,   NNQ_DTYPE_UINT32,
                                      NNQ_DTYPE_INT64,   NNQ_DTYPE_UINT64,  NNQ_DTYPE_BOOL,
                                      NNQ_DTYPE_FLOAT16, NNQ_DTYPE_FLOAT32, NNQ_DTYPE_FLOAT64};
    static const uint16_t half[5] = {0x0000, 0x4200, 0x4600, 0x4880, 0x4A00}; /* 0 3 6 9 12 */
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        int64_t n = 5;
        nnq_tensor *t;
        if (check(nnq_tensor_create(types[k], 1, &n, &t), "create")) return 1;
        if (types[k] == NNQ_DTYPE_FLOAT16)
            memcpy(t->data, half, sizeof half);
        else if (types[k] == NNQ_DTYPE_FLOAT32)
            for (int i = 0; i < 5; i++) ((float *)t->data)[i] = 3.0f * (float)i;
        else if (types[k] == NNQ_DTYPE_FLOAT64)
            for (int i = 0; i < 5; i++) ((double *)t->data)[i] = 3.0 * i;
        else
            fill_int(t);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.npy", dir, nnq_dtype_name(types[k]));
        int bad = check(nnq_npy_write(path, t, NULL, 0), path);
        nnq_tensor_free(t);
        if (bad) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    if (write_dtypes(dir)) return 1;
    int64_t d23[2] = {2, 3}, d4 = 4, d0 = 0;
    nnq_tensor *x, *ab, *c;
    if (check(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 2, d23, &x), "create") ||
        check(nnq_tensor_create(NNQ_DTYPE_INT64, 1, &d4, &ab), "create") ||
        check(nnq_tensor_create(NNQ_DTYPE_UINT8, 1, &d0, &c), "create"))
        return 1;
    for (int i = 0; i < 6; i++) ((float *)x->data)[i] = 0.25f * (float)i - 1.0f;
    for (int i = 0; i < 4; i++) ((int64_t *)ab->data)[i] = -i;
    char path[1024];
    snprintf(path, sizeof path, "%s/x23.npy", dir);
    if (check(nnq_npy_write(path, x, NULL, 0), path)) return 1;
    static const char *names[2] = {"stored.npz", "deflated.npz"};
    for (int mode = 0; mode < 2; mode++) {
        nnq_npz_writer *w;
        snprintf(path, sizeof path, "%s/%s", dir, names[mode]);
        if (check(nnq_npz_writer_create(path, mode, NULL, 0, &w), path) ||
            check(nnq_npz_writer_add(w, "x", x), "add x") ||
            check(nnq_npz_writer_add(w, "a/b", ab), "add a/b") ||
            check(nnq_npz_writer_add(w, "../c", c), "add ../c") ||
            check(nnq_npz_writer_commit(w), path))
            return 1;
    }
    nnq_tensor_free(x);
    nnq_tensor_free(ab);
    nnq_tensor_free(c);
    return 0;
}
