#!/bin/sh
# run_calib_bench.sh - bench_calib and the pytorch-quantization 2.1.3 reference
# on the same histogram in one run, then the speed-up per method.
#   bench/run_calib_bench.sh [BUILD_DIR] [MiB] [reps]
# Needs the reference set up as in bench/bench_calib_ref.py's docstring
# (PQ=/tmp/pq/pqx, DEPS=/tmp/pq/deps by default).
set -eu
BUILD=${1:-build}
MIB=${2:-64}
REPS=${3:-5}
PQ=${PQ:-/tmp/pq/pqx}
DEPS=${DEPS:-/tmp/pq/deps}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$BUILD/bench/bench_calib" "$MIB" "$REPS" "$OUT" | tee "$OUT/nnq.txt"
PYTHONPATH="$PQ:$DEPS" /usr/bin/python3 "$(dirname "$0")/bench_calib_ref.py" "$OUT" 2>/dev/null |
    tee "$OUT/ref.txt"
echo
printf '%-12s %14s %14s %10s %s\n' method "nnq ms" "reference ms" speedup "same amax"
for m in entropy mse percentile; do
    set -- $(grep "^nnq $m " "$OUT/nnq.txt") ; n_ms=$3 n_amax=$6
    set -- $(grep "^ref $m " "$OUT/ref.txt") ; r_ms=$3 r_amax=$6
    same=no
    [ "$(python3 -c "print(float.fromhex('$n_amax') == float.fromhex('$r_amax'))")" = True ] && same=yes
    awk -v m="$m" -v n="$n_ms" -v r="$r_ms" -v s="$same" \
        'BEGIN { printf "%-12s %14.6f %14.6f %9.0fx %s\n", m, n, r, r / n, s }'
done
