"""The original ``libproc`` module (0.2), name for name, on every platform
pidquery supports.

Code written against the original runs unchanged: the constants, the
``get_*`` wrappers returning ``list[int]``, and the low-level
:func:`proc_info` with its ctypes calling convention.

>>> import ctypes, os
>>> from pidquery import libproc
>>> size = libproc.proc_info(libproc.PROC_CALLNUM_LISTPIDS,
...                          libproc.PROC_UID_ONLY, os.geteuid(), 0, None, 0)
>>> buf = (ctypes.c_int * (size // ctypes.sizeof(ctypes.c_int)))()
>>> n = libproc.proc_info(libproc.PROC_CALLNUM_LISTPIDS,
...                       libproc.PROC_UID_ONLY, os.geteuid(), 0, buf, size)
>>> os.getpid() in buf[:n // ctypes.sizeof(ctypes.c_int)]
True
>>> os.getpid() in libproc.get_pids_for_ppid(os.getppid())
True

On macOS every callnum reaches the kernel's ``__proc_info``. On Linux and
FreeBSD callnum 1 (:data:`PROC_CALLNUM_LISTPIDS`) is answered by pidquery,
complete and never short, and the others raise ``OSError(ENOTSUP)``. The
``get_*`` wrappers always use pidquery, which grows and retries where the
kernel's answer may be cut, so they are never short either.
"""

import ctypes as _ctypes
import errno as _errno
import os as _os
import sys as _sys

from . import _pidquery

__version__ = "0.2"
__all__ = (
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
    # Pure-python wrappers:
    "get_all_pids",
    "get_pids_for_uid",
    "get_pids_for_ruid",
    "get_pids_for_ppid",
    "get_pids_for_pgrp",
    "get_pids_for_tty",
)

# xnu bsd/kern/proc_info.c, proc_info_internal().
#: ``proc_info(callnum, ...)``: list process ids.
PROC_CALLNUM_LISTPIDS = 1
#: Per-process information (macOS only).
PROC_CALLNUM_PIDINFO = 2
#: Per-descriptor information (macOS only).
PROC_CALLNUM_PIDFDINFO = 3
#: The kernel message buffer (macOS only).
PROC_CALLNUM_KERNMSGBUF = 4
#: Process control (macOS only).
PROC_CALLNUM_SETCONTROL = 5
#: Per-fileport information (macOS only).
PROC_CALLNUM_PIDFILEPORTINFO = 6

# xnu bsd/sys/proc_info.h.
#: With callnum 1: every process.
PROC_ALL_PIDS = 1
#: With callnum 1: the processes of a process group.
PROC_PGRP_ONLY = 2
#: With callnum 1: the processes whose controlling terminal is this device.
PROC_TTY_ONLY = 3
#: With callnum 1: the processes of an effective user id.
PROC_UID_ONLY = 4
#: With callnum 1: the processes of a real user id.
PROC_RUID_ONLY = 5
#: With callnum 1: the children of a process.
PROC_PPID_ONLY = 6

_CALLNUMS = range(PROC_CALLNUM_LISTPIDS, PROC_CALLNUM_PIDFILEPORTINFO + 1)


def _oserror(code, detail):
    return OSError(code, "%s: %s" % (_os.strerror(code), detail))


def _writable_bytes(buffer):
    """A flat, writable byte view of ``buffer`` (TypeError otherwise)."""
    try:
        view = memoryview(buffer)
    except TypeError:
        raise TypeError(
            "proc_info() buffer must be None or a writable buffer "
            "(a ctypes array, bytearray or memoryview), not %s"
            % type(buffer).__name__
        ) from None
    if view.readonly:
        raise TypeError("proc_info() buffer must be writable")
    if not view.c_contiguous:
        raise TypeError("proc_info() buffer must be C-contiguous")
    return view.cast("B")


