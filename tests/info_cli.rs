//! `listpids --long`, `--format`, `--json` and the original tool's
//! subcommands: `--json` read back by a real JSON parser (`serde_json`) and
//! compared with `ps`; every filter combined with every output.

#![cfg(target_os = "linux")]

mod support;

use std::process::{Command, Output, Stdio};

use pidquery::Pid;
use serde_json::Value;
use support::{family, forged_name, ps_info, pty_session, skip, zombie, FORGED_NAME};

fn listpids(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_listpids"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run listpids")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{out:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The keys of `--json`, in their documented order.
const KEYS: [&str; 16] = [
    "pid", "ppid", "pgid", "sid", "tty", "ruid", "euid", "suid", "rgid", "egid", "sgid", "state",
    "start", "threads", "comm", "exe",
];

/// Parses JSON Lines, checking each object's keys: exactly [`KEYS`], in
/// that order.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid JSON {line:?}: {e}"));
            let object = value.as_object().expect("an object per line");
            let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
            keys.sort_unstable();
            let mut want = KEYS.to_vec();
            want.sort_unstable();
            assert_eq!(keys, want, "{line}");
            // Order as printed.
            let at: Vec<usize> = KEYS
                .iter()
                .map(|k| line.find(&format!("\"{k}\":")).expect("key"))
                .collect();
            assert!(at.windows(2).all(|w| w[0] < w[1]), "key order in {line}");
            value
        })
        .collect()
}

fn pids_of(values: &[Value]) -> Vec<i64> {
    values
        .iter()
        .map(|v| v["pid"].as_i64().expect("pid"))
        .collect()
}

fn lines_pids(text: &str) -> Vec<i64> {
    text.lines().map(|l| l.parse().expect("a pid")).collect()
}

/// Asserts that one `--json` object says what `ps` and `readlink` say.
fn assert_json_like_ps(v: &Value) {
    let pid = Pid::from_raw(v["pid"].as_i64().unwrap() as i32).unwrap();
    let ps = ps_info(pid).expect("ps lists it");
    assert_eq!(v["ppid"], ps.ppid, "{v}");
    assert_eq!(v["pgid"], ps.pgid, "{v}");
    assert_eq!(v["sid"], ps.sid, "{v}");
    match v["tty"].as_str() {
        None => {
            assert!(v["tty"].is_null());
            assert_eq!(ps.tty, "?");
        }
        Some(name) => assert_eq!(name, ps.tty, "{v}"),
    }
    let ids = [
        ("ruid", ps.ruid),
        ("euid", ps.euid),
        ("suid", ps.suid),
        ("rgid", ps.rgid),
        ("egid", ps.egid),
        ("sgid", ps.sgid),
    ];
    for (key, want) in ids {
        assert_eq!(v[key], want, "{key} in {v}");
    }
    let state = v["state"].as_str().unwrap();
    assert_eq!(state.len(), 1);
    assert!(ps.stat.starts_with(state), "{v} vs {}", ps.stat);
    let start = v["start"].as_f64().unwrap();
    assert_eq!(start.floor() as u64, ps.start, "{v}");
    assert_eq!(v["threads"], ps.nlwp, "{v}");
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    match exe {
        Some(path) => assert_eq!(v["exe"], path.to_str().unwrap(), "{v}"),
        None => assert!(v["exe"].is_null(), "{v}"),
    }
}

#[test]
fn json_lines_parse_and_agree_with_ps() {
    let fam = family(2, true);
    let leader = fam.leader.pid().to_string();
    let values = json_lines(&stdout(&listpids(&["--json", "--pgrp", &leader])));
    let mut want: Vec<i64> = fam
        .members()
        .iter()
        .map(|p| i64::from(p.as_raw()))
        .collect();
    want.sort_unstable();
    assert_eq!(pids_of(&values), want);
    for v in &values {
        assert_json_like_ps(v);
        assert_eq!(v["comm"], "sleep");
        // Linux: start in seconds with two decimals (clock ticks).
        let text = v["start"].to_string();
        let decimals = text.split_once('.').map_or(0, |(_, f)| f.len());
        assert!(decimals <= 2, "{text}");
    }
}

#[test]
fn any_name_gives_valid_json() {
    let forged = forged_name();
    let z = zombie(false);
    let values = json_lines(&stdout(&listpids(&["--json"])));
    let find = |pid: Pid| {
        values
            .iter()
            .find(|v| v["pid"] == pid.as_raw())
            .unwrap_or_else(|| panic!("{pid} not listed"))
            .clone()
    };
    let f = find(forged.pid());
    assert_eq!(f["comm"].as_str().unwrap().as_bytes(), FORGED_NAME);
    assert_eq!(f["ppid"], Pid::this().as_raw());
    assert_json_like_ps(&f);
    let zv = find(z.pid());
    assert_eq!(zv["state"], "Z");
    assert!(zv["exe"].is_null(), "a zombie has no executable: {zv}");
    assert_json_like_ps(&zv);
    // Kernel threads: no executable, their long names intact.
    let kthreadd = find(Pid::from_raw(2).unwrap());
    assert!(kthreadd["exe"].is_null());
}

