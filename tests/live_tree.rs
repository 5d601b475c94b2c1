//! `descendants` and `Watch` on the live system, on processes these tests
//! spawn, against `ps` (procps): its parent column, closed over by a naive
//! walk.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::Command;

use pidquery::{Change, Pid, PidBuf, PidQuery, Watch};
use support::{kill, ps, quiet, set, wait_until, Proc, SLEEP_SECS};

/// The oracle: every process `ps` shows below `root` (by its parent
/// column), `root` excluded.
fn ps_below(root: Pid) -> BTreeSet<Pid> {
    let table = ps();
    let mut below = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for row in table.values() {
            if row.ppid == parent && row.pid != root && below.insert(row.pid) {
                frontier.push(row.pid);
            }
        }
    }
    below
}

fn descendants(root: Pid) -> BTreeSet<Pid> {
    let mut buf = PidBuf::new();
    let got = PidQuery::descendants(root).fill(&mut buf).unwrap();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "not ascending: {got:?}"
    );
    set(got.iter().copied())
}

/// A three-level tree in a process group of its own: a `sleep` (the root,
/// our child) → `width` `sleep`s → `width` `sleep`s each and one zombie
/// each (an exited child its `sleep` parent never reaps). Returns once
/// `ps` shows all of it, each middle process having exec'd.
fn tree(width: usize) -> (Proc, BTreeSet<Pid>) {
    let middle = format!(
        "for j in $(seq {width}); do sleep {SLEEP_SECS} & done; (exit 0) & exec sleep {SLEEP_SECS}"
    );
    let script =
        format!("for i in $(seq {width}); do sh -c '{middle}' & done; exec sleep {SLEEP_SECS}");
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]).process_group(0);
    let root = Proc::spawn(quiet(&mut cmd));
    let pid = root.pid();
    let root = root.kill_group_on_drop(pid);
    let want = width * (width + 2);
    let below = wait_until(&format!("{want} processes below {pid}"), || {
        let below = ps_below(pid);
        let table = ps();
        let settled = below.len() == want
            && below.iter().all(|p| {
                table.get(p).is_some_and(|row| {
                    row.stat.starts_with('Z') || support::comm(*p).is_some_and(|c| c == b"sleep")
                })
            });
        settled.then_some(below)
    });
    (root, below)
}

#[test]
fn descendants_of_a_three_level_tree_with_zombies_match_ps() {
    let (root, below) = tree(3);
    let zombies = below
        .iter()
        .filter(|&&p| support::state(p) == Some(b'Z'))
        .count();
    assert_eq!(zombies, 3, "one zombie per middle process");
    assert_eq!(descendants(root.pid()), below);
    assert_eq!(descendants(root.pid()), ps_below(root.pid()));
    // Each middle process's subtree, and a leaf's (empty).
    let middles: Vec<Pid> = PidQuery::ppid(root.pid())
        .iter()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(middles.len(), 3);
    for m in middles {
        assert_eq!(descendants(m), ps_below(m));
        assert_eq!(descendants(m).len(), 4);
    }
    let leaf = *below.iter().next_back().unwrap();
    assert!(descendants(leaf).is_empty());
}

#[test]
fn a_middle_process_that_dies_takes_its_children_out_of_the_tree() {
    let (root, before) = tree(3);
    let middles: Vec<Pid> = PidQuery::ppid(root.pid())
        .iter()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let victim = middles[0];
    let orphans = ps_below(victim);
    assert_eq!(orphans.len(), 4);
    kill(&[victim]);
    // The victim stays, a zombie of the root (a `sleep` never reaps); its
    // children are reparented out of the tree.
    wait_until("the killed middle process to be a zombie", || {
        support::state(victim) == Some(b'Z')
    });
    let after = wait_until("its children to leave the tree", || {
        let below = ps_below(root.pid());
        below.is_disjoint(&orphans).then_some(below)
    });
    assert_eq!(after.len(), before.len() - orphans.len());
    assert!(after.contains(&victim));
    assert_eq!(descendants(root.pid()), after);
    assert_eq!(descendants(root.pid()), ps_below(root.pid()));
    assert!(descendants(victim).is_empty());
}

