#!/bin/sh
# Makes docs/screenshot.png from a real terminal: the dashboard runs in tmux
# (120x40), tmux capture-pane -e gives the screen with its colours, a small
# converter turns it into HTML, and headless Chromium renders the PNG.
# usage: tools/screenshot.sh [BUILDDIR] [OUT.png]
#   SHOT_WAIT=S   seconds of demo before the capture (default 25)
# Needs tmux and chromium (Debian: apt-get install tmux chromium fonts-dejavu-core).
set -eu
cd "$(dirname "$0")/.."
b=${1:-build}
out=${2:-docs/screenshot.png}
cols=120 rows=40
[ -x "$b/cli/capmon" ] || { echo "build first: meson setup $b && ninja -C $b" >&2; exit 1; }
command -v tmux > /dev/null || { echo "screenshot: tmux is needed" >&2; exit 1; }
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "screenshot: chromium is needed" >&2; exit 1; }
dir=$(mktemp -d)
sock="capmon-shot-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'T kill-server > /dev/null 2>&1; rm -rf "$dir"' EXIT

if [ -f examples/council-sitting.jsonl ]; then
        cmd="$b/cli/capmon demo"
        fast=1
elif [ -f tools/gen-recording.py ]; then # the generator of the bundled recording
        /usr/bin/python3 tools/gen-recording.py --mode sitting --seed 1 \
                --out "$dir/sitting.jsonl" 2> /dev/null
        cmd="$b/cli/capmon demo $dir/sitting.jsonl"
        fast=1
else
        /usr/bin/python3 tests/tui/make_log.py "$dir/log.jsonl"
        cmd="$b/cli/capmon replay --tui --max --capacity 12 $dir/log.jsonl"
        fast=0
fi
T new-session -d -s shot -x $cols -y $rows "exec env LANG=C.UTF-8 TERM=screen-256color $cmd"
T set-option -t shot -g status off > /dev/null
if [ $fast = 1 ]; then
        sleep 1
        T send-keys -t shot + + + # 8x the demo speed: the sitting fills in ~15 s
        sleep "${SHOT_WAIT:-25}"
fi
sleep 1
T capture-pane -p -e -N -t shot > "$dir/screen.ans"
T send-keys -t shot q

/usr/bin/python3 - "$dir/screen.ans" "$dir/screen.html" $cols $rows << 'PY'
import html, re, sys
src, dst, cols, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
# a dark palette (xterm order: black red green yellow blue magenta cyan white)
base = ["#1e1e1e", "#e05561", "#8cc265", "#d18f52", "#4aa5f0", "#c162de", "#42b3c2", "#d7dae0"]
bright = ["#5c6370", "#ff616e", "#a5e075", "#f0a45d", "#4dc4ff", "#de73ff", "#4cd1e0", "#ffffff"]
FG, BG = "#d7dae0", "#16181d"

def c256(n):
    if n < 8:
        return base[n]
    if n < 16:
        return bright[n - 8]
    if n < 232:
        n -= 16
        lv = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (lv[n // 36], lv[(n // 6) % 6], lv[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)

st = dict(fg=None, bg=None, bold=False, dim=False, ul=False, rev=False)

def sgr(params):
    ps = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
    i = 0
    while i < len(ps):
        p = ps[i]
        if p == 0:
            st.update(fg=None, bg=None, bold=False, dim=False, ul=False, rev=False)
        elif p == 1: st["bold"] = True
        elif p == 2: st["dim"] = True
        elif p == 4: st["ul"] = True
        elif p == 7: st["rev"] = True
        elif p == 22: st["bold"] = st["dim"] = False
        elif p == 24: st["ul"] = False
        elif p == 27: st["rev"] = False
        elif 30 <= p <= 37: st["fg"] = base[p - 30]
        elif 90 <= p <= 97: st["fg"] = bright[p - 90]
        elif 40 <= p <= 47: st["bg"] = base[p - 40]
        elif 100 <= p <= 107: st["bg"] = bright[p - 100]
        elif p == 39: st["fg"] = None
        elif p == 49: st["bg"] = None
        elif p in (38, 48) and i + 2 < len(ps) and ps[i + 1] == 5:
            st["fg" if p == 38 else "bg"] = c256(ps[i + 2]); i += 2
        elif p in (38, 48) and i + 4 < len(ps) and ps[i + 1] == 2:
            st["fg" if p == 38 else "bg"] = "#%02x%02x%02x" % tuple(ps[i + 2:i + 5]); i += 4
        i += 1

def style():
    fg, bg = st["fg"] or FG, st["bg"] or BG
    if st["rev"]:
        fg, bg = bg, fg
    if st["bold"] and st["fg"] in base:
        fg = bright[base.index(st["fg"])]
    css = "color:%s;background:%s" % (fg, bg)
    if st["bold"]: css += ";font-weight:bold"
    if st["dim"]: css += ";opacity:.7"
    if st["ul"]: css += ";text-decoration:underline"
    return css

out = []
lines = open(src, encoding="utf-8", errors="replace").read().split("\n")[:rows]
for line in lines:
    pos, row = 0, []
    for m in re.finditer(r"\x1b\[([0-9;:]*)m", line):
        if m.start() > pos:
            row.append('<span style="%s">%s</span>' % (style(), html.escape(line[pos:m.start()])))
        sgr(m.group(1))
        pos = m.end()
    if pos < len(line):
        row.append('<span style="%s">%s</span>' % (style(), html.escape(line[pos:])))
    out.append("".join(row))
    st.update(fg=None, bg=None, bold=False, dim=False, ul=False, rev=False)
page = """<!doctype html><meta charset="utf-8"><style>
html,body{margin:0;background:%s}
pre{margin:0;padding:12px 14px;font:15px/18px "DejaVu Sans Mono",monospace;color:%s;
    white-space:pre}
</style><pre>%s</pre>""" % (BG, FG, "\n".join(out))
open(dst, "w", encoding="utf-8").write(page)
PY

# DejaVu Sans Mono at 15px: ~9.04 px per column, 18 px per line, 12/14 px padding
width=$((cols * 904 / 100 + 30))
height=$((rows * 18 + 24))
mkdir -p "$(dirname "$out")"
case $out in /*) abs=$out ;; *) abs=$PWD/$out ;; esac
profile=$(mktemp -d)
"$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars \
        --window-size="$width,$height" --screenshot="$abs" \
        "file://$dir/screen.html" > "$dir/chrome.log" 2>&1 || {
        cat "$dir/chrome.log" >&2
        rm -rf "$profile"
        exit 1
}
rm -rf "$profile"
[ -s "$abs" ] || { echo "screenshot: chromium wrote nothing" >&2; cat "$dir/chrome.log" >&2; exit 1; }
echo "wrote $out (${width}x${height})"
