//! `descendants` of a parent whose children exec, over and over, from a
//! thread that is not their leader: each child is below the parent for the
//! whole query, so every answer lists each of them.
//!
//! Each exec releases the old leader after giving its pid to the exec'ing
//! thread (`de_thread`, `fs/exec.c`); a `stat` read that found the old
//! leader before the swap and prints it after the release reads ppid 0 and
//! pgrp -1 (`do_task_stat`, `fs/proc/array.c`). A tree that took that
//! record as the process's would hang the child below pid 0, not below its
//! parent. The children create a thread per exec, so most walks over
//! `children` files are thrown away and the query scans every `stat`
//! (`src/sys/linux/tree.rs`).
//!
//! The children run in a pid namespace of their own, whose proc root the
//! queries read, so that nearly every `stat` a scan reads is one of theirs.
//! The parent is the namespace's init (`sh`, which forks nothing after
//! starting them). The oracle is the construction: the children are its
//! own, and at the end each pid still names a process (not a thread's id:
//! threads are all the namespace creates after the start), so each was
//! below it throughout. The count of answers that miss one is printed, so
//! a run shows the rate it measured; set `PIDQUERY_SOAK_SECS` to run
//! longer. Root only (a pid namespace).

#![cfg(target_os = "linux")]

mod support;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pidquery::{ErrorKind, Pid, PidBuf, PidQuery, System};
use support::{root_or_skip, tools_or_skip, wait_until, Proc};

/// The per-process shapes: this test binary run again (see its docs).
#[path = "../src/sys/linux/info/helper.rs"]
#[allow(dead_code)]
mod helper;

/// Children that exec from a thread, in a loop.
const EXECERS: usize = 4;

/// How long the queries run: a few seconds in the suite.
fn budget() -> Duration {
    support::secs_from_env("PIDQUERY_SOAK_SECS", 3)
}

/// The pids under `root` that are processes (not a thread's id) named
/// `exe` (an exec of `/proc/self/exe`), with `ppid` 1.
fn execers(root: &Path) -> Vec<Pid> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::trim)
                .unwrap_or("")
                .to_owned()
        };
        if field("Name:") == "exe" && field("Tgid:") == pid.to_string() && field("PPid:") == "1" {
            found.extend(Pid::from_raw(pid));
        }
    }
    found.sort_unstable();
    found
}

#[test]
fn children_that_exec_from_a_thread_are_always_below_their_parent() {
    let test = "children_that_exec_from_a_thread_are_always_below_their_parent";
    if !root_or_skip(test) || !tools_or_skip(test, &["unshare", "sh"]) {
        return;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let script = format!(
        "for i in $(seq {EXECERS}); do '{}' & done; wait",
        exe.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "sh", "-c", &script])
        .env(helper::MODE_VAR, "exec-from-thread")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let unshare = Proc::spawn(&mut cmd);
    let group = unshare.pid();
    let unshare = unshare.kill_group_on_drop(group);
    let init: Pid = wait_until("the namespace's shell", || {
        support::children(group).first().copied()
    });
    let root = PathBuf::from(format!("/proc/{init}/root/proc"));
    let pids = wait_until("every child's first exec from a thread", || {
        let found = execers(&root);
        (found.len() == EXECERS).then_some(found)
    });
    let system = System::open(&root).expect("the namespace's proc");
    let parent = Pid::from_raw(1).expect("pid 1");
    let mut buf = PidBuf::new();
    let (mut answers, mut wrong, mut raced) = (0u64, 0u64, 0u64);
    let mut first = None;
    let deadline = Instant::now() + budget();
    while Instant::now() < deadline {
        match system.fill(&PidQuery::descendants(parent), &mut buf) {
            Ok(got) => {
                answers += 1;
                let missing: Vec<Pid> = pids
                    .iter()
                    .copied()
                    .filter(|p| got.binary_search(p).is_err())
                    .collect();
                if !missing.is_empty() {
                    wrong += 1;
                    first.get_or_insert_with(|| format!("{missing:?} missing from {got:?}"));
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::Raced { .. }) => raced += 1,
            Err(e) => panic!("descendants of the namespace's init: {e}"),
        }
    }
    let still = execers(&root);
    drop(unshare);
    eprintln!(
        "exec from a thread: {wrong} of {answers} answers miss a child of the parent \
         ({raced} raced){}",
        first.map(|f| format!(", e.g. {f}")).unwrap_or_default()
    );
    assert_eq!(still, pids, "a child exited: the oracle does not hold");
    assert!(answers > 0, "no answer in {:?}", budget());
    assert_eq!(
        wrong, 0,
        "answers that miss a child below the parent throughout"
    );
}
