//! The full scan: every pid directory of the proc root, each tested
//! against the filter with the least per-process work that answers it.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd};

use super::pidfd::{self, PidfdAnswer};
use super::released::{lock_tasklist, Window};
use super::syscalls::{fstat, getdents, getpgid};
use super::view::pidfd_info_works;
use super::{read_pid_file, stat_uid, ProcFs};
use crate::parse::{self, Dirents};
use crate::sys::Listed;
use crate::{Errno, Error, ErrorKind, Filter, Pid};

/// Bytes of `getdents64` records read per call, on the stack.
const DENTS_BUF: usize = 32 * 1024;
/// Bytes of `<pid>/stat` read; fields 3–7 end well within this even for a
/// 64-byte command name.
const STAT_BUF: usize = 1024;
/// Bytes of `<pid>/status` read; the `Uid:` line is in the first few hundred.
const STATUS_BUF: usize = 4096;

/// Reads of a `stat` that shows a released task (see `matches`).
const RELEASED_REREADS: u32 = 4;
/// Processes (`/proc`'s link count) above which `uid(0)` confirms its
/// root-owned answers after the scan, if at all (`Plan::defer_root`).
const DEFER_ROOT_ABOVE: libc::nlink_t = 256;

/// How a scan tests each process, chosen once per query.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// `ruid` and `ppid` ask `PIDFD_GET_INFO` first (`pidfd.rs`).
    pidfd: bool,
    /// The proc root numbers pids as the caller does, so `getpgid`
    /// confirms a process still exists without a path walk.
    same_ns: bool,
    /// `uid(0)`: root-owned answers are confirmed after the scan, and only
    /// if a task was released during it (see `matches`).
    defer_root: bool,
}

impl Plan {
    /// This plan, confirming each root-owned answer as it is found (what a
    /// stream needs: an answer yielded cannot be taken back).
    pub(super) fn confirming_as_it_goes(self) -> Plan {
        Plan {
            defer_root: false,
            ..self
        }
    }

    /// The plan that reads every answer from the proc root's own files.
    pub(super) const FILES: Plan = Plan {
        pidfd: false,
        same_ns: false,
        defer_root: false,
    };
}

