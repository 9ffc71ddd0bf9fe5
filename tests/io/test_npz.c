/* test_npz.c - .npz reading (numpy-written fixtures, ZIP64), writing, and
 * rejection of corrupt or hostile archives.  Fixtures:
 * tests/data/io/make_fixtures.py. */
#include "io_testutil.h"

/* x = arange(6, f4).reshape(2, 3) / 4, y = [10, 20] (i8) in every fixture. */
static void check_xy(nnq_npz *z) {
    nnq_tensor *x, *y;
    NNQ_ASSERT_OK(nnq_npz_read(z, "x", &x));
    NNQ_ASSERT_OK(nnq_npz_read(z, "y.npy", &y));
    assert_int_equal(x->dtype, NNQ_DTYPE_FLOAT32);
    assert_int_equal(x->ndim, 2);
    assert_int_equal(x->dims[1], 3);
    for (int i = 0; i < 6; i++) assert_true(((float *)x->data)[i] == (float)i / 4.0f);
    assert_int_equal(y->dtype, NNQ_DTYPE_INT64);
    assert_int_equal(((int64_t *)y->data)[0], 10);
    assert_int_equal(((int64_t *)y->data)[1], 20);
    nnq_tensor_free(x);
    nnq_tensor_free(y);
}

static void test_read_numpy_archives(void **state) {
    (void)state;
    static const char *files[] = {IO_DATA "stored.npz", IO_DATA "deflated.npz",
                                  IO_DATA "zip64.npz"};
    for (int f = 0; f < 3; f++) {
        nnq_npz *z;
        NNQ_ASSERT_OK(nnq_npz_open(files[f], NULL, &z));
        assert_int_equal(nnq_npz_count(z), f == 1 ? 3 : 2);
        assert_string_equal(nnq_npz_name(z, 0), "x");
        assert_string_equal(nnq_npz_name(z, 1), "y");
        assert_null(nnq_npz_name(z, 5));
        check_xy(z);
        nnq_npy_info info;
        NNQ_ASSERT_OK(nnq_npz_member_info(z, "x", &info));
        assert_int_equal(info.data_size, 24);
        nnq_tensor *t = NULL;
        NNQ_ASSERT_FAILS(nnq_npz_read(z, "w", &t), NNQ_STATUS_NOT_FOUND, "no member 'w'");
        if (f == 1) {
            NNQ_ASSERT_OK(nnq_npz_read(z, "zeros", &t));
            assert_int_equal(t->numel, 100000);
            for (size_t i = 0; i < t->numel; i++) assert_int_equal(((uint8_t *)t->data)[i], 0);
            nnq_tensor_free(t);
        }
        nnq_npz_close(z);
    }
    nnq_npz_close(NULL);
}

static void test_names_are_keys(void **state) {
    (void)state;
    nnq_npz *z;
    NNQ_ASSERT_OK(nnq_npz_open(IO_DATA "paths.npz", NULL, &z));
    nnq_tensor *t;
    NNQ_ASSERT_OK(nnq_npz_read(z, "a/b", &t));
    assert_int_equal(((int32_t *)t->data)[0], 1);
    nnq_tensor_free(t);
    NNQ_ASSERT_OK(nnq_npz_read(z, "../c", &t));
    assert_int_equal(((int32_t *)t->data)[0], 2);
    nnq_tensor_free(t);
    nnq_npz_close(z);
}

static nnq_tensor *make_tensor(nnq_dtype dt, int64_t n, int seed) {
    nnq_tensor *t;
    NNQ_ASSERT_OK(nnq_tensor_create(dt, 1, &n, &t));
    for (size_t i = 0; i < t->nbytes; i++)
        ((unsigned char *)t->data)[i] = (unsigned char)(i * 7 + seed);
    return t;
}

static void write_archive(const char *path, int mode, nnq_tensor *a, nnq_tensor *b) {
    nnq_npz_writer *w;
    NNQ_ASSERT_OK(nnq_npz_writer_create(path, mode, NULL, 0, &w));
    NNQ_ASSERT_OK(nnq_npz_writer_add(w, "a", a));
    NNQ_ASSERT_OK(nnq_npz_writer_add(w, "b", b));
    NNQ_ASSERT_OK(nnq_npz_writer_commit(w));
}

