//! `descendants` and `Watch` on macOS's path: the xnu call pattern over the
//! in-memory model (feature `model`), against naive oracles written from
//! the model's table.

#![cfg(feature = "model")]

use std::collections::BTreeSet;

use pidquery::model::{Call, Churn, Model, Proc};
use pidquery::{Change, ErrorKind, Pid, PidBuf, PidQuery, Watch};

fn p(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// The naive oracle: every process (live or zombie, not a shadow)
/// reachable from `root` by one or more steps of xnu's `PROC_PPID_ONLY`
/// relation (the parent, or the original parent of a traced process),
/// `root` itself excluded.
fn closure(model: &Model, root: Pid) -> BTreeSet<Pid> {
    let procs: Vec<&Proc> = model
        .live()
        .chain(model.zombies())
        .filter(|p| !p.shadow)
        .collect();
    let mut below = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for child in &procs {
            let is_child = child.ppid == parent || child.traced_from == Some(parent);
            if is_child && child.pid != root && below.insert(child.pid) {
                frontier.push(child.pid);
            }
        }
    }
    below
}

fn descendants(model: &mut Model, root: Pid, buf: &mut PidBuf) -> Vec<Pid> {
    let got = model
        .fill(&PidQuery::descendants(root), buf)
        .unwrap_or_else(|e| panic!("descendants of {root}: {e}"))
        .to_vec();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "not ascending: {got:?}"
    );
    got
}

/// A table of `n` processes forked from random live parents, with some
/// exits (zombies, children reparented to launchd), reaps and traces —
/// including tracers below the process they trace, which make the
/// relation loop.
fn random_table(rng: &mut Rng, n: usize) -> Model {
    let mut model = Model::new();
    let mut live = vec![Pid::ZERO, p(1)];
    for _ in 0..n {
        let parent = live[rng.below(live.len())];
        live.push(model.spawn(parent));
        match rng.below(20) {
            0 if live.len() > 3 => {
                let victim = live.swap_remove(2 + rng.below(live.len() - 2));
                model.exit(victim);
            }
            1 => {
                let zombie = model.zombies().next().map(|z| z.pid);
                if let Some(z) = zombie {
                    model.reap(z);
                }
            }
            2 if live.len() > 3 => {
                let a = live[2 + rng.below(live.len() - 2)];
                let b = live[2 + rng.below(live.len() - 2)];
                if a != b {
                    model.trace(a, b);
                }
            }
            _ => {}
        }
    }
    model
}

#[test]
fn descendants_match_a_naive_closure_on_random_tables() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut checked = 0;
    for round in 0..40 {
        let mut model = random_table(&mut rng, 20 + round * 10);
        let mut pids: Vec<Pid> = model.live().chain(model.zombies()).map(|p| p.pid).collect();
        pids.push(p(77_777)); // no such process
        for _ in 0..8 {
            let root = pids[rng.below(pids.len())];
            let want: Vec<Pid> = closure(&model, root).into_iter().collect();
            // A default buffer (grown by the engine) and a roomy one.
            assert_eq!(descendants(&mut model, root, &mut PidBuf::new()), want);
            let mut roomy = PidBuf::with_capacity(4096);
            assert_eq!(descendants(&mut model, root, &mut roomy), want);
            checked += 1;
        }
        // Pid 0's subtree is everything else (kernel_task is its own
        // parent, so it is not below itself).
        let everything: Vec<Pid> = closure(&model, Pid::ZERO).into_iter().collect();
        assert_eq!(
            descendants(&mut model, Pid::ZERO, &mut PidBuf::new()),
            everything
        );
    }
    assert_eq!(checked, 320);
}

#[test]
fn a_process_tracing_its_ancestor_makes_a_loop_the_walk_survives() {
    let mut model = Model::new();
    let root = model.spawn(p(1));
    let a = model.spawn(root);
    let b = model.spawn(a);
    let c = model.spawn(b);
    // b traces a: a's parent is now b, and a still counts below root.
    assert!(model.trace(a, b));
    let mut buf = PidBuf::new();
    assert_eq!(descendants(&mut model, root, &mut buf), [a, b, c]);
    // Below a: b, c — and a itself through the loop, which is not listed.
    assert_eq!(descendants(&mut model, a, &mut buf), [b, c]);
    assert_eq!(descendants(&mut model, b, &mut buf), [a, c]);
}

