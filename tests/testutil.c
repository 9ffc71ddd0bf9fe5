/* testutil.c - shared helpers for nnq's cmocka tests. */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void nnq_test_assert_fails(nnq_status got, nnq_status want, const char *needle, const char *expr,
                           const char *file, int line) {
    if (got != want)
        fail_msg("%s:%d: %s returned %s, expected %s (message: %s)", file, line, expr,
                 nnq_status_name(got), nnq_status_name(want), nnq_last_error());
    const char *msg = nnq_last_error();
    if (msg[0] == '\0') fail_msg("%s:%d: %s failed without a message", file, line, expr);
    if (needle && !strstr(msg, needle))
        fail_msg("%s:%d: %s: message '%s' does not mention '%s'", file, line, expr, msg, needle);
}

uint64_t nnq_test_seed(void) {
    static int printed;
    uint64_t seed = 20261123;
    const char *env = getenv("NNQ_TEST_SEED");
    if (env && *env) seed = strtoull(env, NULL, 0);
    if (!printed) {
        fprintf(stderr, "[ seed ] NNQ_TEST_SEED=%llu\n", (unsigned long long)seed);
        printed = 1;
    }
    return seed;
}

char *nnq_test_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    char *tmpl;
    if (!base || !*base) base = "/tmp";
    if (asprintf(&tmpl, "%s/nnq-test-XXXXXX", base) < 0) return NULL;
    if (!mkdtemp(tmpl)) {
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void nnq_test_rmdir(char *dir) {
    if (!dir) return;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

int nnq_test_count_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

int nnq_test_same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }
