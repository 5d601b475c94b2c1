//! The xnu call patterns for per-process information, over any functions
//! with the signatures of `libc::proc_pidinfo`, `libc::proc_pidpath` and
//! `libc::proc_name`.
//!
//! As for listing, macOS plugs in libproc's functions (`sys/macos.rs`) and
//! every other host the model's stand-ins (`sys/model/abi.rs`): the code
//! below is the code macOS runs.
//!
//! # The libproc conventions
//!
//! - `int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int
//!   buffersize)` returns the bytes copied, or **0 with `errno` set** (the
//!   wrapper turns the syscall's -1 into 0). A real 0-byte answer
//!   (`PROC_PIDLISTFDS` of a process without descriptors) is also 0, so
//!   `errno` is cleared first. A buffer under the flavor's record is
//!   `ENOMEM`, before the pid is even looked up.
//! - `int proc_pidpath(int pid, void *buffer, uint32_t buffersize)` refuses
//!   a buffer under 1024 bytes (`ENOMEM`) or over 4096 (`EOVERFLOW`), and
//!   returns `strlen(buffer)` on success (the raw `PROC_PIDPATHINFO` call
//!   returns 0), 0 with `errno` otherwise.
//! - `int proc_name(int pid, void *buffer, uint32_t buffersize)` refuses a
//!   buffer under 32 bytes (`ENOMEM`), asks `PROC_PIDTBSDINFO` with `arg` 0
//!   (so it fails with `EPERM` for other users' processes and `ESRCH` for
//!   zombies), copies `pbi_name` (32 bytes) if set, else `pbi_comm` (16), and
//!   returns `strlen`.
//!
//! None of the three returns -1. In libproc only the raw passthroughs do
//! (`proc_pid_rusage`, `proc_udata_info`, `proc_list_uptrs`,
//! `proc_list_dynkqueueids`, `proc_can_use_foreground_hw` return
//! `__proc_info`'s -1 with `errno`), none of which is used here; the
//! `== -1` checks of `proc_listallpids` & co. are dead code, as their
//! `proc_listpids` returns 0. A negative return is still read as an error,
//! never as a size.
//!
//! # Which flavor answers what
//!
//! | call | flavor | other users | zombies |
//! | --- | --- | --- | --- |
//! | [`info`](Procinfo::info) | `PROC_PIDTASKALLINFO`, then `PROC_PIDTBSDINFO`/`PROC_PIDT_SHORTBSDINFO` with `arg` 1 | short record only | BSD record, no task |
//! | [`bsd_uniq`](Procinfo::bsd_uniq) | `PROC_PIDT_BSDINFOWITHUNIQID`, `arg` 1 | `EPERM` | yes |
//! | [`uniq`](Procinfo::uniq) | `PROC_PIDUNIQIDENTIFIERINFO`, `arg` 1 | yes | yes |
//! | [`list_fds`](Procinfo::list_fds) | `PROC_PIDLISTFDS` | `EPERM` | `ESRCH` |
//! | [`list_threads`](Procinfo::list_threads) | `PROC_PIDLISTTHREADS` / `PROC_PIDLISTTHREADIDS` | `EPERM` | `ESRCH` |
//! | [`task`](Procinfo::task) | `PROC_PIDTASKINFO` | `EPERM` | `ESRCH` |
//! | [`path`](Procinfo::path) | `proc_pidpath` | yes | `ESRCH` |
//! | [`name`](Procinfo::name) | `proc_name` | `EPERM` | `ESRCH` |
//!
//! The same-user check compares *effective* uids; root passes it. A MAC
//! policy (sandbox) may refuse any flavor, exempt ones included.
//!
//! # Truncation
//!
//! `PROC_PIDLISTFDS` and `PROC_PIDLISTTHREADS` truncate silently at the
//! buffer's end: an answer that fills the buffer may be cut, so a full one
//! is [`Listed::Full`] and the caller grows its buffer and asks again, as
//! for pid lists (`info/slots.rs`: at least doubling, at most
//! [`MAX_ATTEMPTS`](crate::MAX_ATTEMPTS) calls, then `Raced`). Only
//! `PROC_PIDLISTFDS` has a size probe (a NULL buffer: `(fd_nfiles + 20) ×
//! 8` bytes, `fd_nfiles` counting table slots,
//! [`fds_estimate`](Procinfo::fds_estimate)); threads are sized from
//! `PROC_PIDTASKINFO`'s `pti_threadnum` plus the kernel's slack of 10
//! ([`threads_estimate`](Procinfo::threads_estimate)). The kernel reads
//! its bound (`fd_nfiles`, threads + 10) before it takes the lock for the
//! walk, so descriptors past the old table end, or more than 10 threads,
//! created in between, can be left out with nothing to tell: xnu's one
//! undetectable short answer, as for pid lists.
//!
//! # Safety
//!
//! Every call passes a NULL buffer with size 0, or a pointer to a live,
//! writable byte array or `[FdInfo]`/`[u64]` slice with its exact size in
//! bytes, never negative and never above `c_int::MAX`. Writing any bytes
//! into those is sound: every field of the records is a plain integer. What
//! is assumed of the functions (the contract of [`Procinfo::new`]): they
//! write nothing through a NULL buffer and at most `buffersize` bytes
//! otherwise. Their return values are not trusted: counts beyond the
//! buffer, short records and unterminated strings are `Malformed`.
//!
//! # References
//! - xnu `bsd/kern/proc_info.c` (`proc_pidinfo`, `proc_pidfdlist`,
//!   `proc_pidlistthreads`, `proc_pidpathinfo_internal`,
//!   `proc_security_policy`)
//! - xnu `libsyscall/wrappers/libproc/libproc.c` (`proc_pidinfo`,
//!   `proc_pidpath`, `proc_name`)
//! - xnu `osfmk/kern/bsd_kern.c` (`fill_taskthreadlist`)

