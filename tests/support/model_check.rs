//! The operation-sequence checker over the xnu model, shared by the
//! `engine_ops` fuzz target (`fuzz/fuzz_targets/engine_ops.rs`), the corpus
//! replay (`tests/fuzz_replay.rs`) and the model's unit tests, each of which
//! includes this file with `#[path]`. Test machinery, not library API.
//!
//! The frame (operation bytes, buffers, the ways of asking, the loop) is
//! `ops_check.rs`, shared with the FreeBSD checker; this file is what is
//! xnu's: its operations and what each answer must be.

use pidquery::model::{xnu, xnu_args, Call, Churn, Model, Observation, Proc};
use pidquery::{Dev, Errno, ErrorKind, Filter, Pid, PidQuery, MAX_ATTEMPTS};

// The shared frame, declared once beside this file by every includer (a
// sibling module `ops_check`, with `#[macro_use]`).
pub use super::ops_check::Violation;
use super::ops_check::{self, ask, Buffers, Bytes, Checker};

impl_model!(Model);

/// Terminal devices the operations pick from.
const TTYS: [Dev; 3] = [
    Dev::from_raw(0x1000_0000),
    Dev::from_raw(0x1000_0001),
    Dev::from_raw(0x1000_0002),
];

/// What a [`check_ops`] run exercised.
///
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Queries run (fills, slice fills, probes, raw calls).
    pub queries: u32,
    /// Complete answers checked against the oracle.
    pub complete: u32,
    /// Fills that ended `Raced`.
    pub raced: u32,
    /// Slice fills that ended `Truncated`.
    pub truncated: u32,
    /// Answers cut short by the kernel's `nprocs + 20` cap (more than 20
    /// forks during a call): xnu's one undetectable short list.
    pub cut_by_estimate: u32,
    /// Queries that failed with an injected errno.
    pub failed: u32,
    /// The most kernel list calls one fill made.
    pub max_attempts: u32,
}

/// The naive oracle: the pids an observed table holds for `filter`, in walk
/// order, written from the [`Filter`] (not from the xnu encoding the model
/// uses). `None` as filter means `PROC_KDBG_ONLY`.
pub fn oracle(filter: Option<Filter>, obs: &Observation) -> Vec<Pid> {
    let wanted = |p: &Proc| match filter {
        None => p.kdebug,
        Some(Filter::All) => true,
        Some(Filter::Pgrp(g)) => p.pgid == g,
        Some(Filter::Tty(d)) => p.controlling_terminal && (p.pgrp_detached || p.tty == Some(d)),
        Some(Filter::Uid(u)) => p.uid == u,
        Some(Filter::Ruid(u)) => p.ruid == u,
        Some(Filter::Ppid(pp)) => p.ppid == pp || p.traced_from == Some(pp),
        // Reachable only from outside the crate, where `Filter` is
        // non-exhaustive; the model's unit tests include this file too.
        #[allow(unreachable_patterns)]
        Some(other) => panic!("the oracle does not know {other:?}"),
    };
    obs.live
        .iter()
        .chain(&obs.zombies)
        .filter(|p| !p.shadow && wanted(p))
        .map(|p| p.pid)
        .collect()
}

/// The interpreter's state: the model and what the run exercised.
struct Run {
    model: Model,
    stats: Stats,
}

/// Interprets `bytes` as a sequence of operations on a [`Model`] — spawn,
/// exit (whole, or stopping in the exit window), reap, trace, change a
/// process, script races and errors, run a query — and checks every query's result against [`oracle`]:
///
/// - a complete answer (fill or slice fill) equals the oracle at the
///   instant of the engine's last kernel call, in order, unless that call
///   was cut by the `nprocs + 20` cap ([`Observation::cut_by_estimate`]),
///   when it is a prefix of it;
/// - `Raced` means exactly [`MAX_ATTEMPTS`] list calls, each filling its
///   buffer; no fill makes more;
/// - `Truncated { needed }`: the slice (one slot, for an empty one) came back full,
///   `needed` exceeds it and covers every match at the probe's instant;
/// - a probe returns `nprocs + 20`; a raw `proc_listpids` call follows the
///   libproc convention (`ENOMEM` under 4 bytes, 0 bytes for an unknown
///   type, the oracle's prefix otherwise);
/// - an error carries the injected errno, and leaves the buffer empty.
///
/// # Errors
///
/// The first [`Violation`].
pub fn check_ops(bytes: &[u8]) -> Result<Stats, Violation> {
    ops_check::check_ops::<Run>(bytes)
}

