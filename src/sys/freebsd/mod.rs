//! FreeBSD backend: the `sysctl kern.proc.*` call pattern over any function
//! with the signature of `libc::sysctl`.
//!
//! On FreeBSD the function is libc's own (`live.rs`, the only
//! platform-only file); everywhere else the model's stand-in
//! (`sys/model/freebsd/abi.rs`) plugs in, so everything here is compiled
//! and tested on every host.
//!
//! - `mod.rs`: how a query is asked ([`Plan`]), one fetch per attempt,
//!   the selection of the pids, the [`ListPids`] entry point, `dev`;
//! - `tree.rs`: `descendants` from one fetch of the table;
//! - `inspect.rs`: the per-process capability (`KERN_PROC_PID`,
//!   `KERN_PROC_PATHNAME`, `KERN_PROC_FILEDESC`);
//! - `scratch.rs`: the reusable record buffer;
//! - `raw.rs`: the raw call, the only `unsafe` code but the shim's;
//! - `consts.rs`: the mib numbers and kernel constants;
//! - `live.rs` (FreeBSD only): plugs in `libc::sysctl` and `libc`'s
//!   `kinfo_proc` layout.
//!
//! # How each filter is asked
//!
//! | filter | mib | then |
//! | --- | --- | --- |
//! | `all` | `{CTL_KERN, KERN_PROC, KERN_PROC_PROC}` (never `KERN_PROC_ALL`, one record per *thread*) | every record |
//! | `pgrp` | `{…, KERN_PROC_PGRP, pgid}` | every record |
//! | `uid` | `{…, KERN_PROC_UID, uid}` (effective) | every record |
//! | `ruid` | `{…, KERN_PROC_RUID, uid}` | every record |
//! | `tty` | `{…, KERN_PROC_TTY, dev}` when `dev` fits a non-negative `int` (the kernel sign-extends the argument), else `{…, KERN_PROC_PROC}` | the records whose `ki_tdev` is `dev` and whose session still holds the terminal (`KI_CTTY`) |
//! | `tty(NODEV)` | none: no process with a controlling terminal has it | nothing |
//! | `ppid` | `{…, KERN_PROC_PROC}` (no kernel filter exists) | the records whose `ki_ppid` is the pid and that did not start before it |
//! | `descendants` | `{…, KERN_PROC_PROC}` | the subtree, linked in user space (`tree.rs`) |
//!
//! The kernel walks its pid hash, so the pids are sorted (and any duplicate
//! dropped) before they are returned.
//!
//! ## The terminal rule
//!
//! `KERN_PROC_TTY` matches `P_CONTROLT && s_ttyp && tty_udev(s_ttyp) ==
//! dev` (`sysctl_kern_proc_iterate`), but `killjobc` (`kern_proc.c`) clears
//! only the session's `s_ttyvp` when its leader exits, leaving `s_ttyp` set
//! "to indicate that the session once had a controlling terminal": the
//! background and `nohup`ed members left behind keep matching, where Linux
//! gives them `tty_nr` 0. `fill_kinfo_proc_pgrp` reports `s_ttyvp != NULL`
//! as `KI_CTTY` in `ki_kiflag`, so a record matches `tty` only with it.
//!
//! ## The parent rule
//!
//! Before FreeBSD 13.0, `exit1` left the real parent (`p_oppid`, reported
//! as `ki_ppid`) of a process traced by another unchanged when that parent
//! died, so once the pid came back `ppid(new)` would list an unrelated,
//! older process. A child never starts before its parent: a record whose
//! `ki_start` precedes its parent's (when the parent is in the same
//! answer) is not its child, for `ppid` and `descendants` alike.
//!
//! # Sizing and retry
//!
//! `sysctl(mib, NULL, &len)` answers `(matches + 5) × sizeof(kinfo_proc)`.
//! Given a buffer, the kernel copies records until it is full, byte-exact
//! (the last one may be cut), and then fails with `ENOMEM` with `*oldlenp`
//! set to the buffer's length; a buffer that comes back exactly full is
//! complete. So, over a scratch of whole records kept between calls, each
//! [`list`](ListPids::list) makes **one** fetch (preceded by a probe when
//! the scratch is cold or has just fallen short), and the engine's retry
//! loop is the only one: a fill makes at most
//! [`MAX_ATTEMPTS`](crate::MAX_ATTEMPTS) fetches.
//!
//! - success: the answer; the length must be a whole number of records,
//!   each with `ki_structsize` equal to the layout's size, or the call is
//!   [`Malformed`](crate::ErrorKind::Malformed);
//! - `ENOMEM` with `*oldlenp` equal to the buffer: too small. The partial
//!   copy is never read. For a kernel filter, a buffer of one record more
//!   than the caller's slot count that came back short proves the answer
//!   does not fit the slots (`Listed::Full`, and the engine grows them);
//!   otherwise the scratch grows to `max(2 × records, probe + probe/8 +
//!   16)` from a fresh probe, and the call reports the probe's count of
//!   matches (a kernel filter) or the slots it was given (a table), so
//!   that the engine asks again;
//! - `ENOMEM` with `*oldlenp` below the buffer's length: the kernel could
//!   not wire the buffer (`vm.max_user_wired`), which asking again would not
//!   change: [`WiringLimit`](crate::ErrorKind::WiringLimit);
//! - anything else (`EPERM` in capability mode, `EINVAL`, `ENOENT`,
//!   `EFAULT`): an [`Os`](crate::ErrorKind::Os) error naming the node.
//!
//! [`estimate`](ListPids::estimate) is the probe's count of matches (the
//! kernel's `+ 5` taken off), so `fill_slice`'s `Truncated { needed }`
//! is a count, as on Linux.
//!
//! A kernel filter never passes more than one record beyond the caller's
//! slots, so a small answer wires little and, at `PAGE_SIZE` (4 KiB: three
//! records) or less, skips the kernel's global `sysctlmemlock`
//! (`userland_sysctl` takes it for `req.oldlen > PAGE_SIZE`; later
//! revisions only for a buffer over `4 * PAGE_SIZE`); the scratch itself grows
//! with the kernel's estimates, never with the caller's slice, and never
//! shrinks. Once it has its working size a query allocates nothing.
//!
//! # Consistency
//!
//! FreeBSD 13 and later walk the pid hash one lock stripe at a time, so a
//! list is not a snapshot: a process that exists for the whole call is
//! listed exactly once, one forked or reaped during it may or may not be,
//! and each filter field is read when its record is filled (as on Linux).
//! FreeBSD 12 and earlier hold the process lists for the whole walk.
//! Processes the caller may not see (jails, `security.bsd.see_other_uids`,
//! `see_other_gids`, `see_jail_proc`) are left out silently; zombies and
//! exiting processes are listed.
//!
//! # References
//! - FreeBSD `sys/kern/kern_proc.c` (`sysctl_kern_proc`,
//!   `sysctl_kern_proc_iterate`, `proc_iterate`, `fill_kinfo_proc_pgrp`,
//!   `killjobc`)
//! - FreeBSD `sys/kern/kern_exit.c` (`exit1`)
//! - FreeBSD `sys/kern/kern_sysctl.c` (`sysctl_old_user`,
//!   `sysctl_wire_old_buffer`, `userland_sysctl`)
//! - `sysctl(3)`; libutil `kinfo_getallproc(3)`; libkvm `kvm_getprocs(3)`