#[test]
fn zombies_stay_below_their_parent_and_orphans_leave() {
    let mut model = Model::new();
    let root = model.spawn(p(1));
    let middle = model.spawn(root);
    let leaves: Vec<Pid> = (0..3).map(|_| model.spawn(middle)).collect();
    let zombie = model.spawn(root);
    model.exit(zombie);
    let mut buf = PidBuf::new();
    let mut want = vec![middle, zombie];
    want.extend(&leaves);
    want.sort();
    assert_eq!(descendants(&mut model, root, &mut buf), want);
    // The middle process exits: a zombie below root, its children now
    // launchd's.
    model.exit(middle);
    assert_eq!(descendants(&mut model, root, &mut buf), {
        let mut w = vec![middle, zombie];
        w.sort();
        w
    });
    let launchds = model
        .fill(&PidQuery::ppid(p(1)), &mut buf)
        .unwrap()
        .to_vec();
    assert!(leaves.iter().all(|leaf| launchds.contains(leaf)));
    model.reap(middle);
    assert_eq!(descendants(&mut model, root, &mut buf), [zombie]);
}

#[test]
fn forks_during_the_walk_are_listed_or_not_but_nothing_else_changes() {
    let mut rng = Rng(7);
    for round in 0..20 {
        let mut model = Model::new();
        let root = model.spawn(p(1));
        let mut tree = vec![root];
        for _ in 0..30 {
            let parent = tree[rng.below(tree.len())];
            tree.push(model.spawn(parent));
        }
        let _unrelated: Vec<Pid> = (0..20).map(|_| model.spawn(p(1))).collect();
        let before = closure(&model, root);
        // Before every call, a fork below some process of the tree, or
        // (every other round) exits of the newest processes.
        let churn = if round % 2 == 0 {
            Churn::spawn(1 + rng.below(3) as u32).of(tree[rng.below(tree.len())])
        } else {
            Churn::exit(1)
        };
        model.on_every_call(Call {
            before: churn,
            ..Call::QUIET
        });
        let got: BTreeSet<Pid> = descendants(&mut model, root, &mut PidBuf::new())
            .into_iter()
            .collect();
        model.clear_schedule();
        let after = closure(&model, root);
        if round % 2 == 0 {
            // Only births: everything there before is found, nothing that
            // is not below the root by the end.
            assert!(
                before.is_subset(&got),
                "round {round}: lost {:?}",
                before.difference(&got)
            );
            assert!(
                got.is_subset(&after),
                "round {round}: {:?} not below",
                got.difference(&after)
            );
        } else {
            // Exits make zombies (still below) and orphans (no longer):
            // never anything that was not below at the start, and
            // everything still below at the end.
            assert!(
                got.is_subset(&before),
                "round {round}: {:?}",
                got.difference(&before)
            );
            assert!(
                after.is_subset(&got),
                "round {round}: lost {:?}",
                after.difference(&got)
            );
        }
    }
}

/// Work counted by the model for a 3-level tree of 100 processes among
/// 10,000 others: the walk makes one call per process of the subtree plus
/// one (each walking the whole table), where one `PROC_ALL_PIDS` plus a
/// `PROC_PIDT_SHORTBSDINFO` per process would make one call per process
/// of the table plus one. See `src/sys/xnu/tree.rs`.
#[test]
fn the_walk_makes_one_call_per_process_of_the_subtree_plus_one() {
    let mut model = Model::new();
    model.reserve(10_200);
    for _ in 0..10_000 {
        model.spawn(p(1));
    }
    let root = model.spawn(p(1));
    for _ in 0..9 {
        let middle = model.spawn(root);
        for _ in 0..10 {
            model.spawn(middle);
        }
    }
    let nprocs = model.nprocs();
    let room = model.probe(&PidQuery::descendants(root)).unwrap();
    assert_eq!(room, 2 * (nprocs + 20) + 1);
    let mut buf = PidBuf::with_capacity(room);
    let before = model.calls();
    let got = descendants(&mut model, root, &mut buf);
    let calls = model.calls() - before;
    assert_eq!(got.len(), 99);
    assert_eq!(
        calls, 100,
        "one PROC_PPID_ONLY per process of the subtree and the root"
    );
    // Each call walks the table: 100 walks of 10,102 processes, against
    // 10,103 calls (one walk) for the alternative.
    assert!(calls < nprocs as u64 / 100);
    eprintln!(
        "walk: {calls} calls, {} processes walked; ALL_PIDS + short info: {} calls, {nprocs} walked",
        calls * nprocs as u64,
        nprocs + 1
    );
}

