//! The C-ABI stand-in for `libc::proc_listpids`, and the per-thread slot
//! that says which [`Model`] it serves.
//!
//! # Safety
//!
//! The only `unsafe` code of the model: the stand-in [`proc_listpids`]
//! writes pids through the caller's raw buffer. It writes at most
//! `min(buffersize / 4, nprocs + 20)` `int`s, unaligned, exactly as the
//! kernel's `copyout` would; the caller guarantees the buffer is valid for
//! `buffersize` bytes. What is checked: nothing is written through a NULL
//! buffer, nor when `buffersize < 4`.

#![allow(unsafe_code)]

use core::cell::RefCell;
use core::ffi::{c_int, c_void};
use core::mem;

use super::Model;
use crate::sys::errno;
use crate::sys::xnu::Xnu;
use crate::Errno;

/// The engine's kernel in model mode: the same [`Xnu`] call pattern macOS
/// uses, over the stand-in instead of libproc.
// SAFETY: the stand-in writes nothing through a NULL buffer and at most
// `buffersize / 4` whole `int`s otherwise (see `Model::kernel_listpids`).
pub(super) const MODEL_XNU: Xnu = unsafe { Xnu::new(proc_listpids) };

thread_local! {
    /// The model `proc_listpids` serves on this thread, installed by
    /// [`Model::run`].
    static INSTALLED: RefCell<Option<Model>> = const { RefCell::new(None) };
}

impl Model {
    // ---- running queries ------------------------------------------------

    /// Installs this model as the one [`proc_listpids`] serves on this
    /// thread while `f` runs (nesting is allowed; the inner model wins).
    ///
    /// ```
    /// use pidquery::model::{proc_listpids, Model};
    ///
    /// let mut model = Model::new();
    /// // SAFETY: a NULL buffer is never written.
    /// let bytes = model.run(|| unsafe { proc_listpids(1, 0, std::ptr::null_mut(), 0) });
    /// assert_eq!(bytes, (2 + 20) * 4);
    /// ```
    pub fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a> {
            home: &'a mut Model,
            previous: Option<Model>,
        }
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let previous = self.previous.take();
                let mine = INSTALLED.with(|slot| mem::replace(&mut *slot.borrow_mut(), previous));
                if let Some(mine) = mine {
                    *self.home = mine;
                }
            }
        }
        let mine = mem::replace(self, Model::vacant());
        let previous = INSTALLED.with(|slot| slot.borrow_mut().replace(mine));
        let _restore = Restore {
            home: self,
            previous,
        };
        f()
    }

    /// `proc_listpids(kind, typeinfo, buffer, buffer.len())` through the
    /// [stand-in](proc_listpids), safely: returns what it returned and the
    /// `errno` right after (cleared before the call). `None` passes NULL.
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// use pidquery::Errno;
    ///
    /// let mut model = Model::new();
    /// let mut three = [0u8; 3];
    /// assert_eq!(model.proc_listpids(xnu::PROC_ALL_PIDS, 0, Some(&mut three)), (0, Errno::ENOMEM));
    /// let mut bytes = [0u8; 64];
    /// let (ret, _) = model.proc_listpids(xnu::PROC_ALL_PIDS, 0, Some(&mut bytes));
    /// assert_eq!(ret, 8);
    /// // An unknown type lists nothing, successfully.
    /// assert_eq!(model.proc_listpids(99, 0, Some(&mut bytes)), (0, Errno::from_raw(0)));
    /// ```
    pub fn proc_listpids(
        &mut self,
        kind: u32,
        typeinfo: u32,
        buffer: Option<&mut [u8]>,
    ) -> (c_int, Errno) {
        let (ptr, len) = match buffer {
            Some(b) => (b.as_mut_ptr().cast::<c_void>(), b.len()),
            None => (core::ptr::null_mut(), 0),
        };
        let size = c_int::try_from(len).unwrap_or(c_int::MAX);
        self.run(|| {
            errno::set(0);
            // SAFETY: `ptr` is NULL, or the start of a live `&mut [u8]` of
            // at least `size` bytes, borrowed for the call.
            let ret = unsafe { proc_listpids(kind, typeinfo, ptr, size) };
            (ret, Errno::from_raw(errno::get()))
        })
    }
}

/// A stand-in for `libc::proc_listpids` with its exact signature and libproc
/// convention, served by the [`Model`] installed on this thread by
/// [`Model::run`] (or [`Model::fill`] and friends).
///
/// Returns the byte count on success; on error **0 with `errno` set**, as
/// libproc does (`ENOMEM` for a buffer under 4 bytes, the injected errno, or
/// `ENOSYS` when no model is installed). A NULL buffer returns
/// `(nprocs + 20) * 4` for every type; an unknown type lists nothing and
/// succeeds.
///
/// # Safety
///
/// `buffer` is NULL, or valid for writes of `buffersize` bytes. As on xnu,
/// a negative `buffersize` reads as a huge unsigned size, and up to
/// `(nprocs + 20) * 4` bytes are written: do not pass one.
///
/// # Examples
///
/// ```
/// use pidquery::model::{proc_listpids, Model};
/// use pidquery::model::xnu::PROC_ALL_PIDS;
///
/// let mut model = Model::new();
/// let mut pids = [0i32; 8];
/// // SAFETY: `pids` is valid for 32 bytes.
/// let bytes = model.run(|| unsafe {
///     proc_listpids(PROC_ALL_PIDS, 0, pids.as_mut_ptr().cast(), 32)
/// });
/// assert_eq!(bytes, 8); // launchd, then kernel_task
/// assert_eq!(&pids[..2], &[1, 0]);
/// ```
pub unsafe extern "C" fn proc_listpids(
    kind: u32,
    typeinfo: u32,
    buffer: *mut c_void,
    buffersize: c_int,
) -> c_int {
    let size = if buffer.is_null() {
        None
    } else {
        Some(buffersize as u32)
    };
    let out = buffer.cast::<c_int>();
    let mut put = |i: usize, pid: c_int| {
        // SAFETY: `i < buffersize / 4` (the kernel's capacity bound), so
        // the write is inside the `buffersize` bytes the caller vouched
        // for; unaligned, as a byte-wise copyout.
        unsafe { out.add(i).write_unaligned(pid) }
    };
    let result = INSTALLED.with(|slot| match slot.try_borrow_mut() {
        Ok(mut model) => match model.as_mut() {
            Some(model) => model.kernel_listpids(kind, typeinfo, size, &mut put),
            None => Err(Errno::from_raw(libc::ENOSYS)),
        },
        Err(_) => Err(Errno::from_raw(libc::EDEADLK)),
    });
    match result {
        Ok(bytes) => c_int::try_from(bytes).unwrap_or(c_int::MAX),
        Err(e) => {
            errno::set(e.raw());
            0
        }
    }
}
