//! Adversaries of the `uid` scan's confirmation (root only, bounded):
//!
//! - the owner of a task reaped mid-`fstatat`: `pid_getattr`
//!   (`fs/proc/base.c`) gives it `GLOBAL_ROOT_UID`, which `stat` maps into
//!   the caller's user namespace. In a user namespace mapping 0..65535 to
//!   host 100000.. that is the overflow uid 65534; where an inside id maps
//!   to host root, that id. Children forked and reaped beside `uid(R)`
//!   queries must never be listed. The same test reads that owner
//!   deterministically: through a descriptor of a child's directory, after
//!   the child is reaped, compared with the proc root's owner;
//! - a pid reused within one query: in a pid namespace, `clone3` with
//!   `set_tid` recreates 8 pids again and again (one process each), every
//!   incarnation owned by uid 1000 from birth, against `uid(0)` above the
//!   process count where confirmations are deferred. None of them may ever
//!   be listed.
//!
//! The first forks: a child makes the user namespace, this process writes
//! its maps, and the child's first child (pid 1 of a new pid namespace,
//! with its own procfs) runs the queries. The second runs this test binary
//! again under `unshare`, in the `#[ignore]`d `child_entry`. Both report
//! `PQ <key> <words>` lines; counts are printed, so a run shows the rate
//! it measured.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use pidquery::{Pid, PidBuf, PidQuery, System};
use support::hostile::{int, run_unshared, ARGS_VAR, MODE_VAR};
use support::raw;
use support::{root_or_skip, tools_or_skip};

/// One test at a time: the user-namespace test forks this process, whose
/// child runs on (in glibc, a fork copes with another thread's malloc, not
/// with other locks held).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// How long each adversary runs queries: 3 s, or `PIDQUERY_EXACT_SECS`
/// (to measure a rate over a longer run).
fn run_for() -> Duration {
    support::secs_from_env("PIDQUERY_EXACT_SECS", 3)
}

/// How many pids the reuse adversary recreates, each by a process of its
/// own, from the middle of the pid space up.
const REUSED_COUNT: libc::pid_t = 8;

/// The first of the pids the reuse adversary recreates.
fn first_reused() -> libc::pid_t {
    let max: libc::pid_t = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(32_768);
    max / 2
}

// ---------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------

/// Entry point of re-executed children; does nothing unless
/// `PIDQUERY_HOSTILE_MODE` is set.
#[test]
#[ignore = "entry point of re-executed child processes"]
fn child_entry() {
    let Ok(mode) = std::env::var(MODE_VAR) else {
        return;
    };
    let args = std::env::var(ARGS_VAR).unwrap_or_default();
    match mode.as_str() {
        "reuse" => child_reuse(&args),
        other => panic!("unknown child mode {other}"),
    }
    println!("PQ done");
}

/// Children forked and reaped per round by [`churner`].
const CHURN_BATCH: usize = 32;

/// A process that forks [`CHURN_BATCH`] children that exit at once, then
/// reaps them all, again and again until killed: bursts of reaps while
/// the queries scan the zombies. Its pid.
fn churner() -> libc::pid_t {
    let pid = raw::fork().expect("fork");
    if pid != 0 {
        return pid;
    }
    loop {
        for _ in 0..CHURN_BATCH {
            if let Ok(0) = raw::fork() {
                raw::exit_now(0);
            }
        }
        raw::reap_all();
    }
}

/// What [`measure`] counted.
struct Counts {
    answers: u64,
    /// Wrong answers of `fill` (which may defer confirmations).
    wrong_fill: u64,
    /// Wrong answers of `iter` (which confirms as it goes).
    wrong_iter: u64,
    samples: Vec<String>,
}

impl Counts {
    /// The report line: `<wrong> <wrong fills> <wrong iters> <samples>`.
    fn wrong_line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.wrong_fill + self.wrong_iter,
            self.wrong_fill,
            self.wrong_iter,
            self.samples.join(" ")
        )
    }
}

/// Runs `query` through `fill` and `iter` in turn for [`run_for`]; counts
/// the answers that `wrong` rejects, with the first few.
fn measure(query: PidQuery, wrong: impl Fn(&[Pid]) -> bool) -> Counts {
    let system = System::live().expect("live /proc");
    let mut buf = PidBuf::new();
    let mut streamed = Vec::with_capacity(4096);
    let mut counts = Counts {
        answers: 0,
        wrong_fill: 0,
        wrong_iter: 0,
        samples: Vec::new(),
    };
    let started = Instant::now();
    let run = run_for();
    while started.elapsed() < run {
        let filled = counts.answers % 2 == 0;
        let answer: &[Pid] = if filled {
            system.fill(&query, &mut buf).expect("fill")
        } else {
            streamed.clear();
            for pid in system.iter(&query).expect("iter") {
                streamed.push(pid.expect("stream"));
            }
            &streamed
        };
        counts.answers += 1;
        if wrong(answer) {
            let how = if filled {
                counts.wrong_fill += 1;
                "fill"
            } else {
                counts.wrong_iter += 1;
                "iter"
            };
            if counts.samples.len() < 5 {
                let shown = if answer.len() <= 8 {
                    format!("{answer:?}")
                } else {
                    format!("{}pids", answer.len())
                };
                counts
                    .samples
                    .push(format!("{how}:{shown}").replace(' ', ""));
            }
        }
    }
    counts
}

