//! The call pattern against `sysctl` fakes: one sizing rule per test, and
//! every way a kernel (or a stand-in) can break the convention. The
//! faithful kernel is the model (`crate::model::freebsd` tests).

#![allow(unsafe_code)]

use core::cell::RefCell;
use core::ffi::{c_int, c_uint, c_void};

use super::consts::{KERN_PROC_PGRP, KERN_PROC_PROC, KERN_PROC_RUID, KERN_PROC_TTY};
use super::consts::{KERN_PROC_UID, KINFO_PROC_SIZE, KI_CTTY, NODEV};
use super::*;
use crate::list::engine;
use crate::MAX_ATTEMPTS;
use crate::{Dev, PidBuf};

const SIZE: usize = KINFO_PROC_SIZE;

/// How the fake breaks the rules, if it does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// `sysctl_kern_proc` as it is.
    Faithful,
    /// `vslock` fails: nothing is copied, `ENOMEM` with `*oldlenp` 0.
    WireFails,
    /// Success with this `*oldlenp`, whatever was copied.
    Claims(usize),
    /// -1 with errno left 0.
    MinusOneWithoutErrno,
    /// Fails with this errno (not `ENOMEM`).
    Fails(c_int),
    /// `EINTR` this many times, then faithful.
    Interrupted(u32),
}

/// A kernel holding `pids` (with `ppids` and `tdevs` beside them).
struct Fake {
    pids: Vec<i32>,
    ppids: Vec<i32>,
    tdevs: Vec<u64>,
    structsize: i32,
    /// Records the table grows by after every call (a fork storm).
    storm: usize,
    /// Bytes a NULL probe answers instead of `(n + 5) * SIZE`.
    probe: Option<usize>,
    mode: Mode,
    /// Every call: the mib and the buffer length (`None` for NULL).
    log: Vec<(Vec<c_int>, Option<usize>)>,
}

impl Fake {
    fn with(pids: &[i32]) -> Fake {
        Fake {
            pids: pids.to_vec(),
            ppids: vec![1; pids.len()],
            tdevs: vec![NODEV; pids.len()],
            structsize: SIZE as c_int,
            storm: 0,
            probe: None,
            mode: Mode::Faithful,
            log: Vec::new(),
        }
    }

    fn record(&self, i: usize) -> [u8; SIZE] {
        let l = crate::parse::KinfoLayout::LP64;
        let mut r = [0u8; SIZE];
        r[..4].copy_from_slice(&self.structsize.to_ne_bytes());
        r[l.pid..l.pid + 4].copy_from_slice(&self.pids[i].to_ne_bytes());
        r[l.ppid..l.ppid + 4].copy_from_slice(&self.ppids[i].to_ne_bytes());
        r[l.tdev..l.tdev + 8].copy_from_slice(&self.tdevs[i].to_ne_bytes());
        // A terminal the session still holds.
        let held = if self.tdevs[i] == NODEV { 0 } else { KI_CTTY };
        r[l.kiflag..l.kiflag + 8].copy_from_slice(&held.to_ne_bytes());
        r
    }

    fn grow_table(&mut self) {
        let next = self.pids.iter().max().copied().unwrap_or(0) + 1;
        for pid in next..next + self.storm as i32 {
            self.pids.push(pid);
            self.ppids.push(1);
            self.tdevs.push(NODEV);
        }
    }
}

thread_local! {
    static FAKE: RefCell<Fake> = RefCell::new(Fake::with(&[]));
}

fn install(fake: Fake) {
    FAKE.with(|f| *f.borrow_mut() = fake);
}

fn log() -> Vec<(Vec<c_int>, Option<usize>)> {
    FAKE.with(|f| f.borrow().log.clone())
}

/// The fetches (non-NULL buffers) logged so far, by length.
fn fetches() -> Vec<usize> {
    log().into_iter().filter_map(|(_, len)| len).collect()
}

