//! [`State`]: what a process is doing, as the kernel reports it.

/// A process's scheduling state.
///
/// On Linux it is the state letter of `/proc/<pid>/stat` (the thread-group
/// leader's; `ps` prints it first in `STAT`), except when the leader has
/// exited while other threads run on: `ps` then prints `Z`, but the
/// process is alive, and this is the state of a thread still running
/// (with [`ProcFlags::LEADER_EXITED`](crate::ProcFlags::LEADER_EXITED)).
/// On macOS it is the `p_stat` of `proc_bsdinfo` (`SRUN`, `SSLEEP`,
/// `SSTOP`, `SZOMB`, `SIDL`), which knows fewer states.
///
/// # Examples
///
/// ```
/// use pidquery::State;
///
/// assert_eq!(State::from_letter(b'Z'), State::Zombie);
/// assert_eq!(State::Zombie.code(), 'Z');
/// assert_eq!(State::from_letter(b't').code(), 't');
/// assert_eq!(State::from_letter(b'W'), State::Other(b'W'));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// `R`: running or runnable.
    Running,
    /// `S`: interruptible sleep (waiting for an event).
    Sleeping,
    /// `D`: uninterruptible sleep (usually I/O). Linux only.
    DiskSleep,
    /// `T`: stopped by a job-control signal.
    Stopped,
    /// `t`: stopped by a debugger during tracing. Linux only.
    TracingStop,
    /// `Z`: exited, not yet reaped by its parent. Every thread has exited:
    /// a process whose main thread alone exited is not a zombie.
    Zombie,
    /// `X`: dead, being released (rarely seen).
    Dead,
    /// `I`: an idle kernel thread. Linux only.
    Idle,
    /// `P`: a parked kernel thread. Linux only.
    Parked,
    /// A state this crate does not name: the kernel's raw code (on Linux
    /// its letter, on macOS the `p_stat` number, e.g. 1 for `SIDL`, a
    /// process being created).
    Other(u8),
}

impl State {
    /// The state a Linux state letter stands for (`fs/proc/array.c`,
    /// `task_state_array`; `x` is the older spelling of `X`).
    ///
    /// ```
    /// assert_eq!(pidquery::State::from_letter(b'D'), pidquery::State::DiskSleep);
    /// ```
    pub const fn from_letter(letter: u8) -> State {
        match letter {
            b'R' => State::Running,
            b'S' => State::Sleeping,
            b'D' => State::DiskSleep,
            b'T' => State::Stopped,
            b't' => State::TracingStop,
            b'Z' => State::Zombie,
            b'X' | b'x' => State::Dead,
            b'I' => State::Idle,
            b'P' => State::Parked,
            other => State::Other(other),
        }
    }

    /// The one-letter code `ps` prints first in `STAT`: `R S D T t Z X I P`;
    /// for [`Other`](State::Other) its raw code when that is an ASCII
    /// letter, else `?`.
    ///
    /// ```
    /// use pidquery::State;
    /// assert_eq!(State::Sleeping.code(), 'S');
    /// assert_eq!(State::Other(1).code(), '?');
    /// ```
    pub const fn code(self) -> char {
        match self {
            State::Running => 'R',
            State::Sleeping => 'S',
            State::DiskSleep => 'D',
            State::Stopped => 'T',
            State::TracingStop => 't',
            State::Zombie => 'Z',
            State::Dead => 'X',
            State::Idle => 'I',
            State::Parked => 'P',
            State::Other(c) if c.is_ascii_alphabetic() => c as char,
            State::Other(_) => '?',
        }
    }

    /// True for a process that has exited: [`Zombie`](State::Zombie) or
    /// [`Dead`](State::Dead).
    ///
    /// ```
    /// assert!(pidquery::State::Zombie.has_exited());
    /// assert!(!pidquery::State::Stopped.has_exited());
    /// ```
    pub const fn has_exited(self) -> bool {
        matches!(self, State::Zombie | State::Dead)
    }
}
