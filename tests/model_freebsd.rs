//! The engine's FreeBSD path against the FreeBSD model: every filter
//! against the oracle under seeded race schedules, the sizing rules as the
//! engine meets them, the typed errors, and the worst-case number of calls
//! the adversary can force.
#![cfg(feature = "model")]

mod support;

use pidquery::model::freebsd::{consts, Call, Churn, Model, Pidhash, Walk};
use pidquery::{Dev, Errno, ErrorKind, Pid, PidBuf, PidQuery, MAX_ATTEMPTS};
use support::freebsd_check::{check_answer, check_ops, Stats, TTYS};

/// splitmix64: a tiny deterministic generator for schedules.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

/// A table with every attribute the filters look at, chosen at random:
/// sessions with terminals (one beyond a non-negative int), groups, uids
/// apart, zombies, threads.
fn rich_model(rng: &mut Rng, n: usize) -> Model {
    let mut model = Model::with_pidhash(Pidhash::for_maxproc(1024));
    model.seed(rng.next());
    for _ in 0..n {
        let live: Vec<Pid> = model
            .procs()
            .filter(|p| p.state == pidquery::model::freebsd::State::Normal)
            .map(|p| p.pid)
            .collect();
        let parent = live[rng.below(live.len() as u64) as usize];
        let child = model.spawn(parent).unwrap();
        match rng.below(6) {
            0 => {
                model.setsid(child);
                let dev = TTYS[rng.below(3) as usize];
                model.acquire_terminal(child, Some(dev));
            }
            1 => {
                model.setpgid(child, child);
            }
            _ => {}
        }
        let (u, r, t) = (
            rng.below(4) as u32,
            rng.below(4) as u32,
            rng.below(3) as u32 + 1,
        );
        model.update(child, |p| {
            p.uid = u;
            p.ruid = r;
            p.threads = t;
        });
        if rng.below(10) == 0 {
            model.exit(child);
        }
    }
    model
}

fn every_query(model: &Model, rng: &mut Rng) -> Vec<PidQuery> {
    let pids: Vec<Pid> = model.procs().map(|p| p.pid).collect();
    let mut some = || pids[rng.below(pids.len() as u64) as usize];
    vec![
        PidQuery::all(),
        PidQuery::pgrp(some()),
        PidQuery::ppid(some()),
        PidQuery::ppid(pid(1)),
        PidQuery::uid(1),
        PidQuery::ruid(2),
        PidQuery::tty(Dev::from_raw(TTYS[0])),
        PidQuery::tty(Dev::from_raw(TTYS[2])),
    ]
}

#[test]
fn seeded_race_schedules_never_lose_a_process_present_throughout() {
    let mut required = 0;
    let mut changed = 0;
    for seed in 0..24u64 {
        let mut rng = Rng(seed);
        let mut model = rich_model(&mut rng, 300);
        model.record(true);
        if seed % 4 == 3 {
            model.walk(Walk::Atomic);
        }
        let between = Churn {
            fork: rng.below(4) as u32,
            exit: rng.below(3) as u32,
            reap: rng.below(2) as u32,
            regroup: rng.below(3) as u32,
            setsid: rng.below(2) as u32,
            setuid: rng.below(3) as u32,
        };
        model.on_every_call(Call {
            between,
            ..Call::QUIET
        });
        let mut buf = PidBuf::new();
        for q in every_query(&model, &mut rng) {
            model.clear_observations();
            let got = model
                .fill(&q, &mut buf)
                .unwrap_or_else(|e| panic!("seed {seed}: {q:?}: {e}"))
                .to_vec();
            let walk = model
                .observations()
                .iter()
                .rev()
                .find(|o| o.fetched())
                .unwrap();
            changed += walk.after.iter().filter(|v| v.changed).count();
            required += check_answer(q.filter(), walk, &got)
                .unwrap_or_else(|e| panic!("seed {seed}: {q:?}: {e}"));
        }
    }
    // Not vacuous: many processes were required, and churn did touch some.
    assert!(required > 10_000, "{required}");
    assert!(changed > 100, "{changed}");
}

#[test]
fn random_operation_sequences_pass_the_checker() {
    let mut total = Stats::default();
    for seed in 0..160u64 {
        let mut rng = Rng(seed.wrapping_mul(0x1234_5678_9abc));
        let len = 200 + rng.below(600) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let s = check_ops(&bytes).unwrap_or_else(|v| panic!("seed {seed}: {v}"));
        total.complete += s.complete;
        total.required += s.required;
        total.truncated += s.truncated;
        total.failed += s.failed;
        total.wiring += s.wiring;
        total.short += s.short;
        total.changed += s.changed;
        total.max_fetches = total.max_fetches.max(s.max_fetches);
    }
    assert!(
        total.complete > 500
            && total.required > 1000
            && total.truncated > 0
            && total.failed > 0
            && total.wiring > 0
            && total.short > 0
            && total.changed > 0,
        "the sequences no longer reach every outcome: {total:?}"
    );
    assert!(total.max_fetches <= MAX_ATTEMPTS);
}

