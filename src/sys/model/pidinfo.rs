//! xnu's `proc_pidinfo` over the table (`bsd/kern/proc_info.c`), the
//! schedule of per-process calls, and the engine's per-process entry
//! points.
//!
//! The flavors modelled are `PROC_PIDLISTFDS`, `PROC_PIDTASKALLINFO`,
//! `PROC_PIDTBSDINFO`, `PROC_PIDTASKINFO`, `PROC_PIDLISTTHREADS`,
//! `PROC_PIDPATHINFO`, `PROC_PIDT_SHORTBSDINFO`,
//! `PROC_PIDUNIQIDENTIFIERINFO`, `PROC_PIDT_BSDINFOWITHUNIQID`,
//! `PROC_PIDCOALITIONINFO`, `PROC_PIDLISTTHREADIDS` and
//! `PROC_PIDPLATFORMINFO`; any other flavor is `EINVAL`, as xnu answers a
//! flavor it does not know (the real kernel knows more).

use core::ffi::c_int;

use super::abi::MODEL_XNU;
use super::process::Exe;
use super::{Model, Proc};
use crate::sys::xnu::consts as xnu;
use crate::sys::xnu::info::{RawInfo, ThreadList};
use crate::sys::xnu::records::{
    BsdInfo, BsdInfoWithUniqId, BsdShortInfo, CoalitionInfo, FdInfo, TaskAllInfo, TaskInfo,
    UniqIdentifierInfo,
};
use crate::sys::{Inspect, Listed};
use crate::{
    Errno, Error, Exe as ExePath, ExeBuf, Fd, FdBuf, InfoBuf, Pid, PidQuery, ProcId, ProcInfo,
    Thread, ThreadBuf,
};

/// What happens to one process at one point of a per-process call.
///
/// Applied in this order: `fds` descriptors opened (vnodes, at the lowest
/// free numbers), `threads` threads started, then, if set, the process
/// exits, then it is reaped.
///
/// # Examples
///
/// ```
/// use pidquery::model::Burst;
/// use pidquery::Pid;
///
/// let p = Pid::from_raw(100).unwrap();
/// assert_eq!(Burst::fds(p, 3).fds, 3);
/// assert!(Burst::exit(p).exit && !Burst::exit(p).reap);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Burst {
    /// The process it happens to.
    pub pid: Pid,
    /// Descriptors it opens.
    pub fds: u32,
    /// Threads it starts.
    pub threads: u32,
    /// It exits (becomes a zombie).
    pub exit: bool,
    /// It is reaped (after `exit`, or if already a zombie).
    pub reap: bool,
}

impl Burst {
    /// Nothing happens.
    pub const NONE: Burst = Burst {
        pid: Pid::ZERO,
        fds: 0,
        threads: 0,
        exit: false,
        reap: false,
    };

    /// `pid` opens `n` descriptors.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Burst::fds(pidquery::Pid::ZERO, 2).threads, 0);
    /// ```
    pub const fn fds(pid: Pid, n: u32) -> Burst {
        Burst {
            pid,
            fds: n,
            ..Burst::NONE
        }
    }

    /// `pid` starts `n` threads.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Burst::threads(pidquery::Pid::ZERO, 2).threads, 2);
    /// ```
    pub const fn threads(pid: Pid, n: u32) -> Burst {
        Burst {
            pid,
            threads: n,
            ..Burst::NONE
        }
    }

    /// `pid` exits.
    ///
    /// ```
    /// assert!(pidquery::model::Burst::exit(pidquery::Pid::ZERO).exit);
    /// ```
    pub const fn exit(pid: Pid) -> Burst {
        Burst {
            pid,
            exit: true,
            ..Burst::NONE
        }
    }

    /// `pid` exits and is reaped.
    ///
    /// ```
    /// let b = pidquery::model::Burst::reap(pidquery::Pid::ZERO);
    /// assert!(b.exit && b.reap);
    /// ```
    pub const fn reap(pid: Pid) -> Burst {
        Burst {
            pid,
            exit: true,
            reap: true,
            ..Burst::NONE
        }
    }
}

