//! Race schedules: what happens around and inside each `sysctl` call, with
//! victims drawn from a seeded generator.

use super::{Model, State};
use crate::{Errno, Pid};

/// What the adversary does at one point of a schedule. Victims are chosen
/// at random (from the model's [seed](Model::seed)) among the live,
/// non-system processes other than pid 1; the caller may change ids but
/// never exits.
///
/// Applied in this order: `New` processes forked at the previous point
/// become `Normal`; then `exit`, `reap`, `regroup`, `setsid`, `setuid`,
/// and last `fork`, whose children stay `New` (in the pid hash but never
/// listed) until the next point.
///
/// # Examples
///
/// ```
/// use pidquery::model::freebsd::Churn;
///
/// let storm = Churn { fork: 10, exit: 2, ..Churn::NONE };
/// assert_eq!(Churn::fork(10).fork, storm.fork);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Churn {
    /// Processes forked, each a child of a random live process.
    pub fork: u32,
    /// Live processes that exit (become zombies).
    pub exit: u32,
    /// Zombies reaped.
    pub reap: u32,
    /// Processes that change group (`setpgid`): to a new group of their
    /// own, or into another group of their session.
    pub regroup: u32,
    /// Processes that start a session (`setsid`), losing their terminal.
    pub setsid: u32,
    /// Processes that change effective (and, one time in two, real) uid to
    /// one of 0–3.
    pub setuid: u32,
}

impl Churn {
    /// Nothing happens.
    pub const NONE: Churn = Churn {
        fork: 0,
        exit: 0,
        reap: 0,
        regroup: 0,
        setsid: 0,
        setuid: 0,
    };

    /// `n` forks.
    ///
    /// ```
    /// assert_eq!(pidquery::model::freebsd::Churn::fork(3).fork, 3);
    /// ```
    pub const fn fork(n: u32) -> Churn {
        Churn {
            fork: n,
            ..Churn::NONE
        }
    }

    /// True when nothing happens.
    ///
    /// ```
    /// assert!(pidquery::model::freebsd::Churn::NONE.is_none());
    /// ```
    pub const fn is_none(&self) -> bool {
        self.fork == 0
            && self.exit == 0
            && self.reap == 0
            && self.regroup == 0
            && self.setsid == 0
            && self.setuid == 0
    }
}

/// What happens around one `sysctl` call (a probe or a fetch): the unit of
/// a race schedule.
///
/// # Examples
///
/// Forks and exits between every two lock stripes of the walk:
///
/// ```
/// use pidquery::model::freebsd::{Call, Churn};
///
/// let call = Call { between: Churn { fork: 3, exit: 1, ..Churn::NONE }, ..Call::QUIET };
/// assert_eq!(call.before, Churn::NONE);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Call {
    /// Between the previous call and this one.
    pub before: Churn,
    /// Inside the walk, at every boundary between two lock stripes (in
    /// [`Walk::Atomic`](super::Walk::Atomic) mode, once after the walk).
    /// Each is a point of the schedule (processes forked at the previous
    /// point finish forking there) unless it is [`Churn::NONE`].
    pub between: Churn,
    /// The call fails with this errno (after `before`), e.g. `EINTR` or
    /// `EFAULT`.
    pub fail: Option<Errno>,
}

impl Call {
    /// A call with no churn and no failure.
    pub const QUIET: Call = Call {
        before: Churn::NONE,
        between: Churn::NONE,
        fail: None,
    };

    /// A call that fails with `errno`.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Call, Errno};
    /// assert_eq!(Call::failing(Errno::EINTR).fail, Some(Errno::EINTR));
    /// ```
    pub const fn failing(errno: Errno) -> Call {
        Call {
            fail: Some(errno),
            ..Call::QUIET
        }
    }
}

impl Model {
    // ---- the schedule ---------------------------------------------------

    /// Queues what happens around the next call not yet scripted; each
    /// call (probe or fetch) consumes one entry.
    ///
    /// ```
    /// use pidquery::model::freebsd::{Call, Churn, Model};
    /// use pidquery::PidQuery;
    /// let mut model = Model::new();
    /// model.script(Call { before: Churn::fork(10), ..Call::QUIET });
    /// // Forked children are still `New` during the call that forked them.
    /// assert_eq!(model.probe(&PidQuery::all()).unwrap(), 2);
    /// assert_eq!(model.probe(&PidQuery::all()).unwrap(), 12);
    /// ```
    pub fn script(&mut self, call: Call) {
        self.script.push(call);
    }

