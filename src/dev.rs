//! [`Dev`]: a device number, in the platform's own encoding.

use core::fmt;

use crate::sys::dev;

/// A device number as `stat(2)` reports it in `st_rdev`.
///
/// The encoding is the platform's own, chosen by its backend: on Linux
/// glibc's (`makedev`), which is also how the kernel prints `tty_nr` in
/// `/proc/<pid>/stat`, so the two compare directly, including for
/// `/dev/pts/256` and above; on macOS xnu's 32-bit `dev_t` (major in the top
/// byte, minor in the low 24 bits); on FreeBSD the 64-bit `dev_t` of
/// FreeBSD 12 and later, where a terminal's `st_rdev` is its devfs inode
/// number, the very value `kern.proc` reports as `ki_tdev`.
///
/// # Examples
///
/// ```
/// use pidquery::Dev;
///
/// // /dev/pts/300: major 136, minor 300.
/// let dev = Dev::new(136, 300);
/// assert_eq!(dev.major(), 136);
/// assert_eq!(dev.minor(), 300);
/// assert_eq!(pidquery::Dev::from_raw(dev.raw()), dev);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Dev(u64);

impl Dev {
    /// Wraps a raw `st_rdev` value.
    ///
    /// ```
    /// assert_eq!(pidquery::Dev::from_raw(34816).raw(), 34816);
    /// ```
    #[inline]
    pub const fn from_raw(raw: u64) -> Dev {
        Dev(raw)
    }

    /// Builds a device number from its parts, as `makedev(3)` does.
    ///
    /// ```
    /// let d = pidquery::Dev::new(4, 1); // /dev/tty1 on Linux
    /// assert_eq!((d.major(), d.minor()), (4, 1));
    /// ```
    #[inline]
    pub const fn new(major: u32, minor: u32) -> Dev {
        Dev(dev::makedev(major, minor))
    }

    /// The raw `st_rdev` value.
    ///
    /// ```
    /// assert_eq!(pidquery::Dev::from_raw(7).raw(), 7);
    /// ```
    #[inline]
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The major number.
    ///
    /// ```
    /// assert_eq!(pidquery::Dev::new(136, 3).major(), 136);
    /// ```
    #[inline]
    pub const fn major(self) -> u32 {
        dev::major(self.0)
    }

    /// The minor number.
    ///
    /// ```
    /// assert_eq!(pidquery::Dev::new(136, 3).minor(), 3);
    /// ```
    #[inline]
    pub const fn minor(self) -> u32 {
        dev::minor(self.0)
    }
}

impl fmt::Debug for Dev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dev({}:{})", self.major(), self.minor())
    }
}
