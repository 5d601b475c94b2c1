//! Live tests of the Linux backend: every filter against processes these
//! tests spawn, compared with `ps` (procps), plus the error cases.
//!
//! Each test asserts on processes it spawned itself, so a busy machine does
//! not make it flaky; whole-system checks only use processes `ps` saw both
//! before and after a query.

#![cfg(target_os = "linux")]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use pidquery::{Errno, ErrorKind, Pid, PidBuf, PidQuery, System};
use support::{pid, set, FORGED_NAME};

/// Runs `query` on the live system.
fn run(query: PidQuery) -> BTreeSet<Pid> {
    let mut buf = PidBuf::new();
    let pids = query
        .fill(&mut buf)
        .unwrap_or_else(|e| panic!("{query:?} failed: {e}"));
    assert_sorted_unique(query, pids);
    set(pids.iter().copied())
}

/// Pids of `query` among `ours`.
fn run_among(query: PidQuery, ours: &BTreeSet<Pid>) -> BTreeSet<Pid> {
    run(query).intersection(ours).copied().collect()
}

fn assert_sorted_unique(query: PidQuery, pids: &[Pid]) {
    assert!(
        pids.windows(2).all(|w| w[0] < w[1]),
        "{query:?}: answer not strictly ascending: {pids:?}"
    );
}

#[test]
fn ppid_finds_every_child_and_forgets_reaped_ones() {
    let children: Vec<_> = (0..5).map(|_| support::sleeper()).collect();
    let ours = set(children.iter().map(|c| c.pid()));

    let found = run(PidQuery::ppid(Pid::this()));
    let missing: Vec<_> = ours.difference(&found).collect();
    assert!(missing.is_empty(), "children not found: {missing:?}");
    // Other tests of this binary spawn children too, so `found` may hold
    // more; but every one of them must really be our child.
    let table = support::ps();
    for p in &found {
        if let Some(row) = table.get(p) {
            assert_eq!(row.ppid, Pid::this(), "{p} is not our child: {row:?}");
        }
    }

    // The exact set, with a parent no other test uses: a shell whose
    // background sleeps are its only children.
    let family = support::family(3, false);
    let parent = family.leader.pid();
    let expected = set(support::ps()
        .values()
        .filter(|r| r.ppid == parent)
        .map(|r| r.pid));
    assert_eq!(expected.len(), 3);
    assert_eq!(run(PidQuery::ppid(parent)), expected);
    assert_eq!(expected, set(family.children.iter().copied()));

    for child in children {
        child.kill_and_reap();
    }
    let after = run(PidQuery::ppid(Pid::this()));
    let lingering: Vec<_> = ours.intersection(&after).collect();
    assert!(
        lingering.is_empty(),
        "reaped children still listed: {lingering:?}"
    );
    assert_eq!(run(PidQuery::ppid(parent)), expected);
}

#[test]
fn pgrp_matches_the_group_exactly() {
    let family = support::family(1, true);
    let pgid = family.leader.pid();
    let expected = family.members();
    assert_eq!(expected.len(), 2);
    let oracle = set(support::ps()
        .values()
        .filter(|r| r.pgid == pgid)
        .map(|r| r.pid));
    assert_eq!(oracle, expected, "ps disagrees with the fixture");
    assert_eq!(run(PidQuery::pgrp(pgid)), expected);
    // Our own group does not contain them.
    let mine = run(PidQuery::pgrp(support::ps()[&Pid::this()].pgid));
    assert!(mine.is_disjoint(&expected));
}

