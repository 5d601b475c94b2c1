//! macOS: the xnu call pattern over libproc's `proc_listpids`.
//!
//! Everything but the choice of function lives in `sys/xnu.rs`, which every
//! host compiles and tests against the in-memory model.
//!
//! # Safety
//!
//! `libc::proc_listpids` writes nothing through a NULL buffer and at most
//! `buffersize` bytes otherwise (xnu `bsd/kern/proc_info.c`: it copies out
//! `min(buffersize / 4, nprocs + 20)` ints).
//!
//! # References
//! - xnu `libsyscall/wrappers/libproc/libproc.c` (`proc_listpids`)
//! - xnu `bsd/kern/proc_info.c` (`proc_listpids`)

use core::ffi::{c_int, c_void};

use super::xnu::{self, Xnu};
use crate::Errno;

/// The live system's kernel on macOS.
pub(crate) type LibProc = Xnu;

/// The engine's kernel: libproc's `proc_listpids`.
// SAFETY: libproc's function honours the contract (module docs).
pub(crate) const LIBPROC: Xnu = unsafe { Xnu::new(libc::proc_listpids) };

/// `proc_listpids(kind, typeinfo, buffer, buffersize)` with libproc's errno
/// convention decoded: `Ok(bytes)` or the errno. Nothing else — no retry on
/// `EINTR`, no check that a full buffer holds the whole answer; prefer
/// [`PidQuery::fill`](crate::PidQuery::fill).
///
/// `kind` is a list type from [`xnu`](crate::xnu) (`PROC_ALL_PIDS` …) and
/// `typeinfo` its argument; a NULL `buffer` asks for the size estimate,
/// `(nprocs + 20) * 4` bytes. The answer is a packed array of `int` pids.
///
/// # Safety
///
/// `buffer` must be NULL, or valid for writes of `buffersize` bytes, and
/// `buffersize` must not be negative (xnu reads it as unsigned and would
/// write up to `(nprocs + 20) * 4` bytes).
///
/// # Examples
///
/// ```
/// use pidquery::{macos, xnu};
///
/// let mut pids = vec![0i32; 4096];
/// let bytes = (pids.len() * 4) as i32;
/// // SAFETY: `pids` is valid for `bytes` bytes.
/// let n = unsafe { macos::proc_listpids_raw(xnu::PROC_ALL_PIDS, 0, pids.as_mut_ptr().cast(), bytes) }
///     .unwrap() / 4;
/// assert!(pids[..n].contains(&(std::process::id() as i32)));
/// ```
///
/// # References
/// - xnu `libsyscall/wrappers/libproc/libproc.c` (`proc_listpids`)
pub unsafe fn proc_listpids_raw(
    kind: u32,
    typeinfo: u32,
    buffer: *mut c_void,
    buffersize: c_int,
) -> Result<usize, Errno> {
    // SAFETY: forwarded from this function's contract; `libc::proc_listpids`
    // honours `xnu::listpids`' requirement on the function.
    unsafe { xnu::listpids(libc::proc_listpids, kind, typeinfo, buffer, buffersize) }
}
