//! Namespace facts follow the caller, not its pid number (root only,
//! deterministic).
//!
//! This process learns what it can (pidfs identities, which proc root is
//! its own pid namespace) through the live `/proc`, then forks:
//!
//! - `B`: after `unshare(CLONE_NEWPID)`, the first process of a new pid
//!   namespace (pid 1 there), with the host's `/proc` and this process's
//!   memory, caches included;
//! - `C`: made by `B` with `clone3`'s `set_tid`, with this process's own
//!   pid number in the new namespace;
//! - `D`: likewise, with one pid number that is the same in both
//!   namespaces, so that the host `/proc`'s `self` names it by the number
//!   `getpid()` gives.
//!
//! Each of them must see the host's processes as this process does:
//! identities (start time, and no pidfs inode of another namespace's
//! process), `is_current`, and `uid(0)`, `ruid(0)`, `ppid(1)`, `ppid(me)`
//! holding every process listed here before and after (the same
//! process: same start time). The oracle is this
//! process's own answers, read in its own namespace, where every shortcut
//! is sound.

#![cfg(target_os = "linux")]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use std::io::Read;
use std::os::fd::OwnedFd;
use support::raw;

use pidquery::{Pid, PidBuf, PidQuery, ProcId, System};
use support::{root_or_skip, sleep_command, Proc};

