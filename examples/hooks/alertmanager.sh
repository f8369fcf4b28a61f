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
# posted in its API format (needs jq), so Alertmanager does the routing. A firing
# alert is sent with endsAt = now + CAPMON_ALERTMANAGER_ENDS_AFTER seconds
# (default 3900: twice capmon's default repeat of 30 min, plus 5 min), so that
# Alertmanager keeps it firing until capmon's next repeat instead of resolving it
# after its resolve_timeout (5 min); a resolved alert carries capmon's endsAt.
# With a longer `repeat` in capmon's rules, raise CAPMON_ALERTMANAGER_ENDS_AFTER.
set -eu
url=${CAPMON_ALERTMANAGER_URL:?set CAPMON_ALERTMANAGER_URL to the receiver URL}
timeout=${CAPMON_CURL_TIMEOUT:-8}
ends_after=${CAPMON_ALERTMANAGER_ENDS_AFTER:-3900}
case $ends_after in '' | *[!0-9]*)
        echo "alertmanager.sh: CAPMON_ALERTMANAGER_ENDS_AFTER must be whole seconds" >&2
        exit 2
        ;;
esac

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
        # Alertmanager's own API takes a bare list of alerts. Alertmanager
        # resolves a firing alert by itself once its endsAt has passed (without
        # one: after resolve_timeout), so a firing alert gets an endsAt beyond
        # capmon's next repeat.
        command -v jq > /dev/null || { echo "alertmanager.sh: jq is needed for $url" >&2; exit 1; }
        jq -c --argjson ea "$ends_after" '[.alerts[] | {labels, annotations, startsAt, generatorURL}
                + (if .status == "resolved" then {endsAt}
                   else {endsAt: (now + $ea | floor | todate)} end)]' "$tmp" > "$tmp.v2"
        mv "$tmp.v2" "$tmp"
        ;;
esac
auth | curl --silent --show-error --fail --max-time "$timeout" \
        -H "Content-Type: application/json" --config - \
        --data-binary "@$tmp" "$url" > /dev/null
