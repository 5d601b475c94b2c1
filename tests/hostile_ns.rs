//! Hostile live tests that need another view of the kernel: `hidepid`
//! proc mounts queried as another user, the proc of another pid namespace
//! (from inside and from outside, and after that namespace died), a proc
//! root unmounted while open, a descriptor limit of 16, and signals
//! without `SA_RESTART` firing during queries.
//!
//! Most of them re-execute this test binary under `unshare`, `setpriv` or
//! `prlimit`, running the `#[ignore]`d `child_entry` in a child mode; the
//! parent asserts on what the child reports, checked against `ps` and
//! `/proc/<pid>/status` read as root from outside. Tests that need root
//! print a reason and return when not root.

#![cfg(target_os = "linux")]

#[path = "hostile_ns/child.rs"]
mod child;
mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use pidquery::{ErrorKind, Pid, PidBuf, PidQuery, System};
use support::hostile::*;
use support::{
    children, quiet, root_or_skip, sleep_command, status_nspid, status_uids, tools_or_skip,
    wait_exec, wait_until, Proc, Procs,
};

const CHILD_LIMIT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------
// Child side (the modes themselves: `hostile_ns/child.rs`)
// ---------------------------------------------------------------------

/// Entry point of re-executed children; does nothing unless
/// `PIDQUERY_HOSTILE_MODE` is set.
#[test]
#[ignore = "entry point of re-executed child processes"]
fn child_entry() {
    let Ok(mode) = std::env::var(MODE_VAR) else {
        return;
    };
    let args = std::env::var(ARGS_VAR).unwrap_or_default();
    println!("PQ self {}", std::process::id());
    match mode.as_str() {
        "list" => child::child_list(&args),
        "umount" => child::child_umount(&args),
        "lowfd" => child::child_lowfd(),
        "eintr" => child::child_eintr(),
        other => panic!("unknown child mode {other}"),
    }
    println!("PQ done");
}

// ---------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------

fn set(v: &[i32]) -> BTreeSet<i32> {
    v.iter().copied().collect()
}

/// Waits until `pid` has exec'd `comm` and sleeps in it (its exec, with
/// the dumpable flag hidepid looks at, is complete).
fn wait_sleeping(pid: Pid, comm: &str) {
    wait_exec(pid, comm);
    wait_until("the process to sleep", || support::state(pid) == Some(b'S'));
}

/// Three `sleep`s as `uid` in a process group of their own.
fn sleeps_as(reaper: &mut Procs, uid: u32) -> (Pid, Vec<i32>) {
    let leader = reaper.spawn(sleep_command().uid(uid).gid(uid).process_group(0));
    for _ in 0..2 {
        reaper.spawn(
            sleep_command()
                .uid(uid)
                .gid(uid)
                .process_group(leader.as_raw()),
        );
    }
    for p in reaper.pids() {
        wait_sleeping(p, "sleep");
    }
    (leader, raw(&reaper.pids()))
}

