//! The bare-syscall floor: the least kernel work that answers each filter,
//! written directly against libc, with no more parsing than the match needs.
//!
//! - `all`: `getdents64` on a kept-open `/proc` descriptor, 32 KiB at a time;
//! - `uid`: plus one `fstatat` per process (`st_uid` of `/proc/<pid>`);
//! - `ppid`, `pgrp`, `tty`: plus one `openat` + `read` + `close` of
//!   `<pid>/stat`;
//! - `ruid`: the same of `<pid>/status`;
//! - a name, a command line: `<pid>/stat` for the name, then
//!   `<pid>/cmdline` only for the processes whose name passed (for every
//!   process when there is no name condition);
//! - `ruid_pidfd`: instead, `pidfd_open` + `ioctl(PIDFD_GET_INFO)` +
//!   `close` per process (Linux 6.13+).
//!
//! It takes shortcuts a library cannot: one `read` per file (procfs returns
//! these small files whole), no retry on `EINTR`, no check that `/proc` is a
//! procfs, a process that vanishes is just skipped, a reaped process that
//! `fstatat` reports as owned by root is not checked again.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// Bytes of `getdents64` records per call.
const DENTS: usize = 32 * 1024;

/// Which `stat` field a filter compares (counted after the last `)`:
/// 0 is the state, 1 `ppid`, 2 `pgrp`, 4 `tty_nr`).
#[derive(Copy, Clone)]
pub enum StatField {
    Ppid = 1,
    Pgrp = 2,
    TtyNr = 4,
}

/// A kept-open `/proc` and its `getdents64` buffer.
pub struct Floor {
    dir: OwnedFd,
    dents: Box<[u8]>,
}

impl Floor {
    pub fn open() -> io::Result<Floor> {
        Ok(Floor {
            dir: std::fs::File::open("/proc")?.into(),
            dents: vec![0u8; DENTS].into_boxed_slice(),
        })
    }

    /// Calls `each(dirfd, pid, name)` for every all-digit entry of `/proc`;
    /// `name` ends with its NUL.
    fn scan(&mut self, mut each: impl FnMut(RawFd, i32, &[u8])) -> io::Result<()> {
        let fd = self.dir.as_raw_fd();
        // SAFETY: `fd` is an open descriptor owned by `self.dir`.
        if unsafe { libc::lseek(fd, 0, libc::SEEK_SET) } != 0 {
            return Err(io::Error::last_os_error());
        }
        loop {
            // SAFETY: `fd` is an open directory; the kernel writes at most
            // `DENTS` bytes to `self.dents`, which is that long.
            let n =
                unsafe { libc::syscall(libc::SYS_getdents64, fd, self.dents.as_mut_ptr(), DENTS) };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            let Some(bytes) = self.dents.get(..n as usize).filter(|b| !b.is_empty()) else {
                return Ok(());
            };
            // linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name.
            let mut rest = bytes;
            while rest.len() > 19 {
                let reclen = usize::from(u16::from_ne_bytes([rest[16], rest[17]]));
                let name = &rest[19..reclen.min(rest.len())];
                let digits = name.iter().take_while(|b| b.is_ascii_digit()).count();
                if digits > 0 && name.get(digits) == Some(&0) {
                    let pid = name[..digits]
                        .iter()
                        .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'));
                    each(fd, pid, &name[..=digits]);
                }
                rest = &rest[reclen.max(20).min(rest.len())..];
            }
        }
    }

    /// Every process.
    pub fn all(&mut self, out: &mut Vec<i32>) -> io::Result<()> {
        out.clear();
        self.scan(|_, pid, _| out.push(pid))
    }

    /// Processes whose `/proc/<pid>` is owned by `uid`: one `fstatat` each.
    pub fn uid(&mut self, uid: u32, out: &mut Vec<i32>) -> io::Result<()> {
        out.clear();
        self.scan(|dir, pid, name| {
            let mut st = MaybeUninit::<libc::stat>::uninit();
            // SAFETY: `dir` is open, `name` is NUL-terminated, `st` is a
            // writable `stat`.
            let rc = unsafe {
                libc::fstatat(
                    dir,
                    name.as_ptr().cast(),
                    st.as_mut_ptr(),
                    libc::AT_SYMLINK_NOFOLLOW,
                )
            };
            // SAFETY: `fstatat` succeeded, so it initialized `st`.
            if rc == 0 && unsafe { st.assume_init_ref() }.st_uid == uid {
                out.push(pid);
            }
        })
    }

    /// Processes whose `stat` field `field` is `value`: one
    /// `openat`+`read`+`close` each.
    pub fn stat(&mut self, field: StatField, value: i64, out: &mut Vec<i32>) -> io::Result<()> {
        out.clear();
        self.scan(|dir, pid, name| {
            let mut buf = [0u8; 1024];
            let Some(bytes) = read_pid_file(dir, name, b"stat", &mut buf) else {
                return;
            };
            let Some(close) = bytes.iter().rposition(|&b| b == b')') else {
                return;
            };
            let found = bytes[close + 1..]
                .split(|&b| b == b' ')
                .filter(|f| !f.is_empty())
                .nth(field as usize)
                .and_then(parse_i64);
            if found == Some(value) {
                out.push(pid);
            }
        })
    }

