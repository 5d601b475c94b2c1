//! The planner's Linux side: the scan as a stream of pids, and a reader
//! that reads each of a candidate's files (`stat`, `status`, `cmdline`,
//! the owner of its directory; its `ns/` links and `cgroup` file in
//! `select_ns.rs`) at most once, and only when a condition asks.
//!
//! When a query may read two sources of one process or more, the reads are
//! bound to one process even if its pid is reused in between: with an
//! euid condition the owner is read first by name, the files by path, and
//! a last lookup must find the inode the owner was read from (`finish`;
//! a `stat` read before the owner, when the planner checks it first, is
//! read again after it);
//! otherwise the reader opens the process's directory once (`O_PATH`) and
//! reads through it (`info.rs` explains why either binds). With one source
//! it reads `<pid>/<file>` directly.
//!
//! The real ids come from `PIDFD_GET_INFO` where it answers (`pidfd.rs`),
//! bound as a file is: by `finish` after an euid read by name; through
//! the bound directory by opening the pidfd first, then the directory,
//! then asking (an answer proves the pidfd's process lived on after the
//! directory was opened, when it held the pid: the directory's), or, when
//! the directory was opened earlier, by a read through it after the
//! answer (the directory's process still lived after the pidfd was
//! opened, so held the pid then); the answer alone with one source.
//!
//! The effective uid is the directory's owner, except that a task reaped
//! during the `fstatat` reads as owned by the reaped-task owner (root, or
//! the overflow uid): such a reading is confirmed, by a read through the
//! bound directory or by `confirm_owner` (`scan.rs`).

use core::cell::RefCell;
use core::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::pidfd::{self, PidfdAnswer};
use super::select_ns::NsRef;
use super::syscalls::{fstat, openat, read, stat_at};
use super::{reread, vanished, ProcFs};
use crate::list::plan::{Got, IdFacts, Reader, Select, StatFacts};
use crate::parse;
use crate::{Comm, Dev, Errno, Error, ErrorKind, Match, Pid, Query, Set, State};

/// Bytes of `stat` read: the longest record is under 1300 bytes.
const STAT_BUF: usize = 2048;
/// Bytes of `status` read: the id lines come within the first 600.
const STATUS_BUF: usize = 1024;
/// Room a command line starts with: 128 KiB, the most one argument may
/// hold (`MAX_ARG_STRLEN`), which nearly every whole command line fits in,
/// so that a longer one appearing later rarely makes a query grow the
/// buffer (it is the thread's, and grows to the longest command line read).
const CMDLINE_START: usize = 128 * 1024;

