//! [`Watch`]: births and deaths between two answers to one query, from two
//! reused buffers and a sorted merge.

use core::iter::FusedIterator;
use core::mem;

use super::links;
use crate::{Error, Pid, PidBuf, PidQuery, ProcId, System, INLINE_PIDS};

/// A query polled again and again, reporting which pids appeared and which
/// went away since the previous poll.
///
/// A `Watch` keeps the last two answers. Each [`poll`](Watch::poll) fills
/// a third buffer, sorts it if the platform did not, and returns the
/// [`Changes`]: a sorted merge of the last answer and the new one,
/// computed as you iterate. A poll that fails changes nothing: the new
/// answer replaces the older ones only once it is complete, so
/// [`changes`](Watch::changes) and [`current`](Watch::current) still
/// describe the last poll that succeeded. Once the buffers have their
/// working size a poll allocates nothing, and costs one fill plus a pass
/// over the two answers.
///
/// The first poll reports every pid of the answer as born (nothing was
/// known before it); [`reset`](Watch::reset) makes the next poll do so
/// again.
///
/// # What counts as a change
///
/// A change is a difference between two answers, each with the platform's
/// consistency (see the crate docs): a process born and reaped between two
/// polls is never seen; a zombie is still listed, so its death shows once
/// it is reaped.
///
/// By default an answer is a set of pids, so a pid that is reaped and
/// reused between two polls looks unchanged. A watch made with
/// [`track_reuse`](Watch::track_reuse) also keeps the [`ProcId`] of every
/// pid of its answer, in two more reused buffers, and compares
/// identities as well as pids: a reused pid shows as [`Change::Died`] then
/// [`Change::Born`] of the same pid. That costs, per poll, one
/// [`System::is_current`] for each pid seen before (on Linux 6.9+ a
/// `pidfd_open` and an `fstat`, about 2 µs; a read of `stat` elsewhere) and
/// one [`System::identity`] for each pid born: worth it for the small
/// answers a profiler follows (`ppid`, `descendants`), several times the
/// cost of a fill for a query of the whole table. A pid that vanishes
/// between the fill and its identity is left out of the answer, as if the
/// fill had not seen it.
///
/// # Waking up without polling
///
/// Polling is the only mechanism. A pidfd becomes readable when its
/// process exits, but it sees deaths only (no births), costs a descriptor
/// per watched process, and a poll of a small answer (a `ppid` or
/// `descendants` query of a few processes) already costs a few
/// microseconds. The proc connector reports every fork and exit, but only
/// to a listener in the initial user and pid namespaces (elsewhere the
/// subscription is silently ignored), and it drops events under load
/// (`ENOBUFS`), after which only a full poll can tell what was lost; its
/// pids are those of the initial namespace. BENCHMARKS.md has the
/// measurements behind this choice.
///
/// # Examples
///
/// ```
/// use pidquery::{Change, Pid, PidQuery, Watch};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut watch = Watch::new(PidQuery::ppid(Pid::this()));
/// watch.poll()?; // the first poll reports what is there as born
/// let mut child = std::process::Command::new("sleep").arg("5").spawn()?;
/// let pid = Pid::from(&child);
/// let born: Vec<Change> = watch.poll()?.collect();
/// assert!(born.contains(&Change::Born(pid)));
/// child.kill()?;
/// child.wait()?; // reaped: gone from the table
/// let died: Vec<Change> = watch.poll()?.collect();
/// assert!(died.contains(&Change::Died(pid)));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Watch<const N: usize = INLINE_PIDS> {
    query: PidQuery,
    /// The last answer, ascending, without duplicates.
    current: PidBuf<N>,
    /// The answer before it.
    previous: PidBuf<N>,
    /// Storage the next poll fills; it becomes `current` once complete.
    next: PidBuf<N>,
    /// With [`Watch::track_reuse`]: the identity of each pid of `current`,
    /// `previous` and `next`, index for index.
    ids: Option<Ids>,
}

/// The identities beside a tracking watch's answers.
#[derive(Clone, Debug, Default)]
struct Ids {
    current: Vec<ProcId>,
    previous: Vec<ProcId>,
    next: Vec<ProcId>,
}

impl Watch {
    /// A watch over `query`, with inline room for [`INLINE_PIDS`] pids per
    /// answer; does no I/O. For another inline size use
    /// [`Watch::with_buffers`].
    ///
    /// ```
    /// let watch = pidquery::Watch::new(pidquery::PidQuery::all());
    /// assert!(watch.current().is_empty());
    /// ```
    pub fn new(query: PidQuery) -> Watch {
        Watch::with_buffers(query, PidBuf::new(), PidBuf::new())
    }
}

