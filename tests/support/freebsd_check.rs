//! The operation-sequence checker over the FreeBSD model, shared by the
//! `freebsd_ops` fuzz target (`fuzz/fuzz_targets/freebsd_ops.rs`), the
//! corpus replay (`tests/fuzz_replay.rs`) and `tests/model_freebsd.rs`,
//! each of which includes this file with `#[path]` or through `support`.
//! Test machinery, not library API.
//!
//! The frame (operation bytes, buffers, the ways of asking, the loop) is
//! `ops_check.rs`, shared with the xnu checker; this file is what is
//! FreeBSD's: its operations and what each answer must be.

use pidquery::model::freebsd::{
    consts, mib, Call, Churn, Model, Observation, State, Tty, View, Walk,
};
use pidquery::{Dev, Errno, ErrorKind, Filter, Pid, PidQuery, MAX_ATTEMPTS};

// The shared frame, declared once beside this file by every includer (a
// sibling module `ops_check`, with `#[macro_use]`).
pub use super::ops_check::Violation;
use super::ops_check::{self, ask, Buffers, Bytes, Checker};

impl_model!(Model);

// The raw `sysctl` calls and the name rules (a path of its own, so that
// every includer of this file finds it).
#[path = "freebsd_check/raw.rs"]
mod raw;
use raw::EFAULT;

/// Terminal devices the operations pick from: two a kernel filter can ask,
/// one beyond a non-negative `int` (answered from the whole table).
pub const TTYS: [u64; 3] = [0x5d, 0x5e, 0x8000_0001];

const SIZE: usize = consts::KINFO_PROC_SIZE;

/// What a [`check_ops`] run exercised.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Queries run (fills, slice fills, probes, raw calls).
    pub queries: u32,
    /// Complete answers checked against the oracle.
    pub complete: u32,
    /// Processes the oracle required in those answers (present and
    /// unchanged for a whole walk, matching and visible).
    pub required: u32,
    /// Fills that ended `Raced`.
    pub raced: u32,
    /// Slice fills that ended `Truncated`.
    pub truncated: u32,
    /// Queries that failed with an injected errno or capability mode.
    pub failed: u32,
    /// Fills that met the wiring limit.
    pub wiring: u32,
    /// Raw calls whose buffer was too short (byte-exact partial copies).
    pub short: u32,
    /// The most `sysctl` calls (probes and fetches) one fill made.
    pub max_calls: u32,
    /// The most fetches (calls with a buffer) one fill made.
    pub max_fetches: u32,
    /// Processes that churn changed mid-walk.
    pub changed: u32,
}

/// The naive oracle: does `v` answer `filter`? Written from the
/// [`Filter`], not from the kernel's op codes the model uses.
pub fn wanted(filter: Filter, v: &View) -> bool {
    v.visible
        && match filter {
            Filter::All => true,
            Filter::Pgrp(g) => v.pgid == g,
            // The session must still hold the terminal (KI_CTTY), as on
            // Linux, where the members left behind have no tty.
            Filter::Tty(d) => d.raw() != consts::NODEV && v.tdev == d.raw() && v.held,
            Filter::Uid(u) => v.uid == u,
            Filter::Ruid(u) => v.ruid == u,
            Filter::Ppid(p) => v.ppid == p,
            #[allow(unreachable_patterns)]
            other => panic!("the oracle does not know {other:?}"),
        }
}

