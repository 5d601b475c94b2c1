//! One-shot iteration that streams the scan itself: the `getdents64`
//! buffer lives in the iterator, each pid is tested when the iterator
//! reaches it and yielded as soon as it matches, so a loop that stops early
//! stops the scan there, and nothing is allocated.
//!
//! The answer is the scan's — ascending, without duplicates, every process
//! alive for the whole iteration yielded — except that the iteration lasts
//! as long as the caller takes. `ppid` first tries the parent's `children`
//! files (`children.rs`), whose proven answer is kept in the same buffer
//! and yielded from it; when that declines, or the answer does not fit,
//! the scan is streamed. `descendants` is listed whole the same way (no
//! per-process test decides it); an answer too large for the buffer is
//! left to a fill. `uid` of the owner a reaped task reads as confirms each
//! such answer as it goes (`scan.rs`): nothing can be confirmed after it
//! was yielded.

use core::fmt;
use std::os::fd::{AsFd, OwnedFd};

use super::scan::Plan;
use super::syscalls::getdents_into;
use super::ProcFs;
use crate::parse::{self, Dirents};
use crate::sys::{Listed, StreamPids};
use crate::{Error, ErrorKind, Filter, Pid, PidQuery};

/// Bytes of `getdents64` records read per call by a stream, at most:
/// about 250 processes, so an early exit leaves most of a large table
/// unread.
pub(super) const STREAM_DENTS: usize = 8 * 1024;
/// Bytes read by a stream's first call: `/proc`'s ~50 fixed entries
/// (about 1.7 KiB of records) and the first few processes.
const FIRST_WINDOW: usize = 2048;
/// Bytes read by its second call, doubling after: about 20 processes. The
/// kernel's cost grows with the records it emits, so small early windows
/// let an early exit stop within a table of a few hundred processes too,
/// for a few more calls on a full pass.
const SECOND_WINDOW: usize = 512;
/// Pids a stream holds from the `children` files.
const STREAM_PIDS: usize = STREAM_DENTS / core::mem::size_of::<Pid>();

/// The buffer of a stream: directory records while it scans, the proven
/// children of a parent when it has them.
enum Space {
    Dents {
        buf: [u8; STREAM_DENTS],
        /// Offset of the next record in `buf`.
        at: usize,
        /// Bytes of records in `buf`.
        len: usize,
        /// `getdents64` calls made.
        calls: u32,
    },
    Listed {
        pids: [Pid; STREAM_PIDS],
        next: usize,
        len: usize,
    },
    Done,
}