#[test]
fn forged_command_name_does_not_fool_the_stat_parser() {
    let proc = support::forged_name();
    let p = proc.pid();
    let comm = std::fs::read(format!("/proc/{p}/comm")).unwrap();
    assert_eq!(comm, [FORGED_NAME, b"\n"].concat());
    let stat = std::fs::read(format!("/proc/{p}/stat")).unwrap();
    assert!(
        stat.windows(FORGED_NAME.len()).any(|w| w == FORGED_NAME),
        "the name is in stat unescaped"
    );

    let row = support::ps()[&p].clone();
    assert_eq!(row.ppid, Pid::this());
    assert!(run(PidQuery::ppid(Pid::this())).contains(&p));
    assert!(!run(PidQuery::ppid(pid(1))).contains(&p));
    if row.pgid != pid(77) {
        assert!(!run(PidQuery::pgrp(pid(77))).contains(&p));
    }
    assert!(run(PidQuery::pgrp(row.pgid)).contains(&p));
    assert!(run(PidQuery::all()).contains(&p));
    assert!(run(PidQuery::uid(row.uid)).contains(&p));
    assert!(run(PidQuery::ruid(row.ruid)).contains(&p));
}

#[test]
fn tty_finds_the_processes_on_a_pty() {
    let Some(session) = support::pty_session() else {
        support::skip("tty", "`script` is not installed");
        return;
    };
    let oracle = set(support::ps()
        .values()
        .filter(|r| r.tty == session.ps_name)
        .map(|r| r.pid));
    assert_eq!(oracle, session.members, "ps disagrees with the fixture");

    let by_path = PidQuery::tty_path(&session.tty).unwrap();
    let rdev = std::os::unix::fs::MetadataExt::rdev(&std::fs::metadata(&session.tty).unwrap());
    assert_eq!(by_path, PidQuery::tty(pidquery::Dev::from_raw(rdev)));
    let found = run(by_path);
    assert_eq!(found, oracle);
    assert!(!found.contains(&Pid::this()));
    assert!(
        !found.contains(&session.script.pid()),
        "script holds the master side only"
    );
}

#[test]
fn tty_finds_a_pty_numbered_256_or_more() {
    // tty_nr and st_rdev put minor bits above 255 in bits 20 and up; a
    // naive `major << 8 | minor` would miss this terminal.
    let Some(session) = support::high_pty_session() else {
        support::skip("high tty", "`python3` is not installed");
        return;
    };
    let rdev = std::os::unix::fs::MetadataExt::rdev(&std::fs::metadata(&session.tty).unwrap());
    let dev = pidquery::Dev::from_raw(rdev);
    assert!(dev.minor() >= 256, "{dev:?}");
    let oracle = set(support::ps()
        .values()
        .filter(|r| r.tty == session.ps_name)
        .map(|r| r.pid));
    assert_eq!(oracle, session.members, "ps disagrees with the fixture");
    assert_eq!(run(PidQuery::tty(dev)), oracle);
    assert_eq!(run(PidQuery::tty_path(&session.tty).unwrap()), oracle);
    // The device with the same low minor byte is another terminal.
    let aliased = pidquery::Dev::new(dev.major(), dev.minor() & 0xff);
    assert!(run(PidQuery::tty(aliased)).is_disjoint(&oracle));
}

#[test]
fn uid_is_effective_and_ruid_is_real() {
    if !support::is_root() {
        support::skip("uid/ruid", "needs root to change uids");
        return;
    }
    if !support::have("setpriv") {
        support::skip("uid/ruid", "`setpriv` is not installed");
        return;
    }
    // Real 1234 / effective 4321, and the mirror image.
    let a = support::with_uids(1234, 4321);
    let b = support::with_uids(4321, 1234);
    let ours = set([a.pid(), b.pid()]);

    // Changing the effective uid made them non-dumpable: the files inside
    // /proc/<pid> belong to root, the directory to the effective uid.
    use std::os::unix::fs::MetadataExt;
    for (p, euid) in [(a.pid(), 4321), (b.pid(), 1234)] {
        assert_eq!(std::fs::metadata(format!("/proc/{p}")).unwrap().uid(), euid);
        assert_eq!(
            std::fs::metadata(format!("/proc/{p}/stat")).unwrap().uid(),
            0
        );
    }

    let table = support::ps();
    assert_eq!((table[&a.pid()].uid, table[&a.pid()].ruid), (4321, 1234));
    assert_eq!((table[&b.pid()].uid, table[&b.pid()].ruid), (1234, 4321));

    assert_eq!(run_among(PidQuery::uid(4321), &ours), set([a.pid()]));
    assert_eq!(run_among(PidQuery::ruid(1234), &ours), set([a.pid()]));
    assert_eq!(run_among(PidQuery::uid(1234), &ours), set([b.pid()]));
    assert_eq!(run_among(PidQuery::ruid(4321), &ours), set([b.pid()]));
    assert!(run_among(PidQuery::uid(0), &ours).is_empty());
    assert!(run_among(PidQuery::ruid(0), &ours).is_empty());
}