#![cfg_attr(
    not(any(target_os = "freebsd", feature = "model", test)),
    allow(dead_code)
)]

use core::ffi::{c_int, c_uint, c_void};
use std::sync::Mutex;

pub mod consts;
mod inspect;
#[cfg(target_os = "freebsd")]
mod live;
mod raw;
mod scratch;
mod tree;

#[cfg(target_os = "freebsd")]
pub(crate) use live::Live;

use super::{ListPids, Listed};
use crate::parse::{self, KinfoLayout, KinfoProc};
use crate::sys::growth::grow;
use crate::{Errno, Error, ErrorKind, Filter, Pid, PidQuery};
use consts::{CTL_KERN, KERN_PROC, KERN_PROC_PGRP, KERN_PROC_PROC, KERN_PROC_RUID};
use consts::{KERN_PROC_TTY, KERN_PROC_UID, KI_CTTY, NODEV, PROBE_SLACK};

/// The signature of `libc::sysctl`: `int sysctl(const int *name, u_int
/// namelen, void *oldp, size_t *oldlenp, const void *newp, size_t newlen)`.
pub(crate) type SysctlFn = unsafe extern "C" fn(
    *const c_int,
    c_uint,
    *mut c_void,
    *mut usize,
    *const c_void,
    usize,
) -> c_int;

