//! The contestants of one group, and the groups of one run.

use std::collections::BTreeSet;
use std::env;
use std::os::unix::fs::MetadataExt;

use pidquery::{Dev, ErrorKind, Pid, PidBuf, PidQuery, Watch};

use super::fixture::{self, Crowd, Fixture, Threaded, Tree, NOBODY};
use super::floor::{self, Floor, StatField};
use super::peers::{self, SetWatch, Want};

/// Children of the bench process, all in one spawned process group.
const CHILDREN: usize = 4;
/// The tree the `descendants` groups ask about: a root, 9 middle
/// processes and 10 leaves below each, 100 processes in 3 levels.
const TREE: (usize, usize) = (9, 10);
/// Children of the multi-threaded parent.
const THREADED_CHILDREN: usize = 3;

/// One way of answering a group's question. Each call runs the whole query
/// and returns the number of pids found (changes, for a watch); state kept
/// between calls (buffers, open descriptors, a `sysinfo::System`, the
/// previous answer) is what a user would keep.
pub struct Contestant {
    /// Unique within the group.
    pub name: &'static str,
    /// The implementation, as the tables and the plot name it.
    pub column: &'static str,
    pub run: Box<dyn FnMut() -> usize>,
    /// At most this many calls per round (slow contestants: one).
    pub max_calls: usize,
}

/// What a group's answer must be: exactly these pids (for the filters that
/// only match what the bench spawned), or a superset of these.
#[derive(Clone)]
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

/// What a group asks.
#[derive(Copy, Clone)]
pub enum Case {
    /// One of the six filters.
    Filter(Want),
    /// The subtree below a pid.
    Descendants(i32),
    /// A watch poll of `all` with (nearly) nothing changed, against one
    /// fill.
    WatchAll,
    /// A watch poll of a subtree, against one fill, the peers' way of
    /// watching it, and a pidfd per process (deaths only).
    WatchDescendants(i32),
    /// `all().iter().find(..)` of this pid, cold, against a fill.
    FindAll(i32),
}

/// One benchmark group: a question and what it must return.
pub struct Group {
    pub name: String,
    pub case: Case,
    pub expect: Expect,
    /// Whether thousands of extra processes are running (slow contestants:
    /// fewer samples).
    pub crowd: bool,
    /// Ratios beyond "each against the floor" worth a line of their own.
    pub targets: Vec<(&'static str, &'static str)>,
}

fn to_query(want: Want) -> PidQuery {
    match want {
        Want::All => PidQuery::all(),
        Want::Uid(uid) => PidQuery::uid(uid),
        Want::Ruid(ruid) => PidQuery::ruid(ruid),
        Want::Ppid(ppid) => PidQuery::ppid(pid(ppid)),
        Want::Pgrp(pgrp) => PidQuery::pgrp(pid(pgrp)),
        Want::Tty(dev) => PidQuery::tty(Dev::from_raw(dev)),
    }
}

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).expect("non-negative pid")
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

