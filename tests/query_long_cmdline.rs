//! A command line longer than the reader's first 128 KiB: its tail is
//! read and matched (the thread's buffer grows), and a shorter command
//! line read after it is not matched against the longer one's leftover
//! bytes. The oracle is `/proc/<pid>/cmdline` read directly.

#![cfg(target_os = "linux")]

use std::fs;
use std::process::{Child, Command};
use std::thread;
use std::time::Duration;

use pidquery::{Match, Pid, PidBuf, Query};

/// Kills and reaps the child on drop.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sh -c 'sleep 600; :' NAME ARGS...`: a shell that keeps `ARGS` in its
/// command line while it waits.
fn shell_with(args: &[String]) -> Guard {
    Guard(
        Command::new("sh")
            .arg("-c")
            .arg("sleep 600; :")
            .arg("sh")
            .args(args)
            .spawn()
            .expect("spawn sh"),
    )
}

/// The command line as `ps -o args` shows it, read directly.
fn oracle(pid: u32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).expect("read cmdline");
    String::from_utf8_lossy(raw.strip_suffix(b"\0").unwrap_or(&raw)).replace('\0', " ")
}

#[test]
fn tail_of_a_long_command_line_is_matched() {
    let me = Pid::this();
    let marker = format!("TAIL-MARKER-{}", me.as_raw());
    // Two arguments of 100 KiB (under MAX_ARG_STRLEN each), then the marker:
    // it starts past the first 128 KiB.
    let long = shell_with(&["a".repeat(100 << 10), "b".repeat(100 << 10), marker.clone()]);
    // A short one whose command line is a prefix of nothing long: read
    // after the long one, in pid order.
    let short = shell_with(&["short".to_owned()]);
    let (long_pid, short_pid) = (long.0.id(), short.0.id());
    // The shells have exec'd once their command lines show the arguments.
    for _ in 0..200 {
        if oracle(long_pid).contains(&marker) && oracle(short_pid).contains("short") {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    let text = oracle(long_pid);
    assert!(
        text.len() > 200 << 10,
        "command line of {} bytes",
        text.len()
    );
    assert!(text.find(&marker).is_some_and(|at| at > 128 << 10));
    assert!(!oracle(short_pid).contains(&marker));

    let mut buf = PidBuf::new();
    let mut run = |q: Query<'_>| -> Vec<u32> {
        let got = q.fill(&mut buf).expect("query");
        got.iter().map(|p| p.as_raw() as u32).collect()
    };
    for _ in 0..3 {
        let long = Match::substring(&marker);
        assert_eq!(run(Query::new().parent(me).cmdline(long)), [long_pid]);
        // Over every process: the long one read first or not, the short
        // one never matches what the long one left in the buffer.
        assert_eq!(run(Query::new().cmdline(long)), [long_pid]);
        let short = Match::exact("sh -c sleep 600; : sh short");
        assert_eq!(run(Query::new().parent(me).cmdline(short)), [short_pid]);
    }
}
