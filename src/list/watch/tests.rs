//! The watch's poll, against a table of (pid, generation) pairs.

use super::*;
use crate::ErrorKind;

fn p(raw: i32) -> Pid {
    Pid::from_raw(raw).expect("non-negative")
}

fn put<const N: usize>(buf: &mut PidBuf<N>, pids: &[Pid]) {
    buf.spare(pids.len())[..pids.len()].copy_from_slice(pids);
    buf.set_answer_len(pids.len());
}

/// A process table of (pid, generation): a pid's identity is its
/// generation, bumped when the pid is reused.
struct Table {
    live: Vec<(i32, u64)>,
    identities: usize,
    checks: usize,
    /// Pids that vanish between the fill and their identity.
    vanish: Vec<i32>,
    /// Fail every identity with this error.
    fail: Option<ErrorKind>,
    /// Fail the fill with this error, after writing into the buffer.
    fail_fill: Option<ErrorKind>,
}

impl Table {
    fn new(live: &[(i32, u64)]) -> Table {
        Table {
            live: live.to_vec(),
            identities: 0,
            checks: 0,
            vanish: Vec::new(),
            fail: None,
            fail_fill: None,
        }
    }

    fn id(&self, pid: Pid) -> Result<ProcId, Error> {
        if let Some(kind) = self.fail {
            return Err(Error::new(kind, "identity").with_pid(pid));
        }
        if self.vanish.contains(&pid.as_raw()) {
            return Err(Error::no_such_process("identity", pid));
        }
        match self.live.iter().find(|e| e.0 == pid.as_raw()) {
            Some(&(_, generation)) => Ok(ProcId::new(pid, None, Some(generation))),
            None => Err(Error::no_such_process("identity", pid)),
        }
    }

    fn poll(&mut self, watch: &mut Watch) -> Result<Vec<Change>, Error> {
        let live = self.live.clone();
        let fail_fill = self.fail_fill;
        let changes = watch.poll_core(
            |_, buf| {
                let pids: Vec<Pid> = live.iter().rev().map(|e| p(e.0)).collect();
                put(buf, &pids);
                match fail_fill {
                    Some(kind) => Err(Error::new(kind, "fill")),
                    None => Ok(()),
                }
            },
            |pid, seen| match seen {
                Some(old) => {
                    self.checks += 1;
                    match self.id(pid) {
                        Ok(now) if now == *old => Ok(*old),
                        Ok(now) => {
                            self.identities += 1;
                            Ok(now)
                        }
                        Err(e) => Err(e),
                    }
                }
                None => {
                    self.identities += 1;
                    self.id(pid)
                }
            },
        )?;
        Ok(changes.collect())
    }
}

#[test]
fn a_reused_pid_is_a_death_then_a_birth_only_when_tracked() {
    let mut table = Table::new(&[(1, 0), (5, 0), (9, 0)]);
    let mut tracked = Watch::new(PidQuery::all()).track_reuse();
    let mut plain = Watch::new(PidQuery::all());
    assert_eq!(table.poll(&mut tracked).unwrap().len(), 3);
    assert_eq!(table.poll(&mut plain).unwrap().len(), 3);
    assert_eq!(table.identities, 3);
    // Nothing changed: one check per pid, no new identity.
    assert_eq!(table.poll(&mut tracked).unwrap(), []);
    assert_eq!((table.identities, table.checks), (3, 3));
    // 5 reused, 9 gone, 7 born.
    table.live = vec![(1, 0), (5, 1), (7, 0)];
    let got = table.poll(&mut tracked).unwrap();
    assert_eq!(
        got,
        [
            Change::Died(p(5)),
            Change::Born(p(5)),
            Change::Born(p(7)),
            Change::Died(p(9))
        ]
    );
    let changes = tracked.changes();
    assert_eq!(changes.len(), 4);
    assert!(changes.size_hint().1.is_some_and(|h| h >= 4));
    assert_eq!(tracked.changes().born().collect::<Vec<_>>(), [p(5), p(7)]);
    assert_eq!(tracked.changes().died().collect::<Vec<_>>(), [p(5), p(9)]);
    // Without identities the reuse is invisible.
    assert_eq!(
        table.poll(&mut plain).unwrap(),
        [Change::Born(p(7)), Change::Died(p(9))]
    );
    assert_eq!(table.poll(&mut tracked).unwrap(), []);
}

#[test]
fn a_pid_that_vanishes_before_its_identity_is_left_out() {
    let mut table = Table::new(&[(2, 0), (3, 0), (4, 0)]);
    let mut watch = Watch::new(PidQuery::all()).track_reuse();
    table.vanish = vec![3];
    let got = table.poll(&mut watch).unwrap();
    assert_eq!(got, [Change::Born(p(2)), Change::Born(p(4))]);
    assert_eq!(watch.current(), [p(2), p(4)]);
    // Seen before, gone at its check: a death.
    table.vanish = vec![4];
    assert_eq!(
        table.poll(&mut watch).unwrap(),
        [Change::Born(p(3)), Change::Died(p(4))]
    );
    assert_eq!(watch.current(), [p(2), p(3)]);
}

