//! The per-process capability ([`Inspect`]) of the xnu backend: the raw
//! records of `info.rs` mapped to the crate's public types.
//!
//! Safe code only: the raw calls are `info.rs`'s. Every mapping here is a
//! pure function of the records, tested on its own and through the model.
//!
//! # What each call costs
//!
//! | call | kernel calls (usual case) |
//! | --- | --- |
//! | `info` | 1 (`PROC_PIDTASKALLINFO`); 2 for another user's process (+ `PROC_PIDT_SHORTBSDINFO`) or a zombie (+ `PROC_PIDTBSDINFO`) |
//! | `identity` | 1 (`PROC_PIDT_BSDINFOWITHUNIQID`); 2 for another user's process (+ `PROC_PIDUNIQIDENTIFIERINFO`) |
//! | `is_current` | 1 (`PROC_PIDUNIQIDENTIFIERINFO`) |
//! | `threads`, `fds` | 1 while the buffer holds the answer; +1 size probe and +1 retry per growth |
//! | `exe` | 1 (`proc_pidpath`) once the buffer has 1024 bytes; +1 for a path over 1023 bytes in a 1024-byte buffer |
//!
//! # Errors
//!
//! `ESRCH` is [`ErrorKind::NoSuchProcess`]; an `EPERM` that no fallback
//! gets around (a MAC policy, or another user's fds and threads) is
//! [`ErrorKind::PermissionDenied`]; anything else keeps its errno as
//! [`ErrorKind::Os`].
//!
//! # Exited processes
//!
//! A process that has exited and is not yet reaped is a zombie (`SZOMB`),
//! or, for a moment before, in its exit window: `proc_exit` has moved it to
//! `zombproc` with `P_REF_DEAD`, out of `proc_find`'s reach, while `p_stat`
//! is still `SRUN` (xnu `bsd/kern/kern_exit.c`; the record's
//! `PROC_FLAG_INEXIT` shows it). Both are treated alike: `info` succeeds
//! (with [`ProcFlags::EXITING`] in the window, [`State::Zombie`] after),
//! `fds` and `threads` are empty and complete, `exe` is
//! [`ErrorKind::NoSuchProcess`], and `identity` and `is_current` still name
//! the process.

use std::cell::RefCell;

use super::consts as xnu;
use super::info::{fd_entry, Bsd, RawInfo, ThreadList};
use super::records::{cstr, BsdInfo, BsdShortInfo, TaskInfo};
use super::Xnu;
use crate::sys::{Inspect, Listed, PathRead};
use crate::{
    Comm, Dev, Errno, Error, ErrorKind, Fd, FdKind, Pid, ProcFlags, ProcId, ProcInfo, StartTime,
    State, Thread,
};

/// List entries a call converts through a stack buffer; longer lists go
/// through a per-thread heap buffer kept for the next call.
const STACK_ENTRIES: usize = 512;

thread_local! {
    /// The kernel's raw entries for lists longer than [`STACK_ENTRIES`].
    static SCRATCH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on `len` zeroed raw entries: on the stack up to
/// [`STACK_ENTRIES`], else in this thread's scratch buffer (grown once and
/// kept, so a warm call allocates nothing).
fn with_raw<R>(len: usize, f: impl FnOnce(&mut [u64]) -> R) -> R {
    if len <= STACK_ENTRIES {
        let mut stack = [0u64; STACK_ENTRIES];
        return f(stack.get_mut(..len).unwrap_or_default());
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => {
            scratch.clear();
            // A power of two, as the callers' buffers grow (`SmallVec`):
            // the next, rounded-up request then fits too.
            scratch.reserve(len.checked_next_power_of_two().unwrap_or(len));
            scratch.resize(len, 0);
            f(&mut scratch)
        }
        // Re-entered (the calls do not nest, so this cannot happen).
        Err(_) => f(&mut vec![0; len]),
    })
}

