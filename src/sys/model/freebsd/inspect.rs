//! The per-process calls ([`System::info`](crate::System::info) and its
//! siblings) against the model, through the FreeBSD backend's own code
//! over the [`sysctl`](super::sysctl) stand-in.

use super::Model;
use crate::sys::Inspect;
use crate::{Error, Exe, ExeBuf, Fd, FdBuf, InfoBuf, Pid, PidQuery, ProcId, ProcInfo};
use crate::{Thread, ThreadBuf};

impl Model {
    /// Runs `f` on the backend (its scratch kept between calls).
    fn inspect<R>(&mut self, f: impl FnOnce(&crate::sys::freebsd::KernProc) -> R) -> R {
        let client = core::mem::replace(&mut self.client, super::abi::client());
        let got = self.run(|| f(&client));
        self.client = client;
        got
    }

    /// [`System::info`](crate::System::info) against this model: one
    /// `KERN_PROC_PID` record.
    ///
    /// # Errors
    ///
    /// `NoSuchProcess` for a pid that is absent or hidden, `NotAProcess`
    /// for a thread id.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid, State};
    /// let mut model = Model::new();
    /// let init = model.info(Pid::from_raw(1).unwrap()).unwrap();
    /// assert_eq!((init.comm.as_bytes(), init.state), (&b"init"[..], State::Running));
    /// ```
    pub fn info(&mut self, pid: Pid) -> Result<ProcInfo, Error> {
        self.inspect(|k| Inspect::info(k, pid))
    }

    /// [`Query::fill`](crate::Query::fill) against this model, through the
    /// planner as on FreeBSD: the most selective kernel filter drives, one
    /// `KERN_PROC_PID` record tests each candidate.
    ///
    /// # Errors
    ///
    /// As [`fill`](Model::fill); `Unsupported` for a command-line
    /// condition.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Match, Pid, PidBuf, Query};
    /// let mut model = Model::new();
    /// let mut buf = PidBuf::new();
    /// let q = Query::new().euid(0).name(Match::exact("init"));
    /// assert_eq!(model.select(&q, &mut buf).unwrap(), [Pid::from_raw(1).unwrap()]);
    /// ```
    pub fn select<'b, const N: usize>(
        &mut self,
        query: &crate::Query<'_>,
        buf: &'b mut crate::PidBuf<N>,
    ) -> Result<&'b [Pid], Error> {
        self.inspect(|k| crate::list::plan::fill(k, query, buf))
    }

    /// [`System::infos`](crate::System::infos) against this model.
    ///
    /// # Errors
    ///
    /// As [`fill`](Model::fill) and [`info`](Model::info); a process that
    /// vanishes between the listing and its info is left out.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, InfoBuf, PidQuery};
    /// let mut model = Model::new();
    /// let mut buf = InfoBuf::new();
    /// let all = model.infos(&PidQuery::all(), &mut buf).unwrap();
    /// assert_eq!(all[0].comm, "kernel");
    /// ```
    pub fn infos<'b>(
        &mut self,
        query: &PidQuery,
        buf: &'b mut InfoBuf,
    ) -> Result<&'b [ProcInfo], Error> {
        match self.inspect(|k| Inspect::infos(k, query, buf, crate::list::engine::fill)) {
            Ok(()) => Ok(buf.as_slice()),
            Err(e) => {
                buf.infos.clear();
                Err(e)
            }
        }
    }

    /// [`System::exe`](crate::System::exe) against this model:
    /// `KERN_PROC_PATHNAME`.
    ///
    /// # Errors
    ///
    /// `Os` with `ENOENT` for a process without an executable (a kernel
    /// process, a zombie); `NoSuchProcess` for an absent or hidden pid.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, ExeBuf, Pid};
    /// let mut model = Model::new();
    /// let mut buf = ExeBuf::new();
    /// let exe = model.exe(Pid::from_raw(1).unwrap(), &mut buf).unwrap();
    /// assert_eq!(exe.path(), std::path::Path::new("/sbin/init"));
    /// ```
    pub fn exe<'b>(&mut self, pid: Pid, buf: &'b mut ExeBuf) -> Result<Exe<'b>, Error> {
        self.inspect(|k| buf.fill(|out| Inspect::exe(k, pid, out)))
    }

    /// [`System::threads`](crate::System::threads) against this model:
    /// `KERN_PROC_PID | KERN_PROC_INC_THREAD`, one thread id each.
    ///
    /// # Errors
    ///
    /// As [`info`](Model::info); `Raced` when the budget is spent.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid, ThreadBuf};
    /// let mut model = Model::new();
    /// let mut buf = ThreadBuf::new();
    /// assert_eq!(model.threads(Pid::ZERO, &mut buf).unwrap().len(), 8);
    /// ```
    pub fn threads<'b>(&mut self, pid: Pid, buf: &'b mut ThreadBuf) -> Result<&'b [Thread], Error> {
        self.inspect(|k| buf.slots.fill(0, |out| Inspect::threads(k, pid, out)))
    }

    /// [`System::fds`](crate::System::fds) against this model:
    /// `KERN_PROC_FILEDESC`, descriptors only.
    ///
    /// # Errors
    ///
    /// `PermissionDenied` for a process the caller may not debug,
    /// `NoSuchProcess` for an absent or hidden pid; a zombie has none.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, FdBuf, FdKind, Pid};
    /// let mut model = Model::new();
    /// let init = Pid::from_raw(1).unwrap();
    /// model.update(init, |p| p.fds = Some(vec![(0, 2)].into())); // a socket
    /// let mut buf = FdBuf::new();
    /// let fds = model.fds(init, &mut buf).unwrap();
    /// assert_eq!((fds.len(), fds[0].kind), (1, FdKind::Socket));
    /// ```
    pub fn fds<'b>(&mut self, pid: Pid, buf: &'b mut FdBuf) -> Result<&'b [Fd], Error> {
        self.inspect(|k| buf.slots.fill(0, |out| Inspect::fds(k, pid, out)))
    }

    /// [`System::identity`](crate::System::identity) against this model:
    /// the pid and its start time (FreeBSD has no never-reused id).
    ///
    /// # Errors
    ///
    /// As [`info`](Model::info).
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let id = model.identity(Pid::from_raw(1).unwrap()).unwrap();
    /// assert_eq!(id.unique(), None);
    /// assert!(model.is_current(&id).unwrap());
    /// ```
    pub fn identity(&mut self, pid: Pid) -> Result<ProcId, Error> {
        self.inspect(|k| Inspect::identity(k, pid))
    }

    /// [`System::is_current`](crate::System::is_current) against this
    /// model.
    ///
    /// # Errors
    ///
    /// An injected error.
    ///
    /// ```
    /// use pidquery::{model::freebsd::Model, Pid};
    /// let mut model = Model::new();
    /// let c = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
    /// let id = model.identity(c).unwrap();
    /// model.exit(c);
    /// model.reap(c);
    /// assert!(!model.is_current(&id).unwrap());
    /// ```
    pub fn is_current(&mut self, id: &ProcId) -> Result<bool, Error> {
        self.inspect(|k| Inspect::is_current(k, id))
    }
}
