//! Conjunctive queries through the planner on the macOS (xnu) and FreeBSD
//! models: the kernel filter drives, the per-process info call tests.
//! Each answer is compared with an oracle that reads every process's info
//! from the same model and tests each condition itself.
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
/// are `infos`, answered by `run`.
fn check(
    infos: &[ProcInfo],
    mut run: impl FnMut(&Query<'_>) -> Result<Vec<Pid>, pidquery::Error>,
) -> usize {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let pids: Vec<Pid> = infos.iter().map(|i| i.pid).collect();
    let mut checked = 0;
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
        let got = run(&q).unwrap_or_else(|e| panic!("round {round}: {q:?}: {e}"));
        assert_eq!(got, want_all, "round {round}: {q:?}");
        checked += 1;
    }
    checked
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
            ..model::Proc::new(pid(100 + i))
        };
        assert!(m.insert(p.with_name(name)), "{i}");
    }
    let mut buf = PidBuf::new();
    let all: Vec<Pid> = m.fill(&PidQuery::all(), &mut buf).unwrap().to_vec();
    let infos: Vec<ProcInfo> = all.iter().filter_map(|&p| m.info(p).ok()).collect();
    let n = check(&infos, |q| Ok(m.select(q, &mut buf)?.to_vec()));
    assert_eq!(n, 300);
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
    let n = check(&infos, |q| Ok(m.select(q, &mut buf)?.to_vec()));
    assert_eq!(n, 300);
    linux_only_conditions_fail(|q| Ok(m.select(q, &mut buf)?.to_vec()));
}
