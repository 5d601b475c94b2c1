//! Whether any task at all was created, or released, during a window,
//! from two global counters: the proof that the `children` reads of a
//! `ppid` or `descendants` query saw a fixed set of tasks (`children/`,
//! `tree.rs`), and that a parent with thousands of children needs no check
//! per child.
//!
//! # The counters
//!
//! - `total_forks`, the `processes` line of `/proc/stat` (`show_stat`,
//!   `fs/proc/stat.c`): every task ever created, threads included;
//! - `nr_threads`, the total after the `/` in `/proc/loadavg`
//!   (`loadavg_proc_show`, `fs/proc/loadavg.c`): the tasks that exist.
//!
//! `copy_process` (`kernel/fork.c`) does `nr_threads++` and then
//! `total_forks++` inside one `write_lock_irq(&tasklist_lock)` section;
//! `release_task` (`kernel/exit.c`, `__unhash_process`) does
//! `nr_threads--` under the same lock; nothing else touches them. Both are
//! global, whatever pid namespace the proc root belongs to.
//!
//! # The bound
//!
//! Read `F1 = total_forks`, then `N1 = nr_threads`; do the work; read
//! `N2 = nr_threads`; make one call that takes `read_lock(&tasklist_lock)`
//! (a read of a `children` file: `get_children_pid`); read
//! `F2 = total_forks`. Every fork whose `nr_threads++` falls between the
//! reads of `N1` and `N2` did its `total_forks++` after `F1` was read, and
//! before `F2` was: it held the write lock across both increments, and the
//! read lock in between could only be taken once that section had ended.
//! So the tasks released between the reads of `N1` and `N2` number
//!
//! `(forks counted in N2 − N1) − (N2 − N1) ≤ (F2 − F1) − (N2 − N1)`,
//!
//! and when the right side is 0, no task was released during the work.
//! Anything else (a task released anywhere, a counter that cannot be
//! read, a file that is not procfs's own, such as an LXCFS overlay) only
//! means "maybe": the caller then checks each child.
//!
//! # No task created
//!
//! [`Quiet`] reads `F1`, makes one call that takes the lock, does the
//! work, makes another, and reads `F2`. When `F2 == F1`, no task was
//! created anywhere in between, so every pid the work named stood for one
//! task throughout (a pid is only reused by a new task), and no thread
//! joined any thread group. A creation the work could have seen counts:
//!
//! - one that `F1` counted ended its write section before the first call
//!   took the read lock, so the work sees the task fully linked (a thread
//!   in its group's listing, a pid in use);
//! - one whose effects the work saw (a thread listed, a child handed to
//!   a new thread, a pid answering a lookup) ended its write section
//!   before the second call's read lock, so `F2` counts it.
//!
//! On x86 both follow from program order alone (TSO: `copy_process` links
//! the task before it increments the counter); elsewhere they rest on the
//! lock, whose use in `copy_process`, `release_task` and
//! `get_children_pid` is not ABI and is not checked at run time.
//! `/proc/stat` costs about one and a half `stat` reads on a small machine
//! and grows with the number of CPUs; it is read twice per window.

use std::os::fd::{AsFd, BorrowedFd};

use super::syscalls::{fstatfs, openat, read};

/// A window in which no task was created anywhere, and whether none was
/// released either: the proof that a piece of work saw a fixed set of
/// tasks, apart from exits, so that each pid it named stood for one task
/// throughout (see "No task created" in the module docs).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Quiet {
    forks: u64,
    tasks: Option<u64>,
}

/// What a [`Quiet`] window showed once closed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Closed {
    /// No task was created between the two reads of `total_forks`.
    pub(super) quiet: bool,
    /// Nor released between the two reads of `nr_threads` (only when they
    /// were read).
    pub(super) none_released: bool,
}

impl Quiet {
    /// Reads `total_forks` (and `nr_threads` when `count_tasks`), then
    /// makes `lock`'s call, which must take `read_lock(&tasklist_lock)`
    /// (and say whether it was made). `None` when a counter cannot be read.
    pub(super) fn open(
        root: BorrowedFd<'_>,
        count_tasks: bool,
        lock: impl FnOnce() -> bool,
    ) -> Option<Quiet> {
        let forks = total_forks(root)?;
        let tasks = if count_tasks {
            Some(nr_threads(root)?)
        } else {
            None
        };
        lock().then_some(Quiet { forks, tasks })
    }