static void test_write_round_trip(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/1.npz", dir);
    snprintf(p2, sizeof p2, "%s/2.npz", dir);
    nnq_tensor *a = make_tensor(NNQ_DTYPE_INT16, 1001, 1),
               *b = make_tensor(NNQ_DTYPE_FLOAT64, 3, 2);
    for (int mode = NNQ_NPZ_STORED; mode <= NNQ_NPZ_DEFLATE; mode++) {
        write_archive(p1, mode, a, b);
        write_archive(p2, mode, a, b);
        size_t n1, n2;
        unsigned char *x1 = io_test_slurp(p1, &n1), *x2 = io_test_slurp(p2, &n2);
        assert_int_equal(n1, n2); /* deterministic: no clock in the bytes */
        assert_memory_equal(x1, x2, n1);
        nnq_npz *z;
        NNQ_ASSERT_OK(nnq_npz_open_memory(x1, n1, "mem.npz", NULL, &z));
        nnq_tensor *ra, *rb;
        NNQ_ASSERT_OK(nnq_npz_read(z, "a", &ra));
        NNQ_ASSERT_OK(nnq_npz_read(z, "b.npy", &rb));
        assert_int_equal(ra->nbytes, a->nbytes);
        assert_memory_equal(ra->data, a->data, a->nbytes);
        assert_memory_equal(rb->data, b->data, b->nbytes);
        nnq_tensor_free(ra);
        nnq_tensor_free(rb);
        nnq_npz_close(z);
        free(x1);
        free(x2);
    }
    nnq_tensor_free(a);
    nnq_tensor_free(b);
    nnq_test_rmdir(dir);
}

static void test_writer_errors(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/w.npz", dir);
    nnq_npz_writer *w = NULL;
    NNQ_ASSERT_FAILS(nnq_npz_writer_create(p, 7, NULL, 0, &w), NNQ_STATUS_INVALID_ARGUMENT,
                     "mode 7");
    NNQ_ASSERT_OK(nnq_npz_writer_create(p, NNQ_NPZ_STORED, NULL, 0, &w));
    nnq_tensor *a = make_tensor(NNQ_DTYPE_UINT8, 4, 0), *bf = make_tensor(NNQ_DTYPE_BFLOAT16, 4, 0);
    NNQ_ASSERT_OK(nnq_npz_writer_add(w, "a", a));
    NNQ_ASSERT_FAILS(nnq_npz_writer_add(w, "a", a), NNQ_STATUS_INVALID_ARGUMENT,
                     "duplicate member 'a'");
    NNQ_ASSERT_FAILS(nnq_npz_writer_add(w, "", a), NNQ_STATUS_INVALID_ARGUMENT, "empty");
    NNQ_ASSERT_FAILS(nnq_npz_writer_add(w, "c", NULL), NNQ_STATUS_INVALID_ARGUMENT, "'c'");
    NNQ_ASSERT_FAILS(nnq_npz_writer_add(w, "bf", bf), NNQ_STATUS_UNSUPPORTED, "bfloat16");
    /* Rejected members leave the archive intact. */
    NNQ_ASSERT_OK(nnq_npz_writer_commit(w));
    nnq_npz *z;
    NNQ_ASSERT_OK(nnq_npz_open(p, NULL, &z));
    assert_int_equal(nnq_npz_count(z), 1);
    nnq_npz_close(z);
    /* An archive without members is valid (numpy.savez with no arrays). */
    snprintf(p, sizeof p, "%s/empty.npz", dir);
    NNQ_ASSERT_OK(nnq_npz_writer_create(p, NNQ_NPZ_STORED, NULL, 0, &w));
    NNQ_ASSERT_OK(nnq_npz_writer_commit(w));
    NNQ_ASSERT_OK(nnq_npz_open(p, NULL, &z));
    assert_int_equal(nnq_npz_count(z), 0);
    nnq_npz_close(z);
    nnq_dataset *ds = NULL;
    NNQ_ASSERT_FAILS(nnq_dataset_open(p, NULL, &ds), NNQ_STATUS_EMPTY, "no members");
    remove(p);
    snprintf(p, sizeof p, "%s/w.npz", dir);
    /* Aborting leaves neither the destination nor a temporary. */
    snprintf(p, sizeof p, "%s/gone.npz", dir);
    NNQ_ASSERT_OK(nnq_npz_writer_create(p, NNQ_NPZ_DEFLATE, NULL, 0, &w));
    NNQ_ASSERT_OK(nnq_npz_writer_add(w, "a", a));
    nnq_npz_writer_abort(w);
    nnq_npz_writer_abort(NULL);
    assert_int_equal(nnq_test_count_entries(dir), 1);
    nnq_tensor_free(a);
    nnq_tensor_free(bf);
    nnq_test_rmdir(dir);
}

