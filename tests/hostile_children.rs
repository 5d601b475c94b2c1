//! Hostile live tests of the `children`-file path of `ppid`: parents that
//! keep forking and reaping children while they are listed (`sh`, a
//! `python3` with lists of several pages, a multi-threaded parent whose
//! threads come and go). Every answer holds every long-lived child and
//! only children.
//!
//! Tests that need root print a reason and return when not root.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pidquery::{Pid, PidBuf, PidQuery};
use support::{tools_or_skip, Proc};

/// `ppid` of a single-threaded parent takes the `children`-file path. Its
/// parent here keeps forking a short-lived child just before each
/// long-lived one and reaping it a moment later — the pattern that can make
/// the kernel's `children` walk skip the sibling after a reaped child. Every
/// answer must still hold every long-lived child known before the query,
/// nothing that was never a child, ascending and without duplicates.
///
/// Then (with `python3`) the same on a list of several pages, where the
/// kernel restarts every `read` by index and really skips: a parent with
/// 500 long-lived children interleaved with 500 that exit at once, forever
/// reaping the oldest of each kind and appending a new pair. Without the
/// proof that no listed child left during the read, about one answer in
/// ten misses a long-lived child here.
#[test]
fn children_file_path_under_reaping_churn() {
    children_file_path_under_sh_churn();
    children_file_path_under_paged_churn();
}

/// A `python3` parent that prints the pid of every long-lived child it
/// spawns, then `ready`, and then churns; its process group is killed on
/// drop. `None` (with a message) without python3.
fn churning_parent(
    test: &str,
    script: &str,
    args: &[&str],
) -> Option<(Proc, std::sync::mpsc::Receiver<Pid>)> {
    use std::io::{BufRead, BufReader};
    if !tools_or_skip(test, &["python3"]) {
        return None;
    }
    // A python parent whose main thread leaves by `pthread_exit` now and
    // then hangs in the interpreter before it is ready (its keeper thread
    // waits on a lock forever); such a parent is killed and spawned anew.
    for _ in 0..3 {
        let mut cmd = Command::new("python3");
        cmd.arg("-c")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0);
        let mut parent = Proc::spawn(&mut cmd);
        let pgid = parent.pid();
        let out = parent.take_stdout().expect("piped stdout");
        let parent = parent.kill_group_on_drop(pgid);
        let (tx, rx) = std::sync::mpsc::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line == "ready" {
                    let _ = ready_tx.send(());
                } else if let Some(pid) = line.trim().parse().ok().and_then(Pid::from_raw) {
                    if tx.send(pid).is_err() {
                        break;
                    }
                }
            }
        });
        if ready_rx.recv_timeout(Duration::from_secs(90)).is_ok() {
            return Some((parent, rx));
        }
        eprintln!("{test}: the churning parent hung before it was ready; spawning another");
    }
    panic!("{test}: the churning parent never got ready, three times");
}

