//! The call patterns against misbehaving fakes of `proc_pidinfo`,
//! `proc_pidpath` and `proc_name`; the faithful ones are the model's
//! (`sys/model/tests_info.rs`, `sys/model/tests_inspect.rs`).

use core::cell::{Cell, RefCell};

use super::*;

/// One call a fake saw: (flavor or -1 for a string call, arg, size,
/// NULL buffer).
type Seen = (c_int, u64, i64, bool);

thread_local! {
    static SEEN: RefCell<Vec<Seen>> = const { RefCell::new(Vec::new()) };
    /// What the fakes do, per test.
    static MODE: Cell<Mode> = const { Cell::new(Mode::Exact) };
    static CALLS: Cell<u32> = const { Cell::new(0) };
}

#[derive(Copy, Clone, Debug)]
enum Mode {
    /// Records of exactly the asked size, lists filled with fd 3 / 0x77.
    Exact,
    /// Returns one byte less than a record, or a list length not a
    /// multiple of 8.
    Short,
    /// Claims twice the buffer.
    Overclaims,
    /// Writes a negative fd.
    NegativeFd,
    /// -1 without errno.
    MinusOne,
    /// 0 without errno for everything.
    Zero,
    /// EINTR twice, then `Exact`, with a stale errno left on success.
    Interrupted,
    /// The flavor decides: TASKALLINFO fails with the errno, TBSDINFO
    /// with the second, the rest `Exact`.
    Fallback(c_int, c_int),
    /// String calls: the length without a NUL at it.
    Unterminated,
    /// String calls: a NUL inside the claimed length.
    NulInside,
    /// Fails with this errno.
    Fails(c_int),
}

fn setup(mode: Mode) {
    MODE.with(|m| m.set(mode));
    SEEN.with(|s| s.borrow_mut().clear());
    CALLS.with(|c| c.set(0));
}

fn seen() -> Vec<Seen> {
    SEEN.with(|s| s.borrow().clone())
}

fn fail(errno: c_int) -> c_int {
    errno::set(errno);
    0
}

/// Writes `n` bytes of `byte` (bounded by the caller's size).
unsafe fn fill(buf: *mut c_void, size: usize, n: usize, byte: u8) {
    // SAFETY: `n <= size`, inside the caller's buffer.
    unsafe { core::ptr::write_bytes(buf.cast::<u8>(), byte, n.min(size)) }
}

unsafe extern "C" fn pidinfo(
    _pid: c_int,
    flavor: c_int,
    arg: u64,
    buf: *mut c_void,
    size: c_int,
) -> c_int {
    SEEN.with(|s| {
        s.borrow_mut()
            .push((flavor, arg, i64::from(size), buf.is_null()))
    });
    let calls = CALLS.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let usize_size = usize::try_from(size).unwrap_or(0);
    let record = match flavor {
        xnu::PROC_PIDTASKALLINFO => TaskAllInfo::SIZE,
        xnu::PROC_PIDTBSDINFO => BsdInfo::SIZE,
        xnu::PROC_PIDT_SHORTBSDINFO => BsdShortInfo::SIZE,
        xnu::PROC_PIDTASKINFO => TaskInfo::SIZE,
        xnu::PROC_PIDUNIQIDENTIFIERINFO => UniqIdentifierInfo::SIZE,
        _ => 0,
    };
    let list = matches!(flavor, xnu::PROC_PIDLISTFDS | xnu::PROC_PIDLISTTHREADS);
    if buf.is_null() {
        return 800; // a NULL probe: 100 entries
    }
    match MODE.with(Cell::get) {
        Mode::Exact | Mode::Unterminated | Mode::NulInside => {}
        Mode::Short if list => return size - 4,
        Mode::Short => return c_int::try_from(record).unwrap_or(0) - 1,
        Mode::Overclaims => {
            // SAFETY: within `size`.
            unsafe { fill(buf, usize_size, usize_size, 0) };
            return size.saturating_mul(2);
        }
        Mode::NegativeFd => {
            // SAFETY: within `size` (at least 8).
            unsafe { fill(buf, usize_size, 8, 0xff) };
            return 8;
        }
        Mode::MinusOne => return -1,
        Mode::Zero => return 0,
        Mode::Interrupted if calls <= 2 => return fail(libc::EINTR),
        Mode::Interrupted => errno::set(libc::EBADF),
        Mode::Fallback(all, bsd) => match flavor {
            xnu::PROC_PIDTASKALLINFO if all != 0 => return fail(all),
            xnu::PROC_PIDTBSDINFO if bsd != 0 => return fail(bsd),
            _ => {}
        },
        Mode::Fails(e) => return fail(e),
    }
    if list {
        // Two entries: fd 3 of type 6, or handle 0x77.
        let entry = if flavor == xnu::PROC_PIDLISTFDS {
            FdInfo {
                proc_fd: 3,
                proc_fdtype: xnu::PROX_FDTYPE_PIPE,
            }
            .encode()
        } else {
            0x77u64.to_ne_bytes()
        };
        let n = (usize_size / 8).min(2);
        for i in 0..n {
            // SAFETY: `(i + 1) * 8 <= size`.
            unsafe {
                core::ptr::copy_nonoverlapping(entry.as_ptr(), buf.cast::<u8>().add(i * 8), 8)
            };
        }
        return c_int::try_from(n * 8).unwrap_or(0);
    }
    if usize_size < record {
        return fail(libc::ENOMEM);
    }
    // SAFETY: `record <= size`.
    unsafe { fill(buf, usize_size, record, 0) };
    c_int::try_from(record).unwrap_or(0)
}

