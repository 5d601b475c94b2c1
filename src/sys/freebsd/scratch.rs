//! The record scratch: one byte buffer for the kernel's `kinfo_proc`
//! records, reused by one query at a time so that a hot loop allocates
//! nothing (about 1 KiB per process: 11 MB for 10,000).

use super::KernProc;
use crate::{Errno, Error};

impl KernProc {
    /// Takes the reusable scratch, or an empty one when another query holds
    /// it (that one allocates its own).
    pub(super) fn lease(&self) -> Scratch<'_> {
        let buf = self
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .unwrap_or_default();
        Scratch { home: self, buf }
    }
}

/// The scratch borrowed from [`KernProc::spare`]; goes back on drop.
pub(super) struct Scratch<'a> {
    home: &'a KernProc,
    /// Always a whole number of records, zero-filled when grown.
    buf: Vec<u8>,
}

impl Scratch<'_> {
    /// Whole records it holds.
    pub(super) fn records(&self) -> usize {
        self.buf.len() / self.home.layout.size.max(1)
    }

    /// Grows to at least `records` records (never shrinks).
    ///
    /// # Errors
    ///
    /// `ENOMEM` (op `kinfo_proc scratch`) when the memory cannot be had.
    pub(super) fn grow(&mut self, records: usize) -> Result<(), Error> {
        let oom = || Error::os("kinfo_proc scratch", Errno::ENOMEM);
        let bytes = records.checked_mul(self.home.layout.size).ok_or_else(oom)?;
        if bytes > self.buf.len() {
            self.buf
                .try_reserve_exact(bytes - self.buf.len())
                .map_err(|_| oom())?;
            self.buf.resize(bytes, 0);
        }
        Ok(())
    }

    /// The first `records` records' bytes (fewer if it holds fewer).
    pub(super) fn bytes_mut(&mut self, records: usize) -> &mut [u8] {
        let len = records
            .saturating_mul(self.home.layout.size)
            .min(self.buf.len());
        self.buf.get_mut(..len).unwrap_or_default()
    }

    /// The first `len` bytes (fewer if it holds fewer).
    pub(super) fn bytes(&self, len: usize) -> &[u8] {
        self.buf.get(..len.min(self.buf.len())).unwrap_or_default()
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        let mut slot = self
            .home
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Keep the larger of two concurrent queries' scratches.
        if slot.as_ref().is_none_or(|kept| kept.len() < self.buf.len()) {
            *slot = Some(core::mem::take(&mut self.buf));
        }
    }
}
