"""No growth of memory over 100,000 calls once warm."""

import os
import resource
import sys

import pidquery
from pidquery import libproc
from conftest import linux_only

pytestmark = linux_only


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def test_no_growth_over_100000_calls(children):
    children(2)
    me = os.getpid()
    query = pidquery.Query(ppid=me)
    watch = pidquery.Watch(ppid=me)
    buf = bytearray(4096)
    calls = [
        lambda: pidquery.info(me),
        lambda: pidquery.pids(ppid=me),
        lambda: query.pids(),
        lambda: watch.poll(),
        lambda: pidquery.identity(me).is_current(),
        lambda: pidquery.threads(me),
        lambda: pidquery.fds(me),
        lambda: pidquery.exe(me),
        lambda: pidquery.info(me).start,
        lambda: libproc.proc_info(1, libproc.PROC_PPID_ONLY, me, 0, buf, len(buf)),
        lambda: libproc.get_pids_for_ppid(me),
        lambda: list(pidquery.iter_pids(ppid=me)),
        lambda: pidquery.descendants(me),
    ]

    def run(n):
        for i in range(n):
            calls[i % len(calls)]()

    def missing(n):
        try:
            pidquery.info(2**22 + 1)
        except ProcessLookupError:
            pass

    run(10_000)
    for _ in range(1000):
        missing(1)
    start = rss_kib()
    run(100_000)
    for _ in range(10_000):
        missing(1)
    grown = rss_kib() - start
    print("RSS grew %d KiB over 110,000 calls" % grown)
    assert grown < 1024, "RSS grew %d KiB" % grown
