//! The model's process table: [`Proc`], [`Model`], fork and pid
//! allocation (`bsd/kern/kern_fork.c`); exit lives in `exit.rs`. Line
//! numbers cited are those of xnu-11417.101.15 unless a release is named.

use super::script::Script;

use super::process::{Exe, Thread};
use super::{Call, Churn, InfoCall, Observation};
use crate::sys::xnu::consts as xnu;
use crate::sys::xnu::records::TaskInfo;
use crate::{Dev, Errno, Pid};

/// `NODEV`: the `s_ttydev` of a session without a terminal.
pub(super) const NODEV: u32 = u32::MAX;

/// xnu's `PID_MAX`: pids count up to it, then wrap.
pub(super) const PID_MAX: i32 = 99_999;

/// Bytes per pid in the kernel's answer.
pub(crate) const PID_BYTES: usize = 4;

/// One process of a [`Model`]'s table.
///
/// Fields are public: build one with [`Proc::new`] and struct update syntax,
/// or let [`Model::spawn`] inherit them from a parent.
///
/// # Examples
///
/// ```
/// use pidquery::model::Proc;
/// use pidquery::{Dev, Pid};
///
/// let pid = Pid::from_raw(300).unwrap();
/// let shell = Proc { uid: 501, ruid: 501, ..Proc::new(pid) }.with_terminal(Dev::from_raw(0x1000003));
/// assert!(shell.controlling_terminal);
/// assert_eq!(shell.pgid, pid);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// The process id.
    pub pid: Pid,
    /// `p_ppid`: the parent, or the tracer while ptrace-attached.
    pub ppid: Pid,
    /// `p_pgrpid`: the process group id.
    pub pgid: Pid,
    /// The session's terminal device (`s_ttydev`); `None` is `NODEV`.
    pub tty: Option<Dev>,
    /// `P_CONTROLT`: the process has a controlling terminal. Without it a
    /// process never matches a tty query.
    pub controlling_terminal: bool,
    /// The process has no process group (`p_pgrp == NULL`, transiently
    /// during exit or `setpgid`). xnu's tty predicate then matches *any*
    /// device when `P_CONTROLT` is set: a quirk the model keeps.
    pub pgrp_detached: bool,
    /// The credential's effective uid (`cr_uid`).
    pub uid: u32,
    /// The credential's real uid (`cr_ruid`).
    pub ruid: u32,
    /// `Some(original parent)` while ptrace-attached (`P_LTRACED` with
    /// `p_oppid`): a ppid query matches this pid as well as `ppid`.
    pub traced_from: Option<Pid>,
    /// `p_kdebug != 0`: matched by `PROC_KDBG_ONLY`.
    pub kdebug: bool,
    /// An exec's transient shadow copy: counted in `nprocs`, never listed,
    /// never found by `proc_pidinfo`.
    pub shadow: bool,
    /// `P_LEXIT`: the process has begun to exit, reported as
    /// `PROC_FLAG_INEXIT` (zombies keep it). Set by
    /// [`Model::begin_exit`]; set it on a live process for the instant
    /// before `proc_exit` moves it to `zombproc`.
    pub exiting: bool,
    /// `p_oppid` of a process that exited while traced: `P_LTRACED` is
    /// gone (so ppid queries no longer match it), but when it is reaped it
    /// is handed back to this original parent as a zombie.
    pub returns_to: Option<Pid>,
    /// `P_LIST_DEADPARENT`: given to launchd by its parent's exit. Unless
    /// it has [`returns_to`](Proc::returns_to), the kernel reaps it as it
    /// exits: it never becomes a zombie.
    pub orphaned: bool,

    // ---- what proc_pidinfo reports (sys/model/pidinfo.rs) ----------------
    /// `p_comm`: `MAXCOMLEN` bytes and a NUL. Records keep 15 bytes and a
    /// NUL (the kernel forces `[15]` to 0). Set by [`Proc::with_name`].
    pub comm: [u8; xnu::MAXCOMLEN + 1],
    /// `p_name`: 32 bytes and a NUL; records keep 31. Empty unless set.
    pub name: [u8; 2 * xnu::MAXCOMLEN + 1],
    /// The session id (the session leader's pid): `PROC_FLAG_SLEADER` when
    /// it is this pid.
    pub sid: Pid,
    /// The terminal's foreground process group (`e_tpgid`).
    pub tpgid: Pid,
    /// The effective gid.
    pub gid: u32,
    /// The real gid.
    pub rgid: u32,
    /// The saved uid.
    pub svuid: u32,
    /// The saved gid.
    pub svgid: u32,
    /// `p_stat`: `SRUN` unless set, through the exit window too;
    /// [`Model::finish_exit`] sets `SZOMB`.
    pub stat: u32,
    /// `p_xstat`: the exit status a zombie reports.
    pub xstat: u32,
    /// `PROC_FLAG_*` bits the model does not derive (`SYSTEM`, `LP64`,
    /// `PSUGID`, `EXEC`, `PPWAIT`, `THCWD`, `PC_*`, `PA_*`, `ROSETTA`…).
    /// Derived: `TRACED` (`traced_from`), `CONTROLT`
    /// (`controlling_terminal`), `INEXIT` (`exiting`), and in the full
    /// record only, `SLEADER` (`sid == pid`, until the leader's exit
    /// clears `s_leader`) and `CTTY` (`tty`).
    pub flags: u32,
    /// Task-policy (darwinbg) flag bits, reported for live processes only.
    pub policy_flags: u32,
    /// `p_nice`.
    pub nice: i32,
    /// Start time, microseconds since the Unix epoch.
    pub start_usec: u64,
    /// `p_uniqueid`: 0 here means "assign one" when the model adds the
    /// process; never reused.
    pub uniqueid: u64,
    /// The parent's `p_uniqueid`.
    pub puniqueid: u64,
    /// `p_idversion`: changed by every exec.
    pub idversion: i32,
    /// The original parent's `p_idversion`.
    pub orig_ppidversion: i32,
    /// The main executable's UUID.
    pub uuid: [u8; 16],
    /// The executable (`p_textvp`).
    pub exe: Exe,
    /// Open descriptors as `(fd, PROX_FDTYPE_*)`, ascending by fd.
    pub fds: Vec<(i32, u32)>,
    /// `fd_nfiles`: descriptor-table slots (at least the highest fd + 1).
    pub fd_nfiles: u32,
    /// Threads, oldest first (the task's thread queue order).
    pub threads: Vec<Thread>,
    /// The task's counters; `pti_threadnum` and `pti_numrunning` are
    /// derived from `threads`.
    pub task: TaskInfo,
    /// The resource and jetsam coalition ids (`PROC_PIDCOALITIONINFO`).
    pub coalitions: [u64; 2],
    /// The platform the executable was built for (`PROC_PIDPLATFORMINFO`;
    /// `PLATFORM_MACOS` is 1).
    pub platform: u32,
}

