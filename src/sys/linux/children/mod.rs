//! `ppid` in O(threads + children): the parent's `task/<tid>/children`
//! files, whose union is accepted only when checks made at run time prove
//! it complete; otherwise the query scans, which is exact.
//!
//! This file holds the policy: when the files are tried, in which order
//! they are read and checked, and what declines. `reads.rs` holds the
//! reads; `proof.rs` why an accepted answer is exact (from the kernel
//! source) and the checks that prove it.
//!
//! # The rule
//!
//! An answer is given only when, in this order:
//!
//! 1. `total_forks` is read, then one call takes `tasklist_lock` (a
//!    one-byte read of the leader's `children` file): the window opens
//!    ([`Quiet`]);
//! 2. the task directory lists the leader first, and a group of more
//!    threads is a process (not a thread of one);
//! 3. every listed thread's `children` file is read to its end;
//! 4. the task directory lists exactly the same threads, in the same
//!    order, and every one but the leader is neither `Z` nor `X`;
//! 5. every listed child still exists (or, for a parent seen with many
//!    children, `nr_threads` shows that no task was released);
//! 6. one call takes the lock and `total_forks` has not moved: no task was
//!    created anywhere since step 1;
//! 7. no pid was listed twice.
//!
//! A `descendants` walk (`tree.rs`) opens one window for the whole walk
//! and runs steps 2–5 and 7 for each node ([`Scope::Walk`]).
//!
//! Anything else — no `CONFIG_PROC_CHILDREN`, a hidden or denied parent, a
//! task created anywhere meanwhile, a thread or child that left, more
//! threads than [`reads::MAX_THREADS`] or than the scan would cost, more
//! children than the slice holds — declines, and the query scans.

mod proof;
mod reads;

#[cfg(test)]
mod churn;
#[cfg(test)]
mod tests;

use core::sync::atomic::Ordering;
use std::os::fd::{AsFd, BorrowedFd};

use super::released::Quiet;
use super::syscalls::{fstat, openat, pread, rewind};
use super::ProcFs;
use crate::parse;
use crate::sys::Listed;
use crate::Pid;
use reads::{list_threads, read_children, same_threads, Tids};

/// Above this many threads, a parent is scanned if it has more threads
/// than twice the processes (a `children` file costs about what a `stat`
/// does, and a scan reads one `stat` per process).
const THREADS_WORTH_COUNTING: usize = 64;
/// A parent listed with at least this many children has its next query
/// proven by `nr_threads` (`released.rs`) rather than one call per child,
/// when it shows that no task was released meanwhile.
const MANY_CHILDREN: usize = 256;
/// How many times a `ppid` query reads the files while the only reason to
/// decline is a task created somewhere during the reads (a busy machine
/// forks all the time; 10,000 children take ~30 ms to read, a scan ten
/// times that).
const OWN_ATTEMPTS: usize = 3;

/// Who opens and closes the window of step 1 and 6.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    /// This query: a `ppid` answer.
    Own,
    /// The caller, around many queries: a node of a `descendants` walk.
    Walk,
}

impl ProcFs {
    /// `ppid` from the parent's `children` files, when the union is proven
    /// complete (see the module docs); `None` means "scan instead".
    ///
    /// A window that saw a task created anywhere declines only that
    /// attempt: each attempt is proven on its own, and one more read of
    /// the files costs far less than the scan, so up to
    /// [`OWN_ATTEMPTS`] are made while that is the only reason.
    pub(super) fn list_children(&self, ppid: Pid, out: &mut [Pid]) -> Option<Listed> {
        for _ in 0..OWN_ATTEMPTS {
            let mut busy = false;
            let listed = self.list_children_with(ppid, out, Scope::Own, Checks::ALL, &mut |step| {
                busy |= step == Step::Busy;
            });
            if listed.is_some() || !busy {
                return listed;
            }
        }
        None
    }