impl<const N: usize> Watch<N> {
    /// A watch over `query` that keeps its answers in `a` and `b` (their
    /// contents are discarded, their storage kept) and a third buffer as
    /// large as the larger: pass buffers made with
    /// [`PidBuf::with_capacity`] so that even the first polls need not
    /// grow them.
    ///
    /// ```
    /// use pidquery::{PidBuf, PidQuery, Watch};
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let room = PidQuery::all().probe()? * 2;
    /// let mut watch = Watch::with_buffers(
    ///     PidQuery::all(),
    ///     PidBuf::with_capacity(room),
    ///     PidBuf::with_capacity(room),
    /// );
    /// assert!(watch.poll()?.count() >= 1);
    /// # Ok(()) }
    /// ```
    pub fn with_buffers(query: PidQuery, mut a: PidBuf<N>, mut b: PidBuf<N>) -> Watch<N> {
        a.clear();
        b.clear();
        let mut next = PidBuf::default();
        next.reserve(a.capacity().max(b.capacity()));
        Watch {
            query,
            current: a,
            previous: b,
            next,
            ids: None,
        }
    }

    /// This watch, also telling a pid reused between two polls from the
    /// process it named: such a pid is reported as [`Change::Died`] then
    /// [`Change::Born`]. Forgets the last answer, as [`reset`](Watch::reset).
    /// See *What counts as a change* above for the cost. Needs the
    /// platform's per-process identity ([`System::identity`]): on a
    /// platform without it, a poll fails with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported).
    ///
    /// ```
    /// use pidquery::{Change, Pid, PidQuery, Watch};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # if pidquery::System::live()?.identity(Pid::this()).is_err() { return Ok(()) }
    /// let mut watch = Watch::new(PidQuery::ppid(Pid::this())).track_reuse();
    /// assert!(watch.tracks_reuse());
    /// let mut child = std::process::Command::new("sleep").arg("5").spawn()?;
    /// let pid = Pid::from(&child);
    /// assert!(watch.poll()?.any(|c| c == Change::Born(pid)));
    /// // Unchanged: the same pid, the same process.
    /// assert!(!watch.poll()?.any(|c| c.pid() == pid));
    /// child.kill()?;
    /// child.wait()?;
    /// assert!(watch.poll()?.any(|c| c == Change::Died(pid)));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn track_reuse(mut self) -> Watch<N> {
        self.reset();
        // As much room as the answers have, so that buffers sized for the
        // query serve the identities too.
        let room = self.current.capacity().max(self.previous.capacity());
        self.ids = Some(Ids {
            current: Vec::with_capacity(room),
            previous: Vec::with_capacity(room),
            next: Vec::with_capacity(room),
        });
        self
    }

    /// Whether this watch tells reused pids apart
    /// ([`track_reuse`](Watch::track_reuse)).
    ///
    /// ```
    /// let watch = pidquery::Watch::new(pidquery::PidQuery::all());
    /// assert!(!watch.tracks_reuse());
    /// ```
    pub fn tracks_reuse(&self) -> bool {
        self.ids.is_some()
    }

    /// The query this watch polls.
    ///
    /// ```
    /// use pidquery::{PidQuery, Watch};
    /// assert_eq!(Watch::new(PidQuery::uid(0)).query(), PidQuery::uid(0));
    /// ```
    pub fn query(&self) -> PidQuery {
        self.query
    }

    /// Runs the query on the live system and returns what changed since
    /// the previous poll.
    ///
    /// # Errors
    ///
    /// As [`PidQuery::fill`]. A failed poll changes nothing: the next one
    /// reports the changes since the last poll that succeeded.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut watch = pidquery::Watch::new(pidquery::PidQuery::all());
    /// let first = watch.poll()?.count();
    /// assert_eq!(first, watch.current().len());
    /// # Ok(()) }
    /// ```
    pub fn poll(&mut self) -> Result<Changes<'_>, Error> {
        self.poll_in(System::live()?)
    }

    /// As [`poll`](Watch::poll), on `system`.
    ///
    /// # Errors
    ///
    /// As [`System::fill`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let system = pidquery::System::live()?;
    /// let mut watch = pidquery::Watch::new(pidquery::PidQuery::all());
    /// watch.poll_in(system)?;
    /// assert!(watch.current().contains(&pidquery::Pid::this()));
    /// # Ok(()) }
    /// ```
    pub fn poll_in(&mut self, system: &System) -> Result<Changes<'_>, Error> {
        self.poll_core(
            |query, buf| system.fill(query, buf).map(drop),
            |pid, seen| match seen {
                Some(id) if system.is_current(id)? => Ok(*id),
                // A skipped pid gets an error without a path: no allocation.
                _ => system
                    .identity_if_listed(pid)?
                    .ok_or_else(|| Error::no_such_process("identity", pid)),
            },
        )
    }

    /// As [`poll`](Watch::poll), with the answer produced by `fill`, which
    /// must leave the complete answer to the query it is given in the
    /// buffer (in any order; duplicates are dropped), or fail. For kernels
    /// other than the live one, such as the xnu model
    /// (`Model::fill`, feature `model`).
    ///
    /// # Errors
    ///
    /// What `fill` returns; the watch is then unchanged.
    ///
    /// ```
    /// use pidquery::{PidQuery, System, Watch};
    ///
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let system = System::live()?;
    /// let mut watch = Watch::new(PidQuery::all());
    /// let mut fills = 0;
    /// watch.poll_with(|query, buf| {
    ///     fills += 1;
    ///     system.fill(query, buf).map(drop)
    /// })?;
    /// assert_eq!(fills, 1);
    /// assert!(!watch.current().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn poll_with<F>(&mut self, fill: F) -> Result<Changes<'_>, Error>
    where
        F: FnOnce(&PidQuery, &mut PidBuf<N>) -> Result<(), Error>,
    {
        self.poll_core(fill, |pid, _| {
            Err(Error::unsupported("identity of a pid from poll_with").with_pid(pid))
        })
    }

    /// A poll: `fill` answers the query; with [`track_reuse`](Watch::track_reuse),
    /// `identify(pid, seen)` gives the identity of each pid of the new
    /// answer, `seen` being the one it had in the last answer (to be
    /// returned as is when it still names the process). An identity error
    /// saying the pid is gone or hidden drops the pid; any other fails the
    /// poll, which then changes nothing.
    pub(crate) fn poll_core<F, I>(&mut self, fill: F, mut identify: I) -> Result<Changes<'_>, Error>
    where
        F: FnOnce(&PidQuery, &mut PidBuf<N>) -> Result<(), Error>,
        I: FnMut(Pid, Option<&ProcId>) -> Result<ProcId, Error>,
    {
        // Everything is written into `next` first: an error leaves the
        // last two answers (and their identities) as they were.
        fill(&self.query, &mut self.next)?;
        ascending(&mut self.next);
        if let Some(ids) = &mut self.ids {
            identify_all(&self.current, ids, &mut self.next, &mut identify)?;
            rotate(&mut ids.previous, &mut ids.current, &mut ids.next);
        }
        rotate(&mut self.previous, &mut self.current, &mut self.next);
        Ok(self.changes())
    }

    /// The changes the last poll reported, again (none before the first).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut watch = pidquery::Watch::new(pidquery::PidQuery::all());
    /// let n = watch.poll()?.count();
    /// assert_eq!(watch.changes().count(), n);
    /// # Ok(()) }
    /// ```
    pub fn changes(&self) -> Changes<'_> {
        let changes = Changes::between(&self.previous, &self.current);
        match &self.ids {
            Some(ids) => changes.with_ids(&ids.previous, &ids.current),
            None => changes,
        }
    }

    /// The last answer, ascending, without duplicates (empty before the
    /// first poll).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut watch = pidquery::Watch::new(pidquery::PidQuery::all());
    /// watch.poll()?;
    /// assert!(watch.current().windows(2).all(|w| w[0] < w[1]));
    /// # Ok(()) }
    /// ```
    pub fn current(&self) -> &[Pid] {
        &self.current
    }

    /// Forgets the last answer (keeping the storage): the next poll reports
    /// every pid as born.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut watch = pidquery::Watch::new(pidquery::PidQuery::all());
    /// let n = watch.poll()?.count();
    /// watch.reset();
    /// assert!(watch.poll()?.count() >= 1);
    /// # let _ = n;
    /// # Ok(()) }
    /// ```
    pub fn reset(&mut self) {
        self.current.clear();
        self.previous.clear();
        self.next.clear();
        if let Some(ids) = &mut self.ids {
            ids.current.clear();
            ids.previous.clear();
            ids.next.clear();
        }
    }
}

