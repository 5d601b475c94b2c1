//! The crate's typed [`Error`].

use core::fmt;
use core::ops::Deref;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::{Errno, Pid};

/// What went wrong, with the structured facts each case needs.
///
/// # Examples
///
/// ```
/// use pidquery::{ErrorKind, Pid, PidQuery};
///
/// let mut tiny: [Pid; 0] = [];
/// match PidQuery::all().fill_slice(&mut tiny) {
///     Err(e) => match e.kind() {
///         ErrorKind::Truncated { needed } => assert!(needed > 0),
///         other => panic!("unexpected {other:?}"),
///     },
///     Ok(_) => panic!("a system always has at least one process"),
/// }
/// ```
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The answer does not fit in the caller's slice; `needed` pids would.
    /// Nothing usable was returned: the slice's contents are unspecified.
    Truncated {
        /// A size, in pids, that holds the whole answer as the kernel last
        /// reported it (at least the number of matches, at least one more
        /// than the slice on macOS where a full buffer proves nothing).
        needed: usize,
    },
    /// The answer kept changing faster than it could be proven, and the
    /// budget was spent: for a list, every attempt came back possibly
    /// truncated because processes kept being created faster than the
    /// buffer grew; for a per-process call on Linux ([`Error::pid`] says
    /// which process), every attempt found the process in the middle of an
    /// exec from a thread that is not its leader. The process is alive:
    /// this is never "no such process", and asking again is the remedy.
    ///
    /// ```
    /// use pidquery::{ErrorKind, Pid, ThreadBuf};
    ///
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let mut buf = ThreadBuf::new();
    /// let threads = loop {
    ///     match Pid::this().threads(&mut buf) {
    ///         Err(e) if matches!(e.kind(), ErrorKind::Raced { .. }) => continue,
    ///         other => break other?.len(),
    ///     }
    /// };
    /// assert!(threads >= 1);
    /// # Ok(()) }
    /// ```
    Raced {
        /// How many kernel calls were made.
        attempts: u32,
    },
    /// This platform has no backend.
    Unsupported,
    /// The proc root is missing or cannot be opened.
    ProcRoot,
    /// The proc root is not the root directory of a procfs mount (a
    /// directory inside one, such as `/proc/self`, is refused too).
    NotProcfs,
    /// A path given as a terminal is not a character device.
    NotACharDevice,
    /// The kernel returned bytes this crate cannot parse.
    Malformed,
    /// A pid argument was negative.
    NegativePid,
    /// A system call failed; see [`Error::errno`].
    Os,
    /// No process has this pid (it exited and was reaped, or never
    /// existed). A zombie is still a process: its info says
    /// [`State::Zombie`](crate::State::Zombie).
    NoSuchProcess,
    /// The pid is a thread of another process, not a process: Linux
    /// resolves `/proc/<tid>` for any thread, so this is checked. See
    /// [`Error::thread_group`] for the process it belongs to.
    NotAProcess,
    /// The kernel refused to describe this process to the caller (another
    /// user's process: Linux `EACCES` on `exe` or `fd/`, macOS `EPERM`);
    /// [`Error::errno`] keeps the kernel's code.
    PermissionDenied,
    /// The kernel could not wire (lock into memory) a buffer of `bytes`
    /// bytes to copy its answer into: FreeBSD's `vm.max_user_wired` limit
    /// (the errno is `ENOMEM`). Not a race: asking again with the same
    /// buffer fails the same way.
    WiringLimit {
        /// The size of the buffer the kernel could not wire.
        bytes: usize,
    },
}