thread_local! {
    /// The command line being matched: kept per thread so that, once grown,
    /// matching allocates nothing.
    static CMDLINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The Linux candidate reader.
#[derive(Debug)]
pub(crate) struct ProcReader {
    pub(super) fs: ProcFs,
    pub(super) pid: Pid,
    /// Read through one `O_PATH` descriptor of the process's directory.
    bind: bool,
    dir: Option<OwnedFd>,
    /// The owner a task reaped mid-`fstatat` reads as.
    reaped_owner: Option<u32>,
    /// The inode of `/proc/<pid>` the euid was read from (unbound reads).
    euid_ino: Option<libc::ino_t>,
    /// That reading showed the reaped-task owner: confirm it.
    euid_unconfirmed: bool,
    /// A file of the candidate was read by path after the euid.
    read_by_path: bool,
    /// The real ids are asked of `PIDFD_GET_INFO` first.
    pidfd: bool,
    /// They were, on a pidfd opened after the bound directory, and no
    /// read through the directory has succeeded since (`finish`).
    ids_unbound: bool,
    euid: Option<u32>,
    stat: Option<StatFacts>,
    ids: Option<IdFacts>,
    /// The reference of a namespace condition, read once per run.
    pub(super) ns: Option<NsRef>,
}

impl ProcReader {
    pub(super) fn new(fs: &ProcFs, q: &Query<'_>) -> Result<ProcReader, Error> {
        let stat = q.pgrp.is_some()
            || q.session.is_some()
            || q.tty.is_some()
            || q.parent.is_some()
            || q.descendant_of.is_some()
            || q.state.is_some()
            || q.name.is_some()
            || q.started_before.is_some()
            || q.started_after.is_some()
            || q.pick != crate::Pick::All
            || q.cmdline.is_some();
        let status = q.ruid.is_some() || q.rgid.is_some();
        // A link or `cgroup` that cannot be read is told from a vanished
        // process by `stat`: two sources each.
        let sources = usize::from(q.euid.is_some())
            + usize::from(stat)
            + usize::from(status)
            + usize::from(q.cmdline.is_some())
            + 2 * usize::from(q.same_ns.is_some() || q.cgroup.is_some());
        let reaped_owner = match q.euid {
            Some(_) => Some(
                fstat(fs.root.as_fd())
                    .map_err(|e| fs.err("fstat", e))?
                    .st_uid,
            ),
            None => None,
        };
        Ok(ProcReader {
            fs: fs.clone(),
            pid: Pid::ZERO,
            // With an euid condition, the owner is read first by name (one
            // `fstatat` rules most processes out) and the other reads are
            // bound to it by a last lookup of the same inode (`finish`).
            bind: sources >= 2 && q.euid.is_none(),
            dir: None,
            reaped_owner,
            euid_ino: None,
            euid_unconfirmed: false,
            read_by_path: false,
            pidfd: status && fs.pidfd_answers(),
            ids_unbound: false,
            euid: None,
            stat: None,
            ids: None,
            ns: NsRef::resolve(fs, q)?,
        })
    }

    pub(super) fn per_pid(&self, op: &'static str, errno: Errno) -> Error {
        self.fs.err(op, errno).with_pid(self.pid)
    }

    /// The bound directory, opened on first use; `None` when gone.
    fn dir(&mut self) -> Result<Option<BorrowedFd<'_>>, Error> {
        if self.dir.is_none() {
            let mut path = [0u8; parse::PID_PATH_MAX];
            let name = parse::pid_path(self.pid, b"", &mut path).ok_or_else(|| self.gone())?;
            match openat(self.fs.root.as_fd(), name, libc::O_PATH | libc::O_DIRECTORY) {
                Ok(fd) => self.dir = Some(fd),
                Err(errno) if vanished(errno) => return Ok(None),
                Err(errno) => return Err(self.per_pid("open", errno)),
            }
        }
        Ok(self.dir.as_ref().map(|fd| fd.as_fd()))
    }

    fn gone(&self) -> Error {
        Error::new(ErrorKind::Malformed, "pid path").with_pid(self.pid)
    }

    /// Calls `call` on `file` of the candidate, bound to it: through the
    /// bound directory, or as `<pid>/<file>` under the proc root (then
    /// `finish` checks the binding). `None` when the bound directory is
    /// gone; else the call's own result.
    pub(super) fn at<T>(
        &mut self,
        file: &CStr,
        call: impl FnOnce(BorrowedFd<'_>, &CStr) -> Result<T, Errno>,
    ) -> Result<Option<Result<T, Errno>>, Error> {
        if self.bind {
            let Some(dir) = self.dir()? else {
                return Ok(None);
            };
            let got = call(dir, file);
            // Found through the directory: its process lives (a lookup
            // under a reaped task's directory fails, `pid_revalidate`).
            if got.is_ok() {
                self.ids_unbound = false;
            }
            return Ok(Some(got));
        }
        let mut path = [0u8; parse::PID_PATH_MAX];
        let name =
            parse::pid_path(self.pid, file.to_bytes(), &mut path).ok_or_else(|| self.gone())?;
        self.read_by_path = true;
        Ok(Some(call(self.fs.root.as_fd(), name)))
    }

    /// Opens `file` of the candidate ([`at`](Self::at)); `None` when it
    /// vanished or is hidden ([`lost`](Self::lost)).
    pub(super) fn open(&mut self, file: &CStr, op: &'static str) -> Result<Option<OwnedFd>, Error> {
        match self.at(file, |dir, name| openat(dir, name, 0))? {
            None => Ok(None),
            Some(Ok(fd)) => Ok(Some(fd)),
            Some(Err(errno)) if vanished(errno) => self.lost(op, errno),
            Some(Err(errno)) => Err(self.per_pid(op, errno)),
        }
    }

    /// Reads `file` of the candidate into `buf` until end of file or `buf`
    /// is full; `None` when it vanished or is hidden.
    fn read_file<'b>(
        &mut self,
        file: &CStr,
        buf: &'b mut [u8],
        op: &'static str,
    ) -> Result<Option<&'b [u8]>, Error> {
        let Some(fd) = self.open(file, op)? else {
            return Ok(None);
        };
        match read_all(fd.as_fd(), buf, true) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(errno) if vanished(errno) => self.lost(op, errno),
            Err(errno) => Err(self.per_pid(op, errno)),
        }
    }

    /// After `errno` on a file of the candidate, read by `op`: `Ok(None)`
    /// when it is gone (a new lookup of `<pid>` fails) or hidden; "kept
    /// changing" ([`ErrorKind::Raced`]) when `<pid>` still resolves, as it
    /// does when the file was bound to the old leader of an exec from a
    /// thread (`read_pid_file` in `mod.rs`), never a live process left
    /// out.
    fn lost<T>(&self, op: &'static str, errno: Errno) -> Got<T> {
        let root = self.fs.root.as_fd();
        if super::gone(errno)
            && super::pid_resolves(root, self.pid).map_err(|e| self.per_pid("open", e))?
        {
            return Err(self.fs.per_pid(op, self.pid, super::CHANGING));
        }
        Ok(None)
    }

    /// The first reading of `stat` that is not a released task's.
    fn read_stat(&mut self) -> Got<StatFacts> {
        let mut buf = [0u8; STAT_BUF];
        // A released task's record is read again (`reread.rs`): the
        // process, its new leader, or nothing.
        let read = reread::unreleased_stat(&mut buf, |buf| {
            self.read_file(c"stat", buf, "read stat")
                .map(|text| text.map(<[u8]>::len))
        })?;
        let bytes = match read {
            reread::Reread::Record(bytes) => bytes,
            reread::Reread::Gone => return Ok(None),
            reread::Reread::Changing => {
                return Err(self.fs.per_pid("read stat", self.pid, super::CHANGING))
            }
        };
        let rec = parse::stat_record(bytes).ok_or_else(|| self.fs.malformed(self.pid, "stat"))?;
        let (Some(pgrp), Some(session)) = (Pid::from_raw(rec.pgrp), Pid::from_raw(rec.session))
        else {
            return Ok(None);
        };
        let ppid = Pid::from_raw(rec.ppid).ok_or_else(|| self.fs.malformed(self.pid, "stat"))?;
        let comm = Comm::new(rec.comm).ok_or_else(|| self.fs.malformed(self.pid, "stat"))?;
        Ok(Some(StatFacts {
            ppid,
            pgrp,
            session: Some(session),
            tty: (rec.tty_nr != 0).then(|| Dev::from_raw(u64::from(rec.tty_nr as u32))),
            state: State::from_letter(rec.state),
            comm,
            start: self.fs.start_of(rec.starttime),
        }))
    }

    /// Whether a reading of the reaped-task owner is the process's own.
    fn confirm(&mut self, uid: u32, ino: libc::ino_t) -> Got<bool> {
        if self.bind {
            // A later read through the same directory finds the process:
            // it existed after the reading, which was then its own.
            return Ok(self.stat()?.map(|_| true));
        }
        let mut path = [0u8; parse::PID_PATH_MAX];
        let name = parse::pid_path(self.pid, b"", &mut path).ok_or_else(|| self.gone())?;
        self.fs
            .confirm_owner(self.fs.root.as_fd(), self.pid, name, uid, Some(ino))
    }
}

