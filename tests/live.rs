//! Live tests of the Linux backend beyond the conformance suite
//! (`tests/conformance_linux.rs`, which holds every filter against the
//! processes it spawns, compared with `ps`): the whole system against `ps`
//! on stable processes, threads never listed, every answer's shape through
//! `fill`, `fill_slice` and `iter`, an explicit proc root, and bad input
//! (paths that are not a proc root, a slice too short: one-sentence errors).
//!
//! Each test asserts on processes it spawned itself, so a busy machine does
//! not make it flaky; whole-system checks only use processes `ps` saw both
//! before and after a query.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use pidquery::{Errno, ErrorKind, Pid, PidBuf, PidQuery, System};
use support::{pid, set};

/// Runs `query` on the live system.
fn run(query: PidQuery) -> BTreeSet<Pid> {
    let mut buf = PidBuf::new();
    let pids = query
        .fill(&mut buf)
        .unwrap_or_else(|e| panic!("{query:?} failed: {e}"));
    assert_sorted_unique(query, pids);
    set(pids.iter().copied())
}

fn assert_sorted_unique(query: PidQuery, pids: &[Pid]) {
    assert!(
        pids.windows(2).all(|w| w[0] < w[1]),
        "{query:?}: answer not strictly ascending: {pids:?}"
    );
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

/// Opening things that are not a proc root fails with a typed error that
/// carries the errno and the path, and reads as one sentence.
#[test]
fn bad_proc_roots_are_clear_errors() {
    let one_sentence = |e: &pidquery::Error, path: &str| {
        let text = e.to_string();
        assert!(!text.contains('\n'), "multi-line error: {text:?}");
        assert!(text.contains(path), "error {text:?} does not name {path}");
        assert_eq!(
            e.path().map(|p| p.display().to_string()),
            Some(path.to_string())
        );
        assert!(e.pid().is_none());
    };

    let missing = "/nonexistent/pidquery/proc";
    let e = System::open(missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProcRoot);
    assert_eq!(e.errno(), Some(Errno::ENOENT));
    one_sentence(&e, missing);
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);

    let e = System::open("/etc").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotProcfs);
    one_sentence(&e, "/etc");

    let e = System::open("/proc/self/stat").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProcRoot);
    assert_eq!(e.errno(), Some(Errno::from_raw(libc::ENOTDIR)));
    one_sentence(&e, "/proc/self/stat");

    let e = System::open("").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProcRoot);
    assert_eq!(e.errno(), Some(Errno::ENOENT));

    // A path the kernel never sees (interior NUL) still has a real errno.
    let e = System::open("/pro\0c").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProcRoot);
    assert_eq!(e.errno(), Some(Errno::EINVAL), "{e}");
    assert!(!e.to_string().contains('\n'));

    // Directories inside a procfs are procfs too, but not a proc root:
    // listing them would return thread ids, fd numbers or nothing at all
    // as if they were the process table.
    for inside in [
        "/proc/self",
        "/proc/self/task",
        "/proc/self/fd",
        "/proc/sys",
        "/proc/self/fdinfo",
    ] {
        match System::open(inside) {
            Ok(system) => {
                let pids = system.iter(&PidQuery::all()).map(|p| p.count());
                panic!("{inside} accepted as a proc root; all() = {pids:?} pids");
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::NotProcfs, "{inside}: {e}");
                one_sentence(&e, inside);
            }
        }
    }

    // The real thing, reached by other paths, is fine.
    for ok in ["/proc", "/proc/", "/proc/self/root/proc", "/proc/1/../"] {
        let system = System::open(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        let all: Vec<Pid> = system
            .iter(&PidQuery::all())
            .expect("all")
            .collect::<Result<_, _>>()
            .expect("all");
        assert!(
            all.contains(&Pid::this()),
            "{ok} does not list this process"
        );
    }
}

/// Per-pid errors name the pid and the proc root in one sentence; a
/// `Truncated` error says how much room is needed.
#[test]
fn truncated_error_is_one_sentence() {
    let system = System::live().expect("open /proc");
    let mut none: [Pid; 0] = [];
    let e = system.fill_slice(&PidQuery::all(), &mut none).unwrap_err();
    let ErrorKind::Truncated { needed } = e.kind() else {
        panic!("{e}")
    };
    assert!(needed >= 1);
    let text = e.to_string();
    assert!(
        text.contains(&needed.to_string()) && !text.contains('\n'),
        "{text}"
    );
    assert!(e.errno().is_none());
}
