//! `parse::Dirents` and `parse::pid_name` against a naive walker of
//! `linux_dirent64` records and the rules of the kernel's `name_to_int`.

use pidquery::parse::{pid_name, Dirent, DirentError, Dirents};

use super::cursor::Cursor;

/// `d_ino` (8) + `d_off` (8) + `d_reclen` (2) + `d_type` (1).
const HEADER: usize = 19;

/// One record as the reference walker sees it.
#[derive(Debug)]
struct Record<'a> {
    at: usize,
    reclen: usize,
    ino: u64,
    off: i64,
    kind: u8,
    name: &'a [u8],
}

/// Walks `buf` record by record, the slow and obvious way: a record needs a
/// whole header, a `d_reclen` of at least a header and one name byte that
/// stays inside the buffer, and a NUL inside its name area. The first bad
/// record ends the walk.
fn reference(buf: &[u8]) -> Vec<Result<Record<'_>, DirentError>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let left = buf.len() - at;
        if left < HEADER {
            out.push(Err(DirentError::ShortHeader { at }));
            break;
        }
        let field = |from: usize, len: usize| &buf[at + from..at + from + len];
        let reclen_raw = u16::from_ne_bytes(field(16, 2).try_into().unwrap());
        let reclen = reclen_raw as usize;
        if reclen < HEADER + 1 || reclen > left {
            out.push(Err(DirentError::BadRecLen {
                at,
                reclen: reclen_raw,
            }));
            break;
        }
        let area = field(HEADER, reclen - HEADER);
        let Some(nul) = area.iter().position(|&b| b == 0) else {
            out.push(Err(DirentError::UnterminatedName { at }));
            break;
        };
        out.push(Ok(Record {
            at,
            reclen,
            ino: u64::from_ne_bytes(field(0, 8).try_into().unwrap()),
            off: i64::from_ne_bytes(field(8, 8).try_into().unwrap()),
            kind: buf[at + 18],
            name: &area[..nul],
        }));
        at += reclen;
    }
    out
}

/// `name_to_int` (`fs/proc/util.c`) restricted to `pid_t`: non-empty, all
/// ASCII digits, no leading zero unless the name is `"0"`, fits an `i32`.
fn reference_pid_name(name: &[u8]) -> Option<i32> {
    if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if name.len() > 1 && name[0] == b'0' {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse::<i32>().ok()
}

/// `parse::pid_name(name)` agrees with the reference.
pub fn check_pid_name(name: &[u8]) {
    assert_eq!(
        pid_name(name).map(|p| p.as_raw()),
        reference_pid_name(name),
        "pid_name({:?})",
        String::from_utf8_lossy(name)
    );
}

/// Byte offset of `inner` in `outer`, asserting it lies wholly inside.
fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    let start = (inner.as_ptr() as usize)
        .checked_sub(outer.as_ptr() as usize)
        .expect("slice starts before the buffer");
    assert!(
        start + inner.len() <= outer.len(),
        "slice ends past the buffer"
    );
    start
}

/// `Dirents::new(buf)` yields exactly the reference's records, in order,
/// with an error exactly where the reference finds one and nothing after it;
/// names borrow from inside their own record and hold no NUL. Each name also
/// goes through `pid_name`.
pub fn check_buffer(buf: &[u8]) {
    let want = reference(buf);
    // Bounded, so that a parser that never stops fails instead of hanging.
    let got: Vec<Result<Dirent<'_>, DirentError>> =
        Dirents::new(buf).take(want.len() + 1).collect();
    assert_eq!(
        got.len(),
        want.len(),
        "record count: got {got:?}, want {want:?}"
    );
    for (i, (got, want)) in got.iter().zip(&want).enumerate() {
        match (got, want) {
            (Ok(d), Ok(r)) => {
                assert_eq!((d.ino, d.off, d.kind), (r.ino, r.off, r.kind), "record {i}");
                assert_eq!(d.name, r.name, "record {i}");
                assert!(!d.name.contains(&0), "record {i}: NUL in name");
                assert_eq!(d.name_c.to_bytes(), d.name, "record {i}: name_c");
                let with_nul = d.name_c.to_bytes_with_nul();
                let start = offset_in(buf, with_nul);
                assert_eq!(start, r.at + HEADER, "record {i}: name offset");
                assert!(
                    start + with_nul.len() <= r.at + r.reclen,
                    "record {i}: name runs past its record"
                );
                assert_eq!(offset_in(buf, d.name), start, "record {i}: name vs name_c");
                check_pid_name(d.name);
            }
            (Err(g), Err(w)) => assert_eq!(g, w, "record {i}"),
            _ => panic!("record {i}: got {got:?}, want {want:?}"),
        }
    }
    // Fused: once done (after an error or the last record), stays done.
    let mut it = Dirents::new(buf);
    for _ in it.by_ref().take(want.len()) {}
    assert!(it.next().is_none(), "more items than the reference");
    assert!(it.next().is_none(), "not fused");
}

