//! macOS: `__proc_info`, the system call behind libproc, for every
//! callnum of `pidquery.libproc.proc_info`.
//!
//! # Safety
//!
//! The one unsafe call passes a buffer address that `pidquery/libproc.py`
//! took from a writable Python buffer of at least `size` bytes, which it
//! keeps alive (and exported) for the duration of the call.

#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};

use pyo3::prelude::*;

use crate::error::os_error;

extern "C" {
    // libsystem_kernel: the raw system call (xnu bsd/kern/proc_info.c,
    // `proc_info` -> `proc_info_internal`).
    fn __proc_info(
        callnum: c_int,
        pid: c_int,
        flavor: c_int,
        arg: u64,
        buffer: *mut c_void,
        buffersize: c_int,
    ) -> c_int;
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(proc_info_raw, m)?)
}

/// `__proc_info(callnum, pid, flavor, arg, addr, size)`; `addr` 0 is NULL.
/// Only for `pidquery.libproc`, which checks the buffer.
#[pyfunction]
fn proc_info_raw(
    py: Python<'_>,
    callnum: c_int,
    pid: c_int,
    flavor: c_int,
    arg: u64,
    addr: usize,
    size: c_int,
) -> PyResult<c_int> {
    let ret = py.detach(|| {
        // SAFETY: `addr` is 0 (NULL, which the kernel answers with a size)
        // or the start of a writable buffer of at least `size` bytes that
        // the caller keeps alive for this call; the kernel writes at most
        // `size` bytes there (copyout is bounded by buffersize).
        let ret = unsafe { __proc_info(callnum, pid, flavor, arg, addr as *mut c_void, size) };
        (ret, std::io::Error::last_os_error())
    });
    match ret {
        (r, err) if r < 0 => Err(os_error(
            err.raw_os_error().unwrap_or(libc::EIO),
            err.to_string(),
        )),
        (r, _) => Ok(r),
    }
}
