//! The model's `proc_pidinfo`, `proc_pidpath` and `proc_name`, one test per
//! kernel rule (`bsd/kern/proc_info.c`, `libproc.c`); the helpers here
//! serve the other per-process suites too (`tests_inspect.rs`,
//! `tests_exit.rs`).

use super::records::{
    BsdInfo, BsdInfoWithUniqId, BsdShortInfo, CoalitionInfo, FdInfo, TaskAllInfo, TaskInfo,
    UniqIdentifierInfo,
};
use super::*;
use crate::{Dev, Errno, ErrorKind, Pid};

pub(super) fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

const OK: Errno = Errno::from_raw(0);
const EOVERFLOW: Errno = Errno::from_raw(libc::EOVERFLOW);
pub(super) const ENOSPC: Errno = Errno::from_raw(libc::ENOSPC);

/// Every flavor the model knows, with its record size and whether it
/// checks the user.
const FLAVORS: [(i32, usize, bool); 13] = [
    (xnu::PROC_PIDLISTFDS, 8, true),
    (xnu::PROC_PIDTASKALLINFO, TaskAllInfo::SIZE, true),
    (xnu::PROC_PIDTBSDINFO, BsdInfo::SIZE, true),
    (xnu::PROC_PIDTASKINFO, TaskInfo::SIZE, true),
    (xnu::PROC_PIDLISTTHREADS, 8, true),
    (xnu::PROC_PIDPATHINFO, 1024, false),
    (xnu::PROC_PIDT_SHORTBSDINFO, BsdShortInfo::SIZE, false),
    (
        xnu::PROC_PIDUNIQIDENTIFIERINFO,
        UniqIdentifierInfo::SIZE,
        false,
    ),
    (
        xnu::PROC_PIDT_BSDINFOWITHUNIQID,
        BsdInfoWithUniqId::SIZE,
        true,
    ),
    (xnu::PROC_PIDCOALITIONINFO, CoalitionInfo::SIZE, false),
    (xnu::PROC_PIDLISTTHREADIDS, 8, true),
    (xnu::PROC_PIDPLATFORMINFO, 4, false),
    // Not a flavor: stands for "unknown".
    (999, 8, true),
];

/// A model with a process of uid (effective) `euid`, real uid `ruid`, with
/// an executable, three descriptors and two threads. The caller is `caller`.
pub(super) fn with_process(euid: u32, ruid: u32, caller: u32) -> (Model, Pid) {
    let mut model = Model::new();
    let p = pid(500);
    model.insert(
        Proc {
            uid: euid,
            ruid,
            svuid: euid,
            exe: Exe::At(b"/usr/bin/thing".to_vec()),
            ..Proc::new(p)
        }
        .with_name(b"thing"),
    );
    for kind in [
        xnu::PROX_FDTYPE_VNODE,
        xnu::PROX_FDTYPE_SOCKET,
        xnu::PROX_FDTYPE_PIPE,
    ] {
        model.open_fd(p, kind);
    }
    model.spawn_thread(p);
    model.set_caller_uid(caller);
    (model, p)
}

/// One `proc_pidinfo` with a buffer of `size` bytes: (return, errno, bytes).
pub(super) fn ask(
    model: &mut Model,
    p: Pid,
    flavor: i32,
    arg: u64,
    size: usize,
) -> (i32, Errno, Vec<u8>) {
    let mut buf = vec![0u8; size];
    let (ret, errno) = model.proc_pidinfo(p.as_raw(), flavor, arg, Some(&mut buf));
    (ret, errno, buf)
}

pub(super) fn bsd(bytes: &[u8]) -> BsdInfo {
    BsdInfo::decode(bytes[..BsdInfo::SIZE].try_into().unwrap())
}

pub(super) fn short(bytes: &[u8]) -> BsdShortInfo {
    BsdShortInfo::decode(bytes[..BsdShortInfo::SIZE].try_into().unwrap())
}

// ---- the rules of proc_pidinfo --------------------------------------------

