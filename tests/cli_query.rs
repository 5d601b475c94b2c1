//! `listpids` with combined conditions, against the system's own `pgrep`
//! (procps-ng) given the equivalent options, and against `ps`: the fixture
//! of `support/query_fixture.rs` (chosen names, one longer than 15 bytes,
//! a session of its own, a stopped process, a zombie; root only) is the
//! population. Most questions are asked inside the fixture's session, so
//! that the rest of the machine cannot change the answer; those that reach
//! outside it (`--not`) are compared on the fixture's pids only.

#![cfg(target_os = "linux")]

#[allow(dead_code)]
#[path = "support/query_fixture.rs"]
mod fixture;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use fixture::QueryFixture;

fn listpids(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_listpids"))
        .args(args)
        .output()
        .expect("run listpids")
}

fn pids_of(out: &Output) -> BTreeSet<i32> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap_or_else(|_| panic!("a pid: {l:?}")))
        .collect()
}

/// `pgrep` with `args`: its exit status and the pids it printed.
fn pgrep(args: &[&str]) -> (Option<i32>, BTreeSet<i32>) {
    let out = Command::new("pgrep")
        .args(args)
        .output()
        .expect("run pgrep");
    (out.status.code(), pids_of(&out))
}

/// `listpids` with `args`: its exit status and the pids it printed.
fn lp(args: &[&str]) -> (Option<i32>, BTreeSet<i32>) {
    let out = listpids(args);
    assert!(
        out.status.code() != Some(2),
        "listpids {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), pids_of(&out))
}

/// `ps -e` rows: pid, sid, comm, stat.
fn ps_rows() -> Vec<(i32, i32, String, String)> {
    let out = Command::new("ps")
        .args(["-e", "-o", "pid=,sid=,stat=,comm="])
        .output()
        .expect("run ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let pid = f.next()?.parse().ok()?;
            let sid = f.next()?.parse().ok()?;
            let stat = f.next()?.to_owned();
            let comm = f.collect::<Vec<_>>().join(" ");
            Some((pid, sid, comm, stat))
        })
        .collect()
}

fn start() -> Option<QueryFixture> {
    match QueryFixture::start() {
        Ok(fx) => Some(fx),
        Err(why) => {
            eprintln!("SKIP: {why}");
            None
        }
    }
}

fn set(pids: &[i32]) -> BTreeSet<i32> {
    pids.iter().copied().collect()
}

#[test]
fn two_conditions_are_anded_as_pgrep_ands_them() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    let ours = lp(&["--session", &sid, "--name", "alpha"]);
    let theirs = pgrep(&["-s", &sid, "-x", "alpha"]);
    assert_eq!(ours, theirs);
    let want = set(&[fx.pid("alpha1"), fx.pid("alpha2"), fx.pid("user")]);
    assert_eq!(ours, (Some(0), want.clone()));
    // ps agrees: the session's processes named alpha.
    let by_ps: BTreeSet<i32> = ps_rows()
        .into_iter()
        .filter(|(_, s, comm, _)| *s == fx.leader && comm == "alpha")
        .map(|(p, ..)| p)
        .collect();
    assert_eq!(by_ps, want);
    // A third condition narrows: the effective uid 1000 leaves `user`.
    let ours = lp(&["--session", &sid, "--name", "alpha", "--uid", "1000"]);
    assert_eq!(ours, pgrep(&["-s", &sid, "-x", "alpha", "-u", "1000"]));
    assert_eq!(ours.1, set(&[fx.pid("user")]));
    // Conditions that exclude each other: nothing, exit status 1.
    let none = lp(&["--session", &sid, "--name", "alpha", "--state", "T"]);
    assert_eq!(none, (Some(1), BTreeSet::new()));
    assert_eq!(none, pgrep(&["-s", &sid, "-x", "alpha", "-r", "T"]));
}

