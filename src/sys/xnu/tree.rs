//! `descendants` over `proc_listpids`: one `PROC_PPID_ONLY` call per
//! process of the subtree, plus one for the root.
//!
//! xnu has no list type for a subtree, so the walk asks for the children of
//! each pid it finds, breadth first, with the answer buffer as its queue.
//! Every call is the same atomic, grow-and-retry-checked list as a `ppid`
//! query; a call whose answer fills the room left may be truncated, and
//! then the whole walk reports the buffer full, for the engine to grow it
//! and walk again.
//!
//! # Why not one `PROC_ALL_PIDS` and a parent per pid
//!
//! The alternative, one `PROC_ALL_PIDS` plus `PROC_PIDT_SHORTBSDINFO` for
//! each of the N processes, makes N + 1 calls whatever the subtree's size;
//! this walk makes D + 1 calls for D descendants, each walking the N
//! processes of `allproc` (the model counts both: `tests/model_tree.rs`).
//! With c the cost of a call and w the cost per process walked, the walk
//! costs (D + 1)(c + N·w) against N·c + N·w, so it is cheaper while
//! D < N·c / (c + N·w) − 1; for a syscall of a microsecond and a few tens
//! of nanoseconds per process walked, that is a few dozen descendants at
//! 10,000 processes and more below — the subtrees a profiler follows.
//! It also keeps the `ppid` filter's meaning: `PROC_PPID_ONLY` matches a
//! traced process below its original parent too, which the short BSD info
//! cannot tell (it has no `p_oppid`).
//!
//! Because of that tracing rule the parent relation may loop (a process
//! that traces its own ancestor is its ancestor's parent): a pid already
//! found, or the root, is never queued again.

use crate::list::links;
use crate::sys::{ListPids, Listed};
use crate::{Error, Pid, PidQuery};

/// Every process below `root`, ascending, by one `ppid` list of `kernel`
/// per process found: for any backend whose kernel has no subtree query
/// (xnu, FreeBSD).
pub(crate) fn walk_by_ppid<K: ListPids + ?Sized>(
    kernel: &K,
    root: Pid,
    out: &mut [Pid],
) -> Result<Listed, Error> {
    {
        let mut tail = 0usize;
        let mut head = 0usize;
        let mut node = root;
        loop {
            let (found, room) = out.split_at_mut(tail);
            let n = match kernel.list(&PidQuery::ppid(node), room)? {
                Listed::Complete(n) => n.min(room.len()),
                Listed::Full { .. } => return Ok(Listed::Full { needed: None }),
            };
            let mut kept = 0;
            for i in 0..n {
                let Some(child) = room.get(i).copied() else {
                    break;
                };
                let known = child == root
                    || found.contains(&child)
                    || room.get(..kept).is_some_and(|fresh| fresh.contains(&child));
                if !known {
                    if let Some(slot) = room.get_mut(kept) {
                        *slot = child;
                    }
                    kept += 1;
                }
            }
            tail += kept;
            match out.get(head) {
                Some(&next) if head < tail => {
                    node = next;
                    head += 1;
                }
                _ => break,
            }
        }
        let n = out.get_mut(..tail).map_or(0, links::sort_dedup);
        Ok(Listed::Complete(n))
    }
}