    /// [`list_children`](Self::list_children) within `scope`, with some of
    /// its proofs switched off and `step` called at each step of the reads:
    /// for the walk, and for the tests that show, by changing the parent at
    /// those steps, that each proof is needed.
    pub(super) fn list_children_with(
        &self,
        ppid: Pid,
        out: &mut [Pid],
        scope: Scope,
        checks: Checks,
        step: &mut dyn FnMut(Step),
    ) -> Option<Listed> {
        if ppid == Pid::ZERO || self.no_children_file.load(Ordering::Relaxed) {
            return None;
        }
        let root = self.root.as_fd();
        let mut path = [0u8; parse::PID_PATH_MAX];
        let task = openat(
            root,
            parse::pid_path(ppid, b"task", &mut path)?,
            libc::O_DIRECTORY,
        )
        .ok()?;
        let leader = self.open_children(task.as_fd(), ppid)?;
        // A parent seen with many children last time: count the tasks
        // released while its files are read, which is cheaper than a call
        // per child and, unlike those calls, shows nothing hidden, so only
        // where the mount hides nothing.
        let counted = scope == Scope::Own
            && self.many_children.load(Ordering::Relaxed) == ppid.as_raw()
            && self.hides_nothing();
        let window = match scope {
            Scope::Own if checks.quiet => {
                Some(Quiet::open(root, counted, || touch(leader.as_fd()))?)
            }
            _ => None,
        };
        let mut before = Tids::new();
        list_threads(task.as_fd(), &mut before)?;
        let threads = before.as_slice();
        // `/proc/<tid>/task` of a thread lists its whole group, leader
        // first; only a group of one needs no look at the root directory.
        if threads.first() != Some(&ppid) || !(threads.len() == 1 || self.is_process(ppid)?) {
            return None;
        }
        if before.len() > THREADS_WORTH_COUNTING {
            let processes = fstat(root).ok()?.st_nlink;
            if u64::try_from(before.len()).ok()? > processes.saturating_mul(2) {
                return None;
            }
        }
        let mut found = 0usize;
        for &tid in threads {
            let other = match tid == ppid {
                true => None,
                false => Some(self.open_children(task.as_fd(), tid)?),
            };
            let file = other.as_ref().map_or(leader.as_fd(), AsFd::as_fd);
            step(Step::Opened(tid));
            found = read_children(file, out, found, &mut || step(Step::Read(tid)))?;
            step(Step::ReadAll(tid));
        }
        let many = found >= MANY_CHILDREN;
        if many || counted {
            let keep = if many { ppid.as_raw() } else { 0 };
            self.many_children.store(keep, Ordering::Relaxed);
        }
        // More children than room: let the scan count them exactly.
        let answer = out.get_mut(..found)?;
        if checks.threads_remain {
            rewind(task.as_fd()).ok()?;
            if !same_threads(task.as_fd(), threads)?
                || !proof::others_not_exiting(task.as_fd(), threads, ppid)
            {
                return None;
            }
        }
        let lock = || touch(leader.as_fd());
        match window {
            Some(window) if counted => {
                let closed = window.close(root, lock)?;
                step(Step::Counted(closed.none_released));
                if !closed.quiet {
                    step(Step::Busy);
                    return None;
                }
                if checks.children_remain && !closed.none_released {
                    // The children are checked after the window closed:
                    // close it again after them.
                    if !self.all_remain(answer) {
                        return None;
                    }
                    if !window.close(root, lock)?.quiet {
                        step(Step::Busy);
                        return None;
                    }
                }
            }
            Some(window) => {
                if checks.children_remain && !self.all_remain(answer) {
                    return None;
                }
                if !window.close(root, lock)?.quiet {
                    step(Step::Busy);
                    return None;
                }
            }
            None => {
                if checks.children_remain && !self.all_remain(answer) {
                    return None;
                }
            }
        }
        answer.sort_unstable();
        if answer.windows(2).any(|w| w.first() == w.get(1)) {
            return None;
        }
        Some(Listed::Complete(found))
    }
}

/// One call that takes `read_lock(&tasklist_lock)`: a one-byte read of a
/// `children` file (`get_children_pid` takes the lock before it looks at
/// the thread, even one without children). Its position is left as it was.
fn touch(children: BorrowedFd<'_>) -> bool {
    pread(children, &mut [0u8; 1], 0).is_ok()
}

/// A step of [`ProcFs::list_children_with`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The children file of this thread was opened.
    Opened(Pid),
    /// One `read` of this thread's children file returned records.
    Read(Pid),
    /// This thread's children file was read to its end.
    ReadAll(Pid),
    /// The window closed around the reads of a parent seen with many
    /// children; whether it shows that no task was released.
    Counted(bool),
    /// The window closed and a task was created somewhere during it: the
    /// only reason this attempt declines.
    Busy,
}

/// The proofs [`ProcFs::list_children_with`] runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Checks {
    /// Every listed child still exists after the reads.
    pub(super) children_remain: bool,
    /// The same threads, none but the leader exiting, after the reads.
    pub(super) threads_remain: bool,
    /// No task was created anywhere (own scope only).
    pub(super) quiet: bool,
}

impl Checks {
    /// Every proof: what queries use.
    pub(super) const ALL: Checks = Checks {
        children_remain: true,
        threads_remain: true,
        quiet: true,
    };
}
