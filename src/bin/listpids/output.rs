//! `--long`, `--format` and `--json`: one line per process, from
//! [`System::infos`] (one pass; a process that vanishes between being
//! listed and being read is left out).
//!
//! Every field of a line comes from one process. The executable is read by
//! pid after the pass, when the pid may name a newer process: so a line
//! with `exe` is read again, info and executable in one call
//! ([`System::info_with_exe`]), between an identity taken first and
//! checked last ([`with_exe`]).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use pidquery::{
    Dev, ErrorKind, Exe, ExeBuf, Filter, InfoBuf, PidQuery, ProcFlags, ProcInfo, System,
};

/// One column of `--long` / `--format`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Column {
    Pid,
    Ppid,
    Pgid,
    Sid,
    Tty,
    Uid,
    Ruid,
    Stat,
    Start,
    Command,
    Euid,
    Suid,
    Egid,
    Rgid,
    Sgid,
    Threads,
    Exe,
}

/// Every column by its `--format` name, with its header.
const COLUMNS: [(&str, &str, Column); 17] = [
    ("pid", "PID", Column::Pid),
    ("ppid", "PPID", Column::Ppid),
    ("pgid", "PGID", Column::Pgid),
    ("sid", "SID", Column::Sid),
    ("tty", "TTY", Column::Tty),
    ("uid", "UID", Column::Uid),
    ("ruid", "RUID", Column::Ruid),
    ("stat", "STAT", Column::Stat),
    ("start", "START", Column::Start),
    ("command", "COMMAND", Column::Command),
    ("euid", "EUID", Column::Euid),
    ("suid", "SUID", Column::Suid),
    ("egid", "EGID", Column::Egid),
    ("rgid", "RGID", Column::Rgid),
    ("sgid", "SGID", Column::Sgid),
    ("threads", "THREADS", Column::Threads),
    ("exe", "EXE", Column::Exe),
];

/// The columns of `--long`.
pub const LONG: [Column; 10] = [
    Column::Pid,
    Column::Ppid,
    Column::Pgid,
    Column::Sid,
    Column::Tty,
    Column::Uid,
    Column::Ruid,
    Column::Stat,
    Column::Start,
    Column::Command,
];

impl Column {
    fn header(self) -> &'static str {
        COLUMNS
            .iter()
            .find(|(_, _, c)| *c == self)
            .map_or("?", |(_, h, _)| h)
    }

    /// Text columns are left-aligned, numbers right-aligned, as `ps` does.
    fn left_aligned(self) -> bool {
        matches!(
            self,
            Column::Tty | Column::Stat | Column::Start | Column::Command | Column::Exe
        )
    }
}

/// Parses a `--format` list: comma-separated column names.
pub fn parse_format(list: &str) -> Result<Vec<Column>, String> {
    let mut columns = Vec::new();
    for name in list.split(',') {
        let name = name.trim();
        let Some((_, _, column)) = COLUMNS.iter().find(|(n, _, _)| *n == name) else {
            let known: Vec<&str> = COLUMNS.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "--format: unknown column '{name}' (known: {})",
                known.join(",")
            ));
        };
        columns.push(*column);
    }
    Ok(columns)
}

/// How the infos are printed.
#[derive(Debug)]
pub enum Mode {
    Table(Vec<Column>),
    Json,
}

/// Prints the infos of `query`; returns how many processes were printed.
pub fn print(system: &System, query: &PidQuery, mode: &Mode) -> Result<usize, String> {
    let mut buf = InfoBuf::new();
    let infos = system.infos(query, &mut buf).map_err(|e| e.to_string())?;
    print_infos(system, query.filter(), infos.to_vec(), mode)
}

/// Prints `infos`, read for a query on `filter` (what a process read
/// again with its executable must still agree on); returns how many
/// processes were printed.
pub fn print_infos(
    system: &System,
    filter: Filter,
    mut infos: Vec<ProcInfo>,
    mode: &Mode,
) -> Result<usize, String> {
    // macOS lists newest first; the output is always ascending.
    infos.sort_unstable_by_key(|i| i.pid);
    let mut ttys = TtyNames::default();
    let mut exe = ExeBuf::new();
    let wants_exe = match mode {
        Mode::Json => true,
        Mode::Table(columns) => columns.contains(&Column::Exe),
    };
    let mut rows: Vec<(ProcInfo, Option<String>)> = Vec::with_capacity(infos.len());
    for info in infos {
        if !wants_exe {
            rows.push((info, None));
        } else if let Some(row) = with_exe(system, filter, &info, &mut exe) {
            rows.push(row);
        }
    }
    let mut text = String::new();
    match mode {
        Mode::Json => {
            for (info, exe) in &rows {
                json_line(&mut text, info, exe.as_deref(), &mut ttys);
            }
        }
        Mode::Table(columns) => table(&mut text, columns, &rows, &mut ttys),
    }
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(rows.len()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(rows.len()),
        Err(e) => Err(format!("cannot write the output: {e}")),
    }
}

