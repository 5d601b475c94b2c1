//! Combined queries against their floors and their peers, in one run, at
//! the machine's own process count and again with each crowd of extra
//! `sleep` processes (`PIDQUERY_BENCH_EXTRA`, as in the `query` bench):
//!
//! - `name and uid`: a `Query` with `euid` and an exact `name` (uid 0,
//!   which most processes pass, and 65534, which few do) against the floor
//!   of one `stat` read per process (`Floor::named` with a name);
//! - `name and cmdline`: an exact name and a command-line substring
//!   against the floor of one `stat` read per process and a `cmdline` read
//!   for those whose name passed; `cmdline`: the substring alone, against
//!   a `cmdline` read per process;
//! - `parent and name` against today's `ppid` alone (`PidQuery::ppid`);
//! - the peers asked the same, as their users write it (procfs, sysinfo
//!   reused, psutil when `python3` has it: `support/combined.rs`);
//! - `real ids`: the real uid of every process from `status` or from
//!   `PIDFD_GET_INFO` (two floors, `Floor::ruid` and `Floor::ruid_pidfd`),
//!   and queries with `ruid` and one more source: `rgid` (one source),
//!   `state` (read first), `cgroup` (read after), `euid` (read first, by
//!   name);
//! - `pidgrep` against `pgrep`, as whole processes, with the same
//!   arguments (`-u root sleep` and `-f 'sleep 7777'`), when a release
//!   `pidgrep` exists (`PIDGREP`, default `target/release/pidgrep`).
//!
//! The question is about three `sleep 7777` children of the bench; the
//! crowd is `sleep 86400`s, so that a name matches every one of them and
//! the command line only the three. Every answer is checked before it is
//! timed. `python3 benches/ratios.py --select` prints the ratio table.
//!
//! ```text
//! cargo build --release -p pidgrep
//! PIDQUERY_BENCH_EXTRA=10000 cargo bench --bench select -- --warm-up-time 1 --measurement-time 3
//! cargo bench --bench select -- --test     # each benchmark once, crowd of 100
//! ```

