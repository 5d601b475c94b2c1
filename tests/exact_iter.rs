//! Every query shape gives one answer whichever way it runs: `fill`,
//! `fill_slice`, `PidQuery::iter`, `System::iter` (live and an explicit
//! `/proc`). A way that streams must not answer differently from one that
//! fills (a `descendants` stream once yielded nothing at all).
//!
//! The fixture: a process group of a leader and three children (none with
//! children of its own), and, where `script` exists, a pty session. The
//! shapes whose answer the fixture fixes are compared exactly with it; the
//! others (`all`, `uid`, `ruid`, `ppid` of this process, `descendants` of
//! this process) must hold every process listed before and after, and the
//! fixture.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;

use pidquery::{Pid, PidBuf, PidQuery, System};
use support::{family, ps, pty_session, skip};

/// The answer of every way of running `query`, by name.
fn every_way(query: &PidQuery) -> Vec<(&'static str, Vec<Pid>)> {
    let live = System::live().expect("live");
    let explicit = System::open("/proc").expect("open /proc");
    let mut buf = PidBuf::new();
    let filled = query.fill(&mut buf).expect("fill").to_vec();
    let room = query.probe().expect("probe") + 4096;
    let mut slots = vec![Pid::ZERO; room];
    let n = query.fill_slice(&mut slots).expect("fill_slice");
    let streamed =
        |pids: pidquery::Pids| -> Vec<Pid> { pids.collect::<Result<_, _>>().expect("iteration") };
    vec![
        ("fill", filled),
        ("fill_slice", slots[..n].to_vec()),
        ("PidQuery::iter", streamed(query.iter().expect("iter"))),
        ("System::iter", streamed(live.iter(query).expect("iter"))),
        (
            "System::open(/proc).iter",
            streamed(explicit.iter(query).expect("iter")),
        ),
        (
            "System::open(/proc).fill",
            explicit.fill(query, &mut buf).expect("fill").to_vec(),
        ),
    ]
}

#[test]
fn every_query_shape_gives_the_same_answer_every_way() {
    let family = family(3, true);
    let pty = pty_session();
    let me = ps()[&Pid::this()].clone();
    let leader = family.leader.pid();
    let members = family.members();
    let children: BTreeSet<Pid> = family.children.iter().copied().collect();

    // (name, query, exact answer or what it must hold)
    let mut shapes: Vec<(&str, PidQuery, BTreeSet<Pid>, bool)> = vec![
        ("all", PidQuery::all(), members.clone(), false),
        ("pgrp", PidQuery::pgrp(leader), members.clone(), true),
        ("ppid", PidQuery::ppid(leader), children.clone(), true),
        ("descendants", PidQuery::descendants(leader), children, true),
        (
            "descendants of this process",
            PidQuery::descendants(Pid::this()),
            members.clone(),
            false,
        ),
        (
            "ppid of this process",
            PidQuery::ppid(Pid::this()),
            [leader].into_iter().collect(),
            false,
        ),
        ("uid", PidQuery::uid(me.uid), members.clone(), false),
        ("ruid", PidQuery::ruid(me.ruid), members, false),
    ];
    match &pty {
        Some(pty) => shapes.push((
            "tty",
            PidQuery::tty_path(&pty.tty).expect("tty"),
            pty.members.clone(),
            true,
        )),
        None => skip("the tty shape", "`script` is not installed"),
    }

    let mut failures = Vec::new();
    for (name, query, want, exact) in shapes {
        let before: BTreeSet<Pid> = query
            .fill(&mut PidBuf::new())
            .expect("fill")
            .iter()
            .copied()
            .collect();
        let ways = every_way(&query);
        let after: BTreeSet<Pid> = query
            .fill(&mut PidBuf::new())
            .expect("fill")
            .iter()
            .copied()
            .collect();
        let stable: BTreeSet<Pid> = before.intersection(&after).copied().collect();
        for (way, answer) in ways {
            if !answer.windows(2).all(|w| w[0] < w[1]) {
                failures.push(format!("{name} via {way}: not ascending"));
            }
            let got: BTreeSet<Pid> = answer.iter().copied().collect();
            if exact && got != want {
                failures.push(format!("{name} via {way}: {got:?}, want {want:?}"));
            }
            let missing: Vec<Pid> = want
                .union(&stable)
                .filter(|p| !got.contains(p))
                .copied()
                .collect();
            if !missing.is_empty() {
                failures.push(format!("{name} via {way}: missing {missing:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
