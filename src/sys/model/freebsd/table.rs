//! The model's process table: [`Proc`], [`Tty`], [`Model`], the pid hash
//! and the operations that change who exists and how (fork, exit, reap,
//! `setpgid`, `setsid`, credentials, terminals, jails).

use super::super::script::Script;
use std::sync::Arc;

use super::abi;
use super::{Call, Observation};
use crate::sys::freebsd::consts::{NO_PID, PID_MAX};
use crate::sys::freebsd::KernProc;
use crate::Pid;

/// `p_state`: a process being forked is `New` (in the pid hash, never
/// listed), then `Normal`, then, once it has exited, `Zombie` until its
/// parent reaps it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum State {
    /// `PRS_NEW`: mid-fork.
    New,
    /// `PRS_NORMAL`: alive (possibly exiting, see [`Proc::exiting`]).
    #[default]
    Normal,
    /// `PRS_ZOMBIE`: exited, not yet reaped.
    Zombie,
}

/// How the kernel walks the table for a list.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Walk {
    /// FreeBSD 13 and later (`proc_iterate`): the pid hash, one lock
    /// stripe at a time, with the locks dropped between stripes, where the
    /// schedule's [`Call::between`] churn happens.
    #[default]
    Striped,
    /// FreeBSD 12 and earlier: `allproc` (newest first) then `zombproc`
    /// (most recently exited first) under locks held for the whole walk:
    /// an atomic snapshot of who exists. [`Call::between`] happens after
    /// the walk.
    Atomic,
}

/// One process of a [`Model`]'s table.
///
/// Fields are public: build one with [`Proc::new`] and struct update
/// syntax, or let [`Model::spawn`] inherit them from a parent.
///
/// # Examples
///
/// ```
/// use pidquery::model::freebsd::Proc;
/// use pidquery::Pid;
///
/// let pid = Pid::from_raw(300).unwrap();
/// let p = Proc { uid: 1001, ruid: 1001, ..Proc::new(pid) };
/// assert_eq!((p.pgid, p.sid, p.threads), (pid, pid, 1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// The process id.
    pub pid: Pid,
    /// `p_oppid`: the real parent, reported as `ki_ppid` (0 for pid 0),
    /// also while traced.
    pub ppid: Pid,
    /// The process group id.
    pub pgid: Pid,
    /// The session id.
    pub sid: Pid,
    /// `p_state`.
    pub state: State,
    /// `P_WEXIT` on a `Normal` process: exiting, not yet a zombie (still
    /// listed).
    pub exiting: bool,
    /// `P_CONTROLT`: the process has its session's terminal as controlling
    /// terminal. Without it, `ki_tdev` is `NODEV` and `KERN_PROC_TTY` never
    /// matches.
    pub controlling_terminal: bool,
    /// `P_SYSTEM | P_KPROC`: a kernel process.
    pub system: bool,
    /// `P_TRACED` by this process (which becomes `p_pptr`; `ki_ppid` stays
    /// the real parent).
    pub tracer: Option<Pid>,
    /// `P_TREE_REAPER`: a reaper (`procctl(PROC_REAP_ACQUIRE)`; init is
    /// one): its children forked from now on get it as `p_reaper`.
    pub reaps: bool,
    /// `p_reaper`: whom this process is reparented to when its parent
    /// exits (init unless an ancestor acquired the reaper role before it
    /// was forked).
    pub reaper: Pid,
    /// `cr_uid`: the effective uid.
    pub uid: u32,
    /// `cr_ruid`: the real uid.
    pub ruid: u32,
    /// `cr_svuid`: the saved uid.
    pub svuid: u32,
    /// `cr_gid`: the effective gid.
    pub gid: u32,
    /// `cr_rgid`: the real gid.
    pub rgid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// The prison (jail) id; 0 is the host (`prison0`).
    pub jail: u32,
    /// `p_numthreads` (at least 1; a zombie has 1).
    pub threads: u32,
    /// `p_comm`: up to 19 bytes, NUL-padded.
    pub comm: [u8; 20],
    /// `ki_nice`.
    pub nice: i8,
    /// Start time, in microseconds after the model's boot (forks take the
    /// model's clock, which advances by a millisecond at each).
    pub start: i64,
    /// `p_textvp`'s path (`KERN_PROC_PATHNAME`); `None` without one (a
    /// kernel process, a zombie). Shared, so that a fork, which inherits
    /// it, allocates nothing.
    pub exe: Option<Arc<[u8]>>,
    /// Open descriptors and their `kf_type` (`KERN_PROC_FILEDESC`), in
    /// order; inherited by a fork, shared likewise.
    pub fds: Option<Arc<[(i32, i32)]>>,
}