/// A `sysctl`-shaped fake over [`FAKE`]: every mib lists the whole table.
unsafe extern "C" fn fake(
    name: *const c_int,
    namelen: c_uint,
    oldp: *mut c_void,
    oldlenp: *mut usize,
    _newp: *const c_void,
    _newlen: usize,
) -> c_int {
    // SAFETY: the call pattern passes `namelen` live ints and a live
    // `oldlenp`.
    let (mib, oldlen) = unsafe {
        (
            core::slice::from_raw_parts(name, namelen as usize).to_vec(),
            oldlenp.read(),
        )
    };
    FAKE.with(|f| {
        let mut f = f.borrow_mut();
        f.log.push((mib, (!oldp.is_null()).then_some(oldlen)));
        let fail = |e: c_int| {
            crate::sys::errno::set(e);
            -1
        };
        let ret = match f.mode {
            Mode::MinusOneWithoutErrno => {
                crate::sys::errno::set(0);
                -1
            }
            Mode::Fails(e) => fail(e),
            Mode::Interrupted(n) if n > 0 => {
                f.mode = Mode::Interrupted(n - 1);
                fail(libc::EINTR)
            }
            _ if oldp.is_null() => {
                let bytes = f.probe.unwrap_or((f.pids.len() + 5) * SIZE);
                // SAFETY: live `size_t` (above).
                unsafe { oldlenp.write(bytes) };
                0
            }
            Mode::WireFails if !f.pids.is_empty() => {
                // SAFETY: as above.
                unsafe { oldlenp.write(0) };
                fail(libc::ENOMEM)
            }
            mode => {
                let out = oldp.cast::<u8>();
                let mut idx = 0usize;
                let mut short = false;
                for i in 0..f.pids.len() {
                    let rec = f.record(i);
                    let fits = oldlen.saturating_sub(idx).min(SIZE);
                    // SAFETY: `idx + fits <= oldlen`, inside the buffer.
                    unsafe { core::ptr::copy_nonoverlapping(rec.as_ptr(), out.add(idx), fits) };
                    idx += SIZE;
                    if fits < SIZE {
                        short = true;
                        break;
                    }
                }
                let reported = match mode {
                    Mode::Claims(n) => n,
                    _ if short => oldlen,
                    _ => idx,
                };
                // SAFETY: as above.
                unsafe { oldlenp.write(reported) };
                if short && !matches!(mode, Mode::Claims(_)) {
                    fail(libc::ENOMEM)
                } else {
                    0
                }
            }
        };
        f.grow_table();
        ret
    })
}

fn kernel() -> KernProc {
    // SAFETY: the fake reads `namelen` ints, writes at most `*oldlenp`
    // bytes (nothing through NULL) and one `size_t`.
    unsafe { KernProc::new(fake, KinfoLayout::LP64) }
}

fn pids(raw: &[i32]) -> Vec<Pid> {
    raw.iter().map(|&r| Pid::from_raw(r).unwrap()).collect()
}

// ---- how each filter is asked ---------------------------------------------

#[test]
fn each_filter_is_asked_as_the_reference_says() {
    let p = |raw| Pid::from_raw(raw).unwrap();
    let plan = |q: PidQuery| Plan::of(&q).map(|p| (p.mib().to_vec(), p.pick));
    let table = vec![1, 14, KERN_PROC_PROC];
    // all: KERN_PROC_PROC with 3 words, never KERN_PROC_ALL.
    assert_eq!(plan(PidQuery::all()), Some((table.clone(), Pick::Every)));
    assert_eq!(
        plan(PidQuery::pgrp(p(42))),
        Some((vec![1, 14, KERN_PROC_PGRP, 42], Pick::Every))
    );
    assert_eq!(
        plan(PidQuery::uid(u32::MAX)),
        Some((vec![1, 14, KERN_PROC_UID, -1], Pick::Every))
    );
    assert_eq!(
        plan(PidQuery::ruid(1001)),
        Some((vec![1, 14, KERN_PROC_RUID, 1001], Pick::Every))
    );
    assert_eq!(
        plan(PidQuery::tty(Dev::from_raw(0x7fff_ffff))),
        Some((
            vec![1, 14, KERN_PROC_TTY, 0x7fff_ffff],
            Pick::Tty(0x7fff_ffff)
        ))
    );
    // Beyond a non-negative int the kernel's sign extension cannot ask it.
    assert_eq!(
        plan(PidQuery::tty(Dev::from_raw(0x8000_0000))),
        Some((table.clone(), Pick::Tty(0x8000_0000)))
    );
    assert_eq!(plan(PidQuery::tty(Dev::from_raw(NODEV))), None);
    assert_eq!(
        plan(PidQuery::ppid(p(7))),
        Some((table.clone(), Pick::Ppid(7)))
    );
    // One fetch of the table for a subtree.
    assert_eq!(
        plan(PidQuery::descendants(p(7))),
        Some((table, Pick::Descendants(7)))
    );
}

