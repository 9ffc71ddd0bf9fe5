/* test_alloc.c - allocator hooks, overflow-checked sizes, tensors. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "internal.h"

static int n_malloc, n_free, n_aligned, n_aligned_free;

static void *count_malloc(void *ctx, size_t n) {
    (void)ctx;
    n_malloc++;
    return malloc(n);
}
static void count_free(void *ctx, void *p) {
    (void)ctx;
    n_free++;
    free(p);
}
static void *count_aligned(void *ctx, size_t a, size_t n) {
    (void)ctx;
    void *p = NULL;
    n_aligned++;
    return posix_memalign(&p, a, n) ? NULL : p;
}
static void count_aligned_free(void *ctx, void *p) {
    (void)ctx;
    n_aligned_free++;
    free(p);
}

static void test_custom_allocator_is_used(void **state) {
    (void)state;
    nnq_allocator a = {count_malloc, NULL, count_free, count_aligned, count_aligned_free, NULL};
    nnq_set_allocator(&a);
    int64_t dims[2] = {3, 5};
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 2, dims, &t));
    nnq_tensor_free(t);
    nnq_set_allocator(NULL);
    assert_int_equal(n_malloc, 1); /* the struct */
    assert_int_equal(n_free, 1);
    assert_int_equal(n_aligned, 1); /* the data */
    assert_int_equal(n_aligned_free, 1);
}

static void test_size_helpers(void **state) {
    (void)state;
    size_t r = 7;
    assert_true(nnq_size_mul(3, 5, &r) && r == 15);
    assert_false(nnq_size_mul(SIZE_MAX / 2 + 1, 2, &r));
    assert_int_equal(r, 15); /* unchanged on overflow */
    assert_true(nnq_size_add(SIZE_MAX - 1, 1, &r) && r == SIZE_MAX);
    assert_false(nnq_size_add(SIZE_MAX, 1, &r));
    int64_t ok[3] = {2, 3, 4}, neg[2] = {2, -1}, huge[3] = {INT64_MAX, INT64_MAX, 2};
    assert_true(nnq_size_product(ok, 3, &r) && r == 24);
    assert_true(nnq_size_product(ok, 0, &r) && r == 1);
    assert_false(nnq_size_product(neg, 2, &r));
    assert_false(nnq_size_product(huge, 3, &r));
    assert_null(nnq_calloc(SIZE_MAX / 4, 8));
}

static void test_aligned_alloc(void **state) {
    (void)state;
    for (size_t a = sizeof(void *); a <= 4096; a *= 2) {
        void *p = nnq_aligned_alloc(a, 100);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % a, 0);
        nnq_aligned_free(p);
    }
    assert_null(nnq_aligned_alloc(48, 10)); /* not a power of two */
    assert_null(nnq_aligned_alloc(2, 10));  /* below sizeof(void*) */
    nnq_free(NULL);
    nnq_aligned_free(NULL);
}

static void test_allocation_failure_is_reported(void **state) {
    (void)state;
    int64_t dims[1] = {10};
    nnq_tensor *t = (nnq_tensor *)1;
    nnq_test_alloc_fail_after(1); /* struct succeeds, data fails */
    NNQ_ASSERT_FAILS(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 1, dims, &t), NNQ_STATUS_OUT_OF_MEMORY,
                     "cannot allocate 40 bytes");
    assert_null(t);
    nnq_test_alloc_fail_after(0);
    NNQ_ASSERT_FAILS(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 1, dims, &t), NNQ_STATUS_OUT_OF_MEMORY, NULL);
    nnq_test_alloc_fail_after(-1);
}

