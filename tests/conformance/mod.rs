//! One conformance suite for every backend: the cases are written once,
//! against the small [`Backend`] trait, and each backend runs all of them
//! with [`conformance_suite!`].
//!
//! A [`Scenario`] describes processes without saying how to make them:
//! pieces ([`Piece`]) that expand into [`Spec`]s (parent, own process group
//! or not, controlling terminal, uids, zombie, forged name). A backend
//! realizes it — the live Linux backend by spawning processes with the
//! fixtures of `tests/support`, the xnu model by writing them into a
//! `Model`'s table — and returns the pids; [`Staged`] then resolves what
//! each process should be ([`Member`]) from the spec alone. The cases ask
//! every filter and compare:
//!
//! - the backend's answer with the scenario (exactly, for arguments only
//!   the scenario uses: its processes as parents or groups, its terminals);
//! - the backend's oracle (`ps` live, the naive table filter on the model)
//!   with the scenario, so that a wrong fixture is told apart from a wrong
//!   answer;
//! - the answer's shape with what the backend [promises](Promises).
//!
//! Include it with `#[macro_use] mod conformance;` after `mod support;`,
//! and the backend with `#[path = "conformance/<backend>.rs"]`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use pidquery::{Dev, Error, ErrorKind, Filter, Pid, PidBuf, PidQuery};

/// Expands one `#[test]` per conformance case, each running it on a fresh
/// backend made by `$backend` (an expression, evaluated once per test).
macro_rules! conformance_suite {
    ($backend:expr) => {
        conformance_suite!(@cases $backend;
            every_filter_finds_exactly_the_matching_members,
            zombies_are_listed_by_all_ppid_and_pgrp,
            a_controlling_pty_is_found_by_tty,
            a_pty_numbered_256_or_more_is_found,
            forged_names_fool_neither_ppid_nor_pgrp,
            uid_is_effective_and_ruid_is_real,
            empty_answers_are_ok_and_fit_an_empty_slice,
            a_short_slice_is_truncated_never_a_short_list,
            reaped_children_are_no_longer_listed,
        );
    };
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let mut backend = $backend;
                crate::conformance::$case(&mut backend);
            }
        )*
    };
}

/// What a backend guarantees beyond the filters themselves.
#[derive(Copy, Clone, Debug)]
pub struct Promises {
    /// Answers are strictly ascending (Linux); otherwise they are compared
    /// as sets (xnu walks its table newest first).
    pub ascending: bool,
    /// A slice exactly the size of the answer is enough (Linux); xnu cannot
    /// tell a full buffer from a truncated one and asks for more.
    pub exact_fit: bool,
    /// Processes outside the scenario come and go while a case runs (a live
    /// machine), so only the scenario's own processes, and arguments only
    /// the scenario uses, are compared exactly. Without churn (a model)
    /// every answer must equal the oracle's as a whole.
    pub churn: bool,
}

/// A backend the cases run on.
pub trait Backend {
    /// Its name, in messages.
    fn name(&self) -> &'static str;
    /// What it guarantees.
    fn promises(&self) -> Promises;
    /// Realizes `scenario`: one pid per [`Scenario::specs`] entry, in that
    /// order, and one [`Terminal`] per [`Piece::Pty`], in order. The
    /// backend keeps the processes alive until it is dropped. `Err` is the
    /// reason it cannot (the case is then skipped, saying so).
    fn stage(&mut self, scenario: &Scenario) -> Result<Staged, String>;
    /// Ends `pid`, a staged child of the test without children of its own
    /// (a sleeper or a zombie), and reaps it.
    fn reap(&mut self, pid: Pid);
    /// Runs `q` into the reusable `buf`.
    fn fill(&mut self, q: &PidQuery, buf: &mut PidBuf) -> Result<Vec<Pid>, Error>;
    /// Runs `q` into `out`.
    fn fill_slice(&mut self, q: &PidQuery, out: &mut [Pid]) -> Result<usize, Error>;
    /// What an independent reading of the same system says `q` matches.
    fn oracle(&mut self, q: &PidQuery) -> BTreeSet<Pid>;
}

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

