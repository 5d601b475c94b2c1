"""pidquery.libproc: the original module's names, constants, wrappers and
the proc_info buffer protocol (ctypes arrays, bytearrays, memoryviews)."""

import array
import ctypes
import errno
import os
import subprocess
import sys

import pytest

import pidquery
from pidquery import libproc
from conftest import linux_only

ORIGINAL_ALL = (
    "proc_info",
    "PROC_CALLNUM_LISTPIDS",
    "PROC_CALLNUM_PIDINFO",
    "PROC_CALLNUM_PIDFDINFO",
    "PROC_CALLNUM_KERNMSGBUF",
    "PROC_CALLNUM_SETCONTROL",
    "PROC_CALLNUM_PIDFILEPORTINFO",
    "PROC_ALL_PIDS",
    "PROC_PGRP_ONLY",
    "PROC_TTY_ONLY",
    "PROC_UID_ONLY",
    "PROC_RUID_ONLY",
    "PROC_PPID_ONLY",
    "get_all_pids",
    "get_pids_for_uid",
    "get_pids_for_ruid",
    "get_pids_for_ppid",
    "get_pids_for_pgrp",
    "get_pids_for_tty",
)
INT = ctypes.sizeof(ctypes.c_int)
LIST = libproc.PROC_CALLNUM_LISTPIDS

not_darwin = pytest.mark.skipif(sys.platform == "darwin", reason="macOS calls the kernel's own __proc_info")


def test_names_and_constants():
    assert libproc.__all__ == ORIGINAL_ALL
    for name in ORIGINAL_ALL:
        assert hasattr(libproc, name), name
    callnums = ORIGINAL_ALL[1:7]
    assert [getattr(libproc, n) for n in callnums] == [1, 2, 3, 4, 5, 6]
    kinds = ORIGINAL_ALL[7:13]
    assert [getattr(libproc, n) for n in kinds] == [1, 2, 3, 4, 5, 6]
    assert libproc.__version__ == "0.2"


def call(kind, typeinfo, buffer, size):
    return libproc.proc_info(LIST, kind, typeinfo, 0, buffer, size)


