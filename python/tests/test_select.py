"""`select` and `iter_select` against `pgrep` (procps) and /proc, over a
fixture of children with chosen names, command lines, owners, groups,
sessions and states."""

import datetime
import os
import pathlib
import pty
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

import pidquery
from conftest import linux_only, pidfds, running, wait_exec

pytestmark = linux_only


def pgrep(*args):
    """The pids `pgrep` lists for `args` (pgrep leaves itself out)."""
    out = subprocess.run(["pgrep", *map(str, args)], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return {int(p) for p in out.stdout.split()}


def both(**conditions):
    """`select` and `iter_select` agree; the answer as a set (and sorted)."""
    listed = pidquery.select(**conditions)
    assert listed == sorted(set(listed)), "not ascending or duplicated"
    assert list(pidquery.iter_select(**conditions)) == listed
    return set(listed)


def proc_stat(pid):
    """The fields of /proc/<pid>/stat after the name (field 3 on)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def start_seconds(pid):
    """When `pid` started, in seconds since the epoch, from /proc."""
    with open("/proc/stat") as f:
        btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
    return btime + int(proc_stat(pid)[19]) / os.sysconf("SC_CLK_TCK")


class Fixture:
    """The children: `alpha` (own session, `pqsel-alpha 300 1`), `beta`
    (uid and gid 65534 when root, `pqsel-Beta 300 2`), `gamma` (own
    session, a shell `pqsel-gamma` whose child `leaf` is a `sleep`),
    `stopped` (`pqsel-alpha 300 3`, stopped: state T)."""

    def __init__(self, tmp_path):
        self.procs = []
        links = {}
        for name, target in [("pqsel-alpha", "sleep"), ("pqsel-Beta", "sleep"), ("pqsel-gamma", "sh")]:
            links[name] = str(tmp_path / name)
            os.symlink(subprocess.run(["which", target], capture_output=True, text=True, check=True).stdout.strip(), links[name])
        root = os.geteuid() == 0
        self.alpha = self.spawn([links["pqsel-alpha"], "300", "1"], "pqsel-alpha", start_new_session=True)
        self.beta = self.spawn(
            [links["pqsel-Beta"], "300", "2"], "pqsel-Beta", **({"user": 65534, "group": 65534} if root else {})
        )
        self.gamma = self.spawn(
            [links["pqsel-gamma"], "-c", "sleep 300 & wait"], "pqsel-gamma", start_new_session=True
        )
        self.stopped = self.spawn([links["pqsel-alpha"], "300", "3"], "pqsel-alpha")
        os.kill(self.stopped, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            kids = pgrep("-P", self.gamma)
            if len(kids) == 1 and proc_stat(self.stopped)[0] == "T":
                (self.leaf,) = kids
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the fixture never settled")
        wait_exec(self.leaf)
        self.named = {self.alpha, self.beta, self.gamma, self.stopped}
        self.all = self.named | {self.leaf}

    def spawn(self, argv, comm, **kwargs):
        # argv[0] is the bare name; the link's path is what runs.
        proc = subprocess.Popen([comm, *argv[1:]], executable=argv[0], **kwargs)
        self.procs.append(proc)
        wait_exec(proc.pid, comm)
        # Start times a clock tick apart or more, so that newest and oldest
        # have no ties to break.
        time.sleep(0.03)
        return proc.pid

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                if os.getpgid(p.pid) == p.pid:
                    os.killpg(p.pid, signal.SIGKILL)  # gamma's leaf too
                else:
                    p.kill()
            p.wait()


@pytest.fixture
def fx():
    # Not pytest's tmp_path: beta, running as nobody, must reach its link.
    links = tempfile.mkdtemp(prefix="pqsel-")
    os.chmod(links, 0o755)
    f = Fixture(pathlib.Path(links))
    try:
        yield f
    finally:
        f.close()
        shutil.rmtree(links)


def test_names_match_pgrep(fx):
    me = os.getpid()
    alphas = {fx.alpha, fx.stopped}
    cases = [
        (dict(name="pqsel-alpha"), ["-x", "pqsel-alpha"], alphas),
        (dict(name=b"pqsel-alpha"), ["-x", "pqsel-alpha"], alphas),
        (dict(name=["pqsel-alpha", "pqsel-Beta"]), ["-x", "pqsel-alpha|pqsel-Beta"], alphas | {fx.beta}),
        (dict(name_prefix="pqsel-"), ["^pqsel-"], fx.named),
        (dict(name_prefix=("pqsel-g", "pqsel-B")), ["^pqsel-(g|B)"], {fx.gamma, fx.beta}),
        (dict(name_prefix="PQSEL-b", ignore_case=True), ["-i", "^PQSEL-b"], {fx.beta}),
        (dict(name_prefix="PQSEL-b"), ["^PQSEL-b"], set()),
        (dict(name_contains="sel-g"), ["sel-g"], {fx.gamma}),
        (dict(name_contains="SEL-G", ignore_case=True), ["-i", "SEL-G"], {fx.gamma}),
        (dict(name="PQSEL-ALPHA", ignore_case=True), ["-i", "-x", "PQSEL-ALPHA"], alphas),
        (dict(name="pqsel-alph"), ["-x", "pqsel-alph"], set()),
        (dict(name="sleep", ppid=fx.gamma), ["-x", "-P", fx.gamma, "sleep"], {fx.leaf}),
    ]
    for conditions, args, expect in cases:
        ours = both(**conditions)
        assert ours == pgrep(*args) == expect, conditions
    assert both(name_prefix="pqsel-", ppid=me) == fx.named


def test_cmdlines_match_pgrep(fx):
    cases = [
        (dict(cmdline_contains="el-Beta 300 2"), ["-f", "el-Beta 300 2"], {fx.beta}),
        (dict(cmdline="pqsel-alpha 300 1"), ["-x", "-f", "pqsel-alpha 300 1"], {fx.alpha}),
        (dict(cmdline="pqsel-alpha 300"), ["-x", "-f", "pqsel-alpha 300"], set()),
        (
            dict(cmdline=["pqsel-alpha 300 1", "pqsel-alpha 300 3"]),
            ["-x", "-f", "pqsel-alpha 300 (1|3)"],
            {fx.alpha, fx.stopped},
        ),
        (dict(cmdline_prefix="pqsel-gamma -c"), ["-f", "^pqsel-gamma -c"], {fx.gamma}),
        (dict(cmdline_contains="PQSEL-GAMMA -c SLEEP", ignore_case=True), ["-i", "-f", "PQSEL-GAMMA -c SLEEP"], {fx.gamma}),
        (dict(cmdline_contains="-c sleep 300 &", name="pqsel-gamma"), ["-x", "-f", "pqsel-gamma -c sleep 300 & wait"], {fx.gamma}),
    ]
    for conditions, args, expect in cases:
        assert both(**conditions) == pgrep(*args) == expect, conditions
    # The command line as the kernel keeps it: the arguments joined by spaces.
    with open("/proc/%d/cmdline" % fx.alpha, "rb") as f:
        joined = f.read().rstrip(b"\0").replace(b"\0", b" ")
    assert both(cmdline=joined) == {fx.alpha}


def test_ids_sessions_groups_parents_match_pgrep(fx):
    me = os.getpid()
    uid, gid = os.geteuid(), os.getgid()
    cases = [
        (dict(ppid=[me, fx.gamma]), ["-P", "%d,%d" % (me, fx.gamma)]),
        (dict(session=fx.alpha), ["-s", fx.alpha]),
        (dict(pgrp=[fx.alpha, fx.gamma]), ["-g", "%d,%d" % (fx.alpha, fx.gamma)]),
        (dict(euid=uid, ppid=me), ["-u", uid, "-P", me]),
        (dict(uid=[uid, 65534], name_prefix="pqsel"), ["-u", "%d,65534" % uid, "^pqsel"]),
        (dict(ruid=65534, name_prefix="pqsel"), ["-U", 65534, "^pqsel"]),
        (dict(rgid=[65534], name_prefix="pqsel"), ["-G", 65534, "^pqsel"]),
        (dict(rgid=gid, ppid=me), ["-G", gid, "-P", me]),
    ]
    for conditions, args in cases:
        assert both(**conditions) == pgrep(*args), conditions
    assert both(ppid=me) >= fx.named
    assert both(pgrp=[fx.gamma]) == {fx.gamma, fx.leaf}
    if os.geteuid() == 0:
        assert both(euid=65534, ruid=65534, rgid=65534, ppid=me) == {fx.beta}
    else:
        print("not root: beta runs as %d, not as nobody" % uid)
    assert both(pgrp=[]) == set()
    assert both(ppid=range(me, me + 1)) == both(ppid=me)


def test_descendants_against_proc(fx):
    me = os.getpid()
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(proc_stat(int(entry))[1])
            except (FileNotFoundError, ProcessLookupError):
                pass
    below, frontier = set(), {fx.gamma}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - below
        below |= frontier
    assert below == {fx.leaf}
    assert both(descendants=fx.gamma) == below
    assert both(descendants=[fx.gamma, fx.alpha]) == below
    assert both(descendants=me, name="sleep") == {fx.leaf}


def test_states_match_pgrep(fx):
    me = os.getpid()
    assert both(state="T", ppid=me) == pgrep("-r", "T", "-P", me) == {fx.stopped}
    assert both(state=["S", "T"], ppid=me) == pgrep("-r", "S,T", "-P", me) == fx.named
    assert both(state="S,T", ppid=me) == fx.named
    assert both(state="RD", ppid=me) == pgrep("-r", "R,D", "-P", me) == set()
    assert both(state=[], ppid=me) == set()


def test_zombies_are_listed_and_reaped_ones_are_not(fx):
    me = os.getpid()
    os.kill(fx.alpha, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while proc_stat(fx.alpha)[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert both(state="Z", ppid=me) == pgrep("-r", "Z", "-P", me) == {fx.alpha}
    # A zombie's command line is its name in brackets and " <defunct>".
    assert both(cmdline="[pqsel-alpha] <defunct>") == {fx.alpha}
    fx.procs[0].wait()
    assert both(ppid=me) == pgrep("-P", me) == fx.named - {fx.alpha}


def test_exclude_newest_oldest_match_pgrep(fx):
    assert both(name="pqsel-alpha", exclude=fx.alpha) == {fx.stopped}
    assert both(name="pqsel-alpha", exclude=os.getpid()) == {fx.alpha, fx.stopped}
    for flag in ("newest", "oldest"):
        ours = both(name_prefix="pqsel-", **{flag: True})
        assert ours == pgrep("-" + flag[0], "^pqsel-"), flag
    assert both(name_prefix="pqsel-", newest=True) == {fx.stopped}
    assert both(name_prefix="pqsel-", oldest=True) == {fx.alpha}
    assert both(name_prefix="pqsel-", newest=False) == fx.named


def bracketed(ours_fn, pgrep_args):
    """Compares a system-wide `ours_fn()` with pgrep taken just before and
    just after, each process pinned with a pidfd (conftest.check_listing's
    rule): alive throughout and listed by pgrep both times means listed
    by us; listed by us and alive throughout means listed by pgrep after."""
    pinned = pidfds(int(p) for p in os.listdir("/proc") if p.isdigit())
    before = pgrep(*pgrep_args)
    ours = ours_fn()
    listed = pidfds(ours)
    after = pgrep(*pgrep_args)
    stable, still = running(pinned), running(listed)
    missing = (before & after & stable) - ours
    assert not missing, "matched by pgrep before and after, alive, not listed: %s" % sorted(missing)
    extra = (ours & still) - after
    assert not extra, "listed, alive throughout, not matched by pgrep after: %s" % sorted(extra)
    return ours


def test_negate_matches_pgrep(fx):
    me = os.getpid()
    for fn in (pidquery.select, pidquery.iter_select):
        ours = bracketed(lambda: set(fn(ppid=me, negate=True)), ["-v", "-P", me])
        assert not ours & fx.named and me in ours and fx.leaf in ours
        ours = bracketed(lambda: set(fn(name_prefix="pqsel-", negate=True)), ["-v", "^pqsel-"])
        assert not ours & fx.named and fx.leaf in ours
    # exclude applies before negate: never listed either way.
    for fn in (pidquery.select, pidquery.iter_select):
        assert fx.leaf not in fn(name_prefix="pqsel-", negate=True, exclude=fx.leaf)
    assert both(ppid=me, negate=False) == both(ppid=me)


def test_start_times_against_proc(fx):
    me = os.getpid()
    # Three seconds before every child started, by /proc's count.
    first = min(start_seconds(p) for p in fx.all)
    t = first - 3
    assert both(ppid=me, started_after=t) == fx.named
    assert both(ppid=me, started_before=t) == set()
    assert both(ppid=me, started_before=time.time() + 3600) == fx.named
    assert both(started_after=time.time() + 3600) == set()
    aware = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
    naive = datetime.datetime.fromtimestamp(t)  # local time
    assert both(ppid=me, started_after=aware) == both(ppid=me, started_after=naive) == fx.named
    assert both(ppid=me, started_after=int(t)) == fx.named
    # System-wide, against the start every process has in /proc, each
    # pinned with a pidfd, leaving out those within two seconds of the
    # bound (the whole-second rounding).
    bound = first - 1
    pinned = pidfds(int(p) for p in os.listdir("/proc") if p.isdigit())
    ours = set(pidquery.select(started_before=bound))
    starts = {}
    for pid in pinned:
        try:
            starts[pid] = start_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    stable = running(pinned)
    judged = {p for p in stable & set(starts) if abs(starts[p] - bound) > 2}
    wrong = {p for p in judged if (starts[p] < bound) != (p in ours)}
    assert not wrong, {p: starts[p] - bound for p in wrong}
    assert 1 in ours and not ours & fx.all and len(judged) > 5


def test_tty_matches_pgrep():
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sleep", ["sleep", "30"])
    try:
        wait_exec(pid)
        path = os.readlink("/proc/%d/fd/0" % pid)
        dev = os.stat(path).st_rdev
        expect = pgrep("-t", path[len("/dev/"):])
        assert pid in expect
        assert both(tty=path) == both(tty=dev) == both(tty=[dev, 0]) == expect
        assert both(tty=path, name="sleep") == {pid}
        assert both(tty=[]) == set()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def test_callables_match_pgrep(fx):
    me = os.getpid()
    seen = []

    def name_ok(name):
        seen.append(name)
        return name.startswith("pqsel-") and name.endswith("a")

    assert both(name=name_ok, ppid=me) == pgrep("-P", me, "^pqsel-.*a$") == fx.named
    assert all(isinstance(n, str) for n in seen) and "pqsel-Beta" in seen
    assert both(cmdline=lambda c: c.endswith(" 2"), ppid=me) == pgrep("-P", me, "-f", " 2$") == {fx.beta}
    # A callable may run queries of its own.
    nested = both(name=lambda n: bool(pidquery.select(name=n, ppid=me)), ppid=me)
    assert nested == fx.named
    # With a text condition on the other field, ignore_case applies to it.
    assert both(name=lambda n: True, cmdline_prefix="PQSEL-B", ignore_case=True) == {fx.beta}


def test_a_callable_raising_is_raised(fx):
    calls = []

    def boom(name):
        calls.append(name)
        raise ZeroDivisionError("from the matcher")

    with pytest.raises(ZeroDivisionError, match="from the matcher"):
        pidquery.select(name=boom, ppid=os.getpid())
    assert len(calls) == 1, "called again after it raised"
    with pytest.raises(ZeroDivisionError):
        pidquery.iter_select(cmdline=lambda c: 1 / 0)
    # Nothing is left behind: the next call is clean.
    assert both(name=lambda n: n == "pqsel-Beta") == {fx.beta}


def test_processes_exiting_meanwhile_are_skipped(tmp_path):
    """An adversary thread forks and reaps short-lived children all along
    while queries run; no query may fail, and each answers only pids the
    adversary made (or none)."""
    link = tmp_path / "pqsel-churn"
    os.symlink(subprocess.run(["which", "true"], capture_output=True, text=True, check=True).stdout.strip(), link)
    made, stop = set(), threading.Event()

    def churn():
        while not stop.is_set():
            p = subprocess.Popen([str(link)])
            made.add(p.pid)
            p.wait()

    threads = [threading.Thread(target=churn) for _ in range(2)]
    for t in threads:
        t.start()
    failures, answers, runs = [], [], 0
    try:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            runs += 1
            for fn in (pidquery.select, pidquery.iter_select):
                for conditions in (
                    dict(name="pqsel-churn"),
                    dict(cmdline_contains="pqsel-churn"),
                    dict(name="pqsel-churn", newest=True),
                    dict(ppid=os.getpid(), state="RSDZ"),
                ):
                    try:
                        got = list(fn(**conditions))
                    except Exception as e:  # noqa: BLE001 - counted, reported below
                        failures.append(repr(e))
                        continue
                    if "ppid" not in conditions:
                        answers.append(got)
    finally:
        stop.set()
        for t in threads:
            t.join()
    found = sum(map(len, answers))
    print("%d rounds of 8 queries under churn (%d children): %d failures, %d pids found"
          % (runs, len(made), len(failures), found))
    assert not failures, failures[:5]
    strays = {p for got in answers for p in got} - made
    assert not strays, "listed, never made by the adversary: %s" % sorted(strays)
    assert found > 0, "the adversary's children were never seen: no race was exercised"


def test_bad_arguments_raise_clear_errors():
    type_errors = [
        dict(nope=1),
        dict(name=5),
        dict(name=[b"ok", 5]),
        dict(ppid="1"),
        dict(ppid=True),
        dict(euid=1.5),
        dict(negate=1),
        dict(state=5),
        dict(state=[b"S"]),
        dict(started_after="yesterday"),
        dict(started_after=True),
        dict(name="a", name_prefix="b"),
        dict(cmdline="a", cmdline_contains="b"),
        dict(uid=0, euid=0),
        dict(name_prefix=lambda n: True),
        dict(tty=object()),
    ]
    for conditions in type_errors:
        for fn in (pidquery.select, pidquery.iter_select):
            with pytest.raises(TypeError):
                fn(**conditions)
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        pidquery.select(nope=1)
    with pytest.raises(TypeError):
        pidquery.select(1)
    value_errors = [
        (dict(ppid=-1), "negative"),
        (dict(ppid=[1, -2]), "negative"),
        (dict(exclude=-3), "negative"),
        (dict(pgrp=2**31), "not a pid"),
        (dict(euid=-1), "user or group id"),
        (dict(rgid=2**32), "user or group id"),
        (dict(newest=True, oldest=True), "exclude each other"),
        (dict(state="Q"), "run state"),
        (dict(ignore_case=True), "ignore_case"),
        (dict(ignore_case=True, name=lambda n: True), "ignore_case"),
        (dict(started_after=float("nan")), "out of range"),
        (dict(tty=-1), "negative"),
    ]
    for conditions, message in value_errors:
        for fn in (pidquery.select, pidquery.iter_select):
            with pytest.raises(ValueError, match=message):
                fn(**conditions)
    with pytest.raises(FileNotFoundError):
        pidquery.select(tty="/nonexistent/tty")


def test_none_is_no_condition():
    me = os.getpid()
    assert both(ppid=me, name=None, state=None, newest=None) == both(ppid=me)
