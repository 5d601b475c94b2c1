//! Per-process information on FreeBSD through the model: `ProcInfo` from
//! one `KERN_PROC_PID` record, `exe` from `KERN_PROC_PATHNAME`, threads
//! from `KERN_PROC_PID | KERN_PROC_INC_THREAD`, fds from
//! `KERN_PROC_FILEDESC`, an identity of pid and start time; zero
//! allocations per call once warm (the per-thread counting allocator of
//! `tests/support/alloc.rs`).
#![cfg(feature = "model")]

mod support;

use pidquery::model::freebsd::{consts, Model, Proc};
use pidquery::{
    Dev, ErrorKind, ExeBuf, FdBuf, FdKind, InfoBuf, Pid, PidQuery, ProcFlags, State, Thread,
    ThreadBuf,
};
use std::sync::Arc;

use support::alloc::{measure, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (r, counts) = measure(f);
    (r, counts.takes())
}

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

/// A login shell on a terminal (uid 1001), a job of it with three threads
/// and some descriptors, a zombie child, and root's daemon.
fn table() -> (Model, Pid, Pid, Pid, Pid) {
    let mut model = Model::new();
    let sh = model.spawn(pid(1)).unwrap();
    model.setsid(sh);
    model.acquire_terminal(sh, Some(0x5d));
    model.update(sh, |p| {
        (p.uid, p.ruid, p.svuid, p.gid, p.rgid) = (1001, 1001, 1001, 20, 20);
        p.exe = Some(b"/bin/sh".as_slice().into());
        p.comm = *b"sh\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    });
    let job = model.spawn(sh).unwrap();
    model.update(job, |p| {
        p.threads = 3;
        p.nice = 5;
        p.exe = Some(b"/usr/local/bin/job".as_slice().into());
        p.fds = Some(Arc::from(vec![
            (0, consts::KF_TYPE_VNODE),
            (1, consts::KF_TYPE_PIPE),
            (2, consts::KF_TYPE_SOCKET),
            (5, consts::KF_TYPE_KQUEUE),
            (9, 99),
        ]));
    });
    let zombie = model.spawn(sh).unwrap();
    model.exit(zombie);
    let daemon = model.spawn(pid(1)).unwrap();
    model.set_caller(sh);
    (model, sh, job, zombie, daemon)
}

#[test]
fn info_maps_every_field_of_the_record() {
    let (mut model, sh, job, zombie, daemon) = table();
    let i = model.info(sh).unwrap();
    assert_eq!((i.pid, i.ppid, i.pgid, i.sid), (sh, pid(1), sh, Some(sh)));
    assert_eq!((i.tty, i.tpgid), (Some(Dev::from_raw(0x5d)), Some(sh)));
    assert_eq!(
        (i.ruid, i.euid, i.suid, i.rgid, i.egid),
        (1001, 1001, 1001, 20, 20)
    );
    assert_eq!(i.state, State::Running); // the caller
    assert_eq!(
        i.flags,
        ProcFlags::SESSION_LEADER | ProcFlags::HAS_TTY | ProcFlags::FOREGROUND
    );
    assert_eq!(i.comm, "sh");
    let j = model.info(job).unwrap();
    assert_eq!(
        (j.nice, j.threads, j.state),
        (Some(5), Some(3), State::Sleeping)
    );
    assert_eq!(j.flags, ProcFlags::HAS_TTY | ProcFlags::FOREGROUND);
    // Started after its parent, microseconds apart.
    assert!(j.start.unwrap() > i.start.unwrap());
    assert_eq!(j.start.unwrap().units_per_second(), 1_000_000);
    let z = model.info(zombie).unwrap();
    assert_eq!((z.state, z.threads), (State::Zombie, Some(1)));
    assert!(!z.flags.contains(ProcFlags::EXITING));
    let d = model.info(daemon).unwrap();
    assert_eq!((d.tty, d.tpgid), (None, None));
    let k = model.info(Pid::ZERO).unwrap();
    assert!(k.flags.contains(ProcFlags::KERNEL));
    assert_eq!(k.threads, Some(8));
}

#[test]
fn absent_hidden_and_thread_ids_are_typed() {
    let (mut model, sh, job, _, daemon) = table();
    assert_eq!(
        model.info(pid(4242)).unwrap_err().kind(),
        ErrorKind::NoSuchProcess
    );
    // Hidden by see_other_uids: indistinguishable from absent (ESRCH).
    model.see_others(false, true, true);
    let e = model.info(daemon).unwrap_err();
    assert_eq!(
        (e.kind(), e.pid()),
        (ErrorKind::NoSuchProcess, Some(daemon))
    );
    assert!(model.info(sh).is_ok());
    // A thread id answers its process: not a process.
    let mut threads = ThreadBuf::new();
    let tids: Vec<Thread> = model.threads(job, &mut threads).unwrap().to_vec();
    assert_eq!(tids.len(), 3);
    let Thread::Tid(second) = tids[1] else {
        panic!("{tids:?}")
    };
    assert!(second.as_raw() > consts::PID_MAX);
    let e = model.info(second).unwrap_err();
    assert_eq!(
        (e.kind(), e.thread_group()),
        (ErrorKind::NotAProcess, Some(job))
    );
}

#[test]
fn exe_is_the_path_and_enoent_without_one() {
    let (mut model, sh, job, zombie, _) = table();
    let mut buf = ExeBuf::new();
    assert_eq!(
        model.exe(job, &mut buf).unwrap().path(),
        std::path::Path::new("/usr/local/bin/job")
    );
    assert_eq!(
        model.exe(sh, &mut buf).unwrap().path(),
        std::path::Path::new("/bin/sh")
    );
    for p in [zombie, Pid::ZERO] {
        let e = model.exe(p, &mut buf).unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::Os, Some(pidquery::Errno::ENOENT))
        );
    }
    // A path of PATH_MAX - 1 bytes, the longest there is.
    let long = format!("/{}", "x".repeat(consts::PATH_MAX - 2));
    model.update(job, |p| p.exe = Some(long.as_bytes().into()));
    assert_eq!(
        model.exe(job, &mut buf).unwrap().path().as_os_str().len(),
        long.len()
    );
}

