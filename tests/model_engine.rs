//! The public model API as a user or a fuzzer drives it.
#![cfg(feature = "model")]

use pidquery::model::xnu;
use pidquery::model::{proc_listpids, Call, Churn, Model};
use pidquery::{Errno, ErrorKind, Pid, PidBuf, PidQuery, MAX_ATTEMPTS};

#[test]
fn the_stand_in_without_a_model_is_enosys() {
    let mut pids = [0i32; 4];
    // SAFETY: `pids` is valid for 16 bytes.
    let ret = unsafe { proc_listpids(xnu::PROC_ALL_PIDS, 0, pids.as_mut_ptr().cast(), 16) };
    assert_eq!(ret, 0);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::ENOSYS)
    );
}

#[test]
fn nested_runs_serve_the_innermost_model_and_restore_the_outer() {
    let mut outer = Model::new();
    let mut inner = Model::empty();
    inner.apply(Churn::spawn(3).of(Pid::ZERO));
    let (a, b) = outer.run(|| {
        // SAFETY: NULL buffers are never written.
        let a = unsafe { proc_listpids(1, 0, std::ptr::null_mut(), 0) };
        // SAFETY: as above.
        let b = inner.run(|| unsafe { proc_listpids(1, 0, std::ptr::null_mut(), 0) });
        (a, b)
    });
    assert_eq!((a, b), ((2 + 20) * 4, (3 + 20) * 4));
    assert_eq!((outer.calls(), inner.calls()), (1, 1));
}

#[test]
fn a_panic_inside_run_gives_the_model_back() {
    let mut model = Model::new();
    model.apply(Churn::spawn(5));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        model.run(|| panic!("boom"));
    }));
    assert!(r.is_err());
    assert_eq!(model.nprocs(), 7);
}

#[test]
fn a_sustained_fork_storm_is_answered_exactly_or_raced() {
    let mut model = Model::new();
    model.record(true);
    let mut buf = PidBuf::<0>::default();
    for rate in [0u32, 5, 50, 500] {
        model.on_every_call(Call {
            before: Churn::spawn(rate),
            ..Call::QUIET
        });
        model.clear_observations();
        let got = model.fill(&PidQuery::all(), &mut buf).unwrap().len();
        let last = model
            .observations()
            .iter()
            .rev()
            .find(|o| o.buffer_pids.is_some())
            .unwrap();
        assert_eq!(got, last.live.len() + last.zombies.len());
    }
    // A storm that doubles the table before every list call cannot be
    // outgrown. A cold buffer's first kernel call is the size probe.
    let mut model = Model::new();
    for i in 0..MAX_ATTEMPTS {
        model.script(Call::QUIET);
        model.script(Call {
            before: Churn::spawn(40 << i),
            ..Call::QUIET
        });
    }
    let mut fresh = PidBuf::<0>::default();
    let err = model.fill(&PidQuery::all(), &mut fresh).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Raced {
            attempts: MAX_ATTEMPTS
        }
    );
    assert!(fresh.is_empty());
}

#[test]
fn an_injected_errno_surfaces_with_the_operation() {
    let mut model = Model::new();
    model.script(Call::failing(Errno::EPERM));
    let mut out = [Pid::ZERO; 8];
    let err = model.fill_slice(&PidQuery::all(), &mut out).unwrap_err();
    assert_eq!(
        (err.kind(), err.errno(), err.operation()),
        (ErrorKind::Os, Some(Errno::EPERM), "proc_listpids")
    );
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
}
