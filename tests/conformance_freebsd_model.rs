//! The conformance suite (`tests/conformance/`) on the FreeBSD model:
//! scenarios written into a `pidquery::model::freebsd::Model`, answers
//! through the FreeBSD engine, a naive table filter as oracle.

#![cfg(feature = "model")]

mod support;
#[macro_use]
mod conformance;
#[path = "conformance/freebsd.rs"]
mod freebsd;

conformance_suite!(freebsd::FreeBsd::new());
