//! [`PidBuf`], reusable storage for answers, and the iterators over it.

use core::iter::FusedIterator;
use core::slice;

use smallvec::SmallVec;

use crate::sys::Stream;
use crate::{Error, Pid};

/// The inline capacity of [`PidBuf`] by default: answers of up to this many
/// pids never touch the heap.
pub const INLINE_PIDS: usize = 64;

/// Reusable storage for the answer to one query.
///
/// Make one, keep it, and pass it to [`PidQuery::fill`](crate::PidQuery::fill)
/// on every iteration of a hot loop: after the first queries have grown it to
/// the working size, a query allocates nothing. Answers of up to `N` pids
/// (default [`INLINE_PIDS`]) are stored inline and never allocate at all.
///
/// The buffer only ever grows; [`shrink_to_fit`](PidBuf::shrink_to_fit)
/// gives memory back.
///
/// # Examples
///
/// ```
/// use pidquery::{Pid, PidBuf, PidQuery};
///
/// # fn main() -> Result<(), pidquery::Error> {
/// let mut buf = PidBuf::new();
/// let me = Pid::this();
/// for _ in 0..10 {
///     PidQuery::ppid(Pid::parent()).fill(&mut buf)?;
///     assert!(buf.iter().any(|pid| pid == me));
/// }
/// // A smaller inline size for answers known to be tiny:
/// let mut small = PidBuf::<4>::default();
/// PidQuery::ppid(me).fill(&mut small)?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct PidBuf<const N: usize = INLINE_PIDS> {
    pids: SmallVec<[Pid; N]>,
}

impl PidBuf {
    /// An empty buffer with inline room for [`INLINE_PIDS`] pids; does not
    /// allocate. For another inline size use `PidBuf::<N>::default()`.
    ///
    /// ```
    /// let buf = pidquery::PidBuf::new();
    /// assert!(buf.is_empty());
    /// let small = pidquery::PidBuf::<8>::default();
    /// assert_eq!(small.capacity(), 8);
    /// ```
    #[inline]
    pub fn new() -> Self {
        PidBuf {
            pids: SmallVec::new(),
        }
    }

    /// An empty buffer with room for at least `capacity` pids, so that the
    /// first queries need not grow it.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let buf = pidquery::PidBuf::with_capacity(pidquery::PidQuery::all().probe()?);
    /// assert!(buf.capacity() >= 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn with_capacity(capacity: usize) -> Self {
        PidBuf {
            pids: SmallVec::with_capacity(capacity),
        }
    }
}

impl<const N: usize> PidBuf<N> {
    /// Grows the buffer so it holds at least `additional` more pids than its
    /// current answer without reallocating.
    ///
    /// ```
    /// let mut buf = pidquery::PidBuf::<4>::default();
    /// buf.reserve(100);
    /// assert!(buf.capacity() >= 100);
    /// ```
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        self.pids.reserve(additional);
    }

    /// The pids of the last successful fill.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut buf = pidquery::PidBuf::new();
    /// pidquery::PidQuery::all().fill(&mut buf)?;
    /// assert!(buf.as_slice().contains(&pidquery::Pid::this()));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[Pid] {
        &self.pids
    }

    /// How many pids the last fill returned.
    ///
    /// ```
    /// assert_eq!(pidquery::PidBuf::new().len(), 0);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.pids.len()
    }

    /// True when the last fill matched nothing (or none ran yet).
    ///
    /// ```
    /// assert!(pidquery::PidBuf::new().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    /// How many pids fit without growing.
    ///
    /// ```
    /// assert_eq!(pidquery::PidBuf::<16>::default().capacity(), 16);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.pids.capacity()
    }

    /// True when the pids live on the heap rather than inline.
    ///
    /// ```
    /// assert!(!pidquery::PidBuf::new().spilled());
    /// ```
    #[inline]
    pub fn spilled(&self) -> bool {
        self.pids.spilled()
    }

    /// Forgets the answer, keeping the storage.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut buf = pidquery::PidBuf::new();
    /// pidquery::PidQuery::all().fill(&mut buf)?;
    /// buf.clear();
    /// assert!(buf.is_empty());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn clear(&mut self) {
        self.pids.clear();
    }

    /// Gives back storage beyond the current answer.
    ///
    /// ```
    /// let mut buf = pidquery::PidBuf::<4>::default();
    /// buf.reserve(1000);
    /// buf.shrink_to_fit();
    /// assert_eq!(buf.capacity(), 4);
    /// ```
    #[inline]
    pub fn shrink_to_fit(&mut self) {
        self.pids.shrink_to_fit();
    }

    /// Iterates over the pids of the last fill.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut buf = pidquery::PidBuf::new();
    /// pidquery::PidQuery::all().fill(&mut buf)?;
    /// assert_eq!(buf.iter().len(), buf.len());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.pids.iter(),
        }
    }

    /// Makes the whole capacity, at least `want` pids, available as a
    /// writable slice of length `want.max(capacity)`. Grows (allocates) only
    /// when `want` exceeds the capacity.
    pub(crate) fn spare(&mut self, want: usize) -> &mut [Pid] {
        let len = want.max(self.pids.capacity());
        if len > self.pids.len() {
            self.pids.resize(len, Pid::ZERO);
        } else {
            self.pids.truncate(len);
        }
        &mut self.pids
    }

    /// Keeps the first `n` pids written through [`spare`](Self::spare).
    #[inline]
    pub(crate) fn set_answer_len(&mut self, n: usize) {
        self.pids.truncate(n);
    }
}