    /// What happens around every call once the script is used up.
    ///
    /// ```
    /// use pidquery::model::freebsd::{Call, Churn, Model};
    /// use pidquery::PidQuery;
    /// let mut model = Model::new();
    /// model.on_every_call(Call { before: Churn::fork(1), ..Call::QUIET });
    /// model.probe(&PidQuery::all()).unwrap();
    /// model.probe(&PidQuery::all()).unwrap();
    /// assert_eq!(model.nprocs(), 3); // the second fork is still `New`
    /// ```
    pub fn on_every_call(&mut self, call: Call) {
        self.script.every(call);
    }

    /// Drops the remaining script and the every-call churn.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.script(pidquery::model::freebsd::Call::QUIET);
    /// model.clear_schedule();
    /// ```
    pub fn clear_schedule(&mut self) {
        self.script.clear(Call::QUIET);
    }

    /// Seeds the generator that picks churn's victims.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.seed(42);
    /// ```
    pub fn seed(&mut self, seed: u64) {
        self.rng = seed;
    }

    /// splitmix64.
    pub(super) fn random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A random index below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).unwrap_or(u64::MAX).max(1);
        usize::try_from(self.random() % n).unwrap_or(0)
    }

    /// A random live, non-system process other than pid 1 for which
    /// `eligible` holds; allocates nothing.
    fn victim(&mut self, eligible: impl Fn(&Model, &super::Proc) -> bool) -> Option<Pid> {
        let ok = |m: &Model, p: &super::Proc| {
            p.is_live() && !p.system && p.pid.as_raw() > 1 && eligible(m, p)
        };
        let n = self
            .slots
            .iter()
            .flatten()
            .filter(|s| ok(self, &s.proc))
            .count();
        if n == 0 {
            return None;
        }
        let k = self.below(n);
        self.slots
            .iter()
            .flatten()
            .filter(|s| ok(self, &s.proc))
            .nth(k)
            .map(|s| s.proc.pid)
    }

    /// One point of the schedule: a new epoch, `New` processes become
    /// `Normal`, then `churn`.
    ///
    /// ```
    /// use pidquery::model::freebsd::{Churn, Model};
    /// let mut model = Model::new();
    /// model.apply(Churn::fork(5));
    /// assert_eq!(model.nprocs(), 2); // forked, still `New`
    /// model.apply(Churn::NONE);
    /// assert_eq!(model.nprocs(), 7);
    /// ```
    pub fn apply(&mut self, churn: Churn) {
        self.epoch += 1;
        self.promote();
        let caller = self.caller;
        for _ in 0..churn.exit {
            match self.victim(|_, p| p.pid != caller) {
                Some(pid) => {
                    self.exit(pid);
                }
                None => break,
            }
        }
        for _ in 0..churn.reap {
            let n = self.zombproc.len();
            if n == 0 {
                break;
            }
            let k = self.below(n);
            let pid = self
                .zombproc
                .get(k)
                .and_then(|&i| self.slot(i))
                .map(|s| s.proc.pid);
            if let Some(pid) = pid {
                self.reap(pid);
            }
        }
        for _ in 0..churn.regroup {
            let Some(pid) = self.victim(|_, p| p.sid != p.pid) else {
                break;
            };
            let own = self.random() & 1 == 0;
            let target = if own {
                pid
            } else {
                let sid = self.get(pid).map(|p| p.sid);
                let groups = |m: &Model, q: &super::Proc| {
                    Some(q.sid) == sid && q.pgid != pid && m.find(q.pgid).is_some()
                };
                self.victim(groups)
                    .and_then(|q| self.get(q).map(|q| q.pgid))
                    .unwrap_or(pid)
            };
            self.setpgid(pid, target);
        }
        for _ in 0..churn.setsid {
            // Not leading its group (`setsid` itself refuses the rarer
            // case of a group that outlived its leader's membership).
            let Some(pid) = self.victim(|_, p| p.pgid != p.pid) else {
                break;
            };
            self.setsid(pid);
        }
        for _ in 0..churn.setuid {
            let Some(pid) = self.victim(|_, _| true) else {
                break;
            };
            let r = self.random();
            self.update(pid, |p| {
                p.uid = (r & 3) as u32;
                if r & 4 != 0 {
                    p.ruid = ((r >> 3) & 3) as u32;
                }
            });
        }
        for _ in 0..churn.fork {
            let Some(parent) = self
                .victim(|_, _| true)
                .or_else(|| Pid::from_raw(1).filter(|&p| self.get(p).is_some_and(|p| p.is_live())))
            else {
                break;
            };
            if self.fork(parent, State::New).is_none() {
                break;
            }
        }
    }

    /// Processes forked at the previous point finish forking.
    pub(super) fn promote(&mut self) {
        let mut pending = core::mem::take(&mut self.pending);
        for &i in &pending {
            if let Some(s) = self.slot_mut(i) {
                if s.proc.state == State::New {
                    s.proc.state = State::Normal;
                }
            }
        }
        pending.clear();
        self.pending = pending;
    }
}
