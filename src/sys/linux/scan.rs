//! The full scan: every pid directory of the proc root, each tested
//! against the filter with the least per-process work that answers it.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::os::fd::BorrowedFd;

use super::pidfd::{self, PidfdAnswer};
use super::syscalls::{getdents, getpgid};
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

/// How a scan tests each process, chosen once per query.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Plan {
    /// `ruid` and `ppid` ask `PIDFD_GET_INFO` first (`pidfd.rs`).
    pidfd: bool,
    /// The proc root numbers pids as the caller does, so `getpgid`
    /// confirms a process still exists without a path walk.
    same_ns: bool,
}

impl Plan {
    /// The plan that reads every answer from the proc root's own files.
    pub(super) const FILES: Plan = Plan {
        pidfd: false,
        same_ns: false,
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
                }
            }
            Filter::Uid(0) => Plan {
                pidfd: false,
                same_ns: self.in_caller_ns(),
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
                if self.matches(dir, pid, dirent.name_c, filter, plan)? == Some(true) {
                    if let Some(slot) = out.get_mut(found) {
                        *slot = pid;
                    }
                    found += 1;
                }
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
                // was real.
                if plan.same_ns {
                    match getpgid(pid.as_raw()) {
                        Ok(_) => return Ok(Some(true)),
                        Err(Errno::ESRCH) => return Ok(None),
                        // A security module refusing: ask the proc root.
                        Err(_) => {}
                    }
                }
                // A fresh lookup of a reaped pid fails.
                let again = stat_uid(dir, name).map_err(|e| per_pid("fstatat", e))?;
                Ok(again.map(|owner| owner == uid))
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
                let Some(bytes) = read_pid_file(dir, pid, b"stat", &mut buf)
                    .map_err(|e| per_pid("read stat", e))?
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