#[test]
fn zombies_are_listed() {
    let z = support::zombie(false);
    let g = support::zombie(true);
    let table = support::ps();
    for p in [z.pid(), g.pid()] {
        assert!(table[&p].stat.starts_with('Z'), "ps: {:?}", table[&p]);
    }
    let all = run(PidQuery::all());
    assert!(all.contains(&z.pid()) && all.contains(&g.pid()));
    let kids = run(PidQuery::ppid(Pid::this()));
    assert!(kids.contains(&z.pid()) && kids.contains(&g.pid()));
    assert_eq!(run(PidQuery::pgrp(g.pid())), set([g.pid()]));
    assert!(run(PidQuery::pgrp(table[&z.pid()].pgid)).contains(&z.pid()));
    assert!(run(PidQuery::uid(table[&z.pid()].uid)).contains(&z.pid()));
    assert!(run(PidQuery::ruid(table[&z.pid()].ruid)).contains(&z.pid()));

    let zp = z.pid();
    z.kill_and_reap();
    assert!(!run(PidQuery::ppid(Pid::this())).contains(&zp));
}

/// Every process kind the fixtures make, alive together.
struct Zoo {
    sleepers: Vec<support::Proc>,
    group: support::Family,
    pty: Option<support::PtySession>,
    zombie: support::Proc,
    forged: support::Proc,
    uids: Vec<support::Proc>,
}

impl Zoo {
    fn new() -> Zoo {
        let root = support::is_root() && support::have("setpriv");
        Zoo {
            sleepers: (0..2).map(|_| support::sleeper()).collect(),
            group: support::family(2, true),
            pty: support::pty_session(),
            zombie: support::zombie(false),
            forged: support::forged_name(),
            uids: if root {
                vec![
                    support::with_uids(1234, 4321),
                    support::with_uids(4321, 1234),
                ]
            } else {
                Vec::new()
            },
        }
    }

    fn pids(&self) -> BTreeSet<Pid> {
        let mut all = set(self.sleepers.iter().map(|p| p.pid()));
        all.extend(self.group.members());
        if let Some(pty) = &self.pty {
            all.extend(pty.members.iter().copied());
            all.insert(pty.script.pid());
        }
        all.insert(self.zombie.pid());
        all.insert(self.forged.pid());
        all.extend(self.uids.iter().map(|p| p.pid()));
        all
    }
}

/// The distinct values of one `ps` column among `ours`, each with the pids
/// that have it.
fn by_column<K: Ord>(
    table: &BTreeMap<Pid, support::PsRow>,
    ours: &BTreeSet<Pid>,
    key: impl Fn(&support::PsRow) -> K,
) -> BTreeMap<K, BTreeSet<Pid>> {
    let mut map: BTreeMap<K, BTreeSet<Pid>> = BTreeMap::new();
    for p in ours {
        map.entry(key(&table[p])).or_default().insert(*p);
    }
    map
}

