#!/bin/sh
# demo.sh - nnq's main job on the bundled default (run by quickstart.sh).
set -eu
cd "$(dirname "$0")/.."
NNQ=${NNQ:-build/nnq}
"$NNQ" --version
"$NNQ" info
