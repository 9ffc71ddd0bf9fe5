#!/bin/sh
# demo.sh - nnq's main job on the bundled default (run by quickstart.sh,
# described in docs/demo.md): quantize the bundled Fashion-MNIST CNN with
# the int8 preset on 512 training images, then compare float and int8 on the
# 10,000 test images.
set -eu
cd "$(dirname "$0")/.."
NNQ=${NNQ:-build/nnq}
DATA=${NNQ_FMNIST:-/usr/share/datasets/fashion-mnist}
OUT=${NNQ_DEMO_OUT:-build/demo}
mkdir -p "$OUT"
# The model's normalization (examples/fmnist_cnn.md): (p / 255 - 0.2860) / 0.3530.
NORM="--scale 0.003921568627 --mean 0.2860 --std 0.3530"

"$NNQ" --version
# The preset as shipped: every site quantized, the model input calibrated by
# max and the other activations by entropy (docs/demo.md says why).
# shellcheck disable=SC2086
"$NNQ" quantize examples/fmnist_cnn.onnx -o "$OUT/fmnist_cnn.int8.onnx" --config int8 \
    --data "$DATA/train-images-idx3-ubyte.gz" --samples 512 $NORM --summary
# shellcheck disable=SC2086
"$NNQ" eval examples/fmnist_cnn.onnx "$OUT/fmnist_cnn.int8.onnx" \
    --data "$DATA/t10k-images-idx3-ubyte.gz" --labels "$DATA/t10k-labels-idx1-ubyte.gz" $NORM
ls -l examples/fmnist_cnn.onnx "$OUT/fmnist_cnn.int8.onnx"
