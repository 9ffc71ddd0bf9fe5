/* test_npy.c - .npy reading (numpy-written fixtures), writing and rejection
 * of hostile input.  Fixtures: tests/data/io/make_fixtures.py. */
#include <math.h>
#include <stdint.h>

#include "io_testutil.h"

static nnq_tensor *read_fixture(const char *name) {
    char path[512];
    snprintf(path, sizeof path, IO_DATA "%s", name);
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_npy_read(path, &t));
    return t;
}

/* Values stated in make_fixtures.py: [0, 1, 2, 100, -1, max, min] for signed
 * ints, [0, 1, 2, 100, max] for unsigned. */
static void test_integer_dtypes(void **state) {
    (void)state;
    static const struct {
        const char *file;
        nnq_dtype dtype;
        int64_t n;
        int64_t smax, smin;
        uint64_t umax;
    } cases[] = {
        {"dt_i1.npy", NNQ_DTYPE_INT8, 7, INT8_MAX, INT8_MIN, 0},
        {"dt_i2.npy", NNQ_DTYPE_INT16, 7, INT16_MAX, INT16_MIN, 0},
        {"dt_i4.npy", NNQ_DTYPE_INT32, 7, INT32_MAX, INT32_MIN, 0},
        {"dt_i8.npy", NNQ_DTYPE_INT64, 7, INT64_MAX, INT64_MIN, 0},
        {"dt_u1.npy", NNQ_DTYPE_UINT8, 5, 0, 0, UINT8_MAX},
        {"dt_u2.npy", NNQ_DTYPE_UINT16, 5, 0, 0, UINT16_MAX},
        {"dt_u4.npy", NNQ_DTYPE_UINT32, 5, 0, 0, UINT32_MAX},
        {"dt_u8.npy", NNQ_DTYPE_UINT64, 5, 0, 0, UINT64_MAX},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        nnq_tensor *t = read_fixture(cases[c].file);
        assert_int_equal(t->dtype, cases[c].dtype);
        assert_int_equal(t->ndim, 1);
        assert_int_equal(t->dims[0], cases[c].n);
        size_t es = nnq_dtype_bits(t->dtype) / 8;
        for (int64_t i = 0; i < t->dims[0]; i++) {
            const unsigned char *p = (const unsigned char *)t->data + (size_t)i * es;
            uint64_t u = 0;
            memcpy(&u, p, es); /* little-endian host */
            int64_t s = es == 8 ? (int64_t)u : (int64_t)(u << (64 - 8 * es)) >> (64 - 8 * es);
            static const int64_t head[] = {0, 1, 2, 100, -1};
            if (cases[c].umax) {
                if (i < 4)
                    assert_int_equal(u, (uint64_t)head[i]);
                else
                    assert_true(u == cases[c].umax);
            } else {
                int64_t want = i < 5 ? head[i] : i == 5 ? cases[c].smax : cases[c].smin;
                assert_true(s == want);
            }
        }
        nnq_tensor_free(t);
    }
}

static void test_float_and_bool_dtypes(void **state) {
    (void)state;
    static const float want[] = {0.0f, -1.5f, 0.25f, INFINITY, 65504.0f};
    nnq_tensor *t = read_fixture("dt_f4.npy");
    assert_int_equal(t->dtype, NNQ_DTYPE_FLOAT32);
    for (int i = 0; i < 5; i++) assert_true(nnq_test_same_bits(((float *)t->data)[i], want[i]));
    nnq_tensor_free(t);
    t = read_fixture("dt_f8.npy");
    assert_int_equal(t->dtype, NNQ_DTYPE_FLOAT64);
    for (int i = 0; i < 5; i++) assert_true(((double *)t->data)[i] == (double)want[i]);
    nnq_tensor_free(t);
    /* binary16 bit patterns: 0, -1.5 = 0xBE00, 0.25 = 0x3400, inf = 0x7C00,
     * 65504 = 0x7BFF (IEEE 754 binary16 by hand). */
    static const uint16_t half[] = {0x0000, 0xBE00, 0x3400, 0x7C00, 0x7BFF};
    t = read_fixture("dt_f2.npy");
    assert_int_equal(t->dtype, NNQ_DTYPE_FLOAT16);
    assert_memory_equal(t->data, half, sizeof half);
    nnq_tensor_free(t);
    t = read_fixture("dt_b1.npy");
    assert_int_equal(t->dtype, NNQ_DTYPE_BOOL);
    assert_memory_equal(t->data, "\x01\x00\x01", 3);
    nnq_tensor_free(t);
}

