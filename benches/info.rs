//! The cost per process of "who is this pid": `System::info` against
//! reading `stat` and `status` by hand (the floor), `procfs` and `sysinfo`
//! doing the same, for one process and for the whole table.
//!
//! ```text
//! cargo bench --bench info -- --warm-up-time 1 --measurement-time 3
//! cargo bench --bench info -- --test       # each contestant once (CI)
//! ```
//!
//! After the criterion groups, the contestants run again interleaved (each
//! a short slice per round, fastest call kept, median ratio over rounds, as
//! the `ratios` bench does), and a ratio table is printed: on a busy
//! machine those ratios hold better than ones between criterion runs made
//! seconds apart. `PIDQUERY_BENCH_ROUNDS` (default 21) sets the rounds.
//!
//! The contestants:
//! - `pidquery info`: [`System::info`], warm;
//! - `floor`: `openat` + `read` + `close` of `<pid>/stat` and of
//!   `<pid>/status` on a kept-open `/proc`, into stack buffers, no parsing:
//!   the least a reader of both files can do;
//! - `procfs`: `Process::new(pid)`, then `.stat()` and `.status()`;
//! - `sysinfo`: a refresh of that one process with its user ids, on a
//!   `System` kept across calls (it gives no group, session or terminal).
//!
//! For the whole table: `pidquery infos` ([`System::infos`] of `all`),
//! `floor` (the same reads for every pid of a `getdents64` scan), `procfs`
//! (`all_processes()`, `stat()`, `status()`) and `sysinfo` (a refresh of
//! every process with user ids).

#[cfg(target_os = "linux")]
fn main() {
    linux::main();
}

/// The benchmarks read `/proc`: elsewhere there is nothing to run.
#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the pidquery benchmarks run on Linux only");
}

