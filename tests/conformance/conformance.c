/*
 * conformance.c - run ONNX's backend test suite (Debian's libonnx-testdata)
 * through nnq's executor.
 *
 *   nnq_conformance ROOT SKIPS [FILTER]
 *
 * ROOT holds node/, pytorch-converted/, pytorch-operator/ and simple/, each
 * test a directory with model.onnx and test_data_set_N/{input,output}_M.pb.
 * A test is skipped (with a reason, grouped in the summary) when the model
 * uses an op nnq does not implement, or nnq_exec_create refuses it as
 * unsupported (types, attributes).  Supported tests must match the expected
 * outputs within rtol 1e-3, atol 1e-7 (onnx/backend/test defaults); a
 * failing test fails the run unless SKIPS lists it ("name reason" lines).
 * FILTER, when given, runs only tests whose name contains it.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nnq.h"

#define RTOL 1e-3
#define ATOL 1e-7
#define MAX_REASONS 512
#define MAX_SKIPS 1024

typedef struct reason {
    char *text;
    int count;
    char example[96];
} reason;

typedef struct runner {
    reason reasons[MAX_REASONS];
    int n_reasons;
    char *skip_names[MAX_SKIPS];
    int n_skip_names;
    bool *skip_used;
    int passed, failed, skipped, expected_fail;
    bool verbose;
} runner;

static void add_reason(runner *r, const char *text, const char *test) {
    r->skipped++;
    for (int i = 0; i < r->n_reasons; i++)
        if (strcmp(r->reasons[i].text, text) == 0) {
            r->reasons[i].count++;
            return;
        }
    if (r->n_reasons == MAX_REASONS) return;
    reason *x = &r->reasons[r->n_reasons++];
    x->text = strdup(text);
    x->count = 1;
    snprintf(x->example, sizeof x->example, "%s", test);
}

static int listed(runner *r, const char *name) {
    for (int i = 0; i < r->n_skip_names; i++)
        if (strcmp(r->skip_names[i], name) == 0) return i;
    return -1;
}

static void load_skips(runner *r, const char *path) {
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f) return;
    while (fgets(line, sizeof line, f) && r->n_skip_names < MAX_SKIPS) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || !*p) continue;
        size_t n = strcspn(p, " \t\n");
        r->skip_names[r->n_skip_names++] = strndup(p, n);
    }
    fclose(f);
    r->skip_used = calloc((size_t)r->n_skip_names + 1, 1);
}

/* dir + "/" + name into out; false (and "") when it does not fit. */
static bool join(char *out, size_t cap, const char *dir, const char *name) {
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return false;
    }
    return true;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of dir starting with prefix (NULL: all but dot files). */
static char **list_dir(const char *dir, const char *prefix, size_t *n) {
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d) return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (prefix && strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            v = realloc(v, cap * sizeof *v);
        }
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* input_10.pb sorts after input_2.pb: order by the number. */
static int pb_index(const char *name) {
    const char *u = strrchr(name, '_');
    return u ? atoi(u + 1) : 0;
}

static int cmp_pb(const void *a, const void *b) {
    return pb_index(*(char *const *)a) - pb_index(*(char *const *)b);
}