// ---- helpers --------------------------------------------------------------

/// Stages `pieces` on `b`, or prints why `case` is skipped.
fn stage(b: &mut impl Backend, case: &str, pieces: &[Piece]) -> Option<Staged> {
    match b.stage(&Scenario::of(pieces)) {
        Ok(s) => Some(s),
        Err(reason) => {
            eprintln!("{}: {case}: skipped: {reason}", b.name());
            None
        }
    }
}

/// Asserts that `pids`, an answer to `q`, has no duplicates, and is
/// strictly ascending where the backend promises it.
fn assert_shape(b: &impl Backend, q: &PidQuery, pids: &[Pid]) {
    if b.promises().ascending {
        assert!(
            pids.windows(2).all(|w| w[0] < w[1]),
            "{}: {q:?}: not strictly ascending: {pids:?}",
            b.name()
        );
    } else {
        let unique: BTreeSet<Pid> = pids.iter().copied().collect();
        assert_eq!(
            unique.len(),
            pids.len(),
            "{}: {q:?}: duplicates in {pids:?}",
            b.name()
        );
    }
}

/// `q` into a fresh buffer: the answer, checked for shape.
fn fill(b: &mut impl Backend, q: &PidQuery) -> BTreeSet<Pid> {
    let mut buf = PidBuf::new();
    let pids = b
        .fill(q, &mut buf)
        .unwrap_or_else(|e| panic!("{}: {q:?} failed: {e}", b.name()));
    assert_shape(b, q, &pids);
    pids.into_iter().collect()
}

/// `q` by `fill_slice`, starting from an empty slice and growing it to
/// what each `Truncated` asks for (plus slack under churn); checked for
/// shape. Without churn the first size asked for must be enough.
fn fill_slice_grown(b: &mut impl Backend, q: &PidQuery) -> BTreeSet<Pid> {
    let mut room: Vec<Pid> = Vec::new();
    for _ in 0..32 {
        match b.fill_slice(q, &mut room) {
            Ok(n) => {
                let listed = &room[..n];
                assert_shape(b, q, listed);
                return listed.iter().copied().collect();
            }
            Err(e) => {
                let ErrorKind::Truncated { needed } = e.kind() else {
                    panic!("{}: {q:?}: fill_slice failed: {e}", b.name());
                };
                assert!(
                    needed > room.len(),
                    "{}: {q:?}: Truncated {{ needed: {needed} }} for a slice of {}",
                    b.name(),
                    room.len()
                );
                assert!(
                    room.is_empty() || b.promises().churn,
                    "{}: {q:?}: the size it asked for ({}) was not enough",
                    b.name(),
                    room.len()
                );
                let slack = if b.promises().churn {
                    needed / 4 + 64
                } else {
                    0
                };
                room.resize(needed + slack, Pid::ZERO);
            }
        }
    }
    panic!("{}: {q:?}: fill_slice never fit", b.name());
}

/// Every query worth asking of `s`: each filter with every argument the
/// scenario uses (each process as a parent and a group, so childless
/// processes and non-leaders give empty answers), the values the forged
/// name claims, and the empty terminal.
fn queries(s: &Staged) -> Vec<PidQuery> {
    let mut qs = vec![PidQuery::all()];
    let mut pids: BTreeSet<Pid> = s.pids();
    pids.insert(s.test.pid);
    let mut groups = pids.clone();
    groups.insert(s.test.pgid);
    groups.extend(s.members.iter().map(|m| m.pgid));
    let forged = [Pid::from_raw(1), Pid::from_raw(77)];
    pids.extend(forged.iter().flatten());
    groups.extend(forged.iter().flatten());
    qs.extend(pids.iter().map(|&p| PidQuery::ppid(p)));
    qs.extend(groups.iter().map(|&g| PidQuery::pgrp(g)));
    let mut uids: BTreeSet<u32> = [0, s.test.uid, s.test.ruid].into();
    uids.extend(s.members.iter().flat_map(|m| [m.uid, m.ruid]));
    qs.extend(uids.iter().map(|&u| PidQuery::uid(u)));
    qs.extend(uids.iter().map(|&u| PidQuery::ruid(u)));
    qs.push(PidQuery::tty(Dev::from_raw(0)));
    for t in &s.terminals {
        qs.push(PidQuery::tty(t.dev));
        if let Some(path) = &t.path {
            let by_path = PidQuery::tty_path(path)
                .unwrap_or_else(|e| panic!("tty_path({}): {e}", path.display()));
            assert_eq!(by_path, PidQuery::tty(t.dev), "{}", path.display());
            qs.push(by_path);
        }
    }
    qs
}

