//! The proofs under churn, and the task counters: each check, switched
//! off, lets a wrong answer through; together they never do.

use super::*;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A churning parent: prints the pid of every long-lived child it
/// spawns, one per line.
struct Churn {
    child: Child,
    longs: Arc<Mutex<Vec<Pid>>>,
}

impl Churn {
    /// A python parent whose main thread leaves by `pthread_exit` now
    /// and then hangs in the interpreter before it is ready: such a
    /// parent is killed and spawned anew, up to three times.
    fn spawn(script: &str, args: &[&str]) -> Option<Churn> {
        (0..3).find_map(|_| Churn::try_spawn(script, args))
    }

    fn try_spawn(script: &str, args: &[&str]) -> Option<Churn> {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        let out = child.stdout.take().map(BufReader::new);
        // From here on, dropping the guard kills the parent's group.
        let churn = Churn {
            child,
            longs: Arc::new(Mutex::new(Vec::new())),
        };
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&churn.longs);
        std::thread::spawn(move || {
            for line in out.into_iter().flat_map(|out| out.lines()) {
                let Ok(line) = line else { break };
                if line == "ready" {
                    let _ = ready_tx.send(());
                } else if let Some(pid) = line.parse().ok().and_then(Pid::from_raw) {
                    sink.lock().unwrap().push(pid);
                }
            }
        });
        ready_rx.recv_timeout(Duration::from_secs(60)).ok()?;
        Some(churn)
    }

    fn pid(&self) -> Pid {
        Pid::from(&self.child)
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

/// `(state, ppid)` of `pid` now, from its `stat`.
fn state_and_parent(pid: Pid) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((state, fields.next()?.parse().ok()?))
}

/// Runs `checks` queries against `churn` for `budget`; returns (answers
/// given, answers missing a long-lived child, answers declined).
fn run(churn: &Churn, checks: Checks, budget: Duration) -> (usize, usize, usize) {
    let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
    let parent = churn.pid();
    let mut out = vec![Pid::ZERO; 1 << 16];
    let (mut given, mut wrong, mut declined) = (0, 0, 0);
    let started = Instant::now();
    while started.elapsed() < budget {
        let known: Vec<Pid> = churn.longs.lock().unwrap().clone();
        let Some(listed) = fs.list_children_with(parent, &mut out, Scope::Own, checks, &mut |_| {})
        else {
            declined += 1;
            continue;
        };
        let Listed::Complete(n) = listed else {
            panic!("full")
        };
        given += 1;
        let got: BTreeSet<Pid> = out[..n].iter().copied().collect();
        // Alive (not a zombie) and ours after the query: alive, and
        // ours, throughout it.
        let missing = known.iter().any(|&pid| {
            !got.contains(&pid)
                && state_and_parent(pid).is_some_and(|(s, p)| s != 'Z' && p == parent.as_raw())
        });
        wrong += usize::from(missing);
    }
    (given, wrong, declined)
}

/// Long-lived children interleaved with children that exit at once,
/// and a loop that reaps the oldest of each and appends a new pair:
/// children leave from the front of the list while it is read.
pub(super) const REAPING: &str = r#"
import os, signal, sys
n = int(sys.argv[1])
longs, shorts = [], []
def pair():
    shorts.append(os.posix_spawn("/bin/true", ["true"], os.environ))
    p = os.posix_spawn("/bin/sleep", ["sleep", "600"], os.environ)
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

/// Worker threads that each spawn long-lived children and exit soon
/// after, replaced as they go: their children move to a thread that
/// lives on while the files are read. The main thread keeps the number
/// of long-lived children bounded, killing the oldest; with `zombie`,
/// a long-lived "keeper" thread does that and the main thread exits.
pub(super) const THREADS: &str = r#"
import ctypes, os, random, signal, sys, threading, time
workers, per, keep, zombie = (int(a) for a in sys.argv[1:5])
longs, lock = [], threading.Lock()
def work():
    mine = [os.posix_spawn("/bin/sleep", ["sleep", "600"], os.environ) for _ in range(per)]
    with lock:
        longs.extend(mine)
    for p in mine:
        print(p, flush=True)
    time.sleep(random.random() * 0.002)
def keeper():
    ready = False
    while True:
        live = [t for t in threading.enumerate() if t.name.startswith("w")]
        for i in range(workers - len(live)):
            threading.Thread(target=work, name="w", daemon=True).start()
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
if zombie:
    threading.Thread(target=keeper, daemon=True).start()
    time.sleep(0.05)
    ctypes.CDLL(None).pthread_exit(None)