/// A `python3` below the tree's root with two idle threads, and children
/// forked both by its main thread and by another thread (whose `children`
/// file is that thread's, not the leader's). Whatever way the backend
/// reads such a node, the subtree must be the one `ps` shows.
#[test]
fn a_multi_threaded_node_with_children_of_several_threads_matches_ps() {
    if !support::tools_or_skip("multi-threaded node", &["python3"]) {
        return;
    }
    const PY: &str = r#"
import subprocess, sys, threading, time
kids = [subprocess.Popen(["sleep", sys.argv[1]]) for _ in range(2)]
def fork_more():
    kids.append(subprocess.Popen(["sleep", sys.argv[1]]))
    time.sleep(float(sys.argv[1]))
threads = [threading.Thread(target=fork_more, daemon=True) for _ in range(2)]
for t in threads:
    t.start()
time.sleep(float(sys.argv[1]))
"#;
    let script = format!("python3 -c '{PY}' {SLEEP_SECS} & exec sleep {SLEEP_SECS}");
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]).process_group(0);
    let root = Proc::spawn(quiet(&mut cmd));
    let root = {
        let pid = root.pid();
        root.kill_group_on_drop(pid)
    };
    let below = wait_until("python3 and its 4 children", || {
        let below = ps_below(root.pid());
        let sleeps = below
            .iter()
            .filter(|&&p| support::comm(p).is_some_and(|c| c == b"sleep"))
            .count();
        (below.len() == 5 && sleeps == 4).then_some(below)
    });
    assert_eq!(descendants(root.pid()), below);
    let python = *below
        .iter()
        .find(|&&p| support::comm(p).is_some_and(|c| c == b"python3"))
        .unwrap();
    assert_eq!(descendants(python).len(), 4);
    assert_eq!(descendants(python), ps_below(python));
}

/// Middle processes that keep forking and reaping short-lived children
/// beside long-lived ones: every answer lists every long-lived process of
/// the tree, whatever is reaped while it reads.
#[test]
fn descendants_under_churn_never_lose_a_long_lived_process() {
    let middle = format!(
        "sleep {SLEEP_SECS} & sleep {SLEEP_SECS} & while :; do true & true & true & wait; done"
    );
    let script = format!(
        "for i in 1 2 3; do sh -c '{middle}' & done; sleep {SLEEP_SECS} & exec sleep {SLEEP_SECS}"
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script]).process_group(0);
    let root = Proc::spawn(quiet(&mut cmd));
    let pid = root.pid();
    let root = root.kill_group_on_drop(pid);
    // The long-lived: the 3 shells, their 6 sleeps, the root's own sleep.
    let stable = wait_until("10 long-lived processes below the root", || {
        let table = ps();
        let below = ps_below(pid);
        let stable: BTreeSet<Pid> = below
            .into_iter()
            .filter(|p| {
                table.get(p).is_some_and(|row| !row.stat.starts_with('Z'))
                    && support::comm(*p).is_some_and(|c| c == b"sleep" || c == b"sh")
            })
            .collect();
        (stable.len() == 10).then_some(stable)
    });
    let mut buf = PidBuf::new();
    for round in 0..300 {
        let got = set(PidQuery::descendants(pid)
            .fill(&mut buf)
            .unwrap()
            .iter()
            .copied());
        assert!(
            stable.is_subset(&got),
            "round {round}: lost {:?}",
            stable.difference(&got)
        );
    }
    drop(root);
}

#[test]
fn descendants_of_a_process_that_does_not_exist_are_none() {
    assert!(descendants(Pid::from_raw(i32::MAX).unwrap()).is_empty());
}

#[test]
fn descendants_of_pid_0_are_every_process() {
    let mut buf = PidBuf::new();
    let before = set(PidQuery::all().iter().unwrap().map(Result::unwrap));
    let everything = set(PidQuery::descendants(Pid::ZERO)
        .fill(&mut buf)
        .unwrap()
        .iter()
        .copied());
    let after = set(PidQuery::all().iter().unwrap().map(Result::unwrap));
    // Processes come and go meanwhile (other tests spawn trees); every one
    // listed before and after, so there throughout, is a descendant.
    for pid in [Pid::this(), Pid::from_raw(1).unwrap()] {
        assert!(everything.contains(&pid) && before.contains(&pid));
    }
    let missing: Vec<_> = before
        .intersection(&after)
        .filter(|pid| !everything.contains(pid))
        .collect();
    assert!(
        missing.is_empty(),
        "present throughout, not listed: {missing:?}"
    );
}

