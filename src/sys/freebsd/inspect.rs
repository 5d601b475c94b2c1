//! The per-process capability ([`Inspect`]) of the FreeBSD backend.
//!
//! | call | node | kernel calls (warm) |
//! | --- | --- | --- |
//! | `info` | `{CTL_KERN, KERN_PROC, KERN_PROC_PID, pid}`: one `kinfo_proc` | 1 |
//! | `identity`, `is_current` | the same record's `ki_start` | 1 |
//! | `exe` | `{…, KERN_PROC_PATHNAME, pid}`: the path and its NUL | 1 once the buffer has `PATH_MAX + 1` bytes |
//! | `threads` | `{…, KERN_PROC_PID \| KERN_PROC_INC_THREAD, pid}`: one record per thread (`ki_tid`) | 1; +1 probe when the scratch falls short |
//! | `fds` | `{…, KERN_PROC_FILEDESC, pid}`: packed `kinfo_file`s | 1; +1 probe when the scratch falls short |
//!
//! # What the kernel does, and how each answer is checked
//!
//! - `KERN_PROC_PID` (`sysctl_kern_proc` → `pget(pid, PGET_CANSEE)`):
//!   zombies included; `ESRCH` when the pid is absent **or** hidden from
//!   the caller (`p_cansee`), so both are
//!   [`NoSuchProcess`](crate::ErrorKind::NoSuchProcess); a pid above
//!   `PID_MAX` is looked up as a thread id and answers its process, so a
//!   record whose `ki_pid` differs is
//!   [`NotAProcess`](crate::ErrorKind::NotAProcess). The answer must be
//!   exactly one record with the layout's `ki_structsize`.
//! - The terminal: `tty` is `ki_tdev` only while the session still holds
//!   it (`KI_CTTY`), as the `tty` filter reads it (backend docs);
//!   [`HAS_TTY`](crate::ProcFlags::HAS_TTY) is `P_CONTROLT` with
//!   `KI_CTTY`, `SESSION_LEADER` is `KI_SLEADER`.
//! - `KERN_PROC_PATHNAME` (`sysctl_kern_proc_pathname`): the path with its
//!   NUL; `""` (or nothing, on older kernels) when the text vnode is gone
//!   — a kernel process, a zombie — which is `ENOENT` as on Linux; a short
//!   buffer is `ENOMEM` with a partial copy, never read.
//! - `KERN_PROC_FILEDESC` (`sysctl_kern_proc_filedesc`): needs
//!   `PGET_CANDEBUG | PGET_NOTWEXIT` (`EPERM`, or `ESRCH` for an exiting
//!   process or a zombie, which has no descriptors: an empty answer). With
//!   a buffer the kernel stops **silently** before the first record that
//!   does not fit and succeeds (`export_kinfo_to_sb`), so an answer is
//!   complete only when at least [`KINFO_FILE_SIZE`] bytes of the buffer
//!   were left unused: no record is longer. Records with a negative
//!   `kf_fd` (working and root directories, the executable, …) are not
//!   descriptors and are left out.
//!
//! # Identity
//!
//! FreeBSD has no never-reused process id (xnu's `p_uniqueid`, Linux's
//! pidfs inode): a [`ProcId`] is the pid and `ki_start`, microseconds of
//! wall-clock time (`p_start` plus `boottime`). A pid reused within the
//! same microsecond would pass, and a step of the clock moves every start
//! time alike (both records are read against the same `boottime`).

use core::ffi::c_int;

use super::consts::{
    CTL_KERN, KERN_PROC, KERN_PROC_FILEDESC, KERN_PROC_INC_THREAD, KERN_PROC_PATHNAME,
    KERN_PROC_PID, KF_TYPE_DEV, KF_TYPE_FIFO, KF_TYPE_KQUEUE, KF_TYPE_PIPE, KF_TYPE_PTS,
    KF_TYPE_SOCKET, KF_TYPE_VNODE, KINFO_FILE_SIZE, KI_CTTY, KI_SLEADER, NODEV, NO_PID, PATH_MAX,
    P_CONTROLT, P_KPROC, P_SYSTEM, P_TRACED, P_WEXIT, SRUN, SSLEEP, SSTOP, SZOMB,
};
use super::{started, Fetched, KernProc};
use crate::parse::{self, KinfoProc};
use crate::sys::growth::grow;
use crate::sys::{Inspect, Listed, PathRead};
use crate::{
    Comm, Dev, Errno, Error, ErrorKind, Fd, FdKind, Pid, ProcFlags, ProcId, ProcInfo, StartTime,
    State, Thread,
};

