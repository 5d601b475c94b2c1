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
    let mut pairs = Pairs::sorted(table);
    // Resolve every chain, rewriting each parent on it to the verdict:
    // `root` for "below root", the pid itself for "not below root". A pid
    // whose parent is `root` or itself is resolved; so is every pid once
    // its chain has been walked (path compression keeps the total walk
    // O(n) lookups).
    for start in 0..pairs.len() {
        let verdict = resolve(&pairs, start, root);
        compress(&mut pairs, start, root, verdict);
    }
    let mut kept = 0;
    for i in 0..pairs.len() {
        let Some([pid, parent]) = pairs.get(i) else {
            break;
        };
        if parent == root && pid != root {
            // `kept <= 2 * i`: this writes over pairs already read.
            if let Some(slot) = pairs.0.get_mut(kept) {
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
// Used by the Linux link scan only.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn has_dangling_parent(table: &mut [Pid]) -> bool {
    let pairs = Pairs::sorted(table);
    (0..pairs.len()).any(|i| {
        pairs.get(i).is_some_and(|[pid, parent]| {
            parent != pid && parent != Pid::ZERO && pairs.find(parent).is_none()
        })
    })
}

/// The parent recorded for `pid` in `table`, flat `(pid, parent)` pairs
/// sorted by pid; `None` when `pid` has no pair.
// Used by the Linux link scan only.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn recorded_parent(table: &[Pid], pid: Pid) -> Option<Pid> {
    let pairs = PairsRef(table);
    pairs
        .find(pid)
        .and_then(|i| pairs.get(i))
        .map(|[_, parent]| parent)
}

/// [`recorded_parent`], once: the pair is then marked (its parent made the
/// pid itself), and later calls for it give `None`, as do calls for a pid
/// without a pair or recorded as its own parent.
// Used by the Linux link scan only.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn take_recorded_parent(table: &mut [Pid], pid: Pid) -> Option<Pid> {
    let mut pairs = Pairs(table);
    let i = pairs.find(pid)?;
    let [_, parent] = pairs.get(i)?;
    pairs.set_parent(i, pid);
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

/// Read access to a flat table of `(pid, parent)` pairs: pair `i` is
/// elements `2i` and `2i + 1`; a trailing odd element is no pair.
trait PairView {
    fn flat(&self) -> &[Pid];

    fn len(&self) -> usize {
        self.flat().len() / 2
    }

    fn get(&self, i: usize) -> Option<[Pid; 2]> {
        let at = i.checked_mul(2)?;
        match self.flat().get(at..at.checked_add(2)?)? {
            &[pid, parent] => Some([pid, parent]),
            _ => None,
        }
    }

    /// The index of a pair whose pid is `pid`, by binary search over
    /// pairs sorted by pid.
    fn find(&self, pid: Pid) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let [at, _] = self.get(mid)?;
            match at.cmp(&pid) {
                core::cmp::Ordering::Less => lo = mid + 1,
                core::cmp::Ordering::Greater => hi = mid,
                core::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// A table of pairs read in place.
// Used by the Linux link scan only.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct PairsRef<'a>(&'a [Pid]);

impl PairView for PairsRef<'_> {
    fn flat(&self) -> &[Pid] {
        self.0
    }
}

/// A table of pairs rewritten in place.
struct Pairs<'a>(&'a mut [Pid]);

impl PairView for Pairs<'_> {
    fn flat(&self) -> &[Pid] {
        self.0
    }
}

impl<'a> Pairs<'a> {
    /// The pairs of `table`, sorted by pid: at once when they already are
    /// (a scan lists processes in pid order), by heapsort otherwise (in
    /// place, O(n log n)).
    fn sorted(table: &'a mut [Pid]) -> Self {
        let mut pairs = Pairs(table);
        let n = pairs.len();
        let in_order = (1..n).all(|i| pairs.pid(i - 1) <= pairs.pid(i));
        if !in_order {
            for top in (0..n / 2).rev() {
                pairs.sift_down(top, n);
            }
            for end in (1..n).rev() {
                pairs.swap(0, end);
                pairs.sift_down(0, end);
            }
        }
        pairs
    }

    fn pid(&self, i: usize) -> Option<Pid> {
        self.get(i).map(|[pid, _]| pid)
    }

    fn set_parent(&mut self, i: usize, parent: Pid) {
        if let Some(slot) = i.checked_mul(2).and_then(|at| self.0.get_mut(at + 1)) {
            *slot = parent;
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        if i != j && i.max(j) < self.len() {
            self.0.swap(2 * i, 2 * j);
            self.0.swap(2 * i + 1, 2 * j + 1);
        }
    }

    /// Restores the max-heap below `at` among the first `end` pairs.
    fn sift_down(&mut self, mut at: usize, end: usize) {
        loop {
            let left = at.saturating_mul(2).saturating_add(1);
            if left >= end {
                return;
            }
            let right = left + 1;
            let child = if right < end && self.pid(right) > self.pid(left) {
                right
            } else {
                left
            };
            if self.pid(child) <= self.pid(at) {
                return;
            }
            self.swap(at, child);
            at = child;
        }
    }
}

/// Where the chain from pair `start` ends: `true` if it reaches `root`.
///
/// A loop of parents that does not pass through `root` ends as "not
/// below"; Brent's cycle detection finds it within a few times its length
/// plus the length of the path leading to it, so that every pair of a
/// loop is walked a bounded number of times before it is resolved.
fn resolve(pairs: &Pairs<'_>, start: usize, root: Pid) -> bool {
    let mut at = start;
    let mut mark = None;
    let (mut power, mut steps) = (1usize, 0usize);
    loop {
        let Some([pid, parent]) = pairs.get(at) else {
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
        match pairs.find(parent) {
            Some(next) => at = next,
            None => return false,
        }
    }
}

/// Rewrites the parent of every pair on the chain from `start` to the
/// verdict, until a resolved pair (or the walk's bound).
fn compress(pairs: &mut Pairs<'_>, start: usize, root: Pid, below: bool) {
    let mut at = start;
    for _ in 0..=pairs.len() {
        let Some([pid, parent]) = pairs.get(at) else {
            return;
        };
        if parent == root || parent == pid {
            return;
        }
        pairs.set_parent(at, if below { root } else { pid });
        match pairs.find(parent) {
            Some(next) => at = next,
            None => return,
        }
    }
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
