//! The C-ABI stand-ins for `libc::proc_listpids`, `libc::proc_pidinfo`,
//! `libc::proc_pidpath` and `libc::proc_name`, and the per-thread slot
//! that says which [`Model`] they serve.
//!
//! # Safety
//!
//! The only `unsafe` code of the model: the stand-ins write through the
//! caller's raw buffer, unaligned, exactly as the kernel's `copyout` (and
//! libproc's `bcopy`) would; the caller guarantees the buffer is valid for
//! `buffersize` bytes. What is checked: nothing is written through a NULL
//! buffer; [`proc_listpids`] writes at most `min(buffersize / 4, nprocs +
//! 20)` `int`s; the others write only ranges inside `buffersize`, checked
//! at each copy; [`proc_pidpath`] reads the buffer back (its `strlen`) only
//! inside `buffersize`.

#![allow(unsafe_code)]

use core::cell::RefCell;
use core::ffi::{c_int, c_void};

use super::installed::{self, Vacant};
use super::Model;
use crate::sys::errno;
use crate::sys::xnu::consts as xnu;
use crate::sys::xnu::info::Procinfo;
use crate::sys::xnu::records::{cstr, BsdInfo};
use crate::sys::xnu::Xnu;
use crate::Errno;

/// The engine's kernel in model mode: the same [`Xnu`] call patterns macOS
/// uses, over the stand-ins instead of libproc.
// SAFETY: the stand-ins write nothing through a NULL buffer and otherwise
// only inside `buffersize` bytes (`proc_listpids`: `buffersize / 4` whole
// `int`s, `Model::kernel_listpids`; the others: every copy is bounds-checked
// by `copyout` below).
pub(super) const MODEL_XNU: Xnu = unsafe {
    Xnu::new(
        proc_listpids,
        Procinfo::new(proc_pidinfo, proc_pidpath, proc_name),
    )
};

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
        installed::run(&INSTALLED, self, Model::vacant(), f)
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
    let result = with_model(|model| model.kernel_listpids(kind, typeinfo, size, &mut put));
    match result {
        Ok(bytes) => c_int::try_from(bytes).unwrap_or(c_int::MAX),
        Err(e) => {
            errno::set(e.raw());
            0
        }
    }
}

/// The copyout of the per-process stand-ins: `bytes` at offset `at` of the
/// caller's `size`-byte buffer, or nothing if that range is not inside it
/// (the model never asks for one that is not).
///
/// # Safety
///
/// `buffer` is NULL, or valid for writes of `size` bytes.
unsafe fn copyout(buffer: *mut c_void, size: usize, at: usize, bytes: &[u8]) {
    let fits = at.checked_add(bytes.len()).is_some_and(|end| end <= size);
    if buffer.is_null() || !fits {
        return;
    }
    // SAFETY: `at + bytes.len() <= size` and the buffer is valid for `size`
    // bytes (this function's contract); `bytes` is a separate borrow, so
    // the ranges do not overlap.
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer.cast::<u8>().add(at), bytes.len());
    }
}

/// Runs `f` on the model installed on this thread: `ENOSYS` when there is
/// none, `EDEADLK` when a stand-in is re-entered.
fn with_model(f: impl FnOnce(&mut Model) -> Result<usize, Errno>) -> Result<usize, Errno> {
    match installed::serve(&INSTALLED, f) {
        Ok(result) => result,
        Err(Vacant::Empty) => Err(Errno::from_raw(libc::ENOSYS)),
        Err(Vacant::Busy) => Err(Errno::from_raw(libc::EDEADLK)),
    }
}

/// libproc's return: the count, or 0 with `errno` set.
fn libproc_return(result: Result<usize, Errno>) -> c_int {
    match result {
        Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
        Err(e) => {
            errno::set(e.raw());
            0
        }
    }
}