impl Checker for Run {
    type Model = Model;
    type Stats = Stats;
    const MAX_PROCS: usize = 3000;

    fn start() -> Run {
        let mut model = Model::new();
        model.record(true);
        Run {
            model,
            stats: Stats::default(),
        }
    }

    fn model(&mut self) -> &mut Model {
        &mut self.model
    }

    fn model_ref(&self) -> &Model {
        &self.model
    }

    fn into_stats(self) -> Stats {
        self.stats
    }

    fn step(&mut self, input: &mut Bytes<'_>, buffers: &mut Buffers) -> Result<(), String> {
        match input.byte() % 12 {
            0 => self.spawn_children(input),
            1 => self.exit_and_reap_newest(input),
            2 => self.end_one(input),
            3 => {
                let (pid, tracer) = (self.pick(input.byte()), self.pick(input.byte()));
                self.model.trace(pid, tracer);
            }
            4 => self.mutate(input),
            5 => self.script_one_call(input),
            6 => self.schedule_every_call(input),
            7 => self.model.clear_schedule(),
            8 => {
                let deny = input.byte() % 4 == 0;
                self.model.deny(deny.then_some(Errno::EPERM));
            }
            9 => {
                self.stats.queries += 1;
                return ask(self, input, buffers);
            }
            10 => {
                self.stats.queries += 1;
                return self.raw_call(input);
            }
            _ => self.insert(input),
        }
        Ok(())
    }

    fn query(&self, input: &mut Bytes<'_>) -> PidQuery {
        let b = input.byte();
        let arg = input.byte();
        match b % 6 {
            0 => PidQuery::all(),
            1 => PidQuery::pgrp(self.pick(arg)),
            2 => PidQuery::tty(
                TTYS.get(usize::from(arg) % TTYS.len())
                    .copied()
                    .unwrap_or_default(),
            ),
            3 => PidQuery::uid(u32::from(arg % 3)),
            4 => PidQuery::ruid(u32::from(arg % 3)),
            _ => PidQuery::ppid(self.pick(arg)),
        }
    }

    fn slice_len(size: u8) -> usize {
        usize::from(size) * 4 % 1021
    }

    fn check_fill(
        &mut self,
        query: &PidQuery,
        got: Result<Vec<Pid>, pidquery::Error>,
        buf_empty: bool,
    ) -> Result<(), String> {
        let calls: Vec<Observation> = self.list_calls().cloned().collect();
        let attempts = u32::try_from(calls.len()).unwrap_or(u32::MAX);
        self.stats.max_attempts = self.stats.max_attempts.max(attempts);
        if attempts > MAX_ATTEMPTS {
            return Err(format!("{attempts} list calls, budget {MAX_ATTEMPTS}"));
        }
        match got {
            Ok(list) => {
                let last = calls.last().ok_or("an answer without a list call")?;
                let room = last.buffer_pids.unwrap_or(0);
                if list.len() >= room {
                    return Err(format!("{} pids accepted from a full buffer", list.len()));
                }
                self.stats.complete += 1;
                self.check_answer(Some(query.filter()), last, &list)
            }
            Err(e) => {
                if !buf_empty {
                    return Err("the buffer is not empty after an error".into());
                }
                match e.kind() {
                    ErrorKind::Raced { attempts: a } => {
                        self.stats.raced += 1;
                        let all_full = calls.iter().all(|o| {
                            matches!((o.buffer_pids, o.result), (Some(b), Ok(bytes)) if bytes / 4 == b)
                        });
                        if a == MAX_ATTEMPTS && attempts == MAX_ATTEMPTS && all_full {
                            Ok(())
                        } else {
                            Err(format!(
                                "Raced after {attempts} calls, all full: {all_full}"
                            ))
                        }
                    }
                    _ => self.check_error(&e),
                }
            }
        }
    }

