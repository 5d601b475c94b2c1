//! The checks of the fuzz targets over the subtree linking and the watch
//! merge, against naive oracles; shared by `fuzz/fuzz_targets/` and
//! `tests/fuzz_replay.rs`.

pub mod changes;
pub mod links;
