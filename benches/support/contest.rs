//! The contestants of one group, and the groups of one run.

use std::collections::BTreeSet;
use std::env;
use std::os::unix::fs::MetadataExt;

use pidquery::{Dev, ErrorKind, Pid, PidBuf, PidQuery};

use super::fixture::{self, Crowd, Fixture, NOBODY};
use super::floor::{Floor, StatField};
use super::peers::{self, Want};

/// Children of the bench process, all in one spawned process group.
const CHILDREN: usize = 4;

/// One way of answering a group's filter. Each call runs the whole query
/// and returns the number of pids found; state kept between calls (buffers,
/// open descriptors, a `sysinfo::System`) is what a user would keep.
pub struct Contestant {
    pub name: &'static str,
    pub run: Box<dyn FnMut() -> usize>,
}

/// What a group's answer must be: exactly these pids (for the filters that
/// only match what the bench spawned), or a superset of these.
pub enum Expect {
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

/// One benchmark group: a filter, its argument and what it must return.
pub struct Group {
    pub name: String,
    pub want: Want,
    pub expect: Expect,
    /// Whether thousands of extra processes are running (slow contestants:
    /// fewer samples).
    pub crowd: bool,
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

/// `fill_slice` as a user would run it: caller storage, grown to twice the
/// need when the answer does not fit (other processes may come and go by
/// thousands on a shared machine).
fn fill_slice(query: &PidQuery, slots: &mut Vec<Pid>) -> usize {
    loop {
        match query.fill_slice(slots) {
            Ok(n) => return n,
            Err(e) => match e.kind() {
                ErrorKind::Truncated { needed } => slots.resize(needed * 2, Pid::ZERO),
                _ => panic!("pidquery fill_slice: {e}"),
            },
        }
    }
}

/// Every way of answering `group`'s filter, each checked once against the
/// expected answer before it is returned.
pub fn contestants(group: &Group) -> Vec<Contestant> {
    let want = group.want;
    let query = to_query(want);
    let room = fixture::process_count() * 2 + 256;
    let mut all: Vec<Contestant> = Vec::new();

    let mut buf = PidBuf::new();
    all.push(Contestant {
        name: "pidquery fill",
        run: Box::new(move || query.fill(&mut buf).expect("pidquery fill").len()),
    });
    if matches!(want, Want::All) {
        let mut slots = vec![Pid::ZERO; room];
        all.push(Contestant {
            name: "pidquery fill_slice",
            run: Box::new(move || fill_slice(&query, &mut slots)),
        });
    }
    let mut floor = Floor::open().expect("open /proc");
    let mut out = Vec::with_capacity(room);
    all.push(Contestant {
        name: "floor",
        run: Box::new(move || {
            floor_query(&mut floor, want, &mut out);
            out.len()
        }),
    });
    let mut out = Vec::with_capacity(room);
    all.push(Contestant {
        name: "procfs",
        run: Box::new(move || {
            peers::procfs(want, &mut out).expect("procfs");
            out.len()
        }),
    });
    if let Some(kind) = peers::sysinfo_kind(want) {
        let mut out = Vec::with_capacity(room);
        all.push(Contestant {
            name: "sysinfo new",
            run: Box::new(move || {
                let mut system = sysinfo::System::new();
                peers::sysinfo(&mut system, want, kind, &mut out);
                out.len()
            }),
        });
        let mut out = Vec::with_capacity(room);
        let mut system = sysinfo::System::new();
        all.push(Contestant {
            name: "sysinfo reused",
            run: Box::new(move || {
                peers::sysinfo(&mut system, want, kind, &mut out);
                out.len()
            }),
        });
    }
    if let Want::Ppid(ppid) = want {
        let mut out = Vec::with_capacity(room);
        all.push(Contestant {
            name: "children file",
            run: Box::new(move || {
                peers::children_file(ppid, &mut out).expect("children file");
                out.len()
            }),
        });
    }
    let mut out = Vec::with_capacity(room);
    all.push(Contestant {
        name: "std fs",
        run: Box::new(move || {
            peers::std_fs(want, &mut out).expect("std fs");
            out.len()
        }),
    });

    // The check runs each contestant's own query once more, outside it.
    let mut answer = Vec::new();
    let mut buf = PidBuf::new();
    answer.extend(
        query
            .fill(&mut buf)
            .expect("fill")
            .iter()
            .map(|p| p.as_raw()),
    );
    group.expect.check("pidquery", &group.name, &answer);
    let mut slots = vec![Pid::ZERO; room];
    let n = fill_slice(&query, &mut slots);
    answer.clear();
    answer.extend(slots[..n].iter().map(|p| p.as_raw()));
    group
        .expect
        .check("pidquery fill_slice", &group.name, &answer);
    floor_query(&mut Floor::open().expect("open /proc"), want, &mut answer);
    group.expect.check("floor", &group.name, &answer);
    peers::procfs(want, &mut answer).expect("procfs");
    group.expect.check("procfs", &group.name, &answer);
    if let Some(kind) = peers::sysinfo_kind(want) {
        peers::sysinfo(&mut sysinfo::System::new(), want, kind, &mut answer);
        group.expect.check("sysinfo", &group.name, &answer);
    }
    peers::std_fs(want, &mut answer).expect("std fs");
    group.expect.check("std fs", &group.name, &answer);
    if let Want::Ppid(ppid) = want {
        peers::children_file(ppid, &mut answer).expect("children file");
        group.expect.check("children file", &group.name, &answer);
    }

    // Warm every contestant once (buffers grown, files kept open).
    for c in &mut all {
        (c.run)();
    }
    all
}

/// The crowd sizes to scale to: `PIDQUERY_BENCH_EXTRA` (comma-separated,
/// `0` or empty for none), else 1,000, or 100 under `--test`.
fn crowd_sizes(test_mode: bool) -> Vec<usize> {
    let spec = env::var("PIDQUERY_BENCH_EXTRA")
        .unwrap_or_else(|_| if test_mode { "100" } else { "1000" }.to_owned());
    spec.split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .collect()
}

/// Spawns the processes, then calls `each` for every group: the six filters
/// at the machine's own process count, then `all` and `ppid` with each crowd
/// of extra processes. Everything spawned is killed before it returns (or
/// unwinds).
pub fn run(test_mode: bool, mut each: impl FnMut(&Group)) {
    let fixture = Fixture::spawn(CHILDREN).expect("spawn the children");
    let me = Pid::this().as_raw();
    let uid = std::fs::metadata("/proc/self")
        .expect("stat /proc/self")
        .uid();
    let mine = fixture.children();
    let group = |name: &str, want, expect, crowd| Group {
        name: name.to_owned(),
        want,
        expect,
        crowd,
    };

    each(&group(
        "all",
        Want::All,
        Expect::Contains(mine.clone()),
        false,
    ));
    let same_uid = Expect::Contains(fixture.group_pids());
    each(&group("uid", Want::Uid(uid), same_uid, false));
    if !fixture.nobody.is_empty() {
        let nobody = Expect::Contains(fixture.nobody_pids());
        each(&group("uid nobody", Want::Uid(NOBODY), nobody, false));
    }
    let same_uid = Expect::Contains(fixture.group_pids());
    each(&group("ruid", Want::Ruid(uid), same_uid, false));
    each(&group(
        "ppid",
        Want::Ppid(me),
        Expect::Exactly(mine.clone()),
        false,
    ));
    let pgrp = Want::Pgrp(fixture.pgrp);
    each(&group(
        "pgrp",
        pgrp,
        Expect::Exactly(fixture.group_pids()),
        false,
    ));
    match &fixture.tty {
        Some(tty) => each(&group(
            "tty",
            Want::Tty(tty.rdev),
            Expect::Exactly(vec![tty.pid]),
            false,
        )),
        None => eprintln!(
            "tty: skipped, no child with a terminal ({})",
            fixture.tty_skip.as_deref().unwrap_or("unknown")
        ),
    }

    for wanted in crowd_sizes(test_mode) {
        let n = wanted.min(fixture::crowd_limit());
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
        each(&group(&format!("all +{n}"), Want::All, all, true));
        let ppid = Expect::Exactly(children);
        each(&group(&format!("ppid +{n}"), Want::Ppid(me), ppid, true));
        drop(crowd);
    }
    drop(fixture);
}
