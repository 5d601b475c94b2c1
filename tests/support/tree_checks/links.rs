//! `pidquery::links::descendants_in_place` against a naive walk up a
//! parent map.
//!
//! Input: the first byte picks the root (and, by its top bit, whether a
//! pid may appear more than once as a child); then each pair of bytes is a
//! `(pid, parent)` link. Pids are taken modulo 48, so loops, self-parents,
//! missing parents and chains with falling pids are common.

use std::collections::{BTreeMap, BTreeSet};

use pidquery::{links, Pid};

const SPACE: u8 = 48;

fn pid(b: u8) -> Pid {
    Pid::from_raw(i32::from(b % SPACE)).expect("small and non-negative")
}

pub fn check(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let root = pid(head);
    let duplicates_allowed = head & 0x80 != 0;
    let mut table = Vec::new();
    let mut parent_of = BTreeMap::new();
    let mut as_child: BTreeMap<Pid, usize> = BTreeMap::new();
    for pair in rest.chunks_exact(2) {
        let (child, parent) = (pid(pair[0]), pid(pair[1]));
        if !duplicates_allowed && parent_of.contains_key(&child) {
            continue;
        }
        parent_of.entry(child).or_insert(parent);
        *as_child.entry(child).or_default() += 1;
        table.extend([child, parent]);
    }
    let mut work = table.clone();
    let n = links::descendants_in_place(&mut work, root);
    assert!(
        n <= table.len() / 2,
        "{n} listed from {} pairs",
        table.len() / 2
    );
    let got = &work[..n];
    assert!(got.windows(2).all(|w| w[0] <= w[1]), "not sorted: {got:?}");
    assert!(!got.contains(&root), "the root {root} is listed: {got:?}");
    if duplicates_allowed {
        // Only the contract's weaker promise: listed at most once per pair.
        for &p in got {
            let listed = got.iter().filter(|&&q| q == p).count();
            assert!(
                listed <= as_child.get(&p).copied().unwrap_or(0),
                "{p} listed {listed} times"
            );
        }
        return;
    }
    // The oracle: walk up from each pid, at most one step per pid.
    let mut want = BTreeSet::new();
    for &start in parent_of.keys() {
        let mut at = start;
        for _ in 0..=parent_of.len() {
            match parent_of.get(&at) {
                Some(&p) if p == root => {
                    want.insert(start);
                    break;
                }
                Some(&p) if p != at => at = p,
                _ => break,
            }
        }
    }
    want.remove(&root);
    let want: Vec<Pid> = want.into_iter().collect();
    assert_eq!(got, &want[..], "table {table:?}, root {root}");
}
