/* namemap.c - open-addressing hash map from borrowed C strings to indices. */
#include <string.h>

#include "graph/ir.h"

struct nnq_name_map {
    const char **keys; /* NULL marks an empty slot */
    size_t *values;
    size_t cap; /* power of two */
    size_t count;
};

/* FNV-1a: short keys, no adversarial concern beyond O(n) probing, which the
 * load factor bound keeps cheap. */
static size_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static nnq_status map_alloc(nnq_name_map *m, size_t cap) {
    m->keys = nnq_calloc(cap, sizeof *m->keys);
    m->values = nnq_calloc(cap, sizeof *m->values);
    if (!m->keys || !m->values) {
        nnq_free(m->keys);
        nnq_free(m->values);
        m->keys = NULL;
        m->values = NULL;
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "name map: cannot allocate %zu slots", cap);
    }
    m->cap = cap;
    return NNQ_STATUS_OK;
}

nnq_status nnq_name_map_create(size_t expected, nnq_name_map **out) {
    *out = NULL;
    size_t cap = 16;
    while (cap / 2 < expected) {
        if (cap > SIZE_MAX / 4)
            return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "name map: %zu entries is too many",
                             expected);
        cap *= 2;
    }
    nnq_name_map *m = nnq_calloc(1, sizeof *m);
    if (!m) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "name map: out of memory");
    nnq_status s = map_alloc(m, cap);
    if (s) {
        nnq_free(m);
        return s;
    }
    *out = m;
    return NNQ_STATUS_OK;
}

void nnq_name_map_free(nnq_name_map *m) {
    if (!m) return;
    nnq_free(m->keys);
    nnq_free(m->values);
    nnq_free(m);
}

static size_t find_slot(const nnq_name_map *m, const char *key) {
    size_t mask = m->cap - 1, i = hash_str(key) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & mask;
    return i;
}

static nnq_status grow(nnq_name_map *m) {
    nnq_name_map old = *m;
    if (old.cap > SIZE_MAX / 4)
        return nnq_error(NNQ_STATUS_SIZE_OVERFLOW, "name map: too many entries");
    NNQ_TRY(map_alloc(m, old.cap * 2));
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i]) continue;
        size_t j = find_slot(m, old.keys[i]);
        m->keys[j] = old.keys[i];
        m->values[j] = old.values[i];
    }
    nnq_free(old.keys);
    nnq_free(old.values);
    return NNQ_STATUS_OK;
}

nnq_status nnq_name_map_put(nnq_name_map *m, const char *key, size_t value, bool *existed,
                            size_t *existing) {
    if (existed) *existed = false;
    size_t i = find_slot(m, key);
    if (m->keys[i]) {
        if (existed) *existed = true;
        if (existing) *existing = m->values[i];
        return NNQ_STATUS_OK;
    }
    if ((m->count + 1) * 4 > m->cap * 3) {
        NNQ_TRY(grow(m));
        i = find_slot(m, key);
    }
    m->keys[i] = key;
    m->values[i] = value;
    m->count++;
    return NNQ_STATUS_OK;
}

bool nnq_name_map_get(const nnq_name_map *m, const char *key, size_t *value) {
    size_t i = find_slot(m, key);
    if (!m->keys[i]) return false;
    if (value) *value = m->values[i];
    return true;
}
