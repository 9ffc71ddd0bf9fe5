/* test_dataset.c - batched datasets over IDX, .npy and .npz files. */
#include <math.h>

#include "io_testutil.h"

static nnq_dataset_options opts_batch(size_t batch) {
    nnq_dataset_options o;
    nnq_dataset_options_init(&o);
    o.batch_size = batch;
    return o;
}

/* Golden pixels and labels: see test_idx.c for the Python commands. */
static void test_fashion_mnist_batches(void **state) {
    (void)state;
    if (!io_test_exists(FMNIST_DIR "train-images-idx3-ubyte.gz")) skip();
    nnq_dataset_options o = opts_batch(100);
    o.max_samples = 250;
    o.to_float32 = true;
    o.scale = 1.0f / 255.0f;
    o.mean = 0.5f;
    o.std = 0.5f;
    o.labels_path = FMNIST_DIR "train-labels-idx1-ubyte.gz";
    o.input_name = "images";
    nnq_dataset *ds;
    NNQ_ASSERT_OK(nnq_dataset_open(FMNIST_DIR "train-images-idx3-ubyte.gz", &o, &ds));
    assert_int_equal(nnq_dataset_num_samples(ds), 250);
    assert_int_equal(nnq_dataset_num_inputs(ds), 1);
    assert_string_equal(nnq_dataset_input_name(ds, 0), "images");
    assert_null(nnq_dataset_input(ds, 0)); /* no batch yet */
    static const size_t sizes[] = {100, 100, 50, 0};
    for (int pass = 0; pass < 2; pass++) {
        for (int b = 0; b < 4; b++) {
            size_t n;
            NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
            assert_int_equal(n, sizes[b]);
            if (!n) {
                assert_null(nnq_dataset_input(ds, 0));
                break;
            }
            const nnq_tensor *x = nnq_dataset_input(ds, 0), *y = nnq_dataset_labels(ds);
            assert_int_equal(x->dtype, NNQ_DTYPE_FLOAT32);
            assert_int_equal(x->ndim, 3);
            assert_int_equal(x->dims[0], (int64_t)n);
            assert_int_equal(x->numel, n * 784);
            assert_int_equal(y->dims[0], (int64_t)n);
            if (b == 0) {
                const float *f = x->data;
                /* pixel 237: (237/255 - 0.5) / 0.5 = 0.858823529...; 0 -> -1 */
                assert_true(fabsf(f[14 * 28 + 12] - 0.85882353f) < 1e-6f);
                assert_true(f[0] == -1.0f);
                assert_true(f[14 * 28 + 25] == 1.0f); /* pixel 255 */
                static const int64_t want[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
                assert_memory_equal(y->data, want, sizeof want);
            }
        }
        NNQ_ASSERT_OK(nnq_dataset_rewind(ds));
    }
    nnq_dataset_close(ds);

    /* start + limit, raw uint8: image 511 sums to 50351, label 1. */
    o = opts_batch(8);
    o.start = 511;
    o.max_samples = 1;
    o.labels_path = FMNIST_DIR "train-labels-idx1-ubyte.gz";
    NNQ_ASSERT_OK(nnq_dataset_open(FMNIST_DIR "train-images-idx3-ubyte.gz", &o, &ds));
    size_t n;
    NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
    assert_int_equal(n, 1);
    const nnq_tensor *x = nnq_dataset_input(ds, 0);
    assert_int_equal(x->dtype, NNQ_DTYPE_UINT8);
    long sum = 0;
    for (size_t i = 0; i < x->numel; i++) sum += ((const uint8_t *)x->data)[i];
    assert_int_equal(sum, 50351);
    assert_int_equal(((const int64_t *)nnq_dataset_labels(ds)->data)[0], 1);
    nnq_dataset_close(ds);

    o.labels_path = FMNIST_DIR "t10k-labels-idx1-ubyte.gz";
    NNQ_ASSERT_FAILS(nnq_dataset_open(FMNIST_DIR "train-images-idx3-ubyte.gz", &o, &ds),
                     NNQ_STATUS_SHAPE_MISMATCH, "10000 items, the images 60000");
}

static void write_npz(const char *path, int mode, int64_t rows_b) {
    nnq_tensor *a, *b;
    int64_t da[3] = {10, 2, 2}, db[2] = {rows_b, 3};
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_UINT8, 3, da, &a));
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 2, db, &b));
    for (size_t i = 0; i < a->numel; i++) ((uint8_t *)a->data)[i] = (uint8_t)i;
    for (size_t i = 0; i < b->numel; i++) ((float *)b->data)[i] = (float)i * 0.5f;
    nnq_npz_writer *w;
    NNQ_ASSERT_OK(nnq_npz_writer_create(path, mode, NULL, 0, &w));
    NNQ_ASSERT_OK(nnq_npz_writer_add(w, "img", a));
    NNQ_ASSERT_OK(nnq_npz_writer_add(w, "aux", b));
    NNQ_ASSERT_OK(nnq_npz_writer_commit(w));
    nnq_tensor_free(a);
    nnq_tensor_free(b);
}