#[test]
fn tty_nodev_is_empty_without_a_call() {
    install(Fake::with(&[1, 2]));
    let k = kernel();
    let q = PidQuery::tty(Dev::from_raw(NODEV));
    let mut out = [Pid::ZERO; 4];
    assert_eq!(k.list(&q, &mut out).unwrap(), Listed::Complete(0));
    assert_eq!(k.estimate(&q).unwrap(), 0);
    assert!(log().is_empty());
}

#[test]
fn table_plans_select_by_ppid_and_tdev() {
    let mut f = Fake::with(&[5, 3, 9, 4]);
    f.ppids = vec![1, 2, 2, 1];
    f.tdevs = vec![NODEV, 0x9000_0000, 0x9000_0000, 7];
    install(f);
    let k = kernel();
    let mut out = [Pid::ZERO; 8];
    let q = PidQuery::ppid(Pid::from_raw(2).unwrap());
    assert_eq!(k.list(&q, &mut out).unwrap(), Listed::Complete(2));
    assert_eq!(&out[..2], pids(&[3, 9]).as_slice());
    let q = PidQuery::tty(Dev::from_raw(0x9000_0000));
    assert_eq!(k.list(&q, &mut out).unwrap(), Listed::Complete(2));
    assert_eq!(&out[..2], pids(&[3, 9]).as_slice());
}

#[test]
fn answers_are_sorted_and_deduplicated() {
    install(Fake::with(&[40, 7, 300, 7, 1, 0]));
    let mut out = [Pid::ZERO; 16];
    let n = kernel().list(&PidQuery::all(), &mut out).unwrap();
    assert_eq!(n, Listed::Complete(5));
    assert_eq!(&out[..5], pids(&[0, 1, 7, 40, 300]).as_slice());
}

// ---- sizing -----------------------------------------------------------------

#[test]
fn the_estimate_is_the_probes_count_of_matches() {
    install(Fake::with(&[1, 2, 3]));
    // The kernel answers (3 + 5) records: its slack is taken off.
    assert_eq!(kernel().estimate(&PidQuery::all()).unwrap(), 3);
    // One NULL call.
    assert_eq!(log(), vec![(vec![1, 14, KERN_PROC_PROC], None)]);
    // An empty match estimates 0.
    install(Fake::with(&[]));
    assert_eq!(kernel().estimate(&PidQuery::uid(4242)).unwrap(), 0);
}

#[test]
fn fill_slice_reports_the_count_not_the_probe() {
    // 30 matches of a kernel filter, 10 slots: Truncated says 30, where
    // the probe's (matches + 5) would say 35.
    install(Fake::with(&(1..=30).collect::<Vec<_>>()));
    let mut ten = [Pid::ZERO; 10];
    let err = engine::fill_slice(&kernel(), &PidQuery::uid(0), &mut ten).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 30 });
}

#[test]
fn a_cold_scratch_is_sized_by_the_probe_and_never_passed_empty() {
    install(Fake::with(&[1, 2, 3]));
    let k = kernel();
    let mut out = [Pid::ZERO; 8];
    assert_eq!(
        k.list(&PidQuery::all(), &mut out).unwrap(),
        Listed::Complete(3)
    );
    let calls = log();
    // NULL probe first, then one fetch of min(scratch, slots + 1) records.
    assert_eq!(calls[0].1, None);
    assert_eq!(calls[1..], [(vec![1, 14, KERN_PROC_PROC], Some(9 * SIZE))]);
    // Warm: one call, nothing probed.
    assert_eq!(
        k.list(&PidQuery::all(), &mut out).unwrap(),
        Listed::Complete(3)
    );
    assert_eq!(log().len(), 3);
    assert!(fetches().iter().all(|&len| len > 0 && len % SIZE == 0));
}

