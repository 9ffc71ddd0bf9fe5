/* benchutil.h - timing helpers shared by the benchmarks in bench/. */
#ifndef NNQ_BENCHUTIL_H
#define NNQ_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic wall-clock time in seconds. */
double bench_now(void);
/* Best (minimum) seconds of `reps` runs of fn(ctx) after one warm-up run. */
double bench_best(void (*fn)(void *ctx), void *ctx, int reps);
/* memcpy bandwidth in GB/s (bytes read + bytes written counted once each as
 * `bytes`, i.e. GB/s of buffer processed) over `bytes` bytes: the
 * bandwidth ceiling other kernels are quoted against. */
double bench_memcpy_gbps(size_t bytes, int reps);
/* Peak resident set size of this process in KiB (VmHWM). */
long bench_peak_rss_kib(void);
/* Fill with N(0, sigma^2) floats from a seeded generator. */
void bench_fill_normal(float *x, size_t n, float sigma, uint64_t seed);

#endif
