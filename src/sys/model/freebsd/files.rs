//! `kern.proc.pathname` and `kern.proc.filedesc` over the table
//! (`sys/kern/kern_proc.c`: `sysctl_kern_proc_pathname`;
//! `sys/kern/kern_descrip.c`: `sysctl_kern_proc_filedesc`,
//! `export_kinfo_to_sb`, `pack_kinfo`).
//!
//! - pathname: `pget(pid, PGET_CANSEE)` (`-1` is the caller; zombies
//!   found; absent or hidden `ESRCH`), then the path and its NUL in one
//!   `SYSCTL_OUT` (`""` without a text vnode), byte-exact, `ENOMEM` when
//!   short;
//! - filedesc: `pget(pid, PGET_CANDEBUG | PGET_NOTWEXIT)` (`ESRCH` for
//!   absent, hidden, exiting or zombie; `EPERM` when the caller may not
//!   debug it: another user's process, or a system process, unless root),
//!   then the working directory (`kf_fd` = `KF_FD_TYPE_CWD`, -1) and each
//!   descriptor as a packed `kinfo_file` (`kf_structsize` =
//!   `roundup2(offsetof(kf_path) + strlen(kf_path) + 1, 8)`). A NULL
//!   buffer answers the full length; with a buffer, the export stops
//!   **silently** before the first record that does not fit whole, and
//!   the call succeeds.

use super::kernel::Out;
use super::{Model, Proc, State};
use crate::parse::{KINFO_FILE_MIN, KINFO_FILE_SIZE};
use crate::sys::freebsd::consts::KF_TYPE_VNODE;
use crate::{Errno, Pid};

/// `offsetof(struct kinfo_file, kf_path)`.
const KF_PATH: usize = 368;

impl Model {
    /// `pget(pid, PGET_CANSEE)`: the process (`-1`: the caller).
    fn pget(&self, pid: i32) -> Result<&Proc, Errno> {
        let pid = if pid == -1 { self.caller.as_raw() } else { pid };
        let caller = self.get(self.caller);
        Pid::from_raw(pid)
            .and_then(|p| self.get(p))
            .filter(|p| p.state != State::New && self.visible(caller, p))
            .ok_or(Errno::ESRCH)
    }

    /// `sysctl_kern_proc_pathname`.
    pub(super) fn serve_pathname(&self, pid: i32, out: &mut Out<'_>) -> Result<(), Errno> {
        let p = self.pget(pid)?;
        let mut path = [0u8; 1025];
        let exe = p.exe.as_deref().unwrap_or_default();
        let len = exe.len().min(1024);
        if let (Some(dst), Some(src)) = (path.get_mut(..len), exe.get(..len)) {
            dst.copy_from_slice(src);
        }
        out.out(path.get(..=len).unwrap_or_default())
    }

    /// `sysctl_kern_proc_filedesc`.
    pub(super) fn serve_filedesc(&self, pid: i32, out: &mut Out<'_>) -> Result<(), Errno> {
        let p = self.pget(pid)?;
        if p.state != State::Normal || p.exiting {
            return Err(Errno::ESRCH);
        }
        // p_candebug: root, or the same user throughout; never a system
        // process.
        let caller = self.get(self.caller).ok_or(Errno::ESRCH)?;
        let same = caller.uid == p.uid && caller.uid == p.ruid && caller.uid == p.svuid;
        let own = caller.pid == p.pid;
        if !own && ((caller.uid != 0 && !same) || p.system) {
            return Err(Errno::EPERM);
        }
        let cwd = core::iter::once((-1, KF_TYPE_VNODE, &b"/"[..]));
        let fds = p.fds.as_deref().unwrap_or_default();
        let fds = fds.iter().map(|&(fd, kind)| (fd, kind, &b""[..]));
        for (fd, kind, path) in cwd.chain(fds) {
            let size = (KF_PATH + path.len() + 1).next_multiple_of(8);
            let size = size.clamp(KINFO_FILE_MIN, KINFO_FILE_SIZE);
            // export_kinfo_to_sb: stop, silently, before a record that
            // does not fit.
            if out.buffer && out.valid.saturating_sub(out.idx) < size {
                return Ok(());
            }
            let mut rec = [0u8; KINFO_FILE_SIZE];
            let header = [size as i32, kind, fd];
            for (i, v) in header.iter().enumerate() {
                if let Some(dst) = rec.get_mut(4 * i..4 * i + 4) {
                    dst.copy_from_slice(&v.to_ne_bytes());
                }
            }
            if let Some(dst) = rec.get_mut(KF_PATH..KF_PATH + path.len()) {
                dst.copy_from_slice(path);
            }
            out.out(rec.get(..size).unwrap_or_default())?;
        }
        Ok(())
    }
}
