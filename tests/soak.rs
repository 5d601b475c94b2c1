//! The differential soak: every fast path, run again and again beside a
//! churning fixture (`support::churn`), must list exactly the matches of
//! the fixture's core each time — judged against what the fixture knows,
//! never against another path or `ps`.
//!
//! The core (see `support::churn` for the tree): a parent P that is its
//! own session and group, with the pty as its controlling terminal and, as
//! root, uids of its own, whose leader exits with `SYS_exit` while another
//! thread execs, over and over; its children (sleeps, and processes that
//! exec from worker threads, one with children of its own), whose every
//! attribute stays put; a subreaper S whose middle children leave a leaf
//! and exit (each leaf a descendant of S throughout, moving up to it); as
//! root, a parent R whose pid X flips between R's childless child and a
//! child of R's parent with children, and a pid Y recreated again and
//! again with a euid that is never 0. Churners never share the core's
//! group, session, terminal, uids or parents, so each query below has an
//! unambiguous answer at every instant.
//!
//! How long: `PIDQUERY_SOAK_SECS` seconds of churn (75 by default).

#![cfg(target_os = "linux")]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pidquery::{Change, Dev, InfoBuf, Pid, PidBuf, PidQuery, ProcId, ProcInfo, System, Watch};

use support::churn::{self, Uids, CORE_KIDS, CORE_TEXECS};
use support::hostile::{private_uid, TempDir};
use support::judge::{json_wrong, judged, judged_cli, listpids, pid_of, Expect, Tallies};
use support::{is_root, pid, set, skip, Proc};

/// The fixture's processes when run as a child mode of this binary.
#[test]
#[ignore]
fn child_entry() {
    if std::env::var_os(churn::MODE_VAR).is_some() {
        churn::entry();
    }
}

const DEFAULT_SECS: u64 = 75;

/// What the fixture reported: the core.
struct Core {
    tty: Dev,
    p: Pid,
    p_kids: BTreeSet<Pid>,
    q: Pid,
    q_kids: BTreeSet<Pid>,
    /// As root: R, the flipping pid X, and R's steady children.
    reuse: Option<(Pid, Pid, BTreeSet<Pid>)>,
    /// As root: the flipper and the pid Y it recreates, both never root.
    flip: Option<(Pid, Pid)>,
    /// S, a subreaper whose middles leave leaves and exit.
    subreaper: Pid,
    /// The leaves below S reported so far: descendants of S for good.
    leaves: BTreeSet<Pid>,
    uids: Option<Uids>,
}

impl Core {
    /// P's session: P, its children and Q's.
    fn session(&self) -> BTreeSet<Pid> {
        let mut all = self.p_kids.clone();
        all.extend(&self.q_kids);
        all.insert(self.p);
        all
    }

    /// Every steady process below P and R (Q included), with its parent,
    /// group (= session) and whether it is on the pty.
    fn steady(&self) -> Vec<(Pid, Pid, Pid, bool)> {
        let mut all = vec![];
        for &k in &self.p_kids {
            all.push((k, self.p, self.p, true));
        }
        for &k in &self.q_kids {
            all.push((k, self.q, self.p, true));
        }
        if let Some((r, _, kids)) = &self.reuse {
            for &k in kids {
                all.push((k, *r, *r, false));
            }
        }
        all.push((self.q, self.p, self.p, true));
        all
    }
}

/// One query shape of the soak and its persistent watches.
struct Shape {
    name: String,
    query: PidQuery,
    expect: Expect,
    /// Extra fills per round: the cheap paths get more tries.
    repeat: usize,
    watch: Watch,
    watch_reuse: Watch,
    polled: bool,
    /// What had to be listed at the last poll of the watches: none of it
    /// may be reported born or dead since.
    steady_before: BTreeSet<Pid>,
}

fn soak_secs() -> u64 {
    support::secs_from_env("PIDQUERY_SOAK_SECS", DEFAULT_SECS).as_secs()
}

