"""pidquery against psutil 7, each written the way its documentation
recommends, interleaved, at the machine's own process count plus a crowd.

    pip install ./python 'psutil>=7,<8'
    python python/bench.py --extra 10000 --rounds 7

Like the Rust `ratios` bench: each contestant gets a short slice in turn,
in a fresh random order every round; a slice keeps its fastest call, each
ratio is taken within a round, and the table shows the median over rounds.
Before timing, every pair of answers is checked against the processes the
bench spawned. The crowd is `sleep` processes forked by one shell that
kills its whole group when the bench's pipe closes (also if the bench is
killed), as benches/support/fixture.rs does. Linux only.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

import psutil

# The installed package, not the source tree beside this script.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
import pidquery  # noqa: E402

CROWD = """i=0
while [ "$i" -lt "$1" ]; do sleep 86400 </dev/null >/dev/null 2>&1 & i=$((i+1)); done
echo ready
read _
kill -9 0"""

# psutil's names for ProcInfo's fields that it has.
PSUTIL_FIELDS = ["pid", "ppid", "uids", "gids", "status", "nice", "num_threads", "create_time", "name", "terminal"]


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def wait_until(limit, done):
    end = time.monotonic() + limit
    while not done():
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


class Group:
    """A shell in a process group of its own, killed with its group on exit."""

    def __init__(self, script, *args):
        self.sh = subprocess.Popen(
            ["sh", "-c", script, "sh", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if self.sh.stdout.readline().strip() != b"ready":
            raise RuntimeError("the shell did not start its processes")

    def close(self):
        self.sh.stdin.close()
        try:
            os.killpg(self.sh.pid, 9)
        except ProcessLookupError:
            pass
        self.sh.wait()


def tree(middles=9, leaves=10):
    """A root sh -> `middles` sh that exec sleep -> `leaves` sleeps each."""
    middle = (
        "i=0; while [ $i -lt %d ]; do sleep 86400 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; "
        "exec sleep 86400" % leaves
    )
    script = (
        "i=0; while [ $i -lt %d ]; do sh -c '%s' </dev/null >/dev/null 2>&1 & i=$((i+1)); done\n"
        "echo ready\nread _\nkill -9 0" % (middles, middle)
    )
    group = Group(script)
    want = middles * (1 + leaves)

    def ready():
        below = children_of(group.sh.pid)
        below += [p for m in list(below) for p in children_of(m)]
        group.below = sorted(below)
        return len(below) == want and all(comm(p) == "sleep" for p in below)

    if not wait_until(60, ready):
        group.close()
        raise RuntimeError("tree: %d of %d started" % (len(group.below), want))
    return group


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def crowd(n):
    group = Group(CROWD, str(n))
    if not wait_until(120, lambda: len(children_of(group.sh.pid)) >= n):
        group.close()
        raise RuntimeError("crowd: %d of %d started" % (len(children_of(group.sh.pid)), n))
    return group


def fastest(fn, budget):
    """The fastest of the calls made in `budget` seconds (at least two)."""
    best = float("inf")
    end = time.perf_counter() + budget
    calls = 0
    while calls < 2 or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    return best


def fmt_time(seconds):
    if seconds >= 1e-3:
        return "%.2f ms" % (seconds * 1e3)
    return "%.1f µs" % (seconds * 1e6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra", type=int, default=10000, help="extra processes (default 10000)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--slice", type=float, default=0.15, help="seconds per contestant and round")
    args = parser.parse_args()
    if sys.platform != "linux":
        sys.exit("bench.py reads Linux /proc through both libraries")

    uid = os.geteuid()
    me = os.getpid()
    kids = [subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL) for _ in range(4)]
    groups = [tree()]
    try:
        if args.extra:
            print("spawning %d extra processes..." % args.extra, file=sys.stderr)
            groups.append(crowd(args.extra))
        root = groups[0].sh.pid
        target = kids[0].pid
        cases = [
            (
                "processes of one effective uid",
                lambda: pidquery.pids(uid=uid),
                lambda: [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"].effective == uid],
            ),
            (
                "children of a pid",
                lambda: pidquery.pids(ppid=me),
                lambda: psutil.Process(me).children(),
            ),
            (
                "descendants of a tree of 100",
                lambda: pidquery.descendants(root),
                lambda: psutil.Process(root).children(recursive=True),
            ),
            (
                "info(pid) / as_dict",
                lambda: pidquery.info(target),
                lambda: psutil.Process(target).as_dict(attrs=PSUTIL_FIELDS),
            ),
        ]
        # Each answer checked before it is timed.
        mine = {k.pid for k in kids} | {g.sh.pid for g in groups}
        assert set(pidquery.pids(ppid=me)) == mine == {p.pid for p in psutil.Process(me).children()}
        assert pidquery.descendants(root) == groups[0].below
        assert sorted(p.pid for p in psutil.Process(root).children(recursive=True)) == groups[0].below
        theirs = set(cases[0][2]())
        ours = set(pidquery.pids(uid=uid))
        assert me in ours and me in theirs and len(ours ^ theirs) < 0.01 * len(ours)
        info, d = pidquery.info(target), cases[3][2]()
        assert (info.ppid, info.euid, info.comm, info.threads) == (d["ppid"], d["uids"].effective, d["name"], d["num_threads"])

        count = len(pidquery.pids())
        print("processes: %d (+%d), %d rounds, psutil %s" % (count, args.extra, args.rounds, psutil.__version__), file=sys.stderr)
        ratios = {name: [] for name, _, _ in cases}
        times = {name: ([], []) for name, _, _ in cases}
        for r in range(args.rounds):
            order = list(cases)
            random.shuffle(order)
            for name, ours_fn, theirs_fn in order:
                pair = [("ours", ours_fn), ("theirs", theirs_fn)]
                random.shuffle(pair)
                t = {who: fastest(fn, args.slice) for who, fn in pair}
                ratios[name].append(t["theirs"] / t["ours"])
                times[name][0].append(t["ours"])
                times[name][1].append(t["theirs"])
            print("round %d done" % (r + 1), file=sys.stderr)
        print("| query (%d processes) | pidquery | psutil | psutil / pidquery | pidquery / psutil |" % count)
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, _, _ in cases:
            ratio = statistics.median(ratios[name])
            print(
                "| %s | %s | %s | %.1f× | %.3f |"
                % (
                    name,
                    fmt_time(statistics.median(times[name][0])),
                    fmt_time(statistics.median(times[name][1])),
                    ratio,
                    1 / ratio,
                )
            )
    finally:
        for g in groups:
            g.close()
        for k in kids:
            k.stdin.close()
            k.kill()
            k.wait()


if __name__ == "__main__":
    main()
