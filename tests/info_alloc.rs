//! Zero heap allocation per per-process call in steady state, proved with
//! the counting allocator (`tests/support/alloc.rs`): every call of the
//! per-process API, after a warm-up, makes no heap call at all.

#![cfg(target_os = "linux")]

mod support;

use pidquery::{ExeBuf, FdBuf, InfoBuf, Pid, PidQuery, System, ThreadBuf};
use support::alloc::{measure, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Calls per API after warm-up.
const ROUNDS: usize = 200;
/// Calls per whole-query flavor (each reads every process).
const QUERY_ROUNDS: usize = 20;

/// Runs `call` a few times to warm up, then `rounds` times under the
/// counter; asserts it never failed and never touched the heap.
fn assert_no_alloc(
    what: &str,
    rounds: usize,
    mut call: impl FnMut() -> Result<usize, pidquery::Error>,
) {
    for _ in 0..3 {
        call().unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    let (result, counts) = measure(|| {
        let mut min = usize::MAX;
        let mut first_err = None;
        for _ in 0..rounds {
            match call() {
                Ok(n) => min = min.min(n),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        (min, first_err)
    });
    if let Some(e) = result.1 {
        panic!("{what}: {e}");
    }
    assert_eq!(
        counts.takes(),
        0,
        "{what}: {counts:?} over {rounds} calls (answers of at least {} items)",
        result.0
    );
}

#[test]
fn every_per_process_call_is_allocation_free_when_warm() {
    let system = System::live().expect("/proc");
    let sleeper = support::sleeper();
    let other = sleeper.pid();
    let me = Pid::this();

    for pid in [me, other] {
        assert_no_alloc("info", ROUNDS, || system.info(pid).map(|_| 1));
        assert_no_alloc("Pid::info", ROUNDS, || pid.info().map(|_| 1));
        let mut exe = ExeBuf::new();
        assert_no_alloc("exe", ROUNDS, || {
            system.exe(pid, &mut exe).map(|e| e.as_bytes().len())
        });
        assert_no_alloc("Pid::exe", ROUNDS, || {
            pid.exe(&mut exe).map(|e| e.as_bytes().len())
        });
        assert_no_alloc("info_with_exe", ROUNDS, || {
            let (_, path) = system.info_with_exe(pid, &mut exe)?;
            path.map(|e| e.as_bytes().len())
        });
        let mut threads = ThreadBuf::new();
        assert_no_alloc("threads", ROUNDS, || {
            system.threads(pid, &mut threads).map(<[_]>::len)
        });
        assert_no_alloc("Pid::threads", ROUNDS, || {
            pid.threads(&mut threads).map(<[_]>::len)
        });
        let mut fds = FdBuf::new();
        assert_no_alloc("fds", ROUNDS, || system.fds(pid, &mut fds).map(<[_]>::len));
        assert_no_alloc("Pid::fds", ROUNDS, || pid.fds(&mut fds).map(<[_]>::len));
        assert_no_alloc("identity", ROUNDS, || system.identity(pid).map(|_| 1));
        let id = system.identity(pid).expect("identity");
        assert_no_alloc("is_current", ROUNDS, || {
            system.is_current(&id).map(usize::from)
        });
        assert_no_alloc("ProcId::is_current", ROUNDS, || {
            id.is_current().map(usize::from)
        });
    }

    // A buffer with room for a growing process table: the warm-up sizes
    // it, and processes born meanwhile still fit.
    let room = system.probe(&PidQuery::all()).expect("probe") * 2 + 1024;
    let mut infos = InfoBuf::with_capacity(room);
    let info = system.info(me).expect("info");
    // A single-threaded parent: ppid through its children file.
    let fam = support::family(2, false);
    let queries = [
        PidQuery::ppid(fam.leader.pid()),
        PidQuery::all(),
        PidQuery::uid(info.euid),
        PidQuery::ruid(info.ruid),
        PidQuery::ppid(me),
        PidQuery::ppid(Pid::from_raw(1).expect("pid 1")),
        PidQuery::pgrp(info.pgid),
        PidQuery::tty(pidquery::Dev::new(136, 999_999)),
    ];
    for query in queries {
        assert_no_alloc(&format!("infos {query:?}"), QUERY_ROUNDS, || {
            system.infos(&query, &mut infos).map(<[_]>::len)
        });
        assert_no_alloc(&format!("PidQuery::infos {query:?}"), QUERY_ROUNDS, || {
            query.infos(&mut infos).map(<[_]>::len)
        });
    }
    drop(fam);
    drop(sleeper);
}

/// The process shapes of the per-process adversaries: this test binary run
/// again (see the module's docs).
#[path = "../src/sys/linux/info/helper.rs"]
#[allow(dead_code)]
mod helper;

/// This test binary run again as the helper shape `mode`, in a process
/// group of its own; killed and reaped on drop.
fn helper_process(mode: &str) -> support::Proc {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = std::process::Command::new(exe);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    support::Proc::spawn(support::quiet(cmd.env(helper::MODE_VAR, mode)))
}

#[test]
fn a_leader_that_exited_and_an_exec_from_a_thread_cost_no_allocation() {
    let system = System::live().expect("/proc");
    let exited = helper_process("leader-exit");
    let pid = exited.pid();
    support::wait_until("the main thread's exit", || {
        support::state(pid) == Some(b'Z')
    });
    let looping = helper_process("exec-from-thread");
    for pid in [exited.pid(), looping.pid()] {
        let mut exe = ExeBuf::new();
        let mut fds = FdBuf::new();
        let mut threads = ThreadBuf::new();
        assert_no_alloc("info", ROUNDS, || system.info(pid).map(|_| 1));
        assert_no_alloc("exe", ROUNDS, || {
            system.exe(pid, &mut exe).map(|e| e.as_bytes().len())
        });
        assert_no_alloc("info_with_exe", ROUNDS, || {
            let (_, path) = system.info_with_exe(pid, &mut exe)?;
            path.map(|e| e.as_bytes().len())
        });
        assert_no_alloc("fds", ROUNDS, || system.fds(pid, &mut fds).map(<[_]>::len));
        assert_no_alloc("threads", ROUNDS, || {
            system.threads(pid, &mut threads).map(<[_]>::len)
        });
        assert_no_alloc("identity", ROUNDS, || system.identity(pid).map(|_| 1));
    }
}

#[test]
fn errors_for_processes_that_are_gone_cost_no_allocation() {
    // The live /proc (a static path) and one opened by path (shared).
    let opened = System::open("/proc").expect("/proc");
    let gone = Pid::from_raw(i32::MAX).expect("a pid");
    // A thread's number: not a process.
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        tid_tx.send(support::this_thread_id()).expect("send");
        let _ = stop_rx.recv();
    });
    let tid = tid_rx.recv().expect("recv");
    for system in [System::live().expect("/proc"), &opened] {
        for (pid, kind) in [
            (gone, pidquery::ErrorKind::NoSuchProcess),
            (tid, pidquery::ErrorKind::NotAProcess),
        ] {
            let mut exe = ExeBuf::new();
            let mut fds = FdBuf::new();
            let mut threads = ThreadBuf::new();
            let check = |what: &str, e: pidquery::Error| {
                assert_eq!(e.kind(), kind, "{what}: {e}");
                assert_eq!(e.pid(), Some(pid), "{what}: {e}");
                assert_eq!(e.path(), Some(std::path::Path::new("/proc")), "{what}");
            };
            // Warm up, and check the errors are the right ones.
            check("info", system.info(pid).unwrap_err());
            check("exe", system.exe(pid, &mut exe).unwrap_err());
            check("identity", system.identity(pid).unwrap_err());
            check(
                "info_with_exe",
                system.info_with_exe(pid, &mut exe).map(|_| ()).unwrap_err(),
            );
            let (errors, counts) = measure(|| {
                let mut errors = 0;
                for _ in 0..ROUNDS {
                    errors += usize::from(system.info(pid).is_err());
                    errors += usize::from(system.exe(pid, &mut exe).is_err());
                    errors += usize::from(system.fds(pid, &mut fds).is_err());
                    errors += usize::from(system.threads(pid, &mut threads).is_err());
                    errors += usize::from(system.identity(pid).is_err());
                    errors += usize::from(system.info_with_exe(pid, &mut exe).is_err());
                }
                errors
            });
            assert_eq!(errors, 6 * ROUNDS, "{pid}: every call fails");
            assert_eq!(counts.takes(), 0, "{pid} ({kind:?}): {counts:?}");
        }
    }
    stop_tx.send(()).expect("send");
    thread.join().expect("join");
}