static double half_to_double(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0    ? ldexp(m, -24)
               : e == 31 ? (m ? (double)NAN : (double)INFINITY)
                         : ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

static double as_double(const nnq_tensor *t, size_t i) {
    switch (t->dtype) {
    case NNQ_DTYPE_FLOAT16: return half_to_double(((const uint16_t *)t->data)[i]);
    case NNQ_DTYPE_BFLOAT16: {
        uint32_t u = (uint32_t)((const uint16_t *)t->data)[i] << 16;
        float f;
        memcpy(&f, &u, sizeof f);
        return (double)f;
    }
    case NNQ_DTYPE_FLOAT32: return (double)((const float *)t->data)[i];
    case NNQ_DTYPE_FLOAT64: return ((const double *)t->data)[i];
    case NNQ_DTYPE_INT64: return (double)((const int64_t *)t->data)[i];
    case NNQ_DTYPE_INT32: return (double)((const int32_t *)t->data)[i];
    case NNQ_DTYPE_INT8: return (double)((const int8_t *)t->data)[i];
    case NNQ_DTYPE_UINT8:
    case NNQ_DTYPE_BOOL: return (double)((const uint8_t *)t->data)[i];
    case NNQ_DTYPE_INT16: return (double)((const int16_t *)t->data)[i];
    case NNQ_DTYPE_UINT16: return (double)((const uint16_t *)t->data)[i];
    case NNQ_DTYPE_UINT32: return (double)((const uint32_t *)t->data)[i];
    case NNQ_DTYPE_UINT64: return (double)((const uint64_t *)t->data)[i];
    default: return (double)NAN;
    }
}

/* "" when equal, else a description of the first difference. */
static void compare(const nnq_tensor *got, nnq_tensor *want, char *msg, size_t cap) {
    char a[128], b[128];
    msg[0] = '\0';
    /* ONNX 1.12's test data stores bfloat16 tensors as uint16. */
    if (got->dtype == NNQ_DTYPE_BFLOAT16 && want->dtype == NNQ_DTYPE_UINT16)
        want->dtype = NNQ_DTYPE_BFLOAT16;
    if (got->dtype != want->dtype) {
        snprintf(msg, cap, "dtype %s, expected %s", nnq_dtype_name(got->dtype),
                 nnq_dtype_name(want->dtype));
        return;
    }
    bool same = got->ndim == want->ndim;
    for (int d = 0; same && d < got->ndim; d++)
        same = got->dims[d] == want->dims[d];
    if (!same) {
        snprintf(msg, cap, "shape %s, expected %s",
                 nnq_shape_str(got->ndim, got->dims, a, sizeof a),
                 nnq_shape_str(want->ndim, want->dims, b, sizeof b));
        return;
    }
    bool is_float = got->dtype == NNQ_DTYPE_FLOAT32 || got->dtype == NNQ_DTYPE_FLOAT64 ||
                    got->dtype == NNQ_DTYPE_FLOAT16 || got->dtype == NNQ_DTYPE_BFLOAT16;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < got->numel; i++) {
        double x = as_double(got, i), y = as_double(want, i);
        bool ok = is_float
                      ? (isnan(x) && isnan(y)) || x == y || fabs(x - y) <= ATOL + RTOL * fabs(y)
                      : x == y;
        if (!ok && bad++ == 0) first = i;
    }
    if (bad)
        snprintf(msg, cap, "%zu of %zu elements differ; first at %zu: %.9g, expected %.9g", bad,
                 got->numel, first, as_double(got, first), as_double(want, first));
}

/* Reason a graph is skipped ("" if nnq supports all its ops). */
static void unsupported_ops(const nnq_graph *g, char *why, size_t cap) {
    nnq_graph_summary *s;
    why[0] = '\0';
    if (nnq_graph_summarize(g, &s)) {
        snprintf(why, cap, "cannot summarize: %s", nnq_last_error());
        return;
    }
    for (size_t i = 0; i < s->n_ops; i++)
        if (!nnq_exec_op_supported(s->ops[i].domain, s->ops[i].op_type)) {
            snprintf(why, cap, "op %s%s%s not implemented", s->ops[i].domain,
                     *s->ops[i].domain ? "." : "", s->ops[i].op_type);
            break;
        }
    nnq_graph_summary_free(s);
}

/* Group key of a create-time refusal: "op: message" without node names. */
static void refusal_reason(nnq_status st, char *why, size_t cap) {
    const char *m = nnq_last_error(), *op = "", *p;
    size_t op_len = 0;
    /* strip every "node 'name' (Op): " prefix, remembering the op */
    while (strncmp(m, "node '", 6) == 0 && (p = strstr(m, "' (")) && strstr(p, "): ")) {
        op = p + 3;
        op_len = (size_t)(strstr(p, "): ") - op);
        m = strstr(p, "): ") + 3;
    }
    snprintf(why, cap, "%s: %.*s: %.90s", nnq_status_name(st), (int)op_len, op, m);
    /* numbers and quoted names make messages unique; cut at the first */
    for (char *c = why + strlen(nnq_status_name(st)) + op_len + 4; *c; c++)
        if ((*c >= '0' && *c <= '9') || *c == '\'') {
            *c = '\0';
            break;
        }
}

