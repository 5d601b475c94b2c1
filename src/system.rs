//! [`System`]: the kernel a query runs against.

use std::path::Path;
use std::sync::OnceLock;

use crate::list::engine;
use crate::sys::{Live, Platform, StreamPids};
use crate::{Error, Pid, PidBuf, PidQuery, Pids};

/// The default proc root on Linux.
pub const DEFAULT_PROC_ROOT: &str = "/proc";

/// The live kernel a query runs against.
///
/// On Linux a `System` is an open procfs mount: the default `/proc`
/// ([`System::live`]), or another one chosen by path ([`System::open`]) —
/// `/host/proc` in a container, a `hidepid` mount, the proc of another pid
/// namespace. It keeps the proc root open and reuses one directory
/// descriptor for its scans, so a hot loop pays no `open`/`close` of the
/// root per query. On macOS it is `libproc`.
///
/// A `System` is `Send + Sync`; queries from several threads may share one.
///
/// # Examples
///
/// ```
/// use pidquery::{Pid, PidBuf, PidQuery, System};
///
/// # fn main() -> Result<(), pidquery::Error> {
/// let mut buf = PidBuf::new();
/// let all = System::live()?.fill(&PidQuery::all(), &mut buf)?;
/// assert!(all.contains(&Pid::this()));
///
/// // Where the platform has a proc root (Linux), another mount can be
/// // opened: /host/proc, a hidepid mount…
/// if let Some(root) = System::live()?.proc_root() {
///     let proc = System::open(root)?;
///     let all = proc.fill(&PidQuery::all(), &mut buf)?;
///     assert!(all.contains(&Pid::this()));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct System {
    pub(crate) backend: Live,
}

static LIVE: OnceLock<System> = OnceLock::new();

