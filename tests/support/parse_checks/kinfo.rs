//! `parse::kinfo_procs` against a naive reading of an array of 64-bit
//! `struct kinfo_proc` (`sys/sys/user.h`; offsets as `offset_of!` gives
//! them for `libc`'s `kinfo_proc` on x86_64-unknown-freebsd).

use pidquery::parse::{kinfo_procs, KinfoError, KinfoLayout, NODEV};

use super::cursor::Cursor;

const SIZE: usize = 1088;

/// The fields the reference reads, in the order of `user.h`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fields {
    structsize: i32,
    pid: i32,
    ppid: i32,
    pgid: i32,
    tpgid: i32,
    sid: i32,
    tsid: i32,
    uid: u32,
    ruid: u32,
    svuid: u32,
    rgid: u32,
    svgid: u32,
    egid: u32,
    start_sec: i64,
    start_usec: i64,
    flag: i64,
    kiflag: i64,
    stat: u8,
    nice: i8,
    comm: [u8; 20],
    tdev: u64,
    jid: i32,
    numthreads: i32,
    tid: i32,
}

fn at<const N: usize>(r: &[u8], off: usize) -> [u8; N] {
    r[off..off + N].try_into().unwrap()
}

/// One record, read naively.
fn read(r: &[u8]) -> Fields {
    Fields {
        structsize: i32::from_ne_bytes(at(r, 0)),
        pid: i32::from_ne_bytes(at(r, 72)),
        ppid: i32::from_ne_bytes(at(r, 76)),
        pgid: i32::from_ne_bytes(at(r, 80)),
        tpgid: i32::from_ne_bytes(at(r, 84)),
        sid: i32::from_ne_bytes(at(r, 88)),
        tsid: i32::from_ne_bytes(at(r, 92)),
        uid: u32::from_ne_bytes(at(r, 168)),
        ruid: u32::from_ne_bytes(at(r, 172)),
        svuid: u32::from_ne_bytes(at(r, 176)),
        rgid: u32::from_ne_bytes(at(r, 180)),
        svgid: u32::from_ne_bytes(at(r, 184)),
        egid: u32::from_ne_bytes(at(r, 192)),
        start_sec: i64::from_ne_bytes(at(r, 336)),
        start_usec: i64::from_ne_bytes(at(r, 344)),
        flag: i64::from_ne_bytes(at(r, 368)),
        kiflag: i64::from_ne_bytes(at(r, 376)),
        stat: r[388],
        nice: r[389] as i8,
        comm: at(r, 447),
        tdev: u64::from_ne_bytes(at(r, 560)),
        jid: i32::from_ne_bytes(at(r, 592)),
        numthreads: i32::from_ne_bytes(at(r, 596)),
        tid: i32::from_ne_bytes(at(r, 600)),
    }
}

/// The reference: a whole number of 1088-byte records, each with
/// `ki_structsize` 1088, read up to the first bad one.
fn reference(bytes: &[u8]) -> Result<Vec<Result<Fields, usize>>, ()> {
    if bytes.len() % SIZE != 0 {
        return Err(());
    }
    Ok(bytes
        .chunks(SIZE)
        .enumerate()
        .map(|(i, r)| {
            let f = read(r);
            if f.structsize == SIZE as i32 {
                Ok(f)
            } else {
                Err(i)
            }
        })
        .collect())
}

/// `kinfo_procs(bytes)` agrees with the reference, record by record.
pub fn check_bytes(bytes: &[u8]) {
    let layout = KinfoLayout::LP64;
    let got = kinfo_procs(bytes, &layout);
    let want = reference(bytes);
    match (got, want) {
        (Err(KinfoError::Ragged { len, size }), Err(())) => {
            assert_eq!((len, size), (bytes.len(), SIZE));
        }
        (Ok(records), Ok(want)) => {
            assert_eq!(records.len(), want.len());
            for (got, want) in records.zip(want) {
                match (got, want) {
                    (Ok(k), Ok(f)) => {
                        let parsed = Fields {
                            structsize: SIZE as i32,
                            pid: k.pid,
                            ppid: k.ppid,
                            pgid: k.pgid,
                            tpgid: k.tpgid,
                            sid: k.sid,
                            tsid: k.tsid,
                            uid: k.uid,
                            ruid: k.ruid,
                            svuid: k.svuid,
                            rgid: k.rgid,
                            svgid: k.svgid,
                            egid: k.egid,
                            start_sec: k.start_sec,
                            start_usec: k.start_usec,
                            flag: k.flag,
                            kiflag: k.kiflag,
                            stat: k.stat,
                            nice: k.nice,
                            comm: k.comm_raw,
                            tdev: k.tdev,
                            jid: k.jid,
                            numthreads: k.numthreads,
                            tid: k.tid,
                        };
                        assert_eq!(parsed, f);
                        let end = f.comm.iter().position(|&b| b == 0).unwrap_or(20);
                        assert_eq!(k.comm(), &f.comm[..end]);
                    }
                    (
                        Err(KinfoError::StructSize {
                            record,
                            found,
                            size,
                        }),
                        Err(i),
                    ) => {
                        assert_eq!((record, size), (i, SIZE));
                        assert_ne!(found, SIZE as i32);
                    }
                    (got, want) => panic!("record: parser {got:?}, reference {want:?}"),
                }
            }
        }
        (got, want) => panic!("parser {got:?}, reference {want:?}"),
    }
}

