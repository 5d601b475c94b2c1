//! [`Thread`] and [`ThreadBuf`]: the threads of a process.

use crate::info::slots::Slots;
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
#[derive(Clone, Default)]
pub struct ThreadBuf {
    pub(crate) slots: Slots<Thread, 32>,
}

impl ThreadBuf {
    /// An empty buffer with inline room for 32 threads; does not allocate.
    ///
    /// ```
    /// assert!(pidquery::ThreadBuf::new().is_empty());
    /// ```
    pub fn new() -> ThreadBuf {
        ThreadBuf {
            slots: Slots::new(),
        }
    }

    /// An empty buffer with room for `n` threads.
    ///
    /// ```
    /// assert!(pidquery::ThreadBuf::with_capacity(100).capacity() >= 100);
    /// ```
    pub fn with_capacity(n: usize) -> ThreadBuf {
        ThreadBuf {
            slots: Slots::with_capacity(n),
        }
    }

    /// The last answer (empty before the first and after an error).
    ///
    /// ```
    /// assert_eq!(pidquery::ThreadBuf::new().as_slice(), &[]);
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[Thread] {
        self.slots.as_slice()
    }

    /// The number of threads in the last answer.
    ///
    /// ```
    /// assert_eq!(pidquery::ThreadBuf::new().len(), 0);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when the last answer is empty.
    ///
    /// ```
    /// assert!(pidquery::ThreadBuf::default().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// How many threads fit without allocating.
    ///
    /// ```
    /// assert_eq!(pidquery::ThreadBuf::new().capacity(), 32);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Empties the buffer and gives back heap memory beyond the inline room.
    ///
    /// ```
    /// let mut buf = pidquery::ThreadBuf::with_capacity(1000);
    /// buf.shrink_to_fit();
    /// assert_eq!(buf.capacity(), 32);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.slots.clear();
        self.slots.shrink_to_fit();
    }
}

impl core::ops::Deref for ThreadBuf {
    type Target = [Thread];

    fn deref(&self) -> &[Thread] {
        self.as_slice()
    }
}

impl core::fmt::Debug for ThreadBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}
