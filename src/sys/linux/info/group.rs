//! A process is its thread group, whatever its leader is doing.
//!
//! # Exec from a thread that is not the leader
//!
//! The pid, group, session, parent and ids of the process never change,
//! and the exec'ing thread takes the leader's start time, but `/proc/<pid>`
//! shows, for a moment, the old leader (`de_thread`, `fs/exec.c`):
//!
//! 1. the old leader exits first (killed by the exec'ing thread) and is a
//!    zombie until every other thread is gone: `stat` says `Z` with
//!    `num_threads` > 1, `exe` has no target, `fd/` is empty;
//! 2. then, under the task list lock, the two swap pids (`exchange_tids`):
//!    `/proc/<pid>` now resolves to the new leader, the old one takes the
//!    exec'ing thread's old tid and `exit_signal` -1, and is released
//!    (`release_task`). A read that found the old leader before the swap
//!    prints it after: `exit_signal` -1, and once released pgrp and
//!    session -1, ppid, tty and `num_threads` 0 (`do_task_stat`,
//!    `fs/proc/array.c`: their defaults when `lock_task_sighand` fails;
//!    field 1 is the directory's pid whatever the task); `task/` lists the
//!    old leader, with its new tid, first until it is released.
//!
//! A record of step 2 ([`stale`]) is read again, through the same
//! directory descriptor (bound to the process, so never another one), a
//! bounded number of times ([`SETTLE_ATTEMPTS`]); `status`'s `Tgid` tells
//! it from a real thread (`Tgid` is per process: the old leader's is the
//! pid too). Step 1 is the case below. When every attempt caught a window
//! the answer is [`Fail::Busy`], never "gone": the caller opens the
//! directory again ("Gone only when proven" in `info.rs`).
//!
//! # A leader that exited while its threads run on
//!
//! A main thread that calls `pthread_exit` stays a zombie, and `/proc/<pid>`
//! keeps showing it (`ps` prints `Zl`), while the process runs. Users ask
//! about the process: so an info takes its state and `EXITING` from a
//! thread still running and sets
//! [`ProcFlags::LEADER_EXITED`](crate::ProcFlags::LEADER_EXITED), and
//! `exe` and `fds` read that thread's (`task/<tid>/exe`, `task/<tid>/fd`:
//! the memory map and the descriptor table belong to the process).

use core::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use super::files::{for_each_pid, listed, names_exe, read_at, read_status};
use super::{Fail, DELETED, DENTS_BUF, FD_LINK_BUF, FIRST_TID_BUF, PF_EXITING, PF_KTHREAD};
use super::{ProcFs, STATUS_BUF, STAT_BUF};
use crate::parse::{self, Dirents, StatRecord};
use crate::sys::linux::reread::released;
use crate::sys::linux::syscalls::{getdents, openat, readlinkat, rewind};
use crate::sys::{Listed, PathRead};
use crate::{Errno, Fd, Pid, Thread};

/// Reads of one file while `/proc/<pid>` shows a leader being replaced:
/// the swap and the release take a few microseconds, unless the exec'ing
/// thread is preempted in between ([`settle`] then waits for it, about 6 ms
/// in all).
pub(super) const SETTLE_ATTEMPTS: u32 = 8;

#[cfg(test)]
std::thread_local! {
    /// Tests shrink the budget of their own thread (`gone.rs`), to make
    /// an exhausted budget common.
    pub(super) static SETTLE_LIMIT: core::cell::Cell<u32> =
        const { core::cell::Cell::new(SETTLE_ATTEMPTS) };
}

/// [`SETTLE_ATTEMPTS`], or what a test set for its thread.
pub(super) fn settle_attempts() -> u32 {
    #[cfg(test)]
    return SETTLE_LIMIT.with(core::cell::Cell::get);
    #[cfg(not(test))]
    SETTLE_ATTEMPTS
}

