//! The xnu backend run through the model's `proc_pidinfo`, `proc_pidpath`
//! and `proc_name` against the table: what `System` answers on macOS.

use super::tests_info::{pid, with_process, ENOSPC};
use super::*;
use crate::{
    Dev, Errno, ErrorKind, ExeBuf, FdBuf, FdKind, InfoBuf, Pid, PidQuery, ProcFlags, State, Thread,
    ThreadBuf, MAX_ATTEMPTS,
};

// ---- the backend through the model ------------------------------------------------

#[test]
fn info_reads_every_field_for_each_kind_of_process() {
    let mut model = Model::new();
    let tty = Dev::from_raw(0x1000_0007);
    let shell = pid(800);
    model.insert(
        Proc {
            uid: 501,
            ruid: 501,
            svuid: 501,
            gid: 20,
            rgid: 20,
            svgid: 20,
            tpgid: shell,
            nice: -3,
            ..Proc::new(shell)
        }
        .with_terminal(tty)
        .with_name(b"zsh"),
    );
    let job = model.spawn(shell);
    model.get_mut(job).unwrap().stat = xnu::SSTOP;
    model.set_caller_uid(501);
    let me = model.get(shell).unwrap().clone();

    let info = model.info(shell).unwrap();
    assert_eq!(
        (info.pid, info.ppid, info.pgid, info.sid),
        (shell, Pid::ZERO, shell, Some(shell))
    );
    assert_eq!((info.tty, info.tpgid), (Some(tty), Some(shell)));
    assert_eq!(
        (info.ruid, info.euid, info.suid, info.rgid, info.egid, info.sgid),
        (501, 501, 501, 20, 20, 20)
    );
    assert_eq!(info.state, State::Sleeping, "SRUN with no running thread");
    assert_eq!(
        info.flags,
        ProcFlags::SESSION_LEADER | ProcFlags::HAS_TTY | ProcFlags::FOREGROUND
    );
    assert_eq!((info.nice, info.threads), (Some(-3), Some(1)));
    assert_eq!(info.start.unwrap().raw(), me.start_usec);
    assert_eq!(info.comm, "zsh");

    let stopped = model.info(job).unwrap();
    assert_eq!(
        (stopped.state, stopped.sid, stopped.pgid),
        (State::Stopped, None, shell)
    );
    assert!(!stopped.flags.contains(ProcFlags::SESSION_LEADER));

    // Another user's (root's): the short record.
    let init = model.info(pid(1)).unwrap();
    assert_eq!((init.comm.as_bytes(), init.euid), (&b"launchd"[..], 0));
    assert_eq!(
        (init.start, init.nice, init.threads, init.tty),
        (None, None, None, None)
    );

    // A zombie of ours: the full record, no threads, not "exiting".
    model.exit(job);
    let z = model.info(job).unwrap();
    assert_eq!(
        (z.state, z.threads, z.nice),
        (State::Zombie, None, Some(-3))
    );
    assert!(!z.flags.contains(ProcFlags::EXITING));

    // Gone.
    model.reap(job);
    assert_eq!(
        model.info(job).unwrap_err().kind(),
        ErrorKind::NoSuchProcess
    );
}

