//! Per-process info on the live system, against oracles no one here wrote:
//! `ps -o pid,ppid,pgid,sid,tty,euid,ruid,suid,egid,rgid,sgid,stat,lstart,
//! nlwp,comm`, `readlink`, and the `/proc/<pid>/task` and `fd` directories
//! read directly, for processes these tests spawn: one with uid ≠ euid
//! (root only), a zombie, a traced one, one on a pty, one with a forged
//! name, a multi-threaded one, and one whose executable was deleted.

#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use pidquery::{
    ErrorKind, ExeBuf, FdBuf, FdKind, InfoBuf, Pid, PidQuery, ProcFlags, ProcInfo, State, System,
    Thread, ThreadBuf,
};
use support::{
    deleted_exe, family, forged_name, is_root, long_path_exe, ps_info, pty_session, skip, sleeper,
    this_thread_id, threaded, traced, tracer_pid, wait_until, with_uids, zombie, PsInfo,
    FORGED_NAME,
};

fn live() -> &'static System {
    System::live().expect("/proc")
}

/// `ps`'s `STAT` built from an info: the state letter, `<`/`N` from the
/// nice value, `s` session leader, `l` multi-threaded, `+` foreground.
fn ps_stat(info: &ProcInfo) -> String {
    let mut s = String::from(info.state.code());
    match info.nice {
        Some(n) if n < 0 => s.push('<'),
        Some(n) if n > 0 => s.push('N'),
        _ => {}
    }
    if info.flags.contains(ProcFlags::SESSION_LEADER) {
        s.push('s');
    }
    if info.threads > Some(1) {
        s.push('l');
    }
    if info.flags.contains(ProcFlags::FOREGROUND) {
        s.push('+');
    }
    s
}

