//! What exit does to the table, as xnu does it (`bsd/kern/kern_exit.c`),
//! and the operations that drive it: [`Model::exit`] and its two halves
//! [`Model::begin_exit`] and [`Model::finish_exit`], [`Model::reap`] and
//! [`Model::trace`].
//!
//! # The rules
//!
//! Line numbers are those of xnu-11417.101.15.
//!
//! 1. **The exit window.** `exit_with_reason` sets `P_LEXIT`
//!    (`kern_exit.c:1607`, reported as `PROC_FLAG_INEXIT`); `proc_exit`
//!    then moves the process to `zombproc` and sets `P_REF_DEAD`, "will not
//!    be visible via proc_find" (`kern_exit.c:2107-2110`), but sets
//!    `p_stat = SZOMB` only at its very end (`kern_exit.c:2612`), after
//!    closing files, revoking the terminal and handing off the children.
//!    In between, `proc_find` fails (`proc_ref_try_fast` refuses
//!    `P_REF_DEAD`, `kern_proc.c:619-631`), so every flavor that does not
//!    find zombies and `proc_pidpath` say `ESRCH`, while
//!    `proc_find_zombref` (`kern_proc.c:838-861`, `proc_list_exited`)
//!    finds it for the zombie-finding flavors, with `p_stat` still
//!    `SRUN`. [`Model::begin_exit`] stops there; [`Model::finish_exit`]
//!    does the rest. `proc_listpids` lists it in its `zombproc` walk
//!    (`proc_info.c:470-472`).
//! 2. **`P_LTRACED` is cleared at exit** (`kern_exit.c:2119`): an exited
//!    tracee reports no `PROC_FLAG_TRACED` and no longer matches
//!    `PROC_PPID_ONLY` by its original parent (`proc_info.c:418-419`), but
//!    keeps `p_oppid` ([`Proc::returns_to`]): when it is reaped, it is
//!    handed back to that parent as a zombie rather than freed
//!    (`reap_child_locked`, `kern_exit.c:2702-2735`).
//! 3. **A session leader's exit revokes the terminal**
//!    (`kern_exit.c:2268-2341`): when the session has one,
//!    `session_clear_tty_locked` (`kern_proc.c:2442-2452`) sets
//!    `s_ttyvp = NULL`, `s_ttypgrpid = NO_PID` and `s_ttydev = NODEV`, so
//!    the other members, which keep `P_CONTROLT`, stop matching
//!    `PROC_TTY_ONLY` for the device (`proc_info.c:427-431`) and report
//!    `e_tdev = NODEV` (`proc_info.c:789-798`) and no `PROC_FLAG_CTTY`
//!    (`proc_info.c:742-747`);
//!    then `s_leader = NULL` (`kern_exit.c:2341`): the exited leader
//!    reports no `PROC_FLAG_SLEADER`. A child forked later gets no
//!    `P_CONTROLT` (`kern_fork.c:1142-1143`, needs `s_ttyvp`).
//! 4. **An exiting parent's zombie children are reaped by the kernel**
//!    (`kern_exit.c:2369-2392`); its live children (and those in their own
//!    exit window) go to launchd marked `P_LIST_DEADPARENT`
//!    (`kern_exit.c:2452-2454`, [`Proc::orphaned`]).
//! 5. **Orphans given to launchd are reaped as they exit**: a process
//!    marked `P_LIST_DEADPARENT` and without `p_oppid` never becomes a
//!    zombie; the kernel reaps it at the end of its own exit
//!    (`kern_exit.c:2587` and `2624-2655`). A child of launchd that was
//!    never reparented stays a zombie until launchd waits for it.
//! 6. **A dying tracer hands its tracees back and kills them**
//!    (`kern_exit.c:2397-2444`): each traced live child goes back to its
//!    original parent if `proc_find` finds it (else to launchd, marked
//!    `P_LIST_DEADPARENT`), loses `P_LTRACED` and gets `SIGKILL`, which the
//!    model delivers at once (the tracee runs its own exit).
//!
//! `P_NOCLDWAIT` parents (whose children the kernel also reaps at once)
//! and shadow processes' exits are not modelled.

use super::{Model, Proc};
use crate::sys::xnu::consts as xnu;
use crate::Pid;

/// `NO_PID`: the foreground group of a session whose terminal was revoked
/// (`bsd/sys/proc_internal.h`).
const NO_PID: i32 = 100_000;

