//! Backends. Every backend provides one type implementing [`Kernel`]:
//!
//! - `linux`: `/proc` through `getdents64`, `fstatat` and `openat`;
//! - `xnu`: the macOS call pattern over any function with the signature of
//!   `libc::proc_listpids`; `macos` plugs in the real one;
//! - `model` (feature `model`, and tests): an in-memory model of xnu's
//!   `proc_listpids`, with injectable races and errors;
//! - `unsupported`: every call fails with `ErrorKind::Unsupported`.
//!
//! All `unsafe` code of the crate lives under this module.

use crate::{Error, Pid, PidQuery};

#[cfg(target_os = "linux")]
pub(crate) mod linux;

/// The xnu call pattern, compiled on every host that can run its tests.
#[cfg(any(target_os = "linux", target_vendor = "apple"))]
pub(crate) mod xnu;

#[cfg(target_os = "macos")]
pub mod macos;

#[cfg(all(
    any(feature = "model", test),
    any(target_os = "linux", target_vendor = "apple")
))]
pub(crate) mod model;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) mod unsupported;

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

/// A source of pid lists: "list the pids matching `query` into this slice".
///
/// The engine drives it; a backend is free to answer a query by whatever
/// strategy is cheapest (a full scan, a children file, a kernel filter), as
/// long as the result is the same.
pub(crate) trait Kernel {
    /// How many pids a fill of `query` should reserve.
    fn estimate(&self, query: &PidQuery) -> Result<usize, Error>;

    /// Writes matching pids to the front of `out`.
    fn list(&self, query: &PidQuery, out: &mut [Pid]) -> Result<Listed, Error>;
}
