//! pidquery against the bare-syscall floor and its peers, per filter, in one
//! run; then `all` and `ppid` again with thousands of extra processes.
//!
//! ```text
//! cargo bench --bench query -- --warm-up-time 1 --measurement-time 3
//! PIDQUERY_BENCH_EXTRA=2000,10000 cargo bench --bench query -- --warm-up-time 1 --measurement-time 3
//! cargo bench -- --test        # each benchmark once (CI)
//! ```
//!
//! `PIDQUERY_BENCH_EXTRA` lists the crowd sizes for the scaling groups
//! (comma-separated; `0` or empty for none). The default is 1,000, or 100
//! under `--test`. A size above what the machine allows (`pid_max`, the
//! process limit, free memory) is lowered, and the group name says the size
//! used. See `BENCHMARKS.md` for results.

mod support;

use std::collections::BTreeSet;
use std::env;
use std::hint::black_box;
use std::os::unix::fs::MetadataExt;

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use pidquery::{Dev, Pid, PidBuf, PidQuery};

use support::fixture::{self, Crowd, Fixture};
use support::floor::{Floor, StatField};
use support::peers::{self, Want};

/// Children of the bench process, all in one spawned process group.
const CHILDREN: usize = 4;

/// What a benchmark's answer must be: exactly these pids (for the filters
/// that only match what the bench spawned), or a superset of these.
enum Expect {
    Exactly(Vec<i32>),
    Contains(Vec<i32>),
}

impl Expect {
    fn check(&self, who: &str, group: &str, answer: &[i32]) {
        let got: BTreeSet<i32> = answer.iter().copied().collect();
        assert_eq!(got.len(), answer.len(), "{group}/{who}: duplicate pids");
        match self {
            Expect::Exactly(want) => {
                let want: BTreeSet<i32> = want.iter().copied().collect();
                assert_eq!(got, want, "{group}/{who}: wrong answer");
            }
            Expect::Contains(want) => {
                for pid in want {
                    assert!(got.contains(pid), "{group}/{who}: {pid} missing");
                }
            }
        }
    }
}

fn to_query(want: Want) -> PidQuery {
    let pid = |raw: i32| Pid::from_raw(raw).expect("non-negative pid");
    match want {
        Want::All => PidQuery::all(),
        Want::Uid(uid) => PidQuery::uid(uid),
        Want::Ruid(ruid) => PidQuery::ruid(ruid),
        Want::Ppid(ppid) => PidQuery::ppid(pid(ppid)),
        Want::Pgrp(pgrp) => PidQuery::pgrp(pid(pgrp)),
        Want::Tty(dev) => PidQuery::tty(Dev::from_raw(dev)),
    }
}

fn floor_query(floor: &mut Floor, want: Want, out: &mut Vec<i32>) {
    match want {
        Want::All => floor.all(out),
        Want::Uid(uid) => floor.uid(uid, out),
        Want::Ruid(ruid) => floor.ruid(ruid, out),
        Want::Ppid(ppid) => floor.stat(StatField::Ppid, i64::from(ppid), out),
        Want::Pgrp(pgrp) => floor.stat(StatField::Pgrp, i64::from(pgrp), out),
        Want::Tty(dev) => floor.stat(StatField::TtyNr, dev as i64, out),
    }
    .expect("floor scan");
}

