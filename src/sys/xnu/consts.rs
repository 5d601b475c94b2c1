//! xnu's `proc_info` constants, defined here because `libc` lacks them (or
//! has them for macOS only).
//!
//! These are the list *types* of `PROC_CALLNUM_LISTPIDS` (`__proc_info`
//! callnum 1), with which the xnu backend encodes a
//! [`PidQuery`](crate::PidQuery), and the flavors, sizes, `p_stat` values
//! and flag bits of `PROC_CALLNUM_PIDINFO` (callnum 2), once, for both
//! libproc on macOS and the in-crate model (on macOS they are checked
//! against `libc`'s where it has them, `records.rs`). They are public as
//! `pidquery::macos` (on macOS) and `pidquery::model::xnu` (feature
//! `model`).
//!
//! # References
//! - xnu `bsd/sys/proc_info.h` (`PROC_ALL_PIDS` … `PROC_KDBG_ONLY`, the
//!   `PROC_PID*` flavors, `PROC_FLAG_*`, `PROX_FDTYPE_*`)
//! - xnu `bsd/sys/proc.h` (`SIDL` … `SZOMB`)
//! - xnu `bsd/sys/proc_info_private.h` (`PROC_CALLNUM_*`)
//! - xnu `bsd/kern/proc_info.c` (`proc_listpids`)
//!
//! # Examples
//!
//! ```
//! # #[cfg(feature = "model")] {
//! use pidquery::model::{xnu, xnu_args};
//! use pidquery::{Pid, PidQuery};
//!
//! let q = PidQuery::ppid(Pid::from_raw(1).unwrap());
//! assert_eq!(xnu_args(&q), (xnu::PROC_PPID_ONLY, 1));
//! # }
//! ```

/// `__proc_info` call number for listing pids.
pub const PROC_CALLNUM_LISTPIDS: u32 = 1;
/// `__proc_info` call number for per-process information.
pub const PROC_CALLNUM_PIDINFO: u32 = 2;
/// `__proc_info` call number for per-descriptor information.
pub const PROC_CALLNUM_PIDFDINFO: u32 = 3;
/// `__proc_info` call number for the kernel message buffer.
pub const PROC_CALLNUM_KERNMSGBUF: u32 = 4;
/// `__proc_info` call number for process control settings.
pub const PROC_CALLNUM_SETCONTROL: u32 = 5;
/// `__proc_info` call number for fileport information.
pub const PROC_CALLNUM_PIDFILEPORTINFO: u32 = 6;

/// Every process (live, then zombies).
pub const PROC_ALL_PIDS: u32 = 1;
/// Processes whose process group id equals `typeinfo`.
pub const PROC_PGRP_ONLY: u32 = 2;
/// Processes with a controlling terminal whose session tty device is `typeinfo`.
pub const PROC_TTY_ONLY: u32 = 3;
/// Processes whose *effective* uid is `typeinfo`.
pub const PROC_UID_ONLY: u32 = 4;
/// Processes whose real uid is `typeinfo`.
pub const PROC_RUID_ONLY: u32 = 5;
/// Processes whose parent (or, when traced, original parent) is `typeinfo`.
pub const PROC_PPID_ONLY: u32 = 6;
/// Processes with kdebug tracing enabled (not exposed as a `PidQuery`).
pub const PROC_KDBG_ONLY: u32 = 7;

/// Extra pids the kernel adds to its NULL-buffer estimate: it answers
/// `(nprocs + 20) * 4` bytes, and never writes more than `nprocs + 20` pids.
pub const LISTPIDS_SLACK: usize = 20;

// ---- proc_pidinfo (callnum 2) ---------------------------------------------
//
// Flavors are `int` in libproc's prototype (`proc_pidinfo(int pid, int
// flavor, ...)`); the private ones (17, 18, 20, 28, 30) are in
// `bsd/sys/proc_info_private.h`, absent from the SDK and from `libc`.

