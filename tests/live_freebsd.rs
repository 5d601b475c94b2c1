//! The FreeBSD backend against the live kernel (FreeBSD only): processes
//! this test spawns are found by every filter, and `all` agrees with
//! `ps -ax`, the oracle, on every process present before and after.
#![cfg(target_os = "freebsd")]

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use pidquery::{Pid, PidBuf, PidQuery};

/// A `sleep` child, killed and reaped when dropped.
struct Sleeper(Child);

impl Sleeper {
    fn spawn(own_group: bool) -> Sleeper {
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        if own_group {
            cmd.process_group(0);
        }
        Sleeper(cmd.spawn().expect("spawn sleep"))
    }

    fn pid(&self) -> Pid {
        Pid::from(&self.0)
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ps -ax -o pid=`: every pid `ps` lists.
fn ps_pids() -> BTreeSet<Pid> {
    let out = Command::new("ps")
        .args(["-ax", "-o", "pid="])
        .output()
        .expect("run ps");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|p| Pid::from_raw(p.parse().unwrap()).unwrap())
        .collect()
}

fn fill(q: &PidQuery) -> Vec<Pid> {
    let mut buf = PidBuf::new();
    let pids = q
        .fill(&mut buf)
        .unwrap_or_else(|e| panic!("{q:?}: {e}"))
        .to_vec();
    assert!(pids.windows(2).all(|w| w[0] < w[1]), "{q:?}: not ascending");
    pids
}

#[test]
fn spawned_children_are_found_by_every_filter() {
    let a = Sleeper::spawn(false);
    let g = Sleeper::spawn(true);
    let me = Pid::this();
    let kids = fill(&PidQuery::ppid(me));
    assert!(
        kids.contains(&a.pid()) && kids.contains(&g.pid()),
        "{kids:?}"
    );
    assert_eq!(fill(&PidQuery::pgrp(g.pid())), [g.pid()]);
    // SAFETY: geteuid and getuid have no preconditions.
    let (euid, ruid) = unsafe { (libc::geteuid(), libc::getuid()) };
    assert!(fill(&PidQuery::uid(euid)).contains(&me));
    assert!(fill(&PidQuery::ruid(ruid)).contains(&a.pid()));
    let all = fill(&PidQuery::all());
    assert!(all.contains(&me) && all.contains(&Pid::ZERO) && all.contains(&a.pid()));
}

#[test]
fn all_agrees_with_ps_on_every_process_present_throughout() {
    let before = ps_pids();
    let all: BTreeSet<Pid> = fill(&PidQuery::all()).into_iter().collect();
    let after = ps_pids();
    for p in before.intersection(&after) {
        assert!(
            all.contains(p),
            "pid {p} listed by ps before and after, not by pidquery"
        );
    }
}

#[test]
fn a_slice_of_exactly_the_answer_is_complete_and_a_short_one_truncated() {
    let g = Sleeper::spawn(true);
    let q = PidQuery::pgrp(g.pid());
    let mut exact = [Pid::ZERO; 1];
    assert_eq!(q.fill_slice(&mut exact).unwrap(), 1);
    assert_eq!(exact, [g.pid()]);
    let err = PidQuery::all().fill_slice(&mut exact).unwrap_err();
    assert!(matches!(err.kind(), pidquery::ErrorKind::Truncated { needed } if needed >= 2));
}

#[test]
fn repeated_fills_of_a_warm_buffer_stay_exact() {
    // The record scratch and the buffer are reused: the child every time.
    let a = Sleeper::spawn(false);
    let mut buf = PidBuf::new();
    for _ in 0..50 {
        let kids = PidQuery::ppid(Pid::this()).fill(&mut buf).unwrap();
        assert!(kids.contains(&a.pid()));
    }
}

#[test]
fn descendants_of_a_shell_are_its_children_and_grandchildren() {
    // sh → sleep, and a sleeping sh → sleep of its own.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "sleep 30 & sh -c 'sleep 30 & wait' & wait"]);
    let mut sh = cmd.spawn().expect("spawn sh");
    let root = Pid::from(&sh);
    let mut found = Vec::new();
    for _ in 0..100 {
        found = fill(&PidQuery::descendants(root));
        if found.len() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // ps, the oracle: the pids whose parent chain reaches the shell.
    let out = Command::new("ps")
        .args(["-ax", "-o", "pid=,ppid="])
        .output()
        .expect("run ps");
    let pairs: Vec<(i32, i32)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace().map(|x| x.parse::<i32>().ok());
            Some((f.next()??, f.next()??))
        })
        .collect();
    let mut below = BTreeSet::new();
    let mut frontier = vec![root.as_raw()];
    while let Some(p) = frontier.pop() {
        for &(c, pp) in &pairs {
            if pp == p && below.insert(c) {
                frontier.push(c);
            }
        }
    }
    let want: Vec<Pid> = below.into_iter().filter_map(Pid::from_raw).collect();
    // The whole tree goes, through its pids.
    for p in found.iter().chain([&root]) {
        // SAFETY: kill has no memory preconditions.
        unsafe { libc::kill(p.as_raw(), libc::SIGKILL) };
    }
    let _ = sh.wait();
    assert_eq!(found, want);
}

#[test]
fn this_process_is_described_by_its_own_record() {
    use pidquery::{ExeBuf, FdBuf, ThreadBuf};
    let me = Pid::this();
    let info = me.info().unwrap();
    assert_eq!((info.pid, info.ppid), (me, Pid::parent()));
    // The record describes the first thread (the harness's, maybe asleep);
    // the thread count changes as other tests run.
    assert!(info.threads >= Some(1));
    let mut exe = ExeBuf::new();
    assert_eq!(
        me.exe(&mut exe).unwrap().path(),
        std::env::current_exe().unwrap()
    );
    let mut threads = ThreadBuf::new();
    assert!(!me.threads(&mut threads).unwrap().is_empty());
    let mut fds = FdBuf::new();
    assert!(me
        .fds(&mut fds)
        .unwrap()
        .iter()
        .any(|f| f.fd == 0 || f.fd == 2));
    let id = me.identity().unwrap();
    assert_eq!((id.start(), id.unique()), (info.start, None));
    assert!(id.is_current().unwrap());
    // A reaped child is no longer current.
    let child = Sleeper::spawn(false);
    let cid = child.pid().identity().unwrap();
    drop(child);
    assert!(!cid.is_current().unwrap());
}