/// Waits for the report lines the core prints once set up.
fn read_core(lines: &mpsc::Receiver<Vec<String>>, uids: Option<Uids>) -> Core {
    let mut got: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let deadline = Instant::now() + support::TIMEOUT;
    let wanted: &[&str] = if uids.is_some() {
        &["root", "cycle", "sub", "reuse", "uidflip", "subreaper"]
    } else {
        &["root", "cycle", "sub", "subreaper"]
    };
    while !wanted.iter().all(|k| got.contains_key(*k)) {
        let left = deadline.saturating_duration_since(Instant::now());
        let words = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("the fixture reported only {:?}", got.keys()));
        let nums = words[1..]
            .iter()
            .map(|w| w.parse().expect("a number"))
            .collect();
        got.insert(words[0].clone(), nums);
    }
    let pids = |key: &str, from: usize| -> Vec<Pid> {
        got[key][from..].iter().map(|&n| pid(n as i32)).collect()
    };
    let p = pids("cycle", 0)[0];
    let q = pids("sub", 0)[0];
    let p_kids = set(pids("cycle", 1));
    assert_eq!(p_kids.len(), CORE_KIDS + CORE_TEXECS + 1);
    assert!(p_kids.contains(&q), "Q is a child of P");
    let reuse = uids.map(|_| {
        let r = pids("reuse", 0);
        (r[0], r[1], set(r[2..].iter().copied()))
    });
    let flip = uids.map(|_| {
        let f = pids("uidflip", 0);
        (f[0], f[1])
    });
    Core {
        tty: Dev::from_raw(got["root"][1] as u64),
        p,
        p_kids,
        q,
        q_kids: set(pids("sub", 1)),
        reuse,
        flip,
        subreaper: pids("subreaper", 0)[0],
        leaves: BTreeSet::new(),
        uids,
    }
}

fn shape(name: String, query: PidQuery, expect: Expect, repeat: usize) -> Shape {
    Shape {
        name,
        query,
        expect,
        repeat,
        watch: Watch::new(query),
        watch_reuse: Watch::new(query).track_reuse(),
        polled: false,
        steady_before: BTreeSet::new(),
    }
}

fn shapes(core: &Core, steady: BTreeSet<Pid>) -> Vec<Shape> {
    let session = core.session();
    let mut below_p = core.p_kids.clone();
    below_p.extend(&core.q_kids);
    let mut shapes = vec![
        shape(
            "ppid(P)".into(),
            PidQuery::ppid(core.p),
            Expect::Exact(core.p_kids.clone()),
            20,
        ),
        shape(
            "descendants(P)".into(),
            PidQuery::descendants(core.p),
            Expect::Exact(below_p),
            20,
        ),
        shape(
            "ppid(Q)".into(),
            PidQuery::ppid(core.q),
            Expect::Exact(core.q_kids.clone()),
            2,
        ),
        shape(
            "descendants(Q)".into(),
            PidQuery::descendants(core.q),
            Expect::Exact(core.q_kids.clone()),
            2,
        ),
        shape(
            "pgrp(P)".into(),
            PidQuery::pgrp(core.p),
            Expect::Exact(session.clone()),
            0,
        ),
        shape(
            "tty(pty)".into(),
            PidQuery::tty(core.tty),
            Expect::Exact(session.clone()),
            0,
        ),
        shape("all".into(), PidQuery::all(), Expect::AtLeast(steady), 0),
    ];
    match core.uids {
        Some(u) => {
            shapes.push(shape(
                "uid(core euid)".into(),
                PidQuery::uid(u.core_euid),
                Expect::Exact(session.clone()),
                0,
            ));
            shapes.push(shape(
                "ruid(core ruid)".into(),
                PidQuery::ruid(u.core_ruid),
                Expect::Exact(session),
                0,
            ));
        }
        None => skip(
            "soak: uid and ruid of the core",
            "needs root to give the core uids of its own",
        ),
    }
    if let (Some((flipper, y)), Some(u)) = (core.flip, core.uids) {
        shapes.push(shape(
            "uid(0) (never Y)".into(),
            PidQuery::uid(0),
            Expect::Without(set([flipper, y])),
            0,
        ));
        shapes.push(shape(
            "uid(flip)".into(),
            PidQuery::uid(u.flip),
            Expect::Between(set([flipper]), set([y])),
            0,
        ));
    }
    // Leaves move up to S when their middle exits: none may be missed.
    shapes.push(shape(
        "descendants(S)".into(),
        PidQuery::descendants(core.subreaper),
        Expect::AtLeast(BTreeSet::new()),
        2,
    ));
    if let Some((r, x, kids)) = &core.reuse {
        let may = set([*x]);
        let mut group = kids.clone();
        group.insert(*r);
        // The scan (pgrp) once a round, the cheap walks more often.
        for (name, query, must, repeat) in [
            ("ppid(R)", PidQuery::ppid(*r), kids.clone(), 4),
            ("descendants(R)", PidQuery::descendants(*r), kids.clone(), 4),
            ("pgrp(R)", PidQuery::pgrp(*r), group, 0),
        ] {
            shapes.push(shape(
                name.into(),
                query,
                Expect::Between(must, may.clone()),
                repeat,
            ));
        }
    } else {
        skip(
            "soak: pid reuse under R",
            "needs root (clone3 with set_tid takes CAP_SYS_ADMIN)",
        );
    }
    shapes
}