impl Proc {
    /// A process with pid `pid`, its own process group and session, parent
    /// 0, all ids 0, no terminal, not traced, running (`SRUN`), 64-bit, no
    /// name, no executable, no descriptors, no threads.
    ///
    /// ```
    /// let p = pidquery::model::Proc::new(pidquery::Pid::from_raw(7).unwrap());
    /// assert_eq!((p.pgid.as_raw(), p.ppid.as_raw(), p.uid), (7, 0, 0));
    /// ```
    pub const fn new(pid: Pid) -> Proc {
        Proc {
            pid,
            ppid: Pid::ZERO,
            pgid: pid,
            tty: None,
            controlling_terminal: false,
            pgrp_detached: false,
            uid: 0,
            ruid: 0,
            traced_from: None,
            kdebug: false,
            shadow: false,
            exiting: false,
            returns_to: None,
            orphaned: false,
            comm: [0; xnu::MAXCOMLEN + 1],
            name: [0; 2 * xnu::MAXCOMLEN + 1],
            sid: pid,
            tpgid: Pid::ZERO,
            gid: 0,
            rgid: 0,
            svuid: 0,
            svgid: 0,
            stat: xnu::SRUN,
            xstat: 0,
            flags: xnu::PROC_FLAG_LP64,
            policy_flags: 0,
            nice: 0,
            start_usec: 0,
            uniqueid: 0,
            puniqueid: 0,
            idversion: 0,
            orig_ppidversion: 0,
            uuid: [0; 16],
            exe: Exe::Missing,
            fds: Vec::new(),
            fd_nfiles: 0,
            threads: Vec::new(),
            task: TaskInfo::ZEROED,
            coalitions: [0; 2],
            platform: 1,
        }
    }

