//! What each call saw: [`Observation`]s, recorded on demand.

use super::{Model, Proc};
use crate::sys::xnu::consts as xnu;
use crate::Errno;

/// One `proc_listpids` call as the model served it, recorded when
/// [`Model::record`] is on.
///
/// `live` and `zombies` are the table at the instant of the walk (after
/// [`Call::during`](super::Call::during)), each in the kernel's walk order; both are empty for a
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

impl Model {
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

    pub(super) fn observe(
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