/// Lets the exec'ing thread finish the swap before read number `attempt`
/// (from 1): a few yields, then short sleeps.
pub(super) fn settle(attempt: u32) {
    if attempt < 4 {
        std::thread::yield_now();
    } else {
        std::thread::sleep(Duration::from_micros(200 << (attempt - 4).min(4)));
    }
}

/// Whether a `stat` record read as `pid`'s is not its leader's: a thread
/// (`exit_signal` -1; field 1 is checked too, though the kernel prints the
/// number looked up) or a task already released (pgrp or session -1, the
/// rule of `reread.rs`). A leader never has `exit_signal` -1 (`copy_process` gives
/// -1 only with `CLONE_THREAD`; `de_thread` and `reparent_leader` set
/// `SIGCHLD`).
pub(super) fn stale(stat: &StatRecord<'_>, pid: Pid) -> bool {
    stat.pid != pid.as_raw() || stat.exit_signal == -1 || released(stat.pgrp, stat.session)
}

/// Whether the leader is gone or going while other threads remain: a
/// zombie, dead or exiting leader of more than one thread.
pub(super) fn leader_left(stat: &StatRecord<'_>) -> bool {
    let exited = matches!(stat.state, b'Z' | b'X' | b'x') || stat.flags & PF_EXITING != 0;
    exited && stat.num_threads > 1
}

/// After a [`stale`] record of `pid` read through `dir`: `Thread` if `pid`
/// is a thread's number, `Ok` if it is the process's (read again).
pub(super) fn thread_or_replaced(dir: BorrowedFd<'_>, pid: Pid) -> Result<(), Fail> {
    let mut buf = [0u8; STATUS_BUF];
    let ids = read_status(dir, &mut buf)?;
    if ids.tgid == pid.as_raw() {
        Ok(())
    } else {
        Err(Fail::Thread(Pid::from_raw(ids.tgid)))
    }
}

/// `stat` of the process `pid` through `dir`, read again while it shows
/// the old leader of an exec (see the module docs).
pub(super) fn read_stat<'b>(
    dir: BorrowedFd<'_>,
    pid: Pid,
    buf: &'b mut [u8],
) -> Result<StatRecord<'b>, Fail> {
    let mut attempt = 0;
    let len = loop {
        let bytes = read_at(dir, c"stat", "read stat", buf)?;
        let stat = parse::stat_record(bytes).ok_or(Fail::Malformed("stat"))?;
        if !stale(&stat, pid) {
            break bytes.len();
        }
        thread_or_replaced(dir, pid)?;
        attempt += 1;
        if attempt >= settle_attempts() {
            return Err(Fail::Busy);
        }
        settle(attempt);
    };
    let bytes = buf.get(..len).unwrap_or_default();
    parse::stat_record(bytes).ok_or(Fail::Malformed("stat"))
}

/// A thread of the process whose directory is `dir`, neither exited
/// nor exiting: its `task/<tid>` directory, state letter and `stat` flags.
/// `None` when every thread is going.
pub(super) fn running_thread(dir: BorrowedFd<'_>) -> Result<Option<(OwnedFd, u8, u32)>, Fail> {
    let task = openat(dir, c"task", libc::O_DIRECTORY).map_err(|e| Fail::of("open task", e))?;
    let mut found = None;
    for_each_pid(task.as_fd(), "getdents64 task", |tid| {
        // The leader is listed too: one that left is skipped as going,
        // and after the swap of an exec the new leader has its pid.
        if found.is_some() {
            return Ok(());
        }
        let mut path = [0u8; parse::PID_PATH_MAX];
        let name = parse::pid_path(tid, b"", &mut path).ok_or(Fail::Gone)?;
        let thread = match openat(task.as_fd(), name, libc::O_PATH | libc::O_DIRECTORY) {
            Ok(fd) => fd,
            // Exited since the listing.
            Err(e) if e == Errno::ENOENT || e == Errno::ESRCH => return Ok(()),
            Err(e) => return Err(Fail::of("open task", e)),
        };
        let mut buf = [0u8; STAT_BUF];
        let stat = match read_at(thread.as_fd(), c"stat", "read stat", &mut buf) {
            Ok(bytes) => parse::stat_record(bytes).ok_or(Fail::Malformed("stat"))?,
            Err(Fail::Gone) => return Ok(()),
            Err(fail) => return Err(fail),
        };
        let going = matches!(stat.state, b'Z' | b'X' | b'x') || stat.flags & PF_EXITING != 0;
        if !going {
            found = Some((thread, stat.state, stat.flags));
        }
        Ok(())
    })?;
    Ok(found)
}