#[test]
fn an_exactly_full_buffer_is_complete_so_the_count_is_exact() {
    // Kernel filter, 5 matches, 4 slots: the fetch passes 5 records and
    // comes back exactly full, which on FreeBSD is the whole answer.
    install(Fake::with(&[10, 11, 12, 13, 14]));
    let k = kernel();
    let mut four = [Pid::ZERO; 4];
    assert_eq!(
        k.list(&PidQuery::all(), &mut four).unwrap(),
        Listed::Full { needed: Some(5) }
    );
    assert_eq!(fetches(), [5 * SIZE]);
    // Through fill_slice: Truncated with the exact count, no second fetch.
    let err = engine::fill_slice(&k, &PidQuery::all(), &mut four).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 5 });
    assert_eq!(fetches(), [5 * SIZE, 5 * SIZE]);
    // A table plan whose scratch is exactly the table: complete.
    let mut f = Fake::with(&(1..=16).collect::<Vec<_>>());
    f.probe = Some(0); // grow(0, 0) = 16 records
    install(f);
    let k = kernel();
    let mut out = [Pid::ZERO; 32];
    let q = PidQuery::ppid(Pid::from_raw(1).unwrap());
    assert_eq!(k.list(&q, &mut out).unwrap(), Listed::Complete(16));
    assert_eq!(fetches(), [16 * SIZE]);
}

#[test]
fn a_short_buffer_is_probed_again_and_grown_never_parsed() {
    // The probe says 0 (scratch: 16 records) but the table has 40: the
    // fetch is short, with a partial copy ending mid-record, and ENOMEM.
    let mut f = Fake::with(&(100..140).collect::<Vec<_>>());
    f.probe = Some(0);
    install(f);
    let k = kernel();
    let mut out = [Pid::ZERO; 64];
    let q = PidQuery::ppid(Pid::from_raw(1).unwrap());
    // The probe keeps answering 0: grow(16, 0) doubles to 32, then 64;
    // each short fetch asks the engine to call again with the same slots.
    assert_eq!(
        k.list(&q, &mut out).unwrap(),
        Listed::Full { needed: Some(64) }
    );
    assert_eq!(
        k.list(&q, &mut out).unwrap(),
        Listed::Full { needed: Some(64) }
    );
    assert_eq!(k.list(&q, &mut out).unwrap(), Listed::Complete(40));
    assert_eq!(fetches(), [16 * SIZE, 32 * SIZE, 64 * SIZE]);
    let kinds: Vec<bool> = log().iter().map(|(_, len)| len.is_some()).collect();
    // probe, fetch (short), probe, fetch (short), probe, fetch.
    assert_eq!(kinds, [false, true, false, true, false, true]);
    assert_eq!(&out[..40], pids(&(100..140).collect::<Vec<_>>()).as_slice());
}

#[test]
fn a_kernel_filter_that_outgrows_the_slots_is_full_without_a_count() {
    install(Fake::with(&(1..=30).collect::<Vec<_>>()));
    let k = kernel();
    let mut ten = [Pid::ZERO; 10];
    assert_eq!(
        k.list(&PidQuery::uid(0), &mut ten).unwrap(),
        Listed::Full { needed: None }
    );
    // One record more than the slots, never more: the scratch was 35 + 20.
    assert_eq!(fetches(), [11 * SIZE]);
    // The engine then probes and grows the slots.
    let mut buf = PidBuf::<0>::default();
    let got = engine::fill(&k, &PidQuery::uid(0), &mut buf).unwrap();
    assert_eq!(got.len(), 30);
}

#[test]
fn enomem_below_the_buffer_is_the_wiring_limit_and_is_not_retried() {
    let mut f = Fake::with(&[1, 2, 3]);
    f.mode = Mode::WireFails;
    install(f);
    let k = kernel();
    let mut out = [Pid::ZERO; 8];
    let err = k
        .list(&PidQuery::pgrp(Pid::from_raw(1).unwrap()), &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WiringLimit { bytes: 9 * SIZE });
    assert_eq!(err.errno(), Some(Errno::ENOMEM));
    assert_eq!(err.operation(), "kern.proc.pgrp");
    assert_eq!(fetches(), [9 * SIZE]);
    assert!(err.to_string().contains("vm.max_user_wired"));
}

