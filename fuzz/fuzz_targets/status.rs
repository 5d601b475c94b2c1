//! `parse::status_uids` against a naive reader, on raw bytes and on status
//! files built with a fuzz-chosen (possibly forging) task name.
//!
//! The checks live in `tests/support/parse_checks/status.rs`, shared with
//! `tests/fuzz_replay.rs`, which replays `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

// Each target uses only part of the cursor.
#[path = "../../tests/support/parse_checks/status.rs"]
mod check;
#[allow(dead_code)]
#[path = "../../tests/support/parse_checks/cursor.rs"]
mod cursor;

fuzz_target!(|data: &[u8]| check::check(data));
