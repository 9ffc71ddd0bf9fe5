#!/usr/bin/env python3
"""nnq 4-bit k-means palettization vs scikit-learn KMeans, same data, same run.

    python3 bench/bench_compress_ref.py BUILD/bench/bench_compress [--threads N] [--groups N]

Runs the C benchmark (which writes the 4096 x 4096 N(0, 0.02^2) weight as raw
float32), then fits sklearn.cluster.KMeans(n_clusters=16, n_init=1,
random_state=0) on the same values: once on the whole tensor (per-tensor
table) and once per group of 16 output channels (256 tables; --groups N fits
only the first N groups and scales the time, for quick runs).  The error is
the within-cluster sum of squared distances in float64 with the centers
rounded to float32, which is what a stored fp32 table reproduces; nnq's sse
is the same quantity.  Needs numpy and scikit-learn (default python3).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.cluster import KMeans


def parse(line):
    return dict(kv.split("=", 1) for kv in line.split())


def sk_fit(x):
    t0, c0 = time.perf_counter(), time.process_time()
    km = KMeans(n_clusters=16, n_init=1, random_state=0).fit(x.reshape(-1, 1))
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    c = km.cluster_centers_.ravel().astype(np.float32).astype(np.float64)
    d = x.astype(np.float64) - c[km.labels_]
    return t, cpu, float(np.dot(d, d)), km.n_iter_


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench")
    ap.add_argument("--threads", default="0")
    ap.add_argument("--groups", type=int, default=256)
    ap.add_argument("--reps", default="3")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "w.f32")
        out = subprocess.run([a.bench, "--data", path, "--threads", a.threads, "--reps", a.reps],
                             check=True, capture_output=True, text=True).stdout
        print(out, end="")
        w = np.fromfile(path, dtype=np.float32).reshape(4096, 4096)
    nnq = {r["case"]: r for r in (parse(l) for l in out.splitlines() if l.startswith("case="))}

    rows = [("per_tensor",) + sk_fit(w.ravel())]
    ng = min(a.groups, 256)
    t_sum, cpu_sum, sse_sum, it_max = 0.0, 0.0, 0.0, 0
    for g in range(ng):
        t, cpu, sse, it = sk_fit(w[16 * g:16 * (g + 1)].ravel())
        t_sum, cpu_sum, sse_sum, it_max = t_sum + t, cpu_sum + cpu, sse_sum + sse, max(it_max, it)
    scale = 256 / ng
    rows.append(("grouped16", t_sum * scale, cpu_sum * scale,
                 sse_sum if ng == 256 else float("nan"), it_max))

    print("sklearn %s, numpy %s, threads (OMP) %s" % (
        __import__("sklearn").__version__, np.__version__, os.environ.get("OMP_NUM_THREADS", "all")))
    print("%-11s %8s %10s %8s %8s %10s %8s %14s %14s %9s %6s" % (
        "case", "nnq_s", "sklearn_s", "wall_x", "nnq_cpu", "sk_cpu", "cpu_x", "nnq_sse",
        "sklearn_sse", "sse_ratio", "sk_it"))
    for name, t, cpu, sse, it in rows:
        r = nnq[name]
        ts, cs, es = float(r["time_s"]), float(r["cpu_s"]), float(r["sse"])
        print("%-11s %8.3f %10.3f %7.1fx %8.3f %10.3f %7.1fx %14.9g %14.9g %9.6f %6d%s" % (
            name, ts, t, t / ts, cs, cpu, cpu / cs, es, sse,
            es / sse if sse == sse else float("nan"), it,
            "" if ng == 256 or name == "per_tensor" else "  (scaled from %d groups)" % ng))
    return 0


if __name__ == "__main__":
    sys.exit(main())
