//! `/proc/<pid>/stat` (`fs/proc/array.c`, `do_task_stat`).

use super::digits::parse_i32;

/// The fields of `/proc/<pid>/stat` this crate uses.
#[non_exhaustive]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: the state letter (`R`, `S`, `Z`, …).
    pub state: u8,
    /// Field 4: the real parent's pid (0 for pid 1, kthreadd, and a task in
    /// its final release).
    pub ppid: i32,
    /// Field 5: the process group id (-1 for a task in its final release).
    pub pgrp: i32,
    /// Field 6: the session id.
    pub session: i32,
    /// Field 7: the controlling terminal, `new_encode_dev` encoded; 0 for none.
    pub tty_nr: i32,
}

/// Parses `/proc/<pid>/stat` (or a prefix of it that reaches field 7).
///
/// The command name, field 2, is printed unescaped and may hold spaces,
/// parentheses and newlines, so parsing starts after the **last** `)`.
/// Returns `None` when that `)` or any of fields 3–7 is missing or invalid.
///
/// ```
/// use pidquery::parse::stat;
///
/// let s = stat(b"77 () S 1 77 5\n) S 12 34 34 0 -1 4194560 0").unwrap();
/// assert_eq!((s.state, s.ppid, s.pgrp, s.session, s.tty_nr), (b'S', 12, 34, 34, 0));
/// assert_eq!(stat(b"77 (x) S 1 2"), None); // truncated before tty_nr
/// ```
pub fn stat(bytes: &[u8]) -> Option<Stat> {
    let close = bytes.iter().rposition(|&b| b == b')')?;
    let rest = bytes.get(close + 1..)?;
    let mut fields = rest.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let state = match fields.next()? {
        [c] => *c,
        _ => return None,
    };
    let ppid = parse_i32(fields.next()?)?;
    let pgrp = parse_i32(fields.next()?)?;
    let session = parse_i32(fields.next()?)?;
    let tty_field = fields.next()?;
    // The last field read must be followed by a separator, or the buffer may
    // have cut it short ("34816" read as "348").
    let tty_end = tty_field.as_ptr() as usize - rest.as_ptr() as usize + tty_field.len();
    if tty_end >= rest.len() {
        return None;
    }
    let tty_nr = parse_i32(tty_field)?;
    Some(Stat {
        state,
        ppid,
        pgrp,
        session,
        tty_nr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parses_after_the_last_paren() {
        let s = stat(b"5 (a) b) c) R 9 8 7 6 5 4").unwrap();
        assert_eq!(
            (s.state, s.ppid, s.pgrp, s.session, s.tty_nr),
            (b'R', 9, 8, 7, 6)
        );
        // A name that forges fields: ") S 1 77 5\n".
        let s = stat(b"300 () S 1 77 5\n) S 299 300 300 0 -1 4194304 1 2 3").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.tty_nr), (299, 300, 0));
        // Spaces and newlines in the name.
        let s = stat(b"8 (a b\nc d) S 2 0 0 0 -1 69238880").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.session), (2, 0, 0));
    }

    #[test]
    fn stat_handles_long_kernel_thread_names() {
        let name = "kworker/u16:3-events_unbound_with_a_very_long_name_of_63_bytes_";
        let name = &name[..63];
        let line = format!("123 ({name}) I 2 0 0 0 -1 69238880 0 0");
        let s = stat(line.as_bytes()).unwrap();
        assert_eq!((s.state, s.ppid, s.pgrp, s.tty_nr), (b'I', 2, 0, 0));
    }

    #[test]
    fn stat_handles_negative_and_large_fields() {
        let s = stat(b"1 (x) Z 0 -1 -1 -2147483648 -1").unwrap();
        assert_eq!((s.ppid, s.pgrp, s.session, s.tty_nr), (0, -1, -1, i32::MIN));
        // /dev/pts/300: new_encode_dev(136, 300) = 0x10882C.
        let s = stat(b"1 (x) S 0 1 1 1083436 1").unwrap();
        assert_eq!(s.tty_nr, 0x10882C);
    }

    #[test]
    fn stat_rejects_truncated_and_garbage() {
        for bad in [
            &b""[..],
            b"1 (x",
            b"1 (x)",
            b"1 (x) S",
            b"1 (x) S 1 2 3",
            b"1 (x) S 1 2 3 348",
            b"1 (x) SS 1 2 3 4 5",
            b"1 (x) S 1 2 3 4a 5",
            b"1 (x) S 1 2 3 99999999999 5",
            b"1 (x) S 1 2 3 - 5",
        ] {
            assert_eq!(stat(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}

/// Every field of a `/proc/<pid>/stat` record (`proc(5)`; `do_task_stat`
/// in `fs/proc/array.c`), numbered as there.
///
/// Fields 26–30 and 45–52 read as 0 unless the reader may ptrace the
/// process; `kstkesp`/`kstkeip` are 0 except while it dumps core. Fields
/// 42–52 arrived in later kernels (2.6.18 to 3.5) and are `None` when the
/// record stops before them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatRecord<'a> {
    /// 1: the (thread) id the record describes.
    pub pid: i32,
    /// 2: the command name, without its parentheses; unescaped, so any byte.
    pub comm: &'a [u8],
    /// 3: the state letter.
    pub state: u8,
    /// 4: the real parent's pid.
    pub ppid: i32,
    /// 5: the process group id.
    pub pgrp: i32,
    /// 6: the session id.
    pub session: i32,
    /// 7: the controlling terminal (`new_encode_dev`), 0 for none.
    pub tty_nr: i32,
    /// 8: the terminal's foreground process group, -1 without a terminal.
    pub tpgid: i32,
    /// 9: the kernel's `PF_*` flags.
    pub flags: u32,
    /// 10: minor faults.
    pub minflt: u64,
    /// 11: minor faults of waited-for children.
    pub cminflt: u64,
    /// 12: major faults.
    pub majflt: u64,
    /// 13: major faults of waited-for children.
    pub cmajflt: u64,
    /// 14: user time, in clock ticks.
    pub utime: u64,
    /// 15: system time, in clock ticks.
    pub stime: u64,
    /// 16: user time of waited-for children, in clock ticks.
    pub cutime: i64,
    /// 17: system time of waited-for children, in clock ticks.
    pub cstime: i64,
    /// 18: the scheduling priority as the kernel shows it.
    pub priority: i64,
    /// 19: the nice value (-20 to 19).
    pub nice: i64,
    /// 20: the number of threads.
    pub num_threads: i64,
    /// 21: always 0 (`itrealvalue`).
    pub itrealvalue: i64,
    /// 22: the start time, in clock ticks since boot.
    pub starttime: u64,
    /// 23: virtual memory size, in bytes.
    pub vsize: u64,
    /// 24: resident set size, in pages.
    pub rss: i64,
    /// 25: the soft limit on the resident set, in bytes.
    pub rsslim: u64,
    /// 26: the address above which program text can run.
    pub startcode: u64,
    /// 27: the address below which program text can run.
    pub endcode: u64,
    /// 28: the start (bottom) of the stack.
    pub startstack: u64,
    /// 29: the stack pointer (0 unless dumping).
    pub kstkesp: u64,
    /// 30: the instruction pointer (0 unless dumping).
    pub kstkeip: u64,
    /// 31: pending signals (obsolete bitmap).
    pub signal: u64,
    /// 32: blocked signals (obsolete bitmap).
    pub blocked: u64,
    /// 33: ignored signals (obsolete bitmap).
    pub sigignore: u64,
    /// 34: caught signals (obsolete bitmap).
    pub sigcatch: u64,
    /// 35: 1 if the task is blocked in the kernel, else 0 (`wchan`).
    pub wchan: u64,
    /// 36: always 0 (`nswap`).
    pub nswap: u64,
    /// 37: always 0 (`cnswap`).
    pub cnswap: u64,
    /// 38: the signal sent to the parent at exit; -1 for a thread that is
    /// not its group's leader.
    pub exit_signal: i32,
    /// 39: the CPU it last ran on.
    pub processor: i32,
    /// 40: the real-time priority, 0 for normal policies.
    pub rt_priority: u32,
    /// 41: the scheduling policy.
    pub policy: u32,
    /// 42: block I/O delays, in clock ticks.
    pub delayacct_blkio_ticks: Option<u64>,
    /// 43: guest time, in clock ticks.
    pub guest_time: Option<u64>,
    /// 44: guest time of waited-for children, in clock ticks.
    pub cguest_time: Option<i64>,
    /// 45: start of the data segment.
    pub start_data: Option<u64>,
    /// 46: end of the data segment.
    pub end_data: Option<u64>,
    /// 47: start of the heap.
    pub start_brk: Option<u64>,
    /// 48: start of the command line.
    pub arg_start: Option<u64>,
    /// 49: end of the command line.
    pub arg_end: Option<u64>,
    /// 50: start of the environment.
    pub env_start: Option<u64>,
    /// 51: end of the environment.
    pub env_end: Option<u64>,
    /// 52: the exit status, as `waitpid` reports it.
    pub exit_code: Option<i32>,
}

/// Parses a whole `/proc/<pid>/stat` record: every field, the command name
/// found between the first `(` and the **last** `)`.
///
/// The record must be complete: it ends with the kernel's newline, so a
/// buffer that cut it short is refused rather than misread (the one
/// exception is a name that itself holds a whole forged record and a
/// newline, cut right after it; the Linux backend reads into a buffer
/// larger than any record, so it never parses a cut one). Fields 1–41 are
/// required; 42–52 may be absent (older kernels) but not partly present in
/// a way that breaks their order. Returns `None` for anything else: a
/// missing parenthesis, a state that is not one byte other than a space, a
/// field that is not a decimal number of its type, extra fields.
///
/// ```
/// use pidquery::parse::stat_record;
///
/// let line = b"77 () S 1 77 5\n) S 12 34 34 0 -1 4194560 1 0 0 0 3 4 0 0 20 0 1 0 \
/// 555 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
/// let s = stat_record(line).unwrap();
/// assert_eq!(s.comm, b") S 1 77 5\n");
/// assert_eq!((s.ppid, s.pgrp, s.num_threads, s.starttime), (12, 34, 1, 555));
/// assert_eq!((s.exit_signal, s.exit_code), (17, Some(0)));
/// assert_eq!(stat_record(&line[..line.len() - 1]), None); // no newline: cut short
/// ```
pub fn stat_record(bytes: &[u8]) -> Option<StatRecord<'_>> {
    use super::digits::{parse_i64, parse_u64};

    let body = bytes.strip_suffix(b"\n")?;
    let open = body.iter().position(|&b| b == b'(')?;
    let close = body.iter().rposition(|&b| b == b')')?;
    let pid = parse_i32(body.get(..open)?.strip_suffix(b" ")?)?;
    let comm = body.get(open + 1..close)?;
    let rest = body.get(close + 1..)?.strip_prefix(b" ")?;
    // The state is one byte, not a number; then exactly one space between
    // fields, as the kernel prints them.
    let (state, after_state) = match rest {
        [c, b' ', tail @ ..] if *c != b' ' => (*c, tail),
        _ => return None,
    };
    let mut fields = after_state.split(|&b| b == b' ');
    let mut next = || fields.next();
    let i32_ = |f: Option<&[u8]>| f.and_then(parse_i32);
    let u64_ = |f: Option<&[u8]>| f.and_then(parse_u64);
    let i64_ = |f: Option<&[u8]>| f.and_then(parse_i64);
    let u32_ = |f: Option<&[u8]>| f.and_then(super::digits::parse_u32);
    let mut record = StatRecord {
        pid,
        comm,
        state,
        ppid: i32_(next())?,
        pgrp: i32_(next())?,
        session: i32_(next())?,
        tty_nr: i32_(next())?,
        tpgid: i32_(next())?,
        flags: u32_(next())?,
        minflt: u64_(next())?,
        cminflt: u64_(next())?,
        majflt: u64_(next())?,
        cmajflt: u64_(next())?,
        utime: u64_(next())?,
        stime: u64_(next())?,
        cutime: i64_(next())?,
        cstime: i64_(next())?,
        priority: i64_(next())?,
        nice: i64_(next())?,
        num_threads: i64_(next())?,
        itrealvalue: i64_(next())?,
        starttime: u64_(next())?,
        vsize: u64_(next())?,
        rss: i64_(next())?,
        rsslim: u64_(next())?,
        startcode: u64_(next())?,
        endcode: u64_(next())?,
        startstack: u64_(next())?,
        kstkesp: u64_(next())?,
        kstkeip: u64_(next())?,
        signal: u64_(next())?,
        blocked: u64_(next())?,
        sigignore: u64_(next())?,
        sigcatch: u64_(next())?,
        wchan: u64_(next())?,
        nswap: u64_(next())?,
        cnswap: u64_(next())?,
        exit_signal: i32_(next())?,
        processor: i32_(next())?,
        rt_priority: u32_(next())?,
        policy: u32_(next())?,
        delayacct_blkio_ticks: None,
        guest_time: None,
        cguest_time: None,
        start_data: None,
        end_data: None,
        start_brk: None,
        arg_start: None,
        arg_end: None,
        env_start: None,
        env_end: None,
        exit_code: None,
    };
    // The optional tail: each field present must parse, in order.
    macro_rules! tail {
        ($($field:ident: $parse:expr),* $(,)?) => {
            $(
                match next() {
                    None => return Some(record),
                    Some(f) => record.$field = Some($parse(Some(f))?),
                }
            )*
        };
    }
    tail!(
        delayacct_blkio_ticks: u64_,
        guest_time: u64_,
        cguest_time: i64_,
        start_data: u64_,
        end_data: u64_,
        start_brk: u64_,
        arg_start: u64_,
        arg_end: u64_,
        env_start: u64_,
        env_end: u64_,
        exit_code: i32_,
    );
    match next() {
        None => Some(record),
        Some(_) => None,
    }
}

#[cfg(test)]
mod record_tests {
    use super::*;

    /// A record with `comm` and the 49 numeric fields after the state.
    fn line(comm: &str, tail: usize) -> String {
        let mut s = format!("300 ({comm}) S");
        for i in 0..tail {
            s.push_str(&format!(" {}", 4 + i));
        }
        s.push('\n');
        s
    }

    #[test]
    fn record_reads_every_field_in_order() {
        let text = line("a) b", 49);
        let r = stat_record(text.as_bytes()).unwrap();
        assert_eq!((r.pid, r.comm, r.state), (300, &b"a) b"[..], b'S'));
        assert_eq!(
            (r.ppid, r.pgrp, r.session, r.tty_nr, r.tpgid),
            (4, 5, 6, 7, 8)
        );
        assert_eq!(
            (r.flags, r.nice, r.num_threads, r.starttime),
            (9, 19, 20, 22)
        );
        assert_eq!((r.exit_signal, r.processor, r.policy), (38, 39, 41));
        assert_eq!((r.delayacct_blkio_ticks, r.exit_code), (Some(42), Some(52)));
        // Older kernels stop earlier; a record may stop after any tail field.
        for tail in 38..49 {
            let text = line("x", tail);
            let r = stat_record(text.as_bytes()).unwrap();
            assert_eq!(r.policy, 41);
            assert_eq!(r.exit_code, None);
        }
        assert_eq!(stat_record(line("x", 37).as_bytes()), None);
        assert_eq!(stat_record(line("x", 50).as_bytes()), None);
    }

    #[test]
    fn record_reads_this_process() {
        let text = std::fs::read("/proc/self/stat").unwrap();
        let r = stat_record(&text).unwrap();
        assert_eq!(r.pid as u32, std::process::id());
        // The leader's state: the main thread may be waiting for this one.
        assert!(matches!(r.state, b'R' | b'S'));
        assert!(r.num_threads >= 1 && r.starttime > 0);
        assert!(r.exit_code.is_some());
    }

    #[test]
    fn record_rejects_garbage() {
        let good = line("x", 49);
        for bad in [
            good.replace(" 22 ", " -22 "),
            good.replace(" 38 ", " 38  "),
            good.replace("300 (", "300("),
            good.replace(") S", ")S"),
            good.replace(" S ", " SS "),
            good.replace(" 4 ", " 99999999999 "),
            good.trim_end().to_string(),
            String::new(),
        ] {
            assert_eq!(stat_record(bad.as_bytes()), None, "{bad:?}");
        }
        // Negative signed fields are fine.
        let neg = good.replace(" 38 ", " -1 ").replace(" 19 ", " -20 ");
        let r = stat_record(neg.as_bytes()).unwrap();
        assert_eq!((r.exit_signal, r.nice), (-1, -20));
    }
}