static void test_shapes_orders_versions(void **state) {
    (void)state;
    nnq_tensor *t = read_fixture("f4_2x3.npy");
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->dims[0], 2);
    assert_int_equal(t->dims[1], 3);
    for (int i = 0; i < 6; i++) assert_true(((float *)t->data)[i] == (float)i / 4.0f);
    nnq_tensor_free(t);

    t = read_fixture("scalar_f4.npy");
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->numel, 1);
    assert_true(((float *)t->data)[0] == 3.5f);
    nnq_tensor_free(t);

    t = read_fixture("empty_f4_0x3.npy");
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->numel, 0);
    assert_int_equal(t->dims[1], 3);
    nnq_tensor_free(t);

    t = read_fixture("be_f8.npy");
    assert_int_equal(t->dtype, NNQ_DTYPE_FLOAT64);
    assert_true(((double *)t->data)[0] == 1.5 && ((double *)t->data)[1] == -2.25 &&
                ((double *)t->data)[2] == 1e300);
    nnq_tensor_free(t);
    t = read_fixture("be_i4.npy");
    assert_int_equal(((int32_t *)t->data)[1], -2);
    assert_int_equal(((int32_t *)t->data)[2], 0x01020304);
    nnq_tensor_free(t);

    /* Fortran order: np.arange(24).reshape(2, 3, 4) in row-major order. */
    t = read_fixture("fortran_i2_2x3x4.npy");
    assert_int_equal(t->ndim, 3);
    assert_int_equal(t->dims[2], 4);
    for (int i = 0; i < 24; i++) assert_int_equal(((int16_t *)t->data)[i], i);
    nnq_tensor_free(t);

    static const char *versions[] = {"v2_u1_5.npy", "v3_u1_5.npy"};
    for (int v = 0; v < 2; v++) {
        t = read_fixture(versions[v]);
        assert_int_equal(t->dims[0], 5);
        for (int i = 0; i < 5; i++) assert_int_equal(((uint8_t *)t->data)[i], 3 * i);
        nnq_tensor_free(t);
    }
}

static void test_unsupported_dtypes(void **state) {
    (void)state;
    nnq_tensor *t = NULL;
    NNQ_ASSERT_FAILS(nnq_npy_read(IO_DATA "object.npy", &t), NNQ_STATUS_UNSUPPORTED, "pickle");
    NNQ_ASSERT_FAILS(nnq_npy_read(IO_DATA "structured.npy", &t), NNQ_STATUS_UNSUPPORTED,
                     "structured");
    NNQ_ASSERT_FAILS(nnq_npy_read(IO_DATA "complex.npy", &t), NNQ_STATUS_UNSUPPORTED, "'<c8'");
    NNQ_ASSERT_FAILS(nnq_npy_read(IO_DATA "missing.npy", &t), NNQ_STATUS_NOT_FOUND, "missing.npy");
    assert_null(t);
}

/* Writing what we read must give numpy.save's exact bytes. */
static void test_write_matches_numpy(void **state) {
    (void)state;
    static const char *files[] = {"dt_i1.npy",  "dt_i2.npy",     "dt_i4.npy",       "dt_i8.npy",
                                  "dt_u1.npy",  "dt_u2.npy",     "dt_u4.npy",       "dt_u8.npy",
                                  "dt_f2.npy",  "dt_f4.npy",     "dt_f8.npy",       "dt_b1.npy",
                                  "f4_2x3.npy", "scalar_f4.npy", "empty_f4_0x3.npy"};
    char *dir = nnq_test_tmpdir();
    char out[512], in[512];
    snprintf(out, sizeof out, "%s/out.npy", dir);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(in, sizeof in, IO_DATA "%s", files[i]);
        nnq_tensor *t = read_fixture(files[i]);
        NNQ_ASSERT_OK(nnq_npy_write(out, t, NULL, 0));
        size_t na, nb;
        unsigned char *a = io_test_slurp(in, &na), *b = io_test_slurp(out, &nb);
        if (na != nb || memcmp(a, b, na) != 0)
            fail_msg("%s: written bytes differ from numpy's", files[i]);
        free(a);
        free(b);
        nnq_tensor_free(t);
    }
    assert_int_equal(nnq_test_count_entries(dir), 1); /* no temporary left over */
    nnq_test_rmdir(dir);
}