impl Proc {
    /// A process with pid `pid`, leader of its own group and session,
    /// parent 0, root credentials (all ids 0), one thread, no terminal, on
    /// the host, named `"proc"`.
    ///
    /// ```
    /// let p = pidquery::model::freebsd::Proc::new(pidquery::Pid::from_raw(7).unwrap());
    /// assert_eq!((p.ppid.as_raw(), p.uid, p.name()), (0, 0, &b"proc"[..]));
    /// ```
    pub fn new(pid: Pid) -> Proc {
        Proc {
            pid,
            ppid: Pid::ZERO,
            pgid: pid,
            sid: pid,
            state: State::Normal,
            exiting: false,
            controlling_terminal: false,
            system: false,
            tracer: None,
            reaps: false,
            reaper: Pid::from_raw(1).unwrap_or(Pid::ZERO),
            uid: 0,
            ruid: 0,
            svuid: 0,
            gid: 0,
            rgid: 0,
            groups: Vec::new(),
            jail: 0,
            threads: 1,
            comm: name(b"proc"),
            nice: 0,
            start: 0,
            exe: None,
            fds: None,
        }
    }

    /// This process named `comm` (cut to 19 bytes, as `strlcpy` into
    /// `ki_comm` would).
    ///
    /// ```
    /// use pidquery::model::freebsd::Proc;
    /// let p = Proc::new(pidquery::Pid::from_raw(9).unwrap()).named("sshd");
    /// assert_eq!(p.name(), b"sshd");
    /// ```
    pub fn named(mut self, comm: &str) -> Proc {
        self.comm = name(comm.as_bytes());
        self
    }

    /// The command name, up to its NUL.
    ///
    /// ```
    /// let p = pidquery::model::freebsd::Proc::new(pidquery::Pid::ZERO);
    /// assert_eq!(p.name(), b"proc");
    /// ```
    pub fn name(&self) -> &[u8] {
        let end = self.comm.iter().position(|&b| b == 0).unwrap_or(19);
        self.comm.get(..end).unwrap_or_default()
    }

    /// Live: `Normal` (exiting or not).
    pub(super) fn is_live(&self) -> bool {
        self.state == State::Normal
    }
}

/// A `p_comm` of at most 19 bytes, NUL-padded.
fn name(bytes: &[u8]) -> [u8; 20] {
    let mut comm = [0u8; 20];
    for (dst, src) in comm.iter_mut().zip(bytes.iter().take(19)) {
        *dst = *src;
    }
    comm
}

/// A terminal: the session's `s_ttyp`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tty {
    /// `tty_udev(tp)`: the device (its devfs inode number); `None` when
    /// the tty has no cdev (`NODEV`).
    pub dev: Option<u64>,
    /// `t_pgrp`: the foreground process group, if any.
    pub foreground: Option<Pid>,
    /// `t_session`: the session it is the controlling terminal of, if any.
    pub session: Option<Pid>,
    /// `s_ttyvp != NULL`: the session still holds the terminal's vnode
    /// (`KI_CTTY`). `killjobc` clears it when the session leader exits,
    /// leaving the rest (`s_ttyp`) in place.
    pub held: bool,
}

