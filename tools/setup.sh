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

missing=""
for p in $PKGS; do
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
    # Test-only tools (ONNX Runtime cross-checks), from PyPI for the default python3.
    if ! python3 -c "import onnxruntime, numpy" >/dev/null 2>&1; then
        echo "setup: installing onnxruntime and numpy from PyPI" >&2
        python3 -m pip install -q onnxruntime numpy >/dev/null
    fi
fi
