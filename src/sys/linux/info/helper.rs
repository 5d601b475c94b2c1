//! Test helpers: this test binary, run again with [`MODE_VAR`] set, turns
//! into a process of a given shape before `main` (from `.init_array`):
//!
//! - `exec-from-thread`: a worker thread execs this binary again (with
//!   the same environment, so the new image does the same), in a loop,
//!   while the main thread waits: the thread-group leader is replaced at
//!   every round (`de_thread` in `fs/exec.c`), the pid never changes;
//! - `leader-exit`: opens [`LEADER_EXIT_FDS`] descriptors, starts a thread
//!   that waits forever, and ends the main thread as `pthread_exit` does:
//!   the leader is a zombie while the process lives on (the thread exits
//!   with the raw `exit` call `pthread_exit` ends with).
//!
//! # Safety
//!
//! Raw calls (`pthread_create`, `execv`, the `exit` system call) before `main`,
//! each block with what it relies on.

#![allow(unsafe_code)]

use core::ffi::{c_void, CStr};
use core::ptr;

/// The environment variable that selects a shape.
pub(super) const MODE_VAR: &str = "PIDQUERY_INFO_HELPER";
/// A file to which `exec-from-thread` appends one byte per exec.
pub(super) const COUNT_VAR: &str = "PIDQUERY_INFO_HELPER_COUNT";
/// The descriptors the `leader-exit` process holds besides 0, 1 and 2.
pub(super) const LEADER_EXIT_FDS: usize = 10;

#[used]
#[link_section = ".init_array"]
static HOOK: extern "C" fn() = hook;

/// Runs before `main`: nothing unless [`MODE_VAR`] names a shape.
extern "C" fn hook() {
    // SAFETY: a NUL-terminated name; before `main` no thread changes the
    // environment.
    let mode = unsafe { libc::getenv(c"PIDQUERY_INFO_HELPER".as_ptr()) };
    if mode.is_null() {
        return;
    }
    // SAFETY: `getenv` returned a NUL-terminated string that lives as long
    // as the environment is not changed.
    match unsafe { CStr::from_ptr(mode) }.to_bytes() {
        b"exec-from-thread" => {
            spawn(exec_self);
            loop {
                // SAFETY: no arguments; returns only on a signal.
                unsafe { libc::pause() };
            }
        }
        b"leader-exit" => {
            for _ in 0..LEADER_EXIT_FDS {
                // SAFETY: a NUL-terminated path; the descriptor is kept
                // open on purpose.
                unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY) };
            }
            spawn(wait_forever);
            // `exit` ends the calling (main) thread only, as `pthread_exit`
            // does in the end (without unwinding through this frame); the
            // spawned thread keeps the process alive.
            loop {
                // SAFETY: a raw thread exit; nothing of this thread is
                // used afterwards.
                unsafe { libc::syscall(libc::SYS_exit, 0) };
            }
        }
        _ => {}
    }
}

/// Starts a detached thread running `run`.
fn spawn(run: extern "C" fn(*mut c_void) -> *mut c_void) {
    let mut thread: libc::pthread_t = 0;
    // SAFETY: `thread` is a valid out-pointer, default attributes, `run`
    // takes and ignores its argument.
    let rc = unsafe { libc::pthread_create(&mut thread, ptr::null(), run, ptr::null_mut()) };
    if rc != 0 {
        // SAFETY: exits the process without running Rust code.
        unsafe { libc::_exit(3) };
    }
}

extern "C" fn exec_self(_: *mut c_void) -> *mut c_void {
    // SAFETY: a NUL-terminated name; no thread changes the environment.
    let count = unsafe { libc::getenv(c"PIDQUERY_INFO_HELPER_COUNT".as_ptr()) };
    if !count.is_null() {
        let flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_CLOEXEC;
        // SAFETY: a NUL-terminated path from the environment.
        let fd = unsafe { libc::open(count, flags, 0o600) };
        if fd >= 0 {
            // SAFETY: one byte from a static, to a descriptor this thread
            // opened and closes.
            unsafe {
                libc::write(fd, b".".as_ptr().cast(), 1);
                libc::close(fd);
            }
        }
    }
    let argv = [c"pidquery-exec-from-thread".as_ptr(), ptr::null()];
    // SAFETY: a NUL-terminated path and a NULL-terminated argument list of
    // NUL-terminated strings; the environment is inherited.
    unsafe { libc::execv(c"/proc/self/exe".as_ptr(), argv.as_ptr()) };
    // SAFETY: exec failed: leave without running Rust code.
    unsafe { libc::_exit(4) }
}

extern "C" fn wait_forever(_: *mut c_void) -> *mut c_void {
    loop {
        // SAFETY: no arguments; returns only on a signal.
        unsafe { libc::pause() };
    }
}
