//! Unit tests of the `children`-file answer against live processes:
//! families of every shape equal the scan, and what cannot be proven
//! declines.
use super::*;
use crate::Filter;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// A parent process in a process group of its own, killed with its
/// group (so every child it made dies too) on drop.
struct Parent {
    child: Child,
    lines: BufReader<ChildStdout>,
}

impl Parent {
    fn spawn(cmd: &mut Command) -> Parent {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap());
        Parent { child, lines }
    }

    /// `sh -c script`.
    fn sh(script: &str) -> Parent {
        Parent::spawn(Command::new("sh").args(["-c", script]))
    }

    /// `python3 -c script args...`, or `None` (with a message) when
    /// there is no python3.
    fn python(script: &str, args: &[&str]) -> Option<Parent> {
        let ok = Command::new("python3")
            .arg("-c")
            .arg("pass")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: no python3");
            return None;
        }
        Some(Parent::spawn(
            Command::new("python3").arg("-c").arg(script).args(args),
        ))
    }

    /// The next line the parent prints, as pids.
    fn pids(&mut self) -> Vec<Pid> {
        let mut line = String::new();
        self.lines.read_line(&mut line).unwrap();
        let mut pids: Vec<Pid> = line
            .split_whitespace()
            .map(|p| Pid::from_raw(p.parse().unwrap()).unwrap())
            .collect();
        pids.sort_unstable();
        pids
    }

    fn pid(&self) -> Pid {
        Pid::from(&self.child)
    }
}

impl Drop for Parent {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

/// A `sh` whose only children are `n` sleepers and, with `zombie`, one
/// exited child it has not reaped (`sh` then execs a `sleep` that never
/// reaps it; only builtins run between that fork and the exec).
fn family(n: usize, zombie: bool) -> (Parent, Vec<Pid>) {
    let z = if zombie {
        "(exit 0) & p=\"$p $!\"; "
    } else {
        ""
    };
    let mut parent = Parent::sh(&format!(
        "p=; for i in $(seq {n}); do sleep 60 & p=\"$p $!\"; done; {z}echo $p; exec sleep 60"
    ));
    let kids = parent.pids();
    assert_eq!(kids.len(), n + usize::from(zombie));
    settle(parent.pid(), &kids, zombie);
    (parent, kids)
}

/// Waits (up to 10 s) until `parent` has become `sleep` and, with
/// `zombie`, one of `kids` has finished exiting (state `Z`): the family
/// then stays as it is until it is killed.
fn settle(parent: Pid, kids: &[Pid], zombie: bool) {
    let state = |pid: Pid| {
        let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
        parse::stat(&stat).map(|st| st.state)
    };
    let settled = || {
        let comm = std::fs::read(format!("/proc/{parent}/comm")).unwrap_or_default();
        comm == b"sleep\n" && kids.iter().any(|&k| state(k) == Some(b'Z')) == zombie
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !settled() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(settled(), "the family of {parent} never settled");
}

/// A python parent with `threads` threads (the main one included), each
/// of which spawns `per_thread` sleeps and, with `zombie`, one child that
/// exits at once and is never reaped; prints the children, then keeps
/// every thread alive. With `leader_exits`, the main thread then exits
/// (`pthread_exit`): the process lives on with a zombie leader, whose
/// children the kernel hands to a live thread.
const THREADED: &str = r#"
import ctypes, os, sys, threading, time
threads, per, zombie, leader_exits = (int(a) for a in sys.argv[1:5])
kids, lock, spawned, forever = [], threading.Lock(), threading.Barrier(threads), threading.Event()
def work():
    mine = [os.posix_spawn("/bin/sleep", ["sleep", "60"], os.environ) for _ in range(per)]
    if zombie:
        mine.append(os.posix_spawn("/bin/true", ["true"], os.environ))
    with lock:
        kids.extend(mine)
    spawned.wait()
    forever.wait()
for _ in range(threads - 1):
    threading.Thread(target=work, daemon=True).start()
mine = [os.posix_spawn("/bin/sleep", ["sleep", "60"], os.environ) for _ in range(per)]
with lock:
    kids.extend(mine)
spawned.wait()
with lock:
    print(" ".join(map(str, kids)), flush=True)
if leader_exits:
    ctypes.CDLL(None).pthread_exit(None)
forever.wait()
"#;

fn threaded(
    threads: usize,
    per: usize,
    zombie: bool,
    leader_exits: bool,
) -> Option<(Parent, Vec<Pid>)> {
    let args = [
        threads.to_string(),
        per.to_string(),
        u8::from(zombie).to_string(),
        u8::from(leader_exits).to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut parent = Parent::python(THREADED, &args)?;
    let kids = parent.pids();
    let want = (threads - 1) * (per + usize::from(zombie)) + per;
    assert_eq!(kids.len(), want);
    Some((parent, kids))
}

fn proc_root() -> ProcFs {
    ProcFs::open_root(Path::new("/proc")).unwrap()
}

fn answer(listed: Listed, out: &[Pid]) -> Vec<Pid> {
    match listed {
        Listed::Complete(n) => out[..n].to_vec(),
        Listed::Full { needed } => panic!("unexpectedly full, needed {needed:?}"),
    }
}

/// The scan's answer, through the files only.
fn scanned(fs: &ProcFs, ppid: Pid) -> Vec<Pid> {
    let mut out = vec![Pid::ZERO; 4096];
    let listed = fs
        .scan_with(
            Filter::Ppid(ppid),
            crate::sys::linux::scan::Plan::FILES,
            &mut out,
        )
        .unwrap();
    answer(listed, &out)
}

/// The children-file answer, which must be given.
///
/// A task created anywhere meanwhile declines an answer, and other
/// tests create tasks: it is asked up to 200 times.
fn fast(fs: &ProcFs, ppid: Pid) -> Option<Vec<Pid>> {
    let mut out = vec![Pid::ZERO; 4096];
    for _ in 0..200 {
        if let Some(listed) = fs.list_children(ppid, &mut out) {
            return Some(answer(listed, &out));
        }
        if fs.no_children_file.load(Ordering::Relaxed) {
            eprintln!("skipped: this kernel has no children files");
            return None;
        }
    }
    panic!("ppid {ppid}: the children files were declined")
}

/// Thread ids of `pid`, from its task directory.
fn threads_of(pid: Pid) -> Vec<Pid> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|e| Pid::from_raw(e.ok()?.file_name().to_str()?.parse().ok()?))
        .collect()
}

#[test]
fn single_threaded_parents_equal_the_scan() {
    let fs = proc_root();
    for (n, zombie) in [(0, false), (1, false), (5, true), (40, false)] {
        let (parent, kids) = family(n, zombie);
        let Some(fast) = fast(&fs, parent.pid()) else {
            return;
        };
        assert_eq!(fast, scanned(&fs, parent.pid()));
        assert_eq!(fast, kids);
    }
}

#[test]
fn multi_threaded_parents_equal_the_scan() {
    let fs = proc_root();
    for (threads, per, zombie) in [(4, 2, false), (8, 3, true), (2, 0, true), (16, 1, false)] {
        let Some((parent, kids)) = threaded(threads, per, zombie, false) else {
            return;
        };
        assert_eq!(threads_of(parent.pid()).len(), threads);
        // The children really are spread over the threads.
        let main =
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", parent.pid())).unwrap();
        let main: Vec<&str> = main.split_whitespace().collect();
        if per > 0 {
            assert!(main.len() < kids.len(), "all children on the main thread");
        }
        let Some(fast) = fast(&fs, parent.pid()) else {
            return;
        };
        assert_eq!(fast, scanned(&fs, parent.pid()), "{threads} threads");
        assert_eq!(fast, kids, "{threads} threads");
    }
}

#[test]
fn a_zombie_leaders_children_move_to_a_live_thread() {
    let fs = proc_root();
    let Some((parent, kids)) = threaded(3, 2, true, true) else {
        return;
    };
    let stat = format!("/proc/{}/task/{}/stat", parent.pid(), parent.pid());
    let started = Instant::now();
    while !std::fs::read_to_string(&stat).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, t)| t.trim_start().starts_with('Z'))
    }) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the leader never exited"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let Some(fast) = fast(&fs, parent.pid()) else {
        return;
    };
    assert_eq!(fast, scanned(&fs, parent.pid()));
    assert_eq!(fast, kids);
}

