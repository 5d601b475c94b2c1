//! The calling thread's `errno`, read and written in place, for the
//! conventions (libproc's) that return 0 with `errno` set, so that it must be
//! cleared before the call.
//!
//! # Safety
//!
//! Each platform's errno accessor returns the calling thread's errno slot,
//! valid and unshared for the thread's lifetime.

#![allow(unsafe_code)]

use core::ffi::c_int;

#[cfg(target_os = "linux")]
fn location() -> *mut c_int {
    // SAFETY: `__errno_location` has no preconditions; it returns the
    // calling thread's errno slot, valid for the thread's lifetime.
    unsafe { libc::__errno_location() }
}

#[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
fn location() -> *mut c_int {
    // SAFETY: `__error` has no preconditions; it returns the calling
    // thread's errno slot, valid for the thread's lifetime.
    unsafe { libc::__error() }
}

/// The calling thread's errno.
#[inline]
pub(crate) fn get() -> c_int {
    // SAFETY: `location()` is this thread's errno slot: aligned, valid,
    // and not shared with other threads.
    unsafe { location().read() }
}

/// Sets the calling thread's errno.
#[inline]
pub(crate) fn set(value: c_int) {
    // SAFETY: as in `get`.
    unsafe { location().write(value) }
}
