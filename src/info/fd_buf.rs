//! [`Fd`], [`FdKind`] and [`FdBuf`]: the open file descriptors of a process.

use crate::info::record_buf::record_buf;

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

record_buf! {
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
    FdBuf of Fd, "fds"
}
