//! FreeBSD's `sysctl kern.proc.*` over the table (`__sysctl`,
//! `sysctl_root`, `sysctl_kern_proc`, `proc_iterate`, `sysctl_old_user`),
//! and the engine run through it.

use core::ffi::c_int;

use super::table::Slot;
use super::{Call, Churn, Model, Observation, Proc, State, Walk};
use crate::list::engine;
use crate::sys::freebsd::consts::{
    CTL_KERN, CTL_MAXNAME, KERN_PROC, KERN_PROC_ALL, KERN_PROC_GID, KERN_PROC_INC_THREAD,
    KERN_PROC_PGRP, KERN_PROC_PID, KERN_PROC_PROC, KERN_PROC_RGID, KERN_PROC_RUID,
    KERN_PROC_SESSION, KERN_PROC_TTY, KERN_PROC_UID, KINFO_PROC_SIZE, PID_MAX, PROBE_SLACK,
};
use crate::sys::freebsd::consts::{KERN_PROC_FILEDESC, KERN_PROC_PATHNAME};
use crate::{Errno, Error, Pid, PidBuf, PidQuery};

/// `EISDIR` and `ENOTDIR` (absent from [`Errno`]'s names).
const EISDIR: Errno = Errno::from_raw(libc::EISDIR);
const ENOTDIR: Errno = Errno::from_raw(libc::ENOTDIR);

/// What one call produced: the result, and `*oldlenp` as written back
/// (also on `ENOMEM`; `None` when untouched).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Served {
    pub(super) result: Result<usize, Errno>,
    pub(super) oldlen_out: Option<usize>,
}

impl Served {
    const fn fail(errno: Errno) -> Served {
        Served {
            result: Err(errno),
            oldlen_out: None,
        }
    }
}

/// The output side of one request (`struct sysctl_req`'s old buffer).
pub(super) struct Out<'p> {
    /// `oldptr != NULL`.
    pub(super) buffer: bool,
    /// `validlen`: the wired length (0 when wiring failed).
    pub(super) valid: usize,
    /// `oldidx`.
    pub(super) idx: usize,
    /// The copyout of bytes at an offset, only ever inside `valid`.
    put: &'p mut dyn FnMut(usize, &[u8]),
}