    fn check_slice(
        &mut self,
        query: &PidQuery,
        got: Result<usize, pidquery::Error>,
        slice: &[Pid],
    ) -> Result<(), String> {
        let len = slice.len();
        let calls: Vec<Observation> = self.list_calls().cloned().collect();
        match got {
            Ok(n) => {
                let [call] = calls.as_slice() else {
                    return Err(format!("a slice fill made {} list calls", calls.len()));
                };
                // An empty slice is asked about with one slot of the
                // engine's own: an empty answer fits it.
                if n >= len && n > 0 {
                    return Err(format!("{n} pids accepted from a full slice of {len}"));
                }
                self.stats.complete += 1;
                let answer = slice.get(..n).unwrap_or_default().to_vec();
                self.check_answer(Some(query.filter()), call, &answer)
            }
            Err(e) => match e.kind() {
                ErrorKind::Truncated { needed } => {
                    self.stats.truncated += 1;
                    let full = match calls.as_slice() {
                        [call] => call.result == Ok(len.max(1) * 4),
                        _ => false,
                    };
                    // The probe after the full answer: nprocs + 20 covers
                    // every match at its instant.
                    let probe = self.model.observations().last();
                    let estimate = probe.map_or(0, |o| o.nprocs + xnu::LISTPIDS_SLACK);
                    if full && needed == estimate.max(len + 1) {
                        Ok(())
                    } else {
                        Err(format!(
                            "Truncated {{ needed: {needed} }} for a slice of {len}, estimate {estimate}, full: {full}"
                        ))
                    }
                }
                _ => self.check_error(&e),
            },
        }
    }

    fn check_probe(
        &mut self,
        _: &PidQuery,
        got: Result<usize, pidquery::Error>,
    ) -> Result<(), String> {
        let obs = self.model.observations();
        let last = obs.last().ok_or("a probe made no call")?;
        match got {
            Ok(n) if n == last.nprocs + xnu::LISTPIDS_SLACK => Ok(()),
            Ok(n) => Err(format!("probe {n}, nprocs {}", last.nprocs)),
            Err(e) => self.check_error(&e),
        }
    }
}

impl Run {
    /// A pid of the table (or a made-up one) chosen by `b`.
    fn pick(&self, b: u8) -> Pid {
        let n = self.model.nprocs();
        let all = self.model.live().chain(self.model.zombies());
        match usize::from(b).checked_rem(n + 1) {
            Some(i) if i < n => all.map(|p| p.pid).nth(i).unwrap_or(Pid::ZERO),
            _ => Pid::from_raw(i32::from(b) + 10_000).unwrap_or(Pid::ZERO),
        }
    }

    /// Three bytes: births (`0..64`, times 1, 4, 16 or 64, so a schedule
    /// can outgrow the engine's doubling), deaths and reaps, the parent.
    fn churn(&self, input: &mut Bytes<'_>) -> Churn {
        let (count, shape) = (input.byte(), input.byte());
        let parent = self.pick(input.byte());
        Churn {
            spawn: u32::from(count % 64) << (shape % 4 * 2),
            parent,
            exit: u32::from((shape >> 2) % 4),
            reap: u32::from((shape >> 4) % 4),
        }
    }

    /// One to 64 children of a chosen parent.
    fn spawn_children(&mut self, input: &mut Bytes<'_>) {
        let n = input.byte() % 64 + 1;
        let parent = self.pick(input.byte());
        self.model.apply(Churn::spawn(u32::from(n)).of(parent));
    }

    /// Up to seven exits of the newest processes, then up to seven reaps.
    fn exit_and_reap_newest(&mut self, input: &mut Bytes<'_>) {
        let b = input.byte();
        self.model.apply(Churn {
            exit: u32::from(b % 8),
            reap: u32::from(b / 32),
            ..Churn::NONE
        });
    }

    /// A chosen process moves one step towards its end: a live one begins
    /// to exit and stops in the exit window, one in the window finishes
    /// (a zombie, or reaped by the kernel as launchd's orphan), a zombie is
    /// reaped.
    fn end_one(&mut self, input: &mut Bytes<'_>) {
        let pid = self.pick(input.byte());
        if !self.model.begin_exit(pid) && !self.model.finish_exit(pid) {
            self.model.reap(pid);
        }
    }

    /// Churn before and during the next call, and maybe an injected error.
    fn script_one_call(&mut self, input: &mut Bytes<'_>) {
        let before = self.churn(input);
        let during = self.churn(input);
        let fail = match input.byte() % 8 {
            0 => Some(Errno::EINTR),
            1 => Some(Errno::EPERM),
            2 => Some(Errno::ENOMEM),
            _ => None,
        };
        self.model.script(Call {
            before,
            during,
            fail,
        });
    }

