//! Linux backend: `/proc` (or another procfs mount) through `getdents64`,
//! `fstatat` and `openat`.
//!
//! # Safety
//!
//! This file makes raw system calls. Every `unsafe` block passes the kernel
//! pointers to memory it owns for the duration of the call (stack buffers or
//! `libc::stat`/`statfs` values), NUL-terminated paths (`&CStr`), and file
//! descriptors kept alive by an `OwnedFd` borrowed across the call. What is
//! assumed of the kernel: a successful `getdents64`/`read` wrote exactly as
//! many bytes as it returned, and never more than the length it was given.
//!
//! # Cost per filter
//! - `all`: `getdents64` only;
//! - `uid`: one `fstatat` per process (the directory owner is the euid);
//! - `ppid`, `pgrp`, `tty`: one `openat`+`read`+`close` of `<pid>/stat`;
//! - `ruid`: one `openat`+`read`+`close` of `<pid>/status`.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::fs::OpenOptions;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{Kernel, Listed};
use crate::parse::{self, Dirents};
use crate::{Errno, Error, ErrorKind, Filter, Pid, PidQuery};

/// Bytes of `getdents64` records read per call, on the stack.
const DENTS_BUF: usize = 32 * 1024;
/// Bytes of `<pid>/stat` read; fields 3–7 end well within this even for a
/// 64-byte command name.
const STAT_BUF: usize = 1024;
/// Bytes of `<pid>/status` read; the `Uid:` line is in the first few hundred.
const STATUS_BUF: usize = 4096;

/// The inode number of the root directory of every procfs instance.
const PROC_ROOT_INO: libc::ino_t = 1;

/// A procfs mount, opened once.
#[derive(Debug)]
pub(crate) struct ProcFs {
    path: PathBuf,
    /// The proc root, used for `*at` calls and to open scan descriptors.
    root: OwnedFd,
    /// A directory descriptor reused for `getdents64` by one query at a
    /// time; a concurrent query opens its own.
    spare: Mutex<Option<OwnedFd>>,
}

