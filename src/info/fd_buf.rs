//! [`Fd`], [`FdKind`] and [`FdBuf`]: the open file descriptors of a process.

use crate::info::slots::Slots;

/// What an open file descriptor refers to.
///
/// | kind | Linux (`/proc/<pid>/fd/<n>` link target) | macOS (`proc_fdtype`) |
/// | --- | --- | --- |
/// | `File` | a path (`/…`): file, directory, device, FIFO, memfd | `PROX_FDTYPE_VNODE` |
/// | `Socket` | `socket:[ino]` | `PROX_FDTYPE_SOCKET` |
/// | `Pipe` | `pipe:[ino]` | `PROX_FDTYPE_PIPE` |
/// | `Event` | `anon_inode:[eventpoll]`, `[eventfd]`, `[signalfd]`, `[timerfd]`, `inotify`, `[fanotify]` | `PROX_FDTYPE_KQUEUE` |
/// | `Other` | anything else (`anon_inode:[pidfd]`, `[io_uring]`, `net:[…]`, …) | `PSHM`, `PSEM`, `FSEVENTS`, … |
///
/// # Examples
///
/// ```
/// use pidquery::FdKind;
/// use pidquery::parse::fd_kind;
///
/// assert_eq!(fd_kind(b"socket:[12345]"), FdKind::Socket);
/// assert_eq!(fd_kind(b"anon_inode:[eventpoll]"), FdKind::Event);
/// assert_eq!(fd_kind(b"/dev/null"), FdKind::File);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FdKind {
    /// A file in the file system: regular file, directory, device, FIFO.
    File,
    /// A socket.
    Socket,
    /// An anonymous pipe.
    Pipe,
    /// An event object: epoll, eventfd, signalfd, timerfd, inotify or
    /// fanotify on Linux; a kqueue on macOS.
    Event,
    /// Anything else.
    #[default]
    Other,
}

/// One open file descriptor of a process and what it refers to.
///
/// # Examples
///
/// ```
/// use pidquery::{FdBuf, FdKind, Pid};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let (_r, _w) = std::io::pipe()?;
/// let mut buf = FdBuf::new();
/// let fds = Pid::this().fds(&mut buf)?;
/// assert!(fds.iter().any(|fd| fd.kind == FdKind::Pipe));
/// # Ok(()) }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Fd {
    /// The descriptor's number in the process.
    pub fd: i32,
    /// What it refers to.
    pub kind: FdKind,
}

impl Fd {
    /// A descriptor `fd` of kind `kind`.
    ///
    /// ```
    /// let fd = pidquery::Fd::new(3, pidquery::FdKind::Socket);
    /// assert_eq!((fd.fd, fd.kind), (3, pidquery::FdKind::Socket));
    /// ```
    pub const fn new(fd: i32, kind: FdKind) -> Fd {
        Fd { fd, kind }
    }
}

/// Reusable storage for the open fds of a process.
///
/// As [`ThreadBuf`](crate::ThreadBuf): grows to the working size, then
/// allocates nothing; up to 32 fds stay inline; a full answer is grown and
/// asked again (macOS `PROC_PIDLISTFDS` truncates silently), never
/// returned short.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), pidquery::Error> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let mut buf = pidquery::FdBuf::new();
/// let fds = pidquery::Pid::this().fds(&mut buf)?;
/// assert!(fds.iter().any(|fd| fd.fd == 2)); // stderr
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct FdBuf {
    pub(crate) slots: Slots<Fd, 32>,
}

impl FdBuf {
    /// An empty buffer with inline room for 32 fds; does not allocate.
    ///
    /// ```
    /// assert!(pidquery::FdBuf::new().is_empty());
    /// ```
    pub fn new() -> FdBuf {
        FdBuf {
            slots: Slots::new(),
        }
    }

    /// An empty buffer with room for `n` fds.
    ///
    /// ```
    /// assert!(pidquery::FdBuf::with_capacity(100).capacity() >= 100);
    /// ```
    pub fn with_capacity(n: usize) -> FdBuf {
        FdBuf {
            slots: Slots::with_capacity(n),
        }
    }

    /// The last answer (empty before the first and after an error).
    ///
    /// ```
    /// assert_eq!(pidquery::FdBuf::new().as_slice(), &[]);
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[Fd] {
        self.slots.as_slice()
    }

    /// The number of fds in the last answer.
    ///
    /// ```
    /// assert_eq!(pidquery::FdBuf::new().len(), 0);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when the last answer is empty.
    ///
    /// ```
    /// assert!(pidquery::FdBuf::default().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// How many fds fit without allocating.
    ///
    /// ```
    /// assert_eq!(pidquery::FdBuf::new().capacity(), 32);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Empties the buffer and gives back heap memory beyond the inline room.
    ///
    /// ```
    /// let mut buf = pidquery::FdBuf::with_capacity(1000);
    /// buf.shrink_to_fit();
    /// assert_eq!(buf.capacity(), 32);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.slots.clear();
        self.slots.shrink_to_fit();
    }
}

impl core::ops::Deref for FdBuf {
    type Target = [Fd];

    fn deref(&self) -> &[Fd] {
        self.as_slice()
    }
}

impl core::fmt::Debug for FdBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}