    /// Processes whose real uid (first field of `Uid:` in `status`) is
    /// `ruid`: one `openat`+`read`+`close` each.
    pub fn ruid(&mut self, ruid: u32, out: &mut Vec<i32>) -> io::Result<()> {
        out.clear();
        self.scan(|dir, pid, name| {
            let mut buf = [0u8; 4096];
            let Some(bytes) = read_pid_file(dir, name, b"status", &mut buf) else {
                return;
            };
            let Some(at) = bytes.windows(5).position(|w| w == b"\nUid:") else {
                return;
            };
            let found = bytes[at + 5..]
                .split(|b| b.is_ascii_whitespace())
                .find(|f| !f.is_empty())
                .and_then(parse_i64);
            if found == Some(i64::from(ruid)) {
                out.push(pid);
            }
        })
    }

    /// Processes whose real uid is `ruid`, asked of the kernel:
    /// `pidfd_open` + `ioctl(PIDFD_GET_INFO)` + `close` each.
    pub fn ruid_pidfd(&mut self, ruid: u32, out: &mut Vec<i32>) -> io::Result<()> {
        /// `_IOWR(0xFF, 11, struct pidfd_info)` of its first 64 bytes.
        const PIDFD_GET_INFO: libc::c_ulong = (3 << 30) | (64 << 16) | (0xFF << 8) | 11;
        out.clear();
        self.scan(|_, pid, _| {
            // SAFETY: `pidfd_open` takes a pid and flags, no memory.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
            let Ok(fd) = libc::c_int::try_from(fd) else {
                return;
            };
            if fd < 0 {
                return;
            }
            // mask, cgroupid, then u32 pid, tgid, ppid, ruid, rgid, ...
            let mut info = [0u32; 16];
            // SAFETY: `fd` is open; `info` is 64 writable bytes, the size
            // the request encodes.
            let rc = unsafe { libc::ioctl(fd, PIDFD_GET_INFO as _, info.as_mut_ptr()) };
            // SAFETY: `fd` was opened above and is closed once.
            unsafe { libc::close(fd) };
            if rc == 0 && info[7] == ruid {
                out.push(pid);
            }
        })
    }
}

impl Floor {
    /// Processes whose `stat` name is exactly `name` (when given) and
    /// whose command line contains `pattern` (when given; the arguments
    /// joined by spaces, as `ps -o args` shows them): one
    /// `openat`+`read`+`close` of `<pid>/stat` each for the name, then the
    /// same of `<pid>/cmdline` only for the processes that passed. One
    /// `read` of at most 4 KiB of `cmdline` (what `pgrep -f` reads too); a
    /// kernel thread's empty command line is not shown as `[name]`.
    pub fn named(
        &mut self,
        name: Option<&[u8]>,
        pattern: Option<&[u8]>,
        out: &mut Vec<i32>,
    ) -> io::Result<()> {
        out.clear();
        self.scan(|dir, pid, entry| {
            let mut buf = [0u8; 4096];
            if let Some(name) = name {
                let Some(bytes) = read_pid_file(dir, entry, b"stat", &mut buf) else {
                    return;
                };
                let open = bytes.iter().position(|&b| b == b'(');
                let close = bytes.iter().rposition(|&b| b == b')');
                match (open, close) {
                    (Some(open), Some(close)) if bytes.get(open + 1..close) == Some(name) => {}
                    _ => return,
                }
            }
            if let Some(pattern) = pattern {
                let Some(bytes) = read_pid_file(dir, entry, b"cmdline", &mut buf) else {
                    return;
                };
                // Each argument ends with a NUL: the last one is dropped,
                // the others read as spaces.
                let n = bytes.len() - usize::from(bytes.last() == Some(&0));
                let text = &mut buf[..n];
                for b in text.iter_mut().filter(|b| **b == 0) {
                    *b = b' ';
                }
                if pattern.is_empty() || !text.windows(pattern.len()).any(|w| w == pattern) {
                    return;
                }
            }
            out.push(pid);
        })
    }
}

impl Floor {
    /// Every process's `(pid, parent)`: one `openat`+`read`+`close` of
    /// `<pid>/stat` each (the scan a parent map needs).
    pub fn parents(&mut self, out: &mut Vec<(i32, i32)>) -> io::Result<()> {
        out.clear();
        self.scan(|dir, pid, name| {
            let mut buf = [0u8; 1024];
            let Some(bytes) = read_pid_file(dir, name, b"stat", &mut buf) else {
                return;
            };
            let Some(close) = bytes.iter().rposition(|&b| b == b')') else {
                return;
            };
            let ppid = bytes[close + 1..]
                .split(|&b| b == b' ')
                .filter(|f| !f.is_empty())
                .nth(1)
                .and_then(parse_i64);
            if let Some(ppid) = ppid {
                out.push((pid, ppid as i32));
            }
        })
    }
}

