/* extdata.c - whole-file reads and external tensor data confined to the
 * model's directory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph/onnx_internal.h"

char *nnq_path_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return nnq_strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = nnq_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

static nnq_status read_exact(int fd, uint64_t offset, void *dst, size_t n, const char *what) {
    uint8_t *p = dst;
    while (n > 0) {
        ssize_t r = pread(fd, p, n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n, (off_t)offset);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0)
            return nnq_error(NNQ_STATUS_IO_ERROR, "%s: read failed: %s", what, strerror(errno));
        if (r == 0) return nnq_error(NNQ_STATUS_INVALID_FORMAT, "%s: file ended early", what);
        p += r;
        n -= (size_t)r;
        offset += (uint64_t)r;
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_read_whole_file(const char *path, uint64_t max, uint8_t **data, size_t *size) {
    *data = NULL;
    *size = 0;
    /* O_NONBLOCK: a FIFO must be refused, not waited on. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return nnq_error(errno == ENOENT ? NNQ_STATUS_NOT_FOUND : NNQ_STATUS_IO_ERROR,
                         "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    nnq_status s = NNQ_STATUS_OK;
    if (fstat(fd, &st) != 0)
        s = nnq_error(NNQ_STATUS_IO_ERROR, "cannot stat '%s': %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "'%s' is not a regular file", path);
    else if ((uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX - 1)
        s = nnq_error(NNQ_STATUS_LIMIT_EXCEEDED, "'%s' has %lld bytes, more than the limit %llu",
                      path, (long long)st.st_size, (unsigned long long)max);
    uint8_t *buf = NULL;
    if (!s && !(buf = nnq_malloc((size_t)st.st_size + 1)))
        s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "cannot allocate %lld bytes for '%s'",
                      (long long)st.st_size, path);
    if (!s) s = read_exact(fd, 0, buf, (size_t)st.st_size, path);
    close(fd);
    if (s) {
        nnq_free(buf);
        return s;
    }
    *data = buf;
    *size = (size_t)st.st_size;
    return NNQ_STATUS_OK;
}

void nnq_load_ctx_init(nnq_load_ctx *ctx, const char *base_dir, uint64_t max_external,
                       size_t max_nodes) {
    memset(ctx, 0, sizeof *ctx);
    ctx->base_dir = base_dir;
    ctx->max_external_bytes = max_external ? max_external : NNQ_GRAPH_DEFAULT_MAX_EXTERNAL_BYTES;
    ctx->max_nodes = max_nodes ? max_nodes : NNQ_GRAPH_DEFAULT_MAX_NODES;
    ctx->dir_fd = -1;
    ctx->cached_fd = -1;
}

void nnq_load_ctx_close(nnq_load_ctx *ctx) {
    if (ctx->cached_fd >= 0) close(ctx->cached_fd);
    if (ctx->dir_fd >= 0) close(ctx->dir_fd);
    nnq_free(ctx->cached_location);
    ctx->cached_location = NULL;
    ctx->cached_fd = ctx->dir_fd = -1;
}

/* Reject what could leave the directory before touching the file system. */
static nnq_status check_location(const char *what, const char *loc) {
    if (loc[0] == '/')
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "tensor '%s': external data location '%s' is absolute; it must be "
                         "relative to the model's directory",
                         what, loc);
    for (const char *p = loc; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                             "tensor '%s': external data location '%s' contains '..'; it must "
                             "stay inside the model's directory",
                             what, loc);
        p += n + (e != NULL);
    }
    if (strchr(loc, '\\'))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "tensor '%s': external data location '%s' contains a backslash", what,
                         loc);
    return NNQ_STATUS_OK;
}

/* openat one component at a time with O_NOFOLLOW, so no symlink anywhere on
 * the path is followed. */
