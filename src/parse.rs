//! Pure, safe parsers of the bytes the kernel hands back.
//!
//! Nothing here performs I/O or allocates; every function takes a byte slice
//! and returns a value or `None`/an error, and is fuzzed (`fuzz/`). The
//! Linux backend feeds them kernel output; tests feed them hostile input.
//!
//! # References
//! - `fs/readdir.c` (`filldir64`, `struct linux_dirent64`)
//! - `fs/proc/util.c` (`name_to_int`)
//! - `fs/proc/array.c` (`do_task_stat`, `proc_pid_status`)
//!
//! # Examples
//!
//! ```
//! use pidquery::parse;
//!
//! let stat = parse::stat(b"42 (a) b) S 1 42 42 34816 42 4194304").unwrap();
//! assert_eq!((stat.ppid, stat.pgrp, stat.tty_nr), (1, 42, 34816));
//! assert_eq!(parse::pid_name(b"42").map(|p| p.as_raw()), Some(42));
//! assert_eq!(parse::pid_name(b"042"), None);
//! ```

use core::ffi::CStr;

use crate::Pid;

/// Offset of `d_name` in a `linux_dirent64` record.
const DIRENT_NAME_OFFSET: usize = 19;

/// One `linux_dirent64` record, borrowed from the buffer `getdents64` filled.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Dirent<'a> {
    /// `d_ino`.
    pub ino: u64,
    /// `d_off`: the position to resume after this entry.
    pub off: i64,
    /// `d_type` (`DT_DIR` = 4, `DT_UNKNOWN` = 0, …).
    pub kind: u8,
    /// The name, without its terminating NUL.
    pub name: &'a [u8],
    /// The name with its terminating NUL, ready to pass to `*at` calls.
    pub name_c: &'a CStr,
}

/// A `getdents64` buffer that does not hold well-formed records.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DirentError {
    /// Fewer bytes remain than a record header needs.
    ShortHeader {
        /// Offset of the bad record in the buffer.
        at: usize,
    },
    /// `d_reclen` is smaller than a header with a one-byte name, or runs past
    /// the end of the buffer.
    BadRecLen {
        /// Offset of the bad record in the buffer.
        at: usize,
        /// The `d_reclen` found.
        reclen: u16,
    },
    /// No NUL terminates the name inside the record.
    UnterminatedName {
        /// Offset of the bad record in the buffer.
        at: usize,
    },
}

/// Iterator over the `linux_dirent64` records in `buf`.
///
/// Yields `Err` once, then stops, when a record is malformed: a kernel
/// buffer is never silently cut short.
///
/// ```
/// use pidquery::parse::Dirents;
///
/// // One record: ino 7, off 300, reclen 24, DT_DIR, "42\0".
/// let mut rec = [0u8; 24];
/// rec[0] = 7;
/// rec[8..16].copy_from_slice(&300i64.to_ne_bytes());
/// rec[16..18].copy_from_slice(&24u16.to_ne_bytes());
/// rec[18] = 4;
/// rec[19..21].copy_from_slice(b"42");
/// let all: Vec<_> = Dirents::new(&rec).collect();
/// assert_eq!(all.len(), 1);
/// assert_eq!(all[0].unwrap().name, b"42");
/// ```
#[derive(Clone, Debug)]
pub struct Dirents<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Dirents<'a> {
    /// Walks the records in `buf`, the bytes `getdents64` returned.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Dirents<'a> {
        Dirents {
            buf,
            pos: 0,
            failed: false,
        }
    }

    fn record(&self, at: usize) -> Result<(Dirent<'a>, usize), DirentError> {
        let rest = self.buf.get(at..).unwrap_or_default();
        let Some((header, _)) = rest.split_first_chunk::<DIRENT_NAME_OFFSET>() else {
            return Err(DirentError::ShortHeader { at });
        };
        let [i0, i1, i2, i3, i4, i5, i6, i7, o0, o1, o2, o3, o4, o5, o6, o7, r0, r1, kind] =
            *header;
        let ino = u64::from_ne_bytes([i0, i1, i2, i3, i4, i5, i6, i7]);
        let off = i64::from_ne_bytes([o0, o1, o2, o3, o4, o5, o6, o7]);
        let reclen = u16::from_ne_bytes([r0, r1]);
        let len = usize::from(reclen);
        let name_area = rest
            .get(DIRENT_NAME_OFFSET..len)
            .filter(|area| !area.is_empty())
            .ok_or(DirentError::BadRecLen { at, reclen })?;
        let name_c = CStr::from_bytes_until_nul(name_area)
            .map_err(|_| DirentError::UnterminatedName { at })?;
        Ok((
            Dirent {
                ino,
                off,
                kind,
                name: name_c.to_bytes(),
                name_c,
            },
            len,
        ))
    }
}

