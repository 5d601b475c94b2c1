//! Conjunctive queries against a fixture of known processes, each answer
//! compared with a naive oracle that reads `/proc` itself (not through
//! the crate) and tests every condition on every fixture process.
//! Answers are compared on the fixture's processes only, so that the rest
//! of the machine may come and go.

#![cfg(target_os = "linux")]

#[allow(dead_code)]
#[path = "support/query_fixture.rs"]
mod fixture;

use std::collections::BTreeMap;

use fixture::QueryFixture;
use pidquery::{Dev, ErrorKind, Match, Namespaces, Pid, PidBuf, Query, States};

/// What the oracle knows of one process, read from `/proc` directly.
#[derive(Clone, Debug)]
struct Facts {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    sid: i32,
    tty: u64,
    state: u8,
    comm: Vec<u8>,
    euid: u32,
    ruid: u32,
    rgid: u32,
    args: Vec<u8>,
    start: u64,
    /// `/proc/<pid>/ns/<kind>`'s device and inode by kind (`None`: the
    /// link cannot be followed).
    ns: BTreeMap<&'static str, Option<(u64, u64)>>,
    /// The path of the `0::` line of `/proc/<pid>/cgroup`.
    cgroup: Option<Vec<u8>>,
}

const NS_KINDS: [&str; 8] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

fn ns_of(pid: i32) -> BTreeMap<&'static str, Option<(u64, u64)>> {
    use std::os::unix::fs::MetadataExt;
    NS_KINDS
        .iter()
        .map(|k| {
            let m = std::fs::metadata(format!("/proc/{pid}/ns/{k}")).ok();
            (*k, m.map(|m| (m.dev(), m.ino())))
        })
        .collect()
}

fn cgroup_of(pid: i32) -> Option<Vec<u8>> {
    let text = std::fs::read(format!("/proc/{pid}/cgroup")).ok()?;
    text.split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"0::"))
        .map(|l| l[3..].to_vec())
}

/// The oracle's same-namespaces test: every kind readable and equal.
fn same_ns(a: &Facts, b: &BTreeMap<&'static str, Option<(u64, u64)>>, kinds: &[&str]) -> bool {
    kinds
        .iter()
        .all(|k| matches!((a.ns[k], b[k]), (Some(x), Some(y)) if x == y))
}

fn read_facts(pid: i32) -> Facts {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).unwrap();
    let open = stat.iter().position(|&b| b == b'(').unwrap();
    let close = stat.iter().rposition(|&b| b == b')').unwrap();
    let comm = stat[open + 1..close].to_vec();
    let rest = String::from_utf8_lossy(&stat[close + 2..]).into_owned();
    let f: Vec<&str> = rest.split(' ').collect();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = |key: &str| -> Vec<u32> {
        let l = status.lines().find(|l| l.starts_with(key)).unwrap();
        l[key.len()..]
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect()
    };
    let uids = line("Uid:");
    let gids = line("Gid:");
    let mut args = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    while args.last() == Some(&0) {
        args.pop();
    }
    let state = f[0].as_bytes()[0];
    if args.is_empty() {
        args = [b"[".as_slice(), &comm, b"]"].concat();
        if state == b'Z' {
            args.extend_from_slice(b" <defunct>");
        }
    }
    for b in &mut args {
        if *b == 0 {
            *b = b' ';
        }
    }
    Facts {
        pid,
        ppid: f[1].parse().unwrap(),
        pgrp: f[2].parse().unwrap(),
        sid: f[3].parse().unwrap(),
        tty: u64::from(f[4].parse::<i32>().unwrap() as u32),
        state,
        comm,
        euid: uids[1],
        ruid: uids[0],
        rgid: gids[0],
        args,
        start: f[19].parse().unwrap(),
        ns: ns_of(pid),
        cgroup: cgroup_of(pid),
    }
}

/// A tiny deterministic generator (xorshift), so that a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// The library's answer restricted to the fixture.
/// The fixture's pids in the answers of `fill` and of `iter`.
fn ours_twice(q: &Query<'_>, fx: &[i32], buf: &mut PidBuf) -> (Vec<i32>, Vec<i32>) {
    let got = q.fill(buf).unwrap();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "not ascending: {q:?}");
    let a: Vec<i32> = got
        .iter()
        .map(|p| p.as_raw())
        .filter(|p| fx.contains(p))
        .collect();
    let streamed: Vec<Pid> = q.iter().unwrap().collect::<Result<_, _>>().unwrap();
    let b: Vec<i32> = streamed
        .iter()
        .map(|p| p.as_raw())
        .filter(|p| fx.contains(p))
        .collect();
    (a, b)
}

