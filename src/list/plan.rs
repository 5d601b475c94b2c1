//! The planner: the one place that decides how a [`Query`] is answered.
//!
//! 1. **Driver.** The cheapest complete source of candidates: the subtree
//!    walk for `descendant_of`, the parent's `children` files for `parent`
//!    (each through the backend's own [`PidQuery`] answer, so their proofs
//!    and fallbacks apply), on macOS and FreeBSD the kernel's own filter
//!    for `pgrp`, `euid`, `ruid` or `tty`; otherwise the scan. A negated
//!    query always scans (its answer is the complement). Several values of
//!    the driving condition are listed one after another, then sorted and
//!    deduplicated in place.
//! 2. **Checks.** Every other condition, per candidate, cheapest first:
//!    the euid (Linux: the owner of `/proc/<pid>`, one `fstatat`), then
//!    what `stat` says (group, session, terminal, parent, state, name,
//!    start), then the ancestry walk of `descendant_of` when it does not
//!    drive, then `status` (real uid and gid), then the namespaces (one
//!    `fstatat` per kind), then the cgroup file, then the command line. A
//!    backend's [`Reader`] reads each file at most once per process and
//!    only when asked; the first condition that fails stops the asking.
//!    One exception: an euid value whose reading the reader must confirm
//!    (Linux: the reaped-task owner, root's 0 for root) costs more than
//!    `stat`, so `stat` filters first and the owner is read for its
//!    survivors only ([`Reader::owner_late`]); `stat` is then read again,
//!    bound to the owner's reading. Only an accepted candidate's reads
//!    are checked to be one process's (`finish`): reads of two processes
//!    can only leave out a pid whose process did not live through the
//!    call.
//! 3. **Pick.** `newest`/`oldest` keep one match by start time.
//!
//! A candidate that vanished or is hidden is skipped (the reader says
//! `None`), never an error; the engine's grow-and-retry loop (`engine.rs`)
//! makes every answer complete or an error.

use crate::list::engine;
use crate::sys::{skipped_in_listing, Inspect, ListPids, Listed};
use crate::{Comm, Dev, Error, Match, Pick, Pid, PidBuf, PidQuery, ProcInfo, Query, StartTime};
use crate::{Set, State, States};

/// A reader's answer: `Ok(None)` when the process vanished or is hidden.
pub(crate) type Got<T> = Result<Option<T>, Error>;

/// What `stat` (or the platform's per-process record) says.
#[derive(Copy, Clone, Debug)]
pub(crate) struct StatFacts {
    pub(crate) ppid: Pid,
    pub(crate) pgrp: Pid,
    pub(crate) session: Option<Pid>,
    pub(crate) tty: Option<Dev>,
    pub(crate) state: State,
    pub(crate) comm: Comm,
    pub(crate) start: Option<StartTime>,
}

/// What `status` (or the platform's record) says of the owner.
#[derive(Copy, Clone, Debug)]
pub(crate) struct IdFacts {
    pub(crate) ruid: u32,
    pub(crate) rgid: u32,
}

