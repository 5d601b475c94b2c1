//! Zero heap allocation per query in steady state, proved with a counting
//! global allocator.
//!
//! The counters are per thread (`thread_local!` with `const` cells): libtest
//! runs tests and its own bookkeeping on several threads, and a global
//! counter would charge their allocations to the query being measured.

#![cfg(target_os = "linux")]

mod support;

use pidquery::{Pid, PidBuf, PidQuery, System, INLINE_PIDS};
use support::alloc::{measure, Counting, Counts};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Queries per flavor with `fill`, the main way; the other ways run
/// [`OTHER_ROUNDS`] each. The machine may hold thousands of processes,
/// and a filtered query reads a file of each.
const ROUNDS: usize = 300;
/// Queries per flavor with `fill_slice`, an explicit `System` and `probe`.
const OTHER_ROUNDS: usize = 100;

/// What [`run_rounds`] saw: the smallest answer and the first error.
struct Rounds {
    min_len: usize,
    error: Option<pidquery::Error>,
}

/// Runs `query_once` `times` times; it returns the answer's length.
/// Nothing in here allocates unless the query does.
fn run_rounds(
    times: usize,
    mut query_once: impl FnMut() -> Result<usize, pidquery::Error>,
) -> Rounds {
    let mut rounds = Rounds {
        min_len: usize::MAX,
        error: None,
    };
    for _ in 0..times {
        match query_once() {
            Ok(n) => rounds.min_len = rounds.min_len.min(n),
            Err(e) => {
                rounds.error.get_or_insert(e);
            }
        }
    }
    rounds
}

#[test]
fn the_counters_see_this_threads_heap_calls() {
    // Without this, a broken counter would "prove" zero allocations.
    let (v, counts) = measure(|| {
        let mut v = std::hint::black_box(Vec::<u64>::with_capacity(4));
        v.extend([1, 2, 3, 4, 5]);
        v
    });
    assert_eq!((counts.allocs, counts.reallocs, counts.deallocs), (1, 1, 0));
    let ((), counts) = measure(|| drop(v));
    assert_eq!(counts.deallocs, 1);
    // Another thread's heap calls are not charged to this one.
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            barrier.wait();
            for i in 0..1000u32 {
                drop(std::hint::black_box(Box::new(i)));
            }
            barrier.wait();
        });
        let ((), counts) = measure(|| {
            barrier.wait();
            barrier.wait();
        });
        assert_eq!(counts, Counts::ZERO);
    });
}

