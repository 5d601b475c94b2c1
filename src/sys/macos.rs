//! macOS: the xnu call patterns over libproc's `proc_listpids`,
//! `proc_pidinfo`, `proc_pidpath` and `proc_name`.
//!
//! Everything but the choice of functions lives in `sys/xnu/`, which every
//! host compiles and tests against the in-memory model.
//!
//! # Safety
//!
//! Each function writes nothing through a NULL buffer and at most
//! `buffersize` bytes otherwise (xnu `bsd/kern/proc_info.c`):
//! `proc_listpids` copies out `min(buffersize / 4, nprocs + 20)` ints;
//! `proc_pidinfo` a record no larger than its minimum size, which it checks
//! first, or `min(buffersize / 8, …)` list entries, or (for
//! `PROC_PIDPATHINFO`) exactly `buffersize` bytes; `proc_pidpath` the same
//! after refusing sizes outside 1024–4096; `proc_name` 32 or 16 bytes after
//! refusing sizes under 32.
//!
//! # References
//! - xnu `libsyscall/wrappers/libproc/libproc.c`
//! - xnu `bsd/kern/proc_info.c` (`proc_listpids`, `proc_pidinfo`)

#![allow(unsafe_code)]

use std::path::Path;

use super::xnu::info::Procinfo;
use super::xnu::Xnu;
use super::Platform;
use crate::Error;

/// The live system on macOS: the xnu call pattern over libproc.
pub(crate) type Live = Xnu;

/// The engine's kernel: libproc's functions.
// SAFETY: libproc's functions honour the contracts (module docs).
const LIBPROC: Xnu = unsafe {
    Xnu::new(
        libc::proc_listpids,
        Procinfo::new(libc::proc_pidinfo, libc::proc_pidpath, libc::proc_name),
    )
};

impl Platform for Xnu {
    fn live() -> Result<Xnu, Error> {
        Ok(LIBPROC)
    }

    fn open(_root: &Path) -> Result<Xnu, Error> {
        Err(Error::unsupported("opening a proc root"))
    }

    fn root(&self) -> Option<&Path> {
        None
    }
}

/// `proc_listpids` answers in one call: a one-shot iteration fills once.
impl super::StreamPids for Xnu {
    type Stream = super::NoStream;

    fn stream(&self, _query: &crate::PidQuery) -> Result<Option<super::NoStream>, Error> {
        Ok(None)
    }
}

/// The device-number encoding of xnu's 32-bit `dev_t`: major in the top
/// byte, minor in the low 24 bits (`bsd/sys/types.h`).
pub(crate) mod dev {
    /// `makedev(major, minor)`.
    pub(crate) const fn makedev(major: u32, minor: u32) -> u64 {
        (((major & 0xff) << 24) | (minor & 0x00ff_ffff)) as u64
    }

    /// `major(dev)`.
    pub(crate) const fn major(dev: u64) -> u32 {
        ((dev >> 24) & 0xff) as u32
    }

    /// `minor(dev)`.
    pub(crate) const fn minor(dev: u64) -> u32 {
        (dev & 0x00ff_ffff) as u32
    }
}

/// `pidquery::macos`.
pub(crate) mod public {
    pub use super::api as macos;
}

/// macOS only: the bare `proc_listpids` call and xnu's list types.
pub mod api {
    use core::ffi::{c_int, c_void};

    use crate::sys::xnu;
    use crate::Errno;

    pub use crate::sys::xnu::consts::*;

    /// `proc_listpids(kind, typeinfo, buffer, buffersize)` with libproc's
    /// errno convention decoded: `Ok(bytes)` or the errno. Nothing else — no
    /// retry on `EINTR`, no check that a full buffer holds the whole answer;
    /// prefer [`PidQuery::fill`](crate::PidQuery::fill).
    ///
    /// `kind` is a list type (`PROC_ALL_PIDS` …) and `typeinfo` its
    /// argument; a NULL `buffer` asks for the size estimate,
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
    /// use pidquery::macos;
    ///
    /// let mut pids = vec![0i32; 4096];
    /// let bytes = (pids.len() * 4) as i32;
    /// // SAFETY: `pids` is valid for `bytes` bytes.
    /// let n = unsafe {
    ///     macos::proc_listpids_raw(macos::PROC_ALL_PIDS, 0, pids.as_mut_ptr().cast(), bytes)
    /// }
    /// .unwrap()
    ///     / 4;
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
        // SAFETY: forwarded from this function's contract;
        // `libc::proc_listpids` honours `xnu::listpids`' requirement on the
        // function.
        unsafe { xnu::listpids(libc::proc_listpids, kind, typeinfo, buffer, buffersize) }
    }
}
