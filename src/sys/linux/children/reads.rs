//! The reads behind a `children`-file answer: a thread group's task
//! directory, one thread's `children` file, and whether a pid names a
//! process. Nothing here decides whether an answer is accepted (`mod.rs`)
//! nor why it may be (`proof.rs`).

use core::mem::MaybeUninit;
use core::sync::atomic::Ordering;
use std::os::fd::{BorrowedFd, OwnedFd};

use super::super::syscalls::{getdents, openat, read, seek_to};
use super::super::{stat_uid, ProcFs};
use crate::parse::{self, Dirents};
use crate::{Errno, Pid};

/// Bytes of a `children` file read per call: the kernel returns at most a
/// page per `read`.
const CHILDREN_BUF: usize = 4096;
/// More bytes than one record of a `children` file takes (`"%d "` of a pid
/// below `PID_MAX_LIMIT`, 2^22: at most 8).
const CHILD_RECORD_MAX: usize = 16;
/// Bytes of `getdents64` records read from a `<pid>/task` directory.
const TASK_DENTS_BUF: usize = 2048;
/// Threads whose children files are read; a parent with more is scanned.
pub(in crate::sys::linux) const MAX_THREADS: usize = 1024;
/// `TGID_OFFSET` (`fs/proc/base.c`): the root directory position of the
/// process `pid` is `pid + TGID_OFFSET`.
const TGID_OFFSET: i64 = 258;

/// The thread ids of one process, on the stack, in the order its task
/// directory lists them.
pub(super) struct Tids {
    ids: [Pid; MAX_THREADS],
    len: usize,
}

impl Tids {
    pub(super) fn new() -> Tids {
        Tids {
            ids: [Pid::ZERO; MAX_THREADS],
            len: 0,
        }
    }

    pub(super) fn as_slice(&self) -> &[Pid] {
        self.ids.get(..self.len).unwrap_or_default()
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }
}

impl ProcFs {
    /// Opens `task/<tid>/children` under the `task` directory; notes a kernel
    /// without `CONFIG_PROC_CHILDREN` so that later queries scan at once.
    pub(super) fn open_children(&self, task: BorrowedFd<'_>, tid: Pid) -> Option<OwnedFd> {
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

    /// Whether `pid` is a process (a thread-group leader) of this proc
    /// root: the first entry its root directory lists from position
    /// `pid + TGID_OFFSET` is `pid` itself (`next_tgid` lists leaders
    /// only). `None` when that cannot be read.
    pub(super) fn is_process(&self, pid: Pid) -> Option<bool> {
        let lease = self.lease().ok()?;
        seek_to(lease.fd(), i64::from(pid.as_raw()) + TGID_OFFSET).ok()?;
        // One record of a name of up to 10 digits takes 32 bytes.
        let mut dents = [MaybeUninit::<u8>::uninit(); 64];
        let bytes = getdents(lease.fd(), &mut dents).ok()?;
        let first = Dirents::new(bytes).next();
        // The lease is rewound when it is next taken.
        Some(match first {
            Some(Ok(dirent)) => parse::pid_name(dirent.name) == Some(pid),
            Some(Err(_)) => return None,
            None => false,
        })
    }
}

/// Reads a `children` file to its end, writing the pids it lists to `out`
/// from index `found` on while there is room; the new number listed, which
/// may exceed `out.len()`; `each_read` runs after every `read` that
/// returned records. `None` on a read error or a malformed list.
pub(super) fn read_children(
    file: BorrowedFd<'_>,
    out: &mut [Pid],
    mut found: usize,
    each_read: &mut dyn FnMut(),
) -> Option<usize> {
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
        each_read();
        // `seq_read_iter` (fs/seq_file.c) ends a read short of the request
        // only when the iterator ran out (`next` gave NULL: the end of the
        // list, the instant the proof needs) or the next record would not
        // fit its page-sized buffer; it checks no signal. So a read that
        // left room for another record reached the end, and the read that
        // would return 0 (and walk the list again to its position, under
        // `tasklist_lock`) is not made.
        if n + CHILD_RECORD_MAX <= CHILDREN_BUF {
            break;
        }
    }
    list.finish(&mut emit).then_some(found)
}

/// Calls `each` for every thread id the `<pid>/task` directory `task`
/// lists, in its order; `None` on a read error, a malformed listing, or
/// when `each` says stop.
fn for_each_thread(task: BorrowedFd<'_>, mut each: impl FnMut(Pid) -> bool) -> Option<()> {
    let mut dents = [MaybeUninit::<u8>::uninit(); TASK_DENTS_BUF];
    loop {
        let bytes = getdents(task, &mut dents).ok()?;
        if bytes.is_empty() {
            return Some(());
        }
        for dirent in Dirents::new(bytes) {
            if let Some(tid) = parse::pid_name(dirent.ok()?.name) {
                if !each(tid) {
                    return None;
                }
            }
        }
    }
}

/// Lists the threads of `task` into `tids`; `None` if there are more than
/// [`MAX_THREADS`] or the listing fails.
pub(super) fn list_threads(task: BorrowedFd<'_>, tids: &mut Tids) -> Option<()> {
    for_each_thread(task, |tid| match tids.ids.get_mut(tids.len) {
        Some(slot) => {
            *slot = tid;
            tids.len += 1;
            true
        }
        None => false,
    })
}

/// Whether the listing of `task` (read from its current position) is
/// exactly `before`, in order. `None` if it cannot be read.
pub(super) fn same_threads(task: BorrowedFd<'_>, before: &[Pid]) -> Option<bool> {
    let mut next = 0usize;
    let mut same = true;
    for_each_thread(task, |tid| {
        same &= before.get(next) == Some(&tid);
        next += 1;
        true
    })?;
    Some(same && next == before.len())
}
