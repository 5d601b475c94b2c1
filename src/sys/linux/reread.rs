//! The one rule for a `stat` record of a task already released: read it
//! again.
//!
//! `do_task_stat` (`fs/proc/array.c`) prints ppid, pgrp, session and tty
//! from under `lock_task_sighand`; a task released (`release_task`, which
//! clears `sighand` in `__exit_signal`) after the read found it fails that
//! lock, and the record says pgrp and session -1, ppid, tty and
//! `num_threads` 0. Two tasks are read so:
//!
//! - a process being reaped: `__exit_signal` unhashes its pid in the same
//!   `siglock` section (`__unhash_process`), so a new read finds nothing;
//! - the old leader of an exec from a thread that is not the leader
//!   (`de_thread`, `fs/exec.c`): it is released only after
//!   `exchange_tids` gave its pid to the exec'ing thread, so a new read of
//!   `<pid>/stat` (a new lookup by number, or a read through a descriptor
//!   of `<pid>`, both bound to the pid's `struct pid`) finds the process's
//!   new leader, with the process's parent, group and session.
//!
//! So the record is read again, [`RELEASED_REREADS`] times at most.
//! A process is gone only when a read says so (its entry or file is
//! gone); every read showing a released task is [`Reread::Changing`],
//! never "gone": each such read caught a new exec from a thread (a
//! reaped process's pid no longer resolves), so the process lives, and the
//! caller reports it as kept changing
//! ([`ErrorKind::Raced`](crate::ErrorKind::Raced)). Without this, a process
//! that execs from a thread is, for a moment, nobody's child: `ppid`
//! queries would miss it and `descendants` would miss it and everything
//! below it.
//!
//! Used by the scan (`scan.rs`), the `descendants` link scan (`tree.rs`)
//! and the reader of combined conditions (`select.rs`); per-process info
//! (`info/group.rs`) reads more signs of an old leader (its `exit_signal`,
//! its field 1) through one directory descriptor and waits longer, but
//! tells a released task by [`released`] too.

use crate::parse;

/// Reads of a `stat` record that shows a released task: one new read
/// finds the new leader or nothing; the rest are margin.
pub(super) const RELEASED_REREADS: u32 = 4;

/// Whether `stat` fields are those of a task already released: group or
/// session -1 (a live process has both, `pid_nr_ns` of a linked pid).
pub(super) fn released(pgrp: i32, session: i32) -> bool {
    pgrp == -1 || session == -1
}

/// What [`unreleased_stat`] read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Reread<'b> {
    /// The record, not a released task's (or not parsable, for the caller
    /// to report).
    Record(&'b [u8]),
    /// A read said the process is gone.
    Gone,
    /// Every read showed a released task: the process lives, mid-exec.
    Changing,
}

/// A `stat` record read by `read` into `buf` (its length, `None` when the
/// process is gone), read again while it shows a released task.
pub(super) fn unreleased_stat<E>(
    buf: &mut [u8],
    mut read: impl FnMut(&mut [u8]) -> Result<Option<usize>, E>,
) -> Result<Reread<'_>, E> {
    let mut attempt = 0;
    let len = loop {
        let Some(len) = read(buf)? else {
            return Ok(Reread::Gone);
        };
        let stat = buf.get(..len).and_then(parse::stat);
        if !stat.is_some_and(|st| released(st.pgrp, st.session)) {
            break len;
        }
        attempt += 1;
        if attempt >= RELEASED_REREADS {
            return Ok(Reread::Changing);
        }
    };
    Ok(buf.get(..len).map_or(Reread::Gone, Reread::Record))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that serves `records` in turn, then "gone".
    fn serve<'r>(
        records: &'r [&'r [u8]],
        reads: &'r mut usize,
    ) -> impl FnMut(&mut [u8]) -> Result<Option<usize>, ()> + 'r {
        move |buf| {
            let Some(record) = records.get(*reads) else {
                return Ok(None);
            };
            *reads += 1;
            buf[..record.len()].copy_from_slice(record);
            Ok(Some(record.len()))
        }
    }

    const RELEASED: &[u8] = b"7 (x) Z 0 -1 -1 0 -1 4194560 0\n";
    const LIVE: &[u8] = b"7 (x) S 5 7 7 0 -1 4194560 0\n";

    #[test]
    fn a_released_record_is_read_again_until_the_process_shows() {
        let mut buf = [0u8; 128];
        let mut reads = 0;
        let got = unreleased_stat(&mut buf, serve(&[RELEASED, LIVE], &mut reads));
        assert_eq!(got, Ok(Reread::Record(LIVE)));
        assert_eq!(reads, 2);
    }

    #[test]
    fn a_record_released_every_time_is_changing_and_only_a_failed_read_gone() {
        let mut buf = [0u8; 128];
        let mut reads = 0;
        let always = [RELEASED; 8];
        assert_eq!(
            unreleased_stat(&mut buf, serve(&always, &mut reads)),
            Ok(Reread::Changing)
        );
        assert_eq!(reads, RELEASED_REREADS as usize);
        let mut reads = 0;
        assert_eq!(
            unreleased_stat(&mut buf, serve(&[RELEASED], &mut reads)),
            Ok(Reread::Gone)
        );
    }

    #[test]
    fn a_live_or_unparsable_record_is_taken_as_read() {
        let mut buf = [0u8; 128];
        let mut reads = 0;
        assert_eq!(
            unreleased_stat(&mut buf, serve(&[LIVE], &mut reads)),
            Ok(Reread::Record(LIVE))
        );
        let mut reads = 0;
        let junk: &[u8] = b"junk";
        assert_eq!(
            unreleased_stat(&mut buf, serve(&[junk], &mut reads)),
            Ok(Reread::Record(junk))
        );
        assert_eq!(reads, 1);
    }
}
