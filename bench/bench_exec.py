#!/usr/bin/env python3
"""Compare nnq's executor with ONNX Runtime on the benchmark models.

    /usr/bin/python3 tools/make_bench_models.py /tmp/nnqbench
    python3 bench/bench_exec.py BUILD/bench/bench_exec /tmp/nnqbench [REPS] [ROUNDS]

Uses the default python3 (numpy + onnxruntime).  For each model, batch 1
(latency) and batch 8 (throughput), and 1 and 2 threads, both engines run the
same input: ONNX Runtime with intra_op_num_threads = THREADS, sequential
execution and its default (all) graph optimizations; nnq through bench_exec
with a pool of THREADS.  Each row alternates the two engines ROUNDS times
(default 3; a fresh ONNX Runtime session and bench_exec process per round);
a round's wall time is the median of REPS runs after a warm-up, and the
table gives the median over rounds, so a slow spell of a shared machine
hits both engines.  "cpu" is process CPU time per run (with 2 threads it
adds both threads' time, spinning included: both engines spin between
parallel loops).
Output agreement is checked separately with `nnq run -o` (see
docs/executor.md).
"""
import gc
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort


def ort_session(model, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def ort_time(s, x, reps):
    feed = {s.get_inputs()[0].name: x}
    s.run(None, feed)
    t = []
    c0 = time.process_time()
    for _ in range(reps):
        t0 = time.perf_counter()
        s.run(None, feed)
        t.append(time.perf_counter() - t0)
    cpu = (time.process_time() - c0) / reps
    return sorted(t)[reps // 2] * 1e3, cpu * 1e3


def nnq_time(binary, model, inp, threads, reps):
    # nnq pins OpenBLAS to one thread, but OpenBLAS starts (and spins) its
    # own threads at load, which would add ~100 ms of CPU to every process.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([binary, model, inp, str(threads), str(reps)], check=True,
                         capture_output=True, text=True, env=env).stdout.split()
    kv = dict(zip(out[1::2], out[2::2]))
    return (float(kv["median_ms"]), float(kv["cpu_ms"]), int(kv["arena_kib"]),
            int(kv["activations_kib"]))


def main():
    binary, d = sys.argv[1], sys.argv[2]
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    print(f"{'model':<12}{'batch':>6}{'thr':>4}{'ORT ms':>9}{'nnq ms':>9}{'ratio':>7}"
          f"{'ORT cpu':>9}{'nnq cpu':>9}{'ratio':>7}{'ORT /s':>8}{'nnq /s':>8}"
          f"{'arena KiB':>10}{'sum KiB':>9}")
    for name in ("cnn", "transformer"):
        for batch in (1, 8):
            model = os.path.join(d, f"{name}_b{batch}.onnx")
            inp = model[:-5] + ".npy"
            x = np.load(inp)
            for threads in (1, 2):
                o, n = [], []
                for _ in range(rounds):
                    # a fresh session per round, gone before nnq runs: an
                    # idle ORT session's threads slowed nnq's 2-thread
                    # batch-1 CNN from ~1.4 to ~3.2 ms
                    sess = ort_session(model, threads)
                    o.append(ort_time(sess, x, reps))
                    del sess
                    gc.collect()
                    n.append(nnq_time(binary, model, inp, threads, reps))
                o_ms, o_cpu = (statistics.median(v) for v in zip(*o))
                n_ms, n_cpu = (statistics.median(v[i] for v in n) for i in (0, 1))
                arena, total = n[0][2], n[0][3]
                print(f"{name:<12}{batch:>6}{threads:>4}{o_ms:>9.2f}{n_ms:>9.2f}"
                      f"{n_ms / o_ms:>7.2f}{o_cpu:>9.2f}{n_cpu:>9.2f}{n_cpu / o_cpu:>7.2f}"
                      f"{batch * 1e3 / o_ms:>8.1f}{batch * 1e3 / n_ms:>8.1f}{arena:>10}{total:>9}",
                      flush=True)


if __name__ == "__main__":
    main()
