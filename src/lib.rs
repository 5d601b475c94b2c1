//! List the process ids matching one filter — all processes, or those with a
//! given process group, controlling terminal, effective uid, real uid or
//! parent — or a [`Query`] combining many (names, command lines, states,
//! ids, trees), exactly, without heap allocation in steady state, and never
//! silently cut short.
//!
//! # Examples
//!
//! A hot loop that rediscovers a process's children:
//!
//! ```
//! use pidquery::{Pid, PidBuf, PidQuery};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut child = std::process::Command::new("sleep").arg("5").spawn()?;
//! let children = PidQuery::ppid(Pid::this());
//! let mut buf = PidBuf::new(); // reused: no allocation after warm-up
//! for _ in 0..3 {
//!     let pids = children.fill(&mut buf)?;
//!     assert!(pids.contains(&Pid::from(&child)));
//! }
//! child.kill()?;
//! child.wait()?;
//! # Ok(()) }
//! ```
//!
//! Storage of your own, with a typed error when it is too small:
//!
//! ```
//! use pidquery::{ErrorKind, Pid, PidQuery};
//!
//! let mut slots = [Pid::ZERO; 1];
//! match PidQuery::all().fill_slice(&mut slots) {
//!     Ok(n) => println!("{n} process"),
//!     Err(e) if matches!(e.kind(), ErrorKind::Truncated { .. }) => println!("{e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok::<(), pidquery::Error>(())
//! ```
//!
//! Who a process is, with the same guarantees — one `Copy` value, buffers
//! reused, a typed "no such process", an identity that survives pid reuse:
//!
//! ```
//! use pidquery::{Pid, ThreadBuf};
//!
//! # fn main() -> Result<(), pidquery::Error> {
//! # if pidquery::System::live().is_err() { return Ok(()) }
//! let me = Pid::this().info()?; // a ProcInfo: ids, owner, state, start, comm
//! assert_eq!(me.ppid, Pid::parent());
//! let mut threads = ThreadBuf::new();
//! assert!(!Pid::this().threads(&mut threads)?.is_empty());
//! let id = Pid::this().identity()?; // pid + start time (+ the kernel's unique key)
//! assert!(id.is_current()?);
//! # Ok(()) }
//! ```
//!
//! See [`ProcInfo`], [`System::info`], [`System::infos`], [`System::exe`],
//! [`System::threads`], [`System::fds`] and [`ProcId`].
//!
//! # What you get
//!
//! - **Exact.** Each filter uses the kernel's own notion: effective uid from
//!   the owner of `/proc/<pid>` (Linux) or `PROC_UID_ONLY` (macOS), real uid
//!   from `status`, parent, group and terminal from `stat` parsed after the
//!   *last* `)`, so no process name can forge a field.
//! - **Fast where it matters.** Each filter does the least kernel work that
//!   answers it; on Linux `ppid` costs O(threads + children), not
//!   O(processes), by reading the parent's `children` files and falling
//!   back to a scan whenever that answer cannot be proven complete; `ruid`
//!   and a `ppid` scan ask `PIDFD_GET_INFO` (6.13+) instead of reading a
//!   file per process; [`PidQuery::iter`] streams the scan, so an early
//!   exit stops it.
//! - **Zero allocation.** A [`PidBuf`] holds small answers inline and is
//!   reused; paths are built on the stack; the proc root stays open.
//! - **Trees and changes.** [`PidQuery::descendants`] lists a whole subtree
//!   in O(descendants) on Linux; a [`Watch`] reports the processes born and
//!   gone since its last poll, from two reused buffers and a sorted merge,
//!   and with [`Watch::track_reuse`] tells a reused pid from the process
//!   it named.
//! - **Never short.** A fill is complete or an error: on macOS a return that
//!   fills the buffer may be truncated, so the engine grows and retries
//!   (bounded, then [`ErrorKind::Raced`]); [`PidQuery::fill_slice`] says
//!   [`ErrorKind::Truncated`] with the size needed.
//!
//! # Semantics
//!
//! | | Linux (`/proc`) | macOS (`proc_listpids`) | FreeBSD (`sysctl kern.proc`) |
//! | --- | --- | --- | --- |
//! | consistency | no snapshot: every process alive for the whole query is listed; one born or reaped during it may or may not be | one atomic list per kernel call | as Linux since 13.0 (the pid hash one lock stripe at a time); one snapshot per call before |
//! | order | ascending, no duplicates | newest first, zombies last (not a contract) | ascending, no duplicates |
//! | zombies | listed | listed | listed |
//! | kernel threads | listed (kthreadd and its children) | `kernel_task` is pid 0 | kernel processes listed, `kernel` is pid 0 |
//! | threads | never listed | never listed | never listed |
//! | `uid` | effective uid (owner of `/proc/<pid>`, one `fstatat`) | effective uid | effective uid (kernel filter) |
//! | `ruid` | real uid (`Uid:` of `status`) | real uid | real uid (kernel filter) |
//! | `ppid` | real parent (`stat`); a tracer does not count | parent, and also the original parent of a traced process | real parent (`ki_ppid`); a tracer does not count; never a process that started before the parent |
//! | `pgrp` | process group (`stat`) | process group | process group (kernel filter) |
//! | `tty` | controlling terminal (`tty_nr` of `stat` against `st_rdev`, right for `/dev/pts/256` and up); no ctty never matches | session tty of a process with a controlling terminal | session tty of a process with a controlling terminal, while the session still holds it (`KI_CTTY`: not after its leader exited) |
//! | `descendants` | the subtree by real parents: `children` files walked breadth first, or one scan of `stat` linked in the buffer; not a snapshot, but exact in the sense of [the contract below](#descendants-while-the-tree-changes); ascending | by `PROC_PPID_ONLY` from each process found (so traced processes count below their original parent too); sorted ascending | the subtree by real parents, from one fetch of the table linked in user space; ascending |
//! | numbering | the pid namespace of the proc mount | global | global (a jail sees its own) |
//! | hidden processes | `hidepid` mounts: what the mount shows; a pid that vanishes or is denied mid-query is skipped | sandbox denial is an error | jails, and for an unprivileged caller `security.bsd.see_other_uids=0` (offered by the installer's hardening menu), `see_other_gids=0`, `see_jail_proc=0`: the kernel leaves them out of `all`, `ppid` and `descendants` with nothing to show it |
//! | a full buffer | the backend counts every match, so it knows the size | proves nothing: grow and ask again | complete (the kernel fails a short one with `ENOMEM`) |
//!
//! Each fast path rests on things the kernel does, some promised (a documented
//! interface) and some only how today's kernel works. `ASSUMPTIONS.md` in the
//! repository lists every one, with its source, whether it is ABI, and what
//! checks it at run time (or why nothing can).
//!
//! ## `descendants` while the tree changes
//!
//! On Linux, take the query to last from its first kernel call to its
//! last, and say a process is *below* the root at an instant when
//! following real parents from it reaches the root then. Then:
//!
//! - **every process below the root for the whole query is listed**,
//!   however its line of ancestors changes meanwhile: when a process in
//!   between exits, its children go to an ancestor (a thread of its own
//!   process, the nearest subreaper, or init), and if that ancestor is the
//!   root or below it (a subreaper root, a subreaper inside the tree) they
//!   are still listed;
//! - **every listed process was below the root at some instant of the
//!   query**: one born into the tree meanwhile may or may not be listed,
//!   and so may one that leaves it (handed to a reaper above the root), but
//!   a process that never was below the root never is, whatever pids are
//!   reused meanwhile;
//! - a root that exits during the query hands its children to an
//!   ancestor, and nothing is below it from then on: the answer holds what
//!   was below it before, or part of that; a pid that names no process
//!   has no descendants;
//! - when processes change faster than an answer can be proven (a process
//!   created somewhere during each walk, and a fresh process in the middle
//!   of the tree at each scan), the query fails with [`ErrorKind::Raced`]
//!   rather than give an answer it cannot prove.
//!
//! On macOS and FreeBSD a process whose ancestry stays put during the
//! query is listed.
//!
//! On macOS an answer is exact at the instant of the kernel call that
//! produced it. The one exception is xnu's own: the kernel caps a list at
//! the process count it read *before* walking plus 20, so more than 20
//! forks inside that window can cut a list short with nothing to show it.
//! The in-memory model (feature `model`) reproduces that case, and every
//! other race, so the macOS path is tested on any host. For the bare call
//! see `pidquery::macos::proc_listpids_raw` (macOS only).
//!
//! ## A process that execs from a thread
//!
//! On Linux, a process whose thread other than the main one calls
//! `execve` keeps its pid, parent, group, session and start time, but for
//! a moment `/proc/<pid>` shows its old main thread: a zombie, then a task
//! already released (group and session -1, parent 0), and a descriptor of
//! `/proc/<pid>` opened at that moment may stay bound to that old thread
//! and fail once it is released. Every call reads such a process again,
//! and none calls it gone because of that moment:
//!
//! - **"no such process" only when proven**: [`System::info`],
//!   [`System::exe`], [`System::threads`], [`System::fds`],
//!   [`System::identity`] and [`System::is_current`] say
//!   [`ErrorKind::NoSuchProcess`] (or `false`) only when a new lookup of
//!   `/proc/<pid>` fails or, with pidfs, the pidfd says so; the scan
//!   behind [`PidQuery`] fills and iterators (a `ppid` or `descendants`
//!   query included), [`System::infos`] and the reader of a [`Query`]'s
//!   conditions leave a process out only when its files are gone and
//!   `/proc/<pid>` no longer resolves;
//! - **then "kept changing", never a guess**: each re-read that finds the
//!   process in such a window again has caught a new exec, and the re-reads
//!   are bounded (eight rounds per call, four per process in a scan). A
//!   process that is inside a new exec window at every one of them makes
//!   the call fail with [`ErrorKind::Raced`], its [`Error::pid`] naming
//!   the process: it is alive, and asking again is the remedy. This takes
//!   a process that execs from a thread continuously, and a reader much
//!   slower than it (valgrind's memcheck was one); no call waits
//!   unboundedly for a process that may never stop exec'ing.
//!
//! # Conditions
//!
//! A [`Query`] combines conditions: a process matches when it satisfies
//! every condition, each condition accepting any of its values ([`Set`]).
//! One planner answers it: the cheapest complete source drives (the
//! subtree walk for `descendant_of`, the parent's `children` files for
//! `parent`, on macOS and FreeBSD the kernel's filter for `pgrp`, `euid`,
//! `ruid` or `tty`, else the scan; a negated query scans), then the other
//! conditions are tested per candidate in the order of this table, each
//! source read at most once per process and only when a condition needs
//! it; the first that fails stops the reads. Costs are per candidate, as
//! measured on Linux here (see the design notes): `fstatat` ≈ 1.3 µs,
//! `stat` ≈ 11 µs, `status` ≈ 20 µs, `pidfd_open` + `PIDFD_GET_INFO` +
//! `close` ≈ 6.5 µs.
//!
//! | condition | Linux reads | macOS / FreeBSD reads | cost per candidate (Linux) |
//! | --- | --- | --- | --- |
//! | [`except`](Query::except) | nothing | nothing | none |
//! | [`euid`](Query::euid) | owner of `/proc/<pid>` (`fstatat`; the owner a reaped task reads as is confirmed) | kernel filter (`PROC_UID_ONLY`, `KERN_PROC_UID`) when it drives, else the info call | one `fstatat` |
//! | [`pgrp`](Query::pgrp), [`session`](Query::session), [`tty`](Query::tty), [`parent`](Query::parent), [`state`](Query::state), [`name`](Query::name), [`started_before`](Query::started_before)/[`after`](Query::started_after) | `stat`, once for all of them | kernel filter (`pgrp`, `tty`, `ppid`) when it drives, else `proc_pidinfo` / `kern.proc.pid` | one `stat` read |
//! | [`descendant_of`](Query::descendant_of) | drives: the subtree walk (O(descendants)); when negated: `stat` of each ancestor | drives: the walk by `PROC_PPID_ONLY` / one table fetch | O(depth) `stat` reads when it does not drive |
//! | [`ruid`](Query::ruid), [`rgid`](Query::rgid) | `PIDFD_GET_INFO` on a pidfd (Linux 6.13+, pids of the caller's pid namespace, a mount without `hidepid=`; bound as a file read is), else `status` | kernel filter (`ruid`) or the info call | one `pidfd_open` + ioctl + `close`, about half a `status` read; else one `status` read |
//! | [`same_namespaces`](Query::same_namespaces) | the reference's `ns/<kind>` links once per run, then each candidate's (`fstatat` following the link: the `nsfs` inode) | unsupported ([`ErrorKind::Unsupported`] before anything is listed) | one `fstatat` per kind |
//! | [`cgroup`](Query::cgroup) | `cgroup` (its `0::` line; a fixed buffer) | unsupported ([`ErrorKind::Unsupported`] before anything is listed) | one `cgroup` read |
//! | [`cmdline`](Query::cmdline) | `cmdline` (into a per-thread buffer) | unsupported | one `cmdline` read |
//! | [`newest`](Query::newest), [`oldest`](Query::oldest) | `stat` of each match | the info call | one `stat` read per match |
//!
//! Two sources of one process are bound to one process even if its pid is
//! reused meanwhile: with an `euid` condition, the owner is read first by
//! name (one `fstatat` rules most processes out) and a last lookup of
//! `/proc/<pid>` must find the same inode; otherwise Linux opens the
//! directory once (`O_PATH`) and reads through it. The real ids asked of a
//! pidfd are bound the same way: the pidfd is opened before the directory
//! and asked after it, or a lookup through the directory follows.
//!
//! # Retry policy
//!
//! See [`MAX_ATTEMPTS`]: a fill makes at most that many attempts, one
//! fetch each (and at most one size probe), the budget shared by the
//! engine and the backend (xnu's `descendants` attempt is a walk of one
//! call per process found); the buffer at least doubles after every full
//! answer, and grows to the reported need plus an eighth plus 16.
//! [`ErrorKind::Raced`] reports the attempts spent.
//!
//! # Architecture
//!
//! The folders are the layers, each driving the one below it:
//!
//! - the capabilities, the public face: what to ask and where the answer
//!   goes ([`PidQuery`], [`PidBuf`], [`Watch`], [`links`]: `list/`), who
//!   a process is ([`ProcInfo`], [`ExeBuf`], [`ThreadBuf`], [`FdBuf`],
//!   [`ProcId`]: `info/`), and the kernel asked ([`System`]: `system.rs`);
//! - the engine (`list/engine.rs`): fill, verify, grow and retry until an
//!   answer is provably whole, once for every backend; the per-process
//!   buffers grow and retry the same way (`info/slots.rs`,
//!   `info/exe_buf.rs`);
//! - the backend contract (`sys/mod.rs`): the capabilities a backend
//!   implements, and what it shares with the engine without calling it
//!   (the growth rule and the attempt budget, `sys/growth.rs`; a complete
//!   listing is handed in);
//! - the backends (`sys/linux/`, `sys/xnu/` with its shim `sys/macos.rs`,
//!   `sys/freebsd/`, `sys/unsupported.rs`), reading kernel bytes with the
//!   pure parsers of [`parse`] (fuzzed, and fed by the models);
//! - the raw calls: the few files that allow `unsafe`, each one's
//!   `// SAFETY:` comments saying what is checked and what is assumed of
//!   the kernel (listed in `sys/mod.rs`).
//!
//! The value types ([`Pid`], [`Dev`], [`Error`] …) and the buffers the
//! answers are written to are shared by every layer. The in-memory kernels
//! (`sys/model/`, feature `model`) stand in for libproc and `sysctl` under
//! the xnu and FreeBSD call patterns, and run the engine through them as
//! [`System`] runs the live backend.
//!
//! # Features
//!
//! - `model`: the `model` module, an in-memory model of xnu's `proc_listpids` with
//!   injectable fork races and errors, that runs the engine through the same
//!   code as macOS, for tests and fuzzing on any host; and `model::freebsd`,
//!   an in-memory model of FreeBSD's `sysctl kern.proc` (kernel filters, a
//!   pid hash walked one lock stripe at a time with races between stripes,
//!   byte-exact `ENOMEM`), which does the same for the FreeBSD backend.
//!
//! # FreeBSD
//!
//! Listing goes through `sysctl kern.proc`: `pgrp`, `uid`, `ruid` and
//! `tty` are filtered by the kernel (`tty` then also needs `KI_CTTY`), `all`
//! is `KERN_PROC_PROC` (one record per process), `ppid` and `descendants`
//! are one fetch of the process table compared on `ki_ppid` (the real
//! parent). Answers are ascending. Since FreeBSD 13 the walk is not a
//! snapshot: as on Linux, every process alive for the whole call is listed
//! and one born or reaped during it may or may not be. Processes the
//! caller may not see (jails, `security.bsd.see_*`) are left out; zombies
//! are listed. An exactly full buffer is complete, and a buffer the kernel
//! cannot wire is [`ErrorKind::WiringLimit`]. Per-process information
//! (`info`, `exe`, `threads`, `fds`, `identity`) reads `kern.proc.pid`,
//! `pathname` and `filedesc`; FreeBSD has no never-reused process id, so
//! an identity is the pid and its start time (microseconds).

