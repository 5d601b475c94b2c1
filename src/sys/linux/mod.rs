//! Linux backend: `/proc` (or another procfs mount) through `getdents64`,
//! `fstatat` and `openat`.
//!
//! - `mod.rs`: opening and checking a proc root, the per-process file
//!   readers, the [`ListPids`] entry point;
//! - `lease.rs`: the reusable scan descriptor;
//! - `scan.rs`: the full scan and each filter's test;
//! - `children/`: `ppid` from the parent's `children` files (policy, reads,
//!   proof);
//! - `pidns.rs`: whether a proc root shows the caller's pid namespace, and
//!   how long that answer is kept (until a fork);
//! - `info.rs`: per-process information (`stat`, `status`, `exe`, `task/`,
//!   `fd/`, pidfds), the [`Inspect`](super::Inspect) entry point;
//! - `tree.rs`: `descendants`, by a walk over `children` files or one
//!   scan that links parents;
//! - `reread.rs`: the rule every `stat` reader follows for a record of a
//!   released task (read it again);
//! - `syscalls.rs`: the raw calls, the only `unsafe` code.
//!
//! # Cost per filter
//! - `all`: `getdents64` only;
//! - `uid`: one `fstatat` per process (the directory owner is the euid);
//! - `ppid`, `pgrp`, `tty`: one `openat`+`read`+`close` of `<pid>/stat`;
//! - `ruid`: one `openat`+`read`+`close` of `<pid>/status`.
//!
//! # Shortcuts
//!
//! - `ppid` in O(threads + children): the parent's `task/*/children`
//!   files, accepted only when the union is proven complete, else the scan
//!   (`children/proof.rs` holds the proof, from the kernel source);
//! - `ruid`, and `ppid` when it scans: `pidfd_open` + `PIDFD_GET_INFO` +
//!   `close` per process instead of reading a file, on kernels that have
//!   it (6.13+), when the proc root is the caller's pid namespace and
//!   hides nothing (`view.rs`); per process, any failure but "gone" falls
//!   back to the file (`pidfd.rs`);
//! - `uid` of the owner a reaped task reads as (root, or the overflow uid
//!   in a user namespace that does not map host root): a process reaped
//!   between the lookup and the `getattr` of its `fstatat` reads as owned
//!   by `GLOBAL_ROOT_UID`, so such answers are confirmed by a second
//!   lookup bound to the inode the first one read (`scan.rs`).

mod children;
mod info;
mod lease;
mod pidfd;
mod pidns;
mod released;
mod reread;
mod scan;
mod select;
mod select_ns;
mod select_stream;
mod stream;
mod syscalls;
mod tree;
mod view;
mod walk;

use core::ffi::CStr;
use std::fs::OpenOptions;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32};
use std::sync::{Arc, Mutex, OnceLock};

use super::{ListPids, Listed, Platform};
use crate::error::SharedPath;
use crate::parse;
use crate::{Errno, Error, ErrorKind, Filter, Pid, PidQuery};
use syscalls::{fstat, fstatfs, openat, read, stat_at};

/// The inode number of the root directory of every procfs instance.
const PROC_ROOT_INO: libc::ino_t = 1;

/// The live system on Linux.
pub(crate) type Live = ProcFs;

/// No public extras on Linux.
pub(crate) mod public {}

/// The `dev_t` encoding: glibc's `makedev`, which is also how the kernel
/// prints `tty_nr` in `/proc/<pid>/stat`.
pub(crate) mod dev {
    /// `makedev(major, minor)`.
    pub(crate) const fn makedev(major: u32, minor: u32) -> u64 {
        libc::makedev(major, minor)
    }

    /// `major(dev)`.
    pub(crate) const fn major(dev: u64) -> u32 {
        libc::major(dev)
    }

    /// `minor(dev)`.
    pub(crate) const fn minor(dev: u64) -> u32 {
        libc::minor(dev)
    }
}

/// A procfs mount, opened once: a cheap handle that a streaming iterator
/// can keep (`stream.rs`). The live `/proc` lives in a static, so opening
/// it allocates nothing; another mount is shared by reference count.
#[derive(Clone, Debug)]
pub(crate) struct ProcFs {
    shared: Shared,
}

#[derive(Clone, Debug)]
enum Shared {
    Static(&'static Inner),
    Counted(Arc<Inner>),
}

impl core::ops::Deref for ProcFs {
    type Target = Inner;