impl Reader for ProcReader {
    fn begin(&mut self, pid: Pid) {
        self.pid = pid;
        self.dir = None;
        self.euid_ino = None;
        self.euid_unconfirmed = false;
        self.read_by_path = false;
        self.ids_unbound = false;
        self.euid = None;
        self.stat = None;
        self.ids = None;
    }

    fn owner_late(&self, euids: Set<'_, u32>) -> bool {
        // A reading of the reaped-task owner costs a second lookup.
        !self.bind && self.reaped_owner.is_some_and(|uid| euids.contains(uid))
    }

    fn euid(&mut self) -> Got<u32> {
        if let Some(euid) = self.euid {
            return Ok(Some(euid));
        }
        let st = if self.bind {
            let Some(dir) = self.dir()? else {
                return Ok(None);
            };
            fstat(dir)
        } else {
            let mut path = [0u8; parse::PID_PATH_MAX];
            let name = parse::pid_path(self.pid, b"", &mut path).ok_or_else(|| self.gone())?;
            stat_at(self.fs.root.as_fd(), name, libc::AT_SYMLINK_NOFOLLOW)
        };
        let st = match st {
            Ok(st) => st,
            Err(errno) if vanished(errno) => return Ok(None),
            Err(errno) => return Err(self.per_pid("fstatat", errno)),
        };
        if self.bind {
            if Some(st.st_uid) == self.reaped_owner
                && self.confirm(st.st_uid, st.st_ino)? != Some(true)
            {
                return Ok(None);
            }
        } else {
            // Confirmed (and the later reads bound to it) in `finish`; a
            // `stat` read before it is not bound to it: read it again.
            self.stat = None;
            self.euid_ino = Some(st.st_ino);
            self.euid_unconfirmed = Some(st.st_uid) == self.reaped_owner;
        }
        self.euid = Some(st.st_uid);
        Ok(Some(st.st_uid))
    }

