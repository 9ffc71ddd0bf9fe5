/* progress.c - progress bar on a terminal, plain throttled lines otherwise. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct nnq_progress {
    FILE *stream;
    unsigned interval_ms;
    bool terminal;
    bool bar_open; /* a bar line is drawn without its newline */
    double last_ms;
    double start_ms;
    char what[64];
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

nnq_status nnq_progress_create(FILE *stream, unsigned interval_ms, nnq_progress **out) {
    if (!out || !stream)
        return nnq_error(NNQ_STATUS_INVALID_ARGUMENT, "progress_create: stream or out is NULL");
    nnq_progress *p = nnq_calloc(1, sizeof *p);
    if (!p) return nnq_error(NNQ_STATUS_OUT_OF_MEMORY, "progress_create: out of memory");
    p->stream = stream;
    p->interval_ms = interval_ms;
    p->terminal = isatty(fileno(stream)) != 0;
    p->last_ms = -1e300;
    p->start_ms = now_ms();
    *out = p;
    return NNQ_STATUS_OK;
}

void nnq_progress_free(nnq_progress *p) {
    if (!p) return;
    if (p->bar_open) fputc('\n', p->stream);
    nnq_free(p);
}

void nnq_progress_set_style(nnq_progress *p, int terminal) {
    if (!p) return;
    p->terminal = terminal < 0 ? isatty(fileno(p->stream)) != 0 : terminal != 0;
}

void nnq_progress_report(void *ctx, const char *what, uint64_t done, uint64_t total) {
    nnq_progress *p = ctx;
    if (!p) return;
    if (!what) what = "working";
    bool new_task = strncmp(p->what, what, sizeof p->what - 1) != 0;
    if (new_task) {
        if (p->bar_open) fputc('\n', p->stream);
        p->bar_open = false;
        snprintf(p->what, sizeof p->what, "%s", what);
        p->start_ms = now_ms();
        p->last_ms = -1e300;
    }
    bool finished = total > 0 && done >= total;
    double t = now_ms();
    /* A terminal redraws at most every 50 ms; plain output every interval. */
    double gap = p->terminal ? 50.0 : (double)p->interval_ms;
    if (!finished && !new_task && t - p->last_ms < gap) return;
    p->last_ms = t;
    double secs = (t - p->start_ms) / 1e3;
    if (p->terminal) {
        enum { WIDTH = 30 };
        if (total > 0) {
            int fill = (int)((double)done / (double)total * WIDTH);
            char bar[WIDTH + 1];
            for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '-';
            bar[WIDTH] = '\0';
            fprintf(p->stream, "\r%s [%s] %llu/%llu %5.1f%% %.1fs", what, bar,
                    (unsigned long long)done, (unsigned long long)total,
                    100.0 * (double)done / (double)total, secs);
        } else {
            fprintf(p->stream, "\r%s %llu %.1fs", what, (unsigned long long)done, secs);
        }
        p->bar_open = !finished;
        if (finished) fputc('\n', p->stream);
    } else {
        if (total > 0)
            fprintf(p->stream, "%s: %llu/%llu (%.1f%%) %.1fs\n", what, (unsigned long long)done,
                    (unsigned long long)total, 100.0 * (double)done / (double)total, secs);
        else
            fprintf(p->stream, "%s: %llu %.1fs\n", what, (unsigned long long)done, secs);
    }
    fflush(p->stream);
}
