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
//! pid too). Step 1 is the case below.
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
        if attempt >= SETTLE_ATTEMPTS {
            return Err(Fail::Gone);
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

/// The open fds under `<dir>/fd` and their kinds into `out`; how many.
fn fds_at(dir: BorrowedFd<'_>, out: &mut [Fd]) -> Result<usize, Fail> {
    let fd_dir = openat(dir, c"fd", libc::O_DIRECTORY).map_err(|e| Fail::of("open fd", e))?;
    let mut found = 0usize;
    let mut dents = [MaybeUninit::<u8>::uninit(); DENTS_BUF];
    loop {
        let bytes =
            getdents(fd_dir.as_fd(), &mut dents).map_err(|e| Fail::of("getdents64 fd", e))?;
        if bytes.is_empty() {
            return Ok(found);
        }
        for dirent in Dirents::new(bytes) {
            let dirent = dirent.map_err(|_| Fail::Malformed("getdents64 fd"))?;
            let Some(fd) = parse::pid_name(dirent.name) else {
                continue;
            };
            let mut link = [0u8; FD_LINK_BUF];
            let kind = match readlinkat(fd_dir.as_fd(), dirent.name_c, &mut link) {
                Ok(n) => parse::fd_kind(link.get(..n).unwrap_or_default()),
                // Closed since the listing: not open any more.
                Err(e) if e == Errno::ENOENT => continue,
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
    for attempt in 0..SETTLE_ATTEMPTS {
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
    Err(NO_EXE)
}

impl ProcFs {
    /// The path of `<pid>/exe` into `out`: the process's, also while its
    /// leader has exited or is being replaced.
    pub(super) fn read_exe(&self, pid: Pid, out: &mut [u8]) -> Result<PathRead, Fail> {
        let dir = self.pid_dir(pid)?;
        exe_in(dir.as_fd(), pid, out)
    }

    /// The open fds of `pid` and their kinds, from `<pid>/fd`: the
    /// process's, also while its leader has exited or is being replaced.
    pub(super) fn read_fds(&self, pid: Pid, out: &mut [Fd]) -> Result<Listed, Fail> {
        let dir = self.pid_dir(pid)?;
        check_leader(dir.as_fd(), pid)?;
        for attempt in 0..SETTLE_ATTEMPTS {
            if attempt > 0 {
                settle(attempt);
            }
            let found = fds_at(dir.as_fd(), out)?;
            if found > 0 {
                return Ok(listed(found, out.len()));
            }
            match bare(dir.as_fd(), pid)? {
                Bare::Truly => break,
                Bare::Thread(thread) => match fds_at(thread.as_fd(), out) {
                    Ok(found) if found > 0 => return Ok(listed(found, out.len())),
                    // That thread left meanwhile (its directory may even
                    // name the old leader after an exec's swap): look
                    // again.
                    Ok(_) | Err(Fail::Gone) => {}
                    Err(fail) => return Err(fail),
                },
                // The new leader's table, through the same directory.
                Bare::Replaced => {
                    let found = fds_at(dir.as_fd(), out)?;
                    return Ok(listed(found, out.len()));
                }
                Bare::Again => {}
            }
        }
        Ok(Listed::Complete(0))
    }

    /// The threads of `pid`, from `<pid>/task`, leader first.
    pub(super) fn read_threads(&self, pid: Pid, out: &mut [Thread]) -> Result<Listed, Fail> {
        let mut path = [0u8; parse::PID_PATH_MAX];
        let name = parse::pid_path(pid, b"task", &mut path).ok_or(Fail::Gone)?;
        let task = openat(self.root.as_fd(), name, libc::O_DIRECTORY)
            .map_err(|e| Fail::of("open task", e))?;
        let mut attempt = 0;
        loop {
            let (found, first) = tids_at(task.as_fd(), out)?;
            match first {
                None => return Err(Fail::Gone),
                Some(first) if first == pid => return Ok(listed(found, out.len())),
                Some(_) => {
                    // A thread's number, or the old leader of an exec
                    // still listed first: `status` tells.
                    let dir = self.pid_dir(pid)?;
                    thread_or_replaced(dir.as_fd(), pid)?;
                    attempt += 1;
                    if attempt >= SETTLE_ATTEMPTS {
                        return Ok(listed(found, out.len()));
                    }
                    settle(attempt);
                }
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
