//! Waiting for the machine to reach a state: one polling loop with a
//! generous timeout, so that no test depends on timing.

use std::time::{Duration, Instant};

/// How long [`wait_until`] waits before failing the test. Generous: the
/// machine may be busy building.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// What a probe of [`wait_until`] returns: `Some(value)` or `true` once
/// the wait is over.
pub trait Ready {
    /// What the wait returns.
    type Value;
    /// `Some` once ready.
    fn ready(self) -> Option<Self::Value>;
}

impl<T> Ready for Option<T> {
    type Value = T;
    fn ready(self) -> Option<T> {
        self
    }
}

impl Ready for bool {
    type Value = ();
    fn ready(self) -> Option<()> {
        self.then_some(())
    }
}

/// Polls `probe` every few milliseconds until it returns `Some` (or
/// `true`), and returns that value; fails the test after [`TIMEOUT`],
/// naming `what`.
pub fn wait_until<R: Ready>(what: &str, probe: impl FnMut() -> R) -> R::Value {
    wait_until_within(what, TIMEOUT, probe)
}

/// As [`wait_until`], failing the test after `limit` instead.
pub fn wait_until_within<R: Ready>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> R,
) -> R::Value {
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(value) = probe().ready() {
            return value;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
