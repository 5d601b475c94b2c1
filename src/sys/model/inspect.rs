//! The engine's per-process entry points over the model: the xnu backend
//! (`sys/xnu/inspect.rs`, `sys/xnu/info.rs`) run through the model's
//! stand-ins into the crate's public types, with the code macOS runs.

use super::abi::MODEL_XNU;
use super::Model;
use crate::sys::xnu::info::{RawInfo, ThreadList};
use crate::sys::{Inspect, Listed};
use crate::{
    Error, Exe as ExePath, ExeBuf, Fd, FdBuf, InfoBuf, Pid, PidQuery, ProcId, ProcInfo, Thread,
    ThreadBuf,
};

impl Model {
    // ---- the engine's per-process entry points ----------------------------

    /// [`System::info`](crate::System::info) against this model, through
    /// the xnu backend macOS runs over libproc: `PROC_PIDTASKALLINFO`,
    /// falling back to the short record for other users' processes and to
    /// the zombie-finding BSD record for zombies.
    ///
    /// # Errors
    ///
    /// `NoSuchProcess` for a pid that names no process;
    /// `PermissionDenied` for a MAC denial; the injected errno.
    ///
    /// ```
    /// use pidquery::model::{Model, Proc};
    /// use pidquery::{Pid, State};
    ///
    /// let mut model = Model::new();
    /// let theirs = Pid::from_raw(300).unwrap();
    /// model.insert(Proc { uid: 0, ..Proc::new(theirs) }.with_name(b"sshd"));
    /// model.set_caller_uid(501);
    /// let info = model.info(theirs).unwrap();
    /// assert_eq!((info.comm.as_bytes(), info.state), (&b"sshd"[..], State::Running));
    /// assert_eq!((info.start, info.threads), (None, None)); // the short record
    /// ```
    pub fn info(&mut self, pid: Pid) -> Result<ProcInfo, Error> {
        self.run(|| Inspect::info(&MODEL_XNU, pid))
    }

