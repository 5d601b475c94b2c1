//! The oracle: `ps` (procps), which reads `/proc` with code no one here
//! wrote.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::{Command, Stdio};

use pidquery::Pid;

use super::env::pid;

/// One line of `ps -eo pid,ppid,pgid,tty,uid,ruid,stat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsRow {
    /// Process id.
    pub pid: Pid,
    /// Parent process id.
    pub ppid: Pid,
    /// Process group id.
    pub pgid: Pid,
    /// Controlling terminal as ps names it (`pts/3`), `?` for none.
    pub tty: String,
    /// Effective uid.
    pub uid: u32,
    /// Real uid.
    pub ruid: u32,
    /// State and flags (`S`, `Z+`, …).
    pub stat: String,
}

fn run_ps(args: &[&str]) -> String {
    let out = Command::new("ps")
        .args(args)
        .env("LC_ALL", "C")
        .env_remove("PS_PERSONALITY")
        .env_remove("PS_FORMAT")
        .stdin(Stdio::null())
        .output()
        .expect("ps runs");
    assert!(out.status.success(), "ps {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).expect("ps prints UTF-8 in the C locale")
}

/// The oracle: every process `ps -eo pid,ppid,pgid,tty,uid,ruid,stat`
/// lists, by pid.
///
/// A process caught in its final release shows a parent of 0 and a group
/// of -1; such rows are left out (no test asserts on a dying process).
/// Ordered by pid, like the crate's answers.
pub fn ps() -> BTreeMap<Pid, PsRow> {
    ps_with_start()
        .into_iter()
        .map(|(p, (row, _))| (p, row))
        .collect()
}

/// As [`ps`], with each process's start time (`lstart`): a process with
/// the same row and start time in two calls was, in all likelihood, alive
/// and unchanged in between.
pub fn ps_with_start() -> HashMap<Pid, (PsRow, String)> {
    run_ps(&["-eo", "pid=,ppid=,pgid=,tty=,uid=,ruid=,stat=,lstart="])
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert!(f.len() > 7, "unexpected ps line {line:?}");
            let num = |i: usize| -> i64 {
                f[i].parse()
                    .unwrap_or_else(|_| panic!("ps printed {line:?}"))
            };
            let id = |i: usize| Pid::from_raw(i32::try_from(num(i)).ok()?);
            let row = PsRow {
                pid: id(0)?,
                ppid: id(1)?,
                // Kernel threads have group 0.
                pgid: id(2)?,
                tty: f[3].to_string(),
                uid: u32::try_from(num(4)).ok()?,
                ruid: u32::try_from(num(5)).ok()?,
                stat: f[6].to_string(),
            };
            Some((row.pid, (row, f[7..].join(" "))))
        })
        .collect()
}

/// Every process `ps` lists, as (pid, start time): a pid that shows up with
/// the same start time in two calls was the same process throughout.
pub fn ps_start_keys() -> HashSet<(Pid, String)> {
    run_ps(&["-eo", "pid=,lstart="])
        .lines()
        .map(|line| {
            let line = line.trim_start();
            let (p, start) = line.split_once(' ').expect("pid then start time");
            (
                pid(p.parse().expect("ps prints pids")),
                start.trim().to_string(),
            )
        })
        .collect()
}

/// The ids of every thread that is not its process's main thread, as
/// `ps -eLo pid,lwp` lists them.
pub fn ps_thread_ids() -> HashSet<Pid> {
    run_ps(&["-eLo", "pid=,lwp="])
        .lines()
        .filter_map(|line| {
            let mut f = line
                .split_whitespace()
                .map(|f| f.parse::<i32>().expect("ps prints ids"));
            let (p, lwp) = (f.next()?, f.next()?);
            (p != lwp).then(|| pid(lwp))
        })
        .collect()
}
