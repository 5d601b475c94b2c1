//! An in-memory model of xnu's `proc_listpids`, with injectable fork races
//! and errors, and a stand-in for `libc::proc_listpids` that runs it.
//!
//! The public face of this file is [`crate::model`]; see its docs.
//!
//! # Safety
//!
//! The only `unsafe` code is the C-ABI stand-in [`proc_listpids`], which
//! writes pids through the caller's raw buffer. It writes at most
//! `min(buffersize / 4, nprocs + 20)` `int`s, unaligned, exactly as the
//! kernel's `copyout` would; the caller guarantees the buffer is valid for
//! `buffersize` bytes. What is checked: nothing is written through a NULL
//! buffer, nor when `buffersize < 4`.

// Without the feature only the crate's own tests use the model.
#![cfg_attr(not(feature = "model"), allow(dead_code))]

use core::cell::RefCell;
use core::ffi::{c_int, c_void};
use core::mem;
use std::collections::VecDeque;

use super::xnu::{errno, Xnu};
use crate::{engine, xnu, Dev, Errno, Error, Pid, PidBuf, PidQuery};

/// The engine's kernel in model mode: the same [`Xnu`] call pattern macOS
/// uses, over the stand-in instead of libproc.
// SAFETY: the stand-in writes nothing through a NULL buffer and at most
// `buffersize / 4` whole `int`s otherwise (see `Model::kernel_listpids`).
const MODEL_XNU: Xnu = unsafe { Xnu::new(proc_listpids) };

/// `NODEV`: the `s_ttydev` of a session without a terminal.
const NODEV: u32 = u32::MAX;

/// xnu's `PID_MAX`: pids count up to it, then wrap.
const PID_MAX: i32 = 99_999;

/// Bytes per pid in the kernel's answer.
const PID_BYTES: usize = 4;

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
    /// An exec's transient shadow copy: counted in `nprocs`, never listed.
    pub shadow: bool,
}

impl Proc {
    /// A process with pid `pid`, its own process group, parent 0, uid and
    /// ruid 0, no terminal, not traced.
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
    fn matches(&self, kind: u32, typeinfo: u32) -> bool {
        let pid_is = |p: Pid| p.as_raw() as u32 == typeinfo;
        match kind {
            xnu::PROC_ALL_PIDS => true,
            xnu::PROC_PGRP_ONLY => pid_is(self.pgid),
            xnu::PROC_TTY_ONLY => {
                // xnu's dev_t is a 32-bit int.
                let tty = self.tty.map_or(NODEV, |d| d.raw() as u32);
                self.controlling_terminal && (self.pgrp_detached || tty == typeinfo)
            }
            xnu::PROC_UID_ONLY => self.uid == typeinfo,
            xnu::PROC_RUID_ONLY => self.ruid == typeinfo,
            xnu::PROC_PPID_ONLY => pid_is(self.ppid) || self.traced_from.is_some_and(pid_is),
            xnu::PROC_KDBG_ONLY => self.kdebug,
            _ => false,
        }
    }
}

/// Processes born, exiting and reaped at one point of a schedule.
///
/// Applied in this order: `exit` of the newest live processes (never pid 0
/// or 1), `reap` of the most recently exited zombies, `spawn` of children
/// of `parent`.
///
/// # Examples
///
/// ```
/// use pidquery::model::Churn;
/// use pidquery::Pid;
///
/// let storm = Churn::spawn(100).of(Pid::from_raw(1).unwrap());
/// assert_eq!((storm.spawn, storm.exit, storm.reap), (100, 0, 0));
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Churn {
    /// Children forked (they inherit `parent`'s group, terminal and uids).
    pub spawn: u32,
    /// The parent of the spawned processes.
    pub parent: Pid,
    /// Live processes that exit and become zombies, newest first.
    pub exit: u32,
    /// Zombies reaped, most recently exited first.
    pub reap: u32,
}

impl Churn {
    /// Nothing happens.
    pub const NONE: Churn = Churn {
        spawn: 0,
        parent: Pid::ZERO,
        exit: 0,
        reap: 0,
    };

