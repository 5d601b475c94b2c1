//! `descendants` against trees that change while they are listed, checked
//! against the contract in the crate docs: a process below the root for
//! the whole query is listed; a listed process was below the root at some
//! instant of the query.
//!
//! - a subreaper root whose middle processes exit, handing their children
//!   to the root, whose list was already read;
//! - a pid that flips between "the root's childless child" and "a child of
//!   the root's parent, with a child of its own" (pids steered with
//!   `ns_last_pid` in a fresh pid namespace, as root), read by a walk well
//!   after the root's list: its child was never below the root.
//!
//! Set `PIDQUERY_SOAK_SECS` to run each loop longer (to measure a rate).

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pidquery::{ErrorKind, Pid, PidBuf, PidQuery, System};
use support::{children, have, root_or_skip, skip, wait_until, Proc};

/// How long each adversary loop runs: a few seconds in the suite.
fn budget() -> Duration {
    support::secs_from_env("PIDQUERY_SOAK_SECS", 3)
}

/// A subreaper that, again and again, forks a middle process which spawns
/// three sleeps, reports them, lives up to 4 ms more and exits: its sleeps
/// go to the subreaper. The oldest sleeps beyond `keep` are killed.
const SUBREAPER: &str = r#"
import ctypes, os, random, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
keep, kids, ready = int(sys.argv[1]), [], False
while True:
    r, w = os.pipe()
    x = os.fork()
    if x == 0:
        os.close(r)
        ps = [os.posix_spawn("/bin/sleep", ["sleep", "900"], os.environ) for _ in range(3)]
        os.write(w, (" ".join(map(str, ps)) + "\n").encode())
        time.sleep(random.random() * 0.004)
        os._exit(0)
    os.close(w)
    new = [int(p) for p in os.read(r, 4096).split()]
    os.close(r)
    for p in new:
        print(p, flush=True)
    os.waitpid(x, 0)
    kids.extend(new)
    while len(kids) > keep:
        p = kids.pop(0)
        os.kill(p, 9)
        os.waitpid(p, 0)
    if not ready and len(kids) >= keep:
        print("ready", flush=True)
        ready = True
"#;

/// `(state, parent)` of `pid` now, from its `stat`.
fn state_and_parent(pid: Pid) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
}

