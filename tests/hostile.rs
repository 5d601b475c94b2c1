//! Hostile live tests of the Linux backend, in the test's own pid and
//! mount namespace: a fork storm beside queries, a many-threaded process,
//! thousands of extra processes, forged command names and zombies. The
//! `children`-file path under churning parents is in
//! `tests/hostile_children.rs`; the errors of bad proc roots, in
//! `tests/live.rs`.
//!
//! Tests that need root print a reason and return when not root.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pidquery::{ErrorKind, Pid, PidBuf, PidQuery, System, INLINE_PIDS};
use support::hostile::*;
use support::{
    children, ps, quiet, root_or_skip, sleep_command, tools_or_skip, wait_exec, wait_until, which,
    Proc, Procs, PsRow,
};

fn euid() -> u32 {
    support::euid().expect("stat /proc/self")
}

/// Threads that fork and reap short-lived processes until dropped. Every
/// process they create is reaped by them, also on panic (the drop joins).
struct Storm {
    stop: Arc<AtomicBool>,
    spawned: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<()>>,
}

impl Storm {
    /// One thread spawning `/bin/true`, one spawning `sh` that forks eight
    /// `true` in the background and waits for them.
    fn start() -> Storm {
        let stop = Arc::new(AtomicBool::new(false));
        let spawned = Arc::new(AtomicUsize::new(0));
        let mut threads = Vec::new();
        for fan_out in [false, true] {
            let stop = Arc::clone(&stop);
            let spawned = Arc::clone(&spawned);
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let mut cmd = if fan_out {
                        let mut c = Command::new("sh");
                        c.args(["-c", "for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait"]);
                        c
                    } else {
                        Command::new("/bin/true")
                    };
                    let status = support::quiet(&mut cmd).status();
                    if status.is_ok() {
                        spawned.fetch_add(if fan_out { 9 } else { 1 }, Ordering::Relaxed);
                    }
                }
            }));
        }
        Storm {
            stop,
            spawned,
            threads,
        }
    }

    fn spawned(&self) -> usize {
        self.spawned.load(Ordering::Relaxed)
    }
}

impl Drop for Storm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Twenty long-lived `sleep`s in a process group of their own, beside a
/// storm of short-lived processes: every query (all, ppid, uid, ruid,
/// pgrp) with one reused buffer succeeds, is strictly ascending, holds
/// every long-lived process, and the private group is exact.
#[test]
fn fork_storm_beside_queries() {
    let mut reaper = Procs::new();
    let leader = reaper.spawn(sleep_command().process_group(0));
    for _ in 1..20 {
        reaper.spawn(sleep_command().process_group(leader.as_raw()));
    }
    let sleeps = raw(&reaper.pids());
    let sleep_set: BTreeSet<i32> = sleeps.iter().copied().collect();
    let me = Pid::this().as_raw();
    let uid = euid();

    let system = System::live().expect("open /proc");
    let mut buf = PidBuf::new();
    let mut slots = Vec::new();
    let storm = Storm::start();
    let started = Instant::now();
    let mut rounds = 0usize;
    // At least 5 rounds; then enough to overlap the storm many times while
    // time allows, so a slow machine (or valgrind) finishes too.
    while rounds < 5
        || (storm.spawned() == 0 && started.elapsed() < Duration::from_secs(60))
        || ((rounds < 100 || storm.spawned() < 3000) && started.elapsed() < Duration::from_secs(10))
    {
        rounds += 1;
        let mut with_me = sleeps.clone();
        with_me.push(me);
        let all = run(system, "all", &PidQuery::all(), &mut buf);
        assert_contains_all("all during storm", &all, &with_me);
        // Caller storage sized by the last answer: complete, or Truncated
        // with a need above the slice — never a silently short list.
        slots.clear();
        slots.resize(all.len(), Pid::ZERO);
        match system.fill_slice(&PidQuery::all(), &mut slots) {
            Ok(n) => assert_contains_all("fill_slice during storm", &raw(&slots[..n]), &with_me),
            Err(e) => match e.kind() {
                ErrorKind::Truncated { needed } => assert!(needed > slots.len(), "{e}"),
                _ => panic!("fill_slice during storm: {e}"),
            },
        }
        let children = run(system, "ppid", &PidQuery::ppid(Pid::this()), &mut buf);
        assert_contains_all("ppid during storm", &children, &sleeps);
        assert!(!children.contains(&me), "ppid(self) lists self");
        let owned = run(system, "uid", &PidQuery::uid(uid), &mut buf);
        assert_contains_all("uid during storm", &owned, &with_me);
        let real = run(system, "ruid", &PidQuery::ruid(uid), &mut buf);
        assert_contains_all("ruid during storm", &real, &with_me);
        let group = run(system, "pgrp", &PidQuery::pgrp(leader), &mut buf);
        let group: BTreeSet<i32> = group.into_iter().collect();
        assert_eq!(group, sleep_set, "pgrp of the sleeps during storm");
    }
    let spawned = storm.spawned();
    drop(storm);
    println!(
        "fork storm: {rounds} rounds of 5 queries beside {spawned} short-lived processes in {:?}",
        started.elapsed()
    );
    assert!(rounds >= 5 && spawned > 0, "the storm never ran");
}