#[test]
fn long_is_aligned_like_ps_and_format_picks_columns() {
    let fam = family(1, true);
    let leader = fam.leader.pid().to_string();
    let text = stdout(&listpids(&["--long", "--pgrp", &leader]));
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["PID", "PPID", "PGID", "SID", "TTY", "UID", "RUID", "STAT", "START", "COMMAND"]
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2);
    // Numbers right-aligned under their header, text left-aligned.
    let end_of = |name: &str| header.find(name).unwrap() + name.len();
    let start_of = |name: &str| header.find(name).unwrap();
    for row in &rows {
        let pid_end = end_of("PID");
        assert!(row.as_bytes()[pid_end - 1].is_ascii_digit(), "{row:?}");
        assert!(
            pid_end == row.len() || row.as_bytes()[pid_end] == b' ',
            "{row:?}"
        );
        let stat = start_of("STAT");
        assert!(row.as_bytes()[stat] != b' ', "STAT left-aligned in {row:?}");
        let fields: Vec<&str> = row.split_whitespace().collect();
        let pid = Pid::from_raw(fields[0].parse().unwrap()).unwrap();
        let ps = ps_info(pid).unwrap();
        assert_eq!(fields[1], ps.ppid.to_string());
        assert_eq!(fields[2], ps.pgid.to_string());
        assert_eq!(fields[3], ps.sid.to_string());
        assert_eq!(fields[4], ps.tty);
        assert_eq!(fields[5], ps.euid.to_string());
        assert_eq!(fields[6], ps.ruid.to_string());
        assert_eq!(fields[7], ps.stat.replace('L', ""));
        assert!(fields[8].ends_with('Z') && fields[8].contains('T'), "{row}");
        assert_eq!(fields[9], "sleep");
    }
    let text = stdout(&listpids(&[
        "--format",
        "pid,threads,exe,euid,suid,egid,rgid,sgid",
        "--pgrp",
        &leader,
    ]));
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["PID", "THREADS", "EXE", "EUID", "SUID", "EGID", "RGID", "SGID"]
    );
    for row in lines {
        let f: Vec<&str> = row.split_whitespace().collect();
        let pid = Pid::from_raw(f[0].parse().unwrap()).unwrap();
        let ps = ps_info(pid).unwrap();
        assert_eq!(f[1], ps.nlwp.to_string());
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
        assert_eq!(f[2], exe.to_str().unwrap());
        assert_eq!(
            f[3..],
            [ps.euid, ps.suid, ps.egid, ps.rgid, ps.sgid].map(|x| x.to_string())
        );
    }
}

#[test]
fn every_output_combines_with_every_filter() {
    let fam = family(2, true);
    let leader = fam.leader.pid();
    let me = pidquery::System::live().unwrap().info(Pid::this()).unwrap();
    let filters: Vec<Vec<String>> = vec![
        vec!["--ppid".into(), leader.to_string()],
        vec!["--pgrp".into(), leader.to_string()],
        vec!["--uid".into(), me.euid.to_string()],
        vec!["--ruid".into(), me.ruid.to_string()],
        vec![],
    ];
    for filter in &filters {
        let args: Vec<&str> = filter.iter().map(String::as_str).collect();
        let plain = lines_pids(&stdout(&listpids(&args)));
        let json = pids_of(&json_lines(&stdout(&listpids(
            &[&args[..], &["--json"]].concat(),
        ))));
        let long = stdout(&listpids(&[&args[..], &["--long"]].concat()));
        let long: Vec<i64> = long
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        // The family is stable; other processes may come and go between runs.
        let members: Vec<i64> = fam
            .members()
            .iter()
            .map(|p| i64::from(p.as_raw()))
            .collect();
        let keep = |v: &Vec<i64>| -> Vec<i64> {
            v.iter().copied().filter(|p| members.contains(p)).collect()
        };
        assert_eq!(keep(&json), keep(&plain), "{filter:?}");
        assert_eq!(keep(&long), keep(&plain), "{filter:?}");
        assert!(
            json.windows(2).all(|w| w[0] < w[1]),
            "ascending: {filter:?}"
        );
        if filter
            .first()
            .is_some_and(|f| f == "--ppid" || f == "--pgrp")
        {
            assert!(!keep(&plain).is_empty());
            assert_eq!(json.len(), plain.len(), "{filter:?}");
        }
    }
    match pty_session() {
        None => skip(
            "every_output_combines_with_every_filter (tty)",
            "script is not installed",
        ),
        Some(session) => {
            let tty = session.tty.to_str().unwrap();
            let values = json_lines(&stdout(&listpids(&["--json", "--tty", tty])));
            let pids: Vec<i64> = pids_of(&values);
            let want: Vec<i64> = session
                .members
                .iter()
                .map(|p| i64::from(p.as_raw()))
                .collect();
            assert_eq!(pids, want);
            for v in &values {
                assert_eq!(v["tty"], session.ps_name);
                assert_json_like_ps(v);
            }
            let sub = lines_pids(&stdout(&listpids(&["tty", tty])));
            assert_eq!(sub, want);
        }
    }
}