/// `comm` as `ps` prints it in the C locale: non-printable bytes as `.`.
fn ps_comm(info: &ProcInfo) -> String {
    info.comm
        .as_bytes()
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

/// Asserts that every field of `info` is what `ps` says of it.
fn assert_like_ps(info: &ProcInfo, ps: &PsInfo) {
    let what = format!("pid {}: ours {info:#?}\nps {ps:#?}", info.pid);
    assert_eq!(info.pid.as_raw(), ps.pid, "{what}");
    assert_eq!(info.ppid.as_raw(), ps.ppid, "{what}");
    assert_eq!(info.pgid.as_raw(), ps.pgid, "{what}");
    assert_eq!(info.sid.map(Pid::as_raw), Some(ps.sid), "{what}");
    match info.tty {
        None => assert_eq!(ps.tty, "?", "{what}"),
        Some(dev) => {
            let path = Path::new("/dev").join(&ps.tty);
            let rdev = std::os::unix::fs::MetadataExt::rdev(&std::fs::metadata(&path).unwrap());
            assert_eq!(dev.raw(), rdev, "{what}");
        }
    }
    assert_eq!(
        (info.euid, info.ruid, info.suid),
        (ps.euid, ps.ruid, ps.suid),
        "{what}"
    );
    assert_eq!(
        (info.egid, info.rgid, info.sgid),
        (ps.egid, ps.rgid, ps.sgid),
        "{what}"
    );
    // ps adds `L` for locked pages, which ProcInfo does not carry.
    assert_eq!(ps_stat(info), ps.stat.replace('L', ""), "{what}");
    assert_eq!(info.threads, Some(ps.nlwp), "{what}");
    let start = info.start.expect("Linux has start times");
    assert_eq!(start.since_unix_epoch().as_secs(), ps.start, "{what}");
    let comm = ps.comm.strip_suffix(" <defunct>").unwrap_or(&ps.comm);
    assert_eq!(ps_comm(info), comm, "{what}");
}

/// Reads `pid` and `ps`'s view of it until both agree on the state (a
/// sleeping process can be caught running), then compares every field.
fn check_with_ps(pid: Pid) -> ProcInfo {
    let info = wait_until(&format!("a steady reading of {pid}"), || {
        let info = live().info(pid).ok()?;
        let ps = ps_info(pid)?;
        let again = live().info(pid).ok()?;
        (info == again && ps.stat.starts_with(info.state.code())).then_some((info, ps))
    });
    assert_like_ps(&info.0, &info.1);
    info.0
}

/// `readlink /proc/<pid>/exe`, the oracle for `exe`.
fn readlink_exe(pid: Pid) -> Option<Vec<u8>> {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .map(|p| p.as_os_str().as_bytes().to_vec())
}

/// Asserts that `exe` reads what `readlink` does (with " (deleted)" as a
/// flag).
fn check_exe(pid: Pid) {
    let mut buf = ExeBuf::new();
    let exe = live().exe(pid, &mut buf).expect("exe");
    let mut ours = exe.as_bytes().to_vec();
    if exe.is_deleted() {
        ours.extend_from_slice(b" (deleted)");
    }
    assert_eq!(Some(ours), readlink_exe(pid), "pid {pid}");
}

#[test]
fn every_field_matches_ps_for_a_sleeper_and_its_family() {
    let s = sleeper();
    let info = check_with_ps(s.pid());
    assert_eq!(info.ppid, Pid::this());
    assert_eq!(info.comm, "sleep");
    assert_eq!(info.state, State::Sleeping);
    check_exe(s.pid());
    let fam = family(2, true);
    for pid in fam.members() {
        let info = check_with_ps(pid);
        assert_eq!(info.pgid, fam.leader.pid());
        check_exe(pid);
    }
}

#[test]
fn every_field_matches_ps_with_uid_not_euid() {
    if !is_root() {
        return skip(
            "every_field_matches_ps_with_uid_not_euid",
            "needs root to run a process as other uids",
        );
    }
    let p = with_uids(4242, 4343);
    let info = check_with_ps(p.pid());
    assert_eq!((info.ruid, info.euid), (4242, 4343));
}

#[test]
fn a_zombie_is_info_with_the_zombie_state() {
    let z = zombie(false);
    let info = check_with_ps(z.pid());
    assert_eq!(info.state, State::Zombie);
    assert!(info.state.has_exited());
    // No executable, but still a process: not "no such process".
    let err = live().exe(z.pid(), &mut ExeBuf::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Os);
    assert_eq!(err.errno(), Some(pidquery::Errno::ENOENT));
    assert_eq!(readlink_exe(z.pid()), None);
    // Read together: the info, and the same missing executable.
    let mut buf = ExeBuf::new();
    let (both, exe) = live().info_with_exe(z.pid(), &mut buf).unwrap();
    assert_eq!(both, info);
    assert_eq!(exe.unwrap_err().errno(), Some(pidquery::Errno::ENOENT));
    let mut threads = ThreadBuf::new();
    let threads = live().threads(z.pid(), &mut threads).unwrap();
    assert_eq!(threads, [Thread::Tid(z.pid())]);
    assert!(live().fds(z.pid(), &mut FdBuf::new()).unwrap().is_empty());
    let id = live().identity(z.pid()).unwrap();
    assert!(live().is_current(&id).unwrap(), "a zombie is still itself");
}

#[test]
fn a_traced_process_says_so() {
    let Some((_strace, tracee)) = traced() else {
        return skip("a_traced_process_says_so", "strace is not installed");
    };
    let info = check_with_ps(tracee);
    assert!(info.flags.contains(ProcFlags::TRACED));
    assert_ne!(tracer_pid(tracee), Some(0));
    let plain = sleeper();
    assert!(!live()
        .info(plain.pid())
        .unwrap()
        .flags
        .contains(ProcFlags::TRACED));
}

#[test]
fn processes_on_a_pty_have_its_device() {
    let Some(session) = pty_session() else {
        return skip(
            "processes_on_a_pty_have_its_device",
            "script is not installed",
        );
    };
    let rdev = std::os::unix::fs::MetadataExt::rdev(&std::fs::metadata(&session.tty).unwrap());
    for &pid in &session.members {
        let info = check_with_ps(pid);
        assert_eq!(info.tty.map(|d| d.raw()), Some(rdev));
        assert!(info.flags.contains(ProcFlags::HAS_TTY));
        assert!(info.tpgid.is_some());
    }
    let script = live().info(session.script.pid()).unwrap();
    assert!(
        !script.flags.contains(ProcFlags::HAS_TTY)
            || script.tty != Some(pidquery::Dev::from_raw(rdev))
    );
    // The terminal filter gives the same infos as reading each member.
    let query = PidQuery::tty_path(&session.tty).unwrap();
    let mut buf = InfoBuf::new();
    let infos = live().infos(&query, &mut buf).unwrap();
    let pids: BTreeSet<Pid> = infos.iter().map(|i| i.pid).collect();
    assert_eq!(pids, session.members);
}

#[test]
fn a_forged_name_forges_nothing() {
    let p = forged_name();
    let info = check_with_ps(p.pid());
    assert_eq!(info.comm.as_bytes(), FORGED_NAME);
    assert_eq!(info.ppid, Pid::this());
    assert_ne!(info.pgid.as_raw(), 77);
}

#[test]
fn a_multi_threaded_process_lists_every_thread() {
    let Some(p) = threaded(40) else {
        return skip(
            "a_multi_threaded_process_lists_every_thread",
            "python3 is not installed",
        );
    };
    let info = check_with_ps(p.pid());
    assert_eq!(info.threads, Some(41));
    let task: BTreeSet<Thread> = std::fs::read_dir(format!("/proc/{}/task", p.pid()))
        .unwrap()
        .map(|e| {
            let tid: i32 = e.unwrap().file_name().to_str().unwrap().parse().unwrap();
            Thread::Tid(Pid::from_raw(tid).unwrap())
        })
        .collect();
    // More than the inline 32: the buffer grows, the answer is whole.
    let mut buf = ThreadBuf::new();
    assert!(buf.capacity() < 41);
    let threads = live().threads(p.pid(), &mut buf).unwrap().to_vec();
    assert_eq!(threads.first(), Some(&Thread::Tid(p.pid())), "leader first");
    assert_eq!(threads.iter().copied().collect::<BTreeSet<_>>(), task);
    assert_eq!(threads.len(), 41);
    assert!(buf.capacity() >= 41);
    // Its fds, kinds included, against readlink of /proc/<pid>/fd/*.
    let mut fds = FdBuf::new();
    let ours = live().fds(p.pid(), &mut fds).unwrap().to_vec();
    let theirs: Vec<(i32, FdKind)> = {
        let mut v: Vec<(i32, FdKind)> = std::fs::read_dir(format!("/proc/{}/fd", p.pid()))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let fd: i32 = e.file_name().to_str().unwrap().parse().unwrap();
                let link = std::fs::read_link(e.path()).unwrap();
                let link = link.as_os_str().as_bytes();
                let kind = if link.starts_with(b"/") {
                    FdKind::File
                } else if link.starts_with(b"socket:") {
                    FdKind::Socket
                } else if link.starts_with(b"pipe:") {
                    FdKind::Pipe
                } else if link == b"anon_inode:[eventpoll]" || link == b"anon_inode:[eventfd]" {
                    FdKind::Event
                } else {
                    FdKind::Other
                };
                (fd, kind)
            })
            .collect();
        v.sort_unstable_by_key(|x| x.0);
        v
    };
    let ours: Vec<(i32, FdKind)> = ours.iter().map(|f| (f.fd, f.kind)).collect();
    assert_eq!(ours, theirs);
    assert!(
        ours.len() > 32,
        "more fds than the inline room: {}",
        ours.len()
    );
    for kind in [FdKind::Pipe, FdKind::Socket, FdKind::Event] {
        assert!(ours.iter().any(|f| f.1 == kind), "{kind:?} in {ours:?}");
    }
}

