//! Per-process information from `/proc/<pid>`: `stat`, `status`, `exe`,
//! `task/`, `fd/`, and pidfds for identity.
//!
//! # One process per answer
//!
//! Every call opens the process's directory once (`O_PATH`) and reads its
//! files through that descriptor. procfs binds the directory to the process
//! (its `struct pid`), not to the number: once the process is reaped, every
//! lookup under the old descriptor fails, even if the pid has been reused.
//! So `stat` and `status` read for one info always describe the same
//! process, and a process that vanishes mid-call is "no such process".
//!
//! # Threads are not processes
//!
//! `/proc/<tid>` resolves for a thread that is not its group's leader. An
//! info checks `Tgid` of `status`; `exe` and `fds` check the first entry of
//! `task/`, which the kernel lists leader first (`first_tid` in
//! `fs/proc/base.c` walks the thread list from the leader); `threads` does
//! the same on the listing it reads anyway; `identity` reads `stat`, whose
//! field 1 is the thread's id and `exit_signal` -1 for a thread that is not
//! a leader (`copy_process` with `CLONE_THREAD`). Each of these signs also
//! shows, for a moment, while a process execs from a thread that is not
//! its leader; `status`'s `Tgid` (the pid for the process's own tasks)
//! tells the two apart, and the process is read again (`group.rs`).
//!
//! # Gone only when proven
//!
//! A descriptor of `/proc/<pid>` (or of a file under it) is bound to the
//! pid of the task its lookup found, taken after the lookup
//! (`proc_pid_make_inode` calls `get_task_pid`): a lookup that races the
//! pid swap of an exec from a thread (`exchange_tids`) binds it to the old
//! leader, which is released a moment later, and every read through it
//! then fails although the process lives. So a call reads through one
//! descriptor ([`bound`](ProcFs::bound)) and, when a read says "gone" or
//! an exec's window outlasted the re-reads, opens `<pid>` again: only a
//! failed lookup of the number says "no such process" (the pid's own task
//! list is never empty while the process lives: `exchange_tids` swaps the
//! two lists in place). Each round that ends so caught a new exec of the
//! process (or its death and the reuse of its pid, read as the new
//! process), so the rounds are bounded
//! ([`SETTLE_ATTEMPTS`](group::SETTLE_ATTEMPTS)); when they
//! run out the call fails with [`ErrorKind::Raced`](crate::ErrorKind::Raced)
//! for that pid: the process is alive and changing, ask again.
//!
//! # The process, not its leader
//!
//! A leader that exited (`pthread_exit`) while other threads run stays a
//! zombie in `/proc/<pid>`; the process is read as its running threads
//! (`group.rs`).
//!
//! # Start times
//!
//! `starttime` of `stat` counts clock ticks (`sysconf(_SC_CLK_TCK)`) since
//! boot; the boot time is `btime` of the proc root's `stat` (whole seconds,
//! as `ps` uses it), read once per [`ProcFs`]. Where that file cannot be
//! read it is computed from `CLOCK_REALTIME - CLOCK_BOOTTIME`.
//!
//! # Identity
//!
//! pidfs (Linux 6.9+) gives each process a 64-bit inode number that is never
//! reused: `fstat` of a pidfd. A pidfd names a process of the *caller's* pid
//! namespace, so this key is taken only when the proc root shows that
//! namespace (`pidns.rs`); otherwise, and on older kernels, the identity
//! is the pid and start time.
//!
//! # Allocation
//!
//! None: paths are built on the stack, files read into stack buffers, and
//! failures kept as a small [`Fail`] until they leave the backend (so a
//! process skipped in a listing costs no `Error`).

use core::sync::atomic::{AtomicU64, Ordering};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

mod files;
#[cfg(test)]
mod gone;
mod group;
#[cfg(test)]
mod helper;
#[cfg(test)]
mod tests;

use files::{boot_from_clocks, filter_ids, filter_stat, matches_info, read_btime, read_status};
use group::{leader_left, read_stat, running_thread, settle, settle_attempts, stale};

