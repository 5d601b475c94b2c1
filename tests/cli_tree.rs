//! `listpids --descendants` and `--watch`, run as a user would, against
//! `ps` and the processes these tests spawn.

#![cfg(target_os = "linux")]

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use support::{kill, ps, quiet, wait_until, Proc, SLEEP_SECS};

fn listpids() -> Command {
    Command::new(env!("CARGO_BIN_EXE_listpids"))
}

#[test]
fn descendants_prints_the_subtree_ps_shows_ascending() {
    let script = format!(
        "sh -c 'sleep {SLEEP_SECS} & sleep {SLEEP_SECS} & exec sleep {SLEEP_SECS}' & exec sleep {SLEEP_SECS}"
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]).process_group(0);
    let root = Proc::spawn(quiet(&mut cmd));
    let pid = root.pid();
    let root = root.kill_group_on_drop(pid);
    let want: Vec<i32> = wait_until("3 sleeps below the root", || {
        let table = ps();
        let mut below: Vec<i32> = table
            .values()
            .filter(|r| r.ppid == pid || table.get(&r.ppid).is_some_and(|p| p.ppid == pid))
            .map(|r| r.pid.as_raw())
            .collect();
        below.sort_unstable();
        let ready = below.len() == 3
            && below
                .iter()
                .all(|&p| support::comm(support::pid(p)).is_some_and(|c| c == b"sleep"));
        ready.then_some(below)
    });
    let out = listpids()
        .args(["--descendants", &pid.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got: Vec<i32> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(got, want);
    let out = listpids()
        .args(["--descendants", &pid.to_string(), "--count"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "3");
    // A leaf has none: exit status 1, like pgrep.
    let leaf = *want
        .iter()
        .find(|&&p| ps().values().all(|r| r.ppid.as_raw() != p))
        .unwrap();
    let out = listpids()
        .args(["--descendants", &leaf.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    drop(root);
}

#[test]
fn watch_prints_plus_and_minus_lines_as_processes_come_and_go() {
    let mut leader = support::sleep_command();
    leader.process_group(0);
    let leader = Proc::spawn(quiet(&mut leader));
    let group = leader.pid();
    let leader = leader.kill_group_on_drop(group);
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_listpids"));
    watcher
        .args(["--watch", "20", "--pgrp", &group.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut watcher = Proc::spawn(&mut watcher);
    let mut lines = BufReader::new(watcher.take_stdout().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    assert_eq!(next(), format!("+{group}"));
    let mut member = support::sleep_command();
    member.process_group(group.as_raw());
    let member = Proc::spawn(quiet(&mut member));
    let m = member.pid();
    assert_eq!(next(), format!("+{m}"));
    kill(&[m]);
    member.kill_and_reap();
    assert_eq!(next(), format!("-{m}"));
    drop(watcher);
    drop(leader);
}

#[test]
fn watch_rejects_a_bad_interval_and_count() {
    for args in [
        &["--watch", "0"][..],
        &["--watch", "soon"],
        &["--watch", "10", "--count"],
    ] {
        let out = listpids().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("listpids: ") && err.contains("--watch"),
            "{err}"
        );
    }
}

#[test]
fn track_reuse_needs_watch_and_watches_like_it() {
    let out = listpids().args(["--track-reuse"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--track-reuse needs --watch"), "{err}");

    let mut leader = support::sleep_command();
    leader.process_group(0);
    let leader = Proc::spawn(quiet(&mut leader));
    let group = leader.pid();
    let leader = leader.kill_group_on_drop(group);
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_listpids"));
    watcher
        .args([
            "--watch",
            "20",
            "--track-reuse",
            "--pgrp",
            &group.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut watcher = Proc::spawn(&mut watcher);
    let mut lines = BufReader::new(watcher.take_stdout().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    assert_eq!(next(), format!("+{group}"));
    let mut member = support::sleep_command();
    member.process_group(group.as_raw());
    let member = Proc::spawn(quiet(&mut member));
    let m = member.pid();
    assert_eq!(next(), format!("+{m}"));
    member.kill_and_reap();
    assert_eq!(next(), format!("-{m}"));
    drop(watcher);
    drop(leader);
}