/// The process `listed` describes, read again with its executable: both
/// in one call, so that they are of one process (while a pid is reused,
/// a second lookup by pid may find a newer one), and between its
/// identity, taken first, and the check that the identity still holds, so
/// that this process is the one listed. `None` when the process listed is
/// gone, or the pid names another process that the filter would not have
/// listed.
fn with_exe(
    system: &System,
    filter: Filter,
    listed: &ProcInfo,
    buf: &mut ExeBuf,
) -> Option<(ProcInfo, Option<String>)> {
    let pid = listed.pid;
    let id = match system.identity(pid) {
        Ok(id) => id,
        // No identities here: the pid is all there is to go on.
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            let exe = system.exe(pid, buf).ok().map(|exe| exe_text(&exe));
            return Some((*listed, exe));
        }
        Err(_) => return None,
    };
    // A later start: a newer process has the pid, the listed one is gone.
    if id.start() != listed.start {
        return None;
    }
    // The info and the executable of one process, whichever has the pid
    // now: read through one handle of it (on Linux, its directory).
    let (info, exe) = system.info_with_exe(pid, buf).ok()?;
    let exe = exe.ok().map(|exe| exe_text(&exe));
    if !system.is_current(&id).unwrap_or(false) {
        return None;
    }
    // With only a start time to identify it, a process started within the
    // same tick could have taken the pid: it must at least agree with the
    // listed one where the filter looked.
    same_for(filter, listed, &info).then_some((info, exe))
}

/// Whether `a` and `b` agree on what `filter` tests.
fn same_for(filter: Filter, a: &ProcInfo, b: &ProcInfo) -> bool {
    a.start == b.start
        && match filter {
            Filter::Pgrp(_) => a.pgid == b.pgid,
            Filter::Tty(_) => a.tty == b.tty,
            Filter::Uid(_) => a.euid == b.euid,
            Filter::Ruid(_) => a.ruid == b.ruid,
            Filter::Ppid(_) => a.ppid == b.ppid,
            _ => true,
        }
}

/// The executable as `readlink` shows it (a deleted one keeps its
/// `" (deleted)"`).
fn exe_text(exe: &Exe<'_>) -> String {
    let mut text = String::from_utf8_lossy(exe.as_bytes()).into_owned();
    if exe.is_deleted() {
        text.push_str(" (deleted)");
    }
    text
}

/// The aligned table: a header line, then one line per process.
fn table(
    text: &mut String,
    columns: &[Column],
    rows: &[(ProcInfo, Option<String>)],
    ttys: &mut TtyNames,
) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|(info, exe)| {
            columns
                .iter()
                .map(|&c| cell(c, info, exe.as_deref(), ttys))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .filter_map(|row| row.get(i))
                .map(|s| s.chars().count())
                .chain([c.header().len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |text: &mut String, values: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for ((value, column), width) in values.zip(columns).zip(&widths) {
            if !first {
                text.push(' ');
            }
            first = false;
            let last = std::ptr::eq(column, columns.last().unwrap_or(column));
            if column.left_aligned() {
                if last {
                    text.push_str(value);
                } else {
                    let _ = write!(text, "{value:<width$}");
                }
            } else {
                let _ = write!(text, "{value:>width$}");
            }
        }
        text.push('\n');
    };
    line(text, &mut columns.iter().map(|c| c.header()));
    for row in &cells {
        line(text, &mut row.iter().map(String::as_str));
    }
}

/// One table cell: `-` for a value the platform could not give.
fn cell(column: Column, info: &ProcInfo, exe: Option<&str>, ttys: &mut TtyNames) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    match column {
        Column::Pid => info.pid.to_string(),
        Column::Ppid => info.ppid.to_string(),
        Column::Pgid => info.pgid.to_string(),
        Column::Sid => opt(info.sid.map(|s| s.to_string())),
        Column::Tty => info.tty.map_or_else(|| "?".to_owned(), |d| ttys.name(d)),
        Column::Uid | Column::Euid => info.euid.to_string(),
        Column::Ruid => info.ruid.to_string(),
        Column::Suid => info.suid.to_string(),
        Column::Egid => info.egid.to_string(),
        Column::Rgid => info.rgid.to_string(),
        Column::Sgid => info.sgid.to_string(),
        Column::Stat => stat(info),
        Column::Start => opt(info.start.map(|s| utc(s.since_unix_epoch().as_secs()))),
        Column::Command => printable(&info.comm.to_string()),
        Column::Threads => opt(info.threads.map(|t| t.to_string())),
        Column::Exe => opt(exe.map(printable)),
    }
}

