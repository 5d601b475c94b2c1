//! The hostile live tests' own machinery: re-execution of the test binary
//! in a "child mode" (under `unshare`, `setpriv`, `prlimit`, ...), checks on
//! the crate's answers, and a temporary directory.
//!
//! A re-executed child runs the `#[ignore]`d test `child_entry` of its own
//! binary with `PIDQUERY_HOSTILE_MODE` set, and reports on stdout in lines
//! `PQ <key> <words...>` that [`Report`] parses.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pidquery::{Error, Pid, PidBuf, PidQuery, System};

/// The environment variable that switches a re-executed test binary into
/// a child mode.
pub const MODE_VAR: &str = "PIDQUERY_HOSTILE_MODE";
/// Arguments of the child mode.
pub const ARGS_VAR: &str = "PIDQUERY_HOSTILE_ARGS";

/// How long a re-executed child is usually given to finish.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Raw pid numbers of a slice.
pub fn raw(pids: &[Pid]) -> Vec<i32> {
    pids.iter().map(|p| p.as_raw()).collect()
}

/// Asserts strictly ascending order (hence no duplicates).
pub fn assert_ascending(what: &str, pids: &[i32]) {
    if let Some(w) = pids.windows(2).find(|w| w[0] >= w[1]) {
        panic!(
            "{what}: not strictly ascending at {} then {} ({} pids)",
            w[0],
            w[1],
            pids.len()
        );
    }
}

/// Asserts `want ⊆ got` naming the first missing pid.
pub fn assert_contains_all(what: &str, got: &[i32], want: &[i32]) {
    let got: BTreeSet<i32> = got.iter().copied().collect();
    let missing: Vec<i32> = want.iter().copied().filter(|p| !got.contains(p)).collect();
    assert!(
        missing.is_empty(),
        "{what}: missing {} of {} expected pids, e.g. {:?}",
        missing.len(),
        want.len(),
        &missing[..missing.len().min(10)]
    );
}

/// Runs `query` on `system` into `buf` and returns the raw pids, checking
/// order on the way.
pub fn run(system: &System, what: &str, query: &PidQuery, buf: &mut PidBuf) -> Vec<i32> {
    let pids = system
        .fill(query, buf)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let pids = raw(pids);
    assert_ascending(what, &pids);
    pids
}

/// A directory under the system temp dir, world-readable, removed on drop
/// (after unmounting nothing: mounts made in it live in private mount
/// namespaces that die with their processes).
pub struct TempDir {
    /// The directory.
    pub path: PathBuf,
}

impl TempDir {
    /// Creates a fresh directory whose name holds `tag`, this process's id
    /// and a counter.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("pidquery-hostile-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
        TempDir { path }
    }

    /// An empty subdirectory (a mount point).
    pub fn subdir(&self, name: &str) -> PathBuf {
        let dir = self.path.join(name);
        fs::create_dir_all(&dir).expect("create subdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod subdir");
        dir
    }

    /// A copy of the running test binary that any user may execute.
    pub fn exe_copy(&self) -> PathBuf {
        let exe = std::env::current_exe().expect("current_exe");
        let copy = self.path.join("child-exe");
        fs::copy(&exe, &copy).expect("copy test binary");
        fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).expect("chmod copy");
        copy
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Arguments that make a test binary run only `child_entry`.
pub fn child_args() -> [&'static str; 6] {
    [
        "--ignored",
        "--exact",
        "child_entry",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ]
}

/// A shell-quoted command line running `exe` in child mode `mode`.
pub fn child_cmdline(exe: &Path, mode: &str, args: &str) -> String {
    let mut line = format!(
        "env {}={} {}={} {}",
        MODE_VAR,
        shell_quote(mode),
        ARGS_VAR,
        shell_quote(args),
        shell_quote(&exe.display().to_string())
    );
    for a in child_args() {
        line.push(' ');
        line.push_str(a);
    }
    line
}

/// Quotes `s` for `sh`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `cmd` (which re-executes a test binary somewhere inside) with a
/// time limit, killing it on timeout, and returns what the child reported.
/// `cmd` must not leave grandchildren behind on its own.
pub fn run_child(mut cmd: Command, limit: Duration) -> Report {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let desc = format!("{cmd:?}");
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {desc}: {e}"));
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{desc} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    };
    Report::parse(&desc, out)
}

/// What a child reported: `PQ <key> <words...>` lines by key.
#[derive(Debug)]
pub struct Report {
    /// The command that ran, for messages.
    pub desc: String,
    /// The words after `PQ <key>`, by key.
    pub lines: BTreeMap<String, Vec<String>>,
    /// Everything the child printed on stdout.
    pub stdout: String,
    /// Everything the child printed on stderr.
    pub stderr: String,
}