#[test]
fn the_same_user_check_compares_effective_uids_and_root_passes() {
    // Same effective uid, different real uid: allowed.
    let (mut model, p) = with_process(501, 0, 501);
    assert_eq!(ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 0, 136).1, OK);
    // Same real uid, different effective uid (a setuid program): refused.
    let (mut model, p) = with_process(0, 501, 501);
    assert_eq!(
        ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 0, 136).1,
        Errno::EPERM
    );
    // Root holds PRIV_GLOBAL_PROC_INFO.
    model.set_caller_uid(0);
    assert_eq!(ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 0, 136).1, OK);
    // pid 0 is root's: EPERM for anyone else.
    model.set_caller_uid(501);
    assert_eq!(
        ask(&mut model, Pid::ZERO, xnu::PROC_PIDTBSDINFO, 0, 136).1,
        Errno::EPERM
    );
}

#[test]
fn exactly_five_flavors_are_exempt_from_the_same_user_check() {
    assert_eq!(
        xnu::NO_CHECK_SAME_USER,
        [
            xnu::PROC_PIDT_SHORTBSDINFO,
            xnu::PROC_PIDUNIQIDENTIFIERINFO,
            xnu::PROC_PIDPATHINFO,
            xnu::PROC_PIDCOALITIONINFO,
            xnu::PROC_PIDPLATFORMINFO,
        ]
    );
    let (mut model, p) = with_process(0, 0, 501);
    for (flavor, size, checked) in FLAVORS.iter().copied().filter(|f| f.0 != 999) {
        let (ret, errno, _) = ask(&mut model, p, flavor, 0, size.max(8));
        if checked {
            assert_eq!((ret, errno), (0, Errno::EPERM), "flavor {flavor}");
        } else {
            assert_eq!(errno, OK, "flavor {flavor}");
        }
    }
}

#[test]
fn other_users_processes_fall_back_to_the_short_record() {
    let (mut model, p) = with_process(0, 0, 501);
    let raw = model.raw_info(p).unwrap();
    let records::Bsd::Short(s) = raw.bsd else {
        panic!("expected the short record, got {raw:?}");
    };
    assert_eq!((s.pbsi_pid, s.pbsi_uid), (500, 0));
    assert_eq!(&s.pbsi_comm[..6], b"thing\0");
    assert!(raw.task.is_none());
    // TASKALLINFO (EPERM), then SHORTBSDINFO.
    let calls = model.info_calls();
    model.info(p).unwrap();
    assert_eq!(model.info_calls() - calls, 2);
}

#[test]
fn zombies_are_found_only_by_the_bsd_and_identifier_flavors_with_a_nonzero_arg() {
    let (mut model, p) = with_process(0, 0, 0);
    model.exit(p);
    let finds = [
        xnu::PROC_PIDTBSDINFO,
        xnu::PROC_PIDT_SHORTBSDINFO,
        xnu::PROC_PIDUNIQIDENTIFIERINFO,
        xnu::PROC_PIDT_BSDINFOWITHUNIQID,
    ];
    for (flavor, size, _) in FLAVORS.iter().copied().filter(|f| f.0 != 999) {
        for arg in [0u64, 1, u64::MAX] {
            let (ret, errno, _) = ask(&mut model, p, flavor, arg, size.max(8));
            let found = (finds.contains(&flavor) && arg != 0)
                // PROC_PIDPLATFORMINFO sets findzomb whatever `arg` is.
                || flavor == xnu::PROC_PIDPLATFORMINFO;
            if found {
                assert_eq!((ret as usize, errno), (size, OK), "{flavor} arg {arg}");
            } else {
                assert_eq!((ret, errno), (0, Errno::ESRCH), "{flavor} arg {arg}");
            }
        }
    }
    // Reaped: gone for every flavor.
    model.reap(p);
    for flavor in finds {
        assert_eq!(ask(&mut model, p, flavor, 1, 256).1, Errno::ESRCH);
    }
}