#[test]
fn comma_lists_are_ored_as_pgrep_ors_them() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    let ours = lp(&["--session", &sid, "--name", "alpha,gamma"]);
    assert_eq!(ours, pgrep(&["-s", &sid, "-x", "alpha|gamma"]));
    let want = set(&[
        fx.pid("alpha1"),
        fx.pid("alpha2"),
        fx.pid("user"),
        fx.pid("mixed"),
        fx.pid("groupy"),
    ]);
    assert_eq!(ours.1, want);
    let groups = format!("{},{}", fx.pid("alpha1"), fx.pid("beta"));
    let ours = lp(&["--pgrp", &groups]);
    assert_eq!(ours, pgrep(&["-g", &groups]));
    assert_eq!(
        ours.1,
        set(&[fx.pid("alpha1"), fx.pid("alpha2"), fx.pid("beta")])
    );
    // States: T or Z, in the session.
    let ours = lp(&["--session", &sid, "--state", "T,Z"]);
    assert_eq!(ours, pgrep(&["-s", &sid, "-r", "TZ"]));
    assert_eq!(ours.1, set(&[fx.pid("stopped"), fx.pid("zchild")]));
    // Names ignoring case, against pgrep -i.
    let ours = lp(&["--session", &sid, "--name", "BETA-case", "--ignore-case"]);
    assert_eq!(ours, pgrep(&["-s", &sid, "-i", "-x", "BETA-case"]));
    assert_eq!(ours.1, set(&[fx.pid("beta")]));
}

#[test]
fn not_negates_the_whole_match_as_pgrep_v() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    let fixture = set(&fx.all());
    let ours = lp(&["--session", &sid, "--name", "alpha", "--not"]);
    let theirs = pgrep(&["-v", "-s", &sid, "-x", "alpha"]);
    assert_eq!(ours.0, Some(0));
    assert_eq!(theirs.0, Some(0));
    let ours_fx: BTreeSet<i32> = ours.1.intersection(&fixture).copied().collect();
    let theirs_fx: BTreeSet<i32> = theirs.1.intersection(&fixture).copied().collect();
    assert_eq!(ours_fx, theirs_fx);
    // The alphas are out; the rest of the fixture, the loner (another
    // session) included, is in.
    let alphas = set(&[fx.pid("alpha1"), fx.pid("alpha2"), fx.pid("user")]);
    let rest: BTreeSet<i32> = fixture.difference(&alphas).copied().collect();
    assert_eq!(ours_fx, rest);
    assert!(ours.1.contains(&1), "init is not an alpha of the session");
}

#[test]
fn newest_and_oldest_pick_as_pgrep_n_and_o() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    for (ours, theirs) in [("--newest", "-n"), ("--oldest", "-o")] {
        let got = lp(&["--session", &sid, "--name", "alpha,gamma", ours]);
        assert_eq!(got, pgrep(&["-s", &sid, "-x", "alpha|gamma", theirs]));
        assert_eq!(got.1.len(), 1, "{ours}: {got:?}");
    }
    // The fixture starts alpha1 first and groupy last of these.
    let oldest = lp(&["--session", &sid, "--name", "alpha,gamma", "--oldest"]);
    assert_eq!(oldest.1, set(&[fx.pid("alpha1")]));
    let newest = lp(&["--session", &sid, "--name", "alpha,gamma", "--newest"]);
    assert_eq!(newest.1, set(&[fx.pid("groupy")]));
    // With --not, the pick applies after the negation (pgrep refuses -v
    // with -o): the oracle is the start time in each `/proc/PID/stat`.
    let fixture = set(&fx.all());
    let group = fx.pid("alpha1");
    let got = lp(&["--pgrp", &group.to_string(), "--not", "--oldest"]);
    let mut starts: Vec<(u64, i32)> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let after = &stat[stat.rfind(')')? + 2..];
            let f: Vec<&str> = after.split(' ').collect();
            // Fields from 3 on: pgrp is field 5, starttime field 22.
            let pgrp: i32 = f.get(2)?.parse().ok()?;
            let start: u64 = f.get(19)?.parse().ok()?;
            (pgrp != group).then_some((start, pid))
        })
        .collect();
    starts.sort_unstable();
    assert_eq!(got, (Some(0), set(&[starts[0].1])));
    assert!(got.1.is_disjoint(&fixture));
}

#[test]
fn a_name_longer_than_the_kernel_keeps() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    let long = "a_very_long_process_name";
    // The kernel keeps 15 bytes: the whole name matches nothing, as with
    // pgrep -x, and listpids says why.
    let out = listpids(&["--session", &sid, "--name", long]);
    assert_eq!(out.status.code(), Some(1));
    assert!(pids_of(&out).is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("longer than the 15 bytes"),
        "{out:?}"
    );
    assert_eq!(pgrep(&["-s", &sid, "-x", long]), (Some(1), BTreeSet::new()));
    // Its first 15 bytes, or the command line, find it.
    let ours = lp(&["--session", &sid, "--name", &long[..15]]);
    assert_eq!(ours, pgrep(&["-s", &sid, "-x", &long[..15]]));
    assert_eq!(ours.1, set(&[fx.pid("long")]));
    let ours = lp(&["--session", &sid, "--name-prefix", "a_very"]);
    assert_eq!(ours, pgrep(&["-s", &sid, "a_very"]));
    assert_eq!(ours.1, set(&[fx.pid("long")]));
    let ours = lp(&["--session", &sid, "--cmdline-contains", long]);
    assert_eq!(ours, pgrep(&["-s", &sid, "-f", long]));
    assert_eq!(ours.1, set(&[fx.pid("long")]));
    let ours = lp(&[
        "--session",
        &sid,
        "--cmdline-contains",
        "long-arg",
        "--ignore-case",
    ]);
    assert_eq!(ours, pgrep(&["-s", &sid, "-f", "-i", "long-arg"]));
    assert_eq!(ours.1, set(&[fx.pid("long")]));
}

