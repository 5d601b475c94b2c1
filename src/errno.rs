//! [`Errno`]: an OS error number.

use core::fmt;
use std::io;

/// An OS error number, kept exactly as the kernel returned it.
///
/// A `Copy` newtype rather than an enum, so codes this crate never heard of
/// survive intact.
///
/// # Examples
///
/// ```
/// use pidquery::Errno;
///
/// assert_eq!(Errno::ENOENT.raw(), libc::ENOENT);
/// assert_eq!(Errno::from_raw(libc::ESRCH), Errno::ESRCH);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Errno(i32);

impl Errno {
    /// No such file or directory.
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    /// No such process.
    pub const ESRCH: Errno = Errno(libc::ESRCH);
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(libc::EPERM);
    /// Permission denied.
    pub const EACCES: Errno = Errno(libc::EACCES);
    /// Interrupted system call.
    pub const EINTR: Errno = Errno(libc::EINTR);
    /// Cannot allocate memory (also xnu's "buffer too small").
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    /// Too many open files.
    pub const EMFILE: Errno = Errno(libc::EMFILE);

    /// Wraps a raw errno value.
    ///
    /// ```
    /// assert_eq!(pidquery::Errno::from_raw(2), pidquery::Errno::ENOENT);
    /// ```
    #[inline]
    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The raw errno value.
    ///
    /// ```
    /// assert_eq!(pidquery::Errno::EPERM.raw(), 1);
    /// ```
    #[inline]
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The calling thread's current `errno`.
    ///
    /// ```
    /// let _ = pidquery::Errno::last();
    /// ```
    #[inline]
    pub fn last() -> Errno {
        Errno(io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({})", self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&io::Error::from_raw_os_error(self.0), f)
    }
}
