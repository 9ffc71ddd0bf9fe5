#!/usr/bin/env python3
"""bench_ptq_ort.py NNQ - `nnq quantize` against ONNX Runtime's quantize_static
on the bundled model (examples/fmnist_cnn.onnx) with the same 512
calibration images.

  ORT: quantize_static(QDQ, per_channel=True, CalibrationMethod.Entropy,
       int8 activations and weights), data fed in batches of 64.
  nnq: nnq quantize --config int8 --samples 512 (batch 64).

Each quantizer runs as its own process under /usr/bin/time -v (wall time and
peak RSS); both quantized models are then scored by ONNX Runtime on the
10,000 test images, so the accuracy figures come from one evaluator.  nnq's
peak RSS is also measured with 5,000 calibration samples (streaming
calibration: it should barely move).  Needs the default python3 with numpy,
onnx and onnxruntime (pip install onnx onnxruntime) and the Debian package
dataset-fashion-mnist.  Usage:
  python3 bench/bench_ptq_ort.py build/nnq [--threads N]
"""
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "examples", "fmnist_cnn.onnx")
DATA = os.environ.get("NNQ_FMNIST", "/usr/share/datasets/fashion-mnist")
MEAN, STD = 0.2860, 0.3530


def idx_images(path, n=None):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    count, rows, cols = np.frombuffer(raw[4:16], dtype=">u4")
    x = np.frombuffer(raw[16:], dtype=np.uint8).reshape(count, 1, rows, cols)[:n]
    return ((x.astype(np.float32) / 255.0 - MEAN) / STD).astype(np.float32)


def idx_labels(path):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read()[8:], dtype=np.uint8).astype(np.int64)


def ort_quantize(out):
    """Child process: the ORT side of the race."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod,
                                          QuantFormat, QuantType, quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            x = idx_images(os.path.join(DATA, "train-images-idx3-ubyte.gz"), 512)
            self.batches = iter([{"input": x[i:i + 64]} for i in range(0, len(x), 64)])

        def get_next(self):
            return next(self.batches, None)

    t = time.perf_counter()
    quantize_static(MODEL, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.Entropy)
    print(f"quantize_static in-process: {time.perf_counter() - t:.2f} s")


def timed(cmd, env=None):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    h, m, s = wall.groups()
    secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    return secs, rss, r.stdout


def accuracy(path, x, y):
    import onnxruntime as ort
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    pred = np.concatenate([s.run(None, {"input": x[i:i + 500]})[0].argmax(1)
                           for i in range(0, len(x), 500)])
    return float(np.mean(pred == y))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--ort-child":
        ort_quantize(sys.argv[2])
        return
    nnq = os.path.abspath(sys.argv[1])
    threads = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--threads" else "2"
    norm = ["--scale", "0.003921568627", "--mean", str(MEAN), "--std", str(STD)]
    train = os.path.join(DATA, "train-images-idx3-ubyte.gz")
    with tempfile.TemporaryDirectory() as tmp:
        q_ort, q_nnq = os.path.join(tmp, "ort.onnx"), os.path.join(tmp, "nnq.onnx")
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        t_ort, rss_ort, out = timed([sys.executable, __file__, "--ort-child", q_ort], env)
        print(out.strip())
        base = [nnq, "quantize", MODEL, "-o", q_nnq, "-q", "--config", "int8", "--data", train,
                "-b", "64", "-t", threads] + norm
        t_nnq, rss_nnq, _ = timed(base + ["--samples", "512"])
        t_5k, rss_5k, _ = timed(base + ["--samples", "5000"])
        x = idx_images(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))
        y = idx_labels(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
        acc_f, acc_o = accuracy(MODEL, x, y), accuracy(q_ort, x, y)
        timed(base + ["--samples", "512"])  # rebuild the 512-sample model for scoring
        acc_n = accuracy(q_nnq, x, y)
        # As tools/demo.sh: the model-input site left float (docs/demo.md).
        t_x, rss_x, _ = timed(base + ["--samples", "512", "-x", "/conv1/Conv.input_quantizer"])
        acc_x = accuracy(q_nnq, x, y)
    print(f"{'':28s}{'wall s':>8s}{'peak RSS MiB':>14s}{'top-1 %':>9s}")
    print(f"{'float model':28s}{'':8s}{'':14s}{100 * acc_f:9.2f}")
    print(f"{'ORT quantize_static (512)':28s}{t_ort:8.2f}{rss_ort / 1024:14.1f}{100 * acc_o:9.2f}")
    print(f"{'nnq quantize int8 (512)':28s}{t_nnq:8.2f}{rss_nnq / 1024:14.1f}{100 * acc_n:9.2f}")
    print(f"{'nnq int8 -x conv1 input (512)':28s}{t_x:8.2f}{rss_x / 1024:14.1f}{100 * acc_x:9.2f}")
    print(f"{'nnq quantize int8 (5000)':28s}{t_5k:8.2f}{rss_5k / 1024:14.1f}")
    print(f"speed-up {t_ort / t_nnq:.1f}x, memory {rss_nnq / rss_ort:.2f}x of ORT's")


if __name__ == "__main__":
    main()