static void test_write_errors(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char out[512];
    snprintf(out, sizeof out, "%s/x.npy", dir);
    int64_t d = 4;
    nnq_tensor *t;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_BFLOAT16, 1, &d, &t));
    NNQ_ASSERT_FAILS(nnq_npy_write(out, t, NULL, 0), NNQ_STATUS_UNSUPPORTED, "bfloat16");
    nnq_tensor_free(t);
    NNQ_ASSERT_FAILS(nnq_npy_write(out, NULL, NULL, 0), NNQ_STATUS_INVALID_ARGUMENT, "NULL");
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 1, &d, &t));
    NNQ_ASSERT_OK(nnq_npy_write(out, t, NULL, 0));
    const char *inputs[] = {out};
    NNQ_ASSERT_FAILS(nnq_npy_write(out, t, inputs, 1), NNQ_STATUS_SAME_FILE, "x.npy");
    nnq_tensor_free(t);
    assert_int_equal(nnq_test_count_entries(dir), 1);
    nnq_test_rmdir(dir);
}

/* Build a .npy image: magic, version, header length, dict + '\n', data. */
static size_t build(unsigned char *buf, int major, const char *dict, size_t data_len) {
    size_t dl = strlen(dict), pre = major == 1 ? 10 : 12, hl = dl + 1;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) buf[8 + i] = (unsigned char)(hl >> (8 * i));
    memcpy(buf + pre, dict, dl);
    buf[pre + dl] = '\n';
    memset(buf + pre + hl, 0x5a, data_len);
    return pre + hl + data_len;
}

#define DICT(descr, shape) "{'descr': '" descr "', 'fortran_order': False, 'shape': " shape ", }"

static void test_hostile_headers(void **state) {
    (void)state;
    static const struct {
        const char *dict;
        size_t data;
        nnq_status want;
        const char *needle;
    } cases[] = {
        {DICT("<f4", "(2,)"), 8, NNQ_STATUS_OK, NULL},
        {"{\"descr\":\"<f4\",\"shape\":(2,),\"fortran_order\":False}", 8, NNQ_STATUS_OK, NULL},
        {DICT("<f4", "(2,)"), 7, NNQ_STATUS_INVALID_FORMAT, "truncated"},
        {DICT("<f4", "(2,)"), 9, NNQ_STATUS_INVALID_FORMAT, "trailing"},
        {DICT("<f4", "(2)"), 8, NNQ_STATUS_INVALID_FORMAT, "trailing ','"},
        {DICT("<f4", "(-2,)"), 8, NNQ_STATUS_INVALID_FORMAT, "expected a dimension"},
        {DICT("<f4", "(02,)"), 8, NNQ_STATUS_INVALID_FORMAT, "leading zero"},
        {DICT("<f4", "(2, 3 4)"), 24, NNQ_STATUS_INVALID_FORMAT, "',' or ')'"},
        {DICT("<f4", "(9223372036854775808,)"), 0, NNQ_STATUS_SIZE_OVERFLOW, "2^63"},
        {DICT("<f4", "(4294967296, 4294967296)"), 0, NNQ_STATUS_SIZE_OVERFLOW, "overflows"},
        {DICT("<f4", "(4611686018427387904,)"), 0, NNQ_STATUS_SIZE_OVERFLOW, "overflows"},
        {DICT("<f4", "(1,1,1,1,1,1,1,1,1)"), 4, NNQ_STATUS_UNSUPPORTED, "more than 8"},
        {DICT("|f4", "(2,)"), 8, NNQ_STATUS_INVALID_FORMAT, "no byte order"},
        {DICT("f4", "(2,)"), 8, NNQ_STATUS_UNSUPPORTED, "'f4'"},
        {DICT("<f3", "(2,)"), 8, NNQ_STATUS_UNSUPPORTED, "'<f3'"},
        {DICT("|O", "(2,)"), 16, NNQ_STATUS_UNSUPPORTED, "pickle"},
        {DICT("<U5", "(2,)"), 40, NNQ_STATUS_UNSUPPORTED, "'<U5'"},
        {"{'descr': '<f4', 'shape': (2,), }", 8, NNQ_STATUS_INVALID_FORMAT, "fortran_order"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8,
         NNQ_STATUS_INVALID_FORMAT, "repeats key 'descr'"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8, NNQ_STATUS_INVALID_FORMAT,
         "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
         NNQ_STATUS_INVALID_FORMAT, "unknown key 'x'"},
        {"{'descr': '<f\\4', 'fortran_order': False, 'shape': (2,)}", 8, NNQ_STATUS_INVALID_FORMAT,
         "escape"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8, NNQ_STATUS_INVALID_FORMAT,
         "after the dict"},
        {"{'descr': '<f4' 'fortran_order': False}", 8, NNQ_STATUS_INVALID_FORMAT, "expected ','"},
        {"{'descr: '<f4'}", 8, NNQ_STATUS_INVALID_FORMAT, "malformed"},
        {"__import__('os')", 8, NNQ_STATUS_INVALID_FORMAT, "expected '{'"},
        {"", 0, NNQ_STATUS_INVALID_FORMAT, "expected '{'"},
    };
    static unsigned char buf[4096];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int major = 1; major <= 3; major++) {
            size_t n = build(buf, major, cases[c].dict, cases[c].data);
            nnq_tensor *t = NULL;
            nnq_status s = nnq_npy_read_memory(buf, n, "case.npy", &t);
            if (cases[c].want == NNQ_STATUS_OK) {
                if (s) fail_msg("case %zu: %s", c, nnq_last_error());
                assert_int_equal(t->dims[0], 2);
                nnq_tensor_free(t);
            } else {
                NNQ_ASSERT_FAILS(s, cases[c].want, cases[c].needle);
                assert_non_null(strstr(nnq_last_error(), "case.npy"));
                assert_null(t);
            }
        }
    }
}

