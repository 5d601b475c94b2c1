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
//!
//! # `ppid` in O(children)
//!
//! When the parent is single-threaded, `ppid` first reads
//! `<ppid>/task/<ppid>/children`, then checks that every child it lists
//! still exists and that the parent is still single-threaded. The kernel
//! builds that file by walking the thread's `children` list; a child reaped
//! mid-walk can make it skip a sibling, and a thread that exits hands its
//! children to another thread, which is why the answer is accepted only
//! when neither can have happened: every listed child still exists (a reaped
//! one could not) and the thread set is the parent alone, before and after.
//! Otherwise — a multi-threaded parent, a kernel without
//! `CONFIG_PROC_CHILDREN`, a hidden parent or child, more children than the
//! buffer holds — the query falls back to the full scan, so the two paths
//! give the same answer.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::fs::OpenOptions;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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
/// Bytes of a `children` file read per call.
const CHILDREN_BUF: usize = 4096;
/// Bytes of `getdents64` records read from a `<pid>/task` directory.
const TASK_DENTS_BUF: usize = 512;

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
    /// Set once `<pid>/task/<tid>/children` proved absent (a kernel without
    /// `CONFIG_PROC_CHILDREN`): `ppid` then always scans.
    no_children_file: AtomicBool,
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
        let root_err = |op, errno| {
            Error::new(ErrorKind::ProcRoot, op)
                .with_errno(errno)
                .with_path(path)
        };
        let fs = fstatfs(root.as_fd()).map_err(|errno| root_err("fstatfs", errno))?;
        if fs.f_type != libc::PROC_SUPER_MAGIC {
            return Err(Error::new(ErrorKind::NotProcfs, "fstatfs").with_path(path));
        }
        // Every directory inside a procfs is procfs too: `/proc/self` would
        // list nothing, `/proc/self/task` thread ids and `/proc/self/fd`
        // descriptor numbers, as if each were the process table. The root
        // of a procfs instance is the inode PROC_ROOT_INO (1) of
        // `fs/proc/internal.h`; other proc inodes are numbered from a
        // counter that would have to wrap around 2^32 to reach 1.
        let st = fstat(root.as_fd()).map_err(|errno| root_err("fstat", errno))?;
        if st.st_ino != PROC_ROOT_INO {
            return Err(Error::new(ErrorKind::NotProcfs, "fstat").with_path(path));
        }
        Ok(ProcFs {
            path: path.to_path_buf(),
            root,
            spare: Mutex::new(None),
            no_children_file: AtomicBool::new(false),
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
                rewind(fd.as_fd()).map_err(|errno| self.err("lseek", errno))?;
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

    /// `ppid` from the parent's `children` file, when its answer can be
    /// proven complete (see the module docs); `None` means "scan instead".
    fn list_children(&self, ppid: Pid, out: &mut [Pid]) -> Option<Listed> {
        if ppid == Pid::ZERO || self.no_children_file.load(Ordering::Relaxed) {
            return None;
        }
        let mut path = [0u8; parse::PID_PATH_MAX];
        let task = openat(
            self.root.as_fd(),
            parse::pid_path(ppid, b"task", &mut path)?,
            libc::O_DIRECTORY,
        )
        .ok()?;
        if !only_thread_is(task.as_fd(), ppid) {
            return None;
        }
        let file = parse::pid_path(ppid, b"children", &mut path)?;
        let children = match openat(task.as_fd(), file, 0) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => {
                // The thread is there but its children file is not: the
                // kernel lacks CONFIG_PROC_CHILDREN. Stop trying.
                let thread = parse::pid_path(ppid, b"", &mut path)?;
                if matches!(stat_uid(task.as_fd(), thread), Ok(Some(_))) {
                    self.no_children_file.store(true, Ordering::Relaxed);
                }
                return None;
            }
            Err(_) => return None,
        };
        let mut found = 0usize;
        let mut list = parse::PidList::new();
        let mut chunk = [0u8; CHILDREN_BUF];
        let mut emit = |pid: Pid| {
            if let Some(slot) = out.get_mut(found) {
                *slot = pid;
            }
            found += 1;
        };
        loop {
            let n = read(children.as_fd(), &mut chunk).ok()?;
            if n == 0 {
                break;
            }
            if !list.feed(chunk.get(..n)?, &mut emit) {
                return None;
            }
        }
        if !list.finish(&mut emit) {
            return None;
        }
        // More children than room: let the scan count them exactly.
        let answer = out.get_mut(..found)?;
        // A child reaped during the read may have made the kernel skip a
        // sibling: accept the list only if every child listed still exists.
        for &child in answer.iter() {
            let name = parse::pid_path(child, b"", &mut path)?;
            stat_uid(self.root.as_fd(), name).ok()??;
        }
        // A thread created (or exiting) meanwhile may hold children we did
        // not read.
        rewind(task.as_fd()).ok()?;
        if !only_thread_is(task.as_fd(), ppid) {
            return None;
        }
        answer.sort_unstable();
        if answer.windows(2).any(|w| w.first() == w.get(1)) {
            return None;
        }
        Some(Listed::Complete(found))
    }

    fn malformed(&self, pid: Pid, file: &'static str) -> Error {
        Error::new(ErrorKind::Malformed, file)
            .with_path(&self.path)
            .with_pid(pid)
    }
}