impl Report {
    /// Collects the `PQ` lines of a child that succeeded and reported
    /// `done`; fails the test otherwise.
    fn parse(desc: &str, out: Output) -> Report {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "{desc} failed with {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        let mut lines = BTreeMap::new();
        for line in BufReader::new(stdout.as_bytes()).lines() {
            let line = line.expect("utf-8");
            let line = line.trim_end_matches('\r');
            let mut words = line.split(' ');
            if words.next() != Some("PQ") {
                continue;
            }
            let key = words.next().expect("key").to_string();
            let rest: Vec<String> = words
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect();
            lines.insert(key, rest);
        }
        assert!(
            lines.contains_key("done"),
            "{desc} did not report completion\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        Report {
            desc: desc.to_string(),
            lines,
            stdout,
            stderr,
        }
    }

    /// The words of line `key`.
    pub fn words(&self, key: &str) -> &[String] {
        self.lines.get(key).unwrap_or_else(|| {
            panic!(
                "{}: no `PQ {key}` line\nstdout:\n{}\nstderr:\n{}",
                self.desc, self.stdout, self.stderr
            )
        })
    }

    /// The pids of an `ok` query line; panics with the child's error line.
    pub fn ok_pids(&self, key: &str) -> Vec<i32> {
        let words = self.words(key);
        assert_eq!(
            words.first().map(String::as_str),
            Some("ok"),
            "{}: query {key} failed in the child: {:?}",
            self.desc,
            words
        );
        words[1..].iter().map(|w| w.parse().expect("pid")).collect()
    }

    /// The first word of line `key`, as an integer.
    pub fn int(&self, key: &str) -> i64 {
        self.words(key)[0].parse().expect("integer")
    }
}

/// Prints a query's result as a report line (child side).
pub fn report_query(key: &str, result: Result<&[Pid], Error>) {
    match result {
        Ok(pids) => {
            let mut line = format!("PQ {key} ok");
            for p in pids {
                line.push(' ');
                line.push_str(&p.to_string());
            }
            println!("{line}");
        }
        Err(e) => println!(
            "PQ {key} err {} {:?} {}",
            e.errno().map_or(0, |e| e.raw()),
            e.kind(),
            e.to_string().replace('\n', "\\n")
        ),
    }
}

/// Parses a query spec `name=value` (`all`, `uid=N`, `ruid=N`, `ppid=P`,
/// `pgrp=P`, `tty=DEV`).
pub fn parse_query(spec: &str) -> PidQuery {
    let (name, value) = spec.split_once('=').unwrap_or((spec, ""));
    let num = || -> i64 { value.parse().unwrap_or_else(|_| panic!("bad query {spec}")) };
    let pid = || Pid::from_raw(num() as i32).expect("non-negative pid");
    match name {
        "all" => PidQuery::all(),
        "uid" => PidQuery::uid(num() as u32),
        "ruid" => PidQuery::ruid(num() as u32),
        "ppid" => PidQuery::ppid(pid()),
        "pgrp" => PidQuery::pgrp(pid()),
        "tty" => PidQuery::tty(pidquery::Dev::from_raw(num() as u64)),
        _ => panic!("unknown query {spec}"),
    }
}

/// A uid very unlikely to be used by anything else on the machine while
/// this test runs.
pub fn private_uid(salt: u32) -> u32 {
    40_000 + (std::process::id() % 5_000) * 4 + salt % 4
}

/// Runs this binary in child mode `mode` under `unshare flags`, calling
/// `setup` with the `unshare` process's pid once it runs; the `PQ` lines.
pub fn run_unshared(
    flags: &[&str],
    mode: &str,
    args: &str,
    setup: impl FnOnce(u32),
) -> BTreeMap<String, Vec<String>> {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new("unshare");
    cmd.args(flags)
        .args(["--fork", "--kill-child"])
        .arg(&exe)
        .args(child_args())
        .env(MODE_VAR, mode)
        .env(ARGS_VAR, args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn unshare");
    setup(child.id());
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut text = String::new();
    let _ = stdout.read_to_string(&mut text);
    let status = child.wait().expect("wait");
    let errors = err_reader.join().expect("stderr");
    assert!(
        status.success(),
        "{mode}: {status:?}\nstdout:\n{text}\nstderr:\n{errors}"
    );
    let lines: BTreeMap<String, Vec<String>> = text
        .lines()
        .filter_map(|l| l.strip_prefix("PQ "))
        .map(|l| {
            let mut words = l.split(' ').map(str::to_string);
            (words.next().unwrap_or_default(), words.collect())
        })
        .collect();
    assert!(
        lines.contains_key("done"),
        "{mode}: no completion\nstdout:\n{text}\nstderr:\n{errors}"
    );
    lines
}

pub fn int(lines: &BTreeMap<String, Vec<String>>, key: &str) -> i64 {
    lines
        .get(key)
        .and_then(|w| w.first())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no `PQ {key}` line: {lines:?}"))
}
