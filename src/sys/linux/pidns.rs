//! What a proc root and the caller's pid namespace have to do with each
//! other, and how long such a fact holds.
//!
//! # The fact
//!
//! `getpgid(2)`, `pidfd_open(2)` and `PIDFD_GET_INFO` take pids of the
//! *caller's* pid namespace; a proc root numbers the processes of the pid
//! namespace it was mounted for. The two are one exactly when the root's
//! `self/status` exists (the caller is visible there, so the mount's
//! namespace is the caller's or an ancestor) and its `NSpid:` line has a
//! single column: `task_state` (`fs/proc/array.c`) prints one number per
//! level from the mount's namespace down to the caller's own, so one
//! column means the same level, hence the same namespace. No pid number is
//! compared: the same number can name the caller in two namespaces
//! (`clone3` with `set_tid`).
//!
//! # How long it holds
//!
//! It depends on the mount, fixed for a [`ProcFs`], and on the caller's
//! pid namespace, fixed for the life of a process (`unshare(CLONE_NEWPID)`
//! and `setns` change only where its *children* go). Only another process
//! can see it differently: the child of a fork (`fork`, `clone`, `clone3`,
//! with or without a new pid namespace), which inherits the parent's
//! memory, caches included. So each cached answer is kept with the
//! [`epoch`] it was found in, a number held in a page the kernel zeroes in
//! the child of every fork (`MADV_WIPEONFORK`; `dup_mmap` in
//! `kernel/fork.c`): a child finds the page zero, takes a new epoch, and
//! asks again. Where that page cannot be had (before Linux 4.14), nothing
//! is cached. A child made with `CLONE_VM` but without `CLONE_THREAD`
//! shares the page and would share the answers; such a child only `exec`s
//! or `_exit`s in practice (`vfork`, `posix_spawn`).
//!
//! # pidfs
//!
//! Whether pidfds carry pidfs inode numbers (Linux 6.9+) is a fact of the
//! kernel, the same in every namespace: learned once per process.

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::os::fd::AsFd;

use super::syscalls::{fork_wiped_word, fstatfs, openat, pidfd_open, read};
use super::ProcFs;

/// The last epoch handed out in this address space's history. A child
/// inherits it, so the epoch it takes is above every epoch its memory
/// holds.
static LAST_EPOCH: AtomicU64 = AtomicU64::new(0);

/// Set once the page zeroed at fork proved unavailable (not retried).
static NO_WORD: AtomicBool = AtomicBool::new(false);

/// This process's epoch: the same number until it forks, a larger one in
/// the child; `None` where forks cannot be told apart (cache nothing).
pub(super) fn epoch() -> Option<u64> {
    if NO_WORD.load(Ordering::Relaxed) {
        return None;
    }
    let word = match fork_wiped_word() {
        Ok(word) => word,
        // Before 4.14 `madvise` rejects the advice (EINVAL); out of memory
        // says nothing about the kernel.
        Err(errno) => {
            if errno.raw() != libc::ENOMEM {
                NO_WORD.store(true, Ordering::Relaxed);
            }
            return None;
        }
    };
    let known = word.load(Ordering::Acquire);
    if known != 0 {
        return Some(known);
    }
    let fresh = LAST_EPOCH.fetch_add(1, Ordering::AcqRel).saturating_add(1);
    Some(
        match word.compare_exchange(0, fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => fresh,
            Err(other) => other,
        },
    )
}

/// A fact kept with the epoch it was learned in: `(epoch << 1) | answer`,
/// 0 before the first.
#[derive(Debug, Default)]
pub(super) struct EpochFact(AtomicU64);

impl EpochFact {
    /// The fact, learned with `learn` unless this process already knows it.
    pub(super) fn get(&self, learn: impl FnOnce() -> bool) -> bool {
        let Some(now) = epoch() else {
            return learn();
        };
        let known = self.0.load(Ordering::Acquire);
        if known != 0 && known >> 1 == now {
            return known & 1 != 0;
        }
        let answer = learn();
        self.0
            .store((now << 1) | u64::from(answer), Ordering::Release);
        answer
    }
}