#[test]
fn every_filter_agrees_with_ps_on_spawned_processes() {
    let zoo = Zoo::new();
    let ours = zoo.pids();
    let table = support::ps();
    for p in &ours {
        assert!(table.contains_key(p), "ps does not list our {p}");
    }

    assert_eq!(run_among(PidQuery::all(), &ours), ours);
    for (ppid, expected) in by_column(&table, &ours, |r| r.ppid) {
        assert_eq!(
            run_among(PidQuery::ppid(ppid), &ours),
            expected,
            "ppid {ppid}"
        );
    }
    for (pgid, expected) in by_column(&table, &ours, |r| r.pgid) {
        assert_eq!(
            run_among(PidQuery::pgrp(pgid), &ours),
            expected,
            "pgrp {pgid}"
        );
    }
    for (uid, expected) in by_column(&table, &ours, |r| r.uid) {
        assert_eq!(run_among(PidQuery::uid(uid), &ours), expected, "uid {uid}");
    }
    for (ruid, expected) in by_column(&table, &ours, |r| r.ruid) {
        assert_eq!(
            run_among(PidQuery::ruid(ruid), &ours),
            expected,
            "ruid {ruid}"
        );
    }
    let ttys = by_column(&table, &ours, |r| r.tty.clone());
    for (tty, expected) in &ttys {
        if tty == "?" {
            continue;
        }
        let path = Path::new("/dev").join(tty);
        assert_eq!(
            run_among(PidQuery::tty_path(&path).unwrap(), &ours),
            *expected,
            "tty {tty}"
        );
    }
    if let Some(pty) = &zoo.pty {
        assert_eq!(ttys.get(&pty.ps_name), Some(&pty.members));
    }

    // Values only our processes have: the whole system must agree with ps.
    let everywhere =
        |f: &dyn Fn(&support::PsRow) -> bool| set(table.values().filter(|r| f(r)).map(|r| r.pid));
    let leader = zoo.group.leader.pid();
    assert_eq!(
        run(PidQuery::pgrp(leader)),
        everywhere(&|r| r.pgid == leader)
    );
    assert_eq!(
        run(PidQuery::ppid(leader)),
        everywhere(&|r| r.ppid == leader)
    );
    if let Some(pty) = &zoo.pty {
        let name = pty.ps_name.as_str();
        assert_eq!(
            run(PidQuery::tty_path(&pty.tty).unwrap()),
            everywhere(&|r| r.tty == name)
        );
    }
}