static nnq_status open_confined(nnq_load_ctx *ctx, const char *what, const char *loc, int *out) {
    if (ctx->dir_fd < 0) {
        ctx->dir_fd = open(ctx->base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ctx->dir_fd < 0)
            return nnq_error(NNQ_STATUS_IO_ERROR, "cannot open model directory '%s': %s",
                             ctx->base_dir, strerror(errno));
    }
    char comp[256];
    int fd = ctx->dir_fd;
    const char *p = loc;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n >= sizeof comp) {
            if (fd != ctx->dir_fd) close(fd);
            return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                             "tensor '%s': external data location '%s' has a component longer "
                             "than %zu bytes",
                             what, loc, sizeof comp - 1);
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (n == 0 || (n == 1 && comp[0] == '.')) { /* "a//b", "./a" */
            if (!e) break;
            p = e + 1;
            continue;
        }
        int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (e ? O_DIRECTORY : 0);
        int next = openat(fd, comp, flags);
        int err = errno;
        if (fd != ctx->dir_fd) close(fd);
        if (next < 0) {
            if (err == ELOOP || err == ENOTDIR)
                return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                                 "tensor '%s': external data location '%s': '%s' is a symbolic "
                                 "link or not a directory; links are not followed",
                                 what, loc, comp);
            return nnq_error(err == ENOENT ? NNQ_STATUS_NOT_FOUND : NNQ_STATUS_IO_ERROR,
                             "tensor '%s': cannot open external data '%s' in '%s': %s", what, loc,
                             ctx->base_dir, strerror(err));
        }
        fd = next;
        if (!e) break;
        p = e + 1;
    }
    if (fd == ctx->dir_fd)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "tensor '%s': external data location '%s' names the model's directory",
                         what, loc);
    *out = fd;
    return NNQ_STATUS_OK;
}

static nnq_status open_external(nnq_load_ctx *ctx, const char *what, const char *loc) {
    if (ctx->cached_location && !strcmp(ctx->cached_location, loc)) return NNQ_STATUS_OK;
    if (!ctx->base_dir)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                         "tensor '%s' refers to external data '%s' but the model was loaded from "
                         "memory without a base directory",
                         what, loc);
    NNQ_TRY(check_location(what, loc));
    int fd = -1;
    NNQ_TRY(open_confined(ctx, what, loc, &fd));
    struct stat st;
    nnq_status s = NNQ_STATUS_OK;
    if (fstat(fd, &st) != 0)
        s = nnq_error(NNQ_STATUS_IO_ERROR, "tensor '%s': cannot stat '%s': %s", what, loc,
                      strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                      "tensor '%s': external data '%s' is not a regular file", what, loc);
    else if (st.st_nlink > 1)
        s = nnq_error(NNQ_STATUS_INVALID_ARGUMENT,
                      "tensor '%s': external data '%s' has %llu hard links; only a file with one "
                      "link is accepted",
                      what, loc, (unsigned long long)st.st_nlink);
    char *copy = s ? NULL : nnq_strdup(loc);
    if (!s && !copy) s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "out of memory");
    if (s) {
        close(fd);
        return s;
    }
    if (ctx->cached_fd >= 0) close(ctx->cached_fd);
    nnq_free(ctx->cached_location);
    ctx->cached_fd = fd;
    ctx->cached_location = copy;
    ctx->cached_size = (uint64_t)st.st_size;
    return NNQ_STATUS_OK;
}

nnq_status nnq_extdata_read(nnq_load_ctx *ctx, const char *what, const char *location,
                            uint64_t offset, bool has_length, uint64_t length, void *dst,
                            size_t nbytes) {
    if (has_length && length != nbytes)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "tensor '%s': external data length %llu differs from the %zu bytes its "
                         "type and dims need",
                         what, (unsigned long long)length, nbytes);
    NNQ_TRY(open_external(ctx, what, location));
    uint64_t end;
    if (__builtin_add_overflow(offset, (uint64_t)nbytes, &end) || end > ctx->cached_size)
        return nnq_error(NNQ_STATUS_INVALID_FORMAT,
                         "tensor '%s': external data range [%llu, +%zu) lies past the end of '%s' "
                         "(%llu bytes)",
                         what, (unsigned long long)offset, nbytes, location,
                         (unsigned long long)ctx->cached_size);
    if (!dst) return NNQ_STATUS_OK; /* range check only, before allocating */
    uint64_t total;
    if (__builtin_add_overflow(ctx->external_bytes, (uint64_t)nbytes, &total) ||
        total > ctx->max_external_bytes)
        return nnq_error(NNQ_STATUS_LIMIT_EXCEEDED,
                         "tensor '%s': external data would total more than the limit of %llu bytes",
                         what, (unsigned long long)ctx->max_external_bytes);
    ctx->external_bytes = total;
    return read_exact(ctx->cached_fd, offset, dst, nbytes, location);
}