#[test]
fn every_flavor_allocates_nothing_per_query_after_warm_up() {
    // Give every filter a non-empty answer: a process group of three, our
    // own children, a pty session.
    let family = support::family(2, true);
    let pty = support::pty_session();
    let me = support::ps()[&Pid::this()].clone();
    let leader = family.leader.pid();

    let mut flavors = vec![
        ("all", PidQuery::all(), 2),
        ("pgrp", PidQuery::pgrp(leader), 3),
        ("ppid", PidQuery::ppid(Pid::this()), 1),
        ("ppid (leader)", PidQuery::ppid(leader), 2),
        ("descendants (leader)", PidQuery::descendants(leader), 2),
        ("uid", PidQuery::uid(me.uid), 1),
        ("ruid", PidQuery::ruid(me.ruid), 1),
    ];
    match &pty {
        Some(pty) => flavors.push(("tty", PidQuery::tty_path(&pty.tty).unwrap(), 2)),
        None => support::skip("tty flavor", "`script` is not installed"),
    }

    let explicit = System::open("/proc").unwrap();
    for (name, query, at_least) in flavors {
        // The working size: thousands of processes do not fit inline, and
        // the process table may grow while the test runs (a fork storm
        // nearby). No answer can hold more pids than `pid_max`, so a buffer
        // that large never has to grow.
        let room = support::pid_max().max(query.probe().unwrap());
        let mut buf = PidBuf::with_capacity(room);
        let mut slots = vec![Pid::ZERO; room];
        let (_, warm_up) = measure(|| {
            for _ in 0..3 {
                query.fill(&mut buf).unwrap();
                query.fill_slice(&mut slots).unwrap();
                explicit.fill(&query, &mut buf).unwrap();
                query.probe().unwrap();
            }
        });

        let (fill, fill_counts) =
            measure(|| run_rounds(ROUNDS, || query.fill(&mut buf).map(<[Pid]>::len)));
        let (slice, slice_counts) =
            measure(|| run_rounds(OTHER_ROUNDS, || query.fill_slice(&mut slots)));
        let (open, open_counts) = measure(|| {
            run_rounds(OTHER_ROUNDS, || {
                explicit.fill(&query, &mut buf).map(<[Pid]>::len)
            })
        });
        let (probe, probe_counts) = measure(|| run_rounds(ROUNDS, || query.probe()));
        // One-shot iteration: on Linux the scan itself, streamed.
        let ((streamed, found), stream_counts) = measure(|| {
            let mut streamed = 0usize;
            let mut found = 0usize;
            for _ in 0..OTHER_ROUNDS {
                for pid in query.iter().unwrap() {
                    pid.unwrap();
                    streamed += 1;
                }
                // An early exit at the first match.
                found += usize::from(query.iter().unwrap().next().is_some());
            }
            (streamed, found)
        });
        assert!(
            streamed >= OTHER_ROUNDS * at_least,
            "{name}: streamed {streamed}"
        );
        assert_eq!(found, OTHER_ROUNDS, "{name}: an early exit found nothing");
        // Iteration over a filled buffer.
        query.fill(&mut buf).unwrap();
        let (iterated, iter_counts) = measure(|| {
            let mut seen = 0usize;
            for _ in 0..ROUNDS {
                let mut last = None;
                for pid in &buf {
                    assert!(last < Some(pid));
                    last = Some(pid);
                    seen += 1;
                }
                seen += buf.iter().rev().count();
            }
            seen
        });

        for p in family.members() {
            let state = support::state(p);
            assert!(
                state.is_some_and(|s| s != b'Z'),
                "fixture {p} died: {state:?}"
            );
        }
        for (how, rounds) in [
            ("fill", &fill),
            ("fill_slice", &slice),
            ("System::open(\"/proc\").fill", &open),
            ("probe", &probe),
        ] {
            assert!(rounds.error.is_none(), "{name} {how}: {:?}", rounds.error);
            if how != "probe" {
                assert!(
                    rounds.min_len >= at_least,
                    "{name} {how}: answers of {} pids, wanted at least {at_least}",
                    rounds.min_len
                );
            }
        }
        assert_eq!(iterated, 2 * ROUNDS * buf.len());

        eprintln!(
            "{name:>13} (answers of {} pids or more): warm-up {warm_up:?}; \
             {ROUNDS} fills {fill_counts:?}; {OTHER_ROUNDS} fill_slices {slice_counts:?}; \
             {OTHER_ROUNDS} fills on System::open(\"/proc\") {open_counts:?}; \
             {ROUNDS} probes {probe_counts:?}; {ROUNDS}×2 iterations {iter_counts:?}; \
             {OTHER_ROUNDS}×2 streams {stream_counts:?}",
            fill.min_len
        );
        for (how, counts) in [
            ("fill", fill_counts),
            ("fill_slice", slice_counts),
            ("System::fill", open_counts),
            ("probe", probe_counts),
            ("iteration", iter_counts),
            ("PidQuery::iter", stream_counts),
        ] {
            assert_eq!(counts, Counts::ZERO, "{name}: {how} used the heap");
        }
    }
}

#[test]
fn a_default_buffer_only_allocates_when_the_answer_outgrows_it() {
    // A `PidBuf::new()` grown by the queries themselves: any heap call
    // must come with a larger capacity (the answer outgrew the buffer);
    // once it has its working size, queries cost nothing.
    let family = support::family(2, true);
    for query in [
        PidQuery::all(),
        PidQuery::uid(0),
        PidQuery::pgrp(family.leader.pid()),
    ] {
        let mut buf = PidBuf::new();
        let mut growths = 0;
        let mut quiet = 0;
        for _ in 0..ROUNDS {
            let before = buf.capacity();
            let (len, counts) = measure(|| query.fill(&mut buf).map(<[Pid]>::len));
            let len = len.unwrap();
            if counts == Counts::ZERO {
                quiet += 1;
            } else {
                assert!(
                    buf.capacity() > before && counts.allocs + counts.reallocs >= 1,
                    "{query:?}: {counts:?} without growth ({before} → {}, answer {len})",
                    buf.capacity()
                );
                growths += 1;
            }
        }
        // Each growth at least doubles the capacity, and no answer exceeds
        // pid_max: even with processes being born throughout, growths are
        // bounded.
        let bound = (support::pid_max() / INLINE_PIDS).ilog2() as usize + 2;
        assert!(growths <= bound, "{query:?}: grew {growths} times");
        assert_eq!(growths + quiet, ROUNDS);
        eprintln!("{query:?}: {growths} growths, {quiet} queries without heap calls");
    }
}
