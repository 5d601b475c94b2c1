//! The model against a naive oracle, and the engine's xnu path under
//! adversarial races.

use super::*;
#[macro_use]
#[path = "../../../tests/support/ops_check.rs"]
mod ops_check;
#[path = "../../../tests/support/model_check.rs"]
mod check;
use super::xnu;
use crate::{Dev, Errno, ErrorKind, Filter, Pid, PidBuf, PidQuery, MAX_ATTEMPTS};
use check::{check_ops, oracle, Stats};

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
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

fn pid(raw: i32) -> Pid {
    Pid::from_raw(raw).unwrap()
}

const TTY_A: Dev = Dev::from_raw(0x1000_0001);
const TTY_B: Dev = Dev::from_raw(0x1000_0002);

/// A table with every attribute the predicates look at, chosen at random.
fn rich_model(rng: &mut Rng, n: usize) -> Model {
    let mut model = Model::new();
    for _ in 0..n {
        let parent = {
            let all: Vec<Pid> = model.live().map(|p| p.pid).collect();
            all[rng.below(all.len() as u64) as usize]
        };
        let child = model.spawn(parent);
        let p = model.get_mut(child).unwrap();
        if rng.chance(3) {
            p.pgid = parent;
        }
        p.uid = rng.below(3) as u32;
        p.ruid = rng.below(3) as u32;
        match rng.below(5) {
            0 => *p = p.clone().with_terminal(TTY_A),
            1 => *p = p.clone().with_terminal(TTY_B),
            2 => p.tty = Some(TTY_A), // session tty, but no P_CONTROLT
            _ => {}
        }
        p.pgrp_detached = rng.chance(8);
        p.kdebug = rng.chance(6);
        p.shadow = rng.chance(15);
        if rng.chance(6) {
            let tracer = pid(1);
            model.trace(child, tracer);
        }
        if rng.chance(5) {
            model.exit(child);
        }
    }
    model
}

/// Every filter and argument worth asking of `model`.
fn queries(model: &Model) -> Vec<PidQuery> {
    let mut qs = vec![PidQuery::all()];
    for p in model.live().chain(model.zombies()) {
        qs.push(PidQuery::pgrp(p.pid));
        qs.push(PidQuery::ppid(p.pid));
    }
    qs.push(PidQuery::ppid(pid(31_000))); // nobody's parent
    for d in [TTY_A, TTY_B, Dev::from_raw(0x1000_0003)] {
        qs.push(PidQuery::tty(d));
    }
    for u in 0..4 {
        qs.push(PidQuery::uid(u));
        qs.push(PidQuery::ruid(u));
    }
    qs
}

/// Filters the live table directly: a second oracle that needs no
/// observation.
fn direct(model: &Model, filter: Filter) -> Vec<Pid> {
    model
        .live()
        .chain(model.zombies())
        .filter(|p| !p.shadow)
        .filter(|p| match filter {
            Filter::All => true,
            Filter::Pgrp(g) => p.pgid == g,
            Filter::Tty(d) => p.controlling_terminal && (p.pgrp_detached || p.tty == Some(d)),
            Filter::Uid(u) => p.uid == u,
            Filter::Ruid(u) => p.ruid == u,
            Filter::Ppid(pp) => p.ppid == pp || p.traced_from == Some(pp),
            // Not a per-process test: `tests/model_tree.rs` checks it.
            Filter::Descendants(_) => panic!("descendants has no per-process predicate"),
        })
        .map(|p| p.pid)
        .collect()
}

#[test]
fn model_matches_the_oracle_for_every_type() {
    let mut rng = Rng(1);
    for round in 0..20 {
        let mut model = rich_model(&mut rng, 10 + round * 15);
        model.record(true);
        let mut buf = PidBuf::<4>::default();
        for q in queries(&model) {
            model.clear_observations();
            let got = model.fill(&q, &mut buf).unwrap().to_vec();
            let last = model.observations().last().unwrap();
            assert_eq!(got, oracle(Some(q.filter()), last), "{q:?}");
            assert_eq!(got, direct(&model, q.filter()), "{q:?}");
        }
    }
}

