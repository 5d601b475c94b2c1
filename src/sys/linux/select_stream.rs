//! A [`Query`] answered by streaming the scan: the `getdents64` buffer
//! lives in the iterator and each pid is tested (`select.rs`'s reader)
//! when the iterator reaches it, so an early exit stops the scan and
//! nothing is allocated.

use core::fmt;
use std::os::fd::{AsFd, OwnedFd};

use super::select::ProcReader;
use super::stream::{window, STREAM_DENTS};
use super::syscalls::getdents_into;
use super::ProcFs;
use crate::list::plan::{accept, Drive};
use crate::parse::{self, Dirents};
use crate::sys::StreamQuery;
use crate::{Error, ErrorKind, Pid, Query};

/// The Linux query stream behind [`Matches`](crate::Matches).
pub(crate) struct QueryStream<'a> {
    fs: ProcFs,
    /// The scan descriptor, given back on drop (`None`: done).
    dir: Option<OwnedFd>,
    query: Query<'a>,
    reader: ProcReader,
    buf: [u8; STREAM_DENTS],
    at: usize,
    len: usize,
    calls: u32,
}

impl fmt::Debug for QueryStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryStream")
            .field("query", &self.query)
            .field("done", &self.dir.is_none())
            .finish_non_exhaustive()
    }
}

impl StreamQuery for ProcFs {
    type QueryStream<'a> = QueryStream<'a>;

    fn stream_query<'a>(&self, query: &Query<'a>) -> Result<Option<QueryStream<'a>>, Error> {
        let reader = ProcReader::new(self, query)?;
        Ok(Some(QueryStream {
            dir: Some(self.take_spare()?),
            fs: self.clone(),
            query: *query,
            reader,
            buf: [0u8; STREAM_DENTS],
            at: 0,
            len: 0,
            calls: 0,
        }))
    }
}

impl QueryStream<'_> {
    fn next_match(&mut self) -> Option<Result<Pid, Error>> {
        let dir = self.dir.as_ref()?.as_fd();
        loop {
            if self.at >= self.len {
                self.at = 0;
                let room = self.buf.get_mut(..window(self.calls)).unwrap_or_default();
                self.calls = self.calls.saturating_add(1);
                self.len = match getdents_into(dir, room) {
                    Ok(0) => return None,
                    Ok(n) => n,
                    Err(errno) => return Some(Err(self.fs.err("getdents64", errno))),
                };
            }
            let record = self.buf.get(self.at..self.len).unwrap_or_default();
            let Some(Ok(dirent)) = Dirents::new(record).next() else {
                let e = Error::new(ErrorKind::Malformed, "getdents64").with_path(&self.fs.path);
                return Some(Err(e));
            };
            // A record the parser accepted holds its length at 16..18.
            let reclen = record
                .get(16..18)
                .and_then(|b| b.first_chunk::<2>())
                .map_or(0, |b| usize::from(u16::from_ne_bytes(*b)));
            self.at = self.at.saturating_add(reclen.max(1));
            let Some(pid) = parse::pid_name(dirent.name) else {
                continue;
            };
            match accept(&self.query, Drive::Scan, &mut self.reader, pid) {
                Ok(Some(true)) => return Some(Ok(pid)),
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl Iterator for QueryStream<'_> {
    type Item = Result<Pid, Error>;

    fn next(&mut self) -> Option<Result<Pid, Error>> {
        let item = self.next_match();
        // The end, or an error: nothing follows; the descriptor is kept
        // for the next scan only after a clean end.
        if !matches!(item, Some(Ok(_))) {
            if let (Some(dir), None) = (self.dir.take(), &item) {
                self.fs.put_spare(dir);
            }
            self.dir = None;
        }
        item
    }
}

impl core::iter::FusedIterator for QueryStream<'_> {}

impl Drop for QueryStream<'_> {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            self.fs.put_spare(dir);
        }
    }
}
