"""info, exe, threads, fds and identity against `ps` and /proc, and errors."""

import datetime
import errno
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import pidquery
from conftest import PS_FIELDS, linux_only, pidfds, ps_rows, running, wait_exec

COL = {name: i for i, name in enumerate(PS_FIELDS.split(","))}

pytestmark = linux_only


def as_ps(info):
    """`info` in ps's columns (state: the first letter of STAT)."""
    return {
        "ppid": str(info.ppid),
        "pgid": str(info.pgid),
        "sid": str(info.sid),
        "uid": str(info.euid),
        "ruid": str(info.ruid),
        "suid": str(info.suid),
        "gid": str(info.egid),
        "rgid": str(info.rgid),
        "sgid": str(info.sgid),
        "ni": "-" if info.nice is None else str(info.nice),
        "comm": info.comm,
    }


def test_every_stable_process_matches_ps():
    # Each process pinned by a pidfd: a pid reused in between is left out.
    pinned = pidfds(int(p) for p in os.listdir("/proc") if p.isdigit())
    before = ps_rows()
    ours = {}
    for pid in before:
        try:
            ours[pid] = pidquery.info(pid)
        except ProcessLookupError:
            pass
    after = ps_rows()
    alive = running(pinned)
    stable = [p for p in before if before[p] == after.get(p) and p in ours and p in alive]
    assert len(stable) >= 20 and 1 in stable
    for pid in stable:
        row, info = before[pid], ours[pid]
        assert info.pid == pid
        for column, value in as_ps(info).items():
            # ps shows "-" as the nice of real-time processes; a kernel
            # worker's name follows its current work.
            if column == "ni" and row[COL["ni"]] == "-":
                continue
            if column == "comm" and pidquery.Flag.KERNEL in pidquery.Flag(info.flags):
                continue
            assert row[COL[column]] == value, (pid, column, row, info)


def test_own_child_in_detail(children):
    (kid,) = children(start_new_session=True)
    wait_exec(kid.pid)
    info = pidquery.info(kid.pid)
    assert (info.pid, info.ppid, info.pgid, info.sid) == (kid.pid, os.getpid(), kid.pid, kid.pid)
    assert info.state in "SR"
    assert info.tty is None and info.tpgid is None
    assert info.threads == 1
    assert info.comm == "sleep"
    assert pidquery.Flag.SESSION_LEADER in pidquery.Flag(info.flags)
    assert pidquery.Flag.HAS_TTY not in pidquery.Flag(info.flags)
    # The start time, to ps's second and within a tick of now.
    lstart = subprocess.run(
        ["ps", "-o", "lstart=", "-p", str(kid.pid)],
        capture_output=True, text=True, env=dict(os.environ, TZ="UTC", LC_ALL="C"),
    ).stdout.strip()
    ps_start = datetime.datetime.strptime(lstart, "%a %b %d %H:%M:%S %Y")
    assert info.start.tzinfo is not None
    assert info.start.replace(tzinfo=None, microsecond=0) == ps_start
    assert abs(info.start - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=1)


def test_infos_of_a_query(children):
    kids = children(3, start_new_session=True)
    for k in kids:
        wait_exec(k.pid)
        # Stopped, so that the state read by both calls is the same one.
        os.kill(k.pid, signal.SIGSTOP)
    for k in kids:
        deadline = time.monotonic() + 5
        while pidquery.info(k.pid).state != "T" and time.monotonic() < deadline:
            time.sleep(0.005)
    got = pidquery.infos(ppid=os.getpid())
    assert [i.pid for i in got] == sorted(k.pid for k in kids)
    assert got == [pidquery.info(k.pid) for k in sorted(kids, key=lambda k: k.pid)]
    assert pidquery.infos(pgrp=kids[0].pid) == [pidquery.info(kids[0].pid)]
    everyone = {i.pid: i for i in pidquery.infos()}
    assert everyone[os.getpid()].comm == pidquery.info(os.getpid()).comm
    assert 1 in everyone