    /// After the work: `nr_threads` if it was read before, then `lock`'s
    /// call, then `total_forks`. `None` when a counter cannot be read.
    pub(super) fn close(self, root: BorrowedFd<'_>, lock: impl FnOnce() -> bool) -> Option<Closed> {
        let tasks = match self.tasks {
            Some(_) => Some(nr_threads(root)?),
            None => None,
        };
        if !lock() {
            return None;
        }
        let quiet = total_forks(root)? == self.forks;
        // With no task created, `nr_threads` can only have fallen.
        let none_released = quiet && tasks.is_some() && tasks == self.tasks;
        Some(Closed {
            quiet,
            none_released,
        })
    }
}

/// The counters read before a piece of work.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Window {
    forks: u64,
    tasks: u64,
}

impl Window {
    /// Reads `total_forks`, then `nr_threads`; `None` if either cannot be
    /// read.
    pub(super) fn open(root: BorrowedFd<'_>) -> Option<Window> {
        let forks = total_forks(root)?;
        Some(Window {
            forks,
            tasks: nr_threads(root)?,
        })
    }

    /// Whether no task was released since [`open`](Window::open), by the
    /// bound above; `lock` must make one call that takes
    /// `read_lock(&tasklist_lock)` (and say whether it did).
    pub(super) fn none_released(self, root: BorrowedFd<'_>, lock: impl FnOnce() -> bool) -> bool {
        let Some(tasks) = nr_threads(root) else {
            return false;
        };
        if !lock() {
            return false;
        }
        let Some(forks) = total_forks(root) else {
            return false;
        };
        let forked = i128::from(forks) - i128::from(self.forks);
        let grew = i128::from(tasks) - i128::from(self.tasks);
        forked - grew <= 0
    }
}

/// One call that takes `read_lock(&tasklist_lock)`: a one-byte read of the
/// caller's own `thread-self/children` (`get_children_pid` takes the lock
/// before it looks at the thread). `false` where that file is missing.
pub(super) fn lock_tasklist(root: BorrowedFd<'_>) -> bool {
    openat(root, c"thread-self/children", 0)
        .and_then(|fd| read(fd.as_fd(), &mut [0u8; 1]))
        .is_ok()
}

/// Bytes of `/proc/stat` read per call.
const STAT_CHUNK: usize = 4096;

/// `total_forks`, from `stat` under the proc root `root`.
pub(super) fn total_forks(root: BorrowedFd<'_>) -> Option<u64> {
    let fd = procfs_file(root, c"stat")?;
    let mut scan = ProcessesLine::default();
    let mut chunk = [0u8; STAT_CHUNK];
    loop {
        let n = read(fd.as_fd(), &mut chunk).ok()?;
        if n == 0 {
            return scan.finish();
        }
        scan.feed(chunk.get(..n)?);
        if let Some(value) = scan.done() {
            return Some(value);
        }
    }
}

/// `nr_threads`, from `loadavg` under the proc root `root`.
pub(super) fn nr_threads(root: BorrowedFd<'_>) -> Option<u64> {
    let fd = procfs_file(root, c"loadavg")?;
    let mut buf = [0u8; 256];
    let n = read(fd.as_fd(), &mut buf).ok()?;
    loadavg_threads(buf.get(..n)?)
}

/// Opens `name` under `root` when it is procfs's own file (not something
/// mounted over it).
fn procfs_file(root: BorrowedFd<'_>, name: &core::ffi::CStr) -> Option<std::os::fd::OwnedFd> {
    let fd = openat(root, name, 0).ok()?;
    let fs = fstatfs(fd.as_fd()).ok()?;
    (fs.f_type == libc::PROC_SUPER_MAGIC).then_some(fd)
}

/// The total task count of a `/proc/loadavg` text:
/// `"0.81 0.99 3.42 2/89 28630\n"` → 89.
fn loadavg_threads(text: &[u8]) -> Option<u64> {
    let field = text.split(|&b| b == b' ').nth(3)?;
    let (_, total) = field.split_at(field.iter().position(|&b| b == b'/')? + 1);
    digits(total)
}

