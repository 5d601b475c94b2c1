//! [`Thread`] and [`ThreadBuf`]: the threads of a process.

use crate::info::record_buf::record_buf;
use crate::Pid;

/// One thread of a process, as its kernel names it.
///
/// The two platforms name threads differently, and neither name converts
/// into the other, so each has its own variant.
///
/// # Examples
///
/// ```
/// use pidquery::{Pid, Thread, ThreadBuf};
///
/// # fn main() -> Result<(), pidquery::Error> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let mut buf = ThreadBuf::new();
/// let threads = Pid::this().threads(&mut buf)?;
/// assert!(!threads.is_empty());
/// if let Some(Thread::Tid(tid)) = threads.first() {
///     // Linux: the leader's tid is the pid.
///     assert!(threads.contains(&Thread::Tid(Pid::this())));
///     assert!(tid.as_raw() > 0);
/// }
/// # Ok(()) }
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Thread {
    /// Linux: the thread id (`/proc/<pid>/task/<tid>`; `gettid()` in the
    /// thread). The thread-group leader's tid is the pid.
    Tid(Pid),
    /// macOS: the 64-bit handle `PROC_PIDLISTTHREADS` returns, which is the
    /// thread's pthread handle in its own address space (not a thread id);
    /// it is what `PROC_PIDTHREADINFO` takes as its argument.
    Handle(u64),
}

impl Thread {
    /// The kernel's value as 64 bits: the tid, or the handle.
    ///
    /// ```
    /// use pidquery::{Pid, Thread};
    /// assert_eq!(Thread::Tid(Pid::from_raw(7).unwrap()).raw(), 7);
    /// assert_eq!(Thread::Handle(1 << 40).raw(), 1 << 40);
    /// ```
    pub const fn raw(self) -> u64 {
        match self {
            Thread::Tid(tid) => tid.as_raw() as u64,
            Thread::Handle(handle) => handle,
        }
    }
}

impl Default for Thread {
    fn default() -> Thread {
        Thread::Tid(Pid::ZERO)
    }
}

record_buf! {
    /// Reusable storage for the threads of a process.
    ///
    /// Keep one and pass it to [`System::threads`](crate::System::threads) on
    /// every poll: it grows to the working size and then allocates nothing;
    /// up to 32 threads never touch the heap. A full answer is never returned
    /// short: the buffer grows and the kernel is asked again (macOS truncates
    /// silently), within [`MAX_ATTEMPTS`](crate::MAX_ATTEMPTS) calls, then
    /// [`ErrorKind::Raced`](crate::ErrorKind::Raced).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let mut buf = pidquery::ThreadBuf::new();
    /// for _ in 0..3 {
    ///     assert!(pidquery::Pid::this().threads(&mut buf)?.len() >= 1);
    /// }
    /// assert_eq!(buf.as_slice().len(), buf.len());
    /// # Ok(()) }
    /// ```
    ThreadBuf of Thread, "threads"
}
