//! xnu's `proc_listpids` constants, defined here because `libc` lacks them.
//!
//! These are the list *types* of `PROC_CALLNUM_LISTPIDS` (`__proc_info`
//! callnum 1). The xnu backend encodes a [`PidQuery`](crate::PidQuery) with
//! them, once, for both libproc on macOS and the in-crate model. They are
//! public as `pidquery::macos` (on macOS) and `pidquery::model::xnu`
//! (feature `model`).
//!
//! # References
//! - xnu `bsd/sys/proc_info.h` (`PROC_ALL_PIDS` … `PROC_KDBG_ONLY`)
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