/// Records never passed in one call: 2^17 (about 143 MB of 1088-byte
/// records), above any process count (pids stop at `PID_MAX`, 99999) plus
/// the probe's slack and the growth headroom.
pub(crate) const MAX_RECORDS: usize = 1 << 17;

/// No public extras on FreeBSD.
pub(crate) mod public {}

/// FreeBSD's 64-bit `dev_t` encoding (`sys/sys/types.h`, FreeBSD 12 and
/// later): the major's low byte in bits 8–15 and its upper 24 bits in bits
/// 40–63; the minor's byte 1 in bits 32–39 and the rest in bits 0–7 and
/// 16–31. A devfs node's `st_rdev`, which is what `ki_tdev` reports for a
/// terminal, is its inode number: `PidQuery::tty_path` compares it raw.
// Elsewhere only its tests use it.
#[cfg_attr(not(target_os = "freebsd"), allow(dead_code))]
pub(crate) mod dev {
    /// `makedev(major, minor)`.
    pub(crate) const fn makedev(major: u32, minor: u32) -> u64 {
        let (major, minor) = (major as u64, minor as u64);
        ((major & 0xffff_ff00) << 32)
            | ((major & 0xff) << 8)
            | ((minor & 0xff00) << 24)
            | (minor & 0xffff_00ff)
    }

    /// `major(dev)`.
    pub(crate) const fn major(dev: u64) -> u32 {
        (((dev >> 32) & 0xffff_ff00) | ((dev >> 8) & 0xff)) as u32
    }

    /// `minor(dev)`.
    pub(crate) const fn minor(dev: u64) -> u32 {
        (((dev >> 24) & 0xff00) | (dev & 0xffff_00ff)) as u32
    }
}

/// The `kern.proc` call pattern: a `sysctl`-shaped function, the record
/// layout it answers in, and the reusable record scratch.
#[derive(Debug)]
pub(crate) struct KernProc {
    sysctl: SysctlFn,
    layout: KinfoLayout,
    /// Whole `kinfo_proc` records, reused by one query at a time; a
    /// concurrent query allocates its own.
    spare: Mutex<Option<scratch::Spare>>,
}

/// What the backend keeps of the records the kernel returned.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pick {
    /// All of them: the kernel filtered.
    Every,
    /// Those whose `ki_ppid` is this pid and that did not start before it.
    Ppid(i32),
    /// Those whose `ki_tdev` is this device (never `NODEV`) and whose
    /// session still holds the terminal (`KI_CTTY`).
    Tty(u64),
    /// The subtree below this pid.
    Descendants(i32),
}

/// How one query is asked: the mib, its node's name, and what is kept of
/// the records.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    words: [c_int; 4],
    len: usize,
    /// The node, for errors: `kern.proc.pgrp` …
    pub(crate) name: &'static str,
    pub(crate) pick: Pick,
}