keeper()
"#;

/// A parent under the test's control: the main thread spawns
/// `main_kids` sleeps and a worker thread `worker_kids`; it prints
/// them, then the worker's thread id, and then obeys stdin: `reap PID`
/// kills and reaps that child, `end` ends the worker thread; each
/// answered with `ok` once done.
const CONTROLLED: &str = r#"
import os, signal, sys, threading
main_kids, worker_kids = int(sys.argv[1]), int(sys.argv[2])
spawn = lambda: os.posix_spawn("/bin/sleep", ["sleep", "600"], os.environ)
mine = [spawn() for _ in range(main_kids)]
theirs, tid, started, end = [], [], threading.Event(), threading.Event()
def work():
    theirs.extend(spawn() for _ in range(worker_kids))
    tid.append(threading.get_native_id())
    started.set()
    end.wait()
worker = threading.Thread(target=work)
worker.start()
started.wait()
print(" ".join(map(str, mine)), flush=True)
print(" ".join(map(str, theirs)), flush=True)
print(tid[0], flush=True)
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "reap":
        os.kill(int(cmd[1]), signal.SIGKILL)
        os.waitpid(int(cmd[1]), 0)
    elif cmd[0] == "end":
        end.set()
        worker.join()
    print("ok", flush=True)
"#;

struct Controlled {
    child: Child,
    input: std::process::ChildStdin,
    output: BufReader<std::process::ChildStdout>,
    main_kids: Vec<Pid>,
    worker_kids: Vec<Pid>,
    worker: Pid,
}

impl Controlled {
    fn spawn(main_kids: usize, worker_kids: usize) -> Option<Controlled> {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(CONTROLLED)
            .args([main_kids.to_string(), worker_kids.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        };
        // From here on, dropping the guard kills the parent's group.
        let mut parent = Controlled {
            child,
            input,
            output: BufReader::new(output),
            main_kids: Vec::new(),
            worker_kids: Vec::new(),
            worker: Pid::ZERO,
        };
        let mut line = || {
            let mut text = String::new();
            parent.output.read_line(&mut text).ok()?;
            Some(
                text.split_whitespace()
                    .filter_map(|w| Pid::from_raw(w.parse().ok()?))
                    .collect::<Vec<Pid>>(),
            )
        };
        let main_kids = line()?;
        let worker_kids = line()?;
        let worker = *line()?.first()?;
        parent.main_kids = main_kids;
        parent.worker_kids = worker_kids;
        parent.worker = worker;
        Some(parent)
    }

    fn pid(&self) -> Pid {
        Pid::from(&self.child)
    }

    fn command(&mut self, cmd: &str) {
        use std::io::Write;
        writeln!(self.input, "{cmd}").unwrap();
        let mut ok = String::new();
        self.output.read_line(&mut ok).unwrap();
        assert_eq!(ok.trim(), "ok", "{cmd}");
    }
}

impl Drop for Controlled {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

fn python_or_skip() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "pass"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: no python3");
    }
    ok
}

/// A child reaped after the first page of its parent's children file
/// was read makes the kernel skip a sibling at the next page; only the
/// presence check sees it.
#[test]
fn a_reaped_child_makes_the_kernel_skip_a_sibling() {
    if !python_or_skip() {
        return;
    }
    // Two pages of records at least: 900 children of 6 to 8 bytes.
    let Some(mut parent) = Controlled::spawn(900, 0) else {
        panic!("the controlled parent did not start");
    };
    let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
    let mut out = vec![Pid::ZERO; 4096];
    let first = parent.main_kids[0];
    let main = parent.pid();
    let mut query = |parent: &mut Controlled, checks: Checks| {
        let mut reaped = false;
        let listed = fs.list_children_with(main, &mut out, Scope::Own, checks, &mut |step| {
            if step == Step::Read(main) && !reaped {
                reaped = true;
                let victim = parent.main_kids.remove(0);
                parent.command(&format!("reap {victim}"));
            }
        });
        assert!(reaped, "the file was read in one go");
        listed.map(|l| match l {
            Listed::Complete(n) => out[..n].iter().copied().collect::<BTreeSet<Pid>>(),
            Listed::Full { .. } => panic!("full"),
        })
    };
    // The window is off too: tasks created elsewhere on this machine
    // would decline the answer the test looks at.
    let unchecked = Checks {
        children_remain: false,
        threads_remain: true,
        quiet: false,
    };
    let got = query(&mut parent, unchecked).expect("an unchecked answer");
    let alive: BTreeSet<Pid> = parent.main_kids.iter().copied().collect();
    assert!(got.contains(&first), "the reaped child was listed first");
    let skipped: Vec<Pid> = alive.difference(&got).copied().collect();
    // The kernel skips one sibling when the reap has completed before it
    // reads the next page; under load it may complete later, and then
    // nothing is skipped. Never more than one.
    assert!(
        skipped.len() <= 1,
        "the kernel skipped more than one sibling: {skipped:?}"
    );
    assert_eq!(query(&mut parent, Checks::ALL), None, "the proof declines");
    // Left alone, the same parent is answered exactly.
    let alive: BTreeSet<Pid> = parent.main_kids.iter().copied().collect();
    let mut out = vec![Pid::ZERO; 4096];
    // Tasks created elsewhere decline some answers: ask until one is given.
    let Some(Listed::Complete(n)) = (0..200).find_map(|_| fs.list_children(main, &mut out)) else {
        panic!("declined without churn");
    };
    let got: BTreeSet<Pid> = out[..n].iter().copied().collect();
    assert!(got == alive, "{} listed, {} alive", got.len(), alive.len());
}

