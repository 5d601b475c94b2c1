//! The namespace and cgroup conditions of the Linux candidate reader
//! (`select.rs`): the reference process's namespaces, read once per run;
//! each candidate's `ns/<kind>` links (one `fstatat` each, following the
//! link to the namespace's `nsfs` inode) and the `0::` line of its
//! `cgroup` file, every read bound to the candidate as its other reads are
//! (`ProcReader::at`).
//!
//! A link or `cgroup` that cannot be read (a zombie's links, another
//! user's process) is told from a vanished process by reading `stat`: the
//! process is still there and does not match, or it is skipped.

use core::ffi::CStr;
use std::os::fd::AsFd;

use super::select::ProcReader;
use super::syscalls::{read, stat_at};
use super::{vanished, ProcFs};
use crate::list::plan::{Got, Reader};
use crate::parse;
use crate::{Errno, Error, Namespaces, Query, Set};

/// Namespace kinds there are room for (bits of [`Namespaces`]).
const KINDS: usize = 8;

/// The longest cgroup path a `cgroup` line holds: the kernel renders it
/// into a `PATH_MAX` buffer and fails the read when it does not fit
/// (`proc_cgroup_show`).
const CGROUP_PATH_MAX: usize = 4096;

/// `ns/<kind>` of each kind, NUL-terminated, by bit.
fn link(kind: Namespaces, out: &mut [u8; 16]) -> Option<&CStr> {
    let name = kind.link_name()?.as_bytes();
    let len = 3 + name.len();
    out.get_mut(..3)?.copy_from_slice(b"ns/");
    out.get_mut(3..len)?.copy_from_slice(name);
    *out.get_mut(len)? = 0;
    CStr::from_bytes_with_nul(out.get(..=len)?).ok()
}

/// A namespace's identity: the device and inode of its `nsfs` file.
type NsId = (u64, u64);

/// The reference of a [`Query::same_namespaces`] condition.
#[derive(Copy, Clone, Debug)]
pub(crate) struct NsRef {
    kinds: Namespaces,
    /// The reference's namespace of each kind, by bit; `None` when it has
    /// exited, or a link cannot be followed (a zombie's, a kind the kernel
    /// lacks): then nothing matches.
    ids: Option<[NsId; KINDS]>,
}

impl NsRef {
    /// Reads the reference's namespaces of `q`'s condition, if it has one.
    pub(super) fn resolve(fs: &ProcFs, q: &Query<'_>) -> Result<Option<NsRef>, Error> {
        let Some((pid, kinds)) = q.same_ns else {
            return Ok(None);
        };
        let mut ids = [(0, 0); KINDS];
        for (kind, _) in kinds.kinds() {
            let mut file = [0u8; 16];
            let mut path = [0u8; parse::PID_PATH_MAX];
            let name = link(kind, &mut file)
                .and_then(|f| parse::pid_path(pid, f.to_bytes(), &mut path))
                .ok_or_else(|| Error::unsupported("same_namespaces").with_pid(pid))?;
            match stat_at(fs.root.as_fd(), name, 0) {
                Ok(st) => {
                    if let Some(slot) = ids.get_mut(kind.bits().trailing_zeros() as usize) {
                        *slot = (st.st_dev, st.st_ino);
                    }
                }
                Err(Errno::ENOENT | Errno::ESRCH) => return Ok(Some(NsRef { kinds, ids: None })),
                Err(errno @ (Errno::EACCES | Errno::EPERM)) => {
                    return Err(
                        Error::permission_denied("same_namespaces", pid, errno).with_path(&fs.path)
                    );
                }
                Err(errno) => return Err(fs.err("fstatat ns", errno).with_pid(pid)),
            }
        }
        Ok(Some(NsRef {
            kinds,
            ids: Some(ids),
        }))
    }
}

impl ProcReader {
    /// Whether the candidate is in the reference's namespaces.
    pub(super) fn same_namespaces(&mut self) -> Got<bool> {
        let Some(ns) = self.ns else {
            return Ok(Some(true));
        };
        let Some(ids) = ns.ids else {
            return Ok(Some(false));
        };
        for (kind, _) in ns.kinds.kinds() {
            let mut file = [0u8; 16];
            let name = link(kind, &mut file).ok_or_else(|| self.fs.malformed(self.pid, "ns"))?;
            let want = ids.get(kind.bits().trailing_zeros() as usize).copied();
            match self.at(name, |dir, name| stat_at(dir, name, 0))? {
                None => return Ok(None),
                Some(Ok(st)) if Some((st.st_dev, st.st_ino)) == want => {}
                Some(Ok(_)) => return Ok(Some(false)),
                Some(Err(errno)) if vanished(errno) => return self.unreadable(),
                Some(Err(errno)) => return Err(self.per_pid("fstatat ns", errno)),
            }
        }
        Ok(Some(true))
    }

