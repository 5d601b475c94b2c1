//! The xnu call pattern over any function with the signature of
//! `libc::proc_listpids`.
//!
//! On macOS the function is libproc's own (`sys/macos.rs`); everywhere else
//! the model's stand-in (`sys/model/abi.rs`) plugs in, so the code below is
//! compiled and tested on every host, and only the line choosing the
//! function differs on macOS.
//!
//! # The libproc convention
//!
//! `int proc_listpids(uint32_t type, uint32_t typeinfo, void *buffer, int
//! buffersize)` returns a byte count on success. On failure it returns **0**
//! with `errno` set (not -1), and a real empty answer is also 0, so `errno`
//! is cleared before every call. A NULL buffer asks for the size estimate,
//! `(nprocs + 20) * 4` bytes.
//!
//! # Safety
//!
//! Every call passes either a NULL buffer with size 0, or a pointer to a
//! live, writable `[Pid]` slice (a `repr(transparent)` `i32`, the kernel's
//! `int`) with its exact length in bytes, never negative and never above
//! `c_int::MAX`. What is assumed of the function (the contract of
//! [`Xnu::new`]): it writes nothing through a NULL buffer and at most
//! `buffersize` bytes otherwise. Its return value is *not* trusted: counts
//! beyond the buffer are clamped and negative pids are rejected.
//!
//! # References
//! - xnu `bsd/kern/proc_info.c` (`proc_listpids`)
//! - xnu `libsyscall/wrappers/libproc/libproc.c` (`proc_listpids`)

#![allow(unsafe_code)]
#![cfg_attr(
    not(any(target_os = "macos", feature = "model", test)),
    allow(dead_code)
)]

use core::ffi::{c_int, c_void};
use core::ptr;

pub mod consts;
pub mod info;
pub(crate) mod inspect;
pub mod records;
pub(crate) mod tree;

use super::errno;
use super::{ListPids, Listed};
use crate::{Errno, Error, ErrorKind, Filter, Pid, PidQuery};

/// The `(type, typeinfo)` arguments of `proc_listpids` that ask `query`:
/// the one place a query meets xnu's encoding.
///
/// `typeinfo` is the pid, uid or device as the kernel's `uint32_t`; `all`
/// passes 0. xnu has no list type for a subtree: `descendants` is answered
/// by a walk of `PROC_PPID_ONLY` calls (`tree.rs`), and encodes as the
/// first of them, the root's children. xnu's `dev_t` is a 32-bit int, which an `st_rdev` from macOS
/// always fits.
pub(crate) const fn encode(query: &PidQuery) -> (u32, u32) {
    match query.filter() {
        Filter::All => (consts::PROC_ALL_PIDS, 0),
        Filter::Pgrp(pid) => (consts::PROC_PGRP_ONLY, pid.as_raw() as u32),
        Filter::Tty(dev) => (consts::PROC_TTY_ONLY, dev.raw() as u32),
        Filter::Uid(uid) => (consts::PROC_UID_ONLY, uid),
        Filter::Ruid(uid) => (consts::PROC_RUID_ONLY, uid),
        Filter::Ppid(pid) | Filter::Descendants(pid) => {
            (consts::PROC_PPID_ONLY, pid.as_raw() as u32)
        }
    }
}

/// The signature of `libc::proc_listpids`.
pub(crate) type ListPidsFn = unsafe extern "C" fn(u32, u32, *mut c_void, c_int) -> c_int;

/// Bytes per pid in the kernel's answer (`sizeof(int)`).
const PID_BYTES: usize = core::mem::size_of::<c_int>();

/// Pids passed in one call: the byte count must fit a positive `c_int`.
const MAX_CALL_PIDS: usize = c_int::MAX as usize / PID_BYTES;

/// An xnu-style kernel: `proc_listpids`, the per-process calls
/// (`info.rs`), and their calling conventions.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Xnu {
    listpids: ListPidsFn,
    procs: info::Procinfo,
}

impl Xnu {
    /// Wraps a `proc_listpids`-shaped function and the per-process ones.
    ///
    /// # Safety
    ///
    /// `listpids` must honour `proc_listpids`' memory contract: with a NULL
    /// buffer it writes nothing; otherwise it writes at most `buffersize`
    /// bytes (a non-negative size) to `buffer`, and only during the call.
    /// `procs` was built under [`info::Procinfo::new`]'s contract.
    pub(crate) const unsafe fn new(listpids: ListPidsFn, procs: info::Procinfo) -> Xnu {
        Xnu { listpids, procs }
    }

    /// The per-process calls.
    #[inline]
    pub(crate) const fn procs(&self) -> &info::Procinfo {
        &self.procs
    }