/// Open descriptors: `n × proc_fdinfo`; a NULL buffer asks for the estimate
/// `(fd_nfiles + 20) × 8` bytes. Same user only; not for zombies.
pub const PROC_PIDLISTFDS: i32 = 1;
/// `proc_bsdinfo` followed by `proc_taskinfo` (232 bytes). Same user only;
/// not for zombies.
pub const PROC_PIDTASKALLINFO: i32 = 2;
/// `proc_bsdinfo` (136 bytes). Same user only; zombies only with `arg != 0`.
pub const PROC_PIDTBSDINFO: i32 = 3;
/// `proc_taskinfo` (96 bytes). Same user only; not for zombies.
pub const PROC_PIDTASKINFO: i32 = 4;
/// `proc_threadinfo` (112 bytes) of the thread whose pthread handle is
/// `arg`. Same user only; not for zombies.
pub const PROC_PIDTHREADINFO: i32 = 5;
/// The threads' pthread handles (`cthread_self`, the thread's TSD base),
/// `n × u64`: *not* thread ids. Same user only; not for zombies.
pub const PROC_PIDLISTTHREADS: i32 = 6;
/// The executable's path: needs a buffer of 1024 to 4096 bytes, copies
/// the whole buffer (NUL-padded) and returns **0**, not a length. Any user.
pub const PROC_PIDPATHINFO: i32 = 11;
/// `proc_bsdshortinfo` (64 bytes). Any user; zombies only with `arg != 0`.
pub const PROC_PIDT_SHORTBSDINFO: i32 = 13;
/// `proc_uniqidentifierinfo` (56 bytes, private, xnu-2422 / OS X 10.9 and
/// later): the never-reused 64-bit `p_uniqueid`. Any user; zombies only
/// with `arg != 0`.
pub const PROC_PIDUNIQIDENTIFIERINFO: i32 = 17;
/// `proc_bsdinfo` followed by `proc_uniqidentifierinfo` (192 bytes,
/// private, OS X 10.9 and later). Same user only; zombies only with
/// `arg != 0`.
pub const PROC_PIDT_BSDINFOWITHUNIQID: i32 = 18;
/// Coalition ids (private). Any user.
pub const PROC_PIDCOALITIONINFO: i32 = 20;
/// The threads' 64-bit thread ids (`thread_id`, as `pthread_threadid_np`
/// gives), `n × u64` (private, xnu-4903 / macOS 10.14 and later). Same
/// user only; not for zombies.
pub const PROC_PIDLISTTHREADIDS: i32 = 28;
/// The platform the executable was built for (private). Any user; zombies
/// always.
pub const PROC_PIDPLATFORMINFO: i32 = 30;

/// `MAXPATHLEN`: the smallest buffer `PROC_PIDPATHINFO` and `proc_pidpath`
/// accept (`PROC_PIDPATHINFO_SIZE`).
pub const PROC_PIDPATHINFO_SIZE: usize = 1024;
/// `4 × MAXPATHLEN`: the largest buffer they accept; a path that does not
/// fit (with its NUL) is `ENOSPC`, so longer paths cannot be had.
pub const PROC_PIDPATHINFO_MAXSIZE: usize = 4096;
/// The smallest buffer `proc_name` accepts: `sizeof(pbi_name)`.
pub const PROC_NAME_MINSIZE: usize = 32;
/// `MAXCOMLEN`: `p_comm` holds up to 15 bytes and a NUL in its records.
pub const MAXCOMLEN: usize = 16;
/// Extra descriptors the kernel adds to its NULL-buffer estimate of
/// `PROC_PIDLISTFDS`: `(fd_nfiles + 20) × 8` bytes.
pub const LISTFDS_SLACK: usize = 20;
/// Extra threads the kernel allows for in `PROC_PIDLISTTHREADS`: it lists at
/// most `min(buffersize / 8, threads + 10)` entries.
pub const LISTTHREADS_SLACK: usize = 10;

/// `p_stat`: being created by fork.
pub const SIDL: u32 = 1;
/// `p_stat`: runnable (xnu keeps nearly every live process here).
pub const SRUN: u32 = 2;
/// `p_stat`: sleeping on an address.
pub const SSLEEP: u32 = 3;
/// `p_stat`: stopped by a signal or the debugger.
pub const SSTOP: u32 = 4;
/// `p_stat`: exited, waiting to be reaped.
pub const SZOMB: u32 = 5;

/// `NODEV`: `e_tdev` of a process without a controlling terminal.
pub const NODEV: u32 = u32::MAX;

