//! xnu's `proc_pidinfo` over the table (`bsd/kern/proc_info.c`; line
//! numbers cited are those of xnu-11417.101.15).
//!
//! The flavors modelled are `PROC_PIDLISTFDS`, `PROC_PIDTASKALLINFO`,
//! `PROC_PIDTBSDINFO`, `PROC_PIDTASKINFO`, `PROC_PIDLISTTHREADS`,
//! `PROC_PIDPATHINFO`, `PROC_PIDT_SHORTBSDINFO`,
//! `PROC_PIDUNIQIDENTIFIERINFO`, `PROC_PIDT_BSDINFOWITHUNIQID`,
//! `PROC_PIDCOALITIONINFO`, `PROC_PIDLISTTHREADIDS` and
//! `PROC_PIDPLATFORMINFO`; any other flavor is `EINVAL`, as xnu answers a
//! flavor it does not know (the real kernel knows more).

use core::ffi::c_int;

use super::process::Exe;
use super::{Burst, Model, Proc};
use crate::sys::xnu::consts as xnu;
use crate::sys::xnu::records::{
    BsdInfo, BsdInfoWithUniqId, BsdShortInfo, CoalitionInfo, FdInfo, TaskAllInfo, TaskInfo,
    UniqIdentifierInfo,
};
use crate::{Errno, Pid};

/// The record-size rule of `proc_pidinfo`: the smallest buffer a flavor
/// takes, or `None` for a flavor the model does not know (`EINVAL`).
const fn min_size(flavor: c_int, null: bool) -> Option<u32> {
    Some(match flavor {
        xnu::PROC_PIDLISTFDS if null => 0,
        xnu::PROC_PIDLISTFDS => FdInfo::SIZE as u32,
        xnu::PROC_PIDTASKALLINFO => TaskAllInfo::SIZE as u32,
        xnu::PROC_PIDTBSDINFO => BsdInfo::SIZE as u32,
        xnu::PROC_PIDTASKINFO => TaskInfo::SIZE as u32,
        // `2 * sizeof(uint32_t)`
        xnu::PROC_PIDLISTTHREADS | xnu::PROC_PIDLISTTHREADIDS => 8,
        xnu::PROC_PIDPATHINFO => xnu::PROC_PIDPATHINFO_SIZE as u32,
        xnu::PROC_PIDT_SHORTBSDINFO => BsdShortInfo::SIZE as u32,
        xnu::PROC_PIDUNIQIDENTIFIERINFO => UniqIdentifierInfo::SIZE as u32,
        xnu::PROC_PIDT_BSDINFOWITHUNIQID => BsdInfoWithUniqId::SIZE as u32,
        xnu::PROC_PIDCOALITIONINFO => CoalitionInfo::SIZE as u32,
        // `sizeof(uint32_t)`
        xnu::PROC_PIDPLATFORMINFO => 4,
        _ => return None,
    })
}

/// Whether a flavor finds zombies (`findzomb`): the BSD and identifier
/// flavors when `arg != 0`, `PROC_PIDPLATFORMINFO` always, no other.
const fn finds_zombies(flavor: c_int, arg: u64) -> bool {
    match flavor {
        xnu::PROC_PIDTBSDINFO
        | xnu::PROC_PIDT_SHORTBSDINFO
        | xnu::PROC_PIDT_BSDINFOWITHUNIQID
        | xnu::PROC_PIDUNIQIDENTIFIERINFO => arg != 0,
        xnu::PROC_PIDPLATFORMINFO => true,
        _ => false,
    }
}

/// The flags both BSD records derive (`proc_pidbsdinfo`,
/// `proc_pidshortbsdinfo`, `proc_info.c:711-765` and `818-858`).
/// `zombie` is xnu's: found by `proc_find_zombref`, so a zombie or a
/// process in its exit window.
fn common_flags(p: &Proc, zombie: bool) -> u32 {
    let mut flags = p.flags;
    if p.traced_from.is_some() {
        flags |= xnu::PROC_FLAG_TRACED;
    }
    if p.exiting {
        flags |= xnu::PROC_FLAG_INEXIT;
    }
    if !zombie {
        // proc_get_darwinbgstate: skipped for zombies.
        flags |= p.policy_flags;
    }
    if p.controlling_terminal {
        flags |= xnu::PROC_FLAG_CONTROLT;
    }
    flags
}

