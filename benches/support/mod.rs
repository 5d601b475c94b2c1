//! Shared pieces of the benchmarks: the processes they query, the
//! bare-syscall floor, and the peers answering the same filters.

pub mod contest;
pub mod fixture;
pub mod floor;
pub mod peers;