/// The error type of every fallible operation in this crate.
///
/// It keeps the raw errno (if any), the operation, and the path or pid
/// involved, and converts into [`std::io::Error`]. Making one allocates
/// nothing when its path is a proc root's (the path is shared with the
/// [`System`](crate::System), not copied): a loop over processes that
/// vanish costs no heap.
///
/// # Examples
///
/// ```
/// use pidquery::{ErrorKind, PidQuery};
///
/// let err = PidQuery::tty_path("/nonexistent/tty").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Os);
/// assert_eq!(err.path().unwrap().to_str(), Some("/nonexistent/tty"));
/// assert_eq!(err.errno(), Some(pidquery::Errno::ENOENT));
/// assert!(err.to_string().contains("/nonexistent/tty"));
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    errno: Option<Errno>,
    op: &'static str,
    path: Option<SharedPath>,
    pid: Option<Pid>,
    raw: Option<i64>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, op: &'static str) -> Error {
        Error {
            kind,
            errno: None,
            op,
            path: None,
            pid: None,
            raw: None,
        }
    }

    pub(crate) fn os(op: &'static str, errno: Errno) -> Error {
        Error::new(ErrorKind::Os, op).with_errno(errno)
    }

    pub(crate) fn with_errno(mut self, errno: Errno) -> Error {
        self.errno = Some(errno);
        self
    }

    /// This error, naming `path`: a `&Path` is copied once (into shared
    /// storage), a [`SharedPath`] is shared without allocating.
    pub(crate) fn with_path(mut self, path: impl Into<SharedPath>) -> Error {
        self.path = Some(path.into());
        self
    }

    // Only backends that read per-process files report a pid.
    #[allow(dead_code)]
    pub(crate) fn with_pid(mut self, pid: Pid) -> Error {
        self.pid = Some(pid);
        self
    }

    pub(crate) fn truncated(needed: usize) -> Error {
        Error::new(ErrorKind::Truncated { needed }, "fill_slice")
    }

    pub(crate) fn raced(attempts: u32) -> Error {
        Error::new(ErrorKind::Raced { attempts }, "fill")
    }

    /// `op` on `pid` found it changing (an exec from a thread) at each of
    /// its `attempts`.
    // Only the Linux backend reads a process that can be caught so.
    #[allow(dead_code)]
    pub(crate) fn raced_on(op: &'static str, pid: Pid, attempts: u32) -> Error {
        Error::new(ErrorKind::Raced { attempts }, op).with_pid(pid)
    }

    // Only the FreeBSD backend wires its buffer.
    #[allow(dead_code)]
    pub(crate) fn wiring_limit(op: &'static str, bytes: usize) -> Error {
        Error::new(ErrorKind::WiringLimit { bytes }, op).with_errno(Errno::ENOMEM)
    }

    // Not every platform has an unsupported operation.
    #[allow(dead_code)]
    pub(crate) fn unsupported(op: &'static str) -> Error {
        Error::new(ErrorKind::Unsupported, op)
    }

    /// "No such process" for `pid`, from `op`.
    // Only backends that inspect processes report one.
    #[allow(dead_code)]
    pub(crate) fn no_such_process(op: &'static str, pid: Pid) -> Error {
        Error::new(ErrorKind::NoSuchProcess, op)
            .with_errno(Errno::ESRCH)
            .with_pid(pid)
    }

    /// `pid` is a thread of the process `tgid`.
    #[allow(dead_code)]
    pub(crate) fn not_a_process(op: &'static str, pid: Pid, tgid: Option<Pid>) -> Error {
        let mut e = Error::new(ErrorKind::NotAProcess, op).with_pid(pid);
        e.raw = tgid.map(|t| i64::from(t.as_raw()));
        e
    }

    /// The kernel refused `op` on `pid` with `errno`.
    #[allow(dead_code)]
    pub(crate) fn permission_denied(op: &'static str, pid: Pid, errno: Errno) -> Error {
        Error::new(ErrorKind::PermissionDenied, op)
            .with_errno(errno)
            .with_pid(pid)
    }

    pub(crate) fn negative_pid(raw: i32) -> Error {
        let mut e = Error::new(ErrorKind::NegativePid, "Pid::from_raw");
        e.raw = Some(i64::from(raw));
        e
    }

    /// What went wrong.
    ///
    /// ```
    /// use pidquery::{ErrorKind, Pid};
    /// let e = Pid::try_from(-3).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NegativePid);
    /// ```
    #[inline]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The errno the kernel returned, if a system call failed.
    ///
    /// ```
    /// let e = pidquery::PidQuery::tty_path("/nonexistent").unwrap_err();
    /// assert_eq!(e.errno(), Some(pidquery::Errno::ENOENT));
    /// ```
    #[inline]
    pub fn errno(&self) -> Option<Errno> {
        self.errno
    }

    /// The name of the failed operation (a system call or API function).
    ///
    /// ```
    /// let e = pidquery::PidQuery::tty_path("/nonexistent").unwrap_err();
    /// assert_eq!(e.operation(), "stat");
    /// ```
    #[inline]
    pub fn operation(&self) -> &'static str {
        self.op
    }

    /// The path involved, if any.
    ///
    /// ```
    /// let e = pidquery::PidQuery::tty_path("/nonexistent").unwrap_err();
    /// assert_eq!(e.path(), Some(std::path::Path::new("/nonexistent")));
    /// ```
    #[inline]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The process involved, if the error concerns one.
    ///
    /// ```
    /// let e = pidquery::PidQuery::tty_path("/nonexistent").unwrap_err();
    /// assert_eq!(e.pid(), None);
    /// ```
    #[inline]
    pub fn pid(&self) -> Option<Pid> {
        self.pid
    }

    /// For [`ErrorKind::NotAProcess`]: the process (thread group) the
    /// thread belongs to, when it was read.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live()?.proc_root().is_none() { return Ok(()) }
    /// let handle = std::thread::spawn(|| {
    ///     let tid = pidquery::Pid::from_raw(unsafe_free_gettid()).unwrap();
    ///     tid.info().unwrap_err()
    /// });
    /// let err = handle.join().unwrap();
    /// assert_eq!(err.kind(), pidquery::ErrorKind::NotAProcess);
    /// assert_eq!(err.thread_group(), Some(pidquery::Pid::this()));
    /// # Ok(()) }
    /// # fn unsafe_free_gettid() -> i32 {
    /// #     std::fs::read_link("/proc/thread-self").ok()
    /// #         .and_then(|p| p.file_name()?.to_str()?.parse().ok()).unwrap_or(-1)
    /// # }
    /// ```
    #[inline]
    pub fn thread_group(&self) -> Option<Pid> {
        match self.kind {
            ErrorKind::NotAProcess => self
                .raw
                .and_then(|raw| i32::try_from(raw).ok())
                .and_then(Pid::from_raw),
            _ => None,
        }
    }
}