#[test]
fn count_and_json_with_a_combined_query() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    let args = ["--session", &sid, "--name", "alpha,gamma"];
    let out = listpids(&[&args[..], &["--count"]].concat());
    let theirs = Command::new("pgrep")
        .args(["-c", "-s", &sid, "-x", "alpha|gamma"])
        .output()
        .expect("pgrep");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "5\n");
    assert_eq!(out.stdout, theirs.stdout);
    // Nothing matched: a count of 0, exit status 1, as pgrep -c.
    let out = listpids(&["--session", &sid, "--name", "nosuchname", "--count"]);
    assert_eq!((out.status.code(), &out.stdout[..]), (Some(1), &b"0\n"[..]));

    let out = listpids(&[&args[..], &["--json"]].concat());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let ps: Vec<_> = ps_rows();
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        let pid = v["pid"].as_i64().expect("pid") as i32;
        let comm = v["comm"].as_str().expect("comm");
        assert!(comm == "alpha" || comm == "gamma", "{line}");
        assert_eq!(v["sid"].as_i64(), Some(i64::from(fx.leader)), "{line}");
        let row = ps.iter().find(|r| r.0 == pid).expect("ps lists it");
        assert_eq!((row.1, row.2.as_str()), (fx.leader, comm), "{line}");
        seen.insert(pid);
    }
    assert_eq!(seen, pgrep(&["-s", &sid, "-x", "alpha|gamma"]).1);
    // --long with --newest: the header and one row.
    let out = listpids(&[&args[..], &["--newest", "--long"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text
        .lines()
        .nth(1)
        .unwrap_or("")
        .trim_start()
        .starts_with(&fx.pid("groupy").to_string()));
}

#[test]
fn watch_polls_a_combined_query() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_listpids"))
        .args(["--watch", "50", "--session", &sid, "--name", "alpha"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("listpids --watch");
    let out = child.stdout.take().expect("stdout");
    let first: BTreeSet<String> = BufReader::new(out)
        .lines()
        .take(3)
        .map(|l| l.expect("a line"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let want: BTreeSet<String> = ["alpha1", "alpha2", "user"]
        .iter()
        .map(|k| format!("+{}", fx.pid(k)))
        .collect();
    assert_eq!(first, want);
    // Reuse tracking is the library Watch's, for one classic filter only.
    let out = listpids(&["--watch", "50", "--track-reuse", "--session", &sid]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one classic filter"));
}

#[test]
fn bad_conditions_fail_cleanly() {
    for (args, needle) in [
        (&["--state", "Q"][..], "unknown state letter 'Q'"),
        (&["--state", ""][..], "--state: empty list"),
        (&["--pgrp", ""][..], "--pgrp: empty list"),
        (&["--session", "1,,2"][..], "empty item"),
        (&["--name", ""][..], "--name: empty list"),
        (&["--ppid", "1,x"][..], "'x' is not a process id"),
        (&["--rgid", "no-such-group-pidquery"][..], "unknown group"),
        (&["--started-after", "yesterday"][..], "is not a time"),
        (&["--newest", "--oldest"][..], "--newest cannot be combined"),
        (&["--not=1"][..], "--not takes no value"),
        (&["--ignore-case", "--uid", "0"][..], "--ignore-case needs"),
        (&["--name", "a", "--name-prefix", "b"][..], "give one way"),
        (&["pgrp", "1", "--name", "x"][..], "at most one filter"),
        (
            &["--tty", "/etc/passwd", "--name", "x"][..],
            "not a terminal",
        ),
    ] {
        let out = listpids(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("listpids: "), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn one_classic_filter_keeps_its_output() {
    let Some(fx) = start() else { return };
    let pgid = fx.pid("alpha1").to_string();
    // The long option and the subcommand print the same, as before.
    let long = listpids(&["--pgrp", &pgid]);
    let sub = listpids(&["pgrp", &pgid]);
    assert_eq!(long.stdout, sub.stdout);
    assert_eq!(pids_of(&long), set(&[fx.pid("alpha1"), fx.pid("alpha2")]));
    // Two classic options now combine (AND) instead of failing.
    let both = lp(&["--pgrp", &pgid, "--ppid", &fx.leader.to_string()]);
    assert_eq!(both, pgrep(&["-g", &pgid, "-P", &fx.leader.to_string()]));
    assert_eq!(both.1, set(&[fx.pid("alpha1"), fx.pid("alpha2")]));
}

#[test]
fn start_times_and_subtrees_combine() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs();
    let (later, earlier) = (
        (now + 3600).to_string(),
        (now - 3600 * 24 * 365).to_string(),
    );
    // Every process of the session started before an hour from now, none
    // after it, none before a year ago (the fixture has just started).
    let before = lp(&["--session", &sid, "--started-before", &later]);
    assert_eq!(before, pgrep(&["-s", &sid]));
    assert!(before.1.contains(&fx.pid("alpha1")));
    let iso = lp(&["--session", &sid, "--started-after", "2000-01-01T00:00:00Z"]);
    assert_eq!(iso, before);
    let after = lp(&["--session", &sid, "--started-after", &format!("@{later}")]);
    assert_eq!(after, (Some(1), BTreeSet::new()));
    let old = lp(&["--session", &sid, "--started-before", &earlier]);
    assert_eq!(old, (Some(1), BTreeSet::new()));
    // The subtree of the fixture's `tree` shell, by name: both deltas, the
    // grandchild included (pgrep has no subtree option: the fixture's own
    // record of its tree is the oracle).
    let tree = fx.pid("tree").to_string();
    let deltas = lp(&["--descendants", &tree, "--name", "delta"]);
    assert_eq!(
        deltas.1,
        set(&[fx.pid("tree/delta"), fx.pid("tree/sh/delta")])
    );
    let not_deltas = lp(&["--descendants", &tree, "--name", "delta", "--not"]);
    assert!(not_deltas.1.contains(&fx.pid("tree/sh/epsilon")));
    assert!(not_deltas.1.is_disjoint(&deltas.1));
}

#[test]
fn ns_and_cgroup_select_as_pgrep_selects() {
    let Some(fx) = start() else { return };
    let sid = fx.leader.to_string();
    // pgrep 4.0.2 keeps only the last --nslist item: one kind at a time.
    let mut refs = vec![sid.clone()];
    match fx.skipped.get("netns") {
        Some(why) => eprintln!("SKIP --ns of the netns process: {why}"),
        None => refs.push(fx.pid("netns").to_string()),
    }
    for reference in &refs {
        for kind in ["net", "uts", "ipc", "mnt", "pid", "user", "cgroup", "time"] {
            let ours = lp(&["--session", &sid, "--ns", reference, "--nslist", kind]);
            let theirs = pgrep(&["-s", &sid, "--ns", reference, "--nslist", kind]);
            assert_eq!(ours, theirs, "--ns {reference} --nslist {kind}");
            assert!(!ours.1.is_empty(), "the reference itself matches");
        }
    }
    if refs.len() == 2 {
        let netns = fx.pid("netns");
        let ours = lp(&["--session", &sid, "--ns", &refs[1], "--nslist", "net,uts"]);
        assert_eq!(ours, (Some(0), set(&[netns])));
        let ours = lp(&["--session", &sid, "--ns", &sid, "--nslist", "net", "--not"]);
        assert!(ours.1.contains(&netns) && !ours.1.contains(&fx.leader));
    }
    match (&fx.cgroup_path, fx.skipped.get("cgrouped")) {
        (Some(path), None) => {
            let ours = lp(&["--session", &sid, "--cgroup", path]);
            assert_eq!(ours, pgrep(&["-s", &sid, "--cgroup", path]));
            assert_eq!(ours, (Some(0), set(&[fx.pid("cgrouped")])));
            let both = format!("/no/such,{path}");
            assert_eq!(
                lp(&["--session", &sid, "--cgroup", &both]),
                pgrep(&["-s", &sid, "--cgroup", &both])
            );
        }
        (_, why) => eprintln!("SKIP --cgroup of the cgrouped process: {why:?}"),
    }
    // Bad lists fail with status 2 and a message.
    for args in [
        &["--ns", "x"][..],
        &["--nslist", "net"][..],
        &["--ns", "1", "--nslist", "bogus"][..],
        &["--cgroup", ""][..],
    ] {
        let out = listpids(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}
