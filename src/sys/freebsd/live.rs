//! FreeBSD: the `kern.proc` call pattern over libc's `sysctl`, reading
//! `libc`'s `kinfo_proc` layout.
//!
//! # Safety
//!
//! `libc::sysctl` is FreeBSD libc's pass-through to `__sysctl(2)`, which
//! reads `namelen` ints of the mib, copies out at most `*oldlenp` bytes
//! (none through NULL) and writes `*oldlenp` (`sys/kern/kern_sysctl.c`,
//! `sysctl_old_user`, `sys___sysctl`).

#![allow(unsafe_code)]

use core::ffi::c_long;
use core::mem::{offset_of, size_of};
use std::path::Path;

use super::KernProc;
use crate::parse::KinfoLayout;
use crate::sys::Platform;
use crate::Error;

/// The live system on FreeBSD.
pub(crate) type Live = KernProc;

/// `struct kinfo_proc` as this build's `libc` defines it (its `freebsd12`
/// ABI unless configured otherwise; every one of them is 1088 bytes on
/// 64-bit targets, with `ki_tdev` a 64-bit `dev_t` since FreeBSD 12).
const LIBC: KinfoLayout = KinfoLayout {
    size: size_of::<libc::kinfo_proc>(),
    pid: offset_of!(libc::kinfo_proc, ki_pid),
    ppid: offset_of!(libc::kinfo_proc, ki_ppid),
    pgid: offset_of!(libc::kinfo_proc, ki_pgid),
    tpgid: offset_of!(libc::kinfo_proc, ki_tpgid),
    sid: offset_of!(libc::kinfo_proc, ki_sid),
    tsid: offset_of!(libc::kinfo_proc, ki_tsid),
    uid: offset_of!(libc::kinfo_proc, ki_uid),
    ruid: offset_of!(libc::kinfo_proc, ki_ruid),
    svuid: offset_of!(libc::kinfo_proc, ki_svuid),
    rgid: offset_of!(libc::kinfo_proc, ki_rgid),
    svgid: offset_of!(libc::kinfo_proc, ki_svgid),
    groups: offset_of!(libc::kinfo_proc, ki_groups),
    start_sec: offset_of!(libc::kinfo_proc, ki_start) + offset_of!(libc::timeval, tv_sec),
    start_sec_width: size_of::<libc::time_t>(),
    start_usec: offset_of!(libc::kinfo_proc, ki_start) + offset_of!(libc::timeval, tv_usec),
    start_usec_width: size_of::<libc::suseconds_t>(),
    flag: offset_of!(libc::kinfo_proc, ki_flag),
    flag_width: size_of::<c_long>(),
    kiflag: offset_of!(libc::kinfo_proc, ki_kiflag),
    stat: offset_of!(libc::kinfo_proc, ki_stat),
    nice: offset_of!(libc::kinfo_proc, ki_nice),
    comm: offset_of!(libc::kinfo_proc, ki_comm),
    tdev: offset_of!(libc::kinfo_proc, ki_tdev),
    tdev_width: size_of::<libc::dev_t>(),
    jid: offset_of!(libc::kinfo_proc, ki_jid),
    numthreads: offset_of!(libc::kinfo_proc, ki_numthreads),
    tid: offset_of!(libc::kinfo_proc, ki_tid),
};

// The parser reads 20 bytes of `ki_comm`.
const _: () = assert!(libc::COMMLEN + 1 == 20);

// On 64-bit targets libc's layout is the one the model writes (ki_tdev
// aside, which libc's `freebsd11` ABI puts at the old 32-bit slot).
#[cfg(target_pointer_width = "64")]
const _: () = {
    let (a, b) = (LIBC, KinfoLayout::LP64);
    assert!(a.size == b.size && a.pid == b.pid && a.ppid == b.ppid && a.pgid == b.pgid);
    assert!(a.tpgid == b.tpgid && a.sid == b.sid && a.tsid == b.tsid);
    assert!(a.uid == b.uid && a.ruid == b.ruid && a.svuid == b.svuid && a.rgid == b.rgid);
    assert!(a.flag == b.flag && a.flag_width == b.flag_width && a.stat == b.stat);
    assert!(a.comm == b.comm && a.jid == b.jid && a.numthreads == b.numthreads);
    assert!(a.tid == b.tid && a.svgid == b.svgid && a.groups == b.groups);
    assert!(a.start_sec == b.start_sec && a.start_sec_width == b.start_sec_width);
    assert!(a.start_usec == b.start_usec && a.start_usec_width == b.start_usec_width);
    assert!(a.kiflag == b.kiflag && a.nice == b.nice);
};

impl Platform for KernProc {
    /// The engine's kernel: libc's `sysctl`.
    fn live() -> Result<KernProc, Error> {
        // SAFETY: libc's function honours the contract (module docs).
        Ok(unsafe { KernProc::new(libc::sysctl, LIBC) })
    }

    fn open(_root: &Path) -> Result<KernProc, Error> {
        Err(Error::unsupported("opening a proc root"))
    }

    fn root(&self) -> Option<&Path> {
        None
    }
}

/// No streaming on FreeBSD: one `sysctl` fetches the whole answer, so
/// `iter()` fills once and iterates.
impl crate::sys::StreamPids for KernProc {
    type Stream = crate::sys::NoStream;

    fn stream(&self, _query: &crate::PidQuery) -> Result<Option<crate::sys::NoStream>, Error> {
        Ok(None)
    }
}