#[test]
fn tty_needs_a_controlling_terminal_and_matches_any_device_without_a_pgrp() {
    let mut model = Model::new();
    let with = model.spawn(pid(1));
    let without = model.spawn(pid(1));
    let detached = model.spawn(pid(1));
    *model.get_mut(with).unwrap() = Proc::new(with).with_terminal(TTY_A);
    model.get_mut(without).unwrap().tty = Some(TTY_A);
    let p = model.get_mut(detached).unwrap();
    *p = Proc::new(detached).with_terminal(TTY_B);
    p.pgrp_detached = true;
    let mut buf = PidBuf::new();
    assert_eq!(
        model.fill(&PidQuery::tty(TTY_A), &mut buf).unwrap(),
        [detached, with]
    );
    assert_eq!(
        model.fill(&PidQuery::tty(TTY_B), &mut buf).unwrap(),
        [detached]
    );
    // No P_CONTROLT: never, even with a detached pgrp.
    let p = model.get_mut(detached).unwrap();
    p.controlling_terminal = false;
    assert_eq!(model.fill(&PidQuery::tty(TTY_B), &mut buf).unwrap(), []);
}

#[test]
fn ppid_also_matches_the_original_parent_of_a_traced_process() {
    let mut model = Model::new();
    let parent = model.spawn(pid(1));
    let tracer = model.spawn(pid(1));
    let child = model.spawn(parent);
    assert!(model.trace(child, tracer));
    let mut buf = PidBuf::new();
    assert_eq!(
        model.fill(&PidQuery::ppid(parent), &mut buf).unwrap(),
        [child]
    );
    assert_eq!(
        model.fill(&PidQuery::ppid(tracer), &mut buf).unwrap(),
        [child]
    );
}

#[test]
fn live_newest_first_pid0_last_then_zombies_latest_exit_first() {
    let mut model = Model::new();
    let a = model.spawn(pid(1));
    let b = model.spawn(pid(1));
    let c = model.spawn(pid(1));
    let d = model.spawn(pid(1));
    model.exit(a);
    model.exit(c);
    let mut buf = PidBuf::new();
    let all = model.fill(&PidQuery::all(), &mut buf).unwrap();
    assert_eq!(all, [d, b, pid(1), Pid::ZERO, c, a]);
    assert_eq!(
        model.fill(&PidQuery::uid(0), &mut buf).unwrap(),
        all_of(&model)
    );
    // Reaped zombies vanish; a reparented child follows pid 1.
    model.reap(c);
    let e = model.spawn(b);
    model.exit(b);
    assert_eq!(model.get(e).unwrap().ppid, pid(1));
    assert_eq!(
        model.fill(&PidQuery::all(), &mut buf).unwrap(),
        [e, d, pid(1), Pid::ZERO, b, a]
    );
}

fn all_of(model: &Model) -> Vec<Pid> {
    model.live().chain(model.zombies()).map(|p| p.pid).collect()
}

#[test]
fn zombies_are_cut_first_when_the_buffer_is_short() {
    let mut model = Model::new();
    let a = model.spawn(pid(1));
    model.exit(a);
    // Room for the two live processes only: the zombie walk never starts.
    let mut bytes = [0u8; 8];
    let (ret, _) = model.proc_listpids(xnu::PROC_ALL_PIDS, 0, Some(&mut bytes));
    assert_eq!(ret, 8);
    let pids: Vec<i32> = bytes
        .chunks(4)
        .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(pids, [1, 0]);
}

