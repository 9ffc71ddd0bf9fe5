/*
 * ptq_calib.c - streaming calibration of activation sites and the
 * calibration table (one nnq_calib state per site plus an index).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/ptq.h"

nnq_status ptq_match_inputs(const nnq_exec *exec, const nnq_dataset *ds, size_t *map) {
    size_t n = nnq_exec_input_count(exec), nd = nnq_dataset_num_inputs(ds);
    for (size_t i = 0; i < n; i++) {
        const char *want = nnq_exec_input_name(exec, i);
        map[i] = SIZE_MAX;
        for (size_t j = 0; j < nd; j++)
            if (!strcmp(nnq_dataset_input_name(ds, j), want)) map[i] = j;
        if (map[i] == SIZE_MAX) {
            char have[256] = "";
            for (size_t j = 0; j < nd; j++) {
                size_t l = strlen(have);
                snprintf(have + l, sizeof have - l, "%s'%s'", j ? ", " : "",
                         nnq_dataset_input_name(ds, j));
            }
            return nnq_error(NNQ_STATUS_NOT_FOUND,
                             "data: the model's input '%s' is not in the data (it has %s; "
                             "name a .npy / IDX input with --input-name)", want, have);
        }
    }
    return NNQ_STATUS_OK;
}

/* "[?, 1, 28, 28]": dims the model leaves open (batch) print as '?'. */
static const char *model_shape_str(int nd, const int64_t *dims, char *buf, size_t size) {
    size_t len = 0;
    len += (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < nd && len < size; d++) {
        if (dims[d] < 0) len += (size_t)snprintf(buf + len, size - len, "%s?", d ? ", " : "");
        else len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? ", " : "", (long long)dims[d]);
    }
    if (len < size) snprintf(buf + len, size - len, "]");
    return buf;
}

/* IDX images are [n, H, W]; single-channel models want [n, 1, H, W]. */
static bool add_channel_dim(const nnq_tensor *t, int nd, const int64_t *dims, nnq_tensor *view) {
    if (nd != t->ndim + 1 || nd < 3 || nd > NNQ_MAX_DIMS || dims[1] != 1) return false;
    *view = *t;
    view->owns_data = false;
    view->ndim = nd;
    view->dims[1] = 1;
    for (int d = 1; d < t->ndim; d++) view->dims[d + 1] = t->dims[d];
    return true;
}

nnq_status ptq_check_batch(const nnq_exec *exec, const nnq_dataset *ds, const size_t *map,
                           nnq_tensor *views, const nnq_tensor **inputs) {
    for (size_t i = 0; i < nnq_exec_input_count(exec); i++) {
        const char *name = nnq_exec_input_name(exec, i);
        const nnq_tensor *t = nnq_dataset_input(ds, map[i]);
        nnq_dtype dt;
        int nd;
        int64_t dims[NNQ_MAX_DIMS];
        NNQ_TRY(nnq_exec_value_shape(exec, name, &dt, &nd, dims));
        if (t->dtype != dt)
            return nnq_error(NNQ_STATUS_DTYPE_MISMATCH,
                             "data: input '%s' is %s, the model wants %s (IDX / integer data "
                             "converts with --scale / --mean / --std)",
                             name, nnq_dtype_name(t->dtype), nnq_dtype_name(dt));
        if (add_channel_dim(t, nd, dims, &views[i])) t = &views[i];
        bool ok = nd < 0 || nd == t->ndim;
        for (int d = 1; ok && nd >= 0 && d < nd; d++) ok = dims[d] < 0 || dims[d] == t->dims[d];
        if (!ok) {
            char a[128], b[128];
            return nnq_error(NNQ_STATUS_SHAPE_MISMATCH,
                             "data: input '%s' has shape %s, the model wants %s", name,
                             nnq_shape_str(t->ndim, t->dims, a, sizeof a),
                             model_shape_str(nd, dims, b, sizeof b));
        }
        inputs[i] = t;
    }
    return NNQ_STATUS_OK;
}

typedef struct calib_hook_ctx {
    nnq_ptq *p;
    nnq_name_map *by_value; /* value name -> first site on it */
} calib_hook_ctx;

static nnq_status calib_hook(void *vctx, const nnq_exec_event *ev, nnq_tensor *value) {
    calib_hook_ctx *c = vctx;
    size_t i;
    if (!nnq_name_map_get(c->by_value, ev->value_name, &i)) return NNQ_STATUS_OK;
    for (; i != SIZE_MAX; i = c->p->sites[i].next_same) {
        ptq_site *s = &c->p->sites[i];
        nnq_status st = nnq_calib_collect(s->calib, value, c->p->opt.pool);
        if (st) return nnq_error_prefix(st, "calibrate: site '%s' (value '%s'): ", s->name,
                                        ev->value_name);
    }
    return NNQ_STATUS_OK;
}