/// The public error for a failed call: `ESRCH` is "no such process",
/// `EPERM` "permission denied"; others unchanged.
fn public(e: Error) -> Error {
    let (op, pid) = (e.operation(), e.pid().unwrap_or(Pid::ZERO));
    match (e.kind(), e.errno()) {
        (ErrorKind::Os, Some(Errno::ESRCH)) => Error::no_such_process(op, pid),
        (ErrorKind::Os, Some(Errno::EPERM)) => Error::permission_denied(op, pid, Errno::EPERM),
        _ => e,
    }
}

fn errno_is(e: &Error, errno: Errno) -> bool {
    e.kind() == ErrorKind::Os && e.errno() == Some(errno)
}

/// `p_stat` as a [`State`]. xnu leaves nearly every live process in
/// `SRUN`, sleeping or not, so when the task record is at hand a process
/// with no running thread (`pti_numrunning == 0`) is
/// [`Sleeping`](State::Sleeping), as `ps` reports it.
pub(crate) const fn state(p_stat: u32, task: Option<&TaskInfo>) -> State {
    match p_stat {
        xnu::SRUN => match task {
            Some(t) if t.pti_numrunning == 0 => State::Sleeping,
            _ => State::Running,
        },
        xnu::SSLEEP => State::Sleeping,
        xnu::SSTOP => State::Stopped,
        xnu::SZOMB => State::Zombie,
        other if other <= u8::MAX as u32 => State::Other(other as u8),
        _ => State::Other(u8::MAX),
    }
}

/// The `PROC_FLAG_*` bits as [`ProcFlags`]. `EXITING` is "in exit, not yet
/// a zombie": a zombie keeps `PROC_FLAG_INEXIT` but is not exiting.
pub(crate) fn flags(bits: u32, zombie: bool) -> ProcFlags {
    let mut f = ProcFlags::empty();
    let has = |flag: u32| bits & flag != 0;
    f.set(ProcFlags::KERNEL, has(xnu::PROC_FLAG_SYSTEM));
    f.set(ProcFlags::TRACED, has(xnu::PROC_FLAG_TRACED));
    f.set(ProcFlags::EXITING, has(xnu::PROC_FLAG_INEXIT) && !zombie);
    f.set(ProcFlags::SESSION_LEADER, has(xnu::PROC_FLAG_SLEADER));
    f.set(ProcFlags::HAS_TTY, has(xnu::PROC_FLAG_CONTROLT));
    f
}

/// The short record of a process that has exited: `SZOMB`, or in its exit
/// window, where `p_stat` is still `SRUN` but `P_LEXIT` shows as
/// `PROC_FLAG_INEXIT` (set in `exit_with_reason` before `proc_exit` hides
/// the process from `proc_find`).
fn exited(s: &BsdShortInfo) -> bool {
    s.pbsi_status == xnu::SZOMB || s.pbsi_flags & xnu::PROC_FLAG_INEXIT != 0
}

/// A raw 32-bit pid of a record.
fn pid_of(raw: u32) -> Pid {
    Pid::from_raw(raw as i32).unwrap_or(Pid::ZERO)
}

fn comm_of(field: &[u8]) -> Comm {
    Comm::new(cstr(field)).unwrap_or(Comm::EMPTY)
}

/// `pbi_start_tvsec`/`tvusec` as a [`StartTime`] (microseconds since the
/// epoch); `None` for a microsecond count out of range.
pub(crate) fn start_of(b: &BsdInfo) -> Option<StartTime> {
    StartTime::since_epoch_micros(b.pbi_start_tvsec, b.pbi_start_tvusec)
}