#[test]
fn traced_children_stay_with_their_parent() {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    if !root || !Path::new("/usr/bin/strace").exists() {
        eprintln!("skipped: needs root and strace");
        return;
    }
    let fs = proc_root();
    let (parent, kids) = family(3, false);
    let mut tracer = Command::new("strace")
        .args(["-qq", "-o", "/dev/null", "-p", &kids[0].to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", kids[0]);
    let want = format!("TracerPid:\t{}", tracer.id());
    let started = Instant::now();
    while !std::fs::read_to_string(&status).is_ok_and(|s| s.contains(&want)) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "strace never attached"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let got = fast(&fs, parent.pid());
    let tracer_pid = Pid::from_raw(tracer.id() as i32).unwrap();
    let by_tracer = fs.list_children(tracer_pid, &mut [Pid::ZERO; 64]);
    tracer.kill().unwrap();
    tracer.wait().unwrap();
    let Some(got) = got else {
        return;
    };
    assert_eq!(got, kids);
    // The tracer's children files do not list its tracee.
    if let Some(listed) = by_tracer {
        assert_eq!(listed, Listed::Complete(0));
    }
}

#[test]
fn declines_what_it_cannot_prove() {
    let fs = proc_root();
    let (parent, _kids) = family(5, false);
    // Too little room: the scan must count the children exactly.
    let mut small = [Pid::ZERO; 4];
    assert_eq!(fs.list_children(parent.pid(), &mut small), None);
    let mut out = [Pid::ZERO; 64];
    // No such parent, and pid 0: left to the scan.
    assert_eq!(
        fs.list_children(Pid::from_raw(i32::MAX).unwrap(), &mut out),
        None
    );
    assert_eq!(fs.list_children(Pid::ZERO, &mut out), None);
    // A thread that is not its process's leader is nobody's parent,
    // though `/proc/<tid>/task` lists its whole thread group.
    let Some((parent, kids)) = threaded(3, 2, false, false) else {
        return;
    };
    assert!(!kids.is_empty());
    for tid in threads_of(parent.pid()) {
        if tid != parent.pid() {
            assert_eq!(fs.list_children(tid, &mut out), None, "thread {tid}");
            assert_eq!(scanned(&fs, tid), []);
        }
    }
}

#[test]
fn is_process_tells_leaders_from_threads() {
    let fs = proc_root();
    assert_eq!(fs.is_process(Pid::this()), Some(true));
    assert_eq!(fs.is_process(Pid::from_raw(1).unwrap()), Some(true));
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let link = std::fs::read_link("/proc/thread-self").unwrap();
        let tid: i32 = link.file_name().unwrap().to_str().unwrap().parse().unwrap();
        tx.send(tid).unwrap();
        done_rx.recv().unwrap();
    });
    let tid = Pid::from_raw(rx.recv().unwrap()).unwrap();
    assert_eq!(fs.is_process(tid), Some(false));
    done_tx.send(()).unwrap();
    thread.join().unwrap();
    assert_ne!(fs.is_process(Pid::from_raw(i32::MAX).unwrap()), Some(true));
}