/// A stand-in for `libc::proc_pidinfo` with its exact signature and libproc
/// convention, served by the [`Model`] installed on this thread.
///
/// Returns the bytes copied (`PROC_PIDPATHINFO` copies the whole buffer and
/// returns 0, as the kernel does); on error **0 with `errno` set**: `EINVAL`
/// for a flavor the model does not know, `ENOMEM` for a buffer under the
/// flavor's record (checked before the pid), `EOVERFLOW` for a path buffer
/// over 4096 bytes, `ESRCH` for a pid that names no process (and for a
/// zombie unless the flavor is a BSD or identifier one and `arg != 0`), a
/// MAC denial, `EPERM` from the same-user check, `ENOSYS` without a model.
///
/// # Safety
///
/// `buffer` is NULL, or valid for writes of `buffersize` bytes. As on xnu,
/// a negative `buffersize` reads as a huge unsigned size: do not pass one.
///
/// # Examples
///
/// ```
/// use pidquery::model::{proc_pidinfo, records::BsdInfo, xnu, Model};
///
/// let mut model = Model::new();
/// let mut bytes = [0u8; BsdInfo::SIZE];
/// // SAFETY: `bytes` is valid for its length.
/// let ret = model.run(|| unsafe {
///     proc_pidinfo(1, xnu::PROC_PIDTBSDINFO, 0, bytes.as_mut_ptr().cast(), bytes.len() as i32)
/// });
/// assert_eq!(ret as usize, BsdInfo::SIZE);
/// assert_eq!(BsdInfo::decode(&bytes).pbi_pid, 1);
/// ```
pub unsafe extern "C" fn proc_pidinfo(
    pid: c_int,
    flavor: c_int,
    arg: u64,
    buffer: *mut c_void,
    buffersize: c_int,
) -> c_int {
    let size = buffersize as u32;
    let mut put = |at: usize, bytes: &[u8]| {
        // SAFETY: the caller vouches for `buffersize` bytes; `copyout`
        // writes only inside them.
        unsafe { copyout(buffer, size as usize, at, bytes) }
    };
    libproc_return(with_model(|model| {
        model.kernel_pidinfo(pid, flavor, arg, buffer.is_null(), size, &mut put)
    }))
}

/// A stand-in for `libc::proc_pidpath` with its exact signature: libproc's
/// wrapper over the model's `PROC_PIDPATHINFO`.
///
/// A `buffersize` under 1024 is `ENOMEM`, over 4096 `EOVERFLOW` (0 with
/// `errno`); otherwise the kernel call, then **`strlen(buffer)`** on
/// success, 0 with `errno` on failure (`ENOENT` for a deleted executable,
/// `ESRCH` for a zombie or a process without one, `ENOSPC` for a path that
/// does not fit).
///
/// # Safety
///
/// `buffer` is NULL, or valid for writes of `buffersize` bytes.
///
/// # Examples
///
/// ```
/// use pidquery::model::{proc_pidpath, Model};
///
/// let mut model = Model::new();
/// let mut path = [0u8; 1024];
/// // SAFETY: `path` is valid for 1024 bytes.
/// let n = model.run(|| unsafe { proc_pidpath(1, path.as_mut_ptr().cast(), 1024) });
/// assert_eq!(&path[..n as usize], b"/sbin/launchd");
/// ```
pub unsafe extern "C" fn proc_pidpath(pid: c_int, buffer: *mut c_void, buffersize: u32) -> c_int {
    let size = buffersize as usize;
    if size < xnu::PROC_PIDPATHINFO_SIZE {
        return libproc_return(Err(Errno::ENOMEM));
    }
    if size > xnu::PROC_PIDPATHINFO_MAXSIZE {
        return libproc_return(Err(Errno::from_raw(libc::EOVERFLOW)));
    }
    let mut put = |at: usize, bytes: &[u8]| {
        // SAFETY: the caller vouches for `buffersize` bytes; `copyout`
        // writes only inside them.
        unsafe { copyout(buffer, size, at, bytes) }
    };
    let result = with_model(|model| {
        let null = buffer.is_null();
        model.kernel_pidinfo(pid, xnu::PROC_PIDPATHINFO, 0, null, buffersize, &mut put)
    });
    libproc_return(result.map(|_| {
        // strlen(buffer), bounded by the buffer (the kernel NUL-pads it).
        let bytes = buffer.cast::<u8>();
        (0..size)
            // SAFETY: `i < size`, inside the buffer the kernel call just
            // filled (it succeeded, so the buffer is not NULL).
            .position(|i| unsafe { bytes.add(i).read() } == 0)
            .unwrap_or(size)
    }))
}

