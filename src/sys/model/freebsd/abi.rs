//! The C-ABI stand-in for `libc::sysctl`, and the per-thread slot that says
//! which [`Model`] it serves.
//!
//! # Safety
//!
//! The only `unsafe` code of the FreeBSD model: the stand-in [`sysctl`]
//! reads the caller's mib and `*oldlenp`, copies record bytes into the
//! caller's raw buffer and writes `*oldlenp`. It reads the mib only when
//! `namelen` is 2 to `CTL_MAXNAME` (as `__sysctl` checks before its
//! `copyin`), and copies only inside the first `*oldlenp` bytes (the
//! kernel's `validlen`, never above the length passed in); the caller
//! guarantees those pointers are valid for that much. What is checked:
//! nothing is read through a NULL mib or `oldlenp`, nothing is written
//! through a NULL buffer or `oldlenp`.

#![allow(unsafe_code)]

use core::cell::RefCell;
use core::ffi::{c_int, c_uint, c_void};
use core::{ptr, slice};

use super::super::installed;
use super::Model;
use crate::parse::KinfoLayout;
use crate::sys::errno;
use crate::sys::freebsd::consts::CTL_MAXNAME;
use crate::sys::freebsd::KernProc;
use crate::Errno;

/// The engine's kernel in model mode: the same [`KernProc`] call pattern
/// FreeBSD uses, over the stand-in instead of libc, reading the 64-bit
/// layout the model writes.
pub(super) const fn client() -> KernProc {
    // SAFETY: the stand-in reads `namelen` ints of the mib, writes nothing
    // through a NULL buffer, at most `*oldlenp` bytes otherwise, and one
    // `size_t` to `oldlenp` (module docs).
    unsafe { KernProc::new(sysctl, KinfoLayout::LP64) }
}

thread_local! {
    /// The model [`sysctl`] serves on this thread, installed by
    /// [`Model::run`].
    static INSTALLED: RefCell<Option<Model>> = const { RefCell::new(None) };
}

impl Model {
    /// Installs this model as the one [`sysctl`] serves on this thread
    /// while `f` runs (nesting is allowed; the inner model wins).
    ///
    /// ```
    /// use pidquery::model::freebsd::{consts, sysctl, Model};
    ///
    /// let mut model = Model::new();
    /// let mib = [consts::CTL_KERN, consts::KERN_PROC, consts::KERN_PROC_PROC];
    /// let mut len = 0usize;
    /// // SAFETY: a NULL buffer is never written; `mib` and `len` are live.
    /// let rc = model.run(|| unsafe {
    ///     sysctl(mib.as_ptr(), 3, std::ptr::null_mut(), &mut len, std::ptr::null(), 0)
    /// });
    /// assert_eq!((rc, len), (0, (2 + 5) * consts::KINFO_PROC_SIZE));
    /// ```
    pub fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        installed::run(&INSTALLED, self, Model::vacant(), f)
    }

    /// `sysctl(mib, buffer, &len, NULL, 0)` through the
    /// [stand-in](sysctl), safely: returns what it returned, `errno` right
    /// after (0 on success) and `len` after the call (`buffer.len()`, or 0
    /// for `None`, which passes NULL, on entry).
    ///
    /// ```
    /// use pidquery::model::freebsd::{consts, Model};
    /// use pidquery::Errno;
    ///
    /// let mut model = Model::new();
    /// let proc_ = [consts::CTL_KERN, consts::KERN_PROC, consts::KERN_PROC_PROC];
    /// let size = consts::KINFO_PROC_SIZE;
    /// // Room for one and a half records: one whole, half of the next, ENOMEM,
    /// // and `len` says how much was passed, not how much is needed.
    /// let mut buf = vec![0u8; size + size / 2];
    /// assert_eq!(model.sysctl(&proc_, Some(&mut buf)), (-1, Errno::ENOMEM, size + size / 2));
    /// // Exactly full is complete.
    /// let mut buf = vec![0u8; 2 * size];
    /// assert_eq!(model.sysctl(&proc_, Some(&mut buf)), (0, Errno::from_raw(0), 2 * size));
    /// ```
    pub fn sysctl(&mut self, mib: &[c_int], buffer: Option<&mut [u8]>) -> (c_int, Errno, usize) {
        let (ptr, mut len) = match buffer {
            Some(b) => (b.as_mut_ptr().cast::<c_void>(), b.len()),
            None => (ptr::null_mut(), 0),
        };
        let namelen = c_uint::try_from(mib.len()).unwrap_or(c_uint::MAX);
        self.run(|| {
            errno::set(0);
            // SAFETY: `mib` is live for `namelen` ints; `ptr` is NULL, or
            // the start of a live `&mut [u8]` of `len` bytes borrowed for
            // the call; `len` is a live `size_t`; no new value.
            let rc = unsafe { sysctl(mib.as_ptr(), namelen, ptr, &mut len, ptr::null(), 0) };
            let errno = if rc == 0 { 0 } else { errno::get() };
            (rc, Errno::from_raw(errno), len)
        })
    }
}

