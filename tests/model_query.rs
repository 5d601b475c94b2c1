//! Conjunctive queries through the planner on the macOS (xnu) and FreeBSD
//! models: the kernel filter drives, the per-process info call tests.
//! Each answer is compared with an oracle that reads every process's info
//! from the same model and tests each condition itself; for `newest` and
//! `oldest`, the oracle picks by the start times of the model's own table,
//! many of them equal, with `pgrep`'s tie rule (`-n` the highest pid, `-o`
//! the lowest).
#![cfg(feature = "model")]

use pidquery::model::{self, freebsd};
use pidquery::{ErrorKind, Match, Namespaces, Pid, PidBuf, PidQuery, ProcInfo, Query, States};

/// xorshift, so that a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NAMES: [&[u8]; 5] = [
    b"alpha",
    b"beta",
    b"alphabet",
    b"gamma",
    b"a-very-long-program-name",
];

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

/// Which of the matches an answer keeps.
#[derive(Copy, Clone, Debug)]
enum Keep {
    All,
    Newest,
    Oldest,
}

/// The oracle's pick among `matches` (ascending) by `start_of` (the
/// model table's start times): the latest start, ties to the highest pid,
/// or the earliest, ties to the lowest, as `pgrep -n` and `-o`.
fn pick(matches: &[Pid], keep: Keep, start_of: &impl Fn(Pid) -> u64) -> Vec<Pid> {
    let keyed = matches.iter().map(|&p| (start_of(p), p.as_raw()));
    let chosen = match keep {
        Keep::All => return matches.to_vec(),
        Keep::Newest => keyed.max(),
        Keep::Oldest => keyed.min(),
    };
    chosen.map(|(_, p)| pid(p)).into_iter().collect()
}

/// The start time of `p` in a copy of the model's table.
fn table_start(starts: &[(Pid, u64)], p: Pid) -> u64 {
    let found = starts.iter().find(|&&(q, _)| q == p);
    found
        .map(|&(_, start)| start)
        .expect("every pid is in the table")
}

