//! `struct kinfo_file` records (`sys/sys/user.h`), as FreeBSD's
//! `sysctl kern.proc.filedesc.<pid>` returns them: packed, each starting
//! with its own length, `kf_structsize`, which the kernel rounds up to 8
//! bytes after the path's NUL (`KERN_FILEDESC_PACK_KINFO`,
//! `sys/kern/kern_descrip.c`: `pack_kinfo`).
//!
//! Only the header is read: `kf_structsize`, `kf_type` and `kf_fd`, the
//! first three `int`s (the same offsets on every architecture: the
//! struct's size, `KINFO_FILE_SIZE`, is 1392 everywhere). Any byte string
//! is either parsed or rejected with a [`KinfoFileError`].

use core::fmt;
use core::iter::FusedIterator;

/// `sizeof(struct kinfo_file)`: no record is longer.
pub const KINFO_FILE_SIZE: usize = 1392;

/// `offsetof(struct kinfo_file, kf_path)`: a packed record holds this much
/// and the path with its NUL, rounded up to 8 bytes; so none is shorter
/// than 376 bytes.
const KF_PATH: usize = 368;

/// The shortest record: the header, an empty path and its NUL, rounded up.
pub const KINFO_FILE_MIN: usize = (KF_PATH + 1).next_multiple_of(8);

/// The header of one `kinfo_file` record.
///
/// ```
/// use pidquery::parse::{kinfo_files, KinfoFile};
///
/// let mut rec = vec![0u8; 376];
/// rec[..4].copy_from_slice(&376i32.to_ne_bytes()); // kf_structsize
/// rec[4..8].copy_from_slice(&2i32.to_ne_bytes()); // kf_type: a socket
/// rec[8..12].copy_from_slice(&3i32.to_ne_bytes()); // kf_fd
/// let first = kinfo_files(&rec).next().unwrap()?;
/// assert_eq!(first, KinfoFile { size: 376, kind: 2, fd: 3 });
/// # Ok::<(), pidquery::parse::KinfoFileError>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KinfoFile {
    /// `kf_structsize`: this record's length in bytes.
    pub size: usize,
    /// `kf_type`: `KF_TYPE_VNODE` 1, `_SOCKET` 2, `_PIPE` 3, `_FIFO` 4,
    /// `_KQUEUE` 5, …
    pub kind: i32,
    /// `kf_fd`: the descriptor, or a negative `KF_FD_TYPE_*` for the
    /// records that are not one (working directory, root, executable, …).
    pub fd: i32,
}

/// Why kernel bytes are not a sequence of `kinfo_file` records.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KinfoFileError {
    /// Fewer bytes are left at `at` than a record's header, or than the
    /// `kf_structsize` found there.
    Short {
        /// Byte offset of the record.
        at: usize,
    },
    /// The `kf_structsize` at `at` is not a multiple of 8 between
    /// [`KINFO_FILE_MIN`] and [`KINFO_FILE_SIZE`].
    Size {
        /// Byte offset of the record.
        at: usize,
        /// The `kf_structsize` found.
        size: i32,
    },
}

impl fmt::Display for KinfoFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KinfoFileError::Short { at } => write!(f, "kinfo_file record at {at} is cut short"),
            KinfoFileError::Size { at, size } => {
                write!(f, "kinfo_file record at {at} has kf_structsize {size}")
            }
        }
    }
}

impl std::error::Error for KinfoFileError {}

/// The records in `bytes`, in order; the first malformed one ends the
/// iteration with its error.
///
/// ```
/// use pidquery::parse::kinfo_files;
///
/// let mut two = vec![0u8; 2 * 376];
/// for (i, rec) in two.chunks_mut(376).enumerate() {
///     rec[..4].copy_from_slice(&376i32.to_ne_bytes());
///     rec[8..12].copy_from_slice(&(i as i32).to_ne_bytes());
/// }
/// let fds: Vec<i32> = kinfo_files(&two).map(|r| r.map(|f| f.fd)).collect::<Result<_, _>>()?;
/// assert_eq!(fds, [0, 1]);
/// assert!(kinfo_files(&two[..500]).nth(1).unwrap().is_err());
/// # Ok::<(), pidquery::parse::KinfoFileError>(())
/// ```
pub fn kinfo_files(bytes: &[u8]) -> KinfoFiles<'_> {
    KinfoFiles { bytes, at: 0 }
}

/// Iterator over packed `kinfo_file` records: see [`kinfo_files`].
#[derive(Clone, Debug)]
pub struct KinfoFiles<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn int_at(bytes: &[u8], at: usize) -> Option<i32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(i32::from_ne_bytes(b))
}

impl KinfoFiles<'_> {
    fn parse(&self) -> Result<KinfoFile, KinfoFileError> {
        let at = self.at;
        let rest = self.bytes.get(at..).unwrap_or_default();
        let short = KinfoFileError::Short { at };
        let raw = int_at(rest, 0).ok_or(short)?;
        let size = usize::try_from(raw)
            .ok()
            .filter(|s| (KINFO_FILE_MIN..=KINFO_FILE_SIZE).contains(s) && s % 8 == 0)
            .ok_or(KinfoFileError::Size { at, size: raw })?;
        if size > rest.len() {
            return Err(short);
        }
        Ok(KinfoFile {
            size,
            kind: int_at(rest, 4).ok_or(short)?,
            fd: int_at(rest, 8).ok_or(short)?,
        })
    }
}

impl Iterator for KinfoFiles<'_> {
    type Item = Result<KinfoFile, KinfoFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let parsed = self.parse();
        match parsed {
            Ok(f) => self.at += f.size,
            // Nothing after a malformed record can be found.
            Err(_) => self.at = self.bytes.len(),
        }
        Some(parsed)
    }
}

impl FusedIterator for KinfoFiles<'_> {}
