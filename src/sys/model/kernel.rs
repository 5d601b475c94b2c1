//! xnu's `proc_listpids` over the table, and the engine run through it.

use core::ffi::c_int;

use super::abi::MODEL_XNU;
use super::table::PID_BYTES;
use super::Model;
use crate::list::engine;
use crate::sys::xnu::consts as xnu;
use crate::{Errno, Error, Pid, PidBuf, PidQuery};

impl Model {
    /// [`PidQuery::fill`] against this model, through the same code path
    /// macOS uses over `libc::proc_listpids`.
    ///
    /// # Errors
    ///
    /// As [`System::fill`](crate::System::fill): `Raced` when the retry
    /// budget is spent, `Os` (op `proc_listpids`) for an injected error.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid, PidBuf, PidQuery};
    /// let mut model = Model::new();
    /// let child = model.spawn(Pid::ZERO);
    /// let mut buf = PidBuf::new();
    /// let children = model.fill(&PidQuery::ppid(Pid::ZERO), &mut buf).unwrap();
    /// // Newest first; kernel_task is its own parent (ppid 0) and comes last.
    /// assert_eq!(children, [child, Pid::from_raw(1).unwrap(), Pid::ZERO]);
    /// ```
    pub fn fill<'b, const N: usize>(
        &mut self,
        query: &PidQuery,
        buf: &'b mut PidBuf<N>,
    ) -> Result<&'b [Pid], Error> {
        self.run(|| engine::fill(&MODEL_XNU, query, buf))
    }

    /// [`PidQuery::fill_slice`] against this model.
    ///
    /// # Errors
    ///
    /// `Truncated { needed }` when the answer does not fit or fills `out`
    /// exactly; as [`fill`](Model::fill) otherwise.
    ///
    /// ```
    /// use pidquery::{model::Model, ErrorKind, Pid, PidQuery};
    /// let mut model = Model::new();
    /// let mut two = [Pid::ZERO; 2];
    /// let err = model.fill_slice(&PidQuery::all(), &mut two).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Truncated { needed: 22 });
    /// let mut three = [Pid::ZERO; 3];
    /// assert_eq!(model.fill_slice(&PidQuery::all(), &mut three).unwrap(), 2);
    /// ```
    pub fn fill_slice(&mut self, query: &PidQuery, out: &mut [Pid]) -> Result<usize, Error> {
        self.run(|| engine::fill_slice(&MODEL_XNU, query, out))
    }

    /// [`PidQuery::probe`] against this model: `nprocs + 20`.
    ///
    /// # Errors
    ///
    /// An injected error or sandbox denial.
    ///
    /// ```
    /// let mut model = pidquery::model::Model::new();
    /// assert_eq!(model.probe(&pidquery::PidQuery::all()).unwrap(), 22);
    /// ```
    pub fn probe(&mut self, query: &PidQuery) -> Result<usize, Error> {
        self.run(|| engine::probe(&MODEL_XNU, query))
    }

    // ---- the kernel -----------------------------------------------------

    /// xnu's `proc_listpids` (`bsd/kern/proc_info.c`), returning bytes or
    /// the errno. `size` is `None` for a NULL buffer; `put(i, pid)` is the
    /// copyout of entry `i`, called only for `i < size / 4`.
    pub(super) fn kernel_listpids(
        &mut self,
        kind: u32,
        typeinfo: u32,
        size: Option<u32>,
        put: &mut dyn FnMut(usize, c_int),
    ) -> Result<usize, Errno> {
        self.calls += 1;
        let call = self.script.next();
        self.apply(call.before);
        let buffer_pids = size.map(|s| s as usize / PID_BYTES);
        if let Some(errno) = call.fail.or(self.sandbox) {
            self.observe(kind, typeinfo, buffer_pids, self.nprocs(), Err(errno));
            return Err(errno);
        }
        // Read before the lock is taken.
        let nprocs = self.nprocs();
        let slack = nprocs + xnu::LISTPIDS_SLACK;
        let Some(size) = size else {
            let bytes = (slack * PID_BYTES).min(c_int::MAX as usize);
            self.observe(kind, typeinfo, None, nprocs, Ok(bytes));
            self.apply(call.during);
            return Ok(bytes);
        };
        if (size as usize) < PID_BYTES {
            self.observe(kind, typeinfo, buffer_pids, nprocs, Err(Errno::ENOMEM));
            return Err(Errno::ENOMEM);
        }
        let capacity = (size as usize / PID_BYTES).min(slack);
        // Forks completing between the read of nprocs and the lock.
        self.apply(call.during);
        let mut n = 0;
        let mut left_out = 0;
        let walk = self.allproc.iter().rev().chain(self.zombproc.iter().rev());
        for p in walk {
            if !p.shadow && p.matches(kind, typeinfo, self.tty_match) {
                if n < capacity {
                    put(n, p.pid.as_raw());
                    n += 1;
                } else if self.recording {
                    // Past the capacity the kernel has stopped (the zombie
                    // walk starts only under capacity); only the record
                    // counts what it missed.
                    left_out += 1;
                } else {
                    break;
                }
            }
        }
        self.observe(kind, typeinfo, buffer_pids, nprocs, Ok(n * PID_BYTES));
        if let Some(last) = self.observations.last_mut().filter(|_| self.recording) {
            last.left_out = left_out;
        }
        Ok(n * PID_BYTES)
    }
}
