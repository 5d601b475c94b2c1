//! `identity(pid)`: a process's identity that survives pid reuse.

use pidquery::ProcId;
use pyo3::prelude::*;
use pyo3::types::PyDateTime;

use crate::error::to_py;
use crate::info::{py_opt, start_datetime};
use crate::query::pid_arg;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(identity, m)?)?;
    m.add_class::<Identity>()?;
    Ok(())
}

/// A pid, its start time and (where the kernel has one) its never-reused
/// key: equal only for the same process, even after the pid is reused.
///
/// >>> import subprocess, pidquery
/// >>> child = subprocess.Popen(["sleep", "5"])
/// >>> who = pidquery.identity(child.pid)
/// >>> who.is_current()
/// True
/// >>> child.kill(); child.wait()
/// -9
/// >>> who.is_current()
/// False
#[pyclass(module = "pidquery", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    inner: ProcId,
}

#[pymethods]
impl Identity {
    /// The pid.
    #[getter]
    fn pid(&self) -> i32 {
        self.inner.pid().as_raw()
    }
    /// When the process started (an aware datetime in UTC), or None.
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
        start_datetime(py, self.inner.start())
    }
    /// The kernel's never-reused key (Linux pidfs inode, macOS
    /// `p_uniqueid`), or None.
    #[getter]
    fn unique(&self) -> Option<u64> {
        self.inner.unique()
    }
    /// Whether the pid still names this process (False once it has been
    /// reaped, even if the pid was reused).
    fn is_current(&self, py: Python<'_>) -> PyResult<bool> {
        let id = self.inner;
        py.detach(|| id.is_current()).map_err(to_py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Identity(pid={}, unique={})",
            self.inner.pid(),
            py_opt(self.inner.unique())
        )
    }
}

/// The identity of ``pid`` now.
///
/// >>> import os, pidquery
/// >>> pidquery.identity(os.getpid()) == pidquery.identity(os.getpid())
/// True
#[pyfunction]
fn identity(py: Python<'_>, pid: i32) -> PyResult<Identity> {
    let pid = pid_arg(pid)?;
    let inner = py.detach(|| pid.identity()).map_err(to_py)?;
    Ok(Identity { inner })
}
