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
use support::{have, skip, Proc};

/// The cycling parent: the first incarnation spawns `n` sleeps and prints
/// their pids; every incarnation then starts a thread that execs this
/// script again and leaves by `SYS_exit` (its main thread only).
const CYCLING: &str = r#"
import ctypes, os, sys, threading
libc = ctypes.CDLL(None)
SYS_exit = {"x86_64": 60, "aarch64": 93}[os.uname().machine]
if os.environ.get("PIDQUERY_CYCLING") is None:
    kids = [os.posix_spawn("/bin/sleep", ["sleep", "900"], os.environ) for _ in range(int(sys.argv[1]))]
    print(" ".join(map(str, kids)), flush=True)
    os.environ["PIDQUERY_CYCLING"] = "1"
def again():
    os.execv(sys.executable, [sys.executable, "-S", __file__, sys.argv[1]])
threading.Thread(target=again).start()
libc.syscall(SYS_exit, 0)
"#;

/// How long each adversary loop runs: a few seconds in the suite.
fn budget() -> Duration {
    let secs = std::env::var("PIDQUERY_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    Duration::from_secs(secs)
}

/// The cycling parent with `n` children, and those children.
struct Cycling {
    proc: Proc,
    kids: BTreeSet<Pid>,
    _script: tempfile::Script,
}

mod tempfile {
    /// A script file removed on drop.
    pub struct Script(pub std::path::PathBuf);

    impl Script {
        pub fn new(text: &str) -> Script {
            let path = std::env::temp_dir().join(format!(
                "pidquery-cycling-{}-{:?}.py",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::write(&path, text).unwrap();
            Script(path)
        }
    }

    impl Drop for Script {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

impl Cycling {
    fn spawn(n: usize) -> Option<Cycling> {
        if !have("python3") {
            skip("cycling parent", "no python3");
            return None;
        }
        let script = tempfile::Script::new(CYCLING);
        let mut cmd = Command::new("python3");
        cmd.arg("-S")
            .arg(&script.0)
            .arg(n.to_string())
            .env_remove("PIDQUERY_CYCLING")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0);
        let mut proc = Proc::spawn(&mut cmd);
        let pid = proc.pid();
        proc = proc.kill_group_on_drop(pid);
        let mut line = String::new();
        BufReader::new(proc.take_stdout().unwrap())
            .read_line(&mut line)
            .unwrap();
        let kids: BTreeSet<Pid> = line
            .split_whitespace()
            .map(|w| Pid::from_raw(w.parse().unwrap()).unwrap())
            .collect();
        assert_eq!(kids.len(), n, "{line}");
        Some(Cycling {
            proc,
            kids,
            _script: script,
        })
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