/// Whether a `stat` record shows a task that exited or is exiting.
fn going(stat: &StatRecord<'_>) -> bool {
    matches!(stat.state, b'Z' | b'X' | b'x') || stat.flags & PF_EXITING != 0
}

/// `Ok` if `pid`, whose directory is `dir`, is a process: the first entry
/// of `task/` is the leader (`first_tid` in `fs/proc/base.c` walks the
/// thread list from its head, the leader); when it is not, `status` says
/// whether `pid` is a thread's or the old leader of an exec is still
/// listed first.
pub(super) fn check_leader(dir: BorrowedFd<'_>, pid: Pid) -> Result<(), Fail> {
    let task = openat(dir, c"task", libc::O_DIRECTORY).map_err(|e| Fail::of("open task", e))?;
    let mut dents = [MaybeUninit::<u8>::uninit(); FIRST_TID_BUF];
    loop {
        let bytes =
            getdents(task.as_fd(), &mut dents).map_err(|e| Fail::of("getdents64 task", e))?;
        if bytes.is_empty() {
            return Err(Fail::Gone);
        }
        for dirent in Dirents::new(bytes) {
            let dirent = dirent.map_err(|_| Fail::Malformed("getdents64 task"))?;
            if let Some(first) = parse::pid_name(dirent.name) {
                return if first == pid {
                    Ok(())
                } else {
                    thread_or_replaced(dir, pid)
                };
            }
        }
    }
}

/// `<dir>/exe` into `out`; `Ok(None)` when it has no target (`ENOENT`: no
/// memory map, or the task is gone).
fn exe_at(dir: BorrowedFd<'_>, out: &mut [u8]) -> Result<Option<PathRead>, Fail> {
    let n = match readlinkat(dir, c"exe", out) {
        Ok(n) => n,
        Err(e) if e == Errno::ENOENT => return Ok(None),
        Err(e) => return Err(Fail::of("readlink exe", e)),
    };
    if n >= out.len() {
        return Ok(Some(PathRead::Full { needed: None }));
    }
    let path = out.get(..n).unwrap_or_default();
    if !path.ends_with(DELETED) || names_exe(dir, out, n) {
        return Ok(Some(PathRead::Complete {
            len: n,
            deleted: false,
        }));
    }
    Ok(Some(PathRead::Complete {
        len: n - DELETED.len(),
        deleted: true,
    }))
}

/// A listing of `<dir>/fd`.
#[derive(Copy, Clone)]
struct FdList {
    /// The fds read, each with its kind.
    found: usize,
    /// Some fd listed had no link by the time it was read: closed since,
    /// or the listing was of an old leader's table in an exec's window
    /// (its table goes when it exits, while the process keeps it).
    vanished: bool,
}

