//! `pidgrep` against the system's own `pgrep` (procps-ng 4.0) for what the
//! randomized test does not draw: `-w` over a process whose threads have
//! their own names and one whose main thread has exited (a zombie leader
//! with a live thread), `-F`/`-L` over pidfiles of every shape and lock,
//! `-t` in each spelling (`?`, `pts/N`, `/dev/pts/N`, links), `-v` with
//! other conditions, and `-h` (through a link named `pidgrep`, so that
//! both print the same program name). Standard output and exit status
//! must agree; a difference must persist over retries to count.

#[allow(dead_code)]
#[path = "../../tests/support/query_fixture.rs"]
mod fixture;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use support::{mismatches, pgrep_or_skip, words, SERIAL};

/// A session of its own (led by `main`) whose main process runs three
/// named threads (`thrworker_a`, `other_b`, and one named past 15 bytes),
/// and a child (`zleader`) whose main thread has exited while its thread
/// `zlive` sleeps on.
struct Threaded {
    child: Child,
    main: String,
    zleader: String,
}

const THREADED: &str = r#"
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None)
def name(n):
    libc.prctl(15, n, 0, 0, 0)
def sleeper(n):
    name(n)
    time.sleep(100000)
os.setsid()
z = os.fork()
if z == 0:
    threading.Thread(target=sleeper, args=(b"zlive",), daemon=True).start()
    name(b"zleader")
    time.sleep(0.2)
    libc.pthread_exit(None)
for n in (b"thrworker_a", b"other_b", b"a_thread_named_longer"):
    threading.Thread(target=sleeper, args=(n,), daemon=True).start()
name(b"thrmain")
def settled():
    me = os.getpid()
    mine = [open(f"/proc/{me}/task/{t}/comm").read() for t in os.listdir(f"/proc/{me}/task")]
    zstat = open(f"/proc/{z}/stat").read()
    return len(mine) == 4 and "thrmain\n" in mine and "zlive\n" in [
        open(f"/proc/{z}/task/{t}/comm").read() for t in os.listdir(f"/proc/{z}/task")
    ] and zstat[zstat.rindex(")") + 2] == "Z"
while not settled():
    time.sleep(0.01)
print(os.getpid(), z, flush=True)
sys.stdin.read()
os.kill(z, 9)
"#;

impl Threaded {
    fn start() -> Threaded {
        let mut child = Command::new("python3")
            .args(["-c", THREADED])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let mut ids = line.split_whitespace().map(String::from);
        let (main, zleader) = (ids.next().expect("ready"), ids.next().expect("ready"));
        Threaded {
            child,
            main,
            zleader,
        }
    }
}

