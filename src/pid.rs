//! The [`Pid`] newtype.

use core::fmt;

/// A process id: a non-negative `pid_t`.
///
/// Pid 0 is a valid value: macOS lists `kernel_task` as pid 0, and on Linux
/// process-group and session fields read 0 for kernel threads.
///
/// # Examples
///
/// ```
/// use pidquery::Pid;
///
/// let me = Pid::this();
/// assert_eq!(Pid::from_raw(me.as_raw()), Some(me));
/// assert_eq!(Pid::from_raw(-1), None);
/// assert_eq!(Pid::from_raw(42).unwrap().to_string(), "42");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct Pid(i32);

impl Pid {
    /// Pid 0: `kernel_task` on macOS, the idle task's number on Linux.
    ///
    /// ```
    /// assert_eq!(pidquery::Pid::ZERO.as_raw(), 0);
    /// ```
    pub const ZERO: Pid = Pid(0);

    /// Wraps a raw `pid_t`; `None` when it is negative.
    ///
    /// ```
    /// use pidquery::Pid;
    /// assert!(Pid::from_raw(0).is_some());
    /// assert!(Pid::from_raw(i32::MIN).is_none());
    /// ```
    #[inline]
    pub const fn from_raw(raw: i32) -> Option<Pid> {
        if raw >= 0 {
            Some(Pid(raw))
        } else {
            None
        }
    }

    /// The raw `pid_t`, always `>= 0`.
    ///
    /// ```
    /// assert_eq!(pidquery::Pid::from_raw(7).unwrap().as_raw(), 7);
    /// ```
    #[inline]
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// The calling process's pid.
    ///
    /// ```
    /// assert_eq!(pidquery::Pid::this().as_raw() as u32, std::process::id());
    /// ```
    #[inline]
    pub fn this() -> Pid {
        // `std::process::id` is `getpid()`, which never exceeds `i32::MAX`.
        Pid(i32::try_from(std::process::id()).unwrap_or(i32::MAX))
    }

    /// The calling process's parent: `getppid()` through `std`.
    ///
    /// ```
    /// let parent = pidquery::Pid::parent();
    /// assert_ne!(parent, pidquery::Pid::this());
    /// ```
    #[inline]
    pub fn parent() -> Pid {
        Pid(i32::try_from(std::os::unix::process::parent_id()).unwrap_or(i32::MAX))
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<Pid> for i32 {
    #[inline]
    fn from(pid: Pid) -> i32 {
        pid.0
    }
}

impl TryFrom<i32> for Pid {
    type Error = crate::Error;

    /// ```
    /// use pidquery::Pid;
    /// assert!(Pid::try_from(-5).is_err());
    /// assert_eq!(Pid::try_from(5).unwrap().as_raw(), 5);
    /// ```
    fn try_from(raw: i32) -> Result<Pid, crate::Error> {
        Pid::from_raw(raw).ok_or_else(|| crate::Error::negative_pid(raw))
    }
}

impl From<&std::process::Child> for Pid {
    /// The pid of a child spawned with `std::process::Command`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut child = std::process::Command::new("true").spawn()?;
    /// let pid = pidquery::Pid::from(&child);
    /// assert_eq!(pid.as_raw() as u32, child.id());
    /// child.wait()?;
    /// # Ok(()) }
    /// ```
    fn from(child: &std::process::Child) -> Pid {
        Pid(i32::try_from(child.id()).unwrap_or(i32::MAX))
    }
}
