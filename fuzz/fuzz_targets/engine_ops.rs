//! The engine against the xnu model: bytes are a sequence of operations
//! (spawn, exit whole or into the exit window, reap, trace, change a
//! process, script fork races and errors, run a query), every query
//! checked against a naive oracle by `check_ops` in
//! `tests/support/model_check.rs`, the same function `tests/fuzz_replay.rs`
//! runs on `fuzz/seeds/engine_ops/` and
//! `fuzz/regressions/engine_ops/` under `cargo test --features model`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[macro_use]
#[path = "../../tests/support/ops_check.rs"]
mod ops_check;
#[path = "../../tests/support/model_check.rs"]
mod model_check;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = model_check::check_ops(data) {
        panic!("{violation}");
    }
});
