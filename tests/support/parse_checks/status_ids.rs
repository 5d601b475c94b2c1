//! `parse::status_ids` against a naive reading of the id lines of
//! `/proc/<pid>/status` (`proc_pid_status` in `fs/proc/array.c`).

use std::io::Write;

use pidquery::parse::status_ids;

use super::cursor::Cursor;

/// `(tgid, pid, ppid, tracer, uids, gids)`.
type Ids = (i32, i32, i32, i32, [u32; 4], [u32; 4]);

fn digits_u32(field: &str) -> Option<u32> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse().ok()
}

/// The reference: walks whole lines (newline-terminated) up to `FDSize:`;
/// each wanted key once, `<key>:\t<value>`; any line without a colon
/// fails.
fn reference(bytes: &[u8]) -> Option<Ids> {
    let mut found: [Option<Vec<u32>>; 6] = Default::default();
    let keys = ["Tgid", "Pid", "PPid", "TracerPid", "Uid", "Gid"];
    let mut rest = bytes;
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        let colon = line.iter().position(|&b| b == b':')?;
        let (key, value) = (&line[..colon], &line[colon + 1..]);
        if key == b"FDSize" {
            break;
        }
        let Some(k) = keys.iter().position(|k| k.as_bytes() == key) else {
            continue;
        };
        if found[k].is_some() {
            return None;
        }
        let value = std::str::from_utf8(value).ok()?.strip_prefix('\t')?;
        let ids: Vec<u32> = value.split('\t').map(digits_u32).collect::<Option<_>>()?;
        let want = if k >= 4 { 4 } else { 1 };
        if ids.len() != want || (k < 4 && ids[0] > i32::MAX as u32) {
            return None;
        }
        found[k] = Some(ids);
    }
    let [t, p, pp, tr, u, g] = found;
    let one = |v: Option<Vec<u32>>| v.map(|v| v[0] as i32);
    let four = |v: Option<Vec<u32>>| v.map(|v| [v[0], v[1], v[2], v[3]]);
    Some((one(t)?, one(p)?, one(pp)?, one(tr)?, four(u)?, four(g)?))
}

fn ours(bytes: &[u8]) -> Option<Ids> {
    let s = status_ids(bytes)?;
    Some((
        s.tgid,
        s.pid,
        s.ppid,
        s.tracer_pid,
        [s.uid.real, s.uid.effective, s.uid.saved, s.uid.fs],
        [s.gid.real, s.gid.effective, s.gid.saved, s.gid.fs],
    ))
}

/// `parse::status_ids(bytes)` agrees with the reference.
pub fn check_bytes(bytes: &[u8]) {
    assert_eq!(
        ours(bytes),
        reference(bytes),
        "status_ids({:?})",
        String::from_utf8_lossy(bytes)
    );
}

/// A status file as `proc_pid_status` prints it, with a fuzz-chosen name
/// (escaped as the kernel does, so it may hold forged-looking text but no
/// raw newline) and ids; the parser returns exactly those ids, and, cut
/// short, returns them exactly when the `Gid:` line survived whole.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let name_len = usize::from(c.byte()) % 65;
    let mut name = c.take(name_len).to_vec();
    if c.byte() & 1 == 1 {
        name.extend_from_slice(format!("\nTgid:\t{}\n", c.u32() >> 1).as_bytes());
    }
    let pid = (c.u32() >> 1) as i32;
    let ppid = (c.u32() >> 1) as i32;
    let tracer = (c.u32() >> 1) as i32;
    let uids = [c.u32(), c.u32(), c.u32(), c.u32()];
    let gids = [c.u32(), c.u32(), c.u32(), c.u32()];
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
         PPid:\t{ppid}\nTracerPid:\t{tracer}\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n",
        uids[0], uids[1], uids[2], uids[3], gids[0], gids[1], gids[2], gids[3]
    )
    .unwrap();
    let gid_end = file.len();
    file.extend_from_slice(b"FDSize:\t64\nGroups:\t0 \nNStgid:\t1\n");
    let want = Some((pid, pid, ppid, tracer, uids, gids));
    // A name with a colon-less escaped chunk still has "Name:" first.
    assert_eq!(ours(&file), want, "{:?}", String::from_utf8_lossy(&file));
    check_bytes(&file);
    let end = cut % (file.len() + 1);
    let short = &file[..end];
    assert_eq!(ours(short), if end >= gid_end { want } else { None });
    check_bytes(short);
}

/// The fuzz entry point: even first byte, the rest is a status file; odd,
/// one built from fuzz-chosen fields.
pub fn check(input: &[u8]) {
    match input.split_first() {
        None => {}
        Some((mode, rest)) if mode & 1 == 0 => check_bytes(rest),
        Some((_, rest)) => check_structured(rest),
    }
}
