//! The `Uid:` line of `/proc/<pid>/status` (`fs/proc/array.c`, `proc_pid_status`).

use super::digits::parse_u32;

/// The four uids of the `Uid:` line of `/proc/<pid>/status`.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Uids {
    /// Real uid.
    pub real: u32,
    /// Effective uid.
    pub effective: u32,
    /// Saved set-user-id.
    pub saved: u32,
    /// Filesystem uid.
    pub fs: u32,
}

/// Finds the `Uid:` line in `/proc/<pid>/status` (or a prefix of the file
/// that holds the whole line) and parses its four tab-separated ids.
///
/// Only a line that *starts* with `Uid:` counts; the escaped `Name:` line
/// cannot forge one. Returns `None` if the line is missing, incomplete (no
/// newline after it) or malformed.
///
/// ```
/// use pidquery::parse::status_uids;
///
/// let status = b"Name:\tx\\nUid:\t0\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
/// let uids = status_uids(status).unwrap();
/// assert_eq!((uids.real, uids.effective), (1000, 0));
/// ```
pub fn status_uids(bytes: &[u8]) -> Option<Uids> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let line = lines.find(|line| line.starts_with(b"Uid:"))?;
    let line = line.strip_suffix(b"\n")?.strip_prefix(b"Uid:")?;
    let mut ids = line
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|f| !f.is_empty());
    let uids = Uids {
        real: parse_u32(ids.next()?)?,
        effective: parse_u32(ids.next()?)?,
        saved: parse_u32(ids.next()?)?,
        fs: parse_u32(ids.next()?)?,
    };
    match ids.next() {
        None => Some(uids),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_finds_the_uid_line() {
        let s = b"Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n";
        assert_eq!(
            status_uids(s),
            Some(Uids {
                real: 1000,
                effective: 1001,
                saved: 1002,
                fs: 1003
            })
        );
        assert_eq!(
            status_uids(b"Uid:\t4294967295\t0\t0\t0\n").map(|u| u.real),
            Some(u32::MAX)
        );
    }

    #[test]
    fn status_rejects_forged_truncated_and_garbage() {
        // The Name: line is escaped by the kernel, but a parser must not
        // match "Uid:" in the middle of a line even if it were not.
        assert_eq!(status_uids(b"Name:\tUid:\t0\t0\t0\t0\n"), None);
        assert_eq!(status_uids(b"Uid:\t1000\t1000\t1000\t10"), None);
        assert_eq!(status_uids(b"Uid:\t1000\t1000\t1000\n"), None);
        assert_eq!(status_uids(b"Uid:\t1000\t1000\t1000\t1000\t5\n"), None);
        assert_eq!(status_uids(b"Uid:\t-1\t0\t0\t0\n"), None);
        assert_eq!(status_uids(b"Uid:\t4294967296\t0\t0\t0\n"), None);
        assert_eq!(status_uids(b""), None);
    }
}

/// The four gids of the `Gid:` line of `/proc/<pid>/status`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Gids {
    /// Real gid.
    pub real: u32,
    /// Effective gid.
    pub effective: u32,
    /// Saved set-group-id.
    pub saved: u32,
    /// Filesystem gid.
    pub fs: u32,
}

/// The ids of `/proc/<pid>/status`: thread group, parent, tracer, and the
/// owner's uids and gids.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusIds {
    /// `Tgid:` the process (thread group) the task belongs to.
    pub tgid: i32,
    /// `Pid:` the task's own id (a thread id for a non-leader thread).
    pub pid: i32,
    /// `PPid:` the parent's pid, 0 when it is outside the pid namespace.
    pub ppid: i32,
    /// `TracerPid:` the tracer's pid, 0 when not traced.
    pub tracer_pid: i32,
    /// `Uid:` real, effective, saved, filesystem.
    pub uid: Uids,
    /// `Gid:` real, effective, saved, filesystem.
    pub gid: Gids,
}

