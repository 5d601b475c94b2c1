//! The engine against the FreeBSD model: bytes are a sequence of
//! operations (fork, exit, reap, setpgid, setsid, credentials, terminals,
//! jails and visibility, churn between the walk's lock stripes, injected
//! errors, wiring limits, queries, raw `sysctl` calls), every result
//! checked by `check_ops` in `tests/support/freebsd_check.rs`, the same
//! function `tests/fuzz_replay.rs` runs on `fuzz/seeds/freebsd_ops/` and
//! `fuzz/regressions/freebsd_ops/` under `cargo test --features model`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[macro_use]
#[path = "../../tests/support/ops_check.rs"]
mod ops_check;
#[path = "../../tests/support/freebsd_check.rs"]
mod freebsd_check;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = freebsd_check::check_ops(data) {
        panic!("{violation}");
    }
});
