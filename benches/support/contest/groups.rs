//! The groups of one run: the processes the bench spawns, the questions
//! asked about them at the machine's own process count and again beside
//! each crowd of extra processes, and what each answer must be.

use std::os::unix::fs::MetadataExt;

use pidquery::{Pid, PidQuery};

use super::super::fixture::{self, Crowd, Fixture, Threaded, Tree, NOBODY};
use super::super::peers::Want;
use super::{Case, Expect, Group};

/// Children of the bench process, all in one spawned process group.
const CHILDREN: usize = 4;
/// The tree the `descendants` groups ask about: a root, 9 middle
/// processes and 10 leaves below each, 100 processes in 3 levels.
const TREE: (usize, usize) = (9, 10);
/// Children of the multi-threaded parent.
const THREADED_CHILDREN: usize = 3;

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
    for wanted in fixture::crowd_sizes(test_mode) {
        let n = fixture::crowd_allowed(wanted);
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
