//! The one raw call: a `sysctl`-shaped function through its pointer.
//!
//! # Safety
//!
//! Every call passes a mib of 3 or 4 live `c_int`s with its exact length, no
//! new value (NULL, 0), and either a NULL old buffer with `*oldlenp == 0`, or
//! a live, writable byte slice with its exact length. What is assumed of the
//! function (the contract of [`KernProc::new`]): it reads `namelen` ints of
//! the mib, writes nothing through a NULL buffer, at most `*oldlenp` bytes
//! otherwise, and one `size_t` to `oldlenp`, all during the call. What it
//! returns — `*oldlenp` included — is checked, never trusted: see
//! `KernProc::fetch`.
//!
//! # References
//! - FreeBSD `sys/kern/kern_sysctl.c` (`sys___sysctl`, `userland_sysctl`,
//!   `sysctl_old_user`)
//! - FreeBSD `lib/libc/gen/sysctl.c` (a pass-through to `__sysctl` for
//!   `kern.*`)

#![allow(unsafe_code)]

use core::ffi::{c_int, c_uint, c_void};
use core::ptr;
use std::sync::Mutex;

use super::{KernProc, SysctlFn};
use crate::parse::KinfoLayout;
use crate::sys::errno;
use crate::Errno;

/// What one call returned: the return value, `errno` right after it (0
/// when the call succeeded), and `*oldlenp`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Ret {
    pub(super) rc: c_int,
    pub(super) errno: Errno,
    pub(super) oldlen: usize,
}

impl KernProc {
    /// The `kern.proc` call pattern over a `sysctl`-shaped function, reading
    /// records of `layout`.
    ///
    /// # Safety
    ///
    /// `sysctl` must honour `sysctl(3)`'s memory contract: it reads
    /// `namelen` ints at `name`, writes nothing through a NULL `oldp`, at
    /// most `*oldlenp` bytes (the value on entry) to a non-NULL one, and a
    /// `size_t` to `oldlenp`, only during the call, and reads nothing
    /// through a NULL `newp`.
    pub(crate) const unsafe fn new(sysctl: SysctlFn, layout: KinfoLayout) -> KernProc {
        KernProc {
            sysctl,
            layout,
            spare: Mutex::new(None),
        }
    }

    /// `sysctl(mib, NULL, &len = 0, NULL, 0)`: the size probe.
    pub(super) fn call_probe(&self, mib: &[c_int]) -> Ret {
        self.call(mib, ptr::null_mut(), 0)
    }

    /// `sysctl(mib, buf, &len = buf.len(), NULL, 0)`.
    pub(super) fn call_fetch(&self, mib: &[c_int], buf: &mut [u8]) -> Ret {
        let len = buf.len();
        self.call(mib, buf.as_mut_ptr().cast::<c_void>(), len)
    }

    fn call(&self, mib: &[c_int], old: *mut c_void, oldlen: usize) -> Ret {
        let mut len = oldlen;
        // The plans' mibs have 3 or 4 words.
        let namelen = c_uint::try_from(mib.len()).unwrap_or(c_uint::MAX);
        errno::set(0);
        // SAFETY: `mib` is a live slice of `namelen` ints; `old` is NULL with
        // `len == 0`, or (by the two callers above) the start of a live
        // `&mut [u8]` of `len` bytes borrowed for the call; `&mut len` is a
        // live `size_t`; `newp` is NULL with `newlen` 0. `KernProc::new`'s
        // contract says the function writes no more than that.
        let rc = unsafe { (self.sysctl)(mib.as_ptr(), namelen, old, &mut len, ptr::null(), 0) };
        let errno = if rc == 0 {
            Errno::from_raw(0)
        } else {
            Errno::from_raw(errno::get())
        };
        Ret {
            rc,
            errno,
            oldlen: len,
        }
    }
}
