//! [`PidQuery`]: what to ask, and its [`Filter`].

use std::path::Path;

use crate::{Dev, Error, ErrorKind, Pid, PidBuf, Pids, System};

/// The filter a [`PidQuery`] applies, with its argument.
///
/// ```
/// use pidquery::{Filter, PidQuery};
/// assert_eq!(PidQuery::uid(0).filter(), Filter::Uid(0));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Filter {
    /// Every process.
    All,
    /// Processes in this process group.
    Pgrp(Pid),
    /// Processes whose controlling terminal is this device.
    Tty(Dev),
    /// Processes with this effective uid.
    Uid(u32),
    /// Processes with this real uid.
    Ruid(u32),
    /// Processes whose parent is this pid.
    Ppid(Pid),
    /// The whole subtree below this pid: its children, their children, and
    /// so on (the pid itself excluded).
    Descendants(Pid),
}

/// What to ask the kernel: one filter and its argument.
///
/// A `PidQuery` is a small `Copy` value; building one does no I/O (except
/// [`PidQuery::tty_path`], which `stat`s the path). Run it with
/// [`fill`](PidQuery::fill) into a reusable [`PidBuf`],
/// [`fill_slice`](PidQuery::fill_slice) into storage of your own,
/// [`iter`](PidQuery::iter) for one-shot use, or the `*_in` forms that take a
/// [`System`] explicitly.
///
/// | constructor | matches | xnu type |
/// | --- | --- | --- |
/// | [`all`](PidQuery::all) | every process, zombies included | `PROC_ALL_PIDS` |
/// | [`pgrp`](PidQuery::pgrp) | process group id | `PROC_PGRP_ONLY` |
/// | [`tty`](PidQuery::tty) | controlling terminal device | `PROC_TTY_ONLY` |
/// | [`uid`](PidQuery::uid) | **effective** uid | `PROC_UID_ONLY` |
/// | [`ruid`](PidQuery::ruid) | real uid | `PROC_RUID_ONLY` |
/// | [`ppid`](PidQuery::ppid) | parent pid | `PROC_PPID_ONLY` |
/// | [`descendants`](PidQuery::descendants) | the subtree below a pid | `PROC_PPID_ONLY`, once per process of the subtree |
///
/// # Examples
///
/// ```
/// use pidquery::{Pid, PidBuf, PidQuery};
///
/// # fn main() -> Result<(), pidquery::Error> {
/// let mut buf = PidBuf::new();
/// let siblings = PidQuery::ppid(Pid::parent()).fill(&mut buf)?;
/// assert!(siblings.contains(&Pid::this()));
/// # Ok(()) }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct PidQuery {
    filter: Filter,
}

