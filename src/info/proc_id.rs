//! [`ProcId`]: an identity of a process that survives pid reuse.

use crate::{Pid, StartTime};

/// A process's identity: its pid plus what the kernel offers to tell this
/// process from a later one that reuses the pid.
///
/// - Linux: the start time in clock ticks (10 ms), and the process's
///   **pidfs inode** (`fstat` of a pidfd: a 64-bit number the kernel never
///   reuses, Linux 6.9 and later) when the pidfd can be had: the live
///   `/proc` of the caller's own pid namespace.
/// - macOS: the start time in microseconds where readable, and the 64-bit
///   `p_uniqueid`, which the kernel assigns at fork and never reuses.
/// - FreeBSD: the start time in microseconds (`ki_start`) alone: the
///   kernel has no never-reused process id, so `unique` is `None`.
///
/// Take one with [`System::identity`](crate::System::identity) (or
/// [`Pid::identity`]), keep it across polls, and ask
/// [`System::is_current`](crate::System::is_current) (or
/// [`ProcId::is_current`]) whether the pid still names that process: false
/// once it has been reaped, even if the pid came back. A zombie is still the
/// same process until it is reaped. With only a start time to go on, a pid
/// reused within one tick of the old start could pass: [`unique`](ProcId::unique)
/// says whether the stronger key is there.
///
/// # Examples
///
/// ```
/// use pidquery::Pid;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let mut child = std::process::Command::new("sleep").arg("5").spawn()?;
/// let id = Pid::from(&child).identity()?;
/// assert!(id.is_current()?);
/// child.kill()?;
/// child.wait()?; // reaped: the pid no longer names it
/// assert!(!id.is_current()?);
/// # Ok(()) }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProcId {
    pid: Pid,
    start: Option<StartTime>,
    unique: Option<u64>,
}

impl ProcId {
    /// The identity of `pid` started at `start` with the kernel's unique
    /// key `unique`, for backends.
    // Built by each backend that inspects processes.
    #[allow(dead_code)]
    pub(crate) const fn new(pid: Pid, start: Option<StartTime>, unique: Option<u64>) -> ProcId {
        ProcId { pid, start, unique }
    }

    /// The pid.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// assert_eq!(pidquery::Pid::this().identity()?.pid(), pidquery::Pid::this());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn pid(&self) -> Pid {
        self.pid
    }

    /// The start time, where the platform could read it.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let me = pidquery::Pid::this();
    /// assert_eq!(me.identity()?.start(), me.info()?.start);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn start(&self) -> Option<StartTime> {
        self.start
    }

    /// The kernel's never-reused key: the pidfs inode on Linux, `p_uniqueid`
    /// on macOS; `None` where it cannot be had.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let id = pidquery::Pid::this().identity()?;
    /// if let Some(key) = id.unique() {
    ///     assert_ne!(key, 0);
    /// }
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn unique(&self) -> Option<u64> {
        self.unique
    }
}