    /// Churn around every call from now on: up to 63 births before each and
    /// up to 7 during it, so that the engine can still win the race.
    fn schedule_every_call(&mut self, input: &mut Bytes<'_>) {
        let mut before = self.churn(input);
        let mut during = self.churn(input);
        during.spawn %= 8;
        before.spawn %= 64;
        self.model.on_every_call(Call {
            before,
            during,
            fail: None,
        });
    }

    /// A process with a made-up pid (20000 and up) and chosen parent,
    /// uids, kdebug flag and shadow flag.
    fn insert(&mut self, input: &mut Bytes<'_>) {
        let b = input.byte();
        let pid = Pid::from_raw(i32::from(input.byte()) + 20_000).unwrap_or(Pid::ZERO);
        self.model.insert(Proc {
            ppid: self.pick(input.byte()),
            uid: u32::from(b % 3),
            ruid: u32::from((b >> 2) % 3),
            kdebug: b & 0x40 != 0,
            shadow: b & 0x80 != 0,
            ..Proc::new(pid)
        });
    }

    fn mutate(&mut self, input: &mut Bytes<'_>) {
        let pid = self.pick(input.byte());
        let what = input.byte();
        let arg = self.pick(input.byte());
        let Some(p) = self.model.get_mut(pid) else {
            return;
        };
        let small = what >> 3;
        match what % 8 {
            0 => p.pgid = arg,
            1 => p.uid = u32::from(small % 3),
            2 => p.ruid = u32::from(small % 3),
            3 => {
                let tty = TTYS.get(usize::from(small) % TTYS.len()).copied();
                p.tty = tty;
                p.controlling_terminal = true;
            }
            4 => p.controlling_terminal = !p.controlling_terminal,
            5 => p.pgrp_detached = !p.pgrp_detached,
            6 => p.tty = None,
            _ => p.kdebug = !p.kdebug,
        }
    }