#[test]
fn a_subreaper_roots_handed_down_grandchildren_are_listed() {
    if !have("python3") {
        skip("subreaper root", "no python3");
        return;
    }
    let mut cmd = Command::new("python3");
    cmd.args(["-c", SUBREAPER, "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    let mut proc = Proc::spawn(&mut cmd);
    let root = proc.pid();
    proc = proc.kill_group_on_drop(root);
    let known: Arc<Mutex<Vec<Pid>>> = Arc::default();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let sink = Arc::clone(&known);
    let out = BufReader::new(proc.take_stdout().unwrap());
    std::thread::spawn(move || {
        for line in out.lines() {
            let Ok(line) = line else { break };
            if line == "ready" {
                let _ = ready_tx.send(());
            } else if let Some(pid) = line.parse().ok().and_then(Pid::from_raw) {
                sink.lock().unwrap().push(pid);
            }
        }
    });
    ready_rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let (mut answers, mut wrong, mut errors) = (0usize, 0usize, 0usize);
    let mut buf = PidBuf::new();
    let started = Instant::now();
    while started.elapsed() < budget() {
        let before: Vec<Pid> = known.lock().unwrap().clone();
        let got: BTreeSet<Pid> = match PidQuery::descendants(root).fill(&mut buf) {
            Ok(pids) => pids.iter().copied().collect(),
            Err(e) if matches!(e.kind(), ErrorKind::Raced { .. }) => {
                errors += 1;
                continue;
            }
            Err(e) => panic!("{e}"),
        };
        answers += 1;
        // Known before, alive and the root's after: below the root (a
        // subreaper, so never outside it) for the whole query.
        let missing = before.iter().any(|&pid| {
            !got.contains(&pid)
                && state_and_parent(pid).is_some_and(|(s, p)| s != 'Z' && p == root.as_raw())
        });
        wrong += usize::from(missing);
    }
    eprintln!("subreaper root: {wrong} wrong of {answers} answers, {errors} raced");
    assert!(answers > 0);
    assert_eq!(wrong, 0);
}

/// Run as the init of a fresh pid namespace: `R`, with
/// `argv[1]` sleeps listed before it, and a loop that makes pid 1000
/// alternately `R`'s childless child and, with pid 1001 as its child, a
/// child of this init (`R`'s parent). `R` prints its pid and its sleeps,
/// the init `ready`.
const FLIPPER: &str = r#"
import os, sys, time
def last(n):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(n))
cmd_r, cmd_w = os.pipe()
ack_r, ack_w = os.pipe()
if os.fork() == 0:
    kids = [os.posix_spawn("/bin/sleep", ["sleep", "1000"], os.environ) for _ in range(int(sys.argv[1]))]
    print("root:", os.getpid(), "kids:", *kids, flush=True)
    os.write(ack_w, b".")
    x = 0
    while True:
        c = os.read(cmd_r, 1)
        if c == b"f":
            last(999)
            x = os.fork()
            if x == 0:
                time.sleep(1000)
        elif c == b"k":
            os.kill(x, 9)
            os.waitpid(x, 0)
        os.write(ack_w, b".")
def ask(c):
    os.write(cmd_w, c)
    os.read(ack_r, 1)
os.read(ack_r, 1)
print("ready", flush=True)
while True:
    ask(b"f")
    time.sleep(0.0005)
    ask(b"k")
    last(999)
    x = os.fork()
    if x == 0:
        os.setpgid(0, 0)
        if os.fork() == 0:
            time.sleep(1000)
        time.sleep(1000)
    time.sleep(0.0005)
    try:
        os.killpg(x, 9)
    except ProcessLookupError:
        os.kill(x, 9)
    os.waitpid(x, 0)
    try:
        os.waitpid(-x, 0)
    except ChildProcessError:
        pass
"#;

#[test]
fn a_pid_flipping_out_of_the_tree_never_brings_its_child_in() {
    if !root_or_skip("flipping pid") || !have("python3") || !have("unshare") {
        skip("flipping pid", "needs root, python3 and unshare");
        return;
    }
    let mut cmd = Command::new("unshare");
    // The root's sleeps come before pid 1000 in its list, so a walk reads
    // that node well after the root.
    cmd.args([
        "--pid",
        "--fork",
        "--mount-proc",
        "python3",
        "-c",
        FLIPPER,
        "300",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .process_group(0);
    let mut proc = Proc::spawn(&mut cmd);
    let group = proc.pid();
    proc = proc.kill_group_on_drop(group);
    let mut lines = BufReader::new(proc.take_stdout().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let (root, kids) = first
        .strip_prefix("root: ")
        .and_then(|rest| rest.split_once(" kids: "))
        .unwrap();
    let root = Pid::from_raw(root.parse().unwrap()).unwrap();
    let kids: BTreeSet<Pid> = kids
        .split_whitespace()
        .map(|w| Pid::from_raw(w.parse().unwrap()).unwrap())
        .collect();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    // The namespace's init, seen from here, and its proc mount.
    let init = wait_until("the namespace's init", || {
        children(proc.pid()).first().copied()
    });
    let system = System::open(format!("/proc/{init}/root/proc")).unwrap();
    let flipping = Pid::from_raw(1000).unwrap();
    let (mut answers, mut wrong, mut errors) = (0usize, 0usize, 0usize);
    let mut buf = PidBuf::new();
    let started = Instant::now();
    while started.elapsed() < budget() {
        match system.fill(&PidQuery::descendants(root), &mut buf) {
            Ok(pids) => {
                answers += 1;
                // The sleeps were below the root throughout; pid 1000 may be
                // listed (it was the root's child at some instant); nothing
                // else ever is below the root.
                let got: BTreeSet<Pid> = pids.iter().copied().collect();
                let extra = got.iter().any(|p| *p != flipping && !kids.contains(p));
                let bad = extra || !kids.is_subset(&got);
                if bad && wrong < 3 {
                    let extra: Vec<_> = got.difference(&kids).collect();
                    let missing: Vec<_> = kids.difference(&got).collect();
                    eprintln!("listed beyond: {extra:?}; missing: {missing:?}");
                }
                wrong += usize::from(bad);
            }
            Err(e) if matches!(e.kind(), ErrorKind::Raced { .. }) => errors += 1,
            Err(e) => panic!("{e}"),
        }
    }
    eprintln!("flipping pid: {wrong} wrong of {answers} answers, {errors} raced");
    assert!(answers > 0);
    assert_eq!(wrong, 0);
}