/// The [`ProcInfo`] of a full BSD record (and the task record, for a live
/// process of the caller's).
///
/// `sid`: xnu's records carry no session id, only whether the process
/// leads its session, so it is `Some(pid)` for a session leader and `None`
/// otherwise.
pub(crate) fn from_full(b: &BsdInfo, task: Option<&TaskInfo>) -> ProcInfo {
    let pid = pid_of(b.pbi_pid);
    let zombie = b.pbi_status == xnu::SZOMB;
    let mut f = flags(b.pbi_flags, zombie);
    let tty = (b.e_tdev != xnu::NODEV).then(|| Dev::from_raw(u64::from(b.e_tdev)));
    // A session leader's exit revokes the terminal (`s_ttydev = NODEV`)
    // but leaves the members' `P_CONTROLT`: no terminal is left.
    f.set(
        ProcFlags::HAS_TTY,
        f.contains(ProcFlags::HAS_TTY) && tty.is_some(),
    );
    let tpgid = tty.map(|_| pid_of(b.e_tpgid));
    f.set(
        ProcFlags::FOREGROUND,
        tty.is_some() && b.e_tpgid == b.pbi_pgid,
    );
    ProcInfo {
        pid,
        ppid: pid_of(b.pbi_ppid),
        pgid: pid_of(b.pbi_pgid),
        sid: f.contains(ProcFlags::SESSION_LEADER).then_some(pid),
        tty,
        tpgid,
        ruid: b.pbi_ruid,
        euid: b.pbi_uid,
        suid: b.pbi_svuid,
        rgid: b.pbi_rgid,
        egid: b.pbi_gid,
        sgid: b.pbi_svgid,
        state: state(b.pbi_status, task),
        flags: f,
        nice: Some(b.pbi_nice),
        threads: task.map(|t| u32::try_from(t.pti_threadnum).unwrap_or(0)),
        start: start_of(b),
        comm: comm_of(&b.pbi_comm),
    }
}

/// The [`ProcInfo`] of the short record another user's process gives: no
/// session, terminal device, foreground group, nice, thread count nor start
/// time (`HAS_TTY` still says whether it has a terminal: `P_CONTROLT`,
/// which outlives a terminal revoked by the session leader's exit).
pub(crate) fn from_short(s: &BsdShortInfo) -> ProcInfo {
    let zombie = s.pbsi_status == xnu::SZOMB;
    ProcInfo {
        pid: pid_of(s.pbsi_pid),
        ppid: pid_of(s.pbsi_ppid),
        pgid: pid_of(s.pbsi_pgid),
        sid: None,
        tty: None,
        tpgid: None,
        ruid: s.pbsi_ruid,
        euid: s.pbsi_uid,
        suid: s.pbsi_svuid,
        rgid: s.pbsi_rgid,
        egid: s.pbsi_gid,
        sgid: s.pbsi_svgid,
        state: state(s.pbsi_status, None),
        flags: flags(s.pbsi_flags, zombie),
        nice: None,
        threads: None,
        start: None,
        comm: comm_of(&s.pbsi_comm),
    }
}

/// The [`ProcInfo`] of what [`info`](super::info::Procinfo::info) learned.
pub(crate) fn from_raw(raw: &RawInfo) -> ProcInfo {
    match &raw.bsd {
        Bsd::Full(b) => from_full(b, raw.task.as_ref()),
        Bsd::Short(s) => from_short(s),
    }
}

/// `proc_fdtype` as an [`FdKind`].
pub(crate) const fn fd_kind(fdtype: u32) -> FdKind {
    match fdtype {
        xnu::PROX_FDTYPE_VNODE => FdKind::File,
        xnu::PROX_FDTYPE_SOCKET => FdKind::Socket,
        xnu::PROX_FDTYPE_PIPE => FdKind::Pipe,
        xnu::PROX_FDTYPE_KQUEUE => FdKind::Event,
        _ => FdKind::Other,
    }
}

impl Xnu {
    /// A list call that failed with `ESRCH`: a process that has exited
    /// (a zombie, or one in its exit window, which has given up its
    /// descriptors and threads: an empty, complete answer) or a vanished
    /// pid.
    fn unless_exited(&self, pid: Pid, e: Error) -> Result<Listed, Error> {
        if errno_is(&e, Errno::ESRCH) && self.has_exited(pid) {
            return Ok(Listed::Complete(0));
        }
        Err(public(e))
    }