    /// Whether the candidate's cgroup v2 path is one of `paths`.
    pub(super) fn in_cgroup(&mut self, paths: &Set<'_, &[u8]>) -> Got<bool> {
        let fd = match self.at(c"cgroup", |dir, name| super::syscalls::openat(dir, name, 0))? {
            None => return Ok(None),
            Some(Ok(fd)) => fd,
            Some(Err(errno)) if vanished(errno) => return self.unreadable(),
            Some(Err(errno)) => return Err(self.per_pid("open cgroup", errno)),
        };
        let mut line = V2Line::new();
        let mut chunk = [0u8; 1024];
        loop {
            let n = match read(fd.as_fd(), &mut chunk) {
                Ok(n) => n,
                Err(errno) if vanished(errno) => return self.unreadable(),
                Err(errno) => return Err(self.per_pid("read cgroup", errno)),
            };
            let bytes = chunk.get(..n).unwrap_or_default();
            if n == 0
                || line
                    .feed(bytes)
                    .ok_or_else(|| self.fs.malformed(self.pid, "cgroup"))?
            {
                break;
            }
        }
        Ok(Some(line.path().is_some_and(|p| paths.contains(p))))
    }

    /// A link or file of the candidate could not be read: no match if it
    /// is still there, `None` if it vanished.
    fn unreadable(&mut self) -> Got<bool> {
        Ok(self.stat()?.map(|_| false))
    }
}

/// The path of the `0::` line of a `cgroup` file fed in pieces (the
/// lines as pgrep splits them, at newlines and NULs).
struct V2Line {
    path: [u8; CGROUP_PATH_MAX],
    len: usize,
    /// Bytes of `0::` matched at the start of the current line; 3: the
    /// line is the one, being copied; `None`: another line, skipped.
    prefix: Option<usize>,
    done: bool,
}

impl V2Line {
    fn new() -> V2Line {
        V2Line {
            path: [0; CGROUP_PATH_MAX],
            len: 0,
            prefix: Some(0),
            done: false,
        }
    }

    /// Takes the next bytes of the file: `Some(true)` once the `0::` line
    /// is whole, `None` when it is longer than a path can be.
    fn feed(&mut self, bytes: &[u8]) -> Option<bool> {
        for &b in bytes {
            let end = b == b'\n' || b == 0;
            match self.prefix {
                Some(3) if end => {
                    self.done = true;
                    return Some(true);
                }
                Some(3) => {
                    *self.path.get_mut(self.len)? = b;
                    self.len += 1;
                }
                _ if end => self.prefix = Some(0),
                Some(at) if b"0::".get(at) == Some(&b) => self.prefix = Some(at + 1),
                _ => self.prefix = None,
            }
        }
        Some(false)
    }

    /// The path, when the file had a `0::` line.
    fn path(&self) -> Option<&[u8]> {
        (self.done || self.prefix == Some(3))
            .then(|| self.path.get(..self.len))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(pieces: &[&[u8]]) -> Option<Vec<u8>> {
        let mut line = V2Line::new();
        for p in pieces {
            if line.feed(p)? {
                break;
            }
        }
        line.path().map(<[u8]>::to_vec)
    }

    #[test]
    fn the_v2_line_is_found_in_any_pieces() {
        assert_eq!(v2(&[b"0::/\n"]), Some(b"/".to_vec()));
        assert_eq!(
            v2(&[b"12:pids:/a\n1:name=systemd:/\n0::/user.slice/x.scope\n"]),
            Some(b"/user.slice/x.scope".to_vec())
        );
        // Split anywhere, even inside the prefix.
        assert_eq!(
            v2(&[b"3:cpu:/\n0", b":", b":/a b", b"\n"]),
            Some(b"/a b".to_vec())
        );
        // No final newline.
        assert_eq!(v2(&[b"0::/x"]), Some(b"/x".to_vec()));
        // cgroup v1 only; a v1 line that merely contains `0::`.
        assert_eq!(v2(&[b"4:memory:/\n10::/not\n"]), None);
        assert_eq!(v2(&[b""]), None);
        let long = vec![b'a'; CGROUP_PATH_MAX + 1];
        assert_eq!(v2(&[b"0::", &long]), None);
    }

    #[test]
    fn links_are_named_by_kind() {
        let mut out = [0u8; 16];
        assert_eq!(
            link(Namespaces::CGROUP, &mut out).unwrap().to_bytes(),
            b"ns/cgroup"
        );
        assert!(link(Namespaces::NET | Namespaces::UTS, &mut out).is_none());
    }
}