/// A child of an exiting parent goes to `to`, its original parent, or to
/// launchd (`None`): a tracee loses `P_LTRACED` and is marked for
/// `SIGKILL`; any other child marked `P_LIST_DEADPARENT`.
fn hand_off(child: &mut Proc, to: Option<Pid>, killed: &mut Vec<Pid>) {
    if child.traced_from.take().is_some() {
        killed.push(child.pid);
    }
    match to {
        Some(orig) => child.ppid = orig,
        None => {
            child.orphaned = true;
            child.ppid = INIT;
        }
    }
}

/// launchd, `initproc`.
const INIT: Pid = match Pid::from_raw(1) {
    Some(p) => p,
    None => Pid::ZERO,
};

impl Model {
    /// `pid` exits: [`begin_exit`](Model::begin_exit), then
    /// [`finish_exit`](Model::finish_exit) — the whole of xnu's exit (see
    /// the rules in the module docs). It ends a zombie, or, as an orphan
    /// given to launchd, reaped at once. False if `pid` is not live.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let parent = model.spawn(Pid::from_raw(1).unwrap());
    /// let child = model.spawn(parent);
    /// assert!(model.exit(child));
    /// assert!(model.is_zombie(child) && !model.exit(child));
    /// // The parent's exit reaps its zombie child; its own parent is
    /// // launchd, which has not waited yet: a zombie.
    /// model.exit(parent);
    /// assert!(model.get(child).is_none() && model.is_zombie(parent));
    /// ```
    pub fn exit(&mut self, pid: Pid) -> bool {
        self.begin_exit(pid) && self.finish_exit(pid)
    }

