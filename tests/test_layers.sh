#!/bin/sh
# The floors of the house (README "Layout"): each folder includes only its own
# headers and those of the floors below it, so no arrow runs up.
#   monitor/     the core: its own headers only (and system, jansson, simdjson headers)
#   loop/        the event loop: its own headers only
#   collectors/  monitor/, loop/
#   tui/         monitor/, loop/
#   cli/         everything
# Usage: test_layers.sh SOURCE_ROOT
set -u
root=$1
fail=0
n=0
allowed() { # allowed FLOOR: the folders whose headers FLOOR may include
        case $1 in
        monitor) echo monitor ;;
        loop) echo loop ;;
        collectors) echo "collectors monitor loop" ;;
        tui) echo "tui monitor loop" ;;
        cli) echo "cli collectors tui monitor loop" ;;
        esac
}
for floor in monitor loop collectors tui cli; do
        for f in "$root/$floor"/*.c "$root/$floor"/*.h "$root/$floor"/*.cc "$root/$floor"/*.cpp; do
                [ -f "$f" ] || continue
                # quoted includes are ours; each must live in an allowed folder
                for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
                        n=$((n + 1))
                        ok=0
                        for a in $(allowed $floor); do
                                [ -f "$root/$a/$h" ] && ok=1
                        done
                        if [ $ok -eq 0 ]; then
                                home=$(cd "$root" && ls */"$h" 2> /dev/null | head -1)
                                echo "not ok: ${f#$root/} includes \"$h\" (${home:-not found}): an arrow up"
                                fail=1
                        fi
                done
        done
done
[ $n -gt 50 ] || { echo "not ok: only $n includes seen: is $root the source root?"; exit 1; }
[ $fail -eq 0 ] && echo "ok: $n includes, every one down or level"
exit $fail