/// The pid hash's shape: `pidhash` (the mask) and the lock stripes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pidhash {
    /// `pidhash`: hash size minus one; a pid's bucket is `pid & mask`.
    pub mask: usize,
    /// `pidhashlock + 1`: stripe `i` holds buckets `i, i + stripes, …`.
    pub stripes: usize,
}

impl Pidhash {
    /// The shape `procinit` gives for `maxproc`: the largest power of two
    /// at most `maxproc / 4` buckets (`hashinit`), and one lock stripe per
    /// 64 buckets (at least one).
    ///
    /// ```
    /// use pidquery::model::freebsd::Pidhash;
    /// assert_eq!(Pidhash::for_maxproc(4096), Pidhash { mask: 1023, stripes: 16 });
    /// assert_eq!(Pidhash::for_maxproc(100), Pidhash { mask: 15, stripes: 1 });
    /// ```
    pub fn for_maxproc(maxproc: usize) -> Pidhash {
        let elements = (maxproc / 4).max(1);
        let mut size = 1usize;
        while size <= elements {
            size <<= 1;
        }
        size >>= 1;
        let locks = size / 64;
        Pidhash {
            mask: size - 1,
            stripes: locks.saturating_sub(1) + 1,
        }
    }
}

/// A process and what the model keeps about it.
#[derive(Clone, Debug)]
pub(super) struct Slot {
    pub(super) proc: Proc,
    /// A unique identity (pids are reused).
    pub(super) serial: u64,
    /// The first thread's id; the others follow.
    pub(super) first_tid: i32,
    /// The epoch of the last change made to it by churn.
    pub(super) changed: u64,
}

/// An in-memory process table behind an exact model of FreeBSD's
/// `sysctl kern.proc.*`. See the [module docs](crate::model::freebsd).
#[derive(Debug)]
pub struct Model {
    pub(super) slots: Vec<Option<Slot>>,
    pub(super) free: Vec<usize>,
    /// Slot indices per bucket, in insertion order: the head is the last.
    pub(super) buckets: Vec<Vec<usize>>,
    pub(super) hash: Pidhash,
    /// Non-zombie slots in fork order (the old walk reads it from the back).
    pub(super) allproc: Vec<usize>,
    /// Zombie slots in exit order (read from the back).
    pub(super) zombproc: Vec<usize>,
    /// Slots still `New`, promoted at the next point of the schedule.
    pub(super) pending: Vec<usize>,
    /// Session id → its terminal.
    pub(super) terminals: Vec<(Pid, Tty)>,
    /// Jail id → parent jail id (the host, 0, is nobody's child).
    pub(super) jails: Vec<(u32, u32)>,
    pub(super) next_pid: i32,
    /// No id above this is in use as a pid, group or session.
    pub(super) high_water: i32,
    pub(super) next_tid: i32,
    pub(super) next_serial: u64,
    pub(super) epoch: u64,
    pub(super) caller: Pid,
    pub(super) see_other_uids: bool,
    pub(super) see_other_gids: bool,
    pub(super) see_jail_proc: bool,
    pub(super) capability_mode: bool,
    pub(super) max_wired: Option<usize>,
    pub(super) walk: Walk,
    /// Microseconds since boot: the next fork's start time.
    pub(super) clock: i64,
    /// `exit1` before FreeBSD 13.0: an orphan (traced by another) keeps a
    /// dead real parent's pid in `p_oppid`.
    pub(super) pre13_exit: bool,
    /// What happens around each `sysctl` call.
    pub(super) script: Script<Call>,
    pub(super) rng: u64,
    pub(super) recording: bool,
    pub(super) observations: Vec<Observation>,
    pub(super) calls: u64,
    /// Pids forked while a recorded walk runs.
    pub(super) born: Vec<Pid>,
    pub(super) tracking_births: bool,
    /// The engine's side (its record scratch), kept between fills.
    pub(super) client: KernProc,
}