    fn stat(&mut self) -> Got<StatFacts> {
        if self.stat.is_none() {
            self.stat = self.read_stat()?;
        }
        Ok(self.stat)
    }

    fn ids(&mut self) -> Got<IdFacts> {
        if self.ids.is_none() && self.pidfd {
            match self.ask_pidfd()? {
                PidfdAnswer::Info(info) => {
                    self.ids = Some(IdFacts {
                        ruid: info.ruid,
                        rgid: info.rgid,
                    });
                }
                PidfdAnswer::Gone => return Ok(None),
                PidfdAnswer::Fallback => {}
            }
        }
        if self.ids.is_none() {
            let mut buf = [0u8; STATUS_BUF];
            let Some(bytes) = self.read_file(c"status", &mut buf, "read status")? else {
                return Ok(None);
            };
            let ids =
                parse::status_ids(bytes).ok_or_else(|| self.fs.malformed(self.pid, "status"))?;
            self.ids = Some(IdFacts {
                ruid: ids.uid.real,
                rgid: ids.gid.real,
            });
        }
        Ok(self.ids)
    }

    fn cmdline(&mut self, m: &Match<'_>) -> Got<bool> {
        let cell = CMDLINE.with(|c| c.take());
        let mut text = cell;
        let got = self.cmdline_into(&mut text, m);
        CMDLINE.with(|c| c.replace(text));
        got
    }

    fn namespaces(&mut self) -> Got<bool> {
        self.same_namespaces()
    }

    fn cgroup(&mut self, paths: &Set<'_, &[u8]>) -> Got<bool> {
        self.in_cgroup(paths)
    }

    fn parent_of(&mut self, pid: Pid) -> Got<Pid> {
        let mut buf = [0u8; STAT_BUF];
        let Some(bytes) = super::read_pid_file(self.fs.root.as_fd(), pid, b"stat", &mut buf)
            .map_err(|e| self.fs.err("read stat", e).with_pid(pid))?
        else {
            return Ok(None);
        };
        let s = parse::stat(bytes).ok_or_else(|| self.fs.malformed(pid, "stat"))?;
        Ok(Pid::from_raw(s.ppid))
    }

    fn finish(&mut self) -> Got<()> {
        if self.ids_unbound {
            // The directory's process still lives after the pidfd was
            // opened: it held the pid then, so the pidfd was its own.
            let Some(dir) = self.dir.as_ref() else {
                return Ok(None);
            };
            match stat_at(dir.as_fd(), c"stat", libc::AT_SYMLINK_NOFOLLOW) {
                Ok(_) => self.ids_unbound = false,
                Err(errno) if vanished(errno) => return Ok(None),
                Err(errno) => return Err(self.per_pid("fstatat", errno)),
            }
        }
        let Some(ino) = self.euid_ino else {
            return Ok(Some(()));
        };
        if self.read_by_path {
            // `/proc/<pid>` found again with the inode the owner was read
            // from: the process existed from that reading to now, so every
            // file read in between was its own (a reaped process's entry
            // is never found again, `pid_revalidate`), and the owner read
            // was real.
            let mut path = [0u8; parse::PID_PATH_MAX];
            let name = parse::pid_path(self.pid, b"", &mut path).ok_or_else(|| self.gone())?;
            return match stat_at(self.fs.root.as_fd(), name, libc::AT_SYMLINK_NOFOLLOW) {
                Ok(st) if st.st_ino == ino => Ok(Some(())),
                Ok(_) => Ok(None),
                Err(errno) if vanished(errno) => Ok(None),
                Err(errno) => Err(self.per_pid("fstatat", errno)),
            };
        }
        if self.euid_unconfirmed {
            let uid = self.euid.unwrap_or(0);
            return Ok((self.confirm(uid, ino)? == Some(true)).then_some(()));
        }
        Ok(Some(()))
    }
}

