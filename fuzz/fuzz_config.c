/*
 * fuzz_config.c - config parser (YAML and JSON) on arbitrary bytes: never
 * crashes, and whatever loads dumps to a canonical form that reloads to the
 * same dump and resolves sites without error.
 *   build-fuzz/fuzz/fuzz_config -max_total_time=120 fuzz/corpus/config
 */
#include <stdlib.h>
#include <string.h>

#include "nnq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const char *text, size_t len, nnq_config_format fmt) {
    nnq_config *cfg = NULL;
    if (nnq_config_load_string(text, len, fmt, "fuzz", &cfg) != NNQ_STATUS_OK) return;
    char *dump = NULL;
    if (nnq_config_dump(cfg, &dump) != NNQ_STATUS_OK) __builtin_trap();
    nnq_config *again = NULL;
    if (nnq_config_load_string(dump, strlen(dump), NNQ_CONFIG_FORMAT_JSON, "dump", &again) !=
        NNQ_STATUS_OK)
        __builtin_trap();
    char *dump2 = NULL;
    if (nnq_config_dump(again, &dump2) != NNQ_STATUS_OK || strcmp(dump, dump2) != 0)
        __builtin_trap();
    static const nnq_config_site sites[] = {
        {"conv1.weight_quantizer", "Conv", "conv1", 0},
        {"conv1.input_quantizer", "Conv", "conv1", NNQ_CONFIG_SITE_GRAPH_INPUT},
        {"fc.output_quantizer", "Gemm", "fc", 0},
    };
    for (size_t i = 0; i < 3; i++) {
        char *desc = NULL;
        /* A cross-attribute rule may reject a site; it must not crash. */
        (void)nnq_config_describe(cfg, &sites[i], &desc);
        nnq_free(desc);
    }
    char *report = NULL;
    size_t unmatched = 0;
    if (nnq_config_check_sites(cfg, sites, 3, &unmatched, &report) != NNQ_STATUS_OK)
        __builtin_trap();
    nnq_free(report);
    nnq_free(dump2);
    nnq_free(dump);
    nnq_config_free(again);
    nnq_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_one((const char *)data, size, NNQ_CONFIG_FORMAT_YAML);
    check_one((const char *)data, size, NNQ_CONFIG_FORMAT_JSON);
    return 0;
}
