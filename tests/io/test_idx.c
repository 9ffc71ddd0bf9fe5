/* test_idx.c - IDX reading: Fashion-MNIST (Debian dataset-fashion-mnist),
 * hand-built files of every element type, gzip and hostile headers. */
#include <zlib.h>

#include "io_testutil.h"

/*
 * Golden values computed once with Python's gzip module:
 *   python3 -c "import gzip; d=gzip.open('train-images-idx3-ubyte.gz').read(); \
 *     img=lambda i: d[16+784*i:16+784*(i+1)]; print(list(img(0)[14*28:15*28]), \
 *     [sum(img(i)) for i in (0, 1, 511, 59999)])"
 *   python3 -c "import gzip; l=gzip.open('train-labels-idx1-ubyte.gz').read(); \
 *     print(list(l[8:18]), l[8+511], l[8+59999])"
 *   python3 -c "import gzip; t=gzip.open('t10k-labels-idx1-ubyte.gz').read(); print(list(t[8:13]))"
 * run in /usr/share/datasets/fashion-mnist.
 */
static const uint8_t img0_row14[28] = {0,   0,   1,   4,   6,   7,   2,   0,   0,   0,
                                       0,   0,   237, 226, 217, 223, 222, 219, 222, 221,
                                       216, 223, 229, 215, 218, 255, 77,  0};

static long pixel_sum(const nnq_tensor *t, size_t item) {
    long s = 0;
    for (size_t i = 0; i < 784; i++) s += ((const uint8_t *)t->data)[item * 784 + i];
    return s;
}

