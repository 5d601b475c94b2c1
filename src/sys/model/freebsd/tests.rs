//! The model against the kernel facts it reproduces (reference §7, one
//! test per rule), through the raw stand-in: every record is parsed with
//! `parse::kinfo_procs`, every errno and `*oldlenp` checked.

use core::ffi::c_int;

use super::consts::*;
use super::*;
use crate::parse::{kinfo_procs, KinfoLayout, KinfoProc};
use crate::{Errno, Pid};

pub(super) const SIZE: usize = KINFO_PROC_SIZE;

pub(super) fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

pub(super) fn proc_mib() -> [c_int; 3] {
    [CTL_KERN, KERN_PROC, KERN_PROC_PROC]
}

/// A whole fetch (probe, then a buffer of the probed size): the records.
pub(super) fn fetch(model: &mut Model, mib: &[c_int]) -> Vec<KinfoProc> {
    let (rc, errno, len) = model.sysctl(mib, None);
    assert_eq!((rc, errno), (0, Errno::from_raw(0)), "probe of {mib:?}");
    let mut buf = vec![0u8; len];
    let (rc, errno, got) = model.sysctl(mib, Some(&mut buf));
    assert_eq!((rc, errno), (0, Errno::from_raw(0)), "fetch of {mib:?}");
    kinfo_procs(&buf[..got], &KinfoLayout::LP64)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn pids_of(records: &[KinfoProc]) -> Vec<i32> {
    let mut pids: Vec<i32> = records.iter().map(|k| k.pid).collect();
    pids.sort_unstable();
    pids
}

/// The one record of `kern.proc.pid.<p>`.
fn one(model: &mut Model, p: Pid) -> KinfoProc {
    let records = fetch(model, &[CTL_KERN, KERN_PROC, KERN_PROC_PID, p.as_raw()]);
    assert_eq!(records.len(), 1);
    records[0]
}

/// A model with a login session: `sh` (session leader on tty 0x5d, in the
/// foreground), a background job `bg` in its own group, both uid 1001.
fn session(model: &mut Model) -> (Pid, Pid) {
    let sh = model.spawn(pid(1)).unwrap();
    assert!(model.setsid(sh));
    model.update(sh, |p| {
        p.uid = 1001;
        p.ruid = 1001;
    });
    assert!(model.acquire_terminal(sh, Some(0x5d)));
    let bg = model.spawn(sh).unwrap();
    assert!(model.setpgid(bg, bg));
    (sh, bg)
}

// ---- §7.1 records and their fields --------------------------------------

#[test]
fn records_are_zero_filled_kinfo_procs_of_1088_bytes() {
    let mut model = Model::new();
    let mut buf = vec![0xa5u8; 2 * SIZE];
    let (rc, _, len) = model.sysctl(&proc_mib(), Some(&mut buf));
    assert_eq!((rc, len), (0, 2 * SIZE));
    for rec in buf.chunks(SIZE) {
        assert_eq!(i32::from_ne_bytes(rec[..4].try_into().unwrap()), 1088);
        // Pointers (ki_args … ki_wchan) are not modeled: bzero'd.
        assert!(rec[8..72].iter().all(|&b| b == 0));
        // The spare tail is zero too.
        assert!(rec[1000..].iter().all(|&b| b == 0));
    }
}

#[test]
fn fields_are_derived_as_fill_kinfo_proc_does() {
    let mut model = Model::new();
    let (sh, bg) = session(&mut model);
    let kernel = one(&mut model, Pid::ZERO);
    // proc0 has no parent: ki_ppid 0; a system process.
    assert_eq!((kernel.ppid, kernel.comm()), (0, &b"kernel"[..]));
    assert_ne!(kernel.flag & P_SYSTEM, 0);
    let init = one(&mut model, pid(1));
    assert_eq!((init.ppid, init.pgid, init.sid), (0, 1, 1));

    // Controlling terminal: ki_tdev, the 32-bit copy, ki_tpgid (the
    // foreground group), ki_tsid.
    let k = one(&mut model, sh);
    assert_eq!(
        (k.tdev, k.tpgid, k.tsid, k.sid),
        (0x5d, sh.as_raw(), sh.as_raw(), sh.as_raw())
    );
    assert_ne!(k.flag & P_CONTROLT, 0);
    let k = one(&mut model, bg);
    assert_eq!((k.tdev, k.pgid, k.tpgid), (0x5d, bg.as_raw(), sh.as_raw()));

    // The raw bytes: ki_tdev_freebsd11 at 100 is the truncated copy.
    let mib = [CTL_KERN, KERN_PROC, KERN_PROC_PID, sh.as_raw()];
    let mut buf = vec![0u8; SIZE];
    model.sysctl(&mib, Some(&mut buf));
    assert_eq!(u32::from_ne_bytes(buf[100..104].try_into().unwrap()), 0x5d);
    let mib = [CTL_KERN, KERN_PROC, KERN_PROC_PID, 1];
    model.sysctl(&mib, Some(&mut buf));
    assert_eq!(
        u32::from_ne_bytes(buf[100..104].try_into().unwrap()),
        u32::MAX
    );

    // No controlling terminal: NODEV, tpgid 0, tsid 0 — even in a session
    // that has a tty, without P_CONTROLT.
    let k = one(&mut model, pid(1));
    assert_eq!((k.tdev, k.tpgid, k.tsid), (NODEV, 0, 0));
    model.update(bg, |p| p.controlling_terminal = false);
    assert_eq!(one(&mut model, bg).tdev, NODEV);

    // A terminal without a foreground group: NO_PID; without a cdev: NODEV.
    model.set_terminal(
        sh,
        Some(Tty {
            dev: None,
            foreground: None,
            session: Some(sh),
            held: true,
        }),
    );
    let k = one(&mut model, sh);
    assert_eq!((k.tdev, k.tpgid), (NODEV, NO_PID));

    // ki_ppid is the real parent while traced; the tracer shows in ki_flag.
    let child = model.spawn(sh).unwrap();
    model.update(child, |p| p.tracer = Some(bg));
    let k = one(&mut model, child);
    assert_eq!(k.ppid, sh.as_raw());
    assert_ne!(k.flag & P_TRACED, 0);

    // Credentials: effective and real uid apart.
    model.update(child, |p| {
        p.uid = 0;
        p.ruid = 1001;
        p.svuid = 0;
    });
    let k = one(&mut model, child);
    assert_eq!((k.uid, k.ruid, k.svuid), (0, 1001, 0));
    // One thread, whose id is above every pid.
    assert_eq!(k.numthreads, 1);
    assert!(k.tid > PID_MAX);
}

#[test]
fn zombies_are_szomb_with_one_thread_and_p_wexit() {
    let mut model = Model::new();
    let c = model.spawn(pid(1)).unwrap();
    model.update(c, |p| p.threads = 4);
    assert_eq!(one(&mut model, c).stat, SSLEEP);
    model.exit(c);
    let k = one(&mut model, c);
    assert_eq!((k.stat, k.numthreads), (SZOMB, 1));
    assert_ne!(k.flag & P_WEXIT, 0);
    // The caller is running.
    assert_eq!(one(&mut model, pid(1)).stat, SRUN);
}

#[test]
fn jailed_processes_have_p_jailed_and_a_jid_outside_their_jail() {
    let mut model = Model::new();
    let j = model.create_jail(0);
    let c = model.spawn(pid(1)).unwrap();
    model.update(c, |p| p.jail = j);
    let k = one(&mut model, c);
    assert_ne!(k.flag & P_JAILED, 0);
    assert_eq!(k.jid, j as i32);
    // Seen from inside the same jail: P_JAILED, but jid 0.
    let inside = model.spawn(c).unwrap();
    model.set_caller(inside);
    let k = one(&mut model, c);
    assert_ne!(k.flag & P_JAILED, 0);
    assert_eq!(k.jid, 0);
}

// ---- §7.2 the walk set ----------------------------------------------------

#[test]
fn the_walk_lists_live_exiting_and_zombies_but_never_new() {
    let mut model = Model::new();
    let live = model.spawn(pid(1)).unwrap();
    let exiting = model.spawn(pid(1)).unwrap();
    model.begin_exit(exiting);
    let zombie = model.spawn(pid(1)).unwrap();
    model.exit(zombie);
    // Forked by the schedule right before the fetch (after the probe):
    // still New during it.
    model.script(Call::QUIET);
    model.script(Call {
        before: Churn::fork(1),
        ..Call::QUIET
    });
    let records = fetch(&mut model, &proc_mib());
    let pids = pids_of(&records);
    assert_eq!(
        pids,
        [0, 1, live.as_raw(), exiting.as_raw(), zombie.as_raw()]
    );
    // The New child is in the table, not in the walk.
    assert_eq!(model.nprocs(), 5);
    assert_eq!(model.slots.iter().flatten().count(), 6);
    // At the next point it is Normal, and listed.
    assert_eq!(pids_of(&fetch(&mut model, &proc_mib())).len(), 6);
}

// ---- §7.3 visibility -----------------------------------------------------

#[test]
fn hidden_processes_are_skipped_silently() {
    let mut model = Model::new();
    let j = model.create_jail(0);
    let nested = model.create_jail(j);
    let other = model.create_jail(0);
    let mk = |model: &mut Model, ruid: u32, rgid: u32, jail: u32| {
        let p = model.spawn(pid(1)).unwrap();
        model.update(p, |q| {
            q.uid = ruid;
            q.ruid = ruid;
            q.rgid = rgid;
            q.gid = rgid;
            q.jail = jail;
        });
        p
    };
    let me = mk(&mut model, 1001, 100, j);
    let same = mk(&mut model, 1001, 100, j);
    let in_nested = mk(&mut model, 1001, 100, nested);
    let in_other = mk(&mut model, 1001, 100, other);
    let host = mk(&mut model, 1001, 100, 0);
    let other_uid = mk(&mut model, 2002, 100, j);
    let other_gid = mk(&mut model, 1001, 200, j);
    model.set_caller(me);
    let seen = |model: &mut Model| pids_of(&fetch(model, &proc_mib()));
    let raw = |ps: &[Pid]| {
        let mut v: Vec<i32> = ps.iter().map(|p| p.as_raw()).collect();
        v.sort_unstable();
        v
    };
    // prison_check: the caller's jail and those nested in it.
    assert_eq!(
        seen(&mut model),
        raw(&[me, same, in_nested, other_uid, other_gid])
    );
    // see_other_uids = 0 compares real uids.
    model.see_others(false, true, true);
    assert_eq!(seen(&mut model), raw(&[me, same, in_nested, other_gid]));
    // see_other_gids = 0: a common real group is needed.
    model.see_others(true, false, true);
    assert_eq!(seen(&mut model), raw(&[me, same, in_nested, other_uid]));
    // A supplementary group in common is enough.
    model.update(other_gid, |p| p.groups = vec![100]);
    assert_eq!(
        seen(&mut model),
        raw(&[me, same, in_nested, other_uid, other_gid])
    );
    // see_jail_proc = 0: only the caller's own jail.
    model.see_others(true, true, false);
    assert_eq!(seen(&mut model), raw(&[me, same, other_uid, other_gid]));
    // Root is exempt from the see_* knobs, never from prison_check.
    model.update(me, |p| p.uid = 0);
    model.see_others(false, false, false);
    assert_eq!(
        seen(&mut model),
        raw(&[me, same, in_nested, other_uid, other_gid])
    );
    // From the host, everything; the hidden are never an error.
    model.set_caller(pid(1));
    assert_eq!(seen(&mut model).len(), 9);
    let _ = (in_other, host);
}

// ---- §7.4 filters ----------------------------------------------------------

#[test]
fn each_filter_compares_what_the_kernel_compares() {
    let mut model = Model::new();
    let (sh, bg) = session(&mut model);
    let setuid = model.spawn(sh).unwrap();
    model.update(setuid, |p| {
        p.uid = 0;
        p.ruid = 1001;
        p.gid = 5;
        p.rgid = 6;
    });
    let daemon = model.spawn(pid(1)).unwrap();
    let q = |model: &mut Model, op: c_int, arg: c_int| {
        pids_of(&fetch(model, &[CTL_KERN, KERN_PROC, op, arg]))
    };
    let (sh_, bg_, su_, d_) = (sh.as_raw(), bg.as_raw(), setuid.as_raw(), daemon.as_raw());
    assert_eq!(q(&mut model, KERN_PROC_PGRP, sh_), [sh_, su_]);
    assert_eq!(q(&mut model, KERN_PROC_PGRP, bg_), [bg_]);
    assert_eq!(q(&mut model, KERN_PROC_SESSION, sh_), [sh_, bg_, su_]);
    assert_eq!(q(&mut model, KERN_PROC_UID, 1001), [sh_, bg_]);
    assert_eq!(q(&mut model, KERN_PROC_UID, 0), [0, 1, su_, d_]);
    assert_eq!(q(&mut model, KERN_PROC_RUID, 1001), [sh_, bg_, su_]);
    assert_eq!(q(&mut model, KERN_PROC_GID, 5), [su_]);
    assert_eq!(q(&mut model, KERN_PROC_RGID, 6), [su_]);
    assert_eq!(q(&mut model, KERN_PROC_TTY, 0x5d), [sh_, bg_, su_]);
    // No process without a controlling terminal matches, whatever the dev.
    assert_eq!(q(&mut model, KERN_PROC_TTY, -1), Vec::<i32>::new());
    // P_CONTROLT is needed, not just a session tty.
    model.update(bg, |p| p.controlling_terminal = false);
    assert_eq!(q(&mut model, KERN_PROC_TTY, 0x5d), [sh_, su_]);
    // The int argument is sign-extended to dev_t: -1 is NODEV, which a
    // P_CONTROLT process whose tty has no cdev reports.
    model.set_terminal(
        sh,
        Some(Tty {
            dev: None,
            foreground: None,
            session: Some(sh),
            held: true,
        }),
    );
    assert_eq!(q(&mut model, KERN_PROC_TTY, -1), [sh_, su_]);
    // A uid above i32::MAX is passed as a negative int and round-trips.
    model.update(daemon, |p| p.uid = u32::MAX - 1);
    assert_eq!(q(&mut model, KERN_PROC_UID, -2), [d_]);
}

// ---- §7.5 multiplicity ----------------------------------------------------

#[test]
fn all_and_inc_thread_give_one_record_per_thread() {
    let mut model = Model::new();
    let c = model.spawn(pid(1)).unwrap();
    model.update(c, |p| p.threads = 3);
    let z = model.spawn(pid(1)).unwrap();
    model.update(z, |p| p.threads = 5);
    model.exit(z);
    let all = fetch(&mut model, &[CTL_KERN, KERN_PROC, KERN_PROC_ALL]);
    // kernel 8, init 1, c 3, the zombie 1.
    assert_eq!(all.len(), 13);
    let mut tids: Vec<i32> = all
        .iter()
        .filter(|k| k.pid == c.as_raw())
        .map(|k| k.tid)
        .collect();
    tids.sort_unstable();
    tids.dedup();
    assert_eq!(tids.len(), 3);
    assert!(all
        .iter()
        .filter(|k| k.pid == c.as_raw())
        .all(|k| k.numthreads == 3));
    assert_eq!(fetch(&mut model, &proc_mib()).len(), 4);
    let proc_td = [CTL_KERN, KERN_PROC, KERN_PROC_PROC | KERN_PROC_INC_THREAD];
    assert_eq!(fetch(&mut model, &proc_td).len(), 13);
    let pgrp_td = [
        CTL_KERN,
        KERN_PROC,
        KERN_PROC_PGRP | KERN_PROC_INC_THREAD,
        1,
    ];
    assert_eq!(fetch(&mut model, &pgrp_td).len(), 1 + 3 + 1);
    let pid_td = [
        CTL_KERN,
        KERN_PROC,
        KERN_PROC_PID | KERN_PROC_INC_THREAD,
        c.as_raw(),
    ];
    assert_eq!(fetch(&mut model, &pid_td).len(), 3);
}

// ---- §7.6 names and errnos -------------------------------------------------

#[test]
fn mib_length_and_node_rules() {
    let mut model = Model::new();
    let (k, p) = (CTL_KERN, KERN_PROC);
    let einval = Errno::EINVAL;
    let cases: &[(&[c_int], Option<Errno>)] = &[
        (&[k], Some(einval)),
        (&[k, p], Some(Errno::from_raw(libc::EISDIR))),
        (&[k, p, KERN_PROC_ALL], None),
        // kern.proc.all is a leaf: the macOS idiom {1,14,0,0} is ENOTDIR.
        (
            &[k, p, KERN_PROC_ALL, 0],
            Some(Errno::from_raw(libc::ENOTDIR)),
        ),
        (&[k, p, KERN_PROC_PROC], None),
        (&[k, p, KERN_PROC_PROC, 12345], None),
        (&[k, p, KERN_PROC_PROC, 0, 0], Some(einval)),
        (&[k, p, KERN_PROC_PGRP], Some(einval)),
        (&[k, p, KERN_PROC_PGRP, 1], None),
        (&[k, p, KERN_PROC_PGRP, 1, 1], Some(einval)),
        (&[k, p, KERN_PROC_PID], Some(einval)),
        (&[k, p, KERN_PROC_UID, 0, 0], Some(einval)),
        (
            &[k, p, KERN_PROC_ALL | KERN_PROC_INC_THREAD],
            Some(Errno::ENOENT),
        ),
        (&[k, p, 99], Some(Errno::ENOENT)),
        (&[k, p, 7, 1], Some(Errno::ENOENT)), // args: not modeled
        (&[2, p, KERN_PROC_PROC], Some(Errno::ENOENT)),
        (&[k, 15, KERN_PROC_PROC], Some(Errno::ENOENT)),
        (
            &[
                k,
                p,
                KERN_PROC_PROC,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            ],
            Some(einval),
        ),
    ];
    for &(mib, want) in cases {
        let (rc, errno, _) = model.sysctl(mib, None);
        match want {
            None => assert_eq!((rc, errno.raw()), (0, 0), "{mib:?}"),
            Some(e) => assert_eq!((rc, errno), (-1, e), "{mib:?}"),
        }
    }
}

#[test]
fn capability_mode_refuses_reads_with_a_buffer_but_not_the_probe() {
    let mut model = Model::new();
    model.capability_mode(true);
    assert_eq!(
        model.sysctl(&proc_mib(), None),
        (0, Errno::from_raw(0), 7 * SIZE)
    );
    let mut buf = vec![0u8; 8 * SIZE];
    let (rc, errno, len) = model.sysctl(&proc_mib(), Some(&mut buf));
    assert_eq!((rc, errno), (-1, Errno::EPERM));
    // *oldlenp untouched, nothing copied.
    assert_eq!(len, 8 * SIZE);
    assert!(buf.iter().all(|&b| b == 0));
}

// ---- §7.7 the probe -------------------------------------------------------

#[test]
fn the_probe_is_matches_plus_five_and_a_walk_of_its_own() {
    let mut model = Model::new();
    for _ in 0..10 {
        model.spawn(pid(1));
    }
    let probe = |model: &mut Model, mib: &[c_int]| model.sysctl(mib, None).2 / SIZE;
    assert_eq!(probe(&mut model, &proc_mib()), 12 + 5);
    // Nothing matches: still 5.
    assert_eq!(
        probe(&mut model, &[CTL_KERN, KERN_PROC, KERN_PROC_UID, 4242]),
        5
    );
    // Threads count for ALL.
    assert_eq!(
        probe(&mut model, &[CTL_KERN, KERN_PROC, KERN_PROC_ALL]),
        8 + 11 + 5
    );
    // The pid node: its records, no slack (one per thread with
    // KERN_PROC_INC_THREAD).
    assert_eq!(
        probe(&mut model, &[CTL_KERN, KERN_PROC, KERN_PROC_PID, 0]),
        1
    );
    assert_eq!(
        probe(
            &mut model,
            &[CTL_KERN, KERN_PROC, KERN_PROC_PID | KERN_PROC_INC_THREAD, 0]
        ),
        8
    );

    // A separate walk: more than 5 births between the probe and the fetch
    // overflow a buffer of the probed size.
    let (_, _, len) = model.sysctl(&proc_mib(), None);
    model.apply(Churn::fork(6));
    model.apply(Churn::NONE);
    let mut buf = vec![0u8; len];
    let (rc, errno, got) = model.sysctl(&proc_mib(), Some(&mut buf));
    assert_eq!((rc, errno, got), (-1, Errno::ENOMEM, len));
}

// ---- §7.8 the fetch --------------------------------------------------------

#[test]
fn a_short_buffer_gets_a_byte_exact_partial_copy_and_enomem() {
    let mut model = Model::new();
    for _ in 0..3 {
        model.spawn(pid(1));
    }
    let mut whole = vec![0u8; 5 * SIZE];
    assert_eq!(model.sysctl(&proc_mib(), Some(&mut whole)).0, 0);
    for len in [1, SIZE - 1, SIZE, SIZE + 1, 2 * SIZE + 500, 5 * SIZE - 1] {
        let mut buf = vec![0xeeu8; len + 64];
        let (rc, errno, got) = model.sysctl(&proc_mib(), Some(&mut buf[..len]));
        if len == SIZE * (len / SIZE) && len >= 5 * SIZE {
            continue;
        }
        // ENOMEM, *oldlenp the length passed (not the length needed).
        assert_eq!((rc, errno, got), (-1, Errno::ENOMEM, len), "len {len}");
        // Exactly the first `len` bytes of the answer, nothing beyond.
        assert_eq!(&buf[..len], &whole[..len], "len {len}");
        assert!(buf[len..].iter().all(|&b| b == 0xee), "len {len}");
    }
    // An exact fit succeeds, *oldlenp the bytes written.
    let mut exact = vec![0u8; 5 * SIZE];
    assert_eq!(
        model.sysctl(&proc_mib(), Some(&mut exact)),
        (0, Errno::from_raw(0), 5 * SIZE)
    );
    // A zero-length non-NULL buffer: ENOMEM/0 when something matches, 0/0
    // when nothing does.
    assert_eq!(
        model.sysctl(&proc_mib(), Some(&mut [])),
        (-1, Errno::ENOMEM, 0)
    );
    let none = [CTL_KERN, KERN_PROC, KERN_PROC_UID, 4242];
    assert_eq!(
        model.sysctl(&none, Some(&mut [])),
        (0, Errno::from_raw(0), 0)
    );
}

#[test]
fn a_buffer_over_the_wiring_limit_copies_nothing_and_reports_zero() {
    let mut model = Model::new();
    model.max_wired(Some(4 * SIZE));
    let mut buf = vec![0x11u8; 8 * SIZE];
    let (rc, errno, got) = model.sysctl(&proc_mib(), Some(&mut buf));
    assert_eq!((rc, errno, got), (-1, Errno::ENOMEM, 0));
    assert!(buf.iter().all(|&b| b == 0x11));
    // Under the limit: fine.
    let (rc, _, got) = model.sysctl(&proc_mib(), Some(&mut buf[..4 * SIZE]));
    assert_eq!((rc, got), (0, 2 * SIZE));
    // Over it with nothing to copy: success, 0 bytes.
    let none = [CTL_KERN, KERN_PROC, KERN_PROC_UID, 4242];
    assert_eq!(
        model.sysctl(&none, Some(&mut buf)),
        (0, Errno::from_raw(0), 0)
    );
}

// ---- §7.10 the pid node ---------------------------------------------------

#[test]
fn the_pid_node_finds_zombies_threads_and_nothing_hidden() {
    let mut model = Model::new();
    let c = model.spawn(pid(1)).unwrap();
    model.update(c, |p| p.threads = 2);
    let k = one(&mut model, c);
    // A thread id (above PID_MAX) answers its process.
    assert_eq!(one(&mut model, pid(k.tid)).pid, c.as_raw());
    assert_eq!(one(&mut model, pid(k.tid + 1)).pid, c.as_raw());
    model.exit(c);
    assert_eq!(one(&mut model, c).stat, SZOMB);
    let mib = |p: i32| [CTL_KERN, KERN_PROC, KERN_PROC_PID, p];
    assert_eq!(model.sysctl(&mib(4242), None), (-1, Errno::ESRCH, 0));
    assert_eq!(model.sysctl(&mib(-1), None).1, Errno::ESRCH);
    // Hidden is ESRCH too.
    let j = model.create_jail(0);
    let jailed = model.spawn(pid(1)).unwrap();
    model.update(jailed, |p| p.jail = j);
    let caller = model.spawn(pid(1)).unwrap();
    model.update(caller, |p| p.jail = j);
    model.set_caller(caller);
    assert_eq!(model.sysctl(&mib(1), None).1, Errno::ESRCH);
    assert_eq!(one(&mut model, jailed).pid, jailed.as_raw());
    // A buffer one byte short: ENOMEM, a partial copy.
    let mut buf = vec![0u8; SIZE - 1];
    assert_eq!(
        model.sysctl(&mib(jailed.as_raw()), Some(&mut buf)),
        (-1, Errno::ENOMEM, SIZE - 1)
    );
}

#[test]
fn injected_failures_fail_the_call_they_are_scripted_for() {
    let mut model = Model::new();
    model.script(Call::failing(Errno::EINTR));
    assert_eq!(model.sysctl(&proc_mib(), None), (-1, Errno::EINTR, 0));
    assert_eq!(model.sysctl(&proc_mib(), None).0, 0);
}

#[test]
fn pid_allocation_skips_ids_in_use_as_groups_and_sessions() {
    let mut model = Model::new();
    let a = model.spawn(pid(1)).unwrap(); // 2
    model.setsid(a);
    let b = model.spawn(a).unwrap(); // 3, in session/group 2
    model.exit(a);
    model.reap(a);
    // Pid 2 is free as a pid but still b's group and session.
    model.next_pid = 2;
    let c = model.spawn(pid(1)).unwrap();
    assert_eq!((b.as_raw(), c.as_raw()), (3, 4));
}