/// A thread that exits between the opening and the reading of its
/// children file hands them to a thread already read; only the thread
/// check sees it.
#[test]
fn a_thread_leaving_mid_read_hands_its_children_back() {
    if !python_or_skip() {
        return;
    }
    let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
    for checks in [
        Checks {
            children_remain: true,
            threads_remain: false,
            quiet: false,
        },
        Checks::ALL,
    ] {
        let Some(mut parent) = Controlled::spawn(3, 4) else {
            panic!("the controlled parent did not start");
        };
        let (main, worker) = (parent.pid(), parent.worker);
        let mut out = vec![Pid::ZERO; 64];
        let mut ended = false;
        let listed = fs.list_children_with(main, &mut out, Scope::Own, checks, &mut |step| {
            if step == Step::Opened(worker) {
                ended = true;
                parent.command("end");
                // `join` returns when the thread's tid is cleared,
                // before `exit_notify` moves its children: wait until
                // it has left the thread list, so that the move is done.
                let gone = format!("/proc/{main}/task/{worker}");
                let deadline = std::time::Instant::now() + Duration::from_secs(10);
                while Path::new(&gone).exists() && std::time::Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        assert!(ended, "the worker's file was never opened");
        // Its children now belong to the main thread, read before.
        let moved = std::fs::read_to_string(format!("/proc/{main}/task/{main}/children")).unwrap();
        assert_eq!(moved.split_whitespace().count(), 7, "{moved}");
        match checks.threads_remain {
            false => {
                let Some(Listed::Complete(n)) = listed else {
                    panic!("an unchecked answer");
                };
                let got: BTreeSet<Pid> = out[..n].iter().copied().collect();
                assert_eq!(
                    got,
                    parent.main_kids.iter().copied().collect(),
                    "only the main thread's"
                );
                assert!(parent.worker_kids.iter().all(|k| !got.contains(k)));
            }
            true => assert_eq!(listed, None, "the proof declines"),
        }
    }
}

/// A parent whose leader leaves and whose heir takes its place: it spawns
/// `argv[1]` sleeps and prints them; on `leave` it starts the heir thread
/// and its leader leaves with `SYS_exit`, so the children move to the heir;
/// on `exec` the heir execs `sleep`, and `de_thread` makes it the leader,
/// under the leader's pid and start time.
const HEIR: &str = r#"
import ctypes, os, sys, threading
libc = ctypes.CDLL(None)
SYS_exit = {"x86_64": 60, "aarch64": 93}[os.uname().machine]
kids = [os.posix_spawn("/bin/sleep", ["sleep", "900"], os.environ) for _ in range(int(sys.argv[1]))]
print(" ".join(map(str, kids)), flush=True)
sys.stdin.readline()
def heir():
    sys.stdin.readline()
    os.execv("/bin/sleep", ["sleep", "900"])
threading.Thread(target=heir).start()
libc.syscall(SYS_exit, 0)
"#;

/// The hole the window closes, step by step: the task directory lists the
/// leader alone; then the leader leaves and a thread created after that
/// listing holds its children while the leader's file is read (empty);
/// then that thread execs and becomes the leader. The second listing is
/// the first again, every thread is alive: without the window the empty
/// answer is accepted.
#[test]
fn a_thread_born_after_the_listing_takes_the_leaders_place() {
    use std::io::Write;
    if !python_or_skip() {
        return;
    }
    let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
    let state = |pid: Pid, tid: Pid| {
        let stat = std::fs::read(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
        parse::stat(&stat).map(|st| st.state)
    };
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    for quiet in [false, true] {
        let mut child = Command::new("python3")
            .args(["-c", HEIR, "5"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let parent = Pid::from(&child);
        let mut input = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let kids: BTreeSet<Pid> = line
            .split_whitespace()
            .map(|w| Pid::from_raw(w.parse().unwrap()).unwrap())
            .collect();
        let guard = Churn {
            child,
            longs: Arc::default(),
        };
        let checks = Checks {
            quiet,
            ..Checks::ALL
        };
        let mut out = vec![Pid::ZERO; 64];
        let listed = fs.list_children_with(parent, &mut out, Scope::Own, checks, &mut |step| {
            let threads = || {
                std::fs::read_dir(format!("/proc/{parent}/task"))
                    .unwrap()
                    .count()
            };
            match step {
                Step::Opened(tid) if tid == parent => {
                    writeln!(input, "leave").unwrap();
                    wait("the leader never left", &|| {
                        state(parent, parent) == Some(b'Z')
                    });
                }
                Step::ReadAll(tid) if tid == parent => {
                    writeln!(input, "exec").unwrap();
                    wait("the heir never took over", &|| {
                        threads() == 1 && state(parent, parent).is_some_and(|s| s != b'Z')
                    });
                }
                _ => {}
            }
        });
        // Throughout, the children's parent was `parent`.
        let now = fast_children(parent);
        assert_eq!(now, kids, "the heir holds every child");
        match quiet {
            false => assert_eq!(listed, Some(Listed::Complete(0)), "the hole"),
            true => assert_eq!(listed, None, "the window declines"),
        }
        drop(guard);
    }
}

/// The children of `pid` from its leader's file, read with `std`.
fn fast_children(pid: Pid) -> BTreeSet<Pid> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|w| Pid::from_raw(w.parse().ok()?))
        .collect()
}

/// Under steady churn of both kinds the proven answers are never
/// wrong (and some are given).
#[test]
fn churn_never_gets_a_wrong_answer_through() {
    if !python_or_skip() {
        return;
    }
    for (script, args) in [
        (REAPING, &["400"][..]),
        (THREADS, &["16", "2", "400", "1"][..]),
    ] {
        let Some(churn) = Churn::spawn(script, args) else {
            panic!("the churning parent did not start");
        };
        let (given, wrong, declined) = run(&churn, Checks::ALL, Duration::from_secs(4));
        eprintln!("{args:?}: {given} answers, {wrong} wrong, {declined} declined");
        assert_eq!(wrong, 0);
        assert!(given > 0, "every answer declined");
    }
}

mod counted {
    use super::*;
    use std::path::Path;

    /// A parent with many children is, from its second query on, proven by
    /// the task counters when nothing exits meanwhile, and the answer is
    /// the same as the scan's.
    #[test]
    fn many_children_are_proven_by_the_counters() {
        use std::io::{BufRead, BufReader};
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        let n = MANY_CHILDREN + 44;
        let mut sh = Command::new("sh")
            .args([
                "-c",
                &format!("for i in $(seq {n}); do sleep 60 & done; echo ready; exec sleep 60"),
            ])
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(sh.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let parent = Pid::from(&sh);
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let mut out = vec![Pid::ZERO; 4096];
        let mut proofs = Vec::new();
        let mut answers = Vec::new();
        // Other processes come and go on a shared machine: some queries
        // may see a release and check each child instead.
        for _ in 0..50 {
            let mut seen = None;
            let listed =
                fs.list_children_with(parent, &mut out, Scope::Own, Checks::ALL, &mut |step| {
                    if let Step::Counted(ok) = step {
                        seen = Some(ok);
                    }
                });
            proofs.push(seen);
            if let Some(Listed::Complete(k)) = listed {
                answers.push(out[..k].to_vec());
            }
        }
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", sh.id())])
            .status();
        let _ = sh.wait();
        assert_eq!(
            proofs[0], None,
            "the first query knows nothing of the parent"
        );
        assert!(proofs[1..].iter().all(Option::is_some), "{proofs:?}");
        assert!(
            proofs.contains(&Some(true)),
            "the counters never proved an answer"
        );
        assert!(
            answers.iter().all(|a| a.len() == n),
            "every answer complete"
        );
    }
}