#[test]
fn a_deleted_executable_keeps_its_path_and_says_deleted() {
    let (p, path) = deleted_exe();
    let info = check_with_ps(p.pid());
    assert_eq!(info.comm, "pqdelsleep");
    let mut buf = ExeBuf::new();
    let exe = live().exe(p.pid(), &mut buf).unwrap();
    assert!(exe.is_deleted());
    assert_eq!(exe.path(), path);
    check_exe(p.pid());
}

#[test]
fn a_long_executable_path_grows_the_buffer() {
    let (p, path) = long_path_exe(3000);
    let mut buf = ExeBuf::with_capacity(1);
    let exe = live().exe(p.pid(), &mut buf).unwrap();
    assert_eq!(exe.path(), path);
    assert!(!exe.is_deleted());
    assert!(buf.capacity() > path.as_os_str().len());
    check_exe(p.pid());
    // Read together, the path growing the buffer: the info of that process.
    let mut buf = ExeBuf::with_capacity(1);
    let (info, exe) = live().info_with_exe(p.pid(), &mut buf).unwrap();
    assert_eq!(exe.unwrap().path(), path);
    let alone = check_with_ps(p.pid());
    assert_eq!(
        (info.pid, info.comm, info.start),
        (alone.pid, alone.comm, alone.start)
    );
    // A name that really ends in " (deleted)" is not taken for the mark.
    let real = path.with_file_name("pqfake (deleted)");
    std::fs::copy(support::which("sleep"), &real).unwrap();
    let fake =
        support::Proc::spawn_written(support::quiet(std::process::Command::new(&real).arg("900")));
    support::wait_exec(fake.pid(), "pqfake (deleted");
    let exe = live().exe(fake.pid(), &mut buf).unwrap();
    assert!(!exe.is_deleted());
    assert_eq!(exe.path(), real);
    drop(fake);
    let _ = std::fs::remove_file(&real);
    drop(p);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_thread_id_is_not_a_process() {
    let me = Pid::this();
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        tx.send(this_thread_id()).unwrap();
        let _ = done_rx.recv();
    });
    let tid = rx.recv().unwrap();
    assert_ne!(tid, me);
    let system = live();
    let err = system.info(tid).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAProcess);
    assert_eq!(err.thread_group(), Some(me));
    assert_eq!(err.pid(), Some(tid));
    for err in [
        system.exe(tid, &mut ExeBuf::new()).unwrap_err(),
        system.threads(tid, &mut ThreadBuf::new()).unwrap_err(),
        system.fds(tid, &mut FdBuf::new()).unwrap_err(),
        system.identity(tid).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotAProcess, "{err}");
        assert_eq!(err.thread_group(), Some(me), "{err}");
    }
    // The process itself lists the thread.
    let mut threads = ThreadBuf::new();
    let threads = system.threads(me, &mut threads).unwrap();
    assert!(threads.contains(&Thread::Tid(tid)));
    done_tx.send(()).unwrap();
    t.join().unwrap();
}

