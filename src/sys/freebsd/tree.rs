//! `descendants` from one fetch of the process table.
//!
//! FreeBSD has no subtree node and no parent filter: a walk of `ppid`
//! lists (the xnu shape) would copy the whole table (`KERN_PROC_PROC`,
//! 1088 bytes a process, under the global `sysctlmemlock`) once per process
//! found. Instead the answer to one `KERN_PROC_PROC` fetch is turned into
//! `(pid, parent)` links and the subtree is found in user space by
//! [`links::descendants_in_place`], in O(n log n) for n processes: one
//! kernel call per fill once the scratch has its working size
//! (`tests/model_freebsd_tree.rs` counts them).
//!
//! A link whose child started before its parent is cut (the parent rule of
//! the [backend docs](super)): before FreeBSD 13.0 a process traced by
//! another kept a dead real parent's pid in `ki_ppid`, which a later
//! process may have taken.

use super::{started, KernProc};
use crate::list::links;
use crate::parse;
use crate::sys::growth::grow;
use crate::sys::Listed;
use crate::{Errno, Error, Pid};

/// One process of the table: its pid, its parent's, and when it started.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Link {
    pid: Pid,
    parent: Pid,
    start: (i64, i64),
}

/// The reusable storage of the linking: the links, then the flat
/// `(pid, parent)` table [`links::descendants_in_place`] works on.
#[derive(Debug, Default)]
pub(super) struct Links {
    links: Vec<Link>,
    pairs: Vec<Pid>,
}

impl Links {
    /// Room for `n` processes, allocated only when it grows, and then
    /// with headroom for the processes born before the next fill (as the
    /// record scratch grows).
    fn reserve(&mut self, n: usize) -> Result<(), Error> {
        let oom = |_| Error::os("kinfo_proc scratch", Errno::ENOMEM);
        self.links.clear();
        self.pairs.clear();
        let room = grow(0, n);
        if self.links.capacity() < n {
            self.links.try_reserve_exact(room).map_err(oom)?;
        }
        if self.pairs.capacity() < n.saturating_mul(2) {
            self.pairs
                .try_reserve_exact(room.saturating_mul(2))
                .map_err(oom)?;
        }
        Ok(())
    }
}

impl KernProc {
    /// The pids below `root` among `records` (a whole `KERN_PROC_PROC`
    /// answer), ascending, into `out`; `Full` with the exact count when
    /// they do not fit.
    pub(super) fn descendants(
        &self,
        root: i32,
        records: &[u8],
        links: &mut Links,
        out: &mut [Pid],
    ) -> Result<Listed, Error> {
        let bad = || Self::malformed("kern.proc.proc");
        let all = parse::kinfo_procs(records, &self.layout).map_err(|_| bad())?;
        let root = Pid::from_raw(root).ok_or_else(bad)?;
        links.reserve(all.len())?;
        for record in all {
            let k = record.map_err(|_| bad())?;
            let pid = Pid::from_raw(k.pid).ok_or_else(bad)?;
            // A parent outside the pid range ends the chain, as a missing
            // one does.
            let parent = Pid::from_raw(k.ppid).unwrap_or(pid);
            links.links.push(Link {
                pid,
                parent,
                start: started(&k),
            });
        }
        links.links.sort_unstable_by_key(|l| l.pid);
        let Links { links, pairs } = links;
        for l in links.iter() {
            let parent_start = links
                .binary_search_by_key(&l.parent, |p| p.pid)
                .ok()
                .and_then(|i| links.get(i))
                .map(|p| p.start);
            // Started before its parent: a stale parent pid, no link.
            let parent = match parent_start {
                Some(s) if l.start < s => l.pid,
                _ => l.parent,
            };
            pairs.push(l.pid);
            pairs.push(parent);
        }
        let n = links::descendants_in_place(pairs, root);
        let Some(found) = pairs.get(..n) else {
            return Err(bad());
        };
        match out.get_mut(..n) {
            Some(room) => {
                room.copy_from_slice(found);
                Ok(Listed::Complete(n))
            }
            None => Ok(Listed::Full { needed: Some(n) }),
        }
    }
}
