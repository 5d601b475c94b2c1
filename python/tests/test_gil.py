"""The GIL is released while the kernel works: a second thread makes
progress during queries, and none during a loop that holds the GIL.

The switch interval is raised so that the interpreter never takes the GIL
away on its own: the second thread runs only when the first releases it.
"""

import os
import sys
import threading
import time

import pidquery
from conftest import linux_only

pytestmark = linux_only


def progress_during(work):
    """How many times a second thread ran while `work()` ran."""
    count = [0]
    started, done = threading.Event(), threading.Event()

    def spin():
        started.set()
        while not done.is_set():
            count[0] += 1
            time.sleep(0)  # gives the GIL back at once

    old = sys.getswitchinterval()
    t = threading.Thread(target=spin)
    sys.setswitchinterval(1000.0)
    try:
        t.start()
        started.wait()
        before = count[0]
        work()
        ran = count[0] - before
    finally:
        done.set()
        sys.setswitchinterval(old)
        t.join()
    return ran


def busy(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def repeat(fn, seconds=0.3):
    """Calls `fn` for `seconds`: long enough for the second thread to be
    scheduled even on a loaded machine."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        fn()


def test_second_thread_runs_during_queries():
    me = os.getpid()
    calls = {
        "pids(ruid)": lambda: pidquery.pids(ruid=0),
        "info": lambda: pidquery.info(me),
        "descendants": lambda: pidquery.descendants(1),
        "select": lambda: pidquery.select(ruid=0, name_prefix="k", state="SI"),
        "Watch.poll": lambda: pidquery.Watch(uid=0).poll(),
    }
    for name, fn in calls.items():
        ran = progress_during(lambda: repeat(fn))
        print("%s: second thread ran %d times" % (name, ran))
        assert ran >= 10, name
    # The control: a loop that never releases the GIL, as long as the above.
    held = progress_during(lambda: busy(0.3))
    print("GIL held: second thread ran %d times" % held)
    assert held <= 2