    /// `n` children of pid 1 are born.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Churn::spawn(3).parent.as_raw(), 1);
    /// ```
    pub const fn spawn(n: u32) -> Churn {
        Churn {
            spawn: n,
            parent: match Pid::from_raw(1) {
                Some(p) => p,
                None => Pid::ZERO,
            },
            exit: 0,
            reap: 0,
        }
    }

    /// The same churn with another parent for the spawned processes.
    ///
    /// ```
    /// use pidquery::{model::Churn, Pid};
    /// assert_eq!(Churn::spawn(1).of(Pid::ZERO).parent, Pid::ZERO);
    /// ```
    pub const fn of(mut self, parent: Pid) -> Churn {
        self.parent = parent;
        self
    }

    /// `n` processes exit (become zombies).
    ///
    /// ```
    /// assert_eq!(pidquery::model::Churn::exit(2).exit, 2);
    /// ```
    pub const fn exit(n: u32) -> Churn {
        Churn {
            exit: n,
            ..Churn::NONE
        }
    }

    /// `n` zombies are reaped.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Churn::reap(2).reap, 2);
    /// ```
    pub const fn reap(n: u32) -> Churn {
        Churn {
            reap: n,
            ..Churn::NONE
        }
    }
}

/// What happens around one `proc_listpids` call: the unit of a race
/// schedule.
///
/// # Examples
///
/// Twenty-five forks between the kernel's read of `nprocs` and its walk:
///
/// ```
/// use pidquery::model::{Call, Churn};
///
/// let call = Call { during: Churn::spawn(25), ..Call::QUIET };
/// assert_eq!(call.before, Churn::NONE);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Call {
    /// Between the previous call and this one.
    pub before: Churn,
    /// Inside the call, between the kernel's read of `nprocs` (which sets
    /// the `nprocs + 20` cap) and its walk under `proc_list_lock`. For a
    /// NULL-buffer probe this happens right after the estimate is taken.
    pub during: Churn,
    /// The call fails with this errno (after `before`), e.g. `EINTR` or a
    /// sandbox's `EPERM`.
    pub fail: Option<Errno>,
}

impl Call {
    /// A call with no churn and no failure.
    pub const QUIET: Call = Call {
        before: Churn::NONE,
        during: Churn::NONE,
        fail: None,
    };

    /// A call that fails with `errno`.
    ///
    /// ```
    /// use pidquery::{model::Call, Errno};
    /// assert_eq!(Call::failing(Errno::EINTR).fail, Some(Errno::EINTR));
    /// ```
    pub const fn failing(errno: Errno) -> Call {
        Call {
            fail: Some(errno),
            ..Call::QUIET
        }
    }
}

/// One `proc_listpids` call as the model served it, recorded when
/// [`Model::record`] is on.
///
/// `live` and `zombies` are the table at the instant of the walk (after
/// [`Call::during`]), each in the kernel's walk order; both are empty for a
/// NULL-buffer probe, which walks nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The list type asked for.
    pub kind: u32,
    /// Its argument.
    pub typeinfo: u32,
    /// The buffer size in pids (`buffersize / 4`); `None` for a NULL probe.
    pub buffer_pids: Option<usize>,
    /// `nprocs` as the kernel read it before the walk.
    pub nprocs: usize,
    /// The call's outcome: bytes returned, or the errno.
    pub result: Result<usize, Errno>,
    /// Live processes, newest first (pid 0 last), shadows included.
    pub live: Vec<Proc>,
    /// Zombies, most recently exited first.
    pub zombies: Vec<Proc>,
    /// Matches the walk left out because it reached its capacity.
    pub left_out: usize,
}