#[test]
fn a_vanished_pid_is_no_such_process() {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = Pid::from(&child);
    child.wait().unwrap();
    let system = live();
    for err in [
        system.info(pid).unwrap_err(),
        system.exe(pid, &mut ExeBuf::new()).unwrap_err(),
        system.threads(pid, &mut ThreadBuf::new()).unwrap_err(),
        system.fds(pid, &mut FdBuf::new()).unwrap_err(),
        system.identity(pid).unwrap_err(),
    ] {
        // (Unless the pid was reused at once, which would be a new process.)
        if err.kind() != ErrorKind::NoSuchProcess {
            assert!(system.info(pid).is_ok(), "{err}");
            continue;
        }
        assert_eq!(err.pid(), Some(pid));
        assert_eq!(
            std::io::Error::from(err).kind(),
            std::io::ErrorKind::NotFound
        );
    }
    let max = Pid::from_raw(i32::MAX).unwrap();
    assert_eq!(
        system.info(max).unwrap_err().kind(),
        ErrorKind::NoSuchProcess
    );
}

/// The child side of [`other_users_exe_and_fds_are_refused`]: run as
/// another user, prints what each call on `PQ_INFO_PROBE` gave.
#[test]
#[ignore = "run by other_users_exe_and_fds_are_refused, as another user"]
fn probe_as_another_user() {
    let Some(pid) = std::env::var("PQ_INFO_PROBE")
        .ok()
        .and_then(|v| Pid::from_raw(v.parse().ok()?))
    else {
        return;
    };
    let system = live();
    let kind = |r: Result<(), pidquery::Error>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("{:?}/{:?}", e.kind(), e.errno().map(|e| e.raw())),
    };
    println!("PQ info {}", kind(system.info(pid).map(drop)));
    println!(
        "PQ exe {}",
        kind(system.exe(pid, &mut ExeBuf::new()).map(drop))
    );
    println!(
        "PQ fds {}",
        kind(system.fds(pid, &mut FdBuf::new()).map(drop))
    );
    println!(
        "PQ threads {}",
        kind(system.threads(pid, &mut ThreadBuf::new()).map(drop))
    );
    println!("PQ identity {}", kind(system.identity(pid).map(drop)));
}