/// What happens around one per-process call (`proc_pidinfo`,
/// `proc_pidpath`, `proc_name`: one kernel call each): the unit of their
/// race schedule, apart from [`Call`](super::Call)'s for `proc_listpids`.
///
/// # Examples
///
/// Twelve threads started between the kernel's read of the thread count
/// and its walk: more than its slack of 10, so the list can be cut short
/// with nothing to tell.
///
/// ```
/// use pidquery::model::{Burst, InfoCall};
/// use pidquery::Pid;
///
/// let call = InfoCall { during: Burst::threads(Pid::ZERO, 12), ..InfoCall::QUIET };
/// assert_eq!(call.before, Burst::NONE);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct InfoCall {
    /// Before the call.
    pub before: Burst,
    /// Inside the call: for `PROC_PIDLISTFDS` and `PROC_PIDLISTTHREADS`,
    /// between the kernel's read of its bound (`fd_nfiles`, threads + 10)
    /// and its walk; for the other flavors, after the record is taken.
    pub during: Burst,
    /// The call fails with this errno (after `before`).
    pub fail: Option<Errno>,
}

impl InfoCall {
    /// A call with nothing happening around it.
    pub const QUIET: InfoCall = InfoCall {
        before: Burst::NONE,
        during: Burst::NONE,
        fail: None,
    };

    /// A call that fails with `errno`.
    ///
    /// ```
    /// use pidquery::{model::InfoCall, Errno};
    /// assert_eq!(InfoCall::failing(Errno::EINTR).fail, Some(Errno::EINTR));
    /// ```
    pub const fn failing(errno: Errno) -> InfoCall {
        InfoCall {
            fail: Some(errno),
            ..InfoCall::QUIET
        }
    }
}

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
/// `proc_pidshortbsdinfo`).
fn common_flags(p: &Proc, zombie: bool) -> u32 {
    let mut flags = p.flags;
    if p.traced_from.is_some() {
        flags |= xnu::PROC_FLAG_TRACED;
    }
    if zombie {
        flags |= xnu::PROC_FLAG_INEXIT;
    } else {
        // proc_get_darwinbgstate: skipped for zombies.
        flags |= p.policy_flags;
    }
    if p.controlling_terminal {
        flags |= xnu::PROC_FLAG_CONTROLT;
    }
    flags
}