/// The core check, for every query of [`queries`]: the scenario's
/// processes the backend lists (by `fill` and by `fill_slice`) are exactly
/// those the scenario says match, and the oracle agrees. Arguments only the
/// scenario uses get exactly the scenario's answer, system-wide; without
/// churn every answer is the oracle's.
fn check_every_filter(b: &mut impl Backend, s: &Staged) {
    let name = b.name();
    let churn = b.promises().churn;
    let mut buf = PidBuf::new();
    for q in queries(s) {
        let want = s.expected(&q);
        let got = b
            .fill(&q, &mut buf)
            .unwrap_or_else(|e| panic!("{name}: {q:?} failed: {e}"));
        assert_shape(b, &q, &got);
        let got: BTreeSet<Pid> = got.into_iter().collect();
        let sliced = fill_slice_grown(b, &q);
        let oracle = b.oracle(&q);
        assert_eq!(
            s.roles(&s.mine(&oracle)),
            s.roles(&want),
            "{name}: {q:?}: the oracle disagrees with the scenario"
        );
        if s.owns(&q) {
            assert_eq!(
                s.roles(&oracle),
                s.roles(&want),
                "{name}: {q:?}: the oracle sees more than the scenario"
            );
        }
        for (how, answer) in [("fill", &got), ("fill_slice", &sliced)] {
            assert_eq!(
                s.roles(&s.mine(answer)),
                s.roles(&want),
                "{name}: {q:?}: {how} lists the wrong processes of the scenario"
            );
            if s.owns(&q) {
                assert_eq!(
                    s.roles(answer),
                    s.roles(&want),
                    "{name}: {q:?}: {how} is not exactly the scenario's answer"
                );
            } else if !churn {
                assert_eq!(answer, &oracle, "{name}: {q:?}: {how} is not the oracle's");
            }
        }
        if let Filter::Ppid(_) = q.filter() {
            // A parent's children keep it while they live: every listed
            // child still alive is the oracle's child of it too.
            // (`alive` is read after `oracle`: a pid in both lived
            // throughout.)
            let alive = b.oracle(&PidQuery::all());
            let wrong: Vec<_> = got
                .iter()
                .filter(|p| alive.contains(p) && !oracle.contains(p))
                .collect();
            assert!(wrong.is_empty(), "{name}: {q:?}: not children: {wrong:?}");
        }
    }
}

// ---- the cases --------------------------------------------------------------

/// Every process kind together: every filter with every argument finds
/// exactly the processes that match (see [`check_every_filter`]).
pub fn every_filter_finds_exactly_the_matching_members(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "every_filter_finds_exactly_the_matching_members",
        &[
            Piece::Sleeper,
            Piece::Sleeper,
            Piece::Family {
                children: 2,
                own_group: true,
            },
            Piece::Family {
                children: 1,
                own_group: false,
            },
            Piece::Pty { high: false },
            Piece::Zombie { own_group: true },
            Piece::Zombie { own_group: false },
            Piece::ForgedName,
        ],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    // The assertions above can see each kind of answer: none is vacuous.
    let leader = s.member("family2.leader").pid;
    assert_eq!(fill(b, &PidQuery::pgrp(leader)).len(), 3);
    assert_eq!(fill(b, &PidQuery::ppid(leader)).len(), 2);
    let all = fill(b, &PidQuery::all());
    assert!(s.pids().is_subset(&all) && all.contains(&s.test.pid));
    let ours = fill(b, &PidQuery::pgrp(s.test.pgid));
    assert!(ours.contains(&s.member("family3.leader").pid));
    assert!(!ours.contains(&leader));
}