#[test]
fn a_zombie_record_has_no_files_no_task_policy_flags_and_says_szomb() {
    let (mut model, p) = with_process(0, 0, 0);
    model.get_mut(p).unwrap().policy_flags = xnu::PROC_FLAG_DARWINBG;
    model.get_mut(p).unwrap().xstat = 0x0100;
    let live = bsd(&ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 1, 136).2);
    assert_eq!(live.pbi_status, xnu::SRUN);
    assert_eq!(live.pbi_nfiles, 50);
    assert_ne!(live.pbi_flags & xnu::PROC_FLAG_DARWINBG, 0);
    assert_eq!(live.pbi_flags & xnu::PROC_FLAG_INEXIT, 0);
    model.exit(p);
    let dead = bsd(&ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 1, 136).2);
    assert_eq!(dead.pbi_status, xnu::SZOMB);
    assert_eq!(dead.pbi_nfiles, 0);
    assert_eq!(dead.pbi_flags & xnu::PROC_FLAG_DARWINBG, 0);
    assert_ne!(dead.pbi_flags & xnu::PROC_FLAG_INEXIT, 0);
    assert_eq!(dead.pbi_xstatus, 0x0100);
    let s = short(&ask(&mut model, p, xnu::PROC_PIDT_SHORTBSDINFO, 1, 64).2);
    assert_eq!(s.pbsi_status, xnu::SZOMB);
    assert_eq!(s.pbsi_flags & xnu::PROC_FLAG_DARWINBG, 0);
}

#[test]
fn the_flavor_and_size_are_checked_before_the_pid_and_the_policy_after_it() {
    let mut model = Model::new();
    let gone = pid(31_000);
    // Unknown flavor: EINVAL, even for a pid that does not exist.
    assert_eq!(ask(&mut model, gone, 999, 0, 4096).1, Errno::EINVAL);
    // One byte short of the record: ENOMEM before the lookup.
    for (flavor, size, _) in FLAVORS.iter().copied().filter(|f| f.0 != 999) {
        let (ret, errno, buf) = ask(&mut model, gone, flavor, 1, size - 1);
        assert_eq!((ret, errno), (0, Errno::ENOMEM), "{flavor}");
        assert!(buf.iter().all(|&b| b == 0), "nothing copied");
        assert_eq!(ask(&mut model, gone, flavor, 1, size).1, Errno::ESRCH);
    }
    // A path buffer over 4096: EOVERFLOW, also before the lookup.
    assert_eq!(
        ask(&mut model, gone, xnu::PROC_PIDPATHINFO, 0, 4097).1,
        EOVERFLOW
    );
    // The MAC check comes after the lookup: a gone pid is still ESRCH.
    model.deny(Some(Errno::EPERM));
    assert_eq!(
        ask(&mut model, gone, xnu::PROC_PIDT_SHORTBSDINFO, 1, 64).1,
        Errno::ESRCH
    );
    assert_eq!(
        ask(&mut model, Pid::ZERO, xnu::PROC_PIDT_SHORTBSDINFO, 1, 64).1,
        Errno::EPERM
    );
    // A larger buffer is fine; exactly the record is copied.
    model.deny(None);
    let (ret, _, buf) = ask(&mut model, Pid::ZERO, xnu::PROC_PIDT_SHORTBSDINFO, 1, 200);
    assert_eq!(ret, 64);
    assert!(buf[64..].iter().all(|&b| b == 0));
}

#[test]
fn a_mac_policy_refuses_even_exempt_flavors_and_the_backend_says_permission_denied() {
    let (mut model, p) = with_process(0, 0, 501);
    model.deny_flavor(xnu::PROC_PIDUNIQIDENTIFIERINFO, Some(Errno::EPERM));
    assert_eq!(
        ask(&mut model, p, xnu::PROC_PIDUNIQIDENTIFIERINFO, 1, 56).1,
        Errno::EPERM
    );
    let err = model.identity(p).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert_eq!(err.errno(), Some(Errno::EPERM));
    model.deny_flavor(xnu::PROC_PIDUNIQIDENTIFIERINFO, None);
    assert!(model.identity(p).is_ok());
}

// ---- lists ------------------------------------------------------------------

#[test]
fn the_fd_probe_counts_table_slots_plus_20_not_open_descriptors() {
    let (mut model, p) = with_process(0, 0, 0);
    let (ret, errno) = model.proc_pidinfo(p.as_raw(), xnu::PROC_PIDLISTFDS, 0, None);
    // Three open descriptors, a table of 50 slots.
    assert_eq!((ret, errno), ((50 + 20) * 8, OK));
    for _ in 0..60 {
        model.open_fd(p, xnu::PROX_FDTYPE_VNODE);
    }
    let (ret, _) = model.proc_pidinfo(p.as_raw(), xnu::PROC_PIDLISTFDS, 0, None);
    assert_eq!(ret, (100 + 20) * 8);
    // pbi_nfiles is the same table size.
    assert_eq!(
        bsd(&ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 0, 136).2).pbi_nfiles,
        100
    );
}