/// One `System` shared by four querying threads while processes are
/// forked and reaped around them: every answer of every thread is
/// ascending and complete for the long-lived processes.
#[test]
fn shared_system_from_threads_during_storm() {
    let mut reaper = Procs::new();
    let leader = reaper.spawn(sleep_command().process_group(0));
    for _ in 1..10 {
        reaper.spawn(sleep_command().process_group(leader.as_raw()));
    }
    let sleeps = raw(&reaper.pids());
    let sleep_set: BTreeSet<i32> = sleeps.iter().copied().collect();
    let system = System::open("/proc").expect("open /proc");
    let storm = Storm::start();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (system, sleeps, sleep_set) = (&system, &sleeps, &sleep_set);
            scope.spawn(move || {
                let mut buf = PidBuf::new();
                // At least 5 rounds; up to 40 while time allows (under
                // valgrind the four threads run one at a time).
                let started = Instant::now();
                let mut round = 0;
                while round < 5 || (round < 40 && started.elapsed() < Duration::from_secs(5)) {
                    round += 1;
                    let what = format!("thread {t} round {round}");
                    let all = run(system, &what, &PidQuery::all(), &mut buf);
                    assert_contains_all(&what, &all, sleeps);
                    let kids = run(system, &what, &PidQuery::ppid(Pid::this()), &mut buf);
                    assert_contains_all(&what, &kids, sleeps);
                    let group = run(system, &what, &PidQuery::pgrp(leader), &mut buf);
                    assert_eq!(
                        &group.into_iter().collect::<BTreeSet<_>>(),
                        sleep_set,
                        "{what}"
                    );
                }
            });
        }
    });
    assert!(storm.spawned() > 0, "the storm never ran");
}