#[test]
fn a_caller_slice_too_small_gets_the_room_a_walk_needs() {
    let mut model = Model::new();
    let root = model.spawn(p(1));
    let kids: Vec<Pid> = (0..5).map(|_| model.spawn(root)).collect();
    let mut three = [Pid::ZERO; 3];
    let err = model
        .fill_slice(&PidQuery::descendants(root), &mut three)
        .unwrap_err();
    let ErrorKind::Truncated { needed } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(needed, 2 * (model.nprocs() + 20) + 1);
    let mut room = vec![Pid::ZERO; needed];
    let n = model
        .fill_slice(&PidQuery::descendants(root), &mut room)
        .unwrap();
    assert_eq!(&room[..n], &kids[..]);
}

/// Watch on macOS's path, whose answers come newest first: every poll
/// reports exactly the set differences, ascending.
#[test]
fn watch_reports_exact_births_and_deaths_on_unsorted_answers() {
    let mut rng = Rng(99);
    let mut model = Model::new();
    let mut watch = Watch::new(PidQuery::all());
    let mut known: BTreeSet<Pid> = BTreeSet::new();
    for round in 0..200 {
        match rng.below(4) {
            0 => {
                for _ in 0..rng.below(5) {
                    model.spawn(p(1));
                }
            }
            1 => {
                let live: Vec<Pid> = model
                    .live()
                    .map(|p| p.pid)
                    .filter(|p| p.as_raw() > 1)
                    .collect();
                if !live.is_empty() {
                    model.exit(live[rng.below(live.len())]);
                }
            }
            2 => {
                let zombies: Vec<Pid> = model.zombies().map(|p| p.pid).collect();
                for z in zombies.into_iter().take(rng.below(3)) {
                    model.reap(z);
                }
            }
            _ => {}
        }
        let now: BTreeSet<Pid> = model.live().chain(model.zombies()).map(|p| p.pid).collect();
        let changes: Vec<Change> = watch
            .poll_with(|query, buf| model.fill(query, buf).map(drop))
            .unwrap()
            .collect();
        let mut want: Vec<Change> = known
            .difference(&now)
            .map(|&pid| Change::Died(pid))
            .chain(now.difference(&known).map(|&pid| Change::Born(pid)))
            .collect();
        want.sort_by_key(|c| (c.pid(), matches!(c, Change::Born(_))));
        assert_eq!(changes, want, "round {round}");
        assert_eq!(watch.current(), now.iter().copied().collect::<Vec<_>>());
        known = now;
    }
}

#[test]
fn a_failed_poll_leaves_the_watch_as_it_was() {
    let mut model = Model::new();
    let mut watch = Watch::new(PidQuery::all());
    watch
        .poll_with(|q, buf| model.fill(q, buf).map(drop))
        .unwrap();
    let before = watch.current().to_vec();
    let child = model.spawn(p(1));
    model.deny(Some(pidquery::Errno::EPERM));
    let err = watch
        .poll_with(|q, buf| model.fill(q, buf).map(drop))
        .unwrap_err();
    assert_eq!(err.errno(), Some(pidquery::Errno::EPERM));
    assert_eq!(watch.current(), before);
    model.deny(None);
    let changes: Vec<Change> = watch
        .poll_with(|q, buf| model.fill(q, buf).map(drop))
        .unwrap()
        .collect();
    assert_eq!(changes, [Change::Born(child)]);
}