#[test]
fn fd_lists_truncate_silently_ascending_and_return_bytes() {
    let (mut model, p) = with_process(0, 0, 0);
    model.close_fd(p, 1);
    model.open_fd(p, xnu::PROX_FDTYPE_KQUEUE); // takes 1 again
    model.open_fd(p, xnu::PROX_FDTYPE_PSHM); // 3
    let entries = |bytes: &[u8], n: usize| -> Vec<(i32, u32)> {
        bytes
            .chunks(8)
            .take(n)
            .map(|c| {
                let f = FdInfo::decode(c.try_into().unwrap());
                (f.proc_fd, f.proc_fdtype)
            })
            .collect()
    };
    let (ret, errno, bytes) = ask(&mut model, p, xnu::PROC_PIDLISTFDS, 0, 16);
    assert_eq!((ret, errno), (16, OK), "cut at the buffer, no error");
    assert_eq!(
        entries(&bytes, 2),
        [(0, xnu::PROX_FDTYPE_VNODE), (1, xnu::PROX_FDTYPE_KQUEUE)]
    );
    let (ret, _, bytes) = ask(&mut model, p, xnu::PROC_PIDLISTFDS, 0, 800);
    assert_eq!(ret, 32);
    assert_eq!(entries(&bytes, 4).last(), Some(&(3, xnu::PROX_FDTYPE_PSHM)));
    // No descriptors: 0 bytes and no errno, which libproc's 0 cannot tell
    // from a failure without the errno.
    let empty = model.spawn(Pid::ZERO);
    let (ret, errno, _) = ask(&mut model, empty, xnu::PROC_PIDLISTFDS, 0, 64);
    assert_eq!((ret, errno), (0, OK));
}

#[test]
fn thread_lists_give_pthread_handles_or_thread_ids_capped_at_threads_plus_10() {
    let (mut model, p) = with_process(0, 0, 0);
    let threads = model.get(p).unwrap().threads.clone();
    let read = |bytes: &[u8], n: usize| -> Vec<u64> {
        bytes
            .chunks(8)
            .take(n)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect()
    };
    let (ret, _, bytes) = ask(&mut model, p, xnu::PROC_PIDLISTTHREADS, 0, 800);
    assert_eq!(ret, 16);
    let handles: Vec<u64> = threads.iter().map(|t| t.handle).collect();
    assert_eq!(read(&bytes, 2), handles);
    let (_, _, bytes) = ask(&mut model, p, xnu::PROC_PIDLISTTHREADIDS, 0, 800);
    let ids: Vec<u64> = threads.iter().map(|t| t.id).collect();
    assert_eq!(read(&bytes, 2), ids);
    assert!(handles.iter().zip(&ids).all(|(h, i)| h != i));
    // Silent truncation at the buffer.
    let (ret, errno, bytes) = ask(&mut model, p, xnu::PROC_PIDLISTTHREADS, 0, 8);
    assert_eq!((ret, errno), (8, OK));
    assert_eq!(read(&bytes, 1), handles[..1]);
    // Under 8 bytes: ENOMEM.
    assert_eq!(
        ask(&mut model, p, xnu::PROC_PIDLISTTHREADS, 0, 7).1,
        Errno::ENOMEM
    );
}

#[test]
fn more_than_the_slack_created_during_a_list_walk_cuts_it_undetectably() {
    let (mut model, p) = with_process(0, 0, 0);
    // 10 threads during the walk: within threads + 10, all listed.
    model.script_info(InfoCall {
        during: Burst::threads(p, 10),
        ..InfoCall::QUIET
    });
    let (ret, _, _) = ask(&mut model, p, xnu::PROC_PIDLISTTHREADS, 0, 8000);
    assert_eq!(ret as usize, 12 * 8);
    // 11 more: the bound (12 + 10) was read before, so 22 of 23 are listed
    // into a buffer of 1000, with nothing to tell.
    model.script_info(InfoCall {
        during: Burst::threads(p, 11),
        ..InfoCall::QUIET
    });
    let (ret, _, _) = ask(&mut model, p, xnu::PROC_PIDLISTTHREADS, 0, 8000);
    assert_eq!(model.get(p).unwrap().threads.len(), 23);
    assert_eq!(ret as usize, 22 * 8);
    // Descriptors opened past the table's end during the walk: the table
    // (50 slots) was read before.
    model.script_info(InfoCall {
        during: Burst::fds(p, 60),
        ..InfoCall::QUIET
    });
    let (ret, _, _) = ask(&mut model, p, xnu::PROC_PIDLISTFDS, 0, 8000);
    assert_eq!(model.get(p).unwrap().fds.len(), 63);
    assert_eq!(ret as usize, 50 * 8);
}

