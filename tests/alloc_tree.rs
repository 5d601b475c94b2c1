//! Zero heap allocation per call in steady state for `descendants` (the
//! walk over `children` files and the linking scan) and for `Watch` polls,
//! proved with the counting allocator.

#![cfg(target_os = "linux")]

mod support;

use std::os::unix::process::CommandExt;
use std::process::Command;

use pidquery::{Pid, PidBuf, PidQuery, System, Watch};
use support::alloc::{measure, Counting, Counts};
use support::{quiet, wait_until, Proc, SLEEP_SECS};

#[global_allocator]
static GLOBAL: Counting = Counting;

const ROUNDS: usize = 100;

/// Room no answer (nor the scan's four slots per process) can outgrow,
/// however many processes are born meanwhile: four times `pid_max`, plus
/// the scan's headroom.
fn room() -> usize {
    4 * support::pid_max() + 256
}

/// `sleep` → 3 `sleep`s → 3 `sleep`s each: 12 descendants, single-threaded
/// all, so the walk over `children` files answers.
fn tree() -> Proc {
    let middle = format!("for j in 1 2 3; do sleep {SLEEP_SECS} & done; exec sleep {SLEEP_SECS}");
    let script = format!("for i in 1 2 3; do sh -c '{middle}' & done; exec sleep {SLEEP_SECS}");
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]).process_group(0);
    let root = Proc::spawn(quiet(&mut cmd));
    let pid = root.pid();
    let root = root.kill_group_on_drop(pid);
    wait_until("12 sleeps below the root", || {
        let mut buf = PidBuf::new();
        let below = PidQuery::descendants(pid).fill(&mut buf).ok()?.to_vec();
        let ready = below.len() == 12
            && below
                .iter()
                .all(|&p| support::comm(p).is_some_and(|c| c == b"sleep"));
        ready.then_some(())
    });
    root
}

#[test]
fn descendants_allocate_nothing_per_call_after_warm_up() {
    let root = tree();
    let explicit = System::open("/proc").unwrap();
    // The walk (a tree of single-threaded processes) and the linking scan
    // (pid 0 has no `children` file: its subtree is every process).
    for (name, query, at_least) in [
        ("walk", PidQuery::descendants(root.pid()), 12),
        ("scan", PidQuery::descendants(Pid::ZERO), 12),
    ] {
        let mut buf = PidBuf::with_capacity(room());
        let mut slots = vec![Pid::ZERO; room()];
        for _ in 0..3 {
            query.fill(&mut buf).unwrap();
            query.fill_slice(&mut slots).unwrap();
            explicit.fill(&query, &mut buf).unwrap();
            query.probe().unwrap();
        }
        let (min, fill) = measure(|| {
            (0..ROUNDS)
                .map(|_| query.fill(&mut buf).unwrap().len())
                .min()
        });
        let (_, slice) = measure(|| {
            for _ in 0..ROUNDS / 4 {
                query.fill_slice(&mut slots).unwrap();
            }
        });
        let (_, open) = measure(|| {
            for _ in 0..ROUNDS / 4 {
                explicit.fill(&query, &mut buf).unwrap();
            }
        });
        let (_, probe) = measure(|| {
            for _ in 0..ROUNDS {
                query.probe().unwrap();
            }
        });
        assert!(min.unwrap() >= at_least, "{name}: answers of {min:?}");
        eprintln!(
            "descendants ({name}): {ROUNDS} fills {fill:?}; {} fill_slices {slice:?}; \
             {} fills on System::open {open:?}; {ROUNDS} probes {probe:?}",
            ROUNDS / 4,
            ROUNDS / 4
        );
        for (how, counts) in [
            ("fill", fill),
            ("fill_slice", slice),
            ("System::fill", open),
            ("probe", probe),
        ] {
            assert_eq!(
                counts,
                Counts::ZERO,
                "descendants ({name}): {how} used the heap"
            );
        }
    }
    drop(root);
}

#[test]
fn watch_polls_allocate_nothing_after_warm_up() {
    let root = tree();
    for (name, query) in [
        ("all", PidQuery::all()),
        ("descendants", PidQuery::descendants(root.pid())),
        ("pgrp", PidQuery::pgrp(root.pid())),
    ] {
        for tracked in [false, true] {
            let mut watch = Watch::with_buffers(
                query,
                PidBuf::with_capacity(room()),
                PidBuf::with_capacity(room()),
            );
            if tracked {
                watch = watch.track_reuse();
            }
            let name = if tracked {
                format!("{name}, tracking reuse")
            } else {
                name.to_owned()
            };
            for _ in 0..3 {
                watch.poll().unwrap().count();
            }
            let (seen, counts) = measure(|| {
                let mut seen = 0usize;
                for _ in 0..ROUNDS {
                    let changes = watch.poll().unwrap();
                    seen += changes.len();
                    seen += changes.born().count();
                    seen += watch.changes().died().count();
                    seen += watch.current().len();
                }
                seen
            });
            assert!(seen >= ROUNDS * 12, "{name}: {seen}");
            eprintln!("watch ({name}): {ROUNDS} polls {counts:?}");
            assert_eq!(counts, Counts::ZERO, "watch ({name}): a poll used the heap");
        }
    }
    drop(root);
}
