/* cmd_info.c - `nnq info`: version, build and machine facts. */
#include <getopt.h>

#include "cli.h"

static void info_help(FILE *out) {
    fputs("Usage: nnq info [--threads N]\n"
          "\n"
          "Print nnq's version, the CPU features its kernels will use, and the\n"
          "thread count.  A quick check that the installation works.\n"
          "\n"
          "Options:\n"
          "  -t, --threads N   threads to report (default: NNQ_NUM_THREADS or all CPUs)\n"
          "  -h, --help        show this help\n"
          "\n"
          "Environment:\n"
          "  NNQ_NUM_THREADS   default thread count\n"
          "  NNQ_FORCE_SCALAR  1 forces the scalar reference kernels\n",
          out);
}

static int info_run(int argc, char **argv) {
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    size_t threads = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!nnq_cli_parse_size("info", "--threads", optarg, 1, 1024, &threads))
                return NNQ_EXIT_USAGE;
            break;
        case 'h': info_help(stdout); return NNQ_EXIT_OK;
        case ':': return nnq_cli_usage_error("info", "option '%s' needs a value", argv[optind - 1]);
        default: return nnq_cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return nnq_cli_usage_error("info", "unexpected argument '%s'", argv[optind]);
    nnq_pool *pool = NULL;
    nnq_status s = nnq_pool_create(threads, &pool);
    if (s) return nnq_cli_fail("info", s);
    char det[128], used[128];
    printf("nnq %s\n", nnq_version());
    printf("cpu features: %s\n", nnq_cpu_features_str(nnq_cpu_detected(), det, sizeof det));
    printf("kernels use:  %s\n", nnq_cpu_features_str(nnq_cpu_features(), used, sizeof used));
    printf("threads:      %zu\n", nnq_pool_threads(pool));
    nnq_pool_free(pool);
    return NNQ_EXIT_OK;
}

const nnq_cli_command nnq_cmd_info = {"info", "print version, CPU features and thread count",
                                      info_run, info_help};
