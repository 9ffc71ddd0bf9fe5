#!/bin/sh
# quickstart.sh - the README's first command: install what is missing, build,
# and run nnq's main job on the bundled default.
set -eu
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
exec tools/demo.sh
