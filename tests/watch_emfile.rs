//! A poll that fails on a real `EMFILE` changes nothing: the watch still
//! reports the changes of the last poll that succeeded, and the next good
//! poll the changes since then.
//!
//! One test in its own binary: it lowers this process's descriptor limit,
//! which no other test may see.

#![cfg(target_os = "linux")]

mod support;

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;

use pidquery::{Change, Errno, ErrorKind, PidQuery, System, Watch};

/// Opens `/dev/null` until the descriptor table is full.
fn exhaust() -> Vec<OwnedFd> {
    let mut fds = Vec::new();
    while let Ok(file) = std::fs::File::open("/dev/null") {
        fds.push(OwnedFd::from(file));
        assert!(fds.len() < 4096, "the descriptor limit did not hold");
    }
    fds
}

#[test]
fn a_poll_failing_with_emfile_changes_nothing() {
    let system = System::live().expect("/proc");
    // A sleep leading a group of its own.
    let leader = support::Proc::spawn(support::quiet(support::sleep_command().process_group(0)));
    let group = leader.pid();
    let mut watch = Watch::new(PidQuery::pgrp(group));
    let mut tracked = Watch::new(PidQuery::pgrp(group)).track_reuse();
    let first: Vec<Change> = watch.poll_in(system).expect("poll").collect();
    assert_eq!(first, [Change::Born(group)]);
    assert_eq!(
        tracked.poll_in(system).expect("poll").collect::<Vec<_>>(),
        [Change::Born(group)]
    );
    // A second poll: nothing changed.
    for w in [&mut watch, &mut tracked] {
        assert!(w.poll_in(system).expect("poll").is_empty());
    }
    // Room for what is open now and a few more, then none.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid out-pointer.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0);
    let saved = limit;
    let probe = std::fs::File::open("/dev/null").expect("open");
    limit.rlim_cur = (probe.as_raw_fd() as libc::rlim_t + 8).min(limit.rlim_max);
    drop(probe);
    // SAFETY: a valid rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    let held = exhaust();
    for w in [&mut watch, &mut tracked] {
        for _ in 0..3 {
            let e = w
                .poll_in(system)
                .expect_err("a poll without descriptors fails");
            assert_eq!(e.kind(), ErrorKind::Os, "{e}");
            assert_eq!(e.errno(), Some(Errno::from_raw(libc::EMFILE)), "{e}");
            assert_eq!(w.current(), [group]);
            // Still the last good poll's changes: none.
            assert_eq!(w.changes().collect::<Vec<_>>(), []);
        }
    }
    drop(held);
    // SAFETY: a valid rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &saved) }, 0);
    // The group's leader is gone since the last good poll: a death, not
    // a birth of everything.
    leader.kill_and_reap();
    for w in [&mut watch, &mut tracked] {
        let changes: Vec<Change> = w.poll_in(system).expect("poll").collect();
        assert_eq!(changes, [Change::Died(group)]);
        assert!(w.current().is_empty());
    }
}