/// `ps`'s `STAT`: the state letter, then `<` (nice below 0), `N` (above
/// 0), `s` (session leader), `l` (multi-threaded), `+` (foreground group).
fn stat(info: &ProcInfo) -> String {
    let mut s = String::new();
    s.push(info.state.code());
    match info.nice {
        Some(n) if n < 0 => s.push('<'),
        Some(n) if n > 0 => s.push('N'),
        _ => {}
    }
    if info.flags.contains(ProcFlags::SESSION_LEADER) {
        s.push('s');
    }
    if info.threads.is_some_and(|t| t > 1) {
        s.push('l');
    }
    if info.flags.contains(ProcFlags::FOREGROUND) {
        s.push('+');
    }
    s
}

/// Control characters shown as `?`, as `ps` shows them.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One JSON object on one line, keys in the documented order.
fn json_line(text: &mut String, info: &ProcInfo, exe: Option<&str>, ttys: &mut TtyNames) {
    let num = |v: Option<String>| v.unwrap_or_else(|| "null".to_owned());
    let tty = match info.tty {
        Some(dev) => json_string(&ttys.name(dev)),
        None => "null".to_owned(),
    };
    let _ = write!(
        text,
        "{{\"pid\":{},\"ppid\":{},\"pgid\":{},\"sid\":{},\"tty\":{},\
         \"ruid\":{},\"euid\":{},\"suid\":{},\"rgid\":{},\"egid\":{},\"sgid\":{},\
         \"state\":{},\"start\":{},\"threads\":{},\"comm\":{},\"exe\":{}}}",
        info.pid,
        info.ppid,
        info.pgid,
        num(info.sid.map(|s| s.to_string())),
        tty,
        info.ruid,
        info.euid,
        info.suid,
        info.rgid,
        info.egid,
        info.sgid,
        json_string(&info.state.code().to_string()),
        num(info.start.map(|s| s.epoch_seconds().to_string())),
        num(info.threads.map(|t| t.to_string())),
        json_string(&info.comm.to_string()),
        exe.map_or_else(|| "null".to_owned(), json_string),
    );
    text.push('\n');
}

/// A JSON string literal: `"` and `\` escaped, control characters as
/// `\n`, `\t`… or `\u00XX` (DEL too). The text is already valid UTF-8
/// (invalid bytes became U+FFFD).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Terminal names under `/dev`, looked up by device number once each.
#[derive(Default)]
struct TtyNames {
    known: HashMap<u64, String>,
    dev_scanned: bool,
}

impl TtyNames {
    /// `pts/3`, `tty1`, …; `MAJ:MIN` when no node under `/dev` has it.
    fn name(&mut self, dev: Dev) -> String {
        if let Some(name) = self.known.get(&dev.raw()) {
            return name.clone();
        }
        // A pty first: /dev/pts/<minor>, checked by its st_rdev.
        let pts = format!("pts/{}", dev.minor());
        if rdev(&Path::new("/dev").join(&pts)) == Some(dev.raw()) {
            self.known.insert(dev.raw(), pts.clone());
            return pts;
        }
        if !self.dev_scanned {
            self.dev_scanned = true;
            for (dir, prefix) in [("/dev/pts", "pts/"), ("/dev", "")] {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let Ok(meta) = entry.metadata() else { continue };
                    if meta.file_type().is_char_device() {
                        let file =
                            String::from_utf8_lossy(entry.file_name().as_bytes()).into_owned();
                        self.known
                            .entry(meta.rdev())
                            .or_insert_with(|| format!("{prefix}{file}"));
                    }
                }
            }
            if let Some(name) = self.known.get(&dev.raw()) {
                return name.clone();
            }
        }
        let name = format!("{}:{}", dev.major(), dev.minor());
        self.known.insert(dev.raw(), name.clone());
        name
    }
}

/// The `st_rdev` of a character device at `path`.
fn rdev(path: &Path) -> Option<u64> {
    let meta = std::fs::metadata(path).ok()?;
    meta.file_type().is_char_device().then(|| meta.rdev())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn json_strings_escape_everything_json_needs() {
        assert_eq!(json_string(") S 1 77 5\n"), "\") S 1 77 5\\n\"");
        assert_eq!(
            json_string("a\"b\\c\u{1}\u{7f}"),
            "\"a\\\"b\\\\c\\u0001\\u007f\""
        );
    }
}