#[test]
fn other_users_exe_and_fds_are_refused() {
    if !is_root() || !support::have("setpriv") {
        return skip(
            "other_users_exe_and_fds_are_refused",
            "needs root and setpriv to run a probe as another user",
        );
    }
    let s = sleeper(); // ours: root's
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=4242", "--regid=4242", "--clear-groups", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "probe_as_another_user",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PQ_INFO_PROBE", s.pid().to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |key: &str| -> String {
        text.lines()
            .find_map(|l| l.split_once(&format!("PQ {key} ")).map(|(_, rest)| rest))
            .unwrap_or_else(|| {
                panic!(
                    "no {key} in {text} {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .to_string()
    };
    // stat and status are world-readable; exe and fd/ need ptrace access.
    assert_eq!(line("info"), "ok");
    assert_eq!(line("threads"), "ok");
    assert_eq!(line("identity"), "ok");
    assert_eq!(
        line("exe"),
        format!("PermissionDenied/Some({})", libc_eacces())
    );
    assert_eq!(
        line("fds"),
        format!("PermissionDenied/Some({})", libc_eacces())
    );
}

/// `EACCES` on Linux.
fn libc_eacces() -> i32 {
    pidquery::Errno::EACCES.raw()
}

#[test]
fn identity_tells_a_reused_pid_from_its_first_process() {
    const TRIES: usize = 200;
    let mut child = std::process::Command::new("sleep")
        .arg("900")
        .spawn()
        .unwrap();
    let pid = Pid::from(&child);
    support::wait_exec(pid, "sleep");
    let system = live();
    let id = system.identity(pid).unwrap();
    assert_eq!(id.pid(), pid);
    assert_eq!(id.start(), system.info(pid).unwrap().start);
    assert!(system.is_current(&id).unwrap());
    assert!(id.is_current().unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!system.is_current(&id).unwrap());
    if !is_root() {
        return skip(
            "identity_tells_a_reused_pid_from_its_first_process (reuse)",
            "needs root to steer ns_last_pid",
        );
    }
    // Make the kernel hand the same pid to a new process. Other tests fork
    // meanwhile and can take it first (often, under valgrind): try again.
    let last = "/proc/sys/kernel/ns_last_pid";
    for _ in 0..TRIES {
        if std::fs::write(last, (pid.as_raw() - 1).to_string()).is_err() {
            return skip("identity reuse", "ns_last_pid is not writable");
        }
        let mut again = std::process::Command::new("sleep")
            .arg("900")
            .spawn()
            .unwrap();
        if Pid::from(&again) != pid {
            again.kill().unwrap();
            again.wait().unwrap();
            continue;
        }
        support::wait_exec(pid, "sleep");
        assert!(
            !system.is_current(&id).unwrap(),
            "the pid came back as another process"
        );
        let new = system.identity(pid).unwrap();
        assert_ne!(new, id);
        assert!(system.is_current(&new).unwrap());
        if let (Some(a), Some(b)) = (id.unique(), new.unique()) {
            assert_ne!(a, b);
        }
        again.kill().unwrap();
        again.wait().unwrap();
        return;
    }
    panic!("could not get pid {pid} again in {TRIES} tries");
}

#[test]
fn infos_are_the_listing_read_once() {
    let fam = family(3, true);
    let system = live();
    let mut buf = InfoBuf::new();
    let mut pids = pidquery::PidBuf::new();
    for query in [
        PidQuery::ppid(fam.leader.pid()),
        PidQuery::pgrp(fam.leader.pid()),
        PidQuery::ppid(Pid::this()),
    ] {
        let infos = system.infos(&query, &mut buf).unwrap().to_vec();
        let listed = system.fill(&query, &mut pids).unwrap().to_vec();
        let ours: Vec<Pid> = infos.iter().map(|i| i.pid).collect();
        // Our own children may come and go (other tests): compare the family.
        let members = fam.members();
        let keep = |p: &Pid| members.contains(p) || *p == fam.leader.pid();
        assert_eq!(
            ours.iter().copied().filter(keep).collect::<Vec<_>>(),
            listed.iter().copied().filter(keep).collect::<Vec<_>>(),
            "{query:?}"
        );
        for info in infos.iter().filter(|i| members.contains(&i.pid)) {
            assert_eq!(*info, system.info(info.pid).unwrap());
        }
    }
    let all = system.infos(&PidQuery::all(), &mut buf).unwrap();
    for pid in fam.members() {
        assert!(all.iter().any(|i| i.pid == pid));
    }
    assert!(all.windows(2).all(|w| w[0].pid < w[1].pid));
    let uid = system.info(Pid::this()).unwrap().euid;
    let mine = system.infos(&PidQuery::uid(uid), &mut buf).unwrap();
    assert!(mine.iter().all(|i| i.euid == uid));
    assert!(mine.iter().any(|i| i.pid == Pid::this()));
    let ruid = system.info(Pid::this()).unwrap().ruid;
    let mine = system.infos(&PidQuery::ruid(ruid), &mut buf).unwrap();
    assert!(mine.iter().all(|i| i.ruid == ruid));
    assert!(mine.iter().any(|i| i.pid == Pid::this()));
}

#[test]
fn start_times_convert_and_compare_exactly() {
    let a = sleeper();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let b = sleeper();
    let sa = live().info(a.pid()).unwrap().start.unwrap();
    let sb = live().info(b.pid()).unwrap().start.unwrap();
    assert!(sa < sb, "{sa:?} {sb:?}");
    assert_eq!(sa.units_per_second(), 100);
    let text = sa.epoch_seconds().to_string();
    let (secs, frac) = text.split_once('.').unwrap();
    assert_eq!(frac.len(), 2, "{text}");
    assert_eq!(
        secs.parse::<u64>().unwrap(),
        sa.since_unix_epoch().as_secs()
    );
    let wall: std::time::SystemTime = sa.into();
    assert!(wall <= std::time::SystemTime::now());
}

#[test]
fn another_proc_mount_reads_the_same_infos() {
    // A System opened by path reads what the live one does.
    let s = sleeper();
    let other = System::open("/proc").unwrap();
    let a = other.info(s.pid()).unwrap();
    let b = live().info(s.pid()).unwrap();
    assert_eq!(a, b);
    let id = other.identity(s.pid()).unwrap();
    assert!(other.is_current(&id).unwrap());
}