/// A stand-in for `libc::proc_name` with its exact signature: libproc's
/// wrapper over the model's `PROC_PIDTBSDINFO` with `arg` **0**.
///
/// A `buffersize` under 32 is `ENOMEM` (0 with `errno`). Otherwise it asks
/// the BSD record (so another user's process is `EPERM` and a zombie
/// `ESRCH`), copies 32 bytes of `pbi_name` if that is set, else 16 bytes of
/// `pbi_comm`, and returns `strlen`.
///
/// # Safety
///
/// `buffer` is valid for writes of `buffersize` bytes.
///
/// # Examples
///
/// ```
/// use pidquery::model::{proc_name, Model};
///
/// let mut model = Model::new();
/// let mut name = [0u8; 32];
/// // SAFETY: `name` is valid for 32 bytes.
/// let n = model.run(|| unsafe { proc_name(1, name.as_mut_ptr().cast(), 32) });
/// assert_eq!(&name[..n as usize], b"launchd");
/// ```
pub unsafe extern "C" fn proc_name(pid: c_int, buffer: *mut c_void, buffersize: u32) -> c_int {
    if (buffersize as usize) < xnu::PROC_NAME_MINSIZE {
        return libproc_return(Err(Errno::ENOMEM));
    }
    let mut record = [0u8; BsdInfo::SIZE];
    let result = with_model(|model| {
        let mut put = |at: usize, bytes: &[u8]| {
            if let Some(to) = record.get_mut(at..at.saturating_add(bytes.len())) {
                to.copy_from_slice(bytes);
            }
        };
        let size = BsdInfo::SIZE as u32;
        model.kernel_pidinfo(pid, xnu::PROC_PIDTBSDINFO, 0, false, size, &mut put)
    });
    libproc_return(result.map(|_| {
        let bsd = BsdInfo::decode(&record);
        let name: &[u8] = if bsd.pbi_name.first().is_some_and(|&b| b != 0) {
            &bsd.pbi_name
        } else {
            &bsd.pbi_comm
        };
        // SAFETY: 32 or 16 bytes, and the caller vouches for at least 32.
        unsafe { copyout(buffer, buffersize as usize, 0, name) };
        cstr(name).len()
    }))
}

impl Model {
    // ---- the stand-ins, safely --------------------------------------------

    /// `proc_pidinfo(pid, flavor, arg, buffer, buffer.len())` through the
    /// [stand-in](proc_pidinfo), safely: what it returned and the
    /// `errno` right after (cleared before). `None` passes NULL with size 0.
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// use pidquery::Errno;
    ///
    /// let mut model = Model::new();
    /// let mut small = [0u8; 135];
    /// let r = model.proc_pidinfo(1, xnu::PROC_PIDTBSDINFO, 0, Some(&mut small));
    /// assert_eq!(r, (0, Errno::ENOMEM));
    /// ```
    pub fn proc_pidinfo(
        &mut self,
        pid: c_int,
        flavor: c_int,
        arg: u64,
        buffer: Option<&mut [u8]>,
    ) -> (c_int, Errno) {
        let (ptr, len) = raw_parts(buffer);
        let size = c_int::try_from(len).unwrap_or(c_int::MAX);
        self.run(|| {
            errno::set(0);
            // SAFETY: `ptr` is NULL, or the start of a live `&mut [u8]` of
            // at least `size` bytes, borrowed for the call.
            let ret = unsafe { proc_pidinfo(pid, flavor, arg, ptr, size) };
            (ret, Errno::from_raw(errno::get()))
        })
    }

