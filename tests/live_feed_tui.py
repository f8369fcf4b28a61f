"""tui + live: the dashboard's header says why a relay source does not work
(issue 15 item 3), in a real terminal (tmux, 160x40):
1. a wrong token against a real relay: the header shows "token refused by
   relay" and the retry is slow (60 s); `r` reconnects now (a second attempt
   within seconds);
2. no relay: the header shows "connection refused".
usage: live_feed_tui.py CAPMON"""
import os
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


def start(name, capmon, spec, logp, token):
    env = "CAPMON_TOKEN=%s" % token
    tmux("new-session", "-d", "-s", name, "-x", "160", "-y", "40",
         "env %s TERM=xterm-256color %s watch --log %s %s; sleep 60" % (env, capmon, logp, spec))


def text(path):
    try:
        return open(path).read()
    except OSError:
        return ""


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
        L.log("ok - no relay: 'connection refused' in the header")
        tmux("send-keys", "-t", "none", "q")
    finally:
        tmux("kill-server", check=False)
    shutil.rmtree(d, ignore_errors=True)
    L.log("PASS")


if __name__ == "__main__":
    main()