fn short_comm(p: &Proc) -> [u8; 16] {
    let mut comm = [0u8; 16];
    for (to, from) in comm.iter_mut().zip(&p.comm) {
        *to = *from;
    }
    // pbi_comm[MAXCOMLEN - 1] = '\0'
    if let Some(last) = comm.last_mut() {
        *last = 0;
    }
    comm
}

/// `proc_pidbsdinfo(p, zombie)`.
fn bsdinfo(p: &Proc, zombie: bool) -> BsdInfo {
    let mut name = [0u8; 32];
    for (to, from) in name.iter_mut().zip(&p.name) {
        *to = *from;
    }
    if let Some(last) = name.last_mut() {
        *last = 0;
    }
    let mut flags = common_flags(p, zombie);
    let mut pgid = 0;
    let mut tdev = xnu::NODEV;
    let mut tpgid = 0;
    // `pg == NULL` (and so no session): no group, leader or terminal.
    if !p.pgrp_detached {
        // The leader's exit cleared `s_leader` before it became a zombie.
        if p.sid == p.pid && !(zombie && p.stat == xnu::SZOMB) {
            flags |= xnu::PROC_FLAG_SLEADER;
        }
        if p.tty.is_some() {
            flags |= xnu::PROC_FLAG_CTTY;
        }
        pgid = p.pgid.as_raw() as u32;
        if p.controlling_terminal {
            // xnu's dev_t is 32 bits.
            tdev = p.tty.map_or(xnu::NODEV, |d| d.raw() as u32);
            tpgid = p.tpgid.as_raw() as u32;
        }
    }
    BsdInfo {
        pbi_flags: flags,
        pbi_status: p.stat,
        pbi_xstatus: p.xstat,
        pbi_pid: p.pid.as_raw() as u32,
        pbi_ppid: p.ppid.as_raw() as u32,
        pbi_uid: p.uid,
        pbi_gid: p.gid,
        pbi_ruid: p.ruid,
        pbi_rgid: p.rgid,
        pbi_svuid: p.svuid,
        pbi_svgid: p.svgid,
        rfu_1: 0,
        pbi_comm: short_comm(p),
        pbi_name: name,
        pbi_nfiles: if zombie { 0 } else { p.fd_nfiles },
        pbi_pgid: pgid,
        pbi_pjobc: 0,
        e_tdev: tdev,
        e_tpgid: tpgid,
        pbi_nice: p.nice,
        pbi_start_tvsec: p.start_usec / 1_000_000,
        pbi_start_tvusec: p.start_usec % 1_000_000,
    }
}

/// `proc_pidshortbsdinfo(p, zombie)`: no `SLEADER` nor `CTTY` here.
fn shortinfo(p: &Proc, zombie: bool) -> BsdShortInfo {
    BsdShortInfo {
        pbsi_pid: p.pid.as_raw() as u32,
        pbsi_ppid: p.ppid.as_raw() as u32,
        pbsi_pgid: p.pgid.as_raw() as u32,
        pbsi_status: p.stat,
        pbsi_comm: short_comm(p),
        pbsi_flags: common_flags(p, zombie),
        pbsi_uid: p.uid,
        pbsi_gid: p.gid,
        pbsi_ruid: p.ruid,
        pbsi_rgid: p.rgid,
        pbsi_svuid: p.svuid,
        pbsi_svgid: p.svgid,
        pbsi_rfu: 0,
    }
}

/// `proc_pidtaskinfo(p)`.
fn taskinfo(p: &Proc) -> TaskInfo {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    TaskInfo {
        pti_threadnum: count(p.threads.len()),
        pti_numrunning: count(p.threads.iter().filter(|t| t.running).count()),
        ..p.task
    }
}

/// `proc_piduniqidentifierinfo(p)`.
fn uniqinfo(p: &Proc) -> UniqIdentifierInfo {
    UniqIdentifierInfo {
        p_uuid: p.uuid,
        p_uniqueid: p.uniqueid,
        p_puniqueid: p.puniqueid,
        p_idversion: p.idversion,
        p_orig_ppidversion: p.orig_ppidversion,
        p_reserve2: 0,
        p_reserve3: 0,
    }
}