impl Plan {
    /// The plan for `query`; `None` when nothing can match (`tty(NODEV)`).
    pub(crate) fn of(query: &PidQuery) -> Option<Plan> {
        let table = |pick| Plan {
            words: [CTL_KERN, KERN_PROC, KERN_PROC_PROC, 0],
            len: 3,
            name: "kern.proc.proc",
            pick,
        };
        let filtered = |op, arg, name, pick| Plan {
            words: [CTL_KERN, KERN_PROC, op, arg],
            len: 4,
            name,
            pick,
        };
        Some(match query.filter() {
            Filter::All => table(Pick::Every),
            // The kernel compares `(pid_t)arg` and `(uid_t)arg`: the casts
            // round-trip.
            Filter::Pgrp(pgid) => {
                filtered(KERN_PROC_PGRP, pgid.as_raw(), "kern.proc.pgrp", Pick::Every)
            }
            Filter::Uid(uid) => filtered(KERN_PROC_UID, uid as c_int, "kern.proc.uid", Pick::Every),
            Filter::Ruid(uid) => {
                filtered(KERN_PROC_RUID, uid as c_int, "kern.proc.ruid", Pick::Every)
            }
            Filter::Tty(dev) => match dev.raw() {
                NODEV => return None,
                // `(dev_t)arg` sign-extends: only 0..2^31 can be asked.
                raw if raw <= c_int::MAX as u64 => {
                    filtered(KERN_PROC_TTY, raw as c_int, "kern.proc.tty", Pick::Tty(raw))
                }
                raw => table(Pick::Tty(raw)),
            },
            Filter::Ppid(ppid) => table(Pick::Ppid(ppid.as_raw())),
            Filter::Descendants(root) => table(Pick::Descendants(root.as_raw())),
        })
    }

    /// The mib.
    pub(crate) fn mib(&self) -> &[c_int] {
        self.words.get(..self.len).unwrap_or(&self.words)
    }

    /// True when the kernel does all the filtering: every record it
    /// returns is one pid of the answer.
    pub(crate) const fn kernel_filtered(&self) -> bool {
        matches!(self.pick, Pick::Every)
    }
}

/// What a fetch produced.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Fetched {
    /// The whole answer: this many bytes.
    Complete(usize),
    /// The buffer was too small (its bytes are a partial copy).
    Short,
}

/// The start time of a record, as `(seconds, microseconds)`.
fn started(k: &KinfoProc) -> (i64, i64) {
    (k.start_sec, k.start_usec)
}

impl KernProc {
    fn malformed(name: &'static str) -> Error {
        Error::new(ErrorKind::Malformed, name)
    }

    /// The NULL-buffer probe of `mib`, in bytes, `EINTR` retried.
    fn probe_bytes(&self, mib: &[c_int], name: &'static str) -> Result<usize, Error> {
        loop {
            let ret = self.call_probe(mib);
            match (ret.rc, ret.errno) {
                (0, _) => return Ok(ret.oldlen),
                (-1, Errno::EINTR) => continue,
                (-1, errno) if errno.raw() != 0 => return Err(Error::os(name, errno)),
                // -1 without errno, or another return: not sysctl's convention.
                _ => return Err(Self::malformed(name)),
            }
        }
    }

    /// The NULL-buffer probe, in records (the kernel's +5 included).
    fn probe(&self, plan: &Plan) -> Result<usize, Error> {
        let bytes = self.probe_bytes(plan.mib(), plan.name)?;
        Ok(bytes.div_ceil(self.layout.size.max(1)))
    }

    /// One call of `mib` into `buf` (never empty), `EINTR` retried.
    fn fetch_into(
        &self,
        mib: &[c_int],
        name: &'static str,
        buf: &mut [u8],
    ) -> Result<Fetched, Error> {
        let passed = buf.len();
        loop {
            let ret = self.call_fetch(mib, buf);
            match (ret.rc, ret.errno) {
                (0, _) if ret.oldlen <= passed => return Ok(Fetched::Complete(ret.oldlen)),
                (-1, Errno::ENOMEM) if ret.oldlen == passed => return Ok(Fetched::Short),
                // The kernel reports the wired length: 0 when vslock failed.
                (-1, Errno::ENOMEM) if ret.oldlen < passed => {
                    return Err(Error::wiring_limit(name, passed))
                }
                (-1, Errno::EINTR) => continue,
                (-1, errno) if errno != Errno::ENOMEM && errno.raw() != 0 => {
                    return Err(Error::os(name, errno))
                }
                // More bytes than the buffer, -1 without errno, another
                // return: never trusted.
                _ => return Err(Self::malformed(name)),
            }
        }
    }