/// A stand-in for `libc::sysctl` with its exact signature and convention,
/// served by the [`Model`] installed on this thread by [`Model::run`] (or
/// [`Model::fill`] and friends).
///
/// Only `kern.proc` list nodes and `kern.proc.pid` are modeled (any other
/// name is `ENOENT`). Returns 0 on success, or -1 with `errno` set
/// (`ENOSYS` when no model is installed). `*oldlenp` is written on success
/// and on `ENOMEM`.
///
/// # Safety
///
/// `name` is valid for reads of `namelen` ints (when `namelen` is 2 to
/// `CTL_MAXNAME`); `oldlenp` is NULL or valid for a read and a write;
/// `oldp` is NULL, or valid for writes of `*oldlenp` bytes.
///
/// # Examples
///
/// ```
/// use pidquery::model::freebsd::{consts, sysctl, Model};
/// use pidquery::parse::{kinfo_procs, KinfoLayout};
///
/// let mut model = Model::new();
/// let mib = [consts::CTL_KERN, consts::KERN_PROC, consts::KERN_PROC_PID, 1];
/// let mut buf = vec![0u8; consts::KINFO_PROC_SIZE];
/// let mut len = buf.len();
/// // SAFETY: `buf` is valid for `len` bytes; `mib` and `len` are live.
/// let rc = model.run(|| unsafe {
///     sysctl(mib.as_ptr(), 4, buf.as_mut_ptr().cast(), &mut len, std::ptr::null(), 0)
/// });
/// assert_eq!(rc, 0);
/// let init = kinfo_procs(&buf[..len], &KinfoLayout::LP64)?.next().unwrap()?;
/// assert_eq!((init.pid, init.comm()), (1, &b"init"[..]));
/// # Ok::<(), pidquery::parse::KinfoError>(())
/// ```
pub unsafe extern "C" fn sysctl(
    name: *const c_int,
    namelen: c_uint,
    oldp: *mut c_void,
    oldlenp: *mut usize,
    newp: *const c_void,
    _newlen: usize,
) -> c_int {
    let n = namelen as usize;
    let mib: Result<&[c_int], Errno> = if !(2..=CTL_MAXNAME).contains(&n) {
        Err(Errno::EINVAL)
    } else if name.is_null() {
        Err(Errno::from_raw(libc::EFAULT))
    } else {
        // SAFETY: `name` is non-NULL and valid for `n` ints (contract).
        Ok(unsafe { slice::from_raw_parts(name, n) })
    };
    let oldlen = if oldlenp.is_null() {
        0
    } else {
        // SAFETY: non-NULL `oldlenp` is valid for a read (contract).
        unsafe { oldlenp.read() }
    };
    let old = (!oldp.is_null()).then_some(oldlen);
    let out = oldp.cast::<u8>();
    let mut put = |at: usize, bytes: &[u8]| {
        // SAFETY: the model copies only inside `validlen <= oldlen` bytes
        // (`at + bytes.len() <= oldlen`) of a non-NULL buffer, which the
        // caller vouched for; bytewise, as `copyout`.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), out.add(at), bytes.len()) }
    };
    // No model, or a re-entered one: ENOSYS either way.
    let served = installed::serve(&INSTALLED, |model| {
        model.kernel_sysctl(mib, old, !newp.is_null(), &mut put)
    });
    let Ok(served) = served else {
        errno::set(libc::ENOSYS);
        return -1;
    };
    if let (Some(len), false) = (served.oldlen_out, oldlenp.is_null()) {
        // SAFETY: non-NULL `oldlenp` is valid for a write (contract).
        unsafe { oldlenp.write(len) };
    }
    match served.result {
        Ok(_) => 0,
        Err(e) => {
            errno::set(e.raw());
            -1
        }
    }
}