/// Reads one candidate at a time, each kernel source at most once.
pub(crate) trait Reader {
    /// The next candidate: forget what was read of the last.
    fn begin(&mut self, pid: Pid);
    /// Its effective uid.
    fn euid(&mut self) -> Got<u32>;
    /// Whether an owner condition accepting `euids` is cheaper checked
    /// after `stat` (a reading of one of them must be confirmed). A reader
    /// that says so reads `stat` again when asked after the owner.
    fn owner_late(&self, euids: Set<'_, u32>) -> bool {
        let _ = euids;
        false
    }
    /// Its `stat` facts.
    fn stat(&mut self) -> Got<StatFacts>;
    /// Its real ids.
    fn ids(&mut self) -> Got<IdFacts>;
    /// Whether its command line (as [`Query::cmdline`] defines the text)
    /// matches.
    fn cmdline(&mut self, m: &Match<'_>) -> Got<bool>;
    /// Whether it is in the namespaces the query's
    /// [`same_namespaces`](Query::same_namespaces) names (the reader
    /// resolved the reference when it was made).
    fn namespaces(&mut self) -> Got<bool>;
    /// Whether its cgroup v2 path is one of `paths`.
    fn cgroup(&mut self, paths: &Set<'_, &[u8]>) -> Got<bool>;
    /// The parent of another process (the ancestry walk).
    fn parent_of(&mut self, pid: Pid) -> Got<Pid>;
    /// After the tests of a candidate: whether what was read of it is
    /// still known to be one process's (`None`: treat it as vanished).
    fn finish(&mut self) -> Got<()> {
        Ok(Some(()))
    }
}

/// A backend the planner can drive.
pub(crate) trait Select: ListPids {
    /// Its per-candidate reader.
    type Reader<'s>: Reader
    where
        Self: 's;
    /// A reader for `query` (which says which files it will need).
    fn reader(&self, query: &Query<'_>) -> Result<Self::Reader<'_>, Error>;
    /// Whether `pgrp`, `uid`, `ruid` and `tty` are the kernel's own filters
    /// (cheaper than testing each process).
    fn kernel_filters(&self) -> bool;
    /// Calls `each` for every process of the table in ascending order, as
    /// a scan finds it; `None` when the backend has no scan of its own (the
    /// planner then lists `all` and tests that).
    fn scan(&self, each: &mut dyn FnMut(Pid) -> Result<(), Error>) -> Option<Result<(), Error>>;
    /// Whether its listings come ascending.
    fn ascending(&self) -> bool;
}

/// The condition whose kernel answer drives a query.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Drive {
    /// The scan (or `all`): nothing covered.
    Scan,
    Descendants,
    Parent,
    Pgrp,
    Euid,
    Ruid,
    Tty,
}

/// The driver of `q` on a backend with (or without) kernel filters.
pub(crate) fn driver(q: &Query<'_>, kernel_filters: bool) -> Drive {
    if q.negate {
        return Drive::Scan;
    }
    if q.descendant_of.is_some() {
        return Drive::Descendants;
    }
    if q.parent.is_some() {
        return Drive::Parent;
    }
    if kernel_filters {
        if q.pgrp.is_some() {
            return Drive::Pgrp;
        }
        if q.euid.is_some() {
            return Drive::Euid;
        }
        if q.ruid.is_some() {
            return Drive::Ruid;
        }
        if q.tty.is_some() {
            return Drive::Tty;
        }
    }
    Drive::Scan
}

/// The driver's one-filter queries: how many, and the `i`-th.
fn driver_queries<'q>(
    q: &'q Query<'_>,
    drive: Drive,
) -> (usize, impl Fn(usize) -> Option<PidQuery> + 'q) {
    let n = match drive {
        Drive::Scan => 1,
        Drive::Descendants => q.descendant_of.map_or(0, |s| s.as_slice().len()),
        Drive::Parent => q.parent.map_or(0, |s| s.as_slice().len()),
        Drive::Pgrp => q.pgrp.map_or(0, |s| s.as_slice().len()),
        Drive::Euid => q.euid.map_or(0, |s| s.as_slice().len()),
        Drive::Ruid => q.ruid.map_or(0, |s| s.as_slice().len()),
        Drive::Tty => q.tty.map_or(0, |s| s.as_slice().len()),
    };
    let nth = move |i: usize| -> Option<PidQuery> {
        Some(match drive {
            Drive::Scan => PidQuery::all(),
            Drive::Descendants => PidQuery::descendants(*q.descendant_of?.as_slice().get(i)?),
            Drive::Parent => PidQuery::ppid(*q.parent?.as_slice().get(i)?),
            Drive::Pgrp => PidQuery::pgrp(*q.pgrp?.as_slice().get(i)?),
            Drive::Euid => PidQuery::uid(*q.euid?.as_slice().get(i)?),
            Drive::Ruid => PidQuery::ruid(*q.ruid?.as_slice().get(i)?),
            Drive::Tty => PidQuery::tty(*q.tty?.as_slice().get(i)?),
        })
    };
    (n, nth)
}

/// Longest ancestry walked for `descendant_of` when it does not drive.
const MAX_DEPTH: usize = 4096;

/// Whether the `stat` facts `s` pass every `stat` condition of `q` except
/// the one `covered` by the driver (the ancestry walk aside).
fn stat_passes(q: &Query<'_>, covered: Drive, s: &StatFacts) -> bool {
    (covered == Drive::Pgrp || q.pgrp.is_none_or(|set| set.contains(s.pgrp)))
        && q.session
            .is_none_or(|set| s.session.is_some_and(|sid| set.contains(sid)))
        && (covered == Drive::Tty
            || q.tty
                .is_none_or(|set| s.tty.is_some_and(|t| set.contains(t))))
        && (covered == Drive::Parent || q.parent.is_none_or(|set| set.contains(s.ppid)))
        && q.state
            .is_none_or(|set: States| set.contains_state(s.state))
        && q.name.is_none_or(|m| m.is_match(s.comm.as_bytes()))
        && q.started_before
            .is_none_or(|t| s.start.is_some_and(|st| st.to_system_time() < t))
        && q.started_after
            .is_none_or(|t| s.start.is_some_and(|st| st.to_system_time() > t))
}

/// Whether `pid` (begun in `r`) satisfies every condition of `q` except
/// the one `covered` by the driver; `None` when it vanished.
fn test<R: Reader>(q: &Query<'_>, covered: Drive, r: &mut R, pid: Pid) -> Got<bool> {
    let needs_stat = (q.pgrp.is_some() && covered != Drive::Pgrp)
        || q.session.is_some()
        || (q.tty.is_some() && covered != Drive::Tty)
        || (q.parent.is_some() && covered != Drive::Parent)
        || (q.descendant_of.is_some() && covered != Drive::Descendants)
        || q.state.is_some()
        || q.name.is_some()
        || q.started_before.is_some()
        || q.started_after.is_some();
    let euid = q.euid.filter(|_| covered != Drive::Euid);
    // An owner reading the reader must confirm costs more than `stat`: then
    // `stat` filters first and the owner is read for its survivors only
    // (the reader reads `stat` again after it, bound to it).
    if needs_stat && euid.is_some_and(|set| r.owner_late(set)) {
        let Some(s) = r.stat()? else {
            return Ok(None);
        };
        if !stat_passes(q, covered, &s) {
            return Ok(Some(false));
        }
    }
    if let Some(set) = euid {
        let Some(euid) = r.euid()? else {
            return Ok(None);
        };
        if !set.contains(euid) {
            return Ok(Some(false));
        }
    }
    if needs_stat {
        let Some(s) = r.stat()? else {
            return Ok(None);
        };
        if !stat_passes(q, covered, &s) {
            return Ok(Some(false));
        }
        if let (Some(set), false) = (q.descendant_of, covered == Drive::Descendants) {
            let mut at = s.ppid;
            let mut below = false;
            for _ in 0..MAX_DEPTH {
                // No process is below itself (pid 0 is its own parent on
                // macOS and FreeBSD; a traced loop on macOS).
                if at == pid {
                    break;
                }
                if set.contains(at) {
                    below = true;
                    break;
                }
                if at == Pid::ZERO {
                    break;
                }
                match r.parent_of(at)? {
                    Some(p) if p != at => at = p,
                    _ => break,
                }
            }
            if !below {
                return Ok(Some(false));
            }
        }
    }
    if q.ruid.is_some_and(|_| covered != Drive::Ruid) || q.rgid.is_some() {
        let Some(ids) = r.ids()? else {
            return Ok(None);
        };
        let ok = (covered == Drive::Ruid || q.ruid.is_none_or(|set| set.contains(ids.ruid)))
            && q.rgid.is_none_or(|set| set.contains(ids.rgid));
        if !ok {
            return Ok(Some(false));
        }
    }
    if q.same_ns.is_some() {
        match r.namespaces()? {
            Some(true) => {}
            other => return Ok(other),
        }
    }
    if let Some(paths) = q.cgroup {
        match r.cgroup(&paths)? {
            Some(true) => {}
            other => return Ok(other),
        }
    }
    if let Some(m) = q.cmdline {
        return r.cmdline(&m);
    }
    Ok(Some(true))
}

/// The conditions only Linux answers, for backends that read one
/// per-process record: an [`ErrorKind::Unsupported`](crate::ErrorKind)
/// error naming the first, before anything is listed.
pub(crate) fn linux_only(q: &Query<'_>) -> Result<(), Error> {
    if q.same_ns.is_some() {
        return Err(Error::unsupported("same_namespaces"));
    }
    if q.cgroup.is_some() {
        return Err(Error::unsupported("cgroup"));
    }
    Ok(())
}

/// Whether `pid` is in the answer before the pick: the exception, the
/// conditions, the negation. `None` when it vanished.
pub(crate) fn accept<R: Reader>(q: &Query<'_>, covered: Drive, r: &mut R, pid: Pid) -> Got<bool> {
    if q.except == Some(pid) {
        return Ok(Some(false));
    }
    r.begin(pid);
    let Some(ok) = test(q, covered, r, pid)? else {
        return Ok(None);
    };
    if ok == q.negate {
        // Left out: reads of two processes only ever leave out a pid
        // whose process did not live through the call.
        return Ok(Some(false));
    }
    // A pick compares start times: read them before the reads are bound.
    if q.pick != Pick::All && r.stat()?.is_none() {
        return Ok(None);
    }
    if r.finish()?.is_none() {
        return Ok(None);
    }
    Ok(Some(true))
}

/// The running choice of `newest`/`oldest`.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Best(Option<(StartTime, Pid)>);

impl Best {
    /// Considers `pid` (accepted, begun in `r`), visited in ascending order.
    pub(crate) fn offer<R: Reader>(
        &mut self,
        pick: Pick,
        r: &mut R,
        pid: Pid,
    ) -> Result<(), Error> {
        let Some(start) = r.stat()?.and_then(|s| s.start) else {
            return Ok(());
        };
        let better = match (pick, self.0) {
            (_, None) => true,
            (Pick::Newest, Some((best, _))) => start >= best,
            (Pick::Oldest, Some((best, _))) => start < best,
            (Pick::All, _) => false,
        };
        if better {
            self.0 = Some((start, pid));
        }
        Ok(())
    }

