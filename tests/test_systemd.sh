#!/bin/sh
# examples/systemd: systemd-analyze verify passes on both units (with the built
# binary and man page in place of the installed ones), their exposure level is
# low, they carry the hardening and secrets handling the README promises, and
# the relay's default log lands in $STATE_DIRECTORY, never the working directory.
# usage: test_systemd.sh CAPMON SOURCE_ROOT
set -u
capmon=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
if ! command -v systemd-analyze > /dev/null 2>&1; then
        echo "1..0 # SKIP systemd-analyze not installed"
        exit 0
fi
dir=$(mktemp -d)
relay_pid=
cleanup() {
        [ -n "$relay_pid" ] && kill "$relay_pid" 2> /dev/null
        rm -rf "$dir"
}
trap cleanup EXIT
n=0 fail=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then echo "ok $n - $2"; else
                echo "not ok $n - $2"
                fail=1
                [ -f "$dir/out" ] && sed 's/^/#   /' "$dir/out"
        fi
}
mkdir -p "$dir/man/man1" "$dir/units"
cp "$src/doc/capmon.1" "$dir/man/man1/"
for u in capmon-relay.service capmon-watch@.service; do
        sed "s|/usr/bin/capmon|$capmon|g" "$src/examples/systemd/$u" > "$dir/units/$u"
done
for u in capmon-relay.service capmon-watch@council.service; do
        (cd "$dir/units" && MANPATH="$dir/man" systemd-analyze verify "./$u") > "$dir/out" 2>&1
        [ $? -eq 0 ] && [ ! -s "$dir/out" ]
        ok $? "systemd-analyze verify $u: no error, no warning"
        (cd "$dir/units" && systemd-analyze security --offline=yes "./$u") > "$dir/out" 2>&1
        level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$dir/out")
        [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'
        ok $? "$u: exposure level ${level:-?} <= 2.0 (systemd-analyze security)"
done
for u in capmon-relay.service capmon-watch@.service; do
        f="$src/examples/systemd/$u"
        missing=""
        for d in DynamicUser=yes StateDirectory= ProtectSystem=strict NoNewPrivileges=yes \
                PrivateTmp=yes Restart=on-failure 'ExecReload=/bin/kill -HUP $MAINPID'; do
                grep -q "^$d" "$f" || missing="$missing $d"
        done
        [ -z "$missing" ]
        ok $? "$u: hardening and restart directives present${missing:+ (missing:$missing)}"
done
# secrets: files through LoadCredential= (relay) or EnvironmentFile= (watch), never argv
grep -q '^LoadCredential=webhook-secret:' "$src/examples/systemd/capmon-relay.service" &&
        grep -q -- '--secret-file %d/webhook-secret' "$src/examples/systemd/capmon-relay.service" &&
        grep -q '^EnvironmentFile=/etc/capmon/watch-%i.env' "$src/examples/systemd/capmon-watch@.service" &&
        ! grep -Eq 'CAPMON_(TOKEN|WEBHOOK_SECRET)=[^.]' "$src/examples/systemd/capmon-relay.service"
ok $? "secrets come from credentials or an environment file"

# STATE_DIRECTORY: the relay's default log is there, not in the working directory
mkdir -p "$dir/state" "$dir/cwd"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$dir/cwd" && STATE_DIRECTORY="$dir/state" CAPMON_WEBHOOK_SECRET=s CAPMON_TOKEN=t \
        exec "$capmon" relay --listen "127.0.0.1:$port") > "$dir/out" 2>&1 &
relay_pid=$!
i=0
while [ $i -lt 200 ] && ! curl -s -m 2 "http://127.0.0.1:$port/healthz" > /dev/null; do
        sleep 0.1
        i=$((i + 1))
done
body='{"event":"capmon.participant_join_failed","event_ts":1700000000000,"payload":{"object":{"uuid":"u1","id":"1","participant":{"user_name":"A","reason":"locked"}}}}'
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
        -H "authorization: Bearer t" --data-binary "$body" "http://127.0.0.1:$port/events")
[ "$code" = 200 ] && grep -q '"uuid":"u1"' "$dir/state/capmon-relay.log" &&
        [ -z "$(ls -A "$dir/cwd")" ]
ok $? "STATE_DIRECTORY: the log is \$STATE_DIRECTORY/capmon-relay.log (POST answered $code)"
kill "$relay_pid"
wait "$relay_pid" 2> /dev/null
relay_pid=
echo "1..$n"
exit $fail