#![allow(unsafe_code)]

use core::ffi::{c_int, c_void};
use core::ptr;

use super::consts as xnu;
use super::records::{
    cstr, BsdInfo, BsdInfoWithUniqId, BsdShortInfo, FdInfo, Record, TaskAllInfo, TaskInfo,
    UniqIdentifierInfo,
};
use crate::sys::errno;
use crate::sys::Listed;
use crate::{Errno, Error, ErrorKind, Pid};

/// The signature of `libc::proc_pidinfo`.
pub(crate) type PidInfoFn = unsafe extern "C" fn(c_int, c_int, u64, *mut c_void, c_int) -> c_int;

/// The signature of `libc::proc_pidpath` (and of `libc::proc_name`).
pub(crate) type PidPathFn = unsafe extern "C" fn(c_int, *mut c_void, u32) -> c_int;

/// The signature of `libc::proc_name`.
pub(crate) type ProcNameFn = unsafe extern "C" fn(c_int, *mut c_void, u32) -> c_int;

/// The largest record a fixed-size flavor copies (`proc_taskallinfo`).
const MAX_RECORD: usize = 256;
const _: () = assert!(TaskAllInfo::SIZE <= MAX_RECORD);

/// One libproc return with the 0-with-errno convention decoded: a positive
/// return, or 0 with `errno` still 0, is a byte count; anything else is the
/// errno (`Errno(0)` for a negative return without one).
#[inline]
pub(crate) fn outcome(ret: c_int, err: c_int) -> Result<usize, Errno> {
    match usize::try_from(ret) {
        Ok(bytes) if bytes > 0 || err == 0 => Ok(bytes),
        _ => Err(Errno::from_raw(err)),
    }
}

/// An error of `op` for `pid`: `Malformed` for an errno-less failure,
/// `Os` otherwise.
fn failure(op: &'static str, pid: Pid, errno: Errno) -> Error {
    if errno.raw() == 0 {
        Error::new(ErrorKind::Malformed, op).with_pid(pid)
    } else {
        Error::os(op, errno).with_pid(pid)
    }
}

fn malformed(op: &'static str, pid: Pid) -> Error {
    Error::new(ErrorKind::Malformed, op).with_pid(pid)
}

/// A buffer under a call's minimum: `Truncated` with the bytes it needs.
fn too_small(op: &'static str, needed: usize) -> Error {
    Error::new(ErrorKind::Truncated { needed }, op)
}