    #[inline]
    fn deref(&self) -> &Inner {
        match &self.shared {
            Shared::Static(inner) => inner,
            Shared::Counted(inner) => inner,
        }
    }
}

/// The live `/proc`, once opened.
static LIVE: OnceLock<Inner> = OnceLock::new();

/// What a [`ProcFs`] holds.
#[derive(Debug)]
pub(crate) struct Inner {
    path: SharedPath,
    /// The proc root, used for `*at` calls and to open scan descriptors.
    root: OwnedFd,
    /// A directory descriptor reused for `getdents64` by one query at a
    /// time, with the fork epoch it was opened in (`lease.rs`); a
    /// concurrent query opens its own.
    spare: Mutex<Option<(u64, OwnedFd)>>,
    /// Set once `<pid>/task/<tid>/children` proved absent (a kernel without
    /// `CONFIG_PROC_CHILDREN`): `ppid` then always scans.
    no_children_file: AtomicBool,
    /// What per-process reads learn once: clock tick, boot time, pidfs.
    facts: info::Facts,
    /// What this proc root lets queries answer through calls that bypass
    /// it (`view.rs`).
    shortcuts: view::Shortcuts,
    /// The parent last listed with many children (0: none), whose next
    /// query is proven by the global task counters (`children/`).
    many_children: AtomicI32,
}

impl ProcFs {
    /// Opens the procfs mounted at `path` and checks that it is one.
    fn open_root(path: &Path) -> Result<ProcFs, Error> {
        let inner = Inner::open(SharedPath::from(path))?;
        Ok(ProcFs {
            shared: Shared::Counted(Arc::new(inner)),
        })
    }

    /// The live `/proc`, opened once for the life of the process; no
    /// allocation.
    fn open_live() -> Result<ProcFs, Error> {
        let inner = match LIVE.get() {
            Some(inner) => inner,
            None => {
                let inner = Inner::open(SharedPath::Static(Path::new(crate::DEFAULT_PROC_ROOT)))?;
                // Another thread may have won: its descriptors are kept.
                LIVE.get_or_init(|| inner)
            }
        };
        Ok(ProcFs {
            shared: Shared::Static(inner),
        })
    }
}

impl Inner {
    /// Opens the procfs mounted at `path` and checks that it is one.
    fn open(path: SharedPath) -> Result<Inner, Error> {
        let path_ref: &Path = &path;
        let root = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(path_ref)
            .map_err(|e| {
                // A path std rejects before the kernel sees it (an interior
                // NUL) has no OS code: report it as the kernel would.
                let errno = e.raw_os_error().unwrap_or(libc::EINVAL);
                Error::new(ErrorKind::ProcRoot, "open")
                    .with_errno(Errno::from_raw(errno))
                    .with_path(path_ref)
            })?;
        let root = OwnedFd::from(root);
        let root_err = |op, errno| {
            Error::new(ErrorKind::ProcRoot, op)
                .with_errno(errno)
                .with_path(path_ref)
        };
        let fs = fstatfs(root.as_fd()).map_err(|errno| root_err("fstatfs", errno))?;
        if fs.f_type != libc::PROC_SUPER_MAGIC {
            return Err(Error::new(ErrorKind::NotProcfs, "fstatfs").with_path(path_ref));
        }
        // Every directory inside a procfs is procfs too: `/proc/self` would
        // list nothing, `/proc/self/task` thread ids and `/proc/self/fd`
        // descriptor numbers, as if each were the process table. The root
        // of a procfs instance is the inode PROC_ROOT_INO (1) of
        // `fs/proc/internal.h`; other proc inodes are numbered from a
        // counter that would have to wrap around 2^32 to reach 1.
        let st = fstat(root.as_fd()).map_err(|errno| root_err("fstat", errno))?;
        if st.st_ino != PROC_ROOT_INO {
            return Err(Error::new(ErrorKind::NotProcfs, "fstat").with_path(path_ref));
        }
        Ok(Inner {
            path,
            root,
            spare: Mutex::new(None),
            no_children_file: AtomicBool::new(false),
            facts: info::Facts::new(),
            shortcuts: view::Shortcuts::default(),
            many_children: AtomicI32::new(0),
        })
    }
}

impl ProcFs {
    fn err(&self, op: &'static str, errno: Errno) -> Error {
        Error::os(op, errno).with_path(&self.path)
    }

    /// The error of `op` on `pid` from [`read_pid_stat`] or another read of
    /// its files: [`CHANGING`] is "kept changing"
    /// ([`ErrorKind::Raced`]), never "no such process".
    fn per_pid(&self, op: &'static str, pid: Pid, errno: Errno) -> Error {
        if errno == CHANGING {
            return Error::raced_on(op, pid, reread::RELEASED_REREADS).with_path(&self.path);
        }
        self.err(op, errno).with_pid(pid)
    }

    fn malformed(&self, pid: Pid, file: &'static str) -> Error {
        Error::new(ErrorKind::Malformed, file)
            .with_path(&self.path)
            .with_pid(pid)
    }
}

impl Platform for ProcFs {
    fn live() -> Result<ProcFs, Error> {
        ProcFs::open_live()
    }

    fn open(root: &Path) -> Result<ProcFs, Error> {
        ProcFs::open_root(root)
    }

    fn root(&self) -> Option<&Path> {
        Some(&self.path)
    }
}

impl ListPids for ProcFs {
    fn estimate(&self, _query: &PidQuery) -> Result<usize, Error> {
        let st = fstat(self.root.as_fd()).map_err(|errno| self.err("fstat", errno))?;
        // st_nlink is the fixed entries plus the system-wide process count.
        Ok(usize::try_from(st.st_nlink).unwrap_or(usize::MAX))
    }