/// Why `info` of a steady process is wrong, if it is.
fn info_wrong(
    core: &Core,
    info: &ProcInfo,
    parent: Pid,
    group: Pid,
    on_tty: bool,
) -> Option<String> {
    let mut bad = vec![];
    if info.ppid != parent {
        bad.push(format!("ppid {} not {parent}", info.ppid));
    }
    if info.pgid != group {
        bad.push(format!("pgid {} not {group}", info.pgid));
    }
    if info.sid != Some(group) {
        bad.push(format!("sid {:?} not {group}", info.sid));
    }
    let tty = on_tty.then_some(core.tty);
    if info.tty != tty {
        bad.push(format!("tty {:?} not {tty:?}", info.tty));
    }
    if let Some(u) = core.uids.filter(|_| on_tty) {
        if (info.ruid, info.euid) != (u.core_ruid, u.core_euid) {
            bad.push(format!("uids {}/{}", info.ruid, info.euid));
        }
    }
    (!bad.is_empty()).then(|| format!("{}: {}", info.pid, bad.join(", ")))
}

/// The identity of `p`, asked until two answers agree.
fn steady_identity(system: &System, p: Pid) -> ProcId {
    support::wait_until(&format!("a steady identity of {p}"), || {
        let a = system.identity(p).ok()?;
        let b = system.identity(p).ok()?;
        (a == b).then_some(a)
    })
}

/// The walks the hammering thread repeats: the children-file paths,
/// whose races need many tries to be seen.
fn hammer_walks(shapes: &[Shape]) -> Vec<(String, PidQuery, Expect)> {
    // ppid(P) reads a few files, descendants(P) hundreds: ppid more often.
    let weights = [("ppid(P)", 5), ("descendants(P)", 1), ("descendants(R)", 1)];
    let mut walks = vec![];
    for (name, weight) in weights {
        if let Some(s) = shapes.iter().find(|s| s.name == name) {
            for _ in 0..weight {
                walks.push((s.name.clone(), s.query, s.expect.clone()));
            }
        }
    }
    walks
}

/// Fills of `walks`, back to back, beside the rounds, until `until`.
fn hammer(walks: Vec<(String, PidQuery, Expect)>, until: Instant) -> Tallies {
    let mut buf = PidBuf::new();
    let mut tally = Tallies::default();
    tally.start();
    while Instant::now() < until {
        for (name, query, expect) in &walks {
            let got = query.fill(&mut buf).map(<[Pid]>::to_vec);
            tally.record(
                &format!("fill {name}, back to back"),
                judged(expect, got, true),
            );
        }
    }
    tally
}

/// The buffers every round reuses.
struct Scratch {
    buf: PidBuf,
    slots: Vec<Pid>,
    infos: InfoBuf,
}

