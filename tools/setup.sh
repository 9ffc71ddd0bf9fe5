#!/bin/sh
# setup.sh - install what nnq needs from Debian's packages (and the test-only
# Python tools from PyPI).  Idempotent and quiet when everything is present.
#
#   tools/setup.sh           build + test dependencies
#   tools/setup.sh --no-py   skip the PyPI test tools
set -eu

# Why each package is here: see README.md, "Dependencies".
PKGS="cmake gcc make pkg-config
protobuf-c-compiler libprotobuf-c-dev libonnx-dev
libopenblas-dev liblapacke-dev
libyaml-dev libjson-c-dev zlib1g-dev
libcmocka-dev
dataset-fashion-mnist libonnx-testdata"
# Test-only: Debian's python3 with onnx runs onnx.checker on nnq's output.
TEST_PKGS="python3-onnx"

all="$PKGS"
if [ "${1:-}" != "--no-py" ]; then all="$PKGS $TEST_PKGS"; fi
missing=""
for p in $all; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "setup: installing from Debian:$missing" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null; then
        $SUDO apt-get update -q >/dev/null
        $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
    fi
fi

if [ "${1:-}" != "--no-py" ]; then
    # Test-only tools from PyPI for the default python3: ONNX Runtime runs
    # nnq's output models; onnx (a newer one than Debian's) checks opset 21.
    if ! python3 -c "import onnxruntime, numpy, onnx" >/dev/null 2>&1; then
        echo "setup: installing onnxruntime, numpy and onnx from PyPI" >&2
        python3 -m pip install -q onnxruntime numpy onnx >/dev/null
    fi
fi
