#!/bin/sh
# build.sh - configure and build nnq in ./build (or $NNQ_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DNNQ_SANITIZE=ON.
set -eu
cd "$(dirname "$0")/.."
dir="${NNQ_BUILD_DIR:-build}"
jobs="$(nproc 2>/dev/null || echo 2)"
mkdir -p "$dir"
log="$dir/build.log"
if [ ! -f "$dir/CMakeCache.txt" ] || [ $# -gt 0 ]; then
    if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "build: cmake configure failed (log: $log)" >&2
        exit 1
    fi
fi
if ! cmake --build "$dir" -j "$jobs" >"$log" 2>&1; then
    grep -E -B2 -A6 'error|Error' "$log" >&2 || cat "$log" >&2
    echo "build: failed (full log: $log)" >&2
    exit 1
fi
grep -E 'warning:' "$log" >&2 || true
