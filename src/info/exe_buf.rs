//! [`ExeBuf`] and [`Exe`]: a process's executable path, in reusable storage.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::sys::growth::MAX_ATTEMPTS;
use crate::sys::PathRead;
use crate::Error;

/// The first size tried for an empty buffer: most paths fit.
const FIRST_BYTES: usize = 256;
/// Never more than this per call (64 KiB); both kernels stop at 4096.
const MAX_BYTES: usize = 1 << 16;

/// Reusable storage for an executable path.
///
/// Keep one and pass it to [`System::exe`](crate::System::exe): it grows to
/// the longest path seen and then allocates nothing.
///
/// What each platform reports:
///
/// - **Linux** reads the `/proc/<pid>/exe` link. `readlink` truncates
///   silently, so an answer that fills the buffer is grown and read again.
///   When the executable was deleted (or replaced by a rename) the kernel
///   appends `" (deleted)"`: the path is given *without* that suffix and
///   [`Exe::is_deleted`] is true. (A file whose real name ends in
///   `" (deleted)"` is told apart by checking that the name with the
///   suffix still leads to the process's executable.) A kernel thread, or a
///   zombie, has no executable: [`ErrorKind::Os`](crate::ErrorKind::Os) with
///   `ENOENT`. Another user's process needs ptrace access:
///   [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied).
/// - **macOS** asks `proc_pidpath` with a buffer of 1024 to 4096 bytes (the
///   kernel refuses others). Another user's process is allowed. A deleted or
///   renamed executable makes the kernel fail with `ENOENT`
///   ([`ErrorKind::Os`](crate::ErrorKind::Os)), so there is no path and
///   `is_deleted` is never true; a zombie is "no such process"; a path longer
///   than 4095 bytes cannot be had (`ENOSPC`).
///
/// # Examples
///
/// ```
/// use pidquery::{ExeBuf, Pid};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let mut buf = ExeBuf::new();
/// let exe = Pid::this().exe(&mut buf)?;
/// // The kernel's path has its links resolved; `current_exe` may not
/// // (on macOS it is the path as executed, and `/var` links to
/// // `/private/var`).
/// assert_eq!(exe.path(), std::fs::canonicalize(std::env::current_exe()?)?);
/// assert!(!exe.is_deleted());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ExeBuf {
    /// Storage handed to the kernel; `len()` is the capacity in use.
    bytes: Vec<u8>,
    /// The last answer's length.
    len: usize,
    /// The last answer's "deleted" mark.
    deleted: bool,
}

impl ExeBuf {
    /// An empty buffer; does not allocate.
    ///
    /// ```
    /// assert_eq!(pidquery::ExeBuf::new().capacity(), 0);
    /// ```
    pub const fn new() -> ExeBuf {
        ExeBuf {
            bytes: Vec::new(),
            len: 0,
            deleted: false,
        }
    }

    /// An empty buffer with room for `n` bytes.
    ///
    /// ```
    /// assert!(pidquery::ExeBuf::with_capacity(4096).capacity() >= 4096);
    /// ```
    pub fn with_capacity(n: usize) -> ExeBuf {
        ExeBuf {
            bytes: vec![0; n],
            len: 0,
            deleted: false,
        }
    }

    /// How many bytes a path may take without growing.
    ///
    /// ```
    /// assert_eq!(pidquery::ExeBuf::with_capacity(10).capacity(), 10);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// The last answer (empty before the first and after an error).
    ///
    /// ```
    /// assert!(pidquery::ExeBuf::new().last().path().as_os_str().is_empty());
    /// ```
    #[inline]
    pub fn last(&self) -> Exe<'_> {
        Exe {
            bytes: self.bytes.get(..self.len).unwrap_or_default(),
            deleted: self.deleted,
        }
    }

    /// Runs `call` until its answer fits: at least doubling, at most
    /// [`MAX_ATTEMPTS`](crate::MAX_ATTEMPTS) calls (then `Raced`).
    pub(crate) fn fill(
        &mut self,
        mut call: impl FnMut(&mut [u8]) -> Result<PathRead, Error>,
    ) -> Result<Exe<'_>, Error> {
        self.len = 0;
        self.deleted = false;
        let mut want = self.bytes.len().max(FIRST_BYTES);
        for attempt in 1..=MAX_ATTEMPTS {
            if self.bytes.len() < want {
                self.bytes.resize(want, 0);
            }
            let capacity = self.bytes.len();
            match call(&mut self.bytes) {
                Ok(PathRead::Complete { len, deleted }) => {
                    self.len = len.min(capacity);
                    self.deleted = deleted;
                    return Ok(self.last());
                }
                Ok(PathRead::Full { needed }) => {
                    if attempt == MAX_ATTEMPTS || capacity >= MAX_BYTES {
                        break;
                    }
                    want = capacity
                        .saturating_mul(2)
                        .max(needed.unwrap_or(0))
                        .min(MAX_BYTES);
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::raced(MAX_ATTEMPTS))
    }
}

impl core::fmt::Debug for ExeBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExeBuf")
            .field("capacity", &self.capacity())
            .field("last", &self.last())
            .finish()
    }
}

/// An executable path read into an [`ExeBuf`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let mut buf = pidquery::ExeBuf::new();
/// let exe = pidquery::Pid::this().exe(&mut buf)?;
/// assert!(exe.path().is_absolute());
/// assert_eq!(exe.as_bytes(), exe.path().as_os_str().as_encoded_bytes());
/// # Ok(()) }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Exe<'b> {
    bytes: &'b [u8],
    deleted: bool,
}

impl<'b> Exe<'b> {
    /// The path (on Linux without the kernel's `" (deleted)"` suffix).
    #[inline]
    pub fn path(&self) -> &'b Path {
        Path::new(OsStr::from_bytes(self.bytes))
    }

    /// The path's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &'b [u8] {
        self.bytes
    }

    /// True when the executable no longer exists under this name (Linux:
    /// the kernel marked it `" (deleted)"`; never on macOS, which fails
    /// instead).
    #[inline]
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }
}
