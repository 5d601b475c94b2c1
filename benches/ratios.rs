//! The same contestants as the `query` bench, measured interleaved, for
//! ratios that hold on a busy machine.
//!
//! Criterion measures one contestant for seconds, then the next, so a build
//! starting on another core between two of them skews their ratio. Here each
//! round gives every contestant a short slice in turn (in a fresh random
//! order every round: a rotation would have each contestant always follow
//! the same one, and inherit what that one left in the caches) and keeps
//! the fastest call of its slice: the cost with
//! the least interference. A ratio is taken within each round, and the
//! tables show the median over rounds. The processes column gives the range
//! of `/proc`'s process count seen at the start of the rounds: other
//! people's processes come and go on a shared machine.
//!
//! ```text
//! cargo bench --bench ratios
//! PIDQUERY_BENCH_EXTRA=2000,10000 PIDQUERY_BENCH_ROUNDS=15 cargo bench --bench ratios
//! PIDQUERY_BENCH_EXTRA=10000 cargo bench --bench ratios -- 'descendants'   # some groups only
//! python3 benches/plot.py target/pidquery-bench/ratios.csv benches/scaling.svg
//! ```
//!
//! `PIDQUERY_BENCH_EXTRA` is as for the `query` bench;
//! `PIDQUERY_BENCH_ROUNDS` (default 15) sets the rounds;
//! `PIDQUERY_BENCH_CSV` (default `target/pidquery-bench/ratios.csv`) is
//! where every contestant's median time, ratio to the floor and heap
//! allocations per call go, one line each, for `benches/plot.py`. Under
//! `--test` every contestant runs once and nothing is printed but the
//! check.

#[cfg(target_os = "linux")]
mod support;

// The counting allocator of the tests: heap calls per query, per thread.
#[cfg(target_os = "linux")]
#[allow(dead_code)]
#[path = "../tests/support/alloc.rs"]
mod alloc;