#[test]
fn all_lists_every_stable_process_and_no_thread() {
    // Threads of our own that live for the whole test.
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let tid_tx = tid_tx.clone();
            let stop_rx = stop_rx.clone();
            std::thread::spawn(move || {
                tid_tx.send(support::this_thread_id()).unwrap();
                let _ = stop_rx.lock().unwrap().recv();
            })
        })
        .collect();
    let our_threads = set(tid_rx.iter().take(3));

    let before = support::ps_start_keys();
    let all = run(PidQuery::all());
    let after = support::ps_start_keys();
    let thread_ids = support::ps_thread_ids();

    let stable: BTreeSet<Pid> = before.intersection(&after).map(|(p, _)| *p).collect();
    assert!(stable.contains(&Pid::this()));
    let missing: Vec<_> = stable.difference(&all).collect();
    assert!(
        missing.is_empty(),
        "stable processes not listed: {missing:?}"
    );

    for tid in &our_threads {
        assert_ne!(*tid, Pid::this());
        assert!(
            thread_ids.contains(tid),
            "ps does not list our thread {tid}"
        );
        assert!(!all.contains(tid), "thread {tid} listed as a process");
    }
    // Any other listed id that ps called a thread must have become a
    // process since (its id reused), or be gone.
    for p in all.iter().filter(|p| thread_ids.contains(p)) {
        assert_ne!(
            support::is_process_now(*p),
            Some(false),
            "thread {p} listed as a process"
        );
    }

    drop(stop_tx);
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn every_filter_agrees_with_ps_on_stable_processes_system_wide() {
    // Processes with the same ps row (state aside) and start time before
    // and after the queries were alive and unchanged throughout: each
    // must be in exactly the answers its row says.
    let zoo = Zoo::new();
    let before = support::ps_with_start();
    let me = &before[&Pid::this()].0;
    let mut queries = vec![
        PidQuery::all(),
        PidQuery::ppid(pid(0)),
        PidQuery::ppid(pid(1)),
        PidQuery::ppid(pid(2)),
        PidQuery::ppid(Pid::this()),
        PidQuery::ppid(zoo.group.leader.pid()),
        PidQuery::pgrp(pid(0)),
        PidQuery::pgrp(me.pgid),
        PidQuery::pgrp(zoo.group.leader.pid()),
        PidQuery::uid(0),
        PidQuery::ruid(0),
        PidQuery::uid(me.uid),
        PidQuery::ruid(me.ruid),
    ];
    let uids: BTreeSet<u32> = before.values().map(|(r, _)| r.uid).collect();
    let ruids: BTreeSet<u32> = before.values().map(|(r, _)| r.ruid).collect();
    queries.extend(uids.iter().take(4).map(|&u| PidQuery::uid(u)));
    queries.extend(ruids.iter().take(4).map(|&u| PidQuery::ruid(u)));
    let ttys: BTreeSet<&str> = before.values().map(|(r, _)| r.tty.as_str()).collect();
    for tty in ttys.iter().filter(|t| **t != "?").take(4) {
        // Only terminals that exist under this name in our /dev.
        if let Ok(q) = PidQuery::tty_path(Path::new("/dev").join(tty)) {
            queries.push(q);
        }
    }
    let answers: Vec<(PidQuery, BTreeSet<Pid>)> = queries.iter().map(|&q| (q, run(q))).collect();
    let after = support::ps_with_start();

    let unchanged = |(row, start): &(support::PsRow, String)| -> bool {
        after.get(&row.pid).is_some_and(|(r, s)| {
            s == start
                && (r.ppid, r.pgid, &r.tty, r.uid, r.ruid)
                    == (row.ppid, row.pgid, &row.tty, row.uid, row.ruid)
        })
    };
    let stable: Vec<&support::PsRow> = before
        .values()
        .filter(|entry| unchanged(entry))
        .map(|(row, _)| row)
        .collect();
    assert!(stable.iter().any(|r| r.pid == Pid::this()));
    assert!(zoo
        .pids()
        .iter()
        .all(|p| stable.iter().any(|r| r.pid == *p)));

    let tty_of = |q: &PidQuery| -> Option<String> {
        let pidquery::Filter::Tty(dev) = q.filter() else {
            return None;
        };
        ttys.iter()
            .find(|t| {
                PidQuery::tty_path(Path::new("/dev").join(t))
                    .ok()
                    .map(|q| q.filter())
                    == Some(pidquery::Filter::Tty(dev))
            })
            .map(|t| t.to_string())
    };
    for (query, answer) in &answers {
        let tty = tty_of(query);
        for row in &stable {
            let expected = match query.filter() {
                pidquery::Filter::All => true,
                pidquery::Filter::Ppid(p) => row.ppid == p,
                pidquery::Filter::Pgrp(p) => row.pgid == p,
                pidquery::Filter::Uid(u) => row.uid == u,
                pidquery::Filter::Ruid(u) => row.ruid == u,
                pidquery::Filter::Tty(_) => Some(&row.tty) == tty.as_ref(),
                other => panic!("no ps oracle for {other:?}"),
            };
            assert_eq!(
                answer.contains(&row.pid),
                expected,
                "{query:?} and ps disagree on {row:?}"
            );
        }
    }
}

