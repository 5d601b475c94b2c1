//! `pidquery::Error` as a Python exception.

use pidquery::{Error, ErrorKind};
use pyo3::exceptions::{PyOSError, PyPermissionError, PyProcessLookupError, PyValueError};
use pyo3::PyErr;

/// The Python exception for `err`, its message the library's sentence:
///
/// | kind | exception | `errno` |
/// | --- | --- | --- |
/// | `NoSuchProcess`, `NotAProcess` (a thread id) | `ProcessLookupError` | `ESRCH` |
/// | `PermissionDenied` | `PermissionError` | the kernel's (`EACCES`, `EPERM`) |
/// | `NegativePid` | `ValueError` | |
/// | any other | `OSError` (the subclass Python picks for the errno) | the kernel's; else `ENOTTY` (not a terminal), `ENOMEM` (truncated, wiring limit), `EAGAIN` (raced), `ENOTSUP` (unsupported), `EIO` |
pub(crate) fn to_py(err: Error) -> PyErr {
    let msg = err.to_string();
    let errno = err.errno().map(|e| e.raw());
    match err.kind() {
        ErrorKind::NoSuchProcess | ErrorKind::NotAProcess => {
            PyProcessLookupError::new_err((libc::ESRCH, msg))
        }
        ErrorKind::PermissionDenied => {
            PyPermissionError::new_err((errno.unwrap_or(libc::EACCES), msg))
        }
        ErrorKind::NegativePid => PyValueError::new_err(msg),
        kind => {
            let fallback = match kind {
                ErrorKind::NotACharDevice => libc::ENOTTY,
                ErrorKind::Truncated { .. } | ErrorKind::WiringLimit { .. } => libc::ENOMEM,
                ErrorKind::Raced { .. } => libc::EAGAIN,
                ErrorKind::Unsupported => libc::ENOTSUP,
                _ => libc::EIO,
            };
            os_error(errno.unwrap_or(fallback), msg)
        }
    }
}

/// `OSError(errno, message)`: Python picks the subclass for the errno.
pub(crate) fn os_error(errno: i32, msg: impl Into<String>) -> PyErr {
    PyOSError::new_err((errno, msg.into()))
}
