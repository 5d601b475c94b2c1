//! Exit and process identity as xnu has them, one test per rule (`exit.rs`
//! and `table.rs` cite the lines of `bsd/kern/kern_exit.c`,
//! `bsd/kern/kern_fork.c` and `bsd/kern/proc_info.c`), and what the xnu
//! backend answers about them.

use super::records::TaskAllInfo;
use super::tests_info::{ask, bsd, pid, short};
use super::*;
use crate::{
    Dev, Errno, ErrorKind, ExeBuf, FdBuf, Pid, PidBuf, PidQuery, ProcFlags, State, Thread,
    ThreadBuf,
};

const TTY: Dev = Dev::from_raw(0x1000_0003);

fn launchd() -> Pid {
    pid(1)
}

fn listed(model: &mut Model, query: &PidQuery) -> Vec<Pid> {
    let mut buf = PidBuf::new();
    model.fill(query, &mut buf).unwrap().to_vec()
}

/// A child of launchd's that has exec'd, with a descriptor and two threads.
fn worker(model: &mut Model) -> Pid {
    let p = model.spawn(launchd());
    model.exec(p, b"/usr/bin/thing");
    model.open_fd(p, xnu::PROX_FDTYPE_VNODE);
    model.spawn_thread(p);
    p
}

// ---- the exit window ---------------------------------------------------------

#[test]
fn in_the_exit_window_proc_find_fails_and_zombie_lookups_see_srun_and_inexit() {
    let mut model = Model::new();
    let p = worker(&mut model);
    assert!(model.begin_exit(p));
    // `P_REF_DEAD`: what `proc_find` looks up fails, the path included.
    for (flavor, size) in [
        (xnu::PROC_PIDTASKALLINFO, TaskAllInfo::SIZE),
        (xnu::PROC_PIDLISTFDS, 64),
        (xnu::PROC_PIDLISTTHREADS, 64),
        (xnu::PROC_PIDPATHINFO, 1024),
        (xnu::PROC_PIDT_SHORTBSDINFO, 64), // arg 0: no zombie lookup
    ] {
        let (ret, errno, _) = ask(&mut model, p, flavor, 0, size);
        assert_eq!((ret, errno), (0, Errno::ESRCH), "flavor {flavor}");
    }
    // `proc_find_zombref` finds it, with `p_stat` still SRUN.
    let s = short(&ask(&mut model, p, xnu::PROC_PIDT_SHORTBSDINFO, 1, 64).2);
    assert_eq!(s.pbsi_status, xnu::SRUN);
    assert_ne!(s.pbsi_flags & xnu::PROC_FLAG_INEXIT, 0);
    let b = bsd(&ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 1, 136).2);
    assert_eq!((b.pbi_status, b.pbi_nfiles), (xnu::SRUN, 0));
    // Listed, from the zombproc walk; not a zombie yet.
    assert_eq!(listed(&mut model, &PidQuery::ppid(launchd())), [p]);
    assert!(!model.is_zombie(p) && !model.reap(p));
    assert!(model.finish_exit(p));
    let s = short(&ask(&mut model, p, xnu::PROC_PIDT_SHORTBSDINFO, 1, 64).2);
    assert_eq!(s.pbsi_status, xnu::SZOMB);
    assert_ne!(s.pbsi_flags & xnu::PROC_FLAG_INEXIT, 0);
}

#[test]
fn a_process_in_its_exit_window_is_exited_for_every_backend_call() {
    let mut model = Model::new();
    let p = worker(&mut model);
    let id = model.identity(p).unwrap();
    model.begin_exit(p);
    let e = model.exe(p, &mut ExeBuf::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSuchProcess, "{e}");
    assert_eq!(model.fds(p, &mut FdBuf::new()).unwrap(), []);
    assert_eq!(model.threads(p, &mut ThreadBuf::new()).unwrap(), []);
    let info = model.info(p).unwrap();
    assert!(info.flags.contains(ProcFlags::EXITING));
    assert_eq!(info.threads, None);
    assert!(model.is_current(&id).unwrap());
    assert_eq!(model.identity(p).unwrap().unique(), id.unique());
    // Another user's caller: the same, from the short record.
    model.set_caller_uid(501);
    let e = model.exe(p, &mut ExeBuf::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSuchProcess, "{e}");
    assert_eq!(model.fds(p, &mut FdBuf::new()).unwrap(), []);
    assert!(model.info(p).unwrap().flags.contains(ProcFlags::EXITING));
    // Finished: a zombie, no longer exiting.
    model.set_caller_uid(0);
    model.finish_exit(p);
    let info = model.info(p).unwrap();
    assert_eq!(info.state, State::Zombie);
    assert!(!info.flags.contains(ProcFlags::EXITING));
}

