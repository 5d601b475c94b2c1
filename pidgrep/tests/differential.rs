//! `pidgrep` against the system's own `pgrep` (procps-ng 4.0): a fixture
//! of processes with chosen names (one longer than 15 bytes), command
//! lines, groups, a session on a pty, real and effective ids, a small
//! tree, a stopped process and a zombie, one in new network and UTS
//! namespaces and one in its own cgroup (where the machine allows); then
//! many randomized option
//! combinations run through both, one after the other, comparing standard
//! output and exit status. Each run is restricted to the fixture (`-s`,
//! `-g` or `-P` of its processes) so that the rest of the machine cannot
//! make a difference — except with `-v`, whose answer is the whole
//! machine: such a run is repeated (up to five times) until both agree,
//! and the first-try and persistent mismatch rates are printed.

#[allow(dead_code)]
#[path = "../../tests/support/query_fixture.rs"]
mod fixture;

mod support;

use std::process::Command;

use support::{differ, pgrep_or_skip, Rng, SERIAL};

#[test]
fn random_option_combinations_match_pgrep() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !pgrep_or_skip("random_option_combinations_match_pgrep") {
        return;
    }
    let fx = match fixture::QueryFixture::start() {
        Ok(fx) => fx,
        Err(why) => {
            eprintln!("SKIP random_option_combinations_match_pgrep: {why}");
            return;
        }
    };
    let all = fx.all();
    let sid = fx.leader.to_string();
    let loner = fx.pid("loner").to_string();
    let tty = fx
        .tty
        .to_string_lossy()
        .trim_start_matches("/dev/")
        .to_string();
    let pgrps: Vec<String> = [
        "alpha1", "long", "beta", "tree", "zhost", "stopped", "mixed",
    ]
    .iter()
    .map(|k| fx.pid(k).to_string())
    .collect();
    let parents: Vec<String> = vec![
        fx.leader.to_string(),
        fx.pid("tree").to_string(),
        fx.pid("tree/sh2").to_string(),
        fx.pid("zhost").to_string(),
    ];
    let patterns = [
        "alpha",
        "^a",
        "a.*a",
        "delta|epsilon",
        "[bB]eta",
        "LONG",
        "a_very_long_process_name",
        "a_very_long_pro",
        "sleep",
        "foo\\.bar",
        "foo.bar",
        "\\[zchild\\]",
        "zchild",
        "defunct",
        "1000",
        "100[12]",
        "^\\./",
        "gamma 100[01]$",
        "x",
        "python",
        "^sh$",
        "BETA",
        "e",
        "a+b",
        "\\[x\\]",
        "--flag",
    ];
    let ids = [
        "0",
        "1000",
        "65534",
        "root",
        "nobody",
        "0,1000",
        "1000,65534",
    ];
    let states = ["S", "T", "Z", "SZ", "R,T", "D"];
    // --ns references: the leader, a zombie (whose links pgrep cannot
    // follow), the process in its own namespaces when there is one.
    let mut ns_refs = vec![fx.leader.to_string(), fx.pid("zchild").to_string()];
    if !fx.skipped.contains_key("netns") {
        ns_refs.push(fx.pid("netns").to_string());
    }
    let nslists = [
        "net", "uts", "ipc", "net,uts", "uts,net", "mnt,pid", "user", "time",
    ];
    let mut cgroups = vec!["/".to_string(), "/no/such".to_string()];
    if let Some(p) = &fx.cgroup_path {
        cgroups.push(p.clone());
        cgroups.push(format!("/x,{p}"));
    }
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let rounds = 600;
    let (mut first_try, mut persistent, mut negated) = (0, 0, 0);
    let mut failures = Vec::new();
    for _ in 0..rounds {
        let mut args: Vec<String> = Vec::new();
        let mut flags = String::new();
        for (f, pct) in [
            ('f', 35),
            ('x', 20),
            ('i', 20),
            ('c', 15),
            ('l', 20),
            ('a', 15),
            ('A', 5),
        ] {
            if rng.chance(pct) {
                flags.push(f);
            }
        }
        match rng.below(6) {
            0 => flags.push('n'),
            1 => flags.push('o'),
            _ => {}
        }
        let negate = rng.chance(12);
        if negate {
            flags.push('v');
        }
        if !flags.is_empty() {
            args.push(format!("-{flags}"));
        }
        // The restriction to the fixture.
        match rng.below(3) {
            0 => {
                args.push("-s".into());
                args.push(if rng.chance(30) {
                    format!("{sid},{loner}")
                } else {
                    sid.clone()
                });
            }
            1 => {
                let n = 1 + rng.below(3);
                let list: Vec<String> = (0..n).map(|_| rng.pick(&pgrps)).collect();
                args.push("-g".into());
                args.push(list.join(","));
            }
            _ => {
                let n = 1 + rng.below(2);
                let list: Vec<String> = (0..n).map(|_| rng.pick(&parents)).collect();
                args.push("-P".into());
                args.push(list.join(","));
            }
        }
        for (opt, pct) in [("-u", 20), ("-U", 15), ("-G", 10)] {
            if rng.chance(pct) {
                args.push(opt.into());
                args.push(rng.pick(&ids).into());
            }
        }
        if rng.chance(10) {
            args.push("-t".into());
            args.push(tty.clone());
        }
        if rng.chance(12) {
            args.push("-r".into());
            args.push(rng.pick(&states).into());
        }
        if rng.chance(12) {
            args.push("--ns".into());
            args.push(rng.pick(&ns_refs));
            if rng.chance(60) {
                args.push("--nslist".into());
                args.push(rng.pick(&nslists).into());
            }
        }
        if rng.chance(10) {
            args.push("--cgroup".into());
            args.push(rng.pick(&cgroups));
        }
        if rng.chance(5) {
            args.push("-O".into());
            args.push(rng.pick(&["0", "100000"]).into());
        }
        if rng.chance(15) {
            args.push("-d".into());
            args.push(rng.pick(&[",", ":", " ", "--"]).into());
        }
        if rng.chance(75) {
            args.push(rng.pick(&patterns).into());
        }
        // Both read the live table at different moments: a pair that
        // differs is run again, and only a difference that persists
        // counts (the whole machine, under -v, changes the most).
        let tries = if negate { 5 } else { 3 };
        negated += usize::from(negate);
        let (first, diff) = differ(&args, tries);
        first_try += usize::from(first);
        if let Some(d) = diff {
            persistent += 1;
            failures.push(d);
        }
    }
    // Every fixture process is still there: the comparison was of a
    // steady fixture.
    for pid in &all {
        assert!(
            std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "{pid} died"
        );
    }
    eprintln!(
        "{rounds} combinations ({negated} with -v): {first_try} differed at the first try \
         ({:.2}%), {persistent} persistently ({:.2}%)",
        100.0 * first_try as f64 / rounds as f64,
        100.0 * persistent as f64 / rounds as f64
    );
    for f in failures.iter().take(10) {
        eprintln!("{f}");
    }
    assert_eq!(persistent, 0, "{} mismatches", failures.len());
}