// ---- paths and names ----------------------------------------------------------

#[test]
fn pathinfo_returns_0_and_copies_the_whole_buffer_nul_padded() {
    let (mut model, p) = with_process(0, 0, 501);
    let mut buf = vec![0xaa; 2000];
    let (ret, errno) = model.proc_pidinfo(p.as_raw(), xnu::PROC_PIDPATHINFO, 0, Some(&mut buf));
    assert_eq!(
        (ret, errno),
        (0, OK),
        "no length: the kernel never sets retval"
    );
    assert_eq!(&buf[..14], b"/usr/bin/thing");
    assert!(buf[14..].iter().all(|&b| b == 0), "NUL-padded to the end");
}

#[test]
fn pathinfo_fails_enospc_enoent_or_esrch() {
    let (mut model, p) = with_process(0, 0, 0);
    // The path and its NUL must fit.
    let long = [b'/'; 1024];
    model.get_mut(p).unwrap().exe = Exe::At(long.to_vec());
    assert_eq!(ask(&mut model, p, xnu::PROC_PIDPATHINFO, 0, 1024).1, ENOSPC);
    assert_eq!(ask(&mut model, p, xnu::PROC_PIDPATHINFO, 0, 1025).1, OK);
    // Deleted: ENOENT, nothing copied.
    model.delete_exe(p);
    let (ret, errno, buf) = ask(&mut model, p, xnu::PROC_PIDPATHINFO, 0, 4096);
    assert_eq!((ret, errno), (0, Errno::ENOENT));
    assert!(buf.iter().all(|&b| b == 0));
    // Recycled vnode, kernel_task (no executable), zombie: ESRCH.
    model.get_mut(p).unwrap().exe = Exe::Recycled(b"/x".to_vec());
    assert_eq!(
        ask(&mut model, p, xnu::PROC_PIDPATHINFO, 0, 1024).1,
        Errno::ESRCH
    );
    assert_eq!(
        ask(&mut model, Pid::ZERO, xnu::PROC_PIDPATHINFO, 0, 1024).1,
        Errno::ESRCH
    );
    let z = model.spawn(pid(1));
    model.exit(z);
    assert_eq!(
        ask(&mut model, z, xnu::PROC_PIDPATHINFO, 1, 1024).1,
        Errno::ESRCH
    );
}

#[test]
fn proc_pidpath_takes_1024_to_4096_bytes_and_returns_strlen() {
    let (mut model, p) = with_process(0, 0, 501);
    let raw = p.as_raw();
    assert_eq!(
        model.proc_pidpath(raw, Some(&mut [0; 1023])),
        (0, Errno::ENOMEM)
    );
    assert_eq!(
        model.proc_pidpath(raw, Some(&mut [0; 4097])),
        (0, EOVERFLOW)
    );
    let calls = model.info_calls();
    assert_eq!(model.info_calls(), calls, "refused before the kernel");
    for size in [1024, 4096] {
        let mut buf = vec![0; size];
        assert_eq!(model.proc_pidpath(raw, Some(&mut buf)), (14, OK));
    }
    model.delete_exe(p);
    assert_eq!(
        model.proc_pidpath(raw, Some(&mut [0; 1024])),
        (0, Errno::ENOENT)
    );
}

