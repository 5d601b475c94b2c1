//! Conjunctive queries against their floors, in one run:
//!
//! - `name ∧ uid` (a `Query` with `euid` and an exact `name`; uid 0, which
//!   most processes pass, and 65534, which few do) against the floor of
//!   one `stat` read per process (`Floor::stat`);
//! - `parent ∧ name` against today's `ppid` alone (`PidQuery::ppid`);
//! - the real ids of every process from `status` or from
//!   `PIDFD_GET_INFO` (two floors, `Floor::ruid` and `Floor::ruid_pidfd`),
//!   and queries with `ruid` and one more source: `rgid` (one source),
//!   `state` (read first), `cgroup` (read after), `euid` (read first, by
//!   name);
//! - `pidgrep` against `pgrep`, as whole processes, with the same
//!   arguments (`-u root sleep` and `-f 'sleep 9'`), when a release
//!   `pidgrep` exists (`PIDGREP`, default `target/release/pidgrep`).
//!
//! ```text
//! cargo build --release -p pidgrep
//! cargo bench --bench select -- --warm-up-time 1 --measurement-time 3
//! cargo bench --bench select -- --test     # each benchmark once
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
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::process::{Command, Stdio};

    use criterion::{Criterion, Throughput};
    use pidquery::{Match, Pid, PidBuf, PidQuery, Query, States};

    use super::support::fixture::process_count;
    use super::support::floor::{Floor, StatField};

    pub fn main() {
        let mut c = Criterion::default().configure_from_args();
        let procs = process_count();
        eprintln!("{procs} processes in /proc");
        let mut buf = PidBuf::with_capacity(1 << 16);
        let mut floor = Floor::open().unwrap();
        let mut out = Vec::with_capacity(1 << 16);

        let mut g = c.benchmark_group("name and uid");
        g.throughput(Throughput::Elements(procs as u64));
        let q = Query::new().euid(0).name(Match::exact("sleep"));
        g.bench_function("pidquery Query", |b| {
            b.iter(|| black_box(q.fill(&mut buf).unwrap().len()))
        });
        // A user with few processes: the owner check prunes before `stat`.
        let rare = Query::new().euid(65534).name(Match::exact("sleep"));
        g.bench_function("pidquery Query, uid 65534", |b| {
            b.iter(|| black_box(rare.fill(&mut buf).unwrap().len()))
        });
        g.bench_function("floor: one stat read per process", |b| {
            b.iter(|| {
                floor.stat(StatField::Ppid, -1, &mut out).unwrap();
                black_box(out.len())
            })
        });
        g.finish();

        let mut g = c.benchmark_group("real ids");
        g.throughput(Throughput::Elements(procs as u64));
        g.bench_function("floor: status read per process", |b| {
            b.iter(|| {
                floor.ruid(0, &mut out).unwrap();
                black_box(out.len())
            })
        });
        g.bench_function("floor: PIDFD_GET_INFO per process", |b| {
            b.iter(|| {
                floor.ruid_pidfd(0, &mut out).unwrap();
                black_box(out.len())
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
            g.bench_function(name, |b| {
                b.iter(|| black_box(q.fill(&mut buf).unwrap().len()))
            });
        }
        g.finish();

        let mut kids: Vec<_> = (0..3)
            .map(|_| Command::new("sleep").arg("600").spawn().unwrap())
            .collect();
        let mut g = c.benchmark_group("parent and name");
        let me = Pid::this();
        let q = Query::new().parent(me).name(Match::exact("sleep"));
        g.bench_function("pidquery Query", |b| {
            b.iter(|| black_box(q.fill(&mut buf).unwrap().len()))
        });
        g.bench_function("pidquery ppid alone", |b| {
            b.iter(|| black_box(PidQuery::ppid(me).fill(&mut buf).unwrap().len()))
        });
        g.finish();
        for k in &mut kids {
            let _ = k.kill();
            let _ = k.wait();
        }

        let pidgrep = std::env::var_os("PIDGREP").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/pidgrep"),
            PathBuf::from,
        );
        if !pidgrep.exists() {
            eprintln!(
                "no {}: build it with `cargo build --release -p pidgrep`",
                pidgrep.display()
            );
            return;
        }
        for args in [&["-u", "root", "sleep"][..], &["-f", "sleep 9"][..]] {
            let mut g = c.benchmark_group(format!("whole process: {}", args.join(" ")));
            for (name, program) in [
                ("pgrep", PathBuf::from("pgrep")),
                ("pidgrep", pidgrep.clone()),
            ] {
                g.bench_function(name, |b| {
                    b.iter(|| {
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
}