// Each bench uses part of the shared support.
#[cfg(target_os = "linux")]
#[allow(unused_imports)]
mod support;

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
    use std::env;
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};

    use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
    use pidquery::{Match, Pid, PidBuf, PidQuery, Query, States};

    use super::support::combined::{self, Ask, Psutil};
    use super::support::contest::Expect;
    use super::support::fixture::{self, process_count, Crowd};
    use super::support::floor::Floor;

    /// The name every question asks about, and the command line that only
    /// the bench's own children have.
    const NAME: &str = "sleep";
    const ARG: &str = "7777";
    const PATTERN: &str = "sleep 7777";

    /// The bench's `sleep 7777` children, killed on drop.
    struct Kids(Vec<Child>);

    impl Kids {
        fn pids(&self) -> Vec<i32> {
            self.0.iter().map(|k| k.id() as i32).collect()
        }
    }

    impl Drop for Kids {
        fn drop(&mut self) {
            for k in &mut self.0 {
                let _ = k.kill();
                let _ = k.wait();
            }
        }
    }

    /// What every group's contestants share: buffers, the floor, the
    /// psutil process.
    struct Bench {
        buf: PidBuf,
        floor: Floor,
        out: Vec<i32>,
        psutil: Option<Psutil>,
        kids: Vec<i32>,
    }

    pub fn main() {
        let test_mode = env::args().any(|a| a == "--test");
        let mut c = Criterion::default().configure_from_args();
        let kids = Kids(
            (0..3)
                .map(|_| Command::new(NAME).arg(ARG).spawn().expect("spawn sleep"))
                .collect(),
        );
        let psutil = match Psutil::start() {
            Ok(mut p) => {
                eprintln!("psutil {}", p.version().unwrap_or_default());
                Some(p)
            }
            Err(why) => {
                eprintln!("psutil left out: {why}");
                None
            }
        };
        let mut bench = Bench {
            buf: PidBuf::with_capacity(1 << 16),
            floor: Floor::open().expect("open /proc"),
            out: Vec::with_capacity(1 << 16),
            psutil,
            kids: kids.pids(),
        };
        let pidgrep = env::var_os("PIDGREP").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/pidgrep"),
            PathBuf::from,
        );
        let pidgrep = pidgrep.exists().then_some(pidgrep).or_else(|| {
            eprintln!("no pidgrep: build it with `cargo build --release -p pidgrep`");
            None
        });

        groups(&mut c, &mut bench, pidgrep.as_ref(), "", false);
        for wanted in fixture::crowd_sizes(test_mode) {
            let n = fixture::crowd_allowed(wanted);
            if n == 0 {
                continue;
            }
            let crowd = Crowd::spawn(n).expect("spawn the crowd");
            let suffix = format!(" +{}", crowd.len());
            groups(&mut c, &mut bench, pidgrep.as_ref(), &suffix, true);
            drop(crowd);
        }
        drop(kids);
        c.final_summary();
    }

    /// A group named `name` + `suffix`, with its process count as the
    /// throughput and fewer samples when a crowd makes each call slow.
    fn group<'c>(
        c: &'c mut Criterion,
        name: &str,
        suffix: &str,
        crowd: bool,
    ) -> BenchmarkGroup<'c, criterion::measurement::WallTime> {
        let procs = process_count();
        eprintln!("{name}{suffix}: {procs} processes in /proc");
        let mut g = c.benchmark_group(format!("{name}{suffix}"));
        g.throughput(Throughput::Elements(procs as u64));
        if crowd {
            g.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        g
    }

    fn raw(pids: &[Pid]) -> Vec<i32> {
        pids.iter().map(|p| p.as_raw()).collect()
    }

    /// The real ids: the two floors and queries with `ruid` and one more
    /// source, each asked from `status` or `PIDFD_GET_INFO`.
    fn real_ids(c: &mut Criterion, b: &mut Bench, suffix: &str, crowd: bool) {
        let mut g = group(c, "real ids", suffix, crowd);
        g.bench_function("floor: status read per process", |t| {
            t.iter(|| {
                b.floor.ruid(0, &mut b.out).unwrap();
                black_box(b.out.len())
            })
        });
        g.bench_function("floor: PIDFD_GET_INFO per process", |t| {
            t.iter(|| {
                b.floor.ruid_pidfd(0, &mut b.out).unwrap();
                black_box(b.out.len())
            })
        });
        let cgroup: &[u8] = b"/nowhere";
        for (name, q) in [
            ("pidquery ruid and rgid", Query::new().ruid(0).rgid(0)),
            (
                "pidquery state and ruid",
                Query::new().state(States::SLEEPING).ruid(0),
            ),
            (
                "pidquery ruid and cgroup",
                Query::new().ruid(0).cgroup(cgroup),
            ),
            ("pidquery euid and ruid", Query::new().euid(0).ruid(0)),
        ] {
            g.bench_function(name, |t| {
                t.iter(|| black_box(q.fill(&mut b.buf).unwrap().len()))
            });
        }
        g.finish();
    }

    /// Every group at the current process count.
    fn groups(
        c: &mut Criterion,
        b: &mut Bench,
        pidgrep: Option<&PathBuf>,
        suffix: &str,
        crowd: bool,
    ) {
        real_ids(c, b, suffix, crowd);
        let me = Pid::this();
        let kids = Expect::Exactly(b.kids.clone());
        let some_kids = Expect::Contains(b.kids.clone());
        let asks = [
            (
                "name and uid",
                Query::new().euid(0).name(Match::exact(NAME)),
                Ask::NameUid { name: NAME, uid: 0 },
                some_kids.clone(),
            ),
            (
                "name and cmdline",
                Query::new()
                    .name(Match::exact(NAME))
                    .cmdline(Match::substring(PATTERN)),
                Ask::NameCmdline {
                    name: NAME,
                    pattern: PATTERN,
                },
                kids.clone(),
            ),
            (
                "cmdline",
                Query::new().cmdline(Match::substring(PATTERN)),
                Ask::Cmdline { pattern: PATTERN },
                kids.clone(),
            ),
            (
                "parent and name",
                Query::new().parent(me).name(Match::exact(NAME)),
                Ask::ParentName {
                    parent: me.as_raw(),
                    name: NAME,
                },
                kids.clone(),
            ),
        ];
        for (name, query, ask, expect) in asks {
            let full = format!("{name}{suffix}");
            let mut g = group(c, name, suffix, crowd);

            let got = raw(query.fill(&mut b.buf).expect("query"));
            expect.check("pidquery Query", &full, &got);
            g.bench_function("pidquery Query", |t| {
                t.iter(|| black_box(query.fill(&mut b.buf).unwrap().len()))
            });

            match ask {
                Ask::NameUid { .. } => {
                    let rare = Query::new().euid(65534).name(Match::exact(NAME));
                    g.bench_function("pidquery Query, uid 65534", |t| {
                        t.iter(|| black_box(rare.fill(&mut b.buf).unwrap().len()))
                    });
                    floor(&mut g, b, &full, &some_kids, Some(NAME), None);
                }
                Ask::NameCmdline { .. } => {
                    floor(&mut g, b, &full, &kids, Some(NAME), Some(PATTERN))
                }
                Ask::Cmdline { .. } => floor(&mut g, b, &full, &kids, None, Some(PATTERN)),
                Ask::ParentName { .. } => {
                    let ppid = PidQuery::ppid(me);
                    let got = raw(ppid.fill(&mut b.buf).expect("ppid"));
                    some_kids.check("pidquery ppid alone", &full, &got);
                    g.bench_function("pidquery ppid alone", |t| {
                        t.iter(|| black_box(ppid.fill(&mut b.buf).unwrap().len()))
                    });
                }
            }

            let out = &mut b.out;
            combined::procfs(ask, out).expect("procfs");
            expect.check("procfs", &full, out);
            g.bench_function("procfs", |t| {
                t.iter(|| {
                    combined::procfs(ask, out).unwrap();
                    black_box(out.len())
                })
            });

            let mut system = sysinfo::System::new();
            combined::sysinfo(&mut system, ask, out);
            expect.check("sysinfo reused", &full, out);
            g.bench_function("sysinfo reused", |t| {
                t.iter(|| {
                    combined::sysinfo(&mut system, ask, out);
                    black_box(out.len())
                })
            });

            if let Some(psutil) = &mut b.psutil {
                psutil.ask(ask, out).expect("psutil");
                expect.check("psutil", &full, out);
                g.bench_function("psutil", |t| {
                    t.iter(|| {
                        psutil.ask(ask, out).unwrap();
                        black_box(out.len())
                    })
                });
            }
            g.finish();
        }

        let Some(pidgrep) = pidgrep else { return };
        for args in [&["-u", "root", NAME][..], &["-f", PATTERN][..]] {
            let mut g = group(
                c,
                &format!("whole process: {}", args.join(" ")),
                suffix,
                crowd,
            );
            for (name, program) in [
                ("pgrep", PathBuf::from("pgrep")),
                ("pidgrep", pidgrep.clone()),
            ] {
                g.bench_function(name, |t| {
                    t.iter(|| {
                        Command::new(&program)
                            .args(args)
                            .stdout(Stdio::null())
                            .status()
                            .unwrap()
                    })
                });
            }
            g.finish();
        }
    }

    /// The floor of a name and/or command-line question, checked, then
    /// timed as `floor`.
    fn floor(
        g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
        b: &mut Bench,
        full: &str,
        expect: &Expect,
        name: Option<&str>,
        pattern: Option<&str>,
    ) {
        let (name, pattern) = (name.map(str::as_bytes), pattern.map(str::as_bytes));
        let (floor, out) = (&mut b.floor, &mut b.out);
        floor.named(name, pattern, out).expect("floor");
        expect.check("floor", full, out);
        g.bench_function("floor", |t| {
            t.iter(|| {
                floor.named(name, pattern, out).unwrap();
                black_box(out.len())
            })
        });
    }
}
