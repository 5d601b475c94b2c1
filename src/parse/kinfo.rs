//! `struct kinfo_proc` records (`sys/sys/user.h`), as FreeBSD's
//! `sysctl kern.proc.*` returns them: an array of fixed-size records, each
//! starting with its own size (`ki_structsize`).
//!
//! The records are read field by field from bytes, at the offsets of a
//! [`KinfoLayout`], in native byte order: no cast of kernel bytes to a
//! struct, so no alignment or validity assumption, and any byte string is
//! either parsed or rejected with a [`KinfoError`].

use core::fmt;
use core::iter::FusedIterator;

/// `NODEV` (`(dev_t)-1`): the `ki_tdev` of a process without a controlling
/// terminal.
pub const NODEV: u64 = u64::MAX;

/// Where the fields this crate reads sit in one `struct kinfo_proc`, and the
/// record's size.
///
/// [`KinfoLayout::LP64`] is the layout of every 64-bit FreeBSD 12 and later
/// (amd64, arm64, riscv64, powerpc64: `KINFO_PROC_SIZE` 1088); on FreeBSD
/// itself the backend takes the layout from the `libc` crate's
/// `kinfo_proc`, so 32-bit targets read their own.
///
/// ```
/// use pidquery::parse::KinfoLayout;
/// assert_eq!(KinfoLayout::LP64.size(), 1088);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KinfoLayout {
    pub(crate) size: usize,
    pub(crate) pid: usize,
    pub(crate) ppid: usize,
    pub(crate) pgid: usize,
    pub(crate) tpgid: usize,
    pub(crate) sid: usize,
    pub(crate) tsid: usize,
    pub(crate) uid: usize,
    pub(crate) ruid: usize,
    pub(crate) svuid: usize,
    pub(crate) rgid: usize,
    pub(crate) svgid: usize,
    /// `ki_groups`: the effective gid first (`cr_groups[0]`).
    pub(crate) groups: usize,
    /// `ki_start.tv_sec`, `sizeof(time_t)` bytes.
    pub(crate) start_sec: usize,
    pub(crate) start_sec_width: usize,
    /// `ki_start.tv_usec`, `sizeof(suseconds_t)` bytes.
    pub(crate) start_usec: usize,
    pub(crate) start_usec_width: usize,
    pub(crate) flag: usize,
    /// `sizeof(long)`: 8 on LP64, 4 on ILP32.
    pub(crate) flag_width: usize,
    /// `ki_kiflag` (a `long`, `flag_width` bytes).
    pub(crate) kiflag: usize,
    pub(crate) stat: usize,
    /// `ki_nice`: a `signed char`.
    pub(crate) nice: usize,
    pub(crate) comm: usize,
    pub(crate) tdev: usize,
    /// `sizeof(ki_tdev)`: 8 since FreeBSD 12 (4 in the `freebsd11` ABI).
    pub(crate) tdev_width: usize,
    pub(crate) jid: usize,
    pub(crate) numthreads: usize,
    pub(crate) tid: usize,
}

impl KinfoLayout {
    /// `struct kinfo_proc` on 64-bit FreeBSD 12 and later (`KINFO_PROC_SIZE`
    /// 1088 in `machine/proc.h` of amd64 and arm64; the same offsets in the
    /// `libc` crate's `freebsd12` to `freebsd15` definitions).
    pub const LP64: KinfoLayout = KinfoLayout {
        size: 1088,
        pid: 72,
        ppid: 76,
        pgid: 80,
        tpgid: 84,
        sid: 88,
        tsid: 92,
        uid: 168,
        ruid: 172,
        svuid: 176,
        rgid: 180,
        svgid: 184,
        groups: 192,
        start_sec: 336,
        start_sec_width: 8,
        start_usec: 344,
        start_usec_width: 8,
        flag: 368,
        flag_width: 8,
        kiflag: 376,
        stat: 388,
        nice: 389,
        comm: 447,
        tdev: 560,
        tdev_width: 8,
        jid: 592,
        numthreads: 596,
        tid: 600,
    };