impl Error {
    /// " for pid N under PATH" / " on PATH" / " for pid N" / "".
    fn fmt_where(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.pid, &self.path) {
            (Some(pid), Some(path)) => write!(f, " for pid {pid} under {}", path.display()),
            (Some(pid), None) => write!(f, " for pid {pid}"),
            (None, Some(path)) => write!(f, " on {}", path.display()),
            (None, None) => Ok(()),
        }
    }

    /// ": ERRNO" or "".
    fn fmt_errno(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Some(errno) => write!(f, ": {errno}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Error {
    /// One sentence, naming the path and pid involved and ending with the
    /// OS error when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.as_deref().unwrap_or(Path::new("?"));
        match self.kind {
            ErrorKind::Truncated { needed } => write!(
                f,
                "the pid list does not fit in the buffer given; {needed} entries are needed"
            ),
            ErrorKind::Raced { attempts } if self.pid.is_some() => {
                write!(f, "the process kept changing (an exec from a thread)")?;
                self.fmt_where(f)?;
                write!(f, "; {} gave up after {attempts} attempts", self.op)
            }
            ErrorKind::Raced { attempts } => write!(
                f,
                "the pid list kept growing while it was read; gave up after {attempts} attempts"
            ),
            ErrorKind::Unsupported => write!(f, "{} is not supported on this platform", self.op),
            ErrorKind::ProcRoot => {
                write!(f, "cannot open the proc root {}", path.display())?;
                if self.op != "open" {
                    write!(f, " ({} failed)", self.op)?;
                }
                self.fmt_errno(f)
            }
            ErrorKind::NotProcfs => {
                write!(f, "{} is not the root of a procfs mount", path.display())
            }
            ErrorKind::NotACharDevice => {
                write!(f, "{} is not a terminal (character device)", path.display())
            }
            ErrorKind::Malformed => {
                write!(
                    f,
                    "the kernel returned {} data that cannot be parsed",
                    self.op
                )?;
                self.fmt_where(f)
            }
            ErrorKind::NegativePid => match self.raw {
                Some(raw) => write!(f, "process id {raw} is negative"),
                None => write!(f, "negative process id"),
            },
            ErrorKind::Os => {
                write!(f, "{} failed", self.op)?;
                self.fmt_where(f)?;
                self.fmt_errno(f)
            }
            ErrorKind::NoSuchProcess => {
                write!(f, "no such process")?;
                self.fmt_where(f)?;
                write!(f, " ({})", self.op)
            }
            ErrorKind::NotAProcess => {
                write!(f, "not a process but a thread")?;
                self.fmt_where(f)?;
                match self.thread_group() {
                    Some(tgid) => write!(f, " (of process {tgid})"),
                    None => Ok(()),
                }
            }
            ErrorKind::PermissionDenied => {
                write!(f, "{} not permitted", self.op)?;
                self.fmt_where(f)?;
                self.fmt_errno(f)
            }
            ErrorKind::WiringLimit { bytes } => write!(
                f,
                "{} failed: the kernel could not wire a {bytes}-byte buffer (vm.max_user_wired)",
                self.op
            ),
        }
    }
}

