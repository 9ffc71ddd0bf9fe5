#!/bin/sh
# -*- mode: python -*-
# Re-run with Debian's python, which has the onnx package; skip if absent.
''':'
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import onnx" 2>/dev/null; then
    exec /usr/bin/python3 "$0" "$@"
fi
echo "skipped: /usr/bin/python3 with onnx not available"
exit 77
'''
"""check_onnx_roundtrip.py TOOL DATA_DIR

For each model: TOOL (tests/graph/roundtrip_tool.c) loads it with nnq and
saves it; onnx.load + onnx.checker.check_model must accept the result and
the graph must equal the original (sparse initializers compare densified,
as nnq documents).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

TOOL, DATA = sys.argv[1], sys.argv[2]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL", msg)


def initializers(model, base):
    out = {}
    for t in model.graph.initializer:
        out[t.name] = numpy_helper.to_array(t, base_dir=base)
    for sp in model.graph.sparse_initializer:
        dense = np.zeros(tuple(sp.dims), dtype=numpy_helper.to_array(sp.values).dtype)
        idx = numpy_helper.to_array(sp.indices)
        dense.reshape(-1)[idx.reshape(-1)] = numpy_helper.to_array(sp.values)
        out[sp.values.name] = dense
    return out


def as_raw(t):
    # nnq writes raw_data; compare values, not the storage field used.
    r = numpy_helper.from_array(numpy_helper.to_array(t), t.name)
    t.CopyFrom(r)


def normalize_graph(g):
    for t in g.initializer:
        as_raw(t)
    for n in g.node:
        normalize_node(n)


def normalize_node(n):
    for a in n.attribute:
        if a.HasField("t"):
            as_raw(a.t)
        for t in a.tensors:
            as_raw(t)
        if a.HasField("g"):
            normalize_graph(a.g)
        for g in a.graphs:
            normalize_graph(g)


def strip_node(n):
    # Unnamed nodes get "<op_type>_<index>" names in nnq: compare the rest.
    c = onnx.NodeProto()
    c.CopyFrom(n)
    c.name = ""
    normalize_node(c)
    return c.SerializeToString(deterministic=True)


def compare(name, a, b, base_a, base_b):
    if [strip_node(n) for n in a.graph.node] != [strip_node(n) for n in b.graph.node]:
        fail(f"{name}: nodes differ")
    for n0, n1 in zip(a.graph.node, b.graph.node):
        if n0.name and n0.name != n1.name:
            fail(f"{name}: node {n0.name} renamed to {n1.name}")
    for field in ("input", "output", "value_info", "quantization_annotation"):
        if list(getattr(a.graph, field)) != list(getattr(b.graph, field)):
            fail(f"{name}: graph.{field} differs")
    for field in ("opset_import", "functions", "metadata_props"):
        if list(getattr(a, field)) != list(getattr(b, field)):
            fail(f"{name}: model.{field} differs")
    if (a.ir_version, a.producer_name) != (b.ir_version, b.producer_name):
        fail(f"{name}: model header differs")
    ia, ib = initializers(a, base_a), initializers(b, base_b)
    if sorted(ia) != sorted(ib):
        fail(f"{name}: initializer names differ: {sorted(ia)} vs {sorted(ib)}")
    for k in ia:
        if k in ib and (ia[k].dtype != ib[k].dtype or ia[k].shape != ib[k].shape
                        or ia[k].tobytes() != ib[k].tobytes()):
            fail(f"{name}: initializer {k} differs")


def run(model, threshold=None, want_external=False):
    src = os.path.join(DATA, model)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.onnx")
        cmd = [TOOL, src, out] + ([str(threshold)] if threshold else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"{model}: nnq failed: {r.stderr.strip()}")
            return
        try:
            onnx.checker.check_model(out)  # path form: follows external data
        except Exception as e:  # noqa: BLE001 - report any checker failure
            fail(f"{model}: onnx.checker rejects nnq's output: {e}")
        saved = onnx.load(out, load_external_data=False)
        has_ext = os.path.exists(out + ".data")
        if has_ext != want_external:
            fail(f"{model}: external data file present={has_ext}, expected {want_external}")
        orig = onnx.load(src, load_external_data=False)
        compare(model, orig, saved, DATA, tmp)
        print("ok  ", model, f"threshold={threshold}" if threshold else "")


run("tiny_cnn.onnx")
run("typed_fields.onnx")
run("attrs.onnx")
run("ext_data.onnx")
run("tiny_cnn.onnx", threshold=64, want_external=True)
run("ext_data.onnx", threshold=1, want_external=True)
sys.exit(1 if failures else 0)
