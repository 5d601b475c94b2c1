//! Sessions, groups, terminals and jails of the model's table (`setpgid`,
//! `setsid`, `TIOCSCTTY`, `jail`).

use super::{Model, Proc, Tty};
use crate::Pid;

impl Model {
    /// `setpgid(pid, pgid)`: `pid` moves to group `pgid` (its own pid makes
    /// a new group), which must be in its session; a session leader cannot
    /// move. False if refused.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let c = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
    /// assert!(model.setpgid(c, c));
    /// assert_eq!(model.get(c).unwrap().pgid, c);
    /// ```
    pub fn setpgid(&mut self, pid: Pid, pgid: Pid) -> bool {
        let Some(p) = self.get(pid).filter(|p| p.is_live()) else {
            return false;
        };
        let sid = p.sid;
        let ok = p.sid != pid
            && (pgid == pid
                || self
                    .slots
                    .iter()
                    .flatten()
                    .any(|s| s.proc.pgid == pgid && s.proc.sid == sid));
        ok && self.update(pid, |p| p.pgid = pgid)
    }

    /// `setsid()` by `pid`: a new session and group, both `pid`, without a
    /// controlling terminal. Refused (false) for a group leader.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let c = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
    /// assert!(model.setsid(c));
    /// assert_eq!(model.get(c).unwrap().sid, c);
    /// assert!(!model.setsid(c));
    /// ```
    pub fn setsid(&mut self, pid: Pid) -> bool {
        let leader = self.slots.iter().flatten().any(|s| s.proc.pgid == pid);
        if leader || !self.get(pid).is_some_and(Proc::is_live) {
            return false;
        }
        self.update(pid, |p| {
            p.sid = pid;
            p.pgid = pid;
            p.controlling_terminal = false;
        })
    }

    /// Session leader `leader` acquires a terminal of device `dev` (`None`:
    /// a tty without a cdev) as its controlling terminal (`TIOCSCTTY`): the
    /// session gets the tty, with the leader's group in the foreground, and
    /// the leader gets `P_CONTROLT` (its later children inherit it). False
    /// if `leader` is not a live session leader.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let sh = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
    /// model.setsid(sh);
    /// assert!(model.acquire_terminal(sh, Some(0x5d)));
    /// assert_eq!(model.terminal(sh).unwrap().dev, Some(0x5d));
    /// ```
    pub fn acquire_terminal(&mut self, leader: Pid, dev: Option<u64>) -> bool {
        let Some(p) = self.get(leader).filter(|p| p.is_live() && p.sid == leader) else {
            return false;
        };
        let tty = Tty {
            dev,
            foreground: Some(p.pgid),
            session: Some(leader),
            held: true,
        };
        self.terminals.retain(|(s, _)| *s != leader);
        self.terminals.push((leader, tty));
        self.update(leader, |p| p.controlling_terminal = true)
    }

    /// Replaces (or, with `None`, removes) the terminal of session `sid`.
    ///
    /// ```
    /// use pidquery::{model::freebsd::{Model, Tty}, Pid};
    /// let mut model = Model::new();
    /// let tty = Tty { dev: Some(7), foreground: None, session: None, held: true };
    /// model.set_terminal(Pid::ZERO, Some(tty));
    /// assert_eq!(model.terminal(Pid::ZERO), Some(tty));
    /// ```
    pub fn set_terminal(&mut self, sid: Pid, tty: Option<Tty>) {
        self.terminals.retain(|(s, _)| *s != sid);
        if let Some(tty) = tty {
            self.terminals.push((sid, tty));
        }
    }

    /// Creates a jail inside jail `parent` (0: the host) and returns its id.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// let a = model.create_jail(0);
    /// let b = model.create_jail(a);
    /// assert!(a > 0 && b > a);
    /// ```
    pub fn create_jail(&mut self, parent: u32) -> u32 {
        let id = self.jails.iter().map(|(id, _)| *id).max().unwrap_or(0) + 1;
        self.jails.push((id, parent));
        id
    }

    /// True if jail `inner` is `outer` or nested in it (`prison_check`).
    pub(super) fn jail_within(&self, inner: u32, outer: u32) -> bool {
        let mut j = inner;
        for _ in 0..=self.jails.len() {
            if j == outer {
                return true;
            }
            match self.jails.iter().find(|(id, _)| *id == j) {
                Some((_, parent)) => j = *parent,
                None => return false,
            }
        }
        false
    }
}
