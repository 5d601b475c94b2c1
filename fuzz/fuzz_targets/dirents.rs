//! `parse::Dirents` and `parse::pid_name` against a naive record walker.
//!
//! The checks live in `tests/support/parse_checks/dirents.rs`, shared with
//! `tests/fuzz_replay.rs`, which replays `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

// Each target uses only part of the cursor.
#[path = "../../tests/support/parse_checks/dirents.rs"]
mod check;
#[allow(dead_code)]
#[path = "../../tests/support/parse_checks/cursor.rs"]
mod cursor;

fuzz_target!(|data: &[u8]| check::check(data));