/// Runs the list child as `uid` on a fresh proc mount with `options` in a
/// private mount namespace.
fn list_on_private_proc(options: &str, uid: u32, queries: &str) -> Report {
    let tmp = TempDir::new("hidepid");
    let mnt = tmp.subdir("proc");
    let exe = tmp.exe_copy();
    let child = child_cmdline(&exe, "list", &format!("{} {queries}", mnt.display()));
    let script = format!(
        "mount -t proc -o {options} proc {mnt} && exec setpriv --reuid={uid} --regid={uid} \
         --clear-groups {child}",
        mnt = shell_quote(&mnt.display().to_string()),
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    run_child(cmd, CHILD_LIMIT)
}

/// `salt` keeps the uids of tests running at the same time apart.
fn hidepid_report(test: &str, options: &str, salt: u32) -> Option<(Report, u32, Vec<i32>)> {
    if !root_or_skip(test) || !tools_or_skip(test, &["unshare", "setpriv", "mount"]) {
        return None;
    }
    let uid = private_uid(salt);
    let mut reaper = Procs::new();
    let (leader, sleeps) = sleeps_as(&mut reaper, uid);
    let me = Pid::this();
    let queries = format!(
        "all:all uidU:uid={uid} ruidU:ruid={uid} uid0:uid=0 ruid0:ruid=0 ppid:ppid={me} \
         pgrp:pgrp={leader}"
    );
    let report = list_on_private_proc(options, uid, &queries);
    drop(reaper);
    Some((report, uid, sleeps))
}

/// `hidepid=2` (invisible), queried as another uid: only that uid's
/// processes are listed — checked against their owners read from outside
/// — nothing fails, root's processes are absent from every answer.
#[test]
fn hidepid_invisible_lists_only_own_processes() {
    let Some((r, uid, sleeps)) = hidepid_report("hidepid_invisible", "hidepid=2", 0) else {
        return;
    };
    let child = r.int("self") as i32;
    let all = r.ok_pids("all");
    assert_ascending("all", &all);
    let mut mine = sleeps.clone();
    mine.push(child);
    assert_contains_all("all under hidepid=2", &all, &mine);
    let me = Pid::this().as_raw();
    assert!(!all.contains(&me), "root's test process {me} is visible");
    assert!(!all.contains(&1), "pid 1 is visible");
    for &p in &all {
        if let Some(uids) = status_uids(support::pid(p)) {
            assert_eq!(
                uids, [uid; 4],
                "pid {p} listed under hidepid=2 as uid {uid}"
            );
        }
    }
    assert_eq!(
        set(&r.ok_pids("uidU")),
        set(&all),
        "uid filter as the only visible uid"
    );
    assert_eq!(
        set(&r.ok_pids("ruidU")),
        set(&all),
        "ruid filter as the only visible uid"
    );
    assert_eq!(
        r.ok_pids("uid0"),
        Vec::<i32>::new(),
        "root processes under hidepid=2"
    );
    assert_eq!(
        r.ok_pids("ruid0"),
        Vec::<i32>::new(),
        "root processes under hidepid=2"
    );
    assert_eq!(
        set(&r.ok_pids("ppid")),
        set(&mine),
        "children of the (hidden) test process"
    );
    assert_eq!(set(&r.ok_pids("pgrp")), set(&sleeps), "the sleeps' group");
}

/// `hidepid=1` (noaccess), queried as another uid: the listing and the
/// effective-uid filter see everything; the filters that read a file of
/// each process skip root's processes (EPERM) instead of failing.
#[test]
fn hidepid_noaccess_skips_unreadable_processes() {
    let Some((r, uid, sleeps)) = hidepid_report("hidepid_noaccess", "hidepid=1", 1) else {
        return;
    };
    let child = r.int("self") as i32;
    let mut mine = sleeps.clone();
    mine.push(child);
    let me = Pid::this().as_raw();
    let all = r.ok_pids("all");
    assert_ascending("all", &all);
    assert_contains_all("all under hidepid=1", &all, &[&mine[..], &[me, 1]].concat());
    let uid0 = r.ok_pids("uid0");
    assert_contains_all("uid 0 under hidepid=1", &uid0, &[me, 1]);
    // (Other processes may change credentials while this runs — a sibling
    // test's child does — so only our own are checked for absence.)
    assert!(
        uid0.iter().all(|p| !mine.contains(p)),
        "uid 0 lists uid {uid} processes: {uid0:?}"
    );
    let uid_u = r.ok_pids("uidU");
    assert_contains_all("uid U under hidepid=1", &uid_u, &mine);
    for &p in &uid_u {
        if let Some(uids) = status_uids(support::pid(p)) {
            assert_eq!(uids[1], uid, "pid {p} listed as euid {uid}");
        }
    }
    assert_eq!(
        set(&r.ok_pids("ruidU")),
        set(&mine),
        "ruid filter under hidepid=1"
    );
    let ruid0 = r.ok_pids("ruid0");
    assert!(
        ruid0.iter().all(|p| !mine.contains(p)),
        "ruid 0 lists uid {uid} processes: {ruid0:?}"
    );
    // Root's processes are listed but their files are denied, so they are
    // skipped — also where the kernel offers calls that ignore hidepid
    // (PIDFD_GET_INFO).
    assert!(
        !ruid0.contains(&me) && !ruid0.contains(&1),
        "ruid 0 under hidepid=1 lists denied processes ({} listed, e.g. {:?})",
        ruid0.len(),
        &ruid0[..ruid0.len().min(8)]
    );
    assert_eq!(
        set(&r.ok_pids("ppid")),
        set(&mine),
        "children of the test process"
    );
    assert_eq!(set(&r.ok_pids("pgrp")), set(&sleeps), "the sleeps' group");
}

/// The proc of a new pid namespace, queried from inside it: its own
/// numbering (pid 1 is the namespace's init, a `sh`), the child's own pid
/// as seen inside, and every filter equal to `ps` run in the same
/// namespace.
#[test]
fn pid_namespace_from_inside() {
    if !root_or_skip("pid_namespace_from_inside")
        || !tools_or_skip("pid_namespace_from_inside", &["unshare"])
    {
        return;
    }
    let tmp = TempDir::new("pidns");
    let exe = tmp.exe_copy();
    let child = child_cmdline(
        &exe,
        "list",
        "/proc ps all:all ppid1:ppid=1 ppid0:ppid=0 pgrp0:pgrp=0 uid0:uid=0 ruid0:ruid=0",
    );
    // sh is the namespace's init; when it exits the kernel kills and
    // reaps the rest of the namespace.
    let script = format!("sleep 600 & sleep 600 & {child}; exit $?");
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "sh", "-c", &script]);
    let r = run_child(cmd, CHILD_LIMIT);

    let own = r.int("self") as i32;
    let ps_self = r.int("psself") as i32;
    let rows: Vec<(i32, i32, i32)> = r
        .words("ps")
        .iter()
        .map(|w| {
            let f: Vec<i32> = w.split(':').map(|x| x.parse().expect("ps field")).collect();
            (f[0], f[1], f[2])
        })
        .filter(|row| row.0 != ps_self)
        .collect();
    let ps_where = |pred: &dyn Fn(&(i32, i32, i32)) -> bool| -> BTreeSet<i32> {
        rows.iter().filter(|r| pred(r)).map(|r| r.0).collect()
    };
    let all = r.ok_pids("all");
    assert_ascending("all", &all);
    assert_eq!(
        set(&all),
        ps_where(&|_| true),
        "all against ps inside the namespace"
    );
    assert_eq!(all.first(), Some(&1), "the namespace's init");
    assert!(all.contains(&own), "own pid {own} as seen inside");
    assert_eq!(all.len(), 4, "sh, two sleeps and the child: {all:?}");
    assert_eq!(set(&r.ok_pids("all2")), set(&all), "all after ps exited");
    assert_eq!(set(&r.ok_pids("ppid1")), ps_where(&|r| r.1 == 1), "ppid 1");
    assert_eq!(r.ok_pids("ppid0"), vec![1], "init's parent is outside");
    assert_eq!(
        set(&r.ok_pids("pgrp0")),
        ps_where(&|r| r.2 == 0),
        "pgrp outside the ns"
    );
    assert_eq!(set(&r.ok_pids("uid0")), set(&all));
    assert_eq!(set(&r.ok_pids("ruid0")), set(&all));
}