/* ---- corrupt archives, patched in memory ---- */

static size_t find_sig(const unsigned char *b, size_t n, const char *sig, int nth) {
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(b + i, sig, 4) == 0 && nth-- == 0) return i;
    fail_msg("signature not found");
    return 0;
}

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

typedef void (*patch_fn)(unsigned char *b, size_t *n);

/* Member 'x' of stored.npz: data starts after its local header. */
static void flip_data(unsigned char *b, size_t *n) {
    (void)n;
    size_t lh = find_sig(b, *n, "PK\x03\x04", 0);
    b[lh + 30 + 5 + 20 + 150] ^= 1; /* inside the .npy data of x */
}
static void flip_deflated(unsigned char *b, size_t *n) {
    b[find_sig(b, *n, "PK\x03\x04", 0) + 30 + 5 + 20 + 12] ^= 0x10;
}
static void drop_last(unsigned char *b, size_t *n) {
    (void)b;
    (*n)--;
}
static void set_encrypted(unsigned char *b, size_t *n) {
    b[find_sig(b, *n, "PK\x01\x02", 0) + 8] |= 1;
}
static void set_bzip2(unsigned char *b, size_t *n) {
    b[find_sig(b, *n, "PK\x01\x02", 0) + 10] = 12;
    b[find_sig(b, *n, "PK\x03\x04", 0) + 8] = 12;
}
static void rename_local(unsigned char *b, size_t *n) {
    b[find_sig(b, *n, "PK\x03\x04", 0) + 30] = 'z';
}
static void rename_both(unsigned char *b, size_t *n) {
    b[find_sig(b, *n, "PK\x03\x04", 1) + 30] = 'x';
    b[find_sig(b, *n, "PK\x01\x02", 1) + 46] = 'x';
}
static void more_entries(unsigned char *b, size_t *n) {
    size_t e = find_sig(b, *n, "PK\x05\x06", 0);
    b[e + 8] = b[e + 10] = 3;
}
static void bad_cd_offset(unsigned char *b, size_t *n) {
    size_t e = find_sig(b, *n, "PK\x05\x06", 0);
    put32(b + e + 16, 7);
}
static void multi_disk(unsigned char *b, size_t *n) { b[find_sig(b, *n, "PK\x05\x06", 0) + 4] = 1; }
static void break_locator(unsigned char *b, size_t *n) {
    b[find_sig(b, *n, "PK\x06\x07", 0)] = 'Q';
}
static void break_eocd64(unsigned char *b, size_t *n) { b[find_sig(b, *n, "PK\x06\x06", 0)] = 'Q'; }
static void crc_in_cd(unsigned char *b, size_t *n) {
    b[find_sig(b, *n, "PK\x01\x02", 0) + 16] ^= 1;
}