/// The open fds under `<dir>/fd` and their kinds into `out`.
fn fds_at(dir: BorrowedFd<'_>, out: &mut [Fd]) -> Result<FdList, Fail> {
    let fd_dir = openat(dir, c"fd", libc::O_DIRECTORY).map_err(|e| Fail::of("open fd", e))?;
    let mut found = 0usize;
    let mut vanished = false;
    let mut dents = [MaybeUninit::<u8>::uninit(); DENTS_BUF];
    loop {
        let bytes =
            getdents(fd_dir.as_fd(), &mut dents).map_err(|e| Fail::of("getdents64 fd", e))?;
        if bytes.is_empty() {
            return Ok(FdList { found, vanished });
        }
        for dirent in Dirents::new(bytes) {
            let dirent = dirent.map_err(|_| Fail::Malformed("getdents64 fd"))?;
            let Some(fd) = parse::pid_name(dirent.name) else {
                continue;
            };
            let mut link = [0u8; FD_LINK_BUF];
            let kind = match readlinkat(fd_dir.as_fd(), dirent.name_c, &mut link) {
                Ok(n) => parse::fd_kind(link.get(..n).unwrap_or_default()),
                // Closed since the listing, or an exec's window: the
                // caller tells.
                Err(e) if e == Errno::ENOENT => {
                    vanished = true;
                    continue;
                }
                Err(e) => return Err(Fail::of("readlink fd", e)),
            };
            if let Some(slot) = out.get_mut(found) {
                *slot = Fd::new(fd.as_raw(), kind);
            }
            found += 1;
        }
    }
}

/// What a process without a memory map of its own (`exe` without target)
/// or without descriptors (`fd/` empty) is, from its `stat`.
enum Bare {
    /// A kernel thread, a zombie, a process exiting: it truly has none.
    Truly,
    /// Its leader left; this running thread has the process's.
    Thread(OwnedFd),
    /// A live leader: the one read before was replaced since; read again.
    Replaced,
    /// Its leader left and no thread was found running: the threads
    /// changed under the listing (an exec's swap); look again.
    Again,
}

/// Classifies a process found without an executable or descriptors.
fn bare(dir: BorrowedFd<'_>, pid: Pid) -> Result<Bare, Fail> {
    let mut buf = [0u8; STAT_BUF];
    let stat = read_stat(dir, pid, &mut buf)?;
    if stat.flags & PF_KTHREAD != 0 {
        return Ok(Bare::Truly);
    }
    if leader_left(&stat) {
        return Ok(match running_thread(dir)? {
            Some((thread, ..)) => Bare::Thread(thread),
            None => Bare::Again,
        });
    }
    Ok(if going(&stat) {
        Bare::Truly
    } else {
        Bare::Replaced
    })
}

/// "No executable": what `readlink` of `exe` says for a process without
/// one.
const NO_EXE: Fail = Fail::Os("readlink exe", Errno::ENOENT);

/// The path of the executable of the process `pid` whose directory is
/// `dir`, into `out`: the process's, also while its leader has exited or
/// is being replaced; never another process's (`dir` is bound to it).
pub(super) fn exe_in(dir: BorrowedFd<'_>, pid: Pid, out: &mut [u8]) -> Result<PathRead, Fail> {
    check_leader(dir, pid)?;
    for attempt in 0..settle_attempts() {
        if attempt > 0 {
            settle(attempt);
        }
        if let Some(read) = exe_at(dir, out)? {
            return Ok(read);
        }
        match bare(dir, pid)? {
            Bare::Truly => return Err(NO_EXE),
            Bare::Thread(thread) => {
                if let Some(read) = exe_at(thread.as_fd(), out)? {
                    return Ok(read);
                }
                // That thread exited meanwhile: look again.
            }
            Bare::Replaced | Bare::Again => {}
        }
    }
    Err(Fail::Busy)
}

impl ProcFs {
    /// The path of `<pid>/exe` into `out`: the process's, also while its
    /// leader has exited or is being replaced.
    pub(super) fn read_exe(&self, pid: Pid, out: &mut [u8]) -> Result<PathRead, Fail> {
        self.bound(pid, |dir| exe_in(dir, pid, out))
    }

    /// The open fds of `pid` and their kinds, from `<pid>/fd`: the
    /// process's, also while its leader has exited or is being replaced.
    pub(super) fn read_fds(&self, pid: Pid, out: &mut [Fd]) -> Result<Listed, Fail> {
        self.bound(pid, |dir| fds_in(dir, pid, out))
    }

    /// The threads of `pid`, from `<pid>/task`, leader first.
    pub(super) fn read_threads(&self, pid: Pid, out: &mut [Thread]) -> Result<Listed, Fail> {
        self.bound(pid, |dir| threads_in(dir, pid, out))
    }
}

