//! Adversaries of per-process reads: a process that execs from a worker
//! thread in a loop (its leader is replaced at every round, its pid, group,
//! parent and start time never change), and one whose main thread called
//! `pthread_exit`. Both are this test binary run again (`helper.rs`).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::helper::{COUNT_VAR, LEADER_EXIT_FDS, MODE_VAR};
use super::ProcFs;
use crate::sys::linux::scan::Plan;
use crate::{
    Change, ExeBuf, FdBuf, Filter, InfoBuf, Pid, PidBuf, PidQuery, ProcFlags, ProcId, State,
    System, Thread, ThreadBuf, Watch,
};

/// How long the exec loop is attacked (`PIDQUERY_ATTACK_SECS` to measure
/// rates over longer runs).
pub(super) fn attack() -> Duration {
    let secs = std::env::var("PIDQUERY_ATTACK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    Duration::from_secs(secs)
}

/// Calls on the process per round of whole-table queries.
const PER_PID_CALLS: usize = 16;

/// A helper process, killed and reaped on drop.
pub(super) struct Helper(Child);

impl Helper {
    pub(super) fn spawn(mode: &str, count: Option<&std::path::Path>) -> Helper {
        let exe = std::env::current_exe().expect("current_exe");
        let mut cmd = Command::new(exe);
        if let Some(count) = count {
            cmd.env(COUNT_VAR, count);
        }
        let child = cmd
            .env(MODE_VAR, mode)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the helper");
        Helper(child)
    }

    pub(super) fn pid(&self) -> Pid {
        Pid::from_raw(self.0.id() as i32).expect("a pid")
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The text of `/proc/<pid>/<file>`, if readable.
pub(super) fn proc_text(pid: Pid, file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()
}

/// Waits until `ready` holds, for at most ten seconds.
pub(super) fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Wrong answers of one call: how many of how many, and the first.
#[derive(Default)]
struct Tally {
    name: &'static str,
    calls: u64,
    wrong: u64,
    /// Calls that said the process kept changing.
    raced: u64,
    /// Time spent in the calls.
    spent: Duration,
    first: Option<String>,
}

impl Tally {
    fn new(name: &'static str) -> Tally {
        Tally {
            name,
            ..Tally::default()
        }
    }

    fn record(&mut self, since: Instant, wrong: Option<String>) {
        self.spent += since.elapsed();
        self.calls += 1;
        // "Kept changing" is the typed answer for a live process caught in
        // an exec at every attempt (`ErrorKind::Raced`): not wrong, shown.
        if let Some(why) = wrong
            .as_deref()
            .filter(|w| w.contains("kept changing") || *w == "Busy")
        {
            self.raced += 1;
            self.first.get_or_insert_with(|| why.to_owned());
        } else if let Some(why) = wrong {
            self.wrong += 1;
            self.first.get_or_insert(why);
        }
    }
}

#[test]
fn a_process_that_execs_from_a_thread_stays_itself() {
    let system = System::live().expect("/proc");
    let fs = ProcFs::open_live().expect("/proc");
    let count = std::env::temp_dir().join(format!("pidquery-execs-{}", Pid::this()));
    let _ = std::fs::remove_file(&count);
    let helper = Helper::spawn("exec-from-thread", Some(&count));
    let pid = helper.pid();
    // The first exec renames it after the file it runs: /proc/self/exe.
    wait_for("the first exec", || {
        proc_text(pid, "comm").is_some_and(|c| c == "exe\n")
    });
    let me = Pid::this();
    let start = system.info(pid).expect("info").start;
    let want_exe = std::env::current_exe().expect("current_exe");
    let by_start = ProcId::new(pid, start, None);
    let by_pidfs = system.identity(pid).expect("identity");
    let group = PidQuery::pgrp(pid);

    let mut identity = Tally::new("identity");
    let mut info = Tally::new("info");
    let mut exe = Tally::new("exe");
    let mut threads = Tally::new("threads");
    let mut current = Tally::new("is_current");
    let mut current_start = Tally::new("is_current (start time)");
    let mut pgrp = Tally::new("fill pgrp");
    let mut iter = Tally::new("iter pgrp");
    let mut ppid = Tally::new("scan ppid (files)");
    let mut infos = Tally::new("infos pgrp");
    let mut watch = Tally::new("watch pgrp");
    let mut tracked = Tally::new("watch pgrp track_reuse");

    let (mut exe_buf, mut thread_buf, mut info_buf) =
        (ExeBuf::new(), ThreadBuf::new(), InfoBuf::new());
    let (mut pids, mut out) = (PidBuf::new(), [Pid::ZERO; 4096]);
    let mut plain_watch = Watch::new(group);
    let mut tracking_watch = Watch::new(group).track_reuse();
    plain_watch.poll_in(system).expect("poll");
    tracking_watch.poll_in(system).expect("poll");
    let execs = || std::fs::metadata(&count).map_or(0, |m| m.len());
    let execs_before = execs();
    let deadline = Instant::now() + attack();
    while Instant::now() < deadline {
        // The calls on one process are cheap: many per scan.
        for _ in 0..PER_PID_CALLS {
            let t0 = Instant::now();
            identity.record(
                t0,
                match system.identity(pid) {
                    Ok(id) if id.start() == start => None,
                    Ok(id) => Some(format!("start {:?}", id.start())),
                    Err(e) => Some(e.to_string()),
                },
            );
            let t0 = Instant::now();
            info.record(
                t0,
                match system.info(pid) {
                    Ok(i) if i.ppid == me && i.pgid == pid && i.start == start => None,
                    Ok(i) => Some(format!("{i:?}")),
                    Err(e) => Some(e.to_string()),
                },
            );
            let t0 = Instant::now();
            exe.record(
                t0,
                match system.exe(pid, &mut exe_buf) {
                    Ok(path) if path.path() == want_exe => None,
                    Ok(path) => Some(format!("{}", path.path().display())),
                    Err(e) => Some(e.to_string()),
                },
            );
            let t0 = Instant::now();
            threads.record(
                t0,
                match system.threads(pid, &mut thread_buf) {
                    Ok(list) if list.first() == Some(&Thread::Tid(pid)) => None,
                    Ok(list) => Some(format!("{list:?}")),
                    Err(e) => Some(e.to_string()),
                },
            );
            let t0 = Instant::now();
            current.record(
                t0,
                match system.is_current(&by_pidfs) {
                    Ok(true) => None,
                    Ok(false) => Some("false".into()),
                    Err(e) => Some(e.to_string()),
                },
            );
            let t0 = Instant::now();
            current_start.record(
                t0,
                match fs.check(&by_start) {
                    Ok(true) => None,
                    Ok(false) => Some("false".into()),
                    Err(fail) => Some(format!("{fail:?}")),
                },
            );
        }
        let t0 = Instant::now();
        pgrp.record(
            t0,
            match system.fill(&group, &mut pids) {
                Ok(list) if list == [pid] => None,
                Ok(list) => Some(format!("{list:?}")),
                Err(e) => Some(e.to_string()),
            },
        );
        let t0 = Instant::now();
        iter.record(
            t0,
            match system
                .iter(&group)
                .map(|it| it.collect::<Result<Vec<Pid>, _>>())
            {
                Ok(Ok(list)) if list == [pid] => None,
                Ok(Ok(list)) => Some(format!("{list:?}")),
                Ok(Err(e)) | Err(e) => Some(e.to_string()),
            },
        );
        let t0 = Instant::now();
        ppid.record(
            t0,
            match fs.scan_with(Filter::Ppid(me), Plan::FILES, &mut out) {
                Ok(crate::sys::Listed::Complete(n)) if out[..n].contains(&pid) => None,
                Ok(listed) => Some(format!("{listed:?}")),
                Err(e) => Some(e.to_string()),
            },
        );
        let t0 = Instant::now();
        infos.record(
            t0,
            match system.infos(&group, &mut info_buf) {
                Ok(list) if list.len() == 1 && list[0].pid == pid => None,
                Ok(list) => Some(format!("{list:?}")),
                Err(e) => Some(e.to_string()),
            },
        );
        for (tally, w) in [
            (&mut watch, &mut plain_watch),
            (&mut tracked, &mut tracking_watch),
        ] {
            let t0 = Instant::now();
            tally.record(
                t0,
                match w.poll_in(system) {
                    Ok(changes) => {
                        let changes: Vec<Change> = changes.collect();
                        (!changes.is_empty()).then(|| format!("{changes:?}"))
                    }
                    Err(e) => Some(e.to_string()),
                },
            );
        }
    }
    let rounds = execs() - execs_before;
    drop(helper);
    let _ = std::fs::remove_file(&count);
    let all = [
        identity,
        info,
        exe,
        threads,
        current,
        current_start,
        pgrp,
        iter,
        ppid,
        infos,
        watch,
        tracked,
    ];
    let mut failed = Vec::new();
    for t in &all {
        eprintln!(
            "exec from a thread ({rounds} execs): {}: {} wrong, {} kept changing, of {} ({:?} each){}",
            t.name,
            t.wrong,
            t.raced,
            t.calls,
            t.spent / u32::try_from(t.calls.max(1)).unwrap_or(u32::MAX),
            t.first
                .as_deref()
                .map(|f| format!(", first: {f}"))
                .unwrap_or_default()
        );
        if t.wrong > 0 {
            failed.push(t.name);
        }
    }
    assert!(rounds > 10, "the helper exec'd only {rounds} times");
    assert!(failed.is_empty(), "wrong answers from {failed:?}");
}

#[test]
fn a_process_whose_main_thread_exited_reads_as_its_live_threads() {
    let system = System::live().expect("/proc");
    let helper = Helper::spawn("leader-exit", None);
    let pid = helper.pid();
    wait_for("the main thread's exit", || {
        proc_text(pid, "stat").is_some_and(|s| {
            let after = &s[s.rfind(')').unwrap_or(0)..];
            after.starts_with(") Z")
        })
    });
    // What the kernel shows for the leader: a zombie with no executable.
    assert!(std::fs::read_link(format!("/proc/{pid}/exe")).is_err());

    let info = system.info(pid).expect("info");
    assert_ne!(info.state, State::Zombie, "{info:?}");
    assert!(!info.state.has_exited(), "{info:?}");
    assert!(info.flags.contains(ProcFlags::LEADER_EXITED), "{info:?}");
    assert!(!info.flags.contains(ProcFlags::EXITING), "{info:?}");
    assert_eq!(info.threads, Some(2));
    assert_eq!(info.ppid, Pid::this());

    let mut buf = ExeBuf::new();
    let exe = system.exe(pid, &mut buf).expect("exe");
    assert_eq!(exe.path(), std::env::current_exe().expect("current_exe"));

    let mut fds = FdBuf::new();
    let fds = system.fds(pid, &mut fds).expect("fds");
    // 0, 1 and 2 (null) and the helper's own.
    assert!(fds.len() >= 3 + LEADER_EXIT_FDS, "{fds:?}");

    let mut threads = ThreadBuf::new();
    let threads = system.threads(pid, &mut threads).expect("threads");
    assert_eq!(threads.len(), 2, "{threads:?}");
    assert_eq!(threads[0], Thread::Tid(pid));

    let id = system.identity(pid).expect("identity");
    assert!(system.is_current(&id).expect("is_current"));
    let mut infos = InfoBuf::new();
    let listed = system
        .infos(&PidQuery::pgrp(pid), &mut infos)
        .expect("infos");
    // The same process, read again: its running thread may have moved
    // between running and sleeping meanwhile.
    let [again] = listed else {
        panic!("one process in its group: {listed:?}");
    };
    assert!(!again.state.has_exited(), "{again:?}");
    let mut again = *again;
    again.state = info.state;
    assert_eq!(again, info);
}
