//! [`ProcFlags`]: yes/no facts about a process.

bitflags::bitflags! {
    /// Yes/no facts about a process, from the kernel's own flags where it has
    /// them.
    ///
    /// | flag | Linux | macOS |
    /// | --- | --- | --- |
    /// | `KERNEL` | `PF_KTHREAD` (`stat` field 9) | `P_SYSTEM` (`PROC_FLAG_SYSTEM`) |
    /// | `TRACED` | `TracerPid` of `status` is not 0 | `P_TRACED` |
    /// | `EXITING` | `PF_EXITING` | `P_LEXIT` (`PROC_FLAG_INEXIT`) |
    /// | `SESSION_LEADER` | session id = pid | `PROC_FLAG_SLEADER` |
    /// | `HAS_TTY` | `tty_nr` is not 0 | `PROC_FLAG_CONTROLT` |
    /// | `FOREGROUND` | in its terminal's foreground group (`tpgid` = `pgrp`; `ps`'s `+`) | `e_tpgid` = `pbi_pgid` |
    /// | `LEADER_EXITED` | the leader's `stat` says `Z` (or exiting) with other threads running | never |
    ///
    /// On Linux, with `LEADER_EXITED`, `EXITING` is that of a thread still
    /// running, not the exited leader's.
    ///
    /// # Examples
    ///
    /// ```
    /// use pidquery::ProcFlags;
    ///
    /// let f = ProcFlags::SESSION_LEADER | ProcFlags::HAS_TTY;
    /// assert!(f.contains(ProcFlags::HAS_TTY));
    /// assert!(!f.contains(ProcFlags::KERNEL));
    /// ```
    #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ProcFlags: u32 {
        /// A kernel thread (Linux) or a system process (macOS).
        const KERNEL = 1 << 0;
        /// Being traced by a debugger (`ptrace`).
        const TRACED = 1 << 1;
        /// Exiting: past the point of no return, not yet a zombie (the
        /// process: see `LEADER_EXITED`).
        const EXITING = 1 << 2;
        /// The leader of its session.
        const SESSION_LEADER = 1 << 3;
        /// Has a controlling terminal.
        const HAS_TTY = 1 << 4;
        /// In the foreground process group of its controlling terminal.
        const FOREGROUND = 1 << 5;
        /// The main thread (the thread-group leader) has exited while
        /// other threads run on (Linux: it called `pthread_exit`, or the
        /// process is in the middle of an exec from another thread): the
        /// kernel shows the leader as a zombie, but the process is alive,
        /// and its state, `EXITING`, executable and descriptors are read
        /// from a thread still running.
        const LEADER_EXITED = 1 << 6;
    }
}