/// An `unshare --pid --fork --mount-proc sh -c '...'` whose namespace is
/// torn down on drop: its init (the child of `unshare`) is killed first,
/// so the kernel kills and reaps the whole namespace and `unshare` reaps
/// the init and exits.
fn namespace(script: &str) -> Proc {
    Proc::spawn(
        quiet(Command::new("unshare").args([
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            script,
        ]))
        .process_group(0),
    )
    .reaps_its_children()
}

/// Raw pids of the children of raw pid `pid`.
fn children_of(pid: i32) -> Vec<i32> {
    Pid::from_raw(pid).map_or_else(Vec::new, |p| raw(&children(p)))
}

/// The proc of another pid namespace opened from outside through
/// `/proc/<init>/root/proc`: pids are the namespace's (`NSpid`), every
/// filter agrees; once the namespace is gone the still-open root lists
/// nobody (the truth) or fails naming the path — never stale pids.
#[test]
fn pid_namespace_from_outside_and_after_it_dies() {
    if !root_or_skip("pid_namespace_from_outside")
        || !tools_or_skip("pid_namespace_from_outside", &["unshare"])
    {
        return;
    }
    let ns = namespace("sleep 600 & sleep 600 & wait");
    let init = wait_until("the namespace's init", || {
        children_of(ns.pid().as_raw()).first().copied()
    });
    wait_until("two sleeps in the namespace", || {
        let kids = children_of(init);
        kids.len() == 2
            && kids.iter().all(|&k| {
                fs::read_to_string(format!("/proc/{k}/comm")).is_ok_and(|c| c == "sleep\n")
            })
    });
    let sleeps_host = children_of(init);
    let sleeps_ns: BTreeSet<i32> = sleeps_host
        .iter()
        .map(|&p| *status_nspid(p).expect("NSpid").last().expect("inner pid"))
        .collect();
    assert_eq!(status_nspid(init).expect("NSpid").last(), Some(&1));

    let root = format!("/proc/{init}/root/proc");
    let system = System::open(&root).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = PidBuf::new();
    let all = run(&system, "all", &PidQuery::all(), &mut buf);
    let mut want: BTreeSet<i32> = sleeps_ns.clone();
    want.insert(1);
    assert_eq!(
        set(&all),
        want,
        "the namespace's processes by their inner pids"
    );
    let ppid1 = run(
        &system,
        "ppid",
        &PidQuery::ppid(Pid::from_raw(1).unwrap()),
        &mut buf,
    );
    assert_eq!(set(&ppid1), sleeps_ns, "children of the namespace's init");
    let ppid0 = run(&system, "ppid", &PidQuery::ppid(Pid::ZERO), &mut buf);
    assert_eq!(ppid0, vec![1], "the init's parent is outside the namespace");
    for q in [
        PidQuery::uid(0),
        PidQuery::ruid(0),
        PidQuery::pgrp(Pid::ZERO),
    ] {
        assert_eq!(
            set(&run(&system, "filter", &q, &mut buf)),
            want,
            "{:?}",
            q.filter()
        );
    }

    // Tear the namespace down; the root stays open.
    ns.kill_and_reap();
    wait_until("the namespace to be gone", || {
        fs::metadata(format!("/proc/{init}")).is_err()
    });
    for (what, q) in [
        ("all", PidQuery::all()),
        ("uid", PidQuery::uid(0)),
        ("ruid", PidQuery::ruid(0)),
        ("ppid", PidQuery::ppid(Pid::from_raw(1).unwrap())),
    ] {
        match system.fill(&q, &mut buf) {
            Ok(pids) => {
                assert!(pids.is_empty(), "{what} of a dead namespace: {pids:?}");
                println!("{what} on the proc of a dead pid namespace: empty");
            }
            Err(e) => {
                assert!(e.to_string().contains(&root), "{what}: {e}");
                println!("{what} on the proc of a dead pid namespace: {e}");
            }
        }
    }
    let e = System::open(&root).expect_err("the path is gone with its init");
    assert_eq!(e.kind(), ErrorKind::ProcRoot);
    assert!(e.errno().is_some() && e.to_string().contains(&root), "{e}");
}

