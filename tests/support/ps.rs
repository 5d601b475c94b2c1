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

/// One process as `ps -o pid,ppid,pgid,sid,tty,euid,ruid,suid,egid,rgid,
/// sgid,stat,nlwp,lstart,comm` prints it (`TZ=UTC`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    /// `pts/3`, or `?` without a terminal.
    pub tty: String,
    pub euid: u32,
    pub ruid: u32,
    pub suid: u32,
    pub egid: u32,
    pub rgid: u32,
    pub sgid: u32,
    /// State and flags (`Ss+`, `Z`, `Sl`…).
    pub stat: String,
    pub nlwp: u32,
    /// `lstart` as seconds since the epoch.
    pub start: u64,
    /// `comm` as `ps` shows it (non-printable bytes as `?`).
    pub comm: String,
}

/// `ps`'s view of `pid`; `None` when `ps` does not list it.
pub fn ps_info(pid: Pid) -> Option<PsInfo> {
    let out = Command::new("ps")
        .args([
            "-o",
            "pid=,ppid=,pgid=,sid=,tty=,euid=,ruid=,suid=,egid=,rgid=,sgid=,stat=,nlwp=,lstart=,comm=",
            "-p",
            &pid.to_string(),
        ])
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .env_remove("PS_PERSONALITY")
        .env_remove("PS_FORMAT")
        .stdin(Stdio::null())
        .output()
        .expect("ps runs");
    let text = String::from_utf8(out.stdout).expect("ps prints UTF-8 in the C locale");
    let line = text.lines().next()?;
    let f: Vec<&str> = line.split_whitespace().collect();
    assert!(f.len() >= 19, "unexpected ps line {line:?}");
    let n = |i: usize| -> i64 {
        f[i].parse()
            .unwrap_or_else(|_| panic!("ps printed {line:?}"))
    };
    Some(PsInfo {
        pid: n(0) as i32,
        ppid: n(1) as i32,
        pgid: n(2) as i32,
        sid: n(3) as i32,
        tty: f[4].to_string(),
        euid: n(5) as u32,
        ruid: n(6) as u32,
        suid: n(7) as u32,
        egid: n(8) as u32,
        rgid: n(9) as u32,
        sgid: n(10) as u32,
        stat: f[11].to_string(),
        nlwp: n(12) as u32,
        start: lstart(&f[13..18]),
        comm: f[18..].join(" "),
    })
}

/// `Mon Dec  1 22:00:19 2026` (UTC) as seconds since the epoch.
fn lstart(f: &[&str]) -> u64 {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == f[1]).expect("a month") as i64 + 1;
    let day: i64 = f[2].parse().expect("a day");
    let hms: Vec<i64> = f[3].split(':').map(|x| x.parse().expect("h:m:s")).collect();
    let year: i64 = f[4].parse().expect("a year");
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]) as u64
}