fn digits(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |value, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A scanner for the `processes N` line of `/proc/stat`, fed in chunks.
#[derive(Debug)]
struct ProcessesLine {
    /// Bytes of `"processes "` matched on this line; `None` once the line
    /// cannot be it.
    matched: Option<usize>,
    /// The digits after the prefix.
    value: Option<u64>,
    /// The line ended after its digits.
    complete: bool,
    /// Something after the prefix was not a digit.
    bad: bool,
}

impl Default for ProcessesLine {
    fn default() -> ProcessesLine {
        ProcessesLine {
            matched: Some(0),
            value: None,
            complete: false,
            bad: false,
        }
    }
}

const PREFIX: &[u8] = b"processes ";

impl ProcessesLine {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.complete || self.bad {
                return;
            }
            match self.matched {
                Some(n) if n == PREFIX.len() => {
                    if b == b'\n' {
                        self.complete = self.value.is_some();
                        self.bad = !self.complete;
                    } else {
                        let digit = b.wrapping_sub(b'0');
                        let next = self
                            .value
                            .unwrap_or(0)
                            .checked_mul(10)
                            .and_then(|v| v.checked_add(u64::from(digit)));
                        match next {
                            Some(v) if digit <= 9 => self.value = Some(v),
                            _ => self.bad = true,
                        }
                    }
                }
                Some(n) => {
                    self.matched = if b == b'\n' {
                        Some(0)
                    } else if PREFIX.get(n) == Some(&b) {
                        Some(n + 1)
                    } else {
                        None
                    };
                }
                None => {
                    if b == b'\n' {
                        self.matched = Some(0);
                    }
                }
            }
        }
    }

    fn done(&self) -> Option<u64> {
        self.value.filter(|_| self.complete && !self.bad)
    }

    /// At end of file: a last line without its newline counts too.
    fn finish(self) -> Option<u64> {
        if self.bad {
            return None;
        }
        match self.matched {
            Some(n) if n == PREFIX.len() => self.value,
            _ => self.done(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn processes(chunks: &[&[u8]]) -> Option<u64> {
        let mut scan = ProcessesLine::default();
        for chunk in chunks {
            scan.feed(chunk);
            if let Some(v) = scan.done() {
                return Some(v);
            }
        }
        scan.finish()
    }

    #[test]
    fn the_processes_line_is_found_across_chunks() {
        let stat = b"cpu  1 2 3\nintr 5 6 processes 9\nctxt 7\nprocesses 672841\nprocs_running 2\n";
        assert_eq!(processes(&[stat]), Some(672_841));
        for cut in 0..stat.len() {
            let (a, b) = stat.split_at(cut);
            assert_eq!(processes(&[a, b]), Some(672_841), "cut at {cut}");
        }
        assert_eq!(processes(&[b"processes 12"]), Some(12));
        assert_eq!(processes(&[b"cpu 1\n"]), None);
        assert_eq!(processes(&[b"processes \n"]), None);
        assert_eq!(processes(&[b"processes 1x\n"]), None);
        assert_eq!(processes(&[b"xprocesses 3\n"]), None);
        assert_eq!(processes(&[b"processes 99999999999999999999999\n"]), None);
    }

    #[test]
    fn loadavg_gives_the_task_total() {
        assert_eq!(loadavg_threads(b"0.81 0.99 3.42 2/89 28630\n"), Some(89));
        assert_eq!(loadavg_threads(b"0.81 0.99 3.42 2/ 28630\n"), None);
        assert_eq!(loadavg_threads(b"0.81 0.99 3.42 289 28630\n"), None);
        assert_eq!(loadavg_threads(b""), None);
    }

    /// The window rests on `total_forks` counting threads too: a thread
    /// created between two reads moves it, so a window around it is not
    /// quiet.
    #[test]
    fn a_thread_created_in_a_window_breaks_it() {
        let root = std::fs::File::open(Path::new("/proc")).unwrap();
        let root = root.as_fd();
        let before = total_forks(root).unwrap();
        let window = Quiet::open(root, true, || lock_tasklist(root)).unwrap();
        std::thread::spawn(|| {}).join().unwrap();
        assert!(total_forks(root).unwrap() > before);
        let closed = window.close(root, || lock_tasklist(root)).unwrap();
        assert!(!closed.quiet && !closed.none_released);
    }

    #[test]
    fn the_live_counters_move_with_a_fork() {
        let root = std::fs::File::open(Path::new("/proc")).unwrap();
        let root = root.as_fd();
        let before = total_forks(root).unwrap();
        let threads = nr_threads(root).unwrap();
        assert!(threads >= 1 && before >= threads);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        assert!(total_forks(root).unwrap() > before);
    }
}
