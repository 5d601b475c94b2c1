//! The checks the conformance cases share: staging a scenario (or saying
//! why a case is skipped), an answer's shape, `fill` and a grown
//! `fill_slice`, every query worth asking of a scenario, and the core
//! check of every filter against the scenario and the oracle.

use std::collections::BTreeSet;

use pidquery::{Dev, ErrorKind, Filter, Pid, PidBuf, PidQuery};

use super::{Backend, Piece, Scenario, Staged};

/// Stages `pieces` on `b`, or prints why `case` is skipped.
pub(super) fn stage(b: &mut impl Backend, case: &str, pieces: &[Piece]) -> Option<Staged> {
    match b.stage(&Scenario::of(pieces)) {
        Ok(s) => Some(s),
        Err(reason) => {
            eprintln!("{}: {case}: skipped: {reason}", b.name());
            None
        }
    }
}

/// Asserts that `pids`, an answer to `q`, has no duplicates, and is
/// strictly ascending where the backend promises it.
pub(super) fn assert_shape(b: &impl Backend, q: &PidQuery, pids: &[Pid]) {
    if b.promises().ascending {
        assert!(
            pids.windows(2).all(|w| w[0] < w[1]),
            "{}: {q:?}: not strictly ascending: {pids:?}",
            b.name()
        );
    } else {
        let unique: BTreeSet<Pid> = pids.iter().copied().collect();
        assert_eq!(
            unique.len(),
            pids.len(),
            "{}: {q:?}: duplicates in {pids:?}",
            b.name()
        );
    }
}

/// `q` into a fresh buffer: the answer, checked for shape.
pub(super) fn fill(b: &mut impl Backend, q: &PidQuery) -> BTreeSet<Pid> {
    let mut buf = PidBuf::new();
    let pids = b
        .fill(q, &mut buf)
        .unwrap_or_else(|e| panic!("{}: {q:?} failed: {e}", b.name()));
    assert_shape(b, q, &pids);
    pids.into_iter().collect()
}

/// `q` by `fill_slice`, starting from an empty slice and growing it to
/// what each `Truncated` asks for (plus slack under churn); checked for
/// shape. Without churn the first size asked for must be enough.
pub(super) fn fill_slice_grown(b: &mut impl Backend, q: &PidQuery) -> BTreeSet<Pid> {
    let mut room: Vec<Pid> = Vec::new();
    for _ in 0..32 {
        match b.fill_slice(q, &mut room) {
            Ok(n) => {
                let listed = &room[..n];
                assert_shape(b, q, listed);
                return listed.iter().copied().collect();
            }
            Err(e) => {
                let ErrorKind::Truncated { needed } = e.kind() else {
                    panic!("{}: {q:?}: fill_slice failed: {e}", b.name());
                };
                assert!(
                    needed > room.len(),
                    "{}: {q:?}: Truncated {{ needed: {needed} }} for a slice of {}",
                    b.name(),
                    room.len()
                );
                assert!(
                    room.is_empty() || b.promises().churn,
                    "{}: {q:?}: the size it asked for ({}) was not enough",
                    b.name(),
                    room.len()
                );
                let slack = if b.promises().churn {
                    needed / 4 + 64
                } else {
                    0
                };
                room.resize(needed + slack, Pid::ZERO);
            }
        }
    }
    panic!("{}: {q:?}: fill_slice never fit", b.name());
}

/// Every query worth asking of `s`: each filter with every argument the
/// scenario uses (each process as a parent and a group, so childless
/// processes and non-leaders give empty answers), the values the forged
/// name claims, and the empty terminal.
pub(super) fn queries(s: &Staged) -> Vec<PidQuery> {
    let mut qs = vec![PidQuery::all()];
    let mut pids: BTreeSet<Pid> = s.pids();
    pids.insert(s.test.pid);
    let mut groups = pids.clone();
    groups.insert(s.test.pgid);
    groups.extend(s.members.iter().map(|m| m.pgid));
    let forged = [Pid::from_raw(1), Pid::from_raw(77)];
    pids.extend(forged.iter().flatten());
    groups.extend(forged.iter().flatten());
    qs.extend(pids.iter().map(|&p| PidQuery::ppid(p)));
    qs.extend(groups.iter().map(|&g| PidQuery::pgrp(g)));
    let mut uids: BTreeSet<u32> = [0, s.test.uid, s.test.ruid].into();
    uids.extend(s.members.iter().flat_map(|m| [m.uid, m.ruid]));
    qs.extend(uids.iter().map(|&u| PidQuery::uid(u)));
    qs.extend(uids.iter().map(|&u| PidQuery::ruid(u)));
    qs.push(PidQuery::tty(Dev::from_raw(0)));
    for t in &s.terminals {
        qs.push(PidQuery::tty(t.dev));
        if let Some(path) = &t.path {
            let by_path = PidQuery::tty_path(path)
                .unwrap_or_else(|e| panic!("tty_path({}): {e}", path.display()));
            assert_eq!(by_path, PidQuery::tty(t.dev), "{}", path.display());
            qs.push(by_path);
        }
    }
    qs
}

/// The core check, for every query of [`queries`]: the scenario's
/// processes the backend lists (by `fill` and by `fill_slice`) are exactly
/// those the scenario says match, and the oracle agrees. Arguments only the
/// scenario uses get exactly the scenario's answer, system-wide; without
/// churn every answer is the oracle's.
pub(super) fn check_every_filter(b: &mut impl Backend, s: &Staged) {
    let name = b.name();
    let churn = b.promises().churn;
    let mut buf = PidBuf::new();
    for q in queries(s) {
        let want = s.expected(&q);
        let got = b
            .fill(&q, &mut buf)
            .unwrap_or_else(|e| panic!("{name}: {q:?} failed: {e}"));
        assert_shape(b, &q, &got);
        let got: BTreeSet<Pid> = got.into_iter().collect();
        let sliced = fill_slice_grown(b, &q);
        let oracle = b.oracle(&q);
        assert_eq!(
            s.roles(&s.mine(&oracle)),
            s.roles(&want),
            "{name}: {q:?}: the oracle disagrees with the scenario"
        );
        if s.owns(&q) {
            assert_eq!(
                s.roles(&oracle),
                s.roles(&want),
                "{name}: {q:?}: the oracle sees more than the scenario"
            );
        }
        for (how, answer) in [("fill", &got), ("fill_slice", &sliced)] {
            assert_eq!(
                s.roles(&s.mine(answer)),
                s.roles(&want),
                "{name}: {q:?}: {how} lists the wrong processes of the scenario"
            );
            if s.owns(&q) {
                assert_eq!(
                    s.roles(answer),
                    s.roles(&want),
                    "{name}: {q:?}: {how} is not exactly the scenario's answer"
                );
            } else if !churn {
                assert_eq!(answer, &oracle, "{name}: {q:?}: {how} is not the oracle's");
            }
        }
        if let Filter::Ppid(_) = q.filter() {
            // A parent's children keep it while they live: every listed
            // child still alive is the oracle's child of it too.
            // (`alive` is read after `oracle`: a pid in both lived
            // throughout.)
            let alive = b.oracle(&PidQuery::all());
            let wrong: Vec<_> = got
                .iter()
                .filter(|p| alive.contains(p) && !oracle.contains(p))
                .collect();
            assert!(wrong.is_empty(), "{name}: {q:?}: not children: {wrong:?}");
        }
    }
}