/// Which per-thread numbers a thread list holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreadList {
    /// `PROC_PIDLISTTHREADS`: each thread's pthread handle
    /// (`thread->machine.cthread_self`, the `pthread_t` / TSD base address
    /// of the thread in its process), the `arg` `PROC_PIDTHREADINFO` takes.
    /// Not a thread id: it is an address, meaningful only inside the
    /// process; it is 0 for a thread that has not set one (every kernel
    /// thread, so all of `kernel_task`'s), and several threads can report
    /// the same value (`fill_taskthreadlist` copies `cthread_self` as it
    /// is, xnu `osfmk/kern/bsd_kern.c`). The list is taken whole: a 0 ends
    /// nothing, and nothing is deduplicated.
    Handles,
    /// `PROC_PIDLISTTHREADIDS` (private, macOS 10.14 and later): each
    /// thread's 64-bit system-wide thread id, as `pthread_threadid_np`
    /// gives and `PROC_PIDTHREADID64INFO` takes. Older kernels answer
    /// `EINVAL`. (Asked by the model's `thread_ids`; no public call yet.)
    #[cfg_attr(not(any(feature = "model", test)), allow(dead_code))]
    Ids,
}

impl ThreadList {
    /// The flavor that lists these.
    pub const fn flavor(self) -> c_int {
        match self {
            ThreadList::Handles => xnu::PROC_PIDLISTTHREADS,
            ThreadList::Ids => xnu::PROC_PIDLISTTHREADIDS,
        }
    }
}

/// The BSD record of a process: the full one where the caller may have it,
/// else the short one any user may.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Bsd {
    /// `proc_bsdinfo`: the caller's effective uid is the process's, or the
    /// caller is root.
    Full(BsdInfo),
    /// `proc_bsdshortinfo`: another user's process. No name, start time,
    /// terminal, nice, nor `pbi_nfiles`.
    Short(BsdShortInfo),
}

/// What the xnu backend reads of one process for its info.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RawInfo {
    /// The BSD record.
    pub bsd: Bsd,
    /// The task record: `None` for a zombie (it has no task) and for
    /// another user's process.
    pub task: Option<TaskInfo>,
}

/// The `proc_fdinfo` a list entry's bytes hold.
#[inline]
pub(crate) fn fd_entry(entry: u64) -> FdInfo {
    FdInfo::decode(&entry.to_ne_bytes())
}

/// libproc's per-process calls and their calling conventions.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Procinfo {
    pidinfo: PidInfoFn,
    pidpath: PidPathFn,
    // `proc_name` has no public call yet (the model's `name` asks it).
    #[cfg_attr(not(any(feature = "model", test)), allow(dead_code))]
    name: ProcNameFn,
}

impl Procinfo {
    /// Wraps `proc_pidinfo`-, `proc_pidpath`- and `proc_name`-shaped
    /// functions.
    ///
    /// # Safety
    ///
    /// Each must honour its libproc function's memory contract: with a NULL
    /// buffer it writes nothing; otherwise it writes at most `buffersize`
    /// bytes (a non-negative size) to `buffer`, and only during the call.
    pub(crate) const unsafe fn new(
        pidinfo: PidInfoFn,
        pidpath: PidPathFn,
        name: ProcNameFn,
    ) -> Procinfo {
        Procinfo {
            pidinfo,
            pidpath,
            name,
        }
    }

    // ---- proc_pidinfo ---------------------------------------------------

    /// One `proc_pidinfo` call, errno cleared first and `EINTR` retried.
    ///
    /// # Safety
    ///
    /// `buffer` is NULL with `size == 0`, or valid for writes of `size >= 0`
    /// bytes, and any bytes written there are a valid value.
    unsafe fn pidinfo(
        &self,
        pid: Pid,
        flavor: c_int,
        arg: u64,
        buffer: *mut c_void,
        size: c_int,
    ) -> Result<usize, Error> {
        loop {
            errno::set(0);
            // SAFETY: forwarded from this function's contract; `new`'s
            // contract says the function writes no more than `size` bytes.
            let ret = unsafe { (self.pidinfo)(pid.as_raw(), flavor, arg, buffer, size) };
            match outcome(ret, errno::get()) {
                Ok(bytes) => return Ok(bytes),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(failure("proc_pidinfo", pid, e)),
            }
        }
    }