#[test]
fn threads_and_fds_grow_and_retry_until_complete() {
    let (mut model, p) = with_process(0, 0, 0);
    for _ in 0..100 {
        model.open_fd(p, xnu::PROX_FDTYPE_SOCKET);
        model.spawn_thread(p);
    }
    // Born between every call, too: the buffer still catches up.
    model.on_every_info_call(InfoCall {
        before: Burst {
            fds: 3,
            threads: 3,
            ..Burst::fds(p, 0)
        },
        ..InfoCall::QUIET
    });
    let mut fds = FdBuf::new();
    let got: Vec<(i32, FdKind)> = model
        .fds(p, &mut fds)
        .unwrap()
        .iter()
        .map(|f| (f.fd, f.kind))
        .collect();
    let want: Vec<(i32, FdKind)> = model
        .get(p)
        .unwrap()
        .fds
        .iter()
        .map(|&(fd, t)| (fd, crate::sys::xnu::inspect::fd_kind(t)))
        .collect();
    // The last call's burst came before its walk: nothing after it.
    assert_eq!(got, want);
    assert!(got.len() > 103);
    let mut threads = ThreadBuf::new();
    let got = model.threads(p, &mut threads).unwrap().to_vec();
    let want: Vec<Thread> = model
        .get(p)
        .unwrap()
        .threads
        .iter()
        .map(|t| Thread::Handle(t.handle))
        .collect();
    assert_eq!(got, want);
    // Warm: one call each.
    model.clear_schedule();
    let calls = model.info_calls();
    model.fds(p, &mut fds).unwrap();
    model.threads(p, &mut threads).unwrap();
    assert_eq!(model.info_calls() - calls, 2);
}

#[test]
fn lists_that_outgrow_every_buffer_are_raced_never_short() {
    // Births before every call (probes included) growing by half each
    // time: more than the buffer's growth (at least double, or the probe
    // plus an eighth) can catch.
    let script = |model: &mut Model, p: Pid, threads: bool| {
        let mut n = 64.0f64;
        for _ in 0..2 * MAX_ATTEMPTS {
            let burst = if threads {
                Burst::threads(p, n as u32)
            } else {
                Burst::fds(p, n as u32)
            };
            model.script_info(InfoCall {
                before: burst,
                ..InfoCall::QUIET
            });
            n *= 1.5;
        }
    };
    let (mut model, p) = with_process(0, 0, 0);
    script(&mut model, p, true);
    let calls = model.info_calls();
    let err = model
        .threads(p, &mut ThreadBuf::new())
        .map(|t| t.len())
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Raced {
            attempts: MAX_ATTEMPTS
        }
    );
    // MAX_ATTEMPTS lists, each full one followed by its size probe.
    assert_eq!(model.info_calls() - calls, 2 * u64::from(MAX_ATTEMPTS));
    // The same births of descriptors are caught: the fd probe counts
    // table slots (which double), so it overshoots, and the answer is the
    // whole table of the last call.
    model.clear_schedule();
    script(&mut model, p, false);
    let mut fds = FdBuf::new();
    let got = model.fds(p, &mut fds).map(|f| f.len());
    assert_eq!(got.ok(), Some(model.get(p).unwrap().fds.len()));
    // Once the births stop, the same buffers catch up.
    model.clear_schedule();
    let n = model.get(p).unwrap().threads.len();
    assert_eq!(model.threads(p, &mut ThreadBuf::new()).unwrap().len(), n);
}