    /// The pids `plan` keeps of `records` into `out`, sorted, duplicates
    /// dropped; `Full` with the exact count when they do not fit.
    fn select(
        &self,
        plan: &Plan,
        records: &[u8],
        links: &mut tree::Links,
        out: &mut [Pid],
    ) -> Result<Listed, Error> {
        let bad = || Self::malformed(plan.name);
        let all = || parse::kinfo_procs(records, &self.layout).map_err(|_| bad());
        let parent_start = match plan.pick {
            Pick::Descendants(root) => return self.descendants(root, records, links, out),
            Pick::Ppid(ppid) => {
                let mut found = None;
                for record in all()? {
                    let k = record.map_err(|_| bad())?;
                    if k.pid == ppid {
                        found = Some(started(&k));
                    }
                }
                found
            }
            _ => None,
        };
        let mut n = 0usize;
        for record in all()? {
            let k = record.map_err(|_| bad())?;
            let keep = match plan.pick {
                Pick::Every => true,
                Pick::Ppid(ppid) => k.ppid == ppid && parent_start.is_none_or(|p| started(&k) >= p),
                Pick::Tty(dev) => k.tdev == dev && k.kiflag & KI_CTTY != 0,
                Pick::Descendants(_) => false,
            };
            if keep {
                let pid = Pid::from_raw(k.pid).ok_or_else(bad)?;
                if let Some(slot) = out.get_mut(n) {
                    *slot = pid;
                }
                n += 1;
            }
        }
        if n > out.len() {
            return Ok(Listed::Full { needed: Some(n) });
        }
        Ok(Listed::Complete(crate::list::links::sort_dedup(
            out.get_mut(..n).unwrap_or_default(),
        )))
    }
}

crate::sys::select_by_info!(KernProc, ascending: true);

impl ListPids for KernProc {
    /// The kernel's count of matches: the NULL-buffer probe less its 5
    /// records of slack (for `ppid`, `descendants` and a `tty` beyond
    /// `int`, the whole process table).
    fn estimate(&self, query: &PidQuery) -> Result<usize, Error> {
        match Plan::of(query) {
            Some(plan) => Ok(self.probe(&plan)?.saturating_sub(PROBE_SLACK)),
            None => Ok(0),
        }
    }

    /// One fetch (after a probe when the scratch is cold): the engine's
    /// retry loop is the only one.
    fn list(&self, query: &PidQuery, out: &mut [Pid]) -> Result<Listed, Error> {
        let Some(plan) = Plan::of(query) else {
            return Ok(Listed::Complete(0));
        };
        // A kernel filter's records are the answer: one more than `out`
        // holds is enough to tell whether it fits.
        let limit = match plan.kernel_filtered() {
            true => out.len().saturating_add(1).min(MAX_RECORDS),
            false => MAX_RECORDS,
        };
        let mut scratch = self.lease();
        if scratch.records() == 0 {
            // A cold scratch: never pass a non-NULL empty buffer (it proves
            // nothing); size it from the kernel's estimate instead.
            scratch.grow(grow(0, self.probe(&plan)?).min(MAX_RECORDS))?;
        }
        let pass = scratch.records().min(limit).max(1);
        match self.fetch_into(plan.mib(), plan.name, scratch.bytes_mut(pass))? {
            Fetched::Complete(len) => {
                let (records, links) = scratch.split(len);
                self.select(&plan, records, links, out)
            }
            Fetched::Short if plan.kernel_filtered() && pass >= limit => {
                Ok(Listed::Full { needed: None })
            }
            Fetched::Short => {
                // Never parse the partial copy: ask how much there is now,
                // grow, and let the engine ask again.
                let probe = self.probe(&plan)?;
                scratch.grow(grow(pass, probe).min(MAX_RECORDS))?;
                let needed = match plan.kernel_filtered() {
                    // The kernel's count: more than the slots, and the
                    // engine grows them; at most, and it asks again.
                    true => probe.saturating_sub(PROBE_SLACK),
                    // The slots may well be enough: ask again.
                    false => out.len(),
                };
                Ok(Listed::Full {
                    needed: Some(needed),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