impl ProcFs {
    /// The cheapest exact way to test each process for `filter` now.
    pub(super) fn plan(&self, filter: Filter) -> Plan {
        match filter {
            Filter::Ruid(_) | Filter::Ppid(_) => {
                let same_ns = self.in_caller_ns();
                Plan {
                    pidfd: same_ns && pidfd_info_works() && self.hides_nothing(),
                    same_ns,
                    defer_root: false,
                }
            }
            Filter::Uid(0) => Plan {
                pidfd: false,
                same_ns: self.in_caller_ns(),
                // The counters cost a few file reads: worth it once the
                // confirmations they save cost more.
                defer_root: fstat(self.root.as_fd()).is_ok_and(|st| st.st_nlink > DEFER_ROOT_ABOVE),
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
        let window = if plan.defer_root {
            Window::open(self.root.as_fd())
        } else {
            None
        };
        let inline = Plan {
            defer_root: false,
            ..plan
        };
        let mut dents = [MaybeUninit::<u8>::uninit(); DENTS_BUF];
        let mut found = 0usize;
        loop {
            let bytes = getdents(dir, &mut dents).map_err(|e| self.err("getdents64", e))?;
            if bytes.is_empty() {
                break;
            }
            for dirent in Dirents::new(bytes) {
                let dirent = dirent.map_err(|_| {
                    Error::new(ErrorKind::Malformed, "getdents64").with_path(&self.path)
                })?;
                let Some(pid) = parse::pid_name(dirent.name) else {
                    continue;
                };
                // Only answers kept in `out` can be confirmed later.
                let now = if window.is_some() && found < out.len() {
                    plan
                } else {
                    inline
                };
                if self.matches(dir, pid, dirent.name_c, filter, now)? == Some(true) {
                    if let Some(slot) = out.get_mut(found) {
                        *slot = pid;
                    }
                    found += 1;
                }
            }
        }
        if let Some(window) = window {
            if !window.none_released(self.root.as_fd(), || lock_tasklist(self.root.as_fd())) {
                found = self.confirm_root_owned(dir, out, found, inline)?;
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

    /// Confirms the root-owned answers kept in `out[..found]` (those past
    /// its end were confirmed as they were found), dropping the processes
    /// gone since; the new count.
    fn confirm_root_owned(
        &self,
        dir: BorrowedFd<'_>,
        out: &mut [Pid],
        found: usize,
        plan: Plan,
    ) -> Result<usize, Error> {
        let kept = found.min(out.len());
        let mut still = 0usize;
        let mut path = [0u8; parse::PID_PATH_MAX];
        for at in 0..kept {
            let Some(&pid) = out.get(at) else { break };
            let Some(name) = parse::pid_path(pid, b"", &mut path) else {
                continue;
            };
            if self.confirm_root(dir, pid, name, plan)? == Some(true) {
                if let Some(slot) = out.get_mut(still) {
                    *slot = pid;
                }
                still += 1;
            }
        }
        Ok(found - (kept - still))
    }

    /// Whether the process `pid`, found owned by root, really is: it still
    /// exists (see `matches`). `Ok(None)` when it is gone.
    fn confirm_root(
        &self,
        dir: BorrowedFd<'_>,
        pid: Pid,
        name: &CStr,
        plan: Plan,
    ) -> Result<Option<bool>, Error> {
        if plan.same_ns {
            match getpgid(pid.as_raw()) {
                Ok(_) => return Ok(Some(true)),
                Err(Errno::ESRCH) => return Ok(None),
                // A security module refusing: ask the proc root.
                Err(_) => {}
            }
        }
        // A fresh lookup of a reaped pid fails.
        let again = stat_uid(dir, name).map_err(|e| self.err("fstatat", e).with_pid(pid))?;
        Ok(again.map(|owner| owner == 0))
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
        let per_pid = |op: &'static str, errno: Errno| self.err(op, errno).with_pid(pid);
        match filter {
            Filter::All => Ok(Some(true)),
            // Answered by `tree.rs`, never by a per-process test.
            Filter::Descendants(_) => Ok(None),
            Filter::Uid(uid) => {
                let Some(owner) = stat_uid(dir, name).map_err(|e| per_pid("fstatat", e))? else {
                    return Ok(None);
                };
                if owner != uid {
                    return Ok(Some(false));
                }
                if owner != 0 {
                    return Ok(Some(true));
                }
                // `pid_getattr` (`fs/proc/base.c`) reports root:root when
                // the task is gone by the time it runs, after the lookup
                // found it: a process reaped inside this `fstatat` reads
                // as owned by root, and no field of the reply tells it
                // apart. Root-owned answers are confirmed: a process that
                // still exists afterwards existed at the `getattr` (a
                // reaped pid is not reused within a query), so its owner
                // was real. That race needs a task released during the
                // scan, so a fill confirms only when the global task
                // counters read around the scan (`released.rs`) show one.
                if plan.defer_root {
                    return Ok(Some(true));
                }
                self.confirm_root(dir, pid, name, plan)
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
                let mut attempt = 0;
                let stat = loop {
                    let Some(bytes) = read_pid_file(dir, pid, b"stat", &mut buf)
                        .map_err(|e| per_pid("read stat", e))?
                    else {
                        return Ok(None);
                    };
                    let stat = parse::stat(bytes).ok_or_else(|| self.malformed(pid, "stat"))?;
                    // A task already released reads pgrp and session -1,
                    // ppid and tty 0 (`do_task_stat`): a process being
                    // reaped, or the old leader of an exec from another
                    // thread, found before the pids were swapped. Read
                    // again: the process (its new leader), or nothing.
                    attempt += 1;
                    if stat.pgrp != -1 || attempt >= RELEASED_REREADS {
                        break stat;
                    }
                };
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
    fn root_owned_answers_of_gone_processes_are_dropped() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let mut child = Command::new("true").spawn().unwrap();
        let gone = Pid::from(&child);
        child.wait().unwrap();
        for plan in [Plan::FILES, fs.plan(Filter::Uid(0))] {
            let inline = Plan {
                defer_root: false,
                ..plan
            };
            let mut out = [Pid::from_raw(1).unwrap(), gone, Pid::from_raw(1).unwrap()];
            let lease = fs.lease().unwrap();
            // Four found, three kept: the one past the end stays counted.
            let n = fs
                .confirm_root_owned(lease.fd(), &mut out, 4, inline)
                .unwrap();
            assert_eq!(n, 3);
            assert_eq!(&out[..2], &[Pid::from_raw(1).unwrap(); 2]);
        }
    }
}
