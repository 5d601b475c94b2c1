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

/// `readlinkat(dir, path, buf)`: the bytes written (not NUL-terminated;
/// the kernel truncates silently, so `buf.len()` may mean "cut short").
pub(super) fn readlinkat(dir: BorrowedFd<'_>, path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    let (ptr, len) = (buf.as_mut_ptr().cast::<libc::c_char>(), buf.len());
    // SAFETY: `dir` is open, `path` NUL-terminated, `ptr` writable for
    // `len` bytes; the kernel writes at most `len`.
    let n = restart(|| unsafe { libc::readlinkat(dir.as_raw_fd(), path.as_ptr(), ptr, len) })?;
    Ok(usize::try_from(n).unwrap_or(0).min(len))
}

/// `pidfd_open(pid, 0)`: a descriptor of the process `pid` of the caller's
/// pid namespace (Linux 5.3+).
pub(super) fn pidfd_open(pid: libc::pid_t) -> Result<OwnedFd, Errno> {
    // SAFETY: no memory is passed; flags 0.
    let fd = restart(|| unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    let fd = libc::c_int::try_from(fd).map_err(|_| Errno::EINVAL)?;
    // SAFETY: `pidfd_open` returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `pidfd_send_signal(pidfd, 0, NULL, 0)`: `Ok` while the process has not
/// been reaped (a zombie included), `ESRCH` after, `EPERM` when alive but
/// not ours to signal.
pub(super) fn pidfd_probe(pidfd: BorrowedFd<'_>) -> Result<(), Errno> {
    let fd = pidfd.as_raw_fd();
    // SAFETY: `pidfd` is open; signal 0 sends nothing; no memory is passed
    // (a NULL `siginfo_t` is allowed).
    restart(|| unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd,
            0,
            core::ptr::null::<libc::siginfo_t>(),
            0,
        )
    })
    .map(drop)
}

/// `sysconf(_SC_CLK_TCK)`: clock ticks per second (`USER_HZ`), the unit
/// of `/proc/<pid>/stat`'s times; `None` if the system does not say.
pub(super) fn clock_ticks() -> Option<u32> {
    // SAFETY: `sysconf` has no preconditions and passes no memory.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u32::try_from(hz).ok().filter(|&hz| hz > 0)
}

/// `clock_gettime(clock)` in nanoseconds.
pub(super) fn clock_ns(clock: libc::clockid_t) -> Result<u128, Errno> {
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    let out = ts.as_mut_ptr();
    // SAFETY: `out` is a writable `timespec`.
    restart(|| unsafe { libc::clock_gettime(clock, out) })?;
    // SAFETY: `clock_gettime` succeeded and filled `ts`.
    let ts = unsafe { ts.assume_init() };
    let secs = u128::try_from(ts.tv_sec).map_err(|_| Errno::EINVAL)?;
    let nanos = u128::try_from(ts.tv_nsec).map_err(|_| Errno::EINVAL)?;
    Ok(secs * 1_000_000_000 + nanos)
}
