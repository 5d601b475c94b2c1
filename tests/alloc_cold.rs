//! Zero heap allocation for a one-shot iteration on Linux, even cold: the
//! first query of this process (which opens `/proc`) and the first of each
//! filter, counted by the allocator of `tests/support/alloc.rs`.
//!
//! One test only, so that nothing else in this binary opens `/proc` first.

#![cfg(target_os = "linux")]

mod support;

use pidquery::{Pid, PidQuery};
use support::alloc::{measure, Counting, Counts};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_one_shot_iteration_allocates_nothing_even_cold() {
    let me = Pid::this();

    // The first query of the process: opens the live /proc too.
    let (found, counts) = measure(|| {
        PidQuery::all()
            .iter()
            .map(|mut pids| pids.find(|p| p.as_ref().is_ok_and(|&p| p == me)))
    });
    assert!(matches!(found, Ok(Some(Ok(p))) if p == me), "{found:?}");
    assert_eq!(
        counts,
        Counts::ZERO,
        "the first iter().find(..) used the heap"
    );

    // The first query of every other filter, stopping at its first match.
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let uid = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    for query in [
        PidQuery::uid(uid),
        PidQuery::uid(0),
        PidQuery::ruid(uid),
        PidQuery::ppid(me),
        PidQuery::ppid(Pid::ZERO),
        PidQuery::pgrp(Pid::from_raw(1).unwrap()),
        PidQuery::descendants(me),
    ] {
        let (first, counts) = measure(|| query.iter().map(|mut pids| pids.next()));
        let first = first.unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert!(matches!(first, Some(Ok(_)) | None), "{query:?}: {first:?}");
        assert_eq!(
            counts,
            Counts::ZERO,
            "{query:?}: the first iter().next() used the heap"
        );
    }
    // The child is found by its parent, and nothing was allocated for it.
    let kid = Pid::from(&child);
    let (found, counts) = measure(|| {
        PidQuery::ppid(me)
            .iter()
            .map(|mut pids| pids.any(|p| p.is_ok_and(|p| p == kid)))
    });
    assert_eq!(found.ok(), Some(true));
    assert_eq!(counts, Counts::ZERO);
    child.kill().unwrap();
    child.wait().unwrap();
}
