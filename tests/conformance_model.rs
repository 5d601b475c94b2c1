//! The conformance suite (`tests/conformance/`) on the xnu model: scenarios
//! written into a `pidquery::model::Model`, answers through the macOS
//! engine, the naive table filter as oracle.

#![cfg(feature = "model")]

mod support;
#[macro_use]
mod conformance;
#[path = "conformance/xnu.rs"]
mod xnu;

conformance_suite!(xnu::Xnu::new());