    /// The chosen pid.
    pub(crate) fn pid(self) -> Option<Pid> {
        self.0.map(|(_, pid)| pid)
    }
}

/// One attempt at the whole answer into `out` (the engine retries).
pub(crate) fn list_once<B: Select + ?Sized>(
    b: &B,
    q: &Query<'_>,
    out: &mut [Pid],
) -> Result<Listed, Error> {
    let drive = driver(q, b.kernel_filters());
    let mut r = b.reader(q)?;
    let mut best = Best::default();
    if drive == Drive::Scan {
        let mut found = 0usize;
        let scanned = b.scan(&mut |pid| {
            if accept(q, Drive::Scan, &mut r, pid)? == Some(true) {
                if q.pick == Pick::All {
                    if let Some(slot) = out.get_mut(found) {
                        *slot = pid;
                    }
                    found += 1;
                } else {
                    best.offer(q.pick, &mut r, pid)?;
                }
            }
            Ok(())
        });
        if let Some(scanned) = scanned {
            scanned?;
            return Ok(finish(q.pick, found, best, out));
        }
    }
    // Candidates from the driver's kernel answers, then tested in place.
    let (n, nth) = driver_queries(q, drive);
    let mut len = 0usize;
    for i in 0..n {
        let Some(one) = nth(i) else { break };
        let room = out.get_mut(len..).unwrap_or_default();
        match b.list(&one, room)? {
            Listed::Complete(k) => len += k,
            Listed::Full { needed } => {
                return Ok(Listed::Full {
                    needed: needed.filter(|_| n == 1),
                })
            }
        }
    }
    let cands = out.get_mut(..len).unwrap_or_default();
    if n > 1 || !b.ascending() {
        cands.sort_unstable();
    }
    let mut kept = 0usize;
    let mut last = None;
    for at in 0..len {
        let Some(&pid) = out.get(at) else { break };
        if last == Some(pid) {
            continue;
        }
        last = Some(pid);
        if accept(q, drive, &mut r, pid)? != Some(true) {
            continue;
        }
        if q.pick == Pick::All {
            if let Some(slot) = out.get_mut(kept) {
                *slot = pid;
            }
            kept += 1;
        } else {
            best.offer(q.pick, &mut r, pid)?;
        }
    }
    Ok(finish(q.pick, kept, best, out))
}

/// The answer: `found` pids written, or the pick's one.
fn finish(pick: Pick, found: usize, best: Best, out: &mut [Pid]) -> Listed {
    let found = match (pick, best.pid()) {
        (Pick::All, _) => found,
        (_, None) => 0,
        (_, Some(pid)) => {
            if let Some(slot) = out.first_mut() {
                *slot = pid;
            }
            1
        }
    };
    if found <= out.len() {
        Listed::Complete(found)
    } else {
        Listed::Full {
            needed: Some(found),
        }
    }
}

/// The complete answer into `buf`.
pub(crate) fn fill<'b, B: Select + ?Sized, const N: usize>(
    b: &B,
    q: &Query<'_>,
    buf: &'b mut PidBuf<N>,
) -> Result<&'b [Pid], Error> {
    engine::fill_by(
        &mut || b.estimate(&PidQuery::all()),
        &mut |slots| list_once(b, q, slots),
        buf,
    )
}

