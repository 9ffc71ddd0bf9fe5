#!/usr/bin/env python3
"""compress_ort_check.py NNQ MODEL TMPDIR - every `nnq compress` mode on MODEL
must give a model that

1. an ONNX checker accepts: Debian /usr/bin/python3's onnx 1.12 for models
   at opset < 21; it does not know opset 21 (INT4 / UINT4, blocked
   DequantizeLinear), so those go to this interpreter's onnx when it is
   >= 1.16, and the check is reported as skipped when neither can;
2. ONNX Runtime runs with outputs equal (max |diff| <= 1e-5: float
   summation order may differ between the graphs) to the model
   `nnq decompress` writes, whose weights nnq's own executor computed from
   the same decode chains;
3. ONNX Runtime and `nnq run` (nnq's executor on the compressed model
   itself) agree within max |diff| <= 1e-5 * max(1, max |y|): two engines,
   different Conv / Gemm summation orders, and ORT's DequantizeLinear may
   differ from (q - z) * s in the last bit.

It also checks the opset each mode must end at (21 exactly when a 4-bit
form or a blocked DequantizeLinear was written, else 13) and that 4-bit
forms make the file smaller.  Exits 77 (CTest skip) when onnxruntime or
numpy is missing."""
import os
import subprocess
import sys

try:
    import numpy as np
    import onnxruntime as ort
except ImportError:
    sys.exit(77)

NNQ, MODEL, TMP = sys.argv[1:4]
GEMM = ["--op-types", "Gemm"]  # Conv input axes (1, 16) are not multiples of 32
# (arguments, opset the output must import)
MODES = [
    (["--mode", "palettize", "--bits", "4"], 21),
    (["--mode", "palettize", "--bits", "4", "--max-opset", "13"], 13),
    (["--mode", "palettize", "--bits", "3", "--granularity", "per-grouped-channel",
      "--group-size", "16", "--lut-dtype", "fp16", "--include", "conv*"], 21),
    (["--mode", "palettize", "--bits", "2", "--granularity", "per-channel", "--lut-dtype", "int8"], 21),
    (["--mode", "palettize", "--bits", "8", "--method", "uniform", "--prune", "magnitude",
      "--sparsity", "0.5"], 13),
    (["--mode", "palettize", "--bits", "3", "--prune", "magnitude", "--sparsity", "0.5"], 21),
    (["--mode", "linear", "--bits", "8", "--granularity", "per-channel"], 13),
    (["--mode", "linear", "--bits", "4", "--linear-mode", "linear"], 21),
    (["--mode", "linear", "--bits", "4", "--linear-mode", "linear", "--max-opset", "13"], 13),
    (["--mode", "prune", "--sparsity", "0.7"], 13),
    (["--mode", "linear", "--bits", "8", "--prune", "n:m", "--n-m", "2:4", "--include", "fc*"], 13),
    (["--mode", "linear", "--bits", "4", "--granularity", "per-block", "--block-size", "32"] + GEMM, 21),
    (["--mode", "linear", "--bits", "4", "--granularity", "per-block", "--block-size", "32",
      "--linear-mode", "linear", "--linear-dtype", "uint"] + GEMM, 21),
    (["--mode", "linear", "--bits", "8", "--granularity", "per-block", "--block-size", "16",
      "--exclude", "conv1*"], 21),  # conv2 [32, 16, 3, 3]: a 4-D blocked DequantizeLinear
    (["--mode", "linear", "--bits", "3", "--granularity", "per-block", "--block-size", "16",
      "--linear-dtype", "uint", "--prune", "magnitude", "--sparsity", "0.5"] + GEMM, 21),
    (["--mode", "linear", "--bits", "8", "--granularity", "per-channel", "--linear-mode", "linear",
      "--linear-dtype", "uint"], 13),
    # pruning alone: mask + values rebuilt with BitShift / Mod / CumSum / Gather
    (["--prune", "n:m", "--n-m", "2:4"] + GEMM, 13),
    (["--prune", "threshold", "--threshold", "0.02"], 13),
]
# Pruning-alone modes (index in MODES: sparsity, None when data-dependent).
# The weights' ONNX bytes must be at most (1 - s) * 32 + 1 bits per weight
# plus, per weight, ceil rounding, the values' leading 0 and ~100 bytes of
# shape / shift constants; every file must be smaller than the original.
PRUNE_ALONE = {9: 0.7, 16: 0.5, 17: None}

try:
    import onnx
    NEW_ONNX = tuple(int(v) for v in onnx.__version__.split(".")[:2]) >= (1, 16)
