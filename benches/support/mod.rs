//! Shared pieces of the benchmarks: the processes they query, the
//! bare-syscall floor, and the peers answering the same filters (one at a
//! time, or combined).
//!
//! Each bench uses part of it.

#![allow(dead_code)]

pub mod combined;
pub mod contest;
pub mod fixture;
pub mod floor;
pub mod peers;