/// `proc_pidpath`/`proc_name` shaped: writes "/bin/sh" and returns 7.
unsafe extern "C" fn string(_pid: c_int, buf: *mut c_void, size: u32) -> c_int {
    SEEN.with(|s| s.borrow_mut().push((-1, 0, i64::from(size), buf.is_null())));
    let text: &[u8] = match MODE.with(Cell::get) {
        Mode::Fails(e) => return fail(e),
        Mode::Zero => return 0,
        Mode::MinusOne => return -1,
        Mode::Unterminated => b"/bin/shXXXX",
        Mode::NulInside => b"/bi\0/sh\0",
        _ => b"/bin/sh\0",
    };
    let n = text.len().min(size as usize);
    // SAFETY: `n <= size`.
    unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n) };
    7
}

fn procs() -> Procinfo {
    // SAFETY: the fakes write at most `size` bytes, nothing via NULL.
    unsafe { Procinfo::new(pidinfo, string, string) }
}

fn pid() -> Pid {
    Pid::from_raw(42).unwrap()
}

#[test]
fn records_are_asked_with_their_exact_size_and_must_come_back_whole() {
    setup(Mode::Exact);
    procs().bsd(pid()).unwrap();
    procs().short(pid()).unwrap();
    procs().task(pid()).unwrap();
    procs().uniq(pid()).unwrap();
    assert_eq!(
        seen(),
        [
            (xnu::PROC_PIDTBSDINFO, 1, 136, false),
            (xnu::PROC_PIDT_SHORTBSDINFO, 1, 64, false),
            (xnu::PROC_PIDTASKINFO, 0, 96, false),
            (xnu::PROC_PIDUNIQIDENTIFIERINFO, 1, 56, false),
        ]
    );
    for mode in [Mode::Short, Mode::Overclaims, Mode::Zero] {
        setup(mode);
        let err = procs().bsd(pid()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{mode:?}");
        assert_eq!((err.operation(), err.pid()), ("proc_pidinfo", Some(pid())));
    }
}

#[test]
fn zero_with_errno_is_the_errno_and_minus_one_without_is_malformed() {
    setup(Mode::Fails(libc::ESRCH));
    let err = procs().task(pid()).unwrap_err();
    assert_eq!(
        (err.kind(), err.errno()),
        (ErrorKind::Os, Some(Errno::ESRCH))
    );
    setup(Mode::MinusOne);
    assert_eq!(
        procs().task(pid()).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    let mut out = [0u64; 4];
    assert_eq!(
        procs()
            .list_threads(pid(), ThreadList::Handles, &mut out)
            .unwrap_err()
            .kind(),
        ErrorKind::Malformed
    );
}

#[test]
fn eintr_is_retried_and_a_stale_errno_does_not_fail_a_success() {
    setup(Mode::Interrupted);
    errno::set(libc::EBADF);
    procs().short(pid()).unwrap();
    assert_eq!(CALLS.with(Cell::get), 3);
    // A list's real 0 bytes with errno cleared first is success.
    setup(Mode::Zero);
    errno::set(libc::EBADF);
    let mut out = [0u64; 4];
    assert_eq!(
        procs().list_fds(pid(), &mut out).unwrap(),
        Listed::Complete(0)
    );
}

#[test]
fn info_falls_back_to_the_short_record_and_to_zombie_lookups() {
    // Own live process: one call.
    setup(Mode::Exact);
    let raw = procs().info(pid()).unwrap();
    assert!(matches!(raw.bsd, Bsd::Full(_)) && raw.task.is_some());
    assert_eq!(seen().len(), 1);
    // Another user's: TASKALLINFO EPERM, then SHORTBSDINFO with arg 1.
    setup(Mode::Fallback(libc::EPERM, 0));
    let raw = procs().info(pid()).unwrap();
    assert!(matches!(raw.bsd, Bsd::Short(_)) && raw.task.is_none());
    let flavors: Vec<_> = seen().iter().map(|s| (s.0, s.1)).collect();
    assert_eq!(
        flavors,
        [
            (xnu::PROC_PIDTASKALLINFO, 0),
            (xnu::PROC_PIDT_SHORTBSDINFO, 1)
        ]
    );
    // A zombie: TASKALLINFO ESRCH, then TBSDINFO with arg 1.
    setup(Mode::Fallback(libc::ESRCH, 0));
    let raw = procs().info(pid()).unwrap();
    assert!(matches!(raw.bsd, Bsd::Full(_)) && raw.task.is_none());
    assert_eq!((seen()[1].0, seen()[1].1), (xnu::PROC_PIDTBSDINFO, 1));
    // Another user's zombie: ESRCH, EPERM, then the short record.
    setup(Mode::Fallback(libc::ESRCH, libc::EPERM));
    assert!(matches!(procs().info(pid()).unwrap().bsd, Bsd::Short(_)));
    assert_eq!(seen().len(), 3);
    // Gone: ESRCH twice is the error, with nothing else asked.
    setup(Mode::Fallback(libc::ESRCH, libc::ESRCH));
    let err = procs().info(pid()).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ESRCH));
    assert_eq!(seen().len(), 2);
    // Any other error is not a reason to fall back.
    setup(Mode::Fallback(libc::EINVAL, 0));
    assert_eq!(
        procs().info(pid()).unwrap_err().errno(),
        Some(Errno::EINVAL)
    );
    assert_eq!(seen().len(), 1);
}