impl<'a> Iterator for Dirents<'a> {
    type Item = Result<Dirent<'a>, DirentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        match self.record(self.pos) {
            Ok((dirent, len)) => {
                self.pos += len;
                Some(Ok(dirent))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for Dirents<'_> {}

/// The pid a `/proc` entry name stands for, as `name_to_int` accepts it:
/// all ASCII digits, no leading zero (except `"0"` itself), fits an `i32`.
///
/// ```
/// use pidquery::parse::pid_name;
/// assert_eq!(pid_name(b"1").map(|p| p.as_raw()), Some(1));
/// assert_eq!(pid_name(b"self"), None);
/// assert_eq!(pid_name(b"2147483648"), None);
/// assert_eq!(pid_name(b""), None);
/// ```
pub fn pid_name(name: &[u8]) -> Option<Pid> {
    match name {
        [] => None,
        [b'0', _, ..] => None,
        _ => parse_u31(name).and_then(Pid::from_raw),
    }
}

/// Parses ASCII decimal digits (at least one, nothing else) into a `u64`.
fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &b| {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// Parses ASCII decimal digits into an `i32 >= 0`.
fn parse_u31(digits: &[u8]) -> Option<i32> {
    parse_digits(digits).and_then(|v| i32::try_from(v).ok())
}

/// Parses ASCII decimal digits into a `u32`.
fn parse_u32(digits: &[u8]) -> Option<u32> {
    parse_digits(digits).and_then(|v| u32::try_from(v).ok())
}

/// Parses an optionally `-`-signed decimal `i32`.
fn parse_i32(field: &[u8]) -> Option<i32> {
    match field {
        [b'-', digits @ ..] => {
            let magnitude = i64::try_from(parse_digits(digits)?).ok()?;
            i32::try_from(-magnitude).ok()
        }
        _ => parse_u31(field),
    }
}

/// The fields of `/proc/<pid>/stat` this crate uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: the state letter (`R`, `S`, `Z`, …).
    pub state: u8,
    /// Field 4: the real parent's pid (0 for pid 1, kthreadd, and a task in
    /// its final release).
    pub ppid: i32,
    /// Field 5: the process group id (-1 for a task in its final release).
    pub pgrp: i32,
    /// Field 6: the session id.
    pub session: i32,
    /// Field 7: the controlling terminal, `new_encode_dev` encoded; 0 for none.
    pub tty_nr: i32,
}

/// Parses `/proc/<pid>/stat` (or a prefix of it that reaches field 7).
///
/// The command name, field 2, is printed unescaped and may hold spaces,
/// parentheses and newlines, so parsing starts after the **last** `)`.
/// Returns `None` when that `)` or any of fields 3–7 is missing or invalid.
///
/// ```
/// use pidquery::parse::stat;
///
/// let s = stat(b"77 () S 1 77 5\n) S 12 34 34 0 -1 4194560 0").unwrap();
/// assert_eq!((s.state, s.ppid, s.pgrp, s.session, s.tty_nr), (b'S', 12, 34, 34, 0));
/// assert_eq!(stat(b"77 (x) S 1 2"), None); // truncated before tty_nr
/// ```
pub fn stat(bytes: &[u8]) -> Option<Stat> {
    let close = bytes.iter().rposition(|&b| b == b')')?;
    let rest = bytes.get(close + 1..)?;
    let mut fields = rest.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let state = match fields.next()? {
        [c] => *c,
        _ => return None,
    };
    let ppid = parse_i32(fields.next()?)?;
    let pgrp = parse_i32(fields.next()?)?;
    let session = parse_i32(fields.next()?)?;
    let tty_field = fields.next()?;
    // The last field read must be followed by a separator, or the buffer may
    // have cut it short ("34816" read as "348").
    let tty_end = tty_field.as_ptr() as usize - rest.as_ptr() as usize + tty_field.len();
    if tty_end >= rest.len() {
        return None;
    }
    let tty_nr = parse_i32(tty_field)?;
    Some(Stat {
        state,
        ppid,
        pgrp,
        session,
        tty_nr,
    })
}

/// The four uids of the `Uid:` line of `/proc/<pid>/status`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Uids {
    /// Real uid.
    pub real: u32,
    /// Effective uid.
    pub effective: u32,
    /// Saved set-user-id.
    pub saved: u32,
    /// Filesystem uid.
    pub fs: u32,
}

/// Finds the `Uid:` line in `/proc/<pid>/status` (or a prefix of the file
/// that holds the whole line) and parses its four tab-separated ids.
///
/// Only a line that *starts* with `Uid:` counts; the escaped `Name:` line
/// cannot forge one. Returns `None` if the line is missing, incomplete (no
/// newline after it) or malformed.
///
/// ```
/// use pidquery::parse::status_uids;
///
/// let status = b"Name:\tx\\nUid:\t0\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
/// let uids = status_uids(status).unwrap();
/// assert_eq!((uids.real, uids.effective), (1000, 0));
/// ```
pub fn status_uids(bytes: &[u8]) -> Option<Uids> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let line = lines.find(|line| line.starts_with(b"Uid:"))?;
    let line = line.strip_suffix(b"\n")?.strip_prefix(b"Uid:")?;
    let mut ids = line
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|f| !f.is_empty());
    let uids = Uids {
        real: parse_u32(ids.next()?)?,
        effective: parse_u32(ids.next()?)?,
        saved: parse_u32(ids.next()?)?,
        fs: parse_u32(ids.next()?)?,
    };
    match ids.next() {
        None => Some(uids),
        Some(_) => None,
    }
}

