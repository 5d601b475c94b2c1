//! Why an accepted `children`-file answer is exact, and the checks that
//! prove it at run time. The order in which they run is the policy's
//! (`mod.rs`); the reads they check are in `reads.rs`.
//!
//! # What the kernel does (`fs/proc/array.c`)
//!
//! `task/<tid>/children` is a `seq_file` over the `children` list of that
//! one thread, the processes whose `real_parent` it is. Each record comes
//! from `get_children_pid(inode, prev, pos)`, which takes `tasklist_lock`
//! for that one record only, and looks up the task the file's pid names
//! *now* (`pid_task(proc_pid(inode), PIDTYPE_PID)`):
//!
//! - *fast path*: when the record before, `prev`, is still a child of this
//!   thread on its list, the record is the entry after it;
//! - *slow path*: otherwise, and at the start of every `read(2)` (one read
//!   returns at most one page of records: `seq_read_iter`), the record is
//!   the entry at index `pos` (the number of records already returned),
//!   counted from the head of the list as it is at that instant.
//!
//! # How a thread's list changes
//!
//! 1. a new child is *appended* (`copy_process`: `list_add_tail`), and so
//!    are the children a dying thread hands over (`forget_original_parent`:
//!    `list_splice_tail_init`);
//! 2. a child is *removed* when it is released (`release_task` →
//!    `__unhash_process`: `list_del_init`), and the whole list leaves when
//!    this thread exits (`exit_notify`);
//! 3. a child that `exec`s from a non-leader thread is *replaced in place*
//!    by that thread, under the same pid (`de_thread`:
//!    `list_replace_init`, `exchange_tids`).
//!
//! A thread that exits (`exit_notify` → `forget_original_parent` →
//! `find_new_reaper`) hands its children to the first thread of its group,
//! in creation order, without `PF_EXITING` (`find_alive_thread`), and only
//! when there is none to a subreaper or the namespace's init; it does so in
//! the same `tasklist_lock` section that sets its `exit_state`, so from
//! then on its `stat` shows `Z` or `X`. A thread created during the query
//! can receive them: then `de_thread`, when that thread execs, makes it the
//! leader under the leader's pid, with the leader's start time
//! (`tsk->start_time = leader->start_time`), and releases the old leader.
//! No listing taken afterwards tells that it happened. That is why the
//! answer needs the global counters.
//!
//! # Why an accepted answer is exact
//!
//! **No task created.** `total_forks` does not move across the query
//! (`released.rs`: [`Quiet`](super::super::released::Quiet)). So no thread
//! joined the group, and no pid the query named (a thread, a child) was
//! reused: each stood for one task throughout.
//!
//! **The threads read are the group.** The task directory lists the same
//! threads, in the same order, before the reads and after, and every one
//! but the leader is, after the reads, neither `Z` nor `X`. With no thread
//! created, a thread not listed before did not exist during the reads.
//! A listed non-leader thread is not past `exit_notify` after the reads,
//! so it never handed its children away during them. The leader may be:
//! if it exited before its file was read, its children were with the
//! first live thread, which is listed and read after it; if it exits
//! after, its file gave them; if it exits while its file is read, the
//! records already returned are a prefix of its list and the rest move to
//! the tail of a thread read later (a pid read twice declines). If no
//! thread of the group is left alive, the children leave the group, and
//! their parent changed during the query. A leader that was already a
//! zombie holds no children.
//!
//! **Each thread's list is read whole.** Suppose no child that was already
//! returned leaves the list before the read ends. Then the records
//! returned so far are always a prefix of the list (appends go behind the
//! prefix; removals and replacements behind it do not change it), so both
//! paths return the entry right after that prefix, and the read ends — the
//! fast path's `list_is_last`, or an index past the end — exactly when the
//! prefix is the whole list. The records are then the thread's children at
//! the instant of that last call: a child there for the whole query is
//! listed, a listed pid was a child. Skipping happens only when a returned
//! child leaves before a later slow path counts past it, so **every child
//! able to cause a skip is one the read returned**. A release frees the
//! pid, so a returned child that still exists after the reads never left
//! (unless this thread exited, which the thread check sees): after all
//! reads, every listed pid must still exist — one `getpgid(2)` each (no
//! path walk) when the proc root is the caller's pid namespace and hides
//! nothing (`view.rs`), else one `fstatat` of `<pid>/stat`, which also
//! fails exactly where the scan's `openat` of that file would. For a
//! parent that had many children at its last query, on a mount that hides
//! nothing, `nr_threads` unchanged across the reads shows instead that no
//! task at all was released (`released.rs`).
//!
//! `ppid` must also name a process: `/proc/<tid>` of a non-leader thread
//! resolves too, and its `task/` lists the whole thread group, whose
//! children have the *leader's* pid as their `ppid`. The listing must
//! start with the leader (`first_tid` starts from it), and a group of more
//! than one thread is checked in the root directory, which lists leaders
//! only (`reads.rs`).

use std::os::fd::{AsFd, BorrowedFd};

use super::super::syscalls::getpgid;
use super::super::{read_pid_file, stat_uid, ProcFs};
use crate::parse;
use crate::Pid;

/// How the listed children are shown to still exist.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Presence {
    /// `getpgid(pid)`: the proc root is the caller's pid namespace and
    /// hides nothing.
    Getpgid,
    /// `fstatat(root, "<pid>/stat")`: fails where the scan's `openat` of
    /// that file would.
    StatLookup,
}

impl ProcFs {
    /// Whether every pid in `pids` still exists ("each thread's list is
    /// read whole" in the module docs).
    pub(super) fn all_remain(&self, pids: &[Pid]) -> bool {
        let presence = if !pids.is_empty() && self.hides_nothing() && self.in_caller_ns() {
            Presence::Getpgid
        } else {
            Presence::StatLookup
        };
        let mut path = [0u8; parse::PID_PATH_MAX];
        pids.iter().all(|&pid| match presence {
            // ESRCH: released. Any other failure (a security module
            // refusing) proves nothing either way.
            Presence::Getpgid => getpgid(pid.as_raw()).is_ok(),
            Presence::StatLookup => parse::pid_path(pid, b"stat", &mut path)
                .is_some_and(|name| matches!(stat_uid(self.root.as_fd(), name), Ok(Some(_)))),
        })
    }
}

/// Whether every thread of `tids` but the leader `leader` is, now, not
/// past `exit_notify`: its `task/<tid>/stat` reads and its state is
/// neither `X` nor `Z` ("the threads read are the group" in the module
/// docs).
pub(super) fn others_not_exiting(task: BorrowedFd<'_>, tids: &[Pid], leader: Pid) -> bool {
    let mut buf = [0u8; 512];
    tids.iter().filter(|&&tid| tid != leader).all(|&tid| {
        match read_pid_file(task, tid, b"stat", &mut buf) {
            Ok(Some(bytes)) => {
                parse::stat(bytes).is_some_and(|st| !matches!(st.state, b'X' | b'x' | b'Z'))
            }
            _ => false,
        }
    })
}