/// The floor of `descendants`: every process's parent from one scan of
/// `stat`, then the subtree.
fn floor_descendants(
    floor: &mut Floor,
    root: i32,
    pairs: &mut Vec<(i32, i32)>,
    out: &mut Vec<i32>,
) {
    floor.parents(pairs).expect("floor scan");
    peers::subtree(root, pairs.iter().copied(), out);
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

struct Builder {
    all: Vec<Contestant>,
}

impl Builder {
    fn add(
        &mut self,
        name: &'static str,
        column: &'static str,
        run: impl FnMut() -> usize + 'static,
    ) {
        self.all.push(Contestant {
            name,
            column,
            run: Box::new(run),
            max_calls: usize::MAX,
        });
    }

    /// A contestant that makes one call per round at most.
    fn add_slow(
        &mut self,
        name: &'static str,
        column: &'static str,
        run: impl FnMut() -> usize + 'static,
    ) {
        self.add(name, column, run);
        if let Some(last) = self.all.last_mut() {
            last.max_calls = 1;
        }
    }
}

/// Every way of answering `group`'s question, each checked once against
/// the expected answer before it is returned, and warmed once.
pub fn contestants(group: &Group) -> Vec<Contestant> {
    let room = fixture::process_count() * 2 + 256;
    let mut b = Builder { all: Vec::new() };
    let name = group.name.as_str();
    match group.case {
        Case::Filter(want) => filter_contestants(&mut b, group, want, room),
        Case::Descendants(root) => descendants_contestants(&mut b, group, root, room),
        Case::WatchAll => watch_all_contestants(&mut b, group, room),
        Case::WatchDescendants(root) => watch_descendants_contestants(&mut b, group, root),
        Case::FindAll(target) => find_contestants(&mut b, target, room),
    }
    // Warm every contestant once (buffers grown, files kept open), and
    // check the ones whose count is an answer's size.
    for c in &mut b.all {
        let n = (c.run)();
        if let (Expect::Exactly(want), false) = (
            &group.expect,
            matches!(group.case, Case::WatchAll | Case::WatchDescendants(_)),
        ) {
            assert_eq!(n, want.len(), "{name}/{}: {n} pids", c.name);
        }
        // The target may be a process of the machine's that has exited
        // since it was picked: only a live one must be found.
        if let Case::FindAll(target) = group.case {
            let alive = std::path::Path::new(&format!("/proc/{target}")).exists();
            assert!(
                n == 1 || !alive,
                "{name}/{}: pid {target} was not found",
                c.name
            );
        }
    }
    b.all
}

fn filter_contestants(b: &mut Builder, group: &Group, want: Want, room: usize) {
    let query = to_query(want);
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery", move || {
        query.fill(&mut buf).expect("pidquery fill").len()
    });
    if matches!(want, Want::All) {
        let mut slots = vec![Pid::ZERO; room];
        b.add("pidquery fill_slice", "pidquery fill_slice", move || {
            fill_slice(&query, &mut slots)
        });
    }
    let mut floor = Floor::open().expect("open /proc");
    let mut out = Vec::with_capacity(room);
    b.add("floor", "floor", move || {
        floor_query(&mut floor, want, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("libproc", "libproc", move || {
        peers::libproc(want, &mut out).expect("libproc");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("procfs", "procfs", move || {
        peers::procfs(want, &mut out).expect("procfs");
        out.len()
    });
    if let Some(kind) = peers::sysinfo_kind(want) {
        let mut out = Vec::with_capacity(room);
        b.add("sysinfo new", "sysinfo new", move || {
            let mut system = sysinfo::System::new();
            peers::sysinfo(&mut system, want, kind, &mut out);
            out.len()
        });
        let mut out = Vec::with_capacity(room);
        let mut system = sysinfo::System::new();
        b.add("sysinfo reused", "sysinfo reused", move || {
            peers::sysinfo(&mut system, want, kind, &mut out);
            out.len()
        });
    }
    // Pid 0 has no `/proc` entry, and no children files.
    if let Want::Ppid(ppid @ 1..) = want {
        let mut out = Vec::with_capacity(room);
        b.add("children files", "children files", move || {
            out.clear();
            floor::children_files(ppid, &mut out).expect("children files");
            out.len()
        });
    }
    let mut out = Vec::with_capacity(room);
    b.add("std fs", "std fs", move || {
        peers::std_fs(want, &mut out).expect("std fs");
        out.len()
    });

    // The check runs each one's own query once more, outside it.
    let (g, e) = (group.name.as_str(), &group.expect);
    let mut answer = Vec::new();
    answer.extend(
        query
            .fill(&mut PidBuf::new())
            .expect("fill")
            .iter()
            .map(|p| p.as_raw()),
    );
    e.check("pidquery", g, &answer);
    let mut slots = vec![Pid::ZERO; room];
    let n = fill_slice(&query, &mut slots);
    answer.clear();
    answer.extend(slots[..n].iter().map(|p| p.as_raw()));
    e.check("pidquery fill_slice", g, &answer);
    floor_query(&mut Floor::open().expect("open /proc"), want, &mut answer);
    e.check("floor", g, &answer);
    peers::procfs(want, &mut answer).expect("procfs");
    e.check("procfs", g, &answer);
    if let Some(kind) = peers::sysinfo_kind(want) {
        peers::sysinfo(&mut sysinfo::System::new(), want, kind, &mut answer);
        e.check("sysinfo", g, &answer);
    }
    peers::std_fs(want, &mut answer).expect("std fs");
    e.check("std fs", g, &answer);
    if let Want::Ppid(ppid @ 1..) = want {
        answer.clear();
        floor::children_files(ppid, &mut answer).expect("children files");
        e.check("children files", g, &answer);
    }
    // libproc's `ruid` reads the owner of `<pid>/stat` (the effective uid,
    // or root for a non-dumpable process): a wrong answer the check would
    // only catch for a process whose ids differ.
    peers::libproc(want, &mut answer).expect("libproc");
    e.check("libproc", g, &answer);
}

fn descendants_contestants(b: &mut Builder, group: &Group, root: i32, room: usize) {
    let query = PidQuery::descendants(pid(root));
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery", move || {
        query.fill(&mut buf).expect("pidquery fill").len()
    });
    let mut floor = Floor::open().expect("open /proc");
    let (mut pairs, mut out) = (Vec::with_capacity(room), Vec::with_capacity(room));
    b.add("floor", "floor", move || {
        floor_descendants(&mut floor, root, &mut pairs, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("children files", "children files", move || {
        floor::descendants_by_children(root, &mut out).expect("children files");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("procfs", "procfs", move || {
        peers::procfs_descendants(root, &mut out).expect("procfs");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("sysinfo new", "sysinfo new", move || {
        peers::sysinfo_descendants(&mut sysinfo::System::new(), root, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    let mut system = sysinfo::System::new();
    b.add("sysinfo reused", "sysinfo reused", move || {
        peers::sysinfo_descendants(&mut system, root, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    // One full scan per process of the subtree: one call a round.
    b.add_slow("libproc", "libproc", move || {
        peers::libproc_descendants(root, &mut out).expect("libproc");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("std fs", "std fs", move || {
        peers::std_descendants(root, &mut out).expect("std fs");
        out.len()
    });

    let (g, e) = (group.name.as_str(), &group.expect);
    let mut answer = Vec::new();
    answer.extend(
        query
            .fill(&mut PidBuf::new())
            .expect("fill")
            .iter()
            .map(|p| p.as_raw()),
    );
    e.check("pidquery", g, &answer);
    floor_descendants(
        &mut Floor::open().expect("open /proc"),
        root,
        &mut Vec::new(),
        &mut answer,
    );
    e.check("floor", g, &answer);
    floor::descendants_by_children(root, &mut answer).expect("children files");
    e.check("children files", g, &answer);
    peers::procfs_descendants(root, &mut answer).expect("procfs");
    e.check("procfs", g, &answer);
    peers::sysinfo_descendants(&mut sysinfo::System::new(), root, &mut answer);
    e.check("sysinfo", g, &answer);
    peers::libproc_descendants(root, &mut answer).expect("libproc");
    e.check("libproc", g, &answer);
    peers::std_descendants(root, &mut answer).expect("std fs");
    e.check("std fs", g, &answer);
}

fn watch_all_contestants(b: &mut Builder, group: &Group, room: usize) {
    let query = PidQuery::all();
    let mut watch = Watch::with_buffers(
        query,
        PidBuf::with_capacity(room),
        PidBuf::with_capacity(room),
    );
    watch.poll().expect("poll");
    let current: Vec<i32> = watch.current().iter().map(|p| p.as_raw()).collect();
    group.expect.check("pidquery watch", &group.name, &current);
    b.add("pidquery watch poll", "pidquery", move || {
        watch.poll().expect("poll").len()
    });
    let mut tracked = Watch::with_buffers(
        query,
        PidBuf::with_capacity(room),
        PidBuf::with_capacity(room),
    )
    .track_reuse();
    tracked.poll().expect("poll");
    b.add(
        "pidquery watch tracking reuse",
        "pidquery tracking reuse",
        move || tracked.poll().expect("poll").len(),
    );
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery fill", move || {
        query.fill(&mut buf).expect("fill").len()
    });
    let mut floor = Floor::open().expect("open /proc");
    let mut out = Vec::with_capacity(room);
    b.add("floor", "floor", move || {
        floor.all(&mut out).expect("floor");
        out.len()
    });
    let mut w = SetWatch::new();
    b.add("libproc watch", "libproc", move || {
        w.poll(|out| peers::libproc(Want::All, out).expect("libproc"))
    });
    let mut w = SetWatch::new();
    b.add("procfs watch", "procfs", move || {
        w.poll(|out| peers::procfs(Want::All, out).expect("procfs"))
    });
    let mut w = SetWatch::new();
    let mut system = sysinfo::System::new();
    b.add("sysinfo watch", "sysinfo reused", move || {
        w.poll(|out| peers::sysinfo_all(&mut system, out))
    });
    let mut w = SetWatch::new();
    b.add("std fs watch", "std fs", move || {
        w.poll(|out| peers::std_fs(Want::All, out).expect("std fs"))
    });
}

fn watch_descendants_contestants(b: &mut Builder, group: &Group, root: i32) {
    let query = PidQuery::descendants(pid(root));
    let mut watch = Watch::new(query);
    watch.poll().expect("poll");
    let current: Vec<i32> = watch.current().iter().map(|p| p.as_raw()).collect();
    group.expect.check("pidquery watch", &group.name, &current);
    b.add("pidquery watch poll", "pidquery", move || {
        watch.poll().expect("poll").len()
    });
    let mut tracked = Watch::new(query).track_reuse();
    tracked.poll().expect("poll");
    b.add(
        "pidquery watch tracking reuse",
        "pidquery tracking reuse",
        move || tracked.poll().expect("poll").len(),
    );
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery fill", move || {
        query.fill(&mut buf).expect("fill").len()
    });
    let mut floor = Floor::open().expect("open /proc");
    let (mut pairs, mut out) = (Vec::new(), Vec::new());
    b.add("floor", "floor", move || {
        floor_descendants(&mut floor, root, &mut pairs, &mut out);
        out.len()
    });
    let mut w = SetWatch::new();
    b.add("procfs watch", "procfs", move || {
        w.poll(|out| peers::procfs_descendants(root, out).expect("procfs"))
    });
    let mut w = SetWatch::new();
    let mut system = sysinfo::System::new();
    b.add("sysinfo watch", "sysinfo reused", move || {
        w.poll(|out| peers::sysinfo_descendants(&mut system, root, out))
    });
    let mut w = SetWatch::new();
    b.add_slow("libproc watch", "libproc", move || {
        w.poll(|out| peers::libproc_descendants(root, out).expect("libproc"))
    });
    // A pidfd per process of the subtree, polled without waiting: what
    // waking on deaths would cost per check (it sees no births).
    let mut pidfds = floor::Pidfds::open(&match &group.expect {
        Expect::Exactly(p) | Expect::Contains(p) => p.clone(),
    });
    b.add("pidfd poll", "pidfd poll (deaths only)", move || {
        pidfds.ready()
    });
}

fn find_contestants(b: &mut Builder, target: i32, room: usize) {
    let want = pid(target);
    b.add("pidquery iter find", "pidquery", move || {
        usize::from(
            PidQuery::all()
                .iter()
                .expect("iter")
                .any(|p| p.expect("scan") == want),
        )
    });
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery fill", move || {
        usize::from(
            PidQuery::all()
                .fill(&mut buf)
                .expect("fill")
                .contains(&want),
        )
    });
    let mut floor = Floor::open().expect("open /proc");
    let mut out = Vec::with_capacity(room);
    b.add("floor", "floor", move || {
        floor.all(&mut out).expect("floor");
        usize::from(out.contains(&target))
    });
    b.add("procfs find", "procfs", move || {
        let found = procfs::process::all_processes()
            .expect("procfs")
            .filter_map(Result::ok)
            .any(|p| p.pid == target);
        usize::from(found)
    });
    let mut out = Vec::with_capacity(room);
    b.add("libproc", "libproc", move || {
        peers::libproc(Want::All, &mut out).expect("libproc");
        usize::from(out.contains(&target))
    });
    b.add("std fs find", "std fs", move || {
        let name = target.to_string();
        let found = std::fs::read_dir("/proc")
            .expect("read_dir")
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_str() == Some(name.as_str()));
        usize::from(found)
    });
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

/// A pid in the first tenth of the table, as late in it as possible: the
/// target of the `find` groups. One of the processes the bench started
/// when one is there (they stay for the whole group), else a process that
/// is not a kernel worker (workers come and go; `ksoftirqd/0`,
/// `migration/0` and the like stay).
fn early_pid(stable: &[i32]) -> i32 {
    let all: Vec<i32> = PidQuery::all()
        .iter()
        .expect("all")
        .map(|p| p.expect("scan").as_raw())
        .collect();
    let tenth = &all[..(all.len() / 10).max(1)];
    let lasting = |p: &i32| {
        std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| !c.starts_with("kworker"))
    };
    tenth
        .iter()
        .rev()
        .find(|p| stable.contains(p))
        .or_else(|| tenth.iter().rev().find(|p| lasting(p)))
        .or(tenth.last())
        .copied()
        .expect("a process table is never empty")
}

/// Spawns the processes, then calls `each` for every group: the filters,
/// the multi-threaded parent, a `ppid` scan, the subtree, watches and a
/// find at the machine's own process count, then again with each crowd of
/// extra processes (with, beside, the crowd's parent and group). Everything
/// spawned is killed before it returns (or unwinds).
pub fn run(test_mode: bool, mut each: impl FnMut(&Group)) {
    let fixture = Fixture::spawn(CHILDREN).expect("spawn the children");
    let tree = Tree::spawn(TREE.0, TREE.1).expect("spawn the tree");
    let threaded = Threaded::spawn(THREADED_CHILDREN).expect("spawn the multi-threaded parent");
    let me = Pid::this().as_raw();
    let uid = std::fs::metadata("/proc/self")
        .expect("stat /proc/self")
        .uid();
    let mut mine = fixture.children();
    mine.push(tree.root());
    mine.push(threaded.pid());
    mine.sort_unstable();
    assert!(threaded.threads() > 1, "the threaded parent has one thread");

    let groups = |suffix: &str, crowd: Option<&Crowd>| -> Vec<Group> {
        let group = |name: &str, case, expect, targets: Vec<(&'static str, &'static str)>| Group {
            name: format!("{name}{suffix}"),
            case,
            expect,
            crowd: crowd.is_some(),
            targets,
        };
        let mut stable = mine.clone();
        stable.extend(&tree.below);
        if let Some(c) = crowd {
            stable.extend(c.members());
        }
        let mut children = mine.clone();
        if let Some(c) = crowd {
            children.push(c.sh_pid());
            children.sort_unstable();
        }
        let mut g = vec![
            group(
                "all",
                Case::Filter(Want::All),
                Expect::Contains(mine.clone()),
                vec![],
            ),
            // Root's processes (and, run as root, the bench's own): every
            // entry owned by 0 is the reap-race case.
            group(
                "uid 0",
                Case::Filter(Want::Uid(0)),
                Expect::Contains(vec![1]),
                vec![],
            ),
            group(
                "ruid",
                Case::Filter(Want::Ruid(uid)),
                Expect::Contains(fixture.group_pids()),
                vec![],
            ),
            group(
                "ppid",
                Case::Filter(Want::Ppid(me)),
                Expect::Exactly(children),
                vec![("pidquery fill", "children files")],
            ),
            group(
                "ppid threaded",
                Case::Filter(Want::Ppid(threaded.pid())),
                Expect::Exactly(threaded.children.clone()),
                vec![("pidquery fill", "children files")],
            ),
            group(
                "ppid scan",
                Case::Filter(Want::Ppid(0)),
                Expect::Contains(vec![1]),
                vec![],
            ),
            group(
                "pgrp",
                Case::Filter(Want::Pgrp(fixture.pgrp)),
                Expect::Exactly(fixture.group_pids()),
                vec![],
            ),
            group(
                "descendants",
                Case::Descendants(tree.root()),
                Expect::Exactly(tree.below.clone()),
                vec![
                    ("pidquery fill", "floor"),
                    ("pidquery fill", "children files"),
                ],
            ),
            group(
                "watch all",
                Case::WatchAll,
                Expect::Contains(mine.clone()),
                vec![
                    ("pidquery watch poll", "pidquery fill"),
                    ("pidquery watch tracking reuse", "pidquery fill"),
                ],
            ),
            group(
                "watch descendants",
                Case::WatchDescendants(tree.root()),
                Expect::Exactly(tree.below.clone()),
                vec![
                    ("pidquery watch poll", "pidquery fill"),
                    ("pidquery watch tracking reuse", "pidquery fill"),
                    ("pidfd poll", "pidquery watch poll"),
                ],
            ),
            group(
                "find",
                Case::FindAll(early_pid(&stable)),
                Expect::Contains(vec![]),
                vec![("pidquery iter find", "pidquery fill")],
            ),
        ];
        if uid != 0 {
            g.insert(
                2,
                group(
                    "uid",
                    Case::Filter(Want::Uid(uid)),
                    Expect::Contains(fixture.group_pids()),
                    vec![],
                ),
            );
        }
        if crowd.is_none() && !fixture.nobody.is_empty() {
            g.insert(
                2,
                group(
                    "uid nobody",
                    Case::Filter(Want::Uid(NOBODY)),
                    Expect::Contains(fixture.nobody_pids()),
                    vec![],
                ),
            );
        }
        match &fixture.tty {
            Some(tty) => g.push(group(
                "tty",
                Case::Filter(Want::Tty(tty.rdev)),
                Expect::Exactly(vec![tty.pid]),
                vec![],
            )),
            None if crowd.is_none() => eprintln!(
                "tty: skipped, no child with a terminal ({})",
                fixture.tty_skip.as_deref().unwrap_or("unknown")
            ),
            None => {}
        }
        if let Some(c) = crowd {
            let members = c.members();
            g.insert(
                5,
                group(
                    "ppid many",
                    Case::Filter(Want::Ppid(c.sh_pid())),
                    Expect::Exactly(members.clone()),
                    vec![("pidquery fill", "children files")],
                ),
            );
            let mut with_sh = members;
            with_sh.push(c.sh_pid());
            g.push(group(
                "pgrp many",
                Case::Filter(Want::Pgrp(c.sh_pid())),
                Expect::Exactly(with_sh),
                vec![],
            ));
        }
        g
    };

    for g in groups("", None) {
        each(&g);
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
        for g in groups(&format!(" +{}", crowd.len()), Some(&crowd)) {
            each(&g);
        }
        drop(crowd);
    }
    drop(threaded);
    drop(tree);
    drop(fixture);
}

/// The contestants' columns, in table order.
pub const COLUMNS: &[&str] = &[
    "pidquery",
    "pidquery tracking reuse",
    "libproc",
    "procfs",
    "sysinfo new",
    "sysinfo reused",
    "std fs",
    "children files",
    "pidquery fill",
    "pidquery fill_slice",
    "pidfd poll (deaths only)",
];

/// The name a group's query goes by in the plot (without the crowd size).
pub fn query_of(group: &str) -> &str {
    group.split(" +").next().unwrap_or(group)
}
