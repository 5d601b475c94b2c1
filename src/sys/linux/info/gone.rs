//! An adversary of "no such process": several processes exec'ing from a
//! worker thread in a loop (`helper.rs`), on every core, and a reader
//! pinned to one core at the lowest priority, so that it is preempted in
//! the middle of its reads and lands in exec windows far more often than
//! an idle reader would. Each per-process call on a live exec'er must
//! give the process's answer; "no such process" is wrong, as is any
//! other answer but the typed "kept changing" one
//! ([`ErrorKind::Raced`](crate::ErrorKind::Raced)), which is counted.
//! A second phase shrinks the reader's re-read budget to one attempt
//! (`group::SETTLE_LIMIT`), so that it runs out on nearly every window:
//! "gone" stays wrong there, as does every other wrong answer except one
//! of `fds`, which then takes a listing that lost an fd as a process
//! closing its fds (`group.rs`, `fds_in`), and is only counted.

#![allow(unsafe_code)]

use std::time::Instant;

use super::group::{SETTLE_ATTEMPTS, SETTLE_LIMIT};
use super::tests::{attack, proc_text, wait_for, Helper};
use super::ProcFs;
use crate::{Error, ErrorKind, ExeBuf, FdBuf, Pid, ProcId, System, Thread, ThreadBuf};

/// Processes exec'ing from a thread at once.
const EXECERS: usize = 3;

/// Answers of one call: wrong "gone", other wrong answers, "kept
/// changing", and how many calls.
#[derive(Default)]
struct Count {
    name: &'static str,
    calls: u64,
    gone: u64,
    wrong: u64,
    raced: u64,
    first: Option<String>,
}

impl Count {
    fn new(name: &'static str) -> Count {
        Count {
            name,
            ..Count::default()
        }
    }

    /// `Ok(true)` is right, `Ok(false)` wrong (with `what`).
    fn record(&mut self, got: Result<bool, Error>, what: impl FnOnce() -> String) {
        self.calls += 1;
        match got {
            Ok(true) => {}
            Ok(false) => {
                self.wrong += 1;
                self.first.get_or_insert_with(what);
            }
            Err(e) if e.kind() == ErrorKind::NoSuchProcess => {
                self.gone += 1;
                self.first.get_or_insert_with(|| e.to_string());
            }
            Err(e) if matches!(e.kind(), ErrorKind::Raced { .. }) => self.raced += 1,
            Err(e) => {
                self.wrong += 1;
                self.first.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// Lowers the calling thread to nice 19 and pins it to the first CPU it
/// may run on; says what it could not do.
fn slow_this_thread() {
    // SAFETY: `PRIO_PROCESS` with id 0 is the calling thread on Linux; a
    // plain integer call.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) } != 0 {
        eprintln!("could not lower the reader's priority; it runs as it is");
    }
    // SAFETY: a zeroed `cpu_set_t` is an empty set; the pointer and size
    // are those of a local of that type.
    unsafe {
        let mut set: libc::cpu_set_t = core::mem::zeroed();
        if libc::sched_getaffinity(0, core::mem::size_of_val(&set), &mut set) != 0 {
            return;
        }
        let Some(cpu) = (0..libc::CPU_SETSIZE as usize).find(|&c| libc::CPU_ISSET(c, &set)) else {
            return;
        };
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, core::mem::size_of_val(&set), &set) != 0 {
            eprintln!("could not pin the reader; it runs unpinned");
        }
    }
}

/// The counts of one phase over the exec'ers `pids`, read at `limit`
/// re-reads per window.
fn phase(pids: &[(Pid, ProcId)], limit: u32) -> Vec<Count> {
    let system = System::live().expect("/proc");
    let fs = ProcFs::open_live().expect("/proc");
    let want_exe = std::env::current_exe().expect("current_exe");
    let me = Pid::this();
    let mut counts = [
        "identity",
        "info",
        "exe",
        "threads",
        "fds",
        "is_current",
        "is_current (start time)",
    ]
    .map(Count::new);
    let (mut exe, mut threads, mut fds) = (ExeBuf::new(), ThreadBuf::new(), FdBuf::new());
    SETTLE_LIMIT.with(|l| l.set(limit));
    let deadline = Instant::now() + attack();
    while Instant::now() < deadline {
        for &(pid, id) in pids {
            let start = id.start();
            let [c_id, c_info, c_exe, c_threads, c_fds, c_cur, c_start] = &mut counts;
            let got = system.identity(pid);
            let shown = format!("{got:?}");
            c_id.record(got.map(|i| i.start() == start), || shown);
            let got = system.info(pid);
            let shown = format!("{got:?}");
            c_info.record(
                got.map(|i| i.ppid == me && i.pgid == pid && i.start == start),
                || shown,
            );
            let got = system.exe(pid, &mut exe).map(|p| p.path() == want_exe);
            c_exe.record(got, || "another path".into());
            let got = system
                .threads(pid, &mut threads)
                .map(|t| t.first().copied());
            let shown = format!("{got:?}");
            c_threads.record(got.map(|first| first == Some(Thread::Tid(pid))), || shown);
            // 0, 1 and 2 are /dev/null, kept across every exec.
            let got = system
                .fds(pid, &mut fds)
                .map(|f| f.iter().any(|fd| fd.fd == 0));
            c_fds.record(got, || "no fd 0".into());
            c_cur.record(system.is_current(&id), || "false".into());
            let by_start = ProcId::new(pid, start, None);
            let got = fs.check(&by_start).map_err(|f| fs.error("check", pid, f));
            c_start.record(got, || "false".into());
        }
    }
    SETTLE_LIMIT.with(|l| l.set(SETTLE_ATTEMPTS));
    counts.into()
}

#[test]
fn a_live_process_mid_exec_is_never_reported_gone() {
    let system = System::live().expect("/proc");
    let helpers: Vec<Helper> = (0..EXECERS)
        .map(|_| Helper::spawn("exec-from-thread", None))
        .collect();
    let mut pids = Vec::new();
    for helper in &helpers {
        let pid = helper.pid();
        wait_for("the first exec", || {
            proc_text(pid, "comm").is_some_and(|c| c == "exe\n")
        });
        pids.push((pid, system.identity(pid).expect("identity")));
    }
    let mut failed = Vec::new();
    // The reader runs on its own thread, slowed: the test's thread keeps
    // its priority for whatever runs after it.
    let pids = std::sync::Arc::new(pids);
    for limit in [SETTLE_ATTEMPTS, 1] {
        let pids = pids.clone();
        let counts = std::thread::spawn(move || {
            slow_this_thread();
            phase(&pids, limit)
        })
        .join()
        .expect("the reader");
        for c in &counts {
            eprintln!(
                "{EXECERS} exec'ers, {limit} re-reads: {}: {} gone, {} wrong, {} raced of {}{}",
                c.name,
                c.gone,
                c.wrong,
                c.raced,
                c.calls,
                c.first
                    .as_deref()
                    .map(|f| format!(", first: {f}"))
                    .unwrap_or_default()
            );
            let shrunk_fds = limit < SETTLE_ATTEMPTS && c.name == "fds";
            if c.gone > 0 || (c.wrong > 0 && !shrunk_fds) {
                failed.push(c.name);
            }
        }
    }
    for (pid, _) in pids.iter() {
        assert!(proc_text(*pid, "stat").is_some(), "exec'er {pid} died");
    }
    drop(helpers);
    assert!(failed.is_empty(), "wrong answers from {failed:?}");
}