const PID_NODE: &str = "kern.proc.pid";
const THREADS_NODE: &str = "kern.proc.pid_td";
const PATH_NODE: &str = "kern.proc.pathname";
const FILEDESC_NODE: &str = "kern.proc.filedesc";

/// The public error for a failed call on `pid`: `ESRCH` is "no such
/// process", `EPERM` "permission denied"; others keep their errno.
fn public(e: Error, pid: Pid) -> Error {
    let op = e.operation();
    match (e.kind(), e.errno()) {
        (ErrorKind::Os, Some(Errno::ESRCH)) => Error::no_such_process(op, pid),
        (ErrorKind::Os, Some(Errno::EPERM)) => Error::permission_denied(op, pid, Errno::EPERM),
        (ErrorKind::Os | ErrorKind::Malformed | ErrorKind::WiringLimit { .. }, _) => {
            e.with_pid(pid)
        }
        _ => e,
    }
}

/// `ki_stat` as a [`State`].
pub(crate) const fn state(stat: u8) -> State {
    match stat {
        SRUN => State::Running,
        SSLEEP => State::Sleeping,
        SSTOP => State::Stopped,
        SZOMB => State::Zombie,
        // SIDL (never listed), SWAIT (an idle interrupt thread), SLOCK.
        other => State::Other(other),
    }
}

/// `kf_type` as an [`FdKind`].
pub(crate) const fn fd_kind(kf_type: i32) -> FdKind {
    match kf_type {
        KF_TYPE_VNODE | KF_TYPE_FIFO | KF_TYPE_DEV | KF_TYPE_PTS => FdKind::File,
        KF_TYPE_SOCKET => FdKind::Socket,
        KF_TYPE_PIPE => FdKind::Pipe,
        KF_TYPE_KQUEUE => FdKind::Event,
        _ => FdKind::Other,
    }
}

/// `ki_start` as a [`StartTime`]; `None` for a negative time.
fn start_of(k: &KinfoProc) -> Option<StartTime> {
    let (sec, usec) = started(k);
    StartTime::since_epoch_micros(u64::try_from(sec).ok()?, u64::try_from(usec).ok()?)
}

/// The [`ProcInfo`] of one `kinfo_proc` record.
pub(crate) fn info_of(k: &KinfoProc) -> ProcInfo {
    let pid_of = |raw: i32| Pid::from_raw(raw).unwrap_or(Pid::ZERO);
    let zombie = k.stat == SZOMB;
    let held = k.kiflag & KI_CTTY != 0;
    let tty = (held && k.tdev != NODEV).then(|| Dev::from_raw(k.tdev));
    let tpgid = tty
        .and_then(|_| (k.tpgid != NO_PID).then_some(k.tpgid))
        .and_then(Pid::from_raw);
    let mut f = ProcFlags::empty();
    f.set(ProcFlags::KERNEL, k.flag & (P_SYSTEM | P_KPROC) != 0);
    f.set(ProcFlags::TRACED, k.flag & P_TRACED != 0);
    f.set(ProcFlags::EXITING, k.flag & P_WEXIT != 0 && !zombie);
    f.set(ProcFlags::SESSION_LEADER, k.kiflag & KI_SLEADER != 0);
    f.set(ProcFlags::HAS_TTY, held && k.flag & P_CONTROLT != 0);
    f.set(ProcFlags::FOREGROUND, tty.is_some() && k.tpgid == k.pgid);
    ProcInfo {
        pid: pid_of(k.pid),
        ppid: pid_of(k.ppid),
        pgid: pid_of(k.pgid),
        sid: Pid::from_raw(k.sid),
        tty,
        tpgid,
        ruid: k.ruid,
        euid: k.uid,
        suid: k.svuid,
        rgid: k.rgid,
        egid: k.egid,
        sgid: k.svgid,
        state: state(k.stat),
        flags: f,
        nice: Some(i32::from(k.nice)),
        threads: u32::try_from(k.numthreads).ok(),
        start: start_of(k),
        comm: Comm::new(k.comm()).unwrap_or(Comm::EMPTY),
    }
}