/// Incremental parser of a whitespace-separated list of pids, as the kernel
/// prints `/proc/<pid>/task/<tid>/children` (`"%d "` per child), fed in
/// chunks of any size: a pid split across two chunks is joined.
///
/// ```
/// use pidquery::parse::PidList;
///
/// let mut list = PidList::new();
/// let mut pids = Vec::new();
/// assert!(list.feed(b"12 3", |p| pids.push(p.as_raw())));
/// assert!(list.feed(b"4 5 ", |p| pids.push(p.as_raw())));
/// assert!(list.finish(|p| pids.push(p.as_raw())));
/// assert_eq!(pids, [12, 34, 5]);
///
/// let mut bad = PidList::new();
/// assert!(!bad.feed(b"1 x", |_| {}));
/// ```
#[derive(Clone, Debug, Default)]
pub struct PidList {
    /// The digits of a pid not yet ended by a separator.
    pending: Option<i32>,
    /// Set once malformed input was seen; every later call fails.
    bad: bool,
}

impl PidList {
    /// A parser at the start of a list.
    #[inline]
    pub fn new() -> PidList {
        PidList::default()
    }

    /// Parses `bytes`, calling `emit` for every pid a separator completes.
    /// Returns `false`, now and ever after, on anything but ASCII digits,
    /// spaces and newlines, or a pid above `i32::MAX`.
    pub fn feed(&mut self, bytes: &[u8], mut emit: impl FnMut(Pid)) -> bool {
        if self.bad {
            return false;
        }
        for &b in bytes {
            match b {
                b'0'..=b'9' => {
                    let digit = i32::from(b - b'0');
                    match self.pending.unwrap_or(0).checked_mul(10) {
                        Some(v) => self.pending = v.checked_add(digit),
                        None => self.pending = None,
                    }
                    if self.pending.is_none() {
                        self.bad = true;
                        return false;
                    }
                }
                b' ' | b'\n' => {
                    if let Some(pid) = self.pending.take().and_then(Pid::from_raw) {
                        emit(pid);
                    }
                }
                _ => {
                    self.bad = true;
                    return false;
                }
            }
        }
        true
    }

    /// Ends the input: emits a last pid without a trailing separator.
    /// Returns `false` if the input was malformed.
    pub fn finish(mut self, mut emit: impl FnMut(Pid)) -> bool {
        if let Some(pid) = self.pending.take().and_then(Pid::from_raw) {
            emit(pid);
        }
        !self.bad
    }
}

/// Longest pid path built by [`pid_path`]: `2147483647/` plus a file name of
/// up to 20 bytes and a NUL.
pub const PID_PATH_MAX: usize = 32;

