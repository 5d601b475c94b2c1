//! The conformance cases, one public function each: the names
//! `conformance_suite!` expands into tests.

use std::collections::BTreeSet;

use pidquery::{Dev, ErrorKind, Pid, PidBuf, PidQuery};

use super::checks::{assert_shape, check_every_filter, fill, fill_slice_grown, stage};
use super::{Backend, Piece};

/// Every process kind together: every filter with every argument finds
/// exactly the processes that match (see [`check_every_filter`]).
pub fn every_filter_finds_exactly_the_matching_members(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "every_filter_finds_exactly_the_matching_members",
        &[
            Piece::Sleeper,
            Piece::Sleeper,
            Piece::Family {
                children: 2,
                own_group: true,
            },
            Piece::Family {
                children: 1,
                own_group: false,
            },
            Piece::Pty { high: false },
            Piece::Zombie { own_group: true },
            Piece::Zombie { own_group: false },
            Piece::ForgedName,
        ],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    // The assertions above can see each kind of answer: none is vacuous.
    let leader = s.member("family2.leader").pid;
    assert_eq!(fill(b, &PidQuery::pgrp(leader)).len(), 3);
    assert_eq!(fill(b, &PidQuery::ppid(leader)).len(), 2);
    let all = fill(b, &PidQuery::all());
    assert!(s.pids().is_subset(&all) && all.contains(&s.test.pid));
    let ours = fill(b, &PidQuery::pgrp(s.test.pgid));
    assert!(ours.contains(&s.member("family3.leader").pid));
    assert!(!ours.contains(&leader));
}

/// A zombie is listed by `all`, by `ppid` of its parent, by `pgrp` (alone
/// in a group of its own) and by its uids, until it is reaped.
pub fn zombies_are_listed_by_all_ppid_and_pgrp(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "zombies_are_listed_by_all_ppid_and_pgrp",
        &[
            Piece::Zombie { own_group: false },
            Piece::Zombie { own_group: true },
        ],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let (z, g) = (s.member("zombie0"), s.member("zombie1"));
    let zombies = BTreeSet::from([z.pid, g.pid]);
    for q in [
        PidQuery::all(),
        PidQuery::ppid(s.test.pid),
        PidQuery::uid(z.uid),
        PidQuery::ruid(z.ruid),
    ] {
        assert!(zombies.is_subset(&fill(b, &q)), "{}: {q:?}", b.name());
    }
    assert!(fill(b, &PidQuery::pgrp(z.pgid)).contains(&z.pid));
    assert_eq!(fill(b, &PidQuery::pgrp(g.pid)), BTreeSet::from([g.pid]));

    b.reap(z.pid);
    b.reap(g.pid);
    let kids = fill(b, &PidQuery::ppid(s.test.pid));
    assert!(
        kids.is_disjoint(&zombies),
        "{}: reaped zombies listed",
        b.name()
    );
    assert!(fill(b, &PidQuery::pgrp(g.pid)).is_empty());
}

/// A pty as controlling terminal: `tty` (and `tty_path` where there are
/// paths) finds exactly the processes on it, not the one holding its
/// master side, not the test.
pub fn a_controlling_pty_is_found_by_tty(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "a_controlling_pty_is_found_by_tty",
        &[Piece::Pty { high: false }],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let on_it = BTreeSet::from([s.member("pty0.session").pid, s.member("pty0.child").pid]);
    let t = &s.terminals[0];
    let mut qs = vec![PidQuery::tty(t.dev)];
    qs.extend(t.path.iter().map(|p| PidQuery::tty_path(p).unwrap()));
    for q in qs {
        let found = fill(b, &q);
        assert_eq!(found, on_it, "{}: {q:?}", b.name());
        assert_eq!(b.oracle(&q), on_it, "{}: {q:?}: the oracle", b.name());
        assert!(!found.contains(&s.member("pty0.holder").pid));
        assert!(!found.contains(&s.test.pid));
    }
}

/// A terminal whose minor number does not fit 8 bits is found, and the
/// device with the same low minor byte is another terminal.
pub fn a_pty_numbered_256_or_more_is_found(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "a_pty_numbered_256_or_more_is_found",
        &[Piece::Pty { high: true }],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let dev = s.terminals[0].dev;
    assert!(dev.minor() >= 256, "{dev:?}");
    let on_it = BTreeSet::from([s.member("pty0.session").pid]);
    assert_eq!(fill(b, &PidQuery::tty(dev)), on_it, "{}", b.name());
    let aliased = Dev::new(dev.major(), dev.minor() & 0xff);
    assert!(fill(b, &PidQuery::tty(aliased)).is_disjoint(&on_it));
}

