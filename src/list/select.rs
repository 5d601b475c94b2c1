//! [`Query`]: a conjunction of conditions, each a set of accepted values,
//! and the ways to run one. The planner (`plan.rs`) answers it.

use std::time::SystemTime;

use crate::list::matches::{self, Matches};
use crate::list::plan;
use crate::{Dev, Error, Match, Namespaces, Pid, PidBuf, Set, States, System};

/// Which of the matches a [`Query`] keeps.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Pick {
    /// Every match.
    #[default]
    All,
    /// Only the one started last (ties: the highest pid), as `pgrep -n`.
    Newest,
    /// Only the one started first (ties: the lowest pid), as `pgrep -o`.
    Oldest,
}

/// A question with several conditions: the processes that satisfy **all**
/// of them, each condition accepting **any** of its values — the shape of
/// a `pgrep` command line. A small `Copy` value that borrows its lists and
/// patterns; building one does no I/O.
///
/// Run it with [`fill`](Query::fill) into a reused [`PidBuf`],
/// [`fill_slice`](Query::fill_slice), or [`iter`](Query::iter) (the `*_in`
/// forms take a [`System`]). One planner answers every query: it drives
/// from the cheapest complete source (the parent's `children` files for
/// [`parent`](Query::parent), the subtree walk for
/// [`descendant_of`](Query::descendant_of), the kernel's own filter on
/// macOS and FreeBSD, else the scan), then tests the other conditions on
/// each candidate cheapest first, reading each kernel file at most once per
/// process and only when a condition needs it; the first condition that
/// fails ends the reads for that process. See the
/// [crate docs](crate#conditions) for what each condition reads and costs.
///
/// The answer has [`PidQuery`](crate::PidQuery)'s guarantees: ascending
/// (on macOS and FreeBSD too), a process that exits meanwhile skipped,
/// never silently short, no allocation per call once the buffer has its
/// working size.
///
/// # Examples
///
/// "The `sleep` processes of this user, children of this process":
///
/// ```
/// use pidquery::{Match, Pid, PidBuf, Query};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut child = std::process::Command::new("sleep").arg("5").spawn()?;
/// let me = Pid::this().info()?;
/// let q = Query::new().parent(Pid::this()).euid(me.euid).name(Match::exact("sleep"));
/// let mut buf = PidBuf::new();
/// # let mut n = 0;
/// # for _ in 0..400 { n = q.fill(&mut buf)?.len(); if n == 1 { break } std::thread::sleep(std::time::Duration::from_millis(5)); }
/// assert_eq!(q.fill(&mut buf)?, [Pid::from(&child)]);
/// child.kill()?;
/// child.wait()?;
/// # Ok(()) }
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct Query<'a> {
    pub(crate) pgrp: Option<Set<'a, Pid>>,
    pub(crate) session: Option<Set<'a, Pid>>,
    pub(crate) tty: Option<Set<'a, Dev>>,
    pub(crate) euid: Option<Set<'a, u32>>,
    pub(crate) ruid: Option<Set<'a, u32>>,
    pub(crate) rgid: Option<Set<'a, u32>>,
    pub(crate) parent: Option<Set<'a, Pid>>,
    pub(crate) descendant_of: Option<Set<'a, Pid>>,
    pub(crate) state: Option<States>,
    pub(crate) name: Option<Match<'a>>,
    pub(crate) cmdline: Option<Match<'a>>,
    pub(crate) same_ns: Option<(Pid, Namespaces)>,
    pub(crate) cgroup: Option<Set<'a, &'a [u8]>>,
    pub(crate) started_before: Option<SystemTime>,
    pub(crate) started_after: Option<SystemTime>,
    pub(crate) except: Option<Pid>,
    pub(crate) negate: bool,
    pub(crate) pick: Pick,
}

