//! `Watch`: the processes born and gone since the last poll.

use std::time::{Duration, Instant};

use pidquery::Watch as Inner;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::error::to_py;
use crate::query::{build, filter_kwargs, pid_list, positive_seconds};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Watch>()
}

/// The longest sleep between two checks for signals (Ctrl-C).
const SLICE: Duration = Duration::from_millis(50);

/// Watches one query: each poll says which pids appeared and which went
/// away since the previous one, from two buffers reused for every poll.
///
/// >>> import os, subprocess, pidquery
/// >>> watch = pidquery.Watch(ppid=os.getpid())
/// >>> watch.poll()
/// ([], [])
/// >>> child = subprocess.Popen(["sleep", "5"])
/// >>> watch.poll() == ([child.pid], [])
/// True
/// >>> child.kill(); child.wait()
/// -9
/// >>> watch.poll() == ([], [child.pid])
/// True
///
/// With ``period`` (seconds) it iterates, polling once a period, the first
/// at once: ``for born, died in pidquery.Watch(uid=0, period=1.0): ...``.
/// With ``track_reuse=True`` a pid reaped and reused between two polls is
/// reported as gone and born again.
#[pyclass(module = "pidquery")]
pub(crate) struct Watch {
    inner: Inner,
    period: Option<Duration>,
    next: Option<Instant>,
}

impl Watch {
    /// Polls with the GIL released; returns `(born, died)`.
    fn poll_lists<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let inner = &mut self.inner;
        py.detach(|| inner.poll().map(drop)).map_err(to_py)?;
        let changes = self.inner.changes();
        let born = PyList::new(py, changes.clone().born().map(|p| p.as_raw()))?;
        let died = PyList::new(py, changes.died().map(|p| p.as_raw()))?;
        PyTuple::new(py, [born, died])
    }

    /// Sleeps until `deadline`, the GIL released, waking every `SLICE` to
    /// let Python handle signals.
    fn sleep_until(py: Python<'_>, deadline: Instant) -> PyResult<()> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            let nap = (deadline - now).min(SLICE);
            py.detach(|| std::thread::sleep(nap));
            py.check_signals()?;
        }
    }
}

#[pymethods]
impl Watch {
    #[new]
    #[pyo3(signature = (*, pgrp=None, tty=None, uid=None, ruid=None, ppid=None, descendants=None, period=None, track_reuse=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        pgrp: Option<i32>,
        tty: Option<&Bound<'_, PyAny>>,
        uid: Option<u32>,
        ruid: Option<u32>,
        ppid: Option<i32>,
        descendants: Option<i32>,
        period: Option<f64>,
        track_reuse: bool,
    ) -> PyResult<Watch> {
        let query = build(pgrp, tty, uid, ruid, ppid, descendants)?;
        let period = period.map(|p| positive_seconds(p, "period")).transpose()?;
        let inner = Inner::new(query);
        let inner = if track_reuse {
            inner.track_reuse()
        } else {
            inner
        };
        Ok(Watch {
            inner,
            period,
            next: None,
        })
    }

    /// Polls now: `(born, died)`, two lists of pids, ascending. The first
    /// poll reports every matching process as born. A failed poll changes
    /// nothing.
    fn poll<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        self.poll_lists(py)
    }

    /// The pids found by the last poll that succeeded.
    #[getter]
    fn current<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        pid_list(py, self.inner.current())
    }

    /// The period of iteration in seconds, or None.
    #[getter]
    fn period(&self) -> Option<f64> {
        self.period.map(|p| p.as_secs_f64())
    }

    /// Forgets the last poll: the next one reports everything as born.
    fn reset(&mut self) {
        self.inner.reset();
        self.next = None;
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyResult<PyRef<'_, Self>> {
        if slf.period.is_none() {
            return Err(PyTypeError::new_err(
                "a Watch iterates only with a period: Watch(..., period=SECONDS)",
            ));
        }
        Ok(slf)
    }

    /// Waits for the next tick of the period (the first comes at once),
    /// then polls: `(born, died)`.
    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let period = self
            .period
            .ok_or_else(|| PyTypeError::new_err("a Watch iterates only with a period"))?;
        let now = Instant::now();
        let due = self.next.unwrap_or(now);
        Self::sleep_until(py, due)?;
        // The next tick: one period after this one, or after now if polls
        // fell behind (no burst of catch-up polls).
        let after = due + period;
        self.next = Some(if after > Instant::now() {
            after
        } else {
            Instant::now() + period
        });
        self.poll_lists(py)
    }

    fn __repr__(&self) -> String {
        let filter = filter_kwargs(self.inner.query());
        let sep = if filter.is_empty() { "" } else { ", " };
        format!(
            "Watch({filter}{sep}period={}, track_reuse={})",
            // Debug writes a float as Python does (1.0, not 1).
            self.period
                .map_or_else(|| "None".to_owned(), |p| format!("{:?}", p.as_secs_f64())),
            if self.inner.tracks_reuse() {
                "True"
            } else {
                "False"
            }
        )
    }
}
