//! Every field of one `listpids` output line comes from one process, even
//! while its pid is reused: a pid steered through `ns_last_pid` is taken,
//! again and again, by a `sleep` and by a copy of it named `snooze`, and no
//! line may pair one's name with the other's executable.
//!
//! Root only (a pid namespace of its own, where `ns_last_pid` is written).

#![cfg(target_os = "linux")]

mod support;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pidquery::Pid;
use serde_json::Value;
use support::hostile::TempDir;
use support::{root_or_skip, wait_until, Proc};

/// The pid the two programs take in turn, in the namespace.
const STEERED: u32 = 300;

/// How long `listpids` runs against the churn, per output form.
fn attack() -> Duration {
    support::secs_from_env("PIDQUERY_ATTACK_SECS", 2)
}

/// The basename of a path as text.
fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a line's name and executable are from two processes: a name of
/// one of the two programs with the other's executable, or the shell's
/// (a process forked later, not yet exec'd). `None` for lines that tell
/// nothing.
fn mixed(comm: &str, exe: &str) -> Option<bool> {
    let programs = ["sleep", "snooze"];
    if !programs.contains(&comm) || exe.is_empty() || exe == "-" {
        // The shell forked and not yet exec'd, or exec'ing: one process;
        // or a zombie, which has no executable.
        return None;
    }
    Some(base(exe) != comm)
}

#[test]
fn a_line_never_mixes_two_processes_that_share_a_pid() {
    if !root_or_skip("a_line_never_mixes_two_processes_that_share_a_pid") {
        return;
    }
    let dir = TempDir::new("reuse");
    let snooze = dir.path.join("snooze");
    std::fs::copy("/usr/bin/sleep", &snooze).expect("copy sleep");
    let script = format!(
        "while :; do \
           echo {last} > /proc/sys/kernel/ns_last_pid; sleep 0 & wait; \
           echo {last} > /proc/sys/kernel/ns_last_pid; {snooze} 0 & wait; \
         done",
        last = STEERED - 1,
        snooze = snooze.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "sh", "-c", &script])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let unshare = Proc::spawn(&mut cmd);
    let group = unshare.pid();
    let unshare = unshare.kill_group_on_drop(group);
    // The namespace's init (the shell): the forked child of `unshare`.
    let init: Pid = wait_until("the namespace's shell", || {
        support::children(group).first().copied()
    });
    let root = PathBuf::from(format!("/proc/{init}/root/proc"));
    wait_until("the namespace's proc", || {
        std::fs::read_to_string(root.join("1/comm")).is_ok_and(|c| c == "sh\n")
    });
    let root_arg = root.display().to_string();
    let forms: [(&str, &[&str]); 2] = [
        ("--json", &["--json"]),
        ("--format", &["--format", "pid,command,exe"]),
    ];
    let mut failed = Vec::new();
    for (name, args) in forms {
        let (mut lines, mut wrong, mut first) = (0u64, 0u64, None);
        let deadline = Instant::now() + attack();
        while Instant::now() < deadline {
            let out = Command::new(env!("CARGO_BIN_EXE_listpids"))
                .args(["--proc-root", &root_arg])
                .args(args)
                .stdin(Stdio::null())
                .output()
                .expect("run listpids");
            assert!(
                out.status.success() || out.status.code() == Some(1),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let (comm, exe) = if name == "--json" {
                    let v: Value = serde_json::from_str(line).expect("JSON");
                    let text = |k: &str| v[k].as_str().unwrap_or("").to_owned();
                    (text("comm"), text("exe"))
                } else {
                    let cols: Vec<&str> = line.split_whitespace().collect();
                    if cols.first() == Some(&"PID") || cols.len() < 3 {
                        continue;
                    }
                    (cols[1].to_owned(), cols[2].to_owned())
                };
                if let Some(bad) = mixed(&comm, &exe) {
                    lines += 1;
                    if bad {
                        wrong += 1;
                        first.get_or_insert_with(|| line.to_owned());
                    }
                }
            }
        }
        eprintln!(
            "pid reuse, listpids {name}: {wrong} of {lines} lines of the churn mix two processes{}",
            first.map(|l| format!(", e.g. {l}")).unwrap_or_default()
        );
        assert!(lines > 0, "{name}: the churn was never seen");
        if wrong > 0 {
            failed.push(name);
        }
    }
    drop(unshare);
    assert!(failed.is_empty(), "mixed lines from {failed:?}");
}
