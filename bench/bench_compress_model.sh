#!/bin/sh
# bench_compress_model.sh [BUILD_DIR] [THREADS] - time `nnq compress` end to end
# (load, compress, save) on the bundled fmnist CNN and on a synthetic
# 4096 x 4096 Gemm (64 MiB of fp32 weights, N(0, 0.02), seed 0, written by
# Debian's /usr/bin/python3 onnx), for
#   4-bit k-means palettization per-tensor and per-grouped-channel (groups
#   of 16 output channels; 2 on fmnist, whose fc2 has 10),
#   int4 linear_symmetric per-block 32 (opset 21),
# and report wall time, output size and, for int4 block-32, the weight bytes
# per second next to memcpy and the quant layer's own int4 block-32 kernel
# (bench_quant's row; it uses the amax convention, the model path the
# coremltools scale / zero-point one plus min/max and the report's SQNR pass).
# Needs BUILD_DIR/nnq and, for the kernel row, BUILD_DIR/bench/bench_quant.
set -eu
BUILD=${1:-build}
THREADS=${2:-2}
NNQ="$BUILD/nnq"
SRC=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

/usr/bin/python3 - "$TMP/gemm4096.onnx" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
w = (np.random.default_rng(0).standard_normal((4096, 4096)) * 0.02).astype(np.float32)
g = helper.make_graph(
    [helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)], "gemm4096",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4096])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4096])],
    [numpy_helper.from_array(w, "w")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
EOF

now() { date +%s.%N; }
printf '%-10s %-34s %9s %12s %12s %8s\n' model case time_s in_bytes out_bytes ratio
for model in "$SRC/examples/fmnist_cnn.onnx" "$TMP/gemm4096.onnx"; do
    name=$(basename "$model" .onnx)
    in=$(stat -c %s "$model")
    G=16
    [ "$name" = fmnist_cnn ] && G=2
    for c in "pal4-kmeans-per-tensor:--mode palettize --bits 4" \
             "pal4-kmeans-grouped-$G:--mode palettize --bits 4 --granularity per-grouped-channel --group-size $G" \
             "int4-block32:--mode linear --bits 4 --granularity per-block --block-size 32 --op-types Gemm"; do
        label=${c%%:*}
        args=${c#*:}
        t0=$(now)
        # shellcheck disable=SC2086
        "$NNQ" compress "$model" -o "$TMP/out.onnx" -q -t "$THREADS" --min-size 100 $args >/dev/null
        t1=$(now)
        out=$(stat -c %s "$TMP/out.onnx")
        awk -v m="$name" -v l="$label" -v a="$t0" -v b="$t1" -v i="$in" -v o="$out" \
            'BEGIN { printf "%-10s %-34s %9.3f %12d %12d %7.1f%%\n", m, l, b - a, i, o, 100 * o / i }'
        if [ "$name" = gemm4096 ] && [ "$label" = int4-block32 ]; then
            awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  -> nnq compress int4 block-32, whole command: %.3f GB/s of fp32 weights\n", 4096 * 4096 * 4 / (b - a) / 1e9 }'
        fi
    done
done
if [ -x "$BUILD/bench/bench_quant" ]; then
    echo
    "$BUILD/bench/bench_quant" 64 3 | grep -E "^(bench_quant|memcpy|kernel|int4 block-32)"
fi
