//! `-F FILE` and `-L`: the pid a pidfile names, read by pgrep's rules
//! (`read_pidfile` in procps-ng's `pgrep.c`), and its check that the file
//! is locked.
//!
//! The file is opened without blocking (a FIFO does not hang) and must be
//! a regular file of at least one byte; one `read` of at most 11 bytes is
//! parsed as C's `strtoul(…, 10)` would (leading white space, a sign,
//! digits), its value cut to an `int` as pgrep's assignment cuts it; the
//! number must be at least 1 and be followed by the end of what was read,
//! a NUL or white space. Anything else is no pid at all.

#![allow(unsafe_code)]

use std::ffi::OsStr;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;

use pidquery::Pid;

/// The pid `path` names, or `None` for pgrep's "pidfile not valid". With
/// `lock` (`-L`), the file must also be locked by another process: an
/// exclusive `flock`, or an `fcntl` write lock.
pub fn read(path: &[u8], lock: bool) -> Option<Pid> {
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(OsStr::from_bytes(path))
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.file_type().is_file() || meta.len() < 1 {
        return None;
    }
    // pgrep's "type of lock, if any, is not standardized on Linux": either.
    if lock && !has_flock(&file) && !has_fcntl(&file) {
        return None;
    }
    let mut buf = [0u8; 11];
    let n = file.read(&mut buf).ok()?;
    parse(buf.get(..n)?)
}

/// Whether another open file holds an exclusive `flock` on `file`: a
/// shared one cannot be had without waiting (pgrep's `has_flock`). A
/// shared lock that is had is kept until the file is closed, as pgrep
/// keeps it.
fn has_flock(file: &File) -> bool {
    matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
}

/// Whether another process holds an `fcntl` write lock on part of `file`:
/// a read lock of the whole file is refused (pgrep's `has_fcntl`).
fn has_fcntl(file: &File) -> bool {
    // SAFETY: an all-zero `flock` is a valid value of this plain C struct.
    let mut f: libc::flock = unsafe { std::mem::zeroed() };
    f.l_type = libc::F_RDLCK as libc::c_short;
    f.l_whence = libc::SEEK_SET as libc::c_short;
    f.l_start = 0;
    f.l_len = 0;
    // SAFETY: the descriptor is open for as long as `file` is borrowed,
    // and `f` is a valid `flock` that outlives the call.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &f) };
    if rc != -1 {
        return false;
    }
    let errno = std::io::Error::last_os_error().raw_os_error();
    matches!(errno, Some(libc::EACCES) | Some(libc::EAGAIN))
}

/// C's `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `pid = strtoul(buf, &endp, 10)` into an `int`, then pgrep's checks:
/// some digits, `pid >= 1`, and after them the end, a NUL or white space.
fn parse(buf: &[u8]) -> Option<Pid> {
    let mut at = buf.iter().take_while(|b| is_space(**b)).count();
    let negative = match buf.get(at) {
        Some(b'-') => {
            at += 1;
            true
        }
        Some(b'+') => {
            at += 1;
            false
        }
        _ => false,
    };
    let digits = buf
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let mut value: Option<u64> = Some(0);
    for b in &buf[at..at + digits] {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(b - b'0')));
    }
    // strtoul: ULONG_MAX on overflow, else the value negated modulo 2^64
    // after a minus sign; the assignment to an `int` keeps 32 bits.
    let value = match value {
        None => u64::MAX,
        Some(v) if negative => v.wrapping_neg(),
        Some(v) => v,
    };
    let pid = value as u32 as i32;
    match buf.get(at + digits) {
        None | Some(0) => {}
        Some(b) if is_space(*b) => {}
        Some(_) => return None,
    }
    if pid < 1 {
        return None;
    }
    Pid::from_raw(pid)
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn p(text: &[u8]) -> Option<i32> {
        parse(text).map(|p| p.as_raw())
    }

    #[test]
    fn reads_numbers_as_strtoul_into_an_int() {
        assert_eq!(p(b"123"), Some(123));
        assert_eq!(p(b"123\n"), Some(123));
        assert_eq!(p(b"  \t+42 junk"), Some(42));
        assert_eq!(p(b"7\0garbage"), Some(7));
        assert_eq!(p(b"12x"), None);
        assert_eq!(p(b"x12"), None);
        assert_eq!(p(b""), None);
        assert_eq!(p(b" \n"), None);
        assert_eq!(p(b"-"), None);
        assert_eq!(p(b"0"), None);
        assert_eq!(p(b"-5"), None);
        // 2^32 + 1 and -(2^32 - 1) both keep 1 in 32 bits.
        assert_eq!(p(b"4294967297"), Some(1));
        assert_eq!(p(b"-4294967295"), Some(1));
        // 2^31 is negative as an int.
        assert_eq!(p(b"2147483648"), None);
    }
}
