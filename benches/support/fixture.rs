//! Processes the benchmarks query: a few children of the bench process in a
//! group of their own, a child with a controlling terminal, and a crowd of
//! thousands of extra processes. Every spawn is undone by a `Drop` guard
//! (which also runs when a benchmark panics), and every spawned process exits
//! by itself once the bench process is gone, even if it is killed outright:
//! the children block reading a pipe the bench holds.

use std::fs;
use std::io::{self, BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The uid of `nobody`, which the `uid nobody` group asks about.
pub const NOBODY: u32 = 65534;

/// Sends SIGKILL to `target` (a pid, or `-pgid` for a whole group) with
/// `kill(1)`; errors are ignored, the target may be gone already.
fn kill(target: &str) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The pids listed in `/proc/<pid>/task/<pid>/children`.
fn children_of(pid: u32) -> Vec<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Polls `done` every 5 ms until it holds or `limit` passes.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
    true
}

/// How many processes `/proc` lists now.
pub fn process_count() -> usize {
    fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| n.parse::<u32>().is_ok())
                })
                .count()
        })
        .unwrap_or(0)
}

/// A child with a controlling terminal: `script(1)` runs `cat` on a fresh
/// pty, and `cat`'s controlling terminal is that pty.
pub struct TtyChild {
    script: Child,
    /// The `cat` on the pty (a child of `script`, not of the bench).
    pub pid: i32,
    /// The pty's `st_rdev`.
    pub rdev: u64,
}