impl Drop for Threaded {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn report(test: &str, bad: &[String], of: usize) {
    for d in bad {
        eprintln!("{d}");
    }
    assert!(bad.is_empty(), "{test}: {} of {of} cases differ", bad.len());
}

#[test]
fn threads_match_pgrep() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !pgrep_or_skip("threads_match_pgrep") {
        return;
    }
    let t = Threaded::start();
    let (s, z) = (t.main.as_str(), t.zleader.as_str());
    let dir = std::env::temp_dir().join(format!("pidgrep-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zfile = dir.join("z.pid");
    std::fs::write(&zfile, format!("{z}\n")).unwrap();
    let zfile = zfile.to_str().unwrap();
    // The test binary's parent: its children are this (multithreaded)
    // binary, an ancestor of both tools.
    let cargo = std::os::unix::process::parent_id().to_string();
    let cases = words(&[
        &["-w", "-s", s],
        &["-wl", "-s", s],
        &["-wa", "-s", s],
        &["-wc", "-s", s],
        &["-w", "-d", ",", "-s", s],
        // Each thread's own name.
        &["-w", "-s", s, "thr"],
        &["-wl", "-s", s, "^[ot]"],
        &["-w", "-s", s, "-x", "thrworker_a"],
        &["-w", "-s", s, "-i", "THR"],
        &["-w", "-s", s, "a_thread_named_"],
        &["-w", "-s", s, "a_thread_named_longer"],
        &["-w", "-x", "zlive"],
        &["-x", "zlive"],
        // Each thread's own command line: the exited main thread has none.
        &["-w", "-s", s, "-f", "python"],
        &["-wa", "-s", s, "-f", "defunct"],
        &["-w", "-f", "zleader"],
        &["-a", "-s", z],
        &["-fa", "zleader"],
        // Each thread's own state and start.
        &["-w", "-r", "Z", "-s", s],
        &["-w", "-r", "S", "-s", s],
        &["-r", "Z", "-s", s],
        &["-r", "S", "-s", s],
        &["-w", "-n", "-s", s],
        &["-w", "-o", "-s", s],
        &["-w", "-n", "-s", s, "thr"],
        &["-w", "-o", "-s", s, "^[oa]"],
        &["-w", "-O", "0", "-s", s],
        &["-w", "-O", "100000", "-s", s],
        &["-w", "-P", "2", "-o"],
        // Per-thread ids, process-wide parent, terminal and pidfile.
        &["-w", "-u", "0", "-s", s],
        &["-w", "-U", "0", "-G", "0", "-s", s],
        &["-w", "-u", "65534", "-s", s],
        &["-w", "-P", s],
        &["-w", "-t", "?", "-s", s],
        &["-w", "-F", zfile],
        &["-wl", "-F", zfile, "z"],
        // -A leaves out ancestors by thread id: this binary's other
        // threads stay in.
        &["-w", "-P", &cargo],
        &["-w", "-A", "-P", &cargo],
        &["-A", "-P", &cargo],
    ]);
    let bad = mismatches(&cases, 3);
    // The whole machine's threads: more churn, more tries (listings, whose
    // churn the comparison tells apart from a difference; counts it
    // cannot).
    let whole = words(&[&["-w", "-v", "-s", s], &["-w", "-v", "-u", "65534"]]);
    let bad_whole = mismatches(&whole, 5);
    drop(t);
    let _ = std::fs::remove_dir_all(&dir);
    let all: Vec<String> = bad.into_iter().chain(bad_whole).collect();
    report("threads_match_pgrep", &all, cases.len() + whole.len());
}

/// A process holding a lock on `path` (flock `-x` or `-s`, `fcntl`
/// write or read lock, or an open-file-description write lock) until
/// dropped.
struct Locker(Child);

impl Locker {
    fn hold(path: &str, how: &str) -> Locker {
        let script = format!(
            r#"
import fcntl, struct, sys
f = open({path:?}, "r+")
how = {how:?}
if how == "flock-x": fcntl.flock(f, fcntl.LOCK_EX)
if how == "flock-s": fcntl.flock(f, fcntl.LOCK_SH)
if how == "posix-w": fcntl.lockf(f, fcntl.LOCK_EX, 1, 3)
if how == "posix-r": fcntl.lockf(f, fcntl.LOCK_SH)
if how == "ofd-w": fcntl.fcntl(f, 37, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
print("locked", flush=True)
sys.stdin.read()
"#
        );
        let mut child = Command::new("python3")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "locked\n");
        Locker(child)
    }
}

impl Drop for Locker {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

#[test]
fn pidfiles_match_pgrep() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !pgrep_or_skip("pidfiles_match_pgrep") {
        return;
    }
    let me = std::process::id();
    let dir: PathBuf = std::env::temp_dir().join(format!("pidgrep-pidfiles-{me}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    // This test binary's pid: stable while the test runs.
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("plain", format!("{me}").into_bytes()),
        ("newline", format!("{me}\n").into_bytes()),
        ("spaced", format!(" \t+{me} trailing words").into_bytes()),
        ("nul", format!("{me}\0junk").into_bytes()),
        ("glued", format!("{me}x").into_bytes()),
        ("leading", format!("x{me}").into_bytes()),
        ("lines", format!("\n\n{me}\nsecond line").into_bytes()),
        ("empty", Vec::new()),
        ("blank", b" \n".to_vec()),
        ("zero", b"0".to_vec()),
        ("minus", b"-5".to_vec()),
        ("sign", b"+".to_vec()),
        // strtoul's value cut to an int: 2^32 + 1 and -(2^32 - 1) are 1.
        ("wrap", b"4294967297".to_vec()),
        ("negwrap", b"-4294967295".to_vec()),
        ("intmax", b"2147483648".to_vec()),
        // Only 11 bytes are read: the rest of the number is cut off.
        ("long", format!("0000000000{me}").into_bytes()),
        ("unused", b"99999999".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(path(name), bytes).unwrap();
    }
    std::fs::create_dir_all(path("a-dir")).unwrap();
    let fifo = path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut cases: Vec<Vec<String>> = Vec::new();
    let mut targets: Vec<String> = files.iter().map(|(n, _)| path(n)).collect();
    targets.extend([path("a-dir"), fifo, "/dev/null".into(), path("missing")]);
    for target in &targets {
        for extra in [&[][..], &["-c"], &["-L"], &["-w", "-c"], &["-l", "."]] {
            let mut args = vec!["-F".to_string(), target.clone()];
            args.extend(extra.iter().map(|s| s.to_string()));
            cases.push(args);
        }
    }
    let plain = path("plain");
    cases.extend(words(&[
        &["-L"],
        &["-L", "x"],
        &["-L", "-F", "/nonexistent", "a", "b"],
        &["-F", &plain, "-F", "/nonexistent"],
        &["-F", "/nonexistent", "-F", &plain],
        &["-F", &plain, "a", "b"],
        &["-F", &plain, "-x", "a("],
        &["-F", &plain, "-n"],
        &["-F", &plain, "-P", "1"],
        &["--pidfile", &plain, "--logpidfile"],
        &["--pidfile=/nonexistent"],
    ]));
    let mut bad = mismatches(&cases, 3);
    // -v: the whole machine but the pidfile's process; more churn.
    let whole = words(&[&["-v", "-F", &plain], &["-v", "-F", &path("wrap")]]);
    bad.extend(mismatches(&whole, 5));
    let mut n = cases.len() + whole.len();
    // -L: locked by another process with an exclusive flock or an fcntl
    // write lock (on any range); a shared flock or a read lock is no lock.
    let locked = path("newline");
    for how in ["flock-x", "flock-s", "posix-w", "posix-r", "ofd-w"] {
        let _held = Locker::hold(&locked, how);
        let cases = words(&[&["-L", "-F", &locked], &["-F", &locked, "-L", "-c"]]);
        n += cases.len();
        bad.extend(
            mismatches(&cases, 3)
                .into_iter()
                .map(|d| format!("{how}: {d}")),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    report("pidfiles_match_pgrep", &bad, n);
}

#[test]
fn terminals_and_negations_match_pgrep() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !pgrep_or_skip("terminals_and_negations_match_pgrep") {
        return;
    }
    let fx = match fixture::QueryFixture::start() {
        Ok(fx) => fx,
        Err(why) => {
            eprintln!("SKIP terminals_and_negations_match_pgrep: {why}");
            return;
        }
    };
    let s = fx.leader.to_string();
    let loner = fx.pid("loner").to_string();
    let both = format!("{s},{loner}");
    let tty = fx
        .tty
        .to_string_lossy()
        .trim_start_matches("/dev/")
        .to_string();
    let (dir, n) = tty.rsplit_once('/').unwrap();
    let dev = format!("/dev/{tty}");
    let doubled = format!("{dir}//{n}");
    let dotted = format!("{dir}/../{tty}");
    let either = format!("?,{tty}");
    let trailing = format!("{tty},");
    let cases = words(&[
        &["-t", &tty, "-s", &both],
        &["-t", &dev, "-s", &both],
        &["-t", &doubled, "-s", &both],
        &["-t", &dotted, "-s", &both],
        &["-t", "?", "-s", &both],
        &["-t", &either, "-s", &both],
        &["-t", &trailing, "-s", &both],
        &["-t", "stdin", "-s", &both],
        &["-t", "?", "-r", "Z", "-s", &both],
        &["-t", "?", "-P", "2"],
        &["-t", "?", "-n", "-P", "2"],
        &["--terminal=?", "-l", "-s", &both],
        &["-t", "", "x"],
        &["-t", ",", "-s", &both],
        &["-t", "console", "-c"],
        &["-t", "tty1", "-c"],
        // -v with other conditions: everything else on the machine.
        &["-v", "-s", &s],
        &["-v", "-u", "0"],
        &["-v", "-t", "?"],
        &["-v", "-t", &tty],
        &["-v", "-r", "S"],
        &["-v", "-P", "2", "^k"],
        &["-v", "-x", "sleep"],
        &["-v", "-A", "-s", &s],
        &["-t", "?"],
    ]);
    let bad = mismatches(&cases, 5);
    report("terminals_and_negations_match_pgrep", &bad, cases.len());
}

/// `-h` as pgrep prints it under the name `pidgrep` (through a link).
#[test]
fn help_matches_pgrep_under_the_same_name() {
    if !pgrep_or_skip("help_matches_pgrep_under_the_same_name") {
        return;
    }
    let Some(pgrep) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("pgrep"))
            .find(|p| p.exists())
    }) else {
        eprintln!("SKIP help_matches_pgrep_under_the_same_name: no pgrep on PATH");
        return;
    };
    let dir = std::env::temp_dir().join(format!("pidgrep-help-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("pidgrep");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&pgrep, &link).unwrap();
    let ours = env!("CARGO_BIN_EXE_pidgrep");
    for args in [&["-h"][..], &["--help"], &["--he"], &["-q"], &[]] {
        let theirs = Command::new(&link).args(args).output().unwrap();
        let mine = Command::new(ours).args(args).output().unwrap();
        assert_eq!(
            (
                String::from_utf8_lossy(&theirs.stdout),
                theirs.status.code()
            ),
            (String::from_utf8_lossy(&mine.stdout), mine.status.code()),
            "{args:?}"
        );
        // The usage goes to stderr for an error; its text, after the
        // message line, is the same.
        let tail = |b: &[u8]| {
            let t = String::from_utf8_lossy(b).into_owned();
            t.split_once("\nUsage:").map(|(_, u)| u.to_string())
        };
        assert_eq!(tail(&theirs.stderr), tail(&mine.stderr), "{args:?}");
    }
    // -V names the program and pgrep's version; pidgrep says what it is.
    let v = Command::new(ours).arg("-V").output().unwrap();
    let v = String::from_utf8_lossy(&v.stdout).into_owned();
    assert!(
        v.starts_with("pidgrep from ") && v.contains("procps-ng 4.0.2"),
        "{v}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::io::stdout().flush();
}

/// pgrep reads at most 128 KiB - 1 bytes of a command line: what `-f`
/// matches and `-a` prints stops there, here in the middle of the last
/// argument (after `j`).
#[test]
fn long_command_lines_are_cut_as_pgrep_cuts_them() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !pgrep_or_skip("long_command_lines_are_cut_as_pgrep_cuts_them") {
        return;
    }
    // `sh` waits on its standard input; its command line is exactly
    // these words.
    let head = "/bin/sh -c read x sh ";
    let xs = "x".repeat(128 * 1024 - 1 - head.len() - " abcdefghij".len());
    let sh = |last: &[&str]| {
        Command::new("/bin/sh")
            .args(["-c", "read x", "sh"])
            .args(last)
            .stdin(Stdio::piped())
            .spawn()
            .expect("/bin/sh")
    };
    let mut long = sh(&[&xs, "abcdefghijklmnopqrstuvwxyz"]);
    let mut short = sh(&[&"x".repeat(5000), "yz"]);
    // Both have exec'd once their command line is the one given.
    for child in [&long, &short] {
        let path = format!("/proc/{}/cmdline", child.id());
        while !std::fs::read(&path).is_ok_and(|c| c.ends_with(b"z\0")) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    let me = std::process::id().to_string();
    let cases = words(&[
        &["-a", "-P", &me],
        &["-f", "-P", &me, "j$"],
        &["-f", "-P", &me, "k"],
        &["-f", "-P", &me, "z$"],
        &["-fa", "-P", &me, "^/bin/sh -c read x sh x{5000} yz$"],
    ]);
    let bad = mismatches(&cases, 3);
    for child in [&mut long, &mut short] {
        drop(child.stdin.take());
        let _ = child.wait();
    }
    report(
        "long_command_lines_are_cut_as_pgrep_cuts_them",
        &bad,
        cases.len(),
    );
}
