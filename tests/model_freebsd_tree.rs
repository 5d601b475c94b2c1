//! `descendants` on FreeBSD: one fetch of the process table per fill,
//! linked in user space, against a naive oracle over the model's table;
//! the kernel calls per fill are counted and compared with the walk of one
//! `ppid` list per process found that the backend used to make.
#![cfg(feature = "model")]

use std::collections::BTreeSet;

use pidquery::model::freebsd::{Call, Churn, Model, Pidhash};
use pidquery::{Pid, PidBuf, PidQuery};

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

/// The pids below `root` by real parents, from the model's table.
fn oracle(model: &Model, root: Pid) -> Vec<Pid> {
    let mut found = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for q in model.procs() {
            if q.ppid == p && q.pid != root && q.pid != Pid::ZERO && found.insert(q.pid) {
                frontier.push(q.pid);
            }
        }
    }
    found.into_iter().collect()
}

/// `n` processes under init, and a subtree of `d` processes (a chain and
/// a fan) below a root, some of them zombies.
fn table(n: usize, d: usize) -> (Model, Pid) {
    let mut model = Model::with_pidhash(Pidhash::for_maxproc(4 * (n + d + 64)));
    model.reserve(n + d + 16);
    for _ in 0..n {
        model.spawn(pid(1)).unwrap();
    }
    let root = model.spawn(pid(1)).unwrap();
    let mut last = root;
    for i in 0..d {
        let parent = if i % 2 == 0 { last } else { root };
        last = model.spawn(parent).unwrap();
        if i % 7 == 3 {
            model.exit(last);
            last = root;
        }
    }
    (model, root)
}

/// Fetches (calls with a buffer) and bytes copied out by the calls
/// recorded since the last clear.
fn fetches(model: &Model) -> (usize, usize) {
    let obs = model.observations();
    let calls = obs.iter().filter(|o| o.oldlen.is_some());
    (
        calls.clone().count(),
        calls.filter_map(|o| o.oldlen_out).sum(),
    )
}

#[test]
fn descendants_match_the_oracle() {
    for (n, d) in [(0, 0), (0, 1), (10, 5), (300, 60), (2000, 200)] {
        let (mut model, root) = table(n, d);
        let got = model
            .fill(&PidQuery::descendants(root), &mut PidBuf::new())
            .unwrap()
            .to_vec();
        assert_eq!(got, oracle(&model, root), "{n} + {d}");
        // From init: everything but the kernel and init.
        let all = model
            .fill(&PidQuery::descendants(pid(1)), &mut PidBuf::new())
            .unwrap()
            .to_vec();
        assert_eq!(all, oracle(&model, pid(1)));
        assert_eq!(all.len(), model.nprocs() - 2);
        // From pid 0: init too.
        let under_zero = model
            .fill(&PidQuery::descendants(Pid::ZERO), &mut PidBuf::new())
            .unwrap()
            .len();
        assert_eq!(under_zero, model.nprocs() - 1);
    }
}

/// The question of the issue: 50 descendants in a table of 10,000. The
/// walk the backend made before cost one `KERN_PROC_PROC` copy per process
/// of the subtree plus the root's (each of the whole table); the one-fetch
/// plan costs one.
#[test]
fn a_subtree_costs_one_fetch_where_the_walk_cost_one_per_process() {
    let (mut model, root) = table(10_000, 50);
    let want = oracle(&model, root);
    assert_eq!(want.len(), 50);
    let mut buf = PidBuf::new();
    model.fill(&PidQuery::descendants(root), &mut buf).unwrap();
    model.record(true);
    // Warm: one call, the table's fetch.
    model.clear_observations();
    assert_eq!(
        model.fill(&PidQuery::descendants(root), &mut buf).unwrap(),
        want
    );
    let after = fetches(&model);
    assert_eq!(model.observations().len(), 1);
    assert_eq!(after.0, 1);
    // The walk: one ppid list per process found and for the root.
    model.clear_observations();
    let mut queue = vec![root];
    let mut walked = Vec::new();
    while let Some(node) = queue.pop() {
        let kids = model
            .fill(&PidQuery::ppid(node), &mut buf)
            .unwrap()
            .to_vec();
        walked.extend_from_slice(&kids);
        queue.extend(kids);
    }
    walked.sort();
    assert_eq!(walked, want);
    let before = fetches(&model);
    assert_eq!(before.0, want.len() + 1);
    println!(
        "descendants of 50 in {} processes: walk {} fetches, {} bytes; one fetch: {} fetch, {} bytes",
        model.nprocs(),
        before.0,
        before.1,
        after.0,
        after.1
    );
    assert!(before.1 >= 50 * after.1);
}

#[test]
fn a_cold_fill_probes_once_then_fetches_once() {
    let (mut model, root) = table(500, 20);
    model.record(true);
    let got = model
        .fill(&PidQuery::descendants(root), &mut PidBuf::<0>::default())
        .unwrap()
        .to_vec();
    assert_eq!(got, oracle(&model, root));
    // The engine's estimate, the cold scratch's probe, the fetch.
    let kinds: Vec<bool> = model
        .observations()
        .iter()
        .map(|o| o.oldlen.is_some())
        .collect();
    assert_eq!(kinds, [false, false, true]);
}

#[test]
fn a_slice_too_small_says_the_exact_count() {
    let (mut model, root) = table(100, 30);
    let want = oracle(&model, root);
    let mut small = vec![Pid::ZERO; want.len() - 1];
    let err = model
        .fill_slice(&PidQuery::descendants(root), &mut small)
        .unwrap_err();
    assert_eq!(
        err.kind(),
        pidquery::ErrorKind::Truncated { needed: want.len() }
    );
    let mut exact = vec![Pid::ZERO; want.len()];
    let n = model
        .fill_slice(&PidQuery::descendants(root), &mut exact)
        .unwrap();
    assert_eq!(&exact[..n], want.as_slice());
}

/// Forks and exits between every two lock stripes: every process that was
/// below the root for the whole walk, unchanged, is listed.
#[test]
fn churn_during_the_walk_never_loses_a_stable_descendant() {
    for seed in 0..20u64 {
        let (mut model, root) = table(400, 40);
        model.seed(seed);
        model.record(true);
        model.on_every_call(Call {
            between: Churn {
                fork: 3,
                exit: 1,
                reap: 1,
                ..Churn::NONE
            },
            ..Call::QUIET
        });
        let before = oracle(&model, root);
        let got = model
            .fill(&PidQuery::descendants(root), &mut PidBuf::new())
            .unwrap()
            .to_vec();
        let obs = model.observations().last().unwrap().clone();
        // Stable: present and unchanged for the whole walk, and so are its
        // ancestors up to the root.
        let stable: BTreeSet<Pid> = obs.stable().map(|v| v.pid).collect();
        for p in before {
            // Still below the root, through stable processes only.
            let mut chain_stable = true;
            let mut at = p;
            while at != root {
                let parent = model.get(at).map(|q| q.ppid);
                if !stable.contains(&at) || parent.is_none_or(|q| q == at || q == Pid::ZERO) {
                    chain_stable = false;
                    break;
                }
                at = parent.unwrap_or(root);
            }
            if chain_stable {
                assert!(got.binary_search(&p).is_ok(), "seed {seed}: {p} lost");
            }
        }
    }
}
