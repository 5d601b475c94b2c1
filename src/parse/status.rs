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