/// `{CTL_KERN, KERN_PROC, op, pid}`.
const fn mib(op: c_int, pid: Pid) -> [c_int; 4] {
    [CTL_KERN, KERN_PROC, op, pid.as_raw()]
}

impl KernProc {
    /// The `KERN_PROC_PID` record of `pid`.
    fn record(&self, pid: Pid) -> Result<KinfoProc, Error> {
        let bad = || Self::malformed(PID_NODE).with_pid(pid);
        let mut scratch = self.lease();
        scratch.grow(1)?;
        let fetched = self.fetch_into(&mib(KERN_PROC_PID, pid), PID_NODE, scratch.bytes_mut(1));
        let len = match fetched.map_err(|e| public(e, pid))? {
            Fetched::Complete(len) if len == self.layout.size => len,
            // One record always fits one record's room.
            _ => return Err(bad()),
        };
        let k = parse::kinfo_proc(scratch.split(len).0, &self.layout).map_err(|_| bad())?;
        if k.pid != pid.as_raw() {
            // A thread id answers its process.
            return Err(Error::not_a_process(PID_NODE, pid, Pid::from_raw(k.pid)));
        }
        Ok(k)
    }

    /// Whether `pid` is a zombie or exiting (after an `ESRCH` of a node
    /// that refuses those).
    fn dying(&self, pid: Pid) -> bool {
        self.record(pid)
            .is_ok_and(|k| k.stat == SZOMB || k.flag & P_WEXIT != 0)
    }

    /// Grows the scratch from a probe of `mib` (bytes), with headroom.
    fn grow_from_probe(
        &self,
        scratch: &mut super::scratch::Scratch<'_>,
        mib: &[c_int],
        name: &'static str,
        pid: Pid,
    ) -> Result<usize, Error> {
        let bytes = self.probe_bytes(mib, name).map_err(|e| public(e, pid))?;
        let records = bytes.div_ceil(self.layout.size.max(1));
        scratch.grow(grow(scratch.records(), records).min(super::MAX_RECORDS))?;
        Ok(records)
    }
}

impl Inspect for KernProc {
    fn info(&self, pid: Pid) -> Result<ProcInfo, Error> {
        self.record(pid).map(|k| info_of(&k))
    }

    fn exe(&self, pid: Pid, out: &mut [u8]) -> Result<PathRead, Error> {
        // `PATH_MAX` bytes and the NUL always suffice.
        let room = PATH_MAX + 1;
        if out.len() < room {
            return Ok(PathRead::Full { needed: Some(room) });
        }
        let fetched = self.fetch_into(&mib(KERN_PROC_PATHNAME, pid), PATH_NODE, out);
        match fetched.map_err(|e| public(e, pid))? {
            // "" (or nothing): no executable vnode, as Linux's ENOENT.
            Fetched::Complete(0 | 1) => Err(Error::os(PATH_NODE, Errno::ENOENT).with_pid(pid)),
            Fetched::Complete(len) => match out.get(len - 1) {
                Some(0) => Ok(PathRead::Complete {
                    len: len - 1,
                    deleted: false,
                }),
                _ => Err(Self::malformed(PATH_NODE).with_pid(pid)),
            },
            Fetched::Short => Ok(PathRead::Full {
                needed: Some(out.len().saturating_mul(2)),
            }),
        }
    }