/// One round: every shape through every path, and every steady process
/// through `info`, `identity` and `is_current`.
fn round(
    system: &System,
    core: &Core,
    shapes: &mut [Shape],
    ids: &[(ProcId, Pid, Pid, bool)],
    scratch: &mut Scratch,
    tally: &mut Tallies,
) {
    let Scratch { buf, slots, infos } = scratch;
    tally.start();
    for s in shapes.iter_mut() {
        for _ in 0..=s.repeat {
            let got = s.query.fill(buf).map(<[Pid]>::to_vec);
            tally.record(&format!("fill {}", s.name), judged(&s.expect, got, true));
        }
        let got = s.query.fill_slice(slots).map(|n| slots[..n].to_vec());
        tally.record(
            &format!("fill_slice {}", s.name),
            judged(&s.expect, got, true),
        );
        let got = s
            .query
            .iter()
            .and_then(|it| it.collect::<Result<Vec<_>, _>>());
        tally.record(&format!("iter {}", s.name), judged(&s.expect, got, true));
        let got = system.infos(&s.query, infos).map(|all| {
            let mut fields = None;
            for i in all {
                if let Some(&(_, parent, group, on_tty)) = ids.iter().find(|x| x.0.pid() == i.pid) {
                    fields = fields.or_else(|| info_wrong(core, i, parent, group, on_tty));
                }
            }
            (all.iter().map(|i| i.pid).collect::<Vec<_>>(), fields)
        });
        let wrong = match got {
            Ok((pids, fields)) => s.expect.judge(&pids, true).or(fields),
            Err(e) => Some(format!("error: {e}")),
        };
        tally.record(&format!("infos {}", s.name), wrong);
        let first = !s.polled;
        s.polled = true;
        let steady_before = std::mem::replace(&mut s.steady_before, s.expect.must().clone());
        for (kind, watch) in [
            ("watch", &mut s.watch),
            ("watch track_reuse", &mut s.watch_reuse),
        ] {
            let wrong = match watch.poll() {
                Ok(changes) => {
                    let spurious: Vec<Change> = changes
                        .filter(|c| !first && steady_before.contains(&c.pid()))
                        .collect();
                    let current = watch.current().to_vec();
                    s.expect.judge(&current, true).or_else(|| {
                        (!spurious.is_empty())
                            .then(|| format!("a steady process changed: {spurious:?}"))
                    })
                }
                Err(e) => Some(format!("error: {e}")),
            };
            tally.record(&format!("{kind} {}", s.name), wrong);
        }
    }
    for (flag, who, expect) in [
        ("--ppid", core.p, &shapes[0].expect),
        ("--descendants", core.p, &shapes[1].expect),
    ] {
        let got = listpids(&[flag, &who.to_string()]).map(|out| {
            out.lines()
                .filter_map(|l| pid_of(l.trim()))
                .collect::<Vec<_>>()
        });
        tally.record(&format!("listpids {flag} P"), judged_cli(expect, got));
    }
    let pgrp = shapes
        .iter()
        .find(|s| s.name == "pgrp(P)")
        .expect("pgrp(P)");
    let got = listpids(&["--pgrp", &core.p.to_string(), "--json"]);
    tally.record("listpids --pgrp P --json", json_wrong(&pgrp.expect, got));
    for &(id, parent, group, on_tty) in ids {
        let p = id.pid();
        let wrong = match system.info(p) {
            Ok(info) => info_wrong(core, &info, parent, group, on_tty),
            Err(e) => Some(format!("{p}: error: {e}")),
        };
        tally.record("System::info (steady processes)", wrong);
        let wrong = match system.identity(p) {
            Ok(now) if now == id => None,
            Ok(now) => Some(format!("{p}: {now:?}, was {id:?}")),
            Err(e) => Some(format!("{p}: error: {e}")),
        };
        tally.record("System::identity (steady processes)", wrong);
        let wrong = match system.is_current(&id) {
            Ok(true) => None,
            Ok(false) => Some(format!("{p}: not current")),
            Err(e) => Some(format!("{p}: error: {e}")),
        };
        tally.record("System::is_current (steady processes)", wrong);
    }
}

/// P's exec count, from the words its last exec was given (unreadable
/// while its leader is gone, hence a few tries).
fn exec_count(p: Pid) -> Option<u64> {
    (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(1));
        exec_count_now(p)
    })
}

fn exec_count_now(p: Pid) -> Option<u64> {
    let env = std::fs::read(format!("/proc/{p}/environ")).ok()?;
    let words = env
        .split(|&b| b == 0)
        .find_map(|v| v.strip_prefix(format!("{}=", churn::ARGS_VAR).as_bytes()))?;
    let words = String::from_utf8_lossy(words).into_owned();
    words
        .split_whitespace()
        .find_map(|w| w.strip_prefix("n="))?
        .parse()
        .ok()
}