static void test_bad_prefix(void **state) {
    (void)state;
    static unsigned char buf[256];
    nnq_tensor *t = NULL;
    size_t n = build(buf, 1, DICT("<f4", "(2,)"), 8);
    NNQ_ASSERT_FAILS(nnq_npy_read_memory(buf, 0, "e.npy", &t), NNQ_STATUS_INVALID_FORMAT,
                     "truncated");
    NNQ_ASSERT_FAILS(nnq_npy_read_memory(buf, 9, "e.npy", &t), NNQ_STATUS_INVALID_FORMAT,
                     "truncated");
    NNQ_ASSERT_FAILS(nnq_npy_read_memory(buf, 40, "e.npy", &t), NNQ_STATUS_INVALID_FORMAT,
                     "header needs");
    buf[6] = 4;
    NNQ_ASSERT_FAILS(nnq_npy_read_memory(buf, n, "e.npy", &t), NNQ_STATUS_UNSUPPORTED,
                     "version 4.0");
    buf[6] = 1;
    buf[1] = 'n';
    NNQ_ASSERT_FAILS(nnq_npy_read_memory(buf, n, "e.npy", &t), NNQ_STATUS_INVALID_FORMAT,
                     "bad magic");
    /* A header length over the limit is refused before any allocation. */
    unsigned char big[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0x01, 0x00, 0x01, 0x00};
    NNQ_ASSERT_FAILS(nnq_npy_read_memory(big, sizeof big, "e.npy", &t), NNQ_STATUS_LIMIT_EXCEEDED,
                     "65537 bytes");
    NNQ_ASSERT_FAILS(nnq_npy_read_memory(NULL, 4, "e.npy", &t), NNQ_STATUS_INVALID_ARGUMENT, NULL);
    assert_null(t);
}

static void test_parse_header(void **state) {
    (void)state;
    size_t n;
    unsigned char *img = io_test_slurp(IO_DATA "fortran_i2_2x3x4.npy", &n);
    nnq_npy_info info;
    NNQ_ASSERT_OK(nnq_npy_parse_header(img, n, "f.npy", &info));
    assert_int_equal(info.dtype, NNQ_DTYPE_INT16);
    assert_true(info.fortran_order);
    assert_false(info.big_endian);
    assert_int_equal(info.version, 1);
    assert_int_equal(info.ndim, 3);
    assert_int_equal(info.data_size, 48);
    assert_int_equal(info.data_offset + info.data_size, n);
    assert_int_equal(info.data_offset % 64, 0);
    free(img);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_dtypes),         cmocka_unit_test(test_float_and_bool_dtypes),
        cmocka_unit_test(test_shapes_orders_versions), cmocka_unit_test(test_unsupported_dtypes),
        cmocka_unit_test(test_write_matches_numpy),    cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_hostile_headers),        cmocka_unit_test(test_bad_prefix),
        cmocka_unit_test(test_parse_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