#[test]
fn the_original_subcommands_and_their_defaults() {
    let fam = family(2, true);
    let leader = fam.leader.pid().to_string();
    let pairs = [
        (vec!["ppid", &leader], vec!["--ppid", &leader]),
        (vec!["pgrp", &leader], vec!["--pgrp", &leader]),
        (vec!["uid", "0"], vec!["--uid", "0"]),
        (vec!["ruid", "0"], vec!["--ruid", "0"]),
        (vec!["all"], vec![]),
    ];
    let members: Vec<i64> = fam
        .members()
        .iter()
        .map(|p| i64::from(p.as_raw()))
        .collect();
    for (sub, flag) in &pairs {
        let a = lines_pids(&stdout(&listpids(sub)));
        let b = lines_pids(&stdout(&listpids(flag)));
        let keep = |v: &Vec<i64>| -> Vec<i64> {
            v.iter().copied().filter(|p| members.contains(p)).collect()
        };
        assert_eq!(keep(&a), keep(&b), "{sub:?} vs {flag:?}");
    }
    // A subcommand combines with an output flag, before or after it.
    let json = pids_of(&json_lines(&stdout(&listpids(&[
        "--json", "ppid", &leader,
    ]))));
    assert_eq!(json, lines_pids(&stdout(&listpids(&["ppid", &leader]))));
    // Defaults: this process's own ids. `listpids` is the caller's child,
    // in its group, with its uids.
    let me = pidquery::System::live().unwrap().info(Pid::this()).unwrap();
    for (sub, must_list_itself) in [
        ("ppid", true),
        ("pgrp", true),
        ("uid", true),
        ("ruid", true),
    ] {
        let child = Command::new(env!("CARGO_BIN_EXE_listpids"))
            .arg(sub)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let own = i64::from(child.id());
        let out = child.wait_with_output().unwrap();
        let pids = lines_pids(&stdout(&out));
        assert_eq!(pids.contains(&own), must_list_itself, "{sub}: {pids:?}");
        let explicit = match sub {
            "ppid" => vec!["--ppid".to_string(), Pid::this().to_string()],
            "pgrp" => vec!["--pgrp".to_string(), me.pgid.to_string()],
            "uid" => vec!["--uid".to_string(), me.euid.to_string()],
            _ => vec!["--ruid".to_string(), me.ruid.to_string()],
        };
        let args: Vec<&str> = explicit.iter().map(String::as_str).collect();
        let b = lines_pids(&stdout(&listpids(&args)));
        let keep = |v: &Vec<i64>| -> Vec<i64> {
            v.iter().copied().filter(|p| members.contains(p)).collect()
        };
        assert_eq!(keep(&pids), keep(&b), "{sub}");
    }
}

#[test]
fn output_flags_fail_cleanly() {
    for (args, needle) in [
        (&["--long", "--json"][..], "at most one output"),
        (&["--count", "--long"][..], "at most one output"),
        (&["--format", "pid,bogus"][..], "bogus"),
        (&["--format"][..], "--format needs a value"),
        (&["tty"][..], "tty needs a terminal"),
        (&["all", "3"][..], "all takes no value"),
        (&["uid", "0", "--ppid", "1"][..], "at most one filter"),
    ] {
        let out = listpids(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    // Nothing matched: exit 1, as the pid listing does.
    let out = listpids(&["--json", "--pgrp", "2147483646"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_process_that_vanishes_is_left_out() {
    // A shell that forks and reaps short-lived children without pause:
    // listpids finds them and many are gone by the time it reads them.
    // Every line printed is whole and names a child; no read error leaks.
    let churn = support::Proc::spawn(support::quiet(
        Command::new("sh").args(["-c", "while :; do /bin/true; done"]),
    ));
    let parent = churn.pid().to_string();
    let mut seen = 0;
    for _ in 0..50 {
        let out = listpids(&["--json", "--ppid", &parent]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        for v in json_lines(&text) {
            assert_eq!(v["ppid"].to_string(), parent);
            seen += 1;
        }
    }
    drop(churn);
    eprintln!("{seen} short-lived children listed in 50 runs");
}