except ImportError:
    onnx, NEW_ONNX = None, False


def opset_of(path):
    """The ai.onnx opset, read with nnq itself (no onnx module needed)."""
    out = subprocess.run([NNQ, "inspect", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        tok = line.split()
        if tok[:1] == ["opsets:"] and "ai.onnx" in tok:
            return int(tok[tok.index("ai.onnx") + 1])
    return None


def check(path, opset):
    """Run an ONNX checker that knows the opset; a short verdict."""
    if opset is not None and opset < 21:
        chk = subprocess.run(["/usr/bin/python3", "-c",
                              "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]))", path],
                             capture_output=True, text=True)
        if chk.returncode == 0:
            return "checker onnx 1.12 ok", True
        if "No module named" in chk.stderr or "No such file" in chk.stderr:
            return "checker skipped (no Debian onnx)", True
        return "checker FAILED: " + chk.stderr.strip()[-300:], False
    if NEW_ONNX:
        try:
            onnx.checker.check_model(onnx.load(path), full_check=True)
            return f"checker onnx {onnx.__version__} ok", True
        except Exception as e:  # noqa: BLE001 - report any checker complaint
            return f"checker FAILED: {str(e)[-300:]}", False
    return "checker skipped (onnx 1.12 does not know opset 21)", True


def check_sparse(report, sparsity, size):
    """Sizes of a pruning-alone model from the report's total line."""
    tot = next(l.split() for l in report.splitlines() if l.startswith("total"))
    n_w, orig_b, onnx_b = int(tot[1]), int(tot[2]), int(tot[4])
    ok = size < orig_size
    bound = None
    if sparsity is not None:
        bound = orig_b * (1 - sparsity) + orig_b / 32 + 120 * n_w
        ok = ok and onnx_b <= bound
    print(f"{'ok  ' if ok else 'FAIL'} sparse sizes: weights {onnx_b} / {orig_b} B (bound {bound}), "
          f"file {size} < {orig_size} B")
    return ok


rng = np.random.default_rng(7)
x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
xpath = os.path.join(TMP, "ort_check_x.npy")
np.save(xpath, x)
orig_size = os.path.getsize(MODEL)
sizes = {}
fails = 0
for i, (args, want_opset) in enumerate(MODES):
    comp = os.path.join(TMP, f"c{i}.onnx")
    dec = os.path.join(TMP, f"d{i}.onnx")
    ynnq = os.path.join(TMP, f"y{i}.npz")
    rep = subprocess.run([NNQ, "compress", MODEL, "-o", comp, "--min-size", "100"] + args,
                         check=True, capture_output=True, text=True).stdout
    subprocess.run([NNQ, "decompress", comp, "-o", dec, "-q"], check=True)
    subprocess.run([NNQ, "run", comp, "--input", f"input={xpath}", "-o", ynnq], check=True,
                   stdout=subprocess.DEVNULL)
    opset = opset_of(comp)
    verdict, ok = check(comp, opset)
    if opset != want_opset:
        verdict, ok = f"opset {opset}, expected {want_opset}", False
    yc = ort.InferenceSession(comp, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    yd = ort.InferenceSession(dec, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    yn = np.load(ynnq)["logits"]
    d_dec = float(np.max(np.abs(yc - yd)))
    d_run = float(np.max(np.abs(yc - yn)))
    tol_run = 1e-5 * max(1.0, float(np.max(np.abs(yc))))
    ok = ok and d_dec <= 1e-5 and d_run <= tol_run
    fails += not ok
    sizes[i] = os.path.getsize(comp)
    if i in PRUNE_ALONE:
        ok = check_sparse(rep, PRUNE_ALONE[i], sizes[i]) and ok
    print(f"{'ok  ' if ok else 'FAIL'} {' '.join(args)}: opset {opset}, {verdict}; "
          f"max|ort(c) - ort(decompressed)| = {d_dec:.3g} (<= 1e-5), "
          f"max|ort(c) - nnq run(c)| = {d_run:.3g} (<= {tol_run:.3g}), "
          f"size {sizes[i]} / {orig_size} bytes")

# uint4 indices / int4 codes hold half the bytes of the one-per-byte forms.
for four, byte in ((0, 1), (7, 8)):
    if not sizes[four] < 0.6 * sizes[byte]:
        print(f"FAIL size: mode {four} ({sizes[four]} B) not below 0.6 x mode {byte} ({sizes[byte]} B)")
        fails += 1
sys.exit(1 if fails else 0)