impl<const N: usize> core::ops::Deref for PidBuf<N> {
    type Target = [Pid];

    #[inline]
    fn deref(&self) -> &[Pid] {
        &self.pids
    }
}

impl<const N: usize> core::fmt::Debug for PidBuf<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.pids.iter()).finish()
    }
}

impl<'a, const N: usize> IntoIterator for &'a PidBuf<N> {
    type Item = Pid;
    type IntoIter = Iter<'a>;

    #[inline]
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over the pids in a [`PidBuf`], by value.
///
/// ```
/// # fn main() -> Result<(), pidquery::Error> {
/// let mut buf = pidquery::PidBuf::new();
/// pidquery::PidQuery::all().fill(&mut buf)?;
/// let mut n = 0;
/// for _pid in &buf {
///     n += 1;
/// }
/// assert_eq!(n, buf.len());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    inner: slice::Iter<'a, Pid>,
}

impl Iterator for Iter<'_> {
    type Item = Pid;

    #[inline]
    fn next(&mut self) -> Option<Pid> {
        self.inner.next().copied()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Pid> {
        self.inner.next_back().copied()
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

/// The answer to one query, one pid at a time, from
/// [`PidQuery::iter`](crate::PidQuery::iter) or
/// [`System::iter`](crate::System::iter).
///
/// - **Linux**: the iterator *is* the scan. It holds the directory buffer
///   and tests each process when it gets there, yielding every match at
///   once: a loop that stops early (`find`, `any`, "is this group still
///   alive?") stops the scan there, and nothing is allocated, even the
///   first time. The answer is the one [`fill`](crate::PidQuery::fill)
///   gives — ascending, no duplicates, every process alive for the whole
///   iteration is yielded, one born or reaped meanwhile may or may not be
///   — over the time the iteration takes. `ppid` is answered from the
///   parent's `children` files when they can be proven complete (then the
///   iterator holds that answer), else by streaming the scan.
/// - **macOS** (and elsewhere): the query fills once, as
///   [`fill`](crate::PidQuery::fill) would, into a buffer the iterator
///   owns (which allocates past [`INLINE_PIDS`] pids), then iterates.
///
/// Each item is a `Result`: an error that stops the query (a failing
/// system call on the proc root, an out-of-descriptors process) is the
/// last item, never a silently short answer. A process that vanishes or
/// is hidden mid-query is skipped, as with `fill`.
///
/// ```
/// use pidquery::{Pid, PidQuery};
///
/// # fn main() -> Result<(), pidquery::Error> {
/// // An early exit: the scan stops at this process.
/// let me = PidQuery::all().iter()?.find(|p| p.as_ref().is_ok_and(|&p| p == Pid::this()));
/// assert!(me.is_some());
///
/// // Every item, stopping at the first error.
/// let all = PidQuery::all().iter()?.collect::<Result<Vec<Pid>, _>>()?;
/// assert!(all.windows(2).all(|w| w[0] < w[1]));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Pids {
    inner: Inner,
}

// The stream holds its directory buffer inline: boxing it would allocate.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Inner {
    /// A filled answer (backends that do not stream).
    Filled { buf: PidBuf, next: usize },
    /// The backend's stream.
    Streaming(Stream),
}

impl Pids {
    pub(crate) fn new(buf: PidBuf) -> Pids {
        Pids {
            inner: Inner::Filled { buf, next: 0 },
        }
    }

    pub(crate) fn streaming(stream: Stream) -> Pids {
        Pids {
            inner: Inner::Streaming(stream),
        }
    }
}

impl Iterator for Pids {
    type Item = Result<Pid, Error>;

    #[inline]
    fn next(&mut self) -> Option<Result<Pid, Error>> {
        match &mut self.inner {
            Inner::Filled { buf, next } => {
                let pid = buf.as_slice().get(*next).copied()?;
                *next += 1;
                Some(Ok(pid))
            }
            Inner::Streaming(stream) => stream.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Filled { buf, next } => {
                let left = buf.len().saturating_sub(*next);
                (left, Some(left))
            }
            Inner::Streaming(stream) => stream.size_hint(),
        }
    }
}

impl FusedIterator for Pids {}
