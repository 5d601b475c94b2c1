//! An in-memory model of FreeBSD's `sysctl kern.proc.*`, for tests and
//! fuzzing on any host (feature `model`).
//!
//! A [`Model`] is a process table — [`Proc`]s with parent, group, session,
//! terminal, credentials, jail, threads — in a pid hash, behind an exact
//! reproduction of the kernel's list and pid nodes (`sys/kern/kern_proc.c`,
//! `sys/kern/kern_sysctl.c`):
//!
//! - **records**: 1088-byte `kinfo_proc`s, zero-filled, `ki_structsize`
//!   1088, each field derived as `fill_kinfo_proc` does: `ki_ppid` is the
//!   real parent (0 for pid 0); `ki_tdev` is the session terminal's device
//!   for a `P_CONTROLT` process (`NODEV` otherwise, and truncated to 32
//!   bits in `ki_tdev_freebsd11`), `ki_tpgid` its foreground group
//!   (`NO_PID` when none, 0 without a terminal), `ki_tsid` its session;
//!   `KI_CTTY` in `ki_kiflag` while the session holds its terminal's vnode
//!   (`s_ttyvp`) and `KI_SLEADER` for its live leader
//!   (`fill_kinfo_proc_pgrp`: "if (sp->s_ttyvp) kp->ki_kiflag |=
//!   KI_CTTY"); `ki_start` as boot time plus the start, in microseconds;
//!   `SZOMB` for zombies; `P_JAILED` and `ki_jid` (0 for the caller's own
//!   jail);
//! - **the walk set**: every process but those mid-fork (`New`): live,
//!   exiting and zombie, pid 0 included (a system process);
//! - **visibility**: what `p_cansee` hides (other jails than the caller's
//!   and those nested in it; other real uids, no common real group or
//!   another jail under `security.bsd.see_*` = 0; root exempt from the
//!   latter) is skipped silently;
//! - **filters**: `KERN_PROC_PGRP`, `_SESSION`, `_TTY` (`P_CONTROLT`, a
//!   session tty, and the `int` argument sign-extended to `dev_t`), `_UID`
//!   (effective), `_RUID`, `_RGID`, `_GID`; no parent filter exists;
//! - **multiplicity**: `KERN_PROC_ALL` and every `KERN_PROC_INC_THREAD` op
//!   give one record per thread, the others one per process;
//! - **names**: `KERN_PROC_ALL` is a leaf (exactly 3 words; more is
//!   `ENOTDIR`), `KERN_PROC_PROC` takes 3 or 4, the other nodes exactly 4
//!   (else `EINVAL`); an unregistered op, `ALL | INC_THREAD` among them, is
//!   `ENOENT`; `kern.proc` alone is `EISDIR`; fewer than 2 or more than 24
//!   words `EINVAL`; capability mode makes a read with a buffer `EPERM`;
//! - **the probe** (NULL buffer) is a walk of its own: `(5 + matches) ×
//!   1088` for a list op, `records × 1088` for `KERN_PROC_PID`;
//! - **the fetch** copies byte-exact up to the buffer's length; a record
//!   that does not fit is copied in part, the walk stops, and the call is
//!   `ENOMEM` with `*oldlenp` = the length passed — or 0 when the buffer
//!   exceeds the wiring limit ([`Model::max_wired`]). An exact fit
//!   succeeds with `*oldlenp` = the bytes written;
//! - **the walk** ([`Walk::Striped`], FreeBSD 13+) goes stripe by stripe in
//!   `proc_iterate`'s order (bucket `pid & mask`, newest first) and between
//!   two stripes the schedule forks (children are `New` until the next
//!   point), exits, reaps, moves groups, starts sessions and changes ids;
//!   [`Walk::Atomic`] (FreeBSD ≤ 12) walks `allproc` then `zombproc` as
//!   one snapshot;
//! - **`KERN_PROC_PID`**: zombies found; absent or hidden is `ESRCH`; a pid
//!   above 99999 is a thread id and answers its process;
//! - **`KERN_PROC_PATHNAME`, `KERN_PROC_FILEDESC`**: the executable's path
//!   with its NUL; packed `kinfo_file`s, cut silently before a record that
//!   does not fit (`files.rs`);
//! - **`exit1`** (`life.rs`): every child, zombies included, goes to its
//!   reaper (`p_reaper`: init, or the nearest ancestor that acquired the
//!   role before it was forked) with `ki_ppid` rewritten; the tracees of
//!   an exiting debugger go back to their real parents, untraced; an
//!   orphan under a debugger gets its reaper as `ki_ppid` (13.0 and later;
//!   [`Model::pre13_exit`] keeps the dead parent); `killjobc` lets a
//!   leader's session let go of its terminal, leaving `s_ttyp` (so the
//!   `KERN_PROC_TTY` node still matches its members, without `KI_CTTY`).
//!
//! [`sysctl`] is a stand-in with the exact signature of `libc::sysctl`;
//! [`Model::fill`], [`Model::fill_slice`] and [`Model::probe`] run the
//! crate's engine through it with the very code FreeBSD runs over libc.
//! Only the function (and the record layout, `libc`'s there) differs.
//!
//! # Races
//!
//! A schedule says what happens around each call ([`Model::script`],
//! [`Model::on_every_call`]): [`Churn`] [`before`](Call::before) the call
//! and [`between`](Call::between) every two stripes of its walk, with
//! victims drawn from a [seeded](Model::seed) generator, and errors
//! ([`Call::fail`]). [`Model::record`] keeps an [`Observation`] of each
//! call: the table as [`View`]s when its walk began and ended, and who was
//! born in between, so that a test can check that a process present and
//! unchanged for the whole walk was listed exactly once.
//!
//! # Examples
//!
//! A process table churning between every two lock stripes: every process
//! that lived through the call unchanged is in the answer, once.
//!
//! ```
//! use pidquery::model::freebsd::{Call, Churn, Model};
//! use pidquery::{PidBuf, PidQuery};
//!
//! let mut model = Model::new();
//! for _ in 0..200 {
//!     model.spawn(pidquery::Pid::from_raw(1).unwrap());
//! }
//! model.record(true);
//! model.on_every_call(Call {
//!     between: Churn { fork: 2, exit: 1, reap: 1, ..Churn::NONE },
//!     ..Call::QUIET
//! });
//! let mut buf = PidBuf::new();
//! let all = model.fill(&PidQuery::all(), &mut buf).unwrap().to_vec();
//! let last = model.observations().iter().rev().find(|o| o.fetched()).unwrap();
//! for p in last.stable() {
//!     assert_eq!(all.iter().filter(|&&q| q == p.pid).count(), 1);
//! }
//! ```
//!
//! # Layout
//!
//! - `table.rs`: [`Proc`], [`Tty`], [`Model`], the pid hash, and forks;
//! - `life.rs`: `exit1` and `proc_reap`;
//! - `session.rs`: groups, sessions, terminals, jails;
//! - `knobs.rs`: the caller, visibility, wiring, the walk;
//! - `schedule.rs`: [`Churn`] and [`Call`] (queued as the xnu model's
//!   are, `../script.rs`), and the seeded choice of victims;
//! - `record.rs`: `fill_kinfo_proc`, `p_cansee` and the filters;
//! - `observe.rs`: [`Observation`]s and [`View`]s;
//! - `kernel.rs`: the `sysctl` semantics over the table, and the engine's
//!   entry points ([`Model::fill`] …);
//! - `files.rs`: `kern.proc.pathname` and `kern.proc.filedesc`;
//! - `inspect.rs`: the per-process calls through the backend
//!   ([`Model::info`] …);
//! - `abi.rs`: the C-ABI stand-in [`sysctl`], the only `unsafe` code,
//!   serving from the per-thread slot the xnu stand-ins use too
//!   (`../installed.rs`).