/// `previous` ← `current` ← `next`, and the storage `previous` had becomes
/// `next`'s: no copy, no allocation.
fn rotate<T>(previous: &mut T, current: &mut T, next: &mut T) {
    mem::swap(previous, next);
    mem::swap(previous, current);
}

/// Fills `ids.next` with the identity of each pid of `new` (ascending),
/// asking `identify` with the identity each had in `old` (`ids.current`,
/// index for index), and drops from `new` the pids that went away
/// meanwhile, in place. Allocates only to grow `ids.next` past its
/// capacity.
fn identify_all<const N: usize, I>(
    old: &[Pid],
    ids: &mut Ids,
    new: &mut PidBuf<N>,
    identify: &mut I,
) -> Result<(), Error>
where
    I: FnMut(Pid, Option<&ProcId>) -> Result<ProcId, Error>,
{
    ids.next.clear();
    let n = new.len();
    if n > ids.next.capacity() {
        // Headroom, as for the answers, so that a table that grows by a
        // few processes does not grow this at every poll.
        ids.next.reserve(n + n / 8 + 16);
    }
    let pids = new.spare(n);
    let (mut kept, mut o) = (0, 0);
    for i in 0..n {
        let Some(&pid) = pids.get(i) else { break };
        while old.get(o).is_some_and(|&p| p < pid) {
            o += 1;
        }
        let seen = if old.get(o) == Some(&pid) {
            ids.current.get(o)
        } else {
            None
        };
        match identify(pid, seen) {
            Ok(id) => {
                ids.next.push(id);
                if let Some(slot) = pids.get_mut(kept) {
                    *slot = pid;
                }
                kept += 1;
            }
            // Reaped, now a thread's number, or hidden since the fill.
            Err(e) if crate::sys::skipped_in_listing(&e) => {}
            Err(e) => {
                new.set_answer_len(n);
                return Err(e);
            }
        }
    }
    new.set_answer_len(kept);
    Ok(())
}

