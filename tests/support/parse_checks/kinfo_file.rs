//! `parse::kinfo_files` against a naive reading of packed
//! `struct kinfo_file` records (`sys/sys/user.h`; `sys/kern/kern_descrip.c`,
//! `pack_kinfo`: `kf_structsize` = `roundup2(offsetof(kf_path) +
//! strlen(kf_path) + 1, 8)`, 376 to 1392 bytes).

use pidquery::parse::{kinfo_files, KinfoFile, KinfoFileError, KINFO_FILE_MIN, KINFO_FILE_SIZE};

use super::cursor::Cursor;

/// `offsetof(struct kinfo_file, kf_path)`.
const KF_PATH: usize = 368;

fn int(b: &[u8], at: usize) -> i32 {
    i32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
}

/// The reference: records one after another, each at least the header and
/// an empty path, a multiple of 8, at most the struct, and within the
/// bytes; the first bad one ends the list with its error.
fn reference(bytes: &[u8]) -> Vec<Result<KinfoFile, KinfoFileError>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 4 {
            out.push(Err(KinfoFileError::Short { at }));
            break;
        }
        let size = int(rest, 0);
        let ok = size >= KINFO_FILE_MIN as i32 && size <= KINFO_FILE_SIZE as i32 && size % 8 == 0;
        if !ok {
            out.push(Err(KinfoFileError::Size { at, size }));
            break;
        }
        let size = size as usize;
        if size > rest.len() {
            out.push(Err(KinfoFileError::Short { at }));
            break;
        }
        out.push(Ok(KinfoFile {
            size,
            kind: int(rest, 4),
            fd: int(rest, 8),
        }));
        at += size;
    }
    out
}

/// `kinfo_files(bytes)` agrees with the reference.
pub fn check_bytes(bytes: &[u8]) {
    let got: Vec<_> = kinfo_files(bytes).collect();
    assert_eq!(got, reference(bytes));
}

/// Up to 6 records as the kernel packs them, from fuzz-chosen types, fds
/// and path lengths (a bad `kf_structsize` now and then); the parser must
/// return exactly those, then agree with the reference on a fuzz-chosen
/// prefix.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let n = usize::from(c.byte() % 7);
    let mut bytes = Vec::new();
    let mut want = Vec::new();
    for _ in 0..n {
        let path = usize::from(c.byte()) << 2 | usize::from(c.byte() & 3);
        let path = path.min(1023);
        let size = (KF_PATH + path + 1).next_multiple_of(8);
        let (kind, fd) = (c.i32(), c.i32());
        let bad = c.byte() % 13 == 0;
        let written = if bad { size as i32 + 4 } else { size as i32 };
        let at = bytes.len();
        bytes.resize(at + size, 0);
        bytes[at..at + 4].copy_from_slice(&written.to_ne_bytes());
        bytes[at + 4..at + 8].copy_from_slice(&kind.to_ne_bytes());
        bytes[at + 8..at + 12].copy_from_slice(&fd.to_ne_bytes());
        for b in &mut bytes[at + KF_PATH..at + KF_PATH + path] {
            *b = b'a';
        }
        want.push((bad, KinfoFile { size, kind, fd }));
    }
    let got: Vec<_> = kinfo_files(&bytes).collect();
    for (i, (bad, f)) in want.iter().enumerate() {
        let Some(g) = got.get(i) else {
            // Only after a bad record does the list end early.
            assert!(want[..i].iter().any(|(b, _)| *b), "record {i} missing");
            break;
        };
        match g {
            Ok(g) => {
                assert!(!bad, "a bad kf_structsize parsed");
                assert_eq!(g, f);
            }
            Err(_) => {
                assert!(*bad);
                assert_eq!(got.len(), i + 1, "nothing after a bad record");
                break;
            }
        }
    }
    check_bytes(&bytes);
    let cut = (usize::from(c.byte()) << 8 | usize::from(c.byte())) % (bytes.len() + 1);
    check_bytes(&bytes[..cut]);
}

/// The fuzz entry point: even first byte, the rest is kernel bytes; odd,
/// records built from fuzz-chosen fields.
pub fn check(input: &[u8]) {
    match input.split_first() {
        None => {}
        Some((mode, rest)) if mode & 1 == 0 => check_bytes(rest),
        Some((_, rest)) => check_structured(rest),
    }
}
