//! `/proc/<pid>/stat` (`fs/proc/array.c`, `do_task_stat`).

use super::digits::parse_i32;

/// The fields of `/proc/<pid>/stat` this crate uses.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: the state letter (`R`, `S`, `Z`, …).
    pub state: u8,
    /// Field 4: the real parent's pid (0 for pid 1, kthreadd, and a task in
    /// its final release).
    pub ppid: i32,
    /// Field 5: the process group id (-1 for a task in its final release).
    pub pgrp: i32,
    /// Field 6: the session id.
    pub session: i32,
    /// Field 7: the controlling terminal, `new_encode_dev` encoded; 0 for none.
    pub tty_nr: i32,
}

/// Parses `/proc/<pid>/stat` (or a prefix of it that reaches field 7).
///
/// The command name, field 2, is printed unescaped and may hold spaces,
/// parentheses and newlines, so parsing starts after the **last** `)`.
/// Returns `None` when that `)` or any of fields 3–7 is missing or invalid.
///
/// ```
/// use pidquery::parse::stat;
///
/// let s = stat(b"77 () S 1 77 5\n) S 12 34 34 0 -1 4194560 0").unwrap();
/// assert_eq!((s.state, s.ppid, s.pgrp, s.session, s.tty_nr), (b'S', 12, 34, 34, 0));
/// assert_eq!(stat(b"77 (x) S 1 2"), None); // truncated before tty_nr
/// ```
pub fn stat(bytes: &[u8]) -> Option<Stat> {
    let close = bytes.iter().rposition(|&b| b == b')')?;
    let rest = bytes.get(close + 1..)?;
    let mut fields = rest.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let state = match fields.next()? {
        [c] => *c,
        _ => return None,
    };
    let ppid = parse_i32(fields.next()?)?;
    let pgrp = parse_i32(fields.next()?)?;
    let session = parse_i32(fields.next()?)?;
    let tty_field = fields.next()?;
    // The last field read must be followed by a separator, or the buffer may
    // have cut it short ("34816" read as "348").
    let tty_end = tty_field.as_ptr() as usize - rest.as_ptr() as usize + tty_field.len();
    if tty_end >= rest.len() {
        return None;
    }
    let tty_nr = parse_i32(tty_field)?;
    Some(Stat {
        state,
        ppid,
        pgrp,
        session,
        tty_nr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parses_after_the_last_paren() {
        let s = stat(b"5 (a) b) c) R 9 8 7 6 5 4").unwrap();
        assert_eq!(
            (s.state, s.ppid, s.pgrp, s.session, s.tty_nr),
            (b'R', 9, 8, 7, 6)
        );
        // A name that forges fields: ") S 1 77 5\n".
        let s = stat(b"300 () S 1 77 5\n) S 299 300 300 0 -1 4194304 1 2 3").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.tty_nr), (299, 300, 0));
        // Spaces and newlines in the name.
        let s = stat(b"8 (a b\nc d) S 2 0 0 0 -1 69238880").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.session), (2, 0, 0));
    }

    #[test]
    fn stat_handles_long_kernel_thread_names() {
        let name = "kworker/u16:3-events_unbound_with_a_very_long_name_of_63_bytes_";
        let name = &name[..63];
        let line = format!("123 ({name}) I 2 0 0 0 -1 69238880 0 0");
        let s = stat(line.as_bytes()).unwrap();
        assert_eq!((s.state, s.ppid, s.pgrp, s.tty_nr), (b'I', 2, 0, 0));
    }

    #[test]
    fn stat_handles_negative_and_large_fields() {
        let s = stat(b"1 (x) Z 0 -1 -1 -2147483648 -1").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.session, s.tty_nr), (0, -1, -1, i32::MIN));
        // /dev/pts/300: new_encode_dev(136, 300) = 0x10882C.
        let s = stat(b"1 (x) S 0 1 1 1083436 1").unwrap();
        assert_eq!(s.tty_nr, 0x10882C);
    }

    #[test]
    fn stat_rejects_truncated_and_garbage() {
        for bad in [
            &b""[..],
            b"1 (x",
            b"1 (x)",
            b"1 (x) S",
            b"1 (x) S 1 2 3",
            b"1 (x) S 1 2 3 348",
            b"1 (x) SS 1 2 3 4 5",
            b"1 (x) S 1 2 3 4a 5",
            b"1 (x) S 1 2 3 99999999999 5",
            b"1 (x) S 1 2 3 - 5",
        ] {
            assert_eq!(stat(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
