//! An in-memory model of xnu's `proc_listpids` and `proc_pidinfo`, for
//! tests and fuzzing on any host (feature `model`).
//!
//! A [`Model`] is a process table — [`Proc`]s with parent, group, terminal,
//! uids, ptrace state — behind an exact reproduction of the kernel call
//! (`bsd/kern/proc_info.c`) and its libproc wrapper:
//!
//! - a NULL buffer returns `(nprocs + 20) * 4` bytes for every type, where
//!   `nprocs` counts live processes, zombies and exec's shadow copies;
//! - a buffer under 4 bytes is `ENOMEM`; a sandbox denial is an error;
//! - the kernel writes at most `min(buffersize / 4, nprocs + 20)` pids, with
//!   `nprocs` read *before* the walk: live processes newest first
//!   (`kernel_task`, pid 0, last), then zombies most recently exited first
//!   while under capacity; shadows are counted but never listed;
//! - the predicates, quirks included: `PROC_TTY_ONLY` needs `P_CONTROLT`
//!   and matches any device when the process has no process group (before
//!   xnu-8019, none: [`TtyMatch`]); `PROC_PPID_ONLY` also matches the
//!   original parent of a traced process; an unknown type (or
//!   `PROC_KDBG_ONLY` with no kdebug process) lists nothing and succeeds;
//! - the return value is bytes; errors are 0 with `errno` set.
//!
//! [`proc_listpids`] is a stand-in with the exact signature of
//! `libc::proc_listpids`; [`Model::fill`], [`Model::fill_slice`] and
//! [`Model::probe`] run the crate's engine through it with the very code
//! macOS runs over libproc. Only the function differs.
//!
//! # Per-process calls
//!
//! Each [`Proc`] also holds what `proc_pidinfo` reports (names, ids,
//! flags, start time, `p_uniqueid`, executable, descriptors, threads, task
//! counters), and [`proc_pidinfo`], [`proc_pidpath`] and [`proc_name`] are
//! stand-ins with the exact signatures of libc's, reproducing
//! `bsd/kern/proc_info.c` and libproc's wrappers:
//!
//! - the flavor is checked first (`EINVAL`), then the buffer against the
//!   flavor's record (`ENOMEM`, before the pid is looked up), then a path
//!   buffer over 4096 bytes (`EOVERFLOW`), then the pid (`ESRCH`), then the
//!   MAC policy ([`Model::deny`], [`Model::deny_flavor`]), then the
//!   same-user check: the caller's *effective* uid
//!   ([`Model::set_caller_uid`]) must be the process's, or root's, except
//!   for the five exempt flavors (`PROC_PIDT_SHORTBSDINFO`,
//!   `PROC_PIDUNIQIDENTIFIERINFO`, `PROC_PIDPATHINFO`,
//!   `PROC_PIDCOALITIONINFO`, `PROC_PIDPLATFORMINFO`): `EPERM`;
//! - zombies are found only by `PROC_PIDTBSDINFO`,
//!   `PROC_PIDT_SHORTBSDINFO`, `PROC_PIDUNIQIDENTIFIERINFO` and
//!   `PROC_PIDT_BSDINFOWITHUNIQID` with `arg != 0` (and
//!   `PROC_PIDPLATFORMINFO`); their BSD record has `pbi_nfiles` 0 and no
//!   task-policy flags;
//! - fixed records are copied whole and return their size;
//!   `PROC_PIDLISTFDS` answers a NULL buffer with `(fd_nfiles + 20) × 8`
//!   (table slots, not open descriptors) and lists at most
//!   `min(fd_nfiles, buffersize / 8)`; `PROC_PIDLISTTHREADS` lists pthread
//!   handles (`PROC_PIDLISTTHREADIDS` thread ids), at most `min(threads +
//!   10, buffersize / 8)`; both truncate silently, with the bound read
//!   before the walk ([`InfoCall::during`]);
//! - `PROC_PIDPATHINFO` copies the whole buffer NUL-padded and returns 0;
//!   `ENOSPC` when the path does not fit, `ENOENT` for a deleted
//!   executable, `ESRCH` for none; `proc_pidpath` refuses buffers outside
//!   1024–4096 and returns `strlen`; `proc_name` refuses buffers under 32
//!   and asks `PROC_PIDTBSDINFO` with `arg` 0;
//! - every failure is 0 with `errno` set, never -1.
//!
//! [`Model::info`], [`Model::infos`], [`Model::exe`], [`Model::threads`],
//! [`Model::fds`], [`Model::identity`] and [`Model::is_current`] run the
//! xnu backend through them into the crate's public types, with the same
//! code as [`System`](crate::System) on macOS; [`InfoCall`]s script what
//! happens around each per-process call.
//!
//! # Exit
//!
//! Exit is xnu's, and harsher than a textbook's (`exit.rs` cites each line
//! of `bsd/kern/kern_exit.c`): a process spends a window in `zombproc`
//! before it is `SZOMB` ([`Model::begin_exit`]), where `proc_find` no
//! longer finds it; `P_LTRACED` is cleared at exit; a session leader's exit
//! revokes its session's terminal; an exiting parent's zombie children are
//! reaped by the kernel and its other children go to launchd, which never
//! sees them as zombies; a dying tracer hands its tracees back to their
//! original parents and kills them. A new pid never equals a live process
//! group or session id, `kernel_task`'s `p_uniqueid` is 0 and launchd's 1,
//! and `kernel_task`'s thread has a pthread handle of 0 (thread handles
//! may be 0, and repeat).
//!
//! # Races
//!
//! A schedule says what happens around each call ([`Model::script`],
//! [`Model::on_every_call`]): processes born, exiting or reaped
//! [`before`](Call::before) the call, or [`during`](Call::during) it —
//! between the kernel's read of `nprocs` and its walk — and errors
//! ([`Call::fail`], [`Model::deny`]). More than 20 forks *during* a call
//! can cut the list below the caller's buffer with nothing to tell it was
//! cut: the one short answer xnu allows, constructible here and flagged by
//! [`Observation::cut_by_estimate`].
//!
//! # Examples
//!
//! A fork storm of 50 processes before every call: the engine grows its
//! buffer and retries until one answer fits, and it is exact at that
//! instant.
//!
//! ```
//! use pidquery::model::{Call, Churn, Model};
//! use pidquery::{PidBuf, PidQuery};
//!
//! let mut model = Model::new();
//! model.on_every_call(Call { before: Churn::spawn(50), ..Call::QUIET });
//! let mut buf = PidBuf::new();
//! let all = model.fill(&PidQuery::all(), &mut buf).unwrap();
//! model.clear_schedule();
//! assert_eq!(all.len(), model.nprocs());
//! ```
//!
//! The operation-sequence checker that holds the engine to a naive oracle
//! over this model lives with the tests (`tests/support/model_check.rs`,
//! over the frame it shares with the FreeBSD checker, `ops_check.rs`),
//! shared by the `engine_ops` fuzz target and the corpus replay.

