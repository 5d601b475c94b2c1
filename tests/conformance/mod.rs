//! One conformance suite for every backend: the cases are written once,
//! against the small [`Backend`] trait, and each backend runs all of them
//! with [`conformance_suite!`].
//!
//! A [`Scenario`] describes processes without saying how to make them:
//! pieces ([`Piece`]) that expand into [`Spec`]s (parent, own process group
//! or not, controlling terminal, uids, zombie, forged name). A backend
//! realizes it — the live Linux backend by spawning processes with the
//! fixtures of `tests/support`, the xnu model by writing them into a
//! `Model`'s table — and returns the pids; [`Staged`] then resolves what
//! each process should be ([`Member`]) from the spec alone. The cases ask
//! every filter and compare:
//!
//! - the backend's answer with the scenario (exactly, for arguments only
//!   the scenario uses: its processes as parents or groups, its terminals);
//! - the backend's oracle (`ps` live, the naive table filter on the model)
//!   with the scenario, so that a wrong fixture is told apart from a wrong
//!   answer;
//! - the answer's shape with what the backend [promises](Promises).
//!
//! Include it with `#[macro_use] mod conformance;` after `mod support;`,
//! and the backend with `#[path = "conformance/<backend>.rs"]`.
//!
//! This file holds the macro, the [`Backend`] trait and its [`Promises`];
//! `scenario.rs` the scenarios, `checks.rs` the checks the cases share,
//! `cases.rs` the cases.

use std::collections::BTreeSet;

use pidquery::{Error, Pid, PidBuf, PidQuery};

/// Expands one `#[test]` per conformance case, each running it on a fresh
/// backend made by `$backend` (an expression, evaluated once per test).
macro_rules! conformance_suite {
    ($backend:expr) => {
        conformance_suite!(@cases $backend;
            every_filter_finds_exactly_the_matching_members,
            zombies_are_listed_by_all_ppid_and_pgrp,
            a_controlling_pty_is_found_by_tty,
            a_pty_numbered_256_or_more_is_found,
            forged_names_fool_neither_ppid_nor_pgrp,
            uid_is_effective_and_ruid_is_real,
            empty_answers_are_ok_and_fit_an_empty_slice,
            a_short_slice_is_truncated_never_a_short_list,
            reaped_children_are_no_longer_listed,
        );
    };
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let mut backend = $backend;
                crate::conformance::$case(&mut backend);
            }
        )*
    };
}

/// What a backend guarantees beyond the filters themselves.
#[derive(Copy, Clone, Debug)]
pub struct Promises {
    /// Answers are strictly ascending (Linux); otherwise they are compared
    /// as sets (xnu walks its table newest first).
    pub ascending: bool,
    /// A slice exactly the size of the answer is enough (Linux); xnu cannot
    /// tell a full buffer from a truncated one and asks for more.
    pub exact_fit: bool,
    /// Processes outside the scenario come and go while a case runs (a live
    /// machine), so only the scenario's own processes, and arguments only
    /// the scenario uses, are compared exactly. Without churn (a model)
    /// every answer must equal the oracle's as a whole.
    pub churn: bool,
}

/// A backend the cases run on.
pub trait Backend {
    /// Its name, in messages.
    fn name(&self) -> &'static str;
    /// What it guarantees.
    fn promises(&self) -> Promises;
    /// Realizes `scenario`: one pid per [`Scenario::specs`] entry, in that
    /// order, and one [`Terminal`] per [`Piece::Pty`], in order. The
    /// backend keeps the processes alive until it is dropped. `Err` is the
    /// reason it cannot (the case is then skipped, saying so).
    fn stage(&mut self, scenario: &Scenario) -> Result<Staged, String>;
    /// Ends `pid`, a staged child of the test without children of its own
    /// (a sleeper or a zombie), and reaps it.
    fn reap(&mut self, pid: Pid);
    /// Runs `q` into the reusable `buf`.
    fn fill(&mut self, q: &PidQuery, buf: &mut PidBuf) -> Result<Vec<Pid>, Error>;
    /// Runs `q` into `out`.
    fn fill_slice(&mut self, q: &PidQuery, out: &mut [Pid]) -> Result<usize, Error>;
    /// What an independent reading of the same system says `q` matches.
    fn oracle(&mut self, q: &PidQuery) -> BTreeSet<Pid>;
}

mod cases;
mod checks;
mod scenario;

pub use cases::*;
pub use scenario::*;
