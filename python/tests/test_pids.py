"""Listing against `ps`: every filter, the reusable Query, the iterator."""

import errno
import os
import pty
import subprocess
import time

import pytest

import pidquery
from conftest import PS_FIELDS, check_listing, linux_only, ps_rows, wait_exec

COL = {name: i for i, name in enumerate(PS_FIELDS.split(","))}

pytestmark = linux_only


def test_all_matches_ps():
    check_listing(pidquery.pids, lambda r: True)


def test_all_is_ascending_and_has_us():
    pids = pidquery.pids()
    assert pids == sorted(pids)
    assert os.getpid() in pids and 1 in pids


@pytest.mark.parametrize("column,kw", [("uid", "uid"), ("ruid", "ruid")])
def test_uid_filters_match_ps(column, kw):
    uid = os.geteuid()
    _, ours, _ = check_listing(
        lambda: pidquery.pids(**{kw: uid}), lambda r: int(r[COL[column]]) == uid
    )
    assert os.getpid() in ours


def test_uid_of_nobody_matches_ps(children):
    if os.geteuid() != 0:
        pytest.skip("needs root to start a process as uid 65534")
    (child,) = children(user=65534)
    wait_exec(child.pid)
    _, ours, _ = check_listing(
        lambda: pidquery.pids(uid=65534), lambda r: int(r[COL["uid"]]) == 65534
    )
    assert child.pid in ours
    assert child.pid in pidquery.pids(ruid=65534)
    assert child.pid not in pidquery.pids(uid=0)


def test_ppid_and_pgrp_match_ps(children):
    kids = children(3, start_new_session=True)
    for k in kids:
        wait_exec(k.pid)
    me = os.getpid()
    _, ours, _ = check_listing(lambda: pidquery.pids(ppid=me), lambda r: int(r[COL["ppid"]]) == me)
    assert {k.pid for k in kids} <= ours
    pgid = os.getpgid(kids[0].pid)
    _, group, _ = check_listing(
        lambda: pidquery.pids(pgrp=pgid), lambda r: int(r[COL["pgid"]]) == pgid
    )
    assert kids[0].pid in group


def test_descendants_of_a_tree(children):
    # sh -> {sleep, sh -> sleep}: three descendants.
    script = "sleep 30 & sh -c 'sleep 30 & wait' & wait"
    tree = subprocess.Popen(["sh", "-c", script])
    try:
        me = os.getpid()
        deadline = time.monotonic() + 5
        while len(pidquery.descendants(tree.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        below = pidquery.descendants(tree.pid)
        rows = {p: int(r[COL["ppid"]]) for p, r in ps_rows().items()}
        expect, frontier = set(), {tree.pid}
        while frontier:
            frontier = {p for p, pp in rows.items() if pp in frontier} - expect
            expect |= frontier
        assert set(below) == expect and len(below) == 3
        assert below == sorted(below)
        assert tree.pid in pidquery.descendants(me)
    finally:
        subprocess.run(["pkill", "-KILL", "-P", str(tree.pid)])
        for p in pidquery.descendants(tree.pid):
            try:
                os.kill(p, 9)
            except ProcessLookupError:
                pass
        tree.kill()
        tree.wait()


def test_tty_by_device_and_by_path():
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sleep", ["sleep", "30"])
    try:
        wait_exec(pid)
        path = os.readlink("/proc/%d/fd/0" % pid)  # the pty's slave, /dev/pts/N
        assert path.startswith("/dev/pts/")
        dev = os.stat(path).st_rdev
        by_dev = pidquery.pids(tty=dev)
        assert pid in by_dev
        assert pidquery.pids(tty=path) == by_dev
        ps = subprocess.run(
            ["ps", "-t", path[len("/dev/"):], "-o", "pid="], capture_output=True, text=True
        ).stdout.split()
        assert set(by_dev) == {int(p) for p in ps}
        assert pidquery.info(pid).tty == dev
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def test_query_reuses_and_iterates(children):
    (kid,) = children()
    q = pidquery.Query(ppid=os.getpid())
    for _ in range(3):
        assert kid.pid in q.pids()
    assert kid.pid in list(q)
    assert q.probe() >= 1
    assert repr(q) == "Query(ppid=%d)" % os.getpid()
    assert repr(pidquery.Query()) == "Query()"


def test_iter_pids_matches_ps():
    uid = os.geteuid()
    _, ours, _ = check_listing(
        lambda: list(pidquery.iter_pids(uid=uid)), lambda r: int(r[COL["uid"]]) == uid
    )
    assert os.getpid() in ours
    it = pidquery.iter_pids()
    assert iter(it) is it


def test_more_than_one_filter_is_a_type_error():
    with pytest.raises(TypeError, match="at most one filter"):
        pidquery.pids(uid=0, ppid=1)
    with pytest.raises(TypeError):
        pidquery.Watch(pgrp=1, tty=0)
    with pytest.raises(TypeError):
        pidquery.pids(1)  # keyword only


def test_bad_arguments():
    with pytest.raises(ValueError, match="negative"):
        pidquery.pids(ppid=-1)
    with pytest.raises(ValueError):
        pidquery.descendants(-5)
    with pytest.raises(OverflowError):
        pidquery.pids(uid=-1)
    with pytest.raises(OSError) as e:
        pidquery.pids(tty="/dev/null/nope")
    assert e.value.errno == errno.ENOTDIR
    with pytest.raises(FileNotFoundError):
        pidquery.pids(tty="/nonexistent/tty")
    with pytest.raises(OSError) as e:
        pidquery.pids(tty=__file__)  # a regular file, not a terminal
    assert e.value.errno == errno.ENOTTY
    assert pidquery.pids(ppid=2**31 - 1) == []
