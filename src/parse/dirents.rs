//! `getdents64` records: `struct linux_dirent64` (`fs/readdir.c`, `filldir64`).

use core::ffi::CStr;

/// Offset of `d_name` in a `linux_dirent64` record.
const DIRENT_NAME_OFFSET: usize = 19;

/// One `linux_dirent64` record, borrowed from the buffer `getdents64` filled.
#[non_exhaustive]
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
}
