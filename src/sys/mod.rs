//! The backends: the only part of the crate that names an operating system.
//!
//! # The contract every backend provides
//!
//! A backend is a module that exports:
//!
//! - `Live`, the type a [`System`](crate::System) wraps, implementing
//!   [`Platform`] (open the live system; open a proc root where the platform
//!   has one; name the root it reads) and each capability it offers:
//!   [`ListPids`] and, beside it, [`Inspect`] (per-process information,
//!   whose every method defaults to `Unsupported`) and [`StreamPids`]
//!   (`Ok(None)` with [`NoStream`] where it does not stream). A backend may
//!   offer one capability without another;
//! - `dev`, the platform's `dev_t` encoding: `makedev(major, minor) -> u64`,
//!   `major(u64) -> u32`, `minor(u64) -> u32`, as `const fn`s, so that
//!   [`Dev`](crate::Dev) and the kernel's terminal numbers agree;
//! - `public`, a module of the items it adds to the public API (re-exported
//!   at the crate root; empty for most).
//!
//! The call patterns of foreign kernels (`xnu/`, `freebsd/`) are compiled
//! on every host that can run their tests, over stand-ins with `libc`'s
//! exact signatures (`model/`); only a thin shim (`macos.rs`,
//! `freebsd/live.rs`) plugs in the real functions.
//!
//! The list engine (`list/engine.rs`) and the per-process buffers
//! (`info/`) drive a backend through this contract; a backend never calls
//! up into them. What they share is here: the growth rule and the attempt
//! budget (`growth.rs`), for a backend that sizes storage of its own, and
//! the engine's complete listing, handed in as a [`FillFn`] where a backend
//! must list before it reads ([`Inspect::infos`]).
//!
//! # Adding a backend
//!
//! 1. A folder `sys/<name>/` whose `mod.rs` exports `Live`, `dev` and
//!    `public` as above; raw calls in their own file with
//!    `#![allow(unsafe_code)]` and a `// SAFETY:` comment on every block
//!    (and that file named in the list below). Storage it grows itself
//!    grows by `growth::grow`, within `growth::MAX_ATTEMPTS` calls.
//! 2. At the selection point below, its `mod` and `use … as imp` lines
//!    under the platform's `cfg`, and the platform added to the
//!    `not(any(…))` of the `unsupported` fallback.
//! 3. For the conformance suite (`tests/conformance/`): an implementation
//!    of its `Backend` trait in `tests/conformance/<name>.rs`, live or over
//!    a model of the kernel, and a test file `tests/conformance_<name>.rs`
//!    that runs `conformance_suite!` on it.
//!
//! # `unsafe`
//!
//! The crate denies `unsafe_code`; the files that make raw calls allow it
//! for themselves: `errno.rs`, `linux/syscalls.rs`, `linux/info/helper.rs`,
//! `xnu/mod.rs`, `xnu/info.rs`, `macos.rs`, `model/abi.rs`,
//! `freebsd/raw.rs`, `freebsd/live.rs` and `model/freebsd/abi.rs` (and the
//! FreeBSD backend's unit tests, `freebsd/tests.rs`).

use std::path::Path;

use crate::{Error, Fd, InfoBuf, Pid, PidBuf, PidQuery, ProcId, ProcInfo, Thread};

// ---- the one selection point ---------------------------------------------

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as imp;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as imp;

#[cfg(target_os = "freebsd")]
use freebsd as imp;

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
mod unsupported;
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
use unsupported as imp;

pub(crate) use imp::{dev, Live};

/// The streaming iterator of the live backend, or [`NoStream`].
pub(crate) type Stream = <Live as StreamPids>::Stream;

/// The query stream of the live backend, or [`NoStream`].
pub(crate) type QueryStream<'a> = <Live as StreamQuery>::QueryStream<'a>;

// ---- code compiled on every host that can test it ------------------------

// The growth rule and attempt budget every grow-and-retry loop shares.
pub(crate) mod growth;

// The thread's `errno` slot, for libproc's 0-with-errno convention.
#[cfg(any(target_os = "linux", target_vendor = "apple", target_os = "freebsd"))]
pub(crate) mod errno;

// The xnu call pattern over `proc_listpids`-shaped functions.
#[cfg(any(target_os = "linux", target_vendor = "apple", target_os = "freebsd"))]
pub mod xnu;

// The FreeBSD `kern.proc` call pattern over `sysctl`-shaped functions (and,
// on FreeBSD, the shim that plugs in libc's).
#[cfg(any(target_os = "linux", target_vendor = "apple", target_os = "freebsd"))]
pub mod freebsd;

// In-memory kernels behind the C-ABI stand-ins (feature `model`).
#[cfg(all(
    any(feature = "model", test),
    any(target_os = "linux", target_vendor = "apple", target_os = "freebsd")
))]
pub mod model;

/// What the backends add to the public API, re-exported at the crate root.
pub mod public {
    // Empty for most backends.
    #[allow(unused_imports)]
    pub use super::imp::public::*;