/// `pbi_flags`: a system process.
pub const PROC_FLAG_SYSTEM: u32 = 0x1;
/// `pbi_flags`: being traced (`P_LTRACED`).
pub const PROC_FLAG_TRACED: u32 = 0x2;
/// `pbi_flags`: working its way through `exit()` (`P_LEXIT`); zombies too.
pub const PROC_FLAG_INEXIT: u32 = 0x4;
/// `pbi_flags`: a vfork parent waiting for its child (`P_LPPWAIT`).
pub const PROC_FLAG_PPWAIT: u32 = 0x8;
/// `pbi_flags`: a 64-bit process.
pub const PROC_FLAG_LP64: u32 = 0x10;
/// `pbi_flags`: the session leader.
pub const PROC_FLAG_SLEADER: u32 = 0x20;
/// `pbi_flags`: the session has a terminal vnode.
pub const PROC_FLAG_CTTY: u32 = 0x40;
/// `pbi_flags`: has a controlling terminal (`P_CONTROLT`).
pub const PROC_FLAG_CONTROLT: u32 = 0x80;
/// `pbi_flags`: a thread has its own working directory.
pub const PROC_FLAG_THCWD: u32 = 0x100;
/// `pbi_flags`: throttled under resource starvation (a value of the
/// two-bit field `PROC_FLAG_PC_MASK`).
pub const PROC_FLAG_PC_THROTTLE: u32 = 0x200;
/// `pbi_flags`: suspended under resource starvation (`PROC_FLAG_PC_MASK`).
pub const PROC_FLAG_PC_SUSP: u32 = 0x400;
/// `pbi_flags`: killed under resource starvation (`PROC_FLAG_PC_MASK`).
pub const PROC_FLAG_PC_KILL: u32 = 0x600;
/// `pbi_flags`: the two-bit resource-starvation control field.
pub const PROC_FLAG_PC_MASK: u32 = 0x600;
/// `pbi_flags`: currently throttled for resource starvation.
pub const PROC_FLAG_PA_THROTTLE: u32 = 0x800;
/// `pbi_flags`: currently suspended for resource starvation.
pub const PROC_FLAG_PA_SUSP: u32 = 0x1000;
/// `pbi_flags`: set privileges since its last exec (`P_SUGID`).
pub const PROC_FLAG_PSUGID: u32 = 0x2000;
/// `pbi_flags`: has called exec (`P_EXEC`).
pub const PROC_FLAG_EXEC: u32 = 0x4000;
/// `pbi_flags` (private): darwinbg state; this and the bits up to
/// `0x800000` come from the task's policy and are left out for zombies.
pub const PROC_FLAG_DARWINBG: u32 = 0x8000;
/// `pbi_flags` (private): darwinbg set externally.
pub const PROC_FLAG_EXT_DARWINBG: u32 = 0x10000;
/// `pbi_flags` (private): the bits `PROC_FLAG_DARWINBG` …
/// `PROC_FLAG_SUPPRESSED` (0x8000–0x800000), most of them set from the
/// task's policy (`proc_get_darwinbgstate`), which is skipped for zombies.
pub const PROC_FLAG_TASK_POLICY_MASK: u32 = 0x00ff_8000;
/// `pbi_flags` (private): running under Rosetta translation.
pub const PROC_FLAG_ROSETTA: u32 = 0x0200_0000;

/// `proc_fdtype`: AppleTalk (historical).
pub const PROX_FDTYPE_ATALK: u32 = 0;
/// `proc_fdtype`: a vnode (file, directory, device, fifo).
pub const PROX_FDTYPE_VNODE: u32 = 1;
/// `proc_fdtype`: a socket.
pub const PROX_FDTYPE_SOCKET: u32 = 2;
/// `proc_fdtype`: POSIX shared memory.
pub const PROX_FDTYPE_PSHM: u32 = 3;
/// `proc_fdtype`: a POSIX semaphore.
pub const PROX_FDTYPE_PSEM: u32 = 4;
/// `proc_fdtype`: a kqueue.
pub const PROX_FDTYPE_KQUEUE: u32 = 5;
/// `proc_fdtype`: a pipe.
pub const PROX_FDTYPE_PIPE: u32 = 6;
/// `proc_fdtype`: an fsevents clone.
pub const PROX_FDTYPE_FSEVENTS: u32 = 7;
/// `proc_fdtype`: a network policy descriptor.
pub const PROX_FDTYPE_NETPOLICY: u32 = 9;
/// `proc_fdtype`: a Skywalk channel.
pub const PROX_FDTYPE_CHANNEL: u32 = 10;
/// `proc_fdtype`: a Skywalk nexus.
pub const PROX_FDTYPE_NEXUS: u32 = 11;

/// The `__proc_info` flavors exempt from the same-user check
/// (`NO_CHECK_SAME_USER` in `proc_pidinfo`): any caller may ask them of any
/// process, unless a MAC policy refuses.
pub const NO_CHECK_SAME_USER: [i32; 5] = [
    PROC_PIDT_SHORTBSDINFO,
    PROC_PIDUNIQIDENTIFIERINFO,
    PROC_PIDPATHINFO,
    PROC_PIDCOALITIONINFO,
    PROC_PIDPLATFORMINFO,
];
