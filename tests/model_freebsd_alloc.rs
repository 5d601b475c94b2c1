//! Zero allocations per query once warm, on the engine's FreeBSD path (the
//! model stands in for libc's `sysctl`), counted by the per-thread
//! counting allocator of `tests/support/alloc.rs`. The model keeps the
//! backend's record scratch between fills, as the live backend does.
#![cfg(feature = "model")]

mod support;

use pidquery::model::freebsd::{Call, Churn, Model, Pidhash};
use pidquery::{Dev, Pid, PidBuf, PidQuery};
use support::alloc::{measure, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the allocations and reallocations
/// it made on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (r, counts) = measure(f);
    (r, counts.takes())
}

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

/// 5000 processes: a session on a terminal (one beyond a non-negative
/// int, so `tty` takes the whole-table path), groups, uids apart.
fn big_model() -> (Model, Vec<PidQuery>) {
    let mut model = Model::with_pidhash(Pidhash::for_maxproc(16384));
    let sh = model.spawn(pid(1)).unwrap();
    model.setsid(sh);
    model.acquire_terminal(sh, Some(0x9000_0001));
    for i in 0..5000 {
        let parent = if i % 3 == 0 { sh } else { pid(1) };
        let c = model.spawn(parent).unwrap();
        model.update(c, |p| p.ruid = (i % 4) as u32);
    }
    let queries = vec![
        PidQuery::all(),
        PidQuery::pgrp(sh),
        PidQuery::ppid(sh),
        PidQuery::ppid(pid(1)),
        PidQuery::uid(0),
        PidQuery::ruid(2),
        PidQuery::tty(Dev::from_raw(0x9000_0001)),
        PidQuery::tty(Dev::from_raw(0x5d)),
        // One table fetch, linked in the scratch's reused storage.
        PidQuery::descendants(sh),
        PidQuery::descendants(pid(1)),
    ];
    (model, queries)
}

#[test]
fn a_warm_fill_allocates_nothing_with_thousands_of_processes() {
    let (mut model, queries) = big_model();
    let mut buf = PidBuf::new();
    // Warm-up: grows the buffer, the record scratch and the thread-local
    // slot the model uses.
    for q in &queries {
        model.fill(q, &mut buf).unwrap();
    }
    for q in &queries {
        let (n, allocs) = allocations(|| model.fill(q, &mut buf).map(|p| p.len()));
        let n = n.unwrap();
        assert!(n > 0 || *q == PidQuery::tty(Dev::from_raw(0x5d)), "{q:?}");
        assert_eq!(allocs, 0, "{q:?} allocated");
    }
}

#[test]
fn slices_and_probes_never_allocate_once_the_scratch_is_warm() {
    let (mut model, queries) = big_model();
    let mut out = vec![Pid::ZERO; 6000];
    for q in &queries {
        model.fill_slice(q, &mut out).unwrap(); // warm
    }
    for q in &queries {
        let (n, allocs) = allocations(|| model.fill_slice(q, &mut out));
        n.unwrap();
        assert_eq!(allocs, 0, "{q:?}");
        let (err, allocs) = allocations(|| model.fill_slice(q, &mut out[..1]));
        assert!(err.is_err() || q.filter() != pidquery::Filter::All);
        assert_eq!(allocs, 0, "{q:?} into one slot");
        let (est, allocs) = allocations(|| model.probe(q));
        assert!(est.unwrap() <= model.nprocs());
        assert_eq!(allocs, 0, "probe {q:?}");
    }
}

#[test]
fn a_warm_fill_under_races_between_stripes_allocates_nothing() {
    // Forks, exits, reaps, group and uid changes between every two lock
    // stripes; the model's own table is reserved so that only the engine
    // counts.
    let (mut model, queries) = big_model();
    model.reserve(20_000);
    let mut buf = PidBuf::new();
    for q in &queries {
        model.fill(q, &mut buf).unwrap();
    }
    model.on_every_call(Call {
        between: Churn {
            fork: 1,
            exit: 1,
            reap: 1,
            regroup: 1,
            setsid: 0,
            setuid: 1,
        },
        ..Call::QUIET
    });
    let mut total = 0;
    for _ in 0..5 {
        for q in &queries {
            let (r, allocs) = allocations(|| model.fill(q, &mut buf).map(|p| p.len()));
            r.unwrap();
            total += allocs;
        }
    }
    assert_eq!(total, 0);
}
