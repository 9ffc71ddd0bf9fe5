#!/bin/sh
# test_cli.sh NNQ SRCDIR - run the nnq binary and check its output and exit
# codes.  Each check prints "ok" or "FAIL"; the script exits 1 on any failure.
NNQ="$1"
SRC="$2"
fails=0
n=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# check NAME WANT_RC PATTERN_IN_OUTPUT -- command...
check() {
    name=$1 want=$2 pattern=$3
    shift 4
    n=$((n + 1))
    "$@" >"$TMP/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; sed 's/^/    /' "$TMP/out"; fails=$((fails + 1)); return
    fi
    if [ -n "$pattern" ] && ! grep -q -E -- "$pattern" "$TMP/out"; then
        echo "FAIL $name: output lacks /$pattern/"; sed 's/^/    /' "$TMP/out"; fails=$((fails + 1)); return
    fi
    echo "ok   $name"
}

check "no arguments -> usage, exit 2"      2 "Usage: nnq"            -- "$NNQ"
check "--help -> exit 0"                   0 "^Commands:"            -- "$NNQ" --help
check "-h -> exit 0"                       0 "Usage: nnq"            -- "$NNQ" -h
check "--version"                          0 "^nnq [0-9]+\.[0-9]+\.[0-9]+$" -- "$NNQ" --version
check "-V"                                 0 "^nnq [0-9]+\.[0-9]+"   -- "$NNQ" -V
check "unknown command"                    2 "unknown command 'frobnicate'" -- "$NNQ" frobnicate
check "unknown global option"              2 "unknown option '--bogus'" -- "$NNQ" --bogus
check "help <unknown>"                     2 "unknown command 'nope'" -- "$NNQ" help nope
check "help info"                          0 "Usage: nnq info"       -- "$NNQ" help info
check "info --help"                        0 "Usage: nnq info"       -- "$NNQ" info --help
check "info runs"                          0 "^threads: +[0-9]+"     -- "$NNQ" info
check "info --threads 3"                   0 "^threads: +3$"         -- "$NNQ" info --threads 3
check "info -t 0 rejected"                 2 "invalid value '0' for --threads" -- "$NNQ" info -t 0
check "info --threads abc rejected"        2 "invalid value 'abc'"   -- "$NNQ" info --threads abc
check "info --threads missing value"       2 "needs a value"         -- "$NNQ" info --threads
check "info unknown option"                2 "unknown option '--zzz'" -- "$NNQ" info --zzz
check "info extra argument"                2 "unexpected argument 'x'" -- "$NNQ" info x
check "NNQ_NUM_THREADS honoured"           0 "^threads: +5$"         -- env NNQ_NUM_THREADS=5 "$NNQ" info
check "NNQ_FORCE_SCALAR honoured"          0 "^kernels use: +scalar$" -- env NNQ_FORCE_SCALAR=1 "$NNQ" info

# Further command checks live in tests/cli/*.inc.sh, sourced in order.
for inc in "$SRC"/cli/*.inc.sh; do
    [ -f "$inc" ] || continue
    . "$inc"
done

echo "cli: $((n - fails))/$n checks passed"
[ "$fails" -eq 0 ]
