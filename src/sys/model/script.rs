//! The queue of a race schedule, written once for every model and every
//! kind of call (xnu's `proc_listpids` and per-process calls, FreeBSD's
//! `sysctl`): scripted entries, consumed one per call, then the every-call
//! entry. What an entry holds is each kernel's own (`schedule.rs`,
//! `info_schedule.rs`, `freebsd/schedule.rs`).

use std::collections::VecDeque;

/// What happens around the coming calls of one kind.
#[derive(Clone, Debug)]
pub(super) struct Script<C> {
    /// Entries for the next calls, in order.
    queued: VecDeque<C>,
    /// The entry of every call once `queued` is used up.
    every: C,
}

impl<C: Copy> Script<C> {
    /// Nothing queued; `quiet` around every call.
    pub(super) const fn new(quiet: C) -> Self {
        Script {
            queued: VecDeque::new(),
            every: quiet,
        }
    }

    /// Queues `call` for the next call not yet scripted.
    pub(super) fn push(&mut self, call: C) {
        self.queued.push_back(call);
    }

    /// What happens around every call once the queue is used up.
    pub(super) fn every(&mut self, call: C) {
        self.every = call;
    }

    /// Drops the queue, and `quiet` around every call.
    pub(super) fn clear(&mut self, quiet: C) {
        self.queued.clear();
        self.every = quiet;
    }

    /// The entry of the call being made.
    pub(super) fn next(&mut self) -> C {
        self.queued.pop_front().unwrap_or(self.every)
    }
}