#[test]
fn fill_slice_reports_truncation_and_never_a_short_list() {
    let family = support::family(2, true);
    let group = PidQuery::pgrp(family.leader.pid());
    let members = family.members();
    assert_eq!(members.len(), 3);

    // Too small, empty: Truncated with a need that covers the answer.
    for len in [0, 1, 2] {
        let mut slots = vec![Pid::ZERO; len];
        let err = group.fill_slice(&mut slots).unwrap_err();
        let ErrorKind::Truncated { needed } = err.kind() else {
            panic!("len {len}: {err:?}");
        };
        assert!(needed >= members.len(), "len {len}: needed {needed}");
        // The size it asked for is enough.
        let mut room = vec![Pid::ZERO; needed];
        let n = group.fill_slice(&mut room).unwrap();
        assert_eq!(set(room[..n].iter().copied()), members);
        assert_sorted_unique(group, &room[..n]);
    }
    // Exactly the right size is enough on Linux.
    let mut exact = vec![Pid::ZERO; 3];
    assert_eq!(group.fill_slice(&mut exact).unwrap(), 3);
    assert_eq!(set(exact.iter().copied()), members);

    // An answer of nothing fits anywhere, even in an empty slice.
    let leader_children = PidQuery::ppid(family.leader.pid());
    let grandchild = *family.children.first().unwrap();
    for q in [PidQuery::ppid(grandchild), PidQuery::pgrp(grandchild)] {
        assert_eq!(q.fill_slice(&mut []).unwrap(), 0, "{q:?}");
        assert_eq!(q.fill_slice(&mut [Pid::ZERO; 4]).unwrap(), 0, "{q:?}");
    }
    assert_eq!(leader_children.fill_slice(&mut [Pid::ZERO; 8]).unwrap(), 2);

    // The whole system: the need covers every process alive throughout.
    let before = support::ps_start_keys();
    let err = PidQuery::all().fill_slice(&mut []).unwrap_err();
    let after = support::ps_start_keys();
    let ErrorKind::Truncated { needed } = err.kind() else {
        panic!("{err:?}");
    };
    let stable = before.intersection(&after).count();
    assert!(
        needed >= stable,
        "needed {needed} < {stable} stable processes"
    );
    let err = PidQuery::all().fill_slice(&mut [Pid::ZERO; 1]).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Truncated { needed } if needed >= 2));

    // Enough room succeeds (processes may be born meanwhile: grow as told).
    let mut room = vec![Pid::ZERO; needed];
    let n = support::wait_until("fill_slice of all to fit", || {
        match PidQuery::all().fill_slice(&mut room) {
            Ok(n) => Some(n),
            Err(e) => match e.kind() {
                ErrorKind::Truncated { needed } => {
                    room.resize(needed + needed / 4 + 64, Pid::ZERO);
                    None
                }
                _ => panic!("{e}"),
            },
        }
    });
    let listed = &room[..n];
    assert_sorted_unique(PidQuery::all(), listed);
    assert!(listed.contains(&Pid::this()));
    assert!(members.iter().all(|m| listed.contains(m)));
}

#[test]
fn every_filter_answers_ascending_without_duplicates() {
    let zoo = Zoo::new();
    let me = &support::ps()[&Pid::this()];
    let mut queries = vec![
        PidQuery::all(),
        PidQuery::ppid(Pid::this()),
        PidQuery::ppid(pid(2)),
        PidQuery::pgrp(me.pgid),
        PidQuery::pgrp(zoo.group.leader.pid()),
        PidQuery::uid(me.uid),
        PidQuery::ruid(me.ruid),
        PidQuery::uid(1234),
        PidQuery::ruid(4321),
    ];
    if let Some(pty) = &zoo.pty {
        queries.push(PidQuery::tty_path(&pty.tty).unwrap());
    }
    let mut buf = PidBuf::<4>::default();
    for q in queries {
        let pids = q.fill(&mut buf).unwrap();
        assert_sorted_unique(q, pids);
        // fill_slice and iter give the same kind of answer. No answer
        // holds more than pid_max pids, however busy the machine.
        let mut slots = vec![Pid::ZERO; support::pid_max()];
        let n = q.fill_slice(&mut slots).unwrap();
        assert_sorted_unique(q, &slots[..n]);
        let iterated: Vec<Pid> = q.iter().unwrap().collect::<Result<_, _>>().unwrap();
        assert_sorted_unique(q, &iterated);
    }
    let zoo_pids = zoo.pids();
    let fill = run(PidQuery::all());
    assert!(zoo_pids.is_subset(&fill));
}

