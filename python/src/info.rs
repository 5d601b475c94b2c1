//! Who a process is: `info`, `exe`, `threads`, `fds`.

use std::ffi::OsStr;
use std::time::SystemTime;

use pidquery::{FdKind, ProcFlags, ProcInfo as Info, StartTime, Thread};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyList};

use crate::error::to_py;
use crate::query::{build, pid_arg};
use crate::scratch;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(infos, m)?)?;
    m.add_function(wrap_pyfunction!(exe, m)?)?;
    m.add_function(wrap_pyfunction!(threads, m)?)?;
    m.add_function(wrap_pyfunction!(fds, m)?)?;
    m.add_class::<ProcInfo>()?;
    m.add_class::<Fd>()?;
    for (name, flag) in ProcFlags::all().iter_names() {
        m.add(format!("FLAG_{name}").as_str(), flag.bits())?;
    }
    Ok(())
}

/// A start time as an aware `datetime` in UTC.
pub(crate) fn start_datetime(
    py: Python<'_>,
    start: Option<StartTime>,
) -> PyResult<Option<Bound<'_, PyDateTime>>> {
    start
        .map(|s| SystemTime::from(s).into_pyobject(py))
        .transpose()
}

/// Who a process is, read in one go: ids, owner, state, start, name.
///
/// Frozen and hashable. Fields a platform cannot give are None, never a
/// made-up 0. ``state`` is the letter ``ps`` shows (R S D T t Z X I P),
/// ``flags`` the ``pidquery.Flag`` bits, ``start`` an aware datetime in
/// UTC, ``tty`` a device number as ``st_rdev``.
///
/// >>> import os, datetime, pidquery
/// >>> me = pidquery.info(os.getpid())
/// >>> (me.pid, me.ppid, me.pgid, me.euid) == (os.getpid(), os.getppid(), os.getpgrp(), os.geteuid())
/// True
/// >>> me.state
/// 'R'
/// >>> me.start <= datetime.datetime.now(datetime.timezone.utc)
/// True
#[pyclass(module = "pidquery", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct ProcInfo {
    inner: Info,
}

#[pymethods]
impl ProcInfo {
    /// The process id.
    #[getter]
    fn pid(&self) -> i32 {
        self.inner.pid.as_raw()
    }
    /// The parent's pid (0 for pid 1 and kernel roots).
    #[getter]
    fn ppid(&self) -> i32 {
        self.inner.ppid.as_raw()
    }
    /// The process group id.
    #[getter]
    fn pgid(&self) -> i32 {
        self.inner.pgid.as_raw()
    }
    /// The session id, or None where the platform does not report it.
    #[getter]
    fn sid(&self) -> Option<i32> {
        self.inner.sid.map(|p| p.as_raw())
    }
    /// The controlling terminal's device number (as `st_rdev`), or None.
    #[getter]
    fn tty(&self) -> Option<u64> {
        self.inner.tty.map(|d| d.raw())
    }
    /// The terminal's foreground process group, or None.
    #[getter]
    fn tpgid(&self) -> Option<i32> {
        self.inner.tpgid.map(|p| p.as_raw())
    }
    /// The real user id.
    #[getter]
    fn ruid(&self) -> u32 {
        self.inner.ruid
    }
    /// The effective user id.
    #[getter]
    fn euid(&self) -> u32 {
        self.inner.euid
    }
    /// The saved set-user-id.
    #[getter]
    fn suid(&self) -> u32 {
        self.inner.suid
    }
    /// The real group id.
    #[getter]
    fn rgid(&self) -> u32 {
        self.inner.rgid
    }
    /// The effective group id.
    #[getter]
    fn egid(&self) -> u32 {
        self.inner.egid
    }
    /// The saved set-group-id.
    #[getter]
    fn sgid(&self) -> u32 {
        self.inner.sgid
    }
    /// The state as `ps` shows it: one of R S D T t Z X I P (or another letter).
    #[getter]
    fn state(&self) -> char {
        self.inner.state.code()
    }
    /// The `FLAG_*` bits (`pidquery.Flag`).
    #[getter]
    fn flags(&self) -> u32 {
        self.inner.flags.bits()
    }
    /// The nice value, or None.
    #[getter]
    fn nice(&self) -> Option<i32> {
        self.inner.nice
    }
    /// The number of threads, or None.
    #[getter]
    fn threads(&self) -> Option<u32> {
        self.inner.threads
    }
    /// When it started (an aware datetime in UTC), or None.
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        start_datetime(py, self.inner.start)
    }
    /// The short command name.
    #[getter]
    fn comm(&self) -> &OsStr {
        self.inner.comm.as_os_str()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let i = &self.inner;
        let comm = i.comm.as_os_str().into_pyobject(py)?.repr()?;
        Ok(format!(
            "ProcInfo(pid={}, ppid={}, pgid={}, sid={}, euid={}, ruid={}, state='{}', comm={comm})",
            i.pid,
            i.ppid,
            i.pgid,
            py_opt(i.sid.map(|p| p.as_raw())),
            i.euid,
            i.ruid,
            i.state.code(),
        ))
    }
}

