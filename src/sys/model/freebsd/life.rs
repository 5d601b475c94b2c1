//! How processes leave the model's table: `exit1` (reparenting to the
//! reaper, zombies included, with `p_oppid` rewritten; the tracees of an
//! exiting debugger; `killjobc`), and `proc_reap`.
//!
//! # References (FreeBSD `sys/kern/kern_exit.c` at freebsd-src 0050289464fa, `kern_proc.c`)
//!
//! - `exit1`: "Reparent all children processes": every child `q` on
//!   `p_children`, live or zombie, that is not traced goes to
//!   `proc_reparent(q, q->p_reaper, true)`, whose `true` sets `p_oppid`
//!   (`ki_ppid`) to the new parent; a child traced *by the exiting process*
//!   goes back to its real parent (`proc_realparent`), or to its reaper
//!   when the exiting process was that parent too, and loses `P_TRACED`
//!   (then `SIGKILL` under `kern.kill_on_debugger_exit`, delivered later:
//!   the schedule's business); "Also get rid of our orphans": a process
//!   whose real parent exits while another traces it gets `q->p_oppid =
//!   q->p_reaper->p_pid` (13.0 and later; before, only `clear_orphan`, so
//!   it kept the dead parent's pid: [`Model::pre13_exit`]).
//! - `exit1` clears the exiting process's own `P_TRACED` and calls
//!   `killjobc`, which for a session leader sets `s_ttyvp = NULL` (and
//!   `s_leader`), leaving `s_ttyp`: "s_ttyp is not zero'd; we use this to
//!   indicate that the session once had a controlling terminal".
//! - `do_fork`: `p2->p_reaper = (p1->p_treeflag & P_TREE_REAPER) != 0 ? p1
//!   : p1->p_reaper`. A reaper's own children are reparented to it (its
//!   zombie) by `exit1`, and on to its reaper by
//!   `reaper_abandon_children(p, true)` in `proc_reap`, which also hands
//!   every process it reaped for to its reaper.

use super::{Model, State};
use crate::Pid;

impl Model {
    /// `pid` exits (`exit1`): it becomes a zombie with one thread,
    /// `P_WEXIT`, no executable and no descriptors; a session leader's
    /// session lets go of its terminal (`killjobc`: [`Tty::held`](super::Tty)
    /// false); its children, zombies included, go to their reaper with
    /// `ki_ppid` rewritten; those it traced go back to their real parent
    /// (or their reaper), untraced; those it is the real parent of while
    /// another traces them get their reaper as `ki_ppid` (unless
    /// [`pre13_exit`](Model::pre13_exit)). It stays in its group and
    /// session until reaped. False if `pid` is not live.
    ///
    /// ```
    /// use pidquery::{model::freebsd::{Model, State}, Pid};
    /// let mut model = Model::new();
    /// let init = Pid::from_raw(1).unwrap();
    /// let c = model.spawn(init).unwrap();
    /// let g = model.spawn(c).unwrap();
    /// model.exit(g); // a zombie child of c
    /// assert!(model.exit(c));
    /// assert_eq!(model.get(c).unwrap().state, State::Zombie);
    /// // The zombie grandchild went to init too.
    /// assert_eq!(model.get(g).unwrap().ppid, init);
    /// assert!(!model.exit(c));
    /// ```
    pub fn exit(&mut self, pid: Pid) -> bool {
        let epoch = self.epoch;
        let Some(i) = self.find(pid) else {
            return false;
        };
        let sid = match self.slot_mut(i) {
            Some(s) if s.proc.is_live() => {
                s.proc.state = State::Zombie;
                s.proc.exiting = true;
                s.proc.threads = 1;
                s.proc.tracer = None;
                s.proc.exe = None;
                s.proc.fds = None;
                s.changed = epoch;
                s.proc.sid
            }
            _ => return false,
        };
        self.allproc.retain(|&j| j != i);
        self.zombproc.push(i);
        if sid == pid {
            // killjobc: s_ttyvp = NULL; s_ttyp stays. Every member's
            // KI_CTTY changes with it.
            for (s, tty) in &mut self.terminals {
                if *s == sid {
                    tty.held = false;
                }
            }
            for s in self.slots.iter_mut().flatten() {
                if s.proc.sid == sid {
                    s.changed = epoch;
                }
            }
        }
        let pre13 = self.pre13_exit;
        for s in self.slots.iter_mut().flatten() {
            let q = &mut s.proc;
            if q.pid == pid {
                continue;
            }
            let before = (q.ppid, q.tracer);
            match q.tracer {
                // Traced by the exiting process: back to the real parent,
                // or to the reaper if that was the exiting process too.
                Some(t) if t == pid => {
                    if q.ppid == pid {
                        q.ppid = q.reaper;
                    }
                    q.tracer = None;
                }
                // An orphan: its real parent exits while another traces it.
                Some(_) if q.ppid == pid && !pre13 => q.ppid = q.reaper,
                Some(_) => {}
                // A child, live or zombie.
                None if q.ppid == pid => q.ppid = q.reaper,
                None => {}
            }
            if (q.ppid, q.tracer) != before {
                s.changed = epoch;
            }
        }
        true
    }

    /// `exit1` as FreeBSD 12 and earlier run it (`on`), where an orphan
    /// (traced by another process when its real parent exits) keeps the
    /// dead parent's pid as `ki_ppid`; off (13.0 and later) by default.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.pre13_exit(true);
    /// ```
    pub fn pre13_exit(&mut self, on: bool) {
        self.pre13_exit = on;
    }

    /// Marks `pid` as exiting (`P_WEXIT`, still `Normal` and listed). False
    /// if it is not live.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let c = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
    /// assert!(model.begin_exit(c));
    /// assert!(model.get(c).unwrap().exiting);
    /// ```
    pub fn begin_exit(&mut self, pid: Pid) -> bool {
        let epoch = self.epoch;
        match self.find(pid).and_then(|i| self.slot_mut(i)) {
            Some(s) if s.proc.is_live() => {
                s.proc.exiting = true;
                s.changed = epoch;
                true
            }
            _ => false,
        }
    }

    /// Reaps the zombie `pid` (`proc_reap`): it leaves the pid hash, its
    /// group and its session; if it was a reaper, every process it reaped
    /// for gets its reaper instead, and its children go to that reaper
    /// (`reaper_abandon_children`). False if it is not a zombie.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let c = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
    /// model.exit(c);
    /// assert!(model.reap(c));
    /// assert_eq!(model.nprocs(), 2);
    /// ```
    pub fn reap(&mut self, pid: Pid) -> bool {
        let Some(i) = self.find(pid) else {
            return false;
        };
        let Some(p) = self.slot(i).map(|s| &s.proc) else {
            return false;
        };
        if p.state != State::Zombie {
            return false;
        }
        let (reaps, up) = (p.reaps, p.reaper);
        if reaps {
            let epoch = self.epoch;
            for s in self.slots.iter_mut().flatten() {
                let q = &mut s.proc;
                if q.pid != pid && q.reaper == pid {
                    q.reaper = up;
                    if q.ppid == pid && q.tracer.is_none() {
                        q.ppid = up;
                    }
                    s.changed = epoch;
                }
            }
        }
        let bucket = self.bucket_of(pid);
        if let Some(b) = self.buckets.get_mut(bucket) {
            b.retain(|&j| j != i);
        }
        self.zombproc.retain(|&j| j != i);
        if let Some(s) = self.slots.get_mut(i) {
            *s = None;
        }
        self.free.push(i);
        true
    }
}
