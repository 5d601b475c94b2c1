//! One set of reusable buffers per thread, for the module's one-shot
//! functions (`pids`, `descendants`, `infos`, `exe`, `threads`, `fds`).
//!
//! The buffers are used while the GIL is released, on the calling thread,
//! and read back once it is held again; no Python code runs in between,
//! so a borrow never meets another.

use std::cell::RefCell;

use pidquery::{ExeBuf, FdBuf, InfoBuf, PidBuf, ThreadBuf};

/// The buffers of one thread.
#[derive(Debug)]
pub(crate) struct Scratch {
    pub(crate) pids: PidBuf,
    pub(crate) exe: ExeBuf,
    pub(crate) threads: ThreadBuf,
    pub(crate) fds: FdBuf,
    pub(crate) infos: InfoBuf,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch {
        pids: PidBuf::new(),
        exe: ExeBuf::new(),
        threads: ThreadBuf::new(),
        fds: FdBuf::new(),
        infos: InfoBuf::new(),
    });
}

/// Runs `f` on this thread's buffers.
pub(crate) fn with<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with_borrow_mut(f)
}
