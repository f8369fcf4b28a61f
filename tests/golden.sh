#!/bin/sh
# golden.sh CAPMON JSONCMP CASEDIR: replay CASEDIR/input.jsonl with the options in
# CASEDIR/args (one per line) and compare the snapshot with CASEDIR/expected.json.
# CASEDIR/expected.stderr-contains, when present, must appear in capmon's stderr.
set -u
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
capmon=$(abs "$1") jsoncmp=$(abs "$2") dir=$3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
cd "$dir" || exit 1
set --
if [ -f args ]; then
        while IFS= read -r a || [ -n "$a" ]; do
                [ -n "$a" ] && set -- "$@" "$a"
        done < args
fi
"$capmon" replay --max --json "$@" input.jsonl > "$out" 2> "$err"
rc=$?
if [ $rc -ne 0 ]; then
        echo "capmon exited $rc"; cat "$err"; exit 1
fi
if [ -f expected.stderr-contains ]; then
        while IFS= read -r want || [ -n "$want" ]; do
                [ -z "$want" ] && continue
                if ! grep -qF -- "$want" "$err"; then
                        echo "stderr lacks: $want"; cat "$err"; exit 1
                fi
        done < expected.stderr-contains
fi
"$jsoncmp" expected.json "$out" || { echo "snapshot differs from $dir/expected.json"; exit 1; }
