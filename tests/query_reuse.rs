//! An adversary of the `Query` candidate reader under pid reuse (root
//! only, bounded by a round count).
//!
//! In new pid and mount namespaces, two recreators per pid make each of
//! [`REUSED`] pids again and again with `clone3`'s `set_tid`, each
//! incarnation exiting at once and reaped, the two taking turns (a byte
//! passed through pipes). An incarnation is a copy of its
//! recreator and changes nothing, so its attributes are fixed from birth:
//!
//! - `A` (from a root recreator): name `qr-a`, euid 0, group `GA`;
//! - `B` (from a recreator of uid 1000 that keeps its capabilities): name
//!   `qr-b`, euid 1000, group `GB`.
//!
//! The queries ask for combinations neither kind ever has:
//! `name=qr-a ∧ euid=1000`, `name=qr-b ∧ euid=0`, `pgrp=GB ∧ name=qr-a`,
//! and each of the first two with a `cmdline` condition every incarnation
//! passes (so that the command line is read too); with the real uid
//! (`status`, or `PIDFD_GET_INFO`): `name=qr-a ∧ ruid=1000`,
//! `pgrp=GB ∧ ruid=0`, `euid=0 ∧ ruid=1000`, `euid=1000 ∧ ruid=0`. A reused pid in an
//! answer is therefore wrong whatever ran when: only reads of two
//! incarnations combined can list it (not the reads of one process at two
//! moments, since none changes). The count is printed per query.

#![cfg(target_os = "linux")]

mod support;

use std::ffi::CStr;
use std::os::fd::OwnedFd;

use pidquery::{ErrorKind, Match, Pid, PidBuf, Query};
use support::hostile::{int, run_unshared, ARGS_VAR, MODE_VAR};
use support::raw;
use support::{root_or_skip, tools_or_skip};

/// How many pids are recreated, each by two recreators of its own.
const REUSED: libc::pid_t = 3;

/// The first of them (far above what the namespace otherwise uses).
const FIRST_REUSED: libc::pid_t = 200;