    /// The size of one record (`ki_structsize`).
    ///
    /// ```
    /// assert_eq!(pidquery::parse::KinfoLayout::LP64.size(), 1088);
    /// ```
    #[inline]
    pub const fn size(&self) -> usize {
        self.size
    }
}

/// The fields of one `struct kinfo_proc` this crate reads.
///
/// ```
/// use pidquery::parse::{kinfo_proc, KinfoLayout, NODEV};
///
/// let layout = KinfoLayout::LP64;
/// let mut record = vec![0u8; layout.size()];
/// record[..4].copy_from_slice(&1088i32.to_ne_bytes());
/// record[72..76].copy_from_slice(&42i32.to_ne_bytes()); // ki_pid
/// record[560..568].copy_from_slice(&NODEV.to_ne_bytes()); // ki_tdev
/// let k = kinfo_proc(&record, &layout).unwrap();
/// assert_eq!((k.pid, k.tdev, k.comm()), (42, NODEV, &b""[..]));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KinfoProc {
    /// `ki_pid`.
    pub pid: i32,
    /// `ki_ppid`: the real parent (`p_oppid`), also while traced; 0 for pid 0.
    pub ppid: i32,
    /// `ki_pgid`: the process group.
    pub pgid: i32,
    /// `ki_tpgid`: the terminal's foreground group (100000, `NO_PID`, when it
    /// has none; 0 without a controlling terminal).
    pub tpgid: i32,
    /// `ki_sid`: the session.
    pub sid: i32,
    /// `ki_tsid`: the terminal's session (0 without a controlling terminal).
    pub tsid: i32,
    /// `ki_uid`: the effective uid.
    pub uid: u32,
    /// `ki_ruid`: the real uid.
    pub ruid: u32,
    /// `ki_svuid`: the saved uid.
    pub svuid: u32,
    /// `ki_rgid`: the real gid.
    pub rgid: u32,
    /// `ki_svgid`: the saved gid.
    pub svgid: u32,
    /// `ki_groups[0]`: the effective gid.
    pub egid: u32,
    /// `ki_start.tv_sec`: when the process started, seconds since the epoch
    /// (`p_start` plus the boot time).
    pub start_sec: i64,
    /// `ki_start.tv_usec`: the microseconds of the start time.
    pub start_usec: i64,
    /// `ki_kiflag`: `KI_CTTY` 0x1 (the session still holds its terminal's
    /// vnode: `s_ttyvp`), `KI_SLEADER` 0x2 (a session leader).
    pub kiflag: i64,
    /// `ki_nice`.
    pub nice: i8,
    /// `ki_flag`: `p_flag` (`P_CONTROLT` 0x2, `P_SYSTEM` 0x200, `P_WEXIT`
    /// 0x2000, `P_JAILED` 0x1000000, …).
    pub flag: i64,
    /// `ki_stat`: `SIDL` 1, `SRUN` 2, `SSLEEP` 3, `SSTOP` 4, `SZOMB` 5,
    /// `SWAIT` 6, `SLOCK` 7.
    pub stat: u8,
    /// `ki_comm`: the command name, NUL-padded (see [`comm`](KinfoProc::comm)).
    pub comm_raw: [u8; 20],
    /// `ki_tdev`: the controlling terminal's device, [`NODEV`] without one.
    pub tdev: u64,
    /// `ki_jid`: the jail id (0 unless jailed in a jail other than the
    /// caller's).
    pub jid: i32,
    /// `ki_numthreads`.
    pub numthreads: i32,
    /// `ki_tid`: the thread this record describes.
    pub tid: i32,
}

impl KinfoProc {
    /// The command name: `ki_comm` up to its first NUL.
    ///
    /// ```
    /// # use pidquery::parse::{kinfo_proc, KinfoLayout};
    /// # let layout = KinfoLayout::LP64;
    /// # let mut record = vec![0u8; layout.size()];
    /// # record[..4].copy_from_slice(&1088i32.to_ne_bytes());
    /// record[447..451].copy_from_slice(b"init");
    /// assert_eq!(kinfo_proc(&record, &layout).unwrap().comm(), b"init");
    /// ```
    pub fn comm(&self) -> &[u8] {
        let end = self
            .comm_raw
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.comm_raw.len());
        self.comm_raw.get(..end).unwrap_or_default()
    }
}

