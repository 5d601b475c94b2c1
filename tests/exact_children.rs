//! `ppid` and `descendants` against a parent whose thread-group leader
//! keeps being replaced under the same pid: the leader creates a thread and
//! leaves with `SYS_exit`, and the thread `execve`s the same program.
//! Between the leader's exit and the thread's exec (`de_thread`), the
//! leader's children belong to that thread, which no listing taken before
//! its creation names; afterwards the thread *is* the leader, with its pid
//! and start time. The children's parent is the same pid throughout, so
//! every answer must list every one of them.
//!
//! Set `PIDQUERY_SOAK_SECS` to run each loop longer (to measure a rate).

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pidquery::{Pid, PidBuf, PidQuery};
use support::Proc;

/// How long each adversary loop runs: a few seconds in the suite.
fn budget() -> Duration {
    support::secs_from_env("PIDQUERY_SOAK_SECS", 3)
}

/// Set in a re-executed test binary that plays the cycling parent: how
/// many children its first incarnation spawns.
const ROLE: &str = "PIDQUERY_CYCLING_CHILDREN";
/// Set once the children are spawned, so that later incarnations do not.
const SPAWNED: &str = "PIDQUERY_CYCLING_SPAWNED";
/// What makes a test binary run only [`cycling_role`].
const ROLE_ARGS: [&str; 6] = [
    "--ignored",
    "--exact",
    "cycling_role",
    "--nocapture",
    "--test-threads=1",
    "-q",
];

/// The cycling parent, when this binary is re-executed as one: the first
/// incarnation spawns the children and prints `kids: <pids>`; every
/// incarnation has its leader leave with `SYS_exit` (from a signal handler
/// the thread running this test sends it to), keeps the leader's children
/// on that thread for a millisecond, and execs this binary again from it.
#[test]
#[ignore = "run by the cycling parent only"]
fn cycling_role() {
    let Some(n) = std::env::var(ROLE)
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return;
    };
    if std::env::var_os(SPAWNED).is_none() {
        let kids: Vec<String> = (0..n)
            .map(|_| {
                let mut sleep = Command::new("sleep");
                sleep.arg("900").stdin(Stdio::null()).stdout(Stdio::null());
                // Dropping the handle neither kills nor reaps it.
                sleep.spawn().unwrap().id().to_string()
            })
            .collect();
        println!("kids: {}", kids.join(" "));
        std::io::stdout().flush().unwrap();
    }
    extern "C" fn leave(_: libc::c_int) {
        // SAFETY: ends the calling thread only; no memory is passed.
        unsafe { libc::syscall(libc::SYS_exit, 0) };
    }
    // SAFETY: installs a handler that only makes a system call.
    unsafe { libc::signal(libc::SIGUSR1, leave as *const () as libc::sighandler_t) };
    // Once the leader has left, `/proc/self/exe` no longer resolves.
    let exe = std::env::current_exe().unwrap();
    // SAFETY: plain system calls on this process's own ids.
    unsafe {
        let leader = libc::getpid();
        libc::syscall(libc::SYS_tgkill, leader, leader, libc::SIGUSR1);
    }
    // The leader's children are now this thread's, which no listing taken
    // before the image started names: keep them a while, then exec.
    std::thread::sleep(Duration::from_millis(1));
    let err = Command::new(exe).args(ROLE_ARGS).env(SPAWNED, "1").exec();
    panic!("exec: {err}");
}

/// The cycling parent with `n` children, and those children.
struct Cycling {
    proc: Proc,
    kids: BTreeSet<Pid>,
}

impl Cycling {
    fn spawn(n: usize) -> Option<Cycling> {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(ROLE_ARGS)
            .env(ROLE, n.to_string())
            .env_remove(SPAWNED)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0);
        let mut proc = Proc::spawn(&mut cmd);
        let pid = proc.pid();
        proc = proc.kill_group_on_drop(pid);
        let mut lines = BufReader::new(proc.take_stdout().unwrap()).lines();
        let line = lines
            .find_map(|l| l.ok()?.strip_prefix("kids: ").map(str::to_owned))
            .expect("the cycling parent printed its children");
        let kids: BTreeSet<Pid> = line
            .split_whitespace()
            .map(|w| Pid::from_raw(w.parse().unwrap()).unwrap())
            .collect();
        assert_eq!(kids.len(), n, "{line}");
        // Its output is no longer read: later incarnations print nothing
        // but libtest's lines, which a closed pipe would make fail.
        std::thread::spawn(move || for _ in lines {});
        Some(Cycling { proc, kids })
    }

    fn pid(&self) -> Pid {
        self.proc.pid()
    }
}

/// Counts of one adversary loop.
#[derive(Debug, Default)]
struct Tally {
    answers: usize,
    wrong: usize,
}

impl Tally {
    fn report(&self, what: &str) {
        eprintln!("{what}: {} wrong of {} answers", self.wrong, self.answers);
    }
}

/// `ppid(P).fill` and `descendants(P).fill` in alternation.
fn fills(n: usize) {
    let Some(parent) = Cycling::spawn(n) else {
        return;
    };
    let (mut ppid, mut below) = (Tally::default(), Tally::default());
    let mut buf = PidBuf::new();
    let started = Instant::now();
    while started.elapsed() < budget() {
        let got: BTreeSet<Pid> = PidQuery::ppid(parent.pid())
            .fill(&mut buf)
            .unwrap()
            .iter()
            .copied()
            .collect();
        ppid.answers += 1;
        ppid.wrong += usize::from(got != parent.kids);
        let got: BTreeSet<Pid> = PidQuery::descendants(parent.pid())
            .fill(&mut buf)
            .unwrap()
            .iter()
            .copied()
            .collect();
        below.answers += 1;
        below.wrong += usize::from(got != parent.kids);
    }
    ppid.report(&format!("ppid, {n} children"));
    below.report(&format!("descendants, {n} children"));
    assert!(ppid.answers > 0 && below.answers > 0);
    assert_eq!((ppid.wrong, below.wrong), (0, 0));
}

#[test]
fn a_cycling_parent_of_50_is_answered_exactly() {
    fills(50);
}

#[test]
fn a_cycling_parent_of_400_is_answered_exactly() {
    fills(400);
}

/// `listpids --ppid P --count` and `--descendants P --count`, which each
/// answer once per process: many short runs.
#[test]
fn listpids_counts_a_cycling_parents_children_exactly() {
    let Some(parent) = Cycling::spawn(50) else {
        return;
    };
    let want = parent.kids.len().to_string();
    let mut tally = Tally::default();
    let started = Instant::now();
    // One shell runs the tool in a loop, so that each run costs a fork and
    // an exec rather than a test-side spawn.
    let mut sh = Command::new("sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = sh.stdin.take().unwrap();
    let mut output = BufReader::new(sh.stdout.take().unwrap());
    let exe = env!("CARGO_BIN_EXE_listpids");
    while started.elapsed() < budget() {
        for flag in ["--ppid", "--descendants"] {
            writeln!(input, "{exe} {flag} {} --count", parent.pid()).unwrap();
        }
        for _ in 0..2 {
            let mut line = String::new();
            output.read_line(&mut line).unwrap();
            tally.answers += 1;
            tally.wrong += usize::from(line.trim() != want);
        }
    }
    drop(input);
    let _ = sh.wait();
    tally.report("listpids --ppid/--descendants --count, 50 children");
    assert!(tally.answers > 0);
    assert_eq!(tally.wrong, 0);
}