/// Sorts `buf` and drops duplicates, unless it already is strictly
/// ascending (the Linux backend's answers are): in place, no allocation.
fn ascending<const N: usize>(buf: &mut PidBuf<N>) {
    if buf.windows(2).all(|w| w.first() < w.get(1)) {
        return;
    }
    let n = buf.len();
    let Some(pids) = buf.spare(n).get_mut(..n) else {
        return;
    };
    let kept = links::sort_dedup(pids);
    buf.set_answer_len(kept);
}

/// One difference between two answers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// In the new answer, not in the old one.
    Born(Pid),
    /// In the old answer, not in the new one.
    Died(Pid),
}

impl Change {
    /// The pid that changed.
    ///
    /// ```
    /// use pidquery::{Change, Pid};
    /// assert_eq!(Change::Born(Pid::ZERO).pid(), Pid::ZERO);
    /// ```
    pub const fn pid(self) -> Pid {
        match self {
            Change::Born(pid) | Change::Died(pid) => pid,
        }
    }
}

/// The births and deaths between two ascending answers, by a sorted merge
/// computed as it is iterated: ascending by pid, and for one pid a death
/// before a birth. Allocates nothing.
///
/// ```
/// use pidquery::{Change, Changes, Pid};
///
/// let p = |raw| Pid::from_raw(raw).unwrap();
/// let (before, after) = ([p(1), p(5), p(8)], [p(1), p(2), p(8), p(9)]);
/// let changes = Changes::between(&before, &after);
/// assert_eq!(changes.len(), 3);
/// let all: Vec<Change> = changes.collect();
/// assert_eq!(all, [Change::Born(p(2)), Change::Died(p(5)), Change::Born(p(9))]);
/// ```
#[derive(Clone, Debug)]
pub struct Changes<'a> {
    old: &'a [Pid],
    new: &'a [Pid],
    /// The identities beside `old` and `new`, index for index, when the
    /// watch tracks reuse.
    ids: Option<(&'a [ProcId], &'a [ProcId])>,
    /// A pid reused between the answers, reported dead, to be reported born.
    reborn: Option<Pid>,
}

