//! Naive reference implementations of the parsers in `pidquery::parse`, and
//! the checks that hold the parsers to them.
//!
//! Shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`, which include one
//! file each with `#[path]`) and by `tests/fuzz_replay.rs`, which replays
//! the checked-in seeds and every minimized crash through the same checks
//! under plain `cargo test`.
//!
//! Each module's `check` takes one raw fuzz input and panics on any
//! disagreement. For `dirents`, `kinfo`, `stat` and `status` the first
//! byte picks a mode: even feeds the rest to the parser as kernel bytes and
//! compares with the reference; odd builds well-formed kernel output from
//! fuzz-chosen values (optionally cut short) and asserts the parser returns
//! exactly those values, or `None`/an error exactly when the cut demands it.

pub mod cursor;
pub mod dirents;
pub mod kinfo;
pub mod kinfo_file;
pub mod pid_list;
pub mod pid_path;
pub mod proc_stat;
pub mod stat;
pub mod stat_record;
pub mod status;
pub mod status_ids;