@linux_only
def test_ctypes_pattern_matches_pids(children):
    kids = children(3)
    me = os.getpid()
    for kind, arg, expect in [
        (libproc.PROC_ALL_PIDS, 0, None),
        (libproc.PROC_UID_ONLY, os.geteuid(), dict(uid=os.geteuid())),
        (libproc.PROC_RUID_ONLY, os.getuid(), dict(ruid=os.getuid())),
        (libproc.PROC_PPID_ONLY, me, dict(ppid=me)),
        (libproc.PROC_PGRP_ONLY, os.getpgrp(), dict(pgrp=os.getpgrp())),
    ]:
        size = call(kind, arg, None, 0)
        assert size > 0 and size % INT == 0
        buf = (ctypes.c_int * (size // INT))()
        n = call(kind, arg, buf, size)
        assert 0 < n <= size and n % INT == 0
        got = buf[: n // INT]
        if kind == libproc.PROC_PPID_ONLY:
            assert got == sorted(k.pid for k in kids)
        else:
            assert me in got and got == sorted(got)
            assert me in pidquery.pids(**(expect or {}))


@linux_only
def test_bytearray_memoryview_and_array(children):
    kids = sorted(k.pid for k in children(2))
    me = os.getpid()
    want = b"".join(ctypes.c_int(p) for p in kids)
    for buf in [bytearray(64), memoryview(bytearray(64)), array.array("i", [0] * 16),
                memoryview(bytearray(80))[8:72]]:
        n = call(libproc.PROC_PPID_ONLY, me, buf, 64)
        assert n == 2 * INT
        assert bytes(memoryview(buf).cast("B")[:n]) == want
        # Bytes past the answer are left alone.
        assert bytes(memoryview(buf).cast("B")[n:64]) == bytes(64 - n)


@linux_only
def test_exactly_fitting_and_too_small_buffers(children):
    kids = sorted(k.pid for k in children(3))
    me = os.getpid()
    exact = bytearray(3 * INT)
    assert call(libproc.PROC_PPID_ONLY, me, exact, len(exact)) == len(exact)
    assert list(memoryview(exact).cast("i")) == kids
    small = bytearray(b"\xff" * 3 * INT)
    with pytest.raises(OSError) as e:
        call(libproc.PROC_PPID_ONLY, me, small, 2 * INT)  # buf_size below the answer
    assert e.value.errno == errno.ENOMEM
    assert small == bytearray(b"\xff" * 3 * INT), "a failed call wrote into the buffer"
    with pytest.raises(OSError) as e:
        call(libproc.PROC_ALL_PIDS, 0, bytearray(INT), INT)
    assert e.value.errno == errno.ENOMEM
    # Zero bytes for an empty answer, whatever the buffer.
    assert call(libproc.PROC_PPID_ONLY, 2**31 - 1, bytearray(0), 0) == 0


@not_darwin
def test_bad_arguments():
    buf = bytearray(64)
    for callnum in (0, 7, -1):
        with pytest.raises(OSError) as e:
            libproc.proc_info(callnum, 1, 0, 0, buf, 64)
        assert e.value.errno == errno.EINVAL
    for callnum in range(2, 7):
        with pytest.raises(OSError) as e:
            libproc.proc_info(callnum, os.getpid(), 0, 0, buf, 64)
        assert e.value.errno == errno.ENOTSUP
    for kind in (0, 7, 99):
        with pytest.raises(OSError) as e:
            call(kind, 0, buf, 64)
        assert e.value.errno == errno.EINVAL
        with pytest.raises(OSError):
            call(kind, 0, None, 0)
    with pytest.raises(OSError) as e:
        call(libproc.PROC_UID_ONLY, 2**40, buf, 64)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        call(libproc.PROC_ALL_PIDS, 0, buf, -4)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(TypeError, match="writable"):
        call(libproc.PROC_ALL_PIDS, 0, bytes(64), 64)
    with pytest.raises(TypeError):
        call(libproc.PROC_ALL_PIDS, 0, [0] * 16, 64)
    with pytest.raises(TypeError):
        call(libproc.PROC_ALL_PIDS, 0, memoryview(bytearray(64))[::2], 32)
    with pytest.raises(ValueError, match="exceeds"):
        call(libproc.PROC_ALL_PIDS, 0, bytearray(8), 64)


@linux_only
def test_wrappers_match_pythonic_calls(children):
    kids = children(2, start_new_session=True)
    me = os.getpid()
    assert libproc.get_pids_for_ppid(me) == sorted(k.pid for k in kids)
    assert libproc.get_pids_for_pgrp(kids[0].pid) == [kids[0].pid]
    assert me in libproc.get_all_pids()
    assert me in libproc.get_pids_for_uid(os.geteuid())
    assert me in libproc.get_pids_for_ruid(os.getuid())
    # Nothing has a negative parent or group; uids are read as 32 bits.
    assert libproc.get_pids_for_ppid(-1) == []
    assert libproc.get_pids_for_pgrp(-1) == []
    assert libproc.get_pids_for_uid(-2) == libproc.get_pids_for_uid(2**32 - 2)
    assert all(isinstance(p, int) for p in libproc.get_all_pids())
    with pytest.raises(OSError):
        libproc.get_pids_for_uid(2**33)


@linux_only
def test_tty_by_st_rdev():
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sleep", ["sleep", "30"])
    try:
        from conftest import wait_exec

        wait_exec(pid)
        dev = os.stat(os.readlink("/proc/%d/fd/0" % pid)).st_rdev
        assert libproc.get_pids_for_tty(dev) == [pid]
        size = call(libproc.PROC_TTY_ONLY, dev, None, 0)
        buf = (ctypes.c_int * (size // INT))()
        n = call(libproc.PROC_TTY_ONLY, dev, buf, size)
        assert buf[: n // INT] == [pid]
        assert libproc.get_pids_for_tty(-1) == []
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def test_size_probe_covers_the_answer():
    size = call(libproc.PROC_ALL_PIDS, 0, None, 0)
    assert size >= len(libproc.get_all_pids()) * INT
    # The buffer argument is ignored with None, as by the kernel.
    assert call(libproc.PROC_ALL_PIDS, 0, None, 12345) > 0
