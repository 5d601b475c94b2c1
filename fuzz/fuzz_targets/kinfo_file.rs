//! `parse::kinfo_files` (FreeBSD's packed `kinfo_file` records of
//! `kern.proc.filedesc`) against a naive reader, on raw bytes and on
//! records built from fuzz-chosen fields.
//!
//! The checks live in `tests/support/parse_checks/kinfo_file.rs`, shared
//! with `tests/fuzz_replay.rs`, which replays `fuzz/seeds/<target>/` and
//! `fuzz/regressions/<target>/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

// Each target uses only part of the cursor.
#[path = "../../tests/support/parse_checks/kinfo_file.rs"]
mod check;
#[allow(dead_code)]
#[path = "../../tests/support/parse_checks/cursor.rs"]
mod cursor;

fuzz_target!(|data: &[u8]| check::check(data));