// ---- sizing, as the engine meets it ---------------------------------------

#[test]
fn the_probe_is_the_kernels_count_of_matches() {
    let mut model = Model::new();
    let a = model.spawn(pid(1)).unwrap();
    model.setpgid(a, a);
    for _ in 0..3 {
        model.spawn(a);
    }
    // pgrp a: a and its three children. The kernel answers (matches + 5)
    // records; the estimate is the count.
    model.record(true);
    assert_eq!(model.probe(&PidQuery::pgrp(a)).unwrap(), 4);
    let last = model.observations().last().unwrap().clone();
    assert_eq!(last.result, Ok((4 + 5) * consts::KINFO_PROC_SIZE));
    assert_eq!(model.probe(&PidQuery::uid(4242)).unwrap(), 0);
    // ppid has no kernel filter: the whole table.
    assert_eq!(model.probe(&PidQuery::ppid(a)).unwrap(), 6);
    model.record(false);
    model.clear_observations();
    // tty(NODEV) asks nothing.
    model.record(true);
    assert_eq!(
        model
            .probe(&PidQuery::tty(Dev::from_raw(consts::NODEV)))
            .unwrap(),
        0
    );
    assert!(model.observations().is_empty());
}

#[test]
fn a_slice_of_exactly_the_answer_is_complete() {
    let mut model = Model::new();
    let a = model.spawn(pid(1)).unwrap();
    for _ in 0..4 {
        model.spawn(a);
    }
    let mut exact = [Pid::ZERO; 4];
    assert_eq!(model.fill_slice(&PidQuery::ppid(a), &mut exact).unwrap(), 4);
    let mut exact = [Pid::ZERO; 7];
    assert_eq!(model.fill_slice(&PidQuery::all(), &mut exact).unwrap(), 7);
    assert!(exact.windows(2).all(|w| w[0] < w[1]));
    let mut short = [Pid::ZERO; 6];
    let err = model.fill_slice(&PidQuery::all(), &mut short).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Truncated { needed } if needed >= 7));
}

#[test]
fn growth_beyond_the_probes_slack_is_fetched_again_never_cut_short() {
    let mut model = Model::with_pidhash(Pidhash {
        mask: 63,
        stripes: 4,
    });
    for _ in 0..20 {
        model.spawn(pid(1));
    }
    model.record(true);
    // The engine's probe, the backend's probe, then a fetch during which
    // 3 × 10 forks land between stripes: more than the +5 and the headroom
    // for some, so the fetch can come back short; it is never parsed.
    model.script(Call::QUIET);
    model.script(Call::QUIET);
    model.script(Call {
        between: Churn::fork(10),
        ..Call::QUIET
    });
    let mut buf = PidBuf::<0>::default();
    let got = model.fill(&PidQuery::all(), &mut buf).unwrap().to_vec();
    let obs = model.observations();
    let walk = obs.iter().rev().find(|o| o.fetched()).unwrap();
    check_answer(pidquery::Filter::All, walk, &got).unwrap();
    // Short fetches are followed by a probe, never by an answer.
    for pair in obs.windows(2) {
        if pair[0].result == Err(Errno::ENOMEM) {
            assert_eq!(pair[1].oldlen, None, "{:?}", pair[1]);
        }
    }
    // A roomy slice is never Truncated by the race.
    model.script(Call {
        between: Churn::fork(10),
        ..Call::QUIET
    });
    let mut room = vec![Pid::ZERO; 500];
    let n = model.fill_slice(&PidQuery::all(), &mut room).unwrap();
    assert!(n > got.len());
}

#[test]
fn the_wiring_limit_is_a_typed_error_after_one_fetch() {
    let mut model = Model::new();
    for _ in 0..40 {
        model.spawn(pid(1));
    }
    model.max_wired(Some(16 * consts::KINFO_PROC_SIZE));
    model.record(true);
    let err = model
        .fill(&PidQuery::all(), &mut PidBuf::new())
        .unwrap_err();
    let ErrorKind::WiringLimit { bytes } = err.kind() else {
        panic!("{err:?}");
    };
    assert!(bytes > 16 * consts::KINFO_PROC_SIZE);
    assert_eq!(err.errno(), Some(Errno::ENOMEM));
    assert_eq!(err.operation(), "kern.proc.proc");
    let fetches = model
        .observations()
        .iter()
        .filter(|o| o.oldlen.is_some())
        .count();
    assert_eq!(fetches, 1, "the wiring limit is not a reason to loop");
    // A kernel filter passes one record more than the slots: a small
    // answer into a small buffer fits under the limit.
    let a = model.spawn(pid(1)).unwrap();
    model.setpgid(a, a);
    model.spawn(a);
    let mut buf = PidBuf::<8>::default();
    assert_eq!(model.fill(&PidQuery::pgrp(a), &mut buf).unwrap().len(), 2);
}