/// `(state, ppid)` of `pid` now, read without the library.
fn state_and_ppid(pid: Pid) -> Option<(u8, i32)> {
    let stat = fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    let mut fields = rest.split_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// Queries `ppid(parent)` for `budget`: every long-lived child reported
/// before a query and still alive and ours after it (so throughout it)
/// is in the answer; everything listed is (or was, if gone) a child.
fn check_ppid_under_churn(
    what: &str,
    parent: Pid,
    reported: &std::sync::mpsc::Receiver<Pid>,
    budget: Duration,
) -> usize {
    let query = PidQuery::ppid(parent);
    let mut buf = PidBuf::new();
    let mut known: Vec<Pid> = Vec::new();
    let started = Instant::now();
    let mut rounds = 0;
    while rounds < 20 || started.elapsed() < budget {
        known.extend(reported.try_iter());
        let answer = query
            .fill(&mut buf)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        rounds += 1;
        assert!(
            answer.windows(2).all(|w| w[0] < w[1]),
            "{what}, round {rounds}: not strictly ascending"
        );
        let missing: Vec<Pid> = known
            .iter()
            .copied()
            .filter(|pid| answer.binary_search(pid).is_err())
            .filter(|&pid| {
                state_and_ppid(pid).is_some_and(|(s, p)| s != b'Z' && p == parent.as_raw())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "{what}, round {rounds}: long-lived children missing: {missing:?} of {} listed",
            answer.len()
        );
        for &pid in answer {
            if let Some((_, ppid)) = state_and_ppid(pid) {
                assert!(
                    ppid == parent.as_raw() || ppid == 0 || ppid == 1,
                    "{what}, round {rounds}: pid {pid} has parent {ppid}, not {parent}"
                );
            }
        }
        // Killed long-lived children are gone for good.
        known.retain(|&pid| state_and_ppid(pid).is_some_and(|(s, _)| s != b'Z'));
    }
    rounds
}

/// See [`children_file_path_under_reaping_churn`].
fn children_file_path_under_paged_churn() {
    const SCRIPT: &str = r#"
import os, signal, sys, time
n = int(sys.argv[1])
longs, shorts = [], []
def spawn(*argv):
    while True:
        try:
            return os.posix_spawn(argv[0], list(argv[1:]), os.environ)
        except OSError:
            time.sleep(0.01)
def pair():
    shorts.append(spawn("/bin/true", "true"))
    p = spawn("/bin/sleep", "sleep", "600")
    longs.append(p)
    print(p, flush=True)
for _ in range(n):
    pair()
print("ready", flush=True)
while True:
    os.waitpid(shorts.pop(0), 0)
    p = longs.pop(0)
    os.kill(p, signal.SIGKILL)
    os.waitpid(p, 0)
    pair()
"#;
    let test = "children_file_path_under_reaping_churn (paged)";
    let Some((parent, reported)) = churning_parent(test, SCRIPT, &["500"]) else {
        return;
    };
    let rounds = check_ppid_under_churn(test, parent.pid(), &reported, Duration::from_secs(15));
    println!("{test}: {rounds} queries");
}

/// `ppid` of a multi-threaded parent whose threads keep spawning children
/// and exiting (their children move to a thread that lives on), its main
/// thread gone (a zombie leader): every answer holds every long-lived
/// child, and only children.
#[test]
fn children_files_of_a_churning_multi_threaded_parent() {
    const SCRIPT: &str = r#"
import ctypes, os, random, signal, sys, threading, time
workers, per, keep = (int(a) for a in sys.argv[1:4])
longs, lock = [], threading.Lock()
def work():
    mine = []
    for _ in range(per):
        try:
            mine.append(os.posix_spawn("/bin/sleep", ["sleep", "600"], os.environ))
        except OSError:
            time.sleep(0.01)
    with lock:
        longs.extend(mine)
    for p in mine:
        print(p, flush=True)
    time.sleep(random.random() * 0.002)
def keeper():
    ready = False
    while True:
        live = [t for t in threading.enumerate() if t.name == "w"]
        for _ in range(workers - len(live)):
            try:
                threading.Thread(target=work, name="w", daemon=True).start()
            except RuntimeError:
                time.sleep(0.01)
        with lock:
            old = longs[:-keep] if len(longs) > keep else []
            del longs[:len(old)]
        for p in old:
            os.kill(p, signal.SIGKILL)
            os.waitpid(p, 0)
        if not ready and len(longs) >= keep // 2:
            print("ready", flush=True)
            ready = True
        time.sleep(0.0005)
threading.Thread(target=keeper, daemon=True).start()
time.sleep(0.05)
ctypes.CDLL(None).pthread_exit(None)
"#;
    let test = "children_files_of_a_churning_multi_threaded_parent";
    let Some((parent, reported)) = churning_parent(test, SCRIPT, &["16", "2", "300"]) else {
        return;
    };
    let rounds = check_ppid_under_churn(test, parent.pid(), &reported, Duration::from_secs(10));
    println!("{test}: {rounds} queries");
}

/// See [`children_file_path_under_reaping_churn`].
fn children_file_path_under_sh_churn() {
    use std::io::{BufRead, BufReader};

    // 300 rounds: a short child, then a long one whose pid is printed; the
    // short one is reaped at the start of the next round.
    let script = "s=; for i in $(seq 300); do \
                    [ -n \"$s\" ] && wait $s; \
                    sleep 0.01 & s=$!; sleep 600 & echo $!; \
                  done; wait $s; echo done; exec sleep 600";
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    let mut parent = support::Proc::spawn(&mut cmd);
    let parent_pid = parent.pid();
    let parent = {
        let out = parent.take_stdout().expect("piped stdout");
        let parent = parent.kill_group_on_drop(parent_pid);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let query = PidQuery::ppid(parent_pid);
        let mut buf = PidBuf::new();
        let mut long_lived: BTreeSet<Pid> = BTreeSet::new();
        let mut finished = false;
        let started = Instant::now();
        let mut rounds = 0;
        loop {
            // What the parent has reported so far is alive for the whole
            // next query.
            while let Ok(line) = rx.try_recv() {
                match line.trim() {
                    "done" => finished = true,
                    pid => {
                        long_lived.insert(support::pid(pid.parse().expect("a pid")));
                    }
                }
            }
            let answer = query.fill(&mut buf).expect("ppid query");
            rounds += 1;
            assert!(
                answer.windows(2).all(|w| w[0] < w[1]),
                "round {rounds}: not strictly ascending: {answer:?}"
            );
            let missing: Vec<_> = long_lived
                .iter()
                .filter(|pid| answer.binary_search(pid).is_err())
                .collect();
            assert!(
                missing.is_empty(),
                "round {rounds}: long-lived children missing: {missing:?}"
            );
            // Whatever else was listed is a short-lived child: if it still
            // exists, its parent is ours (or 0, for a task in its final
            // release, which `stat` shows without a parent).
            for pid in answer.iter().filter(|pid| !long_lived.contains(pid)) {
                if let Some(ppid) = stat_ppid(*pid) {
                    assert!(
                        ppid == parent_pid.as_raw() || ppid == 0,
                        "round {rounds}: pid {pid} has parent {ppid}, not {parent_pid}"
                    );
                }
            }
            if finished && rounds >= 50 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the parent did not finish its 300 rounds"
            );
        }
        assert_eq!(long_lived.len(), 300, "the parent reported every child");
        parent
    };
    drop(parent);
}

/// Field 4 of `/proc/<pid>/stat`, read here without the library's parser;
/// `None` once the process is gone.
fn stat_ppid(pid: Pid) -> Option<i32> {
    let stat = fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    rest.split_whitespace().nth(1)?.parse().ok()
}