/// The body of the first process of new user, pid and mount namespaces,
/// root there: report lines into `out`.
fn owner_in_namespace(out: &mut String) {
    use std::fmt::Write;
    if let Err(e) = raw::make_mounts_private().and_then(|()| raw::mount_proc()) {
        let _ = writeln!(out, "skip cannot mount a procfs here: {e}");
        return;
    }
    let owner = std::fs::metadata("/proc").expect("stat /proc").uid();
    let _ = writeln!(out, "root_owner {owner}");
    // The owner of a reaped task, read through its directory.
    let kid = raw::fork().expect("fork");
    if kid == 0 {
        raw::exit_now(0);
    }
    let dir = std::fs::File::open(format!("/proc/{kid}")).expect("open the child's directory");
    let alive_owner = dir.metadata().expect("fstat").uid();
    raw::wait(kid).expect("reap");
    let reaped_owner = dir.metadata().expect("fstat").uid();
    let _ = writeln!(out, "alive_owner {alive_owner}");
    let _ = writeln!(out, "reaped_owner {reaped_owner}");
    // A process that really has that owner.
    let member = raw::fork().expect("fork");
    if member == 0 {
        if raw::become_ids(owner, 0).is_err() {
            raw::exit_now(3);
        }
        raw::pause_forever();
    }
    let started = Instant::now();
    while std::fs::metadata(format!("/proc/{member}")).map_or(true, |m| m.uid() != owner) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "member never became {owner}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let churning = [churner(), churner()];
    let member_pid = Pid::from_raw(member).expect("pid");
    let counts = measure(PidQuery::uid(owner), |answer| answer != [member_pid]);
    for pid in churning.into_iter().chain([member]) {
        raw::kill(pid);
        let _ = raw::wait(pid);
    }
    let _ = writeln!(out, "answers {}", counts.answers);
    let _ = writeln!(out, "wrong {}", counts.wrong_line());
    // How far the churn took the namespace's pids: about its fork count.
    let last = match raw::fork() {
        Ok(0) => raw::exit_now(0),
        Ok(pid) => {
            let _ = raw::wait(pid);
            pid
        }
        Err(_) => 0,
    };
    let _ = writeln!(out, "last_pid {last}");
    let _ = writeln!(out, "done");
}

/// Runs [`owner_in_namespace`] in new user, pid and mount namespaces whose
/// uid map is `uid_map`: a fork makes the user namespace (one thread), this
/// process writes its maps, and its first child runs the body.
fn owner_with_map(uid_map: &str) -> BTreeMap<String, Vec<String>> {
    let (ready_r, ready_w) = raw::pipe().expect("pipe");
    let (go_r, go_w) = raw::pipe().expect("pipe");
    let (report_r, report_w) = raw::pipe().expect("pipe");
    let g = raw::fork().expect("fork");
    if g == 0 {
        drop((ready_r, go_w, report_r));
        let flags = libc::CLONE_NEWUSER | libc::CLONE_NEWPID | libc::CLONE_NEWNS;
        if let Err(e) = raw::unshare(flags) {
            raw::write_all(&report_w, format!("skip unshare: {e}\n").as_bytes());
            raw::exit_now(0);
        }
        raw::write_all(&ready_w, b"u");
        if raw::read_byte(&go_r) != Some(b'm') || raw::become_ids(0, 0).is_err() {
            raw::exit_now(2);
        }
        match raw::fork() {
            Ok(0) => {
                let mut out = String::new();
                owner_in_namespace(&mut out);
                raw::write_all(&report_w, out.as_bytes());
                raw::exit_now(0);
            }
            Ok(h) => {
                let status = raw::wait(h).unwrap_or(-1);
                raw::exit_now(if status == 0 { 0 } else { 5 });
            }
            Err(_) => raw::exit_now(6),
        }
    }
    drop((ready_w, go_r, report_w));
    if raw::read_byte(&ready_r) == Some(b'u') {
        std::fs::write(format!("/proc/{g}/uid_map"), uid_map).expect("write uid_map");
        std::fs::write(format!("/proc/{g}/gid_map"), "0 100000 65536\n").expect("gid_map");
        raw::write_all(&go_w, b"m");
    }
    drop(go_w);
    let mut text = String::new();
    std::fs::File::from(report_r)
        .read_to_string(&mut text)
        .expect("read the report");
    let status = raw::wait(g).expect("wait");
    assert_eq!(status, 0, "the namespace's processes failed:\n{text}");
    text.lines()
        .map(|l| {
            let mut words = l.split(' ').map(str::to_string);
            (words.next().unwrap_or_default(), words.collect())
        })
        .collect()
}

