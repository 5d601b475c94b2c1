//! Reading one process's files: stack buffers, no allocation.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd};

use super::{Fail, DENTS_BUF, PROC_STAT_CHUNK};
use crate::info::proc_info::ProcInfo;
use crate::parse::{self, Dirents, StatRecord, StatusIds};
use crate::sys::linux::read_whole;
use crate::sys::linux::syscalls::{clock_ns, getdents, openat, read, stat_at};
use crate::sys::Listed;
use crate::{Filter, Pid};

/// `Complete(found)` if it fit in `room`, else `Full` with the count.
pub(super) fn listed(found: usize, room: usize) -> Listed {
    if found <= room {
        Listed::Complete(found)
    } else {
        Listed::Full {
            needed: Some(found),
        }
    }
}

/// Reads the file `name` under `dir` into `buf` until end of file or `buf`
/// is full (`read_whole`: one read when the text fits).
pub(super) fn read_at<'b>(
    dir: BorrowedFd<'_>,
    name: &CStr,
    op: &'static str,
    buf: &'b mut [u8],
) -> Result<&'b [u8], Fail> {
    let filled = read_whole(dir, name, buf).map_err(|e| Fail::of(op, e))?;
    Ok(buf.get(..filled).unwrap_or_default())
}

/// `stat`, parsed whole.
pub(super) fn read_stat<'b>(
    dir: BorrowedFd<'_>,
    buf: &'b mut [u8],
) -> Result<StatRecord<'b>, Fail> {
    let bytes = read_at(dir, c"stat", "read stat", buf)?;
    parse::stat_record(bytes).ok_or(Fail::Malformed("stat"))
}

/// The id lines of `status`.
pub(super) fn read_status(dir: BorrowedFd<'_>, buf: &mut [u8]) -> Result<StatusIds, Fail> {
    let bytes = read_at(dir, c"status", "read status", buf)?;
    parse::status_ids(bytes).ok_or(Fail::Malformed("status"))
}

/// Whether `stat` passes the filters it can decide (`ppid`, `pgrp`, `tty`).
pub(super) fn filter_stat(filter: Filter, stat: &StatRecord<'_>) -> bool {
    match filter {
        Filter::Ppid(ppid) => stat.ppid == ppid.as_raw(),
        Filter::Pgrp(pgrp) => stat.pgrp == pgrp.as_raw(),
        // tty_nr uses the same encoding as st_rdev; 0 means none.
        Filter::Tty(dev) => stat.tty_nr != 0 && u64::from(stat.tty_nr as u32) == dev.raw(),
        _ => true,
    }
}

/// Whether `status` passes the filters it can decide (`ruid`).
pub(super) fn filter_ids(filter: Filter, ids: &StatusIds) -> bool {
    match filter {
        Filter::Ruid(ruid) => ids.uid.real == ruid,
        _ => true,
    }
}

/// Whether `info` matches `filter`, as a listing decides it.
pub(super) fn matches_info(filter: Filter, info: &ProcInfo) -> bool {
    match filter {
        Filter::All => true,
        Filter::Uid(uid) => info.euid == uid,
        Filter::Ruid(ruid) => info.ruid == ruid,
        Filter::Ppid(ppid) => info.ppid == ppid,
        Filter::Pgrp(pgrp) => info.pgid == pgrp,
        Filter::Tty(dev) => info.tty == Some(dev),
        // A subtree is no per-process predicate: `infos` lists it first.
        Filter::Descendants(_) => true,
    }
}

/// Calls `each` for every numeric entry of the directory `dir`, in order.
pub(super) fn for_each_pid(
    dir: BorrowedFd<'_>,
    op: &'static str,
    mut each: impl FnMut(Pid) -> Result<(), Fail>,
) -> Result<(), Fail> {
    let mut dents = [MaybeUninit::<u8>::uninit(); DENTS_BUF];
    loop {
        let bytes = getdents(dir, &mut dents).map_err(|e| Fail::of(op, e))?;
        if bytes.is_empty() {
            return Ok(());
        }
        for dirent in Dirents::new(bytes) {
            let dirent = dirent.map_err(|_| Fail::Malformed(op))?;
            if let Some(pid) = parse::pid_name(dirent.name) {
                each(pid)?;
            }
        }
    }
}

/// Whether the link text in `buf[..len]`, taken as a path, leads to the
/// process's executable (`<dir>/exe` followed): then a `" (deleted)"` at
/// its end is part of the real name. Uses `buf[len]` for the NUL.
pub(super) fn names_exe(dir: BorrowedFd<'_>, buf: &mut [u8], len: usize) -> bool {
    let Ok(exe) = stat_at(dir, c"exe", 0) else {
        return false;
    };
    if exe.st_nlink == 0 {
        return false;
    }
    let Some(nul) = buf.get_mut(len) else {
        return false;
    };
    *nul = 0;
    let Some(path) = buf
        .get(..=len)
        .and_then(|b| CStr::from_bytes_with_nul(b).ok())
    else {
        return false;
    };
    match stat_at(dir, path, 0) {
        Ok(named) => named.st_dev == exe.st_dev && named.st_ino == exe.st_ino,
        Err(_) => false,
    }
}

/// `btime` from the proc root's `stat`, read in chunks on the stack (its
/// `intr` line alone can be tens of kilobytes).
pub(super) fn read_btime(root: BorrowedFd<'_>) -> Option<u64> {
    let fd = openat(root, c"stat", 0).ok()?;
    let mut buf = [0u8; PROC_STAT_CHUNK];
    // Bytes at the front of `buf` carried over: the start of a line.
    let mut carry = 0usize;
    // Whether the bytes at the front continue a line dropped for length.
    let mut mid_line = false;
    loop {
        let spare = buf.get_mut(carry..)?;
        let n = read(fd.as_fd(), spare).ok()?;
        if n == 0 {
            return None;
        }
        let filled = carry + n;
        let text = buf.get(..filled)?;
        let start = if mid_line {
            text.iter()
                .position(|&b| b == b'\n')
                .map_or(filled, |i| i + 1)
        } else {
            0
        };
        let lines = text.get(start..)?;
        if let Some(secs) = parse::boot_time(lines) {
            return Some(secs);
        }
        // Keep the unfinished last line, if it is short enough to be
        // `btime`'s; otherwise skip it.
        let last = lines.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let tail = start + last;
        let tail_len = filled - tail;
        if tail_len <= 64 && (tail > 0 || !mid_line) {
            buf.copy_within(tail..filled, 0);
            carry = tail_len;
            mid_line = false;
        } else {
            carry = 0;
            mid_line = true;
        }
    }
}

/// The boot time as the kernel computes `btime`: `CLOCK_REALTIME` minus
/// `CLOCK_BOOTTIME`, in whole seconds.
pub(super) fn boot_from_clocks() -> Result<u64, Fail> {
    let real = clock_ns(libc::CLOCK_REALTIME).map_err(|e| Fail::Os("clock_gettime", e))?;
    let boot = clock_ns(libc::CLOCK_BOOTTIME).map_err(|e| Fail::Os("clock_gettime", e))?;
    u64::try_from(real.saturating_sub(boot) / 1_000_000_000).map_err(|_| Fail::Malformed("clock"))
}
