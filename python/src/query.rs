//! Listing: `pids`, `iter_pids`, `descendants` and the reusable `Query`.

use pidquery::{Dev, Filter, Pid, PidBuf, PidQuery, Pids};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyList};

use crate::error::to_py;
use crate::scratch;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pids, m)?)?;
    m.add_function(wrap_pyfunction!(iter_pids, m)?)?;
    m.add_function(wrap_pyfunction!(descendants, m)?)?;
    m.add_class::<Query>()?;
    m.add_class::<PidIter>()?;
    Ok(())
}

/// A pid argument: `ValueError` when negative.
pub(crate) fn pid_arg(raw: i32) -> PyResult<Pid> {
    Pid::try_from(raw).map_err(to_py)
}

/// A terminal: its device number (`os.stat(path).st_rdev`) or its path.
/// `ValueError` for a negative number, `OSError` (`ENOTTY`) for a path
/// that is not a character device.
pub(crate) fn tty_dev(tty: &Bound<'_, PyAny>) -> PyResult<Dev> {
    if tty.is_instance_of::<PyInt>() && !tty.is_instance_of::<PyBool>() {
        return tty.extract::<u64>().map(Dev::from_raw).map_err(|_| {
            PyValueError::new_err(format!("tty: a device number cannot be negative ({tty})"))
        });
    }
    let os = tty.py().import("os")?;
    let path: std::path::PathBuf = os.call_method1("fspath", (tty,))?.extract()?;
    match PidQuery::tty_path(path).map_err(to_py)?.filter() {
        Filter::Tty(dev) => Ok(dev),
        other => Err(PyValueError::new_err(format!(
            "tty: not a terminal query: {other:?}"
        ))),
    }
}

/// A terminal's query (see [`tty_dev`]).
fn tty_query(tty: &Bound<'_, PyAny>) -> PyResult<PidQuery> {
    tty_dev(tty).map(PidQuery::tty)
}

/// The query the keyword arguments name: at most one filter, none for all.
pub(crate) fn build(
    pgrp: Option<i32>,
    tty: Option<&Bound<'_, PyAny>>,
    uid: Option<u32>,
    ruid: Option<u32>,
    ppid: Option<i32>,
    descendants: Option<i32>,
) -> PyResult<PidQuery> {
    let given = [pgrp.is_some(), tty.is_some(), uid.is_some()]
        .into_iter()
        .chain([ruid.is_some(), ppid.is_some(), descendants.is_some()])
        .filter(|&g| g)
        .count();
    if given > 1 {
        return Err(PyTypeError::new_err(
            "at most one filter: pgrp, tty, uid, ruid, ppid or descendants",
        ));
    }
    Ok(match (pgrp, tty, uid, ruid, ppid, descendants) {
        (Some(p), ..) => PidQuery::pgrp(pid_arg(p)?),
        (_, Some(t), ..) => tty_query(t)?,
        (_, _, Some(u), ..) => PidQuery::uid(u),
        (_, _, _, Some(u), ..) => PidQuery::ruid(u),
        (_, _, _, _, Some(p), _) => PidQuery::ppid(pid_arg(p)?),
        (_, _, _, _, _, Some(p)) => PidQuery::descendants(pid_arg(p)?),
        _ => PidQuery::all(),
    })
}

/// A new list of the pids in `slice`.
pub(crate) fn pid_list<'py>(py: Python<'py>, slice: &[Pid]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, slice.iter().map(|p| p.as_raw()))
}

/// Fills this thread's scratch with `query` (GIL released) and lists it.
pub(crate) fn run<'py>(py: Python<'py>, query: PidQuery) -> PyResult<Bound<'py, PyList>> {
    py.detach(|| scratch::with(|s| query.fill(&mut s.pids).map(|_| ())))
        .map_err(to_py)?;
    scratch::with(|s| pid_list(py, s.pids.as_slice()))
}

/// The pids matching at most one filter (none: every process).
///
/// Complete and never short; ascending on Linux and FreeBSD. ``tty`` is a
/// device number (``os.stat(path).st_rdev``) or a terminal's path.
///
/// >>> import os, pidquery
/// >>> os.getpid() in pidquery.pids(ppid=os.getppid())
/// True
/// >>> os.getpid() in pidquery.pids(uid=os.geteuid())
/// True
///
/// Raises TypeError for more than one filter, ValueError for a negative
/// pid, OSError (with the errno) when the kernel fails.
#[pyfunction]
#[pyo3(signature = (*, pgrp=None, tty=None, uid=None, ruid=None, ppid=None, descendants=None))]
fn pids<'py>(
    py: Python<'py>,
    pgrp: Option<i32>,
    tty: Option<&Bound<'py, PyAny>>,
    uid: Option<u32>,
    ruid: Option<u32>,
    ppid: Option<i32>,
    descendants: Option<i32>,
) -> PyResult<Bound<'py, PyList>> {
    run(py, build(pgrp, tty, uid, ruid, ppid, descendants)?)
}