typedef enum { T_PASS, T_FAIL, T_SKIP } outcome;

static outcome run_dataset(nnq_exec *e, const char *dir, char *msg, size_t cap) {
    size_t ni, no;
    char **ins = list_dir(dir, "input_", &ni), **outs = list_dir(dir, "output_", &no);
    char path[4096];
    outcome res = T_PASS;
    nnq_tensor **xs = calloc(ni + 1, sizeof *xs), **want = calloc(no + 1, sizeof *want);
    nnq_tensor **got = calloc(nnq_exec_output_count(e) + 1, sizeof *got);
    const nnq_tensor **ordered = calloc(nnq_exec_input_count(e) + 1, sizeof *ordered);
    if (ni) qsort(ins, ni, sizeof *ins, cmp_pb);
    if (no) qsort(outs, no, sizeof *outs, cmp_pb);
    msg[0] = '\0';
    if (ni != nnq_exec_input_count(e) || no != nnq_exec_output_count(e)) {
        snprintf(msg, cap, "%zu input / %zu output files for %zu / %zu graph values", ni, no,
                 nnq_exec_input_count(e), nnq_exec_output_count(e));
        res = T_FAIL;
        goto out;
    }
    for (size_t i = 0; i < ni; i++) {
        join(path, sizeof path, dir, ins[i]);
        nnq_status ls = nnq_tensor_load_pb(path, &xs[i], NULL);
        if (ls) {
            /* string tensors and the like: the data, not the model, is out of reach */
            if (ls == NNQ_STATUS_UNSUPPORTED) {
                snprintf(msg, cap, "test data not loadable: %s", nnq_status_name(ls));
                res = T_SKIP;
                goto out;
            }
            snprintf(msg, cap, "loading %s: %s", ins[i], nnq_last_error());
            res = T_FAIL;
            goto out;
        }
        nnq_dtype dt;
        int nd;
        int64_t dims[NNQ_MAX_DIMS];
        if (xs[i]->dtype == NNQ_DTYPE_UINT16 &&
            !nnq_exec_value_shape(e, nnq_exec_input_name(e, i), &dt, &nd, dims) &&
            dt == NNQ_DTYPE_BFLOAT16)
            xs[i]->dtype = NNQ_DTYPE_BFLOAT16; /* same quirk as in compare */
        ordered[i] = xs[i];
    }
    for (size_t i = 0; i < no; i++) {
        join(path, sizeof path, dir, outs[i]);
        nnq_status ls = nnq_tensor_load_pb(path, &want[i], NULL);
        if (ls) {
            /* string tensors and the like: the data, not the model, is out of reach */
            if (ls == NNQ_STATUS_UNSUPPORTED) {
                snprintf(msg, cap, "test data not loadable: %s", nnq_status_name(ls));
                res = T_SKIP;
                goto out;
            }
            snprintf(msg, cap, "loading %s: %s", outs[i], nnq_last_error());
            res = T_FAIL;
            goto out;
        }
    }
    nnq_status st = nnq_exec_run(e, ordered, ni, got, no);
    if (st == NNQ_STATUS_UNSUPPORTED) {
        /* refused once values were known (data-dependent shapes) */
        refusal_reason(st, msg, cap);
        res = T_SKIP;
        goto out;
    }
    if (st) {
        snprintf(msg, cap, "run: %s: %s", nnq_status_name(st), nnq_last_error());
        res = T_FAIL;
        goto out;
    }
    for (size_t i = 0; i < no && !msg[0]; i++) {
        char m[256];
        compare(got[i], want[i], m, sizeof m);
        if (m[0]) {
            snprintf(msg, cap, "output '%s': %s", nnq_exec_output_name(e, i), m);
            res = T_FAIL;
        }
    }
out:
    for (size_t i = 0; i < ni; i++)
        nnq_tensor_free(xs[i]);
    for (size_t i = 0; i < no; i++) {
        nnq_tensor_free(want[i]);
        nnq_tensor_free(got[i]);
    }
    free(xs);
    free(want);
    free(got);
    free(ordered);
    free_list(ins, ni);
    free_list(outs, no);
    return res;
}