    /// A fixed-size flavor's record: exactly `R::SIZE` bytes copied, or
    /// `Malformed`.
    pub(crate) fn record<R: Record>(&self, pid: Pid, flavor: c_int, arg: u64) -> Result<R, Error> {
        let mut bytes = [0u8; MAX_RECORD];
        let buf = bytes.get_mut(..R::SIZE).unwrap_or_default();
        // `R::SIZE <= MAX_RECORD`, a few hundred bytes.
        let size = c_int::try_from(buf.len()).unwrap_or(0);
        // SAFETY: `buf` is a live byte slice of exactly `size` bytes; any
        // bytes are a valid `[u8]`.
        let got = unsafe { self.pidinfo(pid, flavor, arg, buf.as_mut_ptr().cast(), size)? };
        if got != R::SIZE {
            return Err(malformed("proc_pidinfo", pid));
        }
        Ok(R::decode_from(buf))
    }

    /// `PROC_PIDTBSDINFO` with `arg` 1, so that a zombie answers.
    pub(crate) fn bsd(&self, pid: Pid) -> Result<BsdInfo, Error> {
        self.record(pid, xnu::PROC_PIDTBSDINFO, 1)
    }

    /// `PROC_PIDT_SHORTBSDINFO` with `arg` 1: any user's process, zombies
    /// included.
    pub(crate) fn short(&self, pid: Pid) -> Result<BsdShortInfo, Error> {
        self.record(pid, xnu::PROC_PIDT_SHORTBSDINFO, 1)
    }

    /// `PROC_PIDTASKINFO`: same user only, live processes only.
    pub(crate) fn task(&self, pid: Pid) -> Result<TaskInfo, Error> {
        self.record(pid, xnu::PROC_PIDTASKINFO, 0)
    }

    /// `PROC_PIDT_BSDINFOWITHUNIQID` with `arg` 1: the BSD record and the
    /// identifiers in one call (same user only).
    pub(crate) fn bsd_uniq(&self, pid: Pid) -> Result<BsdInfoWithUniqId, Error> {
        self.record(pid, xnu::PROC_PIDT_BSDINFOWITHUNIQID, 1)
    }

    /// `PROC_PIDUNIQIDENTIFIERINFO` with `arg` 1: the never-reused
    /// `p_uniqueid` of any user's process, zombies included.
    pub(crate) fn uniq(&self, pid: Pid) -> Result<UniqIdentifierInfo, Error> {
        self.record(pid, xnu::PROC_PIDUNIQIDENTIFIERINFO, 1)
    }

