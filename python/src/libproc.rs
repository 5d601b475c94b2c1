//! The list calls behind `pidquery.libproc` (callnum 1,
//! `PROC_CALLNUM_LISTPIDS`): a list type and its argument as xnu's
//! `proc_listpids(type, typeinfo, ...)` takes them, answered by pidquery.

use pidquery::{Dev, Pid, PidQuery};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::error::{os_error, to_py};
use crate::query::run;
use crate::scratch;

// The list types, xnu bsd/sys/proc_info.h (the names pidquery.libproc
// exports).
const PROC_ALL_PIDS: i32 = 1;
const PROC_PGRP_ONLY: i32 = 2;
const PROC_TTY_ONLY: i32 = 3;
const PROC_UID_ONLY: i32 = 4;
const PROC_RUID_ONLY: i32 = 5;
const PROC_PPID_ONLY: i32 = 6;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(listpids, m)?)?;
    m.add_function(wrap_pyfunction!(listpids_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(listpids_size, m)?)?;
    #[cfg(target_os = "macos")]
    crate::xnu::register(m)?;
    Ok(())
}

/// The query of list type `kind` (`PROC_ALL_PIDS` ... `PROC_PPID_ONLY`, 1
/// to 6) with argument `typeinfo`, read as the kernel reads it: 32 bits
/// (`uint32_t`), so uid 4294967294 may also be passed as -2; a terminal is
/// a device number (`st_rdev`), which may be wider. `None` when nothing can
/// match (a negative group or parent, a negative device). `OSError(EINVAL)`
/// for another type or an argument out of range.
fn list_query(kind: i32, typeinfo: i64) -> PyResult<Option<PidQuery>> {
    let fits = (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&typeinfo);
    let invalid = || {
        os_error(
            libc::EINVAL,
            format!("invalid list type {kind} or argument {typeinfo}"),
        )
    };
    // The low 32 bits, as the kernel's uint32_t sees them.
    let bits = typeinfo as u32;
    let pid = Pid::from_raw(bits as i32);
    Ok(match kind {
        PROC_ALL_PIDS => Some(PidQuery::all()),
        PROC_TTY_ONLY => u64::try_from(typeinfo)
            .ok()
            .map(|d| PidQuery::tty(Dev::from_raw(d))),
        _ if !fits => return Err(invalid()),
        PROC_PGRP_ONLY => pid.map(PidQuery::pgrp),
        PROC_UID_ONLY => Some(PidQuery::uid(bits)),
        PROC_RUID_ONLY => Some(PidQuery::ruid(bits)),
        PROC_PPID_ONLY => pid.map(PidQuery::ppid),
        _ => return Err(invalid()),
    })
}

/// The pids of list type `kind` with argument `typeinfo`: complete, never
/// short.
#[pyfunction]
fn listpids(py: Python<'_>, kind: i32, typeinfo: i64) -> PyResult<Bound<'_, PyList>> {
    match list_query(kind, typeinfo)? {
        Some(query) => run(py, query),
        None => Ok(PyList::empty(py)),
    }
}

/// As `listpids`, as the bytes of a C `int` array in native byte order.
#[pyfunction]
fn listpids_bytes(py: Python<'_>, kind: i32, typeinfo: i64) -> PyResult<Bound<'_, PyBytes>> {
    let Some(query) = list_query(kind, typeinfo)? else {
        return Ok(PyBytes::new(py, &[]));
    };
    py.detach(|| scratch::with(|s| query.fill(&mut s.pids).map(drop)))
        .map_err(to_py)?;
    scratch::with(|s| {
        let pids = s.pids.as_slice();
        let size = std::mem::size_of::<libc::c_int>();
        PyBytes::new_with(py, pids.len() * size, |out| {
            for (chunk, pid) in out.chunks_exact_mut(size).zip(pids) {
                chunk.copy_from_slice(&pid.as_raw().to_ne_bytes());
            }
            Ok(())
        })
    })
}

/// The bytes a buffer for `listpids_bytes` should have: the library's
/// estimate plus 20 pids (xnu's slack for processes born in between).
#[pyfunction]
fn listpids_size(py: Python<'_>, kind: i32, typeinfo: i64) -> PyResult<usize> {
    let Some(query) = list_query(kind, typeinfo)? else {
        return Ok(0);
    };
    let pids = py.detach(|| query.probe()).map_err(to_py)?;
    Ok((pids + 20) * std::mem::size_of::<libc::c_int>())
}
