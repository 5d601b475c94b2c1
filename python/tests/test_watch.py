"""Watch: births and deaths per poll, periodic iteration, reuse tracking."""

import os
import subprocess
import time

import pytest

import pidquery
from conftest import linux_only

pytestmark = linux_only


def test_poll_reports_births_and_deaths(children):
    watch = pidquery.Watch(ppid=os.getpid())
    assert watch.poll() == ([], [])
    kids = children(3)
    born, died = watch.poll()
    assert born == sorted(k.pid for k in kids) and died == []
    assert watch.current == born
    assert watch.poll() == ([], [])
    kids[1].kill()
    kids[1].wait()
    assert watch.poll() == ([], [kids[1].pid])
    watch.reset()
    assert watch.poll() == (sorted([kids[0].pid, kids[2].pid]), [])


def test_first_poll_reports_everything():
    watch = pidquery.Watch(uid=os.geteuid())
    born, died = watch.poll()
    assert os.getpid() in born and died == []


def test_iterates_with_a_period(children):
    watch = pidquery.Watch(ppid=os.getpid(), period=0.05)
    assert watch.period == 0.05
    start = time.monotonic()
    seen = []
    for i, (born, died) in enumerate(watch):
        seen.append((born, died))
        if i == 1:
            (kid,) = children()
        if i == 3:
            break
    elapsed = time.monotonic() - start
    # Four polls: the first at once, then one a period.
    assert 0.15 <= elapsed < 2.0
    assert seen[0] == ([], []) and seen[2] == ([kid.pid], [])
    assert seen[3] == ([], [])


def test_iteration_needs_a_period():
    with pytest.raises(TypeError, match="period"):
        iter(pidquery.Watch())
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            pidquery.Watch(period=bad)


def test_track_reuse_repr():
    watch = pidquery.Watch(descendants=os.getpid(), track_reuse=True, period=1)
    assert repr(watch) == "Watch(descendants=%d, period=1.0, track_reuse=True)" % os.getpid()
    assert repr(pidquery.Watch()) == "Watch(period=None, track_reuse=False)"


def test_watch_of_a_tree():
    watch = pidquery.Watch(descendants=os.getpid())
    watch.poll()
    tree = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
    try:
        deadline = time.monotonic() + 5
        born = []
        while len(born) < 2 and time.monotonic() < deadline:
            born += watch.poll()[0]
            time.sleep(0.01)
        assert tree.pid in born and len(born) == 2
    finally:
        for p in pidquery.descendants(tree.pid):
            os.kill(p, 9)
        tree.kill()
        tree.wait()


def test_a_signal_interrupts_the_wait():
    import signal

    class Alarm(Exception):
        pass

    def on_alarm(signum, frame):
        raise Alarm()

    old = signal.signal(signal.SIGALRM, on_alarm)
    watch = iter(pidquery.Watch(ppid=os.getpid(), period=30.0))
    next(watch)  # the first poll comes at once
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(Alarm):
            next(watch)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.monotonic() - start < 5.0
