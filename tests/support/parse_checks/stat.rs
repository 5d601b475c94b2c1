//! `parse::stat` against a naive reading of `/proc/<pid>/stat`
//! (`do_task_stat` in `fs/proc/array.c`).

use std::io::Write;

use pidquery::parse::stat as parse_stat;

/// Fields 3–7 as the reference reads them; `parse::Stat` is non-exhaustive
/// (it grows), so the check compares these.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub state: u8,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tty_nr: i32,
}

/// `parse::stat` seen through [`Stat`].
fn stat(bytes: &[u8]) -> Option<Stat> {
    parse_stat(bytes).map(|s| Stat {
        state: s.state,
        ppid: s.ppid,
        pgrp: s.pgrp,
        session: s.session,
        tty_nr: s.tty_nr,
    })
}

use super::cursor::Cursor;

/// A decimal `i32` as `%d` prints it: an optional `-`, then ASCII digits.
/// (`str::parse` alone would also take a leading `+`.)
fn reference_int(field: &[u8]) -> Option<i32> {
    let digits = field.strip_prefix(b"-").unwrap_or(field);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Finds the last `)` (the command name may hold any byte, `)` included),
/// splits what follows into space-separated fields (runs of spaces count as
/// one separator) and reads fields 3 to 7: a one-byte state and four
/// integers. Field 7 must be followed by a space, or it may have been cut
/// short by a short read.
fn reference(bytes: &[u8]) -> Option<Stat> {
    let close = bytes.iter().rposition(|&b| b == b')')?;
    let rest = &bytes[close + 1..];
    let mut fields: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, &b) in rest.iter().enumerate() {
        match (b == b' ', start) {
            (true, Some(s)) => {
                fields.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        fields.push((s, rest.len()));
    }
    if fields.len() < 5 {
        return None;
    }
    let field = |k: usize| &rest[fields[k].0..fields[k].1];
    let state = match field(0) {
        [c] => *c,
        _ => return None,
    };
    if fields[4].1 == rest.len() {
        return None;
    }
    Some(Stat {
        state,
        ppid: reference_int(field(1))?,
        pgrp: reference_int(field(2))?,
        session: reference_int(field(3))?,
        tty_nr: reference_int(field(4))?,
    })
}

/// `parse::stat(bytes)` agrees with the reference.
pub fn check_bytes(bytes: &[u8]) {
    assert_eq!(
        stat(bytes),
        reference(bytes),
        "stat({:?})",
        String::from_utf8_lossy(bytes)
    );
}

/// State letters `do_task_stat` can print (`task_state_array`).
const STATES: &[u8] = b"RSDTtXZPIKWx";

/// Prints a stat line the way the kernel does, from a fuzz-chosen command
/// name (0 to 64 arbitrary bytes: `)`, spaces, newlines, forged fields) and
/// field values, and asserts the parser returns exactly those values. Then
/// cuts the line short at a fuzz-chosen point after the real `)`: the parser
/// must return the same values when the space after field 7 survived the
/// cut, and `None` otherwise.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let comm_len = usize::from(c.byte()) % 65;
    let comm = c.take(comm_len);
    let pid = c.u32() & 0x7fff_ffff;
    let want = Stat {
        state: STATES[usize::from(c.byte()) % STATES.len()],
        ppid: c.i32(),
        pgrp: c.i32(),
        session: c.i32(),
        tty_nr: c.i32(),
    };
    let extra = usize::from(c.byte() % 48) + 1; // tpgid, flags, … (at least one)
    let cut = usize::from(c.byte()) | usize::from(c.byte()) << 8;
    let extras: Vec<i32> = (0..extra).map(|_| c.i32()).collect();

    let mut line = Vec::new();
    write!(line, "{pid} (").unwrap();
    line.extend_from_slice(comm);
    line.push(b')');
    let close = line.len() - 1;
    write!(
        line,
        " {} {} {} {} {}",
        want.state as char, want.ppid, want.pgrp, want.session, want.tty_nr
    )
    .unwrap();
    let tty_space = line.len(); // the space after field 7
    for v in extras {
        write!(line, " {v}").unwrap();
    }
    line.push(b'\n');

    assert_eq!(
        stat(&line),
        Some(want),
        "stat({:?})",
        String::from_utf8_lossy(&line)
    );
    check_bytes(&line);

    let end = close + 1 + cut % (line.len() - close);
    let short = &line[..end];
    let expect = (end > tty_space).then_some(want);
    assert_eq!(
        stat(short),
        expect,
        "stat({:?})",
        String::from_utf8_lossy(short)
    );
    check_bytes(short);
}

/// The fuzz entry point: even first byte, the rest is a stat file; odd, a
/// stat line built from fuzz-chosen fields.
pub fn check(input: &[u8]) {
    match input.split_first() {
        None => {}
        Some((mode, rest)) if mode & 1 == 0 => check_bytes(rest),
        Some((_, rest)) => check_structured(rest),
    }
}