static void test_npz_batches(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/d.npz", dir);
    for (int mode = NNQ_NPZ_STORED; mode <= NNQ_NPZ_DEFLATE; mode++) {
        write_npz(p, mode, 10);
        nnq_dataset_options o = opts_batch(4);
        o.to_float32 = true;
        nnq_dataset *ds;
        NNQ_ASSERT_OK(nnq_dataset_open(p, &o, &ds));
        assert_int_equal(nnq_dataset_num_inputs(ds), 2);
        assert_string_equal(nnq_dataset_input_name(ds, 0), "img");
        assert_string_equal(nnq_dataset_input_name(ds, 1), "aux");
        assert_null(nnq_dataset_input_name(ds, 2));
        assert_null(nnq_dataset_labels(ds));
        size_t n, seen = 0;
        while (nnq_dataset_next(ds, &n) == NNQ_STATUS_OK && n) {
            const nnq_tensor *img = nnq_dataset_input(ds, 0), *aux = nnq_dataset_input(ds, 1);
            assert_int_equal(img->dims[0], (int64_t)n);
            assert_int_equal(img->dims[2], 2);
            assert_int_equal(aux->numel, n * 3);
            for (size_t i = 0; i < img->numel; i++)
                assert_true(((float *)img->data)[i] == (float)(seen * 4 + i));
            for (size_t i = 0; i < aux->numel; i++)
                assert_true(((float *)aux->data)[i] == (float)(seen * 3 + i) * 0.5f);
            seen += n;
        }
        assert_int_equal(seen, 10);
        nnq_dataset_close(ds);
    }
    write_npz(p, NNQ_NPZ_STORED, 9);
    nnq_dataset *ds = NULL;
    NNQ_ASSERT_FAILS(nnq_dataset_open(p, NULL, &ds), NNQ_STATUS_SHAPE_MISMATCH,
                     "input 'aux' has 9 samples, input 'img' 10");
    assert_null(ds);
    nnq_test_rmdir(dir);
}

/* A corrupted member is caught by its CRC once the stream reaches its end. */
static void test_npz_crc_while_streaming(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/d.npz", dir);
    write_npz(p, NNQ_NPZ_STORED, 10);
    size_t n;
    unsigned char *b = io_test_slurp(p, &n);
    b[30 + 7 + 128 + 39] ^= 1; /* last sample of "img" (local header, name, .npy header) */
    io_test_spit(p, b, n);
    free(b);
    nnq_dataset *ds;
    nnq_dataset_options o = opts_batch(6);
    NNQ_ASSERT_OK(nnq_dataset_open(p, &o, &ds));
    NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
    assert_int_equal(n, 6);
    NNQ_ASSERT_FAILS(nnq_dataset_next(ds, &n), NNQ_STATUS_INVALID_FORMAT, "d.npz:img.npy': CRC-32");
    assert_int_equal(n, 0);
    assert_null(nnq_dataset_input(ds, 0));
    nnq_dataset_close(ds);
    nnq_test_rmdir(dir);
}