#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

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
    use std::fmt::Write as _;
    use std::hint::black_box;
    use std::io::Write as _;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use super::alloc::Counts;
    use super::support::contest::{self, COLUMNS};
    use super::support::fixture::process_count;

    /// How long one contestant runs per round (at least 3 calls, 2 with a
    /// crowd, 1 for the slowest).
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

    /// Two decimals, or 1/N below 0.1 so that small ratios keep a digit.
    fn fmt_ratio(r: f64) -> String {
        if r.is_nan() {
            "n/a".to_owned()
        } else if r >= 0.1 {
            format!("×{r:.2}")
        } else {
            format!("×1/{:.0}", 1.0 / r)
        }
    }

    fn fmt_allocs(a: f64) -> String {
        if a.is_nan() {
            "n/a".to_owned()
        } else if a < 10_000.0 {
            format!("{a:.0}")
        } else {
            format!("{:.0}k", a / 1e3)
        }
    }

    /// Fisher–Yates with xorshift: deterministic, no dependency.
    fn shuffle(v: &mut [usize], seed: &mut u64) {
        for i in (1..v.len()).rev() {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            v.swap(i, (*seed % (i as u64 + 1)) as usize);
        }
    }

    /// One group's measurements.
    struct Row {
        group: String,
        procs: String,
        procs_mid: usize,
        /// Per contestant: name, column, median best time, median ratio to
        /// the floor, heap calls per call.
        cells: Vec<(&'static str, &'static str, f64, f64, f64)>,
        targets: Vec<(String, f64)>,
    }

    pub fn main() {
        let test_mode = env::args().any(|a| a == "--test");
        let rounds = if test_mode {
            1
        } else {
            env::var("PIDQUERY_BENCH_ROUNDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(15usize)
                .max(1)
        };
        let csv_path = env::var_os("PIDQUERY_BENCH_CSV")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target/pidquery-bench/ratios.csv"));
        // A bare argument, as with criterion, keeps only the groups whose name
        // contains it.
        let only = env::args().skip(1).find(|a| !a.starts_with('-'));
        let mut rows: Vec<Row> = Vec::new();
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
            let min_calls = if group.crowd { 2 } else { 3 };
            // best[i][r]: contestant i's fastest call in round r, in ns.
            let mut best = vec![Vec::with_capacity(rounds); n];
            let mut heap = vec![(0u64, 0u64); n]; // (heap calls, calls)
            let (mut fewest, mut most) = (procs, procs);
            let mut seed = 0x2545_f491_4f6c_dd1d_u64 ^ group.name.len() as u64;
            for _round in 0..rounds {
                if !test_mode {
                    let now = process_count();
                    fewest = fewest.min(now);
                    most = most.max(now);
                }
                // A fresh order every round, so that no contestant always
                // follows the same one (whose traces in the caches it
                // would inherit).
                let mut order: Vec<usize> = (0..n).collect();
                shuffle(&mut order, &mut seed);
                for &i in &order {
                    let c = &mut contestants[i];
                    let start = Instant::now();
                    let mut fastest = f64::INFINITY;
                    let mut calls = 0;
                    let least = min_calls.min(c.max_calls);
                    let before = Counts::now();
                    while calls < least || (start.elapsed() < SLICE && calls < c.max_calls) {
                        let t = Instant::now();
                        black_box((c.run)());
                        fastest = fastest.min(t.elapsed().as_nanos() as f64);
                        calls += 1;
                        if test_mode {
                            break;
                        }
                    }
                    heap[i].0 += Counts::now().since(before).takes();
                    heap[i].1 += calls as u64;
                    best[i].push(fastest);
                }
            }
            if test_mode {
                println!("{}: {n} contestants ran", group.name);
                return;
            }
            let index = |name: &str| contestants.iter().position(|c| c.name == name);
            let ratio = |a: usize, b: usize| -> f64 {
                median(best[a].iter().zip(&best[b]).map(|(x, y)| x / y).collect())
            };
            let floor = index("floor");
            let cells = contestants
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let to_floor = floor.map_or(f64::NAN, |f| ratio(i, f));
                    let allocs = heap[i].0 as f64 / heap[i].1.max(1) as f64;
                    (c.name, c.column, median(best[i].clone()), to_floor, allocs)
                })
                .collect();
            let targets = group
                .targets
                .iter()
                .filter_map(|(a, b)| Some((format!("{a} / {b}"), ratio(index(a)?, index(b)?))))
                .collect();
            let range = if fewest == most {
                procs.to_string()
            } else {
                format!("{fewest}–{most}")
            };
            let row = Row {
                group: group.name.clone(),
                procs: range,
                procs_mid: (fewest + most) / 2,
                cells,
                targets,
            };
            eprintln!("{}: done ({})", row.group, row.procs);
            rows.push(row);
        });
        if test_mode {
            return;
        }
        print_tables(&rows);
        if let Err(e) = write_csv(&rows, &csv_path) {
            eprintln!("cannot write {}: {e}", csv_path.display());
        } else {
            eprintln!("results: {}", csv_path.display());
        }
    }

    fn cell<'a>(
        row: &'a Row,
        column: &str,
    ) -> Option<&'a (&'static str, &'static str, f64, f64, f64)> {
        row.cells.iter().find(|c| c.1 == column)
    }

    fn print_tables(rows: &[Row]) {
        let shown: Vec<&str> = COLUMNS
            .iter()
            .copied()
            .filter(|col| rows.iter().any(|r| cell(r, col).is_some()))
            .collect();
        println!("Median per call, ratio to the floor (the bare syscalls) in the same rounds:\n");
        println!("| group | processes | floor | {} |", shown.join(" | "));
        println!("| --- | ---: | ---: |{}", " ---: |".repeat(shown.len()));
        for r in rows {
            let floor = cell(r, "floor").map_or("n/a".to_owned(), |c| fmt_time(c.2));
            let cells: Vec<String> = shown
                .iter()
                .map(|col| match cell(r, col) {
                    Some(c) => format!("{} ({})", fmt_ratio(c.3), fmt_time(c.2)),
                    None => String::new(),
                })
                .collect();
            println!(
                "| {} | {} | {floor} | {} |",
                r.group,
                r.procs,
                cells.join(" | ")
            );
        }
        println!("\nTargets (median of per-round ratios):\n");
        println!("| group | ratio | value |");
        println!("| --- | --- | ---: |");
        for r in rows {
            for (what, v) in &r.targets {
                println!("| {} | {what} | {} |", r.group, fmt_ratio(*v));
            }
        }
        println!("\nHeap allocations per call (mean over every call timed):\n");
        println!("| group | {} |", shown.join(" | "));
        println!("| --- |{}", " ---: |".repeat(shown.len()));
        for r in rows {
            let cells: Vec<String> = shown
                .iter()
                .map(|col| cell(r, col).map_or(String::new(), |c| fmt_allocs(c.4)))
                .collect();
            println!("| {} | {} |", r.group, cells.join(" | "));
        }
    }

    fn write_csv(rows: &[Row], path: &PathBuf) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut text = String::from(
            "group,query,processes,processes_range,contestant,column,median_ns,ratio_to_floor,allocs_per_call\n",
        );
        for r in rows {
            for (name, column, ns, to_floor, allocs) in &r.cells {
                let _ = writeln!(
                    text,
                    "{},{},{},{},{},{},{:.0},{:.4},{:.1}",
                    r.group,
                    contest::query_of(&r.group),
                    r.procs_mid,
                    r.procs,
                    name,
                    column,
                    ns,
                    to_floor,
                    allocs
                );
            }
        }
        std::fs::File::create(path)?.write_all(text.as_bytes())
    }
}