/// The state letter of `pid` now.
fn state_now(pid: i32) -> u8 {
    read_facts(pid).state
}

fn mk<'a>(how: usize, pat: &'a [u8], custom: &'a dyn pidquery::MatchBytes) -> Match<'a> {
    match how {
        0 => Match::exact(pat),
        1 => Match::prefix(pat),
        2 => Match::substring(pat),
        3 => Match::exact(pat).ignore_ascii_case(),
        _ => Match::custom(custom),
    }
}

fn is_below(facts: &BTreeMap<i32, Facts>, pid: i32, roots: &[i32]) -> bool {
    let mut at = facts[&pid].ppid;
    while let Some(f) = facts.get(&at) {
        if roots.contains(&at) {
            return true;
        }
        at = f.ppid;
    }
    roots.contains(&at)
}

#[test]
fn random_conjunctions_agree_with_the_oracle() {
    let fx = match QueryFixture::start() {
        Ok(fx) => fx,
        Err(why) => {
            eprintln!("SKIP random_conjunctions_agree_with_the_oracle: {why}");
            return;
        }
    };
    let pids = fx.all();
    let mut facts: BTreeMap<i32, Facts> = pids.iter().map(|&p| (p, read_facts(p))).collect();
    let vals = |f: &dyn Fn(&Facts) -> i64| -> Vec<i64> {
        let mut v: Vec<i64> = facts.values().map(f).collect();
        v.push(999_999);
        v.sort_unstable();
        v.dedup();
        v
    };
    let pgrps = vals(&|f| f.pgrp.into());
    let sids = vals(&|f| f.sid.into());
    let ttys = vals(&|f| f.tty as i64);
    let uids = vals(&|f| f.euid.into());
    let gids = vals(&|f| f.rgid.into());
    let parents = vals(&|f| f.ppid.into());
    let comms: Vec<Vec<u8>> = facts.values().map(|f| f.comm.clone()).collect();
    let argses: Vec<Vec<u8>> = facts.values().map(|f| f.args.clone()).collect();
    let letters = [b"S".as_slice(), b"T", b"Z", b"SZ", b"RT", b"D"];
    let cgroups: Vec<Vec<u8>> = {
        let mut v: Vec<Vec<u8>> = facts.values().filter_map(|f| f.cgroup.clone()).collect();
        v.push(b"/no/such/group".to_vec());
        v.sort();
        v.dedup();
        v
    };
    // A reference outside the fixture too: this test process.
    let me = std::process::id() as i32;
    let mut refs: Vec<i32> = facts.keys().copied().collect();
    refs.push(me);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut buf = PidBuf::new();
    let mut checked = 0;
    let mut nonempty = 0;
    for round in 0..400 {
        // Owned values first, so the query can borrow them.
        let two = |rng: &mut Rng, v: &[i64]| -> Vec<i64> {
            (0..1 + rng.below(2)).map(|_| *rng.pick(v)).collect()
        };
        let pg: Vec<i64> = two(&mut rng, &pgrps);
        let sd: Vec<i64> = two(&mut rng, &sids);
        let tt: Vec<i64> = two(&mut rng, &ttys);
        let eu: Vec<i64> = two(&mut rng, &uids);
        let ru: Vec<i64> = two(&mut rng, &uids);
        let rg: Vec<i64> = two(&mut rng, &gids);
        let pa: Vec<i64> = two(&mut rng, &parents);
        let de: Vec<i64> = two(&mut rng, &parents);
        let pid_set = |v: &[i64]| -> Vec<Pid> {
            v.iter()
                .map(|&x| Pid::from_raw(x as i32).unwrap())
                .collect()
        };
        let u32_set = |v: &[i64]| -> Vec<u32> { v.iter().map(|&x| x as u32).collect() };
        let (pg_p, sd_p, pa_p, de_p) = (pid_set(&pg), pid_set(&sd), pid_set(&pa), pid_set(&de));
        let tt_d: Vec<Dev> = tt.iter().map(|&x| Dev::from_raw(x as u64)).collect();
        let (eu_u, ru_u, rg_u) = (u32_set(&eu), u32_set(&ru), u32_set(&rg));
        let st_l = *rng.pick(&letters);
        let states = States::from_letters(st_l).unwrap();
        let source = rng.pick(&comms).clone();
        let cut = rng.below(source.len() + 1);
        let name_pat = source[..cut].to_vec();
        let args_src = rng.pick(&argses).clone();
        let from = rng.below(args_src.len() + 1);
        let args_pat = args_src[from..].to_vec();
        let name_how = rng.below(5);
        let args_how = rng.below(4);
        let custom = |b: &[u8]| b.len().is_multiple_of(2);
        let upper: Vec<u8> = name_pat.to_ascii_uppercase();
        let name_m = if name_how == 3 {
            mk(3, &upper, &custom)
        } else {
            mk(name_how, &name_pat, &custom)
        };
        let args_m = mk(args_how, &args_pat, &custom);
        let ns_ref = *rng.pick(&refs);
        let ns_kinds: Vec<&str> = NS_KINDS
            .iter()
            .copied()
            .filter(|_| rng.below(3) == 0)
            .collect();
        let ns_set = ns_kinds.iter().fold(Namespaces::empty(), |s, k| {
            s | Namespaces::from_link_name(k.as_bytes()).unwrap()
        });
        let ref_ns = ns_of(ns_ref);
        let cg: Vec<Vec<u8>> = (0..1 + rng.below(2))
            .map(|_| rng.pick(&cgroups).clone())
            .collect();
        let cg_slices: Vec<&[u8]> = cg.iter().map(Vec::as_slice).collect();
        let mut q = Query::new();
        let mut which = Vec::new();
        for c in 0..13 {
            if rng.below(4) != 0 {
                continue;
            }
            which.push(c);
            q = match c {
                0 => q.pgrp(&pg_p[..]),
                1 => q.session(&sd_p[..]),
                2 => q.tty(&tt_d[..]),
                3 => q.euid(&eu_u[..]),
                4 => q.ruid(&ru_u[..]),
                5 => q.rgid(&rg_u[..]),
                6 => q.parent(&pa_p[..]),
                7 => q.descendant_of(&de_p[..]),
                8 => q.state(states),
                9 => q.name(name_m),
                10 => q.cmdline(args_m),
                11 => q.same_namespaces(Pid::from_raw(ns_ref).unwrap(), ns_set),
                _ => q.cgroup(&cg_slices[..]),
            };
        }
        let negate = round % 5 == 4;
        if negate {
            q = q.negate();
        }
        // A fixture process may wake for a moment (its state is the one
        // attribute that does not stay put): the states are read again
        // before each attempt, and a round counts as wrong only if fill,
        // iter and the oracle disagree three times running.
        let mut attempts = 0;
        let (got, want) = loop {
            for f in facts.values_mut() {
                f.state = state_now(f.pid);
            }
            let want_one = |f: &Facts| -> bool {
                which.iter().all(|&c| match c {
                    0 => pg.contains(&f.pgrp.into()),
                    1 => sd.contains(&f.sid.into()),
                    2 => f.tty != 0 && tt.contains(&(f.tty as i64)),
                    3 => eu.contains(&f.euid.into()),
                    4 => ru.contains(&f.ruid.into()),
                    5 => rg.contains(&f.rgid.into()),
                    6 => pa.contains(&f.ppid.into()),
                    7 => is_below(
                        &facts,
                        f.pid,
                        &de.iter().map(|&x| x as i32).collect::<Vec<_>>(),
                    ),
                    8 => st_l.contains(&f.state),
                    9 => name_m.is_match(&f.comm),
                    10 => args_m.is_match(&f.args),
                    11 => same_ns(f, &ref_ns, &ns_kinds),
                    _ => f.cgroup.as_ref().is_some_and(|c| cg.contains(c)),
                }) != negate
            };
            let want: Vec<i32> = facts
                .values()
                .filter(|f| want_one(f))
                .map(|f| f.pid)
                .collect();
            let (got, streamed) = ours_twice(&q, &pids, &mut buf);
            attempts += 1;
            if (got == want && got == streamed) || attempts == 3 {
                assert_eq!(got, streamed, "fill and iter disagree: {q:?}");
                break (got, want);
            }
        };
        assert_eq!(got, want, "round {round}: {q:?}");
        checked += 1;
        nonempty += usize::from(!want.is_empty());
        // Newest and oldest among the same matches, within the fixture.
        if !negate && !want.is_empty() {
            let all_sids: Vec<Pid> = sids
                .iter()
                .filter(|&&s| s != 999_999)
                .map(|&s| Pid::from_raw(s as i32).unwrap())
                .collect();
            let both = if which.contains(&1) {
                q
            } else {
                q.session(&all_sids[..])
            };
            let newest = both.newest().fill(&mut buf).unwrap().to_vec();
            let oldest = both.oldest().fill(&mut buf).unwrap().to_vec();
            let by_start = |f: &&&Facts| (f.start, f.pid);
            let matching: Vec<&Facts> = want.iter().map(|p| &facts[p]).collect();
            let n = matching.iter().max_by_key(by_start).unwrap().pid;
            let o = matching
                .iter()
                .min_by_key(|f| (f.start, f.pid))
                .unwrap()
                .pid;
            assert_eq!(newest, [Pid::from_raw(n).unwrap()], "newest {q:?}");
            assert_eq!(oldest, [Pid::from_raw(o).unwrap()], "oldest {q:?}");
        }
    }
    assert!(
        nonempty > checked / 5,
        "too few non-empty answers: {nonempty}/{checked}"
    );
}