/// A zombie is listed by `all`, by `ppid` of its parent, by `pgrp` (alone
/// in a group of its own) and by its uids, until it is reaped.
pub fn zombies_are_listed_by_all_ppid_and_pgrp(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "zombies_are_listed_by_all_ppid_and_pgrp",
        &[
            Piece::Zombie { own_group: false },
            Piece::Zombie { own_group: true },
        ],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let (z, g) = (s.member("zombie0"), s.member("zombie1"));
    let zombies = BTreeSet::from([z.pid, g.pid]);
    for q in [
        PidQuery::all(),
        PidQuery::ppid(s.test.pid),
        PidQuery::uid(z.uid),
        PidQuery::ruid(z.ruid),
    ] {
        assert!(zombies.is_subset(&fill(b, &q)), "{}: {q:?}", b.name());
    }
    assert!(fill(b, &PidQuery::pgrp(z.pgid)).contains(&z.pid));
    assert_eq!(fill(b, &PidQuery::pgrp(g.pid)), BTreeSet::from([g.pid]));

    b.reap(z.pid);
    b.reap(g.pid);
    let kids = fill(b, &PidQuery::ppid(s.test.pid));
    assert!(
        kids.is_disjoint(&zombies),
        "{}: reaped zombies listed",
        b.name()
    );
    assert!(fill(b, &PidQuery::pgrp(g.pid)).is_empty());
}

/// A pty as controlling terminal: `tty` (and `tty_path` where there are
/// paths) finds exactly the processes on it, not the one holding its
/// master side, not the test.
pub fn a_controlling_pty_is_found_by_tty(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "a_controlling_pty_is_found_by_tty",
        &[Piece::Pty { high: false }],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let on_it = BTreeSet::from([s.member("pty0.session").pid, s.member("pty0.child").pid]);
    let t = &s.terminals[0];
    let mut qs = vec![PidQuery::tty(t.dev)];
    qs.extend(t.path.iter().map(|p| PidQuery::tty_path(p).unwrap()));
    for q in qs {
        let found = fill(b, &q);
        assert_eq!(found, on_it, "{}: {q:?}", b.name());
        assert_eq!(b.oracle(&q), on_it, "{}: {q:?}: the oracle", b.name());
        assert!(!found.contains(&s.member("pty0.holder").pid));
        assert!(!found.contains(&s.test.pid));
    }
}

/// A terminal whose minor number does not fit 8 bits is found, and the
/// device with the same low minor byte is another terminal.
pub fn a_pty_numbered_256_or_more_is_found(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "a_pty_numbered_256_or_more_is_found",
        &[Piece::Pty { high: true }],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let dev = s.terminals[0].dev;
    assert!(dev.minor() >= 256, "{dev:?}");
    let on_it = BTreeSet::from([s.member("pty0.session").pid]);
    assert_eq!(fill(b, &PidQuery::tty(dev)), on_it, "{}", b.name());
    let aliased = Dev::new(dev.major(), dev.minor() & 0xff);
    assert!(fill(b, &PidQuery::tty(aliased)).is_disjoint(&on_it));
}

/// A process named like the fields after the name in `/proc/<pid>/stat`
/// is still found by its real parent and group, not by the claimed ones.
pub fn forged_names_fool_neither_ppid_nor_pgrp(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "forged_names_fool_neither_ppid_nor_pgrp",
        &[Piece::ForgedName],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let f = s
        .members
        .iter()
        .find(|m| m.spec.forged_name)
        .expect("a forged name");
    let claimed = |raw| Pid::from_raw(raw).unwrap();
    assert!(fill(b, &PidQuery::ppid(s.test.pid)).contains(&f.pid));
    assert!(!fill(b, &PidQuery::ppid(claimed(1))).contains(&f.pid));
    if f.pgid != claimed(77) {
        assert!(!fill(b, &PidQuery::pgrp(claimed(77))).contains(&f.pid));
    }
    for q in [
        PidQuery::pgrp(f.pgid),
        PidQuery::all(),
        PidQuery::uid(f.uid),
        PidQuery::ruid(f.ruid),
    ] {
        assert!(fill(b, &q).contains(&f.pid), "{}: {q:?}", b.name());
    }
}