    /// The first half of exit, up to the window: `pid` gets `P_LEXIT`
    /// ([`Proc::exiting`]), moves to the head of `zombproc` out of
    /// `proc_find`'s reach, loses `P_LTRACED` (keeping the original parent
    /// as [`Proc::returns_to`]), its threads and its descriptors; `p_stat`
    /// stays as it was. False if `pid` is not live.
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// use pidquery::Pid;
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::from_raw(1).unwrap());
    /// assert!(model.begin_exit(p));
    /// let proc = model.get(p).unwrap();
    /// assert!(proc.exiting && proc.stat == xnu::SRUN && !model.is_zombie(p));
    /// assert!(model.finish_exit(p) && model.is_zombie(p));
    /// ```
    pub fn begin_exit(&mut self, pid: Pid) -> bool {
        let Some(at) = self.allproc.iter().position(|p| p.pid == pid) else {
            return false;
        };
        let mut proc = self.allproc.remove(at);
        proc.exiting = true;
        // `p_lflag &= ~P_LTRACED`; `p_oppid` stays for the reap.
        proc.returns_to = proc.traced_from.take();
        proc.fds.clear();
        proc.threads.clear();
        self.zombproc.push(proc);
        true
    }

    /// The second half of exit, for a process in the window: the terminal
    /// revoked if it leads its session, its children handed off (zombies
    /// reaped, tracees returned and killed, the others to launchd), then
    /// `p_stat = SZOMB`, or the kernel's own reap for an orphan of
    /// launchd's. False if `pid` is not in the window.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::from_raw(1).unwrap());
    /// assert!(!model.finish_exit(p));
    /// model.begin_exit(p);
    /// assert!(model.finish_exit(p) && model.is_zombie(p));
    /// ```
    pub fn finish_exit(&mut self, pid: Pid) -> bool {
        let Some(proc) = self.in_window(pid) else {
            return false;
        };
        let (leads, sid) = (proc.sid == pid && !proc.pgrp_detached, proc.sid);
        if leads {
            self.revoke_terminal(sid);
        }
        self.hand_off_children(pid);
        if let Some(at) = self.zombproc.iter().position(|p| p.pid == pid) {
            // `P_LIST_DEADPARENT` without `p_oppid`: the kernel reaps it.
            let by_kernel = self
                .zombproc
                .get(at)
                .is_some_and(|p| p.orphaned && p.returns_to.is_none());
            if by_kernel {
                self.zombproc.remove(at);
            } else if let Some(p) = self.zombproc.get_mut(at) {
                p.stat = xnu::SZOMB;
            }
        }
        // SIGKILL to the tracees handed back above, delivered at once.
        while let Some(tracee) = self.killed.pop() {
            self.exit(tracee);
        }
        true
    }

    /// The process `pid` in the exit window: in `zombproc`, not yet
    /// `SZOMB`.
    fn in_window(&self, pid: Pid) -> Option<&Proc> {
        self.zombproc
            .iter()
            .find(|p| p.pid == pid && p.stat != xnu::SZOMB)
    }

    /// `session_clear_tty_locked` on session `sid`: every member, zombies
    /// included, sees `s_ttydev = NODEV` and `s_ttypgrpid = NO_PID`.
    fn revoke_terminal(&mut self, sid: Pid) {
        let members = self.allproc.iter_mut().chain(self.zombproc.iter_mut());
        for p in members.filter(|p| p.sid == sid && p.tty.is_some()) {
            p.tty = None;
            p.tpgid = Pid::from_raw(NO_PID).unwrap_or(Pid::ZERO);
        }
    }

    /// `proc_exit`'s loop over `p_children` (`kern_exit.c:2369-2458`).
    fn hand_off_children(&mut self, pid: Pid) {
        // Zombie children: `reap_child_locked` with `REAP_DEAD_PARENT`.
        while let Some(child) = self
            .zombproc
            .iter()
            .find(|p| p.ppid == pid && p.pid != pid && p.stat == xnu::SZOMB)
            .map(|p| p.pid)
        {
            self.reap_child(child, true);
        }
        // Live children, and those in their own window (not yet SZOMB).
        for at in 0..self.allproc.len() {
            let to = self.hand_off_to(self.allproc.get(at), pid);
            if let (Some(to), Some(child)) = (to, self.allproc.get_mut(at)) {
                hand_off(child, to, &mut self.killed);
            }
        }
        for at in 0..self.zombproc.len() {
            let to = self
                .hand_off_to(self.zombproc.get(at), pid)
                .filter(|_| self.zombproc.get(at).is_some_and(|c| c.stat != xnu::SZOMB));
            if let (Some(to), Some(child)) = (to, self.zombproc.get_mut(at)) {
                hand_off(child, to, &mut self.killed);
            }
        }
    }

    /// Where `child`, if it is a child of the exiting `parent`, goes:
    /// `Some(Some(original parent))` for a tracee whose original parent
    /// `proc_find` finds, `Some(None)` for launchd.
    fn hand_off_to(&self, child: Option<&Proc>, parent: Pid) -> Option<Option<Pid>> {
        let child = child.filter(|c| c.ppid == parent && c.pid != parent)?;
        Some(child.traced_from.filter(|&o| self.found(o)))
    }

    /// `proc_find` finds `pid`: live, not a shadow (pid 0 always).
    fn found(&self, pid: Pid) -> bool {
        self.allproc.iter().any(|p| p.pid == pid && !p.shadow)
    }

    /// `reap_child_locked`: a zombie that still has `p_oppid` goes back to
    /// that original parent if `proc_find` finds it — unless it is launchd
    /// and the zombie came to launchd by reparenting — and stays a zombie;
    /// any other is freed. True if it was freed.
    fn reap_child(&mut self, child: Pid, from_exit: bool) -> bool {
        let Some(at) = self.zombproc.iter().position(|p| p.pid == child) else {
            return false;
        };
        let (returns_to, orphaned) = match self.zombproc.get(at) {
            Some(p) => (p.returns_to, p.orphaned),
            None => return false,
        };
        if let Some(orig) = returns_to.filter(|&o| self.found(o)) {
            // `REAP_REPARENTED_TO_INIT`: set only by the exiting parent's
            // loop, for a child marked `P_LIST_DEADPARENT`.
            let reparented_to_init = orphaned && from_exit;
            if orig != INIT || !reparented_to_init {
                if let Some(p) = self.zombproc.get_mut(at) {
                    p.returns_to = None;
                    p.ppid = orig;
                }
                return false;
            }
        }
        self.zombproc.remove(at);
        true
    }

    /// The parent waits for the zombie `pid` (`wait4` → `reap_child_locked`):
    /// freed, or, if it exited while traced and its original parent is
    /// still there, handed back to that parent as a zombie
    /// ([`Proc::returns_to`]). False if `pid` is not a zombie (a process in
    /// its exit window is not one yet).
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let c = model.spawn(Pid::ZERO);
    /// model.exit(c);
    /// assert!(model.reap(c));
    /// assert_eq!(model.nprocs(), 2);
    /// ```
    pub fn reap(&mut self, pid: Pid) -> bool {
        if !self.is_zombie(pid) {
            return false;
        }
        self.reap_child(pid, false);
        true
    }

    /// `tracer` attaches to `pid` with ptrace: `p_oppid` keeps the parent,
    /// `p_ppid` becomes the tracer, `P_LTRACED` is set. False if `pid` is
    /// not live.
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
}