#[test]
fn list_sizes_are_whole_entries_never_negative_nor_under_8() {
    setup(Mode::Exact);
    let mut big = vec![0u64; 3000];
    for len in [0usize, 1, 2, 17, 3000] {
        procs().list_fds(pid(), &mut big[..len]).unwrap();
        procs()
            .list_threads(pid(), ThreadList::Ids, &mut big[..len])
            .unwrap();
    }
    for (flavor, _, size, null) in seen() {
        assert!(size >= 8 && size % 8 == 0 && !null, "{flavor}: {size}");
    }
    assert_eq!(seen().iter().map(|s| s.2).max(), Some(24_000));
    assert!(seen().iter().any(|s| s.0 == xnu::PROC_PIDLISTTHREADIDS));
    // The probe is the one NULL call, with size 0.
    setup(Mode::Exact);
    assert_eq!(procs().fds_estimate(pid()).unwrap(), 100);
    assert_eq!(seen(), [(xnu::PROC_PIDLISTFDS, 0, 0, true)]);
}

#[test]
fn a_full_list_is_never_complete_and_an_empty_slice_proves_nothing() {
    setup(Mode::Exact);
    let mut two = [0u64; 2];
    assert_eq!(
        procs().list_fds(pid(), &mut two).unwrap(),
        Listed::Full { needed: None }
    );
    assert_eq!(fd_entry(two[1]).proc_fd, 3);
    let mut three = [0u64; 3];
    assert_eq!(
        procs()
            .list_threads(pid(), ThreadList::Handles, &mut three)
            .unwrap(),
        Listed::Complete(2)
    );
    assert_eq!(three, [0x77, 0x77, 0]);
    assert_eq!(
        procs().list_fds(pid(), &mut []).unwrap(),
        Listed::Full { needed: None }
    );
    setup(Mode::Overclaims);
    assert_eq!(
        procs().list_fds(pid(), &mut three).unwrap(),
        Listed::Full { needed: None }
    );
}

