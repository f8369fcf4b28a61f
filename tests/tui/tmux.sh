# Helpers of the tmux tests (sourced): a private tmux server, TAP output, polling
# the screen with bounded waits. The sourcing script sets $capmon first.
# shellcheck shell=sh
# shellcheck disable=SC2034,SC2154 # fail is read, capmon set, by the sourcing script
if ! command -v tmux > /dev/null 2>&1; then
        echo "1..0 # SKIP tmux not installed"
        exit 0
fi
dir=$(mktemp -d)
sock="capmon-tui-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
        T kill-server > /dev/null 2>&1
        rm -rf "$dir"
}
trap cleanup EXIT
n=0 fail=0
ok() {
        n=$((n + 1))
        if [ "$1" = 0 ]; then
                echo "ok $n - $2"
        else
                echo "not ok $n - $2"
                fail=1
                if [ -f "$dir/screen" ]; then
                        echo "# screen:"
                        sed 's/^/#   /' "$dir/screen"
                fi
        fi
}
# snap: the pane's text into $dir/screen
snap() { T capture-pane -p -t cap > "$dir/screen" 2> /dev/null; }
# wait_for REGEX [SECONDS]: poll the screen until a line matches
wait_for() {
        i=0 limit=$((${2:-10} * 10 * ${CAPMON_TEST_TIMEOUT_SCALE:-1}))
        while [ $i -lt $limit ]; do
                snap
                grep -Eq -- "$1" "$dir/screen" && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
# wait_until SECONDS COMMAND...: poll the screen until COMMAND succeeds on it (a
# title can be drawn before the rows under it: check the rows, not the title)
wait_until() {
        i=0 limit=$(($1 * 10 * ${CAPMON_TEST_TIMEOUT_SCALE:-1}))
        shift
        while [ $i -lt $limit ]; do
                snap
                "$@" && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
# wait_gone REGEX [SECONDS]: poll until no line matches
wait_gone() {
        i=0 limit=$((${2:-10} * 10 * ${CAPMON_TEST_TIMEOUT_SCALE:-1}))
        while [ $i -lt $limit ]; do
                snap
                grep -Eq -- "$1" "$dir/screen" || return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
# start COLS ROWS ENV... -- ARGS...: run capmon in a fresh session "cap"; when it
# ends, the shell prints its status and the terminal modes, then waits.
start() {
        cols=$1 rows=$2
        shift 2
        T kill-session -t cap > /dev/null 2>&1
        envs=""
        while [ "$1" != "--" ]; do
                envs="$envs $1"
                shift
        done
        shift
        args=""
        for a in "$@"; do args="$args '$a'"; done
        T new-session -d -s cap -x "$cols" -y "$rows" \
                "env LANG=C.UTF-8 TERM=screen $envs '$capmon' $args; echo \"EXIT=\$?\"; stty -a | tr ' ' '\\n' | grep -Ex -- '-?(icanon|echo)' | tr '\\n' ' '; echo; sleep 120"
        T set-option -t cap -g status off > /dev/null
}