    // Also for the crate's own tests, which include the test-support checker
    // that names `pidquery::model`.
    #[cfg(all(
        any(feature = "model", test),
        any(target_os = "linux", target_vendor = "apple", target_os = "freebsd")
    ))]
    pub use super::model;
}

// ---- the contract --------------------------------------------------------

/// A platform's live system: what [`System`](crate::System) wraps.
pub(crate) trait Platform: Sized {
    /// The live system (`/proc` on Linux, libproc on macOS).
    fn live() -> Result<Self, Error>;

    /// The proc root mounted at `root`, where the platform has one;
    /// `ErrorKind::Unsupported` elsewhere.
    fn open(root: &Path) -> Result<Self, Error>;

    /// The proc root this system reads, where the platform has one.
    fn root(&self) -> Option<&Path>;
}

/// What one kernel call produced.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Listed {
    /// The whole answer: this many pids were written to the front of the slice.
    Complete(usize),
    /// The slice was filled and may not hold the whole answer.
    Full {
        /// The number of matches, when the backend counted them all (Linux);
        /// `None` when it cannot know (xnu stops at the buffer's end). A
        /// count no larger than the slice says the slice was enough and the
        /// backend's own storage was not (it has grown): ask again.
        needed: Option<usize>,
    },
}

/// The listing capability: "list the pids matching `query` into this slice".
///
/// The engine (`list/engine.rs`) drives it; a backend is free to answer a
/// query by whatever strategy is cheapest (a full scan, a children file, a
/// kernel filter), as long as the result is the same. A backend never calls
/// the engine: what it shares with it (the growth rule and the attempt
/// budget) is in `growth.rs`, and a complete listing it needs is handed in
/// ([`FillFn`]).
pub(crate) trait ListPids {
    /// How many pids a fill of `query` should reserve.
    fn estimate(&self, query: &PidQuery) -> Result<usize, Error>;

    /// Writes matching pids to the front of `out`.
    fn list(&self, query: &PidQuery, out: &mut [Pid]) -> Result<Listed, Error>;
}

/// A complete listing of `query` into a buffer, grown and retried until it
/// is provably whole: the engine's `fill`, handed to [`Inspect::infos`] by
/// its caller, so that a backend that lists before it reads neither loops
/// itself nor calls up into the engine.
pub(crate) type FillFn<K> = for<'b> fn(&K, &PidQuery, &'b mut PidBuf) -> Result<&'b [Pid], Error>;

// ---- the per-process capability ------------------------------------------

/// What one read of an executable path produced.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[allow(dead_code)]
pub(crate) enum PathRead {
    /// The whole path: its first `len` bytes of the buffer; `deleted` when
    /// the kernel marked the executable as gone (Linux's `" (deleted)"`,
    /// already cut from `len`).
    Complete {
        /// Bytes of the path.
        len: usize,
        /// The executable no longer exists under this name.
        deleted: bool,
    },
    /// The buffer was too small, or was filled and may hold a cut path:
    /// ask again with at least `needed` bytes (`None`: more than given).
    Full {
        /// A size that holds the path, when the backend knows one.
        needed: Option<usize>,
    },
}

/// The per-process capability: "who is this pid", its executable, threads,
/// open fds and identity. A backend may list pids without implementing it;
/// every method has a default that says `Unsupported`, so a backend
/// implements what its kernel offers, one method at a time.
///
/// The buffer-filling methods (`exe`, `threads`, `fds`) write into a slice
/// and report whether it held the whole answer, as [`ListPids::list`]
/// does; the caller (`info/`) grows the buffer and asks again, so a backend
/// never loops itself.
pub(crate) trait Inspect: ListPids {
    /// The info of `pid`: `NoSuchProcess` when it does not exist,
    /// `NotAProcess` when it is another process's thread.
    fn info(&self, pid: Pid) -> Result<ProcInfo, Error> {
        Err(Error::unsupported("process info").with_pid(pid))
    }

    /// The infos of every process `query` matches, into `out.infos`
    /// (cleared first). The default lists the pids with `fill` (the
    /// engine's, passed in by the caller), then reads each, leaving out
    /// those that vanished or are hidden in between; a backend with a
    /// cheaper single pass overrides it.
    fn infos(&self, query: &PidQuery, out: &mut InfoBuf, fill: FillFn<Self>) -> Result<(), Error> {
        out.infos.clear();
        fill(self, query, &mut out.pids)?;
        let pids = core::mem::take(&mut out.pids);
        let mut result = Ok(());
        for pid in pids.iter() {
            match self.info(pid) {
                Ok(info) => out.infos.push(info),
                Err(e) if skipped_in_listing(&e) => {}
                Err(e) => {
                    out.infos.clear();
                    result = Err(e);
                    break;
                }
            }
        }
        out.pids = pids;
        result
    }

    /// The executable path of `pid`, into the front of `out`.
    fn exe(&self, pid: Pid, out: &mut [u8]) -> Result<PathRead, Error> {
        let _ = out;
        Err(Error::unsupported("executable path").with_pid(pid))
    }

