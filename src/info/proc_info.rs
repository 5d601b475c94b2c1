//! [`ProcInfo`]: who a process is, in one fixed-size value.

use crate::{Comm, Dev, Pid, ProcFlags, StartTime, State};

/// Who a process is: ids, owner, state and start, in one `Copy` value of
/// fixed size that holds nothing on the heap.
///
/// Read it with [`System::info`](crate::System::info) or
/// [`Pid::info`](crate::Pid::info), or for a whole query with
/// [`System::infos`](crate::System::infos). Fields a platform cannot give
/// for a process are `Option`s, `None` there, never a made-up 0.
///
/// | field | Linux | macOS | FreeBSD |
/// | --- | --- | --- | --- |
/// | `ppid`, `pgid`, `sid`, `tty`, `tpgid`, `state`, `nice`, `threads`, `start`, `comm` | `stat` (after the last `)`) | `proc_bsdinfo`, `proc_taskinfo`; `proc_bsdshortinfo` for other users' processes | one `kinfo_proc` (`kern.proc.pid`); `tty` only while the session holds it (`KI_CTTY`) |
/// | `ruid` … `sgid` | `Uid:`/`Gid:` of `status` | `proc_bsdinfo` / `proc_bsdshortinfo` | the same record (`egid`: `ki_groups[0]`) |
/// | `flags` | `stat` flags, `status` `TracerPid`, ids | `pbi_flags` | `ki_flag`, `ki_kiflag` |
///
/// On Linux `stat` and `status` are read through one descriptor of the
/// process's directory, so both describe the same process even if its pid
/// is reused in between (the second read then fails: no such process).
///
/// # A process is its threads
///
/// An info describes the process, not its main thread. When the main
/// thread has exited while others run on (it called `pthread_exit`; on
/// Linux also for a moment while another thread execs), Linux shows the
/// main thread as a zombie (`ps` prints `Zl`); the info then has
/// [`ProcFlags::LEADER_EXITED`], and its `state` and
/// [`ProcFlags::EXITING`] are those of a thread still running, so
/// [`State::has_exited`] is true only for a process that has exited.
/// [`System::exe`](crate::System::exe) and [`System::fds`](crate::System::fds)
/// likewise give the process's executable and descriptors;
/// [`System::threads`](crate::System::threads) still lists the exited
/// main thread first, as the kernel does until the process is reaped, and
/// `threads` counts it.
///
/// # Examples
///
/// ```
/// use pidquery::{Pid, State};
///
/// # fn main() -> Result<(), pidquery::Error> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let me = Pid::this().info()?;
/// assert_eq!(me.pid, Pid::this());
/// assert_eq!(me.ppid, Pid::parent());
/// assert_eq!(me.state, State::Running);
/// assert!(me.threads >= Some(1));
/// # Ok(()) }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ProcInfo {
    /// The process id (the thread-group id on Linux).
    pub pid: Pid,
    /// The parent's pid: 0 for pid 1 and Linux's `kthreadd`, and on Linux
    /// for a process whose parent is outside the proc mount's pid namespace.
    pub ppid: Pid,
    /// The process group id.
    pub pgid: Pid,
    /// The session id; `None` where the platform does not report it.
    pub sid: Option<Pid>,
    /// The controlling terminal's device; `None` when the process has none,
    /// or where the platform cannot tell (macOS, another user's process:
    /// [`ProcFlags::HAS_TTY`] still says whether it has one).
    pub tty: Option<Dev>,
    /// The foreground process group of the controlling terminal; `None`
    /// without a terminal, or where the platform cannot tell.
    pub tpgid: Option<Pid>,
    /// The real user id.
    pub ruid: u32,
    /// The effective user id.
    pub euid: u32,
    /// The saved set-user-id.
    pub suid: u32,
    /// The real group id.
    pub rgid: u32,
    /// The effective group id.
    pub egid: u32,
    /// The saved set-group-id.
    pub sgid: u32,
    /// What the process is doing: with [`ProcFlags::LEADER_EXITED`], what
    /// a thread still running is doing (see *A process is its threads*).
    pub state: State,
    /// Yes/no facts: kernel thread, traced, exiting, session leader, …
    pub flags: ProcFlags,
    /// The nice value (-20 to 19); `None` where the platform cannot tell.
    pub nice: Option<i32>,
    /// The number of threads; `None` where the platform cannot tell (macOS:
    /// zombies and other users' processes).
    pub threads: Option<u32>,
    /// When it started; `None` where the platform cannot tell (macOS:
    /// other users' processes without privilege).
    pub start: Option<StartTime>,
    /// The short command name.
    pub comm: Comm,
}