    /// This process with `tty` as its session's terminal and `P_CONTROLT`
    /// set.
    ///
    /// ```
    /// use pidquery::{model::Proc, Dev, Pid};
    /// let p = Proc::new(Pid::from_raw(9).unwrap()).with_terminal(Dev::from_raw(4));
    /// assert_eq!(p.tty, Some(Dev::from_raw(4)));
    /// ```
    pub const fn with_terminal(mut self, tty: Dev) -> Proc {
        self.tty = Some(tty);
        self.controlling_terminal = true;
        self
    }

    /// xnu's predicate for list type `kind` with argument `typeinfo`
    /// (`bsd/kern/proc_info.c`).
    pub(super) fn matches(&self, kind: u32, typeinfo: u32, tty_match: TtyMatch) -> bool {
        let pid_is = |p: Pid| p.as_raw() as u32 == typeinfo;
        match kind {
            xnu::PROC_ALL_PIDS => true,
            xnu::PROC_PGRP_ONLY => pid_is(self.pgid),
            // xnu's dev_t is a 32-bit int.
            xnu::PROC_TTY_ONLY => match tty_match {
                TtyMatch::SessionDevice => {
                    let tty = self.tty.map_or(NODEV, |d| d.raw() as u32);
                    self.controlling_terminal && (self.pgrp_detached || tty == typeinfo)
                }
                TtyMatch::TerminalDevice => {
                    let tty = self.tty.map(|d| d.raw() as u32);
                    self.controlling_terminal && !self.pgrp_detached && tty == Some(typeinfo)
                }
            },
            xnu::PROC_UID_ONLY => self.uid == typeinfo,
            xnu::PROC_RUID_ONLY => self.ruid == typeinfo,
            // `traced_from` is `P_LTRACED` with `p_oppid`.
            xnu::PROC_PPID_ONLY => pid_is(self.ppid) || self.traced_from.is_some_and(pid_is),
            xnu::PROC_KDBG_ONLY => self.kdebug,
            _ => false,
        }
    }
}

/// An in-memory process table behind an exact model of xnu's
/// `proc_listpids`. See the [module docs](crate::model).
#[derive(Debug)]
pub struct Model {
    /// `allproc`, oldest first: the kernel walks it from the back.
    pub(super) allproc: Vec<Proc>,
    /// `zombproc`, earliest exit first: walked from the back.
    pub(super) zombproc: Vec<Proc>,
    pub(super) next_pid: i32,
    /// Pids wrapped around: new ones must be checked against the table.
    pub(super) wrapped: bool,
    /// What happens around each `proc_listpids` call.
    pub(super) script: Script<Call>,
    pub(super) sandbox: Option<Errno>,
    pub(super) recording: bool,
    pub(super) observations: Vec<Observation>,
    pub(super) calls: u64,
    // ---- per-process calls (sys/model/pidinfo.rs) ------------------------
    /// The caller's effective uid; 0 holds `PRIV_GLOBAL_PROC_INFO`.
    pub(super) caller_uid: u32,
    /// What happens around each per-process call.
    pub(super) info_script: Script<InfoCall>,
    /// MAC denials of single `proc_pidinfo` flavors.
    pub(super) denied_flavors: Vec<(i32, Errno)>,
    pub(super) info_calls: u64,
    /// The clock start times are read from, microseconds since the epoch.
    pub(super) clock_usec: u64,
    pub(super) last_uniqueid: u64,
    pub(super) last_idversion: i32,
    pub(super) last_thread: u64,
    /// Which `PROC_TTY_ONLY` predicate the kernel runs.
    pub(super) tty_match: TtyMatch,
    /// Tracees sent `SIGKILL` by their tracer's exit, not yet exited.
    pub(super) killed: Vec<Pid>,
}

