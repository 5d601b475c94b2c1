//! What each call saw: [`Observation`]s and the [`View`]s of the table they
//! hold, recorded on demand.

use core::ffi::c_int;

use super::table::Slot;
use super::{Model, Proc, State};
use crate::{Errno, Pid};

/// One process as the kernel would have reported it to the caller at one
/// instant: the fields a listing filters on, and whether the caller could
/// see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// The pid.
    pub pid: Pid,
    /// A unique identity: pids are reused, serials never.
    pub serial: u64,
    /// Its state (never `New`: those are not walked).
    pub state: State,
    /// `p_cansee` for the caller.
    pub visible: bool,
    /// Changed by the schedule while the call's walk ran (its attributes,
    /// its state, or its parent's exit): a listing may report it either
    /// way.
    pub changed: bool,
    /// `ki_ppid`.
    pub ppid: Pid,
    /// `ki_pgid`.
    pub pgid: Pid,
    /// `ki_sid`.
    pub sid: Pid,
    /// `ki_tdev` (`NODEV` without a controlling terminal).
    pub tdev: u64,
    /// `KI_CTTY`: the session still holds its terminal.
    pub held: bool,
    /// `ki_uid`.
    pub uid: u32,
    /// `ki_ruid`.
    pub ruid: u32,
    /// `ki_numthreads`.
    pub threads: u32,
}

/// One `sysctl` call as the model served it, recorded when
/// [`Model::record`] is on.
///
/// `before` and `after` are the table when the walk began and when it
/// ended, in pid order; both are empty for a call that failed before
/// walking. Between them the schedule's [`Call::between`](super::Call)
/// churn ran at every stripe boundary the walk crossed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The mib.
    pub mib: Vec<c_int>,
    /// The buffer's length; `None` for a NULL buffer.
    pub oldlen: Option<usize>,
    /// `Ok(*oldlenp)` on success; the errno otherwise.
    pub result: Result<usize, Errno>,
    /// `*oldlenp` as the call left it (also set on `ENOMEM`); `None` when
    /// the call did not write it.
    pub oldlen_out: Option<usize>,
    /// Records the walk produced (including any that did not fit).
    pub records: usize,
    /// Lock stripes the walk visited (it stops at the first that
    /// overflows the buffer).
    pub stripes: usize,
    /// The table when the walk began.
    pub before: Vec<View>,
    /// The table when the walk ended.
    pub after: Vec<View>,
    /// Pids forked during the walk, or still being forked (`New`) when it
    /// began: a listing may report them either way.
    pub born: Vec<Pid>,
}

impl Observation {
    /// The processes present for the whole walk and untouched by the
    /// schedule during it, as `after` holds them: the ones a listing must
    /// report exactly as they are.
    ///
    /// ```
    /// use pidquery::model::freebsd::Model;
    /// use pidquery::PidQuery;
    ///
    /// let mut model = Model::new();
    /// model.record(true);
    /// model.fill(&PidQuery::all(), &mut pidquery::PidBuf::new()).unwrap();
    /// let last = model.observations().last().unwrap();
    /// assert_eq!(last.stable().count(), 2);
    /// ```
    pub fn stable(&self) -> impl Iterator<Item = &View> + '_ {
        self.after.iter().filter(|a| {
            !a.changed
                && self
                    .before
                    .iter()
                    .any(|b| b.serial == a.serial && !b.changed)
        })
    }

    /// True when the call copied records into a buffer and succeeded.
    ///
    /// ```
    /// use pidquery::model::freebsd::Model;
    /// let mut model = Model::new();
    /// model.record(true);
    /// model.probe(&pidquery::PidQuery::all()).unwrap();
    /// assert!(!model.observations()[0].fetched());
    /// ```
    pub fn fetched(&self) -> bool {
        self.oldlen.is_some() && self.result.is_ok()
    }
}

impl Model {
    /// Records every call as an [`Observation`] (off by default; recording
    /// copies the table, so it allocates).
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
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
    /// assert!(pidquery::model::freebsd::Model::new().observations().is_empty());
    /// ```
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Forgets the recorded calls.
    ///
    /// ```
    /// pidquery::model::freebsd::Model::new().clear_observations();
    /// ```
    pub fn clear_observations(&mut self) {
        self.observations.clear();
    }

    /// How many `sysctl` calls this model has served.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.probe(&pidquery::PidQuery::all()).unwrap();
    /// assert_eq!(model.calls(), 1);
    /// ```
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// The table as `caller` sees it now, in pid order; `since` is the
    /// epoch the walk began in (changes after it mark a view `changed`).
    pub(super) fn views(&self, caller: Option<&Proc>, since: u64) -> Vec<View> {
        let mut views: Vec<View> = self
            .slots
            .iter()
            .flatten()
            .filter(|s| s.proc.state != State::New)
            .map(|s| self.view(s, caller, since))
            .collect();
        views.sort_by_key(|v| v.pid);
        views
    }

    fn view(&self, s: &Slot, caller: Option<&Proc>, since: u64) -> View {
        let p = &s.proc;
        View {
            pid: p.pid,
            serial: s.serial,
            state: p.state,
            visible: self.visible(caller, p),
            changed: s.changed > since,
            ppid: if p.pid.as_raw() == 0 {
                Pid::ZERO
            } else {
                p.ppid
            },
            pgid: p.pgid,
            sid: p.sid,
            tdev: self.tty_fields(p).tdev,
            held: self.terminal(p.sid).is_some_and(|t| t.held),
            uid: p.uid,
            ruid: p.ruid,
            threads: p.threads.max(1),
        }
    }
}