impl Observation {
    /// The pids the kernel could write: `min(buffer_pids, nprocs + 20)`.
    ///
    /// ```
    /// use pidquery::model::Model;
    /// use pidquery::{PidBuf, PidQuery};
    ///
    /// let mut model = Model::new();
    /// model.record(true);
    /// model.fill(&PidQuery::all(), &mut PidBuf::new()).unwrap();
    /// let obs = &model.observations()[0];
    /// assert_eq!(obs.capacity(), Some(obs.nprocs + 20));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.buffer_pids
            .map(|b| b.min(self.nprocs + xnu::LISTPIDS_SLACK))
    }

    /// True when matches were left out at the kernel's `nprocs + 20` cap
    /// while the caller's buffer had more room: the one short list no
    /// caller can detect (more than 20 forks between the read of `nprocs`
    /// and the walk).
    ///
    /// ```
    /// use pidquery::model::{Call, Churn, Model};
    /// use pidquery::{PidBuf, PidQuery};
    ///
    /// let mut model = Model::new();
    /// model.record(true);
    /// model.script(Call { during: Churn::spawn(40), ..Call::QUIET });
    /// let mut buf = PidBuf::with_capacity(1000);
    /// let got = model.fill(&PidQuery::all(), &mut buf).unwrap().len();
    /// assert_eq!(got, 2 + 20); // 42 processes, 22 listed: cut short, undetectably
    /// assert!(model.observations()[0].cut_by_estimate());
    /// ```
    pub fn cut_by_estimate(&self) -> bool {
        let cap = self.nprocs + xnu::LISTPIDS_SLACK;
        self.left_out > 0 && self.buffer_pids.is_some_and(|b| b > cap)
    }
}

/// An in-memory process table behind an exact model of xnu's
/// `proc_listpids`. See the [module docs](crate::model).
#[derive(Debug)]
pub struct Model {
    /// `allproc`, oldest first: the kernel walks it from the back.
    allproc: Vec<Proc>,
    /// `zombproc`, earliest exit first: walked from the back.
    zombproc: Vec<Proc>,
    next_pid: i32,
    /// Pids wrapped around: new ones must be checked against the table.
    wrapped: bool,
    script: VecDeque<Call>,
    every_call: Call,
    sandbox: Option<Errno>,
    recording: bool,
    observations: Vec<Observation>,
    calls: u64,
}

impl Default for Model {
    fn default() -> Model {
        Model::new()
    }
}

thread_local! {
    /// The model `proc_listpids` serves on this thread, installed by
    /// [`Model::run`].
    static INSTALLED: RefCell<Option<Model>> = const { RefCell::new(None) };
}