/// The CPU time this process (not its children) has used.
fn cpu_time() -> Duration {
    // SAFETY: a zeroed rusage is valid; getrusage fills it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[test]
#[ignore = "a soak of PIDQUERY_SOAK_SECS (75) seconds: run by .ci/soak"]
fn soak_core_answers_stay_exact_under_churn() {
    let secs = soak_secs();
    let uids = if is_root() {
        Some(Uids {
            core_ruid: private_uid(0),
            core_euid: private_uid(1),
            churn: [private_uid(2), private_uid(3)],
            flip: private_uid(3) + 20_000,
        })
    } else {
        skip(
            "soak: uid changes",
            "not root: the core and the churners keep this user's uids",
        );
        None
    };
    let dir = TempDir::new("soak");
    let exe = dir.exe_copy();
    let (stdin_r, stdin_w) = std::io::pipe().expect("a pipe");
    let mut cmd = churn::root_command(&exe, uids);
    cmd.stdin(stdin_r)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut fixture = Proc::spawn(&mut cmd).reaps_its_children();
    let out = fixture.take_stdout().expect("piped stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let mut words = line.split_whitespace();
            if words.next() == Some("PQ") {
                let _ = tx.send(words.map(str::to_string).collect::<Vec<_>>());
            }
        }
    });
    let t0 = Instant::now();
    let mut core = read_core(&lines, uids);
    eprintln!("soak: the core reported after {:?}", t0.elapsed());
    let system = System::live().expect("the live system");
    // P and R are children of the fixture's root.
    let mut steady = core.steady();
    steady.push((core.p, fixture.pid(), core.p, true));
    if let Some((r, _, _)) = core.reuse {
        steady.push((r, fixture.pid(), r, false));
    }
    let ids: Vec<(ProcId, Pid, Pid, bool)> = steady
        .iter()
        .map(|&(p, parent, group, tty)| (steady_identity(system, p), parent, group, tty))
        .collect();
    eprintln!("soak: identities taken after {:?}", t0.elapsed());
    let mut shapes = shapes(&core, set(steady.iter().map(|s| s.0)));
    let mut scratch = Scratch {
        buf: PidBuf::new(),
        slots: vec![Pid::ZERO; support::pid_max()],
        infos: InfoBuf::new(),
    };
    let mut tally = Tallies::default();
    let start = Instant::now();
    let until = start + Duration::from_secs(secs);
    let walks = hammer_walks(&shapes);
    let hammer = std::thread::spawn(move || hammer(walks, until));
    let mut rounds = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        // Leaves reported so far were born before this round's queries.
        while let Ok(words) = lines.try_recv() {
            match words[0].as_str() {
                "leaf" => {
                    core.leaves.insert(pid(words[2].parse().expect("a pid")));
                }
                "clone3-failed" => skip(
                    "soak: pid reuse",
                    &format!("clone3 with set_tid failed with errno {}", words[1]),
                ),
                _ => {}
            }
        }
        let below_s = shapes
            .iter_mut()
            .find(|s| s.name == "descendants(S)")
            .expect("descendants(S)");
        below_s.expect = Expect::AtLeast(core.leaves.clone());
        round(system, &core, &mut shapes, &ids, &mut scratch, &mut tally);
        rounds += 1;
    }
    tally.merge(hammer.join().expect("the hammering thread"));
    let execs = exec_count(core.p);
    drop(stdin_w);
    let stats = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(30)).ok())
        .find(|words| words[0] == "stats");
    let summary = format!(
        "{rounds} rounds in {:?} ({:?} of CPU); P exec'd {execs:?} times; churners and flips of X: {stats:?}\n{}",
        start.elapsed(),
        cpu_time(),
        tally.table()
    );
    eprintln!("{summary}");
    let t1 = Instant::now();
    drop(fixture);
    eprintln!("soak: the fixture was shut down in {:?}", t1.elapsed());
    drop(dir);
    assert!(rounds > 0, "no round ran");
    assert_eq!(tally.wrong(), 0, "wrong answers under churn:\n{summary}");
}
