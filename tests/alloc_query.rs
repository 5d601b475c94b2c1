//! Zero heap allocation per [`Query`] in steady state, for a table of
//! condition combinations, by every way of running one (`fill`,
//! `fill_slice`, `iter` to the end and with an early exit), proved with
//! the counting allocator (per-thread counters, see `tests/alloc.rs`).

#![cfg(target_os = "linux")]

#[allow(dead_code)]
#[path = "support/alloc.rs"]
mod alloc;
#[allow(dead_code)]
#[path = "support/query_fixture.rs"]
mod fixture;

use std::time::{Duration, SystemTime};

use alloc::{measure, Counting, Counts};
use pidquery::{Match, Namespaces, Pid, PidBuf, Query, States};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Rounds per way of running, after the warm-up.
const ROUNDS: usize = 40;

#[test]
fn every_combination_allocates_nothing_per_query_after_warm_up() {
    let fx = match fixture::QueryFixture::start() {
        Ok(fx) => fx,
        Err(why) => {
            eprintln!("SKIP every_combination_allocates_nothing_per_query_after_warm_up: {why}");
            return;
        }
    };
    let p = |k: &str| Pid::from_raw(fx.pid(k)).unwrap();
    let leader = Pid::from_raw(fx.leader).unwrap();
    let pgrps = [p("alpha1"), p("beta")];
    let parents = [p("tree"), p("tree/sh2")];
    let odd = |b: &[u8]| !b.len().is_multiple_of(2);
    let long_ago = SystemTime::now() - Duration::from_secs(3600 * 24 * 365 * 30);
    // The cgroup of the fixture's own process when it has one, else the
    // leader's: either way a path some fixture process is in.
    let leader_cgroup = std::fs::read(format!("/proc/{}/cgroup", fx.leader))
        .unwrap()
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"0::"))
        .map(|l| l[3..].to_vec());
    let cgroup_path: Vec<u8> = match (&fx.cgroup_path, leader_cgroup) {
        (Some(p), _) => p.clone().into_bytes(),
        (None, Some(p)) => p,
        (None, None) => {
            eprintln!("SKIP the cgroup rows: no cgroup v2 line");
            Vec::new()
        }
    };
    let cgroups = [b"/no/such/group".as_slice(), &cgroup_path];
    let table: Vec<(&str, Query<'_>, usize)> = vec![
        ("name", Query::new().name(Match::exact("alpha")), 3),
        (
            "name ∧ euid",
            Query::new().name(Match::exact("alpha")).euid(0),
            2,
        ),
        (
            "name prefix ∧ ruid ∧ rgid",
            Query::new()
                .name(Match::prefix("gam"))
                .ruid(1000)
                .rgid(1000),
            1,
        ),
        (
            "name case-insensitive",
            Query::new().name(Match::exact("BETA-case").ignore_ascii_case()),
            1,
        ),
        (
            "name custom",
            Query::new().name(Match::custom(&odd)).session(leader),
            3,
        ),
        (
            "cmdline",
            Query::new().cmdline(Match::substring("LONG-ARG")),
            1,
        ),
        (
            "cmdline ∧ session",
            Query::new().session(leader).cmdline(Match::prefix("./")),
            4,
        ),
        (
            "parent ∧ name",
            Query::new()
                .parent(p("tree/sh2"))
                .name(Match::exact("epsilon")),
            1,
        ),
        ("parents", Query::new().parent(&parents), 4),
        (
            "descendant_of ∧ state",
            Query::new()
                .descendant_of(leader)
                .state(States::STOPPED | States::ZOMBIE),
            2,
        ),
        ("pgrps ∧ tty", Query::new().pgrp(&pgrps).session(leader), 3),
        (
            "negated",
            Query::new().name(Match::exact("alpha")).negate(),
            10,
        ),
        ("newest", Query::new().session(leader).newest(), 1),
        (
            "oldest ∧ euid",
            Query::new().session(leader).euid(0).oldest(),
            1,
        ),
        (
            "except",
            Query::new().pgrp(p("alpha1")).except(p("alpha1")),
            1,
        ),
        (
            "started_after",
            Query::new().session(leader).started_after(long_ago),
            10,
        ),
        ("uid alone", Query::new().euid(0), 10),
        (
            "same_namespaces",
            Query::new().same_namespaces(leader, Namespaces::NET | Namespaces::UTS),
            10,
        ),
        (
            "same_namespaces ∧ session",
            Query::new()
                .session(leader)
                .same_namespaces(leader, Namespaces::PGREP_DEFAULT),
            10,
        ),
        (
            "euid ∧ same_namespaces",
            Query::new()
                .euid(0)
                .same_namespaces(leader, Namespaces::all()),
            10,
        ),
        (
            "same_namespaces negated",
            Query::new()
                .same_namespaces(leader, Namespaces::NET)
                .negate()
                .session(leader),
            1,
        ),
    ];
    let mut table = table;
    if !cgroup_path.is_empty() {
        table.push(("cgroup", Query::new().cgroup(&cgroups[..]), 1));
        // The real ids read first (`PIDFD_GET_INFO` where the kernel
        // has it, before the directory the cgroup is read through).
        table.push((
            "ruid ∧ cgroup",
            Query::new().ruid(&[0, 1000][..]).cgroup(&cgroups[..]),
            1,
        ));
        table.push((
            "cgroup ∧ euid ∧ namespaces",
            Query::new()
                .cgroup(&cgroups[..])
                .euid(0)
                .same_namespaces(leader, Namespaces::IPC),
            1,
        ));
        table.push((
            "parent ∧ cgroup",
            Query::new().parent(leader).cgroup(&cgroups[..]),
            1,
        ));
    }
    let room = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse::<usize>()
        .unwrap();
    let mut buf = PidBuf::with_capacity(room);
    let mut slots = vec![Pid::ZERO; room];
    for (name, q, at_least) in &table {
        let run = |buf: &mut PidBuf, slots: &mut [Pid]| -> (usize, usize, usize, bool) {
            let a = q.fill(buf).unwrap().len();
            let b = q.fill_slice(slots).unwrap();
            let c = q.iter().unwrap().map(Result::unwrap).count();
            let d = q.iter().unwrap().next().is_some();
            (a, b, c, d)
        };
        let (_, warm) = measure(|| {
            for _ in 0..3 {
                run(&mut buf, &mut slots);
            }
        });
        let mut least = usize::MAX;
        let ((), counts) = measure(|| {
            for _ in 0..ROUNDS {
                let (a, b, c, d) = run(&mut buf, &mut slots);
                least = least.min(a).min(b).min(c);
                assert!(d);
            }
        });
        eprintln!("{name:>26}: warm-up {warm:?}; {ROUNDS}×(fill, fill_slice, iter, early exit) {counts:?}; answers ≥ {least}");
        assert!(
            least >= *at_least,
            "{name}: answers of {least}, wanted ≥ {at_least}"
        );
        assert_eq!(counts, Counts::ZERO, "{name} used the heap");
    }
}
