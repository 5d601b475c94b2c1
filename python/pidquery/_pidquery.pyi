"""Types of pidquery._pidquery; the docstrings live in the module itself."""

import datetime
import os
from typing import Callable, Iterable, Iterator, List, Optional, Tuple, Union

_Tty = Union[int, str, "os.PathLike[str]"]
# select's conditions: one value or any of several.
_Pids = Union[int, Iterable[int]]
_Ids = Union[int, Iterable[int]]
_Ttys = Union[_Tty, Iterable[_Tty]]
_Texts = Union[str, bytes, Iterable[Union[str, bytes]]]
_TextsOrCallable = Union[_Texts, Callable[[str], object]]
_States = Union[str, Iterable[str]]
_Time = Union[datetime.datetime, float]

FLAG_KERNEL: int
FLAG_TRACED: int
FLAG_EXITING: int
FLAG_SESSION_LEADER: int
FLAG_HAS_TTY: int
FLAG_FOREGROUND: int
FLAG_LEADER_EXITED: int

def pids(
    *,
    pgrp: Optional[int] = None,
    tty: Optional[_Tty] = None,
    uid: Optional[int] = None,
    ruid: Optional[int] = None,
    ppid: Optional[int] = None,
    descendants: Optional[int] = None,
) -> List[int]:
    ...

def iter_pids(
    *,
    pgrp: Optional[int] = None,
    tty: Optional[_Tty] = None,
    uid: Optional[int] = None,
    ruid: Optional[int] = None,
    ppid: Optional[int] = None,
    descendants: Optional[int] = None,
) -> "PidIter":
    ...

def select(
    *,
    name: Optional[_TextsOrCallable] = None,
    name_prefix: Optional[_Texts] = None,
    name_contains: Optional[_Texts] = None,
    cmdline: Optional[_TextsOrCallable] = None,
    cmdline_prefix: Optional[_Texts] = None,
    cmdline_contains: Optional[_Texts] = None,
    ignore_case: bool = False,
    pgrp: Optional[_Pids] = None,
    session: Optional[_Pids] = None,
    tty: Optional[_Ttys] = None,
    euid: Optional[_Ids] = None,
    uid: Optional[_Ids] = None,
    ruid: Optional[_Ids] = None,
    rgid: Optional[_Ids] = None,
    ppid: Optional[_Pids] = None,
    descendants: Optional[_Pids] = None,
    state: Optional[_States] = None,
    started_before: Optional[_Time] = None,
    started_after: Optional[_Time] = None,
    exclude: Optional[int] = None,
    negate: bool = False,
    newest: bool = False,
    oldest: bool = False,
) -> List[int]:
    ...

def iter_select(
    *,
    name: Optional[_TextsOrCallable] = None,
    name_prefix: Optional[_Texts] = None,
    name_contains: Optional[_Texts] = None,
    cmdline: Optional[_TextsOrCallable] = None,
    cmdline_prefix: Optional[_Texts] = None,
    cmdline_contains: Optional[_Texts] = None,
    ignore_case: bool = False,
    pgrp: Optional[_Pids] = None,
    session: Optional[_Pids] = None,
    tty: Optional[_Ttys] = None,
    euid: Optional[_Ids] = None,
    uid: Optional[_Ids] = None,
    ruid: Optional[_Ids] = None,
    rgid: Optional[_Ids] = None,
    ppid: Optional[_Pids] = None,
    descendants: Optional[_Pids] = None,
    state: Optional[_States] = None,
    started_before: Optional[_Time] = None,
    started_after: Optional[_Time] = None,
    exclude: Optional[int] = None,
    negate: bool = False,
    newest: bool = False,
    oldest: bool = False,
) -> "SelectIter":
    ...

def descendants(pid: int) -> List[int]:
    ...

def info(pid: int) -> "ProcInfo":
    ...

def infos(
    *,
    pgrp: Optional[int] = None,
    tty: Optional[_Tty] = None,
    uid: Optional[int] = None,
    ruid: Optional[int] = None,
    ppid: Optional[int] = None,
    descendants: Optional[int] = None,
) -> List["ProcInfo"]:
    ...

def exe(pid: int) -> str:
    ...

def threads(pid: int) -> List[int]:
    ...

def fds(pid: int) -> List["Fd"]:
    ...

def identity(pid: int) -> "Identity":
    ...

class ProcInfo:
    ...

    @property
    def pid(self) -> int: ...
    @property
    def ppid(self) -> int: ...
    @property
    def pgid(self) -> int: ...
    @property
    def sid(self) -> Optional[int]: ...
    @property
    def tty(self) -> Optional[int]:
        ...
    @property
    def tpgid(self) -> Optional[int]: ...
    @property
    def ruid(self) -> int: ...
    @property
    def euid(self) -> int: ...
    @property
    def suid(self) -> int: ...
    @property
    def rgid(self) -> int: ...
    @property
    def egid(self) -> int: ...
    @property
    def sgid(self) -> int: ...
    @property
    def state(self) -> str:
        ...
    @property
    def flags(self) -> int:
        ...
    @property
    def nice(self) -> Optional[int]: ...
    @property
    def threads(self) -> Optional[int]: ...
    @property
    def start(self) -> Optional[datetime.datetime]:
        ...
    @property
    def comm(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Fd:
    ...

    @property
    def fd(self) -> int: ...
    @property
    def kind(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Identity:
    ...

    @property
    def pid(self) -> int: ...
    @property
    def start(self) -> Optional[datetime.datetime]: ...
    @property
    def unique(self) -> Optional[int]: ...
    def is_current(self) -> bool:
        ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Query:
    ...

    def __init__(
        self,
        *,
        pgrp: Optional[int] = None,
        tty: Optional[_Tty] = None,
        uid: Optional[int] = None,
        ruid: Optional[int] = None,
        ppid: Optional[int] = None,
        descendants: Optional[int] = None,
    ) -> None: ...
    def pids(self) -> List[int]:
        ...
    def probe(self) -> int:
        ...
    def __iter__(self) -> "PidIter": ...

class PidIter(Iterator[int]):
    ...

    def __iter__(self) -> "PidIter": ...
    def __next__(self) -> int: ...

class SelectIter(Iterator[int]):
    ...

    def __iter__(self) -> "SelectIter": ...
    def __next__(self) -> int: ...
    def __length_hint__(self) -> int: ...

class Watch:
    ...

    def __init__(
        self,
        *,
        pgrp: Optional[int] = None,
        tty: Optional[_Tty] = None,
        uid: Optional[int] = None,
        ruid: Optional[int] = None,
        ppid: Optional[int] = None,
        descendants: Optional[int] = None,
        period: Optional[float] = None,
        track_reuse: bool = False,
    ) -> None: ...
    def poll(self) -> Tuple[List[int], List[int]]:
        ...
    @property
    def current(self) -> List[int]: ...
    @property
    def period(self) -> Optional[float]: ...
    def reset(self) -> None: ...
    def __iter__(self) -> "Watch": ...
    def __next__(self) -> Tuple[List[int], List[int]]: ...

# pidquery.libproc's list calls.
def listpids(kind: int, typeinfo: int) -> List[int]: ...
def listpids_bytes(kind: int, typeinfo: int) -> bytes: ...
def listpids_size(kind: int, typeinfo: int) -> int: ...
def proc_info_raw(
    callnum: int, pid: int, flavor: int, arg: int, addr: int, size: int
) -> int: ...
