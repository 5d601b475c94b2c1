//! The query engine: fill → verify → grow/retry, written once for every
//! backend that lists pids.
//!
//! # Retry policy
//!
//! A fill first uses the buffer's current capacity, so a warm buffer costs
//! one kernel call. When the kernel reports the buffer full (on xnu a return
//! equal to the capacity *may* be truncated; on Linux the backend counts
//! every match and says exactly how many there were), the buffer grows to
//! `max(2 × capacity, needed + needed/8 + 16)`, where `needed` is the
//! backend's count or, failing that, a fresh size probe. It then tries again.
//! A count that fits the slots says they were enough and the backend's own
//! storage was not (FreeBSD's record scratch, which has grown): the same
//! slots are asked again.
//!
//! The growth rule and the attempt budget are the backend contract's
//! (`sys/growth.rs`), so that a backend sizing storage of its own grows it
//! the same way without calling up into this layer.
//!
//! This loop is the only one: every backend makes one fetch per
//! [`ListPids::list`], so a fill (or a `fill_slice`) makes at most
//! [`MAX_ATTEMPTS`] fetches, each at most preceded by a size probe. When
//! they all came back full the fill fails with
//! [`ErrorKind::Raced`](crate::ErrorKind::Raced) carrying the attempts
//! spent: the buffer at least doubles each time, so this takes a process
//! table that more than doubles between consecutive calls, repeatedly. No
//! list that cannot be proven complete is ever returned.

use crate::sys::growth::{grow, MAX_PIDS};
use crate::sys::{ListPids, Listed};
use crate::{Error, Pid, PidBuf, PidQuery};

// The budget is the contract's (`sys/growth.rs`), shared with the backends
// and the per-process buffers; the crate root re-exports it from here.
pub use crate::sys::growth::MAX_ATTEMPTS;

/// Fills `buf` with the complete answer to `query`.
pub(crate) fn fill<'b, K: ListPids + ?Sized, const N: usize>(
    kernel: &K,
    query: &PidQuery,
    buf: &'b mut PidBuf<N>,
) -> Result<&'b [Pid], Error> {
    fill_by(
        &mut || kernel.estimate(query),
        &mut |slots| kernel.list(query, slots),
        buf,
    )
}

/// Fills caller-supplied storage; `Truncated` when the answer does not fit
/// or a full slice cannot be proven complete; asked again (within
/// [`MAX_ATTEMPTS`]) while the backend reports a count that fits.
pub(crate) fn fill_slice<K: ListPids + ?Sized>(
    kernel: &K,
    query: &PidQuery,
    out: &mut [Pid],
) -> Result<usize, Error> {
    fill_slice_by(
        &mut || kernel.estimate(query),
        &mut |slots| kernel.list(query, slots),
        out,
    )
}

/// [`fill`] over any one-fetch lister and size estimate (the planner's
/// queries come through here too).
pub(crate) fn fill_by<'b, const N: usize>(
    estimate: &mut dyn FnMut() -> Result<usize, Error>,
    list: &mut dyn FnMut(&mut [Pid]) -> Result<Listed, Error>,
    buf: &'b mut PidBuf<N>,
) -> Result<&'b [Pid], Error> {
    let mut want = buf.capacity();
    if want == 0 {
        // An empty slice proves nothing, and would cost a whole scan on
        // Linux: a buffer with no room starts from the size estimate.
        want = match estimate() {
            Ok(n) => grow(0, n),
            Err(e) => {
                buf.clear();
                return Err(e);
            }
        };
    }
    let mut spent = 0;
    for attempt in 1..=MAX_ATTEMPTS {
        let slots = buf.spare(want);
        let capacity = slots.len();
        match list(slots) {
            Ok(Listed::Complete(n)) => {
                debug_assert!(n <= capacity);
                buf.set_answer_len(n.min(capacity));
                return Ok(buf.as_slice());
            }
            Ok(Listed::Full { needed }) => {
                spent = attempt;
                if attempt == MAX_ATTEMPTS || capacity >= MAX_PIDS {
                    break;
                }
                let needed = match needed {
                    // The slots were enough: ask again.
                    Some(n) if n <= capacity => {
                        want = capacity;
                        continue;
                    }
                    Some(n) => n,
                    None => match estimate() {
                        Ok(n) => n,
                        Err(e) => {
                            buf.clear();
                            return Err(e);
                        }
                    },
                };
                want = grow(capacity, needed);
            }
            Err(e) => {
                buf.clear();
                return Err(e);
            }
        }
    }
    buf.clear();
    Err(Error::raced(spent))
}

/// [`fill_slice`] over any one-fetch lister and size estimate.
pub(crate) fn fill_slice_by(
    estimate: &mut dyn FnMut() -> Result<usize, Error>,
    list: &mut dyn FnMut(&mut [Pid]) -> Result<Listed, Error>,
    out: &mut [Pid],
) -> Result<usize, Error> {
    let len = out.len().min(MAX_PIDS);
    let out = out.get_mut(..len).unwrap_or_default();
    for _ in 0..MAX_ATTEMPTS {
        match list(out)? {
            Listed::Complete(n) => return Ok(n.min(out.len())),
            // The slots were enough: ask again.
            Listed::Full { needed: Some(n) } if n <= out.len() => {}
            Listed::Full { needed } => {
                let needed = match needed {
                    Some(n) => n,
                    None => estimate()?,
                };
                return Err(Error::truncated(needed.max(out.len() + 1)));
            }
        }
    }
    Err(Error::raced(MAX_ATTEMPTS))
}

/// The size estimate for `query`, in pids.
#[inline]
pub(crate) fn probe<K: ListPids + ?Sized>(kernel: &K, query: &PidQuery) -> Result<usize, Error> {
    kernel.estimate(query)
}

#[cfg(test)]
mod tests {
    // The contract's growth rule, as this loop applies it.
    use super::*;

    #[test]
    fn growth_at_least_doubles_and_covers_need() {
        assert_eq!(grow(64, 10), 128);
        assert_eq!(grow(64, 1000), 1000 + 125 + 16);
        assert_eq!(grow(0, 0), 16);
        assert_eq!(grow(usize::MAX, usize::MAX), MAX_PIDS);
        for cap in [0usize, 1, 7, 64, 4096] {
            for need in [0usize, 1, 63, 64, 65, 100_000] {
                let g = grow(cap, need);
                assert!(g >= need.min(MAX_PIDS) && g >= (cap * 2).min(MAX_PIDS));
            }
        }
    }
}
