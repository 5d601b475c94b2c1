"""No growth of memory over 100,000 calls once warm.

Three measures: Python's live blocks (`sys.getallocatedblocks`, exact for
leaked Python objects), the bytes in use by malloc (glibc's `mallinfo2`,
where the Rust side allocates: exact for a leak there) and the resident
set. RSS alone would miss a small leak: freed pools from the warm-up take
it in.
"""

import ctypes
import ctypes.util
import gc
import os
import resource
import sys

import pidquery
from pidquery import libproc
from conftest import linux_only

pytestmark = linux_only


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def malloc_in_use():
    """Bytes in use by malloc, or None without glibc's mallinfo2."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError, TypeError):
        return None
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


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
        lambda: pidquery.infos(ppid=me),
        lambda: pidquery.select(ppid=[me, 1], name=["sleep", "x"], state="RS"),
        lambda: list(pidquery.iter_select(ppid=me, cmdline_prefix="SLEEP", ignore_case=True)),
        lambda: pidquery.select(ppid=me, name=lambda n: n == "sleep"),
        lambda: raising_select(me),
    ]

    def raising_select(me):
        try:
            pidquery.select(ppid=me, cmdline=lambda c: 1 / 0)
        except ZeroDivisionError:
            pass

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
    gc.collect()
    start = (rss_kib(), sys.getallocatedblocks(), malloc_in_use())
    run(100_000)
    for _ in range(10_000):
        missing(1)
    gc.collect()
    end = (rss_kib(), sys.getallocatedblocks(), malloc_in_use())
    rss, blocks = end[0] - start[0], end[1] - start[1]
    heap = None if start[2] is None else end[2] - start[2]
    print("over 110,000 calls: RSS %+d KiB, Python blocks %+d, malloc %s bytes" % (rss, blocks, heap))
    assert blocks < 100, "%d more live Python blocks" % blocks
    # A malloc chunk is at least 32 bytes: a leak in any one of the calls
    # above (each made about 7,000 times) would add 200 KiB or more; a
    # one-time growth (a buffer, the interpreter's caches) stays well below.
    assert heap is None or heap < 64 * 1024, "%d more bytes in use by malloc" % heap
    assert rss < 1024, "RSS grew %d KiB" % rss
