//! The xnu backend's per-process calls through the model, as a user
//! drives them: zero allocations per call once warm (counted by the
//! per-thread allocator of `tests/support/alloc.rs`), and the stand-ins'
//! C ABI.
#![cfg(feature = "model")]

mod support;

use pidquery::model::{proc_pidinfo, xnu, Model, Proc};
use pidquery::{ExeBuf, FdBuf, InfoBuf, Pid, PidQuery, ThreadBuf};
use support::alloc::{measure, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the allocations and reallocations
/// it made on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let (r, counts) = measure(f);
    (r, counts.takes())
}

/// A model with a process of ours (uid 501) holding `fds` descriptors and
/// `threads` threads, one of root's, and a zombie of ours; the caller is
/// uid 501.
fn table(fds: usize, threads: usize) -> (Model, Pid, Pid, Pid) {
    let mut model = Model::new();
    let ours = Pid::from_raw(500).unwrap();
    model.insert(
        Proc {
            uid: 501,
            ruid: 501,
            exe: pidquery::model::Exe::At(b"/Applications/Thing.app/Contents/MacOS/Thing".to_vec()),
            ..Proc::new(ours)
        }
        .with_name(b"Thing"),
    );
    for i in 0..fds {
        model.open_fd(ours, (i % 7) as u32);
    }
    for _ in 1..threads {
        model.spawn_thread(ours);
    }
    let zombie = model.spawn(ours);
    model.exit(zombie);
    model.set_caller_uid(501);
    (model, ours, Pid::from_raw(1).unwrap(), zombie)
}

#[test]
fn a_warm_info_identity_and_check_allocate_nothing() {
    let (mut model, ours, theirs, zombie) = table(3, 2);
    for p in [ours, theirs, zombie] {
        model.info(p).unwrap(); // warm the thread-local slot
        let (info, allocs) = allocations(|| model.info(p));
        assert_eq!((info.unwrap().pid, allocs), (p, 0), "info of {p}");
        let (id, allocs) = allocations(|| model.identity(p));
        let id = id.unwrap();
        assert_eq!(allocs, 0, "identity of {p}");
        let (current, allocs) = allocations(|| model.is_current(&id));
        assert_eq!((current.unwrap(), allocs), (true, 0), "is_current of {p}");
    }
    // Errors allocate nothing either.
    let gone = Pid::from_raw(31_000).unwrap();
    let (err, allocs) = allocations(|| model.info(gone).map(|_| ()));
    assert_eq!(
        (err.unwrap_err().kind(), allocs),
        (pidquery::ErrorKind::NoSuchProcess, 0)
    );
}

#[test]
fn warm_thread_fd_and_exe_buffers_allocate_nothing() {
    // Above the inline sizes, and above the 512 entries converted on the
    // stack (the rest goes through a per-thread buffer kept warm).
    for (fds, threads) in [(3, 2), (100, 60), (2000, 700)] {
        let (mut model, ours, theirs, _) = table(fds, threads);
        let (mut fd_buf, mut thread_buf, mut exe) = (FdBuf::new(), ThreadBuf::new(), ExeBuf::new());
        model.fds(ours, &mut fd_buf).unwrap();
        model.threads(ours, &mut thread_buf).unwrap();
        model.exe(ours, &mut exe).unwrap();
        let (n, allocs) = allocations(|| model.fds(ours, &mut fd_buf).map(|f| f.len()));
        assert_eq!((n.unwrap(), allocs), (fds, 0), "fds: {fds}");
        let (n, allocs) = allocations(|| model.threads(ours, &mut thread_buf).map(|t| t.len()));
        assert_eq!((n.unwrap(), allocs), (threads, 0), "threads: {threads}");
        let (n, allocs) = allocations(|| model.exe(ours, &mut exe).map(|e| e.as_bytes().len()));
        assert_eq!((n.unwrap(), allocs), (44, 0));
        // Another user's executable is readable, and costs nothing more.
        let (n, allocs) = allocations(|| model.exe(theirs, &mut exe).map(|e| e.as_bytes().len()));
        assert_eq!((n.unwrap(), allocs), (13, 0));
    }
}

#[test]
fn calls_on_a_process_in_its_exit_window_allocate_nothing() {
    // Found only by the zombie lookups, with p_stat still SRUN: every call
    // asks the short record once more, and allocates nothing for it.
    let (mut model, ours, _, _) = table(3, 2);
    let leaving = model.spawn(ours);
    model.begin_exit(leaving);
    let (mut fd_buf, mut thread_buf, mut exe) = (FdBuf::new(), ThreadBuf::new(), ExeBuf::new());
    model.fds(leaving, &mut fd_buf).unwrap();
    model.info(leaving).unwrap();
    model.exe(leaving, &mut exe).unwrap_err();
    let (n, allocs) = allocations(|| model.fds(leaving, &mut fd_buf).map(|f| f.len()));
    assert_eq!((n.unwrap(), allocs), (0, 0));
    let (n, allocs) = allocations(|| model.threads(leaving, &mut thread_buf).map(|t| t.len()));
    assert_eq!((n.unwrap(), allocs), (0, 0));
    let (err, allocs) = allocations(|| model.exe(leaving, &mut exe).map(|_| ()));
    assert_eq!(
        (err.unwrap_err().kind(), allocs),
        (pidquery::ErrorKind::NoSuchProcess, 0)
    );
    let (info, allocs) = allocations(|| model.info(leaving));
    assert!(info.unwrap().flags.contains(pidquery::ProcFlags::EXITING));
    assert_eq!(allocs, 0);
}

#[test]
fn a_warm_infos_of_a_whole_query_allocates_nothing() {
    let (mut model, _, _, _) = table(3, 2);
    for _ in 0..300 {
        model.spawn(Pid::from_raw(1).unwrap());
    }
    let mut buf = InfoBuf::new();
    model.infos(&PidQuery::all(), &mut buf).unwrap();
    model.infos(&PidQuery::all(), &mut buf).unwrap();
    let (n, allocs) = allocations(|| model.infos(&PidQuery::all(), &mut buf).map(|i| i.len()));
    assert_eq!((n.unwrap(), allocs), (model.nprocs(), 0));
}

#[test]
fn the_stand_in_has_libc_s_signature_and_writes_the_kernel_s_bytes() {
    // The very type `libc::proc_pidinfo` has on macOS.
    let f: unsafe extern "C" fn(i32, i32, u64, *mut core::ffi::c_void, i32) -> i32 = proc_pidinfo;
    let (mut model, ours, _, _) = table(3, 2);
    let mut bytes = [0u8; 136];
    // SAFETY: `bytes` is valid for 136 bytes.
    let ret = model.run(|| unsafe {
        f(
            ours.as_raw(),
            xnu::PROC_PIDTBSDINFO,
            0,
            bytes.as_mut_ptr().cast(),
            136,
        )
    });
    assert_eq!(ret, 136);
    // pbi_pid at 12, pbi_uid at 20, pbi_comm at 48 (bsd/sys/proc_info.h).
    assert_eq!(&bytes[12..16], &500u32.to_ne_bytes());
    assert_eq!(&bytes[20..24], &501u32.to_ne_bytes());
    assert_eq!(&bytes[48..54], b"Thing\0");
}