#[test]
fn the_edges_match_pgrep() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !pgrep_or_skip("the_edges_match_pgrep") {
        return;
    }
    let fx = match fixture::QueryFixture::start() {
        Ok(fx) => fx,
        Err(why) => {
            eprintln!("SKIP the_edges_match_pgrep: {why}");
            return;
        }
    };
    let s = fx.leader.to_string();
    let z = fx.pid("zhost").to_string();
    let zombie = fx.pid("zchild").to_string();
    let gone = {
        let mut child = Command::new("true").spawn().unwrap();
        let p = child.id().to_string();
        child.wait().unwrap();
        p
    };
    let netns = match fx.skipped.get("netns") {
        Some(why) => {
            eprintln!("SKIP the --ns cases of a process in its own namespaces: {why}");
            s.clone()
        }
        None => fx.pid("netns").to_string(),
    };
    let cg = match (&fx.cgroup_path, fx.skipped.get("cgrouped")) {
        (Some(p), None) => p.clone(),
        (_, why) => {
            eprintln!("SKIP the --cgroup cases of a process in its own cgroup: {why:?}");
            "/".into()
        }
    };
    let tty = fx
        .tty
        .to_string_lossy()
        .trim_start_matches("/dev/")
        .to_string();
    let cg_or_x = format!("/x,{cg}");
    let cases: Vec<Vec<String>> = [
        // Names longer than 15 bytes: the kernel keeps 15.
        vec!["-s", &s, "a_very_long_process_name"],
        vec!["-s", &s, "-x", "a_very_long_pro"],
        vec!["-s", &s, "-f", "a_very_long_process_name"],
        vec!["-s", &s, "-l", "long"],
        // Zombies under -f and -a: `[name] <defunct>`.
        vec!["-P", &z, "-a"],
        vec!["-P", &z, "-f", "defunct"],
        vec!["-P", &z, "-fx", "\\[zchild\\] <defunct>"],
        vec!["-P", &z, "-l"],
        // Kernel threads: `[name]` under -f and -a; ties of -n/-o.
        vec!["-P", "0", "-a"],
        vec!["-f", "^\\[kthreadd\\]$"],
        vec!["-P", "0", "-o"],
        vec!["-P", "0", "-n"],
        vec!["-P", "2", "-o"],
        vec!["-lP", "0"],
        // Messages and exit codes.
        vec![],
        vec!["-x"],
        vec!["a", "b"],
        vec!["-q"],
        vec!["--bogus"],
        vec!["-d"],
        vec!["-n", "-o", "x"],
        vec!["-u", "no-such-user-here", "x"],
        vec!["-G", "no-such-group-here", "x"],
        vec!["-P", "abc"],
        vec!["-g", "x"],
        vec!["-s", "x"],
        vec!["-x", "a("],
        vec!["-c", "no-such-process-name"],
        vec!["-t", "no-such-tty", "x"],
        vec!["-r", "Q", "-s", &s],
        vec!["--cou", "--sess", &s],
        vec!["-s", &s, "--", "-x"],
        vec!["-s", &s, "-d", ",", "-c", "a"],
        vec!["-g", "0"],
        // Namespaces: pgrep 4.0.2 keeps the last --nslist item only,
        // compares cgroup ipc mnt net pid time by default, reads --ns with
        // atoi (0: the text becomes -r's list), and a reference whose
        // links it cannot follow matches the processes whose links it
        // cannot follow either (a zombie's).
        vec!["--ns", &s, "-s", &s],
        vec!["--ns", &s, "-s", &s, "-v"],
        vec!["--ns", &netns, "-s", &s, "-l"],
        vec!["--ns", &netns, "--nslist", "net", "-s", &s],
        vec!["--ns", &netns, "--nslist", "net,uts", "-s", &s],
        vec!["--ns", &netns, "--nslist", "net,mnt", "-s", &s],
        vec!["--ns", &netns, "--nslist", "mnt,pid", "-s", &s],
        vec!["--ns", &netns, "--nslist", "user", "-s", &s],
        vec!["--ns", &s, "--nslist", "uts", "-s", &s, "-n"],
        vec!["--ns", &zombie, "-s", &s],
        vec!["--ns", &zombie, "-s", &s, "-v", "-c"],
        vec!["--ns", &gone, "-s", &s],
        vec!["--ns", "0", "-s", &s],
        vec!["--ns", "S", "-s", &s],
        vec!["--ns", "T", "-s", &s, "-t", &tty],
        vec!["--ns", "-5", "-s", &s],
        vec!["--ns", "x"],
        vec!["--nslist", "net"],
        vec!["--nslist", "bogus", "--ns", &s],
        vec!["--nslist", "", "--ns", &s],
        vec!["--nslist", "net,", "--ns", &s],
        vec!["--nslist", "net", "--ns", &s, "-s", &s, "-c"],
        // cgroup v2 paths, compared whole; ignored with -t.
        vec!["--cgroup", &cg, "-s", &s],
        vec!["--cgroup", &cg_or_x, "-s", &s, "-l"],
        vec!["--cgroup", "/", "-s", &s],
        vec!["--cgroup", &cg, "-s", &s, "-v"],
        vec!["--cgroup", &cg, "-s", &s, "-t", &tty],
        vec!["--cgroup", &cg, "--ns", &s, "-s", &s],
        vec!["--cgroup", "/no/such", "-s", &s],
        vec!["--cgroup", ""],
        vec!["--cgroup", "/x", "--cgroup", &cg, "-s", &s],
        vec!["-V"],
        vec!["-h"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();
    let mut bad = Vec::new();
    for args in &cases {
        // Kernel threads (-P 0, -P 2) come and go: a difference must
        // persist to count.
        let tries = if args.iter().any(|a| a == "-v" || a == "-g") {
            5
        } else {
            3
        };
        if let (_, Some(d)) = differ(args, tries) {
            bad.push(d);
        }
    }
    for d in &bad {
        eprintln!("{d}");
    }
    // -V and -h name the program; everything else must agree.
    let allowed = bad
        .iter()
        .filter(|d| d.contains("[\"-V\"]") || d.contains("[\"-h\"]"))
        .count();
    assert_eq!(
        bad.len(),
        allowed,
        "{} of {} edges differ",
        bad.len() - allowed,
        cases.len()
    );
}
