#!/bin/sh
# The Debian package: dpkg-buildpackage -us -uc -b builds capmon_*.deb from a copy
# of the source tree; it holds the binary, man page, recording, hooks, rules,
# dashboard, units, completion and example configuration; lintian finds no error;
# and the packaged binary, unpacked elsewhere, runs `capmon demo` on its own
# recording in a real terminal (tmux) once the source tree is gone.
# usage: test_deb.sh SOURCE_ROOT
set -u
src=$1
for p in dpkg-buildpackage dh lintian tmux; do
        if ! command -v $p > /dev/null 2>&1; then
                echo "1..0 # SKIP $p not installed (tools/deps.sh installs it)"
                exit 0
        fi
done
dir=$(mktemp -d)
sock="capmon-deb-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'T kill-server > /dev/null 2>&1; rm -rf "$dir"' EXIT
n=0 fail=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else
                echo "not ok $n - $2"
                fail=1
                [ -f "$dir/out" ] && tail -30 "$dir/out" | sed 's/^/#   /'
        fi
}
mkdir -p "$dir/b/capmon"
# the tracked and new files of the tree, never build folders
if git -C "$src" rev-parse > /dev/null 2>&1; then
        (cd "$src" && git ls-files -co --exclude-standard) | grep -v '^build' |
                (cd "$src" && tar -cf - -T -) | tar -xf - -C "$dir/b/capmon"
else
        (cd "$src" && tar --exclude='./build*' -cf - .) | tar -xf - -C "$dir/b/capmon"
fi
(cd "$dir/b/capmon" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) > "$dir/out" 2>&1
ok $? "dpkg-buildpackage -us -uc -b"
deb=$(ls "$dir"/b/capmon_*_*.deb 2> /dev/null | head -1)
[ -n "$deb" ]
ok $? "a capmon_*.deb was built (${deb##*/})"
[ -n "$deb" ] || { echo "1..$n"; exit 1; }
dpkg-deb -c "$deb" | awk '{print $1, $6}' > "$dir/contents"
missing=""
for f in ./usr/bin/capmon ./usr/share/man/man1/capmon.1.gz ./usr/share/capmon/council-sitting.jsonl \
        ./usr/share/capmon/hooks/alertmanager.sh ./usr/share/capmon/hooks/slack.sh \
        ./usr/share/capmon/hooks/pagerduty.sh ./usr/share/capmon/prometheus/capmon-rules.yml \
        ./usr/share/capmon/prometheus/prometheus.yml ./usr/share/capmon/grafana/capmon.json \
        ./lib/systemd/system/capmon-relay.service ./lib/systemd/system/capmon-watch@.service \
        ./usr/share/bash-completion/completions/capmon ./usr/share/doc/capmon/examples/capmon.json \
        ./usr/share/doc/capmon/copyright; do
        grep -q " $f\$" "$dir/contents" || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "the package holds every part${missing:+ (missing:$missing)}"
grep -q '^-rwxr-xr-x ./usr/share/capmon/hooks/alertmanager.sh$' "$dir/contents"
ok $? "the hooks are executable"
lintian --fail-on error "$deb" > "$dir/out" 2>&1
ok $? "lintian: no error"
grep '^E:' "$dir/out" | sed 's/^/# /'
grep '^W:' "$dir/out" | sed 's/^/# lintian warning: /'

# unpacked elsewhere, with the source tree (and its recording) gone
dpkg-deb -x "$deb" "$dir/root"
rm -rf "$dir/b/capmon"
"$dir/root/usr/bin/capmon" --version > "$dir/out" 2>&1 && grep -q '^capmon [0-9]' "$dir/out"
ok $? "the packaged binary runs (--version)"
"$dir/root/usr/bin/capmon" replay --max --json "$dir/root/usr/share/capmon/council-sitting.jsonl" \
        > "$dir/snap.json" 2> /dev/null &&
        grep -q '"topic": "Council, 4th sitting"' "$dir/snap.json"
ok $? "the packaged binary replays the packaged recording"
T new-session -d -s cap -x 100 -y 30 "$dir/root/usr/bin/capmon demo 2> $dir/demo.err; sleep 60"
i=0 found=1
while [ $i -lt 300 ]; do
        T capture-pane -p -t cap > "$dir/out" 2> /dev/null
        if grep -q "Council, 4th sitting" "$dir/out"; then found=0; break; fi
        sleep 0.1
        i=$((i + 1))
done
[ $found = 0 ] || cat "$dir/demo.err" >> "$dir/out"
ok $found "the packaged capmon demo finds its recording (../share/capmon beside the binary)"
T send-keys -t cap q
echo "1..$n"
exit $fail