    fn list(&self, query: &PidQuery, out: &mut [Pid]) -> Result<Listed, Error> {
        let filter = query.filter();
        if let Filter::Ppid(ppid) = filter {
            if let Some(listed) = self.list_children(ppid, out) {
                return Ok(listed);
            }
        }
        if let Filter::Descendants(root) = filter {
            return self.list_descendants(root, out);
        }
        self.scan(filter, out)
    }
}

/// True for the errors that mean "this one process is gone or hidden":
/// `ENOENT`, `ESRCH`, `EPERM` and `EACCES` on a per-process file.
#[inline]
const fn vanished(errno: Errno) -> bool {
    matches!(
        errno.raw(),
        libc::ENOENT | libc::ESRCH | libc::EPERM | libc::EACCES
    )
}

/// `fstatat(dir, name)`'s `st_uid`; `Ok(None)` if the entry vanished or is
/// hidden.
fn stat_uid(dir: BorrowedFd<'_>, name: &CStr) -> Result<Option<u32>, Errno> {
    match stat_at(dir, name, libc::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st.st_uid)),
        Err(errno) if vanished(errno) => Ok(None),
        Err(errno) => Err(errno),
    }
}

/// Reads `<pid>/<file>` under `dir` into `buf` until end of file (a short
/// read) or `buf` is full: one `read` when the text fits. `Ok(None)` if the
/// process vanished or is hidden.
///
/// A file that vanished while `<pid>` itself still resolves is read again:
/// a lookup that raced an exec from a thread binds the file to the old
/// leader (`proc_pid_make_inode` takes the pid of the task it found, which
/// `exchange_tids` may have just swapped), and that file fails once the
/// old leader is released, though the process lives. Only a failed lookup
/// of `<pid>` says gone; [`CHANGING`] after [`reread::RELEASED_REREADS`]
/// such reads.
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
    for _ in 0..reread::RELEASED_REREADS {
        match read_whole(dir, path, buf) {
            Ok(filled) => return Ok(buf.get(..filled)),
            Err(errno) if gone(errno) && pid_resolves(dir, pid)? => {}
            Err(errno) if vanished(errno) => return Ok(None),
            Err(errno) => return Err(errno),
        }
    }
    Err(CHANGING)
}

/// `ENOENT` or `ESRCH`: the task a per-process file is bound to is gone.
const fn gone(errno: Errno) -> bool {
    matches!(errno.raw(), libc::ENOENT | libc::ESRCH)
}

/// Whether `<pid>` under `dir` resolves now (a new lookup of the number).
fn pid_resolves(dir: BorrowedFd<'_>, pid: Pid) -> Result<bool, Errno> {
    let mut path = [0u8; parse::PID_PATH_MAX];
    let Some(path) = parse::pid_path(pid, b"", &mut path) else {
        return Err(Errno::EINVAL);
    };
    match openat(dir, path, libc::O_PATH | libc::O_DIRECTORY) {
        Ok(_) => Ok(true),
        Err(errno) if vanished(errno) => Ok(false),
        Err(errno) => Err(errno),
    }
}

/// Reads the file `path` under `dir` into `buf` until end of file or `buf`
/// is full; how many bytes.
fn read_whole(dir: BorrowedFd<'_>, path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    let fd = openat(dir, path, 0)?;
    let mut filled = 0;
    while let Some(spare) = buf.get_mut(filled..).filter(|s| !s.is_empty()) {
        let n = read(fd.as_fd(), spare)?;
        filled += n;
        // `stat` and `status` are single-record seq files: one read returns
        // the whole text when it fits, so a short read is the end of file
        // and asking again would only return 0 (as procps's `file2str` also
        // assumes). A text cut short would fail to parse, never mislead.
        if n < spare.len() {
            break;
        }
    }
    Ok(filled)
}

/// `<pid>/stat` under `dir` into `buf`, read again while it shows a task
/// already released (`reread.rs`: the old leader of an exec from a thread
/// reads so for a moment). `Ok(None)` if the process vanished or is
/// hidden; [`CHANGING`] if every read showed a released task (see
/// [`ProcFs::per_pid`]).
fn read_pid_stat<'b>(
    dir: BorrowedFd<'_>,
    pid: Pid,
    buf: &'b mut [u8],
) -> Result<Option<&'b [u8]>, Errno> {
    let read = reread::unreleased_stat(buf, |buf| {
        read_pid_file(dir, pid, b"stat", buf).map(|text| text.map(<[u8]>::len))
    })?;
    match read {
        reread::Reread::Record(bytes) => Ok(Some(bytes)),
        reread::Reread::Gone => Ok(None),
        reread::Reread::Changing => Err(CHANGING),
    }
}

/// What [`read_pid_stat`] says for a process that kept changing: no read
/// of a procfs file (opened blocking) fails with it.
const CHANGING: Errno = Errno::from_raw(libc::EAGAIN);