#[test]
fn proc_name_needs_32_bytes_prefers_p_name_and_inherits_the_bsd_rules() {
    let mut model = Model::new();
    let p = pid(600);
    model.insert(Proc::new(p).with_name(b"a-name-of-forty-bytes-xxxxxxxxxxxxxxxxx"));
    let mut buf = [0u8; 64];
    assert_eq!(model.proc_name(600, &mut buf[..31]), (0, Errno::ENOMEM));
    // p_name, cut to 31 bytes and a NUL.
    assert_eq!(model.proc_name(600, &mut buf), (31, OK));
    assert_eq!(&buf[..32], b"a-name-of-forty-bytes-xxxxxxxxx\0");
    // Without p_name: p_comm, 15 bytes and a NUL.
    model.get_mut(p).unwrap().name = [0; 33];
    let mut buf = [0u8; 64];
    assert_eq!(model.proc_name(600, &mut buf), (15, OK));
    assert_eq!(&buf[..16], b"a-name-of-forty\0");
    assert!(buf[16..].iter().all(|&b| b == 0), "16 bytes copied");
    // TBSDINFO with arg 0: EPERM for other users, ESRCH for zombies.
    model.set_caller_uid(501);
    assert_eq!(model.proc_name(600, &mut buf), (0, Errno::EPERM));
    model.set_caller_uid(0);
    model.exit(p);
    assert_eq!(model.proc_name(600, &mut buf), (0, Errno::ESRCH));
    // Where refused, the short record's comm.
    let (n, short) = model.name_or_comm(p, &mut buf).unwrap();
    assert_eq!((&buf[..n], short), (&b"a-name-of-forty"[..], true));
}

#[test]
fn every_wrapper_failure_is_0_with_errno_never_minus_1() {
    let (mut model, p) = with_process(0, 0, 501);
    model.exit(p);
    let gone = 31_000;
    let mut failures = 0;
    for target in [p.as_raw(), gone, -5] {
        for (flavor, size, _) in FLAVORS {
            for len in [0usize, size - 1, size, 5000] {
                let mut buf = vec![0u8; len];
                let (ret, errno) = model.proc_pidinfo(target, flavor, 0, Some(&mut buf));
                assert!(ret >= 0, "{flavor}: {ret}");
                if errno != OK {
                    assert_eq!(ret, 0);
                    failures += 1;
                }
            }
        }
        for len in [0usize, 1023, 1024, 5000] {
            let mut buf = vec![0u8; len];
            let (ret, errno) = model.proc_pidpath(target, Some(&mut buf));
            assert!(ret == 0 && errno != OK, "{target} {len}: {ret}");
            let (ret, errno) = model.proc_name(target, &mut buf);
            assert!(ret == 0 && errno != OK, "{target} {len}: {ret}");
        }
    }
    assert!(failures > 100);
}

// ---- the records ----------------------------------------------------------------

#[test]
fn the_records_cut_names_and_derive_flags_as_the_kernel_does() {
    let mut model = Model::new();
    let leader = pid(700);
    let tty = Dev::from_raw(0x1000_0004);
    model.insert(
        Proc {
            tpgid: leader,
            nice: 5,
            gid: 20,
            rgid: 21,
            svgid: 22,
            ..Proc::new(leader)
        }
        .with_terminal(tty)
        .with_name(b"sixteen-letters!"),
    );
    let (_, _, bytes) = ask(&mut model, leader, xnu::PROC_PIDTBSDINFO, 0, 136);
    let b = bsd(&bytes);
    assert_eq!(
        &b.pbi_comm, b"sixteen-letters\0",
        "p_comm[15] forced to NUL"
    );
    assert_eq!(&b.pbi_name[..17], b"sixteen-letters!\0");
    let want = xnu::PROC_FLAG_LP64
        | xnu::PROC_FLAG_SLEADER
        | xnu::PROC_FLAG_CTTY
        | xnu::PROC_FLAG_CONTROLT;
    assert_eq!(b.pbi_flags, want);
    assert_eq!((b.e_tdev, b.e_tpgid, b.pbi_pgid), (0x1000_0004, 700, 700));
    assert_eq!(
        (b.pbi_nice, b.pbi_gid, b.pbi_rgid, b.pbi_svgid),
        (5, 20, 21, 22)
    );
    let start = model.get(leader).unwrap().start_usec;
    assert_eq!(
        (b.pbi_start_tvsec, b.pbi_start_tvusec),
        (start / 1_000_000, start % 1_000_000)
    );
    // The short record derives neither SLEADER nor CTTY.
    let s = short(&ask(&mut model, leader, xnu::PROC_PIDT_SHORTBSDINFO, 0, 64).2);
    assert_eq!(s.pbsi_flags, xnu::PROC_FLAG_LP64 | xnu::PROC_FLAG_CONTROLT);
    // A session terminal without P_CONTROLT: CTTY, but no device.
    let member = model.spawn(leader);
    model.get_mut(member).unwrap().controlling_terminal = false;
    let b = bsd(&ask(&mut model, member, xnu::PROC_PIDTBSDINFO, 0, 136).2);
    assert_eq!(b.e_tdev, xnu::NODEV);
    assert_eq!(
        b.pbi_flags & (xnu::PROC_FLAG_CTTY | xnu::PROC_FLAG_SLEADER),
        xnu::PROC_FLAG_CTTY
    );
    // No process group (pg == NULL): no group, session or device in the
    // full record; the short one still has p_pgrpid.
    model.get_mut(leader).unwrap().pgrp_detached = true;
    let b = bsd(&ask(&mut model, leader, xnu::PROC_PIDTBSDINFO, 0, 136).2);
    assert_eq!((b.pbi_pgid, b.e_tdev), (0, xnu::NODEV));
    assert_eq!(b.pbi_flags & xnu::PROC_FLAG_SLEADER, 0);
    let s = short(&ask(&mut model, leader, xnu::PROC_PIDT_SHORTBSDINFO, 0, 64).2);
    assert_eq!(s.pbsi_pgid, 700);
    // Traced: the flag, in both.
    let child = model.spawn(pid(1));
    model.trace(child, leader);
    let b = bsd(&ask(&mut model, child, xnu::PROC_PIDTBSDINFO, 0, 136).2);
    assert_ne!(b.pbi_flags & xnu::PROC_FLAG_TRACED, 0);
    assert_eq!(b.pbi_ppid, 700, "p_ppid is the tracer");
}