#[test]
fn each_condition_finds_its_fixture_process() {
    let fx = match QueryFixture::start() {
        Ok(fx) => fx,
        Err(why) => {
            eprintln!("SKIP each_condition_finds_its_fixture_process: {why}");
            return;
        }
    };
    let p = |k: &str| Pid::from_raw(fx.pid(k)).unwrap();
    let leader = Pid::from_raw(fx.leader).unwrap();
    let mut buf = PidBuf::new();
    let mut in_fx = |q: Query<'_>| -> Vec<Pid> {
        let all = fx.all();
        q.fill(&mut buf)
            .unwrap()
            .iter()
            .copied()
            .filter(|p| all.contains(&p.as_raw()))
            .collect()
    };
    // The long name is cut to 15 bytes by the kernel.
    assert_eq!(
        in_fx(Query::new().name(Match::exact("a_very_long_pro"))),
        [p("long")]
    );
    assert!(in_fx(Query::new().name(Match::exact("a_very_long_process_name"))).is_empty());
    assert_eq!(
        in_fx(Query::new().cmdline(Match::substring("LONG-ARG"))),
        [p("long")]
    );
    assert_eq!(
        in_fx(Query::new().name(Match::exact("beta-case").ignore_ascii_case())),
        [p("beta")]
    );
    assert_eq!(in_fx(Query::new().state(States::STOPPED)), [p("stopped")]);
    assert_eq!(in_fx(Query::new().state(States::ZOMBIE)), [p("zchild")]);
    assert_eq!(
        in_fx(Query::new().cmdline(Match::exact("[zchild] <defunct>"))),
        [p("zchild")]
    );
    assert_eq!(in_fx(Query::new().euid(65534)), [p("mixed")]);
    assert_eq!(in_fx(Query::new().ruid(1000).euid(1000)), [p("user")]);
    assert_eq!(in_fx(Query::new().rgid(1000).ruid(0)), [p("groupy")]);
    assert_eq!(
        in_fx(Query::new().pgrp(p("alpha1"))),
        [p("alpha1"), p("alpha2")]
    );
    let tree = [
        p("tree/delta"),
        p("tree/sh2"),
        p("tree/sh/epsilon"),
        p("tree/sh/delta"),
    ];
    let mut tree_sorted = tree.to_vec();
    tree_sorted.sort();
    assert_eq!(in_fx(Query::new().descendant_of(p("tree"))), tree_sorted);
    assert_eq!(
        in_fx(
            Query::new()
                .descendant_of(p("tree"))
                .name(Match::exact("delta"))
        )
        .len(),
        2
    );
    assert_eq!(
        in_fx(
            Query::new()
                .parent(p("tree/sh2"))
                .name(Match::prefix("eps"))
        ),
        [p("tree/sh/epsilon")]
    );
    assert_eq!(
        in_fx(
            Query::new()
                .parent(&[p("tree"), p("zhost")])
                .state(States::ZOMBIE)
        ),
        [p("zchild")]
    );
    assert_eq!(in_fx(Query::new().session(p("loner"))), [p("loner")]);
    let tty = pidquery::PidQuery::tty_path(&fx.tty).unwrap().filter();
    let pidquery::Filter::Tty(dev) = tty else {
        panic!()
    };
    let on_tty = in_fx(Query::new().tty(dev));
    assert_eq!(on_tty.len(), fx.all().len() - 1, "all but loner");
    assert!(!on_tty.contains(&p("loner")));
    // Negation: within the session, everything not named alpha.
    let not_alpha = in_fx(Query::new().name(Match::exact("alpha")).negate());
    assert!(!not_alpha.contains(&p("alpha1")) && not_alpha.contains(&leader));
    assert!(!in_fx(Query::new().except(p("alpha1")).pgrp(p("alpha1"))).contains(&p("alpha1")));
}

