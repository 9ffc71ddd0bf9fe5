/* roundtrip_tool.c - load an ONNX model with nnq and save it again, for
 * check_onnx_roundtrip.py.  Usage: roundtrip_tool IN OUT [THRESHOLD]
 * [--fold]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnq.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s IN OUT [EXTERNAL_THRESHOLD] [--fold]\n", argv[0]);
        return 2;
    }
    nnq_graph *g = NULL;
    nnq_status s = nnq_graph_load(argv[1], NULL, &g);
    nnq_graph_save_options opt = {(const char *const *)&argv[1], 1, 0};
    for (int i = 3; i < argc && !s; i++) {
        if (!strcmp(argv[i], "--fold"))
            s = nnq_graph_fold_batchnorm(g, NULL);
        else
            opt.external_threshold = strtoull(argv[i], NULL, 10);
    }
    if (!s) s = nnq_graph_save(g, argv[2], &opt);
    nnq_graph_free(g);
    if (s) {
        fprintf(stderr, "roundtrip_tool: %s: %s\n", nnq_status_name(s), nnq_last_error());
        return 1;
    }
    return 0;
}
