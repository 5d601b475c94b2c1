//! FreeBSD's `kern.proc` constants, defined here so that the call pattern
//! and the model compile on every host (`libc` has them for FreeBSD only;
//! on FreeBSD the values are checked against `libc`'s at compile time).
//!
//! They are public as `pidquery::model::freebsd::consts` (feature `model`).
//!
//! # References
//! - `sys/sys/sysctl.h` (`CTL_KERN`, `KERN_PROC`, `KERN_PROC_*`, `CTL_MAXNAME`)
//! - `sys/sys/proc.h` (`P_*` flags, `PID_MAX`, `NO_PID`)
//! - `sys/sys/user.h` (`S*` states of `ki_stat`), `sys/amd64/include/proc.h`
//!   (`KINFO_PROC_SIZE`)
//! - `sys/kern/kern_proc.c` (`sysctl_kern_proc`: "overestimate by 5 procs")
//!
//! # Examples
//!
//! ```
//! # #[cfg(feature = "model")] {
//! use pidquery::model::freebsd::consts;
//! assert_eq!([consts::CTL_KERN, consts::KERN_PROC, consts::KERN_PROC_PROC], [1, 14, 8]);
//! # }
//! ```

// The model uses the ones the backend does not.
#![cfg_attr(not(any(feature = "model", test)), allow(dead_code))]

use core::ffi::c_int;

/// The `kern` top-level node.
pub const CTL_KERN: c_int = 1;
/// `kern.proc`.
pub const KERN_PROC: c_int = 14;

/// `kern.proc.all`: every thread of every process (one record per thread).
/// A leaf: the mib is exactly 3 long.
pub const KERN_PROC_ALL: c_int = 0;
/// `kern.proc.pid.<pid>`: one process (a pid above `PID_MAX` is read as a
/// thread id).
pub const KERN_PROC_PID: c_int = 1;
/// `kern.proc.pgrp.<pgid>`: by process group.
pub const KERN_PROC_PGRP: c_int = 2;
/// `kern.proc.sid.<sid>`: by session.
pub const KERN_PROC_SESSION: c_int = 3;
/// `kern.proc.tty.<dev>`: by controlling terminal (`dev` is an `int`,
/// sign-extended to `dev_t`).
pub const KERN_PROC_TTY: c_int = 4;
/// `kern.proc.uid.<uid>`: by effective uid.
pub const KERN_PROC_UID: c_int = 5;
/// `kern.proc.ruid.<uid>`: by real uid.
pub const KERN_PROC_RUID: c_int = 6;
/// `kern.proc.proc[.<ignored>]`: every process, one record each.
pub const KERN_PROC_PROC: c_int = 8;
/// `kern.proc.rgid.<gid>`: by real gid.
pub const KERN_PROC_RGID: c_int = 10;
/// `kern.proc.gid.<gid>`: by effective gid.
pub const KERN_PROC_GID: c_int = 11;
/// Or'd into a list op: one record per thread (`pid_td`, `pgrp_td`, …;
/// `KERN_PROC_ALL | KERN_PROC_INC_THREAD` is not registered).
pub const KERN_PROC_INC_THREAD: c_int = 0x10;

/// `kern.proc.pathname.<pid>`: the executable's path, NUL-terminated
/// (`-1` is the caller).
pub const KERN_PROC_PATHNAME: c_int = 12;
/// `kern.proc.filedesc.<pid>`: the open files, as packed `kinfo_file`s.
pub const KERN_PROC_FILEDESC: c_int = 33;

/// `ki_kiflag`: the session still holds its controlling terminal's vnode
/// (`s_ttyvp`); `killjobc` clears it when the session leader exits.
pub const KI_CTTY: i64 = 0x1;
/// `ki_kiflag`: the process leads its session.
pub const KI_SLEADER: i64 = 0x2;

/// `sizeof(struct kinfo_file)` on 64-bit FreeBSD: the most one packed
/// record of `kern.proc.filedesc` can take.
pub const KINFO_FILE_SIZE: usize = crate::parse::KINFO_FILE_SIZE;
/// `kf_type`: a vnode (file, directory, device node).
pub const KF_TYPE_VNODE: i32 = 1;
/// `kf_type`: a socket.
pub const KF_TYPE_SOCKET: i32 = 2;
/// `kf_type`: a pipe.
pub const KF_TYPE_PIPE: i32 = 3;
/// `kf_type`: a FIFO.
pub const KF_TYPE_FIFO: i32 = 4;
/// `kf_type`: a kqueue.
pub const KF_TYPE_KQUEUE: i32 = 5;
/// `kf_type`: a pseudo-terminal master.
pub const KF_TYPE_PTS: i32 = 10;
/// `kf_type`: a process descriptor.
pub const KF_TYPE_PROCDESC: i32 = 11;
/// `kf_type`: a device (devfs cdev opened directly).
pub const KF_TYPE_DEV: i32 = 12;
/// `kf_fd` of the records that are not descriptors: the current and root
/// directories, the jail root, the trace file, the executable, the
/// controlling terminal (`KF_FD_TYPE_CWD` … `KF_FD_TYPE_CTTY`, -1 to -6).
pub const KF_FD_TYPE_CTTY: i32 = -6;

/// `PATH_MAX`: a path the kernel returns is at most this long, NUL
/// included.
pub const PATH_MAX: usize = 1024;

/// The longest mib `__sysctl` takes.
pub const CTL_MAXNAME: usize = 24;