use super::syscalls::{clock_ticks, fstat, openat, pidfd_open, pidfd_probe};
use super::{stat_uid, ProcFs};
use crate::info::proc_info::ProcInfo;
use crate::parse::{self, StatRecord, StatusIds};
use crate::sys::{FillFn, Inspect, Listed, PathRead};
use crate::{
    Comm, Dev, Errno, Error, Fd, Filter, InfoBuf, Pid, PidQuery, ProcFlags, ProcId, StartTime,
    State, Thread,
};

/// Bytes of `<pid>/stat` read: the longest record (a 64-byte name and 52
/// fields of up to 20 digits) is under 1300 bytes.
const STAT_BUF: usize = 2048;
/// Bytes of `<pid>/status` read: the id lines come before `FDSize:`, within
/// the first 600 bytes even with a fully escaped 64-byte name.
const STATUS_BUF: usize = 1024;
/// Bytes of `getdents64` records per call for `task/` and `fd/`.
const DENTS_BUF: usize = 8192;
/// Bytes of `getdents64` records for the leader check: `.`, `..` and the
/// first thread fit.
const FIRST_TID_BUF: usize = 128;
/// Bytes of an fd link read to classify it ("anon_inode:[eventpoll]" is 22).
const FD_LINK_BUF: usize = 64;
/// Bytes of `/proc/stat` read per call while looking for `btime`.
const PROC_STAT_CHUNK: usize = 4096;

/// `PF_EXITING` (`include/linux/sched.h`).
const PF_EXITING: u32 = 0x0000_0004;
/// `PF_KTHREAD` (`include/linux/sched.h`).
const PF_KTHREAD: u32 = 0x0020_0000;
/// The suffix `d_path` gives an unlinked file.
const DELETED: &[u8] = b" (deleted)";

/// What per-process reads learn once per proc root.
#[derive(Debug)]
pub(super) struct Facts {
    /// Clock ticks per second, `None` if the system does not say.
    hz: Option<u32>,
    /// Boot time in seconds since the epoch; `u64::MAX` until read.
    boot_secs: AtomicU64,
}

impl Facts {
    pub(super) fn new() -> Facts {
        Facts {
            hz: clock_ticks(),
            boot_secs: AtomicU64::new(u64::MAX),
        }
    }
}