/// Checks `got` (a complete answer to `filter`) against the walk `obs`
/// that produced it: ascending without duplicates; every process present
/// and unchanged for the whole walk that answers the filter is in it
/// (exactly once); no such process that does not answer it is; every pid
/// in it existed at some point of the walk. Returns how many it required.
pub fn check_answer(filter: Filter, obs: &Observation, got: &[Pid]) -> Result<u32, String> {
    if !got.windows(2).all(|w| w[0] < w[1]) {
        return Err(format!("not strictly ascending: {got:?}"));
    }
    let mut required = 0;
    for v in obs.stable() {
        let listed = got.binary_search(&v.pid).is_ok();
        match (wanted(filter, v), listed) {
            (true, false) => {
                return Err(format!(
                    "{filter:?}: pid {} present for the whole walk is missing from {got:?}",
                    v.pid
                ))
            }
            (false, true) => {
                return Err(format!("{filter:?}: pid {} ({v:?}) does not match", v.pid))
            }
            (true, true) => required += 1,
            (false, false) => {}
        }
    }
    for &p in got {
        let within = |views: &[View]| views.binary_search_by_key(&p, |v| v.pid).is_ok();
        let existed = within(&obs.before) || within(&obs.after) || obs.born.contains(&p);
        if !existed {
            return Err(format!("pid {p} never existed during the walk"));
        }
    }
    Ok(required)
}

/// The interpreter's state: the model, its knobs, and what the run
/// exercised.
struct Run {
    model: Model,
    capability: bool,
    max_wired: Option<usize>,
    jails: bool,
    stats: Stats,
}