#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// The model's unit tests include the test-support checker, which names the
// crate from outside.
#[cfg(test)]
extern crate self as pidquery;

mod dev;
mod errno;
mod error;
mod info;
mod list;
pub mod parse;
mod pid;
mod sys;
mod system;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use dev::Dev;
pub use errno::Errno;
pub use error::{Error, ErrorKind};
pub use info::comm::Comm;
pub use info::exe_buf::{Exe, ExeBuf};
pub use info::fd_buf::{Fd, FdBuf, FdKind};
pub use info::flags::ProcFlags;
pub use info::info_buf::InfoBuf;
pub use info::proc_id::ProcId;
pub use info::proc_info::ProcInfo;
pub use info::start_time::{EpochSeconds, StartTime};
pub use info::state::State;
pub use info::thread_buf::{Thread, ThreadBuf};
pub use list::buf::{Iter, PidBuf, Pids, INLINE_PIDS};
pub use list::cond::{Match, MatchBytes, Namespaces, Set, States};
pub use list::engine::MAX_ATTEMPTS;
pub use list::matches::Matches;
pub use list::query::{Filter, PidQuery};
pub use list::select::{Pick, Query};
pub use pid::Pid;
// The backends' public extras (`macos`, `model`); none on most platforms.
pub use list::links;
pub use list::watch::{Change, Changes, Watch};
#[allow(unused_imports)]
pub use sys::public::*;
pub use system::{System, DEFAULT_PROC_ROOT};