    /// The list calls (non-NULL buffer, not interrupted) of this query.
    fn list_calls(&self) -> impl Iterator<Item = &Observation> + '_ {
        self.model
            .observations()
            .iter()
            .filter(|o| o.buffer_pids.is_some() && o.result != Err(Errno::EINTR))
    }

    fn check_error(&mut self, e: &pidquery::Error) -> Result<(), String> {
        self.stats.failed += 1;
        let last = self.model.observations().last();
        match (e.errno(), last.map(|o| o.result)) {
            (Some(errno), Some(Err(injected))) if errno == injected && errno != Errno::EINTR => {
                if e.operation() == "proc_listpids" && e.kind() == ErrorKind::Os {
                    Ok(())
                } else {
                    Err(format!("error without its operation: {e:?}"))
                }
            }
            _ => Err(format!(
                "error {e:?} but the last call was {:?}",
                last.map(|o| o.result)
            )),
        }
    }

    /// `got` equals the oracle at `obs`, in order, unless the kernel's
    /// `nprocs + 20` cap cut it (then a prefix).
    fn check_answer(
        &mut self,
        filter: Option<Filter>,
        obs: &Observation,
        got: &[Pid],
    ) -> Result<(), String> {
        let want = oracle(filter, obs);
        let prefix = want.get(..got.len());
        if prefix != Some(got) {
            return Err(format!("answer {got:?}, oracle {want:?}"));
        }
        if got.len() < want.len() {
            if !obs.cut_by_estimate() {
                return Err(format!("short answer {got:?}, oracle {want:?}"));
            }
            self.stats.cut_by_estimate += 1;
        }
        Ok(())
    }

    /// A bare `proc_listpids` call of any type, including KDBG and unknown
    /// ones, with any small size.
    fn raw_call(&mut self, input: &mut Bytes<'_>) -> Result<(), String> {
        let kind = u32::from(input.byte() % 10);
        let (filter, typeinfo) = self.raw_arguments(kind, input.byte());
        let bytes = raw_size(input.byte());
        let mut buf = vec![0xffu8; bytes.unwrap_or(0)];
        self.model.clear_observations();
        let (ret, errno) = self
            .model
            .proc_listpids(kind, typeinfo, bytes.map(|_| &mut buf[..]));
        let obs = self
            .model
            .observations()
            .last()
            .cloned()
            .ok_or("no call recorded")?;
        let Ok(ret) = usize::try_from(ret) else {
            return Err(format!("negative return {ret}"));
        };
        let call = RawCall {
            kind,
            filter,
            ret,
            errno,
        };
        match (obs.result, bytes) {
            (Err(e), _) => {
                self.stats.failed += 1;
                if ret == 0 && errno == e {
                    Ok(())
                } else {
                    Err(format!("error {e:?} returned as {ret}, {errno:?}"))
                }
            }
            (Ok(_), None) => {
                let want = (obs.nprocs + xnu::LISTPIDS_SLACK) * 4;
                if ret == want {
                    Ok(())
                } else {
                    Err(format!("NULL probe returned {ret}, want {want}"))
                }
            }
            (Ok(_), Some(b)) if b < 4 => Err(format!("{b} bytes accepted")),
            (Ok(_), Some(_)) => self.check_raw_list(&call, &obs, &buf),
        }
    }

    /// The filter a raw call of type `kind` asks for (`Some(None)` for
    /// `PROC_KDBG_ONLY`, `None` for an unknown type, which lists nothing),
    /// and its `typeinfo`, with `arg` picking the argument.
    fn raw_arguments(&self, kind: u32, arg: u8) -> (Option<Option<Filter>>, u32) {
        let query = match kind {
            xnu::PROC_ALL_PIDS => PidQuery::all(),
            xnu::PROC_PGRP_ONLY => PidQuery::pgrp(self.pick(arg)),
            xnu::PROC_PPID_ONLY => PidQuery::ppid(self.pick(arg)),
            xnu::PROC_TTY_ONLY => {
                PidQuery::tty(TTYS.get(usize::from(arg) % 3).copied().unwrap_or_default())
            }
            xnu::PROC_UID_ONLY => PidQuery::uid(u32::from(arg % 3)),
            xnu::PROC_RUID_ONLY => PidQuery::ruid(u32::from(arg % 3)),
            xnu::PROC_KDBG_ONLY => return (Some(None), 0),
            _ => return (None, u32::from(arg)),
        };
        let (_, typeinfo) = xnu_args(&query);
        (Some(Some(query.filter())), typeinfo)
    }

    /// A raw call that succeeded into a buffer of `buf.len()` bytes (4 or
    /// more): whole pids only, nothing written past them, the oracle's
    /// prefix up to the kernel's capacity.
    fn check_raw_list(
        &mut self,
        call: &RawCall,
        obs: &Observation,
        buf: &[u8],
    ) -> Result<(), String> {
        let (ret, b) = (call.ret, buf.len());
        if ret % 4 != 0 || ret > b {
            return Err(format!("returned {ret} bytes into {b}"));
        }
        let (head, tail) = buf.split_at(ret);
        if tail.iter().any(|&x| x != 0xff) {
            return Err("wrote past the returned count".into());
        }
        let got: Vec<i32> = head
            .chunks_exact(4)
            .filter_map(|c| <[u8; 4]>::try_from(c).ok().map(i32::from_ne_bytes))
            .collect();
        let want: Vec<i32> = match call.filter {
            None => Vec::new(),
            Some(filter) => {
                let all = oracle(filter, obs);
                let cap = obs.capacity().unwrap_or(0).min(all.len());
                all.iter().take(cap).map(|p| p.as_raw()).collect()
            }
        };
        if got == want && (call.errno == Errno::from_raw(0) || ret > 0) {
            self.stats.complete += 1;
            Ok(())
        } else {
            Err(format!(
                "raw type {}: {got:?}, oracle {want:?}, {:?}",
                call.kind, call.errno
            ))
        }
    }
}

/// What a raw `proc_listpids` call asked and returned.
struct RawCall {
    /// The list type.
    kind: u32,
    /// What it lists: see [`Run::raw_arguments`].
    filter: Option<Option<Filter>>,
    /// The return value, in bytes.
    ret: usize,
    /// `errno` after the call.
    errno: Errno,
}

/// The buffer of a raw call, in bytes, chosen by `size`: NULL, a few bytes
/// under one pid, or room for `size / 2` pids plus a ragged tail.
fn raw_size(size: u8) -> Option<usize> {
    match size % 4 {
        0 => None,
        1 => Some(usize::from(size >> 2) % 4),
        _ => Some(usize::from(size / 2) * 4 + usize::from(size % 4)),
    }
}