impl ProcReader {
    /// Asks `PIDFD_GET_INFO` about the candidate, bound to it as the
    /// module docs say.
    fn ask_pidfd(&mut self) -> Result<PidfdAnswer, Error> {
        let fd = match pidfd::open(self.pid) {
            Ok(fd) => fd,
            Err(answer) => return Ok(answer),
        };
        if !self.bind {
            // One source, or bound by `finish` as a file read by path.
            self.read_by_path = true;
            return Ok(pidfd::ask(fd.as_fd(), self.pid));
        }
        let opened_before = self.dir.is_some();
        if self.dir()?.is_none() {
            return Ok(PidfdAnswer::Gone);
        }
        let answer = pidfd::ask(fd.as_fd(), self.pid);
        if opened_before && matches!(answer, PidfdAnswer::Info(_)) {
            self.ids_unbound = true;
        }
        Ok(answer)
    }

    /// Reads the command line into `text` (the thread's buffer) and
    /// matches it as `ps -o args` shows it. The buffer keeps its whole
    /// length between calls (zeroed once, when it grows), so that a read
    /// does not clear 128 KiB first; `used` is this process's part of it.
    fn cmdline_into(&mut self, text: &mut Vec<u8>, m: &Match<'_>) -> Got<bool> {
        if text.len() < CMDLINE_START {
            text.resize(CMDLINE_START, 0);
        }
        let Some(fd) = self.open(c"cmdline", "open cmdline")? else {
            return Ok(None);
        };
        let mut used = 0;
        loop {
            if used == text.len() {
                text.resize(text.len() * 2, 0);
            }
            let spare = text.get_mut(used..).unwrap_or_default();
            let n = match read(fd.as_fd(), spare) {
                Ok(n) => n,
                Err(errno) if vanished(errno) => return self.lost("read cmdline", errno),
                Err(errno) => return Err(self.per_pid("read cmdline", errno)),
            };
            used += n;
            if n == 0 {
                break;
            }
        }
        while used > 0 && text.get(used - 1) == Some(&0) {
            used -= 1;
        }
        if used == 0 {
            // No command line (a kernel thread, a zombie): `[name]`, and
            // ` <defunct>` after a zombie's, as ps shows it.
            let Some(s) = self.stat()? else {
                return Ok(None);
            };
            let defunct: &[u8] = if s.state == State::Zombie {
                b" <defunct>"
            } else {
                b""
            };
            for part in [b"[", s.comm.as_bytes(), b"]", defunct] {
                // `[comm] <defunct>` is far shorter than the buffer.
                if let Some(to) = text.get_mut(used..used + part.len()) {
                    to.copy_from_slice(part);
                    used += part.len();
                }
            }
        } else {
            for b in text.iter_mut().take(used) {
                if *b == 0 {
                    *b = b' ';
                }
            }
        }
        Ok(Some(m.is_match(text.get(..used).unwrap_or_default())))
    }
}

/// Reads `fd` into `buf` until end of file or `buf` is full; with
/// `single` (a one-record seq file), a short read is the end.
fn read_all<'b>(fd: BorrowedFd<'_>, buf: &'b mut [u8], single: bool) -> Result<&'b [u8], Errno> {
    let mut filled = 0;
    while let Some(spare) = buf.get_mut(filled..).filter(|s| !s.is_empty()) {
        let n = read(fd, spare)?;
        filled += n;
        if n == 0 || (single && n < spare.len()) {
            break;
        }
    }
    Ok(buf.get(..filled).unwrap_or_default())
}

impl Select for ProcFs {
    type Reader<'s> = ProcReader;

    fn reader(&self, query: &Query<'_>) -> Result<ProcReader, Error> {
        ProcReader::new(self, query)
    }

    fn kernel_filters(&self) -> bool {
        false
    }

    fn ascending(&self) -> bool {
        true
    }

    fn scan(&self, each: &mut dyn FnMut(Pid) -> Result<(), Error>) -> Option<Result<(), Error>> {
        Some(self.scan_pids(each))
    }
}

impl ProcFs {
    /// Every pid of the proc root, ascending, through `each`.
    fn scan_pids(&self, each: &mut dyn FnMut(Pid) -> Result<(), Error>) -> Result<(), Error> {
        let lease = self.lease()?;
        self.each_process(lease.fd(), |pid, _| each(pid))
    }
}
