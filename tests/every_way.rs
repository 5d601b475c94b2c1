//! Every query shape through every way of running it, on a quiet fixture
//! of processes this test spawned: each way must give the same answer for
//! each shape, and that answer must be what the fixture knows.
//!
//! A way that is empty, short or padded for one shape (as `iter` of
//! `descendants` once was) fails here however the other ways behave.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::process::Command;

use pidquery::{Dev, InfoBuf, Pid, PidBuf, PidQuery, System, Watch};

use support::hostile::private_uid;
use support::{
    family, have, is_root, pty_session, quiet, set, skip, wait_children, wait_exec, with_uids,
    Proc, SLEEP_SECS,
};

/// One query shape: the query, the same as `listpids` arguments (each
/// filter flag, and the subcommand form where there is one), and what the
/// fixture knows of its answer.
struct Shape {
    name: String,
    query: PidQuery,
    /// Argument lists for `listpids` that ask the same.
    cli: Vec<Vec<String>>,
    /// The fixture's processes this shape matches.
    want: BTreeSet<Pid>,
    /// True when nothing but the fixture can match, so an answer is
    /// compared whole; otherwise only its part among the fixture's pids.
    exact: bool,
}

/// One way of running a query: its name and what it lists (or why not).
type Way = (&'static str, fn(&PidQuery) -> Result<Vec<Pid>, String>);

fn fill(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut buf = PidBuf::new();
    q.fill(&mut buf)
        .map(<[Pid]>::to_vec)
        .map_err(|e| e.to_string())
}

fn fill_slice(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut room = vec![Pid::ZERO; support::pid_max()];
    let n = q.fill_slice(&mut room).map_err(|e| e.to_string())?;
    room.truncate(n);
    Ok(room)
}

fn iter(q: &PidQuery) -> Result<Vec<Pid>, String> {
    q.iter()
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

fn live_fill(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut buf = PidBuf::new();
    let system = System::live().map_err(|e| e.to_string())?;
    system
        .fill(q, &mut buf)
        .map(<[Pid]>::to_vec)
        .map_err(|e| e.to_string())
}

fn live_fill_slice(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let system = System::live().map_err(|e| e.to_string())?;
    let mut room = vec![Pid::ZERO; support::pid_max()];
    let n = system.fill_slice(q, &mut room).map_err(|e| e.to_string())?;
    room.truncate(n);
    Ok(room)
}

fn live_iter(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let system = System::live().map_err(|e| e.to_string())?;
    system
        .iter(q)
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// A `System` of its own on `/proc`, not the cached live one.
fn opened() -> Result<System, String> {
    System::open("/proc").map_err(|e| e.to_string())
}

fn open_fill(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut buf = PidBuf::new();
    opened()?
        .fill(q, &mut buf)
        .map(<[Pid]>::to_vec)
        .map_err(|e| e.to_string())
}

fn open_iter(q: &PidQuery) -> Result<Vec<Pid>, String> {
    opened()?
        .iter(q)
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

fn live_infos(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut buf = InfoBuf::new();
    let system = System::live().map_err(|e| e.to_string())?;
    let infos = system.infos(q, &mut buf).map_err(|e| e.to_string())?;
    Ok(infos.iter().map(|i| i.pid).collect())
}

fn open_infos(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut buf = InfoBuf::new();
    let system = opened()?;
    let infos = system.infos(q, &mut buf).map_err(|e| e.to_string())?;
    Ok(infos.iter().map(|i| i.pid).collect())
}

/// The births a new watch reports on its first poll (every match).
fn watch_first_poll(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut watch = Watch::new(*q);
    let born: Vec<Pid> = watch.poll().map_err(|e| e.to_string())?.born().collect();
    let current = watch.current().to_vec();
    if born != current {
        return Err(format!("first poll: born {born:?} but current {current:?}"));
    }
    Ok(born)
}

fn watch_reuse_first_poll(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let mut watch = Watch::new(*q).track_reuse();
    let born: Vec<Pid> = watch.poll().map_err(|e| e.to_string())?.born().collect();
    Ok(born)
}

fn watch_poll_in(q: &PidQuery) -> Result<Vec<Pid>, String> {
    let system = opened()?;
    let mut watch = Watch::new(*q);
    let born: Vec<Pid> = watch
        .poll_in(&system)
        .map_err(|e| e.to_string())?
        .born()
        .collect();
    Ok(born)
}

const WAYS: &[Way] = &[
    ("PidQuery::fill", fill),
    ("PidQuery::fill_slice", fill_slice),
    ("PidQuery::iter", iter),
    ("System::live().fill", live_fill),
    ("System::live().fill_slice", live_fill_slice),
    ("System::live().iter", live_iter),
    ("System::open(/proc).fill", open_fill),
    ("System::open(/proc).iter", open_iter),
    ("System::live().infos", live_infos),
    ("System::open(/proc).infos", open_infos),
    ("Watch first poll", watch_first_poll),
    ("Watch::track_reuse first poll", watch_reuse_first_poll),
    ("Watch::poll_in(open) first poll", watch_poll_in),
];

/// How `listpids` prints the pids it lists: the extra arguments, and how a
/// pid is read back from one line of output (`None` for a header).
type Output = (&'static str, fn(&str) -> Result<Option<i32>, String>);

const OUTPUTS: &[Output] = &[
    ("", |l| {
        l.parse::<i32>().map(Some).map_err(|e| e.to_string())
    }),
    ("--format pid", |l| match l.trim() {
        "PID" => Ok(None),
        n => n.parse::<i32>().map(Some).map_err(|e| e.to_string()),
    }),
    ("--json", |l| {
        let v: serde_json::Value = serde_json::from_str(l).map_err(|e| e.to_string())?;
        let pid = v["pid"].as_i64().ok_or("no pid key")?;
        Ok(Some(pid as i32))
    }),
];

/// `listpids ARGS` run as a program, its output read as `output` says:
/// its pids, or why it failed.
fn listpids(args: &[String], output: &Output) -> Result<Vec<Pid>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_listpids"))
        .args(args)
        .args(output.0.split_whitespace())
        .output()
        .map_err(|e| format!("cannot run listpids: {e}"))?;
    // Exit status 1 means "nothing matched", with empty output.
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "{:?}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let mut pids = Vec::new();
    for line in text.lines() {
        if let Some(raw) = (output.1)(line).map_err(|e| format!("{line:?}: {e}"))? {
            pids.push(Pid::from_raw(raw).ok_or_else(|| format!("not a pid: {line:?}"))?);
        }
    }
    Ok(pids)
}

/// `listpids ARGS --count`.
fn listpids_count(args: &[String]) -> Result<usize, String> {
    let mut args = args.to_vec();
    args.push("--count".into());
    let out = Command::new(env!("CARGO_BIN_EXE_listpids"))
        .args(&args)
        .output()
        .map_err(|e| format!("cannot run listpids: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("{:?}: {e}: {:?}", out.status, out.stderr))
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Compares one way's answer for `shape` with the fixture (and checks its
/// order), naming what differs; `None` when it agrees.
fn judge(shape: &Shape, way: &str, got: Result<Vec<Pid>, String>) -> Option<String> {
    let got = match got {
        Ok(got) => got,
        Err(e) => return Some(format!("{}: {way}: error {e}", shape.name)),
    };
    // On Linux every way answers in ascending order.
    if let Some(w) = got.windows(2).find(|w| w[0] >= w[1]) {
        return Some(format!(
            "{}: {way}: not ascending at {} then {}",
            shape.name, w[0], w[1]
        ));
    }
    let dups = got.len() - set(got.iter().copied()).len();
    let got = set(got);
    let seen: BTreeSet<Pid> = if shape.exact {
        got
    } else {
        got.intersection(&fixture_pids()).copied().collect()
    };
    if dups == 0 && seen == shape.want {
        return None;
    }
    let missing: Vec<_> = shape.want.difference(&seen).collect();
    let extra: Vec<_> = seen.difference(&shape.want).collect();
    Some(format!(
        "{}: {way}: missing {missing:?}, extra {extra:?}, {dups} duplicates (want {:?})",
        shape.name, shape.want
    ))
}

/// Every pid this test's fixture holds (set once, read by `judge`).
static FIXTURE: std::sync::OnceLock<BTreeSet<Pid>> = std::sync::OnceLock::new();

fn fixture_pids() -> BTreeSet<Pid> {
    FIXTURE.get().cloned().unwrap_or_default()
}

/// A tree in a process group of its own, quiet once returned:
/// root (a `sleep`) → `a` (a `sleep`) → `b` (a `sleep`), and root → `c`.
struct Tree {
    root: Proc,
    a: Pid,
    b: Pid,
    c: Pid,
}

fn tree() -> Tree {
    let script = format!(
        "sh -c 'sleep {SLEEP_SECS} & exec sleep {SLEEP_SECS}' & sleep {SLEEP_SECS} & exec sleep {SLEEP_SECS}"
    );
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", &script]).process_group(0);
    let root = Proc::spawn(quiet(&mut cmd));
    let pid = root.pid();
    let root = root.kill_group_on_drop(pid);
    wait_exec(pid, "sleep");
    let kids = wait_children(pid, 2, "sleep");
    let a = support::wait_until("the middle process to have its child", || {
        kids.iter()
            .copied()
            .find(|&k| support::children(k).len() == 1)
    });
    let c = *kids.iter().find(|&&k| k != a).expect("two children");
    let b = wait_children(a, 1, "sleep")[0];
    Tree { root, a, b, c }
}

#[test]
fn every_shape_every_way_agrees_with_the_fixture() {
    let tree = tree();
    let root = tree.root.pid();
    let mut fixture: BTreeSet<Pid> = set([root, tree.a, tree.b, tree.c]);
    let mut shapes = vec![
        Shape {
            name: format!("pgrp({root})"),
            query: PidQuery::pgrp(root),
            cli: vec![
                strings(&["--pgrp", &root.to_string()]),
                strings(&["pgrp", &root.to_string()]),
            ],
            want: set([root, tree.a, tree.b, tree.c]),
            exact: true,
        },
        Shape {
            name: format!("ppid({root})"),
            query: PidQuery::ppid(root),
            cli: vec![
                strings(&["--ppid", &root.to_string()]),
                strings(&["ppid", &root.to_string()]),
            ],
            want: set([tree.a, tree.c]),
            exact: true,
        },
        Shape {
            name: format!("descendants({root})"),
            query: PidQuery::descendants(root),
            cli: vec![strings(&["--descendants", &root.to_string()])],
            want: set([tree.a, tree.b, tree.c]),
            exact: true,
        },
        Shape {
            name: format!("descendants({}) (a middle node)", tree.a),
            query: PidQuery::descendants(tree.a),
            cli: vec![strings(&["--descendants", &tree.a.to_string()])],
            want: set([tree.b]),
            exact: true,
        },
        Shape {
            name: format!("ppid({}) (a leaf: no children)", tree.b),
            query: PidQuery::ppid(tree.b),
            cli: vec![strings(&["--ppid", &tree.b.to_string()])],
            want: BTreeSet::new(),
            exact: true,
        },
    ];

    // A family in a group of its own, with four children (more than one
    // small answer), for ppid and pgrp again.
    let fam = family(4, true);
    let leader = fam.leader.pid();
    fixture.extend(fam.members());
    shapes.push(Shape {
        name: format!("ppid({leader}) (family)"),
        query: PidQuery::ppid(leader),
        cli: vec![strings(&["--ppid", &leader.to_string()])],
        want: set(fam.children.iter().copied()),
        exact: true,
    });
    shapes.push(Shape {
        name: format!("descendants({leader}) (family)"),
        query: PidQuery::descendants(leader),
        cli: vec![strings(&["--descendants", &leader.to_string()])],
        want: set(fam.children.iter().copied()),
        exact: true,
    });

    // The controlling terminal of a fresh pty session.
    let pty = pty_session();
    match &pty {
        Some(pty) => {
            fixture.extend(pty.members.iter().copied());
            let dev = Dev::from_raw(std::os::unix::fs::MetadataExt::rdev(
                &std::fs::metadata(&pty.tty).expect("stat the pty"),
            ));
            let path = pty.tty.display().to_string();
            shapes.push(Shape {
                name: format!("tty({path})"),
                query: PidQuery::tty(dev),
                cli: vec![
                    strings(&["--tty", &path]),
                    strings(&["--tty", &pty.ps_name]),
                    strings(&["tty", &path]),
                ],
                want: pty.members.clone(),
                exact: true,
            });
        }
        None => skip("tty shape", "`script` is not installed"),
    }

    // Private uids, real and effective crossed, as root.
    let mut uid_procs = Vec::new();
    if is_root() && have("setpriv") {
        let (r, e) = (private_uid(0), private_uid(1));
        let re = with_uids(r, e);
        let er = with_uids(e, r);
        fixture.extend([re.pid(), er.pid()]);
        for (name, query, flag, sub, want) in [
            ("uid", PidQuery::uid(e), "--uid", "uid", re.pid()),
            ("ruid", PidQuery::ruid(e), "--ruid", "ruid", er.pid()),
        ] {
            shapes.push(Shape {
                name: format!("{name}({e})"),
                query,
                cli: vec![
                    strings(&[flag, &e.to_string()]),
                    strings(&[sub, &e.to_string()]),
                ],
                want: set([want]),
                exact: true,
            });
        }
        uid_procs.push(re);
        uid_procs.push(er);
    } else {
        skip(
            "uid and ruid shapes on private uids",
            "needs root and setpriv; checking this user's uids among the fixture instead",
        );
    }

    // Shapes that other processes also match: judged on the fixture's part.
    let me = support::euid().expect("stat /proc/self");
    let fixture_uids: BTreeSet<Pid> = fixture
        .iter()
        .copied()
        .filter(|&p| support::status_uids(p).is_some_and(|u| u[1] == me))
        .collect();
    let fixture_ruids: BTreeSet<Pid> = fixture
        .iter()
        .copied()
        .filter(|&p| support::status_uids(p).is_some_and(|u| u[0] == me))
        .collect();
    shapes.push(Shape {
        name: "all".into(),
        query: PidQuery::all(),
        cli: vec![vec![], strings(&["all"])],
        want: fixture.clone(),
        exact: false,
    });
    shapes.push(Shape {
        name: format!("uid({me}) (this user)"),
        query: PidQuery::uid(me),
        cli: vec![strings(&["--uid", &me.to_string()])],
        want: fixture_uids,
        exact: false,
    });
    shapes.push(Shape {
        name: format!("ruid({me}) (this user)"),
        query: PidQuery::ruid(me),
        cli: vec![strings(&["--ruid", &me.to_string()])],
        want: fixture_ruids,
        exact: false,
    });
    FIXTURE.set(fixture).expect("set once");

    let mut failures = Vec::new();
    let mut checks = 0;
    for shape in &shapes {
        for (way, run) in WAYS {
            checks += 1;
            failures.extend(judge(shape, way, run(&shape.query)));
        }
        for args in &shape.cli {
            let way = format!("listpids {}", args.join(" "));
            for output in OUTPUTS {
                checks += 1;
                let way = format!("{way} {}", output.0);
                failures.extend(judge(shape, &way, listpids(args, output)));
            }
            if shape.exact {
                checks += 1;
                match listpids_count(args) {
                    Ok(n) if n == shape.want.len() => {}
                    other => failures.push(format!(
                        "{}: {way} --count: {other:?}, want {}",
                        shape.name,
                        shape.want.len()
                    )),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checks} (shape, way) answers disagree with the fixture:\n{}",
        failures.len(),
        failures.join("\n")
    );
    drop(uid_procs);
    drop(pty);
    drop(fam);
    drop(tree);
}