    /// One call, EINTR retried. Returns the byte count (never negative).
    fn call(&self, query: &PidQuery, buffer: *mut c_void, bytes: c_int) -> Result<usize, Error> {
        let (kind, typeinfo) = encode(query);
        loop {
            // SAFETY: `buffer` is NULL with `bytes == 0`, or (by the callers
            // below) valid for writes of `bytes >= 0` bytes for the duration
            // of the call; `Xnu::new`'s contract says the function writes no
            // more than that.
            let ret = unsafe { listpids(self.listpids, kind, typeinfo, buffer, bytes) };
            match ret {
                Ok(bytes) => return Ok(bytes),
                Err(Errno::EINTR) => continue,
                // A negative return without errno breaks the convention;
                // report it rather than guess.
                Err(errno) if errno.raw() == 0 => {
                    return Err(Error::new(ErrorKind::Malformed, "proc_listpids"))
                }
                Err(errno) => return Err(Error::os("proc_listpids", errno)),
            }
        }
    }
}

/// One `proc_listpids` call with the libproc errno convention: errno is
/// cleared first, a positive return (or 0 with errno still 0) is the byte
/// count, anything else is the errno (`Errno(0)` for a negative return
/// without one).
///
/// # Safety
///
/// `f` must honour `proc_listpids`' contract (see [`Xnu::new`]), and
/// `buffer` must be NULL or valid for writes of `buffersize` bytes, which
/// must then be non-negative.
pub(crate) unsafe fn listpids(
    f: ListPidsFn,
    kind: u32,
    typeinfo: u32,
    buffer: *mut c_void,
    buffersize: c_int,
) -> Result<usize, Errno> {
    errno::set(0);
    // SAFETY: forwarded from this function's contract.
    let ret = unsafe { f(kind, typeinfo, buffer, buffersize) };
    info::outcome(ret, errno::get())
}

impl ListPids for Xnu {
    /// The NULL-buffer probe: `(nprocs + 20)` pids for every type; twice
    /// that for `descendants`, whose walk needs room for the subtree and,
    /// behind it, for a whole answer of its last call.
    fn estimate(&self, query: &PidQuery) -> Result<usize, Error> {
        let pids = self.call(query, ptr::null_mut(), 0)? / PID_BYTES;
        Ok(match query.filter() {
            Filter::Descendants(_) => pids.saturating_mul(2).saturating_add(1),
            _ => pids,
        })
    }

    fn list(&self, query: &PidQuery, out: &mut [Pid]) -> Result<Listed, Error> {
        if let Filter::Descendants(root) = query.filter() {
            return tree::walk_by_ppid(self, root, out);
        }
        let len = out.len().min(MAX_CALL_PIDS);
        let Some(out) = out.get_mut(..len).filter(|o| !o.is_empty()) else {
            // No room, and a buffer under 4 bytes is ENOMEM on xnu: ask with
            // one slot of our own, which tells an empty answer (complete in
            // an empty slice) from a non-empty one (which does not fit).
            let mut scratch = [Pid::ZERO; 1];
            return Ok(match self.list(query, &mut scratch)? {
                Listed::Complete(0) => Listed::Complete(0),
                _ => Listed::Full { needed: None },
            });
        };
        // `len <= MAX_CALL_PIDS`, so this cannot overflow nor go negative.
        let bytes = c_int::try_from(len * PID_BYTES).unwrap_or(c_int::MAX);
        let written = self.call(query, out.as_mut_ptr().cast::<c_void>(), bytes)?;
        // Never trust the count beyond the buffer we passed.
        let n = (written / PID_BYTES).min(len);
        let answer = out.get(..n).unwrap_or_default();
        if answer.iter().any(|pid| pid.as_raw() < 0) {
            return Err(Error::new(ErrorKind::Malformed, "proc_listpids"));
        }
        if n == len {
            // Exactly full: the kernel stops at the buffer's end, so this
            // cannot be told from a truncated answer.
            Ok(Listed::Full { needed: None })
        } else {
            Ok(Listed::Complete(n))
        }
    }
}

#[cfg(test)]
mod tests {
    //! The call pattern against misbehaving `proc_listpids` fakes; the
    //! faithful one is the model (`crate::model` tests).

    use core::cell::Cell;

    use super::*;
    use crate::Filter;

    thread_local! {
        /// The sizes the fakes were called with.
        static SIZES: Cell<(c_int, c_int)> = const { Cell::new((i32::MIN, 0)) };
        static CALLS: Cell<u32> = const { Cell::new(0) };
    }

    fn note(size: c_int) {
        SIZES.with(|s| {
            let (min, max) = s.get();
            s.set((
                if min == i32::MIN { size } else { min.min(size) },
                max.max(size),
            ));
        });
        CALLS.with(|c| c.set(c.get() + 1));
    }