#[test]
fn unknown_types_list_nothing_and_kdbg_lists_kdebug_processes() {
    let mut model = Model::new();
    let traced = model.spawn(pid(1));
    model.get_mut(traced).unwrap().kdebug = true;
    let mut bytes = [0u8; 64];
    for kind in [0, 8, 99, u32::MAX] {
        assert_eq!(
            model.proc_listpids(kind, 0, Some(&mut bytes)),
            (0, Errno::from_raw(0))
        );
    }
    let (ret, errno) = model.proc_listpids(xnu::PROC_KDBG_ONLY, 0, Some(&mut bytes));
    assert_eq!((ret, errno), (4, Errno::from_raw(0)));
    assert_eq!(
        i32::from_ne_bytes(bytes[..4].try_into().unwrap()),
        traced.as_raw()
    );
}

#[test]
fn under_four_bytes_is_enomem_and_four_is_one_pid() {
    let mut model = Model::new();
    for len in 0..4 {
        let mut bytes = vec![0u8; len];
        assert_eq!(
            model.proc_listpids(xnu::PROC_ALL_PIDS, 0, Some(&mut bytes)),
            (0, Errno::ENOMEM)
        );
    }
    let mut bytes = [0u8; 7];
    assert_eq!(
        model
            .proc_listpids(xnu::PROC_ALL_PIDS, 0, Some(&mut bytes))
            .0,
        4
    );
}

#[test]
fn null_probe_is_nprocs_plus_20_for_every_type_counting_zombies_and_shadows() {
    let mut model = Model::new();
    let z = model.spawn(pid(1));
    model.exit(z);
    let s = model.spawn(pid(1));
    model.get_mut(s).unwrap().shadow = true;
    assert_eq!(model.nprocs(), 4);
    for kind in [1, 2, 3, 4, 5, 6, 7, 99] {
        assert_eq!(
            model.proc_listpids(kind, 12345, None),
            ((4 + 20) * 4, Errno::from_raw(0))
        );
    }
    // The shadow is counted, never listed.
    let mut buf = PidBuf::new();
    assert!(!model.fill(&PidQuery::all(), &mut buf).unwrap().contains(&s));
    assert_eq!(model.probe(&PidQuery::all()).unwrap(), 24);
}

#[test]
fn sandbox_denial_is_a_typed_error_and_leaves_the_buffer_empty() {
    let mut model = Model::new();
    let mut buf = PidBuf::new();
    model.fill(&PidQuery::all(), &mut buf).unwrap();
    model.deny(Some(Errno::EPERM));
    let err = model.fill(&PidQuery::all(), &mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Os);
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert_eq!(err.operation(), "proc_listpids");
    assert!(buf.is_empty());
    let mut out = [Pid::ZERO; 8];
    assert_eq!(
        model
            .fill_slice(&PidQuery::all(), &mut out)
            .unwrap_err()
            .errno(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        model.probe(&PidQuery::all()).unwrap_err().errno(),
        Some(Errno::EPERM)
    );
    model.deny(None);
    assert_eq!(model.fill(&PidQuery::all(), &mut buf).unwrap().len(), 2);
}

#[test]
fn eintr_is_retried_other_errors_are_not() {
    let mut model = Model::new();
    model.script(Call::failing(Errno::EINTR));
    model.script(Call::failing(Errno::EINTR));
    let mut buf = PidBuf::new();
    assert_eq!(model.fill(&PidQuery::all(), &mut buf).unwrap().len(), 2);
    assert_eq!(model.calls(), 3);
    model.script(Call::failing(Errno::ENOMEM));
    let err = model.fill(&PidQuery::all(), &mut buf).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOMEM));
    assert_eq!(model.calls(), 4);
}