static bool needs_calib(const ptq_site *s) {
    return s->enabled && s->kind != NNQ_SITE_WEIGHT && !s->attrs.has_amax;
}

/* Calibrators for the sites that lack one, chained by value. */
static nnq_status prepare(nnq_ptq *p, nnq_name_map *by_value) {
    for (size_t i = 0; i < p->n_sites; i++) {
        ptq_site *s = &p->sites[i];
        if (!needs_calib(s)) continue;
        if (!s->calib) {
            nnq_calib_config cc;
            nnq_calib_amax_options ao;
            NNQ_TRY(ptq_calib_config(s, &cc, &ao));
            nnq_status st = nnq_calib_create(&cc, &s->calib);
            if (st) return nnq_error_prefix(st, "calibrate: site '%s': ", s->name);
        }
        ptq_range_clear(&s->range);
        s->next_same = SIZE_MAX;
        bool existed = false;
        size_t first;
        NNQ_TRY(nnq_name_map_put(by_value, s->tensor, i, &existed, &first));
        if (existed) {
            while (p->sites[first].next_same != SIZE_MAX) first = p->sites[first].next_same;
            p->sites[first].next_same = i;
        }
    }
    return NNQ_STATUS_OK;
}

static nnq_status run_batches(nnq_ptq *p, nnq_exec *exec, nnq_dataset *ds) {
    size_t n_in = nnq_exec_input_count(exec), n_out = nnq_exec_output_count(exec);
    size_t *map = nnq_calloc(n_in ? n_in : 1, sizeof *map);
    const nnq_tensor **inputs = nnq_calloc(n_in ? n_in : 1, sizeof *inputs);
    nnq_tensor **outputs = nnq_calloc(n_out ? n_out : 1, sizeof *outputs);
    nnq_tensor *views = nnq_calloc(n_in ? n_in : 1, sizeof *views);
    nnq_status st = (!map || !inputs || !outputs || !views)
                        ? nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "calibrate: out of memory")
                        : ptq_match_inputs(exec, ds, map);
    uint64_t total = nnq_dataset_num_samples(ds), done = 0;
    if (!st && total == 0) st = nnq_error(NNQ_STATUS_EMPTY, "calibrate: the data has no samples");
    if (!st) st = nnq_dataset_rewind(ds);
    while (!st) {
        size_t count = 0;
        st = nnq_dataset_next(ds, &count);
        if (st || count == 0) break;
        st = ptq_check_batch(exec, ds, map, views, inputs);
        if (!st) st = nnq_exec_run(exec, (const nnq_tensor *const *)inputs, n_in, outputs, n_out);
        for (size_t i = 0; !st && i < n_out; i++) {
            nnq_tensor_free(outputs[i]);
            outputs[i] = NULL;
        }
        done += count;
        if (p->opt.progress) p->opt.progress(p->opt.progress_ctx, "calibrate", done, total);
    }
    if (!st) p->calib_samples += done;
    nnq_free(map);
    nnq_free(inputs);
    nnq_free(outputs);
    nnq_free(views);
    return st;
}

nnq_status nnq_ptq_calibrate(nnq_ptq *p, nnq_dataset *ds) {
    if (!p || !ds) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calibrate: NULL argument");
    nnq_name_map *by_value = NULL;
    nnq_exec *exec = NULL;
    calib_hook_ctx hc = {p, NULL};
    NNQ_TRY(nnq_name_map_create(p->n_sites, &by_value));
    hc.by_value = by_value;
    nnq_status st = prepare(p, by_value);
    nnq_exec_options eo = {.pool = p->opt.pool, .hook = calib_hook, .hook_ctx = &hc};
    if (!st) st = nnq_exec_create(p->g, &eo, &exec);
    if (!st) st = run_batches(p, exec, ds);
    nnq_exec_free(exec);
    nnq_name_map_free(by_value);
    return st;
}

/* ---- calibration table: <dir>/table.tsv + <dir>/site_<i>.ncal ---- */

#define PTQ_TABLE_INDEX "table.tsv"
#define PTQ_TABLE_HEADER "# nnq calibration table v1: site<TAB>state file\n"

static nnq_status join_path(const char *dir, const char *file, char *buf, size_t size) {
    int n = snprintf(buf, size, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= size)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib table: path '%s/%s' is too long",
                         dir, file);
    return NNQ_STATUS_OK;
}