/// The open fds of the process `pid` whose directory is `dir`.
///
/// A listing in which an fd had no link by the time it was read is taken
/// again: the fd was closed, or the listing was of an old leader whose
/// table went as it exited (an exec from a thread), and a new listing
/// shows which. Only when every attempt saw such a listing is the last
/// one taken, without those fds, if no exec's window shows then (a
/// process closing fds as fast as they are read); else [`Fail::Busy`].
fn fds_in(dir: BorrowedFd<'_>, pid: Pid, out: &mut [Fd]) -> Result<Listed, Fail> {
    check_leader(dir, pid)?;
    let mut churned = None;
    for attempt in 0..settle_attempts() {
        if attempt > 0 {
            settle(attempt);
        }
        let list = fds_at(dir, out)?;
        if list.vanished {
            churned = (!in_window(dir, pid)?).then_some(list.found);
            continue;
        }
        if list.found > 0 {
            return Ok(listed(list.found, out.len()));
        }
        match bare(dir, pid)? {
            Bare::Truly => return Ok(Listed::Complete(0)),
            Bare::Thread(thread) => match fds_at(thread.as_fd(), out) {
                Ok(list) if list.found > 0 && !list.vanished => {
                    return Ok(listed(list.found, out.len()))
                }
                // That thread left meanwhile (its directory may even
                // name the old leader after an exec's swap): look
                // again.
                Ok(_) | Err(Fail::Gone) => {}
                Err(fail) => return Err(fail),
            },
            // The new leader's table, through the same directory.
            Bare::Replaced => {
                let list = fds_at(dir, out)?;
                if !list.vanished {
                    return Ok(listed(list.found, out.len()));
                }
            }
            Bare::Again => {}
        }
    }
    churned
        .map(|found| listed(found, out.len()))
        .ok_or(Fail::Busy)
}

/// Whether `pid`'s `stat`, read once through `dir`, shows an exec's
/// window: an old leader ([`stale`]), or a leader that left.
fn in_window(dir: BorrowedFd<'_>, pid: Pid) -> Result<bool, Fail> {
    let mut buf = [0u8; STAT_BUF];
    let bytes = read_at(dir, c"stat", "read stat", &mut buf)?;
    let stat = parse::stat_record(bytes).ok_or(Fail::Malformed("stat"))?;
    Ok(stale(&stat, pid) || leader_left(&stat))
}

/// The threads of the process `pid` whose directory is `dir`, leader
/// first.
fn threads_in(dir: BorrowedFd<'_>, pid: Pid, out: &mut [Thread]) -> Result<Listed, Fail> {
    let task = openat(dir, c"task", libc::O_DIRECTORY).map_err(|e| Fail::of("open task", e))?;
    let mut attempt = 0;
    loop {
        let (found, first) = tids_at(task.as_fd(), out)?;
        match first {
            None => return Err(Fail::Gone),
            Some(first) if first == pid => return Ok(listed(found, out.len())),
            Some(_) => {
                // A thread's number, or the old leader of an exec still
                // listed first: `status` tells.
                thread_or_replaced(dir, pid)?;
                attempt += 1;
                if attempt >= settle_attempts() {
                    return Err(Fail::Busy);
                }
                settle(attempt);
            }
        }
    }
}

/// The tids listed in the `task/` directory `task` into `out` (read from
/// its start): how many, and the first.
fn tids_at(task: BorrowedFd<'_>, out: &mut [Thread]) -> Result<(usize, Option<Pid>), Fail> {
    rewind(task).map_err(|e| Fail::Os("lseek", e))?;
    let mut found = 0usize;
    let mut first = None;
    for_each_pid(task, "getdents64 task", |tid| {
        first.get_or_insert(tid);
        if let Some(slot) = out.get_mut(found) {
            *slot = Thread::Tid(tid);
        }
        found += 1;
        Ok(())
    })?;
    Ok((found, first))
}
