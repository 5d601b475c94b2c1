//! The child side of the hostile namespace tests: what a re-executed test
//! binary does in each child mode (`list`, `umount`, `lowfd`, `eintr`),
//! reporting on stdout in `PQ <key> <words...>` lines for the parent to
//! check. `child_entry` in `tests/hostile_ns.rs` picks the mode.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pidquery::{Pid, PidBuf, PidQuery, System};

use crate::support::hostile::*;
use crate::support::{sleep_command, Procs};

/// `ROOT [ps] key:query...`: opens ROOT, runs each query, and with `ps`
/// also reports `ps -eo pid,ppid,pgid` as seen from here, then lists all
/// again as `all2`.
pub(crate) fn child_list(args: &str) {
    let mut words = args.split(' ');
    let root = words.next().expect("proc root");
    let system = match System::open(root) {
        Ok(s) => s,
        Err(e) => {
            report_query("open", Err(e));
            return;
        }
    };
    let mut buf = PidBuf::new();
    let mut with_ps = false;
    for word in words {
        if word == "ps" {
            with_ps = true;
            continue;
        }
        let (key, spec) = word.split_once(':').expect("key:query");
        report_query(key, system.fill(&parse_query(spec), &mut buf));
    }
    if with_ps {
        let child = Command::new("ps")
            .args(["-eo", "pid=,ppid=,pgid="])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn ps");
        println!("PQ psself {}", child.id());
        let out = child.wait_with_output().expect("ps");
        assert!(out.status.success());
        let mut line = String::from("PQ ps");
        for row in String::from_utf8_lossy(&out.stdout).lines() {
            let f: Vec<&str> = row.split_whitespace().collect();
            line.push_str(&format!(" {}:{}:{}", f[0], f[1], f[2]));
        }
        println!("{line}");
        report_query("all2", system.fill(&PidQuery::all(), &mut buf));
    }
}

/// `DIR`: a procfs freshly mounted at DIR in a private mount namespace is
/// opened, queried, lazily unmounted, and queried again.
pub(crate) fn child_umount(dir: &str) {
    let mut reaper = Procs::new();
    for _ in 0..3 {
        reaper.spawn(&mut sleep_command());
    }
    println!("PQ sleeps {}", join(&raw(&reaper.pids())));
    let system = System::open(dir).expect("open the fresh proc mount");
    let mut buf = PidBuf::new();
    report_query("before_all", system.fill(&PidQuery::all(), &mut buf));
    report_query(
        "before_ppid",
        system.fill(&PidQuery::ppid(Pid::this()), &mut buf),
    );
    let status = Command::new("umount")
        .args(["-l", dir])
        .status()
        .expect("umount");
    println!("PQ umount {}", status.success());
    report_query("after_all", system.fill(&PidQuery::all(), &mut buf));
    report_query(
        "after_ppid",
        system.fill(&PidQuery::ppid(Pid::this()), &mut buf),
    );
    report_query("after_ruid", system.fill(&PidQuery::ruid(0), &mut buf));
    report_query("reopen", System::open(dir).map(|_| &[][..]));
    drop(reaper);
}

/// The queries of the low-fd and EINTR children: every filter.
/// `uid` and `ruid` use this process's effective uid, which its children
/// share.
fn every_filter(leader: Pid, tty: pidquery::Dev) -> [(&'static str, PidQuery); 6] {
    let uid = crate::support::euid().expect("stat /proc/self");
    [
        ("all", PidQuery::all()),
        ("uid", PidQuery::uid(uid)),
        ("ruid", PidQuery::ruid(uid)),
        ("ppid", PidQuery::ppid(Pid::this())),
        ("pgrp", PidQuery::pgrp(leader)),
        ("tty", PidQuery::tty(tty)),
    ]
}

/// Runs under `RLIMIT_NOFILE` 16: every filter with one descriptor free,
/// then with none free, then opening a new proc root with none free.
pub(crate) fn child_lowfd() {
    let limits = fs::read_to_string("/proc/self/limits").expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open files limit");
    println!(
        "PQ limit {}",
        line.split_whitespace().nth(3).expect("soft limit")
    );
    let mut reaper = Procs::new();
    let leader = reaper.spawn(sleep_command().process_group(0));
    for _ in 0..4 {
        reaper.spawn(sleep_command().process_group(leader.as_raw()));
    }
    println!("PQ sleeps {}", join(&raw(&reaper.pids())));
    let tty = pidquery::Dev::from_raw(fs::metadata("/dev/null").expect("/dev/null").rdev());
    let system = System::open("/proc").expect("open /proc");
    let mut buf = PidBuf::new();
    for (key, query) in every_filter(leader, tty) {
        report_query(&format!("warm.{key}"), system.fill(&query, &mut buf));
    }
    // Use up every descriptor, then give one back.
    let mut files = Vec::new();
    let exhausted = loop {
        match fs::File::open("/dev/null") {
            Ok(f) => files.push(f),
            Err(e) => break e,
        }
    };
    println!("PQ exhausted {}", exhausted.raw_os_error().unwrap_or(0));
    drop(files.pop().expect("at least one descriptor was free"));
    for (key, query) in every_filter(leader, tty) {
        report_query(&format!("one.{key}"), system.fill(&query, &mut buf));
    }
    files.push(fs::File::open("/dev/null").expect("the descriptor given back"));
    for (key, query) in every_filter(leader, tty) {
        report_query(&format!("zero.{key}"), system.fill(&query, &mut buf));
    }
    report_query("zero.open", System::open("/proc").map(|_| &[][..]));
    drop(files);
    for (key, query) in every_filter(leader, tty) {
        report_query(&format!("after.{key}"), system.fill(&query, &mut buf));
    }
}

/// Rounds of every filter the EINTR child always makes.
pub(crate) const EINTR_MIN_ROUNDS: usize = 5;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::Relaxed);
}

