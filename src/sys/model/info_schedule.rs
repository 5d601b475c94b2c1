//! The schedule of per-process calls: what happens to a process around
//! each `proc_pidinfo`, `proc_pidpath` or `proc_name` call ([`Burst`],
//! [`InfoCall`]), and the MAC denials of single flavors.

use super::Model;
use crate::sys::xnu::consts as xnu;
use crate::{Errno, Pid};

/// What happens to one process at one point of a per-process call.
///
/// Applied in this order: `fds` descriptors opened (vnodes, at the lowest
/// free numbers), `threads` threads started, then, if set, the process
/// begins to exit ([`Model::begin_exit`]), finishes its exit
/// ([`Model::finish_exit`]), then is reaped.
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
    /// It begins to exit and stays in the exit window, in `zombproc`
    /// but not yet `SZOMB` (see [`Model::begin_exit`]).
    pub exiting: bool,
    /// It exits (becomes a zombie, or is reaped by the kernel at once as an
    /// orphan of launchd's).
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
        exiting: false,
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

    /// `pid` begins to exit and stops in the window.
    ///
    /// ```
    /// assert!(pidquery::model::Burst::exiting(pidquery::Pid::ZERO).exiting);
    /// ```
    pub const fn exiting(pid: Pid) -> Burst {
        Burst {
            pid,
            exiting: true,
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
        self.info_script.push(call);
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
        self.info_script.every(call);
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
        if burst.exiting || burst.exit {
            self.begin_exit(burst.pid);
        }
        if burst.exit {
            self.finish_exit(burst.pid);
        }
        if burst.reap {
            self.reap(burst.pid);
        }
    }
}
