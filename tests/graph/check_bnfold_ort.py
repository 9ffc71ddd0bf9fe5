#!/usr/bin/env python3
"""check_bnfold_ort.py TOOL DATA_DIR - BatchNormalization folding checked by
running the model before and after `roundtrip_tool --fold` in ONNX Runtime
on the same random input (seed 1234).  Skips (77) without onnxruntime."""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnxruntime as ort
except ImportError:
    print("skipped: numpy / onnxruntime not available")
    sys.exit(77)

TOOL, DATA = sys.argv[1], sys.argv[2]
src = os.path.join(DATA, "tiny_cnn.onnx")
x = np.random.default_rng(1234).standard_normal((5, 3, 8, 8)).astype(np.float32)
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "folded.onnx")
    subprocess.run([TOOL, src, out, "--fold"], check=True)
    # ORT would fold BN itself: keep its graph as written.
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    ref = ort.InferenceSession(src, so, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    sess = ort.InferenceSession(out, so, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x})[0]
err = float(np.max(np.abs(ref - got)))
scale = float(np.max(np.abs(ref)))
print(f"max |ref - folded| = {err:.3g} (max |ref| = {scale:.3g})")
sys.exit(0 if err <= 1e-5 * max(1.0, scale) else 1)
