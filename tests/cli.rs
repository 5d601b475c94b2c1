//! The `listpids` tool: output, exit status like `pgrep`, and clean failures.
//! (Linux: the tests read `/proc` and use `--proc-root`.)

#![cfg(target_os = "linux")]

mod support;

use std::process::{Command, Output, Stdio};

use support::Proc;

fn listpids(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_listpids"))
        .args(args)
        .output()
        .expect("run listpids")
}

fn stdout_pids(out: &Output) -> Vec<i32> {
    String::from_utf8(out.stdout.clone())
        .expect("utf-8 output")
        .lines()
        .map(|l| l.parse().expect("a pid per line"))
        .collect()
}

fn assert_clean_failure(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    assert!(err.starts_with("listpids: "), "{err:?}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err:?}");
    assert!(out.stdout.is_empty());
}

/// Spawns `n` sleepers under a fresh parent `sh`, which waits for them;
/// returns the parent (whose children are exactly the sleepers), whose
/// drop kills the sleepers and lets the parent reap them.
fn parent_of(n: usize) -> (Proc, i32, Vec<i32>) {
    let script = format!("p=; for i in $(seq {n}); do sleep 30 & p=\"$p $!\"; done; echo $p; wait");
    let mut sh = Proc::spawn(
        Command::new("sh")
            .args(["-c", &script])
            .stdout(Stdio::piped()),
    )
    .reaps_its_children();
    let parent = sh.pid().as_raw();
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(sh.take_stdout().expect("piped"))
        .read_line(&mut line)
        .expect("read child pids");
    let mut kids: Vec<i32> = line
        .split_whitespace()
        .map(|p| p.parse().expect("pid"))
        .collect();
    kids.sort_unstable();
    assert_eq!(kids.len(), n);
    (sh, parent, kids)
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    assert_clean_failure(&listpids(&["--bogus"]), "--bogus");
    assert_clean_failure(&listpids(&["--uid"]), "--uid needs a value");
    assert_clean_failure(&listpids(&["--ppid", "-4"]), "-4");
    assert_clean_failure(&listpids(&["--ppid", "abc"]), "abc");
    assert_clean_failure(&listpids(&["--pgrp=99999999999"]), "99999999999");
    // A subcommand stays the one filter; long options combine (AND).
    assert_clean_failure(
        &listpids(&["uid", "0", "--ppid", "1"]),
        "at most one filter",
    );
    assert_clean_failure(
        &listpids(&["--uid", "no-such-user-pidquery"]),
        "no-such-user-pidquery",
    );
}

#[test]
fn bad_paths_exit_2_naming_them() {
    assert_clean_failure(&listpids(&["--tty", "/etc/hostname"]), "/etc/hostname");
    assert_clean_failure(&listpids(&["--tty", "pts/999999"]), "/dev/pts/999999");
    assert_clean_failure(
        &listpids(&["--proc-root", "/nonexistent-proc"]),
        "/nonexistent-proc",
    );
    assert_clean_failure(&listpids(&["--proc-root", "/etc"]), "/etc");
}

#[test]
fn help_and_version() {
    let help = listpids(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--uid",
        "--ruid",
        "--ppid",
        "--pgrp",
        "--tty",
        "--proc-root",
        "--count",
    ] {
        assert!(text.contains(flag), "help mentions {flag}");
    }
    let version = listpids(&["-V"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("listpids {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn ppid_lists_exactly_the_children_ascending() {
    let (_guard, parent, kids) = parent_of(3);
    let out = listpids(&["--ppid", &parent.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout_pids(&out), kids);

    let count = listpids(&["--count", &format!("--ppid={parent}")]);
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "3");
}

#[test]
fn nothing_matched_exits_1() {
    let (_guard, _parent, kids) = parent_of(1);
    // A sleeper has no children.
    let out = listpids(&["--ppid", &kids[0].to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let count = listpids(&["--ppid", &kids[0].to_string(), "--count"]);
    assert_eq!(count.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "0");
}

#[test]
fn all_is_ascending_and_contains_this_process() {
    let out = listpids(&[]);
    assert_eq!(out.status.code(), Some(0));
    let pids = stdout_pids(&out);
    assert!(pids.windows(2).all(|w| w[0] < w[1]));
    assert!(pids.contains(&(std::process::id() as i32)));
    let explicit = listpids(&["--proc-root", "/proc", "--count"]);
    assert_eq!(explicit.status.code(), Some(0));
}

#[test]
fn user_names_resolve_like_numbers() {
    let by_name = listpids(&["--uid", "root", "--count"]);
    let by_number = listpids(&["--uid=0", "--count"]);
    assert_eq!(by_name.status.code(), Some(0));
    // Counts may differ by processes born in between; both must be positive.
    let n: usize = String::from_utf8_lossy(&by_name.stdout)
        .trim()
        .parse()
        .unwrap();
    let m: usize = String::from_utf8_lossy(&by_number.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(n > 0 && m > 0);
    // The sleepers of a fresh parent all run as the test's own euid.
    let (_guard, parent, _kids) = parent_of(2);
    let uid = std::fs::read_to_string(format!("/proc/{parent}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .unwrap();
    let mine = stdout_pids(&listpids(&["--uid", &uid]));
    assert!(mine.contains(&parent));
}

#[test]
fn closed_stdout_is_not_a_failure() {
    // A pipe whose reader is gone before listpids writes: EPIPE on write.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_listpids"))
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
