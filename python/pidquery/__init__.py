"""Which processes match this filter, and who is this pid: exact, fast, and
never silently short, on Linux, macOS and FreeBSD.

Listing takes at most one filter as a keyword argument: ``pgrp``, ``tty``
(a device number as ``os.stat(path).st_rdev`` gives it, or a path such as
``"/dev/pts/3"``), ``uid`` (effective), ``ruid`` (real), ``ppid`` or
``descendants``; none lists every process. :func:`select` combines any
number of conditions as ``pgrep`` does (names, command lines, ids, states,
start times; a list means any of its values).

>>> import os, pidquery
>>> os.getpid() in pidquery.pids(uid=os.geteuid())
True
>>> os.getpid() in pidquery.select(euid=os.geteuid(), ppid=[os.getppid(), 1])
True
>>> me = pidquery.info(os.getpid())
>>> (me.pid, me.ppid) == (os.getpid(), os.getppid())
True
>>> me.start.tzinfo is not None      # an aware datetime, in UTC
True
>>> pidquery.identity(os.getpid()).is_current()
True

Errors are Python's own: :class:`ProcessLookupError` for a pid that names no
process, :class:`PermissionError` when the kernel refuses, :class:`OSError`
with the errno otherwise, :class:`ValueError` for a negative pid.

>>> pidquery.info(2**22 + 1)          # above any pid_max
Traceback (most recent call last):
  ...
ProcessLookupError: [Errno 3] ...

The GIL is released while the kernel works. Buffers are reused: a
:class:`Query` or a :class:`Watch` keeps its own, and the module's functions
share one set per thread, so a loop allocates only the lists it returns.

:mod:`pidquery.libproc` is the original ``libproc`` module, name for name.
"""

import enum as _enum

from . import _pidquery
from ._pidquery import (
    Fd,
    Identity,
    PidIter,
    ProcInfo,
    Query,
    SelectIter,
    Watch,
    descendants,
    exe,
    fds,
    identity,
    info,
    infos,
    iter_pids,
    iter_select,
    pids,
    select,
    threads,
)

__all__ = [
    "Fd",
    "Flag",
    "Identity",
    "PidIter",
    "ProcInfo",
    "Query",
    "SelectIter",
    "Watch",
    "descendants",
    "exe",
    "fds",
    "identity",
    "info",
    "infos",
    "iter_pids",
    "iter_select",
    "pids",
    "select",
    "threads",
]


class Flag(_enum.IntFlag):
    """The bits of :attr:`ProcInfo.flags`.

    >>> import os, pidquery
    >>> flags = pidquery.Flag(pidquery.info(os.getpid()).flags)
    >>> pidquery.Flag.KERNEL in flags
    False
    """

    #: A kernel thread (Linux) or a system process (macOS).
    KERNEL = _pidquery.FLAG_KERNEL
    #: Being traced by a debugger.
    TRACED = _pidquery.FLAG_TRACED
    #: Exiting: past the point of no return, not yet a zombie.
    EXITING = _pidquery.FLAG_EXITING
    #: The leader of its session.
    SESSION_LEADER = _pidquery.FLAG_SESSION_LEADER
    #: Has a controlling terminal.
    HAS_TTY = _pidquery.FLAG_HAS_TTY
    #: In the foreground process group of its terminal (``ps``'s ``+``).
    FOREGROUND = _pidquery.FLAG_FOREGROUND
    #: Linux: the main thread exited while other threads run on; the state,
    #: executable and descriptors are those of a running thread.
    LEADER_EXITED = _pidquery.FLAG_LEADER_EXITED
