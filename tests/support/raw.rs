//! The raw calls the exactness tests make to build their adversaries:
//! forks whose children only run async-signal-safe code or leave through
//! `_exit`, `clone3` with `set_tid`, namespaces, ids and a proc mount.

#![allow(dead_code)]

use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// `fork()`: `Ok(0)` in the child, the child's pid in the parent.
pub fn fork() -> std::io::Result<libc::pid_t> {
    // SAFETY: no memory is passed; the callers' children run only what a
    // child of a multi-threaded process may (raw calls, then `_exit`), or
    // are children of a single-threaded process.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(pid)
}

/// Leaves the process at once, without running destructors or handlers.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` never returns and touches no memory of ours.
    unsafe { libc::_exit(code) }
}

/// `struct clone_args` (`include/uapi/linux/sched.h`), version 2.
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// `clone3` as a fork (a copy of the caller, `SIGCHLD` at exit) whose
/// child gets the pid `tids[0]` in its own pid namespace, `tids[1]` in the
/// parent namespace and so on: `Ok(0)` in the child.
pub fn clone3_with_tids(tids: &[libc::pid_t]) -> std::io::Result<libc::pid_t> {
    let args = CloneArgs {
        exit_signal: libc::SIGCHLD as u64,
        set_tid: tids.as_ptr() as u64,
        set_tid_size: tids.len() as u64,
        ..CloneArgs::default()
    };
    let size = core::mem::size_of::<CloneArgs>();
    // SAFETY: `args` and the `tids` it points to are valid for the call;
    // without CLONE_VM the child gets a copy of this stack, as with fork.
    let rc = unsafe { libc::syscall(libc::SYS_clone3, &args as *const CloneArgs, size) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(rc as libc::pid_t)
}

/// Waits for the child `pid`; its raw wait status.
pub fn wait(pid: libc::pid_t) -> std::io::Result<i32> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a writable int.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return Ok(status);
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// Reaps every child that has exited or will, until none is left.
pub fn reap_all() {
    let mut status = 0;
    // SAFETY: `status` is a writable int.
    while unsafe { libc::waitpid(-1, &mut status, 0) } > 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
    {}
}

/// `kill(pid, SIGKILL)`, ignoring errors.
pub fn kill(pid: libc::pid_t) {
    // SAFETY: no memory is passed.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// `unshare(flags)`.
pub fn unshare(flags: libc::c_int) -> std::io::Result<()> {
    // SAFETY: no memory is passed.
    if unsafe { libc::unshare(flags) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// `setresgid(g, g, g)` then `setresuid(u, u, u)`.
pub fn become_ids(uid: u32, gid: u32) -> std::io::Result<()> {
    // SAFETY: no memory is passed.
    if unsafe { libc::setresgid(gid, gid, gid) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: no memory is passed.
    if unsafe { libc::setresuid(uid, uid, uid) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// `SECBIT_NO_SETUID_FIXUP` (`include/uapi/linux/securebits.h`).
const SECBIT_NO_SETUID_FIXUP: libc::c_ulong = 1 << 2;

/// Changes every uid to `uid` while keeping the capabilities (root only):
/// `prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP)` first.
pub fn become_uid_keeping_caps(uid: u32) -> std::io::Result<()> {
    // SAFETY: no memory is passed.
    if unsafe { libc::prctl(libc::PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: no memory is passed.
    if unsafe { libc::setresuid(uid, uid, uid) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Mounts a fresh procfs of the caller's pid namespace on `/proc` (in a
/// private mount namespace).
pub fn mount_proc() -> std::io::Result<()> {
    let src = CString::new("proc").unwrap();
    let target = CString::new("/proc").unwrap();
    let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    // SAFETY: NUL-terminated strings valid for the call; no data.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            src.as_ptr(),
            flags,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Makes every mount below `/` private, so that mounts made here stay in
/// this mount namespace.
pub fn make_mounts_private() -> std::io::Result<()> {
    let root = CString::new("/").unwrap();
    let flags = libc::MS_REC | libc::MS_PRIVATE;
    // SAFETY: a NUL-terminated path valid for the call; no source, type
    // or data.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            root.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Reads one byte from `fd` (blocking); `None` at end of file.
pub fn read_byte(fd: &OwnedFd) -> Option<u8> {
    use std::os::fd::AsRawFd;
    let mut byte = 0u8;
    loop {
        // SAFETY: `byte` is writable for one byte; `fd` is open.
        let n = unsafe { libc::read(fd.as_raw_fd(), (&mut byte as *mut u8).cast(), 1) };
        match n {
            1 => return Some(byte),
            n if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) => {}
            _ => return None,
        }
    }
}

/// A pipe: (read end, write end), close-on-exec.
pub fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is a writable array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `pipe2` returned two new descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Writes all of `bytes` to `fd` with raw `write` calls (no lock a forked
/// child could find held).
pub fn write_all(fd: &OwnedFd, mut bytes: &[u8]) {
    use std::os::fd::AsRawFd;
    while !bytes.is_empty() {
        // SAFETY: `bytes` is readable for its length; `fd` is open.
        let n = unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// `getpid()`.
pub fn getpid() -> libc::pid_t {
    // SAFETY: no memory is passed.
    unsafe { libc::getpid() }
}

/// `pause()` forever.
pub fn pause_forever() -> ! {
    loop {
        // SAFETY: no memory is passed.
        unsafe { libc::pause() };
    }
}

/// `prctl(PR_SET_NAME, name)`: the caller's `comm` (at most 15 bytes).
pub fn set_name(name: &std::ffi::CStr) -> std::io::Result<()> {
    // SAFETY: `name` is NUL-terminated and valid for the call.
    if unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr(), 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// `setpgid(0, 0)`: the caller leads a process group of its own.
pub fn own_group() -> std::io::Result<()> {
    // SAFETY: no memory is passed.
    if unsafe { libc::setpgid(0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