#[test]
fn bad_input_is_rejected_with_a_typed_error() {
    assert_eq!(Pid::from_raw(-1), None);
    assert_eq!(Pid::from_raw(i32::MIN), None);
    let err = Pid::try_from(-1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NegativePid);
    assert!(err.to_string().contains("-1"), "{err}");
    assert_eq!(Pid::try_from(0).unwrap(), Pid::ZERO);

    // A regular file is not a terminal.
    let file = std::env::current_exe().unwrap();
    let err = PidQuery::tty_path(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotACharDevice);
    assert_eq!(err.path(), Some(file.as_path()));
    // Neither is a directory.
    let err = PidQuery::tty_path("/dev").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotACharDevice);

    // A missing path: the OS error, its errno and the path.
    let missing = Path::new("/dev/pts/does-not-exist");
    let err = PidQuery::tty_path(missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Os);
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    assert_eq!(err.path(), Some(missing));
    assert!(err.to_string().contains("/dev/pts/does-not-exist"), "{err}");
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);

    // System::open: missing, not a directory, not a procfs.
    let missing = Path::new("/nonexistent/proc");
    let err = System::open(missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProcRoot);
    assert_eq!(err.path(), Some(missing));
    assert_eq!(err.errno(), Some(Errno::ENOENT));
    assert!(err.to_string().contains("/nonexistent/proc"), "{err}");

    let err = System::open(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProcRoot);
    assert_eq!(err.errno(), Some(Errno::from_raw(20))); // ENOTDIR
    assert_eq!(err.path(), Some(file.as_path()));

    for dir in [Path::new("/"), Path::new("/dev"), &std::env::temp_dir()] {
        let err = System::open(dir).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotProcfs, "{}", dir.display());
        assert_eq!(err.path(), Some(dir));
    }
    // Directories inside a procfs are not its root: they would list fds or
    // threads as if they were processes.
    for dir in ["/proc/self/fd", "/proc/self/task", "/proc/sys", "/proc/1"] {
        let err = System::open(dir).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotProcfs, "{dir}");
        assert_eq!(err.path(), Some(Path::new(dir)));
    }
}

#[test]
fn explicit_proc_root_gives_the_same_answers_as_the_default() {
    let explicit = System::open("/proc").unwrap();
    let live = System::live().unwrap();
    assert_eq!(explicit.proc_root(), Some(Path::new("/proc")));
    assert_eq!(live.proc_root(), Some(Path::new("/proc")));

    let zoo = Zoo::new();
    let ours = zoo.pids();
    let table = support::ps();
    let mut queries = vec![
        PidQuery::ppid(Pid::this()),
        PidQuery::ppid(zoo.group.leader.pid()),
        PidQuery::pgrp(zoo.group.leader.pid()),
        PidQuery::uid(1234),
        PidQuery::ruid(1234),
        PidQuery::uid(table[&Pid::this()].uid),
        PidQuery::ruid(table[&Pid::this()].ruid),
    ];
    if let Some(pty) = &zoo.pty {
        queries.push(PidQuery::tty_path(&pty.tty).unwrap());
    }
    let mut a = PidBuf::new();
    let mut b = PidBuf::new();
    for q in queries {
        let via_live = set(live.fill(&q, &mut a).unwrap().iter().copied());
        let via_open = set(explicit.fill(&q, &mut b).unwrap().iter().copied());
        let via_default = run(q);
        let mine =
            |s: &BTreeSet<Pid>| -> BTreeSet<Pid> { s.intersection(&ours).copied().collect() };
        assert_eq!(mine(&via_open), mine(&via_live), "{q:?}");
        assert_eq!(mine(&via_open), mine(&via_default), "{q:?}");
    }
    // The whole list: what both live listings agree on, the explicit one has.
    let first = run(PidQuery::all());
    let explicit_all = set(explicit
        .iter(&PidQuery::all())
        .unwrap()
        .map(|p| p.expect("all")));
    let second = run(PidQuery::all());
    for p in first.intersection(&second) {
        assert!(
            explicit_all.contains(p),
            "{p} missing from System::open(\"/proc\")"
        );
    }
    assert!(ours.is_subset(&explicit_all));
    assert_eq!(
        explicit.probe(&PidQuery::all()).is_ok(),
        live.probe(&PidQuery::all()).is_ok()
    );
}
