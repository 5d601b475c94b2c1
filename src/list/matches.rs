//! [`Matches`], the one-shot iterator over a [`Query`]'s answer.

use core::iter::FusedIterator;

use crate::list::plan::{self, driver, Drive, Select};
use crate::sys::{QueryStream, StreamQuery};
use crate::{Error, Pick, Pid, PidBuf, Query};

/// Candidates a [`Matches`] holds in itself (a `parent` or
/// `descendant_of` answer, tested before it is yielded).
const HELD: usize = 1024;

/// The answer to one [`Query`], one pid at a time, ascending; from
/// [`Query::iter`]. Each item is a `Result`: an error is the last item,
/// never a silently short answer.
///
/// ```
/// use pidquery::{Pid, Query};
/// # fn main() -> Result<(), pidquery::Error> {
/// let me = Pid::this();
/// let found = Query::new().euid(me.info()?.euid).iter()?.find(|p| p.as_ref().is_ok_and(|&p| p == me));
/// assert!(found.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Matches<'a> {
    inner: Inner<'a>,
    /// The query's borrows (the stream holds them on Linux only).
    _query: core::marker::PhantomData<Query<'a>>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Inner<'a> {
    Held {
        pids: [Pid; HELD],
        next: usize,
        len: usize,
    },
    Filled {
        buf: PidBuf,
        next: usize,
    },
    Streaming(QueryStream<'a>),
}

/// Starts iterating `q` on `b`.
pub(crate) fn iter<'a, B: Select + StreamQuery<QueryStream<'a> = QueryStream<'a>>>(
    b: &B,
    q: &Query<'a>,
) -> Result<Matches<'a>, Error> {
    let scans = driver(q, b.kernel_filters()) == Drive::Scan;
    if scans && q.pick == Pick::All {
        if let Some(stream) = b.stream_query(q)? {
            return Ok(Matches {
                inner: Inner::Streaming(stream),
                _query: core::marker::PhantomData,
            });
        }
    }
    // A pick's answer is one pid; a driver's candidates are few: held.
    let mut pids = [Pid::ZERO; HELD];
    if let crate::sys::Listed::Complete(len) = plan::list_once(b, q, &mut pids)? {
        return Ok(Matches {
            inner: Inner::Held { pids, next: 0, len },
            _query: core::marker::PhantomData,
        });
    }
    if q.pick == Pick::All {
        // Too many candidates to hold: the stream tests every condition.
        if let Some(stream) = b.stream_query(q)? {
            return Ok(Matches {
                inner: Inner::Streaming(stream),
                _query: core::marker::PhantomData,
            });
        }
    }
    let mut buf = PidBuf::new();
    plan::fill(b, q, &mut buf)?;
    Ok(Matches {
        inner: Inner::Filled { buf, next: 0 },
        _query: core::marker::PhantomData,
    })
}

impl Iterator for Matches<'_> {
    type Item = Result<Pid, Error>;

    fn next(&mut self) -> Option<Result<Pid, Error>> {
        match &mut self.inner {
            Inner::Held { pids, next, len } => {
                let pid = pids.get(*next).copied().filter(|_| *next < *len)?;
                *next += 1;
                Some(Ok(pid))
            }
            Inner::Filled { buf, next } => {
                let pid = buf.as_slice().get(*next).copied()?;
                *next += 1;
                Some(Ok(pid))
            }
            Inner::Streaming(stream) => stream.next(),
        }
    }
}

impl FusedIterator for Matches<'_> {}