/// Writes `"<pid>/<file>\0"` (or `"<pid>\0"` when `file` is empty) into
/// `out` and returns it as a C string; no allocation.
///
/// Returns `None` if it does not fit or `file` holds a NUL.
///
/// ```
/// use pidquery::{parse::{pid_path, PID_PATH_MAX}, Pid};
///
/// let mut out = [0u8; PID_PATH_MAX];
/// let path = pid_path(Pid::from_raw(1234).unwrap(), b"stat", &mut out).unwrap();
/// assert_eq!(path.to_bytes(), b"1234/stat");
/// ```
pub fn pid_path<'o>(pid: Pid, file: &[u8], out: &'o mut [u8; PID_PATH_MAX]) -> Option<&'o CStr> {
    if file.contains(&0) {
        return None;
    }
    let mut digits = [0u8; 10];
    let mut value = pid.as_raw().unsigned_abs();
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
        start -= 1;
        if value == 0 {
            break;
        }
    }
    let digits = digits.get(start..)?;
    let sep: &[u8] = if file.is_empty() { b"" } else { b"/" };
    let len = digits.len() + sep.len() + file.len();
    let mut rest = out.get_mut(..=len)?;
    for part in [digits, sep, file, b"\0"] {
        let (head, tail) = rest.split_at_mut(part.len());
        head.copy_from_slice(part);
        rest = tail;
    }
    CStr::from_bytes_with_nul(out.get(..=len)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ino: u64, off: i64, kind: u8, name: &[u8]) -> Vec<u8> {
        let reclen = (DIRENT_NAME_OFFSET + name.len() + 1).div_ceil(8) * 8;
        let mut r = vec![0u8; reclen];
        r[0..8].copy_from_slice(&ino.to_ne_bytes());
        r[8..16].copy_from_slice(&off.to_ne_bytes());
        r[16..18].copy_from_slice(&(reclen as u16).to_ne_bytes());
        r[18] = kind;
        r[19..19 + name.len()].copy_from_slice(name);
        r
    }

    #[test]
    fn dirents_walks_records_in_order() {
        let mut buf = record(1, 10, 4, b".");
        buf.extend(record(2, 11, 4, b".."));
        buf.extend(record(3, 259, 4, b"1"));
        buf.extend(record(4, 300, 4, b"4194304"));
        let names: Vec<_> = Dirents::new(&buf).map(|d| d.unwrap().name).collect();
        assert_eq!(names, [&b"."[..], b"..", b"1", b"4194304"]);
        let last = Dirents::new(&buf).last().unwrap().unwrap();
        assert_eq!((last.ino, last.off, last.kind), (4, 300, 4));
        assert_eq!(last.name_c.to_bytes(), b"4194304");
    }

    #[test]
    fn dirents_rejects_bad_reclen_once() {
        let mut buf = record(1, 10, 4, b"12");
        buf[16..18].copy_from_slice(&0u16.to_ne_bytes());
        let all: Vec<_> = Dirents::new(&buf).collect();
        assert_eq!(all, [Err(DirentError::BadRecLen { at: 0, reclen: 0 })]);

        let mut buf = record(1, 10, 4, b"12");
        buf[16..18].copy_from_slice(&400u16.to_ne_bytes());
        assert!(matches!(
            Dirents::new(&buf).next(),
            Some(Err(DirentError::BadRecLen { reclen: 400, .. }))
        ));
    }

    #[test]
    fn dirents_rejects_short_header_and_missing_nul() {
        let mut buf = record(1, 10, 4, b"12");
        buf.extend_from_slice(&[0u8; 5]);
        let all: Vec<_> = Dirents::new(&buf).collect();
        assert!(all[0].is_ok());
        assert_eq!(all[1], Err(DirentError::ShortHeader { at: 24 }));
        assert_eq!(all.len(), 2);

        let mut buf = record(1, 10, 4, b"1234");
        for b in &mut buf[19..] {
            *b = b'7';
        }
        assert_eq!(
            Dirents::new(&buf).next(),
            Some(Err(DirentError::UnterminatedName { at: 0 }))
        );
    }

    #[test]
    fn pid_names_follow_name_to_int() {
        assert_eq!(pid_name(b"0"), Pid::from_raw(0));
        assert_eq!(pid_name(b"2147483647"), Pid::from_raw(i32::MAX));
        for bad in [
            &b"01"[..],
            b"00",
            b"-1",
            b"+1",
            b"1a",
            b" 1",
            b"2147483648",
            b"99999999999",
            b"thread-self",
            b"\xff",
        ] {
            assert_eq!(pid_name(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn stat_parses_after_the_last_paren() {
        let s = stat(b"5 (a) b) c) R 9 8 7 6 5 4").unwrap();
        assert_eq!(
            (s.state, s.ppid, s.pgrp, s.session, s.tty_nr),
            (b'R', 9, 8, 7, 6)
        );
        // A name that forges fields: ") S 1 77 5\n".
        let s = stat(b"300 () S 1 77 5\n) S 299 300 300 0 -1 4194304 1 2 3").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.tty_nr), (299, 300, 0));
        // Spaces and newlines in the name.
        let s = stat(b"8 (a b\nc d) S 2 0 0 0 -1 69238880").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.session), (2, 0, 0));
    }

    #[test]
    fn stat_handles_long_kernel_thread_names() {
        let name = "kworker/u16:3-events_unbound_with_a_very_long_name_of_63_bytes_";
        let name = &name[..63];
        let line = format!("123 ({name}) I 2 0 0 0 -1 69238880 0 0");
        let s = stat(line.as_bytes()).unwrap();
        assert_eq!((s.state, s.ppid, s.pgrp, s.tty_nr), (b'I', 2, 0, 0));
    }

    #[test]
    fn stat_handles_negative_and_large_fields() {
        let s = stat(b"1 (x) Z 0 -1 -1 -2147483648 -1").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.session, s.tty_nr), (0, -1, -1, i32::MIN));
        // /dev/pts/300: new_encode_dev(136, 300) = 0x10882C.
        let s = stat(b"1 (x) S 0 1 1 1083436 1").unwrap();
        assert_eq!(s.tty_nr, 0x10882C);
    }

    #[test]
    fn stat_rejects_truncated_and_garbage() {
        for bad in [
            &b""[..],
            b"1 (x",
            b"1 (x)",
            b"1 (x) S",
            b"1 (x) S 1 2 3",
            b"1 (x) S 1 2 3 348",
            b"1 (x) SS 1 2 3 4 5",
            b"1 (x) S 1 2 3 4a 5",
            b"1 (x) S 1 2 3 99999999999 5",
            b"1 (x) S 1 2 3 - 5",
        ] {
            assert_eq!(stat(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn status_finds_the_uid_line() {
        let s = b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n";
        assert_eq!(
            status_uids(s),
            Some(Uids {
                real: 1000,
                effective: 1001,
                saved: 1002,
                fs: 1003
            })
        );
        assert_eq!(
            status_uids(b"Uid:\t4294967295\t0\t0\t0\n").map(|u| u.real),
            Some(u32::MAX)
        );
    }

    #[test]
    fn status_rejects_forged_truncated_and_garbage() {
        // The Name: line is escaped by the kernel, but a parser must not
        // match "Uid:" in the middle of a line even if it were not.
        assert_eq!(status_uids(b"Name:\tUid:\t0\t0\t0\t0\n"), None);
        assert_eq!(status_uids(b"Uid:\t1000\t1000\t1000\t10"), None);
        assert_eq!(status_uids(b"Uid:\t1000\t1000\t1000\n"), None);
        assert_eq!(status_uids(b"Uid:\t1000\t1000\t1000\t1000\t5\n"), None);
        assert_eq!(status_uids(b"Uid:\t-1\t0\t0\t0\n"), None);
        assert_eq!(status_uids(b"Uid:\t4294967296\t0\t0\t0\n"), None);
        assert_eq!(status_uids(b""), None);
    }

    fn pid_list(chunks: &[&[u8]]) -> Option<Vec<i32>> {
        let mut list = PidList::new();
        let mut out = Vec::new();
        for chunk in chunks {
            if !list.feed(chunk, |p| out.push(p.as_raw())) {
                return None;
            }
        }
        list.finish(|p| out.push(p.as_raw())).then_some(out)
    }

    #[test]
    fn pid_list_joins_chunks_and_rejects_garbage() {
        assert_eq!(pid_list(&[b""]), Some(vec![]));
        assert_eq!(pid_list(&[b"1 2 3 "]), Some(vec![1, 2, 3]));
        assert_eq!(pid_list(&[b"1", b"0", b" 2", b"0\n"]), Some(vec![10, 20]));
        assert_eq!(pid_list(&[b"2147483647 "]), Some(vec![i32::MAX]));
        assert_eq!(pid_list(&[b"2147483648 "]), None);
        assert_eq!(pid_list(&[b"1 -2 "]), None);
        assert_eq!(pid_list(&[b"1 ", b"\0"]), None);
        // After an error, feeding more cannot recover.
        let mut list = PidList::new();
        assert!(!list.feed(b"x", |_| {}));
        assert!(!list.feed(b"1 ", |_| panic!("no pid after an error")));
        assert!(!list.finish(|_| {}));
    }

    #[test]
    fn pid_path_formats_on_the_stack() {
        let mut out = [0xffu8; PID_PATH_MAX];
        for (pid, file, want) in [
            (0, &b""[..], &b"0"[..]),
            (7, b"stat", b"7/stat"),
            (i32::MAX, b"status", b"2147483647/status"),
            (4194304, b"task", b"4194304/task"),
        ] {
            let pid = Pid::from_raw(pid).unwrap();
            assert_eq!(pid_path(pid, file, &mut out).unwrap().to_bytes(), want);
        }
        let long = [b'x'; 21];
        assert_eq!(
            pid_path(Pid::from_raw(i32::MAX).unwrap(), &long, &mut out),
            None
        );
        assert_eq!(pid_path(Pid::ZERO, b"a\0b", &mut out), None);
    }
}
