"""fault: the relay's disk fills up. Writes that fail are answered 503 and cut
back, so the relay acknowledges nothing it did not write and its log holds no
torn or unacknowledged record; what it acknowledged stays; a subscribed monitor
never sees a cut record; once space returns, the retried events are accepted and
the log, the monitor and a replay of the log agree.

Run twice: the log on a 256 KiB tmpfs filled by another file (needs root and
mount, as in CI; CAPMON_TEST_NO_MOUNT=1 skips it), then under a file size limit
(RLIMIT_FSIZE set and raised again with prlimit: the relay ignores SIGXFSZ and
gets EFBIG rather than ENOSPC).
usage: fault_diskfull.py CAPMON JSONCMP"""
import errno
import os
import resource
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib as L  # noqa: E402

BEFORE, DURING, AFTER = 20, 30, 10


def uid_of(rec):
    return int(rec["body"]["payload"]["object"]["participant"]["user_id"])


def check_log(logpath, want_uids, what):
    data = open(logpath, "rb").read()
    if data and not data.endswith(b"\n"):
        L.fail("%s: the log ends with a torn line" % what)
    recs = L.log_records(logpath)
    if [r["seq"] for r in recs] != list(range(1, len(recs) + 1)):
        L.fail("%s: log seqs are not 1..%d" % (what, len(recs)))
    uids = [uid_of(r) for r in recs]
    if len(uids) != len(set(uids)):
        L.fail("%s: a record is in the log twice" % what)
    if set(uids) != set(want_uids):
        L.fail("%s: log holds %s, acknowledged %s (missing %s, unacknowledged %s)" %
               (what, len(uids), len(want_uids), sorted(set(want_uids) - set(uids))[:5],
                sorted(set(uids) - set(want_uids))[:5]))
    return len(recs)


def try_mount(mnt):
    if os.geteuid() != 0 or os.environ.get("CAPMON_TEST_NO_MOUNT"):
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "capmon-test", mnt],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def fill(mnt):
    """Fill the tmpfs; returns the filler's path."""
    path = os.path.join(mnt, "filler")
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 4096
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
        try:  # the last partial page
            while True:
                f.write(b"\0")
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
    return path


def main():
    capmon, jsoncmp = sys.argv[1], sys.argv[2]
    d = L.workdir()
    # a file size limit always; a full disk too where a tmpfs can be mounted
    for tmpfs in (True, False):
        sub = os.path.join(d, "tmpfs" if tmpfs else "rlimit")
        mnt = os.path.join(sub, "disk")
        os.makedirs(mnt)
        if tmpfs and not try_mount(mnt):
            L.log("no tmpfs here (needs root and mount): file size limit only")
            continue
        L.log("disk full by %s" % ("a full 256 KiB tmpfs" if tmpfs else "RLIMIT_FSIZE"))
        try:
            run(capmon, jsoncmp, sub, mnt, tmpfs)
        finally:
            if tmpfs:
                subprocess.run(["umount", "-l", mnt])
    subprocess.run(["rm", "-rf", d])


def run(capmon, jsoncmp, d, mnt, tmpfs):
    port = L.free_port()
    logpath = os.path.join(mnt, "relay.log")
    errpath = os.path.join(d, "relay.err")
    relay = L.start_relay(capmon, port, logpath, errpath)
    out = os.path.join(d, "watch.out")
    watch = L.spawn([capmon, "watch", "--json", "--interval", "0.2", "--capacity", "100000",
                     "--log", os.path.join(d, "watch.log"), "ws://127.0.0.1:%d" % port],
                    env={"CAPMON_TOKEN": L.TOKEN}, stdout=open(out, "wb"))
    L.wait_for(lambda: (L.healthz(port) or {}).get("subscribers") == 1, 10,
               "the monitor to subscribe")

    acked = []
    for u in range(BEFORE):
        st = L.post_signed(port, L.join_body(u))
        if st != 200:
            L.fail("before the disk is full: HTTP %d" % st)
        acked.append(u)

    # the disk is full
    if tmpfs:
        filler = fill(mnt)
    else:
        size = os.path.getsize(logpath)
        resource.prlimit(relay.pid, resource.RLIMIT_FSIZE, (size + 600, resource.RLIM_INFINITY))
    refused = []
    for u in range(100, 100 + DURING):
        st = L.post_signed(port, L.join_body(u))
        if st == 200:
            acked.append(u)
        elif st == 503:
            refused.append(u)
        else:
            L.fail("disk full: HTTP %d (expected 200 or 503)" % st)
    if len(refused) < DURING // 2:
        L.fail("disk full: only %d of %d refused" % (len(refused), DURING))
    if relay.poll() is not None:
        L.fail("the relay died on a full disk (exit %s)" % relay.returncode)
    if not (L.healthz(port) or {}).get("ok"):
        L.fail("healthz does not answer while the disk is full")
    n = check_log(logpath, acked, "disk full")
    if "write failed" not in open(errpath).read():
        L.fail("no 'write failed' line in the relay's log")
    L.log("disk full: %d acknowledged while it filled, %d refused with 503; log: %d records, "
          "exactly the acknowledged ones" % (DURING - len(refused), len(refused), n))

    # space returns: the sender retries what was refused, then new events come
    if tmpfs:
        os.unlink(filler)
    else:
        resource.prlimit(relay.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    for u in refused + list(range(200, 200 + AFTER)):
        st = L.post_signed(port, L.join_body(u))
        if st != 200:
            L.fail("after space returned: HTTP %d for %d" % (st, u))
        acked.append(u)
    n = check_log(logpath, acked, "recovered")

    def caught_up():
        s = L.last_json_line(out)
        return s and s["events"]["received"] == n
    L.wait_for(caught_up, 20, "the monitor to apply the whole log")
    if L.stop(watch) != 0:
        L.fail("watch exited %d" % watch.returncode)
    if L.stop(relay) != 0:
        L.fail("relay exited %d" % relay.returncode)
    final = L.last_json_line(out)
    if final["events"]["applied"] != n or final["events"]["received"] != n:
        L.fail("monitor: %s, expected %d applied" % (final["events"], n))
    final["alerts"] = [a for a in final["alerts"] if a["rule"] not in ("feed", "lag")]
    expected = L.replay_snapshot(capmon, logpath, ["--capacity", "100000"])
    L.compare_snapshots(jsoncmp, d, expected, final, "diskfull")
    L.log("ok: %d events acknowledged and in the log, none twice, none unacknowledged; "
          "the monitor equals the replay" % n)


if __name__ == "__main__":
    main()
