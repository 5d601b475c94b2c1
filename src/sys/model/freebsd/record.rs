//! One `struct kinfo_proc` as `fill_kinfo_proc` builds it, in the 64-bit
//! layout ([`KinfoLayout::LP64`]), and the kernel's visibility and filter
//! tests for a list op.

use super::table::Slot;
use super::{Model, Proc, State};
use crate::parse::KinfoLayout;
use crate::sys::freebsd::consts::{
    KERN_PROC_GID, KERN_PROC_PGRP, KERN_PROC_RGID, KERN_PROC_RUID, KERN_PROC_SESSION,
    KERN_PROC_TTY, KERN_PROC_UID, KINFO_PROC_SIZE, KI_CTTY, KI_SLEADER, NODEV, NO_PID, P_CONTROLT,
    P_JAILED, P_KPROC, P_SYSTEM, P_TRACED, P_WEXIT, SRUN, SSLEEP, SZOMB,
};

/// One record's bytes.
pub(super) type Record = [u8; KINFO_PROC_SIZE];

/// Offsets the model writes beyond those the parser reads (64-bit layout).
const TDEV_FREEBSD11: usize = 100;
const SVGID: usize = 184;
const NGROUPS: usize = 188;
const GROUPS: usize = 192;
const KI_NGROUPS: usize = 16;
const TDNAME: usize = 394;

/// The wall-clock boot time the model reports start times against.
pub(super) const BOOTTIME: i64 = 1_700_000_000;

// On FreeBSD, the extra offsets are libc's too.
#[cfg(all(target_os = "freebsd", target_pointer_width = "64"))]
const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(libc::kinfo_proc, ki_spare_short1) + 2 == TDEV_FREEBSD11);
    assert!(offset_of!(libc::kinfo_proc, ki_svgid) == SVGID);
    assert!(offset_of!(libc::kinfo_proc, ki_ngroups) == NGROUPS);
    assert!(offset_of!(libc::kinfo_proc, ki_groups) == GROUPS);
    assert!(offset_of!(libc::kinfo_proc, ki_tdname) == TDNAME);
};

/// What `fill_kinfo_proc_pgrp` derives from the session's terminal.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct TtyFields {
    pub(super) tdev: u64,
    pub(super) tpgid: i32,
    pub(super) tsid: i32,
}