/// A python process with 50 extra threads: its pid is listed exactly once
/// by every filter that matches it, and none of its thread ids ever is.
#[test]
fn threads_are_never_listed() {
    if !tools_or_skip("threads_are_never_listed", &["python3"]) {
        return;
    }
    let mut reaper = Procs::new();
    let script = "import threading,time\n\
        [threading.Thread(target=time.sleep,args=(600,),daemon=True).start() for _ in range(50)]\n\
        time.sleep(600)\n";
    let py = reaper.spawn(
        Command::new("python3")
            .args(["-c", script])
            .process_group(0),
    );
    let task_dir = format!("/proc/{py}/task");
    let tids = || -> Vec<i32> {
        fs::read_dir(&task_dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    wait_until("python3 to start 50 threads", || tids().len() >= 51);
    let threads: Vec<i32> = tids().into_iter().filter(|&t| t != py.as_raw()).collect();
    assert!(threads.len() >= 50);
    // The kernel does resolve /proc/<tid> for a thread: the listing must
    // not rely on a lookup succeeding.
    assert!(fs::metadata(format!("/proc/{}", threads[0])).is_ok());

    let system = System::live().expect("open /proc");
    let mut buf = PidBuf::new();
    let uid = euid();
    let queries = [
        ("all", PidQuery::all()),
        ("ppid", PidQuery::ppid(Pid::this())),
        ("pgrp", PidQuery::pgrp(py)),
        ("uid", PidQuery::uid(uid)),
        ("ruid", PidQuery::ruid(uid)),
    ];
    for round in 0..20 {
        for (what, query) in &queries {
            let pids = run(system, what, query, &mut buf);
            let n = pids.iter().filter(|&&p| p == py.as_raw()).count();
            assert_eq!(n, 1, "{what} (round {round}) lists the process {n} times");
            let tids: Vec<i32> = pids
                .iter()
                .copied()
                .filter(|p| threads.contains(p))
                .collect();
            assert!(tids.is_empty(), "{what} lists thread ids {tids:?}");
        }
    }
    let group = run(system, "pgrp", &PidQuery::pgrp(py), &mut buf);
    assert_eq!(group, vec![py.as_raw()], "the thread group's process group");
}

/// A process whose main thread has exited (`pthread_exit`) while other
/// threads run: its leader is a zombie, the process is alive. It is listed
/// exactly once by every filter that matches it, none of its threads is.
#[test]
fn zombie_leader_with_live_threads() {
    if !tools_or_skip("zombie_leader_with_live_threads", &["python3"]) {
        return;
    }
    let mut reaper = Procs::new();
    let script = "import ctypes,threading,time\n\
        [threading.Thread(target=time.sleep,args=(600,)).start() for _ in range(4)]\n\
        ctypes.CDLL(None).pthread_exit(None)\n";
    let py = reaper.spawn(
        Command::new("python3")
            .args(["-c", script])
            .process_group(0),
    );
    let task_dir = format!("/proc/{py}/task");
    let threads = || -> Vec<i32> {
        fs::read_dir(&task_dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .filter(|&t| t != py.as_raw())
                    .collect()
            })
            .unwrap_or_default()
    };
    wait_until("a zombie leader with four live threads", || {
        let zombie = support::state(py) == Some(b'Z');
        zombie && threads().len() == 4
    });
    let tids = threads();
    let system = System::live().expect("open /proc");
    let mut buf = PidBuf::new();
    let uid = euid();
    for (what, query) in [
        ("all", PidQuery::all()),
        ("ppid", PidQuery::ppid(Pid::this())),
        ("pgrp", PidQuery::pgrp(py)),
        ("uid", PidQuery::uid(uid)),
        ("ruid", PidQuery::ruid(uid)),
    ] {
        let pids = run(system, what, &query, &mut buf);
        let n = pids.iter().filter(|&&p| p == py.as_raw()).count();
        assert_eq!(n, 1, "{what} lists the zombie-led process {n} times");
        assert!(
            pids.iter().all(|p| !tids.contains(p)),
            "{what} lists a thread id of {tids:?}"
        );
    }
    let row = ps().remove(&py).expect("ps sees the process");
    assert_eq!(row.ppid, Pid::this());
    assert_eq!(
        run(system, "pgrp", &PidQuery::pgrp(py), &mut buf),
        vec![row.pgid.as_raw()]
    );
}

/// A process traced by `strace` keeps its real parent: on Linux the
/// tracer is not its parent for `ppid` (unlike xnu), as `ps` agrees.
#[test]
fn traced_process_keeps_its_real_parent() {
    if !root_or_skip("traced_process_keeps_its_real_parent")
        || !tools_or_skip("traced_process_keeps_its_real_parent", &["strace"])
    {
        return;
    }
    let mut reaper = Procs::new();
    let tracee = reaper.spawn(&mut sleep_command());
    let tracer = reaper.spawn(Command::new("strace").args([
        "-qq",
        "-o",
        "/dev/null",
        "-p",
        &tracee.to_string(),
    ]));
    wait_until("strace to attach", || {
        fs::read_to_string(format!("/proc/{tracee}/status")).is_ok_and(|s| {
            s.lines()
                .any(|l| l.split_whitespace().eq(["TracerPid:", &tracer.to_string()]))
        })
    });
    let system = System::live().expect("open /proc");
    let mut buf = PidBuf::new();
    let by_tracer = run(system, "ppid tracer", &PidQuery::ppid(tracer), &mut buf);
    assert_eq!(by_tracer, Vec::<i32>::new(), "the tracer counted as parent");
    let by_parent = run(system, "ppid", &PidQuery::ppid(Pid::this()), &mut buf);
    assert!(
        by_parent.contains(&tracee.as_raw()),
        "the real parent lost its child"
    );
    let table = ps();
    assert_eq!(table[&tracee].ppid, Pid::this(), "ps agrees");
    reaper.reap();
}

/// A `python3` holding 300 pseudo-terminals open and running a child
/// whose controlling terminal is the next one (`/dev/pts/300` or above).
/// On drop the child is killed first, so python reaps it and exits: no
/// orphan.
fn high_pty_holder() -> Proc {
    let script = "import os,pty,time\n\
        held=[os.openpty() for _ in range(300)]\n\
        pid,fd=pty.fork()\n\
        if pid==0:\n    time.sleep(600)\n    os._exit(0)\n\
        os.waitpid(pid,0)\n";
    Proc::spawn(quiet(Command::new("python3").args(["-c", script])).process_group(0))
        .reaps_its_children()
}

/// A controlling terminal numbered 300 or above, whose minor does not fit
/// in 8 bits (`tty_nr` splits it around the major): `tty` by path finds
/// exactly the process that has it, as `ps` says.
#[test]
fn tty_above_pts_255() {
    if !tools_or_skip("tty_above_pts_255", &["python3"]) {
        return;
    }
    let held = high_pty_holder();
    let pty_child = || children(held.pid()).first().copied();
    wait_until("the pty child", || {
        pty_child().is_some_and(|c| {
            fs::read_link(format!("/proc/{c}/fd/0"))
                .is_ok_and(|p| p.to_string_lossy().starts_with("/dev/pts/"))
        })
    });
    let child = pty_child().expect("pty child");
    let tty = fs::read_link(format!("/proc/{child}/fd/0")).expect("its terminal");
    let n: u32 = tty.to_string_lossy()["/dev/pts/".len()..]
        .parse()
        .expect("pts number");
    assert!(n >= 300, "{} is not above pts/255", tty.display());
    let query = PidQuery::tty_path(&tty).expect("tty_path");
    let system = System::live().expect("open /proc");
    let mut buf = PidBuf::new();
    let pids = run(system, "tty", &query, &mut buf);
    assert_eq!(pids, vec![child.as_raw()], "processes on {}", tty.display());
    let name = format!("pts/{n}");
    let by_ps: Vec<i32> = ps()
        .values()
        .filter(|r| r.tty == name)
        .map(|r| r.pid.as_raw())
        .collect();
    assert_eq!(pids, by_ps, "tty against ps");
}

/// Process names that try to forge the fields after `comm` in `stat`,
/// plus a zombie: every filter stays exact against `ps`.
#[test]
fn forged_names_and_zombies_stay_exact() {
    if !root_or_skip("forged_names_and_zombies_stay_exact") {
        return;
    }
    // A process's comm is the base name of the path it was executed by,
    // so symbolic links to `sleep` with hostile names forge it.
    let dir = TempDir::new("comm");
    let sleep_path = which("sleep");
    let mut reaper = Procs::new();
    let leader = reaper.spawn(sleep_command().process_group(0));
    let names = [
        ") R 1 1 1 1 0",
        "x) Z 0 0 0 (",
        "((((((((((((((",
        ")))))))))))))))",
        "a b\nc) S 9 9 9",
        "1",
    ];
    let mut forged = Vec::new();
    for name in names {
        let link = dir.path.join(name);
        std::os::unix::fs::symlink(&sleep_path, &link).expect("symlink");
        let pid = reaper.spawn(
            Command::new(&link)
                .arg("600")
                .process_group(leader.as_raw()),
        );
        wait_exec(pid, name);
        forged.push(pid.as_raw());
    }
    // A zombie in the same group: exits at once and is reaped only when
    // the reaper drops.
    let zombie = reaper.spawn(Command::new("true").process_group(leader.as_raw()));
    wait_until("the zombie", || support::state(zombie) == Some(b'Z'));
    let ours: BTreeSet<i32> = raw(&reaper.pids()).into_iter().collect();

    let system = System::live().expect("open /proc");
    let mut buf = PidBuf::new();
    let group: BTreeSet<i32> = run(system, "pgrp", &PidQuery::pgrp(leader), &mut buf)
        .into_iter()
        .collect();
    assert_eq!(group, ours, "pgrp with forged names and a zombie");
    let table = ps();
    let by_ps: BTreeSet<i32> = table
        .values()
        .filter(|r| r.pgid == leader)
        .map(|r| r.pid.as_raw())
        .collect();
    assert_eq!(group, by_ps, "pgrp against ps");
    let children = run(system, "ppid", &PidQuery::ppid(Pid::this()), &mut buf);
    assert_contains_all("ppid", &children, &ours.iter().copied().collect::<Vec<_>>());
    for query in [PidQuery::uid(0), PidQuery::ruid(0), PidQuery::all()] {
        let pids = run(system, "filter", &query, &mut buf);
        assert_contains_all(
            &format!("{:?}", query.filter()),
            &pids,
            &ours.iter().copied().collect::<Vec<_>>(),
        );
    }
    // A forged name never makes a process match another group or parent.
    for fake in [1, 9, 0] {
        let pids = run(
            system,
            "pgrp",
            &PidQuery::pgrp(Pid::from_raw(fake).unwrap()),
            &mut buf,
        );
        for p in &forged {
            assert!(!pids.contains(p), "forged name put {p} in group {fake}");
        }
        let pids = run(
            system,
            "ppid",
            &PidQuery::ppid(Pid::from_raw(fake).unwrap()),
            &mut buf,
        );
        for p in &forged {
            assert!(!pids.contains(p), "forged name made {p} a child of {fake}");
        }
    }
}

/// `sh` forking `count` `sleep 600` and waiting for them; on drop the
/// sleeps are killed (so `sh` reaps them) and `sh` exits, leaving no
/// orphans.
fn sh_with_sleeps(count: usize) -> Proc {
    let script = format!("i=0; while [ $i -lt {count} ]; do sleep 600 & i=$((i+1)); done; wait");
    Proc::spawn(quiet(Command::new("sh").args(["-c", &script])).process_group(0))
        .reaps_its_children()
}

/// About 5,000 extra processes: nine process groups of 500 `sleep`s
/// spawned by the test (one group with uid U1, one with real uid U2 and
/// effective uid U3) and one `sh` with 500 children. Every filter is
/// exact against `ps` for these processes, `fill` grows an inline buffer
/// to a capacity within a small factor of the answer, a reused buffer
/// stays bounded, and `fill_slice` reports the exact need.
#[test]
fn five_thousand_processes() {
    if !root_or_skip("five_thousand_processes")
        || !tools_or_skip("five_thousand_processes", &["setpriv"])
    {
        return;
    }
    const GROUP: usize = 500;
    let u1 = private_uid(1);
    let u2 = private_uid(2);
    let u3 = private_uid(3);
    let mut reaper = Procs::new();
    let family = sh_with_sleeps(GROUP);
    let mut leaders = Vec::new();
    for g in 0..9 {
        let mut leader = None;
        for _ in 0..GROUP {
            let mut cmd = match g {
                7 => {
                    let mut c = sleep_command();
                    c.uid(u1).gid(u1);
                    c
                }
                8 => {
                    let mut c = Command::new("setpriv");
                    c.args([
                        format!("--ruid={u2}"),
                        format!("--euid={u3}"),
                        "--clear-groups".to_string(),
                        "sleep".to_string(),
                        "600".to_string(),
                    ]);
                    c
                }
                _ => sleep_command(),
            };
            cmd.process_group(leader.map_or(0, Pid::as_raw));
            let pid = reaper.spawn(&mut cmd);
            leader.get_or_insert(pid);
        }
        leaders.push(leader.expect("a leader"));
    }
    wait_until("sh to fork its 500 sleeps", || {
        children(family.pid()).len() == GROUP
    });
    // setpriv must have exec'd sleep with its final credentials.
    let group8: Vec<Pid> = reaper.pids()[8 * GROUP..].to_vec();
    for &p in &group8 {
        wait_exec(p, "sleep");
    }
    let ours: BTreeSet<i32> = raw(&reaper.pids())
        .into_iter()
        .chain(raw(&children(family.pid())))
        .chain([family.pid().as_raw()])
        .collect();
    assert_eq!(ours.len(), 9 * GROUP + GROUP + 1);

    let system = System::live().expect("open /proc");
    let table = ps();
    let oracle = |pred: &dyn Fn(&PsRow) -> bool| -> BTreeSet<i32> {
        table
            .values()
            .filter(|r| pred(r))
            .map(|r| r.pid.as_raw())
            .collect()
    };
    // The engine grows to need + need/8 + 16 (or doubles), and the
    // allocator rounds up to a power of two: at most 2.25 × need + 32.
    let bound = |need: usize| need * 9 / 4 + 64;
    let mut reused = PidBuf::new();
    let mut max_answer = 0usize;
    let mut check = |what: &str, query: PidQuery, want: BTreeSet<i32>| {
        // A fresh inline buffer grows to fit ...
        let mut fresh = PidBuf::new();
        let pids = run(system, what, &query, &mut fresh);
        let got: BTreeSet<i32> = pids.iter().copied().collect();
        assert_eq!(got, want, "{what}: pidquery against ps");
        assert!(fresh.spilled() == (pids.len() > INLINE_PIDS));
        assert!(
            fresh.capacity() >= pids.len() && fresh.capacity() <= bound(pids.len()),
            "{what}: capacity {} for an answer of {}",
            fresh.capacity(),
            pids.len()
        );
        // ... and a reused one stays within a small factor of the
        // largest answer it has held.
        let again = run(system, what, &query, &mut reused);
        assert_eq!(
            again.into_iter().collect::<BTreeSet<_>>(),
            want,
            "{what}: reused buffer"
        );
        max_answer = max_answer.max(pids.len());
        assert!(
            reused.capacity() <= bound(max_answer),
            "{what}: reused capacity {} after answers of at most {max_answer}",
            reused.capacity()
        );
        // fill_slice: one slot short is Truncated with the exact need; the
        // exact size is enough on Linux.
        if !want.is_empty() {
            let mut slots = vec![Pid::ZERO; want.len() - 1];
            let err = system.fill_slice(&query, &mut slots).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::Truncated { needed: want.len() },
                "{what}"
            );
            let mut slots = vec![Pid::ZERO; want.len()];
            let n = system.fill_slice(&query, &mut slots).expect("exact slice");
            assert_eq!(raw(&slots[..n]).into_iter().collect::<BTreeSet<_>>(), want);
        }
    };
    for (g, &leader) in leaders.iter().enumerate() {
        let l = leader.as_raw();
        let want = oracle(&|r| r.pgid.as_raw() == l);
        assert_eq!(want.len(), GROUP, "ps sees group {g}");
        check(&format!("pgrp group {g}"), PidQuery::pgrp(leader), want);
    }
    let sh = family.pid().as_raw();
    let want = oracle(&|r| r.ppid.as_raw() == sh);
    assert_eq!(want.len(), GROUP);
    check("ppid of sh", PidQuery::ppid(family.pid()), want);
    let want = oracle(&|r| r.pgid.as_raw() == sh);
    assert_eq!(want.len(), GROUP + 1);
    check("pgrp of sh", PidQuery::pgrp(family.pid()), want);
    let want = oracle(&|r| r.uid == u1);
    assert_eq!(want.len(), GROUP);
    check("uid U1", PidQuery::uid(u1), want.clone());
    check("ruid U1", PidQuery::ruid(u1), want);
    let want = oracle(&|r| r.ruid == u2);
    assert_eq!(want.len(), GROUP);
    check("ruid U2", PidQuery::ruid(u2), want.clone());
    check("uid U3", PidQuery::uid(u3), want);
    check(
        "uid U2 (nobody)",
        PidQuery::uid(u2),
        oracle(&|r| r.uid == u2),
    );
    check(
        "ruid U3 (nobody)",
        PidQuery::ruid(u3),
        oracle(&|r| r.ruid == u3),
    );

    // all: every one of ours, and everything ps saw that is still alive.
    // Other processes come and go, so the need the engine saw is bounded
    // by the larger of the answer and the process counts just before and
    // after.
    let mut fresh = PidBuf::new();
    let probe_before = system.probe(&PidQuery::all()).expect("probe");
    let all = run(system, "all", &PidQuery::all(), &mut fresh);
    let probe = system.probe(&PidQuery::all()).expect("probe");
    assert_contains_all("all", &all, &ours.iter().copied().collect::<Vec<_>>());
    assert!(all.len() > 5000 && fresh.capacity() >= all.len());
    let seen = all.len().max(probe_before).max(probe);
    assert!(
        fresh.capacity() <= bound(seen),
        "all: capacity {} for an answer of {} (probes {probe_before}, {probe})",
        fresh.capacity(),
        all.len()
    );
    assert!(probe > 5000, "probe {probe} with over 5000 processes");
    let all_set: BTreeSet<i32> = all.iter().copied().collect();
    for pid in table.keys() {
        if !all_set.contains(&pid.as_raw()) {
            assert!(
                fs::metadata(format!("/proc/{pid}")).is_err(),
                "ps saw {pid}, still alive, but all() does not list it"
            );
        }
    }
    println!(
        "five thousand: all() = {} pids, buffer capacity {}",
        all.len(),
        fresh.capacity()
    );
    drop(family);
    reaper.reap();
}