impl ProcFs {
    /// Opens the procfs mounted at `path` and checks that it is one.
    pub(crate) fn open(path: &Path) -> Result<ProcFs, Error> {
        let root = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| {
                // A path std rejects before the kernel sees it (an interior
                // NUL) has no OS code: report it as the kernel would.
                let errno = e.raw_os_error().unwrap_or(libc::EINVAL);
                Error::new(ErrorKind::ProcRoot, "open")
                    .with_errno(Errno::from_raw(errno))
                    .with_path(path)
            })?;
        let root = OwnedFd::from(root);
        let mut fs = MaybeUninit::<libc::statfs>::uninit();
        // SAFETY: `root` is an open descriptor; `fs` is a writable `statfs`.
        let rc = unsafe { libc::fstatfs(root.as_raw_fd(), fs.as_mut_ptr()) };
        if rc != 0 {
            return Err(Error::new(ErrorKind::ProcRoot, "fstatfs")
                .with_errno(Errno::last())
                .with_path(path));
        }
        // SAFETY: `fstatfs` succeeded, so it initialized the whole struct.
        let fs = unsafe { fs.assume_init() };
        if fs.f_type != libc::PROC_SUPER_MAGIC {
            return Err(Error::new(ErrorKind::NotProcfs, "fstatfs").with_path(path));
        }
        // Every directory inside a procfs is procfs too: `/proc/self` would
        // list nothing, `/proc/self/task` thread ids and `/proc/self/fd`
        // descriptor numbers, as if each were the process table. The root
        // of a procfs instance is the inode PROC_ROOT_INO (1) of
        // `fs/proc/internal.h`; other proc inodes are numbered from a
        // counter that would have to wrap around 2^32 to reach 1.
        let mut st = MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `root` is an open descriptor; `st` is a writable `stat`.
        let rc = unsafe { libc::fstat(root.as_raw_fd(), st.as_mut_ptr()) };
        if rc != 0 {
            return Err(Error::new(ErrorKind::ProcRoot, "fstat")
                .with_errno(Errno::last())
                .with_path(path));
        }
        // SAFETY: `fstat` succeeded, so it initialized the whole struct.
        let st = unsafe { st.assume_init() };
        if st.st_ino != PROC_ROOT_INO {
            return Err(Error::new(ErrorKind::NotProcfs, "fstat").with_path(path));
        }
        Ok(ProcFs {
            path: path.to_path_buf(),
            root,
            spare: Mutex::new(None),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, op: &'static str, errno: Errno) -> Error {
        Error::os(op, errno).with_path(&self.path)
    }

    /// Takes the reusable scan descriptor, rewound, or opens a new one.
    fn lease(&self) -> Result<Lease<'_>, Error> {
        let reused = self
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let fd = match reused {
            Some(fd) => {
                // SAFETY: `fd` is an open directory descriptor we own.
                let rc = unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_SET) };
                if rc != 0 {
                    return Err(self.err("lseek", Errno::last()));
                }
                fd
            }
            None => openat(self.root.as_fd(), c".", libc::O_DIRECTORY)
                .map_err(|errno| self.err("openat", errno))?,
        };
        Ok(Lease {
            fs: self,
            fd: Some(fd),
        })
    }

    /// Whether the process `pid`, whose entry in `dir` is `name`, matches.
    /// `Ok(None)` when it vanished or is hidden from us.
    fn matches(
        &self,
        dir: BorrowedFd<'_>,
        pid: Pid,
        name: &CStr,
        filter: Filter,
    ) -> Result<Option<bool>, Error> {
        let per_pid = |op: &'static str, errno: Errno| self.err(op, errno).with_pid(pid);
        match filter {
            Filter::All => Ok(Some(true)),
            Filter::Uid(uid) => {
                let Some(owner) = stat_uid(dir, name).map_err(|e| per_pid("fstatat", e))? else {
                    return Ok(None);
                };
                if owner != uid {
                    return Ok(Some(false));
                }
                if owner == 0 {
                    // A process reaped between lookup and getattr reads as
                    // owned by 0:0; a fresh lookup of a reaped pid fails.
                    let again = stat_uid(dir, name).map_err(|e| per_pid("fstatat", e))?;
                    return Ok(again.map(|owner| owner == uid));
                }
                Ok(Some(true))
            }
            Filter::Ruid(ruid) => {
                let mut buf = [0u8; STATUS_BUF];
                let Some(bytes) = read_pid_file(dir, pid, b"status", &mut buf)
                    .map_err(|e| per_pid("read status", e))?
                else {
                    return Ok(None);
                };
                let uids =
                    parse::status_uids(bytes).ok_or_else(|| self.malformed(pid, "status"))?;
                Ok(Some(uids.real == ruid))
            }
            Filter::Ppid(_) | Filter::Pgrp(_) | Filter::Tty(_) => {
                let mut buf = [0u8; STAT_BUF];
                let Some(bytes) = read_pid_file(dir, pid, b"stat", &mut buf)
                    .map_err(|e| per_pid("read stat", e))?
                else {
                    return Ok(None);
                };
                let stat = parse::stat(bytes).ok_or_else(|| self.malformed(pid, "stat"))?;
                Ok(Some(match filter {
                    Filter::Ppid(ppid) => stat.ppid == ppid.as_raw(),
                    Filter::Pgrp(pgrp) => stat.pgrp == pgrp.as_raw(),
                    // tty_nr uses the same encoding as st_rdev; 0 means none.
                    Filter::Tty(dev) => {
                        stat.tty_nr != 0 && u64::from(stat.tty_nr as u32) == dev.raw()
                    }
                    _ => false,
                }))
            }
        }
    }

    fn malformed(&self, pid: Pid, file: &'static str) -> Error {
        Error::new(ErrorKind::Malformed, file)
            .with_path(&self.path)
            .with_pid(pid)
    }
}

impl Kernel for ProcFs {
    fn estimate(&self, _query: &PidQuery) -> Result<usize, Error> {
        let mut st = MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `root` is open; `st` is a writable `stat`.
        let rc = unsafe { libc::fstat(self.root.as_raw_fd(), st.as_mut_ptr()) };
        if rc != 0 {
            return Err(self.err("fstat", Errno::last()));
        }
        // SAFETY: `fstat` succeeded and initialized `st`.
        let st = unsafe { st.assume_init() };
        // st_nlink is the fixed entries plus the system-wide process count.
        Ok(usize::try_from(st.st_nlink).unwrap_or(usize::MAX))
    }

    fn list(&self, query: &PidQuery, out: &mut [Pid]) -> Result<Listed, Error> {
        let lease = self.lease()?;
        let dir = lease.fd();
        let filter = query.filter();
        let mut dents = MaybeUninit::<[u8; DENTS_BUF]>::uninit();
        let mut found = 0usize;
        loop {
            let bytes = getdents(dir, &mut dents).map_err(|e| self.err("getdents64", e))?;
            if bytes.is_empty() {
                break;
            }
            for dirent in Dirents::new(bytes) {
                let dirent = dirent.map_err(|_| {
                    Error::new(ErrorKind::Malformed, "getdents64").with_path(&self.path)
                })?;
                let Some(pid) = parse::pid_name(dirent.name) else {
                    continue;
                };
                if self.matches(dir, pid, dirent.name_c, filter)? == Some(true) {
                    if let Some(slot) = out.get_mut(found) {
                        *slot = pid;
                    }
                    found += 1;
                }
            }
        }
        drop(lease);
        Ok(if found <= out.len() {
            Listed::Complete(found)
        } else {
            Listed::Full {
                needed: Some(found),
            }
        })
    }
}

