#!/bin/sh
# valgrind.sh [BUILD_DIR] - run every unit-test program under valgrind
# memcheck (definite leaks and memory errors fail).  Not part of CI (slow);
# run before a release.  Default build dir: build.
set -u
dir=${1:-build}
fails=0
for t in "$dir"/tests/test_*; do
    [ -x "$t" ] || continue
    if valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
        "$t" >"$t.valgrind.log" 2>&1; then
        echo "ok   $(basename "$t")"
    else
        echo "FAIL $(basename "$t") (log: $t.valgrind.log)"
        fails=$((fails + 1))
    fi
done
[ "$fails" -eq 0 ]