#[test]
fn kernel_errors_are_typed_and_name_the_node() {
    let mut model = Model::new();
    model.capability_mode(true);
    let err = model
        .fill(&PidQuery::uid(0), &mut PidBuf::new())
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.errno()),
        (ErrorKind::Os, Some(Errno::EPERM))
    );
    assert_eq!(err.operation(), "kern.proc.uid");
    // The probe alone still answers in capability mode.
    assert_eq!(model.probe(&PidQuery::uid(0)).unwrap(), 2);
    model.capability_mode(false);
    model.script(Call::failing(Errno::from_raw(libc::EFAULT)));
    let mut buf = PidBuf::new();
    let err = model.fill(&PidQuery::ppid(pid(1)), &mut buf).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::from_raw(libc::EFAULT)));
    assert_eq!(err.operation(), "kern.proc.proc");
    assert!(buf.is_empty());
    // EINTR is retried.
    model.script(Call::failing(Errno::EINTR));
    model.script(Call::failing(Errno::EINTR));
    assert_eq!(model.fill(&PidQuery::all(), &mut buf).unwrap().len(), 2);
}

#[test]
fn the_raw_stand_in_follows_the_sysctl_convention() {
    use pidquery::model::freebsd::sysctl;
    let proc_ = [consts::CTL_KERN, consts::KERN_PROC, consts::KERN_PROC_PROC];
    let mut len = 0usize;
    // No model installed: ENOSYS.
    // SAFETY: NULL buffer; `proc_` and `len` are live.
    let rc = unsafe {
        sysctl(
            proc_.as_ptr(),
            3,
            std::ptr::null_mut(),
            &mut len,
            std::ptr::null(),
            0,
        )
    };
    assert_eq!(
        (rc, std::io::Error::last_os_error().raw_os_error()),
        (-1, Some(libc::ENOSYS))
    );
    let mut model = Model::new();
    // A NULL mib: EFAULT; a new value: EPERM (the nodes are read-only).
    let rc = model.run(|| {
        // SAFETY: a NULL mib is never read; `len` is live.
        unsafe {
            sysctl(
                std::ptr::null(),
                3,
                std::ptr::null_mut(),
                &mut len,
                std::ptr::null(),
                0,
            )
        }
    });
    assert_eq!(
        (rc, std::io::Error::last_os_error().raw_os_error()),
        (-1, Some(libc::EFAULT))
    );
    let one = 1i32;
    let rc = model.run(|| {
        // SAFETY: `one` is live for 4 bytes; NULL old buffer.
        unsafe {
            sysctl(
                proc_.as_ptr(),
                3,
                std::ptr::null_mut(),
                &mut len,
                (&one as *const i32).cast(),
                4,
            )
        }
    });
    assert_eq!(
        (rc, std::io::Error::last_os_error().raw_os_error()),
        (-1, Some(libc::EPERM))
    );
    // A NULL oldlenp with a buffer: a zero-length buffer, ENOMEM.
    let mut buf = [0u8; 16];
    let rc = model.run(|| {
        // SAFETY: `buf` is live; a NULL `oldlenp` is never touched.
        unsafe {
            sysctl(
                proc_.as_ptr(),
                3,
                buf.as_mut_ptr().cast(),
                std::ptr::null_mut(),
                std::ptr::null(),
                0,
            )
        }
    });
    assert_eq!(
        (rc, std::io::Error::last_os_error().raw_os_error()),
        (-1, Some(libc::ENOMEM))
    );
    assert_eq!(buf, [0u8; 16]);
}

// ---- the worst case ----------------------------------------------------------

/// The engine's growth rule, for predicting the backend's scratch.
fn grow(capacity: usize, needed: usize) -> usize {
    (capacity * 2).max(needed + needed / 8 + 16)
}