static outcome run_test(const char *dir, char *msg, size_t cap) {
    char path[4096];
    nnq_graph *g = NULL;
    nnq_exec *e = NULL;
    join(path, sizeof path, dir, "model.onnx");
    nnq_status st = nnq_graph_load(path, NULL, &g);
    if (st) {
        snprintf(msg, cap, "model not loadable: %s", nnq_status_name(st));
        return T_SKIP;
    }
    outcome res = T_PASS;
    for (size_t i = 0; i < nnq_graph_input_count(g); i++) {
        nnq_graph_value v;
        if (!nnq_graph_input(g, i, &v) && v.dtype == NNQ_DTYPE_UNDEFINED) {
            snprintf(msg, cap, "non-tensor graph input (sequence / optional / map)");
            res = T_SKIP;
            goto out;
        }
    }
    unsupported_ops(g, msg, cap);
    if (msg[0]) {
        res = T_SKIP;
        goto out;
    }
    st = nnq_exec_create(g, NULL, &e);
    if (st == NNQ_STATUS_UNSUPPORTED || st == NNQ_STATUS_DTYPE_MISMATCH) {
        refusal_reason(st, msg, cap);
        res = T_SKIP;
        goto out;
    }
    if (st) {
        snprintf(msg, cap, "create: %s: %s", nnq_status_name(st), nnq_last_error());
        res = T_FAIL;
        goto out;
    }
    size_t nd;
    char **sets = list_dir(dir, "test_data_set_", &nd);
    for (size_t i = 0; i < nd && res == T_PASS; i++) {
        join(path, sizeof path, dir, sets[i]);
        res = run_dataset(e, path, msg, cap);
    }
    free_list(sets, nd);
out:
    nnq_exec_free(e);
    nnq_graph_free(g);
    return res;
}

static int cmp_reason(const void *a, const void *b) {
    const reason *x = a, *y = b;
    return y->count != x->count ? y->count - x->count : strcmp(x->text, y->text);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ROOT SKIPS [FILTER]\n", argv[0]);
        return 2;
    }
    static runner r;
    const char *filter = argc > 3 ? argv[3] : NULL;
    static const char *const suites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    load_skips(&r, argv[2]);
    int found = 0;
    for (size_t s = 0; s < sizeof suites / sizeof *suites; s++) {
        char dir[4096];
        size_t n;
        join(dir, sizeof dir, argv[1], suites[s]);
        char **tests = list_dir(dir, "test_", &n);
        for (size_t i = 0; i < n; i++) {
            if (filter && !strstr(tests[i], filter)) continue;
            char tdir[4096], msg[512];
            if (!join(tdir, sizeof tdir, dir, tests[i])) continue;
            found++;
            outcome o = run_test(tdir, msg, sizeof msg);
            int k = listed(&r, tests[i]);
            if (k >= 0) r.skip_used[k] = true;
            if (o == T_PASS) {
                r.passed++;
                if (k >= 0)
                    printf("note %s/%s passes but is listed in skips.txt\n", suites[s], tests[i]);
            } else if (o == T_SKIP) {
                add_reason(&r, msg, tests[i]);
            } else if (k >= 0) {
                r.expected_fail++;
                printf("xfail %s/%s: %s\n", suites[s], tests[i], msg);
            } else {
                r.failed++;
                printf("FAIL %s/%s: %s\n", suites[s], tests[i], msg);
            }
        }
        free_list(tests, n);
    }
    if (!found) {
        fprintf(stderr, "no tests found under %s\n", argv[1]);
        return 1;
    }
    qsort(r.reasons, (size_t)r.n_reasons, sizeof *r.reasons, cmp_reason);
    printf("\nskip reasons:\n");
    for (int i = 0; i < r.n_reasons; i++)
        printf("  %4d  %s  (e.g. %s)\n", r.reasons[i].count, r.reasons[i].text,
               r.reasons[i].example);
    printf("\nconformance: %d passed, %d failed, %d expected failures (skips.txt), %d skipped\n",
           r.passed, r.failed, r.expected_fail, r.skipped);
    for (int i = 0; i < r.n_reasons; i++)
        free(r.reasons[i].text);
    for (int i = 0; i < r.n_skip_names; i++)
        free(r.skip_names[i]);
    free(r.skip_used);
    return r.failed ? 1 : 0;
}