/// Processes joining and leaving one process group, watched: every poll
/// reports exactly what changed, a zombie counts as present until reaped.
#[test]
fn watch_reports_exactly_the_processes_spawned_and_reaped() {
    let mut leader_cmd = support::sleep_command();
    leader_cmd.process_group(0);
    let leader = Proc::spawn(quiet(&mut leader_cmd));
    let group = leader.pid();
    let leader = leader.kill_group_on_drop(group);
    let in_group = |pids: &[Pid]| {
        let table = ps();
        pids.iter()
            .all(|p| table.get(p).is_some_and(|row| row.pgid == group))
    };
    wait_until("the leader in its group", || in_group(&[group]));
    let mut watch = Watch::new(PidQuery::pgrp(group));
    let first: Vec<Change> = watch.poll().unwrap().collect();
    assert_eq!(first, [Change::Born(group)]);
    assert!(watch.poll().unwrap().is_empty(), "nothing changed");

    let mut members: Vec<Proc> = (0..3)
        .map(|_| {
            let mut cmd = support::sleep_command();
            cmd.process_group(group.as_raw());
            Proc::spawn(quiet(&mut cmd))
        })
        .collect();
    let pids: Vec<Pid> = members.iter().map(Proc::pid).collect();
    wait_until("three members in the group", || in_group(&pids));
    let born: Vec<Change> = watch.poll().unwrap().collect();
    let mut want: Vec<Change> = pids.iter().map(|&p| Change::Born(p)).collect();
    want.sort_by_key(|c| c.pid());
    assert_eq!(born, want);
    assert!(watch.poll().unwrap().is_empty());

    // Two killed and reaped, one killed and left a zombie.
    let zombie = members.pop().unwrap();
    let gone: Vec<Pid> = members.iter().map(Proc::pid).collect();
    for m in members {
        m.kill_and_reap();
    }
    kill(&[zombie.pid()]);
    wait_until("the third to be a zombie", || {
        support::state(zombie.pid()) == Some(b'Z')
    });
    let died: Vec<Change> = watch.poll().unwrap().collect();
    let mut want: Vec<Change> = gone.iter().map(|&p| Change::Died(p)).collect();
    want.sort_by_key(|c| c.pid());
    assert_eq!(died, want);
    let zombie_pid = zombie.pid();
    zombie.kill_and_reap();
    let reaped: Vec<Change> = watch.poll().unwrap().collect();
    assert_eq!(reaped, [Change::Died(zombie_pid)]);
    assert_eq!(watch.current(), [group]);
    drop(leader);
}

#[test]
fn watch_over_descendants_sees_a_subtree_leave() {
    let (root, below) = tree(2);
    let mut watch = Watch::new(PidQuery::descendants(root.pid()));
    let first: BTreeSet<Pid> = watch.poll().unwrap().born().collect();
    assert_eq!(first, below);
    let middles: Vec<Pid> = PidQuery::ppid(root.pid())
        .iter()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let victim = middles[0];
    let orphans = ps_below(victim);
    kill(&[victim]);
    wait_until("the orphans to leave the tree", || {
        ps_below(root.pid()).is_disjoint(&orphans)
    });
    let changes: Vec<Change> = watch.poll().unwrap().collect();
    let mut want: Vec<Change> = orphans.iter().map(|&p| Change::Died(p)).collect();
    want.sort_by_key(|c| c.pid());
    assert_eq!(changes, want, "the victim is a zombie, still below");
}

/// A pid reaped and handed to a new member of the same group between two
/// polls: a watch that tracks reuse reports its death and its birth, one
/// that does not sees nothing (root only: the kernel is steered to reuse
/// the pid through `ns_last_pid`).
#[test]
fn a_tracking_watch_sees_a_reused_pid_die_and_be_born() {
    if !support::is_root() {
        return support::skip(
            "a_tracking_watch_sees_a_reused_pid_die_and_be_born",
            "needs root to steer ns_last_pid",
        );
    }
    let last = "/proc/sys/kernel/ns_last_pid";
    let mut leader_cmd = support::sleep_command();
    leader_cmd.process_group(0);
    let leader = Proc::spawn(quiet(&mut leader_cmd));
    let group = leader.pid();
    let leader = leader.kill_group_on_drop(group);
    let member = || {
        let mut cmd = support::sleep_command();
        cmd.process_group(group.as_raw());
        Proc::spawn(quiet(&mut cmd))
    };
    let in_group = |pid: Pid| ps().get(&pid).is_some_and(|row| row.pgid == group);
    let mut tracked = Watch::new(PidQuery::pgrp(group)).track_reuse();
    let mut plain = Watch::new(PidQuery::pgrp(group));
    for _ in 0..20 {
        let first = member();
        let pid = first.pid();
        wait_until("the member in its group", || in_group(pid));
        tracked.poll().unwrap();
        plain.poll().unwrap();
        assert!(tracked.current().contains(&pid) && plain.current().contains(&pid));
        first.kill_and_reap();
        if std::fs::write(last, (pid.as_raw() - 1).to_string()).is_err() {
            return support::skip(
                "a_tracking_watch_sees_a_reused_pid_die_and_be_born",
                "ns_last_pid is not writable",
            );
        }
        let again = member();
        if again.pid() != pid {
            // Someone else took the pid first: try again.
            again.kill_and_reap();
            continue;
        }
        support::wait_exec(pid, "sleep");
        wait_until("the new member in its group", || in_group(pid));
        let seen: Vec<Change> = tracked.poll().unwrap().filter(|c| c.pid() == pid).collect();
        assert_eq!(seen, [Change::Died(pid), Change::Born(pid)]);
        assert!(
            !plain.poll().unwrap().any(|c| c.pid() == pid),
            "without identities the reuse is invisible"
        );
        // And then it is the same process again.
        assert!(!tracked.poll().unwrap().any(|c| c.pid() == pid));
        again.kill_and_reap();
        drop(leader);
        return;
    }
    panic!("could not get a member's pid again in 20 tries");
}
