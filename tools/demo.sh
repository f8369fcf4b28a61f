#!/bin/sh
# Quick start: install what is missing, build, and start the dashboard on the
# bundled recording of a council sitting.
set -eu
cd "$(dirname "$0")/.."
tools/deps.sh
[ -d build ] || meson setup build > /dev/null
ninja -C build > /dev/null
exec build/capmon demo "$@"