/// A proc root lazily unmounted while open (in a private mount
/// namespace): the open root keeps the procfs alive, so queries stay
/// complete (or would fail naming the path) — never a short list; the
/// path itself is no longer a proc root.
#[test]
fn proc_root_unmounted_while_open() {
    if !root_or_skip("proc_root_unmounted_while_open")
        || !tools_or_skip(
            "proc_root_unmounted_while_open",
            &["unshare", "mount", "umount"],
        )
    {
        return;
    }
    let tmp = TempDir::new("umount");
    let mnt = tmp.subdir("proc");
    let exe = tmp.exe_copy();
    let mnt_s = mnt.display().to_string();
    let child = child_cmdline(&exe, "umount", &mnt_s);
    let script = format!("mount -t proc proc {} && exec {child}", shell_quote(&mnt_s));
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    let r = run_child(cmd, CHILD_LIMIT);

    let own = r.int("self") as i32;
    let sleeps: Vec<i32> = r
        .words("sleeps")
        .iter()
        .map(|w| w.parse().expect("pid"))
        .collect();
    assert_eq!(r.words("umount"), ["true"], "umount -l failed");
    let before = r.ok_pids("before_all");
    assert_contains_all(
        "all before umount",
        &before,
        &[&sleeps[..], &[own]].concat(),
    );
    assert_eq!(set(&r.ok_pids("before_ppid")), set(&sleeps));
    for key in ["after_all", "after_ppid", "after_ruid"] {
        let words = r.words(key);
        if words[0] == "ok" {
            let pids = r.ok_pids(key);
            let want = if key == "after_ppid" {
                sleeps.clone()
            } else {
                [&sleeps[..], &[own]].concat()
            };
            assert_contains_all(&format!("{key} after lazy umount"), &pids, &want);
            println!("{key} after lazy umount: complete, {} pids", pids.len());
        } else {
            let text = words[3..].join(" ");
            assert!(
                text.contains(&mnt_s),
                "{key}: error does not name the path: {text}"
            );
            println!("{key} after lazy umount: error {text}");
        }
    }
    let reopen = r.words("reopen");
    assert_eq!(reopen[0], "err", "the unmounted path opened as a proc root");
    assert_eq!(reopen[2], "NotProcfs", "{reopen:?}");
}

