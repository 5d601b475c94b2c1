//! The watch merge (`pidquery::Changes`) against a naive oracle.
//!
//! The checks live in `tests/support/tree_checks/changes.rs`, shared with
//! `tests/fuzz_replay.rs`, which replays `fuzz/seeds/changes/` and
//! `fuzz/regressions/changes/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/tree_checks/changes.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check(data));