    /// True if `pid` names a process that `proc_find` no longer finds
    /// because it has exited, though it is not reaped: a zombie, or a
    /// process in its exit window (`PROC_FLAG_INEXIT`, moved to `zombproc`
    /// with `P_REF_DEAD` but not yet `SZOMB`, xnu `bsd/kern/kern_exit.c`
    /// `proc_exit`). The short record finds both, for any user.
    fn has_exited(&self, pid: Pid) -> bool {
        self.procs().short(pid).is_ok_and(|s| exited(&s))
    }

    /// A full list answer, with the size to grow to when the kernel can
    /// say (`None` if the probe fails: the caller doubles).
    fn full(estimate: Result<usize, Error>) -> Listed {
        Listed::Full {
            needed: estimate.ok(),
        }
    }
}

impl Inspect for Xnu {
    fn info(&self, pid: Pid) -> Result<ProcInfo, Error> {
        self.procs()
            .info(pid)
            .map(|raw| from_raw(&raw))
            .map_err(public)
    }

    fn exe(&self, pid: Pid, out: &mut [u8]) -> Result<PathRead, Error> {
        // Under 1024 bytes the kernel refuses; 4096 holds any path it gives.
        if out.len() < xnu::PROC_PIDPATHINFO_SIZE {
            return Ok(PathRead::Full {
                needed: Some(xnu::PROC_PIDPATHINFO_MAXSIZE),
            });
        }
        match self.procs().path(pid, out) {
            Ok(len) => Ok(PathRead::Complete {
                len,
                deleted: false,
            }),
            Err(e) if matches!(e.kind(), ErrorKind::Truncated { .. }) => Ok(PathRead::Full {
                needed: Some(xnu::PROC_PIDPATHINFO_MAXSIZE),
            }),
            // ESRCH: gone, exited (PATHINFO finds neither a zombie nor a
            // process in its exit window), or a live process without an
            // executable (kernel_task, a recycled vnode), which is ENOENT
            // as on Linux.
            Err(e) if errno_is(&e, Errno::ESRCH) => match self.procs().short(pid) {
                Ok(s) if !exited(&s) => Err(Error::os(e.operation(), Errno::ENOENT).with_pid(pid)),
                _ => Err(public(e)),
            },
            Err(e) => Err(public(e)),
        }
    }

    fn threads(&self, pid: Pid, out: &mut [Thread]) -> Result<Listed, Error> {
        let procs = self.procs();
        let listed = with_raw(out.len(), |raw| {
            let listed = procs.list_threads(pid, ThreadList::Handles, raw)?;
            for (to, &handle) in out.iter_mut().zip(raw.iter()) {
                *to = Thread::Handle(handle);
            }
            Ok(listed)
        });
        match listed {
            Ok(Listed::Full { .. }) => Ok(Xnu::full(procs.threads_estimate(pid))),
            Ok(complete) => Ok(complete),
            Err(e) => self.unless_exited(pid, e),
        }
    }

    fn fds(&self, pid: Pid, out: &mut [Fd]) -> Result<Listed, Error> {
        let procs = self.procs();
        let listed = with_raw(out.len(), |raw| {
            let listed = procs.list_fds(pid, raw)?;
            for (to, &entry) in out.iter_mut().zip(raw.iter()) {
                let fd = fd_entry(entry);
                *to = Fd::new(fd.proc_fd, fd_kind(fd.proc_fdtype));
            }
            Ok(listed)
        });
        match listed {
            Ok(Listed::Full { .. }) => Ok(Xnu::full(procs.fds_estimate(pid))),
            Ok(complete) => Ok(complete),
            Err(e) => self.unless_exited(pid, e),
        }
    }