impl TtyChild {
    fn spawn() -> io::Result<TtyChild> {
        let mut script = Command::new("script")
            .args(["-qfec", "exec cat", "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let id = script.id();
        // The inner process has its terminal once it runs `cat`.
        let mut inner = None;
        let ready = wait_until(Duration::from_secs(5), || {
            inner = children_of(id).into_iter().find(|&kid| {
                fs::read_to_string(format!("/proc/{kid}/comm")).is_ok_and(|c| c.trim() == "cat")
            });
            inner.is_some()
        });
        let found = inner.filter(|_| ready).and_then(|pid| {
            let meta = fs::metadata(format!("/proc/{pid}/fd/0")).ok()?;
            Some((pid, meta.rdev()))
        });
        match found {
            Some((pid, rdev)) => Ok(TtyChild { script, pid, rdev }),
            None => {
                let _ = script.kill();
                let _ = script.wait();
                Err(io::Error::other("script(1) did not start cat on a pty"))
            }
        }
    }
}

impl Drop for TtyChild {
    fn drop(&mut self) {
        kill(&self.pid.to_string());
        let _ = self.script.kill();
        let _ = self.script.wait();
    }
}

/// The processes every filter is asked about.
pub struct Fixture {
    /// Children of the bench process (`cat`, blocked on a pipe), all in the
    /// process group of the first one.
    pub group: Vec<Child>,
    /// Their process group id.
    pub pgrp: i32,
    /// Children running as `nobody` (uid 65534), when the bench runs as
    /// root and `setpriv(1)` is available.
    pub nobody: Vec<Child>,
    /// A child with a controlling terminal, if `script(1)` is available.
    pub tty: Option<TtyChild>,
    /// Why there is no `tty`.
    pub tty_skip: Option<String>,
}

impl Fixture {
    /// Spawns `n` (at least 1) children in a new process group, and a pty
    /// child.
    pub fn spawn(n: usize) -> io::Result<Fixture> {
        let mut fixture = Fixture {
            group: Vec::new(),
            pgrp: 0,
            nobody: Vec::new(),
            tty: None,
            tty_skip: None,
        };
        for _ in 0..n.max(1) {
            let child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .process_group(fixture.pgrp)
                .spawn()?;
            if fixture.pgrp == 0 {
                fixture.pgrp = child.id() as i32;
            }
            fixture.group.push(child);
        }
        let root = fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        for _ in 0..if root { 2 } else { 0 } {
            let spawned = Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            match spawned {
                Ok(child) => fixture.nobody.push(child),
                Err(_) => break,
            }
        }
        let nobody_ready = wait_until(Duration::from_secs(5), || {
            fixture.nobody.iter().all(|c| {
                fs::metadata(format!("/proc/{}", c.id())).is_ok_and(|m| m.uid() == NOBODY)
                    && fs::read_to_string(format!("/proc/{}/comm", c.id()))
                        .is_ok_and(|c| c.trim() == "cat")
            })
        });
        if !nobody_ready {
            return Err(io::Error::other("setpriv children did not start"));
        }
        match TtyChild::spawn() {
            Ok(tty) => fixture.tty = Some(tty),
            Err(e) => fixture.tty_skip = Some(e.to_string()),
        }
        // Every child has exec'd `cat` once it is in its group: `kill` and
        // `wait` below are then the only way the answers change.
        let pgrp = fixture.pgrp;
        let settled = wait_until(Duration::from_secs(5), || {
            fixture.group.iter().all(|c| {
                fs::read_to_string(format!("/proc/{}/stat", c.id())).is_ok_and(|s| {
                    let tail = s.rsplit_once(')').map_or("", |(_, t)| t);
                    tail.split_whitespace().nth(2) == Some(&pgrp.to_string())
                }) && fs::read_to_string(format!("/proc/{}/comm", c.id()))
                    .is_ok_and(|c| c.trim() == "cat")
            })
        });
        if !settled {
            return Err(io::Error::other("children did not start"));
        }
        Ok(fixture)
    }

    /// The sorted pids of the bench process's children.
    pub fn children(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self
            .group
            .iter()
            .chain(&self.nobody)
            .map(|c| c.id() as i32)
            .collect();
        if let Some(tty) = &self.tty {
            pids.push(tty.script.id() as i32);
        }
        pids.sort_unstable();
        pids
    }

    /// The sorted pids of the children running as [`NOBODY`].
    pub fn nobody_pids(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self.nobody.iter().map(|c| c.id() as i32).collect();
        pids.sort_unstable();
        pids
    }

    /// The sorted pids of the spawned process group.
    pub fn group_pids(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self.group.iter().map(|c| c.id() as i32).collect();
        pids.sort_unstable();
        pids
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for child in self.group.iter_mut().chain(&mut self.nobody) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Thousands of extra `sleep` processes in a process group of their own,
/// children of one `sh` (not of the bench process, so the bench's `ppid`
/// answer does not change with the crowd).
pub struct Crowd {
    sh: Child,
    stdin: Option<ChildStdin>,
    members: Vec<i32>,
}

/// The crowd sizes to scale to: `PIDQUERY_BENCH_EXTRA` (comma-separated,
/// `0` or empty for none), else 1,000, or 100 under `--test`.
pub fn crowd_sizes(test_mode: bool) -> Vec<usize> {
    let spec = std::env::var("PIDQUERY_BENCH_EXTRA")
        .unwrap_or_else(|_| if test_mode { "100" } else { "1000" }.to_owned());
    spec.split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .collect()
}

/// `wanted`, lowered to [`crowd_limit`] (and said so).
pub fn crowd_allowed(wanted: usize) -> usize {
    let n = wanted.min(crowd_limit());
    if n < wanted {
        eprintln!("scale: {wanted} extra processes lowered to {n} (machine limit)");
    }
    n
}

/// The largest crowd this machine allows: under `pid_max`, the process limit
/// and free memory (1 MiB per process, far above a `sleep`'s cost), keeping
/// 4,096 pids spare for everyone else.
pub fn crowd_limit() -> usize {
    let read_num = |path: &str, key: Option<&str>| -> Option<usize> {
        let text = fs::read_to_string(path).ok()?;
        match key {
            None => text.trim().parse().ok(),
            Some(key) => text
                .lines()
                .find(|l| l.starts_with(key))?
                .trim_start_matches(key)
                .split_whitespace()
                .next()?
                .parse()
                .ok(),
        }
    };
    let pid_max = read_num("/proc/sys/kernel/pid_max", None).unwrap_or(32_768);
    let threads_max = read_num("/proc/sys/kernel/threads-max", None).unwrap_or(usize::MAX);
    let nproc = read_num("/proc/self/limits", Some("Max processes")).unwrap_or(usize::MAX);
    let mem_mib =
        read_num("/proc/meminfo", Some("MemAvailable:")).map_or(usize::MAX, |kib| kib / 1024);
    let used = process_count();
    pid_max
        .min(threads_max)
        .min(nproc)
        .saturating_sub(used + 4096)
        .min(mem_mib)
}

impl Crowd {
    /// Spawns `n` extra processes and waits until all of them exist.
    pub fn spawn(n: usize) -> io::Result<Crowd> {
        // The loop forks every `sleep`; once the bench closes the pipe (or
        // dies), `read` returns and the shell kills its whole group.
        const SCRIPT: &str = r#"i=0
while [ "$i" -lt "$1" ]; do sleep 86400 </dev/null >/dev/null 2>&1 & i=$((i+1)); done
echo ready
read _
kill -9 0"#;
        let mut sh = Command::new("sh")
            .args(["-c", SCRIPT, "sh", &n.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdin = sh.stdin.take();
        let mut crowd = Crowd {
            stdin,
            members: Vec::new(),
            sh,
        };
        let mut line = String::new();
        if let Some(out) = crowd.sh.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let id = crowd.sh.id();
        let complete = wait_until(Duration::from_secs(30), || {
            crowd.members = children_of(id);
            crowd.members.len() >= n
        });
        if line.trim() != "ready" || !complete {
            return Err(io::Error::other(format!(
                "spawned {} of {n} extra processes",
                crowd.members.len()
            )));
        }
        Ok(crowd)
    }

    /// How many extra processes there are.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The shell that forked them: a child of the bench process.
    pub fn sh_pid(&self) -> i32 {
        self.sh.id() as i32
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        drop(self.stdin.take());
        kill(&format!("-{}", self.sh.id()));
        let _ = self.sh.wait();
        // Let init reap them, so the next measurement starts from a quiet table.
        let mut left = std::mem::take(&mut self.members);
        wait_until(Duration::from_secs(30), || {
            left.retain(|pid| Path::new(&format!("/proc/{pid}")).exists());
            left.is_empty()
        });
    }
}

/// A three-level tree of `1 + middles × (1 + leaves)` processes in a
/// process group of its own: a `sh` (the root, a child of the bench,
/// blocked reading a pipe) → `middles` `sleep`s → `leaves` `sleep`s each.
/// When the pipe closes the root kills the whole group.
pub struct Tree {
    sh: Child,
    stdin: Option<ChildStdin>,
    /// Every process below the root, sorted.
    pub below: Vec<i32>,
}

impl Tree {
    /// Spawns the tree and waits until every process runs `sleep`.
    pub fn spawn(middles: usize, leaves: usize) -> io::Result<Tree> {
        let middle = format!(
            "i=0; while [ $i -lt {leaves} ]; do sleep 86400 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; exec sleep 86400"
        );
        let script = format!(
            "i=0; while [ $i -lt {middles} ]; do sh -c '{middle}' </dev/null >/dev/null 2>&1 & i=$((i+1)); done\necho ready\nread _\nkill -9 0"
        );
        let mut sh = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdin = sh.stdin.take();
        let mut tree = Tree {
            stdin,
            below: Vec::new(),
            sh,
        };
        let mut line = String::new();
        if let Some(out) = tree.sh.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let root = tree.sh.id();
        let want = middles * (1 + leaves);
        let complete = wait_until(Duration::from_secs(60), || {
            let middles = children_of(root);
            let mut below = middles.clone();
            for &m in &middles {
                below.extend(children_of(m as u32));
            }
            below.sort_unstable();
            let ready = below.len() == want
                && below.iter().all(|p| {
                    fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "sleep")
                });
            tree.below = below;
            ready
        });
        if line.trim() != "ready" || !complete {
            return Err(io::Error::other(format!(
                "tree: {} of {want} processes started",
                tree.below.len()
            )));
        }
        Ok(tree)
    }

    /// The root: a child of the bench.
    pub fn root(&self) -> i32 {
        self.sh.id() as i32
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        drop(self.stdin.take());
        kill(&format!("-{}", self.sh.id()));
        let _ = self.sh.wait();
    }
}

/// A multi-threaded parent with a few children: a `python3` (four threads
/// beside the main one, blocked) whose children are `cat`s reading pipes it
/// holds, one forked by the main thread and the others by other threads.
/// It exits when its stdin closes, and the `cat`s when it is gone.
pub struct Threaded {
    python: Child,
    stdin: Option<ChildStdin>,
    /// Its children, sorted.
    pub children: Vec<i32>,
}

impl Threaded {
    pub fn spawn(children: usize) -> io::Result<Threaded> {
        const PY: &str = r#"
import subprocess, sys, threading
n = int(sys.argv[1])
kids = []
lock = threading.Lock()
def fork():
    p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    with lock:
        kids.append(p)
    threading.Event().wait()
kids.append(subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL))
for _ in range(max(n - 1, 0)):
    threading.Thread(target=fork, daemon=True).start()
for _ in range(4 - max(n - 1, 0)):
    threading.Thread(target=threading.Event().wait, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"#;
        let mut python = Command::new("python3")
            .args(["-c", PY, &children.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = python.stdin.take();
        let mut line = String::new();
        if let Some(out) = python.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let mut threaded = Threaded {
            stdin,
            children: Vec::new(),
            python,
        };
        let pid = threaded.python.id();
        let ready = wait_until(Duration::from_secs(30), || {
            let mut kids = Vec::new();
            if let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) {
                for task in tasks.flatten() {
                    let list = fs::read_to_string(task.path().join("children")).unwrap_or_default();
                    kids.extend(
                        list.split_whitespace()
                            .filter_map(|s| s.parse::<i32>().ok()),
                    );
                }
            }
            kids.sort_unstable();
            let ready = kids.len() == children
                && kids.iter().all(|k| {
                    fs::read_to_string(format!("/proc/{k}/comm")).is_ok_and(|c| c.trim() == "cat")
                });
            threaded.children = kids;
            ready
        });
        if line.trim() != "ready" || !ready {
            return Err(io::Error::other("python3 did not start its children"));
        }
        Ok(threaded)
    }

    pub fn pid(&self) -> i32 {
        self.python.id() as i32
    }

    /// How many threads it has now.
    pub fn threads(&self) -> usize {
        fs::read_dir(format!("/proc/{}/task", self.python.id())).map_or(0, |d| d.count())
    }
}

impl Drop for Threaded {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.python.wait();
    }
}

impl Crowd {
    /// The extra processes, sorted.
    pub fn members(&self) -> Vec<i32> {
        let mut m = self.members.clone();
        m.sort_unstable();
        m
    }
}