#[test]
fn fds_are_the_descriptors_with_their_kinds() {
    let (mut model, sh, job, zombie, daemon) = table();
    let mut buf = FdBuf::new();
    let fds: Vec<(i32, FdKind)> = model
        .fds(job, &mut buf)
        .unwrap()
        .iter()
        .map(|f| (f.fd, f.kind))
        .collect();
    // The working directory's record (kf_fd -1) is not a descriptor.
    assert_eq!(
        fds,
        [
            (0, FdKind::File),
            (1, FdKind::Pipe),
            (2, FdKind::Socket),
            (5, FdKind::Event),
            (9, FdKind::Other)
        ]
    );
    assert!(model.fds(sh, &mut buf).unwrap().is_empty());
    // A zombie has none; another user's process is refused.
    assert!(model.fds(zombie, &mut buf).unwrap().is_empty());
    assert_eq!(
        model.fds(daemon, &mut buf).unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
}

/// The kernel cuts a filedesc answer silently before a record that does
/// not fit: many descriptors, found whole however the scratch was sized.
#[test]
fn a_long_fd_table_is_never_cut_short() {
    let (mut model, _, job, _, _) = table();
    for n in [1usize, 3, 40, 700, 2500] {
        model.update(job, |p| {
            p.fds = Some((0..n as i32).map(|fd| (fd, 1)).collect())
        });
        let mut buf = FdBuf::new();
        assert_eq!(model.fds(job, &mut buf).unwrap().len(), n, "{n}");
    }
}

#[test]
fn identity_is_pid_and_start_and_a_reused_pid_is_not_current() {
    let (mut model, _, job, zombie, _) = table();
    let id = model.identity(job).unwrap();
    assert_eq!(id.unique(), None);
    assert_eq!(id.start(), model.info(job).unwrap().start);
    assert!(model.is_current(&id).unwrap());
    // A zombie is still the same process until reaped.
    let zid = model.identity(zombie).unwrap();
    assert!(model.is_current(&zid).unwrap());
    model.reap(zombie);
    assert!(!model.is_current(&zid).unwrap());
    // The pid comes back, later.
    let later = model.procs().map(|p| p.start).max().unwrap() + 1;
    assert!(model.insert(Proc {
        start: later,
        ..Proc::new(zombie)
    }));
    assert!(!model.is_current(&zid).unwrap());
}

#[test]
fn infos_of_a_query_and_listpids_shape() {
    let (mut model, sh, job, zombie, _) = table();
    let mut buf = InfoBuf::new();
    let infos = model.infos(&PidQuery::ppid(sh), &mut buf).unwrap();
    let pids: Vec<Pid> = infos.iter().map(|i| i.pid).collect();
    assert_eq!(pids, [job, zombie]);
}

#[test]
fn warm_calls_allocate_nothing() {
    let (mut model, sh, job, zombie, _) = table();
    model.update(job, |p| p.fds = Some((0..600).map(|fd| (fd, 2)).collect()));
    let (mut exe, mut threads, mut fds, mut infos) = (
        ExeBuf::new(),
        ThreadBuf::new(),
        FdBuf::new(),
        InfoBuf::new(),
    );
    for _ in 0..2 {
        for p in [sh, job, zombie] {
            model.info(p).unwrap();
            let id = model.identity(p).unwrap();
            model.is_current(&id).unwrap();
            let _ = model.exe(p, &mut exe);
            model.threads(p, &mut threads).unwrap();
            model.fds(p, &mut fds).unwrap();
        }
        model.infos(&PidQuery::all(), &mut infos).unwrap();
    }
    for p in [sh, job, zombie] {
        let (r, n) = allocations(|| model.info(p).map(|i| i.pid));
        assert_eq!((r.unwrap(), n), (p, 0), "info of {p}");
        let (id, n) = allocations(|| model.identity(p));
        assert_eq!(n, 0, "identity of {p}");
        let id = id.unwrap();
        let (cur, n) = allocations(|| model.is_current(&id));
        assert_eq!((cur.unwrap(), n), (true, 0), "is_current of {p}");
        let (_, n) = allocations(|| model.exe(p, &mut exe).map(|e| e.path().as_os_str().len()));
        assert_eq!(n, 0, "exe of {p}");
        let (t, n) = allocations(|| model.threads(p, &mut threads).map(<[_]>::len));
        assert!(t.unwrap() >= 1);
        assert_eq!(n, 0, "threads of {p}");
        let (f, n) = allocations(|| model.fds(p, &mut fds).map(<[_]>::len));
        f.unwrap();
        assert_eq!(n, 0, "fds of {p}");
    }
    let (all, n) = allocations(|| model.infos(&PidQuery::all(), &mut infos).map(<[_]>::len));
    assert_eq!((all.unwrap(), n), (model.nprocs(), 0));
}