#[test]
fn a_buffer_exactly_full_of_answers_is_not_taken_as_complete() {
    let mut model = Model::new();
    model.record(true);
    // 64 processes in all: exactly PidBuf's inline capacity.
    model.apply(Churn::spawn(62));
    let mut buf = PidBuf::new();
    assert_eq!(buf.capacity(), 64);
    let all = model.fill(&PidQuery::all(), &mut buf).unwrap().to_vec();
    assert_eq!(all.len(), 64);
    let lists: Vec<_> = model
        .observations()
        .iter()
        .filter(|o| o.buffer_pids.is_some())
        .collect();
    assert_eq!(
        lists.len(),
        2,
        "the first, exactly full, answer must be re-asked"
    );
    assert_eq!(lists[0].result, Ok(64 * 4));
    // A slice of exactly the answer's size cannot prove it complete either.
    let mut out = vec![Pid::ZERO; 64];
    let err = model.fill_slice(&PidQuery::all(), &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 64 + 20 });
    let mut out = vec![Pid::ZERO; 65];
    assert_eq!(model.fill_slice(&PidQuery::all(), &mut out).unwrap(), 64);
    // An empty slice is asked about with one slot (then the estimate)...
    let before = model.calls();
    let err = model.fill_slice(&PidQuery::all(), &mut []).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Truncated { needed: 84 });
    assert_eq!(model.calls(), before + 2);
    // ... so that an empty answer fits it.
    let nobody = PidQuery::ppid(Pid::from_raw(999_999).unwrap());
    assert_eq!(model.fill_slice(&nobody, &mut []).unwrap(), 0);
}

/// Runs one fill under the current schedule and checks it: complete and
/// exact at the instant of the last list call, or `Raced` after exactly
/// `MAX_ATTEMPTS` full answers. Returns the list calls made, or `None` when
/// it raced.
fn checked_fill<const N: usize>(
    model: &mut Model,
    q: &PidQuery,
    buf: &mut PidBuf<N>,
) -> Option<u32> {
    model.clear_observations();
    let got = model.fill(q, buf).map(<[Pid]>::to_vec);
    let lists: Vec<Observation> = model
        .observations()
        .iter()
        .filter(|o| o.buffer_pids.is_some())
        .cloned()
        .collect();
    assert!(lists.len() as u32 <= MAX_ATTEMPTS);
    match got {
        Ok(list) => {
            let last = lists.last().unwrap();
            let want = oracle(Some(q.filter()), last);
            assert!(!last.cut_by_estimate());
            assert_eq!(list, want, "not the answer at the instant of the last call");
            assert!(list.len() < last.buffer_pids.unwrap());
            Some(lists.len() as u32)
        }
        Err(e) => {
            assert_eq!(
                e.kind(),
                ErrorKind::Raced {
                    attempts: MAX_ATTEMPTS
                }
            );
            assert_eq!(lists.len() as u32, MAX_ATTEMPTS);
            for o in &lists {
                assert_eq!(
                    o.result,
                    Ok(o.buffer_pids.unwrap() * 4),
                    "raced on a call that was not full"
                );
            }
            assert!(buf.is_empty());
            None
        }
    }
}

#[test]
fn engine_is_exact_under_random_fork_races() {
    let mut raced = 0;
    let mut max_attempts = 0;
    for seed in 0..300u64 {
        let mut rng = Rng(seed);
        let size = rng.below(80) as usize;
        let mut model = rich_model(&mut rng, size);
        model.record(true);
        let mut small = PidBuf::<0>::default();
        let mut buf = PidBuf::new();
        for _ in 0..6 {
            for _ in 0..rng.below(20) {
                let parent = *all_of(&model)
                    .get(rng.below(model.nprocs() as u64) as usize)
                    .unwrap();
                // At most 20 forks *during* a call: the kernel's slack, so
                // no answer may be short.
                let churn = |rng: &mut Rng, max: u64| Churn {
                    spawn: rng.below(max) as u32,
                    parent,
                    exit: rng.below(4) as u32,
                    reap: rng.below(3) as u32,
                };
                let max = if rng.chance(4) { 400 } else { 40 };
                let before = churn(&mut rng, max);
                let during = churn(&mut rng, 21);
                model.script(Call {
                    before,
                    during,
                    fail: None,
                });
            }
            let qs = queries(&model);
            let q = qs[rng.below(qs.len() as u64) as usize];
            let r = if rng.chance(2) {
                checked_fill(&mut model, &q, &mut small)
            } else {
                checked_fill(&mut model, &q, &mut buf)
            };
            match r {
                Some(a) => max_attempts = max_attempts.max(a),
                None => raced += 1,
            }
            model.clear_schedule();
            if model.nprocs() > 3000 {
                break;
            }
        }
    }
    println!("random races: {raced} raced, most list calls in one fill: {max_attempts}");
    assert!(max_attempts >= 3, "the schedules should force retries");
}