/// A failure inside the backend, before it becomes an [`Error`] (which
/// allocates for its path): cheap to make and drop for a skipped process.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Fail {
    /// The process is gone (or never was).
    Gone,
    /// The pid is a thread of this process (when known).
    Thread(Option<Pid>),
    /// The kernel refused.
    Denied(&'static str, Errno),
    /// A system call failed otherwise.
    Os(&'static str, Errno),
    /// The kernel's text did not parse.
    Malformed(&'static str),
    /// Every attempt found the process in the middle of an exec from a
    /// thread (see "Gone only when proven" above): it lives, ask again.
    Busy,
}

impl Fail {
    /// A failed call on a per-process file: gone, refused, or other.
    fn of(op: &'static str, errno: Errno) -> Fail {
        match errno.raw() {
            libc::ENOENT | libc::ESRCH => Fail::Gone,
            libc::EACCES | libc::EPERM => Fail::Denied(op, errno),
            _ => Fail::Os(op, errno),
        }
    }

    /// True for the failures a whole-query answer skips.
    fn skips(self) -> bool {
        matches!(self, Fail::Gone | Fail::Thread(_) | Fail::Denied(..))
    }
}

impl ProcFs {
    /// The public error for `fail` on `pid`, from the call `call`.
    fn error(&self, call: &'static str, pid: Pid, fail: Fail) -> Error {
        match fail {
            Fail::Gone => Error::no_such_process(call, pid).with_path(&self.path),
            Fail::Thread(tgid) => Error::not_a_process(call, pid, tgid).with_path(&self.path),
            Fail::Denied(op, errno) => {
                Error::permission_denied(op, pid, errno).with_path(&self.path)
            }
            Fail::Os(op, errno) => self.err(op, errno).with_pid(pid),
            Fail::Malformed(file) => self.malformed(pid, file),
            Fail::Busy => Error::raced_on(call, pid, settle_attempts()).with_path(&self.path),
        }
    }

    /// The identity of `pid`: from its pidfd where pidfs gives inode
    /// numbers, else from its `stat`.
    fn identify(&self, pid: Pid) -> Result<ProcId, Fail> {
        if self.pidfs() {
            self.pidfs_identity(pid)
        } else {
            self.stat_identity(pid)
        }
    }

    /// `read` through a descriptor of `pid`'s directory, opened again
    /// while it says the process is gone or kept changing: only a failed
    /// lookup of `<pid>` itself says gone (see "Gone only when proven"
    /// above); [`Fail::Busy`] once every round ran out.
    fn bound<T>(
        &self,
        pid: Pid,
        mut read: impl FnMut(BorrowedFd<'_>) -> Result<T, Fail>,
    ) -> Result<T, Fail> {
        for round in 0..settle_attempts() {
            if round > 0 {
                settle(round);
            }
            let dir = self.pid_dir(pid)?;
            match read(dir.as_fd()) {
                Err(Fail::Gone | Fail::Busy) => {}
                done => return done,
            }
        }
        Err(Fail::Busy)
    }

    /// Opens `<pid>` under the root as an `O_PATH` directory.
    fn pid_dir(&self, pid: Pid) -> Result<OwnedFd, Fail> {
        let mut path = [0u8; parse::PID_PATH_MAX];
        let name = parse::pid_path(pid, b"", &mut path).ok_or(Fail::Gone)?;
        openat(self.root.as_fd(), name, libc::O_PATH | libc::O_DIRECTORY)
            .map_err(|e| Fail::of("open", e))
    }

    /// Clock ticks per second.
    fn hz(&self) -> Result<u32, Fail> {
        self.facts
            .hz
            .ok_or(Fail::Os("sysconf(_SC_CLK_TCK)", Errno::EINVAL))
    }

    /// The boot time in seconds since the epoch, read once.
    fn boot_secs(&self) -> Result<u64, Fail> {
        let known = self.facts.boot_secs.load(Ordering::Relaxed);
        if known != u64::MAX {
            return Ok(known);
        }
        let secs = match read_btime(self.root.as_fd()) {
            Some(secs) => secs,
            None => boot_from_clocks()?,
        };
        self.facts.boot_secs.store(secs, Ordering::Relaxed);
        Ok(secs)
    }

    /// A start time from `stat`'s `starttime`, `None` when the clock
    /// tick or the boot time cannot be known.
    pub(super) fn start_of(&self, ticks: u64) -> Option<StartTime> {
        self.start_time(ticks).ok()
    }

    /// A start time from `stat`'s `starttime`.
    fn start_time(&self, ticks: u64) -> Result<StartTime, Fail> {
        StartTime::since_boot(ticks, self.hz()?, self.boot_secs()?).ok_or(Fail::Malformed("stat"))
    }

    /// The info of the process whose directory is `dir`, or `Ok(None)` if
    /// it does not match `filter` (tested as early as the files allow);
    /// read again while it shows the old leader of an exec (`group.rs`).
    fn info_at(
        &self,
        dir: BorrowedFd<'_>,
        pid: Pid,
        filter: Filter,
    ) -> Result<Option<ProcInfo>, Fail> {
        for attempt in 0..settle_attempts() {
            if attempt > 0 {
                settle(attempt);
            }
            if let Some(read) = self.try_info_at(dir, pid, filter)? {
                return Ok(read);
            }
        }
        Err(Fail::Busy)
    }

    /// One reading of [`info_at`](Self::info_at): `Ok(None)` when it caught
    /// the old leader of an exec.
    #[allow(clippy::option_option)]
    fn try_info_at(
        &self,
        dir: BorrowedFd<'_>,
        pid: Pid,
        filter: Filter,
    ) -> Result<Option<Option<ProcInfo>>, Fail> {
        let mut stat_buf = [0u8; STAT_BUF];
        let mut status_buf = [0u8; STATUS_BUF];
        let raw = pid.as_raw();
        // Read first the file the filter needs, so a miss costs one read;
        // a record of the old leader is never tested.
        let (stat, ids) = if let Filter::Ruid(_) = filter {
            let ids = read_status(dir, &mut status_buf)?;
            if ids.tgid != raw {
                return Err(Fail::Thread(Pid::from_raw(ids.tgid)));
            }
            if ids.pid != raw {
                return Ok(None);
            }
            if !filter_ids(filter, &ids) {
                return Ok(Some(None));
            }
            let stat = files::read_stat(dir, &mut stat_buf)?;
            if stale(&stat, pid) {
                return Ok(None);
            }
            (stat, ids)
        } else {
            let stat = files::read_stat(dir, &mut stat_buf)?;
            let old = stale(&stat, pid);
            if !old && !filter_stat(filter, &stat) {
                return Ok(Some(None));
            }
            let ids = read_status(dir, &mut status_buf)?;
            if ids.tgid != raw {
                return Err(Fail::Thread(Pid::from_raw(ids.tgid)));
            }
            if old || ids.pid != raw {
                return Ok(None);
            }
            (stat, ids)
        };
        let mut info = self.compose(pid, &stat, &ids)?;
        if leader_left(&stat) {
            // The process is its threads: state and `EXITING` from one
            // still running.
            if let Some((_, state, flags)) = running_thread(dir)? {
                info.state = State::from_letter(state);
                info.flags.set(ProcFlags::EXITING, flags & PF_EXITING != 0);
                info.flags.insert(ProcFlags::LEADER_EXITED);
            }
        }
        Ok(Some(matches_info(filter, &info).then_some(info)))
    }

    /// A [`ProcInfo`] from one process's `stat` and `status`.
    fn compose(&self, pid: Pid, stat: &StatRecord<'_>, ids: &StatusIds) -> Result<ProcInfo, Fail> {
        // A task in its final release reads -1 for its group and session
        // (`stale` records are read again before they come here).
        let (Some(pgid), Some(sid)) = (Pid::from_raw(stat.pgrp), Pid::from_raw(stat.session))
        else {
            return Err(Fail::Gone);
        };
        let ppid = Pid::from_raw(stat.ppid).ok_or(Fail::Malformed("stat"))?;
        let tty = (stat.tty_nr != 0).then(|| Dev::from_raw(u64::from(stat.tty_nr as u32)));
        let tpgid = Pid::from_raw(stat.tpgid).filter(|_| tty.is_some());
        let mut flags = ProcFlags::empty();
        flags.set(ProcFlags::KERNEL, stat.flags & PF_KTHREAD != 0);
        flags.set(ProcFlags::EXITING, stat.flags & PF_EXITING != 0);
        flags.set(ProcFlags::TRACED, ids.tracer_pid != 0);
        flags.set(ProcFlags::SESSION_LEADER, sid == pid);
        flags.set(ProcFlags::HAS_TTY, tty.is_some());
        flags.set(ProcFlags::FOREGROUND, tpgid == Some(pgid));
        let nice = i32::try_from(stat.nice).map_err(|_| Fail::Malformed("stat"))?;
        let threads = u32::try_from(stat.num_threads).map_err(|_| Fail::Malformed("stat"))?;
        Ok(ProcInfo {
            pid,
            ppid,
            pgid,
            sid: Some(sid),
            tty,
            tpgid,
            ruid: ids.uid.real,
            euid: ids.uid.effective,
            suid: ids.uid.saved,
            rgid: ids.gid.real,
            egid: ids.gid.effective,
            sgid: ids.gid.saved,
            state: State::from_letter(stat.state),
            flags,
            nice: Some(nice),
            threads: Some(threads),
            start: Some(self.start_time(stat.starttime)?),
            comm: Comm::new(stat.comm).ok_or(Fail::Malformed("stat"))?,
        })
    }

    /// One pass over the root: each process read once, tested on its info.
    fn scan_infos(&self, filter: Filter, out: &mut Vec<ProcInfo>) -> Result<(), Error> {
        let lease = self.lease()?;
        let dir = lease.fd();
        self.each_process(dir, |pid, name| {
            // The effective uid is the directory's owner: one fstatat
            // rules out most processes before any file is read.
            if let Filter::Uid(uid) = filter {
                match stat_uid(dir, name) {
                    Ok(Some(owner)) if owner == uid => {}
                    Ok(_) => return Ok(()),
                    Err(e) => return Err(self.err("fstatat", e).with_pid(pid)),
                }
            }
            match self.read_one(pid, filter) {
                Ok(Some(info)) => out.push(info),
                Ok(None) => {}
                Err(fail) if fail.skips() => {}
                Err(fail) => return Err(self.error("info", pid, fail)),
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The info of `pid` if it matches `filter`.
    fn read_one(&self, pid: Pid, filter: Filter) -> Result<Option<ProcInfo>, Fail> {
        self.bound(pid, |dir| self.info_at(dir, pid, filter))
    }

    /// The pidfs inode of `pid` and its `stat` read while that pidfd held
    /// the process, so that both describe one process.
    fn pidfs_identity(&self, pid: Pid) -> Result<ProcId, Fail> {
        for _ in 0..crate::MAX_ATTEMPTS {
            let pidfd = match pidfd_open(pid.as_raw()) {
                Ok(fd) => fd,
                // Not a leader (ENOENT since Linux 6.9, EINVAL before), or
                // gone: the stat read says which.
                Err(e) if e == Errno::EINVAL || e == Errno::ENOENT => {
                    return self.stat_identity(pid)
                }
                Err(e) => return Err(Fail::of("pidfd_open", e)),
            };
            let ino = fstat(pidfd.as_fd())
                .map_err(|e| Fail::Os("fstat", e))?
                .st_ino;
            let id = self.stat_identity(pid)?;
            // Still not reaped: the pid was not reused, so `stat` was this
            // process's.
            match pidfd_probe(pidfd.as_fd()) {
                Ok(()) => return Ok(ProcId::new(pid, id.start(), Some(ino))),
                Err(e) if e == Errno::EPERM => return Ok(ProcId::new(pid, id.start(), Some(ino))),
                Err(_) => continue,
            }
        }
        Err(Fail::Busy)
    }

    /// The identity from `stat` alone: pid and start time (`Thread` for a
    /// thread's number; the leader's start time even while an exec from
    /// another thread replaces it, as `de_thread` copies it).
    fn stat_identity(&self, pid: Pid) -> Result<ProcId, Fail> {
        let mut buf = [0u8; STAT_BUF];
        let ticks = self.bound(pid, |dir| Ok(read_stat(dir, pid, &mut buf)?.starttime))?;
        Ok(ProcId::new(pid, Some(self.start_time(ticks)?), None))
    }

    /// Whether `id` still names its process, by pidfs inode or start time.
    fn check(&self, id: &ProcId) -> Result<bool, Fail> {
        if let (Some(ino), true) = (id.unique(), self.pidfs()) {
            return match pidfd_open(id.pid().as_raw()) {
                Ok(fd) => Ok(fstat(fd.as_fd()).map_err(|e| Fail::Os("fstat", e))?.st_ino == ino),
                // Gone, or now a thread's number (ENOENT since 6.9).
                Err(e) if e == Errno::ESRCH || e == Errno::EINVAL || e == Errno::ENOENT => {
                    Ok(false)
                }
                Err(e) => Err(Fail::Os("pidfd_open", e)),
            };
        }
        match self.stat_identity(id.pid()) {
            Ok(now) => Ok(now.start() == id.start()),
            Err(Fail::Gone | Fail::Thread(_)) => Ok(false),
            Err(fail) => Err(fail),
        }
    }
}

impl ProcFs {
    /// Reads the info of each listed pid that still passes `filter` into
    /// `infos`; a pid gone meanwhile is left out.
    fn read_listed(
        &self,
        pids: &[Pid],
        filter: Filter,
        infos: &mut Vec<ProcInfo>,
    ) -> Result<(), Error> {
        for &pid in pids {
            match self.read_one(pid, filter) {
                Ok(Some(info)) => infos.push(info),
                Ok(None) => {}
                Err(fail) if fail.skips() => {}
                Err(fail) => {
                    infos.clear();
                    return Err(self.error("info", pid, fail));
                }
            }
        }
        Ok(())
    }
}

impl Inspect for ProcFs {
    fn info(&self, pid: Pid) -> Result<ProcInfo, Error> {
        match self.read_one(pid, Filter::All) {
            Ok(Some(info)) => Ok(info),
            Ok(None) => Err(self.error("info", pid, Fail::Gone)),
            Err(fail) => Err(self.error("info", pid, fail)),
        }
    }

    fn infos(&self, query: &PidQuery, out: &mut InfoBuf, fill: FillFn<Self>) -> Result<(), Error> {
        out.infos.clear();
        let filter = query.filter();
        if let Filter::Ppid(ppid) = filter {
            // The children file lists them in O(children), when it can
            // prove its answer complete; each is then read and re-tested.
            let InfoBuf { infos, pids } = out;
            let want = pids.capacity().max(crate::INLINE_PIDS);
            let listed = self.list_children(ppid, pids.spare(want));
            if let Some(Listed::Complete(n)) = listed {
                pids.set_answer_len(n);
                return self.read_listed(pids.as_slice(), filter, infos);
            }
            pids.set_answer_len(0);
        }
        if let Filter::Descendants(_) = filter {
            // A subtree is no per-process predicate: list it, then read
            // each member (one that exits meanwhile is left out).
            let InfoBuf { infos, pids } = out;
            fill(self, query, pids)?;
            return self.read_listed(pids.as_slice(), Filter::All, infos);
        }
        let result = self.scan_infos(filter, &mut out.infos);
        if result.is_err() {
            out.infos.clear();
        }
        result
    }

    fn exe(&self, pid: Pid, out: &mut [u8]) -> Result<PathRead, Error> {
        self.read_exe(pid, out)
            .map_err(|fail| self.error("exe", pid, fail))
    }

    fn info_exe(
        &self,
        pid: Pid,
        out: &mut [u8],
    ) -> Result<(ProcInfo, Result<PathRead, Error>), Error> {
        // One directory descriptor for both reads: bound to the process,
        // so a pid reused in between fails them rather than mixing two.
        // A descriptor that went dead under either is opened again, for
        // both (see "Gone only when proven" above).
        let read = self.bound(pid, |dir| {
            let Some(info) = self.info_at(dir, pid, Filter::All)? else {
                return Err(Fail::Gone);
            };
            match group::exe_in(dir, pid, out) {
                Err(fail @ (Fail::Gone | Fail::Busy)) => Err(fail),
                exe => Ok((info, exe)),
            }
        });
        match read {
            Ok((info, exe)) => Ok((info, exe.map_err(|fail| self.error("exe", pid, fail)))),
            Err(fail) => Err(self.error("info", pid, fail)),
        }
    }

    fn threads(&self, pid: Pid, out: &mut [Thread]) -> Result<Listed, Error> {
        self.read_threads(pid, out)
            .map_err(|fail| self.error("threads", pid, fail))
    }

    fn fds(&self, pid: Pid, out: &mut [Fd]) -> Result<Listed, Error> {
        self.read_fds(pid, out)
            .map_err(|fail| self.error("fds", pid, fail))
    }

    fn identity(&self, pid: Pid) -> Result<ProcId, Error> {
        self.identify(pid)
            .map_err(|fail| self.error("identity", pid, fail))
    }

    fn identity_if_listed(&self, pid: Pid) -> Result<Option<ProcId>, Error> {
        match self.identify(pid) {
            Ok(id) => Ok(Some(id)),
            Err(fail) if fail.skips() => Ok(None),
            Err(fail) => Err(self.error("identity", pid, fail)),
        }
    }

    fn is_current(&self, id: &ProcId) -> Result<bool, Error> {
        self.check(id)
            .map_err(|fail| self.error("is_current", id.pid(), fail))
    }
}
