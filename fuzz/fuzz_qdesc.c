/*
 * fuzz_qdesc.c - quantization descriptor parsers (JSON and YAML) on arbitrary
 * bytes: never crash, and whatever parses is valid and survives a JSON and a
 * YAML round trip unchanged.
 *   build-fuzz/fuzz/fuzz_qdesc -max_total_time=120
 */
#include <stdlib.h>
#include <string.h>

#include "nnq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const nnq_qdesc *d) {
    nnq_qdesc back;
    char *s = NULL;
    if (nnq_qdesc_validate(d) != NNQ_STATUS_OK) __builtin_trap();
    if (nnq_qdesc_to_json(d, &s) != NNQ_STATUS_OK || nnq_qdesc_from_json(s, &back) != NNQ_STATUS_OK ||
        !nnq_qdesc_equal(d, &back))
        __builtin_trap();
    nnq_free(s);
    if (nnq_qdesc_to_yaml(d, &s) != NNQ_STATUS_OK || nnq_qdesc_from_yaml(s, &back) != NNQ_STATUS_OK ||
        !nnq_qdesc_equal(d, &back))
        __builtin_trap();
    nnq_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    nnq_qdesc d;
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (nnq_qdesc_from_json(text, &d) == NNQ_STATUS_OK) roundtrip(&d);
    if (nnq_qdesc_from_yaml(text, &d) == NNQ_STATUS_OK) roundtrip(&d);
    free(text);
    return 0;
}
