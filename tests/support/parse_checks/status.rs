//! `parse::status_uids` against a naive reading of the `Uid:` line of
//! `/proc/<pid>/status` (`proc_pid_status` in `fs/proc/array.c`).

use std::io::Write;

use pidquery::parse::status_uids as parse_status_uids;

/// The four uids as the reference reads them; `parse::Uids` is
/// non-exhaustive (it grows), so the check compares these.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Uids {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub fs: u32,
}

/// `parse::status_uids` seen through [`Uids`].
fn status_uids(bytes: &[u8]) -> Option<Uids> {
    parse_status_uids(bytes).map(|u| Uids {
        real: u.real,
        effective: u.effective,
        saved: u.saved,
        fs: u.fs,
    })
}

use super::cursor::Cursor;

/// A decimal `u32`: ASCII digits only (`str::parse` alone would also take a
/// leading `+`).
fn reference_id(field: &[u8]) -> Option<u32> {
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Takes the first line that starts with `Uid:`; it must end in a newline
/// (else the read may have cut it) and hold exactly four ids separated by
/// tabs or spaces.
fn reference(bytes: &[u8]) -> Option<Uids> {
    let mut start = 0;
    while start < bytes.len() {
        let newline = bytes[start..].iter().position(|&b| b == b'\n');
        let end = newline.map_or(bytes.len(), |n| start + n);
        let line = &bytes[start..end];
        if let Some(tail) = line.strip_prefix(b"Uid:") {
            newline?;
            let ids: Vec<&[u8]> = tail
                .split(|&b| b == b'\t' || b == b' ')
                .filter(|f| !f.is_empty())
                .collect();
            let [real, effective, saved, fs] = ids[..] else {
                return None;
            };
            return Some(Uids {
                real: reference_id(real)?,
                effective: reference_id(effective)?,
                saved: reference_id(saved)?,
                fs: reference_id(fs)?,
            });
        }
        start = end + 1;
    }
    None
}

/// `parse::status_uids(bytes)` agrees with the reference.
pub fn check_bytes(bytes: &[u8]) {
    assert_eq!(
        status_uids(bytes),
        reference(bytes),
        "status_uids({:?})",
        String::from_utf8_lossy(bytes)
    );
}

/// Prints a status file the way `proc_pid_status` does, with a fuzz-chosen
/// task name (up to 64 arbitrary bytes, optionally carrying a forged
/// `\nUid:` line of its own) escaped as the kernel escapes it (`\n` and `\`
/// only), and fuzz-chosen ids; asserts the parser returns exactly the real
/// ids. Then cuts the file short at a fuzz-chosen point: the parser must
/// return the same ids if the whole `Uid:` line (newline included) survived,
/// and `None` otherwise.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let name_len = usize::from(c.byte()) % 65;
    let mut name = c.take(name_len).to_vec();
    let forge = c.byte();
    if forge & 1 == 1 {
        let at = usize::from(forge >> 1) % (name.len() + 1);
        let forged = format!("\nUid:\t{}\t0\t0\t0\n", c.u32());
        name.splice(at..at, forged.bytes());
    }
    let want = Uids {
        real: c.u32(),
        effective: c.u32(),
        saved: c.u32(),
        fs: c.u32(),
    };
    let (pid, ppid, gid) = (c.u32() & 0x7fff_ffff, c.u32() & 0x7fff_ffff, c.u32());
    let cut = usize::from(c.byte()) | usize::from(c.byte()) << 8;

    let mut file = b"Name:\t".to_vec();
    for &b in &name {
        match b {
            b'\n' => file.extend_from_slice(b"\\n"),
            b'\\' => file.extend_from_slice(b"\\\\"),
            _ => file.push(b),
        }
    }
    write!(
        file,
        "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\n\
         PPid:\t{ppid}\nTracerPid:\t0\n"
    )
    .unwrap();
    writeln!(
        file,
        "Uid:\t{}\t{}\t{}\t{}",
        want.real, want.effective, want.saved, want.fs
    )
    .unwrap();
    let uid_end = file.len();
    write!(
        file,
        "Gid:\t{gid}\t{gid}\t{gid}\t{gid}\nFDSize:\t64\nGroups:\t{gid} \nThreads:\t1\n"
    )
    .unwrap();

    assert_eq!(
        status_uids(&file),
        Some(want),
        "status_uids({:?})",
        String::from_utf8_lossy(&file)
    );
    check_bytes(&file);

    let end = cut % (file.len() + 1);
    let short = &file[..end];
    let expect = (end >= uid_end).then_some(want);
    assert_eq!(
        status_uids(short),
        expect,
        "status_uids({:?})",
        String::from_utf8_lossy(short)
    );
    check_bytes(short);
}

/// The fuzz entry point: even first byte, the rest is a status file; odd, a
/// status file built from fuzz-chosen fields.
pub fn check(input: &[u8]) {
    match input.split_first() {
        None => {}
        Some((mode, rest)) if mode & 1 == 0 => check_bytes(rest),
        Some((_, rest)) => check_structured(rest),
    }
}