/// Zeros for padding a path out to the whole buffer, in chunks.
const ZEROS: [u8; 256] = [0; 256];

impl Model {
    // ---- the kernel -------------------------------------------------------

    /// The process `pid` names for `proc_pidinfo`: live (not a shadow), or
    /// a zombie when `zombies` (`proc_find`, then `proc_find_zombref`).
    fn find(&self, pid: c_int, zombies: bool) -> Option<(&Proc, bool)> {
        let pid = Pid::from_raw(pid)?;
        if let Some(p) = self.allproc.iter().find(|p| p.pid == pid && !p.shadow) {
            return Some((p, false));
        }
        self.zombproc
            .iter()
            .find(|p| p.pid == pid && zombies)
            .map(|p| (p, true))
    }

    /// xnu's `proc_pidinfo` (`bsd/kern/proc_info.c`), returning the byte
    /// count (`*retval`) or the errno. `null` says the buffer is NULL;
    /// `put(at, bytes)` is the copyout of `bytes` at offset `at`, called
    /// only with `at + bytes.len() <= size`.
    pub(super) fn kernel_pidinfo(
        &mut self,
        pid: c_int,
        flavor: c_int,
        arg: u64,
        null: bool,
        size: u32,
        put: &mut dyn FnMut(usize, &[u8]),
    ) -> Result<usize, Errno> {
        self.info_calls += 1;
        let call = self.info_script.next();
        self.burst(call.before);
        if let Some(errno) = call.fail {
            return Err(errno);
        }
        // 1. The flavor and its record size, before the pid is looked up.
        let min = min_size(flavor, null).ok_or(Errno::EINVAL)?;
        if size < min {
            return Err(Errno::ENOMEM);
        }
        if flavor == xnu::PROC_PIDPATHINFO && size as usize > xnu::PROC_PIDPATHINFO_MAXSIZE {
            return Err(Errno::from_raw(libc::EOVERFLOW));
        }
        // 2. The lookup: zombies only for the BSD/identifier flavors with
        //    `arg != 0` (and the platform flavor).
        let zombies = finds_zombies(flavor, arg);
        let (p, zombie) = self.find(pid, zombies).ok_or(Errno::ESRCH)?;
        // 3. proc_security_policy: MAC first, then the same-user check on
        //    effective uids, which root passes.
        if let Some(errno) = self.sandbox {
            return Err(errno);
        }
        if let Some(&(_, errno)) = self.denied_flavors.iter().find(|&&(f, _)| f == flavor) {
            return Err(errno);
        }
        let checked = !xnu::NO_CHECK_SAME_USER.contains(&flavor);
        if checked && self.caller_uid != 0 && self.caller_uid != p.uid {
            return Err(Errno::EPERM);
        }
        // A fixed-size flavor copies out to the NULL buffer: a fault.
        if null && flavor != xnu::PROC_PIDLISTFDS {
            return Err(Errno::from_raw(libc::EFAULT));
        }
        let pid = p.pid;
        let result = match flavor {
            xnu::PROC_PIDLISTFDS => return self.kernel_listfds(pid, null, size, call.during, put),
            xnu::PROC_PIDLISTTHREADS | xnu::PROC_PIDLISTTHREADIDS => {
                let ids = flavor == xnu::PROC_PIDLISTTHREADIDS;
                return self.kernel_listthreads(pid, ids, size, call.during, put);
            }
            xnu::PROC_PIDPATHINFO => match &p.exe {
                Exe::Missing | Exe::Recycled(_) => Err(Errno::ESRCH),
                // vn_getpath: the path and its NUL must fit.
                Exe::At(path) | Exe::Deleted(path) if path.len() >= size as usize => {
                    Err(Errno::from_raw(libc::ENOSPC))
                }
                Exe::Deleted(_) => Err(Errno::ENOENT),
                Exe::At(path) => {
                    // The whole buffer is copied out, NUL-padded, and
                    // retval is never set: the call returns 0.
                    put(0, path);
                    let mut at = path.len();
                    while at < size as usize {
                        let n = (size as usize - at).min(ZEROS.len());
                        put(at, ZEROS.get(..n).unwrap_or_default());
                        at += n;
                    }
                    Ok(0)
                }
            },
            xnu::PROC_PIDTBSDINFO => Ok(copy(put, &bsdinfo(p, zombie).encode())),
            xnu::PROC_PIDT_SHORTBSDINFO => Ok(copy(put, &shortinfo(p, zombie).encode())),
            xnu::PROC_PIDTASKINFO => Ok(copy(put, &taskinfo(p).encode())),
            xnu::PROC_PIDTASKALLINFO => {
                let all = TaskAllInfo {
                    pbsd: bsdinfo(p, false),
                    ptinfo: taskinfo(p),
                };
                Ok(copy(put, &all.encode()))
            }
            xnu::PROC_PIDUNIQIDENTIFIERINFO => Ok(copy(put, &uniqinfo(p).encode())),
            xnu::PROC_PIDCOALITIONINFO => {
                let [resource, jetsam] = p.coalitions;
                let info = CoalitionInfo {
                    coalition_id_resource: resource,
                    coalition_id_jetsam: jetsam,
                    ..CoalitionInfo::ZEROED
                };
                Ok(copy(put, &info.encode()))
            }
            xnu::PROC_PIDPLATFORMINFO => Ok(copy(put, &p.platform.to_ne_bytes())),
            xnu::PROC_PIDT_BSDINFOWITHUNIQID => {
                let with = BsdInfoWithUniqId {
                    pbsd: bsdinfo(p, zombie),
                    p_uniqidentifier: uniqinfo(p),
                };
                Ok(copy(put, &with.encode()))
            }
            _ => Err(Errno::EINVAL),
        };
        self.burst(call.during);
        result
    }