/// Recreates the pid `pid` of this pid namespace again and again, each
/// incarnation owned by uid 1000 from birth and reaped at once: the
/// capabilities `set_tid` needs are kept across the uid change.
fn recreate(pid: libc::pid_t) -> ! {
    if raw::become_uid_keeping_caps(1000).is_err() {
        raw::exit_now(3);
    }
    loop {
        match raw::clone3_with_tids(&[pid]) {
            Ok(0) => raw::exit_now(0),
            Ok(kid) => {
                let _ = raw::wait(kid);
            }
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            Err(_) => raw::exit_now(4),
        }
    }
}

/// In new pid and mount namespaces, as root: `fillers` extra processes,
/// then the reuse adversary beside `uid(0)` queries.
fn child_reuse(args: &str) {
    let fillers: usize = args.trim().parse().expect("filler count");
    if let Err(e) = raw::mount_proc() {
        println!("PQ skip cannot mount a procfs here: {e}");
        return;
    }
    let mut extra = Vec::new();
    for _ in 0..fillers {
        match raw::fork().expect("fork") {
            0 => raw::pause_forever(),
            pid => extra.push(pid),
        }
    }
    let nlink = std::fs::metadata("/proc").expect("stat /proc").nlink();
    println!("PQ nlink {nlink}");
    // One recreator per pid, each in a tight loop: create, reap, again.
    let reused = first_reused()..first_reused() + REUSED_COUNT;
    let recreators: Vec<libc::pid_t> = reused
        .clone()
        .map(|pid| match raw::fork().expect("fork") {
            0 => recreate(pid),
            recreator => recreator,
        })
        .collect();
    // The first incarnation, owned by 1000.
    let started = Instant::now();
    while std::fs::metadata(format!("/proc/{}", reused.start)).map_or(true, |m| m.uid() != 1000) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no incarnation"
        );
        std::thread::yield_now();
    }
    let counts = measure(PidQuery::uid(0), |answer| {
        answer.iter().any(|p| reused.contains(&p.as_raw()))
    });
    let mut status = libc::SIGKILL;
    for recreator in recreators {
        raw::kill(recreator);
        let end = raw::wait(recreator).unwrap_or(-1);
        if end != libc::SIGKILL {
            status = end;
        }
    }
    for pid in extra {
        raw::kill(pid);
        let _ = raw::wait(pid);
    }
    println!("PQ recreator {status}");
    println!("PQ answers {}", counts.answers);
    println!("PQ wrong {}", counts.wrong_line());
}

// ---------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------

#[test]
fn uid_of_the_reaped_task_owner_in_a_user_namespace() {
    let name = "uid_of_the_reaped_task_owner_in_a_user_namespace";
    if !root_or_skip(name) || !tools_or_skip(name, &["unshare"]) {
        return;
    }
    // Host root unmapped: the overflow uid. Host root mapped to 1000.
    let cases = [
        ("0 100000 65536\n", 65534),
        ("0 100000 1000\n1000 0 1\n1001 101001 64535\n", 1000),
    ];
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut failures = Vec::new();
    for (uid_map, owner) in cases {
        let lines = owner_with_map(uid_map);
        if let Some(why) = lines.get("skip") {
            support::skip(name, &why.join(" "));
            return;
        }
        assert_eq!(int(&lines, "root_owner"), i64::from(owner), "{lines:?}");
        assert_eq!(int(&lines, "alive_owner"), 0, "{lines:?}");
        assert_eq!(
            int(&lines, "reaped_owner"),
            i64::from(owner),
            "a reaped task's owner is the proc root's: {lines:?}"
        );
        let (answers, wrong) = (int(&lines, "answers"), int(&lines, "wrong"));
        eprintln!(
            "uid({owner}): {wrong} wrong of {answers} answers (fill, iter: {:?}), pids reached {} \
             beside them",
            &lines["wrong"][1..3],
            int(&lines, "last_pid")
        );
        if wrong != 0 {
            failures.push(format!(
                "uid({owner}): {wrong} of {answers}: {:?}",
                lines["wrong"]
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn uid_0_never_lists_a_pid_recreated_during_the_query() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let name = "uid_0_never_lists_a_pid_recreated_during_the_query";
    if !root_or_skip(name) || !tools_or_skip(name, &["unshare"]) {
        return;
    }
    let nlink = std::fs::metadata("/proc").expect("stat /proc").nlink();
    // Confirmations are deferred above 256 processes (`/proc`'s link
    // count, global): fill up to 300 if the machine has fewer.
    let fillers = 300u64.saturating_sub(nlink);
    let lines = run_unshared(&["--pid", "--mount"], "reuse", &fillers.to_string(), |_| {});
    if let Some(why) = lines.get("skip") {
        support::skip(name, &why.join(" "));
        return;
    }
    let (answers, wrong) = (int(&lines, "answers"), int(&lines, "wrong"));
    eprintln!(
        "uid(0) with /proc's link count {}: {wrong} wrong of {answers} answers (fill, iter: \
         {:?})",
        int(&lines, "nlink"),
        &lines["wrong"][1..3]
    );
    assert_eq!(int(&lines, "recreator"), libc::SIGKILL as i64, "{lines:?}");
    assert!(int(&lines, "nlink") > 256, "{lines:?}");
    assert_eq!(wrong, 0, "{lines:?}");
}