    /// `p_uniqueid` with the start time, in one call where the caller may
    /// read the BSD record; another user's process gives `p_uniqueid`
    /// alone (no start time).
    fn identity(&self, pid: Pid) -> Result<ProcId, Error> {
        let procs = self.procs();
        match procs.bsd_uniq(pid) {
            Ok(both) => Ok(ProcId::new(
                pid,
                start_of(&both.pbsd),
                Some(both.p_uniqidentifier.p_uniqueid),
            )),
            Err(e) if errno_is(&e, Errno::EPERM) => {
                let u = procs.uniq(pid).map_err(public)?;
                Ok(ProcId::new(pid, None, Some(u.p_uniqueid)))
            }
            Err(e) => Err(public(e)),
        }
    }

    /// One `PROC_PIDUNIQIDENTIFIERINFO` (any user, zombies included):
    /// `p_uniqueid` is never reused, so equal ids are the same process.
    fn is_current(&self, id: &ProcId) -> Result<bool, Error> {
        match id.unique() {
            Some(unique) => self.procs().still(id.pid(), unique).map_err(public),
            // Not built by this backend: only the start time to go on.
            None => match self.procs().info(id.pid()) {
                Ok(raw) => Ok(from_raw(&raw).start == id.start()),
                Err(e) if errno_is(&e, Errno::ESRCH) => Ok(false),
                Err(e) => Err(public(e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> BsdInfo {
        let mut b = BsdInfo::ZEROED;
        b.pbi_pid = 300;
        b.pbi_ppid = 1;
        b.pbi_pgid = 300;
        b.pbi_uid = 501;
        b.pbi_ruid = 0;
        b.pbi_svuid = 501;
        b.pbi_gid = 20;
        b.pbi_rgid = 0;
        b.pbi_svgid = 20;
        b.pbi_status = xnu::SRUN;
        b.pbi_flags = xnu::PROC_FLAG_SLEADER | xnu::PROC_FLAG_CONTROLT | xnu::PROC_FLAG_LP64;
        b.e_tdev = 0x1000_0003;
        b.e_tpgid = 300;
        b.pbi_nice = -4;
        b.pbi_comm = *b"zsh\0\0\0\0\0\0\0\0\0\0\0\0\0";
        b.pbi_start_tvsec = 1_700_000_123;
        b.pbi_start_tvusec = 456_789;
        b
    }

    #[test]
    fn a_full_record_maps_every_field() {
        let mut task = TaskInfo::ZEROED;
        task.pti_threadnum = 3;
        task.pti_numrunning = 1;
        let info = from_full(&full(), Some(&task));
        let p = |n| Pid::from_raw(n).unwrap();
        assert_eq!((info.pid, info.ppid, info.pgid), (p(300), p(1), p(300)));
        assert_eq!(info.sid, Some(p(300)));
        assert_eq!(info.tty, Some(Dev::from_raw(0x1000_0003)));
        assert_eq!(info.tpgid, Some(p(300)));
        assert_eq!(
            (info.ruid, info.euid, info.suid, info.rgid, info.egid, info.sgid),
            (0, 501, 501, 0, 20, 20)
        );
        assert_eq!(info.state, State::Running);
        assert_eq!(
            info.flags,
            ProcFlags::SESSION_LEADER | ProcFlags::HAS_TTY | ProcFlags::FOREGROUND
        );
        assert_eq!((info.nice, info.threads), (Some(-4), Some(3)));
        let start = info.start.unwrap();
        assert_eq!(
            (start.raw(), start.units_per_second()),
            (1_700_000_123_456_789, 1_000_000)
        );
        assert_eq!(info.comm, "zsh");
    }

    #[test]
    fn without_a_terminal_there_is_no_tty_tpgid_nor_foreground() {
        let mut b = full();
        b.e_tdev = xnu::NODEV;
        b.pbi_flags = 0;
        let info = from_full(&b, None);
        assert_eq!(
            (info.tty, info.tpgid, info.sid, info.threads),
            (None, None, None, None)
        );
        assert!(!info.flags.contains(ProcFlags::FOREGROUND));
        // Background member of a terminal's session.
        let mut b = full();
        b.e_tpgid = 999;
        assert!(!from_full(&b, None).flags.contains(ProcFlags::FOREGROUND));
    }

    #[test]
    fn states_follow_p_stat_and_running_threads() {
        let mut idle = TaskInfo::ZEROED;
        idle.pti_numrunning = 0;
        assert_eq!(state(xnu::SRUN, Some(&idle)), State::Sleeping);
        assert_eq!(state(xnu::SRUN, None), State::Running);
        assert_eq!(state(xnu::SSLEEP, None), State::Sleeping);
        assert_eq!(state(xnu::SSTOP, Some(&idle)), State::Stopped);
        assert_eq!(state(xnu::SZOMB, None), State::Zombie);
        assert_eq!(state(xnu::SIDL, None), State::Other(1));
        assert_eq!(state(1000, None), State::Other(u8::MAX));
    }

    #[test]
    fn a_zombie_is_not_exiting_a_process_in_exit_is() {
        let bits = xnu::PROC_FLAG_INEXIT | xnu::PROC_FLAG_SYSTEM | xnu::PROC_FLAG_TRACED;
        assert_eq!(flags(bits, true), ProcFlags::KERNEL | ProcFlags::TRACED);
        assert!(flags(bits, false).contains(ProcFlags::EXITING));
    }

    #[test]
    fn the_short_record_leaves_what_it_lacks_as_none() {
        let mut s = BsdShortInfo::ZEROED;
        s.pbsi_pid = 77;
        s.pbsi_status = xnu::SRUN;
        s.pbsi_flags = xnu::PROC_FLAG_CONTROLT;
        s.pbsi_uid = 0;
        s.pbsi_ruid = 501;
        s.pbsi_comm = *b"sshd\0\0\0\0\0\0\0\0\0\0\0\0";
        let info = from_short(&s);
        assert_eq!((info.sid, info.tty, info.tpgid), (None, None, None));
        assert_eq!((info.nice, info.threads, info.start), (None, None, None));
        assert_eq!((info.euid, info.ruid), (0, 501));
        assert_eq!(info.flags, ProcFlags::HAS_TTY);
        assert_eq!(info.comm, "sshd");
    }

    #[test]
    fn fd_types_map_to_kinds() {
        assert_eq!(fd_kind(xnu::PROX_FDTYPE_VNODE), FdKind::File);
        assert_eq!(fd_kind(xnu::PROX_FDTYPE_SOCKET), FdKind::Socket);
        assert_eq!(fd_kind(xnu::PROX_FDTYPE_PIPE), FdKind::Pipe);
        assert_eq!(fd_kind(xnu::PROX_FDTYPE_KQUEUE), FdKind::Event);
        for other in [
            xnu::PROX_FDTYPE_ATALK,
            xnu::PROX_FDTYPE_PSHM,
            xnu::PROX_FDTYPE_PSEM,
            xnu::PROX_FDTYPE_FSEVENTS,
            xnu::PROX_FDTYPE_NETPOLICY,
            xnu::PROX_FDTYPE_CHANNEL,
            xnu::PROX_FDTYPE_NEXUS,
            99,
        ] {
            assert_eq!(fd_kind(other), FdKind::Other);
        }
    }

    #[test]
    fn long_lists_go_through_the_kept_scratch_buffer() {
        let n = with_raw(STACK_ENTRIES + 1, |raw| {
            raw.fill(7);
            raw.len()
        });
        assert_eq!(n, STACK_ENTRIES + 1);
        let cap = SCRATCH.with(|s| s.borrow().capacity());
        assert!(cap > STACK_ENTRIES);
        // Zeroed again for the next call.
        assert!(with_raw(STACK_ENTRIES + 1, |raw| raw
            .iter()
            .all(|&e| e == 0)));
        assert!(with_raw(3, |raw| raw.len() == 3 && raw.iter().all(|&e| e == 0)));
    }
}