const fn status(p: &Proc, zombie: bool) -> u32 {
    if zombie {
        xnu::SZOMB
    } else {
        p.stat
    }
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
        if p.sid == p.pid {
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
        pbi_status: status(p, zombie),
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
        pbsi_status: status(p, zombie),
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
    // ---- the schedule -----------------------------------------------------

    /// Queues what happens around the next per-process call not yet
    /// scripted; each kernel call (`proc_pidinfo`, `proc_pidpath`,
    /// `proc_name`) consumes one entry.
    ///
    /// ```
    /// use pidquery::model::{InfoCall, Model};
    /// use pidquery::{Errno, Pid};
    /// let mut model = Model::new();
    /// model.script_info(InfoCall::failing(Errno::EINVAL));
    /// assert_eq!(model.info(Pid::ZERO).unwrap_err().errno(), Some(Errno::EINVAL));
    /// assert!(model.info(Pid::ZERO).is_ok());
    /// ```
    pub fn script_info(&mut self, call: InfoCall) {
        self.info_script.push_back(call);
    }

    /// What happens around every per-process call once their script is
    /// used up.
    ///
    /// ```
    /// use pidquery::model::{Burst, InfoCall, Model};
    /// use pidquery::Pid;
    /// let mut model = Model::new();
    /// model.on_every_info_call(InfoCall { before: Burst::threads(Pid::ZERO, 1), ..InfoCall::QUIET });
    /// model.info(Pid::ZERO).unwrap();
    /// assert_eq!(model.get(Pid::ZERO).unwrap().threads.len(), 2);
    /// ```
    pub fn on_every_info_call(&mut self, call: InfoCall) {
        self.every_info_call = call;
    }

    /// A MAC policy that refuses `proc_pidinfo` flavor `flavor` with
    /// `errno` (`None` lifts it), whatever the same-user rule says. The
    /// check runs after the pid lookup, as `proc_security_policy` does.
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// use pidquery::{Errno, Pid};
    /// let mut model = Model::new();
    /// model.deny_flavor(xnu::PROC_PIDT_SHORTBSDINFO, Some(Errno::EPERM));
    /// model.set_caller_uid(501);
    /// assert_eq!(model.info(Pid::ZERO).unwrap_err().errno(), Some(Errno::EPERM));
    /// ```
    pub fn deny_flavor(&mut self, flavor: i32, errno: Option<Errno>) {
        self.denied_flavors.retain(|&(f, _)| f != flavor);
        if let Some(errno) = errno {
            self.denied_flavors.push((flavor, errno));
        }
    }

    /// How many per-process kernel calls this model has served.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.info(pidquery::Pid::ZERO).unwrap(); // one PROC_PIDTASKALLINFO, as root
    /// assert_eq!(model.info_calls(), 1);
    /// ```
    pub fn info_calls(&self) -> u64 {
        self.info_calls
    }

    /// Applies a burst to the table now.
    ///
    /// ```
    /// use pidquery::model::{Burst, Model};
    /// let mut model = Model::new();
    /// let p = model.spawn(pidquery::Pid::ZERO);
    /// model.burst(Burst { fds: 2, threads: 1, ..Burst::reap(p) });
    /// assert!(model.get(p).is_none());
    /// ```
    pub fn burst(&mut self, burst: Burst) {
        for _ in 0..burst.fds {
            if self.open_fd(burst.pid, xnu::PROX_FDTYPE_VNODE).is_none() {
                break;
            }
        }
        for _ in 0..burst.threads {
            if self.spawn_thread(burst.pid).is_none() {
                break;
            }
        }
        if burst.exit {
            self.exit(burst.pid);
        }
        if burst.reap {
            self.reap(burst.pid);
        }
    }

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
        let call = self.info_script.pop_front().unwrap_or(self.every_info_call);
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

    // ---- the engine's per-process entry points ----------------------------

    /// [`System::info`](crate::System::info) against this model, through
    /// the xnu backend macOS runs over libproc: `PROC_PIDTASKALLINFO`,
    /// falling back to the short record for other users' processes and to
    /// the zombie-finding BSD record for zombies.
    ///
    /// # Errors
    ///
    /// `NoSuchProcess` for a pid that names no process;
    /// `PermissionDenied` for a MAC denial; the injected errno.
    ///
    /// ```
    /// use pidquery::model::{Model, Proc};
    /// use pidquery::{Pid, State};
    ///
    /// let mut model = Model::new();
    /// let theirs = Pid::from_raw(300).unwrap();
    /// model.insert(Proc { uid: 0, ..Proc::new(theirs) }.with_name(b"sshd"));
    /// model.set_caller_uid(501);
    /// let info = model.info(theirs).unwrap();
    /// assert_eq!((info.comm.as_bytes(), info.state), (&b"sshd"[..], State::Running));
    /// assert_eq!((info.start, info.threads), (None, None)); // the short record
    /// ```
    pub fn info(&mut self, pid: Pid) -> Result<ProcInfo, Error> {
        self.run(|| Inspect::info(&MODEL_XNU, pid))
    }

    /// [`System::infos`](crate::System::infos) against this model.
    ///
    /// # Errors
    ///
    /// As [`fill`](Model::fill) and [`info`](Model::info); a process that
    /// vanishes between the listing and its info is left out.
    ///
    /// ```
    /// use pidquery::{model::Model, InfoBuf, PidQuery};
    /// let mut model = Model::new();
    /// let mut buf = InfoBuf::new();
    /// let all = model.infos(&PidQuery::all(), &mut buf).unwrap();
    /// assert_eq!(all[1].comm, "kernel_task");
    /// ```
    pub fn infos<'b>(
        &mut self,
        query: &PidQuery,
        buf: &'b mut InfoBuf,
    ) -> Result<&'b [ProcInfo], Error> {
        let result = self.run(|| Inspect::infos(&MODEL_XNU, query, buf));
        match result {
            Ok(()) => Ok(buf.as_slice()),
            Err(e) => {
                buf.infos.clear();
                Err(e)
            }
        }
    }

    /// [`System::exe`](crate::System::exe) against this model:
    /// `proc_pidpath` with 1024 to 4096 bytes.
    ///
    /// # Errors
    ///
    /// `Os` with `ENOENT` for a deleted executable, or a live process
    /// without one (`kernel_task`); `NoSuchProcess` for a zombie or a
    /// vanished pid.
    ///
    /// ```
    /// use pidquery::{model::Model, ExeBuf, Pid};
    /// let mut model = Model::new();
    /// let mut buf = ExeBuf::new();
    /// let exe = model.exe(Pid::from_raw(1).unwrap(), &mut buf).unwrap();
    /// assert_eq!(exe.as_bytes(), b"/sbin/launchd");
    /// ```
    pub fn exe<'b>(&mut self, pid: Pid, buf: &'b mut ExeBuf) -> Result<ExePath<'b>, Error> {
        self.run(|| buf.fill(|out| Inspect::exe(&MODEL_XNU, pid, out)))
    }

    /// [`System::threads`](crate::System::threads) against this model:
    /// `PROC_PIDLISTTHREADS`'s pthread handles, complete (grown and asked
    /// again while an answer fills the buffer; a zombie has none).
    ///
    /// # Errors
    ///
    /// `PermissionDenied` for another user's process (unless the caller is
    /// root), `NoSuchProcess` for a vanished pid, `Raced` when the budget
    /// is spent.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid, Thread, ThreadBuf};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let t = model.spawn_thread(p).unwrap();
    /// let mut buf = ThreadBuf::new();
    /// assert_eq!(model.threads(p, &mut buf).unwrap()[1], Thread::Handle(t.handle));
    /// ```
    pub fn threads<'b>(&mut self, pid: Pid, buf: &'b mut ThreadBuf) -> Result<&'b [Thread], Error> {
        self.run(|| {
            buf.slots
                .fill(0, |out| Inspect::threads(&MODEL_XNU, pid, out))
        })
    }

    /// [`System::fds`](crate::System::fds) against this model:
    /// `PROC_PIDLISTFDS`, complete.
    ///
    /// # Errors
    ///
    /// As [`threads`](Model::threads).
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// use pidquery::{FdBuf, FdKind, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// model.open_fd(p, xnu::PROX_FDTYPE_SOCKET);
    /// let mut buf = FdBuf::new();
    /// let fds = model.fds(p, &mut buf).unwrap();
    /// assert_eq!((fds[0].fd, fds[0].kind), (0, FdKind::Socket));
    /// ```
    pub fn fds<'b>(&mut self, pid: Pid, buf: &'b mut FdBuf) -> Result<&'b [Fd], Error> {
        self.run(|| buf.slots.fill(0, |out| Inspect::fds(&MODEL_XNU, pid, out)))
    }

    /// [`System::identity`](crate::System::identity) against this model:
    /// `p_uniqueid`, and the start time where the caller may read it.
    ///
    /// # Errors
    ///
    /// `NoSuchProcess` once reaped.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let id = model.identity(p).unwrap();
    /// assert_eq!(id.unique(), Some(model.get(p).unwrap().uniqueid));
    /// ```
    pub fn identity(&mut self, pid: Pid) -> Result<ProcId, Error> {
        self.run(|| Inspect::identity(&MODEL_XNU, pid))
    }

    /// [`System::is_current`](crate::System::is_current) against this
    /// model.
    ///
    /// # Errors
    ///
    /// A MAC denial or injected error; a vanished pid is `Ok(false)`.
    ///
    /// ```
    /// use pidquery::{model::{Model, Proc}, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let id = model.identity(p).unwrap();
    /// model.exit(p);
    /// assert!(model.is_current(&id).unwrap()); // a zombie is still that process
    /// model.reap(p);
    /// model.insert(Proc::new(p)); // the pid comes back
    /// assert!(!model.is_current(&id).unwrap());
    /// ```
    pub fn is_current(&mut self, id: &ProcId) -> Result<bool, Error> {
        self.run(|| Inspect::is_current(&MODEL_XNU, id))
    }

    /// The raw records the xnu backend's `info` reads ([`RawInfo`]).
    ///
    /// # Errors
    ///
    /// `Os` with the kernel's errno (`ESRCH` for no such process).
    ///
    /// ```
    /// use pidquery::model::{records::Bsd, Model};
    /// let mut model = Model::new();
    /// let raw = model.raw_info(pidquery::Pid::ZERO).unwrap();
    /// assert!(matches!(raw.bsd, Bsd::Full(_)) && raw.task.is_some());
    /// ```
    pub fn raw_info(&mut self, pid: Pid) -> Result<RawInfo, Error> {
        self.run(|| MODEL_XNU.procs().info(pid))
    }

    /// The name `proc_name` gives into `buf` (at least 32 bytes); returns
    /// its length.
    ///
    /// # Errors
    ///
    /// `Truncated { needed: 32 }` for a smaller buffer; `Os` with `EPERM`
    /// for another user's process, `ESRCH` for a zombie or a vanished pid.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let mut buf = [0u8; 32];
    /// let n = model.name(Pid::ZERO, &mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"kernel_task");
    /// ```
    pub fn name(&mut self, pid: Pid, buf: &mut [u8]) -> Result<usize, Error> {
        self.run(|| MODEL_XNU.procs().name(pid, buf))
    }

    /// [`name`](Model::name), or `p_comm` from the short record where
    /// `proc_name` is refused or fails for a zombie; the flag says it is
    /// the short `p_comm`.
    ///
    /// # Errors
    ///
    /// `ESRCH` for a vanished pid.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// model.set_caller_uid(501);
    /// let mut buf = [0u8; 32];
    /// let (n, short) = model.name_or_comm(Pid::ZERO, &mut buf).unwrap();
    /// assert_eq!((&buf[..n], short), (&b"kernel_task"[..], true));
    /// ```
    pub fn name_or_comm(&mut self, pid: Pid, buf: &mut [u8]) -> Result<(usize, bool), Error> {
        self.run(|| MODEL_XNU.procs().name_or_comm(pid, buf))
    }

    /// The thread ids of `pid` (`PROC_PIDLISTTHREADIDS`), complete, into
    /// `buf`.
    ///
    /// # Errors
    ///
    /// As [`threads`](Model::threads).
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let t = model.spawn_thread(p).unwrap();
    /// let mut ids = Vec::new();
    /// assert_eq!(model.thread_ids(p, &mut ids).unwrap()[1], t.id);
    /// ```
    pub fn thread_ids<'b>(&mut self, pid: Pid, buf: &'b mut Vec<u64>) -> Result<&'b [u64], Error> {
        let procs = *MODEL_XNU.procs();
        self.run(|| {
            let mut want = buf.capacity().max(1);
            for _ in 0..crate::MAX_ATTEMPTS {
                buf.clear();
                buf.resize(want, 0);
                match procs.list_threads(pid, ThreadList::Ids, buf)? {
                    Listed::Complete(n) => {
                        buf.truncate(n);
                        return Ok(&buf[..]);
                    }
                    Listed::Full { .. } => {
                        want = crate::list::engine::grow(want, procs.threads_estimate(pid)?);
                    }
                }
            }
            buf.clear();
            Err(Error::raced(crate::MAX_ATTEMPTS))
        })
    }
}

/// Copies a whole record to the front of the buffer; its size.
fn copy(put: &mut dyn FnMut(usize, &[u8]), bytes: &[u8]) -> usize {
    put(0, bytes);
    bytes.len()
}