static void test_dtype_traits(void **state) {
    (void)state;
    static const struct {
        nnq_dtype t;
        const char *name;
        size_t bits;
        size_t n, bytes;
    } cases[] = {
        {NNQ_DTYPE_FLOAT32, "float32", 32, 3, 12},   {NNQ_DTYPE_INT4, "int4", 4, 5, 3},
        {NNQ_DTYPE_UINT4, "uint4", 4, 4, 2},         {NNQ_DTYPE_FLOAT4E2M1, "float4e2m1", 4, 1, 1},
        {NNQ_DTYPE_INT8, "int8", 8, 7, 7},           {NNQ_DTYPE_BFLOAT16, "bfloat16", 16, 2, 4},
        {NNQ_DTYPE_FLOAT8E4M3FN, "float8e4m3fn", 8, 2, 2}, {NNQ_DTYPE_INT64, "int64", 64, 2, 16},
        {NNQ_DTYPE_INT4, "int4", 4, 0, 0},
    };
    for (size_t i = 0; i < NNQ_ARRAY_LEN(cases); i++) {
        size_t bytes = 0;
        assert_string_equal(nnq_dtype_name(cases[i].t), cases[i].name);
        assert_int_equal(nnq_dtype_bits(cases[i].t), cases[i].bits);
        assert_true(nnq_dtype_storage_size(cases[i].t, cases[i].n, &bytes));
        assert_int_equal(bytes, cases[i].bytes);
        nnq_dtype back;
        NNQ_ASSERT_OK(nnq_dtype_from_name(cases[i].name, &back));
        assert_int_equal(back, cases[i].t);
    }
    nnq_dtype d;
    NNQ_ASSERT_FAILS(nnq_dtype_from_name("float33", &d), NNQ_STATUS_UNKNOWN_NAME, "'float33'");
    size_t b;
    assert_false(nnq_dtype_storage_size(NNQ_DTYPE_STRING, 3, &b));
    assert_false(nnq_dtype_storage_size(NNQ_DTYPE_INT64, SIZE_MAX / 4, &b));
}

static void test_tensor_create_and_wrap(void **state) {
    (void)state;
    int64_t dims[3] = {2, 3, 5};
    nnq_tensor *t = NULL;
    NNQ_ASSERT_OK(nnq_tensor_create(NNQ_DTYPE_INT4, 3, dims, &t));
    assert_int_equal(t->numel, 30);
    assert_int_equal(t->nbytes, 15);
    assert_int_equal((uintptr_t)t->data % 64, 0);
    for (size_t i = 0; i < t->nbytes; i++) assert_int_equal(((uint8_t *)t->data)[i], 0);
    char buf[64];
    assert_string_equal(nnq_shape_str(t->ndim, t->dims, buf, sizeof buf), "[2, 3, 5]");
    assert_string_equal(nnq_shape_str(0, NULL, buf, sizeof buf), "[]");
    nnq_tensor_free(t);

    float data[6] = {0};
    int64_t d2[2] = {2, 3};
    NNQ_ASSERT_OK(nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 2, d2, data, sizeof data, &t));
    assert_ptr_equal(t->data, data);
    nnq_tensor_free(t); /* must not free data */
    NNQ_ASSERT_FAILS(nnq_tensor_wrap(NNQ_DTYPE_FLOAT32, 2, d2, data, 20, &t), NNQ_STATUS_SHAPE_MISMATCH,
                     "20 bytes given, shape and type need 24");
    int64_t bad[2] = {2, -3};
    NNQ_ASSERT_FAILS(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 2, bad, &t), NNQ_STATUS_INVALID_ARGUMENT,
                     "dim 1 is negative (-3)");
    NNQ_ASSERT_FAILS(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 9, dims, &t), NNQ_STATUS_INVALID_ARGUMENT,
                     "rank 9 outside [0, 8]");
    NNQ_ASSERT_FAILS(nnq_tensor_create(NNQ_DTYPE_STRING, 1, dims, &t), NNQ_STATUS_UNSUPPORTED,
                     "'string'");
    int64_t huge[2] = {INT64_MAX / 2, 4};
    NNQ_ASSERT_FAILS(nnq_tensor_create(NNQ_DTYPE_FLOAT32, 2, huge, &t), NNQ_STATUS_SIZE_OVERFLOW, NULL);
    nnq_tensor_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_custom_allocator_is_used),
        cmocka_unit_test(test_size_helpers),
        cmocka_unit_test(test_aligned_alloc),
        cmocka_unit_test(test_allocation_failure_is_reported),
        cmocka_unit_test(test_dtype_traits),
        cmocka_unit_test(test_tensor_create_and_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
