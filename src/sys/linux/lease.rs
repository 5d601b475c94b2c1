//! The scan descriptor: one open directory of the proc root, reused by one
//! query at a time so that a hot loop pays no `open`/`close` per scan.
//!
//! A forked child inherits the descriptor, and with it the open file's
//! offset, shared with the parent: two scans in the two processes would
//! move each other's listing. So the descriptor is kept with the fork
//! epoch it was opened in (`pidns.rs`), and a child opens its own. The
//! slot is only ever tried, never waited for: a child forked while another
//! thread held it would wait forever; a query that finds it busy opens a
//! descriptor of its own.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::pidns::epoch;
use super::syscalls::{openat, rewind};
use super::ProcFs;
use crate::Error;

impl ProcFs {
    /// Takes the reusable scan descriptor, rewound, or opens a new one.
    pub(super) fn lease(&self) -> Result<Lease<'_>, Error> {
        Ok(Lease {
            fs: self,
            fd: Some(self.take_spare()?),
        })
    }

    /// Takes the reusable scan descriptor out, rewound, or opens a new
    /// one; give it back with [`put_spare`](Self::put_spare).
    pub(super) fn take_spare(&self) -> Result<OwnedFd, Error> {
        let now = epoch().unwrap_or(0);
        let reused = self.spare.try_lock().ok().and_then(|mut slot| slot.take());
        match reused {
            Some((opened, fd)) if opened == now => {
                rewind(fd.as_fd()).map_err(|errno| self.err("lseek", errno))?;
                Ok(fd)
            }
            // Another process's (this one forked since): closed here only.
            _ => openat(self.root.as_fd(), c".", libc::O_DIRECTORY)
                .map_err(|errno| self.err("openat", errno)),
        }
    }

    /// Keeps `fd` as the reusable scan descriptor, unless there is one.
    pub(super) fn put_spare(&self, fd: OwnedFd) {
        let now = epoch().unwrap_or(0);
        if let Ok(mut slot) = self.spare.try_lock() {
            if slot.is_none() {
                *slot = Some((now, fd));
            }
        }
    }
}

/// A scan descriptor borrowed from [`ProcFs::spare`]; goes back on drop.
pub(super) struct Lease<'a> {
    fs: &'a ProcFs,
    fd: Option<OwnedFd>,
}

impl Lease<'_> {
    pub(super) fn fd(&self) -> BorrowedFd<'_> {
        match &self.fd {
            Some(fd) => fd.as_fd(),
            None => self.fs.root.as_fd(),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(fd) = self.fd.take() {
            self.fs.put_spare(fd);
        }
    }
}