impl Kernel for ProcFs {
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
        self.scan(filter, out)
    }
}

impl ProcFs {
    /// The full scan: every pid directory, each tested against `filter`.
    fn scan(&self, filter: Filter, out: &mut [Pid]) -> Result<Listed, Error> {
        let lease = self.lease()?;
        let dir = lease.fd();
        let mut dents = [MaybeUninit::<u8>::uninit(); DENTS_BUF];
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

/// One `getdents64` call into `buf`, retried on `EINTR`; the bytes filled
/// (empty at the end of the directory).
fn getdents<'b>(dir: BorrowedFd<'_>, buf: &'b mut [MaybeUninit<u8>]) -> Result<&'b [u8], Errno> {
    loop {
        // SAFETY: `dir` is an open directory; the kernel writes at most
        // `buf.len()` bytes to `buf`, which is writable for that many.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                dir.as_raw_fd(),
                buf.as_mut_ptr().cast::<u8>(),
                buf.len(),
            )
        };
        if n >= 0 {
            let n = usize::try_from(n).unwrap_or(0).min(buf.len());
            // SAFETY: the kernel initialized the first `n` bytes of `buf`,
            // and `n <= buf.len()`.
            return Ok(unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) });
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// `lseek(fd, 0, SEEK_SET)`: restarts a directory listing.
fn rewind(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: `fd` is open for the call; no memory is passed.
    let rc = unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_SET) };
    match rc {
        0 => Ok(()),
        _ => Err(Errno::last()),
    }
}

/// One `read` into `buf`, retried on `EINTR`; the byte count (0 at end of
/// file).
fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        // SAFETY: `fd` is open; `buf` is writable for `buf.len()` bytes.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(usize::try_from(n).unwrap_or(0).min(buf.len()));
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// Whether the `<pid>/task` directory `task` lists exactly one thread, `pid`.
fn only_thread_is(task: BorrowedFd<'_>, pid: Pid) -> bool {
    let mut dents = [MaybeUninit::<u8>::uninit(); TASK_DENTS_BUF];
    let mut threads = 0usize;
    loop {
        let Ok(bytes) = getdents(task, &mut dents) else {
            return false;
        };
        if bytes.is_empty() {
            return threads == 1;
        }
        for dirent in Dirents::new(bytes) {
            let Ok(dirent) = dirent else {
                return false;
            };
            if let Some(tid) = parse::pid_name(dirent.name) {
                threads += 1;
                if tid != pid || threads > 1 {
                    return false;
                }
            }
        }
    }
}

/// `fstatat(dir, name, flags)`, retried on `EINTR`.
fn stat_at(dir: BorrowedFd<'_>, name: &CStr, flags: libc::c_int) -> Result<libc::stat, Errno> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    loop {
        // SAFETY: `dir` is open, `name` NUL-terminated, `st` writable.
        let rc = unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), st.as_mut_ptr(), flags) };
        if rc == 0 {
            // SAFETY: `fstatat` succeeded and initialized `st`.
            return Ok(unsafe { st.assume_init() });
        }
        let errno = Errno::last();
        if errno != Errno::EINTR {
            return Err(errno);
        }
    }
}

/// `fstat(fd)`.
fn fstat(fd: BorrowedFd<'_>) -> Result<libc::stat, Errno> {
    stat_at(fd, c"", libc::AT_EMPTY_PATH)
}

/// `fstatfs(fd)`.
fn fstatfs(fd: BorrowedFd<'_>) -> Result<libc::statfs, Errno> {
    let mut fs = MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `fd` is an open descriptor; `fs` is a writable `statfs`.
    match unsafe { libc::fstatfs(fd.as_raw_fd(), fs.as_mut_ptr()) } {
        // SAFETY: `fstatfs` succeeded, so it initialized the whole struct.
        0 => Ok(unsafe { fs.assume_init() }),
        _ => Err(Errno::last()),
    }
}

