//! What a conformance case is made of: the [`Scenario`] (pieces that
//! expand into specs), and the [`Staged`] scenario a backend realized,
//! with what each member should be and what each filter should find.

use std::collections::BTreeSet;
use std::path::PathBuf;

use pidquery::{Dev, Filter, Pid, PidQuery};

/// A building block of a [`Scenario`], mirroring one live fixture.
#[derive(Copy, Clone, Debug)]
pub enum Piece {
    /// A child of the test without children of its own.
    Sleeper,
    /// A leader (child of the test) and `children` children of it, in a
    /// process group the leader leads when `own_group`, else the test's.
    Family { children: usize, own_group: bool },
    /// A new terminal: a holder (child of the test, not on it), a session
    /// leader (child of the holder, own group) whose controlling terminal
    /// it is and, unless `high`, a child of the leader on it too. A `high`
    /// terminal has a minor number of 256 or more.
    Pty { high: bool },
    /// A child of the test that has exited and is not reaped.
    Zombie { own_group: bool },
    /// A child of the test whose command name is `") S 1 77 5\n"`, which
    /// reads like the fields after it in `/proc/<pid>/stat` (parent 1,
    /// group 77). xnu's list call reads no names: there it is a plain child.
    ForgedName,
    /// A child of the test with real uid `ruid` and effective uid `euid`.
    Uids { ruid: u32, euid: u32 },
}

/// Processes described without saying how to make them.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    /// In the order a backend realizes them.
    pub pieces: Vec<Piece>,
}

/// One process of a scenario, as the scenario says it should be.
#[derive(Clone, Debug)]
pub struct Spec {
    /// A name for messages (`family1.child0`).
    pub role: String,
    /// Index of its parent among the specs; `None`: the test.
    pub parent: Option<usize>,
    /// Leads a process group of its own; otherwise in its parent's.
    pub own_group: bool,
    /// Index of the scenario terminal that is its controlling terminal;
    /// `None`: its parent's (the test's for a child of the test).
    pub terminal: Option<usize>,
    /// `(ruid, euid)`; `None`: its parent's.
    pub uids: Option<(u32, u32)>,
    /// Exited, not reaped.
    pub zombie: bool,
    /// Named `") S 1 77 5\n"`.
    pub forged_name: bool,
}

impl Scenario {
    /// A scenario of `pieces`.
    pub fn of(pieces: &[Piece]) -> Scenario {
        Scenario {
            pieces: pieces.to_vec(),
        }
    }

    /// Every process of the scenario, piece by piece.
    pub fn specs(&self) -> Vec<Spec> {
        let mut specs = Vec::new();
        let mut terminals = 0;
        for (piece, &kind) in self.pieces.iter().enumerate() {
            let plain = |role: String| Spec {
                role,
                parent: None,
                own_group: false,
                terminal: None,
                uids: None,
                zombie: false,
                forged_name: false,
            };
            match kind {
                Piece::Sleeper => specs.push(plain(format!("sleeper{piece}"))),
                Piece::Family {
                    children,
                    own_group,
                } => {
                    let leader = specs.len();
                    specs.push(Spec {
                        own_group,
                        ..plain(format!("family{piece}.leader"))
                    });
                    for i in 0..children {
                        specs.push(Spec {
                            parent: Some(leader),
                            ..plain(format!("family{piece}.child{i}"))
                        });
                    }
                }
                Piece::Pty { high } => {
                    let holder = specs.len();
                    specs.push(plain(format!("pty{piece}.holder")));
                    specs.push(Spec {
                        parent: Some(holder),
                        own_group: true,
                        terminal: Some(terminals),
                        ..plain(format!("pty{piece}.session"))
                    });
                    if !high {
                        specs.push(Spec {
                            parent: Some(holder + 1),
                            ..plain(format!("pty{piece}.child"))
                        });
                    }
                    terminals += 1;
                }
                Piece::Zombie { own_group } => specs.push(Spec {
                    own_group,
                    zombie: true,
                    ..plain(format!("zombie{piece}"))
                }),
                Piece::ForgedName => specs.push(Spec {
                    forged_name: true,
                    ..plain(format!("forged{piece}"))
                }),
                Piece::Uids { ruid, euid } => specs.push(Spec {
                    uids: Some((ruid, euid)),
                    ..plain(format!("uids{piece}"))
                }),
            }
        }
        specs
    }
}

/// A terminal a scenario made.
#[derive(Clone, Debug)]
pub struct Terminal {
    /// Its device number.
    pub dev: Dev,
    /// Its path, where the backend has one (`/dev/pts/3`).
    pub path: Option<PathBuf>,
}