impl PidQuery {
    /// Every process.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let all = pidquery::PidQuery::all().iter()?.collect::<Result<Vec<_>, _>>()?;
    /// assert!(all.contains(&pidquery::Pid::this()));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn all() -> PidQuery {
        PidQuery {
            filter: Filter::All,
        }
    }

    /// Processes whose process group id is `pgid`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::os::unix::process::CommandExt;
    /// let mut child = std::process::Command::new("sleep").arg("5").process_group(0).spawn()?;
    /// let pid = pidquery::Pid::from(&child);
    /// # let mut found = Vec::new();
    /// # for _ in 0..200 {
    /// #     found = pidquery::PidQuery::pgrp(pid).iter()?.collect::<Result<Vec<_>, _>>()?;
    /// #     if !found.is_empty() { break }
    /// #     std::thread::sleep(std::time::Duration::from_millis(5));
    /// # }
    /// assert_eq!(found, [pid]);
    /// child.kill()?;
    /// child.wait()?;
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn pgrp(pgid: Pid) -> PidQuery {
        PidQuery {
            filter: Filter::Pgrp(pgid),
        }
    }

    /// Processes whose controlling terminal is the device `dev`.
    ///
    /// A process without a controlling terminal never matches, not even
    /// `tty(Dev::from_raw(0))`.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let none = pidquery::PidQuery::tty(pidquery::Dev::from_raw(0));
    /// assert_eq!(none.iter()?.count(), 0);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn tty(dev: Dev) -> PidQuery {
        PidQuery {
            filter: Filter::Tty(dev),
        }
    }

    /// Processes whose controlling terminal is the character device at
    /// `path` (its `st_rdev`), for example `/dev/pts/3`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Os`] if `path` cannot be `stat`ed,
    /// [`ErrorKind::NotACharDevice`] if it is not a character device.
    ///
    /// ```
    /// use pidquery::{ErrorKind, PidQuery};
    ///
    /// let q = PidQuery::tty_path("/dev/null")?; // a char device, never a ctty
    /// assert_eq!(q.iter()?.count(), 0);
    /// let err = PidQuery::tty_path("/etc/passwd").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotACharDevice);
    /// # Ok::<(), pidquery::Error>(())
    /// ```
    pub fn tty_path(path: impl AsRef<Path>) -> Result<PidQuery, Error> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| {
            Error::os(
                "stat",
                crate::Errno::from_raw(e.raw_os_error().unwrap_or(0)),
            )
            .with_path(path)
        })?;
        if !meta.file_type().is_char_device() {
            return Err(Error::new(ErrorKind::NotACharDevice, "tty_path").with_path(path));
        }
        Ok(PidQuery::tty(Dev::from_raw(meta.rdev())))
    }

    /// Processes whose **effective** uid is `uid`.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// // Every system has root-owned processes (init, kernel threads).
    /// assert!(pidquery::PidQuery::uid(0).iter()?.next().transpose()?.is_some());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn uid(uid: u32) -> PidQuery {
        PidQuery {
            filter: Filter::Uid(uid),
        }
    }

    /// Processes whose **real** uid is `ruid`.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// assert!(pidquery::PidQuery::ruid(0).iter()?.next().transpose()?.is_some());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn ruid(ruid: u32) -> PidQuery {
        PidQuery {
            filter: Filter::Ruid(ruid),
        }
    }

    /// Processes whose parent is `ppid`.
    ///
    /// On Linux this is the real parent (`PPid:`); on macOS a traced process
    /// also matches its original parent.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut child = std::process::Command::new("sleep").arg("5").spawn()?;
    /// let kids = pidquery::PidQuery::ppid(pidquery::Pid::this()).iter()?.collect::<Result<Vec<_>, _>>()?;
    /// assert!(kids.contains(&pidquery::Pid::from(&child)));
    /// child.kill()?;
    /// child.wait()?;
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn ppid(ppid: Pid) -> PidQuery {
        PidQuery {
            filter: Filter::Ppid(ppid),
        }
    }

    /// The whole subtree below `pid`: its children, their children, and so
    /// on, ascending, without `pid` itself. A `pid` that does not exist has
    /// no descendants.
    ///
    /// The parent relation is the one [`ppid`](PidQuery::ppid) uses: on
    /// Linux the real parent; on macOS a traced process also counts below
    /// its original parent, so the relation may even loop (a process tracing
    /// its own ancestor), which the walk tolerates: each pid is listed once.
    ///
    /// # Cost and consistency
    ///
    /// On Linux the answer costs O(descendants): the `children` file of each
    /// process found, each accepted only when proven complete, as for
    /// [`ppid`](PidQuery::ppid), all inside one window in which no process
    /// or thread was created anywhere (two reads of `/proc/stat`), and the
    /// lists of the root and of the processes with children read a second
    /// time. When that cannot be proven (a kernel without
    /// `CONFIG_PROC_CHILDREN`, a node whose list cannot be proven complete,
    /// processes created during the walk, pid 0) the query instead makes a
    /// scan of `stat` that records every process's parent in the reused
    /// buffer, links the subtree there, and reads again each process with
    /// a child listed; for that it needs room for four pids per process, so
    /// the buffer grows to about four times the process count (a
    /// [`fill_slice`](PidQuery::fill_slice) that is too small says so in
    /// [`ErrorKind::Truncated`]). On macOS it is one `PROC_PPID_ONLY` call
    /// per process of the subtree, plus one.
    ///
    /// Neither is a snapshot. What is listed while processes are born, exit
    /// or are handed to another parent during the query (a subreaper root
    /// and a root that exits included) is the contract in the
    /// [crate docs](crate#descendants-while-the-tree-changes): on Linux,
    /// every process below `pid` for the whole query is listed, and a
    /// listed process was below `pid` at some instant of it.
    ///
    /// ```
    /// use pidquery::{Pid, PidBuf, PidQuery};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // A shell with a child that has a child: sh → sh → sleep.
    /// let mut sh = std::process::Command::new("sh")
    ///     .args(["-c", "sh -c 'sleep 5 & exec sleep 5' & exec sleep 5"])
    ///     .spawn()?;
    /// let root = Pid::from(&sh);
    /// let mut buf = PidBuf::new();
    /// # let mut n = 0;
    /// # for _ in 0..400 {
    /// #     n = PidQuery::descendants(root).fill(&mut buf)?.len();
    /// #     if n == 2 { break }
    /// #     std::thread::sleep(std::time::Duration::from_millis(5));
    /// # }
    /// let tree = PidQuery::descendants(root).fill(&mut buf)?;
    /// assert_eq!(tree.len(), 2);
    /// assert!(tree.windows(2).all(|w| w[0] < w[1]));
    /// # std::process::Command::new("kill").arg("-9").args(tree.iter().map(|p| p.to_string())).status()?;
    /// sh.kill()?;
    /// sh.wait()?;
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn descendants(pid: Pid) -> PidQuery {
        PidQuery {
            filter: Filter::Descendants(pid),
        }
    }

    /// The filter and its argument.
    ///
    /// ```
    /// use pidquery::{Filter, PidQuery};
    /// assert_eq!(PidQuery::all().filter(), Filter::All);
    /// ```
    #[inline]
    pub const fn filter(&self) -> Filter {
        self.filter
    }

    /// Runs the query on the live system into `buf`, growing it as needed,
    /// and returns the complete answer.
    ///
    /// Once `buf` has grown to the working size, this allocates nothing. On
    /// Linux the answer is in ascending order without duplicates.
    ///
    /// # Errors
    ///
    /// As [`System::fill`]; on error `buf` is left empty.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut buf = pidquery::PidBuf::new();
    /// for _ in 0..3 {
    ///     let pids = pidquery::PidQuery::all().fill(&mut buf)?;
    ///     assert!(pids.contains(&pidquery::Pid::this()));
    /// }
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn fill<'b, const N: usize>(&self, buf: &'b mut PidBuf<N>) -> Result<&'b [Pid], Error> {
        System::live()?.fill(self, buf)
    }

    /// Runs the query on the live system into caller-supplied storage and
    /// returns how many pids were written. Never allocates.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Truncated`] with the size needed when the answer does not
    /// fit — never a silently short list; otherwise as [`System::fill_slice`].
    ///
    /// ```
    /// use pidquery::{ErrorKind, Pid, PidQuery};
    /// # fn main() -> Result<(), pidquery::Error> {
    /// // Room for the estimate plus headroom for processes born meanwhile.
    /// let mut slots = vec![Pid::ZERO; PidQuery::all().probe()? * 2 + 64];
    /// let n = PidQuery::all().fill_slice(&mut slots)?;
    /// assert!(slots[..n].contains(&Pid::this()));
    ///
    /// let err = PidQuery::all().fill_slice(&mut slots[..1]).unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::Truncated { needed } if needed >= 2));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn fill_slice(&self, out: &mut [Pid]) -> Result<usize, Error> {
        System::live()?.fill_slice(self, out)
    }

    /// How many pids a fill should reserve: the kernel's estimate for the
    /// live system.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let estimate = pidquery::PidQuery::all().probe()?;
    /// assert!(estimate >= 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn probe(&self) -> Result<usize, Error> {
        System::live()?.probe(self)
    }

    /// Runs the query once on the live system, one pid at a time.
    ///
    /// On Linux the iterator streams the scan itself: nothing is
    /// allocated, and a loop that stops early (`find`, `any`) stops the
    /// scan there. On macOS it fills once and iterates (allocating past
    /// [`INLINE_PIDS`](crate::INLINE_PIDS) pids). Items are `Result`s: an
    /// error ends the iteration, never a silently short answer. See
    /// [`Pids`] for the semantics, which are those of
    /// [`fill`](PidQuery::fill). For the same query in a hot loop prefer
    /// `fill` with a reused [`PidBuf`].
    ///
    /// # Errors
    ///
    /// As [`System::fill`], for what fails before the first pid.
    ///
    /// ```
    /// use pidquery::{Pid, PidQuery};
    ///
    /// # fn main() -> Result<(), pidquery::Error> {
    /// // Stops at this process: on Linux the rest is never read.
    /// let me = PidQuery::all().iter()?.find(|p| p.as_ref().is_ok_and(|&p| p == Pid::this()));
    /// assert!(me.transpose()?.is_some());
    ///
    /// let n = PidQuery::all().iter()?.count();
    /// assert!(n >= 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn iter(&self) -> Result<Pids, Error> {
        System::live()?.iter(self)
    }
}
