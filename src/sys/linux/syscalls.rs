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

/// `getpgid(pid)`: the process group of `pid` in the caller's pid
/// namespace; `ESRCH` once `pid` names no task.
pub(super) fn getpgid(pid: libc::pid_t) -> Result<libc::pid_t, Errno> {
    // SAFETY: no memory is passed.
    restart(|| unsafe { libc::getpgid(pid) })
}

/// `lseek(fd, offset, SEEK_SET)`: moves a directory listing to `offset`.
pub(super) fn seek_to(fd: BorrowedFd<'_>, offset: i64) -> Result<(), Errno> {
    // SAFETY: `fd` is open for the call; no memory is passed.
    restart(|| unsafe { libc::lseek(fd.as_raw_fd(), offset, libc::SEEK_SET) }).map(drop)
}

/// `pidfd_open(pid, 0)`: a descriptor for the process `pid` of the caller's
/// pid namespace (close-on-exec, as the kernel always makes it).
pub(super) fn pidfd_open(pid: libc::pid_t) -> Result<OwnedFd, Errno> {
    let flags: libc::c_uint = 0;
    // SAFETY: no memory is passed.
    let fd = restart(|| unsafe { libc::syscall(libc::SYS_pidfd_open, pid, flags) })?;
    let fd = libc::c_int::try_from(fd).map_err(|_| Errno::EINVAL)?;
    // SAFETY: `pidfd_open` returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The first, stable 64 bytes of `struct pidfd_info`
/// (`include/uapi/linux/pidfd.h`, `PIDFD_INFO_SIZE_VER0`): what
/// `PIDFD_GET_INFO` fills on every kernel that has it (6.13+).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct PidfdInfo {
    /// In: the optional fields asked for; out: the fields filled.
    pub(super) mask: u64,
    pub(super) cgroupid: u64,
    pub(super) pid: u32,
    pub(super) tgid: u32,
    pub(super) ppid: u32,
    pub(super) ruid: u32,
    pub(super) rgid: u32,
    pub(super) euid: u32,
    pub(super) egid: u32,
    pub(super) suid: u32,
    pub(super) sgid: u32,
    pub(super) fsuid: u32,
    pub(super) fsgid: u32,
    pub(super) exit_code: i32,
}

/// `PIDFD_GET_INFO`: `_IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info)`
/// with the 64-byte first version of the struct.
const PIDFD_GET_INFO: libc::c_ulong = {
    const IOC_READ_WRITE: libc::c_ulong = 3;
    let size = core::mem::size_of::<PidfdInfo>() as libc::c_ulong;
    (IOC_READ_WRITE << 30) | (size << 16) | (0xFF << 8) | 11
};

const _: () = assert!(core::mem::size_of::<PidfdInfo>() == 64);

/// `ioctl(pidfd, PIDFD_GET_INFO, info)` asking for nothing optional: the
/// kernel always fills the pid, parent and credential fields it returns.
pub(super) fn pidfd_get_info(pidfd: BorrowedFd<'_>) -> Result<PidfdInfo, Errno> {
    let mut info = PidfdInfo::default();
    let out: *mut PidfdInfo = &mut info;
    // SAFETY: `pidfd` is open; `out` points to a writable `PidfdInfo` of
    // exactly the size encoded in the request, which the kernel copies at
    // most (`copy_struct_to_user` with our size).
    restart(|| unsafe { libc::ioctl(pidfd.as_raw_fd(), PIDFD_GET_INFO as _, out) })?;
    Ok(info)
}

/// `STATX_MNT_ID_UNIQUE` (`include/uapi/linux/stat.h`, 6.8+).
const STATX_MNT_ID_UNIQUE: libc::c_uint = 0x4000;

/// The unique (64-bit) id of the mount `fd` is on, from `statx`; `None`
/// when the kernel does not report it (before 6.8).
pub(super) fn mount_id(fd: BorrowedFd<'_>) -> Result<Option<u64>, Errno> {
    // `struct statx` is 256 bytes: `stx_mask` (u32) at byte 0,
    // `stx_mnt_id` (u64) at byte 144.
    let mut buf = [0u8; 256];
    let out = buf.as_mut_ptr();
    // SAFETY: `fd` is open; the empty path is NUL-terminated; `out` is
    // writable for the 256 bytes of a `struct statx`.
    restart(|| unsafe {
        libc::syscall(
            libc::SYS_statx,
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            STATX_MNT_ID_UNIQUE,
            out,
        )
    })?;
    let mask = buf.first_chunk::<4>().map_or(0, |b| u32::from_ne_bytes(*b));
    let id = buf
        .get(144..152)
        .and_then(|b| b.first_chunk::<8>())
        .map(|b| u64::from_ne_bytes(*b));
    Ok(id.filter(|_| mask & STATX_MNT_ID_UNIQUE != 0))
}

/// The `statmount` system call number, where this build knows it (the
/// unified table: 457).
#[cfg(all(
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64",
        target_arch = "powerpc64",
        target_arch = "s390x"
    ),
    target_pointer_width = "64"
))]
const SYS_STATMOUNT: Option<libc::c_long> = Some(457);
#[cfg(not(all(
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64",
        target_arch = "powerpc64",
        target_arch = "s390x"
    ),
    target_pointer_width = "64"
)))]
const SYS_STATMOUNT: Option<libc::c_long> = None;

/// `struct mnt_id_req`, first version (`include/uapi/linux/mount.h`).
#[repr(C)]
struct MntIdReq {
    size: u32,
    spare: u32,
    mnt_id: u64,
    param: u64,
}