mod abi;
mod files;
mod inspect;
mod kernel;
mod knobs;
mod life;
mod observe;
mod record;
mod schedule;
mod session;
mod table;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_walk;

use core::ffi::c_int;

pub use abi::sysctl;
pub use observe::{Observation, View};
pub use schedule::{Call, Churn};
pub use table::{Model, Pidhash, Proc, State, Tty, Walk};

/// The `kern.proc` mib numbers and kernel constants the model (and the
/// backend) use.
pub use crate::sys::freebsd::consts;

/// The mib the FreeBSD backend sends for `query` (`None` for `tty(NODEV)`,
/// which it answers without a call), and whether it keeps every record
/// (a kernel filter) or selects among the whole table.
///
/// ```
/// use pidquery::model::freebsd::{consts, mib};
/// use pidquery::{Pid, PidQuery};
///
/// let (all, kernel) = mib(&PidQuery::all()).unwrap();
/// assert_eq!((all.as_slice(), kernel), (&[1, 14, consts::KERN_PROC_PROC][..], true));
/// let (ppid, kernel) = mib(&PidQuery::ppid(Pid::ZERO)).unwrap();
/// assert_eq!((ppid, kernel), (all, false));
/// ```
pub fn mib(query: &crate::PidQuery) -> Option<(Vec<c_int>, bool)> {
    crate::sys::freebsd::Plan::of(query).map(|p| (p.mib().to_vec(), p.kernel_filtered()))
}