/// One group: every way of answering `want`, side by side.
fn bench_filter(c: &mut Criterion, group: &str, want: Want, expect: &Expect, crowd: bool) {
    let query = to_query(want);
    let procs = fixture::process_count();
    eprintln!("{group}: {procs} processes in /proc");

    // Every contestant must give the right answer before it is timed.
    let mut out = Vec::new();
    let mut buf = PidBuf::new();
    let answer: Vec<i32> = query
        .fill(&mut buf)
        .expect("pidquery fill")
        .iter()
        .map(|p| p.as_raw())
        .collect();
    expect.check("pidquery", group, &answer);
    let mut floor = Floor::open().expect("open /proc");
    floor_query(&mut floor, want, &mut out);
    expect.check("floor", group, &out);
    peers::procfs(want, &mut out).expect("procfs");
    expect.check("procfs", group, &out);
    let sysinfo_kind = peers::sysinfo_kind(want);
    if let Some(kind) = sysinfo_kind {
        peers::sysinfo(&mut sysinfo::System::new(), want, kind, &mut out);
        expect.check("sysinfo", group, &out);
    }
    peers::std_fs(want, &mut out).expect("std fs");
    expect.check("std fs", group, &out);

    let mut g: BenchmarkGroup<'_, _> = c.benchmark_group(group);
    g.throughput(Throughput::Elements(procs as u64));
    if crowd {
        g.sample_size(20).sampling_mode(SamplingMode::Flat);
    }
    g.bench_function("pidquery fill", |b| {
        let mut buf = PidBuf::new();
        query.fill(&mut buf).expect("warm-up fill");
        b.iter(|| black_box(query.fill(&mut buf).expect("fill").len()));
    });
    if matches!(want, Want::All) {
        g.bench_function("pidquery fill_slice", |b| {
            let room = query.probe().expect("probe") * 2 + 256;
            let mut slots = vec![Pid::ZERO; room];
            b.iter(|| black_box(query.fill_slice(&mut slots).expect("fill_slice")));
        });
    }
    g.bench_function("floor", |b| {
        let mut out = Vec::with_capacity(procs * 2 + 256);
        b.iter(|| {
            floor_query(&mut floor, want, &mut out);
            black_box(out.len())
        });
    });
    g.bench_function("procfs", |b| {
        let mut out = Vec::with_capacity(procs * 2 + 256);
        b.iter(|| {
            peers::procfs(want, &mut out).expect("procfs");
            black_box(out.len())
        });
    });
    if let Some(kind) = sysinfo_kind {
        g.bench_function("sysinfo new", |b| {
            let mut out = Vec::with_capacity(procs * 2 + 256);
            b.iter(|| {
                let mut system = sysinfo::System::new();
                peers::sysinfo(&mut system, want, kind, &mut out);
                black_box(out.len())
            });
        });
        g.bench_function("sysinfo reused", |b| {
            let mut out = Vec::with_capacity(procs * 2 + 256);
            let mut system = sysinfo::System::new();
            peers::sysinfo(&mut system, want, kind, &mut out);
            b.iter(|| {
                peers::sysinfo(&mut system, want, kind, &mut out);
                black_box(out.len())
            });
        });
    }
    g.bench_function("std fs", |b| {
        let mut out = Vec::with_capacity(procs * 2 + 256);
        b.iter(|| {
            peers::std_fs(want, &mut out).expect("std fs");
            black_box(out.len())
        });
    });
    g.finish();
}

/// The crowd sizes to scale to.
fn crowd_sizes(test_mode: bool) -> Vec<usize> {
    let spec = env::var("PIDQUERY_BENCH_EXTRA")
        .unwrap_or_else(|_| if test_mode { "100" } else { "1000" }.to_owned());
    spec.split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .collect()
}

fn main() {
    let test_mode = env::args().any(|a| a == "--test");
    let mut c = Criterion::default().configure_from_args();

    let fixture = Fixture::spawn(CHILDREN).expect("spawn the children");
    let me = Pid::this().as_raw();
    let uid = std::fs::metadata("/proc/self")
        .expect("stat /proc/self")
        .uid();
    let mine = fixture.children();

    bench_filter(
        &mut c,
        "all",
        Want::All,
        &Expect::Contains(mine.clone()),
        false,
    );
    bench_filter(
        &mut c,
        "uid",
        Want::Uid(uid),
        &Expect::Contains(mine.clone()),
        false,
    );
    bench_filter(
        &mut c,
        "ruid",
        Want::Ruid(uid),
        &Expect::Contains(mine.clone()),
        false,
    );
    bench_filter(
        &mut c,
        "ppid",
        Want::Ppid(me),
        &Expect::Exactly(mine.clone()),
        false,
    );
    let group = fixture.group_pids();
    let pgrp = fixture.pgrp;
    bench_filter(
        &mut c,
        "pgrp",
        Want::Pgrp(pgrp),
        &Expect::Exactly(group),
        false,
    );
    match &fixture.tty {
        Some(tty) => {
            let expect = Expect::Exactly(vec![tty.pid]);
            bench_filter(&mut c, "tty", Want::Tty(tty.rdev), &expect, false);
        }
        None => eprintln!(
            "tty: skipped, no child with a terminal ({})",
            fixture.tty_skip.as_deref().unwrap_or("unknown")
        ),
    }

    for wanted in crowd_sizes(test_mode) {
        let limit = fixture::crowd_limit();
        let n = wanted.min(limit);
        if n < wanted {
            eprintln!("scale: {wanted} extra processes lowered to {n} (machine limit)");
        }
        if n == 0 {
            continue;
        }
        let crowd = Crowd::spawn(n).expect("spawn the crowd");
        let n = crowd.len();
        let mut children = mine.clone();
        children.push(crowd.sh_pid());
        let all = Expect::Contains(mine.clone());
        bench_filter(&mut c, &format!("all +{n}"), Want::All, &all, true);
        let ppid = Expect::Exactly(children);
        bench_filter(&mut c, &format!("ppid +{n}"), Want::Ppid(me), &ppid, true);
        drop(crowd);
    }

    drop(fixture);
    c.final_summary();
}
