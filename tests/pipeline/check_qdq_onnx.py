#!/usr/bin/python3
"""check_qdq_onnx.py NNQ MODEL - nnq's QDQ exports pass onnx.checker
(full_check, i.e. with shape inference).

Run with Debian's /usr/bin/python3 (onnx 1.12, which knows opsets up to
17): presets whose export needs a newer opset (fp8: 19, int4 blocks: 21)
are reported as skipped.  Exit 77 (CTest skip) when onnx is missing.
"""
import os
import subprocess
import sys
import tempfile

try:
    import onnx
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

PRESETS = ["int8-weight-only", "int4-weight-only-b32"]


def main():
    nnq, model = sys.argv[1], sys.argv[2]
    newest = onnx.defs.onnx_opset_version()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        # Activation presets need data: a fixed amax config needs none.
        cfg = os.path.join(tmp, "fixed.yaml")
        with open(cfg, "w") as f:
            f.write("global:\n  input_quantizer: {num_bits: 8, amax: 4.0}\n"
                    "  weight_quantizer: {num_bits: 8, axis: 0}\n"
                    "  output_quantizer: {num_bits: 8, unsigned: true, mode: linear, "
                    "narrow_range: false, amax: 8.0, calib_method: min_max}\n")
        fp8 = os.path.join(tmp, "fp8.yaml")
        with open(fp8, "w") as f:
            f.write("global:\n  input_quantizer: {format: fp8_e4m3, amax: 4.0}\n"
                    "  weight_quantizer: {format: fp8_e4m3}\n")
        for preset in [cfg, fp8] + PRESETS:
            q = os.path.join(tmp, "q.onnx")
            subprocess.run([nnq, "quantize", model, "-o", q, "-q", "--config", preset],
                           check=True, stdout=subprocess.DEVNULL)
            m = onnx.load(q)
            opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
            name = os.path.basename(preset)
            if opset > newest:
                print(f"skip {name}: opset {opset} is newer than onnx {onnx.__version__} knows")
                continue
            try:
                onnx.checker.check_model(m, full_check=True)
                print(f"ok   {name}: opset {opset}")
            except Exception as e:  # noqa: BLE001 - report any checker failure
                failures += 1
                print(f"FAIL {name}: {e}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
