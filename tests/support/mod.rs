//! What the integration tests share, written once.
//!
//! - [`process`]: [`Proc`], the one process guard (killed and reaped when
//!   dropped), and [`Procs`], many of them;
//! - [`fixtures`]: processes in a known final state ([`sleeper`],
//!   [`family`], [`pty_session`], [`high_pty_session`], [`zombie`],
//!   [`forged_name`], [`with_uids`]);
//! - [`wait`]: [`wait_until`], the one polling loop;
//! - [`ps`]: the oracle, `ps` (procps); [`procfs`]: direct reads of `/proc`
//!   (`comm`, state, uids, the `children` file);
//! - [`env`]: root and tool checks, and the skip messages of tests that
//!   need what is missing;
//! - [`alloc`]: the counting allocator;
//! - [`raw`]: the raw calls adversaries are built from (fork, `clone3`
//!   with `set_tid`, namespaces, ids, a proc mount);
//! - [`hostile`]: re-execution of a test binary in a child mode;
//! - [`churn`]: the soak's fixture, a core of steady processes among
//!   churning ones, [`churn_calls`], the raw calls it makes, and
//!   [`judge`], its count of wrong answers per path;
//! - [`parse_checks`], [`tree_checks`], [`model_check`] and
//!   [`freebsd_check`]: the checks the fuzz targets run, replayed by
//!   `tests/fuzz_replay.rs`; the two model checkers share the frame of
//!   [`ops_check`].
//!
//! Include it from a test file with `mod support;`. Each test binary uses a
//! different part of it, hence the module-wide `allow(dead_code,
//! unused_imports)`. Nothing
//! here uses the crate under test to find or describe processes.

#![allow(dead_code, unused_imports)]

pub mod alloc;
#[cfg(feature = "model")]
#[macro_use]
pub mod ops_check;
#[cfg(feature = "model")]
pub mod freebsd_check;
#[cfg(feature = "model")]
pub mod model_check;
pub mod parse_checks;
pub mod tree_checks;
pub mod wait;

#[cfg(target_os = "linux")]
pub mod churn;
#[cfg(target_os = "linux")]
pub mod churn_calls;
#[cfg(target_os = "linux")]
pub mod env;
#[cfg(target_os = "linux")]
pub mod fixtures;
#[cfg(target_os = "linux")]
pub mod hostile;
#[cfg(target_os = "linux")]
pub mod judge;
#[cfg(target_os = "linux")]
pub mod process;
#[cfg(target_os = "linux")]
pub mod procfs;
#[cfg(target_os = "linux")]
pub mod ps;
#[cfg(target_os = "linux")]
pub mod raw;

pub use wait::{wait_until, wait_until_within, TIMEOUT};

#[cfg(target_os = "linux")]
pub use {env::*, fixtures::*, process::*, procfs::*, ps::*};