/// Installs `count_signal` for `sig` without `SA_RESTART`, so a slow
/// system call it interrupts fails with `EINTR` instead of restarting.
fn install_handler(sig: libc::c_int) {
    // SAFETY: `sigaction` is plain old data; all-zero is a valid value
    // (empty mask, no flags) that is filled in below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = count_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = 0;
    // SAFETY: `action.sa_mask` is a valid, writable `sigset_t`.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: `action` is initialized and outlives the call; the handler
    // only touches an atomic, which is async-signal-safe.
    let rc = unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "sigaction: {}", std::io::Error::last_os_error());
}

/// Arms (or with 0, disarms) `ITIMER_REAL` every `usec` microseconds.
fn interval_timer(usec: libc::suseconds_t) {
    let tick = libc::timeval {
        tv_sec: 0,
        tv_usec: usec,
    };
    let timer = libc::itimerval {
        it_interval: tick,
        it_value: tick,
    };
    // SAFETY: `timer` is initialized and outlives the call; the old value
    // is not requested.
    let rc = unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "setitimer: {}", std::io::Error::last_os_error());
}

/// Runs every filter for many rounds while SIGALRM (every 100 µs) and
/// SIGUSR1 (from a thread aimed at the querying thread) keep firing,
/// comparing with answers taken before the signals started.
pub(crate) fn child_eintr() {
    let mut reaper = Procs::new();
    let leader = reaper.spawn(sleep_command().process_group(0));
    for _ in 1..30 {
        reaper.spawn(sleep_command().process_group(leader.as_raw()));
    }
    let sleeps: BTreeSet<i32> = raw(&reaper.pids()).into_iter().collect();
    let tty = pidquery::Dev::from_raw(fs::metadata("/dev/null").expect("/dev/null").rdev());
    let system = System::open("/proc").expect("open /proc");
    let mut buf = PidBuf::new();
    let quiet: Vec<BTreeSet<i32>> = every_filter(leader, tty)
        .iter()
        .map(|(key, query)| run(&system, key, query, &mut buf).into_iter().collect())
        .collect();
    assert_eq!(quiet[3], sleeps, "ppid without signals");
    assert_eq!(quiet[4], sleeps, "pgrp without signals");

    install_handler(libc::SIGALRM);
    install_handler(libc::SIGUSR1);
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() };
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut sent = 0usize;
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: `me` is the querying thread, which joins this
                // thread before it returns, so the handle stays valid.
                unsafe { libc::pthread_kill(me, libc::SIGUSR1) };
                sent += 1;
                std::thread::sleep(Duration::from_micros(20));
            }
            sent
        })
    };
    interval_timer(100);
    let mut rounds = 0;
    let started = Instant::now();
    // At least EINTR_MIN_ROUNDS rounds whatever the time; then more, up to
    // 100 rounds and 1000 signals, while time allows (a loaded machine
    // with thousands of processes makes each round slow).
    let more = |rounds: usize| {
        started.elapsed() < Duration::from_secs(10)
            && (rounds < 100 || SIGNALS.load(Ordering::Relaxed) < 1000)
    };
    while rounds < EINTR_MIN_ROUNDS || more(rounds) {
        rounds += 1;
        for (i, (key, query)) in every_filter(leader, tty).iter().enumerate() {
            let got: BTreeSet<i32> = match system.fill(query, &mut buf) {
                Ok(pids) => raw(pids).into_iter().collect(),
                Err(e) => panic!("{key} under signals (round {rounds}): {e}"),
            };
            match *key {
                "ppid" | "pgrp" => assert_eq!(got, quiet[i], "{key} under signals"),
                "tty" => assert_eq!(got, quiet[i], "{key} under signals"),
                _ => assert!(got.is_superset(&sleeps), "{key} under signals lost sleeps"),
            }
        }
    }
    interval_timer(0);
    stop.store(true, Ordering::Relaxed);
    let sent = sender.join().expect("sender");
    println!("PQ rounds {rounds}");
    println!("PQ signals {}", SIGNALS.load(Ordering::Relaxed));
    println!("PQ sent {sent}");
    drop(reaper);
}

fn join(pids: &[i32]) -> String {
    pids.iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