static void test_fashion_mnist(void **state) {
    (void)state;
    if (!io_test_exists(FMNIST_DIR "train-images-idx3-ubyte.gz")) skip();
    nnq_idx *x;
    NNQ_ASSERT_OK(nnq_idx_open(FMNIST_DIR "train-images-idx3-ubyte.gz", &x));
    const nnq_idx_info *in = nnq_idx_get_info(x);
    assert_true(in->gzipped);
    assert_int_equal(in->dtype, NNQ_DTYPE_UINT8);
    assert_int_equal(in->ndim, 3);
    assert_int_equal(in->items, 60000);
    assert_int_equal(in->dims[1], 28);
    assert_int_equal(in->item_bytes, 784);
    nnq_tensor *t;
    NNQ_ASSERT_OK(nnq_idx_read(x, 0, 2, &t));
    assert_int_equal(t->dims[0], 2);
    assert_memory_equal((uint8_t *)t->data + 14 * 28, img0_row14, 28);
    assert_int_equal(pixel_sum(t, 0), 76247);
    assert_int_equal(pixel_sum(t, 1), 84598);
    nnq_tensor_free(t);
    NNQ_ASSERT_OK(nnq_idx_read(x, 59999, 1, &t)); /* forward: streams on */
    assert_int_equal(pixel_sum(t, 0), 16684);
    nnq_tensor_free(t);
    NNQ_ASSERT_OK(nnq_idx_read(x, 511, 1, &t)); /* backward: restarts */
    assert_int_equal(pixel_sum(t, 0), 50351);
    nnq_tensor_free(t);
    t = NULL;
    NNQ_ASSERT_FAILS(nnq_idx_read(x, 59999, 2, &t), NNQ_STATUS_OUT_OF_RANGE, "60000 items");
    assert_null(t);
    nnq_idx_close(x);

    NNQ_ASSERT_OK(nnq_idx_open(FMNIST_DIR "train-labels-idx1-ubyte.gz", &x));
    uint8_t lab[10];
    static const uint8_t want[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    NNQ_ASSERT_OK(nnq_idx_read_into(x, 0, 10, lab, sizeof lab));
    assert_memory_equal(lab, want, 10);
    NNQ_ASSERT_OK(nnq_idx_read_into(x, 511, 1, lab, 1));
    assert_int_equal(lab[0], 1);
    NNQ_ASSERT_OK(nnq_idx_read_into(x, 59999, 1, lab, 1));
    assert_int_equal(lab[0], 5);
    NNQ_ASSERT_FAILS(nnq_idx_read_into(x, 0, 10, lab, 9), NNQ_STATUS_INVALID_ARGUMENT, "9");
    nnq_idx_close(x);

    NNQ_ASSERT_OK(nnq_idx_open(FMNIST_DIR "t10k-labels-idx1-ubyte.gz", &x));
    NNQ_ASSERT_OK(nnq_idx_read_into(x, 0, 5, lab, 5));
    assert_memory_equal(lab, "\x09\x02\x01\x01\x06", 5);
    nnq_idx_close(x);
}

/* An IDX image: 00 00 type ndim, big-endian dims, then `body`. */
static size_t build(unsigned char *b, unsigned type, int ndim, const uint32_t *dims,
                    const void *body, size_t body_len) {
    b[0] = b[1] = 0;
    b[2] = (unsigned char)type;
    b[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++)
        for (int k = 0; k < 4; k++) b[4 + 4 * i + k] = (unsigned char)(dims[i] >> (24 - 8 * k));
    memcpy(b + 4 + 4 * ndim, body, body_len);
    return 4 + 4 * (size_t)ndim + body_len;
}

/* Two items of shape [2] per type; big-endian bytes written by hand. */
static void test_element_types(void **state) {
    (void)state;
    static const uint32_t dims[2] = {2, 2};
    static unsigned char buf[256];
    nnq_tensor *t;
    nnq_idx *x;

    static const unsigned char i8[] = {0x01, 0xff, 0x80, 0x7f};
    NNQ_ASSERT_OK(nnq_idx_open_memory(buf, build(buf, 0x09, 2, dims, i8, 4), "i8", &x));
    NNQ_ASSERT_OK(nnq_idx_read(x, 0, 2, &t));
    assert_int_equal(t->dtype, NNQ_DTYPE_INT8);
    assert_int_equal(((int8_t *)t->data)[1], -1);
    assert_int_equal(((int8_t *)t->data)[2], -128);
    nnq_tensor_free(t);
    nnq_idx_close(x);

    static const unsigned char i16[] = {0x01, 0x02, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x07};
    NNQ_ASSERT_OK(nnq_idx_open_memory(buf, build(buf, 0x0B, 2, dims, i16, 8), "i16", &x));
    NNQ_ASSERT_OK(nnq_idx_read(x, 1, 1, &t)); /* second item only */
    assert_int_equal(t->dims[0], 1);
    assert_int_equal(((int16_t *)t->data)[0], -32768);
    assert_int_equal(((int16_t *)t->data)[1], 7);
    nnq_tensor_free(t);
    NNQ_ASSERT_OK(nnq_idx_read(x, 0, 1, &t));
    assert_int_equal(((int16_t *)t->data)[0], 0x0102);
    assert_int_equal(((int16_t *)t->data)[1], -2);
    nnq_tensor_free(t);
    nnq_idx_close(x);

    static const unsigned char i32[] = {0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff,
                                        0x80, 0,    0,    0,    0,    0,    0,    0};
    NNQ_ASSERT_OK(nnq_idx_open_memory(buf, build(buf, 0x0C, 2, dims, i32, 16), "i32", &x));
    NNQ_ASSERT_OK(nnq_idx_read(x, 0, 2, &t));
    assert_int_equal(((int32_t *)t->data)[0], 0x01020304);
    assert_int_equal(((int32_t *)t->data)[1], -1);
    assert_int_equal(((int32_t *)t->data)[2], INT32_MIN);
    nnq_tensor_free(t);
    nnq_idx_close(x);

    /* 1.5f = 0x3FC00000, -2.0f = 0xC0000000, 1.0 = 0x3FF0000000000000. */
    static const unsigned char f32[] = {0x3f, 0xc0, 0, 0, 0xc0, 0,    0, 0,
                                        0,    0,    0, 0, 0x7f, 0x80, 0, 0};
    NNQ_ASSERT_OK(nnq_idx_open_memory(buf, build(buf, 0x0D, 2, dims, f32, 16), "f32", &x));
    NNQ_ASSERT_OK(nnq_idx_read(x, 0, 2, &t));
    assert_true(((float *)t->data)[0] == 1.5f && ((float *)t->data)[1] == -2.0f);
    assert_true(((float *)t->data)[3] > 3e38f); /* +inf */
    nnq_tensor_free(t);
    nnq_idx_close(x);

    static const uint32_t d1[1] = {1};
    static const unsigned char f64[] = {0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
    NNQ_ASSERT_OK(nnq_idx_open_memory(buf, build(buf, 0x0E, 1, d1, f64, 8), "f64", &x));
    assert_int_equal(nnq_idx_get_info(x)->item_bytes, 8);
    NNQ_ASSERT_OK(nnq_idx_read(x, 0, 1, &t));
    assert_true(((double *)t->data)[0] == 1.0);
    nnq_tensor_free(t);
    /* Empty ranges are fine anywhere up to the end. */
    NNQ_ASSERT_OK(nnq_idx_read(x, 1, 0, &t));
    assert_int_equal(t->numel, 0);
    nnq_tensor_free(t);
    nnq_idx_close(x);
}

static void test_plain_and_gzip_files(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char plain[512], gz[512];
    snprintf(plain, sizeof plain, "%s/x.idx", dir);
    snprintf(gz, sizeof gz, "%s/x.idx.gz", dir);
    static const uint32_t dims[3] = {1000, 3, 5};
    static unsigned char body[15000], buf[16 + 15000];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (unsigned char)(i * 31 + i / 256);
    size_t n = build(buf, 0x08, 3, dims, body, sizeof body);
    io_test_spit(plain, buf, n);
    gzFile g = gzopen(gz, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, buf, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
    const char *paths[2] = {plain, gz};
    for (int p = 0; p < 2; p++) {
        nnq_idx *x;
        NNQ_ASSERT_OK(nnq_idx_open(paths[p], &x));
        assert_int_equal(nnq_idx_get_info(x)->gzipped, p == 1);
        unsigned char got[15 * 7];
        static const uint64_t starts[] = {993, 0, 500, 501, 10};
        for (size_t s = 0; s < 5; s++) {
            NNQ_ASSERT_OK(nnq_idx_read_into(x, starts[s], 7, got, sizeof got));
            assert_memory_equal(got, body + starts[s] * 15, sizeof got);
        }
        nnq_idx_close(x);
    }
    nnq_test_rmdir(dir);
}

static void test_hostile_files(void **state) {
    (void)state;
    static unsigned char buf[64];
    nnq_idx *x = NULL;
    static const uint32_t d2[2] = {2, 3};
    static const unsigned char six[6] = {1, 2, 3, 4, 5, 6};
    size_t n = build(buf, 0x08, 2, d2, six, 6);
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, n - 1, "t.idx", &x), NNQ_STATUS_INVALID_FORMAT,
                     "truncated");
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, n + 1, "t.idx", &x), NNQ_STATUS_INVALID_FORMAT,
                     "trailing");
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, 6, "t.idx", &x), NNQ_STATUS_INVALID_FORMAT,
                     "truncated");
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, 0, "t.idx", &x), NNQ_STATUS_INVALID_FORMAT,
                     "truncated");
    buf[2] = 0x0A;
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, n, "t.idx", &x), NNQ_STATUS_INVALID_FORMAT,
                     "type 0x0a");
    buf[2] = 0x08;
    buf[3] = 0;
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, n, "t.idx", &x), NNQ_STATUS_INVALID_FORMAT,
                     "0 dimensions");
    buf[3] = 9;
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, n, "t.idx", &x), NNQ_STATUS_UNSUPPORTED,
                     "9 dimensions");
    buf[3] = 2;
    buf[0] = 0x50;
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, n, "t.idx", &x), NNQ_STATUS_INVALID_FORMAT,
                     "not an IDX file (magic 50 00 08 02");
    static const uint32_t huge[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    n = build(buf, 0x0E, 4, huge, six, 0);
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(buf, n, "t.idx", &x), NNQ_STATUS_SIZE_OVERFLOW,
                     "overflow");
    assert_null(x);
    NNQ_ASSERT_FAILS(nnq_idx_open("/nonexistent/t.idx", &x), NNQ_STATUS_NOT_FOUND, "t.idx");
}