/// Interprets `bytes` as a sequence of operations on a FreeBSD [`Model`] —
/// forks, exits, reaps, `setpgid`, `setsid`, credential and terminal
/// changes, jails, visibility knobs, walk mode, scripted churn inside the
/// walk and injected errors, queries through the engine, raw `sysctl`
/// calls — and checks every result:
///
/// - a complete answer (fill or slice fill) passes [`check_answer`]
///   against the walk of the engine's last fetch, whose mib is the one the
///   backend documents (`KERN_PROC_PROC` for `all`, never `KERN_PROC_ALL`);
/// - a fill makes at most [`MAX_ATTEMPTS`] fetches (one budget), and
///   `Raced` only after all of them;
/// - `Truncated { needed }` exceeds the slice and covers the matches the
///   oracle required of the last walk;
/// - `WiringLimit` only when the buffer exceeded the limit, and the call
///   was `ENOMEM` with `*oldlenp` 0;
/// - a probe is the count of matches of its own walk (the kernel's
///   `(matches + 5)` records less the 5);
/// - a raw call follows the name rules ([`raw::name_errno`]), and its bytes:
///   whole records of size 1088 on success, a byte-exact prefix with
///   `ENOMEM` and `*oldlenp` = the length passed when short;
/// - an error carries the injected errno and leaves the buffer empty.
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
    const MAX_PROCS: usize = 1500;

    fn start() -> Run {
        let mut model = Model::new();
        model.record(true);
        Run {
            model,
            capability: false,
            max_wired: None,
            jails: false,
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
        match input.byte() % 16 {
            0 => {
                let n = input.byte() % 32 + 1;
                let parent = self.pick(input.byte());
                for _ in 0..n {
                    self.model.spawn(parent);
                }
            }
            1 => {
                let p = self.pick(input.byte());
                if p.as_raw() > 1 && p != self.model.caller() && !self.model.exit(p) {
                    self.model.reap(p);
                }
            }
            2 => {
                let (p, q) = (self.pick(input.byte()), self.pick(input.byte()));
                let pgid = self.model.get(q).map_or(p, |q| q.pgid);
                self.model
                    .setpgid(p, if input.byte() & 1 == 0 { p } else { pgid });
            }
            3 => {
                let p = self.pick(input.byte());
                self.model.setsid(p);
            }
            4 => self.credentials(input),
            5 => self.terminal(input),
            6 => {
                let before = Self::churn(input);
                let between = Self::churn(input);
                let fail = match input.byte() % 8 {
                    0 => Some(Errno::EINTR),
                    1 => Some(EFAULT),
                    _ => None,
                };
                self.model.script(Call {
                    before,
                    between,
                    fail,
                });
            }
            7 => {
                // Steady churn on every call: at most 7 forks per point.
                let mut between = Self::churn(input);
                between.fork %= 8;
                if input.byte() & 1 == 0 {
                    self.model.on_every_call(Call {
                        between,
                        ..Call::QUIET
                    });
                } else {
                    self.model.clear_schedule();
                }
            }
            8 => self.visibility(input),
            9 => {
                let b = input.byte();
                self.model.walk(if b & 1 == 0 {
                    Walk::Striped
                } else {
                    Walk::Atomic
                });
                self.model.seed(u64::from(b));
                // Rarely: capability mode, or a wiring limit.
                self.capability = b % 16 == 3;
                self.model.capability_mode(self.capability);
                self.max_wired = (b % 16 == 5).then_some(usize::from(input.byte()) * SIZE);
                self.model.max_wired(self.max_wired);
            }
            10..=13 => {
                self.stats.queries += 1;
                return ask(self, input, buffers);
            }
            _ => {
                self.stats.queries += 1;
                return self.raw_call(input);
            }
        }
        Ok(())
    }

    fn query(&self, input: &mut Bytes<'_>) -> PidQuery {
        let b = input.byte();
        let arg = input.byte();
        match b % 7 {
            0 => PidQuery::all(),
            1 => PidQuery::pgrp(self.pick(arg)),
            2 => PidQuery::tty(Dev::from_raw(TTYS[usize::from(arg) % TTYS.len()])),
            3 => PidQuery::uid(u32::from(arg % 4)),
            4 => PidQuery::ruid(u32::from(arg % 4)),
            5 => PidQuery::tty(Dev::from_raw(consts::NODEV)),
            _ => PidQuery::ppid(self.pick(arg)),
        }
    }

    fn slice_len(size: u8) -> usize {
        usize::from(size) * 3 % 700
    }

    fn check_fill(
        &mut self,
        query: &PidQuery,
        got: Result<Vec<Pid>, pidquery::Error>,
        buf_empty: bool,
    ) -> Result<(), String> {
        let (fetches, calls) = self.calls();
        self.stats.max_fetches = self.stats.max_fetches.max(fetches);
        self.stats.max_calls = self.stats.max_calls.max(calls);
        if fetches > MAX_ATTEMPTS {
            return Err(format!("{fetches} fetches, budget {MAX_ATTEMPTS}"));
        }
        match got {
            Ok(list) => self.check_complete(query, &list),
            Err(e) => {
                if !buf_empty {
                    return Err(format!("error {e:?} left the buffer filled"));
                }
                self.check_error(query, &e)
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
        match got {
            Ok(n) if n <= len => {
                let list = slice[..n].to_vec();
                self.check_complete(query, &list)
            }
            Ok(n) => Err(format!("{n} pids in a slice of {len}")),
            Err(e) => match e.kind() {
                ErrorKind::Truncated { needed } => {
                    self.stats.truncated += 1;
                    if needed <= len {
                        return Err(format!(
                            "Truncated {{ needed: {needed} }} for a slice of {len}"
                        ));
                    }
                    // The matches of the last walk that listed them, if any.
                    let walk = self
                        .model
                        .observations()
                        .iter()
                        .rev()
                        .find(|o| o.fetched())
                        .cloned();
                    if let Some(walk) = walk {
                        let must = walk.stable().filter(|v| wanted(query.filter(), v)).count();
                        let (_, kernel) = mib(query).unwrap_or_default();
                        if kernel && needed < must {
                            return Err(format!("needed {needed} < {must} required"));
                        }
                    }
                    Ok(())
                }
                _ => self.check_error(query, &e),
            },
        }
    }

    fn check_probe(
        &mut self,
        query: &PidQuery,
        got: Result<usize, pidquery::Error>,
    ) -> Result<(), String> {
        let Some((words, kernel)) = mib(query) else {
            return match got {
                Ok(0) => Ok(()),
                other => Err(format!("tty(NODEV) probe {other:?}")),
            };
        };
        let last = self.model.observations().last().cloned();
        match got {
            Ok(n) => {
                let last = last.ok_or("a probe without a call")?;
                let bytes = (n + consts::PROBE_SLACK) * SIZE;
                if last.oldlen.is_some() || last.result != Ok(bytes) {
                    return Err(format!("probe {n}, call {last:?}"));
                }
                // What the node itself compares: the TTY node ignores
                // KI_CTTY, which the backend checks afterwards.
                let tty = (words.get(2) == Some(&consts::KERN_PROC_TTY))
                    .then(|| words.get(3).map(|&d| d as i64 as u64));
                let matching = |v: &View| match tty {
                    Some(dev) => Some(v.tdev) == dev,
                    None => !kernel || wanted(query.filter(), v),
                };
                let at_least = last.stable().filter(|v| v.visible && matching(v)).count();
                let at_most = last
                    .before
                    .iter()
                    .chain(&last.after)
                    .filter(|v| v.visible)
                    .count()
                    + last.born.len();
                if n < at_least || n > at_most {
                    return Err(format!("probe {n} outside {at_least}..={at_most}"));
                }
                Ok(())
            }
            Err(e) => self.check_error(query, &e),
        }
    }
}

impl Run {
    /// A pid of the table (or a made-up one) chosen by `b`.
    fn pick(&self, b: u8) -> Pid {
        let n = self.model.nprocs();
        match usize::from(b).checked_rem(n + 1) {
            Some(i) if i < n => self.model.procs().nth(i).map_or(Pid::ZERO, |p| p.pid),
            _ => Pid::from_raw(i32::from(b) + 20_000).unwrap_or(Pid::ZERO),
        }
    }

    /// Two bytes: a churn of up to 3 of each kind, and forks: up to 7,
    /// times 1, 4, 16 or 64 (so that a schedule can outgrow the backend's
    /// doubling).
    fn churn(input: &mut Bytes<'_>) -> Churn {
        let (a, b) = (input.byte(), input.byte());
        Churn {
            fork: u32::from(a % 8) << (u32::from(b >> 5) % 4 * 2),
            exit: u32::from((a >> 3) % 4),
            reap: u32::from((a >> 5) % 4),
            regroup: u32::from(b % 4),
            setsid: u32::from((b >> 2) % 2),
            setuid: u32::from((b >> 3) % 4),
        }
    }

    fn credentials(&mut self, input: &mut Bytes<'_>) {
        let p = self.pick(input.byte());
        let b = input.byte();
        let j = input.byte();
        self.model.update(p, |q| {
            q.uid = u32::from(b % 4);
            if b & 4 != 0 {
                q.ruid = u32::from((b >> 3) % 4);
            }
            q.rgid = u32::from((b >> 5) % 3);
            q.groups = if j & 1 != 0 {
                vec![u32::from(j % 3)]
            } else {
                Vec::new()
            };
            if j & 0x70 == 0x10 {
                q.jail = u32::from(j >> 7) + 1;
            }
            if j & 0x70 == 0x20 {
                q.jail = 0;
            }
        });
    }

    fn terminal(&mut self, input: &mut Bytes<'_>) {
        let p = self.pick(input.byte());
        let b = input.byte();
        let dev = TTYS[usize::from(b) % TTYS.len()];
        match (b >> 2) % 4 {
            0 => {
                // A session of its own with a terminal.
                self.model.setsid(p);
                self.model.acquire_terminal(p, Some(dev));
            }
            1 => {
                self.model
                    .update(p, |q| q.controlling_terminal = !q.controlling_terminal);
            }
            2 => {
                let sid = self.model.get(p).map_or(p, |q| q.sid);
                self.model.set_terminal(sid, None);
            }
            _ => {
                let sid = self.model.get(p).map_or(p, |q| q.sid);
                let tty = Tty {
                    dev: (b & 0x40 == 0).then_some(dev),
                    foreground: None,
                    session: Some(sid),
                    // A revoked terminal one time in four.
                    held: b & 0x30 != 0,
                };
                self.model.set_terminal(sid, Some(tty));
            }
        }
    }

    fn visibility(&mut self, input: &mut Bytes<'_>) {
        let b = input.byte();
        let p = self.pick(input.byte());
        if !self.jails {
            // Jail 1 on the host, jail 2 inside it.
            let a = self.model.create_jail(0);
            self.model.create_jail(a);
            self.jails = true;
        }
        self.model.see_others(b & 1 == 0, b & 2 == 0, b & 4 == 0);
        if b & 8 != 0 && self.model.get(p).is_some_and(|q| q.state == State::Normal) {
            self.model.set_caller(p);
        }
    }

    /// This query's calls: (fetches, all calls).
    fn calls(&self) -> (u32, u32) {
        let obs = self.model.observations();
        let fetches = obs.iter().filter(|o| o.oldlen.is_some()).count();
        (fetches as u32, obs.len() as u32)
    }

    /// The walk the answer came from: the last successful fetch.
    fn answer_walk(&self, query: &PidQuery) -> Result<Observation, String> {
        let last = self
            .model
            .observations()
            .iter()
            .rev()
            .find(|o| o.fetched())
            .cloned()
            .ok_or("an answer without a successful fetch")?;
        let (want, _) = mib(query).ok_or("a fetch for a query that needs none")?;
        if last.mib != want {
            return Err(format!(
                "fetched {:?} for {query:?}, want {want:?}",
                last.mib
            ));
        }
        if last.mib == [consts::CTL_KERN, consts::KERN_PROC, consts::KERN_PROC_ALL] {
            return Err("KERN_PROC_ALL lists threads".into());
        }
        Ok(last)
    }

    fn check_complete(&mut self, query: &PidQuery, got: &[Pid]) -> Result<(), String> {
        if mib(query).is_none() {
            // tty(NODEV): nothing, and no call.
            if !got.is_empty() || !self.model.observations().is_empty() {
                return Err(format!(
                    "tty(NODEV) answered {got:?} after {} calls",
                    self.model.observations().len()
                ));
            }
            self.stats.complete += 1;
            return Ok(());
        }
        let walk = self.answer_walk(query)?;
        self.stats.required += check_answer(query.filter(), &walk, got)?;
        self.stats.changed += walk.after.iter().filter(|v| v.changed).count() as u32;
        self.stats.complete += 1;
        Ok(())
    }

    fn check_error(&mut self, query: &PidQuery, e: &pidquery::Error) -> Result<(), String> {
        let last = self.model.observations().last().cloned();
        let node = mib(query).is_some();
        match e.kind() {
            ErrorKind::Os => {
                let Some(last) = last else {
                    return Err(format!("{e:?} without a call"));
                };
                self.stats.failed += 1;
                let ok = node
                    && e.operation().starts_with("kern.proc.")
                    && last.result == Err(e.errno().unwrap_or(Errno::from_raw(0)))
                    && e.errno() != Some(Errno::EINTR);
                if ok {
                    Ok(())
                } else {
                    Err(format!("error {e:?}, last call {:?}", last.result))
                }
            }
            ErrorKind::WiringLimit { bytes } => {
                self.stats.wiring += 1;
                let over = self.max_wired.is_some_and(|max| bytes > max);
                let last = last.ok_or("WiringLimit without a call")?;
                if over
                    && last.oldlen == Some(bytes)
                    && last.oldlen_out == Some(0)
                    && last.result == Err(Errno::ENOMEM)
                {
                    Ok(())
                } else {
                    Err(format!(
                        "{e:?} under limit {:?}, last call {last:?}",
                        self.max_wired
                    ))
                }
            }
            ErrorKind::Raced { attempts } => {
                self.stats.raced += 1;
                let (fetches, _) = self.calls();
                if attempts == MAX_ATTEMPTS && fetches >= MAX_ATTEMPTS {
                    Ok(())
                } else {
                    Err(format!("Raced after {fetches} fetches"))
                }
            }
            _ => Err(format!("unexpected error {e:?}")),
        }
    }
}