#[cfg(target_os = "linux")]
mod linux {
    use std::hint::black_box;
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use criterion::{Criterion, Throughput};
    use pidquery::{InfoBuf, Pid, PidQuery, System};
    use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, UpdateKind};

    /// A contestant: a name and a call returning how many processes it read.
    type Run = Box<dyn FnMut() -> usize>;

    /// How long one contestant runs per round of the interleaved table.
    const SLICE: Duration = Duration::from_millis(40);

    /// A `sleep` killed on drop.
    struct Sleeper(Child);

    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// A kept-open `/proc` for the floor.
    struct Floor {
        proc: OwnedFd,
        dents: Vec<u8>,
    }

    impl Floor {
        fn open() -> Floor {
            let proc = std::fs::File::open("/proc").expect("/proc").into();
            Floor {
                proc,
                dents: vec![0; 32 * 1024],
            }
        }

        /// `stat` and `status` of `pid`, with paths built on the stack.
        fn read_pid(&self, pid: i32) -> usize {
            let mut total = 0;
            for file in ["stat", "status"] {
                let mut path = [0u8; 32];
                let text = format_path(pid, file, &mut path);
                let c = std::ffi::CStr::from_bytes_with_nul(text).expect("a path");
                let mut buf = [0u8; 4096];
                // SAFETY: `self.proc` is open; `c` is NUL-terminated.
                let fd = unsafe {
                    libc::openat(
                        self.proc.as_raw_fd(),
                        c.as_ptr(),
                        libc::O_RDONLY | libc::O_CLOEXEC,
                    )
                };
                if fd < 0 {
                    continue;
                }
                // SAFETY: `fd` is open; `buf` is writable for its length.
                let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                // SAFETY: `fd` is ours to close.
                unsafe { libc::close(fd) };
                total += usize::try_from(n).unwrap_or(0);
            }
            total
        }

        /// Every pid of a `getdents64` scan of `/proc`, each read.
        fn read_all(&mut self) -> usize {
            let fd = self.proc.as_raw_fd();
            // SAFETY: `fd` is open; no memory is passed.
            unsafe { libc::lseek(fd, 0, libc::SEEK_SET) };
            let mut count = 0;
            loop {
                let len = self.dents.len();
                // SAFETY: the kernel writes at most `len` bytes to `dents`.
                let n = unsafe {
                    libc::syscall(libc::SYS_getdents64, fd, self.dents.as_mut_ptr(), len)
                };
                if n <= 0 {
                    return count;
                }
                let n = n as usize;
                let mut at = 0;
                let mut pids = Vec::new();
                while at + 19 < n {
                    let reclen = usize::from(u16::from_ne_bytes([
                        self.dents[at + 16],
                        self.dents[at + 17],
                    ]));
                    let name = &self.dents[at + 19..at + reclen];
                    let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                    if !name.is_empty() && name.iter().all(u8::is_ascii_digit) {
                        if let Ok(pid) = std::str::from_utf8(name).unwrap_or("").parse::<i32>() {
                            pids.push(pid);
                        }
                    }
                    at += reclen;
                }
                for pid in pids {
                    if self.read_pid(pid) > 0 {
                        count += 1;
                    }
                }
            }
        }
    }

    /// `"<pid>/<file>\0"` into `out`.
    fn format_path<'o>(pid: i32, file: &str, out: &'o mut [u8; 32]) -> &'o [u8] {
        use std::io::Write;
        let mut cursor = std::io::Cursor::new(&mut out[..]);
        let _ = write!(cursor, "{pid}/{file}\0");
        let len = cursor.position() as usize;
        &out[..len]
    }

    fn contestants_one(pid: i32) -> Vec<(&'static str, Run)> {
        let system = System::live().expect("/proc");
        let p = Pid::from_raw(pid).expect("pid");
        let floor = Floor::open();
        let mut si = sysinfo::System::new();
        let si_pid = sysinfo::Pid::from_u32(pid as u32);
        let kind = ProcessRefreshKind::nothing()
            .without_tasks()
            .with_user(UpdateKind::Always);
        vec![
            (
                "pidquery info",
                Box::new(move || usize::from(black_box(system.info(p)).is_ok())),
            ),
            (
                "floor",
                Box::new(move || usize::from(floor.read_pid(pid) > 0)),
            ),
            (
                "procfs",
                Box::new(move || {
                    let Ok(process) = procfs::process::Process::new(pid) else {
                        return 0;
                    };
                    let stat = black_box(process.stat());
                    let status = black_box(process.status());
                    usize::from(stat.is_ok() && status.is_ok())
                }),
            ),
            (
                "sysinfo",
                Box::new(move || {
                    si.refresh_processes_specifics(ProcessesToUpdate::Some(&[si_pid]), true, kind);
                    let p = si.process(si_pid);
                    usize::from(
                        black_box(p.map(|p| (p.parent(), p.user_id(), p.start_time()))).is_some(),
                    )
                }),
            ),
        ]
    }

    fn contestants_all() -> Vec<(&'static str, Run)> {
        let system = System::live().expect("/proc");
        let mut buf = InfoBuf::with_capacity(4096);
        let mut floor = Floor::open();
        let mut si = sysinfo::System::new();
        let kind = ProcessRefreshKind::nothing()
            .without_tasks()
            .with_user(UpdateKind::Always);
        vec![
            (
                "pidquery infos",
                Box::new(move || {
                    system
                        .infos(&PidQuery::all(), &mut buf)
                        .map_or(0, <[_]>::len)
                }),
            ),
            ("floor", Box::new(move || floor.read_all())),
            (
                "procfs",
                Box::new(move || {
                    let Ok(all) = procfs::process::all_processes() else {
                        return 0;
                    };
                    let mut n = 0;
                    for process in all.flatten() {
                        if black_box(process.stat()).is_ok() && black_box(process.status()).is_ok()
                        {
                            n += 1;
                        }
                    }
                    n
                }),
            ),
            (
                "sysinfo",
                Box::new(move || {
                    si.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
                    si.processes().len()
                }),
            ),
        ]
    }

    /// The median of `v`.
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    /// Runs every contestant interleaved for `rounds` rounds; prints each
    /// one's median best time per call and its ratio to the first.
    fn interleaved(
        title: &str,
        per: usize,
        contestants: &mut [(&'static str, Run)],
        rounds: usize,
    ) {
        let mut best: Vec<Vec<f64>> = vec![Vec::new(); contestants.len()];
        for round in 0..rounds {
            for k in 0..contestants.len() {
                let i = (k + round) % contestants.len();
                let run = &mut contestants[i].1;
                let start = Instant::now();
                let mut fastest = f64::MAX;
                let mut calls = 0;
                while calls < 3 || start.elapsed() < SLICE {
                    let t = Instant::now();
                    black_box(run());
                    fastest = fastest.min(t.elapsed().as_secs_f64());
                    calls += 1;
                }
                best[i].push(fastest);
            }
        }
        let base: Vec<f64> = best[0].clone();
        println!("\n{title} ({per} processes per call, median of {rounds} interleaved rounds)");
        println!(
            "| contestant | per call | per process | / {} |",
            contestants[0].0
        );
        println!("| --- | ---: | ---: | ---: |");
        for (i, (name, _)) in contestants.iter().enumerate() {
            let ratios: Vec<f64> = best[i].iter().zip(&base).map(|(a, b)| a / b).collect();
            let t = median(best[i].clone());
            println!(
                "| {name} | {:.1} µs | {:.2} µs | {:.2} |",
                t * 1e6,
                t * 1e6 / per.max(1) as f64,
                median(ratios)
            );
        }
    }

    pub fn main() {
        let test_mode = std::env::args().any(|a| a == "--test");
        let sleeper = Sleeper(
            Command::new("sleep")
                .arg("600")
                .stdin(Stdio::null())
                .spawn()
                .expect("spawn sleep"),
        );
        let pid = sleeper.0.id() as i32;
        // Let it exec.
        for _ in 0..200 {
            if std::fs::read(format!("/proc/{pid}/comm")).is_ok_and(|c| c == b"sleep\n") {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut c = Criterion::default().configure_from_args();
        let mut one = contestants_one(pid);
        {
            let mut g = c.benchmark_group("info one process");
            g.throughput(Throughput::Elements(1));
            for (name, run) in &mut one {
                g.bench_function(*name, |b| b.iter(|| black_box(run())));
            }
            g.finish();
        }
        let mut all = contestants_all();
        let procs = (all[0].1)();
        {
            let mut g = c.benchmark_group("info every process");
            g.throughput(Throughput::Elements(procs as u64));
            for (name, run) in &mut all {
                g.bench_function(*name, |b| b.iter(|| black_box(run())));
            }
            g.finish();
        }
        c.final_summary();
        if test_mode {
            // Every contestant read something.
            for (name, run) in one.iter_mut().chain(all.iter_mut()) {
                assert!(run() > 0, "{name} read nothing");
            }
            return;
        }
        let rounds = std::env::var("PIDQUERY_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(21);
        interleaved("info of one process", 1, &mut one, rounds);
        interleaved("infos of every process", procs, &mut all, rounds);
        drop(sleeper);
    }
}