impl<'a> Query<'a> {
    /// The query without conditions: every process.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let all = pidquery::Query::new().iter()?.count();
    /// assert!(all >= 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn new() -> Query<'a> {
        Query {
            pgrp: None,
            session: None,
            tty: None,
            euid: None,
            ruid: None,
            rgid: None,
            parent: None,
            descendant_of: None,
            state: None,
            name: None,
            cmdline: None,
            same_ns: None,
            cgroup: None,
            started_before: None,
            started_after: None,
            except: None,
            negate: false,
            pick: Pick::All,
        }
    }

    /// In one of these process groups.
    ///
    /// ```
    /// let q = pidquery::Query::new().pgrp(pidquery::Pid::this());
    /// # let _ = q;
    /// ```
    #[inline]
    pub fn pgrp(self, pgrp: impl Into<Set<'a, Pid>>) -> Self {
        Query {
            pgrp: Some(pgrp.into()),
            ..self
        }
    }

    /// In one of these sessions.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let sid = pidquery::Pid::this().info()?.sid.unwrap();
    /// let mine = pidquery::Query::new().session(sid).iter()?.collect::<Result<Vec<_>, _>>()?;
    /// assert!(mine.contains(&pidquery::Pid::this()));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn session(self, session: impl Into<Set<'a, Pid>>) -> Self {
        Query {
            session: Some(session.into()),
            ..self
        }
    }

    /// With one of these devices as controlling terminal (a process without
    /// one never matches).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let q = pidquery::Query::new().tty(pidquery::Dev::from_raw(0));
    /// assert_eq!(q.iter()?.count(), 0);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn tty(self, tty: impl Into<Set<'a, Dev>>) -> Self {
        Query {
            tty: Some(tty.into()),
            ..self
        }
    }

    /// With one of these **effective** uids.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// assert!(pidquery::Query::new().euid(0).iter()?.next().is_some());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn euid(self, euid: impl Into<Set<'a, u32>>) -> Self {
        Query {
            euid: Some(euid.into()),
            ..self
        }
    }

    /// With one of these real uids.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// assert!(pidquery::Query::new().ruid(0).iter()?.next().is_some());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn ruid(self, ruid: impl Into<Set<'a, u32>>) -> Self {
        Query {
            ruid: Some(ruid.into()),
            ..self
        }
    }

    /// With one of these real gids.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let gid = pidquery::Pid::this().info()?.rgid;
    /// assert!(pidquery::Query::new().rgid(gid).iter()?.next().is_some());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn rgid(self, rgid: impl Into<Set<'a, u32>>) -> Self {
        Query {
            rgid: Some(rgid.into()),
            ..self
        }
    }

    /// Whose (real) parent is one of these.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let siblings = pidquery::Query::new().parent(pidquery::Pid::parent());
    /// assert!(siblings.iter()?.any(|p| p.is_ok_and(|p| p == pidquery::Pid::this())));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn parent(self, parent: impl Into<Set<'a, Pid>>) -> Self {
        Query {
            parent: Some(parent.into()),
            ..self
        }
    }

    /// Below one of these in the tree of real parents (the pids
    /// themselves excluded), as [`PidQuery::descendants`](crate::PidQuery::descendants).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let below_init = pidquery::Query::new().descendant_of(pidquery::Pid::from_raw(1).unwrap());
    /// # let _ = below_init;
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn descendant_of(self, ancestor: impl Into<Set<'a, Pid>>) -> Self {
        Query {
            descendant_of: Some(ancestor.into()),
            ..self
        }
    }

    /// In one of these run states.
    ///
    /// ```
    /// use pidquery::{Query, States};
    /// let stopped = Query::new().state(States::STOPPED | States::TRACING_STOP);
    /// # let _ = stopped;
    /// ```
    #[inline]
    pub fn state(self, states: States) -> Self {
        Query {
            state: Some(states),
            ..self
        }
    }

    /// Whose short name (Linux: `comm`, at most 15 bytes; macOS `p_comm`,
    /// `MAXCOMLEN`; FreeBSD `ki_comm`) matches.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// use pidquery::{Match, Query};
    /// let me = pidquery::Pid::this().info()?.comm;
    /// let q = Query::new().name(Match::exact(me.as_bytes()));
    /// assert!(q.iter()?.any(|p| p.is_ok_and(|p| p == pidquery::Pid::this())));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn name(self, name: Match<'a>) -> Self {
        Query {
            name: Some(name),
            ..self
        }
    }

    /// Whose command line matches, as `ps -o args` shows it: the arguments
    /// joined by single spaces; for a process without one (a kernel thread,
    /// a zombie) its name in brackets, and `" <defunct>"` after a zombie's.
    /// Linux only (elsewhere a query with it fails with
    /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported)).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// use pidquery::{Match, Query};
    /// let kthreadd = Query::new().cmdline(Match::exact("[kthreadd]"));
    /// # let _ = kthreadd;
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn cmdline(self, cmdline: Match<'a>) -> Self {
        Query {
            cmdline: Some(cmdline),
            ..self
        }
    }

    /// In the same namespaces as `pid`, for each of the `kinds` (all of
    /// them, as pgrep's `--ns PID --nslist LIST`): the inode of each
    /// candidate's `/proc/<pid>/ns/<kind>` equals `pid`'s. `pid`'s inodes
    /// are read once per run; a candidate whose link cannot be followed
    /// (another user's process; a zombie's, but for `pid` and `user`)
    /// does not match. When `pid` has exited, or one of its links cannot
    /// be followed because it is a zombie, nothing matches, as nothing is
    /// below a `pid` that does not exist for
    /// [`descendant_of`](Query::descendant_of). A kind the kernel lacks
    /// (`time` before Linux 5.6) matches nothing. An empty `kinds` is no
    /// condition (nothing is read). Linux only (elsewhere a query with
    /// it fails with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported)).
    ///
    /// # Errors
    ///
    /// Running the query fails with
    /// [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied),
    /// naming `pid`, when the caller may not read `pid`'s links (where
    /// pgrep 4.0 would instead match every process whose links it cannot
    /// read either).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// use pidquery::{Namespaces, Pid, Query};
    /// let me = Pid::this();
    /// let q = Query::new().same_namespaces(me, Namespaces::NET | Namespaces::MNT);
    /// assert!(q.iter()?.any(|p| p.is_ok_and(|p| p == me)));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn same_namespaces(self, pid: Pid, kinds: Namespaces) -> Self {
        Query {
            same_ns: Some((pid, kinds)),
            ..self
        }
    }

    /// In one of these cgroup v2 groups, as pgrep's `--cgroup`: the path
    /// on the `0::` line of `/proc/<pid>/cgroup` (relative to the reader's
    /// cgroup namespace, such as `/system.slice/sshd.service`) equals one
    /// of `paths` byte for byte. A process without a `0::` line (cgroup
    /// v1 only) matches nothing. Linux only (elsewhere a query with it
    /// fails with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported)).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let text = std::fs::read("/proc/self/cgroup").unwrap();
    /// let line = text.split(|&b| b == b'\n').find(|l| l.starts_with(b"0::"));
    /// if let Some(path) = line.map(|l| &l[3..]) {
    ///     let q = pidquery::Query::new().cgroup(path);
    ///     assert!(q.iter()?.any(|p| p.is_ok_and(|p| p == pidquery::Pid::this())));
    /// }
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn cgroup(self, paths: impl Into<Set<'a, &'a [u8]>>) -> Self {
        Query {
            cgroup: Some(paths.into()),
            ..self
        }
    }

    /// Started strictly before `time` (wall clock; Linux counts from the
    /// boot time in whole seconds, as `ps` does).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(3600 * 24 * 365 * 50);
    /// assert_eq!(pidquery::Query::new().started_before(earlier).iter()?.count(), 0);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn started_before(self, time: SystemTime) -> Self {
        Query {
            started_before: Some(time),
            ..self
        }
    }

    /// Started strictly after `time`.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    /// assert_eq!(pidquery::Query::new().started_after(later).iter()?.count(), 0);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn started_after(self, time: SystemTime) -> Self {
        Query {
            started_after: Some(time),
            ..self
        }
    }

    /// Never this pid, whatever else holds (and before [`negate`](Query::negate)
    /// and [`newest`](Query::newest) apply): `pgrep` leaves itself out so.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let me = pidquery::Pid::this();
    /// let others = pidquery::Query::new().except(me);
    /// assert!(!others.iter()?.any(|p| p.is_ok_and(|p| p == me)));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn except(self, pid: Pid) -> Self {
        Query {
            except: Some(pid),
            ..self
        }
    }

    /// The processes that do **not** satisfy the conditions (`pgrep -v`).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let not_root = pidquery::Query::new().euid(0).negate();
    /// # let _ = not_root.iter()?.count();
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn negate(self) -> Self {
        Query {
            negate: !self.negate,
            ..self
        }
    }

    /// Only the match started last (ties: the highest pid).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// assert_eq!(pidquery::Query::new().newest().iter()?.count(), 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn newest(self) -> Self {
        Query {
            pick: Pick::Newest,
            ..self
        }
    }

    /// Only the match started first (ties: the lowest pid).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let first = pidquery::Query::new().oldest().iter()?.next().transpose()?;
    /// assert!(first.is_some());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn oldest(self) -> Self {
        Query {
            pick: Pick::Oldest,
            ..self
        }
    }

    /// Whether the euid condition accepts `uid` (true without one).
    ///
    /// ```
    /// assert!(pidquery::Query::new().accepts_euid(42));
    /// ```
    #[inline]
    pub fn accepts_euid(&self, uid: u32) -> bool {
        self.euid.is_none_or(|s| s.contains(uid))
    }

    /// Which matches are kept.
    ///
    /// ```
    /// use pidquery::{Pick, Query};
    /// assert_eq!(Query::new().oldest().pick(), Pick::Oldest);
    /// ```
    #[inline]
    pub fn pick(&self) -> Pick {
        self.pick
    }

    /// Runs the query on the live system into `buf` (grown as needed) and
    /// returns the complete answer, ascending.
    ///
    /// # Errors
    ///
    /// As [`PidQuery::fill`](crate::PidQuery::fill).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut buf = pidquery::PidBuf::new();
    /// let q = pidquery::Query::new().parent(pidquery::Pid::parent());
    /// assert!(q.fill(&mut buf)?.contains(&pidquery::Pid::this()));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn fill<'b, const N: usize>(&self, buf: &'b mut PidBuf<N>) -> Result<&'b [Pid], Error> {
        self.fill_in(System::live()?, buf)
    }

    /// [`fill`](Query::fill) against `system`.
    ///
    /// # Errors
    ///
    /// As [`System::fill`].
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let system = pidquery::System::live()?;
    /// let mut buf = pidquery::PidBuf::new();
    /// assert!(!pidquery::Query::new().fill_in(system, &mut buf)?.is_empty());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn fill_in<'b, const N: usize>(
        &self,
        system: &System,
        buf: &'b mut PidBuf<N>,
    ) -> Result<&'b [Pid], Error> {
        plan::fill(&system.backend, self, buf)
    }

    /// Runs the query into caller-supplied storage; never allocates.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Truncated`](crate::ErrorKind::Truncated) with a size that
    /// holds the answer when it does not fit (the candidates of a
    /// [`parent`](Query::parent) or [`descendant_of`](Query::descendant_of)
    /// query must fit before they are tested); otherwise as
    /// [`fill`](Query::fill).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut one = [pidquery::Pid::ZERO; 1];
    /// let n = pidquery::Query::new().oldest().fill_slice(&mut one)?;
    /// assert_eq!(n, 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn fill_slice(&self, out: &mut [Pid]) -> Result<usize, Error> {
        self.fill_slice_in(System::live()?, out)
    }

    /// [`fill_slice`](Query::fill_slice) against `system`.
    ///
    /// # Errors
    ///
    /// As [`fill_slice`](Query::fill_slice).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let mut room = [pidquery::Pid::ZERO; 4];
    /// let q = pidquery::Query::new().newest();
    /// assert_eq!(q.fill_slice_in(pidquery::System::live()?, &mut room)?, 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn fill_slice_in(&self, system: &System, out: &mut [Pid]) -> Result<usize, Error> {
        plan::fill_slice(&system.backend, self, out)
    }

    /// Runs the query once, one pid at a time, ascending. On Linux a
    /// query the scan drives streams it (an early exit stops the scan, and
    /// nothing is allocated); one driven by `children` files or a subtree
    /// walk lists the candidates into the iterator's own storage, tests
    /// them and yields them (falling back to the stream when they do not
    /// fit). Elsewhere it fills once and iterates.
    ///
    /// # Errors
    ///
    /// As [`fill`](Query::fill) for what fails before the first pid; later
    /// errors are the last item.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let me = pidquery::Pid::this();
    /// let q = pidquery::Query::new().session(me.info()?.sid.unwrap());
    /// assert!(q.iter()?.any(|p| p.is_ok_and(|p| p == me)));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn iter(&self) -> Result<Matches<'a>, Error> {
        self.iter_in(System::live()?)
    }

    /// [`iter`](Query::iter) against `system`.
    ///
    /// # Errors
    ///
    /// As [`iter`](Query::iter).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// let n = pidquery::Query::new().iter_in(pidquery::System::live()?)?.count();
    /// assert!(n >= 1);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn iter_in(&self, system: &System) -> Result<Matches<'a>, Error> {
        matches::iter(&system.backend, self)
    }
}
