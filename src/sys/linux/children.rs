//! `ppid` in O(children): the parent's `children` file, accepted only when
//! its answer can be proven complete (see the backend's docs).

use core::mem::MaybeUninit;
use core::sync::atomic::Ordering;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::syscalls::{getdents, openat, read, rewind};
use super::{stat_uid, ProcFs};
use crate::parse::{self, Dirents};
use crate::sys::Listed;
use crate::{Errno, Pid};

/// Bytes of a `children` file read per call.
const CHILDREN_BUF: usize = 4096;
/// Bytes of `getdents64` records read from a `<pid>/task` directory.
const TASK_DENTS_BUF: usize = 512;

impl ProcFs {
    /// `ppid` from the parent's `children` file, when its answer can be
    /// proven complete (see the module docs); `None` means "scan instead".
    pub(super) fn list_children(&self, ppid: Pid, out: &mut [Pid]) -> Option<Listed> {
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
        let children = self.open_children(task.as_fd(), ppid)?;
        let found = read_children(children.as_fd(), out)?;
        // More children than room: let the scan count them exactly.
        let answer = out.get_mut(..found)?;
        // A child reaped during the read may have made the kernel skip a
        // sibling: accept the list only if every child listed still exists.
        if !self.all_exist(answer) {
            return None;
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

    /// Opens `task/<tid>/children` under the `task` directory; notes a kernel
    /// without `CONFIG_PROC_CHILDREN` so that later queries scan at once.
    fn open_children(&self, task: BorrowedFd<'_>, tid: Pid) -> Option<OwnedFd> {
        let mut path = [0u8; parse::PID_PATH_MAX];
        let file = parse::pid_path(tid, b"children", &mut path)?;
        match openat(task, file, 0) {
            Ok(fd) => Some(fd),
            Err(Errno::ENOENT) => {
                // The thread is there but its children file is not: the
                // kernel lacks CONFIG_PROC_CHILDREN. Stop trying.
                let thread = parse::pid_path(tid, b"", &mut path)?;
                if matches!(stat_uid(task, thread), Ok(Some(_))) {
                    self.no_children_file.store(true, Ordering::Relaxed);
                }
                None
            }
            Err(_) => None,
        }
    }

    /// Whether every pid in `pids` still has its `/proc` entry.
    fn all_exist(&self, pids: &[Pid]) -> bool {
        let mut path = [0u8; parse::PID_PATH_MAX];
        pids.iter().all(|&pid| {
            parse::pid_path(pid, b"", &mut path)
                .is_some_and(|name| matches!(stat_uid(self.root.as_fd(), name), Ok(Some(_))))
        })
    }
}

/// Reads a `children` file to its end, writing the pids it lists to the
/// front of `out` while there is room; the number listed, which may exceed
/// `out.len()`. `None` on a read error or a malformed list.
fn read_children(file: BorrowedFd<'_>, out: &mut [Pid]) -> Option<usize> {
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
        let n = read(file, &mut chunk).ok()?;
        if n == 0 {
            break;
        }
        if !list.feed(chunk.get(..n)?, &mut emit) {
            return None;
        }
    }
    list.finish(&mut emit).then_some(found)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Filter;
    use std::io::{BufRead, BufReader};
    use std::path::Path;
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
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
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
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
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