const _: () = assert!(core::mem::size_of::<MntIdReq>() == 24);

/// `statmount(&{mnt_id, param: mask}, buf, len, 0)` (6.8+): the
/// mount's `struct statmount` and its strings written to `buf`; the bytes
/// used (its `size` field: the call itself returns 0). `ENOSYS` where the
/// call is unknown.
pub(super) fn statmount(mnt_id: u64, mask: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let Some(nr) = SYS_STATMOUNT else {
        return Err(Errno::from_raw(libc::ENOSYS));
    };
    let req = MntIdReq {
        size: core::mem::size_of::<MntIdReq>() as u32,
        spare: 0,
        mnt_id,
        param: mask,
    };
    let req: *const MntIdReq = &req;
    let (ptr, len) = (buf.as_mut_ptr(), buf.len());
    // SAFETY: `req` points to a readable `struct mnt_id_req` of the size it
    // states; `ptr` is writable for `len` bytes, which the kernel never
    // exceeds (it fails with EOVERFLOW instead).
    restart(|| unsafe { libc::syscall(nr, req, ptr, len, 0) })?;
    let used = buf.first_chunk::<4>().map_or(0, |b| u32::from_ne_bytes(*b));
    Ok(usize::try_from(used).unwrap_or(0).min(len))
}

/// `pread(fd, buf, offset)`: the byte count (0 at end of file).
pub(super) fn pread(fd: BorrowedFd<'_>, buf: &mut [u8], offset: i64) -> Result<usize, Errno> {
    let (ptr, len) = (buf.as_mut_ptr().cast::<libc::c_void>(), buf.len());
    // SAFETY: `fd` is open; `ptr` is writable for `len` bytes.
    let n = restart(|| unsafe { libc::pread(fd.as_raw_fd(), ptr, len, offset) })?;
    Ok(usize::try_from(n).unwrap_or(0).min(len))
}

/// One `getdents64` call into the initialized buffer `buf`; the bytes
/// filled (0 at the end of the directory).
pub(super) fn getdents_into(dir: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    let (ptr, len) = (buf.as_mut_ptr(), buf.len());
    // SAFETY: `dir` is an open directory; the kernel writes at most `len`
    // bytes to `ptr`, which is writable for that many.
    let n = restart(|| unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), ptr, len) })?;
    Ok(usize::try_from(n).unwrap_or(0).min(len))
}

/// `readlinkat(dir, path, buf)`: the bytes written (at most `buf.len()`:
/// the kernel truncates silently, so `buf.len()` may mean "cut short").
pub(super) fn readlinkat(dir: BorrowedFd<'_>, path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    let (ptr, len) = (buf.as_mut_ptr().cast::<libc::c_char>(), buf.len());
    // SAFETY: `dir` is open, `path` NUL-terminated, `ptr` writable for
    // `len` bytes; the kernel writes at most `len`.
    let n = restart(|| unsafe { libc::readlinkat(dir.as_raw_fd(), path.as_ptr(), ptr, len) })?;
    Ok(usize::try_from(n).unwrap_or(0).min(len))
}

/// `pidfd_send_signal(pidfd, 0, NULL, 0)`: succeeds while the process
/// has not been reaped; `EPERM` means it exists but is not ours to signal.
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

/// `sysconf(_SC_CLK_TCK)`: the clock ticks per second, the unit of
/// `/proc/<pid>/stat`'s times; `None` if the system does not say.
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

/// The word [`fork_wiped_word`] maps; null until then.
static FORK_WIPED: core::sync::atomic::AtomicPtr<core::sync::atomic::AtomicU64> =
    core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

/// A word of a page of its own that the kernel zeroes in the child of
/// every fork (an anonymous private page with `MADV_WIPEONFORK`, Linux
/// 4.14+), mapped on first use for the life of the process, without a
/// lock (a child forked mid-way cannot block on one).
pub(super) fn fork_wiped_word() -> Result<&'static core::sync::atomic::AtomicU64, Errno> {
    use core::sync::atomic::{AtomicU64, Ordering};
    let known = FORK_WIPED.load(Ordering::Acquire);
    if !known.is_null() {
        // SAFETY: only pointers to a mapping made below, valid, aligned
        // and never unmapped, are stored.
        return Ok(unsafe { &*known });
    }
    let len = core::mem::size_of::<u64>();
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    // SAFETY: an anonymous mapping at an address the kernel picks; no
    // memory of ours is passed.
    let page = unsafe { libc::mmap(core::ptr::null_mut(), len, prot, flags, -1, 0) };
    if page == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    // SAFETY: `page` is the mapping just made, page-aligned, `len` bytes
    // (rounded up to the page by the kernel).
    if unsafe { libc::madvise(page, len, libc::MADV_WIPEONFORK) } != 0 {
        let errno = Errno::last();
        // SAFETY: the same mapping, seen by nothing else.
        unsafe { libc::munmap(page, len) };
        return Err(errno);
    }
    let mine = page.cast::<AtomicU64>();
    let kept = match FORK_WIPED.compare_exchange(
        core::ptr::null_mut(),
        mine,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => mine,
        Err(theirs) => {
            // SAFETY: our mapping lost the race and was seen by nothing
            // else.
            unsafe { libc::munmap(page, len) };
            theirs
        }
    };
    // SAFETY: `kept` is a page-aligned (so `AtomicU64`-aligned), readable,
    // writable, zero-filled mapping that is never unmapped: a valid
    // `AtomicU64` for the rest of the process. A fork gives the child a
    // zero-filled page at the same address.
    Ok(unsafe { &*kept })
}