impl ProcFs {
    /// Whether pids of this proc root are pids of the caller's own pid
    /// namespace (see the module docs).
    pub(super) fn in_caller_ns(&self) -> bool {
        self.shortcuts.caller_ns.get(|| self.probe_caller_ns())
    }

    /// Reads `self/status` under the root: one `NSpid:` column.
    fn probe_caller_ns(&self) -> bool {
        let Ok(fd) = openat(self.root.as_fd(), c"self/status", 0) else {
            return false;
        };
        let mut buf = [0u8; 4096];
        let mut filled = 0;
        while let Some(spare) = buf.get_mut(filled..).filter(|s| !s.is_empty()) {
            match read(fd.as_fd(), spare) {
                Ok(0) | Err(_) => break,
                Ok(n) => filled += n,
            }
        }
        nspid_columns(buf.get(..filled).unwrap_or_default()) == Some(1)
    }

    /// Whether pidfds name this root's processes and carry pidfs inodes.
    pub(super) fn pidfs(&self) -> bool {
        self.in_caller_ns() && pidfs_works()
    }
}

/// pidfs's `f_type` (`PID_FS_MAGIC`, `include/uapi/linux/magic.h`).
const PID_FS_MAGIC: i64 = 0x5049_4446;

/// Whether this kernel gives pidfds pidfs inodes: unknown, yes, no.
static PIDFS: AtomicU8 = AtomicU8::new(0);

/// Whether this kernel gives pidfds pidfs inodes (Linux 6.9+): learned
/// once, from a pidfd of the caller.
pub(super) fn pidfs_works() -> bool {
    match PIDFS.load(Ordering::Relaxed) {
        1 => return true,
        2 => return false,
        _ => {}
    }
    let me = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    let works = match pidfd_open(me) {
        // `f_type`'s integer type differs between architectures.
        #[allow(clippy::useless_conversion)]
        Ok(fd) => fstatfs(fd.as_fd()).is_ok_and(|fs| i64::from(fs.f_type) == PID_FS_MAGIC),
        // Out of descriptors or memory says nothing about the kernel.
        Err(e) if matches!(e.raw(), libc::EMFILE | libc::ENFILE | libc::ENOMEM) => return false,
        Err(_) => false,
    };
    PIDFS.store(if works { 1 } else { 2 }, Ordering::Relaxed);
    works
}

/// The number of columns of the `NSpid:` line of a `status` text; `None`
/// when the line is missing or malformed.
fn nspid_columns(status: &[u8]) -> Option<usize> {
    let line = status
        .split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"NSpid:"))?;
    let mut columns = 0;
    for column in line
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|c| !c.is_empty())
    {
        if !column.iter().all(u8::is_ascii_digit) || column.len() > 10 {
            return None;
        }
        columns += 1;
    }
    (columns > 0).then_some(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nspid_columns_are_counted() {
        let s = b"Name:\tx\nTgid:\t12\nNSpid:\t12\nNSpgid:\t1\n";
        assert_eq!(nspid_columns(s), Some(1));
        assert_eq!(nspid_columns(b"NSpid:\t4321\t7\n"), Some(2));
        assert_eq!(nspid_columns(b"NSpid:\t\n"), None);
        assert_eq!(nspid_columns(b"NSpid:\t1x\n"), None);
        assert_eq!(nspid_columns(b"Name:\tNSpid:\t3\n"), None);
        assert_eq!(nspid_columns(b"Pid:\t3\n"), None);
        assert_eq!(nspid_columns(b"NSpid:\t99999999999\n"), None);
    }

    #[test]
    fn the_epoch_holds_within_a_process() {
        let first = epoch();
        assert!(first.is_some(), "this kernel has MADV_WIPEONFORK");
        assert_eq!(epoch(), first);
        let fact = EpochFact::default();
        assert!(fact.get(|| true));
        assert!(fact.get(|| panic!("learned twice")), "kept");
    }
}