impl Default for Model {
    fn default() -> Model {
        Model::new()
    }
}

impl Model {
    /// A freshly booted host with `maxproc` 4096 (1024 hash buckets, 16 lock
    /// stripes): `kernel` (pid 0, a system process with 8 threads), and
    /// `init` (pid 1, parent 0, its own session), both root. The caller
    /// (the process making the calls) is `init`; new pids count up from 2.
    ///
    /// ```
    /// let model = pidquery::model::freebsd::Model::new();
    /// assert_eq!(model.nprocs(), 2);
    /// ```
    pub fn new() -> Model {
        Model::with_pidhash(Pidhash::for_maxproc(4096))
    }

    /// As [`Model::new`], with another pid hash shape.
    ///
    /// ```
    /// use pidquery::model::freebsd::{Model, Pidhash};
    /// let model = Model::with_pidhash(Pidhash { mask: 7, stripes: 2 });
    /// assert_eq!(model.pidhash().stripes, 2);
    /// ```
    pub fn with_pidhash(hash: Pidhash) -> Model {
        let mut model = Model::vacant();
        model.hash = Pidhash {
            mask: hash.mask,
            stripes: hash.stripes.clamp(1, hash.mask.saturating_add(1)),
        };
        model.buckets = vec![Vec::new(); model.hash.mask.saturating_add(1)];
        let init = Pid::from_raw(1).unwrap_or(Pid::ZERO);
        let kernel = Proc {
            system: true,
            threads: 8,
            ..Proc::new(Pid::ZERO).named("kernel")
        };
        model.add(kernel);
        model.add(Proc {
            reaps: true,
            exe: Some(Arc::from(&b"/sbin/init"[..])),
            ..Proc::new(init).named("init")
        });
        model.caller = init;
        model.next_pid = 2;
        model
    }

    pub(super) const fn vacant() -> Model {
        Model {
            slots: Vec::new(),
            free: Vec::new(),
            buckets: Vec::new(),
            hash: Pidhash {
                mask: 0,
                stripes: 1,
            },
            allproc: Vec::new(),
            zombproc: Vec::new(),
            pending: Vec::new(),
            terminals: Vec::new(),
            jails: Vec::new(),
            next_pid: 2,
            high_water: 0,
            next_tid: NO_PID + 1,
            next_serial: 1,
            epoch: 0,
            caller: Pid::ZERO,
            see_other_uids: true,
            see_other_gids: true,
            see_jail_proc: true,
            capability_mode: false,
            max_wired: None,
            walk: Walk::Striped,
            clock: 1_000,
            pre13_exit: false,
            script: Script::new(Call::QUIET),
            rng: 0x5eed,
            recording: false,
            observations: Vec::new(),
            calls: 0,
            born: Vec::new(),
            tracking_births: false,
            client: abi::client(),
        }
    }

    // ---- reading the table ----------------------------------------------

    /// The pid hash's shape.
    ///
    /// ```
    /// assert_eq!(pidquery::model::freebsd::Model::new().pidhash().mask, 1023);
    /// ```
    pub fn pidhash(&self) -> Pidhash {
        self.hash
    }

    /// Processes the kernel walks (every state but `New`).
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// let child = model.spawn(pidquery::Pid::from_raw(1).unwrap()).unwrap();
    /// model.exit(child);
    /// assert_eq!(model.nprocs(), 3); // the zombie still counts
    /// ```
    pub fn nprocs(&self) -> usize {
        self.slots
            .iter()
            .flatten()
            .filter(|s| s.proc.state != State::New)
            .count()
    }

