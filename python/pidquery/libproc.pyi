from typing import List, Optional, Tuple, Union

__version__: str
__all__: Tuple[str, ...]

PROC_CALLNUM_LISTPIDS: int
PROC_CALLNUM_PIDINFO: int
PROC_CALLNUM_PIDFDINFO: int
PROC_CALLNUM_KERNMSGBUF: int
PROC_CALLNUM_SETCONTROL: int
PROC_CALLNUM_PIDFILEPORTINFO: int
PROC_ALL_PIDS: int
PROC_PGRP_ONLY: int
PROC_TTY_ONLY: int
PROC_UID_ONLY: int
PROC_RUID_ONLY: int
PROC_PPID_ONLY: int

def proc_info(
    callnum: int,
    pid: int,
    flavor: int,
    arg: int,
    buffer: Optional[Union[bytearray, memoryview, object]],
    buf_size: int,
) -> int: ...
def get_all_pids() -> List[int]: ...
def get_pids_for_uid(uid: int) -> List[int]: ...
def get_pids_for_ruid(ruid: int) -> List[int]: ...
def get_pids_for_ppid(ppid: int) -> List[int]: ...
def get_pids_for_pgrp(pgrp: int) -> List[int]: ...
def get_pids_for_tty(tty: int) -> List[int]: ...