/// As ``pids``, one pid at a time: on Linux the scan itself is streamed,
/// and stops when the loop does.
///
/// >>> import os, pidquery
/// >>> any(pid == os.getpid() for pid in pidquery.iter_pids())
/// True
#[pyfunction]
#[pyo3(signature = (*, pgrp=None, tty=None, uid=None, ruid=None, ppid=None, descendants=None))]
fn iter_pids(
    py: Python<'_>,
    pgrp: Option<i32>,
    tty: Option<&Bound<'_, PyAny>>,
    uid: Option<u32>,
    ruid: Option<u32>,
    ppid: Option<i32>,
    descendants: Option<i32>,
) -> PyResult<PidIter> {
    let query = build(pgrp, tty, uid, ruid, ppid, descendants)?;
    PidIter::start(py, query)
}

/// Every process below ``pid`` (children, their children, ...), ascending.
///
/// >>> import os, pidquery
/// >>> os.getpid() in pidquery.descendants(os.getppid())
/// True
#[pyfunction]
fn descendants(py: Python<'_>, pid: i32) -> PyResult<Bound<'_, PyList>> {
    run(py, PidQuery::descendants(pid_arg(pid)?))
}

/// One query and the buffer it fills, reused from call to call: a loop
/// of ``pids()`` allocates only the lists it returns.
///
/// >>> import os, pidquery
/// >>> mine = pidquery.Query(uid=os.geteuid())
/// >>> all(os.getpid() in mine.pids() for _ in range(3))
/// True
/// >>> os.getpid() in set(mine)
/// True
#[pyclass(module = "pidquery")]
pub(crate) struct Query {
    query: PidQuery,
    buf: PidBuf,
}

#[pymethods]
impl Query {
    #[new]
    #[pyo3(signature = (*, pgrp=None, tty=None, uid=None, ruid=None, ppid=None, descendants=None))]
    fn new(
        pgrp: Option<i32>,
        tty: Option<&Bound<'_, PyAny>>,
        uid: Option<u32>,
        ruid: Option<u32>,
        ppid: Option<i32>,
        descendants: Option<i32>,
    ) -> PyResult<Query> {
        Ok(Query {
            query: build(pgrp, tty, uid, ruid, ppid, descendants)?,
            buf: PidBuf::new(),
        })
    }

    /// Runs the query: a new list of the matching pids.
    fn pids<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let Query { query, buf } = self;
        py.detach(|| query.fill(buf).map(|_| ())).map_err(to_py)?;
        pid_list(py, self.buf.as_slice())
    }

    /// A size, in pids, that a fill should reserve (an estimate).
    fn probe(&self, py: Python<'_>) -> PyResult<usize> {
        let query = self.query;
        py.detach(|| query.probe()).map_err(to_py)
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<PidIter> {
        PidIter::start(py, self.query)
    }

    fn __repr__(&self) -> String {
        format!("Query({})", filter_kwargs(self.query))
    }
}

/// The pids of one query, streamed (Linux: the scan itself, stopped when
/// the loop stops).
#[pyclass(module = "pidquery")]
pub(crate) struct PidIter {
    inner: Pids,
}

impl PidIter {
    fn start(py: Python<'_>, query: PidQuery) -> PyResult<PidIter> {
        let inner = py.detach(|| query.iter()).map_err(to_py)?;
        Ok(PidIter { inner })
    }
}

#[pymethods]
impl PidIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<i32>> {
        let inner = &mut self.inner;
        match py.detach(|| inner.next()) {
            Some(Ok(pid)) => Ok(Some(pid.as_raw())),
            Some(Err(e)) => Err(to_py(e)),
            None => Ok(None),
        }
    }
}

/// The query as the keyword argument that builds it (`uid=0`), or "".
pub(crate) fn filter_kwargs(query: PidQuery) -> String {
    match query.filter() {
        Filter::All => String::new(),
        Filter::Pgrp(p) => format!("pgrp={p}"),
        Filter::Tty(d) => format!("tty={}", d.raw()),
        Filter::Uid(u) => format!("uid={u}"),
        Filter::Ruid(u) => format!("ruid={u}"),
        Filter::Ppid(p) => format!("ppid={p}"),
        Filter::Descendants(p) => format!("descendants={p}"),
        other => format!("{other:?}"),
    }
}

/// `ValueError` unless `value` is a positive number of seconds.
pub(crate) fn positive_seconds(value: f64, what: &str) -> PyResult<std::time::Duration> {
    if value.is_finite() && value > 0.0 {
        std::time::Duration::try_from_secs_f64(value)
            .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
    } else {
        Err(PyValueError::new_err(format!(
            "{what} must be a positive number of seconds, not {value}"
        )))
    }
}
