//! The raw calls of the soak's fixture (`support::churn`): a leader
//! thread's exit alone, a child with a chosen pid, capabilities kept
//! across a uid change, and the pid and children facts they need.

use std::ffi::CString;
use std::time::Duration;

pub use super::raw::getpid;

/// Whether the calling thread is the thread-group leader.
pub fn on_leader() -> bool {
    // SAFETY: gettid takes no arguments.
    unsafe { libc::gettid() == getpid() }
}

pub fn park() -> ! {
    loop {
        std::thread::park();
    }
}

extern "C" fn exit_this_thread(_: libc::c_int) {
    // SAFETY: SYS_exit ends the calling thread only and takes no memory.
    unsafe { libc::syscall(libc::SYS_exit, 0) };
}

/// Makes the thread-group leader (not the caller, which libtest runs on a
/// thread of its own) exit with `SYS_exit`, leaving the process running
/// on its other threads: a signal handled on the leader alone.
pub fn leader_exit() {
    assert!(!on_leader(), "soak: the fixture must run off the leader");
    // SAFETY: a zeroed sigaction is valid; the handler only makes a
    // syscall, which is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = exit_this_thread as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
    // SAFETY: tgkill with our own pid as both group and thread id signals
    // our leader thread.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, getpid(), getpid(), libc::SIGUSR1) };
    assert_eq!(rc, 0, "tgkill of the leader");
}

pub fn check(what: &str, rc: libc::c_int) {
    assert!(rc == 0, "soak: {what}: {}", std::io::Error::last_os_error());
}

/// `clone3` with `set_tid`: a child with exactly pid `pid` that execs
/// `argv`; `Err(errno)` (`EEXIST` while the pid is taken). Needs
/// `CAP_SYS_ADMIN` over the pid namespace.
pub fn spawn_with_pid(pid: i32, argv: &[CString]) -> Result<i32, i32> {
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    match super::raw::clone3_with_tids(&[pid]) {
        Ok(0) => {
            // SAFETY: the child has its own copy of memory (no CLONE_VM)
            // and only calls execv and _exit (async-signal-safe) on
            // pointers prepared before the call; `ptrs` is a
            // NULL-terminated array of C strings.
            unsafe {
                libc::execv(ptrs[0], ptrs.as_ptr());
                libc::_exit(127);
            }
        }
        Ok(child) => Ok(child),
        Err(e) => Err(e.raw_os_error().unwrap_or(0)),
    }
}

/// A pid nobody holds, far from where the kernel hands pids out now.
pub fn free_pid() -> i32 {
    let read = |p: &str| -> i32 {
        std::fs::read_to_string(p)
            .expect(p)
            .trim()
            .parse()
            .expect("a number")
    };
    let max = read("/proc/sys/kernel/pid_max");
    let last = read("/proc/sys/kernel/ns_last_pid");
    let mut x = (last + max / 2) % max;
    loop {
        x = x.max(1000) + 1;
        if x >= max {
            x = 1000;
        }
        if !std::path::Path::new(&format!("/proc/{x}")).exists() {
            return x;
        }
    }
}

/// The children of this process, whichever thread forked them (each
/// thread's `children` file lists its own).
pub fn children_of_every_thread() -> Vec<i32> {
    let mut kids = Vec::new();
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        kids.extend(
            text.split_whitespace()
                .filter_map(|w| w.parse::<i32>().ok()),
        );
    }
    kids
}

/// Makes `CAP_SYS_ADMIN` effective again from the permitted set, on the
/// calling thread.
pub fn raise_sys_admin() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Copy, Clone, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    const CAP_SYS_ADMIN: u32 = 21;
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: a version-3 header and room for its two data records.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    assert_eq!(rc, 0, "capget: {}", std::io::Error::last_os_error());
    data[0].effective |= 1 << CAP_SYS_ADMIN;
    // SAFETY: as above, the records filled by capget.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", std::io::Error::last_os_error());
}
