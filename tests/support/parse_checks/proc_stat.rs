//! `parse::boot_time` (the `btime` line of `/proc/stat`, `show_stat` in
//! `fs/proc/stat.c`) and `parse::fd_kind` (fd link targets) against naive
//! readings.

use std::io::Write;

use pidquery::parse::{boot_time, fd_kind};
use pidquery::FdKind;

use super::cursor::Cursor;

/// The first whole line starting `btime `, its rest all digits.
fn reference_btime(bytes: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    lines.retain(|l| l.starts_with("btime "));
    let line = lines.first()?.strip_suffix('\n')?;
    let digits = line.strip_prefix("btime ")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The kinds by the documented table.
fn reference_kind(link: &[u8]) -> FdKind {
    let text = String::from_utf8_lossy(link);
    if text.starts_with('/') {
        FdKind::File
    } else if text.starts_with("socket:[") {
        FdKind::Socket
    } else if text.starts_with("pipe:[") {
        FdKind::Pipe
    } else if [
        "anon_inode:[eventpoll]",
        "anon_inode:[eventfd]",
        "anon_inode:[signalfd]",
        "anon_inode:[timerfd]",
        "anon_inode:inotify",
        "anon_inode:[fanotify]",
    ]
    .iter()
    .any(|e| e.as_bytes() == link)
    {
        FdKind::Event
    } else {
        FdKind::Other
    }
}

/// Both parsers agree with their references on `bytes`.
pub fn check_bytes(bytes: &[u8]) {
    // Invalid UTF-8 would be replaced in the reference: only compare
    // where the bytes are text.
    if std::str::from_utf8(bytes).is_ok() {
        assert_eq!(boot_time(bytes), reference_btime(bytes), "{bytes:?}");
        assert_eq!(fd_kind(bytes), reference_kind(bytes), "{bytes:?}");
    } else {
        let _ = (boot_time(bytes), fd_kind(bytes));
    }
}

/// A `/proc/stat` with fuzz-chosen cpu lines, a long `intr` line and a
/// `btime`; the parser finds exactly that boot time, and, cut short,
/// finds it exactly when the whole line survived.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let btime = c.u64();
    let cpus = usize::from(c.byte()) % 64;
    let intr = usize::from(c.byte()) * 8;
    let mut file = Vec::new();
    for i in 0..cpus {
        writeln!(file, "cpu{i} {} 0 {} 0 0 0 0 0 0 0", c.u32(), c.u32()).unwrap();
    }
    file.extend_from_slice(b"intr 1");
    for _ in 0..intr {
        write!(file, " {}", c.byte()).unwrap();
    }
    writeln!(file, "\nctxt {}", c.u64()).unwrap();
    let start = file.len();
    writeln!(file, "btime {btime}").unwrap();
    let end = file.len();
    writeln!(file, "processes {}\nprocs_running 1", c.u32()).unwrap();
    assert_eq!(boot_time(&file), Some(btime));
    let cut = (usize::from(c.byte()) | usize::from(c.byte()) << 8) % (file.len() + 1);
    let want = (cut >= end).then_some(btime);
    assert_eq!(boot_time(&file[..cut]), want);
    assert_eq!(boot_time(&file[start.min(cut)..cut]), want);
    check_bytes(&file[..cut]);
}

/// The fuzz entry point: even first byte, the rest is raw text for both
/// parsers; odd, a `/proc/stat` built from fuzz-chosen values.
pub fn check(input: &[u8]) {
    match input.split_first() {
        None => {}
        Some((mode, rest)) if mode & 1 == 0 => check_bytes(rest),
        Some((_, rest)) => check_structured(rest),
    }
}