/// The `children` files of every thread of `pid`, read with libc and not
/// checked (`/proc/<pid>/task`, `getdents64`, then
/// `task/<tid>/children` of each): what reading the children files alone
/// costs. Pushes the pids listed to `out`.
pub fn children_files(pid: i32, out: &mut Vec<i32>) -> io::Result<()> {
    let path = format!("/proc/{pid}/task\0");
    // SAFETY: `path` is NUL-terminated.
    let task = unsafe {
        libc::open(
            path.as_ptr().cast(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if task < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut dents = [0u8; 4096];
    let mut tids = [0i32; 256];
    let mut ntids = 0;
    loop {
        // SAFETY: `task` is an open directory; the kernel writes at most
        // `dents.len()` bytes.
        let n =
            unsafe { libc::syscall(libc::SYS_getdents64, task, dents.as_mut_ptr(), dents.len()) };
        if n <= 0 {
            break;
        }
        let mut rest = &dents[..n as usize];
        while rest.len() > 19 {
            let reclen = usize::from(u16::from_ne_bytes([rest[16], rest[17]]));
            let name = &rest[19..reclen.min(rest.len())];
            let digits = name.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 0 && ntids < tids.len() {
                tids[ntids] = name[..digits]
                    .iter()
                    .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'));
                ntids += 1;
            }
            rest = &rest[reclen.max(20).min(rest.len())..];
        }
    }
    let mut buf = [0u8; 4096];
    for &tid in &tids[..ntids] {
        let file = format!("{tid}/children\0");
        // SAFETY: `task` is open and `file` NUL-terminated.
        let fd =
            unsafe { libc::openat(task, file.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            continue;
        }
        let mut value = 0i32;
        let mut in_number = false;
        loop {
            // SAFETY: `fd` is open; `buf` is writable for its length.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            for &b in &buf[..n as usize] {
                if b.is_ascii_digit() {
                    value = value * 10 + i32::from(b - b'0');
                    in_number = true;
                } else if in_number {
                    out.push(value);
                    value = 0;
                    in_number = false;
                }
            }
        }
        if in_number {
            out.push(value);
        }
        // SAFETY: `fd` came from `openat` above and is closed once.
        unsafe { libc::close(fd) };
    }
    // SAFETY: `task` came from `open` above and is closed once.
    unsafe { libc::close(task) };
    Ok(())
}

/// The subtree below `root` by reading children files alone, breadth
/// first ([`children_files`] of each process found).
pub fn descendants_by_children(root: i32, out: &mut Vec<i32>) -> io::Result<()> {
    out.clear();
    children_files(root, out)?;
    let mut next = 0;
    while let Some(&pid) = out.get(next) {
        next += 1;
        // A process gone meanwhile has no children left to list.
        let _ = children_files(pid, out);
    }
    Ok(())
}

fn parse_i64(field: &[u8]) -> Option<i64> {
    let (neg, digits) = match field.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, field),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    Some(if neg { -n } else { n })
}

/// One `openat` + `read` + `close` of `<name>/<file>` under `dir`.
fn read_pid_file<'b>(dir: RawFd, name: &[u8], file: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let mut path = [0u8; 32];
    let digits = name.len() - 1;
    path[..digits].copy_from_slice(&name[..digits]);
    path[digits] = b'/';
    path[digits + 1..digits + 1 + file.len()].copy_from_slice(file);
    // SAFETY: `dir` is open; `path` is NUL-terminated (zeroed, at most
    // 10 digits + '/' + at most 7 bytes written into 32).
    let fd = unsafe { libc::openat(dir, path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` is open; `buf` is writable for `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    // SAFETY: `fd` was returned by `openat` above and is closed only here.
    unsafe { libc::close(fd) };
    buf.get(..usize::try_from(n).ok()?)
}

/// A pidfd per process (`pidfd_open`), polled without waiting: the check a
/// watcher woken by exits would make. It sees deaths only.
pub struct Pidfds {
    fds: Vec<libc::pollfd>,
}

impl Pidfds {
    /// Opens a pidfd for each of `pids` (those that exist).
    pub fn open(pids: &[i32]) -> Pidfds {
        let fds = pids
            .iter()
            .filter_map(|&pid| {
                // SAFETY: `pidfd_open(pid, 0)` takes two integers and
                // returns a new descriptor or -1.
                let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
                (fd >= 0).then_some(libc::pollfd {
                    fd: fd as i32,
                    events: libc::POLLIN,
                    revents: 0,
                })
            })
            .collect();
        Pidfds { fds }
    }

    /// How many of the processes have exited: one `poll` with no timeout.
    pub fn ready(&mut self) -> usize {
        // SAFETY: `fds` is a live array of `fds.len()` pollfds.
        let n = unsafe { libc::poll(self.fds.as_mut_ptr(), self.fds.len() as libc::nfds_t, 0) };
        usize::try_from(n).unwrap_or(0)
    }
}

impl Drop for Pidfds {
    fn drop(&mut self) {
        for p in &self.fds {
            // SAFETY: each fd came from `pidfd_open` and is closed once.
            unsafe { libc::close(p.fd) };
        }
    }
}
