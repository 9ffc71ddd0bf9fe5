/* alloc.c - caller-replaceable allocator and overflow-checked helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void *default_malloc(void *ctx, size_t size) {
    NNQ_UNUSED(ctx);
    return malloc(size);
}
static void *default_realloc(void *ctx, void *p, size_t size) {
    NNQ_UNUSED(ctx);
    return realloc(p, size);
}
static void default_free(void *ctx, void *p) {
    NNQ_UNUSED(ctx);
    free(p);
}
static void *default_aligned_alloc(void *ctx, size_t alignment, size_t size) {
    NNQ_UNUSED(ctx);
    void *p = NULL;
    if (posix_memalign(&p, alignment, size ? size : 1) != 0) return NULL;
    return p;
}

static nnq_allocator g_alloc = {default_malloc, default_realloc, default_free,
                                default_aligned_alloc, default_free, NULL};

/* Test hook: fail the n-th next allocation (0 = the next one). */
static _Thread_local long g_fail_after = -1;

void nnq_test_alloc_fail_after(long n) { g_fail_after = n; }

static bool inject_failure(void) {
    if (g_fail_after < 0) return false;
    if (g_fail_after == 0) {
        g_fail_after = -1;
        return true;
    }
    g_fail_after--;
    return false;
}

void nnq_set_allocator(const nnq_allocator *a) {
    nnq_allocator d = {default_malloc, default_realloc, default_free, default_aligned_alloc,
                       default_free, NULL};
    if (a) {
        if (a->malloc_fn) d.malloc_fn = a->malloc_fn;
        if (a->realloc_fn) d.realloc_fn = a->realloc_fn;
        if (a->free_fn) d.free_fn = a->free_fn;
        if (a->aligned_alloc_fn) d.aligned_alloc_fn = a->aligned_alloc_fn;
        if (a->aligned_free_fn) d.aligned_free_fn = a->aligned_free_fn;
        d.ctx = a->ctx;
    }
    g_alloc = d;
}

void *nnq_malloc(size_t size) {
    if (inject_failure()) return NULL;
    return g_alloc.malloc_fn(g_alloc.ctx, size ? size : 1);
}

void *nnq_calloc(size_t count, size_t size) {
    size_t total;
    if (!nnq_size_mul(count, size, &total)) return NULL;
    void *p = nnq_malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

void *nnq_realloc(void *ptr, size_t size) {
    if (inject_failure()) return NULL;
    return g_alloc.realloc_fn(g_alloc.ctx, ptr, size ? size : 1);
}

void nnq_free(void *ptr) {
    if (ptr) g_alloc.free_fn(g_alloc.ctx, ptr);
}

void *nnq_aligned_alloc(size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return NULL;
    if (inject_failure()) return NULL;
    return g_alloc.aligned_alloc_fn(g_alloc.ctx, alignment, size ? size : 1);
}

void nnq_aligned_free(void *ptr) {
    if (ptr) g_alloc.aligned_free_fn(g_alloc.ctx, ptr);
}

bool nnq_size_product(const int64_t *dims, size_t n, size_t *out) {
    size_t p = 1;
    for (size_t i = 0; i < n; i++) {
        if (dims[i] < 0) return false;
        if ((uint64_t)dims[i] > SIZE_MAX) return false;
        if (!nnq_size_mul(p, (size_t)dims[i], &p)) return false;
    }
    *out = p;
    return true;
}