/// `fstatat(dir, name)`'s `st_uid`; `Ok(None)` if the entry vanished or is
/// hidden.
fn stat_uid(dir: BorrowedFd<'_>, name: &CStr) -> Result<Option<u32>, Errno> {
    match stat_at(dir, name, libc::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st.st_uid)),
        Err(errno) if errno.is_vanished() => Ok(None),
        Err(errno) => Err(errno),
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
        let n = match read(fd.as_fd(), spare) {
            Ok(n) => n,
            Err(errno) if errno.is_vanished() => return Ok(None),
            Err(errno) => return Err(errno),
        };
        filled += n;
        // `stat` and `status` are single-record seq files: one read returns
        // the whole text when it fits, so a short read is the end of file
        // and asking again would only return 0 (as procps's `file2str` also
        // assumes). A text cut short would fail to parse, never mislead.
        if n < spare.len() {
            break;
        }
    }
    Ok(buf.get(..filled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// A `sh` whose only children are `n` sleepers (and, with `zombie`, one
    /// exited child it has not reaped); killed with its group on drop.
    struct Family {
        sh: std::process::Child,
        kids: Vec<Pid>,
    }

    impl Family {
        fn spawn(n: usize, zombie: bool) -> Family {
            use std::os::unix::process::CommandExt;
            // The sleepers, then (with `zombie`) a child that exits at once;
            // `sh` then execs a `sleep` that never reaps it. Only builtins run
            // between that fork and the exec, so `sh` cannot reap it first.
            let z = if zombie {
                "(exit 0) & p=\"$p $!\"; "
            } else {
                ""
            };
            let script = format!(
                "p=; for i in $(seq {n}); do sleep 60 & p=\"$p $!\"; done; {z}echo $p; exec sleep 60"
            );
            let mut sh = Command::new("sh")
                .args(["-c", &script])
                .stdout(Stdio::piped())
                .process_group(0)
                .spawn()
                .unwrap();
            let mut line = String::new();
            BufReader::new(sh.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            let mut kids: Vec<Pid> = line
                .split_whitespace()
                .map(|p| Pid::from_raw(p.parse().unwrap()).unwrap())
                .collect();
            kids.sort_unstable();
            assert_eq!(kids.len(), n + usize::from(zombie));
            Family { sh, kids }
        }

        fn pid(&self) -> Pid {
            Pid::from(&self.sh)
        }
    }

    impl Drop for Family {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", self.sh.id())])
                .status();
            let _ = self.sh.wait();
        }
    }

    fn answer(listed: Listed, out: &[Pid]) -> Vec<Pid> {
        match listed {
            Listed::Complete(n) => out[..n].to_vec(),
            Listed::Full { needed } => panic!("unexpectedly full, needed {needed:?}"),
        }
    }

    #[test]
    fn children_file_path_equals_the_scan() {
        let fs = ProcFs::open(Path::new("/proc")).unwrap();
        for (n, zombie) in [(0, false), (1, false), (5, true), (40, false)] {
            let family = Family::spawn(n, zombie);
            let mut fast = vec![Pid::ZERO; 64];
            let Some(listed) = fs.list_children(family.pid(), &mut fast) else {
                if fs.no_children_file.load(Ordering::Relaxed) {
                    eprintln!("skipped: this kernel has no children files");
                    return;
                }
                panic!("a single-threaded sh must take the children-file path");
            };
            let fast = answer(listed, &fast);
            let mut slow = vec![Pid::ZERO; 64];
            let scanned = fs.scan(Filter::Ppid(family.pid()), &mut slow).unwrap();
            assert_eq!(fast, answer(scanned, &slow));
            assert_eq!(fast, family.kids);
        }
    }

    #[test]
    fn children_file_path_declines_what_it_cannot_prove() {
        let fs = ProcFs::open(Path::new("/proc")).unwrap();
        let family = Family::spawn(5, false);
        // Too little room: the scan must count the children exactly.
        let mut small = [Pid::ZERO; 4];
        assert_eq!(fs.list_children(family.pid(), &mut small), None);
        // The test harness runs tests on threads: not single-threaded.
        let mut out = [Pid::ZERO; 64];
        if std::fs::read_dir("/proc/self/task").unwrap().count() > 1 {
            assert_eq!(fs.list_children(Pid::this(), &mut out), None);
        }
        // No such parent, and pid 0: left to the scan.
        assert_eq!(
            fs.list_children(Pid::from_raw(i32::MAX).unwrap(), &mut out),
            None
        );
        assert_eq!(fs.list_children(Pid::ZERO, &mut out), None);
    }
}
