//! The raw system calls of the Linux backend, each a thin safe wrapper, and
//! the one retry-on-`EINTR` loop they share.
//!
//! # Safety
//!
//! The only `unsafe` code of the Linux backend. Every block passes the
//! kernel pointers to memory it owns for the duration of the call (caller
//! slices, or `libc::stat`/`statfs` values on the stack), NUL-terminated
//! paths (`&CStr`), and file descriptors kept alive by a `BorrowedFd` across
//! the call. What is assumed of the kernel: a successful `getdents64` or
//! `read` wrote exactly as many bytes as it returned, never more than the
//! length it was given, and a successful `fstatat`/`fstatfs` filled the
//! whole struct.

#![allow(unsafe_code)]

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::Errno;

/// Runs `call` until it returns anything but a failure with `EINTR`; a
/// negative return is a failure, with the reason in `errno`.
#[inline]
fn restart<T: Copy + Default + PartialOrd>(mut call: impl FnMut() -> T) -> Result<T, Errno> {
    loop {
        let rc = call();
        if rc >= T::default() {
            return Ok(rc);
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// `openat(dir, path, O_RDONLY | O_CLOEXEC | extra)`.
pub(super) fn openat(
    dir: BorrowedFd<'_>,
    path: &CStr,
    extra: libc::c_int,
) -> Result<OwnedFd, Errno> {
    let flags = libc::O_RDONLY | libc::O_CLOEXEC | extra;
    // SAFETY: `dir` is open for the call; `path` is NUL-terminated.
    let fd = restart(|| unsafe { libc::openat(dir.as_raw_fd(), path.as_ptr(), flags) })?;
    // SAFETY: `openat` returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// One `getdents64` call into `buf`; the bytes filled (empty at the end of
/// the directory).
pub(super) fn getdents<'b>(
    dir: BorrowedFd<'_>,
    buf: &'b mut [MaybeUninit<u8>],
) -> Result<&'b [u8], Errno> {
    let (ptr, len) = (buf.as_mut_ptr().cast::<u8>(), buf.len());
    // SAFETY: `dir` is an open directory; the kernel writes at most `len`
    // bytes to `ptr`, which is writable for that many.
    let n = restart(|| unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), ptr, len) })?;
    let n = usize::try_from(n).unwrap_or(0).min(len);
    // SAFETY: the kernel initialized the first `n` bytes of `buf`, and
    // `n <= buf.len()`.
    Ok(unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) })
}

/// `lseek(fd, 0, SEEK_SET)`: restarts a directory listing.
pub(super) fn rewind(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: `fd` is open for the call; no memory is passed.
    restart(|| unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_SET) }).map(drop)
}

/// One `read` into `buf`; the byte count (0 at end of file).
pub(super) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    let (ptr, len) = (buf.as_mut_ptr().cast::<libc::c_void>(), buf.len());
    // SAFETY: `fd` is open; `ptr` is writable for `len` bytes.
    let n = restart(|| unsafe { libc::read(fd.as_raw_fd(), ptr, len) })?;
    Ok(usize::try_from(n).unwrap_or(0).min(len))
}

/// `fstatat(dir, name, flags)`.
pub(super) fn stat_at(
    dir: BorrowedFd<'_>,
    name: &CStr,
    flags: libc::c_int,
) -> Result<libc::stat, Errno> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    let out = st.as_mut_ptr();
    // SAFETY: `dir` is open, `name` NUL-terminated, `out` a writable `stat`.
    restart(|| unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), out, flags) })?;
    // SAFETY: `fstatat` succeeded and initialized `st`.
    Ok(unsafe { st.assume_init() })
}

/// `fstat(fd)`.
pub(super) fn fstat(fd: BorrowedFd<'_>) -> Result<libc::stat, Errno> {
    stat_at(fd, c"", libc::AT_EMPTY_PATH)
}

/// `fstatfs(fd)`.
pub(super) fn fstatfs(fd: BorrowedFd<'_>) -> Result<libc::statfs, Errno> {
    let mut fs = MaybeUninit::<libc::statfs>::uninit();
    let out = fs.as_mut_ptr();
    // SAFETY: `fd` is an open descriptor; `out` is a writable `statfs`.
    restart(|| unsafe { libc::fstatfs(fd.as_raw_fd(), out) })?;
    // SAFETY: `fstatfs` succeeded, so it initialized the whole struct.
    Ok(unsafe { fs.assume_init() })
}
