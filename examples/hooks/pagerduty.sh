#!/bin/sh
# capmon hook: PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview).
# One event per alert of the document: "trigger" while firing, "resolve" when
# resolved, with dedup_key = the alert's fingerprint, so a capmon alert is one
# PagerDuty incident from the first page to its resolution.
#
#   export PAGERDUTY_ROUTING_KEY=...   (the integration key of an Events v2 service)
#   capmon watch --hook examples/hooks/pagerduty.sh ...
#
# Needs curl and jq. The routing key is a secret: from the environment only, and it
# travels in the request body (read by curl from a pipe), never in argv.
# PAGERDUTY_EVENTS_URL overrides the endpoint (tests, EU service region).
set -eu
: "${PAGERDUTY_ROUTING_KEY:?set PAGERDUTY_ROUTING_KEY to the Events v2 integration key}"
url=${PAGERDUTY_EVENTS_URL:-https://events.pagerduty.com/v2/enqueue}
timeout=${CAPMON_CURL_TIMEOUT:-8}
command -v jq > /dev/null || { echo "pagerduty.sh: jq is needed" >&2; exit 1; }

doc=$(cat)
n=$(printf '%s' "$doc" | jq '.alerts | length')
i=0 fail=0
while [ "$i" -lt "$n" ]; do
        # PagerDuty severities: critical, error, warning, info
        printf '%s' "$doc" | jq -c --argjson i "$i" --arg key "$PAGERDUTY_ROUTING_KEY" '
                .alerts[$i] as $a
                | {routing_key: $key,
                   event_action: (if $a.status == "resolved" then "resolve" else "trigger" end),
                   dedup_key: $a.fingerprint}
                + (if $a.status == "resolved" then {} else {payload: {
                        summary: $a.annotations.summary,
                        source: ("capmon " + ($a.labels.meeting_id // "")),
                        severity: (if $a.labels.severity == "critical" then "critical" else "warning" end),
                        timestamp: $a.startsAt,
                        component: ($a.labels.meeting_topic // null),
                        group: ($a.labels.delegation // null),
                        class: $a.labels.alertname,
                        custom_details: ($a.labels + $a.annotations)}} end)' |
                curl --silent --show-error --fail --max-time "$timeout" \
                        -H "Content-Type: application/json" --data-binary @- "$url" > /dev/null ||
                fail=1
        i=$((i + 1))
done
exit "$fail"