#[test]
fn a_failed_identity_fails_the_poll_and_changes_nothing() {
    let mut table = Table::new(&[(2, 0), (3, 0)]);
    let mut watch = Watch::new(PidQuery::all()).track_reuse();
    table.poll(&mut watch).unwrap();
    table.live = vec![(2, 1), (8, 0)];
    table.fail = Some(ErrorKind::Unsupported);
    let before: Vec<Change> = watch.changes().collect();
    let e = table.poll(&mut watch).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(watch.current(), [p(2), p(3)]);
    assert_eq!(watch.changes().collect::<Vec<_>>(), before);
    table.fail = None;
    assert_eq!(
        table.poll(&mut watch).unwrap(),
        [
            Change::Died(p(2)),
            Change::Born(p(2)),
            Change::Died(p(3)),
            Change::Born(p(8))
        ]
    );
    // Hidden since the fill counts as gone, not as an error.
    table.fail = Some(ErrorKind::PermissionDenied);
    assert_eq!(
        table.poll(&mut watch).unwrap(),
        [Change::Died(p(2)), Change::Died(p(8))]
    );
}

#[test]
fn a_failed_fill_changes_nothing() {
    for tracked in [false, true] {
        let mut table = Table::new(&[(2, 0), (3, 0)]);
        let mut watch = Watch::new(PidQuery::all());
        if tracked {
            watch = watch.track_reuse();
        }
        table.poll(&mut watch).unwrap();
        table.live = vec![(2, 0), (3, 0), (4, 0)];
        assert_eq!(table.poll(&mut watch).unwrap(), [Change::Born(p(4))]);
        // A fill that wrote a different answer, then failed.
        table.live = vec![(5, 0), (6, 0)];
        table.fail_fill = Some(ErrorKind::Os);
        for _ in 0..3 {
            let e = table.poll(&mut watch).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Os);
            assert_eq!(watch.current(), [p(2), p(3), p(4)], "tracked: {tracked}");
            assert_eq!(
                watch.changes().collect::<Vec<_>>(),
                [Change::Born(p(4))],
                "tracked: {tracked}"
            );
        }
        // The next poll that succeeds reports the changes since the
        // last one that did.
        table.fail_fill = None;
        table.live = vec![(3, 0), (4, 0), (7, 0)];
        assert_eq!(
            table.poll(&mut watch).unwrap(),
            [Change::Died(p(2)), Change::Born(p(7))]
        );
        assert_eq!(table.poll(&mut watch).unwrap(), []);
    }
}

#[test]
fn poll_with_on_a_tracking_watch_says_unsupported() {
    let mut watch = Watch::new(PidQuery::all()).track_reuse();
    let e = watch
        .poll_with(|_, buf| {
            put(buf, &[p(1)]);
            Ok(())
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(watch.current().is_empty());
    // Untracked, the same fill is fine.
    let mut plain = Watch::new(PidQuery::all());
    let n = plain
        .poll_with(|_, buf| {
            put(buf, &[p(1)]);
            Ok(())
        })
        .unwrap()
        .count();
    assert_eq!(n, 1);
}

/// Random tables against a set model: every change is what the
/// (pid, generation) sets say, ascending, a death before a birth.
#[test]
fn tracked_changes_match_the_sets_of_identities() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut table = Table::new(&[]);
    let mut watch = Watch::new(PidQuery::all()).track_reuse();
    let mut before: Vec<(i32, u64)> = Vec::new();
    for _ in 0..500 {
        let mut live: Vec<(i32, u64)> = Vec::new();
        for pid in 1..24 {
            let old = before.iter().find(|e| e.0 == pid).map(|e| e.1);
            match (next() % 4, old) {
                (0, _) => {}
                (1, Some(g)) => live.push((pid, g + 1)),
                (_, Some(g)) => live.push((pid, g)),
                (_, None) => live.push((pid, next() % 1000)),
            }
        }
        table.live = live.clone();
        let got = table.poll(&mut watch).unwrap();
        let mut want = Vec::new();
        for pid in 1..24 {
            let a = before.iter().find(|e| e.0 == pid);
            let b = live.iter().find(|e| e.0 == pid);
            match (a, b) {
                (Some(x), Some(y)) if x != y => {
                    want.push(Change::Died(p(pid)));
                    want.push(Change::Born(p(pid)));
                }
                (Some(_), None) => want.push(Change::Died(p(pid))),
                (None, Some(_)) => want.push(Change::Born(p(pid))),
                _ => {}
            }
        }
        assert_eq!(got, want, "{before:?} -> {live:?}");
        before = live;
    }
}
