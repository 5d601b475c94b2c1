//! `tests/support/parse_checks/stat_record.rs` on fuzz input: the parser against a
//! naive reader, on raw bytes and on kernel text built from fuzz-chosen
//! values.
//!
//! The checks are shared with `tests/fuzz_replay.rs`, which replays
//! `fuzz/seeds/stat_record/` and `fuzz/regressions/stat_record/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/parse_checks/stat_record.rs"]
mod check;
// Each target uses only part of the cursor.
#[allow(dead_code)]
#[path = "../../tests/support/parse_checks/cursor.rs"]
mod cursor;

fuzz_target!(|data: &[u8]| check::check(data));