#[test]
fn an_exit_that_begins_just_before_the_call_is_no_such_process_not_a_missing_exe() {
    let mut model = Model::new();
    let p = worker(&mut model);
    model.script_info(InfoCall {
        before: Burst::exiting(p),
        ..InfoCall::QUIET
    });
    let e = model.exe(p, &mut ExeBuf::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSuchProcess, "{e}");
    // The same before a thread list: empty and complete.
    let q = worker(&mut model);
    model.script_info(InfoCall {
        before: Burst::exiting(q),
        ..InfoCall::QUIET
    });
    assert_eq!(model.threads(q, &mut ThreadBuf::new()).unwrap(), []);
    // A live process without an executable is still ENOENT.
    let e = model.exe(Pid::ZERO, &mut ExeBuf::new()).unwrap_err();
    assert_eq!(e.errno(), Some(Errno::ENOENT));
}

// ---- P_LTRACED ---------------------------------------------------------------

#[test]
fn exit_clears_p_ltraced_and_the_reaped_tracee_goes_back_to_its_parent() {
    let mut model = Model::new();
    let parent = model.spawn(launchd());
    let tracer = model.spawn(launchd());
    let child = model.spawn(parent);
    model.trace(child, tracer);
    assert_eq!(listed(&mut model, &PidQuery::ppid(parent)), [child]);
    model.exit(child);
    // No longer matched by its original parent, nor flagged traced.
    assert_eq!(listed(&mut model, &PidQuery::ppid(parent)), []);
    assert_eq!(listed(&mut model, &PidQuery::ppid(tracer)), [child]);
    let s = short(&ask(&mut model, child, xnu::PROC_PIDT_SHORTBSDINFO, 1, 64).2);
    assert_eq!(s.pbsi_flags & xnu::PROC_FLAG_TRACED, 0);
    assert_eq!(model.get(child).unwrap().returns_to, Some(parent));
    // The tracer waits: `p_oppid` hands the zombie back to its parent.
    assert!(model.reap(child));
    assert!(model.is_zombie(child));
    assert_eq!(listed(&mut model, &PidQuery::ppid(parent)), [child]);
    assert!(model.reap(child));
    assert!(model.get(child).is_none());
}

#[test]
fn a_dying_tracer_hands_its_tracees_back_and_kills_them() {
    let mut model = Model::new();
    let parent = model.spawn(launchd());
    let lost_parent = model.spawn(launchd());
    let tracer = model.spawn(launchd());
    let tracee = model.spawn(parent);
    let lost = model.spawn(lost_parent);
    model.trace(tracee, tracer);
    model.trace(lost, tracer);
    model.exit(lost_parent); // a zombie: proc_find no longer finds it
    model.exit(tracer);
    // Back to its parent, killed: its zombie.
    assert!(model.is_zombie(tracee));
    assert_eq!(model.get(tracee).unwrap().ppid, parent);
    assert_eq!(listed(&mut model, &PidQuery::ppid(parent)), [tracee]);
    // Its parent gone: to launchd, killed, reaped by the kernel at once.
    assert!(model.get(lost).is_none());
    assert_eq!(
        listed(&mut model, &PidQuery::ppid(launchd())),
        [parent, tracer, lost_parent]
    );
}

// ---- the session leader's exit -----------------------------------------------------

