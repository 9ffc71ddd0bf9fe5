#!/usr/bin/env python3
"""compress_ort_check.py NNQ MODEL TMPDIR - every `nnq compress` mode on MODEL
must give a model that onnx.checker accepts (Debian /usr/bin/python3, onnx
1.12) and that ONNX Runtime runs with outputs equal (max |diff| <= 1e-5,
float summation order may differ between graphs) to the model `nnq decompress`
writes, whose weights nnq's own executor computed from the same decode
chains.  Exits 77 (CTest skip) when onnxruntime or numpy is missing."""
import os
import subprocess
import sys

try:
    import numpy as np
    import onnxruntime as ort
except ImportError:
    sys.exit(77)

NNQ, MODEL, TMP = sys.argv[1:4]
MODES = [
    ["--mode", "palettize", "--bits", "4"],
    ["--mode", "palettize", "--bits", "3", "--granularity", "per-grouped-channel",
     "--group-size", "16", "--lut-dtype", "fp16", "--include", "conv*"],
    ["--mode", "palettize", "--bits", "2", "--granularity", "per-channel", "--lut-dtype", "int8"],
    ["--mode", "palettize", "--bits", "8", "--method", "uniform", "--prune", "magnitude",
     "--sparsity", "0.5"],
    ["--mode", "linear", "--bits", "8", "--granularity", "per-channel"],
    ["--mode", "linear", "--bits", "4", "--linear-mode", "linear"],
    ["--mode", "prune", "--sparsity", "0.7"],
    ["--mode", "linear", "--bits", "8", "--prune", "n:m", "--n-m", "2:4", "--include", "fc*"],
]

rng = np.random.default_rng(7)
x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
orig_size = os.path.getsize(MODEL)
fails = 0
for i, args in enumerate(MODES):
    comp = os.path.join(TMP, f"c{i}.onnx")
    dec = os.path.join(TMP, f"d{i}.onnx")
    subprocess.run([NNQ, "compress", MODEL, "-o", comp, "-q", "--min-size", "100"] + args,
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([NNQ, "decompress", comp, "-o", dec, "-q"], check=True)
    chk = subprocess.run(["/usr/bin/python3", "-c",
                          "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]))", comp],
                         capture_output=True, text=True)
    if chk.returncode != 0 and "No module named" not in chk.stderr:
        print(f"FAIL checker {args}: {chk.stderr.strip()[-300:]}")
        fails += 1
    yc = ort.InferenceSession(comp, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    yd = ort.InferenceSession(dec, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    diff = float(np.max(np.abs(yc - yd)))
    ok = diff <= 1e-5
    fails += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {' '.join(args)}: max|ort(compressed) - ort(decompressed)| = "
          f"{diff:.3g}, size {os.path.getsize(comp)} / {orig_size} bytes")
sys.exit(1 if fails else 0)