/// `uid` is the effective uid and `ruid` the real one: two processes with
/// them swapped are told apart.
pub fn uid_is_effective_and_ruid_is_real(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "uid_is_effective_and_ruid_is_real",
        &[
            Piece::Uids {
                ruid: 1234,
                euid: 4321,
            },
            Piece::Uids {
                ruid: 4321,
                euid: 1234,
            },
        ],
    ) else {
        return;
    };
    check_every_filter(b, &s);
    let (a, c) = (s.member("uids0").pid, s.member("uids1").pid);
    let mut mine = |q: PidQuery| s.mine(&fill(b, &q));
    assert_eq!(mine(PidQuery::uid(4321)), BTreeSet::from([a]));
    assert_eq!(mine(PidQuery::ruid(1234)), BTreeSet::from([a]));
    assert_eq!(mine(PidQuery::uid(1234)), BTreeSet::from([c]));
    assert_eq!(mine(PidQuery::ruid(4321)), BTreeSet::from([c]));
    assert!(mine(PidQuery::uid(0)).is_empty());
    assert!(mine(PidQuery::ruid(0)).is_empty());
}

/// Queries that match nothing succeed with nothing, into a buffer, an
/// empty slice or a larger one.
pub fn empty_answers_are_ok_and_fit_an_empty_slice(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "empty_answers_are_ok_and_fit_an_empty_slice",
        &[
            Piece::Sleeper,
            Piece::Family {
                children: 1,
                own_group: true,
            },
        ],
    ) else {
        return;
    };
    let name = b.name();
    let (sleeper, child) = (s.member("sleeper0").pid, s.member("family1.child0").pid);
    for q in [
        PidQuery::ppid(sleeper),
        PidQuery::pgrp(sleeper),
        PidQuery::ppid(child),
        PidQuery::pgrp(child),
        PidQuery::tty(Dev::from_raw(0)),
    ] {
        assert!(s.expected(&q).is_empty(), "{q:?}");
        assert_eq!(b.fill(&q, &mut PidBuf::new()).unwrap(), [], "{name}: {q:?}");
        assert_eq!(b.fill_slice(&q, &mut []).unwrap(), 0, "{name}: {q:?}");
        assert_eq!(
            b.fill_slice(&q, &mut [Pid::ZERO; 4]).unwrap(),
            0,
            "{name}: {q:?}"
        );
        assert!(b.oracle(&q).is_empty(), "{name}: {q:?}: the oracle");
    }
    // Not vacuous: the same processes do answer other queries.
    let leader = s.member("family1.leader").pid;
    assert_eq!(fill(b, &PidQuery::ppid(leader)), BTreeSet::from([child]));
}