#[test]
fn a_session_leaders_exit_revokes_the_terminal_of_every_member() {
    let mut model = Model::new();
    let leader = pid(700);
    model.insert(Proc {
        ppid: launchd(),
        tpgid: leader,
        ..Proc::new(leader).with_terminal(TTY)
    });
    let member = model.spawn(leader);
    let grandchild = model.spawn(member);
    let tty = PidQuery::tty(TTY);
    assert_eq!(listed(&mut model, &tty), [grandchild, member, leader]);
    let info = model.info(member).unwrap();
    assert_eq!(info.tty, Some(TTY));
    assert!(info.flags.contains(ProcFlags::HAS_TTY));
    model.exit(leader);
    // s_ttydev = NODEV: no member matches the device any more.
    assert_eq!(listed(&mut model, &tty), []);
    let b = bsd(&ask(&mut model, member, xnu::PROC_PIDTBSDINFO, 0, 136).2);
    assert_eq!(b.e_tdev, xnu::NODEV);
    assert_eq!(b.e_tpgid, 100_000, "s_ttypgrpid = NO_PID");
    assert_eq!(b.pbi_flags & xnu::PROC_FLAG_CTTY, 0);
    assert_ne!(b.pbi_flags & xnu::PROC_FLAG_CONTROLT, 0, "P_CONTROLT stays");
    let info = model.info(member).unwrap();
    assert_eq!((info.tty, info.tpgid), (None, None));
    assert!(!info.flags.contains(ProcFlags::HAS_TTY));
    // s_leader = NULL: the zombie leader no longer leads.
    let b = bsd(&ask(&mut model, leader, xnu::PROC_PIDTBSDINFO, 1, 136).2);
    assert_eq!(b.pbi_flags & xnu::PROC_FLAG_SLEADER, 0);
    assert_eq!(model.info(leader).unwrap().sid, None);
    // A child forked now gets no P_CONTROLT.
    let late = model.spawn(member);
    assert!(!model.get(late).unwrap().controlling_terminal);
    // Before the leader's exit its own record still says it leads.
    let other = pid(800);
    model.insert(Proc {
        ppid: launchd(),
        ..Proc::new(other).with_terminal(TTY)
    });
    model.begin_exit(other);
    let b = bsd(&ask(&mut model, other, xnu::PROC_PIDTBSDINFO, 1, 136).2);
    assert_ne!(b.pbi_flags & xnu::PROC_FLAG_SLEADER, 0);
    assert_eq!(listed(&mut model, &tty), [other]);
}

// ---- children of an exiting parent -------------------------------------------------

#[test]
fn an_exiting_parents_zombie_children_are_reaped_and_live_ones_go_to_launchd() {
    let mut model = Model::new();
    let parent = model.spawn(launchd());
    let dead = model.spawn(parent);
    let alive = model.spawn(parent);
    let leaving = model.spawn(parent);
    model.exit(dead);
    model.begin_exit(leaving);
    assert!(model.is_zombie(dead));
    model.exit(parent);
    assert!(model.get(dead).is_none(), "reaped with its parent");
    assert_eq!(model.get(alive).unwrap().ppid, launchd());
    assert!(model.get(alive).unwrap().orphaned);
    // In its own window, it goes to launchd too, and finishes reaped.
    assert_eq!(model.get(leaving).unwrap().ppid, launchd());
    assert!(model.finish_exit(leaving));
    assert!(model.get(leaving).is_none());
    assert_eq!(
        listed(&mut model, &PidQuery::ppid(launchd())),
        [alive, parent]
    );
    assert_eq!(model.nprocs(), 4);
}

#[test]
fn orphans_given_to_launchd_are_reaped_as_they_exit_its_own_children_are_not() {
    let mut model = Model::new();
    let parent = model.spawn(launchd());
    let orphan = model.spawn(parent);
    let own = model.spawn(launchd());
    model.exit(parent);
    model.reap(parent);
    assert_eq!(
        listed(&mut model, &PidQuery::ppid(launchd())),
        [own, orphan]
    );
    assert!(model.exit(orphan));
    assert!(model.get(orphan).is_none(), "never a zombie");
    assert!(model.exit(own));
    assert!(model.is_zombie(own), "launchd has not waited yet");
    assert_eq!(
        listed(&mut model, &PidQuery::all()),
        [pid(1), Pid::ZERO, own]
    );
}

// ---- identifiers ---------------------------------------------------------------------