/// One open file descriptor and what it refers to: ``kind`` is "file",
/// "socket", "pipe", "event" or "other".
#[pyclass(module = "pidquery", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct Fd {
    #[pyo3(get)]
    fd: i32,
    #[pyo3(get)]
    kind: &'static str,
}

#[pymethods]
impl Fd {
    fn __repr__(&self) -> String {
        format!("Fd(fd={}, kind='{}')", self.fd, self.kind)
    }
}

/// `None` or the value, as Python writes them.
pub(crate) fn py_opt<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| v.to_string())
}

fn kind_name(kind: FdKind) -> &'static str {
    match kind {
        FdKind::File => "file",
        FdKind::Socket => "socket",
        FdKind::Pipe => "pipe",
        FdKind::Event => "event",
        _ => "other",
    }
}

/// Who ``pid`` is: a frozen ``ProcInfo``.
///
/// >>> import os, pidquery
/// >>> pidquery.info(os.getpid()).ppid == os.getppid()
/// True
///
/// Raises ProcessLookupError (errno ESRCH) when no process has this pid
/// (on Linux also for a thread id), PermissionError when the kernel refuses.
#[pyfunction]
fn info(py: Python<'_>, pid: i32) -> PyResult<ProcInfo> {
    let pid = pid_arg(pid)?;
    let inner = py.detach(|| pid.info()).map_err(to_py)?;
    Ok(ProcInfo { inner })
}

/// The ``ProcInfo`` of every process matching at most one filter (as for
/// ``pids``), read in one pass; a process that exits meanwhile is left out.
///
/// >>> import os, pidquery
/// >>> [i.pid for i in pidquery.infos(ppid=os.getppid())].count(os.getpid())
/// 1
#[pyfunction]
#[pyo3(signature = (*, pgrp=None, tty=None, uid=None, ruid=None, ppid=None, descendants=None))]
fn infos<'py>(
    py: Python<'py>,
    pgrp: Option<i32>,
    tty: Option<&Bound<'py, PyAny>>,
    uid: Option<u32>,
    ruid: Option<u32>,
    ppid: Option<i32>,
    descendants: Option<i32>,
) -> PyResult<Bound<'py, PyList>> {
    let query = build(pgrp, tty, uid, ruid, ppid, descendants)?;
    py.detach(|| scratch::with(|s| query.infos(&mut s.infos).map(drop)))
        .map_err(to_py)?;
    scratch::with(|s| {
        PyList::new(
            py,
            s.infos.as_slice().iter().map(|&inner| ProcInfo { inner }),
        )
    })
}

/// The path of ``pid``'s executable (on Linux without " (deleted)").
///
/// >>> import os, sys, pidquery
/// >>> pidquery.exe(os.getpid()) == os.path.realpath(sys.executable)
/// True
///
/// Raises PermissionError for another user's process on Linux (EACCES).
#[pyfunction]
fn exe(py: Python<'_>, pid: i32) -> PyResult<Bound<'_, PyAny>> {
    let pid = pid_arg(pid)?;
    py.detach(|| scratch::with(|s| pid.exe(&mut s.exe).map(|_| ())))
        .map_err(to_py)?;
    let path = scratch::with(|s| s.exe.last().path().as_os_str().into_pyobject(py));
    Ok(path?.into_any())
}

/// The threads of ``pid``: thread ids on Linux (the leader's is the pid),
/// 64-bit handles on macOS.
///
/// >>> import os, sys, pidquery
/// >>> sys.platform != "linux" or os.getpid() in pidquery.threads(os.getpid())
/// True
#[pyfunction]
fn threads(py: Python<'_>, pid: i32) -> PyResult<Bound<'_, PyList>> {
    let pid = pid_arg(pid)?;
    py.detach(|| scratch::with(|s| pid.threads(&mut s.threads).map(|_| ())))
        .map_err(to_py)?;
    scratch::with(|s| PyList::new(py, s.threads.as_slice().iter().map(|t: &Thread| t.raw())))
}

/// The open file descriptors of ``pid``, ascending, as ``Fd`` records.
///
/// >>> import os, pidquery
/// >>> r, w = os.pipe()
/// >>> [fd.kind for fd in pidquery.fds(os.getpid()) if fd.fd == r]
/// ['pipe']
#[pyfunction]
fn fds(py: Python<'_>, pid: i32) -> PyResult<Bound<'_, PyList>> {
    let pid = pid_arg(pid)?;
    py.detach(|| scratch::with(|s| pid.fds(&mut s.fds).map(|_| ())))
        .map_err(to_py)?;
    scratch::with(|s| {
        PyList::new(
            py,
            s.fds.as_slice().iter().map(|fd| Fd {
                fd: fd.fd,
                kind: kind_name(fd.kind),
            }),
        )
    })
}
