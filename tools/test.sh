#!/bin/sh
# The whole test suite, as CI runs it: dependencies, a -Werror build and its tests,
# then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
# Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
tools/deps.sh || exit 1
status=0
summary=""
run_suite() { # run_suite NAME BUILDDIR MESON-OPTIONS...
        name=$1 dir=$2
        shift 2
        if [ -d "$dir" ]; then
                meson setup --reconfigure "$dir" "$@" > "$dir.setup.log" 2>&1
        else
                meson setup "$dir" "$@" > "$dir.setup.log" 2>&1
        fi || { cat "$dir.setup.log"; echo "$name: meson setup failed"; status=1; return; }
        ninja -C "$dir" || { echo "$name: build failed"; status=1; return; }
        meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
        summary="$summary $dir/meson-logs/testlog.json"
}
run_suite build build -Dwerror=true
run_suite sanitize build-sanitize -Dwerror=true -Db_sanitize=address,undefined -Dbuildtype=debug
# count every meson test of both runs
/usr/bin/python3 - $summary <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