    fn threads(&self, pid: Pid, out: &mut [Thread]) -> Result<Listed, Error> {
        let mib = mib(KERN_PROC_PID | KERN_PROC_INC_THREAD, pid);
        let bad = || Self::malformed(THREADS_NODE).with_pid(pid);
        let mut scratch = self.lease();
        if scratch.records() == 0 {
            self.grow_from_probe(&mut scratch, &mib, THREADS_NODE, pid)?;
        }
        let pass = scratch.records();
        let fetched = self.fetch_into(&mib, THREADS_NODE, scratch.bytes_mut(pass));
        let len = match fetched.map_err(|e| public(e, pid))? {
            Fetched::Complete(len) => len,
            Fetched::Short => {
                let records = self.grow_from_probe(&mut scratch, &mib, THREADS_NODE, pid)?;
                return Ok(Listed::Full {
                    needed: Some(records),
                });
            }
        };
        let records = scratch.split(len).0;
        let mut n = 0usize;
        for record in parse::kinfo_procs(records, &self.layout).map_err(|_| bad())? {
            let k = record.map_err(|_| bad())?;
            if k.pid != pid.as_raw() {
                return Err(Error::not_a_process(
                    THREADS_NODE,
                    pid,
                    Pid::from_raw(k.pid),
                ));
            }
            let tid = Pid::from_raw(k.tid).ok_or_else(bad)?;
            if let Some(slot) = out.get_mut(n) {
                *slot = Thread::Tid(tid);
            }
            n += 1;
        }
        if n > out.len() {
            return Ok(Listed::Full { needed: Some(n) });
        }
        Ok(Listed::Complete(n))
    }

    fn fds(&self, pid: Pid, out: &mut [Fd]) -> Result<Listed, Error> {
        let mib = mib(KERN_PROC_FILEDESC, pid);
        let bad = || Self::malformed(FILEDESC_NODE).with_pid(pid);
        let mut scratch = self.lease();
        if scratch.records() == 0 {
            self.grow_from_probe(&mut scratch, &mib, FILEDESC_NODE, pid)?;
        }
        let pass = scratch.records();
        let buf = scratch.bytes_mut(pass);
        let passed = buf.len();
        let fetched = self.fetch_into(&mib, FILEDESC_NODE, buf);
        let len = match fetched {
            // Silently cut before a record that did not fit: complete only
            // with room for the longest record left over.
            Ok(Fetched::Complete(len)) if passed - len >= KINFO_FILE_SIZE => len,
            Ok(_) => {
                let records = self.grow_from_probe(&mut scratch, &mib, FILEDESC_NODE, pid)?;
                // The room wanted has one longest record beyond the probe.
                scratch.grow(records.saturating_add(2))?;
                return Ok(Listed::Full {
                    needed: Some(out.len()),
                });
            }
            // Exiting or a zombie: no descriptors (asked with the scratch
            // back in place, so that the record costs no allocation).
            Err(e) if e.errno() == Some(Errno::ESRCH) => {
                drop(scratch);
                return match self.dying(pid) {
                    true => Ok(Listed::Complete(0)),
                    false => Err(public(e, pid)),
                };
            }
            Err(e) => return Err(public(e, pid)),
        };
        let mut n = 0usize;
        for file in parse::kinfo_files(scratch.split(len).0) {
            let f = file.map_err(|_| bad())?;
            if f.fd < 0 {
                continue;
            }
            if let Some(slot) = out.get_mut(n) {
                *slot = Fd::new(f.fd, fd_kind(f.kind));
            }
            n += 1;
        }
        if n > out.len() {
            return Ok(Listed::Full { needed: Some(n) });
        }
        Ok(Listed::Complete(n))
    }

    /// The pid and `ki_start`: FreeBSD has no never-reused process id.
    fn identity(&self, pid: Pid) -> Result<ProcId, Error> {
        let k = self.record(pid)?;
        Ok(ProcId::new(pid, start_of(&k), None))
    }

    /// One `KERN_PROC_PID`: the same pid with the same start time.
    fn is_current(&self, id: &ProcId) -> Result<bool, Error> {
        match self.record(id.pid()) {
            Ok(k) => Ok(start_of(&k) == id.start()),
            Err(e) if e.kind() == ErrorKind::NoSuchProcess => Ok(false),
            Err(e) => Err(e),
        }
    }
}
