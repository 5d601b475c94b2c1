//! The scan descriptor: one open directory of the proc root, reused by one
//! query at a time so that a hot loop pays no `open`/`close` per scan.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

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
        let reused = self
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        match reused {
            Some(fd) => {
                rewind(fd.as_fd()).map_err(|errno| self.err("lseek", errno))?;
                Ok(fd)
            }
            None => openat(self.root.as_fd(), c".", libc::O_DIRECTORY)
                .map_err(|errno| self.err("openat", errno)),
        }
    }

    /// Keeps `fd` as the reusable scan descriptor, unless there is one.
    pub(super) fn put_spare(&self, fd: OwnedFd) {
        let mut slot = self
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            *slot = Some(fd);
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