impl Out<'_> {
    /// `SYSCTL_OUT(req, bytes, len)`: copies what still fits, then
    /// `ENOMEM` if not all of it did.
    pub(super) fn out(&mut self, bytes: &[u8]) -> Result<(), Errno> {
        let origidx = self.idx;
        self.idx += bytes.len();
        if !self.buffer {
            return Ok(());
        }
        let fits = self.valid.saturating_sub(origidx).min(bytes.len());
        if fits > 0 {
            (self.put)(origidx, bytes.get(..fits).unwrap_or_default());
        }
        if fits < bytes.len() {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// What `userland_sysctl` reports in `*oldlenp`.
    fn reported(&self) -> usize {
        if self.buffer && self.idx > self.valid {
            self.valid
        } else {
            self.idx
        }
    }
}

/// Is `op` a node `sysctl_kern_proc` serves (`kern.proc.all` aside)?
const fn list_node(op: c_int) -> bool {
    let base = op & !KERN_PROC_INC_THREAD;
    (op == base || op == base | KERN_PROC_INC_THREAD)
        && matches!(
            base,
            KERN_PROC_PID
                | KERN_PROC_PGRP
                | KERN_PROC_SESSION
                | KERN_PROC_TTY
                | KERN_PROC_UID
                | KERN_PROC_RUID
                | KERN_PROC_PROC
                | KERN_PROC_RGID
                | KERN_PROC_GID
        )
}

impl Model {
    /// One `sysctl` call, start to end: the schedule's point, the kernel,
    /// the record of it. `name` is `Err` when `__sysctl` rejects it before
    /// reading it; `old` is the buffer's length (`None` for NULL).
    pub(super) fn kernel_sysctl(
        &mut self,
        name: Result<&[c_int], Errno>,
        old: Option<usize>,
        new: bool,
        put: &mut dyn FnMut(usize, &[u8]),
    ) -> Served {
        self.calls += 1;
        let call = self.script.next();
        self.apply(call.before);
        let mut obs = self.recording.then(|| Observation {
            mib: name.map(<[c_int]>::to_vec).unwrap_or_default(),
            oldlen: old,
            result: Ok(0),
            oldlen_out: None,
            records: 0,
            stripes: 0,
            before: Vec::new(),
            after: Vec::new(),
            born: Vec::new(),
        });
        let served = match name {
            Err(errno) => Served::fail(errno),
            Ok(name) => self.serve(name, old, new, call, put, obs.as_mut()),
        };
        if let Some(mut obs) = obs {
            obs.result = served.result;
            obs.oldlen_out = served.oldlen_out;
            self.observations.push(obs);
        }
        served
    }

    /// `sys___sysctl` → `sysctl_root` → `sysctl_kern_proc`.
    fn serve(
        &mut self,
        name: &[c_int],
        old: Option<usize>,
        new: bool,
        call: Call,
        put: &mut dyn FnMut(usize, &[u8]),
        obs: Option<&mut Observation>,
    ) -> Served {
        if let Some(errno) = call.fail {
            return Served::fail(errno);
        }
        // sys___sysctl.
        if name.len() < 2 || name.len() > CTL_MAXNAME {
            return Served::fail(Errno::EINVAL);
        }
        // sysctl_find_oid: only kern.proc is modeled.
        if name.first() != Some(&CTL_KERN) || name.get(1) != Some(&KERN_PROC) {
            return Served::fail(Errno::ENOENT);
        }
        let Some(&op) = name.get(2) else {
            // The kern.proc node itself has no handler.
            return Served::fail(EISDIR);
        };
        let args = name.get(3..).unwrap_or_default();
        if op == KERN_PROC_PATHNAME || op == KERN_PROC_FILEDESC {
            if new || (self.capability_mode && old.is_some()) {
                return Served::fail(Errno::EPERM);
            }
            let [pid] = args else {
                return Served::fail(Errno::EINVAL);
            };
            let mut out = Out {
                buffer: old.is_some(),
                valid: old.unwrap_or(0),
                idx: 0,
                put,
            };
            let result = if op == KERN_PROC_PATHNAME {
                self.serve_pathname(*pid, &mut out)
            } else {
                self.serve_filedesc(*pid, &mut out)
            };
            return match result {
                Ok(()) | Err(Errno::ENOMEM) => Served {
                    result: result.map(|()| out.reported()),
                    oldlen_out: Some(out.reported()),
                },
                Err(errno) => Served::fail(errno),
            };
        }
        if op == KERN_PROC_ALL {
            // A leaf (SYSCTL_PROC): a longer name is not a directory.
            if !args.is_empty() {
                return Served::fail(ENOTDIR);
            }
        } else if !list_node(op) {
            // Unregistered (KERN_PROC_ALL | KERN_PROC_INC_THREAD among
            // them), or a node the model does not serve.
            return Served::fail(Errno::ENOENT);
        }
        // sysctl_root: the nodes are read-only and lack CTLFLAG_CAPRD.
        if new || (self.capability_mode && old.is_some()) {
            return Served::fail(Errno::EPERM);
        }
        // sysctl_kern_proc.
        let threads = op == KERN_PROC_ALL || op & KERN_PROC_INC_THREAD != 0;
        let base = op & !KERN_PROC_INC_THREAD;
        let arg = args.first().copied().unwrap_or(0);
        let arity_ok = match base {
            KERN_PROC_ALL => true,
            KERN_PROC_PROC => args.len() <= 1,
            _ => args.len() == 1,
        };
        if !arity_ok {
            return Served::fail(Errno::EINVAL);
        }
        // sysctl_wire_old_buffer: a buffer over the wiring limit is not
        // wired, and nothing can be copied into it.
        let valid = match old {
            Some(len) if self.max_wired.is_some_and(|max| len > max) => 0,
            Some(len) => len,
            None => 0,
        };
        let mut out = Out {
            buffer: old.is_some(),
            valid,
            idx: 0,
            put,
        };
        let caller = self.caller_copy();
        let result = if base == KERN_PROC_PID {
            self.serve_pid(arg, threads, caller.as_ref(), &mut out, obs)
        } else {
            if !out.buffer {
                // "overestimate by 5 procs"
                let _ = out.out(&[0u8; KINFO_PROC_SIZE * PROBE_SLACK]);
            }
            self.walk_list(
                base,
                arg,
                threads,
                caller.as_ref(),
                call.between,
                &mut out,
                obs,
            )
        };
        match result {
            Ok(()) | Err(Errno::ENOMEM) => Served {
                result: result.map(|()| out.reported()),
                oldlen_out: Some(out.reported()),
            },
            Err(errno) => Served::fail(errno),
        }
    }

    /// The caller, copied for the call (its path and descriptors are
    /// shared: no allocation).
    fn caller_copy(&mut self) -> Option<Proc> {
        self.get(self.caller).cloned()
    }

    /// The records of one process: one, or one per thread.
    fn emit(
        &self,
        slot: &Slot,
        threads: bool,
        caller: Option<&Proc>,
        out: &mut Out<'_>,
    ) -> Result<usize, Errno> {
        let n = if threads { slot.proc.threads.max(1) } else { 1 };
        for t in 0..n {
            out.out(&self.kinfo(slot, t, caller))?;
        }
        Ok(n as usize)
    }

    /// `KERN_PROC_PID`: `pget(pid, PGET_CANSEE)`, then `sysctl_out_proc`.
    fn serve_pid(
        &mut self,
        pid: c_int,
        threads: bool,
        caller: Option<&Proc>,
        out: &mut Out<'_>,
        obs: Option<&mut Observation>,
    ) -> Result<(), Errno> {
        let found = if pid <= PID_MAX {
            // The caller itself, or pfind_any: zombies too, never New.
            Pid::from_raw(pid).and_then(|p| self.find(p))
        } else {
            // A thread id.
            self.find_tid(pid)
        };
        let slot = found
            .and_then(|i| self.slot(i))
            .filter(|s| s.proc.state != State::New)
            .ok_or(Errno::ESRCH)?;
        // p_cansee's errno for every see_* policy and prison_check.
        if !self.visible(caller, &slot.proc) {
            return Err(Errno::ESRCH);
        }
        let since = self.epoch;
        let emitted = self.emit(slot, threads, caller, out);
        if let Some(obs) = obs {
            obs.before = self.views(caller, since);
            obs.after = obs.before.clone();
            obs.records = if threads {
                slot.proc.threads.max(1) as usize
            } else {
                1
            };
            obs.stripes = 1;
        }
        emitted.map(|_| ())
    }

    /// `proc_iterate(sysctl_kern_proc_iterate)` for a list op.
    #[allow(clippy::too_many_arguments)]
    fn walk_list(
        &mut self,
        op: c_int,
        arg: c_int,
        threads: bool,
        caller: Option<&Proc>,
        between: Churn,
        out: &mut Out<'_>,
        mut obs: Option<&mut Observation>,
    ) -> Result<(), Errno> {
        let since = self.epoch;
        if let Some(obs) = obs.as_deref_mut() {
            obs.before = self.views(caller, since);
            self.born.clear();
            // Still forking when the walk began: they may finish during it.
            for &i in &self.pending {
                if let Some(s) = self.slots.get(i).and_then(Option::as_ref) {
                    self.born.push(s.proc.pid);
                }
            }
            self.tracking_births = true;
        }
        let mut records = 0usize;
        let mut stripes = 0usize;
        let mut visit = |model: &Model, i: usize, out: &mut Out<'_>| -> Result<(), Errno> {
            let Some(slot) = model.slot(i) else {
                return Ok(());
            };
            let p = &slot.proc;
            if p.state == State::New || !model.visible(caller, p) || !model.matches(p, op, arg) {
                return Ok(());
            }
            let n = if threads {
                p.threads.max(1) as usize
            } else {
                1
            };
            records += n;
            model.emit(slot, threads, caller, out).map(|_| ())
        };
        let walked = match self.walk {
            Walk::Striped => {
                let (mask, n) = (self.hash.mask, self.hash.stripes.max(1));
                let mut result = Ok(());
                'stripes: for stripe in 0..n {
                    if stripe > 0 && !between.is_none() {
                        // The stripe's locks are dropped: the world moves.
                        self.apply(between);
                    }
                    stripes += 1;
                    for bucket in (stripe..=mask).step_by(n) {
                        let len = self.buckets.get(bucket).map_or(0, Vec::len);
                        // Head first: the newest insertion is the last.
                        for k in (0..len).rev() {
                            let Some(&i) = self.buckets.get(bucket).and_then(|b| b.get(k)) else {
                                continue;
                            };
                            if let Err(e) = visit(self, i, out) {
                                result = Err(e);
                                break 'stripes;
                            }
                        }
                    }
                }
                result
            }
            Walk::Atomic => {
                stripes = 1;
                let order = self.allproc.iter().rev().chain(self.zombproc.iter().rev());
                let mut result = Ok(());
                for &i in order {
                    if let Err(e) = visit(self, i, out) {
                        result = Err(e);
                        break;
                    }
                }
                result
            }
        };
        if let Some(obs) = obs {
            obs.after = self.views(caller, since);
            obs.records = records;
            obs.stripes = stripes;
            self.tracking_births = false;
            obs.born = core::mem::take(&mut self.born);
        }
        if self.walk == Walk::Atomic && !between.is_none() {
            // Nothing could move while the lists were locked.
            self.apply(between);
        }
        walked
    }

    // ---- the engine, through the stand-in ------------------------------

    /// [`PidQuery::fill`] against this model, through the same code path
    /// FreeBSD uses over `libc::sysctl`.
    ///
    /// # Errors
    ///
    /// As [`System::fill`](crate::System::fill): `Raced` when the retry
    /// budget is spent, `WiringLimit` when the buffer cannot be wired, `Os`
    /// (op `kern.proc.<node>`) for an injected or kernel error, `Malformed`
    /// for records that are not `kinfo_proc`s.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid, PidBuf, PidQuery};
    /// let mut model = Model::new();
    /// let init = Pid::from_raw(1).unwrap();
    /// let child = model.spawn(init).unwrap();
    /// let mut buf = PidBuf::new();
    /// // Ascending; the kernel (pid 0) and init have parent 0.
    /// assert_eq!(model.fill(&PidQuery::ppid(Pid::ZERO), &mut buf).unwrap(), [Pid::ZERO, init]);
    /// assert_eq!(model.fill(&PidQuery::ppid(init), &mut buf).unwrap(), [child]);
    /// ```
    pub fn fill<'b, const N: usize>(
        &mut self,
        query: &PidQuery,
        buf: &'b mut PidBuf<N>,
    ) -> Result<&'b [Pid], Error> {
        let client = core::mem::replace(&mut self.client, super::abi::client());
        let got = self.run(|| engine::fill(&client, query, buf));
        self.client = client;
        got
    }

    /// [`PidQuery::fill_slice`] against this model.
    ///
    /// # Errors
    ///
    /// `Truncated { needed }` when the answer does not fit `out` (an exactly
    /// full `out` is complete on FreeBSD); as [`fill`](Model::fill)
    /// otherwise.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, ErrorKind, Pid, PidQuery};
    /// let mut model = Model::new();
    /// let mut one = [Pid::ZERO; 1];
    /// let err = model.fill_slice(&PidQuery::all(), &mut one).unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::Truncated { needed } if needed >= 2));
    /// let mut two = [Pid::ZERO; 2];
    /// assert_eq!(model.fill_slice(&PidQuery::all(), &mut two).unwrap(), 2);
    /// ```
    pub fn fill_slice(&mut self, query: &PidQuery, out: &mut [crate::Pid]) -> Result<usize, Error> {
        let client = core::mem::replace(&mut self.client, super::abi::client());
        let got = self.run(|| engine::fill_slice(&client, query, out));
        self.client = client;
        got
    }

    /// [`PidQuery::probe`] against this model: the kernel's count of
    /// matches (its `(matches + 5)` records less the 5; the whole table for
    /// `ppid` and `descendants`).
    ///
    /// # Errors
    ///
    /// An injected error.
    ///
    /// ```
    /// let mut model = pidquery::model::freebsd::Model::new();
    /// assert_eq!(model.probe(&pidquery::PidQuery::all()).unwrap(), 2);
    /// ```
    pub fn probe(&mut self, query: &PidQuery) -> Result<usize, Error> {
        let client = core::mem::replace(&mut self.client, super::abi::client());
        let got = self.run(|| engine::probe(&client, query));
        self.client = client;
        got
    }
}