static void test_npy_inputs(void **state) {
    (void)state;
    nnq_dataset_options o = opts_batch(5);
    o.to_float32 = true;
    nnq_dataset *ds;
    NNQ_ASSERT_OK(nnq_dataset_open(IO_DATA "be_i4.npy", &o, &ds));
    assert_string_equal(nnq_dataset_input_name(ds, 0), "input");
    size_t n;
    NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
    assert_int_equal(n, 3);
    const float *f = nnq_dataset_input(ds, 0)->data;
    assert_true(f[0] == 1.0f && f[1] == -2.0f && f[2] == 16909060.0f);
    NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
    assert_int_equal(n, 0);
    nnq_dataset_close(ds);

    /* float16 to float32 (binary16 values are exact floats). */
    NNQ_ASSERT_OK(nnq_dataset_open(IO_DATA "dt_f2.npy", &o, &ds));
    NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
    f = nnq_dataset_input(ds, 0)->data;
    assert_true(f[1] == -1.5f && f[2] == 0.25f && isinf(f[3]) && f[4] == 65504.0f);
    nnq_dataset_close(ds);

    o = opts_batch(1);
    o.start = 1;
    NNQ_ASSERT_OK(nnq_dataset_open(IO_DATA "f4_2x3.npy", &o, &ds));
    assert_int_equal(nnq_dataset_num_samples(ds), 1);
    NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
    f = nnq_dataset_input(ds, 0)->data;
    assert_true(f[0] == 0.75f && f[2] == 1.25f);
    nnq_dataset_close(ds);

    /* No samples at all: opens, yields nothing. */
    NNQ_ASSERT_OK(nnq_dataset_open(IO_DATA "empty_f4_0x3.npy", NULL, &ds));
    NNQ_ASSERT_OK(nnq_dataset_next(ds, &n));
    assert_int_equal(n, 0);
    nnq_dataset_close(ds);
}

static void test_bad_options_and_files(void **state) {
    (void)state;
    nnq_dataset *ds = NULL;
    nnq_dataset_options o = opts_batch(0);
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "f4_2x3.npy", &o, &ds), NNQ_STATUS_INVALID_ARGUMENT,
                     "batch_size 0");
    o = opts_batch(1);
    o.std = 0.0f;
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "f4_2x3.npy", &o, &ds), NNQ_STATUS_INVALID_ARGUMENT,
                     "std > 0");
    o = opts_batch(1);
    o.mean = NAN;
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "f4_2x3.npy", &o, &ds), NNQ_STATUS_INVALID_ARGUMENT,
                     "finite");
    o = opts_batch(1);
    o.start = 3;
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "f4_2x3.npy", &o, &ds), NNQ_STATUS_OUT_OF_RANGE,
                     "start 3 is past its 2 samples");
    o = opts_batch(1);
    o.labels_path = IO_DATA "f4_2x3.npy";
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "f4_2x3.npy", &o, &ds), NNQ_STATUS_INVALID_ARGUMENT,
                     "only to IDX");
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "fortran_i2_2x3x4.npy", NULL, &ds),
                     NNQ_STATUS_UNSUPPORTED, "Fortran order");
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "scalar_f4.npy", NULL, &ds),
                     NNQ_STATUS_SHAPE_MISMATCH, "scalar");
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "object.npy", NULL, &ds), NNQ_STATUS_UNSUPPORTED,
                     "pickle");
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "make_fixtures.py", NULL, &ds),
                     NNQ_STATUS_INVALID_FORMAT, "not a .npy, .npz or IDX file (starts 23 21");
    NNQ_ASSERT_FAILS(nnq_dataset_open(IO_DATA "none.npy", NULL, &ds), NNQ_STATUS_NOT_FOUND,
                     "none.npy");
    NNQ_ASSERT_FAILS(nnq_dataset_next(NULL, NULL), NNQ_STATUS_INVALID_ARGUMENT, NULL);
    assert_null(ds);
    nnq_dataset_close(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fashion_mnist_batches),   cmocka_unit_test(test_npz_batches),
        cmocka_unit_test(test_npz_crc_while_streaming), cmocka_unit_test(test_npy_inputs),
        cmocka_unit_test(test_bad_options_and_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