fn put(rec: &mut Record, at: usize, bytes: &[u8]) {
    if let Some(dst) = rec.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

impl Model {
    /// `ki_tdev`, `ki_tpgid`, `ki_tsid`: the session's tty when the process
    /// has `P_CONTROLT` and the session has one; otherwise `NODEV`, 0, 0.
    pub(super) fn tty_fields(&self, p: &Proc) -> TtyFields {
        match self.terminal(p.sid).filter(|_| p.controlling_terminal) {
            Some(tty) => TtyFields {
                tdev: tty.dev.unwrap_or(NODEV),
                tpgid: tty.foreground.map_or(NO_PID, |g| g.as_raw()),
                tsid: tty.session.map_or(0, |s| s.as_raw()),
            },
            None => TtyFields {
                tdev: NODEV,
                tpgid: 0,
                tsid: 0,
            },
        }
    }

    /// `p_cansee(caller, p)`: self; then `prison_check` (the target in the
    /// caller's jail or one nested in it); then `security.bsd.see_*`, each
    /// waived for root (effective uid 0).
    pub(super) fn visible(&self, caller: Option<&Proc>, p: &Proc) -> bool {
        let Some(c) = caller else {
            return true;
        };
        if c.pid == p.pid {
            return true;
        }
        if !self.jail_within(p.jail, c.jail) {
            return false;
        }
        let root = c.uid == 0;
        if !self.see_other_uids && c.ruid != p.ruid && !root {
            return false;
        }
        if !self.see_other_gids && !root {
            // `realgroupmember`: a real gid or supplementary group of the
            // target equals the caller's real gid or one of its groups.
            let member = |g: u32| g == p.rgid || p.groups.contains(&g);
            if !(member(c.rgid) || c.groups.iter().any(|&g| member(g))) {
                return false;
            }
        }
        if !self.see_jail_proc && c.jail != p.jail && !root {
            return false;
        }
        true
    }

    /// `sysctl_kern_proc_iterate`'s filter for `op` (without
    /// `KERN_PROC_INC_THREAD`) and its argument.
    pub(super) fn matches(&self, p: &Proc, op: i32, arg: i32) -> bool {
        match op {
            KERN_PROC_PGRP => p.pgid.as_raw() == arg,
            KERN_PROC_SESSION => p.sid.as_raw() == arg,
            KERN_PROC_TTY => {
                // P_CONTROLT and a session tty, whose `tty_udev` (NODEV
                // without a cdev) equals the int argument cast to dev_t.
                p.controlling_terminal
                    && self
                        .terminal(p.sid)
                        .is_some_and(|t| t.dev.unwrap_or(NODEV) == arg as i64 as u64)
            }
            KERN_PROC_UID => p.uid == arg as u32,
            KERN_PROC_RUID => p.ruid == arg as u32,
            KERN_PROC_RGID => p.rgid == arg as u32,
            KERN_PROC_GID => p.gid == arg as u32,
            // KERN_PROC_ALL, KERN_PROC_PROC.
            _ => true,
        }
    }

    /// `fill_kinfo_proc` of `slot` (then `fill_kinfo_thread` of its thread
    /// `thread`) as `caller` sees it: zero-filled, then each field.
    pub(super) fn kinfo(&self, slot: &Slot, thread: u32, caller: Option<&Proc>) -> Record {
        let p = &slot.proc;
        let mut rec = [0u8; KINFO_PROC_SIZE];
        let l = KinfoLayout::LP64;
        let size = i32::try_from(KINFO_PROC_SIZE).unwrap_or(0);
        put(&mut rec, 0, &size.to_ne_bytes());
        put(&mut rec, l.pid, &p.pid.as_raw().to_ne_bytes());
        // `p_oppid` when there is a parent: all but proc0.
        let ppid = if p.pid.as_raw() == 0 {
            0
        } else {
            p.ppid.as_raw()
        };
        put(&mut rec, l.ppid, &ppid.to_ne_bytes());
        put(&mut rec, l.pgid, &p.pgid.as_raw().to_ne_bytes());
        put(&mut rec, l.sid, &p.sid.as_raw().to_ne_bytes());
        let tty = self.tty_fields(p);
        put(&mut rec, l.tpgid, &tty.tpgid.to_ne_bytes());
        put(&mut rec, l.tsid, &tty.tsid.to_ne_bytes());
        put(&mut rec, l.tdev, &tty.tdev.to_ne_bytes());
        // The 32-bit copy is the same value truncated (NODEV → 0xffffffff).
        put(&mut rec, TDEV_FREEBSD11, &(tty.tdev as u32).to_ne_bytes());
        put(&mut rec, l.uid, &p.uid.to_ne_bytes());
        put(&mut rec, l.ruid, &p.ruid.to_ne_bytes());
        put(&mut rec, l.svuid, &p.svuid.to_ne_bytes());
        put(&mut rec, l.rgid, &p.rgid.to_ne_bytes());
        put(&mut rec, SVGID, &p.rgid.to_ne_bytes());
        // cr_groups: the effective gid, then the supplementary groups.
        let groups = core::iter::once(p.gid).chain(p.groups.iter().copied());
        let mut n = 0usize;
        for (i, g) in groups.take(KI_NGROUPS).enumerate() {
            put(&mut rec, GROUPS + 4 * i, &g.to_ne_bytes());
            n += 1;
        }
        put(&mut rec, NGROUPS, &(n as i16).to_ne_bytes());
        // ki_start: p_start plus boottime, a timeval.
        let start = p.start.max(0);
        put(
            &mut rec,
            l.start_sec,
            &(BOOTTIME + start / 1_000_000).to_ne_bytes(),
        );
        put(&mut rec, l.start_usec, &(start % 1_000_000).to_ne_bytes());
        // fill_kinfo_proc_pgrp: KI_CTTY when the session holds its
        // terminal's vnode (whatever P_CONTROLT says), KI_SLEADER for its
        // leader (none once the leader has exited: killjobc).
        let mut kiflag = 0i64;
        if self.terminal(p.sid).is_some_and(|t| t.held) {
            kiflag |= KI_CTTY;
        }
        if p.sid == p.pid && p.state != State::Zombie {
            kiflag |= KI_SLEADER;
        }
        put(&mut rec, l.kiflag, &kiflag.to_ne_bytes());
        put(&mut rec, l.nice, &p.nice.to_ne_bytes());
        let mut flag = 0i64;
        if p.controlling_terminal {
            flag |= P_CONTROLT;
        }
        if p.system {
            flag |= P_SYSTEM | P_KPROC;
        }
        if p.tracer.is_some() {
            flag |= P_TRACED;
        }
        if p.exiting || p.state == State::Zombie {
            flag |= P_WEXIT;
        }
        if p.jail != 0 {
            flag |= P_JAILED;
        }
        put(&mut rec, l.flag, &flag.to_ne_bytes());
        let running = caller.is_some_and(|c| c.pid == p.pid);
        let stat = match p.state {
            State::Zombie => SZOMB,
            _ if running => SRUN,
            _ => SSLEEP,
        };
        put(&mut rec, l.stat, &[stat]);
        // strlcpy: at most 19 bytes and a NUL.
        put(&mut rec, l.comm, p.name());
        put(&mut rec, TDNAME, p.name().get(..16).unwrap_or(p.name()));
        // ki_jid: only for a target jailed in a prison other than the
        // caller's.
        let caller_jail = caller.map_or(0, |c| c.jail);
        let jid = if p.jail != 0 && p.jail != caller_jail {
            p.jail
        } else {
            0
        };
        put(&mut rec, l.jid, &(jid as i32).to_ne_bytes());
        let threads = i32::try_from(p.threads.max(1)).unwrap_or(i32::MAX);
        put(&mut rec, l.numthreads, &threads.to_ne_bytes());
        let tid = slot
            .first_tid
            .saturating_add(i32::try_from(thread).unwrap_or(0));
        put(&mut rec, l.tid, &tid.to_ne_bytes());
        rec
    }
}
