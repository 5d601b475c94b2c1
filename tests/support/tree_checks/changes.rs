//! `pidquery::Changes` (the sorted merge behind `Watch`) against set
//! differences.
//!
//! Input: two lists of pids (bytes modulo 64) separated by the first 0xFF
//! byte. Sorted and without duplicates, the merge must give exactly the
//! differences, ascending by pid, a death before a birth of the same pid;
//! as they come (unsorted), it must end without panicking and give at
//! most one change per pid of either list.

use std::collections::BTreeSet;

use pidquery::{Change, Changes, Pid};

fn pids(bytes: &[u8]) -> Vec<Pid> {
    bytes
        .iter()
        .map(|&b| Pid::from_raw(i32::from(b % 64)).expect("non-negative"))
        .collect()
}

pub fn check(data: &[u8]) {
    let (old, new) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let (old, new) = (pids(old), pids(new));

    let raw: Vec<Change> = Changes::between(&old, &new).collect();
    assert!(raw.len() <= old.len() + new.len());
    let (lo, hi) = Changes::between(&old, &new).size_hint();
    assert!(lo <= raw.len() && hi.is_some_and(|h| raw.len() <= h));

    let a: BTreeSet<Pid> = old.iter().copied().collect();
    let b: BTreeSet<Pid> = new.iter().copied().collect();
    let (sa, sb): (Vec<Pid>, Vec<Pid>) = (a.iter().copied().collect(), b.iter().copied().collect());
    let got: Vec<Change> = Changes::between(&sa, &sb).collect();
    let mut want: Vec<Change> = a
        .difference(&b)
        .map(|&p| Change::Died(p))
        .chain(b.difference(&a).map(|&p| Change::Born(p)))
        .collect();
    want.sort_by_key(|c| (c.pid(), matches!(c, Change::Born(_))));
    assert_eq!(got, want, "{sa:?} -> {sb:?}");
    let changes = Changes::between(&sa, &sb);
    assert_eq!(changes.len(), want.len());
    assert_eq!(changes.is_empty(), want.is_empty());
    let born: Vec<Pid> = changes.clone().born().collect();
    let died: Vec<Pid> = changes.died().collect();
    assert_eq!(born, b.difference(&a).copied().collect::<Vec<_>>());
    assert_eq!(died, a.difference(&b).copied().collect::<Vec<_>>());
}
