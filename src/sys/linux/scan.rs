//! The full scan: every pid directory of the proc root, each tested
//! against the filter with the least per-process work that answers it.

use core::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd};

use super::pidfd::{self, PidfdAnswer};
use super::released::{lock_tasklist, Window};
use super::syscalls::{fstat, openat, stat_at};
use super::{read_pid_file, read_pid_stat, vanished, ProcFs};
use crate::parse;
use crate::sys::Listed;
use crate::{Errno, Error, Filter, Pid};

/// Bytes of `<pid>/stat` read; fields 3–7 end well within this even for a
/// 64-byte command name.
const STAT_BUF: usize = 1024;
/// Bytes of `<pid>/status` read; the `Uid:` line is in the first few hundred.
const STATUS_BUF: usize = 4096;

/// Processes (`/proc`'s link count) above which `uid` of the reaped-task
/// owner confirms its answers after the scan, if at all (`Plan::defer`).
const DEFER_ABOVE: libc::nlink_t = 256;

/// How a scan tests each process, chosen once per query.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// `ruid` and `ppid` ask `PIDFD_GET_INFO` first (`pidfd.rs`).
    pidfd: bool,
    /// `uid` of the owner a task reaped mid-`fstatat` reads as: each such
    /// answer is confirmed (see `matches`).
    confirm: bool,
    /// Those confirmations come after the scan, and only if a task was
    /// released during it (see `matches`).
    defer: bool,
}

impl Plan {
    /// This plan, confirming each answer as it is found (what a stream
    /// needs: an answer yielded cannot be taken back).
    pub(super) fn confirming_as_it_goes(self) -> Plan {
        Plan {
            defer: false,
            ..self
        }
    }

    /// The plan that reads every answer from the proc root's own files.
    pub(super) const FILES: Plan = Plan {
        pidfd: false,
        confirm: false,
        defer: false,
    };
}

impl ProcFs {
    /// The cheapest exact way to test each process for `filter` now.
    pub(super) fn plan(&self, filter: Filter) -> Plan {
        match filter {
            Filter::Ruid(_) | Filter::Ppid(_) => Plan {
                pidfd: self.pidfd_answers(),
                ..Plan::FILES
            },
            Filter::Uid(uid) => match fstat(self.root.as_fd()) {
                // The proc root's inode belongs to `GLOBAL_ROOT_UID` as the
                // owner of a reaped task does (`proc_root` has no owner of
                // its own, `proc_get_inode`), and `fstat` maps it into the
                // caller's user namespace as `fstatat` of a pid does
                // (`cp_new_stat`): root, the overflow uid 65534 where host
                // root is unmapped, or whichever id maps to it. Read per
                // query: a thread may change its user namespace, and root
                // the overflow uid, between queries.
                Ok(root) if root.st_uid != uid => Plan::FILES,
                Ok(root) => Plan {
                    confirm: true,
                    // The counters cost a few file reads: worth it once
                    // the confirmations they save cost more.
                    defer: root.st_nlink > DEFER_ABOVE,
                    ..Plan::FILES
                },
                Err(_) => Plan {
                    confirm: true,
                    ..Plan::FILES
                },
            },
            _ => Plan::FILES,
        }
    }

    /// The full scan: every pid directory, each tested against `filter`.
    pub(super) fn scan(&self, filter: Filter, out: &mut [Pid]) -> Result<Listed, Error> {
        self.scan_with(filter, self.plan(filter), out)
    }

    /// The full scan with the given plan.
    pub(super) fn scan_with(
        &self,
        filter: Filter,
        plan: Plan,
        out: &mut [Pid],
    ) -> Result<Listed, Error> {
        let lease = self.lease()?;
        let dir = lease.fd();
        // Deferring needs the task counters around the scan.
        let window = if plan.defer {
            Window::open(self.root.as_fd())
        } else {
            None
        };
        let inline = plan.confirming_as_it_goes();
        let mut found = 0usize;
        self.each_process(dir, |pid, name| {
            // Only answers kept in `out` can be confirmed later.
            let now = if window.is_some() && found < out.len() {
                plan
            } else {
                inline
            };
            if self.matches(dir, pid, name, filter, now)? == Some(true) {
                if let Some(slot) = out.get_mut(found) {
                    *slot = pid;
                }
                found += 1;
            }
            Ok(())
        })?;
        if let Some(window) = window {
            if !window.none_released(self.root.as_fd(), || lock_tasklist(self.root.as_fd())) {
                found = self.confirm_kept(dir, out, found, filter)?;
            }
        }
        drop(lease);
        Ok(if found <= out.len() {
            Listed::Complete(found)
        } else {
            Listed::Full {
                needed: Some(found),
            }
        })
    }

