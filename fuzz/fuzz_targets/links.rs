//! The subtree linking (`pidquery::links`) against a naive oracle.
//!
//! The checks live in `tests/support/tree_checks/links.rs`, shared with
//! `tests/fuzz_replay.rs`, which replays `fuzz/seeds/links/` and
//! `fuzz/regressions/links/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/tree_checks/links.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check(data));
