//! The real ids and the parent of one process through `pidfd_open(2)` and
//! the `PIDFD_GET_INFO` ioctl (`fs/pidfs.c`, `pidfd_info`), instead of
//! reading its `status` or `stat`.
//!
//! What the kernel returns is what those files print, in the caller's
//! namespaces: `ruid` and `rgid` are the real ids of the thread-group
//! leader's credentials mapped into the caller's user namespace (`status`
//! maps them into the opener's, the same caller), and `ppid` is the thread-group id
//! of `real_parent` in the caller's pid namespace (`do_task_stat` prints
//! the same in the proc root's, which the caller only uses when the two
//! are one: see `view.rs`). A zombie still has its task, so it answers as
//! its files do.
//!
//! Per process, only "no such process" is final. Everything else falls
//! back to the file: `EINVAL` from `pidfd_open` (a pid racing with its
//! exit, or no longer a thread-group leader), `ESRCH` from the ioctl
//! (reaped between the two calls, or, on 6.13 and 6.14, a process whose
//! parent is outside the namespace, such as `kthreadd`), `EREMOTE`, and
//! running out of descriptors.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::syscalls::{pidfd_get_info, pidfd_open, PidfdInfo};
use super::view::pidfd_info_works;
use super::ProcFs;
use crate::{Errno, Pid};

/// `PIDFD_INFO_PID | PIDFD_INFO_CREDS`: the fields every reply fills.
const PID_AND_CREDS: u64 = 0x1 | 0x2;

/// What `PIDFD_GET_INFO` said about one process.
#[derive(Copy, Clone, Debug)]
pub(super) enum PidfdAnswer {
    /// The kernel's answer for this process.
    Info(PidfdInfo),
    /// No process has this pid any more.
    Gone,
    /// No answer this way: read the process's file instead.
    Fallback,
}

/// Asks the kernel about the process `pid` of the caller's pid namespace.
pub(super) fn info(pid: Pid) -> PidfdAnswer {
    match open(pid) {
        Ok(fd) => ask(fd.as_fd(), pid),
        Err(answer) => answer,
    }
}

/// A pidfd of the process `pid` of the caller's pid namespace: the
/// process that holds `pid` now; else what to do instead.
pub(super) fn open(pid: Pid) -> Result<OwnedFd, PidfdAnswer> {
    match pidfd_open(pid.as_raw()) {
        Ok(fd) => Ok(fd),
        Err(Errno::ESRCH) => Err(PidfdAnswer::Gone),
        Err(_) => Err(PidfdAnswer::Fallback),
    }
}

/// Asks the kernel about the process of `fd`, opened for `pid`. An answer
/// means that process had not been reaped when the kernel gave it
/// (`pidfd_info` fails with `ESRCH` once it has).
pub(super) fn ask(fd: BorrowedFd<'_>, pid: Pid) -> PidfdAnswer {
    match pidfd_get_info(fd) {
        Ok(info)
            if info.mask & PID_AND_CREDS == PID_AND_CREDS
                && i64::from(info.pid) == i64::from(pid.as_raw()) =>
        {
            PidfdAnswer::Info(info)
        }
        _ => PidfdAnswer::Fallback,
    }
}

impl ProcFs {
    /// Whether `PIDFD_GET_INFO` may answer for this root's processes:
    /// its pids are the caller's (`pidns.rs`), the kernel has the call
    /// (`view.rs`), and the mount hides no process a pidfd would show.
    pub(super) fn pidfd_answers(&self) -> bool {
        self.in_caller_ns() && pidfd_info_works() && self.hides_nothing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_field(pid: u32, key: &str) -> Option<u32> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = text.lines().find(|l| l.starts_with(key))?;
        line[key.len()..].split_whitespace().next()?.parse().ok()
    }

    #[test]
    fn pidfd_answers_agree_with_status() {
        if !pidfd_info_works() {
            eprintln!("skipped: this kernel has no PIDFD_GET_INFO");
            return;
        }
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let kid = Pid::from(&child);
        for pid in [Pid::this(), kid, Pid::from_raw(1).unwrap()] {
            let raw = pid.as_raw() as u32;
            let PidfdAnswer::Info(info) = info(pid) else {
                panic!("no pidfd answer for {pid}");
            };
            assert_eq!(Some(info.ruid), status_field(raw, "Uid:"), "ruid of {pid}");
            assert_eq!(Some(info.ppid), status_field(raw, "PPid:"), "ppid of {pid}");
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(matches!(info(kid), PidfdAnswer::Gone));
        // A thread that is not a leader has no pidfd of its own: the
        // answer comes from the file.
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let link = std::fs::read_link("/proc/thread-self").unwrap();
            let tid: i32 = link.file_name().unwrap().to_str().unwrap().parse().unwrap();
            tx.send(tid).unwrap();
            done_rx.recv().unwrap();
        });
        let tid = Pid::from_raw(rx.recv().unwrap()).unwrap();
        assert!(matches!(info(tid), PidfdAnswer::Fallback));
        done_tx.send(()).unwrap();
        thread.join().unwrap();
    }

    #[test]
    fn a_zombie_answers_with_its_own_credentials() {
        if !pidfd_info_works() {
            eprintln!("skipped: this kernel has no PIDFD_GET_INFO");
            return;
        }
        let child = std::process::Command::new("true").spawn().unwrap();
        let kid = Pid::from(&child);
        let stat = format!("/proc/{kid}/stat");
        let started = std::time::Instant::now();
        while !std::fs::read_to_string(&stat).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, t)| t.trim_start().starts_with('Z'))
        }) {
            assert!(started.elapsed().as_secs() < 10, "no zombie");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let PidfdAnswer::Info(info) = info(kid) else {
            panic!("a zombie has a pidfd answer");
        };
        assert_eq!(i64::from(info.ppid), i64::from(Pid::this().as_raw()));
        assert_eq!(Some(info.ruid), status_field(kid.as_raw() as u32, "Uid:"));
        let mut child = child;
        child.wait().unwrap();
    }
}
