"""Helpers for the pidquery suite: the `ps` oracle and children to query."""

import os
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
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_listing(ours_fn, matches):
    """Compares `ours_fn()` with `ps`, taken just before and just after.

    `matches(row)` says whether a ps row matches the filter. Every process
    that matched in both snapshots must be listed; every listed process
    must have matched in one of them or be gone by now (born and reaped in
    between).
    """
    before = {p for p, r in ps_rows().items() if matches(r)}
    ours = ours_fn()
    after_rows = ps_rows()
    after = {p for p, r in after_rows.items() if matches(r)}
    assert len(ours) == len(set(ours)), "duplicates"
    missing = (before & after) - set(ours)
    assert not missing, "listed by ps before and after, not by pidquery: %s" % sorted(missing)
    extra = {p for p in set(ours) - (before | after) if alive(p)}
    extra = {p for p in extra if p not in after_rows}  # alive, matched then changed
    assert not extra, "listed by pidquery, alive, never by ps: %s" % sorted(extra)
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