/// A process named like the fields after the name in `/proc/<pid>/stat`
/// is still found by its real parent and group, not by the claimed ones.
pub fn forged_names_fool_neither_ppid_nor_pgrp(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "forged_names_fool_neither_ppid_nor_pgrp",
        &[Piece::ForgedName],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let f = s
        .members
        .iter()
        .find(|m| m.spec.forged_name)
        .expect("a forged name");
    let claimed = |raw| Pid::from_raw(raw).unwrap();
    assert!(fill(b, &PidQuery::ppid(s.test.pid)).contains(&f.pid));
    assert!(!fill(b, &PidQuery::ppid(claimed(1))).contains(&f.pid));
    if f.pgid != claimed(77) {
        assert!(!fill(b, &PidQuery::pgrp(claimed(77))).contains(&f.pid));
    }
    for q in [
        PidQuery::pgrp(f.pgid),
        PidQuery::all(),
        PidQuery::uid(f.uid),
        PidQuery::ruid(f.ruid),
    ] {
        assert!(fill(b, &q).contains(&f.pid), "{}: {q:?}", b.name());
    }
}

/// `uid` is the effective uid and `ruid` the real one: two processes with
/// them swapped are told apart.
pub fn uid_is_effective_and_ruid_is_real(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "uid_is_effective_and_ruid_is_real",
        &[
            Piece::Uids {
                ruid: 1234,
                euid: 4321,
            },
            Piece::Uids {
                ruid: 4321,
                euid: 1234,
            },
        ],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let (a, c) = (s.member("uids0").pid, s.member("uids1").pid);
    let mut mine = |q: PidQuery| s.mine(&fill(b, &q));
    assert_eq!(mine(PidQuery::uid(4321)), BTreeSet::from([a]));
    assert_eq!(mine(PidQuery::ruid(1234)), BTreeSet::from([a]));
    assert_eq!(mine(PidQuery::uid(1234)), BTreeSet::from([c]));
    assert_eq!(mine(PidQuery::ruid(4321)), BTreeSet::from([c]));
    assert!(mine(PidQuery::uid(0)).is_empty());
    assert!(mine(PidQuery::ruid(0)).is_empty());
}

/// Queries that match nothing succeed with nothing, into a buffer, an
/// empty slice or a larger one.
pub fn empty_answers_are_ok_and_fit_an_empty_slice(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "empty_answers_are_ok_and_fit_an_empty_slice",
        &[
            Piece::Sleeper,
            Piece::Family {
                children: 1,
                own_group: true,
            },
        ],
    ) else {
        return;
    };
    let name = b.name();
    let (sleeper, child) = (s.member("sleeper0").pid, s.member("family1.child0").pid);
    for q in [
        PidQuery::ppid(sleeper),
        PidQuery::pgrp(sleeper),
        PidQuery::ppid(child),
        PidQuery::pgrp(child),
        PidQuery::tty(Dev::from_raw(0)),
    ] {
        assert!(s.expected(&q).is_empty(), "{q:?}");
        assert_eq!(b.fill(&q, &mut PidBuf::new()).unwrap(), [], "{name}: {q:?}");
        assert_eq!(b.fill_slice(&q, &mut []).unwrap(), 0, "{name}: {q:?}");
        assert_eq!(
            b.fill_slice(&q, &mut [Pid::ZERO; 4]).unwrap(),
            0,
            "{name}: {q:?}"
        );
        assert!(b.oracle(&q).is_empty(), "{name}: {q:?}: the oracle");
    }
    // Not vacuous: the same processes do answer other queries.
    let leader = s.member("family1.leader").pid;
    assert_eq!(fill(b, &PidQuery::ppid(leader)), BTreeSet::from([child]));
}

