//! pidquery against the bare-syscall floor and its peers, per filter, in one
//! run; then `all` and `ppid` again with thousands of extra processes.
//!
//! ```text
//! cargo bench --bench query -- --warm-up-time 1 --measurement-time 3
//! PIDQUERY_BENCH_EXTRA=2000,10000 cargo bench --bench query -- --warm-up-time 1 --measurement-time 3
//! python3 benches/ratios.py          # the ratio table of the last run
//! cargo bench -- --test              # each benchmark once (CI)
//! ```
//!
//! `PIDQUERY_BENCH_EXTRA` lists the crowd sizes for the scaling groups
//! (comma-separated; `0` or empty for none). The default is 1,000, or 100
//! under `--test`. A size above what the machine allows (`pid_max`, the
//! process limit, free memory) is lowered, and the group name says the size
//! used. The `ratios` bench measures the same contestants interleaved. See
//! `BENCHMARKS.md` for results.

#[cfg(target_os = "linux")]
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

    use criterion::{Criterion, SamplingMode, Throughput};

    use super::support::contest;
    use super::support::fixture::process_count;

    pub fn main() {
        let test_mode = env::args().any(|a| a == "--test");
        let mut c = Criterion::default().configure_from_args();
        contest::run(test_mode, |group| {
            let procs = process_count();
            eprintln!("{}: {procs} processes in /proc", group.name);
            let mut contestants = contest::contestants(group);
            let mut g = c.benchmark_group(&group.name);
            g.throughput(Throughput::Elements(procs as u64));
            if group.crowd {
                g.sample_size(20).sampling_mode(SamplingMode::Flat);
            }
            for contestant in &mut contestants {
                let run = &mut contestant.run;
                g.bench_function(contestant.name, |b| b.iter(|| black_box(run())));
            }
            g.finish();
        });
        c.final_summary();
    }
}