/// A table that keeps just outgrowing the scratch: before each of the
/// backend's probes, enough forks that the next fetch finds one record
/// more than it passes (and the probe, which runs while they are still
/// `New`, misses them). The fill spends the whole budget: exactly
/// `MAX_ATTEMPTS` fetches, each at least double the last, one probe before
/// each (the first sizes the cold scratch), then `Raced`.
#[test]
fn the_inner_loop_spends_exactly_the_budget_then_is_raced() {
    let mut model = Model::with_pidhash(Pidhash {
        mask: 4095,
        stripes: 64,
    });
    model.reserve(8000);
    model.record(true);
    // Calls: the engine's estimate (PidBuf<0>), then per attempt a probe
    // and a fetch. Table: 2 processes.
    let mut table = 2usize;
    model.script(Call::QUIET);
    let mut pass = 0;
    for attempt in 0..MAX_ATTEMPTS {
        // The probe sees `table`; the scratch becomes grow(pass, table + 5).
        pass = grow(pass, table + consts::PROBE_SLACK);
        let forks = pass + 1 - table;
        model.script(Call {
            before: Churn::fork(forks as u32),
            ..Call::QUIET
        });
        model.script(Call::QUIET);
        table = pass + 1;
        let _ = attempt;
    }
    let mut buf = PidBuf::<0>::default();
    let err = model.fill(&PidQuery::ppid(pid(1)), &mut buf).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Raced {
            attempts: MAX_ATTEMPTS
        }
    );
    let obs = model.observations();
    let fetches: Vec<usize> = obs.iter().filter_map(|o| o.oldlen).collect();
    assert_eq!(fetches.len(), MAX_ATTEMPTS as usize);
    assert!(fetches.windows(2).all(|w| w[1] >= 2 * w[0]), "{fetches:?}");
    assert!(obs
        .iter()
        .filter(|o| o.oldlen.is_some())
        .all(|o| o.result == Err(Errno::ENOMEM)));
    // One budget: the estimate, the cold scratch's probe, then per
    // attempt a fetch and, as it came back short, a probe.
    assert_eq!(obs.len(), 2 + 2 * MAX_ATTEMPTS as usize);
}

/// Adversaries of every shape — forks before calls and between stripes,
/// exponential or steady, for kernel filters and table queries, cold and
/// warm buffers — never push a fill past `MAX_ATTEMPTS`² fetches, and the
/// worst of them makes no more calls than the bound the docs give.
#[test]
fn no_adversary_pushes_a_fill_past_the_bounds() {
    let mut worst = (0usize, 0usize);
    for (shape, query) in [
        (0u32, PidQuery::all()),
        (1, PidQuery::all()),
        (2, PidQuery::ppid(pid(1))),
        (3, PidQuery::uid(0)),
        (4, PidQuery::pgrp(pid(1))),
        (5, PidQuery::descendants(pid(1))),
    ] {
        for base in [1u32, 3, 7, 15] {
            let mut model = Model::with_pidhash(Pidhash {
                mask: 1023,
                stripes: 16,
            });
            model.record(true);
            let mut total = 0u32;
            for k in 0..40u32 {
                // Doubling every other call, up to about 6000 processes.
                let n = base
                    .saturating_mul(1 << (k / 2).min(8))
                    .min(6000u32.saturating_sub(total));
                total += if matches!(shape, 1 | 3) {
                    15 * n.min(64)
                } else {
                    n
                };
                let call = match shape {
                    0 => Call {
                        before: Churn::fork(n),
                        ..Call::QUIET
                    },
                    1 | 3 => Call {
                        between: Churn::fork(n.min(64)),
                        ..Call::QUIET
                    },
                    _ => Call {
                        before: Churn::fork(n),
                        between: Churn {
                            fork: base,
                            exit: 1,
                            reap: 1,
                            ..Churn::NONE
                        },
                        ..Call::QUIET
                    },
                };
                model.script(call);
            }
            for cold in [true, false] {
                model.clear_observations();
                let got = if cold {
                    model
                        .fill(&query, &mut PidBuf::<0>::default())
                        .map(|p| p.len())
                } else {
                    model
                        .fill(&query, &mut PidBuf::<64>::default())
                        .map(|p| p.len())
                };
                if let Err(e) = &got {
                    assert!(matches!(e.kind(), ErrorKind::Raced { .. }), "{e:?}");
                }
                let obs = model.observations();
                let fetches = obs.iter().filter(|o| o.oldlen.is_some()).count();
                // One budget: MAX_ATTEMPTS fetches in all, each followed by
                // at most one probe; before them, the engine's estimate and
                // the cold scratch's probe.
                assert!(fetches <= MAX_ATTEMPTS as usize, "{fetches} fetches");
                let bound = (2 * MAX_ATTEMPTS + 2) as usize;
                assert!(obs.len() <= bound, "{} calls > {bound}", obs.len());
                worst = worst.max((obs.len(), fetches));
            }
        }
    }
    // The whole budget is reached by these shapes too.
    println!("worst fill: {} calls, {} fetches", worst.0, worst.1);
    assert!(worst.1 >= MAX_ATTEMPTS as usize, "{worst:?}");
}
