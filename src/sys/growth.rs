//! The growth policy and the attempt budget of every grow-and-retry loop:
//! the list engine (`list/engine.rs`), the per-process buffers (`info/`)
//! and the backends that size storage of their own (FreeBSD's record
//! scratch, its per-process reads). They are part of the backend contract,
//! so that a backend grows its storage as the engine grows its slots
//! without calling up into the engine.

/// Attempts (one fetch each) a fill makes before giving up with `Raced`.
pub const MAX_ATTEMPTS: u32 = 8;

/// Pids never requested in one call: 2^28 (1 GiB of pids), far above any
/// kernel's pid limit, and below `c_int::MAX / 4` so an xnu byte count fits.
pub(crate) const MAX_PIDS: usize = 1 << 28;

/// The capacity to try after a full answer: at least double, and at least
/// the reported need plus headroom for processes born in between.
#[inline]
pub(crate) fn grow(capacity: usize, needed: usize) -> usize {
    let with_headroom = needed.saturating_add(needed / 8).saturating_add(16);
    capacity.saturating_mul(2).max(with_headroom).min(MAX_PIDS)
}