/// The Linux-only conditions fail with `Unsupported` naming the
/// condition, whatever else the query holds: even when no process could
/// match (a group nobody is in), never an empty answer.
fn linux_only_conditions_fail(
    mut run: impl FnMut(&Query<'_>) -> Result<Vec<Pid>, pidquery::Error>,
) {
    let nobody = pid(999_999);
    let paths = [b"/".as_slice()];
    let queries = [
        (
            "same_namespaces",
            Query::new().same_namespaces(pid(1), Namespaces::NET),
        ),
        (
            "same_namespaces",
            Query::new().same_namespaces(pid(1), Namespaces::empty()),
        ),
        (
            "same_namespaces",
            Query::new()
                .pgrp(nobody)
                .same_namespaces(pid(1), Namespaces::all())
                .negate(),
        ),
        ("cgroup", Query::new().cgroup(&paths[..])),
        (
            "cgroup",
            Query::new().euid(0).cgroup(b"/".as_slice()).newest(),
        ),
        ("cgroup", Query::new().parent(nobody).cgroup(&paths[..])),
    ];
    for (op, q) in &queries {
        let err = run(q).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{q:?}");
        assert_eq!(err.operation(), *op, "{q:?}");
        assert!(err.to_string().contains("not supported"), "{err}");
    }
}

/// Random conjunctions (with negation and picks) on a table whose infos
/// are `infos` and start times `start_of`, answered by `run`. Returns the
/// rounds checked and how many of them had a pick decided by a tie.
fn check(
    infos: &[ProcInfo],
    start_of: impl Fn(Pid) -> u64,
    mut run: impl FnMut(&Query<'_>) -> Result<Vec<Pid>, pidquery::Error>,
) -> (usize, usize) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let pids: Vec<Pid> = infos.iter().map(|i| i.pid).collect();
    let mut checked = 0;
    let mut tied = 0;
    for round in 0..300 {
        let a = pids[rng.below(pids.len())];
        let b = pids[rng.below(pids.len())];
        let pg = [infos[rng.below(infos.len())].pgid, a];
        let eu = [infos[rng.below(infos.len())].euid];
        let ru = [infos[rng.below(infos.len())].ruid, 7];
        let rg = [infos[rng.below(infos.len())].rgid];
        let pa = [infos[rng.below(infos.len())].ppid, b];
        let de = [infos[rng.below(infos.len())].ppid];
        let src = infos[rng.below(infos.len())].comm;
        let cut = rng.below(src.len() + 1);
        let pat = src.as_bytes()[..cut].to_vec();
        let (pg_n, pa_n) = (1 + rng.below(2), 1 + rng.below(2));
        let mut q = Query::new();
        let mut which = Vec::new();
        for c in 0..8 {
            if rng.below(3) != 0 {
                continue;
            }
            which.push(c);
            q = match c {
                0 => q.pgrp(&pg[..pg_n]),
                1 => q.euid(&eu),
                2 => q.ruid(&ru[..]),
                3 => q.rgid(&rg),
                4 => q.parent(&pa[..pa_n]),
                5 => q.descendant_of(&de),
                6 => q.state(States::RUNNING | States::ZOMBIE),
                _ => q.name(Match::prefix(&pat)),
            };
        }
        let negate = round % 4 == 3;
        if negate {
            q = q.negate();
        }
        let keep = [Keep::All, Keep::Newest, Keep::Oldest][round / 4 % 3];
        q = match keep {
            Keep::All => q,
            Keep::Newest => q.newest(),
            Keep::Oldest => q.oldest(),
        };
        let parent_of = |p: Pid| infos.iter().find(|i| i.pid == p).map(|i| i.ppid);
        let below = |i: &ProcInfo, roots: &[Pid]| {
            let mut at = i.ppid;
            for _ in 0..1000 {
                // No process is below itself (pid 0 is its own parent).
                if at == i.pid {
                    return false;
                }
                if roots.contains(&at) {
                    return true;
                }
                match parent_of(at) {
                    Some(p) if p != at => at = p,
                    _ => return false,
                }
            }
            false
        };
        let want_all: Vec<Pid> = {
            let mut v: Vec<Pid> = infos
                .iter()
                .filter(|i| {
                    let all = which.iter().all(|&c| match c {
                        0 => pg[..pg_n].contains(&i.pgid),
                        1 => eu.contains(&i.euid),
                        2 => ru.contains(&i.ruid),
                        3 => rg.contains(&i.rgid),
                        4 => pa[..pa_n].contains(&i.ppid),
                        5 => below(i, &de),
                        6 => matches!(i.state, pidquery::State::Running | pidquery::State::Zombie),
                        _ => i.comm.as_bytes().starts_with(&pat),
                    });
                    all != negate
                })
                .map(|i| i.pid)
                .collect();
            v.sort();
            v
        };
        let want = pick(&want_all, keep, &start_of);
        if let Some(&chosen) = want.first().filter(|_| !matches!(keep, Keep::All)) {
            let start = start_of(chosen);
            if want_all
                .iter()
                .any(|&p| p != chosen && start_of(p) == start)
            {
                tied += 1;
            }
        }
        let got = run(&q).unwrap_or_else(|e| panic!("round {round}: {q:?}: {e}"));
        assert_eq!(got, want, "round {round}: {q:?}");
        checked += 1;
    }
    (checked, tied)
}

#[test]
fn xnu_model_answers_conjunctions_through_its_kernel_filters() {
    let mut m = model::Model::new();
    for i in 0..40i32 {
        let parent = if i < 8 {
            pid(1)
        } else {
            pid(100 + (i * 7) % i)
        };
        let name = NAMES[i as usize % NAMES.len()];
        let p = model::Proc {
            ppid: parent,
            pgid: pid(100 + (i % 3) * 5),
            sid: pid(100),
            uid: (i % 3) as u32,
            ruid: (i % 2) as u32,
            rgid: (i % 4) as u32,
            // Seven start times among forty: many ties.
            start_usec: 1_000_000 + (i as u64 * 3 % 7) * 1_000,
            ..model::Proc::new(pid(100 + i))
        };
        assert!(m.insert(p.with_name(name)), "{i}");
    }
    let mut buf = PidBuf::new();
    let all: Vec<Pid> = m.fill(&PidQuery::all(), &mut buf).unwrap().to_vec();
    let infos: Vec<ProcInfo> = all.iter().filter_map(|&p| m.info(p).ok()).collect();
    assert!(infos.iter().all(|i| i.start.is_some()), "{infos:?}");
    let starts: Vec<(Pid, u64)> = all
        .iter()
        .filter_map(|&p| Some((p, m.get(p)?.start_usec)))
        .collect();
    let start_of = |p: Pid| table_start(&starts, p);
    let (n, tied) = check(&infos, start_of, |q| Ok(m.select(q, &mut buf)?.to_vec()));
    assert_eq!(n, 300);
    assert!(tied >= 20, "{tied} picks decided by a tie");
    let err = m
        .select(&Query::new().cmdline(Match::exact("x")), &mut buf)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    linux_only_conditions_fail(|q| Ok(m.select(q, &mut buf)?.to_vec()));
}

#[test]
fn freebsd_model_answers_conjunctions_through_its_kernel_filters() {
    let mut m = freebsd::Model::new();
    let init = pid(1);
    let mut made = Vec::new();
    for i in 0..40 {
        let parent = if i < 8 {
            init
        } else {
            made[(i * 7) % made.len()]
        };
        let child = m.spawn(parent).unwrap();
        let name = std::str::from_utf8(NAMES[i % NAMES.len()]).unwrap();
        m.update(child, |p| {
            p.uid = (i % 3) as u32;
            p.ruid = (i % 2) as u32;
            p.rgid = (i % 4) as u32;
            // Seven start times among forty: many ties.
            p.start = 1_000 + (i as i64 * 3 % 7) * 1_000;
            *p = p.clone().named(name);
        });
        if i % 5 == 0 {
            m.setpgid(child, child);
        }
        made.push(child);
    }
    let mut buf = PidBuf::new();
    let all: Vec<Pid> = m.fill(&PidQuery::all(), &mut buf).unwrap().to_vec();
    let infos: Vec<ProcInfo> = all.iter().filter_map(|&p| m.info(p).ok()).collect();
    assert!(infos.iter().all(|i| i.start.is_some()), "{infos:?}");
    let starts: Vec<(Pid, u64)> = all
        .iter()
        .filter_map(|&p| Some((p, m.get(p)?.start.max(0) as u64)))
        .collect();
    let start_of = |p: Pid| table_start(&starts, p);
    let (n, tied) = check(&infos, start_of, |q| Ok(m.select(q, &mut buf)?.to_vec()));
    assert_eq!(n, 300);
    assert!(tied >= 20, "{tied} picks decided by a tie");
    linux_only_conditions_fail(|q| Ok(m.select(q, &mut buf)?.to_vec()));
}
