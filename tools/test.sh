#!/bin/sh
# The whole test suite, as CI runs it: dependencies, a -Werror build and its tests,
# the unit tests of that build under valgrind, then the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, and a short fuzz smoke when clang
# is there. Ends with one line "N passed, N failed".
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
        # waits are on conditions; a slow build (sanitizers) gets longer deadlines
        CAPMON_TEST_TIMEOUT_SCALE=$scale meson test -C "$dir" --print-errorlogs --num-processes 2 --no-suite quarantine \
                --timeout-multiplier "$scale" || status=1
        summary="$summary $dir/meson-logs/testlog.json"
}
scale=2
run_suite build build -Dwerror=true
# the unit tests again under valgrind memcheck (any error or leak fails)
case "$summary" in *build/meson-logs/testlog.json*) # the build above succeeded
        meson test -C build --setup valgrind --suite unit --print-errorlogs --num-processes 2 ||
                status=1
        summary="$summary build/meson-logs/testlog-valgrind.json"
        ;;
esac
scale=4
run_suite sanitize build-sanitize -Dwerror=true -Db_sanitize=address,undefined -Dbuildtype=debug
# a short fuzz smoke with clang's libFuzzer (about a minute in all): each target
# mutates a copy of its committed corpus for a few seconds
if command -v clang > /dev/null; then
        fz=build-fuzz
        if CC=clang CXX=clang++ meson setup $([ -d $fz ] && echo --reconfigure) $fz -Dfuzz=true \
                -Db_sanitize=address,undefined -Db_lundef=false > $fz.setup.log 2>&1 &&
                ninja -C $fz > $fz.build.log 2>&1; then
                : > $fz/fuzz-smoke.json
                for t in feed logline config roster webhook http view extract zoom_rows; do
                        work=$(mktemp -d)
                        cp tests/fuzz/corpus/$t/* "$work"/
                        if (cd "$work" && "$OLDPWD/$fz/tests/fuzz/fuzz_$t" "$work" \
                                -max_total_time=8 -max_len=16384 -timeout=10 > fuzz.log 2>&1); then
                                r=OK
                        else
                                r=FAIL status=1
                                tail -30 "$work/fuzz.log"
                        fi
                        echo "fuzz smoke $t: $r"
                        printf '{"name": "fuzz-smoke-%s", "result": "%s"}\n' $t $r >> $fz/fuzz-smoke.json
                        rm -rf "$work"
                done
                summary="$summary $fz/fuzz-smoke.json"
        else
                cat $fz.setup.log $fz.build.log 2> /dev/null | tail -20
                echo "fuzz smoke: clang build failed"
                status=1
        fi
fi
# count every meson test of the runs, and the fuzz smoke
/usr/bin/python3 - $summary <<'PY'
import json, os, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    if not os.path.exists(path):  # the run could not start: count it as a failure
        failed += 1
        continue
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
