//! A subtree from a table of parent links, in place, without allocating.
//!
//! This is how the Linux backend answers
//! [`PidQuery::descendants`](crate::PidQuery::descendants) when a process
//! of the tree cannot be read through its `children` file: one scan writes
//! a `(pid, parent)` pair per process into the reused buffer, and
//! [`descendants_in_place`] turns that table into the answer, in the same
//! buffer. It is public so it can be fuzzed against a naive oracle, and
//! used on a parent map of your own.
//!
//! # Examples
//!
//! ```
//! use pidquery::{links, Pid};
//!
//! let p = |raw| Pid::from_raw(raw).unwrap();
//! // (pid, parent): 1 → {5, 9}, 5 → {7}, 9 → {3}; 4 is unrelated.
//! let mut table = [p(1), p(0), p(3), p(9), p(4), p(1000), p(5), p(1), p(7), p(5), p(9), p(1)];
//! let n = links::descendants_in_place(&mut table, p(1));
//! assert_eq!(&table[..n], &[p(3), p(5), p(7), p(9)]);
//! ```

use crate::Pid;

/// Replaces a table of `(pid, parent)` pairs with the pids below `root`,
/// ascending, at the front of `table`; returns how many.
///
/// `table` holds the pairs flat: `[pid₀, parent₀, pid₁, parent₁, …]` (a
/// trailing odd element is ignored). A pid is below `root` when following
/// parents from it reaches `root`; `root` itself is never listed, even when
/// a loop of parents leads back to it. Parents that are not in the table
/// end a chain. Each pid should appear once as a child; if one appears more
/// than once, one of its pairs (unspecified which) decides, and it is
/// listed at most once per pair.
///
/// Runs in O(n log n) for n pairs, loops of parents included (each found
/// by Brent's cycle detection and resolved once), and never allocates. The rest of `table` is left in an unspecified state.
///
/// ```
/// use pidquery::{links, Pid};
///
/// let p = |raw| Pid::from_raw(raw).unwrap();
/// // A loop (2 ↔ 3) below nothing, and 6 → 5 → 6 back above the root.
/// let mut table = [p(2), p(3), p(3), p(2), p(5), p(6), p(6), p(5), p(8), p(6)];
/// let n = links::descendants_in_place(&mut table, p(6));
/// assert_eq!(&table[..n], &[p(5), p(8)]);
/// ```
pub fn descendants_in_place(table: &mut [Pid], root: Pid) -> usize {
    let (pairs, _) = table.as_chunks_mut::<2>();
    pairs.sort_unstable_by_key(|&[pid, _]| pid);
    // Resolve every chain, rewriting each parent on it to the verdict:
    // `root` for "below root", the pid itself for "not below root". A pid
    // whose parent is `root` or itself is resolved; so is every pid once
    // its chain has been walked (path compression keeps the total walk
    // O(n) lookups).
    for start in 0..pairs.len() {
        let verdict = resolve(pairs, start, root);
        compress(pairs, start, root, verdict);
    }
    let mut kept = 0;
    for i in 0..pairs.len() {
        let Some(&[pid, parent]) = pairs.get(i) else {
            break;
        };
        if parent == root && pid != root {
            // `kept <= i`: this writes over pairs already read.
            if let Some(slot) = table_slot(pairs, kept) {
                *slot = pid;
            }
            kept += 1;
        }
    }
    kept
}

/// Whether a pair of `table` (flat `(pid, parent)` pairs, as for
/// [`descendants_in_place`]) names a parent that has no pair of its own,
/// other than 0 (no parent in view) and the pid itself. Sorts the pairs by
/// pid; never allocates.
pub(crate) fn has_dangling_parent(table: &mut [Pid]) -> bool {
    let (pairs, _) = table.as_chunks_mut::<2>();
    pairs.sort_unstable_by_key(|&[pid, _]| pid);
    let pairs: &[[Pid; 2]] = pairs;
    pairs
        .iter()
        .any(|&[pid, parent]| parent != pid && parent != Pid::ZERO && find(pairs, parent).is_none())
}

/// The parent recorded for `pid` in `table`, flat `(pid, parent)` pairs
/// sorted by pid; `None` when `pid` has no pair.
pub(crate) fn recorded_parent(table: &[Pid], pid: Pid) -> Option<Pid> {
    let (pairs, _) = table.as_chunks::<2>();
    find(pairs, pid)
        .and_then(|i| pairs.get(i))
        .map(|&[_, parent]| parent)
}

/// [`recorded_parent`], once: the pair is then marked (its parent made the
/// pid itself), and later calls for it give `None`, as do calls for a pid
/// without a pair or recorded as its own parent.
pub(crate) fn take_recorded_parent(table: &mut [Pid], pid: Pid) -> Option<Pid> {
    let (pairs, _) = table.as_chunks_mut::<2>();
    let i = find(pairs, pid)?;
    let pair = pairs.get_mut(i)?;
    let parent = pair[1];
    pair[1] = pid;
    (parent != pid).then_some(parent)
}

/// Sorts `pids` and moves one of each distinct pid to the front, in place;
/// returns how many there are.
pub(crate) fn sort_dedup(pids: &mut [Pid]) -> usize {
    pids.sort_unstable();
    let mut kept = 0usize;
    for i in 0..pids.len() {
        let pid = pids.get(i).copied();
        let last = kept.checked_sub(1).and_then(|k| pids.get(k)).copied();
        if let Some(pid) = pid.filter(|&p| Some(p) != last) {
            if let Some(slot) = pids.get_mut(kept) {
                *slot = pid;
            }
            kept += 1;
        }
    }
    kept
}

