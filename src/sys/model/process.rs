//! What a process of the model holds beyond what listing looks at: names,
//! executable, descriptors, threads, identifiers; and the operations that
//! change them (open, close, thread start, exec).

use super::{Model, Proc};
use crate::sys::xnu::consts as xnu;
use crate::Pid;

/// The model's clock at boot: 2023-11-14T22:13:20Z, in microseconds.
pub(super) const BOOT_USEC: u64 = 1_700_000_000_000_000;

/// How far the clock moves at each process the model adds: one
/// millisecond, so that no two start times are equal.
const TICK_USEC: u64 = 1_000;

/// `NDEXTENT`: the descriptor table grows to at least this many slots.
const NDEXTENT: u32 = 50;

/// The first pthread handle the model hands out; each next one is a page
/// further (handles are addresses in the process).
const FIRST_HANDLE: u64 = 0x0000_7000_0000_0000;

/// A process's executable as `PROC_PIDPATHINFO` finds it (`p_textvp`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Exe {
    /// No text vnode (`kernel_task`): `ESRCH`.
    #[default]
    Missing,
    /// The file at this path.
    At(Vec<u8>),
    /// Unlinked or renamed after exec: the path is rebuilt, but its lookup
    /// fails, and the call with it, with `ENOENT`.
    Deleted(Vec<u8>),
    /// The vnode was recycled, or its mount is being unmounted: `ESRCH`.
    Recycled(Vec<u8>),
}

/// One thread of a model process.
///
/// # Examples
///
/// ```
/// use pidquery::model::Model;
/// use pidquery::Pid;
///
/// let mut model = Model::new();
/// let p = model.spawn(Pid::ZERO);
/// let t = model.spawn_thread(p).unwrap();
/// assert_ne!(t.handle, t.id);
/// assert_eq!(model.get(p).unwrap().threads.len(), 2);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Thread {
    /// `cthread_self`: the pthread handle, what `PROC_PIDLISTTHREADS`
    /// lists.
    pub handle: u64,
    /// `thread_id`: the system-wide 64-bit id, what
    /// `PROC_PIDLISTTHREADIDS` lists.
    pub id: u64,
    /// Counted in `pti_numrunning`.
    pub running: bool,
}

impl Proc {
    /// This process with the names exec gives a binary called `name` (the
    /// last path component): `p_comm` keeps its first 16 bytes and `p_name`
    /// its first 32 (records then show 15 and 31).
    ///
    /// ```
    /// use pidquery::{model::Proc, Pid};
    /// let p = Proc::new(Pid::from_raw(5).unwrap()).with_name(b"a-rather-long-program-name-indeed");
    /// assert_eq!(&p.comm[..16], b"a-rather-long-pr");
    /// assert_eq!(&p.name[..32], b"a-rather-long-program-name-indee");
    /// ```
    pub fn with_name(mut self, name: &[u8]) -> Proc {
        self.comm = [0; xnu::MAXCOMLEN + 1];
        self.name = [0; 2 * xnu::MAXCOMLEN + 1];
        for (to, from) in self.comm.iter_mut().take(xnu::MAXCOMLEN).zip(name) {
            *to = *from;
        }
        for (to, from) in self.name.iter_mut().take(2 * xnu::MAXCOMLEN).zip(name) {
            *to = *from;
        }
        self
    }
}

impl Model {
    // ---- who is calling ---------------------------------------------------

    /// Makes the caller of every per-process call a process with effective
    /// uid `uid` (root, 0, by default). Root holds `PRIV_GLOBAL_PROC_INFO`
    /// and passes the same-user check; anyone else sees only processes with
    /// the same *effective* uid through the checked flavors.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.set_caller_uid(501);
    /// assert_eq!(model.caller_uid(), 501);
    /// ```
    pub fn set_caller_uid(&mut self, uid: u32) {
        self.caller_uid = uid;
    }

    /// The caller's effective uid.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Model::new().caller_uid(), 0);
    /// ```
    pub fn caller_uid(&self) -> u32 {
        self.caller_uid
    }

    // ---- what the model fills in -----------------------------------------

    /// Gives a process entering the table what it lacks: an identifier, a
    /// pid version, a start time (and moves the clock).
    pub(super) fn admit(&mut self, proc: &mut Proc) {
        if proc.uniqueid == 0 {
            self.last_uniqueid += 1;
            proc.uniqueid = self.last_uniqueid;
        } else {
            self.last_uniqueid = self.last_uniqueid.max(proc.uniqueid);
        }
        if proc.idversion == 0 {
            self.last_idversion = self.last_idversion.wrapping_add(1);
            proc.idversion = self.last_idversion;
        }
        if proc.start_usec == 0 {
            proc.start_usec = self.clock_usec;
        }
        self.clock_usec += TICK_USEC;
    }

    pub(super) fn new_thread(&mut self) -> Thread {
        self.last_thread += 1;
        Thread {
            handle: FIRST_HANDLE + self.last_thread * 0x1000,
            id: 0x1_0000 + self.last_thread,
            running: false,
        }
    }