impl<'a> Changes<'a> {
    /// The changes from `old` to `new`, both strictly ascending (as
    /// [`Watch::current`] and the Linux backend's answers are). Unsorted
    /// input gives an unspecified list, never a panic.
    ///
    /// ```
    /// use pidquery::{Changes, Pid};
    /// assert!(Changes::between(&[Pid::ZERO], &[Pid::ZERO]).is_empty());
    /// ```
    pub fn between(old: &'a [Pid], new: &'a [Pid]) -> Changes<'a> {
        Changes {
            old,
            new,
            ids: None,
            reborn: None,
        }
    }

    /// These changes, also telling apart a pid in both answers whose
    /// identities differ (reused): the identities are index for index
    /// with the answers; shorter slices are not compared.
    fn with_ids(mut self, old: &'a [ProcId], new: &'a [ProcId]) -> Changes<'a> {
        self.ids = Some((old, new));
        self
    }

    /// True when the two answers are the same.
    ///
    /// ```
    /// use pidquery::{Changes, Pid};
    /// assert!(!Changes::between(&[], &[Pid::ZERO]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.clone().next().is_none()
    }

    /// How many changes are left, by a pass over both answers.
    ///
    /// ```
    /// use pidquery::{Changes, Pid};
    /// let p = |raw| Pid::from_raw(raw).unwrap();
    /// assert_eq!(Changes::between(&[p(1)], &[p(2)]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.clone().count()
    }

    /// Only the births.
    ///
    /// ```
    /// use pidquery::{Changes, Pid};
    /// let p = |raw| Pid::from_raw(raw).unwrap();
    /// let born: Vec<Pid> = Changes::between(&[p(1)], &[p(2)]).born().collect();
    /// assert_eq!(born, [p(2)]);
    /// ```
    pub fn born(self) -> impl Iterator<Item = Pid> + 'a {
        self.filter_map(|c| match c {
            Change::Born(pid) => Some(pid),
            Change::Died(_) => None,
        })
    }

    /// Only the deaths.
    ///
    /// ```
    /// use pidquery::{Changes, Pid};
    /// let p = |raw| Pid::from_raw(raw).unwrap();
    /// let died: Vec<Pid> = Changes::between(&[p(1)], &[p(2)]).died().collect();
    /// assert_eq!(died, [p(1)]);
    /// ```
    pub fn died(self) -> impl Iterator<Item = Pid> + 'a {
        self.filter_map(|c| match c {
            Change::Died(pid) => Some(pid),
            Change::Born(_) => None,
        })
    }
}

impl Iterator for Changes<'_> {
    type Item = Change;

    fn next(&mut self) -> Option<Change> {
        if let Some(pid) = self.reborn.take() {
            return Some(Change::Born(pid));
        }
        loop {
            match (self.old.split_first(), self.new.split_first()) {
                (Some((&o, _)), Some((&n, _))) => {
                    if o == n {
                        let reused = self.ids.is_some_and(
                            |(a, b)| matches!((a.first(), b.first()), (Some(x), Some(y)) if x != y),
                        );
                        self.advance(true, true);
                        if reused {
                            self.reborn = Some(n);
                            return Some(Change::Died(o));
                        }
                    } else if o < n {
                        self.advance(true, false);
                        return Some(Change::Died(o));
                    } else {
                        self.advance(false, true);
                        return Some(Change::Born(n));
                    }
                }
                (Some((&o, _)), None) => {
                    self.advance(true, false);
                    return Some(Change::Died(o));
                }
                (None, Some((&n, _))) => {
                    self.advance(false, true);
                    return Some(Change::Born(n));
                }
                (None, None) => return None,
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let pending = usize::from(self.reborn.is_some());
        // A reused pid gives two changes, one per answer it is in.
        let most = self.old.len().saturating_add(self.new.len());
        (
            self.old
                .len()
                .abs_diff(self.new.len())
                .saturating_add(pending),
            Some(most.saturating_add(pending)),
        )
    }
}

impl Changes<'_> {
    /// Steps past the first pid of the old answer, the new one, or both,
    /// and the identities beside them.
    fn advance(&mut self, old: bool, new: bool) {
        if old {
            self.old = self.old.get(1..).unwrap_or_default();
        }
        if new {
            self.new = self.new.get(1..).unwrap_or_default();
        }
        if let Some((a, b)) = &mut self.ids {
            if old {
                *a = a.get(1..).unwrap_or_default();
            }
            if new {
                *b = b.get(1..).unwrap_or_default();
            }
        }
    }
}

impl FusedIterator for Changes<'_> {}

#[cfg(test)]
mod tests;
