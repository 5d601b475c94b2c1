//! The `btime` line of `/proc/stat` (`fs/proc/stat.c`, `show_stat`).

use super::digits::parse_u64;

/// The boot time from `/proc/stat` text: the `btime` line's seconds since
/// the Unix epoch (shifted by the reader's time namespace, as the start
/// times in `<pid>/stat` are).
///
/// Takes the whole file or any part of it holding the whole `btime` line,
/// newline included; only a line that *starts* with `btime ` counts.
///
/// ```
/// use pidquery::parse::boot_time;
///
/// let stat = b"cpu  1 2 3\nintr 5 0 0\nctxt 99\nbtime 1700000000\nprocesses 42\n";
/// assert_eq!(boot_time(stat), Some(1_700_000_000));
/// assert_eq!(boot_time(b"btime 17000"), None); // cut short
/// ```
pub fn boot_time(bytes: &[u8]) -> Option<u64> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let line = lines.find(|line| line.starts_with(b"btime "))?;
    parse_u64(line.strip_suffix(b"\n")?.strip_prefix(b"btime ")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_time_needs_a_whole_line_of_its_own() {
        assert_eq!(boot_time(b"btime 0\n"), Some(0));
        assert_eq!(boot_time(b"xbtime 5\nbtime 6\n"), Some(6));
        for bad in [
            &b""[..],
            b"btime\n",
            b"btime -1\n",
            b"btime 1 2\n",
            b"btime x\n",
        ] {
            assert_eq!(boot_time(bad), None, "{}", bad.escape_ascii());
        }
    }
}
