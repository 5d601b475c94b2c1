//! The FreeBSD model as strict as `exit1`, and the backend rules that rest
//! on it: every child (zombies included) goes to its reaper with `ki_ppid`
//! rewritten; an exiting debugger lets its tracees go; `killjobc` lets the
//! session's terminal go (`KI_CTTY`), which the `tty` filter honours; a
//! stale `ki_ppid` of a pre-13.0 kernel never makes an older process the
//! child of a newer one.
//!
//! The answers the backend gave before each rule are reproduced where the
//! kernel itself still gives them (the raw `KERN_PROC_TTY` node), and
//! compared.
#![cfg(feature = "model")]

use pidquery::model::freebsd::{consts, Model, Proc, State};
use pidquery::parse::{kinfo_procs, KinfoLayout};
use pidquery::{Dev, Pid, PidBuf, PidQuery};

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

fn fill(model: &mut Model, q: PidQuery) -> Vec<Pid> {
    model.fill(&q, &mut PidBuf::new()).unwrap().to_vec()
}

/// The records of a raw `kern.proc` call with a buffer of `records`.
fn raw(model: &mut Model, mib: &[i32], records: usize) -> Vec<pidquery::parse::KinfoProc> {
    let mut buf = vec![0u8; records * consts::KINFO_PROC_SIZE];
    let (rc, errno, len) = model.sysctl(mib, Some(&mut buf));
    assert_eq!((rc, errno.raw()), (0, 0));
    kinfo_procs(&buf[..len], &KinfoLayout::LP64)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn init() -> Pid {
    pid(1)
}

// ---- exit1: children, zombies, reapers, p_oppid ----------------------------

#[test]
fn a_dead_parent_has_no_children_not_even_zombies() {
    // kern_exit.c, exit1: every child on p_children, zombie or not, goes
    // to proc_reparent(q, q->p_reaper, true), which rewrites p_oppid.
    let mut model = Model::new();
    let p = model.spawn(init()).unwrap();
    let live = model.spawn(p).unwrap();
    let zombie = model.spawn(p).unwrap();
    model.exit(zombie);
    assert_eq!(fill(&mut model, PidQuery::ppid(p)), [live, zombie]);
    model.exit(p);
    assert_eq!(fill(&mut model, PidQuery::ppid(p)), []);
    let of_init = fill(&mut model, PidQuery::ppid(init()));
    assert!(of_init.contains(&live) && of_init.contains(&zombie));
    // ki_ppid says so too (p_oppid was rewritten).
    let recs = raw(
        &mut model,
        &[1, 14, consts::KERN_PROC_PID, zombie.as_raw()],
        1,
    );
    assert_eq!((recs[0].ppid, recs[0].stat), (1, consts::SZOMB));
}

#[test]
fn orphans_go_to_their_reaper_not_to_init() {
    // do_fork: a child's p_reaper is its parent when the parent acquired
    // the reaper role (procctl PROC_REAP_ACQUIRE), else the parent's.
    let mut model = Model::new();
    let supervisor = model.spawn(init()).unwrap();
    model.update(supervisor, |p| p.reaps = true);
    let daemon = model.spawn(supervisor).unwrap();
    let worker = model.spawn(daemon).unwrap();
    let zombie = model.spawn(daemon).unwrap();
    model.exit(zombie);
    model.exit(daemon);
    assert_eq!(fill(&mut model, PidQuery::ppid(supervisor)), {
        let mut v = vec![daemon, worker, zombie];
        v.sort();
        v
    });
    assert!(!fill(&mut model, PidQuery::ppid(init())).contains(&worker));
    // The supervisor exits: its children stay with its zombie (exit1
    // reparents them to their reaper, itself), then go to its reaper when
    // it is reaped (reaper_abandon_children).
    model.exit(supervisor);
    assert!(fill(&mut model, PidQuery::ppid(supervisor)).contains(&worker));
    model.reap(supervisor);
    assert!(fill(&mut model, PidQuery::ppid(init())).contains(&worker));
    assert_eq!(model.get(worker).unwrap().reaper, init());
}

#[test]
fn an_exiting_debugger_lets_its_tracees_go_back_to_their_parents() {
    let mut model = Model::new();
    let parent = model.spawn(init()).unwrap();
    let tracee = model.spawn(parent).unwrap();
    let debugger = model.spawn(init()).unwrap();
    // The debugger's own child, traced by it too.
    let own = model.spawn(debugger).unwrap();
    model.update(tracee, |p| p.tracer = Some(debugger));
    model.update(own, |p| p.tracer = Some(debugger));
    let traced = |model: &mut Model, p: Pid| {
        let r = raw(model, &[1, 14, consts::KERN_PROC_PID, p.as_raw()], 1);
        r[0].flag & consts::P_TRACED != 0
    };
    assert!(traced(&mut model, tracee));
    // ki_ppid is the real parent all along.
    assert_eq!(fill(&mut model, PidQuery::ppid(parent)), [tracee]);
    model.exit(debugger);
    assert!(!traced(&mut model, tracee) && !traced(&mut model, own));
    assert_eq!(fill(&mut model, PidQuery::ppid(parent)), [tracee]);
    // Its own child goes to the reaper.
    assert!(fill(&mut model, PidQuery::ppid(init())).contains(&own));
    assert_eq!(fill(&mut model, PidQuery::ppid(debugger)), []);
}

#[test]
fn an_orphan_under_a_debugger_gets_its_reaper_as_parent_from_13_0() {
    // exit1, "Also get rid of our orphans": q->p_oppid = q->p_reaper->p_pid.
    let mut model = Model::new();
    let parent = model.spawn(init()).unwrap();
    let child = model.spawn(parent).unwrap();
    let debugger = model.spawn(init()).unwrap();
    model.update(child, |p| p.tracer = Some(debugger));
    model.exit(parent);
    assert_eq!(model.get(child).unwrap().ppid, init());
    assert_eq!(fill(&mut model, PidQuery::ppid(parent)), []);
    // Before 13.0 only clear_orphan ran: the dead parent stays.
    let mut old = Model::new();
    old.pre13_exit(true);
    let parent = old.spawn(init()).unwrap();
    let child = old.spawn(parent).unwrap();
    let debugger = old.spawn(init()).unwrap();
    old.update(child, |p| p.tracer = Some(debugger));
    old.exit(parent);
    assert_eq!(old.get(child).unwrap().ppid, parent);
}

// ---- the stale ki_ppid of older kernels ------------------------------------

/// A pre-13.0 model where the orphan `child` (traced by `debugger`) kept
/// its dead parent's pid, which a newer process `reuser` now has, with a
/// child of its own.
fn stale() -> (Model, Pid, Pid, Pid, Pid) {
    let mut model = Model::new();
    model.pre13_exit(true);
    let parent = model.spawn(init()).unwrap();
    let child = model.spawn(parent).unwrap();
    let debugger = model.spawn(init()).unwrap();
    model.update(child, |p| p.tracer = Some(debugger));
    model.exit(parent);
    model.reap(parent);
    // The pid comes back: a newer process, started later.
    let start = model.procs().map(|p| p.start).max().unwrap() + 1_000;
    assert!(model.insert(Proc {
        ppid: init(),
        start,
        ..Proc::new(parent)
    }));
    let reuser = parent;
    let own = model.spawn(reuser).unwrap();
    (model, reuser, child, own, debugger)
}

#[test]
fn a_stale_parent_pid_never_lists_an_older_process_under_a_newer_one() {
    let (mut model, reuser, child, own, _) = stale();
    // The kernel still says the stale child's parent is the reused pid.
    let all = raw(&mut model, &[1, 14, consts::KERN_PROC_PROC], 64);
    let stale_rec = all.iter().find(|k| k.pid == child.as_raw()).unwrap();
    assert_eq!(stale_rec.ppid, reuser.as_raw());
    // The naive reading (every ki_ppid match) lists it; the answer does
    // not, as a child never starts before its parent.
    let naive: Vec<i32> = all
        .iter()
        .filter(|k| k.ppid == reuser.as_raw())
        .map(|k| k.pid)
        .collect();
    assert!(naive.contains(&child.as_raw()));
    assert_eq!(fill(&mut model, PidQuery::ppid(reuser)), [own]);
    assert_eq!(fill(&mut model, PidQuery::descendants(reuser)), [own]);
}

#[test]
fn a_parent_outside_the_answer_is_not_second_guessed() {
    // The parent hidden from the caller (or gone mid-walk): its children
    // are listed on ki_ppid alone.
    let mut model = Model::new();
    let sshd = model.spawn(init()).unwrap();
    let shell = model.spawn(sshd).unwrap();
    model.update(shell, |p| (p.uid, p.ruid) = (1001, 1001));
    model.see_others(false, true, true);
    model.set_caller(shell);
    assert_eq!(fill(&mut model, PidQuery::ppid(sshd)), [shell]);
}

// ---- killjobc and the terminal ---------------------------------------------

/// A login session on a terminal: the shell (session leader, foreground),
/// a background job and a `nohup`ed one in their own groups.
fn login(dev: u64) -> (Model, Pid, Pid, Pid) {
    let mut model = Model::new();
    let sh = model.spawn(init()).unwrap();
    model.setsid(sh);
    model.acquire_terminal(sh, Some(dev));
    let bg = model.spawn(sh).unwrap();
    model.setpgid(bg, bg);
    let nohup = model.spawn(sh).unwrap();
    model.setpgid(nohup, nohup);
    (model, sh, bg, nohup)
}

#[test]
fn after_logout_the_members_left_behind_have_no_terminal() {
    for dev in [0x5d_u64, 0x9000_0001] {
        let (mut model, sh, bg, nohup) = login(dev);
        let tty = PidQuery::tty(Dev::from_raw(dev));
        assert_eq!(fill(&mut model, tty), [sh, bg, nohup]);
        model.exit(sh);
        // killjobc cleared s_ttyvp; s_ttyp stays, and with it the kernel's
        // match: the raw KERN_PROC_TTY node (what a kernel-filter-only
        // backend answered) still lists all three.
        if dev <= i32::MAX as u64 {
            let node = raw(&mut model, &[1, 14, consts::KERN_PROC_TTY, dev as i32], 16);
            assert_eq!(node.len(), 3);
            assert!(node.iter().all(|k| k.kiflag & consts::KI_CTTY == 0));
            assert!(node.iter().all(|k| k.tdev == dev));
        }
        // As on Linux: no process has that terminal any more.
        assert_eq!(fill(&mut model, tty), []);
        let info = model.info(bg).unwrap();
        assert_eq!(info.tty, None);
        assert!(!info.flags.contains(pidquery::ProcFlags::HAS_TTY));
        assert_eq!(model.get(sh).unwrap().state, State::Zombie);
    }
}

#[test]
fn a_revoked_terminal_is_let_go_too() {
    let (mut model, sh, _, _) = login(0x5e);
    let mut tty = model.terminal(sh).unwrap();
    tty.held = false;
    model.set_terminal(sh, Some(tty));
    assert_eq!(fill(&mut model, PidQuery::tty(Dev::from_raw(0x5e))), []);
}

/// The rule's adversary: logins and logouts at random; every `tty` answer
/// is compared with the Linux meaning (members of a session that still
/// holds the terminal). The kernel node's own answer — what the backend
/// returned before it read `KI_CTTY` — is measured against it too.
#[test]
fn random_logouts_never_leave_a_terminal_behind() {
    let mut rng = 0x1234_5678_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut wrong_before, mut wrong_after, mut asked) = (0u32, 0u32, 0u32);
    for _ in 0..200 {
        let mut model = Model::new();
        let mut leaders = Vec::new();
        for s in 0..4u64 {
            let sh = model.spawn(init()).unwrap();
            model.setsid(sh);
            model.acquire_terminal(sh, Some(0x50 + s));
            for _ in 0..(next() % 4) {
                let c = model.spawn(sh).unwrap();
                if next() % 2 == 0 {
                    model.setpgid(c, c);
                }
            }
            leaders.push((sh, 0x50 + s));
        }
        for &(sh, _) in &leaders {
            if next() % 2 == 0 {
                model.exit(sh);
            }
        }
        for &(sh, dev) in &leaders {
            let q = PidQuery::tty(Dev::from_raw(dev));
            let held = model.terminal(sh).unwrap().held;
            let expected: Vec<Pid> = if held {
                let mut v: Vec<Pid> = model
                    .procs()
                    .filter(|p| p.sid == sh && p.controlling_terminal)
                    .map(|p| p.pid)
                    .collect();
                v.sort();
                v
            } else {
                Vec::new()
            };
            let node: Vec<Pid> = {
                let mut v: Vec<Pid> =
                    raw(&mut model, &[1, 14, consts::KERN_PROC_TTY, dev as i32], 32)
                        .iter()
                        .map(|k| pid(k.pid))
                        .collect();
                v.sort();
                v
            };
            asked += 1;
            wrong_before += u32::from(node != expected);
            wrong_after += u32::from(fill(&mut model, q) != expected);
        }
    }
    println!("tty answers wrong: node alone {wrong_before}/{asked}, backend {wrong_after}/{asked}");
    assert!(wrong_before > asked / 4, "the adversary lost its teeth");
    assert_eq!(wrong_after, 0);
}