/// A slice too small for the answer is `Truncated { needed }`, with
/// `needed` covering every match — never `Ok` with a short list — and a
/// slice of `needed` then holds the whole answer.
pub fn a_short_slice_is_truncated_never_a_short_list(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "a_short_slice_is_truncated_never_a_short_list",
        &[Piece::Family {
            children: 2,
            own_group: true,
        }],
    ) else {
        return;
    };
    let name = b.name();
    let promises = b.promises();
    let leader = s.member("family0.leader").pid;
    for q in [PidQuery::pgrp(leader), PidQuery::ppid(leader)] {
        let want = s.expected(&q);
        let count = want.len();
        assert!(count >= 2, "{q:?}");
        for len in 0..count {
            let mut short = vec![Pid::ZERO; len];
            let needed = match b.fill_slice(&q, &mut short) {
                Ok(n) => panic!("{name}: {q:?}: Ok({n}) in a slice of {len} for {count} matches"),
                Err(e) => match e.kind() {
                    ErrorKind::Truncated { needed } => needed,
                    _ => panic!("{name}: {q:?}: {e}"),
                },
            };
            assert!(needed >= count, "{name}: {q:?}: needed {needed} < {count}");
            assert!(
                needed > len,
                "{name}: {q:?}: needed {needed} for a slice of {len}"
            );
            let mut room = vec![Pid::ZERO; needed];
            let n = b.fill_slice(&q, &mut room).unwrap();
            assert_shape(b, &q, &room[..n]);
            assert_eq!(room[..n].iter().copied().collect::<BTreeSet<_>>(), want);
        }
        // Exactly the answer's size.
        let mut exact = vec![Pid::ZERO; count];
        match b.fill_slice(&q, &mut exact) {
            Ok(n) => {
                assert!(
                    promises.exact_fit,
                    "{name}: {q:?}: a full slice taken as complete"
                );
                assert_eq!(exact[..n].iter().copied().collect::<BTreeSet<_>>(), want);
            }
            Err(e) => {
                assert!(!promises.exact_fit, "{name}: {q:?}: {e}");
                assert!(
                    matches!(e.kind(), ErrorKind::Truncated { needed } if needed > count),
                    "{name}: {q:?}: {e:?}"
                );
            }
        }
        let mut roomy = vec![Pid::ZERO; count + 5];
        assert_eq!(
            b.fill_slice(&q, &mut roomy).unwrap(),
            count,
            "{name}: {q:?}"
        );
    }

    // The whole system: the need covers every process there throughout.
    let all = PidQuery::all();
    for len in [0, 1] {
        let before = b.oracle(&all);
        let err = b.fill_slice(&all, &mut vec![Pid::ZERO; len]).unwrap_err();
        let after = b.oracle(&all);
        let ErrorKind::Truncated { needed } = err.kind() else {
            panic!("{name}: {err:?}");
        };
        let stable = before.intersection(&after).count();
        assert!(
            needed >= stable,
            "{name}: needed {needed} < {stable} processes"
        );
    }
    let listed = fill_slice_grown(b, &all);
    assert!(s.pids().is_subset(&listed) && listed.contains(&s.test.pid));
    if !promises.churn {
        assert_eq!(listed, b.oracle(&all), "{name}");
    }
}

/// Reaped children are no longer listed; the others still are, and a
/// family's children are untouched.
pub fn reaped_children_are_no_longer_listed(b: &mut impl Backend) {
    let Some(s) = stage(
        b,
        "reaped_children_are_no_longer_listed",
        &[
            Piece::Sleeper,
            Piece::Sleeper,
            Piece::Sleeper,
            Piece::Zombie { own_group: false },
            Piece::Family {
                children: 3,
                own_group: false,
            },
        ],
    ) else {
        return;
    };
    let name = b.name();
    let leader = s.member("family4.leader").pid;
    let family = fill(b, &PidQuery::ppid(leader));
    assert_eq!(family, s.expected(&PidQuery::ppid(leader)));
    let mut left: BTreeSet<Pid> = ["sleeper0", "sleeper1", "sleeper2", "zombie3"]
        .iter()
        .map(|r| s.member(r).pid)
        .collect();
    assert!(left.is_subset(&fill(b, &PidQuery::ppid(s.test.pid))));
    for role in ["sleeper1", "zombie3", "sleeper0", "sleeper2"] {
        let gone = s.member(role).pid;
        b.reap(gone);
        left.remove(&gone);
        let kids = fill(b, &PidQuery::ppid(s.test.pid));
        assert!(!kids.contains(&gone), "{name}: reaped {role} still listed");
        assert!(left.is_subset(&kids), "{name}: lost {:?}", s.roles(&left));
        assert!(!fill(b, &PidQuery::all()).contains(&gone), "{name}: {role}");
    }
    assert_eq!(fill(b, &PidQuery::ppid(leader)), family);
}
