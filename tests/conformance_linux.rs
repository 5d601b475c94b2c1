//! The conformance suite (`tests/conformance/`) on the live Linux backend:
//! processes spawned by the tests, answers from `/proc`, `ps` as oracle.

#![cfg(target_os = "linux")]

mod support;
#[macro_use]
mod conformance;
#[path = "conformance/linux.rs"]
mod linux;

conformance_suite!(linux::Live::new());