#[test]
fn taskinfo_counts_threads_and_running_ones_and_taskallinfo_is_both_records() {
    let (mut model, p) = with_process(0, 0, 0);
    model.get_mut(p).unwrap().threads[1].running = true;
    model.get_mut(p).unwrap().task.pti_resident_size = 4096;
    let (ret, _, bytes) = ask(&mut model, p, xnu::PROC_PIDTASKINFO, 0, 96);
    let t = TaskInfo::decode(bytes[..96].try_into().unwrap());
    assert_eq!(ret, 96);
    assert_eq!(
        (t.pti_threadnum, t.pti_numrunning, t.pti_resident_size),
        (2, 1, 4096)
    );
    let (ret, _, bytes) = ask(&mut model, p, xnu::PROC_PIDTASKALLINFO, 0, 232);
    let all = TaskAllInfo::decode(bytes[..232].try_into().unwrap());
    assert_eq!(ret, 232);
    assert_eq!(all.ptinfo, t);
    assert_eq!(
        all.pbsd,
        bsd(&ask(&mut model, p, xnu::PROC_PIDTBSDINFO, 0, 136).2)
    );
    model.exit(p);
    assert_eq!(
        ask(&mut model, p, xnu::PROC_PIDTASKINFO, 1, 96).1,
        Errno::ESRCH
    );
    assert_eq!(
        ask(&mut model, p, xnu::PROC_PIDTASKALLINFO, 1, 232).1,
        Errno::ESRCH
    );
}

#[test]
fn uniqueid_is_kept_across_exec_and_never_reused_with_the_pid() {
    let mut model = Model::new();
    let parent = model.spawn(pid(1));
    let child = model.spawn(parent);
    let read = |model: &mut Model, p: Pid| {
        let (_, errno, bytes) = ask(model, p, xnu::PROC_PIDUNIQIDENTIFIERINFO, 1, 56);
        assert_eq!(errno, OK);
        UniqIdentifierInfo::decode(bytes[..56].try_into().unwrap())
    };
    let before = read(&mut model, child);
    assert_eq!(before.p_puniqueid, read(&mut model, parent).p_uniqueid);
    model.exec(child, b"/bin/ls");
    let after = read(&mut model, child);
    assert_eq!(after.p_uniqueid, before.p_uniqueid);
    assert_ne!(after.p_idversion, before.p_idversion);
    model.exit(child);
    assert_eq!(read(&mut model, child).p_uniqueid, before.p_uniqueid);
    model.reap(child);
    model.insert(Proc::new(child));
    let reused = read(&mut model, child);
    assert!(reused.p_uniqueid > before.p_uniqueid);
}
