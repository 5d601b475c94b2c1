//! The contestants of one group, and the groups of one run: what a
//! contestant and a group are, the helpers every kind of question shares,
//! and the columns of the tables. The contestants of each kind of question
//! are in `contest/cases.rs`; the groups a run asks, in `contest/groups.rs`.

use std::collections::BTreeSet;

use pidquery::{Dev, ErrorKind, Pid, PidQuery};

use super::fixture;
use super::floor::{Floor, StatField};
use super::peers::{self, Want};

mod cases;
mod groups;

pub use groups::run;

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
    pub fn check(&self, who: &str, group: &str, answer: &[i32]) {
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
        Case::Filter(want) => cases::filter_contestants(&mut b, group, want, room),
        Case::Descendants(root) => cases::descendants_contestants(&mut b, group, root, room),
        Case::WatchAll => cases::watch_all_contestants(&mut b, group, room),
        Case::WatchDescendants(root) => cases::watch_descendants_contestants(&mut b, group, root),
        Case::FindAll(target) => cases::find_contestants(&mut b, target, room),
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
