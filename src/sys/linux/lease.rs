//! The scan descriptor: one open directory of the proc root, reused by one
//! query at a time so that a hot loop pays no `open`/`close` per scan.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::syscalls::{openat, rewind};
use super::ProcFs;
use crate::Error;

impl ProcFs {
    /// Takes the reusable scan descriptor, rewound, or opens a new one.
    pub(super) fn lease(&self) -> Result<Lease<'_>, Error> {
        let reused = self
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let fd = match reused {
            Some(fd) => {
                rewind(fd.as_fd()).map_err(|errno| self.err("lseek", errno))?;
                fd
            }
            None => openat(self.root.as_fd(), c".", libc::O_DIRECTORY)
                .map_err(|errno| self.err("openat", errno))?,
        };
        Ok(Lease {
            fs: self,
            fd: Some(fd),
        })
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
        let mut slot = self
            .fs
            .spare
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            *slot = self.fd.take();
        }
    }
}