/// Under `RLIMIT_NOFILE` 16 (set by `prlimit` on a re-executed child):
/// every filter works with a single free descriptor, so nothing is kept
/// open per process. With none free, the listing and the uid filter still
/// work (the root and its scan descriptor stay open), and the filters that
/// must open a file fail with EMFILE naming the path and the pid — not a
/// short list.
#[test]
fn low_descriptor_limit() {
    if !tools_or_skip("low_descriptor_limit", &["prlimit"]) {
        return;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new("prlimit");
    cmd.arg("--nofile=16:16")
        .arg(&exe)
        .args(child_args())
        .env(MODE_VAR, "lowfd")
        .env(ARGS_VAR, "");
    let r = run_child(cmd, CHILD_LIMIT);

    assert_eq!(r.int("limit"), 16);
    assert_eq!(r.int("exhausted"), i64::from(libc::EMFILE));
    let own = r.int("self") as i32;
    let sleeps: Vec<i32> = r
        .words("sleeps")
        .iter()
        .map(|w| w.parse().expect("pid"))
        .collect();
    for phase in ["warm", "one", "after"] {
        let key = |k: &str| format!("{phase}.{k}");
        let all = r.ok_pids(&key("all"));
        assert_contains_all(&key("all"), &all, &[&sleeps[..], &[own]].concat());
        assert_eq!(set(&r.ok_pids(&key("ppid"))), set(&sleeps), "{phase}.ppid");
        assert_eq!(set(&r.ok_pids(&key("pgrp"))), set(&sleeps), "{phase}.pgrp");
        assert_eq!(r.ok_pids(&key("tty")), Vec::<i32>::new(), "{phase}.tty");
        assert_contains_all(&key("uid"), &r.ok_pids(&key("uid")), &sleeps);
        assert_contains_all(&key("ruid"), &r.ok_pids(&key("ruid")), &sleeps);
    }
    let all = r.ok_pids("zero.all");
    assert_contains_all("all with no free descriptor", &all, &sleeps);
    let uid = r.ok_pids("zero.uid");
    assert_contains_all("uid with no free descriptor", &uid, &sleeps);
    for k in ["ruid", "ppid", "pgrp", "tty"] {
        let words = r.words(&format!("zero.{k}"));
        assert_eq!(
            words[0], "err",
            "zero.{k} succeeded with no descriptor: {words:?}"
        );
        assert_eq!(words[1], libc::EMFILE.to_string(), "zero.{k}: {words:?}");
        let text = words[3..].join(" ");
        assert!(
            text.contains("/proc") && text.contains("for pid "),
            "zero.{k}: {text}"
        );
    }
    let words = r.words("zero.open");
    assert_eq!(words[0], "err");
    assert_eq!(words[1], libc::EMFILE.to_string(), "{words:?}");
    assert_eq!(words[2], "ProcRoot");
    assert!(words[3..].join(" ").contains("/proc"));
}

/// Queries in a child whose querying thread is hit by SIGUSR1 every
/// ~20 µs and whose process gets SIGALRM every 100 µs, both handled
/// without `SA_RESTART`: every answer is complete and equal to the one
/// taken before the signals started (the child asserts this per round);
/// here we check the child ran and was really signalled.
#[test]
fn signals_without_restart_during_queries() {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(&exe);
    cmd.args(child_args())
        .env(MODE_VAR, "eintr")
        .env(ARGS_VAR, "");
    let r = run_child(cmd, CHILD_LIMIT);
    let rounds = r.int("rounds");
    let signals = r.int("signals");
    println!("EINTR child: {rounds} rounds of 6 queries, {signals} signals handled");
    assert!(
        rounds >= child::EINTR_MIN_ROUNDS as i64,
        "only {rounds} rounds"
    );
    assert!(signals > 0, "no signal was ever delivered");
    assert!(r.int("sent") > 0);
}

/// A `PidBuf` reused for a foreign namespace's proc and then the host's
/// keeps answers apart (no stale pids from the previous root).
#[test]
fn one_buffer_across_proc_roots() {
    if !root_or_skip("one_buffer_across_proc_roots")
        || !tools_or_skip("one_buffer_across_proc_roots", &["unshare"])
    {
        return;
    }
    let ns = namespace("sleep 600 & wait");
    let init = wait_until("the namespace's init", || {
        children_of(ns.pid().as_raw()).first().copied()
    });
    wait_until("a sleep in the namespace", || children_of(init).len() == 1);
    let inner = System::open(format!("/proc/{init}/root/proc")).expect("open inner proc");
    let host = System::live().expect("open /proc");
    let mut buf = PidBuf::new();
    for _ in 0..10 {
        let a = run(&inner, "inner all", &PidQuery::all(), &mut buf);
        assert_eq!(a, vec![1, 2], "inner namespace");
        let b = run(host, "host all", &PidQuery::all(), &mut buf);
        assert!(b.contains(&Pid::this().as_raw()) && b.contains(&init));
    }
    ns.kill_and_reap();
}
