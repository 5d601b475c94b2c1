//! The model's walk against `proc_iterate` (reference §7.9): stripe
//! order, the atomic walk of older kernels, the world moving between
//! stripes, and an overflow stopping the walk.

use super::tests::{fetch, pid, proc_mib, SIZE};
use super::*;
use crate::parse::{kinfo_procs, KinfoLayout};
use crate::Errno;

// ---- §7.9 the walk ---------------------------------------------------------

/// `proc_iterate`'s order over a hash of `mask + 1` buckets and `stripes`
/// locks, computed here from the pids and their fork order (newest first
/// within a bucket).
fn iterate_order(pids_in_fork_order: &[i32], mask: usize, stripes: usize) -> Vec<i32> {
    let mut order = Vec::new();
    for i in 0..stripes {
        let mut j = i;
        while j <= mask {
            for &p in pids_in_fork_order.iter().rev() {
                if (p as usize) & mask == j {
                    order.push(p);
                }
            }
            j += stripes;
        }
    }
    order
}

#[test]
fn the_striped_walk_follows_proc_iterate_order() {
    let mut model = Model::with_pidhash(Pidhash {
        mask: 7,
        stripes: 2,
    });
    let mut forked = vec![0, 1];
    for _ in 0..30 {
        forked.push(model.spawn(pid(1)).unwrap().as_raw());
    }
    // Reuse pids so that a bucket holds them out of numeric order.
    for &p in &[5, 13, 6] {
        model.exit(pid(p));
        model.reap(pid(p));
    }
    forked.retain(|p| ![5, 13, 6].contains(p));
    model.next_pid = 5;
    for _ in 0..3 {
        forked.push(model.spawn(pid(1)).unwrap().as_raw());
    }
    let walked: Vec<i32> = fetch(&mut model, &proc_mib())
        .iter()
        .map(|k| k.pid)
        .collect();
    assert_eq!(walked, iterate_order(&forked, 7, 2));
}

#[test]
fn the_atomic_walk_is_allproc_newest_first_then_zombies() {
    let mut model = Model::new();
    model.walk(Walk::Atomic);
    let a = model.spawn(pid(1)).unwrap();
    let b = model.spawn(pid(1)).unwrap();
    let c = model.spawn(pid(1)).unwrap();
    model.exit(a);
    model.exit(c);
    let walked: Vec<i32> = fetch(&mut model, &proc_mib())
        .iter()
        .map(|k| k.pid)
        .collect();
    assert_eq!(walked, [b.as_raw(), 1, 0, c.as_raw(), a.as_raw()]);
}

#[test]
fn between_stripes_the_world_moves_and_unvisited_buckets_show_it() {
    // 4 stripes of 1 bucket each (mask 3): stripe i walks bucket i.
    let mut model = Model::with_pidhash(Pidhash {
        mask: 3,
        stripes: 4,
    });
    for _ in 0..6 {
        model.spawn(pid(1));
    }
    model.record(true);
    // Forks at boundary 1 are New until boundary 2, then seen in buckets
    // walked afterwards only.
    model.script(Call::QUIET);
    model.script(Call {
        between: Churn::fork(4),
        ..Call::QUIET
    });
    let (_, _, len) = model.sysctl(&proc_mib(), None);
    let mut buf = vec![0u8; len + 20 * SIZE];
    let (rc, _, got) = model.sysctl(&proc_mib(), Some(&mut buf));
    assert_eq!(rc, 0);
    let obs = model.observations().last().unwrap().clone();
    assert_eq!(obs.stripes, 4);
    // 3 boundaries × 4 forks.
    assert_eq!(obs.born.len(), 12);
    let walked: Vec<i32> = kinfo_procs(&buf[..got], &KinfoLayout::LP64)
        .unwrap()
        .map(|k| k.unwrap().pid)
        .collect();
    // Every process present for the whole walk: exactly once.
    for v in obs.stable() {
        assert_eq!(walked.iter().filter(|&&p| p == v.pid.as_raw()).count(), 1);
    }
    // Forked at boundary 1 (after stripe 0), promoted at boundary 2 (after
    // stripe 1): seen iff in bucket 2 or 3. Forked at boundary 2, promoted
    // at 3: seen iff in bucket 3. Forked at boundary 3: never.
    let born: Vec<i32> = obs.born.iter().map(|p| p.as_raw()).collect();
    let seen = |p: i32| walked.contains(&p);
    for (k, &p) in born.iter().enumerate() {
        let boundary = k / 4 + 1;
        let bucket = (p & 3) as usize;
        assert_eq!(
            seen(p),
            bucket > boundary,
            "pid {p} born at boundary {boundary}"
        );
    }
}

#[test]
fn overflow_stops_the_walk_at_the_stripe_it_is_in() {
    let mut model = Model::with_pidhash(Pidhash {
        mask: 3,
        stripes: 4,
    });
    for _ in 0..10 {
        model.spawn(pid(1));
    }
    model.record(true);
    let mut buf = vec![0u8; SIZE];
    let (rc, errno, _) = model.sysctl(&proc_mib(), Some(&mut buf));
    assert_eq!((rc, errno), (-1, Errno::ENOMEM));
    let obs = model.observations().last().unwrap();
    // Bucket 0 holds pids 0, 4, 8, 12: the second record overflows.
    assert_eq!((obs.stripes, obs.records), (1, 2));
}