/// Slot `k` of the flat table behind `pairs`.
fn table_slot(pairs: &mut [[Pid; 2]], k: usize) -> Option<&mut Pid> {
    pairs.as_flattened_mut().get_mut(k)
}

/// Where the chain from pair `start` ends: `true` if it reaches `root`.
///
/// A loop of parents that does not pass through `root` ends as "not
/// below"; Brent's cycle detection finds it within a few times its length
/// plus the length of the path leading to it, so that every pair of a
/// loop is walked a bounded number of times before it is resolved.
fn resolve(pairs: &[[Pid; 2]], start: usize, root: Pid) -> bool {
    let mut at = start;
    let mut mark = None;
    let (mut power, mut steps) = (1usize, 0usize);
    loop {
        let Some(&[pid, parent]) = pairs.get(at) else {
            return false;
        };
        if parent == root {
            return true;
        }
        if parent == pid || mark == Some(pid) {
            return false;
        }
        if steps == power {
            mark = Some(pid);
            power = power.saturating_mul(2);
            steps = 0;
        }
        steps += 1;
        match find(pairs, parent) {
            Some(next) => at = next,
            None => return false,
        }
    }
}

/// Rewrites the parent of every pair on the chain from `start` to the
/// verdict, until a resolved pair (or the walk's bound).
fn compress(pairs: &mut [[Pid; 2]], start: usize, root: Pid, below: bool) {
    let mut at = start;
    for _ in 0..=pairs.len() {
        let Some(pair) = pairs.get_mut(at) else {
            return;
        };
        let [pid, parent] = *pair;
        if parent == root || parent == pid {
            return;
        }
        pair[1] = if below { root } else { pid };
        match find(pairs, parent) {
            Some(next) => at = next,
            None => return,
        }
    }
}

/// The index of a pair whose pid is `pid`, by binary search.
fn find(pairs: &[[Pid; 2]], pid: Pid) -> Option<usize> {
    pairs.binary_search_by_key(&pid, |&[p, _]| p).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: i32) -> Pid {
        Pid::from_raw(raw).unwrap()
    }

    #[test]
    fn a_long_chain_with_falling_pids_is_linked_in_one_pass() {
        // 1000 → 999 → … → 1: every parent has a larger pid than its child.
        let mut table: Vec<Pid> = (1..1000).flat_map(|i| [p(i), p(i + 1)]).collect();
        let n = descendants_in_place(&mut table, p(1000));
        assert_eq!(n, 999);
        assert!(table[..n].iter().zip(1..).all(|(&pid, i)| pid == p(i)));
    }

    #[test]
    fn many_small_loops_are_each_walked_a_few_times() {
        // 5,000 two-pid loops, and one pid below the root: a bound on the
        // walk per start of "the table's length" would take 10^7 lookups.
        let mut table: Vec<Pid> = (0..5000)
            .flat_map(|i| [p(2 * i + 10), p(2 * i + 11), p(2 * i + 11), p(2 * i + 10)])
            .collect();
        table.extend([p(3), p(1)]);
        let n = descendants_in_place(&mut table, p(1));
        assert_eq!(&table[..n], &[p(3)]);
    }

    #[test]
    fn an_empty_or_odd_table_lists_nothing_or_ignores_the_tail() {
        assert_eq!(descendants_in_place(&mut [], p(1)), 0);
        let mut odd = [p(2), p(1), p(7)];
        assert_eq!(descendants_in_place(&mut odd, p(1)), 1);
        assert_eq!(odd[0], p(2));
    }

    #[test]
    fn a_parent_without_a_pair_dangles() {
        // 3 → 2 → 1 → 0: nothing dangles; 5's parent 9 has no pair.
        let mut table = [p(3), p(2), p(2), p(1), p(1), p(0)];
        assert!(!has_dangling_parent(&mut table));
        let mut table = [p(3), p(2), p(2), p(2), p(5), p(9), p(1), p(0)];
        assert!(has_dangling_parent(&mut table));
        assert!(!has_dangling_parent(&mut []));
    }

    #[test]
    fn a_recorded_parent_is_taken_once() {
        let mut table = [p(2), p(1), p(3), p(2), p(4), p(4)];
        assert_eq!(recorded_parent(&table, p(3)), Some(p(2)));
        assert_eq!(recorded_parent(&table, p(9)), None);
        assert_eq!(take_recorded_parent(&mut table, p(3)), Some(p(2)));
        assert_eq!(take_recorded_parent(&mut table, p(3)), None);
        assert_eq!(take_recorded_parent(&mut table, p(4)), None);
        assert_eq!(take_recorded_parent(&mut table, p(9)), None);
        assert_eq!(recorded_parent(&table, p(2)), Some(p(1)));
    }

    #[test]
    fn the_root_is_never_listed_even_below_itself() {
        // 1 → 2 → 1: a loop through the root.
        let mut table = [p(1), p(2), p(2), p(1)];
        let n = descendants_in_place(&mut table, p(1));
        assert_eq!(&table[..n], &[p(2)]);
    }
}