/// Which `PROC_TTY_ONLY` predicate the model's kernel runs: it changed in
/// xnu-8019 (macOS 12).
///
/// # Examples
///
/// ```
/// use pidquery::model::{Model, Proc, TtyMatch};
/// use pidquery::{Dev, Pid, PidBuf, PidQuery};
///
/// let mut model = Model::new();
/// let p = Pid::from_raw(300).unwrap();
/// let tty = Dev::from_raw(0x1000_0003);
/// model.insert(Proc { pgrp_detached: true, ..Proc::new(p).with_terminal(tty) });
/// let other = PidQuery::tty(Dev::from_raw(0x1000_0004));
/// let mut buf = PidBuf::new();
/// assert_eq!(model.fill(&other, &mut buf).unwrap(), [p]); // any device
/// model.set_tty_match(TtyMatch::TerminalDevice);
/// assert_eq!(model.fill(&other, &mut buf).unwrap(), []);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum TtyMatch {
    /// xnu-8019 and later (`proc_info.c:427-431`): `P_CONTROLT` and, when
    /// the process has a group, its session's `s_ttydev` equal to the
    /// argument; a process without a group matches any device.
    #[default]
    SessionDevice,
    /// Before xnu-8019 (xnu-7195.141.2 `proc_info.c:383-390`): `P_CONTROLT`,
    /// a group, a session with a terminal (`s_ttyp`), and that terminal's
    /// `t_dev` equal to the argument; a process without a group never
    /// matches.
    TerminalDevice,
}

impl Default for Model {
    fn default() -> Model {
        Model::new()
    }
}

impl Model {
    /// A freshly booted table: `kernel_task` (pid 0, a system process
    /// without an executable, `p_uniqueid` 0, one kernel thread whose
    /// pthread handle is 0) and `launchd` (pid 1, parent 0,
    /// `/sbin/launchd`, `p_uniqueid` 1, the first fork's: "kernel process
    /// is handcrafted and not from fork, so start from 1",
    /// `kern_fork.c:987-988`), both root. New pids count up from 100. The
    /// caller is root.
    ///
    /// ```
    /// use pidquery::Pid;
    /// let model = pidquery::model::Model::new();
    /// assert_eq!(model.nprocs(), 2);
    /// let kernel = model.get(Pid::ZERO).unwrap();
    /// assert_eq!((kernel.uniqueid, kernel.threads[0].handle), (0, 0));
    /// assert_eq!(model.get(Pid::from_raw(1).unwrap()).unwrap().uniqueid, 1);
    /// ```
    pub fn new() -> Model {
        let mut model = Model::vacant();
        let launchd = Pid::from_raw(1).unwrap_or(Pid::ZERO);
        let kernel_thread = model.new_thread();
        let kernel = Proc {
            flags: xnu::PROC_FLAG_SYSTEM | xnu::PROC_FLAG_LP64,
            threads: vec![Thread {
                handle: 0,
                ..kernel_thread
            }],
            ..Proc::new(Pid::ZERO)
        }
        .with_name(b"kernel_task");
        let init = Proc {
            exe: Exe::At(b"/sbin/launchd".to_vec()),
            ..Proc::new(launchd)
        }
        .with_name(b"launchd");
        model.insert(kernel);
        // kernproc's p_uniqueid is 0; the first fork's is 1.
        if let Some(kernel) = model.allproc.last_mut() {
            kernel.uniqueid = 0;
        }
        model.last_uniqueid = 0;
        model.insert(init);
        model.next_pid = 100;
        model
    }

    /// An empty table (no pid 0); allocates nothing.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Model::empty().nprocs(), 0);
    /// ```
    pub const fn empty() -> Model {
        Model::vacant()
    }

    pub(super) const fn vacant() -> Model {
        Model {
            allproc: Vec::new(),
            zombproc: Vec::new(),
            next_pid: 1,
            wrapped: false,
            script: Script::new(Call::QUIET),
            sandbox: None,
            recording: false,
            observations: Vec::new(),
            calls: 0,
            caller_uid: 0,
            info_script: Script::new(InfoCall::QUIET),
            denied_flavors: Vec::new(),
            info_calls: 0,
            clock_usec: super::process::BOOT_USEC,
            last_uniqueid: 0,
            last_idversion: 0,
            last_thread: 0,
            tty_match: TtyMatch::SessionDevice,
            killed: Vec::new(),
        }
    }

    // ---- the table ------------------------------------------------------

    /// `nprocs`: live processes, zombies and shadows.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// let child = model.spawn(pidquery::Pid::ZERO);
    /// model.exit(child);
    /// assert_eq!(model.nprocs(), 3); // the zombie still counts
    /// ```
    pub fn nprocs(&self) -> usize {
        self.allproc.len() + self.zombproc.len()
    }

