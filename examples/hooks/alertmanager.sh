#!/bin/sh
# capmon hook: forward the Alertmanager webhook (version 4) document that capmon
# writes on standard input to any receiver that accepts Alertmanager webhooks
# (alertmanager-webhook receivers, chat bridges, incident tools).
#
#   export CAPMON_ALERTMANAGER_URL=https://receiver.example.org/alerts
#   capmon watch --hook examples/hooks/alertmanager.sh ...
#
# Optional: CAPMON_ALERTMANAGER_TOKEN (sent as "Authorization: Bearer ...", read
# from the environment, never from the command line), CAPMON_CURL_TIMEOUT (seconds,
# default 8: below capmon's 10 s hook limit).
#
# A URL ending in /api/v2/alerts is an Alertmanager itself: the alerts are then
# posted in its API format (needs jq), so Alertmanager does the routing.
set -eu
url=${CAPMON_ALERTMANAGER_URL:?set CAPMON_ALERTMANAGER_URL to the receiver URL}
timeout=${CAPMON_CURL_TIMEOUT:-8}

# The token reaches curl through a config read from a pipe, never through argv
# (argv is visible to every user in ps).
auth() {
        if [ -n "${CAPMON_ALERTMANAGER_TOKEN:-}" ]; then
                printf 'header = "Authorization: Bearer %s"\n' "$CAPMON_ALERTMANAGER_TOKEN"
        fi
}

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.v2"' EXIT
cat > "$tmp"
case $url in
*/api/v2/alerts)
        # Alertmanager's own API takes a bare list of alerts. Note: Alertmanager
        # resolves a firing alert by itself after its resolve_timeout (5 min) unless
        # it is sent again; capmon re-notifies firing alerts every `repeat`.
        command -v jq > /dev/null || { echo "alertmanager.sh: jq is needed for $url" >&2; exit 1; }
        jq -c '[.alerts[] | {labels, annotations, startsAt, generatorURL}
                + (if .status == "resolved" then {endsAt} else {} end)]' "$tmp" > "$tmp.v2"
        mv "$tmp.v2" "$tmp"
        ;;
esac
auth | curl --silent --show-error --fail --max-time "$timeout" \
        -H "Content-Type: application/json" --config - \
        --data-binary "@$tmp" "$url" > /dev/null
