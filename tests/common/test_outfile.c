/* test_outfile.c - atomic output: success, simulated failures, same-file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "internal.h"

static char *path_in(const char *dir, const char *name) {
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static void test_write_and_replace(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *out = path_in(dir, "model.onnx");
    NNQ_ASSERT_OK(nnq_write_file_atomic(out, "first", 5, NULL, 0));
    char *got = slurp(out);
    assert_string_equal(got, "first");
    free(got);
    nnq_outfile *f = NULL;
    NNQ_ASSERT_OK(nnq_outfile_open(out, NULL, 0, &f));
    NNQ_ASSERT_OK(nnq_outfile_write(f, "sec", 3));
    NNQ_ASSERT_OK(nnq_outfile_printf(f, "ond %d", 2));
    /* Until commit, the old content stays and a temporary file exists. */
    got = slurp(out);
    assert_string_equal(got, "first");
    free(got);
    assert_int_equal(nnq_test_count_entries(dir), 2);
    NNQ_ASSERT_OK(nnq_outfile_commit(f));
    got = slurp(out);
    assert_string_equal(got, "second 2");
    free(got);
    assert_int_equal(nnq_test_count_entries(dir), 1);
    /* Permissions follow the umask like a plain fopen would, not 0600. */
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    free(out);
    nnq_test_rmdir(dir);
}

static void test_printf_long_output(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *out = path_in(dir, "long.txt");
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nnq_outfile *f = NULL;
    NNQ_ASSERT_OK(nnq_outfile_open(out, NULL, 0, &f));
    NNQ_ASSERT_OK(nnq_outfile_printf(f, "%s|", big));
    NNQ_ASSERT_OK(nnq_outfile_commit(f));
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_size, (off_t)sizeof big);
    free(out);
    nnq_test_rmdir(dir);
}

/* Each failure stage: the destination keeps its old bytes, no temporary
 * file is left behind, and the status names the file. */
static void test_failures_leave_destination_intact(void **state) {
    (void)state;
    static const struct {
        int stage;
        const char *needle;
    } stages[] = {{NNQ_FAULT_WRITE, "writing"}, {NNQ_FAULT_FSYNC, "syncing"},
                  {NNQ_FAULT_RENAME, "renaming"}};
    for (size_t k = 0; k < NNQ_ARRAY_LEN(stages); k++) {
        char *dir = nnq_test_tmpdir();
        char *out = path_in(dir, "out.bin");
        spit(out, "old");
        nnq_outfile *f = NULL;
        NNQ_ASSERT_OK(nnq_outfile_open(out, NULL, 0, &f));
        nnq_test_fault_set(stages[k].stage, 0);
        nnq_status s = nnq_outfile_write(f, "new data", 8);
        if (stages[k].stage == NNQ_FAULT_WRITE) {
            NNQ_ASSERT_FAILS(s, NNQ_STATUS_IO_ERROR, "out.bin");
            /* later writes keep failing; commit reports it and cleans up */
            assert_int_equal(nnq_outfile_write(f, "x", 1), NNQ_STATUS_IO_ERROR);
        } else {
            NNQ_ASSERT_OK(s);
        }
        NNQ_ASSERT_FAILS(nnq_outfile_commit(f), NNQ_STATUS_IO_ERROR, stages[k].needle);
        nnq_test_fault_set(stages[k].stage, -1);
        char *got = slurp(out);
        assert_string_equal(got, "old");
        free(got);
        assert_int_equal(nnq_test_count_entries(dir), 1);
        free(out);
        nnq_test_rmdir(dir);
    }
}

static void test_failure_without_previous_file_leaves_nothing(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *out = path_in(dir, "fresh.bin");
    nnq_test_fault_set(NNQ_FAULT_WRITE, 1); /* second write fails */
    nnq_outfile *f = NULL;
    NNQ_ASSERT_OK(nnq_outfile_open(out, NULL, 0, &f));
    NNQ_ASSERT_OK(nnq_outfile_write(f, "a", 1));
    NNQ_ASSERT_FAILS(nnq_outfile_write(f, "b", 1), NNQ_STATUS_IO_ERROR, "fresh.bin");
    nnq_outfile_abort(f);
    nnq_test_fault_set(NNQ_FAULT_WRITE, -1);
    assert_int_equal(nnq_test_count_entries(dir), 0);
    nnq_outfile_abort(NULL);
    free(out);
    nnq_test_rmdir(dir);
}

static void test_directory_sync_failure_is_reported(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *out = path_in(dir, "d.bin");
    nnq_test_fault_set(NNQ_FAULT_DIRSYNC, 0);
    NNQ_ASSERT_FAILS(nnq_write_file_atomic(out, "z", 1, NULL, 0), NNQ_STATUS_IO_ERROR,
                     "syncing directory");
    nnq_test_fault_set(NNQ_FAULT_DIRSYNC, -1);
    /* The rename happened (documented): data in place, no temporary left. */
    assert_int_equal(nnq_test_count_entries(dir), 1);
    free(out);
    nnq_test_rmdir(dir);
}

static void test_refuses_to_overwrite_an_input(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    char *in = path_in(dir, "in.onnx");
    char *sym = path_in(dir, "alias.onnx");
    char *hard = path_in(dir, "hard.onnx");
    spit(in, "precious");
    assert_int_equal(symlink(in, sym), 0);
    assert_int_equal(link(in, hard), 0);
    const char *inputs[] = {"unrelated-missing-file", in};
    const char *targets[] = {in, sym, hard};
    for (size_t k = 0; k < 3; k++) {
        nnq_outfile *f = (nnq_outfile *)1;
        NNQ_ASSERT_FAILS(nnq_outfile_open(targets[k], inputs, 2, &f), NNQ_STATUS_SAME_FILE,
                         "same file as input");
        assert_null(f);
    }
    char *got = slurp(in);
    assert_string_equal(got, "precious");
    free(got);
    assert_true(nnq_same_file(in, sym));
    assert_false(nnq_same_file(in, "/nonexistent/x"));
    free(in);
    free(sym);
    free(hard);
    nnq_test_rmdir(dir);
}

static void test_bad_destinations(void **state) {
    (void)state;
    char *dir = nnq_test_tmpdir();
    nnq_outfile *f = NULL;
    NNQ_ASSERT_FAILS(nnq_outfile_open(dir, NULL, 0, &f), NNQ_STATUS_INVALID_ARGUMENT, "is a directory");
    NNQ_ASSERT_FAILS(nnq_outfile_open("", NULL, 0, &f), NNQ_STATUS_INVALID_ARGUMENT, "empty output path");
    char *missing = path_in(dir, "no/such/dir/out.bin");
    NNQ_ASSERT_FAILS(nnq_outfile_open(missing, NULL, 0, &f), NNQ_STATUS_IO_ERROR, "no/such/dir");
    assert_int_equal(nnq_test_count_entries(dir), 0);
    free(missing);
    nnq_test_rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_replace),
        cmocka_unit_test(test_printf_long_output),
        cmocka_unit_test(test_failures_leave_destination_intact),
        cmocka_unit_test(test_failure_without_previous_file_leaves_nothing),
        cmocka_unit_test(test_directory_sync_failure_is_reported),
        cmocka_unit_test(test_refuses_to_overwrite_an_input),
        cmocka_unit_test(test_bad_destinations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