nnq_status nnq_ptq_save_calib(const nnq_ptq *p, const char *dir) {
    if (!p || !dir) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib table: NULL argument");
    size_t n = 0;
    for (size_t i = 0; i < p->n_sites; i++) n += p->sites[i].calib != NULL;
    if (n == 0)
        return nnq_error(NNQ_STATUS_INVALID_STATE, "calib table: no site has statistics "
                         "(calibrate first; is any activation site enabled?)");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return nnq_error(NNQ_STATUS_IO_ERROR, "calib table: cannot create directory '%s': %s",
                         dir, strerror(errno));
    char path[4096], file[64];
    nnq_outfile *idx = NULL;
    NNQ_TRY(join_path(dir, PTQ_TABLE_INDEX, path, sizeof path));
    NNQ_TRY(nnq_outfile_open(path, NULL, 0, &idx));
    nnq_status st = nnq_outfile_printf(idx, PTQ_TABLE_HEADER);
    for (size_t i = 0; !st && i < p->n_sites; i++) {
        const ptq_site *s = &p->sites[i];
        if (!s->calib) continue;
        if (strchr(s->name, '\t') || strchr(s->name, '\n')) {
            st = nnq_error(NNQ_STATUS_UNSUPPORTED, "calib table: site name '%s' contains a tab "
                           "or newline", s->name);
            break;
        }
        snprintf(file, sizeof file, "site_%zu.ncal", i);
        st = join_path(dir, file, path, sizeof path);
        if (!st) st = nnq_calib_save(s->calib, path);
        if (!st) st = nnq_outfile_printf(idx, "%s\t%s\n", s->name, file);
    }
    /* The index goes last: a table without one is incomplete. */
    if (st) {
        nnq_outfile_abort(idx);
        return st;
    }
    return nnq_outfile_commit(idx);
}

static ptq_site *find_site(nnq_ptq *p, const char *name) {
    for (size_t i = 0; i < p->n_sites; i++)
        if (!strcmp(p->sites[i].name, name)) return &p->sites[i];
    return NULL;
}

/* A loaded state can serve the site's method when the kinds agree, or
 * when a histogram is re-scored with another histogram method. */
static nnq_status adopt_state(ptq_site *s, nnq_calib *c, const char *file) {
    nnq_calib_config want;
    nnq_calib_amax_options ao;
    NNQ_TRY(ptq_calib_config(s, &want, &ao));
    const nnq_calib_config *have = nnq_calib_get_config(c);
    if (have->kind != want.kind)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "calib table: site '%s' wants calib_method %s, but '%s' holds %s "
                         "statistics (recalibrate, or choose a method they support)",
                         s->name, nnq_site_calib_name(s->attrs.calib_method), file,
                         nnq_calib_kind_name(have->kind));
    nnq_calib_free(s->calib);
    s->calib = c;
    ptq_range_clear(&s->range);
    return NNQ_STATUS_OK;
}

static nnq_status load_line(nnq_ptq *p, const char *dir, char *line, size_t lineno) {
    char *tab = strchr(line, '\t');
    if (!tab || tab == line || strchr(tab + 1, '\t') || strchr(tab + 1, '/') ||
        strstr(tab + 1, ".."))
        return nnq_error(NNQ_STATUS_INVALID_FORMAT, "calib table '%s/" PTQ_TABLE_INDEX
                         "' line %zu: expected 'site<TAB>file' with a plain file name", dir,
                         lineno);
    *tab = '\0';
    ptq_site *s = find_site(p, line);
    if (!s)
        return nnq_error(NNQ_STATUS_NOT_FOUND, "calib table '%s' line %zu: site '%s' is not a "
                         "site of this model", dir, lineno, line);
    char path[4096];
    NNQ_TRY(join_path(dir, tab + 1, path, sizeof path));
    nnq_calib *c = NULL;
    NNQ_TRY(nnq_calib_load(path, &c));
    nnq_status st = adopt_state(s, c, path);
    if (st) nnq_calib_free(c);
    return st;
}

nnq_status nnq_ptq_load_calib(nnq_ptq *p, const char *dir) {
    if (!p || !dir) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "calib table: NULL argument");
    char path[4096];
    NNQ_TRY(join_path(dir, PTQ_TABLE_INDEX, path, sizeof path));
    FILE *f = fopen(path, "r");
    if (!f)
        return nnq_error(errno == ENOENT ? NNQ_STATUS_NOT_FOUND : NNQ_STATUS_IO_ERROR,
                         "calib table: cannot open '%s': %s", path, strerror(errno));
    char line[4096];
    size_t lineno = 0;
    nnq_status st = NNQ_STATUS_OK;
    bool header = false;
    while (!st && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = '\0';
        else if (!feof(f))
            st = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "calib table '%s' line %zu is too long",
                           path, lineno);
        if (st) break;
        if (lineno == 1) {
            header = !strncmp(line, PTQ_TABLE_HEADER, strlen(PTQ_TABLE_HEADER) - 1);
            if (!header) st = nnq_error(NNQ_STATUS_INVALID_FORMAT, "calib table '%s': not an "
                                        "nnq calibration table (bad first line)", path);
            continue;
        }
        if (len) st = load_line(p, dir, line, lineno);
    }
    if (!st && !header)
        st = nnq_error(NNQ_STATUS_INVALID_FORMAT, "calib table '%s' is empty", path);
    fclose(f);
    return st;
}