/// The test process itself: the parent of a scenario's top-level
/// processes, whose group, terminal and uids they inherit.
#[derive(Copy, Clone, Debug)]
pub struct Context {
    pub pid: Pid,
    pub pgid: Pid,
    pub tty: Option<Dev>,
    pub uid: u32,
    pub ruid: u32,
}

/// A staged process and what it should be, resolved from its [`Spec`].
#[derive(Clone, Debug)]
pub struct Member {
    pub role: String,
    pub spec: Spec,
    pub pid: Pid,
    pub ppid: Pid,
    pub pgid: Pid,
    /// Controlling terminal.
    pub tty: Option<Dev>,
    /// Effective uid.
    pub uid: u32,
    /// Real uid.
    pub ruid: u32,
}

impl Member {
    /// Whether the scenario says this process matches `filter`.
    pub fn matches(&self, filter: Filter) -> bool {
        match filter {
            Filter::All => true,
            Filter::Pgrp(g) => self.pgid == g,
            Filter::Tty(d) => self.tty == Some(d),
            Filter::Uid(u) => self.uid == u,
            Filter::Ruid(u) => self.ruid == u,
            Filter::Ppid(p) => self.ppid == p,
            other => panic!("the scenario does not know {other:?}"),
        }
    }
}

/// A realized scenario: the test's context, each process with what it
/// should be, and the terminals.
#[derive(Clone, Debug)]
pub struct Staged {
    pub test: Context,
    pub members: Vec<Member>,
    pub terminals: Vec<Terminal>,
}

impl Staged {
    /// Resolves `scenario`, realized as `pids` (one per spec) and
    /// `terminals` (one per pty), under the test's `test` context.
    pub fn resolve(
        scenario: &Scenario,
        test: Context,
        pids: &[Pid],
        terminals: Vec<Terminal>,
    ) -> Staged {
        let specs = scenario.specs();
        assert_eq!(pids.len(), specs.len(), "one pid per process of {specs:?}");
        let ptys = scenario
            .pieces
            .iter()
            .filter(|p| matches!(p, Piece::Pty { .. }))
            .count();
        assert_eq!(terminals.len(), ptys, "one terminal per pty");
        let mut members: Vec<Member> = Vec::new();
        for (spec, &pid) in specs.into_iter().zip(pids) {
            let (ppid, pgid, tty, uid, ruid) = match spec.parent {
                None => (test.pid, test.pgid, test.tty, test.uid, test.ruid),
                Some(i) => {
                    let p = &members[i];
                    (p.pid, p.pgid, p.tty, p.uid, p.ruid)
                }
            };
            let (ruid, uid) = spec.uids.unwrap_or((ruid, uid));
            members.push(Member {
                role: spec.role.clone(),
                pid,
                ppid,
                pgid: if spec.own_group { pid } else { pgid },
                tty: spec.terminal.map_or(tty, |t| Some(terminals[t].dev)),
                uid,
                ruid,
                spec,
            });
        }
        Staged {
            test,
            members,
            terminals,
        }
    }

    /// Every staged pid.
    pub fn pids(&self) -> BTreeSet<Pid> {
        self.members.iter().map(|m| m.pid).collect()
    }

    /// The staged pids the scenario says match `q`.
    pub fn expected(&self, q: &PidQuery) -> BTreeSet<Pid> {
        let f = q.filter();
        self.members
            .iter()
            .filter(|m| m.matches(f))
            .map(|m| m.pid)
            .collect()
    }

    /// The member playing `role`.
    pub fn member(&self, role: &str) -> &Member {
        self.members
            .iter()
            .find(|m| m.role == role)
            .unwrap_or_else(|| panic!("no {role} in {:?}", self.members))
    }

    /// The pids among `pids` that are staged.
    pub fn mine(&self, pids: &BTreeSet<Pid>) -> BTreeSet<Pid> {
        pids.intersection(&self.pids()).copied().collect()
    }

    /// True when only the scenario can hold what `q` asks for: one of its
    /// processes as a parent or a group, or one of its terminals.
    pub fn owns(&self, q: &PidQuery) -> bool {
        let ours = |p: Pid| self.members.iter().any(|m| m.pid == p);
        match q.filter() {
            Filter::Pgrp(p) | Filter::Ppid(p) => ours(p),
            Filter::Tty(d) => self.terminals.iter().any(|t| t.dev == d),
            _ => false,
        }
    }

    /// `pids` as roles, for messages.
    pub fn roles(&self, pids: &BTreeSet<Pid>) -> Vec<String> {
        pids.iter()
            .map(|p| match self.members.iter().find(|m| m.pid == *p) {
                Some(m) => format!("{}={p}", m.role),
                None => p.to_string(),
            })
            .collect()
    }
}