#[test]
fn zombie_lists_are_empty_gone_is_no_such_process_others_permission_denied() {
    let (mut model, p) = with_process(0, 0, 0);
    let mut fds = FdBuf::new();
    let mut threads = ThreadBuf::new();
    model.exit(p);
    assert!(model.fds(p, &mut fds).unwrap().is_empty());
    assert!(model.threads(p, &mut threads).unwrap().is_empty());
    model.reap(p);
    assert_eq!(
        model.fds(p, &mut fds).unwrap_err().kind(),
        ErrorKind::NoSuchProcess
    );
    assert_eq!(
        model.threads(p, &mut threads).unwrap_err().kind(),
        ErrorKind::NoSuchProcess
    );
    let (mut model, p) = with_process(0, 0, 501);
    let err = model.fds(p, &mut fds).unwrap_err();
    assert_eq!(
        (err.kind(), err.pid()),
        (ErrorKind::PermissionDenied, Some(p))
    );
    assert_eq!(
        model.threads(p, &mut threads).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
}

#[test]
fn exe_asks_1024_to_4096_bytes_and_reports_each_failure() {
    let (mut model, p) = with_process(0, 0, 501);
    let mut buf = ExeBuf::new();
    let calls = model.info_calls();
    assert_eq!(
        model.exe(p, &mut buf).unwrap().as_bytes(),
        b"/usr/bin/thing"
    );
    assert_eq!(
        model.info_calls() - calls,
        1,
        "no call with a buffer under 1024"
    );
    assert!(!buf.last().is_deleted());
    // A path that needs more than 1024 bytes in a 1024-byte buffer.
    let long: Vec<u8> = core::iter::once(b'/')
        .chain(core::iter::repeat_n(b'a', 2000))
        .collect();
    model.get_mut(p).unwrap().exe = Exe::At(long.clone());
    let mut kib = ExeBuf::with_capacity(1024);
    assert_eq!(model.exe(p, &mut kib).unwrap().as_bytes(), &long[..]);
    // Over 4095 bytes: cannot be had.
    model.get_mut(p).unwrap().exe = Exe::At(vec![b'a'; 4096]);
    let err = model.exe(p, &mut buf).unwrap_err();
    assert_eq!((err.kind(), err.errno()), (ErrorKind::Os, Some(ENOSPC)));
    // Deleted, and kernel_task (no executable): ENOENT.
    model.get_mut(p).unwrap().exe = Exe::At(b"/tmp/x".to_vec());
    model.delete_exe(p);
    let err = model.exe(p, &mut buf).unwrap_err();
    assert_eq!(
        (err.kind(), err.errno()),
        (ErrorKind::Os, Some(Errno::ENOENT))
    );
    let err = model.exe(Pid::ZERO, &mut buf).unwrap_err();
    assert_eq!(
        (err.kind(), err.errno()),
        (ErrorKind::Os, Some(Errno::ENOENT))
    );
    // A zombie, and a gone pid: no such process.
    model.exit(p);
    assert_eq!(
        model.exe(p, &mut buf).unwrap_err().kind(),
        ErrorKind::NoSuchProcess
    );
    model.reap(p);
    assert_eq!(
        model.exe(p, &mut buf).unwrap_err().kind(),
        ErrorKind::NoSuchProcess
    );
}

#[test]
fn identity_survives_exec_and_tells_a_reused_pid() {
    let (mut model, p) = with_process(501, 501, 501);
    let id = model.identity(p).unwrap();
    let uniqueid = model.get(p).unwrap().uniqueid;
    assert_eq!(id.unique(), Some(uniqueid));
    assert_eq!(
        id.start().map(|s| s.raw()),
        Some(model.get(p).unwrap().start_usec)
    );
    model.exec(p, b"/bin/sh");
    assert!(model.is_current(&id).unwrap());
    model.exit(p);
    assert!(
        model.is_current(&id).unwrap(),
        "a zombie is still that process"
    );
    model.reap(p);
    assert!(!model.is_current(&id).unwrap());
    // Same pid, same start time even: still another process.
    let start = id.start().unwrap().raw();
    model.insert(Proc {
        uid: 501,
        start_usec: start,
        ..Proc::new(p)
    });
    assert!(!model.is_current(&id).unwrap());
    assert_ne!(model.identity(p).unwrap(), id);
    // Another user's process: the key without a start time.
    let theirs = model.identity(pid(1)).unwrap();
    assert_eq!(
        (theirs.start(), theirs.unique()),
        (None, Some(model.get(pid(1)).unwrap().uniqueid))
    );
    assert!(model.is_current(&theirs).unwrap());
}

#[test]
fn infos_leave_out_a_process_reaped_between_listing_and_info() {
    let mut model = Model::new();
    let kids: Vec<Pid> = (0..5).map(|_| model.spawn(pid(1))).collect();
    // The first info call is for the newest child; before it, another one
    // dies and is reaped.
    model.script_info(InfoCall {
        before: Burst::reap(kids[2]),
        ..InfoCall::QUIET
    });
    let mut buf = InfoBuf::new();
    let got: Vec<Pid> = model
        .infos(&PidQuery::ppid(pid(1)), &mut buf)
        .unwrap()
        .iter()
        .map(|i| i.pid)
        .collect();
    let want: Vec<Pid> = kids
        .iter()
        .rev()
        .copied()
        .filter(|&k| k != kids[2])
        .collect();
    assert_eq!(got, want);
}

/// splitmix64, as in `tests.rs`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Random operations on the table, each followed by every per-process call
/// on a random pid, each checked against the table itself.
#[test]
fn random_sequences_agree_with_the_table() {
    for seed in 0..40u64 {
        let mut rng = Rng(seed);
        let mut model = Model::new();
        model.set_caller_uid(rng.below(2) as u32 * 501);
        let (mut fds, mut threads, mut exe) = (FdBuf::new(), ThreadBuf::new(), ExeBuf::new());
        for _ in 0..60 {
            let pids: Vec<Pid> = model.live().chain(model.zombies()).map(|p| p.pid).collect();
            // kernel_task and launchd stay.
            let target = pids[rng.below(pids.len() as u64) as usize];
            let mortal = target.as_raw() > 1;
            match rng.below(7) {
                0 => {
                    let c = model.spawn(target);
                    if let Some(p) = model.get_mut(c) {
                        p.uid = rng.below(2) as u32 * 501;
                    }
                }
                1 if mortal => {
                    model.exit(target);
                }
                2 if mortal => {
                    model.reap(target);
                }
                3 => {
                    for _ in 0..rng.below(80) {
                        model.open_fd(target, rng.below(12) as u32);
                    }
                }
                4 => {
                    for _ in 0..rng.below(40) {
                        model.spawn_thread(target);
                    }
                }
                5 => {
                    model.exec(target, b"/bin/x");
                }
                _ => {
                    model.delete_exe(target);
                }
            }
            let p = pids[rng.below(pids.len() as u64) as usize];
            let oracle = model.get(p).cloned();
            let zombie = model.is_zombie(p);
            let mine = oracle
                .as_ref()
                .is_some_and(|o| model.caller_uid() == 0 || o.uid == model.caller_uid());
            let info = model.info(p);
            let fd_list = model.fds(p, &mut fds).map(|f| f.len());
            let thread_list = model.threads(p, &mut threads).map(|t| t.to_vec());
            let path = model.exe(p, &mut exe).map(|e| e.as_bytes().to_vec());
            let Some(o) = oracle else {
                for kind in [
                    info.map(|_| ()).unwrap_err().kind(),
                    fd_list.unwrap_err().kind(),
                    thread_list.unwrap_err().kind(),
                    path.unwrap_err().kind(),
                ] {
                    assert_eq!(kind, ErrorKind::NoSuchProcess, "seed {seed}");
                }
                continue;
            };
            let info = info.unwrap();
            assert_eq!(
                (info.pid, info.ppid, info.euid, info.ruid),
                (o.pid, o.ppid, o.uid, o.ruid)
            );
            assert_eq!(info.state == State::Zombie, zombie, "seed {seed}");
            assert_eq!(info.start.is_some(), mine, "seed {seed}");
            if zombie || !mine {
                assert_eq!(info.threads, None);
            } else {
                assert_eq!(info.threads, Some(o.threads.len() as u32));
            }
            match (zombie, mine) {
                (true, _) => {
                    assert_eq!(fd_list.unwrap(), 0);
                    assert!(thread_list.unwrap().is_empty());
                }
                (false, true) => {
                    assert_eq!(fd_list.unwrap(), o.fds.len(), "seed {seed}");
                    let want: Vec<Thread> =
                        o.threads.iter().map(|t| Thread::Handle(t.handle)).collect();
                    assert_eq!(thread_list.unwrap(), want);
                }
                (false, false) => {
                    assert_eq!(fd_list.unwrap_err().kind(), ErrorKind::PermissionDenied);
                }
            }
            match (&o.exe, zombie) {
                (_, true) => assert_eq!(path.unwrap_err().kind(), ErrorKind::NoSuchProcess),
                (Exe::At(want), false) => assert_eq!(&path.unwrap(), want),
                _ => assert_eq!(path.unwrap_err().errno(), Some(Errno::ENOENT)),
            }
        }
    }
}