    /// [`Query::fill`](crate::Query::fill) against this model, through the
    /// planner as on macOS: the most selective `proc_listpids` filter
    /// drives, one `proc_pidinfo` tests each candidate.
    ///
    /// # Errors
    ///
    /// As [`fill`](Model::fill); `Unsupported` for a command-line
    /// condition.
    ///
    /// ```
    /// use pidquery::{model::Model, Match, Pid, PidBuf, Query};
    /// let mut model = Model::new();
    /// let mut buf = PidBuf::new();
    /// let q = Query::new().euid(0).name(Match::exact("launchd"));
    /// assert_eq!(model.select(&q, &mut buf).unwrap(), [Pid::from_raw(1).unwrap()]);
    /// ```
    pub fn select<'b, const N: usize>(
        &mut self,
        query: &crate::Query<'_>,
        buf: &'b mut crate::PidBuf<N>,
    ) -> Result<&'b [Pid], Error> {
        self.run(|| crate::list::plan::fill(&MODEL_XNU, query, buf))
    }

    /// [`System::infos`](crate::System::infos) against this model.
    ///
    /// # Errors
    ///
    /// As [`fill`](Model::fill) and [`info`](Model::info); a process that
    /// vanishes between the listing and its info is left out.
    ///
    /// ```
    /// use pidquery::{model::Model, InfoBuf, PidQuery};
    /// let mut model = Model::new();
    /// let mut buf = InfoBuf::new();
    /// let all = model.infos(&PidQuery::all(), &mut buf).unwrap();
    /// assert_eq!(all[1].comm, "kernel_task");
    /// ```
    pub fn infos<'b>(
        &mut self,
        query: &PidQuery,
        buf: &'b mut InfoBuf,
    ) -> Result<&'b [ProcInfo], Error> {
        let result = self.run(|| Inspect::infos(&MODEL_XNU, query, buf, crate::list::engine::fill));
        match result {
            Ok(()) => Ok(buf.as_slice()),
            Err(e) => {
                buf.infos.clear();
                Err(e)
            }
        }
    }

    /// [`System::exe`](crate::System::exe) against this model:
    /// `proc_pidpath` with 1024 to 4096 bytes.
    ///
    /// # Errors
    ///
    /// `Os` with `ENOENT` for a deleted executable, or a live process
    /// without one (`kernel_task`); `NoSuchProcess` for a zombie or a
    /// vanished pid.
    ///
    /// ```
    /// use pidquery::{model::Model, ExeBuf, Pid};
    /// let mut model = Model::new();
    /// let mut buf = ExeBuf::new();
    /// let exe = model.exe(Pid::from_raw(1).unwrap(), &mut buf).unwrap();
    /// assert_eq!(exe.as_bytes(), b"/sbin/launchd");
    /// ```
    pub fn exe<'b>(&mut self, pid: Pid, buf: &'b mut ExeBuf) -> Result<ExePath<'b>, Error> {
        self.run(|| buf.fill(|out| Inspect::exe(&MODEL_XNU, pid, out)))
    }

    /// [`System::threads`](crate::System::threads) against this model:
    /// `PROC_PIDLISTTHREADS`'s pthread handles, complete (grown and asked
    /// again while an answer fills the buffer; a zombie has none).
    ///
    /// # Errors
    ///
    /// `PermissionDenied` for another user's process (unless the caller is
    /// root), `NoSuchProcess` for a vanished pid, `Raced` when the budget
    /// is spent.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid, Thread, ThreadBuf};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let t = model.spawn_thread(p).unwrap();
    /// let mut buf = ThreadBuf::new();
    /// assert_eq!(model.threads(p, &mut buf).unwrap()[1], Thread::Handle(t.handle));
    /// ```
    pub fn threads<'b>(&mut self, pid: Pid, buf: &'b mut ThreadBuf) -> Result<&'b [Thread], Error> {
        self.run(|| {
            buf.slots
                .fill(0, |out| Inspect::threads(&MODEL_XNU, pid, out))
        })
    }

    /// [`System::fds`](crate::System::fds) against this model:
    /// `PROC_PIDLISTFDS`, complete.
    ///
    /// # Errors
    ///
    /// As [`threads`](Model::threads).
    ///
    /// ```
    /// use pidquery::model::{xnu, Model};
    /// use pidquery::{FdBuf, FdKind, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// model.open_fd(p, xnu::PROX_FDTYPE_SOCKET);
    /// let mut buf = FdBuf::new();
    /// let fds = model.fds(p, &mut buf).unwrap();
    /// assert_eq!((fds[0].fd, fds[0].kind), (0, FdKind::Socket));
    /// ```
    pub fn fds<'b>(&mut self, pid: Pid, buf: &'b mut FdBuf) -> Result<&'b [Fd], Error> {
        self.run(|| buf.slots.fill(0, |out| Inspect::fds(&MODEL_XNU, pid, out)))
    }

    /// [`System::identity`](crate::System::identity) against this model:
    /// `p_uniqueid`, and the start time where the caller may read it.
    ///
    /// # Errors
    ///
    /// `NoSuchProcess` once reaped.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let id = model.identity(p).unwrap();
    /// assert_eq!(id.unique(), Some(model.get(p).unwrap().uniqueid));
    /// ```
    pub fn identity(&mut self, pid: Pid) -> Result<ProcId, Error> {
        self.run(|| Inspect::identity(&MODEL_XNU, pid))
    }

    /// [`System::is_current`](crate::System::is_current) against this
    /// model.
    ///
    /// # Errors
    ///
    /// A MAC denial or injected error; a vanished pid is `Ok(false)`.
    ///
    /// ```
    /// use pidquery::{model::{Model, Proc}, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let id = model.identity(p).unwrap();
    /// model.exit(p);
    /// assert!(model.is_current(&id).unwrap()); // a zombie is still that process
    /// model.reap(p);
    /// model.insert(Proc::new(p)); // the pid comes back
    /// assert!(!model.is_current(&id).unwrap());
    /// ```
    pub fn is_current(&mut self, id: &ProcId) -> Result<bool, Error> {
        self.run(|| Inspect::is_current(&MODEL_XNU, id))
    }

    /// The raw records the xnu backend's `info` reads ([`RawInfo`]).
    ///
    /// # Errors
    ///
    /// `Os` with the kernel's errno (`ESRCH` for no such process).
    ///
    /// ```
    /// use pidquery::model::{records::Bsd, Model};
    /// let mut model = Model::new();
    /// let raw = model.raw_info(pidquery::Pid::ZERO).unwrap();
    /// assert!(matches!(raw.bsd, Bsd::Full(_)) && raw.task.is_some());
    /// ```
    pub fn raw_info(&mut self, pid: Pid) -> Result<RawInfo, Error> {
        self.run(|| MODEL_XNU.procs().info(pid))
    }

    /// The name `proc_name` gives into `buf` (at least 32 bytes); returns
    /// its length.
    ///
    /// # Errors
    ///
    /// `Truncated { needed: 32 }` for a smaller buffer; `Os` with `EPERM`
    /// for another user's process, `ESRCH` for a zombie or a vanished pid.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let mut buf = [0u8; 32];
    /// let n = model.name(Pid::ZERO, &mut buf).unwrap();
    /// assert_eq!(&buf[..n], b"kernel_task");
    /// ```
    pub fn name(&mut self, pid: Pid, buf: &mut [u8]) -> Result<usize, Error> {
        self.run(|| MODEL_XNU.procs().name(pid, buf))
    }

    /// [`name`](Model::name), or `p_comm` from the short record where
    /// `proc_name` is refused or fails for a zombie; the flag says it is
    /// the short `p_comm`.
    ///
    /// # Errors
    ///
    /// `ESRCH` for a vanished pid.
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// model.set_caller_uid(501);
    /// let mut buf = [0u8; 32];
    /// let (n, short) = model.name_or_comm(Pid::ZERO, &mut buf).unwrap();
    /// assert_eq!((&buf[..n], short), (&b"kernel_task"[..], true));
    /// ```
    pub fn name_or_comm(&mut self, pid: Pid, buf: &mut [u8]) -> Result<(usize, bool), Error> {
        self.run(|| MODEL_XNU.procs().name_or_comm(pid, buf))
    }

    /// The thread ids of `pid` (`PROC_PIDLISTTHREADIDS`), complete, into
    /// `buf`.
    ///
    /// # Errors
    ///
    /// As [`threads`](Model::threads).
    ///
    /// ```
    /// use pidquery::{model::Model, Pid};
    /// let mut model = Model::new();
    /// let p = model.spawn(Pid::ZERO);
    /// let t = model.spawn_thread(p).unwrap();
    /// let mut ids = Vec::new();
    /// assert_eq!(model.thread_ids(p, &mut ids).unwrap()[1], t.id);
    /// ```
    pub fn thread_ids<'b>(&mut self, pid: Pid, buf: &'b mut Vec<u64>) -> Result<&'b [u64], Error> {
        let procs = *MODEL_XNU.procs();
        self.run(|| {
            let mut want = buf.capacity().max(1);
            for _ in 0..crate::MAX_ATTEMPTS {
                buf.clear();
                buf.resize(want, 0);
                match procs.list_threads(pid, ThreadList::Ids, buf)? {
                    Listed::Complete(n) => {
                        buf.truncate(n);
                        return Ok(&buf[..]);
                    }
                    Listed::Full { .. } => {
                        want = crate::sys::growth::grow(want, procs.threads_estimate(pid)?);
                    }
                }
            }
            buf.clear();
            Err(Error::raced(crate::MAX_ATTEMPTS))
        })
    }
}
