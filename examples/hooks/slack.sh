#!/bin/sh
# capmon hook: post a one-line message to a Slack channel through an incoming
# webhook (https://api.slack.com/messaging/webhooks).
#
#   export SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T000/B000/XXXX
#   capmon watch --hook examples/hooks/slack.sh ...
#
# The webhook URL is a secret: it comes from the environment and reaches curl
# through a config on a pipe, never through argv. Uses the CAPMON_* variables only
# (no JSON parsing needed); CAPMON_CURL_TIMEOUT (default 8 s) bounds the request.
set -eu
: "${SLACK_WEBHOOK_URL:?set SLACK_WEBHOOK_URL to the incoming webhook URL}"
timeout=${CAPMON_CURL_TIMEOUT:-8}
cat > /dev/null # the Alertmanager document is not needed here

case ${CAPMON_STATUS:-firing}/${CAPMON_SEVERITY:-} in
resolved/*) icon=":white_check_mark:" word="RESOLVED" ;;
*/critical) icon=":rotating_light:" word="CRITICAL" ;;
*) icon=":warning:" word="WARNING" ;;
esac

# JSON string escaping for the text (capmon already strips control characters).
json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\t' ' '; }
text=$(json_escape "$icon capmon $word: ${CAPMON_SUMMARY:-}")

printf 'url = "%s"\n' "$SLACK_WEBHOOK_URL" |
        curl --silent --show-error --fail --max-time "$timeout" --config - \
                -H "Content-Type: application/json" \
                --data-binary "{\"text\": \"$text\"}" > /dev/null