#[test]
fn at_most_20_forks_during_a_call_never_cut_the_answer_and_21_can() {
    for during in 0..=30u32 {
        let mut model = Model::new();
        model.record(true);
        model.script(Call {
            during: Churn::spawn(during),
            ..Call::QUIET
        });
        let mut buf = PidBuf::with_capacity(1000);
        let got = model.fill(&PidQuery::all(), &mut buf).unwrap().len();
        let total = 2 + during as usize;
        let obs = &model.observations()[0];
        if during <= 20 {
            assert_eq!(got, total);
            assert!(!obs.cut_by_estimate());
        } else {
            // The undetectable case: the list stops at nprocs + 20 = 22
            // while the buffer had room for 1000.
            assert_eq!(got, 22);
            assert!(obs.cut_by_estimate());
        }
    }
}

#[test]
fn a_table_that_outgrows_doubling_ends_raced_not_short() {
    let mut model = Model::new();
    model.apply(Churn::spawn(100));
    let mut buf = PidBuf::new();
    // Before every call the table more than doubles.
    for i in 0..30u32 {
        let n = 300u32 << (i / 2).min(10);
        model.script(Call {
            before: Churn::spawn(n / 2),
            ..Call::QUIET
        });
    }
    model.record(true);
    assert_eq!(checked_fill(&mut model, &PidQuery::all(), &mut buf), None);
    // Warm and quiet again: one call.
    model.clear_schedule();
    assert_eq!(
        checked_fill(&mut model, &PidQuery::all(), &mut buf),
        Some(1)
    );
}

/// Attempts a fill needs when `r` processes are born before every kernel
/// call (probe or list), starting from a warm buffer of `start` pids and a
/// table of `table` processes. `None` when it raced.
fn attempts_under_constant_races(
    table: u32,
    start: usize,
    r: u32,
    when: fn(u32) -> Call,
) -> Option<u32> {
    let mut model = Model::new();
    model.apply(Churn::spawn(table));
    model.record(true);
    let mut buf = PidBuf::<0>::default();
    buf.reserve(start);
    model.on_every_call(when(r));
    checked_fill(&mut model, &PidQuery::all(), &mut buf)
}

#[test]
fn worst_case_attempts_versus_races_per_call() {
    let before = |r| Call {
        before: Churn::spawn(r),
        ..Call::QUIET
    };
    let during = |r: u32| Call {
        before: Churn::spawn(r.saturating_sub(20)),
        during: Churn::spawn(r.min(20)),
        ..Call::QUIET
    };
    let mut worst = (0, 0, 0);
    println!("races/call  attempts(before)  attempts(before+during≤20)  [table 0..5000, warm 64]");
    for r in [
        0u32, 1, 10, 20, 30, 40, 50, 64, 100, 200, 500, 1000, 2000, 5000,
    ] {
        let mut most = [0u32; 2];
        for (i, when) in [before as fn(u32) -> Call, during].into_iter().enumerate() {
            for table in [0u32, 10, 100, 1000, 5000] {
                let a = attempts_under_constant_races(table, 64, r, when)
                    .expect("a constant race rate must not exhaust the budget");
                most[i] = most[i].max(a);
                if a > worst.0 {
                    worst = (a, r, table);
                }
            }
        }
        println!("{r:>10}  {:>16}  {:>26}", most[0], most[1]);
    }
    println!(
        "worst: {} list calls at {} races/call, table {}",
        worst.0, worst.1, worst.2
    );
    // Growth is at least ×2 per call plus the probe's 1/8 headroom, against
    // a linear 2r per attempt: a constant rate is outgrown within 5 calls.
    assert!(worst.0 <= 5, "{worst:?}");
    assert!(worst.0 >= 3, "the search should find a multi-retry pattern");
}

