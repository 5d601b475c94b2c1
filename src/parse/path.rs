//! `<pid>/<file>` paths, built on the stack for the `*at` calls.

use core::ffi::CStr;

use crate::Pid;

/// Longest pid path built by [`pid_path`]: `2147483647/` plus a file name of
/// up to 20 bytes and a NUL.
pub const PID_PATH_MAX: usize = 32;

/// Writes `"<pid>/<file>\0"` (or `"<pid>\0"` when `file` is empty) into
/// `out` and returns it as a C string; no allocation.
///
/// Returns `None` if it does not fit or `file` holds a NUL.
///
/// ```
/// use pidquery::{parse::{pid_path, PID_PATH_MAX}, Pid};
///
/// let mut out = [0u8; PID_PATH_MAX];
/// let path = pid_path(Pid::from_raw(1234).unwrap(), b"stat", &mut out).unwrap();
/// assert_eq!(path.to_bytes(), b"1234/stat");
/// ```
pub fn pid_path<'o>(pid: Pid, file: &[u8], out: &'o mut [u8; PID_PATH_MAX]) -> Option<&'o CStr> {
    if file.contains(&0) {
        return None;
    }
    let mut digits = [0u8; 10];
    let mut value = pid.as_raw().unsigned_abs();
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
        start -= 1;
        if value == 0 {
            break;
        }
    }
    let digits = digits.get(start..)?;
    let sep: &[u8] = if file.is_empty() { b"" } else { b"/" };
    let len = digits.len() + sep.len() + file.len();
    let mut rest = out.get_mut(..=len)?;
    for part in [digits, sep, file, b"\0"] {
        let (head, tail) = rest.split_at_mut(part.len());
        head.copy_from_slice(part);
        rest = tail;
    }
    CStr::from_bytes_with_nul(out.get(..=len)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_path_formats_on_the_stack() {
        let mut out = [0xffu8; PID_PATH_MAX];
        for (pid, file, want) in [
            (0, &b""[..], &b"0"[..]),
            (7, b"stat", b"7/stat"),
            (i32::MAX, b"status", b"2147483647/status"),
            (4194304, b"task", b"4194304/task"),
        ] {
            let pid = Pid::from_raw(pid).unwrap();
            assert_eq!(pid_path(pid, file, &mut out).unwrap().to_bytes(), want);
        }
        let long = [b'x'; 21];
        assert_eq!(
            pid_path(Pid::from_raw(i32::MAX).unwrap(), &long, &mut out),
            None
        );
        assert_eq!(pid_path(Pid::ZERO, b"a\0b", &mut out), None);
    }
}