/// Parses the id lines of `/proc/<pid>/status` (or of a prefix of it that
/// holds them all): `Tgid:`, `Pid:`, `PPid:`, `TracerPid:`, `Uid:` and
/// `Gid:`.
///
/// Only lines that *start* with a key count, each must end with a newline
/// (so a cut buffer is refused), and each key must appear exactly once
/// before the first line that is not one of the leading ones (the kernel
/// prints them all before `FDSize:`). `None` if any is missing, repeated
/// or malformed.
///
/// ```
/// use pidquery::parse::status_ids;
///
/// let status = b"Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nNgid:\t0\n\
/// Pid:\t42\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\nFDSize:\t64\n";
/// let ids = status_ids(status).unwrap();
/// assert_eq!((ids.tgid, ids.pid, ids.ppid, ids.tracer_pid), (42, 42, 1, 0));
/// assert_eq!((ids.uid.real, ids.uid.effective, ids.gid.saved), (1000, 0, 100));
/// ```
pub fn status_ids(bytes: &[u8]) -> Option<StatusIds> {
    let mut tgid = None;
    let mut pid = None;
    let mut ppid = None;
    let mut tracer = None;
    let mut uid = None;
    let mut gid = None;
    fn set<T>(slot: &mut Option<T>, value: Option<T>) -> Option<()> {
        if slot.is_some() {
            return None;
        }
        *slot = Some(value?);
        Some(())
    }
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let Some(line) = line.strip_suffix(b"\n") else {
            break; // cut short: whatever is missing makes this fail below
        };
        let colon = line.iter().position(|&b| b == b':')?;
        let (key, value) = line.split_at(colon);
        let value = value.get(1..)?;
        match key {
            b"Tgid" => set(&mut tgid, one_id(value))?,
            b"Pid" => set(&mut pid, one_id(value))?,
            b"PPid" => set(&mut ppid, one_id(value))?,
            b"TracerPid" => set(&mut tracer, one_id(value))?,
            b"Uid" => set(&mut uid, four_ids(value))?,
            b"Gid" => set(&mut gid, four_ids(value))?,
            b"FDSize" => break,
            _ => {}
        }
    }
    let [ur, ue, us, uf] = uid?;
    let [gr, ge, gs, gf] = gid?;
    Some(StatusIds {
        tgid: tgid?,
        pid: pid?,
        ppid: ppid?,
        tracer_pid: tracer?,
        uid: Uids {
            real: ur,
            effective: ue,
            saved: us,
            fs: uf,
        },
        gid: Gids {
            real: gr,
            effective: ge,
            saved: gs,
            fs: gf,
        },
    })
}

/// One non-negative pid after the key's tab.
fn one_id(value: &[u8]) -> Option<i32> {
    let digits = value.strip_prefix(b"\t")?;
    let id = parse_u32(digits)?;
    i32::try_from(id).ok()
}

/// Four tab-separated ids.
fn four_ids(value: &[u8]) -> Option<[u32; 4]> {
    let mut ids = value.strip_prefix(b"\t")?.split(|&b| b == b'\t');
    let mut next = || ids.next().and_then(parse_u32);
    let four = [next()?, next()?, next()?, next()?];
    match ids.next() {
        None => Some(four),
        Some(_) => None,
    }
}

#[cfg(test)]
mod ids_tests {
    use super::*;

    const GOOD: &[u8] = b"Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t7\nNgid:\t0\nPid:\t8\nPPid:\t1\nTracerPid:\t5\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nFDSize:\t64\nGroups:\t\n";

    #[test]
    fn ids_read_every_line() {
        let ids = status_ids(GOOD).unwrap();
        assert_eq!((ids.tgid, ids.pid, ids.ppid, ids.tracer_pid), (7, 8, 1, 5));
        assert_eq!(
            (ids.uid.real, ids.uid.fs, ids.gid.real, ids.gid.fs),
            (1, 4, 5, 8)
        );
        // A prefix that holds the id lines is enough.
        let cut = GOOD.len() - 5;
        assert_eq!(status_ids(&GOOD[..cut]), Some(ids));
        let text = std::fs::read("/proc/self/status").unwrap();
        let me = status_ids(&text).unwrap();
        assert_eq!(me.tgid as u32, std::process::id());
    }

    #[test]
    fn ids_reject_missing_repeated_and_forged() {
        let s = |t: &[u8]| String::from_utf8_lossy(t).into_owned();
        let good = s(GOOD);
        for bad in [
            good.replace("TracerPid:\t5\n", ""),
            good.replace("Gid:\t5\t6\t7\t8\n", ""),
            good.replace("Pid:\t8\n", "Pid:\t8\nPid:\t9\n"),
            good.replace("Uid:\t1\t2\t3\t4", "Uid:\t1\t2\t3"),
            good.replace("Tgid:\t7", "Tgid:\t-7"),
            good.replace("Tgid:\t7", "Tgid: 7"),
            good.replace("Name:\tx", "Name:\tTgid:\t9"),
            good[..good.find("Gid:").unwrap() + 6].to_string(),
        ] {
            let got = status_ids(bad.as_bytes());
            // A forged name is not a Tgid line: the real one still counts.
            if bad.contains("Name:\tTgid") {
                assert_eq!(got.map(|i| i.tgid), Some(7));
            } else {
                assert_eq!(got, None, "{bad:?}");
            }
        }
    }
}