// Without the feature only the crate's own tests use this module.
#![cfg_attr(not(feature = "model"), allow(unused_imports, dead_code))]

//!
//! # Layout
//!
//! - `table.rs`: [`Proc`], [`Model`], fork and pid allocation;
//! - `exit.rs`: exit as xnu does it, and reaping, and tracing;
//! - `schedule.rs`: [`Churn`] and [`Call`], what happens around each call;
//! - `script.rs`: the queue of every schedule (this model's two and
//!   FreeBSD's): scripted entries one per call, then the every-call one;
//! - `observe.rs`: [`Observation`]s of each call;
//! - `kernel.rs`: xnu's `proc_listpids` over the table, and the engine's
//!   entry points ([`Model::fill`] …);
//! - `process.rs`: what a process holds beyond listing (names, executable,
//!   descriptors, threads, identifiers) and the operations on it
//!   ([`Model::open_fd`], [`Model::spawn_thread`], [`Model::exec`] …);
//! - `pidinfo.rs`: xnu's `proc_pidinfo` over the table;
//! - `info_schedule.rs`: the per-process schedule ([`InfoCall`],
//!   [`Burst`]);
//! - `inspect.rs`: the engine's per-process entry points ([`Model::info`],
//!   [`Model::fds`], [`Model::threads`], [`Model::exe`] …);
//! - `abi.rs`: the C-ABI stand-ins [`proc_listpids`], [`proc_pidinfo`],
//!   [`proc_pidpath`], [`proc_name`], the only `unsafe` code of the xnu
//!   model;
//! - `installed.rs`: the per-thread slot the stand-ins serve from (this
//!   model's and FreeBSD's), and [`Model::run`]'s installing of a model;
//! - `freebsd/`: the FreeBSD model, [`model::freebsd`](freebsd): `sysctl
//!   kern.proc.*` over a pid hash walked stripe by stripe, with its own
//!   stand-in [`freebsd::sysctl`].

mod abi;
mod exit;
pub mod freebsd;
mod info_schedule;
mod inspect;
mod installed;
mod kernel;
mod observe;
mod pidinfo;
mod process;
mod schedule;
mod script;
mod table;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_exit;
#[cfg(test)]
mod tests_info;
#[cfg(test)]
mod tests_inspect;

pub use abi::{proc_listpids, proc_name, proc_pidinfo, proc_pidpath};
pub use info_schedule::{Burst, InfoCall};
pub use observe::Observation;
pub use process::{Exe, Thread};
pub use schedule::{Call, Churn};
pub use table::{Model, Proc, TtyMatch};

/// The records `proc_pidinfo` copies out, as `#[repr(C)]` mirrors of
/// xnu's structs with their bytes decoded and encoded in safe code, and
/// what the xnu backend makes of them.
///
/// ```
/// use pidquery::model::records::{BsdInfo, FdInfo, TaskAllInfo};
///
/// assert_eq!((BsdInfo::SIZE, FdInfo::SIZE, TaskAllInfo::SIZE), (136, 8, 232));
/// let mut b = BsdInfo::ZEROED;
/// b.pbi_pid = 42;
/// assert_eq!(BsdInfo::decode(&b.encode()), b);
/// ```
pub mod records {
    pub use crate::sys::xnu::info::{Bsd, RawInfo, ThreadList};
    pub use crate::sys::xnu::records::*;
}

/// The xnu list types and constants the model's kernel call takes.
pub use crate::sys::xnu::consts as xnu;

/// The `(type, typeinfo)` arguments of `proc_listpids` that ask `query`.
///
/// ```
/// use pidquery::model::{xnu, xnu_args};
/// use pidquery::PidQuery;
///
/// assert_eq!(xnu_args(&PidQuery::ruid(501)), (xnu::PROC_RUID_ONLY, 501));
/// ```
pub fn xnu_args(query: &crate::PidQuery) -> (u32, u32) {
    crate::sys::xnu::encode(query)
}