#[test]
fn a_wrong_structsize_is_malformed() {
    let mut f = Fake::with(&[1, 2]);
    f.structsize = 768; // a 32-bit kinfo_proc in 64-bit strides
    install(f);
    let mut out = [Pid::ZERO; 8];
    let err = kernel().list(&PidQuery::all(), &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
    assert_eq!(err.operation(), "kern.proc.proc");
}

#[test]
fn a_length_that_is_not_whole_records_is_malformed() {
    let mut f = Fake::with(&[1, 2]);
    f.mode = Mode::Claims(SIZE + 100);
    install(f);
    let mut out = [Pid::ZERO; 8];
    let err = kernel().list(&PidQuery::all(), &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
}

#[test]
fn a_length_beyond_the_buffer_is_never_trusted() {
    let mut f = Fake::with(&[1, 2]);
    f.mode = Mode::Claims(1000 * SIZE);
    install(f);
    let mut out = [Pid::ZERO; 8];
    let err = kernel().list(&PidQuery::all(), &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
}

#[test]
fn a_negative_pid_is_malformed() {
    install(Fake::with(&[1, -4]));
    let mut out = [Pid::ZERO; 8];
    let err = kernel().list(&PidQuery::all(), &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
}

#[test]
fn minus_one_without_errno_is_malformed_not_success() {
    let mut f = Fake::with(&[1]);
    f.mode = Mode::MinusOneWithoutErrno;
    install(f);
    let err = kernel().estimate(&PidQuery::all()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
}

#[test]
fn other_errnos_are_os_errors_naming_the_node() {
    let mut f = Fake::with(&[1]);
    f.mode = Mode::Fails(libc::EPERM); // capability mode
    install(f);
    let err = kernel().estimate(&PidQuery::ruid(3)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Os);
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert_eq!(err.operation(), "kern.proc.ruid");
    assert!(err.to_string().contains("kern.proc.ruid"));
}

#[test]
fn eintr_is_retried() {
    let mut f = Fake::with(&[3, 1]);
    f.mode = Mode::Interrupted(3);
    install(f);
    let mut out = [Pid::ZERO; 8];
    assert_eq!(
        kernel().list(&PidQuery::all(), &mut out).unwrap(),
        Listed::Complete(2)
    );
    assert_eq!(&out[..2], pids(&[1, 3]).as_slice());
}

#[test]
fn a_table_that_outgrows_every_scratch_is_raced_after_the_budget() {
    let mut f = Fake::with(&[1]);
    f.probe = Some(0); // the estimate never catches up
    f.storm = 4096;
    install(f);
    let mut out = vec![Pid::ZERO; 1 << 16];
    let q = PidQuery::ppid(Pid::from_raw(1).unwrap());
    // One budget: the engine's attempts are the only retries, through
    // fill and fill_slice alike.
    let err = engine::fill_slice(&kernel(), &q, &mut out).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Raced {
            attempts: MAX_ATTEMPTS
        }
    );
    assert_eq!(fetches().len(), MAX_ATTEMPTS as usize);
    // Each fetch at least doubled the last.
    assert!(fetches().windows(2).all(|w| w[1] >= 2 * w[0]));
}

#[test]
fn a_concurrent_query_gets_its_own_scratch_and_the_larger_one_is_kept() {
    install(Fake::with(&(1..=50).collect::<Vec<_>>()));
    let k = kernel();
    let mut a = k.lease();
    a.grow(10).unwrap();
    {
        let mut b = k.lease();
        assert_eq!(b.records(), 0);
        b.grow(100).unwrap();
    }
    drop(a);
    assert_eq!(k.lease().records(), 100);
}

// ---- dev_t ----------------------------------------------------------------

#[test]
fn dev_t_encoding_is_freebsd_12s() {
    // sys/sys/types.h: __makedev / __major / __minor.
    assert_eq!(
        dev::makedev(0x1234_5678, 0x9abc_def0),
        0x1234_56de_9abc_78f0
    );
    assert_eq!(dev::makedev(0, 0x5d), 0x5d);
    assert_eq!(dev::makedev(1, 0), 0x100);
    for (major, minor) in [
        (0u32, 0u32),
        (0xff, 0xffff_ffff),
        (u32::MAX, 7),
        (0x100, 0x1_0000),
    ] {
        let d = dev::makedev(major, minor);
        assert_eq!((dev::major(d), dev::minor(d)), (major, minor));
    }
    // A devfs node's st_rdev is a small inode number: minor only.
    assert_eq!((dev::major(0x5d), dev::minor(0x5d)), (0, 0x5d));
}