    /// Confirms the `uid` answers kept in `out[..found]` (those past its
    /// end were confirmed as they were found), dropping those that do not
    /// hold; the new count.
    fn confirm_kept(
        &self,
        dir: BorrowedFd<'_>,
        out: &mut [Pid],
        found: usize,
        filter: Filter,
    ) -> Result<usize, Error> {
        let Filter::Uid(uid) = filter else {
            return Ok(found);
        };
        let kept = found.min(out.len());
        let mut still = 0usize;
        let mut path = [0u8; parse::PID_PATH_MAX];
        for at in 0..kept {
            let Some(&pid) = out.get(at) else { break };
            let Some(name) = parse::pid_path(pid, b"", &mut path) else {
                continue;
            };
            if self.confirm_owner(dir, pid, name, uid, None)? == Some(true) {
                if let Some(slot) = out.get_mut(still) {
                    *slot = pid;
                }
                still += 1;
            }
        }
        Ok(found - (kept - still))
    }

    /// Whether the process at `name` in `dir` is owned by `uid`, the owner
    /// a task reaped mid-`fstatat` reads as, given the inode `seen` of the
    /// reading that said so (`None`: read it now). `Ok(None)` when the
    /// process it read is gone.
    ///
    /// A reading is real when its process still existed after it: a task
    /// does not come back to its `struct pid` once detached. A lookup of
    /// `/proc/<pid>` that returns the same inode shows that: `pid_revalidate`
    /// (`fs/proc/base.c`) keeps a dentry only while the `struct pid` its
    /// inode was made for has a task, and a reaped process's dentry is
    /// never found again; the inode numbers come from `get_next_ino`, which
    /// would have to wrap around 2^32 to give a freed number twice. This
    /// binds the answer to the process read, whatever took its pid since
    /// (the pid is never trusted alone: it can be reused within a query,
    /// even at once, with `clone3`'s `set_tid`). A different inode is the
    /// dentry evicted or the process gone: the dentry is then held open
    /// (`O_PATH`, so it cannot be evicted) and read through, and a lookup
    /// that finds that same inode again confirms that reading instead.
    pub(super) fn confirm_owner(
        &self,
        dir: BorrowedFd<'_>,
        pid: Pid,
        name: &CStr,
        uid: u32,
        seen: Option<libc::ino_t>,
    ) -> Result<Option<bool>, Error> {
        let lookup = |dir| -> Result<Option<libc::stat>, Error> {
            match stat_at(dir, name, libc::AT_SYMLINK_NOFOLLOW) {
                Ok(st) => Ok(Some(st)),
                Err(errno) if vanished(errno) => Ok(None),
                Err(errno) => Err(self.err("fstatat", errno).with_pid(pid)),
            }
        };
        let seen = match seen {
            Some(ino) => ino,
            None => match lookup(dir)? {
                None => return Ok(None),
                Some(st) if st.st_uid != uid => return Ok(Some(false)),
                Some(st) => st.st_ino,
            },
        };
        match lookup(dir)? {
            None => return Ok(None),
            Some(st) if st.st_ino == seen => return Ok(Some(true)),
            Some(_) => {}
        }
        let held = match openat(dir, name, libc::O_PATH | libc::O_DIRECTORY) {
            Ok(fd) => fd,
            Err(errno) if vanished(errno) => return Ok(None),
            Err(errno) => return Err(self.err("open", errno).with_pid(pid)),
        };
        let st = match fstat(held.as_fd()) {
            Ok(st) => st,
            Err(errno) if vanished(errno) => return Ok(None),
            Err(errno) => return Err(self.err("fstat", errno).with_pid(pid)),
        };
        if st.st_uid != uid {
            return Ok(Some(false));
        }
        Ok(lookup(dir)?.and_then(|again| (again.st_ino == st.st_ino).then_some(true)))
    }