    /// `proc_pidfdlist`: a NULL buffer gets `(fd_nfiles + 20) × 8`;
    /// otherwise at most `min(fd_nfiles, size / 8)` entries, the bound read
    /// before the walk, ascending by descriptor.
    fn kernel_listfds(
        &mut self,
        pid: Pid,
        null: bool,
        size: u32,
        during: Burst,
        put: &mut dyn FnMut(usize, &[u8]),
    ) -> Result<usize, Errno> {
        let nfiles = self.get(pid).map_or(0, |p| p.fd_nfiles as usize);
        if null {
            self.burst(during);
            return Ok((nfiles + xnu::LISTFDS_SLACK) * FdInfo::SIZE);
        }
        let numfds = nfiles.min(size as usize / FdInfo::SIZE);
        self.burst(during);
        let mut count = 0;
        if let Some(p) = self.get(pid) {
            for &(fd, fdtype) in p.fds.iter().take(numfds) {
                let entry = FdInfo {
                    proc_fd: fd,
                    proc_fdtype: fdtype,
                };
                put(count * FdInfo::SIZE, &entry.encode());
                count += 1;
            }
        }
        Ok(count * FdInfo::SIZE)
    }

    /// `proc_pidlistthreads`: at most `min(threads + 10, size / 8)`
    /// entries, the bound read before the walk, in thread-queue order;
    /// handles or thread ids.
    fn kernel_listthreads(
        &mut self,
        pid: Pid,
        ids: bool,
        size: u32,
        during: Burst,
        put: &mut dyn FnMut(usize, &[u8]),
    ) -> Result<usize, Errno> {
        let threads = self.get(pid).map_or(0, |p| p.threads.len());
        let numthreads = (threads + xnu::LISTTHREADS_SLACK).min(size as usize / 8);
        self.burst(during);
        let mut count = 0;
        if let Some(p) = self.get(pid) {
            for t in p.threads.iter().take(numthreads) {
                let value = if ids { t.id } else { t.handle };
                put(count * 8, &value.to_ne_bytes());
                count += 1;
            }
        }
        Ok(count * 8)
    }
}

/// Copies a whole record to the front of the buffer; its size.
fn copy(put: &mut dyn FnMut(usize, &[u8]), bytes: &[u8]) -> usize {
    put(0, bytes);
    bytes.len()
}
