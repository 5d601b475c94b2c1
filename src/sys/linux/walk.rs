//! The one walk over the proc root's process entries: `getdents64` into a
//! buffer on the stack, each record parsed, and the names that are not
//! pids (`self`, `sys`, …) passed over. The scan, the link scan and the
//! info scan visit processes through it.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use std::os::fd::BorrowedFd;

use super::syscalls::getdents;
use super::ProcFs;
use crate::parse::{self, Dirents};
use crate::{Error, ErrorKind, Pid};

/// Bytes of directory records read per `getdents64`.
const DENTS_BUF: usize = 32 * 1024;

impl ProcFs {
    /// Calls `visit` with each process that `dir` (a leased descriptor of
    /// the proc root, at its start) lists, in the order listed (ascending
    /// pid), with its name ready for `*at` calls; stops at the first error.
    pub(super) fn each_process(
        &self,
        dir: BorrowedFd<'_>,
        mut visit: impl FnMut(Pid, &CStr) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut dents = [MaybeUninit::<u8>::uninit(); DENTS_BUF];
        loop {
            let bytes = getdents(dir, &mut dents).map_err(|e| self.err("getdents64", e))?;
            if bytes.is_empty() {
                return Ok(());
            }
            for dirent in Dirents::new(bytes) {
                let dirent = dirent.map_err(|_| {
                    Error::new(ErrorKind::Malformed, "getdents64").with_path(&self.path)
                })?;
                if let Some(pid) = parse::pid_name(dirent.name) {
                    visit(pid, dirent.name_c)?;
                }
            }
        }
    }
}