impl System {
    /// The live system: `/proc` on Linux, `libproc` on macOS. Opened on
    /// first use and kept for the life of the process.
    ///
    /// # Errors
    ///
    /// On Linux, [`ErrorKind::ProcRoot`](crate::ErrorKind::ProcRoot) or
    /// [`ErrorKind::NotProcfs`](crate::ErrorKind::NotProcfs) naming `/proc`
    /// when it is missing or not a procfs (the next call tries again);
    /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) on
    /// platforms without a backend.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let live = pidquery::System::live()?;
    /// assert!(live.probe(&pidquery::PidQuery::all())? > 0);
    /// # Ok(()) }
    /// ```
    pub fn live() -> Result<&'static System, Error> {
        if let Some(system) = LIVE.get() {
            return Ok(system);
        }
        let system = System {
            backend: Live::live()?,
        };
        Ok(LIVE.get_or_init(|| system))
    }

    /// Opens the procfs mounted at `proc_root` (Linux only).
    ///
    /// Pids are numbered in the pid namespace that mount belongs to. The
    /// mount stays usable while this `System` holds it open, even after a
    /// lazy unmount; once every process of its pid namespace has exited it
    /// truthfully lists nothing.
    ///
    /// With `hidepid=invisible` (2) or `ptraceable` (4) a mount lists only
    /// the processes the caller may see, and every filter agrees. With
    /// `hidepid=noaccess` (1) every process is listed and `uid` (which only
    /// needs `stat` of `/proc/<pid>`) still sees them all, but the files
    /// that `ruid`, `ppid`, `pgrp` and `tty` read are denied for other
    /// users' processes, which those filters therefore skip.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ProcRoot`](crate::ErrorKind::ProcRoot) with the path and
    /// errno when it cannot be opened as a directory;
    /// [`ErrorKind::NotProcfs`](crate::ErrorKind::NotProcfs) when it is not
    /// the root of a procfs (a directory inside one, such as `/proc/self`,
    /// whose entries are not processes, is refused too);
    /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) off Linux.
    ///
    /// ```
    /// use pidquery::{ErrorKind, System};
    ///
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let err = System::open("/etc").unwrap_err();
    /// if System::live()?.proc_root().is_some() {
    ///     assert_eq!(err.kind(), ErrorKind::NotProcfs);
    ///     assert!(err.to_string().contains("/etc"));
    ///     let err = System::open("/proc/self/task").unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::NotProcfs);
    /// } else {
    ///     assert_eq!(err.kind(), ErrorKind::Unsupported);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn open(proc_root: impl AsRef<Path>) -> Result<System, Error> {
        Ok(System {
            backend: Live::open(proc_root.as_ref())?,
        })
    }

    /// The proc root this system reads, where the platform has one (Linux).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// // `/proc` on Linux; `None` on macOS, which has no proc root.
    /// if let Some(root) = pidquery::System::live()?.proc_root() {
    ///     assert_eq!(root, std::path::Path::new(pidquery::DEFAULT_PROC_ROOT));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn proc_root(&self) -> Option<&Path> {
        self.backend.root()
    }

    /// Runs `query` into `buf`, growing it as needed, and returns the
    /// complete answer. Allocates nothing once `buf` has its working size.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Raced`](crate::ErrorKind::Raced) if the answer kept
    /// outgrowing the buffer for the whole retry budget (see the crate docs);
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) with errno and path if a
    /// system call on the proc root fails. A process that vanishes, or is
    /// hidden, mid-query is skipped, not an error. On error `buf` is empty.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let system = pidquery::System::live()?;
    /// let mut buf = pidquery::PidBuf::new();
    /// let pids = system.fill(&pidquery::PidQuery::all(), &mut buf)?;
    /// assert!(pids.windows(2).all(|w| w[0] < w[1]));
    /// # Ok(()) }
    /// ```
    pub fn fill<'b, const N: usize>(
        &self,
        query: &PidQuery,
        buf: &'b mut PidBuf<N>,
    ) -> Result<&'b [Pid], Error> {
        engine::fill(&self.backend, query, buf)
    }

    /// Runs `query` into `out` and returns how many pids were written.
    /// Never allocates.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Truncated`](crate::ErrorKind::Truncated) with the size
    /// needed when the answer does not fit (on macOS, also when it fills `out`
    /// exactly, since a full buffer cannot be told from a truncated one); as
    /// [`fill`](System::fill) otherwise.
    ///
    /// ```
    /// use pidquery::{ErrorKind, Pid, PidQuery, System};
    ///
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let system = System::live()?;
    /// let mut none: [Pid; 0] = [];
    /// let err = system.fill_slice(&PidQuery::all(), &mut none).unwrap_err();
    /// let ErrorKind::Truncated { needed } = err.kind() else { panic!() };
    /// let mut room = vec![Pid::ZERO; needed + 64];
    /// let n = system.fill_slice(&PidQuery::all(), &mut room)?;
    /// assert!(n >= 1);
    /// # Ok(()) }
    /// ```
    pub fn fill_slice(&self, query: &PidQuery, out: &mut [Pid]) -> Result<usize, Error> {
        engine::fill_slice(&self.backend, query, out)
    }

    /// How many pids a fill of `query` should reserve.
    ///
    /// On Linux this is `/proc`'s link count (fixed entries plus the
    /// system-wide process count); on macOS the kernel's NULL-buffer
    /// estimate (processes + 20). It is an estimate, not a bound.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let system = pidquery::System::live()?;
    /// assert!(system.probe(&pidquery::PidQuery::all())? >= 1);
    /// # Ok(()) }
    /// ```
    pub fn probe(&self, query: &PidQuery) -> Result<usize, Error> {
        engine::probe(&self.backend, query)
    }

    /// Runs `query` once, one pid at a time: on Linux the iterator streams
    /// the scan itself (no allocation, an early exit stops the scan); on
    /// macOS it fills once and iterates. See [`Pids`].
    ///
    /// # Errors
    ///
    /// As [`fill`](System::fill), for what fails before the first pid;
    /// later errors are the iterator's last item.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let system = pidquery::System::live()?;
    /// let me = pidquery::Pid::this();
    /// assert!(system.iter(&pidquery::PidQuery::all())?.any(|p| p.is_ok_and(|p| p == me)));
    /// # Ok(()) }
    /// ```
    pub fn iter(&self, query: &PidQuery) -> Result<Pids, Error> {
        if let Some(stream) = self.backend.stream(query)? {
            return Ok(Pids::streaming(stream));
        }
        let mut buf = PidBuf::new();
        self.fill(query, &mut buf)?;
        Ok(Pids::new(buf))
    }
}

/// The per-process calls: who a process is, its executable, threads, open
/// fds, and an identity that survives pid reuse.
impl System {
    /// The [`ProcInfo`](crate::ProcInfo) of `pid`.
    ///
    /// On Linux it reads `<pid>/stat` and `<pid>/status` through one
    /// descriptor of the process's directory (so both describe the same
    /// process); on macOS `proc_pidinfo`'s BSD-info flavors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoSuchProcess`](crate::ErrorKind::NoSuchProcess) when no
    /// process has this pid (a zombie is still one: its state says
    /// [`State::Zombie`](crate::State::Zombie));
    /// [`ErrorKind::NotAProcess`](crate::ErrorKind::NotAProcess) for the
    /// tid of a thread that is not its process's leader (Linux);
    /// [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied)
    /// when the kernel refuses (a `hidepid` mount);
    /// [`ErrorKind::Malformed`](crate::ErrorKind::Malformed) for kernel text
    /// this crate cannot parse; [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported)
    /// without a backend.
    ///
    /// ```
    /// use pidquery::{ErrorKind, Pid, System};
    ///
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if System::live().is_err() { return Ok(()) }
    /// let system = System::live()?;
    /// let me = system.info(Pid::this())?;
    /// assert_eq!(me.ppid, Pid::parent());
    /// let gone = system.info(Pid::from_raw(i32::MAX).unwrap()).unwrap_err();
    /// assert_eq!(gone.kind(), ErrorKind::NoSuchProcess);
    /// # Ok(()) }
    /// ```
    pub fn info(&self, pid: Pid) -> Result<crate::ProcInfo, Error> {
        crate::sys::Inspect::info(&self.backend, pid)
    }

