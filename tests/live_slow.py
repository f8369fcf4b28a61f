"""live: a subscriber that stops reading is dropped by the relay once it is more
than --max-behind records behind (close reason says where to resume), the
relay's memory stays bounded, and the other subscribers are not held up.
usage: live_slow.py CAPMON"""
import asyncio
import base64
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

import websockets  # noqa: E402

N = 1500
MAX_BEHIND = 200


def stuck_subscriber(port):
    """Handshake, then never read: its socket buffers fill up."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /events?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Authorization: Bearer %s\r\n\r\n" % (key, L.TOKEN)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        L.fail("stuck subscriber not upgraded: %r" % head[:100])
    return s


def reader(port, got, done, release):
    """Reads every record, then stays connected until release: the relay's count
    of subscribers is then 1 exactly when the stuck one is gone (had the reader
    left first, the count would pass 1 on its way to 0, or sit at 1 with the
    stuck one still there: a stressed ASan run timed out on that)."""
    async def run():
        async with websockets.connect("ws://127.0.0.1:%d/events?since=0&token=%s" %
                                      (port, L.TOKEN), max_size=2 ** 21) as ws:
            while len(got) < N:
                got.append(await asyncio.wait_for(ws.recv(), 30))
            done.set()
            while not release.is_set():
                await asyncio.sleep(0.05)
        done.set()
    try:
        asyncio.run(run())
    except Exception as e:
        got.append("ERROR %r" % e)
        done.set()


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    capmon = sys.argv[1]
    d = L.workdir()
    port = L.free_port()
    logpath, errpath = os.path.join(d, "relay.log"), os.path.join(d, "relay.err")
    relay = L.start_relay(capmon, port, logpath, errpath, ["--max-behind", str(MAX_BEHIND)])
    stuck = stuck_subscriber(port)
    got, done, release = [], threading.Event(), threading.Event()
    threading.Thread(target=reader, args=(port, got, done, release), daemon=True).start()
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 2, 60, "two subscribers")
    pad = "x" * 4000
    items = [(str(i), L.join_body(7000 + i, name="Switzerland - %d %s" % (i, pad)))
             for i in range(N)]
    codes = L.curl_post_all(d, "slow", port, items, parallel=8)
    if sorted(set(codes.values())) != [200]:
        L.fail("not every webhook acknowledged: %s" % sorted(set(codes.values())))
    # deadlines are generous: a loaded machine (stress --cpu 2) is slow, not wrong
    L.wait_for(lambda: "dropped subscriber" in open(errpath).read(), 90,
               "the relay to drop the stuck subscriber")
    dropped = time.monotonic()
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 1, 90,
               "the stuck subscriber to be gone")
    L.log("the stuck subscriber gone %.1f s after the drop was logged" %
          (time.monotonic() - dropped))
    if not done.wait(90) or len(got) != N or got[-1].startswith("ERROR"):
        L.fail("the reading subscriber got %d of %d records" % (len(got), N))
    release.set()
    rss = rss_kb(relay.pid)
    asan = "libasan" in open("/proc/%d/maps" % relay.pid).read()  # shadow memory, quarantine
    if rss > 64 * 1024 and not asan:
        L.fail("relay uses %d KiB" % rss)
    err = open(errpath).read()
    if "too slow: fell behind" not in err:
        L.fail("no reason in the relay log:\n" + err)
    stuck.close()
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)
    L.log("ok: stuck subscriber dropped (max behind %d), the other got all %d, relay RSS %d KiB"
          % (MAX_BEHIND, N, rss))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