#[test]
fn zero_allocation_shape_warm_buffers_make_one_call() {
    let mut model = Model::new();
    model.apply(Churn::spawn(500));
    let mut buf = PidBuf::new();
    model.fill(&PidQuery::all(), &mut buf).unwrap();
    let cap = buf.capacity();
    let calls = model.calls();
    for _ in 0..10 {
        model.fill(&PidQuery::all(), &mut buf).unwrap();
    }
    assert_eq!(model.calls(), calls + 10, "a warm fill is one kernel call");
    assert_eq!(buf.capacity(), cap, "a warm fill does not grow the buffer");
}

#[test]
fn random_operation_sequences_pass_the_checker() {
    let mut total = Stats::default();
    for seed in 0..400u64 {
        let mut rng = Rng(seed ^ 0xfeed);
        let len = rng.below(400) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let s = check_ops(&bytes).unwrap_or_else(|v| panic!("seed {seed}: {v}"));
        total.queries += s.queries;
        total.complete += s.complete;
        total.raced += s.raced;
        total.truncated += s.truncated;
        total.failed += s.failed;
        total.cut_by_estimate += s.cut_by_estimate;
    }
    assert!(
        total.complete > 100 && total.truncated > 10 && total.failed > 10,
        "{total:?}"
    );
}

/// The checked-in seed corpus of the `engine_ops` fuzz target, replayed on
/// stable through the same checker.
#[test]
fn minimal_adversary_needs_doubling_births_to_force_each_retry() {
    let warm = 64usize;
    println!("list call  births before it  table (= buffer)");
    for target in 1..=MAX_ATTEMPTS + 1 {
        let mut model = Model::new();
        model.record(true);
        let mut buf = PidBuf::<0>::default();
        buf.reserve(warm);
        let (mut n, mut cap) = (model.nprocs(), warm);
        let mut births = Vec::new();
        for k in 1..=MAX_ATTEMPTS {
            // Full answers for the first `target - 1` calls, then one short.
            let need = (cap.saturating_sub(n) as u32).saturating_sub(u32::from(k >= target));
            births.push(need);
            n += need as usize;
            model.script(Call {
                before: Churn::spawn(need),
                ..Call::QUIET
            });
            model.script(Call::QUIET); // the probe after a full answer
            cap = crate::sys::growth::grow(cap, n + xnu::LISTPIDS_SLACK);
        }
        let got = checked_fill(&mut model, &PidQuery::all(), &mut buf);
        if target > MAX_ATTEMPTS {
            assert_eq!(got, None, "a full answer on every call must end Raced");
            let mut table = 2;
            for (k, b) in births.iter().enumerate() {
                table += *b as usize;
                println!("{:>9}  {:>15}  {:>5}", k + 1, b, table);
            }
            // Each forcing step needs at least twice the births of the
            // one before it (the buffer at least doubles), after the first.
            for w in births.windows(2).skip(1) {
                assert!(w[1] >= 2 * w[0], "{births:?}");
            }
        } else {
            assert_eq!(got, Some(target), "births {births:?}");
        }
    }
}

#[test]
fn a_zero_capacity_buffer_starts_from_the_estimate_not_an_empty_call() {
    let mut model = Model::new();
    model.apply(Churn::spawn(100));
    model.record(true);
    let mut buf = PidBuf::<0>::default();
    assert_eq!(model.fill(&PidQuery::all(), &mut buf).unwrap().len(), 102);
    let obs = model.observations();
    assert_eq!(obs.len(), 2);
    assert_eq!(obs[0].buffer_pids, None, "the probe comes first");
    assert_eq!(obs[1].buffer_pids, Some(crate::sys::growth::grow(0, 122)));
}