    /// Forks a child of `parent`: it inherits the parent's group, terminal,
    /// uids and kdebug flag, gets the next free pid and goes to the head of
    /// `allproc`. An unknown parent gives a root child with no terminal.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let child = model.spawn(Pid::from_raw(1).unwrap());
    /// assert_eq!(model.get(child).unwrap().ppid.as_raw(), 1);
    /// ```
    pub fn spawn(&mut self, parent: Pid) -> Pid {
        let template = self.child_of(parent);
        self.fork(parent, template.as_ref())
    }

    /// What a child of `parent` inherits; `None` for an unknown parent.
    ///
    /// A fork copies the group, session, terminal, credentials, names,
    /// executable, nice and descriptor table; `P_CONTROLT` only while the
    /// session still has its terminal (`kern_fork.c:1142-1143`); the child
    /// has one thread, no task counters, a fresh start time and
    /// `p_uniqueid`, the parent's as `p_puniqueid`, and has not called
    /// exec.
    pub(super) fn child_of(&self, parent: Pid) -> Option<Proc> {
        self.allproc.iter().find(|p| p.pid == parent).map(|p| Proc {
            ppid: parent,
            traced_from: None,
            shadow: false,
            exiting: false,
            returns_to: None,
            orphaned: false,
            controlling_terminal: p.controlling_terminal && p.tty.is_some(),
            pgrp_detached: false,
            stat: xnu::SRUN,
            xstat: 0,
            flags: p.flags & !(xnu::PROC_FLAG_EXEC | xnu::PROC_FLAG_PPWAIT),
            puniqueid: p.uniqueid,
            orig_ppidversion: p.idversion,
            threads: Vec::new(),
            task: TaskInfo::ZEROED,
            ..p.clone()
        })
    }

    pub(super) fn fork(&mut self, parent: Pid, template: Option<&Proc>) -> Pid {
        let pid = self.free_pid();
        let mut child = match template {
            Some(t) => Proc { pid, ..t.clone() },
            None => Proc {
                ppid: parent,
                ..Proc::new(pid)
            },
        };
        child.uniqueid = 0;
        child.start_usec = 0;
        child.idversion = 0;
        self.admit(&mut child);
        if child.threads.is_empty() {
            let thread = self.new_thread();
            child.threads.push(thread);
        }
        self.allproc.push(child);
        pid
    }

