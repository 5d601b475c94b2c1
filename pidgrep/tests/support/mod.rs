//! What the differential tests share: running `pgrep` and `pidgrep` on
//! the same arguments and comparing standard output and exit status,
//! again while they differ (the live table changes between two runs),
//! one test at a time, and a small random generator.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::process::Command;

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())].clone()
    }
}

/// One test at a time: both spawn `pgrep` and `pidgrep` in this test
/// binary's process group, which an edge (`-g 0`) lists.
pub static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Standard output and exit status of `program args`.
pub fn run(program: &str, args: &[String]) -> (String, Option<i32>) {
    run_pid(program, args).0
}

/// As [`run`], with the pid the program ran as.
fn run_pid(program: &str, args: &[String]) -> ((String, Option<i32>), i32) {
    let child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    ((steady(&text), out.status.code()), pid)
}

/// `text` without what changes from one moment to the next outside the
/// fixture: a kernel worker's name ends with the workqueue it serves now
/// (`kworker/u8:2-events_unbound`), which only `-v` runs list.
pub fn steady(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("kworker/") {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let end = tail.find(['\n', ']', ' ', ',']).unwrap_or(tail.len());
        let name = &tail[..end];
        out.push_str(name.split_once('-').map_or(name, |(base, _)| base));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

pub fn pgrep_or_skip(test: &str) -> bool {
    let ok = Command::new("pgrep")
        .arg("-V")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("procps-ng 4."));
    if !ok {
        eprintln!("SKIP {test}: no procps-ng 4 pgrep");
    }
    ok
}

/// Runs `args` through both, up to `tries` times: whether the first try
/// differed at all, and a report when every try differed.
///
/// A try whose outputs differ only in processes that were not alive all
/// along (absent from `/proc` just before the two runs or just after) is
/// an agreement: the live table changed between the runs. A process that
/// was there throughout and that only one of them lists is a difference.
/// A count (`-c`) agrees when it lies between `pgrep`'s count before and
/// a second one after.
pub fn differ(args: &[String], tries: usize) -> (bool, Option<String>) {
    let ours = env!("CARGO_BIN_EXE_pidgrep");
    let mut first_differs = false;
    let mut last = None;
    for attempt in 0..tries {
        let threads = flagged(args, 'w') || args.iter().any(|a| a == "--lightweight");
        let before = live_pids(threads);
        let theirs = run("pgrep", args);
        let (mine, itself) = run_pid(ours, args);
        let after = live_pids(threads);
        if attempt == 0 {
            first_differs = theirs != mine;
        }
        if theirs == mine || churn_only(args, &theirs.0, &mine.0, itself, &before, &after) {
            return (first_differs, None);
        }
        if counted(args) {
            let again = run("pgrep", args);
            let n = |text: &str| text.trim_end().parse::<u64>().ok();
            if let (Some(a), Some(m), Some(b)) = (n(&theirs.0), n(&mine.0), n(&again.0)) {
                if a.min(b) <= m && m <= a.max(b) && mine.1 == Some(i32::from(m == 0)) {
                    return (first_differs, None);
                }
            }
        }
        last = Some(format!(
            "pgrep {args:?}\n pgrep:   {theirs:?}\n pidgrep: {mine:?}"
        ));
    }
    (true, last)
}

/// Whether `args` ask for a count (`-c` alone or in a bundle; an
/// option's value that holds a `c` counts too, which only makes the
/// comparison stricter).
fn counted(args: &[String]) -> bool {
    args.iter().any(|a| a == "--count") || flagged(args, 'c')
}

/// Whether the short option `letter` is among `args` (alone or bundled).
fn flagged(args: &[String], letter: char) -> bool {
    args.iter()
        .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains(letter))
}

/// The pids `/proc` lists now; with `threads`, every thread id as well.
fn live_pids(threads: bool) -> BTreeSet<i32> {
    let numbers = |dir: &str| -> Vec<i32> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let pids = numbers("/proc");
    if !threads {
        return pids.into_iter().collect();
    }
    pids.iter()
        .flat_map(|pid| numbers(&format!("/proc/{pid}/task")))
        .collect()
}

/// Whether two listings (with the delimiter of `args`) differ only in
/// processes missing from `before` or `after` (with `-v`, in their pids). A count (`-c`), a line
/// that does not start with a pid, or `pidgrep` listing `itself` is never
/// explained so.
fn churn_only(
    args: &[String],
    theirs: &str,
    mine: &str,
    itself: i32,
    before: &BTreeSet<i32>,
    after: &BTreeSet<i32>,
) -> bool {
    if counted(args) {
        return false;
    }
    let delim = args
        .iter()
        .position(|a| a == "-d")
        .and_then(|i| args.get(i + 1))
        .map_or("\n", String::as_str);
    let entries = |text: &str| -> Option<Vec<(i32, String)>> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        if text.is_empty() {
            return Some(Vec::new());
        }
        text.split(delim)
            .map(|e| Some((e.split(' ').next()?.parse().ok()?, e.to_string())))
            .collect()
    };
    let (Some(a), Some(b)) = (entries(theirs), entries(mine)) else {
        return false;
    };
    if b.iter().any(|(p, _)| *p == itself) {
        return false;
    }
    let steady = |pid: &i32| before.contains(pid) && after.contains(pid);
    // Under -v (the whole machine), a steady pid's name or command line
    // may change between the runs too (it execs): only the pids are
    // compared. Elsewhere the text is compared as well.
    let whole_machine = flagged(args, 'v');
    let kept = |v: &[(i32, String)]| -> Vec<(i32, String)> {
        v.iter()
            .filter(|(p, _)| steady(p))
            .map(|(p, e)| {
                (
                    *p,
                    if whole_machine {
                        String::new()
                    } else {
                        e.clone()
                    },
                )
            })
            .collect()
    };
    kept(&a) == kept(&b)
}

/// Each of `cases` (given as words) through both, `tries` times at most:
/// a report of every one that differs each time.
pub fn mismatches(cases: &[Vec<String>], tries: usize) -> Vec<String> {
    cases
        .iter()
        .filter_map(|args| differ(args, tries).1)
        .collect()
}

/// `cases` as owned words.
pub fn words(cases: &[&[&str]]) -> Vec<Vec<String>> {
    cases
        .iter()
        .map(|c| c.iter().map(|w| w.to_string()).collect())
        .collect()
}