static void test_hostile_gzip(void **state) {
    (void)state;
    static const uint32_t d1[1] = {4000};
    static unsigned char body[4000], buf[4100], gz[8192];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (unsigned char)(i * i);
    size_t n = build(buf, 0x08, 1, d1, body, sizeof body);
    /* gzip wrapper via deflateInit2(windowBits 16 + 15). */
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = buf;
    z.avail_in = (uInt)n;
    z.next_out = gz;
    z.avail_out = sizeof gz;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gn = z.total_out;
    deflateEnd(&z);
    nnq_idx *x = NULL;
    unsigned char out[4000];
    NNQ_ASSERT_OK(nnq_idx_open_memory(gz, gn, "t.gz", &x));
    NNQ_ASSERT_OK(nnq_idx_read_into(x, 0, 4000, out, sizeof out));
    assert_memory_equal(out, body, sizeof body);
    nnq_idx_close(x);
    /* Trailer length disagreeing with the header. */
    gz[gn - 4] ^= 1;
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(gz, gn, "t.gz", &x), NNQ_STATUS_INVALID_FORMAT,
                     "gzip trailer");
    gz[gn - 4] ^= 1;
    /* Truncated compressed data: the trailer is gone too. */
    NNQ_ASSERT_FAILS(nnq_idx_open_memory(gz, gn / 2, "t.gz", &x), NNQ_STATUS_INVALID_FORMAT,
                     "t.gz");
    /* Corrupt deflate data: found while reading, and the next read restarts. */
    gz[gn / 2] ^= 0x55;
    NNQ_ASSERT_OK(nnq_idx_open_memory(gz, gn, "t.gz", &x));
    nnq_status s = nnq_idx_read_into(x, 0, 4000, out, sizeof out);
    NNQ_ASSERT_FAILS(s, NNQ_STATUS_INVALID_FORMAT, "t.gz");
    NNQ_ASSERT_OK(nnq_idx_read_into(x, 0, 1, out, 1));
    assert_int_equal(out[0], body[0]);
    nnq_idx_close(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fashion_mnist),        cmocka_unit_test(test_element_types),
        cmocka_unit_test(test_plain_and_gzip_files), cmocka_unit_test(test_hostile_files),
        cmocka_unit_test(test_hostile_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