impl std::error::Error for Error {}

/// A path kept by reference: a static one (the default proc root), or one
/// shared by reference count (a proc root opened by path), so that an
/// [`Error`] naming it allocates nothing.
#[derive(Clone, Debug)]
pub(crate) enum SharedPath {
    /// A path that lives as long as the program.
    // Only the Linux backend has a static proc root.
    #[allow(dead_code)]
    Static(&'static Path),
    /// A path shared with its owner.
    Shared(Arc<Path>),
}

impl Deref for SharedPath {
    type Target = Path;

    fn deref(&self) -> &Path {
        match self {
            SharedPath::Static(path) => path,
            SharedPath::Shared(path) => path,
        }
    }
}

impl From<&Path> for SharedPath {
    /// Copies `path` into shared storage (one allocation).
    fn from(path: &Path) -> SharedPath {
        SharedPath::Shared(Arc::from(path))
    }
}

impl From<&SharedPath> for SharedPath {
    /// Shares it: no allocation.
    fn from(path: &SharedPath) -> SharedPath {
        path.clone()
    }
}

impl From<Error> for io::Error {
    /// Keeps the error as the source; the `io::ErrorKind` follows the errno
    /// when there is one.
    fn from(err: Error) -> io::Error {
        let kind = match (err.errno, err.kind) {
            (_, ErrorKind::NoSuchProcess) => io::ErrorKind::NotFound,
            (_, ErrorKind::PermissionDenied) => io::ErrorKind::PermissionDenied,
            (_, ErrorKind::NotAProcess) => io::ErrorKind::InvalidInput,
            (Some(errno), _) => io::Error::from_raw_os_error(errno.raw()).kind(),
            (None, ErrorKind::Unsupported) => io::ErrorKind::Unsupported,
            (None, ErrorKind::NegativePid | ErrorKind::NotACharDevice) => {
                io::ErrorKind::InvalidInput
            }
            (None, ErrorKind::Malformed) => io::ErrorKind::InvalidData,
            (None, _) => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}
