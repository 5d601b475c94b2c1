//! The backends: the only part of the crate that names an operating system.
//!
//! # The contract every backend provides
//!
//! A backend is a module that exports:
//!
//! - `Live`, the type a [`System`](crate::System) wraps, implementing
//!   [`Platform`] (open the live system; open a proc root where the platform
//!   has one; name the root it reads) and each capability it offers:
//!   [`ListPids`] today, per-process information beside it later. A backend
//!   may offer one capability without another;
//! - `dev`, the platform's `dev_t` encoding: `makedev(major, minor) -> u64`,
//!   `major(u64) -> u32`, `minor(u64) -> u32`, as `const fn`s, so that
//!   [`Dev`](crate::Dev) and the kernel's terminal numbers agree;
//! - `public`, a module of the items it adds to the public API (re-exported
//!   at the crate root; empty for most).
//!
//! The call patterns of foreign kernels (`xnu/`) are compiled on every host
//! that can run their tests, over stand-ins with `libc`'s exact signatures
//! (`model/`); only a thin shim (`macos.rs`) plugs in the real functions.
//!
//! # Adding a backend
//!
//! 1. A folder `sys/<name>/` whose `mod.rs` exports `Live`, `dev` and
//!    `public` as above; raw calls in their own file with
//!    `#![allow(unsafe_code)]` and a `// SAFETY:` comment on every block.
//! 2. One line in the table below (and its `mod` declaration).
//! 3. One test file that runs the conformance suite (`tests/conformance/`)
//!    against it, live or through a model of its kernel.
//!
//! # `unsafe`
//!
//! The crate denies `unsafe_code`; the files that make raw calls allow it
//! for themselves: `errno.rs`, `linux/syscalls.rs`, `xnu/mod.rs`,
//! `macos.rs` and `model/abi.rs`.

use std::path::Path;

use crate::{Error, Pid, PidQuery};

// ---- the one selection point ---------------------------------------------

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as imp;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as imp;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod unsupported;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
use unsupported as imp;

pub(crate) use imp::{dev, Live};

/// The streaming iterator of the live backend, or [`NoStream`].
pub(crate) type Stream = <Live as StreamPids>::Stream;

// ---- code compiled on every host that can test it ------------------------

// The thread's `errno` slot, for libproc's 0-with-errno convention.
#[cfg(any(target_os = "linux", target_vendor = "apple", target_os = "freebsd"))]
pub(crate) mod errno;

// The xnu call pattern over `proc_listpids`-shaped functions.
#[cfg(any(target_os = "linux", target_vendor = "apple", target_os = "freebsd"))]
pub mod xnu;

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
        /// `None` when it cannot know (xnu stops at the buffer's end).
        needed: Option<usize>,
    },
}

/// The listing capability: "list the pids matching `query` into this slice".
///
/// The engine (`list/engine.rs`) drives it; a backend is free to answer a
/// query by whatever strategy is cheapest (a full scan, a children file, a
/// kernel filter), as long as the result is the same.
pub(crate) trait ListPids {
    /// How many pids a fill of `query` should reserve.
    fn estimate(&self, query: &PidQuery) -> Result<usize, Error>;

    /// Writes matching pids to the front of `out`.
    fn list(&self, query: &PidQuery, out: &mut [Pid]) -> Result<Listed, Error>;
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