    /// `proc_pidpath(pid, buffer, buffer.len())` through the
    /// [stand-in](proc_pidpath), safely.
    ///
    /// ```
    /// use pidquery::{model::Model, Errno};
    /// let mut model = Model::new();
    /// assert_eq!(model.proc_pidpath(1, Some(&mut [0u8; 1023])), (0, Errno::ENOMEM));
    /// assert_eq!(model.proc_pidpath(1, Some(&mut [0u8; 4097])), (0, Errno::from_raw(libc::EOVERFLOW)));
    /// assert_eq!(model.proc_pidpath(1, Some(&mut [0u8; 4096])).0, 13);
    /// ```
    pub fn proc_pidpath(&mut self, pid: c_int, buffer: Option<&mut [u8]>) -> (c_int, Errno) {
        let (ptr, len) = raw_parts(buffer);
        let size = u32::try_from(len).unwrap_or(u32::MAX);
        self.run(|| {
            errno::set(0);
            // SAFETY: as in `proc_pidinfo`.
            let ret = unsafe { proc_pidpath(pid, ptr, size) };
            (ret, Errno::from_raw(errno::get()))
        })
    }

    /// `proc_name(pid, buffer, buffer.len())` through the
    /// [stand-in](proc_name), safely.
    ///
    /// ```
    /// use pidquery::{model::Model, Errno};
    /// let mut model = Model::new();
    /// assert_eq!(model.proc_name(1, &mut [0u8; 31]), (0, Errno::ENOMEM));
    /// assert_eq!(model.proc_name(1, &mut [0u8; 32]), (7, Errno::from_raw(0)));
    /// ```
    pub fn proc_name(&mut self, pid: c_int, buffer: &mut [u8]) -> (c_int, Errno) {
        let size = u32::try_from(buffer.len()).unwrap_or(u32::MAX);
        let ptr = buffer.as_mut_ptr().cast::<c_void>();
        self.run(|| {
            errno::set(0);
            // SAFETY: `ptr` starts a live `&mut [u8]` of `size` bytes.
            let ret = unsafe { proc_name(pid, ptr, size) };
            (ret, Errno::from_raw(errno::get()))
        })
    }
}

fn raw_parts(buffer: Option<&mut [u8]>) -> (*mut c_void, usize) {
    match buffer {
        Some(b) => (b.as_mut_ptr().cast::<c_void>(), b.len()),
        None => (core::ptr::null_mut(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_buffer_for_a_record_is_enomem_with_size_0_and_a_fault_otherwise() {
        let mut model = Model::new();
        let (ret, errno) = model.proc_pidinfo(1, xnu::PROC_PIDTBSDINFO, 0, None);
        assert_eq!((ret, errno), (0, Errno::ENOMEM));
        let (ret, errno) = model.run(|| {
            errno::set(0);
            // SAFETY: NULL is never written (the model faults instead).
            let ret =
                unsafe { proc_pidinfo(1, xnu::PROC_PIDTBSDINFO, 0, core::ptr::null_mut(), 136) };
            (ret, Errno::from_raw(errno::get()))
        });
        assert_eq!((ret, errno), (0, Errno::from_raw(libc::EFAULT)));
        // The fd probe is the one flavor a NULL buffer asks.
        let (ret, errno) = model.proc_pidinfo(1, xnu::PROC_PIDLISTFDS, 0, None);
        assert_eq!((ret, errno), (20 * 8, Errno::from_raw(0)));
    }

    #[test]
    fn without_a_model_every_stand_in_is_enosys() {
        let mut buf = [0u8; 1024];
        let p = buf.as_mut_ptr().cast::<c_void>();
        errno::set(0);
        // SAFETY: `buf` is valid for 1024 bytes.
        let ret = unsafe { proc_pidinfo(1, xnu::PROC_PIDTBSDINFO, 0, p, 1024) };
        assert_eq!(ret, 0);
        assert_eq!(errno::get(), libc::ENOSYS);
        errno::set(0);
        // SAFETY: as above.
        assert_eq!(unsafe { proc_pidpath(1, p, 1024) }, 0);
        assert_eq!(errno::get(), libc::ENOSYS);
        errno::set(0);
        // SAFETY: as above.
        assert_eq!(unsafe { proc_name(1, p, 1024) }, 0);
        assert_eq!(errno::get(), libc::ENOSYS);
    }
}