    /// Moves the model's clock, which start times are read from, by `usec`
    /// microseconds.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let a = model.spawn(Pid::ZERO);
    /// model.advance_clock(5_000_000);
    /// let b = model.spawn(Pid::ZERO);
    /// let (sa, sb) = (model.get(a).unwrap().start_usec, model.get(b).unwrap().start_usec);
    /// assert!(sb - sa >= 5_000_000);
    /// ```
    pub fn advance_clock(&mut self, usec: u64) {
        self.clock_usec = self.clock_usec.saturating_add(usec);
    }

    // ---- descriptors, threads, exec ---------------------------------------

    /// `pid` opens a descriptor of kind `fdtype` (`PROX_FDTYPE_*`) at the
    /// lowest free number, growing the table (to at least 50 slots, then
    /// doubling) when it is full. Returns the descriptor; `None` if `pid`
    /// is not live.
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// use pidquery::Pid;
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// assert_eq!(model.open_fd(p, xnu::PROX_FDTYPE_PIPE), Some(0));
    /// assert_eq!(model.get(p).unwrap().fd_nfiles, 50);
    /// ```
    pub fn open_fd(&mut self, pid: Pid, fdtype: u32) -> Option<i32> {
        let proc = self.allproc.iter_mut().find(|p| p.pid == pid)?;
        let dense = proc
            .fds
            .last()
            .is_none_or(|&(last, _)| last as usize + 1 == proc.fds.len());
        let fd = if dense {
            // 0..n all open: the next is n.
            i32::try_from(proc.fds.len()).unwrap_or(i32::MAX)
        } else {
            let mut fd = 0i32;
            for &(open, _) in &proc.fds {
                if open != fd {
                    break;
                }
                fd += 1;
            }
            fd
        };
        let at = proc.fds.partition_point(|&(open, _)| open < fd);
        proc.fds.insert(at, (fd, fdtype));
        let need = u32::try_from(fd).unwrap_or(u32::MAX).saturating_add(1);
        while proc.fd_nfiles < need {
            proc.fd_nfiles = if proc.fd_nfiles < NDEXTENT {
                NDEXTENT
            } else {
                proc.fd_nfiles.saturating_mul(2)
            };
        }
        Some(fd)
    }

    /// `pid` closes `fd`; the table keeps its size. False if it was not
    /// open.
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// let mut model = Model::new();
    /// let p = model.spawn(pidquery::Pid::ZERO);
    /// let fd = model.open_fd(p, xnu::PROX_FDTYPE_VNODE).unwrap();
    /// assert!(model.close_fd(p, fd));
    /// assert!(!model.close_fd(p, fd));
    /// ```
    pub fn close_fd(&mut self, pid: Pid, fd: i32) -> bool {
        let Some(proc) = self.allproc.iter_mut().find(|p| p.pid == pid) else {
            return false;
        };
        match proc.fds.iter().position(|&(open, _)| open == fd) {
            Some(at) => {
                proc.fds.remove(at);
                true
            }
            None => false,
        }
    }

    /// `pid` starts a thread (at the tail of its thread queue); `None` if
    /// `pid` is not live.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// assert!(model.spawn_thread(pidquery::Pid::ZERO).is_some());
    /// ```
    pub fn spawn_thread(&mut self, pid: Pid) -> Option<Thread> {
        self.allproc.iter().find(|p| p.pid == pid)?;
        let thread = self.new_thread();
        let proc = self.allproc.iter_mut().find(|p| p.pid == pid)?;
        proc.threads.push(thread);
        Some(thread)
    }

    /// `pid` execs `path`: the names come from its last component, the
    /// executable is `path`, `p_idversion` changes and `PROC_FLAG_EXEC` is
    /// set; `p_uniqueid`, the pid and the descriptors stay. False if `pid`
    /// is not live.
    ///
    /// ```
    /// use pidquery::model::{Exe, Model};
    /// let mut model = Model::new();
    /// let p = model.spawn(pidquery::Pid::ZERO);
    /// let before = model.get(p).unwrap().clone();
    /// assert!(model.exec(p, b"/usr/bin/true"));
    /// let after = model.get(p).unwrap();
    /// assert_eq!(after.exe, Exe::At(b"/usr/bin/true".to_vec()));
    /// assert_eq!(after.uniqueid, before.uniqueid);
    /// assert_ne!(after.idversion, before.idversion);
    /// ```
    pub fn exec(&mut self, pid: Pid, path: &[u8]) -> bool {
        self.last_idversion = self.last_idversion.wrapping_add(1);
        let idversion = self.last_idversion;
        let Some(proc) = self.allproc.iter_mut().find(|p| p.pid == pid) else {
            return false;
        };
        let base = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        *proc = proc.clone().with_name(base);
        proc.exe = Exe::At(path.to_vec());
        proc.idversion = idversion;
        proc.flags |= xnu::PROC_FLAG_EXEC;
        true
    }

    /// The executable of `pid` is unlinked: `proc_pidpath` now fails with
    /// `ENOENT`. False if `pid` has no executable at a path.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// assert!(model.delete_exe(Pid::from_raw(1).unwrap()));
    /// assert!(!model.delete_exe(Pid::ZERO));
    /// ```
    pub fn delete_exe(&mut self, pid: Pid) -> bool {
        match self.get_mut(pid) {
            Some(p) => match core::mem::take(&mut p.exe) {
                Exe::At(path) => {
                    p.exe = Exe::Deleted(path);
                    true
                }
                other => {
                    p.exe = other;
                    false
                }
            },
            None => false,
        }
    }
}