def proc_info(callnum, pid, flavor, arg, buffer, buf_size):
    """``__proc_info(callnum, pid, flavor, arg, buffer, buf_size)``.

    With ``callnum`` :data:`PROC_CALLNUM_LISTPIDS`, ``pid`` is the list type
    (:data:`PROC_ALL_PIDS` ... :data:`PROC_PPID_ONLY`) and ``flavor`` its
    argument (a group, a uid, a parent pid, or a terminal's device number
    as ``os.stat(path).st_rdev`` gives it); ``arg`` is unused. With
    ``buffer`` None the result is the number of bytes to allocate; with a
    writable buffer (a ctypes ``c_int`` array, a ``bytearray``, a
    ``memoryview``) of at least ``buf_size`` bytes, the pids are written as
    C ints and the result is the number of bytes written, never more than
    ``buf_size``.

    :raises OSError: ``EINVAL`` for an unknown callnum or list type or a
        negative ``buf_size``; ``ENOMEM`` when the answer does not fit in
        ``buf_size`` bytes (nothing is returned short: ask for the size
        again); ``ENOTSUP`` for callnums 2 to 6 off macOS.
    :raises TypeError: when ``buffer`` is neither None nor writable.
    :raises ValueError: when ``buf_size`` exceeds the buffer.

    >>> import ctypes
    >>> buf = bytearray(4)
    >>> proc_info(PROC_CALLNUM_LISTPIDS, PROC_PPID_ONLY, 2**31 - 1, 0, buf, 4)
    0
    >>> proc_info(PROC_CALLNUM_LISTPIDS, PROC_ALL_PIDS, 0, 0, buf, 4)
    Traceback (most recent call last):
      ...
    OSError: [Errno 12] ...
    """
    view = None
    if buffer is not None:
        view = _writable_bytes(buffer)
        if buf_size > view.nbytes:
            raise ValueError(
                "buf_size %d exceeds the buffer's %d bytes" % (buf_size, view.nbytes)
            )
    if buf_size < 0:
        raise _oserror(_errno.EINVAL, "negative buf_size %d" % buf_size)
    if _sys.platform == "darwin":
        return _darwin_proc_info(callnum, pid, flavor, arg, view, buf_size)
    if callnum not in _CALLNUMS:
        raise _oserror(_errno.EINVAL, "unknown callnum %r" % (callnum,))
    if callnum != PROC_CALLNUM_LISTPIDS:
        raise _oserror(_errno.ENOTSUP, "callnum %d is macOS only" % callnum)
    if view is None:
        return _pidquery.listpids_size(pid, flavor)
    data = _pidquery.listpids_bytes(pid, flavor)
    if len(data) > buf_size:
        raise _oserror(
            _errno.ENOMEM,
            "%d bytes needed, buf_size is %d" % (len(data), buf_size),
        )
    view[: len(data)] = data
    return len(data)


def _darwin_proc_info(callnum, pid, flavor, arg, view, buf_size):
    """The real ``__proc_info``, given the buffer's address."""
    if view is None or view.nbytes == 0:
        return _pidquery.proc_info_raw(callnum, pid, flavor, arg, 0, buf_size)
    # Exporting the buffer through ctypes pins it (it cannot be resized)
    # until `anchor` goes away, after the call.
    anchor = (_ctypes.c_char * view.nbytes).from_buffer(view)
    return _pidquery.proc_info_raw(
        callnum, pid, flavor, arg, _ctypes.addressof(anchor), buf_size
    )


def get_all_pids():
    """Get a list of all process IDs.

    :returns: A list of all the process IDs on this system.
    :raises OSError: If the underlying system call fails.
    """
    return _pidquery.listpids(PROC_ALL_PIDS, 0)


def get_pids_for_uid(uid):
    """Get a list of PIDs (process IDs) with the specific (effective) user ID.

    :raises OSError: If the underlying system call fails.
    """
    return _pidquery.listpids(PROC_UID_ONLY, uid)


def get_pids_for_ruid(ruid):
    """Get a list of PIDs (process IDs) with the specific real user ID.

    :raises OSError: If the underlying system call fails.
    """
    return _pidquery.listpids(PROC_RUID_ONLY, ruid)


def get_pids_for_ppid(ppid):
    """Get a list of PIDs (process IDs) with the specific parent PID.

    :raises OSError: If the underlying system call fails.
    """
    return _pidquery.listpids(PROC_PPID_ONLY, ppid)


def get_pids_for_pgrp(pgrp):
    """Get a list of PIDs (process IDs) with the specific process group.

    :raises OSError: If the underlying system call fails.
    """
    return _pidquery.listpids(PROC_PGRP_ONLY, pgrp)


def get_pids_for_tty(tty):
    """Get a list of PIDs (process IDs) with the specific TTY.

    :param tty: The terminal's device number, as ``os.stat(path).st_rdev``.
    :raises OSError: If the underlying system call fails.
    """
    return _pidquery.listpids(PROC_TTY_ONLY, tty)
