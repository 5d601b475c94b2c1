//! The per-process calls on the live system, without naming a
//! [`System`]: methods of [`Pid`], [`ProcId`] and [`PidQuery`].

use crate::{
    Error, Exe, ExeBuf, Fd, FdBuf, InfoBuf, Pid, PidQuery, ProcId, ProcInfo, System, Thread,
    ThreadBuf,
};

impl Pid {
    /// This process's [`ProcInfo`] on the live system:
    /// [`System::live`]`()?.`[`info`](System::info)`(self)`.
    ///
    /// # Errors
    ///
    /// As [`System::info`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let me = pidquery::Pid::this().info()?;
    /// assert_eq!(me.pid, pidquery::Pid::this());
    /// # Ok(()) }
    /// ```
    pub fn info(self) -> Result<ProcInfo, Error> {
        System::live()?.info(self)
    }

    /// This process's executable path on the live system; see
    /// [`System::exe`].
    ///
    /// # Errors
    ///
    /// As [`System::exe`].
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let mut buf = pidquery::ExeBuf::new();
    /// let exe = pidquery::Pid::this().exe(&mut buf)?;
    /// // The kernel's path has its links resolved; `current_exe` may not
    /// // (on macOS it is the path as executed, and `/var` links to
    /// // `/private/var`).
    /// assert_eq!(exe.path(), std::fs::canonicalize(std::env::current_exe()?)?);
    /// # Ok(()) }
    /// ```
    pub fn exe(self, buf: &mut ExeBuf) -> Result<Exe<'_>, Error> {
        System::live()?.exe(self, buf)
    }

    /// This process's threads on the live system; see [`System::threads`].
    ///
    /// # Errors
    ///
    /// As [`System::threads`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let mut buf = pidquery::ThreadBuf::new();
    /// assert!(!pidquery::Pid::this().threads(&mut buf)?.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn threads(self, buf: &mut ThreadBuf) -> Result<&[Thread], Error> {
        System::live()?.threads(self, buf)
    }

    /// This process's open fds on the live system; see [`System::fds`].
    ///
    /// # Errors
    ///
    /// As [`System::fds`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let mut buf = pidquery::FdBuf::new();
    /// assert!(!pidquery::Pid::this().fds(&mut buf)?.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn fds(self, buf: &mut FdBuf) -> Result<&[Fd], Error> {
        System::live()?.fds(self, buf)
    }

    /// This process's identity on the live system; see
    /// [`System::identity`].
    ///
    /// # Errors
    ///
    /// As [`System::identity`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let id = pidquery::Pid::this().identity()?;
    /// assert!(id.is_current()?);
    /// # Ok(()) }
    /// ```
    pub fn identity(self) -> Result<ProcId, Error> {
        System::live()?.identity(self)
    }
}

impl ProcId {
    /// Whether the pid still names this process on the live system; see
    /// [`System::is_current`].
    ///
    /// # Errors
    ///
    /// As [`System::is_current`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// assert!(pidquery::Pid::this().identity()?.is_current()?);
    /// # Ok(()) }
    /// ```
    pub fn is_current(&self) -> Result<bool, Error> {
        System::live()?.is_current(self)
    }
}

impl PidQuery {
    /// The infos of every process this query matches, on the live system;
    /// see [`System::infos`].
    ///
    /// # Errors
    ///
    /// As [`System::infos`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let mut buf = pidquery::InfoBuf::new();
    /// let all = pidquery::PidQuery::all().infos(&mut buf)?;
    /// assert!(all.iter().any(|i| i.pid == pidquery::Pid::this()));
    /// # Ok(()) }
    /// ```
    pub fn infos<'b>(&self, buf: &'b mut InfoBuf) -> Result<&'b [ProcInfo], Error> {
        System::live()?.infos(self, buf)
    }
}