    /// The [`ProcInfo`](crate::ProcInfo)s of every process `query` matches,
    /// in one pass, into `buf`; allocates nothing once `buf` has its working
    /// size.
    ///
    /// The answer holds the processes [`fill`](System::fill) would list, in
    /// the same order; one that vanishes or is hidden between being found
    /// and being read is left out. On Linux each process is read once: the
    /// filter is tested on the info itself.
    ///
    /// # Errors
    ///
    /// As [`fill`](System::fill) and [`info`](System::info), except that
    /// "no such process" and "permission denied" for one process leave it
    /// out. On error `buf` is empty.
    ///
    /// ```
    /// use pidquery::{InfoBuf, Pid, PidQuery, System};
    ///
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if System::live().is_err() { return Ok(()) }
    /// let mut buf = InfoBuf::new();
    /// let mine = System::live()?.infos(&PidQuery::pgrp(Pid::this()), &mut buf);
    /// // This test's process group may be led by another process.
    /// assert!(mine?.iter().all(|info| info.pgid == Pid::this()));
    /// # Ok(()) }
    /// ```
    pub fn infos<'b>(
        &self,
        query: &PidQuery,
        buf: &'b mut crate::InfoBuf,
    ) -> Result<&'b [crate::ProcInfo], Error> {
        match crate::sys::Inspect::infos(&self.backend, query, buf, engine::fill) {
            Ok(()) => Ok(buf.as_slice()),
            Err(e) => {
                buf.infos.clear();
                Err(e)
            }
        }
    }

    /// The executable path of `pid`, into `buf` (grown and read again when
    /// the kernel may have cut it). See [`ExeBuf`](crate::ExeBuf) for what
    /// each platform reports for a deleted executable.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoSuchProcess`](crate::ErrorKind::NoSuchProcess),
    /// [`ErrorKind::NotAProcess`](crate::ErrorKind::NotAProcess) as for
    /// [`info`](System::info);
    /// [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied)
    /// for another user's process on Linux (it takes ptrace access);
    /// [`ErrorKind::Os`](crate::ErrorKind::Os) with `ENOENT` for a process
    /// without an executable (a kernel thread or a zombie on Linux, a
    /// deleted executable on macOS). A live process whose main thread has
    /// exited has one: its threads' (see
    /// [`ProcFlags::LEADER_EXITED`](crate::ProcFlags::LEADER_EXITED)).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let system = pidquery::System::live()?;
    /// let mut buf = pidquery::ExeBuf::new();
    /// let exe = system.exe(pidquery::Pid::this(), &mut buf)?;
    /// // The kernel's path has its links resolved; `current_exe` may not
    /// // (on macOS it is the path as executed, and `/var` links to
    /// // `/private/var`).
    /// assert_eq!(exe.path(), std::fs::canonicalize(std::env::current_exe()?)?);
    /// # Ok(()) }
    /// ```
    pub fn exe<'b>(&self, pid: Pid, buf: &'b mut crate::ExeBuf) -> Result<crate::Exe<'b>, Error> {
        buf.fill(|out| crate::sys::Inspect::exe(&self.backend, pid, out))
    }

    /// The [`ProcInfo`](crate::ProcInfo) of `pid` and its executable path
    /// (into `buf`), both of one process, even while the pid is reused.
    ///
    /// [`info`](System::info) then [`exe`](System::exe) may describe two
    /// processes: the pid may be reused in between. On Linux both are read
    /// through one descriptor of the process's directory, which stays
    /// bound to that process (a later process with the pid is not seen
    /// through it); elsewhere they are the two calls. The path's own
    /// failure is the second member: a zombie or a kernel thread has an
    /// info but no executable. Allocates nothing once `buf` has grown to
    /// the path.
    ///
    /// # Errors
    ///
    /// As [`info`](System::info); the path's errors are those of
    /// [`exe`](System::exe).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let system = pidquery::System::live()?;
    /// let mut buf = pidquery::ExeBuf::new();
    /// let (info, exe) = system.info_with_exe(pidquery::Pid::this(), &mut buf)?;
    /// assert_eq!(info.pid, pidquery::Pid::this());
    /// assert_eq!(exe?.path(), std::fs::canonicalize(std::env::current_exe()?)?);
    /// # Ok(()) }
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn info_with_exe<'b>(
        &self,
        pid: Pid,
        buf: &'b mut crate::ExeBuf,
    ) -> Result<(crate::ProcInfo, Result<crate::Exe<'b>, Error>), Error> {
        // The info of the last call, whose path is the answer: a path that
        // did not fit is read again, with the info.
        let mut info = None;
        let exe = buf.fill(|out| {
            info = None;
            let (read, exe) = crate::sys::Inspect::info_exe(&self.backend, pid, out)?;
            info = Some(read);
            exe
        });
        match (info, exe) {
            (Some(info), exe) => Ok((info, exe)),
            (None, Err(e)) => Err(e),
            // Not reached: without an info the call failed.
            (None, Ok(_)) => Err(Error::no_such_process("info", pid)),
        }
    }

    /// The threads of `pid`, into `buf`, complete (grown and asked again
    /// when full).
    ///
    /// # Errors
    ///
    /// As [`info`](System::info); [`ErrorKind::Raced`](crate::ErrorKind::Raced)
    /// if the thread count kept outgrowing the buffer.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let system = pidquery::System::live()?;
    /// let mut buf = pidquery::ThreadBuf::new();
    /// let threads = system.threads(pidquery::Pid::this(), &mut buf)?.len();
    /// assert_eq!(Some(threads as u32), system.info(pidquery::Pid::this())?.threads.map(|_| threads as u32));
    /// # Ok(()) }
    /// ```
    pub fn threads<'b>(
        &self,
        pid: Pid,
        buf: &'b mut crate::ThreadBuf,
    ) -> Result<&'b [crate::Thread], Error> {
        buf.slots.fill(0, |out| {
            crate::sys::Inspect::threads(&self.backend, pid, out)
        })
    }

    /// The open fds of `pid` and their kinds, into `buf`, complete (grown
    /// and asked again when full).
    ///
    /// # Errors
    ///
    /// As [`info`](System::info), and
    /// [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied)
    /// for another user's process. A zombie has none; a live process whose
    /// main thread has exited has its threads' (the table is the
    /// process's).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let mut buf = pidquery::FdBuf::new();
    /// let fds = pidquery::System::live()?.fds(pidquery::Pid::this(), &mut buf)?;
    /// assert!(fds.iter().any(|fd| fd.fd == 0));
    /// # Ok(()) }
    /// ```
    pub fn fds<'b>(&self, pid: Pid, buf: &'b mut crate::FdBuf) -> Result<&'b [crate::Fd], Error> {
        buf.slots
            .fill(0, |out| crate::sys::Inspect::fds(&self.backend, pid, out))
    }

    /// The identity of `pid`: a small `Copy` key that tells this process
    /// from any later one with the same pid. See
    /// [`ProcId`](crate::ProcId).
    ///
    /// # Errors
    ///
    /// As [`info`](System::info).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let system = pidquery::System::live()?;
    /// let id = system.identity(pidquery::Pid::this())?;
    /// assert!(system.is_current(&id)?);
    /// # Ok(()) }
    /// ```
    pub fn identity(&self, pid: Pid) -> Result<crate::ProcId, Error> {
        crate::sys::Inspect::identity(&self.backend, pid)
    }

    /// [`identity`](System::identity), `None` for a pid a whole-query
    /// answer skips; no allocation for such a pid.
    pub(crate) fn identity_if_listed(&self, pid: Pid) -> Result<Option<crate::ProcId>, Error> {
        crate::sys::Inspect::identity_if_listed(&self.backend, pid)
    }

    /// Whether `id.pid()` still names the process `id` was taken from:
    /// `false` once it has been reaped, whether or not the pid has been
    /// reused since. A zombie is still the same process.
    ///
    /// # Errors
    ///
    /// Only for failures other than "gone": an unreadable proc root, a
    /// permission refusal, malformed kernel text.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let system = pidquery::System::live()?;
    /// let mut child = std::process::Command::new("true").spawn()?;
    /// let id = system.identity(pidquery::Pid::from(&child))?;
    /// child.wait()?;
    /// assert!(!system.is_current(&id)?);
    /// # Ok(()) }
    /// ```
    pub fn is_current(&self, id: &crate::ProcId) -> Result<bool, Error> {
        crate::sys::Inspect::is_current(&self.backend, id)
    }
}