    /// Every process the kernel walks (zombies included, `New` ones not),
    /// in no particular order; allocates nothing.
    ///
    /// ```
    /// let model = pidquery::model::freebsd::Model::new();
    /// let mut pids: Vec<i32> = model.procs().map(|p| p.pid.as_raw()).collect();
    /// pids.sort();
    /// assert_eq!(pids, [0, 1]);
    /// ```
    pub fn procs(&self) -> impl Iterator<Item = &Proc> + '_ {
        self.slots
            .iter()
            .flatten()
            .map(|s| &s.proc)
            .filter(|p| p.state != State::New)
    }

    /// The process `pid` (any state).
    ///
    /// ```
    /// assert!(pidquery::model::freebsd::Model::new().get(pidquery::Pid::ZERO).is_some());
    /// ```
    pub fn get(&self, pid: Pid) -> Option<&Proc> {
        self.find(pid).and_then(|i| self.slot(i)).map(|s| &s.proc)
    }

    /// The caller: the process making the `sysctl` calls (whose
    /// credentials and jail decide what it may see).
    ///
    /// ```
    /// assert_eq!(pidquery::model::freebsd::Model::new().caller().as_raw(), 1);
    /// ```
    pub fn caller(&self) -> Pid {
        self.caller
    }

    /// The terminal of session `sid`, if it has one.
    ///
    /// ```
    /// let model = pidquery::model::freebsd::Model::new();
    /// assert_eq!(model.terminal(pidquery::Pid::ZERO), None);
    /// ```
    pub fn terminal(&self, sid: Pid) -> Option<Tty> {
        self.terminals
            .iter()
            .find(|(s, _)| *s == sid)
            .map(|(_, t)| *t)
    }

    pub(super) fn slot(&self, i: usize) -> Option<&Slot> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    pub(super) fn slot_mut(&mut self, i: usize) -> Option<&mut Slot> {
        self.slots.get_mut(i).and_then(Option::as_mut)
    }

    /// The slot of `pid` (any state), through its bucket.
    pub(super) fn find(&self, pid: Pid) -> Option<usize> {
        let bucket = self.buckets.get(self.bucket_of(pid))?;
        bucket
            .iter()
            .copied()
            .find(|&i| self.slot(i).is_some_and(|s| s.proc.pid == pid))
    }

    pub(super) fn bucket_of(&self, pid: Pid) -> usize {
        (pid.as_raw() as usize) & self.hash.mask
    }

    /// The slot of a thread id (for `KERN_PROC_PID` above `PID_MAX`).
    pub(super) fn find_tid(&self, tid: i32) -> Option<usize> {
        self.slots.iter().position(|s| {
            s.as_ref().is_some_and(|s| {
                let n = i32::try_from(s.proc.threads.max(1)).unwrap_or(i32::MAX);
                tid >= s.first_tid && tid - s.first_tid < n
            })
        })
    }

    // ---- changing the table ---------------------------------------------

    fn note_ids(&mut self, p: &Proc) {
        let top = p.pid.as_raw().max(p.pgid.as_raw()).max(p.sid.as_raw());
        self.high_water = self.high_water.max(top);
    }

    /// Puts `proc` in a slot, the head of its bucket and the right list.
    pub(super) fn add(&mut self, proc: Proc) -> usize {
        self.note_ids(&proc);
        let threads = i32::try_from(proc.threads.max(1)).unwrap_or(1);
        let slot = Slot {
            serial: self.next_serial,
            first_tid: self.next_tid,
            changed: 0,
            proc,
        };
        self.next_serial += 1;
        self.clock += 1_000;
        self.next_tid = self.next_tid.saturating_add(threads);
        let zombie = slot.proc.state == State::Zombie;
        let new = slot.proc.state == State::New;
        if self.tracking_births {
            self.born.push(slot.proc.pid);
        }
        let bucket = self.bucket_of(slot.proc.pid);
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i) {
                    *s = Some(slot);
                }
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        if let Some(b) = self.buckets.get_mut(bucket) {
            b.push(i);
        }
        if zombie {
            self.zombproc.push(i);
        } else {
            self.allproc.push(i);
        }
        if new {
            self.pending.push(i);
        }
        i
    }

    /// The next free pid: counting up, wrapping from `PID_MAX` to 100, and
    /// skipping any id in use as a pid, group or session (`fork_findpid`).
    pub(super) fn free_pid(&mut self) -> Option<Pid> {
        for _ in 0..=PID_MAX {
            let raw = self.next_pid;
            self.next_pid = if raw >= PID_MAX { 100 } else { raw + 1 };
            if raw > self.high_water {
                return Pid::from_raw(raw);
            }
            let in_use = self.slots.iter().flatten().any(|s| {
                let p = &s.proc;
                p.pid.as_raw() == raw || p.pgid.as_raw() == raw || p.sid.as_raw() == raw
            });
            if !in_use {
                return Pid::from_raw(raw);
            }
        }
        None
    }

    /// What a child of `parent` inherits (`None` if `parent` is not live).
    pub(super) fn child_of(&self, parent: Pid, pid: Pid) -> Option<Proc> {
        let p = self.get(parent).filter(|p| p.is_live())?;
        Some(Proc {
            pid,
            ppid: parent,
            state: State::Normal,
            exiting: false,
            system: false,
            tracer: None,
            // do_fork: `p_reaper` is the parent if it reaps, else its reaper.
            reaps: false,
            reaper: if p.reaps { parent } else { p.reaper },
            threads: 1,
            start: self.clock,
            ..p.clone()
        })
    }

    /// Forks a child of `parent`: it gets the next free pid, goes to the
    /// head of its hash bucket and inherits the parent's group, session,
    /// `P_CONTROLT`, credentials, jail and name. `None` if `parent` is not
    /// live or no pid is free.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let child = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
    /// assert_eq!((child.as_raw(), model.get(child).unwrap().ppid.as_raw()), (2, 1));
    /// ```
    pub fn spawn(&mut self, parent: Pid) -> Option<Pid> {
        self.fork(parent, State::Normal)
    }

    pub(super) fn fork(&mut self, parent: Pid, state: State) -> Option<Pid> {
        self.get(parent).filter(|p| p.is_live())?;
        let pid = self.free_pid()?;
        let child = Proc {
            state,
            ..self.child_of(parent, pid)?
        };
        self.add(child);
        Some(pid)
    }

    /// Adds a fully described process (its `state` decides the list it
    /// joins). Returns false, adding nothing, if its pid is in use.
    ///
    /// ```
    /// use pidquery::{model::freebsd::{Model, Proc}, Pid};
    /// let mut model = Model::new();
    /// assert!(model.insert(Proc { uid: 1001, ..Proc::new(Pid::from_raw(500).unwrap()) }));
    /// assert!(!model.insert(Proc::new(Pid::ZERO)));
    /// ```
    pub fn insert(&mut self, proc: Proc) -> bool {
        if self.find(proc.pid).is_some() {
            return false;
        }
        self.add(proc);
        true
    }

    /// Changes `pid`'s attributes with `f`; its `pid` and `state` are kept
    /// (use [`exit`](Model::exit) and [`reap`](Model::reap) for those).
    /// False if there is no such process.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// assert!(model.update(Pid::from_raw(1).unwrap(), |p| p.ruid = 1001));
    /// assert_eq!(model.get(Pid::from_raw(1).unwrap()).unwrap().ruid, 1001);
    /// ```
    pub fn update(&mut self, pid: Pid, f: impl FnOnce(&mut Proc)) -> bool {
        let epoch = self.epoch;
        let Some(slot) = self.find(pid).and_then(|i| self.slot_mut(i)) else {
            return false;
        };
        let state = slot.proc.state;
        f(&mut slot.proc);
        slot.proc.pid = pid;
        slot.proc.state = state;
        slot.changed = epoch;
        let p = &slot.proc;
        let top = p.pid.as_raw().max(p.pgid.as_raw()).max(p.sid.as_raw());
        self.high_water = self.high_water.max(top);
        true
    }
}