/// Why kernel bytes are not an array of [`KinfoProc`] records.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KinfoError {
    /// The byte count is not a whole number of records.
    Ragged {
        /// Bytes given.
        len: usize,
        /// The layout's record size.
        size: usize,
    },
    /// A record's `ki_structsize` is not the layout's size: the kernel's
    /// `struct kinfo_proc` is not the one this build reads.
    StructSize {
        /// Which record (0-based).
        record: usize,
        /// The `ki_structsize` found.
        found: i32,
        /// The layout's record size.
        size: usize,
    },
}

impl fmt::Display for KinfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KinfoError::Ragged { len, size } => {
                write!(
                    f,
                    "{len} bytes is not a whole number of {size}-byte records"
                )
            }
            KinfoError::StructSize {
                record,
                found,
                size,
            } => write!(
                f,
                "record {record} has ki_structsize {found}, expected {size}"
            ),
        }
    }
}

impl std::error::Error for KinfoError {}

/// `N` bytes at `at`, or `None` past the end.
#[inline]
fn bytes<const N: usize>(record: &[u8], at: usize) -> Option<[u8; N]> {
    record.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[inline]
fn i32_at(record: &[u8], at: usize) -> Option<i32> {
    bytes(record, at).map(i32::from_ne_bytes)
}

#[inline]
fn u32_at(record: &[u8], at: usize) -> Option<u32> {
    bytes(record, at).map(u32::from_ne_bytes)
}

/// A native-order integer of `width` bytes (4 or 8) at `at`, widened:
/// zero-extended for `u64`.
#[inline]
fn uint_at(record: &[u8], at: usize, width: usize) -> Option<u64> {
    match width {
        8 => bytes(record, at).map(u64::from_ne_bytes),
        _ => u32_at(record, at).map(u64::from),
    }
}

/// A native-order signed integer of `width` bytes (4 or 8) at `at`,
/// sign-extended.
#[inline]
fn int_at(record: &[u8], at: usize, width: usize) -> Option<i64> {
    match width {
        8 => bytes(record, at).map(i64::from_ne_bytes),
        _ => i32_at(record, at).map(i64::from),
    }
}

/// Parses one record of exactly `layout.size()` bytes.
///
/// # Errors
///
/// [`KinfoError::Ragged`] when `record` is not exactly one record long,
/// [`KinfoError::StructSize`] (record 0) when its `ki_structsize` is not
/// the layout's size.
///
/// ```
/// use pidquery::parse::{kinfo_proc, KinfoError, KinfoLayout};
///
/// let layout = KinfoLayout::LP64;
/// let zeros = vec![0u8; layout.size()];
/// assert_eq!(
///     kinfo_proc(&zeros, &layout),
///     Err(KinfoError::StructSize { record: 0, found: 0, size: 1088 })
/// );
/// assert!(matches!(kinfo_proc(&zeros[..100], &layout), Err(KinfoError::Ragged { .. })));
/// ```
pub fn kinfo_proc(record: &[u8], layout: &KinfoLayout) -> Result<KinfoProc, KinfoError> {
    parse_at(record, layout, 0)
}

fn parse_at(record: &[u8], l: &KinfoLayout, index: usize) -> Result<KinfoProc, KinfoError> {
    let ragged = KinfoError::Ragged {
        len: record.len(),
        size: l.size,
    };
    if record.len() != l.size {
        return Err(ragged);
    }
    let found = i32_at(record, 0).ok_or(ragged)?;
    if usize::try_from(found).ok() != Some(l.size) {
        return Err(KinfoError::StructSize {
            record: index,
            found,
            size: l.size,
        });
    }
    // Every offset below lies inside the record for the layouts this crate
    // builds; a layout that does not would read as a ragged record.
    let read = || -> Option<KinfoProc> {
        Some(KinfoProc {
            pid: i32_at(record, l.pid)?,
            ppid: i32_at(record, l.ppid)?,
            pgid: i32_at(record, l.pgid)?,
            tpgid: i32_at(record, l.tpgid)?,
            sid: i32_at(record, l.sid)?,
            tsid: i32_at(record, l.tsid)?,
            uid: u32_at(record, l.uid)?,
            ruid: u32_at(record, l.ruid)?,
            svuid: u32_at(record, l.svuid)?,
            rgid: u32_at(record, l.rgid)?,
            svgid: u32_at(record, l.svgid)?,
            egid: u32_at(record, l.groups)?,
            start_sec: int_at(record, l.start_sec, l.start_sec_width)?,
            start_usec: int_at(record, l.start_usec, l.start_usec_width)?,
            kiflag: int_at(record, l.kiflag, l.flag_width)?,
            nice: i8::from_ne_bytes(bytes(record, l.nice)?),
            // `long`: sign-extend a 4-byte one.
            flag: int_at(record, l.flag, l.flag_width)?,
            stat: *record.get(l.stat)?,
            comm_raw: bytes(record, l.comm)?,
            tdev: match uint_at(record, l.tdev, l.tdev_width)? {
                // A 32-bit `dev_t` (the freebsd11 ABI): its NODEV is NODEV.
                raw if l.tdev_width == 4 && raw == u64::from(u32::MAX) => NODEV,
                raw => raw,
            },
            jid: i32_at(record, l.jid)?,
            numthreads: i32_at(record, l.numthreads)?,
            tid: i32_at(record, l.tid)?,
        })
    };
    read().ok_or(ragged)
}

/// The records in `bytes`, which must be a whole number of them; each is
/// parsed (and its `ki_structsize` checked) as the iterator reaches it.
///
/// # Errors
///
/// [`KinfoError::Ragged`] when `bytes.len()` is not a multiple of
/// `layout.size()` (an empty answer is zero records).
///
/// ```
/// use pidquery::parse::{kinfo_procs, KinfoLayout};
///
/// let layout = KinfoLayout::LP64;
/// let mut two = vec![0u8; 2 * layout.size()];
/// for (i, rec) in two.chunks_mut(layout.size()).enumerate() {
///     rec[..4].copy_from_slice(&1088i32.to_ne_bytes());
///     rec[72..76].copy_from_slice(&(i as i32 + 1).to_ne_bytes());
/// }
/// let pids: Vec<i32> = kinfo_procs(&two, &layout)?
///     .map(|r| r.map(|k| k.pid))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(pids, [1, 2]);
/// assert!(kinfo_procs(&two[..1000], &layout).is_err());
/// # Ok::<(), pidquery::parse::KinfoError>(())
/// ```
pub fn kinfo_procs<'a>(
    bytes: &'a [u8],
    layout: &'a KinfoLayout,
) -> Result<KinfoProcs<'a>, KinfoError> {
    if layout.size == 0 || bytes.len() % layout.size != 0 {
        return Err(KinfoError::Ragged {
            len: bytes.len(),
            size: layout.size,
        });
    }
    Ok(KinfoProcs {
        rest: bytes,
        layout,
        index: 0,
    })
}

/// Iterator over whole `kinfo_proc` records: see [`kinfo_procs`].
#[derive(Clone, Debug)]
pub struct KinfoProcs<'a> {
    rest: &'a [u8],
    layout: &'a KinfoLayout,
    index: usize,
}

impl Iterator for KinfoProcs<'_> {
    type Item = Result<KinfoProc, KinfoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (record, rest) = self.rest.split_at(self.layout.size.min(self.rest.len()));
        self.rest = rest;
        let index = self.index;
        self.index += 1;
        Some(parse_at(record, self.layout, index))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len().div_ceil(self.layout.size.max(1));
        (n, Some(n))
    }
}

impl ExactSizeIterator for KinfoProcs<'_> {}
impl FusedIterator for KinfoProcs<'_> {}