/// Builds up to 4 records from fuzz-chosen fields (a bad `ki_structsize`
/// now and then, `NODEV` terminals, full-length names) at the offsets of
/// `user.h`, and asserts the parser returns exactly those fields; then
/// cuts the bytes at a fuzz-chosen point, which must be `Ragged` unless it
/// falls on a record boundary.
fn check_structured(input: &[u8]) {
    let mut c = Cursor::new(input);
    let n = usize::from(c.byte() % 5);
    let mut bytes = vec![0u8; n * SIZE];
    let mut want = Vec::new();
    for rec in bytes.chunks_mut(SIZE) {
        let bad = c.byte() % 11 == 0;
        let mut put = |off: usize, b: &[u8]| rec[off..off + b.len()].copy_from_slice(b);
        let structsize: i32 = if bad { c.i32() | 1 } else { SIZE as i32 };
        put(0, &structsize.to_ne_bytes());
        let mut ints = [0i32; 9];
        for (i, v) in ints.iter_mut().enumerate() {
            *v = c.i32();
            let off = [72, 76, 80, 84, 88, 92, 592, 596, 600][i];
            put(off, &v.to_ne_bytes());
        }
        let mut uids = [0u32; 4];
        for (i, v) in uids.iter_mut().enumerate() {
            *v = c.u32();
            put(168 + 4 * i, &v.to_ne_bytes());
        }
        let flag = c.u64() as i64;
        put(368, &flag.to_ne_bytes());
        let stat = c.byte();
        put(388, &[stat]);
        let comm: [u8; 20] = c
            .take(20)
            .iter()
            .chain([0u8; 20].iter())
            .copied()
            .take(20)
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        put(447, &comm);
        let tdev = if c.byte() & 1 == 0 { NODEV } else { c.u64() };
        put(560, &tdev.to_ne_bytes());
        // ki_svgid, ki_groups[0], ki_start, ki_kiflag, ki_nice.
        let (svgid, egid) = (c.u32(), c.u32());
        put(184, &svgid.to_ne_bytes());
        put(192, &egid.to_ne_bytes());
        let (start_sec, start_usec, kiflag) = (c.u64() as i64, c.u64() as i64, c.u64() as i64);
        put(336, &start_sec.to_ne_bytes());
        put(344, &start_usec.to_ne_bytes());
        put(376, &kiflag.to_ne_bytes());
        let nice = c.byte() as i8;
        put(389, &nice.to_ne_bytes());
        want.push((
            bad,
            Fields {
                structsize,
                pid: ints[0],
                ppid: ints[1],
                pgid: ints[2],
                tpgid: ints[3],
                sid: ints[4],
                tsid: ints[5],
                uid: uids[0],
                ruid: uids[1],
                svuid: uids[2],
                rgid: uids[3],
                svgid,
                egid,
                start_sec,
                start_usec,
                flag,
                kiflag,
                stat,
                nice,
                comm,
                tdev,
                jid: ints[6],
                numthreads: ints[7],
                tid: ints[8],
            },
        ));
    }
    let layout = KinfoLayout::LP64;
    let records: Vec<_> = kinfo_procs(&bytes, &layout).unwrap().collect();
    assert_eq!(records.len(), want.len());
    for (got, (bad, f)) in records.into_iter().zip(&want) {
        match got {
            Ok(k) => {
                assert!(!*bad, "a bad ki_structsize {} parsed", f.structsize);
                assert_eq!(
                    (k.pid, k.ppid, k.pgid, k.tpgid, k.sid, k.tsid),
                    (f.pid, f.ppid, f.pgid, f.tpgid, f.sid, f.tsid)
                );
                assert_eq!(
                    (k.uid, k.ruid, k.svuid, k.rgid),
                    (f.uid, f.ruid, f.svuid, f.rgid)
                );
                assert_eq!(
                    (k.flag, k.stat, k.comm_raw, k.tdev),
                    (f.flag, f.stat, f.comm, f.tdev)
                );
                assert_eq!((k.jid, k.numthreads, k.tid), (f.jid, f.numthreads, f.tid));
                assert_eq!(
                    (k.svgid, k.egid, k.start_sec, k.start_usec, k.kiflag, k.nice),
                    (f.svgid, f.egid, f.start_sec, f.start_usec, f.kiflag, f.nice)
                );
            }
            Err(e) => {
                assert!(*bad, "{e:?}");
            }
        }
    }
    check_bytes(&bytes);
    let cut = (usize::from(c.byte()) << 8 | usize::from(c.byte())) % (bytes.len() + 1);
    let short = &bytes[..cut];
    let parsed = kinfo_procs(short, &layout);
    assert_eq!(parsed.is_ok(), cut % SIZE == 0, "cut at {cut}");
    check_bytes(short);
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