    /// Reserves room for `additional` more live processes and as many
    /// zombies, so churn applied later does not allocate (for allocation
    /// tests).
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.reserve(1000);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.allproc.reserve(additional);
        self.zombproc.reserve(additional);
        self.killed.reserve(additional);
    }

    /// Makes the kernel run `rule`'s `PROC_TTY_ONLY` predicate (the
    /// current one, [`TtyMatch::SessionDevice`], by default).
    ///
    /// ```
    /// use pidquery::model::{Model, TtyMatch};
    /// let mut model = Model::new();
    /// model.set_tty_match(TtyMatch::TerminalDevice);
    /// assert_eq!(model.tty_match(), TtyMatch::TerminalDevice);
    /// ```
    pub fn set_tty_match(&mut self, rule: TtyMatch) {
        self.tty_match = rule;
    }

    /// The `PROC_TTY_ONLY` predicate the kernel runs.
    ///
    /// ```
    /// use pidquery::model::{Model, TtyMatch};
    /// assert_eq!(Model::new().tty_match(), TtyMatch::SessionDevice);
    /// ```
    pub fn tty_match(&self) -> TtyMatch {
        self.tty_match
    }

    /// Adds a fully described live process at the head of `allproc`.
    /// Returns false (and adds nothing) if its pid is in use.
    ///
    /// What it leaves unset the model fills in: a `uniqueid` of 0 gets the
    /// next one, a `start_usec` of 0 the model's clock, an `idversion` of 0
    /// the next one, and a process without threads (not a shadow) one main
    /// thread.
    ///
    /// ```
    /// use pidquery::{model::{Model, Proc}, Pid};
    /// let mut model = Model::new();
    /// assert!(model.insert(Proc { uid: 501, ..Proc::new(Pid::from_raw(500).unwrap()) }));
    /// assert!(!model.insert(Proc::new(Pid::ZERO)));
    /// ```
    pub fn insert(&mut self, proc: Proc) -> bool {
        if self.get(proc.pid).is_some() {
            return false;
        }
        let ids = [proc.pid, proc.pgid, proc.sid];
        if let Some(high) = ids.iter().map(|id| id.as_raw()).max() {
            if high >= self.next_pid {
                self.next_pid = high.saturating_add(1);
            }
        }
        let mut proc = proc;
        self.admit(&mut proc);
        if proc.threads.is_empty() && !proc.shadow {
            let thread = self.new_thread();
            proc.threads.push(thread);
        }
        self.allproc.push(proc);
        true
    }

    /// The process `pid`, live or zombie.
    ///
    /// ```
    /// assert!(pidquery::model::Model::new().get(pidquery::Pid::ZERO).is_some());
    /// ```
    pub fn get(&self, pid: Pid) -> Option<&Proc> {
        self.allproc
            .iter()
            .chain(&self.zombproc)
            .find(|p| p.pid == pid)
    }

    /// The process `pid`, live or zombie, to change its attributes.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.get_mut(pidquery::Pid::ZERO).unwrap().kdebug = true;
    /// ```
    pub fn get_mut(&mut self, pid: Pid) -> Option<&mut Proc> {
        self.allproc
            .iter_mut()
            .chain(&mut self.zombproc)
            .find(|p| p.pid == pid)
    }

    /// True if `pid` is a zombie (`SZOMB`; not a process in its exit
    /// window, see [`begin_exit`](Model::begin_exit)).
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// let c = model.spawn(pidquery::Pid::ZERO);
    /// model.exit(c);
    /// assert!(model.is_zombie(c));
    /// ```
    pub fn is_zombie(&self, pid: Pid) -> bool {
        self.zombproc
            .iter()
            .any(|p| p.pid == pid && p.stat == xnu::SZOMB)
    }

    /// Live processes in walk order: newest first, pid 0 last.
    ///
    /// ```
    /// let model = pidquery::model::Model::new();
    /// assert_eq!(model.live().last().unwrap().pid.as_raw(), 0);
    /// ```
    pub fn live(&self) -> impl Iterator<Item = &Proc> + '_ {
        self.allproc.iter().rev()
    }

    /// `zombproc` in walk order, most recently exited first: zombies, and
    /// processes in their exit window.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Model::new().zombies().count(), 0);
    /// ```
    pub fn zombies(&self) -> impl Iterator<Item = &Proc> + '_ {
        self.zombproc.iter().rev()
    }

    /// Applies a churn to the table now.
    ///
    /// ```
    /// use pidquery::model::{Churn, Model};
    /// let mut model = Model::new();
    /// model.apply(Churn::spawn(5));
    /// assert_eq!(model.nprocs(), 7);
    /// ```
    pub fn apply(&mut self, churn: Churn) {
        for _ in 0..churn.exit {
            let victim = self
                .allproc
                .iter()
                .rev()
                .find(|p| p.pid.as_raw() > 1 && !p.shadow)
                .map(|p| p.pid);
            match victim {
                Some(pid) => {
                    self.exit(pid);
                }
                None => break,
            }
        }
        for _ in 0..churn.reap {
            let latest = self.zombproc.iter().rev().find(|p| p.stat == xnu::SZOMB);
            match latest.map(|p| p.pid) {
                Some(pid) => {
                    self.reap(pid);
                }
                None => break,
            }
        }
        if churn.spawn > 0 {
            let template = self.child_of(churn.parent);
            for _ in 0..churn.spawn {
                self.fork(churn.parent, template.as_ref());
            }
        }
    }

    /// The next pid, counting up to 99999 then wrapping to 100 as xnu does,
    /// skipping every pid in use by a process (zombies included), a process
    /// group or a session (`forkproc`, `kern_fork.c:963-980`): a new pid
    /// never equals a live pgid or session id. Until the first wrap no
    /// search is needed: every id in the table is a pid handed out before
    /// (as `setpgid` and `setsid` make them; [`insert`](Model::insert)
    /// moves the count past its process's ids).
    pub(super) fn free_pid(&mut self) -> Pid {
        loop {
            let raw = self.next_pid;
            if raw >= PID_MAX {
                self.next_pid = 100;
                self.wrapped = true;
                continue;
            }
            self.next_pid = raw + 1;
            if let Some(pid) = Pid::from_raw(raw) {
                if !self.wrapped || !self.id_in_use(pid) {
                    return pid;
                }
            }
        }
    }

    /// `pid` names a process, a process group or a session.
    fn id_in_use(&self, pid: Pid) -> bool {
        self.allproc
            .iter()
            .chain(&self.zombproc)
            .any(|p| p.pid == pid || p.pgid == pid || p.sid == pid)
    }
}
