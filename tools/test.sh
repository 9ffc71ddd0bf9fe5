#!/bin/sh
# test.sh - the README's second command: build (if needed) and run the whole
# test suite through CTest.  Prints CTest's closing summary; exits non-zero on
# any failure.  Extra arguments go to ctest (e.g. -R quant).
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
dir="${NNQ_BUILD_DIR:-build}"
jobs="$(nproc 2>/dev/null || echo 2)"
ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@"