    /// Everything the caller may know of `pid`, in one call where it can:
    ///
    /// 1. `PROC_PIDTASKALLINFO`: both records of a live process of the
    ///    caller's (or any, for root);
    /// 2. on `EPERM` (another user's process), `PROC_PIDT_SHORTBSDINFO`
    ///    with `arg` 1;
    /// 3. on `ESRCH` (a zombie, or gone), `PROC_PIDTBSDINFO` with `arg` 1,
    ///    and on its `EPERM` (another user's zombie) the short record.
    ///
    /// A pid that is gone is `Os` with `ESRCH`.
    pub(crate) fn info(&self, pid: Pid) -> Result<RawInfo, Error> {
        let denied = |e: &Error| e.errno() == Some(Errno::EPERM);
        match self.record::<TaskAllInfo>(pid, xnu::PROC_PIDTASKALLINFO, 0) {
            Ok(all) => Ok(RawInfo {
                bsd: Bsd::Full(all.pbsd),
                task: Some(all.ptinfo),
            }),
            Err(e) if denied(&e) => self.short_info(pid),
            Err(e) if e.errno() == Some(Errno::ESRCH) => match self.bsd(pid) {
                Ok(bsd) => Ok(RawInfo {
                    bsd: Bsd::Full(bsd),
                    task: None,
                }),
                Err(e) if denied(&e) => self.short_info(pid),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    fn short_info(&self, pid: Pid) -> Result<RawInfo, Error> {
        Ok(RawInfo {
            bsd: Bsd::Short(self.short(pid)?),
            task: None,
        })
    }

    /// True if `pid` still names the process whose `p_uniqueid` is
    /// `uniqueid` (a zombie not yet reaped still does); false if the pid is
    /// gone or names another process.
    pub(crate) fn still(&self, pid: Pid, uniqueid: u64) -> Result<bool, Error> {
        match self.uniq(pid) {
            Ok(u) => Ok(u.p_uniqueid == uniqueid),
            Err(e) if e.errno() == Some(Errno::ESRCH) => Ok(false),
            Err(e) => Err(e),
        }
    }

    // ---- lists: descriptors and threads ---------------------------------

    /// `PROC_PIDLISTFDS` with a NULL buffer: `fd_nfiles + 20`, in entries.
    pub(crate) fn fds_estimate(&self, pid: Pid) -> Result<usize, Error> {
        // SAFETY: a NULL buffer with size 0.
        let bytes = unsafe { self.pidinfo(pid, xnu::PROC_PIDLISTFDS, 0, ptr::null_mut(), 0)? };
        Ok(bytes / FdInfo::SIZE)
    }

    /// One `PROC_PIDLISTFDS` call into `out`, each entry a `proc_fdinfo`
    /// in the bytes of a `u64` (decode with [`fd_entry`]).
    pub(crate) fn list_fds(&self, pid: Pid, out: &mut [u64]) -> Result<Listed, Error> {
        let (n, listed) = self.list(pid, xnu::PROC_PIDLISTFDS, out)?;
        let answer = out.get(..n).unwrap_or_default();
        if answer.iter().any(|&e| fd_entry(e).proc_fd < 0) {
            return Err(malformed("proc_pidinfo", pid));
        }
        Ok(listed)
    }

    /// The thread-count estimate: `pti_threadnum` plus the kernel's slack.
    pub(crate) fn threads_estimate(&self, pid: Pid) -> Result<usize, Error> {
        let task = self.task(pid)?;
        let threads = usize::try_from(task.pti_threadnum).unwrap_or(0);
        Ok(threads.saturating_add(xnu::LISTTHREADS_SLACK))
    }

    /// One `PROC_PIDLISTTHREADS` / `PROC_PIDLISTTHREADIDS` call into `out`.
    pub(crate) fn list_threads(
        &self,
        pid: Pid,
        which: ThreadList,
        out: &mut [u64],
    ) -> Result<Listed, Error> {
        Ok(self.list(pid, which.flavor(), out)?.1)
    }

    /// One call of a list flavor (8-byte entries, silent truncation):
    /// the entries written and what they prove.
    fn list(&self, pid: Pid, flavor: c_int, out: &mut [u64]) -> Result<(usize, Listed), Error> {
        const ENTRY: usize = 8;
        const MAX_ENTRIES: usize = c_int::MAX as usize / ENTRY;
        const _: () = assert!(FdInfo::SIZE == ENTRY && core::mem::size_of::<u64>() == ENTRY);
        let len = out.len().min(MAX_ENTRIES);
        let Some(out) = out.get_mut(..len).filter(|o| !o.is_empty()) else {
            // No room, and under 8 bytes is ENOMEM: ask with one slot of
            // our own, which tells an empty answer from one that does not
            // fit.
            let mut scratch = [0u64; 1];
            return Ok(match self.list(pid, flavor, &mut scratch)? {
                (0, _) => (0, Listed::Complete(0)),
                _ => (0, Listed::Full { needed: None }),
            });
        };
        // `len <= MAX_ENTRIES`: cannot overflow nor go negative.
        let bytes = c_int::try_from(len * ENTRY).unwrap_or(c_int::MAX);
        // SAFETY: `out` is a live slice of `len` `u64`s, exactly `bytes`
        // bytes; any bytes are valid `u64`s.
        let written = unsafe { self.pidinfo(pid, flavor, 0, out.as_mut_ptr().cast(), bytes)? };
        if written % ENTRY != 0 {
            return Err(malformed("proc_pidinfo", pid));
        }
        // Never trust a count beyond the buffer we passed.
        let n = (written / ENTRY).min(len);
        Ok(if n == len {
            // Exactly full: the kernel stops at the buffer's end, so this
            // cannot be told from a truncated answer.
            (n, Listed::Full { needed: None })
        } else {
            (n, Listed::Complete(n))
        })
    }

    // ---- proc_pidpath and proc_name ---------------------------------------

    /// The executable's path of `pid` into `buf`, through `proc_pidpath`;
    /// returns its length (the bytes before the NUL).
    ///
    /// `buf` needs at least 1024 bytes (`Truncated { needed: 1024 }`
    /// otherwise); at most 4096 are passed, the most the kernel accepts. A
    /// path that does not fit a buffer under 4096 bytes is
    /// `Truncated { needed: 4096 }`; one over 4095 bytes cannot be had
    /// (`Os`, `ENOSPC`). A deleted (or renamed) executable is `Os` with
    /// `ENOENT`, where Linux would append `" (deleted)"`; a zombie, a
    /// process without an executable (`kernel_task`) or a gone pid is
    /// `ESRCH`. Any user's process answers.
    pub(crate) fn path(&self, pid: Pid, buf: &mut [u8]) -> Result<usize, Error> {
        const OP: &str = "proc_pidpath";
        if buf.len() < xnu::PROC_PIDPATHINFO_SIZE {
            return Err(too_small(OP, xnu::PROC_PIDPATHINFO_SIZE));
        }
        let len = buf.len().min(xnu::PROC_PIDPATHINFO_MAXSIZE);
        let buf = buf.get_mut(..len).unwrap_or_default();
        match self.string(self.pidpath, OP, pid, buf) {
            Err(e) if e.errno() == Some(Errno::from_raw(libc::ENOSPC)) => {
                if buf.len() < xnu::PROC_PIDPATHINFO_MAXSIZE {
                    Err(too_small(OP, xnu::PROC_PIDPATHINFO_MAXSIZE))
                } else {
                    Err(e)
                }
            }
            Ok(0) => Err(malformed(OP, pid)),
            other => other,
        }
    }

    /// The name `proc_name` gives: `p_name` (at most 31 bytes) when set,
    /// else `p_comm` (at most 15). `buf` needs 32 bytes
    /// (`Truncated { needed: 32 }` otherwise). Same user only (`EPERM`);
    /// a zombie is `ESRCH`.
    #[cfg_attr(not(any(feature = "model", test)), allow(dead_code))]
    pub(crate) fn name(&self, pid: Pid, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.len() < xnu::PROC_NAME_MINSIZE {
            return Err(too_small("proc_name", xnu::PROC_NAME_MINSIZE));
        }
        // The wrapper copies 32 or 16 bytes whatever the size: 32 is all
        // it ever needs.
        let buf = buf.get_mut(..xnu::PROC_NAME_MINSIZE).unwrap_or_default();
        self.string(self.name, "proc_name", pid, buf)
    }

    /// The best name any caller can have: [`name`](Self::name), or, where
    /// it is refused (another user's process, `EPERM`) or fails for a
    /// zombie (`ESRCH`), `p_comm` from `PROC_PIDT_SHORTBSDINFO`. Returns the
    /// length and whether it is the short `p_comm`.
    #[cfg_attr(not(any(feature = "model", test)), allow(dead_code))]
    pub(crate) fn name_or_comm(&self, pid: Pid, buf: &mut [u8]) -> Result<(usize, bool), Error> {
        match self.name(pid, buf) {
            Ok(n) => Ok((n, false)),
            Err(e) if matches!(e.errno(), Some(Errno::EPERM | Errno::ESRCH)) => {
                let short = self.short(pid)?;
                let comm = cstr(&short.pbsi_comm);
                let out = buf
                    .get_mut(..comm.len())
                    .ok_or_else(|| too_small("proc_name", xnu::PROC_NAME_MINSIZE))?;
                out.copy_from_slice(comm);
                if let Some(nul) = buf.get_mut(comm.len()) {
                    *nul = 0;
                }
                Ok((comm.len(), true))
            }
            Err(e) => Err(e),
        }
    }

    /// One call of a string wrapper (`proc_pidpath`, `proc_name`): `strlen`
    /// on success, checked against the buffer (a NUL at the length, none
    /// before it).
    fn string(
        &self,
        f: PidPathFn,
        op: &'static str,
        pid: Pid,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        // At most 4096 bytes.
        let size = u32::try_from(buf.len()).unwrap_or(0);
        let n = loop {
            errno::set(0);
            // SAFETY: `buf` is a live byte slice of exactly `size` bytes;
            // `new`'s contract says `f` writes no more than that.
            let ret = unsafe { f(pid.as_raw(), buf.as_mut_ptr().cast(), size) };
            match outcome(ret, errno::get()) {
                Ok(n) => break n,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(failure(op, pid, e)),
            }
        };
        let terminated = buf.get(n) == Some(&0);
        if !terminated || buf.get(..n).is_some_and(|s| s.contains(&0)) {
            return Err(malformed(op, pid));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