/// A slice too small for the answer is `Truncated { needed }`, with
/// `needed` covering every match — never `Ok` with a short list — and a
/// slice of `needed` then holds the whole answer.
pub fn a_short_slice_is_truncated_never_a_short_list(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "a_short_slice_is_truncated_never_a_short_list",
        &[Piece::Family {
            children: 2,
            own_group: true,
        }],
    ) else {
        return;
    };
    let name = b.name();
    let promises = b.promises();
    let leader = s.member("family0.leader").pid;
    for q in [PidQuery::pgrp(leader), PidQuery::ppid(leader)] {
        let want = s.expected(&q);
        let count = want.len();
        assert!(count >= 2, "{q:?}");
        for len in 0..count {
            let mut short = vec![Pid::ZERO; len];
            let needed = match b.fill_slice(&q, &mut short) {
                Ok(n) => panic!("{name}: {q:?}: Ok({n}) in a slice of {len} for {count} matches"),
                Err(e) => match e.kind() {
                    ErrorKind::Truncated { needed } => needed,
                    _ => panic!("{name}: {q:?}: {e}"),
                },
            };
            assert!(needed >= count, "{name}: {q:?}: needed {needed} < {count}");
            assert!(
                needed > len,
                "{name}: {q:?}: needed {needed} for a slice of {len}"
            );
            let mut room = vec![Pid::ZERO; needed];
            let n = b.fill_slice(&q, &mut room).unwrap();
            assert_shape(b, &q, &room[..n]);
            assert_eq!(room[..n].iter().copied().collect::<BTreeSet<_>>(), want);
        }
        // Exactly the answer's size.
        let mut exact = vec![Pid::ZERO; count];
        match b.fill_slice(&q, &mut exact) {
            Ok(n) => {
                assert!(
                    promises.exact_fit,
                    "{name}: {q:?}: a full slice taken as complete"
                );
                assert_eq!(exact[..n].iter().copied().collect::<BTreeSet<_>>(), want);
            }
            Err(e) => {
                assert!(!promises.exact_fit, "{name}: {q:?}: {e}");
                assert!(
                    matches!(e.kind(), ErrorKind::Truncated { needed } if needed > count),
                    "{name}: {q:?}: {e:?}"
                );
            }
        }
        let mut roomy = vec![Pid::ZERO; count + 5];
        assert_eq!(
            b.fill_slice(&q, &mut roomy).unwrap(),
            count,
            "{name}: {q:?}"
        );
    }

    // The whole system: the need covers every process there throughout.
    let all = PidQuery::all();
    for len in [0, 1] {
        let before = b.oracle(&all);
        let err = b.fill_slice(&all, &mut vec![Pid::ZERO; len]).unwrap_err();
        let after = b.oracle(&all);
        let ErrorKind::Truncated { needed } = err.kind() else {
            panic!("{name}: {err:?}");
        };
        let stable = before.intersection(&after).count();
        assert!(
            needed >= stable,
            "{name}: needed {needed} < {stable} processes"
        );
    }
    let listed = fill_slice_grown(b, &all);
    assert!(s.pids().is_subset(&listed) && listed.contains(&s.test.pid));
    if !promises.churn {
        assert_eq!(listed, b.oracle(&all), "{name}");
    }
}

/// Reaped children are no longer listed; the others still are, and a
/// family's children are untouched.
pub fn reaped_children_are_no_longer_listed(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "reaped_children_are_no_longer_listed",
        &[
            Piece::Sleeper,
            Piece::Sleeper,
            Piece::Sleeper,
            Piece::Zombie { own_group: false },
            Piece::Family {
                children: 3,
                own_group: false,
            },
        ],
    ) else {
        return;
    };
    let name = b.name();
    let leader = s.member("family4.leader").pid;
    let family = fill(b, &PidQuery::ppid(leader));
    assert_eq!(family, s.expected(&PidQuery::ppid(leader)));
    let mut left: BTreeSet<Pid> = ["sleeper0", "sleeper1", "sleeper2", "zombie3"]
        .iter()
        .map(|r| s.member(r).pid)
        .collect();
    assert!(left.is_subset(&fill(b, &PidQuery::ppid(s.test.pid))));
    for role in ["sleeper1", "zombie3", "sleeper0", "sleeper2"] {
        let gone = s.member(role).pid;
        b.reap(gone);
        left.remove(&gone);
        let kids = fill(b, &PidQuery::ppid(s.test.pid));
        assert!(!kids.contains(&gone), "{name}: reaped {role} still listed");
        assert!(left.is_subset(&kids), "{name}: lost {:?}", s.roles(&left));
        assert!(!fill(b, &PidQuery::all()).contains(&gone), "{name}: {role}");
    }
    assert_eq!(fill(b, &PidQuery::ppid(leader)), family);
}
