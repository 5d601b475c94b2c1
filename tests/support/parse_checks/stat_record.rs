//! `parse::stat_record` against a naive reading of a whole
//! `/proc/<pid>/stat` record (`do_task_stat` in `fs/proc/array.c`).

use std::io::Write;

use pidquery::parse::stat_record;

use super::cursor::Cursor;

/// A decimal integer as the kernel prints it: an optional `-` (signed
/// fields only), then ASCII digits, fitting the field's type.
fn num<T: std::str::FromStr>(field: &str, signed: bool) -> Option<T> {
    let digits = if signed {
        field.strip_prefix('-').unwrap_or(field)
    } else {
        field
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse().ok()
}

/// Which fields are signed (`%d`/`%ld`), 1-based from field 3 on: field 3
/// (the state) is handled apart.
const SIGNED: [usize; 13] = [4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 24, 38];

/// The reference: `(pid, comm, state, fields 4.., as i128)`, or `None`.
/// The text must end in a newline; the name runs from the first `(` to the
/// last `)`; fields are separated by exactly one space; 41 to 52 fields.
#[allow(clippy::type_complexity)]
fn reference(bytes: &[u8]) -> Option<(i32, Vec<u8>, u8, Vec<i128>)> {
    let body = bytes.strip_suffix(b"\n")?;
    let open = body.iter().position(|&b| b == b'(')?;
    let close = body.iter().rposition(|&b| b == b')')?;
    if close < open || open == 0 || body[open - 1] != b' ' {
        return None;
    }
    let pid: i32 = num(std::str::from_utf8(&body[..open - 1]).ok()?, true)?;
    let comm = body[open + 1..close].to_vec();
    // Bytes, not text: the state may be any byte, numbers must be ASCII.
    let rest = body.get(close + 1..)?.strip_prefix(b" ")?;
    let fields: Vec<&[u8]> = rest.split(|&b| b == b' ').collect();
    if !(39..=50).contains(&fields.len()) {
        return None;
    }
    let state = match fields[0] {
        [c] => *c,
        _ => return None,
    };
    let mut values = Vec::new();
    for (i, f) in fields[1..].iter().enumerate() {
        let number = i + 4;
        let f = std::str::from_utf8(f).ok()?;
        let v: i128 = match number {
            9 | 40 | 41 => i128::from(num::<u32>(f, false)?),
            38 | 39 | 52 => i128::from(num::<i32>(f, true)?),
            4..=8 => i128::from(num::<i32>(f, true)?),
            n if SIGNED.contains(&n) || n == 44 => i128::from(num::<i64>(f, true)?),
            _ => i128::from(num::<u64>(f, false)?),
        };
        values.push(v);
    }
    Some((pid, comm, state, values))
}

/// The parser's answer in the reference's shape.
#[allow(clippy::type_complexity)]
fn ours(bytes: &[u8]) -> Option<(i32, Vec<u8>, u8, Vec<i128>)> {
    let r = stat_record(bytes)?;
    let mut v: Vec<i128> = vec![
        r.ppid.into(),
        r.pgrp.into(),
        r.session.into(),
        r.tty_nr.into(),
        r.tpgid.into(),
        r.flags.into(),
        r.minflt.into(),
        r.cminflt.into(),
        r.majflt.into(),
        r.cmajflt.into(),
        r.utime.into(),
        r.stime.into(),
        r.cutime.into(),
        r.cstime.into(),
        r.priority.into(),
        r.nice.into(),
        r.num_threads.into(),
        r.itrealvalue.into(),
        r.starttime.into(),
        r.vsize.into(),
        r.rss.into(),
        r.rsslim.into(),
        r.startcode.into(),
        r.endcode.into(),
        r.startstack.into(),
        r.kstkesp.into(),
        r.kstkeip.into(),
        r.signal.into(),
        r.blocked.into(),
        r.sigignore.into(),
        r.sigcatch.into(),
        r.wchan.into(),
        r.nswap.into(),
        r.cnswap.into(),
        r.exit_signal.into(),
        r.processor.into(),
        r.rt_priority.into(),
        r.policy.into(),
    ];
    let tail: [Option<i128>; 11] = [
        r.delayacct_blkio_ticks.map(Into::into),
        r.guest_time.map(Into::into),
        r.cguest_time.map(Into::into),
        r.start_data.map(Into::into),
        r.end_data.map(Into::into),
        r.start_brk.map(Into::into),
        r.arg_start.map(Into::into),
        r.arg_end.map(Into::into),
        r.env_start.map(Into::into),
        r.env_end.map(Into::into),
        r.exit_code.map(Into::into),
    ];
    // Present tail fields come first, without gaps.
    let present = tail.iter().take_while(|t| t.is_some()).count();
    assert!(
        tail[present..].iter().all(Option::is_none),
        "gap in {tail:?}"
    );
    v.extend(tail.iter().flatten());
    Some((r.pid, r.comm.to_vec(), r.state, v))
}

/// `parse::stat_record(bytes)` agrees with the reference.
pub fn check_bytes(bytes: &[u8]) {
    assert_eq!(
        ours(bytes),
        reference(bytes),
        "stat_record({:?})",
        String::from_utf8_lossy(bytes)
    );
}

/// Prints a record as `do_task_stat` does from fuzz-chosen values (a name
/// of up to 64 arbitrary bytes but NUL, 41 to 52 fields with signs where
/// the types allow) and asserts the parser returns exactly them; then cuts
/// it short: a cut record is refused, unless the name itself forged a
/// whole record ending in a newline, and always agrees with the reference.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let pid = c.i32().rem_euclid(i32::MAX);
    let name_len = usize::from(c.byte()) % 65;
    let comm: Vec<u8> = c.take(name_len).iter().map(|&b| b.max(1)).collect();
    let state = b"RSDTtZXIPW"[usize::from(c.byte()) % 10];
    let count = 38 + usize::from(c.byte()) % 12; // fields 4..=41+
    let mut values = Vec::new();
    let mut file = format!("{pid} (").into_bytes();
    file.extend_from_slice(&comm);
    write!(file, ") {}", state as char).unwrap();
    for i in 0..count {
        let number = i + 4;
        let raw = c.u64();
        let v: i128 = match number {
            9 | 40 | 41 => i128::from(raw as u32),
            38 | 39 | 52 | 4..=8 => i128::from(raw as i32),
            n if SIGNED.contains(&n) || n == 44 => i128::from(raw as i64),
            _ => i128::from(raw),
        };
        write!(file, " {v}").unwrap();
        values.push(v);
    }
    file.push(b'\n');
    let want = Some((pid, comm.clone(), state, values));
    assert_eq!(ours(&file), want, "{:?}", String::from_utf8_lossy(&file));
    check_bytes(&file);
    let cut = (usize::from(c.byte()) | usize::from(c.byte()) << 8) % file.len();
    let short = &file[..cut];
    check_bytes(short);
    if !comm.contains(&b'\n') {
        assert_eq!(
            stat_record(short),
            None,
            "{:?}",
            String::from_utf8_lossy(short)
        );
    }
}

/// The fuzz entry point: even first byte, the rest is a stat record; odd,
/// a record built from fuzz-chosen fields.
pub fn check(input: &[u8]) {
    match input.split_first() {
        None => {}
        Some((mode, rest)) if mode & 1 == 0 => check_bytes(rest),
        Some((_, rest)) => check_structured(rest),
    }
}