/// Rounds of the queries: 8,000, or `PIDQUERY_REUSE_ROUNDS` (the reader
/// before its reads were bound gave 16 wrong answers in 20,000).
fn rounds() -> u64 {
    std::env::var("PIDQUERY_REUSE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8_000)
}

/// The uid of `B` incarnations (and of their recreators).
const B_UID: u32 = 1000;

/// The queries, by report key: none may list a reused pid.
const KEYS: [&str; 9] = [
    "name_a_euid_b",
    "name_b_euid_0",
    "pgrp_name_a",
    "cmdline_name_a_euid_b",
    "cmdline_name_b_euid_0",
    "name_a_ruid_b",
    "pgrp_ruid_0",
    "euid_0_ruid_b",
    "euid_b_ruid_0",
];

/// Entry point of re-executed children; does nothing unless
/// `PIDQUERY_HOSTILE_MODE` is set.
#[test]
#[ignore = "entry point of re-executed child processes"]
fn child_entry() {
    let Ok(mode) = std::env::var(MODE_VAR) else {
        return;
    };
    let args = std::env::var(ARGS_VAR).unwrap_or_default();
    match mode.as_str() {
        "reuse" => child_reuse(&args),
        other => panic!("unknown child mode {other}"),
    }
    println!("PQ done");
}

/// Recreates `pid` as `name`, in a group of its own, with every uid `uid`
/// (the capabilities `set_tid` needs kept), each time it reads a byte from
/// `turn`, writing one to `next` once the incarnation is reaped: two
/// recreators passing the turn make the kinds alternate.
fn recreate(pid: libc::pid_t, name: &CStr, uid: u32, turn: &OwnedFd, next: &OwnedFd) -> ! {
    let set = raw::own_group()
        .and_then(|()| raw::set_name(name))
        .and_then(|()| match uid {
            0 => Ok(()),
            _ => raw::become_uid_keeping_caps(uid),
        });
    if set.is_err() {
        raw::exit_now(3);
    }
    while raw::read_byte(turn).is_some() {
        loop {
            match raw::clone3_with_tids(&[pid]) {
                Ok(0) => raw::exit_now(0),
                Ok(kid) => {
                    let _ = raw::wait(kid);
                    break;
                }
                Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
                Err(_) => raw::exit_now(4),
            }
        }
        raw::write_all(next, b"t");
    }
    raw::exit_now(0)
}

/// In new pid and mount namespaces, as root: the recreators, then the
/// queries for [`rounds`] rounds; reports wrong answers per query.
fn child_reuse(args: &str) {
    let rounds: u64 = args.trim().parse().expect("round count");
    if let Err(e) = raw::mount_proc() {
        println!("PQ skip cannot mount a procfs here: {e}");
        return;
    }
    let reused = FIRST_REUSED..FIRST_REUSED + REUSED;
    let mut recreators = Vec::new();
    for pid in reused.clone() {
        let (to_a_r, to_a_w) = raw::pipe().expect("pipe");
        let (to_b_r, to_b_w) = raw::pipe().expect("pipe");
        let kinds = [
            (c"qr-a", 0, &to_a_r, &to_b_w),
            (c"qr-b", B_UID, &to_b_r, &to_a_w),
        ];
        for (name, uid, turn, next) in kinds {
            match raw::fork().expect("fork") {
                0 => recreate(pid, name, uid, turn, next),
                recreator => recreators.push((recreator, uid)),
            }
        }
        // `A` first; the pipes' ends stay open in the recreators only.
        raw::write_all(&to_a_w, b"t");
    }
    // The groups of `B` incarnations: their recreators'.
    let groups: Vec<Pid> = recreators
        .iter()
        .filter(|&&(_, uid)| uid == B_UID)
        .map(|&(p, _)| Pid::from_raw(p).expect("pid"))
        .collect();
    // Every incarnation's command line is this process's.
    let own_cmdline = std::fs::read("/proc/self/cmdline").expect("read cmdline");
    let marker = own_cmdline.split(|&b| b == 0).next().expect("argv[0]");
    let cmd = Match::substring(marker);
    let name_a = Match::exact("qr-a");
    let name_b = Match::exact("qr-b");
    let queries = [
        Query::new().name(name_a).euid(B_UID),
        Query::new().name(name_b).euid(0),
        Query::new().pgrp(&groups[..]).name(name_a),
        Query::new().cmdline(cmd).name(name_a).euid(B_UID),
        Query::new().cmdline(cmd).name(name_b).euid(0),
        // The real ids (`PIDFD_GET_INFO` where the kernel has it) after
        // `stat` through the bound directory, and after the owner.
        Query::new().name(name_a).ruid(B_UID),
        Query::new().pgrp(&groups[..]).ruid(0),
        Query::new().euid(0).ruid(B_UID),
        Query::new().euid(B_UID).ruid(0),
    ];
    let mut buf = PidBuf::with_capacity(256);
    let mut wrong = [0u64; KEYS.len()];
    let mut errors = 0u64;
    let mut raced = 0u64;
    let mut sample = String::new();
    let mut first_error = String::new();
    let mut failed = [0u64; KEYS.len()];
    for _ in 0..rounds {
        for (i, q) in queries.iter().enumerate() {
            match q.fill(&mut buf) {
                Ok(answer) => {
                    if let Some(p) = answer.iter().find(|p| reused.contains(&p.as_raw())) {
                        wrong[i] += 1;
                        if sample.is_empty() {
                            sample = format!("{}:{p}", KEYS[i]);
                        }
                    }
                }
                // A pid caught released at every re-read, each time by a
                // new incarnation, "kept changing": loud, never a guess.
                Err(e)
                    if matches!(e.kind(), ErrorKind::Raced { .. })
                        && e.pid().is_some_and(|p| reused.contains(&p.as_raw())) =>
                {
                    raced += 1;
                    failed[i] += 1;
                }
                Err(e) => {
                    errors += 1;
                    if first_error.is_empty() {
                        first_error = format!("{}:{e}", KEYS[i]);
                    }
                }
            }
        }
    }
    let mut status = libc::SIGKILL;
    for (recreator, _) in recreators {
        raw::kill(recreator);
        let end = raw::wait(recreator).unwrap_or(-1);
        if end != libc::SIGKILL {
            status = end;
        }
    }
    println!("PQ recreator {status}");
    println!("PQ rounds {rounds}");
    println!("PQ errors {errors}");
    println!("PQ raced {raced}");
    for (key, n) in KEYS.iter().zip(wrong) {
        println!("PQ {key} {n}");
    }
    println!("PQ sample {sample}");
    println!("PQ first_error {first_error}");
    for (key, n) in KEYS.iter().zip(failed) {
        println!("PQ raced_{key} {n}");
    }
}

#[test]
fn a_query_never_combines_two_incarnations_of_a_pid() {
    let name = "a_query_never_combines_two_incarnations_of_a_pid";
    if !root_or_skip(name) || !tools_or_skip(name, &["unshare"]) {
        return;
    }
    let rounds = rounds();
    let lines = run_unshared(&["--pid", "--mount"], "reuse", &rounds.to_string(), |_| {});
    if let Some(why) = lines.get("skip") {
        support::skip(name, &why.join(" "));
        return;
    }
    assert_eq!(
        int(&lines, "recreator"),
        i64::from(libc::SIGKILL),
        "{lines:?}"
    );
    assert_eq!(int(&lines, "errors"), 0, "{lines:?}");
    // Retryable errors on the recreated pids are allowed, not a wrong
    // answer; they stay the exception.
    let raced = int(&lines, "raced");
    eprintln!(
        "{raced} answers of {rounds} rounds x {} queries kept changing",
        KEYS.len()
    );
    assert!(
        raced < i64::try_from(rounds).unwrap_or(i64::MAX),
        "{lines:?}"
    );
    let mut total = 0;
    for key in KEYS {
        let n = int(&lines, key);
        let r = int(&lines, &format!("raced_{key}"));
        eprintln!("{key}: {n} wrong, {r} kept changing, of {rounds} answers");
        total += n;
    }
    assert_eq!(total, 0, "reused pids listed: {lines:?}");
}