def test_record_is_frozen_and_hashable():
    a, b = pidquery.info(1), pidquery.info(1)
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.pid = 5
    assert repr(a).startswith("ProcInfo(pid=1, ppid=0,")
    assert {a: 1}[b] == 1


def test_zombie_is_a_process():
    kid = subprocess.Popen(["true"])
    deadline = time.monotonic() + 5
    while pidquery.info(kid.pid).state != "Z" and time.monotonic() < deadline:
        time.sleep(0.005)
    assert pidquery.info(kid.pid).state == "Z"
    kid.wait()
    with pytest.raises(ProcessLookupError) as e:
        pidquery.info(kid.pid)
    assert e.value.errno == errno.ESRCH


def test_exe_threads_fds():
    me = os.getpid()
    assert pidquery.exe(me) == os.path.realpath(sys.executable)
    tids = pidquery.threads(me)
    assert tids == sorted(int(t) for t in os.listdir("/proc/self/task"))
    r, w = os.pipe()
    try:
        fds = pidquery.fds(me)
        assert [f.fd for f in fds] == sorted(f.fd for f in fds)
        assert {r, w, 0, 1, 2} <= {f.fd for f in fds}
        kid = subprocess.Popen(["sleep", "30"], pass_fds=(r, w), stdin=subprocess.DEVNULL)
        try:
            wait_exec(kid.pid)
            theirs = pidquery.fds(kid.pid)
            assert [f.fd for f in theirs] == sorted(int(f) for f in os.listdir("/proc/%d/fd" % kid.pid))
            assert {f.fd: f.kind for f in theirs}[r] == "pipe"
            assert {f.fd: f.kind for f in theirs}[0] == "file"
        finally:
            kid.kill()
            kid.wait()
        kinds = {f.fd: f.kind for f in fds}
        assert kinds[r] == "pipe" and kinds[w] == "pipe"
        assert repr(fds[0]).startswith("Fd(fd=")
    finally:
        os.close(r)
        os.close(w)
    # Closed: the numbers may be back, as the descriptor that lists fd/.
    assert all(f.kind != "pipe" for f in pidquery.fds(me) if f.fd in (r, w))


def test_threads_sees_a_new_thread():
    started, stop = threading.Event(), threading.Event()
    tid = []

    def run():
        tid.append(threading.get_native_id())
        started.set()
        stop.wait()

    t = threading.Thread(target=run)
    t.start()
    started.wait()
    try:
        assert tid[0] in pidquery.threads(os.getpid())
        assert pidquery.info(os.getpid()).threads == len(os.listdir("/proc/self/task"))
        # A thread id is not a process.
        with pytest.raises(ProcessLookupError, match="thread"):
            pidquery.info(tid[0])
    finally:
        stop.set()
        t.join()


def test_identity_survives_reaping():
    kid = subprocess.Popen(["sleep", "30"])
    who = pidquery.identity(kid.pid)
    assert who.pid == kid.pid and who.is_current()
    assert who == pidquery.identity(kid.pid)
    assert who.start == pidquery.info(kid.pid).start
    assert who.unique is None or who.unique > 0
    kid.kill()
    kid.wait()
    assert not who.is_current()
    with pytest.raises(ProcessLookupError):
        pidquery.identity(kid.pid)


def test_permission_error_as_another_user():
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to uid 65534 in a child")
    code = (
        "import os, pidquery\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        "    pidquery.fds(%d)\n"
        "except PermissionError as e:\n"
        "    print('PermissionError', e.errno)\n" % os.getpid()
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["PermissionError", str(errno.EACCES)], out.stderr


def test_errors():
    with pytest.raises(ProcessLookupError) as e:
        pidquery.info(2**22 + 1)
    assert e.value.errno == errno.ESRCH and "no such process" in str(e.value)
    for fn in (pidquery.exe, pidquery.threads, pidquery.fds, pidquery.identity):
        with pytest.raises(ProcessLookupError):
            fn(2**22 + 1)
        with pytest.raises(ValueError):
            fn(-1)
    with pytest.raises(OverflowError):
        pidquery.info(2**40)
    with pytest.raises(TypeError):
        pidquery.info("1")