/// A scan descriptor borrowed from [`ProcFs::spare`]; goes back on drop.
struct Lease<'a> {
    fs: &'a ProcFs,
    fd: Option<OwnedFd>,
}

impl Lease<'_> {
    fn fd(&self) -> BorrowedFd<'_> {
        match &self.fd {
            Some(fd) => fd.as_fd(),
            None => self.fs.root.as_fd(),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut slot = self
            .fs
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            *slot = self.fd.take();
        }
    }
}

/// `openat(dir, path, O_RDONLY | O_CLOEXEC | extra)`, retried on `EINTR`.
fn openat(dir: BorrowedFd<'_>, path: &CStr, extra: libc::c_int) -> Result<OwnedFd, Errno> {
    loop {
        // SAFETY: `dir` is open for the call; `path` is NUL-terminated.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                path.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC | extra,
            )
        };
        if fd >= 0 {
            // SAFETY: `openat` returned a new descriptor that nothing else owns.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// One `getdents64` call into `buf`, retried on `EINTR`; the bytes filled.
fn getdents<'b>(
    dir: BorrowedFd<'_>,
    buf: &'b mut MaybeUninit<[u8; DENTS_BUF]>,
) -> Result<&'b [u8], Errno> {
    loop {
        // SAFETY: `dir` is an open directory; the kernel writes at most
        // `DENTS_BUF` bytes to `buf`, which is that large.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                dir.as_raw_fd(),
                buf.as_mut_ptr().cast::<u8>(),
                DENTS_BUF,
            )
        };
        if n >= 0 {
            let n = usize::try_from(n).unwrap_or(0).min(DENTS_BUF);
            // SAFETY: the kernel initialized the first `n` bytes of `buf`,
            // and `n <= DENTS_BUF`.
            return Ok(unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) });
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// `fstatat(dir, name)`'s `st_uid`; `Ok(None)` if the entry vanished or is
/// hidden.
fn stat_uid(dir: BorrowedFd<'_>, name: &CStr) -> Result<Option<u32>, Errno> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    loop {
        // SAFETY: `dir` is open, `name` NUL-terminated, `st` writable.
        let rc = unsafe {
            libc::fstatat(
                dir.as_raw_fd(),
                name.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc == 0 {
            // SAFETY: `fstatat` succeeded and initialized `st`.
            return Ok(Some(unsafe { st.assume_init() }.st_uid));
        }
        match Errno::last() {
            Errno::EINTR => continue,
            errno if errno.is_vanished() => return Ok(None),
            errno => return Err(errno),
        }
    }
}

/// Reads `<pid>/<file>` under `dir` into `buf` until end of file (a short
/// read) or `buf` is full: one `read` when the text fits. `Ok(None)` if the
/// process vanished or is hidden.
fn read_pid_file<'b>(
    dir: BorrowedFd<'_>,
    pid: Pid,
    file: &[u8],
    buf: &'b mut [u8],
) -> Result<Option<&'b [u8]>, Errno> {
    let mut path = [0u8; parse::PID_PATH_MAX];
    let Some(path) = parse::pid_path(pid, file, &mut path) else {
        return Err(Errno::EINVAL);
    };
    let fd = match openat(dir, path, 0) {
        Ok(fd) => fd,
        Err(errno) if errno.is_vanished() => return Ok(None),
        Err(errno) => return Err(errno),
    };
    let mut filled = 0;
    while let Some(spare) = buf.get_mut(filled..).filter(|s| !s.is_empty()) {
        // SAFETY: `fd` is open; `spare` is writable for `spare.len()` bytes.
        let n = unsafe { libc::read(fd.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
        if n > 0 {
            let n = usize::try_from(n).unwrap_or(0).min(spare.len());
            filled += n;
            // `stat` and `status` are single-record seq files: one read
            // returns the whole text when it fits, so a short read is the
            // end of file and asking again would only return 0 (as
            // procps's `file2str` also assumes).
            if n < spare.len() {
                break;
            }
        } else if n == 0 {
            break;
        } else {
            match Errno::last() {
                Errno::EINTR => continue,
                errno if errno.is_vanished() => return Ok(None),
                errno => return Err(errno),
            }
        }
    }
    Ok(buf.get(..filled))
}