    /// Claims to have written twice the buffer (and writes only the buffer).
    unsafe extern "C" fn overclaims(_: u32, _: u32, buf: *mut c_void, size: c_int) -> c_int {
        note(size);
        if buf.is_null() {
            return 400;
        }
        let n = size as usize / 4;
        for i in 0..n {
            // SAFETY: `i < size / 4`, inside the caller's buffer.
            unsafe { buf.cast::<c_int>().add(i).write(7) };
        }
        size.saturating_mul(2)
    }

    /// Writes a negative pid.
    unsafe extern "C" fn negative(_: u32, _: u32, buf: *mut c_void, size: c_int) -> c_int {
        note(size);
        if buf.is_null() {
            return 400;
        }
        // SAFETY: the engine never passes fewer than 4 bytes.
        unsafe { buf.cast::<c_int>().write(-5) };
        4
    }

    /// Breaks the convention: -1 with errno 0.
    unsafe extern "C" fn minus_one(_: u32, _: u32, _: *mut c_void, _: c_int) -> c_int {
        -1
    }

    /// Fails with EINTR twice, then answers 0 pids; errno stays set to a
    /// stale value on the success, which must not count.
    unsafe extern "C" fn interrupted(_: u32, _: u32, _: *mut c_void, _: c_int) -> c_int {
        let calls = CALLS.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        if calls <= 2 {
            errno::set(libc::EINTR);
        }
        0
    }

    /// 0 with errno ESRCH.
    unsafe extern "C" fn fails(_: u32, _: u32, _: *mut c_void, _: c_int) -> c_int {
        errno::set(libc::ESRCH);
        0
    }

    /// A `proc_pidinfo`/`proc_pidpath`/`proc_name` fake that always fails:
    /// the listing tests never call it.
    unsafe extern "C" fn no_info(_: c_int, _: c_int, _: u64, _: *mut c_void, _: c_int) -> c_int {
        errno::set(libc::ENOSYS);
        0
    }
    unsafe extern "C" fn no_string(_: c_int, _: *mut c_void, _: u32) -> c_int {
        errno::set(libc::ENOSYS);
        0
    }

    fn kernel(f: ListPidsFn) -> Xnu {
        // SAFETY: every fake writes at most `size` bytes, nothing via NULL.
        unsafe { Xnu::new(f, info::Procinfo::new(no_info, no_string, no_string)) }
    }

    #[test]
    fn a_count_beyond_the_buffer_is_clamped_and_never_complete() {
        let k = kernel(overclaims);
        let mut out = [Pid::ZERO; 5];
        assert_eq!(
            k.list(&PidQuery::all(), &mut out).unwrap(),
            Listed::Full { needed: None }
        );
        assert!(out.iter().all(|p| p.as_raw() == 7));
        assert_eq!(k.estimate(&PidQuery::all()).unwrap(), 100);
    }

    #[test]
    fn sizes_passed_are_never_negative_nor_zero() {
        let k = kernel(overclaims);
        SIZES.with(|s| s.set((i32::MIN, 0)));
        let mut big = vec![Pid::ZERO; 3000];
        for len in [1usize, 2, 17, 3000] {
            let _ = k.list(&PidQuery::uid(0), &mut big[..len]);
        }
        // An empty slice makes no call: a non-NULL buffer under 4 bytes is
        // ENOMEM, and an empty answer proves nothing.
        assert_eq!(
            k.list(&PidQuery::all(), &mut []).unwrap(),
            Listed::Full { needed: None }
        );
        assert_eq!(SIZES.with(Cell::get), (4, 12_000));
    }

    #[test]
    fn a_negative_pid_is_malformed() {
        let mut out = [Pid::ZERO; 4];
        let err = kernel(negative)
            .list(&PidQuery::all(), &mut out)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed);
        assert_eq!(err.operation(), "proc_listpids");
    }

    #[test]
    fn minus_one_without_errno_is_malformed_not_success() {
        let err = kernel(minus_one).estimate(&PidQuery::all()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed);
    }

    #[test]
    fn eintr_is_retried_and_errno_is_cleared_before_each_call() {
        CALLS.with(|c| c.set(0));
        errno::set(libc::EBADF); // stale: must not turn the answer into an error
        let mut out = [Pid::ZERO; 4];
        let q = PidQuery::ppid(Pid::ZERO);
        assert_eq!(q.filter(), Filter::Ppid(Pid::ZERO));
        assert_eq!(
            kernel(interrupted).list(&q, &mut out).unwrap(),
            Listed::Complete(0)
        );
        assert_eq!(CALLS.with(Cell::get), 3);
    }

    #[test]
    fn zero_with_errno_is_a_typed_error() {
        let err = kernel(fails).estimate(&PidQuery::all()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Os);
        assert_eq!(err.errno(), Some(Errno::ESRCH));
        assert_eq!(err.operation(), "proc_listpids");
    }
}

crate::sys::select_by_info!(Xnu, ascending: false);
