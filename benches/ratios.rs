//! The same contestants as the `query` bench, measured interleaved, for
//! ratios that hold on a busy machine.
//!
//! Criterion measures one contestant for seconds, then the next, so a build
//! starting on another core between two of them skews their ratio. Here each
//! round gives every contestant a short slice in turn (the order rotating
//! between rounds) and keeps the fastest call of its slice: the cost with
//! the least interference. A ratio is taken within each round, and the table
//! shows the median over rounds. The processes column gives the range of
//! `/proc`'s process count seen at the start of the rounds: other people's
//! processes come and go on a shared machine.
//!
//! ```text
//! cargo bench --bench ratios
//! PIDQUERY_BENCH_EXTRA=2000,10000 PIDQUERY_BENCH_ROUNDS=31 cargo bench --bench ratios
//! PIDQUERY_BENCH_EXTRA=10000 cargo bench --bench ratios -- 'all +'   # some groups only
//! ```
//!
//! `PIDQUERY_BENCH_EXTRA` is as for the `query` bench;
//! `PIDQUERY_BENCH_ROUNDS` (default 21) sets the rounds. Under `--test`
//! every contestant runs once and nothing is printed but the check.

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
    use std::time::{Duration, Instant};

    use super::support::contest;
    use super::support::fixture::process_count;

    /// How long one contestant runs per round (at least 3 calls, 2 with a
    /// crowd).
    const SLICE: Duration = Duration::from_millis(40);

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            return f64::NAN;
        }
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    fn fmt_time(ns: f64) -> String {
        if ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else {
            format!("{:.1} µs", ns / 1e3)
        }
    }

    pub fn main() {
        let test_mode = env::args().any(|a| a == "--test");
        let rounds = if test_mode {
            1
        } else {
            env::var("PIDQUERY_BENCH_ROUNDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(21usize)
                .max(1)
        };
        let columns = [
            ("pidquery fill", "floor"),
            ("procfs", "pidquery fill"),
            ("sysinfo new", "pidquery fill"),
            ("sysinfo reused", "pidquery fill"),
            ("std fs", "pidquery fill"),
            ("pidquery fill_slice", "floor"),
            ("children file", "pidquery fill"),
        ];
        if !test_mode {
            let heads: Vec<String> = columns.iter().map(|(a, b)| format!("{a} / {b}")).collect();
            println!(
                "| group | processes | pidquery fill | {} |",
                heads.join(" | ")
            );
            println!("| --- | ---: | ---: |{}", " ---: |".repeat(columns.len()));
        }
        // A bare argument, as with criterion, keeps only the groups whose name
        // contains it.
        let only = env::args().skip(1).find(|a| !a.starts_with('-'));
        contest::run(test_mode, |group| {
            if only
                .as_ref()
                .is_some_and(|o| !group.name.contains(o.as_str()))
            {
                return;
            }
            let procs = process_count();
            let mut contestants = contest::contestants(group);
            let n = contestants.len();
            // A crowd makes the slow contestants take a third of a second a call.
            let min_calls = if group.crowd { 2 } else { 3 };
            // best[i][r]: contestant i's fastest call in round r, in ns.
            let mut best = vec![Vec::with_capacity(rounds); n];
            let (mut fewest, mut most) = (procs, procs);
            for round in 0..rounds {
                if !test_mode {
                    let now = process_count();
                    fewest = fewest.min(now);
                    most = most.max(now);
                }
                for k in 0..n {
                    let i = (k + round) % n;
                    let run = &mut contestants[i].run;
                    let start = Instant::now();
                    let mut fastest = f64::INFINITY;
                    let mut calls = 0;
                    while calls < min_calls || start.elapsed() < SLICE {
                        let t = Instant::now();
                        black_box(run());
                        fastest = fastest.min(t.elapsed().as_nanos() as f64);
                        calls += 1;
                        if test_mode {
                            break;
                        }
                    }
                    best[i].push(fastest);
                }
            }
            if test_mode {
                println!("{}: {n} contestants ran", group.name);
                return;
            }
            let index = |name: &str| contestants.iter().position(|c| c.name == name);
            let ratio = |a: &str, b: &str| -> String {
                let (Some(a), Some(b)) = (index(a), index(b)) else {
                    return "n/a".to_owned();
                };
                let per_round = best[a].iter().zip(&best[b]).map(|(x, y)| x / y).collect();
                let r = median(per_round);
                // Below 0.1, 1/N keeps a significant digit.
                if r >= 0.1 {
                    format!("{r:.2}")
                } else {
                    format!("1/{:.0}", 1.0 / r)
                }
            };
            let cells: Vec<String> = columns.iter().map(|(a, b)| ratio(a, b)).collect();
            let fill = index("pidquery fill").map_or(f64::NAN, |i| median(best[i].clone()));
            let procs = if fewest == most {
                procs.to_string()
            } else {
                format!("{fewest}–{most}")
            };
            println!(
                "| {} | {procs} | {} | {} |",
                group.name,
                fmt_time(fill),
                cells.join(" | ")
            );
        });
    }
}
