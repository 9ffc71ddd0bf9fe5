/*
 * outfile.c - atomic file output: temporary file in the destination's
 * directory, fsync, rename, fsync of the directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct nnq_outfile {
    int fd;
    char *path;
    char *tmp;
    char *dir;
    nnq_status failed; /* first write failure, reported again at commit */
};

/* ---- fault injection (tests only) ---- */
static int g_fault[NNQ_FAULT_COUNT_] = {-1, -1, -1, -1};

void nnq_test_fault_set(int stage, int after_calls) {
    if (stage >= 0 && stage < NNQ_FAULT_COUNT_) g_fault[stage] = after_calls;
}

bool nnq_fault_hit(int stage) {
    if (g_fault[stage] < 0) return false;
    if (g_fault[stage] == 0) {
        g_fault[stage] = -1;
        return true;
    }
    g_fault[stage]--;
    return false;
}

bool nnq_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char *dup_str(const char *s, size_t n) {
    char *d = nnq_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void outfile_release(nnq_outfile *f) {
    if (f->fd >= 0) close(f->fd);
    nnq_free(f->path);
    nnq_free(f->tmp);
    nnq_free(f->dir);
    nnq_free(f);
}

nnq_status nnq_outfile_open(const char *path, const char *const *inputs, size_t n_inputs,
                            nnq_outfile **out) {
    static atomic_uint counter;
    if (!out) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "outfile: out is NULL");
    *out = NULL;
    if (!path || !*path) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "outfile: empty output path");
    for (size_t i = 0; i < n_inputs; i++) {
        if (inputs[i] && nnq_same_file(path, inputs[i]))
            return nnq_error(NNQ_STATUS_SAME_FILE,
                             "output '%s' is the same file as input '%s'; refusing to overwrite an "
                             "input",
                             path, inputs[i]);
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "output '%s' is a directory", path);

    nnq_outfile *f = nnq_calloc(1, sizeof *f);
    if (!f) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "outfile: out of memory");
    f->fd = -1;
    size_t len = strlen(path);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    f->path = dup_str(path, len);
    f->dir = slash ? dup_str(path, (size_t)(slash - path) + (slash == path)) : dup_str(".", 1);
    size_t tmpcap = len + 64;
    f->tmp = nnq_malloc(tmpcap);
    if (!f->path || !f->dir || !f->tmp) {
        outfile_release(f);
        return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "outfile: out of memory");
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned c = atomic_fetch_add(&counter, 1);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(f->tmp, tmpcap, "%.*s.%s.nnq-tmp-%ld-%u-%lx", (int)(base - path), path, base,
                 (long)getpid(), c, (unsigned long)ts.tv_nsec);
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (f->fd >= 0 || errno != EEXIST) break;
    }
    if (f->fd < 0) {
        int e = errno;
        nnq_status s = nnq_error(NNQ_STATUS_IO_ERROR, "cannot create a temporary file for '%s' in '%s': %s",
                                 path, f->dir, strerror(e));
        outfile_release(f);
        return s;
    }
    *out = f;
    return NNQ_STATUS_OK;
}

nnq_status nnq_outfile_write(nnq_outfile *f, const void *data, size_t size) {
    if (!f) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "outfile_write: file is NULL");
    if (f->failed) return f->failed;
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t n;
        if (nnq_fault_hit(NNQ_FAULT_WRITE)) {
            n = -1;
            errno = ENOSPC;
        } else {
            n = write(f->fd, p, size > (1u << 30) ? (1u << 30) : size);
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            f->failed = nnq_error(NNQ_STATUS_IO_ERROR, "writing '%s': %s", f->path, strerror(errno));
            return f->failed;
        }
        p += n;
        size -= (size_t)n;
    }
    return NNQ_STATUS_OK;
}

nnq_status nnq_outfile_printf(nnq_outfile *f, const char *fmt, ...) {
    /* fmt is checked at the caller by the format attribute on the declaration. */
    char stackbuf[1024];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(stackbuf, sizeof stackbuf, fmt, ap);
    va_end(ap);
    nnq_status s;
    if (n < 0) {
        s = nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "outfile_printf: bad format");
    } else if ((size_t)n < sizeof stackbuf) {
        s = nnq_outfile_write(f, stackbuf, (size_t)n);
    } else {
        char *big = nnq_malloc((size_t)n + 1);
        if (!big) {
            s = nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "outfile_printf: out of memory");
        } else {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            s = nnq_outfile_write(f, big, (size_t)n);
            nnq_free(big);
        }
    }
    va_end(ap2);
    return s;
}

void nnq_outfile_abort(nnq_outfile *f) {
    if (!f) return;
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    unlink(f->tmp);
    outfile_release(f);
}

nnq_status nnq_outfile_commit(nnq_outfile *f) {
    if (!f) return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "outfile_commit: file is NULL");
    nnq_status s = f->failed;
    if (!s) {
        bool fail = nnq_fault_hit(NNQ_FAULT_FSYNC);
        if (fail || fsync(f->fd) != 0)
            s = nnq_error(NNQ_STATUS_IO_ERROR, "syncing '%s': %s", f->path,
                          fail ? strerror(EIO) : strerror(errno));
    }
    if (!s) {
        int rc = close(f->fd);
        f->fd = -1;
        if (rc != 0) s = nnq_error(NNQ_STATUS_IO_ERROR, "closing '%s': %s", f->path, strerror(errno));
    }
    if (!s) {
        bool fail = nnq_fault_hit(NNQ_FAULT_RENAME);
        if (fail || rename(f->tmp, f->path) != 0)
            s = nnq_error(NNQ_STATUS_IO_ERROR, "renaming the temporary file onto '%s': %s", f->path,
                          fail ? strerror(EXDEV) : strerror(errno));
    }
    if (s) {
        nnq_outfile_abort(f);
        return s;
    }
    /* The data is in place; a failing directory sync still means the rename
     * may not survive a crash, so report it. */
    int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool fail = nnq_fault_hit(NNQ_FAULT_DIRSYNC);
    if (dfd < 0 || fail || fsync(dfd) != 0)
        s = nnq_error(NNQ_STATUS_IO_ERROR, "syncing directory '%s' after writing '%s': %s", f->dir,
                      f->path, fail ? strerror(EIO) : strerror(errno));
    if (dfd >= 0) close(dfd);
    outfile_release(f);
    return s;
}

nnq_status nnq_write_file_atomic(const char *path, const void *data, size_t size,
                                 const char *const *inputs, size_t n_inputs) {
    nnq_outfile *f;
    NNQ_TRY(nnq_outfile_open(path, inputs, n_inputs, &f));
    nnq_status s = nnq_outfile_write(f, data, size);
    if (s) {
        nnq_outfile_abort(f);
        return s;
    }
    return nnq_outfile_commit(f);
}
