"""tui + live: the dashboard's header says why a relay source does not work
(issue 15 item 3), in a real terminal (tmux, 160x40):
1. a wrong token against a real relay: the header shows "token refused by
   relay" and the retry is slow (60 s); `r` reconnects now (a second attempt
   within seconds);
2. no relay: the header shows "connection refused", and the figures are marked
   "STALE: never connected";
3. stale figures (issue 15 item 4): a watch that had live figures from a relay,
   once the relay is gone, marks them "STALE as of HH:MM:SS" (the time it was last
   live, checked against the wall clock around the kill) in the header, the
   table title and both gauges, and draws them dim (SGR 2 with NO_COLOR); when the
   relay is back they are live again.
usage: live_feed_tui.py CAPMON"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

SOCK = "capmon-feedtui-%d" % os.getpid()


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCK, "-f", "/dev/null"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20,
                          check=check).stdout.decode("utf-8", "replace")


def screen(name):
    return tmux("capture-pane", "-p", "-t", name, check=False)


def header(name):
    lines = screen(name).splitlines()
    return lines[0] if lines else ""


def start(name, capmon, spec, logp, token, extra_env=""):
    env = "CAPMON_TOKEN=%s %s" % (token, extra_env)
    tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "40",
         "env %s TERM=xterm-256color %s watch --log %s %s; sleep 60" % (env, capmon, logp, spec))


def text(path):
    try:
        return open(path).read()
    except OSError:
        return ""


def row_line(name, delegation):
    """The table row of delegation, with its SGR attributes (capture-pane -e)."""
    for line in tmux("capture-pane", "-e", "-p", "-t", name, check=False).splitlines():
        plain = line.replace("\x1b[0m", "")
        if delegation in plain and "delegation" not in plain:
            return line
    return ""


def stale_figures(capmon, d):
    port = L.free_port()
    logpath = os.path.join(d, "stale-relay.jsonl")
    relay = L.start_relay(capmon, port, logpath, os.path.join(d, "stale-relay.err"))
    for uid in ("a", "b"):
        if L.post_signed(port, L.join_body(uid)) != 200:
            L.fail("the relay did not take a join")
    start("stale", capmon, "ws://127.0.0.1:%d/events" % port, os.path.join(d, "stale.log"),
          L.TOKEN, "NO_COLOR=1")
    L.wait_for(lambda: "people 2" in screen("stale") and "STALE" not in screen("stale"), 20,
               "two people, live")
    # live: the count in bold, the name not dim; stale: all dim, nothing bold
    dim_name = re.compile(r"\x1b\[2m\s*Switzerland")
    bold_count = re.compile(r"\x1b\[(?:\d*;)*1m(?:\x1b\[\d+m)*\s*2")
    row = row_line("stale", "Switzerland")
    if dim_name.search(row) or not bold_count.search(row):
        L.fail("a live row is dim or its count not bold: %r" % row)
    before = time.time()
    L.stop(relay)
    after = time.time()
    L.wait_for(lambda: "STALE as of" in screen("stale"), 20, "the figures to be marked stale")
    sc = screen("stale")
    lines = sc.splitlines()
    m = [ln for ln in lines if "STALE as of" in ln]

    t = re.search(r"STALE as of (\d\d):(\d\d):(\d\d)", m[0])
    shown = int(t.group(1)) * 3600 + int(t.group(2)) * 60 + int(t.group(3))
    # live until the relay went: the time shown lies between a second before the
    # kill began (the dashboard notes "live" at each frame) and its end
    lo, hi = int(before - 1.5) % 86400, int(after + 1) % 86400
    if not (lo <= shown <= hi):
        L.fail("as of %s, the relay was stopped between %d and %d (s of day)" % (t.group(0), lo, hi))
    if not lines[1].lstrip().startswith("STALE as of"):
        L.fail("the header's second line does not begin with STALE: %r" % lines[1])
    if not re.search(r"Delegations 1/1  STALE as of", sc):
        L.fail("the table title does not say STALE: %s" % sc)
    if len(re.findall(r"(Participants|Video) .*STALE", sc)) != 1 or "2/1000" not in sc:
        L.fail("the participants gauge does not say STALE: %s" % sc)
    row = row_line("stale", "Switzerland")
    if not dim_name.search(row) or bold_count.search(row):
        L.fail("the stale row is not dim: %r" % row)
    # the selection stays visible while the rest is dim (reverse video, NO_COLOR)
    tmux("send-keys", "-t", "stale", "j")
    L.wait_for(lambda: "\x1b[7mSwitzerland" in row_line("stale", "Switzerland"), 10,
               "the selected row in reverse video while stale")
    L.log("ok - stale figures: %s; row %r" % (t.group(0), row))
    relay = L.start_relay(capmon, port, logpath, os.path.join(d, "stale-relay.err"))
    tmux("send-keys", "-t", "stale", "r")
    L.wait_for(lambda: "STALE" not in screen("stale"), 30, "live figures again")
    L.log("ok - the relay back: the figures are live again")
    tmux("send-keys", "-t", "stale", "q")
    L.stop(relay)


def main():
    capmon = os.path.abspath(sys.argv[1])
    if not shutil.which("tmux"):
        print("1..0 # SKIP tmux not installed")
        sys.exit(77)
    d = L.workdir()
    try:
        port = L.free_port()
        relay = L.start_relay(capmon, port, os.path.join(d, "relay.jsonl"),
                              os.path.join(d, "relay.err"))
        logp = os.path.join(d, "token.log")
        start("tok", capmon, "ws://127.0.0.1:%d/events" % port, logp, "wrong-token")
        L.wait_for(lambda: "token refused by relay" in header("tok"), 20,
                   "the header to say the token was refused")
        L.log("header: %s" % header("tok").strip())
        if "reconnecting in 60.0 s" not in text(logp):
            L.fail("no slow retry after a refused token: %r" % text(logp))
        if text(logp).count("connection failed") != 1:
            L.fail("expected one attempt before r: %r" % text(logp))
        if "r reconnect" not in screen("tok"):
            L.fail("the footer does not offer r: %s" % screen("tok"))
        tmux("send-keys", "-t", "tok", "r")
        L.wait_for(lambda: text(logp).count("connection failed") >= 2, 15,
                   "r to try again at once")
        if "reconnecting now (asked)" not in text(logp):
            L.fail("r not logged: %r" % text(logp))
        L.log("ok - a refused token is in the header; r reconnects now")
        tmux("send-keys", "-t", "tok", "q")
        L.stop(relay)

        start("none", capmon, "ws://127.0.0.1:%d/events" % L.free_port(),
              os.path.join(d, "none.log"), "x")
        L.wait_for(lambda: "connection refused" in header("none"), 20,
                   "the header to say the connection was refused")
        L.log("header: %s" % header("none").strip())
        L.wait_for(lambda: "STALE: never connected" in screen("none"), 20,
                   "figures marked as never live")
        L.log("ok - no relay: 'connection refused' in the header, STALE: never connected")
        tmux("send-keys", "-t", "none", "q")

        stale_figures(capmon, d)
    finally:
        tmux("kill-server", check=False)
    shutil.rmtree(d, ignore_errors=True)
    L.log("PASS")


if __name__ == "__main__":
    main()