impl Model {
    /// A freshly booted table: `kernel_task` (pid 0) and `launchd` (pid 1,
    /// parent 0), both root. New pids count up from 100.
    ///
    /// ```
    /// let model = pidquery::model::Model::new();
    /// assert_eq!(model.nprocs(), 2);
    /// ```
    pub fn new() -> Model {
        let mut model = Model::vacant();
        let launchd = Pid::from_raw(1).unwrap_or(Pid::ZERO);
        model.allproc.push(Proc::new(Pid::ZERO));
        model.allproc.push(Proc::new(launchd));
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

    const fn vacant() -> Model {
        Model {
            allproc: Vec::new(),
            zombproc: Vec::new(),
            next_pid: 1,
            wrapped: false,
            script: VecDeque::new(),
            every_call: Call::QUIET,
            sandbox: None,
            recording: false,
            observations: Vec::new(),
            calls: 0,
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
    fn child_of(&self, parent: Pid) -> Option<Proc> {
        self.allproc.iter().find(|p| p.pid == parent).map(|p| Proc {
            ppid: parent,
            traced_from: None,
            shadow: false,
            pgrp_detached: false,
            ..p.clone()
        })
    }

    fn fork(&mut self, parent: Pid, template: Option<&Proc>) -> Pid {
        let pid = self.free_pid();
        let child = match template {
            Some(t) => Proc { pid, ..t.clone() },
            None => Proc {
                ppid: parent,
                ..Proc::new(pid)
            },
        };
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
    }

    /// Adds a fully described live process at the head of `allproc`.
    /// Returns false (and adds nothing) if its pid is in use.
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
        if proc.pid.as_raw() >= self.next_pid {
            self.next_pid = proc.pid.as_raw().saturating_add(1);
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

    /// True if `pid` is a zombie.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// let c = model.spawn(pidquery::Pid::ZERO);
    /// model.exit(c);
    /// assert!(model.is_zombie(c));
    /// ```
    pub fn is_zombie(&self, pid: Pid) -> bool {
        self.zombproc.iter().any(|p| p.pid == pid)
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

    /// Zombies in walk order: most recently exited first.
    ///
    /// ```
    /// assert_eq!(pidquery::model::Model::new().zombies().count(), 0);
    /// ```
    pub fn zombies(&self) -> impl Iterator<Item = &Proc> + '_ {
        self.zombproc.iter().rev()
    }

    /// `pid` exits: it moves to the head of `zombproc` and its live
    /// children are reparented to pid 1. False if `pid` is not live.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// let c = model.spawn(pidquery::Pid::ZERO);
    /// assert!(model.exit(c));
    /// assert!(!model.exit(c));
    /// ```
    pub fn exit(&mut self, pid: Pid) -> bool {
        let Some(at) = self.allproc.iter().position(|p| p.pid == pid) else {
            return false;
        };
        let proc = self.allproc.remove(at);
        let init = Pid::from_raw(1).unwrap_or(Pid::ZERO);
        for child in self.allproc.iter_mut().filter(|p| p.ppid == pid) {
            child.ppid = init;
        }
        self.zombproc.push(proc);
        true
    }

    /// Reaps the zombie `pid`; false if it is not a zombie.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// let c = model.spawn(pidquery::Pid::ZERO);
    /// model.exit(c);
    /// assert!(model.reap(c));
    /// assert_eq!(model.nprocs(), 2);
    /// ```
    pub fn reap(&mut self, pid: Pid) -> bool {
        let Some(at) = self.zombproc.iter().position(|p| p.pid == pid) else {
            return false;
        };
        self.zombproc.remove(at);
        true
    }

    /// `tracer` attaches to `pid` with ptrace: `p_oppid` keeps the parent,
    /// `p_ppid` becomes the tracer. False if `pid` is not live.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let (a, b) = (model.spawn(Pid::ZERO), model.spawn(Pid::ZERO));
    /// model.trace(b, a);
    /// assert_eq!(model.get(b).unwrap().traced_from, Some(Pid::ZERO));
    /// ```
    pub fn trace(&mut self, pid: Pid, tracer: Pid) -> bool {
        match self.allproc.iter_mut().find(|p| p.pid == pid) {
            Some(p) => {
                if p.traced_from.is_none() {
                    p.traced_from = Some(p.ppid);
                }
                p.ppid = tracer;
                true
            }
            None => false,
        }
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
            if self.zombproc.pop().is_none() {
                break;
            }
        }
        if churn.spawn > 0 {
            let template = self.child_of(churn.parent);
            for _ in 0..churn.spawn {
                self.fork(churn.parent, template.as_ref());
            }
        }
    }

    /// The next pid, counting up to 99999 then wrapping to 100 as xnu does;
    /// in-use pids are skipped (a search only after the first wrap).
    fn free_pid(&mut self) -> Pid {
        loop {
            let raw = self.next_pid;
            if raw >= PID_MAX {
                self.next_pid = 100;
                self.wrapped = true;
                continue;
            }
            self.next_pid = raw + 1;
            if let Some(pid) = Pid::from_raw(raw) {
                if !self.wrapped || self.get(pid).is_none() {
                    return pid;
                }
            }
        }
    }

    // ---- the schedule ---------------------------------------------------

    /// Queues what happens around the next `proc_listpids` call not yet
    /// scripted; each call (probe or fill) consumes one entry.
    ///
    /// ```
    /// use pidquery::model::{Call, Churn, Model};
    /// use pidquery::PidQuery;
    /// let mut model = Model::new();
    /// model.script(Call { before: Churn::spawn(10), ..Call::QUIET });
    /// assert_eq!(model.probe(&PidQuery::all()).unwrap(), 12 + 20);
    /// ```
    pub fn script(&mut self, call: Call) {
        self.script.push_back(call);
    }

    /// What happens around every call once the script is used up.
    ///
    /// ```
    /// use pidquery::model::{Call, Churn, Model};
    /// use pidquery::PidQuery;
    /// let mut model = Model::new();
    /// model.on_every_call(Call { before: Churn::spawn(1), ..Call::QUIET });
    /// model.probe(&PidQuery::all()).unwrap();
    /// model.probe(&PidQuery::all()).unwrap();
    /// assert_eq!(model.nprocs(), 4);
    /// ```
    pub fn on_every_call(&mut self, call: Call) {
        self.every_call = call;
    }

    /// Drops the remaining script and the every-call churn.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.script(pidquery::model::Call::QUIET);
    /// model.clear_schedule();
    /// ```
    pub fn clear_schedule(&mut self) {
        self.script.clear();
        self.every_call = Call::QUIET;
    }

    /// A sandbox (MAC policy) that denies every call with `errno`, or
    /// `None` to allow.
    ///
    /// ```
    /// use pidquery::{model::Model, Errno, PidQuery};
    /// let mut model = Model::new();
    /// model.deny(Some(Errno::EPERM));
    /// let err = model.probe(&PidQuery::all()).unwrap_err();
    /// assert_eq!(err.errno(), Some(Errno::EPERM));
    /// ```
    pub fn deny(&mut self, errno: Option<Errno>) {
        self.sandbox = errno;
    }

    /// Records every call as an [`Observation`] (off by default; recording
    /// copies the table, so it allocates).
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.record(true);
    /// model.probe(&pidquery::PidQuery::all()).unwrap();
    /// assert_eq!(model.observations().len(), 1);
    /// ```
    pub fn record(&mut self, on: bool) {
        self.recording = on;
    }

    /// The calls recorded so far.
    ///
    /// ```
    /// assert!(pidquery::model::Model::new().observations().is_empty());
    /// ```
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Forgets the recorded calls.
    ///
    /// ```
    /// pidquery::model::Model::new().clear_observations();
    /// ```
    pub fn clear_observations(&mut self) {
        self.observations.clear();
    }

    /// How many `proc_listpids` calls this model has served.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.probe(&pidquery::PidQuery::all()).unwrap();
    /// assert_eq!(model.calls(), 1);
    /// ```
    pub fn calls(&self) -> u64 {
        self.calls
    }

    // ---- running queries ------------------------------------------------

    /// Installs this model as the one [`proc_listpids`] serves on this
    /// thread while `f` runs (nesting is allowed; the inner model wins).
    ///
    /// ```
    /// use pidquery::model::{proc_listpids, Model};
    ///
    /// let mut model = Model::new();
    /// // SAFETY: a NULL buffer is never written.
    /// let bytes = model.run(|| unsafe { proc_listpids(1, 0, std::ptr::null_mut(), 0) });
    /// assert_eq!(bytes, (2 + 20) * 4);
    /// ```
    pub fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a> {
            home: &'a mut Model,
            previous: Option<Model>,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let previous = self.previous.take();
                let mine = INSTALLED.with(|slot| mem::replace(&mut *slot.borrow_mut(), previous));
                if let Some(mine) = mine {
                    *self.home = mine;
                }
            }
        }
        let mine = mem::replace(self, Model::vacant());
        let previous = INSTALLED.with(|slot| slot.borrow_mut().replace(mine));
        let _restore = Restore {
            home: self,
            previous,
        };
        f()
    }

    /// [`PidQuery::fill`] against this model, through the same code path
    /// macOS uses over `libc::proc_listpids`.
    ///
    /// # Errors
    ///
    /// As [`System::fill`](crate::System::fill): `Raced` when the retry
    /// budget is spent, `Os` (op `proc_listpids`) for an injected error.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid, PidBuf, PidQuery};
    /// let mut model = Model::new();
    /// let child = model.spawn(Pid::ZERO);
    /// let mut buf = PidBuf::new();
    /// let children = model.fill(&PidQuery::ppid(Pid::ZERO), &mut buf).unwrap();
    /// // Newest first; kernel_task is its own parent (ppid 0) and comes last.
    /// assert_eq!(children, [child, Pid::from_raw(1).unwrap(), Pid::ZERO]);
    /// ```
    pub fn fill<'b, const N: usize>(
        &mut self,
        query: &PidQuery,
        buf: &'b mut PidBuf<N>,
    ) -> Result<&'b [Pid], Error> {
        self.run(|| engine::fill(&MODEL_XNU, query, buf))
    }

    /// [`PidQuery::fill_slice`] against this model.
    ///
    /// # Errors
    ///
    /// `Truncated { needed }` when the answer does not fit or fills `out`
    /// exactly; as [`fill`](Model::fill) otherwise.
    ///
    /// ```
    /// use pidquery::{model::Model, ErrorKind, Pid, PidQuery};
    /// let mut model = Model::new();
    /// let mut two = [Pid::ZERO; 2];
    /// let err = model.fill_slice(&PidQuery::all(), &mut two).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Truncated { needed: 22 });
    /// let mut three = [Pid::ZERO; 3];
    /// assert_eq!(model.fill_slice(&PidQuery::all(), &mut three).unwrap(), 2);
    /// ```
    pub fn fill_slice(&mut self, query: &PidQuery, out: &mut [Pid]) -> Result<usize, Error> {
        self.run(|| engine::fill_slice(&MODEL_XNU, query, out))
    }

    /// [`PidQuery::probe`] against this model: `nprocs + 20`.
    ///
    /// # Errors
    ///
    /// An injected error or sandbox denial.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// assert_eq!(model.probe(&pidquery::PidQuery::all()).unwrap(), 22);
    /// ```
    pub fn probe(&mut self, query: &PidQuery) -> Result<usize, Error> {
        self.run(|| engine::probe(&MODEL_XNU, query))
    }

    /// `proc_listpids(kind, typeinfo, buffer, buffer.len())` through the
    /// [stand-in](proc_listpids), safely: returns what it returned and the
    /// `errno` right after (cleared before the call). `None` passes NULL.
    ///
    /// ```
    /// use pidquery::{model::Model, xnu, Errno};
    ///
    /// let mut model = Model::new();
    /// let mut three = [0u8; 3];
    /// assert_eq!(model.proc_listpids(xnu::PROC_ALL_PIDS, 0, Some(&mut three)), (0, Errno::ENOMEM));
    /// let mut bytes = [0u8; 64];
    /// let (ret, _) = model.proc_listpids(xnu::PROC_ALL_PIDS, 0, Some(&mut bytes));
    /// assert_eq!(ret, 8);
    /// // An unknown type lists nothing, successfully.
    /// assert_eq!(model.proc_listpids(99, 0, Some(&mut bytes)), (0, Errno::from_raw(0)));
    /// ```
    pub fn proc_listpids(
        &mut self,
        kind: u32,
        typeinfo: u32,
        buffer: Option<&mut [u8]>,
    ) -> (c_int, Errno) {
        let (ptr, len) = match buffer {
            Some(b) => (b.as_mut_ptr().cast::<c_void>(), b.len()),
            None => (core::ptr::null_mut(), 0),
        };
        let size = c_int::try_from(len).unwrap_or(c_int::MAX);
        self.run(|| {
            errno::set(0);
            // SAFETY: `ptr` is NULL, or the start of a live `&mut [u8]` of
            // at least `size` bytes, borrowed for the call.
            let ret = unsafe { proc_listpids(kind, typeinfo, ptr, size) };
            (ret, Errno::from_raw(errno::get()))
        })
    }

    // ---- the kernel -----------------------------------------------------

    /// xnu's `proc_listpids` (`bsd/kern/proc_info.c`), returning bytes or
    /// the errno. `size` is `None` for a NULL buffer; `put(i, pid)` is the
    /// copyout of entry `i`, called only for `i < size / 4`.
    fn kernel_listpids(
        &mut self,
        kind: u32,
        typeinfo: u32,
        size: Option<u32>,
        put: &mut dyn FnMut(usize, c_int),
    ) -> Result<usize, Errno> {
        self.calls += 1;
        let call = self.script.pop_front().unwrap_or(self.every_call);
        self.apply(call.before);
        let buffer_pids = size.map(|s| s as usize / PID_BYTES);
        if let Some(errno) = call.fail.or(self.sandbox) {
            self.observe(kind, typeinfo, buffer_pids, self.nprocs(), Err(errno));
            return Err(errno);
        }
        // Read before the lock is taken.
        let nprocs = self.nprocs();
        let slack = nprocs + xnu::LISTPIDS_SLACK;
        let Some(size) = size else {
            let bytes = (slack * PID_BYTES).min(c_int::MAX as usize);
            self.observe(kind, typeinfo, None, nprocs, Ok(bytes));
            self.apply(call.during);
            return Ok(bytes);
        };
        if (size as usize) < PID_BYTES {
            self.observe(kind, typeinfo, buffer_pids, nprocs, Err(Errno::ENOMEM));
            return Err(Errno::ENOMEM);
        }
        let capacity = (size as usize / PID_BYTES).min(slack);
        // Forks completing between the read of nprocs and the lock.
        self.apply(call.during);
        let mut n = 0;
        let mut left_out = 0;
        let walk = self.allproc.iter().rev().chain(self.zombproc.iter().rev());
        for p in walk {
            if !p.shadow && p.matches(kind, typeinfo) {
                if n < capacity {
                    put(n, p.pid.as_raw());
                    n += 1;
                } else if self.recording {
                    // Past the capacity the kernel has stopped (the zombie
                    // walk starts only under capacity); only the record
                    // counts what it missed.
                    left_out += 1;
                } else {
                    break;
                }
            }
        }
        self.observe(kind, typeinfo, buffer_pids, nprocs, Ok(n * PID_BYTES));
        if let Some(last) = self.observations.last_mut().filter(|_| self.recording) {
            last.left_out = left_out;
        }
        Ok(n * PID_BYTES)
    }

    fn observe(
        &mut self,
        kind: u32,
        typeinfo: u32,
        buffer_pids: Option<usize>,
        nprocs: usize,
        result: Result<usize, Errno>,
    ) {
        if self.recording {
            // A NULL probe walks nothing: no table to keep.
            let walked = buffer_pids.is_some();
            let live = self.live().filter(|_| walked).cloned().collect();
            let zombies = self.zombies().filter(|_| walked).cloned().collect();
            self.observations.push(Observation {
                kind,
                typeinfo,
                buffer_pids,
                nprocs,
                result,
                live,
                zombies,
                left_out: 0,
            });
        }
    }
}