#[test]
fn namespace_and_cgroup_conditions_find_their_fixture_processes() {
    let fx = match QueryFixture::start() {
        Ok(fx) => fx,
        Err(why) => {
            eprintln!("SKIP namespace_and_cgroup_conditions_find_their_fixture_processes: {why}");
            return;
        }
    };
    let all = fx.all();
    let mut buf = PidBuf::new();
    let mut in_fx = |q: Query<'_>| -> Vec<i32> {
        let got: Vec<i32> = q
            .fill(&mut buf)
            .unwrap()
            .iter()
            .map(|p| p.as_raw())
            .filter(|p| all.contains(p))
            .collect();
        let streamed: Vec<i32> = q
            .iter()
            .unwrap()
            .map(|p| p.unwrap().as_raw())
            .filter(|p| all.contains(p))
            .collect();
        assert_eq!(got, streamed, "fill and iter disagree: {q:?}");
        got
    };
    let pid = |k: &str| Pid::from_raw(fx.pid(k)).unwrap();
    let leader = Pid::from_raw(fx.leader).unwrap();
    let zchild = fx.pid("zchild");
    let without =
        |gone: &[i32]| -> Vec<i32> { fx.all().into_iter().filter(|p| !gone.contains(p)).collect() };
    // A zombie's links cannot be followed: it never matches, and a
    // negated query lists it.
    assert_eq!(
        in_fx(Query::new().same_namespaces(leader, Namespaces::IPC)),
        without(&[zchild])
    );
    assert_eq!(
        in_fx(
            Query::new()
                .same_namespaces(leader, Namespaces::IPC)
                .negate()
        ),
        [zchild]
    );
    // A reference that has exited: nothing matches.
    let gone = {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let p = Pid::from(&child);
        child.wait().unwrap();
        p
    };
    assert!(in_fx(Query::new().same_namespaces(gone, Namespaces::NET)).is_empty());
    assert_eq!(
        in_fx(Query::new().same_namespaces(gone, Namespaces::NET).negate()),
        fx.all()
    );
    // No kinds: no condition.
    assert_eq!(
        in_fx(Query::new().same_namespaces(gone, Namespaces::empty())),
        fx.all()
    );
    match fx.skipped.get("netns") {
        Some(why) => eprintln!("SKIP the netns process: {why}"),
        None => {
            let netns = fx.pid("netns");
            for kinds in [
                Namespaces::NET,
                Namespaces::UTS,
                Namespaces::NET | Namespaces::IPC,
            ] {
                assert_eq!(
                    in_fx(Query::new().same_namespaces(pid("netns"), kinds)),
                    [netns],
                    "{kinds:?}"
                );
                assert_eq!(
                    in_fx(Query::new().same_namespaces(leader, kinds | Namespaces::MNT)),
                    without(&[netns, zchild]),
                    "{kinds:?}"
                );
            }
            // It shares the rest.
            assert_eq!(
                in_fx(
                    Query::new().same_namespaces(pid("netns"), Namespaces::MNT | Namespaces::PID)
                ),
                without(&[zchild])
            );
            // With the euid condition the reads go by path, bound by the
            // last lookup.
            assert_eq!(
                in_fx(
                    Query::new()
                        .euid(0)
                        .same_namespaces(pid("netns"), Namespaces::NET)
                ),
                [netns]
            );
        }
    }
    match (&fx.cgroup_path, fx.skipped.get("cgrouped")) {
        (Some(path), None) => {
            let cg = fx.pid("cgrouped");
            let path = path.as_bytes();
            assert_eq!(in_fx(Query::new().cgroup(path)), [cg]);
            assert_eq!(in_fx(Query::new().cgroup(&[b"/x".as_slice(), path])), [cg]);
            assert!(!in_fx(Query::new().cgroup(path).negate()).contains(&cg));
            assert!(in_fx(Query::new().cgroup(&path[..path.len() - 1])).is_empty());
            assert_eq!(
                in_fx(
                    Query::new()
                        .cgroup(path)
                        .same_namespaces(leader, Namespaces::NET)
                ),
                [cg]
            );
            let leader_cg = cgroup_of(fx.leader).unwrap();
            assert!(!in_fx(Query::new().cgroup(leader_cg.as_slice())).contains(&cg));
        }
        (_, why) => eprintln!("SKIP the cgrouped process: {why:?}"),
    }
    // A reference whose links the caller may not follow (pid 1 in some
    // sandboxes, even for root): a typed error naming it.
    if let Err(e) = std::fs::metadata("/proc/1/ns/net") {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            let one = Pid::from_raw(1).unwrap();
            let err = Query::new()
                .same_namespaces(one, Namespaces::NET)
                .fill(&mut PidBuf::new())
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::PermissionDenied);
            assert_eq!(err.pid(), Some(one));
        }
    }
}
