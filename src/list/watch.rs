//! [`Watch`]: births and deaths between two answers to one query, from two
//! reused buffers and a sorted merge.

use core::iter::FusedIterator;
use core::mem;

use super::links;
use crate::{Error, Pid, PidBuf, PidQuery, System, INLINE_PIDS};

/// A query polled again and again, reporting which pids appeared and which
/// went away since the previous poll.
///
/// A `Watch` keeps the last answer. Each [`poll`](Watch::poll) fills the
/// other of its two buffers, sorts it if the platform did not, and returns
/// the [`Changes`]: a sorted merge of the two answers, computed as you
/// iterate. Once both buffers have their working size a poll allocates
/// nothing, and costs one fill plus a pass over the two answers.
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
/// it is reaped. Today the answer is a set of pids, so a pid that is
/// reaped and reused between two polls looks unchanged. The design leaves
/// room for the per-process identity (a key that survives pid reuse): a
/// watch that tracks it will keep one key per pid beside each answer, in
/// two more reused buffers, and the merge will compare (pid, key) pairs,
/// so that a reused pid shows as [`Change::Died`] then [`Change::Born`] of
/// the same pid, an order [`Changes`] already promises.
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
    /// The answer before it; the next poll fills this one.
    previous: PidBuf<N>,
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
    /// contents are discarded, their storage kept): pass buffers made with
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
        Watch {
            query,
            current: a,
            previous: b,
        }
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
        self.poll_with(|query, buf| system.fill(query, buf).map(drop))
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
        if let Err(e) = fill(&self.query, &mut self.previous) {
            // Whatever the failed fill left there is the older answer's
            // storage, not an answer.
            self.previous.clear();
            return Err(e);
        }
        ascending(&mut self.previous);
        mem::swap(&mut self.current, &mut self.previous);
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
        Changes::between(&self.previous, &self.current)
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
    }
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
        Changes { old, new }
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
        loop {
            match (self.old.split_first(), self.new.split_first()) {
                (Some((&o, old)), Some((&n, new))) => {
                    if o == n {
                        self.old = old;
                        self.new = new;
                    } else if o < n {
                        self.old = old;
                        return Some(Change::Died(o));
                    } else {
                        self.new = new;
                        return Some(Change::Born(n));
                    }
                }
                (Some((&o, old)), None) => {
                    self.old = old;
                    return Some(Change::Died(o));
                }
                (None, Some((&n, new))) => {
                    self.new = new;
                    return Some(Change::Born(n));
                }
                (None, None) => return None,
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let most = self.old.len().saturating_add(self.new.len());
        (self.old.len().abs_diff(self.new.len()), Some(most))
    }
}

impl FusedIterator for Changes<'_> {}