/// The complete answer into `out`, or `Truncated`.
pub(crate) fn fill_slice<B: Select + ?Sized>(
    b: &B,
    q: &Query<'_>,
    out: &mut [Pid],
) -> Result<usize, Error> {
    engine::fill_slice_by(
        &mut || b.estimate(&PidQuery::all()),
        &mut |slots| list_once(b, q, slots),
        out,
    )
}

// ---- the generic reader: one per-process info call ------------------------

/// A reader over a backend's per-process info call: one call per
/// candidate (macOS `proc_pidinfo`, FreeBSD `kern.proc.pid`), whatever the
/// conditions ask of it. No command lines.
#[derive(Debug)]
pub(crate) struct InfoReader<'s, K: ?Sized> {
    kernel: &'s K,
    pid: Pid,
    info: Option<ProcInfo>,
}

impl<'s, K: Inspect + ?Sized> InfoReader<'s, K> {
    pub(crate) fn new(kernel: &'s K) -> Self {
        InfoReader {
            kernel,
            pid: Pid::ZERO,
            info: None,
        }
    }

    fn load(&mut self) -> Got<ProcInfo> {
        if let Some(info) = self.info {
            return Ok(Some(info));
        }
        match self.kernel.info(self.pid) {
            Ok(info) => {
                self.info = Some(info);
                Ok(Some(info))
            }
            Err(e) if skipped_in_listing(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl<K: Inspect + ?Sized> Reader for InfoReader<'_, K> {
    fn begin(&mut self, pid: Pid) {
        self.pid = pid;
        self.info = None;
    }

    fn euid(&mut self) -> Got<u32> {
        Ok(self.load()?.map(|i| i.euid))
    }

    fn stat(&mut self) -> Got<StatFacts> {
        Ok(self.load()?.map(|i| StatFacts {
            ppid: i.ppid,
            pgrp: i.pgid,
            session: i.sid,
            tty: i.tty,
            state: i.state,
            comm: i.comm,
            start: i.start,
        }))
    }

    fn ids(&mut self) -> Got<IdFacts> {
        Ok(self.load()?.map(|i| IdFacts {
            ruid: i.ruid,
            rgid: i.rgid,
        }))
    }

    fn cmdline(&mut self, _m: &Match<'_>) -> Got<bool> {
        Err(Error::unsupported("command line").with_pid(self.pid))
    }

    fn namespaces(&mut self) -> Got<bool> {
        Err(Error::unsupported("same_namespaces").with_pid(self.pid))
    }

    fn cgroup(&mut self, _paths: &Set<'_, &[u8]>) -> Got<bool> {
        Err(Error::unsupported("cgroup").with_pid(self.pid))
    }

    fn parent_of(&mut self, pid: Pid) -> Got<Pid> {
        match self.kernel.info(pid) {
            Ok(info) => Ok(Some(info.ppid)),
            Err(e) if skipped_in_listing(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