    /// Whether the process `pid`, whose entry in `dir` is `name`, matches.
    /// `Ok(None)` when it vanished or is hidden from us.
    pub(super) fn matches(
        &self,
        dir: BorrowedFd<'_>,
        pid: Pid,
        name: &CStr,
        filter: Filter,
        plan: Plan,
    ) -> Result<Option<bool>, Error> {
        let per_pid = |op: &'static str, errno: Errno| self.per_pid(op, pid, errno);
        match filter {
            Filter::All => Ok(Some(true)),
            // Answered by `tree.rs`, never by a per-process test.
            Filter::Descendants(_) => Ok(None),
            Filter::Uid(uid) => {
                let st = match stat_at(dir, name, libc::AT_SYMLINK_NOFOLLOW) {
                    Ok(st) => st,
                    Err(errno) if vanished(errno) => return Ok(None),
                    Err(errno) => return Err(per_pid("fstatat", errno)),
                };
                if st.st_uid != uid {
                    return Ok(Some(false));
                }
                // `pid_getattr` (`fs/proc/base.c`) reports `GLOBAL_ROOT_UID`
                // when the task is gone by the time it runs, after the
                // lookup found it, and `stat` maps that into the caller's
                // user namespace: a process reaped inside this `fstatat`
                // reads as owned by the plan's reaped-task owner, and no
                // field of the reply tells it apart. Such answers are
                // confirmed, bound to the process read (`confirm_owner`).
                // The race needs a task released during the scan, so a
                // fill above a few hundred processes confirms only when
                // the global task counters read around the scan
                // (`released.rs`) show one.
                if !plan.confirm || plan.defer {
                    return Ok(Some(true));
                }
                self.confirm_owner(dir, pid, name, uid, Some(st.st_ino))
            }
            Filter::Ruid(ruid) => {
                if plan.pidfd {
                    match pidfd::info(pid) {
                        PidfdAnswer::Info(info) => return Ok(Some(info.ruid == ruid)),
                        PidfdAnswer::Gone => return Ok(None),
                        PidfdAnswer::Fallback => {}
                    }
                }
                let mut buf = [0u8; STATUS_BUF];
                let Some(bytes) = read_pid_file(dir, pid, b"status", &mut buf)
                    .map_err(|e| per_pid("read status", e))?
                else {
                    return Ok(None);
                };
                let uids =
                    parse::status_uids(bytes).ok_or_else(|| self.malformed(pid, "status"))?;
                Ok(Some(uids.real == ruid))
            }
            Filter::Ppid(_) | Filter::Pgrp(_) | Filter::Tty(_) => {
                if let (Filter::Ppid(ppid), true) = (filter, plan.pidfd) {
                    match pidfd::info(pid) {
                        PidfdAnswer::Info(info) => {
                            return Ok(Some(i64::from(info.ppid) == i64::from(ppid.as_raw())))
                        }
                        PidfdAnswer::Gone => return Ok(None),
                        PidfdAnswer::Fallback => {}
                    }
                }
                let mut buf = [0u8; STAT_BUF];
                // A record of a released task is read again (`reread.rs`).
                let Some(bytes) =
                    read_pid_stat(dir, pid, &mut buf).map_err(|e| per_pid("read stat", e))?
                else {
                    return Ok(None);
                };
                let stat = parse::stat(bytes).ok_or_else(|| self.malformed(pid, "stat"))?;
                Ok(Some(match filter {
                    Filter::Ppid(ppid) => stat.ppid == ppid.as_raw(),
                    Filter::Pgrp(pgrp) => stat.pgrp == pgrp.as_raw(),
                    // tty_nr uses the same encoding as st_rdev; 0 means none.
                    Filter::Tty(dev) => {
                        stat.tty_nr != 0 && u64::from(stat.tty_nr as u32) == dev.raw()
                    }
                    _ => false,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;
    use std::process::Command;

    fn fill(fs: &ProcFs, filter: Filter, plan: Plan) -> BTreeSet<Pid> {
        let mut out = vec![Pid::ZERO; 1 << 16];
        match fs.scan_with(filter, plan, &mut out).unwrap() {
            Listed::Complete(n) => out[..n].iter().copied().collect(),
            Listed::Full { needed } => panic!("full: {needed:?}"),
        }
    }

    /// Every process listed now, and whether it exists.
    fn exists(pid: Pid) -> bool {
        Path::new(&format!("/proc/{pid}")).exists()
    }

    /// `filter` with `plan` and through the files alone agree, apart from
    /// processes born or gone between the two scans (retried a few times
    /// on a busy machine).
    fn agrees(fs: &ProcFs, filter: Filter, plan: Plan, ours: &[Pid]) {
        for attempt in 0.. {
            let before: BTreeSet<Pid> = fill(fs, Filter::All, Plan::FILES);
            let fast = fill(fs, filter, plan);
            let slow = fill(fs, filter, Plan::FILES);
            let after: BTreeSet<Pid> = fill(fs, Filter::All, Plan::FILES);
            let unexplained: Vec<Pid> = fast
                .symmetric_difference(&slow)
                .copied()
                .filter(|p| before.contains(p) && after.contains(p) && exists(*p))
                .collect();
            for p in ours {
                assert_eq!(fast.contains(p), slow.contains(p), "{filter:?}: our {p}");
            }
            if unexplained.is_empty() {
                return;
            }
            assert!(attempt < 5, "{filter:?}: {unexplained:?} differ");
        }
    }

    #[test]
    fn pidfd_and_deferred_plans_agree_with_the_files() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        // A zombie, a sleeper and ourselves.
        let zombie = Command::new("true").spawn().unwrap();
        let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
        let ours = [Pid::from(&zombie), Pid::from(&sleeper), Pid::this()];
        let started = std::time::Instant::now();
        while !std::fs::read_to_string(format!("/proc/{}/stat", ours[0])).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, t)| t.trim_start().starts_with('Z'))
        }) {
            assert!(started.elapsed().as_secs() < 10);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let me = std::fs::metadata("/proc/self").unwrap();
        let uid = std::os::unix::fs::MetadataExt::uid(&me);
        for filter in [
            Filter::Ruid(uid),
            Filter::Ruid(0),
            Filter::Ruid(65534),
            Filter::Ppid(Pid::this()),
            Filter::Ppid(Pid::ZERO),
            Filter::Ppid(Pid::from_raw(1).unwrap()),
            Filter::Ppid(Pid::from_raw(2).unwrap()),
            Filter::Uid(0),
        ] {
            let plan = fs.plan(filter);
            agrees(&fs, filter, plan, &ours);
        }
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
        let mut zombie = zombie;
        zombie.wait().unwrap();
    }

    #[test]
    fn answers_of_gone_processes_are_dropped() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let mut child = Command::new("true").spawn().unwrap();
        let gone = Pid::from(&child);
        child.wait().unwrap();
        let one = Pid::from_raw(1).unwrap();
        let lease = fs.lease().unwrap();
        let mut out = [one, gone, one];
        // Four found, three kept: the one past the end stays counted.
        let n = fs
            .confirm_kept(lease.fd(), &mut out, 4, Filter::Uid(0))
            .unwrap();
        assert_eq!(n, 3);
        assert_eq!(&out[..2], &[one; 2]);
    }

    #[test]
    fn a_reading_is_confirmed_only_by_its_own_inode() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let lease = fs.lease().unwrap();
        let dir = lease.fd();
        let name = c"1";
        let st = stat_at(dir, name, libc::AT_SYMLINK_NOFOLLOW).unwrap();
        let one = Pid::from_raw(1).unwrap();
        let uid = st.st_uid;
        let confirm = |seen| fs.confirm_owner(dir, one, name, uid, seen).unwrap();
        assert_eq!(confirm(Some(st.st_ino)), Some(true));
        assert_eq!(confirm(None), Some(true));
        // Another inode: the dentry is held and read again.
        assert_eq!(confirm(Some(st.st_ino.wrapping_add(1))), Some(true));
        let other = fs.confirm_owner(dir, one, name, uid.wrapping_add(1), None);
        assert_eq!(other.unwrap(), Some(false));
    }
}
