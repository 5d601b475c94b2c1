//! [`Comm`]: a process's short command name, stored inline.

use core::fmt;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// A process's short command name, in an inline array: no heap.
///
/// On Linux it is the `comm` of `/proc/<pid>/stat` (at most 15 bytes for a
/// user process, up to 64 for some kernel threads, whose names the kernel
/// extends); on macOS the kernel's `p_comm` (at most 15 bytes) or `p_name`
/// (at most 31). The bytes are the kernel's own: any bytes but NUL, not
/// necessarily UTF-8, possibly holding spaces, parentheses or newlines.
///
/// `Display` shows it lossily (invalid UTF-8 as U+FFFD) without allocating.
///
/// # Examples
///
/// ```
/// use pidquery::Comm;
///
/// let comm = Comm::new(b"sleep").unwrap();
/// assert_eq!(comm.as_bytes(), b"sleep");
/// assert_eq!(comm.to_string(), "sleep");
/// assert_eq!(Comm::new(b"a\xffb").unwrap().to_string(), "a\u{fffd}b");
/// assert!(Comm::new(&[b'x'; Comm::CAPACITY + 1]).is_none());
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Comm {
    len: u8,
    bytes: [u8; Comm::CAPACITY],
}

impl Comm {
    /// The longest name a `Comm` holds, in bytes: the kernel's longest
    /// (Linux prints at most 64 bytes of a kernel thread's name).
    pub const CAPACITY: usize = 64;

    /// The empty name.
    ///
    /// ```
    /// assert!(pidquery::Comm::EMPTY.is_empty());
    /// ```
    pub const EMPTY: Comm = Comm {
        len: 0,
        bytes: [0; Comm::CAPACITY],
    };

    /// A name holding `bytes`; `None` if it is longer than
    /// [`CAPACITY`](Comm::CAPACITY).
    ///
    /// ```
    /// assert_eq!(pidquery::Comm::new(b"bash").unwrap().len(), 4);
    /// ```
    pub fn new(bytes: &[u8]) -> Option<Comm> {
        let mut comm = Comm::EMPTY;
        comm.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        comm.len = u8::try_from(bytes.len()).ok()?;
        Some(comm)
    }

    /// The name's bytes, as the kernel gave them.
    ///
    /// ```
    /// assert_eq!(pidquery::Comm::new(b"x y").unwrap().as_bytes(), b"x y");
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The name as an `OsStr` (its bytes, unchanged).
    ///
    /// ```
    /// let comm = pidquery::Comm::new(b"init").unwrap();
    /// assert_eq!(comm.as_os_str(), "init");
    /// ```
    #[inline]
    pub fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(self.as_bytes())
    }

    /// The length in bytes.
    ///
    /// ```
    /// assert_eq!(pidquery::Comm::EMPTY.len(), 0);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True for the empty name.
    ///
    /// ```
    /// assert!(!pidquery::Comm::new(b"a").unwrap().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for Comm {
    fn default() -> Comm {
        Comm::EMPTY
    }
}

impl fmt::Display for Comm {
    /// The name as text: invalid UTF-8 shown as U+FFFD, nothing escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.as_bytes().utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Comm(\"{}\")", self.as_bytes().escape_ascii())
    }
}

impl PartialEq<[u8]> for Comm {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Comm {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialEq<str> for Comm {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Comm {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
