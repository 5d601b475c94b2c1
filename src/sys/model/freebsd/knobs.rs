//! The model's settings: who the caller is, what it may see, how the
//! kernel walks and what it wires.

use super::{Model, Walk};
use crate::Pid;

impl Model {
    /// Makes `pid` the caller. False (and no change) if it does not exist.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// assert!(model.set_caller(Pid::ZERO));
    /// assert!(!model.set_caller(Pid::from_raw(777).unwrap()));
    /// ```
    pub fn set_caller(&mut self, pid: Pid) -> bool {
        let found = self.get(pid).is_some();
        if found {
            self.caller = pid;
        }
        found
    }

    /// `security.bsd.see_other_uids`, `see_other_gids` and `see_jail_proc`
    /// (all 1 at boot): with one at 0, an unprivileged caller does not see
    /// processes of another real uid, without a common real group, or in
    /// another jail.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.see_others(false, true, true);
    /// ```
    pub fn see_others(&mut self, uids: bool, gids: bool, jail_procs: bool) {
        self.see_other_uids = uids;
        self.see_other_gids = gids;
        self.see_jail_proc = jail_procs;
    }

    /// Puts the caller in capability mode (`cap_enter`): reading a
    /// `kern.proc` node with a buffer is `EPERM` (the nodes lack
    /// `CTLFLAG_CAPRD`); a NULL-buffer probe still answers.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.capability_mode(true);
    /// ```
    pub fn capability_mode(&mut self, on: bool) {
        self.capability_mode = on;
    }

    /// The most bytes `vslock` can wire for the caller
    /// (`vm.max_user_wired`); a larger buffer is not wired, so nothing is
    /// copied and a non-empty answer is `ENOMEM` with `*oldlenp` 0. `None`
    /// (the default): no limit.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.max_wired(Some(1 << 20));
    /// ```
    pub fn max_wired(&mut self, bytes: Option<usize>) {
        self.max_wired = bytes;
    }

    /// How list ops walk the table (default: [`Walk::Striped`]).
    ///
    /// ```
    /// use pidquery::model::freebsd::{Model, Walk};
    /// let mut model = Model::new();
    /// model.walk(Walk::Atomic);
    /// ```
    pub fn walk(&mut self, walk: Walk) {
        self.walk = walk;
    }

    /// Reserves room for `additional` more processes (slots, lists and the
    /// buckets they land in), so that churn applied later does not
    /// allocate (for allocation tests).
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// model.reserve(1000);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
        self.free.reserve(additional);
        self.allproc.reserve(additional);
        self.zombproc.reserve(additional);
        self.pending.reserve(additional);
        let per_bucket = additional / self.buckets.len().max(1) + 2;
        for b in &mut self.buckets {
            b.reserve(per_bucket);
        }
    }
}