#[test]
fn malformed_lists_are_refused() {
    let mut out = [0u64; 4];
    setup(Mode::Short);
    assert_eq!(
        procs().list_fds(pid(), &mut out).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    setup(Mode::NegativeFd);
    assert_eq!(
        procs().list_fds(pid(), &mut out).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    // A negative handle is just a number.
    assert_eq!(
        procs()
            .list_threads(pid(), ThreadList::Handles, &mut out)
            .unwrap(),
        Listed::Complete(1)
    );
}

#[test]
fn path_sizes_are_1024_to_4096_and_enospc_asks_for_4096() {
    setup(Mode::Exact);
    let mut small = [0u8; 1023];
    let err = procs().path(pid(), &mut small).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 1024 });
    assert!(
        seen().is_empty(),
        "no call with a buffer the kernel refuses"
    );
    let mut huge = vec![0u8; 10_000];
    assert_eq!(procs().path(pid(), &mut huge).unwrap(), 7);
    assert_eq!(&huge[..8], b"/bin/sh\0");
    assert_eq!(seen(), [(-1, 0, 4096, false)]);
    setup(Mode::Fails(libc::ENOSPC));
    let mut kib = [0u8; 1024];
    let err = procs().path(pid(), &mut kib).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 4096 });
    let err = procs().path(pid(), &mut huge).unwrap_err();
    assert_eq!(
        (err.kind(), err.errno()),
        (ErrorKind::Os, Some(Errno::from_raw(libc::ENOSPC)))
    );
    setup(Mode::Fails(libc::ENOENT));
    let err = procs().path(pid(), &mut kib).unwrap_err();
    assert_eq!(
        (err.errno(), err.operation()),
        (Some(Errno::ENOENT), "proc_pidpath")
    );
}

#[test]
fn strings_must_end_at_their_length() {
    for mode in [Mode::Unterminated, Mode::NulInside, Mode::MinusOne] {
        setup(mode);
        let mut buf = [0u8; 1024];
        let err = procs().path(pid(), &mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{mode:?}");
        let mut buf = [0u8; 1024];
        let err = procs().name(pid(), &mut buf).unwrap_err();
        assert_eq!(
            (err.kind(), err.operation()),
            (ErrorKind::Malformed, "proc_name")
        );
    }
    // 0 without errno: an empty name is possible, an empty path is not.
    setup(Mode::Zero);
    let mut buf = [0u8; 1024];
    assert_eq!(
        procs().path(pid(), &mut buf).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    assert_eq!(procs().name(pid(), &mut buf).unwrap(), 0);
    // ... unless the buffer says otherwise.
    buf[0] = b'x';
    assert_eq!(
        procs().name(pid(), &mut buf).unwrap_err().kind(),
        ErrorKind::Malformed
    );
}

#[test]
fn name_needs_32_bytes_and_passes_exactly_32() {
    setup(Mode::Exact);
    let mut small = [0u8; 31];
    let err = procs().name(pid(), &mut small).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 32 });
    let mut buf = [0u8; 200];
    assert_eq!(procs().name(pid(), &mut buf).unwrap(), 7);
    assert_eq!(seen(), [(-1, 0, 32, false)]);
    // Refused: the short record's comm instead.
    setup(Mode::Fails(libc::EPERM));
    let err = procs().name_or_comm(pid(), &mut buf).unwrap_err();
    // (the fake's short record fails too)
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert_eq!(seen().len(), 2);
}