/// The Linux streaming iterator behind [`Pids`](crate::Pids).
pub(crate) struct Stream {
    fs: ProcFs,
    /// The scan descriptor, given back to the proc root on drop.
    dir: Option<OwnedFd>,
    filter: Filter,
    plan: Plan,
    space: Space,
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.space {
            Space::Dents { .. } => "scanning",
            Space::Listed { .. } => "children files",
            Space::Done => "done",
        };
        f.debug_struct("Stream")
            .field("filter", &self.filter)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl StreamPids for ProcFs {
    type Stream = Stream;

    fn stream(&self, query: &PidQuery) -> Result<Option<Stream>, Error> {
        let filter = query.filter();
        let listed = |pids: [Pid; STREAM_PIDS], len: usize| Stream {
            fs: self.clone(),
            dir: None,
            filter,
            plan: Plan::FILES,
            space: Space::Listed { pids, next: 0, len },
        };
        if let Filter::Ppid(ppid) = filter {
            let mut pids = [Pid::ZERO; STREAM_PIDS];
            if let Some(Listed::Complete(len)) = self.list_children(ppid, &mut pids) {
                return Ok(Some(listed(pids, len)));
            }
        }
        // No per-process test decides `descendants`: its answer is listed
        // whole into the stream's buffer, or, when it does not fit there,
        // filled by the caller.
        if let Filter::Descendants(root) = filter {
            let mut pids = [Pid::ZERO; STREAM_PIDS];
            return Ok(match self.list_descendants(root, &mut pids)? {
                Listed::Complete(len) => Some(listed(pids, len)),
                Listed::Full { .. } => None,
            });
        }
        let plan = self.plan(filter).confirming_as_it_goes();
        Ok(Some(Stream {
            dir: Some(self.take_spare()?),
            fs: self.clone(),
            filter,
            plan,
            space: Space::Dents {
                buf: [0u8; STREAM_DENTS],
                at: 0,
                len: 0,
                calls: 0,
            },
        }))
    }
}

impl Stream {
    /// The next matching pid of the scan.
    fn next_scanned(&mut self) -> Option<Result<Pid, Error>> {
        let Space::Dents {
            buf,
            at,
            len,
            calls,
        } = &mut self.space
        else {
            return None;
        };
        let dir = self.dir.as_ref()?.as_fd();
        loop {
            if *at >= *len {
                *at = 0;
                let window = window(*calls);
                *calls = calls.saturating_add(1);
                let room = buf.get_mut(..window).unwrap_or_default();
                *len = match getdents_into(dir, room) {
                    Ok(0) => return None,
                    Ok(n) => n,
                    Err(errno) => return Some(Err(self.fs.err("getdents64", errno))),
                };
            }
            let record = buf.get(*at..*len).unwrap_or_default();
            let dirent = match Dirents::new(record).next() {
                Some(Ok(dirent)) => dirent,
                _ => {
                    let e = Error::new(ErrorKind::Malformed, "getdents64").with_path(&self.fs.path);
                    return Some(Err(e));
                }
            };
            // A record the parser accepted holds its length at 16..18.
            let reclen = record
                .get(16..18)
                .and_then(|b| b.first_chunk::<2>())
                .map_or(0, |b| usize::from(u16::from_ne_bytes(*b)));
            *at = at.saturating_add(reclen.max(1));
            let Some(pid) = parse::pid_name(dirent.name) else {
                continue;
            };
            match self
                .fs
                .matches(dir, pid, dirent.name_c, self.filter, self.plan)
            {
                Ok(Some(true)) => return Some(Ok(pid)),
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The bytes a stream's `calls + 1`-th `getdents64` asks for:
/// [`FIRST_WINDOW`], then [`SECOND_WINDOW`] doubling up to
/// [`STREAM_DENTS`].
pub(super) fn window(calls: u32) -> usize {
    match calls {
        0 => FIRST_WINDOW,
        n => (SECOND_WINDOW << (n - 1).min(8)).min(STREAM_DENTS),
    }
}

impl Iterator for Stream {
    type Item = Result<Pid, Error>;

    fn next(&mut self) -> Option<Result<Pid, Error>> {
        let item = match &mut self.space {
            Space::Listed { pids, next, len } => {
                let pid = pids.get(*next).copied().filter(|_| *next < *len);
                *next += 1;
                pid.map(Ok)
            }
            Space::Dents { .. } => self.next_scanned(),
            Space::Done => None,
        };
        // The end, or an error: nothing follows. The descriptor is kept
        // for the next scan only after a clean end.
        if !matches!(item, Some(Ok(_))) {
            self.space = Space::Done;
            if let (Some(dir), None) = (self.dir.take(), &item) {
                self.fs.put_spare(dir);
            }
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.space {
            Space::Listed { next, len, .. } => {
                let left = len.saturating_sub(*next);
                (left, Some(left))
            }
            Space::Dents { .. } => (0, None),
            Space::Done => (0, Some(0)),
        }
    }
}

impl core::iter::FusedIterator for Stream {}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            self.fs.put_spare(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn filled(fs: &ProcFs, query: &PidQuery) -> Vec<Pid> {
        let mut out = vec![Pid::ZERO; 1 << 16];
        match crate::sys::ListPids::list(fs, query, &mut out).unwrap() {
            Listed::Complete(n) => out[..n].to_vec(),
            Listed::Full { .. } => panic!("full"),
        }
    }

    fn streamed(fs: &ProcFs, query: &PidQuery) -> Vec<Pid> {
        let stream = fs.stream(query).unwrap().expect("Linux streams");
        stream.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn streams_give_the_fill_answer() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let mut kids = [
            Command::new("sleep").arg("30").spawn().unwrap(),
            Command::new("sleep").arg("30").spawn().unwrap(),
        ];
        let me = std::fs::metadata("/proc/self").unwrap();
        let uid = std::os::unix::fs::MetadataExt::uid(&me);
        let queries = [
            PidQuery::all(),
            PidQuery::uid(uid),
            PidQuery::uid(0),
            PidQuery::ruid(uid),
            PidQuery::ppid(Pid::this()),
            PidQuery::ppid(Pid::ZERO),
            PidQuery::ppid(Pid::from_raw(1).unwrap()),
            PidQuery::pgrp(Pid::from_raw(1).unwrap()),
            PidQuery::tty(crate::Dev::from_raw(0)),
        ];
        for query in &queries {
            // Other processes (other tests' children) come and go: every
            // match present in a fill before and a fill after the stream
            // must be streamed, in ascending order.
            let before = filled(&fs, query);
            let a = streamed(&fs, query);
            let after = filled(&fs, query);
            assert!(a.windows(2).all(|w| w[0] < w[1]), "{query:?}: order");
            let lost: Vec<_> = before
                .iter()
                .filter(|p| after.contains(p) && !a.contains(p))
                .collect();
            assert!(lost.is_empty(), "{query:?}: the stream lost {lost:?}");
        }
        let children = streamed(&fs, &PidQuery::ppid(Pid::this()));
        for kid in &kids {
            assert!(children.contains(&Pid::from(kid)));
        }
        for kid in &mut kids {
            kid.kill().unwrap();
            kid.wait().unwrap();
        }
    }

    #[test]
    fn windows_start_small_and_double_to_the_buffer() {
        let got: Vec<usize> = (0..7).map(window).collect();
        assert_eq!(got, [2048, 512, 1024, 2048, 4096, 8192, 8192]);
        assert_eq!(window(u32::MAX), STREAM_DENTS);
    }

    #[test]
    fn an_early_exit_gives_the_descriptor_back() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let mut stream = fs.stream(&PidQuery::all()).unwrap().unwrap();
        assert!(matches!(stream.next(), Some(Ok(_))));
        assert!(fs.spare.lock().unwrap().is_none(), "held while streaming");
        drop(stream);
        assert!(fs.spare.lock().unwrap().is_some(), "given back");
        // A finished stream gives it back too, before it is dropped.
        let mut stream = fs.stream(&PidQuery::all()).unwrap().unwrap();
        for item in stream.by_ref() {
            item.unwrap();
        }
        assert!(fs.spare.lock().unwrap().is_some());
        assert!(stream.next().is_none(), "fused");
    }

    #[test]
    fn an_error_is_the_last_item() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let mut stream = fs.stream(&PidQuery::all()).unwrap().unwrap();
        // A descriptor that is not a directory: getdents64 fails.
        stream.dir = Some(std::fs::File::open("/proc/self/stat").unwrap().into());
        let err = stream.next().unwrap().unwrap_err();
        assert_eq!(err.errno(), Some(crate::Errno::from_raw(libc::ENOTDIR)));
        assert!(err.to_string().contains("/proc"), "{err}");
        assert!(stream.next().is_none());
        // That descriptor is not kept for later scans.
        drop(stream);
        assert!(fs.spare.lock().unwrap().is_none());
    }
}