/// What one well-formed record built in structured mode should parse to.
#[derive(Debug, PartialEq)]
struct Built {
    ino: u64,
    off: i64,
    kind: u8,
    name: Vec<u8>,
}

/// Lays out records the way `filldir64` does: `d_reclen` is the header,
/// name and NUL rounded up to 8, and the padding after the NUL is whatever
/// the buffer held before (here a fuzz-chosen byte). Then optionally cuts
/// the buffer short and asserts the parser returns exactly the whole
/// records before the cut, then one error for the cut record. Records whose
/// `d_reclen` the input chose to damage are left to the reference walker.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let garbage = c.byte();
    let cut = c.u32();
    let mut buf = Vec::new();
    let mut built = Vec::new();
    let mut starts = Vec::new();
    let mut damaged = false;
    while !c.is_empty() && built.len() < 64 {
        // Names of 1 to 255 bytes (NAME_MAX); the kernel never emits a NUL
        // inside one, so fuzz-chosen NULs become '0'.
        let len = usize::from(c.byte()).max(1);
        let mut name = c.take(len).to_vec();
        if name.is_empty() {
            name.push(b'1');
        }
        for b in &mut name {
            if *b == 0 {
                *b = b'0';
            }
        }
        let ino = c.u64();
        let off = i64::from_le_bytes(c.u64().to_le_bytes());
        let kind = c.byte();
        // A set high bit damages `d_reclen`: the low bits replace it.
        let damage = c.byte();
        let reclen = (HEADER + name.len() + 1).div_ceil(8) * 8;
        let stored = if damage & 0x80 != 0 {
            damaged = true;
            u16::from(damage & 0x7f)
        } else {
            reclen as u16
        };
        starts.push(buf.len());
        buf.extend_from_slice(&ino.to_ne_bytes());
        buf.extend_from_slice(&off.to_ne_bytes());
        buf.extend_from_slice(&stored.to_ne_bytes());
        buf.push(kind);
        buf.extend_from_slice(&name);
        buf.push(0);
        buf.resize(starts.last().unwrap() + reclen, garbage);
        built.push(Built {
            ino,
            off,
            kind,
            name,
        });
    }
    // Cut odd values of `cut` short somewhere; keep the buffer whole for even.
    let end = if cut & 1 == 1 {
        (cut as usize >> 1) % (buf.len() + 1)
    } else {
        buf.len()
    };
    let buf = &buf[..end];
    check_buffer(buf);
    if damaged {
        // Only the reference walker knows what a damaged buffer reads as.
        return;
    }

    let mut want: Vec<Result<Built, DirentError>> = Vec::new();
    for (record, &at) in built.into_iter().zip(&starts) {
        if at >= end {
            break;
        }
        let reclen = (HEADER + record.name.len() + 1).div_ceil(8) * 8;
        if at + reclen <= end {
            want.push(Ok(record));
        } else if end - at < HEADER {
            want.push(Err(DirentError::ShortHeader { at }));
            break;
        } else {
            want.push(Err(DirentError::BadRecLen {
                at,
                reclen: reclen as u16,
            }));
            break;
        }
    }
    let got: Vec<Result<Built, DirentError>> = Dirents::new(buf)
        .take(want.len() + 1)
        .map(|r| {
            r.map(|d| Built {
                ino: d.ino,
                off: d.off,
                kind: d.kind,
                name: d.name.to_vec(),
            })
        })
        .collect();
    assert_eq!(got, want);
}

/// The fuzz entry point: even first byte, the rest is a `getdents64` buffer
/// (and a `/proc` entry name); odd, records built from fuzz-chosen fields.
pub fn check(input: &[u8]) {
    match input.split_first() {
        None => {}
        Some((mode, rest)) if mode & 1 == 0 => {
            check_buffer(rest);
            check_pid_name(rest);
        }
        Some((_, rest)) => check_structured(rest),
    }
}
