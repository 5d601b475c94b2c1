//! Reusable, growable storage for the list answers of per-process calls
//! (threads, fds), and the grow-and-retry loop that fills it.

use smallvec::SmallVec;

use crate::sys::growth::{grow, MAX_ATTEMPTS};
use crate::sys::Listed;
use crate::Error;

/// Entries never requested in one call (2^24): far above any process's
/// thread or fd limit.
pub(crate) const MAX_ENTRIES: usize = 1 << 24;

/// A `SmallVec` whose whole length is handed to the kernel as a slice and
/// then cut to the answer.
#[derive(Clone, Default)]
pub(crate) struct Slots<T: Copy + Default, const N: usize> {
    items: SmallVec<[T; N]>,
}

impl<T: Copy + Default, const N: usize> Slots<T, N> {
    pub(crate) fn new() -> Self {
        Slots {
            items: SmallVec::new(),
        }
    }

    pub(crate) fn with_capacity(n: usize) -> Self {
        Slots {
            items: SmallVec::with_capacity(n),
        }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.items
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.items.capacity()
    }

    #[inline]
    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.items.shrink_to_fit();
    }

    /// At least `want` slots (and all the capacity there is) to write to.
    fn spare(&mut self, want: usize) -> &mut [T] {
        let len = want.max(self.items.capacity());
        self.items.resize(len, T::default());
        &mut self.items
    }

    /// Runs `call` into the slots until its answer fits, growing them as
    /// the list engine grows a [`PidBuf`](crate::PidBuf): at least double,
    /// to the reported need plus headroom, at most
    /// [`MAX_ATTEMPTS`](crate::MAX_ATTEMPTS) calls, then `Raced`. On error
    /// the slots are empty.
    pub(crate) fn fill(
        &mut self,
        first: usize,
        mut call: impl FnMut(&mut [T]) -> Result<Listed, Error>,
    ) -> Result<&[T], Error> {
        let mut want = self.items.capacity().max(first);
        for attempt in 1..=MAX_ATTEMPTS {
            let slots = self.spare(want.min(MAX_ENTRIES));
            let capacity = slots.len();
            match call(slots) {
                Ok(Listed::Complete(n)) => {
                    self.items.truncate(n.min(capacity));
                    return Ok(&self.items);
                }
                Ok(Listed::Full { needed }) => {
                    if attempt == MAX_ATTEMPTS || capacity >= MAX_ENTRIES {
                        break;
                    }
                    want = grow(capacity, needed.unwrap_or(capacity));
                }
                Err(e) => {
                    self.items.clear();
                    return Err(e);
                }
            }
        }
        self.items.clear();
        Err(Error::raced(MAX_ATTEMPTS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_grows_until_the_answer_fits() {
        let mut slots = Slots::<u32, 2>::new();
        let mut calls = 0;
        let got = slots
            .fill(0, |out| {
                calls += 1;
                if out.len() < 40 {
                    return Ok(Listed::Full { needed: None });
                }
                for (i, slot) in out.iter_mut().take(40).enumerate() {
                    *slot = i as u32;
                }
                Ok(Listed::Complete(40))
            })
            .unwrap();
        assert_eq!(got.len(), 40);
        assert_eq!(got.last(), Some(&39));
        assert!(calls > 1);
        // Warm: one call.
        calls = 0;
        slots
            .fill(0, |_| {
                calls += 1;
                Ok(Listed::Complete(0))
            })
            .unwrap();
        assert_eq!(calls, 1);
        // Always full: Raced, and empty afterwards.
        let err = slots
            .fill(0, |_| Ok(Listed::Full { needed: None }))
            .unwrap_err();
        assert_eq!(
            err.kind(),
            crate::ErrorKind::Raced {
                attempts: MAX_ATTEMPTS
            }
        );
        assert!(slots.as_slice().is_empty());
    }
}
