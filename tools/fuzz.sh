#!/bin/sh
# fuzz.sh BUILD_DIR [SECONDS] - run every libFuzzer target for SECONDS each
# (default 120) on a scratch copy of its seed corpus.  Exits non-zero if any
# target finds a crash (the reproducer is left in the current directory).
set -eu
dir=${1:?usage: tools/fuzz.sh BUILD_DIR [SECONDS]}
secs=${2:-120}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for f in "$dir"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f" | sed 's/^fuzz_//')
    scratch=$(mktemp -d)
    echo "== $name: $secs s" >&2
    if ! "$f" -max_total_time="$secs" -print_final_stats=1 "$scratch" "$root/fuzz/corpus/$name" 2>"$scratch.log"; then
        tail -30 "$scratch.log" >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$scratch.log" | tail -2 >&2
    fi
    rm -rf "$scratch" "$scratch.log"
done
exit $status
