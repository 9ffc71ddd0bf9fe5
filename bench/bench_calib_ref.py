#!/usr/bin/env python3
"""Reference timings for bench/bench_calib.c: pytorch-quantization 2.1.3's own
_compute_amax_entropy / _compute_amax_mse / _compute_amax_percentile on the
histogram that bench_calib saved (counts + edges as .npy).

Setup (once; the wheel and deps may already sit under /tmp/pq):

    pip download --no-deps pytorch-quantization==2.1.3 -d /tmp/pq
    unzip /tmp/pq/pytorch_quantization-2.1.3-py3-none-any.whl -d /tmp/pq/pqx   # $PQ
    pip install --target /tmp/pq/deps absl-py "scipy<1.12"                      # $DEPS
    rm -rf /tmp/pq/deps/numpy            # keep Debian's numpy 1.24 for torch 1.13

Run (bench/run_calib_bench.sh does both steps and prints the ratios):

    build/bench/bench_calib 64 5 /tmp/calib_bench
    PYTHONPATH=/tmp/pq/pqx:/tmp/pq/deps /usr/bin/python3 bench/bench_calib_ref.py /tmp/calib_bench

Prints one line per method, "ref <method> <ms per tensor> amax <hex float>",
so that the caller can compare both the time and the result with nnq's.
"""
import sys
import time

import numpy as np
import torch

torch.Tensor.cuda = lambda self, *a, **k: self  # _compute_amax_mse moves tensors to CUDA
from pytorch_quantization.calib.histogram import (_compute_amax_entropy,  # noqa: E402
                                                  _compute_amax_mse, _compute_amax_percentile)


def best_ms(fn, reps):
    best = float("inf")
    out = None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3, out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/calib_bench"
    # HistogramCalibrator.compute_amax hands these functions int32 counts.
    counts = np.load(f"{d}/calib_hist_counts.npy").astype(np.int32)
    edges = np.load(f"{d}/calib_hist_edges.npy").astype(np.float32)
    print(f"ref histogram: {counts.size} bins, {int(counts.sum())} values, "
          f"torch {torch.__version__}, numpy {np.__version__}")
    runs = [
        # entropy overwrites bins[0]: give it a fresh copy each time.
        ("entropy", 1, lambda: _compute_amax_entropy(counts.copy(), edges, 8, False, 1, 128)),
        ("mse", 3, lambda: _compute_amax_mse(counts, edges, 8, False, 1, 128)),
        ("percentile", 200, lambda: _compute_amax_percentile(counts, edges, 99.99)),
    ]
    for name, reps, fn in runs:
        ms, amax = best_ms(fn, reps)
        print(f"ref {name} {ms:.6f} ms amax {float(amax).hex()}")


if __name__ == "__main__":
    main()