    /// The info of `pid` and its executable path (into the front of
    /// `out`), both of one process; the second member is the path's own
    /// answer (a zombie or a kernel thread has none). The default makes
    /// the two calls, between which a reused pid may name another process;
    /// a backend that can bind both reads to one process overrides it.
    fn info_exe(
        &self,
        pid: Pid,
        out: &mut [u8],
    ) -> Result<(ProcInfo, Result<PathRead, Error>), Error> {
        let info = self.info(pid)?;
        Ok((info, self.exe(pid, out)))
    }

    /// The threads of `pid`, into the front of `out`.
    fn threads(&self, pid: Pid, out: &mut [Thread]) -> Result<Listed, Error> {
        let _ = out;
        Err(Error::unsupported("thread list").with_pid(pid))
    }

    /// The open fds of `pid` and their kinds, into the front of `out`.
    fn fds(&self, pid: Pid, out: &mut [Fd]) -> Result<Listed, Error> {
        let _ = out;
        Err(Error::unsupported("fd list").with_pid(pid))
    }

    /// The identity of `pid`.
    fn identity(&self, pid: Pid) -> Result<ProcId, Error> {
        Err(Error::unsupported("process identity").with_pid(pid))
    }

    /// The identity of `pid`, or `None` when a whole-query answer would
    /// skip it (gone, a thread, hidden); a backend whose errors carry a
    /// path overrides it so that a skipped pid costs no allocation.
    fn identity_if_listed(&self, pid: Pid) -> Result<Option<ProcId>, Error> {
        match self.identity(pid) {
            Ok(id) => Ok(Some(id)),
            Err(e) if skipped_in_listing(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `id.pid()` still names the process `id` was taken from:
    /// `Ok(false)` when it is gone or the pid names another process.
    fn is_current(&self, id: &ProcId) -> Result<bool, Error> {
        Err(Error::unsupported("process identity").with_pid(id.pid()))
    }
}

/// The errors that leave one process out of a whole-query answer: it
/// vanished, or the caller may not see it (as a listing skips it).
#[inline]
pub(crate) fn skipped_in_listing(e: &Error) -> bool {
    matches!(
        e.kind(),
        crate::ErrorKind::NoSuchProcess
            | crate::ErrorKind::NotAProcess
            | crate::ErrorKind::PermissionDenied
    )
}
/// The streaming capability: a backend that can answer a one-shot
/// iteration without filling a buffer first (Linux: the scan itself) says
/// how; the others return `Ok(None)` and the query fills once.
pub(crate) trait StreamPids {
    /// The iterator: each matching pid as it is found, or the error that
    /// ends it.
    type Stream: Iterator<Item = Result<Pid, Error>> + core::iter::FusedIterator + core::fmt::Debug;

    /// Starts streaming `query`; `Ok(None)` where this backend fills.
    fn stream(&self, query: &PidQuery) -> Result<Option<Self::Stream>, Error>;
}

/// Streaming a [`Query`](crate::Query): a backend whose scan can be
/// streamed says how; the others return `Ok(None)` and the query fills.
pub(crate) trait StreamQuery {
    /// The iterator.
    type QueryStream<'a>: Iterator<Item = Result<Pid, Error>>
        + core::iter::FusedIterator
        + core::fmt::Debug;

    /// Starts streaming `query`'s scan (every condition tested per pid);
    /// `Ok(None)` where this backend fills.
    fn stream_query<'a>(
        &self,
        query: &crate::Query<'a>,
    ) -> Result<Option<Self::QueryStream<'a>>, Error>;
}

/// The planner over a backend without a scan of its own: the kernel's
/// filters drive, one per-process info call tests.
macro_rules! select_by_info {
    ($ty:ty, ascending: $asc:expr) => {
        impl crate::list::plan::Select for $ty {
            type Reader<'s> = crate::list::plan::InfoReader<'s, $ty>;

            fn reader(&self, query: &crate::Query<'_>) -> Result<Self::Reader<'_>, Error> {
                crate::list::plan::linux_only(query)?;
                Ok(crate::list::plan::InfoReader::new(self))
            }

            fn kernel_filters(&self) -> bool {
                true
            }

            fn ascending(&self) -> bool {
                $asc
            }

            fn scan(
                &self,
                _each: &mut dyn FnMut(Pid) -> Result<(), Error>,
            ) -> Option<Result<(), Error>> {
                None
            }
        }

        impl crate::sys::StreamQuery for $ty {
            type QueryStream<'a> = crate::sys::NoStream;

            fn stream_query<'a>(
                &self,
                _query: &crate::Query<'a>,
            ) -> Result<Option<crate::sys::NoStream>, Error> {
                Ok(None)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use select_by_info;

/// The stream of a backend that does not stream: it has no values.
#[cfg_attr(target_os = "linux", allow(dead_code))]
#[derive(Debug)]
pub(crate) enum NoStream {}

impl Iterator for NoStream {
    type Item = Result<Pid, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match *self {}
    }
}

impl core::iter::FusedIterator for NoStream {}