/// A stand-in for `libc::proc_listpids` with its exact signature and libproc
/// convention, served by the [`Model`] installed on this thread by
/// [`Model::run`] (or [`Model::fill`] and friends).
///
/// Returns the byte count on success; on error **0 with `errno` set**, as
/// libproc does (`ENOMEM` for a buffer under 4 bytes, the injected errno, or
/// `ENOSYS` when no model is installed). A NULL buffer returns
/// `(nprocs + 20) * 4` for every type; an unknown type lists nothing and
/// succeeds.
///
/// # Safety
///
/// `buffer` is NULL, or valid for writes of `buffersize` bytes. As on xnu,
/// a negative `buffersize` reads as a huge unsigned size, and up to
/// `(nprocs + 20) * 4` bytes are written: do not pass one.
///
/// # Examples
///
/// ```
/// use pidquery::model::{proc_listpids, Model};
/// use pidquery::xnu::PROC_ALL_PIDS;
///
/// let mut model = Model::new();
/// let mut pids = [0i32; 8];
/// // SAFETY: `pids` is valid for 32 bytes.
/// let bytes = model.run(|| unsafe {
///     proc_listpids(PROC_ALL_PIDS, 0, pids.as_mut_ptr().cast(), 32)
/// });
/// assert_eq!(bytes, 8); // launchd, then kernel_task
/// assert_eq!(&pids[..2], &[1, 0]);
/// ```
pub unsafe extern "C" fn proc_listpids(
    kind: u32,
    typeinfo: u32,
    buffer: *mut c_void,
    buffersize: c_int,
) -> c_int {
    let size = if buffer.is_null() {
        None
    } else {
        Some(buffersize as u32)
    };
    let out = buffer.cast::<c_int>();
    let mut put = |i: usize, pid: c_int| {
        // SAFETY: `i < buffersize / 4` (the kernel's capacity bound), so
        // the write is inside the `buffersize` bytes the caller vouched
        // for; unaligned, as a byte-wise copyout.
        unsafe { out.add(i).write_unaligned(pid) }
    };
    let result = INSTALLED.with(|slot| match slot.try_borrow_mut() {
        Ok(mut model) => match model.as_mut() {
            Some(model) => model.kernel_listpids(kind, typeinfo, size, &mut put),
            None => Err(Errno::from_raw(libc::ENOSYS)),
        },
        Err(_) => Err(Errno::from_raw(libc::EDEADLK)),
    });
    match result {
        Ok(bytes) => c_int::try_from(bytes).unwrap_or(c_int::MAX),
        Err(e) => {
            errno::set(e.raw());
            0
        }
    }
}
