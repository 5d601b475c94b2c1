//! Zero allocations per query once warm, on the engine's xnu path (the
//! model stands in for libproc). A counting global allocator with
//! per-thread counters, so libtest's other threads cannot add phantom
//! allocations.
#![cfg(feature = "model")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pidquery::model::{Call, Churn, Model};
use pidquery::{Pid, PidBuf, PidQuery};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the slot may be gone while the thread is torn down.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (r, ALLOCS.with(Cell::get) - before)
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