#[test]
fn kernel_task_has_uniqueid_0_and_launchd_1() {
    let mut model = Model::new();
    assert_eq!(model.identity(Pid::ZERO).unwrap().unique(), Some(0));
    assert_eq!(model.identity(launchd()).unwrap().unique(), Some(1));
    let child = model.spawn(launchd());
    assert_eq!(model.identity(child).unwrap().unique(), Some(2));
    let u = |model: &mut Model, p: Pid| {
        use records::UniqIdentifierInfo as U;
        let bytes = ask(model, p, xnu::PROC_PIDUNIQIDENTIFIERINFO, 1, U::SIZE).2;
        U::decode(bytes[..U::SIZE].try_into().unwrap())
    };
    assert_eq!(u(&mut model, launchd()).p_puniqueid, 0);
    assert_eq!(u(&mut model, child).p_puniqueid, 1);
}

#[test]
fn a_new_pid_never_equals_a_live_process_group_or_session_id() {
    let mut model = Model::new();
    // Group 100 and session 101 outlive their leaders; 103 is a zombie.
    model.insert(Proc {
        ppid: launchd(),
        pgid: pid(100),
        sid: launchd(),
        ..Proc::new(pid(300))
    });
    model.insert(Proc {
        ppid: launchd(),
        sid: pid(101),
        ..Proc::new(pid(301))
    });
    model.insert(Proc {
        ppid: launchd(),
        ..Proc::new(pid(103))
    });
    model.exit(pid(103));
    // Past PID_MAX the count wraps to 100.
    model.next_pid = table::PID_MAX;
    assert_eq!(model.spawn(launchd()), pid(102));
    assert_eq!(model.spawn(launchd()), pid(104));
}

// ---- threads -------------------------------------------------------------------------

#[test]
fn thread_handles_may_be_0_and_repeat_and_every_one_is_listed() {
    let mut model = Model::new();
    let mut buf = ThreadBuf::new();
    // kernel_task's thread has no TSD base.
    assert_eq!(
        model.threads(Pid::ZERO, &mut buf).unwrap(),
        [Thread::Handle(0)]
    );
    let p = model.spawn(launchd());
    let t = model.get(p).unwrap().threads[0];
    let h = 0x7000_0000_5000;
    let handles = [0, 0, h, h];
    model.get_mut(p).unwrap().threads = (0..4u64)
        .map(|i| process::Thread {
            handle: handles[i as usize],
            id: t.id + 100 + i,
            ..t
        })
        .collect();
    let want: Vec<Thread> = handles.iter().map(|&h| Thread::Handle(h)).collect();
    assert_eq!(model.threads(p, &mut buf).unwrap(), want);
    let mut ids = Vec::new();
    assert_eq!(model.thread_ids(p, &mut ids).unwrap().len(), 4);
    // More than a stack buffer of zeros: a 0 never ends the list.
    let many = 600;
    model.get_mut(p).unwrap().threads = (0..many)
        .map(|i| process::Thread {
            handle: 0,
            id: t.id + 1000 + i,
            ..t
        })
        .collect();
    let got = model.threads(p, &mut buf).unwrap();
    assert_eq!(got.len(), many as usize);
    assert!(got.iter().all(|&t| t == Thread::Handle(0)));
}

// ---- PROC_TTY_ONLY before xnu-8019 ----------------------------------------------------

#[test]
fn before_xnu_8019_tty_needs_a_group_and_a_terminal_and_never_matches_any_device() {
    let mut model = Model::new();
    let with = pid(700);
    let detached = pid(701);
    let revoked = pid(702);
    model.insert(Proc::new(with).with_terminal(TTY));
    model.insert(Proc {
        pgrp_detached: true,
        ..Proc::new(detached).with_terminal(TTY)
    });
    model.insert(Proc {
        controlling_terminal: true,
        ..Proc::new(revoked)
    });
    let other = PidQuery::tty(Dev::from_raw(0x1000_0009));
    let nodev = PidQuery::tty(Dev::from_raw(u64::from(xnu::NODEV)));
    // xnu-8019 and later: no group matches any device, and NODEV matches
    // a session whose terminal is gone.
    assert_eq!(listed(&mut model, &PidQuery::tty(TTY)), [detached, with]);
    assert_eq!(listed(&mut model, &other), [detached]);
    assert_eq!(listed(&mut model, &nodev), [revoked, detached]);
    // Before: a group and a session terminal with that t_dev, or nothing.
    model.set_tty_match(TtyMatch::TerminalDevice);
    assert_eq!(listed(&mut model, &PidQuery::tty(TTY)), [with]);
    assert_eq!(listed(&mut model, &other), []);
    assert_eq!(listed(&mut model, &nodev), []);
}