/// The queries compared, by key.
fn queries(me: Pid) -> [(&'static str, PidQuery); 4] {
    let init = Pid::from_raw(1).expect("pid 1");
    [
        ("uid0", PidQuery::uid(0)),
        ("ruid0", PidQuery::ruid(0)),
        ("ppid1", PidQuery::ppid(init)),
        ("ppidme", PidQuery::ppid(me)),
    ]
}

/// The answer to `query`, each pid with its start time (ticks since boot,
/// read just after), so that a pid reused by another test meanwhile is
/// not taken for the same process.
fn fill(system: &System, query: &PidQuery) -> BTreeSet<(i32, u64)> {
    let mut buf = PidBuf::new();
    let pids = system
        .fill(query, &mut buf)
        .unwrap_or_else(|e| panic!("{query:?}: {e}"));
    pids.iter()
        .filter_map(|p| Some((p.as_raw(), start_ticks(p.as_raw())?)))
        .collect()
}

/// Field 22 of `/proc/<pid>/stat`.
fn start_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// What a forked child is given, copied in its memory.
struct Known {
    me: Pid,
    sleeper: Pid,
    sleeper_id: ProcId,
    init_id: ProcId,
}

/// The checks one forked process makes, as report lines
/// `<who> <check> ok|fail <detail>` and `<who> fill <key> <pids>`.
fn check(who: &str, system: &System, known: &Known, out: &mut String) {
    use std::fmt::Write;
    let host_pid = std::fs::read_link("/proc/self")
        .ok()
        .and_then(|p| p.to_str().and_then(|s| s.parse::<i32>().ok()))
        .unwrap_or(0);
    let _ = writeln!(out, "{who} hostpid {host_pid}");
    let verdict = |ok: bool| if ok { "ok" } else { "fail" };
    match system.identity(known.sleeper) {
        Ok(id) => {
            let same = id.start() == known.sleeper_id.start()
                && (id.unique().is_none() || id.unique() == known.sleeper_id.unique());
            let current = system.is_current(&id);
            let _ = writeln!(
                out,
                "{who} identity_sleeper {} {id:?} is_current {current:?}",
                verdict(same && matches!(current, Ok(true)))
            );
        }
        Err(e) => {
            let _ = writeln!(out, "{who} identity_sleeper fail {:?}", e.kind());
        }
    }
    let current = system.is_current(&known.sleeper_id);
    let _ = writeln!(
        out,
        "{who} is_current_of_known {} {current:?}",
        verdict(matches!(current, Ok(true)))
    );
    match system.identity(Pid::from_raw(1).expect("pid 1")) {
        Ok(id) => {
            let same = id.start() == known.init_id.start()
                && (id.unique().is_none() || id.unique() == known.init_id.unique());
            let _ = writeln!(out, "{who} identity_init {} {id:?}", verdict(same));
        }
        Err(e) => {
            let _ = writeln!(out, "{who} identity_init fail {:?}", e.kind());
        }
    }
    for (key, query) in queries(known.me) {
        let mut buf = PidBuf::new();
        match system.fill(&query, &mut buf) {
            Ok(pids) => {
                let list: Vec<String> = pids.iter().map(|p| p.to_string()).collect();
                let _ = writeln!(out, "{who} fill {key} {}", list.join(" "));
            }
            Err(e) => {
                let _ = writeln!(out, "{who} fillerr {key} {e}");
            }
        }
    }
}

/// A pid number free in this namespace, to be given in both (`D`).
fn free_pid() -> libc::pid_t {
    let max: libc::pid_t = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(32768);
    let start = (max / 2).max(301) + (raw::getpid() % 997);
    (start..max)
        .find(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
        .expect("a free pid")
}

/// Body of `B`, pid 1 of the new namespace: makes `C` (before anything
/// here runs a query), checks, then makes `D`, waiting for each.
fn namespace_init(known: &Known, same_both: libc::pid_t, w: &OwnedFd) -> i32 {
    // `C`: this process's pid number, in the new namespace only.
    match raw::clone3_with_tids(&[known.me.as_raw()]) {
        Ok(0) => {
            let mut out = String::new();
            check("C", System::live().expect("live"), known, &mut out);
            raw::write_all(w, out.as_bytes());
            raw::exit_now(0);
        }
        Ok(c) => {
            let _ = raw::wait(c);
        }
        Err(e) => raw::write_all(w, format!("C clone3 fail {e}\n").as_bytes()),
    }
    // `B` itself, once `C` has its memory as this process left it.
    let mut out = String::new();
    check("B", System::live().expect("live"), known, &mut out);
    raw::write_all(w, out.as_bytes());
    // `D`: one number in both namespaces, and a fresh `System`.
    match raw::clone3_with_tids(&[same_both, same_both]) {
        Ok(0) => {
            let mut out = String::new();
            let fresh = System::open("/proc").expect("open /proc");
            check("D", &fresh, known, &mut out);
            check("Dlive", System::live().expect("live"), known, &mut out);
            raw::write_all(w, out.as_bytes());
            raw::exit_now(0);
        }
        Ok(d) => {
            let _ = raw::wait(d);
        }
        Err(e) => raw::write_all(w, format!("D clone3 fail {e}\n").as_bytes()),
    }
    0
}

/// One test at a time: each forks this process, whose child runs on (in
/// glibc, a fork copes with another thread's malloc, not with other locks
/// held).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn namespace_facts_follow_the_caller_across_forks() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !root_or_skip("namespace_facts_follow_the_caller_across_forks") {
        return;
    }
    let system = System::live().expect("live");
    let me = Pid::this();
    let sleeper = Proc::spawn(&mut sleep_command());
    let init = Pid::from_raw(1).expect("pid 1");
    // Everything learned here first, in this process's namespace.
    let known = Known {
        me,
        sleeper: sleeper.pid(),
        sleeper_id: system.identity(sleeper.pid()).expect("identity"),
        init_id: system.identity(init).expect("identity of init"),
    };
    assert!(system.is_current(&known.sleeper_id).expect("is_current"));
    let before: BTreeMap<&str, BTreeSet<(i32, u64)>> = queries(me)
        .iter()
        .map(|(k, q)| (*k, fill(system, q)))
        .collect();
    let same_both = free_pid();
    let (r, w) = raw::pipe().expect("pipe");
    let a = raw::fork().expect("fork");
    if a == 0 {
        // `A`: a copy of this process, on one thread.
        drop(r);
        if let Err(e) = raw::unshare(libc::CLONE_NEWPID) {
            raw::write_all(&w, format!("A unshare fail {e}\n").as_bytes());
            raw::exit_now(1);
        }
        match raw::fork() {
            Ok(0) => raw::exit_now(namespace_init(&known, same_both, &w)),
            Ok(b) => {
                let _ = raw::wait(b);
                raw::exit_now(0);
            }
            Err(e) => {
                raw::write_all(&w, format!("A fork fail {e}\n").as_bytes());
                raw::exit_now(1);
            }
        }
    }
    drop(w);
    let mut text = String::new();
    std::fs::File::from(r)
        .read_to_string(&mut text)
        .expect("read the report");
    let status = raw::wait(a).expect("wait");
    let after: BTreeMap<&str, BTreeSet<(i32, u64)>> = queries(me)
        .iter()
        .map(|(k, q)| (*k, fill(system, q)))
        .collect();
    drop(sleeper);
    assert_eq!(status, 0, "the forked processes failed:\n{text}");

    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            [who, "fill", key, pids @ ..] => {
                seen.insert(format!("{who} {key}"));
                let got: BTreeSet<i32> = pids.iter().filter_map(|p| p.parse().ok()).collect();
                // Every process listed here before and after (the same
                // one: same start time) was there throughout.
                let stable: Vec<i32> = before[key]
                    .intersection(&after[key])
                    .map(|&(p, _)| p)
                    .collect();
                let missing: Vec<i32> = stable
                    .iter()
                    .filter(|p| !got.contains(p))
                    .copied()
                    .collect();
                eprintln!(
                    "{who} {key}: {} listed, {} expected, {} missing",
                    got.len(),
                    stable.len(),
                    missing.len(),
                );
                if !missing.is_empty() {
                    failures.push(format!("{who} {key}: missing {missing:?}"));
                }
            }
            [_, "hostpid", _] => {}
            [who, check, "ok", ..] => {
                seen.insert(format!("{who} {check}"));
            }
            _ => failures.push(line.to_string()),
        }
    }
    for who in ["B", "C", "D", "Dlive"] {
        for check in ["identity_sleeper", "is_current_of_known", "identity_init"] {
            let key = format!("{who} {check}");
            if !seen.contains(&key) && !failures.iter().any(|f| f.starts_with(&key)) {
                failures.push(format!("{key}: not reported"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}\n\nreport:\n{text}",
        failures.len(),
        failures.join("\n")
    );
}

/// A forked child inherits the open scan descriptor, whose offset the two
/// processes would share: the child streams its first window, this
/// process then scans to the end, and the child's stream must still list
/// everything (it scans with a descriptor of its own).
#[test]
fn a_forked_child_scans_with_its_own_descriptor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let system = System::live().expect("live");
    let all = PidQuery::all();
    // The scan descriptor is kept after this.
    let before = fill(system, &all);
    let (up_r, up_w) = raw::pipe().expect("pipe");
    let (down_r, down_w) = raw::pipe().expect("pipe");
    let (report_r, report_w) = raw::pipe().expect("pipe");
    let kid = raw::fork().expect("fork");
    if kid == 0 {
        drop((up_r, down_w, report_r));
        let mut streamed = Vec::new();
        let mut pids = system.iter(&all).expect("iter");
        if let Some(Ok(first)) = pids.next() {
            streamed.push(first.to_string());
        }
        raw::write_all(&up_w, b"1");
        let _ = raw::read_byte(&down_r);
        for pid in pids {
            match pid {
                Ok(pid) => streamed.push(pid.to_string()),
                Err(e) => streamed.push(format!("error:{e}").replace(' ', "_")),
            }
        }
        raw::write_all(&report_w, streamed.join(" ").as_bytes());
        raw::exit_now(0);
    }
    drop((up_w, down_r, report_w));
    assert_eq!(raw::read_byte(&up_r), Some(b'1'), "the child did not start");
    let mut buf = PidBuf::new();
    system.fill(&all, &mut buf).expect("fill");
    raw::write_all(&down_w, b"2");
    let mut text = String::new();
    std::fs::File::from(report_r)
        .read_to_string(&mut text)
        .expect("read the report");
    assert_eq!(raw::wait(kid).expect("wait"), 0, "{text}");
    let after = fill(system, &all);
    let streamed: BTreeSet<i32> = text.split(' ').filter_map(|w| w.parse().ok()).collect();
    let missing: Vec<i32> = before
        .intersection(&after)
        .map(|&(p, _)| p)
        .filter(|p| !streamed.contains(p))
        .collect();
    assert!(
        missing.is_empty(),
        "the child's stream missed {} of {} processes: {missing:?}\nstreamed: {text}",
        missing.len(),
        before.intersection(&after).count()
    );
}
