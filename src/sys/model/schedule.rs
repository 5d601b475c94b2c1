//! Race schedules: what happens around each `proc_listpids` call.

use super::Model;
use crate::{Errno, Pid};

/// Processes born, exiting and reaped at one point of a schedule.
///
/// Applied in this order: `exit` of the newest live processes (never pid 0
/// or 1), `reap` of the most recently exited zombies (by their parents,
/// [`Model::reap`]), `spawn` of children of `parent`.
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
    /// Live processes that exit, newest first (never pid 0 or 1): zombies,
    /// or gone at once as orphans of launchd's ([`Model::exit`]).
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

impl Model {
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
        self.script.push(call);
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
        self.script.every(call);
    }

    /// Drops the remaining scripts (of `proc_listpids` and of the
    /// per-process calls) and the every-call churn of both.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// model.script(pidquery::model::Call::QUIET);
    /// model.clear_schedule();
    /// ```
    pub fn clear_schedule(&mut self) {
        self.script.clear(Call::QUIET);
        self.info_script.clear(super::InfoCall::QUIET);
    }

    /// A sandbox (MAC policy) that denies every call with `errno`, or
    /// `None` to allow: `proc_listpids` before anything else, the
    /// per-process calls after their pid lookup (as `proc_security_policy`
    /// runs), exempt flavors included.
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
}
