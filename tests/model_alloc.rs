//! Zero allocations per query once warm, on the engine's xnu path (the
//! model stands in for libproc), counted by the per-thread counting
//! allocator of `tests/support/alloc.rs`.
#![cfg(feature = "model")]

mod support;

use pidquery::model::{Call, Churn, Model};
use pidquery::{Pid, PidBuf, PidQuery};
use support::alloc::{measure, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the allocations and reallocations
/// it made on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (r, counts) = measure(f);
    (r, counts.takes())
}

fn every_query(model: &Model) -> Vec<PidQuery> {
    let some = model.live().nth(3).map_or(Pid::ZERO, |p| p.pid);
    vec![
        PidQuery::all(),
        PidQuery::pgrp(some),
        PidQuery::ppid(Pid::from_raw(1).unwrap()),
        PidQuery::uid(0),
        PidQuery::ruid(0),
        PidQuery::tty(pidquery::Dev::from_raw(1)),
    ]
}

#[test]
fn a_warm_fill_allocates_nothing_even_with_thousands_of_processes() {
    let mut model = Model::new();
    model.apply(Churn::spawn(5000));
    let queries = every_query(&model);
    let mut buf = PidBuf::new();
    // Warm-up: grows the buffer, and the thread-local slot the model uses.
    for q in &queries {
        model.fill(q, &mut buf).unwrap();
    }
    for q in &queries {
        let (n, allocs) = allocations(|| model.fill(q, &mut buf).map(|p| p.len()));
        assert!(n.unwrap() > 0 || *q != PidQuery::all());
        assert_eq!(allocs, 0, "{q:?} allocated");
    }
}

#[test]
fn slices_and_probes_never_allocate() {
    let mut model = Model::new();
    model.apply(Churn::spawn(300));
    let mut out = vec![Pid::ZERO; 400];
    model.fill_slice(&PidQuery::all(), &mut out).unwrap(); // warm the slot
    let (n, allocs) = allocations(|| model.fill_slice(&PidQuery::all(), &mut out));
    assert_eq!((n.unwrap(), allocs), (302, 0));
    let (err, allocs) = allocations(|| model.fill_slice(&PidQuery::all(), &mut out[..10]));
    assert!(err.is_err());
    assert_eq!(allocs, 0);
    let (est, allocs) = allocations(|| model.probe(&PidQuery::all()));
    assert_eq!((est.unwrap(), allocs), (322, 0));
}

#[test]
fn a_warm_buffer_under_small_races_allocates_nothing() {
    // Races the buffer's headroom absorbs: deaths and reaps between calls
    // (the model's own table is reserved so that only the engine counts).
    let mut model = Model::new();
    model.apply(Churn::spawn(1000));
    model.reserve(100);
    let mut buf = PidBuf::new();
    model.fill(&PidQuery::all(), &mut buf).unwrap();
    model.fill(&PidQuery::all(), &mut buf).unwrap();
    for _ in 0..20 {
        model.script(Call {
            before: Churn {
                exit: 2,
                reap: 1,
                ..Churn::NONE
            },
            ..Call::QUIET
        });
    }
    let mut total = 0;
    for _ in 0..20 {
        let (r, allocs) = allocations(|| model.fill(&PidQuery::uid(0), &mut buf).map(|p| p.len()));
        assert!(r.unwrap() > 900);
        total += allocs;
    }
    assert_eq!(total, 0);
}