/// `sizeof(struct kinfo_proc)` on 64-bit FreeBSD (amd64, arm64).
pub const KINFO_PROC_SIZE: usize = crate::parse::KinfoLayout::LP64.size();

/// Records the NULL-buffer probe of a list op adds to the matches it
/// counted: `(matches + 5) * sizeof(struct kinfo_proc)` bytes.
pub const PROBE_SLACK: usize = 5;

/// `NODEV`: the `ki_tdev` of a process without a controlling terminal.
pub const NODEV: u64 = crate::parse::NODEV;

/// The largest pid; pids above it passed to `KERN_PROC_PID` are thread ids.
pub const PID_MAX: i32 = 99_999;
/// `NO_PID`: the `ki_tpgid` of a terminal without a foreground group, and
/// the first id above every pid.
pub const NO_PID: i32 = 100_000;

/// `p_flag`: has a controlling terminal.
pub const P_CONTROLT: i64 = 0x2;
/// `p_flag`: a kernel process.
pub const P_KPROC: i64 = 0x4;
/// `p_flag`: a system process (no signals, no swapping).
pub const P_SYSTEM: i64 = 0x200;
/// `p_flag`: being traced.
pub const P_TRACED: i64 = 0x800;
/// `p_flag`: working on exiting.
pub const P_WEXIT: i64 = 0x2000;
/// `ki_flag` only: the process is in a jail.
pub const P_JAILED: i64 = 0x100_0000;

/// `ki_stat`: being created by fork (never listed).
pub const SIDL: u8 = 1;
/// `ki_stat`: runnable or running.
pub const SRUN: u8 = 2;
/// `ki_stat`: sleeping on an address.
pub const SSLEEP: u8 = 3;
/// `ki_stat`: stopped.
pub const SSTOP: u8 = 4;
/// `ki_stat`: awaiting collection by its parent.
pub const SZOMB: u8 = 5;
/// `ki_stat`: waiting for an interrupt.
pub const SWAIT: u8 = 6;
/// `ki_stat`: blocked on a lock.
pub const SLOCK: u8 = 7;

// On FreeBSD, the values are `libc`'s.
#[cfg(target_os = "freebsd")]
const _: () = {
    assert!(CTL_KERN == libc::CTL_KERN);
    assert!(KERN_PROC == libc::KERN_PROC);
    assert!(KERN_PROC_ALL == libc::KERN_PROC_ALL);
    assert!(KERN_PROC_PID == libc::KERN_PROC_PID);
    assert!(KERN_PROC_PGRP == libc::KERN_PROC_PGRP);
    assert!(KERN_PROC_SESSION == libc::KERN_PROC_SESSION);
    assert!(KERN_PROC_TTY == libc::KERN_PROC_TTY);
    assert!(KERN_PROC_UID == libc::KERN_PROC_UID);
    assert!(KERN_PROC_RUID == libc::KERN_PROC_RUID);
    assert!(KERN_PROC_PROC == libc::KERN_PROC_PROC);
    assert!(KERN_PROC_RGID == libc::KERN_PROC_RGID);
    assert!(KERN_PROC_GID == libc::KERN_PROC_GID);
    assert!(KERN_PROC_INC_THREAD == libc::KERN_PROC_INC_THREAD);
    assert!(KERN_PROC_PATHNAME == libc::KERN_PROC_PATHNAME);
    assert!(KERN_PROC_FILEDESC == libc::KERN_PROC_FILEDESC);
    assert!(KI_CTTY as usize == libc::KI_CTTY && KI_SLEADER as usize == libc::KI_SLEADER);
    assert!(KF_TYPE_VNODE == libc::KF_TYPE_VNODE && KF_TYPE_SOCKET == libc::KF_TYPE_SOCKET);
    assert!(KF_TYPE_PIPE == libc::KF_TYPE_PIPE && KF_TYPE_FIFO == libc::KF_TYPE_FIFO);
    assert!(KF_TYPE_KQUEUE == libc::KF_TYPE_KQUEUE && KF_TYPE_PTS == libc::KF_TYPE_PTS);
    assert!(KF_TYPE_PROCDESC == libc::KF_TYPE_PROCDESC && KF_TYPE_DEV == libc::KF_TYPE_DEV);
    assert!(KF_FD_TYPE_CTTY == libc::KF_FD_TYPE_CTTY);
    assert!(PATH_MAX == libc::PATH_MAX as usize);
    #[cfg(target_pointer_width = "64")]
    assert!(KINFO_FILE_SIZE == core::mem::size_of::<libc::kinfo_file>());
    assert!(CTL_MAXNAME == libc::CTL_MAXNAME as usize);
    assert!(P_CONTROLT == libc::P_CONTROLT as i64);
    assert!(P_KPROC == libc::P_KPROC as i64);
    assert!(P_SYSTEM == libc::P_SYSTEM as i64);
    assert!(P_TRACED == libc::P_TRACED as i64);
    assert!(P_WEXIT == libc::P_WEXIT as i64);
    assert!(P_JAILED == libc::P_JAILED as i64);
    assert!(SIDL as i32 == libc::SIDL as i32);
    assert!(SRUN as i32 == libc::SRUN as i32);
    assert!(SSLEEP as i32 == libc::SSLEEP as i32);
    assert!(SSTOP as i32 == libc::SSTOP as i32);
    assert!(SZOMB as i32 == libc::SZOMB as i32);
    assert!(SWAIT as i32 == libc::SWAIT as i32);
    assert!(SLOCK as i32 == libc::SLOCK as i32);
};
