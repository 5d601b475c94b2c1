"""Helpers for the pidquery suite: the `ps` oracle and children to query."""

import os
import select
import subprocess
import sys
import time

import pytest

PS_FIELDS = "pid,ppid,pgid,sid,uid,ruid,suid,gid,rgid,sgid,ni,nlwp,stat,comm"


def ps_rows():
    """pid -> the `ps` row (a tuple of strings) for every process."""
    out = subprocess.run(
        ["ps", "-e", "-ww", "-o", ",".join(f + "=" for f in PS_FIELDS.split(","))],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = {}
    for line in out.splitlines():
        fields = line.split(None, len(PS_FIELDS.split(",")) - 1)
        rows[int(fields[0])] = tuple(fields)
    return rows


def ps_column(rows, name):
    return {pid: row[PS_FIELDS.split(",").index(name)] for pid, row in rows.items()}


def alive(pid):
    """Whether a process (not a thread: tids share the pid space) has `pid`."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Tgid:"):
                    return int(line.split()[1]) == pid
    except (FileNotFoundError, ProcessLookupError):
        return False
    return False


def pidfds(pids):
    """pid -> a pidfd of the process that has it now (pins that process)."""
    fds = {}
    for pid in pids:
        try:
            fds[pid] = os.pidfd_open(pid)
        except OSError:
            pass
    return fds


def running(fds):
    """The pids whose pinned process has not exited (pidfd not readable)."""
    poller = select.poll()
    for fd in fds.values():
        poller.register(fd, select.POLLIN)
    exited = {fd for fd, _ in poller.poll(0)}
    for fd in fds.values():
        os.close(fd)
    return {pid for pid, fd in fds.items() if fd not in exited}


def check_listing(ours_fn, matches):
    """Compares `ours_fn()` with `ps`, taken just before and just after.

    `matches(row)` says whether a ps row matches the filter. Pids are
    reused here (tests that want a pid back cycle through them), so each
    process is pinned with a pidfd: one pinned before the first `ps` and
    still running after the second, matching in both, must be listed; one
    listed, pinned right after the listing and still running after the
    second `ps`, must be in that `ps`.
    """
    pinned = pidfds(int(p) for p in os.listdir("/proc") if p.isdigit())
    before = {p for p, r in ps_rows().items() if matches(r)}
    ours = ours_fn()
    listed = pidfds(ours)
    after_rows = ps_rows()
    after = {p for p, r in after_rows.items() if matches(r)}
    stable, still = running(pinned), running(listed)
    assert len(ours) == len(set(ours)), "duplicates"
    missing = (before & after & stable) - set(ours)
    assert not missing, "alive throughout, matched by ps before and after, not listed: %s" % sorted(missing)
    extra = {p for p in set(ours) & still if p not in after_rows}
    assert not extra, "listed, alive throughout, never listed by ps: %s" % sorted(extra)
    return before, set(ours), after


@pytest.fixture
def children():
    """Spawns `sleep` children (kwargs go to Popen); kills and reaps them after."""
    spawned = []

    def spawn(n=1, **kwargs):
        procs = [subprocess.Popen(["sleep", "30"], **kwargs) for _ in range(n)]
        spawned.extend(procs)
        return procs

    yield spawn
    for p in spawned:
        if p.poll() is None:
            p.kill()
        p.wait()


def wait_exec(pid, comm="sleep", timeout=5.0):
    """Waits until `pid` has exec'd `comm` (a fresh child is still Python)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == comm:
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.005)
    raise AssertionError("pid %d never became %s" % (pid, comm))


linux_only = pytest.mark.skipif(sys.platform != "linux", reason="compares with Linux ps and /proc")