static void test_corrupt_archives(void **state) {
    (void)state;
    static const struct {
        const char *file;
        patch_fn patch;
        int at_read; /* 1: open succeeds, reading 'x' fails */
        nnq_status want;
        const char *needle;
    } cases[] = {
        {"stored.npz", flip_data, 1, NNQ_STATUS_INVALID_FORMAT, "CRC-32 mismatch"},
        {"deflated.npz", flip_deflated, 1, NNQ_STATUS_INVALID_FORMAT, "m.npz:x.npy"},
        {"stored.npz", drop_last, 0, NNQ_STATUS_INVALID_FORMAT, "no end of central directory"},
        {"stored.npz", set_encrypted, 0, NNQ_STATUS_UNSUPPORTED, "encrypted"},
        {"stored.npz", set_bzip2, 0, NNQ_STATUS_UNSUPPORTED, "method 12"},
        {"stored.npz", rename_local, 0, NNQ_STATUS_INVALID_FORMAT, "different member"},
        {"stored.npz", rename_both, 0, NNQ_STATUS_INVALID_FORMAT, "duplicate member 'x'"},
        {"stored.npz", more_entries, 0, NNQ_STATUS_INVALID_FORMAT, "inconsistent"},
        {"stored.npz", bad_cd_offset, 0, NNQ_STATUS_INVALID_FORMAT, "inconsistent"},
        {"stored.npz", multi_disk, 0, NNQ_STATUS_UNSUPPORTED, "multi-disk"},
        {"stored.npz", crc_in_cd, 0, NNQ_STATUS_INVALID_FORMAT, "differ from the central"},
        {"zip64.npz", break_locator, 0, NNQ_STATUS_INVALID_FORMAT,
         "ZIP64 end of central directory locator"},
        {"zip64.npz", break_eocd64, 0, NNQ_STATUS_INVALID_FORMAT,
         "bad ZIP64 end of central directory"},
        {"zip64.npz", drop_last, 0, NNQ_STATUS_INVALID_FORMAT, "no end of central directory"},
        {"f4_2x3.npy", NULL, 0, NNQ_STATUS_INVALID_FORMAT, "not a zip"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[512];
        size_t n;
        snprintf(path, sizeof path, IO_DATA "%s", cases[c].file);
        unsigned char *b = io_test_slurp(path, &n);
        if (cases[c].patch) cases[c].patch(b, &n);
        nnq_npz *z = NULL;
        nnq_status s = nnq_npz_open_memory(b, n, "m.npz", NULL, &z);
        if (cases[c].at_read) {
            if (s) fail_msg("case %zu: open failed: %s", c, nnq_last_error());
            nnq_tensor *t = NULL;
            NNQ_ASSERT_FAILS(nnq_npz_read(z, "x", &t), cases[c].want, cases[c].needle);
            assert_null(t);
            {
                nnq_tensor *y;
                NNQ_ASSERT_OK(nnq_npz_read(z, "y", &y)); /* other members stay readable */
                nnq_tensor_free(y);
            }
            nnq_npz_close(z);
        } else {
            NNQ_ASSERT_FAILS(s, cases[c].want, cases[c].needle);
            assert_non_null(strstr(nnq_last_error(), "m.npz"));
            assert_null(z);
        }
        free(b);
    }
}

/* Two central entries sharing one local header: the overlap behind
 * non-recursive zip bombs. */
static void test_overlapping_members(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/o.npz", dir);
    nnq_tensor *a = make_tensor(NNQ_DTYPE_UINT8, 64, 3);
    write_archive(p, NNQ_NPZ_STORED, a, a);
    size_t n;
    unsigned char *b = io_test_slurp(p, &n);
    size_t cd1 = find_sig(b, n, "PK\x01\x02", 1);
    b[cd1 + 46] = 'a';          /* name "a.npy", like the first member */
    memset(b + cd1 + 42, 0, 4); /* local header offset 0 */
    nnq_npz *z = NULL;
    NNQ_ASSERT_FAILS(nnq_npz_open_memory(b, n, "o.npz", NULL, &z), NNQ_STATUS_INVALID_FORMAT,
                     "overlap");
    free(b);
    nnq_tensor_free(a);
    nnq_test_rmdir(dir);
}

static void test_limits(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/big.npz", dir);
    int64_t d = 2 << 20;
    nnq_tensor *zeros;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_UINT8, 1, &d, &zeros));
    write_archive(p, NNQ_NPZ_DEFLATE, zeros, zeros);
    nnq_npz *z = NULL;
    /* Defaults accept honest deflate even at its best ratio (~1030:1). */
    NNQ_ASSERT_OK(nnq_npz_open(p, NULL, &z));
    nnq_tensor *t;
    NNQ_ASSERT_OK(nnq_npz_read(z, "b", &t));
    assert_int_equal(t->numel, (size_t)d);
    nnq_tensor_free(t);
    nnq_npz_close(z);
    static const struct {
        nnq_npz_limits lim;
        const char *needle;
    } cases[] = {
        {{1, 0, 0, 0}, "2 members, over the limit of 1"},
        {{0, 1000, 0, 0}, "over the 1000-byte limit"},
        {{0, 0, (2 << 20) + 200, 0}, "total limit"},
        {{0, 0, 0, 100}, "100:1 limit"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        NNQ_ASSERT_FAILS(nnq_npz_open(p, &cases[c].lim, &z), NNQ_STATUS_LIMIT_EXCEEDED,
                         cases[c].needle);
    assert_null(z);
    NNQ_ASSERT_FAILS(nnq_npz_open(IO_DATA "nope.npz", NULL, &z), NNQ_STATUS_NOT_FOUND, "nope.npz");
    nnq_tensor_free(zeros);
    nnq_test_rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_numpy_archives),
        cmocka_unit_test(test_names_are_keys),
        cmocka_unit_test(test_write_round_trip),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_corrupt_archives),
        cmocka_unit_test(test_overlapping_members),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
